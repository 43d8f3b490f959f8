/*
 * glibc-simple.c — after glibc's bench-malloc-simple (shared/reference/
 * workloads.md): for each size 16, 32, 64 and each batch n in {25, 100, 400,
 * 1600}, total/n times: allocate n blocks, write every byte, then free the
 * first half in allocation order (FIFO) and the second half in reverse
 * (LIFO).  The sequence runs on the main thread, then on a second thread,
 * then on the main thread again, now that the process is multi-threaded
 * (glibc switches from its single-thread fast path then).
 *
 * One op = one allocation.  Each block's bytes are written with a pattern and
 * its cookie, checked before the free.  Reports ns per op of each of the three
 * phases (phase1_ns_per_op …) in `extra`.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_util.h"

#define GLIBC_SIMPLE "glibc-simple"

typedef struct gs_phase {
    asb_ctx *ctx;
    int phase;
    int status;
    uint64_t allocs, bytes, ns;
} gs_phase;

static const size_t gs_sizes[] = {16, 32, 64};
static const size_t gs_batches[] = {25, 100, 400, 1600};

static int gs_release(gs_phase *ph, unsigned char **blocks, size_t i, size_t size, uint64_t round) {
    if (!awl_marked(blocks[i], size, awl_cookie((uint64_t)ph->phase, round, i)))
        return asb_verify_fail(ph->ctx, "glibc-simple: phase %d round %llu object %zu at %p (%zu B): "
                                        "cookie overwritten while live",
                               ph->phase, (unsigned long long)round, i, (void *)blocks[i], size);
    free(blocks[i]);
    return ASB_OK;
}

static void *gs_phase_main(void *arg) {
    gs_phase *ph = arg;
    int64_t total = asb_param_i(ph->ctx, "total");
    unsigned char *blocks[1600];
    uint64_t t0 = asb_now_ns(), round = 0;
    for (size_t si = 0; si < 3 && ph->status == ASB_OK; si++)
        for (size_t bi = 0; bi < 4 && ph->status == ASB_OK; bi++) {
            size_t size = gs_sizes[si], n = gs_batches[bi];
            for (int64_t it = 0; it < total / (int64_t)n && ph->status == ASB_OK; it++, round++) {
                for (size_t i = 0; i < n; i++) {
                    if (!(blocks[i] = malloc(size))) {
                        ph->status = asb_fail(ph->ctx, ASB_ERROR, "glibc-simple: malloc(%zu) returned NULL", size);
                        return NULL; /* blocks made so far leak; the run has failed */
                    }
                    memset(blocks[i], (int)(i & 0xff), size);
                    awl_mark(blocks[i], size, awl_cookie((uint64_t)ph->phase, round, i));
                }
                for (size_t i = 0; i < n / 2 && ph->status == ASB_OK; i++)
                    ph->status = gs_release(ph, blocks, i, size, round);
                for (size_t i = n; i > n / 2 && ph->status == ASB_OK; i--)
                    ph->status = gs_release(ph, blocks, i - 1, size, round);
                ph->allocs += n;
                ph->bytes += n * size;
            }
        }
    ph->ns = asb_now_ns() - t0;
    return NULL;
}

static int gs_run(asb_ctx *ctx) {
    if (asb_param_i(ctx, "total") < 1600) return asb_fail(ctx, ASB_USAGE, "glibc-simple: need total >= 1600");
    gs_phase phases[3];
    int status = ASB_OK;
    asb_timer_start(ctx);
    for (int i = 0; i < 3 && status == ASB_OK; i++) {
        phases[i] = (gs_phase){.ctx = ctx, .phase = i + 1};
        if (i == 1) status = awl_run_threads(ctx, GLIBC_SIMPLE, 1, gs_phase_main, &phases[i], sizeof phases[i]);
        else gs_phase_main(&phases[i]);
        if (status == ASB_OK) status = phases[i].status;
        asb_count(ctx, phases[i].allocs, phases[i].allocs, phases[i].bytes);
        if (status == ASB_OK && phases[i].allocs) {
            char key[32];
            snprintf(key, sizeof key, "phase%d_ns_per_op", i + 1);
            asb_report(ctx, key, (double)phases[i].ns / (double)phases[i].allocs);
        }
    }
    asb_timer_stop(ctx);
    return status;
}

static const asb_param_def gs_params[] = {
    {"total", "2000000", "50000", "allocations per (size, batch) pair and phase; single-threaded, --threads ignored"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload glibc_simple = {
    .name = GLIBC_SIMPLE,
    .kind = "alloc",
    .stresses = "single-thread fast path: small fixed sizes, FIFO and LIFO frees, before and after the "
                "process turns multi-threaded",
    .params = gs_params,
    .work_param = "total",
    .run = gs_run,
};
ASB_REGISTER_WORKLOAD(glibc_simple)
