/*
 * run.c — `asbench run`: run a matrix (matrix.c) of cells, each repetition
 * in a fresh worker process (measure.c, through the worker client), and
 * append one CSV row per run to DIR/results.csv as soon as it finishes.
 *
 * Phases, over the cells of this shard:
 *   1. warm-up and calibration, one comparison group (workload, parameters,
 *      threads: every backend and scheduler of it) at a time: an unrecorded
 *      run of each cell; with --min-time S, the group's work parameter (the
 *      workload's work_param) is scaled from the fastest cell's timed region
 *      so that every repetition lasts at least S, rounded up to round steps
 *      (1, 1.5, 2, 3, 4, 5, 7 × 10^k) so that two runs of one build usually
 *      pick the same work (--calibration-from DIR makes it certain), and recorded in
 *      params and DIR/calibration.txt; with --counters cachegrind, one more
 *      run of each cell under valgrind gives its deterministic counts;
 *   2. the repetitions, interleaved across cells (rep 1 of every cell, then
 *      rep 2 …) so that drift on a noisy machine hits every design alike;
 *   3. with --target-ci P, rounds of one more interleaved repetition of each
 *      cell whose 95% interval of the median, or of its ratio to the
 *      baseline of its group, is wider than ±P, until --max-reps or
 *      --budget; DIR/convergence.csv lists every cell's final widths.
 *
 * Isolation and durability: a crash, timeout or failed verification is the
 * row's status and the matrix goes on; each row is one write() to a file
 * opened O_APPEND; `--resume DIR` runs exactly the missing (cell,
 * repetition) pairs with the calibrated work (rundir.c).  Exit status: 0, or
 * 3 when a run was not ok (other than unsupported) unless --allow-failures;
 * 2 for bad input; 130 when interrupted.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc/latency.h"
#include "latency_files.h"
#include "measure.h"
#include "stats.h"

/* Exit status when a run ended other than ok or unsupported. */
enum { EXIT_RUN_FAILED = 3 };

/* Atomic: read by the thread that runs a server app (workloads/app/server.c) too;
 * a lock-free atomic store is async-signal-safe. */
static atomic_int interrupted;
static void on_interrupt(int sig) { interrupted = sig; }

static const char *usage_text =
    "usage: asbench run [options]\n"
    "  --matrix NAME|FILE  run a matrix: quick (CI), default, full, or a matrix file\n"
    "                      (format: docs/harness.md); cannot be mixed with the cell options below\n"
    "  --resume DIR        finish an interrupted run in DIR (its matrix.txt), skipping done runs\n"
    "  --shard I/N         run only slice I of N of the cells (join the folders with asbench merge)\n"
    "cells (without --matrix):\n"
    "  --alloc LIST        backends, comma-separated, or all (default); name=/path/lib.so for a\n"
    "                      library the build did not find (run under LD_PRELOAD); name=backend[VAR=V;…]\n"
    "                      for a backend run with settings, e.g. gsfree=gostyle[GOSTYLEDEBUG=freegc=1]\n"
    "  --workload LIST     workloads (default churn), or all; see asbench list\n"
    "  --sched LIST        schedulers for scheduler workloads (default all; go = the Go runtime);\n"
    "                      name=sched[VAR=V;…] for a scheduler run with settings (GMPDEBUG=…)\n"
    "  --threads LIST      thread counts, e.g. 1,2 (default 1)\n"
    "  --param KEY=VALUE   set a workload parameter; VALUE may be a comma list (repeatable)\n"
    "  --latency           time a sample of the malloc and free calls of allocator and trace\n"
    "                      workloads (= --param latency=" ASB_LATENCY_DEFAULT_PERIOD ": one call in " ASB_LATENCY_DEFAULT_PERIOD "; latency=0,"
    ASB_LATENCY_DEFAULT_PERIOD " runs both)\n"
    "settings:\n"
    "  --preset NAME       quick or standard (default standard): parameter values and reps\n"
    "  --reps N            repetitions per cell (default 5; quick 3); the minimum with --target-ci\n"
    "  --min-time S        calibrate each comparison group's work so a repetition's timed region\n"
    "                      lasts at least S seconds (0 = off, the default outside the default matrix)\n"
    "  --target-ci P       add repetitions to cells whose 95%% CI of the median or of the ratio to\n"
    "                      the baseline is wider than +-P (e.g. 2%%), up to --max-reps and --budget\n"
    "  --calibration-from DIR  take the calibrated work of DIR (an earlier run) instead of calibrating,\n"
    "                      so that compare sees equal work in both\n"
    "  --max-reps N        repetitions at most with --target-ci (default 30)\n"
    "  --budget S          seconds the whole run may take with --target-ci (default: no limit)\n"
    "  --counters KIND     cachegrind: one more run of each cell under valgrind for deterministic\n"
    "                      instruction and cache-miss counts; perf: hardware counters (NA without a PMU)\n"
    "  --allow-failures    exit 0 even when runs ended error/crashed/timeout/verify-failed\n"
    "  --no-warmup         skip the unrecorded warm-up run of each cell\n"
    "  --timeout S         seconds before a run is killed (default 600)\n"
    "  --sample-ms N       RSS timeline sampling interval (default 10)\n"
    "  --nice N            run every worker at nice value N (-20..19; below 0 needs root): with\n"
    "                      -20 a neighbour at nice 0 gets ~1%% of a CPU the worker wants\n"
    "  --pin CPULIST       pin every worker to these CPUs (sched_setaffinity), e.g. 0 or 0-1\n"
    "  --futex-counts      count futex calls with strace -f (perturbs the run; NA without strace)\n"
    "  -o DIR              results folder (default results/run-YYYYmmdd-HHMMSS); must not hold results\n"
    "  --baseline NAME     backend the charts are relative to (default glibc)\n"
    "  --no-plot           do not draw charts at the end\n"
    "  --dry-run           print the cells of this shard and the number of runs, run nothing\n";

