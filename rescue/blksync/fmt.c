/* fmt.c: encoding of blksync headers, frames and trailers (docs/blksync.md),
 * block hashes (XXH3-128 seeded, or SHA-256 of seed || block), image
 * digests, and the buffered stream reader/writer that report offsets.
 */
#include "blksync/fmt.h"
#include "lib/bytes.h"
#include "lib/err.h"
#include "lib/sha256.h"
#include "lib/xio.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

uint32_t
bs_crc(const void *p, size_t n)
{
	uLong c = crc32(0L, Z_NULL, 0);

	while (n > 0) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
		c = crc32(c, p, k);
		p = (const uint8_t *)p + k;
		n -= k;
	}
	return (uint32_t)c;
}

void
bs_hdr_encode(const struct bs_hdr *h, uint8_t out[BS_HDR_LEN])
{
	memset(out, 0, BS_HDR_LEN);
	memcpy(out, "BLKSYNC", 7);
	out[7] = (uint8_t)h->kind;
	out[8] = (uint8_t)h->version;
	out[9] = (uint8_t)(h->version >> 8);
	out[10] = (uint8_t)h->hash_id;
	out[11] = (uint8_t)h->hash_len;
	put_le32(out + 12, h->flags);
	put_le32(out + 16, h->block);
	put_le32(out + 20, h->group);
	put_le64(out + 24, h->seed);
	put_le64(out + 32, h->size);
	put_le64(out + 40, h->base_size);
	put_le64(out + 48, h->start);
	memcpy(out + 56, h->base_id, BS_DIGEST_LEN);
	put_le64(out + 88, h->target_id);
	put_le32(out + 124, bs_crc(out, 124));
}

const char *
bs_hdr_decode(struct bs_hdr *h, const uint8_t in[BS_HDR_LEN])
{
	memset(h, 0, sizeof *h);
	if (memcmp(in, "BLKSYNC", 7) != 0)
		return "not a blksync stream (bad magic)";
	if (get_le32(in + 124) != bs_crc(in, 124))
		return "header checksum mismatch";
	h->kind = in[7];
	h->version = in[8] | (unsigned)in[9] << 8;
	h->hash_id = in[10];
	h->hash_len = in[11];
	h->flags = get_le32(in + 12);
	h->block = get_le32(in + 16);
	h->group = get_le32(in + 20);
	h->seed = get_le64(in + 24);
	h->size = get_le64(in + 32);
	h->base_size = get_le64(in + 40);
	h->start = get_le64(in + 48);
	memcpy(h->base_id, in + 56, BS_DIGEST_LEN);
	h->target_id = get_le64(in + 88);
	if (h->kind != BS_SIGS && h->kind != BS_DELTA && h->kind != BS_HELLO)
		return "unknown stream kind";
	if (h->version != BS_VERSION)
		return "unsupported format version";
	if (!bs_hash_len(h->hash_id) || (h->hash_len != bs_hash_len(h->hash_id) &&
					 !(h->hash_id == BS_XXH3 && h->hash_len == 8)))
		return "unknown hash algorithm";
	if (h->block < BS_MIN_BLOCK || h->block > BS_MAX_BLOCK || (h->block & (h->block - 1)))
		return "bad block size";
	if (h->flags & ~(uint32_t)(BS_F_FULL | BS_F_BASEID | BS_F_LIVE | BS_F_DONEID))
		return "unknown flags";
	if ((h->flags & BS_F_DONEID) && (h->kind == BS_DELTA || !h->start))
		return "bad flags";
	if (h->group && (h->kind == BS_DELTA || h->group > BS_GROUP ||
			 (h->group & (h->group - 1)) || (uint64_t)h->group * h->block > BS_CHUNK))
		return "bad group size";
	if (h->start % h->block || (h->start && h->start >= h->size))
		return "bad start offset";
	if (h->size > (1ull << 62) || h->base_size > (1ull << 62))
		return "size out of range";
	return NULL;
}

void
bs_frame_encode(const struct bs_frame *f, uint8_t out[BS_FRAME_LEN])
{
	put_le32(out, f->tag);
	put_le64(out + 4, f->off);
	put_le32(out + 12, f->len);
	put_le32(out + 16, f->stored);
	put_le32(out + 20, f->crc);
}

void
bs_frame_decode(struct bs_frame *f, const uint8_t in[BS_FRAME_LEN])
{
	f->tag = get_le32(in);
	f->off = get_le64(in + 4);
	f->len = get_le32(in + 12);
	f->stored = get_le32(in + 16);
	f->crc = get_le32(in + 20);
	f->codec = f->tag == TAG_DATA && f->stored < f->len ? BS_DEFLATE : BS_RAW;
}

