/*
 * wsdeque.c — work stealing as in Cilk and TBB: one Chase–Lev deque per
 * worker (Chase & Lev, SPAA 2005, with the C11 orderings of Lê et al., PPoPP
 * 2013).  The owner pushes and pops at the bottom (LIFO: a spawned or woken
 * task runs next, its cache still warm); idle workers steal from the top
 * (FIFO: the oldest, usually largest, piece of work).  Tasks spawned or woken
 * from outside the workers, and yielding tasks, go to one mutex-guarded
 * injection FIFO, which a worker checks when its deque is empty and, as Go
 * does with its global queue, every 61st dispatch.  Idle workers sleep on a
 * condition variable after one failed round of stealing.
 *
 * Sockets: a worker polls them without blocking when it found nothing else
 * and every UT_NET_POLL_TICK dispatches; keeps the first task made ready and
 * pushes the rest on its deque (thieves spread them).  Where it would sleep,
 * one worker at a time polls blocking instead; wake_one breaks that poll
 * when no other worker sleeps.
 *
 * Options: steal=0 disables stealing (each worker runs only what it spawned
 * or took from the injection queue).
 * Stats: steals, steal_misses (lost the race for the item), injection_pops,
 * idle_waits, deque_grows.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uthread.h"

enum { DEQUE_INITIAL = 256, FAIRNESS_TICK = 61 };

typedef struct darray {
    int64_t size; /* a power of two */
    struct darray *older; /* arrays replaced by growth, freed at stop */
    _Atomic(ut_task *) buf[];
} darray;

typedef struct deque {
    _Alignas(64) atomic_int_fast64_t top;
    _Alignas(64) atomic_int_fast64_t bottom;
    _Atomic(darray *) array;
    uint64_t rng, ticks;
    uint64_t steals, steal_misses, injection_pops, idle_waits, grows;
} deque;

static deque *deques;
static int ndeques;
static bool stealing;

static struct {
    pthread_mutex_t lock;
    ut_task *head, *tail;
    atomic_long count;
} inject = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_int nidle;    /* workers sleeping or in the blocking poll */
    int nsleeping;       /* of which on `cond` (lock held) */
    atomic_bool polling; /* one is in the blocking socket poll */
} idle = {.lock = PTHREAD_MUTEX_INITIALIZER};

static darray *darray_new(int64_t size) {
    darray *a = calloc(1, sizeof *a + (size_t)size * sizeof a->buf[0]);
    if (!a) {
        errno = ENOMEM;
        return NULL;
    }
    a->size = size;
    return a;
}

/* ---- Chase–Lev ---- */

static darray *deque_grow(deque *q, darray *a, int64_t top, int64_t bottom) {
    darray *b = darray_new(a->size * 2);
    if (!b) abort();
    for (int64_t i = top; i < bottom; i++)
        atomic_store_explicit(&b->buf[i & (b->size - 1)],
                              atomic_load_explicit(&a->buf[i & (a->size - 1)], memory_order_relaxed),
                              memory_order_relaxed);
    b->older = a; /* thieves may still read the old array */
    atomic_store_explicit(&q->array, b, memory_order_release);
    q->grows++;
    return b;
}

static void deque_push(deque *q, ut_task *t) {
    int64_t b = atomic_load_explicit(&q->bottom, memory_order_relaxed);
    int64_t top = atomic_load_explicit(&q->top, memory_order_acquire);
    darray *a = atomic_load_explicit(&q->array, memory_order_relaxed);
    if (b - top > a->size - 1) a = deque_grow(q, a, top, b);
    atomic_store_explicit(&a->buf[b & (a->size - 1)], t, memory_order_relaxed);
    /* A release store rather than Lê et al.'s release fence + relaxed store:
     * the same code on x86 and arm64, and visible to ThreadSanitizer. */
    atomic_store_explicit(&q->bottom, b + 1, memory_order_release);
}

