/* test_sizeclasses.c — the size-class table against Go's sizeclasses.go
 * (the sizes and page counts transcribed from Go 1.21) and against the
 * invariants mksizeclasses.go enforces: tail waste ≤ 1/8 of the span, 8-byte
 * steps up to 1024 bytes and 128-byte steps after, at most 1024 objects per
 * span, exact divMul division over every offset; and the class malloc itself
 * picks for every size 0 … 32768 (the span each block lands in), against
 * Go's rule: the smallest class that fits. */
#include "gs_api.h"
#include "gs_test.h"
#include "runtime.h"

static const unsigned go_sizes[GS_NUM_SIZE_CLASSES] = {
    0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352, 384,
    416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072,
    3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568,
    14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768};
static const unsigned go_npages[GS_NUM_SIZE_CLASSES] = {
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 2, 1, 2, 1, 2, 1, 3, 2, 3, 1, 3, 2, 3, 4, 5, 6, 1, 7, 6, 5, 4, 3, 5, 7, 2, 9, 7, 5, 8, 3, 10, 7, 4};

int main(void) {
    for (int c = 0; c < GS_NUM_SIZE_CLASSES; c++) {
        CHECK_EQ(gs_class_to_size[c], go_sizes[c]);
        CHECK_EQ(gs_class_to_npages[c], go_npages[c]);
    }
    for (int c = 1; c < GS_NUM_SIZE_CLASSES; c++) {
        unsigned size = gs_class_to_size[c], span = gs_class_to_npages[c] << GS_PAGE_SHIFT;
        unsigned objects = span / size;
        CHECK(size > gs_class_to_size[c - 1]);
        CHECK(span % size <= span / 8);                 /* tail waste ≤ 12.5% */
        CHECK(objects >= 1 && objects <= GS_MAX_OBJS_PER_SPAN);
        CHECK(size % (size <= GS_SMALL_SIZE_MAX ? GS_SMALL_SIZE_DIV : GS_LARGE_SIZE_DIV) == 0);
        CHECK_EQ(gs_class_to_divmul[c], 0xffffffffu / size + 1);
        for (unsigned off = 0; off <= span; off++)
            CHECK_EQ((unsigned)(((unsigned long long)off * gs_class_to_divmul[c]) >> 32), off / size);
    }
    CHECK_EQ(gs_class_to_size[GS_NUM_SIZE_CLASSES - 1], GS_MAX_SMALL_SIZE);
    CHECK_EQ(gs_class_to_divmul[0], 0);
    /* malloc's class for every small size: Go's rule, the smallest class
     * whose size is ≥ n — among the classes that are multiples of 16 bytes,
     * since C's malloc owes 16-byte alignment where Go does not (so Go's 8-
     * and 24-byte classes are never used, and malloc(0) is a 16-byte block). */
    for (unsigned n = 0; n <= GS_MAX_SMALL_SIZE; n++) {
        int want = 1;
        while (gs_class_to_size[want] < n || gs_class_to_size[want] % 16) want++;
        void *p = gmalloc(n);
        CHECK(p != NULL);
        gs_mspan *s = gs_span_of((uintptr_t)p);
        CHECK(s != NULL);
        if (s->sizeclass != want) {
            fprintf(stderr, "malloc(%u) took class %d (%u B), expected class %d (%u B)\n", n, s->sizeclass,
                    gs_class_to_size[s->sizeclass], want, gs_class_to_size[want]);
            return 1;
        }
        CHECK_EQ(gusable(p), gs_class_to_size[want]);
        gfree(p);
    }
    puts("sizeclasses: ok");
    return 0;
}
