/*
 * test_sched_net.c — the socket calls of the task API (sched.h net_*) on
 * every scheduler that declares ASB_CAP_NET, over loopback TCP:
 *  - echo: N client tasks each send M messages of varied sizes (up to 32 KiB,
 *    so writes and reads come in pieces) to per-connection echo tasks behind
 *    one accepting task, and check every byte that comes back;
 *  - deadlines: accept and read with a deadline return -ETIMEDOUT, not
 *    before it, and a passed deadline fails at once;
 *  - close while parked: a task parked in read, and one in accept, wake with
 *    -EBADF when another task calls net_close on their fd;
 * and after each case no file descriptor is left open (/proc/self/fd counted
 * before run() and after it).  Each case runs at 1 and at 2 processors, in a
 * forked child (sched_cases.c).  Schedulers without NET are listed as
 * skipped.
 *
 * Usage: test_sched_net [SCHEDULER ...]   (default: all but `go`)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sched_cases.h"

enum { CLIENTS = 16, MESSAGES = 40, MAX_MESSAGE = 32 * 1024 };
#define MS 1000000ull

/* A listening socket on 127.0.0.1 at a kernel-chosen port, stored in *addr. */
static int listen_loopback(struct sockaddr_in *addr) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    *addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof *addr;
    CHECK(bind(fd, (struct sockaddr *)addr, len) == 0);
    CHECK(listen(fd, 128) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)addr, &len) == 0);
    return fd;
}

static int connect_to(const struct sockaddr_in *addr) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    CHECK(S->net_connect(fd, addr, sizeof *addr, now_ns() + 10000 * MS) == 0);
    return fd;
}

/* ---- echo: N clients × M messages ---- */

static struct sockaddr_in server_addr;
static asb_wg *done;
static atomic_long echoed_bytes;

static size_t message_size(int client, int seq) {
    return (size_t)(client * 7919 + seq * 104729) % MAX_MESSAGE + 1;
}

static unsigned char message_byte(int client, int seq, size_t i) {
    return (unsigned char)(client * 31 + seq * 17 + (int)(i % 251));
}

static void echo_conn(void *arg) {
    int fd = (int)(intptr_t)arg;
    unsigned char *buf = malloc(MAX_MESSAGE);
    CHECK(buf);
    long n;
    while ((n = S->net_read(fd, buf, MAX_MESSAGE, 0)) > 0) CHECK(S->net_write(fd, buf, (size_t)n, 0) == n);
    CHECK(n == 0); /* end of stream, not an error */
    free(buf);
    CHECK(S->net_close(fd) == 0);
    S->wg_done(done);
}

static void acceptor(void *arg) {
    int listen_fd = (int)(intptr_t)arg;
    for (int i = 0; i < CLIENTS; i++) {
        int fd = S->net_accept(listen_fd, 0);
        CHECK(fd >= 0);
        CHECK(S->spawn(echo_conn, (void *)(intptr_t)fd) == 0);
    }
    CHECK(S->net_close(listen_fd) == 0);
    S->wg_done(done);
}

static void client(void *arg) {
    int id = (int)(intptr_t)arg;
    int fd = connect_to(&server_addr);
    unsigned char *out = malloc(MAX_MESSAGE), *in = malloc(MAX_MESSAGE);
    CHECK(out && in);
    for (int seq = 0; seq < MESSAGES; seq++) {
        size_t size = message_size(id, seq);
        for (size_t i = 0; i < size; i++) out[i] = message_byte(id, seq, i);
        CHECK(S->net_write(fd, out, size, 0) == (long)size);
        for (size_t got = 0; got < size;) {
            long n = S->net_read(fd, in + got, size - got, 0);
            CHECK(n > 0);
            got += (size_t)n;
        }
        CHECK(memcmp(in, out, size) == 0);
        atomic_fetch_add(&echoed_bytes, (long)size);
    }
    free(out);
    free(in);
    CHECK(S->net_close(fd) == 0);
    S->wg_done(done);
}

static void t_echo(void *arg) {
    (void)arg;
    int listen_fd = listen_loopback(&server_addr);
    done = S->wg_make();
    S->wg_add(done, 1 + 2 * CLIENTS); /* acceptor, clients, echo tasks */
    CHECK(S->spawn(acceptor, (void *)(intptr_t)listen_fd) == 0);
    for (int i = 0; i < CLIENTS; i++) CHECK(S->spawn(client, (void *)(intptr_t)i) == 0);
    S->wg_wait(done);
    S->wg_free(done);
    long expected = 0;
    for (int c = 0; c < CLIENTS; c++)
        for (int seq = 0; seq < MESSAGES; seq++) expected += (long)message_size(c, seq);
    CHECK(atomic_load(&echoed_bytes) == expected);
}

