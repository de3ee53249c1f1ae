/* changelog.c: the changelog reader of changelog.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/digits.h"
#include "lib/err.h"
#include "lib/xio.h"
#include "moosefs/changelog.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

uint64_t
mfs_cl_parse_id(const char *s, size_t len, const char **rest)
{
	int k;
	uint64_t id = digits_dec19(s, s + len, &k);
	size_t i = (size_t)k;

	/* 20 digits and more: one at a time, refusing what overflows */
	if (i == 19 && i < len && digits_is(s[i])) {
		id = 0;
		i = 0;
	}
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

/* the rest of a head, "TS|NAME(" at s[i] (after "ID: "); len is capped */
static int
head_rest_valid(const char *s, size_t len, size_t i)
{
	size_t n;

	n = digits_count(s + i, s + len);
	i += n;
	if (n == 0 || n > 20 || i >= len || s[i++] != '|')
		return 0;
	for (n = 0; i < len && ((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_'); i++)   /* 4.x: TRASH_REMOVE */
		n++;
	return n > 0 && n < 32 && i < len && s[i] == '(';
}

int
mfs_cl_head_valid(const char *s, size_t len)
{
	const char *p;

	/* a cap, so that readers that keep only a line's head agree */
	if (len > MFS_CL_HEADMAX)
		len = MFS_CL_HEADMAX;
	if (!mfs_cl_parse_id(s, len, &p))
		return 0;
	return head_rest_valid(s, len, (size_t)(p - s));
}

int
mfs_cl_kind_parts(const char *head, size_t headlen, uint64_t len, int nul, int paren, int blank)
{
	if (blank)
		return MFS_CL_BLANK;
	if (nul)
		return MFS_CL_NUL;
	if (len > MFS_CL_MAXLINE || !paren || !mfs_cl_head_valid(head, headlen))
		return MFS_CL_GARBAGE;
	return MFS_CL_OK;
}

/* A line's kind (mfs_cl_kind_parts' rules) from what its reader knows:
 * whether it holds a NUL, and where its id's "ID: " ends (rest; NULL without
 * an id).  mfs_cl_head_valid parses the id in the first MFS_CL_HEADMAX bytes
 * only: an id that ends beyond them leaves no head there, and
 * head_rest_valid, given the capped length, finds none either. */
static int
read_line_kind(const char *s, size_t len, int nul, const char *rest)
{
	size_t i = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	if (i == len)
		return MFS_CL_BLANK;
	if (nul)
		return MFS_CL_NUL;
	if (len > MFS_CL_MAXLINE || !memrchr(s, ')', len) || !rest ||
	    !head_rest_valid(s, len > MFS_CL_HEADMAX ? MFS_CL_HEADMAX : len, (size_t)(rest - s)))
		return MFS_CL_GARBAGE;
	return MFS_CL_OK;
}

/* MooseFS 1.6's changes start at 0: with its rule (id0), "0: ..." is a change */
static int
is_id0(int id0, const char *s, size_t len)
{
	return id0 && len >= 2 && s[0] == '0' && s[1] == ':';
}

/* the kind of a whole line s (len bytes) read from a file with rule id0 */
static int
kind_of(const char *s, size_t len, int id0)
{
	const char *rest = NULL;
	uint64_t id = mfs_cl_parse_id(s, len, &rest);

	return read_line_kind(s, len, memchr(s, 0, len) != NULL, id || is_id0(id0, s, len) ? rest : NULL);
}

int
mfs_cl_line_kind(const char *s, size_t len)
{
	return kind_of(s, len, 0);
}

/* the first newline or NUL in p[0..n), or NULL: one pass over the changelog
 * where memchr would make two (16 bytes at a time with SSE2) */
static char *
find_nl_or_nul(char *p, size_t n)
{
#ifdef __SSE2__
	const __m128i nl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();
	size_t i = 0;

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, nl), _mm_cmpeq_epi8(v, zero)));

		if (m)
			return p + i + __builtin_ctz(m);
	}
	for (; i < n; i++)
		if (p[i] == '\n' || p[i] == 0)
			return p + i;
	return NULL;
