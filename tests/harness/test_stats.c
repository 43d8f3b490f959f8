/*
 * test_stats.c — the statistics of harness/stats.c on inputs whose answers
 * are known from tables or by hand: medians, order-statistic intervals for
 * the median (binomial), exact and approximate Mann–Whitney p-values, and the
 * pairwise-ratio interval.  TAP output.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stats.h"

static int failures, count;

static void check_near(const char *what, double got, double want, double tol) {
    count++;
    bool ok = fabs(got - want) <= tol;
    printf("%s %d - %s: got %.9g, want %.9g\n", ok ? "ok" : "not ok", count, what, got, want);
    failures += !ok;
}

static void check(const char *what, bool ok) {
    count++;
    printf("%s %d - %s\n", ok ? "ok" : "not ok", count, what);
    failures += !ok;
}

int main(void) {
    double odd[] = {5, 1, 3};
    check_near("median of 5,1,3", asb_median(odd, 3), 3, 0);
    double even[] = {4, 1, 3, 2};
    check_near("median of 4,1,3,2", asb_median(even, 4), 2.5, 0);
    check("median of nothing is NaN", isnan(asb_median(even, 0)));
    double cv[] = {9, 10, 11};
    check_near("cv of 9,10,11", asb_cv(cv, 3), 0.1, 1e-12);

    double ten[10], twenty[20];
    for (int i = 0; i < 20; i++) twenty[i] = i + 1;
    for (int i = 0; i < 10; i++) ten[i] = i + 1;
    asb_interval ci = asb_median_ci(ten, 10, 0.05);
    check_near("n=10 median CI lower = x(2)", ci.lo, 2, 0);
    check_near("n=10 median CI upper = x(9)", ci.hi, 9, 0);
    check_near("n=10 coverage 1 - 2*11/1024", ci.coverage, 1 - 22.0 / 1024, 1e-12);
    ci = asb_median_ci(twenty, 20, 0.05);
    check_near("n=20 median CI lower = x(6)", ci.lo, 6, 0);
    check_near("n=20 median CI upper = x(15)", ci.hi, 15, 0);
    check_near("n=20 coverage", ci.coverage, 1 - 2 * 21700.0 / 1048576, 1e-12);
    ci = asb_median_ci(ten, 5, 0.05);
    check("n=5: interval is [min, max]", ci.lo == 1 && ci.hi == 5);
    check_near("n=5 coverage 1 - 2/32 (below 95%)", ci.coverage, 0.9375, 1e-12);
    ci = asb_median_ci(ten, 1, 0.05);
    check("n=1: interval is the value", ci.lo == 1 && ci.hi == 1);

    check_near("P(U <= 2), m=n=3", asb_mwu_cdf(3, 3, 2), 4.0 / 20, 1e-12);
    check_near("P(U <= 0), m=n=5", asb_mwu_cdf(5, 5, 0), 1.0 / 252, 1e-12);
    check_near("P(U <= 12), m=4 n=6 (whole range)", asb_mwu_cdf(4, 6, 24), 1, 1e-12);
    double lo5[] = {1, 2, 3, 4, 5}, hi5[] = {6, 7, 8, 9, 10};
    asb_mwu t = asb_mann_whitney(lo5, 5, hi5, 5);
    check("separated samples: exact test", t.exact);
    check_near("separated samples: U = 25", t.u, 25, 0);
    check_near("separated samples: one-sided p = 1/252", t.p_greater, 1.0 / 252, 1e-12);
    check_near("separated samples: two-sided p = 2/252", t.p_two_sided, 2.0 / 252, 1e-12);
    t = asb_mann_whitney(hi5, 5, lo5, 5);
    check_near("reversed: p(greater) = 1", t.p_greater, 1, 1e-12);
    double x3[] = {1, 3, 5}, y3[] = {2, 4, 6};
    t = asb_mann_whitney(x3, 3, y3, 3);
    check_near("interleaved: U = 6", t.u, 6, 0);
    check_near("interleaved: P(U >= 6) = 7/20", t.p_greater, 7.0 / 20, 1e-12);
    double tx[] = {1, 1, 2}, ty[] = {2, 3, 3};
    t = asb_mann_whitney(tx, 3, ty, 3);
    check("ties: normal approximation", !t.exact && t.p_greater > 0 && t.p_greater < 0.5);
    check_near("ties: U counts a tie as half", t.u, 8.5, 0);
    double big_x[25], big_y[25];
    for (int i = 0; i < 25; i++) big_x[i] = i + 1, big_y[i] = i + 26;
    t = asb_mann_whitney(big_x, 25, big_y, 25);
    check("25 vs 25: normal approximation, p < 1e-6", !t.exact && t.p_greater < 1e-6);
    t = asb_mann_whitney(big_x, 25, big_x, 25);
    check("25 vs the same 25: p(greater) ~ 0.5", fabs(t.p_greater - 0.5) < 0.05);

    double rx[] = {10, 11, 12, 13, 14}, ry[] = {20, 22, 24, 26, 28};
    ci = asb_ratio_ci(rx, 5, ry, 5, 0.05);
    check_near("ratio CI 5 vs 5: lower = 3rd of 25 ratios", ci.lo, 22.0 / 14, 1e-12);
    check_near("ratio CI 5 vs 5: upper = 23rd of 25 ratios", ci.hi, 28.0 / 11, 1e-12);
    check_near("ratio CI 5 vs 5: coverage 1 - 8/252", ci.coverage, 1 - 8.0 / 252, 1e-12);
    ci = asb_ratio_ci(rx, 2, ry, 2, 0.05);
    check("ratio CI 2 vs 2: [min, max] of ratios", ci.lo == 20.0 / 11 && ci.hi == 22.0 / 10);
    check_near("ratio CI 2 vs 2: coverage 1 - 2/6", ci.coverage, 1 - 2.0 / 6, 1e-12);

    printf("1..%d\n", count);
    return failures != 0;
}
