/*
 * mpagecache.c — the per-P page cache (Go's mpagecache.go).
 *
 * A P takes a 64-page aligned block of the heap (the block holding the
 * lowest free page) under the heap lock, and then serves span allocations of
 * fewer than 16 pages from it without any lock: a 64-bit free bitmap and a
 * 64-bit scavenged bitmap.  Flushing returns the still-free pages.
 *
 * Departure from Go: the cache also takes back the pages of a span its P
 * frees when they lie in its block (or when it is empty, adopting the span's
 * block; mheap.c empties it for that when the span lies elsewhere), so that a program that frees and allocates a large object in turn
 * reuses the same pages without the heap lock and the page allocator's
 * summary updates.  Go pays those on each cycle (its large objects die only
 * at GC, far less often than explicit frees).
 */
#include "runtime.h"

bool gs_pagecache_refill(gs_pagealloc *pa, gs_pagecache *c) {
    uintptr_t first = gs_pagealloc_find(pa, 1);
    if (!first) return false;
    uintptr_t base = first & ~((GS_PAGE_CACHE_PAGES << GS_PAGE_SHIFT) - 1);
    uintptr_t ci = base >> GS_CHUNK_SHIFT;
    gs_palloc_chunk *chunk = gs_chunk_of(ci);
    unsigned w = (unsigned)(((base >> GS_PAGE_SHIFT) % GS_CHUNK_PAGES) / 64);
    c->base = base;
    c->cache = ~chunk->alloc[w];
    c->scav = chunk->scavenged[w] & c->cache;
    chunk->alloc[w] = ~(uint64_t)0;
    chunk->scavenged[w] &= ~c->cache;
    gs_pagealloc_update(pa, ci, ci);
    return true;
}

/* Lowest run of npages free pages in the cache (Go's findBitRange64). */
static unsigned find_bit_range64(uint64_t c, unsigned n) {
    for (unsigned i = 1; i < n && c; i++) c &= c >> 1;
    return c ? (unsigned)__builtin_ctzll(c) : 64;
}

uintptr_t gs_pagecache_alloc(gs_pagecache *c, uintptr_t npages, uintptr_t *scav) {
    if (c->cache == 0) return 0;
    unsigned i = npages == 1 ? (unsigned)__builtin_ctzll(c->cache) : find_bit_range64(c->cache, (unsigned)npages);
    if (i >= 64) return 0;
    uint64_t mask = (npages == 64 ? ~(uint64_t)0 : (((uint64_t)1 << npages) - 1)) << i;
    *scav = (uintptr_t)__builtin_popcountll(c->scav & mask);
    c->cache &= ~mask;
    c->scav &= ~mask;
    return c->base + ((uintptr_t)i << GS_PAGE_SHIFT);
}

bool gs_pagecache_free(gs_pagecache *c, uintptr_t base, uintptr_t npages) {
    uintptr_t block = base & ~((GS_PAGE_CACHE_PAGES << GS_PAGE_SHIFT) - 1);
    uintptr_t first = (base - block) >> GS_PAGE_SHIFT;
    if (first + npages > GS_PAGE_CACHE_PAGES) return false;
    if (c->base != block) {
        if (c->cache) return false;
        c->base = block;
        c->scav = 0;
    }
    c->cache |= (npages == 64 ? ~(uint64_t)0 : (((uint64_t)1 << npages) - 1)) << first;
    return true;
}

/* Give the cache's free pages back to the heap (heap lock held). */
void gs_pagecache_flush(gs_pagealloc *pa, gs_pagecache *c) {
    if (c->cache) {
        uintptr_t ci = c->base >> GS_CHUNK_SHIFT;
        gs_palloc_chunk *chunk = gs_chunk_of(ci);
        unsigned w = (unsigned)(((c->base >> GS_PAGE_SHIFT) % GS_CHUNK_PAGES) / 64);
        chunk->alloc[w] &= ~c->cache;
        chunk->scavenged[w] |= c->scav;
        gs_pagealloc_update(pa, ci, ci);
    }
    c->base = 0;
    c->cache = 0;
    c->scav = 0;
}
