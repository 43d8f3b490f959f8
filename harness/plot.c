/*
 * plot.c — `asbench plot DIR`: charts from DIR/results.csv with gnuplot.
 *
 * For every group of cells (workload, scheduler, threads, parameters) the
 * median of each backend's ok repetitions is divided by the baseline
 * backend's median: time (ns/op) and peak RSS, one clustered bar per
 * backend.  The data and the gnuplot script are written next to the charts
 * (DIR/plots/), so a chart can be restyled by hand.  The CSV is only read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "asbench.h"

typedef struct sample_set {
    char *group;   /* "workload sched t=N params" */
    char *backend;
    double *v[2];  /* ns_per_op, peak_rss_kb */
    int n[2], cap[2];
} sample_set;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    if (n == 0) return -1;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool program_on_path(const char *name) {
    const char *path = getenv("PATH");
    if (!path) return false;
    asb_strlist dirs = {0};
    asb_strlist_split(&dirs, path, ':');
    bool found = false;
    for (int i = 0; i < dirs.n && !found; i++) {
        char *p = asb_xasprintf("%s/%s", dirs.items[i], name);
        found = access(p, X_OK) == 0;
        free(p);
    }
    asb_strlist_free(&dirs);
    return found;
}

static sample_set *find_set(sample_set **sets, int *nsets, const char *group, const char *backend) {
    for (int i = 0; i < *nsets; i++)
        if (!strcmp((*sets)[i].group, group) && !strcmp((*sets)[i].backend, backend)) return &(*sets)[i];
    *sets = realloc(*sets, (size_t)(*nsets + 1) * sizeof **sets);
    if (!*sets) asb_die("out of memory");
    sample_set *s = &(*sets)[(*nsets)++];
    *s = (sample_set){.group = asb_xstrdup(group), .backend = asb_xstrdup(backend)};
    return s;
}

static void add_sample(sample_set *s, int metric, const char *text) {
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end) return; /* NA */
    if (s->n[metric] == s->cap[metric]) {
        s->cap[metric] = s->cap[metric] ? 2 * s->cap[metric] : 8;
        s->v[metric] = realloc(s->v[metric], (size_t)s->cap[metric] * sizeof(double));
        if (!s->v[metric]) asb_die("out of memory");
    }
    s->v[metric][s->n[metric]++] = v;
}

/* Reads DIR/results.csv into sample sets; returns -1 with a message on error. */
static int load(const char *csv_path, sample_set **sets, int *nsets) {
    FILE *f = fopen(csv_path, "r");
    if (!f) {
        fprintf(stderr, "asbench: cannot read %s: %s\n", csv_path, strerror(errno));
        return -1;
    }
    char **hdr;
    int nh = asb_csv_read(f, &hdr);
    int col[8];
    const char *names[] = {"backend", "scheduler", "workload", "params", "threads", "status", "ns_per_op", "peak_rss_kb"};
    for (int i = 0; i < 8; i++) {
        col[i] = -1;
        for (int j = 0; j < nh; j++)
            if (!strcmp(hdr[j], names[i])) col[i] = j;
        if (col[i] < 0) {
            fprintf(stderr, "asbench: %s has no column '%s'; is it an asbench results file?\n", csv_path, names[i]);
            fclose(f);
            return -1;
        }
    }
    char **row;
    int n;
    while ((n = asb_csv_read(f, &row)) >= 0) {
        if (n == nh && !strcmp(row[col[5]], "ok")) {
            char *group = asb_xasprintf("%s%s%s t=%s %s", row[col[2]], strcmp(row[col[1]], "NA") ? " " : "",
                                        strcmp(row[col[1]], "NA") ? row[col[1]] : "", row[col[4]], row[col[3]]);
            sample_set *s = find_set(sets, nsets, group, row[col[0]]);
            add_sample(s, 0, row[col[6]]);
            add_sample(s, 1, row[col[7]]);
            free(group);
        }
        asb_csv_free(row, n);
    }
    asb_csv_free(hdr, nh);
    fclose(f);
    return 0;
}

/* Gnuplot cannot take '_' and spaces in labels literally: keep them short. */
static void write_label(FILE *f, const char *group) {
    fputc('"', f);
    int spaces = 0;
    for (const char *p = group; *p; p++) {
        if (*p == ' ' && ++spaces == 2) break; /* workload [sched] t=N */
        fputc(*p == '"' ? '\'' : *p, f);
    }
    fputc('"', f);
}

