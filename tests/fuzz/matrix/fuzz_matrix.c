/*
 * fuzz_matrix.c — libFuzzer target for the matrix parser
 * (harness/matrix.c, asb_matrix_parse): matrix files, and the command line of
 * `asbench run`, which is turned into the same text.  Any input must either
 * parse into consistent cells or be rejected with a "source:line: what"
 * message, without a crash or undefined behaviour.  Built and run by
 * tests/fuzz/run-fuzz.sh matrix SECONDS.
 * Leak checking is on: every input's matrix is freed, so what is left is a
 * leak of the parser's (an error path that forgot its allocations).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asbench.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    asb_matrix m;
    asb_matrix_init(&m);
    char *err = NULL;
    if (asb_matrix_parse(&m, "fuzz", text, &err) != 0) {
        if (!err || strncmp(err, "fuzz:", 5) != 0) abort(); /* every rejection names its line */
        free(err);
    } else {
        for (int i = 0; i < m.ncells; i++) {
            const asb_cell *c = &m.cells[i];
            if (!c->workload || !c->alloc.name || c->threads < 1 || !c->params || !c->key) abort();
            if (!strcmp(c->workload->kind, "sched") != (c->sched != NULL)) abort();
        }
        if (m.shard_count < 1 || m.shard_index < 1 || m.shard_index > m.shard_count) abort();
    }
    asb_matrix_free(&m);
    free(text);
    return 0;
}
