/*
 * netpoll.c — gmp's network poller and the task API's socket calls.  Follows
 * Go's runtime/netpoll.go (pollDesc, netpollblock/netpollunblock,
 * netpollready, poll_runtime_pollSetDeadline/pollReset/pollWait/pollUnblock,
 * netpolldeadlineimpl) and the parts of internal/poll's FD that the runtime
 * half needs (fdMutex's one reader and one writer at a time, Close waiting
 * for the calls in flight).  The epoll half is netpoll_epoll.c; proc.c polls
 * (findRunnable, the M about to sleep, sysmon).
 *
 * A pollDesc per fd, found by the fd in a two-level table (the API hands
 * plain fds, not Go's netFD): rg/wg are the read/write waiter states, 0,
 * PD_READY, PD_WAIT or the parked G.  A call that gets EAGAIN parks in
 * netpollblock; netpoll's events, a deadline's timer (time.c) or net_close
 * make the G ready.  Deadlines are absolute per call; like Go's
 * SetReadDeadline the timer is only re-armed when the deadline changes.
 *
 * GMPDEBUG=netpoll=0 (the ablation): the same descriptors, locks and close
 * protocol, but a call that would wait blocks its M in poll(2) between
 * entersyscall and exitsyscall (sysmon hands the P to another M, as for
 * any blocking syscall); net_close wakes such an M with shutdown(2).
 *
 * Departures: Go 1.19 only decrements netpollWaiters for Gs readied outside
 * netpoll (fixed in Go 1.21: netpoll returns a delta); here every G handed
 * out by netpollunblock decrements it.  Go keeps the poller for the
 * process's life; here it is created by the first net call of a run and
 * closed when the run ends (runs repeat in one process).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime2.h"

#define PD_READY ((uintptr_t)1) /* Go's pdReady: an I/O notification is pending */
#define PD_WAIT ((uintptr_t)2)  /* Go's pdWait: a G is about to park */

/* One reader or one writer at a time (Go's fdMutex readLock/writeLock):
 * n counts the holder and the waiters, who queue on the semaphore. */
typedef struct fdlock {
    _Atomic uint32_t n;
    gmp_sema sema;
} fdlock;

typedef struct gmp_polldesc {
    gmp_mutex lock;         /* open/close, deadlines, timer (re)arming */
    int fd;
    _Atomic uint32_t seq;   /* incarnation, bumped by each open (Go's fdseq) */
    _Atomic bool open;      /* set up (non-blocking, registered) in this run */
    _Atomic bool closing;   /* net_close in progress */
    _Atomic uintptr_t rg, wg;
    _Atomic int64_t rd, wd; /* deadlines: 0 none, -1 passed (netpoll=0: absolute, compared) */
    int64_t rasked, wasked; /* the deadlines last asked for (by the lock holders) */
    uintptr_t rseq, wseq;   /* bumped to make a fired timer stale (under lock) */
    gmp_timer rt, wt;
    _Atomic uint32_t users; /* net calls inside; net_close waits for them */
    fdlock rlock, wlock;
} gmp_polldesc;

enum { MODE_READ, MODE_WRITE };

/* fd -> pollDesc: chunks allocated on first use, freed when the run ends. */
#define FDTAB_SHIFT 10
#define FDTAB_CHUNK (1 << FDTAB_SHIFT)
#define FDTAB_CHUNKS 1024 /* fds below 1 << 20 */
static _Atomic(gmp_polldesc *) fdtab[FDTAB_CHUNKS];

static gmp_mutex initlock;
static _Atomic bool inited;
static _Atomic int32_t waiters; /* Go's netpollWaiters */

bool gmp_netpollinited(void) { return atomic_load_explicit(&inited, memory_order_acquire); }
int32_t gmp_netpoll_waiters(void) { return atomic_load(&waiters); }

/* Go's netpollGenericInit: the first net call of a run creates the poller. */
static int netpoll_generic_init(void) {
    if (gmp_netpollinited()) return 0;
    gmp_lock(&initlock);
    int err = 0;
    if (!relaxed_load(&inited)) {
        err = gmp_netpollinit();
        if (err == 0) atomic_store_explicit(&inited, true, memory_order_release);
    }
    gmp_unlock(&initlock);
    return err;
}

