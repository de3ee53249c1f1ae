/* apply.c: the target side (patch, restore, serve).  Walks the delta's
 * records in order, merged with the target's blocks: each block outside a
 * record keeps its hash, each block inside one takes the hash of the new
 * bytes, so the digest of the result and the identity of the base come out
 * of one pass without reading the image again (docs/blksync.md "Applying").
 */
#include "blksync/bs.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t
blen(uint64_t size, uint32_t B, uint64_t i)
{
	return size - i * B < B ? size - i * B : B;
}

static int
base_hash(struct bs_ap *a, uint64_t i, uint8_t *out)
{
	const struct bs_hdr *h = a->hdr;
	struct bs_hash hs;
	uint64_t off = i * h->block;

	bs_hash_init(&hs, h->hash_id, h->hash_len, h->seed);

	if (a->ring) {
		if (bs_ring_pop(a->ring, out) < 0) {
			warn_rc(RC_IO, "%s: the reader of the target stopped", a->name);
			return RC_IO;
		}
		return RC_OK;
	}
	if (!(off >= a->chunk_off && off < a->chunk_off + a->chunk_len)) {
		a->chunk_off = off - off % BS_CHUNK;
		a->chunk_len = h->base_size - a->chunk_off < BS_CHUNK ?
			h->base_size - a->chunk_off : BS_CHUNK;
		if (pread_full(a->fd, a->chunk, a->chunk_len, a->chunk_off) != (ssize_t)a->chunk_len) {
			a->chunk_len = 0;
			warn_sys(RC_IO, "%s@%llu: read error", a->name, (unsigned long long)a->chunk_off);
			return RC_IO;
		}
	}
	bs_block_hash(&hs, a->chunk + (off - a->chunk_off), blen(h->base_size, h->block, i), out);
	return RC_OK;
}

static uint64_t
nblocks(uint64_t size, uint32_t B)
{
	return (size + B - 1) / B;
}

/* Blocks [a->blk, upto) are not in the delta: they keep the base's bytes. */
static int
gap(struct bs_ap *a, struct bs_dr *d, uint64_t upto)
{
	const struct bs_hdr *h = a->hdr;
	uint32_t B = h->block;
	uint64_t base_n = (h->flags & BS_F_FULL) ? 0 : nblocks(h->base_size, B);
	uint64_t new_n = nblocks(h->size, B);
	uint8_t hh[BS_DIGEST_LEN];
	int rc;

	if (upto <= a->blk)
		return RC_OK;
	if (upto > base_n || upto > new_n ||
	    blen(h->base_size, B, upto - 1) != blen(h->size, B, upto - 1)) {
		warn_off(RC_DATA, d->rd.name, d->rec_at,
			 "bytes %llu..%llu of the result are not in the delta",
			 (unsigned long long)(a->blk * B),
			 (unsigned long long)(upto * B < h->size ? upto * B : h->size));
		return RC_DATA;
	}
	if (a->digests) {
		for (uint64_t i = a->blk; i < upto; i++) {
			if ((rc = base_hash(a, i, hh)))
				return rc;
			bs_digest_add(&a->bd, hh, h->hash_len);
			bs_digest_add(&a->rdg, hh, bs_hash_len(h->hash_id));
			bs_digest_add(&a->cur, hh, bs_hash_len(h->hash_id));
		}
	}
	a->blk = upto;
	return RC_OK;
}

static int
zero_range(struct bs_ap *a, uint64_t off, uint64_t len, uint64_t cur)
{
	/* not const: a const one is 64 KiB of the binary, this one is bss */
	static uint8_t zeros[1 << 16];

	if (a->fresh)
		return RC_OK;
	if (!a->is_blk) {
		/* beyond the current end it is a hole already */
		if (off >= cur)
			return RC_OK;
		if (len > cur - off)
			len = cur - off;
		if (fallocate(a->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)off, (off_t)len) == 0)
			return RC_OK;
	} else if (fallocate(a->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
			     (off_t)off, (off_t)len) == 0) {
		return RC_OK;
	}
	while (len > 0) {
		size_t k = len > sizeof zeros ? sizeof zeros : (size_t)len;

		if (pwrite_full(a->fd, zeros, k, off) < 0) {
			warn_sys(RC_IO, "%s@%llu: write error", a->name, (unsigned long long)off);
			return RC_IO;
		}
		off += k;
		len -= k;
	}
	return RC_OK;
}