/* Appends "KEY=VALUE " to a line being built from the options. */
static void add_word(char **line, const char *key, const char *value) {
    if (strpbrk(value, " \t\n#"))
        asb_die_usage("%s %s: values may not contain blanks or '#'", key, value);
    char *next = asb_xasprintf("%s %s=%s", *line, key, value);
    free(*line);
    *line = next;
}

/* Builds the matrix from the options; returns the resume folder or NULL. */
static const char *parse_options(int argc, char **argv, asb_matrix *m, const char **dir, bool *plot,
                                 bool *dry_run, bool *allow_failures, const char **calibration_from) {
    const char *matrix = NULL, *resume = NULL;
    char *set = asb_xstrdup("set"), *run = asb_xstrdup("run");
    bool cell_option = false, workload_given = false;
    *plot = true;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            exit(0);
        }
        if (!strcmp(a, "--no-warmup")) { add_word(&set, "warmup", "no"); continue; }
        if (!strcmp(a, "--futex-counts")) { add_word(&set, "futex-counts", "yes"); continue; }
        if (!strcmp(a, "--no-plot")) { *plot = false; continue; }
        if (!strcmp(a, "--dry-run")) { *dry_run = true; continue; }
        if (!strcmp(a, "--allow-failures")) { *allow_failures = true; continue; }
        if (!strcmp(a, "--latency")) { /* = --param latency=N (matrix.c) */
            add_word(&run, "latency", ASB_LATENCY_DEFAULT_PERIOD);
            cell_option = true;
            continue;
        }
        if (i + 1 >= argc) asb_die_usage("option %s needs a value (see asbench run --help)", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--matrix")) matrix = v;
        else if (!strcmp(a, "--resume")) resume = v;
        else if (!strcmp(a, "--calibration-from")) *calibration_from = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) *dir = v;
        else if (!strcmp(a, "--alloc")) { add_word(&run, "alloc", v); cell_option = true; }
        else if (!strcmp(a, "--workload")) { add_word(&run, "workload", v); cell_option = workload_given = true; }
        else if (!strcmp(a, "--sched")) { add_word(&run, "sched", v); cell_option = true; }
        else if (!strcmp(a, "--threads")) { add_word(&run, "threads", v); cell_option = true; }
        else if (!strcmp(a, "--param")) {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v) asb_die_usage("--param %s: expected key=value", v);
            char *key = strndup(v, (size_t)(eq - v));
            add_word(&run, key, eq + 1);
            free(key);
            cell_option = true;
        } else if (!strcmp(a, "--preset")) add_word(&set, "preset", v);
        else if (!strcmp(a, "--reps")) add_word(&set, "reps", v);
        else if (!strcmp(a, "--timeout")) add_word(&set, "timeout", v);
        else if (!strcmp(a, "--sample-ms")) add_word(&set, "sample-ms", v);
        else if (!strcmp(a, "--pin")) add_word(&set, "pin", v);
        else if (!strcmp(a, "--nice")) add_word(&set, "nice", v);
        else if (!strcmp(a, "--baseline")) add_word(&set, "baseline", v);
        else if (!strcmp(a, "--shard")) add_word(&set, "shard", v);
        else if (!strcmp(a, "--min-time")) add_word(&set, "min-time", v);
        else if (!strcmp(a, "--target-ci")) add_word(&set, "target-ci", v);
        else if (!strcmp(a, "--max-reps")) add_word(&set, "max-reps", v);
        else if (!strcmp(a, "--budget")) add_word(&set, "budget", v);
        else if (!strcmp(a, "--counters")) add_word(&set, "counters", v);
        else asb_die_usage("run: unknown option %s (see asbench run --help)", a);
    }
    asb_matrix_init(m);
    char *err = NULL;
    if (resume) {
        if (argc != 2 + !*plot + *allow_failures)
            asb_die_usage("--resume DIR takes no other option than --no-plot and --allow-failures "
                          "(the settings are in DIR/matrix.txt)");
        char *path = asb_xasprintf("%s/matrix.txt", resume);
        char *text = asb_read_file(path, NULL);
        if (!text) asb_die_usage("--resume %s: cannot read %s: %s", resume, path, strerror(errno));
        if (asb_matrix_parse(m, path, text, &err)) asb_die_usage("%s", err);
        free(text);
        free(path);
        *dir = resume;
    } else {
        if (matrix && cell_option)
            asb_die_usage("--matrix cannot be combined with --alloc/--workload/--sched/--threads/--param/--latency "
                          "(write a matrix file instead)");
        /* The settings go first so that preset= applies to the run lines. */
        if (strcmp(set, "set") && asb_matrix_parse(m, "command line", set, &err)) asb_die_usage("%s", err);
        if (matrix) {
            char *path = asb_matrix_path(matrix);
            char *text = asb_read_file(path, NULL);
            if (!text) asb_die_usage("--matrix %s: cannot read %s: %s", matrix, path, strerror(errno));
            if (asb_matrix_parse(m, path, text, &err)) asb_die_usage("%s", err);
            /* The command line's settings win over the file's. */
            if (strcmp(set, "set") && asb_matrix_parse(m, "command line", set, &err)) asb_die_usage("%s", err);
            free(text);
            free(path);
        } else {
            if (!workload_given) add_word(&run, "workload", "churn");
            if (asb_matrix_parse(m, "command line", run, &err)) asb_die_usage("%s", err);
        }
    }
    if (m->ncells == 0) asb_die_usage("the matrix has no cells");
    if (m->reps == 0) m->reps = m->quick ? 3 : 5;
    if (m->max_reps == 0) m->max_reps = m->reps > 30 ? m->reps : 30;
    if (m->target_ci > 0 && m->max_reps < m->reps)
        asb_die_usage("--max-reps %d is below --reps %d", m->max_reps, m->reps);
    free(set);
    free(run);
    return resume;
}

