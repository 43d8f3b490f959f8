/*
 * test_gmp_netpoll.c — behaviour tests of gmp's network poller and socket
 * calls (suite 'gmp', tests gmp-netpoll-*).  Like test_gmp.c: one test per
 * argv[1], the scheduler driven through its asb_sched table, results and
 * statistics asserted, never speed; alarm() turns a hang into a failure.
 * Every test also checks that a run leaves no file descriptor behind
 * (/proc/self/fd counted before and after).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gmp_test.h"

static int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    CHECK(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* One run; no descriptor may outlive it (the poller's epoll and eventfd,
 * the test's sockets), and no G may be left blocked. */
static void run(int procs, const char *opts, asb_task_fn root, void *arg) {
    int before = count_fds();
    CHECK(S->run(procs, opts ? opts : "", root, arg) == 0);
    CHECK(count_fds() == before);
    CHECK(stat("leaked_gs") == 0);
}


static void make_pair(int sv[2]) { CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0); }

/* The opts strings every behaviour test runs under: the poller, and the
 * ablation's blocking hand-off. */
static const char *const modes[] = {"", "netpoll=0"};

/* Park until the poller has `n` Gs waiting on descriptors. */
static void await_waiters(int32_t n) {
    while (gmp_netpoll_waiters() != n) S->sleep_ns(200000);
}

/* ---- readiness wakes exactly the parked task ---- */

enum { WAKE_N = 8 };

typedef struct wake_state {
    int fds[WAKE_N][2];
    _Atomic int woken[WAKE_N];
    asb_chan *done;
} wake_state;

typedef struct wake_reader {
    wake_state *w;
    int i;
} wake_reader;

static void wake_read(void *p) {
    wake_reader *r = p;
    char c = 0;
    CHECK(S->net_read(r->w->fds[r->i][0], &c, 1, 0) == 1);
    CHECK(c == 'a' + r->i);
    atomic_store(&r->w->woken[r->i], 1);
    S->chan_send(r->w->done, &r->i);
}

static void wake_root(void *p) {
    wake_state *w = p;
    w->done = S->chan_make(sizeof(int), 0);
    wake_reader readers[WAKE_N];
    for (int i = 0; i < WAKE_N; i++) {
        make_pair(w->fds[i]);
        atomic_store(&w->woken[i], 0);
        readers[i] = (wake_reader){w, i};
        CHECK(S->spawn(wake_read, &readers[i]) == 0);
    }
    await_waiters(WAKE_N);
    static const int order[WAKE_N] = {5, 2, 7, 0, 3, 6, 1, 4};
    for (int k = 0; k < WAKE_N; k++) {
        int i = order[k], got = -1;
        char c = (char)('a' + i);
        CHECK(S->net_write(w->fds[i][1], &c, 1, 0) == 1);
        S->chan_recv(w->done, &got);
        CHECK(got == i);
        S->sleep_ns(2000000); /* room for a wrong wake-up to show */
        for (int j = 0; j < WAKE_N; j++) {
            bool written = false;
            for (int q = 0; q <= k; q++) written |= order[q] == j;
            CHECK(atomic_load(&w->woken[j]) == written);
        }
        CHECK(gmp_netpoll_waiters() == WAKE_N - k - 1);
    }
    for (int i = 0; i < WAKE_N; i++) {
        CHECK(S->net_close(w->fds[i][0]) == 0);
        CHECK(S->net_close(w->fds[i][1]) == 0);
    }
    S->chan_free(w->done);
}

static void test_wake_one(void) {
    for (int procs = 1; procs <= 2; procs++) {
        wake_state w;
        run(procs, NULL, wake_root, &w);
        CHECK(stat("netpoll_parks") >= WAKE_N);
        CHECK(stat("netpoll_ready") >= WAKE_N);
    }
}

/* ---- deadlines ---- */

