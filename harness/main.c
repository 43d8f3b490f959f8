/* main.c — the asbench command line: one program, one sub-command each. */
#include <string.h>

#include "asbench.h"
#include "report.h"
#include "settings.h"

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"run", asb_cmd_run, "run a benchmark matrix into a results folder (CSV + charts)"},
    {"list", asb_cmd_list, "list backends (found/missing), schedulers and workloads with parameters"},
    {"plot", asb_cmd_plot, "draw the charts of a results folder with gnuplot, and its report.md"},
    {"summary", asb_cmd_summary, "write a results folder's summary.csv (medians, 95% CIs)"},
    {"compare", asb_cmd_compare, "compare two results folders cell by cell; exit 1 on a regression (CI gate)"},
    {"merge", asb_cmd_merge, "join the results folders of a sharded matrix (run --shard i/n)"},
    {"micro", asb_cmd_micro, "Google Benchmark allocator micro-benchmarks per backend, into a results folder"},
    {"reproduce", asb_cmd_reproduce, "re-run a published experiment: published vs measured, with a verdict"},
    {"stress", asb_cmd_stress, "randomized multi-threaded allocation torture with integrity checks, one verdict per backend"},
    {"security", asb_cmd_security, "heap-misuse scenarios (double free, overflow, use after free …) per backend, a verdict each"},
    {"db", asb_cmd_db, "the SQLite results store: add a results folder, query a cell's history, bisect a change"},
    {"history", asb_cmd_history, "trend per cell and machine across stored runs, with change points (HTML)"},
    {"record", asb_cmd_record, "run a command under the allocation recorder, writing a trace"},
    {"trace", asb_cmd_trace, "dump a recorded allocation trace as text, or print its statistics"},
};

/* Commands whose workers inherit this environment: a misspelt GOSTYLEDEBUG
 * or GMPDEBUG in it is refused (exit 2) before anything runs. */
static bool runs_workers(const char *name) {
    static const char *const names[] = {"run", "stress", "micro", "reproduce", "security"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(name, names[i])) return true;
    return false;
}

static void usage(FILE *to) {
    fprintf(to, "usage: asbench COMMAND [options]   (asbench COMMAND --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(to, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? ASB_EXIT_USAGE : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            if (runs_workers(argv[1])) asb_check_settings_env();
            return commands[i].fn(argc - 2, argv + 2);
        }
    fprintf(stderr, "asbench: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return ASB_EXIT_USAGE;
}
