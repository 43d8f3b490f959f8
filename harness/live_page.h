/*
 * live_page.h — the page the harness shares with a worker so that the RSS
 * timeline can sample the workload's live bytes at the same instant as RSS
 * (the fragmentation curve RSS ÷ live over time).
 *
 * The harness creates it (a memfd) and hands it to the worker on fd
 * ASB_LIVE_FD with --live-fd; a workload that knows its live bytes marks the
 * page `tracked` and each of its threads keeps its own net count (bytes it
 * allocated minus bytes it freed, which may be negative when it frees
 * another thread's blocks) in its own cache line, with a plain store: no
 * atomic read-modify-write and no shared line on the allocation path.  The
 * harness sums the slots at each tick; a thread index beyond the slots marks
 * the series void instead of sharing a slot.
 */
#ifndef ASB_LIVE_PAGE_H
#define ASB_LIVE_PAGE_H

#include <stdint.h>

#define ASB_LIVE_FD 4
#define ASB_LIVE_SLOTS 256

typedef struct asb_live_page {
    _Atomic uint32_t tracked;  /* a workload publishes live bytes */
    _Atomic uint32_t overflow; /* a thread index ≥ ASB_LIVE_SLOTS: no series */
    char pad[56];
    struct {
        _Atomic int64_t bytes;
        char pad[56];
    } slot[ASB_LIVE_SLOTS];
} asb_live_page;

#endif
