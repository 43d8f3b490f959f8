/*
 * history.c — what the results store says across commits:
 *   asbench history [--db FILE] [--metric M] -o DIR
 *       DIR/history.html: one trend chart per cell and machine (median and
 *       95% interval per stored run, in date order; machines are never
 *       mixed), the change points flagged on it, and the commits that
 *       changed a cell most
 *   asbench db bisect [--db FILE] [--metric M] KEY=VALUE …
 *       the first revision at which a cell's change point lies
 * Change points, with the statistics of `compare`: at each run k of a
 * series, the values of the (up to) WINDOW runs before k are compared with
 * those of k and the runs after it, up to WINDOW runs: the ratio of the
 * medians, its 95% interval (asb_ratio_ci) and a two-sided Mann–Whitney
 * test.  The p-values of every position of every series are adjusted
 * together (Benjamini–Hochberg); a position is a change when its adjusted p
 * is below 0.05 and its whole interval lies beyond ±5%.  A step makes its
 * neighbours significant too (their windows straddle it): of consecutive
 * flagged positions the one with the smallest p, where the windows split
 * the runs cleanly, is kept.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "stats.h"

enum { WINDOW = 3 };
static const double alpha = 0.05, threshold = 0.05;

static char *column_text(sqlite3_stmt *st, int i) {
    const unsigned char *t = sqlite3_column_text(st, i);
    return asb_xstrdup(t ? (const char *)t : "NA");
}

static void bind_values(sqlite3_stmt *st, const asb_strlist *values, int first) {
    for (int i = 0; i < values->n; i++) sqlite3_bind_text(st, first + i, values->items[i], -1, SQLITE_STATIC);
}

int asb_db_cells(sqlite3 *db, const char *path, const char *where, const asb_strlist *values, asb_db_cell **out) {
    char *sql = asb_xasprintf("SELECT DISTINCT cell, machine, workload, backend, scheduler, threads, params FROM rows "
                              "WHERE %s ORDER BY workload, params, CAST(threads AS INTEGER), scheduler, backend, machine",
                              where);
    sqlite3_stmt *st = asb_db_prepare(db, path, sql);
    free(sql);
    bind_values(st, values, 1);
    int n = 0, cap = 16, rc;
    asb_db_cell *cells = asb_xmalloc((size_t)cap * sizeof *cells);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap *= 2;
            asb_db_cell *grown = asb_xmalloc((size_t)cap * sizeof *cells);
            memcpy(grown, cells, (size_t)n * sizeof *cells);
            free(cells);
            cells = grown;
        }
        asb_db_cell *c = &cells[n++];
        c->cell = column_text(st, 0), c->machine = column_text(st, 1), c->workload = column_text(st, 2);
        c->backend = column_text(st, 3), c->scheduler = column_text(st, 4), c->threads = column_text(st, 5);
        c->params = column_text(st, 6);
        bool sched = strcmp(c->scheduler, "NA") != 0;
        c->label = asb_xasprintf("%s %s%s%s t=%s %s", c->workload, c->backend, sched ? " " : "",
                                 sched ? c->scheduler : "", c->threads, c->params);
    }
    if (rc != SQLITE_DONE) asb_db_fail(db, path, "reading the cells");
    sqlite3_finalize(st);
    *out = cells;
    return n;
}

void asb_db_cells_free(asb_db_cell *cells, int n) {
    for (int i = 0; i < n; i++) {
        asb_db_cell *c = &cells[i];
        free(c->cell), free(c->machine), free(c->label), free(c->workload), free(c->backend);
        free(c->scheduler), free(c->threads), free(c->params);
    }
    free(cells);
}

int asb_db_series(sqlite3 *db, const char *path, const asb_db_cell *c, int metric, asb_db_point **out) {
    /* The metric is one of the store's own column names (asb_db_metric). */
    char *sql = asb_xasprintf("SELECT runs.id, revision, date, folder, rows.%s FROM rows JOIN runs ON runs.id = rows.run_id "
                              "WHERE cell = ? AND rows.machine = ? AND status = 'ok' AND rows.%s IS NOT NULL "
                              "ORDER BY date, runs.id",
                              asb_db_metrics[metric], asb_db_metrics[metric]);
    sqlite3_stmt *st = asb_db_prepare(db, path, sql);
    free(sql);
    sqlite3_bind_text(st, 1, c->cell, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c->machine, -1, SQLITE_STATIC);
    int n = 0, rc, last_run = -1;
    asb_db_point *pts = NULL;
    int cap = 0, vcap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_int(st, 0) != last_run) {
            if (n == cap) {
                cap = cap ? 2 * cap : 8;
                asb_db_point *grown = asb_xmalloc((size_t)cap * sizeof *pts);
                if (n) memcpy(grown, pts, (size_t)n * sizeof *pts);
                free(pts);
                pts = grown;
            }
            last_run = sqlite3_column_int(st, 0);
            pts[n++] = (asb_db_point){column_text(st, 1), column_text(st, 2), column_text(st, 3), NULL, 0, NAN, NAN, NAN};
            vcap = 0;
        }
        asb_db_point *p = &pts[n - 1];
        if (p->n == vcap) {
            vcap = vcap ? 2 * vcap : 8;
            double *grown = asb_xmalloc((size_t)vcap * sizeof *grown);
            if (p->n) memcpy(grown, p->values, (size_t)p->n * sizeof *grown);
            free(p->values);
            p->values = grown;
        }
        p->values[p->n++] = sqlite3_column_double(st, 4);
    }
    if (rc != SQLITE_DONE) asb_db_fail(db, path, "reading a cell's runs");
    sqlite3_finalize(st);
    for (int i = 0; i < n; i++) {
        pts[i].median = asb_median(pts[i].values, pts[i].n);
        asb_interval ci = asb_median_ci(pts[i].values, pts[i].n, alpha);
        pts[i].lo = ci.lo, pts[i].hi = ci.hi;
    }
    *out = pts;
    return n;
}

