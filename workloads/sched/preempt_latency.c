/*
 * preempt_latency.c — scheduling latency under CPU hogs.  One hog per
 * processor spins in a loop with no calls; a thread outside the scheduler
 * spawns a probe task every `interval_us`, and the probe records how long it
 * waited to run.  Only asynchronous preemption (Go's sysmon + signal after
 * 10 ms, the kernel's tick for threads) lets a probe in at all, so the
 * workload needs PREEMPTION; the latency percentiles show the policy.
 *
 * Verification: every probe ran exactly once.
 * One op = one probe.  Extra: latency_p50_ns, latency_p99_ns, latency_max_ns.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "sched_common.h"

typedef struct probe {
    uint64_t spawned_ns, latency_ns;
    atomic_int runs;
} probe;

typedef struct latency_run {
    const asb_sched *s;
    int64_t samples;
    uint64_t interval_ns;
    probe *probes;
    asb_wg *probes_wg, *hogs_wg;
    sw_hog hog;
    _Atomic bool stop;
    pthread_t injector;
} latency_run;

static latency_run *lat;

static void probe_task(void *arg) {
    probe *p = arg;
    p->latency_ns = asb_now_ns() - p->spawned_ns;
    atomic_fetch_add(&p->runs, 1);
    lat->s->wg_done(lat->probes_wg);
}

static void *injector_main(void *arg) {
    latency_run *r = arg;
    for (int64_t i = 0; i < r->samples; i++) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)r->interval_ns};
        nanosleep(&ts, NULL);
        r->probes[i].spawned_ns = asb_now_ns();
        sw_spawn(r->s, probe_task, &r->probes[i]);
    }
    return NULL;
}

typedef struct latency_shape {
    latency_run *r;
    int nprocs;
} latency_shape;

static void latency_root(void *arg) {
    latency_shape *sh = arg;
    latency_run *r = sh->r;
    r->s->wg_add(r->hogs_wg, sh->nprocs);
    r->s->wg_add(r->probes_wg, (int)r->samples);
    for (int i = 0; i < sh->nprocs; i++) sw_spawn(r->s, sw_hog_task, &r->hog);
    if (pthread_create(&r->injector, NULL, injector_main, r) != 0) abort();
    r->s->wg_wait(r->probes_wg);
    atomic_store(&r->stop, true);
    r->s->wg_wait(r->hogs_wg);
    pthread_join(r->injector, NULL);
}

static int preempt_latency_run(asb_ctx *ctx) {
    latency_run r = {.s = asb_ctx_sched(ctx), .samples = asb_param_i(ctx, "samples")};
    int64_t interval_us = asb_param_i(ctx, "interval_us");
    if (r.samples < 1 || r.samples > 1000000 || interval_us < 1 || interval_us > 999999)
        return asb_fail(ctx, ASB_USAGE, "preempt-latency: need 1 <= samples <= 1e6, 1 <= interval_us < 1e6");
    r.interval_ns = (uint64_t)interval_us * 1000;
    atomic_init(&r.stop, false);
    r.probes = calloc((size_t)r.samples, sizeof *r.probes);
    r.probes_wg = r.s->wg_make();
    r.hogs_wg = r.s->wg_make();
    int status = r.probes && r.probes_wg && r.hogs_wg ? ASB_OK : asb_fail(ctx, ASB_ERROR, "preempt-latency: out of memory");
    r.hog = (sw_hog){.stop = &r.stop, .wg = r.hogs_wg, .s = r.s};
    lat = &r;
    latency_shape shape = {&r, asb_threads(ctx)};
    if (status == ASB_OK) status = sw_run(ctx, shape.nprocs, latency_root, &shape);
    uint64_t *samples = status == ASB_OK ? malloc((size_t)r.samples * sizeof *samples) : NULL;
    if (status == ASB_OK && !samples) status = asb_fail(ctx, ASB_ERROR, "preempt-latency: out of memory");
    for (int64_t i = 0; status == ASB_OK && i < r.samples; i++) {
        if (atomic_load(&r.probes[i].runs) != 1)
            status = asb_verify_fail(ctx, "preempt-latency: probe %lld ran %d times", (long long)i,
                                     atomic_load(&r.probes[i].runs));
        samples[i] = r.probes[i].latency_ns;
    }
    if (status == ASB_OK) {
        asb_count(ctx, (uint64_t)r.samples, 0, 0);
        sw_report_latency(ctx, "latency", samples, (size_t)r.samples);
        asb_report(ctx, "hog_spins", (double)atomic_load(&r.hog.spins));
    }
    free(samples);
    free(r.probes);
    if (r.probes_wg) r.s->wg_free(r.probes_wg);
    if (r.hogs_wg) r.s->wg_free(r.hogs_wg);
    return status;
}

static const asb_param_def preempt_latency_params[] = {
    {"samples", "200", "20", "probe tasks"},
    {"interval_us", "1000", NULL, "time between probes"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload preempt_latency = {
    .name = "preempt-latency",
    .kind = "sched",
    .stresses = "asynchronous preemption: latency of a task made runnable while every processor spins",
    .params = preempt_latency_params,
    .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_PREEMPTION | ASB_CAP_INJECTION,
    .work_param = "samples",
    .run = preempt_latency_run,
};
ASB_REGISTER_WORKLOAD(preempt_latency)
