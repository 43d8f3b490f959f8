/*
 * test_gmp.c — behaviour tests of the gmp scheduler (suite 'gmp').  One
 * executable, one test per argv[1]; every test runs the scheduler through the
 * asb_sched table like a workload would, and asserts results and statistics,
 * never speed.  Each test arms alarm() so a hang fails instead of blocking.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#include "../../workloads/sched/skynet_tree.h"
#include "gmp_test.h"
#include "debugvars.h"

static void run(int procs, const char *opts, asb_task_fn root, void *arg) {
    CHECK(S->run(procs, opts ? opts : "", root, arg) == 0);
}

/* ---- skynet (workloads/sched/skynet_tree.c) ---- */

typedef struct sky_root {
    long long leaves, result;
} sky_root;

static void skynet_root(void *p) {
    sky_root *r = p;
    r->result = (long long)skynet_tree(S, (uint64_t)r->leaves, 10);
}

static long long skynet_run(int procs, const char *opts, long long leaves) {
    sky_root r = {leaves, -1};
    run(procs, opts, skynet_root, &r);
    return r.result;
}

static void test_skynet(void) {
    long long leaves = UNDER_TSAN ? 1000 : 100000;
    long long want = leaves * (leaves - 1) / 2;
    CHECK(skynet_run(1, NULL, leaves) == want);
    CHECK(stat("leaked_gs") == 0);
    CHECK(stat("gs_running") == 0);
    CHECK(skynet_run(4, NULL, leaves) == want);
    CHECK(stat("procs") == 4);
    CHECK(stat("leaked_gs") == 0);
}

static void test_skynet_1e6(void) {
    if (UNDER_TSAN) exit(77); /* TSan allows 8128 threads and fibers */
    CHECK(skynet_run(2, NULL, 1000000) == 499999500000LL);
    CHECK(stat("spawns") == 1111111 + 0 /* root is not a spawn */);
    CHECK(stat("leaked_gs") == 0);
}

/* ---- a million live goroutines ---- */

typedef struct many {
    asb_wg *started, *release_wg, *finished;
    asb_chan *gate;
} many;

static void many_child(void *p) {
    many *m = p;
    S->wg_done(m->started);
    bool ok = S->chan_recv(m->gate, NULL);
    CHECK(!ok); /* released by close */
    S->wg_done(m->finished);
}

static void many_root(void *p) {
    long n = *(long *)p;
    many m = {S->wg_make(), NULL, S->wg_make(), S->chan_make(0, 0)};
    S->wg_add(m.started, (int)n);
    S->wg_add(m.finished, (int)n);
    for (long i = 0; i < n; i++) CHECK(S->spawn(many_child, &m) == 0);
    S->wg_wait(m.started); /* all n are alive and parked now */
    S->chan_close(m.gate);
    S->wg_wait(m.finished);
    S->wg_free(m.started);
    S->wg_free(m.finished);
    S->chan_free(m.gate);
}

static void test_million(void) {
    long n = UNDER_TSAN ? 2000 : 1000000;
    run(2, NULL, many_root, &n);
    CHECK(stat("gs_total") >= (double)n);
    CHECK(stat("leaked_gs") == 0);
    /* A million stacks are too many to keep for the next run: the pool is
     * unmapped, and a new one serves the next run. */
    CHECK(skynet_run(2, NULL, 1000) == 1000LL * 999 / 2);
}

/* The stacks of a run stay in the pool, guarded, for the next run: a smaller
 * run after a bigger one needs no new stack, so no new guard page. */
static void test_stack_pool(void) {
    CHECK(skynet_run(1, NULL, 10000) == 10000LL * 9999 / 2);
    double guards = stat("stack_guards");
    CHECK(guards > 0);
    CHECK(skynet_run(2, NULL, 1000) == 1000LL * 999 / 2);
    CHECK(stat("stack_guards") == guards);
}

/* ---- channels ---- */

enum { FIFO_N = 20000 };

typedef struct fifo {
    asb_chan *c;
    int producer;
    asb_wg *wg;
} fifo;

static void fifo_producer(void *p) {
    fifo *f = p;
    for (int i = 0; i < FIFO_N; i++) {
        int v = f->producer * FIFO_N + i;
        S->chan_send(f->c, &v);
    }
    S->wg_done(f->wg);
}

