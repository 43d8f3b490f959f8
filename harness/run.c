/*
 * run.c — `asbench run`: run a matrix (matrix.c) of cells, each repetition
 * in a fresh worker process, and append one CSV row per run to
 * DIR/results.csv as soon as it finishes.
 *
 * Isolation: every run is a fork+exec of the worker binary linked with the
 * chosen allocator (or the Go worker for the `go` scheduler); its results
 * come back on a pipe (fd 3), its resource use from wait4().  A crash,
 * timeout, non-zero exit or failed verification is the row's status and the
 * matrix goes on.  While the worker runs, the parent samples /proc/PID/statm
 * into a per-run RSS timeline (the worker does no sampling of its own, so it
 * is not slowed).
 *
 * Order: repetitions are interleaved across cells (rep 1 of every cell, then
 * rep 2 …) so that drift on a noisy machine hits every backend alike; an
 * unrecorded warm-up run of each cell comes first.
 *
 * Durability: each row is one write() to a file opened O_APPEND, so a killed
 * harness leaves only whole rows; DIR/matrix.txt holds the whole definition
 * (cells and settings), so `--resume DIR` runs exactly the (cell,
 * repetition) pairs that results.csv does not have yet.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "asbench.h"

/* What one worker run gave. */
typedef struct run_result {
    char status[64];
    char *message;
    double wall_s;
    struct rusage ru;
    char *lines;        /* raw key=value lines from the worker */
    double futex_calls; /* NaN unless counted */
} run_result;

/* Everything a run needs besides the cell. */
typedef struct run_env {
    const asb_matrix *m;
    const char *dir;
    cpu_set_t pin_set;
    bool pin;
} run_env;

static volatile sig_atomic_t interrupted;
static void on_interrupt(int sig) { interrupted = sig; }

static const char *usage_text =
    "usage: asbench run [options]\n"
    "  --matrix NAME|FILE  run a matrix: quick (CI), default, full, or a matrix file\n"
    "                      (format: docs/harness.md); cannot be mixed with the cell options below\n"
    "  --resume DIR        finish an interrupted run in DIR (its matrix.txt), skipping done runs\n"
    "  --shard I/N         run only slice I of N of the cells (join the folders with asbench merge)\n"
    "cells (without --matrix):\n"
    "  --alloc LIST        backends, comma-separated, or all (default); name=/path/lib.so for a\n"
    "                      library the build did not find (run under LD_PRELOAD); name=backend[VAR=V;…]\n"
    "                      for a backend run with settings, e.g. gsfree=gostyle[GOSTYLEDEBUG=freegc=1]\n"
    "  --workload LIST     workloads (default churn), or all; see asbench list\n"
    "  --sched LIST        schedulers for scheduler workloads (default all; go = the Go runtime);\n"
    "                      name=sched[VAR=V;…] for a scheduler run with settings (GMPDEBUG=…)\n"
    "  --threads LIST      thread counts, e.g. 1,2 (default 1)\n"
    "  --param KEY=VALUE   set a workload parameter; VALUE may be a comma list (repeatable)\n"
    "settings:\n"
    "  --preset NAME       quick or standard (default standard): parameter values and reps\n"
    "  --reps N            repetitions per cell (default 5; quick 3)\n"
    "  --no-warmup         skip the unrecorded warm-up run of each cell\n"
    "  --timeout S         seconds before a run is killed (default 600)\n"
    "  --sample-ms N       RSS timeline sampling interval (default 10)\n"
    "  --pin CPULIST       pin every worker to these CPUs (sched_setaffinity), e.g. 0 or 0-1\n"
    "  --futex-counts      count futex calls with strace -f (perturbs the run; NA without strace)\n"
    "  -o DIR              results folder (default results/run-YYYYmmdd-HHMMSS); must not hold results\n"
    "  --baseline NAME     backend the charts are relative to (default glibc)\n"
    "  --no-plot           do not draw charts at the end\n"
    "  --dry-run           print the cells of this shard and the number of runs, run nothing\n";

/* Appends "KEY=VALUE " to a line being built from the options. */
static void add_word(char **line, const char *key, const char *value) {
    if (strpbrk(value, " \t\n#"))
        asb_die_usage("%s %s: values may not contain blanks or '#'", key, value);
    char *next = asb_xasprintf("%s %s=%s", *line, key, value);
    free(*line);
    *line = next;
}

