/* meta_core.c: the in-memory MooseFS metadata containers (see meta.h):
 * index tables, node/edge/chunk vectors, the used-inode bitmap, string
 * arena and the radix sort used to reproduce the master's record orders.
 * Spec: docs/moosefs-format.md sections 1.6, 1.8 and 2.5. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "lib/err.h"
#include "lib/xio.h"
#include "moosefs/meta.h"

uint32_t
mfs_hash32(uint32_t k)
{
	k = ~k + (k << 15);
	k ^= k >> 12;
	k += k << 2;
	k ^= k >> 4;
	k *= 2057;
	k ^= k >> 16;
	return k;
}

uint64_t
mfs_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* The maps from a key to an element's index: KEY(m, idx) is the element's
 * 64-bit key; NAME_eq matches it against *(const uint64_t *)key and NAME_rh
 * hashes it again when the table grows (LINK: static or exported). */
#define KEYED(LINK, NAME, KEY) \
	static uint64_t NAME##_key(const struct mfs_meta *m, uint32_t idx) \
	{ \
		return KEY; \
	} \
	static int NAME##_eq(const void *ctx, uint32_t idx, const void *key) \
	{ \
		return NAME##_key(ctx, idx) == *(const uint64_t *)key; \
	} \
	LINK uint64_t NAME##_rh(const void *ctx, uint32_t idx) \
	{ \
		return mfs_mix64(NAME##_key(ctx, idx)); \
	}

KEYED(static, node, m->nodes.v[idx].inode)
KEYED(static, chunk, m->chunks.v[idx].id)
KEYED(, mfs_xent, m->xent.v[idx].inode)
KEYED(, mfs_acl, (uint64_t)m->acl.v[idx].inode * 2 + m->acl.v[idx].type - 1)
KEYED(static, open, (uint64_t)m->open.v[idx].sess << 32 | m->open.v[idx].inode)
KEYED(static, ocnt, m->ocnt.v[idx].inode)

/* The element at the head of a free list (linked through the uint32_t at
 * linkoff of each element), zeroed; the head moves to the next one. */
static uint32_t
free_take(void *v, size_t size, uint32_t *head, size_t linkoff)
{
	uint32_t i = *head;
	char *e = (char *)v + (size_t)i * size;

	memcpy(head, e + linkoff, sizeof *head);
	memset(e, 0, size);
	return i;
}

/* Keys are dense (the master hands out the lowest free inode and the next
 * chunk id), so a plain array indexed by key is the fast map; keys far beyond
 * the element count (damaged or fuzzed files) go to the hash table instead.
 * Grow the array (*direct, *nd slots) to hold key, and move the hashed
 * entries that now fall into it. */
static void
direct_grow(struct mfs_meta *m, uint32_t **direct, uint32_t *nd, struct mfs_idmap *map, uint32_t count,
	    uint64_t key, mfs_idmap_eq eq, mfs_idmap_hash rh)
{
	uint64_t lim = (uint64_t)count * 2 + (1u << 16);
	uint32_t n = *nd ? *nd : 1024;

	if (key < *nd || key >= lim)
		return;
	while (n <= key)
		n *= 2;
	if (n > lim)
		n = (uint32_t)lim;
	*direct = xrealloc(*direct, (size_t)n * sizeof **direct);
	memset(*direct + *nd, 0, (size_t)(n - *nd) * sizeof **direct);
	if (map->count) {
		for (uint64_t k = *nd; k < n; k++) {
			uint32_t x = mfs_idmap_find(map, mfs_mix64(k), eq, m, &k);
			if (x) {
				mfs_idmap_del(map, mfs_mix64(k), x, rh, m);
				(*direct)[k] = x;
			}
		}
	}
	*nd = n;
}

/* ---- index tables ----
 * Slots hold (hash tag << 32 | index).  The tag is the hash's high half; it
 * also gives the home slot, so growing and deleting never rehash keys, and
 * most mismatches are rejected without touching the element. */

#define TAG(h) ((uint32_t)((h) >> 32))

static void
idmap_resize(struct mfs_idmap *t, uint32_t size)
{
	uint64_t *old = t->slot;
	uint32_t oldsize = t->slot ? t->mask + 1 : 0;

	t->slot = xcalloc(size, sizeof *t->slot);
	t->mask = size - 1;
	for (uint32_t i = 0; i < oldsize; i++) {
		if (old[i]) {
			uint32_t j = (uint32_t)(old[i] >> 32) & t->mask;
			while (t->slot[j])
				j = (j + 1) & t->mask;
			t->slot[j] = old[i];
		}
	}
	free(old);
}

void
mfs_idmap_reserve(struct mfs_idmap *t, uint32_t n, mfs_idmap_hash rh, const void *ctx)
{
	uint32_t size = 64;

	(void)rh;
	(void)ctx;
	while (size < (1u << 30) && (uint64_t)n * 4 > (uint64_t)size * 3)
		size *= 2;
	if (!t->slot || size > t->mask + 1)
		idmap_resize(t, size);
}

uint32_t
mfs_idmap_find(const struct mfs_idmap *t, uint64_t h, mfs_idmap_eq eq, const void *ctx, const void *key)
{
	uint32_t tag = TAG(h);

	if (!t->slot)
		return 0;
	for (uint32_t i = tag & t->mask; t->slot[i]; i = (i + 1) & t->mask)
		if ((uint32_t)(t->slot[i] >> 32) == tag && eq(ctx, (uint32_t)t->slot[i], key))
			return (uint32_t)t->slot[i];
	return 0;
}

void
mfs_idmap_put(struct mfs_idmap *t, uint64_t h, uint32_t idx, mfs_idmap_hash rh, const void *ctx)
{
	uint32_t i, tag = TAG(h);

	(void)rh;
	(void)ctx;
	if (!t->slot || (uint64_t)(t->count + 1) * 4 > (uint64_t)(t->mask + 1) * 3)
		idmap_resize(t, t->slot ? (t->mask + 1) * 2 : 64);
	for (i = tag & t->mask; t->slot[i]; i = (i + 1) & t->mask)
		;
	t->slot[i] = (uint64_t)tag << 32 | idx;
	t->count++;
}

void
mfs_idmap_del(struct mfs_idmap *t, uint64_t h, uint32_t idx, mfs_idmap_hash rh, const void *ctx)
{
	uint32_t i, j, tag = TAG(h);

	(void)rh;
	(void)ctx;
	if (!t->slot)
		return;
	for (i = tag & t->mask; t->slot[i] && (uint32_t)t->slot[i] != idx; i = (i + 1) & t->mask)
		;
	if (!t->slot[i])
		return;
	t->slot[i] = 0;
	t->count--;
	/* backward-shift deletion keeps probe chains unbroken */
	for (j = (i + 1) & t->mask; t->slot[j]; j = (j + 1) & t->mask) {
		uint32_t home = (uint32_t)(t->slot[j] >> 32) & t->mask;
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slot[i] = t->slot[j];
			t->slot[j] = 0;
			i = j;
		}
	}
}

