/*
 * uts_sha1.c — SHA-1 and the UTS splittable RNG (see uts_sha1.h).
 */
#include "uts_sha1.h"

#include <string.h>

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1_block(uts_sha1 *c, const unsigned char *p) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & cc) | (~b & d);
            k = 0x5A827999u;
        } else if (i < 40) {
            f = b ^ cc ^ d;
            k = 0x6ED9EBA1u;
        } else if (i < 60) {
            f = (b & cc) | (b & d) | (cc & d);
            k = 0x8F1BBCDCu;
        } else {
            f = b ^ cc ^ d;
            k = 0xCA62C1D6u;
        }
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d;
        d = cc;
        cc = rol(b, 30);
        b = a;
        a = t;
    }
    c->h[0] += a;
    c->h[1] += b;
    c->h[2] += cc;
    c->h[3] += d;
    c->h[4] += e;
}

void uts_sha1_init(uts_sha1 *c) {
    static const uint32_t iv[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    memcpy(c->h, iv, sizeof iv);
    c->length = 0;
    c->used = 0;
}

void uts_sha1_update(uts_sha1 *c, const void *data, size_t len) {
    const unsigned char *p = data;
    c->length += len;
    while (len > 0) {
        size_t take = 64 - c->used < len ? 64 - c->used : len;
        memcpy(c->block + c->used, p, take);
        c->used += take;
        p += take;
        len -= take;
        if (c->used == 64) {
            sha1_block(c, c->block);
            c->used = 0;
        }
    }
}

void uts_sha1_final(uts_sha1 *c, unsigned char digest[20]) {
    uint64_t bits = c->length * 8;
    unsigned char pad = 0x80;
    uts_sha1_update(c, &pad, 1);
    unsigned char zero = 0;
    while (c->used != 56) uts_sha1_update(c, &zero, 1);
    unsigned char len_be[8];
    for (int i = 0; i < 8; i++) len_be[i] = (unsigned char)(bits >> (56 - 8 * i));
    uts_sha1_update(c, len_be, 8);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) digest[4 * i + j] = (unsigned char)(c->h[i] >> (24 - 8 * j));
}

static void put_be32(unsigned char *p, int32_t v) {
    uint32_t u = (uint32_t)v;
    p[0] = (unsigned char)(u >> 24);
    p[1] = (unsigned char)(u >> 16);
    p[2] = (unsigned char)(u >> 8);
    p[3] = (unsigned char)u;
}

void uts_rng_root(uts_rng *r, int32_t seed) {
    unsigned char init[20] = {0};
    put_be32(init + 16, seed);
    uts_sha1 c;
    uts_sha1_init(&c);
    uts_sha1_update(&c, init, sizeof init);
    uts_sha1_final(&c, r->state);
}

void uts_rng_child(const uts_rng *parent, uts_rng *child, int32_t index) {
    unsigned char idx[4];
    put_be32(idx, index);
    uts_sha1 c;
    uts_sha1_init(&c);
    uts_sha1_update(&c, parent->state, sizeof parent->state);
    uts_sha1_update(&c, idx, sizeof idx);
    uts_sha1_final(&c, child->state);
}

int32_t uts_rng_value(const uts_rng *r) {
    uint32_t b = (uint32_t)r->state[16] << 24 | (uint32_t)r->state[17] << 16 | (uint32_t)r->state[18] << 8 | r->state[19];
    return (int32_t)(b & 0x7fffffffu);
}
