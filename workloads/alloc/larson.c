/*
 * larson.c — Larson & Krishnan's server simulation (after the algorithm in
 * shared/reference/workloads.md).  The main thread fills P×chunks slots with
 * blocks of random sizes in [min, max), shuffles them and churns them
 * (4×P×chunks random replacements, untimed), then hands `chunks` slots to
 * each of P workers.  A worker replaces random slots (check, free, allocate a
 * random size, mark) rounds×chunks times; then it starts a successor thread
 * that inherits its slots and exits ("bleeding": the successor frees blocks
 * that a dead thread allocated).  The main thread sleeps `sleep` seconds and
 * raises a stop flag.
 *
 * One op = one replacement (free + malloc).  Fixed time: ops are those done
 * while the clock ran, so ns/op = run time / replacements.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "alloc_util.h"

#define LARSON "larson"

typedef struct larson_chain {
    asb_ctx *ctx;
    int index;
    int status;
    awl_block *slots;
    size_t nslots;
    size_t min, max;
    uint64_t steps_per_thread;
    uint64_t generation; /* threads this chain has run so far */
    uint64_t ops, bytes;
    asb_rng rng;
    atomic_bool *stop;
    atomic_int *live_chains;
} larson_chain;

static size_t larson_size(larson_chain *c) {
    return c->min + (size_t)asb_rng_below(&c->rng, c->max - c->min);
}

/* Check, free and reallocate slot k. */
static int larson_replace(larson_chain *c, size_t k) {
    awl_block *b = &c->slots[k];
    int status = awl_block_free(c->ctx, b, LARSON, c->index, k);
    if (status != ASB_OK) return status;
    size_t size = larson_size(c);
    uint64_t cookie = awl_cookie((uint64_t)c->index, k, c->ops);
    if (!awl_block_new(b, size, cookie))
        return asb_fail(c->ctx, ASB_ERROR, "larson: malloc(%zu) returned NULL", size);
    c->ops++;
    c->bytes += size;
    return ASB_OK;
}

static void *larson_worker(void *arg) {
    larson_chain *c = arg;
    c->generation++;
    for (uint64_t step = 0; step < c->steps_per_thread; step++) {
        if (atomic_load_explicit(c->stop, memory_order_relaxed)) goto chain_done;
        c->status = larson_replace(c, (size_t)asb_rng_below(&c->rng, c->nslots));
        if (c->status != ASB_OK) goto chain_done;
    }
    /* Quota done: a successor inherits the slots.  Threads are detached, so
     * the chain's end is signalled through live_chains. */
    pthread_t next;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&next, &attr, larson_worker, c) == 0) {
        pthread_attr_destroy(&attr);
        asb_thread_cpu_done(c->ctx);
        return NULL;
    }
    pthread_attr_destroy(&attr);
    c->status = asb_fail(c->ctx, ASB_ERROR, "larson: chain %d could not start its successor", c->index);
chain_done:
    /* Before the chain's end is signalled, so the main thread's timer stop
     * sees this thread's CPU time. */
    asb_thread_cpu_done(c->ctx);
    atomic_fetch_sub_explicit(c->live_chains, 1, memory_order_release);
    return NULL;
}

