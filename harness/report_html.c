/*
 * report_html.c — DIR/report.html, the results folder for a reader: the
 * heatmaps first (gnuplot SVGs in DIR/plots, linked), the per-series
 * geometric means, every cell in one sortable and filterable table (median
 * and interval, ratio to the baseline with its verdict, peak RSS, noise
 * flags), the other charts on demand, the machine's environment and noise
 * from env.json, and links to the raw CSVs.  Self-contained: no network;
 * the one script (plots/report.js of the source tree) is inlined, so the
 * page works from a file:// URL or a copied folder.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

void asb_html_text(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

void asb_html_head(FILE *f, const char *title) {
    fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
    asb_html_text(f, title);
    fputs("</title>\n<style>\n"
          "body{font-family:sans-serif;margin:1.5em;max-width:110em}\n"
          "table{border-collapse:collapse;font-size:90%}\n"
          "th,td{border:1px solid #ccc;padding:2px 6px;text-align:left}\n"
          "th{background:#eee;cursor:pointer;user-select:none}\n"
          "th.sorted-asc::after{content:' \\25B2'}th.sorted-desc::after{content:' \\25BC'}\n"
          "td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
          ".faster{background:#d1e5f0}.slower{background:#fddbc7}.same{color:#666}\n"
          ".filters{margin:.5em 0}.filters label{margin-right:1em}\n"
          "img.heatmap{max-width:100%;border:1px solid #ddd}\n"
          "details.chart{margin:.3em 0}details.chart img{max-width:100%}\n"
          ".flag{color:#b2182b;font-weight:bold}\n"
          "</style></head><body>\n", f);
}

int asb_html_tail(FILE *f) {
    char *path = asb_xasprintf("%s/plots/report.js", asb_source_dir());
    char *js = asb_read_file(path, NULL);
    if (!js) {
        fprintf(stderr, "asbench: cannot read %s: %s (set ASBENCH_SOURCE_DIR to the source tree)\n", path,
                strerror(errno));
        free(path);
        return -1;
    }
    fprintf(f, "<script>\n/* %s */\n%s</script>\n</body></html>\n", path, js);
    free(js);
    free(path);
    return 0;
}

/* A numeric cell: data-v holds the figure the sort uses. */
static void num_td(FILE *f, double v, const char *text, const char *cls) {
    if (isnan(v)) fprintf(f, "<td class=\"num%s%s\" data-v=\"\">NA</td>", cls ? " " : "", cls ? cls : "");
    else fprintf(f, "<td class=\"num%s%s\" data-v=\"%.6g\">%s</td>", cls ? " " : "", cls ? cls : "", v, text);
}

static void interval_td(FILE *f, double lo, double hi) {
    char text[64];
    snprintf(text, sizeof text, "[%.4g, %.4g]", lo, hi);
    num_td(f, isnan(lo) ? NAN : lo, text, NULL);
}

/* The ratio, its interval and what they say. */
static void ratio_tds(FILE *f, asb_ratio r) {
    char text[32];
    snprintf(text, sizeof text, "%.3f", r.ratio);
    const char *verdict = r.is_baseline ? "baseline"
                          : isnan(r.ratio) ? "no ratio"
                          : asb_ratio_no_difference(r) ? "no difference"
                          : r.ratio < 1 ? "lower"
                                        : "higher";
    const char *cls = r.is_baseline || isnan(r.ratio) || asb_ratio_no_difference(r) ? "same"
                      : r.ratio < 1 ? "faster" : "slower";
    num_td(f, r.ratio, text, cls);
    interval_td(f, r.is_baseline ? NAN : r.lo, r.hi);
    fprintf(f, "<td class=\"%s\">%s</td>", cls, verdict);
}

