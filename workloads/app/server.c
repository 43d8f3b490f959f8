/*
 * server.c — a server application's life cycle (server.h).
 *
 * The server runs through the worker client (asb_client_run) on a thread of
 * its own, so that the RSS timeline, the rusage, the timeout kill and the
 * crash status are the server's; the calling thread meanwhile waits for it
 * to answer, runs the clients (through the worker client too, without the
 * preload) and stops it.  To signal the server the caller needs its pid:
 * the server thread's only child, read from /proc/self/task/TID/children and
 * held as a pidfd (a pid the thread has reaped meanwhile cannot then be
 * mistaken for another process).
 *
 * No process outlives a run: the server and the clients die with the thread
 * that forked them (PR_SET_PDEATHSIG, set by the worker client), a timeout
 * or an interrupt makes the worker client SIGKILL them, and stop() sends
 * SIGTERM, then SIGKILL after GRACE_S, and reaps the server before it
 * returns.  The server's listening socket goes with its process.
 *
 * Status of the run, most telling first: the server's own end when it was
 * not the stop we asked for (crashed:SIG…, timeout, interrupted, or an exit
 * of its own: error), then what a client or the readiness wait found
 * (timeout, interrupted, verify-failed, error), else ok.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

enum { READY_TIMEOUT_S = 10, GRACE_S = 5, PROBE_TIMEOUT_MS = 200, PROBE_EVERY_MS = 20 };

struct asb_server {
    const asb_server_spec *spec;
    asb_app_ctx *x;
    int port;
    double t0;          /* server launched (asb_now_s) */
    asb_argv argv;
    asb_launch launch;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    char *env;          /* the server's settings, with spec->preload_last */
    pid_t thread_tid;   /* the server thread's id, once it runs (lock) */
    bool done;          /* the server has been reaped (lock) */
    asb_outcome o;      /* the server's outcome, once done */
    int pidfd;          /* the server process, or -1 */
    bool sent_stop, sent_kill;
    char status[64];    /* what a readiness wait or a client found; "" = nothing wrong */
};

int asb_server_port(const asb_server *s) { return s->port; }

static const char *program_name(const asb_server *s) {
    const char *slash = strrchr(s->spec->program, '/');
    return slash ? slash + 1 : s->spec->program;
}

static bool interrupted(const asb_app_ctx *x) { return x->launch.interrupted && *x->launch.interrupted; }

/* Seconds left of the run's timeout (+inf without one). */
static double time_left(const asb_server *s) {
    return s->launch.timeout_s > 0 ? s->launch.timeout_s - (asb_now_s() - s->t0) : INFINITY;
}

/* The first reason the run failed wins; the status goes with it. */
static int vfail_with(asb_server *s, const char *status, const char *fmt, va_list ap) {
    if (!s->status[0]) snprintf(s->status, sizeof s->status, "%s", status);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) asb_die("out of memory");
    asb_app_fail(s->x, "%s", msg);
    free(msg);
    return -1;
}

static int fail_with(asb_server *s, const char *status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_with(asb_server *s, const char *status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail_with(s, status, fmt, ap);
    va_end(ap);
    return -1;
}

int asb_server_verify_failed(asb_app_ctx *x, asb_server *s, const char *fmt, ...) {
    (void)x;
    va_list ap;
    va_start(ap, fmt);
    vfail_with(s, "verify-failed", fmt, ap);
    va_end(ap);
    return -1;
}

/* A loopback port nobody listens on: bind port 0 and read back what the
 * kernel chose.  The server binds it a moment later. */
static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

static void *server_thread(void *arg) {
    asb_server *s = arg;
    pthread_mutex_lock(&s->lock);
    s->thread_tid = (pid_t)syscall(SYS_gettid);
    pthread_mutex_unlock(&s->lock);
    asb_outcome o;
    asb_client_run(&s->launch, &o);
    pthread_mutex_lock(&s->lock);
    s->o = o;
    s->done = true;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* The server thread's child, or 0 while it has none. */
static pid_t server_pid(pid_t tid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)tid);
    char *text = asb_read_file(path, NULL);
    pid_t pid = text ? (pid_t)atoi(text) : 0;
    free(text);
    return pid;
}

