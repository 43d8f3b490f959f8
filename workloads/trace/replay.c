/*
 * replay.c — the "trace" workload: replays a recorded allocation trace
 * (docs/trace-format.md) against the allocator the worker is linked with.
 *
 * One replay thread per recorded thread runs that thread's ops in their
 * recorded order.  A free or realloc of a block another thread allocated
 * waits until that allocation has been replayed (spin, then futex on the
 * block's ready word), so every cross-thread hand-off of the recording
 * happens in the same order.  Blocks are touched the way a program uses what
 * it allocates: first and last byte always, and with touch=pages one byte of
 * every page in between, so peak RSS can be compared with the trace's ideal
 * peak of live requested bytes (reported as extra ideal_peak_bytes).
 *
 * Peak RSS should be the replay's, not the loader's: the decoded trace and
 * the block table are mapped outside the allocator under test, and just
 * before the replay starts the worker resets the kernel's RSS high-water mark
 * (/proc/self/clear_refs), then reports what is resident at that point
 * (extra rss_before_replay_bytes) so that peak RSS minus it is the replayed
 * heap's footprint, to compare with ideal_peak_bytes.
 *
 * Verification: the first and last byte of every block carry a cookie of the
 * block's id, checked before it is freed or reallocated; realloc must keep
 * the old contents, calloc must return zeroes, aligned allocations must be
 * aligned.  Decoding the trace is not timed; freeing the blocks the trace
 * leaves live is not timed either.
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../workload.h"
#include "trace_format.h"

/* workloads/trace/meson.build sets it to the source tree's traces/. */
#ifndef ASB_TRACE_DIR
#define ASB_TRACE_DIR "workloads/trace/traces"
#endif

#define REPLAY_PAGE 4096u
/* Spins before a waiting thread sleeps on the futex. */
#define REPLAY_SPINS 2000
/* A sleeping waiter wakes this often to notice that the replay failed. */
#define REPLAY_WAIT_NS 20000000L

enum { BLOCK_PENDING = 0, BLOCK_READY = 1, BLOCK_WAITED = 2 };

/* One per sequence number; used by the ops that allocate. */
typedef struct replay_block {
    unsigned char *ptr;
    uint64_t size;
    _Atomic uint32_t state; /* BLOCK_*; only for blocks another thread frees */
} replay_block;

typedef struct replay {
    asb_ctx *ctx;
    const trace *tr;
    replay_block *blocks;
    bool touch_pages;
    atomic_bool failed; /* a thread stopped: waiters must not wait forever */
} replay;

typedef struct replay_thread {
    replay *rp;
    uint32_t index;
    int status;
    pthread_t tid;
} replay_thread;

static unsigned char block_cookie(uint64_t id) {
    return (unsigned char)((id * 0x9e3779b97f4a7c15ull) >> 56) | 1;
}

static void touch(const replay *rp, replay_block *b, uint64_t id, uint64_t from) {
    if (!b->size) return;
    unsigned char c = block_cookie(id);
    if (rp->touch_pages)
        for (uint64_t at = (from + REPLAY_PAGE) & ~(uint64_t)(REPLAY_PAGE - 1); at < b->size - 1; at += REPLAY_PAGE)
            b->ptr[at] = c;
    b->ptr[0] = c;
    b->ptr[b->size - 1] = c;
}

static int check_cookie(replay *rp, const replay_block *b, uint64_t id, const char *before) {
    if (!b->size || !b->ptr) return ASB_OK;
    unsigned char c = block_cookie(id);
    if (b->ptr[0] != c || b->ptr[b->size - 1] != c)
        return asb_verify_fail(rp->ctx, "trace: block %llu (%llu B at %p) overwritten before %s",
                               (unsigned long long)id, (unsigned long long)b->size, (void *)b->ptr, before);
    return ASB_OK;
}

static long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *timeout) {
    return syscall(SYS_futex, (uint32_t *)word, op | FUTEX_PRIVATE_FLAG, val, timeout, NULL, 0);
}

/* Waits until block `id` has been allocated by its thread; false if the
 * replay failed meanwhile. */
static bool wait_ready(replay *rp, replay_block *b) {
    for (int i = 0; i < REPLAY_SPINS; i++)
        if (atomic_load_explicit(&b->state, memory_order_acquire) == BLOCK_READY) return true;
    const struct timespec nap = {0, REPLAY_WAIT_NS};
    for (;;) {
        uint32_t s = BLOCK_PENDING;
        if (!atomic_compare_exchange_strong_explicit(&b->state, &s, BLOCK_WAITED, memory_order_acquire,
                                                     memory_order_acquire) &&
            s == BLOCK_READY)
            return true;
        if (atomic_load(&rp->failed)) return false;
        futex(&b->state, FUTEX_WAIT, BLOCK_WAITED, &nap);
    }
}

static void publish(replay_block *b) {
    if (atomic_exchange_explicit(&b->state, BLOCK_READY, memory_order_release) == BLOCK_WAITED)
        futex(&b->state, FUTEX_WAKE, INT_MAX, NULL);
}

