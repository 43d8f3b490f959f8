/*
 * context.h — the run context a workload receives (struct asb_ctx), private
 * to the worker: context.c implements the asb_* calls of workload.h on it,
 * worker.c fills it from the command line and reports what it collected.
 */
#ifndef ASB_CONTEXT_H
#define ASB_CONTEXT_H

#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "worker_counters.h"
#include "workload.h"

enum { MAX_PARAMS = 64 };

struct asb_ctx {
    const asb_workload *workload;
    const char *values[MAX_PARAMS]; /* value per entry of workload->params */
    int threads;
    uint64_t seed;
    bool quick;
    const asb_sched *sched;
    const char *sched_options;
    bool given[MAX_PARAMS];         /* the value came from --param, not the preset */
    const char *leaves_out;         /* what the backend's known deviations leave out of stress tests */

    /* The timed region: wall, process CPU and main-thread CPU time, summed
     * over asb_timer_start/stop pairs, or over the whole of run() when the
     * workload never starts the timer (the worker's provisional region). */
    uint64_t timer_start_ns, timed_ns;
    uint64_t cpu_start_ns, cpu_ns;           /* CLOCK_PROCESS_CPUTIME_ID */
    uint64_t main_cpu_start_ns, main_cpu_ns; /* the worker's main thread */
    clockid_t main_cpu_clock;
    bool whole_run_open;
    _Atomic uint64_t thread_cpu_ns;          /* asb_thread_cpu_done's sum */
    asb_worker_counters counters;            /* --counters */
    struct asb_live_page *live;              /* --live-fd: the live bytes the harness samples, or NULL */
    void (*on_timed_region)(bool open);      /* --latency: arms the sampling in the timed region; or NULL */
    _Atomic uint64_t ops, allocs, bytes;

    pthread_mutex_t lock; /* guards message and extras */
    char message[512];
    FILE *out;
};

/* Exit the worker with ASB_USAGE after printing the message. */
void asb_usage_exit(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Index of a parameter in the workload's table, or -1. */
int asb_param_index(const asb_workload *w, const char *name);
/* The provisional timed region around run(), called by the worker on its
 * main thread (which also sets up ctx->main_cpu_clock and ctx->counters
 * first): the first asb_timer_start discards it; otherwise it is closed
 * after run() and is the run's timed region. */
void asb_whole_run_begin(asb_ctx *ctx);
void asb_whole_run_end(asb_ctx *ctx);
/* worker_live.c: maps the harness's live-bytes page (live_page.h) from fd
 * (--live-fd); exits with ASB_USAGE if fd is not one. */
void asb_live_attach(asb_ctx *ctx, int fd);
/* Result line PREFIX.key=value on ctx->out (thread-safe). */
void asb_emit_line(asb_ctx *ctx, const char *prefix, const char *key, double value);

#endif
