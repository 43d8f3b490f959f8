/*
 * probe.h — what a misuse scenario uses (probe.c): the allocator reached
 * through volatile function pointers (so that the compiler can neither
 * elide nor warn about the misuse it is asked to do), the progress lines
 * of security.h, and the common check — whether a block was handed out
 * twice, two live blocks overlap, or malloc returned memory inside a region
 * the scenario never got from the allocator (a stack buffer, a global, a
 * target whose address it planted).
 */
#ifndef ASB_SECURITY_PROBE_H
#define ASB_SECURITY_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "security.h"

enum { SEC_MAX_LIVE = 1024, SEC_MAX_REGIONS = 4 };

typedef struct sec_block {
    void *p;
    size_t n;
} sec_block;

typedef struct sec_region {
    uintptr_t lo, hi;
    const char *what;
} sec_region;

struct sec_run {
    asb_ctx *ctx;
    sec_block live[SEC_MAX_LIVE]; /* blocks the program believes it owns */
    int nlive;
    sec_region forbidden[SEC_MAX_REGIONS]; /* memory malloc must never return */
    int nforbidden;
};

extern void *(*volatile sec_malloc)(size_t);
extern void *(*volatile sec_calloc)(size_t, size_t);
extern void *(*volatile sec_realloc)(void *, size_t);
extern void (*volatile sec_free)(void *);

/* p, with its provenance hidden from the optimizer. */
void *sec_launder(void *p);

/* Progress lines (security.h); each is written before the step it names. */
void sec_misuse(const char *what);
void sec_later(void);
void sec_observed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Block p of n bytes is live (the program holds it); returns p. */
void *sec_keep(sec_run *r, void *p, size_t n);
/* p is no longer held (it was freed, legitimately or not). */
void sec_drop(sec_run *r, void *p);
void sec_forbid(sec_run *r, const void *p, size_t n, const char *what);
/* Allocate count blocks of n bytes (an attacker's heap spray) and keep them;
 * returns how many it got. */
int sec_spray(sec_run *r, size_t n, int count);
/* One block of every size 8, 16 … max. */
void sec_spray_sizes(sec_run *r, size_t max);

/* The verdict line and extra.exploited; returns ASB_OK. */
int sec_result(sec_run *r, bool exploited, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The common check (see above) as the result; `none` says what was
 * checked when nothing was found. */
int sec_check_blocks(sec_run *r, const char *none);

/* malloc_usable_size when the allocator that serves malloc provides it (NULL
 * otherwise: a library given by path may lack it, and glibc's own would
 * read a foreign block); *why says which object each symbol comes from. */
typedef size_t (*sec_usable_fn)(void *);
sec_usable_fn sec_usable_size_fn(char *why, size_t len);
/* The block's usable size, or `asked` when the allocator cannot tell. */
size_t sec_usable(void *p, size_t asked);
/* The unsupported status with its reason: the scenario does not apply. */
int sec_not_applicable(sec_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A fake dlmalloc-style chunk inside region (len ≥ 256): the 16-byte
 * header of a 48-byte block (prev_size 0, size 64 | PREV_INUSE) and a sane
 * size for the chunk after it, as the "house of spirit" forges; returns the
 * pointer to hand to free(). */
void *sec_fake_chunk(void *region, size_t len);

/* The scenarios (scen_free.c, scen_write.c, scen_api.c). */
int sec_double_free(sec_run *r);
int sec_double_free_later(sec_run *r);
int sec_double_free_thread(sec_run *r);
int sec_invalid_free_stack(sec_run *r);
int sec_invalid_free_global(sec_run *r);
int sec_invalid_free_interior(sec_run *r);
int sec_invalid_free_misaligned(sec_run *r);
int sec_invalid_free_mmap(sec_run *r);
int sec_invalid_free_unmapped(sec_run *r);
int sec_realloc_freed(sec_run *r);
int sec_overflow_1(sec_run *r);
int sec_overflow_8(sec_run *r);
int sec_overflow_metadata(sec_run *r);
int sec_overflow_1mib(sec_run *r);
int sec_underflow(sec_run *r);
int sec_metadata_in_band(sec_run *r);
int sec_guard_page_large(sec_run *r);
int sec_uaf_freelist_poison(sec_run *r);
int sec_uaf_read_stale(sec_run *r);
int sec_uaf_reuse(sec_run *r);
int sec_usable_size_garbage(sec_run *r);
int sec_huge_size(sec_run *r);
int sec_negative_size(sec_run *r);
int sec_calloc_overflow(sec_run *r);
int sec_addr_entropy(sec_run *r);
int sec_aslr_first(sec_run *r);

#endif
