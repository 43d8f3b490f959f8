/*
 * reproduce.c — `asbench reproduce NAME`: re-run the experiment behind a
 * published figure and put the published and the measured figure side by
 * side with a verdict.
 *
 * A recipe (reproduce/recipes/NAME.recipe, format in docs/reproduce.md) names
 * variants — each one `asbench run` with its own arguments and environment
 * (ablation switches such as GOSTYLEDEBUG=mcache=0 reach the workers because
 * they inherit the harness's environment) — and checks: an arithmetic
 * expression over medians of result columns (usually a ratio between two
 * designs), the published value of the same quantity, and the rule that
 * decides whether the published shape holds here.
 *
 * Each variant runs as a child `asbench run … -o DIR/VARIANT` (this very
 * executable, /proc/self/exe), so a reproduction is measured exactly like any
 * other run.  A backend, workload or scheduler that this build lacks is
 * dropped from the variant and every check that needed it reads
 * "not comparable: <what is missing>"; a malformed recipe is bad input
 * (exit 2 with file:line) and is caught before anything runs.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "asbench.h"

/* How a check's measured value is judged against the published one. */
typedef enum rule_kind {
    RULE_SAME_SIDE,   /* both above 1 or both below 1 (ties aside): the same design wins */
    RULE_WITHIN,      /* same side, and within a factor `factor` of published */
    RULE_LOWER_BOUND, /* published is "more than P": holds if measured ≥ P / factor */
    RULE_UPPER_BOUND, /* published is "at most P": holds if measured ≤ P × factor */
    RULE_NEAR,        /* |measured / published − 1| ≤ factor (e.g. "equal") */
    RULE_ABOVE,       /* measured > factor: a direction the source states without a number */
    RULE_BELOW,       /* measured < factor */
    RULE_REPORT,      /* not comparable by nature (absolute times of another machine) */
} rule_kind;

typedef struct rule {
    rule_kind kind;
    double factor;
    char *reason; /* RULE_REPORT */
} rule;

/* A reference to measured data: median of COLUMN over the ok runs of
 * VARIANT that match every KEY=VALUE filter. */
typedef struct ref {
    int variant;
    char *column;
    asb_strlist filters;
    char *text;
} ref;

typedef struct expr {
    char op; /* 'n' number, 'r' reference, or one of + - * / */
    double num;
    ref *ref;
    struct expr *l, *r;
} expr;

typedef struct variant {
    char *name;
    asb_strlist env, args, quick_args;
    int line;
    /* After the run: */
    asb_strlist missing; /* "backend gostyle", … dropped because not built */
    char *failure;       /* why the variant gave no results, or NULL */
    char *command;       /* the asbench run command, for the report */
    char **header;
    int nheader;
    char ***rows;
    int *rowlen;
    int nrows;
} variant;

typedef struct check {
    char *name, *quantity, *published_text, *measure_text, *rule_text;
    bool has_published;
    double published;
    expr *measure;
    rule rule;
    int line;
    /* After the run: */
    double measured;
    char *verdict, *detail;
} check;

typedef struct recipe {
    char *path, *name, *title;
    int name_line;
    asb_strlist sources, notes, quick_args, standard_args;
    bool chart_timeline;
    variant *variants;
    int nvariants;
    check *checks;
    int nchecks;
} recipe;

static const char *usage_text =
    "usage: asbench reproduce --list | NAME|FILE.recipe|all [options]\n"
    "  --list          list the recipes (name and title)\n"
    "  --quick         reduced form of each recipe (CI smoke test; verdicts are indicative only)\n"
    "  -o DIR          output folder (default results/reproduced[-quick]/NAME)\n"
    "  --recipes DIR   recipe folder (default $ASBENCH_RECIPES, ./reproduce/recipes, or the\n"
    "                  source tree's reproduce/recipes)\n"
    "Writes DIR/report.md (published vs measured, verdicts, machine, command), DIR/ratios.png\n"
    "and one `asbench run` results folder per variant, DIR/VARIANT/.\n";

/* ---- recipe parsing ---------------------------------------------------- */

typedef struct parser {
    const char *path;
    int line;
    recipe *r;
} parser;

static void parse_error(const parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void parse_error(const parser *p, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: ", p->path, p->line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(ASB_EXIT_USAGE);
}

static double parse_number(const parser *p, const char *s, const char *what) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (*end == ' ' || *end == '\t') end++;
    if (errno || end == s || *end || !isfinite(v)) parse_error(p, "%s: '%s' is not a number", what, s);
    return v;
}

static bool valid_name(const char *s) {
    if (!*s) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_')) return false;
    return true;
}

static int find_variant(const recipe *r, const char *name, size_t len) {
    for (int i = 0; i < r->nvariants; i++)
        if (strlen(r->variants[i].name) == len && strncmp(r->variants[i].name, name, len) == 0) return i;
    return -1;
}

/* Expression grammar: expr = term {(+|-) term}; term = factor {(*|/) factor};
 * factor = number | VARIANT.COLUMN[{k=v,k=v}] | ( expr ). */
typedef struct lexer {
    const parser *p;
    const char *s;
} lexer;

static void skip_space(lexer *lx) {
    while (*lx->s == ' ' || *lx->s == '\t') lx->s++;
}

static expr *new_expr(char op, expr *l, expr *r) {
    expr *e = asb_xmalloc(sizeof *e);
    *e = (expr){.op = op, .l = l, .r = r};
    return e;
}

static expr *parse_expr(lexer *lx);

static bool column_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

static expr *parse_factor(lexer *lx) {
    skip_space(lx);
    const char *s = lx->s;
    if (*s == '(') {
        lx->s++;
        expr *e = parse_expr(lx);
        skip_space(lx);
        if (*lx->s != ')') parse_error(lx->p, "measure: missing ')' before '%s'", lx->s);
        lx->s++;
        return e;
    }
    if ((*s >= '0' && *s <= '9') || *s == '.') {
        char *end;
        expr *e = new_expr('n', NULL, NULL);
        e->num = strtod(s, &end);
        lx->s = end;
        return e;
    }
    const char *dot = s;
    while ((*dot >= 'a' && *dot <= 'z') || (*dot >= '0' && *dot <= '9') || *dot == '-' || *dot == '_') dot++;
    if (dot == s || *dot != '.')
        parse_error(lx->p, "measure: expected a number, '(' or VARIANT.COLUMN at '%s'", s);
    int v = find_variant(lx->p->r, s, (size_t)(dot - s));
    if (v < 0) parse_error(lx->p, "measure: no variant '%.*s' is declared above", (int)(dot - s), s);
    const char *col = dot + 1, *end = col;
    while (column_char(*end)) end++;
    if (end == col) parse_error(lx->p, "measure: missing column after '%.*s'", (int)(col - s), s);
    ref *rf = asb_xmalloc(sizeof *rf);
    rf->variant = v;
    rf->column = strndup(col, (size_t)(end - col));
    if (*end == '{') {
        const char *close = strchr(end, '}');
        if (!close) parse_error(lx->p, "measure: missing '}' in '%s'", s);
        char *inside = strndup(end + 1, (size_t)(close - end - 1));
        asb_strlist_split(&rf->filters, inside, ',');
        free(inside);
        for (int i = 0; i < rf->filters.n; i++) {
            const char *kv = rf->filters.items[i], *eq = strchr(kv, '=');
            char *column = eq ? strndup(kv, (size_t)(eq - kv)) : NULL;
            if (!eq || eq == kv || asb_csv_column(column) < 0)
                parse_error(lx->p, "measure: filter '%s' must be COLUMN=VALUE with a results.csv column", kv);
            free(column);
        }
        end = close + 1;
    }
    rf->text = strndup(s, (size_t)(end - s));
    lx->s = end;
    expr *e = new_expr('r', NULL, NULL);
    e->ref = rf;
    return e;
}

