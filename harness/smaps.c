/*
 * smaps.c — memory over time (memory.h): huge pages from
 * /proc/PID/smaps_rollup for the RSS timeline, and the figures a run's
 * timeline sums up to for its row: time-weighted mean RSS, transparent huge
 * pages (peak, time-weighted mean, coverage of RSS) and the fragmentation
 * curve RSS ÷ live bytes (time-weighted mean and maximum).
 * Only libc here, so that a unit test can link this file alone.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"

/* "Name:   123 kB" anywhere in text: the number, or -1. */
static long smaps_field(const char *text, const char *name) {
    size_t n = strlen(name);
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        if (!strncmp(line, name, n) && line[n] == ':') {
            char *end;
            long v = strtol(line + n + 1, &end, 10);
            return end != line + n + 1 && v >= 0 ? v : -1;
        }
    return -1;
}

bool asb_smaps_parse(const char *text, asb_smaps *out) {
    *out = (asb_smaps){smaps_field(text, "Rss"), smaps_field(text, "AnonHugePages"),
                       smaps_field(text, "ShmemPmdMapped")};
    return out->rss_kb >= 0 && out->anon_huge_kb >= 0 && out->shmem_pmd_kb >= 0;
}

bool asb_smaps_read(int pid, asb_smaps *out) {
    char path[64], text[4096];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", pid);
    FILE *f = fopen(path, "re");
    if (!f) return false;
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = 0;
    return asb_smaps_parse(text, out);
}

enum { T, RSS, HUGE, SHMEM, LIVE, NCOLS };

/* A timeline's samples: NCOLS columns, NaN for an empty field. */
typedef struct samples {
    double (*v)[NCOLS];
    int n;
} samples;

static int load_samples(const char *path, samples *s) {
    *s = (samples){0};
    FILE *f = fopen(path, "re");
    if (!f) return -1;
    char line[256];
    int cap = 0;
    bool header = true;
    while (fgets(line, sizeof line, f)) {
        if (header) { /* t_ms,rss_kb[,…] */
            header = false;
            continue;
        }
        double row[NCOLS];
        const char *p = line;
        for (int c = 0; c < NCOLS; c++) {
            char *end;
            double d = strtod(p, &end);
            row[c] = end != p ? d : NAN;
            p = strchr(end, ',');
            if (!p) {
                for (c++; c < NCOLS; c++) row[c] = NAN;
                break;
            }
            p++;
        }
        if (isnan(row[T])) continue;
        if (s->n == cap) {
            cap = cap ? 2 * cap : 256;
            s->v = realloc(s->v, (size_t)cap * sizeof *s->v);
            if (!s->v) {
                fclose(f);
                return -1;
            }
        }
        memcpy(s->v[s->n++], row, sizeof row);
    }
    fclose(f);
    return 0;
}

/* Time-weighted mean of y over the points (trapezoids); one point: itself. */
static double time_mean(const double *t, const double *y, int n) {
    if (n == 0) return NAN;
    if (n == 1 || t[n - 1] <= t[0]) return y[n - 1];
    double area = 0;
    for (int i = 1; i < n; i++) area += (t[i] - t[i - 1]) * (y[i] + y[i - 1]) / 2;
    return area / (t[n - 1] - t[0]);
}

static double max_of(const double *y, int n) {
    double m = NAN;
    for (int i = 0; i < n; i++)
        if (isnan(m) || y[i] > m) m = y[i];
    return m;
}

/* The points (t, f(row)) of the samples where the columns a and b are both
 * present; arrays allocated with room for every sample. */
typedef double (*row_fn)(const double *row);
static int points(const samples *s, int a, int b, row_fn f, double *t, double *y) {
    int n = 0;
    for (int i = 0; i < s->n; i++)
        if (!isnan(s->v[i][a]) && !isnan(s->v[i][b])) {
            t[n] = s->v[i][T];
            y[n++] = f(s->v[i]);
        }
    return n;
}

