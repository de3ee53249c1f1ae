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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXT_NONE, EXT_DATA, EXT_ZERO };

static void
show(struct bs_scan *s, uint64_t done)
{
	if (!s->prog || !s->prog->tty)
		return;
	if (!s->label) {
		s->label = s->prog->what;
		s->prog->what = s->what;
	}
	snprintf(s->what, sizeof s->what, "%s, %llu blocks sent,", s->label,
		 (unsigned long long)s->changed);
	progress_update(s->prog, done);
}

static int
flush_ext(struct bs_scan *s)
{
	int rc = RC_OK;

	if (s->ext_kind == EXT_DATA)
		rc = bs_dw_data(&s->dw, s->ext_off, s->ext, (uint32_t)s->ext_len);
	else if (s->ext_kind == EXT_ZERO)
		rc = bs_dw_zero(&s->dw, s->ext_off, s->ext_len);
	s->ext_kind = EXT_NONE;
	s->ext_len = 0;
	return rc;
}

static int
add_block(struct bs_scan *s, uint64_t off, const uint8_t *p, size_t n)
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
mark(struct bs_scan *s, uint64_t off)
{
	int rc;

	if (off <= s->last_mark)
		return RC_OK;
	if ((rc = flush_ext(s)))
		return rc;
	s->last_mark = off;
	s->mark_t = clock_now();
	if ((rc = bs_dw_mark(&s->dw, off)))
		return rc;
	if (s->marked && s->pre)
		s->marked(s->marked_ctx, off, s->pre, s->pre_blocks);
	return RC_OK;
}

/* push: a MARK every BS_MARK_PUSH bytes or BS_MARK_SECS, whichever comes
 * first, so that serve can acknowledge (and push checkpoint) even when the
 * link, not the signatures, is what push waits for. */
static int
mark_due(struct bs_scan *s, uint64_t off)
{
	return s->push && off > s->last_mark && (!s->mark_align || off % s->mark_align == 0) &&
	       (off - s->last_mark >= BS_MARK_PUSH || clock_now() - s->mark_t >= BS_MARK_SECS);
}

/* push: the decided block hashes, in order, into the running result digest */
static void
pre_add(struct bs_scan *s, const uint8_t *h, uint64_t n)
{
	if (!s->pre)
		return;
	for (uint64_t i = 0; i < n; i++)
		bs_digest_add(s->pre, h + i * s->hash.len, s->hash.len);
	s->pre_blocks += n;
}

/* push, after a timed MARK: take the acknowledgements that have arrived,
 * even while push only writes (a target smaller than the source sends
 * nothing else), so that checkpoints follow. */
static int
timed_mark(struct bs_scan *s, uint64_t off)
{
	int rc = mark(s, off);

	return rc ? rc : bs_sig_rd_acks(s->sig);
}

/* push: about to wait for more signatures; let the target catch up. */
static void
on_idle(void *ctx)
{
	struct bs_scan *s = ctx;
	struct pollfd pf = { .fd = s->sig->rd.fd, .events = POLLIN };

	if (poll(&pf, 1, 0) > 0)
		return;
	if (mark(s, s->pos) == RC_OK)
		(void)bs_wr_flush(s->dw.w);
}

int
bs_scan_run(struct bs_scan *s)
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

			if (mark_due(s, off + o) && (rc = timed_mark(s, off + o)))
				break;
			bs_block_hash(&s->hash, buf + o, len, h);
			bs_digest_add(&dg, h, s->hash.len);
			s->compared++;
			if (i < base_n) {
				const uint8_t *sh;
				uint64_t blen = base_size - i * B < B ? base_size - i * B : B;

				s->pos = off + o;
				if ((rc = bs_sig_rd_next(s->sig, &sh)))
					break;
				changed = blen != len || memcmp(sh, h, wl) != 0;
			}
			pre_add(s, h, 1);
			if (changed) {
				s->changed++;
				if ((rc = add_block(s, off + o, buf + o, len)))
					break;
			} else if (s->ext_kind != EXT_NONE && (rc = flush_ext(s))) {
				break;
			}
		}
		show(s, off + n);
	}
	if (rc == RC_OK)
		rc = flush_ext(s);
	memset(&t, 0, sizeof t);
	if (rc == RC_OK && s->sig) {
		s->sig->rd.idle = NULL;
		rc = bs_sig_rd_finish(s->sig, !s->push);
		memcpy(t.base_id, s->sig->id, BS_DIGEST_LEN);
	}
	if (rc == RC_OK) {
		bs_digest_final(s->pre ? s->pre : &dg, t.result);
		t.size = size;
		memcpy(s->result, t.result, BS_DIGEST_LEN);
		memcpy(s->base_id, t.base_id, BS_DIGEST_LEN);
		rc = bs_dw_end(&s->dw, &t);
	}
	bs_digest_free(&dg);
	free(buf);
	free(s->ext);
	s->ext = NULL;
	return rc;
}

