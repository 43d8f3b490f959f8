/*
 * plot.c — `asbench plot DIR`: charts (PNG and SVG, with gnuplot) and a
 * Markdown report (DIR/report.md) from DIR/results.csv.
 *
 * Charts, from the per-cell medians and confidence intervals of summary.c:
 *   heatmap-*     the overview at the top of the report (heatmap.c), and
 *                 DIR/report.html with everything (report_html.c)
 *   time.*        ns/op relative to the baseline backend, per group
 *                 (workload, threads), bars per backend with CI; the
 *                 scheduler workloads' cells in time-sched.* (and so on
 *                 for every bar chart)
 *   peak_rss.*    the same for peak RSS
 *   contention.*  voluntary context switches per run (every backend's
 *                 proxy for blocking), plus lock_contended.* and futex.*
 *                 when the run has those figures
 *   scaling-W.*   ns/op against threads, per workload with several counts
 *   rss-W.*       RSS timeline of repetition 1 of each backend, per workload
 *   latency-G-W-malloc.*, -free.*  CCDF of the calls --latency sampled, per
 *                 comparison group (report_latency.c, in its report section)
 *   frag-W.*      RSS ÷ live bytes over time, per workload that publishes
 *                 its live bytes (report_memory.c, in its report section)
 * The gnuplot templates live in plots/ of the source tree; each chart's
 * driver script and data are written to DIR/plots/ so a chart can be
 * restyled and redrawn by hand.  The CSV is only read.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memory.h"
#include "latency_files.h"
#include "report.h"
#include "stats.h"

/* A chart series: one backend (allocator workloads) or one
 * scheduler+backend pair (scheduler workloads). */
static char *series_of(const asb_cell_summary *c) {
    if (!strcmp(c->sched, "NA") || !strcmp(c->backend, "go")) return asb_xstrdup(c->backend);
    return asb_xasprintf("%s+%s", c->sched, c->backend);
}

/* A cluster of bars: workload, threads and a short parameter tag. */
static char *group_of(const asb_cell_summary *c, const asb_strlist *param_sets) {
    int tag = 0;
    for (int i = 0, seen = 0; i < param_sets->n; i++) {
        const char *bar = strchr(param_sets->items[i], '|');
        if ((size_t)(bar - param_sets->items[i]) == strlen(c->workload) &&
            !strncmp(param_sets->items[i], c->workload, strlen(c->workload))) {
            seen++;
            if (!strcmp(bar + 1, c->params)) tag = seen;
        }
    }
    /* A workload run with one parameter set needs no tag. */
    int sets = 0;
    for (int i = 0; i < param_sets->n; i++)
        sets += !strncmp(param_sets->items[i], c->workload, strlen(c->workload)) &&
                param_sets->items[i][strlen(c->workload)] == '|';
    return sets > 1 ? asb_xasprintf("%s p%d t=%s", c->workload, tag, c->threads)
                    : asb_xasprintf("%s t=%s", c->workload, c->threads);
}

typedef struct chart_data {
    asb_cell_summary *cells;
    int ncells;
    asb_strlist groups, series, param_sets;
    char **cell_group, **cell_series;
    int *baseline_of;         /* per cell: its group's baseline cell, -1 when that ran on another machine */
    asb_strlist cross_machine; /* the cells left without a ratio for that reason */
} chart_data;

static void index_cells(chart_data *d) {
    for (int i = 0; i < d->ncells; i++) {
        char *ps = asb_xasprintf("%s|%s", d->cells[i].workload, d->cells[i].params);
        if (!asb_strlist_has(&d->param_sets, ps)) asb_strlist_push(&d->param_sets, ps);
        free(ps);
    }
    d->cell_group = asb_xmalloc((size_t)d->ncells * sizeof(char *));
    d->cell_series = asb_xmalloc((size_t)d->ncells * sizeof(char *));
    for (int i = 0; i < d->ncells; i++) {
        d->cell_group[i] = group_of(&d->cells[i], &d->param_sets);
        d->cell_series[i] = series_of(&d->cells[i]);
        if (!asb_strlist_has(&d->groups, d->cell_group[i])) asb_strlist_push(&d->groups, d->cell_group[i]);
        if (!asb_strlist_has(&d->series, d->cell_series[i])) asb_strlist_push(&d->series, d->cell_series[i]);
    }
}

