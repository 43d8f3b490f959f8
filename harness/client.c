/*
 * client.c — the worker client (client.h): fork+exec one child, pass its
 * results back over a pipe on its fd 3, keep and echo its stderr, sample its
 * RSS into a timeline, kill it at the timeout or on interrupt, reap it with
 * wait4() and name what happened.
 *
 * Status: a signal is `crashed:SIGNAME`; an exit code is named by
 * asb_status_name, the worker's exit codes; a worker's own `status=` line
 * must agree with its exit code (a worker that said ok and then exited 1 is
 * an `error`, with a message saying so).  Exit 127 from the child means exec
 * failed.
 *
 * Timeline: RSS (statm) every tick; huge pages from smaps_rollup every few
 * ticks, as often as keeps its cost near 2% of the interval (it walks the
 * child's page tables and holds its mmap lock); the workload's live bytes
 * from the shared page every tick (memory.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "memory.h"

enum { ERR_TAIL_MAX = 64 * 1024 };

void asb_argv_push(asb_argv *a, const char *arg) {
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? 2 * a->cap : 16;
        a->v = realloc(a->v, (size_t)a->cap * sizeof *a->v);
        if (!a->v) asb_die("out of memory");
    }
    a->v[a->n++] = asb_xstrdup(arg);
    a->v[a->n] = NULL;
}

void asb_argv_pushf(asb_argv *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) asb_die("out of memory");
    va_end(ap);
    asb_argv_push(a, s);
    free(s);
}

void asb_argv_free(asb_argv *a) {
    for (int i = 0; i < a->n; i++) free(a->v[i]);
    free(a->v);
    *a = (asb_argv){0};
}

/* The machine's busy and steal time so far, in seconds (all CPUs), from the
 * first line of /proc/stat; false where it cannot be read. */
static bool cpu_times(double *busy_s, double *steal_s) {
    FILE *f = fopen("/proc/stat", "re");
    if (!f) return false;
    unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal;
    int got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle, &iowait, &irq,
                     &softirq, &steal);
    fclose(f);
    if (got != 8) return false;
    double hz = (double)sysconf(_SC_CLK_TCK);
    *busy_s = (double)(user + nice + sys + irq + softirq) / hz;
    *steal_s = (double)steal / hz;
    return true;
}

/* A child's output read through a pipe: all of it (results) or the last
 * ERR_TAIL_MAX bytes (stderr), NUL-terminated. */
typedef struct stream {
    int fd;
    bool eof, echo, tail_only;
    char *buf;
    size_t len, cap;
} stream;

static void stream_read(stream *s) {
    if (s->cap - s->len < 4096) {
        if (s->tail_only && s->len >= ERR_TAIL_MAX) { /* keep the newest half */
            memmove(s->buf, s->buf + s->len - ERR_TAIL_MAX / 2, ERR_TAIL_MAX / 2);
            s->len = ERR_TAIL_MAX / 2;
        } else {
            s->cap = s->cap ? 2 * s->cap : 8192;
            s->buf = realloc(s->buf, s->cap);
            if (!s->buf) asb_die("out of memory");
        }
    }
    ssize_t got = read(s->fd, s->buf + s->len, s->cap - s->len - 1);
    if (got > 0) {
        if (s->echo && write(2, s->buf + s->len, (size_t)got) < 0) s->echo = false;
        s->len += (size_t)got;
    } else if (got == 0 || errno != EINTR) {
        s->eof = true;
    }
    s->buf[s->len] = 0;
}

/* After the child exited: what is still in the pipe.  A grandchild that
 * inherited the pipe (a forked helper that outlives the worker) must not
 * hold the harness, so reading stops after DRAIN_MS without news. */
enum { DRAIN_MS = 2000 };
static void stream_finish(stream *s) {
    while (!s->eof) {
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        if (poll(&pfd, 1, DRAIN_MS) <= 0) break;
        stream_read(s);
    }
    close(s->fd);
    if (!s->buf) {
        s->buf = asb_xstrdup("");
        s->len = 0;
    }
}