/* Whether pid's parent is this process (so a pidfd opened on it is the server's). */
static bool is_our_child(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *text = asb_read_file(path, NULL);
    const char *after_name = text ? strrchr(text, ')') : NULL; /* the name may hold spaces */
    int ppid = 0;
    bool ours = after_name && sscanf(after_name, ") %*c %d", &ppid) == 1 && ppid == getpid();
    free(text);
    return ours;
}

/* Waits (at most until deadline, an asb_now_s time) for the server thread to
 * be done; returns whether it is. */
static bool wait_done(asb_server *s, double deadline) {
    pthread_mutex_lock(&s->lock);
    while (!s->done && asb_now_s() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double wait = fmin(deadline - asb_now_s(), 0.05); /* short waits: asb_now_s is another clock */
        if (wait > 0) {
            ts.tv_nsec += (long)(wait * 1e9);
            ts.tv_sec += ts.tv_nsec / 1000000000;
            ts.tv_nsec %= 1000000000;
            pthread_cond_timedwait(&s->changed, &s->lock, &ts);
        }
    }
    bool done = s->done;
    pthread_mutex_unlock(&s->lock);
    return done;
}

static bool is_done(asb_server *s) { return wait_done(s, 0); }

/* Holds the server's process as a pidfd (s->pidfd stays -1 if it is gone). */
static void hold_server_process(asb_server *s) {
    for (double give_up = asb_now_s() + READY_TIMEOUT_S; asb_now_s() < give_up;) {
        pthread_mutex_lock(&s->lock);
        pid_t tid = s->thread_tid;
        bool done = s->done;
        pthread_mutex_unlock(&s->lock);
        if (done) return;
        pid_t pid = tid ? server_pid(tid) : 0;
        if (pid > 0) {
            s->pidfd = pidfd_open(pid, 0);
            if (s->pidfd >= 0 && !is_our_child(pid)) { /* reaped and reused in between */
                close(s->pidfd);
                s->pidfd = -1;
            }
            return;
        }
        usleep(1000);
    }
}

/* settings ("VAR=VALUE;…") with lib last in LD_PRELOAD (allocated). */
static char *preload_last(const char *settings, const char *lib) {
    const char *set = settings ? settings : "";
    const char *p = strstr(set, "LD_PRELOAD=");
    while (p && p != set && p[-1] != ';') p = strstr(p + 1, "LD_PRELOAD=");
    if (!p) return asb_xasprintf("%s%sLD_PRELOAD=%s", set, *set ? ";" : "", lib);
    size_t end = (size_t)(p - set) + strcspn(p, ";");
    return asb_xasprintf("%.*s %s%s", (int)end, set, lib, set + end);
}

int asb_server_start(asb_app_ctx *x, const asb_server_spec *spec, void **state) {
    asb_server *s = asb_xmalloc(sizeof *s);
    *s = (asb_server){.spec = spec, .x = x, .pidfd = -1, .launch = x->launch};
    *state = s;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->changed, NULL);
    s->port = free_port();
    if (s->port < 0) return fail_with(s, "error", "%s: no free loopback port: %s", x->app->name, strerror(errno));
    asb_argv_push(&s->argv, spec->program);
    spec->args(x, s->port, &s->argv);
    s->launch.argv = &s->argv;
    if (spec->preload_last) s->launch.env_settings = s->env = preload_last(x->server_env, spec->preload_last);
    s->launch.stdout_to_stderr = true; /* its log is kept for the message, not mixed into asbench's output */
    s->launch.quiet = true;
    s->t0 = asb_now_s();
    if (pthread_create(&s->thread, NULL, server_thread, s) != 0) asb_die("cannot create a thread");
    hold_server_process(s);
    return 0;
}