static int find_cell(const chart_data *d, const char *group, const char *series) {
    for (int i = 0; i < d->ncells; i++)
        if (!strcmp(d->cell_group[i], group) && !strcmp(d->cell_series[i], series)) return i;
    return -1;
}

/* The cell a group's bars are divided by: the baseline backend (with gmp
 * for scheduler workloads when present), else the group's first cell. */
static int baseline_cell(const chart_data *d, const char *group, const char *baseline) {
    int first = -1, any_sched = -1;
    for (int i = 0; i < d->ncells; i++) {
        if (strcmp(d->cell_group[i], group)) continue;
        if (first < 0) first = i;
        if (!strcmp(d->cells[i].backend, baseline)) {
            if (!strcmp(d->cells[i].sched, "NA") || !strcmp(d->cells[i].sched, "gmp")) return i;
            if (any_sched < 0) any_sched = i;
        }
    }
    return any_sched >= 0 ? any_sched : first;
}

/* Each cell's baseline, for the ratios of charts and report: none across
 * machines, where the ratio would divide one machine's time by another's. */
static void pair_baselines(chart_data *d, const char *baseline) {
    d->baseline_of = asb_xmalloc((size_t)(d->ncells ? d->ncells : 1) * sizeof(int));
    for (int i = 0; i < d->ncells; i++) {
        int b = baseline_cell(d, d->cell_group[i], baseline);
        d->baseline_of[i] = b >= 0 && asb_same_machine(&d->cells[b], &d->cells[i]) ? b : -1;
        if (b >= 0 && d->baseline_of[i] < 0) {
            char *note = asb_xasprintf("%s %s (machine %s; its baseline %s ran on %s)", d->cell_group[i],
                                       d->cell_series[i], d->cells[i].machine, d->cell_series[b], d->cells[b].machine);
            asb_strlist_push(&d->cross_machine, note);
            free(note);
        }
    }
}

/* Runs gnuplot on the driver for PNG and SVG; 0 if both worked. */
static int run_gnuplot(const char *driver) {
    static const char *const formats[] = {"fmt='png'", "fmt='svg'"};
    for (int i = 0; i < 2; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            execlp("gnuplot", "gnuplot", "-e", formats[i], driver, (char *)NULL);
            _exit(127);
        }
        int ws;
        if (pid < 0 || waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
            fprintf(stderr, "asbench: gnuplot failed on %s\n", driver);
            return -1;
        }
    }
    return 0;
}

/* Writes DIR/plots/NAME.gp: the variables, then the template's text. */
int asb_plot_driver(const char *plot_dir, const char *name, const char *template, const char *vars) {
    char *tpath = asb_xasprintf("%s/plots/%s", asb_source_dir(), template);
    char *text = asb_read_file(tpath, NULL);
    if (!text) {
        fprintf(stderr, "asbench: cannot read the chart template %s: %s (set ASBENCH_SOURCE_DIR to the source tree)\n",
                tpath, strerror(errno));
        free(tpath);
        return -1;
    }
    char *driver = asb_xasprintf("%s/%s.gp", plot_dir, name);
    FILE *f = fopen(driver, "w");
    int r = -1;
    if (f) {
        fprintf(f, "# drawn by asbench from %s\noutbase = '%s/%s'\n%s\n%s", tpath, plot_dir, name, vars, text);
        if (fclose(f) == 0) r = run_gnuplot(driver);
    } else {
        fprintf(stderr, "asbench: cannot write %s: %s\n", driver, strerror(errno));
    }
    free(driver);
    free(text);
    free(tpath);
    return r;
}

