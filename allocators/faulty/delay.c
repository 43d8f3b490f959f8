/*
 * delay.c — glibc's malloc made slower by a known amount: an LD_PRELOAD
 * library whose malloc first waits, then calls glibc's.  Two modes, both
 * deterministic:
 *
 *   ASB_DELAY_SPINS=N    every malloc spins N iterations of an empty loop:
 *                        the planted regression of the precision check
 *                        (tools/precision-check), run once with 0 and once
 *                        with a count sized to slow churn by 10% (or to add
 *                        2% instructions); `asbench compare` must tell them
 *                        apart.
 *   ASB_DELAY_EVERY=N    every N-th malloc of the process stalls for
 *   ASB_DELAY_STALL_NS=T T nanoseconds (busy-waiting on CLOCK_MONOTONIC):
 *                        the planted slow operation of the --latency tests
 *                        (tests/harness/latency_test.sh), which must show up
 *                        at the percentile 1/N predicts.
 *
 *   asbench run --alloc 'g=glibc[LD_PRELOAD=…/libfaulty-delay.so;ASB_DELAY_SPINS=20]' …
 *
 * Only malloc is interposed: free, calloc and realloc stay glibc's, which
 * owns every block either way.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

extern void *__libc_malloc(size_t);

/* Read at the first malloc (getenv does not allocate); -1: not read yet. */
static long spins = -1, every, stall_ns;
static atomic_ulong calls;

static long env_long(const char *name) {
    const char *v = getenv(name);
    long n = v ? strtol(v, NULL, 10) : 0;
    return n > 0 ? n : 0;
}

static unsigned long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

void *malloc(size_t n) {
    if (spins < 0) {
        every = env_long("ASB_DELAY_EVERY");
        stall_ns = env_long("ASB_DELAY_STALL_NS");
        spins = env_long("ASB_DELAY_SPINS");
    }
    for (long i = spins; i > 0; i--) __asm__ volatile("" ::: "memory"); /* not optimized away */
    if (every && (atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed) + 1) % (unsigned long)every == 0)
        for (unsigned long long end = now_ns() + (unsigned long long)stall_ns; now_ns() < end;) {
        }
    return __libc_malloc(n);
}
