/*
 * mpagealloc.c — the page allocator (Go's mpagealloc.go, mpagealloc_64bit.go,
 * mpallocbits.go).
 *
 * The heap's address space is cut into 4 MiB chunks of 512 pages.  Each chunk
 * has a bitmap of allocated pages and a bitmap of scavenged (released) pages,
 * kept in its arena's metadata.  Above the chunks sits an implicit radix tree
 * of summaries, five levels on 64-bit: level 4 has one summary per chunk and
 * each level above summarises 8 entries of the level below (level 0 has 2^14
 * entries covering 16 GiB each).  A summary packs three 21-bit counts: free
 * pages at the start, the longest free run, free pages at the end.
 *
 * find() walks the tree from the root, left to right, so the result is the
 * lowest address that fits (address-ordered first fit): a run may begin at
 * the end of one entry and continue into the next, and descending is needed
 * only when an entry's longest run fits.  Summary memory is reserved
 * PROT_NONE for the whole address space and mapped as the heap grows.
 * All of this runs under the heap lock.
 */
#include <string.h>

#include "runtime.h"

static const int level_bits[GS_SUMMARY_LEVELS] = {14, 3, 3, 3, 3};
static const int level_log_entries[GS_SUMMARY_LEVELS] = {14, 17, 20, 23, 26};
/* log2 of the chunks one entry of a level covers. */
static int level_log_chunks(int l) { return level_log_entries[GS_SUMMARY_LEVELS - 1] - level_log_entries[l]; }
static uint64_t entry_pages(int l) { return GS_CHUNK_PAGES << level_log_chunks(l); }

gs_psum gs_psum_pack(uint64_t start, uint64_t max, uint64_t end) {
    if (max == GS_PSUM_MAX) return (uint64_t)1 << 63;
    return start | (max << GS_PSUM_BITS) | (end << (2 * GS_PSUM_BITS));
}

void gs_psum_unpack(gs_psum s, uint64_t *start, uint64_t *max, uint64_t *end) {
    if (s >> 63) {
        *start = *max = *end = GS_PSUM_MAX;
        return;
    }
    uint64_t mask = GS_PSUM_MAX - 1;
    *start = s & mask;
    *max = (s >> GS_PSUM_BITS) & mask;
    *end = (s >> (2 * GS_PSUM_BITS)) & mask;
}

gs_palloc_chunk *gs_chunk_of(uintptr_t ci) {
    gs_heap_arena *a = gs_arena_of(ci << GS_CHUNK_SHIFT);
    return &a->chunks[ci % GS_CHUNKS_PER_ARENA];
}

static uintptr_t chunk_base(uintptr_t ci) { return ci << GS_CHUNK_SHIFT; }

/* Summary of one chunk's allocation bitmap (free = 0 bits). */
gs_psum gs_chunk_summarize(const gs_palloc_chunk *c) {
    uint64_t start = 0, max = 0, run = 0;
    bool prefix = true;
    for (unsigned w = 0; w < GS_CHUNK_WORDS; w++) {
        uint64_t bits = c->alloc[w];
        if (bits == 0) {
            run += 64;
            if (prefix) start += 64;
            continue;
        }
        if (bits == ~(uint64_t)0) {
            prefix = false;
            if (run > max) max = run;
            run = 0;
            continue;
        }
        /* Mixed word: free run entering from below, runs inside, run leaving at top. */
        uint64_t low_free = (uint64_t)__builtin_ctzll(bits);
        run += low_free;
        if (prefix) start += low_free, prefix = false;
        if (run > max) max = run;
        uint64_t inner = 0;
        for (unsigned b = (unsigned)low_free; b < 64; b++) {
            if (bits >> b & 1) {
                if (inner > max) max = inner;
                inner = 0;
            } else {
                inner++;
            }
        }
        run = inner; /* the free bits above the highest allocated bit */
    }
    if (run > max) max = run;
    return gs_psum_pack(start, max, run);
}

