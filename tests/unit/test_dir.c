/* test_dir.c: dir_names lists a directory sorted, without "." and "..",
 * NULL-terminated, leaving fd usable; NULL for what is not a readable
 * directory.  dir_open does not follow a symlink.  dir_walk visits depth
 * first in name order, reads links without following them, skips and stops
 * as its callback says, and keeps to its depth limit. */
#include "lib/dir.h"
#include "lib/err.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char top[] = "/tmp/test_dir.XXXXXX";
static int topfd = -1;

static void
setup(void)
{
	CHECK(mkdtemp(top) != NULL);
	topfd = open(top, O_RDONLY | O_DIRECTORY);
	CHECK(topfd >= 0);
	CHECK(mkdirat(topfd, "d", 0700) == 0);
	CHECK(mkdirat(topfd, "empty", 0700) == 0);
	CHECK(symlinkat("d", topfd, "link") == 0);
	for (const char *const *n = (const char *const[]){ "b", "a", "C", ".x", NULL }; *n; n++) {
		int fd = openat(topfd, "d", O_RDONLY | O_DIRECTORY);
		CHECK(fd >= 0);
		close(openat(fd, *n, O_CREAT | O_WRONLY, 0600));
		close(fd);
	}
	close(openat(topfd, "file", O_CREAT | O_WRONLY, 0600));
}

static void
teardown(void)
{
	static const char *const rm[] = { "d/b", "d/a", "d/C", "d/.x", "link", "file" };

	for (size_t i = 0; i < sizeof rm / sizeof rm[0]; i++)
		CHECK(unlinkat(topfd, rm[i], 0) == 0);
	CHECK(unlinkat(topfd, "d", AT_REMOVEDIR) == 0);
	CHECK(unlinkat(topfd, "empty", AT_REMOVEDIR) == 0);
	close(topfd);
	CHECK(rmdir(top) == 0);
}

static void
test_sorted(void)
{
	int fd = dir_open(topfd, "d");
	size_t n = 99;
	char **v;

	CHECK(fd >= 0);
	v = dir_names(fd, &n);
	CHECK(v != NULL);
	CHECK(n == 4);
	if (v && n == 4) {
		CHECK_STR(v[0], ".x");
		CHECK_STR(v[1], "C");
		CHECK_STR(v[2], "a");
		CHECK_STR(v[3], "b");
		CHECK(v[4] == NULL);
	}
	dir_names_free(v);
	/* fd is still open and can be listed again */
	v = dir_names(fd, &n);
	CHECK(v != NULL && n == 4);
	dir_names_free(v);
	close(fd);
}

static void
test_empty(void)
{
	int fd = dir_open(topfd, "empty");
	size_t n = 99;
	char **v = dir_names(fd, &n);

	CHECK(v != NULL);
	CHECK(n == 0);
	CHECK(v && v[0] == NULL);
	dir_names_free(v);
	close(fd);
}

static void
test_not_dir(void)
{
	int fd = openat(topfd, "file", O_RDONLY);
	size_t n = 99;

	CHECK(fd >= 0);
	errno = 0;
	CHECK(dir_names(fd, &n) == NULL);
	CHECK(errno == ENOTDIR);
	CHECK(n == 0);
	close(fd);
	errno = 0;
	CHECK(dir_names(-1, &n) == NULL);
	CHECK(errno == EBADF);
	dir_names_free(NULL);
}

static void
test_no_follow(void)
{
	errno = 0;
	CHECK(dir_open(topfd, "link") == -1);
	CHECK(errno == ELOOP || errno == ENOTDIR);
	CHECK(dir_open(topfd, "file") == -1);
	CHECK(errno == ENOTDIR);
	CHECK(dir_open(topfd, "missing") == -1);
	CHECK(errno == ENOENT);
}

/* dir_walk's callback: "rel[>link]" lines into ctx; "d" skipped when
 * the first character of the buffer is 's'. */
static int
record(const struct dir_walk *w, const struct dir_ent *e)
{
	char *out = w->ctx;
	size_t n = strlen(out);

	snprintf(out + n, 512 - n, "%s%s%s\n", e->rel, e->link ? ">" : "", e->link ? e->link : "");
	return out[0] == 's' && !strcmp(e->rel, "d") ? DIR_SKIP : RC_OK;
}

static void
test_walk(void)
{
	char out[512] = "";
	struct dir_walk w = { top, 0, 0, record, out };

	CHECK(dir_walk(&w, topfd) == RC_OK);
	CHECK_STR(out, "d\nd/.x\nd/C\nd/a\nd/b\nempty\nfile\nlink>d\n");
	strcpy(out, "s");
	CHECK(dir_walk(&w, topfd) == RC_OK);
	CHECK_STR(out, "sd\nempty\nfile\nlink>d\n");
	/* max_depth -1: not even a directory of the top may be entered */
	w.max_depth = -1;
	err_set_quiet(1);
	out[0] = 0;
	CHECK(dir_walk(&w, topfd) == RC_DATA);
	w.max_depth = 0;
	w.max_path = 3;
	out[0] = 0;
	CHECK(dir_walk(&w, topfd) == RC_DATA);
	CHECK_STR(out, "d\n");
	err_set_quiet(0);
}

UNIT_MAIN_FIXTURE(setup, teardown, test_sorted, test_empty, test_not_dir, test_no_follow,
		  test_walk)
