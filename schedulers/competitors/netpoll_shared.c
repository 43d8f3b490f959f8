/*
 * netpoll_shared.c — socket calls for globalq, wsdeque and threads (see
 * netpoll_shared.h): the per-fd registry, the call bodies, and the epoll
 * poller of the parking schedulers (Go's runtime/netpoll.go and
 * netpoll_epoll.go, much simplified).
 *
 * Per fd (Go's pollDesc): a futex lock (psync_lock, so a parking task can
 * hand it to its scheduler loop to release after the switch), the count of
 * calls in progress, a closing flag, a `ready` flag per mode for an
 * edge-triggered event that found no waiter (Go's pdReady), and a list of
 * waiters per mode.  A parked waiter is made runnable by exactly one of the
 * poll (readiness), the deadline heap (-ETIMEDOUT) or net_close (-EBADF): the
 * one that wins a compare-and-swap on the waiter.  The waiter record lives
 * on the parked task's stack; the task takes itself off the fd's list and
 * out of the heap after it resumes, under the locks the wakers hold while
 * they look at it.
 */
#include "netpoll_shared.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { PAGE_FDS = 1024, MAX_PAGES = 4096, POLL_EVENTS = 128 };
#define NOT_IN_HEAP SIZE_MAX

struct np_fd {
    psync_lock lock;
    int fd;
    unsigned gen;     /* registered in run `gen`; anything else: not registered */
    int refs;         /* calls in progress */
    bool closing;     /* net_close was called; close(2) waits for refs == 0 */
    bool ready[2];    /* an event came with no waiter to take it */
    np_waiter *head[2], *tail[2];
};

/* fd → np_fd: pages of PAGE_FDS records, allocated on first use and kept
 * for the life of the process (a record's address is its epoll cookie). */
static _Atomic(np_fd *) pages[MAX_PAGES];
static pthread_mutex_t pages_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint generation;

uint64_t np_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int fd_record(int fd, np_fd **out) {
    if (fd < 0) return -EBADF;
    size_t p = (size_t)fd / PAGE_FDS;
    if (p >= MAX_PAGES) return -EMFILE; /* beyond the 4 Mi descriptors the registry covers */
    np_fd *page = atomic_load_explicit(&pages[p], memory_order_acquire);
    if (!page) {
        pthread_mutex_lock(&pages_lock);
        page = atomic_load_explicit(&pages[p], memory_order_relaxed);
        if (!page && (page = calloc(PAGE_FDS, sizeof *page))) {
            for (int i = 0; i < PAGE_FDS; i++) page[i].fd = (int)(p * PAGE_FDS) + i;
            atomic_store_explicit(&pages[p], page, memory_order_release);
        }
        pthread_mutex_unlock(&pages_lock);
        if (!page) return -ENOMEM;
    }
    *out = &page[(size_t)fd % PAGE_FDS];
    return 0;
}

/* ---- the poller's state (parking schedulers only) ---- */

typedef struct park_waiter {
    np_waiter base;
    const psync_ops *ops;
    void *task;
    np_fd *pd;
    uint64_t deadline_ns;
    atomic_int claimed; /* 0 until a waker won it */
    int result;         /* written by the waker that won */
    size_t heap_index;  /* in poller.heap, or NOT_IN_HEAP */
    struct park_waiter *next_expired;
} park_waiter;

static struct {
    int epfd, evfd;
    atomic_int waiting;        /* parked waiters not yet claimed */
    atomic_bool wake_pending;  /* np_break wrote the eventfd (Go's netpollWakeSig) */
    pthread_mutex_t heap_lock; /* the deadline heap and poll_until */
    park_waiter **heap;
    size_t n, cap;
    uint64_t poll_until; /* a blocking np_poll's wake-up time; 0 = none blocks */
} poller = {.epfd = -1, .evfd = -1, .heap_lock = PTHREAD_MUTEX_INITIALIZER};

