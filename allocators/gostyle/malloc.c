/*
 * malloc.c — the public C allocation API of gostyle, a C reimplementation of
 * the Go runtime's memory allocator (follows Go's malloc.go, mallocgc).
 *
 * Overview (after the comment at the top of Go's malloc.go).
 *
 * The main allocator works in runs of 8 KiB pages.  Requests up to 32 KiB are
 * rounded up to one of 68 size classes (sizeclasses.c, generated exactly as
 * Go's mksizeclasses.go does), each of which has its own spans: runs of pages
 * cut into objects of that size, with a bitmap of which are in use.  The data
 * structures are:
 *
 *   fixalloc: a free-list allocator for fixed-size off-heap objects (spans)
 *   mheap:    the heap, managed at page (8 KiB) granularity, one lock
 *   mspan:    a run of in-use pages managed by the mheap
 *   mcentral: collects all spans of a given size class
 *   mcache:   a per-P cache of spans with free space
 *   mstats:   allocation statistics
 *
 * Allocating a small object proceeds up a hierarchy of caches:
 *
 *   1. Round the size up to a size class and look at the current P's mcache
 *      span for it.  Scan its free bitmap (allocCache, one ctz) for a free
 *      slot.  This needs no lock and no atomic read-modify-write.
 *   2. If the span has no free slot, get a new span with free space from the
 *      mcentral's span sets (lock-free).
 *   3. If the mcentral has none, take a run of pages from the mheap: from the
 *      P's page cache without a lock for spans under 16 pages, otherwise from
 *      the page allocator under the heap lock.
 *   4. If the mheap has no free run, grow it from the OS in 4 MiB steps of a
 *      64 MiB arena reservation.
 *
 * Objects over 32 KiB get a span of their own straight from the mheap.
 *
 * Where Go frees through its garbage collector, free() here goes from the
 * pointer through the arena map to the span, computes the slot index with
 * the class's divMul, and sets the slot's bit in the span's freed bitmap with
 * an atomic OR (as Go's GC marks gcmarkBits), whoever caches the span.  Spans are swept lazily, when they are cached, uncached, or run
 * out while cached: allocBits &= ~freed, which is what Go's sweep does with
 * gcmarkBits.  A span cached by an mcache is never swept by anyone else, so
 * the owner's allocation fast path stays free of atomics; a slot freed into the cached
 * span is reused once the span runs out and is swept.  Empty spans go back to the heap and
 * the scavenger (mgcscavenge.c) returns free pages to the OS.
 *
 * Departures from Go, and why:
 *   - no GC: explicit free sets freed bits (above); mcentral tracks spans that
 *     become non-full through a span state instead of sweeping generations;
 *   - C's malloc must return 16-byte aligned memory, so requests of 1-8 and
 *     17-24 bytes use the 16- and 32-byte classes (Go gives 8-byte objects
 *     8-byte alignment); the 8 and 24 classes stay in the table;
 *   - everything is noscan: 68 span classes instead of Go's 136; no tiny
 *     allocator (it cannot free individual objects);
 *   - threads instead of goroutines: a thread binds to a P (proc.c); threads
 *     beyond the number of Ps use the mcentral locks;
 *   - aligned allocation (absent in Go) uses a class whose size is a multiple
 *     of the alignment, or an over-sized large span;
 *   - an exhausted cached span is first swept in place and kept if it has
 *     room (mcache.c): Go's uncache/sweep/cacheSpan returning the same span,
 *     without the span-set traffic, and as allocBits = ~freed in one pass;
 *   - each heapArena also maps pages to size classes, so that a freegc free
 *     finds its list without loading the span (Go's compiler passes it);
 *   - a freed span of under 16 pages goes back to the P's page cache
 *     (mpagecache.c, mheap.c), so a large free+malloc cycle takes no lock;
 *   - every small free is an atomic OR into the span's freed bitmap, as
 *     Go's GC marks with atomic ORs (no owner-only plain-store bitmap: it
 *     needed the P entered and a second cache line, and measured slower);
 *   - nextFreeFast reloads allocCache at a 64-slot boundary itself.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debugvars.h"
#include "gostyle.h"
#include "runtime.h"

#define GS_PUBLIC __attribute__((visibility("default")))

_Atomic int gs_initialized;

/* Requests above the machine's memory fail with ENOMEM at once (as glibc's
 * do under the kernel's overcommit heuristic) instead of reserving address
 * space and metadata for them. */
