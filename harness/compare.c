/*
 * compare.c — `asbench compare OLD NEW`: for every cell in both results
 * folders (matched by backend, scheduler, workload, params, threads), the
 * ratio NEW/OLD of the medians, a confidence interval for the ratio (from
 * the pairwise ratios, stats.c) and a one-sided Mann–Whitney U test of
 * "NEW is larger".  A cell regresses when its ratio exceeds 1 + threshold
 * and the test is significant at alpha, or when it ran fine in OLD and fails
 * in NEW; any regression makes the exit status 1, so it serves as a CI gate.
 * Bad input (unreadable folder, unknown metric, nothing to compare) is 2.
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
    "  --threshold  smallest slowdown that counts as a regression (default 5%)\n"
    "  --alpha      significance level of the one-sided Mann-Whitney U test (default 0.05)\n"
    "  --metric     column compared; lower is better (default ns_per_op; also peak_rss_kb, wall_s, ...)\n"
    "exit status: 0 no regression, 1 at least one regression, 2 bad input\n";

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

static int load_summary(const char *arg, asb_cell_summary **cells) {
    char *path = csv_of(arg), *err = NULL;
    asb_results r;
    if (asb_results_load(path, &r, &err) != 0) asb_die_usage("compare: %s", err);
    int n = asb_summarize(&r, 0.05, cells);
    asb_results_free(&r);
    free(path);
    return n;
}

int asb_cmd_compare(int argc, char **argv) {
    const char *paths[2] = {NULL, NULL}, *metric = "ns_per_op";
    double threshold = 0.05, alpha = 0.05;
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
    int mi = asb_metric_index(metric);
    if (mi < 0) {
        char valid[1024] = "";
        for (int i = 0; i < asb_nsummary_metrics; i++)
            snprintf(valid + strlen(valid), sizeof valid - strlen(valid), "%s%s", i ? ", " : "", asb_summary_metrics[i]);
        asb_die_usage("compare: unknown metric '%s' (valid: %s)", metric, valid);
    }
    asb_cell_summary *old, *new;
    int nold = load_summary(paths[0], &old), nnew = load_summary(paths[1], &new);

    printf("%-52s %4s %4s %12s %12s %7s %17s %8s  %s\n", "cell (workload backend [sched] t= params)", "nOLD",
           "nNEW", "OLD median", "NEW median", "ratio", "95% CI of ratio", "p(NEW>)", "verdict");
    int matched = 0, regressions = 0, improvements = 0, underpowered = 0, only_old = 0;
    for (int o = 0; o < nold; o++) {
        int j = 0;
        while (j < nnew && strcmp(new[j].key, old[o].key)) j++;
        if (j == nnew) {
            only_old++;
            continue;
        }
        matched++;
        const asb_cell_summary *a = &old[o], *b = &new[j];
        const asb_metric_stats *sa = &a->m[mi], *sb = &b->m[mi];
        char label[256];
        snprintf(label, sizeof label, "%s %s%s%s t=%s %s", a->workload, a->backend, strcmp(a->sched, "NA") ? " " : "",
                 strcmp(a->sched, "NA") ? a->sched : "", a->threads, a->params);
        const char *verdict;
        double ratio = NAN, p = NAN;
        asb_interval ci = {NAN, NAN, NAN};
        if (sa->n > 0 && sb->n == 0 && b->runs > 0 && b->ok < b->runs) {
            verdict = "REGRESSION (fails in NEW)";
            regressions++;
        } else if (sa->n == 0 || sb->n == 0) {
            verdict = "no data";
        } else {
            ratio = sb->median / sa->median;
            ci = asb_ratio_ci(a->values[mi], sa->n, b->values[mi], sb->n, alpha);
            asb_mwu up = asb_mann_whitney(a->values[mi], sa->n, b->values[mi], sb->n);
            asb_mwu down = asb_mann_whitney(b->values[mi], sb->n, a->values[mi], sa->n);
            p = up.p_greater;
            /* The smallest one-sided p-value these sample sizes can give. */
            double arrangements = 1; /* C(m+n, m), exactly for small samples */
            for (int i = 1; i <= sa->n; i++) arrangements = arrangements * (sb->n + i) / i;
            double min_p = 1 / arrangements;
            if (ratio > 1 + threshold && p < alpha) verdict = "REGRESSION", regressions++;
            else if (ratio < 1 - threshold && down.p_greater < alpha) verdict = "improved", improvements++;
            else if (min_p >= alpha) verdict = "same (too few reps to test)", underpowered++;
            else verdict = "same";
        }
        printf("%-52.52s %4d %4d %12.6g %12.6g %7.3f   [%6.3f, %6.3f] %8.4f  %s\n", label, sa->n, sb->n, sa->median,
               sb->median, ratio, ci.lo, ci.hi, p, verdict);
    }
    int only_new = nnew - matched;
    printf("\n%d cells compared on %s (threshold %.1f%%, alpha %g): %d regressions, %d improvements", matched,
           metric, threshold * 100, alpha, regressions, improvements);
    if (only_old || only_new) printf("; %d cells only in OLD, %d only in NEW", only_old, only_new);
    printf("\n");
    if (underpowered)
        printf("note: %d cells have too few ok repetitions for the test to reach alpha %g "
               "(one-sided minimum p = m!n!/(m+n)!); use more --reps\n", underpowered, alpha);
    asb_summary_free(old, nold);
    asb_summary_free(new, nnew);
    if (matched == 0) asb_die_usage("compare: no cell of %s matches one of %s (same backend, scheduler, workload, "
                                    "params and threads)", paths[1], paths[0]);
    return regressions ? 1 : 0;
}
