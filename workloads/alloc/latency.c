/*
 * latency.c — the --latency sampling wrappers of malloc, calloc,
 * posix_memalign and free (see latency.h for how they are linked in).
 *
 * Which calls are timed: each thread keeps one countdown per operation,
 * reloaded with a random interval in [1, 2N-1] (mean N) after each sample, so
 * that a workload's periodic pattern (churn's free-then-malloc, a stall every
 * 100th call) is sampled in proportion and not aliased.  A timed call's
 * figure is the difference of two CLOCK_MONOTONIC readings around it, so it
 * includes about one clock reading (reported as latency_clock_ns).
 * Every call pays one decrement and a branch; an unarmed thread's countdown
 * is UNARMED_RECHECK, so a thread notices the timed region's start within
 * that many calls, and no call is timed once it has ended.
 * realloc is not sampled: it is both an allocation and a free.
 */
#include "latency.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "../../common/hist.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t nmemb, size_t size);
int __real_posix_memalign(void **out, size_t align, size_t size);
void __real_free(void *p);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t nmemb, size_t size);
int __wrap_posix_memalign(void **out, size_t align, size_t size);
void __wrap_free(void *p);

enum { OP_MALLOC, OP_FREE, NOPS };
static const char *const op_names[NOPS] = {"malloc", "free"};

/* A thread's histograms, mapped (not malloc'd: that would sample itself and
 * count in the allocator under test) and kept on a list for the merge. */
typedef struct thread_hists {
    asb_hist ops[NOPS];
    struct thread_hists *next;
} thread_hists;

static atomic_bool armed;
static uint32_t period = 1;
static _Atomic(thread_hists *) all_threads;

/* Calls an unarmed thread makes between looks at `armed`. */
#define UNARMED_RECHECK 1024

static __thread struct {
    uint32_t countdown[NOPS]; /* calls until the next sample (or look at `armed`) */
    uint64_t rng;
    thread_hists *hists;
} tls = {.countdown = {1, 1}}; /* a thread's first call looks at `armed` */

void asb_latency_configure(uint32_t p) { period = p ? p : 1; }
void asb_latency_arm(bool on) { atomic_store_explicit(&armed, on, memory_order_relaxed); }

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Uniform in [1, 2·period − 1] (xorshift64, seeded from the thread's TLS
 * address so that threads differ). */
static uint32_t next_interval(void) {
    if (!tls.rng) tls.rng = (uint64_t)(uintptr_t)&tls * 0x9e3779b97f4a7c15ull | 1;
    tls.rng ^= tls.rng << 13;
    tls.rng ^= tls.rng >> 7;
    tls.rng ^= tls.rng << 17;
    return 1 + (uint32_t)(tls.rng % (2 * (uint64_t)period - 1));
}

/* When a countdown runs out: sample if armed, else look again later. */
__attribute__((noinline)) static bool countdown_expired(int op) {
    if (!atomic_load_explicit(&armed, memory_order_relaxed)) {
        tls.countdown[op] = UNARMED_RECHECK;
        return false;
    }
    tls.countdown[op] = next_interval();
    return true;
}

/* The path of every call: one decrement and a branch, armed or not. */
static inline bool take_sample(int op) {
    if (__builtin_expect(--tls.countdown[op] != 0, 1)) return false;
    return countdown_expired(op);
}

