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
} echo_client;

struct echo_run {
    nw_bench b;
    int64_t requests;
    size_t msg_size;
    echo_client *clients;
};

static void echo_client_task(void *arg) {
    echo_client *c = arg;
    echo_run *r = c->run;
    nw_bench *b = &r->b;
    uint8_t *out = malloc(r->msg_size), *in = malloc(r->msg_size);
    int fd = out && in ? nw_dial(b->s, &b->addr) : -ENOMEM;
    if (fd < 0) nw_fail(&b->err, ASB_ERROR, "echo: connection %lld: connect: %s", (long long)c->index, strerror(-fd));
    for (int64_t seq = 0; fd >= 0 && seq < r->requests; seq++) {
        nw_fill_message(out, r->msg_size, (uint64_t)c->index, (uint64_t)seq);
        uint64_t t0 = asb_now_ns();
        if (nw_echo_request(b->s, fd, out, in, r->msg_size, &b->err, "echo", c->index) != ASB_OK) break;
        asb_hist_record(b->hists[c->index], asb_now_ns() - t0);
    }
    if (fd >= 0) b->s->net_close(fd);
    free(out);
    free(in);
    b->s->wg_done(b->clients_wg);
}

static void echo_root(void *arg) {
    echo_run *r = arg;
    nw_bench *b = &r->b;
    nw_bench_serve(b);
    b->s->wg_add(b->clients_wg, (int)b->conns);
    for (int64_t i = 0; i < b->conns; i++) sw_spawn(b->s, echo_client_task, &r->clients[i]);
    b->s->wg_wait(b->clients_wg);
    nw_bench_unserve(b);
}

static int echo_run_workload(asb_ctx *ctx) {
    int64_t conns = asb_param_i(ctx, "conns"), msg_size = asb_param_i(ctx, "msg_size");
    echo_run r = {.requests = asb_param_i(ctx, "requests"), .msg_size = (size_t)msg_size};
    if (conns < 1 || conns > 4096 || r.requests < 0 || msg_size < 8 || msg_size > 65536)
        return asb_fail(ctx, ASB_USAGE, "echo: need 1 <= conns <= 4096, requests >= 0, 8 <= msg_size <= 65536");
    int status = nw_bench_open(ctx, &r.b, "echo", conns, nw_serve_echo);
    if (status != ASB_OK) return status;
    r.clients = calloc((size_t)conns, sizeof *r.clients);
    if (!r.clients) return nw_bench_close(&r.b, asb_fail(ctx, ASB_ERROR, "echo: out of memory"), NULL);
    for (int64_t i = 0; i < conns; i++) r.clients[i] = (echo_client){&r, i};
    status = nw_bench_close(&r.b, sw_run(ctx, asb_threads(ctx), echo_root, &r), NULL);
    free(r.clients);
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
