/*
 * counters.h — deterministic counts of a cell's timed region (`--counters
 * cachegrind`): the valgrind command that runs a worker under callgrind with
 * its cache simulator, and the reader of callgrind's output file.
 *
 * The worker, given `--counters cachegrind`, switches callgrind's
 * instrumentation on only inside its timed region (harness/worker_counters.c),
 * so the file's totals are the timed region's: instructions (Ir) and
 * simulated D1 and last-level misses, the same run after run for one binary
 * and input at threads=1.
 */
#ifndef ASB_COUNTERS_H
#define ASB_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"

/* Push the valgrind command onto argv (normally empty), writing callgrind's
 * output to out_path; the caller then pushes the worker's path and
 * arguments, including `--counters cachegrind`. */
void asb_counters_valgrind_argv(asb_argv *argv, const char *out_path);

typedef struct asb_callgrind_counts {
    uint64_t ir;        /* instructions executed (Ir) */
    uint64_t d1_misses; /* simulated L1 data misses, reads + writes (D1mr + D1mw) */
    uint64_t ll_misses; /* simulated last-level data misses, reads + writes (DLmr + DLmw) */
} asb_callgrind_counts;

/* Read callgrind's output file: the sum of its `totals:` lines (one per
 * part; `summary:` where a part has none) against its `events:` header.
 * Returns 0, or -1 with *err (allocated; the caller frees it) naming the
 * file and what is missing or malformed. */
int asb_counters_parse_callgrind(const char *path, asb_callgrind_counts *counts, char **err);

#endif
