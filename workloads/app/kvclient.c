/*
 * kvclient.c — asb-kvclient, our client for the key-value server apps
 * (server.c, redis.c, memcached.c).  Debian 12 packages no load generator
 * for memcached (memtier_benchmark is not there) and redis-benchmark reads
 * nothing back, so this one small program does what they lack:
 *
 *   bench   drives memcached's text protocol: --conns connections, one
 *           thread each, --pipeline requests in flight per connection, a
 *           get/set mix over a fixed key set whose values follow a fixed
 *           size distribution; every get that hits is compared byte for byte
 *           with the value the key must hold; prints ops/s and latency
 *           quantiles (a request's latency: its batch sent → its reply read);
 *   verify  stores every key of the set (a fixed load), reads each back and
 *           prints a checksum of what it read and the count of wrong values
 *           (memcached text protocol, or redis' RESP in database 1, whose
 *           DBSIZE it also checksums).
 *
 * A key's value is a function of the key and the seed alone (its size and
 * its bytes), so any reply can be checked and every run stores the same
 * data.  Output: key=value lines on stdout.  Exit 0; 3 when a value read
 * back was wrong; 1 on an error (connection, protocol), said on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../common/hist.h"

enum { VALUE_MAX = 16384, KEY_MAX = 32, IO_TIMEOUT_S = 30 };

typedef enum { PROTO_MEMCACHED, PROTO_REDIS } proto;

typedef struct options {
    proto proto;
    bool bench;
    int port, conns, pipeline, get_permille;
    long keys, ops;
    uint64_t seed;
} options;

static options opt = {.conns = 4, .pipeline = 16, .get_permille = 900, .keys = 10000, .ops = 200000, .seed = 42};

static _Noreturn void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("asb-kvclient: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static uint64_t mix64(uint64_t x) { /* splitmix64's finaliser */
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int key_name(long k, char *out) { return snprintf(out, KEY_MAX, "asb:%08ld", k); }

/* Key k's value: 60% of keys 32-255 bytes, 30% 256-2047, 10% 2 KiB-16 KiB
 * (a cache's mix of small records and a few pages); letters only. */
static size_t key_value(long k, char *out) {
    uint64_t h = mix64(opt.seed ^ mix64((uint64_t)k));
    unsigned pct = (unsigned)(h % 100);
    size_t lo = pct < 60 ? 32 : pct < 90 ? 256 : 2048, hi = pct < 60 ? 256 : pct < 90 ? 2048 : VALUE_MAX;
    size_t len = lo + (size_t)((h >> 8) % (hi - lo));
    uint64_t bits = 0;
    for (size_t i = 0; i < len; i++) {
        if (i % 8 == 0) bits = mix64(h + i);
        out[i] = (char)('a' + (bits & 0xff) % 26);
        bits >>= 8;
    }
    return len;
}

/* One connection: a socket and its read buffer. */
typedef struct conn {
    int fd;
    char *buf;
    size_t start, end, cap;
    char *out; /* requests of one batch */
    size_t out_len, out_cap;
} conn;