void
mfs_idmap_free(struct mfs_idmap *t)
{
	free(t->slot);
	memset(t, 0, sizeof *t);
}

/* ---- arena ---- */

const char *
mfs_strdup(struct mfs_meta *m, const void *s, size_t n)
{
	struct mfs_arena *a = &m->ar;
	char *p;

	if (n == 0)
		return "";
	if (n > a->left) {
		/* blocks grow from 16 KiB to 1 MiB: small files stay small */
		size_t sz = a->nblocks < 6 ? (size_t)16384 << a->nblocks : (1u << 20);
		if (sz < n)
			sz = n;
		xgrow((void **)&a->blocks, &a->capblocks, a->nblocks + 1, sizeof *a->blocks);
		a->cur = a->blocks[a->nblocks++] = xmalloc(sz);
		a->left = sz;
	}
	p = a->cur;
	memcpy(p, s, n);
	a->cur += n;
	a->left -= n;
	a->used += n;
	return p;
}

/* ---- init / free ---- */

void
mfs_sclass_defaults(struct mfs_meta *m)
{
	for (int i = 1; i <= 9; i++) {
		struct mfs_sclass *c = m->sc[i];
		if (!c)
			c = m->sc[i] = xcalloc(1, sizeof *c);
		else
			memset(c, 0, sizeof *c);
		c->nleng = 1;
		c->name[0] = (char)('0' + i);
		c->mode = 1;
		c->create = c->keep = c->arch = (uint8_t)i;
	}
	if (m->sc_firstneverused < 10)
		m->sc_firstneverused = 10;
}

