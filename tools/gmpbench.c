/*
 * gmpbench.c — micro-benchmarks of the gmp scheduler: raw context switch,
 * yield, spawn (steady state, the spawn call alone, all alive), unbuffered
 * ping-pong, PingPongHog and skynet.  Prints one line per benchmark (median
 * of --reps runs); tools/gmpbench.go runs the same shapes on the Go runtime.
 * Usage: gmpbench [benchmark …] [--procs N] [--reps N] [--opts GMPDEBUG]
 * [--n ITERATIONS] [--stats].
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../schedulers/gmp/ctx.h"
#include "../schedulers/sched.h"
#include "../workloads/sched/skynet_tree.h"

static const asb_sched *S;
static int procs = 1;
static const char *opts; /* NULL: the scheduler reads GMPDEBUG */
static bool print_stats;

static void print_stat(void *cookie, const char *key, double value) {
    (void)cookie;
    printf("  %s=%.0f", key, value);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void must_run(asb_task_fn root, void *arg) {
    if (S->run(procs, opts, root, arg) != 0) {
        perror("gmp run");
        exit(1);
    }
}

/* ---- raw context switch: two contexts bouncing ---- */

static asb_uctx main_ctx, peer_ctx;

static void peer(void *arg) {
    (void)arg;
    for (;;) asb_uctx_switch(&peer_ctx, &main_ctx);
}

static double bench_uctx(long n) {
    enum { STACK = 64 * 1024 };
    void *stack = malloc(STACK);
    asb_uctx_init_thread(&main_ctx);
    asb_uctx_make(&peer_ctx, stack, STACK, peer, NULL);
    uint64_t t0 = now_ns();
    for (long i = 0; i < n; i++) asb_uctx_switch(&main_ctx, &peer_ctx);
    uint64_t t = now_ns() - t0;
    asb_uctx_destroy(&peer_ctx);
    free(stack);
    return (double)t / (2.0 * (double)n); /* two switches per iteration */
}

/* ---- yield: two Gs yielding to each other through the scheduler ---- */

typedef struct loop_arg {
    long n;
    uint64_t ns;
    asb_wg *wg;
} loop_arg;

static void yielder(void *p) {
    loop_arg *a = p;
    for (long i = 0; i < a->n; i++) S->yield();
    S->wg_done(a->wg);
}

static void yield_root(void *p) {
    loop_arg *a = p;
    a->wg = S->wg_make();
    S->wg_add(a->wg, 2);
    uint64_t t0 = now_ns();
    S->spawn(yielder, a);
    S->spawn(yielder, a);
    S->wg_wait(a->wg);
    a->ns = now_ns() - t0;
    S->wg_free(a->wg);
}

static double bench_yield(long n) {
    loop_arg a = {n, 0, NULL};
    must_run(yield_root, &a);
    return (double)a.ns / (2.0 * (double)n);
}

/* ---- spawn: create Gs that exit at once, wait for them ----
 * "spawn" waits after every batch of 1000, so dead Gs (and their stacks) are
 * reused as in a steady state; "spawn-alive" creates all n before any runs. */

enum { SPAWN_BATCH = 1000 };

static void nop_task(void *p) { S->wg_done(p); }

typedef struct spawn_arg {
    long n, batch;
    uint64_t ns, create_ns; /* whole loop; inside the spawn calls only */
} spawn_arg;

static void spawn_root(void *p) {
    spawn_arg *a = p;
    asb_wg *wg = S->wg_make();
    uint64_t t0 = now_ns();
    for (long done = 0; done < a->n; done += a->batch) {
        S->wg_add(wg, (int)a->batch);
        uint64_t c0 = now_ns();
        for (long i = 0; i < a->batch; i++) S->spawn(nop_task, wg);
        a->create_ns += now_ns() - c0;
        S->wg_wait(wg);
    }
    a->ns = now_ns() - t0;
    S->wg_free(wg);
}

/* spawn + run + exit, steady state */
static double bench_spawn(long n) {
    spawn_arg a = {n, SPAWN_BATCH, 0, 0};
    must_run(spawn_root, &a);
    return (double)a.ns / (double)n;
}

/* the spawn call alone (same run shape) */
static double bench_spawn_create(long n) {
    spawn_arg a = {n, SPAWN_BATCH, 0, 0};
    must_run(spawn_root, &a);
    return (double)a.create_ns / (double)n;
}

static double bench_spawn_alive(long n) {
    spawn_arg a = {n, n, 0, 0};
    must_run(spawn_root, &a);
    return (double)a.ns / (double)n;
}

/* ---- unbuffered ping-pong (round trips) ---- */

static void pong(void *p) {
    asb_chan **c = p;
    int v;
    while (S->chan_recv(c[0], &v)) S->chan_send(c[1], &v);
}

static void pingpong_root(void *p) {
    loop_arg *a = p;
    asb_chan *c[2] = {S->chan_make(sizeof(int), 0), S->chan_make(sizeof(int), 0)};
    S->spawn(pong, c);
    uint64_t t0 = now_ns();
    for (long i = 0; i < a->n; i++) {
        int v = (int)i;
        S->chan_send(c[0], &v);
        S->chan_recv(c[1], &v);
    }
    a->ns = now_ns() - t0;
    S->chan_close(c[0]);
    S->yield();
}

static double bench_pingpong(long n) {
    loop_arg a = {n, 0, NULL};
    must_run(pingpong_root, &a);
    return (double)a.ns / (double)n;
}

/* ---- PingPongHog: ping-pong next to a G that spins forever ---- */

static _Atomic int hog_stop;

static void hog(void *p) {
    (void)p;
    while (!atomic_load_explicit(&hog_stop, memory_order_relaxed)) {
    }
}

static void pph_root(void *p) {
    loop_arg *a = p;
    atomic_store(&hog_stop, 0);
    S->spawn(hog, NULL);
    S->yield(); /* the hog is running (or queued) before we start */
    pingpong_root(a);
    atomic_store(&hog_stop, 1);
}

static double bench_pph(long n) {
    loop_arg a = {n, 0, NULL};
    must_run(pph_root, &a);
    return (double)a.ns / (double)n;
}

/* ---- skynet (workloads/sched/skynet_tree.c) ---- */

static void skynet_root(void *p) {
    loop_arg *a = p;
    uint64_t t0 = now_ns();
    uint64_t sum = skynet_tree(S, (uint64_t)a->n, 10);
    a->ns = now_ns() - t0;
    if (sum != (uint64_t)a->n * (uint64_t)(a->n - 1) / 2) {
        fprintf(stderr, "skynet: wrong sum %llu\n", (unsigned long long)sum);
        exit(1);
    }
}

static double bench_skynet(long n) {
    loop_arg a = {n, 0, NULL};
    must_run(skynet_root, &a);
    return (double)a.ns / 1e6; /* ms for the whole tree */
}

static const struct bench {
    const char *name, *unit;
    long n;
    double (*fn)(long n);
} benches[] = {
    {"uctx-switch", "ns/switch", 10000000, bench_uctx},
    {"yield", "ns/yield", 1000000, bench_yield},
    {"spawn", "ns/spawn", 1000000, bench_spawn},
    {"spawn-create", "ns/spawn", 1000000, bench_spawn_create},
    {"spawn-alive", "ns/spawn", 1000000, bench_spawn_alive},
    {"pingpong", "ns/roundtrip", 1000000, bench_pingpong},
    {"pingpong-hog", "ns/roundtrip", 200000, bench_pph},
    {"skynet", "ms/1e6 leaves", 1000000, bench_skynet},
};

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    S = asb_sched_find("gmp");
    if (!S) return 1;
    int reps = 5;
    long n_override = 0;
    const char *only[16];
    int nonly = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--procs") && i + 1 < argc)
            procs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--opts") && i + 1 < argc)
            opts = argv[++i];
        else if (!strcmp(argv[i], "--stats"))
            print_stats = true;
        else if (!strcmp(argv[i], "--n") && i + 1 < argc)
            n_override = atol(argv[++i]);
        else if (nonly < 16)
            only[nonly++] = argv[i];
    }
    if (reps < 1 || reps > 99) reps = 5;
    for (size_t b = 0; b < sizeof benches / sizeof benches[0]; b++) {
        bool want = nonly == 0;
        for (int i = 0; i < nonly; i++) want |= !strcmp(only[i], benches[b].name);
        if (!want) continue;
        double v[99];
        long n = n_override > 0 ? n_override : benches[b].n;
        for (int r = 0; r < reps; r++) v[r] = benches[b].fn(n);
        qsort(v, (size_t)reps, sizeof v[0], cmp_double);
        printf("%-14s procs=%d %10.1f %s (median of %d; min %.1f max %.1f)\n", benches[b].name,
               procs, v[reps / 2], benches[b].unit, reps, v[0], v[reps - 1]);
        if (print_stats && strcmp(benches[b].name, "uctx-switch") != 0) {
            S->stats(print_stat, NULL); /* of the last repetition */
            printf("\n");
        }
        fflush(stdout);
    }
    return 0;
}
