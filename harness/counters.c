/*
 * counters.c — the valgrind command of `--counters cachegrind` and the
 * reader of callgrind's output (see counters.h).
 *
 * Why callgrind and not cachegrind: valgrind 3.19 (Debian 12) has client
 * requests for callgrind only, and they are what confines the counts to the
 * timed region.  The worker uses START/STOP_INSTRUMENTATION (global) rather
 * than TOGGLE_COLLECT, whose state is per thread: threads the workload
 * starts inside the region would not be collected.
 */
#include "counters.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void asb_counters_valgrind_argv(asb_argv *argv, const char *out_path) {
    static const char *const options[] = {
        "valgrind", "--tool=callgrind", "--quiet",
        /* Nothing is instrumented until the worker's timed region starts. */
        "--instr-atstart=no",
        /* Simulated caches of fixed geometry (a common x86 core), not the
         * host's as valgrind detects it: counts then agree across machines. */
        "--cache-sim=yes", "--I1=32768,8,64", "--D1=32768,8,64", "--LL=8388608,16,64",
        /* No branch simulation: only Ir and the data misses are reported. */
        "--branch-sim=no",
    };
    for (size_t i = 0; i < sizeof options / sizeof *options; i++) asb_argv_push(argv, options[i]);
    asb_argv_pushf(argv, "--callgrind-out-file=%s", out_path);
}

enum { NEEDED = 5 };
static const char *const needed_events[NEEDED] = {"Ir", "D1mr", "D1mw", "DLmr", "DLmw"};

typedef struct reader {
    const char *path;
    char err[512];
    int column[NEEDED]; /* column of each needed event in the cost lines; -1 if absent */
    bool have_events;
    uint64_t sum[NEEDED];
    bool parts_counted;
    /* The current part's lines. */
    uint64_t summary[NEEDED], totals[NEEDED];
    bool have_summary, have_totals;
} reader;

static int fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(reader *r, const char *fmt, ...) {
    int n = snprintf(r->err, sizeof r->err, "%s: ", r->path);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof r->err) vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int read_events(reader *r, char *names, long lineno) {
    for (int k = 0; k < NEEDED; k++) r->column[k] = -1;
    int col = 0;
    for (char *tok = strtok(names, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n"), col++)
        for (int k = 0; k < NEEDED; k++)
            if (strcmp(tok, needed_events[k]) == 0) r->column[k] = col;
    for (int k = 0; k < NEEDED; k++)
        if (r->column[k] < 0)
            return fail(r, "line %ld: the events lack %s (run callgrind with --cache-sim=yes)", lineno,
                        needed_events[k]);
    r->have_events = true;
    return 0;
}

/* A summary:/totals: line's numbers; trailing zero costs may be left out. */
static int read_costs(reader *r, const char *text, uint64_t out[NEEDED], long lineno) {
    if (!r->have_events) return fail(r, "line %ld: costs before the 'events:' line", lineno);
    uint64_t values[64] = {0};
    int n = 0;
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '\n' || *p == '\r') break;
        if (n == (int)(sizeof values / sizeof *values)) return fail(r, "line %ld: too many costs", lineno);
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p || errno || *p == '-' || (*end && *end != ' ' && *end != '\t' && *end != '\n' && *end != '\r'))
            return fail(r, "line %ld: malformed cost '%.*s'", lineno, (int)strcspn(p, " \t\r\n"), p);
        values[n++] = v;
        p = end;
    }
    if (n == 0) return fail(r, "line %ld: no costs", lineno);
    for (int k = 0; k < NEEDED; k++) out[k] = r->column[k] < n ? values[r->column[k]] : 0;
    return 0;
}

/* End of a part: its totals, or its summary when it has none. */
static void finish_part(reader *r) {
    const uint64_t *part = r->have_totals ? r->totals : r->have_summary ? r->summary : NULL;
    if (part) {
        for (int k = 0; k < NEEDED; k++) r->sum[k] += part[k];
        r->parts_counted = true;
    }
    r->have_summary = r->have_totals = false;
}

static bool starts(const char *line, const char *key) { return strncmp(line, key, strlen(key)) == 0; }

static int read_file(reader *r, const char *path, asb_callgrind_counts *counts) {
    FILE *f = fopen(path, "r");
    if (!f) return fail(r, "%s", strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    int rc = 0;
    bool first = true;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        if (first && !starts(line, "# callgrind format") && !starts(line, "version:")) {
            rc = fail(r, "not a callgrind output file (its first line is not '# callgrind format')");
            break;
        }
        first = false;
        if (starts(line, "part:")) finish_part(r);
        else if (starts(line, "events:")) rc = read_events(r, line + strlen("events:"), lineno);
        else if (starts(line, "summary:")) {
            rc = read_costs(r, line + strlen("summary:"), r->summary, lineno);
            r->have_summary = true;
        } else if (starts(line, "totals:")) {
            rc = read_costs(r, line + strlen("totals:"), r->totals, lineno);
            r->have_totals = true;
        }
    }
    free(line);
    if (rc == 0 && ferror(f)) rc = fail(r, "read error");
    fclose(f);
    if (rc != 0) return rc;
    if (first) return fail(r, "empty file (callgrind wrote nothing: did valgrind start?)");
    if (!r->have_events) return fail(r, "no 'events:' line");
    finish_part(r);
    if (!r->parts_counted)
        return fail(r, "no 'totals:' or 'summary:' line (callgrind did not finish: the worker crashed?)");
    *counts = (asb_callgrind_counts){
        .ir = r->sum[0], .d1_misses = r->sum[1] + r->sum[2], .ll_misses = r->sum[3] + r->sum[4]};
    return 0;
}

int asb_counters_parse_callgrind(const char *path, asb_callgrind_counts *counts, char **err) {
    reader r = {.path = path};
    if (read_file(&r, path, counts) == 0) return 0;
    *err = asb_xstrdup(r.err);
    return -1;
}
