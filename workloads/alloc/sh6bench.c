/*
 * sh6bench.c — a benchmark in the style of MicroQuill's SmartHeap sh6bench
 * (after the description in shared/reference/workloads.md; only the
 * algorithm is reproduced).  2P threads (P = --threads) each own a buffer of
 * callcount/P slots with a protected window of survivors (alloc_util.h,
 * awl_window_buffer).  Size bases grow b → 1.5b+1 from 1 up to 1000; for each
 * base the sizes b, b/2, b/4 … 1 are each allocated 250 times (under 100 B),
 * 50 times (under 1000 B), 10 times (under 10000 B) or once, and stored in
 * the next free slot outside the window.  When the buffer is full the window
 * moves forward by a fifth and the blocks below it are freed in allocation
 * order (FIFO), those above in reverse (LIFO).  The schedule repeats `passes`
 * times.
 *
 * One op = one allocation (its free happens in a later sweep).  Blocks are
 * marked and checked before every free.
 */
#include <stdlib.h>

#include "alloc_util.h"

#define SH6 "sh6bench"

typedef struct sh6_thread {
    asb_ctx *ctx;
    int index;
    int status;
} sh6_thread;

static unsigned sh6_repeats(size_t size) {
    return size < 100 ? 250 : size < 1000 ? 50 : size < 10000 ? 10 : 1;
}

static void *sh6_thread_main(void *arg) {
    sh6_thread *t = arg;
    asb_ctx *ctx = t->ctx;
    int64_t passes = asb_param_i(ctx, "passes");
    awl_window_buffer buf;
    if (!awl_window_init(&buf, (size_t)(asb_param_i(ctx, "callcount") / asb_threads(ctx)))) {
        t->status = asb_fail(ctx, ASB_ERROR, "sh6bench: out of memory for the buffer");
        return NULL;
    }
    uint64_t allocs = 0, bytes = 0;
    for (int64_t pass = 0; pass < passes && t->status == ASB_OK; pass++)
        for (size_t base = 1; base <= 1000 && t->status == ASB_OK; base = base * 3 / 2 + 1)
            for (size_t size = base; size >= 1 && t->status == ASB_OK; size /= 2)
                for (unsigned r = sh6_repeats(size); r > 0 && t->status == ASB_OK; r--) {
                    awl_block b;
                    if (!awl_block_new(&b, size, awl_cookie((uint64_t)t->index, allocs, 6))) {
                        t->status = asb_fail(ctx, ASB_ERROR, "sh6bench: malloc(%zu) returned NULL", size);
                        break;
                    }
                    allocs++;
                    bytes += size;
                    t->status = awl_window_put(ctx, &buf, b, SH6, t->index);
                }
    int s = awl_window_destroy(ctx, &buf, SH6, t->index);
    if (t->status == ASB_OK) t->status = s;
    asb_count(ctx, allocs, allocs, bytes);
    return NULL;
}

static int sh6_run(asb_ctx *ctx) {
    int n = 2 * asb_threads(ctx);
    if (asb_param_i(ctx, "callcount") < asb_threads(ctx) || asb_param_i(ctx, "passes") < 0)
        return asb_fail(ctx, ASB_USAGE, "sh6bench: need callcount >= threads and passes >= 0");
    sh6_thread *threads = calloc((size_t)n, sizeof *threads);
    if (!threads) return asb_fail(ctx, ASB_ERROR, "sh6bench: out of memory");
    for (int i = 0; i < n; i++) threads[i] = (sh6_thread){.ctx = ctx, .index = i};
    asb_timer_start(ctx);
    int status = awl_run_threads(ctx, SH6, n, sh6_thread_main, threads, sizeof *threads);
    asb_timer_stop(ctx);
    if (status == ASB_OK) status = awl_first_failure(threads, n, sizeof *threads, offsetof(sh6_thread, status));
    free(threads);
    return status;
}

static const asb_param_def sh6_params[] = {
    {"callcount", "10000", NULL, "buffer slots over all threads: each of the 2P threads (P = --threads) holds "
                                 "callcount/P"},
    {"passes", "50", "20", "repetitions of the size schedule per thread"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload sh6bench = {
    .name = SH6,
    .kind = "alloc",
    .stresses = "mixes of FIFO and LIFO frees around a surviving window, many sizes 1-1000 B, 2P threads",
    .params = sh6_params,
    .work_param = "passes",
    .run = sh6_run,
};
ASB_REGISTER_WORKLOAD(sh6bench)
