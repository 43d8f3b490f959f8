/* gostyle.c — the Go-style span allocator built in allocators/gostyle
 * (libgostyle.so).  Native statistics from gostyle_stats(): lock counters
 * summed over the heap, span-set spine, mcentral, block-pool and scavenger
 * locks, and heap, scavenger and object figures. */
#include "backend.h"
#include "gostyle.h"

static void gs_backend_stats(asb_stat_emit emit, void *cookie) {
    struct gostyle_stats st;
    gostyle_stats(&st);
    emit(cookie, "lock_acquisitions", (double)st.all_locks.acquisitions);
    emit(cookie, "lock_contended", (double)st.all_locks.contended);
    emit(cookie, "lock_wait_ns", (double)st.all_locks.wait_ns);
    emit(cookie, "heap_lock_acquisitions", (double)st.heap_lock.acquisitions);
    emit(cookie, "spine_lock_acquisitions", (double)st.spine_locks.acquisitions);
    emit(cookie, "central_lock_acquisitions", (double)st.central_locks.acquisitions);
    emit(cookie, "heap_sys_bytes", (double)st.heap_sys_bytes);
    emit(cookie, "heap_inuse_bytes", (double)st.heap_inuse_bytes);
    emit(cookie, "heap_idle_bytes", (double)st.heap_idle_bytes);
    emit(cookie, "heap_released_bytes", (double)st.heap_released_bytes);
    emit(cookie, "heap_retained_bytes", (double)st.heap_retained_bytes);
    emit(cookie, "scavenged_bytes", (double)st.scavenged_total_bytes);
    emit(cookie, "live_objects", (double)st.live_objects);
    emit(cookie, "live_bytes", (double)st.live_bytes);
    emit(cookie, "small_span_bytes", (double)st.small_span_bytes);
    emit(cookie, "span_utilisation", st.span_utilisation);
}

const asb_backend asb_backend_linked = {
    .name = "gostyle", .version = gostyle_version, .native_stats = gs_backend_stats};