static int
record(struct bs_ap *a, struct bs_dr *d, const struct bs_frame *f, const uint8_t *data,
       uint64_t *cur)
{
	const struct bs_hdr *h = a->hdr;
	struct bs_hash hs;
	uint32_t B = h->block;
	uint64_t base_n = (h->flags & BS_F_FULL) ? 0 : nblocks(h->base_size, B);
	uint64_t first = f->off / B, last = nblocks(f->off + f->len, B);
	uint8_t hh[BS_DIGEST_LEN];
	int rc;

	bs_hash_init(&hs, h->hash_id, h->hash_len, h->seed);
	if ((rc = gap(a, d, first)))
		return rc;
	if (a->digests) {
		int first_data = f->tag == TAG_DATA && !a->first_seen;

		if (first_data) {
			a->first_seen = 1;
			a->first_in = 1;
		}
		for (uint64_t i = first; i < last; i++) {
			uint64_t n = blen(h->size, B, i);
			uint8_t old[BS_DIGEST_LEN];

			memset(old, 0, sizeof old);
			if (i < base_n) {
				if ((rc = base_hash(a, i, old)))
					return rc;
				bs_digest_add(&a->bd, old, hs.wl);
				bs_digest_add(&a->cur, old, hs.len);
			}
			if (f->tag == TAG_DATA) {
				bs_block_hash(&hs, data + (i * B - f->off), n, hh);
				bs_digest_add(&a->rdg, hh, hs.len);
				if (first_data && (i >= base_n || memcmp(old, hh, hs.len) != 0))
					a->first_in = 0;
			} else if (n == B) {
				bs_digest_add(&a->rdg, a->zero_hash, hs.len);
			} else {
				bs_block_hash(&hs, a->tmp, n, hh);
				bs_digest_add(&a->rdg, hh, hs.len);
			}
		}
	}
	a->blk = last;
	a->records++;
	if (!a->write)
		return RC_OK;
	if (f->tag == TAG_DATA) {
		if (pwrite_full(a->fd, data, f->len, f->off) < 0) {
			warn_sys(RC_IO, "%s@%llu: write error", a->name, (unsigned long long)f->off);
			return RC_IO;
		}
		a->written += f->len;
		if (f->off + f->len > *cur)
			*cur = f->off + f->len;
		return RC_OK;
	}
	return zero_range(a, f->off, f->len, *cur);
}

static int
finish(struct bs_ap *a, struct bs_dr *d)
{
	const struct bs_hdr *h = a->hdr;
	uint8_t bd[BS_DIGEST_LEN], rd[BS_DIGEST_LEN], cd[BS_DIGEST_LEN];
	char x[2][65];
	unsigned hl = bs_hash_len(h->hash_id);

	if (!a->digests)
		return RC_OK;
	bs_digest_final(&a->bd, bd);
	bs_digest_final(&a->rdg, rd);
	bs_digest_final(&a->cur, cd);
	memcpy(a->base_id, bd, sizeof bd);
	if (!(h->flags & (BS_F_FULL | BS_F_LIVE)) && memcmp(bd, d->tr.base_id, BS_DIGEST_LEN) != 0) {
		/* a run that was interrupted after writing everything */
		if (!a->write && h->size == h->base_size &&
		    memcmp(cd, d->tr.result, BS_DIGEST_LEN) == 0) {
			a->already = 1;
			return RC_OK;
		}
		/* a run that was interrupted part way: the first records are
		 * in already, and applying them all gives exactly the result */
		if (!a->write && a->first_in && memcmp(rd, d->tr.result, BS_DIGEST_LEN) == 0) {
			a->partial = 1;
			return RC_OK;
		}
		warn_rc(RC_REFUSED, "%s: not the base this delta was made for (identity %s, the delta needs %s)%s",
			a->name, hex_encode(bd, hl, x[0]), hex_encode(d->tr.base_id, hl, x[1]),
			a->write && a->records ? "; it was written: sync it again" : "");
		return RC_REFUSED;
	}
	if (memcmp(rd, d->tr.result, BS_DIGEST_LEN) != 0) {
		warn_rc(RC_DIFF, "%s: the result does not match the delta's digest (got %s, expected %s)",
			a->name, hex_encode(rd, hl, x[0]), hex_encode(d->tr.result, hl, x[1]));
		return RC_DIFF;
	}
	return RC_OK;
}

