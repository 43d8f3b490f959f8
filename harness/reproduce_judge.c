/*
 * reproduce_judge.c — the checks of a recipe: each measure evaluated over
 * medians of the variants' runs, and its verdict by the check's rule.
 *
 * A verdict must not flip between two invocations, so a check is judged
 * over an interval, not a point: the 95% bootstrap interval of its value
 * over every round pooled, widened to take in the value of each round
 * alone.  The verdict is `holds` or `does not hold` only when that whole
 * interval lies on one side of every threshold of the rule (tie band
 * included) and at least the minimum number of rounds has run; until then
 * the command runs another round of the check's variants, and after the
 * last round the verdict is `unstable`, with the values seen.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reproduce.h"

/* Bootstrap resamples per check: enough for a stable 2.5 % quantile. */
enum { BOOTSTRAP_RESAMPLES = 2000 };

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double repro_median(double *vals, int n) {
    qsort(vals, (size_t)n, sizeof *vals, cmp_double);
    return n % 2 ? vals[n / 2] : (vals[n / 2 - 1] + vals[n / 2]) / 2;
}

/* Whether a missing "noun name" (e.g. "workload larson") concerns a
 * reference: its filter on that column names it, or it has no such filter. */
static bool missing_concerns(const char *item, const ref *rf) {
    const char *space = strchr(item, ' ');
    size_t nlen = (size_t)(space - item);
    for (int i = 0; i < rf->filters.n; i++) {
        const char *kv = rf->filters.items[i], *eq = strchr(kv, '=');
        if ((size_t)(eq - kv) == nlen && !strncmp(kv, item, nlen)) return !strcmp(eq + 1, space + 1);
    }
    return true;
}

char *repro_missing_text(const variant *v, const ref *rf) {
    char *out = asb_xstrdup("");
    for (int i = 0; i < v->missing.n; i++) {
        if (rf && !missing_concerns(v->missing.items[i], rf)) continue;
        char *next = asb_xasprintf("%s%s%s", out, *out ? ", " : "", v->missing.items[i]);
        free(out);
        out = next;
    }
    return out;
}

static bool row_matches(const asb_results *res, int row, const ref *rf) {
    for (int k = 0; k < rf->filters.n; k++) {
        const char *kv = rf->filters.items[k], *eq = strchr(kv, '=');
        char *col = asb_xstrndup(kv, (size_t)(eq - kv));
        int idx = asb_results_column(res, col);
        free(col);
        if (idx < 0 || strcmp(res->rows[row][idx], eq + 1)) return false;
    }
    return true;
}

int repro_ref_values(const recipe *r, const ref *rf, int round, double **vals, char **why) {
    const variant *v = &r->variants[rf->variant];
    char *missing = repro_missing_text(v, rf);
    *vals = NULL;
    if (v->failure || v->nrounds == 0) {
        *why = *missing ? asb_xasprintf("missing in this build: %s", missing)
                        : asb_xasprintf("variant %s: %s", v->name, v->failure ? v->failure : "did not run");
        free(missing);
        return -1;
    }
    int nv = 0, cap = 0;
    char *not_ok = NULL, *first_cell = NULL; /* the first matching run that failed, for the verdict */
    bool mixed = false, ambiguous = false;
    for (int k = round ? round - 1 : 0; k < (round ? round : v->nrounds) && k < v->nrounds; k++) {
        const asb_results *res = &v->rounds[k];
        for (int i = 0; i < res->nrows; i++) {
            if (!row_matches(res, i, rf)) continue;
            const char *status = asb_results_get(res, i, "status"), *message = asb_results_get(res, i, "message");
            if (strcmp(status, "ok")) {
                if (!not_ok) not_ok = asb_xasprintf("%s%s%s", status, *message ? ": " : "", message);
                continue;
            }
            double x;
            int got = asb_results_value(res, i, rf->column, &x);
            ambiguous |= got < 0;
            if (got <= 0) continue;
            char *key = asb_results_row_key(res, i);
            if (!first_cell) first_cell = key;
            else {
                mixed |= strcmp(first_cell, key) != 0;
                free(key);
            }
            if (nv == cap) {
                cap = cap ? 2 * cap : 16;
                *vals = realloc(*vals, (size_t)cap * sizeof **vals);
                if (!*vals) asb_die("out of memory");
            }
            (*vals)[nv++] = x;
        }
    }
    free(first_cell);
    *why = ambiguous ? asb_xasprintf("%s: several keys of the extra column are named %s (write native.%s or extra.%s)",
                                     rf->text, rf->column, rf->column, rf->column)
           : mixed   ? asb_xasprintf("%s matches runs of several cells (recipe needs a narrower {filter})", rf->text)
           : nv > 0  ? NULL
           : *missing ? asb_xasprintf("missing in this build: %s", missing)
           : not_ok  ? asb_xasprintf("%s did not run: %s", rf->text, not_ok)
                     : asb_xasprintf("no ok run of variant %s gives %s", v->name, rf->text);
    free(missing);
    free(not_ok);
    if (*why) {
        free(*vals);
        *vals = NULL;
        return -1;
    }
    return nv;
}

