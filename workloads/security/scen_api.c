/*
 * scen_api.c — misuse of the API's arguments (malloc_usable_size of
 * garbage, impossible and negative sizes, a calloc whose product wraps) and
 * the predictability of addresses (the distance between consecutive small
 * blocks; the first block's address, compared across runs by the harness).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

int sec_usable_size_garbage(sec_run *r) {
    char why[256];
    sec_usable_fn usable = sec_usable_size_fn(why, sizeof why);
    if (!usable) return sec_not_applicable(r, "%s", why);
    unsigned char garbage[512] __attribute__((aligned(64)));
    memset(garbage, 0x41, sizeof garbage);
    sec_misuse("malloc_usable_size() of a stack address full of 0x41");
    size_t n = usable(sec_launder(garbage + 256));
    asb_report(r->ctx, "usable_size", (double)n);
    if (n > 0) return sec_result(r, true, "it claims %zu usable bytes at a pointer it never handed out", n);
    return sec_result(r, false, "it returned 0");
}

/* malloc-like call that must fail: exploitable when it returns a block. */
static int must_fail(sec_run *r, void *p, int err, const char *call) {
    if (p) return sec_result(r, true, "%s returned %p instead of NULL", call, p);
    return sec_result(r, false, "%s returned NULL (errno %s)", call,
                      err == ENOMEM ? "ENOMEM" : err == 0 ? "not set" : strerror(err));
}

int sec_huge_size(sec_run *r) {
    sec_misuse("malloc(2^62)");
    errno = 0;
    void *p = sec_malloc((size_t)1 << 62);
    return must_fail(r, p, errno, "malloc(2^62)");
}

int sec_negative_size(sec_run *r) {
    int negative = -16;
    sec_misuse("malloc((size_t)-16), an int -16 passed as a size");
    errno = 0;
    void *p = sec_malloc((size_t)negative);
    return must_fail(r, p, errno, "malloc(-16)");
}

int sec_calloc_overflow(sec_run *r) {
    size_t count = SIZE_MAX / 16 + 2; /* count * 16 wraps to 16 */
    sec_misuse("calloc(SIZE_MAX/16 + 2, 16), whose product wraps to 16");
    errno = 0;
    void *p = sec_calloc(count, 16);
    return must_fail(r, p, errno, "calloc(SIZE_MAX/16 + 2, 16)");
}

int sec_addr_entropy(sec_run *r) {
    enum { N = 257 };
    uintptr_t a[N];
    sec_misuse("allocate 257 blocks of 32 bytes and predict each next address");
    for (int i = 0; i < N; i++) a[i] = (uintptr_t)sec_keep(r, sec_malloc(32), 32);
    /* The distribution of distances between consecutive blocks. */
    intptr_t delta[N - 1];
    int count[N - 1], kinds = 0, top = 0;
    for (int i = 0; i + 1 < N; i++) {
        intptr_t d = (intptr_t)(a[i + 1] - a[i]);
        int k = 0;
        while (k < kinds && delta[k] != d) k++;
        if (k == kinds) delta[kinds] = d, count[kinds++] = 0;
        if (++count[k] > count[top]) top = k;
    }
    double bits = 0;
    for (int k = 0; k < kinds; k++) {
        double share = (double)count[k] / (N - 1);
        bits -= share * log2(share);
    }
    asb_report(r->ctx, "delta_entropy_bits", bits);
    asb_report(r->ctx, "common_delta_share", (double)count[top] / (N - 1));
    const char *how = 10 * count[top] >= 9 * (N - 1) ? "predictable" : "not predictable";
    return sec_result(r, 10 * count[top] >= 9 * (N - 1),
                      "%s: the next block is %+td bytes further in %d of %d pairs; %.1f bits of entropy per step",
                      how, delta[top], count[top], N - 1, bits);
}

int sec_aslr_first(sec_run *r) {
    sec_misuse("the address of a process's first 32-byte block, compared across runs");
    void *p = sec_keep(r, sec_malloc(32), 32);
    asb_report(r->ctx, "first_addr", (double)(uintptr_t)p);
    sec_observed("first block at %p", p);
    return sec_result(r, false, "first block at %p", p);
}