/* THP=never from a variant (or the environment): no transparent huge pages
 * for the child (PR_SET_THP_DISABLE survives exec); THP=default leaves the
 * machine's mode.  settings.c has refused any other value already. */
static void apply_thp_setting(void) {
    const char *thp = getenv("THP");
    if (!thp || strcmp(thp, "never") != 0) return;
    if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) {
        fprintf(stderr, "asbench: THP=never: prctl(PR_SET_THP_DISABLE): %s\n", strerror(errno));
        _exit(127);
    }
}

/* In the child: environment, descriptors, affinity, then exec. */
static void exec_child(const asb_launch *l, int result_fd, int err_fd, int live_fd) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* a killed harness leaves no child behind */
    /* A process group of its own, so that a timeout or an interrupt kills what
     * the child started too (an application's script and its programs); stdin
     * from /dev/null, as a background group must not read the terminal. */
    setpgid(0, 0);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0 || dup2(null_fd, 0) < 0) _exit(127);
    if (dup2(err_fd, 2) < 0) _exit(127);
    if (l->stdout_to_stderr && dup2(2, 1) < 0) _exit(127);
    if (result_fd >= 0 && dup2(result_fd, 3) < 0) _exit(127); /* dup2 clears O_CLOEXEC */
    if (live_fd >= 0 && dup2(live_fd, ASB_LIVE_FD) < 0) _exit(127);
    if (l->alloc) asb_alloc_choice_setenv(l->alloc);
    if (l->env_settings) asb_setenv_settings(l->env_settings);
    apply_thp_setting();
    if (l->nice && setpriority(PRIO_PROCESS, 0, *l->nice) != 0) {
        fprintf(stderr, "asbench: cannot set the nice value %d: %s\n", *l->nice, strerror(errno));
        _exit(127);
    }
    if (l->pin && sched_setaffinity(0, sizeof *l->pin, l->pin) != 0) {
        fprintf(stderr, "asbench: cannot pin to the given CPUs: %s\n", strerror(errno));
        _exit(127);
    }
    execvp(l->argv->v[0], l->argv->v);
    fprintf(stderr, "asbench: cannot run %s: %s\n", l->argv->v[0], strerror(errno));
    _exit(127);
}

/* The last non-empty line of text (allocated, at most 300 bytes), or NULL. */
static char *last_line(const char *text) {
    const char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r')) end--;
    const char *line = end;
    while (line > text && line[-1] != '\n') line--;
    size_t n = (size_t)(end - line);
    return n ? asb_xstrndup(line, n < 300 ? n : 300) : NULL;
}

/* Names the outcome from how the child ended and what it said. */
static void name_status(const asb_launch *l, asb_outcome *o, int wstatus, bool timed_out, bool interrupted) {
    if (interrupted) {
        snprintf(o->status, sizeof o->status, "interrupted");
        return;
    }
    if (timed_out) {
        snprintf(o->status, sizeof o->status, "timeout");
        o->message = asb_xasprintf("killed after %g s", l->timeout_s);
        return;
    }
    if (WIFSIGNALED(wstatus)) {
        o->signal = WTERMSIG(wstatus);
        const char *abbrev = sigabbrev_np(o->signal);
        snprintf(o->status, sizeof o->status, "crashed:SIG%s", abbrev ? abbrev : "UNKNOWN");
        o->message = asb_xasprintf("killed by signal %d (%s)", o->signal, strsignal(o->signal));
        return;
    }
    o->exit_code = WEXITSTATUS(wstatus);
    if (o->exit_code == 127) {
        snprintf(o->status, sizeof o->status, "not-started");
        o->message = last_line(o->err_tail);
        if (!o->message) o->message = asb_xasprintf("%s could not be started", l->argv->v[0]);
        return;
    }
    const char *name = o->exit_code <= ASB_UNSUPPORTED ? asb_status_name(o->exit_code) : "error";
    snprintf(o->status, sizeof o->status, "%s", name);
    const char *said = asb_outcome_value(o, "status");
    const char *msg = asb_outcome_value(o, "message");
    if (said && strcmp(said, name) != 0) {
        snprintf(o->status, sizeof o->status, "error");
        o->message = asb_xasprintf("worker reported status=%s but exited with %d", said, o->exit_code);
    } else if (msg) {
        o->message = asb_xstrdup(msg); /* the worker's own message is the most precise */
    } else if (strcmp(name, "ok") != 0) {
        o->message = last_line(o->err_tail);
        if (!o->message && o->exit_code > ASB_UNSUPPORTED)
            o->message = asb_xasprintf("exited with status %d", o->exit_code);
    }
}

