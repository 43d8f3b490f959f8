/*
 * shim.c — libasb-app-shim.so, the proof that a backend serves an
 * application.  `asbench run --workload app:…` preloads it first, before the
 * backend's library: its malloc/calloc/realloc/free count the calls and
 * forward to the next definition (dlsym(RTLD_NEXT)), and at exit it writes
 * what it counted and which library that next malloc lives in (dladdr) to
 * $ASB_SHIM_OUT/shim.PID, which the runner (run.c) reads.  A process that
 * never loads it (a static binary), or whose allocations bypass malloc (an
 * allocator of its own), leaves no file or a small count.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void (*next_free)(void *);

/* Relaxed counters: exact totals, no ordering needed. */
static atomic_ulong mallocs, frees;
static char out_dir[1024];

/* dlsym may allocate while the shim is resolving its own functions: those
 * few blocks come from this buffer, each with its size before it, and are
 * never freed. */
static _Alignas(16) char boot[16384];
static size_t boot_used;
static _Thread_local int resolving;

static void *boot_alloc(size_t n) {
    size_t need = (n + 31) & ~(size_t)15;
    if (boot_used + need > sizeof boot) return NULL;
    char *p = boot + boot_used + 16;
    *(size_t *)(p - 16) = n;
    boot_used += need;
    return p;
}

static int is_boot(const void *p) { return (const char *)p >= boot && (const char *)p < boot + sizeof boot; }

/* All four are published together, at the end: until then every call
 * takes the boot path, so no block of the next allocator exists before
 * its realloc and free are known. */
static void resolve(void) {
    if (next_free) return;
    resolving = 1;
    void *m = dlsym(RTLD_NEXT, "malloc"), *c = dlsym(RTLD_NEXT, "calloc"), *r = dlsym(RTLD_NEXT, "realloc"),
         *f = dlsym(RTLD_NEXT, "free");
    resolving = 0;
    if (!m || !c || !r || !f) abort();
    next_malloc = (void *(*)(size_t))m;
    next_calloc = (void *(*)(size_t, size_t))c;
    next_realloc = (void *(*)(void *, size_t))r;
    next_free = (void (*)(void *))f;
}

void *malloc(size_t n) {
    if (!next_malloc) {
        if (resolving) return boot_alloc(n);
        resolve();
    }
    atomic_fetch_add_explicit(&mallocs, 1, memory_order_relaxed);
    return next_malloc(n);
}

void *calloc(size_t n, size_t size) {
    if (!next_calloc) {
        if (resolving) return boot_alloc(n * size); /* boot is zeroed and never reused */
        resolve();
    }
    atomic_fetch_add_explicit(&mallocs, 1, memory_order_relaxed);
    return next_calloc(n, size);
}

/* A boot block moved to a new block of n bytes (from boot while resolving). */
static void *boot_move(void *p, size_t n) {
    size_t old = *(const size_t *)((const char *)p - 16);
    void *q = resolving ? boot_alloc(n) : next_malloc(n);
    if (q) memcpy(q, p, old < n ? old : n);
    return q;
}

void *realloc(void *p, size_t n) {
    if (p && is_boot(p)) return boot_move(p, n);
    if (!next_realloc) {
        if (resolving) return boot_alloc(n); /* p is NULL: every block is a boot block until then */
        resolve();
    }
    atomic_fetch_add_explicit(&mallocs, 1, memory_order_relaxed);
    return next_realloc(p, n);
}

void free(void *p) {
    if (!p || is_boot(p)) return;
    if (!next_free) resolve();
    atomic_fetch_add_explicit(&frees, 1, memory_order_relaxed);
    next_free(p);
}

/* A forked child counts its own calls only. */
static void reset_in_child(void) {
    atomic_store(&mallocs, 0);
    atomic_store(&frees, 0);
}

__attribute__((constructor)) static void shim_init(void) {
    resolve();
    const char *dir = getenv("ASB_SHIM_OUT"); /* kept: the program may clear its environment */
    if (dir && strlen(dir) < sizeof out_dir) strcpy(out_dir, dir);
    pthread_atfork(NULL, NULL, reset_in_child);
}

__attribute__((destructor)) static void shim_report(void) {
    if (!out_dir[0]) return;
    Dl_info info = {0};
    const char *lib = dladdr((void *)next_malloc, &info) && info.dli_fname ? info.dli_fname : "?";
    char exe[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    char path[1100];
    snprintf(path, sizeof path, "%s/shim.%d", out_dir, (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    dprintf(fd, "mallocs=%lu\nfrees=%lu\nlib=%s\nexe=%s\n", atomic_load(&mallocs), atomic_load(&frees), lib, exe);
    close(fd);
}
