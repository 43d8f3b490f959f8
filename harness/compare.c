/*
 * compare.c — `asbench compare OLD NEW`: for every cell in both results
 * folders (matched by backend, scheduler, workload, params, threads), the
 * ratio NEW/OLD of the medians of a metric (any numeric column), a
 * confidence interval for the ratio (from the pairwise ratios, stats.c) and
 * one-sided Mann–Whitney U tests.  The p-values of all cells are adjusted
 * together (Benjamini–Hochberg), so that a matrix of a hundred cells does
 * not cry wolf on five of them by chance.  A cell regresses when its
 * adjusted p is below alpha and its whole interval lies beyond 1 +
 * threshold, or when it ran fine in OLD and fails in NEW.  Deterministic
 * counts (valgrind's instructions and simulated misses) have no noise to
 * test: a change beyond the threshold is the verdict.  Per backend and per
 * scheduler a geometric mean of the ratios sums the comparison up.  Any
 * regression makes the exit status 1 (a CI gate); bad input is 2.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "asbench.h"
#include "stats.h"

static const char *usage =
    "usage: asbench compare OLD NEW [--threshold 5%] [--alpha 0.05] [--metric ns_per_op]\n"
    "  OLD, NEW     results folders (or their results.csv)\n"
    "  --threshold  smallest change that counts (default 5%; 1% for the deterministic counts\n"
    "               instructions_per_op, d1_misses_per_op, ll_misses_per_op)\n"
    "  --alpha      false discovery rate across the cells (Benjamini-Hochberg on the one-sided\n"
    "               Mann-Whitney p-values) and 1 - the level of the ratio intervals (default 0.05)\n"
    "  --metric     figure compared, lower is better: a numeric column (default ns_per_op; also\n"
    "               cpu_ns_per_op, instructions_per_op, peak_rss_kb, wall_s, ...) or a key of the\n"
    "               extra column (native.heap_released_bytes, or its short name when unique)\n"
    "exit status: 0 no regression, 1 at least one regression, 2 bad input\n";

/* Counts that valgrind simulates: the same binary and input give the same
 * value run after run, so a change is real however small. */
static const char *const deterministic_metrics[] = {"instructions_per_op", "d1_misses_per_op", "ll_misses_per_op"};
enum { DEFAULT_THRESHOLD_PERCENT = 5, DETERMINISTIC_THRESHOLD_PERCENT = 1 };

static bool is_deterministic(const char *metric) {
    for (size_t i = 0; i < sizeof deterministic_metrics / sizeof *deterministic_metrics; i++)
        if (!strcmp(metric, deterministic_metrics[i])) return true;
    return false;
}

static char *csv_of(const char *arg) {
    struct stat st;
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) return asb_xasprintf("%s/results.csv", arg);
    return asb_xstrdup(arg);
}

static double parse_fraction(const char *opt, const char *v, bool percent_ok) {
    char *end;
    double x = strtod(v, &end);
    if (percent_ok && *end == '%' && !end[1]) x /= 100, end++;
    if (end == v || *end || !(x > 0) || x >= 1) asb_die_usage("%s %s: need a value between 0 and 1%s", opt, v,
                                                              percent_ok ? " (or a percentage such as 5%)" : "");
    return x;
}

/* Whether some row has the figure, as a column or a key of `extra`. */
static bool has_metric(const asb_results *r, const char *name) {
    if (asb_results_column(r, name) >= 0) return true;
    double v;
    for (int row = 0; row < r->nrows; row++)
        if (asb_results_value(r, row, name, &v) != 0) return true;
    return false;
}

/* One side of the comparison: its results and its cells' statistics of the metric. */
typedef struct side {
    asb_results r;
    asb_cell_summary *cells;
    int n;
} side;

static void load_side(const char *arg, side *s) {
    char *path = csv_of(arg), *err = NULL;
    if (asb_results_load(path, &s->r, &err) != 0) asb_die_usage("compare: %s", err);
    free(path);
}

