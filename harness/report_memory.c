/*
 * report_memory.c — the "Memory over time" section of report.md: per cell
 * the time-weighted mean RSS beside the peak (what a fleet pays for is the
 * mean), the fragmentation RSS ÷ live bytes (time-weighted mean and
 * maximum) and transparent huge pages (mean, coverage of RSS, whether the
 * run had them disabled); and per workload with live bytes a chart of
 * RSS ÷ live over time, one line per backend (repetition 1, from the
 * timelines: smaps.c's curve).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "report.h"

static const char *const memory_metrics[] = {"memory.rss_mean_kib", "peak_rss_kb",          "memory.frag_mean",
                                             "memory.frag_max",     "memory.thp_mean_kib",  "memory.thp_coverage",
                                             "memory.thp_disabled"};
enum { RSS_MEAN, PEAK, FRAG_MEAN, FRAG_MAX, THP_MEAN, THP_COVERAGE, THP_OFF, NMETRICS };

/* A series of the charts: the backend, or scheduler+backend. */
static char *series_of_row(const asb_results *r, int row) {
    const char *sched = asb_results_get(r, row, "scheduler"), *backend = asb_results_get(r, row, "backend");
    return strcmp(sched, "NA") && strcmp(backend, "go") ? asb_xasprintf("%s+%s", sched, backend)
                                                        : asb_xstrdup(backend);
}

/* Writes PLOT_DIR/frag-W-I.dat (t in s, RSS ÷ live) from a row's timeline;
 * false if the timeline has no curve. */
static bool write_curve(const char *dir, const char *timeline, const char *dat) {
    char *path = asb_xasprintf("%s/%s", dir, timeline);
    double *t, *ratio;
    int n;
    bool ok = asb_memory_frag_curve(path, &t, &ratio, &n) == 0 && n > 0;
    FILE *f = ok ? fopen(dat, "w") : NULL;
    if (f) {
        fputs("# t_s rss_over_live\n", f);
        for (int i = 0; i < n; i++) fprintf(f, "%.3f %.4f\n", t[i] / 1000, ratio[i]);
        ok = fclose(f) == 0;
    } else {
        ok = false;
    }
    free(t);
    free(ratio);
    free(path);
    return ok;
}

/* The chart frag-W for one workload: repetition 1 of each series at the
 * workload's largest thread count; the name drawn goes into drawn. */
static void frag_chart(const asb_results *r, const char *dir, const char *plot_dir, const char *workload,
                       asb_strlist *drawn) {
    int max_threads = 0;
    for (int i = 0; i < r->nrows; i++)
        if (!strcmp(asb_results_get(r, i, "workload"), workload) && atoi(asb_results_get(r, i, "threads")) > max_threads)
            max_threads = atoi(asb_results_get(r, i, "threads"));
    asb_strlist files = {0}, series = {0};
    for (int i = 0; i < r->nrows; i++) {
        const char *tl = asb_results_get(r, i, "timeline");
        if (strcmp(asb_results_get(r, i, "workload"), workload) || atoi(asb_results_get(r, i, "threads")) != max_threads ||
            strcmp(asb_results_get(r, i, "repetition"), "1") || strcmp(asb_results_get(r, i, "status"), "ok") ||
            !strcmp(tl, "NA"))
            continue;
        char *s = series_of_row(r, i);
        char *dat = asb_xasprintf("%s/frag-%s-%d.dat", plot_dir, workload, series.n + 1);
        if (!asb_strlist_has(&series, s) && !strpbrk(dat, " '") && !strpbrk(s, " '") && write_curve(dir, tl, dat)) {
            asb_strlist_push(&series, s);
            asb_strlist_push(&files, dat);
        }
        free(dat);
        free(s);
    }
    if (files.n) {
        char *name = asb_xasprintf("frag-%s", workload);
        char *fl = asb_strlist_join(&files), *sl = asb_strlist_join(&series);
        char *vars = asb_xasprintf("files = '%s'\nseries = '%s'\nchart_title = '%s t=%d: RSS / live bytes over time "
                                   "(repetition 1)'\n",
                                   fl, sl, workload, max_threads);
        if (asb_plot_driver(plot_dir, name, "frag.gp", vars) == 0) asb_strlist_push(drawn, name);
        free(vars);
        free(fl);
        free(sl);
        free(name);
    }
    asb_strlist_free(&files);
    asb_strlist_free(&series);
}

