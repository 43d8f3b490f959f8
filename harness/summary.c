/*
 * summary.c — per-cell statistics of a results folder, written to
 * DIR/summary.csv by `asbench run` (at the end), `asbench summary DIR` and
 * `asbench plot DIR`: for each metric the median of the cell's ok
 * repetitions and a distribution-free 95% confidence interval for it (order
 * statistics, binomial method: stats.c), and the noise flags of ns/op: a
 * coefficient of variation above ASB_NOISY_CV, or two separated modes (the
 * gap test of stats.c), whose medians are given instead of one average.
 * Each cell also knows the machines its rows ran on: a ratio of two cells
 * is only taken within one machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asbench.h"
#include "stats.h"

const char *const asb_summary_metrics[] = {
    "ns_per_op", "cpu_ns_per_op", "allocs_per_op", "bytes_per_op", "wall_s", "user_s", "sys_s",
    "steal_s", "other_cpu_s", "peak_rss_kb", "final_rss_kb", "minor_faults", "vol_ctx_switches",
    "invol_ctx_switches", "lock_contended", "lock_wait_ns", "futex_calls", "instructions_per_op",
    "d1_misses_per_op", "ll_misses_per_op", "cycles_per_op", "cache_misses_per_op", "dtlb_misses_per_op",
};
const int asb_nsummary_metrics = sizeof asb_summary_metrics / sizeof *asb_summary_metrics;

enum { CONFIDENCE_PERCENT = 95 };

int asb_metric_index(const char *name) {
    for (int i = 0; i < asb_nsummary_metrics; i++)
        if (!strcmp(asb_summary_metrics[i], name)) return i;
    return -1;
}

static void push_value(double **v, int *n, double x) {
    if ((*n & (*n - 1)) == 0) { /* grow at powers of two */
        *v = realloc(*v, (size_t)(*n ? 2 * *n : 1) * sizeof **v);
        if (!*v) asb_die("out of memory");
    }
    (*v)[(*n)++] = x;
}

static void count_status(char **list, const char *status) {
    /* "crashed:SIGSEGV*2 timeout*1": update the count of this status. */
    size_t len = strlen(status);
    char *p = *list;
    while ((p = strstr(p, status))) {
        if ((p == *list || p[-1] == ' ') && p[len] == '*') {
            int count = atoi(p + len + 1);
            char *rest = strchr(p, ' ');
            char *updated = asb_xasprintf("%.*s%s*%d%s", (int)(p - *list), *list, status, count + 1,
                                          rest ? rest : "");
            free(*list);
            *list = updated;
            return;
        }
        p += len;
    }
    char *updated = asb_xasprintf("%s%s%s*%d", *list, **list ? " " : "", status, 1);
    free(*list);
    *list = updated;
}

/* Adds a row's machine to the cell's list ("NA" when results have none). */
static void note_machine(asb_cell_summary *s, const char *machine) {
    if (!s->machine) {
        s->machine = asb_xstrdup(machine);
        return;
    }
    size_t len = strlen(machine);
    for (const char *p = s->machine; (p = strstr(p, machine)); p += len)
        if ((p == s->machine || p[-1] == ' ') && (p[len] == ' ' || !p[len])) return;
    char *joined = asb_xasprintf("%s %s", s->machine, machine);
    free(s->machine);
    s->machine = joined;
    s->mixed_machines = true;
}

int asb_summarize_metrics(const asb_results *r, double alpha, const char *const *metrics, int nmetrics,
                          asb_cell_summary **out) {
    asb_cell_summary *cells = NULL;
    int ncells = 0;
    int **counts = NULL; /* per cell, per metric: values collected */
    for (int row = 0; row < r->nrows; row++) {
        char *key = asb_results_row_key(r, row);
        int c = 0;
        while (c < ncells && strcmp(cells[c].key, key)) c++;
        if (c == ncells) {
            cells = realloc(cells, (size_t)(ncells + 1) * sizeof *cells);
            counts = realloc(counts, (size_t)(ncells + 1) * sizeof *counts);
            if (!cells || !counts) asb_die("out of memory");
            cells[c] = (asb_cell_summary){
                .key = asb_xstrdup(key),
                .backend = asb_xstrdup(asb_results_get(r, row, "backend")),
                .sched = asb_xstrdup(asb_results_get(r, row, "scheduler")),
                .workload = asb_xstrdup(asb_results_get(r, row, "workload")),
                .params = asb_xstrdup(asb_results_get(r, row, "params")),
                .threads = asb_xstrdup(asb_results_get(r, row, "threads")),
                .not_ok = asb_xstrdup(""),
                .nmetrics = nmetrics,
                .m = asb_xmalloc((size_t)nmetrics * sizeof(asb_metric_stats)),
                .values = asb_xmalloc((size_t)nmetrics * sizeof(double *)),
            };
            counts[c] = asb_xmalloc((size_t)nmetrics * sizeof(int));
            ncells++;
        }
        free(key);
        asb_cell_summary *s = &cells[c];
        s->runs++;
        note_machine(s, asb_results_get(r, row, "machine"));
        const char *status = asb_results_get(r, row, "status");
        if (strcmp(status, "ok")) {
            count_status(&s->not_ok, status);
            continue;
        }
        s->ok++;
        for (int m = 0; m < nmetrics; m++) {
            double v; /* a column, or a key of `extra` (malloc_p99_ns) */
            if (asb_results_value(r, row, metrics[m], &v) == 1 && !isnan(v)) push_value(&s->values[m], &counts[c][m], v);
        }
    }
    for (int c = 0; c < ncells; c++) {
        for (int m = 0; m < nmetrics; m++) {
            asb_metric_stats *st = &cells[c].m[m];
            int n = counts[c][m];
            st->n = n;
            st->cv = asb_cv(cells[c].values[m], n);
            st->median = asb_median(cells[c].values[m], n); /* sorts */
            asb_interval ci = asb_median_ci(cells[c].values[m], n, alpha);
            st->lo = ci.lo;
            st->hi = ci.hi;
            st->coverage = ci.coverage;
            st->bimodal = asb_bimodal(cells[c].values[m], n, &st->mode_lo, &st->mode_hi);
        }
        free(counts[c]);
    }
    free(counts);
    *out = cells;
    return ncells;
}

