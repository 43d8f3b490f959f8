/*
 * memory.h — memory over time: what the RSS timeline samples besides RSS
 * (huge pages from /proc/PID/smaps_rollup, the workload's live bytes from a
 * page shared with the worker) and the figures a run's timeline sums up to
 * (smaps.c); the "Memory over time" section of report.md (report_memory.c).
 */
#ifndef ASB_MEMORY_H
#define ASB_MEMORY_H

#include <stdbool.h>
#include <stdio.h>

#include "live_page.h"

/* The figures of /proc/PID/smaps_rollup the timeline keeps, in KiB. */
typedef struct asb_smaps {
    long rss_kb, anon_huge_kb, shmem_pmd_kb;
} asb_smaps;
/* Parses smaps_rollup's text; false if a figure is missing (an old kernel
 * without AnonHugePages, or not smaps text at all). */
bool asb_smaps_parse(const char *text, asb_smaps *out);
/* Reads /proc/PID/smaps_rollup; false if it cannot be read or parsed. */
bool asb_smaps_read(int pid, asb_smaps *out);

/* The header of a timeline CSV: an empty field is a figure not sampled at
 * that tick (smaps every few ticks; live bytes only for the workloads that
 * publish them). */
#define ASB_TIMELINE_HEADER "t_ms,rss_kb,anon_huge_kb,shmem_pmd_kb,live_bytes"

/* Samples with live bytes below this fraction of their peak are left out of
 * the fragmentation figures: when almost nothing is live (start-up,
 * teardown) RSS ÷ live measures the process's fixed footprint, not the
 * allocator. */
#define ASB_FRAG_MIN_LIVE_FRACTION 0.1

/* What one run's timeline sums up to; NaN where it has no samples. Means
 * are time-weighted (trapezoids between samples). */
typedef struct asb_memory_summary {
    double rss_mean_kib;
    double thp_peak_kib, thp_mean_kib, thp_coverage; /* coverage = mean huge ÷ mean RSS of the smaps samples */
    double frag_mean, frag_max;                      /* RSS ÷ live bytes */
} asb_memory_summary;
/* Reads a timeline CSV (ASB_TIMELINE_HEADER, or the older t_ms,rss_kb);
 * 0, or -1 if it cannot be read. */
int asb_memory_summarise(const char *timeline_path, asb_memory_summary *out);
/* "memory.rss_mean_kib=…;memory.thp_peak_kib=…;…" for the row's extra
 * column, the figures that are not NaN (allocated; "" for none). */
char *asb_memory_keys(const asb_memory_summary *s);

/* One column of a timeline, aligned with its times: the samples where both
 * are present.  The fragmentation curve: RSS ÷ live bytes at each sample
 * with live bytes (those below ASB_FRAG_MIN_LIVE_FRACTION of the peak left
 * out).  *n samples; allocated arrays (NULL when none); -1 if unreadable. */
int asb_memory_frag_curve(const char *timeline_path, double **t_ms, double **ratio, int *n);

/* report_memory.c: the "Memory over time" section of DIR/report.md (and its
 * charts frag-W in DIR/plots when gnuplot is there); nothing when no row has
 * the figures.  0, or -1 if the results cannot be read. */
struct asb_report_view;
int asb_report_memory(FILE *f, const struct asb_report_view *v);

#endif
