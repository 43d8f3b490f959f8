/*
 * dup_alloc.c — a deliberately broken allocator shim for the replay's
 * verification test: preloaded, it forwards malloc to the next definition,
 * except that once ASB_DUP_AT mallocs of at most 64 bytes have been served,
 * the next one made while the previous such block is live returns that block
 * again (a double allocation, as a
 * corrupted free list would produce).  The replay must then report
 * verify-failed, not ok.
 */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

static void *(*next_malloc)(size_t);
static void (*next_free)(void *);
static void *(*next_realloc)(void *, size_t);
static atomic_long small_mallocs;
static void *_Atomic previous;
static atomic_bool duplicated;

__attribute__((visibility("default"))) void *malloc(size_t size) {
    if (!next_malloc) next_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    if (size > 64 || size == 0) return next_malloc(size);
    static long dup_at = -1;
    if (dup_at < 0) {
        const char *v = getenv("ASB_DUP_AT");
        dup_at = v ? atol(v) : 0;
    }
    long n = atomic_fetch_add(&small_mallocs, 1) + 1;
    void *prev = atomic_load(&previous);
    if (dup_at && n >= dup_at && prev && !atomic_exchange(&duplicated, true)) return prev;
    void *p = next_malloc(size);
    atomic_store(&previous, p);
    return p;
}

/* p is about to stop being live: never hand it out again. */
static void forget(void *p) {
    void *expected = p;
    if (p) atomic_compare_exchange_strong(&previous, &expected, NULL);
}

__attribute__((visibility("default"))) void free(void *p) {
    if (!next_free) next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    forget(p);
    next_free(p);
}

__attribute__((visibility("default"))) void *realloc(void *p, size_t size) {
    if (!next_realloc) next_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    forget(p);
    return next_realloc(p, size);
}
