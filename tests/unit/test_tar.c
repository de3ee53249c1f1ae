/* test_tar.c: archives from lib/tar.c must read back identically with GNU tar
 * and busybox tar (the real readers), including long names and pax records. */
#include "lib/tar.h"
#include "unit.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/rescue-test-tar.XXXXXX";

static char *
run(const char *cmd)
{
	static char out[65536];
	size_t n = 0;
	FILE *p = popen(cmd, "r");

	out[0] = 0;
	if (!p)
		return out;
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = 0;
	pclose(p);
	return out;
}

static void
write_sample(const char *path)
{
	char longname[300];
	struct tar_writer w;
	struct tar_entry e;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	tar_writer_init(&w, tar_to_fd, &fd);
	memset(&e, 0, sizeof e);
	e.name = "d";
	e.type = TAR_DIR;
	e.mode = 0755;
	e.mtime = 1700000000;
	CHECK(tar_write_header(&w, &e) == 0);
	e.name = "d/file";
	e.type = TAR_REG;
	e.mode = 0640;
	e.uid = 1001;
	e.gid = 1002;
	CHECK(tar_write_mem(&w, &e, "hello\n", 6) == 0);
	e.name = "d/hard";
	e.type = TAR_LNK;
	e.linkname = "d/file";
	CHECK(tar_write_header(&w, &e) == 0);
	memset(longname, 'x', sizeof longname);
	memcpy(longname, "d/", 2);
	longname[250] = 0;
	e.name = longname;
	e.type = TAR_SYM;
	e.linkname = "file";
	e.uid = 3000000000u; /* beyond ustar's 7 octal digits */
	e.mtime_nsec = 5;
	CHECK(tar_write_header(&w, &e) == 0);
	CHECK(tar_finish(&w) == 0);
	CHECK(w.off % 512 == 0);
	close(fd);
}

static void
test_gnu_tar_reads_it(void)
{
	char path[256], cmd[512];
	const char *out;

	snprintf(path, sizeof path, "%s/a.tar", dir);
	write_sample(path);
	snprintf(cmd, sizeof cmd, "tar --numeric-owner -tvf %s 2>&1", path);
	out = run(cmd);
	CHECK(strstr(out, "drwxr-xr-x 0/0") != NULL);
	CHECK(strstr(out, "-rw-r----- 1001/1002") != NULL);
	CHECK(strstr(out, " 6 2023-11-14 22:13 d/file\n") != NULL);
	CHECK(strstr(out, "d/hard link to d/file") != NULL);
	CHECK(strstr(out, "3000000000/1002") != NULL);
	CHECK(strstr(out, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx -> file") != NULL);
	CHECK(strstr(out, "PaxHeader") == NULL);
	CHECK(strstr(out, "tar:") == NULL);
	snprintf(cmd, sizeof cmd, "cd %s && mkdir x && tar -xf a.tar -C x && cat x/d/file && stat -c %%h x/d/file", dir);
	CHECK_STR(run(cmd), "hello\n2\n");
}

static void
test_busybox_tar_reads_it(void)
{
	char path[256], cmd[512];

	snprintf(path, sizeof path, "%s/b.tar", dir);
	write_sample(path);
	snprintf(cmd, sizeof cmd, "cd %s && mkdir y && busybox tar -xf b.tar -C y 2>&1 && cat y/d/file && readlink y/d/x*", dir);
	CHECK_STR(run(cmd), "hello\nfile\n");
}

static void
test_same_entries_same_bytes(void)
{
	char a[256], b[256], cmd[600];

	snprintf(a, sizeof a, "%s/c1.tar", dir);
	snprintf(b, sizeof b, "%s/c2.tar", dir);
	write_sample(a);
	write_sample(b);
	snprintf(cmd, sizeof cmd, "cmp %s %s && echo same", a, b);
	CHECK_STR(run(cmd), "same\n");
}

static void
setup(void)
{
	CHECK(mkdtemp(dir) != NULL);
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

UNIT_MAIN_FIXTURE(setup, teardown, test_gnu_tar_reads_it, test_busybox_tar_reads_it,
	  test_same_entries_same_bytes)
