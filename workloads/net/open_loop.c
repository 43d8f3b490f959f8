/*
 * open_loop.c — `open-loop`: echo requests at a FIXED offered rate (wrk2's
 * method).  Request k of the run (k = 0 … requests-1) is due at
 * t0 + k / rate; `conns` client tasks take every conns-th one, sleep until
 * it is due, send it and read the echo, one outstanding per connection.
 * Latency is measured from the intended send time, not the actual one: a
 * stall (of the server, the scheduler, or the client's own timer) delays
 * every request queued behind it, and all of that delay shows in the tail —
 * measuring from the actual send would hide it (coordinated omission).
 *
 * One cell per rate: `--param rate=5000,10000,20000` sweeps the load (the
 * harness's parameter lists), and the report draws p99 against the offered
 * rate (docs/net.md).  Past saturation achieved_rps stays below rate and the
 * latencies grow with the run's length.
 *
 * Verification: every echo equals the message sent; no socket left open.
 * One op = one request.  Extra: lat_p50_ns … lat_max_ns, lat_mean_ns (from
 * the intended send time), offered_rps, achieved_rps (requests over the
 * timed region, which starts at t0).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net_common.h"

typedef struct ol_run ol_run;
typedef struct ol_client {
    ol_run *run;
    int64_t index;
    int fd;
} ol_client;

struct ol_run {
    nw_bench b;
    int64_t requests;
    double rate;
    size_t msg_size;
    uint64_t t0, t_end; /* the timed region */
    ol_client *clients;
};

static void ol_client_task(void *arg) {
    ol_client *c = arg;
    ol_run *r = c->run;
    uint8_t *out = malloc(r->msg_size), *in = malloc(r->msg_size);
    if (!out || !in) nw_fail(&r->b.err, ASB_ERROR, "open-loop: out of memory");
    for (int64_t k = c->index; out && in && k < r->requests; k += r->b.conns) {
        uint64_t due = r->t0 + (uint64_t)((double)k * 1e9 / r->rate), now = asb_now_ns();
        if (due > now) r->b.s->sleep_ns(due - now);
        nw_fill_message(out, r->msg_size, (uint64_t)c->index, (uint64_t)k);
        if (nw_echo_request(r->b.s, c->fd, out, in, r->msg_size, &r->b.err, "open-loop", c->index) != ASB_OK) break;
        uint64_t done = asb_now_ns();
        asb_hist_record(r->b.hists[c->index], done > due ? done - due : 0);
    }
    r->b.s->net_close(c->fd);
    free(out);
    free(in);
    r->b.s->wg_done(r->b.clients_wg);
}

/* Connect every client first, so that the schedule starts with the
 * connections open, then time the load. */
static void ol_root(void *arg) {
    ol_run *r = arg;
    nw_bench *b = &r->b;
    nw_bench_serve(b);
    int64_t connected = 0;
    for (; connected < b->conns; connected++) {
        int fd = nw_dial(b->s, &b->addr);
        if (fd < 0) {
            nw_fail(&b->err, ASB_ERROR, "open-loop: connection %lld: connect: %s", (long long)connected, strerror(-fd));
            break;
        }
        r->clients[connected].fd = fd;
    }
    asb_timer_start(b->ctx);
    r->t0 = asb_now_ns();
    b->s->wg_add(b->clients_wg, (int)connected);
    for (int64_t i = 0; i < connected; i++) sw_spawn(b->s, ol_client_task, &r->clients[i]);
    b->s->wg_wait(b->clients_wg);
    r->t_end = asb_now_ns();
    asb_timer_stop(b->ctx);
    nw_bench_unserve(b);
}

static int open_loop_run(asb_ctx *ctx) {
    int64_t conns = asb_param_i(ctx, "conns"), msg_size = asb_param_i(ctx, "msg_size");
    ol_run r = {.requests = asb_param_i(ctx, "requests"), .rate = asb_param_f(ctx, "rate"),
                .msg_size = (size_t)msg_size};
    if (conns < 1 || conns > 4096 || r.requests < 0 || !(r.rate >= 1 && r.rate <= 1e8) || msg_size < 8 ||
        msg_size > 65536)
        return asb_fail(ctx, ASB_USAGE, "open-loop: need 1 <= conns <= 4096, requests >= 0, 1 <= rate <= 1e8 "
                                        "(requests/s), 8 <= msg_size <= 65536");
    int status = nw_bench_open(ctx, &r.b, "open-loop", conns, nw_serve_echo);
    if (status != ASB_OK) return status;
    r.clients = calloc((size_t)conns, sizeof *r.clients);
    if (!r.clients) return nw_bench_close(&r.b, asb_fail(ctx, ASB_ERROR, "open-loop: out of memory"), NULL);
    for (int64_t i = 0; i < conns; i++) r.clients[i] = (ol_client){&r, i, -1};
    asb_hist all;
    status = nw_bench_close(&r.b, nw_run_untimed(ctx, ol_root, &r), &all);
    if (status == ASB_OK) {
        asb_report(ctx, "offered_rps", r.rate);
        double span_s = (double)(r.t_end - r.t0) / 1e9;
        asb_report(ctx, "achieved_rps", span_s > 0 ? (double)all.count / span_s : 0);
    }
    free(r.clients);
    return status;
}

static const asb_param_def open_loop_params[] = {
    {"conns", "16", "4", "client connections sharing the schedule, one outstanding request each"},
    {"rate", "20000", "2000", "offered load, requests per second (a comma list sweeps it, one cell per rate)"},
    {"requests", "60000", "600", "requests in the run (the run lasts about requests / rate seconds)"},
    {"msg_size", "64", NULL, "bytes per message (at least 8: the sequence number)"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload open_loop = {
    .name = "open-loop",
    .kind = "sched",
    .stresses = "latency at a fixed offered rate from the intended send time (wrk2; no coordinated omission)",
    .params = open_loop_params,
    .needs = NW_NEEDS | ASB_CAP_BLOCKING,
    .work_param = "requests",
    .run = open_loop_run,
};
ASB_REGISTER_WORKLOAD(open_loop)
