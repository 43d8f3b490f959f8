/*
 * profile.c — parser of the `empirical` workload's profile files
 * (profile.h).  One directive a line, `#` starts a comment:
 *   threads N                     1..256
 *   rate R                        allocations per second per thread (0: unthrottled)
 *   size BYTES WEIGHT             or size LO-HI WEIGHT (uniform within)
 *   lifetime ALLOCS WEIGHT        or LO-HI, or forever
 *   object SIZE LIFETIME WEIGHT   size and lifetime drawn together (instead
 *                                 of size and lifetime lines)
 *   phase NAME ALLOCS SCALE [drop=FRACTION]
 * Every problem is reported as FILE:LINE: what is wrong.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

enum { MAX_WORDS = 8 };

typedef struct parser {
    const char *source;
    int line;
    char *err;
    size_t errlen;
} parser;

__attribute__((format(printf, 2, 3))) static int fail(parser *ps, const char *fmt, ...) {
    int n = snprintf(ps->err, ps->errlen, "%s:%d: ", ps->source, ps->line);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < ps->errlen) vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static bool parse_u64(const char *s, uint64_t *out) {
    if (*s < '0' || *s > '9') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) return false;
    *out = v;
    return true;
}

/* "N" or "LO-HI" (or "forever" where allowed) within [min, max]. */
static int parse_range(parser *ps, const char *what, const char *s, uint64_t min, uint64_t max, bool forever,
                       emp_range *r) {
    if (forever && !strcmp(s, "forever")) {
        r->lo = r->hi = EMP_FOREVER;
        return 0;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    char *dash = strchr(buf, '-');
    if (dash) *dash = 0;
    if (!parse_u64(buf, &r->lo) || (dash ? !parse_u64(dash + 1, &r->hi) : ((r->hi = r->lo), false)))
        return fail(ps, "%s '%s': expected a number or LO-HI%s", what, s, forever ? " or forever" : "");
    if (r->lo > r->hi) return fail(ps, "%s '%s': LO is above HI", what, s);
    if (r->lo < min || r->hi > max)
        return fail(ps, "%s '%s': outside %llu..%llu", what, s, (unsigned long long)min, (unsigned long long)max);
    return 0;
}

static int add_entry(parser *ps, emp_dist *d, const char *what, char **w, int nw, uint64_t min, uint64_t max,
                     bool forever) {
    if (nw != 3) return fail(ps, "%s: expected '%s VALUE WEIGHT' (VALUE: a number or LO-HI)", what, what);
    if (d->n == EMP_MAX_ENTRIES) return fail(ps, "more than %d %s lines", EMP_MAX_ENTRIES, what);
    emp_range r;
    if (parse_range(ps, what, w[1], min, max, forever, &r)) return -1;
    if (!parse_double(w[2], &r.weight) || r.weight < 0)
        return fail(ps, "%s weight '%s': expected a number >= 0", what, w[2]);
    d->cum[d->n] = (d->n ? d->cum[d->n - 1] : 0) + r.weight;
    d->r[d->n++] = r;
    return 0;
}

static int add_object(parser *ps, emp_joint *j, char **w, int nw) {
    if (nw != 4) return fail(ps, "object: expected 'object SIZE LIFETIME WEIGHT' (SIZE, LIFETIME: a number or LO-HI)");
    emp_dist *d = &j->sizes;
    if (d->n == EMP_MAX_ENTRIES) return fail(ps, "more than %d object lines", EMP_MAX_ENTRIES);
    emp_range size, life;
    if (parse_range(ps, "object size", w[1], 1, EMP_MAX_SIZE, false, &size) ||
        parse_range(ps, "object lifetime", w[2], 1, UINT32_MAX, true, &life))
        return -1;
    if (!parse_double(w[3], &size.weight) || size.weight < 0)
        return fail(ps, "object weight '%s': expected a number >= 0", w[3]);
    d->cum[d->n] = (d->n ? d->cum[d->n - 1] : 0) + size.weight;
    j->lifetimes[d->n] = life;
    d->r[d->n++] = size;
    return 0;
}

static int add_phase(parser *ps, emp_profile *p, char **w, int nw) {
    if (nw < 4 || nw > 5) return fail(ps, "phase: expected 'phase NAME ALLOCS LIFETIME_SCALE [drop=FRACTION]'");
    if (p->nphases == EMP_MAX_PHASES) return fail(ps, "more than %d phase lines", EMP_MAX_PHASES);
    emp_phase *ph = &p->phases[p->nphases];
    *ph = (emp_phase){0};
    if (strlen(w[1]) >= sizeof ph->name) return fail(ps, "phase name '%s' is longer than %zu characters", w[1],
                                                    sizeof ph->name - 1);
    snprintf(ph->name, sizeof ph->name, "%s", w[1]);
    if (!parse_u64(w[2], &ph->allocs) || ph->allocs == 0)
        return fail(ps, "phase %s: ALLOCS '%s': expected an integer >= 1", w[1], w[2]);
    if (!parse_double(w[3], &ph->lifetime_scale) || ph->lifetime_scale <= 0)
        return fail(ps, "phase %s: LIFETIME_SCALE '%s': expected a number > 0", w[1], w[3]);
    if (nw == 5 && (strncmp(w[4], "drop=", 5) || !parse_double(w[4] + 5, &ph->drop) || ph->drop < 0 || ph->drop > 1))
        return fail(ps, "phase %s: '%s': expected drop=FRACTION with FRACTION in 0..1", w[1], w[4]);
    p->nphases++;
    return 0;
}

static int directive(parser *ps, emp_profile *p, char **w, int nw, bool *seen_threads, bool *seen_rate) {
    if (!strcmp(w[0], "threads")) {
        uint64_t n;
        if (*seen_threads) return fail(ps, "threads given twice");
        if (nw != 2 || !parse_u64(w[1], &n) || n < 1 || n > EMP_MAX_THREADS)
            return fail(ps, "threads: expected one integer in 1..%d", EMP_MAX_THREADS);
        p->threads = (int)n;
        *seen_threads = true;
        return 0;
    }
    if (!strcmp(w[0], "rate")) {
        if (*seen_rate) return fail(ps, "rate given twice");
        if (nw != 2 || !parse_double(w[1], &p->rate) || p->rate < 0)
            return fail(ps, "rate: expected allocations per second per thread, a number >= 0 (0: unthrottled)");
        *seen_rate = true;
        return 0;
    }
    bool joint = !strcmp(w[0], "object"), independent = !strcmp(w[0], "size") || !strcmp(w[0], "lifetime");
    if ((joint && (p->sizes.n || p->lifetimes.n)) || (independent && p->objects.sizes.n))
        return fail(ps, "%s: object lines and size/lifetime lines do not mix in one profile", w[0]);
    if (joint) return add_object(ps, &p->objects, w, nw);
    if (!strcmp(w[0], "size")) return add_entry(ps, &p->sizes, "size", w, nw, 1, EMP_MAX_SIZE, false);
    if (!strcmp(w[0], "lifetime")) return add_entry(ps, &p->lifetimes, "lifetime", w, nw, 1, UINT32_MAX, true);
    if (!strcmp(w[0], "phase")) return add_phase(ps, p, w, nw);
    return fail(ps, "unknown directive '%s' (threads, rate, size, lifetime, object, phase)", w[0]);
}

int emp_profile_parse(const char *text, const char *source, emp_profile *p, char *err, size_t errlen) {
    *p = (emp_profile){.threads = 1};
    parser ps = {.source = source, .err = err, .errlen = errlen};
    bool seen_threads = false, seen_rate = false;
    for (const char *line = text; *line;) {
        ps.line++;
        size_t len = strcspn(line, "\n");
        char buf[512];
        if (len >= sizeof buf) return fail(&ps, "line longer than %zu characters", sizeof buf - 1);
        memcpy(buf, line, len);
        buf[len] = 0;
        line += len + (line[len] == '\n');
        buf[strcspn(buf, "#")] = 0;
        char *w[MAX_WORDS + 1];
        int nw = 0;
        for (char *save = NULL, *tok = strtok_r(buf, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
            if (nw == MAX_WORDS) return fail(&ps, "too many words");
            w[nw++] = tok;
        }
        if (nw && directive(&ps, p, w, nw, &seen_threads, &seen_rate)) return -1;
    }
    const emp_dist *objects = &p->objects.sizes;
    if (objects->n) {
        if (objects->cum[objects->n - 1] <= 0) return fail(&ps, "end of profile: no object line with a weight above 0");
    } else if (p->sizes.n == 0 || p->sizes.cum[p->sizes.n - 1] <= 0) {
        return fail(&ps, "end of profile: no size line with a weight above 0 (or object lines)");
    } else if (p->lifetimes.n == 0 || p->lifetimes.cum[p->lifetimes.n - 1] <= 0) {
        return fail(&ps, "end of profile: no lifetime line with a weight above 0");
    }
    if (p->nphases == 0) p->phases[p->nphases++] = (emp_phase){.name = "steady", .allocs = UINT64_MAX,
                                                               .lifetime_scale = 1};
    return 0;
}

int emp_profile_load(const char *path, emp_profile *p, char *err, size_t errlen) {
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read the profile: %s", path, strerror(errno));
        return -1;
    }
    char *text = NULL;
    size_t cap = 0, len = 0, got;
    do {
        if (cap - len < 4096) {
            char *grown = realloc(text, cap = cap ? 2 * cap : 8192);
            if (!grown) {
                free(text);
                fclose(f);
                snprintf(err, errlen, "%s: out of memory", path);
                return -1;
            }
            text = grown;
        }
        got = fread(text + len, 1, cap - len - 1, f);
        len += got;
    } while (got > 0);
    fclose(f);
    text[len] = 0;
    int r = strlen(text) != len ? (snprintf(err, errlen, "%s: a NUL byte: not a profile (text) file", path), -1)
                                : emp_profile_parse(text, path, p, err, errlen);
    free(text);
    return r;
}

/* The index of the entry for u uniform in [0, 1). */
static int pick(const emp_dist *d, double u) {
    double x = u * d->cum[d->n - 1];
    int lo = 0, hi = d->n - 1;
    while (lo < hi) { /* the first entry whose cumulative weight is above x */
        int mid = (lo + hi) / 2;
        if (d->cum[mid] > x) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

static uint64_t in_range(const emp_range *r, uint64_t v) {
    return r->lo == r->hi ? r->lo : r->lo + v % (r->hi - r->lo + 1);
}

uint64_t emp_sample(const emp_dist *d, double u, uint64_t v) { return in_range(&d->r[pick(d, u)], v); }

void emp_sample_object(const emp_profile *p, double u1, double u2, uint64_t v1, uint64_t v2, uint64_t *size,
                       uint64_t *lifetime) {
    if (p->objects.sizes.n) {
        int i = pick(&p->objects.sizes, u1);
        *size = in_range(&p->objects.sizes.r[i], v1);
        *lifetime = in_range(&p->objects.lifetimes[i], v2);
    } else {
        *size = emp_sample(&p->sizes, u1, v1);
        *lifetime = emp_sample(&p->lifetimes, u2, v2);
    }
}

double emp_mean(const emp_dist *d) {
    double sum = 0, weight = 0;
    for (int i = 0; i < d->n; i++)
        if (d->r[i].lo != EMP_FOREVER) {
            sum += d->r[i].weight * ((double)d->r[i].lo + (double)d->r[i].hi) / 2;
            weight += d->r[i].weight;
        }
    return weight > 0 ? sum / weight : NAN;
}
