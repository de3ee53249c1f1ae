/* changelog.c: the changelog reader of changelog.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/xio.h"
#include "moosefs/changelog.h"

uint64_t
cl_parse_id(const char *s, size_t len, const char **rest)
{
	uint64_t id = 0;
	size_t i = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9') {
		if (id > (UINT64_MAX - 9) / 10)
			return 0;
		id = id * 10 + (uint64_t)(s[i++] - '0');
	}
	if (i == 0 || i >= len || s[i] != ':')
		return 0;
	i++;
	if (i < len && s[i] == ' ')
		i++;
	*rest = s + i;
	return id;
}

int
cl_open(struct clfile *f, const char *path)
{
	struct stat st;
	char tail[CL_MAXLINE + 2], head[32];
	ssize_t n;
	const char *rest;

	memset(f, 0, sizeof *f);
	f->path = path;
	f->fd = open_ro(path);
	if (f->fd < 0)
		return RC_IO;
	if (fstat(f->fd, &st) < 0) {
		warn_sys(RC_IO, "%s", path);
		close(f->fd);
		f->fd = -1;
		return RC_IO;
	}
	f->size = (uint64_t)st.st_size;
	n = pread_full(f->fd, head, sizeof head, 0);
	if (n > 0)
		f->first = cl_parse_id(head, (size_t)n, &rest);
	if (f->size > 0) {
		uint64_t from = f->size > sizeof tail ? f->size - sizeof tail : 0;
		size_t k;
		n = pread_full(f->fd, tail, (size_t)(f->size - from), from);
		if (n < 0) {
			warn_sys(RC_IO, "%s", path);
			close(f->fd);
			f->fd = -1;
			return RC_IO;
		}
		k = (size_t)n;
		f->torn = tail[k - 1] != '\n';
		/* the last complete line ends at the last newline */
		while (k > 0 && tail[k - 1] != '\n')
			k--;
		if (k > 0) {
			size_t e = k - 1, b = e;
			while (b > 0 && tail[b - 1] != '\n')
				b--;
			if (b > 0 || from == 0)
				f->last = cl_parse_id(tail + b, e - b, &rest);
		}
	}
	f->cap = 1u << 18;
	f->buf = xmalloc(f->cap);
	return RC_OK;
}

int
cl_next(struct clfile *f)
{
	for (;;) {
		char *nl = f->pos < f->end ? memchr(f->buf + f->pos, '\n', f->end - f->pos) : NULL;
		if (nl) {
			size_t l = (size_t)(nl - (f->buf + f->pos));
			f->raw = f->buf + f->pos;
			f->rawlen = l;
			*nl = 0;
			f->off += l + 1;
			f->pos += l + 1;
			f->lineno++;
			f->text = NULL;
			f->len = 0;
			f->id = cl_parse_id(f->raw, l, &f->text);
			if (f->id)
				f->len = l - (size_t)(f->text - f->raw);
			return 1;
		}
		if (f->eof)
			return 0;
		if (f->end - f->pos > CL_MAXLINE) {
			warn_at(RC_DATA, f->path, f->lineno + 1, "line longer than %d bytes", CL_MAXLINE);
			return -RC_DATA;
		}
		memmove(f->buf, f->buf + f->pos, f->end - f->pos);
		f->end -= f->pos;
		f->pos = 0;
		if (f->end + 1 >= f->cap) {
			f->cap *= 2;
			f->buf = xrealloc(f->buf, f->cap);
		}
		{
			ssize_t n = read_full(f->fd, f->buf + f->end, f->cap - f->end - 1);
			if (n < 0) {
				warn_sys(RC_IO, "%s: read error", f->path);
				return -RC_IO;
			}
			if (n == 0)
				f->eof = 1;
			f->end += (size_t)n;
		}
	}
}

void
cl_close(struct clfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->buf);
	f->buf = NULL;
	f->fd = -1;
}
