/*
 * rptest.c — rpmalloc's benchmark as described in
 * shared/reference/workloads.md.  Each of P threads owns `blocks` slots.
 * Loop `loops` times: free 0.8×ops×f occupied slots, stepping through them at
 * one prime stride (f cycles through a table of fractions 0.30-0.99), free
 * the batches other threads sent, then allocate ops×f' blocks into empty slots
 * at another prime stride.  Sizes come from a 2000-entry pseudo-random table
 * scaled to [min, max] with an even, linear-falloff or exponential-falloff
 * shape; blocks under 4 KiB cycle through alignments 0 (malloc) / 8 / 16
 * (posix_memalign).  Each block is touched at its first word, one byte per
 * 4 KiB page and its last byte.  Every cross_rate loops a thread sends a batch
 * of its blocks to the next thread's lock-free stack.  The sequence runs
 * twice: the threads exit after the first pass and fresh threads continue
 * with the same slots.
 *
 * One op = one allocation.  Reports ideal_peak_bytes: the largest sum of
 * requested live bytes seen at loop boundaries, to set against peak RSS.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "alloc_util.h"

#define RPTEST "rptest"
#define SIZE_TABLE 2000
#define BATCH_BLOCKS 32
#define PAGE 4096

static const double rp_fractions[] = {0.30, 0.45, 0.62, 0.99, 0.55, 0.81, 0.37, 0.71, 0.93, 0.50,
                                      0.66, 0.41, 0.88, 0.75, 0.33, 0.97};
#define NFRACTIONS (sizeof rp_fractions / sizeof *rp_fractions)
static const size_t rp_primes[] = {7, 13, 31, 53, 97, 131, 251, 389, 577, 863};
#define NPRIMES (sizeof rp_primes / sizeof *rp_primes)

typedef struct rp_batch {
    struct rp_batch *next;
    int sender;
    size_t n;
    awl_block blocks[BATCH_BLOCKS];
} rp_batch;

typedef struct rp_shared {
    size_t sizes[SIZE_TABLE];
    atomic_int_fast64_t live_bytes;
    atomic_int_fast64_t peak_bytes;
} rp_shared;

typedef struct rp_thread {
    asb_ctx *ctx;
    rp_shared *shared;
    struct rp_thread *next_thread;
    _Atomic(rp_batch *) inbox; /* lock-free stack; consumers take it whole */
    awl_block *slots;
    int index;
    int status;
    uint64_t serial, size_cursor;
    int64_t live_bytes;
    uint64_t allocs, bytes;
} rp_thread;

/* Mark a block: the cookie (first word and last byte) plus one byte per page. */
static void rp_touch(const awl_block *b) {
    awl_mark(b->p, b->size, b->cookie);
    for (size_t off = PAGE; off + 1 < b->size; off += PAGE) b->p[off] = (unsigned char)(b->cookie >> (off / PAGE % 8));
}

static int rp_free(rp_thread *t, awl_block *b, int owner, size_t index) {
    for (size_t off = PAGE; off + 1 < b->size; off += PAGE)
        if (b->p[off] != (unsigned char)(b->cookie >> (off / PAGE % 8)))
            return asb_verify_fail(t->ctx, "rptest: thread %d object %zu at %p (%zu B): page byte at +%zu overwritten",
                                   owner, index, (void *)b->p, b->size, off);
    asb_live_add(t->ctx, t->index, -(int64_t)b->size); /* t frees it, whoever allocated it */
    return awl_block_free(t->ctx, b, RPTEST, owner, index);
}

static int rp_alloc(rp_thread *t, awl_block *b) {
    uint64_t k = t->size_cursor++;
    size_t size = t->shared->sizes[k % SIZE_TABLE];
    size_t align = size < PAGE ? (size_t[]){0, 8, 16}[k % 3] : 0;
    void *p = NULL;
    if (align ? posix_memalign(&p, align, size) != 0 : !(p = malloc(size)))
        return asb_fail(t->ctx, ASB_ERROR, "rptest: allocating %zu B (alignment %zu) failed", size, align);
    *b = (awl_block){.p = p, .size = size, .cookie = awl_cookie((uint64_t)t->index, t->serial++, 7)};
    rp_touch(b);
    t->allocs++;
    t->bytes += size;
    t->live_bytes += (int64_t)size;
    asb_live_add(t->ctx, t->index, (int64_t)size);
    return ASB_OK;
}

