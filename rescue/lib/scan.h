/* scan.h: read the fields of a line this program (or the kernel) wrote.
 *
 * A cursor: each call reads one item at s->p and moves past it; the first
 * mismatch sets s->bad, and every later call then does nothing, so a caller
 * reads all its fields and checks s->bad once.  Numbers are digits only (no
 * sign, no blanks before them) and must fit; separators are matched exactly.
 * This is what sscanf did for these lines, stricter, and without musl's
 * scanf and float scanner (10 KiB of out/rescue; issue 13). */
#ifndef RESCUE_LIB_SCAN_H
#define RESCUE_LIB_SCAN_H

#include <stddef.h>
#include <stdint.h>

struct scan {
	const char *p;
	int bad;
};

/* the literal lit, byte for byte */
void scan_lit(struct scan *s, const char *lit);
/* one or more spaces or tabs */
void scan_blanks(struct scan *s);
/* any one byte but the end */
char scan_char(struct scan *s);
/* 1 to maxdigits digits in base 8, 10 or 16 (a-f or A-F), at most max */
uint64_t scan_num(struct scan *s, int base, unsigned maxdigits, uint64_t max);
/* scan_num(s, 10, 20, max), with an optional '-' before it (then at most -max) */
int64_t scan_snum(struct scan *s, int64_t max);
/* the bytes up to (not including) the next `end` (when end is ' ': the next
 * space, tab, CR or newline) or the end of the text, copied into buf (n bytes with the NUL; buf may be
 * NULL to skip them): at least one, and they must fit */
void scan_until(struct scan *s, char end, char *buf, size_t n);
/* the end of the text */
void scan_end(struct scan *s);

#endif
