/*
 * reproduce.h — private to `asbench reproduce` (reproduce*.c): a recipe as
 * parsed (reproduce_recipe.c), the variants' results as they come back in
 * rounds (reproduce.c), the checks' values and verdicts
 * (reproduce_judge.c), and the report, verdicts.csv and the docs table
 * (reproduce_report.c).
 */
#ifndef ASB_REPRODUCE_H
#define ASB_REPRODUCE_H

#include "asbench.h"

/* How a check's measured value is judged against the published one. */
typedef enum rule_kind {
    RULE_SAME_SIDE,   /* both above 1 or both below 1 (ties aside): the same design wins */
    RULE_WITHIN,      /* same side, and within a factor `factor` of published */
    RULE_LOWER_BOUND, /* published is "more than P": holds if measured ≥ P / factor (ties aside) */
    RULE_UPPER_BOUND, /* published is "at most P": holds if measured ≤ P × factor (ties aside) */
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

/* A measure: numbers, references and + - * /.  A reference node points at
 * its check's table of distinct references (`slot`), so that one reference
 * written twice is one quantity (resampled once in the bootstrap). */
typedef struct expr {
    char op; /* 'n' number, 'r' reference, or one of + - * / */
    double num;
    int slot;
    struct expr *l, *r;
} expr;

typedef struct variant {
    char *name;
    asb_strlist env, args, quick_args;
    int line;
    /* After the runs: */
    asb_strlist run_args; /* "asbench run …" as run, without what this build lacks */
    asb_strlist missing; /* "backend gostyle", … dropped because not built */
    char *failure;       /* why the variant gave no results, or NULL */
    char *command;       /* the asbench run command, for the report */
    asb_results *rounds; /* results.csv of each round it ran (DIR/VARIANT/round-K) */
    int nrounds;
    char *round_note;    /* rounds whose `asbench run` reported failed runs or gave none, or NULL */
    bool stopped;        /* a round gave no results: no more rounds */
} variant;

/* What a check's measure gave over the rounds. */
typedef struct check_state {
    double value;         /* over every round pooled (medians of all their runs) */
    double lo, hi;        /* 95% bootstrap interval of that pooled value */
    double *per_round;    /* the value of each round alone (NaN where a round gave none) */
    int nrounds;
    bool decided;         /* the verdict holds over the interval and every round's value */
    char *verdict;        /* holds, does not hold, unstable, not comparable */
    char *detail;         /* the rule as applied, or why not comparable */
} check_state;

typedef struct check {
    char *name, *quantity, *published_text, *measure_text, *rule_text;
    bool has_published;
    double published;
    expr *measure;
    ref **refs; /* its distinct references, by text */
    int nrefs;
    rule rule;
    int line;
    check_state st;
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

/* reproduce_recipe.c */
/* Parse a recipe; a malformed one exits 2 with file:line. */
recipe *repro_parse_recipe(const char *path);
/* The recipe folder: given, $ASBENCH_RECIPES, ./reproduce/recipes or the source tree's. */
char *repro_recipe_dir(const char *given);
/* The *.recipe files of dir, sorted. */
asb_strlist repro_recipe_files(const char *dir);

/* reproduce_judge.c */
/* Evaluate every check over rounds 1..rounds of its variants and judge it;
 * `final` turns a check whose verdict is not yet stable into `unstable`.
 * `min_rounds`: fewer rounds than this never make a verdict stable. */
void repro_judge(recipe *r, int min_rounds, bool final);
/* Whether a check still needs more rounds of the variant v. */
bool repro_needs_variant(const recipe *r, int v);
/* One reference over the rounds (round 0: all of them pooled): the ok
 * values in *vals (allocated) and their count, or -1 with *why set. */
int repro_ref_values(const recipe *r, const ref *rf, int round, double **vals, char **why);
double repro_median(double *vals, int n);
/* The variant's missing names, comma-separated; those that concern rf
 * unless it is NULL (allocated). */
char *repro_missing_text(const variant *v, const ref *rf);
/* Tie band: a ratio within ×REPRO_TIE of 1 names no winner. */
#define REPRO_TIE 1.05

/* reproduce_report.c */
/* DIR/report.md (with ratios.png and timeline.png) and DIR/verdicts.csv. */
void repro_write_report(const recipe *r, const char *dir, bool quick, const char *cmdline, double load_before);
/* Machine-readable verdicts of one recipe: DIR/verdicts.csv. */
void repro_write_verdicts(const recipe *r, const char *dir, bool quick);
/* DIR/index.md from every DIR/NAME/verdicts.csv. */
void repro_write_index(const char *dir, const char *cmdline);
/* `asbench reproduce --docs-table`: the marked section of the doc from the
 * reports' verdicts.csv; with check, compare instead of writing.  Returns
 * the exit status (0; 1 when check finds a difference). */
int repro_docs_table(const char *results_dir, const char *doc_path, bool check);
/* 1-minute load average, NaN if unknown. */
double repro_load_average(void);
/* Four significant digits, but whole numbers of 1000 and more in full. */
void repro_fmt_value(char *buf, size_t len, double v);

/* reproduce.c */
/* Run a child through the worker client (client.h): argv[0] a path or a
 * program on PATH, env's NAME=VALUE items added to its environment, its
 * output (stdout and stderr; the last 64 KiB) written to log_path, or
 * dropped when log_path is NULL.  Returns its exit status, or -1 with *why
 * (allocated) when it could not start or a signal ended it. */
int repro_launch(const asb_strlist *argv, const asb_strlist *env, const char *log_path, char **why);

#endif
