/*
 * recorder.c — libasbrecord.so, the allocation recorder behind
 * `asbench record` (docs/trace-format.md).  Loaded with LD_PRELOAD, it
 * interposes malloc, free, calloc, realloc, reallocarray, posix_memalign,
 * aligned_alloc, memalign, valloc and pvalloc, forwards each call to the next
 * definition (dlsym(RTLD_NEXT), so whichever allocator serves the program
 * still serves it) and logs the op to a trace file.
 *
 * - Every op takes a global sequence number from one atomic counter; a
 *   block's id is the sequence number of the op that allocated it, found at
 *   free/realloc time in an address → id hash table (buckets in striped
 *   spinlocks, nodes carved from an mmap'd pool: the recorder never calls
 *   malloc itself).
 * - Each thread encodes its records into its own mmap'd buffer and writes it
 *   as one chunk (pwrite at an atomically reserved file offset) when full, at
 *   thread exit, and at process exit, when the header is finalised.
 * - dlsym may allocate while the recorder looks up the next malloc: such
 *   calls are served from a static bootstrap buffer, never freed.
 * - Ops before the file is open (or from the recorder's own setup) are
 *   counted as early ops; frees of blocks the table never saw as unseen
 *   frees; failed allocations as failed.  None is recorded, none crashes.
 * - Environment: ASB_RECORD_FILE=PATH (no file: forward only),
 *   ASB_RECORD_PID=PID: the process with that pid writes PATH, any other
 *   process that loads the recorder (exec'd children) writes PATH.<pid>.  A
 *   forked child that does not exec stops recording; the parent's file is
 *   left to the parent.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "trace_format.h"

#define REC_EXPORT __attribute__((visibility("default")))
#define REC_LIKELY(x) __builtin_expect(!!(x), 1)

enum {
    REC_BUF_BYTES = 64 * 1024,     /* per-thread buffer: one chunk */
    REC_BUCKETS_LOG2 = 20,         /* hash buckets (24 MiB of heads, touched lazily) */
    REC_STRIPES = 1024,            /* spinlocks over the buckets */
    REC_NODE_BATCH = 64,           /* nodes a stripe takes from the pool at once */
    REC_BOOTSTRAP_BYTES = 256 * 1024,
};
#define REC_NODE_POOL_BYTES (4ull << 30) /* virtual, MAP_NORESERVE */

/* ---- The next allocator --------------------------------------------------- */

static struct {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
} next;

enum { UNRESOLVED, RESOLVING, RESOLVED };
static _Atomic int resolve_state;

/* Bump allocator for the calls dlsym makes while `next` is being resolved. */
static _Alignas(64) unsigned char bootstrap[REC_BOOTSTRAP_BYTES];
static _Atomic size_t bootstrap_used;

static bool in_bootstrap(const void *p) {
    return (const unsigned char *)p >= bootstrap && (const unsigned char *)p < bootstrap + sizeof bootstrap;
}

/* Each bootstrap block is preceded by its size (for realloc). */
static void *bootstrap_alloc(size_t size, size_t align) {
    if (align < 16) align = 16;
    size_t need = size + align + 16;
    size_t at = atomic_fetch_add(&bootstrap_used, need);
    if (at + need > sizeof bootstrap) return NULL;
    uintptr_t p = ((uintptr_t)(bootstrap + at + 16) + align - 1) & ~(uintptr_t)(align - 1);
    memcpy((void *)(p - sizeof(size_t)), &size, sizeof size);
    return (void *)p;
}

static size_t bootstrap_size(const void *p) {
    size_t size;
    memcpy(&size, (const unsigned char *)p - sizeof size, sizeof size);
    return size;
}

static _Atomic uint64_t early_ops, unseen_frees, failed_allocs;

static void resolve(void) {
    int expected = UNRESOLVED;
    if (!atomic_compare_exchange_strong(&resolve_state, &expected, RESOLVING)) return;
    next.malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    next.free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    next.calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    next.realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    next.posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    next.aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
    next.memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
    next.valloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "valloc");
    next.pvalloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "pvalloc");
    if (!next.malloc || !next.free || !next.calloc || !next.realloc || !next.posix_memalign || !next.memalign) {
        static const char msg[] = "asbench recorder: cannot find the next malloc (dlsym RTLD_NEXT)\n";
        (void)!write(2, msg, sizeof msg - 1);
        abort();
    }
    atomic_store(&resolve_state, RESOLVED);
}

