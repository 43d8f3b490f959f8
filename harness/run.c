/*
 * run.c — `asbench run`: expand backends × schedulers × workloads × threads
 * into cells, run each repetition of each cell in a fresh worker process,
 * and append one CSV row per run to DIR/results.csv as soon as it finishes.
 *
 * Isolation: every run is a fork+exec of the worker binary linked with the
 * chosen allocator; its results come back on a pipe (fd 3), its resource use
 * from wait4().  A crash, timeout, non-zero exit or failed verification is the
 * row's status and the matrix goes on.  While the worker runs, the parent
 * samples /proc/PID/statm into a per-run RSS timeline (the worker does no
 * sampling of its own, so it is not slowed).
 *
 * Order: repetitions are interleaved across cells (rep 1 of every cell, then
 * rep 2 …) so that drift on a noisy machine hits every backend alike; an
 * unrecorded warm-up run of each cell comes first.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "asbench.h"

typedef struct run_options {
    asb_alloc_choice *allocs;
    int nallocs;
    asb_strlist workloads, scheds, params;
    int *threads;
    int nthreads;
    int reps;
    bool warmup;
    bool quick;
    bool plot;
    double timeout_s;
    int sample_ms;
    const char *dir;
    const char *baseline;
} run_options;

typedef struct cell {
    const asb_alloc_choice *alloc;
    const asb_workload *workload;
    const char *sched; /* NULL for allocator workloads */
    int threads;
    char *params;      /* effective parameters, "k=v k=v" */
    asb_strlist overrides; /* --param values that apply to this workload */
} cell;

/* What one worker run gave. */
typedef struct run_result {
    char status[64];
    char *message;
    double wall_s;
    struct rusage ru;
    bool have_ru;
    char *lines; /* raw key=value lines from the worker */
} run_result;

static volatile sig_atomic_t interrupted;
static void on_interrupt(int sig) { interrupted = sig; }

static const char *usage_text =
    "usage: asbench run [options]\n"
    "  --alloc LIST       backends, comma-separated, or all (default); name=/path/lib.so for a\n"
    "                     library the build did not find (run under LD_PRELOAD)\n"
    "  --workload LIST    workloads (default churn); see asbench list\n"
    "  --sched LIST       schedulers for scheduler workloads (default gmp)\n"
    "  --threads LIST     thread counts, e.g. 1,2 (default 1)\n"
    "  --param KEY=VALUE  override a workload parameter (repeatable)\n"
    "  --preset NAME      quick or standard (default standard): parameter values and reps\n"
    "  --reps N           repetitions per cell (default 5; quick 3)\n"
    "  --no-warmup        skip the unrecorded warm-up run of each cell\n"
    "  --timeout S        seconds before a run is killed (default 600)\n"
    "  --sample-ms N      RSS timeline sampling interval (default 10)\n"
    "  -o DIR             results folder (default results/run-YYYYmmdd-HHMMSS)\n"
    "  --baseline NAME    backend the charts are relative to (default glibc)\n"
    "  --no-plot          do not draw charts at the end\n";

static int parse_positive(const char *what, const char *s, int max) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > max)
        asb_die_usage("%s %s: need an integer in 1..%d", what, s, max);
    return (int)v;
}

static void valid_workloads(char *buf, size_t len) {
    buf[0] = 0;
    for (int i = 0; asb_workload_at(i); i++) {
        if (buf[0]) strncat(buf, ", ", len - strlen(buf) - 1);
        strncat(buf, asb_workload_at(i)->name, len - strlen(buf) - 1);
    }
}

static void valid_scheds(char *buf, size_t len) {
    buf[0] = 0;
    for (int i = 0; asb_sched_at(i); i++) {
        if (buf[0]) strncat(buf, ", ", len - strlen(buf) - 1);
        strncat(buf, asb_sched_at(i)->name, len - strlen(buf) - 1);
    }
}

static bool has_param(const asb_workload *w, const char *key, size_t keylen) {
    for (int i = 0; w->params && w->params[i].name; i++)
        if (strlen(w->params[i].name) == keylen && strncmp(w->params[i].name, key, keylen) == 0)
            return true;
    return false;
}