/* Builds the matrix from the options; returns the resume folder or NULL. */
static const char *parse_options(int argc, char **argv, asb_matrix *m, const char **dir, bool *plot,
                                 bool *dry_run) {
    const char *matrix = NULL, *resume = NULL;
    char *set = asb_xstrdup("set"), *run = asb_xstrdup("run");
    bool cell_option = false, workload_given = false;
    *plot = true;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            exit(0);
        }
        if (!strcmp(a, "--no-warmup")) { add_word(&set, "warmup", "no"); continue; }
        if (!strcmp(a, "--futex-counts")) { add_word(&set, "futex-counts", "yes"); continue; }
        if (!strcmp(a, "--no-plot")) { *plot = false; continue; }
        if (!strcmp(a, "--dry-run")) { *dry_run = true; continue; }
        if (i + 1 >= argc) asb_die_usage("option %s needs a value (see asbench run --help)", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--matrix")) matrix = v;
        else if (!strcmp(a, "--resume")) resume = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) *dir = v;
        else if (!strcmp(a, "--alloc")) { add_word(&run, "alloc", v); cell_option = true; }
        else if (!strcmp(a, "--workload")) { add_word(&run, "workload", v); cell_option = workload_given = true; }
        else if (!strcmp(a, "--sched")) { add_word(&run, "sched", v); cell_option = true; }
        else if (!strcmp(a, "--threads")) { add_word(&run, "threads", v); cell_option = true; }
        else if (!strcmp(a, "--param")) {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v) asb_die_usage("--param %s: expected key=value", v);
            char *key = strndup(v, (size_t)(eq - v));
            add_word(&run, key, eq + 1);
            free(key);
            cell_option = true;
        } else if (!strcmp(a, "--preset")) add_word(&set, "preset", v);
        else if (!strcmp(a, "--reps")) add_word(&set, "reps", v);
        else if (!strcmp(a, "--timeout")) add_word(&set, "timeout", v);
        else if (!strcmp(a, "--sample-ms")) add_word(&set, "sample-ms", v);
        else if (!strcmp(a, "--pin")) add_word(&set, "pin", v);
        else if (!strcmp(a, "--baseline")) add_word(&set, "baseline", v);
        else if (!strcmp(a, "--shard")) add_word(&set, "shard", v);
        else asb_die_usage("run: unknown option %s (see asbench run --help)", a);
    }
    asb_matrix_init(m);
    char *err = NULL;
    if (resume) {
        if (argc != 2 && !(argc == 3 && !*plot))
            asb_die_usage("--resume DIR takes no other option than --no-plot (the settings are in DIR/matrix.txt)");
        char *path = asb_xasprintf("%s/matrix.txt", resume);
        char *text = asb_read_file(path, NULL);
        if (!text) asb_die_usage("--resume %s: cannot read %s: %s", resume, path, strerror(errno));
        if (asb_matrix_parse(m, path, text, &err)) asb_die_usage("%s", err);
        free(text);
        free(path);
        *dir = resume;
    } else {
        if (matrix && cell_option)
            asb_die_usage("--matrix cannot be combined with --alloc/--workload/--sched/--threads/--param "
                          "(write a matrix file instead)");
        /* The settings go first so that preset= applies to the run lines. */
        if (strcmp(set, "set") && asb_matrix_parse(m, "command line", set, &err)) asb_die_usage("%s", err);
        if (matrix) {
            char *path = asb_matrix_path(matrix);
            char *text = asb_read_file(path, NULL);
            if (!text) asb_die_usage("--matrix %s: cannot read %s: %s", matrix, path, strerror(errno));
            if (asb_matrix_parse(m, path, text, &err)) asb_die_usage("%s", err);
            /* The command line's settings win over the file's. */
            if (strcmp(set, "set") && asb_matrix_parse(m, "command line", set, &err)) asb_die_usage("%s", err);
            free(text);
            free(path);
        } else {
            if (!workload_given) add_word(&run, "workload", "churn");
            if (asb_matrix_parse(m, "command line", run, &err)) asb_die_usage("%s", err);
        }
    }
    if (m->ncells == 0) asb_die_usage("the matrix has no cells");
    if (m->reps == 0) m->reps = m->quick ? 3 : 5;
    free(set);
    free(run);
    return resume;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool is_go(const asb_cell *c) { return c->sched && !strcmp(c->sched_base, "go"); }

