/* stream.c: blksync's buffered stream reader and writer, which report
 * offsets in their messages (docs/blksync.md).
 */
#include "blksync/fmt.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
bs_rd_init(struct bs_rd *r, int fd, const char *name)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->name = name;
	r->cap = 1 << 20;
	r->buf = xmalloc(r->cap);
}

void
bs_rd_free(struct bs_rd *r)
{
	free(r->buf);
	r->buf = NULL;
}

static int
rd_fill(struct bs_rd *r)
{
	ssize_t n;

	if (r->pos > 0 && r->pos == r->len) {
		r->pos = r->len = 0;
	} else if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->idle)
		r->idle(r->idle_ctx);
	do
		n = read(r->fd, r->buf + r->len, r->cap - r->len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		warn_sys(RC_IO, "%s: read error at offset %llu", r->name,
			 (unsigned long long)(r->off + (r->len - r->pos)));
		r->err = RC_IO;
		return -1;
	}
	if (n == 0)
		r->eof = 1;
	r->len += (size_t)n;
	return 0;
}

int
bs_rd_poll(struct bs_rd *r, size_t n)
{
	struct pollfd pf = { .fd = r->fd, .events = POLLIN };
	void (*idle)(void *) = r->idle;
	int rc;

	if (r->eof || r->len - r->pos >= n || n > r->cap || poll(&pf, 1, 0) <= 0)
		return 0;
	/* data (or EOF) is there: the read will not block */
	r->idle = NULL;
	rc = rd_fill(r);
	r->idle = idle;
	return rc;
}

const uint8_t *
bs_rd_peek(const struct bs_rd *r, size_t n)
{
	return r->len - r->pos >= n ? r->buf + r->pos : NULL;
}

int
bs_rd_exact(struct bs_rd *r, void *out, size_t n, const char *what)
{
	uint8_t *o = out;
	size_t got = 0;

	while (got < n) {
		size_t have = r->len - r->pos;

		if (have == 0) {
			if (!r->eof) {
				if (rd_fill(r) < 0)
					return -1;
				continue;
			}
			if (got == 0)
				return 1;
			warn_off(RC_DATA, r->name, r->off,
				 "cut short in %s (%zu of %zu bytes)", what, got, n);
			r->err = RC_DATA;
			return -1;
		}
		if (have > n - got)
			have = n - got;
		memcpy(o + got, r->buf + r->pos, have);
		r->pos += have;
		r->off += have;
		got += have;
	}
	return 0;
}

static const char *
kind_name(int kind)
{
	return kind == BS_SIGS ? "SIGS stream" : kind == BS_DELTA ? "delta" : "hello";
}

int
bs_rd_header(struct bs_rd *r, struct bs_hdr *h, int want)
{
	uint8_t b[BS_HDR_LEN];
	const char *bad;
	int rc = bs_rd_exact(r, b, sizeof b, "header");

	if (rc == 1) {
		warn_rc(RC_DATA, "%s: empty, not a %s", r->name, kind_name(want));
		return RC_DATA;
	}
	if (rc)
		return r->err;
	if ((bad = bs_hdr_decode(h, b))) {
		warn_off(RC_DATA, r->name, 0, "%s", bad);
		return RC_DATA;
	}
	if (h->kind != want) {
		/* "not a delta (a SIGS stream)", "not a SIGS stream (a delta)" */
		warn_off(RC_DATA, r->name, 0, "not a %s (a %s)", kind_name(want),
			 h->kind == BS_SIGS ? "SIGS stream" : kind_name(h->kind));
		return RC_DATA;
	}
	return RC_OK;
}

int
bs_rd_frame(struct bs_rd *r, struct bs_frame *f, const char *what)
{
	uint8_t b[BS_FRAME_LEN];
	uint64_t at = r->off;
	int rc = bs_rd_exact(r, b, sizeof b, what);

	if (rc)
		return rc;
	bs_frame_decode(f, b);
	if (f->stored == 0 && f->tag != TAG_DATA && bs_frame_sum(f, NULL, 0) != f->crc) {
		char t[8];

		warn_off(RC_DATA, r->name, at, "%s record checksum mismatch", bs_tag_name(f->tag, t));
		r->err = RC_DATA;
		return -1;
	}
	return 0;
}

/* ---- writer ---- */

void
bs_wr_init(struct bs_wr *w, int fd, const char *name)
{
	memset(w, 0, sizeof *w);
	w->fd = fd;
	w->name = name;
	w->cap = 1 << 20;
	w->buf = xmalloc(w->cap);
}

void
bs_wr_free(struct bs_wr *w)
{
	free(w->buf);
	w->buf = NULL;
}

static int
wr_raw(struct bs_wr *w, const void *p, size_t n)
{
	if (w->failed)
		return -1;
	if (write_full(w->fd, p, n) < 0) {
		if (errno == EPIPE)
			warn_rc(RC_IO, "%s: the reader went away (broken pipe)", w->name);
		else
			warn_sys(RC_IO, "%s: write error", w->name);
		w->failed = 1;
		return -1;
	}
	return 0;
}

int
bs_wr_flush(struct bs_wr *w)
{
	int rc = 0;

	if (w->len)
		rc = wr_raw(w, w->buf, w->len);
	w->len = 0;
	return rc;
}

int
bs_wr_put(struct bs_wr *w, const void *p, size_t n)
{
	w->total += n;
	if (w->len + n <= w->cap) {
		memcpy(w->buf + w->len, p, n);
		w->len += n;
		return w->failed ? -1 : 0;
	}
	if (bs_wr_flush(w) < 0)
		return -1;
	if (n >= w->cap / 2)
		return wr_raw(w, p, n);
	memcpy(w->buf, p, n);
	w->len = n;
	return 0;
}

int
bs_wr_frame(struct bs_wr *w, struct bs_frame *f, const void *payload, const void *sumdata)
{
	uint8_t b[BS_FRAME_LEN];

	f->crc = bs_frame_sum(f, sumdata ? sumdata : payload, sumdata ? f->len : f->stored);
	bs_frame_encode(f, b);
	if (bs_wr_put(w, b, sizeof b) < 0)
		return -1;
	if (f->stored && bs_wr_put(w, payload, f->stored) < 0)
		return -1;
	return 0;
}
