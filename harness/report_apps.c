/*
 * report_apps.c — report.md's "Applications" section (issue 16), for the
 * cells of the `app:` workloads: per application and backend the wall time,
 * the application's own throughput and the peak RSS, each as a ratio to the
 * baseline backend's run of the same application (same machine) with its
 * 95% interval (stats.h asb_ratio_ci), which library served malloc, and two
 * clustered-bar charts (plots/bars.gp): wall time and own throughput
 * relative to the baseline, one cluster per application.
 *
 * Own throughput: a server's requests/s as its client measured it
 * (extra app_rps: redis-benchmark, ab, asb-kvclient), else the
 * application's own units per second (ops ÷ wall: documents, nodes,
 * records, files, statements …), so higher is better.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "stats.h"

static const char *const app_metrics[] = {"wall_s", "ns_per_op", "app_rps", "peak_rss_kb"};
enum { WALL, NS_PER_OP, RPS, PEAK, NMETRICS };

typedef struct app_ratios {
    asb_ratio wall, own, peak;
} app_ratios;

static bool is_app(const asb_cell_summary *c) { return !strncmp(c->workload, "app:", 4); }

/* The baseline's cell of c's application (same parameters, threads and
 * machine), or -1. */
static int baseline_of(const asb_cell_summary *cells, int n, int c, const char *baseline) {
    for (int i = 0; i < n; i++)
        if (!strcmp(cells[i].backend, baseline) && !strcmp(cells[i].workload, cells[c].workload) &&
            !strcmp(cells[i].params, cells[c].params) && !strcmp(cells[i].threads, cells[c].threads) &&
            asb_same_machine(&cells[i], &cells[c]))
            return i;
    return -1;
}

/* c ÷ b of metric m; inverted (b ÷ c, interval flipped) for a time per unit
 * read as a throughput. */
static asb_ratio ratio(const asb_cell_summary *c, const asb_cell_summary *b, int m, bool invert) {
    asb_ratio r = {NAN, NAN, NAN, c == b};
    const asb_metric_stats *sc = &c->m[m], *sb = &b->m[m];
    if (c == b) return (asb_ratio){1, 1, 1, true};
    if (!sc->n || !sb->n || !(sb->median > 0) || !(sc->median > 0)) return r;
    asb_interval ci = asb_ratio_ci(b->values[m], sb->n, c->values[m], sc->n, 0.05);
    if (!invert) return (asb_ratio){sc->median / sb->median, ci.lo, ci.hi, false};
    return (asb_ratio){sb->median / sc->median, ci.hi > 0 ? 1 / ci.hi : NAN, ci.lo > 0 ? 1 / ci.lo : NAN, false};
}

static app_ratios ratios_of(const asb_cell_summary *cells, int n, int i, const char *baseline) {
    int b = baseline_of(cells, n, i, baseline);
    app_ratios r = {{NAN, NAN, NAN, false}, {NAN, NAN, NAN, false}, {NAN, NAN, NAN, false}};
    if (b < 0) return r;
    bool server = cells[i].m[RPS].n > 0;
    r.wall = ratio(&cells[i], &cells[b], WALL, false);
    r.own = server ? ratio(&cells[i], &cells[b], RPS, false) : ratio(&cells[i], &cells[b], NS_PER_OP, true);
    r.peak = ratio(&cells[i], &cells[b], PEAK, false);
    return r;
}

static void md_ratio(FILE *f, asb_ratio r) {
    if (r.is_baseline) fputs(" 1 (baseline) |", f);
    else if (isnan(r.ratio)) fputs(" NA |", f);
    else fprintf(f, " %.3g [%.3g, %.3g]%s |", r.ratio, r.lo, r.hi, asb_ratio_no_difference(r) ? " =" : "");
}

/* The own figure's median, in its unit. */
static void md_own(FILE *f, const asb_cell_summary *c) {
    if (c->m[RPS].n) fprintf(f, " %.0f req/s |", c->m[RPS].median);
    else if (c->m[NS_PER_OP].n && c->m[NS_PER_OP].median > 0) fprintf(f, " %.4g /s |", 1e9 / c->m[NS_PER_OP].median);
    else fputs(" NA |", f);
}

/* The library that served malloc in the cell's first ok row. */
static const char *served_by(const asb_results *r, const asb_cell_summary *c, char *buf, size_t len) {
    snprintf(buf, len, "NA");
    for (int row = 0; row < r->nrows; row++) {
        char *key = asb_results_row_key(r, row);
        bool mine = !strcmp(key, c->key) && !strcmp(asb_results_get(r, row, "status"), "ok");
        free(key);
        const char *extra = asb_results_get(r, row, "extra"), *at = mine ? strstr(extra, "app_malloc_lib=") : NULL;
        if (at) {
            at += strlen("app_malloc_lib=");
            snprintf(buf, len, "%.*s", (int)strcspn(at, ";"), at);
            break;
        }
    }
    return buf;
}

/* One clustered-bar chart of a ratio (wall or own) per application; 1 drawn,
 * 0 nothing, -1 failed. */
