/*
 * prodcons.c — Go's BenchmarkChanProdCons{0,10,100} and their Work variants:
 * `threads` producers and `threads` consumers share one channel of capacity
 * 0, 10 or 100; each producer sends `items` values (doing `work` iterations
 * of local arithmetic before each send, and each consumer as much after each
 * receive, in the Work variants) and the channel is closed once every
 * producer finished.  Six workloads: prodcons-{0,10,100} and
 * prodcons-work-{0,10,100}.
 *
 * Verification: the consumers received every value exactly once (count and
 * sum).  One op = one value through the channel.
 */
#include <stdatomic.h>

#include "sched_common.h"

typedef struct pc_run {
    const asb_sched *s;
    asb_chan *chan;
    asb_wg *producers, *all;
    int64_t items, work;
    atomic_llong received, sum;
    atomic_ullong sink; /* keeps the local work from being optimised away */
} pc_run;

static pc_run *pc;

static uint64_t local_work(int64_t n, uint64_t seed) {
    for (int64_t i = 0; i < n; i++) seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return seed;
}

static void producer(void *arg) {
    int64_t id = (int64_t)(intptr_t)arg;
    uint64_t acc = 0;
    for (int64_t i = 1; i <= pc->items; i++) {
        acc = local_work(pc->work, acc + (uint64_t)i);
        int64_t v = id * pc->items + i;
        pc->s->chan_send(pc->chan, &v);
    }
    atomic_fetch_add(&pc->sink, acc);
    pc->s->wg_done(pc->producers);
    pc->s->wg_done(pc->all);
}

static void consumer(void *arg) {
    (void)arg;
    int64_t v, n = 0, sum = 0;
    uint64_t acc = 0;
    while (pc->s->chan_recv(pc->chan, &v)) {
        n++;
        sum += v;
        acc = local_work(pc->work, acc + (uint64_t)v);
    }
    atomic_fetch_add(&pc->received, n);
    atomic_fetch_add(&pc->sum, sum);
    atomic_fetch_add(&pc->sink, acc);
    pc->s->wg_done(pc->all);
}

static void closer(void *arg) {
    (void)arg;
    pc->s->wg_wait(pc->producers);
    pc->s->chan_close(pc->chan);
    pc->s->wg_done(pc->all);
}

typedef struct pc_shape {
    int nprocs;
} pc_shape;

static void pc_root(void *arg) {
    int n = ((pc_shape *)arg)->nprocs;
    pc->s->wg_add(pc->producers, n);
    pc->s->wg_add(pc->all, 2 * n + 1);
    for (int i = 0; i < n; i++) {
        sw_spawn(pc->s, consumer, NULL);
        sw_spawn(pc->s, producer, (void *)(intptr_t)i);
    }
    sw_spawn(pc->s, closer, NULL);
    pc->s->wg_wait(pc->all);
}

static int prodcons_run(asb_ctx *ctx) {
    pc_run r = {.s = asb_ctx_sched(ctx), .items = asb_param_i(ctx, "items"), .work = asb_param_i(ctx, "work")};
    int64_t cap = asb_param_i(ctx, "cap");
    if (r.items < 0 || r.work < 0 || cap < 0) return asb_fail(ctx, ASB_USAGE, "prodcons: parameters must be >= 0");
    atomic_init(&r.received, 0);
    atomic_init(&r.sum, 0);
    atomic_init(&r.sink, 0);
    r.chan = r.s->chan_make(sizeof(int64_t), (size_t)cap);
    r.producers = r.s->wg_make();
    r.all = r.s->wg_make();
    int status = r.chan && r.producers && r.all ? ASB_OK : asb_fail(ctx, ASB_ERROR, "prodcons: out of memory");
    pc = &r;
    pc_shape shape = {asb_threads(ctx)};
    if (status == ASB_OK) status = sw_run(ctx, shape.nprocs, pc_root, &shape);
    if (status == ASB_OK) {
        int64_t n = shape.nprocs, total = n * r.items;
        /* Producer p sends p*items + 1 … p*items + items. */
        int64_t want_sum = 0;
        for (int64_t p = 0; p < n; p++) want_sum += p * r.items * r.items + r.items * (r.items + 1) / 2;
        asb_count(ctx, (uint64_t)total, 0, 0);
        if (atomic_load(&r.received) != total || atomic_load(&r.sum) != want_sum)
            status = asb_verify_fail(ctx, "prodcons: received %lld values summing to %lld, expected %lld summing to %lld",
                                     (long long)atomic_load(&r.received), (long long)atomic_load(&r.sum),
                                     (long long)total, (long long)want_sum);
    }
    if (r.chan) r.s->chan_free(r.chan);
    if (r.producers) r.s->wg_free(r.producers);
    if (r.all) r.s->wg_free(r.all);
    return status;
}

#define PRODCONS_WORKLOAD(var, wname, cap_value, work_value, what)                         \
    static const asb_param_def var##_params[] = {                                        \
        {"cap", cap_value, NULL, "channel capacity"},                                    \
        {"work", work_value, NULL, "iterations of local work per value, each side"},     \
        {"items", "200000", "20000", "values per producer"},                             \
        {NULL, NULL, NULL, NULL},                                                        \
    };                                                                                   \
    static const asb_workload var = {                                                   \
        .name = wname, .kind = "sched", .stresses = what, .params = var##_params,        \
        .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS, .work_param = "items", .run = prodcons_run, \
    };                                                                                   \
    ASB_REGISTER_WORKLOAD(var)

PRODCONS_WORKLOAD(prodcons_0, "prodcons-0", "0", "0", "park/unpark on an unbuffered channel shared by P pairs")
PRODCONS_WORKLOAD(prodcons_10, "prodcons-10", "10", "0", "channel lock and park/unpark, capacity 10")
PRODCONS_WORKLOAD(prodcons_100, "prodcons-100", "100", "0", "channel lock contention, capacity 100")
PRODCONS_WORKLOAD(prodcons_work_0, "prodcons-work-0", "0", "100", "unbuffered hand-off with 100 iterations of work")
PRODCONS_WORKLOAD(prodcons_work_10, "prodcons-work-10", "10", "100", "capacity 10 with 100 iterations of work")
PRODCONS_WORKLOAD(prodcons_work_100, "prodcons-work-100", "100", "100", "capacity 100 with 100 iterations of work")