/* A gnuplot single-quoted string: '' stands for one quote. */
static char *gp_quote(const char *s) {
    char *out = asb_xmalloc(2 * strlen(s) + 3), *o = out;
    *o++ = '\'';
    for (; *s; s++) {
        if (*s == '\'') *o++ = '\'';
        *o++ = *s;
    }
    *o++ = '\'';
    return out;
}

static bool is_sched_cell(const asb_cell_summary *c) { return strcmp(c->sched, "NA") != 0; }

/* Bars of one metric for the allocator workloads' cells or the scheduler
 * workloads' cells (two charts: different series, and one would be too
 * wide); relative = divided by each group's baseline cell.  Returns 1 if
 * drawn, 0 if the metric has no non-zero data there, -1 on failure. */
static int bar_chart(const chart_data *d, const char *plot_dir, const char *name, const char *metric,
                     bool relative, const char *baseline, const char *title, const char *ylabel, bool sched_part) {
    int mi = asb_metric_index(metric);
    bool any = false;
    asb_strlist groups = {0}, series = {0};
    for (int i = 0; i < d->ncells; i++) {
        if (is_sched_cell(&d->cells[i]) != sched_part) continue;
        /* A chart of nothing but zeros says nothing (and gnuplot refuses it). */
        any |= d->cells[i].m[mi].n > 0 && d->cells[i].m[mi].median > 0;
        /* gnuplot refuses a series without one valid point */
        if (d->cells[i].m[mi].n == 0 || (relative && d->baseline_of[i] < 0)) continue;
        if (!asb_strlist_has(&groups, d->cell_group[i])) asb_strlist_push(&groups, d->cell_group[i]);
        if (!asb_strlist_has(&series, d->cell_series[i])) asb_strlist_push(&series, d->cell_series[i]);
    }
    int r = 0;
    char *chart = asb_xasprintf("%s%s", name, sched_part ? "-sched" : "");
    char *dat = asb_xasprintf("%s/%s.dat", plot_dir, chart);
    FILE *f = any ? fopen(dat, "w") : NULL;
    if (any && !f) {
        fprintf(stderr, "asbench: cannot write %s: %s\n", dat, strerror(errno));
        r = -1;
    }
    if (f) {
        fprintf(f, "# group, then median lo hi per series: %s\n", metric);
        for (int g = 0; g < groups.n; g++) {
            fprintf(f, "\"%s\"", groups.items[g]);
            for (int s = 0; s < series.n; s++) {
                int c = find_cell(d, groups.items[g], series.items[s]);
                const asb_metric_stats *st = c >= 0 ? &d->cells[c].m[mi] : NULL;
                double base = 1;
                if (relative && c >= 0) base = d->baseline_of[c] >= 0 ? d->cells[d->baseline_of[c]].m[mi].median : NAN;
                if (st && st->n > 0 && base > 0) fprintf(f, " %g %g %g", st->median / base, st->lo / base, st->hi / base);
                else fputs(" NaN NaN NaN", f);
            }
            fputc('\n', f);
        }
        fclose(f);
        char *base = relative ? asb_xasprintf(" relative to %s%s", sched_part ? "gmp+" : "", baseline) : asb_xstrdup("");
        char *sl = asb_strlist_join(&series),
             *full_title = asb_xasprintf("%s%s%s", sched_part ? "scheduler workloads: " : "", title, base);
        free(base);
        char *qtitle = gp_quote(full_title), *qlabel = gp_quote(ylabel);
        int width = 80 + groups.n * (series.n + 1) * 12;
        char *vars = asb_xasprintf("datafile = '%s'\nseries = '%s'\nchart_title = %s\ny_label = %s\n"
                                   "baseline_line = %d\nchart_width = %d\n",
                                   dat, sl, qtitle, qlabel, relative, width < 1200 ? 1200 : width);
        r = asb_plot_driver(plot_dir, chart, "bars.gp", vars) == 0 ? 1 : -1;
        free(vars);
        free(qtitle);
        free(qlabel);
        free(full_title);
        free(sl);
    }
    asb_strlist_free(&groups);
    asb_strlist_free(&series);
    free(dat);
    free(chart);
    return r;
}