static void record(int op, uint64_t ns) {
    if (!tls.hists) {
        thread_hists *h = mmap(NULL, sizeof *h, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (h == MAP_FAILED) return; /* the sample is lost, the run goes on */
        for (int i = 0; i < NOPS; i++) asb_hist_init(&h->ops[i]);
        h->next = atomic_load(&all_threads);
        while (!atomic_compare_exchange_weak(&all_threads, &h->next, h)) {
        }
        tls.hists = h;
    }
    asb_hist_record(&tls.hists->ops[op], ns);
}

/* The timed calls, out of line: the wrappers' untimed path is then the
 * decrement and the branch before a tail call, with no registers saved. */
__attribute__((noinline)) static void *timed_malloc(size_t size) {
    uint64_t t0 = now_ns();
    void *p = __real_malloc(size);
    record(OP_MALLOC, now_ns() - t0);
    return p;
}

__attribute__((noinline)) static void *timed_calloc(size_t nmemb, size_t size) {
    uint64_t t0 = now_ns();
    void *p = __real_calloc(nmemb, size);
    record(OP_MALLOC, now_ns() - t0);
    return p;
}

__attribute__((noinline)) static int timed_posix_memalign(void **out, size_t align, size_t size) {
    uint64_t t0 = now_ns();
    int r = __real_posix_memalign(out, align, size);
    record(OP_MALLOC, now_ns() - t0);
    return r;
}

__attribute__((noinline)) static void timed_free(void *p) {
    uint64_t t0 = now_ns();
    __real_free(p);
    record(OP_FREE, now_ns() - t0);
}

void *__wrap_malloc(size_t size) { return take_sample(OP_MALLOC) ? timed_malloc(size) : __real_malloc(size); }

void *__wrap_calloc(size_t nmemb, size_t size) {
    return take_sample(OP_MALLOC) ? timed_calloc(nmemb, size) : __real_calloc(nmemb, size);
}

int __wrap_posix_memalign(void **out, size_t align, size_t size) {
    return take_sample(OP_MALLOC) ? timed_posix_memalign(out, align, size) : __real_posix_memalign(out, align, size);
}

void __wrap_free(void *p) {
    if (p && take_sample(OP_FREE)) timed_free(p);
    else __real_free(p);
}

/* The median of back-to-back clock readings: the floor every sample carries. */
static uint64_t clock_floor_ns(void) {
    static asb_hist h; /* 30 KiB: not on the stack */
    asb_hist_init(&h);
    for (int i = 0; i < 10000; i++) {
        uint64_t t0 = now_ns();
        asb_hist_record(&h, now_ns() - t0);
    }
    return asb_hist_quantile(&h, 0.5);
}

void asb_latency_report(asb_ctx *ctx, FILE *out) {
    asb_latency_arm(false);
    static asb_hist merged[NOPS];
    for (int op = 0; op < NOPS; op++) asb_hist_init(&merged[op]);
    for (thread_hists *t = atomic_load(&all_threads); t; t = t->next)
        for (int op = 0; op < NOPS; op++) asb_hist_merge(&merged[op], &t->ops[op]);
    asb_report(ctx, "latency_sampled", 1);
    asb_report(ctx, "latency_period", period);
    asb_report(ctx, "latency_clock_ns", (double)clock_floor_ns());
    static const struct {
        const char *suffix;
        double q;
    } quantiles[] = {{"p50_ns", 0.5}, {"p99_ns", 0.99}, {"p999_ns", 0.999}, {"max_ns", 1}};
    for (int op = 0; op < NOPS; op++) {
        const asb_hist *h = &merged[op];
        char key[32];
        snprintf(key, sizeof key, "%s_samples", op_names[op]);
        asb_report(ctx, key, (double)h->count);
        if (!h->count) continue; /* no figure rather than a made-up 0 */
        for (size_t q = 0; q < sizeof quantiles / sizeof *quantiles; q++) {
            snprintf(key, sizeof key, "%s_%s", op_names[op], quantiles[q].suffix);
            asb_report(ctx, key, (double)asb_hist_quantile(h, quantiles[q].q));
        }
    }
    for (int op = 0; op < NOPS; op++) {
        fprintf(out, "latency_buckets.%s=", op_names[op]);
        const char *sep = "";
        for (int i = 0; i < ASB_HIST_BUCKETS; i++)
            if (merged[op].buckets[i]) {
                fprintf(out, "%s%d:%llu", sep, i, (unsigned long long)merged[op].buckets[i]);
                sep = ",";
            }
        fputc('\n', out);
    }
}