static void parse_options(int argc, char **argv, run_options *o) {
    const char *alloc_spec = "all", *threads_spec = "1";
    int reps = 0;
    *o = (run_options){.warmup = true, .plot = true, .timeout_s = 600, .sample_ms = 10,
                       .baseline = "glibc"};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            exit(0);
        }
        if (strcmp(a, "--no-warmup") == 0) { o->warmup = false; continue; }
        if (strcmp(a, "--no-plot") == 0) { o->plot = false; continue; }
        if (i + 1 >= argc) asb_die_usage("option %s needs a value (see asbench run --help)", a);
        const char *v = argv[++i];
        if (strcmp(a, "--alloc") == 0) alloc_spec = v;
        else if (strcmp(a, "--workload") == 0) asb_strlist_split(&o->workloads, v, ',');
        else if (strcmp(a, "--sched") == 0) asb_strlist_split(&o->scheds, v, ',');
        else if (strcmp(a, "--threads") == 0) threads_spec = v;
        else if (strcmp(a, "--param") == 0) {
            if (!strchr(v, '=') || v[0] == '=') asb_die_usage("--param %s: expected key=value", v);
            asb_strlist_push(&o->params, v);
        } else if (strcmp(a, "--preset") == 0) {
            if (strcmp(v, "quick") && strcmp(v, "standard"))
                asb_die_usage("--preset %s: valid presets are quick, standard", v);
            o->quick = strcmp(v, "quick") == 0;
        } else if (strcmp(a, "--reps") == 0) reps = parse_positive("--reps", v, 1000);
        else if (strcmp(a, "--timeout") == 0) {
            char *end;
            o->timeout_s = strtod(v, &end);
            if (*end || !(o->timeout_s > 0)) asb_die_usage("--timeout %s: need seconds > 0", v);
        } else if (strcmp(a, "--sample-ms") == 0) o->sample_ms = parse_positive("--sample-ms", v, 60000);
        else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) o->dir = v;
        else if (strcmp(a, "--baseline") == 0) o->baseline = v;
        else asb_die_usage("run: unknown option %s (see asbench run --help)", a);
    }
    o->reps = reps ? reps : o->quick ? 3 : 5;
    o->nallocs = asb_parse_allocs(alloc_spec, &o->allocs);
    if (o->workloads.n == 0) asb_strlist_push(&o->workloads, "churn");
    if (o->scheds.n == 0) asb_strlist_push(&o->scheds, "gmp");

    char valid[2048];
    for (int i = 0; i < o->workloads.n; i++)
        if (!asb_workload_find(o->workloads.items[i])) {
            valid_workloads(valid, sizeof valid);
            asb_die_usage("unknown workload '%s' (valid: %s)", o->workloads.items[i], valid);
        }
    bool any_sched_workload = false;
    for (int i = 0; i < o->workloads.n; i++)
        any_sched_workload |= !strcmp(asb_workload_find(o->workloads.items[i])->kind, "sched");
    for (int i = 0; i < o->scheds.n && any_sched_workload; i++)
        if (!asb_sched_find(o->scheds.items[i])) {
            valid_scheds(valid, sizeof valid);
            asb_die_usage("unknown scheduler '%s' (valid: %s)", o->scheds.items[i], valid[0] ? valid : "none built");
        }
    for (int i = 0; i < o->params.n; i++) {
        const char *p = o->params.items[i];
        size_t keylen = (size_t)(strchr(p, '=') - p);
        bool used = false;
        for (int j = 0; j < o->workloads.n; j++)
            used |= has_param(asb_workload_find(o->workloads.items[j]), p, keylen);
        if (!used) asb_die_usage("--param %s: no selected workload has a parameter '%.*s' (see asbench list)",
                                 p, (int)keylen, p);
    }
    asb_strlist ts = {0};
    asb_strlist_split(&ts, threads_spec, ',');
    if (ts.n == 0) asb_die_usage("--threads: empty list");
    o->threads = asb_xmalloc((size_t)ts.n * sizeof *o->threads);
    for (int i = 0; i < ts.n; i++) o->threads[i] = parse_positive("--threads", ts.items[i], 4096);
    o->nthreads = ts.n;
    asb_strlist_free(&ts);
}

