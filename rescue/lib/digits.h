/* digits.h: decimal digits read 8 at a time (SWAR) where 8 bytes are there to
 * read: the changelog's ids, times and arguments are most of a MooseFS
 * restore's parsing.  Little-endian machines (x86-64, arm64) only; elsewhere
 * byte by byte. */
#ifndef RESCUE_LIB_DIGITS_H
#define RESCUE_LIB_DIGITS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define DIGITS_SWAR 1
/* How many of the 8 bytes in v (read little-endian) lead as ASCII digits: a
 * digit's high nibble is 3, and stays 3 when 6 is added.  (A carry out of a
 * byte >= 0xFA only reaches the bytes after that non-digit.) */
static inline unsigned
digits_lead8(uint64_t v)
{
	const uint64_t hi = 0xF0F0F0F0F0F0F0F0ull, three = 0x3030303030303030ull;
	uint64_t bad = ((v & hi) ^ three) | (((v + 0x0606060606060606ull) & hi) ^ three);

	return bad ? (unsigned)__builtin_ctzll(bad) >> 3 : 8;
}

/* The value of the n (1..8) digits that lead in v: shifted to the top with
 * zero bytes (leading zeros) below, then pairs, quads and the eight combined
 * by multiplication. */
static inline uint64_t
digits_value8(uint64_t v, unsigned n)
{
	v <<= 8 * (8 - n);
	v = ((v & 0x0F0F0F0F0F0F0F0Full) * 2561) >> 8;
	v = ((v & 0x00FF00FF00FF00FFull) * 6553601) >> 16;
	return ((v & 0x0000FFFF0000FFFFull) * 42949672960001ull) >> 32;
}
#endif

static inline int
digits_is(char c)
{
	return c >= '0' && c <= '9';
}

/* The decimal digits at p (before end; NULL: p is NUL-terminated and read
 * byte by byte), at most 19 of them, which cannot overflow; *k: how many. */
static inline uint64_t
digits_dec19(const char *p, const char *end, int *k)
{
	static const uint64_t pow10[9] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000 };
	uint64_t x = 0;
	int n = 0;

#ifdef DIGITS_SWAR
	while (end && n <= 11 && end - (p + n) >= 8) {
		uint64_t v;
		unsigned d;

		memcpy(&v, p + n, 8);
		if (!(d = digits_lead8(v)))
			break;
		x = x * pow10[d] + digits_value8(v, d);
		n += (int)d;
		if (d < 8)
			break;
	}
	if (n && (p + n == end || !digits_is(p[n]))) {
		*k = n;
		return x;
	}
#else
	(void)pow10;
#endif
	while ((!end || p + n < end) && digits_is(p[n]) && n < 19)
		x = x * 10 + (uint64_t)(p[n++] - '0');
	*k = n;
	return x;
}

/* How many digits lead at p, before end */
static inline size_t
digits_count(const char *p, const char *end)
{
	size_t n = 0;

#ifdef DIGITS_SWAR
	while (end - (p + n) >= 8) {
		uint64_t v;
		unsigned d;

		memcpy(&v, p + n, 8);
		n += (d = digits_lead8(v));
		if (d < 8)
			return n;
	}
#endif
	while (p + n < end && digits_is(p[n]))
		n++;
	return n;
}

#endif
