/*
 * mheap.c — the page heap (Go's mheap.go, with the arena bookkeeping of
 * malloc.go).
 *
 * One global heap protected by one lock owns all pages.  Address space is
 * reserved in 64 MiB arenas (PROT_NONE) and mapped into the heap 4 MiB at a
 * time as it grows.  Each arena has a heapArena record: the page → span map
 * used by free() (an arena map indexed by address / 64 MiB leads to it), the
 * page allocator's chunk bitmaps, and zeroedBase, below which pages may be
 * dirty (Go's needzero logic; calloc skips zeroing above it).
 *
 * allocSpan takes pages for spans of fewer than 16 pages from the P's page
 * cache without the lock, and everything else from the page allocator under
 * the lock.  Span structs come from a per-P cache of 128 entries refilled
 * from the heap's fixalloc.  freeSpan returns the pages under the lock, or
 * (a departure) a span of under 16 pages to the P's page cache.
 */
#include <string.h>

#include "runtime.h"

gs_mheap gs_heap;
_Atomic(gs_heap_arena *) gs_arena_map[GS_ARENA_MAP_ENTRIES];

void gs_heap_init(void) {
    gs_mutex_init(&gs_heap.lock);
    gs_pagealloc_init(&gs_heap.pages);
    for (int i = 0; i < GS_NUM_SPAN_CLASSES; i++) {
        gs_mcentral *c = &gs_heap.central[i];
        c->sizeclass = i;
        for (int k = 0; k < GS_SPANSET_GENS; k++) {
            gs_spanset_init(&c->partial[k]);
            gs_spanset_init(&c->full[k]);
        }
        gs_mutex_init(&c->lock);
        c->direct = &gs_empty_span;
    }
}

/* ---- span structs: fixalloc + per-P cache -------------------------------- */

#define SPAN_CHUNK_BYTES ((uintptr_t)256 << 10)

static gs_mspan *span_struct_alloc_locked(void) {
    gs_mspan *s = gs_heap.free_spans;
    if (s) {
        gs_heap.free_spans = s->next;
        return s;
    }
    if (gs_heap.span_chunk_next + sizeof(gs_mspan) > gs_heap.span_chunk_end) {
        gs_heap.span_chunk_next = (uintptr_t)gs_sys_alloc(SPAN_CHUNK_BYTES);
        gs_heap.span_chunk_end = gs_heap.span_chunk_next + SPAN_CHUNK_BYTES;
    }
    s = (gs_mspan *)gs_heap.span_chunk_next;
    gs_heap.span_chunk_next += sizeof(gs_mspan);
    return s;
}

static void span_struct_free_locked(gs_mspan *s, gs_p *p) {
    if (p && p->nmspancache < GS_MSPAN_CACHE_SIZE) {
        p->mspancache[p->nmspancache++] = s;
        return;
    }
    s->next = gs_heap.free_spans;
    gs_heap.free_spans = s;
}

/* Go's tryAllocMSpan / allocMSpanLocked: refill half the P cache at a time. */
static void mspancache_refill_locked(gs_p *p) {
    while (p->nmspancache < GS_MSPAN_CACHE_SIZE / 2) p->mspancache[p->nmspancache++] = span_struct_alloc_locked();
}

/* ---- growth -------------------------------------------------------------- */

static bool add_to_heap_locked(uintptr_t v, uintptr_t size) {
    if (!gs_sys_map((void *)v, size)) return false;
    gs_pagealloc_grow(&gs_heap.pages, v, size);
    atomic_fetch_add_explicit(&gs_heap.heap_sys, size, memory_order_relaxed);
    atomic_fetch_add_explicit(&gs_heap.heap_released, size, memory_order_relaxed);
    return true;
}

