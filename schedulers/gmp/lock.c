/*
 * lock.c — the runtime's futex-based mutex and notes (one-shot wakeups that
 * park idle Ms).  Follows Go's runtime/lock_futex.go: spin a little, then
 * sleep on the futex with the key marked "sleeping" so unlock knows to wake.
 */
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime2.h"

enum { ACTIVE_SPIN = 4, ACTIVE_SPIN_CNT = 30, PASSIVE_SPIN = 1 };

static inline void cpu_relax(void) {
#if defined(__x86_64__)
    __asm__ volatile("pause");
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static void futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t ns) {
    struct timespec ts, *tsp = NULL;
    if (ns >= 0) {
        ts.tv_sec = ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        tsp = &ts;
    }
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, tsp, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *addr, int n) {
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

bool gmp_trylock(gmp_mutex *l) {
    uint32_t unlocked = GMP_MUTEX_UNLOCKED;
    return atomic_compare_exchange_strong_explicit(&l->key, &unlocked, GMP_MUTEX_LOCKED,
                                                   memory_order_acquire, memory_order_relaxed);
}

/* Takes the lock if it is free, setting it to `wait`. */
static bool grab_if_free(gmp_mutex *l, uint32_t wait) {
    while (relaxed_load(&l->key) == GMP_MUTEX_UNLOCKED) {
        uint32_t expected = GMP_MUTEX_UNLOCKED;
        if (atomic_compare_exchange_weak_explicit(&l->key, &expected, wait, memory_order_acquire,
                                                  memory_order_relaxed))
            return true;
    }
    return false;
}

/* gmp_lock's exchange found the lock held (seen: LOCKED or SLEEPING). */
void gmp_lock_slow(gmp_mutex *l, uint32_t seen) {
    /* Whatever we set must keep sleepers visible. */
    uint32_t wait = seen;
    uint32_t v;
    for (;;) {
        for (int i = 0; i < ACTIVE_SPIN; i++) {
            if (grab_if_free(l, wait)) return;
            for (int j = 0; j < ACTIVE_SPIN_CNT; j++) cpu_relax();
        }
        for (int i = 0; i < PASSIVE_SPIN; i++) {
            if (grab_if_free(l, wait)) return;
            sched_yield();
        }
        v = atomic_exchange_explicit(&l->key, GMP_MUTEX_SLEEPING, memory_order_acquire);
        if (v == GMP_MUTEX_UNLOCKED) return;
        wait = GMP_MUTEX_SLEEPING;
        futex_wait(&l->key, GMP_MUTEX_SLEEPING, -1);
    }
}

/* gmp_unlock released a lock that had sleepers: wake one. */
void gmp_unlock_wake(gmp_mutex *l) { futex_wake(&l->key, 1); }

void gmp_noteclear(gmp_note *n) { relaxed_store(&n->key, 0); }

void gmp_notewakeup(gmp_note *n) {
    atomic_exchange_explicit(&n->key, 1, memory_order_release);
    futex_wake(&n->key, 1);
}

void gmp_notesleep(gmp_note *n) {
    while (acquire_load(&n->key) == 0) futex_wait(&n->key, 0, -1);
}

bool gmp_notetsleep(gmp_note *n, int64_t ns) {
    int64_t deadline = gmp_nanotime() + ns;
    while (acquire_load(&n->key) == 0) {
        int64_t left = deadline - gmp_nanotime();
        if (left <= 0) return false;
        futex_wait(&n->key, 0, left);
    }
    return true;
}