uint32_t
bs_frame_sum(const struct bs_frame *f, const void *data, size_t n)
{
	uint8_t b[BS_FRAME_LEN];
	uLong c;

	bs_frame_encode(f, b);
	c = crc32(0L, Z_NULL, 0);
	c = crc32(c, b, 20);
	while (n > 0) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;

		c = crc32(c, data, k);
		data = (const uint8_t *)data + k;
		n -= k;
	}
	return (uint32_t)c;
}

void
bs_trailer_encode(const struct bs_trailer *t, uint8_t out[BS_TRAILER_LEN])
{
	memcpy(out, t->base_id, BS_DIGEST_LEN);
	memcpy(out + 32, t->result, BS_DIGEST_LEN);
	put_le64(out + 64, t->records);
	put_le64(out + 72, t->data_bytes);
	put_le64(out + 80, t->zero_bytes);
	put_le64(out + 88, t->size);
}

void
bs_trailer_decode(struct bs_trailer *t, const uint8_t in[BS_TRAILER_LEN])
{
	memcpy(t->base_id, in, BS_DIGEST_LEN);
	memcpy(t->result, in + 32, BS_DIGEST_LEN);
	t->records = get_le64(in + 64);
	t->data_bytes = get_le64(in + 72);
	t->zero_bytes = get_le64(in + 80);
	t->size = get_le64(in + 88);
}

const char *
bs_tag_name(uint32_t tag, char buf[8])
{
	for (int i = 0; i < 4; i++) {
		unsigned c = (tag >> (8 * i)) & 0xff;
		buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	buf[4] = 0;
	return buf;
}

int
bs_hash_parse(const char *name, unsigned *id)
{
	if (strcmp(name, "xxh3") == 0)
		*id = BS_XXH3;
	else if (strcmp(name, "sha256") == 0)
		*id = BS_SHA256;
	else
		return -1;
	return 0;
}

const char *
bs_hash_name(unsigned id)
{
	return id == BS_XXH3 ? "xxh3" : id == BS_SHA256 ? "sha256" : "?";
}

unsigned
bs_hash_len(unsigned id)
{
	return id == BS_XXH3 ? 16 : id == BS_SHA256 ? 32 : 0;
}

unsigned
bs_wire_len(unsigned id)
{
	return id == BS_XXH3 ? 8 : bs_hash_len(id);
}

void
bs_hash_init(struct bs_hash *h, unsigned id, unsigned wl, uint64_t seed)
{
	h->id = id;
	h->len = bs_hash_len(id);
	h->wl = wl ? wl : bs_wire_len(id);
	h->seed = seed;
}

void
bs_block_hash(const struct bs_hash *h, const void *p, size_t n, uint8_t *out)
{
	if (h->id == BS_XXH3) {
		XXH128_hash_t x = XXH3_128bits_withSeed(p, n, h->seed);
		XXH128_canonical_t c;

		XXH128_canonicalFromHash(&c, x);
		memcpy(out, c.digest, 16);
	} else {
		struct sha256 s;
		uint8_t seed[8];

		put_le64(seed, h->seed);
		sha256_init(&s);
		sha256_update(&s, seed, 8);
		sha256_update(&s, p, n);
		sha256_final(&s, out);
	}
}

void
bs_digest_final(struct bs_digest *d, uint8_t out[BS_DIGEST_LEN])
{
	bs_digest_peek(d, out);
}

void
bs_group_hash(const struct bs_hash *h, const uint8_t *hashes, size_t n, uint8_t *out)
{
	uint8_t full[BS_DIGEST_LEN];

	bs_block_hash(h, hashes, n * h->len, full);
	memcpy(out, full, h->wl);
}

int
bs_is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t acc = 0;
	size_t i = 0;

	for (; i + 64 <= n; i += 64) {
		uint64_t w[8];

		memcpy(w, b + i, 64);
		acc |= w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7];
		if (acc)
			return 0;
	}
	for (; i < n; i++)
		acc |= b[i];
	return acc == 0;
}

void
bs_digest_init(struct bs_digest *d, const struct bs_hash *h, uint64_t size, uint64_t start)
{
	uint8_t pre[24];

	d->h = *h;
	put_le64(pre, h->seed);
	put_le64(pre + 8, size);
	put_le64(pre + 16, start);
	if (h->id == BS_XXH3) {
		XXH3_state_t *s = XXH3_createState();

		if (!s)
			die_msg(RC_IO, "out of memory");
		XXH3_128bits_reset_withSeed(s, h->seed);
		XXH3_128bits_update(s, pre + 8, 16);
		d->state = s;
	} else {
		struct sha256 *s = xmalloc(sizeof *s);

		sha256_init(s);
		sha256_update(s, pre, 24);
		d->state = s;
	}
}

void
bs_digest_add(struct bs_digest *d, const uint8_t *hash, unsigned n)
{
	if (d->h.id == BS_XXH3)
		XXH3_128bits_update(d->state, hash, n);
	else
		sha256_update(d->state, hash, n);
}

