/*
 * scen_write.c — the misuse scenarios that write or read where the program
 * has no right to: overflows past a block's usable end (1 byte, 8 bytes,
 * over a freed neighbour's free-list link, 1 MiB), an underflow over the
 * bytes in front of a block, the bytes between two neighbours (in-band
 * metadata), the page after a large block (a guard page?), and uses after
 * free (free-list poisoning, stale data, immediate reuse).
 */
#include <string.h>
#include <unistd.h>

#include "probe.h"

enum { SMALL = 48, SPRAY = 256, POISON_SPRAY = 256 }; /* as in scen_free.c */

/* An aligned buffer whose address a scenario plants in the heap: malloc
 * must never return it. */
static unsigned char target[8192] __attribute__((aligned(4096)));
static void *const target_address = target + 4096;

static void write_bytes(unsigned char *at, const void *bytes, size_t n) {
    volatile unsigned char *dst = sec_launder(at);
    for (size_t i = 0; i < n; i++) dst[i] = ((const unsigned char *)bytes)[i];
}

/* Three neighbours of 24 bytes; `bytes` written past the first one's usable
 * end; then the second is freed and a spray of every small size follows:
 * a neighbour whose size field the overflow changed comes back bigger. */
static int overflow_small(sec_run *r, const void *bytes, size_t n, const char *misuse) {
    unsigned char *p = sec_keep(r, sec_malloc(24), 24);
    unsigned char *q = sec_keep(r, sec_malloc(24), 24);
    sec_keep(r, sec_malloc(24), 24);
    size_t usable = sec_usable(p, 24);
    sec_observed("usable size of the 24-byte block: %zu; next block %+td bytes away", usable, q - p);
    sec_misuse(misuse);
    write_bytes(p + usable, bytes, n);
    sec_later();
    sec_drop(r, q);
    sec_free(q);
    sec_spray_sizes(r, 128);
    return sec_check_blocks(r, "no live blocks overlap after freeing the neighbour");
}

int sec_overflow_1(sec_run *r) {
    const unsigned char byte = 0x41;
    return overflow_small(r, &byte, 1, "write 1 byte (0x41) past the usable end of a 24-byte block");
}

int sec_overflow_8(sec_run *r) {
    const size_t word = 0x41;
    return overflow_small(r, &word, sizeof word, "write 8 bytes (the word 0x41) past the usable end of a 24-byte block");
}

int sec_overflow_metadata(sec_run *r) {
    unsigned char *p = sec_keep(r, sec_malloc(SMALL), SMALL);
    unsigned char *q = sec_malloc(SMALL), *behind = sec_malloc(SMALL);
    size_t usable = sec_usable(p, SMALL);
    sec_forbid(r, target, sizeof target, "the target whose address was planted");
    /* Two frees: a cache that counts its entries (glibc's tcache) follows
     * the link of the first block out only when a second one is behind it. */
    sec_free(behind);
    sec_free(q);
    sec_observed("freed neighbour %+td bytes away", q - p);
    void *planted[8];
    for (size_t i = 0; i < sizeof planted / sizeof *planted; i++) planted[i] = target_address;
    sec_misuse("write 64 bytes of a target's address past a live block, over its freed neighbour");
    write_bytes(p + usable, planted, sizeof planted);
    sec_later();
    sec_spray(r, SMALL, POISON_SPRAY);
    return sec_check_blocks(r, "malloc never returned the target");
}

int sec_overflow_1mib(sec_run *r) {
    const size_t len = 1 << 20;
    unsigned char *p = sec_keep(r, sec_malloc(64 << 10), 64 << 10);
    size_t usable = sec_usable(p, 64 << 10);
    sec_misuse("write 1 MiB of 0x41 past the end of a 64 KiB block");
    volatile unsigned char *dst = sec_launder(p + usable);
    for (size_t i = 0; i < len; i++) dst[i] = 0x41;
    sec_later();
    sec_drop(r, p);
    sec_free(p);
    sec_spray(r, SMALL, SPRAY);
    sec_keep(r, sec_malloc(64 << 10), 64 << 10);
    return sec_check_blocks(r, "no live blocks overlap");
}

int sec_underflow(sec_run *r) {
    unsigned char *p = sec_malloc(SMALL);
    unsigned char bytes[16];
    memset(bytes, 0x41, sizeof bytes);
    sec_misuse("write 16 bytes of 0x41 in front of a 48-byte block");
    write_bytes(p - sizeof bytes, bytes, sizeof bytes);
    sec_later();
    sec_observed("usable size after the underflow: %zu", sec_usable(p, 0));
    sec_free(p);
    sec_spray(r, SMALL, SPRAY);
    sec_spray_sizes(r, 128);
    return sec_check_blocks(r, "no live blocks overlap after freeing it");
}

