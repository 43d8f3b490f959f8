/*
 * conformance.c — the malloc API contract, checked against one allocator.
 *
 * Built once per backend together with the backend's own file
 * (allocators/NAME.c, linked ahead of libc like the workers), so every backend
 * in allocators/meson.build gets this suite with no extra code, and the suite
 * reads the known deviations that file declares (backend.h).  A library given
 * by path is checked by running the glibc build under LD_PRELOAD.
 *
 * A test is one or more named checks, and each check runs in a child process,
 * so a crash fails one check and the others still run.  Output is TAP, one
 * line per check, named "test" or "test/check".  A failing check that the
 * backend declares is TODO with the declared reason; a declared check that
 * passes fails (the library was fixed: the declaration must go); so does a
 * declaration that names no check.  Any other failure fails.
 *
 *   conformance [TEST | TEST/CHECK]   run every check, or those named
 *   conformance --list                the checks' names
 *
 * `asbench stress` leaves out what the declarations name itself: the worker
 * reads the same declarations (harness/worker.c).
 *
 * Alignment rule: a block of n bytes is aligned for any object of size ≤ n
 * (C17 7.22.3), capped at 16: so n ≥ 16 → 16-byte aligned, smaller blocks at
 * least to the largest power of two ≤ n.  (glibc gives 16 always; jemalloc,
 * mimalloc and tcmalloc give 8 for n ≤ 8.)
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"

static int failures;
static char failure_detail[512];

#define CHECK(cond, ...)                                                            \
    do {                                                                            \
        if (!(cond)) {                                                              \
            snprintf(failure_detail, sizeof failure_detail, __VA_ARGS__);           \
            return false;                                                           \
        }                                                                           \
    } while (0)

static size_t required_alignment(size_t n) {
    size_t a = 1;
    while (a < 16 && a * 2 <= n) a *= 2;
    return a;
}

/* Deterministic byte pattern of block `id`. */
static unsigned char pattern(size_t id, size_t i) { return (unsigned char)(id * 131 + i * 7 + 1); }

static void fill(unsigned char *p, size_t n, size_t id) {
    for (size_t i = 0; i < n; i++) p[i] = pattern(id, i);
}

static bool intact(const unsigned char *p, size_t n, size_t id) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern(id, i)) return false;
    return true;
}

static bool test_malloc_zero(void) {
    for (int i = 0; i < 100; i++) {
        void *p = malloc(0);
        void *q = malloc(0);
        CHECK(!p || !q || p != q, "malloc(0) returned the same live pointer twice: %p", p);
        free(p);
        free(q);
    }
    return true;
}

static bool test_alignment(void) {
    void *keep[64] = {0};
    for (size_t n = 1; n <= 70000; n += n < 4096 ? 1 : n < 40000 ? 61 : 997) {
        for (int k = 0; k < 3; k++) {
            unsigned char *p = malloc(n);
            CHECK(p, "malloc(%zu) returned NULL", n);
            CHECK((uintptr_t)p % required_alignment(n) == 0, "malloc(%zu) = %p is not %zu-byte aligned", n,
                  (void *)p, required_alignment(n));
            p[0] = 1;
            p[n - 1] = 2;
            /* Keep some blocks alive so that the next ones come from inside spans. */
            size_t slot = (n * 3 + (size_t)k) % 64;
            free(keep[slot]);
            keep[slot] = p;
        }
    }
    for (int i = 0; i < 64; i++) free(keep[i]);
    return true;
}

/* The aligned allocators, called alike: a block of n bytes aligned to `align`. */
static void *by_posix_memalign(size_t align, size_t n) {
    void *p = NULL;
    return posix_memalign(&p, align, n) == 0 ? p : NULL;
}
/* C11 wants the size a multiple of the alignment. */
static void *by_aligned_alloc(size_t align, size_t n) { return aligned_alloc(align, (n + align - 1) / align * align); }
static void *by_memalign(size_t align, size_t n) { return memalign(align, n); }

