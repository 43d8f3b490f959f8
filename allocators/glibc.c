/* glibc.c — the system allocator (ptmalloc2), the baseline of every table.
 * Native statistics come from mallinfo2(); glibc keeps no lock counters. */
#include <gnu/libc-version.h>
#include <malloc.h>

#include "backend.h"

static const char *glibc_version(void) { return gnu_get_libc_version(); }

static void glibc_stats(asb_stat_emit emit, void *cookie) {
    struct mallinfo2 mi = mallinfo2();
    emit(cookie, "arena_bytes", (double)mi.arena);
    emit(cookie, "mmap_bytes", (double)mi.hblkhd);
    emit(cookie, "in_use_bytes", (double)mi.uordblks);
    emit(cookie, "free_bytes", (double)mi.fordblks);
}

const asb_backend asb_backend_linked = {
    .name = "glibc", .version = glibc_version, .native_stats = glibc_stats};
