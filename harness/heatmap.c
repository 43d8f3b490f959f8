/*
 * heatmap.c — the overview of a results folder: one heatmap per metric
 * (time, peak RSS) of workload groups (rows) × backends or scheduler+backend
 * pairs (columns), coloured by the cell's ratio to its group's baseline on
 * a log scale, with the ratio's 95% interval (asb_ratio_ci, as `compare`
 * computes it) written in each cell; a cell whose interval holds 1 is "no
 * difference".  Ratios are taken within one machine only: a cell whose
 * baseline ran elsewhere has none.  Under the heatmaps, the geometric mean
 * of each series' ratios (asb_geomean) sums a backend up in one figure.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "stats.h"

bool asb_ratio_no_difference(asb_ratio r) { return !isnan(r.ratio) && r.lo <= 1 && r.hi >= 1; }

asb_ratio asb_report_ratio(const asb_report_view *v, int cell, int mi) {
    asb_ratio r = {NAN, NAN, NAN, false};
    int b = v->baseline_of[cell];
    if (b < 0) return r;
    const asb_metric_stats *sc = &v->cells[cell].m[mi], *sb = &v->cells[b].m[mi];
    if (sc->n == 0 || sb->n == 0 || !(sb->median > 0)) return r;
    if (b == cell) return (asb_ratio){1, 1, 1, true};
    asb_interval ci = asb_ratio_ci(v->cells[b].values[mi], sb->n, v->cells[cell].values[mi], sc->n, 0.05);
    return (asb_ratio){sc->median / sb->median, ci.lo, ci.hi, false};
}

static bool is_sched_cell(const asb_cell_summary *c) { return strcmp(c->sched, "NA") != 0; }

/* A gnuplot double-quoted string (the names hold no control characters). */
static void gp_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* "set xtics (...)" for the names of list. */
static char *tics_command(const char *axis, const asb_strlist *names) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    fprintf(m, "set %s (", axis);
    for (int i = 0; i < names->n; i++) {
        fputs(i ? ", " : "", m);
        gp_string(m, names->items[i]);
        fprintf(m, " %d", i);
    }
    fputs(")\n", m);
    fclose(m);
    return buf;
}

/* One heatmap of metric over the allocator or the scheduler workloads'
 * cells: 1 drawn, 0 nothing to draw, -1 failed. */
static int heatmap(const asb_report_view *v, const char *plot_dir, const char *name, const char *metric,
                   const char *what, bool sched_part) {
    int mi = asb_metric_index(metric);
    asb_strlist rows = {0}, cols = {0};
    for (int i = 0; i < v->ncells; i++) {
        if (is_sched_cell(&v->cells[i]) != sched_part || v->cells[i].m[mi].n == 0) continue;
        if (!asb_strlist_has(&rows, v->cell_group[i])) asb_strlist_push(&rows, v->cell_group[i]);
        if (!asb_strlist_has(&cols, v->cell_series[i])) asb_strlist_push(&cols, v->cell_series[i]);
    }
    int status = 0;
    char *dat = asb_xasprintf("%s/%s.dat", plot_dir, name);
    FILE *f = rows.n ? fopen(dat, "w") : NULL;
    if (rows.n && !f) {
        fprintf(stderr, "asbench: cannot write %s: %s\n", dat, strerror(errno));
        status = -1;
    }
    if (f) {
        fprintf(f, "# column row log2(ratio) kind \"ratio\" \"interval\" of %s; kind 0 differs, 1 no difference, "
                   "2 no ratio, 3 baseline\n", metric);
        for (int i = 0; i < v->ncells; i++) {
            if (is_sched_cell(&v->cells[i]) != sched_part || v->cells[i].m[mi].n == 0) continue;
            int x = 0, y = 0;
            while (strcmp(cols.items[x], v->cell_series[i])) x++;
            while (strcmp(rows.items[y], v->cell_group[i])) y++;
            asb_ratio r = asb_report_ratio(v, i, mi);
            if (r.is_baseline) fprintf(f, "%d %d 0 3 \"baseline\" \"\"\n", x, y);
            else if (isnan(r.ratio)) fprintf(f, "%d %d 0 2 \"NA\" \"other machine\"\n", x, y);
            else
                fprintf(f, "%d %d %.4f %d \"%.3g%s\" \"[%.3g, %.3g]\"\n", x, y, fmax(-2, fmin(2, log2(r.ratio))),
                        asb_ratio_no_difference(r), r.ratio, asb_ratio_no_difference(r) ? " =" : "", r.lo, r.hi);
        }
        fclose(f);
        char *xt = tics_command("xtics", &cols), *yt = tics_command("ytics", &rows);
        /* Room for the title and the colour bar's label; a column per series, a row per group. */
        int width = 260 + 120 * cols.n < 820 ? 820 : 260 + 120 * cols.n;
        int height = 170 + 36 * rows.n < 340 ? 340 : 170 + 36 * rows.n;
        char *vars = asb_xasprintf("datafile = '%s'\nncols = %d\nnrows = %d\nchart_title = '%s%s relative to %s%s "
                                   "(median ratio and its 95%% interval; grey \"=\": no difference)'\n"
                                   "chart_width = %d\nchart_height = %d\n%s%s",
                                   dat, cols.n, rows.n, sched_part ? "scheduler workloads: " : "", what,
                                   sched_part ? "gmp+" : "", v->baseline, width, height, xt, yt);
        status = asb_plot_driver(plot_dir, name, "heatmap.gp", vars) == 0 ? 1 : -1;
        free(vars);
        free(xt);
        free(yt);
    }
    free(dat);
    asb_strlist_free(&rows);
    asb_strlist_free(&cols);
    return status;
}