/* Parses "0-3,6" into a CPU set; false if it names no usable CPU. */
static bool parse_cpulist(const char *list, cpu_set_t *set) {
    CPU_ZERO(set);
    asb_strlist parts = {0};
    asb_strlist_split(&parts, list, ',');
    bool ok = parts.n > 0;
    for (int i = 0; i < parts.n && ok; i++) {
        int lo, hi, used = 0;
        const char *item = parts.items[i];
        if (sscanf(item, "%d-%d%n", &lo, &hi, &used) != 2 || item[used]) { /* not a range: one CPU */
            used = 0;
            if (sscanf(item, "%d%n", &lo, &used) != 1 || item[used]) {
                ok = false;
                break;
            }
            hi = lo;
        }
        if (lo < 0 || hi < lo || hi >= CPU_SETSIZE) ok = false;
        for (int c = lo; ok && c <= hi; c++) CPU_SET(c, set);
    }
    asb_strlist_free(&parts);
    return ok;
}

static char *default_dir(void) {
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    return asb_xasprintf("results/run-%s", stamp);
}

/* File-name-safe identity of a cell: names plus a hash of its parameters. */
static char *cell_slug(const asb_cell *c) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = c->params; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    return asb_xasprintf("%s-%s%s%s-t%d-%08x", c->workload->name, c->alloc.name, c->sched ? "-" : "",
                         c->sched ? c->sched : "", c->threads, h);
}

