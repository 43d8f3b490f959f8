/*
 * client.h — the worker client: the one place that launches a child process
 * for a measurement (a worker, a Google Benchmark executable, valgrind over a
 * worker, a child `asbench run`) and collects what it gave.
 *
 * `run`, `stress`, `micro` and `reproduce` describe a launch in an
 * asb_launch (argv, environment settings, where results come back, timeout,
 * RSS timeline, CPU pinning) and get one asb_outcome back: the status name
 * (one mapping for every command, asb_status_name), the message that
 * explains a failure, wall time, the child's rusage, its key=value result
 * lines, the tail of its stderr, and what the machine did meanwhile
 * (steal and other processes' CPU time, from /proc/stat).
 *
 * The THP setting of a backend variant (name=backend[THP=never]) is applied
 * here, in the child before exec: prctl(PR_SET_THP_DISABLE) holds across
 * exec, so the whole worker runs without transparent huge pages.
 */
#ifndef ASB_CLIENT_H
#define ASB_CLIENT_H

#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/resource.h>

#include "asbench.h"

/* A growable argv (always NULL-terminated): no fixed size to overflow. */
typedef struct asb_argv {
    char **v;
    int n, cap;
} asb_argv;
void asb_argv_push(asb_argv *a, const char *arg);                 /* copies arg */
void asb_argv_pushf(asb_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void asb_argv_free(asb_argv *a);

/* How to launch one child. */
typedef struct asb_launch {
    const asb_argv *argv;           /* argv[0]: a path, or a program looked up on PATH */
    const asb_alloc_choice *alloc;  /* LD_PRELOAD and a backend variant's settings, or NULL */
    const char *env_settings;       /* more "VAR=VALUE;…" for the child (a scheduler variant), or NULL */
    bool result_pipe;               /* the child writes key=value lines to its fd 3 */
    bool stdout_to_stderr;          /* the child's stdout is progress: send it where its stderr goes */
    bool quiet;                     /* keep the child's stderr (for the message) without echoing it */
    double timeout_s;               /* kill it after this long (0: never) */
    const char *timeline_path;      /* sample RSS into this CSV (memory.h ASB_TIMELINE_HEADER), or NULL */
    int sample_ms;                  /* sampling interval (default 10) */
    bool live_bytes;                /* share a live-bytes page on the child's fd ASB_LIVE_FD (live_page.h;
                                       a worker's --live-fd) and sample it into the timeline */
    const cpu_set_t *pin;           /* sched_setaffinity in the child, or NULL */
    const int *nice;                /* setpriority in the child (negative needs root), or NULL */
    atomic_int *interrupted; /* kill the child when this becomes non-zero, or NULL */
} asb_launch;

/* What the child gave. */
typedef struct asb_outcome {
    char status[64];     /* ok, error, usage, verify-failed, unsupported, timeout, crashed:SIGNAME,
                            interrupted, not-started */
    char *message;       /* why, when not ok (allocated), or NULL */
    int exit_code;       /* -1 unless it exited */
    int signal;          /* 0 unless a signal ended it */
    double wall_s;       /* fork to reap */
    struct rusage ru;    /* the child's (wait4) */
    double steal_s;      /* the machine's steal time during the run (all CPUs, /proc/stat), NaN if unknown */
    double other_cpu_s;  /* busy CPU time of the machine during the run less the child's own user+sys */
    char *lines;         /* its key=value result lines ("" without a result pipe) */
    char *err_tail;      /* the last 64 KiB of its stderr */
    char *fields;        /* lines split at the newlines (for asb_outcome_value) */
    size_t fields_len;
} asb_outcome;

/* Launch, wait (sampling RSS, enforcing the timeout), and fill *o.  Never
 * exits the process: a child that cannot start is status "not-started". */
void asb_client_run(const asb_launch *l, asb_outcome *o);
void asb_outcome_free(asb_outcome *o);
/* Replaces the outcome's result lines with `lines` (allocated; taken), for a
 * launch whose figures the harness gathers itself (an app run). */
void asb_outcome_set_lines(asb_outcome *o, char *lines);

/* The value of key in the outcome's result lines (NULL if absent); the
 * returned pointer is valid until the outcome is freed. */
const char *asb_outcome_value(const asb_outcome *o, const char *key);
/* As a number: NaN when absent or not a number. */
double asb_outcome_number(const asb_outcome *o, const char *key);
/* Whether status counts as a failure of the thing measured (not ok and not
 * unsupported): what `asbench run` exits 3 for. */
bool asb_status_is_failure(const char *status);

#endif