static expr *parse_term(lexer *lx) {
    expr *e = parse_factor(lx);
    for (;;) {
        skip_space(lx);
        if (*lx->s != '*' && *lx->s != '/') return e;
        char op = *lx->s++;
        e = new_expr(op, e, parse_factor(lx));
    }
}

static expr *parse_expr(lexer *lx) {
    expr *e = parse_term(lx);
    for (;;) {
        skip_space(lx);
        if (*lx->s != '+' && *lx->s != '-') return e;
        char op = *lx->s++;
        e = new_expr(op, e, parse_term(lx));
    }
}

static rule parse_rule(const parser *p, const char *s) {
    char word[32];
    int used = 0;
    rule r = {0};
    if (sscanf(s, "%31s %n", word, &used) != 1) parse_error(p, "rule: empty");
    const char *arg = s + used;
    if (!strcmp(word, "same-side")) {
        r.kind = RULE_SAME_SIDE;
        if (*arg) parse_error(p, "rule same-side takes no value");
        return r;
    }
    if (!strcmp(word, "report")) {
        r.kind = RULE_REPORT;
        if (!*arg) parse_error(p, "rule report needs the reason the figures are not comparable");
        r.reason = asb_xstrdup(arg);
        return r;
    }
    if (!strcmp(word, "within")) r.kind = RULE_WITHIN;
    else if (!strcmp(word, "lower-bound")) r.kind = RULE_LOWER_BOUND;
    else if (!strcmp(word, "upper-bound")) r.kind = RULE_UPPER_BOUND;
    else if (!strcmp(word, "near")) r.kind = RULE_NEAR;
    else if (!strcmp(word, "above")) r.kind = RULE_ABOVE;
    else if (!strcmp(word, "below")) r.kind = RULE_BELOW;
    else parse_error(p, "unknown rule '%s' (valid: same-side, within F, lower-bound F, upper-bound F, near T, "
                        "above X, below X, report REASON)", word);
    if (!*arg) parse_error(p, "rule %s needs a value", word);
    r.factor = parse_number(p, arg, word);
    bool in_range = r.kind == RULE_NEAR ? r.factor >= 0 : r.kind == RULE_ABOVE || r.kind == RULE_BELOW || r.factor >= 1;
    if (!in_range) parse_error(p, "rule %s %s: out of range", word, arg);
    return r;
}

/* `asbench run` arguments of a recipe, split on blanks (there is no quoting:
 * no argument a recipe needs has a blank).  The output folder and the shape
 * of the run belong to `reproduce`, so those options are refused. */
static void push_args(const parser *p, asb_strlist *l, const char *s) {
    static const char *const owned[] = {"-o", "--output", "--matrix", "--resume", "--shard", "--no-plot"};
    asb_strlist tmp = {0};
    asb_strlist_split(&tmp, s, ' ');
    for (int i = 0; i < tmp.n; i++) asb_strlist_split(l, tmp.items[i], '\t');
    asb_strlist_free(&tmp);
    for (int i = 0; i < l->n; i++)
        for (size_t k = 0; k < sizeof owned / sizeof *owned; k++)
            if (!strcmp(l->items[i], owned[k]))
                parse_error(p, "%s: reproduce sets the output folder and runs cells, not matrices", owned[k]);
}

/* A check or variant is complete when the next one starts or the file ends;
 * a missing line is reported at the line that opened it. */
static void finish_check(const parser *p, const check *c) {
    if (!c) return;
    parser at = *p;
    at.line = c->line;
    if (!c->measure) parse_error(&at, "check %s has no 'measure' line", c->name);
    if (!c->rule_text) parse_error(&at, "check %s has no 'rule' line", c->name);
    bool needs_published = c->rule.kind != RULE_REPORT && c->rule.kind != RULE_ABOVE && c->rule.kind != RULE_BELOW;
    if (!c->has_published && needs_published)
        parse_error(&at, "check %s has no 'published' value (only rules report, above and below go without)",
                    c->name);
}

static void finish_variant(const parser *p, const variant *v) {
    if (!v) return;
    parser at = *p;
    at.line = v->line;
    if (v->args.n == 0) parse_error(&at, "variant %s has no 'args' line", v->name);
}

