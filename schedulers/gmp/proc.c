/*
 * proc.c — the G-M-P scheduler core: schedule/findRunnable/execute,
 * gopark/goready, newproc and G free lists, wakep/startm/stopm/handoffp,
 * entersyscall/exitsyscall, sysmon/retake/preemptone, injectglist and the
 * network poller's call sites, and run().  Follows Go's runtime/proc.go
 * (Go 1.19), function by function where C allows.
 *
 * Every M runs schedule() on its own thread stack (g0).  A G gives up its M
 * with mcall(fn): it switches to g0, which runs fn(gp) (park, gosched,
 * preempt, exit, slow syscall exit) and then schedules the next G.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "debugvars.h"
#include "runtime2.h"

#ifdef __clang__
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noipa))
#endif

schedt gmp_sched;
gmp_debug gmp_opts;
P **gmp_allp;
int gmp_gomaxprocs;
_Atomic(M *) gmp_allm;
_Atomic(G *) gmp_allgs;
_Atomic uint64_t gmp_allgs_count;

/* The M of the current thread.  Read only through gmp_getm(), and only where
 * the G cannot be preempted (inside the runtime): a G may resume on another
 * thread, and an out-of-line call stops the compiler from reusing an M read
 * before a switch.  initial-exec: the runtime is linked into executables, so
 * the TLS offset is a link-time constant. */
static __thread M *tls_m __attribute__((tls_model("initial-exec")));
__thread G *gmp_tls_g __attribute__((tls_model("initial-exec")));

static G *rootg;
static _Atomic bool running;        /* a run() is in progress (outside spawns) */
static _Atomic uint64_t goid_gen;
static _Atomic uint64_t outside_spawns;
static bool async_preempt_ok;       /* SIGURG handler installed */
static pthread_t sysmon_thread;
static bool sysmon_started;
static _Atomic bool sysmon_stop;
static gmp_note sysmon_note;
static uint32_t *steal_coprimes;    /* numbers coprime with gomaxprocs: steal orders */
static uint32_t nsteal_coprimes;

void gmp_throw(const char *msg) {
    fprintf(stderr, "gmp: fatal error: %s\n", msg);
    abort();
}

NOINLINE M *gmp_getm(void) { return tls_m; }

