/*
 * worker_counters.h — counts the worker takes of its own timed region
 * (`--counters perf|cachegrind`): hardware counters through
 * perf_event_open, or callgrind's instrumentation switched on only while the
 * timed region runs when asbench starts the worker under valgrind
 * (harness/counters.c builds that command and reads callgrind's output).
 * context.c calls resume/pause at asb_timer_start/stop.
 */
#ifndef ASB_WORKER_COUNTERS_H
#define ASB_WORKER_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum asb_counters_mode {
    ASB_COUNTERS_OFF,
    ASB_COUNTERS_PERF,       /* perf_event_open: instructions, cycles, cache and dTLB read misses */
    ASB_COUNTERS_CACHEGRIND, /* callgrind client requests around the timed region */
} asb_counters_mode;

enum { ASB_PERF_EVENTS = 4 };

typedef struct asb_worker_counters {
    asb_counters_mode mode;
    int fd[ASB_PERF_EVENTS];       /* perf: one counter per event, -1 when not open */
    uint64_t at_resume[ASB_PERF_EVENTS][3]; /* value, time enabled, time running at resume */
    uint64_t total[ASB_PERF_EVENTS][3];     /* summed over the timed regions */
    char unavailable[256];         /* why there are no counts; "" when there are */
} asb_worker_counters;

/* "perf" or "cachegrind" (the --counters values); false for anything else. */
bool asb_counters_mode_parse(const char *name, asb_counters_mode *mode);
/* Prepare the counters, disabled.  perf: opens them for this thread and the
 * threads it starts later (inherit), so call it before the workload runs;
 * on failure `unavailable` says why.  cachegrind: `unavailable` is set when
 * the worker is not running under valgrind. */
void asb_worker_counters_open(asb_worker_counters *c, asb_counters_mode mode);
/* The timed region begins: count from now. */
void asb_worker_counters_resume(asb_worker_counters *c);
/* The timed region ends: stop counting, and keep what was counted since
 * resume (keep) or discard it (the worker's provisional whole-run region
 * when the workload starts its own timer). */
void asb_worker_counters_pause(asb_worker_counters *c, bool keep);
/* Result lines: counters.instructions=, counters.cycles=,
 * counters.cache_misses=, counters.dtlb_misses= (perf), or
 * counters.unavailable=REASON.  Nothing for cachegrind under valgrind: the
 * counts are in callgrind's output file. */
void asb_worker_counters_emit(const asb_worker_counters *c, FILE *out);
void asb_worker_counters_close(asb_worker_counters *c);

#endif
