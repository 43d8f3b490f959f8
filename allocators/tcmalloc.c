/* tcmalloc.c — gperftools' tcmalloc_minimal (Debian libgoogle-perftools4).
 * Native statistics through MallocExtension's C API. */
#include <gperftools/malloc_extension_c.h>
#include <gperftools/tcmalloc.h>

#include "backend.h"

static const char *tc_ver(void) { return tc_version(NULL, NULL, NULL); }

static void tc_stats(asb_stat_emit emit, void *cookie) {
    static const char *props[][2] = {
        {"generic.current_allocated_bytes", "allocated_bytes"},
        {"generic.heap_size", "heap_bytes"},
        {"tcmalloc.pageheap_free_bytes", "pageheap_free_bytes"},
        {"tcmalloc.pageheap_unmapped_bytes", "released_bytes"},
        {"tcmalloc.current_total_thread_cache_bytes", "thread_cache_bytes"},
    };
    for (unsigned i = 0; i < sizeof props / sizeof *props; i++) {
        size_t v;
        if (MallocExtension_GetNumericProperty(props[i][0], &v)) emit(cookie, props[i][1], (double)v);
    }
}

/* Found by the conformance suite in Debian's 2.10. */
static const asb_known_deviation tc_deviations[] = {
    {"calloc", "overflow_sets_errno", NULL,
     "gperftools 2.10: calloc's overflow check returns NULL without errno = ENOMEM (malloc sets it)",
     "no upstream issue found; seen in Debian libgoogle-perftools4 2.10-1"},
    {0},
};

const asb_backend asb_backend_linked = {
    .name = "tcmalloc", .version = tc_ver, .native_stats = tc_stats, .known_deviations = tc_deviations};
