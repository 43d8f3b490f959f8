/*
 * asbench.h — declarations shared by the files of the asbench CLI.
 *
 * The CLI (main.c) dispatches to commands; `run` (run.c) expands the matrix
 * into cells, runs each repetition in a fresh worker process and appends one
 * CSV row per run (csv.c); `plot` (plot.c) turns a results folder into
 * gnuplot charts and report.md; `summary`, `compare` and `merge` work on
 * results folders; `list` (listing.c) describes backends and workloads.
 */
#ifndef ASB_ASBENCH_H
#define ASB_ASBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "workload.h"

/* Exit status of the CLI for bad input (unknown name, malformed file …). */
#define ASB_EXIT_USAGE 2

/* util.c */
void asb_die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void asb_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void *asb_xmalloc(size_t n);
char *asb_xstrdup(const char *s);
char *asb_xstrndup(const char *s, size_t n);
char *asb_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* s (NULL = "") as a JSON string: quotes, backslashes, control and non-ASCII
 * bytes escaped, so text from other processes cannot break the document. */
void asb_json_string(FILE *f, const char *s);
/* Directory holding the asbench executable (and the workers). */
const char *asb_exe_dir(void);
/* Path of the worker executable of a built backend (allocated): asbench-worker-NAME
 * beside asbench, or for "go" the Go runtime's worker in the build tree. */
char *asb_worker_path(const char *worker);
/* Whether the Go runtime's worker was built (go was found at build time). */
bool asb_go_worker_built(void);
/* CLOCK_MONOTONIC in seconds. */
static inline double asb_now_s(void) { return (double)asb_now_ns() / 1e9; }
/* mkdir -p; returns 0 or -1 with errno. */
int asb_mkdirs(const char *path);

/* A growable list of strings. */
typedef struct asb_strlist {
    char **items;
    int n, cap;
} asb_strlist;
void asb_strlist_push(asb_strlist *l, const char *s);
/* Split `s` on `sep` and push each non-empty part. */
void asb_strlist_split(asb_strlist *l, const char *s, char sep);
bool asb_strlist_has(const asb_strlist *l, const char *s);
void asb_strlist_free(asb_strlist *l);
/* The items separated by single spaces (allocated; "" for none). */
char *asb_strlist_join(const asb_strlist *l);

/* Allocator backends known to the build (asb_backends.h). */
typedef struct asb_backend_entry {
    const char *name;
    bool found;
    const char *debian_package;
    const char *build_version;
} asb_backend_entry;
extern const asb_backend_entry asb_backends[];
extern const int asb_nbackends;
const asb_backend_entry *asb_backend_entry_find(const char *name);

/* A backend chosen for a run: a built one; a library given by path
 * (name=/path/lib.so), run in the glibc worker under LD_PRELOAD; or a variant
 * of a built one (name=backend[VAR=VALUE;…]), run in that backend's worker
 * with the settings in its environment (e.g. GOSTYLEDEBUG ablations side by
 * side with the default). */
typedef struct asb_alloc_choice {
    char *name;    /* the backend column of the results */
    char *worker;  /* the built backend whose worker runs it */
    char *preload; /* a library to preload, or NULL */
    char *env;     /* a variant's settings, "VAR=VALUE;…", or NULL */
} asb_alloc_choice;
/* Splits a list of backends or schedulers at the commas outside brackets (a
 * variant's settings may hold commas: g=gostyle[GOSTYLEDEBUG=freegc=1,procs=2]). */
void asb_split_choices(asb_strlist *parts, const char *spec);
/* "label=base[VAR=VALUE;…]": 1 with the parts (allocated), 0 if item is not
 * a variant, -1 with a message in *err (allocated) if it is a malformed one. */
int asb_parse_variant(const char *item, char **label, char **base, char **settings, char **err);
/* In a child before exec: put "VAR=VALUE;…" into the environment. */
void asb_setenv_settings(const char *settings);
/* Parse "a,b,name=/path.so,name=b[VAR=VALUE]" or "all" into *out; returns the
 * count, or -1 with a message in *err (allocated) for a bad item. */
int asb_parse_allocs(const char *spec, asb_alloc_choice **out, char **err);
asb_alloc_choice asb_alloc_choice_copy(const asb_alloc_choice *a);
/* Exit 2 if a choice is the Go heap (`go`, or a variant of it): cmd (stress,
 * micro, security) runs C code against a malloc, which the Go heap is not. */
void asb_refuse_go_heap(const char *cmd, const asb_alloc_choice *choices, int n);
void asb_alloc_choice_free(asb_alloc_choice *a);
/* In the worker's child before exec: LD_PRELOAD and a variant's settings. */
void asb_alloc_choice_setenv(const asb_alloc_choice *a);
/* How the user spelled it (for messages and env.json); allocated. */
char *asb_alloc_choice_describe(const asb_alloc_choice *a);
/* Directory of the source tree (for harness/matrices and plots/). */
const char *asb_source_dir(void);
/* Whether `name` is an executable on PATH. */
bool asb_program_on_path(const char *name);
/* Whole file into memory (NUL-terminated), or NULL with errno. */
char *asb_read_file(const char *path, size_t *len);

