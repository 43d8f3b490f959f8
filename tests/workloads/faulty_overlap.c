/*
 * faulty_overlap.c — a deliberately broken allocator for the workloads'
 * integrity tests (LD_PRELOAD).  It wraps glibc's malloc, but every
 * FAULT_PERIOD-th allocation hands out the most recently allocated block that
 * is still live a second time, so two live objects overlap — the classic
 * result of a corrupted free list.  Frees of such a shared block are counted
 * so that glibc frees it only once: the process itself never crashes, and
 * only the workloads' own checks can notice the corruption.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define FAULT_PERIOD 1000
#define MAX_SHARED 4096

extern void *__libc_malloc(size_t size);
extern void __libc_free(void *p);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void *last_block;     /* most recent block handed out and not freed since */
static uint64_t allocations; /* counts every malloc/calloc */
static bool fault_due;
/* Blocks handed out twice: each extra hand-out needs one extra free. */
static struct {
    void *p;
    int extra;
} shared[MAX_SHARED];
static int shared_top; /* entries at or above it were never used */

static int shared_index(void *p) {
    for (int i = 0; i < shared_top; i++)
        if (shared[i].extra > 0 && shared[i].p == p) return i;
    return -1;
}

static bool share(void *p) {
    int i = shared_index(p);
    if (i < 0)
        for (i = 0; i < MAX_SHARED && shared[i].extra > 0; i++) {
        }
    if (i == MAX_SHARED) return false;
    shared[i].p = p;
    shared[i].extra++;
    if (i >= shared_top) shared_top = i + 1;
    return true;
}

/* Under the lock: forget p as the last block; true if this free only
 * drops a second owner and the memory must stay allocated. */
static bool release(void *p) {
    if (p == last_block) last_block = NULL;
    int i = shared_index(p);
    if (i < 0) return false;
    shared[i].extra--;
    return true;
}

void *malloc(size_t size) {
    void *p = NULL;
    pthread_mutex_lock(&lock);
    if (++allocations % FAULT_PERIOD == 0) fault_due = true;
    if (fault_due && last_block && malloc_usable_size(last_block) >= size && share(last_block)) {
        p = last_block;
        fault_due = false;
    }
    pthread_mutex_unlock(&lock);
    if (p) return p;
    p = __libc_malloc(size);
    pthread_mutex_lock(&lock);
    last_block = p;
    pthread_mutex_unlock(&lock);
    return p;
}

void free(void *p) {
    if (!p) return;
    pthread_mutex_lock(&lock);
    bool keep = release(p);
    pthread_mutex_unlock(&lock);
    if (!keep) __libc_free(p);
}

void *calloc(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) return NULL;
    void *p = malloc(n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

void *realloc(void *p, size_t size) {
    if (!p) return malloc(size);
    pthread_mutex_lock(&lock);
    bool keep = release(p);
    pthread_mutex_unlock(&lock);
    if (!keep) return __libc_realloc(p, size);
    /* A shared block stays with its other owner: move to a fresh one. */
    void *q = __libc_malloc(size);
    if (q) {
        size_t old = malloc_usable_size(p);
        memcpy(q, p, old < size ? old : size);
    }
    return q;
}

void *memalign(size_t align, size_t size) { return __libc_memalign(align, size); }
void *aligned_alloc(size_t align, size_t size) { return __libc_memalign(align, size); }

int posix_memalign(void **out, size_t align, size_t size) {
    void *p = __libc_memalign(align, size);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
