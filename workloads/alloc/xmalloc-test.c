/*
 * xmalloc-test.c — producer/consumer remote frees (after xmalloc-test in
 * shared/reference/workloads.md).  P producer threads allocate batches of
 * `batch` blocks (size `size`, or with size=0 a size cycling through 8, 12,
 * 18 … ×1.5 up to 2048), write the first 128 bytes of each, and push the batch
 * on a mutex/condvar stack capped at `max_batches`; P consumer threads pop
 * batches and free every block.  Every block is checked before its free.
 *
 * Fixed time: `time` seconds.  One op = one block freed by a consumer in a
 * batch finished before the stop; blocks drained after the stop are freed
 * (and checked) but not counted.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_util.h"

#define XMALLOC "xmalloc-test"

typedef struct xm_batch {
    struct xm_batch *next;
    int producer;
    uint64_t serial;
    size_t n;
    awl_block blocks[]; /* flexible: `batch` entries */
} xm_batch;

typedef struct xm_shared {
    pthread_mutex_t lock;
    pthread_cond_t not_full, not_empty;
    xm_batch *top;
    int depth, max_depth;
    int producers_left;
    atomic_bool stop;
    size_t batch, fixed_size;
} xm_shared;

typedef struct xm_thread {
    asb_ctx *ctx;
    xm_shared *shared;
    int index;
    enum { XM_PRODUCER, XM_CONSUMER, XM_TIMEKEEPER } role;
    int status;
    uint64_t counted_frees, counted_bytes;
} xm_thread;

/* The ×1.5 size ladder 8, 12, 18, 27 … ≤ 2048 used when size=0. */
static size_t xm_next_size(size_t s) {
    size_t n = s + s / 2;
    return n > 2048 ? 8 : n;
}

static void *xm_producer(xm_thread *t) {
    xm_shared *sh = t->shared;
    size_t size = sh->fixed_size ? sh->fixed_size : 8;
    for (uint64_t serial = 0; !atomic_load_explicit(&sh->stop, memory_order_relaxed); serial++) {
        xm_batch *b = malloc(sizeof *b + sh->batch * sizeof b->blocks[0]);
        if (!b) {
            t->status = asb_fail(t->ctx, ASB_ERROR, "xmalloc-test: out of memory for a batch");
            break;
        }
        *b = (xm_batch){.producer = t->index, .serial = serial, .n = sh->batch};
        for (size_t i = 0; i < sh->batch; i++) {
            awl_block *blk = &b->blocks[i];
            blk->p = malloc(size);
            if (!blk->p) {
                t->status = asb_fail(t->ctx, ASB_ERROR, "xmalloc-test: malloc(%zu) returned NULL", size);
                b->n = i;
                break;
            }
            memset(blk->p, 0xa5, size < 128 ? size : 128);
            blk->size = size;
            blk->cookie = awl_cookie((uint64_t)t->index, serial, i);
            awl_mark(blk->p, size, blk->cookie);
            if (!sh->fixed_size) size = xm_next_size(size);
        }
        pthread_mutex_lock(&sh->lock);
        while (sh->depth >= sh->max_depth && !atomic_load(&sh->stop)) pthread_cond_wait(&sh->not_full, &sh->lock);
        b->next = sh->top;
        sh->top = b;
        sh->depth++;
        pthread_cond_signal(&sh->not_empty);
        pthread_mutex_unlock(&sh->lock);
        if (t->status != ASB_OK) break;
    }
    pthread_mutex_lock(&sh->lock);
    sh->producers_left--;
    pthread_cond_broadcast(&sh->not_empty);
    pthread_mutex_unlock(&sh->lock);
    return NULL;
}