static void cells_table(FILE *f, const asb_report_view *v) {
    int ns = asb_metric_index("ns_per_op"), rss = asb_metric_index("peak_rss_kb");
    fputs("<h2 id=\"cells-title\">Cells</h2>\n<p>Click a header to sort; the filters hide rows. Ratios are to the "
          "baseline of the cell's group on the same machine; <i>lower</i> / <i>higher</i> only where the 95% "
          "interval excludes 1.</p>\n"
          "<div class=\"filters\" data-table=\"cells\" data-columns=\"workload backend scheduler threads status\">"
          "<label>search <input type=\"search\" class=\"filter-text\"></label></div>\n"
          "<table id=\"cells\" class=\"sortable\"><thead><tr>"
          "<th>workload</th><th>params</th><th>threads</th><th>scheduler</th><th>backend</th><th>machine</th>"
          "<th>status</th><th>ok/runs</th><th>ns/op</th><th>ns/op 95% CI</th><th>time ratio</th><th>ratio CI</th>"
          "<th>time verdict</th><th>peak RSS kB</th><th>RSS ratio</th><th>RSS ratio CI</th><th>RSS verdict</th>"
          "<th>CV %</th><th>flags</th></tr></thead><tbody>\n", f);
    for (int i = 0; i < v->ncells; i++) {
        const asb_cell_summary *c = &v->cells[i];
        const asb_metric_stats *t = &c->m[ns], *r = &c->m[rss];
        fputs("<tr>", f);
        const char *texts[] = {c->workload, c->params, c->threads, c->sched, c->backend, c->machine,
                               c->ok == c->runs ? "ok" : c->ok ? "partly failed" : "failed"};
        for (size_t k = 0; k < sizeof texts / sizeof *texts; k++) {
            fputs(k == 2 ? "<td class=\"num\">" : "<td>", f);
            asb_html_text(f, texts[k]);
            fputs("</td>", f);
        }
        fprintf(f, "<td class=\"num\" data-v=\"%d\">%d/%d", c->ok, c->ok, c->runs);
        if (c->not_ok[0]) fputs(" ", f), asb_html_text(f, c->not_ok);
        fputs("</td>", f);
        char text[64];
        snprintf(text, sizeof text, "%.4g", t->median);
        num_td(f, t->n ? t->median : NAN, text, NULL);
        interval_td(f, t->n ? t->lo : NAN, t->hi);
        ratio_tds(f, asb_report_ratio(v, i, ns));
        snprintf(text, sizeof text, "%.0f", r->median);
        num_td(f, r->n ? r->median : NAN, text, NULL);
        ratio_tds(f, asb_report_ratio(v, i, rss));
        snprintf(text, sizeof text, "%.1f", 100 * t->cv);
        num_td(f, 100 * t->cv, text, t->cv > ASB_NOISY_CV ? "flag" : NULL);
        fputs("<td>", f);
        if (t->cv > ASB_NOISY_CV) fputs("noisy ", f);
        if (t->bimodal) fprintf(f, "bimodal: %.4g | %.4g", t->mode_lo, t->mode_hi);
        if (c->mixed_machines) fputs("mixed machines", f);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

static void geomean_table(FILE *f, const asb_report_view *v) {
    static const struct {
        const char *metric, *what;
    } metrics[] = {{"ns_per_op", "time"}, {"peak_rss_kb", "peak RSS"}};
    asb_strlist series = {0};
    for (int i = 0; i < v->ncells; i++)
        if (!asb_strlist_has(&series, v->cell_series[i])) asb_strlist_push(&series, v->cell_series[i]);
    fputs("<h3>Geometric mean of the ratios per backend</h3>\n<table id=\"geomeans\" class=\"sortable\"><thead><tr>"
          "<th>series</th><th>metric</th><th>cells</th><th>geometric mean</th><th>95% t-interval</th></tr></thead>"
          "<tbody>\n", f);
    for (size_t m = 0; m < sizeof metrics / sizeof *metrics; m++)
        for (int s = 0; s < series.n; s++) {
            double g, lo, hi;
            int n;
            if (!asb_series_geomean(v, series.items[s], asb_metric_index(metrics[m].metric), &g, &lo, &hi, &n)) continue;
            char text[32];
            fputs("<tr><td>", f);
            asb_html_text(f, series.items[s]);
            fprintf(f, "</td><td>%s</td><td class=\"num\" data-v=\"%d\">%d</td>", metrics[m].what, n, n);
            snprintf(text, sizeof text, "%.3f", g);
            num_td(f, g, text, lo > 1 ? "slower" : hi < 1 ? "faster" : NULL);
            interval_td(f, lo, hi);
            fputs("</tr>\n", f);
        }
    fputs("</tbody></table>\n", f);
    asb_strlist_free(&series);
}

/* env.json as data for the script (which renders it) and as text. */
static void environment(FILE *f, const char *dir) {
    char *path = asb_xasprintf("%s/env.json", dir), *json = asb_read_file(path, NULL);
    free(path);
    fputs("<h2>Environment and noise</h2>\n", f);
    if (!json) {
        fputs("<p>No env.json in this folder.</p>\n", f);
        return;
    }
    /* "</" cannot end the script element early when written "<\/". */
    fputs("<script type=\"application/json\" id=\"env-json\">", f);
    for (const char *p = json; *p; p++) {
        if (p[0] == '<' && p[1] == '/') fputs("<\\", f);
        else fputc(*p, f);
    }
    fputs("</script>\n<div id=\"env-view\"></div>\n<details><summary>env.json as written</summary><pre>", f);
    asb_html_text(f, json);
    fputs("</pre></details>\n", f);
    free(json);
}

int asb_write_report_html(const asb_report_view *v) {
    char *path = asb_xasprintf("%s/report.html", v->dir), *tmp = asb_xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "asbench: cannot write %s: %s\n", tmp, strerror(errno));
        free(path);
        free(tmp);
        return -1;
    }
    char *title = asb_xasprintf("asbench report: %s", v->dir);
    asb_html_head(f, title);
    fputs("<h1>", f);
    asb_html_text(f, title);
    fputs("</h1>\n<p>Raw data: <a href=\"results.csv\">results.csv</a> (one row per repetition), "
          "<a href=\"summary.csv\">summary.csv</a> (per cell), <a href=\"env.json\">env.json</a>, "
          "<a href=\"matrix.txt\">matrix.txt</a>; the same report as <a href=\"report.md\">Markdown</a>.</p>\n"
          "<h2>Overview</h2>\n", f);
    if (v->heatmaps->n == 0) fputs("<p>No heatmap was drawn (no gnuplot, or no cell with values).</p>\n", f);
    for (int i = 0; i < v->heatmaps->n; i++)
        fprintf(f, "<p><a href=\"plots/%s.svg\"><img class=\"heatmap\" id=\"%s\" src=\"plots/%s.svg\" "
                   "alt=\"%s\"></a></p>\n",
                v->heatmaps->items[i], v->heatmaps->items[i], v->heatmaps->items[i], v->heatmaps->items[i]);
    fputs("<p>Colour: the ratio to <b>", f);
    asb_html_text(f, v->baseline);
    fputs("</b> on a log scale (blue faster, red slower); grey cells' intervals hold 1 (no difference).</p>\n", f);
    geomean_table(f, v);
    cells_table(f, v);
    fputs("<h2>Charts</h2>\n<p>Open one to draw it.</p>\n", f);
    for (int i = 0; i < v->charts->n; i++) {
        fprintf(f, "<details class=\"chart\" data-src=\"plots/%s.svg\"><summary>", v->charts->items[i]);
        asb_html_text(f, v->charts->items[i]);
        fprintf(f, " (<a href=\"plots/%s.png\">PNG</a>)</summary></details>\n", v->charts->items[i]);
    }
    environment(f, v->dir);
    int status = asb_html_tail(f);
    if (fclose(f) != 0) status = -1;
    if (status == 0 && rename(tmp, path) != 0) {
        fprintf(stderr, "asbench: cannot write %s: %s\n", path, strerror(errno));
        status = -1;
    }
    if (status != 0) remove(tmp);
    free(title);
    free(path);
    free(tmp);
    return status;
}
