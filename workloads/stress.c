/*
 * stress.c — randomized, multi-threaded, integrity-checked allocation
 * torture (workload "stress", kind "stress"; `asbench stress` runs it).
 *
 * Each of the --threads workers keeps `slots` blocks and, until `seconds`
 * have passed, picks random steps: allocate (through any API in `apis`),
 * verify and free, realloc 1-4 times in a row (checking the kept prefix),
 * allocate and free a temporary block, or hand a block to another worker's
 * queue, where that worker verifies it and frees it (a cross-thread free) or
 * adopts it.  Sizes run from 1 byte to `max_size`.  The run() thread is the
 * monitor: it forks while the workers allocate (the child allocates,
 * verifies, frees, exits; the parent checks its exit status), creates
 * short-lived helper threads whose blocks outlive them (thread create/exit
 * churn), and samples RSS to catch an allocator that never gives memory back.
 *
 * Every byte a block owns carries a pattern keyed by the block's id and
 * generation (bumped on realloc), checked before every free and realloc, so
 * a violation names the block, its address and size, the offset, the
 * expected and found byte, the API that allocated it and the threads that
 * allocated and checked it.  calloc blocks are checked for zeros, every block
 * for the alignment its API promises and for malloc_usable_size ≥ size.  The
 * first violation stops the run: it is the message of ASB_VERIFY_FAILED,
 * also written to stderr at once (a broken allocator may crash the process
 * before the worker reports).
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

enum api {
    API_MALLOC, API_CALLOC, API_REALLOC, API_POSIX_MEMALIGN, API_ALIGNED_ALLOC,
    API_MEMALIGN, API_VALLOC, API_PVALLOC, NAPIS
};
static const char *const api_names[NAPIS] = {"malloc", "calloc", "realloc", "posix_memalign",
                                              "aligned_alloc", "memalign", "valloc", "pvalloc"};

enum { QUEUE_CAP = 64, WHO_LEN = 32, MSG_LEN = 480, FORK_CHILD_BLOCKS = 200,
       HELPER_BLOCKS = 32, FORK_WITNESSES = 8 };

/* A block the torture owns; `who` is the thread that allocated it. */
typedef struct block {
    unsigned char *p;
    size_t size;
    uint64_t id;
    uint32_t gen;
    uint8_t api;
    char who[WHO_LEN];
} block;

/* Blocks handed to a worker by other threads; it verifies and frees them. */
typedef struct handoff_queue {
    pthread_mutex_t lock;
    _Atomic int count;
    block items[QUEUE_CAP];
} handoff_queue;

typedef struct stress_run stress_run;

typedef struct worker {
    stress_run *run;
    int index;
    char name[WHO_LEN];
    asb_rng rng;
    block *slots;
    uint64_t next_id;
    _Atomic size_t live_bytes; /* read by the monitor */
    uint64_t ops, allocs, bytes;
    handoff_queue queue;
    pthread_t tid;
} worker;

struct stress_run {
    asb_ctx *ctx;
    int nworkers;
    worker *workers;
    size_t nslots, max_size, page;
    int napis;
    enum api apis[NAPIS];
    uint64_t deadline_ns;
    _Atomic int stop;      /* set by the first violation or error */
    _Atomic int status;    /* ASB_OK until then */
    pthread_mutex_t start_gate; /* held while the workers are created */
    pthread_barrier_t finish; /* workers and monitor: no hand-off after it */
};

/* ---- patterns ---------------------------------------------------------- */

static uint64_t pattern_key(uint64_t id, uint32_t gen) {
    uint64_t z = id * 0x9e3779b97f4a7c15ull ^ ((uint64_t)gen << 32 | gen) ^ 0x5851f42d4c957f2dull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    return z ^ (z >> 27);
}

static uint64_t pattern_word(uint64_t key, size_t k) { return key ^ (k * 0xd6e8feb86659fd93ull); }

static unsigned char pattern_byte(uint64_t key, size_t offset) {
    return (unsigned char)(pattern_word(key, offset / 8) >> (8 * (offset % 8)));
}

static void fill_block(const block *b) {
    uint64_t key = pattern_key(b->id, b->gen);
    size_t words = b->size / 8;
    for (size_t k = 0; k < words; k++) {
        uint64_t w = pattern_word(key, k);
        memcpy(b->p + 8 * k, &w, 8); /* memcpy: the block may be misaligned */
    }
    for (size_t i = words * 8; i < b->size; i++) b->p[i] = pattern_byte(key, i);
}

