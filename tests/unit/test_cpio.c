/* test_cpio.c: lib/cpio.c: the writer's bytes read back by the reader, the
 * padding and trailer layout the kernel expects, name safety, and errors
 * reported (not crashed on) for cut or damaged input. */
#include "lib/cpio.h"
#include "lib/err.h"
#include "unit.h"

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>

static uint8_t arch[8192];
static size_t arch_n, rd_off;

static int
to_mem(void *ctx, const void *buf, size_t n)
{
	(void)ctx;
	if (arch_n + n > sizeof arch)
		return -1;
	memcpy(arch + arch_n, buf, n);
	arch_n += n;
	return 0;
}

static ssize_t
from_mem(void *ctx, void *buf, size_t n)
{
	size_t lim = *(size_t *)ctx;

	if (n > lim - rd_off)
		n = lim - rd_off;
	memcpy(buf, arch + rd_off, n);
	rd_off += n;
	return (ssize_t)n;
}

static void
make_sample(void)
{
	struct cpio_writer w;
	struct cpio_entry d = { .name = "dir", .ino = 1, .mode = S_IFDIR | 0755, .nlink = 2 };
	struct cpio_entry f = { .name = "dir/f", .ino = 2, .mode = S_IFREG | 0644, .nlink = 1,
				.mtime = 1700000000, .filesize = 5 };
	struct cpio_entry l = { .name = "ln", .ino = 3, .mode = S_IFLNK | 0777, .nlink = 1,
				.filesize = 5 };

	arch_n = 0;
	cpio_writer_init(&w, to_mem, NULL);
	CHECK(cpio_write_header(&w, &d) == 0);
	CHECK(cpio_write_header(&w, &f) == 0);
	/* a header while data is pending is refused */
	errno = 0;
	CHECK(cpio_write_header(&w, &d) == -2 && errno == EINVAL);
	CHECK(cpio_write_data(&w, "hel", 3) == 0);
	CHECK(cpio_write_data(&w, "lo", 2) == 0);
	CHECK(cpio_write_header(&w, &l) == 0);
	CHECK(cpio_write_data(&w, "dir/f", 5) == 0);
	CHECK(cpio_finish(&w) == 0);
}

static void
test_roundtrip(void)
{
	struct cpio_reader r;
	struct cpio_entry e;
	char buf[16];
	size_t lim;

	make_sample();
	CHECK(arch_n % 512 == 0);
	CHECK(memcmp(arch, "07070100000001000041ED", 22) == 0);
	/* name "dir\0" ends at 110 + 4 = 114: padded to 116 */
	CHECK(memcmp(arch + 116, "070701", 6) == 0);
	lim = arch_n;
	rd_off = 0;
	cpio_reader_init(&r, from_mem, &lim, "mem");
	CHECK(cpio_next(&r, &e) == 1);
	CHECK_STR(e.name, "dir");
	CHECK(cpio_next(&r, &e) == 1);
	CHECK_STR(e.name, "dir/f");
	CHECK(e.mtime == 1700000000 && e.filesize == 5);
	CHECK(cpio_read_data(&r, buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0);
	CHECK(cpio_read_data(&r, buf, sizeof buf) == 0);
	/* the symlink's data is skipped when not read */
	CHECK(cpio_next(&r, &e) == 1);
	CHECK_STR(e.name, "ln");
	CHECK(S_ISLNK(e.mode));
	CHECK(cpio_next(&r, &e) == 0);
	cpio_reader_free(&r);
}

static void
test_truncated(void)
{
	struct cpio_reader r;
	struct cpio_entry e;
	size_t lim;
	int k;

	const uint8_t *t;

	make_sample();
	t = memmem(arch, arch_n, CPIO_TRAILER, sizeof CPIO_TRAILER);
	CHECK(t != NULL);
	err_set_quiet(1);
	/* up to the end of the trailer's name */
	for (lim = 0; t && lim < (size_t)(t - arch) + sizeof CPIO_TRAILER; lim++) {
		rd_off = 0;
		err_reset();
		cpio_reader_init(&r, from_mem, &lim, "mem");
		while ((k = cpio_next(&r, &e)) > 0)
			;
		/* every cut before the trailer is bad data, never a clean end */
		CHECK(k == -1 && err_status() == RC_DATA);
		cpio_reader_free(&r);
	}
	err_set_quiet(0);
	err_reset();
}

static void
test_name_safe(void)
{
	CHECK(cpio_name_safe("a"));
	CHECK(cpio_name_safe("a/b/c"));
	CHECK(cpio_name_safe("."));
	CHECK(cpio_name_safe("..a/b"));
	CHECK(!cpio_name_safe(""));
	CHECK(!cpio_name_safe("/etc"));
	CHECK(!cpio_name_safe(".."));
	CHECK(!cpio_name_safe("a/../b"));
	CHECK(!cpio_name_safe("a/.."));
	CHECK(!cpio_name_safe("a//b"));
	CHECK(!cpio_name_safe("a/"));
	CHECK(!cpio_name_safe("a\nb"));
}

UNIT_MAIN(test_roundtrip, test_truncated, test_name_safe)