int asb_plot_dir(const char *dir, const char *baseline) {
    if (!program_on_path("gnuplot")) {
        fprintf(stderr, "asbench: gnuplot not found on PATH (Debian package gnuplot-nox); "
                        "no charts drawn, %s/results.csv is unchanged\n", dir);
        return 1;
    }
    char *csv_path = asb_xasprintf("%s/results.csv", dir);
    sample_set *sets = NULL;
    int nsets = 0;
    if (load(csv_path, &sets, &nsets) != 0) return 1;
    if (nsets == 0) {
        fprintf(stderr, "asbench: %s has no ok runs to plot\n", csv_path);
        return 1;
    }
    asb_strlist groups = {0}, backends = {0};
    for (int i = 0; i < nsets; i++) {
        if (!asb_strlist_has(&groups, sets[i].group)) asb_strlist_push(&groups, sets[i].group);
        if (!asb_strlist_has(&backends, sets[i].backend)) asb_strlist_push(&backends, sets[i].backend);
    }
    if (!asb_strlist_has(&backends, baseline)) {
        fprintf(stderr, "asbench: baseline backend '%s' has no ok runs in %s; charts use %s\n", baseline, csv_path,
                backends.items[0]);
        baseline = backends.items[0];
    }
    char *plot_dir = asb_xasprintf("%s/plots", dir);
    if (asb_mkdirs(plot_dir) != 0) {
        fprintf(stderr, "asbench: cannot create %s: %s\n", plot_dir, strerror(errno));
        return 1;
    }
    static const char *metric_file[] = {"time", "peak_rss"};
    static const char *metric_title[] = {"time per op", "peak RSS"};
    int status = 0;
    for (int m = 0; m < 2 && status == 0; m++) {
        char *dat = asb_xasprintf("%s/%s.dat", plot_dir, metric_file[m]);
        FILE *d = fopen(dat, "w");
        if (!d) {
            fprintf(stderr, "asbench: cannot write %s: %s\n", dat, strerror(errno));
            return 1;
        }
        fprintf(d, "# group");
        for (int b = 0; b < backends.n; b++) fprintf(d, " %s", backends.items[b]);
        fputc('\n', d);
        for (int g = 0; g < groups.n; g++) {
            double base = -1;
            for (int i = 0; i < nsets; i++)
                if (!strcmp(sets[i].group, groups.items[g]) && !strcmp(sets[i].backend, baseline))
                    base = median(sets[i].v[m], sets[i].n[m]);
            write_label(d, groups.items[g]);
            for (int b = 0; b < backends.n; b++) {
                double med = -1;
                for (int i = 0; i < nsets; i++)
                    if (!strcmp(sets[i].group, groups.items[g]) && !strcmp(sets[i].backend, backends.items[b]))
                        med = median(sets[i].v[m], sets[i].n[m]);
                if (med >= 0 && base > 0) fprintf(d, " %.4f", med / base);
                else fputs(" NaN", d);
            }
            fputc('\n', d);
        }
        fclose(d);
        char *gp = asb_xasprintf("%s/%s.gp", plot_dir, metric_file[m]);
        FILE *s = fopen(gp, "w");
        if (!s) {
            fprintf(stderr, "asbench: cannot write %s: %s\n", gp, strerror(errno));
            return 1;
        }
        fprintf(s,
                "set terminal pngcairo size 1200,600 noenhanced\n"
                "set output '%s/%s.png'\n"
                "set title '%s relative to %s (median of repetitions; lower is better)'\n"
                "set style data histogram\nset style histogram cluster gap 1\n"
                "set style fill solid 0.8 border -1\nset boxwidth 0.9\n"
                "set xtics rotate by -30 scale 0\nset grid ytics\nset key outside right\n"
                "set yrange [0:*]\nset arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2\n"
                "plot ",
                plot_dir, metric_file[m], metric_title[m], baseline);
        for (int b = 0; b < backends.n; b++)
            fprintf(s, "%s'%s' using %d:xtic(1) title '%s'", b ? ", " : "", dat, b + 2, backends.items[b]);
        fputc('\n', s);
        fclose(s);
        pid_t pid = fork();
        if (pid == 0) {
            execlp("gnuplot", "gnuplot", gp, (char *)NULL);
            _exit(127);
        }
        int ws;
        if (pid < 0 || waitpid(pid, &ws, 0) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
            fprintf(stderr, "asbench: gnuplot failed on %s\n", gp);
            status = 1;
        } else {
            fprintf(stderr, "asbench: chart %s/%s.png\n", plot_dir, metric_file[m]);
        }
        free(dat);
        free(gp);
    }
    return status;
}

int asb_cmd_plot(int argc, char **argv) {
    const char *dir = NULL, *baseline = "glibc";
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--baseline") && i + 1 < argc) baseline = argv[++i];
        else if (argv[i][0] == '-') asb_die_usage("plot: unknown option %s (usage: asbench plot DIR [--baseline NAME])", argv[i]);
        else dir = argv[i];
    }
    if (!dir) asb_die_usage("usage: asbench plot DIR [--baseline NAME]");
    return asb_plot_dir(dir, baseline) ? ASB_EXIT_USAGE : 0;
}
