/*
 * uts_sha1.h — SHA-1 (FIPS 180-4) and, on top of it, the splittable random
 * number generator of the Unbalanced Tree Search benchmark: a node's state is
 * a 20-byte SHA-1 digest; child i's state is SHA-1(parent state ‖ i as 4
 * big-endian bytes); the root's is SHA-1(16 zero bytes ‖ seed as 4
 * big-endian bytes); a node's random number is the last 4 digest bytes,
 * big-endian, with the sign bit cleared.  Matching that exactly is what
 * makes the published node counts come out.
 */
#ifndef ASB_UTS_SHA1_H
#define ASB_UTS_SHA1_H

#include <stddef.h>
#include <stdint.h>

typedef struct uts_sha1 {
    uint32_t h[5];
    uint64_t length; /* bytes hashed so far */
    unsigned char block[64];
    size_t used;
} uts_sha1;

void uts_sha1_init(uts_sha1 *c);
void uts_sha1_update(uts_sha1 *c, const void *data, size_t len);
void uts_sha1_final(uts_sha1 *c, unsigned char digest[20]);

typedef struct uts_rng {
    unsigned char state[20];
} uts_rng;

void uts_rng_root(uts_rng *r, int32_t seed);
void uts_rng_child(const uts_rng *parent, uts_rng *child, int32_t index);
int32_t uts_rng_value(const uts_rng *r); /* in [0, 2^31) */

#endif