/* ---- push with group hashes ----
 * serve sends one hash per group of G blocks; a group whose hash differs is
 * asked for (NEED) and its block hashes come back later in the same stream.
 * The groups waiting for them are kept in order, with their data, so the
 * records still go out sorted; nothing waits for a round trip unless the
 * queue is full. */

enum { P_SAME, P_ALL, P_NEED, P_READY };

struct pend {
	uint64_t off, len;      /* bytes of SOURCE in the group */
	uint32_t nb, tnb;       /* source blocks; target blocks (from HASH) */
	int state;
	uint8_t *data;
	uint8_t full[BS_GROUP * BS_DIGEST_LEN];
	uint8_t det[BS_GROUP * BS_DIGEST_LEN];
};

struct gscan {
	struct bs_scan *s;
	uint32_t G;
	uint64_t gbytes, base_n, base_groups;
	struct pend *q;
	size_t qcap, qhead, qn;
	uint8_t *qdata;
	uint8_t *gh;            /* group hashes received, from group gh_first */
	size_t gh_cap, gh_n, gh_used;
	uint64_t gh_first;
	struct bs_digest idg;   /* identity over the group hashes */
	struct bs_digest rdg;   /* result digest over the source's block hashes */
	uint64_t need_off;      /* a run of groups to ask for, not sent yet */
	uint32_t need_n;
	int ended;
};

/* Send the NEED record for the run of groups collected so far. */
static int
g_flush_need(struct gscan *g)
{
	int rc = RC_OK;

	if (g->need_n)
		rc = bs_dw_need(&g->s->dw, g->need_off, g->need_n);
	g->need_n = 0;
	return rc;
}

static int
g_pull(struct gscan *g)
{
	struct bs_scan *s = g->s;
	struct bs_sig_rd *sr = s->sig;
	unsigned wl = sr->hdr.hash_len;
	const uint8_t *p;
	struct bs_frame f;
	int rc;

	if ((rc = bs_sig_rd_pull(sr, &f, &p)))
		return rc;
	if (f.tag == TAG_GRPH) {
		uint64_t next = g->gh_first + g->gh_n;

		if (g->ended || f.off != next * g->gbytes || f.len == 0 ||
		    f.len > g->base_groups - next || f.stored != f.len * wl)
			goto bad;
		if (g->gh_used > 0 && g->gh_used == g->gh_n) {
			g->gh_first += g->gh_used;
			g->gh_n = g->gh_used = 0;
		}
		xgrow((void **)&g->gh, &g->gh_cap, (g->gh_n + f.len) * wl, 1);
		memcpy(g->gh + g->gh_n * wl, p, f.stored);
		g->gh_n += f.len;
		for (uint32_t i = 0; i < f.len; i++)
			bs_digest_add(&g->idg, p + (size_t)i * wl, wl);
		return RC_OK;
	}
	if (f.tag == TAG_HASH) {
		/* the answer to one NEED: the block hashes of a run of groups,
		 * the oldest ones still waiting */
		uint32_t used = 0;
		uint64_t at = f.off;

		if (f.stored != f.len * wl)
			goto bad;
		for (size_t k = 0; k < g->qn && used < f.len; k++) {
			struct pend *e = &g->q[(g->qhead + k) % g->qcap];
			uint64_t first;

			if (e->state != P_NEED)
				continue;
			first = e->off / s->block;
			e->tnb = g->base_n - first < g->G ? (uint32_t)(g->base_n - first) : g->G;
			if (e->off != at || e->tnb > f.len - used)
				goto bad;
			memcpy(e->det, p + (size_t)used * wl, (size_t)e->tnb * wl);
			e->state = P_READY;
			used += e->tnb;
			at += g->gbytes;
		}
		if (used != f.len)
			goto bad;
		return RC_OK;
	}
	if (f.tag == TAG_SEND) {
		uint8_t id[BS_DIGEST_LEN];

		if (g->ended || f.off != sr->hdr.size || f.stored != BS_DIGEST_LEN ||
		    f.len != g->base_groups - g->s->start / g->gbytes ||
		    g->gh_first + g->gh_n != g->base_groups)
			goto bad;
		bs_digest_final(&g->idg, id);
		if (memcmp(id, p, BS_DIGEST_LEN) != 0)
			goto bad;
		g->ended = 1;
		return RC_OK;
	}
bad:
	{
		char t[8];

		warn_off(RC_DATA, sr->rd.name, sr->frame_at, "unexpected or bad '%s' frame",
			 bs_tag_name(f.tag, t));
	}
	return RC_DATA;
}