int np_start(bool with_poller) {
    unsigned g = atomic_load(&generation) + 1;
    atomic_store(&generation, g ? g : 1); /* 0 is never a valid generation */
    atomic_store(&poller.waiting, 0);
    atomic_store(&poller.wake_pending, false);
    poller.n = 0;
    poller.poll_until = 0;
    if (!with_poller) return 0;
    poller.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (poller.epfd < 0) return -1;
    poller.evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}; /* NULL marks the eventfd */
    if (poller.evfd < 0 || epoll_ctl(poller.epfd, EPOLL_CTL_ADD, poller.evfd, &ev) < 0) {
        int err = errno;
        np_stop();
        errno = err;
        return -1;
    }
    return 0;
}

void np_stop(void) {
    if (poller.evfd >= 0) close(poller.evfd);
    if (poller.epfd >= 0) close(poller.epfd);
    poller.evfd = poller.epfd = -1;
    free(poller.heap); /* waiters still in it belong to leaked tasks */
    poller.heap = NULL;
    poller.n = poller.cap = 0;
}

/* ---- registry ---- */

static void list_push(np_fd *pd, np_mode m, np_waiter *w) {
    w->next = NULL;
    w->prev = pd->tail[m];
    if (pd->tail[m]) pd->tail[m]->next = w;
    else pd->head[m] = w;
    pd->tail[m] = w;
    w->listed = true;
}

static void list_remove(np_fd *pd, np_mode m, np_waiter *w) {
    if (w->prev) w->prev->next = w->next;
    else pd->head[m] = w->next;
    if (w->next) w->next->prev = w->prev;
    else pd->tail[m] = w->prev;
    w->listed = false;
}

/* First use of the fd in this run (pd locked): non-blocking, and watched by
 * the poller for both directions, edge-triggered, for as long as it lives. */
static int fd_register(np_fd *pd, unsigned gen) {
    int flags = fcntl(pd->fd, F_GETFL);
    if (flags < 0) return -errno;
    if (!(flags & O_NONBLOCK) && fcntl(pd->fd, F_SETFL, flags | O_NONBLOCK) < 0) return -errno;
    if (poller.epfd >= 0) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = pd};
        if (epoll_ctl(poller.epfd, EPOLL_CTL_ADD, pd->fd, &ev) < 0 && errno != EEXIST) return -errno;
    }
    pd->gen = gen;
    pd->refs = 0;
    pd->closing = false;
    for (int m = 0; m < 2; m++) {
        pd->ready[m] = false;
        pd->head[m] = pd->tail[m] = NULL;
    }
    return 0;
}

/* Begin a call on fd: registers it on first use; -EBADF once it is closing. */
static int call_enter(int fd, np_fd **out) {
    np_fd *pd;
    int err = fd_record(fd, &pd);
    if (err) return err;
    psync_lock_acquire(&pd->lock);
    unsigned gen = atomic_load(&generation);
    if (pd->gen != gen) err = fd_register(pd, gen);
    else if (pd->closing) err = -EBADF;
    if (!err) pd->refs++;
    psync_lock_release(&pd->lock);
    *out = pd;
    return err;
}

/* The close(2) itself (pd locked): the number is free for reuse after it.
 * Out of the epoll set first, as Go's netpollclose: close(2) alone leaves
 * it there while another descriptor (a dup, a forked child's) still refers
 * to the socket. */
static int close_now(np_fd *pd) {
    pd->gen = 0;
    if (poller.epfd >= 0) epoll_ctl(poller.epfd, EPOLL_CTL_DEL, pd->fd, NULL);
    return close(pd->fd) == 0 ? 0 : -errno;
}

static void call_leave(np_fd *pd) {
    psync_lock_acquire(&pd->lock);
    if (--pd->refs == 0 && pd->closing) close_now(pd);
    psync_lock_release(&pd->lock);
}

