/*
 * test_stats.c — the statistics of harness/stats.c on inputs whose answers
 * are known from tables or by hand: medians, order-statistic intervals for
 * the median (binomial), exact and approximate Mann–Whitney p-values, the
 * pairwise-ratio interval, Benjamini–Hochberg adjusted p-values (worked by
 * hand), t quantiles (tables), the geometric mean and its interval, the
 * stopping rule of adaptive repetitions and the bimodality gap test.  TAP
 * output.
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

    /* Benjamini–Hochberg by hand: sorted 0.005 0.01 0.03 0.04 0.2 (m = 5,
     * the NaN is no test) give p·5/rank = 0.025 0.025 0.05 0.05 0.2. */
    double p[] = {0.01, 0.04, 0.03, 0.005, NAN, 0.2}, adj[6];
    asb_bh_adjust(p, 6, adj);
    double want_adj[] = {0.025, 0.05, 0.05, 0.025, NAN, 0.2};
    for (int i = 0; i < 6; i++) {
        char what[64];
        snprintf(what, sizeof what, "BH adjusted p[%d]", i);
        if (isnan(want_adj[i])) check("BH: a NaN p-value stays NaN and is not counted", isnan(adj[i]));
        else check_near(what, adj[i], want_adj[i], 1e-15);
    }
    /* Monotone: 0.01·3/1 = 0.03 exceeds 0.011·3/2 = 0.0165, which it takes. */
    double p2[] = {0.01, 0.011, 0.5}, adj2[3];
    asb_bh_adjust(p2, 3, adj2);
    check_near("BH step-up: smallest takes the next rank's 0.0165", adj2[0], 0.0165, 1e-15);
    check_near("BH: 0.011 -> 0.0165", adj2[1], 0.0165, 1e-15);
    check_near("BH: largest stays 0.5", adj2[2], 0.5, 1e-15);
    double p3[] = {0.9, 0.8}, adj3[2];
    asb_bh_adjust(p3, 2, adj3);
    check("BH: adjusted values are capped at 1", adj3[0] <= 1 && adj3[1] <= 1);

    check_near("t quantile 0.975, df 1", asb_t_quantile(0.975, 1), 12.7062047362, 1e-8);
    check_near("t quantile 0.975, df 2", asb_t_quantile(0.975, 2), 4.30265272975, 1e-8);
    check_near("t quantile 0.975, df 4", asb_t_quantile(0.975, 4), 2.7764451052, 1e-8);
    check_near("t quantile 0.975, df 9", asb_t_quantile(0.975, 9), 2.2621571628, 1e-8);
    check_near("t quantile 0.975, df 30", asb_t_quantile(0.975, 30), 2.0422724563, 1e-8);
    check_near("t quantile 0.95, df 10", asb_t_quantile(0.95, 10), 1.8124611228, 1e-8);
    check_near("t quantile 0.025, df 4 (symmetric)", asb_t_quantile(0.025, 4), -2.7764451052, 1e-8);

    double gr[] = {1.0, 1.1, 1.21};
    asb_interval gci;
    check_near("geomean of 1, 1.1, 1.21", asb_geomean(gr, 3, 0.05, &gci), 1.1, 1e-12);
    /* logs 0, l, 2l (l = ln 1.1): sd l, interval 1.1 · 1.1^(±t(0.975,2)/√3) */
    double half = 4.30265272975 / sqrt(3.0);
    check_near("geomean interval lower", gci.lo, 1.1 * pow(1.1, -half), 1e-9);
    check_near("geomean interval upper", gci.hi, 1.1 * pow(1.1, half), 1e-9);
    double gr2[] = {2, 8, NAN};
    check_near("geomean of 2, 8 (NaN skipped)", asb_geomean(gr2, 3, 0.05, &gci), 4, 1e-12);
    check_near("geomean 2, 8: upper 4·2^t(0.975,1)", gci.hi, 4 * pow(2, 12.7062047362), 1e-3);
    asb_geomean(gr2, 1, 0.05, &gci);
    check("geomean of one ratio: no interval", isnan(gci.lo) && isnan(gci.hi));

    /* The stopping rule.  Tight: 20 values within ±0.5% of 100. */
    double tight[20], wide[20], base[20];
    for (int i = 0; i < 20; i++) tight[i] = 100 + 0.1 * (i % 10 - 4.5), wide[i] = 80 + 2 * i, base[i] = 50 + 0.05 * (i % 7);
    double w;
    check("tight sample converges at 2%", asb_converged(tight, 20, NULL, 0, 0.02, 0.05, &w) && w < 0.005);
    check("wide sample does not converge at 2%", !asb_converged(wide, 20, NULL, 0, 0.02, 0.05, &w) && w > 0.05);
    check("tight cell against a tight baseline converges", asb_converged(tight, 20, base, 20, 0.02, 0.05, &w));
    check("tight cell against a wide baseline does not", !asb_converged(tight, 20, wide, 20, 0.02, 0.05, &w));
    check("5 tight values: the median's interval covers < 95%, not converged",
          !asb_converged(tight, 5, NULL, 0, 0.02, 0.05, &w) && w < 0.02);
    check("the arrays are left unsorted", wide[0] == 80 && tight[0] == 100 - 0.45);
    double mw, rw;
    double rev10[10];
    for (int i = 0; i < 10; i++) rev10[i] = 10 - i;
    check("1..10: intervals reach 95%", asb_interval_widths(rev10, 10, NULL, 0, 0.05, &mw, &rw));
    check_near("1..10: median 5.5, interval [2, 9], half-width 3.5/5.5", mw, 3.5 / 5.5, 1e-12);
    check("no base: no ratio width", isnan(rw));
    check("5 vs 5 ratio interval covers 1 - 8/252, median's 93.8%: not covered",
          !asb_interval_widths(ry, 5, rx, 5, 0.05, &mw, &rw));
    check_near("ratio 24/12 with interval [22/14, 28/11]: half-width", rw, (28.0 / 11 - 22.0 / 14) / 4, 1e-12);
    /* More repetitions narrow the interval: a reproducible normal sample
     * (sd 5%, Box–Muller on a 64-bit LCG). */
    double noisy[80];
    unsigned long long state = 12345;
    for (int i = 0; i < 80; i += 2) {
        double u[2];
        for (int j = 0; j < 2; j++) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            u[j] = ((state >> 11) + 0.5) / 9007199254740992.0;
        }
        double r = sqrt(-2 * log(u[0]));
        noisy[i] = 100 + 5 * r * cos(2 * M_PI * u[1]);
        noisy[i + 1] = 100 + 5 * r * sin(2 * M_PI * u[1]);
    }
    double w10, w40, w80;
    bool c10 = asb_converged(noisy, 10, NULL, 0, 0.02, 0.05, &w10);
    asb_converged(noisy, 40, NULL, 0, 0.02, 0.05, &w40);
    bool c80 = asb_converged(noisy, 80, base, 20, 0.02, 0.05, &w80);
    printf("# sd 5%%: relative half-width %.4f at 10 reps, %.4f at 40, %.4f at 80\n", w10, w40, w80);
    check("more repetitions narrow the interval (10 > 40 > 80)", w10 > w40 && w40 > w80);
    check("sd 5%: 10 reps do not reach 2%, 80 do", !c10 && c80);

    double bi[] = {52, 53, 51, 88, 87, 89, 52}, lo, hi;
    asb_median(bi, 7);
    check("52,53,51,88,87,89,52 is bimodal", asb_bimodal(bi, 7, &lo, &hi));
    check_near("its lower mode", lo, 52, 0);
    check_near("its upper mode", hi, 88, 0);
    double uni[] = {100, 91, 112, 97, 104, 88, 108, 95, 103};
    asb_median(uni, 9);
    check("a noisy unimodal sample (CV 8%) is not bimodal", !asb_bimodal(uni, 9, &lo, &hi) && isnan(lo));
    double outlier[] = {100, 101, 102, 103, 150};
    check("one outlier is not a second mode", !asb_bimodal(outlier, 5, &lo, &hi));
    double close[] = {100, 100.1, 100.2, 102, 102.1, 102.2};
    check("two clusters 2% apart are not called bimodal", !asb_bimodal(close, 6, &lo, &hi));
    check("four values are too few to tell", !asb_bimodal(bi, 4, &lo, &hi));

    printf("1..%d\n", count);
    return failures != 0;
}