static int rp_drain_inbox(rp_thread *t) {
    rp_batch *b = atomic_exchange(&t->inbox, NULL);
    int status = ASB_OK;
    while (b) {
        rp_batch *next = b->next;
        for (size_t i = 0; i < b->n && status == ASB_OK; i++) status = rp_free(t, &b->blocks[i], b->sender, i);
        free(b);
        b = next;
    }
    return status;
}

/* Move up to BATCH_BLOCKS occupied slots into a batch on the next thread's stack. */
static int rp_send(rp_thread *t, size_t nslots, size_t start) {
    rp_batch *b = malloc(sizeof *b);
    if (!b) return asb_fail(t->ctx, ASB_ERROR, "rptest: out of memory for a batch");
    b->sender = t->index;
    b->n = 0;
    for (size_t i = 0; i < nslots && b->n < BATCH_BLOCKS; i++) {
        awl_block *s = &t->slots[(start + i) % nslots];
        if (!s->p) continue;
        t->live_bytes -= (int64_t)s->size; /* counted out here: the receiver only frees */
        b->blocks[b->n++] = *s;
        s->p = NULL;
    }
    rp_thread *to = t->next_thread;
    b->next = atomic_load(&to->inbox);
    while (!atomic_compare_exchange_weak(&to->inbox, &b->next, b)) {
    }
    return ASB_OK;
}

static void rp_note_live(rp_thread *t, int64_t delta) {
    int64_t now = atomic_fetch_add(&t->shared->live_bytes, delta) + delta;
    int64_t peak = atomic_load(&t->shared->peak_bytes);
    while (now > peak && !atomic_compare_exchange_weak(&t->shared->peak_bytes, &peak, now)) {
    }
}

static void *rp_thread_main(void *arg) {
    rp_thread *t = arg;
    asb_ctx *ctx = t->ctx;
    size_t nslots = (size_t)asb_param_i(ctx, "blocks");
    int64_t loops = asb_param_i(ctx, "loops"), ops = asb_param_i(ctx, "ops"), cross = asb_param_i(ctx, "cross_rate");
    size_t cursor = (size_t)t->index * 17;
    for (int64_t loop = 0; loop < loops && t->status == ASB_OK; loop++) {
        int64_t before = t->live_bytes;
        double f = rp_fractions[(size_t)loop % NFRACTIONS], f2 = rp_fractions[((size_t)loop + 5) % NFRACTIONS];
        size_t stride = rp_primes[(size_t)loop % NPRIMES], stride2 = rp_primes[((size_t)loop + 3) % NPRIMES];
        size_t to_free = (size_t)(0.8 * (double)ops * f), to_alloc = (size_t)((double)ops * f2);
        for (size_t tries = 0; tries < nslots && to_free > 0 && t->status == ASB_OK; tries++) {
            cursor = (cursor + stride) % nslots;
            if (!t->slots[cursor].p) continue;
            t->live_bytes -= (int64_t)t->slots[cursor].size;
            t->status = rp_free(t, &t->slots[cursor], t->index, cursor);
            to_free--;
        }
        if (t->status == ASB_OK) t->status = rp_drain_inbox(t);
        for (size_t tries = 0; tries < nslots && to_alloc > 0 && t->status == ASB_OK; tries++) {
            cursor = (cursor + stride2) % nslots;
            if (t->slots[cursor].p) continue;
            t->status = rp_alloc(t, &t->slots[cursor]);
            to_alloc--;
        }
        if (t->status == ASB_OK && cross > 0 && loop % cross == 0 && t->next_thread != t)
            t->status = rp_send(t, nslots, cursor);
        rp_note_live(t, t->live_bytes - before);
    }
    return NULL;
}

