/*
 * mstress.c — mimalloc's stress test as described in
 * shared/reference/workloads.md: `iter` rounds each start P threads; thread t
 * makes 100×scale×(t mod 8 + 1) allocations: half short-lived objects of
 * 2^(0..4) words, half retained objects of 2^(0..6) words, 1% of them scaled
 * ×100 (a tenth of those ×1000, a hundredth of those ×10000).  After each
 * allocation it frees a random short-lived object with probability 2/3, and
 * with probability 1/4 swaps a random retained pointer with a random slot of
 * a global 1000-slot transfer array (objects migrate between threads and
 * outlive the thread that made them).  Threads free what they hold at exit;
 * the main thread frees half the transfer slots after each round, all at the
 * end.
 *
 * Objects carry their own description, since they travel as bare pointers:
 * word 0 = size in words << 40 | a 40-bit serial, the last word a hash of
 * word 0.  Both are checked before every free, and a sum over the word 0 of
 * every allocation minus every free must come back to zero, which catches an
 * object wholly overwritten by another one.  One op = one allocation step.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "alloc_util.h"

#define MSTRESS "mstress"
#define TRANSFER_SLOTS 1000
#define SERIAL_BITS 40

typedef struct mstress_shared {
    _Atomic(uint64_t *) transfer[TRANSFER_SLOTS];
    atomic_uint_fast64_t checksum; /* sum of live objects' awl_mix(word 0), mod 2^64 */
    uint64_t max_words;
} mstress_shared;

typedef struct mstress_thread {
    asb_ctx *ctx;
    mstress_shared *shared;
    int index;
    int status;
    uint64_t round, bytes, allocs;
} mstress_thread;

static uint64_t *mstress_alloc(uint64_t words, uint64_t serial, uint64_t *checksum) {
    uint64_t *p = malloc(words * 8);
    if (!p) return NULL;
    p[0] = words << SERIAL_BITS | (serial & ((1ull << SERIAL_BITS) - 1));
    if (words > 1) p[words - 1] = awl_mix(p[0]);
    *checksum += awl_mix(p[0]);
    return p;
}

/* Check the object's self-description, subtract it from the checksum, free. */
static int mstress_free(asb_ctx *ctx, mstress_shared *sh, uint64_t *p, int who, uint64_t *checksum) {
    if (!p) return ASB_OK;
    uint64_t words = p[0] >> SERIAL_BITS;
    if (words == 0 || words > sh->max_words || (words > 1 && p[words - 1] != awl_mix(p[0])))
        return asb_verify_fail(ctx, "mstress: object %p (header %#llx) freed by %s %d: cookie overwritten while live",
                               (void *)p, (unsigned long long)p[0], who < 0 ? "main thread" : "thread",
                               who < 0 ? 0 : who);
    *checksum -= awl_mix(p[0]);
    asb_live_add(ctx, who < 0 ? asb_threads(ctx) : who, -(int64_t)(words * 8)); /* the main thread: index P */
    free(p);
    return ASB_OK;
}

static uint64_t mstress_words(asb_rng *rng, bool short_lived) {
    uint64_t words = 1ull << asb_rng_below(rng, short_lived ? 5 : 7);
    if (asb_rng_below(rng, 100) == 0) {
        uint64_t factor = 100;
        if (asb_rng_below(rng, 10) == 0) factor = asb_rng_below(rng, 100) == 0 ? 10000 : 1000;
        words *= factor;
    }
    return words;
}

