/*
 * span-pinning.c — fragmentation by survivors (the seed article's 12-byte
 * objects, section 2.4).  Allocate `count` objects of `size` bytes (12 B
 * lands in the 16-byte class of Go-style and most size-class allocators),
 * then free all but one of every `keep_every` (512 = one 8 KiB span of
 * 16-byte slots), in allocation order.  Each survivor pins the memory of a
 * whole span in an allocator that returns memory span by span, so RSS stays
 * near its peak although almost nothing is live.
 *
 * One op = one allocation.  Reported in `extra`: live_bytes (survivors ×
 * size), pinned_spans (distinct 8 KiB-aligned windows holding a survivor —
 * the same measure for every backend), span_utilisation = live_bytes /
 * (pinned_spans × 8 KiB), rss_after_alloc_kb and rss_after_free_kb.  The
 * survivors stay allocated when run() returns, on purpose: the harness's
 * final_rss_kb and the backend's native in-use/system figures (emitted after
 * the run) then describe the pinned state.  The worker process exits right
 * after, which releases them; until then a small global table keeps them
 * reachable, so leak checkers see them as live on purpose.
 */
#include <stdlib.h>

#include "alloc_util.h"

#define SPAN_PINNING "span-pinning"
#define SPAN_BYTES 8192

static unsigned char **survivor_table; /* the survivors, reachable until exit */

static int cmp_uintptr(const void *a, const void *b) {
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

static int sp_check(asb_ctx *ctx, unsigned char *p, size_t size, size_t i) {
    if (!awl_marked(p, size, awl_cookie(i, 0, 12)))
        return asb_verify_fail(ctx, "span-pinning: object %zu at %p (%zu B): cookie overwritten while live", i,
                               (void *)p, size);
    return ASB_OK;
}

static int sp_run(asb_ctx *ctx) {
    int64_t count = asb_param_i(ctx, "count"), size = asb_param_i(ctx, "size");
    int64_t keep_every = asb_param_i(ctx, "keep_every");
    if (count < 1 || size < 1 || keep_every < 1)
        return asb_fail(ctx, ASB_USAGE, "span-pinning: need count, size and keep_every >= 1");
    size_t n = (size_t)count, survivors = (n + (size_t)keep_every - 1) / (size_t)keep_every;
    unsigned char **objects = malloc(n * sizeof *objects);
    uintptr_t *windows = malloc(survivors * sizeof *windows);
    free(survivor_table);
    survivor_table = malloc(survivors * sizeof *survivor_table);
    if (!objects || !windows || !survivor_table) {
        free(objects);
        free(windows);
        return asb_fail(ctx, ASB_ERROR, "span-pinning: out of memory for %zu pointers", n);
    }
    int status = ASB_OK;
    size_t made = 0;
    asb_live_track(ctx);
    asb_timer_start(ctx);
    for (; made < n; made++) {
        if (!(objects[made] = malloc((size_t)size))) {
            status = asb_fail(ctx, ASB_ERROR, "span-pinning: malloc(%lld) returned NULL", (long long)size);
            break;
        }
        awl_mark(objects[made], (size_t)size, awl_cookie(made, 0, 12));
        asb_live_add(ctx, 0, size);
    }
    long rss_after_alloc = asb_rss_kb(0);
    for (size_t i = 0; i < made && status == ASB_OK; i++) {
        if ((status = sp_check(ctx, objects[i], (size_t)size, i)) != ASB_OK) break;
        if (i % (size_t)keep_every != 0) {
            free(objects[i]);
            asb_live_add(ctx, 0, -size);
        }
    }
    asb_timer_stop(ctx);
    long rss_after_free = asb_rss_kb(0);
    size_t kept = 0;
    for (size_t i = 0; i < made && status == ASB_OK; i += (size_t)keep_every) {
        status = sp_check(ctx, objects[i], (size_t)size, i);
        survivor_table[kept] = objects[i];
        windows[kept++] = (uintptr_t)objects[i] / SPAN_BYTES;
    }
    if (status == ASB_OK) {
        qsort(windows, kept, sizeof *windows, cmp_uintptr);
        size_t pinned = 0;
        for (size_t i = 0; i < kept; i++) pinned += i == 0 || windows[i] != windows[i - 1];
        double live = (double)kept * (double)size;
        asb_report(ctx, "live_bytes", live);
        asb_report(ctx, "pinned_spans", (double)pinned);
        asb_report(ctx, "span_utilisation", pinned ? live / ((double)pinned * SPAN_BYTES) : 0);
        asb_report(ctx, "rss_after_alloc_kb", (double)rss_after_alloc);
        asb_report(ctx, "rss_after_free_kb", (double)rss_after_free);
    }
    asb_count(ctx, made, made, made * (uint64_t)size);
    free(windows);
    free(objects); /* the survivors stay allocated, in survivor_table (see above) */
    return status;
}

static const asb_param_def sp_params[] = {
    {"count", "4194304", "524288", "objects allocated (single-threaded, --threads ignored)"},
    {"size", "12", NULL, "object size in bytes (12 B: the 16-byte size class)"},
    {"keep_every", "512", NULL, "one survivor per this many objects (512 x 16 B = one 8 KiB span)"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload span_pinning = {
    .name = SPAN_PINNING,
    .kind = "alloc",
    .stresses = "fragmentation: one live 12-byte object per 8 KiB span keeps nearly empty spans resident "
                "(final RSS vs live_bytes)",
    .params = sp_params,
    .work_param = "count",
    .run = sp_run,
};
ASB_REGISTER_WORKLOAD(span_pinning)