/* Size table: 2000 pseudo-random fractions shaped by the distribution. */
static void rp_fill_sizes(rp_shared *sh, uint64_t seed, int distribution, size_t min, size_t max) {
    asb_rng rng;
    asb_rng_seed(&rng, seed);
    for (size_t i = 0; i < SIZE_TABLE; i++) {
        double u = (double)(asb_rng_next(&rng) >> 11) / 9007199254740992.0;
        double x = distribution == 0 ? u : distribution == 1 ? 1 - sqrt(1 - u) : fmin(1, -log(1 - u) / 6);
        sh->sizes[i] = min + (size_t)(x * (double)(max - min));
    }
}

static int rptest_run(asb_ctx *ctx) {
    int64_t blocks = asb_param_i(ctx, "blocks"), min = asb_param_i(ctx, "min"), max = asb_param_i(ctx, "max");
    int64_t distribution = asb_param_i(ctx, "distribution");
    if (blocks < 1 || asb_param_i(ctx, "loops") < 0 || asb_param_i(ctx, "ops") < 0 || min < 1 || max < min ||
        distribution < 0 || distribution > 2 || asb_param_i(ctx, "cross_rate") < 0)
        return asb_fail(ctx, ASB_USAGE, "rptest: need blocks >= 1, loops, ops, cross_rate >= 0, 1 <= min <= max, "
                                        "distribution 0..2");
    int p = asb_threads(ctx);
    rp_shared *sh = calloc(1, sizeof *sh);
    rp_thread *threads = calloc((size_t)p, sizeof *threads);
    awl_block *slots = calloc((size_t)p * (size_t)blocks, sizeof *slots);
    int status = ASB_OK;
    if (!sh || !threads || !slots) {
        status = asb_fail(ctx, ASB_ERROR, "rptest: out of memory");
        goto out;
    }
    rp_fill_sizes(sh, asb_seed(ctx), (int)distribution, (size_t)min, (size_t)max);
    for (int i = 0; i < p; i++)
        threads[i] = (rp_thread){.ctx = ctx, .shared = sh, .next_thread = &threads[(i + 1) % p],
                                 .slots = slots + (size_t)i * (size_t)blocks, .index = i,
                                 .size_cursor = (uint64_t)i * 131};
    asb_live_track(ctx);
    asb_timer_start(ctx);
    for (int pass = 0; pass < 2 && status == ASB_OK; pass++) {
        status = awl_run_threads(ctx, RPTEST, p, rp_thread_main, threads, sizeof *threads);
        if (status == ASB_OK) status = awl_first_failure(threads, p, sizeof *threads, offsetof(rp_thread, status));
    }
    asb_timer_stop(ctx);
    uint64_t allocs = 0, bytes = 0;
    for (int i = 0; i < p; i++) {
        allocs += threads[i].allocs;
        bytes += threads[i].bytes;
        if (status == ASB_OK) status = rp_drain_inbox(&threads[i]);
        for (size_t k = 0; k < (size_t)blocks && status == ASB_OK; k++)
            if (threads[i].slots[k].p) status = rp_free(&threads[i], &threads[i].slots[k], i, k);
    }
    asb_count(ctx, allocs, allocs, bytes);
    asb_report(ctx, "ideal_peak_bytes", (double)atomic_load(&sh->peak_bytes));
out:
    free(sh);
    free(threads);
    free(slots);
    return status;
}

static const asb_param_def rptest_params[] = {
    {"distribution", "1", NULL, "size shape over [min, max]: 0 even, 1 linear falloff, 2 exponential falloff"},
    {"cross_rate", "2", NULL, "every cross_rate loops send a batch of blocks to the next thread (0 = never)"},
    {"loops", "500", "200", "loops per pass (the threads run two passes)"},
    {"blocks", "1000", NULL, "slots per thread"},
    {"ops", "100", NULL, "allocations per loop, scaled by a fraction 0.30-0.99"},
    {"min", "8", NULL, "smallest block size in bytes"},
    {"max", "16000", NULL, "largest block size in bytes"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload rptest = {
    .name = RPTEST,
    .kind = "alloc",
    .stresses = "mixed sizes 8 B-16 KB with aligned requests, batched remote frees, thread restart; "
                "RSS overhead against requested bytes",
    .params = rptest_params,
    .work_param = "loops",
    .run = rptest_run,
};
ASB_REGISTER_WORKLOAD(rptest)