/* Allocates for an op that returns a block; NULL only for size 0 results. */
static int replay_alloc(replay *rp, const trace_op *op, replay_block *b) {
    void *p = NULL;
    switch (op->type) {
    case TRACE_MALLOC: p = malloc(op->size); break;
    case TRACE_CALLOC: p = calloc(op->nmemb, op->nmemb ? op->size / op->nmemb : 0); break;
    default: { /* the aligned allocators: posix_memalign serves them all */
        size_t align = (size_t)1 << op->align_log2;
        if (align < sizeof(void *)) align = sizeof(void *);
        if (posix_memalign(&p, align, op->size) != 0) p = NULL;
        if (p && ((uintptr_t)p & (align - 1)))
            return asb_verify_fail(rp->ctx, "trace: op %llu: %s(%zu, %llu) returned %p, misaligned",
                                   (unsigned long long)op->seq, trace_op_name(op->type), align,
                                   (unsigned long long)op->size, p);
    }
    }
    if (!p && op->size)
        return asb_fail(rp->ctx, ASB_ERROR, "trace: op %llu: %s of %llu B returned NULL", (unsigned long long)op->seq,
                        trace_op_name(op->type), (unsigned long long)op->size);
    b->ptr = p;
    b->size = op->size;
    if (op->type == TRACE_CALLOC && b->size && (b->ptr[0] || b->ptr[b->size - 1]))
        return asb_verify_fail(rp->ctx, "trace: op %llu: calloc of %llu B returned non-zero memory at %p",
                               (unsigned long long)op->seq, (unsigned long long)op->size, p);
    touch(rp, b, op->seq, 0);
    return ASB_OK;
}

static int replay_realloc(replay *rp, const trace_op *op, replay_block *old, replay_block *b) {
    unsigned char *from = old ? old->ptr : NULL;
    uint64_t old_size = old ? old->size : 0;
    unsigned char *p = realloc(from, op->size);
    if (!p && op->size)
        return asb_fail(rp->ctx, ASB_ERROR, "trace: op %llu: realloc to %llu B returned NULL",
                        (unsigned long long)op->seq, (unsigned long long)op->size);
    if (old) old->ptr = NULL;
    b->ptr = p;
    b->size = op->size;
    uint64_t kept = old_size < op->size ? old_size : op->size;
    if (kept) {
        unsigned char c = block_cookie(op->block);
        if (p[0] != c || (old_size <= op->size && p[old_size - 1] != c))
            return asb_verify_fail(rp->ctx, "trace: op %llu: realloc of block %llu from %llu to %llu B lost its contents",
                                   (unsigned long long)op->seq, (unsigned long long)op->block,
                                   (unsigned long long)old_size, (unsigned long long)op->size);
    }
    touch(rp, b, op->seq, kept);
    return ASB_OK;
}

static int replay_op(replay *rp, const trace_op *op) {
    replay_block *old = NULL;
    if (op->block != TRACE_NO_BLOCK) {
        old = &rp->blocks[op->block];
        if (op->cross_thread && !wait_ready(rp, old)) return ASB_ERROR;
        int rc = check_cookie(rp, old, op->block, trace_op_name(op->type));
        if (rc) return rc;
    }
    if (op->type == TRACE_FREE) {
        free(old->ptr);
        old->ptr = NULL;
        return ASB_OK;
    }
    replay_block *b = &rp->blocks[op->seq];
    int rc = op->type == TRACE_REALLOC ? replay_realloc(rp, op, old, b) : replay_alloc(rp, op, b);
    if (rc == ASB_OK && op->freed_elsewhere) publish(b);
    return rc;
}

static void *replay_thread_main(void *arg) {
    replay_thread *t = arg;
    replay *rp = t->rp;
    const trace_thread *th = &rp->tr->threads[t->index];
    uint64_t allocs = 0, bytes = 0, i = 0;
    t->status = ASB_OK;
    for (; i < th->nops; i++) {
        const trace_op *op = &th->ops[i];
        if ((t->status = replay_op(rp, op)) != ASB_OK) {
            atomic_store(&rp->failed, true);
            break;
        }
        /* Live bytes: what it allocated less the block it freed or moved
         * (whose size stays in its entry). */
        int64_t freed = op->block != TRACE_NO_BLOCK ? (int64_t)rp->blocks[op->block].size : 0;
        asb_live_add(rp->ctx, (int)t->index, (trace_op_allocates(op) ? (int64_t)op->size : 0) - freed);
        if (op->type != TRACE_FREE) {
            allocs++;
            bytes += op->size;
        }
    }
    asb_count(rp->ctx, i, allocs, bytes);
    asb_thread_cpu_done(rp->ctx);
    return NULL;
}

/* file=NAME: as given (relative to the current directory), else in the
 * source tree's shipped traces. */
static const char *resolve_trace(const char *name, char *buf, size_t len) {
    if (name[0] == '/' || access(name, R_OK) == 0) return name;
    snprintf(buf, len, "%s/%s", ASB_TRACE_DIR, name);
    return access(buf, R_OK) == 0 ? buf : name;
}