int64_t gmp_nanotime(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* wyrand, per M (Go's fastrand). */
static uint32_t fastrand(M *m) {
    m->fastrand += 0xa0761d6478bd642full;
    __uint128_t r = (__uint128_t)m->fastrand * (m->fastrand ^ 0xe7037ed1a0b428dbull);
    return (uint32_t)((uint64_t)(r >> 64) ^ (uint64_t)r);
}

uint32_t gmp_fastrandn(uint32_t n) {
    return (uint32_t)(((uint64_t)fastrand(gmp_getm()) * n) >> 32);
}

void gmp_sched_lock(void) {
    if (!gmp_trylock(&gmp_sched.lock)) {
        gmp_lock(&gmp_sched.lock);
        gmp_sched.lock_contended++;
    }
    gmp_sched.lock_acquires++;
}

void gmp_sched_unlock(void) { gmp_unlock(&gmp_sched.lock); }

/* Only the G's owner changes its status, so a checked store is enough (Go
 * uses a CAS because the GC also changes statuses). */
void gmp_casgstatus(G *gp, uint32_t from, uint32_t to) {
    uint32_t old = relaxed_load(&gp->status);
    if (old != from) {
        fprintf(stderr, "gmp: casgstatus: G %llu is in state %u, want %u -> %u\n",
                (unsigned long long)gp->goid, old, from, to);
        gmp_throw("bad G status transition");
    }
    release_store(&gp->status, to);
}

/* ---- P and M lists (sched.lock held) ---- */

static void acquirep(M *m, P *pp) {
    m->p = pp;
    relaxed_store(&pp->m, m);
    atomic_store_explicit(&pp->status, P_RUNNING, memory_order_release);
}

static P *releasep(M *m) {
    P *pp = m->p;
    relaxed_store(&pp->m, NULL);
    m->p = NULL;
    atomic_store_explicit(&pp->status, P_IDLE, memory_order_release);
    return pp;
}

static void pidleput(P *pp) {
    pp->link = gmp_sched.pidle;
    gmp_sched.pidle = pp;
    atomic_fetch_add(&gmp_sched.npidle, 1);
}

static P *pidleget(void) {
    P *pp = gmp_sched.pidle;
    if (pp) {
        gmp_sched.pidle = pp->link;
        atomic_fetch_sub(&gmp_sched.npidle, 1);
    }
    return pp;
}

static void mput(M *m) {
    m->schedlink = gmp_sched.midle;
    gmp_sched.midle = m;
    gmp_sched.nmidle++;
}

static M *mget(void) {
    M *m = gmp_sched.midle;
    if (m) {
        gmp_sched.midle = m->schedlink;
        gmp_sched.nmidle--;
    }
    return m;
}

/* ---- Gs: allocation, free lists ---- */

static void allgadd(G *gp) {
    G *head = relaxed_load(&gmp_allgs);
    do gp->alllink = head;
    while (!atomic_compare_exchange_weak_explicit(&gmp_allgs, &head, gp, memory_order_release,
                                                  memory_order_relaxed));
    atomic_fetch_add_explicit(&gmp_allgs_count, 1, memory_order_relaxed);
}

/* The global free list must take every G without allocating: make room
 * for one more G before it exists (gflock held). */
static bool gfree_reserve(void) {
    if (gmp_sched.gfreeslots == gmp_sched.gfreecap) {
        size_t cap = gmp_sched.gfreecap ? 2 * gmp_sched.gfreecap : 1024;
        G **v = realloc(gmp_sched.gfree, cap * sizeof *v);
        if (!v) return false;
        gmp_sched.gfree = v;
        gmp_sched.gfreecap = cap;
    }
    gmp_sched.gfreeslots++;
    return true;
}

/* A new G lives at the top of its own stack, below a per-G "colour" offset
 * of 0-31 cache lines: stack slots are 68 KiB apart, so without it every G's
 * hot lines (the G and the top frames) would fall into the same few cache
 * sets. */
static G *malg(P *pp) {
    static _Atomic uint32_t colour;
    gmp_lock(&gmp_sched.gflock);
    bool room = gfree_reserve();
    gmp_unlock(&gmp_sched.gflock);
    gmp_stack st;
    if (!room || !gmp_stackalloc(pp, &st)) return NULL;
    uint32_t c = atomic_fetch_add_explicit(&colour, 1, memory_order_relaxed) % 32;
    uintptr_t top = (uintptr_t)st.lo + GMP_STACK_SIZE;
    G *gp = (G *)((top - sizeof(G) - c * 64) & ~(uintptr_t)63);
    memset(gp, 0, sizeof *gp);
    gp->stack = st;
    relaxed_store(&gp->status, G_IDLE);
    gmp_casgstatus(gp, G_IDLE, G_DEAD);
    allgadd(gp);
    return gp;
}

/* Put a dead G on pp's free list; when it is full move its older half to
 * the global one.  Gs keep their stacks (all stacks have one size).  The
 * lists are arrays of pointers, not lists linked through the Gs as in Go:
 * moving 32 Gs between them then touches 32 pointers, not 32 cold G
 * structures each on its own stack page. */
static void gfput(P *pp, G *gp) {
    pp->gfree[pp->gfreecnt++] = gp;
    if (pp->gfreecnt < GMP_GFREE_LOCAL_MAX) return;
    enum { HALF = GMP_GFREE_LOCAL_MAX / 2 };
    gmp_lock(&gmp_sched.gflock);
    size_t n = relaxed_load(&gmp_sched.ngfree);
    memcpy(&gmp_sched.gfree[n], pp->gfree, HALF * sizeof(G *));
    relaxed_store(&gmp_sched.ngfree, n + HALF);
    gmp_unlock(&gmp_sched.gflock);
    memmove(pp->gfree, pp->gfree + HALF, (GMP_GFREE_LOCAL_MAX - HALF) * sizeof(G *));
    pp->gfreecnt -= HALF;
}

/* pp may be NULL (outside spawn): take one G straight from the global list. */
static G *gfget(P *pp) {
    if (!pp) {
        G *g = NULL;
        gmp_lock(&gmp_sched.gflock);
        size_t n = relaxed_load(&gmp_sched.ngfree);
        if (n > 0) {
            g = gmp_sched.gfree[n - 1];
            relaxed_store(&gmp_sched.ngfree, n - 1);
        }
        gmp_unlock(&gmp_sched.gflock);
        return g;
    }
    if (pp->gfreecnt == 0 && relaxed_load(&gmp_sched.ngfree) > 0) {
        gmp_lock(&gmp_sched.gflock);
        size_t n = relaxed_load(&gmp_sched.ngfree);
        size_t k = n < GMP_GFREE_LOCAL_MAX / 2 ? n : GMP_GFREE_LOCAL_MAX / 2;
        memcpy(pp->gfree, &gmp_sched.gfree[n - k], k * sizeof(G *));
        relaxed_store(&gmp_sched.ngfree, n - k);
        gmp_unlock(&gmp_sched.gflock);
        pp->gfreecnt = (int)k;
    }
    if (pp->gfreecnt == 0) return NULL;
    G *g = pp->gfree[--pp->gfreecnt];
    if (pp->gfreecnt > 0) __builtin_prefetch(pp->gfree[pp->gfreecnt - 1], 1);
    return g;
}

/* Entry of every G (Go: goexit frame + the G's function). */
static void gostart(void *arg) {
    G *gp = arg;
    atomic_signal_fence(memory_order_seq_cst);
    relaxed_store(&gp->user_code, true);
    gp->fn(gp->arg);
    gmp_goexit();
}

/* A P takes goroutine ids from goid_gen this many at a time (Go's
 * _GoidCacheBatch). */
#define GOID_CACHE_BATCH 16

static G *newproc1(P *pp, asb_task_fn fn, void *arg) {
    G *gp = gfget(pp);
    if (!gp && !(gp = malg(pp))) return NULL;
    gp->fn = fn;
    gp->arg = arg;
    gp->m = NULL;
    gp->param = NULL;
    relaxed_store(&gp->preempt, false);
    relaxed_store(&gp->user_code, false);
    relaxed_store(&gp->waitreason, WAIT_NONE);
    asb_uctx_make(&gp->ctx, gp->stack.lo, (size_t)((char *)gp - gp->stack.lo), gostart, gp);
    if (pp) {
        if (pp->goidcache == pp->goidcacheend) {
            pp->goidcache = atomic_fetch_add(&goid_gen, GOID_CACHE_BATCH) + 1;
            pp->goidcacheend = pp->goidcache + GOID_CACHE_BATCH;
        }
        gp->goid = pp->goidcache++;
    } else {
        gp->goid = atomic_fetch_add(&goid_gen, 1) + 1;
    }
    gmp_casgstatus(gp, G_DEAD, G_RUNNABLE);
    return gp;
}

int gmp_newproc(asb_task_fn fn, void *arg) {
    M *m = gmp_getm();
    if (m && m->p && relaxed_load(&m->curg)) {
        P *pp = m->p;
        G *gp = newproc1(pp, fn, arg);
        if (!gp) return -1;
        pp->stats.spawns++;
        gmp_runqput(pp, gp, true);
        gmp_wakep();
        return 0;
    }
    /* A thread outside the scheduler: inject through the global queue. */
    if (!atomic_load(&running) || m) {
        errno = ESRCH;
        return -1;
    }
    G *gp = newproc1(NULL, fn, arg);
    if (!gp) return -1;
    atomic_fetch_add_explicit(&outside_spawns, 1, memory_order_relaxed);
    gmp_sched_lock();
    gmp_globrunqput(gp);
    gmp_sched_unlock();
    gmp_wakep();
    return 0;
}

uint64_t gmp_outside_spawns(void) { return atomic_load(&outside_spawns); }

/* ---- switching to g0 ---- */

static void dropg(M *m) { relaxed_store(&m->curg, NULL); }

void gmp_park_m(G *gp) {
    M *m = gp->m; /* we run on its g0 */
    gmp_casgstatus(gp, G_RUNNING, G_WAITING);
    dropg(m);
    bool (*unlockf)(G *, void *) = m->waitunlockf;
    void *lock = m->waitlock;
    m->waitunlockf = NULL;
    m->waitlock = NULL;
    if (unlockf && !unlockf(gp, lock)) {
        gmp_casgstatus(gp, G_WAITING, G_RUNNABLE);
        m->runnow = gp;
        m->runnow_inherit = true;
    }
}

/* Make a parked G runnable in the current P's runnext (it inherits the time
 * slice of the G that readied it) and wake an idle P if there is one. */
void gmp_goready(G *gp) {
    M *m = gmp_getm();
    gmp_casgstatus(gp, G_WAITING, G_RUNNABLE);
    gmp_runqput(m->p, gp, true);
    gmp_wakep();
}

static void gosched_common(G *gp) {
    M *m = gp->m; /* we run on its g0 */
    gmp_casgstatus(gp, G_RUNNING, G_RUNNABLE);
    dropg(m);
    gmp_sched_lock();
    gmp_globrunqput(gp);
    gmp_sched_unlock();
}

static void gosched_m(G *gp) {
    gp->m->p->stats.gosched++;
    gosched_common(gp);
}

static void gopreempt_m(G *gp) { gosched_common(gp); }

/* Gosched: the caller goes to the global queue. */
void gmp_gosched(void) {
    M *m = gmp_getm();
    gmp_mcall(m, relaxed_load(&m->curg), gosched_m);
}

/* A preemption request was honoured: like Gosched, counted apart. */
void gmp_gopreempt(bool async) {
    M *m = gmp_getm();
    if (async)
        m->p->stats.preempt_async++;
    else
        m->p->stats.preempt_coop++;
    gmp_mcall(m, relaxed_load(&m->curg), gopreempt_m);
}

static void root_done(void) {
    if (gmp_netpollinited()) gmp_netpollBreak(); /* the M blocked in netpoll leaves too */
    gmp_sched_lock();
    atomic_store(&gmp_sched.done, true);
    for (M *m = gmp_sched.midle; m; m = m->schedlink) gmp_notewakeup(&m->park);
    gmp_sched.midle = NULL;
    gmp_sched.nmidle = 0;
    if (gmp_sched.timerwaiter) {
        gmp_notewakeup(&gmp_sched.timerwaiter->park);
        gmp_sched.timerwaiter = NULL;
    }
    gmp_sched_unlock();
}

static void goexit0(G *gp) {
    M *m = gp->m; /* we run on its g0 */
    gmp_casgstatus(gp, G_RUNNING, G_DEAD);
    dropg(m);
    gp->fn = NULL;
    gp->arg = NULL;
    gp->m = NULL;
    if (gp == rootg) root_done();
    gfput(m->p, gp);
}

void gmp_goexit(void) {
    G *gp = gmp_getg();
    relaxed_store(&gp->user_code, false); /* first: from here on no preemption */
    atomic_signal_fence(memory_order_seq_cst);
    gmp_mcall(gmp_getm(), gp, goexit0);
    gmp_throw("a dead G was resumed");
}

/* ---- Ms: starting, stopping, spinning ---- */

static void schedule(M *m);
static void *mstart_thread(void *arg);

static void allmadd(M *m) {
    M *head = relaxed_load(&gmp_allm);
    do m->alllink = head;
    while (!atomic_compare_exchange_weak_explicit(&gmp_allm, &head, m, memory_order_release,
                                                  memory_order_relaxed));
}

static bool newm(P *pp, bool spinning, int id) {
    M *m = calloc(1, sizeof *m);
    if (!m) return false;
    m->id = id;
    m->nextp = pp;
    m->spinning = spinning;
    m->fastrand = (uint64_t)gmp_nanotime() * 0x9e3779b97f4a7c15ull + (uint64_t)id;
    allmadd(m);
    if (pthread_create(&m->thread, NULL, mstart_thread, m) != 0) {
        m->id = -1; /* never started: run() skips it when joining */
        return false;
    }
    return true;
}

/* Put the current M to sleep on the idle list until startm hands it a P
 * (or the run ends). */
static void stopm(M *m) {
    gmp_sched_lock();
    if (atomic_load(&gmp_sched.done)) {
        gmp_sched_unlock();
        return;
    }
    mput(m);
    gmp_sched_unlock();
    gmp_notesleep(&m->park);
    gmp_noteclear(&m->park);
    if (m->nextp) {
        acquirep(m, m->nextp);
        m->nextp = NULL;
    }
}

/* Run pp (an idle P, or any idle P when NULL) on an idle or new M. */
static void startm(P *pp, bool spinning) {
    gmp_sched_lock();
    if (atomic_load(&gmp_sched.done)) {
        if (pp) pidleput(pp);
        gmp_sched_unlock();
        if (spinning) atomic_fetch_sub(&gmp_sched.nmspinning, 1);
        return;
    }
    if (!pp && !(pp = pidleget())) {
        gmp_sched_unlock();
        if (spinning) atomic_fetch_sub(&gmp_sched.nmspinning, 1);
        return;
    }
    M *nmp = mget();
    if (!nmp) {
        int id = gmp_sched.mcount++;
        bool ok = newm(pp, spinning, id);
        if (!ok) pidleput(pp);
        gmp_sched_unlock();
        if (!ok && spinning) atomic_fetch_sub(&gmp_sched.nmspinning, 1);
        return;
    }
    gmp_sched_unlock();
    nmp->spinning = spinning;
    nmp->nextp = pp;
    gmp_notewakeup(&nmp->park);
}

/* Try to put one more M to work: only if a P is idle and no M is already
 * spinning (the spinning M will wake the next one when it finds work). */
void gmp_wakep(void) {
    if (relaxed_load(&gmp_sched.npidle) == 0) return;
    if (!gmp_opts.spinning) {
        startm(NULL, false);
        return;
    }
    int32_t zero = 0;
    if (relaxed_load(&gmp_sched.nmspinning) != 0 ||
        !atomic_compare_exchange_strong(&gmp_sched.nmspinning, &zero, 1))
        return;
    atomic_fetch_add_explicit(&gmp_sched.spinning_starts, 1, memory_order_relaxed);
    startm(NULL, true);
}

static void resetspinning(M *m) {
    m->spinning = false;
    if (atomic_fetch_sub(&gmp_sched.nmspinning, 1) <= 0) gmp_throw("negative nmspinning");
    gmp_wakep();
}

/* Wake the M sleeping until the next timer if `when` is earlier than its
 * deadline; with no such M, wake one (it becomes the timer waiter when it
 * finds nothing else to do).  Go's wakeNetPoller.  Once the netpoller is in
 * use the M blocked in netpoll is the timer waiter, as in Go. */
void gmp_wake_timer_waiter(int64_t when) {
    if (gmp_netpollinited()) {
        if (relaxed_load(&gmp_sched.lastpoll) == 0) {
            int64_t until = relaxed_load(&gmp_sched.pollUntil);
            if (until == 0 || until > when) gmp_netpollBreak();
            return;
        }
        /* Nobody polls: get an M there, unless one already sleeps until an
         * earlier timer (left from before the poller existed). */
    }
    int64_t w = relaxed_load(&gmp_sched.timerwaiter_when);
    if (w != 0 && w <= when) return;
    gmp_sched_lock();
    M *waiter = gmp_sched.timerwaiter;
    if (waiter && when < relaxed_load(&gmp_sched.timerwaiter_when)) {
        gmp_sched.timerwaiter = NULL;
        relaxed_store(&gmp_sched.timerwaiter_when, 0);
        gmp_notewakeup(&waiter->park);
    }
    gmp_sched_unlock();
    if (!waiter) gmp_wakep();
}

/* Hand off a P that nobody owns (retaken from a syscall). */
static void handoffp(P *pp) {
    if (!gmp_runqempty(pp) || relaxed_load(&gmp_sched.runqsize) != 0) {
        startm(pp, false);
        return;
    }
    /* The last running P and nobody polls the network: an M must. */
    if (gmp_netpollinited() && gmp_netpoll_waiters() > 0 &&
        relaxed_load(&gmp_sched.npidle) == gmp_gomaxprocs - 1 &&
        relaxed_load(&gmp_sched.lastpoll) != 0) {
        startm(pp, false);
        return;
    }
    if (gmp_opts.spinning &&
        relaxed_load(&gmp_sched.nmspinning) + relaxed_load(&gmp_sched.npidle) == 0) {
        int32_t zero = 0;
        if (atomic_compare_exchange_strong(&gmp_sched.nmspinning, &zero, 1)) {
            atomic_fetch_add_explicit(&gmp_sched.spinning_starts, 1, memory_order_relaxed);
            startm(pp, true);
            return;
        }
    }
    gmp_sched_lock();
    if (relaxed_load(&gmp_sched.runqsize) != 0) {
        gmp_sched_unlock();
        startm(pp, false);
        return;
    }
    pidleput(pp);
    gmp_sched_unlock();
    int64_t when = relaxed_load(&pp->timers.when0);
    if (when != 0) gmp_wake_timer_waiter(when);
}

/* Go's injectglist: make the poller's Gs runnable.  Without a P (sysmon,
 * an M that found none) they go to the global queue and as many idle Ps as
 * there are Gs are started; with one, a G per idle P goes to the global
 * queue (with an M started for each) and the rest to the local queue. */
void gmp_injectglist(G *list) {
    if (!list) return;
    int n = 0;
    for (G *gp = list; gp; gp = gp->schedlink, n++) gmp_casgstatus(gp, G_WAITING, G_RUNNABLE);
    M *m = gmp_getm();
    P *pp = m ? m->p : NULL;
    int global = pp ? relaxed_load(&gmp_sched.npidle) : n;
    if (global > n) global = n;
    if (global > 0) {
        gmp_sched_lock();
        for (int i = 0; i < global; i++) {
            G *gp = list;
            list = gp->schedlink;
            gmp_globrunqput(gp);
        }
        gmp_sched_unlock();
        for (int i = 0; i < global && relaxed_load(&gmp_sched.npidle) != 0; i++) startm(NULL, false);
    }
    while (list) {
        G *gp = list;
        list = gp->schedlink;
        gmp_runqput(pp, gp, false);
    }
}

/* The first G of a poller's list to run now, the others injected. */
static G *run_polled(G *list) {
    G *gp = list;
    gmp_injectglist(gp->schedlink);
    gmp_casgstatus(gp, G_WAITING, G_RUNNABLE);
    return gp;
}

/* ---- finding work ---- */

/* Passes over the other Ps before giving up (Go's stealTries). */
#define STEAL_TRIES 4

static G *steal_work(M *m, P *pp, bool *inherit, bool *new_work) {
    uint32_t n = (uint32_t)gmp_gomaxprocs;
    *new_work = false;
    for (int pass = 0; pass < STEAL_TRIES; pass++) {
        bool last = pass == STEAL_TRIES - 1; /* also take timers and runnext */
        uint32_t r = fastrand(m);
        uint32_t pos = r % n, inc = steal_coprimes[r % nsteal_coprimes];
        for (uint32_t k = 0; k < n; k++, pos = (pos + inc) % n) {
            if (atomic_load_explicit(&gmp_sched.done, memory_order_relaxed)) return NULL;
            P *p2 = gmp_allp[pos];
            if (p2 == pp) continue;
            if (last && relaxed_load(&p2->timers.when0) != 0 &&
                gmp_checktimers(p2, gmp_nanotime())) {
                G *gp = gmp_runqget(pp, inherit);
                if (gp) return gp;
                *new_work = true;
            }
            if (relaxed_load(&p2->status) != P_IDLE) {
                G *gp = gmp_runqsteal(pp, p2, last);
                if (gp) {
                    *inherit = false;
                    return gp;
                }
            }
        }
    }
    return NULL;
}

/* Sleep as the timer waiter until `when` (unless another M already waits for
 * an earlier timer).  Returns false if it did not sleep. */
static bool timer_wait(M *m, int64_t when) {
    gmp_sched_lock();
    M *old = gmp_sched.timerwaiter;
    if (atomic_load(&gmp_sched.done) ||
        (old && relaxed_load(&gmp_sched.timerwaiter_when) <= when)) {
        gmp_sched_unlock();
        return false;
    }
    if (old) gmp_notewakeup(&old->park);
    gmp_sched.timerwaiter = m;
    relaxed_store(&gmp_sched.timerwaiter_when, when);
    gmp_sched_unlock();
    int64_t left = when - gmp_nanotime();
    if (left > 0) gmp_notetsleep(&m->park, left);
    gmp_sched_lock();
    if (gmp_sched.timerwaiter == m) {
        gmp_sched.timerwaiter = NULL;
        relaxed_store(&gmp_sched.timerwaiter_when, 0);
    }
    gmp_sched_unlock();
    gmp_noteclear(&m->park);
    return true;
}

/* The M that would sleep blocks in netpoll until I/O, the next timer
 * (`when`, 0: none) or a netpollBreak — one M at a time, the one that swaps
 * lastpoll to 0 (Go's findRunnable, end).  *polled: it did.  Returns a G
 * to run (the M then holds a P), or NULL: with a P, look again; without,
 * sleep. */
static G *netpoll_block(M *m, int64_t when, bool *polled) {
    *polled = false;
    if ((gmp_netpoll_waiters() == 0 && when == 0) || atomic_exchange(&gmp_sched.lastpoll, 0) == 0)
        return NULL;
    *polled = true;
    relaxed_store(&gmp_sched.pollUntil, when);
    int64_t delay = -1;
    if (when != 0) {
        delay = when - gmp_nanotime();
        if (delay < 0) delay = 0;
    }
    G *list = gmp_netpoll(delay);
    relaxed_store(&gmp_sched.pollUntil, 0);
    atomic_store(&gmp_sched.lastpoll, gmp_nanotime());
    gmp_sched_lock();
    P *pp = atomic_load(&gmp_sched.done) ? NULL : pidleget();
    gmp_sched_unlock();
    if (!pp) {
        gmp_injectglist(list);
        return NULL;
    }
    acquirep(m, pp);
    int64_t now = gmp_nanotime();
    for (int i = 0; i < gmp_gomaxprocs; i++) gmp_checktimers(gmp_allp[i], now);
    return list ? run_polled(list) : NULL;
}

/* Go's findRunnable: timers, every 61st tick the global queue, the local
 * queue (runnext first), the global queue, stealing; then give up the P and
 * sleep (until the next timer, if this M waits for timers).  Returns NULL
 * when the run is over. */
static G *find_runnable(M *m, bool *inherit) {
top:
    if (atomic_load_explicit(&gmp_sched.done, memory_order_acquire)) return NULL;
    P *pp = m->p;
    if (relaxed_load(&pp->timers.when0) != 0) gmp_checktimers(pp, gmp_nanotime());

    if (relaxed_load(&pp->schedtick) % 61 == 0 && relaxed_load(&gmp_sched.runqsize) > 0) {
        gmp_sched_lock();
        G *gp = gmp_globrunqget(pp, 1);
        gmp_sched_unlock();
        if (gp) {
            *inherit = false;
            return gp;
        }
    }
    G *gp = gmp_runqget(pp, inherit);
    if (gp) return gp;
    if (relaxed_load(&gmp_sched.runqsize) != 0) {
        gmp_sched_lock();
        gp = gmp_globrunqget(pp, 0);
        gmp_sched_unlock();
        if (gp) {
            *inherit = false;
            return gp;
        }
    }
    /* Poll the network, without blocking, before stealing: a fast path for
     * Gs that wait on sockets. */
    if (gmp_netpollinited() && gmp_netpoll_waiters() > 0 && relaxed_load(&gmp_sched.lastpoll) != 0) {
        G *list = gmp_netpoll(0);
        if (list) {
            *inherit = false;
            return run_polled(list);
        }
    }
    if (gmp_opts.steal &&
        (m->spinning || 2 * relaxed_load(&gmp_sched.nmspinning) <
                            gmp_gomaxprocs - relaxed_load(&gmp_sched.npidle))) {
        if (!m->spinning && gmp_opts.spinning) {
            m->spinning = true;
            atomic_fetch_add(&gmp_sched.nmspinning, 1);
            atomic_fetch_add_explicit(&gmp_sched.spinning_starts, 1, memory_order_relaxed);
        }
        bool new_work;
        gp = steal_work(m, pp, inherit, &new_work);
        if (gp) return gp;
        if (new_work) goto top;
    }

    gmp_sched_lock();
    if (atomic_load(&gmp_sched.done)) {
        gmp_sched_unlock();
        return NULL;
    }
    if (relaxed_load(&gmp_sched.runqsize) != 0) {
        gp = gmp_globrunqget(pp, 0);
        gmp_sched_unlock();
        *inherit = false;
        return gp;
    }
    releasep(m);
    pidleput(pp);
    gmp_sched_unlock();

    if (m->spinning) {
        /* Delicate: a G readied after our last look saw nmspinning > 0 and did
         * not wake anyone, so look once more now that we are not spinning. */
        m->spinning = false;
        if (atomic_fetch_sub(&gmp_sched.nmspinning, 1) <= 0) gmp_throw("negative nmspinning");
        for (int i = 0; i < gmp_gomaxprocs; i++) {
            if (gmp_runqempty(gmp_allp[i])) continue;
            gmp_sched_lock();
            P *np = pidleget();
            gmp_sched_unlock();
            if (np) {
                acquirep(m, np);
                m->spinning = true;
                atomic_fetch_add(&gmp_sched.nmspinning, 1);
                goto top;
            }
            break;
        }
    }

    int64_t when = gmp_timers_earliest();
    if (gmp_netpollinited()) {
        bool polled;
        gp = netpoll_block(m, when, &polled);
        if (gp) {
            *inherit = false;
            return gp;
        }
        if (polled && m->p) goto top;
        if (!polled && when != 0) {
            /* Another M polls: make it wake for our timer if it would not. */
            int64_t until = relaxed_load(&gmp_sched.pollUntil);
            if (until == 0 || until > when) gmp_netpollBreak();
        }
    } else if (when != 0 && timer_wait(m, when)) {
        gmp_sched_lock();
        P *np = pidleget();
        gmp_sched_unlock();
        if (np) {
            acquirep(m, np);
            int64_t now = gmp_nanotime();
            for (int i = 0; i < gmp_gomaxprocs; i++) gmp_checktimers(gmp_allp[i], now);
            goto top;
        }
    }
    stopm(m);
    goto top;
}

/* Gs are spread over their stacks' pages, so the first touch of a queued G
 * misses in cache and TLB: start loading the G queued next while this one
 * runs. */
static void prefetch_next_g(P *pp) {
    uint32_t head = relaxed_load(&pp->runqhead);
    if (head == relaxed_load(&pp->runqtail)) return;
    G *next = relaxed_load(&pp->runq[head % GMP_RUNQ_SIZE]);
    __builtin_prefetch(next, 1);
    __builtin_prefetch((char *)next + 64, 1);
}

static void execute(M *m, G *gp, bool inherit) {
    P *pp = m->p;
    prefetch_next_g(pp);
    gp->m = m;
    relaxed_store(&gp->preempt, false);
    gmp_casgstatus(gp, G_RUNNABLE, G_RUNNING);
    if (!inherit) relaxed_store(&pp->schedtick, relaxed_load(&pp->schedtick) + 1);
    pp->stats.ctxswitches++;
    relaxed_store(&m->curg, gp);
    gmp_tls_g = gp;
    asb_uctx_switch(&m->g0, &gp->ctx);
    /* Back on g0: gp called mcall. */
    gmp_tls_g = NULL;
    void (*fn)(G *) = m->mcall_fn;
    m->mcall_fn = NULL;
    fn(gp);
}

/* One call site of execute, so that it is inlined: g0 resumes from a G's
 * mcall right in this loop, with no return (a mispredicted one: the
 * return-stack predictor holds the G's return addresses) to climb. */
static void schedule(M *m) {
    for (;;) {
        bool inherit;
        G *gp = m->runnow;
        if (gp) {
            m->runnow = NULL;
            inherit = m->runnow_inherit;
        } else {
            gp = find_runnable(m, &inherit);
            if (!gp) return;
            if (m->spinning) resetspinning(m);
        }
        execute(m, gp, inherit);
    }
}

static void mstart(M *m) {
    tls_m = m;
    relaxed_store(&m->tid, (pid_t)syscall(SYS_gettid));
    asb_uctx_init_thread(&m->g0);
    gmp_signal_stack_init(m);
    if (m->nextp) {
        acquirep(m, m->nextp);
        m->nextp = NULL;
    }
    schedule(m);
    if (m->p) releasep(m);
    gmp_signal_stack_fini(m);
    tls_m = NULL;
}

static void *mstart_thread(void *arg) {
    mstart(arg);
    return NULL;
}

/* ---- system calls ---- */

void gmp_entersyscall(void) {
    M *m = gmp_getm();
    G *gp = relaxed_load(&m->curg);
    P *pp = m->p;
    gmp_casgstatus(gp, G_RUNNING, G_SYSCALL);
    relaxed_store(&pp->m, NULL);
    m->oldp = pp;
    m->p = NULL;
    atomic_store_explicit(&pp->status, P_SYSCALL, memory_order_release);
}

static bool exitsyscallfast(M *m, P *oldp) {
    uint32_t s = P_SYSCALL;
    if (oldp && atomic_compare_exchange_strong(&oldp->status, &s, P_IDLE)) {
        acquirep(m, oldp);
        return true;
    }
    if (relaxed_load(&gmp_sched.npidle) > 0) {
        gmp_sched_lock();
        P *pp = pidleget();
        gmp_sched_unlock();
        if (pp) {
            acquirep(m, pp);
            return true;
        }
    }
    return false;
}

/* Slow path on g0: no P to be had, queue the G globally and park the M. */
static void exitsyscall0(G *gp) {
    M *m = gp->m; /* we run on its g0 */
    gmp_casgstatus(gp, G_SYSCALL, G_RUNNABLE);
    dropg(m);
    gmp_sched_lock();
    P *pp = pidleget();
    if (!pp) gmp_globrunqput(gp);
    gmp_sched_unlock();
    if (pp) {
        acquirep(m, pp);
        m->runnow = gp;
        m->runnow_inherit = false;
        return;
    }
    stopm(m);
}

void gmp_exitsyscall(void) {
    M *m = gmp_getm();
    G *gp = relaxed_load(&m->curg);
    P *oldp = m->oldp;
    m->oldp = NULL;
    if (exitsyscallfast(m, oldp)) {
        atomic_fetch_add_explicit(&m->p->syscalltick, 1, memory_order_relaxed);
        gmp_casgstatus(gp, G_SYSCALL, G_RUNNING);
        return;
    }
    gmp_mcall(m, gp, exitsyscall0);
}

/* ---- sysmon ---- */

static void preemptone(P *pp) {
    M *mp = relaxed_load(&pp->m);
    if (!mp) return;
    G *gp = relaxed_load(&mp->curg);
    if (!gp) return;
    relaxed_store(&gp->preempt, true);
    atomic_fetch_add_explicit(&gmp_sched.preempt_requests, 1, memory_order_relaxed);
    if (async_preempt_ok) gmp_preempt_m(mp);
}

/* Preempt Gs that have run for 10 ms; retake Ps blocked in syscalls for at
 * least one sysmon tick (20 µs+).  Returns the number of Ps retaken. */
static uint32_t retake(int64_t now) {
    uint32_t n = 0;
    for (int i = 0; i < gmp_gomaxprocs; i++) {
        P *pp = gmp_allp[i];
        uint32_t s = acquire_load(&pp->status);
        bool sysretake = false;
        if (s == P_RUNNING || s == P_SYSCALL) {
            uint32_t t = relaxed_load(&pp->schedtick);
            if (pp->sysmontick.schedtick != t) {
                pp->sysmontick.schedtick = t;
                pp->sysmontick.schedwhen = now;
            } else if (pp->sysmontick.schedwhen + GMP_FORCE_PREEMPT_NS <= now) {
                preemptone(pp);
                sysretake = true;
            }
        }
        if (s != P_SYSCALL) continue;
        uint32_t t = relaxed_load(&pp->syscalltick);
        if (!sysretake && pp->sysmontick.syscalltick != t) {
            pp->sysmontick.syscalltick = t;
            pp->sysmontick.syscallwhen = now;
            continue;
        }
        /* Leave the P alone if it has no work, others can take new work, and
         * the call has not yet lasted 10 ms. */
        if (gmp_runqempty(pp) &&
            relaxed_load(&gmp_sched.nmspinning) + relaxed_load(&gmp_sched.npidle) > 0 &&
            pp->sysmontick.syscallwhen + GMP_FORCE_PREEMPT_NS > now)
            continue;
        uint32_t expect = P_SYSCALL;
        if (atomic_compare_exchange_strong(&pp->status, &expect, P_IDLE)) {
            n++;
            atomic_fetch_add_explicit(&pp->syscalltick, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&gmp_sched.syscall_handoffs, 1, memory_order_relaxed);
            handoffp(pp);
        }
    }
    return n;
}

/* sysmon's sleep, as Go's: 20 µs while it finds work to retake; after
 * SYSMON_IDLE_ROUNDS rounds without any (about 1 ms) it doubles, up to
 * 10 ms (Go writes these as literals in sysmon). */
#define SYSMON_MIN_DELAY_NS 20000
#define SYSMON_IDLE_ROUNDS 50
#define SYSMON_MAX_DELAY_NS 10000000
#define SYSMON_NETPOLL_NS 10000000 /* poll if nobody has for this long */

static void *sysmon(void *arg) {
    (void)arg;
    uint32_t idle = 0;
    int64_t delay = SYSMON_MIN_DELAY_NS;
    while (!atomic_load(&sysmon_stop)) {
        if (idle == 0)
            delay = SYSMON_MIN_DELAY_NS;
        else if (idle > SYSMON_IDLE_ROUNDS)
            delay *= 2;
        if (delay > SYSMON_MAX_DELAY_NS) delay = SYSMON_MAX_DELAY_NS;
        gmp_notetsleep(&sysmon_note, delay);
        if (atomic_load(&sysmon_stop)) break;
        int64_t now = gmp_nanotime();
        /* Poll the network if nobody has for 10 ms (every M busy). */
        int64_t lastpoll = relaxed_load(&gmp_sched.lastpoll);
        if (gmp_netpollinited() && lastpoll != 0 && lastpoll + SYSMON_NETPOLL_NS < now) {
            atomic_compare_exchange_strong(&gmp_sched.lastpoll, &lastpoll, now);
            atomic_fetch_add_explicit(&gmp_netpollstat.sysmon_polls, 1, memory_order_relaxed);
            gmp_injectglist(gmp_netpoll(0));
        }
        if (retake(now) != 0)
            idle = 0;
        else
            idle++;
    }
    return NULL;
}

/* ---- run ---- */

/* A misspelt GMPDEBUG (or options string) must not run the default
 * scheduler as if it were the ablation asked for: say why on stderr and exit
 * with status 1, the worker's `error`, as the allocator does (the message
 * reaches the results as the run's). */
__attribute__((noreturn)) static void refuse_bad_settings(const char *err) {
    fprintf(stderr, "%s\n", err);
    _exit(1);
}

static uint32_t gcd(uint32_t a, uint32_t b) {
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static bool setup_ps(int nprocs) {
    gmp_gomaxprocs = nprocs;
    gmp_allp = calloc((size_t)nprocs, sizeof *gmp_allp);
    steal_coprimes = calloc((size_t)nprocs, sizeof *steal_coprimes);
    if (!gmp_allp || !steal_coprimes) return false;
    nsteal_coprimes = 0;
    for (uint32_t i = 1; i <= (uint32_t)nprocs; i++)
        if (gcd(i, (uint32_t)nprocs) == 1) steal_coprimes[nsteal_coprimes++] = i;
    for (int i = 0; i < nprocs; i++) {
        P *pp = aligned_alloc(64, (sizeof(P) + 63) & ~(size_t)63);
        if (!pp) return false;
        memset(pp, 0, sizeof *pp);
        pp->id = i;
        gmp_allp[i] = pp;
    }
    return true;
}

static void teardown(M *m0) {
    /* Stacks go back to the pool, the Gs' last: the pool hands out the most
     * recently returned first, and theirs are the stacks already touched
     * and guarded. */
    for (int i = 0; gmp_allp && i < gmp_gomaxprocs; i++) {
        if (!gmp_allp[i]) continue;
        gmp_timers_destroy(gmp_allp[i]);
        for (int j = 0; j < gmp_allp[i]->nstackcache; j++)
            gmp_stackfree(gmp_allp[i]->stackcache[j]);
        free(gmp_allp[i]);
    }
    for (G *gp = relaxed_load(&gmp_allgs), *next; gp; gp = next) {
        next = gp->alllink;
        asb_uctx_destroy(&gp->ctx);
        gmp_stackfree(gp->stack); /* the G itself goes with its stack */
    }
    relaxed_store(&gmp_allgs, NULL);
    relaxed_store(&gmp_allgs_count, 0);
    free(gmp_allp);
    gmp_allp = NULL;
    free(steal_coprimes);
    steal_coprimes = NULL;
    gmp_stackpool_release();
    gmp_globrunq_destroy();
    free(gmp_sched.gfree);
    gmp_sched.gfree = NULL;
    gmp_sched.gfreecap = gmp_sched.gfreeslots = 0;
    relaxed_store(&gmp_sched.ngfree, 0);
    for (M *m = relaxed_load(&gmp_allm), *next; m; m = next) {
        next = m->alllink;
        if (m != m0) free(m);
    }
    relaxed_store(&gmp_allm, NULL);
    free(m0);
    rootg = NULL;
}

/* Undo run()'s signal set-up (stack, preemption and dump handlers) in the
 * reverse order of installing. */
static void signals_uninstall(M *m0) {
    gmp_dump_uninstall();
    if (async_preempt_ok) gmp_preempt_uninstall();
    gmp_signal_stack_fini(m0);
}

int gmp_run(int nprocs, const char *options, asb_task_fn root, void *arg) {
    bool idle = false;
    if (!atomic_compare_exchange_strong(&running, &idle, true) || tls_m) {
        errno = EBUSY;
        return -1;
    }
    char err[ASB_DEBUGVARS_ERR_MAX];
    if (gmp_debug_parse(options ? options : getenv("GMPDEBUG"), &gmp_opts, err, sizeof err) != 0)
        refuse_bad_settings(err);
    if (gmp_opts.procs > 0) nprocs = gmp_opts.procs;
    if (nprocs < 1) nprocs = 1;
    memset(&gmp_sched, 0, sizeof gmp_sched);
    atomic_store(&gmp_sched.lastpoll, gmp_nanotime());
    gmp_netpoll_run_begin();
    atomic_store(&outside_spawns, 0);
    M *m0 = calloc(1, sizeof *m0);
    if (!m0 || !setup_ps(nprocs)) goto nomem;
    m0->fastrand = (uint64_t)gmp_nanotime() | 1;
    gmp_sched.mcount = 1;
    allmadd(m0);
    tls_m = m0;
    relaxed_store(&m0->tid, (pid_t)syscall(SYS_gettid));
    asb_uctx_init_thread(&m0->g0);
    gmp_signal_stack_init(m0);
    async_preempt_ok = gmp_opts.asyncpreempt && gmp_opts.sysmon && gmp_preempt_install();
    gmp_dump_install();

    acquirep(m0, gmp_allp[0]);
    for (int i = nprocs - 1; i >= 1; i--) pidleput(gmp_allp[i]);
    rootg = newproc1(gmp_allp[0], root, arg);
    if (!rootg) {
        signals_uninstall(m0);
        tls_m = NULL;
        goto nomem;
    }
    gmp_runqput(gmp_allp[0], rootg, true);

    atomic_store(&sysmon_stop, false);
    gmp_noteclear(&sysmon_note);
    sysmon_started = gmp_opts.sysmon && pthread_create(&sysmon_thread, NULL, sysmon, NULL) == 0;

    schedule(m0);

    /* The root returned: every other M leaves schedule() and exits. */
    if (m0->p) releasep(m0);
    for (M *m = relaxed_load(&gmp_allm); m; m = m->alllink)
        if (m != m0 && m->id >= 0) pthread_join(m->thread, NULL);
    if (sysmon_started) {
        atomic_store(&sysmon_stop, true);
        gmp_notewakeup(&sysmon_note);
        pthread_join(sysmon_thread, NULL);
    }
    gmp_collect_stats();
    gmp_netpoll_run_end();
    signals_uninstall(m0);
    tls_m = NULL;
    teardown(m0);
    atomic_store(&running, false);
    return 0;

nomem:
    teardown(m0);
    atomic_store(&running, false);
    errno = ENOMEM;
    return -1;
}