/* csv.c — the results schema, shared by every workload. */
extern const char *const asb_csv_columns[];
extern const int asb_ncsv_columns;
/* Column index by name, or -1. */
int asb_csv_column(const char *name);
/* Write one field, quoting when needed. */
void asb_csv_field(FILE *f, const char *value, bool last);
/* Read one record from f into fields (allocated); returns field count or -1
 * at EOF.  Handles quotes. */
int asb_csv_read(FILE *f, char ***fields);
void asb_csv_free(char **fields, int n);

/* matrix.c — the matrix: cells (backend × scheduler × workload × params ×
 * threads) and the settings of a run, parsed from the matrix text format
 * (docs/harness.md) that both matrix files and the command line produce. */
typedef struct asb_cell {
    asb_alloc_choice alloc;       /* backend; name "go" for the Go runtime's worker */
    const asb_workload *workload;
    char *sched;                  /* NULL for allocator and trace workloads; a variant's name */
    char *sched_base;             /* the scheduler that runs: sched, or a variant's base */
    char *sched_env;              /* a variant's settings "VAR=VALUE;…", or NULL */
    int threads;
    bool quick;                   /* parameter preset */
    asb_strlist overrides;        /* KEY=VALUE given for this cell */
    char *params;                 /* effective parameters, "k=v k=v" */
    char *key;                    /* identity: backend|scheduler|workload|params|threads */
    int shard;                    /* 1-based shard of the cell's comparison group (matrix.c) */
} asb_cell;

typedef struct asb_matrix {
    asb_cell *cells;
    int ncells;
    int reps;            /* 0 until resolved: 5, or 3 when the preset is quick */
    bool quick;          /* default preset of run lines */
    bool warmup;
    double timeout_s;
    double min_time_s;   /* calibrate each cell's work so a repetition's timed region lasts this long; 0 = off */
    double target_ci;    /* add repetitions until the 95% CI half-widths are within this fraction; 0 = off */
    int max_reps;        /* cap on repetitions with target_ci (default 30) */
    double budget_s;     /* cap on the whole run's seconds with target_ci; 0 = none */
    char *counters;      /* NULL, "cachegrind" or "perf": deterministic/hardware counts of each cell */
    int sample_ms;
    char *pin;           /* CPU list for sched_setaffinity, or NULL */
    bool has_nice;       /* nice= given: every worker runs at nice_value */
    int nice_value;      /* -20..19 (negative needs root) */
    bool futex_counts;   /* count futex calls with strace (perturbs the run) */
    char *baseline;
    int shard_index, shard_count; /* 1-based slice i of n; 1/1 = all */
    char *text;          /* every line parsed, kept for DIR/matrix.txt */
} asb_matrix;

void asb_matrix_init(asb_matrix *m);
/* Parse matrix text; `source` names it in messages (file name or "command
 * line").  On an error returns -1 with "source:line: what" in *err. */
int asb_matrix_parse(asb_matrix *m, const char *source, const char *text, char **err);
/* Frees the cells and settings; the matrix is empty (not initialised) after. */
void asb_matrix_free(asb_matrix *m);
/* Path of a preset name (quick, full, default) or the name itself. */
char *asb_matrix_path(const char *name_or_file);
/* Key of a cell from a results row's fields. */
char *asb_cell_key(const char *backend, const char *sched, const char *workload, const char *params,
                   const char *threads);
/* A cell's comparison group: workload|params|threads.  Every backend and
 * scheduler of a group runs in one shard, on one machine, with the same
 * calibrated work. */
char *asb_cell_group_key(const asb_cell *c);
/* Set parameter key of the cell to value (params and key follow). */
void asb_cell_set_param(asb_cell *c, const char *key, const char *value);
/* Whether cell i belongs to the matrix's shard. */
bool asb_matrix_in_shard(const asb_matrix *m, int i);

/* results.c — a results CSV in memory, checked against the schema. */
typedef struct asb_results {
    char **header;
    int ncols;
    char ***rows;
    int nrows, cap;
} asb_results;
/* Load path; returns 0, or -1 with a message in *err. */
int asb_results_load(const char *path, asb_results *r, char **err);
/* Load DIR/results.csv; returns 0, or -1 after printing why on stderr. */
int asb_results_load_dir(const char *dir, asb_results *r);
/* Index of a column by name, or -1. */
int asb_results_column(const asb_results *r, const char *col);
/* Field of row by column name ("NA" if the column is absent). */
const char *asb_results_get(const asb_results *r, int row, const char *col);
/* A figure of a row by name: a column, or a key of the `extra` column in
 * full (native.span_utilisation) or, when only one key has that name,
 * without its prefix.  1 with *out, 0 if the row has none (or NA), -1 if
 * the short name is ambiguous. */
