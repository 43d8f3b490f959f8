/*
 * security.c — `asbench security`: the heap-misuse scenarios of
 * workloads/security (docs/security.md) against every backend chosen, each
 * scenario in a fresh worker of that backend (so LD_PRELOAD libraries and
 * variants apply), with a timeout; the outcome becomes one verdict:
 *
 *   detected       the process stopped at the misuse step (the allocator's
 *                  message, or its signal: SIGABRT from a check, SIGSEGV
 *                  from touching what it should not);
 *   detected-late  it stopped in a later allocator call, by a check: a
 *                  message, SIGABRT/SIGTRAP/SIGILL, or an exit;
 *   crashed-later  it stopped later by a fault without a message, or in the
 *                  program's own code: an unrelated crash;
 *   exploitable    the program went on and the scenario reached its
 *                  primitive (a block handed out twice, overlapping live
 *                  blocks, malloc returning planted or foreign memory, …);
 *   silent         the program went on and the primitive was not reached;
 *   timeout        killed after --timeout seconds;
 *   not-applicable the scenario cannot apply (the reason is the detail);
 *   error          the scenario could not be run (never a finding).
 *
 * How far the worker got comes from its `security-probe:` lines on stderr
 * (security.h); any other stderr line is the allocator's own message.
 * Rows go to DIR/security.csv (backend, scenario, verdict, detail) as each
 * scenario finishes, and DIR/report.md gets a scenario × backend table.
 * Exit status: 0 when the catalogue ran (verdicts are findings), 2 for bad
 * input.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "client.h"
#include "security/security.h"

static const char *security_usage =
    "usage: asbench security --alloc LIST [options]\n"
    "  --alloc LIST       backends, comma-separated, or all; name=/path/lib.so for a library\n"
    "                     run in the glibc worker under LD_PRELOAD; name=backend[VAR=V;…] for\n"
    "                     a backend run with settings in its environment\n"
    "  --scenario LIST    misuse scenarios, comma-separated, or all (default all; --list names them)\n"
    "  -o DIR             results folder (default results/security-YYYYmmdd-HHMMSS): security.csv\n"
    "                     (backend,scenario,verdict,detail), one row per scenario as it ends, and report.md\n"
    "  --timeout S        seconds before a scenario's worker is killed: verdict timeout (default 10)\n"
    "  --list             print the scenarios (misuse, and when it counts as exploitable) and exit\n"
    "Verdicts: detected, detected-late, crashed-later, exploitable, silent, timeout, not-applicable\n"
    "(docs/security.md).  Exit status 0 when it ran, whatever the verdicts; 2 for bad input.\n";

typedef struct security_options {
    asb_alloc_choice *allocs;
    int nallocs;
    const sec_scenario **scenarios;
    int nscenarios;
    char *dir;
    double timeout_s;
} security_options;

static void list_scenarios(void) {
    printf("%-24s %-62s %s\n", "scenario", "misuse", "exploitable when");
    for (int i = 0; i < sec_nscenarios; i++)
        printf("%-24s %-62s %s\n", sec_scenarios[i].name, sec_scenarios[i].misuse, sec_scenarios[i].primitive);
}

static char *default_dir(void) {
    char stamp[32];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
    return asb_xasprintf("results/security-%s", stamp);
}

static void parse_scenarios(const char *spec, security_options *o) {
    o->scenarios = asb_xmalloc(sizeof *o->scenarios * (size_t)sec_nscenarios);
    if (!strcmp(spec, "all")) {
        for (int i = 0; i < sec_nscenarios; i++) o->scenarios[i] = &sec_scenarios[i];
        o->nscenarios = sec_nscenarios;
        return;
    }
    asb_strlist names = {0};
    asb_strlist_split(&names, spec, ',');
    if (names.n == 0) asb_die_usage("security: --scenario '%s' names no scenario", spec);
    for (int i = 0; i < names.n; i++) {
        const sec_scenario *s = sec_scenario_find(names.items[i]);
        if (!s) asb_die_usage("security: unknown scenario '%s' (asbench security --list)", names.items[i]);
        bool seen = false;
        for (int k = 0; k < o->nscenarios; k++) seen |= o->scenarios[k] == s;
        if (!seen && o->nscenarios < sec_nscenarios) o->scenarios[o->nscenarios++] = s;
    }
    asb_strlist_free(&names);
}

static void parse_security_options(int argc, char **argv, security_options *o) {
    const char *alloc_spec = NULL, *scenario_spec = "all";
    *o = (security_options){.timeout_s = 10};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(security_usage, stdout);
            exit(0);
        }
        if (!strcmp(a, "--list")) {
            list_scenarios();
            exit(0);
        }
        if (i + 1 >= argc) asb_die_usage("security: option %s needs a value (see asbench security --help)", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--alloc")) alloc_spec = v;
        else if (!strcmp(a, "--scenario")) scenario_spec = v;
        else if (!strcmp(a, "-o")) o->dir = asb_xstrdup(v);
        else if (!strcmp(a, "--timeout")) {
            char *end;
            errno = 0;
            o->timeout_s = strtod(v, &end);
            if (errno || end == v || *end || !(o->timeout_s > 0 && o->timeout_s <= 3600))
                asb_die_usage("security: --timeout %s: need seconds in (0, 3600]", v);
        } else asb_die_usage("security: unknown option %s (see asbench security --help)", a);
    }
    if (!alloc_spec) asb_die_usage("security: --alloc is required (see asbench security --help)");
    char *err = NULL;
    o->nallocs = asb_parse_allocs(alloc_spec, &o->allocs, &err);
    if (o->nallocs < 0) asb_die_usage("%s", err);
    asb_refuse_go_heap("security", o->allocs, o->nallocs);
    parse_scenarios(scenario_spec, o);
    if (!o->dir) o->dir = default_dir();
}

/* ---- what the worker said ------------------------------------------------- */

