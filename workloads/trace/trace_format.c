/*
 * trace_format.c — the trace loader: reads a trace file (gzip or plain),
 * checks every byte of it, splits the records into per-thread op arrays in
 * sequence order, checks that the ops form a consistent history (each
 * sequence number once, every free names a live block), and computes the
 * statistics `asbench trace stats` prints and the replay reports.
 *
 * Every rejection names the byte offset (in the uncompressed stream) of the
 * fault; nothing the input says is trusted before it is checked, since this
 * code is fuzzed (tests/fuzz/trace).
 *
 * The loaded trace's arrays (and the file buffer) are mapped directly rather
 * than taken from malloc: the replay runs in a process whose malloc is the
 * allocator under test, and its heap should then hold only the replayed
 * blocks.  The fuzz build defines TRACE_ARRAYS_IN_HEAP so that
 * AddressSanitizer sees the arrays' exact bounds.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifdef ASB_HAVE_ZLIB
#include <zlib.h>
#endif

#include "trace_format.h"

/* Sizes beyond this cannot have been allocated on a 48-bit address space. */
#define TRACE_MAX_SIZE (1ull << 47)
/* The smallest record (type, seq delta, one varint) is 3 bytes. */
#define TRACE_MIN_RECORD_BYTES 3u

static const char *const op_names[TRACE_NTYPES] = {
    [TRACE_MALLOC] = "malloc",
    [TRACE_CALLOC] = "calloc",
    [TRACE_REALLOC] = "realloc",
    [TRACE_FREE] = "free",
    [TRACE_POSIX_MEMALIGN] = "posix_memalign",
    [TRACE_ALIGNED_ALLOC] = "aligned_alloc",
    [TRACE_MEMALIGN] = "memalign",
    [TRACE_VALLOC] = "valloc",
    [TRACE_PVALLOC] = "pvalloc",
};

const char *trace_op_name(unsigned type) {
    return type < TRACE_NTYPES && op_names[type] ? op_names[type] : "?";
}

#ifdef TRACE_ARRAYS_IN_HEAP
static void *array_alloc(size_t bytes) { return calloc(1, bytes ? bytes : 1); }
static void array_free(void *p, size_t bytes) {
    (void)bytes;
    free(p);
}
#else
/* Zeroed; NULL on failure. */
static void *array_alloc(size_t bytes) {
    void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}
static void array_free(void *p, size_t bytes) {
    if (p) munmap(p, bytes ? bytes : 1);
}
#endif

typedef struct reader {
    const unsigned char *data;
    size_t pos, end; /* end: limit of the current chunk or of the file */
    char *err;
    size_t errlen;
} reader;

__attribute__((format(printf, 3, 4))) static int fail_at(reader *r, size_t offset, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < r->errlen) snprintf(r->err + n, r->errlen - (size_t)n, " at byte %zu", offset);
    return -1;
}

/* Reads a LEB128 varint of at most 10 bytes inside [pos, end). */
static int get_varint(reader *r, uint64_t *out, const char *what) {
    uint64_t v = 0;
    size_t start = r->pos;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->pos >= r->end) return fail_at(r, start, "truncated %s", what);
        unsigned char b = r->data[r->pos++];
        if (shift == 63 && b > 1) return fail_at(r, start, "%s overflows 64 bits", what);
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return fail_at(r, start, "%s overflows 64 bits", what);
}

