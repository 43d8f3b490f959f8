/*
 * mspan.c — span setup (Go's mheap.go: mspan, initSpan).
 *
 * A span is a run of pages holding either objects of one size class or one
 * large object.  Span structs come from the heap's fixalloc (mheap.c) and are
 * recycled; this file only gives a struct its identity.
 */
#include <string.h>

#include "runtime.h"

void gs_span_init_small(gs_mspan *s, int sizeclass, uintptr_t base, uintptr_t npages) {
    uint32_t size = gs_class_to_size[sizeclass];
    s->start = base;
    s->npages = npages;
    s->sizeclass = (uint8_t)sizeclass;
    s->elemsize = size;
    s->nelems = (uint32_t)((npages << GS_PAGE_SHIFT) / size);
    s->limit = base + (uintptr_t)s->nelems * size;
    s->divmul = gs_class_to_divmul[sizeclass];
    s->freeindex = 0;
    s->alloc_count = 0;
    memset(s->alloc_bits, 0, sizeof s->alloc_bits);
    /* The bits past the last object read as allocated, so that allocCache
     * never offers a slot beyond nelems (malloc's fast path relies on it). */
    if (s->nelems % 64) s->alloc_bits[s->nelems / 64] = ~(uint64_t)0 << (s->nelems % 64);
    for (int w = 0; w < GS_SPAN_BITMAP_WORDS; w++) atomic_init(&s->freed[w], 0);
    gs_span_refill_alloc_cache(s, 0);
}

#ifdef GS_DEBUG
void gs_span_check(const gs_mspan *s) {
    gs_assert(s->sizeclass > 0 && s->sizeclass < GS_NUM_SIZE_CLASSES);
    gs_assert(s->elemsize == gs_class_to_size[s->sizeclass] && s->npages == gs_class_to_npages[s->sizeclass]);
    gs_assert(s->nelems == (s->npages << GS_PAGE_SHIFT) / s->elemsize && s->nelems <= GS_MAX_OBJS_PER_SPAN);
    gs_assert(s->limit == s->start + (uintptr_t)s->nelems * s->elemsize);
    gs_assert(s->freeindex <= s->nelems && s->alloc_count <= s->nelems);
    gs_assert(s->nelems % 64 == 0 || (s->alloc_bits[s->nelems / 64] >> (s->nelems % 64)) ==
                                         ~(uint64_t)0 >> (s->nelems % 64)); /* the bits past nelems */
}
#endif

void gs_span_init_large(gs_mspan *s, uintptr_t base, uintptr_t npages) {
    s->start = base;
    s->npages = npages;
    s->sizeclass = 0;
    s->elemsize = 0; /* a large span's size is npages pages */
    s->nelems = 1;
    s->limit = base + (npages << GS_PAGE_SHIFT);
    s->divmul = 0;
    s->freeindex = 1;
    s->alloc_count = 1;
    s->alloc_cache = 0;
    atomic_store_explicit(&s->state, GS_SPAN_LARGE, memory_order_release);
}