/* "median" of a metric, scaled, or NA. */
static void md_value(FILE *f, const asb_metric_stats *st, double scale, const char *fmt) {
    fputs(" ", f);
    if (st->n == 0) fputs("NA", f);
    else fprintf(f, fmt, st->median * scale);
    fputs(" |", f);
}

int asb_report_memory(FILE *f, const struct asb_report_view *v) {
    asb_results r;
    if (asb_results_load_dir(v->dir, &r) != 0) return -1;
    asb_cell_summary *cells;
    int ncells = asb_summarize_metrics(&r, 0.05, memory_metrics, NMETRICS, &cells);
    bool any = false;
    for (int i = 0; i < ncells; i++) any |= cells[i].m[RSS_MEAN].n > 0;
    if (any) {
        asb_strlist drawn = {0}, workloads = {0};
        for (int i = 0; i < ncells; i++)
            if (cells[i].m[FRAG_MEAN].n > 0 && !asb_strlist_has(&workloads, cells[i].workload))
                asb_strlist_push(&workloads, cells[i].workload);
        char *plot_dir = asb_xasprintf("%s/plots", v->dir);
        if (asb_program_on_path("gnuplot") && asb_mkdirs(plot_dir) == 0)
            for (int w = 0; w < workloads.n; w++) frag_chart(&r, v->dir, plot_dir, workloads.items[w], &drawn);
        fputs("## Memory over time\n\n"
              "From each run's timeline (sampled every `--sample-ms`): the time-weighted mean RSS beside the peak; "
              "RSS ÷ live bytes (the fragmentation curve, for workloads that publish their live bytes; samples with "
              "less than a tenth of the peak live bytes left out) as time-weighted mean and maximum; transparent huge "
              "pages (AnonHugePages + ShmemPmdMapped from smaps_rollup) as time-weighted mean and its share of RSS; "
              "`THP off` = 1 when the run had them disabled (`name=backend[THP=never]`). Medians of the ok "
              "repetitions.\n\n",
              f);
        for (int i = 0; i < drawn.n; i++)
            fprintf(f, "![%s](plots/%s.png)\n\n([SVG](plots/%s.svg))\n\n", drawn.items[i], drawn.items[i],
                    drawn.items[i]);
        fputs("| workload | threads | scheduler | backend | ok/runs | mean RSS MiB | peak RSS MiB | RSS÷live mean "
              "| RSS÷live max | THP mean MiB | THP coverage | THP off |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|---|\n",
              f);
        for (int i = 0; i < ncells; i++) {
            const asb_cell_summary *c = &cells[i];
            if (c->m[RSS_MEAN].n == 0) continue;
            fprintf(f, "| %s | %s | %s | %s | %d/%d |", c->workload, c->threads, c->sched, c->backend, c->ok, c->runs);
            md_value(f, &c->m[RSS_MEAN], 1.0 / 1024, "%.1f");
            md_value(f, &c->m[PEAK], 1.0 / 1024, "%.1f");
            md_value(f, &c->m[FRAG_MEAN], 1, "%.3f");
            md_value(f, &c->m[FRAG_MAX], 1, "%.3f");
            md_value(f, &c->m[THP_MEAN], 1.0 / 1024, "%.1f");
            md_value(f, &c->m[THP_COVERAGE], 100, "%.1f%%");
            md_value(f, &c->m[THP_OFF], 1, "%.0f");
            fputs("\n", f);
        }
        fputs("\n", f);
        free(plot_dir);
        asb_strlist_free(&drawn);
        asb_strlist_free(&workloads);
    }
    asb_summary_free(cells, ncells);
    asb_results_free(&r);
    return 0;
}
