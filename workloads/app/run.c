/*
 * run.c — one measured run of an application cell (kind "app", app.h),
 * called by harness/measure.c in place of a worker run.
 *
 *   1. the programs must exist, else `unsupported: needs Debian package X`;
 *   2. the backend's library: the one the backend's worker takes malloc from
 *      (asbench-worker-NAME --malloc-library), a library given by path, or
 *      none for glibc; a variant adds its settings;
 *   3. the input, generated once per scale into DIR/.app/NAME-sSCALE/;
 *   4. the command (`sh -c`, exec'ing the program) in a fresh work folder
 *      with LD_PRELOAD="shim backend" through the worker client (timeout,
 *      RSS timeline, rusage, pin, nice; a signal is crashed:SIG…);
 *   5. the shim's reports (shim.c): no report or fewer than min_mallocs
 *      calls, or malloc served by another library, is `unsupported: APP
 *      does not use the preloaded malloc`;
 *   6. the output's checksum against the glibc run of the same scale (the
 *      glibc cell's own run, or a reference run): `verify-failed`;
 *   7. the app's figures into extra, ns/op = wall / its op count.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"

/* Deletes a folder tree (a run's work folder); best effort. */
static void remove_tree(const char *path) {
    DIR *d = opendir(path);
    if (d) {
        for (struct dirent *e; (e = readdir(d));) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char *p = asb_xasprintf("%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(p);
            else unlink(p);
            free(p);
        }
        closedir(d);
    }
    rmdir(path);
}

/* Helpers for the hooks (app.h). */
int asb_app_fail(asb_app_ctx *x, const char *fmt, ...) {
    if (!x->error) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&x->error, fmt, ap) < 0) x->error = NULL;
        va_end(ap);
    }
    return -1;
}

FILE *asb_app_create(asb_app_ctx *x, const char *name) {
    char *path = asb_xasprintf("%s/%s", x->input_dir, name);
    FILE *f = fopen(path, "we");
    if (!f) asb_app_fail(x, "cannot write %s: %s", path, strerror(errno));
    free(path);
    return f;
}

int asb_app_close(asb_app_ctx *x, FILE *f) {
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad) return asb_app_fail(x, "cannot write the input of %s: %s", x->app->name, strerror(errno));
    return 0;
}

int asb_app_write_file(asb_app_ctx *x, const char *name, const char *text) {
    FILE *f = asb_app_create(x, name);
    if (!f) return -1;
    fputs(text, f);
    return asb_app_close(x, f);
}

void asb_app_report(asb_app_ctx *x, const char *key, double value) {
    char *next = asb_xasprintf("%sextra.app_%s=%.6g\n", x->extra ? x->extra : "", key, value);
    free(x->extra);
    x->extra = next;
}

void asb_app_set_ops(asb_app_ctx *x, double ops) { x->ops = ops; }

double asb_app_number_after(const char *text, const char *label) {
    const char *p = text ? strstr(text, label) : NULL;
    if (!p) return NAN;
    char *end;
    double v = strtod(p + strlen(label), &end);
    return end == p + strlen(label) ? NAN : v;
}

/* The library `asbench-worker-NAME` takes malloc from, asked once per
 * backend (allocated); NULL with *why when it cannot be preloaded. */
static char *worker_malloc_library(const char *worker, char **why) {
    static struct { char *worker, *lib; } cache[16];
    static int ncache;
    for (int i = 0; i < ncache; i++)
        if (!strcmp(cache[i].worker, worker)) return cache[i].lib ? asb_xstrdup(cache[i].lib) : NULL;
    char *path = asb_worker_path(worker);
    asb_argv argv = {0};
    asb_argv_push(&argv, path);
    asb_argv_push(&argv, "--malloc-library");
    asb_launch l = {.argv = &argv, .quiet = true, .stdout_to_stderr = true, .timeout_s = 30};
    asb_outcome o;
    asb_client_run(&l, &o);
    const char *line = strstr(o.err_tail, "malloc_library=");
    char *lib = NULL;
    if (line && !strcmp(o.status, "ok")) {
        line += strlen("malloc_library=");
        lib = asb_xstrndup(line, strcspn(line, "\n"));
    }
    if (lib && !strcmp(lib, path)) { /* linked into the worker: nothing to preload */
        free(lib);
        lib = NULL;
    }
    if (!lib)
        *why = asb_xasprintf("backend %s has no malloc library to preload (%s --malloc-library: %s)", worker, path,
                             o.message ? o.message : o.status);
    else if (ncache < 16)
        cache[ncache++] = (typeof(cache[0])){asb_xstrdup(worker), asb_xstrdup(lib)};
    asb_outcome_free(&o);
    asb_argv_free(&argv);
    free(path);
    return lib;
}