void gmp_netpoll_run_begin(void) {
    relaxed_store(&inited, false);
    relaxed_store(&waiters, 0);
    relaxed_store(&gmp_netpollstat.parks, 0);
    relaxed_store(&gmp_netpollstat.ready, 0);
    relaxed_store(&gmp_netpollstat.polls, 0);
    relaxed_store(&gmp_netpollstat.blocking, 0);
    relaxed_store(&gmp_netpollstat.breaks, 0);
    relaxed_store(&gmp_netpollstat.sysmon_polls, 0);
}

void gmp_netpoll_run_end(void) {
    if (relaxed_load(&inited)) gmp_netpollfini();
    relaxed_store(&inited, false);
    for (int i = 0; i < FDTAB_CHUNKS; i++) {
        free(relaxed_load(&fdtab[i]));
        relaxed_store(&fdtab[i], NULL);
    }
}

void gmp_netpoll_stats(asb_stat_emit emit, void *cookie) {
    emit(cookie, "netpoll_parks", (double)relaxed_load(&gmp_netpollstat.parks));
    emit(cookie, "netpoll_ready", (double)relaxed_load(&gmp_netpollstat.ready));
    emit(cookie, "netpoll_polls", (double)relaxed_load(&gmp_netpollstat.polls));
    emit(cookie, "netpoll_blocking", (double)relaxed_load(&gmp_netpollstat.blocking));
    emit(cookie, "netpoll_breaks", (double)relaxed_load(&gmp_netpollstat.breaks));
    emit(cookie, "netpoll_sysmon_polls", (double)relaxed_load(&gmp_netpollstat.sysmon_polls));
}

static gmp_polldesc *pd_slot(int fd, bool create) {
    if (fd < 0 || fd >= FDTAB_CHUNKS * FDTAB_CHUNK) return NULL;
    _Atomic(gmp_polldesc *) *chunkp = &fdtab[fd >> FDTAB_SHIFT];
    gmp_polldesc *chunk = acquire_load(chunkp);
    if (!chunk && create) {
        gmp_polldesc *fresh = calloc(FDTAB_CHUNK, sizeof *fresh);
        if (!fresh) return NULL;
        if (atomic_compare_exchange_strong(chunkp, &chunk, fresh))
            chunk = fresh;
        else
            free(fresh); /* another M installed one: chunk holds it */
    }
    return chunk ? &chunk[fd & (FDTAB_CHUNK - 1)] : NULL;
}

struct gmp_polldesc *gmp_polldesc_lookup(int fd, uint32_t seq) {
    gmp_polldesc *pd = pd_slot(fd, false);
    return pd && atomic_load(&pd->seq) == seq ? pd : NULL;
}

/* First use of fd in this run: make it non-blocking and register it (Go's
 * poll_runtime_pollOpen, called by netFD.init). */
static int pd_open(int fd, gmp_polldesc **out) {
    gmp_polldesc *pd = pd_slot(fd, true);
    if (!pd) return fd < 0 || fd >= FDTAB_CHUNKS * FDTAB_CHUNK ? -EBADF : -ENOMEM;
    *out = pd;
    if (acquire_load(&pd->open)) return 0;
    int err = 0;
    gmp_lock(&pd->lock);
    if (!relaxed_load(&pd->open)) {
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) err = -errno;
        if (!err && gmp_opts.netpoll) err = netpoll_generic_init();
        uint32_t seq = relaxed_load(&pd->seq) + 1;
        if (!err) {
            pd->fd = fd;
            atomic_store(&pd->seq, seq);
            relaxed_store(&pd->closing, false);
            relaxed_store(&pd->rg, 0);
            relaxed_store(&pd->wg, 0);
            relaxed_store(&pd->rd, 0);
            relaxed_store(&pd->wd, 0);
            pd->rasked = pd->wasked = 0;
            if (gmp_opts.netpoll) err = gmp_netpollopen(fd, seq);
        }
        if (!err) atomic_store_explicit(&pd->open, true, memory_order_release);
    }
    gmp_unlock(&pd->lock);
    return err;
}

/* ---- waiting (netpoll.go) ---- */

static _Atomic uintptr_t *waiter_of(gmp_polldesc *pd, int mode) {
    return mode == MODE_READ ? &pd->rg : &pd->wg;
}