int sec_metadata_in_band(sec_run *r) {
    char why[256];
    sec_usable_fn usable = sec_usable_size_fn(why, sizeof why);
    if (!usable) return sec_not_applicable(r, "needs the allocator's malloc_usable_size: %s", why);
    enum { N = 16 };
    unsigned char *b[N];
    for (int i = 0; i < N; i++) b[i] = sec_keep(r, sec_malloc(SMALL), SMALL);
    /* The closest pair p < q with q after p's usable end: the bytes between
     * them are the allocator's, if anyone's. */
    unsigned char *p = NULL, *q = NULL;
    for (int i = 0; i < N; i++)
        for (int k = 0; k < N; k++) {
            unsigned char *end = b[i] + usable(b[i]);
            if (b[k] >= end && b[k] - end <= 64 && (!p || b[k] - end < q - (p + usable(p)))) p = b[i], q = b[k];
        }
    if (!p) return sec_not_applicable(r, "no two 48-byte blocks lie within 64 bytes of each other");
    size_t gap = (size_t)(q - (p + usable(p))), before = usable(q);
    if (gap == 0) {
        sec_observed("no bytes between neighbours: the next block starts at the usable end (out-of-band metadata)");
        return sec_result(r, false, "out-of-band metadata: no header between neighbours to overwrite");
    }
    unsigned char bytes[64];
    memset(bytes, 0xff, sizeof bytes);
    sec_observed("%zu bytes between a block's usable end and its neighbour (in-band metadata)", gap);
    sec_misuse("overwrite the bytes between a block and its neighbour with 0xff");
    write_bytes(p + usable(p), bytes, gap);
    sec_later();
    size_t after = usable(q);
    sec_observed("neighbour's usable size %zu before, %zu after", before, after);
    if (after != before)
        return sec_result(r, true, "in-band header: the neighbour's usable size went from %zu to %zu", before, after);
    sec_drop(r, q);
    sec_free(q);
    sec_spray_sizes(r, 128);
    return sec_check_blocks(r, "in-band bytes between neighbours, but overwriting them changed nothing seen");
}

int sec_guard_page_large(sec_run *r) {
    const size_t n = 1 << 20;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *p = sec_keep(r, sec_malloc(n), n);
    uintptr_t end = (uintptr_t)p + sec_usable(p, n);
    unsigned char *next_page = (unsigned char *)((end + page - 1) & ~(uintptr_t)(page - 1));
    sec_observed("the 1 MiB block ends at %p, the next page starts at %p", (void *)end, (void *)next_page);
    sec_misuse("write 1 byte to the first page after a 1 MiB block");
    const unsigned char byte = 0x41;
    write_bytes(next_page, &byte, 1);
    return sec_result(r, false, "no guard page: the page after the block is mapped and writable");
}

int sec_uaf_freelist_poison(sec_run *r) {
    void **p = sec_malloc(SMALL), *behind = sec_malloc(SMALL);
    sec_forbid(r, target, sizeof target, "the target whose address was planted");
    sec_free(behind); /* as in overflow-metadata: a second free block behind p */
    sec_free(p);
    sec_misuse("write a target's address over a freed 48-byte block");
    void **dangling = sec_launder(p);
    for (size_t i = 0; i < SMALL / sizeof *p; i++) ((void *volatile *)dangling)[i] = target_address;
    sec_later();
    sec_spray(r, SMALL, POISON_SPRAY);
    return sec_check_blocks(r, "malloc never returned the target");
}

int sec_uaf_read_stale(sec_run *r) {
    enum { N = 64 };
    unsigned char *p = sec_malloc(N);
    memset(p, 0x5a, N);
    sec_free(p);
    sec_misuse("read a freed 64-byte block");
    volatile unsigned char *stale = sec_launder(p);
    int kept = 0;
    for (int i = 0; i < N; i++) kept += stale[i] == 0x5a;
    asb_report(r->ctx, "stale_bytes", kept);
    if (2 * kept >= N) return sec_result(r, true, "%d of %d bytes still hold the freed data", kept, N);
    return sec_result(r, false, "only %d of %d bytes still hold the freed data (first byte now 0x%02x)", kept, N, stale[0]);
}

int sec_uaf_reuse(sec_run *r) {
    void *p = sec_malloc(SMALL);
    sec_free(p);
    sec_misuse("keep a dangling pointer to a freed 48-byte block");
    sec_later();
    void *q = sec_keep(r, sec_malloc(SMALL), SMALL);
    if (q == p) return sec_result(r, true, "the next malloc(48) returned the freed block: the dangling pointer aliases it");
    return sec_result(r, false, "the next malloc(48) returned another block (%+td bytes away)",
                      (unsigned char *)q - (unsigned char *)p);
}