/* ---- deadlines ---- */

static void t_deadline(void *arg) {
    (void)arg;
    struct sockaddr_in addr;
    int listen_fd = listen_loopback(&addr);
    uint64_t t0 = now_ns();
    CHECK(S->net_accept(listen_fd, t0 + 30 * MS) == -ETIMEDOUT);
    CHECK(now_ns() >= t0 + 30 * MS);

    int fd = connect_to(&addr); /* queued in the backlog */
    int peer = S->net_accept(listen_fd, now_ns() + 10000 * MS);
    CHECK(peer >= 0);
    char c;
    t0 = now_ns();
    CHECK(S->net_read(fd, &c, 1, t0 + 30 * MS) == -ETIMEDOUT); /* the peer sends nothing */
    CHECK(now_ns() >= t0 + 30 * MS);
    CHECK(S->net_read(fd, &c, 1, now_ns() - 1) == -ETIMEDOUT); /* passed: fails at once */
    /* A deadline is no obstacle to data that is there. */
    CHECK(S->net_write(peer, "x", 1, now_ns() + 10000 * MS) == 1);
    CHECK(S->net_read(fd, &c, 1, now_ns() + 10000 * MS) == 1 && c == 'x');
    CHECK(S->net_close(fd) == 0 && S->net_close(peer) == 0 && S->net_close(listen_fd) == 0);
}

/* ---- close while parked ---- */

typedef struct parked_call {
    int fd;
    bool accept; /* net_accept, else net_read */
    atomic_long result;
    atomic_bool started;
    asb_wg *done;
} parked_call;

static void parked_caller(void *arg) {
    parked_call *p = arg;
    atomic_store(&p->started, true);
    char c;
    long r = p->accept ? S->net_accept(p->fd, now_ns() + 10000 * MS) : S->net_read(p->fd, &c, 1, 0);
    atomic_store(&p->result, r);
    S->wg_done(p->done);
}

static void t_close_parked(void *arg) {
    (void)arg;
    struct sockaddr_in addr;
    int listen_fd = listen_loopback(&addr);
    int fd = connect_to(&addr);
    int peer = S->net_accept(listen_fd, now_ns() + 10000 * MS);
    CHECK(peer >= 0);
    asb_wg *wg = S->wg_make();
    parked_call calls[2] = {{.fd = fd, .accept = false, .done = wg}, {.fd = listen_fd, .accept = true, .done = wg}};
    S->wg_add(wg, 2);
    for (int i = 0; i < 2; i++) {
        atomic_init(&calls[i].result, 1);
        CHECK(S->spawn(parked_caller, &calls[i]) == 0);
    }
    while (!atomic_load(&calls[0].started) || !atomic_load(&calls[1].started)) S->sleep_ns(1 * MS);
    S->sleep_ns(30 * MS); /* long enough for both to park */
    CHECK(atomic_load(&calls[0].result) == 1 && atomic_load(&calls[1].result) == 1); /* still parked */
    CHECK(S->net_close(fd) == 0);
    CHECK(S->net_close(listen_fd) == 0);
    S->wg_wait(wg);
    S->wg_free(wg);
    CHECK(atomic_load(&calls[0].result) == -EBADF);
    CHECK(atomic_load(&calls[1].result) == -EBADF);
    CHECK(S->net_close(fd) == -EBADF); /* closed once only */
    CHECK(S->net_close(peer) == 0);
}

/* ---- driver ---- */

enum { NEEDS = ASB_CAP_SPAWN_JOIN | ASB_CAP_BLOCKING | ASB_CAP_NET };

static const sched_case cases[] = {
    {"echo round trips", NEEDS, t_echo},
    {"deadlines", NEEDS, t_deadline},
    {"close while parked", NEEDS, t_close_parked},
};

int main(int argc, char **argv) {
    static const int procs[] = {1, 2};
    const sched_case_suite suite = {cases, sizeof cases / sizeof *cases, procs, 2, 120, true};
    return sched_cases_main(&suite, argc, argv);
}