/* Scaling curves, one chart per workload run at several thread counts. */
static int scaling_charts(const chart_data *d, const char *plot_dir, asb_strlist *drawn) {
    int mi = asb_metric_index("ns_per_op");
    asb_strlist workloads = {0};
    for (int i = 0; i < d->ncells; i++)
        if (!asb_strlist_has(&workloads, d->cells[i].workload)) asb_strlist_push(&workloads, d->cells[i].workload);
    int status = 0;
    for (int w = 0; w < workloads.n; w++) {
        asb_strlist threads = {0}, series = {0};
        for (int i = 0; i < d->ncells; i++) {
            if (strcmp(d->cells[i].workload, workloads.items[w]) || d->cells[i].m[mi].n == 0) continue;
            if (!asb_strlist_has(&threads, d->cells[i].threads)) asb_strlist_push(&threads, d->cells[i].threads);
            if (!asb_strlist_has(&series, d->cell_series[i])) asb_strlist_push(&series, d->cell_series[i]);
        }
        if (threads.n > 1) {
            char *name = asb_xasprintf("scaling-%s", workloads.items[w]);
            char *dat = asb_xasprintf("%s/%s.dat", plot_dir, name);
            FILE *f = fopen(dat, "w");
            if (!f) status = -1;
            for (int t = 0; f && t < threads.n; t++) {
                fprintf(f, "%s", threads.items[t]);
                for (int s = 0; s < series.n; s++) {
                    /* The first parameter set of the workload at this thread count. */
                    int c = -1;
                    for (int i = 0; i < d->ncells && c < 0; i++)
                        if (!strcmp(d->cells[i].workload, workloads.items[w]) &&
                            !strcmp(d->cells[i].threads, threads.items[t]) && !strcmp(d->cell_series[i], series.items[s]))
                            c = i;
                    if (c >= 0 && d->cells[c].m[mi].n > 0) fprintf(f, " %g", d->cells[c].m[mi].median);
                    else fputs(" NaN", f);
                }
                fputc('\n', f);
            }
            if (f) {
                fclose(f);
                char *sl = asb_strlist_join(&series);
                char *vars = asb_xasprintf("datafile = '%s'\nseries = '%s'\nchart_title = '%s: time per op against "
                                           "threads (median)'\ny_label = 'ns/op'\n",
                                           dat, sl, workloads.items[w]);
                if (asb_plot_driver(plot_dir, name, "lines.gp", vars) == 0) asb_strlist_push(drawn, name);
                else status = -1;
                free(vars);
                free(sl);
            }
            free(dat);
            free(name);
        }
        asb_strlist_free(&threads);
        asb_strlist_free(&series);
    }
    asb_strlist_free(&workloads);
    return status;
}

/* RSS timelines: per workload, repetition 1 of each series' cell with the
 * most threads. */
/* A timeline file with at least one sample after its header (a run shorter
 * than the sampling interval has none, and gnuplot refuses an empty series). */
static bool has_samples(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return false;
    int lines = 0, c;
    while (lines < 2 && (c = fgetc(f)) != EOF) lines += c == '\n';
    fclose(f);
    return lines >= 2;
}

