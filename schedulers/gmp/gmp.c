/*
 * gmp.c — the "gmp" plug-in: the asb_sched table of the Go-style G-M-P
 * scheduler.  Each task API call is bracketed by gmp_enter_runtime and
 * gmp_leave_runtime (runtime2.h): they clear the calling G's user_code flag
 * on entry (so async preemption never lands inside the runtime) and, on the
 * way out, honour a pending preemption request (Go checks it in function
 * prologues) before setting the flag again.  Channel send and receive do
 * that themselves (chan.c), so they need no wrapper here.
 */
#include <stdlib.h>

#include "runtime2.h"

static int api_spawn(asb_task_fn fn, void *arg) {
    G *gp = gmp_enter_runtime();
    int r = gmp_newproc(fn, arg);
    gmp_leave_runtime(gp);
    return r;
}

static void api_yield(void) {
    G *gp = gmp_enter_runtime();
    gmp_gosched();
    gmp_leave_runtime(gp);
}

__attribute__((noreturn)) static void api_exit(void) {
    gmp_enter_runtime();
    gmp_goexit();
}

static void api_preempt_check(void) {
    G *gp = gmp_enter_runtime();
    gmp_leave_runtime(gp);
}

static asb_chan *api_chan_make(size_t elemsize, size_t cap) {
    G *gp = gmp_enter_runtime();
    asb_chan *c = gmp_chan_make(elemsize, cap);
    gmp_leave_runtime(gp);
    return c;
}

static void api_chan_close(asb_chan *c) {
    G *gp = gmp_enter_runtime();
    gmp_chan_close(c);
    gmp_leave_runtime(gp);
}

static void api_chan_free(asb_chan *c) {
    G *gp = gmp_enter_runtime();
    gmp_chan_free(c);
    gmp_leave_runtime(gp);
}

static int api_select(asb_select_case *cases, int ncases, bool has_default) {
    G *gp = gmp_enter_runtime();
    int r = gmp_select(cases, ncases, has_default);
    gmp_leave_runtime(gp);
    return r;
}

static asb_wg *api_wg_make(void) {
    G *gp = gmp_enter_runtime();
    asb_wg *wg = gmp_wg_make();
    gmp_leave_runtime(gp);
    return wg;
}

static void api_wg_add(asb_wg *wg, int delta) {
    G *gp = gmp_enter_runtime();
    gmp_wg_add(wg, delta);
    gmp_leave_runtime(gp);
}

static void api_wg_done(asb_wg *wg) {
    G *gp = gmp_enter_runtime();
    gmp_wg_add(wg, -1);
    gmp_leave_runtime(gp);
}

static void api_wg_wait(asb_wg *wg) {
    G *gp = gmp_enter_runtime();
    gmp_wg_wait(wg);
    gmp_leave_runtime(gp);
}

static void api_wg_free(asb_wg *wg) {
    G *gp = gmp_enter_runtime();
    gmp_wg_free(wg);
    gmp_leave_runtime(gp);
}

static asb_mutex *api_mutex_make(void) {
    G *gp = gmp_enter_runtime();
    asb_mutex *m = gmp_mutex_make();
    gmp_leave_runtime(gp);
    return m;
}

static void api_mutex_lock(asb_mutex *m) {
    G *gp = gmp_enter_runtime();
    gmp_mutex_lock(m);
    gmp_leave_runtime(gp);
}

static void api_mutex_unlock(asb_mutex *m) {
    G *gp = gmp_enter_runtime();
    gmp_mutex_unlock(m);
    gmp_leave_runtime(gp);
}

static void api_mutex_free(asb_mutex *m) {
    G *gp = gmp_enter_runtime();
    gmp_mutex_free(m);
    gmp_leave_runtime(gp);
}

static void api_sleep_ns(uint64_t ns) {
    G *gp = gmp_enter_runtime();
    gmp_sleep(ns);
    gmp_leave_runtime(gp);
}

/* The G stays out of user code between the two markers: it is in a
 * blocking call that must not be interrupted by a preemption signal. */
static void api_syscall_enter(void) {
    gmp_enter_runtime();
    gmp_entersyscall();
}

static void api_syscall_exit(void) {
    gmp_exitsyscall();
    gmp_leave_runtime(gmp_getg());
}

static int api_net_accept(int listen_fd, uint64_t deadline_ns) {
    G *gp = gmp_enter_runtime();
    int r = gmp_net_accept(listen_fd, deadline_ns);
    gmp_leave_runtime(gp);
    return r;
}

static int api_net_connect(int fd, const void *sockaddr, unsigned addrlen, uint64_t deadline_ns) {
    G *gp = gmp_enter_runtime();
    int r = gmp_net_connect(fd, sockaddr, addrlen, deadline_ns);
    gmp_leave_runtime(gp);
    return r;
}

static long api_net_read(int fd, void *buf, size_t n, uint64_t deadline_ns) {
    G *gp = gmp_enter_runtime();
    long r = gmp_net_read(fd, buf, n, deadline_ns);
    gmp_leave_runtime(gp);
    return r;
}

static long api_net_write(int fd, const void *buf, size_t n, uint64_t deadline_ns) {
    G *gp = gmp_enter_runtime();
    long r = gmp_net_write(fd, buf, n, deadline_ns);
    gmp_leave_runtime(gp);
    return r;
}

static int api_net_close(int fd) {
    G *gp = gmp_enter_runtime();
    int r = gmp_net_close(fd);
    gmp_leave_runtime(gp);
    return r;
}

/* The scheduler's counters, then the netpoller's. */
static void api_stats(asb_stat_emit emit, void *cookie) {
    gmp_stats(emit, cookie);
    gmp_netpoll_stats(emit, cookie);
}

static int api_run(int nprocs, const char *options, asb_task_fn root, void *arg) {
    return gmp_run(nprocs, options, root, arg);
}

const asb_sched asb_sched_gmp = {
    .name = "gmp",
    .summary = "Go-style G-M-P scheduler: per-P runq+runnext, stealing, sysmon, async preemption, netpoller",
    .caps = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS | ASB_CAP_BLOCKING | ASB_CAP_PREEMPTION |
            ASB_CAP_INJECTION | ASB_CAP_MANY_TASKS | ASB_CAP_NET,
    .run = api_run,
    .spawn = api_spawn,
    .yield = api_yield,
    .exit = api_exit,
    .preempt_check = api_preempt_check,
    .chan_make = api_chan_make,
    .chan_send = gmp_chan_send, /* API entry points themselves: see chan.c */
    .chan_recv = gmp_chan_recv,
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
    .stats = api_stats,
    .net_accept = api_net_accept,
    .net_connect = api_net_connect,
    .net_read = api_net_read,
    .net_write = api_net_write,
    .net_close = api_net_close,
};

ASB_REGISTER_SCHED(asb_sched_gmp)
