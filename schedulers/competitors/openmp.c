/*
 * openmp.c — OpenMP tasks (libgomp) as a spawn/join scheduler: run() opens a
 * parallel region of nprocs threads and runs the root in a `single`; spawn()
 * is `#pragma omp task`; a wait group is an atomic counter whose wait is a
 * `taskwait` (which runs the waiter's child tasks) followed by a spin for any
 * decrement still owed by tasks on other threads.  That join is correct for
 * the fork-join shapes (fib, nqueens, UTS, yield storm: the waiter waits for
 * its own children); OpenMP has no channels, no blocking primitives and no
 * way to spawn from outside the team, so only SPAWN_JOIN is declared.
 *
 * exit() longjmps back to the task's wrapper; yield and preempt_check are
 * `taskyield` (a no-op in libgomp, which neither switches nor preempts).
 */
#include <omp.h>
#include <sched.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "../sched.h"

struct asb_wg {
    atomic_long count;
};

static _Thread_local jmp_buf *task_exit_point;
static atomic_ulong spawned;

static void run_task(asb_task_fn fn, void *arg) {
    jmp_buf here, *outer = task_exit_point;
    task_exit_point = &here;
    if (setjmp(here) == 0) fn(arg);
    task_exit_point = outer;
}

static int omp_spawn(asb_task_fn fn, void *arg) {
    atomic_fetch_add_explicit(&spawned, 1, memory_order_relaxed);
#pragma omp task firstprivate(fn, arg)
    run_task(fn, arg);
    return 0;
}

static void omp_yield(void) {
#pragma omp taskyield
}

__attribute__((noreturn)) static void omp_exit(void) { longjmp(*task_exit_point, 1); }

static asb_wg *omp_wg_make(void) {
    asb_wg *wg = malloc(sizeof *wg);
    if (wg) atomic_init(&wg->count, 0);
    return wg;
}

static void omp_wg_add(asb_wg *wg, int delta) {
    if (atomic_fetch_add(&wg->count, delta) + delta < 0) abort(); /* negative counter, as in Go */
}

static void omp_wg_done(asb_wg *wg) { omp_wg_add(wg, -1); }

static void omp_wg_wait(asb_wg *wg) {
#pragma omp taskwait
    while (atomic_load(&wg->count) > 0) sched_yield();
}

static void omp_wg_free(asb_wg *wg) { free(wg); }

static int omp_run(int nprocs, const char *options, asb_task_fn root, void *arg) {
    (void)options;
    atomic_store(&spawned, 0);
#pragma omp parallel num_threads(nprocs)
#pragma omp single
    run_task(root, arg);
    return 0;
}

static void omp_stats(asb_stat_emit emit, void *cookie) { emit(cookie, "spawned", (double)atomic_load(&spawned)); }

static const asb_sched openmp_sched = {
    .name = "openmp",
    .summary = "OpenMP tasks (libgomp): spawn/join only",
    .caps = ASB_CAP_SPAWN_JOIN | ASB_CAP_MANY_TASKS,
    .run = omp_run, .spawn = omp_spawn, .yield = omp_yield, .exit = omp_exit, .preempt_check = omp_yield,
    .wg_make = omp_wg_make, .wg_add = omp_wg_add, .wg_done = omp_wg_done, .wg_wait = omp_wg_wait,
    .wg_free = omp_wg_free, .stats = omp_stats,
};
ASB_REGISTER_SCHED(openmp_sched)
