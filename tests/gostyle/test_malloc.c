/* test_malloc.c — the C API of gostyle: malloc(0), 16-byte alignment for
 * every size, the aligned allocators from 8 B to 64 KiB and beyond a page,
 * calloc zeroing (of fresh and of reused memory) and its overflow check,
 * realloc keeping contents, usable sizes, no overlap among thousands of live
 * blocks of all sizes, large objects, and frees of foreign pointers. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gs_api.h"
#include "gs_test.h"

#define NLIVE 6000

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int cmp_ptr(const void *a, const void *b) {
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

static void test_no_overlap(void) {
    static void *p[NLIVE];
    static size_t n[NLIVE];
    static uintptr_t sorted[NLIVE][2];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < NLIVE; i++) {
            if (p[i] && next_rand() % 2) continue;
            gfree(p[i]);
            uint64_t r = next_rand();
            n[i] = r % 16 == 0 ? 32768 + r % 100000 : r % 4 == 0 ? r % 32768 : r % 512;
            p[i] = gmalloc(n[i]);
            CHECK(p[i] != NULL);
            CHECK((uintptr_t)p[i] % 16 == 0);
            CHECK(gusable(p[i]) >= n[i]);
            memset(p[i], (int)(i & 0xff), n[i]);
        }
        for (int i = 0; i < NLIVE; i++) {
            sorted[i][0] = (uintptr_t)p[i];
            sorted[i][1] = (uintptr_t)p[i] + n[i];
        }
        qsort(sorted, NLIVE, sizeof sorted[0], cmp_ptr);
        for (int i = 1; i < NLIVE; i++) CHECK(sorted[i - 1][1] <= sorted[i][0]);
        for (int i = 0; i < NLIVE; i++)
            for (size_t k = 0; k < n[i]; k += 97) CHECK(((unsigned char *)p[i])[k] == (i & 0xff));
    }
    for (int i = 0; i < NLIVE; i++) gfree(p[i]);
}

static void test_aligned(void) {
    for (size_t align = 8; align <= (size_t)1 << 20; align <<= 1) {
        for (size_t n = 1; n <= 100000; n = n * 3 + 1) {
            void *v = NULL;
            CHECK_EQ(gostyle_test_posix_memalign(&v, align, n), 0);
            CHECK((uintptr_t)v % align == 0);
            CHECK(gusable(v) >= n);
            memset(v, 1, n);
            void *w = gostyle_test_aligned_alloc(align, n);
            CHECK(w && (uintptr_t)w % align == 0);
            void *m = gostyle_test_memalign(align, n);
            CHECK(m && (uintptr_t)m % align == 0 && gusable(m) >= n);
            gfree(v);
            gfree(w);
            gfree(m);
        }
    }
    void *v;
    CHECK_EQ(gostyle_test_posix_memalign(&v, 24, 10), EINVAL);
    CHECK_EQ(gostyle_test_posix_memalign(&v, 4, 10), EINVAL);
    errno = 0;
    CHECK(gostyle_test_aligned_alloc(48, 10) == NULL && errno == EINVAL);
    void *m = gostyle_test_memalign(48, 10); /* glibc rounds the alignment up */
    CHECK(m && (uintptr_t)m % 64 == 0);
    gfree(m);
    void *pv = gostyle_test_valloc(100);
    CHECK(pv && (uintptr_t)pv % 4096 == 0);
    void *pp = gostyle_test_pvalloc(5000);
    CHECK(pp && (uintptr_t)pp % 4096 == 0 && gusable(pp) >= 8192);
    gfree(pv);
    gfree(pp);
}

static void test_calloc(void) {
    /* Dirty memory first, so reuse must be zeroed. */
    for (int round = 0; round < 2; round++) {
        void *blocks[300];
        for (int i = 0; i < 300; i++) {
            size_t n = (size_t)(i * 37 % 3000) + 1 + (i % 10 == 0 ? 70000 : 0);
            if (round == 0) {
                blocks[i] = gmalloc(n);
                memset(blocks[i], 0xAB, n);
            } else {
                blocks[i] = gcalloc(1, n);
                for (size_t k = 0; k < n; k++) CHECK(((unsigned char *)blocks[i])[k] == 0);
            }
        }
        for (int i = 0; i < 300; i++) gfree(blocks[i]);
    }
    errno = 0;
    CHECK(gcalloc(SIZE_MAX / 2, 3) == NULL);
    CHECK_EQ(errno, ENOMEM);
    errno = 0;
    CHECK(gmalloc(SIZE_MAX - 10) == NULL);
    CHECK_EQ(errno, ENOMEM);
    errno = 0;
    CHECK(gmalloc((size_t)1 << 45) == NULL); /* more than the machine has */
    CHECK_EQ(errno, ENOMEM);
    void *z = gcalloc(0, 0);
    CHECK(z != NULL);
    gfree(z);
}

static void test_realloc(void) {
    unsigned char *p = grealloc(NULL, 10);
    CHECK(p);
    for (int i = 0; i < 10; i++) p[i] = (unsigned char)i;
    for (size_t n = 10; n < 300000; n = n * 2 + 3) {
        p = grealloc(p, n);
        CHECK(p && gusable(p) >= n);
        for (int i = 0; i < 10; i++) CHECK(p[i] == i);
    }
    p = grealloc(p, 5);
    CHECK(p);
    for (int i = 0; i < 5; i++) CHECK(p[i] == i);
    CHECK(grealloc(p, 0) == NULL); /* frees, like glibc */
}

int main(void) {
    void *z1 = gmalloc(0), *z2 = gmalloc(0);
    CHECK(z1 && z2 && z1 != z2);
    gfree(z1);
    gfree(z2);
    gfree(NULL);
    int local;
    gfree(&local); /* not from this heap: ignored */
    for (size_t n = 0; n <= 70000; n += n < 1100 ? 1 : 61) {
        void *v = gmalloc(n);
        CHECK(v && (uintptr_t)v % 16 == 0 && gusable(v) >= n);
        gfree(v);
    }
    test_no_overlap();
    test_aligned();
    test_calloc();
    test_realloc();
    struct gostyle_stats st;
    gostyle_stats(&st);
    CHECK_EQ(st.live_objects, 0);
    CHECK(st.heap_inuse_bytes <= st.heap_sys_bytes);
    puts("malloc: ok");
    return 0;
}
