/*
 * test_counters.c — the counts of a cell's timed region, TAP output.
 *
 *   test-counters parse FIXTURE_DIR: callgrind's output reader on committed
 *     files (two parts, one without totals; no cache simulation; a file cut
 *     short; a malformed cost; not callgrind's; missing).
 *   test-counters worker WORKER [sanitized]: the glibc worker reports cpu_ns and
 *     thread_cpu_ns; `--counters perf` gives the four counts or, on a machine
 *     without a PMU (this VM), counters.unavailable with the reason;
 *     `--counters cachegrind` outside valgrind says so; under the valgrind
 *     command of asb_counters_valgrind_argv, two runs of one small cell
 *     count the same instructions, and simulated misses within 1% (skipped
 *     without valgrind, and for a sanitized worker, which valgrind cannot run).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "counters.h"

static int failures, count;

static void check(const char *what, bool ok) {
    count++;
    printf("%s %d - %s\n", ok ? "ok" : "not ok", count, what);
    failures += !ok;
}

/* 0, or -1 with the error copied into err. */
static int read_fixture(const char *dir, const char *name, asb_callgrind_counts *c, char *err, size_t len) {
    char path[4096], *msg = NULL;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = asb_counters_parse_callgrind(path, c, &msg);
    snprintf(err, len, "%s", msg ? msg : "");
    free(msg);
    return rc;
}

/* The file fails to read and the error contains `want`. */
static void check_rejected(const char *dir, const char *name, const char *want) {
    asb_callgrind_counts c;
    char err[512] = "";
    int rc = read_fixture(dir, name, &c, err, sizeof err);
    printf("# %s: %s\n", name, err);
    char what[256];
    snprintf(what, sizeof what, "%s is rejected naming '%s'", name, want);
    check(what, rc == -1 && strstr(err, want) && strstr(err, name));
}

static void parse_tests(const char *dir) {
    asb_callgrind_counts c;
    char err[512] = "";
    int rc = read_fixture(dir, "callgrind-two-parts.out", &c, err, sizeof err);
    check("two parts are read", rc == 0);
    /* Part 1's totals (999 40+30 8+6) plus part 2's summary, which has no
     * totals and leaves out its zero DLmr/DLmw (70 3+2 0). */
    check("Ir is the sum of the parts' totals", rc == 0 && c.ir == 1069);
    check("D1 misses are D1mr + D1mw", rc == 0 && c.d1_misses == 75);
    check("LL misses are DLmr + DLmw", rc == 0 && c.ll_misses == 14);
    check_rejected(dir, "callgrind-no-cache-sim.out", "lack D1mr (run callgrind with --cache-sim=yes)");
    check_rejected(dir, "callgrind-truncated.out", "no 'totals:' or 'summary:' line");
    check_rejected(dir, "callgrind-bad-cost.out", "line 4: malformed cost '4x0'");
    check_rejected(dir, "not-callgrind.out", "not a callgrind output file");
    check_rejected(dir, "missing.out", "No such file or directory");
}

/* Run argv with a result pipe; the outcome is the caller's to free. */
static void launch(asb_argv *argv, asb_outcome *o) {
    asb_launch l = {.argv = argv, .result_pipe = true, .quiet = true, .timeout_s = 600};
    asb_client_run(&l, o);
}

static void worker_args(asb_argv *a, const char *worker, const char *threads, const char *counters) {
    asb_argv_push(a, worker);
    const char *args[] = {"--workload", "churn", "--preset", "quick", "--param", "iters=20000",
                          "--threads", threads, "--result-fd", "3"};
    for (size_t i = 0; i < sizeof args / sizeof *args; i++) asb_argv_push(a, args[i]);
    if (counters) {
        asb_argv_push(a, "--counters");
        asb_argv_push(a, counters);
    }
}

static void cpu_time_test(const char *worker) {
    asb_argv a = {0};
    asb_outcome o;
    worker_args(&a, worker, "2", NULL);
    launch(&a, &o);
    double cpu = asb_outcome_number(&o, "cpu_ns"), thread_cpu = asb_outcome_number(&o, "thread_cpu_ns");
    printf("# churn threads=2: cpu_ns=%.0f thread_cpu_ns=%.0f elapsed_ns=%s\n", cpu, thread_cpu,
           asb_outcome_value(&o, "elapsed_ns"));
    check("the worker reports cpu_ns", strcmp(o.status, "ok") == 0 && cpu > 0);
    /* glibc has no background threads: the workload's threads are all of the
     * process's CPU time, give or take the clocks' reading. */
    check("thread_cpu_ns is the bulk of cpu_ns", thread_cpu > cpu / 2 && thread_cpu < cpu * 1.05 + 1e6);
    asb_outcome_free(&o);
    asb_argv_free(&a);
}