static int larson_run(asb_ctx *ctx) {
    double run_s = asb_param_f(ctx, "sleep");
    int64_t min = asb_param_i(ctx, "min"), max = asb_param_i(ctx, "max");
    int64_t chunks = asb_param_i(ctx, "chunks"), rounds = asb_param_i(ctx, "rounds");
    if (run_s <= 0 || min < 1 || max <= min || chunks < 1 || rounds < 1)
        return asb_fail(ctx, ASB_USAGE, "larson: need sleep > 0, 1 <= min < max, chunks >= 1, rounds >= 1");
    int p = asb_threads(ctx);
    size_t total = (size_t)p * (size_t)chunks;
    awl_block *slots = calloc(total, sizeof *slots);
    larson_chain *chains = calloc((size_t)p, sizeof *chains);
    if (!slots || !chains) {
        free(slots);
        free(chains);
        return asb_fail(ctx, ASB_ERROR, "larson: out of memory for %zu slots", total);
    }
    atomic_bool stop = false;
    atomic_int live_chains = 0;

    /* Setup on the main thread (untimed): fill, shuffle, churn 4×P×C. */
    larson_chain setup = {.ctx = ctx, .index = -1, .slots = slots, .nslots = total, .min = (size_t)min,
                          .max = (size_t)max};
    asb_rng_seed(&setup.rng, (uint64_t)asb_param_i(ctx, "seed"));
    int status = ASB_OK;
    for (size_t k = 0; k < total && status == ASB_OK; k++) status = larson_replace(&setup, k);
    for (size_t k = total; k > 1; k--) {
        size_t j = (size_t)asb_rng_below(&setup.rng, k);
        awl_block t = slots[k - 1];
        slots[k - 1] = slots[j];
        slots[j] = t;
    }
    /* Shuffled blocks keep the cookies of their old index: re-mark in place. */
    for (size_t k = 0; k < total; k++) {
        slots[k].cookie = awl_cookie(UINT64_MAX, k, 0);
        awl_mark(slots[k].p, slots[k].size, slots[k].cookie);
    }
    for (size_t i = 0; i < 4 * total && status == ASB_OK; i++)
        status = larson_replace(&setup, (size_t)asb_rng_below(&setup.rng, total));

    if (status == ASB_OK) {
        asb_timer_start(ctx);
        for (int i = 0; i < p; i++) {
            chains[i] = (larson_chain){.ctx = ctx, .index = i, .slots = slots + (size_t)i * (size_t)chunks,
                                       .nslots = (size_t)chunks, .min = (size_t)min, .max = (size_t)max,
                                       .steps_per_thread = (uint64_t)rounds * (uint64_t)chunks,
                                       .stop = &stop, .live_chains = &live_chains};
            asb_rng_seed(&chains[i].rng, (uint64_t)asb_param_i(ctx, "seed") + 1 + (uint64_t)i);
            atomic_fetch_add(&live_chains, 1);
            pthread_t tid;
            pthread_attr_t attr;
            pthread_attr_init(&attr);
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            if (pthread_create(&tid, &attr, larson_worker, &chains[i]) != 0) {
                atomic_fetch_sub(&live_chains, 1);
                status = asb_fail(ctx, ASB_ERROR, "larson: pthread_create failed for worker %d", i);
            }
            pthread_attr_destroy(&attr);
            if (status != ASB_OK) break;
        }
        if (status == ASB_OK) awl_sleep(run_s);
        atomic_store(&stop, true);
        while (atomic_load_explicit(&live_chains, memory_order_acquire) > 0) awl_sleep(0.0005);
        asb_timer_stop(ctx);
    }

    uint64_t ops = 0, bytes = 0, threads_run = 0;
    for (int i = 0; i < p; i++) {
        if (status == ASB_OK) status = chains[i].status;
        ops += chains[i].ops;
        bytes += chains[i].bytes;
        threads_run += chains[i].generation;
    }
    for (size_t k = 0; k < total; k++) {
        int s = awl_block_free(ctx, &slots[k], LARSON, (int)(k / (size_t)chunks), k);
        if (status == ASB_OK) status = s;
    }
    free(slots);
    free(chains);
    asb_count(ctx, ops, ops, bytes);
    asb_report(ctx, "threads_run", (double)threads_run);
    return status;
}

static const asb_param_def larson_params[] = {
    {"sleep", "5", "0.25", "seconds the workers run (fixed time)"},
    {"min", "8", NULL, "smallest block size in bytes"},
    {"max", "1000", NULL, "block sizes are drawn from [min, max)"},
    {"chunks", "5000", "1000", "slots per worker thread (P = --threads workers)"},
    {"rounds", "100", NULL, "a worker thread does rounds*chunks replacements, then hands its slots to a successor"},
    {"seed", "4141", NULL, "random seed"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload larson = {
    .name = LARSON,
    .kind = "alloc",
    .stresses = "server-style remote frees: blocks allocated by the main thread or a dead predecessor "
                "freed by a successor thread; thread churn",
    .params = larson_params,
    .work_param = "sleep",
    .run = larson_run,
};
ASB_REGISTER_WORKLOAD(larson)
