/*
 * malloc-large.c — large objects (after mimalloc-bench's malloc-large in
 * shared/reference/workloads.md): 20 slots; `iterations` times replace a
 * random slot with a zero-filled buffer of a uniform random size in
 * [5, 25] MiB.  Exercises the allocator's large-object path: mmap/munmap or
 * retained huge pages, and the cost of zeroing.
 *
 * One op = one replacement (free + malloc + zero fill).  Each buffer carries
 * a cookie at its start and end, and zero bytes at every 1 MiB in between,
 * checked before its free.
 *
 * linger_ms > 0 keeps the process alive that long after the last buffer is
 * freed (outside the timed region), reading RSS every 10 ms, so that what
 * the allocator's scavenger returns over time shows in the harness's RSS
 * timeline and in `extra`: linger_base_rss_kb (before the first buffer),
 * linger_start_rss_kb (right after the last free),
 * linger_rss_100ms_kb, linger_rss_1s_kb, linger_rss_end_kb, returned_fraction
 * ((start - end) / (start - base)) and, once RSS is down to half-way
 * between base and start, half_return_ms.  (The Go twin collects first:
 * there a dropped buffer is returned to the heap by a collection.)
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc_util.h"

#define MALLOC_LARGE "malloc-large"
#define MIB ((size_t)1 << 20)

static int ml_release(asb_ctx *ctx, awl_block *b, size_t slot) {
    if (!b->p) return ASB_OK;
    for (size_t off = MIB; off + 1 < b->size; off += MIB)
        if (b->p[off] != 0)
            return asb_verify_fail(ctx, "malloc-large: slot %zu buffer %p (%zu B): byte at +%zu changed while live",
                                   slot, (void *)b->p, b->size, off);
    return awl_block_free(ctx, b, MALLOC_LARGE, 0, slot);
}

#define LINGER_STEP_MS 10

/* Sleep in 10 ms steps for linger_ms, reporting the RSS returned (above). */
static void ml_linger(asb_ctx *ctx, int64_t linger_ms, long base_kb) {
    long start_kb = asb_rss_kb(0), rss = start_kb;
    long half_kb = base_kb + (start_kb - base_kb) / 2;
    uint64_t t0 = asb_now_ns();
    int64_t elapsed_ms = 0;
    bool half_seen = false, at_100ms = false, at_1s = false;
    asb_report(ctx, "linger_base_rss_kb", (double)base_kb);
    asb_report(ctx, "linger_start_rss_kb", (double)start_kb);
    while (elapsed_ms < linger_ms) {
        nanosleep(&(struct timespec){.tv_nsec = LINGER_STEP_MS * 1000000L}, NULL);
        elapsed_ms = (int64_t)((asb_now_ns() - t0) / 1000000);
        rss = asb_rss_kb(0);
        if (!half_seen && rss <= half_kb) {
            half_seen = true;
            asb_report(ctx, "half_return_ms", (double)elapsed_ms);
        }
        if (!at_100ms && elapsed_ms >= 100) {
            at_100ms = true;
            asb_report(ctx, "linger_rss_100ms_kb", (double)rss);
        }
        if (!at_1s && elapsed_ms >= 1000) {
            at_1s = true;
            asb_report(ctx, "linger_rss_1s_kb", (double)rss);
        }
    }
    asb_report(ctx, "linger_rss_end_kb", (double)rss);
    double returnable = (double)(start_kb - base_kb);
    asb_report(ctx, "returned_fraction", returnable > 0 ? (double)(start_kb - rss) / returnable : 0);
}

static int ml_run(asb_ctx *ctx) {
    int64_t iterations = asb_param_i(ctx, "iterations"), nslots = asb_param_i(ctx, "slots");
    int64_t min_mib = asb_param_i(ctx, "min_mib"), max_mib = asb_param_i(ctx, "max_mib");
    int64_t linger_ms = asb_param_i(ctx, "linger_ms");
    if (iterations < 0 || nslots < 1 || min_mib < 1 || max_mib < min_mib || linger_ms < 0)
        return asb_fail(ctx, ASB_USAGE,
                        "malloc-large: need iterations >= 0, slots >= 1, 1 <= min_mib <= max_mib, linger_ms >= 0");
    long base_kb = asb_rss_kb(0);
    awl_block *slots = calloc((size_t)nslots, sizeof *slots);
    if (!slots) return asb_fail(ctx, ASB_ERROR, "malloc-large: out of memory");
    asb_rng rng;
    asb_rng_seed(&rng, (uint64_t)asb_param_i(ctx, "seed"));
    size_t lo = (size_t)min_mib * MIB, span = (size_t)(max_mib - min_mib) * MIB;
    int status = ASB_OK;
    uint64_t bytes = 0;
    int64_t done = 0;
    asb_timer_start(ctx);
    for (; done < iterations && status == ASB_OK; done++) {
        size_t k = (size_t)asb_rng_below(&rng, (uint64_t)nslots);
        if ((status = ml_release(ctx, &slots[k], k)) != ASB_OK) break;
        size_t size = lo + (size_t)asb_rng_below(&rng, span + 1);
        if (!(slots[k].p = malloc(size))) {
            status = asb_fail(ctx, ASB_ERROR, "malloc-large: malloc(%zu) returned NULL", size);
            break;
        }
        /* Zero-fill by hand, as the original program does: the barrier keeps
         * GCC from folding malloc+memset(0) into calloc, which would let an
         * allocator hand out fresh zero pages without touching them. */
        __asm__ __volatile__("" : : "r"(slots[k].p) : "memory");
        memset(slots[k].p, 0, size);
        slots[k].size = size;
        slots[k].cookie = awl_cookie(k, (uint64_t)done, 9);
        awl_mark(slots[k].p, size, slots[k].cookie);
        bytes += size;
    }
    asb_timer_stop(ctx);
    for (size_t k = 0; k < (size_t)nslots && status == ASB_OK; k++) status = ml_release(ctx, &slots[k], k);
    free(slots);
    asb_count(ctx, (uint64_t)done, (uint64_t)done, bytes);
    if (status == ASB_OK && linger_ms > 0) ml_linger(ctx, linger_ms, base_kb);
    return status;
}

static const asb_param_def ml_params[] = {
    {"iterations", "2000", "20", "slot replacements (single-threaded, --threads ignored)"},
    {"slots", "20", NULL, "live buffers"},
    {"min_mib", "5", "1", "smallest buffer in MiB"},
    {"max_mib", "25", "5", "largest buffer in MiB"},
    {"seed", "42", NULL, "random seed"},
    {"linger_ms", "0", NULL, "stay alive this long after the last free, reading RSS every 10 ms (scavenger release)"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload malloc_large = {
    .name = MALLOC_LARGE,
    .kind = "alloc",
    .stresses = "large objects 5-25 MiB: mmap/munmap or retained memory, page faults and zeroing",
    .params = ml_params,
    .work_param = "iterations",
    .run = ml_run,
};
ASB_REGISTER_WORKLOAD(malloc_large)
