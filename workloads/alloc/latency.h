/*
 * latency.h — per-call latency sampling of malloc and free (--latency),
 * linked into the -latency twin of each C worker only (latency.c;
 * harness/meson.build).
 *
 * The twins are linked with -Wl,--wrap for malloc, calloc, posix_memalign
 * and free, so every such call in the worker's own code (the workloads,
 * alloc_util, trace replay) goes through latency.c first; the allocator's
 * own internal calls and libc's do not.  A call not timed costs one
 * decrement and a branch more, armed or not.  Armed (inside the timed region of a run given --latency N),
 * one call in N on average, per thread and per operation, is timed with
 * CLOCK_MONOTONIC around the real call and recorded into the thread's
 * asb_hist (common/hist.h); the histograms are merged after the run.
 */
#ifndef ASB_LATENCY_H
#define ASB_LATENCY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../workload.h"

/* Largest sampling period accepted (one call in N), and the period of
 * `asbench run --latency` (a string: it is a parameter value), chosen so
 * that sampling costs churn at most ~3% (docs/harness.md). */
#define ASB_LATENCY_MAX_PERIOD 1000000
#define ASB_LATENCY_DEFAULT_PERIOD "256"

/* Sets the sampling period (≥ 1) for the run; sampling is armed and
 * disarmed by asb_latency_arm. */
void asb_latency_configure(uint32_t period);
/* Arms (true) or disarms (false) the sampling: the timed region's hook. */
void asb_latency_arm(bool on);
/* After the run: the extra figures (latency_sampled, latency_period,
 * malloc_/free_ samples, p50, p99, p999, max in ns, latency_clock_ns) through
 * asb_report, and one line per operation with its histogram's non-empty
 * buckets, `latency_buckets.OP=INDEX:COUNT,…`, on out. */
void asb_latency_report(asb_ctx *ctx, FILE *out);

#endif
