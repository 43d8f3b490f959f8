/*
 * sched_cases.h — the case runner the task-API tests share (test_sched_api.c,
 * test_sched_net.c): each case is a root task run under every registered
 * scheduler that declares its capabilities, in a forked child (Boost.Fiber's
 * work_stealing can be set up once per process, and a crash must fail one
 * case, not the suite), with an alarm so a deadlock fails instead of hanging.
 */
#ifndef ASB_TEST_SCHED_CASES_H
#define ASB_TEST_SCHED_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "../../schedulers/sched.h"

/* The scheduler of the case running in this child. */
extern const asb_sched *S;

/* A failed check names the scheduler; _exit: its threads may still run. */
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: %s: check failed: %s\n", __FILE__, __LINE__, S->name, #cond); \
            _exit(1);                                                                              \
        }                                                                                          \
    } while (0)

typedef struct sched_case {
    const char *name;
    unsigned needs; /* ASB_CAP_* the scheduler must declare, or the case is skipped */
    asb_task_fn root;
} sched_case;

typedef struct sched_case_suite {
    const sched_case *cases;
    size_t ncases;
    const int *procs; /* each case runs once per processor count */
    size_t nprocs;
    unsigned alarm_s;
    bool check_fds;   /* no file descriptor may outlive run() */
} sched_case_suite;

/* The test's main: argv names schedulers (default: every one but `go`).
 * Prints a line per case, returns the exit status: failure also when no
 * scheduler could run any case. */
int sched_cases_main(const sched_case_suite *suite, int argc, char **argv);

uint64_t now_ns(void);

#endif