/* False while `next` is being resolved: the caller serves from bootstrap. */
static inline bool ready(void) {
    if (REC_LIKELY(atomic_load_explicit(&resolve_state, memory_order_acquire) == RESOLVED)) return true;
    resolve();
    return atomic_load(&resolve_state) == RESOLVED;
}

/* ---- Spinlocks ------------------------------------------------------------ */

static inline void spin_lock(_Atomic int *l) {
    while (atomic_exchange_explicit(l, 1, memory_order_acquire))
        while (atomic_load_explicit(l, memory_order_relaxed)) __builtin_ia32_pause();
}

static inline void spin_unlock(_Atomic int *l) { atomic_store_explicit(l, 0, memory_order_release); }

/* ---- Address → block id table --------------------------------------------- */

typedef struct rec_node {
    uintptr_t addr; /* 0: empty (only a bucket head can be) */
    uint64_t id;
    struct rec_node *next;
} rec_node;

/* Each bucket holds its first entry inline (one cache line touched in the
 * common case); further entries chain from it.  An empty head has no chain. */
static rec_node *buckets;
static struct {
    _Alignas(64) _Atomic int lock;
    rec_node *spare;
} stripes[REC_STRIPES];
static unsigned char *node_pool;
static _Atomic size_t node_pool_used;

/* Keeps neighbouring blocks in neighbouring buckets (a heap's live blocks
 * are dense, so this costs few collisions and the heads of nearby blocks share
 * cache lines and pages) and folds the higher address bits in so that distant
 * regions spread over the table. */
static size_t bucket_of(uintptr_t addr) {
    uint64_t a = (uint64_t)addr >> 4;
    return (size_t)((a ^ (a >> REC_BUCKETS_LOG2) * 0x9e3779b1u) & ((1u << REC_BUCKETS_LOG2) - 1));
}

/* Stripe lock held.  NULL when the pool is spent. */
static rec_node *node_get(size_t stripe) {
    if (!stripes[stripe].spare) {
        size_t bytes = REC_NODE_BATCH * sizeof(rec_node);
        size_t at = atomic_fetch_add(&node_pool_used, bytes);
        if (at + bytes > REC_NODE_POOL_BYTES) return NULL;
        rec_node *batch = (rec_node *)(node_pool + at);
        for (int i = 0; i < REC_NODE_BATCH - 1; i++) batch[i].next = &batch[i + 1];
        batch[REC_NODE_BATCH - 1].next = NULL;
        stripes[stripe].spare = batch;
    }
    rec_node *n = stripes[stripe].spare;
    stripes[stripe].spare = n->next;
    return n;
}

static void node_put(size_t stripe, rec_node *n) {
    n->next = stripes[stripe].spare;
    stripes[stripe].spare = n;
}

static void table_insert(const void *p, uint64_t id) {
    size_t b = bucket_of((uintptr_t)p), s = b % REC_STRIPES;
    rec_node *head = &buckets[b];
    spin_lock(&stripes[s].lock);
    if (!head->addr) {
        head->addr = (uintptr_t)p;
        head->id = id;
    } else {
        rec_node *n = node_get(s);
        if (n) { /* a spent pool leaves the block unseen: its free is counted */
            *n = (rec_node){.addr = (uintptr_t)p, .id = id, .next = head->next};
            head->next = n;
        }
    }
    spin_unlock(&stripes[s].lock);
}

/* Removes p; false (and counts an unseen free) if the table never had it. */
static bool table_take(const void *p, uint64_t *id) {
    size_t b = bucket_of((uintptr_t)p), s = b % REC_STRIPES;
    rec_node *head = &buckets[b];
    bool found = false;
    spin_lock(&stripes[s].lock);
    if (head->addr == (uintptr_t)p) {
        *id = head->id;
        rec_node *n = head->next;
        if (n) { /* pull the first chained entry inline */
            *head = *n;
            node_put(s, n);
        } else {
            head->addr = 0;
        }
        found = true;
    } else {
        for (rec_node **link = &head->next; *link; link = &(*link)->next)
            if ((*link)->addr == (uintptr_t)p) {
                rec_node *n = *link;
                *id = n->id;
                *link = n->next;
                node_put(s, n);
                found = true;
                break;
            }
    }
    spin_unlock(&stripes[s].lock);
    if (!found) atomic_fetch_add_explicit(&unseen_frees, 1, memory_order_relaxed);
    return found;
}

/* ---- Per-thread buffers and the file -------------------------------------- */

