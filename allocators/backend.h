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
 */
#ifndef ASB_BACKEND_H
#define ASB_BACKEND_H

#include "../schedulers/sched.h" /* asb_stat_emit */

typedef struct asb_backend {
    const char *name;
    /* Version string of the library actually loaded, or NULL if unknown. */
    const char *(*version)(void);
    /* Emit native statistics; called once after the workload (may be NULL). */
    void (*native_stats)(asb_stat_emit emit, void *cookie);
} asb_backend;

/* Defined by exactly one backend file in each worker executable. */
extern const asb_backend asb_backend_linked;

#endif
