/* test_pagealloc.c — the page allocator (summaries, chunk search, address-
 * ordered first fit across chunks, scavenged accounting) and the per-P page
 * cache, on a fresh heap. */
#include <string.h>

#include "gs_test.h"
#include "runtime.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void brute_summary(const gs_palloc_chunk *c, uint64_t *start, uint64_t *max, uint64_t *end) {
    uint64_t run = 0, best = 0;
    *start = GS_CHUNK_PAGES;
    for (unsigned i = 0; i < GS_CHUNK_PAGES; i++) {
        if (c->alloc[i / 64] >> (i % 64) & 1) {
            if (*start == GS_CHUNK_PAGES) *start = i;
            run = 0;
        } else if (++run > best) {
            best = run;
        }
    }
    *max = best;
    *end = run;
}

static uint32_t brute_find(const gs_palloc_chunk *c, uint32_t n) {
    uint32_t run = 0;
    for (uint32_t i = 0; i < GS_CHUNK_PAGES; i++) {
        if (c->alloc[i / 64] >> (i % 64) & 1) run = 0;
        else if (++run == n) return i + 1 - n;
    }
    return UINT32_MAX;
}

static void test_summaries(void) {
    uint64_t s, m, e;
    gs_psum_unpack(gs_psum_pack(3, 70, 9), &s, &m, &e);
    CHECK(s == 3 && m == 70 && e == 9);
    gs_psum_unpack(gs_psum_pack(GS_PSUM_MAX, GS_PSUM_MAX, GS_PSUM_MAX), &s, &m, &e);
    CHECK(s == GS_PSUM_MAX && m == GS_PSUM_MAX && e == GS_PSUM_MAX);
    gs_palloc_chunk c;
    for (int round = 0; round < 2000; round++) {
        /* Runs of random length, so that long free runs occur. */
        memset(&c, 0, sizeof c);
        unsigned i = 0;
        bool used = next_rand() & 1;
        while (i < GS_CHUNK_PAGES) {
            unsigned len = 1 + (unsigned)(next_rand() % (round % 3 == 0 ? 200 : 12));
            for (unsigned k = 0; k < len && i < GS_CHUNK_PAGES; k++, i++)
                if (used) c.alloc[i / 64] |= (uint64_t)1 << (i % 64);
            used = !used;
        }
        uint64_t bs, bm, be;
        brute_summary(&c, &bs, &bm, &be);
        gs_psum_unpack(gs_chunk_summarize(&c), &s, &m, &e);
        CHECK_EQ(s, bs);
        CHECK_EQ(m, bm);
        CHECK_EQ(e, be);
        for (uint32_t n = 1; n <= 130; n += 1 + n / 4) CHECK_EQ(gs_chunk_find(&c, n), brute_find(&c, n));
    }
}

