/*
 * merge.c — `asbench merge OUT DIR…`: join the results folders of the
 * shards of one matrix (asbench run --shard i/n) into one folder, as if the
 * matrix had run in one go: results.csv (rows of every shard), timeline/,
 * matrix.txt (without the shard setting, so OUT can be resumed),
 * calibration.txt and convergence.csv (each shard's groups), env.json (each
 * shard's environment and machines), summary.csv and the charts.
 *
 * The shards must come from the same matrix (their matrix.txt files agree
 * once the shard setting is taken out) and no (cell, repetition) pair may
 * appear twice; either mistake is bad input (exit 2) and OUT is not written.
 *
 * Shards may come from different machines, but a comparison group (workload,
 * parameters, threads: every backend and scheduler of it) must not: its
 * ratios would divide one machine's time by another's.  A group with rows of
 * two machines is refused (exit 2) unless --allow-mixed-machines, which
 * keeps its rows and marks them in `message` and env.json.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asbench.h"
#include "latency_files.h"
#include "measure.h"

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

/* A results row's comparison group, as `run --dry-run` shows its cells:
 * "workload t=THREADS params". */
static char *row_group(const asb_results *r, int row) {
    return asb_xasprintf("%s t=%s %s", asb_results_get(r, row, "workload"), asb_results_get(r, row, "threads"),
                         asb_results_get(r, row, "params"));
}

/* A row's machine; folders written before the column existed (or without
 * an id) count as one machine, "unknown". */
static const char *row_machine(const asb_results *r, int row) {
    const char *m = asb_results_get(r, row, "machine");
    return *m && strcmp(m, "NA") ? m : "unknown";
}

/* One row's (group, machine), sortable so that a group's machines are
 * neighbours. */
typedef struct group_machine {
    char *group;
    const char *machine;
    int dir;
} group_machine;

static int by_group_machine(const void *a, const void *b) {
    const group_machine *x = a, *y = b;
    int c = strcmp(x->group, y->group);
    if (!c) c = strcmp(x->machine, y->machine);
    return c ? c : (x->dir > y->dir) - (x->dir < y->dir);
}

/* The groups whose rows come from more than one machine (sorted), each with
 * "machine (in DIR), …" in *machines (same index). */
static void mixed_groups(const asb_strlist *dirs, const asb_results *res, asb_strlist *groups,
                         asb_strlist *machines) {
    int n = 0;
    for (int d = 0; d < dirs->n; d++) n += res[d].nrows;
    group_machine *uses = asb_xmalloc((size_t)n * sizeof *uses);
    n = 0;
    for (int d = 0; d < dirs->n; d++)
        for (int r = 0; r < res[d].nrows; r++)
            uses[n++] = (group_machine){row_group(&res[d], r), row_machine(&res[d], r), d};
    qsort(uses, (size_t)n, sizeof *uses, by_group_machine);
    for (int start = 0, end; start < n; start = end) {
        char *list = asb_xstrdup("");
        int distinct = 0;
        for (end = start; end < n && !strcmp(uses[end].group, uses[start].group); end++) {
            if (end > start && !strcmp(uses[end].machine, uses[end - 1].machine)) continue;
            char *more = asb_xasprintf("%s%s%s (in %s)", list, distinct++ ? ", " : "", uses[end].machine,
                                       dirs->items[uses[end].dir]);
            free(list);
            list = more;
        }
        if (distinct > 1) {
            asb_strlist_push(groups, uses[start].group);
            asb_strlist_push(machines, list);
        }
        free(list);
    }
    for (int i = 0; i < n; i++) free(uses[i].group);
    free(uses);
}

static int cmp_str_key(const void *key, const void *item) { return strcmp(key, *(char *const *)item); }

/* --allow-mixed-machines: the rows of a mixed group say so in `message`. */
static void mark_mixed_rows(asb_results *r, const asb_strlist *groups, const asb_strlist *machines) {
    int col = asb_csv_column("message");
    for (int row = 0; row < r->nrows; row++) {
        char *group = row_group(r, row);
        char **hit = bsearch(group, groups->items, (size_t)groups->n, sizeof *groups->items, cmp_str_key);
        free(group);
        if (!hit) continue;
        const char *old = r->rows[row][col];
        bool keep = *old && strcmp(old, "NA");
        char *marked = asb_xasprintf("mixed machines in this comparison group: %s%s%s",
                                     machines->items[hit - groups->items], keep ? "; " : "", keep ? old : "");
        free(r->rows[row][col]);
        r->rows[row][col] = marked;
    }
}

/* OUT/NAME: the NAME files of the shards one after another, a CSV header
 * (the first line) once; nothing when no shard has one. */
static void join_files(const asb_strlist *dirs, const char *name, bool csv_header, const char *out) {
    FILE *f = NULL;
    char *path = asb_xasprintf("%s/%s", out, name);
    for (int d = 0; d < dirs->n; d++) {
        char *from = asb_xasprintf("%s/%s", dirs->items[d], name);
        char *text = asb_read_file(from, NULL);
        free(from);
        if (!text) continue;
        const char *body = text;
        if (f && csv_header) body = strchr(text, '\n') ? strchr(text, '\n') + 1 : "";
        if (!f && !(f = fopen(path, "w"))) asb_die("merge: cannot write %s: %s", path, strerror(errno));
        fputs(body, f);
        free(text);
    }
    if (f && fclose(f) != 0) asb_die("merge: cannot write %s: %s", path, strerror(errno));
    free(path);
}

