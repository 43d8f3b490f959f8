/*
 * net_common.c — what the server workloads share (see net_common.h).
 */
#include "net_common.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

void nw_fail(nw_error *e, int status, const char *fmt, ...) {
    int none = 0;
    if (!atomic_compare_exchange_strong(&e->set, &none, -1)) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    atomic_store(&e->set, status); /* the message is complete before the status shows */
}

int nw_error_status(asb_ctx *ctx, nw_error *e) {
    int status = atomic_load(&e->set);
    if (status == 0) return ASB_OK;
    if (status == ASB_VERIFY_FAILED) return asb_verify_fail(ctx, "%s", e->message);
    return asb_fail(ctx, status, "%s", e->message);
}

int nw_listen(int backlog, struct sockaddr_in *addr) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    *addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof *addr;
    if (bind(fd, (struct sockaddr *)addr, sizeof *addr) != 0 || listen(fd, backlog) != 0 ||
        getsockname(fd, (struct sockaddr *)addr, &len) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

static void set_nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

int nw_dial(const asb_sched *s, const struct sockaddr_in *addr) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    set_nodelay(fd);
    int rc = s->net_connect(fd, addr, sizeof *addr, 0);
    if (rc < 0) {
        s->net_close(fd);
        return rc;
    }
    return fd;
}

long nw_read_full(const asb_sched *s, int fd, void *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        long r = s->net_read(fd, (char *)buf + got, n - got, 0);
        if (r < 0) return r;
        if (r == 0) return got ? -EPIPE : 0;
        got += (size_t)r;
    }
    return (long)n;
}

typedef struct server_conn {
    nw_server *server;
    int fd;
} server_conn;

static void server_conn_task(void *arg) {
    server_conn *c = arg;
    nw_server *sv = c->server;
    sv->serve(sv, c->fd);
    sv->s->net_close(c->fd);
    free(c);
    sv->s->wg_done(sv->wg);
}

void nw_acceptor(void *arg) {
    nw_server *sv = arg;
    for (int64_t i = 0; i < sv->conns; i++) {
        int fd = sv->s->net_accept(sv->listen_fd, 0);
        server_conn *c = fd >= 0 ? malloc(sizeof *c) : NULL;
        if (!c) {
            nw_fail(sv->err, ASB_ERROR, "server: accept of connection %lld: %s", (long long)i,
                    fd < 0 ? strerror(-fd) : "out of memory");
            if (fd >= 0) sv->s->net_close(fd);
            break;
        }
        set_nodelay(fd);
        *c = (server_conn){sv, fd};
        sv->s->wg_add(sv->wg, 1);
        sw_spawn(sv->s, server_conn_task, c);
    }
    sv->s->wg_done(sv->wg);
}

void nw_serve_echo(nw_server *sv, int fd) {
    char buf[4096];
    for (;;) {
        long n = sv->s->net_read(fd, buf, sizeof buf, 0);
        if (n == 0) return;
        long w = n > 0 ? sv->s->net_write(fd, buf, (size_t)n, 0) : n;
        if (w < 0) {
            nw_fail(sv->err, ASB_ERROR, "echo server: %s on a connection: %s", n < 0 ? "read" : "write",
                    strerror((int)-w));
            return;
        }
    }
}

int nw_bench_open(asb_ctx *ctx, nw_bench *b, const char *workload, int64_t conns,
                  void (*serve)(nw_server *server, int fd)) {
    *b = (nw_bench){.ctx = ctx, .s = asb_ctx_sched(ctx), .workload = workload, .conns = conns,
                    .sockets_before = nw_open_sockets()};
    int status = nw_raise_fd_limit(ctx, workload, (uint64_t)(2 * conns + 64));
    if (status != ASB_OK) return status;
    int lfd = nw_listen((int)conns, &b->addr);
    if (lfd < 0) return asb_fail(ctx, ASB_ERROR, "%s: loopback listener: %s", workload, strerror(-lfd));
    b->clients_wg = b->s->wg_make();
    b->server_wg = b->s->wg_make();
    b->hists = calloc((size_t)conns, sizeof *b->hists);
    bool ok = b->clients_wg && b->server_wg && b->hists;
    for (int64_t i = 0; ok && i < conns; i++)
        if ((ok = (b->hists[i] = malloc(sizeof(asb_hist))) != NULL)) asb_hist_init(b->hists[i]);
    b->server = (nw_server){b->s, lfd, conns, b->server_wg, &b->err, serve};
    if (ok) return ASB_OK;
    return nw_bench_close(b, asb_fail(ctx, ASB_ERROR, "%s: out of memory", workload), NULL);
}

void nw_bench_serve(nw_bench *b) {
    b->served = true;
    b->s->wg_add(b->server_wg, 1);
    sw_spawn(b->s, nw_acceptor, &b->server);
}

void nw_bench_unserve(nw_bench *b) {
    b->s->net_close(b->server.listen_fd); /* wakes the acceptor if a client never connected */
    b->s->wg_wait(b->server_wg);
}

