/*
 * mcache.c — the per-P span cache (Go's mcache.go).
 *
 * mcache.alloc[class] is the span a P allocates from; the fast path
 * (nextFreeFast, inlined in malloc.c) takes the next free slot with one ctz of
 * allocCache.  When the span runs out, refill gives it back to its mcentral
 * and takes another.  Freeing into a span the P caches is a plain store into
 * the span's local_freed bitmap (see mbitmap.c); the slot becomes reusable
 * when the span is next swept.
 *
 * With GOSTYLEDEBUG=freegc=1 (Go master's freegc experiment, design 74299) a
 * P also keeps a LIFO of freed objects per class, popped before the bitmap;
 * freed objects stay allocated in their span while listed.
 */
#include "runtime.h"

gs_mspan gs_empty_span;
uint32_t gs_freegc_cap[GS_NUM_SPAN_CLASSES];

void *gs_mcache_refill_alloc(gs_p *p, int sizeclass, bool *needzero) {
    gs_mspan *s = p->alloc[sizeclass];
    uint32_t idx = gs_span_next_free_index(s);
    if (idx == s->nelems) {
        s = gs_mcentral_refill(p, sizeclass);
        if (!s) return NULL;
        idx = gs_span_next_free_index(s);
    }
    s->alloc_count++;
    *needzero = s->needzero;
    return (void *)(s->start + (uintptr_t)idx * s->elemsize);
}
