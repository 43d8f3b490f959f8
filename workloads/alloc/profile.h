/*
 * profile.h — the profile files of the `empirical` workload (empirical.c,
 * after tcmalloc's empirical driver): a size distribution, a lifetime
 * distribution, the allocation rate, the thread count and a cycle of phases
 * (spikes: lifetimes scaled up for a while; drops: a share of the live
 * objects freed at once).  The format is documented in
 * docs/workloads-alloc.md; profile.c parses it and rejects a bad file with
 * FILE:LINE and what is wrong.  Only libc here, so that a unit test and a
 * tool can link it alone.
 */
#ifndef ASB_EMPIRICAL_PROFILE_H
#define ASB_EMPIRICAL_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { EMP_MAX_ENTRIES = 4096, EMP_MAX_PHASES = 64, EMP_MAX_THREADS = 256 };
/* A lifetime that never ends by itself (only a drop or the end frees it). */
#define EMP_FOREVER UINT64_MAX
/* Largest object a profile may ask for: 1 GiB. */
#define EMP_MAX_SIZE (1ull << 30)

/* A weighted range [lo, hi] of a distribution (lo == hi: one value). */
typedef struct emp_range {
    uint64_t lo, hi;
    double weight;
} emp_range;

/* A weighted distribution: ranges and their cumulative weights, for
 * emp_sample. */
typedef struct emp_dist {
    emp_range r[EMP_MAX_ENTRIES];
    double cum[EMP_MAX_ENTRIES]; /* cum[i] = weights of r[0..i] */
    int n;
} emp_dist;

/* A joint distribution of size and lifetime (`object` lines): entry i is
 * sizes.r[i] with lifetimes.r[i], drawn by sizes.cum. */
typedef struct emp_joint {
    emp_dist sizes;
    emp_range lifetimes[EMP_MAX_ENTRIES];
} emp_joint;

typedef struct emp_phase {
    char name[32];
    uint64_t allocs;       /* length in allocations of each thread */
    double lifetime_scale; /* lifetimes drawn in the phase are multiplied by it */
    double drop;           /* share of the live objects freed at the phase's start */
} emp_phase;

typedef struct emp_profile {
    int threads;
    double rate;           /* allocations per second per thread; 0 = as fast as it goes */
    /* Either independent distributions (size and lifetime lines) or a
     * joint one (object lines: large blocks may live long, small ones not). */
    emp_dist sizes;        /* bytes, 1..EMP_MAX_SIZE */
    emp_dist lifetimes;    /* allocations of the same thread, ≥ 1, or EMP_FOREVER */
    emp_joint objects;
    emp_phase phases[EMP_MAX_PHASES];
    int nphases;           /* a profile without phase lines has one: steady, scale 1 */
} emp_profile;

/* Parses text; source names it in messages.  0, or -1 with
 * "SOURCE:LINE: what is wrong" in err. */
int emp_profile_parse(const char *text, const char *source, emp_profile *p, char *err, size_t errlen);
/* Reads and parses a file; -1 with the message in err. */
int emp_profile_load(const char *path, emp_profile *p, char *err, size_t errlen);

/* A value of the distribution for u uniform in [0, 1) and v a second
 * random number (the offset within a range). */
uint64_t emp_sample(const emp_dist *d, double u, uint64_t v);
/* An object's size and lifetime from the profile (joint or independent),
 * for u1, u2 uniform in [0, 1) and v1, v2 random numbers. */
void emp_sample_object(const emp_profile *p, double u1, double u2, uint64_t v1, uint64_t v2, uint64_t *size,
                       uint64_t *lifetime);
/* The mean of a distribution (EMP_FOREVER entries left out); NaN if none. */
double emp_mean(const emp_dist *d);

#endif
