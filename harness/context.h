/*
 * context.h — the run context a workload receives (struct asb_ctx), private
 * to the worker: context.c implements the asb_* calls of workload.h on it,
 * worker.c fills it from the command line and reports what it collected.
 */
#ifndef ASB_CONTEXT_H
#define ASB_CONTEXT_H

#include <pthread.h>
#include <stdio.h>

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

    uint64_t timer_start_ns;
    uint64_t timed_ns;
    bool timer_used;
    _Atomic uint64_t ops, allocs, bytes;

    pthread_mutex_t lock; /* guards message and extras */
    char message[512];
    FILE *out;
};

/* Exit the worker with ASB_USAGE after printing the message. */
void asb_usage_exit(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Index of a parameter in the workload's table, or -1. */
int asb_param_index(const asb_workload *w, const char *name);
/* Result line PREFIX.key=value on ctx->out (thread-safe). */
void asb_emit_line(asb_ctx *ctx, const char *prefix, const char *key, double value);

#endif
