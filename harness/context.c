/*
 * context.c — the run context: the asb_* calls of workload.h (parameters,
 * timed region — wall, CPU and --counters —, counts, extra figures, failure
 * messages) on struct asb_ctx.
 * Linked into every worker, and into asbench for the workload registry.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"

void asb_usage_exit(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("asbench-worker: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(ASB_USAGE);
}

const char *asb_status_name(int status) {
    switch (status) {
    case ASB_OK: return "ok";
    case ASB_VERIFY_FAILED: return "verify-failed";
    case ASB_UNSUPPORTED: return "unsupported";
    case ASB_USAGE: return "usage";
    default: return "error";
    }
}

int asb_param_index(const asb_workload *w, const char *name) {
    for (int i = 0; w->params && w->params[i].name; i++)
        if (strcmp(w->params[i].name, name) == 0) return i;
    return -1;
}

static const char *param_value(asb_ctx *ctx, const char *name) {
    int i = asb_param_index(ctx->workload, name);
    if (i < 0) asb_usage_exit("workload %s has no parameter '%s'", ctx->workload->name, name);
    return ctx->values[i];
}

int64_t asb_param_i(asb_ctx *ctx, const char *name) {
    const char *v = param_value(ctx, name);
    char *end;
    errno = 0;
    double d = strtod(v, &end); /* accepts 1e6 as well as 1000000 */
    if (errno || end == v || *end || d != (double)(int64_t)d)
        asb_usage_exit("parameter %s=%s of workload %s is not an integer", name, v, ctx->workload->name);
    return (int64_t)d;
}

double asb_param_f(asb_ctx *ctx, const char *name) {
    const char *v = param_value(ctx, name);
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end)
        asb_usage_exit("parameter %s=%s of workload %s is not a number", name, v, ctx->workload->name);
    return d;
}

const char *asb_param_s(asb_ctx *ctx, const char *name) { return param_value(ctx, name); }

bool asb_param_given(asb_ctx *ctx, const char *name) {
    int i = asb_param_index(ctx->workload, name);
    return i >= 0 && ctx->given[i];
}

const char *asb_known_deviations_leave_out(asb_ctx *ctx) { return ctx->leaves_out ? ctx->leaves_out : ""; }
int asb_threads(asb_ctx *ctx) { return ctx->threads; }
uint64_t asb_seed(asb_ctx *ctx) { return ctx->seed; }
bool asb_quick(asb_ctx *ctx) { return ctx->quick; }
const asb_sched *asb_ctx_sched(asb_ctx *ctx) { return ctx->sched; }
const char *asb_ctx_sched_options(asb_ctx *ctx) { return ctx->sched_options; }

static uint64_t clock_ns(clockid_t clock) {
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Counters are switched on last at the start and off first at the end, so
 * that they count as little of the clock reading as possible. */
static void region_open(asb_ctx *ctx) {
    ctx->main_cpu_start_ns = clock_ns(ctx->main_cpu_clock);
    ctx->cpu_start_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    ctx->timer_start_ns = asb_now_ns();
    asb_worker_counters_resume(&ctx->counters);
    if (ctx->on_timed_region) ctx->on_timed_region(true);
}

static void region_close(asb_ctx *ctx, bool keep) {
    if (ctx->on_timed_region) ctx->on_timed_region(false);
    asb_worker_counters_pause(&ctx->counters, keep);
    uint64_t wall = asb_now_ns(), cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID), main_cpu = clock_ns(ctx->main_cpu_clock);
    if (!keep) return;
    ctx->timed_ns += wall - ctx->timer_start_ns;
    ctx->cpu_ns += cpu - ctx->cpu_start_ns;
    ctx->main_cpu_ns += main_cpu - ctx->main_cpu_start_ns;
}

void asb_whole_run_begin(asb_ctx *ctx) {
    ctx->whole_run_open = true;
    region_open(ctx);
}

void asb_whole_run_end(asb_ctx *ctx) {
    if (ctx->whole_run_open) region_close(ctx, true);
    ctx->whole_run_open = false;
}

void asb_timer_start(asb_ctx *ctx) {
    if (ctx->whole_run_open) region_close(ctx, false);
    ctx->whole_run_open = false;
    region_open(ctx);
}

void asb_timer_stop(asb_ctx *ctx) { region_close(ctx, true); }

/* A thread's CPU clock starts with the thread: one reading at its end, and
 * nothing added before the workload's code runs. */
void asb_thread_cpu_done(asb_ctx *ctx) {
    atomic_fetch_add_explicit(&ctx->thread_cpu_ns, clock_ns(CLOCK_THREAD_CPUTIME_ID), memory_order_relaxed);
}

void asb_count(asb_ctx *ctx, uint64_t ops, uint64_t allocs, uint64_t bytes) {
    atomic_fetch_add_explicit(&ctx->ops, ops, memory_order_relaxed);
    atomic_fetch_add_explicit(&ctx->allocs, allocs, memory_order_relaxed);
    atomic_fetch_add_explicit(&ctx->bytes, bytes, memory_order_relaxed);
}

/* Result lines for figures: PREFIX.key=value, where the prefix says who gave
 * the figure: the workload (extra), the allocator (native), the scheduler. */
void asb_emit_line(asb_ctx *ctx, const char *prefix, const char *key, double value) {
    pthread_mutex_lock(&ctx->lock);
    fprintf(ctx->out, "%s.%s=%.17g\n", prefix, key, value);
    pthread_mutex_unlock(&ctx->lock);
}

void asb_report(asb_ctx *ctx, const char *key, double value) { asb_emit_line(ctx, "extra", key, value); }

static void set_message(asb_ctx *ctx, const char *fmt, va_list ap) {
    pthread_mutex_lock(&ctx->lock);
    if (!ctx->message[0]) vsnprintf(ctx->message, sizeof ctx->message, fmt, ap);
    pthread_mutex_unlock(&ctx->lock);
}

int asb_verify_fail(asb_ctx *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_message(ctx, fmt, ap);
    va_end(ap);
    return ASB_VERIFY_FAILED;
}

int asb_fail(asb_ctx *ctx, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_message(ctx, fmt, ap);
    va_end(ap);
    return status;
}

