/* listing.c — `asbench list`: allocator backends (found or missing, and
 * why), schedulers, and every workload with its parameters and what it
 * stresses. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "asbench.h"

static void list_backends(void) {
    printf("Allocator backends:\n");
    for (int i = 0; i < asb_nbackends; i++) {
        const asb_backend_entry *b = &asb_backends[i];
        if (b->found)
            printf("  %-10s found%s%s\n", b->name, b->build_version[0] ? ", version " : "", b->build_version);
        else if (b->debian_package[0] == '(')
            printf("  %-10s MISSING: not built %s\n", b->name, b->debian_package);
        else
            printf("  %-10s MISSING: not found at build time (install Debian package %s, then rebuild)\n", b->name,
                   b->debian_package);
    }
    /* The Go heap is the Go runtime's own worker, built when go was found. */
    if (asb_go_worker_built())
        printf("  %-10s found: the real Go heap (Go runtime, GC), in asbench-worker-go; not in --alloc all\n", "go");
    else
        printf("  %-10s MISSING: the Go worker was not built (install Debian package golang-go, then rebuild)\n", "go");
    printf("  (any other malloc library: --alloc name=/path/to/lib.so; a backend with settings:\n"
           "   --alloc name=backend[VAR=VALUE;…], e.g. gsfree=gostyle[GOSTYLEDEBUG=freegc=1], g50=go[GOGC=50])\n");
}

static void list_schedulers(void) {
    printf("\nSchedulers:\n");
    if (!asb_sched_at(0)) printf("  (none built)\n");
    for (int i = 0; asb_sched_at(i); i++)
        printf("  %-10s %s\n", asb_sched_at(i)->name, asb_sched_at(i)->summary);
}

static void list_workloads(const char *kind) {
    printf("\nWorkloads (%s):\n", kind);
    for (int i = 0; asb_workload_at(i); i++) {
        const asb_workload *w = asb_workload_at(i);
        if (strcmp(w->kind, kind) != 0) continue;
        printf("  %-16s %s\n", w->name, w->stresses);
        for (int p = 0; w->params && w->params[p].name; p++) {
            const asb_param_def *d = &w->params[p];
            printf("      %-14s = %-10s", d->name, d->def);
            if (d->quick && strcmp(d->quick, d->def)) printf(" (quick %s)", d->quick);
            bool work = w->work_param && !strcmp(w->work_param, d->name);
            printf("  %s%s\n", d->help, work ? " [work: scaled by --min-time]" : "");
        }
    }
}

int asb_cmd_list(int argc, char **argv) {
    const char *only = argc > 0 ? argv[0] : NULL;
    if (only && strcmp(only, "backends") && strcmp(only, "workloads") && strcmp(only, "schedulers"))
        asb_die_usage("list: unknown topic '%s' (valid: backends, workloads, schedulers)", only);
    if (!only || !strcmp(only, "backends")) list_backends();
    if (!only || !strcmp(only, "schedulers")) list_schedulers();
    if (!only || !strcmp(only, "workloads")) {
        list_workloads("alloc");
        list_workloads("sched");
        list_workloads("trace");
        asb_app_list();
    }
    return 0;
}