/* First fit of npages inside one chunk: the page index, or UINT32_MAX. */
uint32_t gs_chunk_find(const gs_palloc_chunk *c, uint32_t npages) {
    if (npages == 1) {
        for (unsigned w = 0; w < GS_CHUNK_WORDS; w++)
            if (~c->alloc[w]) return w * 64 + (uint32_t)__builtin_ctzll(~c->alloc[w]);
        return UINT32_MAX;
    }
    uint32_t run = 0, run_start = 0;
    for (uint32_t i = 0; i < GS_CHUNK_PAGES; i++) {
        uint64_t word = c->alloc[i / 64];
        if (i % 64 == 0 && word == ~(uint64_t)0) { /* skip a full word */
            run = 0;
            i += 63;
            continue;
        }
        if (word >> (i % 64) & 1) {
            run = 0;
            continue;
        }
        if (run++ == 0) run_start = i;
        if (run == npages) return run_start;
    }
    return UINT32_MAX;
}

static gs_psum merge_children(const gs_psum *child, int n, uint64_t child_pages) {
    uint64_t start = 0, max = 0, run = 0;
    bool prefix = true;
    for (int i = 0; i < n; i++) {
        uint64_t s, m, e;
        gs_psum_unpack(child[i], &s, &m, &e);
        if (s == child_pages) {
            run += child_pages;
            if (prefix) start += child_pages;
            continue;
        }
        if (prefix) start += s, prefix = false;
        if (run + s > max) max = run + s;
        if (m > max) max = m;
        run = e;
    }
    if (run > max) max = run;
    return gs_psum_pack(start, max, run);
}

/* Recompute the summaries of chunks [first, last] and of their ancestors. */
void gs_pagealloc_update(gs_pagealloc *pa, uintptr_t first, uintptr_t last) {
    int leaf = GS_SUMMARY_LEVELS - 1;
    for (uintptr_t ci = first; ci <= last; ci++) pa->summary[leaf][ci] = gs_chunk_summarize(gs_chunk_of(ci));
    for (int l = leaf - 1; l >= 0; l--) {
        int shift = level_log_chunks(l);
        int fan = 1 << level_bits[l + 1];
        for (uintptr_t i = first >> shift; i <= last >> shift; i++)
            pa->summary[l][i] = merge_children(&pa->summary[l + 1][i * (uintptr_t)fan], fan, entry_pages(l + 1));
    }
}

void gs_pagealloc_init(gs_pagealloc *pa) {
    for (int l = 0; l < GS_SUMMARY_LEVELS; l++) {
        uintptr_t bytes = ((uintptr_t)1 << level_log_entries[l]) * sizeof(gs_psum);
        pa->summary[l] = gs_sys_reserve(bytes, 4096);
        if (!pa->summary[l]) gs_throw("cannot reserve page-allocator summaries");
    }
    pa->start_chunk = pa->end_chunk = 0;
    /* Level 0 is small (128 KiB) and scanned across the whole heap range, so
     * it is mapped at once; the levels below are mapped as chunks appear. */
    if (!gs_sys_map(pa->summary[0], ((uintptr_t)1 << level_log_entries[0]) * sizeof(gs_psum)))
        gs_throw("cannot map page-allocator summaries");
}

/* New memory [base, base+size) joins the heap: free and, being untouched,
 * counted as scavenged (as Go does). */
void gs_pagealloc_grow(gs_pagealloc *pa, uintptr_t base, uintptr_t size) {
    uintptr_t first = base >> GS_CHUNK_SHIFT, last = (base + size - 1) >> GS_CHUNK_SHIFT;
    for (int l = 0; l < GS_SUMMARY_LEVELS; l++) {
        int shift = level_log_chunks(l);
        uintptr_t lo = ((uintptr_t)&pa->summary[l][first >> shift]) & ~(uintptr_t)4095;
        uintptr_t hi = ((uintptr_t)&pa->summary[l][(last >> shift) + 1] + 4095) & ~(uintptr_t)4095;
        if (!gs_sys_map((void *)lo, hi - lo)) gs_throw("out of memory for page-allocator summaries");
    }
    for (uintptr_t ci = first; ci <= last; ci++) {
        gs_palloc_chunk *c = gs_chunk_of(ci);
        memset(c->alloc, 0, sizeof c->alloc);
        memset(c->scavenged, 0xff, sizeof c->scavenged);
        gs_arena_of(chunk_base(ci))->grown_chunks |= 1u << (ci % GS_CHUNKS_PER_ARENA);
    }
    if (pa->end_chunk == 0) {
        pa->start_chunk = first;
        pa->end_chunk = last + 1;
    } else {
        if (first < pa->start_chunk) pa->start_chunk = first;
        if (last + 1 > pa->end_chunk) pa->end_chunk = last + 1;
    }
    gs_pagealloc_update(pa, first, last);
}