static const struct {
    const char *name, *metric, *what;
} maps[] = {{"heatmap-time", "ns_per_op", "time per op"}, {"heatmap-peak_rss", "peak_rss_kb", "peak RSS"}};

int asb_heatmaps(const asb_report_view *v, const char *plot_dir, asb_strlist *drawn) {
    int status = 0;
    for (size_t m = 0; m < sizeof maps / sizeof *maps; m++)
        for (int part = 0; part < 2; part++) {
            char *name = asb_xasprintf("%s%s", maps[m].name, part ? "-sched" : "");
            int r = heatmap(v, plot_dir, name, maps[m].metric, maps[m].what, part);
            if (r > 0) asb_strlist_push(drawn, name);
            if (r < 0) status = -1;
            free(name);
        }
    return status;
}

bool asb_series_geomean(const asb_report_view *v, const char *series, int mi, double *g, double *lo, double *hi,
                        int *n) {
    double *ratios = asb_xmalloc((size_t)(v->ncells ? v->ncells : 1) * sizeof *ratios);
    int k = 0;
    for (int i = 0; i < v->ncells; i++) {
        if (strcmp(v->cell_series[i], series)) continue;
        asb_ratio r = asb_report_ratio(v, i, mi);
        if (!r.is_baseline && !isnan(r.ratio) && r.ratio > 0) ratios[k++] = r.ratio;
    }
    asb_interval ci = {NAN, NAN, NAN};
    if (k) *g = asb_geomean(ratios, k, 0.05, &ci);
    *lo = ci.lo, *hi = ci.hi, *n = k;
    free(ratios);
    return k > 0;
}

void asb_heatmap_markdown(FILE *f, const asb_report_view *v) {
    if (v->heatmaps->n == 0) return;
    fprintf(f, "## Overview\n\nEach cell: the median ratio to **%s** in the same group and on the same machine, with its "
               "95%% interval (as `asbench compare` computes it); blue is faster, red slower, grey (`=`) means the "
               "interval holds 1: no difference shown.\n\n", v->baseline);
    for (int i = 0; i < v->heatmaps->n; i++)
        fprintf(f, "![%s](plots/%s.png)\n\n([SVG](plots/%s.svg))\n\n", v->heatmaps->items[i], v->heatmaps->items[i],
                v->heatmaps->items[i]);
    asb_strlist series = {0};
    for (int i = 0; i < v->ncells; i++)
        if (!asb_strlist_has(&series, v->cell_series[i])) asb_strlist_push(&series, v->cell_series[i]);
    for (size_t m = 0; m < sizeof maps / sizeof *maps; m++) {
        int mi = asb_metric_index(maps[m].metric), shown = 0;
        for (int s = 0; s < series.n; s++) {
            double g, lo, hi;
            int n;
            if (!asb_series_geomean(v, series.items[s], mi, &g, &lo, &hi, &n)) continue;
            if (!shown++)
                fprintf(f, "**Geometric mean of the %s ratios** (95%% t-interval across the cells):", maps[m].what);
            fprintf(f, "%s %s %.3f", shown > 1 ? " ·" : "", series.items[s], g);
            if (n >= 2) fprintf(f, " [%.3f, %.3f]", lo, hi);
            fprintf(f, " (%d cell%s)", n, n == 1 ? "" : "s");
        }
        if (shown) fputs("\n\n", f);
    }
    asb_strlist_free(&series);
}
