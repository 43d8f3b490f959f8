/*
 * runq.c — the per-P lock-free run queue (256 slots + runnext) and the global
 * run queue.  Follows runqput/runqputslow/runqget/runqgrab/runqsteal and
 * globrunqput/globrunqget of Go's runtime/proc.go.
 *
 * The owner P is the only producer (it stores tail with release); consumers,
 * the owner included, take from head with a CAS.  Stealers read slots before
 * their CAS on head, so slots are atomics (relaxed) to keep that race defined.
 */
#include <stdlib.h>
#include <unistd.h>

#include "runtime2.h"

bool gmp_runqempty(P *pp) {
    /* Go's careful read: head, tail, runnext, then head again must agree. */
    for (;;) {
        uint32_t head = acquire_load(&pp->runqhead);
        uint32_t tail = acquire_load(&pp->runqtail);
        G *next = acquire_load(&pp->runnext);
        if (tail == acquire_load(&pp->runqtail)) return head == tail && next == NULL;
    }
}

uint32_t gmp_runqlen(P *pp) {
    return acquire_load(&pp->runqtail) - acquire_load(&pp->runqhead);
}

/* The local queue is full: move half of it plus gp to the global queue. */
static bool runqputslow(P *pp, G *gp, uint32_t head, uint32_t tail) {
    enum { HALF = GMP_RUNQ_SIZE / 2 };
    G *batch[HALF + 1];
    uint32_t n = (tail - head) / 2;
    if (n != HALF) return false; /* queue changed under us; the caller retries */
    for (uint32_t i = 0; i < n; i++) batch[i] = relaxed_load(&pp->runq[(head + i) % GMP_RUNQ_SIZE]);
    if (!atomic_compare_exchange_strong_explicit(&pp->runqhead, &head, head + n,
                                                 memory_order_release, memory_order_relaxed))
        return false;
    batch[n] = gp;
    pp->stats.runq_overflows++;
    gmp_sched_lock();
    gmp_globrunqputbatch(batch, (int)n + 1);
    gmp_sched_unlock();
    return true;
}

void gmp_runqput(P *pp, G *gp, bool next) {
    if (next && gmp_opts.runnext) {
        /* gp takes runnext; the G it displaces goes to the tail.  Thieves
         * only ever swap a G out of runnext (to NULL) and only the owner puts
         * one in, so an empty runnext stays empty until this store: no
         * atomic exchange is needed then (a ping-pong hop always finds it
         * empty, its partner having just been taken out of it). */
        G *old = relaxed_load(&pp->runnext);
        if (old == NULL) {
            release_store(&pp->runnext, gp);
            return;
        }
        old = atomic_exchange_explicit(&pp->runnext, gp, memory_order_acq_rel);
        if (old == NULL) return;
        gp = old;
    }
    for (;;) {
        uint32_t head = acquire_load(&pp->runqhead);
        uint32_t tail = relaxed_load(&pp->runqtail);
        if (tail - head < GMP_RUNQ_SIZE) {
            relaxed_store(&pp->runq[tail % GMP_RUNQ_SIZE], gp);
            release_store(&pp->runqtail, tail + 1);
            return;
        }
        if (runqputslow(pp, gp, head, tail)) return;
    }
}

G *gmp_runqget(P *pp, bool *inherit_time) {
    G *next = relaxed_load(&pp->runnext);
    /* Only the owner clears runnext apart from thieves, so a CAS suffices. */
    if (next && atomic_compare_exchange_strong_explicit(&pp->runnext, &next, NULL,
                                                        memory_order_acq_rel,
                                                        memory_order_relaxed)) {
        *inherit_time = true;
        pp->stats.runnext_hits++;
        return next;
    }
    *inherit_time = false;
    for (;;) {
        uint32_t head = acquire_load(&pp->runqhead);
        uint32_t tail = relaxed_load(&pp->runqtail);
        if (tail == head) return NULL;
        G *gp = relaxed_load(&pp->runq[head % GMP_RUNQ_SIZE]);
        if (atomic_compare_exchange_weak_explicit(&pp->runqhead, &head, head + 1,
                                                  memory_order_release, memory_order_relaxed))
            return gp;
    }
}

/* Take half of victim's queue into batch (a ring like runq) starting at
 * batch_head; on the last stealing pass also take its runnext. */