static uint64_t get_le64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static int parse_header(reader *r, trace_header *h) {
    if (r->end < TRACE_HEADER_BYTES)
        return fail_at(r, r->end, "truncated header (%u bytes needed, %zu present)", TRACE_HEADER_BYTES, r->end);
    if (memcmp(r->data, TRACE_MAGIC, 8) != 0)
        return fail_at(r, 0, "not an asbench trace (bad magic)");
    uint64_t w0 = get_le64(r->data + 8);
    h->version = (uint32_t)w0;
    h->threads = (uint32_t)(w0 >> 32);
    h->ops = get_le64(r->data + 16);
    h->early_ops = get_le64(r->data + 24);
    h->unseen_frees = get_le64(r->data + 32);
    h->failed_allocs = get_le64(r->data + 40);
    if (h->version != TRACE_VERSION)
        return fail_at(r, 8, "unsupported trace version %u (this build reads version %u)", h->version, TRACE_VERSION);
    if (h->ops == TRACE_OPS_UNFINISHED)
        return fail_at(r, 16, "unfinished trace (the recorded program ended without exit(), e.g. killed or _exit)");
    if (h->threads > TRACE_MAX_THREADS)
        return fail_at(r, 12, "thread count %u exceeds the limit of %u", h->threads, TRACE_MAX_THREADS);
    if (h->ops > (r->end - TRACE_HEADER_BYTES) / TRACE_MIN_RECORD_BYTES)
        return fail_at(r, 16, "op count %llu is more than %zu bytes of records can hold",
                       (unsigned long long)h->ops, r->end - TRACE_HEADER_BYTES);
    if (h->ops > 0 && h->threads == 0) return fail_at(r, 12, "%llu ops but no threads", (unsigned long long)h->ops);
    r->pos = TRACE_HEADER_BYTES;
    return 0;
}

typedef struct chunk {
    size_t offset; /* of the chunk header */
    uint64_t thread, records, payload;
} chunk;

/* Reads a chunk header at r->pos and checks it against the file; leaves
 * r->pos at the payload. */
static int parse_chunk_header(reader *r, const trace_header *h, chunk *c) {
    c->offset = r->pos;
    if (get_varint(r, &c->thread, "chunk header") || get_varint(r, &c->records, "chunk header") ||
        get_varint(r, &c->payload, "chunk header"))
        return -1;
    if (c->thread >= h->threads)
        return fail_at(r, c->offset, "chunk of thread %llu, but the header names %u threads",
                       (unsigned long long)c->thread, h->threads);
    if (c->payload > r->end - r->pos)
        return fail_at(r, c->offset, "truncated chunk (%llu payload bytes, %zu left)",
                       (unsigned long long)c->payload, r->end - r->pos);
    if (c->records == 0 || c->records > c->payload / TRACE_MIN_RECORD_BYTES)
        return fail_at(r, c->offset, "chunk claims %llu records in %llu bytes", (unsigned long long)c->records,
                       (unsigned long long)c->payload);
    return 0;
}

/* Where each sequence number lives while the history is checked. */
typedef struct seq_slot {
    trace_op *op;
    size_t offset; /* of its record */
    uint32_t thread;
    bool live; /* allocated block not yet freed */
} seq_slot;