static bool is_libc(const char *lib) {
    const char *base = strrchr(lib, '/');
    return !strncmp(base ? base + 1 : lib, "libc.so", 7);
}

/* Whether the cell is the plain glibc backend, whose output is the reference. */
static bool plain_glibc(const asb_cell *c) {
    return !strcmp(c->alloc.name, "glibc") && !c->alloc.preload && !c->alloc.env;
}

static long cell_scale(const asb_cell *c) {
    const char *p = strstr(c->params, "scale=");
    return p ? strtol(p + 6, NULL, 10) : 0;
}

/* DIR/.app holds the inputs and work folders while asbench runs; it goes
 * at exit (an input is regenerated, the same bytes, on --resume). */
static char *app_dir;
static void remove_app_dir(void) { remove_tree(app_dir); }

/* DIR/.app as an absolute path: the commands run in their work folder, where
 * a relative `-o results/X` would name nothing. */
static const char *app_root(const char *run_dir) {
    if (!app_dir) {
        char *abs = realpath(run_dir, NULL); /* the results folder exists by now */
        app_dir = asb_xasprintf("%s/.app", abs ? abs : run_dir);
        free(abs);
        atexit(remove_app_dir);
    }
    return app_dir;
}

/* DIR/.app/NAME-sSCALE: the input, generated once (its `ready` file marks
 * a complete one), and the reference checksum. */
static char *input_dir(asb_app_ctx *x, const char *run_dir) {
    char *dir = asb_xasprintf("%s/%s-s%ld", app_root(run_dir), x->app->name, x->scale);
    char *ready = asb_xasprintf("%s/ready", dir);
    if (access(ready, F_OK) != 0) {
        remove_tree(dir);
        if (asb_mkdirs(dir) != 0) asb_app_fail(x, "cannot create %s: %s", dir, strerror(errno));
        x->input_dir = dir;
        if (!x->error && x->app->generate && x->app->generate(x) != 0 && !x->error)
            asb_app_fail(x, "%s: generating the input failed", x->app->name);
        FILE *f = x->error ? NULL : fopen(ready, "we");
        if (f) fclose(f);
    }
    free(ready);
    x->input_dir = dir;
    return dir;
}

/* FNV-1a 64 over stdout (unless it varies) and the `outputs` files. */
static int output_checksum(asb_app_ctx *x, uint64_t *sum) {
    uint64_t h = 14695981039346656037ull;
    asb_strlist files = {0};
    if (!x->app->stdout_varies) asb_strlist_push(&files, x->stdout_path);
    if (x->app->outputs) {
        asb_strlist names = {0};
        asb_strlist_split(&names, x->app->outputs, ' ');
        for (int i = 0; i < names.n; i++) {
            char *p = asb_xasprintf("%s/%s", x->work_dir, names.items[i]);
            asb_strlist_push(&files, p);
            free(p);
        }
        asb_strlist_free(&names);
    }
    int r = 0;
    for (int i = 0; i < files.n && r == 0; i++) {
        size_t len;
        char *bytes = asb_read_file(files.items[i], &len);
        if (!bytes) {
            r = asb_app_fail(x, "%s did not write %s", x->app->name, files.items[i]);
            break;
        }
        for (size_t k = 0; k < len; k++) h = (h ^ (unsigned char)bytes[k]) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull; /* file boundary */
        free(bytes);
    }
    asb_strlist_free(&files);
    *sum = h;
    return r;
}

/* What the shim processes of a run reported (shim.c). */
typedef struct shim_totals {
    int reports;
    double mallocs, frees;
    char *foreign_lib; /* a process whose malloc came from another library, or NULL */
    char *lib;         /* the serving library of the first report */
} shim_totals;

