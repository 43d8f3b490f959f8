/*
 * fib.c — naive Fibonacci with a task per call above a cutoff (libfork's
 * fib(30), BOTS fib with cutoff): fib(n) spawns fib(n-1), computes fib(n-2)
 * itself, and joins with a wait group; below `cutoff` it recurses serially.
 * Stresses deque push/pop and, when workers run dry, stealing.
 *
 * Verification: the result equals the iterative Fibonacci number.
 * One op = one spawned task.  Extra: serial_ns (the same computation with no
 * tasks, measured after the run, so "time vs serial" can be read off).
 */
#include <stdlib.h>

#include "sched_common.h"

typedef struct fib_frame {
    const asb_sched *s;
    int64_t n, cutoff;
    uint64_t result;
    asb_wg *wg; /* the parent's, done when result is set */
} fib_frame;

static uint64_t fib_serial(int64_t n) { return n < 2 ? (uint64_t)n : fib_serial(n - 1) + fib_serial(n - 2); }

static void fib_task(void *arg) {
    fib_frame *f = arg;
    if (f->n < f->cutoff || f->n < 2) {
        f->result = fib_serial(f->n);
    } else {
        asb_wg *wg = f->s->wg_make();
        if (!wg) abort();
        fib_frame child = {f->s, f->n - 1, f->cutoff, 0, wg};
        f->s->wg_add(wg, 1);
        sw_spawn(f->s, fib_task, &child);
        fib_frame inline_part = {f->s, f->n - 2, f->cutoff, 0, NULL};
        fib_task(&inline_part);
        f->s->wg_wait(wg);
        f->s->wg_free(wg);
        f->result = child.result + inline_part.result;
    }
    if (f->wg) f->s->wg_done(f->wg);
}

/* Tasks spawned by fib_task(n): one per call at or above the cutoff. */
static uint64_t fib_tasks(int64_t n, int64_t cutoff) {
    if (n < cutoff || n < 2) return 0;
    return 1 + fib_tasks(n - 1, cutoff) + fib_tasks(n - 2, cutoff);
}

static void fib_root(void *arg) { fib_task(arg); }

static int fib_run(asb_ctx *ctx) {
    fib_frame root = {.s = asb_ctx_sched(ctx), .n = asb_param_i(ctx, "n"), .cutoff = asb_param_i(ctx, "cutoff")};
    if (root.n < 0 || root.n > 60 || root.cutoff < 0) return asb_fail(ctx, ASB_USAGE, "fib: need 0 <= n <= 60, cutoff >= 0");
    int status = sw_run(ctx, asb_threads(ctx), fib_root, &root);
    if (status != ASB_OK) return status;
    uint64_t tasks = fib_tasks(root.n, root.cutoff);
    asb_count(ctx, tasks ? tasks : 1, tasks, 0); /* one wait group per spawning call */
    uint64_t a = 0, b = 1;
    for (int64_t i = 0; i < root.n; i++) {
        uint64_t t = a + b;
        a = b;
        b = t;
    }
    uint64_t t0 = asb_now_ns();
    volatile uint64_t serial = fib_serial(root.n);
    asb_report(ctx, "serial_ns", (double)(asb_now_ns() - t0));
    if (root.result != a || serial != a)
        return asb_verify_fail(ctx, "fib: fib(%lld) = %llu, expected %llu", (long long)root.n,
                               (unsigned long long)root.result, (unsigned long long)a);
    return ASB_OK;
}

static const asb_param_def fib_params[] = {
    {"n", "30", "24", "Fibonacci number to compute"},
    {"cutoff", "10", NULL, "below this n, recurse without spawning"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload fib = {
    .name = "fib",
    .kind = "sched",
    .stresses = "fine-grained fork-join: deque push/pop, steal overhead",
    .params = fib_params,
    .needs = ASB_CAP_SPAWN_JOIN,
    .run = fib_run,
};
ASB_REGISTER_WORKLOAD(fib)
