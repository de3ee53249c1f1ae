/* meta_store.c: write struct mfs_meta as a MooseFS 3.0.117 metadata file
 * ("MFSM 2.0", the sections of sections.c in order, end marker), records in the
 * order the real master's hash tables and lists give (docs/moosefs-format.md
 * 1.3, 1.4, 1.6).  metadata.crc is not written (nothing in 3.0.117 reads it). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "lib/err.h"
#include "lib/xio.h"
#include "moosefs/meta.h"
#include "moosefs/sections.h"

struct mfs_wr {
	int fd, err;
	const char *name;
	uint8_t *buf;
	size_t n, cap;
	uint64_t flushed;   /* file offset of buf[0] */
	uint64_t secstart;  /* offset of the current section's length field */
	uint32_t now;       /* wall clock: expired chunk locks are stored as 0 */
};

static void
wr_flush(struct mfs_wr *w)
{
	if (!w->err && w->n && write_full(w->fd, w->buf, w->n) < 0)
		w->err = errno;
	w->flushed += w->n;
	w->n = 0;
}

static uint8_t *
wr_get(struct mfs_wr *w, size_t n)
{
	uint8_t *p;

	if (w->n + n > w->cap) {
		wr_flush(w);
		if (n > w->cap) {
			w->buf = xrealloc(w->buf, n);
			w->cap = n;
		}
	}
	p = w->buf + w->n;
	w->n += n;
	return p;
}

static void
put(struct mfs_wr *w, const void *d, size_t n)
{
	if (n)
		memcpy(wr_get(w, n), d, n);
}

static void
put8(struct mfs_wr *w, uint8_t v)
{
	*wr_get(w, 1) = v;
}

static void
put16(struct mfs_wr *w, uint16_t v)
{
	put_be16(wr_get(w, 2), v);
}

static void
put32(struct mfs_wr *w, uint32_t v)
{
	put_be32(wr_get(w, 4), v);
}

static void
put64(struct mfs_wr *w, uint64_t v)
{
	put_be64(wr_get(w, 8), v);
}

/* Write a record's fields big-endian in fmt's order (the letters of
 * mfs_rd_rec): b and h take a promoted uint8_t or uint16_t, w a uint32_t, q a
 * uint64_t.  The compiler cannot check the values' types against the letters. */
static void
put_rec(struct mfs_wr *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (const char *f = fmt; *f; f++) {
		switch (*f) {
		case 'b': put8(w, (uint8_t)va_arg(ap, int)); break;
		case 'h': put16(w, (uint16_t)va_arg(ap, int)); break;
		case 'w': put32(w, va_arg(ap, uint32_t)); break;
		default: put64(w, va_arg(ap, uint64_t)); break;   /* 'q' */
		}
	}
	va_end(ap);
}

static void
zeros(struct mfs_wr *w, size_t n)
{
	memset(wr_get(w, n), 0, n);
}

static void
sec_begin(struct mfs_wr *w, const char *hdr8)
{
	put(w, hdr8, 8);
	w->secstart = w->flushed + w->n;
	put64(w, UINT64_MAX);
}

static void
sec_end(struct mfs_wr *w)
{
	uint64_t len = w->flushed + w->n - w->secstart - 8;
	uint8_t b[8];

	put_be64(b, len);
	if (w->secstart >= w->flushed) {
		memcpy(w->buf + (w->secstart - w->flushed), b, 8);
	} else if (!w->err && pwrite_full(w->fd, b, 8, w->secstart) < 0) {
		w->err = errno;
	}
}

/* (bucket, newest first): the age m->seq - seq takes only as many bits as
 * m->seq has (sb), so the radix sort makes fewer passes.  Never NOKEY: a
 * live element's seq is at least 1. */
static uint64_t
seqkey(const struct mfs_meta *m, uint32_t bucket, uint32_t seq)
{
	int sb = m->seq ? 32 - __builtin_clz(m->seq) : 1;

	return (uint64_t)bucket << sb | (m->seq - seq);
}

