/*
 * mcentral.c — the central free lists of one size class (Go's mcentral.go).
 *
 * An mcentral has no lock on its main path (as since Go 1.15): spans with
 * free slots wait in the `partial` span set and spans that were full and have
 * received a free since wait in the `full` set (Go's partial-swept and
 * full-unswept sets).  A span that is full and has received no free since its
 * last sweep is in no set ("parked"): the first free into it moves it to
 * `full`, so nobody has to rescan full spans — Go finds them through the GC
 * sweep instead.
 *
 * cacheSpan (refilling an mcache): pop `partial`, sweeping the span (frees
 * may have arrived since it was pushed); else pop `full` (up to 100 spans,
 * Go's spanBudget), sweep, and keep the first with room; else grow: a fresh
 * span from the heap.  uncacheSpan (the mcache is done with a span): sweep,
 * and then hand an empty span back to the heap, push a span with room to
 * `partial`, or park a full one.
 *
 * Each set is really a pair: pushes go to one of them, pops look at both, and
 * when the current one's 32-bit tail passes 2^31 pushes the other one (long
 * drained) is reset and becomes current — the analogue of Go's per-cycle
 * span-set reset, which needs a GC cycle.
 *
 * Without a P a thread allocates from the mcentral's `direct` span under the
 * mcentral lock (Go's mcache=0 experiment of the seed article; with
 * GOSTYLEDEBUG=mcache=0 every thread does).
 */
#include "runtime.h"

#define SPAN_BUDGET 100
#define FLIP_AT ((uint32_t)1 << 31)

static gs_spanset *push_set(gs_spanset pair[GS_SPANSET_GENS], gs_mcentral *c) {
    uint32_t g = atomic_load_explicit(&c->gen, memory_order_relaxed);
    gs_spanset *cur = &pair[g % GS_SPANSET_GENS];
    uint32_t other = (g + 1) % GS_SPANSET_GENS;
    if (GS_UNLIKELY((uint32_t)atomic_load_explicit(&cur->index, memory_order_relaxed) >= FLIP_AT) &&
        gs_spanset_reset_if_empty(&c->partial[other]) && gs_spanset_reset_if_empty(&c->full[other]))
        atomic_compare_exchange_strong(&c->gen, &g, g + 1);
    return &pair[atomic_load_explicit(&c->gen, memory_order_relaxed) % GS_SPANSET_GENS];
}

static gs_mspan *pop_pair(gs_spanset pair[GS_SPANSET_GENS], gs_mcentral *c) {
    uint32_t g = atomic_load_explicit(&c->gen, memory_order_relaxed);
    gs_mspan *s = gs_spanset_pop(&pair[(g + 1) % GS_SPANSET_GENS]); /* the older one first */
    return s ? s : gs_spanset_pop(&pair[g % GS_SPANSET_GENS]);
}

static void push_partial(gs_mcentral *c, gs_mspan *s) {
    atomic_store_explicit(&s->state, GS_SPAN_PARTIAL, memory_order_relaxed);
    gs_spanset_push(push_set(c->partial, c), s);
}

/* Park a full span.  A free that set its bit after our sweep looked and
 * before the state says PARKED_FULL saw the span as cached and did not queue
 * it; so look again after publishing the state (both sides use seq_cst). */
static void park_full(gs_mcentral *c, gs_mspan *s) {
    atomic_store_explicit(&s->state, GS_SPAN_PARKED_FULL, memory_order_seq_cst);
    if (!gs_span_has_pending_frees(s)) return;
    uint8_t expect = GS_SPAN_PARKED_FULL;
    if (atomic_compare_exchange_strong(&s->state, &expect, GS_SPAN_FULL_UNSWEPT))
        gs_spanset_push(push_set(c->full, c), s);
}

