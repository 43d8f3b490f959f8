/*
 * stats.h — the statistics of asbench, free of I/O so that a unit test can
 * check them on known inputs (tests/harness/test_stats.c):
 *   - median and a distribution-free confidence interval for it from order
 *     statistics (the binomial method);
 *   - the Mann–Whitney U test (exact distribution for small samples without
 *     ties, normal approximation with tie correction otherwise);
 *   - a Hodges–Lehmann-style confidence interval for the ratio NEW/OLD, from
 *     the order statistics of all pairwise ratios (the interval that inverts
 *     the Mann–Whitney test on the log scale);
 *   - Benjamini–Hochberg adjusted p-values (false discovery rate across the
 *     cells of a comparison) and the geometric mean of ratios with a
 *     t-interval;
 *   - the stopping rule of adaptive repetitions (relative half-widths of the
 *     median's and the ratio's intervals) and a gap test for bimodal samples.
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

/* Benjamini–Hochberg: adjusted[i] = min over the p-values ranked at or above
 * p[i] of p(j)·m/j (j = rank, m = number of p-values), capped at 1.  Rejecting
 * the cells whose adjusted value is ≤ q controls the false discovery rate at
 * q.  NaN entries (cells without a test) stay NaN and do not count in m. */
void asb_bh_adjust(const double *p, int n, double *adjusted);

/* Quantile of Student's t distribution with df degrees of freedom (df ≥ 1). */
double asb_t_quantile(double prob, int df);

/* Geometric mean of n positive ratios; *ci (when given) is the 1-alpha
 * t-interval of the mean of their logarithms, exponentiated (NaN bounds for
 * n < 2).  Coverage is the nominal 1-alpha.  NaN entries are skipped. */
double asb_geomean(const double *ratios, int n, double alpha, asb_interval *ci);

/* (hi - lo) / (2·center): an interval's relative half-width. */
double asb_rel_half_width(asb_interval ci, double center);

/* The relative half-widths of the 1-alpha interval of the median of cell
 * (n values) and, when base is given (nb values), of the interval of the
 * ratio cell/base (NaN without base, with no values or a median ≤ 0).
 * Returns whether both intervals really reach 1-alpha coverage.  The
 * arrays are not modified. */
bool asb_interval_widths(const double *cell, int n, const double *base, int nb, double alpha, double *median_width,
                         double *ratio_width);

/* The stopping rule of adaptive repetitions: true when the 1-alpha interval
 * of the median of cell (n values) and, when base is given (nb values of
 * the group's baseline cell; NULL for the baseline itself), the interval of
 * the ratio cell/base both have relative half-width ≤ target AND really
 * reach 1-alpha coverage (the median's needs n ≥ 6 at alpha 0.05).  *width
 * gets the larger relative half-width (NaN when a median is not positive).
 * The arrays are not modified. */
bool asb_converged(const double *cell, int n, const double *base, int nb, double target, double alpha,
                   double *width);

/* Gap test for a sample with two well-separated modes (e.g. 52 or 88 ns per
 * op by process): sorted v (n ≥ 5) is split at its largest gap that leaves
 * ≥ 2 values on each side; bimodal when that gap is more than G times the
 * wider side's range (G = 4 for n ≤ 6, 3 for n ≤ 11, 2 above; simulated
 * false alarms on unimodal samples: 1.3-2.6% at n = 5, at most 1.7% for
 * n = 6-12, 0.5% from 15: docs/harness.md) and more than 5% of the lower
 * side's top value.  *lo and *hi get the two sides' medians (NaN when not
 * bimodal). */
bool asb_bimodal(const double *sorted, int n, double *lo, double *hi);

#endif
