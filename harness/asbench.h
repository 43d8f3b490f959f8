/*
 * asbench.h — declarations shared by the files of the asbench CLI.
 *
 * The CLI (main.c) dispatches to commands; `run` (run.c) expands the matrix
 * into cells, runs each repetition in a fresh worker process and appends one
 * CSV row per run (csv.c); `plot` (plot.c) turns a results folder into
 * gnuplot charts; `list` (listing.c) describes backends and workloads.
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
char *asb_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Directory holding the asbench executable (and the workers). */
const char *asb_exe_dir(void);
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

/* A backend chosen for a run: a built one, or a library given by path
 * (name=/path/lib.so), run in the glibc worker under LD_PRELOAD. */
typedef struct asb_alloc_choice {
    char *name;
    char *preload; /* NULL for a built backend */
} asb_alloc_choice;
/* Parse "a,b,name=/path.so" or "all"; exits with status 2 on a bad name. */
int asb_parse_allocs(const char *spec, asb_alloc_choice **out);

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

/* Commands. */
int asb_cmd_run(int argc, char **argv);
int asb_cmd_list(int argc, char **argv);
int asb_cmd_plot(int argc, char **argv);
/* Plot results in dir; returns 0, or non-zero with a message if gnuplot is
 * missing or fails (the CSV is never touched). */
int asb_plot_dir(const char *dir, const char *baseline);

#endif