/* The measure with each reference replaced by slots[its slot]. */
static bool eval_expr(const expr *e, const double *slots, double *out, char **why) {
    if (e->op == 'n' || e->op == 'r') {
        *out = e->op == 'n' ? e->num : slots[e->slot];
        return true;
    }
    double a, b;
    if (!eval_expr(e->l, slots, &a, why) || !eval_expr(e->r, slots, &b, why)) return false;
    switch (e->op) {
    case '+': *out = a + b; break;
    case '-': *out = a - b; break;
    case '*': *out = a * b; break;
    default:
        if (b == 0 && a == 0) {
            if (why) *why = asb_xstrdup("0 / 0: both sides measured zero");
            return false;
        }
        *out = b == 0 ? INFINITY : a / b;
    }
    return true;
}

/* ---- rules -------------------------------------------------------------- */

/* The values for which the rule holds, an interval [*lo, *hi] (ends open or
 * closed as rule_holds says; the interval is empty when *lo > *hi).  A
 * published ratio beyond 1 names a winner, and a measured ratio within the
 * tie band of 1 names none, so it never confirms one. */
static void holds_range(const check *c, double *lo, double *hi) {
    double p = c->published, f = c->rule.factor;
    *lo = -INFINITY;
    *hi = INFINITY;
    switch (c->rule.kind) {
    case RULE_REPORT: *lo = INFINITY, *hi = -INFINITY; break;
    case RULE_SAME_SIDE:
        if (p > 1) *lo = REPRO_TIE;
        else if (p < 1) *hi = 1 / REPRO_TIE;
        else *lo = INFINITY, *hi = -INFINITY;
        break;
    case RULE_WITHIN:
        *lo = p / f, *hi = p * f;
        if (p > 1) *lo = fmax(*lo, REPRO_TIE);
        else if (p < 1) *hi = fmin(*hi, 1 / REPRO_TIE);
        else *lo = INFINITY, *hi = -INFINITY;
        break;
    case RULE_LOWER_BOUND: *lo = p > 1 ? fmax(p / f, REPRO_TIE) : p / f; break;
    case RULE_UPPER_BOUND: *hi = p < 1 ? fmin(p * f, 1 / REPRO_TIE) : p * f; break;
    case RULE_NEAR: *lo = p * (1 - f), *hi = p * (1 + f); break;
    case RULE_ABOVE: *lo = f; break;
    case RULE_BELOW: *hi = f; break;
    }
}

/* Whether measured m satisfies the rule.  The tie band and the bounds of
 * above/below are open, every other end closed. */
static bool rule_holds(const check *c, double m) {
    double lo, hi;
    holds_range(c, &lo, &hi);
    if (isnan(m) || lo > hi) return false;
    bool open_lo = c->rule.kind == RULE_ABOVE || lo == REPRO_TIE;
    bool open_hi = c->rule.kind == RULE_BELOW || hi == 1 / REPRO_TIE;
    return (open_lo ? m > lo : m >= lo) && (open_hi ? m < hi : m <= hi);
}

/* The rule as applied, in words; the tie band is named where it moves a
 * bound. */
