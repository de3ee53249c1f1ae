/* sha256.c: SHA-256 per FIPS 180-4, written from the specification.
 * Tested against the NIST vectors and sha256sum (tests/unit/test_sha256.c).
 * On x86-64 CPUs with the SHA extensions (Intel SDM vol. 2, SHA256RNDS2,
 * SHA256MSG1/2) and on aarch64 CPUs with the ARMv8 SHA-2 instructions (Arm
 * ARM, SHA256H/H2/SU0/SU1; HWCAP_SHA2) whole blocks go through those
 * instructions, ~10x faster; elsewhere, and for the buffered blocks, the C code. */
#include "lib/sha256.h"
#include "lib/bytes.h"
#include "lib/hex.h"

#include <stdio.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHANI 1
#else
#define HAVE_SHANI 0
#endif
#if defined(__aarch64__)
#include <arm_neon.h>
#include <sys/auxv.h>
#define HAVE_ARMSHA 1
#else
#define HAVE_ARMSHA 0
#endif

/* 0 when a test asks for the C code only (sha256_accel) */
static int accel_on = 1;

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh;

	for (int i = 0; i < 16; i++)
		w[i] = get_be32(p + 4 * i);
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0], b = h[1], c = h[2], d = h[3];
	e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t S1 = ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25);
		uint32_t ch = (e & f) ^ (~e & g);
		uint32_t t1 = hh + S1 + ch + K[i] + w[i];
		uint32_t S0 = ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22);
		uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
		uint32_t t2 = S0 + maj;

		hh = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
	h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

#if HAVE_SHANI
/* h[] is kept as ABEF/CDGH pairs inside the loop, as SHA256RNDS2 wants. */
__attribute__((target("sha,sse4.1,ssse3"))) static void
blocks_ext(uint32_t h[8], const uint8_t *p, size_t n)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i dcba = _mm_loadu_si128((const __m128i *)&h[0]);
	__m128i hgfe = _mm_loadu_si128((const __m128i *)&h[4]);
	__m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
	__m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
	__m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
	__m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);

	for (; n; n--, p += 64) {
		__m128i save0 = abef, save1 = cdgh, m[4];

		for (int g = 0; g < 16; g++) {
			__m128i w, k;

			if (g < 4)
				w = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)),
						     bswap);
			else
				w = _mm_sha256msg2_epu32(
					_mm_add_epi32(_mm_sha256msg1_epu32(m[g & 3], m[(g + 1) & 3]),
						      _mm_alignr_epi8(m[(g + 3) & 3], m[(g + 2) & 3], 4)),
					m[(g + 3) & 3]);
			m[g & 3] = w;
			k = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&K[4 * g]));
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, k);
			abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(k, 0x0E));
		}
		abef = _mm_add_epi32(abef, save0);
		cdgh = _mm_add_epi32(cdgh, save1);
	}
	{
		__m128i feba = _mm_shuffle_epi32(abef, 0x1B);
		__m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);

		_mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(feba, dchg, 0xF0));
		_mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(dchg, feba, 8));
	}
}

static int
have_ext(void)
{
	static int cached = -1;
	unsigned a, b, c, d;

	if (cached < 0) {
		cached = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_1) && (c & bit_SSSE3) &&
			 __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
	}
	return cached;
}
#elif HAVE_ARMSHA
/* State as ABCD/EFGH; each round group takes W+K for four rounds, and the
 * message schedule keeps the last 16 words in m[]. */
__attribute__((target("+crypto"))) static void
blocks_ext(uint32_t h[8], const uint8_t *p, size_t n)
{
	uint32x4_t abcd = vld1q_u32(&h[0]), efgh = vld1q_u32(&h[4]);

	for (; n; n--, p += 64) {
		uint32x4_t save0 = abcd, save1 = efgh, m[4];

		for (int g = 0; g < 4; g++)
			m[g] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 16 * g)));
		for (int g = 0; g < 16; g++) {
			uint32x4_t k = vaddq_u32(m[g & 3], vld1q_u32(&K[4 * g])), t = abcd;

			abcd = vsha256hq_u32(abcd, efgh, k);
			efgh = vsha256h2q_u32(efgh, t, k);
			if (g < 12)
				m[g & 3] = vsha256su1q_u32(vsha256su0q_u32(m[g & 3], m[(g + 1) & 3]),
							   m[(g + 2) & 3], m[(g + 3) & 3]);
		}
		abcd = vaddq_u32(abcd, save0);
		efgh = vaddq_u32(efgh, save1);
	}
	vst1q_u32(&h[0], abcd);
	vst1q_u32(&h[4], efgh);
}

static int
have_ext(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = (getauxval(AT_HWCAP) & HWCAP_SHA2) != 0;
	return cached;
}
#else
static void
blocks_ext(uint32_t h[8], const uint8_t *p, size_t n)
{
	(void)h, (void)p, (void)n;
}

static int
have_ext(void)
{
	return 0;
}
#endif

void
sha256_accel(int on)
{
	accel_on = on;
}

static void
blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
	if (n && accel_on && have_ext()) {
		blocks_ext(h, p, n);
		return;
	}
	for (; n; n--, p += 64)
		block(h, p);
}

void
sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, iv, sizeof iv);
	s->len = 0;
	s->fill = 0;
}

void
sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const uint8_t *p = data;

	s->len += n;
	if (s->fill) {
		size_t take = 64 - s->fill < n ? 64 - s->fill : n;

		memcpy(s->buf + s->fill, p, take);
		s->fill += (unsigned)take;
		p += take;
		n -= take;
		if (s->fill < 64)
			return;
		block(s->h, s->buf);
		s->fill = 0;
	}
	blocks(s->h, p, n / 64);
	p += n / 64 * 64;
	n %= 64;
	memcpy(s->buf, p, n);
	s->fill = (unsigned)n;
}

void
sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN])
{
	uint64_t bits = s->len * 8;

	s->buf[s->fill++] = 0x80;
	if (s->fill > 56) {
		memset(s->buf + s->fill, 0, 64 - s->fill);
		block(s->h, s->buf);
		s->fill = 0;
	}
	memset(s->buf + s->fill, 0, 56 - s->fill);
	put_be64(s->buf + 56, bits);
	block(s->h, s->buf);
	for (int i = 0; i < 8; i++)
		put_be32(out + 4 * i, s->h[i]);
}

void
sha256_buf(const void *data, size_t n, uint8_t out[SHA256_LEN])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, data, n);
	sha256_final(&s, out);
}

void
sha256_hex(const uint8_t d[SHA256_LEN], char hex[2 * SHA256_LEN + 1])
{
	hex_encode(d, SHA256_LEN, hex);
}