void asb_db_series_free(asb_db_point *p, int n) {
    for (int i = 0; i < n; i++) free(p[i].revision), free(p[i].date), free(p[i].folder), free(p[i].values);
    free(p);
}

/* The comparison at run `at` of a series: runs [at-WINDOW, at) against [at, at+WINDOW). */
typedef struct change {
    int series, at;
    double ratio, lo, hi, p, p_adjusted;
    bool flagged;
} change;

static double *pooled(const asb_db_point *pts, int from, int to, int *n) {
    *n = 0;
    for (int i = from; i < to; i++) *n += pts[i].n;
    double *v = asb_xmalloc((size_t)(*n ? *n : 1) * sizeof *v), *o = v;
    for (int i = from; i < to; i++) memcpy(o, pts[i].values, (size_t)pts[i].n * sizeof *v), o += pts[i].n;
    return v;
}

/* Appends the np-1 comparisons of a series to *all. */
static void compare_windows(const asb_db_point *pts, int np, int series, change **all, int *n, int *cap) {
    for (int at = 1; at < np; at++) {
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 64;
            change *grown = asb_xmalloc((size_t)*cap * sizeof *grown);
            if (*n) memcpy(grown, *all, (size_t)*n * sizeof *grown);
            free(*all);
            *all = grown;
        }
        int nb, na;
        double *before = pooled(pts, at > WINDOW ? at - WINDOW : 0, at, &nb);
        double *after = pooled(pts, at, at + WINDOW < np ? at + WINDOW : np, &na);
        asb_interval ci = asb_ratio_ci(before, nb, after, na, alpha);
        double p = asb_mann_whitney(before, nb, after, na).p_two_sided;
        double ratio = asb_median(after, na) / asb_median(before, nb);
        (*all)[(*n)++] = (change){series, at, ratio, ci.lo, ci.hi, p, NAN, false};
        free(before);
        free(after);
    }
}