#else
	char *nl = memchr(p, '\n', n), *z = memchr(p, 0, nl ? (size_t)(nl - p) : n);

	return z ? z : nl;
#endif
}

const char *
mfs_cl_kind_name(int kind)
{
	switch (kind) {
	case MFS_CL_TORN: return "last line is torn (no newline: the master died while writing it)";
	case MFS_CL_BLANK: return "blank line";
	case MFS_CL_NUL: return "NUL bytes (what a file system leaves after a power loss)";
	case MFS_CL_OK: return "valid line";
	default: return "not a changelog line";
	}
}

/* start of the line that ends at offset e: just after the newline before
 * e, or 0; -1 on a read error (f->buf is the scratch buffer) */
static int64_t
line_start(struct mfs_clfile *f, uint64_t e)
{
	while (e > 0) {
		uint64_t from = e > f->cap ? e - f->cap : 0;
		ssize_t n = pread_full(f->fd, f->buf, (size_t)(e - from), from);
		const char *nl;

		if (n != (ssize_t)(e - from))
			return -1;
		nl = memrchr(f->buf, '\n', (size_t)n);
		if (nl)
			return (int64_t)(from + (uint64_t)(nl - f->buf) + 1);
		e = from;
	}
	return 0;
}

/* Walk back from the end over invalid lines to the last valid one: what
 * ext4 leaves after a power cut (NUL blocks), a cut line, blank or garbage
 * lines are the damaged end; an invalid line before a valid one is not. */
static int
scan_tail(struct mfs_clfile *f)
{
	uint64_t e = f->size;
	char last;
	const char *rest;

	f->tail = f->size;
	if (e == 0)
		return 0;
	if (pread_full(f->fd, &last, 1, e - 1) != 1)
		return -1;
	if (last != '\n') {
		int64_t s = line_start(f, e);
		if (s < 0)
			return -1;
		f->tail = e = (uint64_t)s;
		/* ext4 after a power cut: the size grew, the blocks are zeros */
		f->tailkind = last == 0 ? MFS_CL_NUL : MFS_CL_TORN;
	}
	while (e > 0) {
		int64_t s = line_start(f, e - 1);
		uint64_t len;
		int kind = MFS_CL_GARBAGE;

		if (s < 0)
			return -1;
		len = e - 1 - (uint64_t)s;
		if (len <= MFS_CL_MAXLINE) {
			if (pread_full(f->fd, f->buf, (size_t)len, (uint64_t)s) != (ssize_t)len)
				return -1;
			kind = kind_of(f->buf, (size_t)len, f->id0);
		}
		if (kind == MFS_CL_OK) {
			f->last = mfs_cl_parse_id(f->buf, (size_t)len, &rest);
			break;
		}
		f->tail = e = (uint64_t)s;
		f->tailkind = kind;
	}
	return 0;
}

static int
cl_open(struct mfs_clfile *f, const char *path, int id0)
{
	struct stat st;
	char head[32];
	ssize_t n;
	const char *rest;

	memset(f, 0, sizeof *f);
	f->path = path;
	f->id0 = id0;
	f->fd = open_ro(path);
	if (f->fd < 0)
		return RC_IO;
	f->cap = 1u << 18;
	f->buf = xmalloc(f->cap);
	if (fstat(f->fd, &st) < 0)
		goto fail;
	f->size = (uint64_t)st.st_size;
	n = pread_full(f->fd, head, sizeof head, 0);
	if (n < 0)
		goto fail;
	if (n > 0)
		f->first = mfs_cl_parse_id(head, (size_t)n, &rest);
	if (scan_tail(f) < 0)
		goto fail;
	return RC_OK;
fail:
	warn_sys(RC_IO, "%s", path);
	mfs_cl_close(f);
	return RC_IO;
}

int
mfs_cl_open(struct mfs_clfile *f, const char *path)
{
	return cl_open(f, path, 0);
}

int
mfs_cl_open16(struct mfs_clfile *f, const char *path)
{
	return cl_open(f, path, 1);
}

