/* test_human.c: human_size picks the largest binary unit up to EiB, whole
 * bytes below 1 KiB, the given number of decimals above. */
#include "lib/human.h"
#include "unit.h"

static void
test_bytes(void)
{
	char b[32];

	CHECK_STR(human_size(b, sizeof b, 0, 2), "0 B");
	CHECK_STR(human_size(b, sizeof b, 1023, 1), "1023 B");
}

static void
test_units(void)
{
	char b[32];
	double k = 1024;

	CHECK_STR(human_size(b, sizeof b, 1024, 1), "1.0 KiB");
	CHECK_STR(human_size(b, sizeof b, 1536, 2), "1.50 KiB");
	CHECK_STR(human_size(b, sizeof b, 5 * k * k, 1), "5.0 MiB");
	CHECK_STR(human_size(b, sizeof b, 3 * k * k * k, 2), "3.00 GiB");
	CHECK_STR(human_size(b, sizeof b, k * k * k * k, 0), "1 TiB");
	CHECK_STR(human_size(b, sizeof b, k * k * k * k * k, 1), "1.0 PiB");
	CHECK_STR(human_size(b, sizeof b, 2 * k * k * k * k * k * k, 1), "2.0 EiB");
	CHECK_STR(human_size(b, sizeof b, 18446744073709551615.0, 2), "16.00 EiB");
}

static void
test_truncates(void)
{
	char b[4];

	CHECK_STR(human_size(b, sizeof b, 1536, 1), "1.5");
}

UNIT_MAIN(test_bytes, test_units, test_truncates)
