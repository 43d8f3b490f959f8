/*
 * faulty.c — deliberately broken malloc libraries for LD_PRELOAD, used only
 * by tests: they prove that the conformance suite, `asbench stress` and the
 * workloads' own integrity checks catch a broken allocator, and how.
 *
 * One source, built once per fault; FAULTY_FAULT selects the fault:
 *   FAULT_OVERLAP   every 64th block (64 B .. 64 KiB) becomes a donor: the next
 *                   allocation that fits in its second half is placed there,
 *                   so two live blocks share bytes;
 *   FAULT_MISALIGN  every block is 8 bytes off the alignment it must have;
 *   FAULT_EARLY_FREE every 64th block is handed out again, whole, to the next
 *                   allocation that fits, while its first owner still holds it
 *                   (as if it had been freed early);
 *   FAULT_LEAK      free() never releases anything;
 *   FAULT_XTHREAD_CRASH free() of a block allocated by another thread kills the
 *                   process with SIGSEGV.
 *
 * Every API is served by glibc's own allocator (the __libc_* entry points, so
 * there is no dlsym recursion at start-up) with a 32-byte header in front of
 * each block; blocks handed out a second time ("aliases") are kept in a small
 * table so that freeing one does not free glibc's block twice — the fault
 * stays a silent corruption for the checker to find, not a glibc abort.
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAULT_OVERLAP 1
#define FAULT_MISALIGN 2
#define FAULT_EARLY_FREE 3
#define FAULT_LEAK 4
#define FAULT_XTHREAD_CRASH 5

#ifndef FAULTY_FAULT
#error "build with -DFAULTY_FAULT=FAULT_…"
#endif

/* glibc's allocator, bypassing the interposed symbols defined below. */
extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_realloc(void *, size_t);

enum { DONOR_EVERY = 64, MAX_ALIASES = 256, MISALIGN_BY = 8 };
static const uint64_t HEADER_MAGIC = 0xfa017ba5eb10c4edull;

typedef struct block_header {
    void *real;       /* what __libc_malloc returned */
    size_t size;      /* bytes asked for */
    pthread_t owner;  /* allocating thread */
    uint64_t magic;
} block_header;

typedef struct alias {
    void *p;
    size_t size;
} alias;

static pthread_mutex_t alias_lock = PTHREAD_MUTEX_INITIALIZER;
static alias aliases[MAX_ALIASES];
static _Atomic int nalias;
static void *_Atomic donor;      /* block whose bytes the next allocation may reuse */
static size_t donor_size;        /* guarded by alias_lock */
static _Atomic uint64_t nallocs;

static void lock_before_fork(void) { pthread_mutex_lock(&alias_lock); }
static void unlock_after_fork(void) { pthread_mutex_unlock(&alias_lock); }

__attribute__((constructor)) static void faulty_init(void) {
    pthread_atfork(lock_before_fork, unlock_after_fork, unlock_after_fork);
}

static block_header *header_of(void *p) { return (block_header *)p - 1; }

/* Faults that hand a live block's bytes to a second allocation. */
static const bool reuses_live_blocks = FAULTY_FAULT == FAULT_OVERLAP || FAULTY_FAULT == FAULT_EARLY_FREE;

/* An allocation served from the current donor, or NULL. */
static void *take_donor(size_t n) {
    if (!reuses_live_blocks || !atomic_load_explicit(&donor, memory_order_relaxed) || n == 0) return NULL;
    void *p = NULL;
    pthread_mutex_lock(&alias_lock);
    unsigned char *d = atomic_load(&donor);
    /* overlap: the second half of the donor; early free: all of it. */
    size_t offset = FAULTY_FAULT == FAULT_OVERLAP ? donor_size / 2 & ~(size_t)15 : 0;
    if (d && n <= donor_size - offset && nalias < MAX_ALIASES) {
        p = d + offset;
        aliases[nalias] = (alias){p, n};
        atomic_fetch_add(&nalias, 1);
        atomic_store(&donor, NULL);
    }
    pthread_mutex_unlock(&alias_lock);
    return p;
}

static void maybe_make_donor(void *p, size_t n) {
    if (!reuses_live_blocks) return;
    if (atomic_fetch_add_explicit(&nallocs, 1, memory_order_relaxed) % DONOR_EVERY != DONOR_EVERY - 1) return;
    if (n < 64 || n > 65536) return;
    pthread_mutex_lock(&alias_lock);
    atomic_store(&donor, p);
    donor_size = n;
    pthread_mutex_unlock(&alias_lock);
}

