/*
 * fake_registry.c — workloads and schedulers for the fuzz targets that parse
 * names (matrix lines, --alloc specs): descriptors only, registered with the
 * real registries (workloads/registry.c, schedulers/registry.c) so that
 * name and parameter checks run as in asbench, without linking the
 * workloads themselves.  Their run functions are never called.
 */
#include "workload.h"

static int never_run(asb_ctx *ctx) {
    (void)ctx;
    return ASB_ERROR;
}

static const asb_param_def alloc_params[] = {
    {"min", "8", NULL, "smallest block"},
    {"max", "256", NULL, "largest block"},
    {"iters", "5000000", "500000", "steps"},
    {NULL, NULL, NULL, NULL},
};
static const asb_param_def sched_params[] = {
    {"depth", "6", "4", "tree depth"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload fake_churn = {.name = "churn", .kind = "alloc", .stresses = "fuzz stand-in",
                                        .params = alloc_params, .run = never_run};
static const asb_workload fake_skynet = {.name = "skynet", .kind = "sched", .stresses = "fuzz stand-in",
                                         .params = sched_params, .needs = ASB_CAP_SPAWN_JOIN, .run = never_run};
static const asb_workload fake_stress = {.name = "stress", .kind = "stress", .stresses = "fuzz stand-in",
                                         .params = alloc_params, .run = never_run};
ASB_REGISTER_WORKLOAD(fake_churn)
ASB_REGISTER_WORKLOAD(fake_skynet)
ASB_REGISTER_WORKLOAD(fake_stress)

static const asb_sched fake_gmp = {.name = "gmp", .caps = ASB_CAP_SPAWN_JOIN};
static const asb_sched fake_pthreads = {.name = "pthreads", .caps = 0};
ASB_REGISTER_SCHED(fake_gmp)
ASB_REGISTER_SCHED(fake_pthreads)