/* The sections whose records are stored in (hash bucket, newest first) order */
enum { K_SESS, K_NODE, K_QUOT, K_XATR, K_PACL, K_OPEN, K_CSDB, K_CHNK, K_SESS4, K_CHNK4 };
#define NOKEY UINT64_MAX    /* not stored (a bucket is at most 24 bits) */

/* element i of section sec: the master's bucket and our insertion order */
static uint64_t
store_key(const struct mfs_meta *m, int sec, uint32_t i)
{
	uint32_t mask = m->nodehash_bits >= 32 ? 0xFFFFFFFFu : (1u << m->nodehash_bits) - 1;

	switch (sec) {
	case K_SESS:
	case K_SESS4:
		return m->sess.v[i].alive ? seqkey(m, m->sess.v[i].id % 256, m->sess.v[i].seq) : NOKEY;
	case K_NODE:
		return m->nodes.v[i].inode ? seqkey(m, mfs_hash32(m->nodes.v[i].inode) & mask, m->nodes.v[i].seq) : NOKEY;
	case K_QUOT:
		return m->quota.v[i].alive ? seqkey(m, 0, m->quota.v[i].seq) : NOKEY;
	case K_XATR:
		return m->xent.v[i].alive && m->xent.v[i].head ?
			seqkey(m, m->xent.v[i].inode & 0xFFFFF, m->xent.v[i].seq) : NOKEY;
	case K_PACL: {
		const struct mfs_acl *a = &m->acl.v[i];
		return a->alive ? seqkey(m, (a->inode * 0x56BF7623u + a->type) & 0xFFFFF, a->seq) : NOKEY;
	}
	case K_OPEN:
		return m->open.v[i].alive ? seqkey(m, m->open.v[i].sess % 4096, m->open.v[i].seq) : NOKEY;
	case K_CSDB: {
		const struct mfs_cs *c = &m->cs.v[i];
		return c->alive ? seqkey(m, mfs_hash32(c->ip ^ ((uint32_t)c->port << 16)) % 256, c->seq) : NOKEY;
	}
	default:   /* K_CHNK, K_CHNK4 */
		return m->chunks.v[i].id ?
			seqkey(m, mfs_hash32((uint32_t)m->chunks.v[i].id) & 0xFFFFFF, m->chunks.v[i].seq) : NOKEY;
	}
}

/* The elements first..n-1 of section sec in store order (*k of them), in
 * mfs_sort_buf's buffer */
static struct mfs_sortent *
store_order(const struct mfs_meta *m, int sec, uint32_t first, uint32_t n, size_t *k)
{
	struct mfs_sortent *s = mfs_sort_buf((size_t)n + 1);

	*k = 0;
	for (uint32_t i = first; i < n; i++) {
		uint64_t key = store_key(m, sec, i);
		if (key != NOKEY)
			s[(*k)++] = (struct mfs_sortent){ key, i };
	}
	mfs_sort(s, *k);
	return s;
}

/* a node record: the common fields, then what its type has */
static void
store_node(struct mfs_wr *w, struct mfs_node *n)
{
	/* "bwbbbhwwwwwh" written field by field (the hottest record) */
	uint8_t *p = wr_get(w, 32);

	p[0] = n->type;
	put_be32(p + 1, n->inode);
	p[5] = n->sclass;
	p[6] = n->eattr;
	p[7] = n->winattr;
	put_be16(p + 8, n->mode);
	put_be32(p + 10, n->uid);
	put_be32(p + 14, n->gid);
	put_be32(p + 18, n->atime);
	put_be32(p + 22, n->mtime);
	put_be32(p + 26, n->ctime);
	put_be16(p + 30, n->trashtime);
	switch (n->type) {
	case MFS_T_BLOCKDEV:
	case MFS_T_CHARDEV:
		put32(w, n->u.rdev);
		break;
	case MFS_T_SYMLINK:
		put32(w, n->u.s.len);
		put(w, n->u.s.path, n->u.s.len);
		break;
	case MFS_T_FILE:
	case MFS_T_TRASH:
	case MFS_T_SUSTAINED: {
		uint64_t *t = mfs_chunks(n);
		uint32_t ch = n->u.f.nch;
		while (ch > 0 && t[ch - 1] == 0)
			ch--;
		p = wr_get(w, 12);
		put_be64(p, n->u.f.length);
		put_be32(p + 8, ch);
		for (uint32_t i = 0; i < ch; i++)
			put64(w, t[i]);
		break;
	}
	default:
		break;
	}
}