static int
g_emit(struct gscan *g, struct pend *e, const uint8_t *data)
{
	struct bs_scan *s = g->s;
	uint32_t B = s->block;
	unsigned wl = s->sig->hdr.hash_len, hl = s->hash.len;
	uint64_t base_size = s->sig->hdr.size;
	int rc = RC_OK;

	if (e->state == P_SAME) {
		rc = flush_ext(s);
	} else {
		for (uint32_t i = 0; i < e->nb && rc == RC_OK; i++) {
			uint64_t off = e->off + (uint64_t)i * B, bi = off / B;
			size_t len = e->off + e->len - off < B ? (size_t)(e->off + e->len - off) : B;
			int changed = 1;

			if (e->state == P_READY && i < e->tnb && bi < g->base_n) {
				uint64_t blen = base_size - bi * B < B ? base_size - bi * B : B;

				changed = blen != len ||
					  memcmp(e->det + (size_t)i * wl, e->full + (size_t)i * hl, wl) != 0;
			}
			if (changed) {
				s->changed++;
				rc = add_block(s, off, data + (size_t)i * B, len);
			} else if (s->ext_kind != EXT_NONE) {
				rc = flush_ext(s);
			}
		}
	}
	pre_add(s, e->full, e->nb);
	s->pos = e->off + e->len;
	if (rc == RC_OK && mark_due(s, s->pos))
		rc = timed_mark(s, s->pos - s->pos % s->block);
	return rc;
}

static int
g_drain(struct gscan *g)
{
	int rc;

	while (g->qn > 0) {
		struct pend *e = &g->q[g->qhead];

		if (e->state == P_NEED)
			return RC_OK;
		if ((rc = g_emit(g, e, e->data)))
			return rc;
		g->qhead = (g->qhead + 1) % g->qcap;
		g->qn--;
	}
	return RC_OK;
}

/* Wait (reading frames) until the oldest waiting group can go out. */
static int
g_wait_head(struct gscan *g)
{
	int rc;

	if (g_flush_need(g) || bs_wr_flush(g->s->dw.w) < 0)
		return RC_IO;
	while (g->qn > 0 && g->q[g->qhead].state == P_NEED)
		if ((rc = g_pull(g)))
			return rc;
	return g_drain(g);
}