static void deadline_root(void *p) {
    (void)p;
    int sv[2];
    make_pair(sv);
    char buf[64];
    /* Nothing to read: the deadline passes, not earlier. */
    uint64_t t0 = now_ns(), deadline = t0 + 20000000;
    CHECK(S->net_read(sv[0], buf, sizeof buf, deadline) == -ETIMEDOUT);
    CHECK(now_ns() >= deadline);
    /* The same deadline again: still passed, at once. */
    CHECK(S->net_read(sv[0], buf, sizeof buf, deadline) == -ETIMEDOUT);
    /* A deadline already passed fails before trying. */
    CHECK(S->net_write(sv[1], "x", 1, now_ns() - 1) == -ETIMEDOUT);
    /* A later deadline re-arms: data that arrives in time is read. */
    CHECK(S->net_write(sv[1], "hello", 5, 0) == 5);
    CHECK(S->net_read(sv[0], buf, sizeof buf, now_ns() + 5000000000u) == 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    /* No deadline after one: clears the timer state. */
    CHECK(S->net_write(sv[1], "y", 1, 0) == 1);
    CHECK(S->net_read(sv[0], buf, 1, 0) == 1 && buf[0] == 'y');
    /* A write that cannot finish (the peer never reads) times out. */
    size_t big = 16u << 20;
    char *block = calloc(1, big);
    CHECK(block);
    deadline = now_ns() + 20000000;
    CHECK(S->net_write(sv[1], block, big, deadline) == -ETIMEDOUT);
    CHECK(now_ns() >= deadline);
    free(block);
    CHECK(S->net_close(sv[0]) == 0);
    CHECK(S->net_close(sv[1]) == 0);
    /* accept with nobody connecting. */
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(l >= 0 && bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 4) == 0);
    deadline = now_ns() + 10000000;
    CHECK(S->net_accept(l, deadline) == -ETIMEDOUT);
    CHECK(now_ns() >= deadline);
    CHECK(S->net_close(l) == 0);
}

static void test_deadline(void) {
    for (size_t m = 0; m < sizeof modes / sizeof *modes; m++) {
        run(1, modes[m], deadline_root, NULL);
        run(2, modes[m], deadline_root, NULL);
    }
}

/* ---- net_close wakes a parked task with -EBADF ---- */

typedef struct close_state {
    int fd;
    long result;
    asb_wg *wg;
    bool accept;
} close_state;

static void close_victim(void *p) {
    close_state *c = p;
    char b;
    c->result = c->accept ? S->net_accept(c->fd, 0) : S->net_read(c->fd, &b, 1, 0);
    S->wg_done(c->wg);
}

static void close_root(void *p) {
    const char *mode = p;
    int sv[2];
    make_pair(sv);
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(l >= 0 && bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 4) == 0);
    asb_wg *wg = S->wg_make();
    close_state reader = {sv[0], 1, wg, false}, acceptor = {l, 1, wg, true};
    S->wg_add(wg, 2);
    CHECK(S->spawn(close_victim, &reader) == 0);
    CHECK(S->spawn(close_victim, &acceptor) == 0);
    if (mode[0] == 0)
        await_waiters(2);
    else
        S->sleep_ns(50000000); /* the ablation's tasks block in poll(2), uncounted */
    CHECK(S->net_close(sv[0]) == 0);
    CHECK(S->net_close(l) == 0);
    S->wg_wait(wg);
    CHECK(reader.result == -EBADF);
    CHECK(acceptor.result == -EBADF);
    CHECK(S->net_close(sv[1]) == 0);
    S->wg_free(wg);
}

static void test_close(void) {
    for (size_t m = 0; m < sizeof modes / sizeof *modes; m++)
        for (int procs = 1; procs <= 2; procs++) run(procs, modes[m], close_root, (void *)modes[m]);
}

/* ---- netpollBreak wakes the M blocked in netpoll ---- */

/* The only M blocks in epoll_wait with no timeout (both tasks wait on
 * sockets, sysmon is off).  A thread outside the scheduler then spawns a
 * task; it runs on a new M and sleeps 20 ms, a timer earlier than anything
 * the poller waits for, so the poller is woken by netpollBreak to take it
 * into account (counted), and the sleeper's wake-up ends the test. */
