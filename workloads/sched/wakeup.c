/*
 * wakeup.c — Go's BenchmarkWakeupParallel: two tasks alternate the roles of
 * sender and receiver over unbuffered channels, each first spending a known
 * delay.  In `wakeup` the delay is a spin; in `wakeup-syscall` it is a
 * blocking nanosleep bracketed by syscall_enter/exit, so the scheduler's
 * system-call hand-off is on the path.  The cost of a wake-up is what is left
 * of each hand-off once the delay is subtracted (extra: wakeup_ns).
 *
 * Verification: both tasks completed every exchange with the right values.
 * One op = one exchange (one hand-off each way).
 */
#include <errno.h>
#include <time.h>

#include "sched_common.h"

typedef struct wakeup_run {
    const asb_sched *s;
    asb_chan *to_b, *to_a;
    asb_wg *wg;
    int64_t iters, bad;
    uint64_t delay_ns;
    bool syscall;
} wakeup_run;

static wakeup_run *wk;

static void wakeup_delay(void) {
    if (!wk->syscall) {
        sw_spin_ns(wk->delay_ns);
        return;
    }
    struct timespec ts = {.tv_sec = (time_t)(wk->delay_ns / 1000000000ull),
                          .tv_nsec = (long)(wk->delay_ns % 1000000000ull)};
    wk->s->syscall_enter();
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    wk->s->syscall_exit();
}

static void wakeup_b(void *arg) {
    (void)arg;
    for (int64_t i = 0; i < wk->iters; i++) {
        int64_t v;
        wk->s->chan_recv(wk->to_b, &v);
        if (v != i) wk->bad++;
        wakeup_delay();
        wk->s->chan_send(wk->to_a, &v);
    }
    wk->s->wg_done(wk->wg);
}

static void wakeup_root(void *arg) {
    wakeup_run *r = arg;
    r->s->wg_add(r->wg, 1);
    sw_spawn(r->s, wakeup_b, NULL);
    for (int64_t i = 0; i < r->iters; i++) {
        int64_t v;
        wakeup_delay();
        r->s->chan_send(r->to_b, &i);
        r->s->chan_recv(r->to_a, &v);
        if (v != i) r->bad++;
    }
    r->s->wg_wait(r->wg);
}

static int wakeup_run_workload(asb_ctx *ctx, bool syscall) {
    wakeup_run r = {.s = asb_ctx_sched(ctx), .iters = asb_param_i(ctx, "iters"), .syscall = syscall};
    int64_t delay_us = asb_param_i(ctx, "delay_us");
    if (r.iters < 0 || delay_us < 0 || delay_us > 1000000)
        return asb_fail(ctx, ASB_USAGE, "wakeup: need iters >= 0 and 0 <= delay_us <= 1e6");
    r.delay_ns = (uint64_t)delay_us * 1000;
    r.to_a = r.s->chan_make(sizeof(int64_t), 0);
    r.to_b = r.s->chan_make(sizeof(int64_t), 0);
    r.wg = r.s->wg_make();
    int status = r.to_a && r.to_b && r.wg ? ASB_OK : asb_fail(ctx, ASB_ERROR, "wakeup: out of memory");
    wk = &r;
    uint64_t t0 = asb_now_ns();
    if (status == ASB_OK) status = sw_run(ctx, asb_threads(ctx), wakeup_root, &r);
    uint64_t elapsed = asb_now_ns() - t0;
    if (status == ASB_OK) {
        asb_count(ctx, (uint64_t)r.iters, 0, 0);
        if (r.iters > 0) {
            double per_handoff = (double)elapsed / (2.0 * (double)r.iters) - (double)r.delay_ns;
            asb_report(ctx, "wakeup_ns", per_handoff);
        }
        if (r.bad) status = asb_verify_fail(ctx, "wakeup: %lld exchanges carried the wrong value", (long long)r.bad);
    }
    if (r.to_a) r.s->chan_free(r.to_a);
    if (r.to_b) r.s->chan_free(r.to_b);
    if (r.wg) r.s->wg_free(r.wg);
    return status;
}

static int wakeup_spin_run(asb_ctx *ctx) { return wakeup_run_workload(ctx, false); }
static int wakeup_syscall_run(asb_ctx *ctx) { return wakeup_run_workload(ctx, true); }

static const asb_param_def wakeup_params[] = {
    {"iters", "20000", "2000", "exchanges"},
    {"delay_us", "10", NULL, "delay before each hand-off, microseconds (0..100 in Go's benchmark)"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload wakeup = {
    .name = "wakeup",
    .kind = "sched",
    .stresses = "wake-up latency between two alternating tasks (spinning delay)",
    .params = wakeup_params,
    .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS,
    .work_param = "iters",
    .run = wakeup_spin_run,
};
ASB_REGISTER_WORKLOAD(wakeup)

static const asb_workload wakeup_syscall = {
    .name = "wakeup-syscall",
    .kind = "sched",
    .stresses = "wake-up latency with the delay spent in a blocking system call (hand-off)",
    .params = wakeup_params,
    .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS | ASB_CAP_BLOCKING,
    .work_param = "iters",
    .run = wakeup_syscall_run,
};
ASB_REGISTER_WORKLOAD(wakeup_syscall)
