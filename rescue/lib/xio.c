/* xio.c: full reads and writes, checked allocation, file identity. */
#include "lib/xio.h"
#include "lib/err.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

enum { IO_READ, IO_WRITE, IO_PREAD, IO_PWRITE };

static ssize_t
io_once(int how, int fd, char *p, size_t n, uint64_t off)
{
	switch (how) {
	case IO_READ: return read(fd, p, n);
	case IO_WRITE: return write(fd, p, n);
	case IO_PREAD: return pread(fd, p, n, (off_t)off);
	default: return pwrite(fd, p, n, (off_t)off);
	}
}

/* The one loop behind the four: retry on EINTR, go on after short I/O; a
 * read stops at the end of the file, a write that writes nothing is EIO.
 * Bytes done, or -1 with errno. */
static ssize_t
io_full(int how, int fd, char *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t k = io_once(how, fd, buf + done, n - done, off + done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0 && (how == IO_WRITE || how == IO_PWRITE)) {
			errno = EIO;
			return -1;
		}
		if (k == 0)
			break;
		done += (size_t)k;
	}
	return (ssize_t)done;
}

ssize_t
read_full(int fd, void *buf, size_t n)
{
	return io_full(IO_READ, fd, buf, n, 0);
}

int
write_full(int fd, const void *buf, size_t n)
{
	/* io_full only writes from buf */
	return io_full(IO_WRITE, fd, (char *)(uintptr_t)buf, n, 0) < 0 ? -1 : 0;
}

ssize_t
pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	return io_full(IO_PREAD, fd, buf, n, off);
}

int
pwrite_full(int fd, const void *buf, size_t n, uint64_t off)
{
	return io_full(IO_PWRITE, fd, (char *)(uintptr_t)buf, n, off) < 0 ? -1 : 0;
}

int
fd_sync(int fd)
{
	for (;;) {
		if (fsync(fd) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EINVAL || errno == EROFS)
			return 0;
		return -1;
	}
}

int
open_ro(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		warn_sys(RC_IO, "%s", path);
	return fd;
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die_msg(RC_IO, "out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die_msg(RC_IO, "out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die_msg(RC_IO, "out of memory (%zu bytes)", n);
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

void
xgrow(void **p, size_t *cap, size_t need, size_t sz)
{
	size_t c = *cap ? *cap : 16;

	if (need <= *cap)
		return;
	while (c < need) {
		if (c > SIZE_MAX / 2 / sz)
			die_msg(RC_IO, "out of memory (array of %zu)", need);
		c *= 2;
	}
	*p = xrealloc(*p, c * sz);
	*cap = c;
}

void *
xappend(void **p, size_t *n, size_t *cap, size_t sz)
{
	char *e;

	xgrow(p, cap, *n + 1, sz);
	e = (char *)*p + (*n)++ * sz;
	memset(e, 0, sz);
	return e;
}

int
read_file(const char *path, size_t max, char **data, size_t *len)
{
	struct stat st;
	size_t cap = 65536, n = 0;
	char *buf;
	int rc, fd = open_ro(path);

	if (fd < 0)
		return RC_IO;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		warn_rc(RC_DATA, "%s: is a directory", path);
		return RC_DATA;
	}
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap >= max) {
				rc = RC_DATA;
				warn_rc(rc, "%s: larger than %zu bytes", path, max);
				goto fail;
			}
			cap = cap * 2 > max ? max : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = RC_IO;
			warn_sys(rc, "%s", path);
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	*data = buf;
	*len = n;
	return RC_OK;
fail:
	free(buf);
	close(fd);
	return rc;
}

int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int
fd_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return -1;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) == 0 ? 0 : -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}
