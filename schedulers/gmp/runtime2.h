/*
 * runtime2.h — the G, M, P and sched structures of the gmp scheduler and the
 * internal interfaces between its files.  Follows Go's runtime/runtime2.go
 * (structures and G/P states); the functions are declared next to the Go
 * file they mirror.
 */
#ifndef GMP_RUNTIME2_H
#define GMP_RUNTIME2_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctx.h"
#include "../sched.h"

/* Everything the runtime's files share below is hidden: the scheduler
 * library is compiled -fPIC, where a visible function may be interposed and
 * so is never inlined, not even into its own file.  The interface is the
 * asb_sched table (sched.h, above). */
#pragma GCC visibility push(hidden)

#define GMP_RUNQ_SIZE 256           /* per-P run queue, as Go */
#define GMP_MAX_PROCS 1024          /* most Ps GMPDEBUG=procs may ask for (_MaxGomaxprocs) */
#define GMP_FORCE_PREEMPT_NS 10000000 /* sysmon preempts a G after 10 ms (forcePreemptNS) */
#define GMP_STACK_SIZE (64 * 1024)  /* usable bytes per G stack (lazily committed) */
#define GMP_STACK_CACHE 32          /* stacks cached per P */
#define GMP_GFREE_LOCAL_MAX 64      /* dead Gs kept per P before moving half to sched */

#define relaxed_load(p) atomic_load_explicit((p), memory_order_relaxed)
#define relaxed_store(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)
#define acquire_load(p) atomic_load_explicit((p), memory_order_acquire)
#define release_store(p, v) atomic_store_explicit((p), (v), memory_order_release)

struct G;
struct M;
struct P;

/* lock.c (lock_futex.go): the runtime's own mutex and one-shot note. */
enum { GMP_MUTEX_UNLOCKED = 0, GMP_MUTEX_LOCKED = 1, GMP_MUTEX_SLEEPING = 2 };
typedef struct gmp_mutex {
    _Atomic uint32_t key; /* a GMP_MUTEX_* state */
} gmp_mutex;
typedef struct gmp_note {
    _Atomic uint32_t key; /* 0 clear, 1 woken */
} gmp_note;
void gmp_lock_slow(gmp_mutex *l, uint32_t seen);
void gmp_unlock_wake(gmp_mutex *l);
bool gmp_trylock(gmp_mutex *l);
/* The uncontended paths are inline (one exchange each, as Go's lock2 and
 * unlock2 begin); only a held lock or a sleeping waiter leaves them. */
static inline void gmp_lock(gmp_mutex *l) {
    uint32_t v = atomic_exchange_explicit(&l->key, GMP_MUTEX_LOCKED, memory_order_acquire);
    if (__builtin_expect(v != GMP_MUTEX_UNLOCKED, 0)) gmp_lock_slow(l, v);
}
static inline void gmp_unlock(gmp_mutex *l) {
    uint32_t v = atomic_exchange_explicit(&l->key, GMP_MUTEX_UNLOCKED, memory_order_release);
    if (__builtin_expect(v == GMP_MUTEX_SLEEPING, 0)) gmp_unlock_wake(l);
}
void gmp_notesleep(gmp_note *n);
bool gmp_notetsleep(gmp_note *n, int64_t ns); /* false: timed out */
void gmp_notewakeup(gmp_note *n);
void gmp_noteclear(gmp_note *n);

/* G states: the values of Go's _Gidle … _Gdead. */
enum gmp_gstatus {
    G_IDLE = 0,     /* just allocated */
    G_RUNNABLE = 1, /* on a run queue */
    G_RUNNING = 2,  /* owns an M and a P */
    G_SYSCALL = 3,  /* in a blocking call bracketed by syscall_enter/exit; owns an M, not a P */
    G_WAITING = 4,  /* parked (gopark); waitreason says on what */
    G_DEAD = 6,     /* on a free list, or never started */
};
#define GMP_NGSTATUS 7

/* P states (_Pidle …). */
enum gmp_pstatus { P_IDLE = 0, P_RUNNING = 1, P_SYSCALL = 2 };