static recipe *parse_recipe(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) asb_die_usage("cannot read recipe %s: %s", path, strerror(errno));
    recipe *r = asb_xmalloc(sizeof *r);
    r->path = asb_xstrdup(path);
    parser p = {.path = path, .r = r};
    variant *cur_v = NULL;
    check *cur_c = NULL;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) >= 0) {
        p.line++;
        line[strcspn(line, "\r\n")] = 0;
        char *s = line + strspn(line, " \t");
        if (!*s || *s == '#') continue;
        size_t klen = strcspn(s, " \t");
        char *key = strndup(s, klen);
        char *val = s + klen + strspn(s + klen, " \t");
        for (char *e = val + strlen(val); e > val && (e[-1] == ' ' || e[-1] == '\t');) *--e = 0;
        bool in_check = cur_c != NULL, in_variant = cur_v != NULL && !in_check;
        if (!*val) parse_error(&p, "'%s' needs a value", key);

        if (!strcmp(key, "recipe")) {
            if (r->name) parse_error(&p, "second 'recipe' line");
            if (!valid_name(val)) parse_error(&p, "recipe name '%s': use [a-z0-9_-]", val);
            r->name = asb_xstrdup(val);
            r->name_line = p.line;
        } else if (!r->name) {
            parse_error(&p, "a recipe starts with 'recipe NAME' (found '%s')", key);
        } else if (!strcmp(key, "title") && !cur_v && !cur_c) {
            r->title = asb_xstrdup(val);
        } else if (!strcmp(key, "source") && !cur_v && !cur_c) {
            asb_strlist_push(&r->sources, val);
        } else if (!strcmp(key, "note")) {
            asb_strlist_push(&r->notes, val);
        } else if (!strcmp(key, "chart") && !cur_v && !cur_c) {
            if (strcmp(val, "timeline")) parse_error(&p, "chart '%s': the only extra chart is 'timeline'", val);
            r->chart_timeline = true;
        } else if (!strcmp(key, "quick") && !cur_v && !cur_c) {
            push_args(&p, &r->quick_args, val);
        } else if (!strcmp(key, "standard") && !cur_v && !cur_c) {
            push_args(&p, &r->standard_args, val);
        } else if (!strcmp(key, "variant")) {
            if (cur_c) parse_error(&p, "variants come before the checks");
            finish_variant(&p, cur_v);
            if (!valid_name(val)) parse_error(&p, "variant name '%s': use [a-z0-9_-]", val);
            if (find_variant(r, val, strlen(val)) >= 0) parse_error(&p, "variant '%s' declared twice", val);
            r->variants = realloc(r->variants, (size_t)(r->nvariants + 1) * sizeof *r->variants);
            if (!r->variants) asb_die("out of memory");
            cur_v = &r->variants[r->nvariants++];
            *cur_v = (variant){.name = asb_xstrdup(val), .line = p.line};
        } else if (in_variant && !strcmp(key, "env")) {
            char *eq = strchr(val, '=');
            if (!eq || eq == val || strchr(val, ' ')) parse_error(&p, "env '%s': expected NAME=VALUE", val);
            asb_strlist_push(&cur_v->env, val);
        } else if (in_variant && !strcmp(key, "args")) {
            push_args(&p, &cur_v->args, val);
        } else if (in_variant && !strcmp(key, "quick-args")) {
            push_args(&p, &cur_v->quick_args, val);
        } else if (!strcmp(key, "check")) {
            finish_variant(&p, cur_v);
            finish_check(&p, cur_c);
            if (r->nvariants == 0) parse_error(&p, "a check needs variants declared before it");
            if (!valid_name(val)) parse_error(&p, "check name '%s': use [a-z0-9_-]", val);
            for (int i = 0; i < r->nchecks; i++)
                if (!strcmp(r->checks[i].name, val)) parse_error(&p, "check '%s' declared twice", val);
            r->checks = realloc(r->checks, (size_t)(r->nchecks + 1) * sizeof *r->checks);
            if (!r->checks) asb_die("out of memory");
            cur_c = &r->checks[r->nchecks++];
            *cur_c = (check){.name = asb_xstrdup(val), .line = p.line, .measured = NAN};
        } else if (in_check && !strcmp(key, "quantity")) {
            cur_c->quantity = asb_xstrdup(val);
        } else if (in_check && !strcmp(key, "published")) {
            cur_c->published = parse_number(&p, val, "published");
            cur_c->has_published = true;
            if (cur_c->published <= 0) parse_error(&p, "published: ratios and figures must be > 0");
        } else if (in_check && !strcmp(key, "published-text")) {
            cur_c->published_text = asb_xstrdup(val);
        } else if (in_check && !strcmp(key, "measure")) {
            lexer lx = {.p = &p, .s = val};
            cur_c->measure = parse_expr(&lx);
            skip_space(&lx);
            if (*lx.s) parse_error(&p, "measure: unexpected '%s'", lx.s);
            cur_c->measure_text = asb_xstrdup(val);
        } else if (in_check && !strcmp(key, "rule")) {
            cur_c->rule = parse_rule(&p, val);
            cur_c->rule_text = asb_xstrdup(val);
        } else {
            parse_error(&p, "'%s' is not a %s key", key,
                        in_check ? "check" : in_variant ? "variant" : "recipe");
        }
        free(key);
    }
    free(line);
    fclose(f);
    finish_variant(&p, cur_c ? NULL : cur_v);
    finish_check(&p, cur_c);
    p.line = p.line ? p.line : 1;
    if (!r->name) parse_error(&p, "empty recipe (needs 'recipe NAME')");
    p.line = r->name_line;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (strncmp(base, r->name, strlen(r->name)) || strcmp(base + strlen(r->name), ".recipe"))
        parse_error(&p, "recipe %s must be in a file named %s.recipe", r->name, r->name);
    if (!r->title) parse_error(&p, "recipe %s has no 'title'", r->name);
    if (r->nvariants == 0 || r->nchecks == 0) parse_error(&p, "recipe %s needs at least one variant and one check", r->name);
    return r;
}

/* ---- locating recipes ------------------------------------------------- */

static bool is_dir(const char *path) {
    DIR *d = opendir(path);
    if (d) closedir(d);
    return d != NULL;
}

static char *recipe_dir(const char *given) {
    if (given) return asb_xstrdup(given);
    const char *env = getenv("ASBENCH_RECIPES");
    if (env && *env) return asb_xstrdup(env);
    if (is_dir("reproduce/recipes")) return asb_xstrdup("reproduce/recipes");
    char *in_source = asb_xasprintf("%s/reproduce/recipes", asb_source_dir());
    if (is_dir(in_source)) return in_source;
    free(in_source);
    asb_die_usage("no recipe folder found (give --recipes DIR or set ASBENCH_RECIPES)");
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Recipe files of dir, sorted. */
static asb_strlist recipe_files(const char *dir) {
    asb_strlist out = {0};
    DIR *d = opendir(dir);
    if (!d) asb_die_usage("cannot open recipe folder %s: %s", dir, strerror(errno));
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len > 7 && !strcmp(e->d_name + len - 7, ".recipe")) {
            char *path = asb_xasprintf("%s/%s", dir, e->d_name);
            asb_strlist_push(&out, path);
            free(path);
        }
    }
    closedir(d);
    qsort(out.items, (size_t)out.n, sizeof *out.items, cmp_str);
    return out;
}

/* ---- running the variants ----------------------------------------------- */

/* Is a name of an --alloc/--workload/--sched list available in this build?
 * The scheduler `go` is the Go runtime's own worker, built only when a Go
 * toolchain was found. */
static bool available(const char *option, const char *name) {
    if (!strcmp(name, "all")) return true;
    char *label, *base, *settings, *err;
    int variant = asb_parse_variant(name, &label, &base, &settings, &err);
    if (variant < 0) { /* malformed: let `asbench run` say why */
        free(err);
        return true;
    }
    if (variant) { /* name=base[settings] is there when its base is */
        bool found = available(option, base);
        free(label);
        free(base);
        free(settings);
        return found;
    }
    if (!strcmp(option, "--alloc")) {
        const char *eq = strchr(name, '=');
        if (eq) return access(eq + 1, R_OK) == 0;
        const asb_backend_entry *b = asb_backend_entry_find(name);
        return b && b->found;
    }
    if (!strcmp(option, "--workload")) return asb_workload_find(name) != NULL;
    if (!strcmp(name, "go")) {
        char *worker = asb_xasprintf("%s/../workloads/sched/go/asbench-worker-go", asb_exe_dir());
        bool found = access(worker, X_OK) == 0;
        free(worker);
        return found;
    }
    return asb_sched_find(name) != NULL;
}

static bool is_flag(const char *option) { return !strcmp(option, "--no-warmup") || !strcmp(option, "--no-plot"); }