static int timeline_charts(const asb_results *r, const char *dir, const char *plot_dir, asb_strlist *drawn) {
    asb_strlist workloads = {0};
    for (int i = 0; i < r->nrows; i++)
        if (!asb_strlist_has(&workloads, asb_results_get(r, i, "workload")))
            asb_strlist_push(&workloads, asb_results_get(r, i, "workload"));
    int status = 0;
    for (int w = 0; w < workloads.n; w++) {
        asb_strlist files = {0}, series = {0};
        int max_threads = 0;
        for (int i = 0; i < r->nrows; i++)
            if (!strcmp(asb_results_get(r, i, "workload"), workloads.items[w]) &&
                atoi(asb_results_get(r, i, "threads")) > max_threads)
                max_threads = atoi(asb_results_get(r, i, "threads"));
        for (int i = 0; i < r->nrows; i++) {
            const char *tl = asb_results_get(r, i, "timeline");
            if (strcmp(asb_results_get(r, i, "workload"), workloads.items[w]) ||
                atoi(asb_results_get(r, i, "threads")) != max_threads ||
                strcmp(asb_results_get(r, i, "repetition"), "1") || strcmp(asb_results_get(r, i, "status"), "ok") ||
                !strcmp(tl, "NA"))
                continue;
            const char *sched = asb_results_get(r, i, "scheduler"), *backend = asb_results_get(r, i, "backend");
            char *s = strcmp(sched, "NA") && strcmp(backend, "go") ? asb_xasprintf("%s+%s", sched, backend)
                                                                   : asb_xstrdup(backend);
            if (!asb_strlist_has(&series, s)) {
                char *path = asb_xasprintf("%s/%s", dir, tl);
                if (has_samples(path) && !strpbrk(path, " '")) {
                    asb_strlist_push(&series, s);
                    asb_strlist_push(&files, path);
                }
                free(path);
            }
            free(s);
        }
        if (files.n > 0) {
            char *name = asb_xasprintf("rss-%s", workloads.items[w]);
            char *fl = asb_strlist_join(&files), *sl = asb_strlist_join(&series);
            char *vars = asb_xasprintf("files = '%s'\nseries = '%s'\nchart_title = '%s t=%d: RSS over time "
                                       "(repetition 1, sampled from /proc)'\n",
                                       fl, sl, workloads.items[w], max_threads);
            if (asb_plot_driver(plot_dir, name, "timeline.gp", vars) == 0) asb_strlist_push(drawn, name);
            else status = -1;
            free(vars);
            free(fl);
            free(sl);
            free(name);
        }
        asb_strlist_free(&files);
        asb_strlist_free(&series);
    }
    asb_strlist_free(&workloads);
    return status;
}

/* A table cell: median [CI]; for a bimodal sample its two modes instead
 * of a median that falls between them; "CV x%" when noisy. */
static void md_metric(FILE *f, const asb_metric_stats *st, bool flag_noise) {
    if (st->n == 0) fputs(" NA", f);
    else if (flag_noise && st->bimodal) fprintf(f, " bimodal: %.4g \\| %.4g", st->mode_lo, st->mode_hi);
    else fprintf(f, " %.4g [%.4g, %.4g]", st->median, st->lo, st->hi);
    if (flag_noise && st->cv > ASB_NOISY_CV) fprintf(f, " (CV %.0f%%)", 100 * st->cv);
    fputs(" |", f);
}

static double median_of(double *v, int n) { return n ? asb_median(v, n) : NAN; }

/* The spread of a metric across the cells: median CV of 1-thread and of
 * multi-thread cells, and the median relative half-width of the 95%
 * interval of each cell's ratio to its baseline (same machine). */
static void precision_lines(FILE *f, const chart_data *d, const char *metric) {
    int mi = asb_metric_index(metric), n1 = 0, nmore = 0, nratio = 0;
    size_t size = (size_t)d->ncells * sizeof(double);
    double *cv1 = asb_xmalloc(size), *cvmore = asb_xmalloc(size), *widths = asb_xmalloc(size);
    for (int i = 0; i < d->ncells; i++) {
        const asb_metric_stats *st = &d->cells[i].m[mi];
        if (isnan(st->cv)) continue;
        if (!strcmp(d->cells[i].threads, "1")) cv1[n1++] = st->cv;
        else cvmore[nmore++] = st->cv;
        int b = d->baseline_of[i];
        if (b < 0 || b == i || d->cells[b].m[mi].n == 0) continue;
        const asb_metric_stats *bs = &d->cells[b].m[mi];
        asb_interval ci = asb_ratio_ci(d->cells[b].values[mi], bs->n, d->cells[i].values[mi], st->n, 0.05);
        widths[nratio++] = asb_rel_half_width(ci, st->median / bs->median);
    }
    if (n1 + nmore) {
        fprintf(f, "- %s: median CV across cells", metric);
        if (n1) fprintf(f, " %.1f%% for 1 thread (%d cells)%s", 100 * median_of(cv1, n1), n1, nmore ? "," : "");
        if (nmore) fprintf(f, " %.1f%% for more threads (%d cells)", 100 * median_of(cvmore, nmore), nmore);
        if (nratio)
            fprintf(f, "; median relative half-width of the 95%% interval of the ratio to the baseline %.1f%% (%d cells)",
                    100 * median_of(widths, nratio), nratio);
        fputs("\n", f);
    }
    free(cv1);
    free(cvmore);
    free(widths);
}

