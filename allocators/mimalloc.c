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

const asb_backend asb_backend_linked = {
    .name = "mimalloc", .version = mi_ver, .native_stats = mi_native_stats};
