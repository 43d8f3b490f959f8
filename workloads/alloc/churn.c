/*
 * churn.c — size-class churn: each thread keeps `slots` live blocks of random
 * sizes in [min, max] and, `iters` times, frees a random slot and allocates a
 * new block in it.  The steady state exercises the allocator's small-object
 * fast paths (thread cache hit, free to the owning thread's cache) with a
 * bounded live set, so peak RSS measures per-size-class overhead.
 *
 * With keep_live=1 the final frees are skipped: every thread's slots stay
 * live after run() returns (until the worker exits or the next run), so the
 * backend's native figures, read after the run, describe a known live set
 * (reported as live_bytes, the requested bytes) in its steady-state spans:
 * fragmentation inside spans after churn, set against the real Go heap's.
 *
 * Verification: every block carries a cookie derived from its slot and
 * generation in its first word and a tag in its last byte (alloc_util.h);
 * both are checked before the block is freed or kept.
 */
#include <stdlib.h>

#include "alloc_util.h"

typedef struct churn_thread {
    asb_ctx *ctx;
    int index;
    int status;
    awl_block *kept; /* keep_live=1: the slots, handed to churn_kept */
    uint64_t kept_bytes;
} churn_thread;

/* keep_live=1's blocks, reachable until the next run frees them (or the
 * worker exits), so leak checkers see them as live on purpose. */
static struct {
    awl_block **slots; /* one array of `nslots` per thread */
    int nthreads;
    size_t nslots;
} churn_kept;

static void churn_free_kept(void) {
    for (int i = 0; i < churn_kept.nthreads; i++) {
        for (size_t k = 0; churn_kept.slots[i] && k < churn_kept.nslots; k++) free(churn_kept.slots[i][k].p);
        free(churn_kept.slots[i]);
    }
    free(churn_kept.slots);
    churn_kept.slots = NULL;
    churn_kept.nthreads = 0;
}

static void *churn_thread_main(void *arg) {
    churn_thread *t = arg;
    asb_ctx *ctx = t->ctx;
    size_t min = (size_t)asb_param_i(ctx, "min"), max = (size_t)asb_param_i(ctx, "max");
    size_t nslots = (size_t)asb_param_i(ctx, "slots");
    int64_t iters = asb_param_i(ctx, "iters");
    awl_block *slots = calloc(nslots, sizeof *slots);
    if (!slots) {
        t->status = asb_fail(ctx, ASB_ERROR, "churn: out of memory for %zu slots", nslots);
        return NULL;
    }
    asb_rng rng;
    asb_rng_seed(&rng, asb_seed(ctx) + (uint64_t)t->index * 7919);
    uint64_t allocs = 0, bytes = 0;
    for (int64_t i = 0; i < iters && t->status == ASB_OK; i++) {
        size_t k = (size_t)asb_rng_below(&rng, nslots);
        if ((t->status = awl_block_free(ctx, &slots[k], "churn", t->index, k)) != ASB_OK) break;
        size_t size = min + (size_t)asb_rng_below(&rng, max - min + 1);
        if (!awl_block_new(&slots[k], size, awl_cookie((uint64_t)t->index, k, (uint64_t)i))) {
            t->status = asb_fail(ctx, ASB_ERROR, "churn: malloc(%zu) returned NULL", size);
            break;
        }
        allocs++;
        bytes += size;
    }
    if (asb_param_i(ctx, "keep_live")) {
        for (size_t k = 0; k < nslots && t->status == ASB_OK; k++) {
            if (slots[k].p && !awl_marked(slots[k].p, slots[k].size, slots[k].cookie))
                t->status = asb_verify_fail(ctx, "churn: thread %d object %zu at %p (%zu B): cookie overwritten "
                                            "while live", t->index, k, (void *)slots[k].p, slots[k].size);
            t->kept_bytes += slots[k].p ? slots[k].size : 0;
        }
        t->kept = slots; /* the blocks stay allocated (churn_kept) */
    } else {
        for (size_t k = 0; k < nslots && t->status == ASB_OK; k++)
            t->status = awl_block_free(ctx, &slots[k], "churn", t->index, k);
        free(slots);
    }
    /* One op = one free+malloc step; the final frees are not counted as ops. */
    asb_count(ctx, (uint64_t)iters, allocs, bytes);
    return NULL;
}

static int churn_run(asb_ctx *ctx) {
    if (asb_param_i(ctx, "min") < 1 || asb_param_i(ctx, "max") < asb_param_i(ctx, "min"))
        return asb_fail(ctx, ASB_USAGE, "churn: need 1 <= min <= max");
    if (asb_param_i(ctx, "slots") < 1 || asb_param_i(ctx, "iters") < 0)
        return asb_fail(ctx, ASB_USAGE, "churn: need slots >= 1 and iters >= 0");
    int64_t keep_live = asb_param_i(ctx, "keep_live");
    if (keep_live != 0 && keep_live != 1) return asb_fail(ctx, ASB_USAGE, "churn: keep_live must be 0 or 1");
    churn_free_kept();
    int n = asb_threads(ctx);
    churn_thread *threads = calloc((size_t)n, sizeof *threads);
    if (!threads) return asb_fail(ctx, ASB_ERROR, "churn: out of memory");
    for (int i = 0; i < n; i++) threads[i] = (churn_thread){.ctx = ctx, .index = i};
    asb_timer_start(ctx);
    int status = awl_run_threads(ctx, "churn", n, churn_thread_main, threads, sizeof *threads);
    asb_timer_stop(ctx);
    if (status == ASB_OK) status = awl_first_failure(threads, n, sizeof *threads, offsetof(churn_thread, status));
    uint64_t live = 0;
    if (keep_live && (churn_kept.slots = calloc((size_t)n, sizeof *churn_kept.slots))) {
        churn_kept.nthreads = n;
        churn_kept.nslots = (size_t)asb_param_i(ctx, "slots");
        for (int i = 0; i < n; i++) {
            churn_kept.slots[i] = threads[i].kept;
            live += threads[i].kept_bytes;
        }
    } else if (keep_live && status == ASB_OK) {
        status = asb_fail(ctx, ASB_ERROR, "churn: out of memory for the kept slots");
    }
    if (status == ASB_OK) asb_report(ctx, "live_bytes", (double)live);
    free(threads);
    return status;
}

static const asb_param_def churn_params[] = {
    {"min", "8", NULL, "smallest block size in bytes"},
    {"max", "256", NULL, "largest block size in bytes"},
    {"slots", "1000", NULL, "live blocks per thread"},
    {"iters", "5000000", "500000", "free+malloc steps per thread"},
    {"keep_live", "0", NULL, "1 = leave every slot's block live after the run (native figures then show the live set)"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload churn = {
    .name = "churn",
    .kind = "alloc",
    .stresses = "small-object fast paths with a bounded live set (thread-cache hit rate, per-class RSS)",
    .params = churn_params,
    .work_param = "iters",
    .run = churn_run,
};
ASB_REGISTER_WORKLOAD(churn)
