/*
 * test_sched_api.c — the semantics of the task API (schedulers/sched.h),
 * one source run against every registered scheduler: spawn and wait groups,
 * exit, yield, injection, unbuffered and buffered channels, close, select,
 * mutexes, sleep and the system-call markers.  Each case runs in a forked
 * child at 2 processors (sched_cases.c); a case whose capability the
 * scheduler does not declare is skipped.  Correctness only: no timing
 * assertion beyond "sleep did not return early".
 *
 * Usage: test_sched_api [SCHEDULER ...]   (default: all but `go`)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sched_cases.h"


/* ---- spawn, wait groups, exit, yield ---- */

static atomic_int counter;
static asb_wg *wg;

static void count_task(void *arg) {
    (void)arg;
    S->yield();
    atomic_fetch_add(&counter, 1);
    S->wg_done(wg);
}

static void t_spawn_wg(void *arg) {
    (void)arg;
    wg = S->wg_make();
    CHECK(wg);
    S->wg_add(wg, 200);
    for (int i = 0; i < 200; i++) CHECK(S->spawn(count_task, NULL) == 0);
    S->wg_wait(wg);
    CHECK(atomic_load(&counter) == 200);
    S->wg_wait(wg); /* a wait at zero returns at once */
    S->wg_free(wg);
}

typedef struct tree {
    int depth;
    int leaves;
} tree;

typedef struct tree_job {
    tree *t;
    asb_wg *w;
} tree_job;

static void tree_job_fn(void *arg);

static void tree_task(void *arg) {
    tree *t = arg;
    if (t->depth == 0) {
        t->leaves = 1;
        return;
    }
    tree kids[3] = {{t->depth - 1, 0}, {t->depth - 1, 0}, {t->depth - 1, 0}};
    asb_wg *w = S->wg_make();
    CHECK(w);
    S->wg_add(w, 3);
    tree_job jobs[3];
    for (int i = 0; i < 3; i++) jobs[i] = (tree_job){&kids[i], w};
    for (int i = 0; i < 3; i++) CHECK(S->spawn(tree_job_fn, &jobs[i]) == 0);
    S->wg_wait(w);
    S->wg_free(w);
    t->leaves = kids[0].leaves + kids[1].leaves + kids[2].leaves;
}

static void tree_job_fn(void *arg) {
    tree_job *j = arg;
    tree_task(j->t);
    S->wg_done(j->w);
}

static void t_nested_join(void *arg) {
    (void)arg;
    tree t = {5, 0};
    tree_task(&t);
    CHECK(t.leaves == 243);
}

static atomic_int after_exit;

static void exiting_task(void *arg) {
    S->wg_done(arg);
    S->exit();
    atomic_store(&after_exit, 1); /* never reached */
}

static void t_exit(void *arg) {
    (void)arg;
    asb_wg *w = S->wg_make();
    S->wg_add(w, 10);
    for (int i = 0; i < 10; i++) CHECK(S->spawn(exiting_task, w) == 0);
    S->wg_wait(w);
    for (int i = 0; i < 100; i++) S->yield();
    CHECK(atomic_load(&after_exit) == 0);
    S->wg_free(w);
}

/* ---- injection ---- */

static void *inject_main(void *arg) {
    for (int i = 0; i < 100; i++)
        if (S->spawn(count_task, NULL) != 0) return arg;
    return NULL;
}

static void t_injection(void *arg) {
    (void)arg;
    wg = S->wg_make();
    S->wg_add(wg, 100);
    pthread_t tid;
    CHECK(pthread_create(&tid, NULL, inject_main, NULL) == 0);
    S->wg_wait(wg);
    void *failed;
    pthread_join(tid, &failed);
    CHECK(failed == NULL);
    CHECK(atomic_load(&counter) == 100);
    S->wg_free(wg);
}

/* ---- channels ---- */

static asb_chan *chan;

static void send_sequence(void *arg) {
    for (int64_t i = 0; i < 1000; i++) S->chan_send(chan, &i);
    S->wg_done(arg);
}

static void t_unbuffered_order(void *arg) {
    (void)arg;
    chan = S->chan_make(sizeof(int64_t), 0);
    asb_wg *w = S->wg_make();
    S->wg_add(w, 1);
    CHECK(S->spawn(send_sequence, w) == 0);
    for (int64_t i = 0; i < 1000; i++) {
        int64_t v = -1;
        CHECK(S->chan_recv(chan, &v));
        CHECK(v == i);
    }
    S->wg_wait(w);
    S->wg_free(w);
    S->chan_free(chan);
}

static void t_buffered(void *arg) {
    (void)arg;
    asb_chan *c = S->chan_make(sizeof(int), 4);
    CHECK(c);
    for (int i = 0; i < 4; i++) S->chan_send(c, &i); /* fits: no receiver needed */
    for (int i = 0; i < 4; i++) {
        int v = -1;
        CHECK(S->chan_recv(c, &v));
        CHECK(v == i);
    }
    S->chan_free(c);
}

static atomic_int closed_seen;

static void recv_until_closed(void *arg) {
    int64_t v = 7;
    while (S->chan_recv(chan, &v)) {
    }
    CHECK(v == 0); /* a receive on a closed, drained channel yields the zero value */
    atomic_fetch_add(&closed_seen, 1);
    S->wg_done(arg);
}

