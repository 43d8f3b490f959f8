/*
 * workload.h — the one interface every workload implements (allocator,
 * scheduler and trace-replay workloads alike) and the run context the worker
 * hands it.
 *
 * A workload is a descriptor registered with ASB_REGISTER_WORKLOAD().  The
 * worker process (harness/worker.c) parses parameters, then calls run(ctx).
 * The workload:
 *   - reads its parameters with asb_param_i/f/s (defaults come from its
 *     param table: `def` for the standard preset, `quick` for CI);
 *   - brackets its measured region with asb_timer_start/stop (otherwise the
 *     whole of run() is timed);
 *   - counts exactly what it did with asb_count (thread-safe);
 *   - verifies its own work, and on a violation returns
 *     asb_verify_fail(ctx, "…") naming the object and what was wrong.
 * ns/op = timed ns / ops, allocs/op = allocs / ops, bytes/op = bytes / ops,
 * the same formula for fixed-count and fixed-time workloads.
 */
#ifndef ASB_WORKLOAD_H
#define ASB_WORKLOAD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../schedulers/sched.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes returned by run(); they are also the worker's exit codes. */
enum {
    ASB_OK = 0,
    ASB_ERROR = 1,         /* could not run (bad parameter, out of memory …) */
    ASB_USAGE = 2,         /* bad command line: unknown name, malformed value */
    ASB_VERIFY_FAILED = 3, /* the workload found its results corrupted */
    ASB_UNSUPPORTED = 4,   /* the scheduler lacks a capability the workload needs */
};
/* The status name of a worker exit code (ok, error, usage, verify-failed,
 * unsupported): the one mapping the worker and every harness command use. */
const char *asb_status_name(int status);

typedef struct asb_param_def {
    const char *name;
    const char *def;   /* standard value (from shared/reference/workloads.md) */
    const char *quick; /* value of the quick preset; NULL = same as def */
    const char *help;
} asb_param_def;

typedef struct asb_ctx asb_ctx; /* opaque; see harness/worker.c */

typedef struct asb_workload {
    const char *name;     /* "larson", "skynet", … */
    const char *kind;     /* "alloc", "sched" or "trace" */
    const char *stresses; /* one line: what it stresses */
    const asb_param_def *params; /* terminated by {NULL} */
    unsigned needs;       /* sched workloads: ASB_CAP_* it needs */
    int (*run)(asb_ctx *ctx);
    /* The parameter whose value the work (and the timed region) grows in
     * proportion to, which `asbench run --min-time` scales; NULL where no
     * parameter does (a tree's size is a power, a trace is what it is). */
    const char *work_param;
} asb_workload;

/* Parameters (aborts the run with ASB_USAGE on a malformed or unknown name). */
int64_t asb_param_i(asb_ctx *ctx, const char *name);
double asb_param_f(asb_ctx *ctx, const char *name);
const char *asb_param_s(asb_ctx *ctx, const char *name);
/* Whether the parameter was given (--param), rather than the preset's value. */
bool asb_param_given(asb_ctx *ctx, const char *name);
/* Whether name is an item of the comma-separated list. */
bool asb_list_has(const char *list, const char *name);
/* What the linked backend's declared known deviations (allocators/NAME.c)
 * leave out of stress tests: "posix_memalign,aligned_alloc,fork", or "". */
const char *asb_known_deviations_leave_out(asb_ctx *ctx);

int asb_threads(asb_ctx *ctx);   /* --threads (≥ 1) */
uint64_t asb_seed(asb_ctx *ctx); /* --seed, default 42 */
bool asb_quick(asb_ctx *ctx);    /* quick preset selected */
/* Scheduler chosen with --sched (sched workloads); never NULL for them. */
const asb_sched *asb_ctx_sched(asb_ctx *ctx);
const char *asb_ctx_sched_options(asb_ctx *ctx);

void asb_timer_start(asb_ctx *ctx);
void asb_timer_stop(asb_ctx *ctx);
uint64_t asb_now_ns(void); /* CLOCK_MONOTONIC */

/* CPU time of the workload's own threads, reported as thread_cpu_ns beside
 * the process's cpu_ns: unlike the process's, it leaves out the allocator's
 * and runtime's background threads.  A thread the workload starts calls
 * asb_thread_cpu_done(ctx) last, which adds the thread's CPU time since it
 * started (CLOCK_THREAD_CPUTIME_ID; awl_run_threads does it for every thread
 * it runs); the worker adds its main thread's CPU over the timed region.
 * Allocator and trace workloads must measure every thread they start, as
 * the sum is only reported for them.  Thread-safe. */
void asb_thread_cpu_done(asb_ctx *ctx);
/* Resident set size of process pid (0: this process) in KiB, from
 * /proc/PID/statm; -1 when it cannot be read (the process is gone). */
long asb_rss_kb(int pid);

/* Live bytes over time, for the fragmentation curve RSS ÷ live that the
 * harness samples beside RSS (harness/live_page.h).  A workload that knows
 * the bytes its blocks hold calls asb_live_track once, then asb_live_add
 * with +size at each allocation and -size at each free.  `thread` is the
 * calling thread's index, which no other thread running at the same time
 * may use (its own cache line, a plain store: cheap on the allocation
 * path); a thread freeing another's block counts it on its own index.  A
 * no-op when the harness does not sample (no --live-fd). */
void asb_live_track(asb_ctx *ctx);
void asb_live_add(asb_ctx *ctx, int thread, int64_t delta);

/* Thread-safe counters. */
void asb_count(asb_ctx *ctx, uint64_t ops, uint64_t allocs, uint64_t bytes);

/* Extra figures for the CSV's `extra` column (e.g. "ideal_peak_bytes",
 * "p99_ns").  Keys are [a-z0-9_]+. */
void asb_report(asb_ctx *ctx, const char *key, double value);

/* Record the failure message (first one wins) and return ASB_VERIFY_FAILED. */
int asb_verify_fail(asb_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Record an error message and return ASB_ERROR (or ASB_UNSUPPORTED). */
int asb_fail(asb_ctx *ctx, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Deterministic per-thread random numbers (xoshiro256**). */
typedef struct asb_rng { uint64_t s[4]; } asb_rng;
void asb_rng_seed(asb_rng *r, uint64_t seed);
uint64_t asb_rng_next(asb_rng *r);
/* Uniform in [0, n). */
static inline uint64_t asb_rng_below(asb_rng *r, uint64_t n) {
    return (uint64_t)(((unsigned __int128)asb_rng_next(r) * n) >> 64);
}

/* Registry (workloads/registry.c). */
void asb_workload_register(const asb_workload *w);
const asb_workload *asb_workload_find(const char *name);
const asb_workload *asb_workload_at(int i); /* NULL past the end */

#define ASB_REGISTER_WORKLOAD(desc)                                               \
    __attribute__((constructor)) static void asb_register_workload_##desc(void) { \
        asb_workload_register(&desc);                                             \
    }

#ifdef __cplusplus
}
#endif
#endif
