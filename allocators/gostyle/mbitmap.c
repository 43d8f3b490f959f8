/*
 * mbitmap.c — a span's allocation bitmap and the bits that free() sets
 * (Go's mbitmap.go: allocBits, allocCache, nextFreeIndex, refillAllocCache;
 * and the bitmap half of mgcsweep.go's span sweep).
 *
 * allocBits has one bit per object slot: 1 = allocated as of the last sweep.
 * Slots below freeindex are allocated whatever their bit says: the mcache hands
 * them out by advancing freeindex, without touching allocBits.  allocCache is
 * the complement of the 64 allocBits starting at freeindex's 64-bit word,
 * shifted so that bit 0 is freeindex, so the next free slot is one ctz away.
 *
 * Go frees through the garbage collector: the sweep replaces allocBits with
 * gcmarkBits.  Here free() records the dead slot instead, with an atomic OR
 * into `freed` (Go's GC sets mark bits with atomic ORs too), and the sweep
 * clears those slots from allocBits.
 */
#include "runtime.h"

void gs_span_refill_alloc_cache(gs_mspan *s, uint32_t word) {
    s->alloc_cache = ~s->alloc_bits[word];
}

/* Go's nextFreeIndex: the next free slot at or after freeindex, or nelems. */
uint32_t gs_span_next_free_index(gs_mspan *s) {
    uint32_t sfreeindex = s->freeindex, snelems = s->nelems;
    gs_assert(sfreeindex <= snelems);
    if (sfreeindex == snelems) return snelems;
    uint64_t cache = s->alloc_cache;
    while (cache == 0) {
        /* Move to the next 64-slot word. */
        sfreeindex = (sfreeindex + 64) & ~63u;
        if (sfreeindex >= snelems) {
            s->freeindex = snelems;
            return snelems;
        }
        gs_span_refill_alloc_cache(s, sfreeindex / 64);
        cache = s->alloc_cache;
    }
    uint32_t bit = (uint32_t)__builtin_ctzll(cache);
    uint32_t result = sfreeindex + bit;
    if (result >= snelems) {
        s->freeindex = snelems;
        return snelems;
    }
    s->alloc_cache = (cache >> bit) >> 1; /* a shift by 64 would be undefined */
    sfreeindex = result + 1;
    if (sfreeindex % 64 == 0 && sfreeindex != snelems) gs_span_refill_alloc_cache(s, sfreeindex / 64);
    s->freeindex = sfreeindex;
    return result;
}

static uint32_t bitmap_words(const gs_mspan *s) { return (s->nelems + 63) / 64; }

bool gs_span_has_pending_frees(gs_mspan *s) {
    for (uint32_t w = 0; w < bitmap_words(s); w++)
        if (atomic_load_explicit(&s->freed[w], memory_order_relaxed)) return true;
    return false;
}

/* Slots freed but not yet swept (for statistics). */
uint32_t gs_span_pending_frees(gs_mspan *s) {
    uint32_t n = 0;
    for (uint32_t w = 0; w < bitmap_words(s); w++)
        n += (uint32_t)__builtin_popcountll(atomic_load_explicit(&s->freed[w], memory_order_relaxed));
    return n;
}

/* Go's "mspan.sweep: bad span state": only a span being cached or uncached
 * is swept, never a parked, dead or large one. */
static inline bool sweepable(uint8_t state) {
    return state == GS_SPAN_CACHED || state == GS_SPAN_PARTIAL || state == GS_SPAN_FULL_UNSWEPT;
}

/*
 * Sweep a small span that this thread owns exclusively (it is being cached
 * or uncached): fold the slots handed out since the last sweep into
 * allocBits, clear the freed slots, recount, and restart allocation at slot 0.
 * Frees that other threads OR into `freed` concurrently either make it into
 * this sweep or stay for the next one.
 */
uint32_t gs_span_sweep(gs_mspan *s) {
    gs_assert(sweepable(atomic_load_explicit(&s->state, memory_order_relaxed)));
    gs_span_check(s);
    uint32_t words = bitmap_words(s);
    uint32_t below = s->freeindex, allocated = s->alloc_count;
    for (uint32_t w = 0; w < below / 64; w++) s->alloc_bits[w] = ~(uint64_t)0;
    if (below % 64) s->alloc_bits[below / 64] |= ((uint64_t)1 << (below % 64)) - 1;
    uint32_t nfreed = 0, count = 0;
    for (uint32_t w = 0; w < words; w++) {
        uint64_t dead = 0;
        if (atomic_load_explicit(&s->freed[w], memory_order_relaxed))
            dead = atomic_exchange_explicit(&s->freed[w], 0, memory_order_acq_rel);
        if (dead) {
            nfreed += (uint32_t)__builtin_popcountll(dead & s->alloc_bits[w]);
            s->alloc_bits[w] &= ~dead;
        }
        count += (uint32_t)__builtin_popcountll(s->alloc_bits[w]);
    }
    if (s->nelems % 64) { /* bits past the last object never count */
        uint64_t valid = ((uint64_t)1 << (s->nelems % 64)) - 1;
        count -= (uint32_t)__builtin_popcountll(s->alloc_bits[words - 1] & ~valid);
    }
    /* Every slot handed out is counted, so the recount is the count less the
     * slots freed (Go checks "sweep increased allocation count"). */
    gs_assert(count == allocated - nfreed && count <= s->nelems);
    s->alloc_count = count;
    s->freeindex = 0;
    gs_span_refill_alloc_cache(s, 0);
    if (nfreed) s->needzero = 1;
    return nfreed;
}
