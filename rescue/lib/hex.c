/* hex.c: see hex.h. */
#include "lib/hex.h"

char *
hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = 0;
	return out;
}

int
hex_digit(char c, int upper)
{
	char a = upper ? 'A' : 'a';

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= a && c <= a + 5)
		return c - a + 10;
	return -1;
}