static uint32_t runqgrab(P *victim, _Atomic(G *) *batch, uint32_t batch_head, bool steal_runnext) {
    for (;;) {
        uint32_t head = acquire_load(&victim->runqhead);
        uint32_t tail = acquire_load(&victim->runqtail);
        uint32_t n = tail - head;
        n = n - n / 2;
        if (n == 0) {
            if (!steal_runnext) return 0;
            G *next = acquire_load(&victim->runnext);
            if (next == NULL) return 0;
            /* A running victim is likely about to schedule its runnext (a
             * ping-pong partner): give it ~3 µs before stealing it. */
            if (relaxed_load(&victim->status) == P_RUNNING) usleep(3);
            if (!atomic_compare_exchange_strong_explicit(&victim->runnext, &next, NULL,
                                                         memory_order_acq_rel,
                                                         memory_order_relaxed))
                continue;
            relaxed_store(&batch[batch_head % GMP_RUNQ_SIZE], next);
            return 1;
        }
        if (n > GMP_RUNQ_SIZE / 2) continue; /* read an inconsistent head/tail */
        for (uint32_t i = 0; i < n; i++) {
            G *g = relaxed_load(&victim->runq[(head + i) % GMP_RUNQ_SIZE]);
            relaxed_store(&batch[(batch_head + i) % GMP_RUNQ_SIZE], g);
        }
        if (atomic_compare_exchange_strong_explicit(&victim->runqhead, &head, head + n,
                                                    memory_order_release, memory_order_relaxed))
            return n;
    }
}

G *gmp_runqsteal(P *pp, P *victim, bool steal_runnext) {
    uint32_t tail = relaxed_load(&pp->runqtail);
    uint32_t n = runqgrab(victim, pp->runq, tail, steal_runnext);
    if (n == 0) return NULL;
    pp->stats.steals++;
    pp->stats.stolen_gs += n;
    n--;
    G *gp = relaxed_load(&pp->runq[(tail + n) % GMP_RUNQ_SIZE]);
    if (n == 0) return gp;
    release_store(&pp->runqtail, tail + n);
    return gp;
}

/* The global queue is a ring of G pointers rather than Go's list linked
 * through the Gs: moving a batch of 129 Gs in and out then touches 129
 * pointers instead of 129 cold G structures (each on its own stack page). */
static void globrunq_reserve(uint32_t extra) {
    uint32_t size = (uint32_t)relaxed_load(&gmp_sched.runqsize);
    if (size + extra <= gmp_sched.runqcap) return;
    uint32_t cap = gmp_sched.runqcap ? gmp_sched.runqcap : 1024;
    while (cap < size + extra) cap *= 2;
    G **ring = malloc(cap * sizeof *ring);
    if (!ring) gmp_throw("out of memory growing the global run queue");
    for (uint32_t i = 0; i < size; i++)
        ring[i] = gmp_sched.runq[(gmp_sched.runqhead + i) % gmp_sched.runqcap];
    free(gmp_sched.runq);
    gmp_sched.runq = ring;
    gmp_sched.runqcap = cap;
    gmp_sched.runqhead = 0;
}

void gmp_globrunqputbatch(G *const *batch, int n) {
    globrunq_reserve((uint32_t)n);
    uint32_t size = (uint32_t)relaxed_load(&gmp_sched.runqsize);
    for (int i = 0; i < n; i++)
        gmp_sched.runq[(gmp_sched.runqhead + size + (uint32_t)i) % gmp_sched.runqcap] = batch[i];
    relaxed_store(&gmp_sched.runqsize, (int32_t)size + n);
}

void gmp_globrunqput(G *gp) { gmp_globrunqputbatch(&gp, 1); }

static G *globrunqpop(void) {
    G *gp = gmp_sched.runq[gmp_sched.runqhead];
    gmp_sched.runqhead = (gmp_sched.runqhead + 1) % gmp_sched.runqcap;
    relaxed_store(&gmp_sched.runqsize, relaxed_load(&gmp_sched.runqsize) - 1);
    return gp;
}

void gmp_globrunq_destroy(void) {
    free(gmp_sched.runq);
    gmp_sched.runq = NULL;
    gmp_sched.runqcap = gmp_sched.runqhead = 0;
}

/* Take a fair share of the global queue: one G to run, the rest into pp's
 * local queue.  max > 0 caps the batch. */
G *gmp_globrunqget(P *pp, int max) {
    int size = relaxed_load(&gmp_sched.runqsize);
    if (size == 0) return NULL;
    int n = size / gmp_gomaxprocs + 1;
    if (n > size) n = size;
    if (max > 0 && n > max) n = max;
    if (n > GMP_RUNQ_SIZE / 2) n = GMP_RUNQ_SIZE / 2;
    G *gp = globrunqpop();
    for (n--; n > 0; n--) gmp_runqput(pp, globrunqpop(), false);
    return gp;
}
