/*
 * stack.c — G stacks: fixed-size mmap stacks, lazily committed by the kernel,
 * with a PROT_NONE guard page below each, handed out through a per-P stack
 * cache backed by a global pool.  Follows the stackalloc/stackcache parts of
 * Go's runtime/stack.go.
 *
 * Departure from Go: Go starts goroutines on 2 KiB stacks and grows them by
 * copying (it knows every pointer into a stack); C cannot move a stack, so
 * each G gets GMP_STACK_SIZE bytes of address space of which only the touched
 * pages cost memory.  Stacks are carved from slabs of STACKS_PER_SLAB.  A G
 * keeps its stack for life (Go keeps standard-size stacks on free Gs too), and
 * its G structure lives at the top of that stack, so stacks go back to the
 * kernel only when run() ends.  A guard page costs a kernel VMA, and Linux
 * allows ~65530 per process, so only the first MAX_GUARDED stacks get one;
 * the rest (a million-G run) are unguarded; the count is the stat
 * `stack_guards`.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime2.h"

#if ASB_UCTX_ASAN
#include <sanitizer/asan_interface.h>
#endif

enum { STACKS_PER_SLAB = 64, MAX_GUARDED = 16384, GUARD = 4096 };
#define SLOT_SIZE ((size_t)GMP_STACK_SIZE + GUARD)

typedef struct slab {
    void *base;
    struct slab *next;
} slab;

/* A free stack stores the next free stack in its top word. */
static struct {
    gmp_mutex lock;
    char *free;
    slab *slabs;
    _Atomic size_t guarded;
} pool;

static char **free_link(char *lo) { return (char **)(lo + GMP_STACK_SIZE - sizeof(char *)); }

static bool pool_grow(void) {
    void *base = mmap(NULL, SLOT_SIZE * STACKS_PER_SLAB, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (base == MAP_FAILED) return false;
    slab *s = malloc(sizeof *s);
    if (!s) {
        munmap(base, SLOT_SIZE * STACKS_PER_SLAB);
        return false;
    }
#if ASB_UCTX_ASAN
    /* The address range may have held the stacks of an earlier run whose
     * frames were never popped: clear their stale stack poisoning. */
    ASAN_UNPOISON_MEMORY_REGION(base, SLOT_SIZE * STACKS_PER_SLAB);
#endif
    s->base = base;
    s->next = pool.slabs;
    pool.slabs = s;
    for (int i = STACKS_PER_SLAB - 1; i >= 0; i--) {
        char *lo = (char *)base + (size_t)i * SLOT_SIZE + GUARD;
        *free_link(lo) = pool.free;
        pool.free = lo;
    }
    return true;
}

/* Move up to half a cache's worth of stacks from the pool into pp's cache. */
static void stackcache_refill(P *pp) {
    gmp_lock(&pool.lock);
    while (pp->nstackcache < GMP_STACK_CACHE / 2) {
        if (!pool.free && !pool_grow()) break;
        char *lo = pool.free;
        pool.free = *free_link(lo);
        pp->stackcache[pp->nstackcache++].lo = lo;
    }
    gmp_unlock(&pool.lock);
}

/* Stacks are handed out once (their G keeps them), so the guard page is
 * made here, for stacks actually used, rather than for a whole new slab. */
static void add_guard(char *lo) {
    if (atomic_fetch_add_explicit(&pool.guarded, 1, memory_order_relaxed) >= MAX_GUARDED ||
        mprotect(lo - GUARD, GUARD, PROT_NONE) != 0)
        atomic_fetch_sub_explicit(&pool.guarded, 1, memory_order_relaxed);
}

/* pp may be NULL (a spawn from outside the scheduler): use the pool. */
bool gmp_stackalloc(P *pp, gmp_stack *out) {
    if (pp) {
        if (pp->nstackcache == 0) stackcache_refill(pp);
        if (pp->nstackcache == 0) return false;
        *out = pp->stackcache[--pp->nstackcache];
    } else {
        gmp_lock(&pool.lock);
        bool ok = pool.free || pool_grow();
        if (ok) {
            out->lo = pool.free;
            pool.free = *free_link(out->lo);
        }
        gmp_unlock(&pool.lock);
        if (!ok) return false;
    }
    add_guard(out->lo);
    return true;
}

void gmp_stackpool_destroy(void) {
    while (pool.slabs) {
        slab *s = pool.slabs;
        pool.slabs = s->next;
        munmap(s->base, SLOT_SIZE * STACKS_PER_SLAB);
        free(s);
    }
    pool.free = NULL;
    atomic_store(&pool.guarded, 0);
}

size_t gmp_stack_guard_count(void) { return atomic_load(&pool.guarded); }