static void read_shim_reports(const char *dir, const char *expected_lib, shim_totals *t) {
    *t = (shim_totals){0};
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strncmp(e->d_name, "shim.", 5)) continue;
        char *p = asb_xasprintf("%s/%s", dir, e->d_name);
        char *text = asb_read_file(p, NULL);
        free(p);
        if (!text) continue;
        t->reports++;
        t->mallocs += asb_app_number_after(text, "mallocs=");
        t->frees += asb_app_number_after(text, "frees=");
        const char *lib = strstr(text, "lib=");
        char *libpath = lib ? asb_xstrndup(lib + 4, strcspn(lib + 4, "\n")) : asb_xstrdup("?");
        char *real = realpath(libpath, NULL);
        char *want = expected_lib ? realpath(expected_lib, NULL) : NULL;
        bool served = expected_lib ? real && want && !strcmp(real, want) : is_libc(libpath);
        if (!served && !t->foreign_lib) t->foreign_lib = asb_xstrdup(libpath);
        if (!t->lib) t->lib = asb_xstrdup(libpath);
        free(real);
        free(want);
        free(libpath);
        free(text);
    }
    if (d) closedir(d);
}

/* The settings every run of the app gets. */
static char *app_settings(asb_app_ctx *x, const char *extra) {
    return asb_xasprintf("ASB_INPUT=%s;ASB_SCALE=%ld;ASB_WORK=%s;ASB_STDOUT=%s%s%s%s%s", x->input_dir, x->scale,
                         x->work_dir, x->stdout_path, x->app->env ? ";" : "", x->app->env ? x->app->env : "",
                         extra && *extra ? ";" : "", extra ? extra : "");
}

/* One run of the app (preload: "LD_PRELOAD=…;ASB_SHIM_OUT=…;variant", or
 * NULL for the reference run) into a fresh work folder; fills *o. */
static void run_app(asb_app_ctx *x, const char *work_dir, const char *preload, const asb_launch *proto,
                    asb_outcome *o) {
    remove_tree(work_dir);
    asb_mkdirs(work_dir);
    x->work_dir = work_dir;
    char *server_env = app_settings(x, preload);
    char *client_env = app_settings(x, NULL);
    x->launch = *proto;
    x->launch.env_settings = server_env;
    x->server_env = server_env;
    x->client_env = client_env;
    if (x->app->server) {
        void *state = NULL;
        const asb_app_server *s = x->app->server;
        int r = s->start(x, &state);
        if (r == 0) r = s->ready(x, state);
        if (r == 0) r = s->drive(x, state);
        s->stop(x, state, o);
        if (r != 0 && !strcmp(o->status, "ok")) snprintf(o->status, sizeof o->status, "error");
    } else {
        asb_argv argv = {0};
        asb_argv_push(&argv, "/bin/sh");
        asb_argv_push(&argv, "-c");
        asb_argv_pushf(&argv, "cd \"$ASB_WORK\" && exec >\"$ASB_STDOUT\" && %s", x->app->command);
        x->launch.argv = &argv;
        asb_client_run(&x->launch, o);
        asb_argv_free(&argv);
    }
    free(client_env);
    x->launch.env_settings = NULL;
    x->server_env = x->client_env = NULL;
    free(server_env);
}

/* The app's own exit code is no worker status: anything but 0 is an error,
 * or a crash where the shell reports a command killed by a signal. */
static void name_app_status(asb_app_ctx *x, asb_outcome *o) {
    if (x->error) {
        snprintf(o->status, sizeof o->status, "error");
        free(o->message);
        o->message = asb_xasprintf("app:%s: %s", x->app->name, x->error);
        return;
    }
    if (!strncmp(o->status, "crashed:", 8) || !strcmp(o->status, "timeout")) {
        char *said = o->message, *name = asb_xasprintf("app:%s", x->app->name);
        if (!said || strncmp(said, name, strlen(name))) { /* name the app once */
            o->message = asb_xasprintf("%s %s", name, said ? said : o->status);
            free(said);
        }
        free(name);
        return;
    }
    if (o->exit_code <= 0 && strcmp(o->status, "not-started")) return;
    int code = o->exit_code;
    char *said = o->message;
    const char *abbrev = code > 128 && code < 128 + 65 ? sigabbrev_np(code - 128) : NULL;
    if (abbrev) {
        snprintf(o->status, sizeof o->status, "crashed:SIG%s", abbrev);
        o->message = asb_xasprintf("app:%s: a process of it was killed by SIG%s%s%s", x->app->name, abbrev,
                                   said ? ": " : "", said ? said : "");
    } else {
        snprintf(o->status, sizeof o->status, "error");
        o->message = asb_xasprintf("app:%s exited with status %d%s%s", x->app->name, code, said ? ": " : "",
                                   said ? said : "");
    }
    free(said);
}

