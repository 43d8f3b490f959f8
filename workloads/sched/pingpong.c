/*
 * pingpong.c — pairs of tasks bounce a counter over two unbuffered channels:
 * the pinger sends i, the ponger sends it back, `round_trips` times per pair.
 * Two workloads: `pingpong` (one pair: the pure switch + wake-up path) and
 * `pingpong-pairs` (1000 concurrent pairs: the same under a full run queue).
 *
 * Verification: every echo carries the value that was sent.
 * One op = one round trip.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "sched_common.h"

typedef struct pp_pair {
    asb_chan *ping, *pong;
} pp_pair;

typedef struct pp_run {
    const asb_sched *s;
    asb_wg *wg;
    pp_pair *pairs;
    int64_t npairs, round_trips;
    atomic_llong bad_echoes;
} pp_run;

static pp_run *pp;

static void pinger(void *arg) {
    pp_pair *p = arg;
    int64_t bad = 0;
    for (int64_t i = 0; i < pp->round_trips; i++) {
        int64_t back;
        pp->s->chan_send(p->ping, &i);
        pp->s->chan_recv(p->pong, &back);
        bad += back != i;
    }
    atomic_fetch_add(&pp->bad_echoes, bad);
    pp->s->wg_done(pp->wg);
}

static void ponger(void *arg) {
    pp_pair *p = arg;
    for (int64_t i = 0; i < pp->round_trips; i++) {
        int64_t v;
        pp->s->chan_recv(p->ping, &v);
        pp->s->chan_send(p->pong, &v);
    }
    pp->s->wg_done(pp->wg);
}

static void pp_root(void *arg) {
    pp_run *r = arg;
    r->s->wg_add(r->wg, (int)(2 * r->npairs));
    for (int64_t i = 0; i < r->npairs; i++) {
        sw_spawn(r->s, ponger, &r->pairs[i]);
        sw_spawn(r->s, pinger, &r->pairs[i]);
    }
    r->s->wg_wait(r->wg);
}

static int pingpong_run(asb_ctx *ctx) {
    pp_run r = {.s = asb_ctx_sched(ctx), .npairs = asb_param_i(ctx, "pairs"),
                .round_trips = asb_param_i(ctx, "round_trips")};
    if (r.npairs < 1 || r.npairs > 100000 || r.round_trips < 0)
        return asb_fail(ctx, ASB_USAGE, "pingpong: need 1 <= pairs <= 100000 and round_trips >= 0");
    atomic_init(&r.bad_echoes, 0);
    r.pairs = calloc((size_t)r.npairs, sizeof *r.pairs);
    r.wg = r.s->wg_make();
    int status = r.pairs && r.wg ? ASB_OK : asb_fail(ctx, ASB_ERROR, "pingpong: out of memory");
    for (int64_t i = 0; i < r.npairs && status == ASB_OK; i++) {
        r.pairs[i].ping = r.s->chan_make(sizeof(int64_t), 0);
        r.pairs[i].pong = r.s->chan_make(sizeof(int64_t), 0);
        if (!r.pairs[i].ping || !r.pairs[i].pong) status = asb_fail(ctx, ASB_ERROR, "pingpong: out of memory");
    }
    pp = &r;
    if (status == ASB_OK) status = sw_run(ctx, asb_threads(ctx), pp_root, &r);
    if (status == ASB_OK) {
        asb_count(ctx, (uint64_t)(r.npairs * r.round_trips), 0, 0);
        if (atomic_load(&r.bad_echoes) != 0)
            status = asb_verify_fail(ctx, "pingpong: %lld echoes differed from what was sent",
                                     (long long)atomic_load(&r.bad_echoes));
    }
    for (int64_t i = 0; r.pairs && i < r.npairs; i++) {
        if (r.pairs[i].ping) r.s->chan_free(r.pairs[i].ping);
        if (r.pairs[i].pong) r.s->chan_free(r.pairs[i].pong);
    }
    if (r.wg) r.s->wg_free(r.wg);
    free(r.pairs);
    return status;
}

static const asb_param_def pingpong_params[] = {
    {"pairs", "1", NULL, "concurrent ping-pong pairs"},
    {"round_trips", "1000000", "20000", "round trips per pair"},
    {NULL, NULL, NULL, NULL},
};

static const asb_param_def pingpong_pairs_params[] = {
    {"pairs", "1000", NULL, "concurrent ping-pong pairs"},
    {"round_trips", "1000", "100", "round trips per pair"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload pingpong = {
    .name = "pingpong",
    .kind = "sched",
    .stresses = "context switch + wake-up over an unbuffered channel",
    .params = pingpong_params,
    .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS,
    .work_param = "round_trips",
    .run = pingpong_run,
};
ASB_REGISTER_WORKLOAD(pingpong)

static const asb_workload pingpong_pairs = {
    .name = "pingpong-pairs",
    .kind = "sched",
    .stresses = "switch + wake-up with 1000 pairs runnable at once",
    .params = pingpong_pairs_params,
    .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS,
    .work_param = "round_trips",
    .run = pingpong_run,
};
ASB_REGISTER_WORKLOAD(pingpong_pairs)
