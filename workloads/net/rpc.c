/*
 * rpc.c — `rpc`: a small request/response protocol with work per request,
 * so that the allocator and the scheduler both matter.  `conns` client
 * tasks each send `requests` requests, one outstanding at a time:
 *
 *   request  u32 body length, u32 id, body: `fields` words of 1..field_max
 *            letters separated by single spaces (random, from the seed)
 *   reply    u32 id, u32 number of words, u64 hash of the words
 *
 * The server task of the connection reads the body into a block it
 * allocates, parses it into words, each copied into a block of its own,
 * hashes them (FNV-1a of each word, folded in order), allocates the reply,
 * writes it and frees everything: fields + 3 allocations per request, of
 * mixed small sizes, freed on the task that made them.
 *
 * Verification: every reply carries the request's id, word count and the
 * hash the client computed while building it; no socket left open.
 * One op = one request.  Extra: lat_p50_ns … lat_max_ns, lat_mean_ns.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net_common.h"

enum { RPC_HEADER = 8, RPC_REPLY = 16, RPC_MAX_BODY = 1 << 20 };

static uint64_t fnv1a(const char *p, size_t n) {
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
    return h;
}

/* The request's hash: each word's FNV-1a folded in order. */
static uint64_t fold(uint64_t h, uint64_t word_hash) { return (h ^ word_hash) * 1099511628211ull; }
#define RPC_HASH_START 14695981039346656037ull

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void put_u64(uint8_t *p, uint64_t v) {
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}
static uint64_t get_u64(const uint8_t *p) { return get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }

typedef struct rpc_run rpc_run;
typedef struct rpc_client {
    rpc_run *run;
    int64_t index;
} rpc_client;

struct rpc_run {
    nw_bench b;
    int64_t requests, fields, field_max;
    uint64_t seed;
    rpc_client *clients;
};

/* Parse, allocate, hash, reply: one request of the server side.  Returns
 * false at the end of the stream or on an error (recorded). */
static bool rpc_serve_one(nw_server *sv, int fd) {
    uint8_t header[RPC_HEADER];
    long n = nw_read_full(sv->s, fd, header, sizeof header);
    if (n <= 0) {
        if (n < 0) nw_fail(sv->err, ASB_ERROR, "rpc server: read: %s", strerror((int)-n));
        return false;
    }
    uint32_t len = get_u32(header), id = get_u32(header + 4);
    if (len == 0 || len > RPC_MAX_BODY) {
        nw_fail(sv->err, ASB_VERIFY_FAILED, "rpc server: request %u has a body of %u bytes", id, len);
        return false;
    }
    char *body = malloc(len);
    if (!body) {
        nw_fail(sv->err, ASB_ERROR, "rpc server: out of memory");
        return false;
    }
    n = nw_read_full(sv->s, fd, body, len);
    bool ok = n == (long)len;
    if (!ok) nw_fail(sv->err, ASB_ERROR, "rpc server: request %u: %s", id, n < 0 ? strerror((int)-n) : "body cut short");
    uint32_t nwords = 1;
    for (uint32_t i = 0; ok && i < len; i++) nwords += body[i] == ' ';
    char **words = ok ? malloc(nwords * sizeof *words) : NULL;
    uint32_t parsed = 0;
    for (uint32_t start = 0, i = 0; words && i <= len; i++) {
        if (i < len && body[i] != ' ') continue;
        char *w = malloc(i - start + 1);
        if (!w) break;
        memcpy(w, body + start, i - start);
        w[i - start] = 0;
        words[parsed++] = w;
        start = i + 1;
    }
    uint64_t h = RPC_HASH_START;
    for (uint32_t i = 0; i < parsed; i++) h = fold(h, fnv1a(words[i], strlen(words[i])));
    uint8_t *reply = ok && parsed == nwords ? malloc(RPC_REPLY) : NULL;
    if (ok && !reply) nw_fail(sv->err, ASB_ERROR, "rpc server: out of memory");
    if (reply) {
        put_u32(reply, id);
        put_u32(reply + 4, parsed);
        put_u64(reply + 8, h);
        long w = sv->s->net_write(fd, reply, RPC_REPLY, 0);
        if (w < 0) nw_fail(sv->err, ASB_ERROR, "rpc server: write: %s", strerror((int)-w));
        ok = w >= 0;
    }
    for (uint32_t i = 0; i < parsed; i++) free(words[i]);
    free(words);
    free(body);
    free(reply);
    return reply && ok;
}

static void rpc_serve(nw_server *sv, int fd) {
    while (rpc_serve_one(sv, fd)) {
    }
}

/* Builds request `id` into buf (header and body); returns its length and
 * the hash the reply must carry. */
