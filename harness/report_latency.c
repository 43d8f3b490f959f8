/*
 * report_latency.c — report.md's "Latency tails" section, for the cells run
 * with --latency: per cell, the quantiles of the sampled malloc and free
 * calls of all its ok repetitions (their histograms merged from
 * DIR/latency/), and per comparison group (workload, parameters,
 * threads) a CCDF chart of each operation with one line per backend.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "latency_files.h"

static const char *const ops[] = {"malloc", "free"};
enum { NOPS = 2 };

/* A sampled cell: its ok repetitions' histograms merged, and the exact
 * maxima the workers reported. */
typedef struct latency_cell {
    char *key, *group, *series;
    int first_row, reps;
    double period;
    asb_hist hist[NOPS];
    double max_ns[NOPS];
} latency_cell;

static bool sampled_ok(const asb_results *r, int row) {
    double v;
    return asb_results_value(r, row, "extra.latency_sampled", &v) == 1 && v == 1 &&
           !strcmp(asb_results_get(r, row, "status"), "ok");
}

static int collect(const char *dir, const asb_results *r, latency_cell **out) {
    latency_cell *cells = NULL;
    int n = 0;
    for (int row = 0; row < r->nrows; row++) {
        if (!sampled_ok(r, row)) continue;
        char *key = asb_results_row_key(r, row);
        int i = 0;
        while (i < n && strcmp(cells[i].key, key)) i++;
        if (i == n) {
            cells = realloc(cells, (size_t)(n + 1) * sizeof *cells);
            if (!cells) asb_die("out of memory");
            latency_cell *c = &cells[n++];
            *c = (latency_cell){.key = key, .first_row = row};
            const char *sched = asb_results_get(r, row, "scheduler");
            c->group = asb_xasprintf("%s|%s|%s", asb_results_get(r, row, "workload"), asb_results_get(r, row, "params"),
                                     asb_results_get(r, row, "threads"));
            c->series = strcmp(sched, "NA") ? asb_xasprintf("%s+%s", sched, asb_results_get(r, row, "backend"))
                                            : asb_xstrdup(asb_results_get(r, row, "backend"));
            asb_results_value(r, row, "extra.latency_period", &c->period);
            for (int op = 0; op < NOPS; op++) asb_hist_init(&c->hist[op]);
        } else {
            free(key);
        }
        latency_cell *c = &cells[i];
        c->reps++;
        char *path = asb_latency_path(dir, asb_results_get(r, row, "timeline"));
        for (int op = 0; op < NOPS; op++) {
            char name[32];
            double v;
            snprintf(name, sizeof name, "extra.%s_max_ns", ops[op]);
            if (asb_results_value(r, row, name, &v) == 1 && v > c->max_ns[op]) c->max_ns[op] = v;
            if (path && !asb_latency_read(path, ops[op], &c->hist[op]))
                fprintf(stderr, "asbench: %s is not a latency histogram; left out\n", path);
        }
        free(path);
    }
    /* The workers' exact maxima, in place of the last bucket's upper bound. */
    for (int i = 0; i < n; i++)
        for (int op = 0; op < NOPS; op++)
            if (cells[i].hist[op].count && cells[i].max_ns[op] > 0) cells[i].hist[op].max = (uint64_t)cells[i].max_ns[op];
    *out = cells;
    return n;
}

static void quantile_cells(FILE *f, const latency_cell *c, int op) {
    const asb_hist *h = &c->hist[op];
    if (!h->count) {
        fputs(" NA | NA | NA | NA |", f);
        return;
    }
    fprintf(f, " %llu | %llu | %llu | %llu |", (unsigned long long)asb_hist_quantile(h, 0.5),
            (unsigned long long)asb_hist_quantile(h, 0.99), (unsigned long long)asb_hist_quantile(h, 0.999),
            (unsigned long long)h->max);
}

