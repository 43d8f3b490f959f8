/*
 * skynet.c — the skynet benchmark: a fanout-ary tree of tasks with `leaves`
 * leaves (1,111,111 tasks for a million leaves).  Each leaf sends its index
 * to its parent over the parent's unbuffered channel; each inner task sums
 * its children's values and sends the sum up.  Stresses spawn cost, memory
 * per live task (under a FIFO scheduler nearly all of them are alive at
 * once) and join.
 *
 * The tree itself is skynet_tree.c (shared with gmp's tests and gmpbench).
 * Verification: the root's sum is 0 + 1 + … + (leaves-1).
 * One op = one task.
 */
#include "sched_common.h"
#include "skynet_tree.h"

typedef struct skynet_run {
    const asb_sched *s;
    uint64_t leaves, fanout, sum;
} skynet_run;

static void skynet_root(void *arg) {
    skynet_run *r = arg;
    r->sum = skynet_tree(r->s, r->leaves, r->fanout);
}

static int skynet_run_workload(asb_ctx *ctx) {
    skynet_run r = {.s = asb_ctx_sched(ctx), .leaves = (uint64_t)asb_param_i(ctx, "leaves"),
                    .fanout = (uint64_t)asb_param_i(ctx, "fanout")};
    if (r.fanout < 2) return asb_fail(ctx, ASB_USAGE, "skynet: fanout must be >= 2");
    uint64_t tasks = 0, level = 1;
    for (; level < r.leaves; level *= r.fanout) tasks += level;
    if (level != r.leaves) return asb_fail(ctx, ASB_USAGE, "skynet: leaves must be a power of fanout");
    tasks += r.leaves;
    int status = sw_run(ctx, asb_threads(ctx), skynet_root, &r);
    if (status != ASB_OK) return status;
    /* Each inner task allocates one channel and each task one argument block. */
    asb_count(ctx, tasks, tasks + (tasks - r.leaves), 0);
    if (r.sum != sw_triangle(r.leaves))
        return asb_verify_fail(ctx, "skynet: sum %llu, expected %llu", (unsigned long long)r.sum,
                               (unsigned long long)sw_triangle(r.leaves));
    return ASB_OK;
}

static const asb_param_def skynet_params[] = {
    {"leaves", "1000000", "10000", "leaf tasks (a power of fanout)"},
    {"fanout", "10", NULL, "children per inner task"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload skynet = {
    .name = "skynet",
    .kind = "sched",
    .stresses = "spawn cost, memory per live task, join over channels",
    .params = skynet_params,
    .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS | ASB_CAP_MANY_TASKS,
    .run = skynet_run_workload,
};
ASB_REGISTER_WORKLOAD(skynet)