enum { ALIGNED_SIZES = 7 };
/* Alignments 8 B … 64 KiB, each with sizes around it. */
static void aligned_sizes(size_t align, size_t sizes[ALIGNED_SIZES]) {
    size_t s[ALIGNED_SIZES] = {1, 7, align / 2 + 1, align, align + 1, 3 * align, 100000};
    memcpy(sizes, s, sizeof s);
}

static bool aligns(const char *api, void *(*alloc)(size_t align, size_t n)) {
    for (size_t align = 8; align <= 65536; align *= 2) {
        size_t sizes[ALIGNED_SIZES];
        aligned_sizes(align, sizes);
        for (size_t s = 0; s < ALIGNED_SIZES; s++) {
            void *p = alloc(align, sizes[s]);
            CHECK(p, "%s(%zu, %zu) failed", api, align, sizes[s]);
            CHECK((uintptr_t)p % align == 0, "%s(%zu, %zu) = %p misaligned", api, align, sizes[s], p);
            free(p);
        }
    }
    return true;
}

static bool test_posix_memalign_aligns(void) { return aligns("posix_memalign", by_posix_memalign); }
static bool test_aligned_alloc_aligns(void) { return aligns("aligned_alloc", by_aligned_alloc); }
static bool test_memalign_aligns(void) { return aligns("memalign", by_memalign); }

/* Blocks of the three aligned allocators, alive together: each has its
 * usable size, and filling one leaves the others intact. */
static bool test_aligned_blocks_usable_and_separate(void) {
    for (size_t align = 8; align <= 65536; align *= 2) {
        size_t sizes[ALIGNED_SIZES];
        aligned_sizes(align, sizes);
        for (size_t s = 0; s < ALIGNED_SIZES; s++) {
            size_t n = sizes[s];
            void *p = by_posix_memalign(align, n), *q = by_aligned_alloc(align, n), *r = by_memalign(align, n);
            CHECK(p && q && r, "an aligned allocation of %zu B (alignment %zu) failed", n, align);
            CHECK(malloc_usable_size(p) >= n && malloc_usable_size(q) >= n && malloc_usable_size(r) >= n,
                  "malloc_usable_size of an aligned block < %zu", n);
            fill(p, n, n);
            memset(q, 0x5a, n);
            memset(r, 0xa5, n);
            CHECK(intact(p, n, n), "posix_memalign(%zu, %zu) block overwritten by a neighbour", align, n);
            free(p);
            free(q);
            free(r);
        }
    }
    return true;
}

static bool test_posix_memalign_rejects_bad_alignment(void) {
    void *p = NULL;
    CHECK(posix_memalign(&p, 24, 64) == EINVAL, "posix_memalign with alignment 24 did not fail with EINVAL");
    CHECK(posix_memalign(&p, 4, 64) == EINVAL, "posix_memalign with alignment 4 did not fail with EINVAL");
    return true;
}

static bool test_valloc(void) {
    long page = sysconf(_SC_PAGESIZE);
    void *v = valloc(100);
    CHECK(v && (uintptr_t)v % (uintptr_t)page == 0, "valloc(100) = %p not page-aligned", v);
    free(v);
    return true;
}

static bool test_pvalloc(void) {
    long page = sysconf(_SC_PAGESIZE);
    void *pv = pvalloc(100);
    CHECK(pv && (uintptr_t)pv % (uintptr_t)page == 0 && malloc_usable_size(pv) >= (size_t)page,
          "pvalloc(100) = %p not a page-aligned page", pv);
    free(pv);
    return true;
}

static bool test_calloc_zeroes(void) {
    /* Dirty the heap first so calloc cannot pass by luck. */
    for (size_t n = 8; n <= 1 << 20; n *= 2) {
        void *blocks[16];
        for (int i = 0; i < 16; i++) {
            blocks[i] = malloc(n);
            CHECK(blocks[i], "malloc(%zu) returned NULL", n);
            memset(blocks[i], 0xee, n);
        }
        for (int i = 0; i < 16; i++) free(blocks[i]);
        for (int i = 0; i < 16; i++) {
            unsigned char *c = calloc(n / 4, 4);
            CHECK(c, "calloc(%zu, 4) returned NULL", n / 4);
            for (size_t j = 0; j < n; j++) CHECK(c[j] == 0, "calloc(%zu, 4) byte %zu is %#x, not 0", n / 4, j, c[j]);
            blocks[i] = c;
        }
        for (int i = 0; i < 16; i++) free(blocks[i]);
    }
    return true;
}