static void copy_file(const char *from, const char *to) {
    size_t len;
    char *data = asb_read_file(from, &len);
    if (!data) return; /* a run that never started has no timeline */
    FILE *f = fopen(to, "w");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) asb_die("cannot write %s: %s", to, strerror(errno));
    free(data);
}

/* A --latency run's histogram (latency_files.h), beside its timeline. */
static void copy_latency_file(const char *dir, const char *timeline, const char *out) {
    char *from = asb_latency_path(dir, timeline);
    if (from && access(from, R_OK) == 0) {
        char *folder = asb_xasprintf("%s/latency", out), *to = asb_latency_path(out, timeline);
        if (asb_mkdirs(folder) != 0) asb_die("merge: cannot create %s: %s", folder, strerror(errno));
        copy_file(from, to);
        free(folder);
        free(to);
    }
    free(from);
}

int asb_cmd_merge(int argc, char **argv) {
    const char *out = NULL;
    bool plot = true, allow_mixed = false;
    asb_strlist dirs = {0};
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: asbench merge OUT DIR... [--no-plot] [--allow-mixed-machines]   (joins the folders of "
                   "asbench run --shard)\n");
            return 0;
        }
        if (!strcmp(argv[i], "--no-plot")) plot = false;
        else if (!strcmp(argv[i], "--allow-mixed-machines")) allow_mixed = true;
        else if (argv[i][0] == '-') asb_die_usage("merge: unknown option %s", argv[i]);
        else if (!out) out = argv[i];
        else asb_strlist_push(&dirs, argv[i]);
    }
    if (!out || dirs.n == 0) asb_die_usage("usage: asbench merge OUT DIR... [--no-plot] [--allow-mixed-machines]");

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
    asb_strlist mixed = {0}, mixed_machines = {0};
    mixed_groups(&dirs, res, &mixed, &mixed_machines);
    if (mixed.n && !allow_mixed)
        asb_die_usage("merge: comparison group %s has rows from more than one machine: %s%s; its ratios would "
                      "divide one machine's time by another's (run each group on one machine: asbench run --shard "
                      "keeps groups whole; or merge with --allow-mixed-machines, which marks those rows)",
                      mixed.items[0], mixed_machines.items[0],
                      mixed.n > 1 ? asb_xasprintf(" (and %d more group%s)", mixed.n - 1, mixed.n > 2 ? "s" : "") : "");
    if (mixed.n) {
        fprintf(stderr, "asbench: merge: comparison groups with rows from more than one machine: %d (kept, marked in "
                        "their message and env.json's mixed_machine_groups), e.g. %s: %s\n",
                mixed.n, mixed.items[0], mixed_machines.items[0]);
        for (int d = 0; d < dirs.n; d++) mark_mixed_rows(&res[d], &mixed, &mixed_machines);
    }
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
                copy_latency_file(dirs.items[d], tl, out);
            }
        }
    if (fclose(f) != 0) asb_die("merge: cannot write %s: %s", csv, strerror(errno));

    char *mpath = asb_xasprintf("%s/matrix.txt", out);
    FILE *m = fopen(mpath, "w");
    if (!m || fputs(matrix, m) < 0 || fclose(m) != 0) asb_die("merge: cannot write %s", mpath);
    /* Each group was calibrated (and converged) in its one shard. */
    join_files(&dirs, "calibration.txt", false, out);
    join_files(&dirs, "convergence.csv", true, out);
    char *epath = asb_xasprintf("%s/env.json", out);
    FILE *e = fopen(epath, "w");
    if (!e) asb_die("merge: cannot write %s", epath);
    /* Which machine ran each shard (more than one where a shard was resumed elsewhere). */
    fprintf(e, "{\"shard_machines\": [");
    for (int d = 0; d < dirs.n; d++) {
        asb_strlist seen_here = {0};
        fprintf(e, "%s\n  {\"folder\": ", d ? "," : "");
        asb_json_string(e, dirs.items[d]);
        fprintf(e, ", \"machines\": [");
        for (int r = 0; r < res[d].nrows; r++) {
            const char *machine = row_machine(&res[d], r);
            if (asb_strlist_has(&seen_here, machine)) continue;
            fprintf(e, "%s", seen_here.n ? ", " : "");
            asb_json_string(e, machine);
            asb_strlist_push(&seen_here, machine);
        }
        fprintf(e, "]}");
        asb_strlist_free(&seen_here);
    }
    fprintf(e, "],\n\"mixed_machine_groups\": [");
    for (int g = 0; g < mixed.n; g++) {
        fprintf(e, "%s\n  {\"group\": ", g ? "," : "");
        asb_json_string(e, mixed.items[g]);
        fprintf(e, ", \"machines\": ");
        asb_json_string(e, mixed_machines.items[g]);
        fprintf(e, "}");
    }
    fprintf(e, "],\n\"merged_shards\": [\n");
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
        free(asb_rundir_apply_calibration(out, out, &mx)); /* the rows hold the calibrated work */
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
    int status = asb_write_summary(out) != 0;
    if (!status && plot && asb_plot_dir(out, mx.baseline ? mx.baseline : "glibc") != 0)
        fprintf(stderr, "asbench: charts were not drawn (results are complete in %s)\n", csv);
    asb_matrix_free(&mx); /* after the charts: they take the matrix's baseline */
    return status;
}