static void fifo_closer(void *p) {
    fifo *f = p;
    S->wg_wait(f->wg);
    S->chan_close(f->c);
}

static void fifo_root(void *p) {
    size_t cap = *(size_t *)p;
    enum { PRODUCERS = 4 };
    asb_chan *c = S->chan_make(sizeof(int), cap);
    asb_wg *wg = S->wg_make();
    fifo f[PRODUCERS];
    S->wg_add(wg, PRODUCERS);
    for (int i = 0; i < PRODUCERS; i++) {
        f[i] = (fifo){c, i, wg};
        CHECK(S->spawn(fifo_producer, &f[i]) == 0);
    }
    CHECK(S->spawn(fifo_closer, &f[0]) == 0);
    int next[PRODUCERS] = {0}, v, got = 0;
    while (S->chan_recv(c, &v)) {
        int prod = v / FIFO_N, i = v % FIFO_N;
        CHECK(prod >= 0 && prod < PRODUCERS);
        CHECK(i == next[prod]); /* each producer's values arrive in order */
        next[prod]++;
        got++;
    }
    CHECK(got == PRODUCERS * FIFO_N);
    CHECK(v == 0); /* closed and drained: zero value */
    S->wg_free(wg);
    S->chan_free(c);
}

static void test_chan_fifo(void) {
    size_t caps[] = {0, 1, 64};
    for (int i = 0; i < 3; i++) {
        run(2, NULL, fifo_root, &caps[i]);
        CHECK(stat("leaked_gs") == 0);
    }
}

typedef struct closewait {
    asb_chan *c;
    _Atomic int closed_seen;
    asb_wg *parked, *wg;
} closewait;

static void close_receiver(void *p) {
    closewait *w = p;
    int v = 42;
    S->wg_done(w->parked);
    if (!S->chan_recv(w->c, &v) && v == 0) atomic_fetch_add(&w->closed_seen, 1);
    S->wg_done(w->wg);
}

static void close_root(void *p) {
    (void)p;
    enum { N = 100 };
    closewait w = {S->chan_make(sizeof(int), 4), 0, S->wg_make(), S->wg_make()};
    /* Buffered values are still delivered after close. */
    int v = 7;
    S->chan_send(w.c, &v);
    S->chan_close(w.c);
    CHECK(S->chan_recv(w.c, &v) && v == 7);
    CHECK(!S->chan_recv(w.c, &v) && v == 0);
    S->chan_free(w.c);
    /* Receivers parked on an empty channel all wake on close. */
    w.c = S->chan_make(sizeof(int), 0);
    S->wg_add(w.parked, N);
    S->wg_add(w.wg, N);
    for (int i = 0; i < N; i++) CHECK(S->spawn(close_receiver, &w) == 0);
    S->wg_wait(w.parked);
    S->sleep_ns(2000000);
    S->chan_close(w.c);
    S->wg_wait(w.wg);
    CHECK(atomic_load(&w.closed_seen) == N);
    S->chan_free(w.c);
    S->wg_free(w.parked);
    S->wg_free(w.wg);
}

static void test_chan_close(void) {
    run(2, NULL, close_root, NULL);
    CHECK(stat("leaked_gs") == 0);
}

/* Send on a closed channel aborts, as Go panics: run it in a child. */
static void send_closed_root(void *p) {
    (void)p;
    asb_chan *c = S->chan_make(sizeof(int), 1);
    int v = 1;
    S->chan_close(c);
    S->chan_send(c, &v);
}

static void test_send_on_closed(void) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        run(1, NULL, send_closed_root, NULL);
        _exit(0);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

static void select_default_root(void *p) {
    (void)p;
    asb_chan *a = S->chan_make(sizeof(int), 1), *b = S->chan_make(sizeof(int), 0);
    int va = 0, vb = 0;
    asb_select_case cs[2] = {{a, ASB_SELECT_RECV, &va, false}, {b, ASB_SELECT_RECV, &vb, false}};
    CHECK(S->select(cs, 2, true) == -1);      /* nothing ready */
    CHECK(S->select(cs, 1, true) == -1);      /* single case + default */
    int x = 5;
    asb_select_case snd = {b, ASB_SELECT_SEND, &x, false};
    CHECK(S->select(&snd, 1, true) == -1);    /* no receiver on unbuffered */
    S->chan_send(a, &x);
    CHECK(S->select(cs, 2, true) == 0 && va == 5 && cs[0].ok);
    asb_select_case snd2 = {a, ASB_SELECT_SEND, &x, false};
    CHECK(S->select(&snd2, 1, true) == 0);    /* buffer has room */
    CHECK(S->select(&snd2, 1, true) == -1);   /* now full */
    S->chan_close(b);
    CHECK(S->select(&cs[1], 1, true) == 0 && !cs[1].ok); /* closed is ready */
    S->chan_free(a);
    S->chan_free(b);
}