int nw_bench_close(nw_bench *b, int status, asb_hist *all) {
    if (!b->served) close(b->server.listen_fd);
    if (status == ASB_OK) status = nw_error_status(b->ctx, &b->err);
    if (status == ASB_OK) {
        asb_hist merged;
        asb_hist_init(&merged);
        for (int64_t i = 0; i < b->conns; i++) asb_hist_merge(&merged, b->hists[i]);
        asb_count(b->ctx, merged.count, 0, 0);
        nw_report_hist(b->ctx, "lat", &merged);
        if (all) *all = merged;
        status = nw_check_no_leak(b->ctx, b->workload, b->sockets_before);
    }
    for (int64_t i = 0; b->hists && i < b->conns; i++) free(b->hists[i]);
    free(b->hists);
    if (b->clients_wg) b->s->wg_free(b->clients_wg);
    if (b->server_wg) b->s->wg_free(b->server_wg);
    *b = (nw_bench){.served = true};
    return status;
}

int nw_run_untimed(asb_ctx *ctx, asb_task_fn root, void *arg) {
    const asb_sched *s = asb_ctx_sched(ctx);
    if (s->run(asb_threads(ctx), asb_ctx_sched_options(ctx), root, arg) == 0) return ASB_OK;
    return asb_fail(ctx, ASB_ERROR, "scheduler %s could not start with %d processors: %s", s->name, asb_threads(ctx),
                    strerror(errno));
}

void nw_fill_message(uint8_t *buf, size_t n, uint64_t conn, uint64_t seq) {
    for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)(conn * 131 + i * 7 + 1);
    for (size_t i = 0; i < 8 && i < n; i++) buf[i] = (uint8_t)(seq >> (8 * i));
}

int nw_echo_request(const asb_sched *s, int fd, const uint8_t *out, uint8_t *in, size_t n, nw_error *err,
                    const char *workload, int64_t conn) {
    long w = s->net_write(fd, out, n, 0);
    long r = w < 0 ? w : nw_read_full(s, fd, in, n);
    if (r < 0 || r == 0) {
        nw_fail(err, ASB_ERROR, "%s: connection %lld: %s: %s", workload, (long long)conn, w < 0 ? "write" : "read",
                r ? strerror((int)-r) : "the server closed the connection");
        return ASB_ERROR;
    }
    if (memcmp(out, in, n) != 0) {
        nw_fail(err, ASB_VERIFY_FAILED, "%s: connection %lld: the echo differs from the message sent", workload,
                (long long)conn);
        return ASB_VERIFY_FAILED;
    }
    return ASB_OK;
}

void nw_report_hist(asb_ctx *ctx, const char *prefix, const asb_hist *h) {
    static const struct {
        const char *name;
        double q;
    } ladder[] = {{"p50", 0.5},  {"p75", 0.75},   {"p90", 0.9},      {"p99", 0.99},
                  {"p999", 0.999}, {"p9999", 0.9999}, {"max", 1.0}};
    if (!h->count) return;
    char key[64];
    for (size_t i = 0; i < sizeof ladder / sizeof *ladder; i++) {
        snprintf(key, sizeof key, "%s_%s_ns", prefix, ladder[i].name);
        asb_report(ctx, key, (double)asb_hist_quantile(h, ladder[i].q));
    }
    snprintf(key, sizeof key, "%s_mean_ns", prefix);
    asb_report(ctx, key, asb_hist_mean(h));
}

int nw_open_sockets(void) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    char target[64];
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        ssize_t len = readlinkat(dirfd(d), e->d_name, target, sizeof target - 1);
        if (len >= 7 && !memcmp(target, "socket:", 7)) n++;
    }
    closedir(d);
    return n;
}

int nw_check_no_leak(asb_ctx *ctx, const char *workload, int before) {
    int after = nw_open_sockets();
    if (before < 0 || after < 0 || after <= before) return ASB_OK;
    return asb_verify_fail(ctx, "%s: %d sockets left open after the run (closed with net_close)", workload,
                           after - before);
}

int nw_raise_fd_limit(asb_ctx *ctx, const char *workload, uint64_t need) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return asb_fail(ctx, ASB_ERROR, "%s: getrlimit: %s", workload, strerror(errno));
    /* Up to the hard limit, as Go does at start: a scheduler may hold
     * descriptors of its own per waiting task (threads' eventfds). */
    rlim_t target = rl.rlim_max != RLIM_INFINITY && rl.rlim_max > need ? rl.rlim_max : need;
    if (rl.rlim_cur >= target) return ASB_OK;
    struct rlimit want = {target, rl.rlim_max > target ? rl.rlim_max : target};
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) return ASB_OK;
    return asb_fail(ctx, ASB_ERROR,
                    "%s: needs %llu file descriptors, RLIMIT_NOFILE allows %llu (hard %llu) and cannot be raised: %s "
                    "(ulimit -n, or fewer conns)",
                    workload, (unsigned long long)need, (unsigned long long)rl.rlim_cur,
                    (unsigned long long)rl.rlim_max, strerror(errno));
}
