/*
 * hist.h — log-bucketed latency histograms (HDR-style), shared by the
 * allocator latency sampling (--latency) and the server workloads.
 *
 * A value (nanoseconds, or any non-negative integer) is counted in a bucket
 * whose width is at most 1/64 of its lower bound: values below 64 are exact,
 * above that each power of two is cut into 64 equal sub-buckets, so a
 * quantile read back is within 1.6% of the true sample (HdrHistogram's
 * "two significant digits" class).  Recording is one clz and one increment,
 * no allocation; a histogram is a plain struct (30 KiB) a thread owns, and
 * the per-thread ones are merged at the end.  The exact minimum, maximum,
 * count and sum are kept beside the buckets.
 */
#ifndef ASB_HIST_H
#define ASB_HIST_H

#include <stdbool.h>
#include <stdint.h>

#define ASB_HIST_SUB_BITS 6 /* 64 sub-buckets per power of two */
#define ASB_HIST_SUB (1u << ASB_HIST_SUB_BITS)
#define ASB_HIST_BUCKETS ((int)(ASB_HIST_SUB + (64 - ASB_HIST_SUB_BITS) * ASB_HIST_SUB))

typedef struct asb_hist {
    uint64_t count, sum, min, max;
    uint64_t buckets[ASB_HIST_BUCKETS];
} asb_hist;

void asb_hist_init(asb_hist *h);
void asb_hist_record(asb_hist *h, uint64_t value);
void asb_hist_merge(asb_hist *into, const asb_hist *from);
/* The value at quantile q (0 ≤ q ≤ 1): the largest value of the bucket that
 * holds the ceil(q·count)-th smallest sample, clamped to [min, max]; 0 for an
 * empty histogram.  q = 1 gives the exact maximum. */
uint64_t asb_hist_quantile(const asb_hist *h, double q);
double asb_hist_mean(const asb_hist *h);

/* Buckets, for CCDF charts: index i holds values in [lower(i), upper(i)]. */
int asb_hist_bucket_of(uint64_t value);
uint64_t asb_hist_bucket_lower(int i);
uint64_t asb_hist_bucket_upper(int i);

#endif