static void test_select_default(void) { run(1, NULL, select_default_root, NULL); }

static void select_fair_root(void *p) {
    (void)p;
    enum { ROUNDS = 20000 };
    asb_chan *a = S->chan_make(sizeof(int), 1), *b = S->chan_make(sizeof(int), 1);
    int hits[2] = {0, 0}, x = 1, va, vb;
    for (int r = 0; r < ROUNDS; r++) {
        asb_select_case fill[2] = {{a, ASB_SELECT_SEND, &x, false}, {b, ASB_SELECT_SEND, &x, false}};
        S->select(&fill[0], 1, true);
        S->select(&fill[1], 1, true);
        asb_select_case cs[2] = {{a, ASB_SELECT_RECV, &va, false}, {b, ASB_SELECT_RECV, &vb, false}};
        int i = S->select(cs, 2, false);
        CHECK(i == 0 || i == 1);
        hits[i]++;
    }
    /* Random poll order: each ready case wins about half the time. */
    CHECK(hits[0] > ROUNDS * 4 / 10 && hits[1] > ROUNDS * 4 / 10);
    S->chan_free(a);
    S->chan_free(b);
}

static void test_select_fair(void) { run(1, NULL, select_fair_root, NULL); }

/* A blocking select woken by a sender in another G; the losing case must be
 * dequeued (the later direct send to it must not find a stale sudog). */
typedef struct selblock {
    asb_chan *a, *b;
    asb_wg *wg;
} selblock;

static void selblock_sender(void *p) {
    selblock *s = p;
    int v = 9;
    S->sleep_ns(1000000);
    S->chan_send(s->b, &v);
    S->wg_done(s->wg);
}

static void selblock_root(void *p) {
    (void)p;
    selblock s = {S->chan_make(sizeof(int), 0), S->chan_make(sizeof(int), 0), S->wg_make()};
    for (int round = 0; round < 200; round++) {
        S->wg_add(s.wg, 1);
        CHECK(S->spawn(selblock_sender, &s) == 0);
        int va = -1, vb = -1;
        asb_select_case cs[2] = {{s.a, ASB_SELECT_RECV, &va, false},
                                 {s.b, ASB_SELECT_RECV, &vb, false}};
        CHECK(S->select(cs, 2, false) == 1 && vb == 9 && cs[1].ok && va == -1);
        S->wg_wait(s.wg);
        if (round % 50 == 0) {
            /* a has no stale waiter: a non-blocking send finds no receiver */
            asb_select_case snd = {s.a, ASB_SELECT_SEND, &va, false};
            CHECK(S->select(&snd, 1, true) == -1);
        }
    }
    S->chan_free(s.a);
    S->chan_free(s.b);
    S->wg_free(s.wg);
}

static void test_select_block(void) {
    run(2, NULL, selblock_root, NULL);
    CHECK(stat("leaked_gs") == 0);
}

/* ---- preemption ---- */

static _Atomic int spin_flag;

typedef struct spin_result {
    double x;
    long n;
    asb_wg *wg;
    bool coop; /* call preempt_check in the loop */
} spin_result;

static void spinner(void *p) {
    spin_result *r = p;
    double x = 0;
    long n = 0;
    /* No calls: only an asynchronous preemption lets the setter run.  x and
     * n live in registers; a preemption that lost any would break x == n. */
    while (!atomic_load_explicit(&spin_flag, memory_order_relaxed)) {
        x += 1.0;
        n++;
        if (r->coop) S->preempt_check();
    }
    r->x = x;
    r->n = n;
    S->wg_done(r->wg);
}

static void setter(void *p) {
    spin_result *r = p;
    atomic_store(&spin_flag, 1);
    S->wg_done(r->wg);
}