/* Why a G is waiting (Go's waitReason). */
typedef enum gmp_waitreason {
    WAIT_NONE = 0,
    WAIT_CHAN_SEND,
    WAIT_CHAN_RECV,
    WAIT_SELECT,
    WAIT_SELECT_NO_CASES,
    WAIT_SLEEP,
    WAIT_SEMACQUIRE,
    WAIT_SYNC_MUTEX_LOCK,
    WAIT_SYNC_WAITGROUP_WAIT,
    WAIT_IO_WAIT,
    WAIT_NREASONS
} gmp_waitreason;
const char *gmp_waitreason_string(gmp_waitreason r);

/* stack.c (stack.go) */
typedef struct gmp_stack {
    char *lo;     /* usable [lo, lo + GMP_STACK_SIZE); a guard page may lie below lo */
    bool guarded; /* it does */
} gmp_stack;

/* time.c (time.go): a timer in one P's 4-ary heap.  When it fires, f(arg,
 * seq) runs on an M that holds a P (sleep: ready the G; netpoll: a deadline
 * passed), with the arg and seq the timer had when it was taken off the heap,
 * so its owner may re-arm it at once. */
struct gmp_timers;
typedef struct gmp_timer {
    int64_t when;
    void (*f)(void *arg, uintptr_t seq);
    void *arg;
    uintptr_t seq;
    int index;               /* position in the heap, -1 when in none */
    struct gmp_timers *heap; /* the heap it is in (valid while index >= 0) */
} gmp_timer;
typedef struct gmp_timers {
    gmp_mutex lock;
    gmp_timer **heap;
    int len, cap;
    _Atomic int64_t when0; /* when of heap[0], 0 if empty: read without the lock */
} gmp_timers;

/* A G waiting on a channel, semaphore or select case (Go's sudog).  It lives
 * on the waiting G's stack: stacks never move here, so no sudog cache. */
typedef struct gmp_sudog {
    struct G *g;
    struct gmp_sudog *next, *prev;
    void *elem;        /* data element (may point to a stack) */
    bool is_select;
    bool success;      /* woken by a value (true) or by close (false) */
} gmp_sudog;
typedef struct gmp_waitq {
    gmp_sudog *first, *last;
} gmp_waitq;
void gmp_waitq_enqueue(gmp_waitq *q, gmp_sudog *sg);
gmp_sudog *gmp_waitq_dequeue(gmp_waitq *q); /* skips select sudogs already won */
void gmp_waitq_remove(gmp_waitq *q, gmp_sudog *sg);

typedef struct G {
    asb_uctx ctx; /* saved registers (Go: gobuf) */
    gmp_stack stack;
    _Atomic uint32_t status;
    _Atomic bool preempt;   /* preemption request: honour at the next safe point */
    _Atomic bool user_code; /* running task code, outside every API call: async-safe */
    _Atomic uint8_t waitreason;
    uint64_t goid;
    struct G *schedlink; /* run queue / free list link */
    struct G *alllink;   /* allgs list, never unlinked during a run */
    asb_task_fn fn;
    void *arg;
    struct M *m;
    void *param;                 /* the sudog that woke a select */
    _Atomic uint32_t select_done; /* a select case has won */
    gmp_timer sleep_timer;
} G;

/* Scheduler counters kept per P (only the P's owner writes them). */
typedef struct gmp_pstats {
    uint64_t ctxswitches, steals, stolen_gs, runq_overflows, preempt_coop, preempt_async,
        spawns, gosched, runnext_hits;
} gmp_pstats;

typedef struct P {
    int id;
    _Atomic uint32_t status;
    struct P *link; /* idle list */
    _Atomic uint32_t schedtick;   /* incremented by every schedule that does not inherit */
    _Atomic uint32_t syscalltick; /* incremented on every syscall return */
    struct {                      /* sysmon's last observation (only sysmon touches it) */
        uint32_t schedtick, syscalltick;
        int64_t schedwhen, syscallwhen;
    } sysmontick;
    _Atomic(struct M *) m;
    _Atomic uint32_t runqhead, runqtail;
    _Atomic(G *) runq[GMP_RUNQ_SIZE];
    _Atomic(G *) runnext;
    G *gfree[GMP_GFREE_LOCAL_MAX]; /* dead Gs, most recently freed last */
    int gfreecnt;
    gmp_stack stackcache[GMP_STACK_CACHE];
    int nstackcache;
    uint64_t goidcache, goidcacheend;
    gmp_timers timers;
    gmp_pstats stats;
} P;