static void *xm_consumer(xm_thread *t) {
    xm_shared *sh = t->shared;
    for (;;) {
        pthread_mutex_lock(&sh->lock);
        while (!sh->top && sh->producers_left > 0) pthread_cond_wait(&sh->not_empty, &sh->lock);
        xm_batch *b = sh->top;
        if (b) {
            sh->top = b->next;
            sh->depth--;
            pthread_cond_signal(&sh->not_full);
        }
        pthread_mutex_unlock(&sh->lock);
        if (!b) break; /* stack empty and every producer gone */
        for (size_t i = 0; i < b->n && t->status == ASB_OK; i++) {
            awl_block *blk = &b->blocks[i];
            if (!awl_marked(blk->p, blk->size, blk->cookie))
                t->status = asb_verify_fail(t->ctx, "xmalloc-test: producer %d batch %llu object %zu at %p (%zu B): "
                                            "cookie overwritten before its free",
                                            b->producer, (unsigned long long)b->serial, i, (void *)blk->p, blk->size);
            else
                free(blk->p);
        }
        if (t->status == ASB_OK && !atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
            t->counted_frees += b->n;
            for (size_t i = 0; i < b->n; i++) t->counted_bytes += b->blocks[i].size;
        }
        free(b);
    }
    return NULL;
}

static void *xm_timekeeper(xm_thread *t) {
    awl_sleep(asb_param_f(t->ctx, "time"));
    xm_shared *sh = t->shared;
    pthread_mutex_lock(&sh->lock);
    atomic_store(&sh->stop, true);
    pthread_cond_broadcast(&sh->not_full);
    pthread_mutex_unlock(&sh->lock);
    asb_timer_stop(t->ctx);
    return NULL;
}

static void *xm_thread_main(void *arg) {
    xm_thread *t = arg;
    switch (t->role) {
    case XM_PRODUCER: return xm_producer(t);
    case XM_CONSUMER: return xm_consumer(t);
    default: return xm_timekeeper(t);
    }
}

static int xm_run(asb_ctx *ctx) {
    int64_t size = asb_param_i(ctx, "size"), batch = asb_param_i(ctx, "batch");
    int64_t max_batches = asb_param_i(ctx, "max_batches");
    if (asb_param_f(ctx, "time") <= 0 || size < 0 || batch < 1 || max_batches < 1)
        return asb_fail(ctx, ASB_USAGE, "xmalloc-test: need time > 0, size >= 0, batch >= 1, max_batches >= 1");
    int p = asb_threads(ctx);
    xm_shared sh = {.max_depth = (int)max_batches, .producers_left = p, .batch = (size_t)batch,
                    .fixed_size = (size_t)size};
    pthread_mutex_init(&sh.lock, NULL);
    pthread_cond_init(&sh.not_full, NULL);
    pthread_cond_init(&sh.not_empty, NULL);
    /* Threads 0..P-1 produce, P..2P-1 consume, the last keeps time. */
    xm_thread *threads = calloc((size_t)(2 * p + 1), sizeof *threads);
    if (!threads) return asb_fail(ctx, ASB_ERROR, "xmalloc-test: out of memory");
    for (int i = 0; i <= 2 * p; i++)
        threads[i] = (xm_thread){.ctx = ctx, .shared = &sh, .index = i % p,
                                 .role = i < p ? XM_PRODUCER : i < 2 * p ? XM_CONSUMER : XM_TIMEKEEPER};
    asb_timer_start(ctx);
    int status = awl_run_threads(ctx, XMALLOC, 2 * p + 1, xm_thread_main, threads, sizeof *threads);
    uint64_t frees = 0, bytes = 0;
    for (int i = 0; i < 2 * p; i++) {
        if (status == ASB_OK) status = threads[i].status;
        frees += threads[i].counted_frees;
        bytes += threads[i].counted_bytes;
    }
    free(threads);
    pthread_mutex_destroy(&sh.lock);
    pthread_cond_destroy(&sh.not_full);
    pthread_cond_destroy(&sh.not_empty);
    asb_count(ctx, frees, frees, bytes); /* each counted free pairs with one malloc */
    return status;
}

static const asb_param_def xm_params[] = {
    {"time", "5", "0.25", "seconds to run (fixed time); P = --threads producers plus P consumers (2P threads)"},
    {"size", "64", NULL, "block size in bytes; 0 = sizes cycling 8, 12, 18 ... x1.5 up to 2048"},
    {"batch", "4096", NULL, "blocks per batch handed from a producer to a consumer"},
    {"max_batches", "100", NULL, "producers wait while this many batches are queued"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload xmalloc_test = {
    .name = XMALLOC,
    .kind = "alloc",
    .stresses = "producer-to-consumer remote frees: every block is freed by a thread other than its allocator",
    .params = xm_params,
    .work_param = "time",
    .run = xm_run,
};
ASB_REGISTER_WORKLOAD(xmalloc_test)
