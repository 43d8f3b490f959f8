/*
 * redis.c — app:redis, redis-server driven by the package's own
 * redis-benchmark: nine commands (SET GET INCR LPUSH LPOP SADD HSET ZADD
 * LRANGE_100), SCALE requests each, 50 clients, 16 requests pipelined,
 * 64-byte values over 100000 random keys; then asb-kvclient stores 10000
 * keys of our own (values of 32 B .. 16 KiB) in database 1 and reads them
 * back (verify.txt: their checksum and DBSIZE, compared with the glibc
 * run's; a wrong value is verify-failed).
 *
 * Debian's redis-server links libjemalloc but calls it by the standard
 * names (malloc, free, malloc_usable_size …), so a preloaded backend serves
 * it; libc.so.6 goes last in LD_PRELOAD so that the glibc run is served by
 * glibc and not by the linked jemalloc (the shim checks which one served).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

static void redis_args(asb_app_ctx *x, int port, asb_argv *a) {
    const char *args[] = {"--bind", "127.0.0.1", "--protected-mode", "no", "--save", "", "--appendonly", "no",
                          "--daemonize", "no", "--loglevel", "warning", "--logfile", "", "--dir", x->work_dir};
    for (size_t i = 0; i < sizeof args / sizeof *args; i++) asb_argv_push(a, args[i]);
    asb_argv_push(a, "--port");
    asb_argv_pushf(a, "%d", port);
}

static int redis_drive(asb_app_ctx *x, asb_server *s) {
    asb_argv bench = {0};
    const char *args[] = {"/usr/bin/redis-benchmark", "-h", "127.0.0.1", "-c", "50", "-P", "16", "-d", "64",
                          "-r", "100000", "-t", "set,get,incr,lpush,lpop,sadd,hset,zadd,lrange_100", "--csv"};
    for (size_t i = 0; i < sizeof args / sizeof *args; i++) asb_argv_push(&bench, args[i]);
    asb_argv_push(&bench, "-p");
    asb_argv_pushf(&bench, "%d", asb_server_port(s));
    asb_argv_push(&bench, "-n");
    asb_argv_pushf(&bench, "%ld", x->scale);
    int r = asb_server_client(x, s, &bench, x->stdout_path);
    asb_argv_free(&bench);
    if (r != 0) return r;
    asb_argv verify = {0};
    char *kv = asb_server_kvclient_path(), *out = asb_xasprintf("%s/verify.txt", x->work_dir);
    asb_argv_push(&verify, kv);
    asb_argv_push(&verify, "verify");
    asb_argv_push(&verify, "--proto");
    asb_argv_push(&verify, "redis");
    asb_argv_push(&verify, "--port");
    asb_argv_pushf(&verify, "%d", asb_server_port(s));
    r = asb_server_client(x, s, &verify, out);
    asb_argv_free(&verify);
    free(kv);
    free(out);
    return r;
}

/* redis-benchmark --csv: "TEST","rps","avg","min","p50","p95","p99","max"
 * (latencies in ms) per test.  Reported: each test's rps, p50 and p99; the
 * requests/s over all tests; p50 and p99 of the slowest test. */
static void redis_parse(asb_app_ctx *x, const char *out) {
    double requests = 0, seconds = 0, worst_p50 = 0, worst_p99 = 0;
    for (const char *line = out; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        char test[64];
        double rps, avg, min, p50, p95, p99;
        if (sscanf(line, "\"%63[^\"]\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\",\"%lf\"", test, &rps, &avg, &min, &p50,
                   &p95, &p99) != 7 || rps <= 0)
            continue;
        if (strchr(test, ' ')) { /* "LPUSH (needed to benchmark LRANGE)": filling only */
            if (strstr(test, "needed")) continue;
            *strchr(test, ' ') = 0; /* "LRANGE_100 (first 100 elements)" */
        }
        for (char *c = test; *c; c++) *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        char key[96];
        snprintf(key, sizeof key, "%s_rps", test);
        asb_app_report(x, key, rps);
        snprintf(key, sizeof key, "%s_p50_ms", test);
        asb_app_report(x, key, p50);
        snprintf(key, sizeof key, "%s_p99_ms", test);
        asb_app_report(x, key, p99);
        requests += (double)x->scale;
        seconds += (double)x->scale / rps;
        worst_p50 = fmax(worst_p50, p50);
        worst_p99 = fmax(worst_p99, p99);
    }
    if (requests > 0) {
        asb_app_report(x, "rps", requests / seconds);
        asb_app_report(x, "p50_ms", worst_p50);
        asb_app_report(x, "p99_ms", worst_p99);
        asb_app_set_ops(x, requests);
    }
}

static const asb_server_spec redis_spec = {
    .program = "/usr/bin/redis-server",
    .args = redis_args,
    .preload_last = "libc.so.6",
    .probe = "PING\r\n",
    .probe_reply = "+PONG",
    .drive = redis_drive,
};

static int redis_start(asb_app_ctx *x, void **state) { return asb_server_start(x, &redis_spec, state); }

static const asb_app_server redis_server = {redis_start, asb_server_ready, asb_server_drive, asb_server_stop};

static const asb_app redis_app = {
    .name = "redis",
    .package = "redis-server redis-tools",
    .programs = "/usr/bin/redis-server /usr/bin/redis-benchmark",
    .stresses = "a server's small objects: keys, values, list/set/hash/zset nodes, client buffers",
    .input = "redis-benchmark: 9 commands x SCALE requests, 50 clients, pipeline 16; then 10000 keys read back",
    .scale = "50000",
    .quick_scale = "5000",
    .scale_help = "requests per benchmarked command",
    .stdout_varies = true, /* throughput figures */
    .outputs = "verify.txt",
    .parse = redis_parse,
    .server = &redis_server,
};
ASB_REGISTER_APP(redis_app)
