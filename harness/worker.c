/*
 * worker.c — main() of the worker executables (asbench-worker-BACKEND).
 *
 * The harness runs every measured run in a fresh worker process.  Each worker
 * binary is linked against one allocator backend ahead of libc, so that
 * allocator serves every malloc in the process; a backend given by path
 * (--alloc name=/path/lib.so) runs in the glibc worker under LD_PRELOAD.
 *
 * The worker parses the run's parameters, runs one workload once, and writes
 * its results as `key=value` lines to the result descriptor (--result-fd, or
 * stdout).  Its exit status is the run's status (ASB_OK, ASB_VERIFY_FAILED …);
 * a crash is seen by the harness as a signal.  Wall/user/sys time, peak RSS,
 * page faults and context switches come from the harness's wait4(), and the
 * RSS timeline from the harness sampling /proc — the worker does not measure
 * itself beyond the timed region (wall and CPU time, and the --counters it
 * is asked for), the counts the workload reports and the live bytes it
 * publishes in the page the harness shares (--live-fd).
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "alloc/latency.h"
#include "backend.h"
#include "context.h"

/* Linked into the -latency twin of each worker only (harness/meson.build):
 * NULL in the plain ones, which refuse --latency. */
#pragma weak asb_latency_configure
#pragma weak asb_latency_arm
#pragma weak asb_latency_report

static void emit_native(void *ctx, const char *key, double v) { asb_emit_line(ctx, "native", key, v); }
static void emit_sched(void *ctx, const char *key, double v) { asb_emit_line(ctx, "sched", key, v); }

/* Messages go on one line of the result stream. */
static void put_message(FILE *out, const char *msg) {
    fputs("message=", out);
    for (const char *p = msg; *p; p++) fputc(*p == '\n' ? ' ' : *p, out);
    fputc('\n', out);
}

/* Names of capabilities a scheduler lacks, for the `unsupported` message. */
static void missing_caps(unsigned missing, char *buf, size_t len) {
    static const char *names[] = {"spawn/join", "channels", "blocking", "preemption",
                                  "injection", "many-tasks", "net"};
    buf[0] = 0;
    for (unsigned i = 0; i < sizeof names / sizeof *names; i++)
        if (missing & (1u << i)) {
            if (buf[0]) strncat(buf, ", ", len - strlen(buf) - 1);
            strncat(buf, names[i], len - strlen(buf) - 1);
        }
}

static const char *backend_version(void) {
    const char *v = asb_backend_linked.version ? asb_backend_linked.version() : NULL;
    return v && *v ? v : NULL;
}