/* The Go worker lives in the build tree beside the C workers' folder. */
static char *go_worker_path(void) {
    return asb_xasprintf("%s/../workloads/sched/go/asbench-worker-go", asb_exe_dir());
}

static char *worker_path(const asb_cell *c) {
    if (is_go(c)) return go_worker_path();
    return asb_xasprintf("%s/asbench-worker-%s", asb_exe_dir(), c->alloc.worker);
}

/* Parses "0-3,6" into a CPU set; false if it names no usable CPU. */
static bool parse_cpulist(const char *list, cpu_set_t *set) {
    CPU_ZERO(set);
    asb_strlist parts = {0};
    asb_strlist_split(&parts, list, ',');
    bool ok = parts.n > 0;
    for (int i = 0; i < parts.n && ok; i++) {
        int lo, hi, used = 0;
        const char *item = parts.items[i];
        if (sscanf(item, "%d-%d%n", &lo, &hi, &used) != 2 || item[used]) { /* not a range: one CPU */
            used = 0;
            if (sscanf(item, "%d%n", &lo, &used) != 1 || item[used]) {
                ok = false;
                break;
            }
            hi = lo;
        }
        if (lo < 0 || hi < lo || hi >= CPU_SETSIZE) ok = false;
        for (int c = lo; ok && c <= hi; c++) CPU_SET(c, set);
    }
    asb_strlist_free(&parts);
    return ok;
}

