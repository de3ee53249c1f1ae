/* delta.c: DELTA records (docs/blksync.md "DELTA").  The writer compresses
 * each DATA extent with raw DEFLATE (zlib, level 1 by default), keeps it raw
 * when that does not shrink it, and stops trying for a while after a run of
 * incompressible extents (zlib manages ~55 MB/s on random data, less than a
 * 1 GbE link).  The reader checks every record before handing it out: header
 * CRC, order and bounds, inflated length, CRC32 of the uncompressed bytes.
 */
#include "blksync/bs.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* early-out: after this many input bytes without gain, skip compression for
 * skip bytes (doubling up to the max) before probing again */
#define MISS_LIMIT (256u << 10)
#define SKIP_FIRST (8ull << 20)
#define SKIP_MAX (256ull << 20)

void
bs_dw_init(struct bs_dw *d, struct bs_wr *w, int level)
{
	memset(d, 0, sizeof *d);
	d->w = w;
	d->level = level;
	d->skip = SKIP_FIRST;
	if (level > 0) {
		if (deflateInit2(&d->z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			die_msg(RC_IO, "out of memory (zlib)");
		d->zinit = 1;
		d->zcap = deflateBound(&d->z, BS_MAX_EXTENT);
		d->zbuf = xmalloc(d->zcap);
	}
}

void
bs_dw_free(struct bs_dw *d)
{
	if (d->zinit)
		deflateEnd(&d->z);
	d->zinit = 0;
	free(d->zbuf);
	d->zbuf = NULL;
}

/* Compressed size, or 0 when it is not worth it. */
static size_t
try_deflate(struct bs_dw *d, const uint8_t *p, uint32_t n)
{
	size_t out;
	int zr;

	if (!d->zinit || n < 64 || d->seen < d->skip_until)
		return 0;
	deflateReset(&d->z);
	d->z.next_in = (Bytef *)(uintptr_t)p;
	d->z.avail_in = n;
	d->z.next_out = d->zbuf;
	d->z.avail_out = (uInt)(n - n / 32);
	zr = deflate(&d->z, Z_FINISH);
	out = d->z.total_out;
	if (zr == Z_STREAM_END && out < (size_t)(n - n / 32)) {
		d->misses = 0;
		d->skip = SKIP_FIRST;
		return out;
	}
	d->misses += n;
	if (d->misses >= MISS_LIMIT) {
		d->skip_until = d->seen + n + d->skip;
		d->skip = d->skip * 2 > SKIP_MAX ? SKIP_MAX : d->skip * 2;
		d->misses = 0;
	}
	return 0;
}

int
bs_dw_data(struct bs_dw *d, uint64_t off, const uint8_t *p, uint32_t n)
{
	struct bs_frame f;
	size_t c = try_deflate(d, p, n);

	d->seen += n;
	memset(&f, 0, sizeof f);
	f.tag = TAG_DATA;
	f.off = off;
	f.len = n;
	f.stored = c ? (uint32_t)c : n;
	d->records++;
	d->data_records++;
	d->data_bytes += n;
	d->stored_bytes += f.stored;
	return bs_wr_frame(d->w, &f, c ? d->zbuf : p, p) < 0 ? RC_IO : RC_OK;
}

int
bs_dw_zero(struct bs_dw *d, uint64_t off, uint64_t n)
{
	struct bs_frame f;

	while (n > 0) {
		uint32_t k = n > BS_MAX_ZERO ? BS_MAX_ZERO : (uint32_t)n;

		memset(&f, 0, sizeof f);
		f.tag = TAG_ZERO;
		f.off = off;
		f.len = k;
		if (bs_wr_frame(d->w, &f, NULL, NULL) < 0)
			return RC_IO;
		d->records++;
		d->zero_bytes += k;
		off += k;
		n -= k;
	}
	return RC_OK;
}

int
bs_dw_mark(struct bs_dw *d, uint64_t off)
{
	struct bs_frame f;

	memset(&f, 0, sizeof f);
	f.tag = TAG_MARK;
	f.off = off;
	return bs_wr_frame(d->w, &f, NULL, NULL) < 0 ? RC_IO : RC_OK;
}

int
bs_dw_need(struct bs_dw *d, uint64_t off, uint32_t groups)
{
	struct bs_frame f;

	memset(&f, 0, sizeof f);
	f.tag = TAG_NEED;
	f.off = off;
	f.len = groups;
	return bs_wr_frame(d->w, &f, NULL, NULL) < 0 ? RC_IO : RC_OK;
}

int
bs_dw_end(struct bs_dw *d, struct bs_trailer *t)
{
	uint8_t b[BS_TRAILER_LEN];
	struct bs_frame f;

	t->records = d->records;
	t->data_bytes = d->data_bytes;
	t->zero_bytes = d->zero_bytes;
	bs_trailer_encode(t, b);
	memset(&f, 0, sizeof f);
	f.tag = TAG_DEND;
	f.off = t->size;
	f.stored = BS_TRAILER_LEN;
	if (bs_wr_frame(d->w, &f, b, NULL) < 0 || bs_wr_flush(d->w) < 0)
		return RC_IO;
	return RC_OK;
}

/* ---- reader ---- */

int
bs_dr_open(struct bs_dr *d, int fd, const char *name)
{
	int rc;

	memset(d, 0, sizeof *d);
	bs_rd_init(&d->rd, fd, name);
	d->data = xmalloc(BS_MAX_EXTENT);
	d->cbuf = xmalloc(BS_MAX_EXTENT);
	if ((rc = bs_rd_header(&d->rd, &d->hdr, BS_DELTA)) != RC_OK)
		return rc;
	if ((d->hdr.flags & BS_F_FULL) && (d->hdr.base_size || d->hdr.start || (d->hdr.flags & BS_F_LIVE))) {
		warn_off(RC_DATA, name, 0, "full image with a base size");
		return RC_DATA;
	}
	d->cursor = d->hdr.start;
	return RC_OK;
}

void
bs_dr_free(struct bs_dr *d)
{
	if (d->zinit)
		inflateEnd(&d->z);
	d->zinit = 0;
	free(d->data);
	free(d->cbuf);
	d->data = d->cbuf = NULL;
	bs_rd_free(&d->rd);
}

static int
bad_rec(struct bs_dr *d, const char *what, const struct bs_frame *f)
{
	char t[8];

	warn_off(RC_DATA, d->rd.name, d->rec_at, "%s record for %llu+%u: %s",
		 bs_tag_name(f->tag, t), (unsigned long long)f->off, f->len, what);
	return RC_DATA;
}

static int
inflate_into(struct bs_dr *d, const uint8_t *in, uint32_t n, uint32_t outn)
{
	int zr;

	if (!d->zinit) {
		if (inflateInit2(&d->z, -15) != Z_OK)
			die_msg(RC_IO, "out of memory (zlib)");
		d->zinit = 1;
	} else {
		inflateReset(&d->z);
	}
	d->z.next_in = (Bytef *)(uintptr_t)in;
	d->z.avail_in = n;
	d->z.next_out = d->data;
	d->z.avail_out = outn;
	zr = inflate(&d->z, Z_FINISH);
	return zr == Z_STREAM_END && d->z.total_out == outn && d->z.avail_in == 0 ? 0 : -1;
}

static int
read_payload(struct bs_dr *d, const struct bs_frame *f, uint8_t *into)
{
	int rc = bs_rd_exact(&d->rd, into, f->stored, "record data");

	if (rc == 1) {
		warn_off(RC_DATA, d->rd.name, d->rd.off, "delta cut short in record data");
		return RC_DATA;
	}
	return rc ? d->rd.err : RC_OK;
}

static int
extent_ok(struct bs_dr *d, const struct bs_frame *f, uint32_t max)
{
	uint32_t B = d->hdr.block;

	if (f->off % B || f->off < d->cursor || f->len == 0 || f->len > max ||
	    f->off > d->hdr.size || f->len > d->hdr.size - f->off)
		return 0;
	return f->len % B == 0 || f->off + f->len == d->hdr.size;
}

int
bs_dr_next(struct bs_dr *d, struct bs_frame *f, const uint8_t **data)
{
	uint8_t tb[BS_TRAILER_LEN];
	char t[8];
	int rc;

	*data = NULL;
	if (d->ended) {
		warn_off(RC_DATA, d->rd.name, d->rd.off, "record after the end");
		return RC_DATA;
	}
	d->rec_at = d->rd.off;
	rc = bs_rd_frame(&d->rd, f, "record header");
	if (rc == 1) {
		warn_off(RC_DATA, d->rd.name, d->rd.off,
			 "delta cut short (no end record; %llu records read)",
			 (unsigned long long)d->records);
		return RC_DATA;
	}
	if (rc)
		return d->rd.err;
	switch (f->tag) {
	case TAG_DATA:
		if (!extent_ok(d, f, BS_MAX_EXTENT) || f->stored == 0 || f->stored > f->len)
			return bad_rec(d, "bad offset, length or codec", f);
		if (f->codec == BS_RAW) {
			if ((rc = read_payload(d, f, d->data)))
				return rc;
		} else {
			if ((rc = read_payload(d, f, d->cbuf)))
				return rc;
			if (inflate_into(d, d->cbuf, f->stored, f->len) < 0)
				return bad_rec(d, "corrupt compressed data", f);
		}
		if (bs_frame_sum(f, d->data, f->len) != f->crc)
			return bad_rec(d, "checksum mismatch", f);
		*data = d->data;
		d->cursor = f->off + f->len;
		d->records++;
		d->data_bytes += f->len;
		return RC_OK;
	case TAG_ZERO:
		if (!extent_ok(d, f, BS_MAX_ZERO) || f->stored)
			return bad_rec(d, "bad offset or length", f);
		d->cursor = f->off + f->len;
		d->records++;
		d->zero_bytes += f->len;
		return RC_OK;
	case TAG_MARK:
		if (f->stored || f->len || f->off < d->cursor ||
		    f->off > d->hdr.size || (f->off % d->hdr.block && f->off != d->hdr.size))
			return bad_rec(d, "bad sync mark", f);
		d->cursor = f->off;
		return RC_OK;
	case TAG_NEED:
		if (!(d->hdr.flags & BS_F_LIVE) || f->stored || f->len == 0 ||
		    f->len > BS_MAX_NEED || f->off < d->cursor ||
		    f->off >= d->hdr.base_size || f->off % d->hdr.block)
			return bad_rec(d, "bad request for hashes", f);
		return RC_OK;
	case TAG_DEND:
		if (f->stored != BS_TRAILER_LEN || f->off != d->hdr.size || f->len)
			return bad_rec(d, "bad end record", f);
		if ((rc = read_payload(d, f, tb)))
			return rc;
		if (bs_frame_sum(f, tb, sizeof tb) != f->crc)
			return bad_rec(d, "end record checksum mismatch", f);
		bs_trailer_decode(&d->tr, tb);
		if (d->tr.size != d->hdr.size || d->tr.records != d->records ||
		    d->tr.data_bytes != d->data_bytes || d->tr.zero_bytes != d->zero_bytes) {
			warn_off(RC_DATA, d->rd.name, d->rec_at,
				 "end record counts %llu records, the delta has %llu",
				 (unsigned long long)d->tr.records, (unsigned long long)d->records);
			return RC_DATA;
		}
		if ((d->hdr.flags & BS_F_BASEID) &&
		    memcmp(d->tr.base_id, d->hdr.base_id, BS_DIGEST_LEN) != 0) {
			warn_off(RC_DATA, d->rd.name, d->rec_at,
				 "end record names another base than the header");
			return RC_DATA;
		}
		d->ended = 1;
		return RC_OK;
	default:
		warn_off(RC_DATA, d->rd.name, d->rec_at, "unknown record type '%s'",
			 bs_tag_name(f->tag, t));
		return RC_DATA;
	}
}

int
bs_dr_check_eof(struct bs_dr *d)
{
	uint8_t b;
	int rc = bs_rd_exact(&d->rd, &b, 1, "end");

	if (rc == 1)
		return RC_OK;
	if (rc < 0)
		return d->rd.err;
	warn_off(RC_DATA, d->rd.name, d->rd.off - 1, "data after the end record");
	return RC_DATA;
}

int
bs_delta_peek_trailer(int fd, const struct bs_hdr *h, struct bs_trailer *t)
{
	uint8_t b[BS_TRAILER_LEN];

	if (bs_peek_end(fd, h, TAG_DEND, b, sizeof b) != 0)
		return -1;
	bs_trailer_decode(t, b);
	return 0;
}