static int parse_record(reader *r, uint64_t *prev_seq, uint64_t nops, trace_op *op) {
    size_t at = r->pos;
    if (r->pos >= r->end) return fail_at(r, at, "truncated record");
    unsigned type = r->data[r->pos++];
    if (type == 0 || type >= TRACE_NTYPES) return fail_at(r, at, "unknown op type %u", type);
    uint64_t delta, a = 0, b = 0;
    if (get_varint(r, &delta, "record")) return -1;
    if (delta >= nops - (*prev_seq + 1)) /* prev_seq + 1 ≤ nops holds by induction */
        return fail_at(r, at, "sequence number beyond the header's op count %llu", (unsigned long long)nops);
    *op = (trace_op){.seq = *prev_seq + 1 + delta, .block = TRACE_NO_BLOCK, .type = (uint8_t)type};
    *prev_seq = op->seq;
    switch (type) {
    case TRACE_MALLOC:
        if (get_varint(r, &op->size, "record")) return -1;
        break;
    case TRACE_CALLOC:
        if (get_varint(r, &a, "record") || get_varint(r, &b, "record")) return -1;
        if (a > UINT32_MAX || (a && b > TRACE_MAX_SIZE / a))
            return fail_at(r, at, "calloc(%llu, %llu) is not a size this format holds", (unsigned long long)a,
                           (unsigned long long)b);
        op->nmemb = (uint32_t)a;
        op->size = a * b;
        break;
    case TRACE_FREE:
        if (get_varint(r, &a, "record")) return -1;
        if (a >= op->seq) return fail_at(r, at, "free of a block before the first op");
        op->block = op->seq - a - 1;
        break;
    case TRACE_REALLOC:
        if (get_varint(r, &a, "record") || get_varint(r, &op->size, "record")) return -1;
        if (a > op->seq) return fail_at(r, at, "realloc of a block before the first op");
        if (a) op->block = op->seq - a;
        break;
    default: /* the aligned allocators */
        if (r->pos >= r->end) return fail_at(r, at, "truncated record");
        op->align_log2 = r->data[r->pos++];
        if (op->align_log2 > TRACE_MAX_ALIGN_LOG2)
            return fail_at(r, at, "alignment 2^%u exceeds 2^%u", op->align_log2, TRACE_MAX_ALIGN_LOG2);
        if (get_varint(r, &op->size, "record")) return -1;
    }
    if (op->size > TRACE_MAX_SIZE)
        return fail_at(r, at, "size %llu exceeds 2^47", (unsigned long long)op->size);
    return 0;
}

static unsigned size_bucket(uint64_t size) {
    unsigned b = 0;
    while (size && b < TRACE_SIZE_BUCKETS - 1) {
        size >>= 1;
        b++;
    }
    return b;
}

/* Walks the ops in sequence order: every op present, every freed block live
 * and allocated by an earlier op; statistics over the ops below the cap. */
static int check_history(reader *r, trace *t, seq_slot *slots, uint64_t cap) {
    trace_stats *s = &t->stats;
    uint64_t live_bytes = 0, live_blocks = 0;
    for (uint64_t seq = 0; seq < t->header.ops; seq++) {
        seq_slot *slot = &slots[seq];
        if (!slot->op) return fail_at(r, 16, "op %llu of the header's %llu is missing from the chunks",
                                      (unsigned long long)seq, (unsigned long long)t->header.ops);
        trace_op *op = slot->op;
        bool counted = seq < cap;
        if (op->block != TRACE_NO_BLOCK) {
            seq_slot *owner = &slots[op->block];
            if (!owner->live)
                return fail_at(r, slot->offset, "op %llu (%s) names block %llu, which is not live",
                               (unsigned long long)seq, trace_op_name(op->type), (unsigned long long)op->block);
            owner->live = false;
            op->cross_thread = owner->thread != slot->thread;
            owner->op->freed_elsewhere |= op->cross_thread;
            if (op->type == TRACE_FREE) op->size = owner->op->size;
            if (counted) {
                live_bytes -= owner->op->size;
                live_blocks--;
                s->cross_thread_frees += op->cross_thread;
            }
        }
        if (trace_op_allocates(op)) {
            slot->live = true;
            if (counted) {
                live_bytes += op->size;
                live_blocks++;
                s->allocs++;
                s->alloc_bytes += op->size;
                s->size_hist[size_bucket(op->size)]++;
            }
        }
        if (!counted) continue;
        s->by_type[op->type]++;
        if (live_bytes > s->peak_live_bytes) {
            s->peak_live_bytes = live_bytes;
            s->peak_seq = seq;
        }
        if (live_blocks > s->peak_live_blocks) s->peak_live_blocks = live_blocks;
    }
    s->final_live_bytes = live_bytes;
    s->final_live_blocks = live_blocks;
    return 0;
}