/* A matched cell and what the statistics say about it. */
typedef struct pair {
    const asb_cell_summary *old, *new;
    double ratio, p_up, p_down; /* p: one-sided, NEW larger / smaller; NaN untested */
    asb_interval ci;
    bool fails_in_new;
} pair;

/* Geometric mean of the ratios of the pairs selected by `in`, one line. */
static void geomean_line(const pair *pairs, int n, const char *kind, const char *name, double alpha,
                         bool (*in)(const pair *, const char *)) {
    double *ratios = asb_xmalloc((size_t)(n ? n : 1) * sizeof *ratios);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(pairs[i].ratio) && in(&pairs[i], name)) ratios[k++] = pairs[i].ratio;
    if (k) {
        asb_interval ci;
        double g = asb_geomean(ratios, k, alpha, &ci);
        printf("  %-9s %-24.24s %4d cells  %7.3f", kind, name, k, g);
        if (k >= 2) printf("  [%6.3f, %6.3f]\n", ci.lo, ci.hi);
        else printf("  (one cell: see its interval above)\n");
    }
    free(ratios);
}

static bool of_backend(const pair *p, const char *name) { return !strcmp(p->new->backend, name); }
static bool of_scheduler(const pair *p, const char *name) { return !strcmp(p->new->sched, name); }
static bool of_any(const pair *p, const char *name) {
    (void)p, (void)name;
    return true;
}

static void print_geomeans(const pair *pairs, int n, const char *metric, double alpha) {
    asb_strlist backends = {0}, scheds = {0};
    for (int i = 0; i < n; i++) {
        if (isnan(pairs[i].ratio)) continue;
        if (!asb_strlist_has(&backends, pairs[i].new->backend)) asb_strlist_push(&backends, pairs[i].new->backend);
        if (strcmp(pairs[i].new->sched, "NA") && !asb_strlist_has(&scheds, pairs[i].new->sched))
            asb_strlist_push(&scheds, pairs[i].new->sched);
    }
    if (backends.n) {
        printf("\ngeometric mean of the NEW/OLD ratios of %s, with a %g%% t-interval across the cells' log ratios:\n",
               metric, 100 * (1 - alpha));
        for (int i = 0; i < backends.n; i++) geomean_line(pairs, n, "backend", backends.items[i], alpha, of_backend);
        for (int i = 0; i < scheds.n; i++) geomean_line(pairs, n, "scheduler", scheds.items[i], alpha, of_scheduler);
        geomean_line(pairs, n, "all", "", alpha, of_any);
    }
    asb_strlist_free(&backends);
    asb_strlist_free(&scheds);
}