int
bs_ap_run(struct bs_ap *a, struct bs_dr *d)
{
	const struct bs_hdr *h = &d->hdr;
	struct bs_hash hs;
	uint32_t B = h->block;
	uint64_t base_n = (h->flags & BS_F_FULL) ? 0 : nblocks(h->base_size, B);
	uint64_t new_n = nblocks(h->size, B), cur = a->tsize;
	uint8_t hh[BS_DIGEST_LEN];
	struct bs_frame f;
	const uint8_t *data;
	int rc = RC_OK;

	bs_hash_init(&hs, h->hash_id, h->hash_len, h->seed);
	a->hdr = h;
	a->blk = h->start / B;
	a->tmp = xcalloc(1, B);
	a->zero_hash = xmalloc(BS_DIGEST_LEN);
	bs_block_hash(&hs, a->tmp, B, a->zero_hash);
	if (!a->ring)
		a->chunk = bs_alloc(BS_CHUNK);
	a->chunk_len = 0;
	if (a->digests) {
		bs_digest_init(&a->bd, &hs, h->base_size, h->start);
		if (a->pre)
			bs_digest_copy(&a->rdg, a->pre);
		else
			bs_digest_init(&a->rdg, &hs, h->size, h->start);
		bs_digest_init(&a->cur, &hs, h->base_size, h->start);
	}
	for (;;) {
		if ((rc = bs_dr_next(d, &f, &data)))
			break;
		if (f.tag == TAG_DATA || f.tag == TAG_ZERO) {
			if ((rc = record(a, d, &f, data, &cur)))
				break;
		} else if (f.tag == TAG_NEED) {
			if (!a->on_need) {
				warn_off(RC_DATA, d->rd.name, d->rec_at, "a live delta from push, not for patch");
				rc = RC_DATA;
				break;
			}
			a->on_need(a->mark_ctx, f.off, f.len);
		} else if (f.tag == TAG_MARK) {
			uint64_t m = nblocks(f.off, B);

			if ((rc = gap(a, d, m < new_n ? m : new_n)))
				break;
			if (a->on_mark)
				a->on_mark(a->mark_ctx, f.off);
		} else {
			if ((rc = gap(a, d, new_n)))
				break;
			for (uint64_t i = a->blk; a->digests && i < base_n; i++) {
				if ((rc = base_hash(a, i, hh)))
					break;
				bs_digest_add(&a->bd, hh, hs.wl);
				bs_digest_add(&a->cur, hh, hs.len);
			}
			break;
		}
		if (a->prog)
			progress_update(a->prog, f.off);
	}
	if (rc == RC_OK)
		rc = finish(a, d);
	if (rc == RC_OK && a->write && !a->is_blk && cur != h->size &&
	    ftruncate(a->fd, (off_t)h->size) < 0) {
		warn_sys(RC_IO, "%s: cannot set the size to %llu", a->name,
			 (unsigned long long)h->size);
		rc = RC_IO;
	}
	if (a->write && a->written + (rc == RC_OK) > 0 && fdatasync(a->fd) < 0 &&
	    errno != EINVAL && rc == RC_OK) {
		warn_sys(RC_IO, "%s: fdatasync", a->name);
		rc = RC_IO;
	}
	if (a->digests) {
		bs_digest_free(&a->bd);
		bs_digest_free(&a->rdg);
		bs_digest_free(&a->cur);
	}
	free(a->tmp);
	free(a->zero_hash);
	free(a->chunk);
	a->tmp = a->zero_hash = a->chunk = NULL;
	return rc;
}

int
bs_ap_check_target(const struct bs_hdr *h, const char *dname, const char *tname,
		uint64_t tsize, int is_blk)
{
	(void)dname;
	if (!(h->flags & BS_F_FULL) && h->base_size != tsize) {
		warn_rc(RC_REFUSED, "%s: has %llu bytes, the delta is for a base of %llu bytes",
			tname, (unsigned long long)tsize, (unsigned long long)h->base_size);
		return RC_REFUSED;
	}
	if (is_blk && h->size > tsize) {
		warn_rc(RC_REFUSED, "%s: too small: the device has %llu bytes, the result needs %llu",
			tname, (unsigned long long)tsize, (unsigned long long)h->size);
		return RC_REFUSED;
	}
	return RC_OK;
}

int
bs_image_id(int fd, const char *name, uint64_t size, uint32_t block,
	 const struct bs_hash *hash, int full_width, uint8_t id[BS_DIGEST_LEN])
{
	struct bs_sig_prod p;
	int rc;

	memset(&p, 0, sizeof p);
	p.src.fd = fd;
	p.src.name = name;
	p.src.size = size;
	p.src.block = block;
	p.hash = *hash;
	p.full_width = full_width;
	rc = bs_sig_produce(&p);
	memcpy(id, p.id, BS_DIGEST_LEN);
	return rc;
}