int trace_parse(const unsigned char *data, size_t len, uint64_t max_ops, trace *t, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    reader r = {.data = data, .end = len, .err = err, .errlen = errlen};
    if (parse_header(&r, &t->header)) return -1;
    const trace_header *h = &t->header;

    /* Pass 1: chunk headers only, to size each thread's array exactly. */
    size_t per_thread_bytes = h->threads * sizeof(uint64_t);
    uint64_t *per_thread = array_alloc(per_thread_bytes);
    if (!per_thread) return fail_at(&r, 0, "out of memory");
    seq_slot *slots = NULL;
    size_t slots_bytes = h->ops * sizeof *slots;
    uint64_t total = 0;
    while (r.pos < len) {
        chunk c;
        if (parse_chunk_header(&r, h, &c)) goto fail;
        total += c.records; /* each ≤ payload/3, so no overflow */
        if (total > h->ops) {
            fail_at(&r, c.offset, "chunks hold more ops than the header's %llu", (unsigned long long)h->ops);
            goto fail;
        }
        per_thread[c.thread] += c.records;
        r.pos += c.payload;
    }
    if (total != h->ops) {
        fail_at(&r, 16, "header says %llu ops but the chunks hold %llu", (unsigned long long)h->ops,
                (unsigned long long)total);
        goto fail;
    }

    t->threads = array_alloc(h->threads * sizeof *t->threads);
    slots = array_alloc(slots_bytes);
    if (!t->threads || !slots) {
        fail_at(&r, 0, "out of memory for %llu ops", (unsigned long long)h->ops);
        goto fail;
    }
    t->metadata_bytes = h->threads * sizeof *t->threads;
    for (uint32_t i = 0; i < h->threads; i++) {
        t->threads[i].capacity = per_thread[i];
        t->threads[i].ops = array_alloc(per_thread[i] * sizeof(trace_op));
        if (!t->threads[i].ops) {
            fail_at(&r, 0, "out of memory for %llu ops", (unsigned long long)per_thread[i]);
            goto fail;
        }
        t->metadata_bytes += per_thread[i] * sizeof(trace_op);
    }

    /* Pass 2: decode the records. */
    r.pos = TRACE_HEADER_BYTES;
    while (r.pos < len) {
        chunk c;
        parse_chunk_header(&r, h, &c); /* checked in pass 1 */
        r.end = r.pos + c.payload;
        trace_thread *th = &t->threads[c.thread];
        uint64_t prev_seq = UINT64_MAX;
        for (uint64_t i = 0; i < c.records; i++) {
            size_t at = r.pos;
            trace_op *op = &th->ops[th->nops];
            if (parse_record(&r, &prev_seq, h->ops, op)) goto fail;
            if (th->nops && op->seq <= th->ops[th->nops - 1].seq) {
                fail_at(&r, at, "sequence number %llu of thread %llu goes backwards", (unsigned long long)op->seq,
                        (unsigned long long)c.thread);
                goto fail;
            }
            if (slots[op->seq].op) {
                fail_at(&r, at, "sequence number %llu appears twice (first at byte %zu)",
                        (unsigned long long)op->seq, slots[op->seq].offset);
                goto fail;
            }
            slots[op->seq] = (seq_slot){.op = op, .offset = at, .thread = (uint32_t)c.thread};
            th->nops++;
        }
        if (r.pos != r.end) {
            fail_at(&r, r.pos, "%zu bytes left over in the chunk at byte %zu", r.end - r.pos, c.offset);
            goto fail;
        }
        r.end = len;
    }

    uint64_t cap = max_ops && max_ops < h->ops ? max_ops : h->ops;
    if (check_history(&r, t, slots, cap)) goto fail;
    /* Keep only the ops below the cap: each thread's array is in seq order. */
    for (uint32_t i = 0; i < h->threads; i++)
        while (t->threads[i].nops && t->threads[i].ops[t->threads[i].nops - 1].seq >= cap) t->threads[i].nops--;
    t->replay_ops = cap;
    array_free(slots, slots_bytes);
    array_free(per_thread, per_thread_bytes);
    return 0;

fail:
    array_free(slots, slots_bytes);
    array_free(per_thread, per_thread_bytes);
    trace_free(t);
    return -1;
}

