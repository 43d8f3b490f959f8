/*
 * report_net.c — report.md's "Server workloads" section (issue 17), for
 * the cells of echo, rpc, open-loop and idle-conns: a table of throughput
 * and latency quantiles (medians over the ok repetitions), latency CCDFs,
 * and open-loop's latency against offered load.
 *
 * The workloads report their merged request-latency histogram as a ladder
 * of quantiles (extra lat_p50_ns … lat_p9999_ns, lat_max_ns); a CCDF is
 * drawn through the ladder's medians — the value v_q at quantile q has a
 * fraction 1 - q of requests slower, the maximum 1/requests — with
 * asb_plot_ccdf (ccdf.c).  Charts: per comparison group of echo, rpc and
 * idle-conns one CCDF with a line per scheduler; per scheduler and thread
 * count of open-loop one CCDF with a line per offered rate; per thread
 * count one latency-vs-load chart (p99 against offered rate, a line per
 * scheduler; plots/latency_load.gp).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "latency_files.h"
#include "report.h"

static const char *const net_workloads[] = {"echo", "rpc", "open-loop", "idle-conns"};
/* The ladder, with the fraction of requests slower than each rung. */
static const struct {
    const char *metric;
    double above;
} ladder[] = {{"lat_p50_ns", 0.5},     {"lat_p75_ns", 0.25},     {"lat_p90_ns", 0.1}, {"lat_p99_ns", 0.01},
              {"lat_p999_ns", 0.001}, {"lat_p9999_ns", 0.0001}, {"lat_max_ns", 0}};
enum { NLADDER = sizeof ladder / sizeof *ladder };
enum { M_OPS = NLADDER, M_NS_PER_OP, M_OFFERED, M_ACHIEVED, M_RSS_CONN, NMETRICS };
static const char *const metrics[NMETRICS] = {
    "lat_p50_ns", "lat_p75_ns", "lat_p90_ns", "lat_p99_ns", "lat_p999_ns", "lat_p9999_ns", "lat_max_ns",
    "ops", "ns_per_op", "offered_rps", "achieved_rps", "rss_per_conn_bytes"};

static bool is_net(const char *workload) {
    for (size_t i = 0; i < sizeof net_workloads / sizeof *net_workloads; i++)
        if (!strcmp(workload, net_workloads[i])) return true;
    return false;
}

static double med(const asb_cell_summary *c, int m) { return c->m[m].n ? c->m[m].median : NAN; }

static char *series_name(const asb_cell_summary *c) {
    if (!strcmp(c->sched, "NA") || !strcmp(c->backend, "go")) return asb_xstrdup(c->backend);
    return asb_xasprintf("%s+%s", c->sched, c->backend);
}

/* The parameters without the words the load sweep and calibration change. */
static char *params_beside_load(const char *params) {
    asb_strlist words = {0};
    asb_strlist_split(&words, params, ' ');
    char *out = asb_xstrdup("");
    for (int i = 0; i < words.n; i++) {
        if (!strncmp(words.items[i], "rate=", 5) || !strncmp(words.items[i], "requests=", 9)) continue;
        char *next = asb_xasprintf("%s%s%s", out, *out ? " " : "", words.items[i]);
        free(out);
        out = next;
    }
    asb_strlist_free(&words);
    return out;
}

static void md_num(FILE *f, double v) {
    if (isnan(v)) fputs(" NA |", f);
    else fprintf(f, " %.0f |", v);
}

static void table(FILE *f, const asb_cell_summary *cells, int n) {
    fputs("| workload | scheduler | backend | threads | params | ok/runs | req/s | p50 ns | p99 ns | p99.9 ns "
          "| max ns | offered req/s | RSS/conn B |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
          f);
    for (int i = 0; i < n; i++) {
        const asb_cell_summary *c = &cells[i];
        if (!is_net(c->workload)) continue;
        fprintf(f, "| %s | %s | %s | %s | `%s` | %d/%d |", c->workload, c->sched, c->backend, c->threads, c->params,
                c->ok, c->runs);
        /* Closed loop: requests over the timed region; open loop: achieved;
         * idle-conns: none (its pauses set the pace). */
        double ns = med(c, M_NS_PER_OP);
        md_num(f, !strcmp(c->workload, "open-loop")    ? med(c, M_ACHIEVED)
                  : !strcmp(c->workload, "idle-conns") ? NAN
                  : ns > 0                             ? 1e9 / ns
                                                       : NAN);
        md_num(f, med(c, 0));
        md_num(f, med(c, 3));
        md_num(f, med(c, 4));
        md_num(f, med(c, 6));
        md_num(f, med(c, M_OFFERED));
        md_num(f, med(c, M_RSS_CONN));
        fputc('\n', f);
    }
    fputc('\n', f);
}

