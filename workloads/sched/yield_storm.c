/*
 * yield_storm.c — `tasks` tasks each yield `yields` times (tokio's
 * yield_many), joined with a wait group.  Stresses the requeue path and
 * fairness between runnable tasks.
 *
 * Verification: every task completed all its yields.
 * One op = one yield.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "sched_common.h"

typedef struct yield_run {
    const asb_sched *s;
    asb_wg *wg;
    int64_t tasks, yields;
    atomic_llong total;
} yield_run;

static yield_run *storm;

static void yield_task(void *arg) {
    (void)arg;
    int64_t n = 0;
    for (; n < storm->yields; n++) storm->s->yield();
    atomic_fetch_add(&storm->total, n);
    storm->s->wg_done(storm->wg);
}

static void yield_root(void *arg) {
    yield_run *r = arg;
    r->s->wg_add(r->wg, (int)r->tasks);
    for (int64_t i = 0; i < r->tasks; i++) sw_spawn(r->s, yield_task, NULL);
    r->s->wg_wait(r->wg);
}

static int yield_storm_run(asb_ctx *ctx) {
    yield_run r = {.s = asb_ctx_sched(ctx), .tasks = asb_param_i(ctx, "tasks"), .yields = asb_param_i(ctx, "yields")};
    if (r.tasks < 1 || r.tasks > 1000000 || r.yields < 0)
        return asb_fail(ctx, ASB_USAGE, "yield-storm: need 1 <= tasks <= 1e6 and yields >= 0");
    atomic_init(&r.total, 0);
    r.wg = r.s->wg_make();
    if (!r.wg) return asb_fail(ctx, ASB_ERROR, "yield-storm: out of memory");
    storm = &r;
    int status = sw_run(ctx, asb_threads(ctx), yield_root, &r);
    r.s->wg_free(r.wg);
    if (status != ASB_OK) return status;
    asb_count(ctx, (uint64_t)(r.tasks * r.yields), 0, 0);
    if (atomic_load(&r.total) != r.tasks * r.yields)
        return asb_verify_fail(ctx, "yield-storm: %lld yields done, expected %lld", (long long)atomic_load(&r.total),
                               (long long)(r.tasks * r.yields));
    return ASB_OK;
}

static const asb_param_def yield_storm_params[] = {
    {"tasks", "200", NULL, "yielding tasks"},
    {"yields", "1000", "100", "yields per task"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload yield_storm = {
    .name = "yield-storm",
    .kind = "sched",
    .stresses = "requeue cost, fairness",
    .params = yield_storm_params,
    .needs = ASB_CAP_SPAWN_JOIN,
    .work_param = "yields",
    .run = yield_storm_run,
};
ASB_REGISTER_WORKLOAD(yield_storm)
