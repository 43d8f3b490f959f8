/*
 * uthread.c — the user-level task runtime of globalq and wsdeque (see
 * uthread.h): workers, task stacks, switching, parking, sleeping.
 *
 * Each worker thread runs a scheduler loop on its own stack (its "g0"): take
 * the next task from the policy, switch to it, and when the task switches
 * back, finish what it asked for on the scheduler stack — requeue it (yield),
 * release the locks it parked under, hand it to the timer, or recycle its
 * stack (exit).  Doing this after the switch is what makes it safe for
 * another worker to resume the task at once (Go's mcall/park_m).
 *
 * Stacks are 64 KiB, carved from 16 MiB MAP_NORESERVE slabs (one mapping per
 * 256 stacks keeps a million tasks under vm.max_map_count), without guard
 * pages; the task descriptor sits at the low end of its own stack.
 */
#include "uthread.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

enum {
    STACK_SIZE = 64 * 1024,
    SLAB_STACKS = 256,
    WORKER_STACK_CACHE = 64,
};
#define PREEMPT_SLICE_NS 10000000ull /* Go's forcePreemptNS */

typedef enum { AFTER_NOTHING, AFTER_PARK, AFTER_YIELD, AFTER_SLEEP, AFTER_EXIT } after_switch;

typedef struct ut_worker {
    int index;
    pthread_t tid;
    asb_uctx sched_ctx;
    ut_task *cur;
    after_switch after;
    psync_lock *const *held; /* AFTER_PARK: locks to release */
    int nheld;
    ut_task *stack_cache; /* recycled stacks, linked through ut_task.next */
    int ncached;
    uint64_t switches, preempt_yields, spawned;
} ut_worker;

static const ut_policy *policy;
static ut_worker *workers;
static atomic_bool stopping;
static atomic_long live_tasks;
static _Thread_local ut_worker *self_worker;

/* Totals of the last run, for ut_stats. */
static struct {
    uint64_t switches, preempt_yields, spawned, injected, net_polls, net_ready;
    long leaked;
} totals;
static atomic_ulong injected, net_polls, net_ready;

/* ---- stacks ---- */

static pthread_mutex_t stack_lock = PTHREAD_MUTEX_INITIALIZER;
static ut_task *free_stacks;

static ut_task *stack_from_pool(void) {
    pthread_mutex_lock(&stack_lock);
    if (!free_stacks) {
        unsigned char *slab = mmap(NULL, (size_t)STACK_SIZE * SLAB_STACKS, PROT_READ | PROT_WRITE,
                                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (slab == MAP_FAILED) {
            pthread_mutex_unlock(&stack_lock);
            return NULL;
        }
        for (int i = SLAB_STACKS - 1; i >= 0; i--) {
            ut_task *t = (ut_task *)(slab + (size_t)i * STACK_SIZE);
            t->next = free_stacks;
            free_stacks = t;
        }
    }
    ut_task *t = free_stacks;
    free_stacks = t->next;
    pthread_mutex_unlock(&stack_lock);
    return t;
}

static void stack_to_pool(ut_task *t) {
    pthread_mutex_lock(&stack_lock);
    t->next = free_stacks;
    free_stacks = t;
    pthread_mutex_unlock(&stack_lock);
}

static ut_task *task_alloc(ut_worker *w) {
    if (w && w->stack_cache) {
        ut_task *t = w->stack_cache;
        w->stack_cache = t->next;
        w->ncached--;
        return t;
    }
    return stack_from_pool();
}

static void task_release(ut_worker *w, ut_task *t) {
    asb_uctx_destroy(&t->ctx);
    atomic_fetch_sub_explicit(&live_tasks, 1, memory_order_relaxed);
    if (w && w->ncached < WORKER_STACK_CACHE) {
        t->next = w->stack_cache;
        w->stack_cache = t;
        w->ncached++;
    } else {
        stack_to_pool(t);
    }
}

void ut_discard(ut_task *t) { task_release(NULL, t); }

/* ---- time and timers ---- */

uint64_t ut_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sleeping tasks wait in a binary min-heap on wake_at_ns, served by one
 * timer thread that readies them as if from outside the scheduler. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    ut_task **heap;
    size_t n, cap;
    bool quit;
    pthread_t tid;
} timers = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void heap_swap(size_t a, size_t b) {
    ut_task *t = timers.heap[a];
    timers.heap[a] = timers.heap[b];
    timers.heap[b] = t;
}

