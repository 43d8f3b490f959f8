/*
 * misuse.c — a naive free-list allocator for LD_PRELOAD whose reaction to a
 * double free is chosen at build time, so that every verdict of `asbench
 * security` (harness/security.c) is produced on purpose by some backend
 * and its classifier is tested (tests/security).  Used only by tests.
 *
 * Blocks carry a 16-byte in-band header (size, state); freed blocks of up
 * to 4 KiB go on per-size LIFO lists linked through their first word, with
 * nothing checked — like an allocator before any hardening.  MISUSE_MODE:
 *   MODE_NAIVE  trusts everything: a double free puts the block on its list
 *               twice, a planted link is followed (exploitable);
 *   MODE_ABORT  free() of a freed block prints a message and aborts (detected);
 *   MODE_LATE   free() of a freed block is noted; the next malloc() prints a
 *               message and aborts (detected-late);
 *   MODE_CRASH  free() of a freed block plants a wild link, and the malloc
 *               that follows it dies of SIGSEGV without a word (crashed-later);
 *   MODE_HANG   free() of a freed block never returns (timeout);
 *   MODE_IGNORE free() does nothing at all, and there is no
 *               malloc_usable_size (silent; not-applicable where it is needed).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MODE_NAIVE 1
#define MODE_ABORT 2
#define MODE_LATE 3
#define MODE_CRASH 4
#define MODE_HANG 5
#define MODE_IGNORE 6

#ifndef MISUSE_MODE
#error "build with -DMISUSE_MODE=MODE_…"
#endif

enum { ALIGN = 16, MAX_SMALL = 4096, NLISTS = MAX_SMALL / ALIGN + 1 };
enum { STATE_LIVE = 0x11fe, STATE_FREE = 0xf4ee, STATE_MAPPED = 0x3a9 };
static const size_t ARENA_BYTES = (size_t)1 << 32; /* reserved, touched as used */

typedef struct header {
    size_t size;     /* rounded size; for mapped blocks, the length of the mapping */
    uint32_t state;
    uint32_t offset; /* mapped blocks: from the mapping's start to the block */
} header;

typedef struct free_block {
    struct free_block *next;
} free_block;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char *arena, *arena_next, *arena_end;
static free_block *lists[NLISTS];
#if MISUSE_MODE == MODE_LATE
static bool double_freed; /* noticed, not yet reported */
#endif

static void lock_before_fork(void) { pthread_mutex_lock(&lock); }
static void unlock_after_fork(void) { pthread_mutex_unlock(&lock); }
__attribute__((constructor)) static void misuse_init(void) {
    pthread_atfork(lock_before_fork, unlock_after_fork, unlock_after_fork);
}

static header *header_of(void *p) { return (header *)p - 1; }

#if MISUSE_MODE == MODE_ABORT || MISUSE_MODE == MODE_LATE
static void say(const char *msg) {
    ssize_t ignored = write(2, msg, strlen(msg));
    (void)ignored;
}
#endif

static void *map_block(size_t n, size_t align) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (n > SIZE_MAX / 2 || align > SIZE_MAX / 4) return NULL;
    size_t len = (n + align + sizeof(header) + page - 1) & ~(page - 1);
    unsigned char *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return NULL;
    unsigned char *p = (unsigned char *)(((uintptr_t)base + sizeof(header) + align - 1) & ~(uintptr_t)(align - 1));
    *header_of(p) = (header){.size = len, .state = STATE_MAPPED, .offset = (uint32_t)(p - base)};
    return p;
}