/* Same option, or --param with the same key. */
static bool same_setting(char **a, char **b) {
    if (strcmp(a[0], b[0])) return false;
    if (strcmp(a[0], "--param")) return true;
    size_t klen = strcspn(a[1], "=");
    return strcspn(b[1], "=") == klen && !strncmp(a[1], b[1], klen);
}

/* The arguments with each option (each --param key) given once, at its last
 * value: the recipe's quick/standard settings override the variant's, and
 * `asbench run` refuses a parameter given twice. */
static void last_setting_wins(const asb_strlist *in, asb_strlist *out) {
    for (int i = 0; i < in->n; i++) {
        int width = is_flag(in->items[i]) || i + 1 >= in->n ? 1 : 2;
        bool overridden = false;
        for (int k = i + width; k < in->n && !overridden; k += is_flag(in->items[k]) || k + 1 >= in->n ? 1 : 2)
            overridden = (width == 1 ? !strcmp(in->items[i], in->items[k]) : same_setting(&in->items[i], &in->items[k]));
        for (int w = 0; w < width && !overridden; w++) asb_strlist_push(out, in->items[i + w]);
        i += width - 1;
    }
}

static const char *option_noun(const char *option) {
    return !strcmp(option, "--alloc") ? "backend" : !strcmp(option, "--workload") ? "workload" : "scheduler";
}

static bool workload_has_param(const char *workload, const char *kv) {
    const asb_workload *w = asb_workload_find(workload);
    size_t klen = strcspn(kv, "=");
    for (int i = 0; w && w->params && w->params[i].name; i++)
        if (strlen(w->params[i].name) == klen && !strncmp(w->params[i].name, kv, klen)) return true;
    return false;
}

/* The `asbench run` arguments of a variant with the names this build lacks
 * dropped (recorded in v->missing), and the --param values of a dropped
 * workload dropped with it.  Returns false if nothing is left to run. */
static bool runnable_args(variant *v, const recipe *r, bool quick, asb_strlist *out) {
    asb_strlist given = {0}, all = {0}, workloads = {0};
    for (int i = 0; i < v->args.n; i++) asb_strlist_push(&given, v->args.items[i]);
    const asb_strlist *mode = quick ? &r->quick_args : &r->standard_args;
    for (int i = 0; i < mode->n; i++) asb_strlist_push(&given, mode->items[i]);
    for (int i = 0; quick && i < v->quick_args.n; i++) asb_strlist_push(&given, v->quick_args.items[i]);
    last_setting_wins(&given, &all);
    asb_strlist_free(&given);

    bool empty_list = false, dropped_workload = false;
    for (int i = 0; i < all.n; i++) {
        const char *a = all.items[i];
        bool is_list = !strcmp(a, "--alloc") || !strcmp(a, "--workload") || !strcmp(a, "--sched");
        if (!is_list || i + 1 >= all.n) {
            if (strcmp(a, "--param") || i + 1 >= all.n) {
                asb_strlist_push(out, a);
                continue;
            }
            /* --param is re-added below, once the workloads are known. */
            i++;
            continue;
        }
        asb_strlist names = {0}, kept = {0};
        asb_split_choices(&names, all.items[++i]);
        for (int k = 0; k < names.n; k++) {
            if (available(a, names.items[k])) {
                asb_strlist_push(&kept, names.items[k]);
                if (!strcmp(a, "--workload")) asb_strlist_push(&workloads, names.items[k]);
            } else {
                dropped_workload |= !strcmp(a, "--workload");
                char *what = asb_xasprintf("%s %s", option_noun(a), names.items[k]);
                if (!asb_strlist_has(&v->missing, what)) asb_strlist_push(&v->missing, what);
                free(what);
            }
        }
        if (kept.n == 0) empty_list = true;
        else {
            size_t len = 1;
            for (int k = 0; k < kept.n; k++) len += strlen(kept.items[k]) + 1;
            char *joined = asb_xmalloc(len);
            for (int k = 0; k < kept.n; k++) {
                if (k) strcat(joined, ",");
                strcat(joined, kept.items[k]);
            }
            asb_strlist_push(out, a);
            asb_strlist_push(out, joined);
            free(joined);
        }
        asb_strlist_free(&names);
        asb_strlist_free(&kept);
    }
    for (int i = 0; i + 1 < all.n; i++) {
        if (strcmp(all.items[i], "--param")) continue;
        const char *kv = all.items[++i];
        bool used = false;
        for (int w = 0; w < workloads.n; w++) used |= workload_has_param(workloads.items[w], kv);
        /* Drop it only if it belonged to a workload this build lacks; a
         * mistyped key still reaches `asbench run`, which rejects it. */
        if (used || !dropped_workload) {
            asb_strlist_push(out, "--param");
            asb_strlist_push(out, kv);
        }
    }
    bool runnable = !empty_list && workloads.n > 0;
    asb_strlist_free(&all);
    asb_strlist_free(&workloads);
    return runnable;
}

static char *join_words(const asb_strlist *l, int from) {
    char *out = asb_xstrdup("");
    for (int i = from; i < l->n; i++) {
        char *next = asb_xasprintf("%s%s%s", out, *out ? " " : "", l->items[i]);
        free(out);
        out = next;
    }
    return out;
}

/* Unset the project's ablation switches and every name a variant of the
 * recipe sets, so that a variant without them never inherits an ablation
 * from the caller's shell. */
static void clear_recipe_env(const recipe *r) {
    static const char *const ablation_switches[] = {"GOSTYLEDEBUG", "GMPDEBUG", "GODEBUG"};
    for (size_t i = 0; i < sizeof ablation_switches / sizeof *ablation_switches; i++) unsetenv(ablation_switches[i]);
    for (int i = 0; i < r->nvariants; i++)
        for (int k = 0; k < r->variants[i].env.n; k++) {
            char *name = asb_xstrdup(r->variants[i].env.items[k]);
            *strchr(name, '=') = 0;
            unsetenv(name);
            free(name);
        }
}

