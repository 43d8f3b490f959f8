/*
 * sh8bench.c — a benchmark in the style of MicroQuill's SmartHeap sh8bench
 * (after the description in shared/reference/workloads.md; only the
 * algorithm is reproduced).  The main thread first allocates `foreign`
 * 8-byte blocks and shares them out; 2P worker threads (P = --threads) each
 * free their share of those foreign blocks (remote frees of tiny blocks),
 * then make iterations/P allocations whose sizes cycle through the histogram
 * {8:1000, 16:5000, 48:1000, 72:100, 148:100, 200:100, 520:10, 1056:5,
 * 4096:3, 9162:1, 34562:1, 168524:1} (1000 blocks of 8 B, then 5000 of
 * 16 B …), storing them in a heap/P-slot survivor-window buffer as sh6bench
 * does.
 *
 * One op = one worker allocation; the foreign frees are timed but not ops.
 * All blocks are checked before their free (foreign ones by a cookie derived
 * from their index).
 */
#include <stdlib.h>

#include "alloc_util.h"

#define SH8 "sh8bench"

static const struct {
    size_t size;
    unsigned count;
} sh8_histogram[] = {
    {8, 1000}, {16, 5000}, {48, 1000}, {72, 100}, {148, 100}, {200, 100},
    {520, 10}, {1056, 5},  {4096, 3},  {9162, 1}, {34562, 1}, {168524, 1},
};
#define SH8_BINS (sizeof sh8_histogram / sizeof *sh8_histogram)

typedef struct sh8_thread {
    asb_ctx *ctx;
    int index;
    int status;
    void **foreign; /* this thread's share */
    size_t foreign_first, nforeign;
} sh8_thread;

static uint64_t sh8_foreign_cookie(size_t i) { return awl_cookie(UINT64_MAX, i, 8); }

static void *sh8_thread_main(void *arg) {
    sh8_thread *t = arg;
    asb_ctx *ctx = t->ctx;
    for (size_t i = 0; i < t->nforeign; i++) {
        if (!awl_marked(t->foreign[i], 8, sh8_foreign_cookie(t->foreign_first + i))) {
            t->status = asb_verify_fail(ctx, "sh8bench: thread %d foreign object %zu at %p (8 B): "
                                             "cookie overwritten while live",
                                        t->index, t->foreign_first + i, t->foreign[i]);
            return NULL;
        }
        free(t->foreign[i]);
    }
    awl_window_buffer buf;
    if (!awl_window_init(&buf, (size_t)(asb_param_i(ctx, "heap") / asb_threads(ctx)))) {
        t->status = asb_fail(ctx, ASB_ERROR, "sh8bench: out of memory for the buffer");
        return NULL;
    }
    uint64_t n = (uint64_t)(asb_param_i(ctx, "iterations") / asb_threads(ctx)), bytes = 0;
    size_t bin = 0;
    unsigned left = sh8_histogram[0].count;
    for (uint64_t i = 0; i < n && t->status == ASB_OK; i++) {
        if (left == 0) {
            bin = (bin + 1) % SH8_BINS;
            left = sh8_histogram[bin].count;
        }
        left--;
        size_t size = sh8_histogram[bin].size;
        awl_block b;
        if (!awl_block_new(&b, size, awl_cookie((uint64_t)t->index, i, 8))) {
            t->status = asb_fail(ctx, ASB_ERROR, "sh8bench: malloc(%zu) returned NULL", size);
            break;
        }
        bytes += size;
        t->status = awl_window_put(ctx, &buf, b, SH8, t->index);
    }
    int s = awl_window_destroy(ctx, &buf, SH8, t->index);
    if (t->status == ASB_OK) t->status = s;
    asb_count(ctx, n, n, bytes);
    return NULL;
}

static int sh8_run(asb_ctx *ctx) {
    int p = asb_threads(ctx), n = 2 * p;
    int64_t foreign = asb_param_i(ctx, "foreign");
    if (asb_param_i(ctx, "heap") < p || asb_param_i(ctx, "iterations") < 0 || foreign < 0)
        return asb_fail(ctx, ASB_USAGE, "sh8bench: need heap >= threads, iterations >= 0, foreign >= 0");
    void **blocks = malloc(((size_t)foreign + 1) * sizeof *blocks);
    sh8_thread *threads = calloc((size_t)n, sizeof *threads);
    int status = ASB_OK;
    size_t made = 0;
    if (!blocks || !threads) {
        status = asb_fail(ctx, ASB_ERROR, "sh8bench: out of memory");
        goto out;
    }
    for (; made < (size_t)foreign; made++) {
        if (!(blocks[made] = malloc(8))) {
            status = asb_fail(ctx, ASB_ERROR, "sh8bench: malloc(8) returned NULL");
            goto out;
        }
        awl_mark(blocks[made], 8, sh8_foreign_cookie(made));
    }
    for (int i = 0; i < n; i++) {
        size_t first = made * (size_t)i / (size_t)n, last = made * (size_t)(i + 1) / (size_t)n;
        threads[i] = (sh8_thread){.ctx = ctx, .index = i, .foreign = blocks + first, .foreign_first = first,
                                  .nforeign = last - first};
    }
    made = 0; /* the workers own the foreign blocks now */
    asb_timer_start(ctx);
    status = awl_run_threads(ctx, SH8, n, sh8_thread_main, threads, sizeof *threads);
    asb_timer_stop(ctx);
    if (status == ASB_OK) status = awl_first_failure(threads, n, sizeof *threads, offsetof(sh8_thread, status));
out:
    for (size_t i = 0; i < made; i++) free(blocks[i]);
    free(blocks);
    free(threads);
    return status;
}

static const asb_param_def sh8_params[] = {
    {"heap", "1000000", "100000", "buffer slots over all threads: each of the 2P threads (P = --threads) "
                                  "holds heap/P"},
    {"iterations", "700000", "200000", "allocations: each of the 2P threads makes iterations/P"},
    {"foreign", "10000000", "200000", "8-byte blocks the main thread allocates and the workers free"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload sh8bench = {
    .name = SH8,
    .kind = "alloc",
    .stresses = "remote frees of many tiny blocks made by another thread, then a skewed size histogram "
                "(mostly 8-48 B, rare 168 KB) with FIFO/LIFO frees; 2P threads",
    .params = sh8_params,
    .work_param = "iterations",
    .run = sh8_run,
};
ASB_REGISTER_WORKLOAD(sh8bench)
