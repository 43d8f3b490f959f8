/*
 * alloc_util.h — helpers shared by the allocator workloads: block marks
 * (a cookie in the first word, a tag in the last byte) checked before every
 * free, a record type for a live block, running a workload's threads, and the
 * survivor-window buffer of sh6bench/sh8bench.
 *
 * Why cookies: a broken allocator (overlapping blocks, a block handed out
 * twice, early reuse of a freed block) overwrites another live block's mark,
 * and the workload then fails with ASB_VERIFY_FAILED instead of reporting a
 * plausible time.
 */
#ifndef ASB_ALLOC_UTIL_H
#define ASB_ALLOC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../workload.h"

/* splitmix64's finaliser: turns (thread, index, generation) into a cookie in
 * which every input bit moves about half the output bits. */
static inline uint64_t awl_mix(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static inline uint64_t awl_cookie(uint64_t a, uint64_t b, uint64_t c) {
    return awl_mix(awl_mix(awl_mix(a + 0x9e3779b97f4a7c15ull) ^ b) ^ c);
}

/* Writes the cookie into the first min(size, 8) bytes and, in blocks longer
 * than 8 bytes, its top byte into the last byte (size >= 1). */
void awl_mark(void *p, size_t size, uint64_t cookie);
/* True if the block still carries the mark awl_mark wrote. */
bool awl_marked(const void *p, size_t size, uint64_t cookie);

/* A live block with the cookie it was marked with. */
typedef struct awl_block {
    unsigned char *p;
    size_t size;
    uint64_t cookie;
} awl_block;

/* malloc(size) into *b and mark it; false if malloc returned NULL. */
bool awl_block_new(awl_block *b, size_t size, uint64_t cookie);
/* Check b's mark, then free it and clear b.  Returns ASB_OK, or the
 * verify failure (the block is then left allocated: a corrupted heap is not
 * handed back to the allocator) naming the workload, thread and object. */
int awl_block_free(asb_ctx *ctx, awl_block *b, const char *workload, int thread, size_t index);

/* Run fn on n threads, the i-th with argument (char *)args + i * stride, and
 * join them all; each thread's CPU time goes into thread_cpu_ns.  Returns ASB_OK, or ASB_ERROR if a thread could not start
 * (those that did are joined first). */
int awl_run_threads(asb_ctx *ctx, const char *workload, int n, void *(*fn)(void *), void *args, size_t stride);

/* Reads a thread record's status field at `offset` for n records; returns the
 * first one that is not ASB_OK. */
int awl_first_failure(const void *records, int n, size_t stride, size_t offset);

/* Sleep for `seconds`, resuming after signal interruptions (the clock of
 * the fixed-time workloads). */
void awl_sleep(double seconds);

/*
 * The sh6bench/sh8bench buffer: `cap` slots filled in order while a window
 * of cap/5 survivors stays untouched.  When the fill pointer reaches the end,
 * the blocks below the window are freed in allocation order, those above it in
 * reverse order, and the window moves forward by its own size (wrapping), so
 * the old survivors are freed in the next sweep.
 */
typedef struct awl_window_buffer {
    awl_block *slots;
    size_t cap, next, window_start, window_len;
    uint64_t frees;
} awl_window_buffer;

bool awl_window_init(awl_window_buffer *w, size_t cap);
/* Store a block (already marked); sweeps when full.  Returns ASB_OK or the
 * verify failure of a swept block. */
int awl_window_put(asb_ctx *ctx, awl_window_buffer *w, awl_block b, const char *workload, int thread);
/* Free everything left (checking marks) and release the slot array. */
int awl_window_destroy(asb_ctx *ctx, awl_window_buffer *w, const char *workload, int thread);

/* The loop shared by cache-scratch and cache-thrash (cache-scratch.c): P
 * threads each allocate objsize bytes, write every byte reps/P times, free,
 * `iterations` times.  With `handoff`, the main thread first allocates P
 * objects back to back and each thread frees one of them before its loop. */
int awl_cache_sharing_run(asb_ctx *ctx, const char *workload, bool handoff);

#endif