int asb_cmd_compare(int argc, char **argv) {
    const char *paths[2] = {NULL, NULL}, *metric = "ns_per_op";
    double threshold = NAN, alpha = 0.05;
    int npaths = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        }
        if (a[0] == '-' && i + 1 >= argc) asb_die_usage("compare: option %s needs a value\n%s", a, usage);
        if (!strcmp(a, "--threshold")) threshold = parse_fraction(a, argv[++i], true);
        else if (!strcmp(a, "--alpha")) alpha = parse_fraction(a, argv[++i], false);
        else if (!strcmp(a, "--metric")) metric = argv[++i];
        else if (a[0] == '-') asb_die_usage("compare: unknown option %s\n%s", a, usage);
        else if (npaths < 2) paths[npaths++] = a;
        else asb_die_usage("compare: more than two folders given\n%s", usage);
    }
    if (npaths != 2) asb_die_usage("compare: need OLD and NEW\n%s", usage);
    bool deterministic = is_deterministic(metric);
    if (isnan(threshold)) threshold = (deterministic ? DETERMINISTIC_THRESHOLD_PERCENT : DEFAULT_THRESHOLD_PERCENT) / 100.0;
    side old, new;
    load_side(paths[0], &old);
    load_side(paths[1], &new);
    if (!has_metric(&old.r, metric) && !has_metric(&new.r, metric)) {
        char columns[2048] = "";
        for (int j = 0; j < old.r.ncols; j++)
            snprintf(columns + strlen(columns), sizeof columns - strlen(columns), "%s%s", j ? ", " : "", old.r.header[j]);
        asb_die_usage("compare: unknown metric '%s': neither OLD nor NEW has such a column or "
                      "key of extra (OLD's columns: %s)", metric,
                      columns);
    }
    old.n = asb_summarize_metrics(&old.r, alpha, &metric, 1, &old.cells);
    new.n = asb_summarize_metrics(&new.r, alpha, &metric, 1, &new.cells);

    pair *pairs = asb_xmalloc((size_t)(old.n ? old.n : 1) * sizeof *pairs);
    int npairs = 0, tested = 0, other_machine = 0;
    for (int o = 0; o < old.n; o++) {
        int j = 0;
        while (j < new.n && strcmp(new.cells[j].key, old.cells[o].key)) j++;
        if (j == new.n) continue;
        pair *p = &pairs[npairs++];
        *p = (pair){.old = &old.cells[o], .new = &new.cells[j], .ratio = NAN, .p_up = NAN, .p_down = NAN,
                    .ci = {NAN, NAN, NAN}};
        const asb_metric_stats *sa = &p->old->m[0], *sb = &p->new->m[0];
        other_machine += !asb_same_machine(p->old, p->new);
        p->fails_in_new = sa->n > 0 && sb->n == 0 && p->new->runs > 0 && p->new->ok < p->new->runs;
        if (sa->n == 0 || sb->n == 0) continue;
        p->ratio = sb->median / sa->median;
        p->ci = asb_ratio_ci(p->old->values[0], sa->n, p->new->values[0], sb->n, alpha);
        tested++;
        if (deterministic) continue;
        p->p_up = asb_mann_whitney(p->old->values[0], sa->n, p->new->values[0], sb->n).p_greater;
        p->p_down = asb_mann_whitney(p->new->values[0], sb->n, p->old->values[0], sa->n).p_greater;
    }
    /* Two families, each at false discovery rate alpha: regressions (the
     * gate) and improvements (reported only). */
    double *p_up = asb_xmalloc((size_t)(npairs ? npairs : 1) * sizeof(double)),
           *p_down = asb_xmalloc((size_t)(npairs ? npairs : 1) * sizeof(double)),
           *adj_up = asb_xmalloc((size_t)(npairs ? npairs : 1) * sizeof(double)),
           *adj_down = asb_xmalloc((size_t)(npairs ? npairs : 1) * sizeof(double));
    for (int i = 0; i < npairs; i++) p_up[i] = pairs[i].p_up, p_down[i] = pairs[i].p_down;
    asb_bh_adjust(p_up, npairs, adj_up);
    asb_bh_adjust(p_down, npairs, adj_down);

    printf("%-52s %4s %4s %12s %12s %7s %17s %8s %8s  %s\n", "cell (workload backend [sched] t= params)", "nOLD",
           "nNEW", "OLD median", "NEW median", "ratio", "CI of ratio", "p(NEW>)", "p BH", "verdict");
    int regressions = 0, improvements = 0, underpowered = 0, lost_in_family = 0;
    for (int i = 0; i < npairs; i++) {
        const pair *p = &pairs[i];
        const asb_cell_summary *a = p->old, *b = p->new;
        const asb_metric_stats *sa = &a->m[0], *sb = &b->m[0];
        char label[256];
        snprintf(label, sizeof label, "%s %s%s%s t=%s %s", a->workload, a->backend, strcmp(a->sched, "NA") ? " " : "",
                 strcmp(a->sched, "NA") ? a->sched : "", a->threads, a->params);
        const char *verdict;
        if (p->fails_in_new) {
            verdict = "REGRESSION (fails in NEW)";
            regressions++;
        } else if (isnan(p->ratio)) {
            verdict = "no data";
        } else if (deterministic) {
            if (p->ratio > 1 + threshold) verdict = "REGRESSION", regressions++;
            else if (p->ratio < 1 - threshold) verdict = "improved", improvements++;
            else verdict = "same";
        } else {
            /* The smallest one-sided p-value these sample sizes can give. */
            double arrangements = 1; /* C(m+n, m), exactly for small samples */
            for (int k = 1; k <= sa->n; k++) arrangements = arrangements * (sb->n + k) / k;
            bool significant_up = adj_up[i] < alpha, significant_down = adj_down[i] < alpha;
            if (significant_up && p->ci.lo > 1 + threshold) verdict = "REGRESSION", regressions++;
            else if (significant_down && p->ci.hi < 1 - threshold) verdict = "improved", improvements++;
            else if (significant_up || significant_down) verdict = "same (change within the threshold)";
            else if (1 / arrangements >= alpha) verdict = "same (too few reps to test)", underpowered++;
            else if (p->p_up < alpha || p->p_down < alpha) verdict = "same (not significant across the cells)", lost_in_family++;
            else verdict = "same";
        }
        char raw[16] = "NA", adjusted[16] = "NA"; /* untested: no data, or a deterministic count */
        if (!isnan(p->p_up)) snprintf(raw, sizeof raw, "%.4f", p->p_up), snprintf(adjusted, sizeof adjusted, "%.4f", adj_up[i]);
        printf("%-52.52s %4d %4d %12.6g %12.6g %7.3f   [%6.3f, %6.3f] %8s %8s  %s%s%s\n", label, sa->n, sb->n,
               sa->median, sb->median, p->ratio, p->ci.lo, p->ci.hi, raw, adjusted, verdict,
               sa->bimodal ? " [bimodal in OLD]" : "", sb->bimodal ? " [bimodal in NEW]" : "");
    }
    int only_old = old.n - npairs, only_new = new.n - npairs;
    printf("\n%d cells compared on %s (threshold %g%%, ", npairs, metric, threshold * 100);
    if (deterministic) printf("deterministic count: a change beyond the threshold is flagged");
    else printf("false discovery rate %g, intervals %g%%", alpha, 100 * (1 - alpha));
    printf("): %d regressions, %d improvements", regressions, improvements);
    if (only_old || only_new) printf("; %d cells only in OLD, %d only in NEW", only_old, only_new);
    printf("\n");
    if (underpowered)
        printf("note: %d cells have too few ok repetitions for the test to reach alpha %g even alone "
               "(one-sided minimum p = m!n!/(m+n)!); use more --reps\n", underpowered, alpha);
    if (lost_in_family)
        printf("note: %d cells would be significant alone (p < %g) but not among %d cells (Benjamini-Hochberg); "
               "more --reps make a real change stand out\n", lost_in_family, alpha, tested);
    if (other_machine)
        printf("note: %d cells ran on different machines in OLD and NEW (the `machine` column): their ratios "
               "include the difference between the machines\n", other_machine);
    print_geomeans(pairs, npairs, metric, alpha);

    free(p_up);
    free(p_down);
    free(adj_up);
    free(adj_down);
    free(pairs);
    asb_summary_free(old.cells, old.n);
    asb_summary_free(new.cells, new.n);
    asb_results_free(&old.r);
    asb_results_free(&new.r);
    if (npairs == 0)
        asb_die_usage("compare: no cell of %s matches one of %s (same backend, scheduler, workload, params and threads)",
                      paths[1], paths[0]);
    if (tested == 0 && regressions == 0)
        asb_die_usage("compare: no matched cell has values of %s in both OLD and NEW (NA or absent: e.g. "
                      "instructions_per_op needs --counters cachegrind)", metric);
    return regressions ? 1 : 0;
}