void
bs_digest_peek(const struct bs_digest *d, uint8_t out[BS_DIGEST_LEN])
{
	memset(out, 0, BS_DIGEST_LEN);
	if (d->h.id == BS_XXH3) {
		XXH128_canonical_t c;

		/* XXH3 digests leave the state as it was */
		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(d->state));
		memcpy(out, c.digest, 16);
	} else {
		struct sha256 s = *(const struct sha256 *)d->state;

		sha256_final(&s, out);
	}
}

void
bs_digest_copy(struct bs_digest *dst, const struct bs_digest *src)
{
	dst->h = src->h;
	if (src->h.id == BS_XXH3) {
		XXH3_state_t *s = XXH3_createState();

		if (!s)
			die_msg(RC_IO, "out of memory");
		XXH3_copyState(s, src->state);
		dst->state = s;
	} else {
		dst->state = xmalloc(sizeof(struct sha256));
		memcpy(dst->state, src->state, sizeof(struct sha256));
	}
}

uint64_t
bs_name_id(const char *s)
{
	uint64_t v = XXH3_64bits(s, strlen(s));

	return v ? v : 1;
}

void
bs_digest_free(struct bs_digest *d)
{
	if (!d->state)
		return;
	if (d->h.id == BS_XXH3)
		XXH3_freeState(d->state);
	else
		free(d->state);
	d->state = NULL;
}

/* ---- reader ---- */

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

/* ---- source reads ---- */

int
bs_direct_flag(const char *path, int direct)
{
	int fd;

	if (!direct)
		return 0;
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		close(fd);
		return O_DIRECT;
	}
	if (errno == EINVAL)
		note("%s: O_DIRECT is not supported here; reading through the page cache", path);
	return 0;
}

void *
bs_alloc(size_t n)
{
	void *p;

	if (posix_memalign(&p, 4096, n ? n : 1) != 0)
		die_msg(RC_IO, "out of memory");
	return p;
}

static void
note_bad(struct bs_src *s, uint64_t off, uint64_t len)
{
	note("%s: unreadable %llu+%llu, filled with zeros", s->name,
	     (unsigned long long)off, (unsigned long long)len);
	s->bad_bytes += len;
	s->bad_ranges++;
}

static ssize_t
src_pread(struct bs_src *s, uint8_t *buf, size_t n, uint64_t off)
{
	ssize_t got;

	if (!s->direct)
		return pread_full(s->fd, buf, n, off);
	/* O_DIRECT wants whole units; the end of the image may fall inside one */
	got = pread_full(s->fd, buf, (n + 4095) & ~(size_t)4095, off);
	return got > (ssize_t)n ? (ssize_t)n : got;
}

int
bs_src_read(struct bs_src *s, uint8_t *buf, size_t n, uint64_t off)
{
	ssize_t got = src_pread(s, buf, n, off);
	uint64_t bad_start = 0, bad_len = 0;

	if (got == (ssize_t)n)
		return RC_OK;
	if (got >= 0) {
		warn_off(RC_IO, s->name, off + (uint64_t)got,
			 "unexpected end of file (did it shrink while being read?)");
		return RC_IO;
	}
	if (!s->rescue) {
		warn_sys(RC_IO, "%s@%llu: read error (--rescue fills unreadable blocks with zeros)",
			 s->name, (unsigned long long)off);
		return RC_IO;
	}
	/* --rescue: retry block by block, zero what cannot be read */
	for (size_t done = 0; done < n;) {
		size_t k = n - done < s->block ? n - done : s->block;

		if (src_pread(s, buf + done, k, off + done) != (ssize_t)k) {
			memset(buf + done, 0, k);
			if (bad_len && bad_start + bad_len == off + done) {
				bad_len += k;
			} else {
				if (bad_len)
					note_bad(s, bad_start, bad_len);
				bad_start = off + done;
				bad_len = k;
			}
		}
		done += k;
	}
	if (bad_len)
		note_bad(s, bad_start, bad_len);
	return RC_OK;
}

int
bs_peek_end(int fd, const struct bs_hdr *h, uint32_t tag, uint8_t *out, size_t n)
{
	uint8_t b[BS_FRAME_LEN + 256];
	size_t len = BS_FRAME_LEN + n;
	struct bs_frame f;
	struct stat st;

	if (n > sizeof b - BS_FRAME_LEN || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < BS_HDR_LEN + (off_t)len)
		return -1;
	if (pread_full(fd, b, len, (uint64_t)st.st_size - len) != (ssize_t)len)
		return -1;
	bs_frame_decode(&f, b);
	if (f.tag != tag || f.off != h->size || f.stored != n ||
	    bs_frame_sum(&f, b + BS_FRAME_LEN, n) != f.crc)
		return -1;
	memcpy(out, b + BS_FRAME_LEN, n);
	return 0;
}