/* The lines of env.json that say how noisy the machine was. */
static void env_noise(FILE *f, const char *dir) {
    char *path = asb_xasprintf("%s/env.json", dir), *text = asb_read_file(path, NULL);
    free(path);
    if (!text) return;
    fputs("\nThe machine ([env.json](env.json)):\n\n```\n", f);
    bool in_noise = false;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        in_noise |= !strncmp(line, "  \"noise\"", 9);
        if (in_noise || !strncmp(line, "  \"machine_id\"", 15) || !strncmp(line, "  \"cpu_governor\"", 17) ||
            !strncmp(line, "  \"transparent_hugepage\"", 25) || !strncmp(line, "  \"pmu\"", 8))
            fprintf(f, "%s\n", line);
    }
    fputs("```\n", f);
    free(text);
}

/* What the figures are worth: spread, noisy and bimodal cells, ratios not
 * taken across machines, and the machine's load around the run. */
static void precision_section(FILE *f, const char *dir, const chart_data *d) {
    fputs("## Precision and noise\n\n", f);
    precision_lines(f, d, "ns_per_op");
    precision_lines(f, d, "cpu_ns_per_op");
    int ns = asb_metric_index("ns_per_op"), noisy = 0, bimodal = 0;
    for (int i = 0; i < d->ncells; i++) noisy += d->cells[i].m[ns].cv > ASB_NOISY_CV, bimodal += d->cells[i].m[ns].bimodal;
    fprintf(f, "- noisy cells (CV of ns/op above %.0f%%): %d, marked with their CV in the summary table\n",
            100 * ASB_NOISY_CV, noisy);
    fprintf(f, "- bimodal cells (two separated groups of repetitions: the medians of both are given, not one "
               "median between them): %d\n", bimodal);
    for (int i = 0; i < d->ncells; i++)
        if (d->cells[i].m[ns].bimodal)
            fprintf(f, "  - %s %s: bimodal: %.4g | %.4g ns/op\n", d->cell_group[i], d->cell_series[i],
                    d->cells[i].m[ns].mode_lo, d->cells[i].m[ns].mode_hi);
    if (d->cross_machine.n) {
        fprintf(f, "- no ratio to the baseline (NA in the charts) for %d cells whose baseline ran on another machine:\n",
                d->cross_machine.n);
        for (int i = 0; i < d->cross_machine.n; i++) fprintf(f, "  - %s\n", d->cross_machine.items[i]);
    }
    env_noise(f, dir);
    fputs("\n", f);
}

