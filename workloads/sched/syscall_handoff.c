/*
 * syscall_handoff.c — Go's TestPreemptionAfterSyscall in benchmark form:
 * on `procs` (2) processors, `blockers` (8) tasks each do `sleeps` blocking
 * nanosleeps of `sleep_us`, bracketed by syscall_enter/exit, while a ticker
 * task does short bursts of work and yields.  A scheduler that hands a
 * processor off when its thread blocks in the kernel (Go's entersyscall /
 * handoffp) keeps the ticker going; one that does not stalls it for as long
 * as every worker thread sleeps.  The processor count is fixed by `procs`,
 * whatever --threads says.
 *
 * Verification: every blocker completed its sleeps and, as in Go's test,
 * the ticker was never stalled for 5 s or more.
 * One op = one blocking sleep.  Extra: ticks, tick_gap_p50_ns/p99/max.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "sched_common.h"

enum { MAX_GAPS = 1 << 20 };
#define STALL_LIMIT_NS 5000000000ull

typedef struct handoff_run {
    const asb_sched *s;
    int64_t blockers, sleeps;
    uint64_t sleep_ns;
    atomic_llong sleeps_done;
    _Atomic bool blockers_finished;
    asb_wg *blockers_wg, *ticker_wg;
    uint64_t *gaps;
    size_t ngaps;
    uint64_t ticks, max_gap;
} handoff_run;

static handoff_run *ho;

static void blocker_task(void *arg) {
    (void)arg;
    for (int64_t i = 0; i < ho->sleeps; i++) {
        struct timespec ts = {.tv_sec = (time_t)(ho->sleep_ns / 1000000000ull), .tv_nsec = (long)(ho->sleep_ns % 1000000000ull)};
        ho->s->syscall_enter();
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
        ho->s->syscall_exit();
        atomic_fetch_add(&ho->sleeps_done, 1);
    }
    ho->s->wg_done(ho->blockers_wg);
}

static void ticker_task(void *arg) {
    (void)arg;
    uint64_t last = asb_now_ns();
    while (!atomic_load(&ho->blockers_finished)) {
        sw_spin_ns(10000);
        uint64_t now = asb_now_ns(), gap = now - last;
        last = now;
        ho->ticks++;
        if (gap > ho->max_gap) ho->max_gap = gap;
        if (ho->ngaps < MAX_GAPS) ho->gaps[ho->ngaps++] = gap;
        ho->s->yield();
    }
    ho->s->wg_done(ho->ticker_wg);
}

static void handoff_root(void *arg) {
    handoff_run *r = arg;
    r->s->wg_add(r->blockers_wg, (int)r->blockers);
    r->s->wg_add(r->ticker_wg, 1);
    sw_spawn(r->s, ticker_task, NULL);
    for (int64_t i = 0; i < r->blockers; i++) sw_spawn(r->s, blocker_task, NULL);
    r->s->wg_wait(r->blockers_wg);
    atomic_store(&r->blockers_finished, true);
    r->s->wg_wait(r->ticker_wg);
}

static int syscall_handoff_run(asb_ctx *ctx) {
    handoff_run r = {.s = asb_ctx_sched(ctx), .blockers = asb_param_i(ctx, "blockers"), .sleeps = asb_param_i(ctx, "sleeps")};
    int64_t procs = asb_param_i(ctx, "procs"), sleep_us = asb_param_i(ctx, "sleep_us");
    if (procs < 1 || procs > 4096 || r.blockers < 1 || r.blockers > 100000 || r.sleeps < 0 || sleep_us < 0 || sleep_us > 1000000)
        return asb_fail(ctx, ASB_USAGE, "syscall-handoff: need procs, blockers >= 1, sleeps >= 0, 0 <= sleep_us <= 1e6");
    r.sleep_ns = (uint64_t)sleep_us * 1000;
    atomic_init(&r.sleeps_done, 0);
    atomic_init(&r.blockers_finished, false);
    r.gaps = malloc(MAX_GAPS * sizeof *r.gaps);
    r.blockers_wg = r.s->wg_make();
    r.ticker_wg = r.s->wg_make();
    int status = r.gaps && r.blockers_wg && r.ticker_wg ? ASB_OK : asb_fail(ctx, ASB_ERROR, "syscall-handoff: out of memory");
    ho = &r;
    if (status == ASB_OK) status = sw_run(ctx, (int)procs, handoff_root, &r);
    if (status == ASB_OK) {
        asb_count(ctx, (uint64_t)(r.blockers * r.sleeps), 0, 0);
        asb_report(ctx, "ticks", (double)r.ticks);
        sw_report_latency(ctx, "tick_gap", r.gaps, r.ngaps);
        if (atomic_load(&r.sleeps_done) != r.blockers * r.sleeps)
            status = asb_verify_fail(ctx, "syscall-handoff: %lld sleeps done, expected %lld",
                                     (long long)atomic_load(&r.sleeps_done), (long long)(r.blockers * r.sleeps));
        else if (r.max_gap >= STALL_LIMIT_NS)
            status = asb_verify_fail(ctx, "syscall-handoff: the runnable ticker stalled for %.1f s", (double)r.max_gap / 1e9);
    }
    free(r.gaps);
    if (r.blockers_wg) r.s->wg_free(r.blockers_wg);
    if (r.ticker_wg) r.s->wg_free(r.ticker_wg);
    return status;
}

static const asb_param_def syscall_handoff_params[] = {
    {"procs", "2", NULL, "processors (fixed, not --threads)"},
    {"blockers", "8", NULL, "tasks doing blocking sleeps"},
    {"sleeps", "200", "20", "blocking sleeps per blocker"},
    {"sleep_us", "100", NULL, "length of each blocking sleep (10/100/1000 in Go's test)"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload syscall_handoff = {
    .name = "syscall-handoff",
    .kind = "sched",
    .stresses = "processor hand-off around blocking system calls (entersyscall/handoffp)",
    .params = syscall_handoff_params,
    .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_BLOCKING,
    .work_param = "sleeps",
    .run = syscall_handoff_run,
};
ASB_REGISTER_WORKLOAD(syscall_handoff)