static void conn_open(conn *c) {
    *c = (conn){.cap = 4 * VALUE_MAX};
    c->buf = malloc(c->cap);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (!c->buf || c->fd < 0) die("socket: %s", strerror(errno));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        die("cannot connect to 127.0.0.1:%d: %s", opt.port, strerror(errno));
    int one = 1;
    struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static void conn_close(conn *c) {
    close(c->fd);
    free(c->buf);
    free(c->out);
}

static void out_add(conn *c, const void *p, size_t n) {
    if (c->out_len + n > c->out_cap) {
        c->out_cap = 2 * (c->out_len + n);
        c->out = realloc(c->out, c->out_cap);
        if (!c->out) die("out of memory");
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
}

static void out_addf(conn *c, const char *fmt, ...) {
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    out_add(c, tmp, (size_t)n);
}

static void conn_flush(conn *c) {
    for (size_t done = 0; done < c->out_len;) {
        ssize_t n = write(c->fd, c->out + done, c->out_len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("write to 127.0.0.1:%d: %s", opt.port, n < 0 ? strerror(errno) : "closed");
        done += (size_t)n;
    }
    c->out_len = 0;
}

/* Reads more into the buffer (compacting it first). */
static void conn_fill(conn *c) {
    if (c->start > 0) {
        memmove(c->buf, c->buf + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    if (c->end == c->cap) die("reply line longer than %zu bytes", c->cap);
    ssize_t n;
    do n = read(c->fd, c->buf + c->end, c->cap - c->end);
    while (n < 0 && errno == EINTR);
    if (n < 0) die("read from 127.0.0.1:%d: %s", opt.port, strerror(errno));
    if (n == 0) die("127.0.0.1:%d closed the connection", opt.port);
    c->end += (size_t)n;
}

/* The next reply line without its CRLF (NUL-terminated in the buffer). */
static char *conn_line(conn *c) {
    for (;;) {
        char *crlf = memmem(c->buf + c->start, c->end - c->start, "\r\n", 2);
        if (crlf) {
            char *line = c->buf + c->start;
            *crlf = 0;
            c->start = (size_t)(crlf + 2 - c->buf);
            return line;
        }
        conn_fill(c);
    }
}

/* The next n bytes of data and their CRLF; the pointer is valid until the next read. */
static const char *conn_data(conn *c, size_t n) {
    while (c->end - c->start < n + 2) conn_fill(c);
    const char *data = c->buf + c->start;
    if (memcmp(data + n, "\r\n", 2) != 0) die("data block of %zu bytes not followed by CRLF", n);
    c->start += n + 2;
    return data;
}

/* Requests. */
static void request_set(conn *c, long k, char *value) {
    char key[KEY_MAX];
    int klen = key_name(k, key);
    size_t vlen = key_value(k, value);
    if (opt.proto == PROTO_MEMCACHED) out_addf(c, "set %s 0 0 %zu\r\n", key, vlen);
    else out_addf(c, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%zu\r\n", klen, key, vlen);
    out_add(c, value, vlen);
    out_add(c, "\r\n", 2);
}

static void request_get(conn *c, long k) {
    char key[KEY_MAX];
    int klen = key_name(k, key);
    if (opt.proto == PROTO_MEMCACHED) out_addf(c, "get %s\r\n", key);
    else out_addf(c, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", klen, key);
}

static void reply_set(conn *c) {
    const char *line = conn_line(c);
    if (strcmp(line, opt.proto == PROTO_MEMCACHED ? "STORED" : "+OK") != 0) die("set answered '%.80s'", line);
}

/* Reads a get's reply; returns the value's length (its bytes in *data), or
 * -1 for a miss. */
static long reply_get(conn *c, const char **data) {
    const char *line = conn_line(c);
    long len;
    if (opt.proto == PROTO_REDIS) {
        if (sscanf(line, "$%ld", &len) != 1) die("GET answered '%.80s'", line);
        if (len >= 0) *data = conn_data(c, (size_t)len);
        return len;
    }
    if (!strcmp(line, "END")) return -1;
    unsigned flags;
    if (sscanf(line, "VALUE %*s %u %ld", &flags, &len) != 2 || len < 0) die("get answered '%.80s'", line);
    *data = conn_data(c, (size_t)len);
    line = conn_line(c);
    if (strcmp(line, "END") != 0) die("get's value not followed by END but '%.80s'", line);
    return len;
}

static bool value_is(long k, const char *data, long len, char *expect) {
    size_t want = key_value(k, expect);
    return (size_t)len == want && !memcmp(data, expect, want);
}

/* bench: one connection's share of the operations. */
typedef struct bench_thread {
    pthread_t tid;
    int index;
    long ops, gets, hits, sets, wrong;
    asb_hist hist; /* latency, ns */
} bench_thread;

static void *bench_run(void *arg) {
    bench_thread *t = arg;
    conn c;
    conn_open(&c);
    char *value = malloc(VALUE_MAX), *expect = malloc(VALUE_MAX);
    long *batch = malloc((size_t)opt.pipeline * sizeof *batch); /* key, negative for a set */
    if (!value || !expect || !batch) die("out of memory");
    uint64_t rng = mix64(opt.seed + 1 + (uint64_t)t->index);
    for (long done = 0; done < t->ops;) {
        int n = (int)(t->ops - done < opt.pipeline ? t->ops - done : opt.pipeline);
        for (int i = 0; i < n; i++) {
            rng = mix64(rng);
            long k = (long)(rng % (uint64_t)opt.keys);
            bool get = (int)((rng >> 40) % 1000) < opt.get_permille;
            batch[i] = get ? k : -1 - k;
            if (get) request_get(&c, k);
            else request_set(&c, k, value);
        }
        uint64_t sent = now_ns();
        conn_flush(&c);
        for (int i = 0; i < n; i++) {
            if (batch[i] >= 0) {
                const char *data = NULL;
                long len = reply_get(&c, &data);
                t->gets++;
                if (len >= 0) {
                    t->hits++;
                    if (!value_is(batch[i], data, len, expect)) t->wrong++;
                }
            } else {
                reply_set(&c);
                t->sets++;
            }
            asb_hist_record(&t->hist, now_ns() - sent);
        }
        done += n;
    }
    free(batch);
    free(value);
    free(expect);
    conn_close(&c);
    return NULL;
}

enum { LOAD_BATCH = 64 };

/* Stores every key (batches of LOAD_BATCH pipelined sets). */
static void load_all(conn *c, char *value) {
    for (long k = 0; k < opt.keys;) {
        long n = 0;
        for (; n < LOAD_BATCH && k + n < opt.keys; n++) request_set(c, k + n, value);
        conn_flush(c);
        for (long i = 0; i < n; i++) reply_set(c);
        k += n;
    }
}

static int bench(void) {
    conn c;
    conn_open(&c);
    char *value = malloc(VALUE_MAX);
    if (!value) die("out of memory");
    load_all(&c, value); /* so that gets hit from the first request on */
    free(value);
    conn_close(&c);
    bench_thread *threads = calloc((size_t)opt.conns, sizeof *threads);
    if (!threads) die("out of memory");
    uint64_t t0 = now_ns();
    for (int i = 0; i < opt.conns; i++) {
        threads[i].index = i;
        threads[i].ops = opt.ops / opt.conns + (i < opt.ops % opt.conns);
        asb_hist_init(&threads[i].hist);
        if (pthread_create(&threads[i].tid, NULL, bench_run, &threads[i]) != 0) die("pthread_create failed");
    }
    asb_hist all;
    asb_hist_init(&all);
    long gets = 0, hits = 0, sets = 0, wrong = 0;
    for (int i = 0; i < opt.conns; i++) {
        pthread_join(threads[i].tid, NULL);
        asb_hist_merge(&all, &threads[i].hist);
        gets += threads[i].gets;
        hits += threads[i].hits;
        sets += threads[i].sets;
        wrong += threads[i].wrong;
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    free(threads);
    printf("ops=%ld\nelapsed_ns=%.0f\nops_per_s=%.1f\np50_ms=%.4f\np99_ms=%.4f\ngets=%ld\nhits=%ld\nsets=%ld\n"
           "wrong_values=%ld\n",
           opt.ops, secs * 1e9, (double)opt.ops / secs, (double)asb_hist_quantile(&all, 0.50) / 1e6,
           (double)asb_hist_quantile(&all, 0.99) / 1e6, gets, hits, sets, wrong);
    if (wrong) fprintf(stderr, "asb-kvclient: %ld of %ld values read back were wrong\n", wrong, hits);
    return wrong ? 3 : 0;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)p)[i]) * 0x100000001b3ull;
    return h;
}

static int verify(void) {
    conn c;
    conn_open(&c);
    char *value = malloc(VALUE_MAX), *expect = malloc(VALUE_MAX);
    if (!value || !expect) die("out of memory");
    if (opt.proto == PROTO_REDIS) { /* a database of its own: redis-benchmark's keys are random */
        out_addf(&c, "*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n");
        conn_flush(&c);
        reply_set(&c);
    }
    load_all(&c, value);
    uint64_t sum = 0xcbf29ce484222325ull;
    long found = 0, wrong = 0;
    for (long k = 0; k < opt.keys;) {
        long n = 0;
        for (; n < LOAD_BATCH && k + n < opt.keys; n++) request_get(&c, k + n);
        conn_flush(&c);
        for (long i = 0; i < n; i++) {
            const char *data = NULL;
            long len = reply_get(&c, &data);
            if (len < 0) continue;
            found++;
            sum = fnv1a(sum, data, (size_t)len);
            if (!value_is(k + i, data, len, expect)) wrong++;
        }
        k += n;
    }
    printf("keys=%ld\nfound=%ld\nwrong_values=%ld\n", opt.keys, found, wrong);
    if (opt.proto == PROTO_REDIS) {
        out_addf(&c, "*1\r\n$6\r\nDBSIZE\r\n");
        conn_flush(&c);
        const char *line = conn_line(&c);
        long dbsize;
        if (sscanf(line, ":%ld", &dbsize) != 1) die("DBSIZE answered '%.80s'", line);
        sum = fnv1a(sum, &dbsize, sizeof dbsize);
        printf("dbsize=%ld\n", dbsize);
    }
    printf("checksum=%016" PRIx64 "\n", sum);
    free(value);
    free(expect);
    conn_close(&c);
    if (wrong || found != opt.keys)
        fprintf(stderr, "asb-kvclient: of %ld keys stored, %ld read back, %ld of them wrong\n", opt.keys, found,
                wrong);
    return wrong || found != opt.keys ? 3 : 0;
}

static long number_arg(const char *name, const char *v, long min) {
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min) {
        fprintf(stderr, "asb-kvclient: %s must be an integer >= %ld, not '%s'\n", name, min, v);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv) {
    const char *usage = "usage: asb-kvclient bench|verify --proto memcached|redis --port N [--keys N] [--ops N] "
                        "[--conns N] [--pipeline N] [--get-permille N] [--seed N]";
    if (argc < 2 || (strcmp(argv[1], "bench") && strcmp(argv[1], "verify"))) {
        fprintf(stderr, "%s\n", usage);
        return 2;
    }
    opt.bench = !strcmp(argv[1], "bench");
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "asb-kvclient: %s needs a value\n%s\n", a, usage);
            return 2;
        }
        i++;
        if (!strcmp(a, "--proto")) {
            if (!strcmp(v, "memcached")) opt.proto = PROTO_MEMCACHED;
            else if (!strcmp(v, "redis")) opt.proto = PROTO_REDIS;
            else {
                fprintf(stderr, "asb-kvclient: unknown protocol '%s' (memcached, redis)\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--port")) opt.port = (int)number_arg(a, v, 1);
        else if (!strcmp(a, "--keys")) opt.keys = number_arg(a, v, 1);
        else if (!strcmp(a, "--ops")) opt.ops = number_arg(a, v, 1);
        else if (!strcmp(a, "--conns")) opt.conns = (int)number_arg(a, v, 1);
        else if (!strcmp(a, "--pipeline")) opt.pipeline = (int)number_arg(a, v, 1);
        else if (!strcmp(a, "--get-permille")) opt.get_permille = (int)number_arg(a, v, 0);
        else if (!strcmp(a, "--seed")) opt.seed = (uint64_t)number_arg(a, v, 0);
        else {
            fprintf(stderr, "asb-kvclient: unknown option %s\n%s\n", a, usage);
            return 2;
        }
    }
    if (!opt.port) {
        fprintf(stderr, "asb-kvclient: --port is required\n%s\n", usage);
        return 2;
    }
    if (opt.bench && opt.proto != PROTO_MEMCACHED) {
        fprintf(stderr, "asb-kvclient: bench drives memcached only (redis has redis-benchmark)\n");
        return 2;
    }
    return opt.bench ? bench() : verify();
}