/* Impossible requests: element counts and sizes whose product overflows,
 * and a size no machine has.  volatile: the compiler would reject them
 * outright. */
static volatile size_t half = SIZE_MAX / 2 + 2, big = ((size_t)1 << 33) + 1, huge = SIZE_MAX - 4096;

static bool test_calloc_overflow_returns_null(void) {
    void *p = calloc(half, 2);
    CHECK(!p, "calloc(SIZE_MAX/2+2, 2) overflowed: returned %p", p);
    p = calloc(big, (size_t)1 << 31);
    CHECK(!p, "calloc(2^33+1, 2^31) overflowed: returned %p", p);
    return true;
}

/* errno is checked where the call failed; a block returned is the check above's failure. */
static bool test_calloc_overflow_sets_errno(void) {
    errno = 0;
    void *p = calloc(half, 2);
    CHECK(p || errno == ENOMEM, "calloc(SIZE_MAX/2+2, 2) returned NULL with errno %d, not ENOMEM", errno);
    errno = 0;
    p = calloc(big, (size_t)1 << 31);
    CHECK(p || errno == ENOMEM, "calloc(2^33+1, 2^31) returned NULL with errno %d, not ENOMEM", errno);
    return true;
}

static bool test_huge_malloc_returns_null(void) {
    void *p = malloc(huge);
    CHECK(!p, "malloc(SIZE_MAX-4096) returned %p", p);
    return true;
}

static bool test_huge_malloc_sets_errno(void) {
    errno = 0;
    void *p = malloc(huge);
    CHECK(p || errno == ENOMEM, "malloc(SIZE_MAX-4096) returned NULL with errno %d, not ENOMEM", errno);
    return true;
}

static bool test_realloc(void) {
    size_t sizes[] = {1, 8, 24, 100, 1000, 4000, 33000, 100000, 1 << 20, 3 << 20, 5000, 16, 1 << 21, 7};
    unsigned char *p = realloc(NULL, 5);
    CHECK(p, "realloc(NULL, 5) returned NULL");
    fill(p, 5, 77);
    size_t cur = 5;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        size_t n = sizes[i], keep = n < cur ? n : cur;
        unsigned char *q = realloc(p, n);
        CHECK(q, "realloc(%p, %zu) returned NULL", (void *)p, n);
        CHECK(intact(q, keep, 77), "realloc %zu -> %zu lost the first %zu bytes", cur, n, keep);
        CHECK(malloc_usable_size(q) >= n, "malloc_usable_size after realloc(%zu) < %zu", n, n);
        fill(q, n, 77);
        p = q;
        cur = n;
    }
    free(p);
    return true;
}

static bool test_free_null(void) {
    free(NULL);
    return true;
}

static bool test_usable_size(void) {
    for (size_t n = 1; n < 300000; n = n * 5 / 4 + 1) {
        unsigned char *p = malloc(n);
        CHECK(p, "malloc(%zu) returned NULL", n);
        size_t u = malloc_usable_size(p);
        CHECK(u >= n, "malloc_usable_size(malloc(%zu)) = %zu", n, u);
        memset(p, 0x33, u); /* the whole usable size is ours to write */
        free(p);
    }
    return true;
}

typedef struct block { unsigned char *p; size_t n; } block;

static int by_address(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)((const block *)a)->p, y = (uintptr_t)((const block *)b)->p;
    return (x > y) - (x < y);
}