static ut_task *deque_take(deque *q) {
    int64_t b = atomic_load_explicit(&q->bottom, memory_order_relaxed) - 1;
    darray *a = atomic_load_explicit(&q->array, memory_order_relaxed);
    atomic_store_explicit(&q->bottom, b, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    int64_t top = atomic_load_explicit(&q->top, memory_order_relaxed);
    if (top > b) { /* empty */
        atomic_store_explicit(&q->bottom, b + 1, memory_order_relaxed);
        return NULL;
    }
    ut_task *t = atomic_load_explicit(&a->buf[b & (a->size - 1)], memory_order_relaxed);
    if (top == b) { /* the last item: race the thieves for it */
        if (!atomic_compare_exchange_strong_explicit(&q->top, &top, top + 1, memory_order_seq_cst,
                                                     memory_order_relaxed))
            t = NULL;
        atomic_store_explicit(&q->bottom, b + 1, memory_order_relaxed);
    }
    return t;
}

/* Returns the stolen task, or NULL; *lost is set when another thread won. */
static ut_task *deque_steal(deque *q, bool *lost) {
    int64_t top = atomic_load_explicit(&q->top, memory_order_acquire);
    atomic_thread_fence(memory_order_seq_cst);
    int64_t b = atomic_load_explicit(&q->bottom, memory_order_acquire);
    if (top >= b) return NULL;
    darray *a = atomic_load_explicit(&q->array, memory_order_acquire);
    ut_task *t = atomic_load_explicit(&a->buf[top & (a->size - 1)], memory_order_relaxed);
    if (!atomic_compare_exchange_strong_explicit(&q->top, &top, top + 1, memory_order_seq_cst,
                                                 memory_order_relaxed)) {
        *lost = true;
        return NULL;
    }
    return t;
}

static bool deque_nonempty(deque *q) {
    return atomic_load(&q->bottom) > atomic_load(&q->top);
}

/* ---- injection queue and idle workers ---- */

static void inject_push(ut_task *t) {
    t->next = NULL;
    pthread_mutex_lock(&inject.lock);
    if (inject.tail) inject.tail->next = t;
    else inject.head = t;
    inject.tail = t;
    atomic_fetch_add(&inject.count, 1);
    pthread_mutex_unlock(&inject.lock);
}

static ut_task *inject_pop(void) {
    if (atomic_load_explicit(&inject.count, memory_order_relaxed) == 0) return NULL;
    pthread_mutex_lock(&inject.lock);
    ut_task *t = inject.head;
    if (t) {
        inject.head = t->next;
        if (!inject.head) inject.tail = NULL;
        atomic_fetch_sub(&inject.count, 1);
    }
    pthread_mutex_unlock(&inject.lock);
    return t;
}

/* After making work visible: wake one idle worker, if any — a sleeping
 * one, else the one blocked in the socket poll.  The fence pairs with the
 * one in ws_next so a worker going idle either sees the work or is seen as
 * idle here. */
static void wake_one(void) {
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&idle.nidle) == 0) return;
    pthread_mutex_lock(&idle.lock);
    if (idle.nsleeping > 0) pthread_cond_signal(&idle.cond);
    else if (atomic_load(&idle.polling)) ut_net_break();
    pthread_mutex_unlock(&idle.lock);
}

static bool any_work(void) {
    if (atomic_load(&inject.count) > 0) return true;
    for (int i = 0; i < ndeques; i++)
        if (deque_nonempty(&deques[i])) return true;
    return false;
}

/* ---- policy ---- */

static int ws_start(int nprocs, const char *options) {
    stealing = !(options && strstr(options, "steal=0"));
    deques = calloc((size_t)nprocs, sizeof *deques);
    if (!deques) return -1;
    ndeques = nprocs;
    for (int i = 0; i < nprocs; i++) {
        darray *a = darray_new(DEQUE_INITIAL);
        if (!a) return -1;
        atomic_store(&deques[i].array, a);
        deques[i].rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
    }
    inject.head = inject.tail = NULL;
    atomic_store(&inject.count, 0);
    pthread_cond_init(&idle.cond, NULL);
    atomic_store(&idle.nidle, 0);
    idle.nsleeping = 0;
    atomic_store(&idle.polling, false);
    return 0;
}

static void ws_ready(int worker, ut_task *t, ut_ready_kind kind) {
    if (worker >= 0 && kind != UT_YIELDED) deque_push(&deques[worker], t);
    else inject_push(t);
    wake_one();
}

static ut_task *steal_round(deque *self, int worker) {
    if (!stealing || ndeques < 2) return NULL;
    self->rng ^= self->rng << 13;
    self->rng ^= self->rng >> 7;
    self->rng ^= self->rng << 17;
    int start = (int)(self->rng % (uint64_t)ndeques);
    for (int k = 0; k < ndeques; k++) {
        int victim = (start + k) % ndeques;
        if (victim == worker) continue;
        bool lost = false;
        ut_task *t = deque_steal(&deques[victim], &lost);
        if (t) {
            self->steals++;
            return t;
        }
        if (lost) self->steal_misses++;
    }
    return NULL;
}

/* The first of the tasks a socket poll made ready; the rest go on the
 * worker's deque. */
