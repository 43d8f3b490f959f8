/*
 * catalogue.c — the catalogue of misuse scenarios (security.h) and the
 * workload "security" (kind "security": only `asbench security` runs it,
 * never workload=all nor a preset) that performs the one named by
 * `scenario`.
 */
#include <string.h>

#include "probe.h"

const sec_scenario sec_scenarios[] = {
    {"double-free", "free() twice in a row", "a later malloc hands the block out twice", 1, sec_double_free},
    {"double-free-later", "free(p), free(q), free(p)", "a later malloc hands a block out twice", 1, sec_double_free_later},
    {"double-free-thread", "the second free() from another thread", "a block handed out twice in either thread", 1,
     sec_double_free_thread},
    {"invalid-free-stack", "free() of a stack address with a forged chunk header", "malloc returns the stack address", 1,
     sec_invalid_free_stack},
    {"invalid-free-global", "free() of a global with a forged chunk header", "malloc returns the global", 1,
     sec_invalid_free_global},
    {"invalid-free-interior", "free(p + 16) of a live block", "malloc hands out memory of the live block", 1,
     sec_invalid_free_interior},
    {"invalid-free-misaligned", "free(p + 1) of a live block", "malloc hands out memory of the live block", 1,
     sec_invalid_free_misaligned},
    {"invalid-free-mmap", "free() into a page another party mmap()ed, forged header", "malloc returns that page", 1,
     sec_invalid_free_mmap},
    {"invalid-free-unmapped", "free() of a pointer into an unmapped page", "malloc returns the unmapped page", 1,
     sec_invalid_free_unmapped},
    {"overflow-1", "1 byte past the usable end of a 24-byte block", "live blocks overlap after the neighbour is freed", 1,
     sec_overflow_1},
    {"overflow-8", "8 bytes past the usable end of a 24-byte block", "live blocks overlap after the neighbour is freed", 1,
     sec_overflow_8},
    {"overflow-metadata", "64 bytes of a target's address over a freed neighbour", "malloc returns the target", 1,
     sec_overflow_metadata},
    {"overflow-1mib", "1 MiB past the end of a 64 KiB block", "live blocks overlap afterwards", 1, sec_overflow_1mib},
    {"underflow", "16 bytes in front of a block, then free it", "live blocks overlap afterwards", 1, sec_underflow},
    {"metadata-in-band", "overwrite the bytes between two neighbours",
     "the neighbour's usable size changes, or live blocks overlap", 1, sec_metadata_in_band},
    {"guard-page-large", "1 byte into the page after a 1 MiB block", "(none: detected = a guard page)", 1,
     sec_guard_page_large},
    {"uaf-freelist-poison", "write a target's address into a freed block", "malloc returns the target", 1,
     sec_uaf_freelist_poison},
    {"uaf-read-stale", "read a freed block", "half or more of its bytes still hold the old data", 1, sec_uaf_read_stale},
    {"uaf-reuse", "keep a pointer to a freed block", "the next malloc of its size returns that block", 1, sec_uaf_reuse},
    {"realloc-freed", "realloc() of a freed block", "a block handed out twice or overlapping", 1, sec_realloc_freed},
    {"usable-size-garbage", "malloc_usable_size() of garbage on the stack", "it claims usable bytes there", 1,
     sec_usable_size_garbage},
    {"huge-size", "malloc(2^62)", "it returns a block", 1, sec_huge_size},
    {"negative-size", "malloc(-16) (an int passed as size_t)", "it returns a block", 1, sec_negative_size},
    {"calloc-overflow", "calloc(n, 16) whose product wraps to 16", "it returns a block", 1, sec_calloc_overflow},
    {"addr-entropy", "predict the next 32-byte block's address", "one distance in ≥ 90% of 256 consecutive pairs", 1,
     sec_addr_entropy},
    {"aslr-first", "predict the first block's address from run to run", "the same address in every run", 8,
     sec_aslr_first},
};
const int sec_nscenarios = sizeof sec_scenarios / sizeof *sec_scenarios;

const sec_scenario *sec_scenario_find(const char *name) {
    for (int i = 0; i < sec_nscenarios; i++)
        if (!strcmp(sec_scenarios[i].name, name)) return &sec_scenarios[i];
    return NULL;
}

static int security_run(asb_ctx *ctx) {
    const char *name = asb_param_s(ctx, "scenario");
    const sec_scenario *s = sec_scenario_find(name);
    if (!s) return asb_fail(ctx, ASB_USAGE, "security: unknown scenario '%s' (asbench security --list)", name);
    static sec_run run; /* static: the live set is too big for a small thread stack, and off the heap */
    run = (sec_run){.ctx = ctx};
    asb_count(ctx, 1, 0, 0);
    return s->run(&run);
}

static const asb_param_def security_params[] = {
    {"scenario", "double-free", NULL, "the misuse to perform (asbench security --list)"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload security = {
    .name = "security",
    .kind = "security",
    .stresses = "one heap-misuse scenario, reporting how far it got and what it saw (asbench security)",
    .params = security_params,
    .run = security_run,
};
ASB_REGISTER_WORKLOAD(security)
