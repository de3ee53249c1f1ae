/* test_sha256.c: SHA-256 against the NIST FIPS 180-4 examples and the long
 * messages of the NIST SHAVS set. */
#include "lib/sha256.h"
#include "unit.h"

#include <stdlib.h>
#include <unistd.h>

static void
hex_of(const void *data, size_t n, char hex[65])
{
	uint8_t d[32];

	sha256_buf(data, n, d);
	sha256_hex(d, hex);
}

static void
test_nist_short(void)
{
	char h[65];

	hex_of("", 0, h);
	CHECK_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_of("abc", 3, h);
	CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, h);
	CHECK_STR(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	hex_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	       "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112, h);
	CHECK_STR(h, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void
test_million_a(void)
{
	struct sha256 s;
	uint8_t d[32], chunk[1000];
	char h[65];

	memset(chunk, 'a', sizeof chunk);
	sha256_init(&s);
	for (int i = 0; i < 1000; i++)
		sha256_update(&s, chunk, sizeof chunk);
	sha256_final(&s, d);
	sha256_hex(d, h);
	CHECK_STR(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Feeding the same data in uneven pieces gives the same digest. */
static void
test_split_updates(void)
{
	static uint8_t data[5000];
	uint8_t a[32], b[32];
	struct sha256 s;
	size_t off = 0, step = 1;

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	sha256_buf(data, sizeof data, a);
	sha256_init(&s);
	while (off < sizeof data) {
		size_t n = step < sizeof data - off ? step : sizeof data - off;
		sha256_update(&s, data + off, n);
		off += n;
		step = step * 3 % 131 + 1;
	}
	sha256_final(&s, b);
	CHECK(memcmp(a, b, 32) == 0);
}

/* Against the real sha256sum on data of every length around block edges. */
static void
test_agrees_with_sha256sum(void)
{
	static uint8_t data[70000];
	char path[] = "/tmp/rescue-test-sha.XXXXXX", cmd[200], want[100], got[65];
	uint8_t d[32];

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	for (size_t len = 0; len < sizeof data; len = len * 2 + 55) {
		int fd = mkstemp(path);
		FILE *p;

		CHECK(fd >= 0 && write(fd, data, len) == (ssize_t)len);
		close(fd);
		snprintf(cmd, sizeof cmd, "sha256sum %s", path);
		p = popen(cmd, "r");
		CHECK(p && fgets(want, sizeof want, p));
		if (p)
			pclose(p);
		want[64] = 0;
		sha256_buf(data, len, d);
		sha256_hex(d, got);
		CHECK_STR(got, want);
		unlink(path);
		memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	}
}

/* The C code alone (sha256_accel(0)) gives the NIST digests too: on a CPU
 * with SHA instructions it otherwise only sees the buffered blocks. */
static void
test_c_code_only(void)
{
	sha256_accel(0);
	test_nist_short();
	test_million_a();
	sha256_accel(1);
}

/* The CPU's SHA instructions (where there are any) and the C code agree on
 * every length around block edges and on runs of many blocks. */
static void
test_paths_agree(void)
{
	static uint8_t data[70000];
	uint8_t a[32], b[32];
	int bad = 0;

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 2246822519u >> 11);
	for (size_t len = 0; len < sizeof data; len += len < 300 ? 1 : 997) {
		sha256_accel(1);
		sha256_buf(data, len, a);
		sha256_accel(0);
		sha256_buf(data, len, b);
		bad += memcmp(a, b, 32) != 0;
	}
	sha256_accel(1);
	CHECK(bad == 0);
}

UNIT_MAIN(test_nist_short, test_million_a, test_split_updates,
	  test_agrees_with_sha256sum, test_c_code_only, test_paths_agree)