static void load_results(variant *v, const char *csv_path) {
    FILE *f = fopen(csv_path, "r");
    if (!f) {
        v->failure = asb_xasprintf("no %s", csv_path);
        return;
    }
    v->nheader = asb_csv_read(f, &v->header);
    char **fields;
    int n;
    while ((n = asb_csv_read(f, &fields)) >= 0) {
        if (n <= 1) {
            asb_csv_free(fields, n);
            continue;
        }
        v->rows = realloc(v->rows, (size_t)(v->nrows + 1) * sizeof *v->rows);
        v->rowlen = realloc(v->rowlen, (size_t)(v->nrows + 1) * sizeof *v->rowlen);
        if (!v->rows || !v->rowlen) asb_die("out of memory");
        v->rows[v->nrows] = fields;
        v->rowlen[v->nrows++] = n;
    }
    fclose(f);
    if (v->nheader <= 0) v->failure = asb_xasprintf("%s is empty", csv_path);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static void remove_tree(const char *path) {
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        asb_die("cannot clear %s: %s", path, strerror(errno));
}

static void run_variant(const recipe *r, variant *v, bool quick, const char *dir) {
    asb_strlist args = {0};
    asb_strlist_push(&args, "asbench");
    asb_strlist_push(&args, "run");
    bool runnable = runnable_args(v, r, quick, &args);
    char *vdir = asb_xasprintf("%s/%s", dir, v->name);
    asb_strlist_push(&args, "--no-plot");
    asb_strlist_push(&args, "-o");
    asb_strlist_push(&args, vdir);
    char *env = join_words(&v->env, 0);
    char *cmd = join_words(&args, 0);
    v->command = asb_xasprintf("%s%s%s", env, *env ? " " : "", cmd);
    free(env);
    free(cmd);
    if (!runnable) {
        v->failure = asb_xstrdup("nothing of it is available in this build");
        free(vdir);
        asb_strlist_free(&args);
        return;
    }
    /* A reproduction reports only its own runs: an earlier one's folder goes. */
    remove_tree(vdir);
    if (asb_mkdirs(vdir) != 0) asb_die("cannot create %s: %s", vdir, strerror(errno));
    char *csv = asb_xasprintf("%s/results.csv", vdir);
    char *log = asb_xasprintf("%s/run.log", vdir);
    fprintf(stderr, "asbench reproduce %s: variant %s: %s (log %s)\n", r->name, v->name, v->command, log);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) asb_die("fork: %s", strerror(errno));
    if (pid == 0) {
        for (int i = 0; i < v->env.n; i++) putenv(v->env.items[i]);
        if (!freopen(log, "w", stderr)) _exit(127);
        char **argv = asb_xmalloc((size_t)(args.n + 1) * sizeof *argv);
        memcpy(argv, args.items, (size_t)args.n * sizeof *argv);
        execv("/proc/self/exe", argv);
        fprintf(stderr, "asbench: cannot run /proc/self/exe: %s\n", strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        v->failure = asb_xasprintf("`asbench run` failed (%s %d; see %s)",
                                   WIFEXITED(status) ? "exit status" : "signal",
                                   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), log);
    else load_results(v, csv);
    free(csv);
    free(log);
    free(vdir);
    asb_strlist_free(&args);
}

/* ---- evaluating checks -------------------------------------------------- */

static int header_index(const variant *v, const char *name) {
    for (int i = 0; i < v->nheader; i++)
        if (!strcmp(v->header[i], name)) return i;
    return -1;
}

/* Value of `column` in a row: a CSV column, or a key of the `extra` column
 * given in full (native.span_utilisation) or, when only one key has that
 * name, without its prefix.  Returns 1 with the value, 0 if the row has no
 * such figure (or NA), -1 if the short name is ambiguous. */
static int row_value(const variant *v, char **row, int n, const char *column, double *out) {
    int idx = header_index(v, column), ex = header_index(v, "extra");
    char text[64] = "";
    if (idx >= 0 && idx < n) snprintf(text, sizeof text, "%s", row[idx]);
    else if (idx < 0 && ex >= 0 && ex < n) {
        size_t clen = strlen(column);
        int short_matches = 0;
        for (const char *p = row[ex]; p && *p;) {
            const char *semi = strchr(p, ';');
            size_t len = semi ? (size_t)(semi - p) : strlen(p);
            const char *eq = memchr(p, '=', len);
            if (eq) {
                size_t klen = (size_t)(eq - p);
                const char *dot = memchr(p, '.', klen);
                bool exact = klen == clen && !strncmp(p, column, clen);
                bool by_short = dot && (size_t)(eq - dot - 1) == clen && !strncmp(dot + 1, column, clen);
                if (exact || by_short) {
                    size_t vlen = len - klen - 1 < sizeof text - 1 ? len - klen - 1 : sizeof text - 1;
                    memcpy(text, eq + 1, vlen);
                    text[vlen] = 0;
                    if (exact) break;
                    short_matches++;
                }
            }
            p = semi ? semi + 1 : NULL;
        }
        if (short_matches > 1) return -1;
    }
    if (!text[0] || !strcmp(text, "NA")) return 0;
    char *end;
    *out = strtod(text, &end);
    return end != text;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The identity of a row's cell, for refusing a reference that mixes cells. */
static char *cell_key(const variant *v, char **row, int n) {
    static const char *cols[] = {"backend", "scheduler", "workload", "params", "threads"};
    char *key = asb_xstrdup("");
    for (int i = 0; i < 5; i++) {
        int idx = header_index(v, cols[i]);
        char *next = asb_xasprintf("%s%s%s", key, i ? " " : "", idx >= 0 && idx < n ? row[idx] : "?");
        free(key);
        key = next;
    }
    return key;
}

typedef struct eval_log {
    FILE *inputs;      /* Markdown rows: reference, median, n, min, max */
    asb_strlist shown; /* references already in it */
} eval_log;

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

/* The variant's missing names, comma-separated; only those that concern
 * `rf` unless it is NULL. */
/* Six significant digits, but large whole numbers in full (no 8e+06). */
static void fmt_precise(char *buf, size_t len, double v) {
    if (fabs(v) >= 1e6 && fabs(v) < 1e15) snprintf(buf, len, "%.0f", v);
    else snprintf(buf, len, "%.6g", v);
}

static char *missing_text(const variant *v, const ref *rf) {
    char *out = asb_xstrdup("");
    for (int i = 0; i < v->missing.n; i++) {
        if (rf && !missing_concerns(v->missing.items[i], rf)) continue;
        char *next = asb_xasprintf("%s%s%s", out, *out ? ", " : "", v->missing.items[i]);
        free(out);
        out = next;
    }
    return out;
}

/* Median of a reference; on failure returns false with *why set. */
static bool eval_ref(const recipe *r, const ref *rf, eval_log *log, double *out, char **why) {
    const variant *v = &r->variants[rf->variant];
    char *missing = missing_text(v, rf);
    if (v->failure) {
        *why = *missing ? asb_xasprintf("missing in this build: %s", missing)
                        : asb_xasprintf("variant %s: %s", v->name, v->failure);
        free(missing);
        return false;
    }
    double *vals = asb_xmalloc((size_t)(v->nrows + 1) * sizeof *vals);
    int nv = 0, status = header_index(v, "status"), message = header_index(v, "message");
    char *not_ok = NULL; /* the first matching run that failed, for the verdict */
    char *first_cell = NULL;
    bool mixed = false, ambiguous = false;
    for (int i = 0; i < v->nrows; i++) {
        char **row = v->rows[i];
        int n = v->rowlen[i];
        if (status < 0 || status >= n) continue;
        bool match = true;
        for (int k = 0; k < rf->filters.n && match; k++) {
            const char *kv = rf->filters.items[k], *eq = strchr(kv, '=');
            char *col = strndup(kv, (size_t)(eq - kv));
            int idx = header_index(v, col);
            match = idx >= 0 && idx < n && !strcmp(row[idx], eq + 1);
            free(col);
        }
        if (match && strcmp(row[status], "ok")) {
            if (!not_ok)
                not_ok = asb_xasprintf("%s%s%s", row[status], message >= 0 && message < n && *row[message] ? ": " : "",
                                       message >= 0 && message < n ? row[message] : "");
            continue;
        }
        double x;
        int got = match ? row_value(v, row, n, rf->column, &x) : 0;
        if (got < 0) ambiguous = true;
        if (got <= 0) continue;
        char *key = cell_key(v, row, n);
        if (!first_cell) first_cell = key;
        else {
            mixed |= strcmp(first_cell, key) != 0;
            free(key);
        }
        vals[nv++] = x;
    }
    free(first_cell);
    bool ok = false;
    if (ambiguous) {
        *why = asb_xasprintf("%s: several keys of the extra column are named %s (write native.%s or extra.%s)",
                             rf->text, rf->column, rf->column, rf->column);
    } else if (mixed) {
        *why = asb_xasprintf("%s matches runs of several cells (recipe needs a narrower {filter})", rf->text);
    } else if (nv == 0) {
        *why = *missing ? asb_xasprintf("missing in this build: %s", missing)
               : not_ok ? asb_xasprintf("%s did not run: %s", rf->text, not_ok)
                        : asb_xasprintf("no ok run of variant %s gives %s", v->name, rf->text);
    } else {
        qsort(vals, (size_t)nv, sizeof *vals, cmp_double);
        *out = nv % 2 ? vals[nv / 2] : (vals[nv / 2 - 1] + vals[nv / 2]) / 2;
        if (!asb_strlist_has(&log->shown, rf->text)) {
            asb_strlist_push(&log->shown, rf->text);
            char med[32], lo[32], hi[32];
            fmt_precise(med, sizeof med, *out);
            fmt_precise(lo, sizeof lo, vals[0]);
            fmt_precise(hi, sizeof hi, vals[nv - 1]);
            fprintf(log->inputs, "| `%s` | %s | %d | %s | %s |\n", rf->text, med, nv, lo, hi);
        }
        ok = true;
    }
    free(vals);
    free(missing);
    free(not_ok);
    return ok;
}

static bool eval_expr(const recipe *r, const expr *e, eval_log *log, double *out, char **why) {
    if (e->op == 'n') {
        *out = e->num;
        return true;
    }
    if (e->op == 'r') return eval_ref(r, e->ref, log, out, why);
    double a, b;
    if (!eval_expr(r, e->l, log, &a, why) || !eval_expr(r, e->r, log, &b, why)) return false;
    switch (e->op) {
    case '+': *out = a + b; break;
    case '-': *out = a - b; break;
    case '*': *out = a * b; break;
    default:
        if (b == 0 && a == 0) {
            *why = asb_xstrdup("0 / 0: both sides measured zero");
            return false;
        }
        *out = b == 0 ? INFINITY : a / b;
    }
    return true;
}

/* A ratio this close to 1 is a tie: on a noisy machine it names no winner. */
#define TIE_FACTOR 1.05

/* Measured and published ratios name the same winner. */
static bool same_side(double m, double p) {
    return (m > TIE_FACTOR && p > 1) || (m < 1 / TIE_FACTOR && p < 1);
}

/* Verdict and the rule as applied, in words. */
static void judge(check *c) {
    double m = c->measured, p = c->published, f = c->rule.factor;
    bool holds = false;
    switch (c->rule.kind) {
    case RULE_REPORT:
        c->verdict = asb_xstrdup("not comparable");
        c->detail = asb_xstrdup(c->rule.reason);
        return;
    case RULE_SAME_SIDE:
        holds = same_side(m, p);
        c->detail = asb_xasprintf("same side of 1 as %.4g (within ×%.4g of 1 is a tie)", p, TIE_FACTOR);
        break;
    case RULE_WITHIN:
        holds = same_side(m, p) && m / p <= f && p / m <= f;
        c->detail = asb_xasprintf("same side of 1 as %.4g and within ×%.4g of it (%.4g … %.4g)", p, f, p / f, p * f);
        break;
    case RULE_LOWER_BOUND:
        holds = m >= p / f;
        c->detail = asb_xasprintf("published is a lower bound %.4g; holds if ≥ %.4g / %.4g = %.4g", p, p, f, p / f);
        break;
    case RULE_UPPER_BOUND:
        holds = m <= p * f;
        c->detail = asb_xasprintf("published is an upper bound %.4g; holds if ≤ %.4g × %.4g = %.4g", p, p, f, p * f);
        break;
    case RULE_NEAR:
        holds = fabs(m / p - 1) <= f;
        c->detail = asb_xasprintf("within ±%.4g%% of %.4g", f * 100, p);
        break;
    case RULE_ABOVE:
        holds = m > f;
        c->detail = asb_xasprintf("measured > %.4g", f);
        break;
    case RULE_BELOW:
        holds = m < f;
        c->detail = asb_xasprintf("measured < %.4g", f);
        break;
    }
    c->verdict = asb_xstrdup(holds ? "holds" : "does not hold");
}

static void evaluate(recipe *r, FILE *inputs) {
    eval_log log = {.inputs = inputs};
    for (int i = 0; i < r->nchecks; i++) {
        check *c = &r->checks[i];
        char *why = NULL;
        if (eval_expr(r, c->measure, &log, &c->measured, &why)) {
            judge(c);
        } else {
            c->measured = NAN;
            c->verdict = asb_xstrdup("not comparable");
            c->detail = why;
        }
    }
    asb_strlist_free(&log.shown);
}

/* ---- the report ------------------------------------------------------- */

static char *cpu_model(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    char *model = NULL;
    while (f && !model && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            char *v = strchr(line, ':') + 1;
            v += strspn(v, " \t");
            v[strcspn(v, "\n")] = 0;
            model = asb_xstrdup(v);
        }
    if (f) fclose(f);
    return model ? model : asb_xstrdup("unknown CPU");
}

/* The source revision `asbench run` recorded in a variant's env.json, with
 * "(modified)" for a dirty tree; NULL if no variant ran. */
static char *git_revision(const recipe *r, const char *dir) {
    for (int i = 0; i < r->nvariants; i++) {
        char *path = asb_xasprintf("%s/%s/env.json", dir, r->variants[i].name);
        char *json = asb_read_file(path, NULL);
        free(path);
        const char *rev = json ? strstr(json, "\"git_revision\": \"") : NULL;
        char *out = NULL;
        if (rev) {
            rev += strlen("\"git_revision\": \"");
            out = asb_xasprintf("%.*s%s", (int)strcspn(rev, "\""), rev,
                                strstr(json, "\"git_dirty\": true") ? " (modified)" : "");
        }
        free(json);
        if (out) return out;
    }
    return NULL;
}

/* Markdown cell text: pipes would split the cell. */
static void md(FILE *f, const char *s) {
    for (; s && *s; s++) {
        if (*s == '|') fputc('\\', f);
        fputc(*s, f);
    }
}

/* Four significant digits, but whole numbers of 1000 and more in full. */
static void fmt_value(char *buf, size_t len, double v) {
    if (isnan(v)) snprintf(buf, len, "—");
    else if (isinf(v)) snprintf(buf, len, "∞");
    else if (fabs(v) >= 1000 && fabs(v) < 1e15) snprintf(buf, len, "%.0f", v);
    else snprintf(buf, len, "%.4g", v);
}

static int run_gnuplot(const char *dir, const char *script) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (chdir(dir) != 0) _exit(127);
        if (!freopen("/dev/null", "w", stdout)) _exit(127);
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ratios.png: published and measured value of every judged check, as
 * points on a log scale (ratios from 0.001 to 1000 share one chart) with the
 * line y = 1 where the two designs tie.  Checks with rule `report` are
 * absolute figures from other machines and stay out of it. */
static bool chart_ratios(const recipe *r, const char *dir) {
    char *dat = asb_xasprintf("%s/ratios.dat", dir), *gp = asb_xasprintf("%s/ratios.gp", dir);
    FILE *d = fopen(dat, "w"), *g = fopen(gp, "w");
    int n = 0;
    for (int i = 0; d && i < r->nchecks; i++) {
        const check *c = &r->checks[i];
        if (c->rule.kind == RULE_REPORT || !isfinite(c->measured) || c->measured <= 0) continue;
        if (c->has_published) fprintf(d, "\"%s\" %g %g\n", c->name, c->published, c->measured);
        else fprintf(d, "\"%s\" NaN %g\n", c->name, c->measured);
        n++;
    }
    if (g)
        fprintf(g, "set terminal pngcairo size 900,500 noenhanced\nset output 'ratios.png'\n"
                   "set title \"%s: published vs measured here\"\nset logscale y\nset grid ytics\n"
                   "set ylabel 'comparable quantity (log scale)'\nset xrange [-0.5:%d.5]\n"
                   "set xtics rotate by -30\nset key outside top center horizontal\nset datafile missing 'NaN'\n"
                   "plot 'ratios.dat' using 0:2:xtic(1) with points pt 7 ps 2 title 'published', "
                   "'' using 0:3 with points pt 5 ps 2 title 'measured here', 1 with lines dt 2 lc 'gray' "
                   "title 'tie (1)'\n",
                r->name, n - 1);
    if (d) fclose(d);
    if (g) fclose(g);
    bool ok = d && g && n > 0 && run_gnuplot(dir, "ratios.gp") == 0;
    free(dat);
    free(gp);
    return ok;
}

/* timeline.png: RSS over time of the first repetition of every cell (the
 * zero samples the harness may read after the worker exited are dropped). */
static bool chart_timeline(const recipe *r, const char *dir) {
    char *gp = asb_xasprintf("%s/timeline.gp", dir);
    FILE *g = fopen(gp, "w");
    if (!g) {
        free(gp);
        return false;
    }
    fprintf(g, "set terminal pngcairo size 900,500 noenhanced\nset output 'timeline.png'\n"
               "set title '%s: RSS over time (repetition 1)'\nset datafile separator ','\n"
               "set xlabel 'ms since the worker started'\nset ylabel 'RSS (MiB)'\nset key top right\nplot",
            r->name);
    int n = 0;
    for (int i = 0; i < r->nvariants; i++) {
        char *tdir = asb_xasprintf("%s/%s/timeline", dir, r->variants[i].name);
        asb_strlist files = {0};
        DIR *d = opendir(tdir);
        for (struct dirent *e; d && (e = readdir(d));) {
            size_t len = strlen(e->d_name);
            if (len > 7 && !strcmp(e->d_name + len - 7, "-r1.csv")) asb_strlist_push(&files, e->d_name);
        }
        if (d) closedir(d);
        qsort(files.items, (size_t)files.n, sizeof *files.items, cmp_str);
        for (int k = 0; k < files.n; k++)
            fprintf(g, "%s '%s/timeline/%s' skip 1 using 1:($2 > 0 ? $2/1024 : 1/0) with lines lw 2 title '%s: %.*s'",
                    n++ ? "," : "", r->variants[i].name, files.items[k], r->variants[i].name,
                    (int)(strlen(files.items[k]) - 7), files.items[k]);
        asb_strlist_free(&files);
        free(tdir);
    }
    fputc('\n', g);
    fclose(g);
    bool ok = n > 0 && run_gnuplot(dir, "timeline.gp") == 0;
    free(gp);
    return ok;
}

/* 1-minute load average: other work on the machine makes the medians noisy. */
static double load_average(void) {
    double load = NAN;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &load) != 1) load = NAN;
        fclose(f);
    }
    return load;
}