enum step { STEP_SETUP, STEP_MISUSE, STEP_LATER, STEP_CHECK, STEP_DONE };
static const char *const step_names[] = {"set-up", "misuse", "later allocator calls", "own checks", "exit"};

typedef struct probe_report {
    enum step reached;
    char *misuse;         /* what the misuse step was */
    char *observed;       /* the last observation */
    int exploited;        /* -1: no result line */
    char *result;         /* the result line's text */
    char *allocator_says; /* the first stderr line that is not the worker's */
} probe_report;

static char *copy_line(const char *p, const char *end) {
    size_t n = (size_t)(end - p);
    return asb_xstrndup(p, n > 300 ? 300 : n);
}

static void read_probe(const char *err, probe_report *pr) {
    *pr = (probe_report){.exploited = -1};
    const size_t plen = strlen(SEC_PROBE_PREFIX);
    for (const char *p = err; p && *p;) {
        const char *end = strchr(p, '\n');
        if (!end) end = p + strlen(p);
        if (!strncmp(p, SEC_PROBE_PREFIX, plen)) {
            const char *k = p + plen;
            if (!strncmp(k, "misuse: ", 8)) {
                pr->reached = STEP_MISUSE;
                free(pr->misuse);
                pr->misuse = copy_line(k + 8, end);
            } else if (!strncmp(k, "later", 5)) pr->reached = STEP_LATER;
            else if (!strncmp(k, "check", 5)) pr->reached = STEP_CHECK;
            else if (!strncmp(k, "observed: ", 10)) {
                free(pr->observed);
                pr->observed = copy_line(k + 10, end);
            } else if (!strncmp(k, "exploited: ", 11) || !strncmp(k, "not exploited: ", 15)) {
                pr->exploited = k[0] == 'e';
                pr->reached = STEP_DONE;
                free(pr->result);
                pr->result = copy_line(strchr(k, ':') + 2, end);
            }
        } else if (end > p && !pr->allocator_says && strncmp(p, "security: ", 10) && strncmp(p, "asbench-worker: ", 16)) {
            pr->allocator_says = copy_line(p, end);
        }
        p = *end ? end + 1 : end;
    }
}

static void free_probe(probe_report *pr) {
    free(pr->misuse);
    free(pr->observed);
    free(pr->result);
    free(pr->allocator_says);
}

/* ---- the verdict ------------------------------------------------------------ */

typedef struct finding {
    const char *verdict;
    char *detail;
} finding;

/* The process ended before the worker's final report: who stopped it, at
 * which step. */
static finding stopped(const asb_outcome *o, const probe_report *pr) {
    char how[64];
    if (o->signal) snprintf(how, sizeof how, "%s", o->status + strlen("crashed:"));
    else snprintf(how, sizeof how, "exit %d", o->exit_code);
    const char *says = pr->allocator_says;
    bool check = says || !o->signal || o->signal == SIGABRT || o->signal == SIGTRAP || o->signal == SIGILL;
    char *what;
    if (says) what = asb_xasprintf("%s: %s", how, says);
    else what = asb_xasprintf("%s, no message%s", how, check ? "" : " (a fault, not a check)");
    finding f;
    switch (pr->reached) {
    case STEP_SETUP:
        f = (finding){"error", asb_xasprintf("stopped before the misuse: %s", what)};
        break;
    case STEP_MISUSE:
        f = (finding){"detected", asb_xasprintf("%s at the misuse (%s)", what, pr->misuse)};
        break;
    case STEP_LATER:
        f = (finding){check ? "detected-late" : "crashed-later",
                      asb_xasprintf("%s in a later allocator call%s%s", what, pr->observed ? "; saw: " : "",
                                    pr->observed ? pr->observed : "")};
        break;
    case STEP_CHECK:
        f = (finding){"crashed-later", asb_xasprintf("%s in the program's own code after the misuse", what)};
        break;
    case STEP_DONE: /* the primitive, once reached, stays the finding */
        f = (finding){pr->exploited ? "exploitable" : "crashed-later",
                      asb_xasprintf("%s%s at exit, after the scenario's result: %s", pr->exploited ? "then " : "", what,
                                    pr->result)};
    }
    free(what);
    return f;
}