/* The state of one `asbench run`. */
typedef struct runner {
    asb_matrix *m;
    run_env env;
    const char *dir;
    int fd;          /* results.csv */
    int max_reps;    /* repetitions a cell may reach */
    bool *done;      /* done[i * (max_reps + 1) + rep] */
    int *group;      /* comparison group index of each cell */
    int ngroups;
    run_result *counts; /* per cell: the cachegrind run's counts (NULL without --counters cachegrind) */
    int count, total, failures;
    double start;
} runner;

static bool *done_of(runner *r, int cell) { return &r->done[cell * (r->max_reps + 1)]; }

static int reps_done(runner *r, int cell) {
    int n = 0;
    for (int rep = 1; rep <= r->max_reps; rep++) n += done_of(r, cell)[rep];
    return n;
}

static void progress(runner *r, const asb_cell *c, const char *what) {
    double elapsed = asb_now_s() - r->start;
    fprintf(stderr, "[%d/%d] %s %s%s%s t=%d %s %s (ETA %.0f s)\n", r->count + 1, r->total, c->workload->name,
            c->alloc.name, c->sched ? " " : "", c->sched ? c->sched : "", c->threads, c->params, what,
            r->count && r->count < r->total ? elapsed / r->count * (r->total - r->count) : 0.0);
}

/* Stops the command for a parameter value the workload rejects: the user's error. */
static void die_on_usage(const run_result *res, const char *csv_note) {
    if (!strcmp(res->o.status, "usage"))
        asb_die_usage("%s (no row written; %s keeps every finished run)",
                      res->o.message ? res->o.message : "the worker rejected its arguments", csv_note);
}

/* One recorded repetition of cell i. */
static void run_repetition(runner *r, int i, int rep) {
    asb_cell *c = &r->m->cells[i];
    char what[32];
    snprintf(what, sizeof what, "rep %d", rep);
    progress(r, c, what);
    char *slug = cell_slug(c);
    char *tl_name = asb_xasprintf("timeline/%s-r%d.csv", slug, rep);
    char *tl = asb_xasprintf("%s/%s", r->dir, tl_name);
    run_result res;
    asb_measure(c, &r->env, tl, &res);
    die_on_usage(&res, "results.csv");
    if (!interrupted) {
        if (r->counts) {
            res.instructions = r->counts[i].instructions;
            res.d1_misses = r->counts[i].d1_misses;
            res.ll_misses = r->counts[i].ll_misses;
            if (!res.counters_note && r->counts[i].counters_note)
                res.counters_note = asb_xstrdup(r->counts[i].counters_note);
        }
        asb_append_row(r->fd, c, rep, &res, tl_name);
        asb_latency_write_buckets(r->dir, tl_name, &res.o);
        done_of(r, i)[rep] = true;
        if (asb_status_is_failure(res.o.status)) r->failures++;
        if (strcmp(res.o.status, "ok") != 0)
            fprintf(stderr, "  -> %s%s%s\n", res.o.status, res.o.message ? ": " : "",
                    res.o.message ? res.o.message : "");
    } else {
        unlink(tl);
    }
    asb_run_result_free(&res);
    free(slug);
    free(tl);
    free(tl_name);
    r->count++;
}

/* The smallest round step (…, 0.7, 1, 1.5, 2, 3, 4, 5, 7, 10, …) at or
 * above x: coarse enough that two runs of one build usually pick the same
 * work, fine enough to overshoot by at most 1.5x. */
static double round_step(double x) {
    static const double steps[] = {1, 1.5, 2, 3, 4, 5, 7, 10};
    double decade = pow(10, floor(log10(x)));
    for (int i = 0;; i++)
        if (steps[i] * decade >= x * (1 - 1e-9)) return steps[i] * decade;
}