int main(void) {
    test_summaries();
    gs_ensure_init();
    gs_pagealloc *pa = &gs_heap.pages;
    uintptr_t scav;
    gs_mutex_lock(&gs_heap.lock);
    CHECK(gs_pagealloc_find(pa, 1) == 0); /* empty heap */
    CHECK(gs_heap_grow_locked(2 * GS_CHUNK_PAGES)); /* two chunks, 8 MiB */
    uintptr_t base = gs_pagealloc_find(pa, 1);
    CHECK(base != 0 && base % GS_CHUNK_BYTES == 0);
    CHECK_EQ(gs_heap.heap_sys, 2 * GS_CHUNK_BYTES);
    CHECK_EQ(gs_heap.heap_released, 2 * GS_CHUNK_BYTES); /* fresh memory counts as released */

    uintptr_t a = gs_pagealloc_alloc(pa, 10, &scav);
    CHECK_EQ(a, base);
    CHECK_EQ(scav, 10);
    uintptr_t b = gs_pagealloc_alloc(pa, 10, &scav);
    uintptr_t c = gs_pagealloc_alloc(pa, 10, &scav);
    CHECK_EQ(b, base + 10 * GS_PAGE_SIZE);
    CHECK_EQ(c, base + 20 * GS_PAGE_SIZE);
    gs_pagealloc_free(pa, b, 10);
    CHECK_EQ(gs_pagealloc_alloc(pa, 4, &scav), b);      /* first fit: the hole */
    CHECK_EQ(scav, 0);                                   /* freed pages were not released */
    CHECK_EQ(gs_pagealloc_alloc(pa, 7, &scav), c + 10 * GS_PAGE_SIZE); /* 6 left in the hole */
    CHECK_EQ(gs_pagealloc_alloc(pa, 6, &scav), b + 4 * GS_PAGE_SIZE);
    /* A run crossing the chunk boundary. */
    uintptr_t big = gs_pagealloc_alloc(pa, GS_CHUNK_PAGES, &scav);
    CHECK_EQ(big, c + 17 * GS_PAGE_SIZE);
    CHECK(big / GS_CHUNK_BYTES != (big + GS_CHUNK_BYTES - 1) / GS_CHUNK_BYTES);
    /* Too big for what is left: not found. */
    uintptr_t left = 2 * GS_CHUNK_PAGES - (30 + 7 + GS_CHUNK_PAGES);
    CHECK(gs_pagealloc_find(pa, left + 1) == 0);
    CHECK(gs_pagealloc_find(pa, left) == big + GS_CHUNK_BYTES);
    /* Free everything: one run of two chunks again. */
    gs_pagealloc_free(pa, base, 30 + 7 + GS_CHUNK_PAGES);
    CHECK_EQ(gs_pagealloc_find(pa, 2 * GS_CHUNK_PAGES), base);
    CHECK(gs_pagealloc_find(pa, 2 * GS_CHUNK_PAGES + 1) == 0);

    /* Page cache: takes the 64-page block holding the lowest free page. */
    CHECK_EQ(gs_pagealloc_alloc(pa, 3, &scav), base);
    gs_pagecache pc = {0};
    CHECK(gs_pagecache_refill(pa, &pc));
    CHECK_EQ(pc.base, base);
    CHECK_EQ(pc.cache, ~(uint64_t)7);
    CHECK_EQ(gs_pagealloc_find(pa, 1), base + 64 * GS_PAGE_SIZE); /* block now owned by the cache */
    CHECK_EQ(gs_pagecache_alloc(&pc, 1, &scav), base + 3 * GS_PAGE_SIZE);
    CHECK_EQ(gs_pagecache_alloc(&pc, 5, &scav), base + 4 * GS_PAGE_SIZE);
    CHECK_EQ(gs_pagecache_alloc(&pc, 60, &scav), 0); /* only 55 left */
    CHECK_EQ(gs_pagecache_alloc(&pc, 55, &scav), base + 9 * GS_PAGE_SIZE);
    CHECK_EQ(pc.cache, 0);
    gs_pagealloc_free(pa, base + 9 * GS_PAGE_SIZE, 55);
    CHECK(gs_pagecache_refill(pa, &pc));
    CHECK_EQ(pc.base, base);
    CHECK_EQ(pc.cache, ~(uint64_t)0x1ff);
    gs_pagecache_flush(pa, &pc);
    CHECK_EQ(pc.cache, 0);
    CHECK_EQ(gs_pagealloc_find(pa, 1), base + 9 * GS_PAGE_SIZE);

    /* Freeing a span into the page cache: an empty cache adopts the span's
     * block; a span outside the block or across its end is refused. */
    CHECK_EQ(gs_pagealloc_alloc(pa, 3, &scav), base + 9 * GS_PAGE_SIZE);
    CHECK(gs_pagecache_free(&pc, base + 9 * GS_PAGE_SIZE, 3));
    CHECK_EQ(pc.base, base);
    CHECK_EQ(pc.cache, (uint64_t)7 << 9);
    CHECK(!gs_pagecache_free(&pc, base + 64 * GS_PAGE_SIZE, 1));
    CHECK(!gs_pagecache_free(&pc, base + 62 * GS_PAGE_SIZE, 4));
    CHECK_EQ(gs_pagecache_alloc(&pc, 3, &scav), base + 9 * GS_PAGE_SIZE);
    CHECK_EQ(scav, 0);
    CHECK(gs_pagecache_free(&pc, base + 9 * GS_PAGE_SIZE, 3));
    gs_pagecache_flush(pa, &pc);
    CHECK_EQ(gs_pagealloc_find(pa, 1), base + 9 * GS_PAGE_SIZE);
    gs_mutex_unlock(&gs_heap.lock);
    puts("pagealloc: ok");
    return 0;
}
