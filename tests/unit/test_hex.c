/* test_hex.c: hex_encode writes lowercase digits and a NUL; hex_digit
 * accepts only the case its format uses. */
#include "lib/hex.h"
#include "unit.h"

static void
test_encode(void)
{
	static const uint8_t b[] = { 0x00, 0x01, 0x9f, 0xa0, 0xff };
	char out[2 * sizeof b + 1];

	memset(out, 'x', sizeof out);
	CHECK(hex_encode(b, sizeof b, out) == out);
	CHECK_STR(out, "00019fa0ff");
	CHECK_STR(hex_encode(b, 0, out), "");
}

static void
test_digit(void)
{
	static const char all[] = "0123456789abcdef";

	for (int i = 0; i < 16; i++) {
		CHECK(hex_digit(all[i], 0) == i);
		CHECK(hex_digit((char)(all[i] >= 'a' ? all[i] - 32 : all[i]), 1) == i);
	}
	CHECK(hex_digit('A', 0) == -1);
	CHECK(hex_digit('a', 1) == -1);
	CHECK(hex_digit('g', 0) == -1);
	CHECK(hex_digit('G', 1) == -1);
	CHECK(hex_digit('/', 0) == -1);
	CHECK(hex_digit(':', 1) == -1);
	CHECK(hex_digit('\0', 0) == -1);
}

UNIT_MAIN(test_encode, test_digit)
