/*
 * spawn_many.c — a thread outside the scheduler spawns `tasks` tasks
 * (injection); each decrements an atomic countdown and the last one signals
 * the root over a channel (tokio's spawn_many_remote).  Stresses the global
 * (injection) queue and the waking of idle workers.
 *
 * Verification: every task ran exactly once (the countdown reaches zero, and
 * a per-task flag is set once).
 * One op = one injected task.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "sched_common.h"

typedef struct spawn_many_run {
    const asb_sched *s;
    int64_t tasks;
    atomic_long remaining;
    atomic_uchar *ran;
    asb_chan *done;
    pthread_t injector;
    bool duplicate;
} spawn_many_run;

static spawn_many_run *many;

static void many_task(void *arg) {
    int64_t i = (int64_t)(intptr_t)arg;
    if (atomic_fetch_add(&many->ran[i], 1) != 0) many->duplicate = true;
    if (atomic_fetch_sub(&many->remaining, 1) == 1) {
        int one = 1;
        many->s->chan_send(many->done, &one);
    }
}

static void *injector_main(void *arg) {
    spawn_many_run *r = arg;
    for (int64_t i = 0; i < r->tasks; i++) sw_spawn(r->s, many_task, (void *)(intptr_t)i);
    return NULL;
}

static void many_root(void *arg) {
    spawn_many_run *r = arg;
    if (pthread_create(&r->injector, NULL, injector_main, r) != 0) abort();
    int v;
    r->s->chan_recv(r->done, &v);
    pthread_join(r->injector, NULL); /* done: it spawned them all */
}

static int spawn_many_run_workload(asb_ctx *ctx) {
    spawn_many_run r = {.s = asb_ctx_sched(ctx), .tasks = asb_param_i(ctx, "tasks")};
    if (r.tasks < 1) return asb_fail(ctx, ASB_USAGE, "spawn-many: tasks must be >= 1");
    atomic_init(&r.remaining, r.tasks);
    r.ran = calloc((size_t)r.tasks, 1);
    r.done = r.s->chan_make(sizeof(int), 0);
    if (!r.ran || !r.done) return asb_fail(ctx, ASB_ERROR, "spawn-many: out of memory");
    many = &r;
    int status = sw_run(ctx, asb_threads(ctx), many_root, &r);
    r.s->chan_free(r.done);
    if (status == ASB_OK) {
        asb_count(ctx, (uint64_t)r.tasks, 0, 0);
        for (int64_t i = 0; i < r.tasks && status == ASB_OK; i++)
            if (atomic_load(&r.ran[i]) != 1)
                status = asb_verify_fail(ctx, "spawn-many: task %lld ran %d times", (long long)i,
                                         (int)atomic_load(&r.ran[i]));
        if (status == ASB_OK && (r.duplicate || atomic_load(&r.remaining) != 0))
            status = asb_verify_fail(ctx, "spawn-many: countdown ended at %ld", atomic_load(&r.remaining));
    }
    free(r.ran);
    return status;
}

static const asb_param_def spawn_many_params[] = {
    {"tasks", "100000", "10000", "tasks spawned from the outside thread"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload spawn_many = {
    .name = "spawn-many",
    .kind = "sched",
    .stresses = "injection from outside, global queue, waking idle workers",
    .params = spawn_many_params,
    .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS | ASB_CAP_INJECTION,
    .work_param = "tasks",
    .run = spawn_many_run_workload,
};
ASB_REGISTER_WORKLOAD(spawn_many)