/* Build-time versions of each backend, from asb_backends.h. */
static const char *build_version(const char *name) {
#define ASB_BACKEND(n, found, pkg, ver) \
    if (strcmp(#n, name) == 0) return ver;
#include "asb_backends.h"
#undef ASB_BACKEND
    return "";
}

/* The workloads of these kinds measure every thread they start
 * (workload.h), so thread_cpu_ns covers all their threads; a scheduler
 * workload's threads are the scheduler's, which it cannot measure. */
static bool threads_measured(const asb_workload *w) {
    return strcmp(w->kind, "alloc") == 0 || strcmp(w->kind, "trace") == 0;
}

int main(int argc, char **argv) {
    asb_ctx ctx = {.threads = 1, .seed = 42, .out = stdout};
    pthread_mutex_init(&ctx.lock, NULL);
    asb_counters_mode counters = ASB_COUNTERS_OFF;
    long latency_period = 0; /* --latency N: sample one call in N; 0 = off */
    const char *workload_name = NULL, *sched_name = NULL, *preloaded = NULL;
    const char *overrides[MAX_PARAMS];
    int noverrides = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--version") == 0) {
            const char *v = backend_version();
            printf("%s %s\n", asb_backend_linked.name, v ? v : build_version(asb_backend_linked.name));
            return 0;
        }
        if (strcmp(a, "--malloc-library") == 0) { /* what `app:` workloads preload for this backend */
            Dl_info info;
            void *m = dlsym(RTLD_DEFAULT, "malloc");
            if (!m || !dladdr(m, &info) || !info.dli_fname) return 1;
            char exe[PATH_MAX];
            ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
            exe[n > 0 ? n : 0] = 0;
            printf("malloc_library=%s\n", strcmp(info.dli_fname, argv[0]) ? info.dli_fname : exe);
            return 0;
        }
        if (!next) asb_usage_exit("option %s needs a value", a);
        i++;
        if (strcmp(a, "--workload") == 0) workload_name = next;
        else if (strcmp(a, "--param") == 0) {
            if (noverrides == MAX_PARAMS) asb_usage_exit("too many --param");
            overrides[noverrides++] = next;
        } else if (strcmp(a, "--threads") == 0) {
            char *end;
            long t = strtol(next, &end, 10);
            if (*end || t < 1 || t > 4096) asb_usage_exit("--threads %s: need an integer in 1..4096", next);
            ctx.threads = (int)t;
        } else if (strcmp(a, "--seed") == 0) ctx.seed = strtoull(next, NULL, 0);
        else if (strcmp(a, "--preset") == 0) {
            if (strcmp(next, "quick") && strcmp(next, "standard"))
                asb_usage_exit("--preset %s: valid presets are quick, standard", next);
            ctx.quick = strcmp(next, "quick") == 0;
        } else if (strcmp(a, "--sched") == 0) sched_name = next;
        else if (strcmp(a, "--sched-options") == 0) ctx.sched_options = next;
        else if (strcmp(a, "--preloaded") == 0) preloaded = next;
        else if (strcmp(a, "--counters") == 0) {
            if (!asb_counters_mode_parse(next, &counters))
                asb_usage_exit("--counters %s: valid values are perf, cachegrind", next);
        } else if (strcmp(a, "--latency") == 0) {
            char *end;
            latency_period = strtol(next, &end, 10);
            if (*end || latency_period < 0 || latency_period > ASB_LATENCY_MAX_PERIOD)
                asb_usage_exit("--latency %s: need a sampling period in 0..%d (one call in N; 0 = off)", next,
                               ASB_LATENCY_MAX_PERIOD);
        } else if (strcmp(a, "--live-fd") == 0) {
            asb_live_attach(&ctx, atoi(next));
        } else if (strcmp(a, "--result-fd") == 0) {
            int fd = atoi(next);
            if (!(ctx.out = fdopen(fd, "w"))) asb_usage_exit("--result-fd %s: %s", next, strerror(errno));
        } else asb_usage_exit("unknown option %s", a);
    }
    if (!workload_name) asb_usage_exit("--workload is required");
    ctx.workload = asb_workload_find(workload_name);
    if (!ctx.workload) asb_usage_exit("unknown workload '%s'", workload_name);
    const asb_workload *w = ctx.workload;

    for (int i = 0; w->params && w->params[i].name; i++) {
        if (i == MAX_PARAMS) asb_usage_exit("workload %s has too many parameters", w->name);
        ctx.values[i] = ctx.quick && w->params[i].quick ? w->params[i].quick : w->params[i].def;
    }
    for (int i = 0; i < noverrides; i++) {
        char key[128];
        const char *eq = strchr(overrides[i], '=');
        if (!eq || eq == overrides[i] || (size_t)(eq - overrides[i]) >= sizeof key)
            asb_usage_exit("--param %s: expected key=value", overrides[i]);
        memcpy(key, overrides[i], (size_t)(eq - overrides[i]));
        key[eq - overrides[i]] = 0;
        int idx = asb_param_index(w, key);
        if (idx < 0) asb_usage_exit("workload %s has no parameter '%s'", w->name, key);
        ctx.values[idx] = eq + 1;
        ctx.given[idx] = true;
    }

    if (latency_period && !threads_measured(w))
        asb_usage_exit("--latency: workload %s is a %s workload; latency sampling covers the allocator and trace "
                       "workloads", w->name, w->kind);
    if (latency_period && !asb_latency_configure)
        asb_usage_exit("--latency: this worker has no sampling wrapper; its twin %s-latency has", argv[0]);
    if (latency_period) {
        asb_latency_configure((uint32_t)latency_period);
        ctx.on_timed_region = asb_latency_arm;
    }
    if (strcmp(w->kind, "sched") == 0) {
        if (!sched_name) asb_usage_exit("workload %s needs --sched", w->name);
        ctx.sched = asb_sched_find(sched_name);
        if (!ctx.sched) asb_usage_exit("unknown scheduler '%s'", sched_name);
    }

    fprintf(ctx.out, "backend=%s\n", preloaded ? preloaded : asb_backend_linked.name);
    char leaves_out[256] = "";
    if (!preloaded) { /* a preloaded library is not the one allocators/NAME.c describes */
        const char *v = backend_version();
        fprintf(ctx.out, "backend_version=%s\n", v ? v : build_version(asb_backend_linked.name));
        for (const asb_known_deviation *d = asb_backend_linked.known_deviations; d && d->reason; d++)
            if (d->stress_leaves_out && !asb_list_has(leaves_out, d->stress_leaves_out))
                snprintf(leaves_out + strlen(leaves_out), sizeof leaves_out - strlen(leaves_out), "%s%s",
                         leaves_out[0] ? "," : "", d->stress_leaves_out);
        ctx.leaves_out = leaves_out;
        if (leaves_out[0]) fprintf(ctx.out, "known_deviations_leave_out=%s\n", leaves_out);
    }

    int status;
    unsigned missing = ctx.sched ? w->needs & ~ctx.sched->caps : 0;
    if (missing) {
        char caps[128];
        missing_caps(missing, caps, sizeof caps);
        status = asb_fail(&ctx, ASB_UNSUPPORTED, "scheduler %s lacks %s needed by %s",
                          ctx.sched->name, caps, w->name);
    } else {
        /* The main thread's clock by id: the timer may stop on another thread. */
        if (pthread_getcpuclockid(pthread_self(), &ctx.main_cpu_clock) != 0)
            ctx.main_cpu_clock = CLOCK_THREAD_CPUTIME_ID;
        asb_worker_counters_open(&ctx.counters, counters);
        asb_whole_run_begin(&ctx);
        status = w->run(&ctx);
        asb_whole_run_end(&ctx);
        asb_worker_counters_close(&ctx.counters);
    }

    uint64_t ops = atomic_load(&ctx.ops);
    fprintf(ctx.out, "status=%s\n", asb_status_name(status));
    if (ctx.message[0]) put_message(ctx.out, ctx.message);
    fprintf(ctx.out, "elapsed_ns=%llu\nops=%llu\nallocs=%llu\nbytes=%llu\n",
            (unsigned long long)ctx.timed_ns, (unsigned long long)ops,
            (unsigned long long)atomic_load(&ctx.allocs), (unsigned long long)atomic_load(&ctx.bytes));
    fprintf(ctx.out, "cpu_ns=%llu\n", (unsigned long long)ctx.cpu_ns);
    if (!missing && threads_measured(w))
        fprintf(ctx.out, "thread_cpu_ns=%llu\n",
                (unsigned long long)(ctx.main_cpu_ns + atomic_load(&ctx.thread_cpu_ns)));
    if (!missing) asb_worker_counters_emit(&ctx.counters, ctx.out);
    fprintf(ctx.out, "final_rss_kb=%ld\n", asb_rss_kb(0));
    /* Whether the process ran without transparent huge pages (THP=never). */
    int thp_disabled = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
    if (thp_disabled >= 0) fprintf(ctx.out, "memory.thp_disabled=%d\n", thp_disabled);
    if (status == ASB_OK) {
        if (!preloaded && asb_backend_linked.native_stats) {
            fflush(ctx.out);
            asb_backend_linked.native_stats(emit_native, &ctx);
        }
        if (ctx.sched && ctx.sched->stats) ctx.sched->stats(emit_sched, &ctx);
        if (latency_period) asb_latency_report(&ctx, ctx.out);
    }
    fflush(ctx.out);
    if (status != ASB_OK && ctx.message[0]) fprintf(stderr, "%s: %s\n", w->name, ctx.message);
    return status;
}
