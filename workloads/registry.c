/* registry.c — the table of workloads, filled by their constructors. */
#include <string.h>

#include "workload.h"

enum { MAX_WORKLOADS = 128 };
static const asb_workload *workloads[MAX_WORKLOADS];
static int nworkloads;

void asb_workload_register(const asb_workload *w) {
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