static void *small_block(size_t rounded) {
    size_t i = rounded / ALIGN;
    pthread_mutex_lock(&lock);
#if MISUSE_MODE == MODE_LATE
    if (double_freed) {
        say("misuse-late: malloc(): the free list holds a block twice (a double free earlier)\n");
        abort();
    }
#endif
    void *p = lists[i];
    if (p) {
        lists[i] = ((free_block *)p)->next; /* followed blindly, wherever it points */
    } else {
        if (!arena) {
            arena = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (arena == MAP_FAILED) arena = NULL;
            arena_next = arena;
            arena_end = arena ? arena + ARENA_BYTES : NULL;
        }
        if (arena && (size_t)(arena_end - arena_next) >= rounded + sizeof(header)) {
            p = arena_next + sizeof(header);
            arena_next += rounded + sizeof(header);
        }
    }
    if (p) *header_of(p) = (header){.size = rounded, .state = STATE_LIVE};
    pthread_mutex_unlock(&lock);
    return p;
}

static void *allocate(size_t n, size_t align) {
    if (n > MAX_SMALL || align > ALIGN) {
        void *p = map_block(n, align < ALIGN ? ALIGN : align);
        if (!p) errno = ENOMEM;
        return p;
    }
    void *p = small_block(n == 0 ? ALIGN : (n + ALIGN - 1) & ~(size_t)(ALIGN - 1));
    if (!p) errno = ENOMEM;
    return p;
}

void *malloc(size_t n) { return allocate(n, ALIGN); }

void free(void *p) {
#if MISUSE_MODE == MODE_IGNORE
    (void)p;
#else
    if (!p) return;
    header *h = header_of(p);
    if (h->state == STATE_MAPPED) {
        munmap((unsigned char *)p - h->offset, h->size);
        return;
    }
    size_t i = h->size / ALIGN;
    if (h->size == 0 || h->size % ALIGN || i >= NLISTS) return; /* nothing it could use */
    pthread_mutex_lock(&lock);
    if (h->state == STATE_FREE) {
#if MISUSE_MODE == MODE_ABORT
        say("misuse-abort: free(): double free\n");
        abort();
#elif MISUSE_MODE == MODE_LATE
        double_freed = true;
#elif MISUSE_MODE == MODE_CRASH
        ((free_block *)p)->next = (free_block *)(uintptr_t)0xdead0000; /* a wild link, as corruption leaves */
        pthread_mutex_unlock(&lock);
        return;
#elif MISUSE_MODE == MODE_HANG
        for (;;) pause(); /* as a corrupted list walked in a circle would */
#endif
    }
    h->state = STATE_FREE;
    ((free_block *)p)->next = lists[i];
    lists[i] = p;
    pthread_mutex_unlock(&lock);
#endif
}

#if MISUSE_MODE != MODE_IGNORE
static size_t usable(void *p) {
    header *h = header_of(p);
    return h->state == STATE_MAPPED ? h->size - h->offset : h->size;
}

size_t malloc_usable_size(void *p) { return p ? usable(p) : 0; }
#endif

void *calloc(size_t count, size_t size) {
    size_t n;
    if (__builtin_mul_overflow(count, size, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = allocate(n, ALIGN);
    if (p) memset(p, 0, n);
    return p;
}

void *realloc(void *p, size_t n) {
    if (!p) return malloc(n);
    void *q = malloc(n);
    if (!q) return NULL;
    size_t old = header_of(p)->state == STATE_MAPPED ? header_of(p)->size - header_of(p)->offset : header_of(p)->size;
    memcpy(q, p, old < n ? old : n);
    free(p);
    return q;
}

int posix_memalign(void **out, size_t align, size_t n) {
    if (!align || (align & (align - 1)) || align % sizeof(void *)) return EINVAL;
    void *p = allocate(n, align);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t n) {
    if (!align || (align & (align - 1))) {
        errno = EINVAL;
        return NULL;
    }
    return allocate(n, align);
}

void *memalign(size_t align, size_t n) { return aligned_alloc(align, n); }
void *valloc(size_t n) { return allocate(n, (size_t)sysconf(_SC_PAGESIZE)); }
void *pvalloc(size_t n) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return allocate((n + page - 1) & ~(page - 1), page);
}
