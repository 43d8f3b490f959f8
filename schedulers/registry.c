/* registry.c — the table of scheduler plug-ins, filled by their constructors. */
#include <string.h>

#include "sched.h"

enum { MAX_SCHEDS = 32 };
static const asb_sched *scheds[MAX_SCHEDS];
static int nscheds;

void asb_sched_register(const asb_sched *s) {
    if (nscheds < MAX_SCHEDS) scheds[nscheds++] = s;
}

const asb_sched *asb_sched_find(const char *name) {
    for (int i = 0; i < nscheds; i++)
        if (strcmp(scheds[i]->name, name) == 0) return scheds[i];
    return NULL;
}

const asb_sched *asb_sched_at(int i) { return i >= 0 && i < nscheds ? scheds[i] : NULL; }
