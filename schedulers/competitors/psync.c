/*
 * psync.c — channels, select, wait groups and mutexes on park/ready (see
 * psync.h).  Channel and select follow Go's runtime/chan.go and
 * runtime/select.go; wait groups and mutexes hand the wake-up (and, for a
 * mutex, the ownership) directly to the oldest waiter, like Go's semaphore
 * in starvation mode — simple and fair, at the price of convoys under heavy
 * contention.
 */
#include "psync.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef struct select_group {
    atomic_int done; /* 0 until one case fired */
    int fired;       /* index of the case that fired */
} select_group;

/* One blocked task on one channel (Go's sudog). */
typedef struct waiter {
    void *task;
    void *elem;          /* send: the value; recv: where it goes (may be NULL) */
    select_group *sel;   /* NULL outside select */
    int case_index;
    bool success;        /* completed by a peer; false = woken by close */
    bool queued;
    struct waiter *next, *prev;
} waiter;

typedef struct waitq {
    waiter *head, *tail;
} waitq;

struct asb_chan {
    const psync_ops *ops;
    psync_lock lock;
    size_t elemsize, cap, count, head;
    bool closed;
    waitq recvq, sendq;
    unsigned char buf[];
};

struct asb_wg {
    const psync_ops *ops;
    psync_lock lock;
    long count;
    waitq waiters;
};

struct asb_mutex {
    const psync_ops *ops;
    psync_lock lock;
    bool locked;
    waitq waiters;
};

__attribute__((noreturn)) static void fatal(const char *what) {
    fprintf(stderr, "asbench scheduler: %s\n", what);
    abort();
}

static void waitq_push(waitq *q, waiter *w) {
    w->next = NULL;
    w->prev = q->tail;
    if (q->tail) q->tail->next = w;
    else q->head = w;
    q->tail = w;
    w->queued = true;
}

static void waitq_remove(waitq *q, waiter *w) {
    if (w->prev) w->prev->next = w->next;
    else q->head = w->next;
    if (w->next) w->next->prev = w->prev;
    else q->tail = w->prev;
    w->queued = false;
}

/* A select waiter may only fire once: the first peer to win the CAS does. */
static bool claim(waiter *w) {
    if (!w->sel) return true;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&w->sel->done, &expected, 1)) return false;
    w->sel->fired = w->case_index;
    return true;
}

