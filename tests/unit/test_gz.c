/* test_gz.c: lib/gz.c round trips, reads what gzip(1) writes, and reports
 * truncated or corrupt streams instead of returning short data as complete. */
#include "lib/err.h"
#include "lib/gz.h"
#include "lib/xio.h"
#include "unit.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/rescue-test-gz.XXXXXX";
static char path[300];
static uint8_t data[600000];

static const char *
at(const char *name)
{
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static void
write_gz(const char *name, const void *buf, size_t n)
{
	struct gz_writer g;
	int fd = open(at(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	CHECK(gz_writer_init(&g, fd, 6) == RC_OK);
	CHECK(gz_write(&g, buf, n) == 0);
	CHECK(gz_writer_finish(&g) == 0);
	close(fd);
}

/* Read a whole stream; returns bytes or -1 on error. */
static ssize_t
read_all(const char *name, int mode, uint8_t *out, size_t cap)
{
	struct gz_reader g;
	ssize_t total = 0, r;
	int fd = open(at(name), O_RDONLY);

	if (fd < 0 || gz_reader_init(&g, fd, name, mode) != RC_OK)
		return -1;
	while ((r = gz_read(&g, out + total, cap - (size_t)total > 7777 ? 7777 : cap - (size_t)total)) > 0)
		total += r;
	gz_reader_free(&g);
	close(fd);
	return r < 0 ? -1 : total;
}

static void
test_round_trip_and_gzip_agrees(void)
{
	static uint8_t back[sizeof data + 16];
	char cmd[400];

	write_gz("a.gz", data, sizeof data);
	CHECK(read_all("a.gz", GZ_GZIP, back, sizeof back) == (ssize_t)sizeof data);
	CHECK(memcmp(back, data, sizeof data) == 0);
	/* the real gzip accepts it, and we read what gzip writes */
	snprintf(cmd, sizeof cmd, "cd %s && gzip -t a.gz && gzip -dc a.gz > plain && gzip -9 -c plain > b.gz", dir);
	CHECK(system(cmd) == 0);
	CHECK(read_all("b.gz", GZ_GZIP, back, sizeof back) == (ssize_t)sizeof data);
	CHECK(memcmp(back, data, sizeof data) == 0);
	/* GZ_AUTO passes uncompressed input through */
	CHECK(read_all("plain", GZ_AUTO, back, sizeof back) == (ssize_t)sizeof data);
	CHECK(memcmp(back, data, sizeof data) == 0);
	CHECK(read_all("plain", GZ_GZIP, back, sizeof back) == -1);
}

static void
test_reproducible_bytes(void)
{
	char cmd[300];

	write_gz("r1.gz", data, 1000);
	write_gz("r2.gz", data, 1000);
	snprintf(cmd, sizeof cmd, "cmp -s %s/r1.gz %s/r2.gz", dir, dir);
	CHECK(system(cmd) == 0);
}

static void
test_multi_member(void)
{
	static uint8_t back[sizeof data + 16];
	char cmd[300];

	write_gz("m1.gz", data, 1000);
	write_gz("m2.gz", data + 1000, 2000);
	snprintf(cmd, sizeof cmd, "cd %s && cat m1.gz m2.gz > m.gz", dir);
	CHECK(system(cmd) == 0);
	CHECK(read_all("m.gz", GZ_GZIP, back, sizeof back) == 3000);
	CHECK(memcmp(back, data, 3000) == 0);
}

static void
test_truncated_and_corrupt_are_errors(void)
{
	static uint8_t back[sizeof data + 16];
	char cmd[400];

	write_gz("t.gz", data, sizeof data);
	/* every cut, even one that keeps all of the deflate data but not the trailer */
	snprintf(cmd, sizeof cmd, "cd %s && s=$(stat -c %%s t.gz) && head -c $((s - 4)) t.gz > t1.gz && head -c $((s / 2)) t.gz > t2.gz && head -c 20 t.gz > t3.gz", dir);
	CHECK(system(cmd) == 0);
	err_reset();
	CHECK(read_all("t1.gz", GZ_GZIP, back, sizeof back) == -1);
	CHECK(read_all("t2.gz", GZ_GZIP, back, sizeof back) == -1);
	CHECK(read_all("t3.gz", GZ_GZIP, back, sizeof back) == -1);
	CHECK(err_status() == RC_DATA);
	/* a flipped byte in the middle */
	snprintf(cmd, sizeof cmd, "cd %s && cp t.gz c.gz && printf '\\377' | dd of=c.gz bs=1 seek=5000 conv=notrunc 2>/dev/null", dir);
	CHECK(system(cmd) == 0);
	CHECK(read_all("c.gz", GZ_GZIP, back, sizeof back) == -1);
	/* trailing garbage */
	snprintf(cmd, sizeof cmd, "cd %s && cp m1.gz g.gz && echo junk >> g.gz", dir);
	CHECK(system(cmd) == 0);
	CHECK(read_all("g.gz", GZ_GZIP, back, sizeof back) == -1);
	err_reset();
}

static void
setup(void)
{
	uint32_t x = 12345;

	CHECK(mkdtemp(dir) != NULL);
	/* compressible but not trivial */
	for (size_t i = 0; i < sizeof data; i++) {
		x = x * 1103515245 + 12345;
		data[i] = (uint8_t)((x >> 16) % 17 + 'a');
	}
	err_set_quiet(1);
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

UNIT_MAIN_FIXTURE(setup, teardown, test_round_trip_and_gzip_agrees, test_reproducible_bytes,
	  test_multi_member, test_truncated_and_corrupt_are_errors)