/* The page a worker publishes its live bytes in (live_page.h), as a memfd
 * for the child's ASB_LIVE_FD; NULL (and *fd -1) when it cannot be made. */
static asb_live_page *live_page_create(int *fd) {
    *fd = memfd_create("asbench-live", MFD_CLOEXEC);
    void *p = MAP_FAILED;
    if (*fd >= 0 && ftruncate(*fd, sizeof(asb_live_page)) == 0)
        p = mmap(NULL, sizeof(asb_live_page), PROT_READ, MAP_SHARED, *fd, 0);
    if (p != MAP_FAILED) return p;
    if (*fd >= 0) close(*fd);
    *fd = -1;
    return NULL;
}

/* The sum of the slots, or -1 when the workload publishes none. */
static double live_bytes_now(const asb_live_page *p) {
    if (!p || !atomic_load_explicit(&p->tracked, memory_order_relaxed) ||
        atomic_load_explicit(&p->overflow, memory_order_relaxed))
        return -1;
    int64_t sum = 0;
    for (int i = 0; i < ASB_LIVE_SLOTS; i++) sum += atomic_load_explicit(&p->slot[i].bytes, memory_order_relaxed);
    return (double)sum;
}

/* One timeline row; smaps is read only on the ticks it is due, when the
 * time its last reading took is up to 2% of the ticks since. */
typedef struct timeline_state {
    FILE *f;
    int ticks_to_smaps;
} timeline_state;

static void timeline_sample(timeline_state *tl, pid_t pid, double t_ms, int sample_ms, const asb_live_page *live) {
    long rss = asb_rss_kb(pid);
    if (rss <= 0) return; /* 0 once the child has exited and awaits wait4(): not a sample */
    fprintf(tl->f, "%.0f,%ld,", t_ms, rss);
    asb_smaps sm;
    if (--tl->ticks_to_smaps <= 0) {
        double t0 = asb_now_s();
        bool got = asb_smaps_read(pid, &sm);
        double took_ms = (asb_now_s() - t0) * 1000;
        tl->ticks_to_smaps = (int)fmax(5, ceil(50 * took_ms / sample_ms));
        if (got) fprintf(tl->f, "%ld,%ld", sm.anon_huge_kb, sm.shmem_pmd_kb);
        else fputc(',', tl->f);
    } else {
        fputc(',', tl->f);
    }
    double live_now = live_bytes_now(live);
    if (live_now >= 0) fprintf(tl->f, ",%.0f\n", live_now);
    else fputs(",\n", tl->f);
}