typedef struct M {
    asb_uctx g0;            /* scheduler context on the thread's own stack */
    _Atomic(G *) curg;      /* running G, NULL while on g0 */
    P *p, *nextp, *oldp;
    bool spinning;          /* looking for work without having found any */
    gmp_note park;
    int id;
    _Atomic pid_t tid;
    pthread_t thread;
    struct M *schedlink; /* idle list */
    struct M *alllink;
    void (*mcall_fn)(G *gp);            /* what g0 does for the G that switched to it */
    bool (*waitunlockf)(G *gp, void *); /* gopark's commit function */
    void *waitlock;
    G *runnow;          /* G to resume at once after mcall_fn (unlockf refused, syscall exit) */
    bool runnow_inherit;
    uint64_t fastrand;
    void *sigstack;
} M;

/* Ablation switches (GMPDEBUG / run() options). */
typedef struct gmp_debug {
    bool runnext, steal, spinning, asyncpreempt, sysmon;
    bool netpoll; /* 0: net calls block their M in poll(2) inside entersyscall/exitsyscall */
    int procs; /* 0: use run()'s nprocs */
} gmp_debug;

/* runtime1.c (runtime1.go): parse a GMPDEBUG string into *d (defaults
 * first).  Returns 0, or -1 with a message naming the unknown key or bad
 * value in err (ASB_DEBUGVARS_ERR_MAX bytes suffice). */
int gmp_debug_parse(const char *s, gmp_debug *d, char *err, size_t errlen);

/* Global scheduler state (Go's schedt) plus the run-wide tables. */
typedef struct schedt {
    gmp_mutex lock;
    M *midle;
    int nmidle;
    int mcount;
    P *pidle;
    _Atomic int32_t npidle;
    _Atomic int32_t nmspinning;
    G **runq;        /* global run queue: a ring of runqcap slots from runqhead */
    uint32_t runqcap, runqhead;
    _Atomic int32_t runqsize;
    gmp_mutex gflock; /* global free G list: an array with room for every G */
    G **gfree;
    size_t gfreecap, gfreeslots; /* room in gfree; Gs it must hold at most */
    _Atomic size_t ngfree; /* read without gflock as a hint */
    _Atomic bool done;     /* root returned: Ms exit */
    M *timerwaiter;        /* idle M sleeping until the next timer (under lock) */
    _Atomic int64_t lastpoll;  /* when the network was last polled; 0: an M is blocked in netpoll */
    _Atomic int64_t pollUntil; /* when that M's blocking netpoll times out; 0: never */
    _Atomic int64_t timerwaiter_when;
    uint64_t lock_acquires, lock_contended; /* of sched.lock */
    _Atomic uint64_t syscall_handoffs, preempt_requests, spinning_starts;
} schedt;

extern schedt gmp_sched;
extern gmp_debug gmp_opts;
extern P **gmp_allp;
extern int gmp_gomaxprocs;
extern _Atomic(M *) gmp_allm;
extern _Atomic(G *) gmp_allgs;
extern _Atomic uint64_t gmp_allgs_count;

/* proc.c (proc.go) */
M *gmp_getm(void);
/* The G running on this thread (NULL on g0 and outside the scheduler).  One
 * TLS load, and a G stays the same G wherever it migrates, so unlike the M it
 * may be read anywhere, even where a preemption can move the G to another
 * thread between two instructions. */
extern __thread G *gmp_tls_g __attribute__((tls_model("initial-exec")));
static inline G *gmp_getg(void) { return gmp_tls_g; }
int64_t gmp_nanotime(void);
uint32_t gmp_fastrandn(uint32_t n);
void gmp_sched_lock(void); /* sched.lock with acquisition / contention counts */
void gmp_sched_unlock(void);
/* Switch from the running G to its M's g0, which runs fn(gp) (Go's mcall).
 * Inline, like gmp_gopark: every call frame between a parking G's API entry
 * point and the switch is a return that mispredicts when the G resumes (the
 * return-stack predictor then holds g0's return addresses). */
static inline void gmp_mcall(M *m, G *gp, void (*fn)(G *)) {
    m->mcall_fn = fn;
    asb_uctx_switch(&gp->ctx, &m->g0);
}
void gmp_park_m(G *gp); /* gopark's second half, on g0 */
/* Park the calling G.  unlockf(gp, lock) runs on g0 once the G is parked
 * (typically releasing the lock that protects the wait queue); if it returns
 * false the G resumes at once. */
