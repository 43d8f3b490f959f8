/*
 * glibc-thread.c — after glibc's bench-malloc-thread (shared/reference/
 * workloads.md).  Each of P threads keeps a 1024-slot working set and loops
 * for `time` seconds: take the next slot from a table of 4096 random slot
 * indices, free its block, allocate a size taken in turn from a table of 8000
 * sizes drawn from an s^-2 power law over [4, 32768] bytes, and write every
 * byte.
 *
 * Fixed time.  One op = one iteration (free + malloc + write) begun before
 * the stop; the clock stops with the stop flag.  Every block's cookie is checked before its free.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_util.h"

#define GLIBC_THREAD "glibc-thread"
#define WORKING_SET 1024
#define OFFSETS 4096
#define SIZES 8000

typedef struct gt_thread {
    asb_ctx *ctx;
    const uint32_t *sizes;
    atomic_bool *stop;
    int index;
    int status;
} gt_thread;

static void *gt_thread_main(void *arg) {
    gt_thread *t = arg;
    asb_ctx *ctx = t->ctx;
    awl_block *slots = calloc(WORKING_SET, sizeof *slots);
    uint16_t *offsets = malloc(OFFSETS * sizeof *offsets);
    if (!slots || !offsets) {
        free(slots);
        free(offsets);
        t->status = asb_fail(ctx, ASB_ERROR, "glibc-thread: out of memory");
        return NULL;
    }
    asb_rng rng;
    asb_rng_seed(&rng, asb_seed(ctx) + (uint64_t)t->index);
    for (size_t i = 0; i < OFFSETS; i++) offsets[i] = (uint16_t)asb_rng_below(&rng, WORKING_SET);
    uint64_t iterations = 0, bytes = 0;
    while (!atomic_load_explicit(t->stop, memory_order_relaxed)) {
        size_t k = offsets[iterations % OFFSETS];
        if ((t->status = awl_block_free(ctx, &slots[k], GLIBC_THREAD, t->index, k)) != ASB_OK) break;
        size_t size = t->sizes[(iterations + (uint64_t)t->index * 977) % SIZES];
        if (!(slots[k].p = malloc(size))) {
            t->status = asb_fail(ctx, ASB_ERROR, "glibc-thread: malloc(%zu) returned NULL", size);
            break;
        }
        slots[k].size = size;
        slots[k].cookie = awl_cookie((uint64_t)t->index, iterations, 5);
        memset(slots[k].p, 0x5a, size);
        awl_mark(slots[k].p, size, slots[k].cookie);
        iterations++;
        bytes += size;
    }
    for (size_t k = 0; k < WORKING_SET && t->status == ASB_OK; k++)
        t->status = awl_block_free(ctx, &slots[k], GLIBC_THREAD, t->index, k);
    free(slots);
    free(offsets);
    asb_count(ctx, iterations, iterations, bytes);
    return NULL;
}

typedef struct gt_clock {
    asb_ctx *ctx;
    atomic_bool *stop;
} gt_clock;

static void *gt_clock_main(void *arg) {
    gt_clock *c = arg;
    awl_sleep(asb_param_f(c->ctx, "time"));
    atomic_store(c->stop, true);
    asb_thread_cpu_done(c->ctx);
    asb_timer_stop(c->ctx);
    return NULL;
}

static int gt_run(asb_ctx *ctx) {
    if (asb_param_f(ctx, "time") <= 0) return asb_fail(ctx, ASB_USAGE, "glibc-thread: need time > 0");
    int p = asb_threads(ctx);
    uint32_t *sizes = malloc(SIZES * sizeof *sizes);
    gt_thread *threads = calloc((size_t)p, sizeof *threads);
    if (!sizes || !threads) {
        free(sizes);
        free(threads);
        return asb_fail(ctx, ASB_ERROR, "glibc-thread: out of memory");
    }
    /* Inverse CDF of the density s^-2 on [4, 32768]. */
    asb_rng rng;
    asb_rng_seed(&rng, asb_seed(ctx));
    for (size_t i = 0; i < SIZES; i++) {
        double u = (double)(asb_rng_next(&rng) >> 11) / 9007199254740992.0;
        sizes[i] = (uint32_t)(1.0 / (1.0 / 4 - u * (1.0 / 4 - 1.0 / 32768)));
    }
    atomic_bool stop = false;
    for (int i = 0; i < p; i++) threads[i] = (gt_thread){.ctx = ctx, .sizes = sizes, .stop = &stop, .index = i};
    gt_clock clock = {.ctx = ctx, .stop = &stop};
    pthread_t clock_tid;
    int status = ASB_OK;
    asb_timer_start(ctx);
    if (pthread_create(&clock_tid, NULL, gt_clock_main, &clock) != 0) {
        status = asb_fail(ctx, ASB_ERROR, "glibc-thread: pthread_create failed");
    } else {
        status = awl_run_threads(ctx, GLIBC_THREAD, p, gt_thread_main, threads, sizeof *threads);
        pthread_join(clock_tid, NULL);
    }
    if (status == ASB_OK) status = awl_first_failure(threads, p, sizeof *threads, offsetof(gt_thread, status));
    free(sizes);
    free(threads);
    return status;
}

static const asb_param_def gt_params[] = {
    {"time", "2", "0.25", "seconds each of the P threads loops (fixed time)"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload glibc_thread = {
    .name = GLIBC_THREAD,
    .kind = "alloc",
    .stresses = "thread-local mixed sizes 4 B-32 KiB (power law, mostly small) in a 1024-block working set, "
                "every byte written",
    .params = gt_params,
    .work_param = "time",
    .run = gt_run,
};
ASB_REGISTER_WORKLOAD(glibc_thread)
