/*
 * test_uts_sha1.c — the SHA-1 under UTS (workloads/sched/uts_sha1.c)
 * against FIPS 180 test vectors, including inputs that straddle the padding
 * boundary and a multi-block message fed in uneven pieces, and the UTS RNG's
 * layout: the root state is SHA-1 of 16 zero bytes and the big-endian seed,
 * a child's is SHA-1 of the parent state and the big-endian index, and the
 * node value is the digest's last four bytes without the sign bit.
 */
#include <stdio.h>
#include <string.h>

#include "../../workloads/sched/uts_sha1.h"

static int failures;

static void hex(const unsigned char d[20], char out[41]) {
    for (int i = 0; i < 20; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

static void expect_digest(const char *what, const unsigned char d[20], const char *want) {
    char got[41];
    hex(d, got);
    if (strcmp(got, want) != 0) {
        printf("FAIL %s: %s, expected %s\n", what, got, want);
        failures++;
    }
}

static void check_text(const char *text, const char *want) {
    uts_sha1 c;
    unsigned char d[20];
    uts_sha1_init(&c);
    uts_sha1_update(&c, text, strlen(text));
    uts_sha1_final(&c, d);
    expect_digest(text, d, want);
}

int main(void) {
    check_text("", "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    check_text("abc", "a9993e364706816aba3e25717850c26c9cd0d89d");
    check_text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
               "84983e441c3bd26ebaae4aa1f95129e5e54670f1");

    /* One million 'a', fed in pieces of 1..997 bytes. */
    static char block[1000];
    memset(block, 'a', sizeof block);
    uts_sha1 c;
    uts_sha1_init(&c);
    size_t left = 1000000, piece = 1;
    while (left) {
        size_t n = piece < left ? piece : left;
        uts_sha1_update(&c, block, n);
        left -= n;
        piece = piece % 997 + 1;
    }
    unsigned char d[20];
    uts_sha1_final(&c, d);
    expect_digest("a x 1e6", d, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");

    /* The UTS RNG is SHA-1 over the documented byte layouts. */
    uts_rng root, child;
    uts_rng_root(&root, 19);
    unsigned char seed_input[20] = {0};
    seed_input[19] = 19;
    uts_sha1_init(&c);
    uts_sha1_update(&c, seed_input, sizeof seed_input);
    uts_sha1_final(&c, d);
    if (memcmp(d, root.state, 20) != 0) {
        printf("FAIL root state is not SHA-1(16 zero bytes, seed)\n");
        failures++;
    }
    uts_rng_child(&root, &child, 258);
    unsigned char child_input[24];
    memcpy(child_input, root.state, 20);
    child_input[20] = 0, child_input[21] = 0, child_input[22] = 1, child_input[23] = 2;
    uts_sha1_init(&c);
    uts_sha1_update(&c, child_input, sizeof child_input);
    uts_sha1_final(&c, d);
    if (memcmp(d, child.state, 20) != 0) {
        printf("FAIL child state is not SHA-1(parent, index big-endian)\n");
        failures++;
    }
    int32_t v = uts_rng_value(&child);
    int32_t want = (int32_t)(((uint32_t)d[16] << 24 | (uint32_t)d[17] << 16 | (uint32_t)d[18] << 8 | d[19]) & 0x7fffffffu);
    if (v != want || v < 0) {
        printf("FAIL node value %d, expected %d\n", v, want);
        failures++;
    }
    printf("%s\n", failures ? "FAILED" : "uts sha1: ok");
    return failures ? 1 : 0;
}
