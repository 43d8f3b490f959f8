/*
 * stress.c — `asbench stress`: the allocation torture (workload "stress",
 * workloads/stress.c) against one or more backends, each in a fresh worker
 * process linked with that allocator (or the glibc worker under LD_PRELOAD
 * for name=/path/lib.so), with a one-line verdict per backend:
 *
 *   stress: PASS glibc (2 threads, 10 s, seed 42): 1234567 steps, 48 forks, 400 helper threads
 *   stress: FAIL faulty=/…/lib.so (…): verify-failed: stress: block 17 (malloc by …) …
 *
 * Exit status: 0 when every backend passed, 1 when one did not (violation,
 * crash, hang, error), 2 for bad input.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

static const char *stress_usage =
    "usage: asbench stress --alloc LIST [options]\n"
    "  --alloc LIST       backends, comma-separated, or all; name=/path/lib.so for a library\n"
    "                     run in the glibc worker under LD_PRELOAD; name=backend[VAR=V;…] for\n"
    "                     a backend run with settings in its environment\n"
    "  --seconds S        how long the torture runs per backend (default 10)\n"
    "  --threads T        worker threads (default 4)\n"
    "  --seed N           random seed (default 42)\n"
    "  --param KEY=VALUE  a parameter of the stress workload (see asbench list): slots, max_size,\n"
    "                     apis, fork_every_ms, spawn_every_ms, leak_slack_mb (repeatable)\n"
    "  --timeout S        seconds before a hung run is killed (default: 2 x seconds + 60)\n";

typedef struct stress_options {
    asb_alloc_choice *allocs;
    int nallocs;
    char *seconds;
    int threads;
    const char *seed;
    asb_strlist params;
    double timeout_s;
} stress_options;

static void parse_stress_options(int argc, char **argv, stress_options *o) {
    const char *alloc_spec = NULL;
    double seconds = 10;
    *o = (stress_options){.threads = 4, .seed = "42", .timeout_s = -1};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(stress_usage, stdout);
            exit(0);
        }
        if (i + 1 >= argc) asb_die_usage("stress: option %s needs a value (see asbench stress --help)", a);
        const char *v = argv[++i];
        char *end;
        errno = 0;
        if (!strcmp(a, "--alloc")) alloc_spec = v;
        else if (!strcmp(a, "--seconds")) {
            seconds = strtod(v, &end);
            if (errno || end == v || *end || !(seconds > 0 && seconds <= 86400))
                asb_die_usage("stress: --seconds %s: need a number of seconds in (0, 86400]", v);
        } else if (!strcmp(a, "--threads")) {
            long t = strtol(v, &end, 10);
            if (errno || end == v || *end || t < 1 || t > 1024)
                asb_die_usage("stress: --threads %s: need an integer in 1..1024", v);
            o->threads = (int)t;
        } else if (!strcmp(a, "--seed")) {
            strtoull(v, &end, 0);
            if (errno || end == v || *end || *v == '-') asb_die_usage("stress: --seed %s: need a non-negative integer", v);
            o->seed = v;
        } else if (!strcmp(a, "--param")) {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v) asb_die_usage("stress: --param %s: expected key=value", v);
            const asb_workload *w = asb_workload_find("stress");
            bool known = false;
            for (int k = 0; w && w->params[k].name; k++)
                known |= strlen(w->params[k].name) == (size_t)(eq - v) && !strncmp(w->params[k].name, v, (size_t)(eq - v));
            if (!known)
                asb_die_usage("stress: --param %s: the stress workload has no parameter '%.*s' (see asbench list)", v,
                              (int)(eq - v), v);
            if (!strncmp(v, "seconds=", 8)) asb_die_usage("stress: --param %s: use --seconds", v);
            asb_strlist_push(&o->params, v);
        } else if (!strcmp(a, "--timeout")) {
            o->timeout_s = strtod(v, &end);
            if (errno || end == v || *end || !(o->timeout_s > 0)) asb_die_usage("stress: --timeout %s: need seconds > 0", v);
        } else asb_die_usage("stress: unknown option %s (see asbench stress --help)", a);
    }
    if (!alloc_spec) asb_die_usage("stress: --alloc is required (see asbench stress --help)");
    char *err = NULL;
    o->nallocs = asb_parse_allocs(alloc_spec, &o->allocs, &err);
    if (o->nallocs < 0) asb_die_usage("%s", err);
    asb_refuse_go_heap("stress", o->allocs, o->nallocs);
    o->seconds = asb_xasprintf("%g", seconds);
    if (o->timeout_s < 0) o->timeout_s = 2 * seconds + 60;
}

/* The stress workload's crash report ("stress: crashed with …") among the
 * last lines of the worker's stderr, or NULL. */