uintptr_t gs_pagealloc_find(gs_pagealloc *pa, uintptr_t npages) {
    if (pa->end_chunk == 0) return 0;
    uintptr_t run = 0, run_base = 0;
    /* Level 0 entries covering the heap. */
    uintptr_t lo = pa->start_chunk >> level_log_chunks(0);
    uintptr_t hi = ((pa->end_chunk - 1) >> level_log_chunks(0)) + 1;
    for (int l = 0; l < GS_SUMMARY_LEVELS; l++) {
        uint64_t pages = entry_pages(l);
        int log_bytes = level_log_chunks(l) + GS_CHUNK_SHIFT;
        bool descended = false;
        for (uintptr_t j = lo; j < hi; j++) {
            uint64_t s, m, e;
            gs_psum_unpack(pa->summary[l][j], &s, &m, &e);
            uintptr_t entry_base = j << log_bytes;
            if (run + s >= npages) return run ? run_base : entry_base;
            if (m >= npages) {
                if (l == GS_SUMMARY_LEVELS - 1) {
                    uint32_t i = gs_chunk_find(gs_chunk_of(j), (uint32_t)npages);
                    return entry_base + ((uintptr_t)i << GS_PAGE_SHIFT);
                }
                lo = j << level_bits[l + 1];
                hi = lo + ((uintptr_t)1 << level_bits[l + 1]);
                descended = true;
                break;
            }
            if (s == pages) {
                if (run == 0) run_base = entry_base;
                run += pages;
            } else {
                run = e;
                run_base = entry_base + ((pages - e) << GS_PAGE_SHIFT);
            }
        }
        if (!descended) return 0;
    }
    return 0;
}

/* Sets (allocate) or clears (free) the alloc bits of [base, base+npages),
 * one 64-page word at a time, and updates the summaries of the chunks it
 * touched.  Allocating also clears the scavenged bits and returns how many
 * pages were released (they will fault in again). */
static uintptr_t mark_range(gs_pagealloc *pa, uintptr_t base, uintptr_t npages, bool allocate) {
    uintptr_t scavenged = 0;
    uintptr_t first = base >> GS_CHUNK_SHIFT, last = (base + (npages << GS_PAGE_SHIFT) - 1) >> GS_CHUNK_SHIFT;
    uintptr_t page = (base >> GS_PAGE_SHIFT) % GS_CHUNK_PAGES, left = npages;
    for (uintptr_t ci = first; ci <= last; ci++) {
        gs_palloc_chunk *c = gs_chunk_of(ci);
        while (left && page < GS_CHUNK_PAGES) {
            unsigned w = (unsigned)(page / 64), b = (unsigned)(page % 64);
            unsigned n = 64 - b < left ? 64 - b : (unsigned)left;
            uint64_t mask = (n == 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1)) << b;
            if (allocate) {
                c->alloc[w] |= mask;
                scavenged += (uintptr_t)__builtin_popcountll(c->scavenged[w] & mask);
                c->scavenged[w] &= ~mask;
            } else {
                c->alloc[w] &= ~mask;
            }
            page += n;
            left -= n;
        }
        page = 0;
    }
    gs_pagealloc_update(pa, first, last);
    return scavenged;
}

/* Mark [base, base+npages) allocated; *scav counts pages that were released. */
void gs_pagealloc_alloc_range(gs_pagealloc *pa, uintptr_t base, uintptr_t npages, uintptr_t *scav) {
    *scav = mark_range(pa, base, npages, true);
}

uintptr_t gs_pagealloc_alloc(gs_pagealloc *pa, uintptr_t npages, uintptr_t *scav) {
    uintptr_t base = gs_pagealloc_find(pa, npages);
    if (base) gs_pagealloc_alloc_range(pa, base, npages, scav);
    return base;
}

void gs_pagealloc_free(gs_pagealloc *pa, uintptr_t base, uintptr_t npages) {
    mark_range(pa, base, npages, false);
}