/* Per group and operation: the CCDF files (DIR/latency/ccdf-…) and chart. */
static void group_charts(FILE *f, const char *dir, const asb_results *r, latency_cell *cells, int n) {
    char *plot_dir = asb_xasprintf("%s/plots", dir);
    bool gnuplot = asb_program_on_path("gnuplot") && asb_mkdirs(plot_dir) == 0;
    int group_no = 0;
    for (int i = 0; i < n; i++) {
        bool first = true;
        for (int j = 0; j < i; j++) first &= strcmp(cells[j].group, cells[i].group) != 0;
        if (!first) continue;
        group_no++;
        char *workload = strndup(cells[i].group, strcspn(cells[i].group, "|"));
        const char *threads = strrchr(cells[i].group, '|') + 1;
        for (int op = 0; op < NOPS; op++) {
            asb_strlist files = {0}, series = {0};
            for (int j = i; j < n; j++) {
                if (strcmp(cells[j].group, cells[i].group) || !cells[j].hist[op].count) continue;
                char *path = asb_xasprintf("%s/latency/ccdf-%d-%s-%s.csv", dir, group_no, cells[j].series, ops[op]);
                if (asb_hist_write_ccdf(path, &cells[j].hist[op]) == 0) {
                    asb_strlist_push(&files, path);
                    asb_strlist_push(&series, cells[j].series);
                }
                free(path);
            }
            char *name = asb_xasprintf("latency-%d-%s-%s", group_no, workload, ops[op]);
            char *title = asb_xasprintf("%s t=%s: %s latency CCDF (sampled calls, all repetitions)", workload,
                                        threads, ops[op]);
            if (files.n && gnuplot && asb_plot_ccdf(plot_dir, name, title, &files, &series) == 0)
                fprintf(f, "### %s\n\n`%s`\n\n![%s](plots/%s.png)\n\n([SVG](plots/%s.svg))\n\n", title,
                        asb_results_get(r, cells[i].first_row, "params"), name, name, name);
            free(title);
            free(name);
            asb_strlist_free(&files);
            asb_strlist_free(&series);
        }
        free(workload);
    }
    if (!gnuplot) fputs("_No CCDF charts: gnuplot is missing (Debian package gnuplot-nox)._\n\n", f);
    free(plot_dir);
}

void asb_report_latency(FILE *f, const char *dir) {
    asb_results r;
    if (asb_results_load_dir(dir, &r) != 0) return;
    latency_cell *cells;
    int n = collect(dir, &r, &cells);
    if (n > 0) {
        fputs("## Latency tails\n\n"
              "Cells run with `--latency` (params ending in `latency=N`): one malloc (calloc, posix_memalign) "
              "and one free in N, on average, per thread, timed with CLOCK_MONOTONIC around the call inside the "
              "timed region; quantiles of the sampled calls of all ok repetitions (log-bucketed histogram, "
              "within 1.6%), max exact. A figure includes about one clock reading (`latency_clock_ns` in "
              "results.csv). Per-bucket counts: [latency/](latency/).\n\n"
              "| workload | backend | threads | params | reps | malloc samples | malloc p50 ns | p99 | p99.9 | max "
              "| free samples | free p50 ns | p99 | p99.9 | max |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
              f);
        for (int i = 0; i < n; i++) {
            latency_cell *c = &cells[i];
            fprintf(f, "| %s | %s | %s | `%s` | %d | %llu |", asb_results_get(&r, c->first_row, "workload"),
                    c->series, asb_results_get(&r, c->first_row, "threads"),
                    asb_results_get(&r, c->first_row, "params"), c->reps, (unsigned long long)c->hist[0].count);
            quantile_cells(f, c, 0);
            fprintf(f, " %llu |", (unsigned long long)c->hist[1].count);
            quantile_cells(f, c, 1);
            fputc('\n', f);
        }
        fputc('\n', f);
        group_charts(f, dir, &r, cells, n);
    }
    for (int i = 0; i < n; i++) {
        free(cells[i].key);
        free(cells[i].group);
        free(cells[i].series);
    }
    free(cells);
    asb_results_free(&r);
}
