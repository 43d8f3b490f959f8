/*
 * reproduce_recipe.c — reading a recipe (reproduce/recipes/NAME.recipe,
 * format in docs/reproduce.md) for `asbench reproduce`: header, variants
 * (`asbench run` arguments and environment) and checks (a measure over
 * medians of result columns, the published value, a rule).  A malformed
 * recipe is bad input: exit 2 with file:line, before anything runs.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "reproduce.h"

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
    check *c; /* whose table of references the measure fills */
    const char *s;
} lexer;

/* The slot of a reference in its check's table: one per distinct text. */
static int ref_slot(check *c, ref *rf) {
    for (int i = 0; i < c->nrefs; i++)
        if (!strcmp(c->refs[i]->text, rf->text)) {
            free(rf->column);
            free(rf->text);
            asb_strlist_free(&rf->filters);
            free(rf);
            return i;
        }
    c->refs = realloc(c->refs, (size_t)(c->nrefs + 1) * sizeof *c->refs);
    if (!c->refs) asb_die("out of memory");
    c->refs[c->nrefs] = rf;
    return c->nrefs++;
}

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
    *rf = (ref){.variant = v, .column = asb_xstrndup(col, (size_t)(end - col))};
    if (*end == '{') {
        const char *close = strchr(end, '}');
        if (!close) parse_error(lx->p, "measure: missing '}' in '%s'", s);
        char *inside = asb_xstrndup(end + 1, (size_t)(close - end - 1));
        asb_strlist_split(&rf->filters, inside, ',');
        free(inside);
        for (int i = 0; i < rf->filters.n; i++) {
            const char *kv = rf->filters.items[i], *eq = strchr(kv, '=');
            char *column = eq ? asb_xstrndup(kv, (size_t)(eq - kv)) : NULL;
            if (!eq || eq == kv || asb_csv_column(column) < 0)
                parse_error(lx->p, "measure: filter '%s' must be COLUMN=VALUE with a results.csv column", kv);
            free(column);
        }
        end = close + 1;
    }
    rf->text = asb_xstrndup(s, (size_t)(end - s));
    lx->s = end;
    expr *e = new_expr('r', NULL, NULL);
    e->slot = ref_slot(lx->c, rf);
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

recipe *repro_parse_recipe(const char *path) {
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
        char *key = asb_xstrndup(s, klen);
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
            if (!eq || eq == val || strpbrk(val, " \t;"))
                parse_error(&p, "env '%s': expected NAME=VALUE (no blank or ';')", val);
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
            *cur_c = (check){.name = asb_xstrdup(val), .line = p.line};
        } else if (in_check && !strcmp(key, "quantity")) {
            cur_c->quantity = asb_xstrdup(val);
        } else if (in_check && !strcmp(key, "published")) {
            cur_c->published = parse_number(&p, val, "published");
            cur_c->has_published = true;
            if (cur_c->published <= 0) parse_error(&p, "published: ratios and figures must be > 0");
        } else if (in_check && !strcmp(key, "published-text")) {
            cur_c->published_text = asb_xstrdup(val);
        } else if (in_check && !strcmp(key, "measure")) {
            if (cur_c->measure) parse_error(&p, "check %s has a second 'measure' line", cur_c->name);
            lexer lx = {.p = &p, .c = cur_c, .s = val};
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

char *repro_recipe_dir(const char *given) {
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
asb_strlist repro_recipe_files(const char *dir) {
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