bool gs_heap_grow_locked(uintptr_t npages) {
    uintptr_t ask = ((npages << GS_PAGE_SHIFT) + GS_CHUNK_BYTES - 1) & ~(GS_CHUNK_BYTES - 1);
    if (gs_heap.cur_arena_end - gs_heap.cur_arena_next < ask) {
        /* Keep the rest of the current reservation rather than losing it. */
        if (gs_heap.cur_arena_end > gs_heap.cur_arena_next &&
            add_to_heap_locked(gs_heap.cur_arena_next, gs_heap.cur_arena_end - gs_heap.cur_arena_next))
            gs_heap.cur_arena_next = gs_heap.cur_arena_end;
        uintptr_t size = (ask + GS_ARENA_BYTES - 1) & ~(GS_ARENA_BYTES - 1);
        uintptr_t v = (uintptr_t)gs_sys_reserve(size, GS_ARENA_BYTES);
        if (!v) return false;
        if ((v + size - 1) >> GS_HEAP_ADDR_BITS) gs_throw("address beyond the 48-bit heap range");
        for (uintptr_t a = v; a < v + size; a += GS_ARENA_BYTES) {
            gs_heap_arena *ha = gs_sys_alloc(sizeof *ha);
            ha->base = a;
            ha->next = gs_heap.all_arenas;
            gs_heap.all_arenas = ha;
            atomic_store_explicit(&gs_arena_map[a >> GS_ARENA_SHIFT], ha, memory_order_release);
        }
        gs_heap.cur_arena_next = v;
        gs_heap.cur_arena_end = v + size;
    }
    /* The OS may refuse to commit it (overcommit limits): then NULL/ENOMEM. */
    if (!add_to_heap_locked(gs_heap.cur_arena_next, ask)) return false;
    gs_heap.cur_arena_next += ask;
    return true;
}

/* Pages for a span from the page allocator, growing the heap if needed. */
static uintptr_t alloc_pages_locked(uintptr_t npages, uintptr_t *scav) {
    uintptr_t base = gs_pagealloc_alloc(&gs_heap.pages, npages, scav);
    if (base) return base;
    if (!gs_heap_grow_locked(npages)) return 0;
    base = gs_pagealloc_alloc(&gs_heap.pages, npages, scav);
    /* Go scavenges synchronously when growth pushes the heap's retained
     * memory past the goal. */
    if (base && gs_dbg.scavenger != GS_SCAV_OFF) {
        uintptr_t retained = gs_heap_retained(), goal = gs_scavenge_goal();
        if (retained > goal) {
            uintptr_t r = gs_scavenge_locked(retained - goal);
            atomic_fetch_add_explicit(&gs_heap.sync_scavenged, r, memory_order_relaxed);
        }
    }
    return base;
}

/* Go's allocNeedsZero: pages below an arena's zeroedBase may hold old data. */
static bool alloc_needs_zero(uintptr_t base, uintptr_t npages) {
    bool needzero = false;
    uintptr_t end = base + (npages << GS_PAGE_SHIFT);
    while (base < end) {
        gs_heap_arena *a = gs_arena_of(base);
        uintptr_t off = base - a->base;
        uintptr_t arena_end = a->base + GS_ARENA_BYTES;
        uintptr_t lim = (end < arena_end ? end : arena_end) - a->base;
        uintptr_t zeroed = atomic_load_explicit(&a->zeroed_base, memory_order_relaxed);
        for (;;) {
            if (off < zeroed) needzero = true;
            if (lim <= zeroed) break;
            if (atomic_compare_exchange_weak_explicit(&a->zeroed_base, &zeroed, lim, memory_order_relaxed,
                                                      memory_order_relaxed))
                break;
        }
        base = a->base + lim;
    }
    return needzero;
}

static void set_spans(uintptr_t base, uintptr_t npages, gs_mspan *s) {
    for (uintptr_t i = 0; i < npages; i++) {
        uintptr_t addr = base + (i << GS_PAGE_SHIFT);
        gs_heap_arena *a = gs_arena_of(addr);
        uintptr_t page = (addr >> GS_PAGE_SHIFT) & (GS_PAGES_PER_ARENA - 1);
        a->spans[page] = s;
        a->spanclass[page] = s->sizeclass;
    }
}

/*
 * Allocate a span of npages for `sizeclass` (0: a large object).  p is the
 * caller's P when it holds one (for the page cache and the span-struct
 * cache), else NULL.  Returns NULL when the OS refuses memory.
 */