int asb_summarize(const asb_results *r, double alpha, asb_cell_summary **out) {
    return asb_summarize_metrics(r, alpha, asb_summary_metrics, asb_nsummary_metrics, out);
}

bool asb_same_machine(const asb_cell_summary *a, const asb_cell_summary *b) {
    return !a->mixed_machines && !b->mixed_machines && !strcmp(a->machine, b->machine);
}

void asb_summary_free(asb_cell_summary *s, int n) {
    for (int c = 0; c < n; c++) {
        free(s[c].key);
        free(s[c].backend);
        free(s[c].sched);
        free(s[c].workload);
        free(s[c].params);
        free(s[c].threads);
        free(s[c].machine);
        free(s[c].not_ok);
        for (int m = 0; m < s[c].nmetrics; m++) free(s[c].values[m]);
        free(s[c].values);
        free(s[c].m);
    }
    free(s);
}

static const char *num(char *buf, size_t len, double v) {
    if (isnan(v)) return "NA";
    snprintf(buf, len, "%.6g", v);
    return buf;
}

int asb_write_summary(const char *dir) {
    asb_results r;
    if (asb_results_load_dir(dir, &r) != 0) return -1;
    asb_cell_summary *cells;
    int n = asb_summarize(&r, 1 - CONFIDENCE_PERCENT / 100.0, &cells);
    /* Written to a temporary name and renamed: never a half-written summary. */
    char *path = asb_xasprintf("%s/summary.csv", dir), *tmp = asb_xasprintf("%s/.summary.csv.tmp", dir);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "asbench: cannot write %s: %s\n", tmp, strerror(errno));
        asb_summary_free(cells, n);
        asb_results_free(&r);
        return -1;
    }
    static const char *const fixed[] = {"backend", "scheduler", "workload", "params", "threads",
                                        "runs",    "ok",        "not_ok",   "ci_coverage", "ns_per_op_cv"};
    /* After the metrics, so that the columns before them keep their places. */
    static const char *const flags[] = {"machine", "ns_per_op_noisy", "ns_per_op_bimodal", "ns_per_op_mode_lo",
                                        "ns_per_op_mode_hi"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) asb_csv_field(f, fixed[i], false);
    for (int m = 0; m < asb_nsummary_metrics; m++) {
        static const char *const part[] = {"median", "ci_lo", "ci_hi"};
        for (int p = 0; p < 3; p++) {
            char *col = asb_xasprintf("%s_%s", asb_summary_metrics[m], part[p]);
            asb_csv_field(f, col, false);
            free(col);
        }
    }
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) asb_csv_field(f, flags[i], i + 1 == sizeof flags / sizeof *flags);
    int ns = asb_metric_index("ns_per_op");
    for (int c = 0; c < n; c++) {
        char b[64], runs[16], ok[16];
        snprintf(runs, sizeof runs, "%d", cells[c].runs);
        snprintf(ok, sizeof ok, "%d", cells[c].ok);
        const char *fields[] = {cells[c].backend, cells[c].sched, cells[c].workload, cells[c].params,
                                cells[c].threads, runs, ok, cells[c].not_ok};
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) asb_csv_field(f, fields[i], false);
        const asb_metric_stats *time = &cells[c].m[ns];
        asb_csv_field(f, num(b, sizeof b, time->coverage), false);
        asb_csv_field(f, num(b, sizeof b, time->cv), false);
        for (int m = 0; m < asb_nsummary_metrics; m++) {
            const asb_metric_stats *st = &cells[c].m[m];
            asb_csv_field(f, num(b, sizeof b, st->median), false);
            asb_csv_field(f, num(b, sizeof b, st->lo), false);
            asb_csv_field(f, num(b, sizeof b, st->hi), false);
        }
        asb_csv_field(f, cells[c].machine, false);
        asb_csv_field(f, isnan(time->cv) ? "NA" : time->cv > ASB_NOISY_CV ? "1" : "0", false);
        asb_csv_field(f, time->n < 5 ? "NA" : time->bimodal ? "1" : "0", false);
        asb_csv_field(f, num(b, sizeof b, time->mode_lo), false);
        asb_csv_field(f, num(b, sizeof b, time->mode_hi), true);
    }
    int failed = fclose(f) != 0 || rename(tmp, path) != 0;
    if (failed) fprintf(stderr, "asbench: cannot write %s: %s\n", path, strerror(errno));
    asb_summary_free(cells, n);
    asb_results_free(&r);
    free(tmp);
    free(path);
    return failed ? -1 : 0;
}

int asb_cmd_summary(int argc, char **argv) {
    if (argc != 1 || argv[0][0] == '-') {
        bool help = argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"));
        fprintf(help ? stdout : stderr, "usage: asbench summary DIR   (writes DIR/summary.csv from DIR/results.csv)\n");
        return help ? 0 : ASB_EXIT_USAGE;
    }
    if (asb_write_summary(argv[0]) != 0) return ASB_EXIT_USAGE;
    fprintf(stderr, "asbench: wrote %s/summary.csv\n", argv[0]);
    return 0;
}