static void write_report(recipe *r, const char *dir, bool quick, const char *cmdline, double load_before) {
    char *inputs_text = NULL;
    size_t inputs_len = 0;
    FILE *inputs = open_memstream(&inputs_text, &inputs_len);
    evaluate(r, inputs);
    fclose(inputs);

    char *path = asb_xasprintf("%s/report.md", dir);
    FILE *f = fopen(path, "w");
    if (!f) asb_die("cannot write %s: %s", path, strerror(errno));
    char *cpu = cpu_model();
    struct utsname un;
    uname(&un);
    char when[64];
    time_t t = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&t));

    fprintf(f, "# Reproduction `%s`: %s\n\n", r->name, r->title);
    for (int i = 0; i < r->sources.n; i++) fprintf(f, "%s%s\n", i ? "  \n" : "Source: ", r->sources.items[i]);
    fprintf(f, "\n- Machine: %s, %ld online cores, Linux %s (%s)\n", cpu, sysconf(_SC_NPROCESSORS_ONLN),
            un.release, un.machine);
    char *revision = git_revision(r, dir);
    if (revision) fprintf(f, "- Source revision: %s\n", revision);
    free(revision);
    fprintf(f, "- Load average (1 min) when the runs started: %.2f, when they ended: %.2f\n", load_before,
            load_average());
    fprintf(f, "- Date: %s\n- Command: `%s`\n- Form: %s\n\n", when, cmdline,
            quick ? "**quick** (reduced sizes and repetitions: a smoke test, verdicts only indicative)"
                  : "standard");
    if (r->notes.n) {
        fprintf(f, "## What is being tested, and what the source gets wrong\n\n");
        for (int i = 0; i < r->notes.n; i++) fprintf(f, "- %s\n", r->notes.items[i]);
        fputc('\n', f);
    }
    fprintf(f, "## Verdicts\n\n| check | comparable quantity | published | measured here | verdict | rule |\n"
               "|---|---|---|---|---|---|\n");
    for (int i = 0; i < r->nchecks; i++) {
        const check *c = &r->checks[i];
        char pub[32], mea[32];
        fmt_value(pub, sizeof pub, c->has_published ? c->published : NAN);
        fmt_value(mea, sizeof mea, c->measured);
        fprintf(f, "| %s | ", c->name);
        md(f, c->quantity ? c->quantity : c->measure_text);
        fprintf(f, "<br>`");
        md(f, c->measure_text);
        fprintf(f, "` | %s", pub);
        if (c->published_text) {
            fprintf(f, " (");
            md(f, c->published_text);
            fputc(')', f);
        }
        fprintf(f, " | %s | **%s** | ", mea, c->verdict);
        md(f, c->detail);
        fprintf(f, " |\n");
    }
    fprintf(f, "\nMeasured values are medians over the ok repetitions; a ratio such as `a.ns_per_op / "
               "b.ns_per_op` above 1 means variant a is slower.\n\n");
    bool ratios = chart_ratios(r, dir);
    if (ratios) fprintf(f, "![published vs measured](ratios.png)\n\n");
    else fprintf(f, "(No ratio chart: no judged check has a measured figure, or gnuplot is missing.)\n\n");
    if (r->chart_timeline) {
        if (chart_timeline(r, dir)) fprintf(f, "![RSS timeline](timeline.png)\n\n");
        else fprintf(f, "(No RSS timeline chart: no timeline data, or gnuplot is missing.)\n\n");
    }
    fprintf(f, "## Medians behind the checks\n\n| reference | median | runs | min | max |\n|---|---|---|---|---|\n%s\n",
            inputs_text);
    fprintf(f, "## Variants (each one `asbench run`; results in DIR/VARIANT/results.csv)\n\n"
               "| variant | command | result |\n|---|---|---|\n");
    for (int i = 0; i < r->nvariants; i++) {
        const variant *v = &r->variants[i];
        char *missing = missing_text(v, NULL);
        fprintf(f, "| %s | `", v->name);
        md(f, v->command);
        fprintf(f, "` | ");
        if (v->failure) md(f, v->failure);
        else fprintf(f, "%d run%s", v->nrows, v->nrows == 1 ? "" : "s");
        if (*missing) fprintf(f, "; not in this build: %s", missing);
        fprintf(f, " |\n");
        free(missing);
    }
    fclose(f);
    fprintf(stderr, "asbench reproduce %s: report %s\n", r->name, path);
    free(inputs_text);
    free(path);
    free(cpu);
}