/* a 4.x chunk record: lockedto as is, the class pairs (docs/moosefs-format.md) */
static void
store_chunk4(struct mfs_meta *m, struct mfs_wr *w, const struct mfs_chunk *c)
{
	uint8_t fl = c->arch;

	if (c->npairs > 255)
		fl |= 0x80;
	put_rec(w, "qwwbb", c->id, c->version, c->lockedto, fl, c->npairs & 0xFF);
	if (c->npairs == 1) {
		put32(w, (uint32_t)c->sclassid << 24 | (c->pairs & 0xFFFFFF));
	} else if (c->npairs > 1) {
		for (uint32_t k = 0; k < c->npairs; k++)
			put32(w, m->cpairs.v[c->pairs + k]);
		put8(w, c->sclassid);
	}
}

/* element i of sorted section sec: its record */
static void
store_rec(struct mfs_meta *m, struct mfs_wr *w, int sec, uint32_t i)
{
	switch (sec) {
	case K_SESS: {
		const struct mfs_session *x = &m->sess.v[i];
		put_rec(w, "wqwwwbhbbwwwwwwww", x->id, x->csum, x->ileng, x->ip, x->rootinode, x->sesflags, x->umask,
			x->mingoal, x->maxgoal, x->mintrash, x->maxtrash, x->rootuid, x->rootgid, x->mapalluid,
			x->mapallgid, x->disables, x->disconnected);
		for (int j = 0; j < 32; j++)
			put32(w, x->stats[j]);
		put(w, x->info, x->ileng);
		break;
	}
	case K_NODE:
		store_node(w, &m->nodes.v[i]);
		break;
	case K_QUOT: {
		const struct mfs_quota *q = &m->quota.v[i];
		put_rec(w, "wwbbwwwqqqqqq", q->inode, q->grace, q->exceeded, q->flags, q->stimestamp, q->sinodes,
			q->hinodes, q->slength, q->hlength, q->ssize, q->hsize, q->srealsize, q->hrealsize);
		break;
	}
	case K_XATR:
		for (uint32_t p = m->xent.v[i].head; p; p = m->xpair.v[p].next) {
			const struct mfs_xpair *a = &m->xpair.v[p];
			put_rec(w, "wbw", m->xent.v[i].inode, a->nleng, a->vleng);
			put(w, a->name, a->nleng);
			put(w, a->value, a->vleng);
		}
		break;
	case K_PACL: {
		const struct mfs_acl *a = &m->acl.v[i];
		put_rec(w, "wbhhhhhh", a->inode, a->type, a->perm[0], a->perm[1], a->perm[2], a->perm[3], a->nu, a->ng);
		put(w, a->named, ((size_t)a->nu + a->ng) * 6);
		break;
	}
	case K_OPEN:
		put_rec(w, "ww", m->open.v[i].sess, m->open.v[i].inode);
		break;
	case K_CSDB: {
		const struct mfs_cs *c = &m->cs.v[i];
		put_rec(w, "whhbw", c->ip, c->port, c->csid, c->maint, c->mto);
		break;
	}
	case K_SESS4: {
		const struct mfs_session *x = &m->sess.v[i];
		put_rec(w, "wqwwwbhhwwwwwwww", x->id, x->csum, x->ileng, x->ip, x->rootinode, x->sesflags, x->umask,
			x->sclassgroups, x->mintrash, x->maxtrash, x->rootuid, x->rootgid, x->mapalluid,
			x->mapallgid, x->disables, x->disconnected);
		put(w, x->info, x->ileng);
		break;
	}
	case K_CHNK4:
		store_chunk4(m, w, &m->chunks.v[i]);
		break;
	default: {   /* K_CHNK: a lock that has expired is stored as none */
		const struct mfs_chunk *c = &m->chunks.v[i];
		put_rec(w, "qwwb", c->id, c->version, c->lockedto < w->now ? 0 : c->lockedto, c->arch);
		break;
	}
	}
}

