/*
 * sema.c — semaphores that park Gs, and the task API's mutex and wait group
 * built on them.  Follows Go's runtime/sema.go (semacquire/semrelease with
 * direct hand-off) and the state-word designs of sync.Mutex and
 * sync.WaitGroup.
 *
 * Departure: Go hashes a semaphore's address into a table of treaps because
 * any word can be a semaphore; here every semaphore is embedded in its object
 * and carries its own lock and FIFO.  The mutex always hands ownership
 * directly to the oldest waiter (Go's starvation mode) instead of letting a
 * woken waiter race new arrivals for up to 1 ms (Go's normal mode).
 */
#include <stdio.h>
#include <stdlib.h>

#include "runtime2.h"

static bool semaparkcommit(G *gp, void *lock) {
    (void)gp;
    gmp_unlock(lock);
    return true;
}

void gmp_semacquire(gmp_sema *s, gmp_waitreason reason) {
    gmp_lock(&s->lock);
    if (s->count > 0) {
        s->count--;
        gmp_unlock(&s->lock);
        return;
    }
    gmp_sudog sg = {.g = gmp_getg()};
    gmp_waitq_enqueue(&s->waiters, &sg);
    gmp_gopark(semaparkcommit, &s->lock, reason);
}

/* Wake the oldest waiter (it owns the unit now), else bank the unit. */
void gmp_semrelease(gmp_sema *s) {
    gmp_lock(&s->lock);
    gmp_sudog *sg = gmp_waitq_dequeue(&s->waiters);
    if (!sg) {
        s->count++;
        gmp_unlock(&s->lock);
        return;
    }
    gmp_unlock(&s->lock);
    gmp_goready(sg->g);
}

/* ---- mutex: state = locked bit | waiters << 1 ---- */

struct asb_mutex {
    _Atomic uint32_t state;
    gmp_sema sema;
};

enum { MUTEX_LOCKED = 1, MUTEX_WAITER = 2 };

asb_mutex *gmp_mutex_make(void) { return calloc(1, sizeof(asb_mutex)); }
void gmp_mutex_free(asb_mutex *m) { free(m); }

void gmp_mutex_lock(asb_mutex *m) {
    uint32_t old = 0;
    if (atomic_compare_exchange_strong_explicit(&m->state, &old, MUTEX_LOCKED,
                                                memory_order_acquire, memory_order_relaxed))
        return;
    for (;;) {
        old = relaxed_load(&m->state);
        if (!(old & MUTEX_LOCKED)) {
            if (atomic_compare_exchange_weak_explicit(&m->state, &old, old | MUTEX_LOCKED,
                                                      memory_order_acquire, memory_order_relaxed))
                return;
            continue;
        }
        if (atomic_compare_exchange_weak_explicit(&m->state, &old, old + MUTEX_WAITER,
                                                  memory_order_relaxed, memory_order_relaxed)) {
            /* Woken by unlock, which set LOCKED on our behalf. */
            gmp_semacquire(&m->sema, WAIT_SYNC_MUTEX_LOCK);
            atomic_thread_fence(memory_order_acquire);
            return;
        }
    }
}

void gmp_mutex_unlock(asb_mutex *m) {
    uint32_t v = atomic_fetch_sub_explicit(&m->state, MUTEX_LOCKED, memory_order_release);
    if (!(v & MUTEX_LOCKED)) {
        fprintf(stderr, "gmp: fatal error: sync: unlock of unlocked mutex\n");
        abort();
    }
    v -= MUTEX_LOCKED;
    while (v >= MUTEX_WAITER && !(v & MUTEX_LOCKED)) {
        /* Hand the lock to one waiter: take its count, set LOCKED for it. */
        if (atomic_compare_exchange_weak_explicit(&m->state, &v, v - MUTEX_WAITER + MUTEX_LOCKED,
                                                  memory_order_release, memory_order_relaxed)) {
            gmp_semrelease(&m->sema);
            return;
        }
    }
}

/* ---- wait group: state = counter << 32 | waiters ---- */

struct asb_wg {
    _Atomic uint64_t state;
    gmp_sema sema;
};

asb_wg *gmp_wg_make(void) { return calloc(1, sizeof(asb_wg)); }
void gmp_wg_free(asb_wg *wg) { free(wg); }

void gmp_wg_add(asb_wg *wg, int delta) {
    uint64_t state = atomic_fetch_add(&wg->state, (uint64_t)(int64_t)delta << 32) +
                     ((uint64_t)(int64_t)delta << 32);
    int32_t v = (int32_t)(state >> 32);
    uint32_t w = (uint32_t)state;
    if (v < 0) {
        fprintf(stderr, "gmp: panic: sync: negative WaitGroup counter\n");
        abort();
    }
    if (v > 0 || w == 0) return;
    /* Counter reached zero with waiters: reset and release them all. */
    atomic_store(&wg->state, 0);
    for (; w > 0; w--) gmp_semrelease(&wg->sema);
}

void gmp_wg_wait(asb_wg *wg) {
    for (;;) {
        uint64_t state = atomic_load(&wg->state);
        if ((int32_t)(state >> 32) == 0) return;
        if (atomic_compare_exchange_weak(&wg->state, &state, state + 1)) {
            gmp_semacquire(&wg->sema, WAIT_SYNC_WAITGROUP_WAIT);
            return;
        }
    }
}
