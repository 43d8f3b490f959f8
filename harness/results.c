/*
 * results.c — a results CSV (csv.c's schema) read into memory for the
 * commands that work on results folders: summary, plot, compare, merge,
 * reproduce and run --resume.  Rows are checked against the header so that
 * a damaged file is reported with its line, not half-read.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asbench.h"

static const char *const required[] = {"backend", "scheduler", "workload", "params", "threads", "repetition",
                                       "status"};

int asb_results_load(const char *path, asb_results *r, char **err) {
    *r = (asb_results){0};
    FILE *f = fopen(path, "r");
    if (!f) {
        *err = asb_xasprintf("cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    r->ncols = asb_csv_read(f, &r->header);
    if (r->ncols < 0) {
        fclose(f);
        *err = asb_xasprintf("%s is empty (no CSV header)", path);
        return -1;
    }
    for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
        bool found = false;
        for (int j = 0; j < r->ncols; j++) found |= !strcmp(r->header[j], required[i]);
        if (!found) {
            fclose(f);
            *err = asb_xasprintf("%s has no column '%s'; is it an asbench results file?", path, required[i]);
            asb_results_free(r);
            return -1;
        }
    }
    char **row;
    int n, line = 1;
    while ((n = asb_csv_read(f, &row)) >= 0) {
        line++;
        if (n == 1 && !row[0][0]) { /* blank line */
            asb_csv_free(row, n);
            continue;
        }
        if (n != r->ncols) {
            *err = asb_xasprintf("%s:%d: %d fields where the header has %d", path, line, n, r->ncols);
            asb_csv_free(row, n);
            fclose(f);
            asb_results_free(r);
            return -1;
        }
        if (r->nrows == r->cap) {
            r->cap = r->cap ? 2 * r->cap : 64;
            r->rows = realloc(r->rows, (size_t)r->cap * sizeof *r->rows);
            if (!r->rows) asb_die("out of memory");
        }
        r->rows[r->nrows++] = row;
    }
    fclose(f);
    return 0;
}

int asb_results_column(const asb_results *r, const char *col) {
    for (int j = 0; j < r->ncols; j++)
        if (!strcmp(r->header[j], col)) return j;
    return -1;
}

const char *asb_results_get(const asb_results *r, int row, const char *col) {
    int j = asb_results_column(r, col);
    return j >= 0 ? r->rows[row][j] : "NA";
}

/* The value of key in an `extra` cell ("k=v;k=v"): the key in full
 * (native.span_utilisation) or, when only one key has that name, without
 * its prefix (span_utilisation).  1 with the text in buf, 0 if absent, -1
 * if the short name is ambiguous. */
static int extra_value(const char *extra, const char *key, char *buf, size_t len) {
    size_t klen_want = strlen(key);
    int short_matches = 0;
    for (const char *p = extra; p && *p;) {
        const char *semi = strchr(p, ';');
        size_t item = semi ? (size_t)(semi - p) : strlen(p);
        const char *eq = memchr(p, '=', item);
        if (eq) {
            size_t klen = (size_t)(eq - p), vlen = item - klen - 1;
            const char *dot = memchr(p, '.', klen);
            bool exact = klen == klen_want && !strncmp(p, key, klen);
            bool by_short = dot && (size_t)(eq - dot - 1) == klen_want && !strncmp(dot + 1, key, klen_want);
            if (exact || by_short) {
                snprintf(buf, len, "%.*s", (int)vlen, eq + 1);
                if (exact) return 1;
                short_matches++;
            }
        }
        p = semi ? semi + 1 : NULL;
    }
    return short_matches > 1 ? -1 : short_matches;
}

int asb_results_value(const asb_results *r, int row, const char *name, double *out) {
    char text[64] = "";
    int col = asb_results_column(r, name);
    if (col >= 0) snprintf(text, sizeof text, "%s", r->rows[row][col]);
    else if ((col = asb_results_column(r, "extra")) >= 0 && extra_value(r->rows[row][col], name, text, sizeof text) < 0)
        return -1;
    if (!text[0] || !strcmp(text, "NA")) return 0;
    char *end;
    *out = strtod(text, &end);
    return end != text && !*end;
}

char *asb_results_row_key(const asb_results *r, int row) {
    const char *sched = asb_results_get(r, row, "scheduler");
    return asb_cell_key(asb_results_get(r, row, "backend"), strcmp(sched, "NA") ? sched : NULL,
                        asb_results_get(r, row, "workload"), asb_results_get(r, row, "params"),
                        asb_results_get(r, row, "threads"));
}

double asb_results_num(const asb_results *r, int row, const char *col) {
    const char *v = asb_results_get(r, row, col);
    char *end;
    double d = strtod(v, &end);
    return end == v || *end || !strcmp(v, "NA") ? NAN : d;
}

void asb_results_free(asb_results *r) {
    for (int i = 0; i < r->nrows; i++) asb_csv_free(r->rows[i], r->ncols);
    if (r->header) asb_csv_free(r->header, r->ncols);
    free(r->rows);
    *r = (asb_results){0};
}

int asb_results_load_dir(const char *dir, asb_results *r) {
    char *csv = asb_xasprintf("%s/results.csv", dir), *err = NULL;
    int rc = asb_results_load(csv, r, &err);
    if (rc != 0) fprintf(stderr, "asbench: %s\n", err);
    free(err);
    free(csv);
    return rc;
}