/* the live nodes in NODE store order, which is also the master's node hash
 * order (for the 4.x upgrade's file-to-chunk pass); *k of them, in
 * mfs_sort_buf's buffer */
struct mfs_sortent *
mfs_node_order(const struct mfs_meta *m, size_t *k)
{
	return store_order(m, K_NODE, 1, m->nodes.n, k);
}

#define STORE_AHEAD 8

/* The records of section sec (elements first..n-1) in store order, after
 * their count when counted */
static void
store_sorted(struct mfs_meta *m, struct mfs_wr *w, int sec, uint32_t first, uint32_t n, int counted)
{
	size_t k;
	struct mfs_sortent *s = store_order(m, sec, first, n, &k);

	if (counted)
		put32(w, (uint32_t)k);
	for (size_t j = 0; j < k; j++) {
		/* the order is a hash order: fetch the elements ahead */
		if (j + STORE_AHEAD < k) {
			uint32_t a = s[j + STORE_AHEAD].idx;
			if (sec == K_NODE)
				__builtin_prefetch(&m->nodes.v[a]);
			else if (sec == K_CHNK || sec == K_CHNK4)
				__builtin_prefetch(&m->chunks.v[a]);
		}
		store_rec(m, w, sec, s[j].idx);
	}
}

/* mfs_store_NAME: sorted section SEC of vector VEC from element FIRST, then
 * ZEROS bytes of end marker */
#define STORED(NAME, SEC, VEC, FIRST, COUNTED, ZEROS) \
	void mfs_store_##NAME(struct mfs_meta *m, struct mfs_wr *w) \
	{ \
		store_sorted(m, w, SEC, FIRST, m->VEC.n, COUNTED); \
		zeros(w, ZEROS); \
	}

STORED(quota, K_QUOT, quota, 1, 1, 0)
STORED(xattr, K_XATR, xent, 1, 0, 9)
STORED(acl, K_PACL, acl, 1, 0, 17)
STORED(open, K_OPEN, open, 1, 0, 8)
STORED(csdb, K_CSDB, cs, 0, 1, 0)

void
mfs_store_sess(struct mfs_meta *m, struct mfs_wr *w)
{
	put_rec(w, "wh", m->nextsessionid, 16);
	store_sorted(m, w, K_SESS, 0, m->sess.n, 0);
	zeros(w, 61 + 16 * 8);
}

void
mfs_store_scla(struct mfs_meta *m, struct mfs_wr *w)
{
	put8(w, 4);
	for (uint32_t id = 1; id < m->sc_firstneverused && id < 256; id++) {
		const struct mfs_sclass *c = m->sc[id];
		if (!c || !c->nleng)
			continue;
		put_rec(w, "hbbbhbbb", id, c->nleng, c->admin, c->mode, c->delay, c->create, c->keep, c->arch);
		put(w, c->name, c->nleng);
		for (int i = 0; i < c->create + c->keep + c->arch; i++)
			for (int j = 0; j < 4; j++)
				put32(w, c->masks[i][j]);
	}
	zeros(w, 10);
}

void
mfs_store_sess4(struct mfs_meta *m, struct mfs_wr *w)
{
	put_rec(w, "wh", m->nextsessionid, 0);
	store_sorted(m, w, K_SESS4, 0, m->sess.n, 0);
	zeros(w, 61);
}

void
mfs_store_scla4(struct mfs_meta *m, struct mfs_wr *w)
{
	put_rec(w, "hb", m->sc4_exprsize, m->sc4_ecver);
	for (uint32_t id = 1; id < m->sc_firstneverused && id < 256; id++) {
		const struct mfs_sclass *c = m->sc[id];
		if (!c || !c->nleng || !c->rec4)
			continue;
		put16(w, (uint16_t)id);
		put(w, c->rec4, c->rec4len);
	}
	zeros(w, 2);
}