/* Offset of the first byte in [0, n) off the pattern, or SIZE_MAX. */
static size_t first_bad_byte(const block *b, size_t n) {
    uint64_t key = pattern_key(b->id, b->gen);
    size_t words = n / 8;
    for (size_t k = 0; k < words; k++) {
        uint64_t w;
        memcpy(&w, b->p + 8 * k, 8);
        if (w != pattern_word(key, k))
            for (size_t i = 8 * k;; i++)
                if (b->p[i] != pattern_byte(key, i)) return i;
    }
    for (size_t i = words * 8; i < n; i++)
        if (b->p[i] != pattern_byte(key, i)) return i;
    return SIZE_MAX;
}

/* ---- violations ---------------------------------------------------------- */

/* Records the first violation, stops every thread and returns its status. */
static int violation(stress_run *s, int status, const char *msg) {
    int expected = ASB_OK;
    if (atomic_compare_exchange_strong(&s->status, &expected, status)) {
        if (status == ASB_VERIFY_FAILED) asb_verify_fail(s->ctx, "%s", msg);
        else asb_fail(s->ctx, status, "%s", msg);
        fprintf(stderr, "%s\n", msg);
    }
    atomic_store(&s->stop, 1);
    return status;
}

/* The allocator call each thread is in, for the crash report: a broken
 * allocator often crashes instead of corrupting quietly. */
typedef struct allocator_call {
    const char *call;      /* "free", "realloc", an allocation API …; NULL outside */
    const struct block *b; /* the block it is about; NULL for an allocation */
    size_t size;           /* bytes asked for, for an allocation */
    const char *caller;
} allocator_call;
static __thread allocator_call current_call;

/* The signal fences keep the compiler from dropping or moving these stores
 * across the allocator call: only the signal handler reads them. */
static void enter_alloc(const char *api, size_t size, const char *caller) {
    current_call = (allocator_call){api, NULL, size, caller};
    atomic_signal_fence(memory_order_seq_cst);
}
static void enter_block(const char *call, const struct block *b, const char *caller) {
    current_call = (allocator_call){call, b, 0, caller};
    atomic_signal_fence(memory_order_seq_cst);
}
static void leave_call(void) {
    atomic_signal_fence(memory_order_seq_cst);
    current_call.call = NULL;
}

/* Names the call the crash happened in on stderr, then dies of the signal,
 * so the status stays crashed:SIGxxx.  snprintf is not async-signal-safe in
 * general; glibc's does not lock or allocate for these formats. */
static void on_crash(int sig) {
    char line[MSG_LEN];
    const allocator_call *c = &current_call;
    const char *name = sigabbrev_np(sig) ? sigabbrev_np(sig) : "?";
    int n;
    if (!c->call)
        n = snprintf(line, sizeof line, "stress: crashed with SIG%s outside the allocator\n", name);
    else if (!c->b)
        n = snprintf(line, sizeof line, "stress: crashed with SIG%s in %s(%zu B) called by %s\n", name, c->call,
                     c->size, c->caller);
    else
        n = snprintf(line, sizeof line,
                     "stress: crashed with SIG%s in %s() of block %llu (%s by %s, generation %u) at %p, %zu B, "
                     "called by %s\n",
                     name, c->call, (unsigned long long)c->b->id, api_names[c->b->api], c->b->who, c->b->gen,
                     (void *)c->b->p, c->b->size, c->caller);
    if (n > 0 && write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0) _exit(128 + sig);
    raise(sig); /* SA_RESETHAND restored the default action */
}