void
mfs_sclass_count(struct mfs_meta *m, const struct mfs_node *n, int d)
{
	struct mfs_sclass *sc = m->sc[n->sclass];

	if (!sc)
		return;
	if (n->type == MFS_T_DIR)
		sc->dirs += (uint32_t)d;
	else if (n->type == MFS_T_FILE || n->type == MFS_T_TRASH || n->type == MFS_T_SUSTAINED)
		sc->files += (uint32_t)d;
}

void
mfs_init(struct mfs_meta *m)
{
	memset(m, 0, sizeof *m);
	/* element 0 of every vector is a placeholder: index 0 means "none" */
	(void)MFS_VEC_ADD(m->nodes);
	(void)MFS_VEC_ADD(m->edges);
	(void)MFS_VEC_ADD(m->chunks);
	(void)MFS_VEC_ADD(m->xent);
	(void)MFS_VEC_ADD(m->xpair);
	(void)MFS_VEC_ADD(m->acl);
	(void)MFS_VEC_ADD(m->open);
	(void)MFS_VEC_ADD(m->quota);
	(void)MFS_VEC_ADD(m->ocnt);
	m->nodehash_bits = 24;
	m->nextedgeid = 0x7FFFFFFFFFFFFFFEULL;
	m->nextchunkid = 1;
	m->nextsessionid = 1;
	m->version = 1;
	m->family = 3;
	mfs_used_set(m, 0);
	mfs_sclass_defaults(m);
}

void
mfs_init_new(struct mfs_meta *m, uint32_t now)
{
	uint32_t r;
	struct mfs_node *n;

	mfs_init(m);
	m->empty = 1;
	r = mfs_node_add(m, 1, MFS_T_DIR);
	n = &m->nodes.v[r];
	n->mode = 0777;
	n->sclass = 2;
	n->trashtime = 24;
	n->atime = n->mtime = n->ctime = now;
	m->sc[2]->dirs++;
	m->maxnodeid = 1;
	m->root = r;
}

void
mfs_free(struct mfs_meta *m)
{
	void *blocks[] = {
		m->nodes.v, m->edges.v, m->chunks.v, m->sess.v, m->quota.v, m->xent.v, m->xpair.v,
		m->acl.v, m->open.v, m->ocnt.v, m->flino.v, m->plino.v, m->flock.v, m->plock.v,
		m->cs.v, m->freel.v, m->patt.v, m->cpairs.v, m->usedmap, m->direct, m->cdirect,
	};
	struct mfs_idmap *maps[] = {
		&m->node_map, &m->edge_map, &m->chunk_map, &m->xent_map, &m->acl_map, &m->open_map, &m->ocnt_map,
	};

	for (uint32_t i = 1; i < m->nodes.n; i++) {
		struct mfs_node *n = &m->nodes.v[i];
		if (n->inode && (n->type == MFS_T_FILE || n->type == MFS_T_TRASH ||
				 n->type == MFS_T_SUSTAINED) && n->u.f.cap > 1)
			free(n->u.f.ch.many);
	}
	for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
		free(blocks[i]);
	for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++)
		mfs_idmap_free(maps[i]);
	for (int i = 0; i < 256; i++)
		free(m->sc[i]);
	for (size_t i = 0; i < m->ar.nblocks; i++)
		free(m->ar.blocks[i]);
	free(m->ar.blocks);
	free(m->scratch[0]);
	free(m->scratch[1]);
	mfs_sort_release();
	memset(m, 0, sizeof *m);
}

/* ---- used inode bitmap ---- */

void
mfs_used_set(struct mfs_meta *m, uint32_t inode)
{
	uint32_t w = inode >> 5;

	if (w >= m->usedwords) {
		uint32_t nw = m->usedwords ? m->usedwords : 128;
		while (nw <= w)
			nw = nw > 0x4000000 ? 0x8000000 : nw * 2;
		m->usedmap = xrealloc(m->usedmap, (size_t)nw * 4);
		memset(m->usedmap + m->usedwords, 0, (size_t)(nw - m->usedwords) * 4);
		m->usedwords = nw;
	}
	m->usedmap[w] |= 1u << (inode & 31);
}

void
mfs_used_clear(struct mfs_meta *m, uint32_t inode)
{
	uint32_t w = inode >> 5;

	if (w < m->usedwords) {
		m->usedmap[w] &= ~(1u << (inode & 31));
		if (w < m->searchpos)
			m->searchpos = w;
	}
}

