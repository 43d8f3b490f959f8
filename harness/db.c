/*
 * db.c — the results store: an SQLite file that keeps results folders
 * across commits, so that a cell's history can be asked for.
 *   asbench db add DIR [--db FILE] [--revision REV]
 *       one transaction: the run (folder, git revision, machine id, date
 *       from env.json, env.json and summary.csv as written) and every row of
 *       results.csv (the whole row kept as CSV, plus the figures the history
 *       reads); a folder whose results.csv is already stored (same content
 *       hash) is refused
 *   asbench db query [--db FILE] [--metric M] [KEY=VALUE …]
 *       without selectors the runs stored; with them (backend=, scheduler=,
 *       workload=, params=, threads=, machine=) each matching cell's median
 *       and 95% interval per run, per machine
 *   asbench db bisect … (history.c)
 * A damaged or locked file is reported with what SQLite said, and exits 2;
 * a failed import rolls back, so what was stored before stays whole.
 */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "stats.h"

const char *const asb_db_metrics[] = {"ns_per_op", "cpu_ns_per_op", "peak_rss_kb"};
const int asb_db_nmetrics = sizeof asb_db_metrics / sizeof *asb_db_metrics;

static const char *const schema =
    "CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY, folder TEXT NOT NULL, results_hash TEXT NOT NULL UNIQUE,"
    " revision TEXT NOT NULL, dirty INTEGER, machine TEXT NOT NULL, date TEXT NOT NULL, imported TEXT NOT NULL,"
    " env_json TEXT, summary_csv TEXT, results_header TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS rows(run_id INTEGER NOT NULL REFERENCES runs(id), cell TEXT NOT NULL,"
    " backend TEXT, scheduler TEXT, workload TEXT, params TEXT, threads TEXT, repetition TEXT, machine TEXT NOT NULL,"
    " status TEXT, ns_per_op REAL, cpu_ns_per_op REAL, peak_rss_kb REAL, row_csv TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS rows_cell ON rows(cell, machine);";

void asb_db_fail(sqlite3 *db, const char *path, const char *doing) {
    int code = sqlite3_extended_errcode(db);
    const char *why = (code & 0xff) == SQLITE_NOTADB   ? "it is not an SQLite database"
                      : (code & 0xff) == SQLITE_CORRUPT ? "the database file is damaged"
                      : (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED
                          ? "another process holds a lock on it (waited 5 s)"
                          : "SQLite failed";
    fprintf(stderr, "asbench: db %s: %s while %s: %s (%s); nothing was changed in it\n", path, why, doing,
            sqlite3_errmsg(db), sqlite3_errstr(code));
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    exit(ASB_EXIT_USAGE);
}

sqlite3 *asb_db_open(const char *path, bool create) {
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        fprintf(stderr, "asbench: db %s: cannot open it: %s%s\n", path, db ? sqlite3_errmsg(db) : "out of memory",
                create ? "" : " (asbench db add DIR --db FILE creates one)");
        sqlite3_close(db);
        exit(ASB_EXIT_USAGE);
    }
    sqlite3_busy_timeout(db, 5000);
    /* Reading the schema is the first access: a file that is no database fails here. */
    if (sqlite3_exec(db, create ? schema : "SELECT count(*) FROM runs", NULL, NULL, NULL) != SQLITE_OK)
        asb_db_fail(db, path, "reading its schema");
    return db;
}

sqlite3_stmt *asb_db_prepare(sqlite3 *db, const char *path, const char *sql) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) asb_db_fail(db, path, "preparing a query");
    return st;
}

static const char *const selector_keys[] = {"backend", "scheduler", "workload", "params", "threads", "machine"};

char *asb_db_where(int n, char **selectors, asb_strlist *values) {
    char *where = asb_xstrdup("1");
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(selectors[i], '=');
        size_t k = 0, nkeys = sizeof selector_keys / sizeof *selector_keys;
        while (eq && k < nkeys && (strlen(selector_keys[k]) != (size_t)(eq - selectors[i]) ||
                                   strncmp(selectors[i], selector_keys[k], strlen(selector_keys[k]))))
            k++;
        if (!eq || k == nkeys)
            asb_die_usage("db: cell selector '%s': need KEY=VALUE with KEY one of backend, scheduler, workload, "
                          "params, threads, machine", selectors[i]);
        char *next = asb_xasprintf("%s AND %s = ?", where, selector_keys[k]);
        free(where);
        where = next;
        asb_strlist_push(values, eq + 1);
    }
    return where;
}

int asb_db_metric(const char *name) {
    for (int i = 0; i < asb_db_nmetrics; i++)
        if (!strcmp(name, asb_db_metrics[i])) return i;
    asb_die_usage("db: --metric %s: the store keeps ns_per_op, cpu_ns_per_op and peak_rss_kb", name);
}

/* The string value of a top-level "key" of env.json, or NULL. */
static char *json_value(const char *json, const char *key) {
    char *pattern = asb_xasprintf("\n  \"%s\": ", key);
    const char *p = json ? strstr(json, pattern) : NULL;
    free(pattern);
    if (!p) return NULL;
    p = strchr(p, ':') + 2;
    if (*p != '"') return asb_xstrndup(p, strcspn(p, ",\n"));
    return asb_xstrndup(p + 1, strcspn(p + 1, "\""));
}

