/*
 * trace_format.h — the asbench allocation-trace format (docs/trace-format.md):
 * constants, the record encoders the recorder (tools/recorder) writes with,
 * and the loader that reads, validates and summarises a trace for
 * `asbench trace`, the replay workload and the fuzz target.
 *
 * A trace is a 48-byte header followed by chunks.  A chunk holds records of
 * one recorded thread; chunks of different threads interleave in the file.
 * Every op carries a global sequence number (0 … ops-1, each exactly once);
 * a block's id is the sequence number of the op that allocated it, so a
 * free names its block by how far back that op was.
 */
#ifndef ASB_TRACE_FORMAT_H
#define ASB_TRACE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_MAGIC "ASBTRACE"
#define TRACE_VERSION 1u
#define TRACE_HEADER_BYTES 48u
/* The op count of a header the recorder never finalised. */
#define TRACE_OPS_UNFINISHED UINT64_MAX
/* Largest alignment a record may carry (2^TRACE_MAX_ALIGN_LOG2). */
#define TRACE_MAX_ALIGN_LOG2 30u
/* Most threads a trace may name (the replay starts one thread each). */
#define TRACE_MAX_THREADS 1024u
/* Most bytes a single record occupies: a type byte and three varints. */
#define TRACE_MAX_RECORD_BYTES 32u
/* Most bytes a chunk header occupies: three varints. */
#define TRACE_MAX_CHUNK_HEADER_BYTES 30u

typedef enum trace_op_type {
    TRACE_MALLOC = 1,
    TRACE_CALLOC = 2,
    TRACE_REALLOC = 3,
    TRACE_FREE = 4,
    TRACE_POSIX_MEMALIGN = 5,
    TRACE_ALIGNED_ALLOC = 6,
    TRACE_MEMALIGN = 7,
    TRACE_VALLOC = 8,
    TRACE_PVALLOC = 9,
    TRACE_NTYPES = 10
} trace_op_type;

/* Header counters the recorder fills in besides the op count. */
typedef struct trace_header {
    uint32_t version;
    uint32_t threads;
    uint64_t ops;
    uint64_t early_ops;     /* ops before the recorder was ready (not recorded) */
    uint64_t unseen_frees;  /* free/realloc of a block it never saw (free dropped,
                               realloc recorded as realloc(NULL, n)) */
    uint64_t failed_allocs; /* allocations that returned NULL (not recorded) */
} trace_header;

/* Little-endian header: magic[8] version:u32 threads:u32 ops:u64
 * early_ops:u64 unseen_frees:u64 failed_allocs:u64. */
static inline void trace_header_encode(const trace_header *h, unsigned char out[TRACE_HEADER_BYTES]) {
    const uint64_t words[5] = {(uint64_t)h->version | (uint64_t)h->threads << 32, h->ops,
                               h->early_ops, h->unseen_frees, h->failed_allocs};
    for (unsigned i = 0; i < 8; i++) out[i] = (unsigned char)TRACE_MAGIC[i];
    for (unsigned w = 0; w < 5; w++)
        for (unsigned b = 0; b < 8; b++) out[8 + 8 * w + b] = (unsigned char)(words[w] >> (8 * b));
}