/* DIR/report.md: the overview heatmaps, the charts drawn and the summary table. */
static int write_report(const char *dir, const chart_data *d, const asb_strlist *charts, const char *baseline,
                        const asb_report_view *view) {
    char *path = asb_xasprintf("%s/report.md", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "asbench: cannot write %s: %s\n", path, strerror(errno));
        free(path);
        return -1;
    }
    fprintf(f, "# asbench report: %s\n\n", dir);
    fprintf(f, "Raw runs: [results.csv](results.csv) (one row per repetition); per-cell statistics: "
               "[summary.csv](summary.csv); machine and build: [env.json](env.json); matrix: [matrix.txt](matrix.txt).\n\n"
               "Medians of the ok repetitions, with a distribution-free 95%% confidence interval for the median "
               "(order statistics; with fewer than 6 repetitions the interval is [min, max] and covers less: "
               "see ci_coverage in summary.csv). Charts relative to **%s**, within one machine; lower is better. "
               "A cell whose repetitions fall into two separated groups is shown as `bimodal: A | B` (both "
               "groups' medians); a CV above %.0f%% is shown beside the figure.\n\n", baseline, 100 * ASB_NOISY_CV);
    asb_heatmap_markdown(f, view);
    if (charts->n == 0) fputs("_No charts were drawn (see the messages of asbench plot)._\n\n", f);
    for (int i = 0; i < charts->n; i++)
        fprintf(f, "## %s\n\n![%s](plots/%s.png)\n\n([SVG](plots/%s.svg))\n\n", charts->items[i], charts->items[i],
                charts->items[i], charts->items[i]);
    asb_report_memory(f, view);
    precision_section(f, dir, d);
    asb_report_latency(f, dir);
    asb_report_net(f, dir);
    asb_report_apps(f, view);
    fputs("## Summary\n\n| workload | scheduler | backend | threads | ok/runs | ns/op | peak RSS kB | final RSS kB "
          "| vol. ctx switches | lock contended | not ok |\n|---|---|---|---|---|---|---|---|---|---|---|\n", f);
    static const char *const shown[] = {"ns_per_op", "peak_rss_kb", "final_rss_kb", "vol_ctx_switches",
                                        "lock_contended"};
    for (int i = 0; i < d->ncells; i++) {
        const asb_cell_summary *c = &d->cells[i];
        fprintf(f, "| %s | %s | %s | %s | %d/%d |", c->workload, c->sched, c->backend, c->threads, c->ok, c->runs);
        for (size_t m = 0; m < sizeof shown / sizeof *shown; m++) md_metric(f, &c->m[asb_metric_index(shown[m])], m == 0);
        fprintf(f, " %s |\n", c->not_ok[0] ? c->not_ok : "");
    }
    fputs("\n## Parameter sets\n\n", f);
    for (int i = 0; i < d->param_sets.n; i++) fprintf(f, "- `%s`\n", d->param_sets.items[i]);
    int r = fclose(f) == 0 ? 0 : -1;
    free(path);
    return r;
}

