/*
 * uthread.h — the user-level task runtime shared by the globalq and wsdeque
 * competitors: N worker threads, tasks on their own stacks switched with
 * schedulers/gmp/ctx.h (the same switch gmp uses), parking for channels and
 * locks (psync.h), a timer thread for sleeps, and cooperative preemption
 * points.  What differs between the competitors — where a runnable task is
 * queued and where an idle worker looks for one — is a `ut_policy`.
 *
 * Neither competitor hands its worker thread off around a blocking system
 * call (syscall_enter/exit are no-ops) nor preempts a task asynchronously;
 * preempt_check() yields once a task has run 10 ms (Go's forcePreemptNS),
 * counted from its first preempt_check after being dispatched, so that the
 * dispatch path itself never reads the clock.
 *
 * Sockets (NET): a task that would block parks on its fd
 * (netpoll_shared.h); the policy polls — without blocking every
 * UT_NET_POLL_TICK dispatches and when it finds no work, blocking (one
 * worker at a time) where it would otherwise sleep — and np_break wakes
 * the blocked poll when the policy readies a task.
 */
#ifndef ASB_UTHREAD_H
#define ASB_UTHREAD_H

#include <pthread.h>
#include <stdint.h>

#include "../gmp/ctx.h"
#include "../sched.h"
#include "netpoll_shared.h"
#include "psync.h"

/* A policy polls sockets without blocking every this many dispatches, as
 * Go's schedule() looks at the global queue every 61st. */
enum { UT_NET_POLL_TICK = 61 };

typedef struct ut_task {
    asb_uctx ctx;
    asb_task_fn fn;
    void *arg;
    struct ut_task *next;    /* link in a policy's FIFO queue */
    uint64_t slice_start_ns; /* preempt_check: when this time slice began */
    uint64_t slice_id;       /* preempt_check: the dispatch that began it */
    uint64_t wake_at_ns;     /* sleeping: when the timer readies it */
} ut_task;

/* Why a task becomes runnable: policies queue the three differently. */
typedef enum { UT_SPAWNED, UT_WOKEN, UT_YIELDED } ut_ready_kind;

typedef struct ut_policy {
    /* Before the workers start; returns 0 or -1 (errno set). */
    int (*start)(int nprocs, const char *options);
    /* Queue t.  `worker` is the calling worker's index, or -1 when called
     * from a thread outside the scheduler (injection, the timer thread). */
    void (*ready)(int worker, ut_task *t, ut_ready_kind kind);
    /* The next task for `worker`, waiting while there is none; NULL once
     * ut_stopping() is true. */
    ut_task *(*next)(int worker);
    /* Wake every waiting worker (the run is over). */
    void (*wake_all)(void);
    /* After every worker returned: release queues; tasks still queued are
     * handed to ut_discard(). */
    void (*stop)(void);
    void (*stats)(asb_stat_emit emit, void *cookie);
} ut_policy;

int ut_run(const ut_policy *policy, int nprocs, const char *options, asb_task_fn root, void *arg);
bool ut_stopping(void);
void ut_discard(ut_task *t);
uint64_t ut_now_ns(void);

int ut_spawn(asb_task_fn fn, void *arg);
void ut_yield(void);
void ut_exit(void) __attribute__((noreturn));
void ut_preempt_check(void);
void ut_sleep_ns(uint64_t ns);
void ut_syscall_noop(void);
void ut_stats(asb_stat_emit emit, void *cookie);

/* Sockets, for the policies: whether a task is parked on one (polling is
 * pointless otherwise), and the tasks one poll made ready, linked through
 * `next` (NULL: none); ut_net_break wakes a blocked ut_net_poll(true). */
bool ut_net_waiting(void);
ut_task *ut_net_poll(bool block);
void ut_net_break(void);

int ut_net_accept(int listen_fd, uint64_t deadline_ns);
int ut_net_connect(int fd, const void *sockaddr, unsigned addrlen, uint64_t deadline_ns);
long ut_net_read(int fd, void *buf, size_t n, uint64_t deadline_ns);
long ut_net_write(int fd, const void *buf, size_t n, uint64_t deadline_ns);

asb_chan *ut_chan_make(size_t elemsize, size_t cap);
asb_wg *ut_wg_make(void);
asb_mutex *ut_mutex_make(void);

/* The descriptor of a user-level competitor: everything but run() and the
 * policy is the shared runtime. */
#define UT_SCHED_DESCRIPTOR(var, sched_name, sched_summary, run_fn)                             \
    static const asb_sched var = {                                                           \
        .name = sched_name, .summary = sched_summary,                                        \
        .caps = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS | ASB_CAP_BLOCKING | ASB_CAP_INJECTION | \
                ASB_CAP_MANY_TASKS | ASB_CAP_NET,                                            \
        .run = run_fn, .spawn = ut_spawn, .yield = ut_yield, .exit = ut_exit,                \
        .preempt_check = ut_preempt_check, .chan_make = ut_chan_make,                        \
        .chan_send = psync_chan_send, .chan_recv = psync_chan_recv,                          \
        .chan_close = psync_chan_close, .chan_free = psync_chan_free, .select = psync_select, \
        .wg_make = ut_wg_make, .wg_add = psync_wg_add, .wg_done = psync_wg_done,             \
        .wg_wait = psync_wg_wait, .wg_free = psync_wg_free, .mutex_make = ut_mutex_make,     \
        .mutex_lock = psync_mutex_lock, .mutex_unlock = psync_mutex_unlock,                  \
        .mutex_free = psync_mutex_free, .sleep_ns = ut_sleep_ns,                             \
        .syscall_enter = ut_syscall_noop, .syscall_exit = ut_syscall_noop, .stats = ut_stats, \
        .net_accept = ut_net_accept, .net_connect = ut_net_connect, .net_read = ut_net_read,   \
        .net_write = ut_net_write, .net_close = np_close,                                    \
    }

#endif
