/*
 * stats.h — the statistics of asbench, free of I/O so that a unit test can
 * check them on known inputs (tests/harness/test_stats.c):
 *   - median and a distribution-free confidence interval for it from order
 *     statistics (the binomial method);
 *   - the Mann–Whitney U test (exact distribution for small samples without
 *     ties, normal approximation with tie correction otherwise);
 *   - a Hodges–Lehmann-style confidence interval for the ratio NEW/OLD, from
 *     the order statistics of all pairwise ratios (the interval that inverts
 *     the Mann–Whitney test on the log scale).
 */
#ifndef ASB_STATS_H
#define ASB_STATS_H

#include <stdbool.h>

/* Sorts v in place; returns the median (NaN for n == 0). */
double asb_median(double *v, int n);

/* Coefficient of variation (sample standard deviation / mean); NaN if n < 2. */
double asb_cv(const double *v, int n);

typedef struct asb_interval {
    double lo, hi;
    double coverage; /* the interval's exact coverage probability */
} asb_interval;

/* Confidence interval for the median of sorted v: [v(l), v(n+1-l)] with the
 * largest l whose coverage 1 - 2·P(Bin(n,½) ≤ l-1) is still ≥ 1 - alpha.  When
 * no l reaches it (n < 6 at alpha 0.05), the interval is [min, max] and
 * `coverage` says what it actually is.  NaN bounds for n == 0. */
asb_interval asb_median_ci(const double *sorted, int n, double alpha);

typedef struct asb_mwu {
    double u;          /* U of the second sample: pairs (x, y) with y > x, ties ½ */
    double p_greater;  /* one-sided p-value, alternative: y tends to be larger */
    double p_two_sided;
    bool exact;        /* exact distribution (no ties, m·n small) or normal approx */
} asb_mwu;

/* Mann–Whitney U test of x (m values) against y (n values). */
asb_mwu asb_mann_whitney(const double *x, int m, const double *y, int n);

/* P(U ≤ u) under the null hypothesis for sample sizes m, n without ties
 * (exact, by counting arrangements); used by the tests and the ratio CI. */
double asb_mwu_cdf(int m, int n, int u);

/* Confidence interval for the ratio y/x (both positive): the order
 * statistics of the m·n pairwise ratios y_j/x_i, cut where the exact (or,
 * for large m·n, normal) Mann–Whitney distribution puts alpha/2 on each
 * side.  As for the median, too few values give [min, max] with its real
 * coverage. */
asb_interval asb_ratio_ci(const double *x, int m, const double *y, int n, double alpha);

#endif