static bool test_no_overlap(void) {
    enum { N = 20000 };
    block *b = malloc(N * sizeof *b);
    CHECK(b, "out of memory");
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = i % 500 == 0 ? 40000 + x % 200000 : 1 + x % (i % 3 ? 256 : 8192);
        b[i].n = n;
        b[i].p = malloc(n);
        CHECK(b[i].p, "malloc(%zu) returned NULL", n);
        fill(b[i].p, n, i);
        if (i % 7 == 3) { /* churn: free and replace an older block */
            size_t j = x % i;
            CHECK(intact(b[j].p, b[j].n, j), "block %zu (%p, %zu B) was overwritten", j, (void *)b[j].p, b[j].n);
            free(b[j].p);
            b[j].p = malloc(b[j].n);
            CHECK(b[j].p, "malloc(%zu) returned NULL", b[j].n);
            fill(b[j].p, b[j].n, j);
        }
    }
    for (size_t i = 0; i < N; i++)
        CHECK(intact(b[i].p, b[i].n, i), "block %zu (%p, %zu B) was overwritten", i, (void *)b[i].p, b[i].n);
    block *sorted = malloc(N * sizeof *sorted);
    CHECK(sorted, "out of memory");
    memcpy(sorted, b, N * sizeof *b);
    qsort(sorted, N, sizeof *sorted, by_address);
    for (size_t i = 1; i < N; i++)
        CHECK(sorted[i - 1].p + sorted[i - 1].n <= sorted[i].p, "blocks %p (%zu B) and %p overlap",
              (void *)sorted[i - 1].p, sorted[i - 1].n, (void *)sorted[i].p);
    for (size_t i = 0; i < N; i++) free(b[i].p);
    free(sorted);
    free(b);
    return true;
}

/* Producer allocates and fills; consumer thread verifies and frees. */
enum { XFER = 50000 };
static block xfer[XFER];

static void *consume(void *arg) {
    (void)arg;
    for (size_t i = 0; i < XFER; i++) {
        if (!intact(xfer[i].p, xfer[i].n, i)) return (void *)xfer[i].p;
        free(xfer[i].p);
    }
    return NULL;
}

static bool test_cross_thread_free(void) {
    for (int round = 0; round < 4; round++) {
        for (size_t i = 0; i < XFER; i++) {
            xfer[i].n = 1 + (i * 2654435761u) % (round % 2 ? 2048 : 128);
            xfer[i].p = malloc(xfer[i].n);
            CHECK(xfer[i].p, "malloc(%zu) returned NULL", xfer[i].n);
            fill(xfer[i].p, xfer[i].n, i);
        }
        pthread_t t;
        void *bad;
        CHECK(pthread_create(&t, NULL, consume, NULL) == 0, "pthread_create failed");
        pthread_join(t, &bad);
        CHECK(!bad, "block %p was corrupted before the other thread freed it", bad);
        /* The producer's memory freed remotely must be reusable and intact. */
        for (size_t i = 0; i < XFER; i++) {
            xfer[i].p = malloc(xfer[i].n);
            CHECK(xfer[i].p, "malloc after remote frees returned NULL");
            fill(xfer[i].p, xfer[i].n, i + 1);
        }
        for (size_t i = 0; i < XFER; i++) {
            CHECK(intact(xfer[i].p, xfer[i].n, i + 1), "block %p reused after a remote free was overwritten",
                  (void *)xfer[i].p);
            free(xfer[i].p);
        }
    }
    return true;
}

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Freed memory is reused: after a few cycles of allocating and freeing
 * 128 MiB (allocators may cache freed memory up to a bound: tbbmalloc settles
 * near 145 MiB here, jemalloc's time-based purging swings by ~90 MiB), four
 * more cycles must not grow RSS by 192 MiB — a leaking allocator grows by
 * 512 MiB in them.  ASan's quarantine holds freed
 * memory on purpose, so under ASan this test only runs the cycles. */
#ifdef __SANITIZE_ADDRESS__
#define UNDER_ASAN 1
#else
#define UNDER_ASAN 0
#endif

static bool test_memory_reuse(void) {
    enum { CYCLES = 8, TOTAL = 128 << 20, MAX_BLOCKS = TOTAL / 1024 };
    unsigned char **blocks = malloc(MAX_BLOCKS * sizeof *blocks);
    CHECK(blocks, "out of memory");
    long settled = 0;
    uint64_t x = 2463534242u;
    for (int cycle = 0; cycle < CYCLES; cycle++) {
        size_t n = 0, bytes = 0;
        while (bytes < TOTAL && n < MAX_BLOCKS) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t size = 1024 + x % (64 << 10);
            blocks[n] = malloc(size);
            CHECK(blocks[n], "malloc(%zu) returned NULL in cycle %d", size, cycle);
            memset(blocks[n], cycle + 1, size);
            bytes += size;
            n++;
        }
        for (size_t i = 0; i < n; i++) free(blocks[i]);
        long rss = rss_kb();
        if (cycle == CYCLES / 2 - 1) settled = rss;
        CHECK(UNDER_ASAN || cycle < CYCLES / 2 || rss - settled < 192 << 10,
              "RSS grew by %ld KiB over %d cycles of allocating and freeing 128 MiB: freed memory is not reused",
              rss - settled, cycle - CYCLES / 2 + 1);
    }
    free(blocks);
    return true;
}

