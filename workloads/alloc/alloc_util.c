/* alloc_util.c — helpers shared by the allocator workloads (see alloc_util.h). */
#include "alloc_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

void awl_mark(void *p, size_t size, uint64_t cookie) {
    unsigned char *b = p;
    memcpy(b, &cookie, size < 8 ? size : 8);
    if (size > 8) b[size - 1] = (unsigned char)(cookie >> 56);
}

bool awl_marked(const void *p, size_t size, uint64_t cookie) {
    const unsigned char *b = p;
    uint64_t got = 0;
    memcpy(&got, b, size < 8 ? size : 8);
    uint64_t mask = size < 8 ? (1ull << (8 * size)) - 1 : ~0ull;
    return (got & mask) == (cookie & mask) && (size <= 8 || b[size - 1] == (unsigned char)(cookie >> 56));
}

bool awl_block_new(awl_block *b, size_t size, uint64_t cookie) {
    b->p = malloc(size);
    b->size = size;
    b->cookie = cookie;
    if (!b->p) return false;
    awl_mark(b->p, size, cookie);
    return true;
}

int awl_block_free(asb_ctx *ctx, awl_block *b, const char *workload, int thread, size_t index) {
    if (!b->p) return ASB_OK;
    if (!awl_marked(b->p, b->size, b->cookie))
        return asb_verify_fail(ctx, "%s: thread %d object %zu at %p (%zu B): cookie overwritten while live",
                               workload, thread, index, (void *)b->p, b->size);
    free(b->p);
    b->p = NULL;
    return ASB_OK;
}

/* A thread of awl_run_threads: its body, measured for thread_cpu_ns. */
typedef struct run_thread {
    asb_ctx *ctx;
    void *(*fn)(void *);
    void *arg;
} run_thread;

static void *run_thread_main(void *p) {
    run_thread *t = p;
    t->fn(t->arg);
    asb_thread_cpu_done(t->ctx);
    return NULL;
}

/* The threads' records (what each calls) are mapped, not malloc'd: a broken
 * allocator under test (tests/workloads/faulty_overlap.c) may hand out a
 * block twice, and must make the workload fail its own checks, not make a
 * thread call through an overwritten pointer.  The malloc'd thread ids keep
 * the workload's sequence of allocations what it always was. */
int awl_run_threads(asb_ctx *ctx, const char *workload, int n, void *(*fn)(void *), void *args, size_t stride) {
    pthread_t *tids = malloc((size_t)n * sizeof *tids);
    size_t bytes = (size_t)n * sizeof(run_thread);
    run_thread *threads = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!tids || threads == MAP_FAILED) {
        free(tids);
        if (threads != MAP_FAILED) munmap(threads, bytes);
        return asb_fail(ctx, ASB_ERROR, "%s: out of memory for %d threads", workload, n);
    }
    int started = 0, status = ASB_OK;
    for (; started < n; started++) {
        threads[started] = (run_thread){.ctx = ctx, .fn = fn, .arg = (char *)args + (size_t)started * stride};
        if (pthread_create(&tids[started], NULL, run_thread_main, &threads[started]) != 0) {
            status = asb_fail(ctx, ASB_ERROR, "%s: pthread_create failed for thread %d", workload, started);
            break;
        }
    }
    for (int i = 0; i < started; i++) pthread_join(tids[i], NULL);
    free(tids);
    munmap(threads, bytes);
    return status;
}

int awl_first_failure(const void *records, int n, size_t stride, size_t offset) {
    for (int i = 0; i < n; i++) {
        int status;
        memcpy(&status, (const char *)records + (size_t)i * stride + offset, sizeof status);
        if (status != ASB_OK) return status;
    }
    return ASB_OK;
}

void awl_sleep(double seconds) {
    struct timespec ts = {.tv_sec = (time_t)seconds, .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

bool awl_window_init(awl_window_buffer *w, size_t cap) {
    *w = (awl_window_buffer){.cap = cap, .window_len = cap / 5};
    w->slots = calloc(cap, sizeof *w->slots);
    return w->slots != NULL;
}

static int window_free(asb_ctx *ctx, awl_window_buffer *w, size_t i, const char *workload, int thread) {
    if (!w->slots[i].p) return ASB_OK;
    w->frees++;
    return awl_block_free(ctx, &w->slots[i], workload, thread, i);
}

/* Move the window forward, then free below it in allocation order and above
 * it in reverse order. */
static int window_sweep(asb_ctx *ctx, awl_window_buffer *w, const char *workload, int thread) {
    w->window_start += w->window_len;
    if (w->window_start + w->window_len > w->cap) w->window_start = 0;
    int status = ASB_OK;
    for (size_t i = 0; i < w->window_start && status == ASB_OK; i++)
        status = window_free(ctx, w, i, workload, thread);
    for (size_t i = w->cap; i > w->window_start + w->window_len && status == ASB_OK; i--)
        status = window_free(ctx, w, i - 1, workload, thread);
    w->next = 0;
    return status;
}

int awl_window_put(asb_ctx *ctx, awl_window_buffer *w, awl_block b, const char *workload, int thread) {
    if (w->next >= w->window_start && w->next < w->window_start + w->window_len)
        w->next = w->window_start + w->window_len;
    if (w->next >= w->cap) {
        int status = window_sweep(ctx, w, workload, thread);
        if (status != ASB_OK) return status;
        if (w->window_start == 0) w->next = w->window_len;
    }
    w->slots[w->next++] = b;
    return ASB_OK;
}

int awl_window_destroy(asb_ctx *ctx, awl_window_buffer *w, const char *workload, int thread) {
    int status = ASB_OK;
    for (size_t i = 0; i < w->cap && status == ASB_OK; i++) status = window_free(ctx, w, i, workload, thread);
    free(w->slots);
    w->slots = NULL;
    return status;
}
