/*
 * churn.c — size-class churn: each thread keeps `slots` live blocks of random
 * sizes in [min, max] and, `iters` times, frees a random slot and allocates a
 * new block in it.  The steady state exercises the allocator's small-object
 * fast paths (thread cache hit, free to the owning thread's cache) with a
 * bounded live set, so peak RSS measures per-size-class overhead.
 *
 * Verification: every block carries a cookie derived from its slot and
 * generation in its first word and a tag in its last byte; both are checked
 * before the block is freed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../workload.h"

typedef struct churn_slot {
    unsigned char *p;
    size_t size;
    uint64_t cookie;
} churn_slot;

typedef struct churn_thread {
    asb_ctx *ctx;
    int index;
    int status;
    pthread_t tid;
} churn_thread;

static uint64_t churn_cookie(int thread, size_t slot, uint64_t gen) {
    return 0xc4ceb9fe1a85ec53ull ^ ((uint64_t)thread << 48) ^ ((uint64_t)slot << 24) ^ gen;
}

/* Writes the cookie (first word, or what fits of it) and the last-byte tag. */
static void churn_mark(churn_slot *s) {
    memcpy(s->p, &s->cookie, s->size < 8 ? s->size : 8);
    s->p[s->size - 1] = (unsigned char)(s->cookie >> 56);
}

static int churn_check(asb_ctx *ctx, const churn_slot *s, int thread, size_t slot) {
    uint64_t got = 0;
    memcpy(&got, s->p, s->size < 8 ? s->size : 8);
    uint64_t mask = s->size < 8 ? (1ull << (8 * s->size)) - 1 : ~0ull;
    if ((got & mask) != (s->cookie & mask) || s->p[s->size - 1] != (unsigned char)(s->cookie >> 56))
        return asb_verify_fail(ctx, "churn: thread %d slot %zu block %p (%zu B): cookie overwritten",
                               thread, slot, (void *)s->p, s->size);
    return ASB_OK;
}

static void *churn_thread_main(void *arg) {
    churn_thread *t = arg;
    asb_ctx *ctx = t->ctx;
    size_t min = (size_t)asb_param_i(ctx, "min"), max = (size_t)asb_param_i(ctx, "max");
    size_t nslots = (size_t)asb_param_i(ctx, "slots");
    int64_t iters = asb_param_i(ctx, "iters");
    churn_slot *slots = calloc(nslots, sizeof *slots);
    if (!slots) {
        t->status = asb_fail(ctx, ASB_ERROR, "churn: out of memory for %zu slots", nslots);
        return NULL;
    }
    asb_rng rng;
    asb_rng_seed(&rng, asb_seed(ctx) + (uint64_t)t->index * 7919);
    uint64_t allocs = 0, bytes = 0;
    t->status = ASB_OK;
    for (int64_t i = 0; i < iters && t->status == ASB_OK; i++) {
        size_t k = (size_t)asb_rng_below(&rng, nslots);
        churn_slot *s = &slots[k];
        if (s->p) {
            if ((t->status = churn_check(ctx, s, t->index, k)) != ASB_OK) break;
            free(s->p);
        }
        s->size = min + (size_t)asb_rng_below(&rng, max - min + 1);
        s->p = malloc(s->size);
        if (!s->p) {
            t->status = asb_fail(ctx, ASB_ERROR, "churn: malloc(%zu) returned NULL", s->size);
            break;
        }
        s->cookie = churn_cookie(t->index, k, (uint64_t)i);
        churn_mark(s);
        allocs++;
        bytes += s->size;
    }
    for (size_t k = 0; k < nslots; k++) {
        if (!slots[k].p) continue;
        if (t->status == ASB_OK) t->status = churn_check(ctx, &slots[k], t->index, k);
        free(slots[k].p);
    }
    free(slots);
    /* One op = one free+malloc step; the final frees are not counted as ops. */
    asb_count(ctx, (uint64_t)iters, allocs, bytes);
    return NULL;
}

static int churn_run(asb_ctx *ctx) {
    if (asb_param_i(ctx, "min") < 1 || asb_param_i(ctx, "max") < asb_param_i(ctx, "min"))
        return asb_fail(ctx, ASB_USAGE, "churn: need 1 <= min <= max");
    if (asb_param_i(ctx, "slots") < 1 || asb_param_i(ctx, "iters") < 0)
        return asb_fail(ctx, ASB_USAGE, "churn: need slots >= 1 and iters >= 0");
    int n = asb_threads(ctx);
    churn_thread *threads = calloc((size_t)n, sizeof *threads);
    if (!threads) return asb_fail(ctx, ASB_ERROR, "churn: out of memory");
    int status = ASB_OK, started = 0;
    asb_timer_start(ctx);
    for (; started < n; started++) {
        threads[started] = (churn_thread){.ctx = ctx, .index = started};
        if (pthread_create(&threads[started].tid, NULL, churn_thread_main, &threads[started]) != 0) {
            status = asb_fail(ctx, ASB_ERROR, "churn: pthread_create failed");
            break;
        }
    }
    for (int i = 0; i < started; i++) pthread_join(threads[i].tid, NULL);
    asb_timer_stop(ctx);
    for (int i = 0; i < started && status == ASB_OK; i++) status = threads[i].status;
    free(threads);
    return status;
}

static const asb_param_def churn_params[] = {
    {"min", "8", NULL, "smallest block size in bytes"},
    {"max", "256", NULL, "largest block size in bytes"},
    {"slots", "1000", NULL, "live blocks per thread"},
    {"iters", "5000000", "500000", "free+malloc steps per thread"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload churn = {
    .name = "churn",
    .kind = "alloc",
    .stresses = "small-object fast paths with a bounded live set (thread-cache hit rate, per-class RSS)",
    .params = churn_params,
    .run = churn_run,
};
ASB_REGISTER_WORKLOAD(churn)
