/*
 * gostyle.h — the gostyle allocator's own API, beside the standard malloc
 * family that libgostyle.so exports: statistics, an eager scavenge, and the
 * ablation settings read from GOSTYLEDEBUG.
 */
#ifndef GOSTYLE_H
#define GOSTYLE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GOSTYLE_NUM_SIZE_CLASSES 68

struct gostyle_lock_stats {
    uint64_t acquisitions;
    uint64_t contended;   /* acquisitions that had to wait */
    uint64_t wait_ns;     /* total time waited */
};

struct gostyle_settings {
    int mcache, pagecache, freegc, printstats;
    int scavenger;        /* 0 off, 1 background, 2 eager */
    int madvise;          /* 0 MADV_DONTNEED, 1 MADV_FREE */
    int procs, gcpercent;
    int membarrier;       /* 1: Ps are handed over with membarrier */
};

struct gostyle_stats {
    /* Heap pages (Go's MemStats names). */
    uint64_t heap_sys_bytes;       /* mapped for the heap */
    uint64_t heap_inuse_bytes;     /* in spans */
    uint64_t heap_idle_bytes;      /* mapped, not in spans */
    uint64_t heap_released_bytes;  /* idle and returned to the OS */
    uint64_t heap_retained_bytes;  /* sys - released */
    uint64_t scavenge_goal_bytes;  /* the scavenger's retained-memory goal */
    /* Scavenging. */
    uint64_t scavenged_total_bytes;
    uint64_t scavenged_sync_bytes;
    uint64_t scavenged_background_bytes;
    uint64_t scavenger_cycles;
    /* Objects (walked from the spans; approximate while threads allocate). */
    uint64_t small_span_bytes;     /* bytes of spans holding small objects */
    uint64_t small_live_objects;
    uint64_t small_live_bytes;     /* live objects x their class size */
    uint64_t large_objects;
    uint64_t large_bytes;
    uint64_t live_objects;
    uint64_t live_bytes;
    uint64_t freegc_listed_objects;  /* freed objects waiting in freegc lists */
    double span_utilisation;       /* small_live_bytes / small_span_bytes */
    uint64_t spans_per_class[GOSTYLE_NUM_SIZE_CLASSES];   /* [0]: large spans */
    uint64_t partial_set_spans;    /* spans waiting in the mcentrals' partial sets */
    uint64_t full_set_spans;       /* full spans that received a free, waiting for a sweep */
    uint64_t objects_per_class[GOSTYLE_NUM_SIZE_CLASSES];
    /* Locks. */
    struct gostyle_lock_stats heap_lock;
    struct gostyle_lock_stats spine_locks;      /* all span-set spine locks */
    struct gostyle_lock_stats central_locks;    /* the mcentral locks (no P) */
    struct gostyle_lock_stats spanset_pool_lock;
    struct gostyle_lock_stats scavenger_lock;
    struct gostyle_lock_stats all_locks;        /* sum of the above */
    /* Ps. */
    uint64_t p_operations;         /* mallocs and frees through a P */
    uint32_t procs;
    uint32_t bound_procs;          /* Ps bound to a thread now */
    struct gostyle_settings settings;
};

/* Fill *out; returns 0. */
int gostyle_stats(struct gostyle_stats *out);
/* Write the statistics as text to a file descriptor (no stdio, no malloc). */
void gostyle_stats_print(int fd);
/* Return every free page to the OS now (Go's debug.FreeOSMemory, without
 * the GC); returns the bytes released. */
uint64_t gostyle_scavenge_all(void);
const char *gostyle_version(void);

#ifdef __cplusplus
}
#endif

#endif
