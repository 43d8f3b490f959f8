/*
 * stats.c — median, its order-statistic confidence interval, the
 * Mann–Whitney U test, the pairwise-ratio confidence interval,
 * Benjamini–Hochberg, the geometric mean of ratios, the stopping rule of
 * adaptive repetitions and the bimodality gap test (see stats.h).  A cell's
 * repetitions are treated distribution-free (benchmark times are skewed and
 * sometimes bimodal); only the geometric mean's interval, taken across the
 * cells' log ratios, is a t-interval.
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

static double sorted_median(const double *v, int n) {
    if (n <= 0) return NAN;
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double asb_median(double *v, int n) {
    if (n > 0) qsort(v, (size_t)n, sizeof *v, cmp_double);
    return sorted_median(v, n);
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

void asb_bh_adjust(const double *p, int n, double *adjusted) {
    int *order = malloc((size_t)(n > 0 ? n : 1) * sizeof *order), m = 0;
    if (!order) abort();
    for (int i = 0; i < n; i++) {
        adjusted[i] = NAN;
        if (!isnan(p[i])) order[m++] = i;
    }
    /* Insertion sort of the tested cells by p-value: m is a matrix's cells. */
    for (int i = 1; i < m; i++)
        for (int j = i; j > 0 && p[order[j - 1]] > p[order[j]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    /* Step up from the largest: a running minimum keeps the adjusted values
     * in the order of the raw ones. */
    double running = 1;
    for (int rank = m; rank >= 1; rank--) {
        int i = order[rank - 1];
        running = fmin(running, p[i] * m / rank);
        adjusted[i] = running;
    }
    free(order);
}

/* Continued fraction of the regularized incomplete beta function (modified
 * Lentz evaluation); converges fast for x < (a+1)/(a+b+2). */
static double beta_fraction(double a, double b, double x) {
    const double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    d = 1 / (fabs(d) < tiny ? tiny : d);
    double h = d;
    for (int k = 1; k <= 500; k++) {
        double even = k * (b - k) * x / ((a + 2 * k - 1) * (a + 2 * k));
        double odd = -(a + k) * (a + b + k) * x / ((a + 2 * k) * (a + 2 * k + 1));
        double step = 1;
        for (int half = 0; half < 2; half++) {
            double coef = half ? odd : even;
            d = 1 + coef * d;
            c = 1 + coef / c;
            d = 1 / (fabs(d) < tiny ? tiny : d);
            if (fabs(c) < tiny) c = tiny;
            step = d * c;
            h *= step;
        }
        if (fabs(step - 1) < 1e-15) break;
    }
    return h;
}

/* I_x(a, b). */
static double incomplete_beta(double a, double b, double x) {
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    return x < (a + 1) / (a + b + 2) ? front * beta_fraction(a, b, x) / a
                                     : 1 - front * beta_fraction(b, a, 1 - x) / b;
}

static double t_cdf(double t, int df) {
    double tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t));
    return t >= 0 ? 1 - tail : tail;
}

double asb_t_quantile(double prob, int df) {
    if (df < 1 || !(prob > 0 && prob < 1)) return NAN;
    if (prob < 0.5) return -asb_t_quantile(1 - prob, df);
    double lo = 0, hi = 1;
    while (t_cdf(hi, df) < prob) lo = hi, hi *= 2;
    for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
        double mid = (lo + hi) / 2;
        if (t_cdf(mid, df) < prob) lo = mid;
        else hi = mid;
    }
    return (lo + hi) / 2;
}

double asb_geomean(const double *ratios, int n, double alpha, asb_interval *ci) {
    double sum = 0, ss = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (ratios[i] > 0) sum += log(ratios[i]), k++;
    double mean = k ? sum / k : NAN;
    for (int i = 0; i < n; i++)
        if (ratios[i] > 0) ss += (log(ratios[i]) - mean) * (log(ratios[i]) - mean);
    if (ci) {
        *ci = (asb_interval){NAN, NAN, NAN};
        if (k >= 2) {
            double half = asb_t_quantile(1 - alpha / 2, k - 1) * sqrt(ss / (k - 1) / k);
            *ci = (asb_interval){exp(mean - half), exp(mean + half), 1 - alpha};
        }
    }
    return exp(mean);
}

double asb_rel_half_width(asb_interval ci, double center) {
    return center > 0 ? (ci.hi - ci.lo) / (2 * center) : NAN;
}

static double *copy_of(const double *v, int n) {
    double *c = malloc((size_t)n * sizeof *c);
    if (!c) abort();
    memcpy(c, v, (size_t)n * sizeof *c);
    return c;
}

bool asb_interval_widths(const double *cell, int n, const double *base, int nb, double alpha, double *median_width,
                         double *ratio_width) {
    *median_width = *ratio_width = NAN;
    if (n <= 0 || (base && nb <= 0)) return false;
    double *c = copy_of(cell, n);
    double median = asb_median(c, n); /* sorts the copy */
    asb_interval ci = asb_median_ci(c, n, alpha);
    *median_width = asb_rel_half_width(ci, median);
    bool covered = ci.coverage >= 1 - alpha;
    if (base) {
        double *b = copy_of(base, nb);
        asb_interval rci = asb_ratio_ci(b, nb, c, n, alpha);
        *ratio_width = asb_rel_half_width(rci, median / asb_median(b, nb));
        covered = covered && rci.coverage >= 1 - alpha;
        free(b);
    }
    free(c);
    return covered;
}

bool asb_converged(const double *cell, int n, const double *base, int nb, double target, double alpha,
                   double *width) {
    double median_width, ratio_width;
    bool covered = asb_interval_widths(cell, n, base, nb, alpha, &median_width, &ratio_width);
    *width = !base ? median_width : isnan(median_width) || isnan(ratio_width) ? NAN : fmax(median_width, ratio_width);
    return covered && *width <= target;
}

bool asb_bimodal(const double *sorted, int n, double *lo, double *hi) {
    *lo = *hi = NAN;
    if (n < 5) return false;
    /* Split after index k: sorted[0..k] and sorted[k+1..n-1], ≥ 2 values each. */
    int k = 1;
    for (int i = 2; i <= n - 3; i++)
        if (sorted[i + 1] - sorted[i] > sorted[k + 1] - sorted[k]) k = i;
    double gap = sorted[k + 1] - sorted[k];
    double spread = fmax(sorted[k] - sorted[0], sorted[n - 1] - sorted[k + 1]);
    double factor = n <= 6 ? 4 : n <= 11 ? 3 : 2;
    if (!(gap > factor * spread && gap > 0.05 * fabs(sorted[k]))) return false;
    *lo = sorted_median(sorted, k + 1);
    *hi = sorted_median(sorted + k + 1, n - k - 1);
    return true;
}