/* Oldest waiter that can still fire; stale select waiters are dropped. */
static waiter *waitq_take(waitq *q) {
    while (q->head) {
        waiter *w = q->head;
        waitq_remove(q, w);
        if (claim(w)) return w;
    }
    return NULL;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

void psync_lock_acquire(psync_lock *l) {
    int c = 0;
    if (atomic_compare_exchange_strong_explicit(&l->state, &c, 1, memory_order_acquire, memory_order_relaxed)) return;
    for (int spin = 0; spin < 64 && c != 2; spin++) { /* brief spin: hold times are short */
        cpu_relax();
        c = 0;
        if (atomic_compare_exchange_strong_explicit(&l->state, &c, 1, memory_order_acquire, memory_order_relaxed))
            return;
    }
    if (c != 2) c = atomic_exchange_explicit(&l->state, 2, memory_order_acquire);
    while (c != 0) {
        syscall(SYS_futex, &l->state, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
        c = atomic_exchange_explicit(&l->state, 2, memory_order_acquire);
    }
}

void psync_lock_release(psync_lock *l) {
    if (atomic_exchange_explicit(&l->state, 0, memory_order_release) == 2)
        syscall(SYS_futex, &l->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void psync_unlock_all(psync_lock *const *held, int nheld) {
    for (int i = 0; i < nheld; i++) psync_lock_release(held[i]);
}

static void park_on(const psync_ops *ops, psync_lock *lock) { ops->park(&lock, 1); }

/* ---- channels ---- */

static unsigned char *slot(asb_chan *c, size_t i) { return c->buf + (i % c->cap) * c->elemsize; }

static void copy_out(void *dst, const void *src, size_t n) {
    if (dst && n) memcpy(dst, src, n);
}

static void zero_out(void *dst, size_t n) {
    if (dst && n) memset(dst, 0, n);
}

asb_chan *psync_chan_make(const psync_ops *ops, size_t elemsize, size_t cap) {
    asb_chan *c = calloc(1, sizeof *c + elemsize * cap);
    if (!c) return NULL;
    c->ops = ops;
    c->elemsize = elemsize;
    c->cap = cap;
    return c;
}

void psync_chan_free(asb_chan *c) {
    if (!c) return;
    free(c);
}

/* Non-blocking halves of send and recv, with the channel locked.  On success
 * they unlock and wake the peer; on failure the lock is still held. */
static bool try_send_locked(asb_chan *c, const void *elem, psync_lock *const *held, int nheld) {
    if (c->closed) {
        psync_unlock_all(held, nheld);
        fatal("send on closed channel");
    }
    waiter *w = waitq_take(&c->recvq);
    if (w) {
        copy_out(w->elem, elem, c->elemsize);
        w->success = true;
        psync_unlock_all(held, nheld);
        c->ops->ready(w->task);
        return true;
    }
    if (c->count < c->cap) {
        memcpy(slot(c, c->head + c->count), elem, c->elemsize);
        c->count++;
        psync_unlock_all(held, nheld);
        return true;
    }
    return false;
}

/* Returns 1 received, 0 closed and drained, -1 would block (still locked). */
static int try_recv_locked(asb_chan *c, void *elem, psync_lock *const *held, int nheld) {
    waiter *w = waitq_take(&c->sendq);
    if (w) {
        if (c->cap == 0) {
            copy_out(elem, w->elem, c->elemsize);
        } else { /* buffer is full: take its head, the sender's value goes to its tail */
            copy_out(elem, slot(c, c->head), c->elemsize);
            memcpy(slot(c, c->head), w->elem, c->elemsize);
            c->head = (c->head + 1) % c->cap;
        }
        w->success = true;
        psync_unlock_all(held, nheld);
        c->ops->ready(w->task);
        return 1;
    }
    if (c->count > 0) {
        copy_out(elem, slot(c, c->head), c->elemsize);
        c->head = (c->head + 1) % c->cap;
        c->count--;
        psync_unlock_all(held, nheld);
        return 1;
    }
    if (c->closed) {
        zero_out(elem, c->elemsize);
        psync_unlock_all(held, nheld);
        return 0;
    }
    return -1;
}

void psync_chan_send(asb_chan *c, const void *elem) {
    psync_lock *lock = &c->lock;
    psync_lock_acquire(lock);
    if (try_send_locked(c, elem, &lock, 1)) return;
    waiter w = {.task = c->ops->self(), .elem = (void *)elem};
    waitq_push(&c->sendq, &w);
    park_on(c->ops, lock);
    if (!w.success) fatal("send on a channel closed while the sender waited");
}

bool psync_chan_recv(asb_chan *c, void *elem) {
    psync_lock *lock = &c->lock;
    psync_lock_acquire(lock);
    int got = try_recv_locked(c, elem, &lock, 1);
    if (got >= 0) return got == 1;
    waiter w = {.task = c->ops->self(), .elem = elem};
    waitq_push(&c->recvq, &w);
    park_on(c->ops, lock);
    return w.success;
}

void psync_chan_close(asb_chan *c) {
    psync_lock_acquire(&c->lock);
    if (c->closed) {
        psync_lock_release(&c->lock);
        fatal("close of closed channel");
    }
    c->closed = true;
    waiter *wake = NULL, *w;
    while ((w = waitq_take(&c->recvq))) {
        zero_out(w->elem, c->elemsize);
        w->success = false;
        w->next = wake;
        wake = w;
    }
    while ((w = waitq_take(&c->sendq))) {
        w->success = false;
        w->next = wake;
        wake = w;
    }
    psync_lock_release(&c->lock);
    while (wake) {
        w = wake;
        wake = w->next; /* read before ready: the waiter lives on the woken task's stack */
        c->ops->ready(w->task);
    }
}

/* ---- select ---- */

static uint64_t fast_random(void) {
    static _Thread_local uint64_t state;
    if (!state) state = (uint64_t)(uintptr_t)&state | 1;
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

int psync_select(asb_select_case *cases, int ncases, bool has_default) {
    int poll[ncases > 0 ? ncases : 1], order[ncases > 0 ? ncases : 1];
    psync_lock *held[ncases > 0 ? ncases : 1];
    int nactive = 0;
    held[0] = NULL;
    /* Poll order: a random permutation of the cases with a channel. */
    for (int i = 0; i < ncases; i++) {
        if (!cases[i].chan) continue; /* a nil channel is never ready, as in Go */
        int j = (int)(fast_random() % (uint64_t)(nactive + 1));
        poll[nactive] = i;
        poll[nactive] = poll[j];
        poll[j] = i;
        order[nactive++] = i;
    }
    /* Lock order: by channel address, each channel once. */
    for (int i = 1; i < nactive; i++)
        for (int j = i; j > 0 && cases[order[j - 1]].chan > cases[order[j]].chan; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    int nheld = 0;
    for (int i = 0; i < nactive; i++)
        if (nheld == 0 || &cases[order[i]].chan->lock != held[nheld - 1]) held[nheld++] = &cases[order[i]].chan->lock;
    for (int i = 0; i < nheld; i++) psync_lock_acquire(held[i]);

    for (int i = 0; i < nactive; i++) {
        asb_select_case *sc = &cases[poll[i]];
        if (sc->dir == ASB_SELECT_SEND) {
            if (try_send_locked(sc->chan, sc->elem, held, nheld)) return poll[i];
        } else {
            int got = try_recv_locked(sc->chan, sc->elem, held, nheld);
            if (got >= 0) {
                sc->ok = got == 1;
                return poll[i];
            }
        }
    }
    if (has_default || nactive == 0) {
        psync_unlock_all(held, nheld);
        if (!has_default) fatal("select with no channels blocks forever");
        return -1;
    }

    select_group group = {.fired = -1};
    atomic_init(&group.done, 0);
    waiter ws[ncases];
    const psync_ops *ops = cases[poll[0]].chan->ops;
    void *self = ops->self();
    for (int i = 0; i < nactive; i++) {
        int k = order[i];
        asb_chan *c = cases[k].chan;
        ws[k] = (waiter){.task = self, .elem = cases[k].elem, .sel = &group, .case_index = k};
        waitq_push(cases[k].dir == ASB_SELECT_SEND ? &c->sendq : &c->recvq, &ws[k]);
    }
    ops->park(held, nheld);

    /* Woken by the case that fired: take the others off their queues. */
    for (int i = 0; i < nheld; i++) psync_lock_acquire(held[i]);
    for (int i = 0; i < nactive; i++) {
        int k = order[i];
        if (ws[k].queued)
            waitq_remove(cases[k].dir == ASB_SELECT_SEND ? &cases[k].chan->sendq : &cases[k].chan->recvq, &ws[k]);
    }
    psync_unlock_all(held, nheld);
    int k = group.fired;
    if (cases[k].dir == ASB_SELECT_SEND && !ws[k].success) fatal("select send on a channel closed while waiting");
    if (cases[k].dir == ASB_SELECT_RECV) cases[k].ok = ws[k].success;
    return k;
}

/* ---- wait groups ---- */

asb_wg *psync_wg_make(const psync_ops *ops) {
    asb_wg *wg = calloc(1, sizeof *wg);
    if (!wg) return NULL;
    wg->ops = ops;
    return wg;
}

void psync_wg_add(asb_wg *wg, int delta) {
    psync_lock_acquire(&wg->lock);
    wg->count += delta;
    if (wg->count < 0) {
        psync_lock_release(&wg->lock);
        fatal("negative wait group counter");
    }
    waiter *wake = NULL, *w;
    if (wg->count == 0)
        while ((w = waitq_take(&wg->waiters))) {
            w->next = wake;
            wake = w;
        }
    psync_lock_release(&wg->lock);
    while (wake) {
        w = wake;
        wake = w->next;
        wg->ops->ready(w->task);
    }
}

void psync_wg_done(asb_wg *wg) { psync_wg_add(wg, -1); }

void psync_wg_wait(asb_wg *wg) {
    psync_lock_acquire(&wg->lock);
    if (wg->count == 0) {
        psync_lock_release(&wg->lock);
        return;
    }
    waiter w = {.task = wg->ops->self()};
    waitq_push(&wg->waiters, &w);
    park_on(wg->ops, &wg->lock);
}

void psync_wg_free(asb_wg *wg) {
    if (!wg) return;
    free(wg);
}

/* ---- mutexes ---- */

asb_mutex *psync_mutex_make(const psync_ops *ops) {
    asb_mutex *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->ops = ops;
    return m;
}

void psync_mutex_lock(asb_mutex *m) {
    psync_lock_acquire(&m->lock);
    if (!m->locked) {
        m->locked = true;
        psync_lock_release(&m->lock);
        return;
    }
    waiter w = {.task = m->ops->self()};
    waitq_push(&m->waiters, &w);
    park_on(m->ops, &m->lock); /* the unlocker hands the mutex over: still locked */
}

void psync_mutex_unlock(asb_mutex *m) {
    psync_lock_acquire(&m->lock);
    if (!m->locked) {
        psync_lock_release(&m->lock);
        fatal("unlock of unlocked mutex");
    }
    waiter *w = waitq_take(&m->waiters);
    if (!w) m->locked = false;
    psync_lock_release(&m->lock);
    if (w) m->ops->ready(w->task);
}

void psync_mutex_free(asb_mutex *m) {
    if (!m) return;
    free(m);
}