void asb_client_run(const asb_launch *l, asb_outcome *o) {
    *o = (asb_outcome){.exit_code = -1, .steal_s = NAN, .other_cpu_s = NAN};
    int results[2] = {-1, -1}, errors[2];
    if ((l->result_pipe && pipe2(results, O_CLOEXEC) != 0) || pipe2(errors, O_CLOEXEC) != 0)
        asb_die("pipe: %s", strerror(errno));
    FILE *timeline = l->timeline_path ? fopen(l->timeline_path, "we") : NULL;
    if (timeline) fputs(ASB_TIMELINE_HEADER "\n", timeline);
    timeline_state tl = {.f = timeline};
    int live_fd = -1;
    asb_live_page *live = l->live_bytes ? live_page_create(&live_fd) : NULL;
    double busy0 = 0, steal0 = 0;
    bool have_cpu = cpu_times(&busy0, &steal0);
    fflush(NULL);
    double t0 = asb_now_s();
    pid_t pid = fork();
    if (pid < 0) asb_die("fork: %s", strerror(errno));
    if (pid == 0) exec_child(l, results[1], errors[1], live_fd);
    setpgid(pid, pid); /* as the child does: whichever runs first */
    if (live_fd >= 0) close(live_fd);
    if (l->result_pipe) close(results[1]);
    close(errors[1]);

    stream out = {.fd = results[0], .eof = !l->result_pipe};
    stream err = {.fd = errors[0], .echo = !l->quiet, .tail_only = true};
    bool exited = false, timed_out = false, killed = false, interrupted = false;
    int wstatus = 0;
    /* The first sample comes after 1 ms, so that even a run shorter than the
     * interval has a timeline; then one every sample_ms. */
    int wait_ms = 1, sample_ms = l->sample_ms > 0 ? l->sample_ms : 10;
    while (!exited) {
        struct pollfd pfd[2] = {{.fd = out.eof ? -1 : out.fd, .events = POLLIN},
                                {.fd = err.eof ? -1 : err.fd, .events = POLLIN}};
        if (out.eof && err.eof) usleep((useconds_t)wait_ms * 1000);
        else if (poll(pfd, 2, wait_ms) > 0) {
            if (pfd[0].revents) stream_read(&out);
            if (pfd[1].revents) stream_read(&err);
        }
        if (timeline) timeline_sample(&tl, pid, (asb_now_s() - t0) * 1000, sample_ms, live);
        wait_ms = timeline ? sample_ms : 50;
        if (wait4(pid, &wstatus, WNOHANG, &o->ru) == pid) exited = true;
        else if (!killed) {
            interrupted = l->interrupted && *l->interrupted;
            timed_out = !interrupted && l->timeout_s > 0 && asb_now_s() - t0 > l->timeout_s;
            if (interrupted || timed_out) {
                killed = true;
                kill(-pid, SIGKILL); /* the child's process group */
            }
        }
    }
    o->wall_s = asb_now_s() - t0;
    double busy1, steal1;
    if (have_cpu && cpu_times(&busy1, &steal1)) {
        double own = (double)o->ru.ru_utime.tv_sec + (double)o->ru.ru_utime.tv_usec / 1e6 +
                     (double)o->ru.ru_stime.tv_sec + (double)o->ru.ru_stime.tv_usec / 1e6;
        o->steal_s = steal1 - steal0;
        o->other_cpu_s = fmax(0, busy1 - busy0 - own); /* tick granularity can make it slightly negative */
    }
    if (l->result_pipe) stream_finish(&out);
    else out.buf = asb_xstrdup("");
    stream_finish(&err);
    if (timeline) fclose(timeline);
    if (live) munmap(live, sizeof *live);
    asb_outcome_set_lines(o, out.buf);
    o->err_tail = err.buf;
    name_status(l, o, wstatus, timed_out, interrupted);
}

void asb_outcome_free(asb_outcome *o) {
    free(o->message);
    free(o->lines);
    free(o->fields);
    free(o->err_tail);
    *o = (asb_outcome){0};
}

void asb_outcome_set_lines(asb_outcome *o, char *lines) {
    free(o->lines);
    free(o->fields);
    o->lines = lines;
    o->fields_len = strlen(lines) + 1;
    o->fields = asb_xmalloc(o->fields_len);
    for (size_t i = 0; i < o->fields_len; i++) o->fields[i] = lines[i] == '\n' ? 0 : lines[i];
}

const char *asb_outcome_value(const asb_outcome *o, const char *key) {
    size_t klen = strlen(key);
    /* o->fields: the lines, each NUL-terminated, so values need no copy. */
    for (const char *p = o->fields; p && p < o->fields + o->fields_len; p += strlen(p) + 1)
        if (!strncmp(p, key, klen) && p[klen] == '=') return p + klen + 1;
    return NULL;
}

double asb_outcome_number(const asb_outcome *o, const char *key) {
    const char *v = asb_outcome_value(o, key);
    char *end;
    double d = v ? strtod(v, &end) : NAN;
    return v && end != v && !*end ? d : NAN;
}

bool asb_status_is_failure(const char *status) {
    return strcmp(status, "ok") != 0 && strcmp(status, "unsupported") != 0;
}
