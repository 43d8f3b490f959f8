/*
 * time.c — per-P timers in a 4-ary min-heap, used by sleep and by the
 * netpoller's deadlines.  Follows Go's runtime/time.go (addtimer, deltimer,
 * siftupTimer/siftdownTimer, checkTimers, resetForSleep): a sleeping G's
 * timer is added to the heap of the P it ran on only after the G is parked,
 * and fires from that P's findRunnable, from a thief's last stealing pass, or
 * from the idle M that sleeps until the earliest timer of all Ps (blocked in
 * netpoll once the netpoller is in use, as Go's).
 *
 * Departure: Go 1.19 deletes a timer lazily (timerDeleted, cleaned up by its
 * P); here deltimer takes it out of its heap at once under the heap's lock.
 */
#include <stdlib.h>

#include "runtime2.h"

static void set_when0(gmp_timers *ts) {
    release_store(&ts->when0, ts->len > 0 ? ts->heap[0]->when : 0);
}

static void place(gmp_timers *ts, int i, gmp_timer *t) {
    ts->heap[i] = t;
    t->index = i;
}

static void siftup(gmp_timers *ts, int i) {
    gmp_timer *t = ts->heap[i];
    while (i > 0) {
        int parent = (i - 1) / 4;
        if (ts->heap[parent]->when <= t->when) break;
        place(ts, i, ts->heap[parent]);
        i = parent;
    }
    place(ts, i, t);
}

static void siftdown(gmp_timers *ts, int i) {
    gmp_timer *t = ts->heap[i];
    for (;;) {
        int c = 4 * i + 1;
        if (c >= ts->len) break;
        int best = c;
        for (int k = c + 1; k < c + 4 && k < ts->len; k++)
            if (ts->heap[k]->when < ts->heap[best]->when) best = k;
        if (ts->heap[best]->when >= t->when) break;
        place(ts, i, ts->heap[best]);
        i = best;
    }
    place(ts, i, t);
}

static bool addtimer(gmp_timers *ts, gmp_timer *t) {
    t->heap = ts;
    gmp_lock(&ts->lock);
    if (ts->len == ts->cap) {
        int cap = ts->cap ? 2 * ts->cap : 64;
        gmp_timer **heap = realloc(ts->heap, (size_t)cap * sizeof *heap);
        if (!heap) {
            gmp_unlock(&ts->lock);
            return false;
        }
        ts->heap = heap;
        ts->cap = cap;
    }
    ts->heap[ts->len++] = t;
    siftup(ts, ts->len - 1);
    set_when0(ts);
    gmp_unlock(&ts->lock);
    return true;
}

bool gmp_addtimer(gmp_timer *t) {
    /* Once added, the timer may fire (and its owner re-arm it) at once: read
     * its deadline first. */
    int64_t when = t->when;
    if (!addtimer(&gmp_getm()->p->timers, t)) return false;
    gmp_wake_timer_waiter(when);
    return true;
}

/* Remove heap[i]: the last timer takes its place and moves up or down. */
static void removeat(gmp_timers *ts, int i) {
    ts->heap[i]->index = -1;
    ts->len--;
    if (i < ts->len) {
        gmp_timer *moved = ts->heap[ts->len];
        place(ts, i, moved);
        siftup(ts, i);
        if (moved->index == i) siftdown(ts, i);
    }
    set_when0(ts);
}

bool gmp_deltimer(gmp_timer *t) {
    gmp_timers *ts = t->heap;
    if (!ts) return false;
    gmp_lock(&ts->lock);
    bool on = t->index >= 0 && t->index < ts->len && ts->heap[t->index] == t;
    if (on) removeat(ts, t->index);
    gmp_unlock(&ts->lock);
    return on;
}

static void sleep_wake(void *arg, uintptr_t seq) {
    (void)seq;
    gmp_goready(arg);
}

/* gopark commit function of sleep: runs on g0 once the G is parked. */
static bool reset_for_sleep(G *gp, void *arg) {
    (void)arg;
    return gmp_addtimer(&gp->sleep_timer); /* out of memory: wake now */
}

void gmp_sleep(uint64_t ns) {
    if (ns == 0) {
        gmp_gosched();
        return;
    }
    G *gp = gmp_getg();
    gp->sleep_timer.f = sleep_wake;
    gp->sleep_timer.arg = gp;
    gp->sleep_timer.when = gmp_nanotime() + (int64_t)ns;
    gmp_gopark(reset_for_sleep, NULL, WAIT_SLEEP);
}

/* Run pp's expired timers' functions (the Gs they wake go to the caller's
 * P), outside the heap's lock, in batches. */
bool gmp_checktimers(P *pp, int64_t now) {
    int64_t w = acquire_load(&pp->timers.when0);
    if (w == 0 || now < w) return false;
    gmp_timers *ts = &pp->timers;
    bool any = false;
    enum { BATCH = 32 };
    struct {
        void (*f)(void *, uintptr_t);
        void *arg;
        uintptr_t seq;
    } fired[BATCH];
    int n;
    do {
        n = 0;
        gmp_lock(&ts->lock);
        while (n < BATCH && ts->len > 0 && ts->heap[0]->when <= now) {
            gmp_timer *t = ts->heap[0];
            fired[n].f = t->f;
            fired[n].arg = t->arg;
            fired[n].seq = t->seq;
            n++;
            removeat(ts, 0);
        }
        gmp_unlock(&ts->lock);
        for (int i = 0; i < n; i++) fired[i].f(fired[i].arg, fired[i].seq);
        any |= n > 0;
    } while (n == BATCH);
    return any;
}

int64_t gmp_timers_earliest(void) {
    int64_t best = 0;
    for (int i = 0; i < gmp_gomaxprocs; i++) {
        int64_t w = acquire_load(&gmp_allp[i]->timers.when0);
        if (w != 0 && (best == 0 || w < best)) best = w;
    }
    return best;
}

void gmp_timers_destroy(P *pp) {
    free(pp->timers.heap);
    pp->timers.heap = NULL;
    pp->timers.len = pp->timers.cap = 0;
}
