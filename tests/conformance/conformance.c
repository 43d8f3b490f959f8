/*
 * conformance.c — the malloc API contract, checked against one allocator.
 *
 * Built once per backend (linked ahead of libc, like the workers), so every
 * backend in allocators/meson.build gets this suite with no extra code; a
 * library given by path is checked by running the glibc build under
 * LD_PRELOAD.  Output is TAP; each test runs in a child process, so a crash
 * fails one test.  `conformance [--backend NAME] [TEST]` runs one test.
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

static bool test_aligned_apis(void) {
    for (size_t align = 8; align <= 65536; align *= 2) {
        size_t sizes[] = {1, 7, align / 2 + 1, align, align + 1, 3 * align, 100000};
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            size_t n = sizes[s];
            void *p = NULL;
            int rc = posix_memalign(&p, align, n);
            CHECK(rc == 0 && p, "posix_memalign(%zu, %zu) failed: %d", align, n, rc);
            CHECK((uintptr_t)p % align == 0, "posix_memalign(%zu, %zu) = %p misaligned", align, n, p);
            fill(p, n, n);
            void *q = aligned_alloc(align, (n + align - 1) / align * align);
            CHECK(q && (uintptr_t)q % align == 0, "aligned_alloc(%zu, …) = %p misaligned", align, q);
            void *r = memalign(align, n);
            CHECK(r && (uintptr_t)r % align == 0, "memalign(%zu, %zu) = %p misaligned", align, n, r);
            CHECK(malloc_usable_size(p) >= n && malloc_usable_size(r) >= n,
                  "malloc_usable_size of an aligned block < %zu", n);
            memset(q, 0x5a, (n + align - 1) / align * align);
            memset(r, 0xa5, n);
            CHECK(intact(p, n, n), "posix_memalign(%zu, %zu) block overwritten by a neighbour", align, n);
            free(p);
            free(q);
            free(r);
        }
    }
    void *p = NULL;
    CHECK(posix_memalign(&p, 24, 64) == EINVAL, "posix_memalign with alignment 24 did not fail with EINVAL");
    CHECK(posix_memalign(&p, 4, 64) == EINVAL, "posix_memalign with alignment 4 did not fail with EINVAL");
    return true;
}

static bool test_page_aligned_apis(void) {
    long page = sysconf(_SC_PAGESIZE);
    void *v = valloc(100);
    CHECK(v && (uintptr_t)v % (uintptr_t)page == 0, "valloc(100) = %p not page-aligned", v);
    free(v);
    void *pv = pvalloc(100);
    CHECK(pv && (uintptr_t)pv % (uintptr_t)page == 0 && malloc_usable_size(pv) >= (size_t)page,
          "pvalloc(100) = %p not a page-aligned page", pv);
    free(pv);
    return true;
}

static bool test_calloc(void) {
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
    /* volatile: the compiler would reject the impossible sizes outright. */
    volatile size_t half = SIZE_MAX / 2 + 2, big = ((size_t)1 << 33) + 1, huge = SIZE_MAX - 4096;
    errno = 0;
    void *p = calloc(half, 2);
    CHECK(!p && errno == ENOMEM, "calloc(SIZE_MAX/2+2, 2) overflowed: returned %p, errno %d", p, errno);
    errno = 0;
    p = calloc(big, (size_t)1 << 31);
    CHECK(!p && errno == ENOMEM, "calloc(2^33+1, 2^31) overflowed: returned %p, errno %d", p, errno);
    errno = 0;
    p = malloc(huge);
    CHECK(!p && errno == ENOMEM, "malloc(SIZE_MAX-4096) returned %p, errno %d", p, errno);
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

static const struct {
    const char *name;
    bool (*fn)(void);
} tests[] = {
    {"malloc_zero", test_malloc_zero},     {"alignment", test_alignment},
    {"aligned_apis", test_aligned_apis},   {"page_aligned_apis", test_page_aligned_apis},
    {"calloc", test_calloc},
    {"realloc", test_realloc},             {"free_null", test_free_null},
    {"usable_size", test_usable_size},     {"no_overlap", test_no_overlap},
    {"cross_thread_free", test_cross_thread_free}, {"memory_reuse", test_memory_reuse},
};

/* Deviations of third-party allocators that this suite found and that are
 * not ours to fix: reported as TAP TODO (visible, not fatal).  Each names
 * the evidence; remove the line when the packaged version is fixed. */
static const struct {
    const char *backend, *test, *why;
} known_deviations[] = {
    {"mimalloc", "aligned_apis", "Debian mimalloc 2.0.9: aligned_alloc, memalign and posix_memalign with A >= 256 can return 128-byte-aligned blocks"},
    {"mimalloc", "calloc", "mimalloc 2.0.9: calloc overflow returns NULL without errno = ENOMEM"},
    {"tcmalloc", "calloc", "gperftools 2.10: calloc overflow returns NULL without errno = ENOMEM"},
    {"jemalloc", "page_aligned_apis", "jemalloc 5.3 does not override pvalloc: glibc's block reaches jemalloc's free"},
};

static const char *known_deviation(const char *backend, const char *test) {
    for (size_t i = 0; backend && i < sizeof known_deviations / sizeof *known_deviations; i++)
        if (!strcmp(known_deviations[i].backend, backend) && !strcmp(known_deviations[i].test, test))
            return known_deviations[i].why;
    return NULL;
}

/* Runs a test in a child process, so a crash is one failed test (named by
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
        snprintf(failure_detail, sizeof failure_detail, "could not run the test in a child process");
        return false;
    }
    if (WIFSIGNALED(status))
        snprintf(failure_detail, sizeof failure_detail, "crashed with signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* usage: conformance [--backend NAME] [TEST] */
int main(int argc, char **argv) {
    const char *backend = NULL, *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--backend") && i + 1 < argc) backend = argv[++i];
        else only = argv[i];
    }
    size_t n = sizeof tests / sizeof *tests, planned = 0;
    for (size_t i = 0; i < n; i++) planned += !only || !strcmp(only, tests[i].name);
    if (!planned) {
        fprintf(stderr, "conformance: unknown test '%s'\n", only);
        return 2;
    }
    printf("1..%zu\n", planned);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (only && strcmp(only, tests[i].name)) continue;
        bool ok = run_isolated(tests[i].fn);
        const char *known = ok ? NULL : known_deviation(backend, tests[i].name);
        printf("%s %zu - %s%s%s%s%s\n", ok ? "ok" : "not ok", ++k, tests[i].name, ok ? "" : ": ", ok ? "" : failure_detail,
               known ? " # TODO known deviation: " : "", known ? known : "");
        fflush(stdout);
        failures += !ok && !known;
    }
    return failures ? 1 : 0;
}
