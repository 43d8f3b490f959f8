/*
 * micro.c — `asbench micro`: run the Google Benchmark micro-benchmarks
 * (workloads/micro, one executable asbench-micro-BACKEND per backend), each
 * backend in a fresh process.  Google Benchmark's own JSON is kept as
 * DIR/micro-BACKEND.json (readable by its tools/compare.py), and every
 * repetition of every benchmark is appended to DIR/results.csv in the suite's
 * schema (csv.c), so `asbench plot DIR` charts it:
 *   workload = "micro:" + benchmark name, ops = iterations,
 *   ns_per_op = real time per iteration, allocs_per_op = the benchmark's
 *   allocs_per_op counter, wall_s = real time × iterations;
 *   cpu_ns_per_op = CPU time per iteration, and extra.process_peak_rss_kb
 *   (the whole process, all benchmarks: not a per-benchmark figure, so
 *   peak_rss_kb is NA).  A process that crashes or fails gets one row with
 *   the worker client's status (crashed:SIGNAME, error …).
 * A backend given as name=/path/lib.so runs asbench-micro-glibc under
 * LD_PRELOAD, as `asbench run` does with workers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

static const char *micro_usage =
    "usage: asbench micro [options]\n"
    "  --alloc LIST     backends, comma-separated, or all (default); name=/path/lib.so runs\n"
    "                   the glibc build under LD_PRELOAD; name=backend[VAR=V;…] runs a backend\n"
    "                   with settings in its environment\n"
    "  --filter REGEX   benchmarks to run (Google Benchmark's --benchmark_filter)\n"
    "  --reps N         repetitions of each benchmark (default 3)\n"
    "  --min-time S     seconds each repetition runs at least (Google Benchmark's default if unset)\n"
    "  -o DIR           results folder (default results/micro-YYYYmmdd-HHMMSS); rows are\n"
    "                   appended to DIR/results.csv, Google Benchmark's JSON kept as\n"
    "                   DIR/micro-BACKEND.json\n"
    "benchmarks: malloc_free/SIZE (68 Go size classes), calloc/SIZE, realloc_chain/MAX,\n"
    "aligned/ALIGN, free_remote/SIZE; list them with asbench-micro-glibc --benchmark_list_tests\n";

/* ---- a small JSON reader: enough for Google Benchmark's output ---- */

typedef struct json_kv {
    char *key, *value; /* scalars only, as text (strings unquoted) */
} json_kv;

typedef struct json_object {
    json_kv *kv;
    int n, cap;
} json_object;

static void skip_ws(const char **s) {
    while (**s == ' ' || **s == '\n' || **s == '\r' || **s == '\t') (*s)++;
}

/* A string at *s (after its opening quote is checked); returns it or NULL. */
static char *json_string(const char **s) {
    if (**s != '"') return NULL;
    const char *p = *s + 1;
    size_t cap = 64, len = 0;
    char *out = asb_xmalloc(cap);
    for (; *p && *p != '"'; p++) {
        char c = *p;
        if (c == '\\') {
            p++;
            switch (*p) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': /* non-ASCII is not expected in benchmark output */
                if (strlen(p) < 5) goto bad;
                c = '?';
                p += 4;
                break;
            case 0: goto bad;
            default: c = *p; break; /* \" \\ \/ */
            }
        }
        if (len + 2 > cap) {
            cap *= 2;
            char *grown = realloc(out, cap);
            if (!grown) asb_die("out of memory");
            out = grown;
        }
        out[len++] = c;
    }
    if (*p != '"') goto bad;
    out[len] = 0;
    *s = p + 1;
    return out;
bad:
    free(out);
    return NULL;
}

static bool json_skip(const char **s);

/* Skip an object or array body whose opener is at *s. */
static bool json_skip_container(const char **s, char open, char close) {
    (*s)++;
    skip_ws(s);
    if (**s == close) return (*s)++, true;
    for (;;) {
        if (open == '{') {
            char *key = json_string(s);
            if (!key) return false;
            free(key);
            skip_ws(s);
            if (**s != ':') return false;
            (*s)++;
        }
        if (!json_skip(s)) return false;
        skip_ws(s);
        if (**s == ',') {
            (*s)++;
            skip_ws(s);
        } else if (**s == close) {
            (*s)++;
            return true;
        } else {
            return false;
        }
    }
}