static void report_crashes(void) {
    struct sigaction sa = {.sa_handler = on_crash, .sa_flags = SA_RESETHAND | SA_NODEFER};
    int sigs[] = {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaction(sigs[i], &sa, NULL);
}

static void describe_corruption(char *msg, const block *b, size_t offset, unsigned char expected,
                                const char *checker, const char *when) {
    snprintf(msg, MSG_LEN,
             "stress: block %llu (%s by %s, generation %u) at %p, %zu B: byte at offset %zu is 0x%02x, "
             "expected 0x%02x (checked by %s %s)",
             (unsigned long long)b->id, api_names[b->api], b->who, b->gen, (void *)b->p, b->size, offset,
             b->p[offset], expected, checker, when);
}

/* Checks the first n bytes of b; on corruption formats msg and returns false. */
static bool intact(const block *b, size_t n, const char *checker, const char *when, char *msg) {
    size_t bad = first_bad_byte(b, n);
    if (bad == SIZE_MAX) return true;
    describe_corruption(msg, b, bad, pattern_byte(pattern_key(b->id, b->gen), bad), checker, when);
    return false;
}

/* ---- allocation through every API ---------------------------------------- */

static size_t random_size(asb_rng *r, size_t max) {
    uint64_t pick = asb_rng_below(r, 100);
    size_t n = pick < 60 ? 1 + asb_rng_below(r, 128)
             : pick < 85 ? 129 + asb_rng_below(r, 4096)
             : pick < 97 ? 4096 + asb_rng_below(r, 256 << 10)
                         : (256 << 10) + asb_rng_below(r, max > (256 << 10) ? max - (256 << 10) + 1 : 1);
    return n < max ? n : max;
}

/* Alignment malloc must give a block of n bytes (C17 7.22.3, capped at 16). */
static size_t natural_alignment(size_t n) {
    size_t a = 1;
    while (a < 16 && a * 2 <= n) a *= 2;
    return a;
}

/* Allocates b->size bytes with `api` into b (p NULL when the allocator gave
 * none); fills it.  Returns false with msg set on a contract violation. */
static bool allocate(stress_run *s, asb_rng *r, block *b, enum api api, char *msg) {
    size_t n = b->size, align = 16;
    void *p = NULL;
    b->api = (uint8_t)api;
    enter_alloc(api_names[api], n, b->who);
    switch (api) {
    case API_MALLOC: p = malloc(n); align = natural_alignment(n); break;
    case API_REALLOC: p = realloc(NULL, n); align = natural_alignment(n); break;
    case API_CALLOC:
        p = n % 2 == 0 && asb_rng_below(r, 2) ? calloc(2, n / 2) : calloc(n, 1);
        align = natural_alignment(n);
        break;
    case API_POSIX_MEMALIGN:
        align = (size_t)8 << asb_rng_below(r, 10);
        if (posix_memalign(&p, align, n) != 0) p = NULL;
        break;
    case API_ALIGNED_ALLOC:
        align = (size_t)1 << asb_rng_below(r, 13);
        b->size = n = (n + align - 1) / align * align; /* C11: a multiple of the alignment */
        p = aligned_alloc(align, n);
        break;
    case API_MEMALIGN:
        align = (size_t)1 << asb_rng_below(r, 13);
        p = memalign(align, n);
        break;
    case API_VALLOC: p = valloc(n); align = s->page; break;
    case API_PVALLOC: p = pvalloc(n); align = s->page; break;
    case NAPIS: break;
    }
    leave_call();
    b->p = p;
    if (!p) {
        snprintf(msg, MSG_LEN, "stress: %s of %zu B by %s returned NULL: %s", api_names[api], n, b->who,
                 strerror(errno));
        return false;
    }
    if ((uintptr_t)p % align) {
        snprintf(msg, MSG_LEN, "stress: block %llu: %s(%zu B) by %s returned %p, not %zu-byte aligned",
                 (unsigned long long)b->id, api_names[api], n, b->who, p, align);
        return false;
    }
    enter_block("malloc_usable_size", b, b->who);
    size_t usable = malloc_usable_size(p);
    leave_call();
    size_t promised = api == API_PVALLOC ? (n + s->page - 1) / s->page * s->page : n;
    if (usable < promised) {
        snprintf(msg, MSG_LEN, "stress: block %llu: %s(%zu B) by %s returned %p with malloc_usable_size %zu < %zu",
                 (unsigned long long)b->id, api_names[api], n, b->who, p, usable, promised);
        return false;
    }
    if (api == API_CALLOC)
        for (size_t i = 0; i < n; i++)
            if (b->p[i]) {
                snprintf(msg, MSG_LEN,
                         "stress: block %llu (calloc by %s) at %p, %zu B: byte at offset %zu is 0x%02x, expected 0x00",
                         (unsigned long long)b->id, b->who, p, n, i, b->p[i]);
                return false;
            }
    fill_block(b);
    return true;
}

/* ---- steps on one block ---------------------------------------------------- */

static _Atomic uint64_t next_block_id = 1;

/* A new id (generation 0) for a block allocated by `who`. */
static void new_identity(block *b, const char *who) {
    b->id = atomic_fetch_add_explicit(&next_block_id, 1, memory_order_relaxed);
    b->gen = 0;
    snprintf(b->who, sizeof b->who, "%s", who);
}

/* A fresh block of random size and API in b; false (status set) on failure. */
static bool new_block(stress_run *s, asb_rng *r, block *b, const char *who, size_t max_size) {
    char msg[MSG_LEN];
    new_identity(b, who);
    b->size = random_size(r, max_size);
    if (allocate(s, r, b, s->apis[asb_rng_below(r, (uint64_t)s->napis)], msg)) return true;
    violation(s, b->p ? ASB_VERIFY_FAILED : ASB_ERROR, msg);
    return false;
}

static void tracked_free(const block *b, const char *who) {
    enter_block("free", b, who);
    free(b->p);
    leave_call();
}

/* Verifies b and frees it; false (status set) on corruption. */
static bool check_and_free(stress_run *s, block *b, const char *checker, const char *when) {
    char msg[MSG_LEN];
    if (!intact(b, b->size, checker, when, msg)) {
        violation(s, ASB_VERIFY_FAILED, msg);
        return false;
    }
    tracked_free(b, checker);
    b->p = NULL;
    return true;
}

/* Resizes b with realloc: the kept prefix must survive; then refills it. */
static bool realloc_step(stress_run *s, asb_rng *r, block *b, const char *who, size_t max_size) {
    char msg[MSG_LEN];
    if (!intact(b, b->size, who, "before realloc", msg)) return violation(s, ASB_VERIFY_FAILED, msg), false;
    size_t n = random_size(r, max_size), keep = n < b->size ? n : b->size;
    enter_block("realloc", b, who);
    unsigned char *q = realloc(b->p, n);
    leave_call();
    if (!q) {
        snprintf(msg, MSG_LEN, "stress: realloc(%p, %zu) by %s returned NULL: %s", (void *)b->p, n, who, strerror(errno));
        return violation(s, ASB_ERROR, msg), false;
    }
    block moved = *b;
    moved.p = q;
    moved.size = n;
    if (!intact(&moved, keep, who, "after realloc (the kept prefix)", msg))
        return violation(s, ASB_VERIFY_FAILED, msg), false;
    if ((uintptr_t)q % natural_alignment(n)) {
        snprintf(msg, MSG_LEN, "stress: block %llu: realloc(%zu B) by %s returned %p, not %zu-byte aligned",
                 (unsigned long long)b->id, n, who, (void *)q, natural_alignment(n));
        return violation(s, ASB_VERIFY_FAILED, msg), false;
    }
    if (malloc_usable_size(q) < n) {
        snprintf(msg, MSG_LEN, "stress: block %llu: realloc(%zu B) by %s returned %p with malloc_usable_size %zu < %zu",
                 (unsigned long long)b->id, n, who, (void *)q, malloc_usable_size(q), n);
        return violation(s, ASB_VERIFY_FAILED, msg), false;
    }
    *b = moved;
    b->gen++;
    b->api = API_REALLOC;
    snprintf(b->who, sizeof b->who, "%s", who);
    fill_block(b);
    return true;
}

/* ---- hand-off queues ------------------------------------------------------ */

/* Gives b to worker `to`; false if its queue is full (b stays the caller's). */
static bool hand_off(worker *to, const block *b) {
    bool pushed = false;
    pthread_mutex_lock(&to->queue.lock);
    int n = atomic_load(&to->queue.count);
    if (n < QUEUE_CAP) {
        to->queue.items[n] = *b;
        atomic_store(&to->queue.count, n + 1);
        atomic_fetch_add(&to->live_bytes, b->size);
        pushed = true;
    }
    pthread_mutex_unlock(&to->queue.lock);
    return pushed;
}

/* Verifies every block other threads handed to w; frees it here (a
 * cross-thread free) or, when `adopt` allows, keeps it in an empty slot. */
static bool drain_queue(worker *w, bool adopt) {
    block got[QUEUE_CAP];
    pthread_mutex_lock(&w->queue.lock);
    int n = atomic_load(&w->queue.count);
    memcpy(got, w->queue.items, (size_t)n * sizeof *got);
    atomic_store(&w->queue.count, 0);
    pthread_mutex_unlock(&w->queue.lock);
    for (int i = 0; i < n; i++) {
        block *b = &got[i];
        block *slot = adopt ? &w->slots[asb_rng_below(&w->rng, w->run->nslots)] : NULL;
        if (slot && !slot->p && asb_rng_below(&w->rng, 2)) {
            char msg[MSG_LEN];
            if (!intact(b, b->size, w->name, "after a hand-off", msg))
                return violation(w->run, ASB_VERIFY_FAILED, msg), false;
            *slot = *b;
            continue;
        }
        atomic_fetch_sub(&w->live_bytes, b->size);
        if (!check_and_free(w->run, b, w->name, "after a hand-off, before a cross-thread free")) return false;
    }
    return true;
}

/* ---- workers ------------------------------------------------------------- */

static void worker_steps(worker *w) {
    stress_run *s = w->run;
    asb_rng *r = &w->rng;
    char msg[MSG_LEN];
    for (;; w->ops++) {
        if (atomic_load_explicit(&s->stop, memory_order_relaxed)) return;
        if ((w->ops & 63) == 0 && asb_now_ns() >= s->deadline_ns) return;
        if (atomic_load_explicit(&w->queue.count, memory_order_relaxed) && !drain_queue(w, true)) return;
        block *b = &w->slots[asb_rng_below(r, s->nslots)];
        uint64_t pick = asb_rng_below(r, 100);
        if (!b->p || pick < 40) { /* replace the slot's block */
            if (b->p) {
                atomic_fetch_sub(&w->live_bytes, b->size);
                if (!check_and_free(s, b, w->name, "before free")) return;
            }
            if (!new_block(s, r, b, w->name, s->max_size)) return;
            atomic_fetch_add(&w->live_bytes, b->size);
        } else if (pick < 55) { /* a realloc chain of 1-4 steps */
            size_t before = b->size;
            for (uint64_t k = 1 + asb_rng_below(r, 4); k > 0; k--)
                if (!realloc_step(s, r, b, w->name, s->max_size)) return;
            atomic_fetch_add(&w->live_bytes, b->size);
            atomic_fetch_sub(&w->live_bytes, before);
        } else if (pick < 65) {
            if (!intact(b, b->size, w->name, "while live", msg)) return (void)violation(s, ASB_VERIFY_FAILED, msg);
            continue;
        } else if (pick < 80) {
            if (!intact(b, b->size, w->name, "before a hand-off", msg)) return (void)violation(s, ASB_VERIFY_FAILED, msg);
            worker *to = &s->workers[asb_rng_below(r, (uint64_t)s->nworkers)];
            if (to != w && hand_off(to, b)) {
                atomic_fetch_sub(&w->live_bytes, b->size);
                b->p = NULL;
            }
            continue;
        } else { /* a short-lived block */
            block tmp;
            if (!new_block(s, r, &tmp, w->name, s->max_size)) return;
            w->bytes += tmp.size;
            w->allocs++;
            if (!check_and_free(s, &tmp, w->name, "before freeing a short-lived block")) return;
            continue;
        }
        w->allocs++;
        w->bytes += b->size;
    }
}

static void *worker_main(void *arg) {
    worker *w = arg;
    stress_run *s = w->run;
    pthread_mutex_lock(&s->start_gate); /* wait until the barrier knows the worker count */
    pthread_mutex_unlock(&s->start_gate);
    worker_steps(w);
    pthread_barrier_wait(&s->finish); /* from here on nobody hands off */
    if (atomic_load(&s->stop)) return NULL; /* after a violation, touch nothing more */
    if (!drain_queue(w, false)) return NULL;
    for (size_t k = 0; k < s->nslots; k++)
        if (w->slots[k].p && !check_and_free(s, &w->slots[k], w->name, "at the end of the run")) return NULL;
    return NULL;
}

/* ---- monitor: helpers, fork, RSS ------------------------------------------ */

typedef struct helper {
    stress_run *s;
    int index;
    unsigned seed;
} helper;

/* A short-lived thread whose blocks outlive it: half are freed here, half go
 * to the workers' queues, to be freed by them after this thread has exited. */
static void *helper_main(void *arg) {
    helper *h = arg;
    stress_run *s = h->s;
    char name[WHO_LEN];
    snprintf(name, sizeof name, "helper thread %d", h->index);
    asb_rng r;
    asb_rng_seed(&r, asb_seed(s->ctx) ^ ((uint64_t)h->seed << 32));
    block b[HELPER_BLOCKS];
    int made = 0;
    for (; made < HELPER_BLOCKS; made++)
        if (!new_block(s, &r, &b[made], name, 64 << 10)) return NULL;
    for (int i = 0; i < made; i++) {
        worker *to = &s->workers[asb_rng_below(&r, (uint64_t)s->nworkers)];
        char msg[MSG_LEN];
        if (!intact(&b[i], b[i].size, name, "before a hand-off", msg)) return violation(s, ASB_VERIFY_FAILED, msg), NULL;
        if (i % 2 && hand_off(to, &b[i])) continue;
        if (!check_and_free(s, &b[i], name, "before free")) return NULL;
    }
    return NULL;
}

static size_t rss_bytes(void) {
    long kb = asb_rss_kb(0);
    return kb < 0 ? 0 : (size_t)kb * 1024;
}

static void *fork_child_thread(void *arg) {
    stress_run *s = arg;
    asb_rng r;
    asb_rng_seed(&r, asb_seed(s->ctx) + 17);
    for (int i = 0; i < FORK_CHILD_BLOCKS / 4; i++) {
        block b;
        if (!new_block(s, &r, &b, "thread of the fork child", 64 << 10)) return NULL;
        if (!check_and_free(s, &b, "thread of the fork child", "before free")) return NULL;
    }
    return NULL;
}

/* Body of the forked child: allocates from the single thread fork left it
 * (the workers' locks may have been held at fork time), verifies and frees
 * the monitor's blocks it inherited, starts a thread.  Exits 0, or 3 with the
 * violation on `report`. */
static void fork_child(stress_run *s, block *witnesses, int report, uint64_t seed) {
    asb_rng r;
    asb_rng_seed(&r, seed);
    char msg[MSG_LEN] = "";
    for (int i = 0; i < FORK_WITNESSES && !msg[0]; i++)
        if (!intact(&witnesses[i], witnesses[i].size, "the fork child", "after fork", msg)) break;
    block b[FORK_CHILD_BLOCKS];
    int made = 0;
    for (; made < FORK_CHILD_BLOCKS && !msg[0]; made++) {
        new_identity(&b[made], "the fork child");
        b[made].size = random_size(&r, 256 << 10);
        if (!allocate(s, &r, &b[made], s->apis[asb_rng_below(&r, (uint64_t)s->napis)], msg)) break;
    }
    for (int i = 0; i < made && !msg[0]; i++)
        if (!intact(&b[i], b[i].size, "the fork child", "before free", msg)) break;
        else tracked_free(&b[i], "the fork child");
    for (int i = 0; i < FORK_WITNESSES && !msg[0]; i++) tracked_free(&witnesses[i], "the fork child");
    pthread_t t;
    if (!msg[0] && pthread_create(&t, NULL, fork_child_thread, s) == 0) {
        pthread_join(t, NULL);
        if (atomic_load(&s->status) != ASB_OK) snprintf(msg, MSG_LEN, "%s", "stress: the fork child's thread found a violation (see stderr)");
    }
    if (msg[0] && write(report, msg, strlen(msg)) < 0) _exit(4);
    _exit(msg[0] ? 3 : 0);
}

/* Forks while the workers allocate; the child must exit 0 within 10 s. */
static void fork_check(stress_run *s, block *witnesses, uint64_t seed) {
    int fds[2];
    char msg[MSG_LEN];
    if (pipe(fds) != 0) return (void)violation(s, ASB_ERROR, "stress: pipe failed");
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(msg, MSG_LEN, "stress: fork failed: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return (void)violation(s, ASB_ERROR, msg);
    }
    if (pid == 0) {
        close(fds[0]);
        fork_child(s, witnesses, fds[1], seed);
    }
    close(fds[1]);
    int wstatus = 0;
    uint64_t give_up = asb_now_ns() + 10000000000ull;
    pid_t got;
    while ((got = waitpid(pid, &wstatus, WNOHANG)) == 0 && asb_now_ns() < give_up)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    if (got == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &wstatus, 0);
        close(fds[0]);
        return (void)violation(s, ASB_VERIFY_FAILED,
                               "stress: the fork child hung for 10 s allocating (a lock held across fork?)");
    }
    char child_msg[MSG_LEN] = "";
    ssize_t n = read(fds[0], child_msg, sizeof child_msg - 1);
    child_msg[n > 0 ? n : 0] = 0;
    close(fds[0]);
    if (WIFSIGNALED(wstatus)) {
        snprintf(msg, MSG_LEN, "stress: the fork child was killed by SIG%s while allocating after fork",
                 sigabbrev_np(WTERMSIG(wstatus)) ? sigabbrev_np(WTERMSIG(wstatus)) : "?");
        violation(s, ASB_VERIFY_FAILED, msg);
    } else if (WEXITSTATUS(wstatus) != 0) {
        snprintf(msg, MSG_LEN, "%s [in the fork child]", child_msg[0] ? child_msg : "stress: the fork child failed");
        violation(s, ASB_VERIFY_FAILED, msg);
    }
}

