/*
 * settings.c — the harness's check of the ablation settings GOSTYLEDEBUG and
 * GMPDEBUG (and of a variant's THP=never|default, which client.c applies),
 * with the parsers the allocator and the scheduler use themselves
 * (allocators/gostyle/runtime1.c, schedulers/gmp/runtime1.c), so that a
 * misspelt variant or environment stops the command before it writes
 * anything, instead of every run failing in its worker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asbench.h"
#include "debugvars.h"
#include "gostyle/runtime.h"
#include "schedulers/gmp/runtime2.h"
#include "settings.h"

int asb_check_settings(const char *var, const char *value, char **err) {
    char msg[ASB_DEBUGVARS_ERR_MAX];
    int r = 0;
    if (!strcmp(var, "GOSTYLEDEBUG")) {
        gs_debug d;
        r = gs_debug_parse(value, &d, 1, msg, sizeof msg);
    } else if (!strcmp(var, "GMPDEBUG")) {
        gmp_debug d;
        r = gmp_debug_parse(value, &d, msg, sizeof msg);
    } else if (!strcmp(var, "THP") && strcmp(value, "never") != 0 && strcmp(value, "default") != 0) {
        snprintf(msg, sizeof msg, "THP=%s: expected never (prctl PR_SET_THP_DISABLE for the worker) or default", value);
        r = -1;
    }
    if (r != 0) *err = asb_xstrdup(msg);
    return r;
}

int asb_check_settings_list(const char *settings, char **err) {
    asb_strlist list = {0};
    asb_strlist_split(&list, settings, ';');
    int r = 0;
    for (int i = 0; i < list.n && r == 0; i++) {
        char *eq = strchr(list.items[i], '=');
        if (!eq) continue; /* the form is asb_parse_variant's to check */
        *eq = 0;
        r = asb_check_settings(list.items[i], eq + 1, err);
    }
    asb_strlist_free(&list);
    return r;
}

void asb_check_settings_env(void) {
    static const char *const vars[] = {"GOSTYLEDEBUG", "GMPDEBUG", "THP"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *value = getenv(vars[i]);
        char *err;
        if (value && asb_check_settings(vars[i], value, &err) != 0)
            asb_die_usage("%s (in this environment, every run would inherit it)", err);
    }
}
