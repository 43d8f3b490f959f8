/* selftest_backend.c — a test-only backend file for the conformance suite's
 * handling of known deviations (check_declarations.sh): the system allocator,
 * declaring a deviation glibc does not have — one that the faulty "misalign"
 * library (allocators/faulty) has — and one naming no check. */
#include "backend.h"

static const char why[] = "test-only: tests/conformance/check_declarations.sh";

static const asb_known_deviation selftest_deviations[] = {
    {"aligned_apis", "posix_memalign", "posix_memalign", "test-only: blocks 8 B off their alignment", why},
    {"calloc", "no_such_check", NULL, "test-only: a declaration naming no check", why},
    {0},
};

const asb_backend asb_backend_linked = {.name = "selftest", .known_deviations = selftest_deviations};
