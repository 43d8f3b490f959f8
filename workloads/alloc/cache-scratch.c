/*
 * cache-scratch.c — Hoard's cache-scratch (passive false sharing), after
 * shared/reference/workloads.md, and the loop it shares with cache-thrash.
 *
 * The main thread allocates P tiny objects back to back and hands one to each
 * thread; each thread frees its object and then, `iterations` times,
 * allocates objsize bytes, writes every byte reps/P times and frees it.  An
 * allocator that reuses the handed-off memory for the thread's own objects
 * places the threads' hot objects on one cache line (passive false sharing);
 * the ideal speedup with P threads is P.
 *
 * One op = one allocate-write-free iteration.  Checks: each handed-off
 * object's cookie before its free; each loop object's bytes, which must hold
 * their initial pattern plus reps/P increments before the free.
 */
#include <stdlib.h>

#include "alloc_util.h"

typedef struct cache_thread {
    asb_ctx *ctx;
    const char *workload;
    int index;
    int status;
    awl_block handed; /* p is NULL without hand-off */
} cache_thread;

static void *cache_thread_main(void *arg) {
    cache_thread *t = arg;
    asb_ctx *ctx = t->ctx;
    if ((t->status = awl_block_free(ctx, &t->handed, t->workload, t->index, 0)) != ASB_OK) return NULL;
    int64_t iterations = asb_param_i(ctx, "iterations");
    size_t size = (size_t)asb_param_i(ctx, "objsize");
    int64_t writes = asb_param_i(ctx, "reps") / asb_threads(ctx);
    for (int64_t it = 0; it < iterations; it++) {
        volatile unsigned char *p = malloc(size);
        if (!p) {
            t->status = asb_fail(ctx, ASB_ERROR, "%s: malloc(%zu) returned NULL", t->workload, size);
            break;
        }
        unsigned char pattern = (unsigned char)awl_cookie((uint64_t)t->index, (uint64_t)it, 0);
        for (size_t k = 0; k < size; k++) p[k] = (unsigned char)(pattern + k);
        for (int64_t r = 0; r < writes; r++)
            for (size_t k = 0; k < size; k++) p[k]++;
        for (size_t k = 0; k < size; k++)
            if (p[k] != (unsigned char)(pattern + k + (uint64_t)writes)) {
                t->status = asb_verify_fail(ctx, "%s: thread %d iteration %lld object %p byte %zu: "
                                            "changed by someone else while live",
                                            t->workload, t->index, (long long)it, (void *)p, k);
                break;
            }
        if (t->status != ASB_OK) break; /* the object leaks: the heap is corrupt */
        free((void *)p);
        asb_count(ctx, 1, 1, size);
    }
    return NULL;
}

int awl_cache_sharing_run(asb_ctx *ctx, const char *workload, bool handoff) {
    if (asb_param_i(ctx, "iterations") < 0 || asb_param_i(ctx, "objsize") < 1 || asb_param_i(ctx, "reps") < 0)
        return asb_fail(ctx, ASB_USAGE, "%s: need iterations >= 0, objsize >= 1, reps >= 0", workload);
    int p = asb_threads(ctx);
    size_t size = (size_t)asb_param_i(ctx, "objsize");
    cache_thread *threads = calloc((size_t)p, sizeof *threads);
    if (!threads) return asb_fail(ctx, ASB_ERROR, "%s: out of memory", workload);
    int status = ASB_OK;
    for (int i = 0; i < p; i++) {
        threads[i] = (cache_thread){.ctx = ctx, .workload = workload, .index = i};
        if (handoff && !awl_block_new(&threads[i].handed, size, awl_cookie(UINT64_MAX, (uint64_t)i, 0))) {
            status = asb_fail(ctx, ASB_ERROR, "%s: malloc(%zu) returned NULL", workload, size);
            break;
        }
    }
    if (status == ASB_OK) {
        asb_timer_start(ctx);
        status = awl_run_threads(ctx, workload, p, cache_thread_main, threads, sizeof *threads);
        asb_timer_stop(ctx);
    }
    if (status == ASB_OK) status = awl_first_failure(threads, p, sizeof *threads, offsetof(cache_thread, status));
    free(threads);
    return status;
}

static int cache_scratch_run(asb_ctx *ctx) { return awl_cache_sharing_run(ctx, "cache-scratch", true); }

static const asb_param_def cache_scratch_params[] = {
    {"iterations", "1000", "100", "allocate-write-free iterations per thread"},
    {"objsize", "1", NULL, "object size in bytes"},
    {"reps", "2000000", "200000", "writes of every byte per object, divided among the P threads"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload cache_scratch = {
    .name = "cache-scratch",
    .kind = "alloc",
    .stresses = "passive false sharing: threads reuse tiny objects freed from one cache line the main thread filled",
    .params = cache_scratch_params,
    .work_param = "iterations",
    .run = cache_scratch_run,
};
ASB_REGISTER_WORKLOAD(cache_scratch)
