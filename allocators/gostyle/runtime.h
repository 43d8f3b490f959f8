/*
 * runtime.h — internal declarations shared by the gostyle allocator's files.
 *
 * The allocator mirrors the Go runtime's memory allocator (src/runtime/
 * malloc.go and friends); each .c file names the Go file it follows.  The
 * overview of the whole design is at the top of malloc.c.  Nothing declared
 * here is exported from libgostyle.so: the library is built with
 * -fvisibility=hidden and only malloc.c / mstats.c mark the public API.
 */
#ifndef GOSTYLE_RUNTIME_H
#define GOSTYLE_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sizeclasses.h"

#define GS_LIKELY(x) __builtin_expect(!!(x), 1)
#define GS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define GS_HIDDEN __attribute__((visibility("hidden")))
#define GS_CACHELINE 64
#define GS_STR_(x) #x
#define GS_STR(x) GS_STR_(x)

/* Internal invariants, checked where Go's runtime throws on them (span
 * state, counts and bounds in refill, cacheSpan, uncacheSpan, sweep).  Only
 * in debug and sanitizer builds and the unit tests (meson sets GS_DEBUG):
 * a release build compiles them out and stays as lean as before. */
#ifdef GS_DEBUG
#define gs_assert(cond) \
    (GS_LIKELY(cond) ? (void)0 : gs_throw("assertion failed: " #cond " (" __FILE__ ":" GS_STR(__LINE__) ")"))
#else
#define gs_assert(cond) ((void)sizeof(!(cond)))
#endif

/* ---- Geometry (malloc.go, mpagealloc.go) ---------------------------------- */
#define GS_PAGE_SIZE ((uintptr_t)1 << GS_PAGE_SHIFT)
#define GS_HEAP_ADDR_BITS 48                       /* user address space on amd64 */
#define GS_ARENA_SHIFT 26                          /* heapArenaBytes = 64 MiB */
#define GS_ARENA_BYTES ((uintptr_t)1 << GS_ARENA_SHIFT)
#define GS_PAGES_PER_ARENA (GS_ARENA_BYTES / GS_PAGE_SIZE)
#define GS_ARENA_MAP_ENTRIES ((uintptr_t)1 << (GS_HEAP_ADDR_BITS - GS_ARENA_SHIFT))
#define GS_CHUNK_SHIFT 22                          /* pallocChunkBytes = 4 MiB */
#define GS_CHUNK_BYTES ((uintptr_t)1 << GS_CHUNK_SHIFT)
#define GS_CHUNK_PAGES (GS_CHUNK_BYTES / GS_PAGE_SIZE) /* 512 */
#define GS_CHUNK_WORDS (GS_CHUNK_PAGES / 64)
#define GS_CHUNKS_PER_ARENA (GS_ARENA_BYTES / GS_CHUNK_BYTES)
#define GS_SPAN_BITMAP_WORDS (GS_MAX_OBJS_PER_SPAN / 64)
#define GS_PAGE_CACHE_PAGES 64                     /* pageCachePages */
#define GS_PAGE_CACHE_MAX_NPAGES (GS_PAGE_CACHE_PAGES / 4) /* use the cache below 16 pages */
#define GS_MSPAN_CACHE_SIZE 128                    /* p.mspancache.buf */
#define GS_SCAVENGE_UNIT ((uintptr_t)64 << 10)     /* the scavenger works in 64 KiB */
#define GS_MAX_PROCS 256
#define GS_NUM_SPAN_CLASSES GS_NUM_SIZE_CLASSES     /* noscan only: one span class per size class */

#define GS_SPANSET_GENS 2                          /* each mcentral set is a pair (mcentral.c) */

/* ---- Ablation switches (runtime1.c) -------------------------------------- */
enum gs_scavenger_mode { GS_SCAV_OFF, GS_SCAV_BACKGROUND, GS_SCAV_EAGER };
enum gs_madvise_mode { GS_MADV_DONTNEED, GS_MADV_FREE };

typedef struct gs_debug {
    bool mcache;           /* per-P span caches (0: every allocation locks its mcentral) */
    bool pagecache;        /* per-P page caches for spans under 16 pages */
    bool freegc;           /* per-thread LIFO of freed objects, popped before the bitmap */
    bool printstats;       /* print statistics to stderr at exit */
    int scavenger;         /* enum gs_scavenger_mode */
    int madvise;           /* enum gs_madvise_mode */
    int procs;             /* number of Ps */
    int gcpercent;         /* heap-goal ratio standing in for GOGC */
} gs_debug;

extern gs_debug gs_dbg GS_HIDDEN;
/* Parse a GOSTYLEDEBUG string into *d (defaults first; procs defaults to
 * ncpu).  Returns 0, or -1 with a message naming the unknown key or bad value
 * in err (ASB_DEBUGVARS_ERR_MAX bytes suffice). */
int gs_debug_parse(const char *s, gs_debug *d, int ncpu, char *err, size_t errlen) GS_HIDDEN;

/* ---- Locks with statistics (lock.c) -------------------------------------- */
typedef struct gs_mutex {
    pthread_mutex_t mu;
    uint64_t acquisitions;  /* written under the lock */
    uint64_t contended;
    uint64_t wait_ns;
} gs_mutex;

typedef struct gs_lock_stats {
    uint64_t acquisitions, contended, wait_ns;
} gs_lock_stats;

void gs_mutex_init(gs_mutex *m) GS_HIDDEN;
void gs_mutex_lock(gs_mutex *m) GS_HIDDEN;
void gs_mutex_unlock(gs_mutex *m) GS_HIDDEN;
void gs_mutex_add_stats(const gs_mutex *m, gs_lock_stats *into) GS_HIDDEN;
uint64_t gs_nanotime(void) GS_HIDDEN;

/* ---- OS memory (mem_linux.go) -------------------------------------------- */
void *gs_sys_reserve(uintptr_t size, uintptr_t align) GS_HIDDEN;  /* PROT_NONE */
bool gs_sys_map(void *v, uintptr_t size) GS_HIDDEN;               /* make usable; false: no memory */
void gs_sys_unused(void *v, uintptr_t size) GS_HIDDEN;            /* give back to the OS */
void *gs_sys_alloc(uintptr_t size) GS_HIDDEN;                     /* mapped, zeroed */
void gs_throw(const char *msg) __attribute__((noreturn)) GS_HIDDEN;

typedef struct gs_p gs_p;

/* ---- mspan (mspan.c, mbitmap.c) ------------------------------------------- */
enum gs_span_state {
    GS_SPAN_DEAD = 0,      /* struct free or pages returned to the heap */
    GS_SPAN_CACHED,        /* owned by an mcache (or an mcentral's locked slot) */
    GS_SPAN_PARTIAL,       /* in mcentral.partial: has free slots */
    GS_SPAN_PARKED_FULL,   /* full, in no set, no free seen since its last sweep */
    GS_SPAN_FULL_UNSWEPT,  /* in mcentral.full: was full, has received a free */
    GS_SPAN_LARGE,         /* a large object's span (size class 0) */
};

typedef struct gs_mspan {
    /* The first cache line holds what malloc's and free's fast paths touch:
     * the allocation fields, the fields free() reads, and the first 128 bits
     * of `freed` (every slot of a span of up to 128 objects), so that a free
     * touches one line of the span, not two.  A free from another thread
     * already reads this line while the owner writes it, so the bits add no
     * new line to share. */
    uint64_t alloc_cache;      /* ~alloc_bits from freeindex, shifted (allocCache) */
    uint32_t freeindex;        /* slots below it are allocated */
    uint32_t nelems;
    uintptr_t start;           /* startAddr */
    uint32_t elemsize;
    uint32_t alloc_count;
    uint32_t divmul;           /* index = ((p - start) * divmul) >> 32 */
    uint8_t sizeclass;         /* 0: large */
    uint8_t needzero;          /* memory may be dirty */
    _Atomic uint8_t state;     /* enum gs_span_state */
    /* Freed slots not yet swept: atomic OR by free() (the mirror of
     * gcmarkBits, inverted). */
    _Atomic uint64_t freed[GS_SPAN_BITMAP_WORDS];
    uint64_t alloc_bits[GS_SPAN_BITMAP_WORDS];
    uintptr_t npages;
    uintptr_t limit;           /* end of the last object */
    struct gs_mspan *next;     /* free-struct list link */
} __attribute__((aligned(GS_CACHELINE))) gs_mspan; /* no false sharing between spans */

_Static_assert(offsetof(gs_mspan, state) < offsetof(gs_mspan, freed) &&
                   offsetof(gs_mspan, freed) + 2 * sizeof(uint64_t) <= GS_CACHELINE,
               "gs_mspan's first cache line holds the allocation fields and 128 bits of freed");
_Static_assert(GS_SPAN_BITMAP_WORDS >= 2, "freed has the 128 bits the first cache line is said to hold");

void gs_span_init_small(gs_mspan *s, int sizeclass, uintptr_t base, uintptr_t npages) GS_HIDDEN;
/* gs_assert a small span's geometry, counts and bounds against its size
 * class (debug builds; nothing otherwise). */
#ifdef GS_DEBUG
void gs_span_check(const gs_mspan *s) GS_HIDDEN;
#else
static inline void gs_span_check(const gs_mspan *s) { (void)s; }
#endif
void gs_span_init_large(gs_mspan *s, uintptr_t base, uintptr_t npages) GS_HIDDEN;
uint32_t gs_span_next_free_index(gs_mspan *s) GS_HIDDEN;
void gs_span_refill_alloc_cache(gs_mspan *s, uint32_t word) GS_HIDDEN;
uint32_t gs_span_sweep(gs_mspan *s) GS_HIDDEN;  /* returns objects freed */
uint32_t gs_span_pending_frees(gs_mspan *s) GS_HIDDEN;
bool gs_span_has_pending_frees(gs_mspan *s) GS_HIDDEN;

static inline uint32_t gs_span_obj_index(const gs_mspan *s, uintptr_t p) {
    return (uint32_t)(((uint64_t)(p - s->start) * s->divmul) >> 32);
}

/* ---- mspanset (mspanset.c) ----------------------------------------------- */
#define GS_SPANSET_BLOCK_ENTRIES 512
#define GS_SPANSET_INIT_SPINE_CAP 256

typedef struct gs_spanset_block {
    _Atomic uint32_t popped;   /* entries taken; the block is recycled at 512 */
    struct gs_spanset_block *next_free;
    _Atomic(gs_mspan *) spans[GS_SPANSET_BLOCK_ENTRIES];
} gs_spanset_block;

typedef struct gs_spanset {
    gs_mutex spine_lock;                          /* only to grow the spine */
    _Atomic(_Atomic(gs_spanset_block *) *) spine; /* array of block pointers */
    _Atomic uintptr_t spine_len;
    uintptr_t spine_cap;
    _Atomic uint64_t index;                       /* head << 32 | tail */
} gs_spanset;

void gs_spanset_init(gs_spanset *b) GS_HIDDEN;
void gs_spanset_push(gs_spanset *b, gs_mspan *s) GS_HIDDEN;
gs_mspan *gs_spanset_pop(gs_spanset *b) GS_HIDDEN;
uint32_t gs_spanset_len(gs_spanset *b) GS_HIDDEN;
void gs_spanset_lock_all(void) GS_HIDDEN;     /* fork: every spine lock and the block pool */
void gs_spanset_unlock_all(void) GS_HIDDEN;
void gs_spanset_fork_child_repair(gs_spanset *b) GS_HIDDEN;
bool gs_spanset_reset_if_empty(gs_spanset *b) GS_HIDDEN;
void gs_spanset_pool_stats(gs_lock_stats *into) GS_HIDDEN;

/* ---- mcentral (mcentral.c) ------------------------------------------------ */
typedef struct gs_mcentral {
    int sizeclass;
    /* Spans in `partial` have free slots; spans in `full` were full and have
     * received a free since (Go's partial-swept and full-unswept sets). */
    gs_spanset partial[GS_SPANSET_GENS];
    gs_spanset full[GS_SPANSET_GENS];
    _Atomic uint32_t gen;      /* which of the pair is pushed to, see mcentral.c */
    /* The locked allocation slot used when a thread has no P (and for every
     * thread with GOSTYLEDEBUG=mcache=0): Go's mcentral as a shared cache. */
    gs_mutex lock;
    gs_mspan *direct;
} __attribute__((aligned(GS_CACHELINE))) gs_mcentral;

/* Go's cacheSpan: a span with free slots for an mcache (p: the caller's P)
 * or for the mcentral's locked slot (p NULL). */
gs_mspan *gs_mcentral_cache_span(gs_mcentral *c, gs_p *p) GS_HIDDEN;
gs_mspan *gs_mcentral_refill(gs_p *p, int sizeclass) GS_HIDDEN;
void gs_mcentral_unpark(gs_mspan *s) GS_HIDDEN;
/* free() of a small object: atomic OR into `freed`; the first free into a
 * parked full span queues it (mcentral.c's park_full re-checks after
 * publishing the state; both sides seq_cst). */
static inline void gs_mcentral_free_slot(gs_mspan *s, uint32_t idx) {
    atomic_fetch_or_explicit(&s->freed[idx / 64], (uint64_t)1 << (idx % 64), memory_order_seq_cst);
    if (GS_UNLIKELY(atomic_load_explicit(&s->state, memory_order_seq_cst) == GS_SPAN_PARKED_FULL))
        gs_mcentral_unpark(s);
}
void *gs_mcentral_alloc_direct(int sizeclass, bool *needzero) GS_HIDDEN;

/* ---- page allocator (mpagealloc.c, mpagecache.c) ------------------------- */
typedef struct gs_palloc_chunk {
    uint64_t alloc[GS_CHUNK_WORDS];
    uint64_t scavenged[GS_CHUNK_WORDS];
} gs_palloc_chunk;

#define GS_SUMMARY_LEVELS 5
typedef uint64_t gs_psum;  /* start | max << 21 | end << 42; bit 63: all 2^21 pages free */
#define GS_PSUM_BITS 21
#define GS_PSUM_MAX ((uint64_t)1 << GS_PSUM_BITS)
_Static_assert(3 * GS_PSUM_BITS < 64, "a summary's start, max and end fit below bit 63");

typedef struct gs_pagealloc {
    gs_psum *summary[GS_SUMMARY_LEVELS];
    uintptr_t start_chunk, end_chunk;   /* chunk indices ever grown into [start, end) */
} gs_pagealloc;

void gs_pagealloc_init(gs_pagealloc *pa) GS_HIDDEN;
void gs_pagealloc_grow(gs_pagealloc *pa, uintptr_t base, uintptr_t size) GS_HIDDEN;
/* First fit; returns 0 when no run of npages is free. *scav gets how many of
 * the pages had been released to the OS. */
uintptr_t gs_pagealloc_alloc(gs_pagealloc *pa, uintptr_t npages, uintptr_t *scav) GS_HIDDEN;
void gs_pagealloc_free(gs_pagealloc *pa, uintptr_t base, uintptr_t npages) GS_HIDDEN;
gs_palloc_chunk *gs_chunk_of(uintptr_t chunk_index) GS_HIDDEN;
void gs_pagealloc_update(gs_pagealloc *pa, uintptr_t first_chunk, uintptr_t last_chunk) GS_HIDDEN;
uintptr_t gs_pagealloc_find(gs_pagealloc *pa, uintptr_t npages) GS_HIDDEN;
void gs_pagealloc_alloc_range(gs_pagealloc *pa, uintptr_t base, uintptr_t npages, uintptr_t *scav) GS_HIDDEN;
gs_psum gs_psum_pack(uint64_t start, uint64_t max, uint64_t end) GS_HIDDEN;
void gs_psum_unpack(gs_psum s, uint64_t *start, uint64_t *max, uint64_t *end) GS_HIDDEN;
gs_psum gs_chunk_summarize(const gs_palloc_chunk *c) GS_HIDDEN;
uint32_t gs_chunk_find(const gs_palloc_chunk *c, uint32_t npages) GS_HIDDEN;

typedef struct gs_pagecache {
    uintptr_t base;     /* 64-page aligned, 0 when empty */
    uint64_t cache;     /* 1 = free page */
    uint64_t scav;      /* 1 = page released to the OS */
} gs_pagecache;

/* Fill *c from the heap (heap lock held); false when the heap has no free page. */
bool gs_pagecache_refill(gs_pagealloc *pa, gs_pagecache *c) GS_HIDDEN;
uintptr_t gs_pagecache_alloc(gs_pagecache *c, uintptr_t npages, uintptr_t *scav) GS_HIDDEN;
void gs_pagecache_flush(gs_pagealloc *pa, gs_pagecache *c) GS_HIDDEN;
/* Take back a freed span's pages (in use, not released) if they fit the
 * cache's block; false: they do not, free them to the heap. */
bool gs_pagecache_free(gs_pagecache *c, uintptr_t base, uintptr_t npages) GS_HIDDEN;

/* ---- P and mcache (proc.c, mcache.c) -------------------------------------- */
/* freegc mode: a thread's LIFO of freed objects per class, in its own
 * initial-exec TLS (680 bytes), so that malloc and free reach a list with
 * one TLS access and no pointer to chase.  room counts down from the
 * class's cap (one span's worth of objects), so that free compares with
 * zero instead of loading the cap; it is 0 before the thread registers and
 * after it exits, which sends such a thread's frees to the bitmap, and
 * always 0 for class 0 (large objects), so free needs no class check. */
typedef struct gs_freegc_lists {
    void *head[GS_NUM_SPAN_CLASSES];
    uint16_t room[GS_NUM_SPAN_CLASSES];
} gs_freegc_lists;
extern __thread gs_freegc_lists gs_freegc_tls __attribute__((tls_model("initial-exec"))) GS_HIDDEN;
_Static_assert(sizeof(gs_freegc_lists) == 680, "the freegc lists' TLS size is as documented");

/* A thread as the allocator sees it (Go's M).  M structs are never freed,
 * only recycled, so a thread taking a P over can read its former owner's
 * in_use flag even if that thread has exited. */
typedef struct gs_m {
    _Atomic int in_use;            /* inside an operation on its P */
    struct gs_m *next_free;
    struct gs_m *next_all;         /* every M ever made, for statistics */
    /* The thread's freegc lists while it runs (NULL after it exits), for
     * statistics; read and written under the allm lock. */
    gs_freegc_lists *freegc;
} __attribute__((aligned(GS_CACHELINE))) gs_m;

struct gs_p {
    _Atomic(gs_m *) owner;         /* the M bound to this P, or NULL */
    uint64_t ops;                  /* owner operations, for idleness checks */
    uint64_t ops_seen;             /* ops at the last idleness check */
    gs_mspan *alloc[GS_NUM_SPAN_CLASSES];  /* mcache.alloc */
    gs_pagecache pcache;
    gs_mspan *mspancache[GS_MSPAN_CACHE_SIZE];
    int nmspancache;
} __attribute__((aligned(GS_CACHELINE)));

extern gs_p *gs_allp GS_HIDDEN;
extern gs_mspan gs_empty_span GS_HIDDEN;  /* emptymspan: placeholder in mcache.alloc */
extern bool gs_membarrier_ok GS_HIDDEN;

/* Thread state kept in initial-exec TLS, in one variable so that malloc and
 * free find both with one TLS offset. */
typedef struct gs_tls_state {
    gs_p *p;  /* the P bound to this thread, or NULL */
    gs_m *m;  /* this thread's M, once registered */
} gs_tls_state;
extern __thread gs_tls_state gs_tls __attribute__((tls_model("initial-exec"))) GS_HIDDEN;

void gs_procs_init(void) GS_HIDDEN;
gs_p *gs_acquire_p(void) GS_HIDDEN;        /* bind a P to this thread, or NULL */
void gs_thread_exit(void *unused) GS_HIDDEN;
void gs_seize_all_ps(void) GS_HIDDEN;      /* fork: stop every other P's owner */
void gs_release_seized_ps(bool child) GS_HIDDEN;

/* Enter/leave the P for one operation (see proc.c for the protocol). */
static inline bool gs_p_enter(gs_p *p, gs_m *m) {
    if (GS_LIKELY(gs_membarrier_ok)) {
        atomic_store_explicit(&m->in_use, 1, memory_order_relaxed);
        atomic_signal_fence(memory_order_seq_cst);
    } else {
        atomic_exchange_explicit(&m->in_use, 1, memory_order_seq_cst);
    }
    if (GS_LIKELY(atomic_load_explicit(&p->owner, memory_order_relaxed) == m)) {
        p->ops++;
        return true;
    }
    atomic_store_explicit(&m->in_use, 0, memory_order_release);
    return false;
}
static inline void gs_p_leave(gs_m *m) {
    atomic_store_explicit(&m->in_use, 0, memory_order_release);
}

void *gs_mcache_refill_alloc(gs_p *p, int sizeclass, bool *needzero) GS_HIDDEN;
extern uint16_t gs_freegc_cap[GS_NUM_SPAN_CLASSES] GS_HIDDEN;
/* freegc mode: give this thread's lists their full room (registration). */
void gs_freegc_open(void) GS_HIDDEN;
/* freegc mode: return every object on this thread's lists to its span and
 * take their room away (thread exit). */
void gs_freegc_flush(void) GS_HIDDEN;
/* Objects on every running thread's freegc lists, added per class. */
void gs_freegc_listed(uint64_t per_class[GS_NUM_SPAN_CLASSES]) GS_HIDDEN;

/* ---- mheap (mheap.c) ------------------------------------------------------ */
typedef struct gs_heap_arena {
    gs_mspan *spans[GS_PAGES_PER_ARENA];
    /* Each page's size class (0: large or never used), set with spans[]:
     * the freegc free path finds its list from the arena alone, without
     * the dependent load of the span struct (tcmalloc's pagemap keeps
     * size classes the same way). */
    uint8_t spanclass[GS_PAGES_PER_ARENA];
    _Atomic uintptr_t zeroed_base;  /* bytes from the arena start that were ever used */
    uint32_t grown_chunks;          /* bit k: chunk k is part of the heap */
    gs_palloc_chunk chunks[GS_CHUNKS_PER_ARENA];
    struct gs_heap_arena *next;     /* allarenas */
    uintptr_t base;
} gs_heap_arena;

typedef struct gs_mheap {
    gs_mutex lock;
    gs_pagealloc pages;
    uintptr_t cur_arena_next, cur_arena_end;   /* unmapped rest of the current reservation */
    gs_heap_arena *all_arenas;
    gs_mspan *free_spans;                      /* fixalloc free list */
    uintptr_t span_chunk_next, span_chunk_end; /* fixalloc bump region */
    /* Byte counts (see mstats.c); atomics because the page-cache path updates
     * them without the heap lock. */
    _Atomic uintptr_t heap_sys;       /* mapped for the heap */
    _Atomic uintptr_t heap_inuse;     /* in spans */
    _Atomic uintptr_t heap_released;  /* free and returned to the OS */
    _Atomic uint64_t released_total;  /* cumulative bytes scavenged */
    _Atomic uint64_t sync_scavenged;  /* of those, released synchronously */
    gs_mcentral central[GS_NUM_SPAN_CLASSES];
} gs_mheap;

extern gs_mheap gs_heap GS_HIDDEN;
/* The arena map: arena index (address / 64 MiB) → heapArena.  A static
 * array (32 MiB of zero pages until touched), so that free() works before the
 * first malloc. */
extern _Atomic(gs_heap_arena *) gs_arena_map[GS_ARENA_MAP_ENTRIES] GS_HIDDEN;
_Static_assert(sizeof gs_arena_map == (size_t)32 << 20, "the arena map is 32 MiB, as documented");

void gs_heap_init(void) GS_HIDDEN;
gs_mspan *gs_heap_alloc_span(uintptr_t npages, int sizeclass, gs_p *p) GS_HIDDEN;
void gs_heap_free_span(gs_mspan *s, gs_p *p) GS_HIDDEN;
bool gs_heap_grow_locked(uintptr_t npages) GS_HIDDEN;

static inline gs_heap_arena *gs_arena_of(uintptr_t p) {
    if (GS_UNLIKELY(p >> GS_HEAP_ADDR_BITS)) return NULL;
    return atomic_load_explicit(&gs_arena_map[p >> GS_ARENA_SHIFT], memory_order_relaxed);
}
static inline gs_mspan *gs_span_of(uintptr_t p) {
    gs_heap_arena *a = gs_arena_of(p);
    if (GS_UNLIKELY(!a)) return NULL;
    return a->spans[(p >> GS_PAGE_SHIFT) & (GS_PAGES_PER_ARENA - 1)];
}

/* ---- scavenger (mgcscavenge.c) ------------------------------------------- */
uintptr_t gs_scavenge_goal(void) GS_HIDDEN;
uintptr_t gs_heap_retained(void) GS_HIDDEN;
/* Release up to `bytes` of free memory, highest addresses first; heap lock
 * held on entry and exit (dropped around madvise).  Returns bytes released. */
uintptr_t gs_scavenge_locked(uintptr_t bytes) GS_HIDDEN;
void gs_scavenge_range_locked(uintptr_t base, uintptr_t npages) GS_HIDDEN; /* eager mode */
void gs_scavenger_note_free(void) GS_HIDDEN;
void gs_scavenger_maybe_start(void) GS_HIDDEN;
void gs_scavenger_fork_prepare(void) GS_HIDDEN;
void gs_scavenger_fork_parent(void) GS_HIDDEN;
void gs_scavenger_fork_child(void) GS_HIDDEN;
void gs_scavenger_stats(uint64_t *cycles, uint64_t *bg_released, gs_lock_stats *lock) GS_HIDDEN;

/* ---- malloc entry (malloc.c) ---------------------------------------------- */
void gs_init_slow(void) GS_HIDDEN;
extern _Atomic int gs_initialized GS_HIDDEN;
static inline void gs_ensure_init(void) {
    if (GS_UNLIKELY(!atomic_load_explicit(&gs_initialized, memory_order_acquire))) gs_init_slow();
}

/* The unit tests link the allocator as a static library whose public entry
 * points carry this prefix, so that they can run under the sanitizers. */
#ifdef GOSTYLE_TEST_PREFIX
#define GS_PUBLIC_NAME(name) gostyle_test_##name
#else
#define GS_PUBLIC_NAME(name) name
#endif

#endif
