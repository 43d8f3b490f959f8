/*
 * scen_free.c — the misuse scenarios of free(): double frees (at once, after
 * other frees, from another thread), frees of pointers the allocator never
 * handed out (stack, global, interior, misaligned, another mapping, an
 * unmapped page) and realloc of a freed block.  Each then sprays the heap
 * with allocations and checks whether a block came out twice, overlaps a
 * live one, or lies in memory the allocator never owned (probe.c).
 */
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "probe.h"

enum { SMALL = 48, SPRAY = 256 }; /* enough to exhaust a cached span or page, so a slot freed into it comes back */

int sec_double_free(sec_run *r) {
    void *p = sec_malloc(SMALL);
    sec_free(p);
    sec_misuse("free() of the block just freed");
    sec_free(sec_launder(p));
    sec_later();
    sec_spray(r, SMALL, SPRAY);
    return sec_check_blocks(r, "no block handed out twice");
}

int sec_double_free_later(sec_run *r) {
    void *p = sec_malloc(SMALL), *q = sec_malloc(SMALL);
    sec_free(p);
    sec_free(q);
    sec_misuse("free() of a block freed before another free");
    sec_free(sec_launder(p));
    sec_later();
    sec_spray(r, SMALL, SPRAY);
    return sec_check_blocks(r, "no block handed out twice");
}

typedef struct thread_job {
    sec_run *r;
    void *block;
} thread_job;

static void *free_block(void *arg) {
    thread_job *job = arg;
    sec_misuse("free() in a second thread of a block the main thread freed");
    sec_free(sec_launder(job->block));
    return NULL;
}

static void *spray_blocks(void *arg) {
    thread_job *job = arg;
    sec_spray(job->r, SMALL, SPRAY);
    return NULL;
}

/* Runs fn(job) on a new thread and waits for it; false if none started. */
static bool on_thread(void *(*fn)(void *), thread_job *job) {
    pthread_t t;
    if (pthread_create(&t, NULL, fn, job) != 0) return false;
    pthread_join(t, NULL);
    return true;
}

int sec_double_free_thread(sec_run *r) {
    thread_job job = {r, sec_malloc(SMALL)};
    sec_free(job.block);
    if (!on_thread(free_block, &job)) return sec_not_applicable(r, "no second thread could be started");
    sec_later();
    sec_spray(r, SMALL, SPRAY);
    on_thread(spray_blocks, &job); /* the second thread's cache may hold the block */
    return sec_check_blocks(r, "no block handed out twice in either thread");
}

/* free() of a forged block inside region, then a spray. */
static int free_forged(sec_run *r, void *region, size_t len, const char *what, const char *misuse) {
    void *p = sec_fake_chunk(region, len);
    sec_forbid(r, region, len, what);
    sec_misuse(misuse);
    sec_free(sec_launder(p));
    sec_later();
    sec_spray(r, SMALL, SPRAY);
    return sec_check_blocks(r, "malloc never returned the forged block");
}

int sec_invalid_free_stack(sec_run *r) {
    unsigned char buf[512] __attribute__((aligned(64)));
    return free_forged(r, buf, sizeof buf, "the stack buffer", "free() of a stack address with a forged header");
}

int sec_invalid_free_global(sec_run *r) {
    static unsigned char buf[512] __attribute__((aligned(64)));
    return free_forged(r, buf, sizeof buf, "the global buffer", "free() of a global with a forged header");
}

int sec_invalid_free_mmap(sec_run *r) {
    size_t len = (size_t)sysconf(_SC_PAGESIZE);
    void *region = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) return sec_not_applicable(r, "mmap of one page failed");
    return free_forged(r, region, len, "the foreign mapping",
                       "free() of a pointer into a page mmap()ed by someone else, with a forged header");
}

int sec_invalid_free_unmapped(sec_run *r) {
    size_t len = 2 * (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *region = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) return sec_not_applicable(r, "mmap of two pages failed");
    munmap(region, len);
    sec_forbid(r, region, len, "the unmapped pages");
    sec_misuse("free() of a pointer into a page that is not mapped");
    sec_free(sec_launder(region + len / 2 + 16));
    sec_later();
    sec_spray(r, SMALL, SPRAY);
    return sec_check_blocks(r, "the free was ignored");
}

/* free() of p + offset while p stays live, then a spray of p's size. */
static int free_inside(sec_run *r, size_t offset, const char *misuse) {
    unsigned char *p = sec_keep(r, sec_malloc(64), 64);
    sec_misuse(misuse);
    sec_free(sec_launder(p + offset));
    sec_later();
    sec_spray(r, 64, SPRAY);
    return sec_check_blocks(r, "the live block was not handed out again");
}

int sec_invalid_free_interior(sec_run *r) { return free_inside(r, 16, "free() of p + 16 of a live 64-byte block"); }
int sec_invalid_free_misaligned(sec_run *r) { return free_inside(r, 1, "free() of p + 1 of a live 64-byte block"); }

int sec_realloc_freed(sec_run *r) {
    void *p = sec_malloc(SMALL);
    sec_free(p);
    sec_misuse("realloc() of a freed block to 96 bytes");
    sec_keep(r, sec_realloc(sec_launder(p), 96), 96);
    sec_later();
    sec_spray(r, SMALL, SPRAY);
    sec_spray(r, 96, 4);
    return sec_check_blocks(r, "no block handed out twice");
}
