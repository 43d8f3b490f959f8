/*
 * app.h — real applications as workloads (kind "app", issue 16): one file
 * per application holding one asb_app descriptor and one
 * ASB_REGISTER_APP(desc) line.  `asbench run --workload app:NAME` runs the
 * real program under each backend (its library LD_PRELOADed after the
 * serve-proof shim, glibc = nothing but the shim), times it through the
 * worker client (harness/client.c: timeout, RSS timeline, rusage, nice/pin,
 * crash → crashed:SIG…) and writes one CSV row per run (workloads/app/run.c).
 *
 * A batch application is: a generator writing a deterministic input into a
 * scratch folder (fixed seed, nothing downloaded), a shell command run in a
 * fresh work folder (`exec` the program so that it is the measured process),
 * a parser turning its output into `extra` figures and an op count, and the
 * files whose bytes must equal the glibc run's (stdout, unless it varies, and
 * `outputs`).  A server application also fills `server` (start / ready /
 * drive / stop, workloads/app/server.c): only the server has the backend
 * preloaded, the driving client does not.
 *
 * Applications are linked into the asbench CLI only (they launch processes;
 * a worker never runs them).  Their code runs in the CLI process: helpers
 * report failures with asb_app_fail rather than exiting.
 */
#ifndef ASB_APP_H
#define ASB_APP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "measure.h"
#include "workload.h"

typedef struct asb_app asb_app;

/* One run of an application: what its hooks read and where they report. */
typedef struct asb_app_ctx {
    const asb_app *app;
    long scale;            /* the `scale` parameter: the amount of work (app-defined unit) */
    uint64_t seed;         /* fixed (42): the input is the same in every run */
    const char *input_dir; /* the generated input (generated once per scale; read-only to runs) */
    const char *work_dir;  /* a fresh folder per run, the command's cwd; removed after the run */
    const char *stdout_path; /* where the batch command's (or the client's) stdout goes */
    /* For servers: the launch the runner prepared (timeout, timeline, pin,
     * nice, interrupt flag) and env_settings "LD_PRELOAD=shim lib;…" (the
     * backend, the serve-proof shim, a variant's and the app's settings) to
     * give the server and nothing else. */
    asb_launch launch;
    const char *server_env;   /* the settings for the server (= launch.env_settings) */
    const char *client_env;   /* the app's settings without the preload, for the driving client */
    char *error;              /* asb_app_fail's message (allocated), or NULL */
    double ops;               /* asb_app_set_ops; 0 = none (ns/op is then the wall time) */
    char *extra;              /* "extra.app_KEY=VALUE\n…" from asb_app_report */
} asb_app_ctx;

/* A server's life cycle (workloads/app/server.c fills it for redis,
 * memcached …).  Each hook returns 0, or -1 after asb_app_fail. */
typedef struct asb_app_server {
    /* Start the server on a free loopback port or unix socket under
     * x->work_dir with x->server_env; keep its pid for stop. */
    int (*start)(asb_app_ctx *x, void **state);
    /* Wait until it answers (bounded). */
    int (*ready)(asb_app_ctx *x, void *state);
    /* Drive it with the package's client (x->client_env), its output to
     * x->stdout_path for the parser. */
    int (*drive)(asb_app_ctx *x, void *state);
    /* Stop and reap it, leaving no process and no socket (also after a
     * failed start/ready/drive); fill *o with the server's outcome (status,
     * rusage, wall) as asb_client_run would. */
    void (*stop)(asb_app_ctx *x, void *state, asb_outcome *o);
} asb_app_server;

struct asb_app {
    const char *name;        /* the workload is "app:NAME" */
    const char *package;     /* Debian package(s) providing the programs, space-separated */
    const char *programs;    /* absolute paths it runs, space-separated; one missing → unsupported */
    const char *stresses;    /* one line for `asbench list`: what the allocator sees */
    const char *input;       /* one line: the generated input */
    const char *scale, *quick_scale; /* the `scale` parameter: standard (~0.5-3 s) and quick values */
    const char *scale_help;  /* its unit */
    const char *env;         /* "VAR=VALUE;…" for the app (PYTHONMALLOC=malloc), or NULL */
    int (*generate)(asb_app_ctx *x); /* writes the input into x->input_dir; NULL: none */
    const char *command;     /* batch: sh command in x->work_dir; $ASB_INPUT, $ASB_SCALE set */
    const char *outputs;     /* work-folder files checksummed besides stdout, space-separated, or NULL */
    bool stdout_varies;      /* leave stdout out of the checksum (make -j2's order) */
    void (*parse)(asb_app_ctx *x, const char *out); /* stdout → asb_app_report / asb_app_set_ops; NULL */
    long min_mallocs;        /* fewer malloc calls than this in a run: the app does not use the
                                preloaded malloc (0: the default, 1000) */
    const asb_app_server *server; /* NULL: a batch application */
    bool test_only;          /* the harness's own tests (testing.c): kind "test", not listed, not in app:all */
};

/* Helpers for the hooks. */
/* input_dir/name opened for writing (NULL after asb_app_fail). */
FILE *asb_app_create(asb_app_ctx *x, const char *name);
/* Closes f, failing the run if a write failed; 0 or -1. */
int asb_app_close(asb_app_ctx *x, FILE *f);
/* input_dir/name holding text (a script); 0 or -1. */
int asb_app_write_file(asb_app_ctx *x, const char *name, const char *text);
/* A figure for the row's extra column as extra.app_KEY (keys [a-z0-9_]+). */
void asb_app_report(asb_app_ctx *x, const char *key, double value);
/* The op count ns/op divides the wall time by. */
void asb_app_set_ops(asb_app_ctx *x, double ops);
/* The number after `label` in text (first occurrence), NaN if absent. */
double asb_app_number_after(const char *text, const char *label);
/* Records why the run failed (first message wins); returns -1. */
int asb_app_fail(asb_app_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Registry (workloads/app/registry.c): each app is also a workload of kind
 * "app" named app:NAME with the one parameter `scale`. */
void asb_app_register(const asb_app *app);
const asb_app *asb_app_of(const asb_workload *w); /* NULL unless w is an app */
const asb_app *asb_app_at(int i);                 /* NULL past the end */
/* `asbench list`: each app, its package (installed or not), input, scale. */
void asb_app_list(void);

/* One measured run of an app cell (run.c), in place of a worker run. */
void asb_app_measure(const asb_cell *c, const run_env *env, const char *timeline_path, run_result *r);

#define ASB_REGISTER_APP(desc) \
    __attribute__((constructor)) static void asb_register_app_##desc(void) { asb_app_register(&desc); }

#endif
