/*
 * matrix.c — the benchmark matrix: a small line-based text format (see
 * docs/harness.md, "Matrix files") parsed into cells and run settings.
 *
 *   set reps=5 timeout=300 preset=quick      # settings; later lines win
 *   run workload=churn,larson alloc=all threads=1,2 size=64,4096
 *
 * A `run` line multiplies workloads × schedulers × parameter values ×
 * threads × backends.  The command line of `asbench run` is turned into
 * the same text, so one parser serves matrix files, the options and
 * `--resume` (which re-reads DIR/matrix.txt).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/latency.h"
#include "asbench.h"

/* The `go` scheduler is the Go runtime in its own worker binary. */
static const char go_sched[] = "go";

/* A matrix larger than this is a typo multiplying axes (four times the
 * full matrix's ~5000 cells), not a plan: it is refused before it fills
 * memory. */
enum { MATRIX_MAX_CELLS = 20000 };

/* Open-addressed set of the cells' keys (slot = cell index + 1), so that
 * finding a duplicate cell costs the same in a 20000-cell matrix as in a
 * small one. */
typedef struct key_set {
    int *slot;
    size_t cap; /* a power of two, at least twice the cells */
} key_set;

typedef struct parse_state {
    asb_matrix *m;
    const char *source;
    int line;
    char **err;
    key_set keys;
} parse_state;

