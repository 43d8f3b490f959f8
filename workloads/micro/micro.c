/*
 * micro.c — allocator micro-benchmarks on Google Benchmark (through
 * gbench_shim.h), built once per backend as asbench-micro-BACKEND with that
 * allocator serving every malloc of the process.  `asbench micro` runs them
 * and folds the results into the suite's CSV; the executable can also be run
 * by hand with any Google Benchmark flag.
 *
 * One iteration (op) of each benchmark:
 *   malloc_free/S     malloc(S), write its first byte, free — S runs over the
 *                     67 small size classes of Go's sizeclasses.go (Go 1.19)
 *                     plus 65536 for the large-object class 0 (68 classes)
 *   calloc/S          calloc(1, S), check a byte is zero, free
 *   realloc_chain/S   malloc(16), then realloc doubling to S, free
 *   aligned/A         posix_memalign(A, 64 B), check the alignment, free
 *   free_remote/S     free of an S-byte block that a producer thread
 *                     malloc'd (batches of 1024 made while the clock is
 *                     paused: an op is one remote free)
 * Each reports allocs_per_op (allocations per iteration) as a user counter.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "gbench_shim.h"

/* Object sizes of Go's size classes 1-67 (runtime/sizeclasses.go, Go 1.19);
 * class 0 means "large" and is represented by one 64 KiB size. */
static const uint32_t go_class_sizes[] = {
    8,     16,    24,    32,    48,    64,    80,    96,    112,   128,   144,   160,   176,   192,
    208,   224,   240,   256,   288,   320,   352,   384,   416,   448,   480,   512,   576,   640,
    704,   768,   896,   1024,  1152,  1280,  1408,  1536,  1792,  2048,  2304,  2688,  3072,  3200,
    3456,  4096,  4864,  5376,  6144,  6528,  6784,  6912,  8192,  9472,  9728,  10240, 10880, 12288,
    13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768,
};
#define GO_LARGE_SIZE 65536

static void fail_null(asb_gbench_state *st, const char *what, int64_t size) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s(%lld) returned NULL", what, (long long)size);
    asb_gbench_fail(st, msg);
}

static void bench_malloc_free(asb_gbench_state *st, int64_t size) {
    uint64_t allocs = 0;
    while (asb_gbench_keep_running(st)) {
        unsigned char *p = malloc((size_t)size);
        if (!p) {
            fail_null(st, "malloc", size);
            break;
        }
        p[0] = 1;
        asb_gbench_use(p);
        free(p);
        allocs++;
    }
    asb_gbench_counter(st, "allocs_per_op", (double)allocs, true);
}

static void bench_calloc(asb_gbench_state *st, int64_t size) {
    uint64_t allocs = 0;
    while (asb_gbench_keep_running(st)) {
        unsigned char *p = calloc(1, (size_t)size);
        if (!p) {
            fail_null(st, "calloc", size);
            break;
        }
        if (p[size - 1] != 0) {
            asb_gbench_fail(st, "calloc returned a block that is not zeroed");
            break;
        }
        asb_gbench_use(p);
        free(p);
        allocs++;
    }
    asb_gbench_counter(st, "allocs_per_op", (double)allocs, true);
}

static void bench_realloc_chain(asb_gbench_state *st, int64_t max) {
    uint64_t allocs = 0;
    while (asb_gbench_keep_running(st)) {
        size_t size = 16;
        unsigned char *p = malloc(size);
        if (!p) {
            fail_null(st, "malloc", 16);
            break;
        }
        p[0] = 0x5a;
        allocs++;
        while (p && size < (size_t)max) {
            size *= 2;
            unsigned char *q = realloc(p, size);
            if (!q) break;
            p = q;
            p[size - 1] = 1;
            allocs++;
        }
        if (!p || size < (size_t)max || p[0] != 0x5a) {
            asb_gbench_fail(st, "realloc failed or lost the block's contents");
            free(p);
            break;
        }
        free(p);
    }
    asb_gbench_counter(st, "allocs_per_op", (double)allocs, true);
}

static void bench_aligned(asb_gbench_state *st, int64_t align) {
    uint64_t allocs = 0;
    while (asb_gbench_keep_running(st)) {
        void *p = NULL;
        if (posix_memalign(&p, (size_t)align, 64) != 0) {
            fail_null(st, "posix_memalign", align);
            break;
        }
        if ((uintptr_t)p % (uintptr_t)align != 0) {
            asb_gbench_fail(st, "posix_memalign returned a misaligned block");
            break;
        }
        asb_gbench_use(p);
        free(p);
        allocs++;
    }
    asb_gbench_counter(st, "allocs_per_op", (double)allocs, true);
}

/* free_remote: a producer thread fills a batch of blocks on request while
 * the clock is paused; the timed loop frees them one per iteration. */
