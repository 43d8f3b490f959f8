/*
 * alloc-test.c — the alloc-test workload of shared/reference/workloads.md
 * (realistic skewed reuse).  `slots` slots are split evenly over P threads.
 * Sizes lie in (2^k, 2^(k+1)] for k = 2..9, each larger k half as likely as
 * the one before.  Setup (untimed) fills each slot with probability ½.  Then
 * each thread does `ops` steps: pick a slot with a Pareto 80/20 rule applied
 * over 7 nested index ranges (80% of picks land in the first fifth of the
 * range, recursively); if occupied, read every byte of the block and free
 * it, else allocate a block and write every byte.
 *
 * One op = one step (a free or an allocation, so allocs/op is about ½).
 * Every byte read before a free is checked: the first word holds the block's
 * cookie and every other byte the cookie's top byte.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc_util.h"

#define ALLOC_TEST "alloc-test"

typedef struct at_thread {
    asb_ctx *ctx;
    int index;
    int status;
} at_thread;

static size_t at_size(asb_rng *rng) {
    int k = 2;
    while (k < 9 && asb_rng_below(rng, 2) == 0) k++; /* P(k) halves with each larger k */
    size_t lo = (size_t)1 << k;
    return lo + 1 + (size_t)asb_rng_below(rng, lo);
}

static size_t at_pick(asb_rng *rng, size_t n) {
    size_t lo = 0;
    for (int level = 0; level < 7 && n >= 5; level++) {
        if (asb_rng_below(rng, 5) < 4) {
            n /= 5; /* the hot fifth */
        } else {
            lo += n / 5; /* the cold four fifths */
            n -= n / 5;
            break;
        }
    }
    return lo + (size_t)asb_rng_below(rng, n);
}

static bool at_new(awl_block *b, size_t size, uint64_t cookie) {
    if (!(b->p = malloc(size))) return false;
    b->size = size;
    b->cookie = cookie;
    memset(b->p, (int)(cookie >> 56), size);
    awl_mark(b->p, size, cookie);
    return true;
}

static int at_free(asb_ctx *ctx, awl_block *b, int thread, size_t index) {
    unsigned char fill = (unsigned char)(b->cookie >> 56), seen = fill;
    for (size_t i = 8; i < b->size; i++) seen |= (unsigned char)(b->p[i] ^ fill);
    if (seen != fill)
        return asb_verify_fail(ctx, "alloc-test: thread %d slot %zu at %p (%zu B): contents changed while live",
                               thread, index, (void *)b->p, b->size);
    return awl_block_free(ctx, b, ALLOC_TEST, thread, index);
}

static void *at_thread_main(void *arg) {
    at_thread *t = arg;
    asb_ctx *ctx = t->ctx;
    size_t n = (size_t)(asb_param_i(ctx, "slots") / asb_threads(ctx));
    int64_t ops = asb_param_i(ctx, "ops");
    awl_block *slots = calloc(n, sizeof *slots);
    if (!slots) {
        t->status = asb_fail(ctx, ASB_ERROR, "alloc-test: out of memory for %zu slots", n);
        return NULL;
    }
    asb_rng rng;
    asb_rng_seed(&rng, (uint64_t)asb_param_i(ctx, "seed") + (uint64_t)t->index);
    uint64_t serial = 0, allocs = 0, bytes = 0;
    for (size_t i = 0; i < n && t->status == ASB_OK; i++)
        if (asb_rng_below(&rng, 2) && !at_new(&slots[i], at_size(&rng), awl_cookie((uint64_t)t->index, serial++, 0)))
            t->status = asb_fail(ctx, ASB_ERROR, "alloc-test: malloc returned NULL");
    int64_t done = 0;
    for (; done < ops && t->status == ASB_OK; done++) {
        size_t k = at_pick(&rng, n);
        if (slots[k].p) {
            t->status = at_free(ctx, &slots[k], t->index, k);
        } else {
            size_t size = at_size(&rng);
            if (!at_new(&slots[k], size, awl_cookie((uint64_t)t->index, serial++, 0)))
                t->status = asb_fail(ctx, ASB_ERROR, "alloc-test: malloc(%zu) returned NULL", size);
            allocs++;
            bytes += size;
        }
    }
    for (size_t i = 0; i < n && t->status == ASB_OK; i++)
        if (slots[i].p) t->status = at_free(ctx, &slots[i], t->index, i);
    free(slots);
    asb_count(ctx, (uint64_t)done, allocs, bytes);
    return NULL;
}

static int at_run(asb_ctx *ctx) {
    int p = asb_threads(ctx);
    if (asb_param_i(ctx, "slots") < p || asb_param_i(ctx, "ops") < 0)
        return asb_fail(ctx, ASB_USAGE, "alloc-test: need slots >= threads and ops >= 0");
    at_thread *threads = calloc((size_t)p, sizeof *threads);
    if (!threads) return asb_fail(ctx, ASB_ERROR, "alloc-test: out of memory");
    for (int i = 0; i < p; i++) threads[i] = (at_thread){.ctx = ctx, .index = i};
    /* The timer covers setup too: each thread fills its own slots first. */
    asb_timer_start(ctx);
    int status = awl_run_threads(ctx, ALLOC_TEST, p, at_thread_main, threads, sizeof *threads);
    asb_timer_stop(ctx);
    if (status == ASB_OK) status = awl_first_failure(threads, p, sizeof *threads, offsetof(at_thread, status));
    free(threads);
    return status;
}

static const asb_param_def at_params[] = {
    {"slots", "262144", "16384", "slots over all threads (2^18), split evenly"},
    {"ops", "100000000", "2000000", "steps per thread (reference: 1e8; run it with 1 and min(P,16) threads)"},
    {"seed", "41", NULL, "random seed"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload alloc_test = {
    .name = ALLOC_TEST,
    .kind = "alloc",
    .stresses = "realistic skewed reuse: Pareto-distributed slot choice, sizes 5 B-1 KiB favouring small, "
                "every byte written and read",
    .params = at_params,
    .work_param = "ops",
    .run = at_run,
};
ASB_REGISTER_WORKLOAD(alloc_test)
