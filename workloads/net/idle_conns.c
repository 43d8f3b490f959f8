/*
 * idle_conns.c — `idle-conns`: `conns` open loopback connections, each
 * with a server task parked in a read, and a rare request: the root task
 * (the client, holding every client socket) waits `gap_us`, sends a message
 * on a random connection and reads its echo, `wakeups` times.  What it
 * measures is what a mostly idle server pays: resident memory per parked
 * connection (task stack, buffers, the poller's state; kernel socket
 * buffers are not in RSS) and the latency of waking one parked task among
 * many.
 *
 * RSS per connection is the worker's RSS after every connection has made
 * one round trip (so every server task has run and parked) less the RSS
 * before the first connection, over conns.  The worker raises
 * RLIMIT_NOFILE to its hard limit (two descriptors per connection, both
 * ends being in this process, and threads' eventfd per waiting thread);
 * the standard 6000 connections fit this VM's hard limit of 20000 under
 * every scheduler, the 10000 need a higher one (docs/net.md).
 *
 * Verification: every echo equals the message sent; no socket left open.
 * One op = one wake-up (the timed region is the wake-ups only).
 * Extra: lat_p50_ns … lat_max_ns, lat_mean_ns, rss_per_conn_bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net_common.h"

typedef struct idle_run {
    asb_ctx *ctx;
    const asb_sched *s;
    struct sockaddr_in addr;
    int64_t conns, wakeups;
    uint64_t gap_ns, seed;
    size_t msg_size;
    nw_server server;
    nw_error err;
    asb_wg *server_wg;
    int *fds;
    asb_hist *hist;
    long rss_before_kb, rss_after_kb;
} idle_run;

static void idle_root(void *arg) {
    idle_run *r = arg;
    uint8_t *out = malloc(r->msg_size), *in = malloc(r->msg_size);
    if (!out || !in) nw_fail(&r->err, ASB_ERROR, "idle-conns: out of memory");
    r->rss_before_kb = asb_rss_kb(0);
    r->s->wg_add(r->server_wg, 1);
    sw_spawn(r->s, nw_acceptor, &r->server);
    int64_t connected = 0;
    for (; out && in && connected < r->conns; connected++) {
        int fd = nw_dial(r->s, &r->addr);
        if (fd < 0) {
            nw_fail(&r->err, ASB_ERROR, "idle-conns: connection %lld: connect: %s", (long long)connected,
                    strerror(-fd));
            break;
        }
        r->fds[connected] = fd;
    }
    /* One round trip each: every server task has run and is parked. */
    bool ok = connected == r->conns;
    for (int64_t i = 0; ok && i < connected; i++) {
        nw_fill_message(out, r->msg_size, (uint64_t)i, 0);
        ok = nw_echo_request(r->s, r->fds[i], out, in, r->msg_size, &r->err, "idle-conns", i) == ASB_OK;
    }
    r->rss_after_kb = asb_rss_kb(0);
    asb_rng rng;
    asb_rng_seed(&rng, r->seed);
    asb_timer_start(r->ctx);
    for (int64_t k = 1; ok && k <= r->wakeups; k++) {
        r->s->sleep_ns(r->gap_ns);
        int64_t i = (int64_t)asb_rng_below(&rng, (uint64_t)r->conns);
        nw_fill_message(out, r->msg_size, (uint64_t)i, (uint64_t)k);
        uint64_t t0 = asb_now_ns();
        ok = nw_echo_request(r->s, r->fds[i], out, in, r->msg_size, &r->err, "idle-conns", i) == ASB_OK;
        if (ok) asb_hist_record(r->hist, asb_now_ns() - t0);
    }
    asb_timer_stop(r->ctx);
    for (int64_t i = 0; i < connected; i++) r->s->net_close(r->fds[i]);
    r->s->net_close(r->server.listen_fd); /* wakes the acceptor if a client never connected */
    r->s->wg_wait(r->server_wg);
    free(out);
    free(in);
}

static int idle_conns_run(asb_ctx *ctx) {
    idle_run r = {.ctx = ctx, .s = asb_ctx_sched(ctx), .conns = asb_param_i(ctx, "conns"),
                  .wakeups = asb_param_i(ctx, "wakeups"), .seed = asb_seed(ctx)};
    int64_t gap_us = asb_param_i(ctx, "gap_us"), msg_size = asb_param_i(ctx, "msg_size");
    if (r.conns < 1 || r.conns > 1000000 || r.wakeups < 0 || gap_us < 0 || gap_us > 1000000 || msg_size < 8 ||
        msg_size > 65536)
        return asb_fail(ctx, ASB_USAGE, "idle-conns: need 1 <= conns <= 1e6, wakeups >= 0, 0 <= gap_us <= 1e6, "
                                        "8 <= msg_size <= 65536");
    r.gap_ns = (uint64_t)gap_us * 1000;
    r.msg_size = (size_t)msg_size;
    int sockets_before = nw_open_sockets();
    int status = nw_raise_fd_limit(ctx, "idle-conns", (uint64_t)(2 * r.conns + 64));
    if (status != ASB_OK) return status;
    int lfd = nw_listen(r.conns < 4096 ? (int)r.conns : 4096, &r.addr);
    if (lfd < 0) return asb_fail(ctx, ASB_ERROR, "idle-conns: loopback listener: %s", strerror(-lfd));
    r.fds = calloc((size_t)r.conns, sizeof *r.fds);
    r.hist = malloc(sizeof *r.hist);
    r.server_wg = r.s->wg_make();
    status = r.fds && r.hist && r.server_wg ? ASB_OK : asb_fail(ctx, ASB_ERROR, "idle-conns: out of memory");
    if (r.hist) asb_hist_init(r.hist);
    r.server = (nw_server){r.s, lfd, r.conns, r.server_wg, &r.err, nw_serve_echo};
    if (status == ASB_OK) status = nw_run_untimed(ctx, idle_root, &r);
    else close(lfd); /* the root task closes it once it ran */
    if (status == ASB_OK) status = nw_error_status(ctx, &r.err);
    if (status == ASB_OK) {
        asb_count(ctx, r.hist->count, 0, 0);
        nw_report_hist(ctx, "lat", r.hist);
        if (r.rss_before_kb >= 0 && r.rss_after_kb >= 0)
            asb_report(ctx, "rss_per_conn_bytes", (double)(r.rss_after_kb - r.rss_before_kb) * 1024 / (double)r.conns);
        status = nw_check_no_leak(ctx, "idle-conns", sockets_before);
    }
    free(r.fds);
    free(r.hist);
    if (r.server_wg) r.s->wg_free(r.server_wg);
    return status;
}

static const asb_param_def idle_conns_params[] = {
    {"conns", "6000", "200", "open connections, each with a server task parked in a read (10000: see docs/net.md)"},
    {"wakeups", "2000", "100", "rare requests, each on a random connection"},
    {"gap_us", "200", NULL, "pause before each rare request, so the server is idle when it comes"},
    {"msg_size", "64", NULL, "bytes per message (at least 8: the sequence number)"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload idle_conns = {
    .name = "idle-conns",
    .kind = "sched",
    .stresses = "thousands of parked connections: RSS per connection, wake-up latency of one among many",
    .params = idle_conns_params,
    .needs = NW_NEEDS | ASB_CAP_BLOCKING,
    .work_param = "wakeups",
    .run = idle_conns_run,
};
ASB_REGISTER_WORKLOAD(idle_conns)