typedef struct brk_state {
    int sv[2], keep[2];
    _Atomic int phase;
    uint64_t slept_at, woke_at;
    asb_chan *parked_done;
} brk_state;

static void brk_sleeper(void *p) {
    brk_state *b = p;
    b->slept_at = now_ns();
    S->sleep_ns(20000000);
    b->woke_at = now_ns();
    CHECK(S->net_write(b->sv[1], "!", 1, 0) == 1);
}

static void brk_parked(void *p) {
    brk_state *b = p;
    char c;
    CHECK(S->net_read(b->keep[0], &c, 1, 0) == 0); /* until the root closes the peer */
    CHECK(S->net_close(b->keep[0]) == 0);
    S->chan_close(b->parked_done);
}

static void brk_root(void *p) {
    brk_state *b = p;
    make_pair(b->sv);
    make_pair(b->keep);
    b->parked_done = S->chan_make(1, 0);
    CHECK(S->spawn(brk_parked, b) == 0);
    atomic_store(&b->phase, 1);
    char c;
    CHECK(S->net_read(b->sv[0], &c, 1, 0) == 1 && c == '!');
    CHECK(b->woke_at >= b->slept_at + 20000000);
    CHECK(S->net_close(b->keep[1]) == 0);
    CHECK(!S->chan_recv(b->parked_done, NULL));
    S->chan_free(b->parked_done);
    CHECK(S->net_close(b->sv[0]) == 0);
    CHECK(S->net_close(b->sv[1]) == 0);
}

static void *brk_injector(void *p) {
    brk_state *b = p;
    while (atomic_load(&b->phase) == 0) usleep(1000);
    /* Both tasks parked on sockets, the M in epoll_wait. */
    while (gmp_netpoll_waiters() != 2 || atomic_load(&gmp_sched.lastpoll) != 0) usleep(1000);
    CHECK(S->spawn(brk_sleeper, b) == 0);
    return NULL;
}

static void test_break(void) {
    brk_state b = {0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, brk_injector, &b) == 0);
    run(1, "sysmon=0", brk_root, &b);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(stat("netpoll_breaks") >= 1);
    CHECK(stat("outside_spawns") == 1);
}

/* ---- echo: N connections × M messages, contents verified ---- */

enum { ECHO_CONNS = 8, ECHO_MSGS = 200, ECHO_MAX = 1500 };

typedef struct echo_state {
    int listen_fd;
    struct sockaddr_in addr;
    asb_wg *clients, *servers; /* servers: the acceptor and every handler */
    _Atomic long bytes;
} echo_state;

typedef struct echo_conn {
    echo_state *e;
    int fd;
} echo_conn;

static long read_full(int fd, char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        long r = S->net_read(fd, buf + got, n - got, 0);
        if (r <= 0) return r;
        got += (size_t)r;
    }
    return (long)got;
}

static void echo_handler(void *p) {
    echo_conn *c = p;
    char buf[ECHO_MAX];
    long r;
    while ((r = S->net_read(c->fd, buf, sizeof buf, 0)) > 0) CHECK(S->net_write(c->fd, buf, (size_t)r, 0) == r);
    CHECK(r == 0);
    CHECK(S->net_close(c->fd) == 0);
    S->wg_done(c->e->servers);
    free(c);
}

static void echo_acceptor(void *p) {
    echo_state *e = p;
    int fd;
    while ((fd = S->net_accept(e->listen_fd, 0)) >= 0) {
        echo_conn *c = malloc(sizeof *c);
        CHECK(c);
        *c = (echo_conn){e, fd};
        S->wg_add(e->servers, 1);
        CHECK(S->spawn(echo_handler, c) == 0);
    }
    CHECK(fd == -EBADF); /* the root closed the listener */
    S->wg_done(e->servers);
}

typedef struct echo_client_arg {
    echo_state *e;
    int id;
} echo_client_arg;