void trace_free(trace *t) {
    if (t->threads) {
        for (uint32_t i = 0; i < t->header.threads; i++)
            array_free(t->threads[i].ops, t->threads[i].capacity * sizeof(trace_op));
        array_free(t->threads, t->header.threads * sizeof *t->threads);
    }
    t->threads = NULL;
}

/* The file as a stream of (uncompressed) bytes: gzread also reads plain
 * files as they are. */
#ifdef ASB_HAVE_ZLIB
typedef gzFile source;
static source source_open(const char *path) { return gzopen(path, "rb"); }
static void source_close(source f) { gzclose(f); }
/* Bytes read, 0 at the end, -1 on error with a message in err. */
static long source_read(source f, unsigned char *buf, size_t want, char *err, size_t errlen) {
    int got = gzread(f, buf, (unsigned)(want > (1u << 30) ? 1u << 30 : want));
    int code;
    const char *msg = gzerror(f, &code);
    if (got < 0 || (got == 0 && code != Z_OK)) {
        /* zlib prefixes its message with the path, which the caller adds */
        const char *colon = code == Z_ERRNO ? NULL : strstr(msg, ": ");
        snprintf(err, errlen, "broken gzip data (%s)",
                 code == Z_ERRNO ? strerror(errno) : colon ? colon + 2 : msg);
        return -1;
    }
    return got;
}
#else
typedef FILE *source;
static source source_open(const char *path) { return fopen(path, "rb"); }
static void source_close(source f) { fclose(f); }
static long source_read(source f, unsigned char *buf, size_t want, char *err, size_t errlen) {
    size_t got = fread(buf, 1, want, f);
    if (got == 0 && ferror(f)) {
        snprintf(err, errlen, "read error (%s)", strerror(errno));
        return -1;
    }
    if (got >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
        snprintf(err, errlen, "gzip-compressed trace (this build has no zlib: install zlib1g-dev)");
        return -1;
    }
    return (long)got;
}
#endif

/* Reads the whole (uncompressed) stream into a mapped buffer of *cap bytes. */
static int read_file(const char *path, unsigned char **out, size_t *len, size_t *cap, char *err, size_t errlen) {
    char msg[300];
    errno = 0;
    source f = source_open(path);
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, errno ? strerror(errno) : "cannot open");
        return -1;
    }
    size_t n = 0, size = 1 << 16;
    unsigned char *buf = array_alloc(size);
    for (long got = 1; buf && got > 0;) {
        if (n == size) { /* grow: map twice the size and move the bytes */
            unsigned char *bigger = array_alloc(size * 2);
            if (bigger) memcpy(bigger, buf, n);
            array_free(buf, size);
            buf = bigger;
            size *= 2;
            if (!buf) break;
        }
        if ((got = source_read(f, buf + n, size - n, msg, sizeof msg)) < 0) {
            snprintf(err, errlen, "%s: %s at uncompressed byte %zu", path, msg, n);
            array_free(buf, size);
            source_close(f);
            return -1;
        }
        n += (size_t)got;
    }
    source_close(f);
    if (!buf) return snprintf(err, errlen, "%s: out of memory", path), -1;
    *out = buf;
    *len = n;
    *cap = size;
    return 0;
}

int trace_load(const char *path, uint64_t max_ops, trace *t, char *err, size_t errlen) {
    unsigned char *data;
    size_t len, cap;
    memset(t, 0, sizeof *t);
    if (read_file(path, &data, &len, &cap, err, errlen)) return -1;
    char msg[400];
    int rc = trace_parse(data, len, max_ops, t, msg, sizeof msg);
    array_free(data, cap);
    if (rc) snprintf(err, errlen, "%s: %s", path, msg);
    return rc;
}