/* FNV-1a, 64 bits: the identity of a results.csv. */
static char *content_hash(const char *text, size_t len) {
    unsigned long long h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)text[i]) * 1099511628211ull;
    return asb_xasprintf("%016llx:%zu", h, len);
}

static char *csv_line(char *const *fields, int n) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    for (int i = 0; i < n; i++) asb_csv_field(m, fields[i], i == n - 1);
    fclose(m);
    buf[strcspn(buf, "\n")] = 0;
    return buf;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s) {
    if (s) sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, i);
}

static int db_add(const char *dir, const char *path, const char *revision_given) {
    asb_results r;
    if (asb_results_load_dir(dir, &r) != 0) return ASB_EXIT_USAGE;
    char *csv_path = asb_xasprintf("%s/results.csv", dir), *env_path = asb_xasprintf("%s/env.json", dir),
         *summary_path = asb_xasprintf("%s/summary.csv", dir);
    size_t csv_len = 0;
    char *csv = asb_read_file(csv_path, &csv_len), *env = asb_read_file(env_path, NULL),
         *summary = asb_read_file(summary_path, NULL);
    char *hash = content_hash(csv ? csv : "", csv_len);
    char *revision = revision_given ? asb_xstrdup(revision_given) : json_value(env, "git_revision");
    if (!revision || !strcmp(revision, "null"))
        asb_die_usage("db add: %s has no git revision (no env.json, or it was not run in a git checkout); give one "
                      "with --revision REV", dir);
    char *dirty = json_value(env, "git_dirty"), *machine = json_value(env, "machine_id"),
         *date = json_value(env, "start_time");
    if (!machine) machine = asb_xstrdup(r.nrows ? asb_results_get(&r, 0, "machine") : "NA");
    char now[32];
    time_t t = time(NULL);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    if (!date) date = asb_xstrdup(now);

    sqlite3 *db = asb_db_open(path, true);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) asb_db_fail(db, path, "starting the import");
    sqlite3_stmt *dup = asb_db_prepare(db, path, "SELECT id, folder, imported FROM runs WHERE results_hash = ?");
    sqlite3_bind_text(dup, 1, hash, -1, SQLITE_STATIC);
    if (sqlite3_step(dup) == SQLITE_ROW) {
        fprintf(stderr, "asbench: db add: %s is already stored in %s as run %d (from %s, imported %s: the same "
                        "results.csv); not imported twice\n",
                dir, path, sqlite3_column_int(dup, 0), sqlite3_column_text(dup, 1), sqlite3_column_text(dup, 2));
        sqlite3_finalize(dup);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(db);
        exit(ASB_EXIT_USAGE);
    }
    sqlite3_finalize(dup);
    sqlite3_stmt *run = asb_db_prepare(db, path,
        "INSERT INTO runs(folder, results_hash, revision, dirty, machine, date, imported, env_json, summary_csv,"
        " results_header) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    char *header = csv_line(r.header, r.ncols);
    const char *texts[] = {dir, hash, revision, NULL, machine, date, now, env, summary, header};
    for (int i = 0; i < 10; i++) bind_text_or_null(run, i + 1, texts[i]);
    if (dirty && strcmp(dirty, "null")) sqlite3_bind_int(run, 4, !strcmp(dirty, "true"));
    if (sqlite3_step(run) != SQLITE_DONE) asb_db_fail(db, path, "storing the run");
    sqlite3_finalize(run);
    sqlite3_int64 run_id = sqlite3_last_insert_rowid(db);
    sqlite3_stmt *row = asb_db_prepare(db, path,
        "INSERT INTO rows(run_id, cell, backend, scheduler, workload, params, threads, repetition, machine, status,"
        " ns_per_op, cpu_ns_per_op, peak_rss_kb, row_csv) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    static const char *const key_cols[] = {"backend", "scheduler", "workload", "params", "threads", "repetition"};
    for (int i = 0; i < r.nrows; i++) {
        char *key = asb_results_row_key(&r, i), *line = csv_line(r.rows[i], r.ncols);
        const char *row_machine = asb_results_get(&r, i, "machine");
        sqlite3_bind_int64(row, 1, run_id);
        sqlite3_bind_text(row, 2, key, -1, SQLITE_TRANSIENT);
        for (int k = 0; k < 6; k++) sqlite3_bind_text(row, 3 + k, asb_results_get(&r, i, key_cols[k]), -1, SQLITE_STATIC);
        sqlite3_bind_text(row, 9, strcmp(row_machine, "NA") ? row_machine : machine, -1, SQLITE_STATIC);
        sqlite3_bind_text(row, 10, asb_results_get(&r, i, "status"), -1, SQLITE_STATIC);
        for (int m = 0; m < asb_db_nmetrics; m++) {
            double v = asb_results_num(&r, i, asb_db_metrics[m]);
            if (isnan(v)) sqlite3_bind_null(row, 11 + m);
            else sqlite3_bind_double(row, 11 + m, v);
        }
        sqlite3_bind_text(row, 14, line, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(row) != SQLITE_DONE) asb_db_fail(db, path, "storing the rows");
        sqlite3_reset(row);
        free(key);
        free(line);
    }
    sqlite3_finalize(row);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) asb_db_fail(db, path, "committing the import");
    sqlite3_close(db);
    printf("stored %s in %s as run %lld: revision %.12s, machine %s, %s, %d rows\n", dir, path, (long long)run_id,
           revision, machine, date, r.nrows);
    free(header);
    free(hash), free(revision), free(dirty), free(machine), free(date);
    free(csv), free(env), free(summary);
    free(csv_path), free(env_path), free(summary_path);
    asb_results_free(&r);
    return 0;
}

