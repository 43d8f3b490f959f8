/* test_scavenger.c — retained versus released accounting: fresh memory
 * counts as released, in-use memory as retained, freed memory stays retained
 * until scavenged, gostyle_scavenge_all releases it, and reusing released
 * pages moves them back (and calloc still sees zeros there).  Runs with
 * scavenger=off so that the background thread does not race the figures. */
#include <string.h>

#include "gs_api.h"
#include "gs_test.h"

#define MiB (1u << 20)

int main(void) {
    struct gostyle_stats st;
    void *blocks[8];
    for (int i = 0; i < 8; i++) {
        blocks[i] = gmalloc(2 * MiB);
        memset(blocks[i], 0xee, 2 * MiB);
    }
    gostyle_stats(&st);
    CHECK_EQ(st.heap_retained_bytes, st.heap_sys_bytes - st.heap_released_bytes);
    CHECK_EQ(st.heap_idle_bytes, st.heap_sys_bytes - st.heap_inuse_bytes);
    CHECK(st.heap_inuse_bytes >= 16 * MiB);
    CHECK(st.heap_retained_bytes >= 16 * MiB);
    CHECK_EQ(st.large_objects, 8);
    CHECK_EQ(st.large_bytes, 16 * MiB);
    uint64_t sys = st.heap_sys_bytes;

    for (int i = 0; i < 8; i++) gfree(blocks[i]);
    gostyle_stats(&st);
    CHECK(st.heap_retained_bytes >= 16 * MiB); /* freed, not released */
    CHECK_EQ(st.scavenged_total_bytes, 0);
    CHECK_EQ(st.large_objects, 0);

    uint64_t released = gostyle_scavenge_all();
    gostyle_stats(&st);
    CHECK(released >= 16 * MiB);
    CHECK_EQ(st.scavenged_total_bytes, released);
    CHECK_EQ(st.heap_sys_bytes, sys);
    CHECK(st.heap_retained_bytes <= st.heap_inuse_bytes + (64u << 13) * st.procs); /* page caches */
    CHECK_EQ(gostyle_scavenge_all(), 0);

    /* Reuse the released pages: retained grows back; contents are zero. */
    uint64_t released_before = st.heap_released_bytes;
    unsigned char *again = gcalloc(1, 8 * MiB);
    CHECK(again);
    for (size_t k = 0; k < 8 * MiB; k += 4096) CHECK(again[k] == 0);
    gostyle_stats(&st);
    CHECK(st.heap_released_bytes <= released_before - 8 * MiB);
    gfree(again);
    puts("scavenger: ok");
    return 0;
}
