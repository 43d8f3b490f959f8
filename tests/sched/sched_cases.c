/* sched_cases.c — the case runner of sched_cases.h. */
#include "sched_cases.h"

#include <dirent.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

const asb_sched *S;

uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int count_open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

/* In the child: the case, then the descriptor count. */
static void child(const sched_case_suite *suite, const sched_case *c, int procs) {
    alarm(suite->alarm_s);
    int fds_before = suite->check_fds ? count_open_fds() : 0;
    CHECK(fds_before >= 0);
    if (S->run(procs, NULL, c->root, NULL) != 0) {
        fprintf(stderr, "  %s: run() failed\n", S->name);
        _exit(1);
    }
    if (suite->check_fds) {
        /* threads: a finished task's thread closes its eventfd after its
         * last wg_done, so give the detached threads a moment. */
        int fds_after = count_open_fds();
        for (int i = 0; i < 200 && fds_after != fds_before; i++) {
            usleep(10000);
            fds_after = count_open_fds();
        }
        if (fds_after != fds_before) {
            fprintf(stderr, "  %s: %d fds open before run(), %d after\n", S->name, fds_before, fds_after);
            _exit(1);
        }
    }
    _exit(0);
}

/* Runs one case in a child; returns 0 ok, 1 failed. */
static int run_case(const sched_case_suite *suite, const asb_sched *s, const sched_case *c, int procs) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        S = s;
        child(suite, c, procs);
    }
    int status;
    waitpid(pid, &status, 0);
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    printf("%-11s %-22s P=%d %s", s->name, c->name, procs, ok ? "ok\n" : "FAILED");
    if (!ok) {
        if (WIFSIGNALED(status)) printf(" (signal %d)", WTERMSIG(status));
        printf("\n");
    }
    return ok ? 0 : 1;
}

int sched_cases_main(const sched_case_suite *suite, int argc, char **argv) {
    int failures = 0, tested = 0, ran = 0;
    for (int i = 0; asb_sched_at(i); i++) {
        const asb_sched *s = asb_sched_at(i);
        bool wanted = argc == 1 ? strcmp(s->name, "go") != 0 : false;
        for (int a = 1; a < argc; a++) wanted |= strcmp(argv[a], s->name) == 0;
        if (!wanted) continue;
        tested++;
        for (size_t k = 0; k < suite->ncases; k++) {
            const sched_case *c = &suite->cases[k];
            if ((c->needs & s->caps) != c->needs) {
                printf("%-11s %-22s skipped (capability not declared)\n", s->name, c->name);
                continue;
            }
            ran++;
            for (size_t p = 0; p < suite->nprocs; p++) failures += run_case(suite, s, c, suite->procs[p]);
        }
    }
    if (tested < argc - 1) {
        fprintf(stderr, "unknown scheduler among the arguments\n");
        return 1;
    }
    if (ran == 0) {
        fprintf(stderr, "no scheduler with the capabilities the cases need was tested\n");
        return 1;
    }
    printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
