/* scan.c: the source side of a sync (diff, full, push).  Reads SOURCE in
 * 4 MiB chunks, hashes each block, compares with the target's hash as the
 * SIGS stream delivers it, and coalesces changed blocks into DATA extents of
 * up to 1 MiB (all-zero runs into ZERO records).  A MARK every 64 MiB; the
 * DEND trailer carries the base identity and the digest of the result.
 * A block is changed when its hash differs or its length differs from the
 * base's (the last block of an image that grew or shrank).
 */
#include "blksync/bs.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

enum { EXT_NONE, EXT_DATA, EXT_ZERO };

static int
flush_ext(struct scan *s)
{
	int rc = RC_OK;

	if (s->ext_kind == EXT_DATA)
		rc = dw_data(&s->dw, s->ext_off, s->ext, (uint32_t)s->ext_len);
	else if (s->ext_kind == EXT_ZERO)
		rc = dw_zero(&s->dw, s->ext_off, s->ext_len);
	s->ext_kind = EXT_NONE;
	s->ext_len = 0;
	return rc;
}

static int
add_block(struct scan *s, uint64_t off, const uint8_t *p, size_t n)
{
	int kind = bs_is_zero(p, n) ? EXT_ZERO : EXT_DATA;
	uint64_t max = kind == EXT_DATA ? BS_MAX_EXTENT : BS_MAX_ZERO;
	int rc;

	if (s->ext_kind != kind || s->ext_off + s->ext_len != off || s->ext_len + n > max) {
		if ((rc = flush_ext(s)))
			return rc;
		s->ext_kind = kind;
		s->ext_off = off;
	}
	if (kind == EXT_DATA)
		memcpy(s->ext + s->ext_len, p, n);
	s->ext_len += n;
	return RC_OK;
}

static int
mark(struct scan *s, uint64_t off)
{
	int rc;

	if (off <= s->last_mark)
		return RC_OK;
	if ((rc = flush_ext(s)))
		return rc;
	s->last_mark = off;
	return dw_mark(&s->dw, off);
}

/* push: about to wait for more signatures; let the target catch up. */
static void
on_idle(void *ctx)
{
	struct scan *s = ctx;
	struct pollfd pf = { .fd = s->sig->rd.fd, .events = POLLIN };

	if (poll(&pf, 1, 0) > 0)
		return;
	if (mark(s, s->pos) == RC_OK)
		(void)bs_wr_flush(s->dw.w);
}

int
scan_run(struct scan *s)
{
	uint32_t B = s->block;
	unsigned wl = s->hash.wl;
	uint64_t size = s->src.size, base_size = s->sig ? s->sig->hdr.size : 0;
	uint64_t base_n = s->sig ? s->sig->nblocks : 0;
	uint8_t *buf = bs_alloc(BS_CHUNK), h[BS_DIGEST_LEN];
	struct bs_digest dg;
	struct bs_trailer t;
	int rc = RC_OK;

	s->ext = xmalloc(BS_MAX_EXTENT);
	s->ext_kind = EXT_NONE;
	s->last_mark = s->start;
	if (s->push && s->sig) {
		s->sig->rd.idle = on_idle;
		s->sig->rd.idle_ctx = s;
	}
	bs_digest_init(&dg, &s->hash, size, s->start);
	for (uint64_t off = s->start; off < size && rc == RC_OK; off += BS_CHUNK) {
		size_t n = size - off < BS_CHUNK ? (size_t)(size - off) : BS_CHUNK;

		if (off % BS_MARK_EVERY == 0 && (rc = mark(s, off)))
			break;
		if ((rc = bs_src_read(&s->src, buf, n, off)))
			break;
		for (size_t o = 0; o < n; o += B) {
			size_t len = n - o < B ? n - o : B;
			uint64_t i = (off + o) / B;
			int changed = 1;

			bs_block_hash(&s->hash, buf + o, len, h);
			bs_digest_add(&dg, h, s->hash.len);
			s->compared++;
			if (i < base_n) {
				const uint8_t *sh;
				uint64_t blen = base_size - i * B < B ? base_size - i * B : B;

				s->pos = off + o;
				if ((rc = sig_rd_next(s->sig, &sh)))
					break;
				changed = blen != len || memcmp(sh, h, wl) != 0;
			}
			if (changed) {
				s->changed++;
				if ((rc = add_block(s, off + o, buf + o, len)))
					break;
			} else if (s->ext_kind != EXT_NONE && (rc = flush_ext(s))) {
				break;
			}
		}
		if (s->prog)
			progress_update(s->prog, off + n);
	}
	if (rc == RC_OK)
		rc = flush_ext(s);
	memset(&t, 0, sizeof t);
	if (rc == RC_OK && s->sig) {
		s->sig->rd.idle = NULL;
		rc = sig_rd_finish(s->sig, !s->push);
		memcpy(t.base_id, s->sig->id, BS_DIGEST_LEN);
	}
	if (rc == RC_OK) {
		bs_digest_final(&dg, t.result);
		t.size = size;
		memcpy(s->result, t.result, BS_DIGEST_LEN);
		memcpy(s->base_id, t.base_id, BS_DIGEST_LEN);
		rc = dw_end(&s->dw, &t);
	}
	bs_digest_free(&dg);
	free(buf);
	free(s->ext);
	s->ext = NULL;
	return rc;
}
