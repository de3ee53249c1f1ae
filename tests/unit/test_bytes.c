/* test_bytes.c: big- and little-endian get/put against hand-written bytes,
 * and get(put(v)) == v at the edges. */
#include "lib/bytes.h"
#include "unit.h"

static const uint8_t seq[8] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x88 };

static void
test_get(void)
{
	CHECK(get_be16(seq) == 0x0102);
	CHECK(get_be32(seq) == 0x01020304u);
	CHECK(get_be64(seq) == 0x0102030405060788ull);
	CHECK(get_le32(seq) == 0x04030201u);
	CHECK(get_le64(seq) == 0x8807060504030201ull);
}

static void
test_put(void)
{
	uint8_t b[8];
	static const uint8_t be[8] = { 0x88, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };

	put_be16(b, 0x0102);
	CHECK(memcmp(b, seq, 2) == 0);
	put_be32(b, 0x01020304u);
	CHECK(memcmp(b, seq, 4) == 0);
	put_be64(b, 0x0102030405060788ull);
	CHECK(memcmp(b, seq, 8) == 0);
	put_le32(b, 0x04030201u);
	CHECK(memcmp(b, seq, 4) == 0);
	put_le64(b, 0x8807060504030201ull);
	CHECK(memcmp(b, seq, 8) == 0);
	put_be64(b, 0x0102030405060788ull);
	put_le64(b, get_be64(b));
	CHECK(memcmp(b, be, 8) == 0);
}

static void
test_round_trip(void)
{
	static const uint64_t v[] = { 0, 1, 0xff, 0x100, 0x7fffffffffffffffull, UINT64_MAX };
	uint8_t b[8];

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		put_be64(b, v[i]);
		CHECK(get_be64(b) == v[i]);
		put_le64(b, v[i]);
		CHECK(get_le64(b) == v[i]);
		put_be32(b, (uint32_t)v[i]);
		CHECK(get_be32(b) == (uint32_t)v[i]);
		put_le32(b, (uint32_t)v[i]);
		CHECK(get_le32(b) == (uint32_t)v[i]);
		put_be16(b, (uint16_t)v[i]);
		CHECK(get_be16(b) == (uint16_t)v[i]);
	}
}

UNIT_MAIN(test_get, test_put, test_round_trip)
