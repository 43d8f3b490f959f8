/*
 * sizeclasses.h — the size-class tables (generated into sizeclasses.c by
 * mksizeclasses.c, as Go's sizeclasses.go is by mksizeclasses.go).
 */
#ifndef GOSTYLE_SIZECLASSES_H
#define GOSTYLE_SIZECLASSES_H

#include <stdint.h>

#define GS_PAGE_SHIFT 13
#define GS_NUM_SIZE_CLASSES 68
#define GS_MAX_SMALL_SIZE 32768
#define GS_SMALL_SIZE_DIV 8
#define GS_SMALL_SIZE_MAX 1024
#define GS_LARGE_SIZE_DIV 128
#define GS_MAX_OBJS_PER_SPAN 1024

extern const uint16_t gs_class_to_size[GS_NUM_SIZE_CLASSES];
extern const uint8_t gs_class_to_npages[GS_NUM_SIZE_CLASSES];
/* divMul: n / size == (n * divmul) >> 32 for every offset n inside a span. */
extern const uint32_t gs_class_to_divmul[GS_NUM_SIZE_CLASSES];
extern const uint8_t gs_size_to_class8[GS_SMALL_SIZE_MAX / GS_SMALL_SIZE_DIV + 1];
extern const uint8_t gs_size_to_class128[(GS_MAX_SMALL_SIZE - GS_SMALL_SIZE_MAX) / GS_LARGE_SIZE_DIV + 1];

#endif