static void preempt_root(void *p) {
    spin_result *r = p;
    r->wg = S->wg_make();
    atomic_store(&spin_flag, 0);
    S->wg_add(r->wg, 2);
    CHECK(S->spawn(setter, r) == 0);  /* goes to the runq when … */
    CHECK(S->spawn(spinner, r) == 0); /* … the spinner takes runnext */
    S->wg_wait(r->wg);
    S->wg_free(r->wg);
}

static void test_async_preempt(void) {
    if (UNDER_TSAN) exit(77); /* TSan: asynchronous preemption is off */
    spin_result r = {0};
    run(1, NULL, preempt_root, &r);
    CHECK(r.n > 0 && r.x == (double)r.n);
    CHECK(stat("preempt_async") >= 1);
}

static void test_coop_preempt(void) {
    spin_result r = {.coop = true};
    run(1, "asyncpreempt=0", preempt_root, &r);
    CHECK(r.n > 0 && r.x == (double)r.n);
    CHECK(stat("preempt_coop") >= 1);
    CHECK(stat("preempt_async") == 0);
}

/* ---- fairness: Go's TestPingPongHog ---- */

typedef struct pph {
    asb_chan *done, *wake;
    long limit;
    volatile long *counter;
} pph;

static void pph_run(void *p) {
    pph *a = p;
    for (;;) {
        int t;
        asb_select_case cs[2] = {{a->done, ASB_SELECT_RECV, NULL, false},
                                 {a->wake, ASB_SELECT_RECV, &t, false}};
        if (S->select(cs, 2, false) == 0) return;
        for (long i = 0; i < a->limit; i++) (*a->counter)++;
        S->chan_send(a->wake, &t);
    }
}

typedef struct pph_result {
    long hog, light;
} pph_result;

static void pph_root(void *p) {
    pph_result *r = p;
    volatile long hog = 0, light = 0;
    asb_chan *done = S->chan_make(sizeof(int), 0);
    asb_chan *hogc = S->chan_make(sizeof(int), 0), *lightc = S->chan_make(sizeof(int), 0);
    pph h = {done, hogc, 1000000, &hog}, l = {done, lightc, 1000, &light};
    for (int i = 0; i < 2; i++) CHECK(S->spawn(pph_run, &h) == 0);
    for (int i = 0; i < 2; i++) CHECK(S->spawn(pph_run, &l) == 0);
    int t = 1;
    S->chan_send(hogc, &t);
    S->chan_send(lightc, &t);
    S->sleep_ns(100000000);
    S->chan_close(done);
    S->chan_recv(hogc, &t);
    S->chan_recv(lightc, &t);
    r->hog = hog;
    r->light = light;
    S->yield(); /* let the pairs see done and exit */
    S->sleep_ns(1000000);
    S->chan_free(done);
    S->chan_free(hogc);
    S->chan_free(lightc);
}

static void test_pingpong_hog(void) {
    /* TSan makes the hog's loop ~10x slower than the 10 ms preemption
     * tick assumes, and asynchronous preemption is off under it. */
    if (UNDER_TSAN) exit(77);
    pph_result r;
    run(1, NULL, pph_root, &r);
    fprintf(stderr, "hog %ld light %ld\n", r.hog, r.light);
    CHECK(r.hog > 0 && r.light > 0);
    CHECK(r.hog / 20 <= r.light && r.light / 20 <= r.hog);
    CHECK(stat("leaked_gs") == 0);
}

/* ---- syscall hand-off ---- */

typedef struct sysc {
    asb_wg *wg;
    _Atomic int sleepers_done;
    int done_when_worker_finished;
} sysc;

static void sys_sleeper(void *p) {
    sysc *s = p;
    for (int i = 0; i < 50; i++) {
        S->syscall_enter();
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
        S->syscall_exit();
    }
    atomic_fetch_add(&s->sleepers_done, 1);
    S->wg_done(s->wg);
}

static void sys_worker(void *p) {
    sysc *s = p;
    for (int i = 0; i < 200; i++) S->yield();
    s->done_when_worker_finished = atomic_load(&s->sleepers_done);
    S->wg_done(s->wg);
}

static void sys_root(void *p) {
    sysc *s = p;
    s->wg = S->wg_make();
    S->wg_add(s->wg, 9);
    for (int i = 0; i < 8; i++) CHECK(S->spawn(sys_sleeper, s) == 0);
    S->sleep_ns(1000000); /* let the sleepers occupy both Ps */
    CHECK(S->spawn(sys_worker, s) == 0);
    S->wg_wait(s->wg);
    S->wg_free(s->wg);
}

