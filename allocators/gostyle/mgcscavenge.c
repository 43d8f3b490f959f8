/*
 * mgcscavenge.c — returning free memory to the OS (Go's mgcscavenge.go).
 *
 * Retained memory is what the heap has mapped and not released: heap_sys -
 * heap_released.  The goal follows Go without a memory limit: retain at most
 * 10% more than the heap goal, where the heap goal stands in for GOGC's
 * (in-use heap × (1 + gcpercent/100), at least Go's 4 MiB heap minimum).
 *
 * - Background scavenger: a thread started on the first free that leaves
 *   retained memory above the goal.  It releases 64 KiB units, highest
 *   address first within each arena, skipping chunks more than 96.875% in use
 *   (Go leaves those whole for huge pages), for about 1 ms at a time, then
 *   sleeps 99 times as long as it worked: about 1% of one CPU.  It parks when
 *   the goal is met and a later free over the goal wakes it.
 * - Synchronous scavenging: heap growth that pushes retained memory over the
 *   goal releases the excess at once (mheap.c).
 * - Eager mode (GOSTYLEDEBUG=scavenger=eager): every freed span is released
 *   at once.  gostyle_scavenge_all() releases everything free
 *   (debug.FreeOSMemory).
 *
 * A unit being released is marked allocated while the heap lock is dropped
 * around madvise, then freed again with its scavenged bits set.
 */
#include <signal.h>
#include <time.h>

#include "runtime.h"

#define HEAP_MINIMUM ((uintptr_t)4 << 20)     /* Go's defaultHeapMinimum */
#define RETAIN_EXTRA_PERCENT 10                /* Go's reduceExtraPercent */
#define SCAVENGE_PERCENT 1                     /* share of one CPU */
#define WORK_SLICE_NS 1000000ull
#define DENSE_CHUNK_PAGES (GS_CHUNK_PAGES * 31 / 32) /* 96.875% in use */

static struct {
    gs_mutex lock;
    pthread_cond_t cond;
    bool started, wake;
    _Atomic bool needed;  /* a free found retained memory over the goal */
    uint64_t cycles;
    _Atomic uint64_t bg_released;
} scav = {.lock = {.mu = PTHREAD_MUTEX_INITIALIZER}, .cond = PTHREAD_COND_INITIALIZER};

uintptr_t gs_heap_retained(void) {
    return atomic_load_explicit(&gs_heap.heap_sys, memory_order_relaxed) -
           atomic_load_explicit(&gs_heap.heap_released, memory_order_relaxed);
}

uintptr_t gs_scavenge_goal(void) {
    uintptr_t inuse = atomic_load_explicit(&gs_heap.heap_inuse, memory_order_relaxed);
    uintptr_t heap_goal = inuse + inuse / 100 * (uintptr_t)gs_dbg.gcpercent;
    if (heap_goal < HEAP_MINIMUM) heap_goal = HEAP_MINIMUM;
    uintptr_t goal = heap_goal + heap_goal / 100 * RETAIN_EXTRA_PERCENT;
    return (goal + GS_PAGE_SIZE - 1) & ~(GS_PAGE_SIZE - 1);
}

static void release_mask(uintptr_t chunk_base_addr, unsigned word, uint64_t mask) {
    while (mask) {
        unsigned lo = (unsigned)__builtin_ctzll(mask);
        uint64_t gaps = ~(mask >> lo);
        unsigned n = gaps ? (unsigned)__builtin_ctzll(gaps) : 64;
        uintptr_t addr = chunk_base_addr + ((uintptr_t)(word * 64 + lo) << GS_PAGE_SHIFT);
        gs_sys_unused((void *)addr, (uintptr_t)n << GS_PAGE_SHIFT);
        mask &= n == 64 ? 0 : ~((((uint64_t)1 << n) - 1) << lo);
    }
}

/* Release one unit of at most 64 KiB; heap lock held (dropped meanwhile). */
static uintptr_t scavenge_one(void) {
    for (gs_heap_arena *a = gs_heap.all_arenas; a; a = a->next) {
        for (int k = GS_CHUNKS_PER_ARENA - 1; k >= 0; k--) {
            if (!(a->grown_chunks >> k & 1)) continue;
            gs_palloc_chunk *c = &a->chunks[k];
            unsigned used = 0;
            for (unsigned w = 0; w < GS_CHUNK_WORDS; w++) used += (unsigned)__builtin_popcountll(c->alloc[w]);
            if (used >= DENSE_CHUNK_PAGES) continue;
            for (int w = GS_CHUNK_WORDS - 1; w >= 0; w--) {
                uint64_t cand = ~c->alloc[w] & ~c->scavenged[w];
                if (!cand) continue;
                unsigned unit = (63u - (unsigned)__builtin_clzll(cand)) & ~7u;
                uint64_t mask = cand & ((uint64_t)0xff << unit);
                uintptr_t base = a->base + (uintptr_t)k * GS_CHUNK_BYTES;
                uintptr_t ci = base >> GS_CHUNK_SHIFT;
                c->alloc[w] |= mask;
                gs_pagealloc_update(&gs_heap.pages, ci, ci);
                gs_mutex_unlock(&gs_heap.lock);
                release_mask(base, (unsigned)w, mask);
                gs_mutex_lock(&gs_heap.lock);
                c->alloc[w] &= ~mask;
                c->scavenged[w] |= mask;
                gs_pagealloc_update(&gs_heap.pages, ci, ci);
                uintptr_t bytes = (uintptr_t)__builtin_popcountll(mask) << GS_PAGE_SHIFT;
                atomic_fetch_add_explicit(&gs_heap.heap_released, bytes, memory_order_relaxed);
                atomic_fetch_add_explicit(&gs_heap.released_total, bytes, memory_order_relaxed);
                return bytes;
            }
        }
    }
    return 0;
}

