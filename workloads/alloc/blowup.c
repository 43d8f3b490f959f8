/*
 * blowup.c — memory reuse across threads (after allocbench's blowup in
 * shared/reference/workloads.md).  `threads` threads (10 by default,
 * independent of --threads) run one after another.  Each allocates blocks of
 * random sizes up to max_size until `live_mib` MiB are live, does `churn`
 * random replacements, frees everything and exits.  The live data never
 * exceeds live_mib (reported as ideal_peak_bytes); an allocator that cannot
 * reuse memory a finished thread freed grows its peak RSS with every thread.
 *
 * One op = one allocation (fill or churn).  Every block is marked and checked
 * before its free.
 */
#include <stdlib.h>

#include "alloc_util.h"

#define BLOWUP "blowup"

typedef struct blowup_thread {
    asb_ctx *ctx;
    int index;
    int status;
    uint64_t peak_live;
} blowup_thread;

static void *blowup_thread_main(void *arg) {
    blowup_thread *t = arg;
    asb_ctx *ctx = t->ctx;
    size_t live_target = (size_t)asb_param_i(ctx, "live_mib") << 20, max = (size_t)asb_param_i(ctx, "max_size");
    int64_t churn = asb_param_i(ctx, "churn");
    /* Mean size is max/2: reserve twice the expected count, grow if needed. */
    size_t cap = 4 * live_target / (max + 1) + 16, n = 0, live = 0;
    awl_block *blocks = malloc(cap * sizeof *blocks);
    asb_rng rng;
    asb_rng_seed(&rng, asb_seed(ctx) + (uint64_t)t->index);
    uint64_t allocs = 0, bytes = 0;
    while (blocks && live < live_target && t->status == ASB_OK) {
        if (n == cap) {
            awl_block *grown = realloc(blocks, 2 * cap * sizeof *blocks);
            if (!grown) break;
            blocks = grown;
            cap *= 2;
        }
        size_t size = 1 + (size_t)asb_rng_below(&rng, max);
        if (!awl_block_new(&blocks[n], size, awl_cookie((uint64_t)t->index, allocs, 3))) {
            t->status = asb_fail(ctx, ASB_ERROR, "blowup: malloc(%zu) returned NULL", size);
            break;
        }
        n++;
        live += size;
        asb_live_add(ctx, t->index, (int64_t)size);
        allocs++;
        bytes += size;
    }
    if (!blocks || (live < live_target && t->status == ASB_OK))
        t->status = asb_fail(ctx, ASB_ERROR, "blowup: out of memory for the block table");
    t->peak_live = live;
    for (int64_t i = 0; i < churn && t->status == ASB_OK; i++) {
        size_t k = (size_t)asb_rng_below(&rng, n);
        live -= blocks[k].size;
        asb_live_add(ctx, t->index, -(int64_t)blocks[k].size);
        if ((t->status = awl_block_free(ctx, &blocks[k], BLOWUP, t->index, k)) != ASB_OK) break;
        size_t size = 1 + (size_t)asb_rng_below(&rng, max);
        if (!awl_block_new(&blocks[k], size, awl_cookie((uint64_t)t->index, allocs, 3))) {
            t->status = asb_fail(ctx, ASB_ERROR, "blowup: malloc(%zu) returned NULL", size);
            break;
        }
        live += size;
        asb_live_add(ctx, t->index, (int64_t)size);
        if (live > t->peak_live) t->peak_live = live;
        allocs++;
        bytes += size;
    }
    for (size_t k = 0; k < n && t->status == ASB_OK; k++) {
        t->status = awl_block_free(ctx, &blocks[k], BLOWUP, t->index, k);
        asb_live_add(ctx, t->index, -(int64_t)blocks[k].size);
    }
    free(blocks);
    asb_count(ctx, allocs, allocs, bytes);
    return NULL;
}

static int blowup_run(asb_ctx *ctx) {
    int64_t nthreads = asb_param_i(ctx, "threads");
    if (nthreads < 1 || asb_param_i(ctx, "live_mib") < 1 || asb_param_i(ctx, "churn") < 0 ||
        asb_param_i(ctx, "max_size") < 1)
        return asb_fail(ctx, ASB_USAGE, "blowup: need threads >= 1, live_mib >= 1, churn >= 0, max_size >= 1");
    int status = ASB_OK;
    uint64_t peak = 0;
    asb_live_track(ctx);
    asb_timer_start(ctx);
    for (int64_t i = 0; i < nthreads && status == ASB_OK; i++) {
        blowup_thread t = {.ctx = ctx, .index = (int)i};
        status = awl_run_threads(ctx, BLOWUP, 1, blowup_thread_main, &t, sizeof t);
        if (status == ASB_OK) status = t.status;
        if (t.peak_live > peak) peak = t.peak_live;
    }
    asb_timer_stop(ctx);
    asb_report(ctx, "ideal_peak_bytes", (double)peak);
    return status;
}

static const asb_param_def blowup_params[] = {
    {"threads", "10", NULL, "threads run one after another (fixed, not --threads)"},
    {"live_mib", "100", "8", "live data each thread builds up, in MiB"},
    {"churn", "100000", "10000", "random replacements each thread makes once its live data is built"},
    {"max_size", "16384", NULL, "block sizes are uniform in [1, max_size]"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload blowup = {
    .name = BLOWUP,
    .kind = "alloc",
    .stresses = "memory reuse across threads: each of a sequence of threads frees all it made before the next "
                "starts; peak RSS against ideal_peak_bytes",
    .params = blowup_params,
    .work_param = "churn",
    .run = blowup_run,
};
ASB_REGISTER_WORKLOAD(blowup)
