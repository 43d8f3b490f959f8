/*
 * merge.c — `asbench merge OUT DIR…`: join the results folders of the
 * shards of one matrix (asbench run --shard i/n) into one folder, as if the
 * matrix had run in one go: results.csv (rows of every shard), timeline/,
 * matrix.txt (without the shard setting, so OUT can be resumed), env.json
 * (each shard's environment), summary.csv and the charts.
 *
 * The shards must come from the same matrix (their matrix.txt files agree
 * once the shard setting is taken out) and no (cell, repetition) pair may
 * appear twice; either mistake is bad input (exit 2) and OUT is not written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asbench.h"

/* matrix.txt without any shard=I/N word (and without a `set` left empty). */
static char *strip_shard(const char *text) {
    char *out = asb_xstrdup("");
    char *copy = asb_xstrdup(text);
    for (char *line = copy, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        if (!*line && !next) break;
        char *kept = asb_xstrdup("");
        int words = 0;
        for (char *save, *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
            if (!strncmp(w, "shard=", 6)) continue;
            char *k = asb_xasprintf("%s%s%s", kept, words++ ? " " : "", w);
            free(kept);
            kept = k;
        }
        if (strcmp(kept, "set")) {
            char *o = asb_xasprintf("%s%s\n", out, kept);
            free(out);
            out = o;
        }
        free(kept);
    }
    free(copy);
    return out;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void copy_file(const char *from, const char *to) {
    size_t len;
    char *data = asb_read_file(from, &len);
    if (!data) return; /* a run that never started has no timeline */
    FILE *f = fopen(to, "w");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) asb_die("cannot write %s: %s", to, strerror(errno));
    free(data);
}

