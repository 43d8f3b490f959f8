/*
 * latency_files.h — the histograms of --latency runs on disk, and the CCDF
 * charts drawn from log-bucketed histograms (common/hist.h).
 *
 * latency_files.c: a sampled run's worker sends its merged histograms as
 * `latency_buckets.OP=INDEX:COUNT,…` lines; the harness keeps them as
 * DIR/latency/NAME-rREP.csv (op,lower_ns,upper_ns,count: the non-empty
 * buckets), named like the run's timeline/NAME-rREP.csv, for the report.
 * report_latency.c: the report section.
 * ccdf.c: asb_hist_write_ccdf and asb_plot_ccdf, shared with any workload
 * that records an asb_hist (the server workloads' request latencies).
 */
#ifndef ASB_LATENCY_FILES_H
#define ASB_LATENCY_FILES_H

#include "asbench.h"
#include "client.h"
#include "common/hist.h"

/* Writes DIR/latency/…-rREP.csv for the run whose timeline is `timeline`
 * (timeline/…-rREP.csv, relative to dir) when its outcome has histograms;
 * a file that cannot be written is reported on stderr, the run is kept. */
void asb_latency_write_buckets(const char *dir, const char *timeline, const asb_outcome *o);
/* The latency file of a results row's timeline field (allocated), or NULL
 * for NA. */
char *asb_latency_path(const char *dir, const char *timeline);
/* Adds the buckets of operation op in the latency file at path into h (a
 * missing file adds nothing); false if the file cannot be read or is
 * malformed. */
bool asb_latency_read(const char *path, const char *op, asb_hist *h);

/* Writes a CCDF of h to path as CSV "ns,fraction_above": for each non-empty
 * bucket, its upper bound and the fraction of samples above it (ending at
 * the last sample above zero, which a log scale can show); 0 or -1. */
int asb_hist_write_ccdf(const char *path, const asb_hist *h);
/* Draws DIR/plots NAME.png/.svg: one CCDF line per file (written by
 * asb_hist_write_ccdf), titled by series, on log-log axes (plots/ccdf.gp);
 * 0 or -1 with a message.  Paths and titles may not hold blanks or quotes. */
int asb_plot_ccdf(const char *plot_dir, const char *name, const char *title, const asb_strlist *files,
                  const asb_strlist *series);

/* report_latency.c: report.md's "Latency tails" section (nothing when no
 * row of DIR/results.csv was sampled), CCDF charts into DIR/plots. */
void asb_report_latency(FILE *f, const char *dir);

#endif
