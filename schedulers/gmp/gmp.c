/*
 * gmp.c — the "gmp" plug-in: the asb_sched table of the Go-style G-M-P
 * scheduler.  Each task API call clears the calling G's user_code flag on
 * entry (so async preemption never lands inside the runtime) and, on the way
 * out, honours a pending preemption request (Go checks it in function
 * prologues) before setting the flag again.
 */
#include <stdlib.h>

#include "runtime2.h"

static inline G *enter_runtime(void) {
    G *gp = gmp_getg();
    if (gp) {
        relaxed_store(&gp->user_code, false);
        atomic_signal_fence(memory_order_seq_cst);
    }
    return gp;
}

static inline void leave_runtime(G *gp) {
    if (!gp) return;
    if (relaxed_load(&gp->preempt)) gmp_gopreempt(false);
    atomic_signal_fence(memory_order_seq_cst);
    relaxed_store(&gp->user_code, true);
}

static int api_spawn(asb_task_fn fn, void *arg) {
    G *gp = enter_runtime();
    int r = gmp_newproc(fn, arg);
    leave_runtime(gp);
    return r;
}

static void api_yield(void) {
    G *gp = enter_runtime();
    gmp_gosched();
    leave_runtime(gp);
}

__attribute__((noreturn)) static void api_exit(void) {
    enter_runtime();
    gmp_goexit();
}

static void api_preempt_check(void) {
    G *gp = enter_runtime();
    leave_runtime(gp);
}

static asb_chan *api_chan_make(size_t elemsize, size_t cap) {
    G *gp = enter_runtime();
    asb_chan *c = gmp_chan_make(elemsize, cap);
    leave_runtime(gp);
    return c;
}

static void api_chan_send(asb_chan *c, const void *elem) {
    G *gp = enter_runtime();
    gmp_chan_send(c, elem);
    leave_runtime(gp);
}

static bool api_chan_recv(asb_chan *c, void *elem) {
    G *gp = enter_runtime();
    bool ok = gmp_chan_recv(c, elem);
    leave_runtime(gp);
    return ok;
}

static void api_chan_close(asb_chan *c) {
    G *gp = enter_runtime();
    gmp_chan_close(c);
    leave_runtime(gp);
}

static void api_chan_free(asb_chan *c) {
    G *gp = enter_runtime();
    gmp_chan_free(c);
    leave_runtime(gp);
}

static int api_select(asb_select_case *cases, int ncases, bool has_default) {
    G *gp = enter_runtime();
    int r = gmp_select(cases, ncases, has_default);
    leave_runtime(gp);
    return r;
}

static asb_wg *api_wg_make(void) {
    G *gp = enter_runtime();
    asb_wg *wg = gmp_wg_make();
    leave_runtime(gp);
    return wg;
}

static void api_wg_add(asb_wg *wg, int delta) {
    G *gp = enter_runtime();
    gmp_wg_add(wg, delta);
    leave_runtime(gp);
}

static void api_wg_done(asb_wg *wg) {
    G *gp = enter_runtime();
    gmp_wg_add(wg, -1);
    leave_runtime(gp);
}

static void api_wg_wait(asb_wg *wg) {
    G *gp = enter_runtime();
    gmp_wg_wait(wg);
    leave_runtime(gp);
}

static void api_wg_free(asb_wg *wg) {
    G *gp = enter_runtime();
    gmp_wg_free(wg);
    leave_runtime(gp);
}

static asb_mutex *api_mutex_make(void) {
    G *gp = enter_runtime();
    asb_mutex *m = gmp_mutex_make();
    leave_runtime(gp);
    return m;
}

static void api_mutex_lock(asb_mutex *m) {
    G *gp = enter_runtime();
    gmp_mutex_lock(m);
    leave_runtime(gp);
}

static void api_mutex_unlock(asb_mutex *m) {
    G *gp = enter_runtime();
    gmp_mutex_unlock(m);
    leave_runtime(gp);
}

static void api_mutex_free(asb_mutex *m) {
    G *gp = enter_runtime();
    gmp_mutex_free(m);
    leave_runtime(gp);
}

static void api_sleep_ns(uint64_t ns) {
    G *gp = enter_runtime();
    gmp_sleep(ns);
    leave_runtime(gp);
}

/* The G stays out of user code between the two markers: it is in a
 * blocking call that must not be interrupted by a preemption signal. */
static void api_syscall_enter(void) {
    enter_runtime();
    gmp_entersyscall();
}

static void api_syscall_exit(void) {
    gmp_exitsyscall();
    leave_runtime(gmp_getg());
}

static int api_run(int nprocs, const char *options, asb_task_fn root, void *arg) {
    return gmp_run(nprocs, options, root, arg);
}

const asb_sched asb_sched_gmp = {
    .name = "gmp",
    .summary = "Go-style G-M-P scheduler: per-P runq+runnext, stealing, sysmon, async preemption",
    .caps = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS | ASB_CAP_BLOCKING | ASB_CAP_PREEMPTION |
            ASB_CAP_INJECTION | ASB_CAP_MANY_TASKS,
    .run = api_run,
    .spawn = api_spawn,
    .yield = api_yield,
    .exit = api_exit,
    .preempt_check = api_preempt_check,
    .chan_make = api_chan_make,
    .chan_send = api_chan_send,
    .chan_recv = api_chan_recv,
    .chan_close = api_chan_close,
    .chan_free = api_chan_free,
    .select = api_select,
    .wg_make = api_wg_make,
    .wg_add = api_wg_add,
    .wg_done = api_wg_done,
    .wg_wait = api_wg_wait,
    .wg_free = api_wg_free,
    .mutex_make = api_mutex_make,
    .mutex_lock = api_mutex_lock,
    .mutex_unlock = api_mutex_unlock,
    .mutex_free = api_mutex_free,
    .sleep_ns = api_sleep_ns,
    .syscall_enter = api_syscall_enter,
    .syscall_exit = api_syscall_exit,
    .stats = gmp_stats,
};

ASB_REGISTER_SCHED(asb_sched_gmp)