typedef struct rec_thread {
    _Atomic int lock; /* the owner takes it per op; the exit flush takes it too */
    uint32_t index;
    uint32_t used, records;
    uint64_t prev_seq; /* of the chunk's last record, UINT64_MAX at chunk start */
    struct rec_thread *next_thread;
    unsigned char buf[REC_BUF_BYTES];
} rec_thread;

static atomic_bool recording, started;
static int out_fd = -1;
static pid_t owner_pid;
static pthread_key_t thread_key;
static _Atomic uint64_t next_seq, file_end;
static _Atomic uint32_t thread_count;
static rec_thread *_Atomic all_threads;

static __thread rec_thread *tls_thread __attribute__((tls_model("initial-exec")));
static __thread bool tls_in_setup __attribute__((tls_model("initial-exec")));

static void write_fully(const struct iovec *iov, int n, uint64_t offset) {
    struct iovec v[2];
    memcpy(v, iov, (size_t)n * sizeof *v);
    while (n > 0) {
        ssize_t w = pwritev(out_fd, v, n, (off_t)offset);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            static const char msg[] = "asbench recorder: write to the trace file failed; trace incomplete\n";
            (void)!write(2, msg, sizeof msg - 1);
            atomic_store(&recording, false);
            return;
        }
        offset += (uint64_t)w;
        while (n > 0 && (size_t)w >= v[0].iov_len) {
            w -= (ssize_t)v[0].iov_len;
            memmove(v, v + 1, (size_t)--n * sizeof *v);
        }
        if (n > 0) {
            v[0].iov_base = (char *)v[0].iov_base + w;
            v[0].iov_len -= (size_t)w;
        }
    }
}

/* Writes the buffer as one chunk.  Thread lock held. */
static void flush_locked(rec_thread *t) {
    if (!t->records) return;
    unsigned char head[TRACE_MAX_CHUNK_HEADER_BYTES];
    size_t hlen = (size_t)(trace_put_chunk_header(head, t->index, t->records, t->used) - head);
    struct iovec iov[2] = {{head, hlen}, {t->buf, t->used}};
    write_fully(iov, 2, atomic_fetch_add(&file_end, hlen + t->used));
    t->used = t->records = 0;
    t->prev_seq = UINT64_MAX;
}

static void thread_exit_flush(void *arg) {
    rec_thread *t = arg;
    spin_lock(&t->lock);
    flush_locked(t);
    spin_unlock(&t->lock);
}

/* The calling thread's buffer, or NULL when this op is not to be recorded
 * (recorder not started, stopped, or inside its own setup). */
static rec_thread *enter(void) {
    if (!atomic_load_explicit(&recording, memory_order_relaxed)) {
        if (!atomic_load_explicit(&started, memory_order_relaxed))
            atomic_fetch_add_explicit(&early_ops, 1, memory_order_relaxed);
        return NULL;
    }
    rec_thread *t = tls_thread;
    if (REC_LIKELY(t != NULL)) return t;
    if (tls_in_setup) { /* an allocation made by pthread_setspecific & co */
        atomic_fetch_add_explicit(&early_ops, 1, memory_order_relaxed);
        return NULL;
    }
    tls_in_setup = true;
    t = mmap(NULL, sizeof *t, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t != MAP_FAILED) {
        t->index = atomic_fetch_add(&thread_count, 1);
        t->prev_seq = UINT64_MAX;
        t->next_thread = atomic_load(&all_threads);
        while (!atomic_compare_exchange_weak(&all_threads, &t->next_thread, t)) {
        }
        pthread_setspecific(thread_key, t);
        tls_thread = t;
    } else {
        t = NULL;
    }
    tls_in_setup = false;
    return t;
}

/* Locks the buffer and reserves room for one record; false if recording has
 * stopped meanwhile.  On true the caller holds the lock and owns `*seq`. */
static bool begin_record(rec_thread *t, uint64_t *seq) {
    spin_lock(&t->lock);
    if (!atomic_load(&recording)) {
        spin_unlock(&t->lock);
        return false;
    }
    if (t->used + TRACE_MAX_RECORD_BYTES > REC_BUF_BYTES) flush_locked(t);
    *seq = atomic_fetch_add(&next_seq, 1);
    return true;
}

static void end_record(rec_thread *t, unsigned char *end, uint64_t seq) {
    t->used = (uint32_t)(end - t->buf);
    t->records++;
    t->prev_seq = seq;
    spin_unlock(&t->lock);
}

