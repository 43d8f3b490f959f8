/*
 * env.c — DIR/env.json: the environment of a results folder, so that a
 * number can be traced to the machine, build and command that made it: CPU
 * model and count, kernel, compiler, each backend's library version (asked
 * from its worker with --version), git revision, command line, start time
 * and the run's settings; the machine id of the results' `machine` column;
 * and what makes times noisy or incomparable: the CPU frequency governor,
 * transparent huge pages, whether a PMU is exposed (noise.c adds load,
 * steal time and busy processes around the run).
 */
#include <errno.h>
#include <glob.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "asbench.h"

/* First line of a command's output, trimmed, or NULL. */
static char *first_line_of(const char *cmd) {
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    char buf[512];
    char *line = fgets(buf, sizeof buf, p) ? asb_xstrdup(buf) : NULL;
    while (fgets(buf, sizeof buf, p)) continue;
    int status = pclose(p);
    if (line) line[strcspn(line, "\r\n")] = 0;
    if (status != 0 || (line && !*line)) {
        free(line);
        return NULL;
    }
    return line;
}

static char *cpu_model(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    char *model = NULL;
    while (f && !model && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (colon && !strncmp(line, "model name", 10)) {
            colon += 1 + strspn(colon + 1, " \t");
            colon[strcspn(colon, "\n")] = 0;
            model = asb_xstrdup(colon);
        }
    }
    if (f) fclose(f);
    return model;
}

/* First line of a file, trimmed, or NULL. */
static char *first_line_of_file(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char buf[512];
    char *line = fgets(buf, sizeof buf, f) ? asb_xstrdup(buf) : NULL;
    fclose(f);
    if (line) line[strcspn(line, "\r\n")] = 0;
    return line;
}

static char machine_id[80];

/* FNV-1a (64 bits): a stable digest, not a secret. */
static void compute_machine_id(void) {
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    char *mid = first_line_of_file("/etc/machine-id"), *model = cpu_model();
    char *text = asb_xasprintf("%s\n%s\n%s", mid ? mid : "", host, model ? model : "");
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) h = (h ^ *p) * 1099511628211ULL;
    /* The hostname readable in front, kept to characters a CSV field and a
     * file name take as they are. */
    char name[33];
    size_t n = 0;
    for (const char *p = host; *p && n < sizeof name - 1; p++)
        name[n++] = (strchr("._-", *p) || (*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' && (*p | 32) <= 'z')) ? *p : '_';
    name[n] = 0;
    snprintf(machine_id, sizeof machine_id, "%s-%012llx", n ? name : "host", (unsigned long long)(h >> 16));
    free(text);
    free(mid);
    free(model);
}

const char *asb_machine_id(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, compute_machine_id);
    return machine_id;
}

/* The scaling governors of the CPUs ("performance", "powersave,performance"
 * when they differ) or "none" without cpufreq (most VMs). */
static char *cpu_governors(void) {
    glob_t g;
    asb_strlist seen = {0};
    if (glob("/sys/devices/system/cpu/cpu[0-9]*/cpufreq/scaling_governor", 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            char *gov = first_line_of_file(g.gl_pathv[i]);
            if (gov && *gov && !asb_strlist_has(&seen, gov)) asb_strlist_push(&seen, gov);
            free(gov);
        }
        globfree(&g);
    }
    char *out = asb_xstrdup(seen.n ? "" : "none");
    for (int i = 0; i < seen.n; i++) {
        char *next = asb_xasprintf("%s%s%s", out, i ? "," : "", seen.items[i]);
        free(out);
        out = next;
    }
    asb_strlist_free(&seen);
    return out;
}

/* The chosen mode of a THP setting ("always [madvise] never" -> "madvise"),
 * or "none" without the file. */
static char *thp_mode(const char *file) {
    char *path = asb_xasprintf("/sys/kernel/mm/transparent_hugepage/%s", file);
    char *line = first_line_of_file(path), *open = line ? strchr(line, '[') : NULL, *close = open ? strchr(open, ']') : NULL;
    char *mode = open && close ? asb_xstrndup(open + 1, (size_t)(close - open - 1)) : asb_xstrdup(line ? line : "none");
    free(line);
    free(path);
    return mode;
}

/* "available", or why perf_event_open refuses a hardware instruction
 * counter (no PMU in most VMs: ENOENT or EOPNOTSUPP). */
static char *pmu_status(void) {
    struct perf_event_attr attr = {.type = PERF_TYPE_HARDWARE, .size = sizeof attr,
                                   .config = PERF_COUNT_HW_INSTRUCTIONS, .disabled = 1,
                                   .exclude_kernel = 1, .exclude_hv = 1};
    long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
    if (fd >= 0) {
        close((int)fd);
        return asb_xstrdup("available");
    }
    int err = errno;
    char *paranoid = first_line_of_file("/proc/sys/kernel/perf_event_paranoid");
    char *why = asb_xasprintf("unavailable: perf_event_open(PERF_COUNT_HW_INSTRUCTIONS): %s (%s)%s%s", strerror(err),
                              strerrorname_np(err) ? strerrorname_np(err) : "?",
                              paranoid ? "; kernel.perf_event_paranoid=" : "", paranoid ? paranoid : "");
    free(paranoid);
    return why;
}

static const char *compiler(void) {
#ifdef __clang__
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#else
    return "unknown";
#endif
}