static const char *param_value(const asb_cell *c, const char *key, char *buf, size_t len) {
    size_t klen = strlen(key);
    for (const char *p = c->params; p && *p;) {
        const char *sp = strchr(p, ' ');
        size_t n = sp ? (size_t)(sp - p) : strlen(p);
        if (n > klen && !strncmp(p, key, klen) && p[klen] == '=') {
            snprintf(buf, len, "%.*s", (int)(n - klen - 1), p + klen + 1);
            return buf;
        }
        p = sp ? sp + 1 : NULL;
    }
    return NULL;
}

/* The shortest and longest timed regions (seconds) of a group's runs. */
typedef struct span_s {
    double shortest, longest; /* NaN when no run gave one */
} span_s;

/* Warm-up runs of the given cells; returns the span of the ok runs' timed
 * regions. */
static span_s warm_up(runner *r, const int *cells, int n, const char *what) {
    span_s span = {NAN, NAN};
    for (int k = 0; k < n && !interrupted; k++) {
        asb_cell *c = &r->m->cells[cells[k]];
        progress(r, c, what);
        run_result res;
        asb_measure(c, &r->env, NULL, &res);
        die_on_usage(&res, "results.csv");
        double t = asb_run_timed_s(&res);
        if (!isnan(t) && !(t >= span.shortest)) span.shortest = t;
        if (!isnan(t) && !(t <= span.longest)) span.longest = t;
        asb_run_result_free(&res);
        r->count++;
    }
    return span;
}

/* A group's slowest cell may take at most this many times min_time: one
 * design 1000 times slower than another (a thread per task against
 * goroutines) must not turn a quarter of a second into minutes. */
enum { CALIBRATION_SLOWEST_CAP = 4 };

/* Scales the group's work parameter so that its fastest cell's timed region
 * reaches min_time, unless that would take its slowest cell beyond
 * CALIBRATION_SLOWEST_CAP × min_time (at most three rounds: the work may not
 * be linear), and records the group's work, scaled or not, in
 * DIR/calibration.txt. */
static void calibrate(runner *r, const int *cells, int n, span_s span) {
    const asb_cell *first = &r->m->cells[cells[0]];
    const char *param = first->workload->work_param;
    char *group = asb_cell_group_key(first);
    char value[64];
    double target = r->m->min_time_s;
    if (!param_value(first, param, value, sizeof value)) asb_die("internal error: %s has no parameter %s", group, param);
    for (int round = 0; round < 3 && !interrupted && span.shortest < target; round++) {
        double v = strtod(value, NULL);
        if (!(v > 0) || !(span.shortest > 0)) break;
        /* 5% above the target, so that run-to-run noise stays above it. */
        double factor = fmin(target * 1.05 / span.shortest, CALIBRATION_SLOWEST_CAP * target / span.longest);
        double scaled = round_step(v * factor);
        if (factor < target * 1.05 / span.shortest) /* capped: round down, not up */
            while (scaled > v * factor && scaled > v) scaled = round_step(scaled * 0.99 / 1.5);
        if (scaled <= v) break;
        snprintf(value, sizeof value, "%.15g", scaled);
        for (int k = 0; k < n; k++) asb_cell_set_param(&r->m->cells[cells[k]], param, value);
        r->total += n;
        span = warm_up(r, cells, n, "calibration");
    }
    if (!interrupted) asb_rundir_save_calibration(r->dir, group, param, value);
    free(group);
}

/* Phase 1 for one comparison group: warm-up, calibration, counts. */
static void prepare_group(runner *r, int g, bool calibrated) {
    int *cells = asb_xmalloc((size_t)r->m->ncells * sizeof *cells), n = 0;
    for (int i = 0; i < r->m->ncells; i++)
        if (r->group[i] == g && asb_matrix_in_shard(r->m, i) && reps_done(r, i) < r->m->reps) cells[n++] = i;
    if (n > 0) {
        span_s span = r->m->warmup || r->m->min_time_s > 0 ? warm_up(r, cells, n, "warm-up") : (span_s){NAN, NAN};
        if (r->m->min_time_s > 0 && !calibrated && r->m->cells[cells[0]].workload->work_param && !isnan(span.shortest))
            calibrate(r, cells, n, span);
        for (int k = 0; k < n && r->counts && !interrupted; k++) {
            asb_cell *c = &r->m->cells[cells[k]];
            progress(r, c, "counts (valgrind)");
            asb_measure_counts(c, &r->env, &r->counts[cells[k]]);
            r->count++;
        }
    }
    free(cells);
}

