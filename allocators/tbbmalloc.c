/* tbbmalloc.c — oneTBB's scalable allocator, through libtbbmalloc_proxy,
 * which replaces malloc and friends process-wide.  tbbmalloc exposes no
 * statistics, and its version is the one pkg-config gave at build time. */
#include "backend.h"

const asb_backend asb_backend_linked = {.name = "tbbmalloc"};