static finding classify(const asb_outcome *o) {
    probe_report pr;
    read_probe(o->err_tail ? o->err_tail : "", &pr);
    finding f;
    if (!strcmp(o->status, "timeout"))
        f = (finding){"timeout", asb_xasprintf("killed after %.0f s in the %s step", o->wall_s, step_names[pr.reached])};
    else if (!strcmp(o->status, "unsupported"))
        f = (finding){"not-applicable", asb_xstrdup(o->message ? o->message : "the scenario does not apply")};
    else if (o->signal || (!asb_outcome_value(o, "status") && o->exit_code > 0))
        f = stopped(o, &pr);
    else if (!strcmp(o->status, "ok") && pr.exploited >= 0)
        f = (finding){pr.exploited ? "exploitable" : "silent",
                      asb_xasprintf("%s%s%s", pr.result, pr.allocator_says ? "; it printed: " : "",
                                    pr.allocator_says ? pr.allocator_says : "")};
    else
        f = (finding){"error", asb_xasprintf("%s: %s", o->status, o->message ? o->message : "no result line")};
    free_probe(&pr);
    return f;
}

/* ---- running a scenario ------------------------------------------------------- */

static void run_worker(const security_options *opt, const asb_alloc_choice *alloc, const sec_scenario *s,
                       asb_outcome *out) {
    asb_argv argv = {0};
    char *path = asb_worker_path(alloc->worker);
    asb_argv_push(&argv, path);
    free(path);
    const char *fixed[] = {"--workload", "security", "--result-fd", "3"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) asb_argv_push(&argv, fixed[i]);
    asb_argv_push(&argv, "--param");
    asb_argv_pushf(&argv, "scenario=%s", s->name);
    if (alloc->preload) {
        asb_argv_push(&argv, "--preloaded");
        asb_argv_push(&argv, alloc->name);
    }
    /* glibc's fatal messages go to stderr, not to a terminal, so that the
     * verdict can quote them. */
    asb_launch l = {.argv = &argv, .alloc = alloc, .env_settings = "LIBC_FATAL_STDERR_=1", .result_pipe = true,
                    .stdout_to_stderr = true, .quiet = true, .timeout_s = opt->timeout_s};
    asb_client_run(&l, out);
    asb_argv_free(&argv);
}

/* An across-run scenario (aslr-first): every run must end well; then the
 * address bits that differ between runs. */
static finding across_runs(const security_options *opt, const asb_alloc_choice *alloc, const sec_scenario *s) {
    unsigned long long first = 0, varying = 0;
    for (int run = 0; run < s->runs; run++) {
        asb_outcome out;
        run_worker(opt, alloc, s, &out);
        finding f = classify(&out);
        double addr = asb_outcome_number(&out, "extra.first_addr");
        asb_outcome_free(&out);
        if (strcmp(f.verdict, "silent") != 0 || isnan(addr)) {
            if (!strcmp(f.verdict, "silent")) f = (finding){"error", asb_xstrdup("no extra.first_addr")};
            return f;
        }
        free(f.detail);
        unsigned long long a = (unsigned long long)addr;
        if (run == 0) first = a;
        varying |= a ^ first;
    }
    char *aslr = asb_read_file("/proc/sys/kernel/randomize_va_space", NULL);
    int aslr_level = aslr ? atoi(aslr) : -1;
    free(aslr);
    if (!varying)
        return (finding){"exploitable", asb_xasprintf("the first block is at %#llx in all %d runs (randomize_va_space=%d)",
                                                      first, s->runs, aslr_level)};
    return (finding){"silent", asb_xasprintf("%d address bits vary across %d runs (randomize_va_space=%d)",
                                             __builtin_popcountll(varying), s->runs, aslr_level)};
}

static finding run_scenario(const security_options *opt, const asb_alloc_choice *alloc, const sec_scenario *s) {
    if (s->runs > 1) return across_runs(opt, alloc, s);
    asb_outcome out;
    run_worker(opt, alloc, s, &out);
    if (!strcmp(out.status, "usage") || !strcmp(out.status, "not-started")) {
        char *who = asb_alloc_choice_describe(alloc);
        asb_die_usage("security: %s: the worker could not run scenario %s: %s", who, s->name,
                      out.message ? out.message : out.status);
    }
    finding f = classify(&out);
    asb_outcome_free(&out);
    return f;
}

