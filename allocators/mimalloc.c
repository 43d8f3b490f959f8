/* mimalloc.c — Microsoft's mimalloc (Debian libmimalloc2).  Native
 * statistics via mi_process_info (mimalloc keeps no lock counters: it has
 * almost no locks). */
#include <mimalloc.h>
#include <stdio.h>

#include "backend.h"

static const char *mi_ver(void) {
    static char buf[16];
    int v = mi_version();
    snprintf(buf, sizeof buf, "%d.%d.%d", v / 100, (v / 10) % 10, v % 10);
    return buf;
}

static void mi_native_stats(asb_stat_emit emit, void *cookie) {
    size_t elapsed, user, sys, rss, peak_rss, commit, peak_commit, faults;
    mi_process_info(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
    emit(cookie, "committed_bytes", (double)commit);
    emit(cookie, "peak_committed_bytes", (double)peak_commit);
}

/* Found by the conformance suite and `asbench stress` in Debian's 2.0.9. */
static const char misaligned[] =
    "mimalloc 2.0.9: a block of A bytes aligned to A = 256, 512 or 1024 is 128-byte aligned only (fixed after 2.0.9)";
static const char no_errno[] = "mimalloc 2.0.9: a request it cannot serve returns NULL without errno = ENOMEM";
static const char issue_700[] = "https://github.com/microsoft/mimalloc/issues/700";
static const char issue_1135[] = "https://github.com/microsoft/mimalloc/issues/1135";
static const asb_known_deviation mi_deviations[] = {
    {"aligned_apis", "posix_memalign", "posix_memalign", misaligned, issue_700},
    {"aligned_apis", "aligned_alloc", "aligned_alloc", misaligned, issue_700},
    {"aligned_apis", "memalign", "memalign", misaligned, issue_700},
    {"calloc", "overflow_sets_errno", NULL, no_errno, issue_1135},
    {"huge_malloc", "sets_errno", NULL, no_errno, issue_1135},
    {0},
};

const asb_backend asb_backend_linked = {
    .name = "mimalloc", .version = mi_ver, .native_stats = mi_native_stats, .known_deviations = mi_deviations};
