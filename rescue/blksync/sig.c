/* sig.c: SIGS streams (docs/blksync.md "SIGS"): the producer that hashes an
 * image in 4 MiB reads and writes HASH frames and the SEND trailer, the
 * reader that checks every frame (CRC32, order, count) and recomputes the
 * identity digest, and the ring through which `serve` hands the hashes it
 * sent to its own apply side.
 */
#include "blksync/bs.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void
bs_ring_init(struct bs_ring *r, size_t cap, unsigned hl, uint64_t first)
{
	memset(r, 0, sizeof *r);
	r->cap = cap;
	r->hl = hl;
	r->h = xmalloc(cap * hl);
	r->head = r->tail = first;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
}

void
bs_ring_free(struct bs_ring *r)
{
	free(r->req);
	r->req = NULL;
	free(r->h);
	r->h = NULL;
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
}

/* Store h at the head (there is room; the lock is held), wake the
 * waiters, unlock.  0. */
static int
ring_store(struct bs_ring *r, const uint8_t *h)
{
	memcpy(r->h + (r->head % r->cap) * r->hl, h, r->hl);
	r->head++;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return 0;
}

int
bs_ring_push(struct bs_ring *r, const uint8_t *h)
{
	pthread_mutex_lock(&r->mu);
	while (r->head - r->tail == r->cap && !r->failed)
		pthread_cond_wait(&r->cv, &r->mu);
	if (r->failed) {
		pthread_mutex_unlock(&r->mu);
		return -1;
	}
	return ring_store(r, h);
}