/* The suite: test, check (NULL: the test's only check), function. */
typedef struct conformance_check {
    const char *test, *check;
    bool (*fn)(void);
} conformance_check;

static const conformance_check checks[] = {
    {"malloc_zero", NULL, test_malloc_zero},
    {"alignment", NULL, test_alignment},
    {"aligned_apis", "posix_memalign", test_posix_memalign_aligns},
    {"aligned_apis", "aligned_alloc", test_aligned_alloc_aligns},
    {"aligned_apis", "memalign", test_memalign_aligns},
    {"aligned_apis", "usable_and_separate", test_aligned_blocks_usable_and_separate},
    {"aligned_apis", "bad_alignment", test_posix_memalign_rejects_bad_alignment},
    {"page_aligned_apis", "valloc", test_valloc},
    {"page_aligned_apis", "pvalloc", test_pvalloc},
    {"calloc", "zeroes", test_calloc_zeroes},
    {"calloc", "overflow_returns_null", test_calloc_overflow_returns_null},
    {"calloc", "overflow_sets_errno", test_calloc_overflow_sets_errno},
    {"huge_malloc", "returns_null", test_huge_malloc_returns_null},
    {"huge_malloc", "sets_errno", test_huge_malloc_sets_errno},
    {"realloc", NULL, test_realloc},
    {"free_null", NULL, test_free_null},
    {"usable_size", NULL, test_usable_size},
    {"no_overlap", NULL, test_no_overlap},
    {"cross_thread_free", NULL, test_cross_thread_free},
    {"memory_reuse", NULL, test_memory_reuse},
};
enum { NCHECKS = sizeof checks / sizeof *checks };

/* The allocation APIs of the contract, named as the stress workload's `apis`
 * parameter names them (workloads/stress.c): what a declaration may have
 * `asbench stress` leave out, besides "fork". */
static const char *const stress_apis[] = {"malloc",        "calloc",   "realloc", "posix_memalign",
                                          "aligned_alloc", "memalign", "valloc",  "pvalloc"};
enum { NAPIS = sizeof stress_apis / sizeof *stress_apis };

