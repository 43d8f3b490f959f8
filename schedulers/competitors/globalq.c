/*
 * globalq.c — the naive user-level scheduler: N worker threads over one
 * FIFO of runnable tasks guarded by one mutex and one condition variable.
 * Every spawn, wake-up, yield and dispatch takes the same lock, so the
 * figures show what Go's per-P run queues and work stealing buy over it.
 *
 * Sockets: a worker with nothing to run polls them, blocking, if no other
 * worker does (the others sleep on the condition variable); a task readied
 * while no worker sleeps there breaks that poll.  Every UT_NET_POLL_TICK
 * dispatches a worker also polls without blocking, so busy workers still
 * see sockets become ready.
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
    int nidle;    /* workers sleeping on `nonempty` */
    bool polling; /* a worker is in a blocking socket poll */
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
    gq.polling = false;
    gq.contended = gq.idle_waits = 0;
    return 0;
}

/* Queue a list linked through `next` (lock held) and wake an idle worker:
 * one sleeping on the condition variable, else the one polling sockets. */
static void enqueue_locked(ut_task *list) {
    ut_task *last = list;
    while (last->next) last = last->next;
    if (gq.tail) gq.tail->next = list;
    else gq.head = list;
    gq.tail = last;
    if (gq.nidle > 0) {
        if (list == last) pthread_cond_signal(&gq.nonempty);
        else pthread_cond_broadcast(&gq.nonempty);
    } else if (gq.polling) {
        ut_net_break();
    }
}

static void gq_ready(int worker, ut_task *t, ut_ready_kind kind) {
    (void)worker;
    (void)kind;
    t->next = NULL;
    gq_lock();
    enqueue_locked(t);
    pthread_mutex_unlock(&gq.lock);
}

static ut_task *gq_next(int worker) {
    (void)worker;
    static _Thread_local unsigned dispatches;
    ut_task *polled = NULL;
    if (++dispatches % UT_NET_POLL_TICK == 0 && ut_net_waiting()) polled = ut_net_poll(false);
    gq_lock();
    if (polled) enqueue_locked(polled);
    ut_task *t = NULL;
    while (!ut_stopping()) {
        if ((t = gq.head)) {
            gq.head = t->next;
            if (!gq.head) gq.tail = NULL;
            break;
        }
        if (!gq.polling && ut_net_waiting()) {
            gq.polling = true;
            pthread_mutex_unlock(&gq.lock);
            polled = ut_net_poll(true);
            gq_lock();
            gq.polling = false;
            if (polled) enqueue_locked(polled);
            continue;
        }
        gq.nidle++;
        gq.idle_waits++;
        pthread_cond_wait(&gq.nonempty, &gq.lock);
        gq.nidle--;
    }
    /* Leaving with work while tasks wait on sockets: a sleeping worker takes
     * over the blocking poll. */
    if (t && !gq.polling && gq.nidle > 0 && ut_net_waiting()) pthread_cond_signal(&gq.nonempty);
    pthread_mutex_unlock(&gq.lock);
    return t;
}

static void gq_wake_all(void) {
    pthread_mutex_lock(&gq.lock);
    pthread_cond_broadcast(&gq.nonempty);
    if (gq.polling) ut_net_break();
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
