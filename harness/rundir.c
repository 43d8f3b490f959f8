/*
 * rundir.c — the results folder of `asbench run`: results.csv opened for
 * appending whole rows, matrix.txt (the whole definition, written before any
 * run), calibration.txt (the work each comparison group was calibrated to),
 * and what `--resume` reads back from them so that it runs exactly the
 * (cell, repetition) pairs that are missing, with the same work.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "measure.h"

int asb_rundir_open_results(const char *csv_path, bool resume) {
    int fd = open(csv_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (resume ? 0 : O_EXCL), 0666);
    if (fd < 0 && errno == EEXIST)
        asb_die_usage("%s already exists: finish it with --resume, or choose another -o folder", csv_path);
    if (fd < 0) asb_die_usage("cannot write %s: %s", csv_path, strerror(errno));
    if (lseek(fd, 0, SEEK_END) == 0) {
        char *hdr = NULL;
        size_t hlen = 0;
        FILE *h = open_memstream(&hdr, &hlen);
        for (int i = 0; i < asb_ncsv_columns; i++) asb_csv_field(h, asb_csv_columns[i], i == asb_ncsv_columns - 1);
        fclose(h);
        if (write(fd, hdr, hlen) != (ssize_t)hlen) asb_die_usage("cannot write %s: %s", csv_path, strerror(errno));
        free(hdr);
    }
    return fd;
}

/* A resumed results.csv may end in a row cut short by a crash of the
 * machine (a killed harness cannot leave one: rows are single writes). */
void asb_rundir_drop_partial_row(const char *csv_path) {
    size_t len;
    char *text = asb_read_file(csv_path, &len);
    if (!text || len == 0 || text[len - 1] == '\n') {
        free(text);
        return;
    }
    char *nl = strrchr(text, '\n');
    off_t keep = nl ? (off_t)(nl - text + 1) : 0;
    fprintf(stderr, "asbench: dropping an unfinished last row of %s\n", csv_path);
    if (truncate(csv_path, keep) != 0) asb_die("cannot truncate %s: %s", csv_path, strerror(errno));
    free(text);
}

void asb_rundir_write_matrix(const char *dir, const asb_matrix *m) {
    char *path = asb_xasprintf("%s/matrix.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f) asb_die_usage("cannot write %s: %s", path, strerror(errno));
    fprintf(f, "# asbench matrix of this results folder (asbench run --resume reads it)\n%s", m->text);
    /* Settings resolved from defaults, so that a resume cannot drift. */
    fprintf(f, "set reps=%d\n", m->reps);
    if (fclose(f) != 0) asb_die_usage("cannot write %s: %s", path, strerror(errno));
    free(path);
}

static const asb_cell *sort_cells_base;
static int cmp_cell_index(const void *a, const void *b) {
    return strcmp(sort_cells_base[*(const int *)a].key, sort_cells_base[*(const int *)b].key);
}

/* Cells found by binary search: a full matrix has thousands. */
bool *asb_rundir_runs_done(const char *csv_path, const asb_matrix *m, int max_reps) {
    bool *done = calloc((size_t)m->ncells * (size_t)(max_reps + 1), sizeof *done);
    int *order = asb_xmalloc((size_t)m->ncells * sizeof *order);
    if (!done) asb_die("out of memory");
    for (int i = 0; i < m->ncells; i++) order[i] = i;
    sort_cells_base = m->cells;
    qsort(order, (size_t)m->ncells, sizeof *order, cmp_cell_index);
    asb_results r;
    char *err = NULL;
    if (asb_results_load(csv_path, &r, &err) != 0) asb_die_usage("--resume: %s", err);
    for (int row = 0; row < r.nrows; row++) {
        char *key = asb_results_row_key(&r, row);
        int rep = atoi(asb_results_get(&r, row, "repetition"));
        int lo = 0, hi = m->ncells - 1;
        while (lo <= hi) {
            int mid = (lo + hi) / 2, c = strcmp(m->cells[order[mid]].key, key);
            if (c == 0) {
                if (rep >= 1 && rep <= max_reps) done[order[mid] * (max_reps + 1) + rep] = true;
                break;
            }
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        free(key);
    }
    asb_results_free(&r);
    free(order);
    return done;
}

void asb_rundir_save_calibration(const char *dir, const char *group, const char *param, const char *value) {
    char *path = asb_xasprintf("%s/calibration.txt", dir);
    char *line = asb_xasprintf("%s %s=%s\n", group, param, value);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
        asb_die("cannot append to %s: %s", path, strerror(errno));
    close(fd);
    free(line);
    free(path);
}

bool *asb_rundir_apply_calibration(const char *from_dir, const char *to_dir, asb_matrix *m) {
    bool *applied = calloc((size_t)m->ncells, sizeof *applied);
    char *path = asb_xasprintf("%s/calibration.txt", from_dir);
    char *text = asb_read_file(path, NULL);
    if (!applied) asb_die("out of memory");
    if (!text && errno != ENOENT) asb_die_usage("cannot read %s: %s", path, strerror(errno));
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        char *sp = strrchr(line, ' '), *eq = sp ? strchr(sp, '=') : NULL;
        if (!eq) asb_die_usage("%s: malformed line '%s' (expected GROUP PARAM=VALUE)", path, line);
        *sp = *eq = 0;
        bool used = false;
        for (int i = 0; i < m->ncells; i++) {
            char *group = asb_cell_group_key(&m->cells[i]);
            if (!strcmp(group, line) && m->cells[i].workload->work_param &&
                !strcmp(m->cells[i].workload->work_param, sp + 1)) {
                asb_cell_set_param(&m->cells[i], sp + 1, eq + 1);
                applied[i] = used = true;
            }
            free(group);
        }
        if (used && strcmp(from_dir, to_dir) != 0) asb_rundir_save_calibration(to_dir, line, sp + 1, eq + 1);
    }
    free(text);
    free(path);
    return applied;
}
