/*
 * chan_popular.c — Go's BenchmarkChanPopular: `tasks` tasks each select, `iters`
 * times, between one channel shared by all (never sent on) and its own
 * unbuffered channel; the root sends on every task's own channel in turn.
 * Each select enqueues a waiter on the popular channel too, so its wait
 * queue holds up to `tasks` stale waiters that every wake-up must get past:
 * the cost of select's enqueue/dequeue on a crowded channel.
 *
 * Verification: every task's selects all fired on its own channel and it
 * received the values in order.
 * One op = one select.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "sched_common.h"

typedef struct popular_run {
    const asb_sched *s;
    asb_chan *popular;
    asb_chan **own;
    asb_wg *wg;
    int64_t tasks, iters;
    atomic_llong wrong;
} popular_run;

static popular_run *pop;

static void popular_task(void *arg) {
    int64_t me = (int64_t)(intptr_t)arg, wrong = 0;
    for (int64_t i = 0; i < pop->iters; i++) {
        int64_t from_popular = -1, from_own = -1;
        asb_select_case cases[2] = {{.chan = pop->popular, .dir = ASB_SELECT_RECV, .elem = &from_popular},
                                    {.chan = pop->own[me], .dir = ASB_SELECT_RECV, .elem = &from_own}};
        int k = pop->s->select(cases, 2, false);
        wrong += k != 1 || !cases[1].ok || from_own != i;
    }
    atomic_fetch_add(&pop->wrong, wrong);
    pop->s->wg_done(pop->wg);
}

static void popular_root(void *arg) {
    popular_run *r = arg;
    r->s->wg_add(r->wg, (int)r->tasks);
    for (int64_t t = 0; t < r->tasks; t++) sw_spawn(r->s, popular_task, (void *)(intptr_t)t);
    for (int64_t i = 0; i < r->iters; i++)
        for (int64_t t = 0; t < r->tasks; t++) r->s->chan_send(r->own[t], &i);
    r->s->wg_wait(r->wg);
}

static int chan_popular_run(asb_ctx *ctx) {
    popular_run r = {.s = asb_ctx_sched(ctx), .tasks = asb_param_i(ctx, "tasks"), .iters = asb_param_i(ctx, "iters")};
    if (r.tasks < 1 || r.tasks > 100000 || r.iters < 0)
        return asb_fail(ctx, ASB_USAGE, "chan-popular: need 1 <= tasks <= 100000 and iters >= 0");
    atomic_init(&r.wrong, 0);
    r.popular = r.s->chan_make(sizeof(int64_t), 0);
    r.own = calloc((size_t)r.tasks, sizeof *r.own);
    r.wg = r.s->wg_make();
    int status = r.popular && r.own && r.wg ? ASB_OK : asb_fail(ctx, ASB_ERROR, "chan-popular: out of memory");
    for (int64_t t = 0; t < r.tasks && status == ASB_OK; t++)
        if (!(r.own[t] = r.s->chan_make(sizeof(int64_t), 0))) status = asb_fail(ctx, ASB_ERROR, "chan-popular: out of memory");
    pop = &r;
    if (status == ASB_OK) status = sw_run(ctx, asb_threads(ctx), popular_root, &r);
    if (status == ASB_OK) {
        asb_count(ctx, (uint64_t)(r.tasks * r.iters), 0, 0);
        if (atomic_load(&r.wrong) != 0)
            status = asb_verify_fail(ctx, "chan-popular: %lld selects fired on the wrong case or out of order",
                                     (long long)atomic_load(&r.wrong));
    }
    for (int64_t t = 0; r.own && t < r.tasks; t++)
        if (r.own[t]) r.s->chan_free(r.own[t]);
    if (r.popular) r.s->chan_free(r.popular);
    if (r.wg) r.s->wg_free(r.wg);
    free(r.own);
    return status;
}

static const asb_param_def chan_popular_params[] = {
    {"tasks", "1000", NULL, "selecting tasks"},
    {"iters", "1000", "20", "selects per task"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload chan_popular = {
    .name = "chan-popular",
    .kind = "sched",
    .stresses = "select on a channel crowded with stale waiters (Go's BenchmarkChanPopular)",
    .params = chan_popular_params,
    .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS,
    .run = chan_popular_run,
};
ASB_REGISTER_WORKLOAD(chan_popular)