static void test_syscall_handoff(void) {
    sysc s = {0};
    run(2, NULL, sys_root, &s);
    CHECK(s.done_when_worker_finished == 0); /* the worker never waited for them */
    CHECK(stat("syscall_handoffs") > 0);
    CHECK(stat("leaked_gs") == 0);
}

/* ---- ablation switches ---- */

static void pingpong_partner(void *p) {
    asb_chan **c = p;
    int v;
    while (S->chan_recv(c[0], &v)) S->chan_send(c[1], &v);
}

static void pingpong_root(void *p) {
    long n = *(long *)p;
    asb_chan *c[2] = {S->chan_make(sizeof(int), 0), S->chan_make(sizeof(int), 0)};
    CHECK(S->spawn(pingpong_partner, c) == 0);
    for (int i = 0; i < n; i++) {
        int v = i;
        S->chan_send(c[0], &v);
        CHECK(S->chan_recv(c[1], &v) && v == i);
    }
    S->chan_close(c[0]);
    S->sleep_ns(1000000);
    S->chan_free(c[0]);
    S->chan_free(c[1]);
}

static void test_ablation(void) {
    long leaves = UNDER_TSAN ? 1000 : 10000, want = leaves * (leaves - 1) / 2, n = 1000;
    CHECK(skynet_run(2, "steal=0", leaves) == want);
    CHECK(stat("steals") == 0 && stat("opt_steal") == 0);

    run(1, NULL, pingpong_root, &n);
    CHECK(stat("runnext_hits") > 0);
    run(1, "runnext=0", pingpong_root, &n);
    CHECK(stat("runnext_hits") == 0 && stat("opt_runnext") == 0);

    CHECK(skynet_run(2, "spinning=0", leaves) == want);
    CHECK(stat("spinning_starts") == 0);

    sysc s = {0};
    run(2, "sysmon=0", sys_root, &s);
    CHECK(stat("syscall_handoffs") == 0 && stat("preempt_requests") == 0);

    spin_result r = {.coop = true};
    run(1, "asyncpreempt=0", preempt_root, &r);
    CHECK(stat("preempt_async") == 0 && stat("opt_asyncpreempt") == 0);

    CHECK(skynet_run(1, "procs=3", leaves) == want);
    CHECK(stat("procs") == 3);

    /* NULL options: GMPDEBUG is read instead. */
    setenv("GMPDEBUG", "procs=2,steal=0", 1);
    sky_root sr = {leaves, -1};
    CHECK(S->run(1, NULL, skynet_root, &sr) == 0 && sr.result == want);
    CHECK(stat("procs") == 2 && stat("opt_steal") == 0 && stat("steals") == 0);
    unsetenv("GMPDEBUG");
}

/* ---- blocking primitives, timers, injection, leaks, reruns ---- */

typedef struct mutexed {
    asb_mutex *mu;
    asb_wg *wg;
    long counter;
} mutexed;

static void mutex_worker(void *p) {
    mutexed *m = p;
    for (int i = 0; i < 2000; i++) {
        S->mutex_lock(m->mu);
        long c = m->counter;
        if (i % 100 == 0) S->yield(); /* hold the lock across a switch */
        m->counter = c + 1;
        S->mutex_unlock(m->mu);
    }
    S->wg_done(m->wg);
}

static void mutex_root(void *p) {
    (void)p;
    mutexed m = {S->mutex_make(), S->wg_make(), 0};
    S->wg_add(m.wg, 16);
    for (int i = 0; i < 16; i++) CHECK(S->spawn(mutex_worker, &m) == 0);
    S->wg_wait(m.wg);
    CHECK(m.counter == 16 * 2000);
    S->mutex_free(m.mu);
    S->wg_free(m.wg);
}

static void test_mutex_wg(void) {
    run(2, NULL, mutex_root, NULL);
    CHECK(stat("leaked_gs") == 0);
}


typedef struct sleeper {
    uint64_t ns, woke_after;
    asb_wg *wg;
} sleeper;

static void sleep_task(void *p) {
    sleeper *s = p;
    uint64_t t0 = now_ns();
    S->sleep_ns(s->ns);
    s->woke_after = now_ns() - t0;
    S->wg_done(s->wg);
}