void
mfs_store_patt(struct mfs_meta *m, struct mfs_wr *w)
{
	for (uint32_t i = 0; i < m->patt.n; i++)
		if (m->patt.v[i].len)
			put(w, m->patt.v[i].rec, m->patt.v[i].len);
	put_rec(w, "bww", 0, 0xFFFFFFFFu, 0xFFFFFFFFu);
}

void
mfs_store_nodes(struct mfs_meta *m, struct mfs_wr *w)
{
	put32(w, m->maxnodeid);
	store_sorted(m, w, K_NODE, 1, m->nodes.n, 1);
	put8(w, 0);
}

/* one list of names (a directory's, or a trash bucket's: pinode 0) */
static void
put_edge_list(struct mfs_meta *m, struct mfs_wr *w, uint32_t pinode, uint32_t e)
{
	for (; e; e = m->edges.v[e].next) {
		const struct mfs_edge *x = &m->edges.v[e];
		uint8_t *p = wr_get(w, 18 + (size_t)x->nleng);
		put_be32(p, pinode);
		put_be32(p + 4, x->cinode);
		put_be64(p + 8, x->edgeid);
		put_be16(p + 16, x->nleng);
		memcpy(p + 18, x->name, x->nleng);
	}
}

void
mfs_store_edges(struct mfs_meta *m, struct mfs_wr *w)
{
	/* depth-first like the master's recursion, without deep C recursion */
	uint32_t *stack = NULL;
	size_t cap = 0, sp = 0;

	put64(w, m->nextedgeid);
	if (m->root) {
		put_edge_list(m, w, 1, m->nodes.v[m->root].u.d.head);
		xgrow((void **)&stack, &cap, 1, sizeof *stack);
		stack[sp++] = m->nodes.v[m->root].u.d.head;
	}
	while (sp) {
		uint32_t e = stack[sp - 1];
		while (e && !m->edges.v[e].cdir)
			e = m->edges.v[e].next;
		if (!e) {
			sp--;
			continue;
		}
		stack[sp - 1] = m->edges.v[e].next;
		{
			uint32_t c = m->edges.v[e].child;
			put_edge_list(m, w, m->nodes.v[c].inode, m->nodes.v[c].u.d.head);
			xgrow((void **)&stack, &cap, sp + 1, sizeof *stack);
			stack[sp++] = m->nodes.v[c].u.d.head;
		}
	}
	free(stack);
	for (uint32_t b = 0; b < MFS_TRASH_BUCKETS; b++)
		put_edge_list(m, w, 0, m->trash_head[b]);
	for (uint32_t b = 0; b < MFS_SUSTAINED_BUCKETS; b++)
		put_edge_list(m, w, 0, m->sust_head[b]);
	zeros(w, 18);
}

void
mfs_store_free(struct mfs_meta *m, struct mfs_wr *w)
{
	put32(w, m->freel.n - m->free_first);
	for (uint32_t i = m->free_first; i < m->freel.n; i++)
		put_rec(w, "ww", m->freel.v[i].inode, m->freel.v[i].ftime);
}

static uint32_t
lockino_seq(const struct mfs_lockino *v, uint32_t n, uint32_t inode)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i].alive && v[i].inode == inode)
			return v[i].seq;
	return 0;
}

struct lk { uint32_t bucket, iseq, s1; uint64_t s2; uint32_t idx; };

