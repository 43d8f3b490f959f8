/* gs_api.h — the unit tests call the allocator through its prefixed entry
 * points (GOSTYLE_TEST_PREFIX build), so that the process's own malloc stays
 * glibc's and the sanitizers work. */
#ifndef GS_API_H
#define GS_API_H
#include <stddef.h>

#include "gostyle.h"

void *gostyle_test_malloc(size_t);
void gostyle_test_free(void *);
void *gostyle_test_calloc(size_t, size_t);
void *gostyle_test_realloc(void *, size_t);
int gostyle_test_posix_memalign(void **, size_t, size_t);
void *gostyle_test_aligned_alloc(size_t, size_t);
void *gostyle_test_memalign(size_t, size_t);
void *gostyle_test_valloc(size_t);
void *gostyle_test_pvalloc(size_t);
size_t gostyle_test_malloc_usable_size(void *);

#define gmalloc gostyle_test_malloc
#define gfree gostyle_test_free
#define gcalloc gostyle_test_calloc
#define grealloc gostyle_test_realloc
#define gusable gostyle_test_malloc_usable_size
#endif