static void *mstress_thread_main(void *arg) {
    mstress_thread *t = arg;
    asb_ctx *ctx = t->ctx;
    mstress_shared *sh = t->shared;
    size_t n = (size_t)(100 * asb_param_i(ctx, "scale") * (t->index % 8 + 1));
    uint64_t **retained = malloc(n * sizeof *retained), **short_lived = malloc(n * sizeof *short_lived);
    if (!retained || !short_lived) {
        free(retained);
        free(short_lived);
        t->status = asb_fail(ctx, ASB_ERROR, "mstress: out of memory for %zu pointers", n);
        return NULL;
    }
    asb_rng rng;
    asb_rng_seed(&rng, asb_seed(ctx) ^ awl_cookie(t->round, (uint64_t)t->index, 1));
    uint64_t checksum = 0, serial_base = (t->round * 4096 + (uint64_t)t->index) << 24;
    size_t nr = 0, ns = 0;
    for (size_t i = 0; i < n && t->status == ASB_OK; i++) {
        bool is_short = asb_rng_below(&rng, 2) == 0;
        uint64_t words = mstress_words(&rng, is_short);
        uint64_t *p = mstress_alloc(words, serial_base + i, &checksum);
        if (!p) {
            t->status = asb_fail(ctx, ASB_ERROR, "mstress: malloc(%llu) returned NULL", (unsigned long long)words * 8);
            break;
        }
        t->allocs++;
        t->bytes += words * 8;
        asb_live_add(ctx, t->index, (int64_t)(words * 8));
        if (is_short) short_lived[ns++] = p;
        else retained[nr++] = p;
        if (ns > 0 && asb_rng_below(&rng, 3) < 2) {
            size_t k = (size_t)asb_rng_below(&rng, ns);
            t->status = mstress_free(ctx, sh, short_lived[k], t->index, &checksum);
            short_lived[k] = short_lived[--ns];
        }
        if (nr > 0 && asb_rng_below(&rng, 4) == 0) {
            size_t k = (size_t)asb_rng_below(&rng, nr);
            size_t slot = (size_t)asb_rng_below(&rng, TRANSFER_SLOTS);
            retained[k] = atomic_exchange(&sh->transfer[slot], retained[k]);
            if (!retained[k]) retained[k] = retained[--nr];
        }
    }
    for (size_t i = 0; i < nr && t->status == ASB_OK; i++)
        t->status = mstress_free(ctx, sh, retained[i], t->index, &checksum);
    for (size_t i = 0; i < ns && t->status == ASB_OK; i++)
        t->status = mstress_free(ctx, sh, short_lived[i], t->index, &checksum);
    free(retained);
    free(short_lived);
    atomic_fetch_add(&sh->checksum, checksum);
    return NULL;
}

static int mstress_run(asb_ctx *ctx) {
    int64_t scale = asb_param_i(ctx, "scale"), rounds = asb_param_i(ctx, "iter");
    if (scale < 1 || rounds < 1 || rounds >= (1 << 20))
        return asb_fail(ctx, ASB_USAGE, "mstress: need scale >= 1 and 1 <= iter < 2^20");
    int p = asb_threads(ctx);
    if (p > 4096) return asb_fail(ctx, ASB_USAGE, "mstress: at most 4096 threads");
    mstress_shared *sh = calloc(1, sizeof *sh);
    mstress_thread *threads = calloc((size_t)p, sizeof *threads);
    if (!sh || !threads) {
        free(sh);
        free(threads);
        return asb_fail(ctx, ASB_ERROR, "mstress: out of memory");
    }
    sh->max_words = 64 * 10000;
    asb_rng rng;
    asb_rng_seed(&rng, asb_seed(ctx));
    uint64_t main_checksum = 0, allocs = 0, bytes = 0;
    int status = ASB_OK;
    asb_live_track(ctx);
    asb_timer_start(ctx);
    for (int64_t round = 0; round < rounds && status == ASB_OK; round++) {
        for (int i = 0; i < p; i++) threads[i] = (mstress_thread){.ctx = ctx, .shared = sh, .index = i,
                                                                  .round = (uint64_t)round};
        status = awl_run_threads(ctx, MSTRESS, p, mstress_thread_main, threads, sizeof *threads);
        for (int i = 0; i < p; i++) {
            if (status == ASB_OK) status = threads[i].status;
            allocs += threads[i].allocs;
            bytes += threads[i].bytes;
        }
        bool last = round == rounds - 1;
        for (size_t s = 0; s < TRANSFER_SLOTS && status == ASB_OK; s++)
            if (last || asb_rng_below(&rng, 2) == 0)
                status = mstress_free(ctx, sh, atomic_exchange(&sh->transfer[s], NULL), -1, &main_checksum);
    }
    asb_timer_stop(ctx);
    uint64_t balance = atomic_load(&sh->checksum) + main_checksum;
    if (status == ASB_OK && balance != 0)
        status = asb_verify_fail(ctx, "mstress: the words 0 of freed objects do not sum to those allocated "
                                      "(difference %#llx): a live object was overwritten by another",
                                 (unsigned long long)balance);
    free(sh);
    free(threads);
    asb_count(ctx, allocs, allocs, bytes);
    return status;
}

static const asb_param_def mstress_params[] = {
    {"scale", "50", NULL, "thread t makes 100*scale*(t mod 8 + 1) allocations per round"},
    {"iter", "25", "10", "rounds; each starts P = --threads fresh threads"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload mstress = {
    .name = MSTRESS,
    .kind = "alloc",
    .stresses = "objects migrating between threads and outliving them (thread exit with live blocks), "
                "mixed sizes with rare huge ones",
    .params = mstress_params,
    .work_param = "iter",
    .run = mstress_run,
};
ASB_REGISTER_WORKLOAD(mstress)
