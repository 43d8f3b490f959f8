/*
 * chained_spawn.c — each task spawns the next and exits (tokio's
 * chained_spawn, Go's CreateGoroutines); the last one signals the root over
 * a channel, as tokio's does.  Stresses spawn → first-run latency and the
 * "run next" slot: only one task is ever runnable.
 *
 * Verification: the chain reached its end exactly once with the right depth.
 * One op = one spawned task.
 */
#include <stdint.h>

#include "sched_common.h"

typedef struct chain_run {
    const asb_sched *s;
    asb_chan *done;
    int64_t depth;
} chain_run;

static chain_run *chain;

static void chain_task(void *arg) {
    int64_t left = (int64_t)(intptr_t)arg;
    if (left == 0) {
        chain->s->chan_send(chain->done, &chain->depth);
        return;
    }
    sw_spawn(chain->s, chain_task, (void *)(intptr_t)(left - 1));
}

static void chain_root(void *arg) {
    chain_run *r = arg;
    sw_spawn(r->s, chain_task, (void *)(intptr_t)r->depth);
    r->s->chan_recv(r->done, &r->depth);
}

static int chained_spawn_run(asb_ctx *ctx) {
    chain_run r = {.s = asb_ctx_sched(ctx), .depth = asb_param_i(ctx, "depth")};
    if (r.depth < 1) return asb_fail(ctx, ASB_USAGE, "chained-spawn: depth must be >= 1");
    int64_t want = r.depth;
    r.done = r.s->chan_make(sizeof(int64_t), 0);
    if (!r.done) return asb_fail(ctx, ASB_ERROR, "chained-spawn: cannot make a channel");
    chain = &r;
    int status = sw_run(ctx, asb_threads(ctx), chain_root, &r);
    r.s->chan_free(r.done);
    if (status != ASB_OK) return status;
    asb_count(ctx, (uint64_t)want + 1, 0, 0);
    if (r.depth != want)
        return asb_verify_fail(ctx, "chained-spawn: end of chain reported depth %lld, expected %lld",
                               (long long)r.depth, (long long)want);
    return ASB_OK;
}

static const asb_param_def chained_spawn_params[] = {
    {"depth", "1000000", "2000", "tasks in the chain"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload chained_spawn = {
    .name = "chained-spawn",
    .kind = "sched",
    .stresses = "spawn-to-run latency, run-next slot",
    .params = chained_spawn_params,
    .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS,
    .work_param = "depth",
    .run = chained_spawn_run,
};
ASB_REGISTER_WORKLOAD(chained_spawn)