void
mfs_cl_tail_excerpt(struct mfs_clfile *f, char *out, size_t n)
{
	ssize_t k = n > 1 ? pread_full(f->fd, out, n - 1, f->tail) : 0;
	size_t i;

	for (i = 0; k > 0 && i < (size_t)k && out[i] != '\n'; i++)
		if ((unsigned char)out[i] < 32 || (unsigned char)out[i] > 126)
			out[i] = '?';
	if (n)
		out[i] = 0;
}

int
mfs_cl_next(struct mfs_clfile *f)
{
	for (;;) {
		char *nl;
		int nul;

		/* the damaged end is not read (scan_tail found it) */
		if (f->off >= f->tail)
			return 0;
		nl = f->pos < f->end ? find_nl_or_nul(f->buf + f->pos, f->end - f->pos) : NULL;
		nul = nl && *nl == 0;
		if (nul)
			nl = memchr(nl, '\n', (size_t)(f->buf + f->end - nl));
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
			f->id = mfs_cl_parse_id(f->raw, l, &f->text);
			if (f->id)
				f->len = l - (size_t)(f->text - f->raw);
			f->kind = read_line_kind(f->raw, l, nul, f->id || is_id0(f->id0, f->raw, l) ? f->text : NULL);
			return 1;
		}
		if (f->eof)
			return 0;
		if (f->end - f->pos > MFS_CL_MAXLINE) {
			warn_at(RC_DATA, f->path, f->lineno + 1, "line longer than %d bytes", MFS_CL_MAXLINE);
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
mfs_cl_close(struct mfs_clfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->buf);
	f->buf = NULL;
	f->fd = -1;
}

void
mfs_cl_warn_tail(struct mfs_clfile *f, const char *real)
{
	char ex[41];
	int quote = f->tailkind == MFS_CL_TORN || f->tailkind == MFS_CL_GARBAGE;
	uint64_t n = f->size - f->tail;

	if (n == 0)
		return;
	mfs_cl_tail_excerpt(f, ex, sizeof ex);
	if (f->lineno == 0)
		note("warning: %s:1: damaged file, %llu byte%s ignored: %s%s%s%s; it holds no complete changelog line (%s ignores it too)",
		     f->path, (unsigned long long)n, n == 1 ? "" : "s", mfs_cl_kind_name(f->tailkind),
		     quote ? ": '" : "", quote ? ex : "", quote ? "'" : "", real);
	else
		note("warning: %s:%llu: damaged end of file, %llu byte%s ignored: %s%s%s%s; the %llu complete lines before it are used (%s would ignore the whole file)",
		     f->path, (unsigned long long)f->lineno + 1, (unsigned long long)n, n == 1 ? "" : "s",
		     mfs_cl_kind_name(f->tailkind), quote ? ": '" : "", quote ? ex : "", quote ? "'" : "",
		     (unsigned long long)f->lineno, real);
}

static void
hswap(size_t *heap, size_t a, size_t b)
{
	size_t t = heap[a];

	heap[a] = heap[b];
	heap[b] = t;
}

void
mfs_cl_heap_down(const struct mfs_clfile *f, size_t *heap, size_t nh)
{
	for (size_t pos = 0;;) {
		size_t l = 2 * pos + 1, m = l;
		if (l >= nh)
			return;
		if (l + 1 < nh && f[heap[l + 1]].id < f[heap[l]].id)
			m = l + 1;
		if (f[heap[pos]].id <= f[heap[m]].id)
			return;
		hswap(heap, pos, m);
		pos = m;
	}
}

void
mfs_cl_heap_up(const struct mfs_clfile *f, size_t *heap, size_t nh)
{
	for (size_t pos = nh - 1; pos > 0 && f[heap[pos]].id < f[heap[(pos - 1) / 2]].id; pos = (pos - 1) / 2)
		hswap(heap, pos, (pos - 1) / 2);
}

int
mfs_cl_heap_next(struct mfs_clfile *f, size_t *heap, size_t *nh, const char *real)
{
	struct mfs_clfile *r = &f[heap[0]];
	int k = mfs_cl_next(r);

	if (k < 0)
		return k;
	if (k == 0) {
		mfs_cl_warn_tail(r, real);
		r->id = UINT64_MAX;
		heap[0] = heap[--*nh];
	}
	mfs_cl_heap_down(f, heap, *nh);
	return 0;
}
