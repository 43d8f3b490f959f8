/*
 * runq.c — the per-P lock-free run queue (256 slots + runnext) and the global
 * run queue.  Follows runqput/runqputslow/runqget/runqgrab/runqsteal and
 * globrunqput/globrunqget of Go's runtime/proc.go.
 *
 * The owner P is the only producer (it stores tail with release); consumers,
 * the owner included, take from head with a CAS.  Stealers read slots before
 * their CAS on head, so slots are atomics (relaxed) to keep that race defined.
 */
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
    for (uint32_t i = 0; i < n; i++) batch[i]->schedlink = batch[i + 1];
    batch[n]->schedlink = NULL;
    pp->stats.runq_overflows++;
    gmp_sched_lock();
    gmp_globrunqputbatch(batch[0], batch[n], (int)n + 1);
    gmp_sched_unlock();
    return true;
}

void gmp_runqput(P *pp, G *gp, bool next) {
    if (next && gmp_opts.runnext) {
        /* gp takes runnext; the G it displaces goes to the tail. */
        G *old = atomic_exchange_explicit(&pp->runnext, gp, memory_order_acq_rel);
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

void gmp_globrunqput(G *gp) {
    gp->schedlink = NULL;
    if (gmp_sched.runqtail)
        gmp_sched.runqtail->schedlink = gp;
    else
        gmp_sched.runqhead = gp;
    gmp_sched.runqtail = gp;
    relaxed_store(&gmp_sched.runqsize, relaxed_load(&gmp_sched.runqsize) + 1);
}

void gmp_globrunqputbatch(G *head, G *tail, int n) {
    tail->schedlink = NULL;
    if (gmp_sched.runqtail)
        gmp_sched.runqtail->schedlink = head;
    else
        gmp_sched.runqhead = head;
    gmp_sched.runqtail = tail;
    relaxed_store(&gmp_sched.runqsize, relaxed_load(&gmp_sched.runqsize) + n);
}

static G *globrunqpop(void) {
    G *gp = gmp_sched.runqhead;
    gmp_sched.runqhead = gp->schedlink;
    if (gmp_sched.runqhead == NULL) gmp_sched.runqtail = NULL;
    relaxed_store(&gmp_sched.runqsize, relaxed_load(&gmp_sched.runqsize) - 1);
    return gp;
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
