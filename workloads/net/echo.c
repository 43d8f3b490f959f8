/*
 * echo.c — `echo`: `conns` client tasks each send `requests` messages of
 * `msg_size` bytes over their own loopback TCP connection, one at a time,
 * and read each back from the echo server (one task per connection):
 * closed-loop throughput of the scheduler's socket path (park on a read,
 * readiness, wake-up) and the latency of each request.
 *
 * Verification: every reply equals the message sent (sequence number and
 * the connection's pattern), and no socket is left open after the run.
 * One op = one request (a write and the read of its echo).
 * Extra: lat_p50_ns … lat_max_ns, lat_mean_ns (write to last byte read).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net_common.h"

typedef struct echo_run echo_run;
typedef struct echo_client {
    echo_run *run;
    int64_t index;
    asb_hist *hist;
} echo_client;

struct echo_run {
    const asb_sched *s;
    struct sockaddr_in addr;
    int64_t conns, requests;
    size_t msg_size;
    nw_server server;
    nw_error err;
    asb_wg *clients_wg, *server_wg;
    echo_client *clients;
};

static void echo_client_task(void *arg) {
    echo_client *c = arg;
    echo_run *r = c->run;
    uint8_t *out = malloc(r->msg_size), *in = malloc(r->msg_size);
    int fd = out && in ? nw_dial(r->s, &r->addr) : -ENOMEM;
    if (fd < 0) nw_fail(&r->err, ASB_ERROR, "echo: connection %lld: connect: %s", (long long)c->index, strerror(-fd));
    for (int64_t seq = 0; fd >= 0 && seq < r->requests; seq++) {
        nw_fill_message(out, r->msg_size, (uint64_t)c->index, (uint64_t)seq);
        uint64_t t0 = asb_now_ns();
        if (nw_echo_request(r->s, fd, out, in, r->msg_size, &r->err, "echo", c->index) != ASB_OK) break;
        asb_hist_record(c->hist, asb_now_ns() - t0);
    }
    if (fd >= 0) r->s->net_close(fd);
    free(out);
    free(in);
    r->s->wg_done(r->clients_wg);
}

static void echo_root(void *arg) {
    echo_run *r = arg;
    r->s->wg_add(r->server_wg, 1);
    sw_spawn(r->s, nw_acceptor, &r->server);
    r->s->wg_add(r->clients_wg, (int)r->conns);
    for (int64_t i = 0; i < r->conns; i++) sw_spawn(r->s, echo_client_task, &r->clients[i]);
    r->s->wg_wait(r->clients_wg);
    r->s->net_close(r->server.listen_fd); /* wakes the acceptor if a client never connected */
    r->s->wg_wait(r->server_wg);
}

static int echo_run_workload(asb_ctx *ctx) {
    echo_run r = {.s = asb_ctx_sched(ctx), .conns = asb_param_i(ctx, "conns"),
                  .requests = asb_param_i(ctx, "requests")};
    int64_t msg_size = asb_param_i(ctx, "msg_size");
    if (r.conns < 1 || r.conns > 4096 || r.requests < 0 || msg_size < 8 || msg_size > 65536)
        return asb_fail(ctx, ASB_USAGE, "echo: need 1 <= conns <= 4096, requests >= 0, 8 <= msg_size <= 65536");
    r.msg_size = (size_t)msg_size;
    int sockets_before = nw_open_sockets();
    int status = nw_raise_fd_limit(ctx, "echo", (uint64_t)(2 * r.conns + 64));
    if (status != ASB_OK) return status;
    int lfd = nw_listen((int)r.conns, &r.addr);
    if (lfd < 0) return asb_fail(ctx, ASB_ERROR, "echo: loopback listener: %s", strerror(-lfd));
    r.clients = calloc((size_t)r.conns, sizeof *r.clients);
    r.clients_wg = r.s->wg_make();
    r.server_wg = r.s->wg_make();
    status = r.clients && r.clients_wg && r.server_wg ? ASB_OK : asb_fail(ctx, ASB_ERROR, "echo: out of memory");
    for (int64_t i = 0; status == ASB_OK && i < r.conns; i++) {
        r.clients[i] = (echo_client){&r, i, malloc(sizeof(asb_hist))};
        if (!r.clients[i].hist) status = asb_fail(ctx, ASB_ERROR, "echo: out of memory");
        else asb_hist_init(r.clients[i].hist);
    }
    r.server = (nw_server){r.s, lfd, r.conns, r.server_wg, &r.err, nw_serve_echo};
    if (status == ASB_OK) status = sw_run(ctx, asb_threads(ctx), echo_root, &r);
    else close(lfd); /* the root task closes it once it ran */
    if (status == ASB_OK) status = nw_error_status(ctx, &r.err);
    if (status == ASB_OK) {
        asb_hist all;
        asb_hist_init(&all);
        for (int64_t i = 0; i < r.conns; i++) asb_hist_merge(&all, r.clients[i].hist);
        asb_count(ctx, all.count, 0, 0);
        nw_report_hist(ctx, "lat", &all);
        status = nw_check_no_leak(ctx, "echo", sockets_before);
    }
    for (int64_t i = 0; r.clients && i < r.conns; i++) free(r.clients[i].hist);
    free(r.clients);
    if (r.clients_wg) r.s->wg_free(r.clients_wg);
    if (r.server_wg) r.s->wg_free(r.server_wg);
    return status;
}

static const asb_param_def echo_params[] = {
    {"conns", "16", "4", "concurrent client connections"},
    {"requests", "20000", "300", "requests per connection, one outstanding at a time"},
    {"msg_size", "64", NULL, "bytes per message (at least 8: the sequence number)"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload echo = {
    .name = "echo",
    .kind = "sched",
    .stresses = "loopback TCP echo: park on a socket read, readiness, wake-up (closed loop)",
    .params = echo_params,
    .needs = NW_NEEDS,
    .work_param = "requests",
    .run = echo_run_workload,
};
ASB_REGISTER_WORKLOAD(echo)
