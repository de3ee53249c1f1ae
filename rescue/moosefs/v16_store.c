/* v16_store.c: write "MFSM 1.5" as MooseFS 1.6.27's fs_storeall does:
 * header, nodes (hash order), edges (tree walk, then trash, reserved),
 * free inodes, chunks (hash order), each list with its end record. */
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/xio.h"
#include "moosefs/meta.h"
#include "moosefs/v16.h"

struct wr {
	int fd, err;
	const char *name;
	uint8_t buf[1 << 16];
	size_t n;
};

static void
flush(struct wr *w)
{
	if (!w->err && w->n && write_full(w->fd, w->buf, w->n) < 0) {
		warn_sys(RC_IO, "%s: write error", w->name);
		w->err = 1;
	}
	w->n = 0;
}

static void
put(struct wr *w, const void *p, size_t n)
{
	const uint8_t *s = p;

	while (n) {
		size_t k = sizeof w->buf - w->n < n ? sizeof w->buf - w->n : n;
		memcpy(w->buf + w->n, s, k);
		w->n += k;
		s += k;
		n -= k;
		if (w->n == sizeof w->buf)
			flush(w);
	}
}

/* v as n big-endian bytes */
static void
putn(struct wr *w, uint64_t v, int n)
{
	uint8_t b[8];

	for (int i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	put(w, b, (size_t)n);
}

#define put8(w, v) putn(w, v, 1)
#define put16(w, v) putn(w, v, 2)
#define put32(w, v) putn(w, v, 4)
#define put64(w, v) putn(w, v, 8)

static void
store_node(struct wr *w, const struct v16_node *n)
{
	put8(w, n->type);
	put32(w, n->id);
	put8(w, n->goal);
	put16(w, n->mode);
	put32(w, n->uid);
	put32(w, n->gid);
	put32(w, n->atime);
	put32(w, n->mtime);
	put32(w, n->ctime);
	put32(w, n->trashtime);
	if (n->type == V16_BLOCKDEV || n->type == V16_CHARDEV) {
		put32(w, n->rdev);
	} else if (n->type == V16_SYMLINK) {
		put32(w, n->pleng);
		put(w, n->path, n->pleng);
	} else if (n->type == V16_FILE || n->type == V16_TRASH || n->type == V16_RESERVED) {
		uint32_t ch = 0, ns = n->nsess;
		if (ns > 65535)
			ns = 65535;   /* 1.6 stores at most 65535 */
		for (uint32_t i = 0; i < n->nchunk; i++)
			if (n->chunk[i])
				ch = i + 1;   /* trailing empty slots are not stored */
		put64(w, n->length);
		put32(w, ch);
		put16(w, (uint16_t)ns);
		for (uint32_t i = 0; i < ch; i++)
			put64(w, n->chunk[i]);
		for (uint32_t i = 0; i < ns; i++)
			put32(w, n->sess[i]);
	}
}

/* objects sorted by (hash bucket, newest first): 1.6's hash walk */
static struct mfs_sortent *
hash_order(uint32_t n, uint64_t (*key)(const void *, uint32_t), const void *ctx, size_t *cnt)
{
	struct mfs_sortent *s = xcalloc((size_t)n + 1, sizeof *s);
	size_t k = 0;

	for (uint32_t i = 1; i < n; i++) {
		uint64_t v = key(ctx, i);
		if (v != UINT64_MAX) {
			s[k].key = v;
			s[k++].idx = i;
		}
	}
	mfs_sort(s, k);
	*cnt = k;
	return s;
}

static uint64_t
node_key(const void *ctx, uint32_t i)
{
	const struct v16_node *n = &((const struct v16_meta *)ctx)->nodes.v[i];
	return n->id ? (uint64_t)(n->id & 0x3FFFFFu) << 32 | (0xFFFFFFFFu - n->seq) : UINT64_MAX;
}

static uint64_t
chunk_key(const void *ctx, uint32_t i)
{
	const struct v16_chunk *c = &((const struct v16_meta *)ctx)->chunks.v[i];
	return (uint64_t)(c->id & 0xFFFFFu) << 32 | (0xFFFFFFFFu - c->seq);
}

static void
store_edge(struct wr *w, const struct v16_meta *m, const struct v16_edge *e)
{
	put32(w, e->parent ? m->nodes.v[e->parent].id : 0);
	put32(w, m->nodes.v[e->child].id);
	put16(w, (uint16_t)e->nleng);
	put(w, e->name, e->nleng);
}

static void
store_list(struct wr *w, const struct v16_meta *m, uint32_t e)
{
	for (; e; e = m->edges.v[e].cnext)
		store_edge(w, m, &m->edges.v[e]);
}

/* fs_storeedges_rec without recursion: a directory's entries, then each
 * subdirectory's in entry order, depth first */
static void
store_tree(struct wr *w, const struct v16_meta *m)
{
	uint32_t *stack = NULL;
	size_t sp = 0, cap = 0;

	store_list(w, m, m->nodes.v[m->root].children);
	xgrow((void **)&stack, &cap, 1, sizeof *stack);
	stack[sp++] = m->nodes.v[m->root].children;
	while (sp) {
		uint32_t e = stack[sp - 1];
		if (!e) {
			sp--;
			continue;
		}
		stack[sp - 1] = m->edges.v[e].cnext;
		uint32_t c = m->edges.v[e].child;
		if (m->nodes.v[c].type == V16_DIR) {
			store_list(w, m, m->nodes.v[c].children);
			xgrow((void **)&stack, &cap, sp + 1, sizeof *stack);
			stack[sp++] = m->nodes.v[c].children;
		}
	}
	free(stack);
}

int
v16_store_fd(struct v16_meta *m, int fd, const char *name, uint32_t now)
{
	struct wr *w = xcalloc(1, sizeof *w);
	struct mfs_sortent *s;
	size_t k;
	int rc;

	w->fd = fd;
	w->name = name;
	put(w, "MFSM 1.5", 8);
	put32(w, m->maxnodeid);
	put64(w, m->version);
	put32(w, m->nextsessionid);
	s = hash_order(m->nodes.n, node_key, m, &k);
	for (size_t i = 0; i < k; i++)
		store_node(w, &m->nodes.v[s[i].idx]);
	free(s);
	put8(w, 0);
	store_tree(w, m);
	store_list(w, m, m->trash);
	store_list(w, m, m->reserved);
	put(w, "\0\0\0\0\0\0\0\0\0\0", 10);
	put32(w, m->nfree - m->free_head);
	for (uint32_t i = m->free_head; i < m->nfree; i++) {
		put32(w, m->freel[i].id);
		put32(w, m->freel[i].ftime);
	}
	put64(w, m->nextchunkid);
	s = hash_order(m->chunks.n, chunk_key, m, &k);
	for (size_t i = 0; i < k; i++) {
		const struct v16_chunk *c = &m->chunks.v[s[i].idx];
		put64(w, c->id);
		put32(w, c->version);
		put32(w, c->lockedto < now ? 0 : c->lockedto);  /* expired locks as 0 */
	}
	free(s);
	put(w, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	flush(w);
	rc = w->err ? RC_IO : RC_OK;
	free(w);
	return rc;
}
