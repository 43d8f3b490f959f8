/*
 * mspanset.c — lock-free sets of spans (Go's mspanset.go).
 *
 * A span set is a FIFO of span pointers: a spine (array) of pointers to
 * blocks of 512 entries, and one 64-bit word packing head (high 32 bits) and
 * tail (low 32 bits).  push() claims a slot with one atomic increment of the
 * tail and then stores the span into it; pop() claims the head slot with a
 * CAS on the packed word, then waits for the span to appear (its pusher may
 * still be storing it).  The only lock is the spine lock, taken to add a block
 * to the spine, which happens once per 512 pushes; a grown spine copies the
 * old one, which is never freed because a reader may still hold it (as in
 * Go).  Blocks whose 512 entries have all been popped go back to a pool.
 *
 * Go resets its span sets at every GC cycle; with no GC the indices only grow,
 * so mcentral.c alternates between two sets and resets the idle one (see
 * gs_spanset_reset_if_empty).
 */
#include <string.h>

#include "runtime.h"

static struct {
    gs_mutex lock;
    gs_spanset_block *free;
} block_pool = {.lock = {.mu = PTHREAD_MUTEX_INITIALIZER}};

#define BLOCKS_PER_BATCH 32

static gs_spanset_block *block_alloc(void) {
    gs_mutex_lock(&block_pool.lock);
    if (!block_pool.free) {
        gs_spanset_block *batch = gs_sys_alloc(BLOCKS_PER_BATCH * sizeof *batch);
        for (int i = 0; i < BLOCKS_PER_BATCH; i++) {
            batch[i].next_free = block_pool.free;
            block_pool.free = &batch[i];
        }
    }
    gs_spanset_block *b = block_pool.free;
    block_pool.free = b->next_free;
    gs_mutex_unlock(&block_pool.lock);
    return b;
}

/* The block's entries are all NULL again (each pop clears its entry). */
static void block_free(gs_spanset_block *b) {
    atomic_store_explicit(&b->popped, 0, memory_order_relaxed);
    gs_mutex_lock(&block_pool.lock);
    b->next_free = block_pool.free;
    block_pool.free = b;
    gs_mutex_unlock(&block_pool.lock);
}

void gs_spanset_pool_stats(gs_lock_stats *into) { gs_mutex_add_stats(&block_pool.lock, into); }

void gs_spanset_init(gs_spanset *b) {
    gs_mutex_init(&b->spine_lock);
    atomic_init(&b->spine, NULL);
    atomic_init(&b->spine_len, 0);
    b->spine_cap = 0;
    atomic_init(&b->index, 0);
}

/* Add blocks until the spine covers block `top`; spine lock held. */
static void spine_extend_locked(gs_spanset *b, uintptr_t top) {
    uintptr_t len = atomic_load_explicit(&b->spine_len, memory_order_relaxed);
    while (len <= top) {
        _Atomic(gs_spanset_block *) *spine = atomic_load_explicit(&b->spine, memory_order_relaxed);
        if (len == b->spine_cap) {
            uintptr_t cap = b->spine_cap ? b->spine_cap * 2 : GS_SPANSET_INIT_SPINE_CAP;
            _Atomic(gs_spanset_block *) *grown = gs_sys_alloc(cap * sizeof *grown);
            if (spine) memcpy((void *)grown, (void *)spine, len * sizeof *grown);
            atomic_store_explicit(&b->spine, grown, memory_order_release);
            b->spine_cap = cap;
            spine = grown;
        }
        atomic_store_explicit(&spine[len], block_alloc(), memory_order_release);
        len++;
        atomic_store_explicit(&b->spine_len, len, memory_order_release);
    }
}

void gs_spanset_push(gs_spanset *b, gs_mspan *s) {
    uint64_t cursor = (uint32_t)atomic_fetch_add_explicit(&b->index, 1, memory_order_acq_rel);
    uintptr_t top = cursor / GS_SPANSET_BLOCK_ENTRIES, bottom = cursor % GS_SPANSET_BLOCK_ENTRIES;
    if (atomic_load_explicit(&b->spine_len, memory_order_acquire) <= top) {
        gs_mutex_lock(&b->spine_lock);
        spine_extend_locked(b, top);
        gs_mutex_unlock(&b->spine_lock);
    }
    _Atomic(gs_spanset_block *) *spine = atomic_load_explicit(&b->spine, memory_order_acquire);
    gs_spanset_block *block = atomic_load_explicit(&spine[top], memory_order_acquire);
    atomic_store_explicit(&block->spans[bottom], s, memory_order_release);
}

/* Marks a slot whose pusher vanished in a fork (see the repair below). */
#define TOMBSTONE (&gs_empty_span)

