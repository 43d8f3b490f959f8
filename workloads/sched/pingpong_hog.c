/*
 * pingpong_hog.c — Go's BenchmarkPingPongHog: on ONE processor, a hog task
 * spins while a ping-pong pair bounces a value `round_trips` times.  A
 * scheduler that lets a woken task inherit the waker's time slice (Go's
 * runnext) keeps the pair going; one that queues it behind the hog pays a
 * time slice per hand-off.  The processor count is fixed at 1 (GOMAXPROCS=1),
 * whatever --threads says.
 *
 * A scheduler without asynchronous preemption cannot take the processor
 * from a spinning task at all, so for those (no ASB_CAP_PREEMPTION) the hog
 * calls preempt_check() in its loop — their cooperative equivalent.
 *
 * Verification: every echo carries the value sent; the hog stopped.
 * One op = one round trip.  Extra: hog_spins.
 */
#include <stdatomic.h>

#include "sched_common.h"

typedef struct hog_run {
    const asb_sched *s;
    asb_chan *ping, *pong;
    asb_wg *wg;
    int64_t round_trips, bad_echoes;
    atomic_bool stop;
    uint64_t spins;
    bool cooperative;
} hog_run;

static void hog_task(void *arg) {
    hog_run *hog = arg;
    uint64_t spins = 0;
    while (!atomic_load_explicit(&hog->stop, memory_order_relaxed)) {
        spins++;
        if (hog->cooperative) hog->s->preempt_check();
    }
    hog->spins = spins;
    hog->s->wg_done(hog->wg);
}

static void hog_ponger(void *arg) {
    hog_run *hog = arg;
    for (int64_t i = 0; i < hog->round_trips; i++) {
        int64_t v;
        hog->s->chan_recv(hog->ping, &v);
        hog->s->chan_send(hog->pong, &v);
    }
    hog->s->wg_done(hog->wg);
}

static void hog_root(void *arg) {
    hog_run *r = arg;
    r->s->wg_add(r->wg, 2);
    sw_spawn(r->s, hog_task, r);
    sw_spawn(r->s, hog_ponger, r);
    for (int64_t i = 0; i < r->round_trips; i++) {
        int64_t back;
        r->s->chan_send(r->ping, &i);
        r->s->chan_recv(r->pong, &back);
        r->bad_echoes += back != i;
    }
    atomic_store(&r->stop, true);
    r->s->wg_wait(r->wg);
}

static int pingpong_hog_run(asb_ctx *ctx) {
    hog_run r = {.s = asb_ctx_sched(ctx), .round_trips = asb_param_i(ctx, "round_trips")};
    if (r.round_trips < 0) return asb_fail(ctx, ASB_USAGE, "pingpong-hog: round_trips must be >= 0");
    r.cooperative = !(r.s->caps & ASB_CAP_PREEMPTION);
    atomic_init(&r.stop, false);
    r.ping = r.s->chan_make(sizeof(int64_t), 0);
    r.pong = r.s->chan_make(sizeof(int64_t), 0);
    r.wg = r.s->wg_make();
    int status = r.ping && r.pong && r.wg ? ASB_OK : asb_fail(ctx, ASB_ERROR, "pingpong-hog: out of memory");
    if (status == ASB_OK) status = sw_run(ctx, 1, hog_root, &r);
    if (status == ASB_OK) {
        asb_count(ctx, (uint64_t)r.round_trips, 0, 0);
        asb_report(ctx, "hog_spins", (double)r.spins);
        asb_report(ctx, "hog_cooperative", r.cooperative);
        if (r.bad_echoes) status = asb_verify_fail(ctx, "pingpong-hog: %lld echoes differed", (long long)r.bad_echoes);
    }
    if (r.ping) r.s->chan_free(r.ping);
    if (r.pong) r.s->chan_free(r.pong);
    if (r.wg) r.s->wg_free(r.wg);
    return status;
}

static const asb_param_def pingpong_hog_params[] = {
    {"round_trips", "1000", "20", "round trips of the pair"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload pingpong_hog = {
    .name = "pingpong-hog",
    .kind = "sched",
    .stresses = "run-next time-slice inheritance beside a spinning task (1 processor)",
    .params = pingpong_hog_params,
    .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS,
    .work_param = "round_trips",
    .run = pingpong_hog_run,
};
ASB_REGISTER_WORKLOAD(pingpong_hog)