static void t_close(void *arg) {
    (void)arg;
    asb_chan *c = S->chan_make(sizeof(int), 3);
    int one = 1, two = 2, v;
    S->chan_send(c, &one);
    S->chan_send(c, &two);
    S->chan_close(c);
    CHECK(S->chan_recv(c, &v) && v == 1); /* buffered values survive close */
    CHECK(S->chan_recv(c, &v) && v == 2);
    CHECK(!S->chan_recv(c, &v));
    S->chan_free(c);

    chan = S->chan_make(sizeof(int64_t), 0);
    asb_wg *w = S->wg_make();
    S->wg_add(w, 5);
    for (int i = 0; i < 5; i++) CHECK(S->spawn(recv_until_closed, w) == 0);
    for (int i = 0; i < 50; i++) S->yield(); /* let them block */
    S->chan_close(chan);                      /* wakes every blocked receiver */
    S->wg_wait(w);
    CHECK(atomic_load(&closed_seen) == 5);
    S->wg_free(w);
    S->chan_free(chan);
}

static void send_42_later(void *arg) {
    for (int i = 0; i < 20; i++) S->yield();
    int v = 42;
    S->chan_send(arg, &v);
}

static void t_select(void *arg) {
    (void)arg;
    asb_chan *a = S->chan_make(sizeof(int), 1), *b = S->chan_make(sizeof(int), 1);
    int va = 0, vb = 0;
    asb_select_case cases[2] = {{.chan = a, .dir = ASB_SELECT_RECV, .elem = &va},
                                {.chan = b, .dir = ASB_SELECT_RECV, .elem = &vb}};
    CHECK(S->select(cases, 2, true) == -1); /* nothing ready: default */
    int x = 5;
    S->chan_send(b, &x);
    CHECK(S->select(cases, 2, true) == 1 && vb == 5 && cases[1].ok);
    /* a send case on a channel with room */
    int y = 9;
    asb_select_case send_case = {.chan = a, .dir = ASB_SELECT_SEND, .elem = &y};
    CHECK(S->select(&send_case, 1, false) == 0);
    CHECK(S->chan_recv(a, &va) && va == 9);
    /* a blocking select woken by a later sender */
    asb_chan *u = S->chan_make(sizeof(int), 0);
    int vu = 0;
    asb_select_case wait_cases[2] = {{.chan = a, .dir = ASB_SELECT_RECV, .elem = &va},
                                     {.chan = u, .dir = ASB_SELECT_RECV, .elem = &vu}};
    CHECK(S->spawn(send_42_later, u) == 0);
    CHECK(S->select(wait_cases, 2, false) == 1 && vu == 42);
    /* a closed channel is ready, with ok = false */
    S->chan_close(b);
    vb = 3;
    CHECK(S->select(cases, 2, false) == 1 && !cases[1].ok && vb == 0);
    S->chan_free(a);
    S->chan_free(b);
    S->chan_free(u);
}

/* ---- mutexes, sleep, system calls ---- */

static asb_mutex *mutex;
static long guarded; /* plain: only the mutex protects it */

static void locker(void *arg) {
    for (int i = 0; i < 2000; i++) {
        S->mutex_lock(mutex);
        long v = guarded;
        if (i % 100 == 0) S->yield(); /* hold it across a switch */
        guarded = v + 1;
        S->mutex_unlock(mutex);
    }
    S->wg_done(arg);
}

static void t_mutex(void *arg) {
    (void)arg;
    mutex = S->mutex_make();
    asb_wg *w = S->wg_make();
    S->wg_add(w, 8);
    for (int i = 0; i < 8; i++) CHECK(S->spawn(locker, w) == 0);
    S->wg_wait(w);
    CHECK(guarded == 8 * 2000);
    S->wg_free(w);
    S->mutex_free(mutex);
}

static void t_sleep_syscall(void *arg) {
    (void)arg;
    uint64_t t0 = now_ns();
    S->sleep_ns(2000000);
    CHECK(now_ns() - t0 >= 2000000);
    S->syscall_enter();
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
    S->syscall_exit();
}

/* ---- driver ---- */

static const sched_case cases[] = {
    {"spawn+wait group", ASB_CAP_SPAWN_JOIN, t_spawn_wg},
    {"nested fork-join", ASB_CAP_SPAWN_JOIN, t_nested_join},
    {"exit", ASB_CAP_SPAWN_JOIN, t_exit},
    {"injection", ASB_CAP_SPAWN_JOIN | ASB_CAP_INJECTION, t_injection},
    {"unbuffered FIFO", ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS, t_unbuffered_order},
    {"buffered", ASB_CAP_CHANNELS, t_buffered},
    {"close", ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS, t_close},
    {"select", ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS, t_select},
    {"mutex", ASB_CAP_SPAWN_JOIN | ASB_CAP_BLOCKING, t_mutex},
    {"sleep+syscall markers", ASB_CAP_BLOCKING, t_sleep_syscall},
};

int main(int argc, char **argv) {
    static const int procs[] = {2};
    const sched_case_suite suite = {cases, sizeof cases / sizeof *cases, procs, 1, 60, false};
    return sched_cases_main(&suite, argc, argv);
}
