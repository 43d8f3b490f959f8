/*
 * measure.c — one measured run of a cell: the worker's command line, the
 * launch through the worker client (client.c), the figures the harness adds
 * (futex counts under strace, deterministic counts under valgrind) and the
 * CSV row, formatted in memory and appended with one write() so that an
 * interrupted harness never leaves half a row.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "counters.h"
#include "measure.h"
#include "memory.h"

/* The Go worker runs a cell of the `go` scheduler (its allocator is then
 * "go" too) and a cell of the `go` allocator backend or a variant of it
 * (g50=go[GOGC=50]): both have "go" as the backend whose worker runs them. */
static bool is_go(const asb_cell *c) { return !strcmp(c->alloc.worker, "go"); }

/* The worker's arguments for cell c, after whatever prefix a already holds;
 * counters: the worker's --counters mode, or NULL. */
static void worker_argv(const asb_cell *c, const char *counters, bool live_fd, asb_argv *a) {
    char *path = asb_worker_path(c->alloc.worker);
    bool sampled = false; /* latency=N (matrix.c): the worker's twin with the sampling wrapper */
    for (int i = 0; i < c->overrides.n; i++)
        sampled |= !strncmp(c->overrides.items[i], "latency=", 8) && strcmp(c->overrides.items[i], "latency=0");
    asb_argv_pushf(a, "%s%s", path, sampled ? "-latency" : "");
    free(path);
    asb_argv_push(a, "--workload");
    asb_argv_push(a, c->workload->name);
    asb_argv_push(a, "--threads");
    asb_argv_pushf(a, "%d", c->threads);
    asb_argv_push(a, "--preset");
    asb_argv_push(a, c->quick ? "quick" : "standard");
    asb_argv_push(a, "--result-fd");
    asb_argv_push(a, "3");
    if (c->sched) {
        asb_argv_push(a, "--sched");
        asb_argv_push(a, c->sched_base);
    }
    if (c->alloc.preload) {
        asb_argv_push(a, "--preloaded");
        asb_argv_push(a, c->alloc.name);
    }
    if (counters) {
        asb_argv_push(a, "--counters");
        asb_argv_push(a, counters);
    }
    if (live_fd) {
        asb_argv_push(a, "--live-fd");
        asb_argv_pushf(a, "%d", ASB_LIVE_FD);
    }
    for (int i = 0; i < c->overrides.n; i++) {
        if (!strncmp(c->overrides.items[i], "latency=", 8)) { /* matrix.c's sampling pseudo-parameter */
            asb_argv_push(a, "--latency");
            asb_argv_push(a, c->overrides.items[i] + 8);
            continue;
        }
        asb_argv_push(a, "--param");
        asb_argv_push(a, c->overrides.items[i]);
    }
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

static asb_launch cell_launch(const asb_cell *c, const run_env *env, const asb_argv *argv) {
    return (asb_launch){.argv = argv,
                        .alloc = &c->alloc, /* a Go variant's GOGC/GOMEMLIMIT/GODEBUG too */
                        .env_settings = c->sched_env,
                        .result_pipe = true,
                        .timeout_s = env->m->timeout_s,
                        .sample_ms = env->m->sample_ms,
                        .pin = env->pin ? &env->pin_set : NULL,
                        .nice = env->m->has_nice ? &env->m->nice_value : NULL,
                        .interrupted = env->interrupted};
}

/* The Go worker is optional at build time: its cells are `unsupported`. */
static bool go_worker_missing(const asb_cell *c, run_result *r) {
    if (!is_go(c) || asb_go_worker_built()) return false;
    char *go = asb_worker_path("go");
    snprintf(r->o.status, sizeof r->o.status, "unsupported");
    r->o.message = asb_xasprintf("Go worker %s is missing: go was not found at build time "
                                 "(install Debian package golang-go and rebuild)", go);
    r->o.lines = asb_xstrdup("");
    r->o.fields = asb_xstrdup("");
    r->o.fields_len = 1;
    r->o.err_tail = asb_xstrdup("");
    free(go);
    return true;
}

static void init_result(run_result *r) {
    *r = (run_result){.futex_calls = NAN, .instructions = NAN, .d1_misses = NAN, .ll_misses = NAN};
    r->o.exit_code = -1;
    r->o.steal_s = r->o.other_cpu_s = NAN;
}

void asb_measure(const asb_cell *c, const run_env *env, const char *timeline_path, run_result *r) {
    if (asb_app_of(c->workload)) { /* a real program, not a worker */
        asb_app_measure(c, env, timeline_path, r);
        return;
    }
    init_result(r);
    if (go_worker_missing(c, r)) return;
    char *strace_out = env->m->futex_counts ? asb_xasprintf("%s/.strace-%d.txt", env->dir, (int)getpid()) : NULL;
    asb_argv argv = {0};
    if (strace_out) {
        const char *strace[] = {"strace", "-f", "-c", "-e", "trace=futex", "-o", strace_out};
        for (size_t i = 0; i < sizeof strace / sizeof *strace; i++) asb_argv_push(&argv, strace[i]);
    }
    bool perf = env->m->counters && !strcmp(env->m->counters, "perf") && !is_go(c);
    /* The Go runtime's worker has no live-bytes page. */
    bool live = timeline_path && !is_go(c);
    worker_argv(c, perf ? "perf" : NULL, live, &argv);
    asb_launch l = cell_launch(c, env, &argv);
    l.timeline_path = timeline_path;
    l.live_bytes = live;
    asb_client_run(&l, &r->o);
    asb_memory_summary mem;
    if (timeline_path && asb_memory_summarise(timeline_path, &mem) == 0) r->memory = asb_memory_keys(&mem);
    asb_argv_free(&argv);
    if (strace_out) {
        r->futex_calls = strace_futex_calls(strace_out);
        unlink(strace_out);
        free(strace_out);
    }
    if (env->m->counters && !strcmp(env->m->counters, "perf")) {
        const char *why = asb_outcome_value(&r->o, "counters.unavailable");
        if (why) r->counters_note = asb_xstrdup(why);
    }
}

void asb_measure_counts(const asb_cell *c, const run_env *env, run_result *r) {
    init_result(r);
    if (asb_app_of(c->workload)) {
        r->counters_note = asb_xstrdup("cachegrind: an application has no client requests for a timed region");
        return;
    }
    if (is_go(c)) {
        r->counters_note = asb_xstrdup("cachegrind: the Go runtime's worker has no client requests for the timed region");
        return;
    }
    char *out = asb_xasprintf("%s/.callgrind-%d.out", env->dir, (int)getpid());
    asb_argv argv = {0};
    asb_counters_valgrind_argv(&argv, out);
    worker_argv(c, "cachegrind", false, &argv);
    asb_launch l = cell_launch(c, env, &argv);
    l.quiet = true;
    l.timeout_s = env->m->timeout_s * 100; /* valgrind runs the code 20-100x slower */
    asb_outcome o;
    asb_client_run(&l, &o);
    asb_argv_free(&argv);
    asb_callgrind_counts counts;
    char *err = NULL;
    if (strcmp(o.status, "ok") != 0)
        r->counters_note = asb_xasprintf("cachegrind run %s%s%s", o.status, o.message ? ": " : "",
                                         o.message ? o.message : "");
    else if (asb_counters_parse_callgrind(out, &counts, &err) != 0)
        r->counters_note = err;
    else {
        r->instructions = counts.ir;
        r->d1_misses = counts.d1_misses;
        r->ll_misses = counts.ll_misses;
    }
    unlink(out);
    free(out);
    asb_outcome_free(&o);
}

void asb_run_result_free(run_result *r) {
    asb_outcome_free(&r->o);
    free(r->counters_note);
    free(r->memory);
}

double asb_run_timed_s(const run_result *r) {
    double ns = asb_outcome_number(&r->o, "elapsed_ns");
    return strcmp(r->o.status, "ok") == 0 && ns > 0 ? ns / 1e9 : NAN;
}

/* Extra figures: every native.*, sched.*, extra.* and memory.* line except
 * those with columns of their own, then the harness's memory-over-time
 * figures, as "key=value;key=value". */
static char *extra_field(const char *lines, const char *memory) {
    char *out = asb_xstrdup(memory ? memory : "");
    for (const char *p = lines; p && *p;) {
        const char *nl = strchr(p, '\n');
        int linelen = (int)(nl ? (size_t)(nl - p) : strlen(p));
        bool wanted = (!strncmp(p, "native.", 7) || !strncmp(p, "sched.", 6) || !strncmp(p, "extra.", 6) ||
                       !strncmp(p, "memory.", 7)) &&
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

/* Columns follow asb_csv_columns; a figure the run cannot give is NA. */
void asb_append_row(int fd, const asb_cell *c, int rep, const run_result *r, const char *timeline) {
    const asb_outcome *o = &r->o;
    double ops = asb_outcome_number(o, "ops");
    bool have_ops = ops > 0 && strcmp(o->status, "ok") == 0;
    bool ran = o->wall_s > 0; /* resource figures exist only if a process ran */
    double user = (double)o->ru.ru_utime.tv_sec + (double)o->ru.ru_utime.tv_usec / 1e6;
    double sys = (double)o->ru.ru_stime.tv_sec + (double)o->ru.ru_stime.tv_usec / 1e6;
    /* Per-op figures: the value / ops, or NA. */
    double per_op[] = {asb_outcome_number(o, "elapsed_ns"), asb_outcome_number(o, "allocs"),
                       asb_outcome_number(o, "bytes"), asb_outcome_number(o, "cpu_ns"),
                       r->instructions, r->d1_misses, r->ll_misses,
                       asb_outcome_number(o, "counters.cycles"), asb_outcome_number(o, "counters.cache_misses"),
                       asb_outcome_number(o, "counters.dtlb_misses"),
                       asb_outcome_number(o, "counters.instructions")};
    char num[48][48];
    int k = 0;
#define FMT(...) (snprintf(num[k], sizeof num[k], __VA_ARGS__), num[k++])
#define NUM_OR_NA(cond, ...) ((cond) ? FMT(__VA_ARGS__) : NULL)
#define PER_OP(i) NUM_OR_NA(have_ops && !isnan(per_op[i]), "%.4f", per_op[i] / ops)
    /* Cachegrind's instruction count wins over perf's where both exist. */
    int instr = isnan(per_op[4]) ? 10 : 4;
    const char *lock_keys[] = {"native.lock_acquisitions", "native.lock_contended", "native.lock_wait_ns"};
    double locks[3];
    for (int i = 0; i < 3; i++) locks[i] = asb_outcome_number(o, lock_keys[i]);
    double final_rss = asb_outcome_number(o, "final_rss_kb");
    char *extra = extra_field(o->lines, r->memory);
    const char *fields[] = {
        c->alloc.name, c->sched ? c->sched : "NA", c->workload->name, c->quick ? "quick" : "standard", c->params,
        FMT("%d", c->threads), FMT("%d", rep), asb_machine_id(), o->status, o->message ? o->message : "",
        NUM_OR_NA(have_ops, "%.0f", ops), PER_OP(0), PER_OP(1), PER_OP(2), PER_OP(3),
        NUM_OR_NA(ran, "%.6f", o->wall_s), NUM_OR_NA(ran, "%.6f", user), NUM_OR_NA(ran, "%.6f", sys),
        NUM_OR_NA(ran && !isnan(o->steal_s), "%.3f", o->steal_s),
        NUM_OR_NA(ran && !isnan(o->other_cpu_s), "%.3f", o->other_cpu_s),
        NUM_OR_NA(ran, "%ld", o->ru.ru_maxrss), NUM_OR_NA(final_rss >= 0, "%.0f", final_rss),
        NUM_OR_NA(ran, "%ld", o->ru.ru_minflt), NUM_OR_NA(ran, "%ld", o->ru.ru_majflt),
        NUM_OR_NA(ran, "%ld", o->ru.ru_nvcsw), NUM_OR_NA(ran, "%ld", o->ru.ru_nivcsw),
        NUM_OR_NA(!isnan(locks[0]), "%.0f", locks[0]), NUM_OR_NA(!isnan(locks[1]), "%.0f", locks[1]),
        NUM_OR_NA(!isnan(locks[2]), "%.0f", locks[2]),
        NUM_OR_NA(!isnan(r->futex_calls), "%.0f", r->futex_calls),
        PER_OP(instr), PER_OP(5), PER_OP(6), PER_OP(7), PER_OP(8), PER_OP(9), r->counters_note,
        timeline, extra,
    };
#undef PER_OP
#undef NUM_OR_NA
#undef FMT
    int nf = (int)(sizeof fields / sizeof *fields);
    if (nf != asb_ncsv_columns) asb_die("internal error: %d fields for %d columns", nf, asb_ncsv_columns);
    char *row = NULL;
    size_t rowlen = 0;
    FILE *f = open_memstream(&row, &rowlen);
    for (int i = 0; i < nf; i++) asb_csv_field(f, fields[i] ? fields[i] : "NA", i == nf - 1);
    fclose(f);
    free(extra);
    if (write(fd, row, rowlen) != (ssize_t)rowlen) asb_die("cannot append to results.csv: %s", strerror(errno));
    free(row);
}