static void set_status(asb_outcome *o, const char *status, char *message) {
    snprintf(o->status, sizeof o->status, "%s", status);
    free(o->message);
    o->message = message;
}

/* The reference checksum of the app at this scale: the glibc run's. */
static bool reference_sum(asb_app_ctx *x, const char *ref_path, const char *work_dir, const asb_launch *proto,
                          uint64_t *sum) {
    char *text = asb_read_file(ref_path, NULL);
    if (text) {
        *sum = strtoull(text, NULL, 16);
        free(text);
        return true;
    }
    asb_outcome o;
    asb_launch quiet = *proto;
    quiet.timeline_path = NULL;
    run_app(x, work_dir, NULL, &quiet, &o);
    name_app_status(x, &o);
    bool ok = !strcmp(o.status, "ok") && output_checksum(x, sum) == 0;
    if (ok) {
        FILE *f = fopen(ref_path, "we");
        if (f) fprintf(f, "%016llx\n", (unsigned long long)*sum), fclose(f);
    }
    remove_tree(work_dir);
    asb_outcome_free(&o);
    return ok;
}

/* The outcome of a run that did not start (the app or its backend cannot run). */
static void not_run(asb_outcome *o, const char *status, char *message) {
    *o = (asb_outcome){.exit_code = -1, .steal_s = NAN, .other_cpu_s = NAN};
    snprintf(o->status, sizeof o->status, "%s", status);
    o->message = message;
    asb_outcome_set_lines(o, asb_xstrdup(""));
    o->err_tail = asb_xstrdup("");
}

