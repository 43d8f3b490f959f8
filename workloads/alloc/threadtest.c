/*
 * threadtest.c — Hoard's threadtest (after shared/reference/workloads.md):
 * each of P threads, `iterations` times, allocates objects/P blocks of `size`
 * bytes and then frees them all, optionally spinning `work` loop iterations
 * after each allocation and each free.
 *
 * One op = one malloc+free pair.  Every block is marked with a cookie
 * computed from (thread, iteration, index), so no cookie is stored, and is
 * checked before it is freed.
 */
#include <stdlib.h>

#include "alloc_util.h"

#define THREADTEST "threadtest"

typedef struct threadtest_thread {
    asb_ctx *ctx;
    int index;
    int status;
} threadtest_thread;

static void busy_work(int64_t n) {
    for (volatile int64_t i = 0; i < n; i++) {
    }
}

static void *threadtest_main(void *arg) {
    threadtest_thread *t = arg;
    asb_ctx *ctx = t->ctx;
    int64_t iterations = asb_param_i(ctx, "iterations"), work = asb_param_i(ctx, "work");
    size_t n = (size_t)(asb_param_i(ctx, "objects") / asb_threads(ctx));
    size_t size = (size_t)asb_param_i(ctx, "size");
    unsigned char **blocks = malloc((n ? n : 1) * sizeof *blocks);
    if (!blocks) {
        t->status = asb_fail(ctx, ASB_ERROR, "threadtest: out of memory for %zu pointers", n);
        return NULL;
    }
    uint64_t pairs = 0;
    for (int64_t it = 0; it < iterations && t->status == ASB_OK; it++) {
        size_t made = 0;
        for (; made < n; made++) {
            if (!(blocks[made] = malloc(size))) {
                t->status = asb_fail(ctx, ASB_ERROR, "threadtest: malloc(%zu) returned NULL", size);
                break;
            }
            awl_mark(blocks[made], size, awl_cookie((uint64_t)t->index, (uint64_t)it, made));
            busy_work(work);
        }
        for (size_t i = 0; i < made; i++) {
            if (t->status == ASB_OK && !awl_marked(blocks[i], size, awl_cookie((uint64_t)t->index, (uint64_t)it, i))) {
                t->status = asb_verify_fail(ctx, "threadtest: thread %d iteration %lld object %zu at %p (%zu B): "
                                            "cookie overwritten while live",
                                            t->index, (long long)it, i, (void *)blocks[i], size);
            }
            /* After a failure the rest leak: the heap is already corrupt. */
            if (t->status != ASB_OK) break;
            free(blocks[i]);
            busy_work(work);
        }
        pairs += made;
    }
    free(blocks);
    asb_count(ctx, pairs, pairs, pairs * size);
    return NULL;
}

static int threadtest_run(asb_ctx *ctx) {
    int p = asb_threads(ctx);
    if (asb_param_i(ctx, "iterations") < 0 || asb_param_i(ctx, "objects") < p || asb_param_i(ctx, "size") < 1 ||
        asb_param_i(ctx, "work") < 0)
        return asb_fail(ctx, ASB_USAGE, "threadtest: need iterations >= 0, objects >= threads, size >= 1, work >= 0");
    threadtest_thread *threads = calloc((size_t)p, sizeof *threads);
    if (!threads) return asb_fail(ctx, ASB_ERROR, "threadtest: out of memory");
    for (int i = 0; i < p; i++) threads[i] = (threadtest_thread){.ctx = ctx, .index = i};
    asb_timer_start(ctx);
    int status = awl_run_threads(ctx, THREADTEST, p, threadtest_main, threads, sizeof *threads);
    asb_timer_stop(ctx);
    if (status == ASB_OK)
        status = awl_first_failure(threads, p, sizeof *threads, offsetof(threadtest_thread, status));
    free(threads);
    return status;
}

static const asb_param_def threadtest_params[] = {
    {"iterations", "1000", "200", "rounds of allocate-all then free-all per thread"},
    {"objects", "10000", NULL, "blocks per round over all threads (each of P threads holds objects/P)"},
    {"work", "0", NULL, "busy-loop iterations after each malloc and each free"},
    {"size", "8", NULL, "block size in bytes"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload threadtest = {
    .name = THREADTEST,
    .kind = "alloc",
    .stresses = "thread-local caches and scaling: bursts of same-size allocations, then bursts of frees",
    .params = threadtest_params,
    .work_param = "iterations",
    .run = threadtest_run,
};
ASB_REGISTER_WORKLOAD(threadtest)