static void list_runs(sqlite3 *db, const char *path) {
    sqlite3_stmt *st = asb_db_prepare(db, path,
        "SELECT runs.id, date, revision, runs.machine, folder, count(rows.run_id) FROM runs"
        " LEFT JOIN rows ON rows.run_id = runs.id GROUP BY runs.id ORDER BY date, runs.id");
    printf("%4s  %-20s  %-12s  %-20s  %6s  %s\n", "run", "date", "revision", "machine", "rows", "folder");
    while (sqlite3_step(st) == SQLITE_ROW)
        printf("%4d  %-20s  %-12.12s  %-20s  %6d  %s\n", sqlite3_column_int(st, 0), sqlite3_column_text(st, 1),
               sqlite3_column_text(st, 2), sqlite3_column_text(st, 3), sqlite3_column_int(st, 5),
               sqlite3_column_text(st, 4));
    sqlite3_finalize(st);
}

static int db_query(const char *path, const char *metric, int nsel, char **selectors) {
    int mi = asb_db_metric(metric);
    asb_strlist values = {0};
    char *where = asb_db_where(nsel, selectors, &values);
    sqlite3 *db = asb_db_open(path, false);
    if (nsel == 0) {
        list_runs(db, path);
    } else {
        asb_db_cell *cells;
        int n = asb_db_cells(db, path, where, &values, &cells);
        if (n == 0) asb_die_usage("db query: no stored cell matches the selectors");
        for (int c = 0; c < n; c++) {
            asb_db_point *pts;
            int np = asb_db_series(db, path, &cells[c], mi, &pts);
            printf("%s on %s (%s):\n", cells[c].label, cells[c].machine, metric);
            printf("  %-20s  %-12s  %4s  %12s  %25s\n", "date", "revision", "n", "median", "95% CI of the median");
            for (int i = 0; i < np; i++)
                printf("  %-20s  %-12.12s  %4d  %12.6g  [%10.6g, %10.6g]\n", pts[i].date, pts[i].revision, pts[i].n,
                       pts[i].median, pts[i].lo, pts[i].hi);
            asb_db_series_free(pts, np);
        }
        asb_db_cells_free(cells, n);
    }
    sqlite3_close(db);
    free(where);
    asb_strlist_free(&values);
    return 0;
}

static const char *usage =
    "usage: asbench db add DIR [--db FILE] [--revision REV]   store a results folder (once)\n"
    "       asbench db query [--db FILE] [--metric M] [KEY=VALUE ...]   runs stored, or a cell's history\n"
    "       asbench db bisect [--db FILE] [--metric M] KEY=VALUE ...   the first revision of a change\n"
    "  --db FILE    the store (default " ASB_DB_DEFAULT ")\n"
    "  --metric M   ns_per_op (default), cpu_ns_per_op or peak_rss_kb\n"
    "  KEY          backend, scheduler, workload, params, threads, machine\n";

int asb_cmd_db(int argc, char **argv) {
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        fputs(usage, argc < 1 ? stderr : stdout);
        return argc < 1 ? ASB_EXIT_USAGE : 0;
    }
    const char *sub = argv[0], *path = ASB_DB_DEFAULT, *metric = "ns_per_op", *revision = NULL;
    char **args = asb_xmalloc((size_t)argc * sizeof *args);
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && i + 1 >= argc) asb_die_usage("db: option %s needs a value\n%s", argv[i], usage);
        if (!strcmp(argv[i], "--db")) path = argv[++i];
        else if (!strcmp(argv[i], "--metric")) metric = argv[++i];
        else if (!strcmp(argv[i], "--revision")) revision = argv[++i];
        else if (argv[i][0] == '-') asb_die_usage("db: unknown option %s\n%s", argv[i], usage);
        else args[nargs++] = argv[i];
    }
    int status;
    if (!strcmp(sub, "add")) {
        if (nargs != 1) asb_die_usage("db add: need one results folder\n%s", usage);
        status = db_add(args[0], path, revision);
    } else if (!strcmp(sub, "query")) {
        status = db_query(path, metric, nargs, args);
    } else if (!strcmp(sub, "bisect")) {
        if (nargs == 0) asb_die_usage("db bisect: name the cell (KEY=VALUE ...)\n%s", usage);
        status = asb_db_bisect(path, metric, nargs, args);
    } else {
        asb_die_usage("db: unknown sub-command '%s'\n%s", sub, usage);
    }
    free(args);
    return status;
}
