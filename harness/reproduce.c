/*
 * reproduce.c — `asbench reproduce NAME`: re-run the experiment behind a
 * published figure and put the published and the measured figure side by
 * side with a verdict that does not flip between two invocations.
 *
 * A recipe (reproduce_recipe.c; format in docs/reproduce.md) names variants
 * — each one `asbench run` with its own arguments and environment — and
 * checks over their results (reproduce_judge.c).  Variants run in rounds:
 * each round of a variant is a child `asbench run … -o DIR/VARIANT/round-K`
 * (this very executable), so a reproduction is measured exactly like any
 * other run.  After each round every check is judged over all rounds so
 * far; the variants of a check whose verdict is not yet stable run another
 * round, up to --max-rounds, and a check still undecided then is reported
 * `unstable` with the values seen.  The report is reproduce_report.c's.
 *
 * A backend, workload or scheduler that this build lacks is dropped from
 * the variant and every check that needed it reads "not comparable: <what
 * is missing>"; a malformed recipe is bad input (exit 2 with file:line) and
 * is caught before anything runs.
 */
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "reproduce.h"

static const char *usage_text =
    "usage: asbench reproduce --list | NAME|FILE.recipe|all [options]\n"
    "       asbench reproduce --docs-table [--check] [--from DIR] [--doc FILE]\n"
    "  --list            list the recipes (name and title)\n"
    "  --quick           reduced form of each recipe (CI smoke test; verdicts are indicative only)\n"
    "  -o DIR            output folder (default results/reproduced[-quick]/NAME)\n"
    "  --recipes DIR     recipe folder (default $ASBENCH_RECIPES, ./reproduce/recipes, or the\n"
    "                    source tree's reproduce/recipes)\n"
    "  --min-rounds N    rounds before a verdict may be called stable (default 2; quick 1)\n"
    "  --max-rounds N    rounds before an undecided check is called unstable (default 4; quick 2)\n"
    "  --docs-table      rewrite the generated table of docs/reproduce.md from the verdicts.csv of\n"
    "                    every recipe in results/reproduced (--from DIR, --doc FILE: others);\n"
    "                    with --check, write nothing and exit 1 if the table differs\n"
    "Writes DIR/report.md (published vs measured, verdicts, values of each round, machine,\n"
    "command), DIR/verdicts.csv, DIR/ratios.png and one `asbench run` results folder per\n"
    "variant and round, DIR/VARIANT/round-K/.\n";

/* ---- running the variants ----------------------------------------------- */

int repro_launch(const asb_strlist *argv, const asb_strlist *env, const char *log_path, char **why) {
    asb_argv args = {0};
    for (int i = 0; i < argv->n; i++) asb_argv_push(&args, argv->items[i]);
    char *settings = NULL;
    for (int i = 0; env && i < env->n; i++) {
        char *next = asb_xasprintf("%s%s%s", settings ? settings : "", settings ? ";" : "", env->items[i]);
        free(settings);
        settings = next;
    }
    asb_launch launch = {.argv = &args, .env_settings = settings, .stdout_to_stderr = true, .quiet = true};
    asb_outcome out;
    asb_client_run(&launch, &out);
    FILE *log = log_path ? fopen(log_path, "w") : NULL;
    if (log) {
        fputs(out.err_tail, log);
        fclose(log);
    }
    int rc = out.exit_code >= 0 && strcmp(out.status, "not-started") ? out.exit_code : -1;
    if (rc < 0) *why = asb_xasprintf("%s%s%s", out.status, out.message ? ": " : "", out.message ? out.message : "");
    asb_outcome_free(&out);
    asb_argv_free(&args);
    free(settings);
    return rc;
}

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
    if (!strcmp(name, "go")) return asb_go_worker_built();
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

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static void remove_tree(const char *path) {
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        asb_die("cannot clear %s: %s", path, strerror(errno));
}

/* One more round of a variant: `asbench run` into DIR/VARIANT/round-K.  A
 * run that reports failed runs still counts (their rows say why); one that
 * gives no results stops the variant: in round 1 it is the variant's
 * failure, later a note (the rounds before it stand). */