/* One connection: the probe sent, and whether the reply starts as it should. */
static bool answers(const asb_server *s) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return false;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = false;
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int err = 0;
    socklen_t len = sizeof err;
    if ((connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 || errno == EINPROGRESS) &&
        poll(&p, 1, PROBE_TIMEOUT_MS) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && !err) {
        size_t want = strlen(s->spec->probe_reply), got = 0;
        char reply[128];
        if (write(fd, s->spec->probe, strlen(s->spec->probe)) == (ssize_t)strlen(s->spec->probe)) {
            p.events = POLLIN;
            while (got < want && got < sizeof reply && poll(&p, 1, PROBE_TIMEOUT_MS) == 1) {
                ssize_t n = read(fd, reply + got, sizeof reply - got);
                if (n <= 0) break;
                got += (size_t)n;
            }
            ok = got >= want && !memcmp(reply, s->spec->probe_reply, want);
        }
    }
    close(fd);
    return ok;
}

int asb_server_ready(asb_app_ctx *x, void *state) {
    asb_server *s = state;
    double limit = fmin(READY_TIMEOUT_S, time_left(s));
    for (double deadline = asb_now_s() + limit;;) {
        if (interrupted(x)) return fail_with(s, "interrupted", "interrupted while %s was starting", program_name(s));
        if (is_done(s))
            return fail_with(s, "error", "%s exited before it answered on 127.0.0.1:%d", program_name(s), s->port);
        if (answers(s)) return 0;
        if (asb_now_s() >= deadline) break;
        usleep(PROBE_EVERY_MS * 1000);
    }
    return fail_with(s, limit < READY_TIMEOUT_S ? "timeout" : "error", "%s did not answer on 127.0.0.1:%d within %.1f s",
                     program_name(s), s->port, limit);
}

int asb_server_drive(asb_app_ctx *x, void *state) { return ((asb_server *)state)->spec->drive(x, state); }

/* The last non-empty line of text, at most 200 bytes (allocated), or NULL. */
static char *last_line(const char *text) {
    if (!text) return NULL;
    const char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ')) end--;
    const char *line = end;
    while (line > text && line[-1] != '\n') line--;
    size_t n = (size_t)(end - line);
    return n ? asb_xstrndup(line, n < 200 ? n : 200) : NULL;
}

int asb_server_client(asb_app_ctx *x, asb_server *s, const asb_argv *argv, const char *stdout_path) {
    const char *slash = strrchr(argv->v[0], '/');
    const char *name = slash ? slash + 1 : argv->v[0];
    double left = time_left(s);
    if (left <= 0) return fail_with(s, "timeout", "no time left to run %s", name);
    /* sh puts the client's stdout into the file, then becomes the client */
    asb_argv sh = {0};
    asb_argv_push(&sh, "/bin/sh");
    asb_argv_push(&sh, "-c");
    asb_argv_push(&sh, "out=$1; shift; exec \"$@\" >\"$out\"");
    asb_argv_push(&sh, "sh");
    asb_argv_push(&sh, stdout_path);
    for (int i = 0; i < argv->n; i++) asb_argv_push(&sh, argv->v[i]);
    asb_launch l = {.argv = &sh,
                    .env_settings = x->client_env,
                    .quiet = true,
                    .timeout_s = isinf(left) ? 0 : left,
                    .interrupted = x->launch.interrupted};
    asb_outcome o;
    asb_client_run(&l, &o);
    asb_argv_free(&sh);
    int rc = 0;
    if (strcmp(o.status, "ok") != 0) {
        char *why = o.message ? asb_xstrdup(o.message) : last_line(o.err_tail);
        bool wrong_data = o.exit_code == ASB_VERIFY_FAILED;
        const char *status = !strcmp(o.status, "timeout") || !strcmp(o.status, "interrupted") ? o.status
                             : wrong_data                                                    ? "verify-failed"
                                                                                             : "error";
        rc = fail_with(s, status, "%s %s: %s", name, wrong_data ? "read back wrong data" : o.status,
                       why ? why : "no message");
        free(why);
    }
    asb_outcome_free(&o);
    return rc;
}

char *asb_server_kvclient_path(void) { return asb_xasprintf("%s/../workloads/app/asb-kvclient", asb_exe_dir()); }

/* SIGTERM (a server exits by itself, so that the shim reports), then
 * SIGKILL after GRACE_S; the server is reaped on return. */