int np_close(int fd) {
    np_fd *pd;
    int err = fd_record(fd, &pd);
    if (err == -EBADF) return err;
    if (err) return close(fd) == 0 ? 0 : -errno; /* never registered */
    psync_lock_acquire(&pd->lock);
    int rc = 0;
    if (pd->gen != atomic_load(&generation)) {
        rc = close(fd) == 0 ? 0 : -errno; /* not used with net_* in this run */
    } else if (pd->closing) {
        rc = -EBADF;
    } else {
        pd->closing = true;
        for (int m = 0; m < 2; m++)
            while (pd->head[m]) {
                np_waiter *w = pd->head[m];
                list_remove(pd, (np_mode)m, w);
                w->wake(w);
            }
        if (pd->refs == 0) rc = close_now(pd);
    }
    psync_lock_release(&pd->lock);
    return rc;
}

int np_fd_number(const np_fd *pd) { return pd->fd; }

bool np_enlist(np_fd *pd, np_mode mode, np_waiter *w) {
    psync_lock_acquire(&pd->lock);
    bool ok = !pd->closing;
    if (ok) list_push(pd, mode, w);
    psync_lock_release(&pd->lock);
    return ok;
}

bool np_unlist(np_fd *pd, np_mode mode, np_waiter *w) {
    psync_lock_acquire(&pd->lock);
    if (w->listed) list_remove(pd, mode, w);
    bool closing = pd->closing;
    psync_lock_release(&pd->lock);
    return closing;
}

/* ---- the calls ---- */

/* After a call on the descriptor failed (errno): whether to make it again —
 * interrupted, or it would have blocked and the descriptor is ready now;
 * otherwise *r is the negative error (the call's, or the wait's). */
static bool call_again(np_wait_fn wait, np_fd *pd, int mode, uint64_t deadline_ns, long *r) {
    if (errno == EINTR) return true;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
        *r = -errno;
        return false;
    }
    return (*r = wait(pd, mode, deadline_ns)) == 0;
}

int np_accept(np_wait_fn wait, int listen_fd, uint64_t deadline_ns) {
    np_fd *pd;
    int err = call_enter(listen_fd, &pd);
    if (err) return err;
    long r;
    do r = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    while (r < 0 && call_again(wait, pd, NP_READ, deadline_ns, &r));
    call_leave(pd);
    return (int)r;
}

int np_connect(np_wait_fn wait, int fd, const void *sockaddr, unsigned addrlen, uint64_t deadline_ns) {
    np_fd *pd;
    int r = call_enter(fd, &pd);
    if (r) return r;
    if (connect(fd, sockaddr, addrlen) == 0) goto done;
    if (errno != EINPROGRESS && errno != EINTR) { /* EINTR: the connection goes on */
        r = -errno;
        goto done;
    }
    for (;;) {
        if ((r = wait(pd, NP_WRITE, deadline_ns)) != 0) break;
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) soerr = errno;
        if (soerr) {
            r = -soerr;
            break;
        }
        /* Writable without an error can also be a stale event from before
         * the connect: connected only once the peer has a name. */
        struct sockaddr_storage peer;
        socklen_t peerlen = sizeof peer;
        if (getpeername(fd, (struct sockaddr *)&peer, &peerlen) == 0) break;
        if (errno != ENOTCONN) {
            r = -errno;
            break;
        }
    }
done:
    call_leave(pd);
    return r;
}

long np_read(np_wait_fn wait, int fd, void *buf, size_t n, uint64_t deadline_ns) {
    np_fd *pd;
    int err = call_enter(fd, &pd);
    if (err) return err;
    long r;
    do r = read(fd, buf, n);
    while (r < 0 && call_again(wait, pd, NP_READ, deadline_ns, &r));
    call_leave(pd);
    return r;
}