static int chart(const asb_cell_summary *cells, int n, const app_ratios *rat, bool own, const char *plot_dir,
                 const char *baseline) {
    asb_strlist apps = {0}, series = {0};
    for (int i = 0; i < n; i++)
        if (is_app(&cells[i]) && !isnan(own ? rat[i].own.ratio : rat[i].wall.ratio)) {
            if (!asb_strlist_has(&apps, cells[i].workload)) asb_strlist_push(&apps, cells[i].workload);
            if (!asb_strlist_has(&series, cells[i].backend)) asb_strlist_push(&series, cells[i].backend);
        }
    const char *name = own ? "apps-throughput" : "apps-time";
    int status = 0;
    char *dat = asb_xasprintf("%s/%s.dat", plot_dir, name);
    FILE *f = apps.n && series.n > 1 ? fopen(dat, "w") : NULL;
    if (f) {
        for (int a = 0; a < apps.n; a++) {
            fprintf(f, "%s", apps.items[a] + 4);
            for (int s = 0; s < series.n; s++) {
                asb_ratio r = {NAN, NAN, NAN, false};
                for (int i = 0; i < n; i++)
                    if (!strcmp(cells[i].workload, apps.items[a]) && !strcmp(cells[i].backend, series.items[s]))
                        r = own ? rat[i].own : rat[i].wall;
                if (isnan(r.ratio)) fputs(" NaN NaN NaN", f);
                else fprintf(f, " %.5g %.5g %.5g", r.ratio, r.lo, r.hi);
            }
            fputc('\n', f);
        }
        fclose(f);
        char *sl = asb_strlist_join(&series);
        char *vars = asb_xasprintf("datafile = '%s'\nseries = '%s'\nchart_title = 'applications: %s relative to %s "
                                   "(median, 95%% interval; %s)'\ny_label = '%s'\nbaseline_line = 1\n"
                                   "chart_width = %d\n",
                                   dat, sl, own ? "own throughput" : "wall time", baseline,
                                   own ? "higher is better" : "lower is better",
                                   own ? "throughput / baseline" : "wall time / baseline",
                                   600 + 40 * apps.n * series.n > 2400 ? 2400 : 600 + 40 * apps.n * series.n);
        status = asb_plot_driver(plot_dir, name, "bars.gp", vars) == 0 ? 1 : -1;
        free(vars);
        free(sl);
    }
    free(dat);
    asb_strlist_free(&apps);
    asb_strlist_free(&series);
    return status;
}

void asb_report_apps(FILE *out, const asb_report_view *v) {
    asb_results r;
    if (asb_results_load_dir(v->dir, &r) != 0) return;
    asb_cell_summary *cells;
    int n = asb_summarize_metrics(&r, 0.05, app_metrics, NMETRICS, &cells);
    bool any = false;
    for (int i = 0; i < n; i++) any |= is_app(&cells[i]) && cells[i].ok > 0;
    if (any) {
        app_ratios *rat = asb_xmalloc((size_t)n * sizeof *rat);
        for (int i = 0; i < n; i++) rat[i] = ratios_of(cells, n, i, v->baseline);
        fprintf(out, "## Applications\n\n"
                     "Real programs run under each backend (`app:` workloads, docs/workloads-apps.md): wall time, "
                     "the application's own throughput (a server's requests/s as its client measured it, else its "
                     "own units per second) and peak RSS, each relative to **%s** running the same application "
                     "on the same machine: median ratio and its 95%% interval (`=`: the interval holds 1, no "
                     "difference shown). Served by: the library that served malloc, as the preload shim found it.\n\n",
                v->baseline);
        char *plot_dir = asb_xasprintf("%s/plots", v->dir);
        if (asb_program_on_path("gnuplot") && asb_mkdirs(plot_dir) == 0)
            for (int own = 0; own < 2; own++)
                if (chart(cells, n, rat, own, plot_dir, v->baseline) == 1) {
                    const char *name = own ? "apps-throughput" : "apps-time";
                    fprintf(out, "![%s](plots/%s.png)\n\n([SVG](plots/%s.svg))\n\n", name, name, name);
                }
        free(plot_dir);
        fputs("| application | backend | threads | ok/runs | wall ÷ base | own throughput | own ÷ base (higher "
              "is better) | peak RSS ÷ base | served by |\n|---|---|---|---|---|---|---|---|---|\n",
              out);
        char lib[128];
        for (int i = 0; i < n; i++) {
            if (!is_app(&cells[i])) continue;
            fprintf(out, "| %s | %s | %s | %d/%d |", cells[i].workload + 4, cells[i].backend, cells[i].threads,
                    cells[i].ok, cells[i].runs);
            md_ratio(out, rat[i].wall);
            md_own(out, &cells[i]);
            md_ratio(out, rat[i].own);
            md_ratio(out, rat[i].peak);
            fprintf(out, " %s |\n", cells[i].ok ? served_by(&r, &cells[i], lib, sizeof lib) : cells[i].not_ok);
        }
        fputs("\n", out);
        free(rat);
    }
    asb_summary_free(cells, n);
    asb_results_free(&r);
}
