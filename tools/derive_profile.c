/*
 * derive_profile.c — asbench-derive-profile TRACE [NAME]: writes an
 * `empirical` profile (workloads/alloc/profile.h) derived from an
 * allocation trace (docs/trace-format.md) to stdout.
 *
 * Walking the trace's ops in their recorded order (all threads merged by
 * sequence number), it counts each block by its size class and its
 * lifetime class together (`object` lines: in programs, large blocks tend
 * to live long and small ones not, which two independent distributions
 * would lose):
 *   - size classes: the 32 most frequent request sizes exactly, the others
 *     in power-of-two ranges [2^k, 2^(k+1)-1] (uniform within);
 *   - lifetimes, in allocations: a block allocated when A allocations had
 *     been made and freed (or reallocated) when F had been made lives F - A
 *     (≥ 1); exactly for 1..16, in power-of-two ranges above.  A block the
 *     program never freed is given the trace's whole allocation count, so
 *     that a long run keeps a bounded live set instead of growing forever;
 *   - threads: the trace's (a realloc counts as a free and an allocation).
 * Rate and phases are not in a trace (it has no clock): the profile is
 * unthrottled with one phase.  The text is checked with the workload's own
 * parser before it is written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "trace_format.h"

enum { EXACT_SIZES = 32, EXACT_LIFETIMES = 16, BUCKETS = 64 };
/* Size classes: the exact sizes, then a power-of-two range per bucket. */
enum { SIZE_CLASSES = EXACT_SIZES + BUCKETS };
/* Lifetime classes: 1..EXACT_LIFETIMES, a range per bucket, never freed. */
enum { LIFE_CLASSES = EXACT_LIFETIMES + BUCKETS + 1, NEVER_FREED = LIFE_CLASSES - 1 };

typedef struct size_count {
    uint64_t size, count;
} size_count;

static int by_count_desc(const void *a, const void *b) {
    const size_count *x = a, *y = b;
    return x->count < y->count ? 1 : x->count > y->count ? -1 : (x->size > y->size) - (x->size < y->size);
}

static int by_size(const void *a, const void *b) {
    const size_count *x = a, *y = b;
    return (x->size > y->size) - (x->size < y->size);
}

static int log2_floor(uint64_t v) { return 63 - __builtin_clzll(v); }

static void die(const char *what) {
    fprintf(stderr, "asbench-derive-profile: %s\n", what);
    exit(2);
}

static uint64_t request_size(const trace_op *op) {
    uint64_t size = op->size ? op->size : 1;
    return size > EMP_MAX_SIZE ? EMP_MAX_SIZE : size;
}

/* The size class: the index among the exact sizes (sorted), else a range. */
static int size_class(const size_count *exact, size_t nexact, uint64_t size) {
    for (size_t i = 0; i < nexact; i++)
        if (exact[i].size == size) return (int)i;
    return EXACT_SIZES + log2_floor(size);
}

static int life_class(uint64_t life) {
    return life <= EXACT_LIFETIMES ? (int)life - 1 : EXACT_LIFETIMES + log2_floor(life);
}

