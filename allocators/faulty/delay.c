/*
 * delay.c — glibc's malloc made slower by a known amount: an LD_PRELOAD
 * library whose malloc spins ASB_DELAY_SPINS iterations of an empty loop
 * before calling glibc's.  It is the planted regression of the precision
 * check (tools/precision-check): run once with ASB_DELAY_SPINS=0 and once
 * with a count sized to slow churn by 10% (or to add 2% instructions), the
 * two runs must be told apart by `asbench compare`.  The extra work is
 * deterministic: each iteration is the same few instructions.
 *
 *   asbench run --alloc 'g=glibc[LD_PRELOAD=…/libfaulty-delay.so;ASB_DELAY_SPINS=20]' …
 *
 * Only malloc is interposed: free, calloc and realloc stay glibc's, which
 * owns every block either way.
 */
#include <stdlib.h>

extern void *__libc_malloc(size_t);

static long spins = -1; /* read at the first malloc (getenv does not allocate) */

void *malloc(size_t n) {
    if (spins < 0) {
        const char *v = getenv("ASB_DELAY_SPINS");
        spins = v ? strtol(v, NULL, 10) : 0;
        if (spins < 0) spins = 0;
    }
    for (long i = spins; i > 0; i--) __asm__ volatile("" ::: "memory"); /* not optimized away */
    return __libc_malloc(n);
}
