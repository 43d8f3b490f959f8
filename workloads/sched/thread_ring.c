/*
 * thread_ring.c — the Computer Language Benchmarks Game's thread-ring:
 * `tasks` (503) tasks in a ring of unbuffered channels pass a token `passes`
 * times, each decrementing it; the task that receives 0 is the answer.  Then
 * a stop token (-1) goes round once so every task ends.  Pure switch and
 * wake-up: exactly one task is runnable at any time.
 *
 * Verification: the holder of the last pass is task passes % tasks + 1.
 * One op = one pass.
 */
#include <stdlib.h>

#include "sched_common.h"

typedef struct ring_run {
    const asb_sched *s;
    asb_chan **links; /* links[i] is read by task i */
    asb_wg *wg;
    int64_t tasks, passes, holder;
} ring_run;

static ring_run *ring;

static void ring_task(void *arg) {
    int64_t me = (int64_t)(intptr_t)arg;
    asb_chan *in = ring->links[me], *out = ring->links[(me + 1) % ring->tasks];
    for (;;) {
        int64_t token;
        ring->s->chan_recv(in, &token);
        if (token == 0) { /* the answer; start the stop token, wait for it to come back */
            ring->holder = me + 1;
            int64_t stop = -1;
            ring->s->chan_send(out, &stop);
            ring->s->chan_recv(in, &token);
            break;
        }
        if (token < 0) {
            ring->s->chan_send(out, &token);
            break;
        }
        token--;
        ring->s->chan_send(out, &token);
    }
    ring->s->wg_done(ring->wg);
}

static void ring_root(void *arg) {
    ring_run *r = arg;
    r->s->wg_add(r->wg, (int)r->tasks);
    for (int64_t i = 0; i < r->tasks; i++) sw_spawn(r->s, ring_task, (void *)(intptr_t)i);
    r->s->chan_send(r->links[0], &r->passes);
    r->s->wg_wait(r->wg);
}

static int thread_ring_run(asb_ctx *ctx) {
    ring_run r = {.s = asb_ctx_sched(ctx), .tasks = asb_param_i(ctx, "tasks"), .passes = asb_param_i(ctx, "passes")};
    if (r.tasks < 2 || r.tasks > 1000000 || r.passes < 0)
        return asb_fail(ctx, ASB_USAGE, "thread-ring: need 2 <= tasks <= 1e6 and passes >= 0");
    r.links = calloc((size_t)r.tasks, sizeof *r.links);
    r.wg = r.s->wg_make();
    int status = r.links && r.wg ? ASB_OK : asb_fail(ctx, ASB_ERROR, "thread-ring: out of memory");
    for (int64_t i = 0; i < r.tasks && status == ASB_OK; i++)
        if (!(r.links[i] = r.s->chan_make(sizeof(int64_t), 0)))
            status = asb_fail(ctx, ASB_ERROR, "thread-ring: out of memory");
    ring = &r;
    if (status == ASB_OK) status = sw_run(ctx, asb_threads(ctx), ring_root, &r);
    if (status == ASB_OK) {
        asb_count(ctx, (uint64_t)r.passes, 0, 0);
        int64_t want = r.passes % r.tasks + 1;
        if (r.holder != want)
            status = asb_verify_fail(ctx, "thread-ring: last holder %lld, expected %lld", (long long)r.holder,
                                     (long long)want);
    }
    for (int64_t i = 0; r.links && i < r.tasks; i++)
        if (r.links[i]) r.s->chan_free(r.links[i]);
    if (r.wg) r.s->wg_free(r.wg);
    free(r.links);
    return status;
}

static const asb_param_def thread_ring_params[] = {
    {"tasks", "503", NULL, "tasks in the ring"},
    {"passes", "5000000", "20000", "token passes"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload thread_ring = {
    .name = "thread-ring",
    .kind = "sched",
    .stresses = "pure switch-and-wake along a ring",
    .params = thread_ring_params,
    .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS,
    .work_param = "passes",
    .run = thread_ring_run,
};
ASB_REGISTER_WORKLOAD(thread_ring)