static void timer_add(ut_task *t) {
    pthread_mutex_lock(&timers.lock);
    if (timers.n == timers.cap) {
        size_t cap = timers.cap ? timers.cap * 2 : 64;
        ut_task **heap = realloc(timers.heap, cap * sizeof *heap);
        if (!heap) {
            fprintf(stderr, "asbench scheduler: out of memory for timers\n");
            abort();
        }
        timers.heap = heap;
        timers.cap = cap;
    }
    size_t i = timers.n++;
    timers.heap[i] = t;
    while (i > 0 && timers.heap[(i - 1) / 2]->wake_at_ns > timers.heap[i]->wake_at_ns) {
        heap_swap(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    if (i == 0) pthread_cond_signal(&timers.cond);
    pthread_mutex_unlock(&timers.lock);
}

static ut_task *heap_pop(void) {
    ut_task *top = timers.heap[0];
    timers.heap[0] = timers.heap[--timers.n];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < timers.n && timers.heap[l]->wake_at_ns < timers.heap[m]->wake_at_ns) m = l;
        if (r < timers.n && timers.heap[r]->wake_at_ns < timers.heap[m]->wake_at_ns) m = r;
        if (m == i) break;
        heap_swap(i, m);
        i = m;
    }
    return top;
}

static void *timer_thread(void *unused) {
    (void)unused;
    pthread_mutex_lock(&timers.lock);
    while (!timers.quit) {
        if (timers.n == 0) {
            pthread_cond_wait(&timers.cond, &timers.lock);
            continue;
        }
        uint64_t now = ut_now_ns(), due = timers.heap[0]->wake_at_ns;
        if (due <= now) {
            ut_task *t = heap_pop();
            pthread_mutex_unlock(&timers.lock);
            policy->ready(-1, t, UT_WOKEN);
            pthread_mutex_lock(&timers.lock);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t wait = due - now;
        ts.tv_sec += (time_t)(wait / 1000000000ull);
        ts.tv_nsec += (long)(wait % 1000000000ull);
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&timers.cond, &timers.lock, &ts);
    }
    pthread_mutex_unlock(&timers.lock);
    return NULL;
}

static int timers_start(void) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&timers.cond, &attr);
    pthread_condattr_destroy(&attr);
    timers.quit = false;
    timers.n = 0;
    int err = pthread_create(&timers.tid, NULL, timer_thread, NULL);
    if (err) errno = err;
    return err ? -1 : 0;
}

static void timers_stop(void) {
    pthread_mutex_lock(&timers.lock);
    timers.quit = true;
    pthread_cond_signal(&timers.cond);
    pthread_mutex_unlock(&timers.lock);
    pthread_join(timers.tid, NULL);
    while (timers.n) ut_discard(heap_pop()); /* sleepers of a leaked task */
    pthread_cond_destroy(&timers.cond);
}

/* ---- switching ---- */

/* Leave the running task for the worker's scheduler loop, which then does
 * `after`.  Returns when some worker resumes the task. */
static void switch_out(after_switch after) {
    ut_worker *w = self_worker;
    ut_task *t = w->cur;
    w->after = after;
    asb_uctx_switch(&t->ctx, &w->sched_ctx);
}

static void task_entry(void *arg) {
    ut_task *t = arg;
    t->fn(t->arg);
    ut_exit();
}