/* Effective parameters of a workload in a cell, as "k=v k=v". */
static char *effective_params(const asb_workload *w, bool quick, const asb_strlist *overrides) {
    char *out = asb_xstrdup("");
    for (int i = 0; w->params && w->params[i].name; i++) {
        const char *v = quick && w->params[i].quick ? w->params[i].quick : w->params[i].def;
        size_t klen = strlen(w->params[i].name);
        for (int j = 0; j < overrides->n; j++)
            if (strncmp(overrides->items[j], w->params[i].name, klen) == 0 && overrides->items[j][klen] == '=')
                v = overrides->items[j] + klen + 1;
        char *next = asb_xasprintf("%s%s%s=%s", out, *out ? " " : "", w->params[i].name, v);
        free(out);
        out = next;
    }
    return out;
}

static cell *build_cells(const run_options *o, int *ncells) {
    int max = o->nallocs * o->workloads.n * o->scheds.n * o->nthreads, n = 0;
    cell *cells = asb_xmalloc((size_t)max * sizeof *cells);
    for (int w = 0; w < o->workloads.n; w++) {
        const asb_workload *wl = asb_workload_find(o->workloads.items[w]);
        bool is_sched = strcmp(wl->kind, "sched") == 0;
        for (int s = 0; s < (is_sched ? o->scheds.n : 1); s++)
            for (int t = 0; t < o->nthreads; t++)
                for (int a = 0; a < o->nallocs; a++) {
                    cell *c = &cells[n++];
                    *c = (cell){.alloc = &o->allocs[a], .workload = wl,
                                .sched = is_sched ? o->scheds.items[s] : NULL,
                                .threads = o->threads[t]};
                    for (int p = 0; p < o->params.n; p++) {
                        const char *kv = o->params.items[p];
                        if (has_param(wl, kv, (size_t)(strchr(kv, '=') - kv)))
                            asb_strlist_push(&c->overrides, kv);
                    }
                    c->params = effective_params(wl, o->quick, &c->overrides);
                }
    }
    *ncells = n;
    return cells;
}

static long statm_rss_kb(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    FILE *f = fopen(path, "r");
    long size, resident = -1;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
        fclose(f);
    }
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void exec_worker(const cell *c, const run_options *o, int result_fd) {
    const char *backend = c->alloc->preload ? "glibc" : c->alloc->name;
    char *path = asb_xasprintf("%s/asbench-worker-%s", asb_exe_dir(), backend);
    char threads[16];
    snprintf(threads, sizeof threads, "%d", c->threads);
    const char *argv[96];
    int n = 0;
    argv[n++] = path;
    argv[n++] = "--workload";
    argv[n++] = c->workload->name;
    argv[n++] = "--threads";
    argv[n++] = threads;
    argv[n++] = "--preset";
    argv[n++] = o->quick ? "quick" : "standard";
    argv[n++] = "--result-fd";
    argv[n++] = "3";
    if (c->sched) {
        argv[n++] = "--sched";
        argv[n++] = c->sched;
    }
    if (c->alloc->preload) {
        argv[n++] = "--preloaded";
        argv[n++] = c->alloc->name;
        setenv("LD_PRELOAD", c->alloc->preload, 1);
    }
    for (int i = 0; i < c->overrides.n && n < 92; i++) {
        argv[n++] = "--param";
        argv[n++] = c->overrides.items[i];
    }
    argv[n] = NULL;
    if (result_fd != 3) {
        dup2(result_fd, 3);
        close(result_fd);
    }
    execv(path, (char **)argv);
    fprintf(stderr, "asbench: cannot run %s: %s\n", path, strerror(errno));
    _exit(127);
}