static int
ucmp(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

/* by bucket, then inode record LIFO, then the lock's own order */
static int
lk_cmp(const void *a, const void *b)
{
	const struct lk *x = a, *y = b;
	int c = ucmp(x->bucket, y->bucket);

	c = c ? c : ucmp(y->iseq, x->iseq);
	c = c ? c : ucmp(x->s1, y->s1);
	return c ? c : ucmp(x->s2, y->s2);
}

/* FLCK (posix 0) and PLCK: the lock records, ordered like the master's */
static void
store_locks(struct mfs_meta *m, struct mfs_wr *w, int posix)
{
	uint32_t n = posix ? m->plock.n : m->flock.n;
	const struct mfs_lockino *ino = posix ? m->plino.v : m->flino.v;
	uint32_t nino = posix ? m->plino.n : m->flino.n;
	struct lk *s = xmalloc(((size_t)n + 1) * sizeof *s);
	size_t k = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct lk l = { .idx = i };
		uint32_t inode, alive;
		if (posix) {
			const struct mfs_plock *p = &m->plock.v[i];
			inode = p->inode;
			alive = p->alive;
			l.s1 = p->oseq;
			l.s2 = p->start;
		} else {
			const struct mfs_flock *f = &m->flock.v[i];
			inode = f->inode;
			alive = f->alive;
			l.s1 = 0xFFFFFFFFu - f->seq;
		}
		if (!alive)
			continue;
		l.bucket = (inode * 0x738A2379u) % 1024;
		l.iseq = lockino_seq(ino, nino, inode);
		s[k++] = l;
	}
	qsort(s, k, sizeof *s, lk_cmp);
	for (size_t j = 0; j < k; j++) {
		if (posix) {
			const struct mfs_plock *p = &m->plock.v[s[j].idx];
			put_rec(w, "wqwwqqb", p->inode, p->owner, p->sess, p->pid, p->start, p->end, p->type);
		} else {
			const struct mfs_flock *f = &m->flock.v[s[j].idx];
			put_rec(w, "wqwb", f->inode, f->owner, f->sess, f->type);
		}
	}
	zeros(w, posix ? 37 : 17);
	free(s);
}

void
mfs_store_flock(struct mfs_meta *m, struct mfs_wr *w)
{
	store_locks(m, w, 0);
}

void
mfs_store_plock(struct mfs_meta *m, struct mfs_wr *w)
{
	store_locks(m, w, 1);
}

void
mfs_store_chunks(struct mfs_meta *m, struct mfs_wr *w)
{
	put64(w, m->nextchunkid);
	store_sorted(m, w, K_CHNK, 1, m->chunks.n, 0);
	zeros(w, 17);
}

/* An approximation of 4.59.2's sclass_get_joining_priority, which picks the
 * class of a chunk that files of several classes share: its priority, then
 * its keep copies, then the id. */
uint64_t
mfs_sc_joinpri(const struct mfs_meta *m, uint8_t sc)
{
	const struct mfs_sclass *c = m->sc[sc];

	if (!c || !c->rec4)
		return sc;
	return (uint64_t)get_be32(c->rec4 + 2) << 16 | (uint64_t)c->rec4[28] << 8 | sc;
}

/* one changed chunk's pairs from its (class, count) list cl (n of them, by
 * class): classes it had keep their place, new ones go first (as
 * chunk_add_file puts them) */
static void
chunk4_set(struct mfs_meta *m, struct mfs_chunk *c, const uint32_t *cl, uint32_t n)
{
	uint32_t old[512], no = 0, k;

	c->npairs &= (uint16_t)~MFS_CP_DIRTY;
	if (c->npairs == 1)
		old[no++] = (uint32_t)c->sclassid << 24;
	for (uint32_t i = 0; c->npairs > 1 && i < c->npairs && no < 512; i++)
		old[no++] = m->cpairs.v[c->pairs + i];
	c->npairs = (uint16_t)(n > 511 ? 511 : n);
	if (n == 0) {
		c->sclassid = 0;
		c->pairs = 0;
		return;
	}
	if (n == 1) {
		c->sclassid = (uint8_t)(cl[0] >> 24);
		c->pairs = cl[0] & 0xFFFFFF;
		return;
	}
	c->pairs = m->cpairs.n;
	for (uint32_t i = 0; i < n; i++) {      /* new classes first */
		int had = 0;
		for (uint32_t j = 0; j < no; j++)
			had |= old[j] >> 24 == cl[i] >> 24;
		if (!had) {
			k = MFS_VEC_ADD(m->cpairs);
			m->cpairs.v[k] = cl[i];
		}
	}
	for (uint32_t j = 0; j < no; j++)
		for (uint32_t i = 0; i < n; i++)
			if (old[j] >> 24 == cl[i] >> 24) {
				k = MFS_VEC_ADD(m->cpairs);
				m->cpairs.v[k] = cl[i];
			}
	c->sclassid = (uint8_t)(cl[0] >> 24);
	for (uint32_t i = 1; i < n; i++)
		if (mfs_sc_joinpri(m, (uint8_t)(cl[i] >> 24)) > mfs_sc_joinpri(m, c->sclassid))
			c->sclassid = (uint8_t)(cl[i] >> 24);
}