static inline void gmp_gopark(bool (*unlockf)(G *, void *), void *lock, gmp_waitreason reason) {
    M *m = gmp_getm();
    G *gp = relaxed_load(&m->curg);
    relaxed_store(&gp->waitreason, reason);
    m->waitunlockf = unlockf;
    m->waitlock = lock;
    gmp_mcall(m, gp, gmp_park_m);
    relaxed_store(&gp->waitreason, WAIT_NONE);
}
void gmp_goready(G *gp);
void gmp_gosched(void);
void gmp_gopreempt(bool async);
/* The brackets of every task API call (see gmp.c). */
static inline G *gmp_enter_runtime(void) {
    G *gp = gmp_getg();
    if (gp) {
        relaxed_store(&gp->user_code, false);
        atomic_signal_fence(memory_order_seq_cst);
    }
    return gp;
}
static inline void gmp_leave_runtime(G *gp) {
    if (!gp) return;
    if (relaxed_load(&gp->preempt)) gmp_gopreempt(false);
    atomic_signal_fence(memory_order_seq_cst);
    relaxed_store(&gp->user_code, true);
}
void gmp_goexit(void) __attribute__((noreturn));
int gmp_newproc(asb_task_fn fn, void *arg);
void gmp_wakep(void);
void gmp_wake_timer_waiter(int64_t when);
uint64_t gmp_outside_spawns(void);
void gmp_entersyscall(void);
void gmp_exitsyscall(void);
int gmp_run(int nprocs, const char *options, asb_task_fn root, void *arg);
void gmp_casgstatus(G *gp, uint32_t from, uint32_t to);

/* runq.c (proc.go: runqput … globrunqget) */
void gmp_runqput(P *pp, G *gp, bool next);
G *gmp_runqget(P *pp, bool *inherit_time);
G *gmp_runqsteal(P *pp, P *victim, bool steal_runnext);
bool gmp_runqempty(P *pp);
uint32_t gmp_runqlen(P *pp);
void gmp_globrunqput(G *gp);                  /* sched.lock held */
void gmp_globrunqputbatch(G *const *batch, int n); /* sched.lock held */
void gmp_globrunq_destroy(void);
G *gmp_globrunqget(P *pp, int max);        /* sched.lock held */

/* stack.c (stack.go) */
bool gmp_stackalloc(P *pp, gmp_stack *out);
void gmp_stackfree(gmp_stack st);     /* at the end of a run only */
void gmp_stackpool_release(void);     /* after the run's last stackfree */
size_t gmp_stack_guard_count(void);

/* time.c (time.go) */
void gmp_sleep(uint64_t ns);
/* Arm t (f, arg, seq, when set by the caller) on the current P's heap and
 * wake the poller or timer waiter if it fires earlier than what they wait
 * for (Go's addtimer + wakeNetPoller).  False: out of memory. */
bool gmp_addtimer(gmp_timer *t);
/* Take t off its heap if it is still on one; false if it is not (it fired,
 * or was never armed).  The caller serialises addtimer/deltimer of t. */
bool gmp_deltimer(gmp_timer *t);
bool gmp_checktimers(P *pp, int64_t now); /* true if it readied a G */
int64_t gmp_timers_earliest(void);          /* over all Ps; 0: none */
void gmp_timers_destroy(P *pp);

/* preempt.c (preempt.go, signal_unix.go) */
bool gmp_preempt_install(void); /* false: async preemption unavailable */
void gmp_preempt_uninstall(void);
void gmp_preempt_m(M *mp);       /* send SIGURG */
void gmp_signal_stack_init(M *mp);
void gmp_signal_stack_fini(M *mp);

/* traceback.c (traceback.go): dumps, leak report, statistics. */
void gmp_dump_install(void);
void gmp_dump_uninstall(void);
void gmp_dump_all(int fd);
void gmp_collect_stats(void); /* at the end of run(), before Gs are freed */
void gmp_stats(asb_stat_emit emit, void *cookie);

/* netpoll.c, netpoll_epoll.c (netpoll.go, netpoll_epoll.go).  A list of Gs
 * made ready by the poller is linked through schedlink; its Gs are still
 * G_WAITING (injectglist makes them runnable). */
bool gmp_netpollinited(void);
int32_t gmp_netpoll_waiters(void); /* Gs parked on a descriptor (Go's netpollWaiters) */
/* Poll: delay < 0 blocks until an event or netpollBreak, 0 does not block,
 * > 0 blocks up to delay ns. */
