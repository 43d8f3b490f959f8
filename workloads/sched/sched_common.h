/*
 * sched_common.h — helpers shared by the scheduler workloads: start the
 * chosen scheduler around a root task with the measured region bracketing
 * it, spawn-or-die, spin for a known time, and latency percentiles.
 */
#ifndef ASB_SCHED_COMMON_H
#define ASB_SCHED_COMMON_H

#include "../workload.h"

/* Run root(arg) under the context's scheduler with nprocs processors, timing
 * the root task from its first instruction to its return (not the
 * scheduler's start and stop).  Returns ASB_OK or ASB_ERROR (the scheduler
 * could not start). */
int sw_run(asb_ctx *ctx, int nprocs, asb_task_fn root, void *arg);

/* spawn(), aborting the worker with a message when the scheduler cannot
 * create the task: a workload cannot go on with a task missing. */
void sw_spawn(const asb_sched *s, asb_task_fn fn, void *arg);

/* Busy-wait for ns nanoseconds without yielding. */
void sw_spin_ns(uint64_t ns);

/* A task that never calls into the scheduler: spin until *stop is set,
 * counting iterations into *spins.  Only a preemptive scheduler can take its
 * processor away. */
typedef struct sw_hog {
    const _Atomic bool *stop;
    _Atomic uint64_t spins;
    asb_wg *wg; /* done when the hog stops */
    const asb_sched *s;
} sw_hog;
void sw_hog_task(void *hog);

/* Sort the samples and report PREFIX_p50_ns, PREFIX_p99_ns, PREFIX_max_ns. */
void sw_report_latency(asb_ctx *ctx, const char *prefix, uint64_t *samples, size_t n);

/* Sum 0 + 1 + … + (n-1). */
static inline uint64_t sw_triangle(uint64_t n) { return n * (n - 1) / 2; }

#endif
