/* tbbmalloc.c — oneTBB's scalable allocator, through libtbbmalloc_proxy,
 * which replaces malloc and friends process-wide.  tbbmalloc exposes no
 * statistics, and its version is the one pkg-config gave at build time. */
#include "backend.h"

/* Found by `asbench stress`; intermittent, so no conformance check declares it. */
static const asb_known_deviation tbb_deviations[] = {
    {NULL, NULL, "fork",
     "oneTBB 2021.8.0: a fork child allocating while the parent's other threads allocate sometimes hangs "
     "(1 run in 3 of asbench stress, docs/stress.md)",
     "no upstream issue found; seen in Debian libtbbmalloc2 2021.8.0-2+deb12u1"},
    {0},
};

const asb_backend asb_backend_linked = {.name = "tbbmalloc", .known_deviations = tbb_deviations};
