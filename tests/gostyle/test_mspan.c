/* test_mspan.c — a span's bitmap machinery: nextFreeIndex over allocCache
 * refills, sweeping freed slots, needzero after a sweep that
 * frees, and object indices through divMul for every byte of every object. */
#include "gs_test.h"
#include "runtime.h"

int main(void) {
    static gs_mspan s;
    for (int c = 1; c < GS_NUM_SIZE_CLASSES; c++) {
        uintptr_t base = (uintptr_t)1 << 40;
        gs_span_init_small(&s, c, base, gs_class_to_npages[c]);
        atomic_store(&s.state, GS_SPAN_CACHED); /* this thread owns it: it may sweep it */
        CHECK_EQ(s.nelems, (gs_class_to_npages[c] << GS_PAGE_SHIFT) / gs_class_to_size[c]);
        /* The bits past the last object read as allocated (malloc's fast
         * path has no bound check), and a sweep keeps them so. */
        if (s.nelems % 64) CHECK_EQ(s.alloc_bits[s.nelems / 64], ~(uint64_t)0 << (s.nelems % 64));
        for (uint32_t i = 0; i < s.nelems; i++) {
            uintptr_t obj = base + (uintptr_t)i * s.elemsize;
            CHECK_EQ(gs_span_obj_index(&s, obj), i);
            CHECK_EQ(gs_span_obj_index(&s, obj + s.elemsize - 1), i);
        }
        /* Every slot is handed out once, in order, then the span is full. */
        for (uint32_t i = 0; i < s.nelems; i++) CHECK_EQ(gs_span_next_free_index(&s), i);
        CHECK_EQ(gs_span_next_free_index(&s), s.nelems);
        s.alloc_count = s.nelems;
        CHECK(!gs_span_has_pending_frees(&s));
        CHECK_EQ(gs_span_sweep(&s), 0);
        CHECK_EQ(s.alloc_count, s.nelems);
        CHECK_EQ(gs_span_next_free_index(&s), s.nelems);
        /* Free the last object: the sweep makes it, and nothing past it, free. */
        atomic_fetch_or(&s.freed[(s.nelems - 1) / 64], (uint64_t)1 << ((s.nelems - 1) % 64));
        CHECK_EQ(gs_span_sweep(&s), 1);
        CHECK_EQ(s.alloc_count, s.nelems - 1);
        if (s.nelems % 64) CHECK_EQ(s.alloc_bits[s.nelems / 64] >> (s.nelems % 64), ~(uint64_t)0 >> (s.nelems % 64));
        CHECK_EQ(gs_span_next_free_index(&s), s.nelems - 1);
        CHECK_EQ(gs_span_next_free_index(&s), s.nelems);
        CHECK_EQ(s.needzero, 1);
        s.needzero = 0; /* the heap sets it for a new span, not span init */
    }

    /* 48-byte class: 170 objects, three 64-bit words. */
    gs_span_init_small(&s, 5, (uintptr_t)1 << 40, 1);
    atomic_store(&s.state, GS_SPAN_CACHED);
    CHECK_EQ(s.nelems, 170);
    CHECK_EQ(s.needzero, 0);
    for (int i = 0; i < 150; i++) gs_span_next_free_index(&s);
    s.alloc_count = 150;
    atomic_fetch_or(&s.freed[0], (uint64_t)1 << 3);     /* remote frees */
    atomic_fetch_or(&s.freed[1], (uint64_t)1 << 36);    /* slot 100 */
    atomic_fetch_or(&s.freed[2], (uint64_t)1 << (140 - 128)); /* slot 140 */
    CHECK(gs_span_has_pending_frees(&s));
    CHECK_EQ(gs_span_pending_frees(&s), 3);
    CHECK_EQ(gs_span_sweep(&s), 3);
    CHECK_EQ(s.alloc_count, 147);
    CHECK_EQ(s.needzero, 1);
    CHECK(!gs_span_has_pending_frees(&s));
    CHECK_EQ(gs_span_next_free_index(&s), 3);
    CHECK_EQ(gs_span_next_free_index(&s), 100);
    CHECK_EQ(gs_span_next_free_index(&s), 140);
    for (uint32_t i = 150; i < 170; i++) CHECK_EQ(gs_span_next_free_index(&s), i);
    CHECK_EQ(gs_span_next_free_index(&s), 170);
    puts("mspan: ok");
    return 0;
}
