/*
 * report.h — the overview of a results folder and the history across runs:
 *   heatmap.c      ratio heatmaps (workload × backend, log colour scale) and
 *                  the per-backend geometric means under them
 *   report_html.c  DIR/report.html (self-contained; plots/report.js inlined)
 *   db.c           the SQLite results store: `asbench db add|query|bisect`
 *   history.c      `asbench history`: trends and change points per cell and
 *                  machine, as an HTML page
 */
#ifndef ASB_REPORT_H
#define ASB_REPORT_H

#include <stdio.h>

#include "asbench.h"

/* A ratio to the baseline with its 95% interval (stats.h asb_ratio_ci);
 * NaN when the cell has no baseline on its machine or no values. */
typedef struct asb_ratio {
    double ratio, lo, hi;
    bool is_baseline; /* the cell is its group's baseline: ratio 1 by definition */
} asb_ratio;

/* The interval holds 1: the data show no difference from the baseline. */
bool asb_ratio_no_difference(asb_ratio r);

/* What plot.c knows about a results folder, shared with the heatmap and the
 * HTML report: cells with their group (row) and series (column) names and
 * each cell's baseline (-1 when that ran on another machine). */
typedef struct asb_report_view {
    const char *dir, *baseline;
    const asb_cell_summary *cells;
    int ncells;
    char **cell_group, **cell_series;
    const int *baseline_of;
    const asb_strlist *charts; /* charts drawn into DIR/plots (NAME.png, NAME.svg) */
    const asb_strlist *heatmaps; /* the heatmaps among them */
} asb_report_view;

asb_ratio asb_report_ratio(const asb_report_view *v, int cell, int metric_index);

/* plot.c: writes DIR/plots/NAME.gp (variables, then plots/TEMPLATE) and runs
 * gnuplot on it for PNG and SVG; 0 or -1 with a message. */
int asb_plot_driver(const char *plot_dir, const char *name, const char *template_name, const char *vars);

/* heatmap.c: heatmap-time[-sched] and heatmap-peak_rss[-sched] into
 * plot_dir, the names drawn pushed onto drawn; 0 or -1. */
int asb_heatmaps(const asb_report_view *v, const char *plot_dir, asb_strlist *drawn);
/* Markdown: the heatmaps, then a line of per-series geometric means of the
 * ratios of each metric. */
void asb_heatmap_markdown(FILE *f, const asb_report_view *v);
/* Per series: geometric mean of the cells' ratios of metric (baseline cells
 * excluded), its 95% t-interval and the number of cells; false if none. */
bool asb_series_geomean(const asb_report_view *v, const char *series, int metric_index, double *g, double *lo,
                        double *hi, int *n);

/* report_html.c: DIR/report.html; 0 or -1 with a message. */
int asb_write_report_html(const asb_report_view *v);

/* HTML output shared by report.html and the history page. */
void asb_html_text(FILE *f, const char *s);
/* <!doctype html> … <body>, with the style sheet. */
void asb_html_head(FILE *f, const char *title);
/* plots/report.js inlined, then </body></html>; -1 if it cannot be read. */
int asb_html_tail(FILE *f);

/* report_net.c: report.md's "Server workloads" section (echo, rpc, open-loop,
 * idle-conns: quantiles, CCDFs, open-loop latency against load); nothing
 * when DIR/results.csv has no ok row of them. */
void asb_report_net(FILE *f, const char *dir);

/* report_apps.c: report.md's "Applications" section (wall time, own
 * throughput and peak RSS of the app: cells relative to the baseline, with
 * intervals, and two charts); nothing without app rows. */
void asb_report_apps(FILE *f, const asb_report_view *v);

/* db.c / history.c */
int asb_cmd_db(int argc, char **argv);
int asb_cmd_history(int argc, char **argv);

#endif