/* Groups cells by comparison group (index per cell, in first-seen order). */
static void group_cells(runner *r) {
    char **keys = asb_xmalloc((size_t)r->m->ncells * sizeof *keys);
    r->group = asb_xmalloc((size_t)r->m->ncells * sizeof *r->group);
    r->ngroups = 0;
    for (int i = 0; i < r->m->ncells; i++) {
        char *key = asb_cell_group_key(&r->m->cells[i]);
        int g = 0;
        while (g < r->ngroups && strcmp(keys[g], key)) g++;
        if (g == r->ngroups) keys[r->ngroups++] = key;
        else free(key);
        r->group[i] = g;
    }
    for (int g = 0; g < r->ngroups; g++) free(keys[g]);
    free(keys);
}

/* The ok ns/op values of every cell, from results.csv (rows of this run and
 * of earlier ones when resumed). */
static double **cell_values(runner *r, int **counts) {
    double **v = calloc((size_t)r->m->ncells, sizeof *v);
    *counts = calloc((size_t)r->m->ncells, sizeof **counts);
    char *csv = asb_xasprintf("%s/results.csv", r->dir);
    asb_results res;
    char *err = NULL;
    if (!v || !*counts) asb_die("out of memory");
    if (asb_results_load(csv, &res, &err) != 0) asb_die("%s", err);
    for (int row = 0; row < res.nrows; row++) {
        double x = asb_results_num(&res, row, "ns_per_op");
        if (strcmp(asb_results_get(&res, row, "status"), "ok") || !(x > 0)) continue;
        char *key = asb_results_row_key(&res, row);
        for (int i = 0; i < r->m->ncells; i++)
            if (!strcmp(r->m->cells[i].key, key)) {
                v[i] = realloc(v[i], (size_t)((*counts)[i] + 1) * sizeof **v);
                if (!v[i]) asb_die("out of memory");
                v[i][(*counts)[i]++] = x;
                break;
            }
        free(key);
    }
    asb_results_free(&res);
    free(csv);
    return v;
}

/* The cell its group's ratios are taken against: the baseline backend, and
 * for scheduler workloads the group's first scheduler; -1 if none. */
static int baseline_cell(runner *r, int i) {
    for (int j = 0; j < r->m->ncells; j++)
        if (r->group[j] == r->group[i] && !strcmp(r->m->cells[j].alloc.name, r->m->baseline)) return j;
    return -1;
}