/* Run one repetition; the RSS timeline goes to `timeline_path` (may be NULL). */
static void run_once(const cell *c, const run_options *o, const char *timeline_path, run_result *r) {
    *r = (run_result){0};
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) asb_die("pipe: %s", strerror(errno));
    FILE *timeline = timeline_path ? fopen(timeline_path, "w") : NULL;
    if (timeline) fputs("t_ms,rss_kb\n", timeline);
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0) asb_die("fork: %s", strerror(errno));
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        close(fds[0]);
        int fd = fcntl(fds[1], F_DUPFD, 3); /* keep it clear of 0-2; drops O_CLOEXEC */
        exec_worker(c, o, fd);
    }
    close(fds[1]);

    size_t len = 0, cap = 4096;
    char *buf = asb_xmalloc(cap);
    bool eof = false, exited = false, timed_out = false;
    int wstatus = 0;
    while (!exited) {
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        int pr = eof ? (usleep((useconds_t)o->sample_ms * 1000), 0) : poll(&pfd, 1, o->sample_ms);
        if (pr > 0) {
            if (len + 4096 > cap) buf = realloc(buf, cap *= 2);
            if (!buf) asb_die("out of memory");
            ssize_t got = read(fds[0], buf + len, cap - len - 1);
            if (got > 0) len += (size_t)got;
            else if (got == 0 || errno != EINTR) eof = true;
        }
        if (timeline) {
            long rss = statm_rss_kb(pid);
            if (rss >= 0) fprintf(timeline, "%.0f,%ld\n", (now_s() - t0) * 1000, rss);
        }
        pid_t w = wait4(pid, &wstatus, WNOHANG, &r->ru);
        if (w == pid) exited = true;
        else if (!timed_out && now_s() - t0 > o->timeout_s) {
            timed_out = true;
            kill(pid, SIGKILL);
        }
    }
    r->wall_s = now_s() - t0;
    r->have_ru = true;
    /* Drain what the worker wrote before it exited. */
    for (;;) {
        if (len + 4096 > cap) buf = realloc(buf, cap *= 2);
        if (!buf) asb_die("out of memory");
        ssize_t got = read(fds[0], buf + len, cap - len - 1);
        if (got <= 0) break;
        len += (size_t)got;
    }
    close(fds[0]);
    if (timeline) fclose(timeline);
    buf[len] = 0;
    r->lines = buf;

    if (timed_out) {
        snprintf(r->status, sizeof r->status, "timeout");
        r->message = asb_xasprintf("killed after %.0f s", o->timeout_s);
    } else if (WIFSIGNALED(wstatus)) {
        snprintf(r->status, sizeof r->status, "crashed:%s", sigabbrev_np(WTERMSIG(wstatus)) ? sigabbrev_np(WTERMSIG(wstatus)) : "signal");
        r->message = asb_xasprintf("worker killed by signal %d (%s)", WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
    } else {
        int code = WEXITSTATUS(wstatus);
        const char *names[] = {"ok", "error", "error", "verify-failed", "unsupported"};
        if (code <= 4) snprintf(r->status, sizeof r->status, "%s", names[code]);
        else snprintf(r->status, sizeof r->status, "error");
        if (code == 127) r->message = asb_xasprintf("worker could not be started (see stderr)");
        else if (code > 4) r->message = asb_xasprintf("worker exited with status %d", code);
    }
    /* The worker's own message, if any, is more precise. */
    char *m = strstr(buf, "message=");
    if (m && (m == buf || m[-1] == '\n')) {
        char *nl = strchr(m, '\n');
        free(r->message);
        r->message = nl ? strndup(m + 8, (size_t)(nl - m - 8)) : strdup(m + 8);
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
 * harness never leaves half a row. */
static void append_row(int fd, const cell *c, int rep, const run_options *o, const run_result *r) {
    char *row = NULL;
    size_t rowlen = 0;
    FILE *f = open_memstream(&row, &rowlen);
    bool ok;
    double ops = result_number(r->lines, "ops", &ok);
    double elapsed = result_number(r->lines, "elapsed_ns", &ok);
    bool have_ops = ok && ops > 0 && strcmp(r->status, "ok") == 0;
    double allocs = result_number(r->lines, "allocs", &ok);
    double bytes = result_number(r->lines, "bytes", &ok);
    char num[32][48];
    int k = 0;
#define FMT(...) (snprintf(num[k], sizeof num[k], __VA_ARGS__), num[k++])
#define NUM_OR_NA(cond, ...) ((cond) ? FMT(__VA_ARGS__) : NULL)
    const char *fields[32];
    int nf = 0;
    fields[nf++] = c->alloc->name;
    fields[nf++] = c->sched ? c->sched : "NA";
    fields[nf++] = c->workload->name;
    fields[nf++] = o->quick ? "quick" : "standard";
    fields[nf++] = c->params;
    fields[nf++] = FMT("%d", c->threads);
    fields[nf++] = FMT("%d", rep);
    fields[nf++] = r->status;
    fields[nf++] = r->message ? r->message : "";
    fields[nf++] = NUM_OR_NA(have_ops, "%.0f", ops);
    fields[nf++] = NUM_OR_NA(have_ops, "%.4f", elapsed / ops);
    fields[nf++] = NUM_OR_NA(have_ops, "%.4f", allocs / ops);
    fields[nf++] = NUM_OR_NA(have_ops, "%.4f", bytes / ops);
    fields[nf++] = FMT("%.6f", r->wall_s);
    fields[nf++] = FMT("%.6f", (double)r->ru.ru_utime.tv_sec + (double)r->ru.ru_utime.tv_usec / 1e6);
    fields[nf++] = FMT("%.6f", (double)r->ru.ru_stime.tv_sec + (double)r->ru.ru_stime.tv_usec / 1e6);
    fields[nf++] = FMT("%ld", r->ru.ru_maxrss);
    double final_rss = result_number(r->lines, "final_rss_kb", &ok);
    fields[nf++] = NUM_OR_NA(ok && final_rss >= 0, "%.0f", final_rss);
    fields[nf++] = FMT("%ld", r->ru.ru_minflt);
    fields[nf++] = FMT("%ld", r->ru.ru_majflt);
    fields[nf++] = FMT("%ld", r->ru.ru_nvcsw);
    fields[nf++] = FMT("%ld", r->ru.ru_nivcsw);
    static const char *lock_keys[] = {"native.lock_acquisitions", "native.lock_contended", "native.lock_wait_ns"};
    for (int i = 0; i < 3; i++) {
        double v = result_number(r->lines, lock_keys[i], &ok);
        fields[nf++] = NUM_OR_NA(ok, "%.0f", v);
    }
#undef NUM_OR_NA
#undef FMT
    char *extra = extra_field(r->lines);
    fields[nf++] = extra;
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
static char *cell_slug(const cell *c) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = c->params; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
    return asb_xasprintf("%s-%s%s%s-t%d-%08x", c->workload->name, c->alloc->name, c->sched ? "-" : "",
                         c->sched ? c->sched : "", c->threads, h);
}

int asb_cmd_run(int argc, char **argv) {
    run_options o;
    parse_options(argc, argv, &o);
    int ncells;
    cell *cells = build_cells(&o, &ncells);
    char *dir = o.dir ? asb_xstrdup(o.dir) : default_dir();
    char *timeline_dir = asb_xasprintf("%s/timeline", dir);
    if (asb_mkdirs(dir) != 0 || asb_mkdirs(timeline_dir) != 0)
        asb_die_usage("cannot create output folder %s: %s", dir, strerror(errno));
    char *csv_path = asb_xasprintf("%s/results.csv", dir);
    int fd = open(csv_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
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

    struct sigaction sa = {.sa_handler = on_interrupt};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int total = ncells * (o.reps + (o.warmup ? 1 : 0)), done = 0, failures = 0;
    double start = now_s();
    for (int rep = o.warmup ? 0 : 1; rep <= o.reps && !interrupted; rep++)
        for (int i = 0; i < ncells && !interrupted; i++) {
            cell *c = &cells[i];
            double elapsed = now_s() - start;
            double eta = done ? elapsed / done * (total - done) : 0;
            fprintf(stderr, "[%d/%d] %s %s%s%s t=%d %s (ETA %.0f s)\n", done + 1, total, c->workload->name,
                    c->alloc->name, c->sched ? " " : "", c->sched ? c->sched : "", c->threads,
                    rep == 0 ? "warm-up" : "", eta);
            char *slug = cell_slug(c);
            char *tl = rep ? asb_xasprintf("%s/%s-r%d.csv", timeline_dir, slug, rep) : NULL;
            run_result r;
            run_once(c, &o, tl, &r);
            if (!interrupted && rep > 0) {
                append_row(fd, c, rep, &o, &r);
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
            done++;
        }
    close(fd);
    if (interrupted) {
        fprintf(stderr, "asbench: interrupted; %s keeps every finished run\n", csv_path);
        return 130;
    }
    fprintf(stderr, "asbench: %d runs in %.1f s, %d not ok; results in %s\n", total, now_s() - start, failures,
            csv_path);
    if (o.plot && asb_plot_dir(dir, o.baseline) != 0)
        fprintf(stderr, "asbench: charts were not drawn (results are complete in %s)\n", csv_path);
    return 0;
}
