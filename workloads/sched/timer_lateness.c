/*
 * timer_lateness.c — timers under CPU hogs: one hog per processor spins
 * with no calls while max(1, processors-1) timer tasks each sleep
 * `interval_us` `samples` times and record how late they woke.  A sleeping
 * task's timer fires on time, but it runs only when a processor is taken from
 * a hog — asynchronous preemption again (needs PREEMPTION and BLOCKING).
 *
 * Verification: every timer task completed all its sleeps.
 * One op = one sleep.  Extra: lateness_p50_ns, lateness_p99_ns, lateness_max_ns.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "sched_common.h"

typedef struct lateness_run {
    const asb_sched *s;
    int64_t samples;
    int ntimers, nprocs;
    uint64_t interval_ns;
    uint64_t *lateness; /* ntimers × samples */
    atomic_llong sleeps_done;
    asb_wg *timers_wg, *hogs_wg;
    sw_hog hog;
    _Atomic bool stop;
} lateness_run;

static lateness_run *lt;

static void timer_task(void *arg) {
    uint64_t *out = arg;
    for (int64_t i = 0; i < lt->samples; i++) {
        uint64_t t0 = asb_now_ns();
        lt->s->sleep_ns(lt->interval_ns);
        uint64_t slept = asb_now_ns() - t0;
        out[i] = slept > lt->interval_ns ? slept - lt->interval_ns : 0;
        atomic_fetch_add(&lt->sleeps_done, 1);
    }
    lt->s->wg_done(lt->timers_wg);
}

static void lateness_root(void *arg) {
    lateness_run *r = arg;
    r->s->wg_add(r->hogs_wg, r->nprocs);
    r->s->wg_add(r->timers_wg, r->ntimers);
    for (int i = 0; i < r->nprocs; i++) sw_spawn(r->s, sw_hog_task, &r->hog);
    for (int i = 0; i < r->ntimers; i++) sw_spawn(r->s, timer_task, r->lateness + (int64_t)i * r->samples);
    r->s->wg_wait(r->timers_wg);
    atomic_store(&r->stop, true);
    r->s->wg_wait(r->hogs_wg);
}

static int timer_lateness_run(asb_ctx *ctx) {
    lateness_run r = {.s = asb_ctx_sched(ctx), .samples = asb_param_i(ctx, "samples"), .nprocs = asb_threads(ctx)};
    int64_t interval_us = asb_param_i(ctx, "interval_us");
    if (r.samples < 1 || r.samples > 1000000 || interval_us < 1 || interval_us > 1000000)
        return asb_fail(ctx, ASB_USAGE, "timer-lateness: need 1 <= samples <= 1e6, 1 <= interval_us <= 1e6");
    r.interval_ns = (uint64_t)interval_us * 1000;
    r.ntimers = r.nprocs > 1 ? r.nprocs - 1 : 1;
    atomic_init(&r.stop, false);
    atomic_init(&r.sleeps_done, 0);
    size_t total = (size_t)r.ntimers * (size_t)r.samples;
    r.lateness = calloc(total, sizeof *r.lateness);
    r.timers_wg = r.s->wg_make();
    r.hogs_wg = r.s->wg_make();
    int status = r.lateness && r.timers_wg && r.hogs_wg ? ASB_OK : asb_fail(ctx, ASB_ERROR, "timer-lateness: out of memory");
    r.hog = (sw_hog){.stop = &r.stop, .wg = r.hogs_wg, .s = r.s};
    lt = &r;
    if (status == ASB_OK) status = sw_run(ctx, r.nprocs, lateness_root, &r);
    if (status == ASB_OK) {
        asb_count(ctx, total, 0, 0);
        if ((size_t)atomic_load(&r.sleeps_done) != total)
            status = asb_verify_fail(ctx, "timer-lateness: %lld sleeps completed, expected %zu",
                                     (long long)atomic_load(&r.sleeps_done), total);
        else
            sw_report_latency(ctx, "lateness", r.lateness, total);
    }
    free(r.lateness);
    if (r.timers_wg) r.s->wg_free(r.timers_wg);
    if (r.hogs_wg) r.s->wg_free(r.hogs_wg);
    return status;
}

static const asb_param_def timer_lateness_params[] = {
    {"samples", "200", "20", "sleeps per timer task"},
    {"interval_us", "1000", NULL, "length of each sleep"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload timer_lateness = {
    .name = "timer-lateness",
    .kind = "sched",
    .stresses = "timers firing while every processor runs a hog (sysmon, async preemption)",
    .params = timer_lateness_params,
    .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_PREEMPTION | ASB_CAP_BLOCKING,
    .work_param = "samples",
    .run = timer_lateness_run,
};
ASB_REGISTER_WORKLOAD(timer_lateness)
