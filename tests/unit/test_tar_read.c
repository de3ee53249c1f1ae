/* test_tar_read.c: lib/tar_read.c must read what the real writers make (GNU
 * tar in gnu, posix/pax and ustar formats, busybox tar) back to the truth of
 * the file system they archived: names (long ones too), types, sizes, modes,
 * owners, times (sub-second with pax), link targets and data; and it must
 * report cut-short and damaged archives. */
#include "lib/err.h"
#include "lib/tar_read.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/rescue-test-tar-read.XXXXXX";
static char longdir[160], longfile[320];

static void
make_tree(void)
{
	char p[1024];
	int fd;
	struct timespec ts[2] = { { 1700000000, 123456789 }, { 1700000000, 123456789 } };

	CHECK(mkdtemp(dir) != NULL);
	memset(longdir, 'd', 150);
	longdir[150] = 0;
	memset(longfile, 0, sizeof longfile);
	snprintf(longfile, sizeof longfile, "%s/%0120d", longdir, 7);
	snprintf(p, sizeof p, "mkdir -p '%s/t/%s'", dir, longdir);
	CHECK(system(p) == 0);
	snprintf(p, sizeof p, "%s/t/%s", dir, longfile);
	fd = open(p, O_WRONLY | O_CREAT, 0640);
	CHECK(fd >= 0 && write(fd, "long\n", 5) == 5);
	close(fd);
	snprintf(p, sizeof p, "%s/t/data", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	for (int i = 0; i < 1000; i++)
		CHECK(write(fd, "0123456789abcdef", 16) == 16);
	close(fd);
	chmod(p, 04751);
	utimensat(AT_FDCWD, p, ts, 0);
	snprintf(p, sizeof p, "cd '%s/t' && ln data hard && ln -s '%s' sym && mkfifo fifo && : >empty",
		 dir, longfile);
	CHECK(system(p) == 0);
	if (geteuid() == 0) {
		snprintf(p, sizeof p, "%s/t/data", dir);
		CHECK(lchown(p, 1234, 5678) == 0);
		chmod(p, 04751);
	}
}

struct fd_ctx {
	int fd;
};

static ssize_t
from_fd(void *ctx, void *buf, size_t n)
{
	ssize_t k = read(((struct fd_ctx *)ctx)->fd, buf, n > 700 ? 700 : n);
	return k;
}

/* Read archive a and check every entry against the tree; returns entries. */
static int
check_archive(const char *a, int subsec)
{
	struct fd_ctx c;
	struct tar_reader r;
	int rc, n = 0;
	char path[1024];

	c.fd = open(a, O_RDONLY);
	CHECK(c.fd >= 0);
	tar_reader_init(&r, from_fd, &c, a);
	while ((rc = tar_read_next(&r)) > 0) {
		struct stat st;
		const char *name = r.h.name;
		char type = r.h.type;

		while (name[0] == '.' && name[1] == '/')
			name += 2;
		snprintf(path, sizeof path, "%s/t/%s", dir, name);
		n++;
		if (lstat(path, &st) != 0) {
			fprintf(stderr, "%s: no such entry '%s'\n", a, name);
			CHECK(0);
			continue;
		}
		if (type == '1') {
			struct stat t;
			char tp[1024];
			snprintf(tp, sizeof tp, "%s/t/%s", dir, r.h.linkname);
			CHECK(lstat(tp, &t) == 0 && t.st_ino == st.st_ino);
			continue;
		}
		CHECK((type == '5') == !!S_ISDIR(st.st_mode));
		CHECK((type == '2') == !!S_ISLNK(st.st_mode));
		CHECK((type == '6') == !!S_ISFIFO(st.st_mode));
		CHECK(r.h.mode == (st.st_mode & 07777) || type == '2');
		if (type != '2' || geteuid() == 0)
			CHECK(r.h.uid == st.st_uid);
		CHECK(r.h.mtime == st.st_mtim.tv_sec || type == '2');
		if (subsec && type == '0')
			CHECK(r.h.mtime_nsec == (uint32_t)st.st_mtim.tv_nsec);
		if (type == '2') {
			char t[1024];
			ssize_t k = readlink(path, t, sizeof t - 1);
			CHECK(k > 0);
			t[k > 0 ? k : 0] = 0;
			CHECK_STR(r.h.linkname, t);
		}
		if (type == '0') {
			char buf[4096], want[4096];
			int f = open(path, O_RDONLY);
			uint64_t total = 0;
			ssize_t k;

			CHECK(r.h.size == (uint64_t)st.st_size);
			while ((k = tar_read_data(&r, buf, sizeof buf)) > 0) {
				CHECK(read(f, want, (size_t)k) == k && memcmp(buf, want, (size_t)k) == 0);
				total += (uint64_t)k;
			}
			CHECK(total == (uint64_t)st.st_size);
			close(f);
		}
	}
	CHECK(rc == 0);
	tar_reader_free(&r);
	close(c.fd);
	return n;
}

static void
test_gnu_formats(void)
{
	static const char *fmts[] = { "gnu", "posix", "ustar" };
	char a[1024];

	make_tree();
	for (size_t i = 0; i < 3; i++) {
		char cmd[2048];

		snprintf(a, sizeof a, "%s/%s.tar", dir, fmts[i]);
		/* ustar cannot hold the long names: only the rest */
		snprintf(cmd, sizeof cmd, "cd %s/t && tar cf %s --format=%s %s", dir, a, fmts[i],
			 i == 2 ? "data hard empty fifo" : ".");
		CHECK(system(cmd) == 0);
		CHECK(check_archive(a, i == 1) >= (i == 2 ? 4 : 7));
	}
}

static void
test_busybox(void)
{
	char a[1024], cmd[2048];

	snprintf(a, sizeof a, "%s/bb.tar", dir);
	snprintf(cmd, sizeof cmd, "cd %s/t && busybox tar cf %s .", dir, a);
	CHECK(system(cmd) == 0);
	CHECK(check_archive(a, 0) >= 7);
}

static void
test_damage(void)
{
	char a[1024], cmd[2048];
	struct fd_ctx c;
	struct tar_reader r;
	int rc;

	err_set_quiet(1);
	/* cut in the middle of a member's data */
	snprintf(cmd, sizeof cmd, "head -c 3000 %s/gnu.tar >%s/cut.tar", dir, dir);
	CHECK(system(cmd) == 0);
	snprintf(a, sizeof a, "%s/cut.tar", dir);
	c.fd = open(a, O_RDONLY);
	tar_reader_init(&r, from_fd, &c, a);
	err_reset();
	while ((rc = tar_read_next(&r)) > 0)
		while (tar_read_data(&r, cmd, sizeof cmd) > 0)
			;
	CHECK(rc == -1 && err_status() == RC_DATA);
	CHECK(tar_read_next(&r) == 0);
	tar_reader_free(&r);
	close(c.fd);
	/* a damaged header checksum */
	snprintf(cmd, sizeof cmd, "cp %s/gnu.tar %s/bad.tar && printf X | dd of=%s/bad.tar bs=1 seek=20 conv=notrunc 2>/dev/null",
		 dir, dir, dir);
	CHECK(system(cmd) == 0);
	snprintf(a, sizeof a, "%s/bad.tar", dir);
	c.fd = open(a, O_RDONLY);
	tar_reader_init(&r, from_fd, &c, a);
	err_reset();
	CHECK(tar_read_next(&r) == -1 && err_status() == RC_DATA);
	tar_reader_free(&r);
	close(c.fd);
	err_set_quiet(0);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
}

UNIT_MAIN(test_gnu_formats, test_busybox, test_damage)