static void stop_server(asb_server *s) {
    if (s->pidfd < 0) hold_server_process(s); /* start gave up waiting for its pid */
    if (s->pidfd >= 0 && !is_done(s)) {
        s->sent_stop = pidfd_send_signal(s->pidfd, SIGTERM, NULL, 0) == 0;
        if (!wait_done(s, asb_now_s() + GRACE_S))
            s->sent_kill = pidfd_send_signal(s->pidfd, SIGKILL, NULL, 0) == 0;
    }
    /* Without a pidfd the server is gone already, or dies at the worker
     * client's timeout: join waits for that. */
    pthread_join(s->thread, NULL);
}

/* The server's own end, when it is not the stop we asked for, is the run's status. */
static void judge_server_end(asb_server *s, asb_outcome *o) {
    const char *prog = program_name(s);
    bool stopped_by_us = (s->sent_stop && (!strcmp(o->status, "ok") || !strcmp(o->status, "crashed:SIGTERM"))) ||
                         (s->sent_kill && !strcmp(o->status, "crashed:SIGKILL"));
    char *why = o->message ? o->message : last_line(o->err_tail);
    char *msg = NULL;
    if (stopped_by_us) {
        snprintf(o->status, sizeof o->status, "ok");
        if (s->sent_kill) {
            snprintf(o->status, sizeof o->status, "error");
            msg = asb_xasprintf("%s did not stop within %d s of SIGTERM and was killed", prog, GRACE_S);
        }
    } else if (!strncmp(o->status, "crashed:", 8) || !strcmp(o->status, "timeout") ||
               !strcmp(o->status, "interrupted") || !strcmp(o->status, "not-started")) {
        msg = asb_xasprintf("%s: %s", prog, why ? why : o->status);
    } else { /* it exited by itself, or with an error when stopped: its exit code is no worker's status */
        snprintf(o->status, sizeof o->status, "error");
        char *log = last_line(o->err_tail);
        msg = asb_xasprintf("%s %s%s%s", prog, s->sent_stop ? "failed when stopped" : "ended before it was stopped",
                            log ? ": " : "", log ? log : "");
        free(log);
    }
    if (why != o->message) free(why);
    if (msg) {
        free(o->message);
        o->message = msg;
    }
}

/* The outcome of a server that was never started (no free port). */
static void never_started(asb_outcome *o) {
    *o = (asb_outcome){.exit_code = -1, .steal_s = NAN, .other_cpu_s = NAN};
    snprintf(o->status, sizeof o->status, "not-started");
    o->lines = asb_xstrdup("");
    o->fields = asb_xstrdup("");
    o->fields_len = 1;
    o->err_tail = asb_xstrdup("");
}

void asb_server_stop(asb_app_ctx *x, void *state, asb_outcome *o) {
    asb_server *s = state;
    if (s && s->port >= 0) {
        stop_server(s);
        *o = s->o;
        judge_server_end(s, o);
    } else {
        never_started(o);
        o->message = x->error ? asb_xstrdup(x->error) : NULL;
    }
    if (!strcmp(o->status, "ok")) { /* the server was fine: was the run? */
        const char *found = interrupted(x) ? "interrupted" : s && s->status[0] ? s->status : x->error ? "error" : NULL;
        if (found) {
            snprintf(o->status, sizeof o->status, "%s", found);
            free(o->message);
            o->message = x->error ? asb_xstrdup(x->error) : NULL;
        }
    }
    /* The verdict is whole in *o, naming the app: x->error is used up, so
     * that the runner does not turn a timeout or verify-failed into error.
     * A server's exit code is named by the runner ("app:NAME exited with
     * status N: …"), so its message is not prefixed twice. */
    if (strcmp(o->status, "ok") != 0) {
        if (o->exit_code <= 0) {
            char *msg = asb_xasprintf("app:%s: %s", x->app->name, o->message ? o->message : o->status);
            free(o->message);
            o->message = msg;
        }
        free(x->error);
        x->error = NULL;
    }
    if (!s) return;
    if (s->pidfd >= 0) close(s->pidfd);
    asb_argv_free(&s->argv);
    free(s->env);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->changed);
    free(s);
}