static int
g_group(struct gscan *g, uint64_t off, const uint8_t *data, size_t len)
{
	struct bs_scan *s = g->s;
	uint32_t B = s->block;
	unsigned hl = s->hash.len, wl = s->sig->hdr.hash_len;
	uint64_t gi = off / g->gbytes;
	struct pend *e;
	uint8_t gh[BS_DIGEST_LEN];
	int rc;

	/* never full here: a full queue is waited on before returning */
	e = &g->q[(g->qhead + g->qn) % g->qcap];
	e->off = off;
	e->len = len;
	e->nb = (uint32_t)((len + B - 1) / B);
	for (uint32_t i = 0; i < e->nb; i++) {
		size_t o = (size_t)i * B;

		bs_block_hash(&s->hash, data + o, len - o < B ? len - o : B, e->full + (size_t)i * hl);
		bs_digest_add(&g->rdg, e->full + (size_t)i * hl, hl);
	}
	s->compared += e->nb;
	if (gi < g->base_groups) {
		if (gi >= g->gh_first + g->gh_n && (rc = g_flush_need(g)))
			return rc;
		while (gi >= g->gh_first + g->gh_n)
			if ((rc = g_pull(g)))
				return rc;
		bs_group_hash(&s->hash, e->full, e->nb, gh);
		e->state = memcmp(gh, g->gh + (gi - g->gh_first) * wl, wl) == 0 ? P_SAME : P_NEED;
		g->gh_used = gi - g->gh_first + 1;
	} else {
		e->state = P_ALL;
	}
	if (e->state == P_NEED) {
		if (g->need_n && (g->need_off + g->need_n * g->gbytes != off ||
				  g->need_n == BS_MAX_NEED) && (rc = g_flush_need(g)))
			return rc;
		if (!g->need_n)
			g->need_off = off;
		g->need_n++;
	} else if ((rc = g_flush_need(g))) {
		return rc;
	}
	if (g->qn == 0 && e->state != P_NEED)
		return g_emit(g, e, data);
	/* keep it in order behind the groups still waiting */
	e->data = g->qdata + ((e - g->q) * g->gbytes);
	if (e->state != P_SAME)
		memcpy(e->data, data, len);
	g->qn++;
	if (g->qn == g->qcap)
		return g_wait_head(g);
	return g_drain(g);
}

int
bs_scan_groups(struct bs_scan *s)
{
	struct gscan g;
	struct bs_trailer t;
	uint8_t *buf = bs_alloc(BS_CHUNK);
	uint64_t size = s->src.size;
	int rc = RC_OK;

	memset(&g, 0, sizeof g);
	g.s = s;
	g.G = s->sig->hdr.group;
	g.gbytes = (uint64_t)g.G * s->block;
	g.base_n = s->sig->nblocks;
	g.base_groups = (g.base_n + g.G - 1) / g.G;
	g.gh_first = s->start / g.gbytes;
	g.qcap = (64u << 20) / g.gbytes;
	g.q = xcalloc(g.qcap, sizeof *g.q);
	g.qdata = xmalloc(g.qcap * g.gbytes);
	{
		struct bs_hash ih;

		bs_hash_init(&ih, s->sig->hdr.hash_id, s->sig->hdr.hash_len, s->sig->hdr.seed);
		bs_digest_init(&g.idg, &ih, s->sig->hdr.size, s->start);
	}
	s->ext = xmalloc(BS_MAX_EXTENT);
	s->ext_kind = EXT_NONE;
	s->last_mark = s->pos = s->start;
	s->sig->rd.idle = on_idle;
	s->sig->rd.idle_ctx = s;
	bs_digest_init(&g.rdg, &s->hash, size, s->start);
	for (uint64_t off = s->start; off < size && rc == RC_OK; off += BS_CHUNK) {
		size_t n = size - off < BS_CHUNK ? (size_t)(size - off) : BS_CHUNK;

		if ((rc = bs_src_read(&s->src, buf, n, off)))
			break;
		for (size_t o = 0; o < n && rc == RC_OK; o += g.gbytes)
			rc = g_group(&g, off + o, buf + o, n - o < g.gbytes ? n - o : g.gbytes);
		if (rc == RC_OK)
			rc = g_flush_need(&g);
		show(s, off + n);
	}
	while (rc == RC_OK && g.qn > 0)
		rc = g_wait_head(&g);
	while (rc == RC_OK && !g.ended)
		rc = g_pull(&g);
	if (rc == RC_OK)
		rc = flush_ext(s);
	s->sig->rd.idle = NULL;
	if (rc == RC_OK) {
		memset(&t, 0, sizeof t);
		bs_digest_final(s->pre ? s->pre : &g.rdg, t.result);
		t.size = size;
		memcpy(s->result, t.result, BS_DIGEST_LEN);
		rc = bs_dw_end(&s->dw, &t);
	}
	bs_digest_free(&g.rdg);
	bs_digest_free(&g.idg);
	free(g.q);
	free(g.qdata);
	free(g.gh);
	free(buf);
	free(s->ext);
	s->ext = NULL;
	return rc;
}
