/*
 * measure.h — one measured run of a cell (measure.c) and the results folder
 * it is appended to (rundir.c), shared by `asbench run`'s phases: warm-up
 * and calibration, the interleaved repetitions, the adaptive rounds.
 */
#ifndef ASB_MEASURE_H
#define ASB_MEASURE_H

#include <sched.h>
#include <signal.h>

#include "asbench.h"
#include "client.h"

/* Everything a run needs besides the cell. */
typedef struct run_env {
    const asb_matrix *m;
    const char *dir;
    cpu_set_t pin_set;
    bool pin;
    atomic_int *interrupted;
} run_env;

/* What one run gave: the worker client's outcome plus the figures the
 * harness adds around it. */
typedef struct run_result {
    asb_outcome o;
    double futex_calls;                  /* NaN unless counted */
    double instructions, d1_misses, ll_misses; /* the cachegrind run's counts, NaN without one */
    char *counters_note;                 /* why counters are NA, or NULL */
    char *memory;                        /* memory-over-time figures of the timeline ("memory.k=v;…"), or NULL */
} run_result;

/* Runs cell c once (timeline to timeline_path, may be NULL). */
void asb_measure(const asb_cell *c, const run_env *env, const char *timeline_path, run_result *r);
/* Runs cell c under valgrind (callgrind, cache simulation; the timed region
 * only) and fills r with the counts, or with the reason they are NA. */
void asb_measure_counts(const asb_cell *c, const run_env *env, run_result *r);
void asb_run_result_free(run_result *r);
/* The timed region of a run in seconds, NaN if it did not give one. */
double asb_run_timed_s(const run_result *r);
/* Appends r as one CSV row with one write(). */
void asb_append_row(int fd, const asb_cell *c, int rep, const run_result *r, const char *timeline);

/* rundir.c — the results folder. */
/* Opens DIR/results.csv for appending (writing the header if new). */
int asb_rundir_open_results(const char *csv_path, bool resume);
/* Drops a last row cut short by a machine crash. */
void asb_rundir_drop_partial_row(const char *csv_path);
/* DIR/matrix.txt: what --resume re-reads. */
void asb_rundir_write_matrix(const char *dir, const asb_matrix *m);
/* The (cell, repetition) pairs already in results.csv:
 * done[i * (max_reps + 1) + rep] for repetitions 1..max_reps. */
bool *asb_rundir_runs_done(const char *csv_path, const asb_matrix *m, int max_reps);
/* DIR/calibration.txt: "GROUP PARAM=VALUE" per calibrated comparison group. */
void asb_rundir_save_calibration(const char *dir, const char *group, const char *param, const char *value);
/* Applies FROM_DIR/calibration.txt to the matrix's cells (--resume, or
 * --calibration-from an earlier run so that both measure equal work), and
 * records what it applied in TO_DIR when that is another folder; returns per
 * cell whether its group's work came from the file (allocated). */
bool *asb_rundir_apply_calibration(const char *from_dir, const char *to_dir, asb_matrix *m);

#endif