static char *rule_detail(const check *c) {
    double p = c->published, f = c->rule.factor, lo, hi;
    holds_range(c, &lo, &hi);
    char tie[48] = "";
    if ((lo == REPRO_TIE || hi == 1 / REPRO_TIE) && c->rule.kind != RULE_SAME_SIDE)
        snprintf(tie, sizeof tie, " (within ×%.4g of 1 is a tie)", REPRO_TIE);
    switch (c->rule.kind) {
    case RULE_REPORT: return asb_xstrdup(c->rule.reason);
    case RULE_SAME_SIDE: return asb_xasprintf("same side of 1 as %.4g (within ×%.4g of 1 is a tie)", p, REPRO_TIE);
    case RULE_WITHIN:
        return asb_xasprintf("same side of 1 as %.4g and within ×%.4g of it: %.4g … %.4g%s", p, f, lo, hi, tie);
    case RULE_LOWER_BOUND:
        return *tie ? asb_xasprintf("published is a lower bound %.4g; holds if ≥ %.4g / %.4g = %.4g and > %.4g%s", p,
                                    p, f, p / f, lo, tie)
                    : asb_xasprintf("published is a lower bound %.4g; holds if ≥ %.4g / %.4g = %.4g", p, p, f, lo);
    case RULE_UPPER_BOUND:
        return *tie ? asb_xasprintf("published is an upper bound %.4g; holds if ≤ %.4g × %.4g = %.4g and < %.4g%s", p,
                                    p, f, p * f, hi, tie)
                    : asb_xasprintf("published is an upper bound %.4g; holds if ≤ %.4g × %.4g = %.4g", p, p, f, hi);
    case RULE_NEAR: return asb_xasprintf("within ±%.4g%% of %.4g", f * 100, p);
    case RULE_ABOVE: return asb_xasprintf("measured > %.4g", f);
    case RULE_BELOW: return asb_xasprintf("measured < %.4g", f);
    }
    return asb_xstrdup("");
}

/* Whether the verdict is the same for every value in [lo, hi]: the holds
 * range is an interval, so no end of it may lie inside. */
static bool one_side(const check *c, double lo, double hi) {
    double a, b;
    holds_range(c, &a, &b);
    bool inside = (a > lo && a < hi) || (b > lo && b < hi);
    return !inside && rule_holds(c, lo) == rule_holds(c, hi);
}

/* ---- evaluating a check ------------------------------------------------- */