/* A scalar (number, true, false, null) as text. */
static char *json_bare(const char **s) {
    const char *start = *s;
    while (**s && !strchr(",}] \n\r\t", **s)) (*s)++;
    if (*s == start) return NULL;
    return asb_xasprintf("%.*s", (int)(*s - start), start);
}

static bool json_skip(const char **s) {
    skip_ws(s);
    if (**s == '{') return json_skip_container(s, '{', '}');
    if (**s == '[') return json_skip_container(s, '[', ']');
    char *v = **s == '"' ? json_string(s) : json_bare(s);
    free(v);
    return v != NULL;
}

static void object_free(json_object *o) {
    for (int i = 0; i < o->n; i++) {
        free(o->kv[i].key);
        free(o->kv[i].value);
    }
    free(o->kv);
    *o = (json_object){0};
}

/* An object's scalar members (nested values are skipped). */
static bool json_flat_object(const char **s, json_object *o) {
    *o = (json_object){0};
    skip_ws(s);
    if (**s != '{') return false;
    (*s)++;
    skip_ws(s);
    if (**s == '}') return (*s)++, true;
    for (;;) {
        skip_ws(s);
        char *key = json_string(s);
        if (!key) goto bad;
        skip_ws(s);
        if (**s != ':') {
            free(key);
            goto bad;
        }
        (*s)++;
        skip_ws(s);
        if (**s == '{' || **s == '[') {
            free(key);
            if (!json_skip(s)) goto bad;
        } else {
            char *value = **s == '"' ? json_string(s) : json_bare(s);
            if (!value) {
                free(key);
                goto bad;
            }
            if (o->n == o->cap) {
                o->cap = o->cap ? 2 * o->cap : 16;
                json_kv *grown = realloc(o->kv, (size_t)o->cap * sizeof *grown);
                if (!grown) asb_die("out of memory");
                o->kv = grown;
            }
            o->kv[o->n++] = (json_kv){key, value};
        }
        skip_ws(s);
        if (**s == ',') {
            (*s)++;
        } else if (**s == '}') {
            (*s)++;
            return true;
        } else {
            goto bad;
        }
    }
bad:
    object_free(o);
    return false;
}

static const char *object_get(const json_object *o, const char *key) {
    for (int i = 0; i < o->n; i++)
        if (!strcmp(o->kv[i].key, key)) return o->kv[i].value;
    return NULL;
}

/* Position *s at the first element of the top-level "benchmarks" array. */
static bool json_find_benchmarks(const char **s) {
    skip_ws(s);
    if (**s != '{') return false;
    (*s)++;
    for (;;) {
        skip_ws(s);
        char *key = json_string(s);
        if (!key) return false;
        skip_ws(s);
        if (**s != ':') {
            free(key);
            return false;
        }
        (*s)++;
        skip_ws(s);
        bool found = !strcmp(key, "benchmarks");
        free(key);
        if (found) {
            if (**s != '[') return false;
            (*s)++;
            return true;
        }
        if (!json_skip(s)) return false;
        skip_ws(s);
        if (**s != ',') return false;
        (*s)++;
    }
}

/* ---- rows ---- */

typedef struct micro_row {
    const char *fields[64];
    char *owned[64];
    int nowned;
} micro_row;

static void row_set(micro_row *r, const char *column, const char *value) {
    int i = asb_csv_column(column);
    if (i >= 0 && i < 64) r->fields[i] = value;
}

/* Set a column to an allocated string the row frees. */
static void row_own(micro_row *r, const char *column, char *value) {
    r->owned[r->nowned++] = value;
    row_set(r, column, value);
}

static void row_write(FILE *csv, micro_row *r) {
    for (int i = 0; i < asb_ncsv_columns && i < 64; i++)
        asb_csv_field(csv, r->fields[i] ? r->fields[i] : "NA", i == asb_ncsv_columns - 1);
    for (int i = 0; i < r->nowned; i++) free(r->owned[i]);
    r->nowned = 0;
}

static double unit_ns(const char *unit) {
    if (!unit || !strcmp(unit, "ns")) return 1;
    if (!strcmp(unit, "us")) return 1e3;
    if (!strcmp(unit, "ms")) return 1e6;
    return 1e9; /* "s" */
}

/* One CSV row per repetition of each benchmark in the JSON text; aggregates
 * (mean, median, stddev, cv) are left to the JSON and to `asbench summary`. */
