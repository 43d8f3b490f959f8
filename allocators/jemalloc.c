/* jemalloc.c — jemalloc (Debian libjemalloc2).  Native statistics via
 * mallctl: heap figures, and mutex statistics summed over all of jemalloc's
 * global and per-arena mutexes (needs a build with --enable-stats, which
 * Debian's is). */
#include <jemalloc/jemalloc.h>
#include <stdint.h>
#include <stdio.h>

#include "backend.h"

static const char *je_version(void) {
    const char *v = NULL;
    size_t len = sizeof v;
    return mallctl("version", &v, &len, NULL, 0) == 0 ? v : NULL;
}

static int read_u64(const char *name, uint64_t *out) {
    size_t len = sizeof *out;
    return mallctl(name, out, &len, NULL, 0);
}

static int read_size(const char *name, size_t *out) {
    size_t len = sizeof *out;
    return mallctl(name, out, &len, NULL, 0);
}

/* Sum a mutex counter over the global mutexes and every arena's mutexes. */
static void sum_mutex(const char *counter, uint64_t *total) {
    static const char *global[] = {"background_thread", "max_per_bg_thd", "ctl", "prof",
                                   "prof_thds_data", "prof_dump", "prof_recent_alloc",
                                   "prof_recent_dump", "prof_stats"};
    static const char *arena[] = {"large", "extent_avail", "extents_dirty", "extents_muzzy",
                                  "extents_retained", "decay_dirty", "decay_muzzy", "base",
                                  "tcache_list", "hpa_shard", "hpa_shard_grow", "hpa_sec"};
    char name[128];
    uint64_t v;
    for (size_t i = 0; i < sizeof global / sizeof *global; i++) {
        snprintf(name, sizeof name, "stats.mutexes.%s.%s", global[i], counter);
        if (read_u64(name, &v) == 0) *total += v;
    }
    /* MALLCTL_ARENAS_ALL (4096) aggregates all arenas. */
    for (size_t i = 0; i < sizeof arena / sizeof *arena; i++) {
        snprintf(name, sizeof name, "stats.arenas.4096.mutexes.%s.%s", arena[i], counter);
        if (read_u64(name, &v) == 0) *total += v;
    }
}

static void je_stats(asb_stat_emit emit, void *cookie) {
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    mallctl("epoch", &epoch, &len, &epoch, len); /* refresh the statistics */
    size_t sz;
    if (read_size("stats.allocated", &sz) == 0) emit(cookie, "allocated_bytes", (double)sz);
    if (read_size("stats.active", &sz) == 0) emit(cookie, "active_bytes", (double)sz);
    if (read_size("stats.resident", &sz) == 0) emit(cookie, "resident_bytes", (double)sz);
    if (read_size("stats.retained", &sz) == 0) emit(cookie, "retained_bytes", (double)sz);
    uint64_t ops = 0, contended = 0, wait_ns = 0;
    sum_mutex("num_ops", &ops);
    sum_mutex("num_wait", &contended);
    sum_mutex("total_wait_time", &wait_ns);
    emit(cookie, "lock_acquisitions", (double)ops);
    emit(cookie, "lock_contended", (double)contended);
    emit(cookie, "lock_wait_ns", (double)wait_ns);
}

/* Found by the conformance suite and `asbench stress` in Debian's 5.3.0. */
static const asb_known_deviation je_deviations[] = {
    {"page_aligned_apis", "pvalloc", "pvalloc",
     "jemalloc 5.3.0 does not replace pvalloc: glibc's block reaches jemalloc's free and crashes (fixed after 5.3.0)",
     "https://github.com/jemalloc/jemalloc/issues/2246"},
    {0},
};

const asb_backend asb_backend_linked = {
    .name = "jemalloc", .version = je_version, .native_stats = je_stats, .known_deviations = je_deviations};