uintptr_t gs_scavenge_locked(uintptr_t bytes) {
    uintptr_t done = 0;
    while (done < bytes) {
        uintptr_t r = scavenge_one();
        if (!r) break;
        done += r;
    }
    return done;
}

/* Eager mode: release the pages of a span just freed (heap lock held). */
void gs_scavenge_range_locked(uintptr_t base, uintptr_t npages) {
    uintptr_t end = base + (npages << GS_PAGE_SHIFT);
    for (uintptr_t addr = base; addr < end;) {
        uintptr_t ci = addr >> GS_CHUNK_SHIFT;
        gs_palloc_chunk *c = gs_chunk_of(ci);
        uintptr_t cbase = ci << GS_CHUNK_SHIFT;
        unsigned page = (unsigned)((addr - cbase) >> GS_PAGE_SHIFT), w = page / 64, b = page % 64;
        uintptr_t left = (end - addr) >> GS_PAGE_SHIFT;
        unsigned n = 64 - b < left ? 64 - b : (unsigned)left;
        uint64_t mask = (n == 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1)) << b;
        mask &= ~c->scavenged[w];
        release_mask(cbase, w, mask);
        c->scavenged[w] |= mask;
        uintptr_t bytes = (uintptr_t)__builtin_popcountll(mask) << GS_PAGE_SHIFT;
        atomic_fetch_add_explicit(&gs_heap.heap_released, bytes, memory_order_relaxed);
        atomic_fetch_add_explicit(&gs_heap.released_total, bytes, memory_order_relaxed);
        addr += (uintptr_t)n << GS_PAGE_SHIFT;
    }
}

void gs_scavenger_note_free(void) {
    if (gs_heap_retained() > gs_scavenge_goal()) atomic_store_explicit(&scav.needed, true, memory_order_relaxed);
}

static void sleep_ns(uint64_t ns) {
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u), .tv_nsec = (long)(ns % 1000000000u)};
    nanosleep(&ts, NULL);
}

static void *scavenger_main(void *arg) {
    (void)arg;
    for (;;) {
        gs_mutex_lock(&scav.lock);
        while (!scav.wake) pthread_cond_wait(&scav.cond, &scav.lock.mu);
        scav.wake = false;
        scav.cycles++;
        gs_mutex_unlock(&scav.lock);
        for (bool done = false; !done;) {
            uint64_t t0 = gs_nanotime(), worked;
            uintptr_t released = 0;
            gs_mutex_lock(&gs_heap.lock);
            do {
                uintptr_t r = gs_heap_retained() > gs_scavenge_goal() ? gs_scavenge_locked(GS_SCAVENGE_UNIT) : 0;
                if (!r) done = true;
                released += r;
                worked = gs_nanotime() - t0;
            } while (!done && worked < WORK_SLICE_NS);
            gs_mutex_unlock(&gs_heap.lock);
            atomic_fetch_add_explicit(&scav.bg_released, released, memory_order_relaxed);
            if (!done) sleep_ns(worked * (100 / SCAVENGE_PERCENT - 1));
        }
    }
    return NULL;
}

/* Called with no allocator lock held and no P entered (pthread_create and
 * the new thread's TLS setup call malloc). */
void gs_scavenger_maybe_start(void) {
    if (!atomic_load_explicit(&scav.needed, memory_order_relaxed)) return;
    if (!atomic_exchange_explicit(&scav.needed, false, memory_order_relaxed)) return;
    gs_mutex_lock(&scav.lock);
    bool start = !scav.started;
    scav.started = true;
    scav.wake = true;
    pthread_cond_signal(&scav.cond);
    gs_mutex_unlock(&scav.lock);
    if (!start) return;
    /* The scavenger must not take the program's signals. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 << 10);
    if (pthread_create(&t, &attr, scavenger_main, NULL) != 0) {
        gs_mutex_lock(&scav.lock);
        scav.started = false;
        gs_mutex_unlock(&scav.lock);
    }
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void gs_scavenger_fork_prepare(void) { gs_mutex_lock(&scav.lock); }
void gs_scavenger_fork_parent(void) { gs_mutex_unlock(&scav.lock); }
/* The child has no scavenger thread; the next free over the goal starts one. */
void gs_scavenger_fork_child(void) {
    scav.started = false;
    scav.wake = false;
    pthread_cond_init(&scav.cond, NULL);
    gs_mutex_unlock(&scav.lock);
}

void gs_scavenger_stats(uint64_t *cycles, uint64_t *bg_released, gs_lock_stats *lock) {
    *cycles = __atomic_load_n(&scav.cycles, __ATOMIC_RELAXED);
    *bg_released = atomic_load_explicit(&scav.bg_released, memory_order_relaxed);
    gs_mutex_add_stats(&scav.lock, lock);
}
