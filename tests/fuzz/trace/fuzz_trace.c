/*
 * fuzz_trace.c — libFuzzer target for the trace loader
 * (workloads/trace/trace_format.c): any byte string must either parse into a
 * consistent trace or be rejected with a message naming a byte offset, without
 * a crash, leak or undefined behaviour.  Built and run by
 * tests/fuzz/run-fuzz.sh trace SECONDS.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    trace t;
    char err[512];
    /* Exercise the op cap too: the input's length picks one. */
    uint64_t cap = size % 3 == 0 ? 0 : size % 7;
    if (trace_parse(data, size, cap, &t, err, sizeof err) != 0) {
        if (!strstr(err, " at byte ")) abort(); /* every rejection names its offset */
        return 0;
    }
    uint64_t kept = 0;
    for (uint32_t i = 0; i < t.header.threads; i++) {
        for (uint64_t j = 0; j < t.threads[i].nops; j++)
            if (t.threads[i].ops[j].seq >= t.replay_ops) abort();
        kept += t.threads[i].nops;
    }
    if (kept != t.replay_ops) abort();
    trace_free(&t);
    return 0;
}