int asb_cmd_merge(int argc, char **argv) {
    const char *out = NULL;
    bool plot = true;
    asb_strlist dirs = {0};
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: asbench merge OUT DIR... [--no-plot]   (joins the folders of asbench run --shard)\n");
            return 0;
        }
        if (!strcmp(argv[i], "--no-plot")) plot = false;
        else if (argv[i][0] == '-') asb_die_usage("merge: unknown option %s", argv[i]);
        else if (!out) out = argv[i];
        else asb_strlist_push(&dirs, argv[i]);
    }
    if (!out || dirs.n == 0) asb_die_usage("usage: asbench merge OUT DIR... [--no-plot]");

    /* Read and check everything before writing anything. */
    asb_results *res = asb_xmalloc((size_t)dirs.n * sizeof *res);
    char *matrix = NULL, *err = NULL;
    for (int d = 0; d < dirs.n; d++) {
        char *csv = asb_xasprintf("%s/results.csv", dirs.items[d]);
        if (asb_results_load(csv, &res[d], &err) != 0) asb_die_usage("merge: %s", err);
        if (res[d].ncols != asb_ncsv_columns)
            asb_die_usage("merge: %s has %d columns, this asbench writes %d (made by another version?)", csv,
                          res[d].ncols, asb_ncsv_columns);
        for (int c = 0; c < res[d].ncols; c++)
            if (strcmp(res[d].header[c], asb_csv_columns[c]))
                asb_die_usage("merge: column %d of %s is '%s', expected '%s'", c + 1, csv, res[d].header[c],
                              asb_csv_columns[c]);
        char *mpath = asb_xasprintf("%s/matrix.txt", dirs.items[d]);
        char *text = asb_read_file(mpath, NULL);
        if (!text) asb_die_usage("merge: cannot read %s: %s", mpath, strerror(errno));
        char *stripped = strip_shard(text);
        if (!matrix) matrix = stripped;
        else if (strcmp(matrix, stripped))
            asb_die_usage("merge: %s differs from %s/matrix.txt: the folders come from different matrices", mpath,
                          dirs.items[0]);
        else free(stripped);
        free(text);
        free(mpath);
        free(csv);
    }
    /* Every run's identity, sorted: duplicates are neighbours, and the
     * completeness check below can search it (a full matrix has ~25k runs). */
    asb_strlist seen = {0};
    for (int d = 0; d < dirs.n; d++)
        for (int r = 0; r < res[d].nrows; r++) {
            char *key = asb_results_row_key(&res[d], r);
            char *id = asb_xasprintf("%s|rep %s", key, asb_results_get(&res[d], r, "repetition"));
            asb_strlist_push(&seen, id);
            free(key);
            free(id);
        }
    qsort(seen.items, (size_t)seen.n, sizeof *seen.items, cmp_str);
    for (int i = 1; i < seen.n; i++)
        if (!strcmp(seen.items[i - 1], seen.items[i]))
            asb_die_usage("merge: run %s appears a second time (a folder given twice, or overlapping shards?)",
                          seen.items[i]);
    char *timeline = asb_xasprintf("%s/timeline", out);
    if (asb_mkdirs(timeline) != 0) asb_die_usage("merge: cannot create %s: %s", timeline, strerror(errno));
    char *csv = asb_xasprintf("%s/results.csv", out);
    FILE *f = NULL;
    int fd = open(csv, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 || !(f = fdopen(fd, "w")))
        asb_die_usage("merge: cannot create %s: %s", csv, errno == EEXIST ? "it exists already" : strerror(errno));
    for (int c = 0; c < asb_ncsv_columns; c++) asb_csv_field(f, asb_csv_columns[c], c == asb_ncsv_columns - 1);
    int tl_col = asb_csv_column("timeline");
    for (int d = 0; d < dirs.n; d++)
        for (int r = 0; r < res[d].nrows; r++) {
            for (int c = 0; c < res[d].ncols; c++) asb_csv_field(f, res[d].rows[r][c], c == res[d].ncols - 1);
            const char *tl = res[d].rows[r][tl_col];
            if (strcmp(tl, "NA")) {
                char *from = asb_xasprintf("%s/%s", dirs.items[d], tl), *to = asb_xasprintf("%s/%s", out, tl);
                copy_file(from, to);
                free(from);
                free(to);
            }
        }
    if (fclose(f) != 0) asb_die("merge: cannot write %s: %s", csv, strerror(errno));

    char *mpath = asb_xasprintf("%s/matrix.txt", out);
    FILE *m = fopen(mpath, "w");
    if (!m || fputs(matrix, m) < 0 || fclose(m) != 0) asb_die("merge: cannot write %s", mpath);
    char *epath = asb_xasprintf("%s/env.json", out);
    FILE *e = fopen(epath, "w");
    if (!e) asb_die("merge: cannot write %s", epath);
    fprintf(e, "{\"merged_shards\": [\n");
    for (int d = 0; d < dirs.n; d++) {
        char *p = asb_xasprintf("%s/env.json", dirs.items[d]);
        char *text = asb_read_file(p, NULL);
        fprintf(e, "%s%s", d ? ",\n" : "", text ? text : "null");
        free(text);
        free(p);
    }
    fprintf(e, "]}\n");
    fclose(e);

    /* Completeness against the matrix (cells of this build). */
    asb_matrix mx;
    asb_matrix_init(&mx);
    if (asb_matrix_parse(&mx, mpath, matrix, &err) == 0) {
        if (mx.reps == 0) mx.reps = mx.quick ? 3 : 5;
        int missing = 0;
        for (int c = 0; c < mx.ncells; c++)
            for (int rep = 1; rep <= mx.reps; rep++) {
                char *id = asb_xasprintf("%s|rep %d", mx.cells[c].key, rep);
                missing += !bsearch(&id, seen.items, (size_t)seen.n, sizeof *seen.items, cmp_str);
                free(id);
            }
        if (missing)
            fprintf(stderr, "asbench: merge: %d runs of the matrix are in no shard (finish with asbench run --resume %s)\n",
                    missing, out);
    }
    fprintf(stderr, "asbench: merged %d folders, %d runs, into %s\n", dirs.n, seen.n, csv);
    if (asb_write_summary(out) != 0) return 1;
    if (plot && asb_plot_dir(out, mx.baseline ? mx.baseline : "glibc") != 0)
        fprintf(stderr, "asbench: charts were not drawn (results are complete in %s)\n", csv);
    return 0;
}