/* LEB128: 7 bits a byte, low group first, high bit = more follows. */
static inline unsigned char *trace_put_varint(unsigned char *p, uint64_t v) {
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

/*
 * Record encoders.  `prev_seq` is the sequence number of the previous record
 * of the same chunk, or -1 (UINT64_MAX) for a chunk's first record; the record
 * stores seq - prev_seq - 1, which is 0 (one byte) while no other thread ran.
 */
static inline unsigned char *trace_put_head(unsigned char *p, trace_op_type type, uint64_t seq,
                                            uint64_t prev_seq) {
    *p++ = (unsigned char)type;
    return trace_put_varint(p, seq - prev_seq - 1);
}

/* malloc(size). */
static inline unsigned char *trace_put_malloc(unsigned char *p, uint64_t seq, uint64_t prev_seq,
                                              uint64_t size) {
    return trace_put_varint(trace_put_head(p, TRACE_MALLOC, seq, prev_seq), size);
}

/* calloc(nmemb, size). */
static inline unsigned char *trace_put_calloc(unsigned char *p, uint64_t seq, uint64_t prev_seq,
                                              uint64_t nmemb, uint64_t size) {
    return trace_put_varint(trace_put_varint(trace_put_head(p, TRACE_CALLOC, seq, prev_seq), nmemb), size);
}

/* The aligned allocators: type, log2 of the alignment, size. */
static inline unsigned char *trace_put_aligned(unsigned char *p, trace_op_type type, uint64_t seq,
                                               uint64_t prev_seq, unsigned align_log2, uint64_t size) {
    p = trace_put_head(p, type, seq, prev_seq);
    *p++ = (unsigned char)align_log2;
    return trace_put_varint(p, size);
}

/* free of the block allocated by op `block` (block < seq): stores seq - block - 1. */
static inline unsigned char *trace_put_free(unsigned char *p, uint64_t seq, uint64_t prev_seq,
                                            uint64_t block) {
    return trace_put_varint(trace_put_head(p, TRACE_FREE, seq, prev_seq), seq - block - 1);
}

/* realloc of `block` (or of NULL when has_block is false) to size: stores
 * 0 for NULL, else seq - block, then the size. */
static inline unsigned char *trace_put_realloc(unsigned char *p, uint64_t seq, uint64_t prev_seq,
                                               bool has_block, uint64_t block, uint64_t size) {
    p = trace_put_head(p, TRACE_REALLOC, seq, prev_seq);
    return trace_put_varint(trace_put_varint(p, has_block ? seq - block : 0), size);
}

/* A chunk header: thread index, record count, payload bytes. */
static inline unsigned char *trace_put_chunk_header(unsigned char *p, uint32_t thread, uint64_t records,
                                                    uint64_t payload_bytes) {
    return trace_put_varint(trace_put_varint(trace_put_varint(p, thread), records), payload_bytes);
}

/* ---- Loader ---------------------------------------------------------------- */

/* Block reference of an op that names none (malloc, realloc(NULL, n)). */
#define TRACE_NO_BLOCK UINT64_MAX

typedef struct trace_op {
    uint64_t seq;
    uint64_t block;   /* free/realloc: id (= seq of the allocating op), or TRACE_NO_BLOCK */
    uint64_t size;    /* bytes requested (calloc: nmemb × element size); free: the block's size */
    uint32_t nmemb;   /* calloc: element count */
    uint8_t type;     /* trace_op_type */
    uint8_t align_log2;
    bool cross_thread; /* free/realloc of a block another thread allocated */
    bool freed_elsewhere; /* allocating op whose block another thread frees */
} trace_op;

typedef struct trace_thread {
    trace_op *ops;
    uint64_t nops;     /* ops kept (below the cap) */
    uint64_t capacity; /* ops the array holds */
} trace_thread;

enum { TRACE_SIZE_BUCKETS = 49 }; /* bucket b: sizes in [2^(b-1), 2^b), bucket 0: size 0; sizes are ≤ 2^47 */

typedef struct trace_stats {
    uint64_t by_type[TRACE_NTYPES];
    uint64_t allocs;         /* ops that return a block (realloc to a block included) */
    uint64_t alloc_bytes;    /* bytes those ops requested */
    uint64_t size_hist[TRACE_SIZE_BUCKETS];
    uint64_t peak_live_bytes; /* most requested bytes live at once, in seq order */
    uint64_t peak_live_blocks;
    uint64_t peak_seq;       /* op after which the peak was reached */
    uint64_t final_live_bytes; /* still live at the end of the trace */
    uint64_t final_live_blocks;
    uint64_t cross_thread_frees; /* frees and reallocs of another thread's block */
} trace_stats;

typedef struct trace {
    trace_header header;
    trace_thread *threads; /* header.threads entries */
    trace_stats stats;
    uint64_t replay_ops;   /* ops kept (all, or those below the cap) */
    size_t metadata_bytes; /* memory the loaded form occupies */
} trace;

/* Parse `len` bytes (the uncompressed stream).  Keeps the ops with
 * seq < max_ops (0 = all) and computes stats over them.  Returns 0, or -1 with
 * a message in err that names the byte offset of the fault. */
int trace_parse(const unsigned char *data, size_t len, uint64_t max_ops, trace *out, char *err, size_t errlen);

/* Read a file (gzip-compressed or not) and parse it; err names the file. */
int trace_load(const char *path, uint64_t max_ops, trace *out, char *err, size_t errlen);

void trace_free(trace *t);

/* "malloc", "calloc", … ; "?" for an unknown type. */
const char *trace_op_name(unsigned type);

/* Every op but free returns a block (realloc(p, 0) that returned NULL is
 * recorded as a free). */
static inline bool trace_op_allocates(const trace_op *op) { return op->type != TRACE_FREE; }

#endif
