/*
 * trace_cmd.c — `asbench trace dump FILE` (one text line per op, in sequence
 * order) and `asbench trace stats FILE` (ops by type, size histogram, peak
 * live bytes, cross-thread frees).  A file that is not a valid trace exits
 * with status 2 and the byte offset of the fault (docs/trace-format.md).
 */
#include <stdlib.h>
#include <string.h>

#include "asbench.h"
#include "trace/trace_format.h"

static const char trace_usage[] =
    "usage: asbench trace dump FILE    print every op as text, in sequence order\n"
    "       asbench trace stats FILE   ops by type, size histogram, peak live bytes, cross-thread frees\n"
    "  FILE may be gzip-compressed.\n";

static void load_or_exit(const char *path, trace *tr) {
    char err[600];
    if (trace_load(path, 0, tr, err, sizeof err)) asb_die_usage("%s", err);
}

static void print_header(const trace *tr) {
    printf("# asbench trace version %u: %u threads, %llu ops; not recorded: %llu early ops, %llu frees of unseen blocks, %llu failed allocations\n",
           tr->header.version, tr->header.threads, (unsigned long long)tr->header.ops,
           (unsigned long long)tr->header.early_ops, (unsigned long long)tr->header.unseen_frees,
           (unsigned long long)tr->header.failed_allocs);
}

static void dump_op(const trace_op *op, uint32_t thread) {
    printf("%llu t%u %s", (unsigned long long)op->seq, thread, trace_op_name(op->type));
    switch (op->type) {
    case TRACE_MALLOC: printf(" %llu", (unsigned long long)op->size); break;
    case TRACE_CALLOC:
        printf(" %u %llu", op->nmemb, (unsigned long long)(op->nmemb ? op->size / op->nmemb : 0));
        break;
    case TRACE_FREE: printf(" #%llu", (unsigned long long)op->block); break;
    case TRACE_REALLOC:
        if (op->block == TRACE_NO_BLOCK) printf(" NULL %llu", (unsigned long long)op->size);
        else printf(" #%llu %llu", (unsigned long long)op->block, (unsigned long long)op->size);
        break;
    default: printf(" %llu %llu", 1ull << op->align_log2, (unsigned long long)op->size);
    }
    fputs(op->cross_thread ? " cross-thread\n" : "\n", stdout);
}

static int dump(const char *path) {
    trace tr;
    load_or_exit(path, &tr);
    print_header(&tr);
    /* Merge the threads' streams by sequence number (each is in order). */
    uint64_t *pos = asb_xmalloc((tr.header.threads ? tr.header.threads : 1) * sizeof *pos);
    for (uint64_t seq = 0; seq < tr.header.ops; seq++)
        for (uint32_t t = 0; t < tr.header.threads; t++)
            if (pos[t] < tr.threads[t].nops && tr.threads[t].ops[pos[t]].seq == seq) {
                dump_op(&tr.threads[t].ops[pos[t]++], t);
                break;
            }
    free(pos);
    trace_free(&tr);
    return 0;
}

static int stats(const char *path) {
    trace tr;
    load_or_exit(path, &tr);
    const trace_stats *s = &tr.stats;
    printf("file: %s\nversion: %u\nthreads: %u\nops: %llu\n", path, tr.header.version, tr.header.threads,
           (unsigned long long)tr.header.ops);
    for (unsigned type = 1; type < TRACE_NTYPES; type++)
        printf("  %s: %llu\n", trace_op_name(type), (unsigned long long)s->by_type[type]);
    printf("allocations: %llu\nallocated bytes: %llu\ncross-thread frees: %llu\n", (unsigned long long)s->allocs,
           (unsigned long long)s->alloc_bytes, (unsigned long long)s->cross_thread_frees);
    printf("peak live bytes: %llu\npeak live blocks: %llu\npeak after op: %llu\n",
           (unsigned long long)s->peak_live_bytes, (unsigned long long)s->peak_live_blocks,
           (unsigned long long)s->peak_seq);
    printf("live at end: %llu bytes in %llu blocks\n", (unsigned long long)s->final_live_bytes,
           (unsigned long long)s->final_live_blocks);
    printf("early ops (not recorded): %llu\nfrees of unseen blocks: %llu\nfailed allocations: %llu\n",
           (unsigned long long)tr.header.early_ops, (unsigned long long)tr.header.unseen_frees,
           (unsigned long long)tr.header.failed_allocs);
    for (uint32_t t = 0; t < tr.header.threads; t++)
        printf("thread %u ops: %llu\n", t, (unsigned long long)tr.threads[t].nops);
    puts("size histogram (bytes requested by allocating ops):");
    for (unsigned b = 0; b < TRACE_SIZE_BUCKETS; b++) {
        if (!s->size_hist[b]) continue;
        char range[48];
        if (b == 0) snprintf(range, sizeof range, "0");
        else if (b == 1) snprintf(range, sizeof range, "1");
        else snprintf(range, sizeof range, "%llu-%llu", 1ull << (b - 1), (1ull << b) - 1);
        printf("  %-24s %llu\n", range, (unsigned long long)s->size_hist[b]);
    }
    trace_free(&tr);
    return 0;
}

int asb_cmd_trace(int argc, char **argv) {
    if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
        fputs(trace_usage, stdout);
        return 0;
    }
    if (argc != 2 || (strcmp(argv[0], "dump") && strcmp(argv[0], "stats"))) {
        fputs(trace_usage, stderr);
        return ASB_EXIT_USAGE;
    }
    return !strcmp(argv[0], "dump") ? dump(argv[1]) : stats(argv[1]);
}