static ut_task *keep_first(deque *self, ut_task *polled) {
    if (!polled) return NULL;
    for (ut_task *t = polled->next, *next; t; t = next) {
        next = t->next;
        deque_push(self, t);
        wake_one();
    }
    return polled;
}

/* Leaving with work while tasks wait on sockets and nobody polls: a
 * sleeping worker takes over the blocking poll. */
static ut_task *hand_on_poll(ut_task *t) {
    if (ut_net_waiting() && atomic_load(&idle.nidle) > 0 && !atomic_load(&idle.polling)) {
        pthread_mutex_lock(&idle.lock);
        if (idle.nsleeping > 0) pthread_cond_signal(&idle.cond);
        pthread_mutex_unlock(&idle.lock);
    }
    return t;
}

static ut_task *ws_next(int worker) {
    deque *self = &deques[worker];
    for (;;) {
        if (ut_stopping()) return NULL;
        ut_task *t = NULL;
        bool tick = ++self->ticks % FAIRNESS_TICK == 0;
        if (tick) t = inject_pop();
        if (!t && self->ticks % UT_NET_POLL_TICK == 0 && ut_net_waiting())
            t = keep_first(self, ut_net_poll(false));
        if (!t) t = deque_take(self);
        if (!t && (t = inject_pop())) self->injection_pops++;
        if (!t) t = steal_round(self, worker);
        if (!t && ut_net_waiting()) t = keep_first(self, ut_net_poll(false));
        if (t) return hand_on_poll(t);

        pthread_mutex_lock(&idle.lock);
        atomic_fetch_add(&idle.nidle, 1);
        atomic_thread_fence(memory_order_seq_cst);
        if (!any_work() && !ut_stopping()) {
            if (!atomic_load(&idle.polling) && ut_net_waiting()) {
                atomic_store(&idle.polling, true);
                pthread_mutex_unlock(&idle.lock);
                ut_task *polled = ut_net_poll(true);
                pthread_mutex_lock(&idle.lock);
                atomic_store(&idle.polling, false);
                atomic_fetch_sub(&idle.nidle, 1);
                pthread_mutex_unlock(&idle.lock);
                if ((t = keep_first(self, polled))) return hand_on_poll(t);
                continue;
            }
            idle.nsleeping++;
            self->idle_waits++;
            pthread_cond_wait(&idle.cond, &idle.lock);
            idle.nsleeping--;
        }
        atomic_fetch_sub(&idle.nidle, 1);
        pthread_mutex_unlock(&idle.lock);
    }
}

static void ws_wake_all(void) {
    pthread_mutex_lock(&idle.lock);
    pthread_cond_broadcast(&idle.cond);
    if (atomic_load(&idle.polling)) ut_net_break();
    pthread_mutex_unlock(&idle.lock);
}

static uint64_t steals, steal_misses, injection_pops, idle_waits, grows;

static void ws_stop(void) {
    ut_task *t;
    steals = steal_misses = injection_pops = idle_waits = grows = 0;
    for (int i = 0; i < ndeques; i++) {
        deque *q = &deques[i];
        while ((t = deque_take(q))) ut_discard(t);
        steals += q->steals;
        steal_misses += q->steal_misses;
        injection_pops += q->injection_pops;
        idle_waits += q->idle_waits;
        grows += q->grows;
        for (darray *a = atomic_load(&q->array), *older; a; a = older) {
            older = a->older;
            free(a);
        }
    }
    while ((t = inject_pop())) ut_discard(t);
    free(deques);
    deques = NULL;
    ndeques = 0;
    pthread_cond_destroy(&idle.cond);
}

static void ws_stats(asb_stat_emit emit, void *cookie) {
    emit(cookie, "steals", (double)steals);
    emit(cookie, "steal_misses", (double)steal_misses);
    emit(cookie, "injection_pops", (double)injection_pops);
    emit(cookie, "idle_waits", (double)idle_waits);
    emit(cookie, "deque_grows", (double)grows);
}

static const ut_policy ws_policy = {
    .start = ws_start, .ready = ws_ready, .next = ws_next,
    .wake_all = ws_wake_all, .stop = ws_stop, .stats = ws_stats,
};

static int ws_run(int nprocs, const char *options, asb_task_fn root, void *arg) {
    return ut_run(&ws_policy, nprocs, options, root, arg);
}

UT_SCHED_DESCRIPTOR(wsdeque, "wsdeque",
                    "Chase-Lev work-stealing deques per worker (LIFO owner, FIFO thieves, as Cilk/TBB)",
                    ws_run);
ASB_REGISTER_SCHED(wsdeque)