static unsigned log2_ceil(size_t align) {
    unsigned l = 0;
    while (((size_t)1 << l) < align && l < TRACE_MAX_ALIGN_LOG2) l++;
    return l;
}

/* An allocation that succeeded: a = calloc nmemb, or alignment. */
static void record_alloc(rec_thread *t, trace_op_type type, void *p, size_t a, size_t size) {
    uint64_t seq;
    if (!begin_record(t, &seq)) return;
    table_insert(p, seq);
    unsigned char *w = t->buf + t->used;
    switch (type) {
    case TRACE_MALLOC: w = trace_put_malloc(w, seq, t->prev_seq, size); break;
    case TRACE_CALLOC: w = trace_put_calloc(w, seq, t->prev_seq, a, size); break;
    default: w = trace_put_aligned(w, type, seq, t->prev_seq, log2_ceil(a), size);
    }
    end_record(t, w, seq);
}

static void record_free_of(rec_thread *t, uint64_t block) {
    uint64_t seq;
    if (!begin_record(t, &seq)) return;
    end_record(t, trace_put_free(t->buf + t->used, seq, t->prev_seq, block), seq);
}

static void record_realloc(rec_thread *t, bool had, uint64_t block, void *q, size_t size) {
    uint64_t seq;
    if (!begin_record(t, &seq)) return;
    table_insert(q, seq);
    end_record(t, trace_put_realloc(t->buf + t->used, seq, t->prev_seq, had, block, size), seq);
}

/* ---- Start, fork, finish -------------------------------------------------- */

static void stop_in_forked_child(void) { atomic_store(&recording, false); }

/* PATH, or PATH.<pid> for a process other than the recorded root. */
static bool trace_path(char *out, size_t len, const char *path, pid_t me) {
    size_t n = strlen(path);
    if (n + 24 > len) return false;
    memcpy(out, path, n + 1);
    const char *root = getenv("ASB_RECORD_PID");
    if (root && strtol(root, NULL, 10) == (long)me) return true;
    char digits[24];
    int d = 0;
    for (unsigned long v = (unsigned long)me; v || !d; v /= 10) digits[d++] = (char)('0' + v % 10);
    out[n++] = '.';
    while (d) out[n++] = digits[--d];
    out[n] = 0;
    return true;
}

static void write_header(uint64_t ops) {
    trace_header h = {.version = TRACE_VERSION,
                      .threads = atomic_load(&thread_count),
                      .ops = ops,
                      .early_ops = atomic_load(&early_ops),
                      .unseen_frees = atomic_load(&unseen_frees),
                      .failed_allocs = atomic_load(&failed_allocs)};
    unsigned char bytes[TRACE_HEADER_BYTES];
    trace_header_encode(&h, bytes);
    struct iovec iov = {bytes, sizeof bytes};
    write_fully(&iov, 1, 0);
}

