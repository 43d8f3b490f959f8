/*
 * go_stub.c — the descriptor of the `go` scheduler: the real Go runtime,
 * which runs the Go twins of the scheduler workloads (workloads/sched/go/)
 * in its own worker binary, asbench-worker-go.  It is registered here only
 * so that `asbench list` shows it and `--sched go` validates; the harness
 * runs that binary for it, so nothing here is reached in a proper run, and
 * what is reached reports why.  The caps are the Go runtime's: all of them.
 */
#include <errno.h>
#include <stdio.h>

#include "../../schedulers/sched.h"

static void explain(void) {
    fprintf(stderr, "the go scheduler runs in its own worker binary (asbench-worker-go), not in a C worker\n");
    errno = ENOTSUP;
}

static int go_run(int nprocs, const char *options, asb_task_fn root, void *arg) {
    (void)nprocs;
    (void)options;
    (void)root;
    (void)arg;
    explain();
    return -1;
}

/* Workloads make their channels, wait groups and mutexes before run(): fail
 * those the same way instead of leaving NULL pointers to crash on. */
static asb_chan *go_chan_make(size_t elemsize, size_t cap) {
    (void)elemsize;
    (void)cap;
    explain();
    return NULL;
}

static asb_wg *go_wg_make(void) {
    explain();
    return NULL;
}

static asb_mutex *go_mutex_make(void) {
    explain();
    return NULL;
}

static const asb_sched go_sched = {
    .name = "go",
    .summary = "the real Go runtime (Go twins of the workloads, in asbench-worker-go)",
    .caps = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS | ASB_CAP_BLOCKING | ASB_CAP_PREEMPTION | ASB_CAP_INJECTION |
            ASB_CAP_MANY_TASKS | ASB_CAP_NET,
    .run = go_run,
    .chan_make = go_chan_make,
    .wg_make = go_wg_make,
    .mutex_make = go_mutex_make,
};
ASB_REGISTER_SCHED(go_sched)
