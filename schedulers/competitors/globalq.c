/*
 * globalq.c — the naive user-level scheduler: N worker threads over one
 * FIFO of runnable tasks guarded by one mutex and one condition variable.
 * Every spawn, wake-up, yield and dispatch takes the same lock, so the
 * figures show what Go's per-P run queues and work stealing buy over it.
 *
 * Stats: queue_lock_contended (acquisitions that found the lock taken),
 * idle_waits (times a worker slept on the condition variable).
 */
#include <stdatomic.h>

#include "uthread.h"

static struct {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    ut_task *head, *tail;
    int nidle;
    uint64_t contended, idle_waits;
} gq = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void gq_lock(void) {
    if (pthread_mutex_trylock(&gq.lock) == 0) return;
    pthread_mutex_lock(&gq.lock);
    gq.contended++;
}

static int gq_start(int nprocs, const char *options) {
    (void)nprocs;
    (void)options;
    pthread_cond_init(&gq.nonempty, NULL);
    gq.head = gq.tail = NULL;
    gq.nidle = 0;
    gq.contended = gq.idle_waits = 0;
    return 0;
}

static void gq_ready(int worker, ut_task *t, ut_ready_kind kind) {
    (void)worker;
    (void)kind;
    t->next = NULL;
    gq_lock();
    if (gq.tail) gq.tail->next = t;
    else gq.head = t;
    gq.tail = t;
    if (gq.nidle > 0) pthread_cond_signal(&gq.nonempty);
    pthread_mutex_unlock(&gq.lock);
}

static ut_task *gq_next(int worker) {
    (void)worker;
    gq_lock();
    while (!gq.head && !ut_stopping()) {
        gq.nidle++;
        gq.idle_waits++;
        pthread_cond_wait(&gq.nonempty, &gq.lock);
        gq.nidle--;
    }
    ut_task *t = ut_stopping() ? NULL : gq.head;
    if (t) {
        gq.head = t->next;
        if (!gq.head) gq.tail = NULL;
    }
    pthread_mutex_unlock(&gq.lock);
    return t;
}

static void gq_wake_all(void) {
    pthread_mutex_lock(&gq.lock);
    pthread_cond_broadcast(&gq.nonempty);
    pthread_mutex_unlock(&gq.lock);
}

static void gq_stop(void) {
    while (gq.head) {
        ut_task *t = gq.head;
        gq.head = t->next;
        ut_discard(t);
    }
    gq.tail = NULL;
    pthread_cond_destroy(&gq.nonempty);
}

static void gq_stats(asb_stat_emit emit, void *cookie) {
    emit(cookie, "queue_lock_contended", (double)gq.contended);
    emit(cookie, "idle_waits", (double)gq.idle_waits);
}

static const ut_policy gq_policy = {
    .start = gq_start, .ready = gq_ready, .next = gq_next,
    .wake_all = gq_wake_all, .stop = gq_stop, .stats = gq_stats,
};

static int gq_run(int nprocs, const char *options, asb_task_fn root, void *arg) {
    return ut_run(&gq_policy, nprocs, options, root, arg);
}

UT_SCHED_DESCRIPTOR(globalq, "globalq",
                    "N threads over one mutex+condvar FIFO of user-level tasks (the naive design)", gq_run);
ASB_REGISTER_SCHED(globalq)
