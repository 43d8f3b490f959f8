/*
 * security.h — the catalogue of heap-misuse scenarios (`asbench security`,
 * docs/security.md), shared by the workload that performs them (kind
 * "security", workloads/security/scenarios.c) and the harness command that
 * runs each one in its own worker and turns what happened into a verdict
 * (harness/security.c).
 *
 * The workload tells the harness how far it got with lines on its stderr
 * (written with write(2), so that a heap the misuse corrupted cannot lose
 * them; stdio's result stream lives on that heap):
 *
 *   security-probe: misuse: WHAT      just before the misuse step
 *   security-probe: later             just before the allocator calls that follow it
 *   security-probe: check             just before its own checks (no allocator call)
 *   security-probe: observed: TEXT    a figure seen on the way
 *   security-probe: exploited: TEXT   the scenario reached its primitive
 *   security-probe: not exploited: TEXT
 *
 * Every other stderr line is the allocator's (or the C library's) own.
 */
#ifndef ASB_SECURITY_H
#define ASB_SECURITY_H

#include "workload.h"

#define SEC_PROBE_PREFIX "security-probe: "

typedef struct sec_run sec_run; /* workloads/security/probe.h */

typedef struct sec_scenario {
    const char *name;
    const char *misuse;    /* what the program does wrong, one line */
    const char *primitive; /* when the verdict is `exploitable`, one line */
    int runs;              /* 1, or the number of workers whose results are compared (across-run figures) */
    int (*run)(sec_run *r);
} sec_scenario;

extern const sec_scenario sec_scenarios[];
extern const int sec_nscenarios;
/* The scenario of that name, or NULL. */
const sec_scenario *sec_scenario_find(const char *name);

#endif
