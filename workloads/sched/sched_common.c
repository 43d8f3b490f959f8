/*
 * sched_common.c — helpers shared by the scheduler workloads (see
 * sched_common.h).
 */
#include "sched_common.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The timed region is the root task's run, inside the scheduler: starting
 * and stopping the scheduler's threads is not timed, as the Go runtime's
 * start-up is not timed in the Go twins. */
typedef struct timed_root {
    asb_ctx *ctx;
    asb_task_fn root;
    void *arg;
} timed_root;

static void timed_root_task(void *p) {
    timed_root *t = p;
    asb_timer_start(t->ctx);
    t->root(t->arg);
    asb_timer_stop(t->ctx);
}

int sw_run(asb_ctx *ctx, int nprocs, asb_task_fn root, void *arg) {
    const asb_sched *s = asb_ctx_sched(ctx);
    timed_root t = {ctx, root, arg};
    int rc = s->run(nprocs, asb_ctx_sched_options(ctx), timed_root_task, &t);
    if (rc != 0)
        return asb_fail(ctx, ASB_ERROR, "scheduler %s could not start with %d processors: %s", s->name, nprocs,
                        strerror(errno));
    return ASB_OK;
}

void sw_spawn(const asb_sched *s, asb_task_fn fn, void *arg) {
    if (s->spawn(fn, arg) == 0) return;
    fprintf(stderr, "scheduler %s: spawn failed (%s)\n", s->name, strerror(errno));
    abort();
}

void sw_spin_ns(uint64_t ns) {
    uint64_t end = asb_now_ns() + ns;
    while (asb_now_ns() < end) {
    }
}

void sw_hog_task(void *arg) {
    sw_hog *h = arg;
    uint64_t spins = 0;
    while (!atomic_load_explicit(h->stop, memory_order_relaxed)) spins++;
    atomic_fetch_add(&h->spins, spins);
    h->s->wg_done(h->wg);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void sw_report_latency(asb_ctx *ctx, const char *prefix, uint64_t *samples, size_t n) {
    if (n == 0) return;
    qsort(samples, n, sizeof *samples, cmp_u64);
    char key[64];
    snprintf(key, sizeof key, "%s_p50_ns", prefix);
    asb_report(ctx, key, (double)samples[n / 2]);
    snprintf(key, sizeof key, "%s_p99_ns", prefix);
    asb_report(ctx, key, (double)samples[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1]);
    snprintf(key, sizeof key, "%s_max_ns", prefix);
    asb_report(ctx, key, (double)samples[n - 1]);
}