/* The chunks replay changed (MFS_CP_DIRTY) get their (class, file count)
 * pairs from the files that use them now. */
static void
chunks4_recount(struct mfs_meta *m)
{
	struct mfs_sortent *s = NULL;
	size_t n = 0, cap = 0, i = 0;
	uint32_t *cl = NULL;
	size_t clcap = 0;

	for (uint32_t x = 1; x < m->nodes.n; x++) {
		struct mfs_node *nd = &m->nodes.v[x];
		uint64_t *t;
		if (!nd->inode || (nd->type != MFS_T_FILE && nd->type != MFS_T_TRASH && nd->type != MFS_T_SUSTAINED))
			continue;
		t = mfs_chunks(nd);
		for (uint32_t k = 0; k < nd->u.f.nch; k++) {
			struct mfs_chunk *c = t[k] ? mfs_chunk_get(m, t[k]) : NULL;
			if (!c || !(c->npairs & MFS_CP_DIRTY))
				continue;
			xgrow((void **)&s, &cap, n + 1, sizeof *s);
			s[n++] = (struct mfs_sortent){ (uint64_t)(c - m->chunks.v) << 8 | nd->sclass, 0 };
		}
	}
	mfs_sort(s, n);
	for (uint32_t ci = 1; ci < m->chunks.n; ci++) {
		struct mfs_chunk *c = &m->chunks.v[ci];
		uint32_t ncl = 0;
		if (!c->id || !(c->npairs & MFS_CP_DIRTY))
			continue;
		while (i < n && (s[i].key >> 8) < ci)
			i++;
		while (i < n && (s[i].key >> 8) == ci) {
			uint32_t sc = (uint32_t)(s[i].key & 0xFF), cnt = 0;
			while (i < n && s[i].key == ((uint64_t)ci << 8 | sc)) {
				cnt++;
				i++;
			}
			xgrow((void **)&cl, &clcap, ncl + 1, sizeof *cl);
			cl[ncl++] = sc << 24 | (cnt & 0xFFFFFF);
		}
		chunk4_set(m, c, cl, ncl);
	}
	free(s);
	free(cl);
}

void
mfs_store_chunks4(struct mfs_meta *m, struct mfs_wr *w)
{
	chunks4_recount(m);
	put64(w, m->nextchunkid);
	store_sorted(m, w, K_CHNK4, 1, m->chunks.n, 0);
	zeros(w, 18);
}

int
mfs_store_fd(struct mfs_meta *m, int fd, const char *name, uint32_t now)
{
	struct mfs_wr w = { .fd = fd, .name = name, .cap = 1u << 20, .now = now };

	w.buf = xmalloc(w.cap);
	put(&w, "MFSM 2.0", 8);
	put64(&w, m->version);
	put64(&w, m->metaid);
	for (size_t i = 0; i < mfs_nsections; i++) {
		const struct mfs_section *t = &mfs_sections[i];
		char hdr[16];
		if (!t->store || (t->family && t->family != m->family))
			continue;
		/* '0' + minor, as the master writes it: 4.x's SCLA 1.C is "1.<" */
		snprintf(hdr, sizeof hdr, "%.4s %c.%c", t->tag, '0' + (t->ver >> 4), '0' + (t->ver & 15));
		sec_begin(&w, hdr);
		t->store(m, &w);
		sec_end(&w);
	}
	put(&w, MFS_EOF_MARKER, 16);
	wr_flush(&w);
	free(w.buf);
	if (w.err) {
		errno = w.err;
		warn_sys(RC_IO, "%s: write error", name);
		return RC_IO;
	}
	return RC_OK;
}
