/*
 * fuzz_cli.c — libFuzzer target for the command-line value parsers that
 * return errors instead of exiting: asb_parse_allocs (the --alloc LIST of
 * `asbench run` and `asbench stress`: names, "all", name=/path/lib.so,
 * name=backend[VAR=VALUE;…]), asb_split_choices and asb_strlist_split
 * (every comma list).  Any input must give a consistent
 * result or an error message, without a crash or undefined behaviour.  (The
 * worker's --param values are checked by code that exits; tests/stress/
 * bad_input.sh covers those.)  Built and run by tests/fuzz/run-fuzz.sh cli SECONDS.
 *
 * Leak checking is on: this target once found that asb_parse_allocs leaked
 * its partial result when it rejected a spec (fixed).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asbench.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *spec = malloc(size + 1);
    if (!spec) return 0;
    memcpy(spec, data, size);
    spec[size] = 0;

    asb_strlist parts = {0};
    asb_strlist_split(&parts, spec, ',');
    for (int i = 0; i < parts.n; i++)
        if (!parts.items[i][0] || strchr(parts.items[i], ',')) abort();
    asb_strlist_free(&parts);
    asb_split_choices(&parts, spec);
    for (int i = 0; i < parts.n; i++)
        if (!parts.items[i][0]) abort();
    asb_strlist_free(&parts);

    asb_alloc_choice *choices = NULL;
    char *err = NULL;
    int n = asb_parse_allocs(spec, &choices, &err);
    if (n < 0) {
        if (!err || !err[0]) abort(); /* every rejection says why */
        free(err);
    } else {
        for (int i = 0; i < n; i++) {
            const asb_alloc_choice *c = &choices[i];
            if (!c->name || !c->name[0] || !c->worker) abort();
            if (!asb_backend_entry_find(c->worker)) abort(); /* every choice runs a built worker */
            if (c->preload && c->env) abort();
            if (!c->preload && !c->env && strcmp(c->name, c->worker)) abort();
            asb_alloc_choice_free(&choices[i]);
        }
        free(choices);
    }
    free(spec);
    return 0;
}
