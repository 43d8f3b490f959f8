/*
 * latency_files.c — DIR/latency/: the malloc/free histograms of the
 * runs sampled with --latency, written per run from the worker's
 * latency_buckets.* lines and read back for the report (latency_files.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "latency_files.h"

static const char *const ops[] = {"malloc", "free"};

char *asb_latency_path(const char *dir, const char *timeline) {
    if (!timeline || strncmp(timeline, "timeline/", 9)) return NULL;
    return asb_xasprintf("%s/latency/%s", dir, timeline + 9);
}

void asb_latency_write_buckets(const char *dir, const char *timeline, const asb_outcome *o) {
    if (!asb_outcome_value(o, "latency_buckets.malloc")) return;
    char *path = asb_latency_path(dir, timeline);
    char *folder = asb_xasprintf("%s/latency", dir);
    FILE *f = path && asb_mkdirs(folder) == 0 ? fopen(path, "w") : NULL;
    if (!f) {
        fprintf(stderr, "asbench: cannot write the latency histogram %s: %s\n", path ? path : timeline,
                strerror(errno));
        free(path);
        free(folder);
        return;
    }
    fputs("op,lower_ns,upper_ns,count\n", f);
    for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) {
        char key[64];
        snprintf(key, sizeof key, "latency_buckets.%s", ops[k]);
        const char *v = asb_outcome_value(o, key);
        for (const char *p = v; p && *p;) {
            int index, used;
            unsigned long long count;
            if (sscanf(p, "%d:%llu%n", &index, &count, &used) != 2 || index < 0 || index >= ASB_HIST_BUCKETS) break;
            fprintf(f, "%s,%llu,%llu,%llu\n", ops[k], (unsigned long long)asb_hist_bucket_lower(index),
                    (unsigned long long)asb_hist_bucket_upper(index), count);
            p += used;
            if (*p == ',') p++;
        }
    }
    if (fclose(f) != 0) fprintf(stderr, "asbench: cannot write %s: %s\n", path, strerror(errno));
    free(path);
    free(folder);
}

bool asb_latency_read(const char *path, const char *op, asb_hist *h) {
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT;
    char line[128], name[16];
    bool ok = fgets(line, sizeof line, f) && !strcmp(line, "op,lower_ns,upper_ns,count\n");
    while (ok && fgets(line, sizeof line, f)) {
        unsigned long long lower, upper, count;
        if (sscanf(line, "%15[a-z],%llu,%llu,%llu", name, &lower, &upper, &count) != 4 ||
            asb_hist_bucket_upper(asb_hist_bucket_of(lower)) != upper) {
            ok = false;
            break;
        }
        if (strcmp(name, op)) continue;
        /* The bucket's counts, with the bucket's bounds standing for the exact
         * minimum and maximum the file does not keep. */
        h->buckets[asb_hist_bucket_of(lower)] += count;
        h->count += count;
        h->sum += count * (lower + upper) / 2;
        if (lower < h->min) h->min = lower;
        if (upper > h->max) h->max = upper;
    }
    fclose(f);
    return ok;
}
