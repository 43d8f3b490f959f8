/*
 * ccdf.c — CCDF charts (the fraction of samples slower than x, on log-log
 * axes: a latency tail reads as a line that stays high) from log-bucketed
 * histograms: the CSV of one histogram, and the chart of several
 * (plots/ccdf.gp through plot.c's driver).  See latency_files.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "latency_files.h"
#include "report.h"

int asb_hist_write_ccdf(const char *path, const asb_hist *h) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "asbench: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fputs("ns,fraction_above\n", f);
    uint64_t above = h->count;
    for (int i = 0; i < ASB_HIST_BUCKETS && above > 0; i++) {
        if (!h->buckets[i]) continue;
        if (above == h->count) fprintf(f, "%llu,1\n", (unsigned long long)asb_hist_bucket_lower(i));
        above -= h->buckets[i];
        if (above > 0)
            fprintf(f, "%llu,%.9g\n", (unsigned long long)asb_hist_bucket_upper(i), (double)above / (double)h->count);
    }
    return fclose(f) == 0 ? 0 : -1;
}

int asb_plot_ccdf(const char *plot_dir, const char *name, const char *title, const asb_strlist *files,
                  const asb_strlist *series) {
    for (int i = 0; i < files->n; i++)
        if (strpbrk(files->items[i], " '") || strpbrk(series->items[i], " '")) {
            fprintf(stderr, "asbench: chart %s: %s / %s holds a blank or a quote\n", name, files->items[i],
                    series->items[i]);
            return -1;
        }
    if (strchr(title, '\'')) {
        fprintf(stderr, "asbench: chart %s: its title holds a quote\n", name);
        return -1;
    }
    char *fl = asb_strlist_join(files), *sl = asb_strlist_join(series);
    char *vars = asb_xasprintf("files = '%s'\nseries = '%s'\nchart_title = '%s'\n", fl, sl, title);
    int r = asb_plot_driver(plot_dir, name, "ccdf.gp", vars);
    free(vars);
    free(fl);
    free(sl);
    return r;
}