/* Phase 3: adaptive repetitions; writes DIR/convergence.csv. */
static void converge(runner *r, double deadline) {
    asb_matrix *m = r->m;
    bool *open = calloc((size_t)m->ncells, sizeof *open), *converged = calloc((size_t)m->ncells, sizeof *converged);
    double *width = calloc((size_t)m->ncells, sizeof *width), *med_w = calloc((size_t)m->ncells, sizeof *med_w),
           *ratio_w = calloc((size_t)m->ncells, sizeof *ratio_w);
    if (!open || !converged || !width || !med_w || !ratio_w) asb_die("out of memory");
    for (;;) {
        int *n;
        double **v = cell_values(r, &n);
        int left = 0;
        for (int i = 0; i < m->ncells; i++) {
            if (!asb_matrix_in_shard(m, i)) continue;
            int b = baseline_cell(r, i);
            bool has_base = b >= 0 && b != i;
            converged[i] = asb_converged(v[i], n[i], has_base ? v[b] : NULL, has_base ? n[b] : 0, m->target_ci, 0.05,
                                         &width[i]);
            open[i] = n[i] > 0 && !converged[i] && reps_done(r, i) < r->max_reps;
            left += open[i];
            asb_interval_widths(v[i], n[i], has_base ? v[b] : NULL, has_base ? n[b] : 0, 0.05, &med_w[i], &ratio_w[i]);
        }
        for (int i = 0; i < m->ncells; i++) free(v[i]);
        free(v);
        free(n);
        if (!left || interrupted || (m->budget_s > 0 && asb_now_s() > deadline)) break;
        fprintf(stderr, "asbench: %d cells wider than +-%.3g%%: one more repetition each\n", left, 100 * m->target_ci);
        r->total += left;
        for (int i = 0; i < m->ncells && !interrupted; i++)
            if (open[i]) run_repetition(r, i, reps_done(r, i) + 1);
    }
    char *path = asb_xasprintf("%s/convergence.csv", r->dir);
    FILE *f = fopen(path, "w");
    if (!f) asb_die("cannot write %s: %s", path, strerror(errno));
    fputs("backend,scheduler,workload,params,threads,reps,median_half_width,ratio_half_width,converged\n", f);
    int unconverged = 0;
    for (int i = 0; i < m->ncells; i++) {
        if (!asb_matrix_in_shard(m, i)) continue;
        const asb_cell *c = &m->cells[i];
        bool ok = converged[i];
        unconverged += !ok;
        const char *fields[] = {c->alloc.name, c->sched ? c->sched : "NA", c->workload->name, c->params};
        for (int k = 0; k < 4; k++) asb_csv_field(f, fields[k], false);
        fprintf(f, "%d,%d,", c->threads, reps_done(r, i));
        const double widths[] = {med_w[i], ratio_w[i]};
        for (int k = 0; k < 2; k++)
            if (isfinite(widths[k])) fprintf(f, "%.5f,", widths[k]);
            else fputs("NA,", f);
        fprintf(f, "%s\n", ok ? "yes" : "no");
    }
    fclose(f);
    fprintf(stderr, "asbench: %d cells did not reach +-%.3g%% (widths in %s)\n", unconverged, 100 * m->target_ci, path);
    free(path);
    free(open);
    free(converged);
    free(width);
    free(med_w);
    free(ratio_w);
}

static void dry_run(const asb_matrix *m) {
    int n = 0;
    for (int i = 0; i < m->ncells; i++)
        if (asb_matrix_in_shard(m, i)) {
            const asb_cell *c = &m->cells[i];
            printf("%s %s%s%s t=%d %s\n", c->workload->name, c->alloc.name, c->sched ? " " : "",
                   c->sched ? c->sched : "", c->threads, c->params);
            n++;
        }
    printf("%d cells, %d runs (%d repetitions%s)\n", n, n * (m->reps + m->warmup), m->reps,
           m->warmup ? " + 1 warm-up" : "");
}