static size_t max_alloc = (size_t)1 << 46;

/* malloc's size → class table for sizes ≤ 1024 in 16-byte steps: Go's
 * size_to_class8 at 16-byte multiples, so every class it yields is 16-byte
 * aligned. */
static uint8_t class16[GS_SMALL_SIZE_MAX / 16 + 1];

static int count_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* A misspelt GOSTYLEDEBUG must not run the default allocator as if it were
 * the ablation asked for: say why on stderr and exit with status 1 (the
 * worker's `error`), as the first malloc cannot fail any other way.  err has
 * room for the newline after its message. */
__attribute__((noreturn)) static void refuse_bad_settings(char *err) {
    size_t n = strlen(err);
    err[n] = '\n';
    ssize_t written = write(STDERR_FILENO, err, n + 1);
    (void)written; /* exiting either way */
    _exit(1);
}

void gs_init_slow(void) {
    static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
    char err[ASB_DEBUGVARS_ERR_MAX + 1];
    pthread_mutex_lock(&init_lock);
    if (!atomic_load_explicit(&gs_initialized, memory_order_relaxed)) {
        if (gs_debug_parse(getenv("GOSTYLEDEBUG"), &gs_dbg, count_cpus(), err, sizeof err - 1) != 0)
            refuse_bad_settings(err);
        long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
        if (pages > 0 && page_size > 0 && (size_t)pages * (size_t)page_size < max_alloc)
            max_alloc = (size_t)pages * (size_t)page_size;
        for (int i = 0; i <= GS_SMALL_SIZE_MAX / 16; i++)
            class16[i] = gs_size_to_class8[(i ? i : 1) * 16 / GS_SMALL_SIZE_DIV];
        for (int c = 1; c < GS_NUM_SIZE_CLASSES; c++)
            gs_freegc_cap[c] = (uint16_t)(((uintptr_t)gs_class_to_npages[c] << GS_PAGE_SHIFT) / gs_class_to_size[c]);
        gs_heap_init();
        gs_procs_init();
        atomic_store_explicit(&gs_initialized, 1, memory_order_release);
    }
    pthread_mutex_unlock(&init_lock);
}

static inline int small_class(size_t n) {
    if (n <= GS_SMALL_SIZE_MAX) return class16[(n + 15) >> 4];
    return gs_size_to_class128[(n - GS_SMALL_SIZE_MAX + GS_LARGE_SIZE_DIV - 1) / GS_LARGE_SIZE_DIV];
}

/* Go's nextFreeFast: the next free slot of the cached span from allocCache,
 * or NULL when allocCache has no free slot left.  Unlike Go's, it reloads
 * allocCache itself at a 64-slot boundary, and it needs no bound check:
 * allocBits marks the slots past nelems allocated (mspan.c).  P entered. */
static inline void *next_free_fast(gs_mspan *s) {
    uint64_t cache = s->alloc_cache;
    if (GS_UNLIKELY(cache == 0)) return NULL;
    uint32_t bit = (uint32_t)__builtin_ctzll(cache);
    uint32_t idx = s->freeindex + bit;
    uint32_t next = idx + 1;
    cache = (cache >> bit) >> 1; /* a shift by 64 would be undefined */
    if (GS_UNLIKELY(next % 64 == 0)) cache = next < s->nelems ? ~s->alloc_bits[next / 64] : 0;
    s->alloc_cache = cache;
    s->freeindex = next;
    s->alloc_count++;
    return (void *)(s->start + (uintptr_t)idx * s->elemsize);
}

/* freegc mode: pop the thread's LIFO of freed objects of this class. */
static inline void *freegc_pop(unsigned sc) {
    void *v = gs_freegc_tls.head[sc];
    if (v) {
        gs_freegc_tls.head[sc] = *(void **)v;
        gs_freegc_tls.room[sc]++;
    }
    return v;
}

/* A small object through the P (entered): cached span, refill. */
static void *alloc_small_p(gs_p *p, int sc, bool *needzero) {
    void *v;
    gs_mspan *s = p->alloc[sc];
    if ((v = next_free_fast(s))) {
        *needzero = s->needzero;
        return v;
    }
    return gs_mcache_refill_alloc(p, sc, needzero);
}

/* The current thread's P, entered, or NULL (then the caller uses the
 * mcentral locks). */
static gs_p *enter_any_p(void) {
    gs_p *p = gs_tls.p;
    if (p && gs_p_enter(p, gs_tls.m)) return p;
    p = gs_acquire_p();
    if (p && gs_p_enter(p, gs_tls.m)) return p;
    gs_tls.p = NULL;
    return NULL;
}


static void *alloc_large(size_t n, gs_p *p, bool *needzero, size_t align) {
    if (n > max_alloc || align > max_alloc) return NULL;
    if (align < GS_PAGE_SIZE) align = GS_PAGE_SIZE;
    uintptr_t npages = (n + GS_PAGE_SIZE - 1) >> GS_PAGE_SHIFT;
    if (npages == 0) npages = 1;
    if (align > GS_PAGE_SIZE) npages += (align >> GS_PAGE_SHIFT) - 1;
    gs_mspan *s = gs_heap_alloc_span(npages, 0, p);
    if (!s) return NULL;
    *needzero = s->needzero;
    return (void *)((s->start + align - 1) & ~(uintptr_t)(align - 1));
}

/* Everything but the fast path of malloc and calloc, and aligned
 * allocation: sc is the size class (0: large; -1: from n). */
static __attribute__((noinline)) void *alloc_slow(size_t n, int sc, size_t align, bool zero) {
    gs_ensure_init();
    if (sc < 0) sc = n <= GS_MAX_SMALL_SIZE ? small_class(n) : 0;
    bool needzero = false;
    void *v;
    if (sc && gs_dbg.freegc && (v = freegc_pop(sc))) {
        if (zero) memset(v, 0, gs_class_to_size[sc]);
        return v;
    }
    gs_p *p = enter_any_p();
    if (sc) {
        v = p ? alloc_small_p(p, sc, &needzero) : gs_mcentral_alloc_direct(sc, &needzero);
        n = gs_class_to_size[sc];
    } else {
        v = alloc_large(n, p, &needzero, align);
    }
    if (p) gs_p_leave(gs_tls.m);
    if (!v) {
        errno = ENOMEM;
        return NULL;
    }
    if (zero && needzero) memset(v, 0, n);
    gs_scavenger_maybe_start();
    return v;
}

/* The cached span's allocCache is used up: Go's mcache.nextFree, with the P
 * still entered (the next 64 slots, a sweep in place, or a refill). */
static __attribute__((noinline)) void *alloc_next_free(gs_p *p, gs_m *m, int sc, bool zero) {
    bool needzero;
    void *v = gs_mcache_refill_alloc(p, sc, &needzero);
    gs_p_leave(m);
    if (GS_UNLIKELY(!v)) {
        errno = ENOMEM;
        return NULL;
    }
    if (zero && needzero) memset(v, 0, gs_class_to_size[sc]);
    gs_scavenger_maybe_start();
    return v;
}

/* malloc and calloc: the fast path is a leaf (no call, no stack frame). */
static inline void *alloc(size_t n, bool zero) {
    if (GS_LIKELY(n <= GS_SMALL_SIZE_MAX)) {
        unsigned sc = class16[(n + 15) >> 4]; /* 0 before initialisation: no list, no P */
        void *v;
        /* The thread's own list needs neither its P nor the handshake. */
        if (GS_UNLIKELY(gs_dbg.freegc) && (v = freegc_pop(sc))) {
            if (zero) memset(v, 0, gs_class_to_size[sc]);
            return v;
        }
        gs_p *p = gs_tls.p;
        gs_m *m = gs_tls.m; /* set whenever p is */
        if (GS_LIKELY(p != NULL) && GS_LIKELY(gs_p_enter(p, m))) {
            gs_mspan *s = p->alloc[sc];
            if (GS_UNLIKELY(s->alloc_cache == 0)) return alloc_next_free(p, m, sc, zero);
            v = next_free_fast(s);
            bool needzero = s->needzero;
            gs_p_leave(m);
            if (zero && needzero) memset(v, 0, gs_class_to_size[sc]);
            return v;
        }
    }
    return alloc_slow(n, -1, 0, zero);
}

GS_PUBLIC void *GS_PUBLIC_NAME(malloc)(size_t n) { return alloc(n, false); }

GS_PUBLIC void *GS_PUBLIC_NAME(calloc)(size_t count, size_t size) {
    size_t n;
    if (__builtin_mul_overflow(count, size, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    return alloc(n, true);
}

static void free_large(gs_mspan *s) {
    gs_p *p = gs_tls.p;
    gs_m *m = gs_tls.m;
    if (p && gs_p_enter(p, m)) {
        gs_heap_free_span(s, p);
        gs_p_leave(m);
    } else {
        gs_heap_free_span(s, NULL);
    }
    gs_scavenger_maybe_start();
}

GS_PUBLIC void GS_PUBLIC_NAME(free)(void *ptr) {
    uintptr_t a = (uintptr_t)ptr;
    gs_heap_arena *ha = gs_arena_of(a);
    if (GS_UNLIKELY(ha == NULL)) return; /* NULL, or not from this heap */
    uintptr_t page = (a >> GS_PAGE_SHIFT) & (GS_PAGES_PER_ARENA - 1);
    if (GS_UNLIKELY(gs_dbg.freegc)) {
        /* The class from the arena's page map: the list push needs no
         * span struct.  Class 0 (large, or a page never used) goes on:
         * its room is always 0. */
        unsigned sc = ha->spanclass[page];
        if (GS_LIKELY(gs_freegc_tls.room[sc] != 0)) {
            *(void **)ptr = gs_freegc_tls.head[sc];
            gs_freegc_tls.head[sc] = ptr;
            gs_freegc_tls.room[sc]--;
            return;
        }
    }
    gs_mspan *s = ha->spans[page];
    if (GS_UNLIKELY(s == NULL)) return; /* a page of the arena never used */
    if (GS_UNLIKELY(s->sizeclass == 0)) {
        free_large(s);
        return;
    }
    gs_mcentral_free_slot(s, gs_span_obj_index(s, a));
}

GS_PUBLIC size_t GS_PUBLIC_NAME(malloc_usable_size)(void *ptr) {
    gs_mspan *s = gs_span_of((uintptr_t)ptr);
    if (!s) return 0;
    if (s->sizeclass == 0) return s->limit - (uintptr_t)ptr;
    return s->elemsize;
}

GS_PUBLIC void *GS_PUBLIC_NAME(realloc)(void *ptr, size_t n) {
    if (!ptr) return alloc(n, false);
    if (n == 0) {
        GS_PUBLIC_NAME(free)(ptr);
        return NULL;
    }
    size_t have = GS_PUBLIC_NAME(malloc_usable_size)(ptr);
    if (have == 0) { /* not ours: we cannot know its size */
        errno = ENOMEM;
        return NULL;
    }
    if (n <= have && n >= have / 2) return ptr;
    void *v = alloc(n, false);
    if (!v) return NULL;
    memcpy(v, ptr, n < have ? n : have);
    GS_PUBLIC_NAME(free)(ptr);
    return v;
}

/* Alignment beyond 16 bytes: the smallest class whose size is a multiple of
 * the alignment (every object of such a class is aligned, spans being page
 * aligned), else a large span with room to align inside. */
static void *alloc_aligned(size_t align, size_t n) {
    if (align <= 16) return alloc(n, false);
    gs_ensure_init();
    if (align <= GS_PAGE_SIZE && n <= GS_MAX_SMALL_SIZE) {
        for (int c = small_class(n > align ? n : align); c < GS_NUM_SIZE_CLASSES; c++)
            if (gs_class_to_size[c] % align == 0) return alloc_slow(n, c, 0, false);
    }
    return alloc_slow(n, 0, align > GS_PAGE_SIZE ? align : GS_PAGE_SIZE, false);
}

static bool power_of_two(size_t x) { return x && !(x & (x - 1)); }

GS_PUBLIC int GS_PUBLIC_NAME(posix_memalign)(void **out, size_t align, size_t n) {
    if (!power_of_two(align) || align % sizeof(void *)) return EINVAL;
    int saved = errno;
    void *v = alloc_aligned(align, n);
    errno = saved;
    if (!v) return ENOMEM;
    *out = v;
    return 0;
}

GS_PUBLIC void *GS_PUBLIC_NAME(aligned_alloc)(size_t align, size_t n) {
    if (!power_of_two(align)) {
        errno = EINVAL;
        return NULL;
    }
    return alloc_aligned(align, n);
}

/* glibc semantics: a non-power-of-two alignment is rounded up. */
GS_PUBLIC void *GS_PUBLIC_NAME(memalign)(size_t align, size_t n) {
    if (align > max_alloc) {
        errno = EINVAL;
        return NULL;
    }
    size_t a = 1;
    while (a < align) a <<= 1;
    return alloc_aligned(a, n);
}

GS_PUBLIC void *GS_PUBLIC_NAME(valloc)(size_t n) { return alloc_aligned((size_t)sysconf(_SC_PAGESIZE), n); }

GS_PUBLIC void *GS_PUBLIC_NAME(pvalloc)(size_t n) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (n > max_alloc) {
        errno = ENOMEM;
        return NULL;
    }
    return alloc_aligned(page, (n + page - 1) & ~(page - 1));
}

/* ---- fork safety --------------------------------------------------------- */

static void lock_centrals(void) {
    for (int i = 0; i < GS_NUM_SPAN_CLASSES; i++) gs_mutex_lock(&gs_heap.central[i].lock);
}
static void unlock_centrals(void) {
    for (int i = GS_NUM_SPAN_CLASSES - 1; i >= 0; i--) gs_mutex_unlock(&gs_heap.central[i].lock);
}

static void fork_prepare(void) {
    gs_ensure_init();
    gs_scavenger_fork_prepare();
    gs_seize_all_ps();
    lock_centrals();
    gs_spanset_lock_all();
    gs_mutex_lock(&gs_heap.lock);
}

static void fork_parent(void) {
    gs_mutex_unlock(&gs_heap.lock);
    gs_spanset_unlock_all();
    unlock_centrals();
    gs_release_seized_ps(false);
    gs_scavenger_fork_parent();
}

static void fork_child(void) {
    gs_mutex_unlock(&gs_heap.lock);
    for (int i = 0; i < GS_NUM_SPAN_CLASSES; i++)
        for (int k = 0; k < GS_SPANSET_GENS; k++) {
            gs_spanset_fork_child_repair(&gs_heap.central[i].partial[k]);
            gs_spanset_fork_child_repair(&gs_heap.central[i].full[k]);
        }
    gs_spanset_unlock_all();
    unlock_centrals();
    gs_release_seized_ps(true);
    gs_scavenger_fork_child();
}

/* Runs when the library is loaded, before the program's own constructors;
 * pthread_atfork may allocate, so it cannot run inside the first malloc. */
__attribute__((constructor)) static void gostyle_load(void) {
    gs_ensure_init();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}