/* Go's netpollcheckerr: 0, -EBADF (closing) or -ETIMEDOUT. */
static int netpollcheckerr(gmp_polldesc *pd, int mode) {
    if (atomic_load(&pd->closing)) return -EBADF;
    int64_t d = atomic_load(mode == MODE_READ ? &pd->rd : &pd->wd);
    if (d < 0 || (d > 0 && !gmp_opts.netpoll && gmp_nanotime() >= d)) return -ETIMEDOUT;
    return 0;
}

/* gopark commit: publish the G, unless a notification came first. */
static bool netpollblockcommit(G *gp, void *gpp) {
    uintptr_t expect = PD_WAIT;
    if (!atomic_compare_exchange_strong((_Atomic uintptr_t *)gpp, &expect, (uintptr_t)gp)) return false;
    atomic_fetch_add(&waiters, 1);
    return true;
}

/* Go's netpollblock: true if I/O is ready, false on a deadline, close or a
 * spurious wake-up (the caller checks which). */
static bool netpollblock(gmp_polldesc *pd, int mode) {
    _Atomic uintptr_t *gpp = waiter_of(pd, mode);
    for (;;) {
        uintptr_t old = PD_READY;
        if (atomic_compare_exchange_strong(gpp, &old, 0)) return true;
        if (old == 0 && atomic_compare_exchange_strong(gpp, &old, PD_WAIT)) break;
        if (old != PD_READY && old != 0) gmp_throw("netpollblock: double wait");
    }
    /* Recheck after publishing PD_WAIT: close and deadlines store their
     * flag first and then look at rg/wg (all sequentially consistent). */
    if (netpollcheckerr(pd, mode) == 0) {
        atomic_fetch_add_explicit(&gmp_netpollstat.parks, 1, memory_order_relaxed);
        gmp_gopark(netpollblockcommit, gpp, WAIT_IO_WAIT);
    }
    uintptr_t old = atomic_exchange(gpp, 0);
    if (old > PD_WAIT) gmp_throw("netpollblock: corrupted state");
    return old == PD_READY;
}

/* Go's netpollunblock: take the parked G, if any; with ioready leave
 * PD_READY behind for the next netpollblock. */
static G *netpollunblock(gmp_polldesc *pd, int mode, bool ioready) {
    _Atomic uintptr_t *gpp = waiter_of(pd, mode);
    uintptr_t old = atomic_load(gpp);
    for (;;) {
        if (old == PD_READY) return NULL;
        if (old == 0 && !ioready) return NULL; /* only a notification sets PD_READY */
        if (atomic_compare_exchange_weak(gpp, &old, ioready ? PD_READY : 0)) break;
    }
    if (old == PD_WAIT || old == 0) return NULL;
    atomic_fetch_sub(&waiters, 1);
    return (G *)old;
}

static void glist_push(G **list, G *gp) {
    if (!gp) return;
    gp->schedlink = *list;
    *list = gp;
    atomic_fetch_add_explicit(&gmp_netpollstat.ready, 1, memory_order_relaxed);
}

void gmp_netpollready(G **list, struct gmp_polldesc *pd, bool read, bool write) {
    if (read) glist_push(list, netpollunblock(pd, MODE_READ, true));
    if (write) glist_push(list, netpollunblock(pd, MODE_WRITE, true));
}

/* A deadline's timer fired (Go's netpolldeadlineimpl); a stale one (the
 * deadline was changed since) does nothing. */
static void deadline_fired(gmp_polldesc *pd, int mode, uintptr_t seq) {
    gmp_lock(&pd->lock);
    if (seq != (mode == MODE_READ ? pd->rseq : pd->wseq)) {
        gmp_unlock(&pd->lock);
        return;
    }
    atomic_store(mode == MODE_READ ? &pd->rd : &pd->wd, -1);
    G *gp = netpollunblock(pd, mode, false);
    gmp_unlock(&pd->lock);
    if (gp) gmp_goready(gp);
}

static void read_deadline(void *pd, uintptr_t seq) { deadline_fired(pd, MODE_READ, seq); }
static void write_deadline(void *pd, uintptr_t seq) { deadline_fired(pd, MODE_WRITE, seq); }