static void run_round(const recipe *r, variant *v, const char *dir, int round) {
    char *rdir = asb_xasprintf("%s/%s/round-%d", dir, v->name, round);
    if (asb_mkdirs(rdir) != 0) asb_die("cannot create %s: %s", rdir, strerror(errno));
    char *log = asb_xasprintf("%s/run.log", rdir), *csv = asb_xasprintf("%s/results.csv", rdir);
    asb_strlist argv = {0};
    asb_strlist_push(&argv, "/proc/self/exe");
    for (int i = 1; i < v->run_args.n; i++) asb_strlist_push(&argv, v->run_args.items[i]);
    asb_strlist_push(&argv, "--no-plot");
    asb_strlist_push(&argv, "-o");
    asb_strlist_push(&argv, rdir);
    fprintf(stderr, "asbench reproduce %s: variant %s, round %d (log %s)\n", r->name, v->name, round, log);
    char *why = NULL, *err = NULL;
    int rc = repro_launch(&argv, &v->env, log, &why);
    asb_results res;
    bool loaded = rc >= 0 && rc != ASB_EXIT_USAGE && asb_results_load(csv, &res, &err) == 0;
    char *problem = rc == 0 && loaded ? NULL
                    : rc < 0          ? asb_xasprintf("`asbench run` %s (see %s)", why, log)
                    : loaded          ? asb_xasprintf("`asbench run` exited %d: some runs not ok (see %s)", rc, log)
                                      : asb_xasprintf("`asbench run` failed (exit status %d; see %s)%s%s", rc, log,
                                                      err ? ": " : "", err ? err : "");
    if (loaded) {
        v->rounds = realloc(v->rounds, (size_t)(v->nrounds + 1) * sizeof *v->rounds);
        if (!v->rounds) asb_die("out of memory");
        v->rounds[v->nrounds++] = res;
    }
    v->stopped = !loaded;
    if (problem && !loaded && round == 1) {
        v->failure = problem;
    } else if (problem) {
        char *note = asb_xasprintf("%s%sround %d: %s", v->round_note ? v->round_note : "", v->round_note ? "; " : "",
                                   round, problem);
        free(v->round_note);
        free(problem);
        v->round_note = note;
    }
    free(why);
    free(err);
    free(log);
    free(csv);
    free(rdir);
    asb_strlist_free(&argv);
}

typedef struct options {
    bool quick;
    int min_rounds, max_rounds;
} options;

