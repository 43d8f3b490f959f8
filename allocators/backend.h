/*
 * backend.h — the allocator plug-in interface.
 *
 * A backend is one C file in allocators/ plus one line in
 * allocators/meson.build.  The build links a worker executable
 * (asbench-worker-NAME) against the backend's library, ahead of libc, so that
 * library serves every malloc in the worker process — the way linking or
 * LD_PRELOAD makes it.  The file itself only describes the backend and reads
 * the allocator's own statistics, if it has any.
 *
 * Native statistics are emitted as key/value pairs.  The harness gives three
 * keys columns of their own in the CSV: lock_acquisitions, lock_contended,
 * lock_wait_ns (sums over the allocator's locks); every other key lands in the
 * row's `extra` column.
 *
 * Known deviations: a library's bugs that are not ours to fix are declared
 * here, in its own file, not in the tests.  The conformance suite
 * (tests/conformance) reports a declared deviation that occurs as TAP TODO,
 * fails one that no longer occurs (the library was fixed: remove the entry),
 * and still fails every undeclared failure; `asbench stress` tests leave out
 * the API or the fork that a deviation names.  A backend without a list gets
 * every check strictly.
 */
#ifndef ASB_BACKEND_H
#define ASB_BACKEND_H

#include "../schedulers/sched.h" /* asb_stat_emit */

typedef struct asb_known_deviation {
    /* Conformance test and check that fails (`conformance --list` names
     * them); test NULL: no conformance check sees it (an intermittent one). */
    const char *test, *check;
    /* What `asbench stress` must leave out because of it: a malloc API
     * (posix_memalign …) or "fork"; NULL: nothing. */
    const char *stress_leaves_out;
    /* One line: what the library does wrong, and the version seen. */
    const char *reason;
    /* The upstream issue or commit; else the library's source it comes from. */
    const char *link;
} asb_known_deviation;

typedef struct asb_backend {
    const char *name;
    /* Version string of the library actually loaded, or NULL if unknown. */
    const char *(*version)(void);
    /* Emit native statistics; called once after the workload (may be NULL). */
    void (*native_stats)(asb_stat_emit emit, void *cookie);
    /* Known deviations from the malloc contract, ended by an entry with a
     * NULL reason; NULL: none. */
    const asb_known_deviation *known_deviations;
} asb_backend;

/* Defined by exactly one backend file in each worker executable. */
extern const asb_backend asb_backend_linked;

#endif
