/*
 * lock.c — mutexes with contention statistics (Go's lock_futex.go role).
 *
 * Every lock of the allocator (the heap lock, the span-set spine locks, the
 * mcentral locks used without a P, the scavenger lock) is a gs_mutex: a
 * pthread mutex that counts acquisitions, contended acquisitions and the time
 * spent waiting.  An uncontended acquisition costs one trylock; only a failed
 * trylock reads the clock.  pthread mutexes never allocate, so they are safe
 * inside malloc.
 */
#include <time.h>

#include "runtime.h"

uint64_t gs_nanotime(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void gs_mutex_init(gs_mutex *m) {
    pthread_mutex_init(&m->mu, NULL);
    m->acquisitions = m->contended = m->wait_ns = 0;
}

void gs_mutex_lock(gs_mutex *m) {
    if (GS_LIKELY(pthread_mutex_trylock(&m->mu) == 0)) {
        m->acquisitions++;
        return;
    }
    uint64_t t0 = gs_nanotime();
    pthread_mutex_lock(&m->mu);
    m->wait_ns += gs_nanotime() - t0;
    m->contended++;
    m->acquisitions++;
}

void gs_mutex_unlock(gs_mutex *m) { pthread_mutex_unlock(&m->mu); }

/* Read without the lock: the counters are statistics, a torn read of a
 * running count is acceptable. */
void gs_mutex_add_stats(const gs_mutex *m, gs_lock_stats *into) {
    into->acquisitions += __atomic_load_n(&m->acquisitions, __ATOMIC_RELAXED);
    into->contended += __atomic_load_n(&m->contended, __ATOMIC_RELAXED);
    into->wait_ns += __atomic_load_n(&m->wait_ns, __ATOMIC_RELAXED);
}
