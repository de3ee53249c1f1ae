/* sha256.h: SHA-256 (FIPS 180-4). */
#ifndef RESCUE_SHA256_H
#define RESCUE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct sha256 {
	uint32_t h[8];
	uint64_t len;   /* bytes hashed so far */
	uint8_t buf[64];
	unsigned fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);
/* One call: digest of a buffer. */
void sha256_buf(const void *data, size_t n, uint8_t out[SHA256_LEN]);
/* Whole blocks through the CPU's SHA-256 instructions when it has them (the
 * default, 1), or through the C code only (0): for the tests of both paths. */
void sha256_accel(int on);
/* Lower-case hex, 64 chars + NUL. */
void sha256_hex(const uint8_t d[SHA256_LEN], char hex[2 * SHA256_LEN + 1]);

#endif