static void exec_worker(const asb_cell *c, const run_env *env, int result_fd, const char *strace_out) {
    char *path = worker_path(c);
    char threads[16];
    snprintf(threads, sizeof threads, "%d", c->threads);
    const char *argv[128];
    int n = 0;
    if (strace_out) {
        const char *strace[] = {"strace", "-f", "-c", "-e", "trace=futex", "-o", strace_out};
        for (size_t i = 0; i < sizeof strace / sizeof *strace; i++) argv[n++] = strace[i];
    }
    argv[n++] = path;
    argv[n++] = "--workload";
    argv[n++] = c->workload->name;
    argv[n++] = "--threads";
    argv[n++] = threads;
    argv[n++] = "--preset";
    argv[n++] = c->quick ? "quick" : "standard";
    argv[n++] = "--result-fd";
    argv[n++] = "3";
    if (c->sched) {
        argv[n++] = "--sched";
        argv[n++] = c->sched_base;
    }
    if (c->alloc.preload) {
        argv[n++] = "--preloaded";
        argv[n++] = c->alloc.name;
    }
    asb_alloc_choice_setenv(&c->alloc);
    if (c->sched_env) asb_setenv_settings(c->sched_env);
    for (int i = 0; i < c->overrides.n && n < 124; i++) {
        argv[n++] = "--param";
        argv[n++] = c->overrides.items[i];
    }
    argv[n] = NULL;
    if (result_fd != 3) {
        dup2(result_fd, 3);
        close(result_fd);
    }
    if (env->pin && sched_setaffinity(0, sizeof env->pin_set, &env->pin_set) != 0) {
        fprintf(stderr, "asbench: --pin %s: %s\n", env->m->pin, strerror(errno));
        _exit(127);
    }
    execvp(argv[0], (char **)argv);
    fprintf(stderr, "asbench: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Futex calls in an `strace -c` summary (no futex line: none made), or NaN
 * without a summary. */
static double strace_futex_calls(const char *path) {
    char *text = asb_read_file(path, NULL);
    double calls = text && strstr(text, "total") ? 0 : NAN;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        /* % time, seconds, usecs/call, calls, [errors], syscall */
        double pct, secs, usecs, count;
        const char *name = strrchr(line, ' ');
        if (name && !strcmp(name + 1, "futex") && sscanf(line, "%lf %lf %lf %lf", &pct, &secs, &usecs, &count) == 4)
            calls = count;
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return calls;
}

/* Output of a worker read through a pipe into a NUL-terminated buffer. */
typedef struct stream {
    int fd;
    bool eof, echo; /* echo: pass it on to our stderr too */
    char *buf;
    size_t len, cap;
} stream;

static void stream_read(stream *s) {
    if (s->cap - s->len < 4096) {
        s->cap = s->cap ? 2 * s->cap : 8192;
        s->buf = realloc(s->buf, s->cap);
        if (!s->buf) asb_die("out of memory");
    }
    ssize_t got = read(s->fd, s->buf + s->len, s->cap - s->len - 1);
    if (got > 0) {
        if (s->echo && write(2, s->buf + s->len, (size_t)got) < 0) s->echo = false;
        s->len += (size_t)got;
    } else if (got == 0 || errno != EINTR) {
        s->eof = true;
    }
    s->buf[s->len] = 0;
}

/* Run one repetition; the RSS timeline goes to `timeline_path` (may be NULL). */
static void run_once(const asb_cell *c, const run_env *env, const char *timeline_path, run_result *r) {
    const asb_matrix *m = env->m;
    *r = (run_result){.futex_calls = NAN};
    if (is_go(c)) {
        char *go = go_worker_path();
        bool present = access(go, X_OK) == 0;
        if (!present) {
            snprintf(r->status, sizeof r->status, "unsupported");
            r->message = asb_xasprintf("Go worker %s is missing: go was not found at build time "
                                       "(install Debian package golang-go and rebuild)", go);
            r->lines = asb_xstrdup("");
        }
        free(go);
        if (!present) return;
    }
    char *strace_out = m->futex_counts ? asb_xasprintf("%s/.strace-%d.txt", env->dir, (int)getpid()) : NULL;
    /* results[]: the worker's key=value lines (its fd 3); errors[]: its
     * stderr, passed on to ours and kept to explain a failed run. */
    int results[2], errors[2];
    if (pipe2(results, O_CLOEXEC) != 0 || pipe2(errors, O_CLOEXEC) != 0) asb_die("pipe: %s", strerror(errno));
    FILE *timeline = timeline_path ? fopen(timeline_path, "we") : NULL;
    if (timeline) fputs("t_ms,rss_kb\n", timeline);
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0) asb_die("fork: %s", strerror(errno));
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a killed harness leaves no worker behind */
        dup2(errors[1], 2);
        int fd = fcntl(results[1], F_DUPFD, 4); /* keep it clear of 0-3; drops O_CLOEXEC */
        exec_worker(c, env, fd, strace_out);
    }
    close(results[1]);
    close(errors[1]);

    stream out = {.fd = results[0]}, err = {.fd = errors[0], .echo = true};
    bool exited = false, timed_out = false, killed = false;
    int wstatus = 0;
    /* The first sample comes after 1 ms, so that even a run shorter than the
     * interval has a timeline; then one every sample_ms. */
    int wait_ms = 1;
    while (!exited) {
        struct pollfd pfd[2] = {{.fd = out.fd, .events = POLLIN}, {.fd = err.fd, .events = POLLIN}};
        if (out.eof && err.eof) usleep((useconds_t)wait_ms * 1000);
        else if (poll(pfd + out.eof, (nfds_t)(2 - out.eof - err.eof), wait_ms) > 0) {
            if (!out.eof && pfd[0].revents) stream_read(&out);
            if (!err.eof && pfd[1].revents) stream_read(&err);
        }
        if (timeline) {
            long rss = asb_rss_kb(pid);
            /* 0 once the worker has exited and awaits wait4(): not a sample */
            if (rss > 0) fprintf(timeline, "%.0f,%ld\n", (now_s() - t0) * 1000, rss);
        }
        wait_ms = m->sample_ms;
        pid_t w = wait4(pid, &wstatus, WNOHANG, &r->ru);
        if (w == pid) exited = true;
        else if (!killed && (interrupted || now_s() - t0 > m->timeout_s)) {
            timed_out = !interrupted;
            killed = true;
            kill(pid, SIGKILL);
        }
    }
    r->wall_s = now_s() - t0;
    /* Drain what the worker wrote before it exited. */
    while (!out.eof) stream_read(&out);
    while (!err.eof) stream_read(&err);
    close(out.fd);
    close(err.fd);
    if (timeline) fclose(timeline);
    r->lines = out.buf;
    if (strace_out) {
        r->futex_calls = strace_futex_calls(strace_out);
        unlink(strace_out);
        free(strace_out);
    }

    if (timed_out) {
        snprintf(r->status, sizeof r->status, "timeout");
        r->message = asb_xasprintf("killed after %g s", m->timeout_s);
    } else if (WIFSIGNALED(wstatus)) {
        const char *abbrev = sigabbrev_np(WTERMSIG(wstatus));
        snprintf(r->status, sizeof r->status, "crashed:SIG%s", abbrev ? abbrev : "UNKNOWN");
        r->message = asb_xasprintf("worker killed by signal %d (%s)", WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
    } else {
        int code = WEXITSTATUS(wstatus);
        const char *names[] = {"ok", "error", "usage", "verify-failed", "unsupported"};
        snprintf(r->status, sizeof r->status, "%s", code <= 4 ? names[code] : "error");
        if (code > 4 && code != 127) r->message = asb_xasprintf("worker exited with status %d", code);
    }
    /* Else the last thing the worker said on stderr explains a failure. */
    if (strcmp(r->status, "ok") && !r->message && err.len) {
        char *end = err.buf + err.len;
        while (end > err.buf && (end[-1] == '\n' || end[-1] == ' ')) *--end = 0;
        char *line = end;
        while (line > err.buf && line[-1] != '\n') line--;
        if (*line) r->message = strndup(line, 300);
    }
    free(err.buf);
    /* The worker's own message, if any, is more precise. */
    char *msg = strstr(r->lines, "message=");
    if (msg && (msg == r->lines || msg[-1] == '\n')) {
        char *nl = strchr(msg, '\n');
        free(r->message);
        r->message = nl ? strndup(msg + 8, (size_t)(nl - msg - 8)) : strdup(msg + 8);
    }
}

/* Value of key in the worker's lines, or NULL. */
static const char *result_value(const char *lines, const char *key, char *out, size_t outlen) {
    size_t klen = strlen(key);
    for (const char *p = lines; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t linelen = nl ? (size_t)(nl - p) : strlen(p);
        if (linelen > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t vlen = linelen - klen - 1 < outlen - 1 ? linelen - klen - 1 : outlen - 1;
            memcpy(out, p + klen + 1, vlen);
            out[vlen] = 0;
            return out;
        }
        p = nl ? nl + 1 : NULL;
    }
    return NULL;
}

static double result_number(const char *lines, const char *key, bool *ok) {
    char v[64];
    *ok = result_value(lines, key, v, sizeof v) != NULL;
    return *ok ? strtod(v, NULL) : 0;
}

/* Extra figures: every native.*, sched.* and extra.* line except the lock
 * columns, as "key=value;key=value". */
static char *extra_field(const char *lines) {
    char *out = asb_xstrdup("");
    for (const char *p = lines; p && *p;) {
        const char *nl = strchr(p, '\n');
        int linelen = (int)(nl ? (size_t)(nl - p) : strlen(p));
        bool wanted = (!strncmp(p, "native.", 7) || !strncmp(p, "sched.", 6) || !strncmp(p, "extra.", 6)) &&
                      strncmp(p, "native.lock_", 12) != 0;
        if (wanted) {
            char *next = asb_xasprintf("%s%s%.*s", out, *out ? ";" : "", linelen, p);
            free(out);
            out = next;
        }
        p = nl ? nl + 1 : NULL;
    }
    return out;
}

/* Format the row in memory and append it with one write(), so an interrupted
 * harness never leaves half a row.  Columns follow asb_csv_columns. */
static void append_row(int fd, const asb_cell *c, int rep, const run_result *r, const char *timeline) {
    char *row = NULL;
    size_t rowlen = 0;
    FILE *f = open_memstream(&row, &rowlen);
    bool ok;
    double ops = result_number(r->lines, "ops", &ok);
    double elapsed = result_number(r->lines, "elapsed_ns", &ok);
    bool have_ops = ok && ops > 0 && strcmp(r->status, "ok") == 0;
    double allocs = result_number(r->lines, "allocs", &ok);
    double bytes = result_number(r->lines, "bytes", &ok);
    /* Resource figures exist only if a worker process ran. */
    bool ran = r->wall_s > 0;
    char num[32][48];
    int k = 0;
#define FMT(...) (snprintf(num[k], sizeof num[k], __VA_ARGS__), num[k++])
#define NUM_OR_NA(cond, ...) ((cond) ? FMT(__VA_ARGS__) : NULL)
    const char *fields[32];
    int nf = 0;
    fields[nf++] = c->alloc.name;
    fields[nf++] = c->sched ? c->sched : "NA";
    fields[nf++] = c->workload->name;
    fields[nf++] = c->quick ? "quick" : "standard";
    fields[nf++] = c->params;
    fields[nf++] = FMT("%d", c->threads);
    fields[nf++] = FMT("%d", rep);
    fields[nf++] = r->status;
    fields[nf++] = r->message ? r->message : "";
    fields[nf++] = NUM_OR_NA(have_ops, "%.0f", ops);
    fields[nf++] = NUM_OR_NA(have_ops, "%.4f", elapsed / ops);
    fields[nf++] = NUM_OR_NA(have_ops, "%.4f", allocs / ops);
    fields[nf++] = NUM_OR_NA(have_ops, "%.4f", bytes / ops);
    fields[nf++] = NUM_OR_NA(ran, "%.6f", r->wall_s);
    fields[nf++] = NUM_OR_NA(ran, "%.6f", (double)r->ru.ru_utime.tv_sec + (double)r->ru.ru_utime.tv_usec / 1e6);
    fields[nf++] = NUM_OR_NA(ran, "%.6f", (double)r->ru.ru_stime.tv_sec + (double)r->ru.ru_stime.tv_usec / 1e6);
    fields[nf++] = NUM_OR_NA(ran, "%ld", r->ru.ru_maxrss);
    double final_rss = result_number(r->lines, "final_rss_kb", &ok);
    fields[nf++] = NUM_OR_NA(ok && final_rss >= 0, "%.0f", final_rss);
    fields[nf++] = NUM_OR_NA(ran, "%ld", r->ru.ru_minflt);
    fields[nf++] = NUM_OR_NA(ran, "%ld", r->ru.ru_majflt);
    fields[nf++] = NUM_OR_NA(ran, "%ld", r->ru.ru_nvcsw);
    fields[nf++] = NUM_OR_NA(ran, "%ld", r->ru.ru_nivcsw);
    static const char *lock_keys[] = {"native.lock_acquisitions", "native.lock_contended", "native.lock_wait_ns"};
    for (int i = 0; i < 3; i++) {
        double v = result_number(r->lines, lock_keys[i], &ok);
        fields[nf++] = NUM_OR_NA(ok, "%.0f", v);
    }
    fields[nf++] = NUM_OR_NA(!isnan(r->futex_calls), "%.0f", r->futex_calls);
    fields[nf++] = timeline;
#undef NUM_OR_NA
#undef FMT
    char *extra = extra_field(r->lines);
    fields[nf++] = extra;
    if (nf != asb_ncsv_columns) asb_die("internal error: %d fields for %d columns", nf, asb_ncsv_columns);
    for (int i = 0; i < nf; i++) asb_csv_field(f, fields[i] ? fields[i] : "NA", i == nf - 1);
    fclose(f);
    free(extra);
    if (write(fd, row, rowlen) != (ssize_t)rowlen) asb_die("cannot append to results.csv: %s", strerror(errno));
    free(row);
}

static void free_result(run_result *r) {
    free(r->message);
    free(r->lines);
}

static char *default_dir(void) {
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    return asb_xasprintf("results/run-%s", stamp);
}

/* File-name-safe identity of a cell: names plus a hash of its parameters. */
static char *cell_slug(const asb_cell *c) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = c->params; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    return asb_xasprintf("%s-%s%s%s-t%d-%08x", c->workload->name, c->alloc.name, c->sched ? "-" : "",
                         c->sched ? c->sched : "", c->threads, h);
}

