/*
 * record.c — `asbench record -o FILE [--] CMD ARGS…`: runs CMD with the
 * allocation recorder (tools/recorder, libasbrecord.so) preloaded, then
 * checks the trace it wrote and prints its summary.  Processes CMD execs
 * (e.g. gcc's cc1) write FILE.<pid>; they are listed at the end.
 * Format and recorder: docs/trace-format.md.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "asbench.h"
#include "trace/trace_format.h"

static const char record_usage[] =
    "usage: asbench record -o FILE [--] CMD [ARGS…]\n"
    "  Runs CMD with the allocation recorder preloaded and writes its trace to FILE\n"
    "  (processes it execs write FILE.<pid>).  ASB_RECORDER=/path/libasbrecord.so\n"
    "  overrides where the recorder library is looked for.\n";

static char *recorder_path(void) {
    const char *env = getenv("ASB_RECORDER");
    char *path = env && *env ? asb_xstrdup(env) : asb_xasprintf("%s/../tools/recorder/libasbrecord.so", asb_exe_dir());
    char *resolved = realpath(path, NULL);
    if (!resolved) asb_die("recorder library %s: %s (build it: ninja libasbrecord.so)", path, strerror(errno));
    free(path);
    return resolved;
}

/* FILE as an absolute path: the command may change directory. */
static char *absolute(const char *file) {
    if (file[0] == '/') return asb_xstrdup(file);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) asb_die("getcwd: %s", strerror(errno));
    return asb_xasprintf("%s/%s", cwd, file);
}

static void print_summary(const char *path) {
    trace tr;
    char err[600];
    if (trace_load(path, 0, &tr, err, sizeof err)) {
        fprintf(stderr, "asbench record: %s\n", err);
        return;
    }
    const trace_stats *s = &tr.stats;
    printf("%s: %llu ops (%llu allocations, %llu frees, %llu cross-thread) from %u threads; peak live %llu B\n",
           path, (unsigned long long)tr.header.ops, (unsigned long long)s->allocs,
           (unsigned long long)s->by_type[TRACE_FREE], (unsigned long long)s->cross_thread_frees, tr.header.threads,
           (unsigned long long)s->peak_live_bytes);
    printf("  not recorded: %llu early ops, %llu frees of unseen blocks, %llu failed allocations\n",
           (unsigned long long)tr.header.early_ops, (unsigned long long)tr.header.unseen_frees,
           (unsigned long long)tr.header.failed_allocs);
    trace_free(&tr);
}

/* The FILE.<pid> traces written since `since` by processes CMD exec'd. */
static void list_descendants(const char *file, time_t since) {
    char *copy = asb_xstrdup(file), *copy2 = asb_xstrdup(file);
    const char *dir = dirname(copy), *base = basename(copy2);
    size_t blen = strlen(base);
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            const char *n = e->d_name;
            if (strncmp(n, base, blen) || n[blen] != '.' || !n[blen + 1] || strspn(n + blen + 1, "0123456789") != strlen(n + blen + 1))
                continue;
            char *path = asb_xasprintf("%s/%s", dir, n);
            struct stat st;
            if (stat(path, &st) == 0 && st.st_mtime >= since) print_summary(path);
            free(path);
        }
        closedir(d);
    }
    free(copy);
    free(copy2);
}

int asb_cmd_record(int argc, char **argv) {
    const char *out = NULL;
    int i = 0;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(record_usage, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else if (argv[i][0] == '-') {
            fputs(record_usage, stderr);
            asb_die_usage("record: unknown option %s", argv[i]);
        } else break;
    }
    if (!out || i >= argc) {
        fputs(record_usage, stderr);
        asb_die_usage("record: need -o FILE and a command");
    }
    char *lib = recorder_path(), *file = absolute(out);
    const char *old_preload = getenv("LD_PRELOAD");
    char *preload = old_preload && *old_preload ? asb_xasprintf("%s:%s", lib, old_preload) : asb_xstrdup(lib);
    time_t start = time(NULL);
    if (unlink(file) != 0 && errno != ENOENT) asb_die_usage("record: %s: %s", file, strerror(errno));
    /* Fail before running the program if the trace cannot be written. */
    int probe = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (probe < 0) asb_die_usage("record: cannot write %s: %s", file, strerror(errno));
    close(probe);
    unlink(file);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) asb_die("fork: %s", strerror(errno));
    if (pid == 0) {
        char *me = asb_xasprintf("%ld", (long)getpid());
        setenv("ASB_RECORD_FILE", file, 1);
        setenv("ASB_RECORD_PID", me, 1);
        setenv("LD_PRELOAD", preload, 1);
        execvp(argv[i], argv + i);
        fprintf(stderr, "asbench record: %s: %s\n", argv[i], strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) asb_die("waitpid: %s", strerror(errno));
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (rc) fprintf(stderr, "asbench record: %s exited with status %d\n", argv[i], rc);
    if (access(file, F_OK) != 0) {
        /* exec failed (127), or the program ignored LD_PRELOAD */
        if (rc != 127)
            fprintf(stderr, "asbench record: %s wrote no trace (a static or setuid program ignores LD_PRELOAD)\n",
                    argv[i]);
        return rc ? rc : 1;
    }
    print_summary(file);
    list_descendants(file, start);
    free(lib);
    free(file);
    free(preload);
    return rc;
}
