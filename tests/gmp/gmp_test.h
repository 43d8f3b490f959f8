/* gmp_test.h — what the gmp test programs (test_gmp.c, test_gmp_netpoll.c)
 * share: the scheduler under test (S), its statistics by name, whether this
 * is the TSan build, a monotonic clock, and main: one test per argv[1]. */
#ifndef ASB_TEST_GMP_TEST_H
#define ASB_TEST_GMP_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

typedef struct gmp_test {
    const char *name;
    void (*fn)(void);
} gmp_test;

/* The main of a test program: gmp (with the capabilities `caps`) as S,
 * argv[1] names the test, an alarm turns a hang into a failure. */
static inline int gmp_test_main(const gmp_test *tests, size_t n, unsigned caps, int argc, char **argv) {
    S = asb_sched_find("gmp");
    CHECK(S && (S->caps & caps) == caps);
    if (argc != 2) {
        fprintf(stderr, "usage: %s TEST\n", argv[0]);
        return 2;
    }
    alarm(UNDER_TSAN ? 240 : 60);
    for (size_t i = 0; i < n; i++)
        if (strcmp(argv[1], tests[i].name) == 0) {
            tests[i].fn();
            return 0;
        }
    fprintf(stderr, "unknown test %s\n", argv[1]);
    return 2;
}

#endif