gs_mspan *gs_mcentral_cache_span(gs_mcentral *c, gs_p *p) {
    gs_mspan *s = pop_pair(c->partial, c);
    if (s) {
        gs_assert(atomic_load_explicit(&s->state, memory_order_relaxed) == GS_SPAN_PARTIAL);
        /* Swept when it was pushed; sweep again only for frees since. */
        if (gs_span_has_pending_frees(s)) gs_span_sweep(s);
        goto have_span;
    }
    for (int budget = SPAN_BUDGET; budget > 0 && (s = pop_pair(c->full, c)); budget--) {
        gs_assert(atomic_load_explicit(&s->state, memory_order_relaxed) == GS_SPAN_FULL_UNSWEPT);
        gs_span_sweep(s);
        if (s->alloc_count < s->nelems) goto have_span;
        park_full(c, s);
    }
    s = gs_heap_alloc_span(gs_class_to_npages[c->sizeclass], c->sizeclass, p);
    if (!s) return NULL;
    gs_assert(atomic_load_explicit(&s->state, memory_order_relaxed) == GS_SPAN_DEAD && s->alloc_count == 0);
have_span:
    /* Go's "span has no free objects" and span class checks. */
    gs_span_check(s);
    gs_assert(s->sizeclass == c->sizeclass && gs_span_of(s->start) == s && gs_span_of(s->limit - 1) == s);
    gs_assert(s->alloc_count < s->nelems && s->freeindex < s->nelems);
    atomic_store_explicit(&s->state, GS_SPAN_CACHED, memory_order_relaxed);
    return s;
}

/* p: the P releasing the span (NULL for the direct slot). */
static void uncache_span(gs_mcentral *c, gs_mspan *s, gs_p *p) {
    /* Go's uncacheSpan checks: a cached span of this class, not empty. */
    gs_assert(atomic_load_explicit(&s->state, memory_order_relaxed) == GS_SPAN_CACHED);
    gs_assert(s->sizeclass == c->sizeclass && s->alloc_count > 0);
    gs_span_sweep(s);
    if (s->alloc_count == 0) gs_heap_free_span(s, p);
    else if (s->alloc_count < s->nelems) push_partial(c, s);
    else park_full(c, s);
}

/* The first free into a parked full span (see gs_mcentral_free_slot):
 * queue it in `full`. */
void gs_mcentral_unpark(gs_mspan *s) {
    uint8_t expect = GS_SPAN_PARKED_FULL;
    if (atomic_compare_exchange_strong(&s->state, &expect, GS_SPAN_FULL_UNSWEPT)) {
        gs_mcentral *c = &gs_heap.central[s->sizeclass];
        gs_spanset_push(push_set(c->full, c), s);
    }
}

/* Allocate from the mcentral's locked slot (no P).  NULL: out of memory. */
void *gs_mcentral_alloc_direct(int sizeclass, bool *needzero) {
    gs_mcentral *c = &gs_heap.central[sizeclass];
    gs_mutex_lock(&c->lock);
    gs_mspan *s = c->direct;
    uint32_t idx = gs_span_next_free_index(s);
    if (idx == s->nelems) {
        if (s != &gs_empty_span) uncache_span(c, s, NULL);
        c->direct = &gs_empty_span;
        s = gs_mcentral_cache_span(c, NULL);
        if (!s) {
            gs_mutex_unlock(&c->lock);
            return NULL;
        }
        c->direct = s;
        idx = gs_span_next_free_index(s);
    }
    s->alloc_count++;
    *needzero = s->needzero;
    void *v = (void *)(s->start + (uintptr_t)idx * s->elemsize);
    gs_mutex_unlock(&c->lock);
    return v;
}

/* mcache.refill for a P: give back the current span, take another.  Returns
 * the new span (NULL: out of memory). */
gs_mspan *gs_mcentral_refill(gs_p *p, int sizeclass) {
    gs_mcentral *c = &gs_heap.central[sizeclass];
    gs_mspan *old = p->alloc[sizeclass];
    p->alloc[sizeclass] = &gs_empty_span;
    if (old != &gs_empty_span) uncache_span(c, old, p);
    gs_mspan *s = gs_mcentral_cache_span(c, p);
    if (s) p->alloc[sizeclass] = s;
    return s;
}