static void echo_client(void *p) {
    echo_client_arg *c = p;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    CHECK(S->net_connect(fd, &c->e->addr, sizeof c->e->addr, now_ns() + 10000000000u) == 0);
    char out[ECHO_MAX], in[ECHO_MAX];
    for (int m = 0; m < ECHO_MSGS; m++) {
        size_t n = 1 + (size_t)(c->id * 131 + m * 977) % ECHO_MAX;
        for (size_t i = 0; i < n; i++) out[i] = (char)(c->id * 7 + m * 13 + (int)i);
        CHECK(S->net_write(fd, out, n, 0) == (long)n);
        CHECK(read_full(fd, in, n) == (long)n);
        CHECK(memcmp(in, out, n) == 0);
        atomic_fetch_add(&c->e->bytes, (long)n);
    }
    CHECK(S->net_close(fd) == 0);
    S->wg_done(c->e->clients);
}

static void echo_root(void *p) {
    echo_state *e = p;
    e->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    e->addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof e->addr;
    CHECK(e->listen_fd >= 0 && bind(e->listen_fd, (struct sockaddr *)&e->addr, len) == 0 &&
          listen(e->listen_fd, 64) == 0 && getsockname(e->listen_fd, (struct sockaddr *)&e->addr, &len) == 0);
    e->servers = S->wg_make();
    S->wg_add(e->servers, 1);
    CHECK(S->spawn(echo_acceptor, e) == 0);
    e->clients = S->wg_make();
    S->wg_add(e->clients, ECHO_CONNS);
    echo_client_arg args[ECHO_CONNS];
    for (int i = 0; i < ECHO_CONNS; i++) {
        args[i] = (echo_client_arg){e, i};
        CHECK(S->spawn(echo_client, &args[i]) == 0);
    }
    S->wg_wait(e->clients);
    S->wg_free(e->clients);
    CHECK(S->net_close(e->listen_fd) == 0);
    /* The handlers end when they read their client's end of stream. */
    S->wg_wait(e->servers);
    S->wg_free(e->servers);
}

static void test_echo(void) {
    for (size_t m = 0; m < sizeof modes / sizeof *modes; m++) {
        for (int procs = 1; procs <= 2; procs++) {
            echo_state e = {0};
            run(procs, modes[m], echo_root, &e);
            long want = 0;
            for (int id = 0; id < ECHO_CONNS; id++)
                for (int msg = 0; msg < ECHO_MSGS; msg++) want += 1 + (id * 131 + msg * 977) % ECHO_MAX;
            CHECK(atomic_load(&e.bytes) == want);
            CHECK(stat("opt_netpoll") == (modes[m][0] == 0));
            /* The ablation never touches epoll. */
            if (modes[m][0] != 0) CHECK(stat("netpoll_polls") == 0);
        }
    }
}

/* ---- connect errors, close of a descriptor never used ---- */

static void connect_root(void *p) {
    (void)p;
    /* A port nobody listens on: bind one, learn it, close it. */
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    CHECK(l >= 0 && bind(l, (struct sockaddr *)&a, len) == 0 && getsockname(l, (struct sockaddr *)&a, &len) == 0);
    CHECK(S->net_close(l) == 0); /* never used with net_*: a plain close */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    CHECK(S->net_connect(fd, &a, sizeof a, 0) == -ECONNREFUSED);
    CHECK(S->net_close(fd) == 0);
    CHECK(S->net_read(-1, NULL, 0, 0) == -EBADF);
}

static void test_connect(void) {
    for (size_t m = 0; m < sizeof modes / sizeof *modes; m++) run(1, modes[m], connect_root, NULL);
}

static const gmp_test tests[] = {
    {"wake-one", test_wake_one}, {"deadline", test_deadline}, {"close", test_close},
    {"break", test_break},       {"echo", test_echo},         {"connect", test_connect},
};

int main(int argc, char **argv) { return gmp_test_main(tests, sizeof tests / sizeof *tests, ASB_CAP_NET, argc, argv); }
