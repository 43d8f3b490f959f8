/* test_ablation.c — GOSTYLEDEBUG: the strict parser, and each switch taking effect.
 * Run as `test_ablation MODE` with GOSTYLEDEBUG set by the test definition:
 *   parse       the parser's defaults, every key's values, and its errors
 *   refused     a misspelt GOSTYLEDEBUG: the process exits 1 at load with
 *               the parser's message
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
#include <sys/wait.h>
#include <unistd.h>

#include "debugvars.h"
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

/* A setting the parser must refuse, with exactly this message. */
static void check_refused(const char *s, const char *message) {
    gs_debug d;
    char err[ASB_DEBUGVARS_ERR_MAX];
    CHECK_EQ(gs_debug_parse(s, &d, 2, err, sizeof err), -1);
    if (strcmp(err, message) != 0) {
        fprintf(stderr, "GOSTYLEDEBUG=%s: message\n  '%s', expected\n  '%s'\n", s, err, message);
        exit(1);
    }
}

#define KNOWN "(known: mcache, pagecache, freegc, printstats, scavenger, madvise, procs, gcpercent)"

static void test_parse(void) {
    gs_debug d;
    char err[ASB_DEBUGVARS_ERR_MAX];
    CHECK_EQ(gs_debug_parse(NULL, &d, 3, err, sizeof err), 0);
    CHECK(d.mcache && d.pagecache && !d.freegc && !d.printstats);
    CHECK(d.scavenger == GS_SCAV_BACKGROUND && d.madvise == GS_MADV_DONTNEED);
    CHECK(d.procs == 3 && d.gcpercent == 100);
    CHECK_EQ(gs_debug_parse("mcache=0,pagecache=0,scavenger=eager,madvise=free,procs=4,freegc=1,gcpercent=50,"
                            "printstats=1",
                            &d, 2, err, sizeof err),
             0);
    CHECK(!d.mcache && !d.pagecache && d.freegc && d.printstats);
    CHECK(d.scavenger == GS_SCAV_EAGER && d.madvise == GS_MADV_FREE);
    CHECK(d.procs == 4 && d.gcpercent == 50);
    CHECK_EQ(gs_debug_parse("scavenger=off,madvise=dontneed,mcache=1,procs=256,gcpercent=0", &d, 2, err, sizeof err), 0);
    CHECK(d.scavenger == GS_SCAV_OFF && d.madvise == GS_MADV_DONTNEED && d.mcache && d.procs == 256 && d.gcpercent == 0);
    CHECK_EQ(gs_debug_parse("scavenger=background", &d, 2, err, sizeof err), 0);
    CHECK(d.scavenger == GS_SCAV_BACKGROUND);
    /* Empty: the defaults, procs from the CPU count (at least 1, at most
     * GS_MAX_PROCS); empty items (a trailing comma) are skipped; the last
     * of a repeated key wins. */
    CHECK_EQ(gs_debug_parse("", &d, 0, err, sizeof err), 0);
    CHECK(d.procs == 1 && d.mcache);
    CHECK_EQ(gs_debug_parse(NULL, &d, 1000, err, sizeof err), 0);
    CHECK(d.procs == GS_MAX_PROCS);
    CHECK_EQ(gs_debug_parse("mcache=0,", &d, 2, err, sizeof err), 0);
    CHECK(!d.mcache);
    CHECK_EQ(gs_debug_parse(",,freegc=1,,procs=2,procs=5,", &d, 2, err, sizeof err), 0);
    CHECK(d.freegc && d.procs == 5);
    /* Unknown keys and bad values are refused with a message naming them. */
    check_refused("mcahce=0", "GOSTYLEDEBUG: unknown key mcahce " KNOWN);
    check_refused("freegc=1,bogus=1", "GOSTYLEDEBUG: unknown key bogus " KNOWN);
    check_refused(" mcache=0", "GOSTYLEDEBUG: unknown key  mcache " KNOWN);
    check_refused("mcache=7", "GOSTYLEDEBUG: mcache=7: expected 0 or 1");
    check_refused("pagecache=", "GOSTYLEDEBUG: pagecache=: expected 0 or 1");
    check_refused("freegc=yes", "GOSTYLEDEBUG: freegc=yes: expected 0 or 1");
    check_refused("printstats=-1", "GOSTYLEDEBUG: printstats=-1: expected 0 or 1");
    check_refused("scavenger=sometimes", "GOSTYLEDEBUG: scavenger=sometimes: expected off, background or eager");
    check_refused("madvise=FREE", "GOSTYLEDEBUG: madvise=FREE: expected dontneed or free");
    check_refused("procs=0", "GOSTYLEDEBUG: procs=0: expected an integer in 1..256");
    check_refused("procs=257", "GOSTYLEDEBUG: procs=257: expected an integer in 1..256");
    check_refused("procs=x", "GOSTYLEDEBUG: procs=x: expected an integer in 1..256");
    check_refused("procs=2x", "GOSTYLEDEBUG: procs=2x: expected an integer in 1..256");
    check_refused("gcpercent=99999999999999999999", "GOSTYLEDEBUG: gcpercent=99999999999999999999: expected an integer in 0..999999999");
    check_refused("mcache", "GOSTYLEDEBUG: mcache: expected key=value");
    check_refused("=0", "GOSTYLEDEBUG: =0: expected key=value");
    check_refused("mcache=0;pagecache=0", "GOSTYLEDEBUG: mcache=0;pagecache=0: expected 0 or 1");
    /* A message longer than the buffer is cut, still terminated. */
    char key[600];
    memset(key, 'k', sizeof key - 3);
    strcpy(key + sizeof key - 3, "=1");
    CHECK_EQ(gs_debug_parse(key, &d, 2, err, sizeof err), -1);
    CHECK(strlen(err) == sizeof err - 1 && !strncmp(err, "GOSTYLEDEBUG: unknown key kkk", 29));
}