static bool same_name(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

static const char *check_name(const char *test, const char *check, char buf[128]) {
    if (!check) return test;
    snprintf(buf, 128, "%s/%s", test, check);
    return buf;
}

static const asb_known_deviation *deviations(void) { return asb_backend_linked.known_deviations; }

/* The declaration covering check c, or NULL. */
static const asb_known_deviation *declared(const conformance_check *c) {
    for (const asb_known_deviation *d = deviations(); d && d->reason; d++)
        if (same_name(d->test, c->test) && same_name(d->check, c->check)) return d;
    return NULL;
}

static int api_index(const char *name) {
    for (int i = 0; i < NAPIS; i++)
        if (!strcmp(stress_apis[i], name)) return i;
    return -1;
}

/* Why declaration d is malformed, or NULL when it is sound. */
static const char *malformed(const asb_known_deviation *d) {
    if (d->test) {
        bool found = false;
        for (size_t i = 0; i < NCHECKS && !found; i++)
            found = same_name(d->test, checks[i].test) && same_name(d->check, checks[i].check);
        if (!found) return "names no check of the conformance suite (see conformance --list)";
    } else if (!d->stress_leaves_out) {
        return "names neither a conformance check nor what asbench stress leaves out";
    }
    if (d->stress_leaves_out && strcmp(d->stress_leaves_out, "fork") && api_index(d->stress_leaves_out) < 0)
        return "leaves out of asbench stress neither \"fork\" nor an API of its apis parameter";
    if (!d->link || !*d->link) return "gives no link";
    return NULL;
}

static int count_malformed(void) {
    int n = 0;
    for (const asb_known_deviation *d = deviations(); d && d->reason; d++) n += malformed(d) != NULL;
    return n;
}

/* Runs a check in a child process, so a crash is one failed check (named by
 * its signal) and the others still run. */
static bool run_isolated(bool (*fn)(void)) {
    int fds[2];
    if (pipe(fds) != 0) return false;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        failure_detail[0] = 0;
        bool ok = fn();
        if (!ok && write(fds[1], failure_detail, strlen(failure_detail)) < 0) _exit(3);
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    ssize_t n = pid > 0 ? read(fds[0], failure_detail, sizeof failure_detail - 1) : -1;
    failure_detail[n > 0 ? n : 0] = 0;
    close(fds[0]);
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        snprintf(failure_detail, sizeof failure_detail, "could not run the check in a child process");
        return false;
    }
    if (WIFSIGNALED(status))
        snprintf(failure_detail, sizeof failure_detail, "crashed with signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* One TAP line for check c: ok; not ok; not ok # TODO for a declared
 * deviation; not ok when a declared deviation no longer occurs. */
static void report(size_t k, const conformance_check *c) {
    char buf[128];
    const char *name = check_name(c->test, c->check, buf);
    bool ok = run_isolated(c->fn);
    const asb_known_deviation *d = declared(c);
    if (ok && !d) {
        printf("ok %zu - %s\n", k, name);
    } else if (ok) {
        printf("not ok %zu - %s: known deviation %s no longer occurs: remove it from allocators/%s.c\n", k, name,
               name, asb_backend_linked.name);
        failures++;
    } else if (d) {
        printf("not ok %zu - %s: %s # TODO known deviation: %s (%s)\n", k, name, failure_detail, d->reason, d->link);
    } else {
        printf("not ok %zu - %s: %s\n", k, name, failure_detail);
        failures++;
    }
    fflush(stdout);
}

int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : NULL;
    if (argc > 2) {
        fprintf(stderr, "usage: conformance [TEST | TEST/CHECK | --list]\n");
        return 2;
    }
    char buf[128];
    if (only && !strcmp(only, "--list")) {
        for (size_t i = 0; i < NCHECKS; i++) puts(check_name(checks[i].test, checks[i].check, buf));
        return 0;
    }
    bool selected[NCHECKS];
    size_t planned = 0;
    for (size_t i = 0; i < NCHECKS; i++) {
        selected[i] = !only || !strcmp(only, checks[i].test) ||
                      !strcmp(only, check_name(checks[i].test, checks[i].check, buf));
        planned += selected[i];
    }
    if (!planned) {
        fprintf(stderr, "conformance: unknown test '%s' (see conformance --list)\n", only);
        return 2;
    }
    printf("1..%zu\n", planned + (size_t)count_malformed());
    size_t k = 0;
    for (const asb_known_deviation *d = deviations(); d && d->reason; d++) {
        const char *why = malformed(d);
        if (!why) continue;
        printf("not ok %zu - known deviation %s in allocators/%s.c %s\n", ++k,
               d->test ? check_name(d->test, d->check, buf) : "(no test)", asb_backend_linked.name, why);
        failures++;
    }
    for (size_t i = 0; i < NCHECKS; i++)
        if (selected[i]) report(++k, &checks[i]);
    return failures ? 1 : 0;
}