uint32_t
mfs_inode_alloc(struct mfs_meta *m)
{
	uint32_t i;

	while (m->searchpos < m->usedwords && m->usedmap[m->searchpos] == 0xFFFFFFFFu)
		m->searchpos++;
	i = (m->searchpos << 5);
	if (m->searchpos < m->usedwords)
		i += (uint32_t)__builtin_ctz(~m->usedmap[m->searchpos]);
	mfs_used_set(m, i);
	if (i > m->maxnodeid)
		m->maxnodeid = i;
	return i;
}

/* ---- nodes ---- */

static uint64_t edge_rh_pub(const void *ctx, uint32_t idx);

uint32_t
mfs_node_idx(struct mfs_meta *m, uint32_t inode)
{
	uint64_t k = inode;

	if (inode < m->ndirect)
		return m->direct[inode];
	return mfs_idmap_find(&m->node_map, mfs_mix64(k), node_eq, m, &k);
}

/* Sizing the inode array up front (from the header's count and highest
 * inode) keeps loading from hashing inodes that arrive in hash order, only
 * to move them into the array when it grows. */
void
mfs_reserve(struct mfs_meta *m, uint32_t nodes, uint32_t maxinode)
{
	if (nodes > (1u << 26))
		nodes = 1u << 26;
	/* twice the room: replay grows the vectors without copying them, and
	 * pages never touched cost no memory */
	xgrow((void **)&m->nodes.v, &m->nodes.cap, (size_t)nodes * 2 + 1, sizeof *m->nodes.v);
	xgrow((void **)&m->edges.v, &m->edges.cap, (size_t)nodes * 2 + 1, sizeof *m->edges.v);
	direct_grow(m, &m->direct, &m->ndirect, &m->node_map, nodes, maxinode, node_eq, node_rh);
	(void)edge_rh_pub;
}

void
mfs_reserve_chunks(struct mfs_meta *m, uint32_t chunks, uint64_t maxid)
{
	if (chunks > (1u << 26))
		chunks = 1u << 26;
	xgrow((void **)&m->chunks.v, &m->chunks.cap, (size_t)chunks * 2 + 1, sizeof *m->chunks.v);
	direct_grow(m, &m->cdirect, &m->ncdirect, &m->chunk_map, chunks, maxid, chunk_eq, chunk_rh);
}

struct mfs_node *
mfs_node_get(struct mfs_meta *m, uint32_t inode)
{
	uint32_t i = mfs_node_idx(m, inode);
	return i ? &m->nodes.v[i] : NULL;
}

uint32_t
mfs_node_add(struct mfs_meta *m, uint32_t inode, uint8_t type)
{
	uint32_t i;
	struct mfs_node *n;

	if (m->node_free)
		i = free_take(m->nodes.v, sizeof *m->nodes.v, &m->node_free, offsetof(struct mfs_node, parents));
	else
		i = MFS_VEC_ADD(m->nodes);
	n = &m->nodes.v[i];
	n->inode = inode;
	n->type = type;
	n->seq = ++m->seq;
	direct_grow(m, &m->direct, &m->ndirect, &m->node_map, m->nodes.n, inode, node_eq, node_rh);
	if (inode < m->ndirect)
		m->direct[inode] = i;
	else
		mfs_idmap_put(&m->node_map, mfs_mix64(inode), i, node_rh, m);
	mfs_used_set(m, inode);
	return i;
}

void
mfs_node_del(struct mfs_meta *m, uint32_t idx)
{
	struct mfs_node *n = &m->nodes.v[idx];

	if (n->inode < m->ndirect)
		m->direct[n->inode] = 0;
	else
		mfs_idmap_del(&m->node_map, mfs_mix64(n->inode), idx, node_rh, m);
	if ((n->type == MFS_T_FILE || n->type == MFS_T_TRASH || n->type == MFS_T_SUSTAINED) &&
	    n->u.f.cap > 1)
		free(n->u.f.ch.many);
	memset(n, 0, sizeof *n);
	n->parents = m->node_free;
	m->node_free = idx;
}

uint64_t *
mfs_chunks(struct mfs_node *n)
{
	return n->u.f.cap > 1 ? n->u.f.ch.many : &n->u.f.ch.one;
}