static int rows_from_json(FILE *csv, const char *json, const char *backend, const char *params,
                          long process_rss_kb) {
    const char *s = json;
    if (!json_find_benchmarks(&s)) return -1;
    int rows = 0;
    for (;;) {
        skip_ws(&s);
        if (*s == ']') return rows;
        json_object b;
        if (!json_flat_object(&s, &b)) return -1;
        const char *run_type = object_get(&b, "run_type");
        if (!run_type || strcmp(run_type, "aggregate") != 0) {
            const char *name = object_get(&b, "run_name") ? object_get(&b, "run_name") : object_get(&b, "name");
            const char *error = object_get(&b, "error_occurred");
            bool failed = error && !strcmp(error, "true");
            const char *rep = object_get(&b, "repetition_index");
            const char *iterations = object_get(&b, "iterations");
            const char *real = object_get(&b, "real_time"), *cpu = object_get(&b, "cpu_time");
            double scale = unit_ns(object_get(&b, "time_unit"));
            micro_row r = {0};
            row_set(&r, "backend", backend);
            row_set(&r, "scheduler", "NA");
            row_own(&r, "workload", asb_xasprintf("micro:%s", name ? name : "?"));
            row_set(&r, "preset", "standard");
            row_set(&r, "params", params);
            row_own(&r, "threads", asb_xstrdup(object_get(&b, "threads") ? object_get(&b, "threads") : "1"));
            row_own(&r, "repetition", asb_xasprintf("%d", rep ? atoi(rep) + 1 : 1));
            row_set(&r, "machine", asb_machine_id());
            row_set(&r, "status", failed ? "error" : "ok");
            row_set(&r, "message", failed && object_get(&b, "error_message") ? object_get(&b, "error_message") : "");
            if (!failed && iterations && real) {
                double iters = strtod(iterations, NULL), ns = strtod(real, NULL) * scale;
                row_set(&r, "ops", iterations);
                row_own(&r, "ns_per_op", asb_xasprintf("%.4f", ns));
                row_own(&r, "wall_s", asb_xasprintf("%.6f", ns * iters / 1e9));
                const char *allocs = object_get(&b, "allocs_per_op");
                if (allocs) row_own(&r, "allocs_per_op", asb_xasprintf("%.4f", strtod(allocs, NULL)));
                if (cpu) row_own(&r, "cpu_ns_per_op", asb_xasprintf("%.4f", strtod(cpu, NULL) * scale));
                row_own(&r, "extra", asb_xasprintf("extra.process_peak_rss_kb=%ld", process_rss_kb));
            }
            row_write(csv, &r);
            rows++;
        }
        object_free(&b);
        skip_ws(&s);
        if (*s == ',') s++;
    }
}

/* ---- running ---- */

static char *micro_exe(const char *backend) {
    char *path = asb_xasprintf("%s/asbench-micro-%s", asb_exe_dir(), backend);
    if (access(path, X_OK) == 0) return path;
    free(path);
    path = asb_xasprintf("%s/../workloads/micro/asbench-micro-%s", asb_exe_dir(), backend);
    if (access(path, X_OK) == 0) return path;
    free(path);
    return NULL;
}

static char *default_micro_dir(void) {
    char stamp[32];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
    return asb_xasprintf("results/micro-%s", stamp);
}

/* Runs one backend's executable (its console table is progress: to stderr). */
static void run_micro(const char *exe, const asb_alloc_choice *a, const char *json_path, int reps,
                      const char *filter, const char *min_time, asb_outcome *out) {
    asb_argv argv = {0};
    asb_argv_push(&argv, exe);
    asb_argv_pushf(&argv, "--benchmark_out=%s", json_path);
    asb_argv_push(&argv, "--benchmark_out_format=json");
    asb_argv_pushf(&argv, "--benchmark_repetitions=%d", reps);
    if (filter) asb_argv_pushf(&argv, "--benchmark_filter=%s", filter);
    if (min_time) asb_argv_pushf(&argv, "--benchmark_min_time=%s", min_time);
    asb_launch l = {.argv = &argv, .alloc = a, .stdout_to_stderr = true};
    asb_client_run(&l, out);
    asb_argv_free(&argv);
}

