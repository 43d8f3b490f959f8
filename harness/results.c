/*
 * results.c — a results CSV (csv.c's schema) read into memory for the
 * commands that work on results folders: summary, plot, compare, merge and
 * run --resume.  Rows are checked against the header so that a damaged file
 * is reported with its line, not half-read.
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

const char *asb_results_get(const asb_results *r, int row, const char *col) {
    for (int j = 0; j < r->ncols; j++)
        if (!strcmp(r->header[j], col)) return r->rows[row][j];
    return "NA";
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
