/*
 * hist.c — log-bucketed histograms (see hist.h for the bucket layout).
 */
#include "hist.h"

#include <string.h>

void asb_hist_init(asb_hist *h) {
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

int asb_hist_bucket_of(uint64_t value) {
    if (value < ASB_HIST_SUB) return (int)value;
    int exp = 63 - __builtin_clzll(value); /* ≥ ASB_HIST_SUB_BITS */
    int shift = exp - ASB_HIST_SUB_BITS;
    unsigned sub = (unsigned)(value >> shift) & (ASB_HIST_SUB - 1);
    return (int)(ASB_HIST_SUB + (unsigned)shift * ASB_HIST_SUB + sub);
}

uint64_t asb_hist_bucket_lower(int i) {
    if (i < (int)ASB_HIST_SUB) return (uint64_t)i;
    int shift = (i - (int)ASB_HIST_SUB) / (int)ASB_HIST_SUB;
    uint64_t sub = (uint64_t)((i - (int)ASB_HIST_SUB) % (int)ASB_HIST_SUB);
    return (ASB_HIST_SUB + sub) << shift;
}

uint64_t asb_hist_bucket_upper(int i) {
    if (i < (int)ASB_HIST_SUB) return (uint64_t)i;
    int shift = (i - (int)ASB_HIST_SUB) / (int)ASB_HIST_SUB;
    return asb_hist_bucket_lower(i) + ((uint64_t)1 << shift) - 1;
}

void asb_hist_record(asb_hist *h, uint64_t value) {
    h->buckets[asb_hist_bucket_of(value)]++;
    h->count++;
    h->sum += value;
    if (value < h->min) h->min = value;
    if (value > h->max) h->max = value;
}

void asb_hist_merge(asb_hist *into, const asb_hist *from) {
    if (!from->count) return;
    for (int i = 0; i < ASB_HIST_BUCKETS; i++) into->buckets[i] += from->buckets[i];
    into->count += from->count;
    into->sum += from->sum;
    if (from->min < into->min) into->min = from->min;
    if (from->max > into->max) into->max = from->max;
}

uint64_t asb_hist_quantile(const asb_hist *h, double q) {
    if (!h->count) return 0;
    if (q <= 0) return h->min;
    if (q >= 1) return h->max;
    double want = q * (double)h->count;
    uint64_t rank = (uint64_t)want;
    if ((double)rank < want) rank++; /* ceil: the rank-th smallest sample */
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (int i = 0; i < ASB_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t v = asb_hist_bucket_upper(i);
            if (v > h->max) v = h->max;
            if (v < h->min) v = h->min;
            return v;
        }
    }
    return h->max;
}

double asb_hist_mean(const asb_hist *h) {
    return h->count ? (double)h->sum / (double)h->count : 0;
}