static void reproduce_one(recipe *r, const char *dir, const options *o, const char *cmdline) {
    if (asb_mkdirs(dir) != 0) asb_die_usage("cannot create output folder %s: %s", dir, strerror(errno));
    clear_recipe_env(r);
    double load_before = repro_load_average();
    for (int i = 0; i < r->nvariants; i++) {
        variant *v = &r->variants[i];
        asb_strlist_push(&v->run_args, "asbench");
        asb_strlist_push(&v->run_args, "run");
        bool runnable = runnable_args(v, r, o->quick, &v->run_args);
        char *env = asb_strlist_join(&v->env), *args = asb_strlist_join(&v->run_args);
        v->command = asb_xasprintf("%s%s%s --no-plot -o DIR/%s/round-K", env, *env ? " " : "", args, v->name);
        free(env);
        free(args);
        /* A reproduction reports only its own runs: an earlier one's folder goes. */
        char *vdir = asb_xasprintf("%s/%s", dir, v->name);
        remove_tree(vdir);
        free(vdir);
        if (!runnable) v->failure = asb_xstrdup("nothing of it is available in this build");
    }
    for (int round = 1; round <= o->max_rounds; round++) {
        bool ran = false;
        for (int i = 0; i < r->nvariants; i++) {
            variant *v = &r->variants[i];
            if (v->failure || v->stopped || (round > 1 && !repro_needs_variant(r, i))) continue;
            run_round(r, v, dir, round);
            ran = true;
        }
        if (!ran) break;
        repro_judge(r, o->min_rounds, false);
    }
    repro_judge(r, o->min_rounds, true);
    repro_write_report(r, dir, o->quick, cmdline, load_before);
    repro_write_verdicts(r, dir, o->quick);
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

static int positive(const char *option, const char *value) {
    char *end;
    long n = strtol(value, &end, 10);
    if (*end || end == value || n < 1 || n > 100) asb_die_usage("reproduce: %s %s: need an integer in 1..100", option, value);
    return (int)n;
}

/* The recipe files a NAME (or all, or a path) stands for. */
static asb_strlist recipes_named(const char *name, const char *dir, bool by_path, bool list) {
    asb_strlist files = {0};
    if (by_path) asb_strlist_push(&files, name);
    else if (list || !strcmp(name, "all")) files = repro_recipe_files(dir);
    else {
        char *path = asb_xasprintf("%s/%s.recipe", dir, name);
        if (access(path, R_OK) != 0) {
            asb_strlist all = repro_recipe_files(dir);
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
    return files;
}

int asb_cmd_reproduce(int argc, char **argv) {
    const char *name = NULL, *out_dir = NULL, *recipes_given = NULL, *docs_from = NULL, *docs_file = NULL;
    bool list = false, docs_table = false, docs_check = false;
    options o = {0};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (!strcmp(a, "--list")) list = true;
        else if (!strcmp(a, "--quick")) o.quick = true;
        else if (!strcmp(a, "--docs-table")) docs_table = true;
        else if (!strcmp(a, "--check")) docs_check = true;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--recipes") || !strcmp(a, "--from") ||
                 !strcmp(a, "--doc") || !strcmp(a, "--min-rounds") || !strcmp(a, "--max-rounds")) {
            if (i + 1 >= argc) asb_die_usage("reproduce: option %s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--recipes")) recipes_given = v;
            else if (!strcmp(a, "--from")) docs_from = v;
            else if (!strcmp(a, "--doc")) docs_file = v;
            else if (!strcmp(a, "--min-rounds")) o.min_rounds = positive(a, v);
            else if (!strcmp(a, "--max-rounds")) o.max_rounds = positive(a, v);
            else out_dir = v;
        } else if (a[0] == '-') asb_die_usage("reproduce: unknown option %s (see asbench reproduce --help)", a);
        else if (name) asb_die_usage("reproduce: one recipe at a time ('%s' and '%s'); use all for every one", name, a);
        else name = a;
    }
    if (docs_table) {
        if (name || list) asb_die_usage("reproduce: --docs-table runs no recipe");
        char *from = docs_from ? asb_xstrdup(docs_from) : asb_xasprintf("%s/results/reproduced", asb_source_dir());
        char *doc = docs_file ? asb_xstrdup(docs_file) : asb_xasprintf("%s/docs/reproduce.md", asb_source_dir());
        int status = repro_docs_table(from, doc, docs_check);
        free(from);
        free(doc);
        return status;
    }
    if (docs_check || docs_from || docs_file) asb_die_usage("reproduce: --check, --from and --doc go with --docs-table");
    if (!list && !name) asb_die_usage("reproduce: give a recipe name, all, or --list (see asbench reproduce --help)");
    if (!o.min_rounds) o.min_rounds = o.quick ? 1 : 2;
    if (!o.max_rounds) o.max_rounds = o.quick ? 2 : 4;
    if (o.min_rounds > o.max_rounds)
        asb_die_usage("reproduce: --min-rounds %d is more than --max-rounds %d", o.min_rounds, o.max_rounds);

    bool by_path = name && (strchr(name, '/') || strstr(name, ".recipe"));
    char *dir = by_path ? NULL : repro_recipe_dir(recipes_given);
    asb_strlist files = recipes_named(name, dir, by_path, list);
    /* Parse every recipe before running any: bad input costs no time. */
    recipe **rs = asb_xmalloc((size_t)files.n * sizeof *rs);
    for (int i = 0; i < files.n; i++) rs[i] = repro_parse_recipe(files.items[i]);
    if (list) {
        for (int i = 0; i < files.n; i++) printf("%-20s %s\n", rs[i]->name, rs[i]->title);
        return 0;
    }

    char *cmdline = command_line(argc, argv);
    const char *base = o.quick ? "results/reproduced-quick" : "results/reproduced";
    bool all = !by_path && !strcmp(name, "all");
    for (int i = 0; i < files.n; i++) {
        char *rdir = all ? asb_xasprintf("%s/%s", out_dir ? out_dir : base, rs[i]->name)
                         : out_dir ? asb_xstrdup(out_dir) : asb_xasprintf("%s/%s", base, rs[i]->name);
        reproduce_one(rs[i], rdir, &o, cmdline);
        free(rdir);
    }
    /* The index of a folder of reproductions: every recipe's verdicts in it. */
    if (all || !out_dir) repro_write_index(all && out_dir ? out_dir : base, cmdline);
    free(cmdline);
    free(dir);
    asb_strlist_free(&files);
    return 0;
}
