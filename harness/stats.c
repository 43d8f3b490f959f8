/*
 * stats.c — median, its order-statistic confidence interval, the
 * Mann–Whitney U test and the pairwise-ratio confidence interval (see
 * stats.h).  Distribution-free throughout: benchmark times are skewed and
 * sometimes bimodal, so nothing here assumes normality of the data.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

/* Samples with m·n up to this are tested with the exact U distribution. */
enum { EXACT_MAX_PAIRS = 400 };

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double asb_median(double *v, int n) {
    if (n <= 0) return NAN;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double asb_cv(const double *v, int n) {
    if (n < 2) return NAN;
    double mean = 0, ss = 0;
    for (int i = 0; i < n; i++) mean += v[i];
    mean /= n;
    for (int i = 0; i < n; i++) ss += (v[i] - mean) * (v[i] - mean);
    return mean != 0 ? sqrt(ss / (n - 1)) / fabs(mean) : NAN;
}

/* P(Bin(n, ½) ≤ k). */
static double binom_half_cdf(int n, int k) {
    double sum = 0;
    for (int j = 0; j <= k && j <= n; j++)
        sum += exp(lgamma(n + 1.0) - lgamma(j + 1.0) - lgamma(n - j + 1.0) - n * log(2.0));
    return sum;
}

asb_interval asb_median_ci(const double *sorted, int n, double alpha) {
    if (n <= 0) return (asb_interval){NAN, NAN, NAN};
    int l = 1; /* 1-based rank of the lower bound */
    while (l + 1 <= (n + 1) / 2 && 2 * binom_half_cdf(n, l) <= alpha) l++;
    return (asb_interval){sorted[l - 1], sorted[n - l], 1 - 2 * binom_half_cdf(n, l - 1)};
}

/* Number of arrangements of m x's and n y's with U = u, for u in 0..m·n.
 * Look at the largest value: a y there exceeds all i x's (u - i is left for
 * the rest), an x there exceeds no y:  c(i,j,u) = c(i,j-1,u-i) + c(i-1,j,u). */
static double *mwu_counts(int m, int n) {
    size_t su = (size_t)m * n + 1, sj = su * ((size_t)n + 1);
    double *t = calloc(((size_t)m + 1) * sj, sizeof *t);
    if (!t) return NULL;
#define C(i, j, u) t[(size_t)(i) * sj + (size_t)(j) * su + (size_t)(u)]
    for (int i = 0; i <= m; i++)
        for (int j = 0; j <= n; j++)
            for (int u = 0; u <= i * j; u++)
                C(i, j, u) = i == 0 || j == 0 ? u == 0
                                              : (u >= i ? C(i, j - 1, u - i) : 0) + C(i - 1, j, u);
    double *out = malloc(su * sizeof *out);
    if (out) memcpy(out, &C(m, n, 0), su * sizeof *out);
#undef C
    free(t);
    return out;
}

double asb_mwu_cdf(int m, int n, int u) {
    if (u < 0) return 0;
    if (u >= m * n) return 1;
    double *c = mwu_counts(m, n);
    if (!c) return NAN;
    double below = 0, total = 0;
    for (int k = 0; k <= m * n; k++) {
        total += c[k];
        if (k <= u) below += c[k];
    }
    free(c);
    return below / total;
}

static double normal_cdf(double z) { return 0.5 * erfc(-z / sqrt(2.0)); }

asb_mwu asb_mann_whitney(const double *x, int m, const double *y, int n) {
    asb_mwu r = {.p_greater = NAN, .p_two_sided = NAN};
    if (m <= 0 || n <= 0) return r;
    bool ties = false;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            if (y[j] > x[i]) r.u += 1;
            else if (y[j] == x[i]) r.u += 0.5, ties = true;
        }
    /* Ties within a sample also change the variance of U. */
    int total = m + n;
    double *all = malloc((size_t)total * sizeof *all);
    if (!all) return r;
    memcpy(all, x, (size_t)m * sizeof *all);
    memcpy(all + m, y, (size_t)n * sizeof *all);
    qsort(all, (size_t)total, sizeof *all, cmp_double);
    double tie_term = 0;
    for (int i = 0; i < total;) {
        int j = i;
        while (j < total && all[j] == all[i]) j++;
        double t = j - i;
        if (t > 1) ties = true;
        tie_term += t * t * t - t;
        i = j;
    }
    free(all);

    double mn = (double)m * n;
    if (!ties && m * n <= EXACT_MAX_PAIRS) {
        int u = (int)r.u;
        r.exact = true;
        r.p_greater = 1 - asb_mwu_cdf(m, n, u - 1);
        double p_less = asb_mwu_cdf(m, n, u);
        r.p_two_sided = fmin(1, 2 * fmin(r.p_greater, p_less));
        return r;
    }
    double var = mn / 12 * ((total + 1) - tie_term / ((double)total * (total - 1)));
    if (var <= 0) { /* every value equal: no evidence either way */
        r.p_greater = r.p_two_sided = 1;
        return r;
    }
    double sd = sqrt(var), mean = mn / 2;
    r.p_greater = 1 - normal_cdf((r.u - mean - 0.5) / sd);
    double p_less = normal_cdf((r.u - mean + 0.5) / sd);
    r.p_two_sided = fmin(1, 2 * fmin(r.p_greater, p_less));
    return r;
}

asb_interval asb_ratio_ci(const double *x, int m, const double *y, int n, double alpha) {
    if (m <= 0 || n <= 0) return (asb_interval){NAN, NAN, NAN};
    int pairs = m * n;
    double *d = malloc((size_t)pairs * sizeof *d);
    if (!d) return (asb_interval){NAN, NAN, NAN};
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) d[i * n + j] = log(y[j] / x[i]);
    qsort(d, (size_t)pairs, sizeof *d, cmp_double);

    /* tail[k] = P(U ≤ k): exact counts or the normal approximation. */
    double *counts = pairs <= EXACT_MAX_PAIRS ? mwu_counts(m, n) : NULL;
    double *tail = malloc(((size_t)pairs + 1) * sizeof *tail);
    if (!tail) abort();
    double total = 0, mean = pairs / 2.0, sd = sqrt(pairs * (m + n + 1.0) / 12);
    for (int u = 0; counts && u <= pairs; u++) total += counts[u];
    for (int u = 0; u <= pairs; u++)
        tail[u] = counts ? (u ? tail[u - 1] : 0) + counts[u] / total : normal_cdf((u + 0.5 - mean) / sd);
    /* Bounds at ranks k and pairs+1-k, with the largest k ≥ 1 whose
     * coverage 1 - 2·P(U ≤ k-1) is still ≥ 1 - alpha. */
    int k = 1;
    while (k + 1 <= (pairs + 1) / 2 && 2 * tail[k] <= alpha) k++;
    asb_interval r = {exp(d[k - 1]), exp(d[pairs - k]), 1 - 2 * tail[k - 1]};
    free(tail);
    free(counts);
    free(d);
    return r;
}