static void sleep_root(void *p) {
    (void)p;
    enum { N = 50 };
    sleeper s[N];
    asb_wg *wg = S->wg_make();
    S->wg_add(wg, N);
    for (int i = 0; i < N; i++) {
        s[i] = (sleeper){(uint64_t)(N - i) * 200000, 0, wg};
        CHECK(S->spawn(sleep_task, &s[i]) == 0);
    }
    S->wg_wait(wg);
    for (int i = 0; i < N; i++) CHECK(s[i].woke_after >= s[i].ns);
    S->wg_free(wg);
}

static void test_sleep(void) {
    run(1, NULL, sleep_root, NULL);
    run(3, NULL, sleep_root, NULL);
    CHECK(stat("leaked_gs") == 0);
}

typedef struct inject {
    asb_wg *wg;
    _Atomic int ran;
    _Atomic int ready;
} inject;

static void injected(void *p) {
    inject *in = p;
    atomic_fetch_add(&in->ran, 1);
    S->wg_done(in->wg);
}

static void *injector(void *p) {
    inject *in = p;
    while (!atomic_load(&in->ready)) usleep(100);
    for (int i = 0; i < 10000; i++) CHECK(S->spawn(injected, in) == 0);
    return NULL;
}

static void inject_root(void *p) {
    inject *in = p;
    in->wg = S->wg_make();
    S->wg_add(in->wg, 10000);
    atomic_store(&in->ready, 1);
    S->wg_wait(in->wg);
    S->wg_free(in->wg);
}

static void test_injection(void) {
    inject in = {0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, injector, &in) == 0);
    run(2, NULL, inject_root, &in);
    pthread_join(t, NULL);
    CHECK(atomic_load(&in.ran) == 10000);
    CHECK(stat("outside_spawns") == 10000);
    /* Outside a run, spawn fails. */
    CHECK(S->spawn(injected, &in) == -1);
}

static asb_chan *leak_chan;

static void leaker(void *p) {
    (void)p;
    int v;
    S->chan_recv(leak_chan, &v); /* nobody ever sends */
}

enum { DUMP_MAX = 8192 };

/* The state dump SIGUSR1 writes on stderr, caught in a file: raise() runs
 * the handler in this thread before it returns. */
static void capture_dump(char *dump) {
    FILE *f = tmpfile();
    CHECK(f != NULL);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    CHECK(saved >= 0 && dup2(fileno(f), STDERR_FILENO) == STDERR_FILENO);
    raise(SIGUSR1);
    CHECK(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
    close(saved);
    rewind(f);
    size_t n = fread(dump, 1, DUMP_MAX - 1, f);
    dump[n] = 0;
    fclose(f);
}

static void leak_root(void *p) {
    char *dump = p;
    leak_chan = S->chan_make(sizeof(int), 0);
    CHECK(S->spawn(leaker, NULL) == 0);
    /* Dump until the leaker shows blocked: it may not have run yet. */
    for (int i = 0; i < 2000; i++) {
        S->sleep_ns(1000000);
        capture_dump(dump);
        if (strstr(dump, " [waiting, chan receive]:\n")) break;
    }
}

static int occurrences(const char *text, const char *word) {
    int n = 0;
    for (const char *at = text; (at = strstr(at, word)); at += strlen(word)) n++;
    return n;
}

static void test_leak_and_dump(void) {
    static char dump[DUMP_MAX];
    run(2, NULL, leak_root, dump);
    CHECK(stat("leaked_gs") == 1);
    CHECK(stat("gs_waiting") == 1);
    S->chan_free(leak_chan);
    /* The dump: the schedtrace line (2 Ps, a run-queue length each), then
     * the live Gs: the root that raised the signal, running, and the leaker
     * with its wait reason. */
    fputs(dump, stderr);
    int procs, idle, spinning, runqueue, runq0, runq1;
    CHECK(sscanf(dump, "SCHED gomaxprocs=%d idleprocs=%d spinningthreads=%d runqueue=%d [%d %d]\n", &procs, &idle,
                 &spinning, &runqueue, &runq0, &runq1) == 6);
    CHECK(procs == 2 && idle >= 0 && idle <= 1 && runqueue >= 0);
    CHECK(occurrences(dump, "\ngoroutine ") == 2);
    CHECK(occurrences(dump, " [running]:\n") == 1);
    CHECK(occurrences(dump, " [waiting, chan receive]:\n") == 1);
}

static void test_rerun(void) {
    for (int i = 0; i < 20; i++) {
        long long leaves = 1000;
        CHECK(skynet_run(1 + i % 3, NULL, leaves) == leaves * (leaves - 1) / 2);
        CHECK(stat("leaked_gs") == 0);
    }
}

/* A G that overruns its 64 KiB stack hits the guard page (SIGSEGV) instead
 * of silently writing into its neighbour's stack. */
static int deep(int n) {
    volatile char frame[1024];
    frame[0] = (char)n;
    if (n == 0) return frame[0];
    return deep(n - 1) + frame[0];
}

static void overflow_root(void *p) {
    (void)p;
    printf("%d\n", deep(200)); /* ~200 KiB of frames */
}

static void test_stack_guard(void) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* A first run leaves its stacks in the pool: the overflowing G gets
         * one of them, so this also checks that kept stacks keep guards. */
        CHECK(skynet_run(1, NULL, 100) == 100LL * 99 / 2);
        run(1, NULL, overflow_root, NULL);
        _exit(0);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
#if ASB_UCTX_TSAN || ASB_UCTX_ASAN
    CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0)); /* the sanitizer reports it */