/* refused: run this program with a misspelt GOSTYLEDEBUG; its first malloc
 * (at load) must print the parser's message and exit with status 1. */
static void test_refused(void) {
    int out[2];
    CHECK(pipe(out) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(out[1], STDERR_FILENO);
        setenv("GOSTYLEDEBUG", "freegc=1,mcahce=0", 1);
        execl("/proc/self/exe", "test_ablation", "default", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    char said[512];
    int status = child_output(pid, out[0], said, sizeof said);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    if (strcmp(said, "GOSTYLEDEBUG: unknown key mcahce " KNOWN "\n") != 0) {
        fprintf(stderr, "stderr of the refused run: '%s'\n", said);
        exit(1);
    }
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
    } else if (!strcmp(mode, "refused")) {
        test_refused();
    } else if (!strcmp(mode, "default")) {
        CHECK(set->mcache && set->pagecache && !set->freegc && set->scavenger == 1 && set->madvise == 0);
        void *p = gmalloc(100);
        gfree(p);
        void *q = gmalloc(100);
        CHECK(q != p); /* the freed slot waits for the span's next sweep */
        gfree(q);
        CHECK_EQ(stats()->central_locks.acquisitions, 0);
        /* 1024-byte objects: 8 per one-page span.  Allocate until a block
         * lands in the last slot of its span: that span is exhausted and
         * still cached (whatever its other slots held before).  Free every
         * other of those blocks, the last included: the next allocation
         * finds the span exhausted, sweeps it in place and hands out one of
         * the freed slots. */
        enum { PER_SPAN = GS_PAGE_SIZE / 1024 };
        void *slots[PER_SPAN];
        int n = 0;
        do slots[n] = gmalloc(1024);
        while (((uintptr_t)slots[n++] & (GS_PAGE_SIZE - 1)) != GS_PAGE_SIZE - 1024 && n < PER_SPAN);
        CHECK(((uintptr_t)slots[n - 1] & (GS_PAGE_SIZE - 1)) == GS_PAGE_SIZE - 1024);
        for (int i = n - 1; i >= 0; i -= 2) gfree(slots[i]);
        struct gostyle_stats before = *stats();
        void *again = gmalloc(1024);
        bool reused = false;
        for (int i = n - 1; i >= 0; i -= 2) reused |= again == slots[i];
        CHECK(reused);
        /* In place: the span never went back to its mcentral (the first push
         * to a span set takes the spine lock) nor through the central lock. */
        CHECK_EQ(stats()->spine_locks.acquisitions, before.spine_locks.acquisitions);
        CHECK_EQ(st.central_locks.acquisitions, before.central_locks.acquisitions);
        gfree(again);
        for (int i = n - 2; i >= 0; i -= 2) gfree(slots[i]);
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
