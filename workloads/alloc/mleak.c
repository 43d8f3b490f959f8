/*
 * mleak.c — memory kept after thread exit (after the mleak workload of
 * shared/reference/workloads.md).  100×iter rounds each start `per_round`
 * threads at once (10 by default, independent of --threads); each thread
 * calloc's one 128-byte object, checks that it is zero, marks it, swaps it
 * into a random slot of a shared 1000-slot array and frees the previous
 * occupant, which another (often dead) thread allocated.  An allocator whose
 * per-thread caches outlive their thread keeps growing.
 *
 * One op = one thread's calloc + swap + free.  Objects travel as bare
 * pointers, so each carries word 0 = a serial and its last word = a hash of
 * it, checked before the free; a live flag per serial catches one block
 * handed to two live objects (both then carry the second serial, and the
 * second free finds its flag already cleared) before the double free can
 * crash; a sum over the serials allocated minus those freed must come back
 * to zero at the end.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_util.h"

#define MLEAK "mleak"
#define MLEAK_SLOTS 1000
#define OBJECT_BYTES 128
#define OBJECT_WORDS (OBJECT_BYTES / 8)

typedef struct mleak_shared {
    asb_ctx *ctx;
    _Atomic(uint64_t *) slots[MLEAK_SLOTS];
    atomic_uint_fast64_t balance; /* sum of awl_mix(serial) of live objects, mod 2^64 */
    atomic_uchar *live;           /* per serial: allocated and not yet freed */
    uint64_t nserials;
} mleak_shared;

typedef struct mleak_thread {
    mleak_shared *shared;
    uint64_t serial;
    int status;
} mleak_thread;

static int mleak_free(mleak_shared *sh, uint64_t *p, const char *who) {
    if (!p) return ASB_OK;
    if (p[OBJECT_WORDS - 1] != awl_mix(p[0]) || p[0] == 0 || p[0] > sh->nserials)
        return asb_verify_fail(sh->ctx, "mleak: object %p (serial %llu) freed by %s: cookie overwritten while live",
                               (void *)p, (unsigned long long)p[0], who);
    if (!atomic_exchange(&sh->live[p[0]], 0))
        return asb_verify_fail(sh->ctx, "mleak: object %p (serial %llu) freed by %s is already freed: the allocator "
                               "gave one block to two live objects", (void *)p, (unsigned long long)p[0], who);
    atomic_fetch_sub(&sh->balance, awl_mix(p[0]));
    free(p);
    return ASB_OK;
}

static void *mleak_thread_main(void *arg) {
    mleak_thread *t = arg;
    mleak_shared *sh = t->shared;
    uint64_t *p = calloc(1, OBJECT_BYTES);
    if (!p) {
        t->status = asb_fail(sh->ctx, ASB_ERROR, "mleak: calloc(1, %d) returned NULL", OBJECT_BYTES);
        return NULL;
    }
    for (int i = 0; i < OBJECT_WORDS; i++)
        if (p[i] != 0) {
            t->status = asb_verify_fail(sh->ctx, "mleak: thread serial %llu: calloc'd object %p not zero at word %d",
                                        (unsigned long long)t->serial, (void *)p, i);
            return NULL;
        }
    p[0] = t->serial;
    p[OBJECT_WORDS - 1] = awl_mix(t->serial);
    atomic_fetch_add(&sh->balance, awl_mix(t->serial));
    atomic_store(&sh->live[t->serial], 1);
    size_t slot = (size_t)(awl_mix(t->serial ^ asb_seed(sh->ctx)) % MLEAK_SLOTS);
    t->status = mleak_free(sh, atomic_exchange(&sh->slots[slot], p), "a worker thread");
    asb_count(sh->ctx, 1, 1, OBJECT_BYTES);
    return NULL;
}

static int mleak_run(asb_ctx *ctx) {
    int64_t rounds = 100 * asb_param_i(ctx, "iter"), per_round = asb_param_i(ctx, "per_round");
    if (rounds < 0 || per_round < 1) return asb_fail(ctx, ASB_USAGE, "mleak: need iter >= 0 and per_round >= 1");
    mleak_shared *sh = calloc(1, sizeof *sh);
    mleak_thread *threads = calloc((size_t)per_round, sizeof *threads);
    atomic_uchar *live = calloc((size_t)(rounds * per_round + 1), sizeof *live);
    if (!sh || !threads || !live) {
        free(sh);
        free(threads);
        free(live);
        return asb_fail(ctx, ASB_ERROR, "mleak: out of memory");
    }
    sh->ctx = ctx;
    sh->live = live;
    sh->nserials = (uint64_t)(rounds * per_round);
    int status = ASB_OK;
    asb_timer_start(ctx);
    for (int64_t r = 0; r < rounds && status == ASB_OK; r++) {
        for (int64_t i = 0; i < per_round; i++)
            threads[i] = (mleak_thread){.shared = sh, .serial = (uint64_t)(r * per_round + i) + 1};
        status = awl_run_threads(ctx, MLEAK, (int)per_round, mleak_thread_main, threads, sizeof *threads);
        if (status == ASB_OK)
            status = awl_first_failure(threads, (int)per_round, sizeof *threads, offsetof(mleak_thread, status));
    }
    asb_timer_stop(ctx);
    for (size_t s = 0; s < MLEAK_SLOTS && status == ASB_OK; s++)
        status = mleak_free(sh, atomic_exchange(&sh->slots[s], NULL), "the main thread");
    if (status == ASB_OK && atomic_load(&sh->balance) != 0)
        status = asb_verify_fail(ctx, "mleak: serials freed do not sum to those allocated (difference %#llx): "
                                      "a live object was overwritten by another",
                                 (unsigned long long)atomic_load(&sh->balance));
    free(live);
    free(sh);
    free(threads);
    return status;
}

static const asb_param_def mleak_params[] = {
    {"iter", "5", "1", "the run makes 100*iter rounds (reference: 5, or 50 for the long run)"},
    {"per_round", "10", NULL, "threads started together each round (fixed, not --threads)"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload mleak = {
    .name = MLEAK,
    .kind = "alloc",
    .stresses = "memory kept after thread exit: short-lived threads whose objects are freed by later threads",
    .params = mleak_params,
    .work_param = "iter",
    .run = mleak_run,
};
ASB_REGISTER_WORKLOAD(mleak)
