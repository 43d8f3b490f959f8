/*
 * sched.h — the task API that every scheduler in asbench implements and every
 * scheduler workload uses.
 *
 * A scheduler is a plug-in: one `asb_sched` descriptor (a table of function
 * pointers) registered with ASB_REGISTER_SCHED().  Workloads never call a
 * scheduler's internals; they call through the descriptor they are handed, so
 * the same workload source runs on gmp, wsdeque, globalq, threads, openmp and
 * boostfiber.  The real Go runtime (`go`) is not a plug-in: it runs the Go twin
 * of each workload in its own worker binary that speaks the same protocol.
 *
 * Life cycle, as a workload sees it:
 *
 *     const asb_sched *s = asb_ctx_sched(ctx);
 *     s->run(nprocs, options, root_fn, root_arg);   // returns when root_fn returns
 *
 * run() starts the scheduler with `nprocs` processors (Go's GOMAXPROCS), runs
 * root_fn as the first task, and returns once root_fn has returned; tasks still
 * alive then are reported as leaked by the scheduler's stats and discarded.
 * Everything else below may only be called from inside a task, except spawn(),
 * which may also be called from a thread outside the scheduler ("injection").
 *
 * Blocking operations (chan_send/recv, wg_wait, mutex_lock, sleep) park the
 * calling task, never the OS thread, in the user-level schedulers.
 * syscall_enter/exit bracket a blocking system call done by the task, so a
 * scheduler can hand its processor to another thread (Go's entersyscall).
 */
#ifndef ASB_SCHED_H
#define ASB_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*asb_task_fn)(void *arg);

typedef struct asb_chan asb_chan;
typedef struct asb_wg asb_wg;
typedef struct asb_mutex asb_mutex;

/* Capabilities: a workload declares which it needs; a scheduler declares
 * which it has.  A workload needing a capability the scheduler lacks is
 * recorded as `unsupported` with the missing capability named. */
enum {
    ASB_CAP_SPAWN_JOIN = 1u << 0, /* spawn, wait groups */
    ASB_CAP_CHANNELS   = 1u << 1, /* channels and select */
    ASB_CAP_BLOCKING   = 1u << 2, /* mutex, sleep, syscall markers, parking */
    ASB_CAP_PREEMPTION = 1u << 3, /* a task that never yields is preempted */
    ASB_CAP_INJECTION  = 1u << 4, /* spawn from a thread outside the scheduler */
    ASB_CAP_MANY_TASKS = 1u << 5, /* a million live tasks */
    ASB_CAP_NET        = 1u << 6, /* the net_* socket calls below */
};

/* One case of select(). */
typedef enum { ASB_SELECT_SEND, ASB_SELECT_RECV } asb_select_dir;
typedef struct asb_select_case {
    asb_chan *chan;
    asb_select_dir dir;
    void *elem;  /* send: value to send; recv: where to store the value (may be NULL) */
    bool ok;     /* recv: set false when the channel was closed and drained */
} asb_select_case;

/* A statistic emitted by a scheduler (steals, preemptions …). */
typedef void (*asb_stat_emit)(void *cookie, const char *key, double value);

typedef struct asb_sched {
    const char *name;    /* "gmp", "wsdeque", … */
    const char *summary; /* one line for `asbench list` */
    unsigned caps;       /* ASB_CAP_* */

    /* Start with nprocs processors, run root(arg) as a task, return when it
     * returns.  `options` is a GODEBUG-style string ("runnext=0,steal=0") or
     * NULL; gmp refuses a key it does not know or a bad value (the message on
     * stderr, exit status 1), the other schedulers take no options.  Returns
     * 0, or -1 with errno set when the scheduler cannot start. */
    int (*run)(int nprocs, const char *options, asb_task_fn root, void *arg);

    /* Tasks.  spawn returns 0, or -1 when out of memory. */
    int (*spawn)(asb_task_fn fn, void *arg);
    void (*yield)(void);
    void (*exit)(void) __attribute__((noreturn)); /* end the calling task */
    void (*preempt_check)(void); /* cooperative preemption point in loops */

    /* Channels of fixed-size elements; cap 0 = unbuffered. */
    asb_chan *(*chan_make)(size_t elemsize, size_t cap);
    void (*chan_send)(asb_chan *c, const void *elem); /* send on closed: abort() */
    bool (*chan_recv)(asb_chan *c, void *elem);        /* false: closed and empty */
    void (*chan_close)(asb_chan *c);
    void (*chan_free)(asb_chan *c);
    /* Returns the index of the case that ran, or -1 if has_default and none
     * was ready.  Cases are polled in random order, as Go does. */
    int (*select)(asb_select_case *cases, int ncases, bool has_default);

    /* Wait groups and mutexes. */
    asb_wg *(*wg_make)(void);
    void (*wg_add)(asb_wg *wg, int delta);
    void (*wg_done)(asb_wg *wg);
    void (*wg_wait)(asb_wg *wg);
    void (*wg_free)(asb_wg *wg);
    asb_mutex *(*mutex_make)(void);
    void (*mutex_lock)(asb_mutex *m);
    void (*mutex_unlock)(asb_mutex *m);
    void (*mutex_free)(asb_mutex *m);

    void (*sleep_ns)(uint64_t ns);
    void (*syscall_enter)(void);
    void (*syscall_exit)(void);

    /* Counters after run() returned (may be NULL): emit("steals", n) … */
    void (*stats)(asb_stat_emit emit, void *cookie);

    /* Sockets (ASB_CAP_NET), for the server workloads.  The fd is any
     * stream socket the task created (socket/bind/listen are plain libc
     * calls); the scheduler makes it non-blocking on first use.  A call that
     * cannot complete parks the calling task until the fd is ready (gmp's
     * netpoller, an epoll loop of the scheduler's own) or blocks the OS thread
     * (threads).  deadline_ns is an absolute CLOCK_MONOTONIC time, 0 = none.
     * Results: as the libc call (fd, byte count, 0), or -errno: -ETIMEDOUT
     * once the deadline passed, -EBADF when another task closed the fd with
     * net_close while this one was parked on it.  read returns what is there
     * (≥ 1 byte, 0 at end of stream); write writes all n bytes or fails.
     * An fd used with these calls is closed with net_close, not close(2):
     * the scheduler forgets its state for the fd (a poller registration)
     * there, before the number can be reused. */
    int (*net_accept)(int listen_fd, uint64_t deadline_ns);
    int (*net_connect)(int fd, const void *sockaddr, unsigned addrlen, uint64_t deadline_ns);
    long (*net_read)(int fd, void *buf, size_t n, uint64_t deadline_ns);
    long (*net_write)(int fd, const void *buf, size_t n, uint64_t deadline_ns);
    int (*net_close)(int fd);
} asb_sched;

/* Registry (schedulers/registry.c). */
void asb_sched_register(const asb_sched *s);
const asb_sched *asb_sched_find(const char *name);
/* Iterate: returns the i-th registered scheduler or NULL past the end. */
const asb_sched *asb_sched_at(int i);

#define ASB_REGISTER_SCHED(desc)                                               \
    __attribute__((constructor)) static void asb_register_sched_##desc(void) { \
        asb_sched_register(&desc);                                             \
    }

#ifdef __cplusplus
}
#endif
#endif