long np_write(np_wait_fn wait, int fd, const void *buf, size_t n, uint64_t deadline_ns) {
    np_fd *pd;
    int err = call_enter(fd, &pd);
    if (err) return err;
    size_t done = 0;
    long r = 0;
    while (done < n) {
        /* send, not write: a peer that went away is EPIPE, not SIGPIPE */
        ssize_t put = send(fd, (const char *)buf + done, n - done, MSG_NOSIGNAL);
        if (put >= 0) done += (size_t)put;
        else if (!call_again(wait, pd, NP_WRITE, deadline_ns, &r)) break;
    }
    call_leave(pd);
    return r ? r : (long)n;
}

/* ---- parking ---- */

/* Exactly one waker wins a parked waiter. */
static bool claim(park_waiter *w, int result) {
    int expected = 0;
    if (!atomic_compare_exchange_strong(&w->claimed, &expected, 1)) return false;
    w->result = result;
    atomic_fetch_sub(&poller.waiting, 1);
    return true;
}

/* net_close's wake-up (pd locked, so the task has finished parking). */
static void park_wake_closed(np_waiter *base) {
    park_waiter *w = (park_waiter *)base;
    if (claim(w, -EBADF)) w->ops->ready(w->task);
}

static void heap_swap(size_t a, size_t b) {
    park_waiter *t = poller.heap[a];
    poller.heap[a] = poller.heap[b];
    poller.heap[b] = t;
    poller.heap[a]->heap_index = a;
    poller.heap[b]->heap_index = b;
}

static void heap_up(size_t i) {
    while (i > 0 && poller.heap[(i - 1) / 2]->deadline_ns > poller.heap[i]->deadline_ns) {
        heap_swap(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < poller.n && poller.heap[l]->deadline_ns < poller.heap[m]->deadline_ns) m = l;
        if (r < poller.n && poller.heap[r]->deadline_ns < poller.heap[m]->deadline_ns) m = r;
        if (m == i) return;
        heap_swap(i, m);
        i = m;
    }
}

/* Adds w; returns whether a blocked poll must wake to honour it earlier. */
static bool heap_add(park_waiter *w) {
    pthread_mutex_lock(&poller.heap_lock);
    if (poller.n == poller.cap) {
        size_t cap = poller.cap ? poller.cap * 2 : 64;
        park_waiter **heap = realloc(poller.heap, cap * sizeof *heap);
        if (!heap) abort(); /* as the timer heap of uthread.c: no way to report it to the task */
        poller.heap = heap;
        poller.cap = cap;
    }
    w->heap_index = poller.n;
    poller.heap[poller.n++] = w;
    heap_up(w->heap_index);
    bool earlier = w->deadline_ns < poller.poll_until;
    pthread_mutex_unlock(&poller.heap_lock);
    return earlier;
}

static void heap_remove_locked(park_waiter *w) {
    size_t i = w->heap_index;
    w->heap_index = NOT_IN_HEAP;
    if (i != --poller.n) {
        poller.heap[i] = poller.heap[poller.n];
        poller.heap[i]->heap_index = i;
        heap_up(i);
        heap_down(poller.heap[i]->heap_index);
    }
}

int np_park(const psync_ops *ops, np_fd *pd, np_mode mode, uint64_t deadline_ns) {
    psync_lock *held = &pd->lock;
    psync_lock_acquire(held);
    if (pd->closing) {
        psync_lock_release(held);
        return -EBADF;
    }
    if (pd->ready[mode]) { /* the event came between the call and here */
        pd->ready[mode] = false;
        psync_lock_release(held);
        return 0;
    }
    if (deadline_ns && np_now_ns() >= deadline_ns) {
        psync_lock_release(held);
        return -ETIMEDOUT;
    }
    park_waiter w = {.base.wake = park_wake_closed, .ops = ops, .task = ops->self(), .pd = pd,
                     .deadline_ns = deadline_ns, .heap_index = NOT_IN_HEAP};
    atomic_init(&w.claimed, 0);
    list_push(pd, mode, &w.base);
    atomic_fetch_add(&poller.waiting, 1);
    if (deadline_ns && heap_add(&w)) np_break();
    ops->park(&held, 1);

    /* Resumed by the waker that claimed w; leave the fd and the heap. */
    psync_lock_acquire(held);
    if (w.base.listed) list_remove(pd, mode, &w.base);
    psync_lock_release(held);
    if (deadline_ns) {
        pthread_mutex_lock(&poller.heap_lock);
        if (w.heap_index != NOT_IN_HEAP) heap_remove_locked(&w);
        pthread_mutex_unlock(&poller.heap_lock);
    }
    return w.result;
}