int asb_plot_dir(const char *dir, const char *baseline) {
    char *csv = asb_xasprintf("%s/results.csv", dir);
    asb_results r;
    if (asb_results_load_dir(dir, &r) != 0) {
        free(csv);
        return -1;
    }
    chart_data d = {0};
    d.ncells = asb_summarize(&r, 0.05, &d.cells);
    index_cells(&d);
    pair_baselines(&d, baseline);
    asb_strlist charts = {0}, heatmaps = {0};
    asb_report_view view = {.dir = dir, .baseline = baseline, .cells = d.cells, .ncells = d.ncells,
                            .cell_group = d.cell_group, .cell_series = d.cell_series, .baseline_of = d.baseline_of,
                            .charts = &charts, .heatmaps = &heatmaps};
    int status = 0;
    if (!asb_program_on_path("gnuplot")) {
        fprintf(stderr, "asbench: gnuplot not found on PATH (install Debian package gnuplot-nox); no charts drawn, "
                        "%s is unchanged\n", csv);
        status = -1;
    } else {
        char *plot_dir = asb_xasprintf("%s/plots", dir);
        if (asb_mkdirs(plot_dir) != 0) {
            fprintf(stderr, "asbench: cannot create %s: %s\n", plot_dir, strerror(errno));
            status = -1;
        } else {
            struct {
                const char *name, *metric, *title, *ylabel;
                bool relative;
            } bars[] = {
                {"time", "ns_per_op", "time per op (median, 95% CI of the median)", "ratio (lower is better)", true},
                {"peak_rss", "peak_rss_kb", "peak RSS (median, 95% CI of the median)", "ratio (lower is better)", true},
                {"contention", "vol_ctx_switches", "voluntary context switches per run (blocking proxy)", "switches",
                 false},
                {"lock_contended", "lock_contended", "contended lock acquisitions (allocator's own figures)",
                 "acquisitions", false},
                {"futex", "futex_calls", "futex calls per run (strace -f -c)", "calls", false},
            };
            if (asb_heatmaps(&view, plot_dir, &heatmaps) != 0) status = -1;
            for (size_t i = 0; i < sizeof bars / sizeof *bars; i++)
                for (int part = 0; part < 2; part++) {
                    int b = bar_chart(&d, plot_dir, bars[i].name, bars[i].metric, bars[i].relative, baseline,
                                      bars[i].title, bars[i].ylabel, part);
                    char *chart = asb_xasprintf("%s%s", bars[i].name, part ? "-sched" : "");
                    if (b > 0) asb_strlist_push(&charts, chart);
                    if (b < 0) status = -1;
                    free(chart);
                }
            if (scaling_charts(&d, plot_dir, &charts) != 0) status = -1;
            if (timeline_charts(&r, dir, plot_dir, &charts) != 0) status = -1;
            if (charts.n + heatmaps.n)
                fprintf(stderr, "asbench: %d charts in %s (PNG and SVG)\n", charts.n + heatmaps.n, plot_dir);
        }
        free(plot_dir);
    }
    if (write_report(dir, &d, &charts, baseline, &view) == 0) fprintf(stderr, "asbench: report %s/report.md\n", dir);
    else status = -1;
    if (asb_write_report_html(&view) == 0) fprintf(stderr, "asbench: report %s/report.html\n", dir);
    else status = -1;
    for (int i = 0; i < d.ncells; i++) {
        free(d.cell_group[i]);
        free(d.cell_series[i]);
    }
    free(d.cell_group);
    free(d.cell_series);
    free(d.baseline_of);
    asb_strlist_free(&d.cross_machine);
    asb_strlist_free(&d.groups);
    asb_strlist_free(&d.series);
    asb_strlist_free(&d.param_sets);
    asb_strlist_free(&charts);
    asb_strlist_free(&heatmaps);
    asb_summary_free(d.cells, d.ncells);
    asb_results_free(&r);
    free(csv);
    return status;
}

/* Whether a backend has rows in DIR/results.csv (a --baseline the user named
 * must; the default falls back per chart group). */
static bool backend_in_results(const char *dir, const char *backend) {
    asb_results r;
    bool found = false;
    if (asb_results_load_dir(dir, &r) == 0) {
        for (int i = 0; i < r.nrows && !found; i++) found = !strcmp(asb_results_get(&r, i, "backend"), backend);
        asb_results_free(&r);
    }
    return found;
}

int asb_cmd_plot(int argc, char **argv) {
    const char *dir = NULL, *baseline = "glibc";
    bool baseline_given = false;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: asbench plot DIR [--baseline NAME]   (charts in DIR/plots, DIR/report.md, DIR/summary.csv)\n");
            return 0;
        }
        if (!strcmp(argv[i], "--baseline") && i + 1 < argc) {
            baseline = argv[++i];
            baseline_given = true;
        }
        else if (argv[i][0] == '-') asb_die_usage("plot: unknown option %s (usage: asbench plot DIR [--baseline NAME])", argv[i]);
        else if (dir) asb_die_usage("plot: one folder only (usage: asbench plot DIR [--baseline NAME])");
        else dir = argv[i];
    }
    if (!dir) asb_die_usage("usage: asbench plot DIR [--baseline NAME]");
    if (asb_write_summary(dir) != 0) return ASB_EXIT_USAGE;
    if (baseline_given && !backend_in_results(dir, baseline))
        asb_die_usage("plot: --baseline %s: no such backend in %s/results.csv", baseline, dir);
    return asb_plot_dir(dir, baseline) ? ASB_EXIT_USAGE : 0;
}
