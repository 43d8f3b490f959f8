/* gmp_test.h — what the gmp test programs (test_gmp.c, test_gmp_netpoll.c)
 * share: the scheduler under test (S, set by main), its statistics by name,
 * whether this is the TSan build, a monotonic clock. */
#ifndef ASB_TEST_GMP_TEST_H
#define ASB_TEST_GMP_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../schedulers/sched.h"
#include "../../schedulers/gmp/ctx.h"
#include "../../schedulers/gmp/runtime2.h"
#include "../check.h"

static const asb_sched *S;

#if ASB_UCTX_TSAN
enum { UNDER_TSAN = 1 };
#else
enum { UNDER_TSAN = 0 };
#endif

typedef struct stat_lookup {
    const char *key;
    double value;
    bool found;
} stat_lookup;

static inline void stat_emit(void *cookie, const char *key, double value) {
    stat_lookup *l = cookie;
    if (strcmp(l->key, key) == 0) {
        l->value = value;
        l->found = true;
    }
}

/* A statistic of the last run; a missing key fails the test. */
static inline double stat(const char *key) {
    stat_lookup l = {key, 0, false};
    S->stats(stat_emit, &l);
    if (!l.found) {
        fprintf(stderr, "no stat %s\n", key);
        exit(1);
    }
    return l.value;
}

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
