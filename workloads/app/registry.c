/*
 * registry.c — the applications (app.h), each also registered as a workload
 * of kind "app" named app:NAME with one parameter, `scale`, so that the
 * matrix, the CSV and the reports treat an application like any workload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"

enum { MAX_APPS = 64 };
static const asb_app *apps[MAX_APPS];
static asb_workload app_workloads[MAX_APPS];
static asb_param_def app_params[MAX_APPS][2];
static int napps;

void asb_app_register(const asb_app *app) {
    if (napps == MAX_APPS || !app->name || !app->scale || (!app->command && !app->server)) {
        fprintf(stderr, "app %s: too many apps, or no name, scale or command\n", app->name ? app->name : "?");
        abort();
    }
    char *name;
    if (asprintf(&name, "app:%s", app->name) < 0) abort();
    app_params[napps][0] = (asb_param_def){"scale", app->scale, app->quick_scale, app->scale_help};
    app_workloads[napps] = (asb_workload){.name = name, .kind = app->test_only ? "test" : "app", .stresses = app->stresses,
                                          .params = app_params[napps]};
    apps[napps] = app;
    asb_workload_register(&app_workloads[napps]);
    napps++;
}

const asb_app *asb_app_of(const asb_workload *w) {
    for (int i = 0; i < napps; i++)
        if (w == &app_workloads[i]) return apps[i];
    return NULL;
}

const asb_app *asb_app_at(int i) { return i >= 0 && i < napps ? apps[i] : NULL; }

/* Whether every program of the app is installed. */
static bool installed(const asb_app *app) {
    asb_strlist programs = {0};
    asb_strlist_split(&programs, app->programs ? app->programs : "", ' ');
    bool all = true;
    for (int i = 0; i < programs.n; i++) all &= access(programs.items[i], X_OK) == 0;
    asb_strlist_free(&programs);
    return all;
}

void asb_app_list(void) {
    printf("\nApplications (workload app:NAME or app:all; the real program under each backend, docs/workloads-apps.md):\n");
    for (int i = 0; i < napps; i++) {
        const asb_app *a = apps[i];
        if (a->test_only) continue;
        printf("  %-16s %s\n", app_workloads[i].name, a->stresses);
        if (installed(a)) printf("      package %s (installed)%s\n", a->package, a->server ? ", a server" : "");
        else printf("      package %s MISSING (install it: its rows are unsupported)\n", a->package);
        printf("      input: %s\n", a->input);
        printf("      %-14s = %-10s", "scale", a->scale);
        if (a->quick_scale && strcmp(a->quick_scale, a->scale)) printf(" (quick %s)", a->quick_scale);
        printf("  %s\n", a->scale_help ? a->scale_help : "");
    }
}