void
mfs_chunks_resize(struct mfs_node *n, uint32_t nch)
{
	if (nch > n->u.f.cap && nch > 1) {
		uint32_t cap = n->u.f.cap > 1 ? n->u.f.cap : 1;
		uint64_t *t;
		while (cap < nch)
			cap = cap > 0x40000000u ? nch : cap * 2;
		if (n->u.f.cap > 1) {
			t = xrealloc(n->u.f.ch.many, (size_t)cap * 8);
		} else {
			t = xmalloc((size_t)cap * 8);
			t[0] = n->u.f.cap == 1 ? n->u.f.ch.one : 0;
		}
		n->u.f.ch.many = t;
		n->u.f.cap = cap;
	} else if (nch == 1 && n->u.f.cap == 0) {
		n->u.f.cap = 1;
		n->u.f.ch.one = 0;
	}
	if (nch > n->u.f.nch) {
		uint64_t *t = mfs_chunks(n);
		memset(t + n->u.f.nch, 0, (size_t)(nch - n->u.f.nch) * 8);
	}
	n->u.f.nch = nch;
}

/* ---- sort buffers ---- */

/* The sorts' buffers, kept from one sort to the next: a restore sorts the
 * names, nodes and chunks, and each new buffer of tens of MiB would be
 * mapped and zeroed by the kernel again.  buf[0] is mfs_sort_buf's, buf[1]
 * the radix sort's own. */
static struct {
	struct mfs_sortent *p;
	size_t cap;
} sortbuf[2];

static struct mfs_sortent *
sortbuf_get(int i, size_t n)
{
	if (n > sortbuf[i].cap) {
		size_t c = n + n / 4;
		free(sortbuf[i].p);
		sortbuf[i].p = xmalloc(c * sizeof *sortbuf[i].p);
		sortbuf[i].cap = c;
	}
	return sortbuf[i].p;
}

struct mfs_sortent *
mfs_sort_buf(size_t n)
{
	return sortbuf_get(0, n ? n : 1);
}

/* the radix sort's own buffer, for a caller that does its own pass */
static struct mfs_sortent *
mfs_sort_tmp(size_t n)
{
	return sortbuf_get(1, n);
}

void
mfs_sort_release(void)
{
	for (int i = 0; i < 2; i++) {
		free(sortbuf[i].p);
		sortbuf[i].p = NULL;
		sortbuf[i].cap = 0;
	}
}

/* ---- edges ---- */

static uint64_t
edge_hash(uint32_t pinode, const char *name, uint16_t nleng)
{
	return XXH3_64bits_withSeed(name, nleng, pinode);
}

static uint64_t
edge_rh(const void *ctx, uint32_t idx)
{
	const struct mfs_meta *m = ctx;
	const struct mfs_edge *e = &m->edges.v[idx];
	return edge_hash(m->nodes.v[e->parent].inode, e->name, e->nleng);
}

static uint64_t
edge_rh_pub(const void *ctx, uint32_t idx)
{
	return edge_rh(ctx, idx);
}

/* Insert n (hash, index) entries: grouped by the top bits of their home
 * slot (one counting pass, 2048 groups) and inserted group by group, so
 * each group writes a small window of the table instead of one cache miss
 * per name.  (Which slot an entry ends in can differ from inserting in input
 * order; lookups find it either way.) */
#define FILL_BITS 11
static void
edge_map_fill(struct mfs_idmap *t, struct mfs_sortent *s, size_t n)
{
	uint32_t size = t->mask + 1, shift = 0;
	size_t cnt[1u << FILL_BITS] = { 0 };
	struct mfs_sortent *g;

	while ((size >> shift) > (1u << FILL_BITS))
		shift++;
	g = n >= 4096 ? mfs_sort_tmp(n) : NULL;
	if (!g) {
		for (size_t i = 0; i < n; i++)
			mfs_idmap_put(t, s[i].key, s[i].idx, NULL, NULL);
		return;
	}
	for (size_t i = 0; i < n; i++)
		cnt[((uint32_t)(s[i].key >> 32) & t->mask) >> shift]++;
	for (size_t i = 0, sum = 0; i < (1u << FILL_BITS); i++) {
		size_t c = cnt[i];
		cnt[i] = sum;
		sum += c;
	}
	for (size_t i = 0; i < n; i++)
		g[cnt[((uint32_t)(s[i].key >> 32) & t->mask) >> shift]++] = s[i];
	for (size_t i = 0; i < n; i++)
		mfs_idmap_put(t, g[i].key, g[i].idx, NULL, NULL);
}