/* Benjamini–Hochberg over every comparison, then one change per step. */
static void flag_changes(change *all, int n) {
    double *p = asb_xmalloc((size_t)(n ? n : 1) * sizeof *p), *adjusted = asb_xmalloc((size_t)(n ? n : 1) * sizeof *p);
    for (int i = 0; i < n; i++) p[i] = all[i].p;
    asb_bh_adjust(p, n, adjusted);
    for (int i = 0; i < n; i++) {
        all[i].p_adjusted = adjusted[i];
        all[i].flagged = adjusted[i] < alpha && (all[i].lo > 1 + threshold || all[i].hi < 1 - threshold);
    }
    /* Runs of consecutive flagged positions of one series keep their smallest p. */
    for (int i = 0; i < n;) {
        if (!all[i].flagged) {
            i++;
            continue;
        }
        int end = i, best = i;
        while (end + 1 < n && all[end + 1].flagged && all[end + 1].series == all[i].series &&
               all[end + 1].at == all[end].at + 1 && (all[end + 1].ratio > 1) == (all[i].ratio > 1))
            end++;
        for (int k = i; k <= end; k++) {
            if (all[k].p < all[best].p || (all[k].p == all[best].p && fabs(log(all[k].ratio)) > fabs(log(all[best].ratio))))
                best = k;
        }
        for (int k = i; k <= end; k++) all[k].flagged = k == best;
        i = end + 1;
    }
    free(p);
    free(adjusted);
}

/* An inline SVG: medians joined, intervals as bars, change points in red. */
static void trend_svg(FILE *f, const asb_db_point *pts, int np, const change *changes, const char *metric) {
    const double w = 420, h = 130, left = 58, right = 10, top = 10, bottom = 22;
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < np; i++) lo = fmin(lo, pts[i].lo), hi = fmax(hi, pts[i].hi);
    if (!(hi > lo)) lo -= 1, hi += 1;
    double pad = 0.05 * (hi - lo);
    lo -= pad, hi += pad;
#define X(i) (left + (np > 1 ? (i) * (w - left - right) / (np - 1) : (w - left - right) / 2))
#define Y(v) (top + (hi - (v)) * (h - top - bottom) / (hi - lo))
    fprintf(f, "<svg class=\"trend\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
               "xmlns=\"http://www.w3.org/2000/svg\" font-size=\"10\">", w, h, w, h);
    fprintf(f, "<text x=\"2\" y=\"%.1f\">%.4g</text><text x=\"2\" y=\"%.1f\">%.4g</text>", Y(hi - pad) + 4, hi - pad,
            Y(lo + pad), lo + pad);
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%s per run, oldest left</text>", w / 2, h - 4, metric);
    for (int i = 0; i < np; i++)
        if (changes[i].flagged)
            fprintf(f, "<line class=\"change\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"#b2182b\" "
                       "stroke-dasharray=\"4 2\"/>", (X(i) + X(i - 1)) / 2, (X(i) + X(i - 1)) / 2, top, h - bottom);
    fputs("<polyline fill=\"none\" stroke=\"#2166ac\" points=\"", f);
    for (int i = 0; i < np; i++) fprintf(f, "%.1f,%.1f ", X(i), Y(pts[i].median));
    fputs("\"/>", f);
    for (int i = 0; i < np; i++) {
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>", X(i), X(i), Y(pts[i].lo),
                Y(pts[i].hi));
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#2166ac\"><title>%.12s %s: %.4g [%.4g, %.4g], n=%d"
                   "</title></circle>", X(i), Y(pts[i].median), pts[i].revision, pts[i].date, pts[i].median,
                pts[i].lo, pts[i].hi, pts[i].n);
    }
#undef X
#undef Y
    fputs("</svg>", f);
}

/* Every series of the cells, compared and flagged: changes[s] points at
 * series s's comparisons, indexed by run (entry 0 unused). */
typedef struct history {
    asb_db_cell *cells;
    int ncells;
    asb_db_point **pts;
    int *np;
    change *all;
    int nall;
    change **changes;
} history;

static void load_history(history *hs, sqlite3 *db, const char *path, const char *where, const asb_strlist *values,
                         int metric) {
    hs->ncells = asb_db_cells(db, path, where, values, &hs->cells);
    size_t n = (size_t)(hs->ncells ? hs->ncells : 1);
    hs->pts = asb_xmalloc(n * sizeof *hs->pts);
    hs->np = asb_xmalloc(n * sizeof *hs->np);
    hs->changes = asb_xmalloc(n * sizeof *hs->changes);
    hs->all = NULL;
    hs->nall = 0;
    int cap = 0;
    for (int c = 0; c < hs->ncells; c++) {
        hs->np[c] = asb_db_series(db, path, &hs->cells[c], metric, &hs->pts[c]);
        compare_windows(hs->pts[c], hs->np[c], c, &hs->all, &hs->nall, &cap);
    }
    flag_changes(hs->all, hs->nall);
    for (int c = 0, k = 0; c < hs->ncells; c++) {
        hs->changes[c] = asb_xmalloc((size_t)(hs->np[c] ? hs->np[c] : 1) * sizeof(change));
        hs->changes[c][0] = (change){c, 0, NAN, NAN, NAN, NAN, NAN, false};
        for (int i = 1; i < hs->np[c]; i++) hs->changes[c][i] = hs->all[k++];
    }
}

