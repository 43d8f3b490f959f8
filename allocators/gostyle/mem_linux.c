/*
 * mem_linux.c — the allocator's view of the OS (Go's mem_linux.go): reserve
 * address space without backing (PROT_NONE), map parts of it for use, and
 * return free pages with madvise (MADV_DONTNEED by default, MADV_FREE with
 * GOSTYLEDEBUG=madvise=free, like Go's GODEBUG=madvdontneed=0).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime.h"

void gs_throw(const char *msg) {
    static const char prefix[] = "gostyle: fatal: ";
    ssize_t r = write(2, prefix, sizeof prefix - 1);
    r = write(2, msg, strlen(msg));
    r = write(2, "\n", 1);
    (void)r;
    abort();
}

/* Reserve `size` bytes aligned to `align` (a power of two); NULL if the
 * address space is exhausted. */
void *gs_sys_reserve(uintptr_t size, uintptr_t align) {
    uintptr_t len = size + align;
    void *v = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (v == MAP_FAILED) return NULL;
    uintptr_t start = ((uintptr_t)v + align - 1) & ~(align - 1);
    uintptr_t head = start - (uintptr_t)v, tail = len - head - size;
    if (head) munmap(v, head);
    if (tail) munmap((void *)(start + size), tail);
    return (void *)start;
}

bool gs_sys_map(void *v, uintptr_t size) { return mprotect(v, size, PROT_READ | PROT_WRITE) == 0; }

void gs_sys_unused(void *v, uintptr_t size) {
    int advice = gs_dbg.madvise == GS_MADV_FREE ? MADV_FREE : MADV_DONTNEED;
    if (madvise(v, size, advice) != 0 && advice == MADV_FREE) madvise(v, size, MADV_DONTNEED);
}

void *gs_sys_alloc(uintptr_t size) {
    void *v = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (v == MAP_FAILED) gs_throw("out of memory for allocator metadata");
    return v;
}