bool np_waiting(void) { return atomic_load_explicit(&poller.waiting, memory_order_relaxed) > 0; }

void np_break(void) {
    bool expected = false;
    if (!atomic_compare_exchange_strong(&poller.wake_pending, &expected, true)) return;
    uint64_t one = 1;
    if (write(poller.evfd, &one, sizeof one) < 0) atomic_store(&poller.wake_pending, false);
}

/* An event for `mode` (pd locked): every waiter retries; with none, the
 * edge is remembered in `ready`. */
static int readiness(np_fd *pd, np_mode mode, void (*take)(void *, void *), void *cookie) {
    int n = 0;
    while (pd->head[mode]) {
        park_waiter *w = (park_waiter *)pd->head[mode];
        list_remove(pd, mode, &w->base);
        if (claim(w, 0)) {
            take(w->task, cookie);
            n++;
        }
    }
    if (n == 0) pd->ready[mode] = true;
    return n;
}

static int expire(void (*take)(void *, void *), void *cookie) {
    uint64_t now = np_now_ns();
    park_waiter *expired = NULL;
    pthread_mutex_lock(&poller.heap_lock);
    while (poller.n > 0 && poller.heap[0]->deadline_ns <= now) {
        park_waiter *w = poller.heap[0];
        heap_remove_locked(w);
        if (claim(w, -ETIMEDOUT)) {
            w->next_expired = expired;
            expired = w;
        }
    }
    pthread_mutex_unlock(&poller.heap_lock);
    int n = 0;
    while (expired) {
        park_waiter *w = expired;
        expired = w->next_expired;
        /* The task entered the heap with its fd locked and the lock is
         * released only once it has switched out: wait for that. */
        psync_lock_acquire(&w->pd->lock);
        psync_lock_release(&w->pd->lock);
        take(w->task, cookie);
        n++;
    }
    return n;
}

int np_poll(bool block, void (*take)(void *task, void *cookie), void *cookie) {
    int timeout_ms = 0;
    if (block) {
        pthread_mutex_lock(&poller.heap_lock);
        uint64_t until = poller.n ? poller.heap[0]->deadline_ns : UINT64_MAX;
        poller.poll_until = until;
        pthread_mutex_unlock(&poller.heap_lock);
        if (until == UINT64_MAX) {
            timeout_ms = -1;
        } else {
            uint64_t now = np_now_ns();
            uint64_t ms = until > now ? (until - now + 999999) / 1000000 : 0;
            timeout_ms = ms > INT_MAX ? INT_MAX : (int)ms;
        }
    }
    struct epoll_event events[POLL_EVENTS];
    int nev = epoll_wait(poller.epfd, events, POLL_EVENTS, timeout_ms);
    if (block) {
        pthread_mutex_lock(&poller.heap_lock);
        poller.poll_until = 0;
        pthread_mutex_unlock(&poller.heap_lock);
    }
    int n = 0;
    for (int i = 0; i < nev; i++) {
        np_fd *pd = events[i].data.ptr;
        if (!pd) {
            uint64_t count;
            (void)!read(poller.evfd, &count, sizeof count); /* EAGAIN: another poll drained it */
            atomic_store(&poller.wake_pending, false);
            continue;
        }
        uint32_t e = events[i].events;
        psync_lock_acquire(&pd->lock);
        if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) n += readiness(pd, NP_READ, take, cookie);
        if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) n += readiness(pd, NP_WRITE, take, cookie);
        psync_lock_release(&pd->lock);
    }
    return n + expire(take, cookie);
}