void asb_write_env(const char *dir, int argc, char **argv, const asb_matrix *m) {
    char *path = asb_xasprintf("%s/env.json", dir);
    FILE *f = fopen(path, "w");
    if (!f) asb_die_usage("cannot write %s: %s", path, strerror(errno));
    char stamp[64];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    struct utsname u;
    uname(&u);
    char *kernel = asb_xasprintf("%s %s %s %s", u.sysname, u.release, u.version, u.machine);
    char *model = cpu_model();
    char *git_cmd = asb_xasprintf("git -C '%s' rev-parse HEAD 2>/dev/null", asb_source_dir());
    char *rev = first_line_of(git_cmd);
    char *dirty_cmd = asb_xasprintf("git -C '%s' status --porcelain --untracked-files=no 2>/dev/null",
                                    asb_source_dir());
    char *dirty = rev ? first_line_of(dirty_cmd) : NULL;
    char host[256] = "";
    gethostname(host, sizeof host - 1);

    fprintf(f, "{\n  \"start_time\": ");
    asb_json_string(f, stamp);
    fprintf(f, ",\n  \"command_line\": [\"asbench\", \"run\"");
    for (int i = 0; i < argc; i++) {
        fputs(", ", f);
        asb_json_string(f, argv[i]);
    }
    fprintf(f, "],\n  \"host\": ");
    asb_json_string(f, host);
    fprintf(f, ",\n  \"cpu_model\": ");
    asb_json_string(f, model ? model : "unknown");
    fprintf(f, ",\n  \"cpus_online\": %ld,\n  \"kernel\": ", sysconf(_SC_NPROCESSORS_ONLN));
    asb_json_string(f, kernel);
    fprintf(f, ",\n  \"compiler\": ");
    asb_json_string(f, compiler());
    fprintf(f, ",\n  \"git_revision\": ");
    asb_json_string(f, rev ? rev : "unknown");
    fprintf(f, ",\n  \"git_dirty\": %s", rev ? (dirty ? "true" : "false") : "null");
    char *governor = cpu_governors(), *thp_enabled = thp_mode("enabled"), *thp_defrag = thp_mode("defrag"),
         *pmu = pmu_status();
    fprintf(f, ",\n  \"machine_id\": ");
    asb_json_string(f, asb_machine_id());
    fprintf(f, ",\n  \"cpu_governor\": ");
    asb_json_string(f, governor);
    fprintf(f, ",\n  \"transparent_hugepage\": {\"enabled\": ");
    asb_json_string(f, thp_enabled);
    fprintf(f, ", \"defrag\": ");
    asb_json_string(f, thp_defrag);
    fprintf(f, "},\n  \"pmu\": ");
    asb_json_string(f, pmu);
    free(governor);
    free(thp_enabled);
    free(thp_defrag);
    free(pmu);
    fprintf(f, ",\n  \"settings\": {\"reps\": %d, \"warmup\": %s, \"timeout_s\": %g, \"sample_ms\": %d, "
               "\"pin\": ", m->reps, m->warmup ? "true" : "false", m->timeout_s, m->sample_ms);
    asb_json_string(f, m->pin ? m->pin : "none");
    fprintf(f, ", \"futex_counts\": %s, \"shard\": \"%d/%d\"}", m->futex_counts ? "true" : "false",
            m->shard_index, m->shard_count);
    /* Versions as the workers report them (the library actually loaded). */
    fprintf(f, ",\n  \"backends\": {");
    asb_strlist asked = {0};
    for (int i = 0; i < m->ncells; i++) {
        const asb_cell *c = &m->cells[i];
        if (asb_strlist_has(&asked, c->alloc.name)) continue;
        asb_strlist_push(&asked, c->alloc.name);
        char *cmd, *worker = asb_worker_path(c->alloc.worker);
        if (c->alloc.preload) cmd = asb_xasprintf("echo '%s (LD_PRELOAD %s)'", c->alloc.name, c->alloc.preload);
        else cmd = asb_xasprintf("'%s' --version 2>/dev/null", worker);
        free(worker);
        char *version = first_line_of(cmd);
        if (version && c->alloc.env) { /* a variant: the base's version and the settings */
            char *with = asb_xasprintf("%s [%s]", version, c->alloc.env);
            free(version);
            version = with;
        }
        fprintf(f, "%s\n    ", asked.n > 1 ? "," : "");
        asb_json_string(f, c->alloc.name);
        fputs(": ", f);
        asb_json_string(f, version ? version : "unavailable");
        free(version);
        free(cmd);
    }
    fprintf(f, "\n  },\n  \"scheduler_variants\": {");
    asb_strlist_free(&asked);
    for (int i = 0; i < m->ncells; i++) {
        const asb_cell *c = &m->cells[i];
        if (!c->sched_env || asb_strlist_has(&asked, c->sched)) continue;
        asb_strlist_push(&asked, c->sched);
        char *what = asb_xasprintf("%s [%s]", c->sched_base, c->sched_env);
        fprintf(f, "%s\n    ", asked.n > 1 ? "," : "");
        asb_json_string(f, c->sched);
        fputs(": ", f);
        asb_json_string(f, what);
        free(what);
    }
    fprintf(f, "%s}\n}\n", asked.n ? "\n  " : "");
    if (fclose(f) != 0) asb_die_usage("cannot write %s: %s", path, strerror(errno));
    asb_strlist_free(&asked);
    free(path);
    free(kernel);
    free(model);
    free(git_cmd);
    free(rev);
    free(dirty_cmd);
    free(dirty);
}