static size_t key_hash(const char *s) {
    size_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* The index of the cell whose key is `key`, or -1; with `insert` (the
 * index of a new cell) records it when absent. */
static int key_set_find(key_set *ks, const asb_matrix *m, const char *key, int insert) {
    size_t mask = ks->cap - 1;
    for (size_t i = key_hash(key) & mask;; i = (i + 1) & mask) {
        int at = ks->slot[i] - 1;
        if (at < 0) {
            if (insert >= 0) ks->slot[i] = insert + 1;
            return -1;
        }
        if (!strcmp(m->cells[at].key, key)) return at;
    }
}

/* Makes room for one more cell, rehashing every key when the set is half
 * full. */
static void key_set_reserve(key_set *ks, const asb_matrix *m) {
    if ((size_t)(m->ncells + 1) * 2 <= ks->cap) return;
    free(ks->slot);
    ks->cap = ks->cap ? ks->cap * 2 : 256;
    while (ks->cap < (size_t)(m->ncells + 1) * 2) ks->cap *= 2;
    ks->slot = calloc(ks->cap, sizeof *ks->slot);
    if (!ks->slot) asb_die("out of memory");
    for (int i = 0; i < m->ncells; i++) key_set_find(ks, m, m->cells[i].key, i);
}

static int fail(parse_state *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(parse_state *ps, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *what;
    if (vasprintf(&what, fmt, ap) < 0) asb_die("out of memory");
    va_end(ap);
    *ps->err = asb_xasprintf("%s:%d: %s", ps->source, ps->line, what);
    free(what);
    return -1;
}

void asb_matrix_init(asb_matrix *m) {
    *m = (asb_matrix){.warmup = true, .timeout_s = 600, .sample_ms = 10, .baseline = asb_xstrdup("glibc"),
                      .shard_index = 1, .shard_count = 1, .text = asb_xstrdup("")};
}

char *asb_matrix_path(const char *name) {
    if (!strcmp(name, "quick") || !strcmp(name, "full") || !strcmp(name, "default"))
        return asb_xasprintf("%s/harness/matrices/%s.txt", asb_source_dir(), name);
    return asb_xstrdup(name);
}

char *asb_cell_key(const char *backend, const char *sched, const char *workload, const char *params,
                   const char *threads) {
    return asb_xasprintf("%s|%s|%s|%s|%s", backend, sched ? sched : "NA", workload, params, threads);
}

char *asb_cell_group_key(const asb_cell *c) {
    return asb_xasprintf("%s|%s|%d", c->workload->name, c->params, c->threads);
}

bool asb_matrix_in_shard(const asb_matrix *m, int i) { return m->cells[i].shard == m->shard_index; }

/* Shards hold whole comparison groups, so that every ratio between the
 * backends or schedulers of a group is one machine's. */
typedef struct comparison_group {
    const char *key;
    int first; /* index of its first cell in matrix order */
    int size;  /* its cells */
    int shard;
} comparison_group;

typedef struct cell_slot {
    char *group_key;
    int cell;  /* index in matrix order */
    int group; /* index into the groups */
    int first; /* the group's first cell */
} cell_slot;

static int cmp_int(int a, int b) { return (a > b) - (a < b); }

static int by_group_then_cell(const void *a, const void *b) {
    const cell_slot *x = a, *y = b;
    int c = strcmp(x->group_key, y->group_key);
    return c ? c : cmp_int(x->cell, y->cell);
}

static int by_first_then_cell(const void *a, const void *b) {
    const cell_slot *x = a, *y = b;
    return x->first != y->first ? cmp_int(x->first, y->first) : cmp_int(x->cell, y->cell);
}

/* Largest first; equal sizes by key, so that the assignment depends on the
 * groups alone, not on the order of the matrix lines (nor on a hash seed). */
static int by_size_then_key(const void *a, const void *b) {
    const comparison_group *x = *(comparison_group *const *)a, *y = *(comparison_group *const *)b;
    return x->size != y->size ? cmp_int(y->size, x->size) : strcmp(x->key, y->key);
}

/* Orders the cells by comparison group (groups in order of first appearance,
 * matrix order within one, so that a shard's neighbouring runs compare
 * backends and schedulers) and gives every group a shard: largest group
 * first, each to the shard with the fewest cells so far (the lowest-numbered
 * on a tie).  Every cell has the same repetitions, so cells count runs, and
 * two shards differ by at most the largest group's runs. */
static void assign_shards(asb_matrix *m) {
    int n = m->ncells;
    cell_slot *slots = asb_xmalloc((size_t)n * sizeof *slots);
    for (int i = 0; i < n; i++) slots[i] = (cell_slot){.group_key = asb_cell_group_key(&m->cells[i]), .cell = i};
    qsort(slots, (size_t)n, sizeof *slots, by_group_then_cell);
    comparison_group *groups = asb_xmalloc((size_t)n * sizeof *groups);
    int ngroups = 0;
    for (int i = 0; i < n; i++) {
        if (i == 0 || strcmp(slots[i].group_key, slots[i - 1].group_key))
            groups[ngroups++] = (comparison_group){.key = slots[i].group_key, .first = slots[i].cell};
        slots[i].group = ngroups - 1;
        groups[ngroups - 1].size++;
    }
    comparison_group **by_size = asb_xmalloc((size_t)ngroups * sizeof *by_size);
    for (int g = 0; g < ngroups; g++) by_size[g] = &groups[g];
    qsort(by_size, (size_t)ngroups, sizeof *by_size, by_size_then_key);
    int *load = asb_xmalloc((size_t)m->shard_count * sizeof *load);
    for (int s = 0; s < m->shard_count; s++) load[s] = 0;
    for (int g = 0; g < ngroups; g++) {
        int lightest = 0;
        for (int s = 1; s < m->shard_count; s++)
            if (load[s] < load[lightest]) lightest = s;
        load[lightest] += by_size[g]->size;
        by_size[g]->shard = lightest + 1;
    }
    for (int i = 0; i < n; i++) {
        slots[i].first = groups[slots[i].group].first;
        m->cells[slots[i].cell].shard = groups[slots[i].group].shard;
    }
    qsort(slots, (size_t)n, sizeof *slots, by_first_then_cell);
    asb_cell *ordered = asb_xmalloc((size_t)n * sizeof *ordered);
    for (int i = 0; i < n; i++) {
        ordered[i] = m->cells[slots[i].cell];
        free(slots[i].group_key);
    }
    free(m->cells);
    m->cells = ordered;
    free(load);
    free(by_size);
    free(groups);
    free(slots);
}

/* The kinds `asbench list` shows and `workload=all` takes; others (the
 * harness's "test" workloads, `asbench stress`'s "stress") run only when named. */
static bool is_benchmark(const asb_workload *w) {
    return !strcmp(w->kind, "alloc") || !strcmp(w->kind, "sched") || !strcmp(w->kind, "trace");
}

static void append_name(char **list, const char *name) {
    char *next = asb_xasprintf("%s%s%s", *list, **list ? ", " : "", name);
    free(*list);
    *list = next;
}

static char *workload_names(void) {
    char *out = asb_xstrdup("");
    for (int i = 0; asb_workload_at(i); i++)
        if (is_benchmark(asb_workload_at(i)) || !strcmp(asb_workload_at(i)->kind, "app"))
            append_name(&out, asb_workload_at(i)->name);
    return out;
}

static char *sched_names(void) {
    char *out = asb_xstrdup("");
    for (int i = 0; asb_sched_at(i); i++) append_name(&out, asb_sched_at(i)->name);
    if (!asb_sched_find(go_sched)) append_name(&out, go_sched);
    return out;
}

static bool known_sched(const char *name) { return asb_sched_find(name) || !strcmp(name, go_sched); }

/* One item of sched=: a scheduler, or a variant name=sched[VAR=VALUE;…].
 * Fills the cell's sched, sched_base and sched_env; -1 after a failure. */
static int sched_choice(parse_state *ps, const char *item, asb_cell *cell) {
    char *label, *base, *settings, *err;
    int variant = asb_parse_variant(item, &label, &base, &settings, &err);
    if (variant < 0) {
        fail(ps, "sched=: %s", err);
        free(err);
        return -1;
    }
    if (variant == 0) {
        label = asb_xstrdup(item);
        base = asb_xstrdup(item);
        settings = NULL;
    }
    const char *problem = !known_sched(base) ? "unknown scheduler"
                          : variant && known_sched(label) ? "a variant needs a name of its own, not the scheduler"
                                                          : NULL;
    if (problem) {
        char *valid = sched_names();
        fail(ps, "%s '%s' (valid: %s, or name=scheduler[VAR=VALUE;…])", problem, known_sched(base) ? label : base,
             valid);
        free(valid);
        free(label);
        free(base);
        free(settings);
        return -1;
    }
    *cell = (asb_cell){.sched = label, .sched_base = base, .sched_env = settings};
    return 0;
}

static int parse_int(parse_state *ps, const char *key, const char *v, int lo, int hi, int *out) {
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi)
        return fail(ps, "%s=%s: need an integer in %d..%d", key, v, lo, hi);
    *out = (int)x;
    return 0;
}

static int parse_bool(parse_state *ps, const char *key, const char *v, bool *out) {
    if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1")) *out = true;
    else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0")) *out = false;
    else return fail(ps, "%s=%s: need yes or no", key, v);
    return 0;
}

/* Seconds > 0 (or ≥ 0 where zero means off). */
static int parse_seconds(parse_state *ps, const char *key, const char *v, bool zero_ok, double *out) {
    char *end;
    double t = strtod(v, &end);
    if (end == v || *end || !(zero_ok ? t >= 0 : t > 0) || !isfinite(t))
        return fail(ps, "%s=%s: need seconds %s 0", key, v, zero_ok ? ">=" : ">");
    *out = t;
    return 0;
}

static int parse_preset(parse_state *ps, const char *v, bool *quick) {
    if (strcmp(v, "quick") && strcmp(v, "standard"))
        return fail(ps, "preset=%s: valid presets are quick, standard", v);
    *quick = !strcmp(v, "quick");
    return 0;
}

static int parse_set(parse_state *ps, const char *key, const char *v) {
    asb_matrix *m = ps->m;
    if (!strcmp(key, "reps")) return parse_int(ps, key, v, 1, 1000, &m->reps);
    if (!strcmp(key, "preset")) return parse_preset(ps, v, &m->quick);
    if (!strcmp(key, "warmup")) return parse_bool(ps, key, v, &m->warmup);
    if (!strcmp(key, "futex-counts")) return parse_bool(ps, key, v, &m->futex_counts);
    if (!strcmp(key, "sample-ms")) return parse_int(ps, key, v, 1, 60000, &m->sample_ms);
    if (!strcmp(key, "timeout")) return parse_seconds(ps, key, v, false, &m->timeout_s);
    if (!strcmp(key, "min-time")) return parse_seconds(ps, key, v, true, &m->min_time_s);
    if (!strcmp(key, "budget")) return parse_seconds(ps, key, v, true, &m->budget_s);
    if (!strcmp(key, "max-reps")) return parse_int(ps, key, v, 1, 1000, &m->max_reps);
    if (!strcmp(key, "nice")) {
        m->has_nice = true;
        return parse_int(ps, key, v, -20, 19, &m->nice_value);
    }
    if (!strcmp(key, "target-ci")) {
        char *end;
        double pct = strtod(v, &end);
        if (end == v || (*end && strcmp(end, "%")) || !(pct >= 0 && pct < 100))
            return fail(ps, "target-ci=%s: need a percentage such as 2%% (0 = off)", v);
        m->target_ci = pct / 100;
        return 0;
    }
    if (!strcmp(key, "counters")) {
        if (strcmp(v, "none") && strcmp(v, "cachegrind") && strcmp(v, "perf"))
            return fail(ps, "counters=%s: valid values are none, cachegrind, perf", v);
        free(m->counters);
        m->counters = strcmp(v, "none") ? asb_xstrdup(v) : NULL;
        return 0;
    }
    if (!strcmp(key, "pin")) {
        if (!*v || strspn(v, "0123456789,-") != strlen(v) || !isdigit((unsigned char)v[0]))
            return fail(ps, "pin=%s: need a CPU list such as 0 or 0-3,6", v);
        free(m->pin);
        m->pin = asb_xstrdup(v);
        return 0;
    }
    if (!strcmp(key, "baseline")) {
        free(m->baseline);
        m->baseline = asb_xstrdup(v);
        return 0;
    }
    if (!strcmp(key, "shard")) {
        /* More shards than cells in the full matrix would be empty ones. */
        enum { MAX_SHARDS = 10000 };
        char *end;
        errno = 0;
        long i = strtol(v, &end, 10), n = 0;
        if (!errno && end != v && *end == '/') {
            const char *count = end + 1;
            n = strtol(count, &end, 10);
            if (errno || end == count || *end) n = 0;
        }
        if (n < 1 || n > MAX_SHARDS || i < 1 || i > n)
            return fail(ps, "shard=%s: need i/n with 1 <= i <= n <= %d", v, MAX_SHARDS);
        m->shard_index = (int)i;
        m->shard_count = (int)n;
        return 0;
    }
    return fail(ps, "unknown setting '%s' (valid: reps, preset, warmup, timeout, min-time, target-ci, max-reps, "
                    "budget, counters, nice, sample-ms, pin, futex-counts, baseline, shard)", key);
}

/* latency=N (--latency): the sampling period of the malloc/free latency
 * sampling, a parameter of every allocator and trace workload that the
 * worker takes as --latency N (workloads/alloc/latency.h).  A sampled cell's
 * params end in "latency=N", so it never shares a key with an unsampled one;
 * latency=0 is the unsampled cell. */
static bool samples_latency(const asb_workload *w) { return !strcmp(w->kind, "alloc") || !strcmp(w->kind, "trace"); }

static bool workload_has_param(const asb_workload *w, const char *key) {
    if (!strcmp(key, "latency")) return samples_latency(w);
    for (int i = 0; w->params && w->params[i].name; i++)
        if (!strcmp(w->params[i].name, key)) return true;
    return false;
}

/* Effective parameters of a workload, as "k=v k=v". */
static char *effective_params(const asb_workload *w, bool quick, const asb_strlist *overrides) {
    char *out = asb_xstrdup("");
    for (int i = 0; w->params && w->params[i].name; i++) {
        const char *v = quick && w->params[i].quick ? w->params[i].quick : w->params[i].def;
        size_t klen = strlen(w->params[i].name);
        for (int j = 0; j < overrides->n; j++)
            if (!strncmp(overrides->items[j], w->params[i].name, klen) && overrides->items[j][klen] == '=')
                v = overrides->items[j] + klen + 1;
        char *next = asb_xasprintf("%s%s%s=%s", out, *out ? " " : "", w->params[i].name, v);
        free(out);
        out = next;
    }
    for (int j = 0; j < overrides->n; j++)
        if (!strncmp(overrides->items[j], "latency=", 8) && strcmp(overrides->items[j], "latency=0")) {
            char *next = asb_xasprintf("%s%s%s", out, *out ? " " : "", overrides->items[j]);
            free(out);
            out = next;
        }
    return out;
}

void asb_cell_set_param(asb_cell *c, const char *key, const char *value) {
    size_t klen = strlen(key);
    for (int j = 0; j < c->overrides.n; j++)
        if (!strncmp(c->overrides.items[j], key, klen) && c->overrides.items[j][klen] == '=') {
            free(c->overrides.items[j]);
            c->overrides.items[j] = asb_xasprintf("%s=%s", key, value);
            goto rebuilt;
        }
    char *item = asb_xasprintf("%s=%s", key, value);
    asb_strlist_push(&c->overrides, item);
    free(item);
rebuilt:
    free(c->params);
    c->params = effective_params(c->workload, c->quick, &c->overrides);
    char threads[16];
    snprintf(threads, sizeof threads, "%d", c->threads);
    free(c->key);
    c->key = asb_cell_key(c->alloc.name, c->sched, c->workload->name, c->params, threads);
}

/* What one `run` line names. */
typedef struct run_line {
    asb_strlist workloads, scheds, threads;
    asb_alloc_choice *allocs;
    int nallocs;
    bool quick;
    asb_strlist param_keys;   /* parameter axes, in line order */
    asb_strlist *param_values; /* values per axis */
} run_line;

static char *strdup_or_null(const char *s) { return s ? asb_xstrdup(s) : NULL; }

static void cell_free(asb_cell *c) {
    asb_alloc_choice_free(&c->alloc);
    free(c->sched);
    free(c->sched_base);
    free(c->sched_env);
    asb_strlist_free(&c->overrides);
    free(c->params);
    free(c->key);
}

void asb_matrix_free(asb_matrix *m) {
    for (int i = 0; i < m->ncells; i++) cell_free(&m->cells[i]);
    free(m->cells);
    free(m->counters);
    free(m->pin);
    free(m->baseline);
    free(m->text);
    *m = (asb_matrix){0};
}

static int add_cell(parse_state *ps, asb_cell *proto, const asb_alloc_choice *alloc) {
    asb_matrix *m = ps->m;
    asb_cell c = *proto;
    c.alloc = asb_alloc_choice_copy(alloc);
    c.sched = strdup_or_null(proto->sched);
    c.sched_base = strdup_or_null(proto->sched_base);
    c.sched_env = strdup_or_null(proto->sched_env);
    c.overrides = (asb_strlist){0};
    /* The Go worker has no sampling wrapper: its cells run unsampled. */
    for (int i = 0; i < proto->overrides.n; i++)
        if (strcmp(c.alloc.worker, go_sched) || strncmp(proto->overrides.items[i], "latency=", 8))
            asb_strlist_push(&c.overrides, proto->overrides.items[i]);
    c.params = effective_params(c.workload, c.quick, &c.overrides);
    char threads[16];
    snprintf(threads, sizeof threads, "%d", c.threads);
    c.key = asb_cell_key(c.alloc.name, c.sched, c.workload->name, c.params, threads);
    int r = 0;
    if (m->ncells >= MATRIX_MAX_CELLS)
        r = fail(ps, "the matrix would have more than %d cells (the axes of a run line multiply: workloads x "
                     "schedulers x parameter values x threads x backends)", MATRIX_MAX_CELLS);
    else {
        key_set_reserve(&ps->keys, m);
        if (key_set_find(&ps->keys, m, c.key, m->ncells) >= 0)
            r = fail(ps, "cell %s %s%s%s t=%d (%s) is already in the matrix", c.workload->name, c.alloc.name,
                     c.sched ? " " : "", c.sched ? c.sched : "", c.threads, c.params);
    }
    if (r) {
        cell_free(&c);
        return r;
    }
    m->cells = realloc(m->cells, (size_t)(m->ncells + 1) * sizeof *m->cells);
    if (!m->cells) asb_die("out of memory");
    m->cells[m->ncells++] = c;
    return 0;
}

/* Cartesian product of the parameter axes the workload has, then threads
 * and backends (innermost, so that neighbouring runs compare backends). */
static int expand_params(parse_state *ps, run_line *rl, asb_cell *proto, int axis) {
    if (axis == rl->param_keys.n) {
        for (int t = 0; t < rl->threads.n; t++) {
            proto->threads = atoi(rl->threads.items[t]);
            if (proto->sched && !strcmp(proto->sched_base, go_sched)) {
                asb_alloc_choice go = {(char *)go_sched, (char *)go_sched, NULL, NULL};
                if (add_cell(ps, proto, &go)) return -1;
                continue;
            }
            for (int a = 0; a < rl->nallocs; a++)
                if (add_cell(ps, proto, &rl->allocs[a])) return -1;
        }
        return 0;
    }
    if (!workload_has_param(proto->workload, rl->param_keys.items[axis]))
        return expand_params(ps, rl, proto, axis + 1);
    for (int v = 0; v < rl->param_values[axis].n; v++) {
        char *kv = asb_xasprintf("%s=%s", rl->param_keys.items[axis], rl->param_values[axis].items[v]);
        asb_strlist_push(&proto->overrides, kv);
        free(kv);
        int r = expand_params(ps, rl, proto, axis + 1);
        free(proto->overrides.items[--proto->overrides.n]);
        if (r) return r;
    }
    return 0;
}

/* Items of workload=: names, all, all:KIND (alloc, sched, trace, app) or
 * app:all; after an app:NAME item a bare name may be another application
 * (app:sqlite3,lua5.4).  `all` leaves the applications out: they need
 * their Debian packages. */
static int add_workloads(parse_state *ps, asb_strlist *out, const char *spec) {
    asb_strlist items = {0};
    asb_strlist_split(&items, spec, ',');
    bool after_app = false;
    for (int i = 0; i < items.n; i++) {
        const char *v = items.items[i];
        if (!strcmp(v, "app:all")) v = "all:app";
        if (strcmp(v, "all") && strncmp(v, "all:", 4)) {
            char *app = asb_xasprintf("app:%s", v);
            bool bare_app = after_app && !asb_workload_find(v) && asb_workload_find(app);
            asb_strlist_push(out, bare_app ? app : v);
            after_app = bare_app || !strncmp(v, "app:", 4);
            free(app);
            continue;
        }
        const char *kind = v[3] ? v + 4 : NULL;
        if (kind && strcmp(kind, "alloc") && strcmp(kind, "sched") && strcmp(kind, "trace") && strcmp(kind, "app")) {
            fail(ps, "workload=%s: valid kinds after all: are alloc, sched, trace, app", v);
            asb_strlist_free(&items);
            return -1;
        }
        for (int w = 0; asb_workload_at(w); w++) {
            const asb_workload *wl = asb_workload_at(w);
            if (kind ? !strcmp(wl->kind, kind) : is_benchmark(wl)) asb_strlist_push(out, wl->name);
        }
    }
    asb_strlist_free(&items);
    return 0;
}

/* latency=N,…: sampling periods in 0..ASB_LATENCY_MAX_PERIOD (0 = off). */
static int check_latency_periods(parse_state *ps, const char *list) {
    asb_strlist items = {0};
    asb_strlist_split(&items, list, ',');
    int r = 0;
    for (int i = 0; i < items.n && r == 0; i++) {
        int period;
        r = parse_int(ps, "latency", items.items[i], 0, ASB_LATENCY_MAX_PERIOD, &period);
    }
    asb_strlist_free(&items);
    return r;
}

static int parse_run(parse_state *ps, char **keys, char **values, int ntok) {
    run_line rl = {.quick = ps->m->quick};
    asb_cell *sched_cells = NULL; /* one per item of sched= */
    int nsched_cells = 0;
    rl.param_values = asb_xmalloc((size_t)(ntok + 1) * sizeof *rl.param_values);
    const char *alloc_spec = "all", *sched_spec = "all", *threads_spec = "1";
    int r = -1;
    for (int i = 0; i < ntok; i++) {
        const char *k = keys[i], *v = values[i];
        if (!*v) { fail(ps, "%s= has no value", k); goto out; }
        if (!strcmp(k, "workload")) {
            if (add_workloads(ps, &rl.workloads, v)) goto out;
        } else if (!strcmp(k, "alloc")) alloc_spec = v;
        else if (!strcmp(k, "sched")) sched_spec = v;
        else if (!strcmp(k, "threads")) threads_spec = v;
        else if (!strcmp(k, "preset")) {
            if (parse_preset(ps, v, &rl.quick)) goto out;
        } else {
            if (asb_strlist_has(&rl.param_keys, k)) { fail(ps, "parameter %s given twice", k); goto out; }
            if (!strcmp(k, "latency") && check_latency_periods(ps, v)) goto out;
            asb_strlist_split(&rl.param_values[rl.param_keys.n], v, ',');
            asb_strlist_push(&rl.param_keys, k);
        }
    }
    if (rl.workloads.n == 0) { fail(ps, "run line names no workload (workload=NAME[,NAME…] or all)"); goto out; }
    for (int i = 0; i < rl.workloads.n; i++)
        if (!asb_workload_find(rl.workloads.items[i])) {
            char *valid = workload_names();
            fail(ps, "unknown workload '%s' (valid: %s)", rl.workloads.items[i], valid);
            free(valid);
            goto out;
        }
    for (int p = 0; p < rl.param_keys.n; p++) {
        bool used = false;
        for (int i = 0; i < rl.workloads.n; i++)
            used |= workload_has_param(asb_workload_find(rl.workloads.items[i]), rl.param_keys.items[p]);
        if (!used && !strcmp(rl.param_keys.items[p], "latency")) {
            fail(ps, "latency=: malloc/free latency sampling covers the allocator and trace workloads; "
                     "this line has none");
            goto out;
        }
        if (!used) {
            fail(ps, "no workload of this line has a parameter '%s' (see asbench list)", rl.param_keys.items[p]);
            goto out;
        }
    }
    char *err = NULL;
    rl.nallocs = asb_parse_allocs(alloc_spec, &rl.allocs, &err);
    if (rl.nallocs < 0) {
        fail(ps, "alloc=%s: %s", alloc_spec, err);
        free(err);
        goto out;
    }
    if (!strcmp(sched_spec, "all")) {
        for (int i = 0; asb_sched_at(i); i++) asb_strlist_push(&rl.scheds, asb_sched_at(i)->name);
        /* go needs no C scheduler; a build may register a descriptor for it */
        if (!asb_sched_find(go_sched)) asb_strlist_push(&rl.scheds, go_sched);
    } else {
        asb_split_choices(&rl.scheds, sched_spec);
    }
    /* Each scheduler item parsed once; each cell copies its strings. */
    sched_cells = asb_xmalloc((size_t)rl.scheds.n * sizeof *sched_cells);
    for (; nsched_cells < rl.scheds.n; nsched_cells++)
        if (sched_choice(ps, rl.scheds.items[nsched_cells], &sched_cells[nsched_cells])) goto out;
    asb_strlist_split(&rl.threads, threads_spec, ',');
    if (rl.threads.n == 0) { fail(ps, "threads=: empty list"); goto out; }
    for (int i = 0; i < rl.threads.n; i++) {
        int t;
        if (parse_int(ps, "threads", rl.threads.items[i], 1, 4096, &t)) goto out;
    }
    for (int w = 0; w < rl.workloads.n; w++) {
        const asb_workload *wl = asb_workload_find(rl.workloads.items[w]);
        bool is_sched = !strcmp(wl->kind, "sched");
        for (int s = 0; s < (is_sched ? rl.scheds.n : 1); s++) {
            asb_cell proto = is_sched ? sched_cells[s] : (asb_cell){0};
            proto.workload = wl;
            proto.quick = rl.quick;
            int e = expand_params(ps, &rl, &proto, 0);
            asb_strlist_free(&proto.overrides);
            if (e) goto out;
        }
    }
    r = 0;
out:
    for (int k = 0; k < nsched_cells; k++) cell_free(&sched_cells[k]); /* only the scheduler strings are set */
    free(sched_cells);
    for (int a = 0; a < rl.nallocs; a++) asb_alloc_choice_free(&rl.allocs[a]);
    free(rl.allocs);
    for (int p = 0; p < rl.param_keys.n; p++) asb_strlist_free(&rl.param_values[p]);
    free(rl.param_values);
    asb_strlist_free(&rl.param_keys);
    asb_strlist_free(&rl.workloads);
    asb_strlist_free(&rl.scheds);
    asb_strlist_free(&rl.threads);
    return r;
}

static int parse_line(parse_state *ps, char *line) {
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    enum { MAX_TOKENS = 64 };
    char *tok[MAX_TOKENS], *keys[MAX_TOKENS], *values[MAX_TOKENS];
    int n = 0;
    for (char *save, *t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
        if (n == MAX_TOKENS) return fail(ps, "more than %d words on one line", MAX_TOKENS);
        tok[n++] = t;
    }
    if (n == 0) return 0;
    bool is_set = !strcmp(tok[0], "set");
    if (!is_set && strcmp(tok[0], "run"))
        return fail(ps, "expected 'set' or 'run' at the start of the line, found '%s'", tok[0]);
    if (n == 1) return fail(ps, "'%s' without key=value words", tok[0]);
    for (int i = 1; i < n; i++) {
        char *eq = strchr(tok[i], '=');
        if (!eq || eq == tok[i]) return fail(ps, "'%s' is not key=value", tok[i]);
        *eq = 0;
        keys[i - 1] = tok[i];
        values[i - 1] = eq + 1;
    }
    if (!is_set) return parse_run(ps, keys, values, n - 1);
    for (int i = 0; i < n - 1; i++)
        if (parse_set(ps, keys[i], values[i])) return -1;
    return 0;
}

int asb_matrix_parse(asb_matrix *m, const char *source, const char *text, char **err) {
    parse_state ps = {m, source, 0, err, {0}};
    char *copy = asb_xstrdup(text);
    int r = 0;
    for (char *line = copy, *next; line && r == 0; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        ps.line++;
        r = parse_line(&ps, line);
    }
    free(copy);
    free(ps.keys.slot);
    if (r == 0) {
        /* Here, not per line: a later `set shard=` applies to earlier cells. */
        assign_shards(m);
        char *joined = asb_xasprintf("%s%s%s", m->text, text, *text && text[strlen(text) - 1] != '\n' ? "\n" : "");
        free(m->text);
        m->text = joined;
    }
    return r;
}