#else
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
#endif
}

/* ---- GMPDEBUG: the strict settings parser, and run()'s clean-up ---- */

static void check_refused(const char *s, const char *message) {
    gmp_debug d;
    char err[ASB_DEBUGVARS_ERR_MAX];
    CHECK(gmp_debug_parse(s, &d, err, sizeof err) == -1);
    if (strcmp(err, message) != 0) {
        fprintf(stderr, "GMPDEBUG=%s: message\n  '%s', expected\n  '%s'\n", s, err, message);
        exit(1);
    }
}

static void noop_root(void *p) { *(bool *)p = true; }

/* Run the scheduler in a child with these options (NULL: GMPDEBUG=env):
 * it must exit with status 1 and say `message` on stderr, without running
 * the root. */
static void check_run_refused(const char *options, const char *env, const char *message) {
    int out[2];
    CHECK(pipe(out) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(out[1], STDERR_FILENO);
        if (env) setenv("GMPDEBUG", env, 1);
        bool ran = false;
        S->run(1, options, noop_root, &ran);
        _exit(ran ? 3 : 0);
    }
    close(out[1]);
    char said[512];
    int status = child_output(pid, out[0], said, sizeof said);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    char want[512];
    snprintf(want, sizeof want, "%s\n", message);
    if (strcmp(said, want) != 0) {
        fprintf(stderr, "stderr of the refused run: '%s', expected '%s'\n", said, message);
        exit(1);
    }
}

#define KNOWN "(known: runnext, steal, spinning, asyncpreempt, sysmon, netpoll, procs)"

static void test_settings(void) {
    gmp_debug d;
    char err[ASB_DEBUGVARS_ERR_MAX];
    CHECK(gmp_debug_parse(NULL, &d, err, sizeof err) == 0);
    CHECK(d.runnext && d.steal && d.spinning && d.asyncpreempt && d.sysmon && d.procs == 0);
    CHECK(gmp_debug_parse("runnext=0,steal=0,spinning=0,asyncpreempt=0,sysmon=0,procs=3", &d, err, sizeof err) == 0);
    CHECK(!d.runnext && !d.steal && !d.spinning && !d.asyncpreempt && !d.sysmon && d.procs == 3);
    CHECK(gmp_debug_parse("runnext=1,procs=1024,", &d, err, sizeof err) == 0);
    CHECK(d.runnext && d.procs == 1024);
    CHECK(gmp_debug_parse("", &d, err, sizeof err) == 0 && d.procs == 0);
    check_refused("runext=0", "GMPDEBUG: unknown key runext " KNOWN);
    check_refused("steal=0,preempt=0", "GMPDEBUG: unknown key preempt " KNOWN);
    check_refused("steal=2", "GMPDEBUG: steal=2: expected 0 or 1");
    check_refused("sysmon=off", "GMPDEBUG: sysmon=off: expected 0 or 1");
    check_refused("procs=0", "GMPDEBUG: procs=0: expected an integer in 1..1024");
    check_refused("procs=1025", "GMPDEBUG: procs=1025: expected an integer in 1..1024");
    check_refused("spinning", "GMPDEBUG: spinning: expected key=value");
    /* run() refuses a bad options string or GMPDEBUG: exit 1, the message on
     * stderr (a worker's run then ends `error` with it). */
    check_run_refused("runext=0", NULL, "GMPDEBUG: unknown key runext " KNOWN);
    check_run_refused(NULL, "procs=two", "GMPDEBUG: procs=two: expected an integer in 1..1024");
}