static size_t rpc_build(const rpc_run *r, asb_rng *rng, uint32_t id, uint8_t *buf, uint64_t *hash) {
    size_t len = 0;
    uint64_t h = RPC_HASH_START;
    for (int64_t f = 0; f < r->fields; f++) {
        if (f) buf[RPC_HEADER + len++] = ' ';
        size_t wlen = 1 + (size_t)asb_rng_below(rng, (uint64_t)r->field_max);
        char *w = (char *)buf + RPC_HEADER + len;
        for (size_t i = 0; i < wlen; i++) w[i] = (char)('a' + asb_rng_below(rng, 26));
        h = fold(h, fnv1a(w, wlen));
        len += wlen;
    }
    put_u32(buf, (uint32_t)len);
    put_u32(buf + 4, id);
    *hash = h;
    return RPC_HEADER + len;
}

static void rpc_client_task(void *arg) {
    rpc_client *c = arg;
    rpc_run *r = c->run;
    uint8_t *req = malloc(RPC_HEADER + (size_t)(r->fields * (r->field_max + 1)));
    asb_rng rng;
    asb_rng_seed(&rng, r->seed + (uint64_t)c->index);
    int fd = req ? nw_dial(r->b.s, &r->b.addr) : -ENOMEM;
    if (fd < 0) nw_fail(&r->b.err, ASB_ERROR, "rpc: connection %lld: connect: %s", (long long)c->index, strerror(-fd));
    for (int64_t seq = 0; fd >= 0 && seq < r->requests; seq++) {
        uint64_t want;
        size_t len = rpc_build(r, &rng, (uint32_t)seq, req, &want);
        uint8_t reply[RPC_REPLY];
        uint64_t t0 = asb_now_ns();
        long w = r->b.s->net_write(fd, req, len, 0);
        long n = w < 0 ? w : nw_read_full(r->b.s, fd, reply, sizeof reply);
        if (n <= 0) {
            nw_fail(&r->b.err, ASB_ERROR, "rpc: connection %lld: %s: %s", (long long)c->index, w < 0 ? "write" : "read",
                    n ? strerror((int)-n) : "the server closed the connection");
            break;
        }
        asb_hist_record(r->b.hists[c->index], asb_now_ns() - t0);
        if (get_u32(reply) != (uint32_t)seq || get_u32(reply + 4) != (uint32_t)r->fields || get_u64(reply + 8) != want) {
            nw_fail(&r->b.err, ASB_VERIFY_FAILED,
                    "rpc: connection %lld request %lld: reply (id %u, %u words, hash %016llx) differs from the "
                    "request (%u words, hash %016llx)",
                    (long long)c->index, (long long)seq, get_u32(reply), get_u32(reply + 4),
                    (unsigned long long)get_u64(reply + 8), (unsigned)r->fields, (unsigned long long)want);
            break;
        }
    }
    if (fd >= 0) r->b.s->net_close(fd);
    free(req);
    r->b.s->wg_done(r->b.clients_wg);
}

static void rpc_root(void *arg) {
    rpc_run *r = arg;
    nw_bench *b = &r->b;
    nw_bench_serve(b);
    b->s->wg_add(b->clients_wg, (int)b->conns);
    for (int64_t i = 0; i < b->conns; i++) sw_spawn(b->s, rpc_client_task, &r->clients[i]);
    b->s->wg_wait(b->clients_wg);
    nw_bench_unserve(b);
}

static int rpc_run_workload(asb_ctx *ctx) {
    int64_t conns = asb_param_i(ctx, "conns");
    rpc_run r = {.requests = asb_param_i(ctx, "requests"), .fields = asb_param_i(ctx, "fields"),
                 .field_max = asb_param_i(ctx, "field_max"), .seed = asb_seed(ctx)};
    if (conns < 1 || conns > 4096 || r.requests < 0 || r.fields < 1 || r.fields > 4096 || r.field_max < 1 ||
        r.field_max > 256)
        return asb_fail(ctx, ASB_USAGE, "rpc: need 1 <= conns <= 4096, requests >= 0, 1 <= fields <= 4096, "
                                        "1 <= field_max <= 256");
    int status = nw_bench_open(ctx, &r.b, "rpc", conns, rpc_serve);
    if (status != ASB_OK) return status;
    r.clients = calloc((size_t)conns, sizeof *r.clients);
    if (!r.clients) return nw_bench_close(&r.b, asb_fail(ctx, ASB_ERROR, "rpc: out of memory"), NULL);
    for (int64_t i = 0; i < conns; i++) r.clients[i] = (rpc_client){&r, i};
    status = nw_bench_close(&r.b, sw_run(ctx, asb_threads(ctx), rpc_root, &r), NULL);
    free(r.clients);
    return status;
}

static const asb_param_def rpc_params[] = {
    {"conns", "16", "4", "concurrent client connections"},
    {"requests", "10000", "200", "requests per connection, one outstanding at a time"},
    {"fields", "16", NULL, "words per request (each a separate allocation on the server)"},
    {"field_max", "24", NULL, "longest word, letters (lengths are uniform in 1..field_max)"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload rpc = {
    .name = "rpc",
    .kind = "sched",
    .stresses = "request/response over loopback TCP with parse, allocate, hash, reply per request",
    .params = rpc_params,
    .needs = NW_NEEDS,
    .work_param = "requests",
    .run = rpc_run_workload,
};
ASB_REGISTER_WORKLOAD(rpc)