/* Go's poll_runtime_pollSetDeadline for one mode, skipped when the deadline
 * is the one already set (the common case of a loop with one deadline). */
static void set_deadline(gmp_polldesc *pd, int mode, uint64_t deadline_ns) {
    int64_t d = deadline_ns > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)deadline_ns;
    int64_t *asked = mode == MODE_READ ? &pd->rasked : &pd->wasked;
    if (d == *asked) return;
    *asked = d;
    _Atomic int64_t *slot = mode == MODE_READ ? &pd->rd : &pd->wd;
    if (!gmp_opts.netpoll) {
        atomic_store(slot, d);
        return;
    }
    gmp_timer *t = mode == MODE_READ ? &pd->rt : &pd->wt;
    gmp_lock(&pd->lock);
    gmp_deltimer(t);
    uintptr_t seq = mode == MODE_READ ? ++pd->rseq : ++pd->wseq;
    if (d != 0 && d <= gmp_nanotime()) d = -1;
    atomic_store(slot, d);
    if (d > 0) {
        t->when = d;
        t->f = mode == MODE_READ ? read_deadline : write_deadline;
        t->arg = pd;
        t->seq = seq;
        if (!gmp_addtimer(t)) atomic_store(slot, -1); /* no memory for the timer: expire now */
    }
    gmp_unlock(&pd->lock);
}

/* Go's poll_runtime_pollWait: 0 when the fd may be ready, else -errno. */
static int pd_wait(gmp_polldesc *pd, int mode) {
    int err = netpollcheckerr(pd, mode);
    if (err) return err;
    if (!gmp_opts.netpoll) {
        /* The ablation: block this M in poll(2), the P handed off by sysmon. */
        int64_t d = atomic_load(mode == MODE_READ ? &pd->rd : &pd->wd);
        int timeout = -1;
        if (d > 0) {
            int64_t ms = (d - gmp_nanotime() + 999999) / 1000000;
            timeout = ms > INT_MAX ? INT_MAX : ms < 0 ? 0 : (int)ms;
        }
        struct pollfd pfd = {.fd = pd->fd, .events = mode == MODE_READ ? POLLIN : POLLOUT};
        atomic_fetch_add_explicit(&gmp_netpollstat.parks, 1, memory_order_relaxed);
        gmp_entersyscall();
        poll(&pfd, 1, timeout);
        gmp_exitsyscall();
        return netpollcheckerr(pd, mode);
    }
    while (!netpollblock(pd, mode))
        if ((err = netpollcheckerr(pd, mode))) return err;
    return 0;
}

/* ---- the calls ---- */

static void fdlock_acquire(fdlock *l) {
    if (atomic_fetch_add(&l->n, 1) != 0) gmp_semacquire(&l->sema, WAIT_SEMACQUIRE);
}

static void fdlock_release(fdlock *l) {
    if (atomic_fetch_sub(&l->n, 1) != 1) gmp_semrelease(&l->sema); /* hand it to a waiter */
}

/* Leave a call begun by pd_begin. */
static void pd_leave(gmp_polldesc *pd, int mode) {
    fdlock_release(mode == MODE_READ ? &pd->rlock : &pd->wlock);
    atomic_fetch_sub(&pd->users, 1);
}

/* Begin a call on fd in one mode: open the descriptor, count the call, take
 * the mode's lock, set the deadline, check for close and an expired deadline
 * and clear a stale notification (Go's prepareRead/prepareWrite =
 * pollReset).  On an error nothing is left held. */
static int pd_begin(int fd, int mode, uint64_t deadline_ns, gmp_polldesc **out) {
    gmp_polldesc *pd;
    int err = pd_open(fd, &pd);
    if (err) return err;
    atomic_fetch_add(&pd->users, 1);
    fdlock_acquire(mode == MODE_READ ? &pd->rlock : &pd->wlock);
    set_deadline(pd, mode, deadline_ns);
    err = netpollcheckerr(pd, mode);
    if (err) {
        pd_leave(pd, mode);
        return err;
    }
    atomic_store(waiter_of(pd, mode), 0);
    *out = pd;
    return 0;
}

/* After a call on the descriptor failed (errno): whether to make it again —
 * interrupted, or it would have blocked and the descriptor is ready now
 * (the G parked until then); otherwise *r is the negative error. */