/* Build the name index of all directory entries at once (edge_map_fill). */
static void
edge_map_build(struct mfs_meta *m)
{
	struct mfs_idmap *t = &m->edge_map;
	struct mfs_sortent *s;
	size_t n = 0;

	m->edge_map_stale = 0;
	mfs_idmap_free(t);
	s = mfs_sort_buf((size_t)m->edges.n + 1);
	for (uint32_t i = 1; i < m->edges.n; i++) {
		const struct mfs_edge *e = &m->edges.v[i];
		if (e->child && e->kind == 0)
			s[n++] = (struct mfs_sortent){ edge_hash(m->nodes.v[e->parent].inode, e->name, e->nleng), i };
	}
	mfs_idmap_reserve(t, (uint32_t)n + 1024, NULL, NULL);
	edge_map_fill(t, s, n);
}

/* mfs_idmap_find written out: an entry's parent index stands for its
 * inode (one node per inode), which saves a cache miss on the
 * parent's node for every candidate */
uint32_t
mfs_edge_find(struct mfs_meta *m, uint32_t pidx, const char *name, uint16_t nleng)
{
	const struct mfs_idmap *t = &m->edge_map;
	uint32_t tag;

	if (m->edge_map_stale)
		edge_map_build(m);
	if (!t->slot)
		return 0;
	tag = TAG(edge_hash(m->nodes.v[pidx].inode, name, nleng));
	for (uint32_t i = tag & t->mask; t->slot[i]; i = (i + 1) & t->mask) {
		uint32_t x = (uint32_t)t->slot[i];
		const struct mfs_edge *e = &m->edges.v[x];
		if ((uint32_t)(t->slot[i] >> 32) == tag && e->parent == pidx && e->nleng == nleng &&
		    memcmp(e->name, name, nleng) == 0)
			return x;
	}
	return 0;
}

static uint32_t
edge_new(struct mfs_meta *m)
{
	if (m->edge_free)
		return free_take(m->edges.v, sizeof *m->edges.v, &m->edge_free, offsetof(struct mfs_edge, next));
	return MFS_VEC_ADD(m->edges);
}

static void
edge_link_child(struct mfs_meta *m, uint32_t e, uint32_t cidx)
{
	struct mfs_node *c = &m->nodes.v[cidx];
	m->edges.v[e].pnext = c->parents;
	c->parents = e;
	c->nlink++;
	m->edges.v[e].cinode = c->inode;
	m->edges.v[e].cdir = c->type == MFS_T_DIR;
}

uint32_t
mfs_edge_add(struct mfs_meta *m, uint32_t pidx, uint32_t cidx,
	     const char *name, uint16_t nleng, uint64_t edgeid, int at_head)
{
	uint32_t e = edge_new(m);
	struct mfs_edge *ed = &m->edges.v[e];
	struct mfs_node *p = &m->nodes.v[pidx];
	/* the end of the parent's list the edge joins (head or tail), the other end */
	uint32_t *end = at_head ? &p->u.d.head : &p->u.d.tail, *other = at_head ? &p->u.d.tail : &p->u.d.head;

	ed->parent = pidx;
	ed->child = cidx;
	ed->edgeid = edgeid;
	ed->name = name;
	ed->nleng = nleng;
	ed->kind = 0;
	*(at_head ? &ed->next : &ed->prev) = *end;
	if (*end)
		*(at_head ? &m->edges.v[*end].prev : &m->edges.v[*end].next) = e;
	else
		*other = e;
	*end = e;
	p->u.d.nchild++;
	edge_link_child(m, e, cidx);
	if (!m->edge_map_stale)
		mfs_idmap_put(&m->edge_map, edge_hash(p->inode, name, nleng), e, edge_rh, m);
	return e;
}

