/* test_scan.c: the field cursor reads what its callers write, and the first
 * mismatch (a sign, a blank, an extra digit, a number too big, a missing
 * separator) marks the whole line bad. */
#include "lib/scan.h"
#include "unit.h"

#include <stdint.h>

static void
test_fields(void)
{
	struct scan s = { "n b 1234 18446744073709551615 1 40755 0 -86400 7 abc-def\n", 0 };
	char boot[8];

	CHECK(scan_char(&s) == 'n');
	scan_lit(&s, " ");
	CHECK(scan_char(&s) == 'b');
	scan_lit(&s, " ");
	CHECK(scan_num(&s, 10, 19, INT64_MAX) == 1234);
	scan_lit(&s, " ");
	CHECK(scan_num(&s, 10, 20, UINT64_MAX) == UINT64_MAX);
	scan_lit(&s, " ");
	CHECK(scan_num(&s, 10, 1, 1) == 1);
	scan_lit(&s, " ");
	CHECK(scan_num(&s, 8, 11, UINT32_MAX) == 040755);
	scan_lit(&s, " ");
	CHECK(scan_num(&s, 10, 20, UINT64_MAX) == 0);
	scan_lit(&s, " ");
	CHECK(scan_snum(&s, INT64_MAX) == -86400);
	scan_lit(&s, " ");
	CHECK(scan_snum(&s, INT64_MAX) == 7);
	scan_lit(&s, " ");
	scan_until(&s, ' ', boot, sizeof boot);
	CHECK_STR(boot, "abc-def");
	scan_lit(&s, "\n");
	scan_end(&s);
	CHECK(!s.bad);
}

/* /proc/locks: blanks of any width, hex device numbers */
static void
test_blanks_hex(void)
{
	struct scan s = { "12: FLOCK  ADVISORY\tWRITE 99 fd:0A:77", 0 };
	char type[8];

	CHECK(scan_num(&s, 10, 20, UINT64_MAX) == 12);
	scan_lit(&s, ":");
	scan_blanks(&s);
	scan_until(&s, ' ', type, sizeof type);
	CHECK_STR(type, "FLOCK");
	scan_blanks(&s);
	scan_until(&s, ' ', NULL, 0);
	scan_blanks(&s);
	scan_until(&s, ' ', NULL, 0);
	scan_blanks(&s);
	CHECK(scan_num(&s, 10, 19, INT64_MAX) == 99);
	scan_blanks(&s);
	CHECK(scan_num(&s, 16, 8, UINT32_MAX) == 0xfd);
	scan_lit(&s, ":");
	CHECK(scan_num(&s, 16, 8, UINT32_MAX) == 0x0a);
	scan_lit(&s, ":");
	CHECK(scan_num(&s, 10, 20, UINT64_MAX) == 77);
	scan_end(&s);
	CHECK(!s.bad);
}

static int
bad_num(const char *t, int base, unsigned digits, uint64_t max)
{
	struct scan s = { t, 0 };

	scan_num(&s, base, digits, max);
	scan_end(&s);
	return s.bad;
}

static void
test_bad_numbers(void)
{
	CHECK(!bad_num("4294967295", 10, 10, UINT32_MAX));
	CHECK(bad_num("4294967296", 10, 10, UINT32_MAX));       /* too big */
	CHECK(bad_num("18446744073709551616", 10, 20, UINT64_MAX));
	CHECK(bad_num("123456789", 16, 8, UINT32_MAX));         /* too many digits */
	CHECK(bad_num("", 10, 20, UINT64_MAX));                 /* none */
	CHECK(bad_num(" 1", 10, 20, UINT64_MAX));               /* a blank first */
	CHECK(bad_num("+1", 10, 20, UINT64_MAX));
	CHECK(bad_num("-1", 10, 20, UINT64_MAX));               /* scan_num has no sign */
	CHECK(bad_num("8", 8, 11, UINT32_MAX));                 /* not octal */
	CHECK(bad_num("1x", 10, 20, UINT64_MAX));               /* trailing byte */
	CHECK(bad_num("2", 10, 1, 1));
	CHECK(!bad_num("fF", 16, 2, 255));
}

/* after the first mismatch nothing is read and nothing moves */
static void
test_sticky(void)
{
	struct scan s = { "size 12", 0 };
	char buf[4] = "x";

	scan_lit(&s, "sise ");
	CHECK(s.bad);
	CHECK(scan_num(&s, 10, 20, UINT64_MAX) == 0);
	CHECK(scan_char(&s) == 0);
	scan_until(&s, ' ', buf, sizeof buf);
	CHECK_STR(buf, "x");
	CHECK_STR(s.p, "size 12");

	struct scan t = { "toolong", 0 };

	scan_until(&t, ' ', buf, sizeof buf);              /* does not fit */
	CHECK(t.bad);
	CHECK_STR(buf, "x");
	struct scan u = { "-", 0 };

	scan_snum(&u, INT64_MAX);                           /* a sign alone */
	CHECK(u.bad);
}

UNIT_MAIN(test_fields, test_blanks_hex, test_bad_numbers, test_sticky)
