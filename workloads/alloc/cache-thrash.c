/*
 * cache-thrash.c — Hoard's cache-thrash (active false sharing), after
 * shared/reference/workloads.md: the cache-scratch loop (cache-scratch.c)
 * without the initial hand-off, so only an allocator that itself places
 * different threads' small objects on one cache line makes the threads slow
 * each other down.  One op = one allocate-write-free iteration.
 */
#include "alloc_util.h"

static int cache_thrash_run(asb_ctx *ctx) { return awl_cache_sharing_run(ctx, "cache-thrash", false); }

static const asb_param_def cache_thrash_params[] = {
    {"iterations", "100", NULL, "allocate-write-free iterations per thread"},
    {"objsize", "8", NULL, "object size in bytes"},
    {"reps", "1000000", "50000", "writes of every byte per object, divided among the P threads"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload cache_thrash = {
    .name = "cache-thrash",
    .kind = "alloc",
    .stresses = "active false sharing: small objects of different threads placed on one cache line by the allocator",
    .params = cache_thrash_params,
    .work_param = "iterations",
    .run = cache_thrash_run,
};
ASB_REGISTER_WORKLOAD(cache_thrash)
