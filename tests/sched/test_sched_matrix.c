/*
 * test_sched_matrix.c — the quick scheduler matrix as a smoke test: runs
 * every scheduler workload (or those named) with the quick preset under one
 * scheduler, in the given worker binary (an asbench-worker-BACKEND, or
 * asbench-worker-go for `go`), and checks each outcome against the
 * capabilities: a workload the scheduler can run must give status=ok with
 * ops > 0 (its own verification passed); one needing a capability the
 * scheduler lacks must give status=unsupported with a message naming it.
 *
 * Usage: test_sched_matrix WORKER SCHEDULER [WORKLOAD ...]
 * Exit: 0 all as expected, 1 a mismatch, 77 (skip) SCHEDULER not built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

enum { RUN_TIMEOUT_S = 120 };

/* Runs the worker; returns its exit status (or 128+signal) and its output. */
static int run_worker(const char *worker, const char *workload, const char *sched, char *out, size_t outlen) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        alarm(RUN_TIMEOUT_S); /* survives exec: a hung run is killed, not waited for */
        execl(worker, worker, "--workload", workload, "--sched", sched, "--preset", "quick", "--threads", "2",
              (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t got;
    while (len + 1 < outlen && (got = read(fds[0], out + len, outlen - 1 - len)) > 0) len += (size_t)got;
    out[len] = 0;
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static const char *line_value(const char *out, const char *key, char *buf, size_t len) {
    size_t klen = strlen(key);
    for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            const char *v = p + klen + 1, *e = strchr(v, '\n');
            size_t n = e ? (size_t)(e - v) : strlen(v);
            if (n >= len) n = len - 1;
            memcpy(buf, v, n);
            buf[n] = 0;
            return buf;
        }
    }
    return NULL;
}

static bool selected(const char *name, int argc, char **argv) {
    if (argc <= 3) return true;
    for (int i = 3; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return true;
    return false;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: test_sched_matrix WORKER SCHEDULER [WORKLOAD ...]\n");
        return 2;
    }
    const char *worker = argv[1], *sched_name = argv[2];
    const asb_sched *s = asb_sched_find(sched_name);
    if (!s) {
        printf("scheduler %s is not built: skipped\n", sched_name);
        return 77;
    }
    int failures = 0, runs = 0;
    static char out[1 << 16];
    for (int i = 0; asb_workload_at(i); i++) {
        const asb_workload *w = asb_workload_at(i);
        if (strcmp(w->kind, "sched") != 0 || !selected(w->name, argc, argv)) continue;
        runs++;
        int code = run_worker(worker, w->name, sched_name, out, sizeof out);
        char status[64] = "", message[512] = "", ops[64] = "0";
        line_value(out, "status", status, sizeof status);
        line_value(out, "message", message, sizeof message);
        line_value(out, "ops", ops, sizeof ops);
        bool expect_ok = (w->needs & ~s->caps) == 0, good;
        if (expect_ok) good = code == 0 && strcmp(status, "ok") == 0 && atoll(ops) > 0;
        else good = code == 4 && strcmp(status, "unsupported") == 0 && strstr(message, "lacks");
        printf("%-10s %-18s exit %3d status=%-14s %s\n", sched_name, w->name, code, status,
               good ? "as expected" : "UNEXPECTED");
        if (message[0]) printf("%29s message: %s\n", "", message);
        failures += !good;
    }
    if (runs == 0) {
        fprintf(stderr, "no scheduler workload selected\n");
        return 1;
    }
    printf("%d run(s), %d unexpected\n", runs, failures);
    return failures ? 1 : 0;
}