static void worker_loop(ut_worker *w) {
    self_worker = w;
    asb_uctx_init_thread(&w->sched_ctx);
    ut_task *t;
    while ((t = policy->next(w->index))) {
        w->cur = t;
        w->after = AFTER_NOTHING;
        w->switches++;
        asb_uctx_switch(&w->sched_ctx, &t->ctx);
        w->cur = NULL;
        switch (w->after) {
        case AFTER_PARK: psync_unlock_all(w->held, w->nheld); break;
        case AFTER_YIELD: policy->ready(w->index, t, UT_YIELDED); break;
        case AFTER_SLEEP: timer_add(t); break;
        case AFTER_EXIT: task_release(w, t); break;
        case AFTER_NOTHING: break;
        }
    }
    while (w->stack_cache) {
        ut_task *s = w->stack_cache;
        w->stack_cache = s->next;
        stack_to_pool(s);
    }
    w->ncached = 0;
    asb_uctx_destroy(&w->sched_ctx);
    self_worker = NULL;
}

static void *worker_thread(void *arg) {
    worker_loop(arg);
    return NULL;
}

/* ---- the task API ---- */

static ut_task *task_make(ut_worker *w, asb_task_fn fn, void *arg) {
    ut_task *t = task_alloc(w);
    if (!t) return NULL;
    memset(t, 0, sizeof *t);
    t->fn = fn;
    t->arg = arg;
    size_t skip = (sizeof *t + 63) & ~(size_t)63;
    asb_uctx_make(&t->ctx, (unsigned char *)t + skip, STACK_SIZE - skip, task_entry, t);
    atomic_fetch_add_explicit(&live_tasks, 1, memory_order_relaxed);
    return t;
}

int ut_spawn(asb_task_fn fn, void *arg) {
    ut_worker *w = self_worker;
    ut_task *t = task_make(w, fn, arg);
    if (!t) return -1;
    if (w) w->spawned++;
    else atomic_fetch_add_explicit(&injected, 1, memory_order_relaxed);
    policy->ready(w ? w->index : -1, t, UT_SPAWNED);
    return 0;
}

void ut_yield(void) { switch_out(AFTER_YIELD); }

void ut_exit(void) {
    switch_out(AFTER_EXIT);
    abort(); /* an exited task is never resumed */
}

void ut_preempt_check(void) {
    ut_worker *w = self_worker;
    ut_task *t = w->cur;
    uint64_t now = ut_now_ns();
    /* A dispatch is named by its worker and that worker's switch count. */
    uint64_t dispatch = w->switches * 4096 + (uint64_t)w->index;
    if (t->slice_id != dispatch) {
        t->slice_id = dispatch;
        t->slice_start_ns = now;
        return;
    }
    if (now - t->slice_start_ns < PREEMPT_SLICE_NS) return;
    w->preempt_yields++;
    ut_yield();
}

void ut_sleep_ns(uint64_t ns) {
    self_worker->cur->wake_at_ns = ut_now_ns() + ns;
    switch_out(AFTER_SLEEP);
}

void ut_syscall_noop(void) {}

bool ut_stopping(void) { return atomic_load(&stopping); }

/* ---- parking (psync_ops) ---- */

static void *park_self(void) { return self_worker->cur; }

static void park_current(psync_lock *const *held, int nheld) {
    ut_worker *w = self_worker;
    w->held = held;
    w->nheld = nheld;
    switch_out(AFTER_PARK);
}

static void park_ready(void *task) {
    ut_worker *w = self_worker;
    policy->ready(w ? w->index : -1, task, UT_WOKEN);
}

static const psync_ops ut_psync = {.self = park_self, .park = park_current, .ready = park_ready};

/* ---- sockets ---- */

static int park_on_fd(np_fd *pd, np_mode mode, uint64_t deadline_ns) {
    return np_park(&ut_psync, pd, mode, deadline_ns);
}

int ut_net_accept(int listen_fd, uint64_t deadline_ns) { return np_accept(park_on_fd, listen_fd, deadline_ns); }
int ut_net_connect(int fd, const void *sockaddr, unsigned addrlen, uint64_t deadline_ns) {
    return np_connect(park_on_fd, fd, sockaddr, addrlen, deadline_ns);
}
long ut_net_read(int fd, void *buf, size_t n, uint64_t deadline_ns) {
    return np_read(park_on_fd, fd, buf, n, deadline_ns);
}
long ut_net_write(int fd, const void *buf, size_t n, uint64_t deadline_ns) {
    return np_write(park_on_fd, fd, buf, n, deadline_ns);
}