#define REMOTE_BATCH 1024
enum { BATCH_IDLE, BATCH_REQUESTED, BATCH_FILLED, BATCH_STOP };
typedef struct remote_batch {
    atomic_int state;
    bool failed;
    size_t size;
    unsigned char *blocks[REMOTE_BATCH];
} remote_batch;

static void *remote_producer(void *arg) {
    remote_batch *b = arg;
    for (;;) {
        int state;
        while ((state = atomic_load(&b->state)) == BATCH_IDLE || state == BATCH_FILLED) sched_yield();
        if (state == BATCH_STOP) return NULL;
        for (size_t i = 0; i < REMOTE_BATCH; i++) {
            if (!(b->blocks[i] = malloc(b->size))) {
                b->failed = true;
                while (i > 0) free(b->blocks[--i]);
                break;
            }
            b->blocks[i][0] = (unsigned char)i;
        }
        atomic_store(&b->state, BATCH_FILLED);
    }
}

static void bench_free_remote(asb_gbench_state *st, int64_t size) {
    remote_batch *b = calloc(1, sizeof *b);
    pthread_t producer;
    if (!b) {
        asb_gbench_fail(st, "out of memory");
        return;
    }
    b->size = (size_t)size;
    if (pthread_create(&producer, NULL, remote_producer, b) != 0) {
        free(b);
        asb_gbench_fail(st, "cannot start the producer thread");
        return;
    }
    size_t left = 0;
    uint64_t frees = 0;
    while (asb_gbench_keep_running(st)) {
        if (left == 0) {
            asb_gbench_pause(st);
            atomic_store(&b->state, BATCH_REQUESTED);
            while (atomic_load(&b->state) == BATCH_REQUESTED) sched_yield();
            asb_gbench_resume(st);
            if (b->failed) {
                fail_null(st, "malloc (producer)", size);
                break;
            }
            left = REMOTE_BATCH;
        }
        unsigned char *p = b->blocks[--left];
        if (p[0] != (unsigned char)left) {
            asb_gbench_fail(st, "a block changed between the producer's malloc and the free");
            break;
        }
        free(p);
        frees++;
    }
    while (left > 0) free(b->blocks[--left]);
    atomic_store(&b->state, BATCH_STOP);
    pthread_join(producer, NULL);
    free(b);
    /* The allocations happen on the producer, outside the clock; one per op. */
    asb_gbench_counter(st, "allocs_per_op", (double)frees, true);
}

static void register_all(void) {
    char name[64];
    for (size_t i = 0; i < sizeof go_class_sizes / sizeof *go_class_sizes; i++) {
        snprintf(name, sizeof name, "malloc_free/%u", go_class_sizes[i]);
        asb_gbench_register(name, bench_malloc_free, go_class_sizes[i]);
    }
    snprintf(name, sizeof name, "malloc_free/%u", GO_LARGE_SIZE);
    asb_gbench_register(name, bench_malloc_free, GO_LARGE_SIZE);
    static const int64_t calloc_sizes[] = {16, 256, 4096, 65536, 1 << 20};
    for (size_t i = 0; i < sizeof calloc_sizes / sizeof *calloc_sizes; i++) {
        snprintf(name, sizeof name, "calloc/%lld", (long long)calloc_sizes[i]);
        asb_gbench_register(name, bench_calloc, calloc_sizes[i]);
    }
    static const int64_t realloc_max[] = {1024, 65536, 1 << 20};
    for (size_t i = 0; i < sizeof realloc_max / sizeof *realloc_max; i++) {
        snprintf(name, sizeof name, "realloc_chain/%lld", (long long)realloc_max[i]);
        asb_gbench_register(name, bench_realloc_chain, realloc_max[i]);
    }
    static const int64_t alignments[] = {16, 64, 256, 4096};
    for (size_t i = 0; i < sizeof alignments / sizeof *alignments; i++) {
        snprintf(name, sizeof name, "aligned/%lld", (long long)alignments[i]);
        asb_gbench_register(name, bench_aligned, alignments[i]);
    }
    static const int64_t remote_sizes[] = {16, 256, 4096};
    for (size_t i = 0; i < sizeof remote_sizes / sizeof *remote_sizes; i++) {
        snprintf(name, sizeof name, "free_remote/%lld", (long long)remote_sizes[i]);
        asb_gbench_register(name, bench_free_remote, remote_sizes[i]);
    }
}

int main(int argc, char **argv) {
    const char *version = asb_backend_linked.version ? asb_backend_linked.version() : NULL;
    asb_gbench_context("asbench_backend", asb_backend_linked.name);
    asb_gbench_context("asbench_backend_version", version ? version : "unknown");
    register_all();
    return asb_gbench_main(argc, argv);
}
