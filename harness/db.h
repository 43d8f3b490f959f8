/*
 * db.h — the SQLite results store shared by db.c (add, query) and
 * history.c (trends, change points, bisect).
 */
#ifndef ASB_DB_H
#define ASB_DB_H

#include <sqlite3.h>

#include "report.h"

#define ASB_DB_DEFAULT "asbench.db"

/* The figures the store keeps per row (columns of its rows table). */
extern const char *const asb_db_metrics[];
extern const int asb_db_nmetrics;
/* Index of a metric in asb_db_metrics; exits 2 for another name. */
int asb_db_metric(const char *name);

/* Open (creating the schema when create) or exit 2 with a clear message. */
sqlite3 *asb_db_open(const char *path, bool create);
sqlite3_stmt *asb_db_prepare(sqlite3 *db, const char *path, const char *sql);
/* Says what went wrong (damaged, not a database, locked …), rolls back, exits 2. */
void asb_db_fail(sqlite3 *db, const char *path, const char *doing) __attribute__((noreturn));
/* "1 AND key = ? …" for KEY=VALUE selectors, values in order; exits 2 for a bad one. */
char *asb_db_where(int n, char **selectors, asb_strlist *values);

/* A cell on one machine: its history never mixes machines. */
typedef struct asb_db_cell {
    char *cell, *machine, *label; /* label: "workload backend [sched] t=N params" */
    char *workload, *backend, *scheduler, *threads, *params;
} asb_db_cell;
/* The distinct (cell, machine) pairs of the rows matching where. */
int asb_db_cells(sqlite3 *db, const char *path, const char *where, const asb_strlist *values, asb_db_cell **out);
void asb_db_cells_free(asb_db_cell *cells, int n);

/* One run of a cell: its ok rows' values of a metric, in run order. */
typedef struct asb_db_point {
    char *revision, *date, *folder;
    double *values; /* sorted */
    int n;
    double median, lo, hi;
} asb_db_point;
/* The runs of a cell on its machine, by date (then import order). */
int asb_db_series(sqlite3 *db, const char *path, const asb_db_cell *c, int metric, asb_db_point **out);
void asb_db_series_free(asb_db_point *p, int n);

int asb_db_bisect(const char *path, const char *metric, int nsel, char **selectors);

#endif