/* Drops p from the alias table; true if it was an alias (nothing to free). */
static bool forget_alias(void *p) {
    if (atomic_load_explicit(&nalias, memory_order_relaxed) == 0) return false;
    bool found = false;
    pthread_mutex_lock(&alias_lock);
    int n = atomic_load(&nalias);
    for (int i = 0; i < n; i++)
        if (aliases[i].p == p) {
            aliases[i] = aliases[n - 1];
            atomic_store(&nalias, n - 1);
            found = true;
            break;
        }
    pthread_mutex_unlock(&alias_lock);
    return found;
}

static bool alias_size(void *p, size_t *size) {
    if (atomic_load_explicit(&nalias, memory_order_relaxed) == 0) return false;
    bool found = false;
    pthread_mutex_lock(&alias_lock);
    for (int i = 0; i < nalias && !found; i++)
        if (aliases[i].p == p) {
            *size = aliases[i].size;
            found = true;
        }
    pthread_mutex_unlock(&alias_lock);
    return found;
}

/* A block of n bytes aligned to `align` (a power of two ≥ 16). */
static void *faulty_alloc(size_t n, size_t align) {
    void *p = align == 16 ? take_donor(n) : NULL; /* the fault under test is not misalignment */
    if (p) return p;
    size_t skew = FAULTY_FAULT == FAULT_MISALIGN ? MISALIGN_BY : 0;
    size_t overhead = sizeof(block_header) + align + skew;
    if (n > SIZE_MAX - overhead) {
        errno = ENOMEM;
        return NULL;
    }
    unsigned char *real = __libc_malloc(n + overhead);
    if (!real) return NULL;
    uintptr_t user = ((uintptr_t)real + sizeof(block_header) + align - 1) & ~(uintptr_t)(align - 1);
    p = (void *)(user + skew);
    *header_of(p) = (block_header){.real = real, .size = n, .owner = pthread_self(), .magic = HEADER_MAGIC};
    maybe_make_donor(p, n);
    return p;
}

/* Size of a block we handed out; false for a block glibc made before us. */
static bool block_size(void *p, size_t *size) {
    if (alias_size(p, size)) return true;
    if (header_of(p)->magic != HEADER_MAGIC) return false;
    *size = header_of(p)->size;
    return true;
}

void *malloc(size_t n) { return faulty_alloc(n, 16); }

void free(void *p) {
    if (!p || forget_alias(p)) return;
    block_header *h = header_of(p);
    if (h->magic != HEADER_MAGIC) { /* not ours: allocated before the library was loaded */
        __libc_free(p);
        return;
    }
    void *expected = p;
    atomic_compare_exchange_strong(&donor, &expected, NULL);
#if FAULTY_FAULT == FAULT_XTHREAD_CRASH
    if (!pthread_equal(h->owner, pthread_self())) raise(SIGSEGV);
#endif
#if FAULTY_FAULT != FAULT_LEAK
    h->magic = 0;
    __libc_free(h->real);
#endif
}

void *calloc(size_t count, size_t size) {
    size_t n;
    if (__builtin_mul_overflow(count, size, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = faulty_alloc(n, 16);
    if (p) memset(p, 0, n);
    return p;
}

void *realloc(void *p, size_t n) {
    if (!p) return malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    size_t old;
    if (!block_size(p, &old)) return __libc_realloc(p, n);
    void *q = malloc(n);
    if (!q) return NULL;
    memcpy(q, p, old < n ? old : n);
    free(p);
    return q;
}

void *reallocarray(void *p, size_t count, size_t size) {
    size_t n;
    if (__builtin_mul_overflow(count, size, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, n);
}

static bool valid_alignment(size_t align) { return align && (align & (align - 1)) == 0; }

int posix_memalign(void **out, size_t align, size_t n) {
    if (!valid_alignment(align) || align % sizeof(void *)) return EINVAL;
    void *p = faulty_alloc(n, align < 16 ? 16 : align);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t n) {
    if (!valid_alignment(align)) {
        errno = EINVAL;
        return NULL;
    }
    return faulty_alloc(n, align < 16 ? 16 : align);
}

void *memalign(size_t align, size_t n) { return aligned_alloc(align, n); }

void *valloc(size_t n) { return faulty_alloc(n, (size_t)sysconf(_SC_PAGESIZE)); }

void *pvalloc(size_t n) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (n > SIZE_MAX - page) {
        errno = ENOMEM;
        return NULL;
    }
    return faulty_alloc((n + page - 1) / page * page, page);
}

size_t malloc_usable_size(void *p) {
    if (!p) return 0;
    size_t n;
    if (block_size(p, &n)) return n;
    size_t (*glibc_usable_size)(void *) = (size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
    return glibc_usable_size ? glibc_usable_size(p) : 0;
}
