/* test_opt.c: opt_parse_size and opt_parse_uint (rescue/lib/opt.c). */
#include "lib/opt.h"
#include "unit.h"

#include <stdint.h>

static int
size_is(const char *s, uint64_t want)
{
	uint64_t v = 12345;

	return opt_parse_size(s, &v) == 0 && v == want;
}

static int
size_bad(const char *s)
{
	uint64_t v = 12345;

	return opt_parse_size(s, &v) == -1 && v == 12345;
}

static void
test_size_plain(void)
{
	CHECK(size_is("0", 0));
	CHECK(size_is("1", 1));
	CHECK(size_is("4096", 4096));
	CHECK(size_is("18446744073709551615", UINT64_MAX));
}

static void
test_size_suffixes(void)
{
	CHECK(size_is("1K", 1024));
	CHECK(size_is("1k", 1024));
	CHECK(size_is("4M", 4ULL << 20));
	CHECK(size_is("3G", 3ULL << 30));
	CHECK(size_is("2T", 2ULL << 40));
	CHECK(size_is("1P", 1ULL << 50));
	CHECK(size_is("15E", 15ULL << 60));
	CHECK(size_is("1KB", 1024));
	CHECK(size_is("1KiB", 1024));
	CHECK(size_is("2GiB", 2ULL << 30));
}

static void
test_size_fractions(void)
{
	CHECK(size_is("1.5G", 3ULL << 29));
	CHECK(size_is("0.5K", 512));
	CHECK(size_is("2.25M", (2ULL << 20) + (1ULL << 18)));
	/* a fraction of a byte is rounded down */
	CHECK(size_is("0.001K", 1));
	CHECK(size_bad("1.5"));
	CHECK(size_bad("1."));
	CHECK(size_bad("1.K"));
	CHECK(size_bad(".5K"));
	CHECK(size_bad("1.0000000001G"));
}

static void
test_size_bad(void)
{
	CHECK(size_bad(""));
	CHECK(size_bad("K"));
	CHECK(size_bad("-1"));
	CHECK(size_bad("+1"));
	CHECK(size_bad(" 1"));
	CHECK(size_bad("1 "));
	CHECK(size_bad("1Q"));
	CHECK(size_bad("1KK"));
	CHECK(size_bad("1Kib"));
	CHECK(size_bad("12Q"));
	CHECK(size_bad("16E"));
	CHECK(size_bad("18446744073709551616"));
	CHECK(size_bad("99999999999999999999999"));
	CHECK(size_bad("17179869184G"));
	CHECK(opt_parse_size(NULL, &(uint64_t){ 0 }) == -1);
}

static void
test_uint(void)
{
	uint64_t v = 0;

	CHECK(opt_parse_uint("7", 1, 64, &v) == 0 && v == 7);
	CHECK(opt_parse_uint("64", 1, 64, &v) == 0 && v == 64);
	CHECK(opt_parse_uint("65", 1, 64, &v) == -1);
	CHECK(opt_parse_uint("0", 1, 64, &v) == -1);
	CHECK(opt_parse_uint("1K", 1, 64000, &v) == -1);
	CHECK(opt_parse_uint("", 0, 9, &v) == -1);
	CHECK(opt_parse_uint("-3", 0, 9, &v) == -1);
	CHECK(opt_parse_uint("18446744073709551615", 0, UINT64_MAX, &v) == 0 && v == UINT64_MAX);
	CHECK(opt_parse_uint("18446744073709551616", 0, UINT64_MAX, &v) == -1);
	/* the archive readers' limit (their digit loop stopped above it) */
	CHECK(opt_parse_uint("18446744073709551519", 0, OPT_DEC_MAX, &v) == 0 &&
	      v == 18446744073709551519u);
	CHECK(opt_parse_uint("18446744073709551520", 0, OPT_DEC_MAX, &v) == -1);
	CHECK(opt_parse_uint("0000000000000000000000042", 0, OPT_DEC_MAX, &v) == 0 && v == 42);
}

UNIT_MAIN(test_size_plain, test_size_suffixes, test_size_fractions, test_size_bad, test_uint)