typedef struct monitor_figures {
    uint64_t forks, helpers;
    size_t peak_live, peak_growth;
} monitor_figures;

static void monitor(stress_run *s, int64_t fork_ms, int64_t spawn_ms, size_t slack, monitor_figures *fig) {
    asb_rng r;
    asb_rng_seed(&r, asb_seed(s->ctx) ^ 0x6d6f6e69746f72ull);
    block witnesses[FORK_WITNESSES];
    int nwitnesses = 0;
    for (; nwitnesses < FORK_WITNESSES; nwitnesses++)
        if (!new_block(s, &r, &witnesses[nwitnesses], "the monitor thread", 64 << 10)) break;
    size_t base = rss_bytes();
    uint64_t now = asb_now_ns();
    uint64_t next_fork = now + (uint64_t)fork_ms * 1000000, next_spawn = now + (uint64_t)spawn_ms * 1000000;
    while (!atomic_load(&s->stop) && (now = asb_now_ns()) < s->deadline_ns) {
        nanosleep(&(struct timespec){0, 5000000}, NULL);
        size_t live = 0;
        for (int i = 0; i < s->nworkers; i++) live += atomic_load(&s->workers[i].live_bytes);
        if (live > fig->peak_live) fig->peak_live = live;
        size_t rss = rss_bytes(), growth = rss > base ? rss - base : 0;
        if (growth > fig->peak_growth) fig->peak_growth = growth;
        if (growth > 3 * fig->peak_live + slack) {
            char msg[MSG_LEN];
            snprintf(msg, MSG_LEN,
                     "stress: leak: RSS grew by %zu MiB while the live blocks peaked at %zu MiB "
                     "(allowed: 3 x that + %zu MiB)",
                     growth >> 20, fig->peak_live >> 20, slack >> 20);
            violation(s, ASB_VERIFY_FAILED, msg);
            break;
        }
        if (fork_ms > 0 && now >= next_fork && nwitnesses == FORK_WITNESSES) {
            fork_check(s, witnesses, asb_rng_next(&r));
            fig->forks++;
            next_fork = asb_now_ns() + (uint64_t)fork_ms * 1000000;
        }
        if (spawn_ms > 0 && now >= next_spawn) {
            helper h = {s, (int)fig->helpers, (unsigned)asb_rng_next(&r)};
            pthread_t t;
            if (pthread_create(&t, NULL, helper_main, &h) != 0) {
                violation(s, ASB_ERROR, "stress: pthread_create of a helper thread failed");
                break;
            }
            pthread_join(t, NULL);
            fig->helpers++;
            next_spawn = asb_now_ns() + (uint64_t)spawn_ms * 1000000;
        }
    }
    pthread_barrier_wait(&s->finish);
    for (int i = 0; i < nwitnesses && !atomic_load(&s->stop); i++)
        check_and_free(s, &witnesses[i], "the monitor thread", "at the end of the run");
}