__attribute__((constructor)) static void recorder_start(void) {
    ready();
    const char *path = getenv("ASB_RECORD_FILE");
    if (!path || !*path) return; /* loaded without a file: forward only */
    char name[4096];
    pid_t me = getpid();
    void *table = mmap(NULL, sizeof(rec_node) << REC_BUCKETS_LOG2, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    void *pool = mmap(NULL, REC_NODE_POOL_BYTES, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    int fd = trace_path(name, sizeof name, path, me) ? open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
    if (table == MAP_FAILED || pool == MAP_FAILED || fd < 0 || pthread_key_create(&thread_key, thread_exit_flush)) {
        static const char msg[] = "asbench recorder: cannot open the trace file or map its tables; not recording\n";
        (void)!write(2, msg, sizeof msg - 1);
        atomic_store(&started, true);
        return;
    }
    buckets = table;
    node_pool = pool;
    out_fd = fd;
    owner_pid = me;
    atomic_store(&file_end, TRACE_HEADER_BYTES);
    write_header(TRACE_OPS_UNFINISHED);
    pthread_atfork(NULL, NULL, stop_in_forked_child);
    atomic_store(&started, true);
    atomic_store(&recording, true);
}

/* Runs from _dl_fini after the program's own exit handlers and the
 * destructors of the libraries loaded after this one. */
__attribute__((destructor)) static void recorder_finish(void) {
    if (out_fd < 0 || getpid() != owner_pid || !atomic_exchange(&recording, false)) return;
    for (rec_thread *t = atomic_load(&all_threads); t; t = t->next_thread) thread_exit_flush(t);
    write_header(atomic_load(&next_seq));
    close(out_fd);
    out_fd = -1;
}

/* ---- The interposed functions --------------------------------------------- */

static void *recorded_alloc(trace_op_type type, void *p, size_t a, size_t size, rec_thread *t) {
    if (t) {
        if (p) record_alloc(t, type, p, a, size);
        else atomic_fetch_add_explicit(&failed_allocs, 1, memory_order_relaxed);
    }
    return p;
}

REC_EXPORT void *malloc(size_t size) {
    if (!ready()) return bootstrap_alloc(size, 16);
    rec_thread *t = enter();
    return recorded_alloc(TRACE_MALLOC, next.malloc(size), 0, size, t);
}

REC_EXPORT void free(void *p) {
    if (!p || in_bootstrap(p)) return;
    if (!ready()) return; /* only bootstrap blocks exist before that */
    rec_thread *t = enter();
    uint64_t block;
    if (t && table_take(p, &block)) record_free_of(t, block);
    next.free(p);
}

REC_EXPORT void *calloc(size_t nmemb, size_t size) {
    if (!ready()) {
        if (size && nmemb > SIZE_MAX / size) return NULL;
        return bootstrap_alloc(nmemb * size, 16); /* static memory: zero */
    }
    rec_thread *t = enter();
    return recorded_alloc(TRACE_CALLOC, next.calloc(nmemb, size), nmemb, size, t);
}

REC_EXPORT void *realloc(void *p, size_t size) {
    if (!ready() || (p && in_bootstrap(p))) {
        /* A bootstrap block moves to the next allocator (or stays in bootstrap
         * while that is unresolved); the recorder never saw it. */
        void *q = ready() ? malloc(size) : bootstrap_alloc(size, 16);
        if (q && p) {
            size_t old = bootstrap_size(p);
            memcpy(q, p, old < size ? old : size);
        }
        return q;
    }
    rec_thread *t = enter();
    if (!t) return next.realloc(p, size);
    uint64_t block = 0;
    /* Take p out of the table before the call: once realloc returns, another
     * thread may be handed the same address. */
    bool had = p && table_take(p, &block);
    void *q = next.realloc(p, size);
    if (q) record_realloc(t, had, block, q, size);
    else if (p && size == 0) { /* realloc(p, 0) freed p */
        if (had) record_free_of(t, block);
    } else {
        atomic_fetch_add_explicit(&failed_allocs, 1, memory_order_relaxed);
        if (had) table_insert(p, block);
    }
    return q;
}

REC_EXPORT void *reallocarray(void *p, size_t nmemb, size_t size) {
    if (size && nmemb > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, nmemb * size);
}

REC_EXPORT int posix_memalign(void **out, size_t align, size_t size) {
    if (!ready()) {
        *out = bootstrap_alloc(size, align);
        return *out ? 0 : ENOMEM;
    }
    rec_thread *t = enter();
    int rc = next.posix_memalign(out, align, size);
    recorded_alloc(TRACE_POSIX_MEMALIGN, rc == 0 ? *out : NULL, align, size, t);
    return rc;
}

REC_EXPORT void *aligned_alloc(size_t align, size_t size) {
    if (!ready()) return bootstrap_alloc(size, align);
    rec_thread *t = enter();
    void *p = next.aligned_alloc ? next.aligned_alloc(align, size) : next.memalign(align, size);
    return recorded_alloc(TRACE_ALIGNED_ALLOC, p, align, size, t);
}

REC_EXPORT void *memalign(size_t align, size_t size) {
    if (!ready()) return bootstrap_alloc(size, align);
    rec_thread *t = enter();
    return recorded_alloc(TRACE_MEMALIGN, next.memalign(align, size), align, size, t);
}

REC_EXPORT void *valloc(size_t size) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (!ready()) return bootstrap_alloc(size, page);
    rec_thread *t = enter();
    void *p = next.valloc ? next.valloc(size) : next.memalign(page, size);
    return recorded_alloc(TRACE_VALLOC, p, page, size, t);
}

REC_EXPORT void *pvalloc(size_t size) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t rounded = (size + page - 1) & ~(page - 1);
    if (!ready()) return bootstrap_alloc(rounded, page);
    rec_thread *t = enter();
    void *p = next.pvalloc ? next.pvalloc(size) : next.memalign(page, rounded);
    return recorded_alloc(TRACE_PVALLOC, p, page, rounded, t);
}