/* A class as a profile value: "N" or "LO-HI", the ranges clipped to [lo_min, hi_max]. */
static void print_class(FILE *f, uint64_t lo, uint64_t hi, uint64_t lo_min, uint64_t hi_max) {
    if (lo < lo_min) lo = lo_min;
    if (hi > hi_max) hi = hi_max;
    if (lo == hi) fprintf(f, "%llu", (unsigned long long)lo);
    else fprintf(f, "%llu-%llu", (unsigned long long)lo, (unsigned long long)hi);
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3 || argv[1][0] == '-') {
        fprintf(stderr, "usage: asbench-derive-profile TRACE [NAME]   (an empirical profile on stdout)\n");
        return 2;
    }
    const char *name = argc == 3 ? argv[2] : argv[1];
    trace tr;
    char err[512];
    if (trace_load(argv[1], 0, &tr, err, sizeof err)) die(err);
    uint64_t nops = tr.replay_ops;
    const trace_op **by_seq = calloc(nops ? nops : 1, sizeof *by_seq);
    uint64_t *born = calloc(nops ? nops : 1, sizeof *born);
    bool *freed = calloc(nops ? nops : 1, sizeof *freed);
    size_count *sizes = NULL;
    size_t nsizes = 0, cap = 0;
    if (!by_seq || !born || !freed) die("out of memory");
    for (uint32_t t = 0; t < tr.header.threads; t++)
        for (uint64_t i = 0; i < tr.threads[t].nops; i++) by_seq[tr.threads[t].ops[i].seq] = &tr.threads[t].ops[i];

    /* Pass 1: the sizes and how often each is requested. */
    uint64_t allocs = 0;
    for (uint64_t seq = 0; seq < nops; seq++) {
        const trace_op *op = by_seq[seq];
        if (!op || !trace_op_allocates(op)) continue;
        allocs++;
        uint64_t size = request_size(op);
        size_t k = 0; /* few distinct sizes: a linear search is enough */
        while (k < nsizes && sizes[k].size != size) k++;
        if (k == nsizes) {
            if (nsizes == cap && !(sizes = realloc(sizes, (cap = cap ? 2 * cap : 1024) * sizeof *sizes)))
                die("out of memory");
            sizes[nsizes++] = (size_count){size, 0};
        }
        sizes[k].count++;
    }
    if (allocs == 0) die("the trace allocates nothing");
    qsort(sizes, nsizes, sizeof *sizes, by_count_desc);
    size_t nexact = nsizes < EXACT_SIZES ? nsizes : EXACT_SIZES;
    qsort(sizes, nexact, sizeof *sizes, by_size);

    /* Pass 2: each block's size class with its lifetime class. */
    static uint64_t joint[SIZE_CLASSES][LIFE_CLASSES];
    uint64_t made = 0, never_freed = 0;
    for (uint64_t seq = 0; seq < nops; seq++) {
        const trace_op *op = by_seq[seq];
        if (!op) continue;
        if (op->block != TRACE_NO_BLOCK && op->block < nops && !freed[op->block] && by_seq[op->block]) {
            uint64_t life = made - born[op->block];
            joint[size_class(sizes, nexact, request_size(by_seq[op->block]))][life_class(life < 1 ? 1 : life)]++;
            freed[op->block] = true;
        }
        if (trace_op_allocates(op)) born[seq] = made++;
    }
    for (uint64_t seq = 0; seq < nops; seq++)
        if (by_seq[seq] && trace_op_allocates(by_seq[seq]) && !freed[seq]) {
            joint[size_class(sizes, nexact, request_size(by_seq[seq]))][NEVER_FREED]++;
            never_freed++;
        }

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fprintf(f, "# %s.profile — derived from the trace %s by\n#   asbench-derive-profile %s %s\n", name, argv[1],
            argv[1], name);
    fprintf(f, "# (%llu allocations, %llu never freed, peak live %llu bytes in the trace).  Objects by size and\n"
               "# lifetime together: the %d most frequent sizes exactly, the rest in power-of-two ranges;\n"
               "# lifetimes in allocations, exact to %d, then power-of-two ranges; a block never freed\n"
               "# lives one trace length, %llu allocations.  A trace has no clock: unthrottled, one phase.\n",
            (unsigned long long)allocs, (unsigned long long)never_freed,
            (unsigned long long)tr.stats.peak_live_bytes, EXACT_SIZES, EXACT_LIFETIMES, (unsigned long long)allocs);
    fprintf(f, "threads %u\nrate 0\n# object SIZE LIFETIME COUNT\n",
            tr.header.threads < EMP_MAX_THREADS ? tr.header.threads : EMP_MAX_THREADS);
    for (int sc = 0; sc < SIZE_CLASSES; sc++)
        for (int lc = 0; lc < LIFE_CLASSES; lc++) {
            if (!joint[sc][lc]) continue;
            fputs("object ", f);
            if (sc < EXACT_SIZES) fprintf(f, "%llu", (unsigned long long)sizes[sc].size);
            else print_class(f, 1ull << (sc - EXACT_SIZES), (2ull << (sc - EXACT_SIZES)) - 1, 1, EMP_MAX_SIZE);
            fputc(' ', f);
            if (lc == NEVER_FREED) fprintf(f, "%llu", (unsigned long long)allocs);
            else if (lc < EXACT_LIFETIMES) fprintf(f, "%d", lc + 1);
            else print_class(f, 1ull << (lc - EXACT_LIFETIMES), (2ull << (lc - EXACT_LIFETIMES)) - 1,
                             EXACT_LIFETIMES + 1, allocs);
            fprintf(f, " %llu\n", (unsigned long long)joint[sc][lc]);
        }
    fprintf(f, "phase steady %llu 1\n", (unsigned long long)allocs);
    fclose(f);

    emp_profile *p = malloc(sizeof *p);
    if (!p || emp_profile_parse(text, "derived profile", p, err, sizeof err)) die(p ? err : "out of memory");
    fputs(text, stdout);
    free(p);
    free(text);
    free(sizes);
    free(born);
    free(freed);
    free(by_seq);
    trace_free(&tr);
    return 0;
}