/* Resets the peak RSS the kernel reports (VmHWM, and so the worker's
 * ru_maxrss) to the current RSS, and returns that RSS in bytes (0 if /proc
 * is unavailable). */
static double reset_peak_rss(void) {
    int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)!write(fd, "5", 1);
        close(fd);
    }
    long kb = asb_rss_kb(0);
    return kb < 0 ? 0 : (double)kb * 1024;
}

/* Frees what the trace left live, checking each cookie (not timed); stops
 * at the first bad one, since the heap may then be corrupt. */
static int release_live(replay *rp) {
    for (uint64_t id = 0; id < rp->tr->replay_ops; id++) {
        replay_block *b = &rp->blocks[id];
        if (!b->ptr) continue;
        int status = check_cookie(rp, b, id, "the end of the trace");
        if (status != ASB_OK) return status;
        free(b->ptr);
        b->ptr = NULL;
        asb_live_add(rp->ctx, 0, -(int64_t)b->size); /* the replay threads are done: slot 0 is free */
    }
    return ASB_OK;
}

static int replay_run(asb_ctx *ctx) {
    const char *touch_mode = asb_param_s(ctx, "touch");
    if (strcmp(touch_mode, "pages") && strcmp(touch_mode, "ends"))
        return asb_fail(ctx, ASB_USAGE, "trace: touch=%s: expected pages or ends", touch_mode);
    int64_t max_ops = asb_param_i(ctx, "max_ops");
    if (max_ops < 0) return asb_fail(ctx, ASB_USAGE, "trace: need max_ops >= 0 (0 = all)");
    char pathbuf[4096], err[512];
    const char *path = resolve_trace(asb_param_s(ctx, "file"), pathbuf, sizeof pathbuf);
    trace tr;
    if (trace_load(path, (uint64_t)max_ops, &tr, err, sizeof err)) return asb_fail(ctx, ASB_USAGE, "trace: %s", err);

    replay rp = {.ctx = ctx, .tr = &tr, .touch_pages = strcmp(touch_mode, "pages") == 0};
    /* Mapped and populated now, so that its pages are resident before the
     * peak RSS is reset and none of it comes from the allocator under test. */
    size_t blocks_bytes = (tr.replay_ops ? tr.replay_ops : 1) * sizeof *rp.blocks;
    rp.blocks = mmap(NULL, blocks_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (rp.blocks == MAP_FAILED) rp.blocks = NULL;
    replay_thread *threads = calloc(tr.header.threads ? tr.header.threads : 1, sizeof *threads);
    int status = ASB_OK;
    uint32_t started = 0;
    if (!rp.blocks || !threads) {
        status = asb_fail(ctx, ASB_ERROR, "trace: out of memory for %llu ops", (unsigned long long)tr.replay_ops);
        goto out;
    }
    asb_report(ctx, "ideal_peak_bytes", (double)tr.stats.peak_live_bytes);
    asb_report(ctx, "trace_threads", tr.header.threads);
    asb_report(ctx, "cross_thread_frees", (double)tr.stats.cross_thread_frees);
    asb_report(ctx, "replay_metadata_bytes", (double)(tr.metadata_bytes + blocks_bytes));
    asb_report(ctx, "rss_before_replay_bytes", reset_peak_rss());
    asb_live_track(ctx);

    asb_timer_start(ctx);
    for (; started < tr.header.threads; started++) {
        threads[started] = (replay_thread){.rp = &rp, .index = started};
        if (pthread_create(&threads[started].tid, NULL, replay_thread_main, &threads[started]) != 0) {
            status = asb_fail(ctx, ASB_ERROR, "trace: pthread_create failed for thread %u of %u", started,
                              tr.header.threads);
            atomic_store(&rp.failed, true);
            break;
        }
    }
    for (uint32_t i = 0; i < started; i++) pthread_join(threads[i].tid, NULL);
    asb_timer_stop(ctx);
    for (uint32_t i = 0; i < started && status == ASB_OK; i++) status = threads[i].status;
    /* After a verification failure the heap may be corrupt: leave it alone. */
    if (status == ASB_OK) status = release_live(&rp);
out:
    free(threads);
    if (rp.blocks) munmap(rp.blocks, blocks_bytes);
    trace_free(&tr);
    return status;
}

static const asb_param_def replay_params[] = {
    {"file", "python-json.trace.gz", NULL,
     "trace to replay: a path, or a name in workloads/trace/traces/ (gzip or plain)"},
    {"max_ops", "0", "200000", "replay only the first N ops of the trace (0 = all)"},
    {"touch", "pages", NULL, "pages: write one byte of every page of each block; ends: first and last byte only"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload replay_workload = {
    .name = "trace",
    .kind = "trace",
    .stresses = "a real program's allocation sequence, thread hand-offs included (replayed from a recorded trace)",
    .params = replay_params,
    .run = replay_run,
};
ASB_REGISTER_WORKLOAD(replay_workload)