int asb_cmd_micro(int argc, char **argv) {
    const char *alloc_spec = "all", *filter = NULL, *min_time = NULL, *dir_opt = NULL;
    int reps = 3;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(micro_usage, stdout);
            return 0;
        }
        if (i + 1 >= argc) asb_die_usage("micro: option %s needs a value\n%s", a, micro_usage);
        const char *v = argv[++i];
        if (!strcmp(a, "--alloc")) alloc_spec = v;
        else if (!strcmp(a, "--filter")) filter = v;
        else if (!strcmp(a, "--min-time")) {
            char *end;
            double t = strtod(v, &end);
            if (*end || !(t > 0)) asb_die_usage("micro: --min-time %s: need a number of seconds > 0", v);
            min_time = v;
        } else if (!strcmp(a, "--reps")) {
            char *end;
            long r = strtol(v, &end, 10);
            if (*end || r < 1 || r > 1000) asb_die_usage("micro: --reps %s: need an integer in 1..1000", v);
            reps = (int)r;
        } else if (!strcmp(a, "-o")) dir_opt = v;
        else asb_die_usage("micro: unknown option %s\n%s", a, micro_usage);
    }
    asb_alloc_choice *allocs;
    char *err = NULL;
    int nallocs = asb_parse_allocs(alloc_spec, &allocs, &err);
    if (nallocs < 0) asb_die_usage("micro: %s", err);
    asb_refuse_go_heap("micro", allocs, nallocs);
    char **exes = asb_xmalloc((size_t)nallocs * sizeof *exes);
    for (int i = 0; i < nallocs; i++)
        if (!(exes[i] = micro_exe(allocs[i].worker)))
            asb_die_usage("micro: no asbench-micro-%s next to asbench: the micro-benchmarks need Google Benchmark "
                          "(Debian: libbenchmark-dev) at build time, and a built backend",
                          allocs[i].worker);

    char *dir = dir_opt ? asb_xstrdup(dir_opt) : default_micro_dir();
    if (asb_mkdirs(dir) != 0) asb_die_usage("micro: cannot create %s: %s", dir, strerror(errno));
    char *csv_path = asb_xasprintf("%s/results.csv", dir);
    FILE *csv = fopen(csv_path, "a");
    if (!csv) asb_die_usage("micro: cannot write %s: %s", csv_path, strerror(errno));
    if (ftell(csv) == 0)
        for (int i = 0; i < asb_ncsv_columns; i++) asb_csv_field(csv, asb_csv_columns[i], i == asb_ncsv_columns - 1);
    char *params = min_time ? asb_xasprintf("min_time=%s", min_time) : asb_xstrdup("");

    int failures = 0;
    for (int i = 0; i < nallocs; i++) {
        const char *name = allocs[i].name;
        char *json_path = asb_xasprintf("%s/micro-%s.json", dir, name);
        unlink(json_path);
        fprintf(stderr, "[%d/%d] micro-benchmarks under %s\n", i + 1, nallocs, name);
        asb_outcome out;
        run_micro(exes[i], &allocs[i], json_path, reps, filter, min_time, &out);
        size_t len;
        char *json = asb_read_file(json_path, &len);
        int rows = json ? rows_from_json(csv, json, name, params, out.ru.ru_maxrss) : -1;
        bool clean_exit = !strcmp(out.status, "ok");
        if (rows < 0 || !clean_exit) {
            /* No (complete) JSON: one row says what happened to the process. */
            micro_row r = {0};
            row_set(&r, "backend", name);
            row_set(&r, "scheduler", "NA");
            row_set(&r, "workload", "micro");
            row_set(&r, "preset", "standard");
            row_set(&r, "params", params);
            row_set(&r, "threads", "1");
            row_set(&r, "repetition", "1");
            row_set(&r, "machine", asb_machine_id());
            /* A clean exit without JSON is the harness's problem, not the benchmark's. */
            row_set(&r, "status", clean_exit ? "error" : out.status);
            row_own(&r, "message", clean_exit || !out.message
                                       ? asb_xasprintf("no readable Google Benchmark JSON in %s", json_path)
                                       : asb_xasprintf("asbench-micro-%s: %s", name, out.message));
            row_write(csv, &r);
            failures++;
            fprintf(stderr, "  -> %s: see %s\n", name, json ? json_path : "the output above");
        }
        fflush(csv);
        asb_outcome_free(&out);
        free(json);
        free(json_path);
    }
    fclose(csv);
    fprintf(stderr, "asbench: micro-benchmarks of %d backend%s, %d not clean; rows in %s (chart them with "
                    "asbench plot %s)\n",
            nallocs, nallocs == 1 ? "" : "s", failures, csv_path, dir);
    for (int i = 0; i < nallocs; i++) {
        free(exes[i]);
        asb_alloc_choice_free(&allocs[i]);
    }
    free(exes);
    free(allocs);
    free(params);
    free(csv_path);
    free(dir);
    return failures ? 1 : 0;
}