static bool call_again(gmp_polldesc *pd, int mode, long *r) {
    if (errno == EINTR) return true;
    if (errno != EAGAIN) {
        *r = -errno;
        return false;
    }
    return (*r = pd_wait(pd, mode)) == 0;
}

int gmp_net_accept(int listen_fd, uint64_t deadline_ns) {
    gmp_polldesc *pd = NULL;
    int r = pd_begin(listen_fd, MODE_READ, deadline_ns, &pd);
    if (r) return r;
    long fd;
    do fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    while (fd < 0 && (errno == ECONNABORTED || call_again(pd, MODE_READ, &fd)));
    pd_leave(pd, MODE_READ);
    return (int)fd;
}

int gmp_net_connect(int fd, const void *sockaddr, unsigned addrlen, uint64_t deadline_ns) {
    gmp_polldesc *pd = NULL;
    int r = pd_begin(fd, MODE_WRITE, deadline_ns, &pd);
    if (r) return r;
    if (connect(fd, sockaddr, addrlen) == 0) {
        pd_leave(pd, MODE_WRITE);
        return 0;
    }
    r = -errno;
    /* In progress: wait until writable, then read the outcome (Go's
     * netFD.connect). */
    while (r == -EINPROGRESS || r == -EALREADY || r == -EINTR) {
        if ((r = pd_wait(pd, MODE_WRITE))) break;
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) soerr = errno;
        r = soerr == EISCONN ? 0 : -soerr;
    }
    pd_leave(pd, MODE_WRITE);
    return r;
}

long gmp_net_read(int fd, void *buf, size_t n, uint64_t deadline_ns) {
    gmp_polldesc *pd = NULL;
    long r = pd_begin(fd, MODE_READ, deadline_ns, &pd);
    if (r) return r;
    do r = read(fd, buf, n);
    while (r < 0 && call_again(pd, MODE_READ, &r));
    pd_leave(pd, MODE_READ);
    return r;
}

/* Every byte or an error; MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE. */
long gmp_net_write(int fd, const void *buf, size_t n, uint64_t deadline_ns) {
    gmp_polldesc *pd = NULL;
    long r = pd_begin(fd, MODE_WRITE, deadline_ns, &pd);
    if (r) return r;
    size_t done = 0;
    while (done < n) {
        ssize_t w = send(fd, (const char *)buf + done, n - done, MSG_NOSIGNAL);
        if (w < 0 && errno == ENOTSOCK) w = write(fd, (const char *)buf + done, n - done);
        if (w >= 0) done += (size_t)w;
        else if (!call_again(pd, MODE_WRITE, &r)) break;
    }
    pd_leave(pd, MODE_WRITE);
    return r ? r : (long)n;
}

/* Go's FD.Close: pollUnblock (closing set, timers stopped, waiters readied
 * with the error), wait for the calls in flight to leave, unregister
 * (netpollclose), then close the fd. */
int gmp_net_close(int fd) {
    gmp_polldesc *pd = pd_slot(fd, false);
    if (pd && acquire_load(&pd->open)) {
        gmp_lock(&pd->lock);
        if (atomic_load(&pd->closing)) {
            gmp_unlock(&pd->lock);
            return -EBADF; /* another task is closing it */
        }
        atomic_store(&pd->closing, true);
        pd->rseq++;
        pd->wseq++;
        gmp_deltimer(&pd->rt);
        gmp_deltimer(&pd->wt);
        G *rg = netpollunblock(pd, MODE_READ, false);
        G *wg = netpollunblock(pd, MODE_WRITE, false);
        gmp_unlock(&pd->lock);
        if (rg) gmp_goready(rg);
        if (wg) gmp_goready(wg);
        if (!gmp_opts.netpoll && atomic_load(&pd->users) != 0)
            shutdown(fd, SHUT_RDWR); /* wake an M blocked in poll(2) */
        while (atomic_load(&pd->users) != 0) gmp_gosched();
        if (gmp_opts.netpoll) gmp_netpollclose(fd);
        gmp_lock(&pd->lock);
        atomic_store(&pd->open, false);
        atomic_store(&pd->closing, false);
        gmp_unlock(&pd->lock);
    }
    return close(fd) == 0 ? 0 : -errno;
}