/* ---- output ------------------------------------------------------------------- */

typedef struct row {
    char *backend;
    const char *scenario, *verdict;
    char *detail;
} row;

static void write_row(FILE *csv, const row *r) {
    asb_csv_field(csv, r->backend, false);
    asb_csv_field(csv, r->scenario, false);
    asb_csv_field(csv, r->verdict, false);
    asb_csv_field(csv, r->detail, true);
    fflush(csv);
}

/* A table cell: | and newlines would break the markdown row. */
static void md_cell(FILE *f, const char *text) {
    fputs("| ", f);
    for (const char *p = text; *p; p++) {
        if (*p == '|') fputs("\\|", f);
        else fputc(*p == '\n' ? ' ' : *p, f);
    }
    fputc(' ', f);
}

static void write_report(const security_options *o, const row *rows, int nrows) {
    char *path = asb_xasprintf("%s/report.md", o->dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "asbench security: cannot write %s: %s\n", path, strerror(errno));
        free(path);
        return;
    }
    fprintf(f, "# Heap misuse: what each allocator does\n\n"
               "One worker per scenario and backend (`asbench security`); verdicts and their rules in "
               "docs/security.md, every detail in security.csv.\n\nBackends:");
    for (int a = 0; a < o->nallocs; a++) {
        char *who = asb_alloc_choice_describe(&o->allocs[a]);
        fprintf(f, "%s `%s`", a ? "," : "", who);
        free(who);
    }
    fputs(".\n\n| scenario ", f);
    for (int a = 0; a < o->nallocs; a++) md_cell(f, o->allocs[a].name);
    fputs("|\n|---", f);
    for (int a = 0; a < o->nallocs; a++) fputs("|---", f);
    fputs("|\n", f);
    for (int s = 0; s < o->nscenarios; s++) {
        fprintf(f, "| %s ", o->scenarios[s]->name);
        for (int a = 0; a < o->nallocs; a++) {
            const row *r = NULL;
            for (int i = 0; i < nrows && !r; i++)
                if (rows[i].scenario == o->scenarios[s]->name && !strcmp(rows[i].backend, o->allocs[a].name))
                    r = &rows[i];
            md_cell(f, r ? r->verdict : "—");
        }
        fputs("|\n", f);
    }
    fputs("\n## Details\n\n| backend | scenario | verdict | detail |\n|---|---|---|---|\n", f);
    for (int i = 0; i < nrows; i++) {
        md_cell(f, rows[i].backend);
        md_cell(f, rows[i].scenario);
        md_cell(f, rows[i].verdict);
        md_cell(f, rows[i].detail);
        fputs("|\n", f);
    }
    fclose(f);
    free(path);
}

static FILE *open_csv(const security_options *o) {
    char *path = asb_xasprintf("%s/security.csv", o->dir);
    if (asb_mkdirs(o->dir) != 0) asb_die_usage("security: -o %s: cannot create the folder: %s", o->dir, strerror(errno));
    FILE *csv = fopen(path, "wx"); /* never over rows written before */
    if (!csv && errno == EEXIST) asb_die_usage("security: %s already exists: choose another -o", path);
    if (!csv) asb_die_usage("security: cannot write %s: %s", path, strerror(errno));
    fputs("backend,scenario,verdict,detail\n", csv);
    fflush(csv);
    free(path);
    return csv;
}

int asb_cmd_security(int argc, char **argv) {
    security_options o;
    parse_security_options(argc, argv, &o);
    /* Aborting scenarios would otherwise leave a core file each. */
    setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0});
    FILE *csv = open_csv(&o);
    int nrows = 0;
    row *rows = asb_xmalloc(sizeof *rows * (size_t)(o.nallocs * o.nscenarios));
    for (int a = 0; a < o.nallocs; a++)
        for (int s = 0; s < o.nscenarios; s++) {
            finding f = run_scenario(&o, &o.allocs[a], o.scenarios[s]);
            row r = {asb_xstrdup(o.allocs[a].name), o.scenarios[s]->name, f.verdict, f.detail};
            write_row(csv, &r);
            printf("security: %-12s %-24s %-14s %s\n", r.backend, r.scenario, r.verdict, r.detail);
            fflush(stdout);
            rows[nrows++] = r;
        }
    fclose(csv);
    write_report(&o, rows, nrows);
    printf("security: %d verdicts in %s/security.csv and %s/report.md\n", nrows, o.dir, o.dir);
    for (int i = 0; i < nrows; i++) {
        free(rows[i].backend);
        free(rows[i].detail);
    }
    free(rows);
    return 0;
}