int asb_cmd_run(int argc, char **argv) {
    asb_matrix m;
    const char *dir_opt = NULL;
    bool plot, dry = false, allow_failures = false;
    const char *calibration_from = NULL;
    bool resume = parse_options(argc, argv, &m, &dir_opt, &plot, &dry, &allow_failures, &calibration_from) != NULL;
    if (resume && calibration_from) asb_die_usage("--calibration-from cannot be combined with --resume");
    if (dry) {
        dry_run(&m);
        return 0;
    }
    runner r = {.m = &m, .env = {.m = &m, .interrupted = &interrupted}};
    if (m.pin && !(r.env.pin = parse_cpulist(m.pin, &r.env.pin_set)))
        asb_die_usage("--pin %s: not a CPU list", m.pin);
    if (m.has_nice && m.nice_value < getpriority(PRIO_PROCESS, 0) && geteuid() != 0)
        asb_die_usage("--nice %d: raising a worker's priority needs root", m.nice_value);
    if (m.futex_counts && system("strace -f -c -o /dev/null true >/dev/null 2>&1") != 0) {
        /* No strace, or no ptrace here (containers): figures NA, runs unharmed. */
        fprintf(stderr, "asbench: --futex-counts: strace is missing or cannot trace here (Debian package strace); "
                        "futex_calls will be NA\n");
        m.futex_counts = false;
    }
    if (m.counters && !strcmp(m.counters, "cachegrind") && !asb_program_on_path("valgrind"))
        asb_die_usage("--counters cachegrind needs valgrind (Debian package valgrind)");
    char *dir = dir_opt ? asb_xstrdup(dir_opt) : default_dir();
    r.dir = r.env.dir = dir;
    char *timeline_dir = asb_xasprintf("%s/timeline", dir);
    if (asb_mkdirs(dir) != 0 || asb_mkdirs(timeline_dir) != 0)
        asb_die_usage("cannot create output folder %s: %s", dir, strerror(errno));
    char *csv_path = asb_xasprintf("%s/results.csv", dir);
    if (resume) asb_rundir_drop_partial_row(csv_path);
    r.fd = asb_rundir_open_results(csv_path, resume);
    asb_noise noise_before;
    asb_env_noise_snapshot(&noise_before);
    if (!resume) {
        asb_rundir_write_matrix(dir, &m);
        asb_write_env(dir, argc, argv, &m);
        asb_env_write_noise(dir, &noise_before, NULL);
    }
    if (calibration_from && access(calibration_from, R_OK) != 0)
        asb_die_usage("--calibration-from %s: %s", calibration_from, strerror(errno));
    bool *calibrated = asb_rundir_apply_calibration(resume ? dir : calibration_from ? calibration_from : dir, dir, &m);
    r.max_reps = m.target_ci > 0 ? m.max_reps : m.reps;
    r.done = resume ? asb_rundir_runs_done(csv_path, &m, r.max_reps)
                    : calloc((size_t)m.ncells * (size_t)(r.max_reps + 1), sizeof *r.done);
    if (!r.done) asb_die("out of memory");
    group_cells(&r);
    if (m.counters && !strcmp(m.counters, "cachegrind")) {
        r.counts = calloc((size_t)m.ncells, sizeof *r.counts);
        for (int i = 0; i < m.ncells; i++) r.counts[i].instructions = r.counts[i].d1_misses = r.counts[i].ll_misses = NAN;
    }

    struct sigaction sa = {.sa_handler = on_interrupt};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* What is left in this shard; a resumed group keeps its calibration. */
    int todo = 0, cells_left = 0;
    bool *group_started = calloc((size_t)r.ngroups, sizeof *group_started);
    for (int i = 0; i < m.ncells; i++) {
        if (!asb_matrix_in_shard(&m, i)) continue;
        int left = m.reps - reps_done(&r, i);
        todo += left > 0 ? left : 0;
        cells_left += left > 0;
        group_started[r.group[i]] |= reps_done(&r, i) > 0 || calibrated[i];
    }
    bool warm = m.warmup || m.min_time_s > 0;
    r.total = todo + (warm ? cells_left : 0) + (r.counts ? cells_left : 0);
    if (resume) fprintf(stderr, "asbench: resuming %s: %d runs left\n", dir, todo);
    r.start = asb_now_s();
    for (int g = 0; g < r.ngroups && !interrupted; g++) prepare_group(&r, g, group_started[g]);
    for (int rep = 1; rep <= m.reps && !interrupted; rep++)
        for (int i = 0; i < m.ncells && !interrupted; i++)
            if (asb_matrix_in_shard(&m, i) && !done_of(&r, i)[rep]) run_repetition(&r, i, rep);
    if (m.target_ci > 0 && !interrupted) converge(&r, r.start + m.budget_s);
    close(r.fd);
    if (!resume && !interrupted) {
        asb_noise noise_after;
        asb_env_noise_snapshot(&noise_after);
        asb_env_write_noise(dir, &noise_before, &noise_after);
    }
    if (interrupted) {
        fprintf(stderr, "asbench: interrupted; %s keeps every finished run (finish with: asbench run --resume %s)\n",
                csv_path, dir);
        return 130;
    }
    fprintf(stderr, "asbench: %d runs in %.1f s, %d failed; results in %s\n", r.count, asb_now_s() - r.start, r.failures,
            csv_path);
    if (asb_write_summary(dir) == 0) fprintf(stderr, "asbench: summary %s/summary.csv\n", dir);
    if (plot && asb_plot_dir(dir, m.baseline) != 0)
        fprintf(stderr, "asbench: charts were not drawn (results are complete in %s)\n", csv_path);
    if (r.failures && !allow_failures) {
        fprintf(stderr, "asbench: %d runs ended error, crashed, timeout or verify-failed: exit status %d "
                        "(--allow-failures to exit 0)\n", r.failures, EXIT_RUN_FAILED);
        return EXIT_RUN_FAILED;
    }
    return 0;
}