/* run() failing after its signal set-up (no memory for the root G's stack:
 * an address-space limit just above what the process uses) must undo it:
 * the handlers and the signal stack are as before, and a later run works. */
static void test_run_cleanup(void) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        struct sigaction urg_before, usr1_before, quit_before, sa;
        stack_t ss_before, ss;
        CHECK(sigaction(SIGURG, NULL, &urg_before) == 0 && sigaction(SIGUSR1, NULL, &usr1_before) == 0 &&
              sigaction(SIGQUIT, NULL, &quit_before) == 0 && sigaltstack(NULL, &ss_before) == 0);
        long pages = 0;
        FILE *f = fopen("/proc/self/statm", "r");
        CHECK(f && fscanf(f, "%ld", &pages) == 1);
        fclose(f);
        struct rlimit unlimited, tight;
        CHECK(getrlimit(RLIMIT_AS, &unlimited) == 0);
        tight = unlimited;
        tight.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (1 << 20); /* a stack slab is 4 MiB */
        CHECK(setrlimit(RLIMIT_AS, &tight) == 0);
        bool ran = false;
        errno = 0;
        CHECK(S->run(1, NULL, noop_root, &ran) == -1 && errno == ENOMEM && !ran);
        CHECK(setrlimit(RLIMIT_AS, &unlimited) == 0);
        CHECK(sigaction(SIGURG, NULL, &sa) == 0 && sa.sa_handler == urg_before.sa_handler);
        CHECK(sigaction(SIGUSR1, NULL, &sa) == 0 && sa.sa_handler == usr1_before.sa_handler);
        CHECK(sigaction(SIGQUIT, NULL, &sa) == 0 && sa.sa_handler == quit_before.sa_handler);
        CHECK(sigaltstack(NULL, &ss) == 0 && ss.ss_flags == ss_before.ss_flags && ss.ss_sp == ss_before.ss_sp);
        run(1, NULL, noop_root, &ran);
        CHECK(ran);
        _exit(0);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- the context switch on its own ---- */

static asb_uctx main_ctx, task_ctx;
static int bounces;

static void bouncer(void *arg) {
    for (;;) {
        bounces += *(int *)arg;
        asb_uctx_switch(&task_ctx, &main_ctx);
    }
}

static void test_uctx(void) {
    enum { STACK = 64 * 1024 };
    void *stack = malloc(STACK);
    int step = 3;
    asb_uctx_init_thread(&main_ctx);
    asb_uctx_make(&task_ctx, stack, STACK, bouncer, &step);
    for (int i = 0; i < 1000; i++) {
        double keep = i * 0.5; /* callee state survives the round trip */
        asb_uctx_switch(&main_ctx, &task_ctx);
        CHECK(keep == i * 0.5);
    }
    CHECK(bounces == 3000);
    asb_uctx_destroy(&task_ctx);
    free(stack);
}

static const gmp_test tests[] = {
    {"uctx", test_uctx},
    {"skynet", test_skynet},
    {"skynet-1e6", test_skynet_1e6},
    {"million", test_million},
    {"chan-fifo", test_chan_fifo},
    {"chan-close", test_chan_close},
    {"send-on-closed", test_send_on_closed},
    {"select-default", test_select_default},
    {"select-fair", test_select_fair},
    {"select-block", test_select_block},
    {"async-preempt", test_async_preempt},
    {"coop-preempt", test_coop_preempt},
    {"pingpong-hog", test_pingpong_hog},
    {"syscall-handoff", test_syscall_handoff},
    {"ablation", test_ablation},
    {"mutex-wg", test_mutex_wg},
    {"sleep", test_sleep},
    {"injection", test_injection},
    {"leak-dump", test_leak_and_dump},
    {"rerun", test_rerun},
    {"stack-guard", test_stack_guard},
    {"stack-pool", test_stack_pool},
    {"settings", test_settings},
    {"run-cleanup", test_run_cleanup},
};

int main(int argc, char **argv) { return gmp_test_main(tests, sizeof tests / sizeof *tests, 0, argc, argv); }