uint32_t
mfs_edge_add_special(struct mfs_meta *m, uint32_t cidx, int kind,
		     const char *name, uint16_t nleng, uint64_t edgeid)
{
	uint32_t e = edge_new(m);
	struct mfs_edge *ed = &m->edges.v[e];
	uint32_t inode = m->nodes.v[cidx].inode;
	uint32_t *head = kind == 1 ? &m->trash_head[inode % MFS_TRASH_BUCKETS]
				   : &m->sust_head[inode % MFS_SUSTAINED_BUCKETS];

	ed->parent = 0;
	ed->child = cidx;
	ed->edgeid = edgeid;
	ed->name = name;
	ed->nleng = nleng;
	ed->kind = (uint8_t)kind;
	ed->next = *head;
	if (*head)
		m->edges.v[*head].prev = e;
	*head = e;
	edge_link_child(m, e, cidx);
	return e;
}

void
mfs_edge_del(struct mfs_meta *m, uint32_t e)
{
	struct mfs_edge *ed = &m->edges.v[e];
	struct mfs_node *c = &m->nodes.v[ed->child];
	uint32_t *pp;

	if (ed->kind == 0) {
		struct mfs_node *p = &m->nodes.v[ed->parent];
		if (!m->edge_map_stale)
			mfs_idmap_del(&m->edge_map, edge_hash(p->inode, ed->name, ed->nleng), e, edge_rh, m);
		if (ed->prev)
			m->edges.v[ed->prev].next = ed->next;
		else
			p->u.d.head = ed->next;
		if (ed->next)
			m->edges.v[ed->next].prev = ed->prev;
		else
			p->u.d.tail = ed->prev;
		p->u.d.nchild--;
	} else {
		uint32_t inode = c->inode;
		uint32_t *head = ed->kind == 1 ? &m->trash_head[inode % MFS_TRASH_BUCKETS]
					       : &m->sust_head[inode % MFS_SUSTAINED_BUCKETS];
		if (ed->prev)
			m->edges.v[ed->prev].next = ed->next;
		else
			*head = ed->next;
		if (ed->next)
			m->edges.v[ed->next].prev = ed->prev;
	}
	for (pp = &c->parents; *pp; pp = &m->edges.v[*pp].pnext) {
		if (*pp == e) {
			*pp = ed->pnext;
			break;
		}
	}
	c->nlink--;
	memset(ed, 0, sizeof *ed);
	ed->next = m->edge_free;
	m->edge_free = e;
}

/* ---- chunks ---- */

struct mfs_chunk *
mfs_chunk_get(struct mfs_meta *m, uint64_t id)
{
	uint32_t i = id < m->ncdirect ? m->cdirect[id] : mfs_idmap_find(&m->chunk_map, mfs_mix64(id), chunk_eq, m, &id);
	return i ? &m->chunks.v[i] : NULL;
}

struct mfs_chunk *
mfs_chunk_add(struct mfs_meta *m, uint64_t id)
{
	uint32_t i;

	if (m->chunk_free)
		i = free_take(m->chunks.v, sizeof *m->chunks.v, &m->chunk_free, offsetof(struct mfs_chunk, seq));
	else
		i = MFS_VEC_ADD(m->chunks);
	m->chunks.v[i].id = id;
	m->chunks.v[i].seq = ++m->seq;
	direct_grow(m, &m->cdirect, &m->ncdirect, &m->chunk_map, m->chunks.n, id, chunk_eq, chunk_rh);
	if (id < m->ncdirect)
		m->cdirect[id] = i;
	else
		mfs_idmap_put(&m->chunk_map, mfs_mix64(id), i, chunk_rh, m);
	return &m->chunks.v[i];
}

void
mfs_chunk_del(struct mfs_meta *m, struct mfs_chunk *c)
{
	uint32_t i = (uint32_t)(c - m->chunks.v);

	if (c->id < m->ncdirect)
		m->cdirect[c->id] = 0;
	else
		mfs_idmap_del(&m->chunk_map, mfs_mix64(c->id), i, chunk_rh, m);
	memset(c, 0, sizeof *c);
	c->seq = m->chunk_free;
	m->chunk_free = i;
}

/* ---- xattr entries, acls, open files, sessions ---- */

uint32_t
mfs_xent_find(struct mfs_meta *m, uint32_t inode)
{
	uint64_t k = inode;

	return mfs_idmap_find(&m->xent_map, mfs_mix64(k), mfs_xent_eq, m, &k);
}

uint32_t
mfs_xent_add(struct mfs_meta *m, uint32_t inode)
{
	uint32_t e = MFS_VEC_ADD(m->xent);

	m->xent.v[e].inode = inode;
	m->xent.v[e].alive = 1;
	m->xent.v[e].seq = ++m->seq;
	mfs_idmap_put(&m->xent_map, mfs_mix64(inode), e, mfs_xent_rh, m);
	return e;
}