gs_mspan *gs_heap_alloc_span(uintptr_t npages, int sizeclass, gs_p *p) {
    uintptr_t base = 0, scav = 0;
    gs_mspan *s = NULL;
    if (p && gs_dbg.pagecache && npages < GS_PAGE_CACHE_MAX_NPAGES) {
        base = gs_pagecache_alloc(&p->pcache, npages, &scav);
        if (!base || p->nmspancache == 0) {
            gs_mutex_lock(&gs_heap.lock);
            if (!base) {
                gs_pagecache_flush(&gs_heap.pages, &p->pcache);
                if (gs_pagecache_refill(&gs_heap.pages, &p->pcache) ||
                    (gs_heap_grow_locked(npages) && gs_pagecache_refill(&gs_heap.pages, &p->pcache)))
                    base = gs_pagecache_alloc(&p->pcache, npages, &scav);
            }
            if (p->nmspancache == 0) mspancache_refill_locked(p);
            gs_mutex_unlock(&gs_heap.lock);
        }
        if (base) s = p->mspancache[--p->nmspancache];
    }
    if (!base) {
        gs_mutex_lock(&gs_heap.lock);
        base = alloc_pages_locked(npages, &scav);
        if (base) {
            if (p && p->nmspancache == 0) mspancache_refill_locked(p);
            s = p ? p->mspancache[--p->nmspancache] : span_struct_alloc_locked();
        }
        gs_mutex_unlock(&gs_heap.lock);
        if (!base) return NULL;
    }
    atomic_fetch_add_explicit(&gs_heap.heap_inuse, npages << GS_PAGE_SHIFT, memory_order_relaxed);
    if (scav) atomic_fetch_sub_explicit(&gs_heap.heap_released, scav << GS_PAGE_SHIFT, memory_order_relaxed);
    if (sizeclass) gs_span_init_small(s, sizeclass, base, npages);
    else gs_span_init_large(s, base, npages);
    s->needzero = alloc_needs_zero(base, npages);
    set_spans(base, npages, s);
    return s;
}

/* The span's pages are in p's page cache now: its struct goes to p's cache. */
static void freed_to_pagecache(gs_mspan *s, gs_p *p) {
    atomic_fetch_sub_explicit(&gs_heap.heap_inuse, s->npages << GS_PAGE_SHIFT, memory_order_relaxed);
    p->mspancache[p->nmspancache++] = s;
    if (gs_dbg.scavenger == GS_SCAV_BACKGROUND) gs_scavenger_note_free();
}

/*
 * Return a span's pages to the heap.  p: the caller's P if it holds one (and
 * has entered it).  A span under 16 pages then goes back to the P's page
 * cache (see mpagecache.c): without the heap lock when it lies in the cache's
 * block; otherwise the cache gives its pages back and adopts the span's
 * block, so that the next span of this size again needs no lock (a cache
 * left fragmented by long-lived spans would else send every large object of
 * a malloc/free loop through the page allocator).
 */
void gs_heap_free_span(gs_mspan *s, gs_p *p) {
    atomic_store_explicit(&s->state, GS_SPAN_DEAD, memory_order_relaxed);
    bool to_pagecache = p && gs_dbg.pagecache && gs_dbg.scavenger != GS_SCAV_EAGER &&
                        s->npages < GS_PAGE_CACHE_MAX_NPAGES && p->nmspancache < GS_MSPAN_CACHE_SIZE;
    if (to_pagecache && gs_pagecache_free(&p->pcache, s->start, s->npages)) {
        freed_to_pagecache(s, p);
        return;
    }
    gs_mutex_lock(&gs_heap.lock);
    if (to_pagecache) {
        gs_pagecache_flush(&gs_heap.pages, &p->pcache);
        if (gs_pagecache_free(&p->pcache, s->start, s->npages)) {
            gs_mutex_unlock(&gs_heap.lock);
            freed_to_pagecache(s, p);
            return;
        }
    }
    gs_pagealloc_free(&gs_heap.pages, s->start, s->npages);
    atomic_fetch_sub_explicit(&gs_heap.heap_inuse, s->npages << GS_PAGE_SHIFT, memory_order_relaxed);
    if (gs_dbg.scavenger == GS_SCAV_EAGER) gs_scavenge_range_locked(s->start, s->npages);
    else if (gs_dbg.scavenger == GS_SCAV_BACKGROUND) gs_scavenger_note_free();
    span_struct_free_locked(s, p);
    gs_mutex_unlock(&gs_heap.lock);
}