int asb_results_value(const asb_results *r, int row, const char *name, double *out);
char *asb_results_row_key(const asb_results *r, int row);
/* Numeric field or NaN (NA, empty, text). */
double asb_results_num(const asb_results *r, int row, const char *col);
void asb_results_free(asb_results *r);

/* summary.c — per-cell medians and confidence intervals, noise flags. */
extern const char *const asb_summary_metrics[];
extern const int asb_nsummary_metrics;
/* A cell whose ns/op coefficient of variation exceeds this is flagged noisy. */
#define ASB_NOISY_CV 0.05
typedef struct asb_metric_stats {
    int n;
    double median, lo, hi, coverage, cv;
    bool bimodal;            /* two separated modes (asb_bimodal, stats.h) */
    double mode_lo, mode_hi; /* their medians when bimodal, else NaN */
} asb_metric_stats;
typedef struct asb_cell_summary {
    char *key;
    char *backend, *sched, *workload, *params, *threads;
    char *machine;       /* the rows' machine ids, space-separated ("NA" without the column) */
    bool mixed_machines; /* rows from more than one machine */
    int runs, ok;
    char *not_ok; /* "status×count …" of the other rows */
    int nmetrics;
    asb_metric_stats *m; /* per metric summarized */
    double **values;      /* per metric: the ok rows' values (sorted) */
} asb_cell_summary;
/* Group the rows of r into cells, in order of first appearance, with the
 * asb_summary_metrics. */
int asb_summarize(const asb_results *r, double alpha, asb_cell_summary **out);
/* The same for any numeric columns: m[i] and values[i] follow metrics[i]
 * (a row without the column or with NA adds no value). */
int asb_summarize_metrics(const asb_results *r, double alpha, const char *const *metrics, int nmetrics,
                          asb_cell_summary **out);
void asb_summary_free(asb_cell_summary *s, int n);
/* Whether a ratio of the two cells compares like with like: all their rows
 * come from one machine (results without a machine column are one machine). */
bool asb_same_machine(const asb_cell_summary *a, const asb_cell_summary *b);
int asb_metric_index(const char *name);
/* Write DIR/summary.csv from DIR/results.csv; 0 or -1 with a message. */
int asb_write_summary(const char *dir);

/* env.c — DIR/env.json: machine, build and command line. */
/* A stable identity of this machine (hostname and a hash of /etc/machine-id
 * and the CPU model), put in every results row so that no ratio is taken
 * between two machines' times. */
const char *asb_machine_id(void);
void asb_write_env(const char *dir, int argc, char **argv, const asb_matrix *m);
/* Noise of the machine around a run: the caller snapshots at the start and
 * at the end and writes both into env.json. */
enum { ASB_NOISE_BUSY = 5 };
typedef struct asb_noise {
    char time[32];                 /* UTC, ISO 8601 */
    double loadavg[3];             /* /proc/loadavg: 1, 5, 15 minutes */
    unsigned long long jiffies_total, jiffies_busy, jiffies_steal; /* /proc/stat "cpu": all, not idle, steal */
    struct {
        int pid;
        char command[32];
        double cpu_percent;        /* of one CPU, over the sample */
    } busy[ASB_NOISE_BUSY];        /* top processes outside asbench's tree, ≥ 1% */
    int nbusy;
} asb_noise;
/* Load, CPU times and the busiest other processes (sampled over 0.25 s). */
void asb_env_noise_snapshot(asb_noise *out);
/* Fraction of the machine's CPU time between two snapshots that was stolen
 * by the hypervisor, or busy (any process); NaN if no time passed. */
double asb_noise_steal_fraction(const asb_noise *before, const asb_noise *after);
double asb_noise_busy_fraction(const asb_noise *before, const asb_noise *after);
/* Write (or replace) the "noise" object of DIR/env.json: before, and when
 * after is given, after and the steal and busy fractions between them.
 * 0, or -1 with a message on stderr. */
int asb_env_write_noise(const char *dir, const asb_noise *before, const asb_noise *after);

/* Commands. */
int asb_cmd_run(int argc, char **argv);
int asb_cmd_list(int argc, char **argv);
int asb_cmd_plot(int argc, char **argv);
int asb_cmd_reproduce(int argc, char **argv); /* reproduce.c */
int asb_cmd_stress(int argc, char **argv);    /* stress.c */
int asb_cmd_security(int argc, char **argv);  /* security.c */
int asb_cmd_record(int argc, char **argv);    /* record.c */
int asb_cmd_trace(int argc, char **argv);     /* trace_cmd.c */
int asb_cmd_summary(int argc, char **argv);
int asb_cmd_compare(int argc, char **argv);
int asb_cmd_merge(int argc, char **argv);
int asb_cmd_micro(int argc, char **argv);     /* micro.c */
/* Plot results in dir; returns 0, or non-zero with a message if gnuplot is
 * missing or fails (the CSV is never touched). */
int asb_plot_dir(const char *dir, const char *baseline);

#endif