bool ut_net_waiting(void) { return np_waiting(); }
void ut_net_break(void) { np_break(); }

typedef struct task_list {
    ut_task *head, *tail;
} task_list;

static void append_ready(void *task, void *cookie) {
    task_list *l = cookie;
    ut_task *t = task;
    t->next = NULL;
    if (l->tail) l->tail->next = t;
    else l->head = t;
    l->tail = t;
}

ut_task *ut_net_poll(bool block) {
    task_list ready = {NULL, NULL};
    int n = np_poll(block, append_ready, &ready);
    atomic_fetch_add_explicit(&net_polls, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&net_ready, (unsigned long)n, memory_order_relaxed);
    return ready.head;
}

asb_chan *ut_chan_make(size_t elemsize, size_t cap) { return psync_chan_make(&ut_psync, elemsize, cap); }
asb_wg *ut_wg_make(void) { return psync_wg_make(&ut_psync); }
asb_mutex *ut_mutex_make(void) { return psync_mutex_make(&ut_psync); }

/* ---- run ---- */

typedef struct root_call {
    asb_task_fn fn;
    void *arg;
} root_call;

static void root_task(void *arg) {
    root_call *rc = arg;
    rc->fn(rc->arg);
    atomic_store(&stopping, true);
    policy->wake_all();
}

int ut_run(const ut_policy *p, int nprocs, const char *options, asb_task_fn root, void *arg) {
    if (nprocs < 1) {
        errno = EINVAL;
        return -1;
    }
    policy = p;
    atomic_store(&stopping, false);
    atomic_store(&live_tasks, 0);
    atomic_store(&injected, 0);
    atomic_store(&net_polls, 0);
    atomic_store(&net_ready, 0);
    memset(&totals, 0, sizeof totals);
    workers = calloc((size_t)nprocs, sizeof *workers);
    if (!workers) return -1;
    if (policy->start(nprocs, options) != 0) {
        free(workers);
        return -1;
    }
    if (np_start(true) != 0) {
        policy->stop();
        free(workers);
        return -1;
    }
    if (timers_start() != 0) {
        np_stop();
        policy->stop();
        free(workers);
        return -1;
    }
    root_call rc = {root, arg};
    ut_task *t = task_make(NULL, root_task, &rc);
    if (!t) {
        timers_stop();
        np_stop();
        policy->stop();
        free(workers);
        errno = ENOMEM;
        return -1;
    }
    policy->ready(-1, t, UT_SPAWNED);
    int started = 1;
    for (; started < nprocs; started++) {
        workers[started].index = started;
        if (pthread_create(&workers[started].tid, NULL, worker_thread, &workers[started]) != 0) break;
    }
    worker_loop(&workers[0]); /* the calling thread is worker 0 */
    for (int i = 1; i < started; i++) pthread_join(workers[i].tid, NULL);
    totals.leaked = atomic_load(&live_tasks); /* the root has exited: all that is left leaked */
    timers_stop();
    np_stop();
    policy->stop();
    for (int i = 0; i < started; i++) {
        totals.switches += workers[i].switches;
        totals.preempt_yields += workers[i].preempt_yields;
        totals.spawned += workers[i].spawned;
    }
    totals.injected = atomic_load(&injected);
    totals.net_polls = atomic_load(&net_polls);
    totals.net_ready = atomic_load(&net_ready);
    free(workers);
    workers = NULL;
    return 0;
}

void ut_stats(asb_stat_emit emit, void *cookie) {
    emit(cookie, "context_switches", (double)totals.switches);
    emit(cookie, "spawned", (double)totals.spawned);
    emit(cookie, "injected", (double)totals.injected);
    emit(cookie, "preempt_yields", (double)totals.preempt_yields);
    emit(cookie, "leaked_tasks", (double)totals.leaked);
    emit(cookie, "net_polls", (double)totals.net_polls);
    emit(cookie, "net_ready", (double)totals.net_ready);
    if (policy && policy->stats) policy->stats(emit, cookie);
}