void
bs_ring_close(struct bs_ring *r, int failed)
{
	pthread_mutex_lock(&r->mu);
	if (failed)
		r->failed = 1;
	r->done = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

int
bs_ring_pop(struct bs_ring *r, uint8_t *out)
{
	pthread_mutex_lock(&r->mu);
	while (r->head == r->tail && !r->done && !r->failed)
		pthread_cond_wait(&r->cv, &r->mu);
	if (r->head == r->tail || r->failed) {
		pthread_mutex_unlock(&r->mu);
		return -1;
	}
	memcpy(out, r->h + (r->tail % r->cap) * r->hl, r->hl);
	r->tail++;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return 0;
}

void
bs_ring_request(struct bs_ring *r, uint64_t g, uint32_t n)
{
	pthread_mutex_lock(&r->mu);
	if (r->req_tail == r->req_cap) {
		if (r->req_head > 0) {
			memmove(r->req, r->req + r->req_head, (r->req_tail - r->req_head) * sizeof *r->req);
			r->req_tail -= r->req_head;
			r->req_head = 0;
		} else {
			xgrow((void **)&r->req, &r->req_cap, r->req_tail + 1, sizeof *r->req);
		}
	}
	/* n <= BS_MAX_NEED < 128 */
	r->req[r->req_tail++] = g << 7 | n;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* Raise one of the ring's flags and wake every waiter. */
static void
ring_raise(struct bs_ring *r, int *flag)
{
	pthread_mutex_lock(&r->mu);
	*flag = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

void
bs_ring_consumer_done(struct bs_ring *r)
{
	ring_raise(r, &r->consumer_done);
}

int
bs_ring_push_or_req(struct bs_ring *r, const uint8_t *h)
{
	pthread_mutex_lock(&r->mu);
	while (r->head - r->tail == r->cap && !r->failed && !r->consumer_done &&
	       r->req_head == r->req_tail)
		pthread_cond_wait(&r->cv, &r->mu);
	if (r->failed || r->consumer_done) {
		pthread_mutex_unlock(&r->mu);
		return -1;
	}
	if (r->head - r->tail == r->cap) {
		pthread_mutex_unlock(&r->mu);
		return 1;
	}
	return ring_store(r, h);
}

int
bs_ring_take_request(struct bs_ring *r, uint64_t *g, uint32_t *n)
{
	int rc = -1;

	pthread_mutex_lock(&r->mu);
	if (r->req_head < r->req_tail) {
		*g = r->req[r->req_head] >> 7;
		*n = (uint32_t)(r->req[r->req_head++] & 127);
		rc = 0;
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

int
bs_ring_wait_request(struct bs_ring *r, uint64_t *g, uint32_t *n)
{
	int rc = -1;

	pthread_mutex_lock(&r->mu);
	while (r->req_head == r->req_tail && !r->failed && !r->consumer_done && !r->kick)
		pthread_cond_wait(&r->cv, &r->mu);
	if (r->req_head < r->req_tail && !r->failed) {
		*g = r->req[r->req_head] >> 7;
		*n = (uint32_t)(r->req[r->req_head++] & 127);
		rc = 0;
	} else if (r->kick && !r->failed) {
		r->kick = 0;
		rc = 1;
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

void
bs_ring_kick(struct bs_ring *r)
{
	ring_raise(r, &r->kick);
}

int
bs_ring_peek(struct bs_ring *r, uint64_t i, uint8_t *out)
{
	int rc = -1;

	pthread_mutex_lock(&r->mu);
	if (i >= r->tail && i < r->head) {
		memcpy(out, r->h + (i % r->cap) * r->hl, r->hl);
		rc = 0;
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static int
prod_frame(struct bs_sig_prod *p, struct bs_frame *f, const void *payload)
{
	int rc;

	if (!p->w)
		return 0;
	if (p->wlock)
		pthread_mutex_lock(p->wlock);
	if (p->ack) {
		struct bs_frame a;

		memset(&a, 0, sizeof a);
		a.tag = TAG_ACKD;
		a.off = p->ack(p->ack_ctx);
		if (a.off)
			(void)bs_wr_frame(p->w, &a, NULL, NULL);
	}
	rc = bs_wr_frame(p->w, f, payload, NULL);
	/* serve: the peer is waiting for these hashes */
	if (rc == 0 && p->wlock)
		rc = bs_wr_flush(p->w);
	if (p->wlock)
		pthread_mutex_unlock(p->wlock);
	return rc < 0 ? RC_IO : RC_OK;
}

int
bs_sig_produce(struct bs_sig_prod *p)
{
	uint32_t B = p->src.block;
	unsigned wl = p->hash.wl;
	size_t per = BS_CHUNK / B;
	uint8_t *buf = bs_alloc(BS_CHUNK), *hs = xmalloc(per * wl), h[BS_DIGEST_LEN];
	struct bs_digest dg;
	struct bs_frame f;
	uint64_t off;
	int rc = RC_OK;

	bs_digest_init(&dg, &p->hash, p->src.size, p->start);
	p->blocks = 0;
	for (off = p->start; off < p->src.size; off += BS_CHUNK) {
		size_t n = p->src.size - off < BS_CHUNK ? (size_t)(p->src.size - off) : BS_CHUNK;
		uint32_t k = 0;

		if ((rc = bs_src_read(&p->src, buf, n, off)))
			break;
		for (size_t o = 0; o < n; o += B, k++) {
			bs_block_hash(&p->hash, buf + o, n - o < B ? n - o : B, h);
			memcpy(hs + (size_t)k * wl, h, wl);
			bs_digest_add(&dg, h, p->full_width ? p->hash.len : wl);
			if (p->ring && bs_ring_push(p->ring, h) < 0) {
				rc = RC_IO;
				goto out;
			}
		}
		p->blocks += k;
		memset(&f, 0, sizeof f);
		f.tag = TAG_HASH;
		f.off = off;
		f.len = k;
		f.stored = k * wl;
		if ((rc = prod_frame(p, &f, hs)))
			break;
		if (p->prog)
			progress_update(p->prog, off + n);
	}
	if (rc == RC_OK) {
		bs_digest_final(&dg, p->id);
		memset(&f, 0, sizeof f);
		f.tag = TAG_SEND;
		f.off = p->src.size;
		f.len = (uint32_t)p->blocks;
		f.stored = BS_DIGEST_LEN;
		rc = prod_frame(p, &f, p->id);
		if (rc == RC_OK && p->w && p->wlock) {
			pthread_mutex_lock(p->wlock);
			rc = bs_wr_flush(p->w) < 0 ? RC_IO : RC_OK;
			pthread_mutex_unlock(p->wlock);
		}
	}
out:
	if (p->ring)
		bs_ring_close(p->ring, rc != RC_OK);
	bs_digest_free(&dg);
	free(buf);
	free(hs);
	return rc;
}

void
bs_sig_rd_start(struct bs_sig_rd *s)
{
	struct bs_hash h;

	s->first = s->hdr.start / s->hdr.block;
	s->nblocks = (s->hdr.size + s->hdr.block - 1) / s->hdr.block;
	s->next = s->first;
	s->frame = xmalloc((size_t)BS_MAX_HASHES * s->hdr.hash_len);
	bs_hash_init(&h, s->hdr.hash_id, s->hdr.hash_len, s->hdr.seed);
	bs_digest_init(&s->dg, &h, s->hdr.size, s->hdr.start);
}

int
bs_sig_rd_open(struct bs_sig_rd *s, int fd, const char *name)
{
	int rc;

	memset(s, 0, sizeof *s);
	bs_rd_init(&s->rd, fd, name);
	if ((rc = bs_rd_header(&s->rd, &s->hdr, BS_SIGS)) != RC_OK)
		return rc;
	bs_sig_rd_start(s);
	return RC_OK;
}

void
bs_sig_rd_free(struct bs_sig_rd *s)
{
	bs_digest_free(&s->dg);
	free(s->frame);
	s->frame = NULL;
	bs_rd_free(&s->rd);
}

int
bs_frame_done(struct bs_rd *r, const struct bs_frame *f, const char *peer)
{
	char msg[BS_MAX_MSG + 1];
	int rc = (int)f->off;

	if (f->stored > BS_MAX_MSG) {
		warn_off(RC_DATA, r->name, r->off, "DONE message too long");
		return RC_DATA;
	}
	if (bs_rd_exact(r, msg, f->stored, "DONE") == 1) {
		warn_off(RC_DATA, r->name, r->off, "cut short in DONE");
		return RC_DATA;
	} else if (r->err) {
		return r->err;
	}
	msg[f->stored] = 0;
	if (bs_frame_sum(f, msg, f->stored) != f->crc) {
		warn_off(RC_DATA, r->name, r->off, "DONE record checksum mismatch");
		return RC_DATA;
	}
	if (rc < 0 || rc > RC_REFUSED)
		rc = RC_DATA;
	if (rc != RC_OK)
		warn_rc(rc, "%s: %s", peer, f->stored ? msg : "failed");
	return rc;
}

/* Read frames until a HASH (or SEND) frame; ACKD go to the callback. */
static int
next_frame(struct bs_sig_rd *s, struct bs_frame *f)
{
	char t[8];
	int rc;

	for (;;) {
		s->frame_at = s->rd.off;
		rc = bs_rd_frame(&s->rd, f, "SIGS frame");
		if (rc == 1) {
			warn_off(RC_DATA, s->rd.name, s->rd.off,
				 "SIGS cut short after %llu of %llu hashes",
				 (unsigned long long)(s->next - s->first),
				 (unsigned long long)(s->nblocks - s->first));
			return RC_DATA;
		}
		if (rc)
			return s->rd.err ? s->rd.err : RC_DATA;
		if (f->tag == TAG_ACKD && f->stored == 0) {
			if (s->on_ack)
				s->on_ack(s->ack_ctx, f->off);
			continue;
		}
		if (f->tag == TAG_DONE && s->on_ack)
			return bs_frame_done(&s->rd, f, s->rd.name);
		if (f->tag == TAG_HASH || f->tag == TAG_SEND ||
		    (f->tag == TAG_GRPH && s->hdr.group))
			return RC_OK;
		warn_off(RC_DATA, s->rd.name, s->frame_at, "unexpected '%s' frame in SIGS",
			 bs_tag_name(f->tag, t));
		return RC_DATA;
	}
}

int
bs_sig_rd_next(struct bs_sig_rd *s, const uint8_t **hash)
{
	unsigned hl = s->hdr.hash_len;
	struct bs_frame f;
	int rc;

	if (s->fpos < s->fn) {
		*hash = s->frame + (size_t)s->fpos++ * hl;
		s->next++;
		return RC_OK;
	}
	if (s->next >= s->nblocks) {
		warn_off(RC_DATA, s->rd.name, s->rd.off, "more hashes asked for than the image has");
		return RC_DATA;
	}
	if ((rc = next_frame(s, &f)))
		return rc;
	if (f.tag != TAG_HASH) {
		warn_off(RC_DATA, s->rd.name, s->frame_at,
			 "SIGS ends after %llu of %llu hashes",
			 (unsigned long long)(s->next - s->first),
			 (unsigned long long)(s->nblocks - s->first));
		return RC_DATA;
	}
	if (f.off != s->next * s->hdr.block || f.len == 0 || f.len > BS_MAX_HASHES ||
	    f.len > s->nblocks - s->next || f.stored != f.len * hl) {
		warn_off(RC_DATA, s->rd.name, s->frame_at,
			 "bad HASH frame (offset %llu, %u hashes; expected offset %llu)",
			 (unsigned long long)f.off, f.len,
			 (unsigned long long)(s->next * s->hdr.block));
		return RC_DATA;
	}
	if ((rc = bs_rd_exact(&s->rd, s->frame, f.stored, "HASH frame")) != 0) {
		if (rc == 1)
			warn_off(RC_DATA, s->rd.name, s->rd.off, "cut short in HASH frame");
		return s->rd.err ? s->rd.err : RC_DATA;
	}
	if (bs_frame_sum(&f, s->frame, f.stored) != f.crc) {
		warn_off(RC_DATA, s->rd.name, s->frame_at, "HASH frame checksum mismatch");
		return RC_DATA;
	}
	for (uint32_t i = 0; i < f.len; i++)
		bs_digest_add(&s->dg, s->frame + (size_t)i * hl, hl);
	s->fn = f.len;
	s->fpos = 1;
	*hash = s->frame;
	s->next++;
	return RC_OK;
}

int
bs_sig_rd_pull(struct bs_sig_rd *s, struct bs_frame *f, const uint8_t **payload)
{
	int rc;

	if ((rc = next_frame(s, f)))
		return rc;
	if (f->stored > (size_t)BS_MAX_HASHES * s->hdr.hash_len) {
		warn_off(RC_DATA, s->rd.name, s->frame_at, "frame too large");
		return RC_DATA;
	}
	if ((rc = bs_rd_exact(&s->rd, s->frame, f->stored, "frame")) != 0) {
		if (rc == 1)
			warn_off(RC_DATA, s->rd.name, s->rd.off, "cut short in a frame");
		return s->rd.err ? s->rd.err : RC_DATA;
	}
	if (bs_frame_sum(f, s->frame, f->stored) != f->crc) {
		warn_off(RC_DATA, s->rd.name, s->frame_at, "frame checksum mismatch");
		return RC_DATA;
	}
	*payload = s->frame;
	return RC_OK;
}

int
bs_sig_rd_acks(struct bs_sig_rd *s)
{
	struct bs_rd *r = &s->rd;
	struct bs_frame f;
	size_t at;

	if (bs_rd_poll(r, r->cap) < 0)
		return r->err;
	/* step over whole frames still to be read; take the ACKD among them
	 * out of the buffer (a bad one is left for the reader to report) */
	for (at = r->pos; r->len - at >= BS_FRAME_LEN;) {
		bs_frame_decode(&f, r->buf + at);
		if (f.tag != TAG_ACKD || f.stored || bs_frame_sum(&f, NULL, 0) != f.crc) {
			at += BS_FRAME_LEN + (size_t)f.stored;
			continue;
		}
		memmove(r->buf + at, r->buf + at + BS_FRAME_LEN, r->len - at - BS_FRAME_LEN);
		r->len -= BS_FRAME_LEN;
		if (s->on_ack)
			s->on_ack(s->ack_ctx, f.off);
	}
	return RC_OK;
}

int
bs_sig_range(struct bs_src *src, uint64_t end, const struct bs_hash *h, struct bs_digest *d)
{
	uint8_t *buf = bs_alloc(BS_CHUNK), hh[BS_DIGEST_LEN];
	uint32_t B = src->block;
	int rc = RC_OK;

	for (uint64_t off = 0; off < end && rc == RC_OK; off += BS_CHUNK) {
		size_t n = end - off < BS_CHUNK ? (size_t)(end - off) : BS_CHUNK;

		if ((rc = bs_src_read(src, buf, n, off)))
			break;
		for (size_t o = 0; o < n; o += B) {
			bs_block_hash(h, buf + o, n - o < B ? n - o : B, hh);
			bs_digest_add(d, hh, h->len);
		}
	}
	free(buf);
	return rc;
}

int
bs_sig_rd_finish(struct bs_sig_rd *s, int check_eof)
{
	uint8_t id[BS_DIGEST_LEN], pay[BS_DIGEST_LEN], tail;
	const uint8_t *h;
	struct bs_frame f;
	char hx[2][65];
	int rc;

	while (s->next < s->nblocks)
		if ((rc = bs_sig_rd_next(s, &h)))
			return rc;
	if ((rc = next_frame(s, &f)))
		return rc;
	if (f.tag != TAG_SEND || f.off != s->hdr.size || f.stored != BS_DIGEST_LEN ||
	    f.len != s->nblocks - s->first) {
		warn_off(RC_DATA, s->rd.name, s->frame_at, "bad SIGS trailer");
		return RC_DATA;
	}
	if ((rc = bs_rd_exact(&s->rd, pay, sizeof pay, "SIGS trailer")) != 0) {
		if (rc == 1)
			warn_off(RC_DATA, s->rd.name, s->rd.off, "cut short in SIGS trailer");
		return s->rd.err ? s->rd.err : RC_DATA;
	}
	bs_digest_final(&s->dg, id);
	if (bs_frame_sum(&f, pay, sizeof pay) != f.crc) {
		warn_off(RC_DATA, s->rd.name, s->frame_at, "SEND record checksum mismatch");
		return RC_DATA;
	}
	if (memcmp(id, pay, sizeof id) != 0) {
		warn_off(RC_DATA, s->rd.name, s->frame_at,
			 "SIGS identity mismatch (trailer %s, hashes give %s)",
			 hex_encode(pay, bs_hash_len(s->hdr.hash_id), hx[0]),
			 hex_encode(id, bs_hash_len(s->hdr.hash_id), hx[1]));
		return RC_DATA;
	}
	memcpy(s->id, id, sizeof id);
	s->ended = 1;
	if (check_eof && bs_rd_exact(&s->rd, &tail, 1, "end") != 1) {
		warn_off(RC_DATA, s->rd.name, s->rd.off - 1, "data after the SIGS trailer");
		return RC_DATA;
	}
	return RC_OK;
}

int
bs_sig_peek_id(int fd, const struct bs_hdr *h, uint8_t id[BS_DIGEST_LEN])
{
	return bs_peek_end(fd, h, TAG_SEND, id, BS_DIGEST_LEN);
}
