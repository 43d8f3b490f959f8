/* test_hist.c — the log-bucketed histogram (common/hist.c) on known data:
 * bucket bounds, quantiles within the promised 1.6%, merge = recording all. */
#include "../../common/hist.h"

#include <stdio.h>
#include <stdlib.h>

static int n_test;
static int failed;

static void ok(int cond, const char *what) {
    printf("%sok %d - %s\n", cond ? "" : "not ", ++n_test, what);
    if (!cond) failed = 1;
}

static int near(uint64_t got, uint64_t want) {
    double d = (double)got - (double)want;
    if (d < 0) d = -d;
    return d <= (double)want / 64.0 + 1;
}

int main(void) {
    static asb_hist a, b, all;
    asb_hist_init(&a);
    asb_hist_init(&b);
    asb_hist_init(&all);

    int contiguous = 1, contains = 1;
    for (int i = 0; i + 1 < ASB_HIST_BUCKETS; i++)
        if (asb_hist_bucket_upper(i) + 1 != asb_hist_bucket_lower(i + 1)) contiguous = 0;
    for (uint64_t v = 1; v < (1ull << 62); v = v * 3 + 1) {
        int i = asb_hist_bucket_of(v);
        if (v < asb_hist_bucket_lower(i) || v > asb_hist_bucket_upper(i)) contains = 0;
        if (asb_hist_bucket_upper(i) - asb_hist_bucket_lower(i) > asb_hist_bucket_lower(i) / 64) contains = 0;
    }
    ok(contiguous, "buckets tile the integers without gaps");
    ok(contains && asb_hist_bucket_of(UINT64_MAX) == ASB_HIST_BUCKETS - 1,
       "every value lies in its bucket, bucket width <= 1/64 of its lower bound");

    /* 1..100000 split between two histograms by parity. */
    for (uint64_t v = 1; v <= 100000; v++) {
        asb_hist_record(v % 2 ? &a : &b, v);
        asb_hist_record(&all, v);
    }
    asb_hist_merge(&a, &b);
    int same = a.count == all.count && a.sum == all.sum && a.min == all.min && a.max == all.max;
    for (int i = 0; i < ASB_HIST_BUCKETS && same; i++) same = a.buckets[i] == all.buckets[i];
    ok(same, "merging two halves equals recording everything in one");
    ok(near(asb_hist_quantile(&a, 0.5), 50000), "p50 of 1..100000 within 1.6%");
    ok(near(asb_hist_quantile(&a, 0.99), 99000), "p99 of 1..100000 within 1.6%");
    ok(near(asb_hist_quantile(&a, 0.999), 99900), "p99.9 of 1..100000 within 1.6%");
    ok(asb_hist_quantile(&a, 1) == 100000 && asb_hist_quantile(&a, 0) == 1, "p100 and p0 are the exact max and min");
    ok(asb_hist_mean(&a) == 50000.5, "mean is exact");

    /* One planted outlier among 1000 samples of 10: p99.9 sees it, p99 not. */
    asb_hist h;
    asb_hist_init(&h);
    for (int i = 0; i < 999; i++) asb_hist_record(&h, 10);
    asb_hist_record(&h, 1000000);
    ok(asb_hist_quantile(&h, 0.99) == 10 && asb_hist_quantile(&h, 0.999) == 10 && asb_hist_quantile(&h, 0.9995) == 1000000,
       "a 1-in-1000 outlier shows above p99.9 only");
    asb_hist_init(&h);
    ok(asb_hist_quantile(&h, 0.5) == 0 && asb_hist_mean(&h) == 0, "empty histogram reads 0");
    printf("1..%d\n", n_test);
    return failed;
}
