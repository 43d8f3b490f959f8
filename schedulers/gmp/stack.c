/*
 * stack.c — G stacks: fixed-size mmap stacks, lazily committed by the kernel,
 * with a guard page below each, handed out through a per-P stack cache backed
 * by a global pool that outlives the run.  Follows the stackalloc/stackcache
 * parts of Go's runtime/stack.go.
 *
 * Departure from Go: Go starts goroutines on 2 KiB stacks and grows them by
 * copying (it knows every pointer into a stack); C cannot move a stack, so
 * each G gets GMP_STACK_SIZE bytes of address space of which only the touched
 * pages cost memory.  Stacks are carved from slabs of STACKS_PER_SLAB.  A G
 * keeps its stack for life (Go keeps standard-size stacks on free Gs too), and
 * its G structure lives at the top of that stack.
 *
 * When run() ends every stack goes back to the pool, and the pool keeps its
 * slabs for the next run as long as it holds at most RETAIN_SLABS of them
 * (a larger pool is unmapped whole).  The pages a run touched are then
 * already there for the next one: a first touch costs a page fault of ~2 µs,
 * as much as a whole skynet leaf, and Go too keeps the memory of its freed
 * stacks in its heap from one use to the next.
 *
 * Guard pages: on Linux 6.13+ a stack gets one with MADV_GUARD_INSTALL, which
 * costs no kernel VMA, so every stack is guarded.  Elsewhere mprotect makes a
 * PROT_NONE page, which costs a VMA (Linux allows ~65530 per process), so
 * only MAX_GUARDED stacks get one.  A stack is guarded when first handed out,
 * once for the life of its slab; the count is the stat `stack_guards`.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime2.h"

#if ASB_UCTX_ASAN
#include <sanitizer/asan_interface.h>
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102 /* Linux 6.13 uapi; older kernels answer EINVAL */
#endif

enum { STACKS_PER_SLAB = 64, RETAIN_SLABS = 2048, MAX_GUARDED = 16384, GUARD = 4096 };
#define SLOT_SIZE ((size_t)GMP_STACK_SIZE + GUARD)

typedef struct slab {
    void *base;
    struct slab *next;
} slab;

/* Free stacks are kept in an array rather than linked through the stacks, so
 * a stack's pages are untouched until a G uses it. */
static struct {
    gmp_mutex lock;
    gmp_stack *free;
    size_t nfree, cap;
    slab *slabs;
    size_t nslabs;
    _Atomic size_t guarded;
    _Atomic bool no_guard_madvise; /* MADV_GUARD_INSTALL refused: use mprotect */
} pool;

/* pool.lock held */
static bool pool_grow(void) {
    /* Room for every stack of every slab: they all come back at the end. */
    size_t need = (pool.nslabs + 1) * STACKS_PER_SLAB;
    if (pool.cap < need) {
        size_t cap = pool.cap ? 2 * pool.cap : 1024;
        while (cap < need) cap *= 2;
        gmp_stack *v = realloc(pool.free, cap * sizeof *v);
        if (!v) return false;
        pool.free = v;
        pool.cap = cap;
    }
    void *base = mmap(NULL, SLOT_SIZE * STACKS_PER_SLAB, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (base == MAP_FAILED) return false;
    slab *s = malloc(sizeof *s);
    if (!s) {
        munmap(base, SLOT_SIZE * STACKS_PER_SLAB);
        return false;
    }
    s->base = base;
    s->next = pool.slabs;
    pool.slabs = s;
    pool.nslabs++;
    for (int i = STACKS_PER_SLAB - 1; i >= 0; i--)
        pool.free[pool.nfree++] = (gmp_stack){(char *)base + (size_t)i * SLOT_SIZE + GUARD, false};
    return true;
}

/* pool.lock held */
static bool pool_pop(gmp_stack *out) {
    if (pool.nfree == 0 && !pool_grow()) return false;
    *out = pool.free[--pool.nfree];
    return true;
}

/* Move up to half a cache's worth of stacks from the pool into pp's cache. */
static void stackcache_refill(P *pp) {
    gmp_lock(&pool.lock);
    while (pp->nstackcache < GMP_STACK_CACHE / 2 && pool_pop(&pp->stackcache[pp->nstackcache]))
        pp->nstackcache++;
    gmp_unlock(&pool.lock);
}

static void add_guard(gmp_stack *st) {
    char *page = st->lo - GUARD;
    if (!relaxed_load(&pool.no_guard_madvise)) {
        if (madvise(page, GUARD, MADV_GUARD_INSTALL) == 0) {
            st->guarded = true;
            atomic_fetch_add_explicit(&pool.guarded, 1, memory_order_relaxed);
            return;
        }
        if (errno != EINVAL) return;
        relaxed_store(&pool.no_guard_madvise, true);
    }
    if (atomic_fetch_add_explicit(&pool.guarded, 1, memory_order_relaxed) < MAX_GUARDED &&
        mprotect(page, GUARD, PROT_NONE) == 0)
        st->guarded = true;
    else
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
        bool ok = pool_pop(out);
        gmp_unlock(&pool.lock);
        if (!ok) return false;
    }
    if (!out->guarded) add_guard(out);
#if ASB_UCTX_ASAN
    /* The stack (or its address range) may have served a G of an earlier
     * run whose frames were never popped: clear their stale poisoning. */
    ASAN_UNPOISON_MEMORY_REGION(out->lo, GMP_STACK_SIZE);
#endif
    return true;
}

static void pool_unmap_all(void) {
    while (pool.slabs) {
        slab *s = pool.slabs;
        pool.slabs = s->next;
        munmap(s->base, SLOT_SIZE * STACKS_PER_SLAB);
        free(s);
    }
    free(pool.free);
    pool.free = NULL;
    pool.nslabs = pool.nfree = pool.cap = 0;
    atomic_store(&pool.guarded, 0);
}

/* End of a run: every stack, of the Gs and of the P caches, comes back
 * (pool_grow made room for it). */
void gmp_stackfree(gmp_stack st) {
    gmp_lock(&pool.lock);
    pool.free[pool.nfree++] = st;
    gmp_unlock(&pool.lock);
}

/* After the last gmp_stackfree of a run: keep the pool for the next run if
 * it is small enough and whole, else unmap it. */
void gmp_stackpool_release(void) {
    gmp_lock(&pool.lock);
    if (pool.nslabs > RETAIN_SLABS || pool.nfree != pool.nslabs * STACKS_PER_SLAB)
        pool_unmap_all();
    gmp_unlock(&pool.lock);
}

size_t gmp_stack_guard_count(void) { return atomic_load(&pool.guarded); }