static void free_history(history *hs) {
    for (int c = 0; c < hs->ncells; c++) {
        asb_db_series_free(hs->pts[c], hs->np[c]);
        free(hs->changes[c]);
    }
    asb_db_cells_free(hs->cells, hs->ncells);
    free(hs->pts), free(hs->np), free(hs->changes), free(hs->all);
}

int asb_db_bisect(const char *path, const char *metric, int nsel, char **selectors) {
    int mi = asb_db_metric(metric);
    asb_strlist values = {0};
    char *where = asb_db_where(nsel, selectors, &values);
    sqlite3 *db = asb_db_open(path, false);
    history hs;
    load_history(&hs, db, path, where, &values, mi);
    if (hs.ncells == 0) asb_die_usage("db bisect: no stored cell matches the selectors");
    int found = 0;
    for (int c = 0; c < hs.ncells; c++) {
        printf("%s on %s (%s, %d runs): ", hs.cells[c].label, hs.cells[c].machine, metric, hs.np[c]);
        int at = 1;
        while (at < hs.np[c] && !hs.changes[c][at].flagged) at++;
        if (at >= hs.np[c]) {
            printf("no change point\n");
            continue;
        }
        const change *ch = &hs.changes[c][at];
        const asb_db_point *p = &hs.pts[c][at];
        printf("first change at revision %s (%s, %s): ratio %.3f [%.3f, %.3f] of the runs from it to the runs "
               "before it, p = %.2g (BH-adjusted %.2g); last revision without it: %s\n",
               p->revision, p->date, p->folder, ch->ratio, ch->lo, ch->hi, ch->p, ch->p_adjusted,
               hs.pts[c][at - 1].revision);
        found++;
    }
    free_history(&hs);
    sqlite3_close(db);
    free(where);
    asb_strlist_free(&values);
    return found ? 0 : 1;
}

static int by_size(const void *a, const void *b) {
    double x = fabs(log((*(const change *const *)a)->ratio)), y = fabs(log((*(const change *const *)b)->ratio));
    return x < y ? 1 : x > y ? -1 : 0;
}

static void changes_table(FILE *f, const history *hs) {
    const change **flagged = asb_xmalloc((size_t)(hs->nall ? hs->nall : 1) * sizeof *flagged);
    int n = 0;
    for (int i = 0; i < hs->nall; i++)
        if (hs->all[i].flagged) flagged[n++] = &hs->all[i];
    qsort(flagged, (size_t)n, sizeof *flagged, by_size);
    fprintf(f, "<h2>The commits that changed a cell most</h2>\n<p>%d change points, largest first.</p>\n"
               "<table id=\"changes\" class=\"sortable\"><thead><tr><th>cell</th><th>machine</th><th>revision</th>"
               "<th>date</th><th>previous revision</th><th>ratio</th><th>95%% CI</th><th>p (BH)</th></tr></thead><tbody>\n",
            n);
    for (int i = 0; i < n; i++) {
        const change *ch = flagged[i];
        const asb_db_point *p = &hs->pts[ch->series][ch->at];
        fputs("<tr><td>", f);
        asb_html_text(f, hs->cells[ch->series].label);
        fputs("</td><td>", f);
        asb_html_text(f, hs->cells[ch->series].machine);
        fprintf(f, "</td><td class=\"revision\">%.12s</td><td>", p->revision);
        asb_html_text(f, p->date);
        fprintf(f, "</td><td>%.12s</td><td class=\"num %s\" data-v=\"%.6g\">%.3f</td><td class=\"num\" data-v=\"%.6g\">"
                   "[%.3f, %.3f]</td><td class=\"num\" data-v=\"%.6g\">%.2g</td></tr>\n",
                hs->pts[ch->series][ch->at - 1].revision, ch->ratio > 1 ? "slower" : "faster", ch->ratio, ch->ratio,
                ch->lo, ch->hi, ch->lo, ch->p_adjusted, ch->p_adjusted);
    }
    fputs("</tbody></table>\n", f);
    free(flagged);
}