uint32_t
mfs_acl_find(struct mfs_meta *m, uint32_t inode, uint8_t type)
{
	uint64_t k = (uint64_t)inode * 2 + type - 1;
	return mfs_idmap_find(&m->acl_map, mfs_mix64(k), mfs_acl_eq, m, &k);
}

uint32_t
mfs_open_find(struct mfs_meta *m, uint32_t sess, uint32_t inode)
{
	uint64_t k = ((uint64_t)sess << 32) | inode;
	return mfs_idmap_find(&m->open_map, mfs_mix64(k), open_eq, m, &k);
}

static uint32_t
ocnt_find(struct mfs_meta *m, uint32_t inode)
{
	uint64_t k = inode;

	return mfs_idmap_find(&m->ocnt_map, mfs_mix64(k), ocnt_eq, m, &k);
}

int
mfs_is_open(struct mfs_meta *m, uint32_t inode)
{
	uint32_t i = ocnt_find(m, inode);
	return i && m->ocnt.v[i].count > 0;
}

static void
ocnt_adjust(struct mfs_meta *m, uint32_t inode, int d)
{
	uint32_t i = ocnt_find(m, inode);

	if (!i) {
		i = MFS_VEC_ADD(m->ocnt);
		m->ocnt.v[i].inode = inode;
		mfs_idmap_put(&m->ocnt_map, mfs_mix64(inode), i, ocnt_rh, m);
	}
	m->ocnt.v[i].count += (uint32_t)d;
}

void
mfs_open_add(struct mfs_meta *m, uint32_t sess, uint32_t inode)
{
	uint32_t i = MFS_VEC_ADD(m->open);
	struct mfs_open *o = &m->open.v[i];

	o->sess = sess;
	o->inode = inode;
	o->seq = ++m->seq;
	o->alive = 1;
	mfs_idmap_put(&m->open_map, mfs_mix64(((uint64_t)sess << 32) | inode), i, open_rh, m);
	ocnt_adjust(m, inode, 1);
}

void
mfs_open_del(struct mfs_meta *m, uint32_t i)
{
	struct mfs_open *o = &m->open.v[i];

	mfs_idmap_del(&m->open_map, mfs_mix64(((uint64_t)o->sess << 32) | o->inode), i, open_rh, m);
	o->alive = 0;
	ocnt_adjust(m, o->inode, -1);
}

struct mfs_session *
mfs_sess_find(struct mfs_meta *m, uint32_t id)
{
	for (uint32_t i = 0; i < m->sess.n; i++)
		if (m->sess.v[i].alive && m->sess.v[i].id == id)
			return &m->sess.v[i];
	return NULL;
}

/* ---- radix sort on 64-bit keys ---- */

static int
sortent_cmp(const void *x, const void *y)
{
	const struct mfs_sortent *a = x, *b = y;
	return a->key < b->key ? -1 : a->key > b->key;
}

void
mfs_sort(struct mfs_sortent *a, size_t n)
{
	mfs_sort_from(a, n, 0);
}

void
mfs_sort_from(struct mfs_sortent *a, size_t n, int from)
{
	struct mfs_sortent *tmp, *src = a, *dst;
	uint64_t all_or = 0;

	if (n < 2)
		return;
	if (n < 4096 && from == 0) {
		/* small sets: qsort; record keys end in a unique sequence number, so
		 * its instability cannot change an order */
		qsort(a, n, sizeof *a, sortent_cmp);
		return;
	}
	for (size_t i = 0; i < n; i++)
		all_or |= a[i].key;
	tmp = sortbuf_get(1, n);
	dst = tmp;
	for (int shift = from; shift < 64; shift += 16) {
		size_t cnt[65536];
		if (!((all_or >> shift) & 0xFFFF))
			continue;
		memset(cnt, 0, sizeof cnt);
		for (size_t i = 0; i < n; i++)
			cnt[(src[i].key >> shift) & 0xFFFF]++;
		for (size_t i = 0, s = 0; i < 65536; i++) {
			size_t c = cnt[i];
			cnt[i] = s;
			s += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[cnt[(src[i].key >> shift) & 0xFFFF]++] = src[i];
		struct mfs_sortent *t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof *a);
}