/* A resumed results.csv may end in a row cut short by a crash of the
 * machine (a killed harness cannot leave one: rows are single writes). */
static void drop_partial_row(const char *csv_path) {
    size_t len;
    char *text = asb_read_file(csv_path, &len);
    if (!text || len == 0 || text[len - 1] == '\n') {
        free(text);
        return;
    }
    char *nl = strrchr(text, '\n');
    off_t keep = nl ? (off_t)(nl - text + 1) : 0;
    fprintf(stderr, "asbench: dropping an unfinished last row of %s\n", csv_path);
    if (truncate(csv_path, keep) != 0) asb_die("cannot truncate %s: %s", csv_path, strerror(errno));
    free(text);
}

static const asb_cell *sort_cells_base;
static int cmp_cell_index(const void *a, const void *b) {
    return strcmp(sort_cells_base[*(const int *)a].key, sort_cells_base[*(const int *)b].key);
}

/* done[i * (reps + 1) + rep] for the (cell, repetition) pairs in results.csv
 * (cells found by binary search: a full matrix has thousands). */
static bool *runs_done(const char *csv_path, const asb_matrix *m) {
    bool *done = asb_xmalloc((size_t)m->ncells * (size_t)(m->reps + 1) * sizeof *done);
    int *order = asb_xmalloc((size_t)m->ncells * sizeof *order);
    for (int i = 0; i < m->ncells; i++) order[i] = i;
    sort_cells_base = m->cells;
    qsort(order, (size_t)m->ncells, sizeof *order, cmp_cell_index);
    asb_results r;
    char *err = NULL;
    if (asb_results_load(csv_path, &r, &err) != 0) asb_die_usage("--resume: %s", err);
    for (int row = 0; row < r.nrows; row++) {
        char *key = asb_results_row_key(&r, row);
        int rep = atoi(asb_results_get(&r, row, "repetition"));
        int lo = 0, hi = m->ncells - 1;
        while (lo <= hi) {
            int mid = (lo + hi) / 2, c = strcmp(m->cells[order[mid]].key, key);
            if (c == 0) {
                if (rep >= 1 && rep <= m->reps) done[order[mid] * (m->reps + 1) + rep] = true;
                break;
            }
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        free(key);
    }
    asb_results_free(&r);
    free(order);
    return done;
}

static int open_results(const char *csv_path, bool resume) {
    int fd = open(csv_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (resume ? 0 : O_EXCL), 0666);
    if (fd < 0 && errno == EEXIST)
        asb_die_usage("%s already exists: finish it with --resume, or choose another -o folder", csv_path);
    if (fd < 0) asb_die_usage("cannot write %s: %s", csv_path, strerror(errno));
    if (lseek(fd, 0, SEEK_END) == 0) {
        char *hdr = NULL;
        size_t hlen = 0;
        FILE *h = open_memstream(&hdr, &hlen);
        for (int i = 0; i < asb_ncsv_columns; i++) asb_csv_field(h, asb_csv_columns[i], i == asb_ncsv_columns - 1);
        fclose(h);
        if (write(fd, hdr, hlen) != (ssize_t)hlen) asb_die_usage("cannot write %s: %s", csv_path, strerror(errno));
        free(hdr);
    }
    return fd;
}

/* DIR/matrix.txt: what --resume re-reads (written once, before any run). */
static void write_matrix_file(const char *dir, const asb_matrix *m) {
    char *path = asb_xasprintf("%s/matrix.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f) asb_die_usage("cannot write %s: %s", path, strerror(errno));
    fprintf(f, "# asbench matrix of this results folder (asbench run --resume reads it)\n%s", m->text);
    /* Settings resolved from defaults, so that a resume cannot drift. */
    fprintf(f, "set reps=%d\n", m->reps);
    if (fclose(f) != 0) asb_die_usage("cannot write %s: %s", path, strerror(errno));
    free(path);
}

int asb_cmd_run(int argc, char **argv) {
    asb_matrix m;
    const char *dir_opt = NULL;
    bool plot, dry_run = false;
    bool resume = parse_options(argc, argv, &m, &dir_opt, &plot, &dry_run) != NULL;
    if (dry_run) {
        int n = 0;
        for (int i = 0; i < m.ncells; i++)
            if (asb_matrix_in_shard(&m, i)) {
                const asb_cell *c = &m.cells[i];
                printf("%s %s%s%s t=%d %s\n", c->workload->name, c->alloc.name, c->sched ? " " : "",
                       c->sched ? c->sched : "", c->threads, c->params);
                n++;
            }
        printf("%d cells, %d runs (%d repetitions%s)\n", n, n * (m.reps + m.warmup), m.reps,
               m.warmup ? " + 1 warm-up" : "");
        return 0;
    }
    run_env env = {.m = &m};
    if (m.pin && !(env.pin = parse_cpulist(m.pin, &env.pin_set)))
        asb_die_usage("--pin %s: not a CPU list", m.pin);
    if (m.futex_counts && system("strace -f -c -o /dev/null true >/dev/null 2>&1") != 0) {
        /* No strace, or no ptrace here (containers): figures NA, runs unharmed. */
        fprintf(stderr, "asbench: --futex-counts: strace is missing or cannot trace here (Debian package strace); "
                        "futex_calls will be NA\n");
        m.futex_counts = false;
    }
    char *dir = dir_opt ? asb_xstrdup(dir_opt) : default_dir();
    env.dir = dir;
    char *timeline_dir = asb_xasprintf("%s/timeline", dir);
    if (asb_mkdirs(dir) != 0 || asb_mkdirs(timeline_dir) != 0)
        asb_die_usage("cannot create output folder %s: %s", dir, strerror(errno));
    char *csv_path = asb_xasprintf("%s/results.csv", dir);
    if (resume) drop_partial_row(csv_path);
    int fd = open_results(csv_path, resume);
    if (!resume) {
        write_matrix_file(dir, &m);
        asb_write_env(dir, argc, argv, &m);
    }
    bool *done = resume ? runs_done(csv_path, &m) : asb_xmalloc((size_t)m.ncells * (size_t)(m.reps + 1));

    struct sigaction sa = {.sa_handler = on_interrupt};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    /* Cells of this shard with runs left; each gets a warm-up first. */
    int todo = 0, cells_left = 0;
    for (int i = 0; i < m.ncells; i++) {
        if (!asb_matrix_in_shard(&m, i)) continue;
        int left = 0;
        for (int rep = 1; rep <= m.reps; rep++) left += !done[i * (m.reps + 1) + rep];
        todo += left;
        cells_left += left > 0;
    }
    int total = todo + (m.warmup ? cells_left : 0), count = 0, failures = 0;
    if (resume) fprintf(stderr, "asbench: resuming %s: %d runs left\n", dir, todo);
    double start = now_s();
    for (int rep = m.warmup ? 0 : 1; rep <= m.reps && !interrupted; rep++)
        for (int i = 0; i < m.ncells && !interrupted; i++) {
            if (!asb_matrix_in_shard(&m, i)) continue;
            bool *row_done = &done[i * (m.reps + 1)];
            if (rep > 0 && row_done[rep]) continue;
            if (rep == 0) { /* warm up only cells with something left to run */
                bool any = false;
                for (int r = 1; r <= m.reps; r++) any |= !row_done[r];
                if (!any) continue;
            }
            asb_cell *c = &m.cells[i];
            double elapsed = now_s() - start;
            fprintf(stderr, "[%d/%d] %s %s%s%s t=%d %s %s (ETA %.0f s)\n", count + 1, total, c->workload->name,
                    c->alloc.name, c->sched ? " " : "", c->sched ? c->sched : "", c->threads, c->params,
                    rep == 0 ? "warm-up" : "", count ? elapsed / count * (total - count) : 0.0);
            char *slug = cell_slug(c);
            char *tl_name = rep ? asb_xasprintf("timeline/%s-r%d.csv", slug, rep) : NULL;
            char *tl = tl_name ? asb_xasprintf("%s/%s", dir, tl_name) : NULL;
            run_result r;
            run_once(c, &env, tl, &r);
            if (!strcmp(r.status, "usage")) { /* a parameter value the workload rejects: the user's error */
                if (tl) unlink(tl);
                asb_die_usage("%s (no row written; %s keeps every finished run)",
                              r.message ? r.message : "the worker rejected its arguments", csv_path);
            }
            if (!interrupted && rep > 0) {
                append_row(fd, c, rep, &r, tl_name);
                if (strcmp(r.status, "ok") != 0) {
                    failures++;
                    fprintf(stderr, "  -> %s%s%s\n", r.status, r.message ? ": " : "", r.message ? r.message : "");
                }
            } else if (interrupted && tl) {
                unlink(tl);
            }
            free_result(&r);
            free(slug);
            free(tl);
            free(tl_name);
            count++;
        }
    close(fd);
    if (interrupted) {
        fprintf(stderr, "asbench: interrupted; %s keeps every finished run (finish with: asbench run --resume %s)\n",
                csv_path, dir);
        return 130;
    }
    fprintf(stderr, "asbench: %d runs in %.1f s, %d not ok; results in %s\n", total, now_s() - start, failures,
            csv_path);
    if (asb_write_summary(dir) == 0) fprintf(stderr, "asbench: summary %s/summary.csv\n", dir);
    if (plot && asb_plot_dir(dir, m.baseline) != 0)
        fprintf(stderr, "asbench: charts were not drawn (results are complete in %s)\n", csv_path);
    return 0;
}
