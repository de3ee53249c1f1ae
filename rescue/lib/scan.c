/* scan.c: the field cursor of scan.h. */
#include "lib/scan.h"

#include <string.h>

#include "lib/hex.h"

void
scan_lit(struct scan *s, const char *lit)
{
	size_t n = strlen(lit);

	if (s->bad || strncmp(s->p, lit, n) != 0)
		s->bad = 1;
	else
		s->p += n;
}

void
scan_blanks(struct scan *s)
{
	if (s->bad || (*s->p != ' ' && *s->p != '\t')) {
		s->bad = 1;
		return;
	}
	while (*s->p == ' ' || *s->p == '\t')
		s->p++;
}

char
scan_char(struct scan *s)
{
	if (s->bad || !*s->p) {
		s->bad = 1;
		return 0;
	}
	return *s->p++;
}

static int
digit_value(char c, int base)
{
	if (c >= '0' && c <= '9')
		return c - '0' < base ? c - '0' : -1;
	if (base != 16)
		return -1;
	int v = hex_digit(c, 0);

	return v >= 0 ? v : hex_digit(c, 1);
}

uint64_t
scan_num(struct scan *s, int base, unsigned maxdigits, uint64_t max)
{
	uint64_t v = 0;
	unsigned n = 0;
	int d;

	if (s->bad)
		return 0;
	for (; (d = digit_value(s->p[n], base)) >= 0; n++) {
		if (n == maxdigits || (uint64_t)d > max || v > (max - (uint64_t)d) / (uint64_t)base) {
			s->bad = 1;
			return 0;
		}
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (!n)
		s->bad = 1;
	s->p += n;
	return s->bad ? 0 : v;
}

int64_t
scan_snum(struct scan *s, int64_t max)
{
	int neg = !s->bad && *s->p == '-';

	s->p += neg;
	uint64_t v = scan_num(s, 10, 20, (uint64_t)max);

	return neg ? -(int64_t)v : (int64_t)v;
}

void
scan_until(struct scan *s, char end, char *buf, size_t n)
{
	size_t k = 0;

	if (s->bad)
		return;
	while (s->p[k] && s->p[k] != end && !(end == ' ' && strchr("\t\n\r", s->p[k])))
		k++;
	if (!k || (buf && k >= n)) {
		s->bad = 1;
		return;
	}
	if (buf) {
		memcpy(buf, s->p, k);
		buf[k] = 0;
	}
	s->p += k;
}

void
scan_end(struct scan *s)
{
	if (!s->bad && *s->p)
		s->bad = 1;
}