static void reproduce_one(recipe *r, const char *dir, bool quick, const char *cmdline) {
    if (asb_mkdirs(dir) != 0) asb_die_usage("cannot create output folder %s: %s", dir, strerror(errno));
    clear_recipe_env(r);
    double load_before = load_average();
    for (int i = 0; i < r->nvariants; i++) run_variant(r, &r->variants[i], quick, dir);
    write_report(r, dir, quick, cmdline, load_before);
}

/* DIR/index.md for `reproduce all`: one line per check of every recipe. */
static void write_index(recipe **rs, int n, const char *dir, const char *cmdline) {
    char *path = asb_xasprintf("%s/index.md", dir);
    FILE *f = fopen(path, "w");
    if (!f) asb_die("cannot write %s: %s", path, strerror(errno));
    fprintf(f, "# Reproductions\n\nCommand: `%s`\n\n| recipe | check | published | measured | verdict | rule / why |\n"
               "|---|---|---|---|---|---|\n", cmdline);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < rs[i]->nchecks; k++) {
            const check *c = &rs[i]->checks[k];
            char pub[32], mea[32];
            fmt_value(pub, sizeof pub, c->has_published ? c->published : NAN);
            fmt_value(mea, sizeof mea, c->measured);
            fprintf(f, "| [%s](%s/report.md) | %s | %s | %s | %s | ", rs[i]->name, rs[i]->name, c->name, pub,
                    mea, c->verdict);
            md(f, c->detail);
            fprintf(f, " |\n");
        }
    fclose(f);
    free(path);
}

