/*
 * derive_profile.c — asbench-derive-profile TRACE [NAME]: writes an
 * `empirical` profile (workloads/alloc/profile.h) derived from an
 * allocation trace (docs/trace-format.md) to stdout.
 *
 * Walking the trace's ops in their recorded order (all threads merged by
 * sequence number), it counts
 *   - sizes: the 32 most frequent request sizes exactly, the others in
 *     power-of-two ranges [2^k, 2^(k+1)-1] (uniform within);
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

    uint64_t allocs = 0, exact_life[EXACT_LIFETIMES + 1] = {0}, life_bucket[BUCKETS] = {0};
    for (uint64_t seq = 0; seq < nops; seq++) {
        const trace_op *op = by_seq[seq];
        if (!op) continue;
        if (op->block != TRACE_NO_BLOCK && op->block < nops && !freed[op->block]) {
            uint64_t life = allocs - born[op->block];
            if (life < 1) life = 1;
            if (life <= EXACT_LIFETIMES) exact_life[life]++;
            else life_bucket[log2_floor(life)]++;
            freed[op->block] = true;
        }
        if (!trace_op_allocates(op)) continue;
        born[seq] = allocs++;
        uint64_t size = op->size ? op->size : 1;
        if (size > EMP_MAX_SIZE) size = EMP_MAX_SIZE;
        size_t k = 0; /* few distinct sizes: a linear search is enough */
        while (k < nsizes && sizes[k].size != size) k++;
        if (k == nsizes) {
            if (nsizes == cap && !(sizes = realloc(sizes, (cap = cap ? 2 * cap : 1024) * sizeof *sizes)))
                die("out of memory");
            sizes[nsizes++] = (size_count){size, 0};
        }
        sizes[k].count++;
    }
    uint64_t never_freed = 0;
    for (uint64_t seq = 0; seq < nops; seq++)
        never_freed += by_seq[seq] && trace_op_allocates(by_seq[seq]) && !freed[seq];
    if (allocs == 0) die("the trace allocates nothing");

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fprintf(f, "# %s.profile — derived from the trace %s by\n#   asbench-derive-profile %s %s\n", name, argv[1],
            argv[1], name);
    fprintf(f, "# (%llu allocations, %llu never freed, peak live %llu bytes in the trace; sizes: the %d most\n"
               "# frequent exactly, the rest in power-of-two ranges; lifetimes in allocations, exact to %d, then\n"
               "# power-of-two ranges; a block never freed lives one trace length, %llu allocations).\n"
               "# A trace has no clock: unthrottled, one phase.\n",
            (unsigned long long)allocs, (unsigned long long)never_freed,
            (unsigned long long)tr.stats.peak_live_bytes, EXACT_SIZES, EXACT_LIFETIMES, (unsigned long long)allocs);
    fprintf(f, "threads %u\nrate 0\n", tr.header.threads < EMP_MAX_THREADS ? tr.header.threads : EMP_MAX_THREADS);
    qsort(sizes, nsizes, sizeof *sizes, by_count_desc);
    size_t exact = nsizes < EXACT_SIZES ? nsizes : EXACT_SIZES;
    uint64_t size_bucket[BUCKETS] = {0};
    for (size_t i = exact; i < nsizes; i++) size_bucket[log2_floor(sizes[i].size)] += sizes[i].count;
    qsort(sizes, exact, sizeof *sizes, by_size);
    for (size_t i = 0; i < exact; i++)
        fprintf(f, "size %llu %llu\n", (unsigned long long)sizes[i].size, (unsigned long long)sizes[i].count);
    for (int b = 0; b < BUCKETS; b++)
        if (size_bucket[b]) {
            uint64_t hi = (2ull << b) - 1;
            fprintf(f, "size %llu-%llu %llu\n", 1ull << b, (unsigned long long)(hi < EMP_MAX_SIZE ? hi : EMP_MAX_SIZE),
                    (unsigned long long)size_bucket[b]);
        }
    for (int l = 1; l <= EXACT_LIFETIMES; l++)
        if (exact_life[l]) fprintf(f, "lifetime %d %llu\n", l, (unsigned long long)exact_life[l]);
    for (int b = 0; b < BUCKETS; b++)
        if (life_bucket[b]) { /* above the exact ones, and no longer than the trace */
            uint64_t lo = 1ull << b, hi = (2ull << b) - 1;
            fprintf(f, "lifetime %llu-%llu %llu\n", (unsigned long long)(lo > EXACT_LIFETIMES ? lo : EXACT_LIFETIMES + 1),
                    (unsigned long long)(hi < allocs ? hi : allocs), (unsigned long long)life_bucket[b]);
        }
    if (never_freed) fprintf(f, "lifetime %llu %llu\n", (unsigned long long)allocs, (unsigned long long)never_freed);
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
