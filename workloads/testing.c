/*
 * testing.c — workloads of kind "test" for the harness's own tests
 * (tests/harness): they misbehave on purpose so that the tests can check
 * that a crash, a hang or a failed verification becomes the row's status
 * and the matrix goes on.  Kind "test" keeps them out of `asbench list`,
 * `workload=all` and the presets; they run only when named.
 */
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

/* Dies of the signal named by `signal` (SEGV, ABRT, BUS, FPE or KILL). */
static int crash_run(asb_ctx *ctx) {
    const char *name = asb_param_s(ctx, "signal");
    static const struct { const char *name; int sig; } signals[] = {
        {"SEGV", SIGSEGV}, {"ABRT", SIGABRT}, {"BUS", SIGBUS}, {"FPE", SIGFPE}, {"KILL", SIGKILL}};
    for (size_t i = 0; i < sizeof signals / sizeof *signals; i++)
        if (!strcmp(signals[i].name, name)) {
            signal(signals[i].sig, SIG_DFL);
            raise(signals[i].sig);
        }
    return asb_fail(ctx, ASB_USAGE, "crash: unknown signal '%s' (SEGV, ABRT, BUS, FPE, KILL)", name);
}

/* Never returns, nor does the child it starts (as an application's script
 * would): the harness's timeout has to kill both. */
static int hang_run(asb_ctx *ctx) {
    (void)ctx;
    if (fork() == 0)
        for (;;) pause();
    for (;;) pause();
    return ASB_ERROR; /* not reached */
}

/* Reports a corrupted object, as a workload whose check failed would. */
static int corrupt_run(asb_ctx *ctx) {
    asb_count(ctx, 1, 1, 16);
    return asb_verify_fail(ctx, "corrupt: block 7 of thread 0: cookie 0x%x, expected 0x%x", 0xdead, 0xbeef);
}

/* Leaves a child behind that keeps the worker's pipes open for `seconds`
 * after the worker itself finished ok: the harness must not wait for it. */
static int orphan_run(asb_ctx *ctx) {
    int64_t seconds = asb_param_i(ctx, "seconds");
    pid_t pid = fork();
    if (pid < 0) return asb_fail(ctx, ASB_ERROR, "orphan: fork failed");
    if (pid == 0) {
        sleep((unsigned)seconds);
        _exit(0);
    }
    asb_count(ctx, 1, 0, 0);
    return ASB_OK;
}

/* Sleeps `ms` milliseconds and counts one op per millisecond: a run of a
 * known length, for the tests that interrupt and resume a matrix. */
static int sleep_run(asb_ctx *ctx) {
    int64_t ms = asb_param_i(ctx, "ms");
    if (ms < 0) return asb_fail(ctx, ASB_USAGE, "sleep: need ms >= 0");
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0) continue;
    asb_count(ctx, (uint64_t)(ms ? ms : 1), 0, 0);
    return ASB_OK;
}

static const asb_param_def crash_params[] = {{"signal", "SEGV", NULL, "signal to die of"}, {0}};
static const asb_param_def no_params[] = {{0}};
static const asb_param_def orphan_params[] = {{"seconds", "8", NULL, "how long the child outlives the worker"}, {0}};
static const asb_param_def sleep_params[] = {{"ms", "50", "20", "milliseconds to sleep"}, {0}};

#define TEST_WORKLOAD(var, wname, what, param_table, run_fn, work)                                        \
    static const asb_workload var = {.name = wname, .kind = "test", .stresses = what, .params = param_table, \
                                     .run = run_fn, .work_param = work}
TEST_WORKLOAD(crash, "crash", "harness test: dies of a signal", crash_params, crash_run, NULL);
TEST_WORKLOAD(hang, "hang", "harness test: never finishes", no_params, hang_run, NULL);
TEST_WORKLOAD(corrupt, "corrupt", "harness test: fails its verification", no_params, corrupt_run, NULL);
TEST_WORKLOAD(orphan, "orphan", "harness test: a child outlives the worker, holding its pipes", orphan_params,
              orphan_run, NULL);
/* Its timed region is ms milliseconds: the known cost calibration is tested on. */
TEST_WORKLOAD(sleeper, "sleep", "harness test: sleeps a fixed time", sleep_params, sleep_run, "ms");
ASB_REGISTER_WORKLOAD(crash)
ASB_REGISTER_WORKLOAD(hang)
ASB_REGISTER_WORKLOAD(corrupt)
ASB_REGISTER_WORKLOAD(orphan)
ASB_REGISTER_WORKLOAD(sleeper)
