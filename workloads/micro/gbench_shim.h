/*
 * gbench_shim.h — a C interface to Google Benchmark, so that micro-benchmarks
 * written in C (micro.c) run under Google Benchmark's own runner: its
 * iteration-count estimation, repetitions and statistics, and its reporters
 * (--benchmark_format=json, --benchmark_out=FILE, --benchmark_repetitions=N,
 * --benchmark_filter=REGEX … all pass through asb_gbench_main).
 *
 * A benchmark is a C function that loops while asb_gbench_keep_running()
 * returns true, doing one operation per iteration:
 *
 *     static void bench(asb_gbench_state *st, int64_t size) {
 *         while (asb_gbench_keep_running(st)) free(malloc(size));
 *     }
 *     asb_gbench_register("malloc_free/16", bench, 16);
 */
#ifndef ASB_GBENCH_SHIM_H
#define ASB_GBENCH_SHIM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct asb_gbench_state asb_gbench_state; /* a benchmark::State */
typedef void (*asb_gbench_fn)(asb_gbench_state *st, int64_t arg);

/* Register fn under `name` (copied), called with `arg`. */
void asb_gbench_register(const char *name, asb_gbench_fn fn, int64_t arg);

/* True while Google Benchmark wants another iteration. */
bool asb_gbench_keep_running(asb_gbench_state *st);
/* Stop / restart the clock around untimed setup inside the loop (costly:
 * use for work much longer than a microsecond). */
void asb_gbench_pause(asb_gbench_state *st);
void asb_gbench_resume(asb_gbench_state *st);
/* A user counter in the report; per_iteration divides it by the iterations
 * (e.g. allocations made → allocations per iteration). */
void asb_gbench_counter(asb_gbench_state *st, const char *name, double value, bool per_iteration);
/* Mark the run failed with a message (it is reported with error_occurred). */
void asb_gbench_fail(asb_gbench_state *st, const char *message);
/* Keep the compiler from eliding the allocation that produced p (a
 * malloc/free pair whose block is unused may be removed at -O2).  An empty
 * asm that takes p costs nothing at run time. */
static inline void asb_gbench_use(void *p) { __asm__ __volatile__("" : : "r"(p) : "memory"); }
/* A key/value line in the report's "context" (e.g. the allocator). */
void asb_gbench_context(const char *key, const char *value);

/* Google Benchmark's main: parse its flags from argv, complain about unknown
 * ones (returns 2), run the registered benchmarks; returns 0 or 1 if a
 * benchmark reported an error. */
int asb_gbench_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