/* ---- parameters and run ---------------------------------------------------- */

static bool parse_apis(stress_run *s, const char *list) {
    unsigned seen = 0;
    s->napis = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        int found = -1;
        for (int a = 0; a < NAPIS; a++)
            if (strlen(api_names[a]) == len && strncmp(api_names[a], p, len) == 0) found = a;
        if (found < 0) return false;
        if (!(seen & 1u << found)) s->apis[s->napis++] = (enum api)found;
        seen |= 1u << found;
        p += len + (p[len] == ',');
    }
    return s->napis > 0;
}

static int stress_run_workload(asb_ctx *ctx) {
    stress_run s = {.ctx = ctx, .nworkers = asb_threads(ctx), .page = (size_t)sysconf(_SC_PAGESIZE)};
    double seconds = asb_param_f(ctx, "seconds");
    int64_t slots = asb_param_i(ctx, "slots"), max_size = asb_param_i(ctx, "max_size");
    int64_t fork_ms = asb_param_i(ctx, "fork_every_ms"), spawn_ms = asb_param_i(ctx, "spawn_every_ms");
    int64_t slack_mb = asb_param_i(ctx, "leak_slack_mb");
    if (!(seconds > 0 && seconds <= 86400)) return asb_fail(ctx, ASB_USAGE, "stress: need 0 < seconds <= 86400");
    if (slots < 1 || slots > 1000000) return asb_fail(ctx, ASB_USAGE, "stress: need 1 <= slots <= 1000000");
    if (max_size < 1 || max_size > (1 << 30)) return asb_fail(ctx, ASB_USAGE, "stress: need 1 <= max_size <= 1 GiB");
    if (fork_ms < 0 || spawn_ms < 0 || slack_mb < 0)
        return asb_fail(ctx, ASB_USAGE, "stress: fork_every_ms, spawn_every_ms and leak_slack_mb must be >= 0");
    if (!parse_apis(&s, asb_param_s(ctx, "apis")))
        return asb_fail(ctx, ASB_USAGE, "stress: apis=%s: a comma-separated list of malloc, calloc, realloc, "
                        "posix_memalign, aligned_alloc, memalign, valloc, pvalloc", asb_param_s(ctx, "apis"));
    /* The backend's declared known deviations leave their APIs and fork out,
     * unless the user asked for them by name. */
    const char *leaves_out = asb_known_deviations_leave_out(ctx);
    if (!asb_param_given(ctx, "apis")) {
        int kept = 0;
        for (int i = 0; i < s.napis; i++)
            if (!asb_list_has(leaves_out, api_names[s.apis[i]])) s.apis[kept++] = s.apis[i];
        s.napis = kept;
    }
    if (!asb_param_given(ctx, "fork_every_ms") && asb_list_has(leaves_out, "fork")) fork_ms = 0;
    report_crashes();
    s.nslots = (size_t)slots;
    s.max_size = (size_t)max_size;
    s.workers = calloc((size_t)s.nworkers, sizeof *s.workers);
    if (!s.workers) return asb_fail(ctx, ASB_ERROR, "stress: out of memory");
    s.deadline_ns = asb_now_ns() + (uint64_t)(seconds * 1e9);
    pthread_mutex_init(&s.start_gate, NULL);
    pthread_mutex_lock(&s.start_gate);
    int started = 0;
    for (; started < s.nworkers; started++) {
        worker *w = &s.workers[started];
        w->run = &s;
        w->index = started;
        snprintf(w->name, sizeof w->name, "worker thread %d", started);
        asb_rng_seed(&w->rng, asb_seed(ctx) + (uint64_t)started * 7919);
        pthread_mutex_init(&w->queue.lock, NULL);
        w->slots = calloc(s.nslots, sizeof *w->slots);
        if (!w->slots || pthread_create(&w->tid, NULL, worker_main, w) != 0) {
            free(w->slots);
            violation(&s, ASB_ERROR, "stress: could not start every worker thread");
            break;
        }
    }
    s.nworkers = started;
    pthread_barrier_init(&s.finish, NULL, (unsigned)s.nworkers + 1);
    pthread_mutex_unlock(&s.start_gate);
    monitor_figures fig = {0};
    monitor(&s, fork_ms, spawn_ms, (size_t)slack_mb << 20, &fig);
    uint64_t ops = 0, allocs = 0, bytes = 0;
    for (int i = 0; i < s.nworkers; i++) {
        pthread_join(s.workers[i].tid, NULL);
        ops += s.workers[i].ops;
        allocs += s.workers[i].allocs;
        bytes += s.workers[i].bytes;
    }
    asb_count(ctx, ops, allocs, bytes);
    asb_report(ctx, "forks", (double)fig.forks);
    asb_report(ctx, "helper_threads", (double)fig.helpers);
    asb_report(ctx, "peak_live_mib", (double)fig.peak_live / (1 << 20));
    asb_report(ctx, "peak_rss_growth_mib", (double)fig.peak_growth / (1 << 20));
    int status = atomic_load(&s.status);
    if (status == ASB_OK)
        for (int i = 0; i < s.nworkers; i++) free(s.workers[i].slots);
    pthread_barrier_destroy(&s.finish);
    return status;
}

static const asb_param_def stress_params[] = {
    {"seconds", "10", "3", "how long the torture runs"},
    {"slots", "256", NULL, "blocks each worker thread keeps live"},
    {"max_size", "4194304", NULL, "largest block in bytes"},
    {"apis", "malloc,calloc,realloc,posix_memalign,aligned_alloc,memalign,valloc,pvalloc", NULL,
     "allocation APIs used (comma-separated)"},
    {"fork_every_ms", "200", NULL, "fork interval while the workers allocate (0: never)"},
    {"spawn_every_ms", "20", NULL, "interval of short-lived helper threads (0: never)"},
    {"leak_slack_mb", "128", NULL, "RSS growth allowed beyond 3 x the peak live bytes"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload stress = {
    .name = "stress",
    .kind = "stress",
    .stresses = "integrity under random multi-threaded use of every malloc API, fork and thread churn",
    .params = stress_params,
    .run = stress_run_workload,
};
ASB_REGISTER_WORKLOAD(stress)