void asb_app_measure(const asb_cell *c, const run_env *env, const char *timeline_path, run_result *r) {
    *r = (run_result){.futex_calls = NAN, .instructions = NAN, .d1_misses = NAN, .ll_misses = NAN};
    const asb_app *app = asb_app_of(c->workload);
    asb_app_ctx x = {.app = app, .scale = cell_scale(c), .seed = 42};
    asb_strlist programs = {0};
    asb_strlist_split(&programs, app->programs ? app->programs : "", ' ');
    for (int i = 0; i < programs.n; i++)
        if (access(programs.items[i], X_OK) != 0) {
            not_run(&r->o, "unsupported", asb_xasprintf("app:%s needs Debian package %s (%s is missing)", app->name,
                                                  app->package, programs.items[i]));
            asb_strlist_free(&programs);
            return;
        }
    asb_strlist_free(&programs);
    char *why = NULL, *lib = NULL;
    if (c->alloc.preload) lib = asb_xstrdup(c->alloc.preload);
    else if (!strcmp(c->alloc.worker, "go")) why = asb_xstrdup("the Go heap is no malloc to preload");
    else if (strcmp(c->alloc.worker, "glibc")) lib = worker_malloc_library(c->alloc.worker, &why);
    if (lib && is_libc(lib)) { /* the glibc worker's malloc: nothing to preload */
        free(lib);
        lib = NULL;
    }
    if (why) {
        not_run(&r->o, "unsupported", asb_xasprintf("app:%s: %s", app->name, why));
        free(why);
        return;
    }
    char *in = input_dir(&x, env->dir);
    char *work = asb_xasprintf("%s/run-%d", app_root(env->dir), (int)getpid());
    char *shim_dir = asb_xasprintf("%s.shim", work), *out_path = asb_xasprintf("%s.stdout", work);
    char *shim = asb_xasprintf("%s/../workloads/app/libasb-app-shim.so", asb_exe_dir());
    char *preload = asb_xasprintf("LD_PRELOAD=%s%s%s;ASB_SHIM_OUT=%s%s%s", shim, lib ? " " : "", lib ? lib : "",
                                  shim_dir, c->alloc.env ? ";" : "", c->alloc.env ? c->alloc.env : "");
    asb_launch proto = {.quiet = true,
                        .timeout_s = env->m->timeout_s,
                        .timeline_path = timeline_path,
                        .sample_ms = env->m->sample_ms,
                        .pin = env->pin ? &env->pin_set : NULL,
                        .nice = env->m->has_nice ? &env->m->nice_value : NULL,
                        .interrupted = env->interrupted};
    asb_outcome *o = &r->o;
    x.stdout_path = out_path;
    if (x.error) {
        not_run(o, "error", NULL);
        name_app_status(&x, o);
    } else {
        remove_tree(shim_dir);
        asb_mkdirs(shim_dir);
        run_app(&x, work, preload, &proto, o);
        name_app_status(&x, o);
    }
    char *lines = NULL;
    if (!strcmp(o->status, "ok")) {
        shim_totals t;
        read_shim_reports(shim_dir, lib, &t);
        long min = app->min_mallocs > 0 ? app->min_mallocs : 1000;
        uint64_t sum = 0, ref = 0;
        char *ref_path = asb_xasprintf("%s/glibc.sum", in);
        char *out_text = asb_read_file(x.stdout_path, NULL);
        if (!t.reports)
            set_status(o, "unsupported", asb_xasprintf("app:%s does not use the preloaded malloc (no process of it "
                                                       "loaded the preload shim: a static binary?)", app->name));
        else if (t.foreign_lib)
            set_status(o, "unsupported", asb_xasprintf("app:%s does not use the preloaded malloc (malloc came from %s)",
                                                       app->name, t.foreign_lib));
        else if (t.mallocs < (double)min)
            set_status(o, "unsupported", asb_xasprintf("app:%s does not use the preloaded malloc (%.0f malloc calls, "
                                                       "fewer than %ld: an allocator of its own?)",
                                                       app->name, t.mallocs, min));
        else if (output_checksum(&x, &sum) != 0)
            name_app_status(&x, o);
        else if (plain_glibc(c) && access(ref_path, F_OK) != 0) {
            FILE *f = fopen(ref_path, "we");
            if (f) fprintf(f, "%016llx\n", (unsigned long long)sum), fclose(f);
        } else if (!reference_sum(&x, ref_path, work, &proto, &ref))
            set_status(o, "error", asb_xasprintf("app:%s: the glibc reference run failed: %s", app->name,
                                                 x.error ? x.error : "see its stderr"));
        else if (sum != ref)
            set_status(o, "verify-failed", asb_xasprintf("app:%s output differs from glibc's", app->name));
        if (!strcmp(o->status, "ok") && app->parse) {
            app->parse(&x, out_text ? out_text : "");
        }
        const char *base = t.lib ? strrchr(t.lib, '/') : NULL;
        lines = asb_xasprintf("elapsed_ns=%.0f\nops=%.0f\ncpu_ns=%.0f\nextra.app_mallocs=%.0f\nextra.app_frees=%.0f\n"
                              "extra.app_processes=%d\nextra.app_malloc_lib=%s\n%s",
                              o->wall_s * 1e9, x.ops > 0 ? x.ops : 1,
                              ((double)o->ru.ru_utime.tv_sec + (double)o->ru.ru_stime.tv_sec) * 1e9 +
                                  ((double)o->ru.ru_utime.tv_usec + (double)o->ru.ru_stime.tv_usec) * 1e3,
                              t.mallocs, t.frees, t.reports, base ? base + 1 : t.lib ? t.lib : "NA",
                              x.extra ? x.extra : "");
        free(t.lib);
        free(t.foreign_lib);
        free(ref_path);
        free(out_text);
    }
    asb_outcome_set_lines(o, lines ? lines : asb_xstrdup(""));
    unlink(out_path);
    free(out_path);
    remove_tree(work);
    remove_tree(shim_dir);
    free(x.error);
    free(x.extra);
    free(preload);
    free(shim);
    free(shim_dir);
    free(work);
    free(in);
    free(lib);
}