static char *command_line(int argc, char **argv) {
    char *out = asb_xstrdup("asbench reproduce");
    for (int i = 0; i < argc; i++) {
        char *next = asb_xasprintf("%s %s", out, argv[i]);
        free(out);
        out = next;
    }
    return out;
}

int asb_cmd_reproduce(int argc, char **argv) {
    const char *name = NULL, *out_dir = NULL, *recipes_given = NULL;
    bool quick = false, list = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (!strcmp(a, "--list")) list = true;
        else if (!strcmp(a, "--quick")) quick = true;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--recipes")) {
            if (i + 1 >= argc) asb_die_usage("reproduce: option %s needs a value", a);
            *(!strcmp(a, "--recipes") ? &recipes_given : &out_dir) = argv[++i];
        } else if (a[0] == '-') asb_die_usage("reproduce: unknown option %s (see asbench reproduce --help)", a);
        else if (name) asb_die_usage("reproduce: one recipe at a time ('%s' and '%s'); use all for every one", name, a);
        else name = a;
    }
    if (!list && !name) asb_die_usage("reproduce: give a recipe name, all, or --list (see asbench reproduce --help)");

    bool by_path = name && (strchr(name, '/') || strstr(name, ".recipe"));
    char *dir = by_path ? NULL : recipe_dir(recipes_given);
    asb_strlist files = {0};
    if (by_path) asb_strlist_push(&files, name);
    else if (list || !strcmp(name, "all")) files = recipe_files(dir);
    else {
        char *path = asb_xasprintf("%s/%s.recipe", dir, name);
        if (access(path, R_OK) != 0) {
            asb_strlist all = recipe_files(dir);
            char *names = asb_xstrdup("");
            for (int i = 0; i < all.n; i++) {
                const char *base = strrchr(all.items[i], '/') + 1;
                char *next = asb_xasprintf("%s%s%.*s", names, *names ? ", " : "", (int)(strlen(base) - 7), base);
                free(names);
                names = next;
            }
            asb_die_usage("unknown recipe '%s' (valid: %s, all)", name, names);
        }
        asb_strlist_push(&files, path);
        free(path);
    }
    if (files.n == 0) asb_die_usage("no recipes in %s", dir);

    /* Parse every recipe before running any: bad input costs no time. */
    recipe **rs = asb_xmalloc((size_t)files.n * sizeof *rs);
    for (int i = 0; i < files.n; i++) rs[i] = parse_recipe(files.items[i]);
    if (list) {
        for (int i = 0; i < files.n; i++) printf("%-20s %s\n", rs[i]->name, rs[i]->title);
        return 0;
    }

    char *cmdline = command_line(argc, argv);
    const char *base = quick ? "results/reproduced-quick" : "results/reproduced";
    bool all = !by_path && !strcmp(name, "all");
    for (int i = 0; i < files.n; i++) {
        char *rdir = all ? asb_xasprintf("%s/%s", out_dir ? out_dir : base, rs[i]->name)
                         : out_dir ? asb_xstrdup(out_dir) : asb_xasprintf("%s/%s", base, rs[i]->name);
        reproduce_one(rs[i], rdir, quick, cmdline);
        free(rdir);
    }
    if (all) write_index(rs, files.n, out_dir ? out_dir : base, cmdline);
    free(cmdline);
    free(dir);
    return 0;
}
