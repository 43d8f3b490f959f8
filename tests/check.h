/* check.h — the assertion of the C unit tests: a failed check prints where
 * and what, and fails the test (exit 1). */
#ifndef ASB_TEST_CHECK_H
#define ASB_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);     \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

#endif