static const char *crash_report(const char *err_tail) {
    static const char prefix[] = "stress: crashed with";
    const char *found = NULL;
    for (const char *p = strstr(err_tail, prefix); p; p = strstr(p + 1, prefix))
        if (p == err_tail || p[-1] == '\n') found = p;
    return found;
}

static const char *value_or(const asb_outcome *o, const char *key, const char *fallback) {
    const char *v = asb_outcome_value(o, key);
    return v ? v : fallback;
}

/* Runs the torture against one backend; prints its verdict; true if it passed. */
static bool stress_one(const stress_options *o, const asb_alloc_choice *alloc) {
    asb_argv argv = {0};
    char *path = asb_worker_path(alloc->worker);
    asb_argv_push(&argv, path);
    free(path);
    const char *fixed[] = {"--workload", "stress", "--seed", o->seed, "--result-fd", "3"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) asb_argv_push(&argv, fixed[i]);
    asb_argv_push(&argv, "--threads");
    asb_argv_pushf(&argv, "%d", o->threads);
    asb_argv_push(&argv, "--param");
    asb_argv_pushf(&argv, "seconds=%s", o->seconds);
    for (int i = 0; i < o->params.n; i++) {
        asb_argv_push(&argv, "--param");
        asb_argv_push(&argv, o->params.items[i]);
    }
    if (alloc->preload) {
        asb_argv_push(&argv, "--preloaded");
        asb_argv_push(&argv, alloc->name);
    }
    asb_launch l = {.argv = &argv, .alloc = alloc, .result_pipe = true, .timeout_s = o->timeout_s};
    asb_outcome out;
    asb_client_run(&l, &out);
    asb_argv_free(&argv);
    if (!strcmp(out.status, "usage"))
        asb_die_usage("stress: %s", out.message ? out.message : "the worker rejected a parameter (see its message above)");
    char timeout_note[96];
    snprintf(timeout_note, sizeof timeout_note, "killed after %.0f s (a deadlock?)", o->timeout_s);
    const char *message = out.message ? out.message : "";
    if (!strcmp(out.status, "timeout")) message = timeout_note;
    else if (out.signal && crash_report(out.err_tail)) message = crash_report(out.err_tail);
    char *who = asb_alloc_choice_describe(alloc);
    bool passed = !strcmp(out.status, "ok");
    const char *left_out = asb_outcome_value(&out, "known_deviations_leave_out");
    char *note = left_out ? asb_xasprintf(" (left out: %s, known deviations of allocators/%s.c)", left_out, alloc->worker)
                          : asb_xstrdup("");
    if (passed)
        printf("stress: PASS %s (%d threads, %s s, seed %s): %s steps, %s forks, %s helper threads, no violation%s\n",
               who, o->threads, o->seconds, o->seed, value_or(&out, "ops", ""), value_or(&out, "extra.forks", ""),
               value_or(&out, "extra.helper_threads", ""), note);
    else
        printf("stress: FAIL %s (%d threads, %s s, seed %s): %s%s%.*s\n", who, o->threads, o->seconds, o->seed,
               out.status, *message ? ": " : "", (int)strcspn(message, "\n"), message);
    fflush(stdout);
    free(note);
    free(who);
    asb_outcome_free(&out);
    return passed;
}

int asb_cmd_stress(int argc, char **argv) {
    stress_options o;
    parse_stress_options(argc, argv, &o);
    int failed = 0;
    for (int i = 0; i < o.nallocs; i++) failed += !stress_one(&o, &o.allocs[i]);
    return failed ? 1 : 0;
}
