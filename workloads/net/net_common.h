/*
 * net_common.h — what the server workloads (echo, rpc, open-loop,
 * idle-conns) share: a loopback listener, a client dial, whole-message
 * reads, the echo server (an acceptor task and one handler task per
 * connection), the first-error record, latency reporting from the shared
 * histogram (common/hist.h), and the checks around a run (socket
 * descriptors left open, the descriptor limit).
 *
 * Client and server are tasks of the same scheduler in the same worker
 * process (docs/net.md says why): every design runs both ends, and
 * --threads is the processors both share.  Every socket call goes through
 * the scheduler's net_* functions, without deadlines (0), as the Go twins
 * set none: a lost wake-up shows as the harness's timeout.
 */
#ifndef ASB_NET_COMMON_H
#define ASB_NET_COMMON_H

#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>

#include "../../common/hist.h"
#include "../sched/sched_common.h"

/* Capabilities every server workload needs. */
#define NW_NEEDS (ASB_CAP_NET | ASB_CAP_SPAWN_JOIN)

/* The first failure of a run, kept by whichever task saw it first. */
typedef struct nw_error {
    atomic_int set;    /* 0 none, -1 while the message is written, else ASB_ERROR or ASB_VERIFY_FAILED */
    char message[256];
} nw_error;
void nw_fail(nw_error *e, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Hands the recorded failure to the context (its status), or ASB_OK. */
int nw_error_status(asb_ctx *ctx, nw_error *e);

/* A listening TCP socket on 127.0.0.1 with an ephemeral port (*addr gets
 * the address); -errno when it cannot be made. */
int nw_listen(int backlog, struct sockaddr_in *addr);
/* A connected client socket to addr (TCP_NODELAY, as Go sets it), or -errno. */
int nw_dial(const asb_sched *s, const struct sockaddr_in *addr);
/* Read exactly n bytes: n, 0 when the stream ended before the first byte,
 * -EPIPE when it ended inside the message, or the net_read error. */
long nw_read_full(const asb_sched *s, int fd, void *buf, size_t n);

/* The server side: an acceptor task takes `conns` connections and spawns a
 * task per connection that runs serve(server, fd), then closes fd.  The
 * caller adds 1 to wg for the acceptor before spawning nw_acceptor; the
 * acceptor adds each connection's task.  Closing listen_fd with net_close
 * wakes an acceptor still parked (a client that could not connect). */
typedef struct nw_server nw_server;
struct nw_server {
    const asb_sched *s;
    int listen_fd;
    int64_t conns;
    asb_wg *wg;
    nw_error *err;
    void (*serve)(nw_server *server, int fd);
};
void nw_acceptor(void *server);
/* serve() of the echo server: write back whatever arrives until the client
 * closes. */
void nw_serve_echo(nw_server *server, int fd);

/* What echo, rpc and open-loop share around their clients: the loopback
 * listener and its server, the wait groups, one latency histogram per
 * client, the first error, and the checks of the run.
 *   nw_bench_open     before the scheduler runs (fd limit, listener, groups)
 *   nw_bench_serve    in the root task: spawn the acceptor
 *   nw_bench_unserve  in the root task once the clients are done
 *   nw_bench_close    after the scheduler ran: the error, the latencies
 *                     (PREFIX lat_*, one op per request), the leak check,
 *                     and everything open made freed */
typedef struct nw_bench {
    asb_ctx *ctx;
    const asb_sched *s;
    const char *workload;
    struct sockaddr_in addr;
    int64_t conns;
    nw_server server;
    nw_error err;
    asb_wg *clients_wg, *server_wg;
    asb_hist **hists; /* client i's latencies */
    int sockets_before;
    bool served;      /* the root task took the listener (and closes it) */
} nw_bench;
/* ASB_OK, or the failure with nothing left open. */
int nw_bench_open(asb_ctx *ctx, nw_bench *b, const char *workload, int64_t conns,
                  void (*serve)(nw_server *server, int fd));
void nw_bench_serve(nw_bench *b);
void nw_bench_unserve(nw_bench *b);
/* status: the scheduler run's.  *all (may be NULL) gets every client's
 * latencies merged. */
int nw_bench_close(nw_bench *b, int status, asb_hist *all);

/* Start the context's scheduler with --threads processors around root,
 * untimed: the root brackets its measured phase with asb_timer_start/stop.
 * ASB_OK or ASB_ERROR (the scheduler could not start). */
int nw_run_untimed(asb_ctx *ctx, asb_task_fn root, void *arg);

/* The message a client sends as request `seq` of connection `conn`:
 * the sequence number, then a pattern of the connection, so a reply
 * crossed between connections or requests does not compare equal. */
void nw_fill_message(uint8_t *buf, size_t n, uint64_t conn, uint64_t seq);

/* One request of an echo client: write out, read n bytes into in, compare.
 * ASB_OK, or the failure (an I/O error, or verify-failed for a reply that
 * differs), recorded in *err naming the workload and connection. */
int nw_echo_request(const asb_sched *s, int fd, const uint8_t *out, uint8_t *in, size_t n, nw_error *err,
                    const char *workload, int64_t conn);

/* PREFIX_p50_ns … PREFIX_p9999_ns, PREFIX_max_ns and PREFIX_mean_ns: the
 * quantile ladder the report draws its CCDFs from (docs/net.md). */
void nw_report_hist(asb_ctx *ctx, const char *prefix, const asb_hist *h);

/* Open socket descriptors of this process (from /proc/self/fd), for the
 * leak check after a run; -1 when /proc cannot be read. */
int nw_open_sockets(void);
/* Returns ASB_OK, or verify-failed naming how many sockets a run leaves
 * open beyond `before`. */
int nw_check_no_leak(asb_ctx *ctx, const char *workload, int before);
/* Raise RLIMIT_NOFILE's soft limit to the hard one, and both to at least
 * `need` where allowed; ASB_OK or an error naming the limit. */
int nw_raise_fd_limit(asb_ctx *ctx, const char *workload, uint64_t need);

#endif