static void perf_test(const char *worker) {
    asb_argv a = {0};
    asb_outcome o;
    worker_args(&a, worker, "1", "perf");
    launch(&a, &o);
    const char *why = asb_outcome_value(&o, "counters.unavailable");
    double instructions = asb_outcome_number(&o, "counters.instructions");
    check("--counters perf runs", strcmp(o.status, "ok") == 0);
    if (why) {
        printf("# no PMU here: counters.unavailable=%s\n", why);
        check("without counts, the reason names perf_event_open and its error",
              strncmp(why, "perf_event_open(instructions): ", 31) == 0 && strlen(why) > 40 && isnan(instructions));
    } else {
        printf("# PMU: instructions=%.0f\n", instructions);
        check("with a PMU, the four counts are there",
              instructions > 20000 && asb_outcome_number(&o, "counters.cycles") > 0 &&
                  !isnan(asb_outcome_number(&o, "counters.cache_misses")) &&
                  !isnan(asb_outcome_number(&o, "counters.dtlb_misses")));
    }
    asb_outcome_free(&o);
    asb_argv_free(&a);

    worker_args(&a, worker, "1", "cachegrind");
    launch(&a, &o);
    why = asb_outcome_value(&o, "counters.unavailable");
    check("--counters cachegrind outside valgrind says it is not under valgrind",
          strcmp(o.status, "ok") == 0 && why && strstr(why, "not running under valgrind"));
    asb_outcome_free(&o);
    asb_argv_free(&a);
}

/* One cell under callgrind; false (with the reason printed) if it failed. */
static bool callgrind_run(const char *worker, const char *threads, asb_callgrind_counts *c, double *ops) {
    char out_path[] = "/tmp/asbench-test-callgrind-XXXXXX";
    int fd = mkstemp(out_path);
    if (fd < 0) return false;
    close(fd);
    asb_argv a = {0};
    asb_outcome o;
    asb_counters_valgrind_argv(&a, out_path);
    worker_args(&a, worker, threads, "cachegrind");
    launch(&a, &o);
    char *err = NULL;
    bool ok = strcmp(o.status, "ok") == 0 && !asb_outcome_value(&o, "counters.unavailable") &&
              asb_counters_parse_callgrind(out_path, c, &err) == 0;
    *ops = asb_outcome_number(&o, "ops");
    if (!ok) printf("# callgrind run: status %s %s %s\n", o.status, o.message ? o.message : "", err ? err : "");
    else printf("# threads=%s: Ir=%llu D1 misses=%llu LL misses=%llu ops=%.0f (%.1f s)\n", threads,
                (unsigned long long)c->ir, (unsigned long long)c->d1_misses, (unsigned long long)c->ll_misses,
                *ops, o.wall_s);
    free(err);
    asb_outcome_free(&o);
    asb_argv_free(&a);
    unlink(out_path);
    return ok;
}

static bool close_enough(uint64_t a, uint64_t b) {
    return fabs((double)a - (double)b) <= 0.01 * fmax((double)a, (double)b);
}

static bool have_valgrind(void) {
    asb_argv a = {0};
    asb_outcome o;
    asb_argv_push(&a, "valgrind");
    asb_argv_push(&a, "--version");
    asb_launch l = {.argv = &a, .quiet = true, .stdout_to_stderr = true, .timeout_s = 60};
    asb_client_run(&l, &o);
    bool ok = strcmp(o.status, "ok") == 0;
    asb_outcome_free(&o);
    asb_argv_free(&a);
    return ok;
}

static void callgrind_test(const char *worker, bool sanitized) {
    if (sanitized) {
        printf("ok %d - callgrind counts # SKIP valgrind cannot run a sanitizer-instrumented worker\n", ++count);
        return;
    }
    if (!have_valgrind()) {
        printf("ok %d - callgrind counts # SKIP valgrind is not installed (tools/bootstrap installs it)\n", ++count);
        return;
    }
    asb_callgrind_counts first, second;
    double ops1, ops2;
    bool ok1 = callgrind_run(worker, "1", &first, &ops1), ok2 = ok1 && callgrind_run(worker, "1", &second, &ops2);
    check("two runs of one cell under callgrind succeed", ok1 && ok2);
    if (!(ok1 && ok2)) return;
    check("they count the same instructions", first.ir == second.ir);
    /* The simulated caches see the main thread's and the workload thread's
     * accesses in the order the OS ran valgrind's threads around the thread's
     * start and join: a few hundred misses in 60 000 can move (docs/harness.md). */
    check("and the same simulated D1 and LL misses, within 1%",
          close_enough(first.d1_misses, second.d1_misses) && close_enough(first.ll_misses, second.ll_misses));
    /* The timed region alone: a free+malloc step of churn is some tens to
     * hundreds of instructions, while the process's start-up and exit, not
     * counted, would add hundreds of thousands. */
    double per_op = (double)first.ir / ops1;
    printf("# instructions_per_op=%.1f\n", per_op);
    check("the counts are the timed region's (10 < Ir/op < 2000)", per_op > 10 && per_op < 2000);
}

int main(int argc, char **argv) {
    bool sanitized = argc == 4 && strcmp(argv[3], "sanitized") == 0;
    if ((argc != 3 && !sanitized) || (strcmp(argv[1], "parse") && strcmp(argv[1], "worker"))) {
        fprintf(stderr, "usage: test-counters parse FIXTURE_DIR | worker WORKER [sanitized]\n");
        return 2;
    }
    if (strcmp(argv[1], "parse") == 0) parse_tests(argv[2]);
    else {
        cpu_time_test(argv[2]);
        perf_test(argv[2]);
        callgrind_test(argv[2], sanitized);
    }
    printf("1..%d\n", count);
    return failures != 0;
}