static int write_history(const char *out_dir, const history *hs, const char *metric, const char *db_path) {
    if (asb_mkdirs(out_dir) != 0) {
        fprintf(stderr, "asbench: cannot create %s: %s\n", out_dir, strerror(errno));
        return -1;
    }
    char *path = asb_xasprintf("%s/history.html", out_dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "asbench: cannot write %s: %s\n", path, strerror(errno));
        free(path);
        return -1;
    }
    asb_html_head(f, "asbench history");
    fprintf(f, "<h1>asbench history: %s</h1>\n<p>From ", metric);
    asb_html_text(f, db_path);
    fprintf(f, ": %d cells × machines. Each chart is one cell on one machine (never mixed): the median and 95%% "
               "interval of every stored run, oldest left. A dashed red line is a change point: the %d runs before it "
               "and the runs from it on differ (two-sided Mann–Whitney, Benjamini–Hochberg across all positions, "
               "p < %.2g, and the interval of the ratio beyond ±%.0f%%; docs/report.md).</p>\n",
            hs->ncells, WINDOW, alpha, 100 * threshold);
    changes_table(f, hs);
    fputs("<h2 id=\"trends-title\">Trends</h2>\n<div class=\"filters\" data-table=\"trends\" "
          "data-columns=\"workload backend scheduler threads machine\"><label>search <input type=\"search\" "
          "class=\"filter-text\"></label></div>\n<table id=\"trends\" class=\"sortable\"><thead><tr><th>workload</th>"
          "<th>backend</th><th>scheduler</th><th>threads</th><th>params</th><th>machine</th><th>runs</th>"
          "<th>latest median</th><th>change points</th><th>trend</th></tr></thead><tbody>\n", f);
    for (int c = 0; c < hs->ncells; c++) {
        const asb_db_cell *cell = &hs->cells[c];
        int nchanges = 0;
        for (int i = 1; i < hs->np[c]; i++) nchanges += hs->changes[c][i].flagged;
        const char *texts[] = {cell->workload, cell->backend, cell->scheduler, cell->threads, cell->params, cell->machine};
        fputs("<tr>", f);
        for (int k = 0; k < 6; k++) {
            fputs(k == 3 ? "<td class=\"num\">" : "<td>", f);
            asb_html_text(f, texts[k]);
            fputs("</td>", f);
        }
        double last = hs->np[c] ? hs->pts[c][hs->np[c] - 1].median : NAN;
        fprintf(f, "<td class=\"num\">%d</td><td class=\"num\" data-v=\"%.6g\">%.4g</td><td class=\"num\">%d</td><td>",
                hs->np[c], last, last, nchanges);
        if (hs->np[c]) trend_svg(f, hs->pts[c], hs->np[c], hs->changes[c], metric);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
    int status = asb_html_tail(f);
    if (fclose(f) != 0) status = -1;
    if (status == 0) printf("history of %d cells in %s\n", hs->ncells, path);
    free(path);
    return status;
}

int asb_cmd_history(int argc, char **argv) {
    const char *path = ASB_DB_DEFAULT, *metric = "ns_per_op", *out = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: asbench history [--db FILE] [--metric M] -o DIR   (DIR/history.html)\n");
            return 0;
        }
        if (i + 1 >= argc) asb_die_usage("history: %s: need an option and its value (usage: asbench history [--db FILE] "
                                         "[--metric M] -o DIR)", argv[i]);
        if (!strcmp(argv[i], "--db")) path = argv[++i];
        else if (!strcmp(argv[i], "--metric")) metric = argv[++i];
        else if (!strcmp(argv[i], "-o")) out = argv[++i];
        else asb_die_usage("history: unknown option %s (usage: asbench history [--db FILE] [--metric M] -o DIR)", argv[i]);
    }
    if (!out) asb_die_usage("history: need -o DIR (usage: asbench history [--db FILE] [--metric M] -o DIR)");
    int mi = asb_db_metric(metric);
    sqlite3 *db = asb_db_open(path, false);
    asb_strlist none = {0};
    history hs;
    load_history(&hs, db, path, "1", &none, mi);
    sqlite3_close(db);
    int status = write_history(out, &hs, metric, path);
    free_history(&hs);
    return status ? ASB_EXIT_USAGE : 0;
}
