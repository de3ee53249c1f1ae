/* rd.c: the bounded reader of rd.h. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/progress.h"
#include "lib/xio.h"
#include "moosefs/rd.h"
#include "moosefs/sections.h"

void
mfs_rd_init_mem(struct mfs_rd *r, const char *name, const uint8_t *data, size_t len)
{
	memset(r, 0, sizeof *r);
	r->name = name;
	r->fd = -1;
	r->buf = r->p = (uint8_t *)data;
	r->end = r->buf + len;
	r->size = len;
	r->secend = UINT64_MAX;
}

int
mfs_rd_init_fd(struct mfs_rd *r, const char *name, int fd)
{
	struct stat st;

	memset(r, 0, sizeof *r);
	r->name = name;
	r->fd = fd;
	r->secend = UINT64_MAX;
	if (fstat(fd, &st) < 0) {
		warn_sys(RC_IO, "%s", name);
		return RC_IO;
	}
	r->size = (uint64_t)st.st_size;
	r->cap = 1u << 20;
	r->buf = r->p = r->end = xmalloc(r->cap);
	return RC_OK;
}

void
mfs_rd_close(struct mfs_rd *r)
{
	if (r->fd >= 0)
		free(r->buf);
	r->buf = r->p = r->end = NULL;
}

void
mfs_rd_rec(struct mfs_rd *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (const char *f = fmt; *f;) {
		char c = *f++;
		unsigned n = 0;
		void *p = va_arg(ap, void *);

		while (*f >= '0' && *f <= '9')
			n = n * 10 + (unsigned)(*f++ - '0');
		for (unsigned i = 0; i < (n ? n : 1); i++) {
			switch (c) {
			case 'b': ((uint8_t *)p)[i] = mfs_rd_u8(r); break;
			case 'h': ((uint16_t *)p)[i] = mfs_rd_u16(r); break;
			case 'w': ((uint32_t *)p)[i] = mfs_rd_u32(r); break;
			default: ((uint64_t *)p)[i] = mfs_rd_u64(r); break;   /* 'q' */
			}
		}
	}
	va_end(ap);
}

int
mfs_rd_fill(struct mfs_rd *r, size_t n)
{
	size_t have = (size_t)(r->end - r->p);

	if (have >= n)
		return 0;
	if (r->fd < 0 || r->ioerr)
		return -1;
	if (n > r->size - mfs_rd_off(r))
		return -1;
	memmove(r->buf, r->p, have);
	r->base += (uint64_t)(r->p - r->buf);
	if (n > r->cap) {
		size_t c = r->cap;
		while (c < n)
			c *= 2;
		r->buf = xrealloc(r->buf, c);
		r->cap = c;
	}
	r->p = r->buf;
	r->end = r->buf + have;
	if (r->pr)
		progress_update(r->pr, r->base);
	while ((size_t)(r->end - r->p) < n) {
		ssize_t k = read_full(r->fd, r->end, r->cap - (size_t)(r->end - r->buf));
		if (k < 0) {
			r->ioerr = errno;
			return -1;
		}
		if (k == 0)
			return -1;
		r->end += k;
	}
	return 0;
}

int
mfs_rd_skip(struct mfs_rd *r, uint64_t n)
{
	while (n) {
		size_t step = n > (1u << 16) ? (1u << 16) : (size_t)n;
		if (mfs_rd_need(r, step))
			return -1;
		r->p += step;
		n -= step;
	}
	return 0;
}

int
mfs_rd_fail(struct mfs_rd *r, const char *what)
{
	if (r->ioerr) {
		errno = r->ioerr;
		warn_sys(RC_IO, "%s: read error", r->name);
		return RC_IO;
	}
	warn_off(RC_DATA, r->name, mfs_rd_off(r), "%s", what);
	return RC_DATA;
}

/* the last 16 bytes (fewer when the file is shorter or unreadable) */
static size_t
rd_tail(struct mfs_rd *r, uint8_t t[16])
{
	if (r->size < 16)
		return 0;
	if (r->fd < 0) {
		memcpy(t, r->buf + r->size - 16, 16);
		return 16;
	}
	return pread_full(r->fd, t, 16, r->size - 16) == 16 ? 16 : 0;
}

int
mfs_rd_header(struct mfs_rd *r, struct mfs_header *h)
{
	uint8_t tail[16];
	size_t n = r->size < MFS_HEADER_MAX ? (size_t)r->size : MFS_HEADER_MAX;
	size_t tn;

	if (mfs_rd_need(r, n))
		return -1;
	tn = rd_tail(r, tail);
	mfs_header_parse(r->p, n, tail, tn, h);
	return 0;
}