/* splitmix64: a fixed stream per check, so a report can be recomputed. */
static uint64_t next_random(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* 95% percentile interval of the measure over resamples (with
 * replacement) of each reference's runs; false if a resample cannot be
 * evaluated (0 / 0), which leaves the interval unknown. */
static bool bootstrap(const check *c, double **vals, const int *n, double *lo, double *hi) {
    uint64_t state = 0;
    for (const char *s = c->name; *s; s++) state = state * 131 + (unsigned char)*s;
    double *slots = asb_xmalloc((size_t)c->nrefs * sizeof *slots), *out = asb_xmalloc(sizeof(double) * BOOTSTRAP_RESAMPLES);
    int maxn = 1;
    for (int i = 0; i < c->nrefs; i++) maxn = n[i] > maxn ? n[i] : maxn;
    double *sample = asb_xmalloc((size_t)maxn * sizeof *sample);
    bool ok = true;
    for (int b = 0; b < BOOTSTRAP_RESAMPLES && ok; b++) {
        for (int i = 0; i < c->nrefs; i++) {
            for (int k = 0; k < n[i]; k++) sample[k] = vals[i][next_random(&state) % (uint64_t)n[i]];
            slots[i] = repro_median(sample, n[i]);
        }
        ok = eval_expr(c->measure, slots, &out[b], NULL);
    }
    if (ok) {
        qsort(out, BOOTSTRAP_RESAMPLES, sizeof *out, cmp_double);
        *lo = out[BOOTSTRAP_RESAMPLES / 40];
        *hi = out[BOOTSTRAP_RESAMPLES - 1 - BOOTSTRAP_RESAMPLES / 40];
    }
    free(sample);
    free(slots);
    free(out);
    return ok;
}

/* The measure over round `round` (0: every round pooled), from the medians
 * of its references; NaN with *why when it cannot be evaluated.  The
 * references' values are left in vals/n (for the bootstrap; the caller
 * frees them). */
static double measure(const recipe *r, const check *c, int round, double **vals, int *n, char **why) {
    double *slots = asb_xmalloc((size_t)c->nrefs * sizeof *slots), value = NAN;
    bool ok = true;
    for (int i = 0; i < c->nrefs; i++) vals[i] = NULL;
    for (int i = 0; i < c->nrefs && ok; i++) {
        n[i] = repro_ref_values(r, c->refs[i], round, &vals[i], why);
        ok = n[i] > 0;
        if (ok) {
            double *copy = asb_xmalloc((size_t)n[i] * sizeof *copy);
            memcpy(copy, vals[i], (size_t)n[i] * sizeof *copy);
            slots[i] = repro_median(copy, n[i]);
            free(copy);
        }
    }
    if (ok && !eval_expr(c->measure, slots, &value, why)) value = NAN;
    free(slots);
    return value;
}

static void free_values(double **vals, int n) {
    for (int i = 0; i < n; i++) free(vals[i]);
}

/* Rounds every variant of the check has run. */
static int check_rounds(const recipe *r, const check *c) {
    int rounds = -1;
    for (int i = 0; i < c->nrefs; i++) {
        const variant *v = &r->variants[c->refs[i]->variant];
        int got = v->failure ? 0 : v->nrounds;
        rounds = rounds < 0 || got < rounds ? got : rounds;
    }
    return rounds < 0 ? 0 : rounds;
}

static void evaluate_check(const recipe *r, check *c, int min_rounds, bool final) {
    check_state *st = &c->st;
    free(st->per_round);
    free(st->verdict);
    free(st->detail);
    *st = (check_state){.value = NAN, .lo = NAN, .hi = NAN};
    double **vals = asb_xmalloc((size_t)(c->nrefs + 1) * sizeof *vals);
    int *n = asb_xmalloc((size_t)(c->nrefs + 1) * sizeof *n);
    char *why = NULL;
    st->value = measure(r, c, 0, vals, n, &why);
    if (why) { /* not comparable whatever more rounds give */
        st->decided = true;
        st->verdict = asb_xstrdup("not comparable");
        st->detail = why;
        free_values(vals, c->nrefs);
        free(vals);
        free(n);
        return;
    }
    bool known = bootstrap(c, vals, n, &st->lo, &st->hi);
    free_values(vals, c->nrefs);
    st->nrounds = check_rounds(r, c);
    st->per_round = asb_xmalloc((size_t)(st->nrounds + 1) * sizeof *st->per_round);
    double lo = known ? fmin(st->lo, st->value) : -INFINITY, hi = known ? fmax(st->hi, st->value) : INFINITY;
    for (int k = 0; k < st->nrounds; k++) {
        char *round_why = NULL;
        st->per_round[k] = measure(r, c, k + 1, vals, n, &round_why);
        free_values(vals, c->nrefs);
        free(round_why);
        if (!isnan(st->per_round[k])) lo = fmin(lo, st->per_round[k]), hi = fmax(hi, st->per_round[k]);
    }
    free(vals);
    free(n);
    if (!known) st->lo = st->hi = NAN;
    char *rule = rule_detail(c);
    if (c->rule.kind == RULE_REPORT) {
        st->decided = true;
        st->verdict = asb_xstrdup("not comparable");
        st->detail = rule;
        return;
    }
    st->decided = st->nrounds >= min_rounds && one_side(c, lo, hi);
    if (st->decided || !final) {
        st->verdict = asb_xstrdup(!st->decided ? "undecided" : rule_holds(c, st->value) ? "holds" : "does not hold");
        st->detail = rule;
        return;
    }
    st->verdict = asb_xstrdup("unstable");
    if (st->nrounds < min_rounds)
        st->detail = asb_xasprintf("%d round%s, fewer than the %d a stable verdict needs; rule: %s", st->nrounds,
                                   st->nrounds == 1 ? "" : "s", min_rounds, rule);
    else if (!known)
        st->detail = asb_xasprintf("no interval: some resamples of the runs give 0 / 0; rule: %s", rule);
    else
        st->detail = asb_xasprintf("the values seen (%.4g … %.4g, rounds and 95%% interval) lie on both sides of "
                                   "a threshold of the rule: %s", lo, hi, rule);
    free(rule);
}

void repro_judge(recipe *r, int min_rounds, bool final) {
    for (int i = 0; i < r->nchecks; i++) evaluate_check(r, &r->checks[i], min_rounds, final);
}

bool repro_needs_variant(const recipe *r, int v) {
    for (int i = 0; i < r->nchecks; i++) {
        const check *c = &r->checks[i];
        for (int k = 0; k < c->nrefs && !c->st.decided; k++)
            if (c->refs[k]->variant == v) return true;
    }
    return false;
}
