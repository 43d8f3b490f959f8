/*
 * memcached.c — app:memcached, memcached (2 worker threads, 1 GiB cache)
 * driven by asb-kvclient, our client (Debian 12 packages no memcached load
 * generator): 4 connections, 16 requests pipelined, 90% get / 10% set over
 * 10000 keys whose values are 32 B .. 16 KiB (kvclient.c), SCALE requests;
 * every get that hits is checked byte for byte.  Then a fixed load of the
 * same keys is stored and read back (verify.txt: checksum, compared with the
 * glibc run's; a wrong value is verify-failed).
 *
 * memcached keeps items in its own slab allocator: malloc serves its 1 MiB
 * slab pages, hash table, connection and thread buffers (libevent's too),
 * not each item.  It acts on SIGTERM at its next clock tick, so its wall
 * time holds up to 1 s of waiting: compare its requests/s.
 */
#include <stdlib.h>
#include <unistd.h>

#include "server.h"

static void memcached_args(asb_app_ctx *x, int port, asb_argv *a) {
    (void)x;
    const char *args[] = {"-l", "127.0.0.1", "-U", "0", "-t", "2", "-m", "1024", "-c", "1024"};
    for (size_t i = 0; i < sizeof args / sizeof *args; i++) asb_argv_push(a, args[i]);
    asb_argv_push(a, "-p");
    asb_argv_pushf(a, "%d", port);
    if (geteuid() == 0) { /* memcached refuses to run as root unless told to */
        asb_argv_push(a, "-u");
        asb_argv_push(a, "root");
    }
}

static void kvclient_argv(asb_argv *a, const char *mode, int port) {
    char *kv = asb_server_kvclient_path();
    asb_argv_push(a, kv);
    free(kv);
    asb_argv_push(a, mode);
    asb_argv_push(a, "--proto");
    asb_argv_push(a, "memcached");
    asb_argv_push(a, "--port");
    asb_argv_pushf(a, "%d", port);
}

static int memcached_drive(asb_app_ctx *x, asb_server *s) {
    asb_argv bench = {0};
    kvclient_argv(&bench, "bench", asb_server_port(s));
    asb_argv_push(&bench, "--ops");
    asb_argv_pushf(&bench, "%ld", x->scale);
    int r = asb_server_client(x, s, &bench, x->stdout_path);
    asb_argv_free(&bench);
    if (r != 0) return r;
    asb_argv verify = {0};
    kvclient_argv(&verify, "verify", asb_server_port(s));
    char *out = asb_xasprintf("%s/verify.txt", x->work_dir);
    r = asb_server_client(x, s, &verify, out);
    free(out);
    asb_argv_free(&verify);
    return r;
}

/* asb-kvclient bench's key=value lines. */
static void memcached_parse(asb_app_ctx *x, const char *out) {
    const char *keys[] = {"ops_per_s", "p50_ms", "p99_ms", "hits"};
    const char *names[] = {"rps", "p50_ms", "p99_ms", "get_hits"};
    for (int i = 0; i < 4; i++) {
        char label[32];
        snprintf(label, sizeof label, "%s=", keys[i]);
        asb_app_report(x, names[i], asb_app_number_after(out, label));
    }
    asb_app_set_ops(x, asb_app_number_after(out, "ops="));
}

static const asb_server_spec memcached_spec = {
    .program = "/usr/bin/memcached",
    .args = memcached_args,
    .probe = "version\r\n",
    .probe_reply = "VERSION ",
    .drive = memcached_drive,
};

static int memcached_start(asb_app_ctx *x, void **state) { return asb_server_start(x, &memcached_spec, state); }

static const asb_app_server memcached_server = {memcached_start, asb_server_ready, asb_server_drive,
                                                asb_server_stop};

static const asb_app memcached_app = {
    .name = "memcached",
    .package = "memcached",
    .programs = "/usr/bin/memcached",
    .stresses = "slab pages, hash table growth, per-connection and libevent buffers (items live in its own slabs)",
    .input = "asb-kvclient: SCALE requests, 90% get / 10% set, 10000 keys of 32 B-16 KiB, 4 conns x pipeline 16",
    .scale = "400000",
    .quick_scale = "20000",
    .scale_help = "requests",
    .stdout_varies = true, /* throughput figures */
    .outputs = "verify.txt",
    .parse = memcached_parse,
    .server = &memcached_server,
    .min_mallocs = 100, /* items come from its slabs: a run makes a few hundred malloc calls */
};
ASB_REGISTER_APP(memcached_app)
