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

#include "asbench.h"

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

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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
    o->seconds = asb_xasprintf("%g", seconds);
    if (o->timeout_s < 0) o->timeout_s = 2 * seconds + 60;
}

static void exec_stress_worker(const stress_options *o, const asb_alloc_choice *alloc, int result_fd) {
    char *path = asb_xasprintf("%s/asbench-worker-%s", asb_exe_dir(), alloc->worker);
    char threads[16];
    snprintf(threads, sizeof threads, "%d", o->threads);
    char *seconds = asb_xasprintf("seconds=%s", o->seconds);
    const char **argv = asb_xmalloc((size_t)(16 + 2 * o->params.n) * sizeof *argv);
    int n = 0;
    argv[n++] = path;
    argv[n++] = "--workload";
    argv[n++] = "stress";
    argv[n++] = "--threads";
    argv[n++] = threads;
    argv[n++] = "--seed";
    argv[n++] = o->seed;
    argv[n++] = "--result-fd";
    argv[n++] = "3";
    argv[n++] = "--param";
    argv[n++] = seconds;
    for (int i = 0; i < o->params.n; i++) {
        argv[n++] = "--param";
        argv[n++] = o->params.items[i];
    }
    if (alloc->preload) {
        argv[n++] = "--preloaded";
        argv[n++] = alloc->name;
    }
    asb_alloc_choice_setenv(alloc);
    argv[n] = NULL;
    if (dup2(result_fd, 3) < 0) _exit(127);
    execv(path, (char **)argv);
    fprintf(stderr, "asbench: cannot run %s: %s\n", path, strerror(errno));
    _exit(127);
}

/* Copies the value of `key` in the worker's key=value lines into out ("" if absent). */
static const char *line_value(char *lines, const char *key, char *out, size_t outlen) {
    size_t klen = strlen(key);
    out[0] = 0;
    for (char *p = lines; p && *p;) {
        char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len > klen && !strncmp(p, key, klen) && p[klen] == '=') {
            size_t v = len - klen - 1 < outlen - 1 ? len - klen - 1 : outlen - 1;
            memcpy(out, p + klen + 1, v);
            out[v] = 0;
            break;
        }
        p = nl ? nl + 1 : NULL;
    }
    return out;
}

/* Keeps the worker's last "stress: crashed with …" line (the workload's crash
 * report) while its stderr is passed through. */
typedef struct stderr_scan {
    char line[512], crash[512];
    size_t len;
} stderr_scan;

static void scan_stderr(stderr_scan *sc, const char *data, size_t n) {
    static const char prefix[] = "stress: crashed with";
    for (size_t i = 0; i < n; i++) {
        if (data[i] != '\n') {
            if (sc->len < sizeof sc->line - 1) sc->line[sc->len++] = data[i];
            continue;
        }
        sc->line[sc->len] = 0;
        if (!strncmp(sc->line, prefix, sizeof prefix - 1)) memcpy(sc->crash, sc->line, sc->len + 1);
        sc->len = 0;
    }
}

/* Runs the torture against one backend; prints its verdict; true if it passed. */
static bool stress_one(const stress_options *o, const asb_alloc_choice *alloc) {
    int res[2], err[2];
    if (pipe2(res, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) asb_die("pipe: %s", strerror(errno));
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) asb_die("fork: %s", strerror(errno));
    if (pid == 0) { /* dup2 clears O_CLOEXEC on the copies */
        if (dup2(err[1], 2) < 0) _exit(127);
        exec_stress_worker(o, alloc, res[1]);
    }
    close(res[1]);
    close(err[1]);
    size_t len = 0, cap = 4096;
    char *buf = asb_xmalloc(cap);
    stderr_scan scan = {0};
    double deadline = now_s() + o->timeout_s;
    bool timed_out = false;
    struct pollfd pfd[2] = {{.fd = res[0], .events = POLLIN}, {.fd = err[0], .events = POLLIN}};
    for (int open_fds = 2; open_fds > 0;) {
        int left_ms = (int)((deadline - now_s()) * 1000);
        if (left_ms <= 0 || poll(pfd, 2, left_ms) == 0) {
            timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        if (pfd[0].revents) {
            if (len + 1024 > cap && !(buf = realloc(buf, cap *= 2))) asb_die("out of memory");
            ssize_t got = read(res[0], buf + len, cap - len - 1);
            if (got > 0) len += (size_t)got;
            else if (got == 0 || errno != EINTR) pfd[0].fd = -1, open_fds--;
        }
        if (pfd[1].revents) {
            char chunk[4096];
            ssize_t got = read(err[0], chunk, sizeof chunk);
            if (got > 0) {
                scan_stderr(&scan, chunk, (size_t)got);
                if (write(2, chunk, (size_t)got) < 0) {} /* our own stderr gone: nothing to do */
            } else if (got == 0 || errno != EINTR) pfd[1].fd = -1, open_fds--;
        }
    }
    close(res[0]);
    close(err[0]);
    buf[len] = 0;
    int wstatus;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {}

    char verdict[64], message[1024] = "", ops[32], forks[32], helpers[32];
    line_value(buf, "message", message, sizeof message);
    if (timed_out) {
        snprintf(verdict, sizeof verdict, "timeout");
        snprintf(message, sizeof message, "killed after %.0f s (a deadlock?)", o->timeout_s);
    } else if (WIFSIGNALED(wstatus)) {
        const char *sig = sigabbrev_np(WTERMSIG(wstatus));
        snprintf(verdict, sizeof verdict, "crashed:SIG%s", sig ? sig : "?");
        if (scan.crash[0]) snprintf(message, sizeof message, "%s", scan.crash);
        else if (!message[0])
            snprintf(message, sizeof message, "worker killed by signal %d (%s)", WTERMSIG(wstatus),
                     strsignal(WTERMSIG(wstatus)));
    } else {
        int code = WEXITSTATUS(wstatus);
        if (code == ASB_USAGE)
            asb_die_usage("stress: %s", message[0] ? message : "the worker rejected a parameter (see its message above)");
        snprintf(verdict, sizeof verdict, "%s", code == ASB_OK ? "ok" : code == ASB_VERIFY_FAILED ? "verify-failed"
                                                : code == ASB_USAGE ? "usage" : "error");
        if (code == 127) snprintf(message, sizeof message, "worker could not be started (see stderr)");
    }
    char *who = asb_alloc_choice_describe(alloc);
    bool passed = !strcmp(verdict, "ok");
    if (passed)
        printf("stress: PASS %s (%d threads, %s s, seed %s): %s steps, %s forks, %s helper threads, no violation\n", who,
               o->threads, o->seconds, o->seed, line_value(buf, "ops", ops, sizeof ops),
               line_value(buf, "extra.forks", forks, sizeof forks),
               line_value(buf, "extra.helper_threads", helpers, sizeof helpers));
    else
        printf("stress: FAIL %s (%d threads, %s s, seed %s): %s%s%s\n", who, o->threads, o->seconds, o->seed, verdict,
               message[0] ? ": " : "", message);
    fflush(stdout);
    free(who);
    free(buf);
    return passed;
}

int asb_cmd_stress(int argc, char **argv) {
    stress_options o;
    parse_stress_options(argc, argv, &o);
    int failed = 0;
    for (int i = 0; i < o.nallocs; i++) failed += !stress_one(&o, &o.allocs[i]);
    return failed ? 1 : 0;
}
