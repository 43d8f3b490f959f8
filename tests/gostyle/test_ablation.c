/* test_ablation.c — GOSTYLEDEBUG: the parser, and each switch taking effect.
 * Run as `test_ablation MODE` with GOSTYLEDEBUG set by the test definition:
 *   parse       the parser's defaults, values and errors
 *   default     defaults in effect: mcache on, a freed slot is not reused
 *               before its span is swept, and is reused once the cached span
 *               runs out (swept in place)
 *   mcache0     mcache=0: every small allocation takes an mcentral lock
 *   pagecache0  pagecache=0: every small span takes the heap lock
 *   pagecache1  the page cache serves spans without the heap lock, and takes
 *               back a freed large object's pages for the next one
 *   eager       scavenger=eager: a freed span is released at once
 *   off         scavenger=off: nothing is released unless asked
 *   background  the background scavenger releases memory by itself
 *   madvfree    madvise=free is in effect and releasing works
 *   procs4      procs=4: four Ps
 *   freegc      freegc=1: a freed object is handed out again at once; the
 *               page → class map; lists per thread, counted while it runs
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "gs_api.h"
#include "gs_test.h"
#include "runtime.h"

static struct gostyle_stats st;

/* freegc: a thread that frees objects into its own list, then exits. */
static void *free_all_and_exit(void *arg) {
    void **objs = arg;
    for (int i = 0; i < 50; i++) gfree(objs[i]);
    return NULL;
}
static struct gostyle_stats *stats(void) {
    gostyle_stats(&st);
    return &st;
}

/* freegc: a thread that has never allocated has no lists, so its free goes
 * to the span's bitmap at once. */
static void *free_one_unregistered(void *arg) {
    gfree(arg);
    return (void *)(uintptr_t)stats()->freegc_listed_objects;
}

/* freegc: a running thread's lists count in the statistics. */
static pthread_barrier_t listed_barrier;
static void *free_three_and_wait(void *arg) {
    void **objs = arg;
    gfree(gmalloc(64)); /* registers the thread; its list now holds one */
    for (int i = 0; i < 3; i++) gfree(objs[i]);
    pthread_barrier_wait(&listed_barrier); /* main reads the statistics */
    pthread_barrier_wait(&listed_barrier);
    return NULL;
}

static void test_parse(void) {
    gs_debug d;
    CHECK_EQ(gs_debug_parse(NULL, &d, 3), 0);
    CHECK(d.mcache && d.pagecache && !d.freegc && !d.printstats);
    CHECK(d.scavenger == GS_SCAV_BACKGROUND && d.madvise == GS_MADV_DONTNEED);
    CHECK(d.procs == 3 && d.gcpercent == 100);
    CHECK_EQ(gs_debug_parse("mcache=0,pagecache=0,scavenger=eager,madvise=free,procs=4,freegc=1,gcpercent=50,"
                            "printstats=1",
                            &d, 2),
             0);
    CHECK(!d.mcache && !d.pagecache && d.freegc && d.printstats);
    CHECK(d.scavenger == GS_SCAV_EAGER && d.madvise == GS_MADV_FREE);
    CHECK(d.procs == 4 && d.gcpercent == 50);
    CHECK_EQ(gs_debug_parse("scavenger=off", &d, 2), 0);
    CHECK(d.scavenger == GS_SCAV_OFF);
    CHECK_EQ(gs_debug_parse("bogus=1,mcache=2,procs=0,scavenger=sometimes,madvise,procs=x,,freegc=1", &d, 2), 6);
    CHECK(d.mcache && d.freegc && d.procs == 2 && d.scavenger == GS_SCAV_BACKGROUND);
    CHECK_EQ(gs_debug_parse("procs=100000", &d, 2), 1);
    CHECK_EQ(gs_debug_parse("", &d, 0), 0);
    CHECK(d.procs == 1);
}

/* Allocate n one-object spans (8 KiB objects), return the heap-lock delta. */
static uint64_t heap_locks_for_spans(int n, void **keep) {
    uint64_t before = stats()->heap_lock.acquisitions;
    for (int i = 0; i < n; i++) keep[i] = gmalloc(8192);
    return stats()->heap_lock.acquisitions - before;
}

