/* gs_test.h — tiny assertion helpers for the gostyle unit tests. */
#ifndef GS_TEST_H
#define GS_TEST_H

#include <stdio.h>
#include <stdlib.h>

#include "../check.h"

#define CHECK_EQ(a, b)                                                                   \
    do {                                                                                 \
        unsigned long long va_ = (unsigned long long)(a), vb_ = (unsigned long long)(b); \
        if (va_ != vb_) {                                                                \
            fprintf(stderr, "%s:%d: %s == %llu, expected %s == %llu\n", __FILE__,        \
                    __LINE__, #a, va_, #b, vb_);                                         \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

#endif