static double rss_of(const double *row) { return row[RSS]; }
static double huge_of(const double *row) { return row[HUGE] + row[SHMEM]; }
static double frag_of(const double *row) { return row[RSS] * 1024 / row[LIVE]; }

/* The samples whose live bytes are at least ASB_FRAG_MIN_LIVE_FRACTION of
 * the peak, as (t, RSS ÷ live). */
static int frag_points(const samples *s, double *t, double *y) {
    double peak = 0;
    for (int i = 0; i < s->n; i++)
        if (!isnan(s->v[i][LIVE]) && s->v[i][LIVE] > peak) peak = s->v[i][LIVE];
    int n = 0;
    for (int i = 0; i < s->n && peak > 0; i++)
        if (!isnan(s->v[i][RSS]) && s->v[i][LIVE] >= ASB_FRAG_MIN_LIVE_FRACTION * peak) {
            t[n] = s->v[i][T];
            y[n++] = frag_of(s->v[i]);
        }
    return n;
}

int asb_memory_summarise(const char *timeline_path, asb_memory_summary *out) {
    *out = (asb_memory_summary){NAN, NAN, NAN, NAN, NAN, NAN};
    samples s;
    if (load_samples(timeline_path, &s) != 0) return -1;
    /* Room for every sample: two series of (t, value) at a time. */
    size_t per = (size_t)s.n + 1;
    double *buf = malloc(4 * per * sizeof *buf), *t = buf, *y = t + per, *t2 = y + per, *y2 = t2 + per;
    if (!buf) {
        free(s.v);
        return -1;
    }
    int n = points(&s, RSS, RSS, rss_of, t, y);
    out->rss_mean_kib = time_mean(t, y, n);
    /* Huge pages and the RSS they cover, both from the ticks that read smaps. */
    n = points(&s, HUGE, SHMEM, huge_of, t, y);
    int n2 = points(&s, HUGE, RSS, rss_of, t2, y2);
    if (n > 0 && n == n2) {
        out->thp_peak_kib = max_of(y, n);
        out->thp_mean_kib = time_mean(t, y, n);
        double rss = time_mean(t2, y2, n2);
        out->thp_coverage = rss > 0 ? out->thp_mean_kib / rss : NAN;
    }
    n = frag_points(&s, t, y);
    out->frag_mean = time_mean(t, y, n);
    out->frag_max = max_of(y, n);
    free(s.v);
    free(buf);
    return 0;
}

char *asb_memory_keys(const asb_memory_summary *s) {
    const struct {
        const char *key, *fmt;
        double v;
    } keys[] = {{"rss_mean_kib", "%.0f", s->rss_mean_kib}, {"thp_peak_kib", "%.0f", s->thp_peak_kib},
                {"thp_mean_kib", "%.0f", s->thp_mean_kib}, {"thp_coverage", "%.4f", s->thp_coverage},
                {"frag_mean", "%.4f", s->frag_mean},       {"frag_max", "%.4f", s->frag_max}};
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) return NULL;
    bool first = true;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        if (isnan(keys[i].v)) continue;
        fprintf(f, "%smemory.%s=", first ? "" : ";", keys[i].key);
        fprintf(f, keys[i].fmt, keys[i].v);
        first = false;
    }
    fclose(f);
    return out;
}

int asb_memory_frag_curve(const char *timeline_path, double **t_ms, double **ratio, int *n) {
    *t_ms = *ratio = NULL;
    *n = 0;
    samples s;
    if (load_samples(timeline_path, &s) != 0) return -1;
    size_t size = (size_t)(s.n ? s.n : 1) * sizeof(double);
    *t_ms = malloc(size);
    *ratio = malloc(size);
    if (*t_ms && *ratio) *n = frag_points(&s, *t_ms, *ratio);
    free(s.v);
    if (*n == 0) {
        free(*t_ms);
        free(*ratio);
        *t_ms = *ratio = NULL;
    }
    return 0;
}