/* An 8 MiB block freed and scavenged on request is released. */
static void release_test(void) {
    void *big = gmalloc(8 << 20);
    CHECK(big);
    memset(big, 1, 8 << 20);
    uint64_t released_before = stats()->scavenged_total_bytes;
    gfree(big);
    gostyle_scavenge_all();
    /* The background scavenger may hold a unit (≤ 64 KiB) of these pages
     * inside its madvise, which scavenge_all skips; it counts the unit when
     * its call returns, so give it that long. */
    for (int i = 0; i < 200 && (stats()->scavenged_total_bytes - released_before < (8u << 20) ||
                                st.heap_released_bytes < (8u << 20)); i++) {
        usleep(10000);
        gostyle_scavenge_all();
    }
    CHECK(stats()->scavenged_total_bytes - released_before >= (8u << 20));
    CHECK(st.heap_released_bytes >= (8u << 20));
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    const char *mode = argv[1];
    struct gostyle_settings *set = &stats()->settings;
    void *keep[200];
    if (!strcmp(mode, "parse")) {
        test_parse();
    } else if (!strcmp(mode, "default")) {
        CHECK(set->mcache && set->pagecache && !set->freegc && set->scavenger == 1 && set->madvise == 0);
        void *p = gmalloc(100);
        gfree(p);
        void *q = gmalloc(100);
        CHECK(q != p); /* the freed slot waits for the span's next sweep */
        gfree(q);
        CHECK_EQ(stats()->central_locks.acquisitions, 0);
        /* 1024-byte objects: 8 per span.  Fill the cached span, free half of
         * it: the allocation that finds the span exhausted sweeps it in place
         * and hands out one of the freed slots. */
        void *slots[8];
        slots[0] = gmalloc(1024);
        uintptr_t span = (uintptr_t)slots[0] & ~(uintptr_t)(GS_PAGE_SIZE - 1);
        int n = 1;
        while (n < 8 && ((uintptr_t)(slots[n] = gmalloc(1024)) & ~(uintptr_t)(GS_PAGE_SIZE - 1)) == span) n++;
        CHECK(n >= 2);
        if (n < 8) gfree(slots[n]); /* the first object of the next span */
        for (int i = 0; i < n; i += 2) gfree(slots[i]);
        if (n == 8) {
            void *again = gmalloc(1024);
            bool reused = false;
            for (int i = 0; i < n; i += 2) reused |= again == slots[i];
            CHECK(reused);
            gfree(again);
        }
        for (int i = 1; i < n; i += 2) gfree(slots[i]);
    } else if (!strcmp(mode, "mcache0")) {
        CHECK(!set->mcache);
        uint64_t before = stats()->central_locks.acquisitions;
        for (int i = 0; i < 100; i++) keep[i] = gmalloc(64);
        CHECK(stats()->central_locks.acquisitions - before >= 100);
        CHECK_EQ(st.p_operations, 0);
        for (int i = 0; i < 100; i++) gfree(keep[i]);
    } else if (!strcmp(mode, "pagecache0")) {
        CHECK(!set->pagecache);
        CHECK(heap_locks_for_spans(200, keep) >= 200);
    } else if (!strcmp(mode, "pagecache1")) {
        CHECK(set->pagecache);
        CHECK(heap_locks_for_spans(200, keep) <= 200 / 64 + 4);
        /* A freed 64 KiB object's pages go back to the P's page cache: the
         * next one gets them again, without the heap lock (after a first
         * cycle, which may refill the P's caches). */
        void *big = gmalloc(65536);
        gfree(big);
        big = gmalloc(65536);
        gfree(big);
        uint64_t before = stats()->heap_lock.acquisitions;
        for (int i = 0; i < 100; i++) {
            void *again = gmalloc(65536);
            CHECK(again == big);
            gfree(again);
        }
        CHECK_EQ(stats()->heap_lock.acquisitions, before + 1); /* the statistics' own walk */
    } else if (!strcmp(mode, "eager")) {
        CHECK_EQ(set->scavenger, 2);
        void *big = gmalloc(4 << 20);
        memset(big, 1, 4 << 20);
        uint64_t before = stats()->heap_released_bytes;
        gfree(big);
        CHECK(stats()->heap_released_bytes - before >= (4u << 20));
        release_test();
    } else if (!strcmp(mode, "off")) {
        CHECK_EQ(set->scavenger, 0);
        void *blocks[16];
        for (int i = 0; i < 16; i++) blocks[i] = gmalloc(4 << 20);
        for (int i = 0; i < 16; i++) gfree(blocks[i]);
        usleep(300000);
        CHECK_EQ(stats()->scavenged_total_bytes, 0);
    } else if (!strcmp(mode, "background")) {
        /* 64 MiB freed is far above the goal (at least 4.4 MiB). */
        void *blocks[16];
        for (int i = 0; i < 16; i++) {
            blocks[i] = gmalloc(4 << 20);
            memset(blocks[i], 1, 4 << 20);
        }
        for (int i = 0; i < 16; i++) gfree(blocks[i]);
        for (int i = 0; i < 100 && stats()->scavenged_background_bytes == 0; i++) usleep(50000);
        CHECK(st.scavenged_background_bytes > 0);
        CHECK(st.scavenger_cycles >= 1);
        /* It stops at the goal; give it time, then check it got there. */
        for (int i = 0; i < 200 && stats()->heap_retained_bytes > st.scavenge_goal_bytes; i++) usleep(50000);
        CHECK(st.heap_retained_bytes <= st.scavenge_goal_bytes);
    } else if (!strcmp(mode, "madvfree")) {
        CHECK_EQ(set->madvise, 1);
        release_test();
    } else if (!strcmp(mode, "procs4")) {
        CHECK_EQ(set->procs, 4);
        CHECK_EQ(st.procs, 4);
    } else if (!strcmp(mode, "freegc")) {
        CHECK(set->freegc);
        void *p = gmalloc(100);
        gfree(p);
        CHECK(gmalloc(100) == p); /* LIFO reuse */
        void *a = gmalloc(40), *b = gmalloc(40);
        gfree(a);
        gfree(b);
        CHECK(gmalloc(40) == b);
        CHECK(gmalloc(40) == a);
        CHECK_EQ(stats()->freegc_listed_objects, 0);
        gfree(a);
        CHECK_EQ(stats()->freegc_listed_objects, 1);
        /* Lists belong to the thread: another thread's free does not reach
         * this thread's list, and a thread's list goes back to the spans
         * when it exits. */
        uint64_t live = stats()->live_objects;
        void *objs[50];
        for (int i = 0; i < 50; i++) objs[i] = gmalloc(48);
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, free_all_and_exit, objs), 0);
        CHECK_EQ(pthread_join(t, NULL), 0);
        CHECK_EQ(stats()->freegc_listed_objects, 0); /* `a` went to objs[0]; the thread's list was flushed */
        CHECK_EQ(stats()->live_objects, live);
        for (int i = 0; i < 50; i++) objs[i] = gmalloc(48);
        for (int i = 0; i < 50; i++)
            for (int k = i + 1; k < 50; k++) CHECK(objs[i] != objs[k]); /* no slot handed out twice */
        /* The arena's page map gives each small object's class (the free
         * path's list) and 0 for a large object's pages. */
        void *big = gmalloc(100000);
        for (int i = 0; i < 50; i++) {
            gs_heap_arena *ha = gs_arena_of((uintptr_t)objs[i]);
            CHECK_EQ(ha->spanclass[((uintptr_t)objs[i] >> GS_PAGE_SHIFT) & (GS_PAGES_PER_ARENA - 1)],
                     gs_span_of((uintptr_t)objs[i])->sizeclass);
        }
        CHECK_EQ(gs_arena_of((uintptr_t)big)->spanclass[((uintptr_t)big >> GS_PAGE_SHIFT) & (GS_PAGES_PER_ARENA - 1)], 0);
        gfree(big);
        /* A thread with no lists frees to the bitmap; a running thread's
         * listed objects are counted until it exits. */
        live = stats()->live_objects;
        void *ret;
        CHECK_EQ(pthread_create(&t, NULL, free_one_unregistered, objs[0]), 0);
        CHECK_EQ(pthread_join(t, &ret), 0);
        CHECK_EQ((uintptr_t)ret, 0);
        CHECK_EQ(stats()->live_objects, live - 1);
        CHECK_EQ(pthread_barrier_init(&listed_barrier, NULL, 2), 0);
        CHECK_EQ(pthread_create(&t, NULL, free_three_and_wait, objs + 1), 0);
        pthread_barrier_wait(&listed_barrier);
        CHECK_EQ(stats()->freegc_listed_objects, 4);
        CHECK_EQ(stats()->live_objects, live - 4);
        pthread_barrier_wait(&listed_barrier);
        CHECK_EQ(pthread_join(t, NULL), 0);
        CHECK_EQ(stats()->freegc_listed_objects, 0);
        CHECK_EQ(stats()->live_objects, live - 4);
        pthread_barrier_destroy(&listed_barrier);
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    printf("ablation %s: ok\n", mode);
    return 0;
}