G *gmp_netpoll(int64_t delay);
void gmp_netpollBreak(void);      /* wake the M blocked in netpoll */
void gmp_netpoll_run_begin(void); /* reset the per-run state (run() start) */
void gmp_netpoll_run_end(void);   /* close the epoll and eventfd, free the descriptors */
void gmp_netpoll_stats(asb_stat_emit emit, void *cookie);
typedef struct gmp_netpoll_counters {
    _Atomic uint64_t parks;        /* Gs parked waiting for readiness (netpoll=0: blocking polls) */
    _Atomic uint64_t ready;        /* Gs the poller made runnable */
    _Atomic uint64_t polls;        /* netpoll calls */
    _Atomic uint64_t blocking;     /* netpoll calls that could block (delay != 0) */
    _Atomic uint64_t breaks;       /* netpollBreak wake-ups sent */
    _Atomic uint64_t sysmon_polls; /* polls by sysmon (nobody polled for 10 ms) */
} gmp_netpoll_counters;
extern gmp_netpoll_counters gmp_netpollstat;
int gmp_net_accept(int listen_fd, uint64_t deadline_ns);
int gmp_net_connect(int fd, const void *sockaddr, unsigned addrlen, uint64_t deadline_ns);
long gmp_net_read(int fd, void *buf, size_t n, uint64_t deadline_ns);
long gmp_net_write(int fd, const void *buf, size_t n, uint64_t deadline_ns);
int gmp_net_close(int fd);
/* netpoll_epoll.c: the platform half, used by netpoll.c only. */
struct gmp_polldesc;
int gmp_netpollinit(void); /* 0 or -errno */
void gmp_netpollfini(void);
int gmp_netpollopen(int fd, uint32_t seq); /* 0 or -errno */
void gmp_netpollclose(int fd);
/* netpoll.c for netpoll_epoll.c: the descriptor an event names, if it is
 * still the incarnation (seq) that was registered; and Go's netpollready. */
struct gmp_polldesc *gmp_polldesc_lookup(int fd, uint32_t seq);
void gmp_netpollready(G **list, struct gmp_polldesc *pd, bool read, bool write);

/* proc.c: make a list of Gs from the poller runnable (Go's injectglist). */
void gmp_injectglist(G *list);

/* sema.c (sema.go) */
typedef struct gmp_sema {
    gmp_mutex lock;
    uint32_t count;
    gmp_waitq waiters;
} gmp_sema;
void gmp_semacquire(gmp_sema *s, gmp_waitreason reason);
void gmp_semrelease(gmp_sema *s);

/* chan.c, select.c, sema.c: the blocking objects of the task API. */
asb_chan *gmp_chan_make(size_t elemsize, size_t cap);
void gmp_chan_send(asb_chan *c, const void *elem); /* API entry points (bracketed) */
bool gmp_chan_recv(asb_chan *c, void *elem);
bool gmp_chan_trysend(asb_chan *c, const void *elem); /* select with default, one case */
bool gmp_chan_tryrecv(asb_chan *c, void *elem, bool *ok);
void gmp_chan_close(asb_chan *c);
void gmp_chan_free(asb_chan *c);
void gmp_chan_lock(asb_chan *c);
/* With c locked: do the operation if it can proceed now (then c is unlocked). */
bool gmp_chan_send_ready_locked(asb_chan *c, const void *ep);
bool gmp_chan_recv_ready_locked(asb_chan *c, void *ep, bool *ok);
void gmp_chan_enqueue(asb_chan *c, gmp_sudog *sg, bool send);
void gmp_chan_dequeue_sudog(asb_chan *c, gmp_sudog *sg, bool send);
void gmp_chan_unlock(asb_chan *c);
int gmp_select(asb_select_case *cases, int ncases, bool has_default);
asb_wg *gmp_wg_make(void);
void gmp_wg_add(asb_wg *wg, int delta);
void gmp_wg_wait(asb_wg *wg);
void gmp_wg_free(asb_wg *wg);
asb_mutex *gmp_mutex_make(void);
void gmp_mutex_lock(asb_mutex *m);
void gmp_mutex_unlock(asb_mutex *m);
void gmp_mutex_free(asb_mutex *m);
void gmp_throw(const char *msg) __attribute__((noreturn));

#pragma GCC visibility pop

#endif