gs_mspan *gs_spanset_pop(gs_spanset *b) {
again:;
    uint64_t ht = atomic_load_explicit(&b->index, memory_order_acquire);
    uint32_t head;
    for (;;) {
        head = (uint32_t)(ht >> 32);
        uint32_t tail = (uint32_t)ht;
        if (head >= tail) return NULL;
        /* The pusher of `head` may not have added its block yet. */
        if (atomic_load_explicit(&b->spine_len, memory_order_acquire) <= head / GS_SPANSET_BLOCK_ENTRIES)
            return NULL;
        uint64_t next = ((uint64_t)(head + 1) << 32) | tail;
        if (atomic_compare_exchange_weak_explicit(&b->index, &ht, next, memory_order_acq_rel,
                                                  memory_order_acquire))
            break;
    }
    uintptr_t top = head / GS_SPANSET_BLOCK_ENTRIES, bottom = head % GS_SPANSET_BLOCK_ENTRIES;
    _Atomic(gs_spanset_block *) *spine = atomic_load_explicit(&b->spine, memory_order_acquire);
    gs_spanset_block *block = atomic_load_explicit(&spine[top], memory_order_acquire);
    gs_mspan *s;
    while (!(s = atomic_load_explicit(&block->spans[bottom], memory_order_acquire)))
        __builtin_ia32_pause();
    atomic_store_explicit(&block->spans[bottom], NULL, memory_order_relaxed);
    if (atomic_fetch_add_explicit(&block->popped, 1, memory_order_acq_rel) + 1 == GS_SPANSET_BLOCK_ENTRIES) {
        atomic_store_explicit(&spine[top], NULL, memory_order_relaxed);
        block_free(block);
    }
    if (GS_UNLIKELY(s == TOMBSTONE)) goto again;
    return s;
}

uint32_t gs_spanset_len(gs_spanset *b) {
    uint64_t ht = atomic_load_explicit(&b->index, memory_order_acquire);
    uint32_t head = (uint32_t)(ht >> 32), tail = (uint32_t)ht;
    return tail > head ? tail - head : 0;
}

/*
 * Go's spanSet.reset: return the spine's blocks and restart the indices at 0.
 * The caller guarantees nobody pushes to this set (it is the idle one of
 * mcentral's pair); it must also be empty, which is checked here.
 */
bool gs_spanset_reset_if_empty(gs_spanset *b) {
    gs_mutex_lock(&b->spine_lock);
    uint64_t ht = atomic_load_explicit(&b->index, memory_order_acquire);
    bool empty = (uint32_t)(ht >> 32) == (uint32_t)ht;
    if (empty && ht != 0) {
        _Atomic(gs_spanset_block *) *spine = atomic_load_explicit(&b->spine, memory_order_relaxed);
        uintptr_t len = atomic_load_explicit(&b->spine_len, memory_order_relaxed);
        for (uintptr_t i = 0; i < len; i++) {
            gs_spanset_block *block = atomic_load_explicit(&spine[i], memory_order_relaxed);
            if (block) {
                atomic_store_explicit(&spine[i], NULL, memory_order_relaxed);
                block_free(block);
            }
        }
        atomic_store_explicit(&b->spine_len, 0, memory_order_release);
        atomic_store_explicit(&b->index, 0, memory_order_release);
    }
    gs_mutex_unlock(&b->spine_lock);
    return empty;
}

static void for_each_set(void (*fn)(gs_spanset *)) {
    for (int i = 0; i < GS_NUM_SPAN_CLASSES; i++)
        for (int k = 0; k < GS_SPANSET_GENS; k++) {
            fn(&gs_heap.central[i].partial[k]);
            fn(&gs_heap.central[i].full[k]);
        }
}
static void lock_spine(gs_spanset *b) { gs_mutex_lock(&b->spine_lock); }
static void unlock_spine(gs_spanset *b) { gs_mutex_unlock(&b->spine_lock); }

void gs_spanset_lock_all(void) {
    for_each_set(lock_spine);
    gs_mutex_lock(&block_pool.lock);
}

void gs_spanset_unlock_all(void) {
    gs_mutex_unlock(&block_pool.lock);
    for_each_set(unlock_spine);
}

/*
 * In a forked child (spine locks held by the fork handler): a thread of the
 * parent may have claimed a slot with its tail increment and not yet stored
 * its span — or not even added the block.  That thread does not exist in the
 * child, so give the slot a block and a tombstone that pop() skips; the span
 * it was pushing is lost to the child (a leak, not a hang).
 */
void gs_spanset_fork_child_repair(gs_spanset *b) {
    uint64_t ht = atomic_load_explicit(&b->index, memory_order_acquire);
    uint32_t head = (uint32_t)(ht >> 32), tail = (uint32_t)ht;
    if (head >= tail) return;
    gs_mutex_unlock(&block_pool.lock); /* spine_extend_locked takes it */
    spine_extend_locked(b, (tail - 1) / GS_SPANSET_BLOCK_ENTRIES);
    gs_mutex_lock(&block_pool.lock);
    _Atomic(gs_spanset_block *) *spine = atomic_load_explicit(&b->spine, memory_order_relaxed);
    for (uint32_t i = head; i < tail; i++) {
        gs_spanset_block *block = atomic_load_explicit(&spine[i / GS_SPANSET_BLOCK_ENTRIES], memory_order_relaxed);
        if (!atomic_load_explicit(&block->spans[i % GS_SPANSET_BLOCK_ENTRIES], memory_order_relaxed))
            atomic_store_explicit(&block->spans[i % GS_SPANSET_BLOCK_ENTRIES], TOMBSTONE, memory_order_relaxed);
    }
}
