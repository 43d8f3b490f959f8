/* csv.c — the results CSV: one schema for every workload and scheduler, a
 * writer that quotes only when needed, and a reader for the other commands.
 * The schema is documented in docs/harness.md ("Results CSV"); NA marks a figure
 * that a backend or run cannot give (never 0). */
#include <stdlib.h>
#include <string.h>

#include "asbench.h"

const char *const asb_csv_columns[] = {
    "backend", "scheduler", "workload", "preset", "params", "threads", "repetition", "machine",
    "status", "message", "ops", "ns_per_op", "allocs_per_op", "bytes_per_op", "cpu_ns_per_op",
    "wall_s", "user_s", "sys_s", "steal_s", "other_cpu_s", "peak_rss_kb", "final_rss_kb",
    "minor_faults", "major_faults", "vol_ctx_switches", "invol_ctx_switches",
    "lock_acquisitions", "lock_contended", "lock_wait_ns", "futex_calls",
    "instructions_per_op", "d1_misses_per_op", "ll_misses_per_op", "cycles_per_op", "cache_misses_per_op",
    "dtlb_misses_per_op", "counters_note", "timeline", "extra",
};
const int asb_ncsv_columns = sizeof asb_csv_columns / sizeof *asb_csv_columns;

int asb_csv_column(const char *name) {
    for (int i = 0; i < asb_ncsv_columns; i++)
        if (strcmp(asb_csv_columns[i], name) == 0) return i;
    return -1;
}

void asb_csv_field(FILE *f, const char *value, bool last) {
    if (!value) value = "NA";
    if (strpbrk(value, ",\"\n\r")) {
        fputc('"', f);
        for (const char *p = value; *p; p++) {
            if (*p == '"') fputc('"', f);
            fputc(*p == '\n' || *p == '\r' ? ' ' : *p, f);
        }
        fputc('"', f);
    } else {
        fputs(value, f);
    }
    fputc(last ? '\n' : ',', f);
}

int asb_csv_read(FILE *f, char ***fields) {
    int c = fgetc(f);
    if (c == EOF) return -1;
    int n = 0, cap = 32;
    char **out = asb_xmalloc((size_t)cap * sizeof *out);
    size_t len = 0, bufcap = 256;
    char *buf = asb_xmalloc(bufcap);
    bool quoted = false;
    for (;; c = fgetc(f)) {
        bool end_field = false, end_record = false;
        if (c == EOF) {
            end_field = end_record = true;
        } else if (quoted) {
            if (c == '"') {
                int d = fgetc(f);
                if (d == '"') goto append;
                quoted = false;
                if (d == EOF) end_field = end_record = true;
                else if (d == ',') end_field = true;
                else if (d == '\n') end_field = end_record = true;
                else ungetc(d, f);
                if (!end_field) continue;
            } else {
                goto append;
            }
        } else if (c == '"' && len == 0) {
            quoted = true;
            continue;
        } else if (c == ',') {
            end_field = true;
        } else if (c == '\n') {
            end_field = end_record = true;
        } else if (c == '\r') {
            continue;
        } else {
            goto append;
        }
        if (end_field) {
            buf[len] = 0;
            if (n == cap) {
                cap *= 2;
                out = realloc(out, (size_t)cap * sizeof *out);
                if (!out) asb_die("out of memory");
            }
            out[n++] = asb_xstrdup(buf);
            len = 0;
        }
        if (end_record) break;
        continue;
    append:
        if (len + 2 > bufcap) {
            bufcap *= 2;
            buf = realloc(buf, bufcap);
            if (!buf) asb_die("out of memory");
        }
        buf[len++] = (char)c;
    }
    free(buf);
    *fields = out;
    return n;
}

void asb_csv_free(char **fields, int n) {
    for (int i = 0; i < n; i++) free(fields[i]);
    free(fields);
}
