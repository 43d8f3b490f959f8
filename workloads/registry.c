/* registry.c — the table of workloads, filled by their constructors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

enum { MAX_WORKLOADS = 128 };
static const asb_workload *workloads[MAX_WORKLOADS];
static int nworkloads;

void asb_workload_register(const asb_workload *w) {
    /* A descriptor whose work_param names no parameter would make
     * calibration scale nothing: a programming error, caught at start-up. */
    bool work_param_known = !w->work_param;
    for (int i = 0; w->params && w->params[i].name && !work_param_known; i++)
        work_param_known = strcmp(w->params[i].name, w->work_param) == 0;
    if (!work_param_known) {
        fprintf(stderr, "workload %s: work_param '%s' is not one of its parameters\n", w->name, w->work_param);
        abort();
    }
    if (nworkloads < MAX_WORKLOADS) workloads[nworkloads++] = w;
}

const asb_workload *asb_workload_find(const char *name) {
    for (int i = 0; i < nworkloads; i++)
        if (strcmp(workloads[i]->name, name) == 0) return workloads[i];
    return NULL;
}

const asb_workload *asb_workload_at(int i) {
    return i >= 0 && i < nworkloads ? workloads[i] : NULL;
}