/* DIR/latency/PATH: ns,fraction_above through the cell's ladder; 0 or -1. */
static int write_ladder(const char *path, const asb_cell_summary *c) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "asbench: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fputs("ns,fraction_above\n", f);
    double ops = med(c, M_OPS);
    for (int k = 0; k < NLADDER; k++) {
        double v = med(c, k), above = ladder[k].above > 0 ? ladder[k].above : ops > 0 ? 1 / ops : NAN;
        if (!isnan(v) && !isnan(above) && v > 0) fprintf(f, "%.0f,%g\n", v, above);
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* One CCDF chart of the cells with chosen[i], a line titled title_of each. */
static void ccdf_chart(FILE *f, const char *dir, const char *plot_dir, const char *name, const char *title,
                       const asb_cell_summary *cells, int n, const bool *chosen, char *(*title_of)(const asb_cell_summary *)) {
    asb_strlist files = {0}, series = {0};
    for (int i = 0; i < n; i++) {
        if (!chosen[i] || !cells[i].m[3].n) continue;
        char *t = title_of(&cells[i]);
        char *path = asb_xasprintf("%s/latency/%s-%s.csv", dir, name, t);
        if (write_ladder(path, &cells[i]) == 0) {
            asb_strlist_push(&files, path);
            asb_strlist_push(&series, t);
        }
        free(path);
        free(t);
    }
    if (files.n && asb_plot_ccdf(plot_dir, name, title, &files, &series) == 0)
        fprintf(f, "### %s\n\n![%s](plots/%s.png)\n\n([SVG](plots/%s.svg))\n\n", title, name, name, name);
    asb_strlist_free(&files);
    asb_strlist_free(&series);
}

static char *rate_title(const asb_cell_summary *c) { return asb_xasprintf("%.0frps", med(c, M_OFFERED)); }

/* Per thread count (and parameters beside the load): p99 against offered
 * rate, a line per series, drawn from DIR/plots/NAME.dat. */
static void load_chart(FILE *f, const char *plot_dir, const char *name, const char *title,
                       const asb_cell_summary *cells, int n, const bool *chosen) {
    asb_strlist series = {0}, rates = {0};
    for (int i = 0; i < n; i++) {
        if (!chosen[i] || !cells[i].m[3].n || isnan(med(&cells[i], M_OFFERED))) continue;
        char *s = series_name(&cells[i]), *rate = asb_xasprintf("%.0f", med(&cells[i], M_OFFERED));
        if (!asb_strlist_has(&series, s)) asb_strlist_push(&series, s);
        if (!asb_strlist_has(&rates, rate)) asb_strlist_push(&rates, rate);
        free(s);
        free(rate);
    }
    char *dat = asb_xasprintf("%s/%s.dat", plot_dir, name);
    FILE *d = rates.n > 1 ? fopen(dat, "w") : NULL;
    for (int r = 0; d && r < rates.n; r++) {
        fputs(rates.items[r], d);
        for (int s = 0; s < series.n; s++) {
            double p99 = NAN;
            for (int i = 0; i < n && isnan(p99); i++) {
                if (!chosen[i] || !cells[i].m[3].n) continue;
                char *si = series_name(&cells[i]), *rate = asb_xasprintf("%.0f", med(&cells[i], M_OFFERED));
                if (!strcmp(si, series.items[s]) && !strcmp(rate, rates.items[r])) p99 = med(&cells[i], 3);
                free(si);
                free(rate);
            }
            fprintf(d, " %g", p99);
        }
        fputc('\n', d);
    }
    if (d && fclose(d) == 0) {
        char *sl = asb_xstrdup("");
        for (int s = 0; s < series.n; s++) {
            char *next = asb_xasprintf("%s%s%s", sl, s ? " " : "", series.items[s]);
            free(sl);
            sl = next;
        }
        char *vars = asb_xasprintf("datafile = '%s'\nseries = '%s'\nchart_title = '%s'\n", dat, sl, title);
        if (asb_plot_driver(plot_dir, name, "latency_load.gp", vars) == 0)
            fprintf(f, "### %s\n\n![%s](plots/%s.png)\n\n([SVG](plots/%s.svg))\n\n", title, name, name, name);
        free(vars);
        free(sl);
    }
    free(dat);
    asb_strlist_free(&series);
    asb_strlist_free(&rates);
}

static void charts(FILE *f, const char *dir, const asb_cell_summary *cells, int n) {
    char *plot_dir = asb_xasprintf("%s/plots", dir), *lat_dir = asb_xasprintf("%s/latency", dir);
    if (!asb_program_on_path("gnuplot") || asb_mkdirs(plot_dir) != 0 || asb_mkdirs(lat_dir) != 0) {
        fputs("_No charts: gnuplot is missing (Debian package gnuplot-nox) or the folders cannot be made._\n\n", f);
        free(plot_dir);
        free(lat_dir);
        return;
    }
    bool *chosen = asb_xmalloc((size_t)n * sizeof *chosen), *done = calloc((size_t)n, sizeof *done);
    if (!done) asb_die("out of memory");
    int chart_no = 0;
    for (int i = 0; i < n; i++) {
        if (done[i] || !is_net(cells[i].workload)) continue;
        bool open_loop = !strcmp(cells[i].workload, "open-loop");
        char *group = params_beside_load(cells[i].params), *series = series_name(&cells[i]);
        /* echo, rpc, idle-conns: one comparison group (workload, params,
         * threads); open-loop: one series at one thread count, every rate. */
        for (int j = 0; j < n; j++) {
            char *gj = params_beside_load(cells[j].params), *sj = series_name(&cells[j]);
            chosen[j] = !done[j] && !strcmp(cells[j].workload, cells[i].workload) &&
                        !strcmp(cells[j].threads, cells[i].threads) &&
                        (open_loop ? !strcmp(gj, group) && !strcmp(sj, series) : !strcmp(cells[j].params, cells[i].params));
            done[j] |= chosen[j];
            free(gj);
            free(sj);
        }
        char *name = asb_xasprintf("net-ccdf-%d-%s", ++chart_no, cells[i].workload);
        char *title = open_loop ? asb_xasprintf("open-loop %s t=%s: latency CCDF per offered rate (%s)", series,
                                                cells[i].threads, group)
                                : asb_xasprintf("%s t=%s: request latency CCDF (%s)", cells[i].workload,
                                                cells[i].threads, cells[i].params);
        ccdf_chart(f, dir, plot_dir, name, title, cells, n, chosen, open_loop ? rate_title : series_name);
        free(name);
        free(title);
        free(group);
        free(series);
    }
    /* Latency against load: open-loop, per thread count and parameters. */
    memset(done, 0, (size_t)n * sizeof *done);
    for (int i = 0; i < n; i++) {
        if (done[i] || strcmp(cells[i].workload, "open-loop")) continue;
        char *group = params_beside_load(cells[i].params);
        for (int j = 0; j < n; j++) {
            char *gj = params_beside_load(cells[j].params);
            chosen[j] = !done[j] && !strcmp(cells[j].workload, "open-loop") &&
                        !strcmp(cells[j].threads, cells[i].threads) && !strcmp(gj, group);
            done[j] |= chosen[j];
            free(gj);
        }
        char *name = asb_xasprintf("net-load-%d", ++chart_no);
        char *title = asb_xasprintf("open-loop t=%s: p99 latency against offered load (%s)", cells[i].threads, group);
        load_chart(f, plot_dir, name, title, cells, n, chosen);
        free(name);
        free(title);
        free(group);
    }
    free(chosen);
    free(done);
    free(plot_dir);
    free(lat_dir);
}

void asb_report_net(FILE *f, const char *dir) {
    asb_results r;
    if (asb_results_load_dir(dir, &r) != 0) return;
    asb_cell_summary *cells;
    int n = asb_summarize_metrics(&r, 0.05, metrics, NMETRICS, &cells);
    bool any = false;
    for (int i = 0; i < n && !any; i++) any = is_net(cells[i].workload) && cells[i].ok > 0;
    if (any) {
        fputs("## Server workloads\n\n"
              "Loopback TCP through each scheduler's socket calls, client and server tasks in the same worker "
              "(docs/net.md). Medians of the ok repetitions. req/s: requests over the timed region (open-loop: "
              "achieved; none for idle-conns, whose pauses set the pace). Latency per request, from the write to the last byte of the reply — open-loop from the "
              "time the request was due (wrk2), so a stall shows in the tail. The CCDFs are drawn through the "
              "quantile ladder the workers report (p50, p75, p90, p99, p99.9, p99.99, max at 1/requests).\n\n",
              f);
        table(f, cells, n);
        charts(f, dir, cells, n);
    }
    asb_summary_free(cells, n);
    asb_results_free(&r);
}
