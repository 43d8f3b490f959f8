/* settings.h — the harness's check of ablation settings (settings.c). */
#ifndef ASB_SETTINGS_H
#define ASB_SETTINGS_H

/* Check an ablation setting's value (GOSTYLEDEBUG, GMPDEBUG; any other
 * variable passes): 0, or -1 with the parser's message in *err (allocated). */
int asb_check_settings(const char *var, const char *value, char **err);
/* The same for each of a variant's "VAR=VALUE;…". */
int asb_check_settings_list(const char *settings, char **err);
/* Exit 2 if this process's environment holds a bad one: every worker would
 * inherit it. */
void asb_check_settings_env(void);

#endif
