/* v16_load.c: the MooseFS 1.6 model of v16.h (objects, lookups, the inode
 * bitmap) and the "MFSM 1.5" loader, with 1.6.27's load-time checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/xio.h"
#include "moosefs/rd.h"
#include "moosefs/sections.h"
#include "moosefs/v16.h"

#define V16_NODEHASH 0x3FFFFFu

void
v16_init(struct v16_meta *m)
{
	memset(m, 0, sizeof *m);
}

static void
tab_free(struct v16_tab *t)
{
	free(t->b);
	memset(t, 0, sizeof *t);
}

void
v16_free(struct v16_meta *m)
{
	for (uint32_t i = 1; i < m->nodes.n; i++) {
		free(m->nodes.v[i].chunk);
		free(m->nodes.v[i].sess);
		free(m->nodes.v[i].path);
	}
	for (uint32_t i = 1; i < m->edges.n; i++)
		free(m->edges.v[i].name);
	free(m->nodes.v);
	free(m->edges.v);
	free(m->chunks.v);
	tab_free(&m->node_tab);
	tab_free(&m->edge_tab);
	tab_free(&m->chunk_tab);
	free(m->freel);
	free(m->fbm);
	free(m->scratch);
	memset(m, 0, sizeof *m);
}

/* ---- hash tables of indexes: chains through each object's hnext ---- */

static uint32_t *
hnext_of(struct v16_meta *m, int kind, uint32_t i)
{
	return kind == 0 ? &m->nodes.v[i].hnext : kind == 1 ? &m->edges.v[i].hnext : &m->chunks.v[i].hnext;
}

static uint32_t
edge_hash(const struct v16_meta *m, uint32_t pidx, const uint8_t *name, uint32_t nleng)
{
	/* 1.6's fsnodes_hash (any hash would do: lookups give the same answers) */
	uint32_t h = m->nodes.v[pidx].id * 0x5F2318BDu + nleng;
	for (uint32_t i = 0; i < nleng; i++)
		h = h * 33 + name[i];
	return h;
}

static uint32_t
key_hash(struct v16_meta *m, int kind, uint32_t i)
{
	if (kind == 0)
		return m->nodes.v[i].id * 0x9E3779B1u;
	if (kind == 1) {
		const struct v16_edge *e = &m->edges.v[i];
		return edge_hash(m, e->parent, e->name, e->nleng);
	}
	return (uint32_t)(m->chunks.v[i].id * 0x9E3779B97F4A7C15ull >> 32);
}

static void
tab_put(struct v16_meta *m, struct v16_tab *t, int kind, uint32_t i)
{
	if (t->n + 1 > (t->b ? t->mask + 1 : 0)) {
		uint32_t size = t->b ? (t->mask + 1) * 2 : 1024;
		uint32_t *old = t->b, oldsize = t->b ? t->mask + 1 : 0;
		t->b = xcalloc(size, sizeof *t->b);
		t->mask = size - 1;
		for (uint32_t k = 0; k < oldsize; k++)
			for (uint32_t j = old[k], nx; j; j = nx) {
				uint32_t *h = &t->b[key_hash(m, kind, j) & t->mask];
				nx = *hnext_of(m, kind, j);
				*hnext_of(m, kind, j) = *h;
				*h = j;
			}
		free(old);
	}
	uint32_t *h = &t->b[key_hash(m, kind, i) & t->mask];
	*hnext_of(m, kind, i) = *h;
	*h = i;
	t->n++;
}

static void
tab_del(struct v16_meta *m, struct v16_tab *t, int kind, uint32_t i)
{
	uint32_t *p = &t->b[key_hash(m, kind, i) & t->mask];

	while (*p && *p != i)
		p = hnext_of(m, kind, *p);
	if (*p) {
		*p = *hnext_of(m, kind, i);
		t->n--;
	}
}

/* ---- nodes ---- */

static uint32_t
node_find(struct v16_meta *m, uint32_t id)
{
	if (!m->node_tab.b)
		return 0;
	for (uint32_t i = m->node_tab.b[(id * 0x9E3779B1u) & m->node_tab.mask]; i; i = m->nodes.v[i].hnext)
		if (m->nodes.v[i].id == id)
			return i;
	return 0;
}

struct v16_node *
v16_node_get(struct v16_meta *m, uint32_t id)
{
	uint32_t i = node_find(m, id);
	return i ? &m->nodes.v[i] : NULL;
}

uint32_t
v16_node_add(struct v16_meta *m, uint32_t id, uint8_t type)
{
	uint32_t i;

	if (m->nodes.n == 0) {
		xgrow((void **)&m->nodes.v, &m->nodes.cap, 1, sizeof *m->nodes.v);
		m->nodes.n = 1;   /* index 0: none */
	}
	if (m->node_free) {
		i = m->node_free;
		m->node_free = m->nodes.v[i].hnext;
	} else {
		xgrow((void **)&m->nodes.v, &m->nodes.cap, (size_t)m->nodes.n + 1, sizeof *m->nodes.v);
		i = m->nodes.n++;
	}
	memset(&m->nodes.v[i], 0, sizeof m->nodes.v[i]);
	m->nodes.v[i].id = id;
	m->nodes.v[i].type = type;
	m->nodes.v[i].seq = ++m->seq;
	if (type == V16_DIR)
		m->nodes.v[i].nlink = 2;
	tab_put(m, &m->node_tab, 0, i);
	return i;
}

void
v16_node_del(struct v16_meta *m, uint32_t idx)
{
	struct v16_node *n = &m->nodes.v[idx];

	tab_del(m, &m->node_tab, 0, idx);
	free(n->chunk);
	free(n->sess);
	free(n->path);
	memset(n, 0, sizeof *n);
	n->hnext = m->node_free;
	m->node_free = idx;
}

/* ---- edges ---- */

uint32_t
v16_edge_find(struct v16_meta *m, uint32_t pidx, const uint8_t *name, uint32_t nleng)
{
	if (!m->edge_tab.b)
		return 0;
	for (uint32_t i = m->edge_tab.b[edge_hash(m, pidx, name, nleng) & m->edge_tab.mask]; i; i = m->edges.v[i].hnext) {
		const struct v16_edge *e = &m->edges.v[i];
		if (e->parent == pidx && e->nleng == nleng && memcmp(e->name, name, nleng) == 0)
			return i;
	}
	return 0;
}

static uint32_t *
list_head(struct v16_meta *m, const struct v16_edge *e)
{
	return e->list == V16_L_TRASH ? &m->trash : e->list == V16_L_RESERVED ? &m->reserved
									      : &m->nodes.v[e->parent].children;
}

/* put e at the head (or tail) of its list */
static void
edge_list(struct v16_meta *m, uint32_t ei, int at_tail)
{
	struct v16_edge *e = &m->edges.v[ei];
	uint32_t *h = list_head(m, e);

	if (at_tail && *h) {
		uint32_t last = m->edges.v[*h].cprev;   /* the head's cprev is the tail */
		e->cprev = last;
		e->cnext = 0;
		m->edges.v[last].cnext = ei;
		m->edges.v[*h].cprev = ei;
		return;
	}
	e->cnext = *h;
	e->cprev = *h ? m->edges.v[*h].cprev : ei;
	if (*h)
		m->edges.v[*h].cprev = ei;
	*h = ei;
}

void
v16_edge_unlist(struct v16_meta *m, uint32_t ei)
{
	struct v16_edge *e = &m->edges.v[ei];
	uint32_t *h = list_head(m, e);

	if (*h == ei) {
		*h = e->cnext;
		if (e->cnext)
			m->edges.v[e->cnext].cprev = e->cprev;
	} else {
		m->edges.v[e->cprev].cnext = e->cnext;
		if (e->cnext)
			m->edges.v[e->cnext].cprev = e->cprev;
		else
			m->edges.v[*h].cprev = e->cprev;
	}
	e->cnext = e->cprev = 0;
}

void
v16_edge_move(struct v16_meta *m, uint32_t ei, uint8_t list)
{
	v16_edge_unlist(m, ei);
	m->edges.v[ei].list = list;
	edge_list(m, ei, 0);
}

uint32_t
v16_edge_add(struct v16_meta *m, uint32_t pidx, uint32_t cidx, uint8_t list,
	     const uint8_t *name, uint32_t nleng, int at_tail)
{
	struct v16_edge *e;
	struct v16_node *c;
	uint32_t i;

	if (m->edges.n == 0) {
		xgrow((void **)&m->edges.v, &m->edges.cap, 1, sizeof *m->edges.v);
		m->edges.n = 1;
	}
	if (m->edge_free) {
		i = m->edge_free;
		m->edge_free = m->edges.v[i].hnext;
	} else {
		xgrow((void **)&m->edges.v, &m->edges.cap, (size_t)m->edges.n + 1, sizeof *m->edges.v);
		i = m->edges.n++;
	}
	e = &m->edges.v[i];
	memset(e, 0, sizeof *e);
	e->parent = pidx;
	e->child = cidx;
	e->list = list;
	e->nleng = nleng;
	e->name = xmalloc(nleng ? nleng : 1);
	if (nleng)
		memcpy(e->name, name, nleng);
	edge_list(m, i, at_tail);
	c = &m->nodes.v[cidx];
	e->pnext = c->parents;
	if (c->parents)
		m->edges.v[c->parents].pprev = i;
	c->parents = i;
	if (list == V16_L_DIR) {
		struct v16_node *p = &m->nodes.v[pidx];
		p->elements++;
		if (c->type == V16_DIR)
			p->nlink++;
		tab_put(m, &m->edge_tab, 1, i);
	}
	return i;
}

void
v16_edge_del(struct v16_meta *m, uint32_t ei)
{
	struct v16_edge *e = &m->edges.v[ei];
	struct v16_node *c = &m->nodes.v[e->child];

	v16_edge_unlist(m, ei);
	if (c->parents == ei)
		c->parents = e->pnext;
	else
		m->edges.v[e->pprev].pnext = e->pnext;
	if (e->pnext)
		m->edges.v[e->pnext].pprev = e->pprev;
	if (e->list == V16_L_DIR) {
		struct v16_node *p = &m->nodes.v[e->parent];
		p->elements--;
		if (c->type == V16_DIR)
			p->nlink--;
		tab_del(m, &m->edge_tab, 1, ei);
	}
	free(e->name);
	memset(e, 0, sizeof *e);
	e->hnext = m->edge_free;
	m->edge_free = ei;
}

/* ---- chunks ---- */

struct v16_chunk *
v16_chunk_get(struct v16_meta *m, uint64_t id)
{
	if (!m->chunk_tab.b)
		return NULL;
	for (uint32_t i = m->chunk_tab.b[(uint32_t)(id * 0x9E3779B97F4A7C15ull >> 32) & m->chunk_tab.mask]; i;
	     i = m->chunks.v[i].hnext)
		if (m->chunks.v[i].id == id)
			return &m->chunks.v[i];
	return NULL;
}

struct v16_chunk *
v16_chunk_new(struct v16_meta *m, uint64_t id)
{
	uint32_t i;

	if (m->chunks.n == 0) {
		xgrow((void **)&m->chunks.v, &m->chunks.cap, 1, sizeof *m->chunks.v);
		m->chunks.n = 1;
	}
	xgrow((void **)&m->chunks.v, &m->chunks.cap, (size_t)m->chunks.n + 1, sizeof *m->chunks.v);
	i = m->chunks.n++;
	memset(&m->chunks.v[i], 0, sizeof m->chunks.v[i]);
	m->chunks.v[i].id = id;
	m->chunks.v[i].seq = ++m->seq;
	tab_put(m, &m->chunk_tab, 2, i);
	return &m->chunks.v[i];
}

/* ---- the inode bitmap (fsnodes_get_next_id); words past the end are 0 ---- */

static void
fbm_need(struct v16_meta *m, uint32_t words)
{
	uint32_t old = m->fbmsize;

	if (words <= old)
		return;
	m->fbm = xrealloc(m->fbm, (size_t)words * sizeof *m->fbm);
	memset(m->fbm + old, 0, (size_t)(words - old) * sizeof *m->fbm);
	m->fbmsize = words;
}

/* The bitmap covers ids below 2^27 (16 MiB): 1.6 hands out the lowest
 * free id, so ids above that appear only after 2^27 live inodes, which no
 * 1.6 master held; a hostile id up there must not cost 512 MiB. */
#define V16_FBM_IDS (1u << 27)

void
v16_used_inode(struct v16_meta *m, uint32_t id)
{
	if (id >= V16_FBM_IDS)
		return;
	fbm_need(m, (id >> 5) + 1);
	m->fbm[id >> 5] |= 1u << (id & 31);
}

uint32_t
v16_next_id(struct v16_meta *m)
{
	uint32_t i = 0, mask;

	while (m->searchpos < m->fbmsize && m->fbm[m->searchpos] == 0xFFFFFFFFu)
		m->searchpos++;
	fbm_need(m, m->searchpos + 1);
	for (mask = m->fbm[m->searchpos]; mask & 1; mask >>= 1)
		i++;
	m->fbm[m->searchpos] |= 1u << i;
	i += m->searchpos << 5;
	if (i > m->maxnodeid)
		m->maxnodeid = i;
	return i;
}

/* ---- the loader ---- */

struct ld {
	struct v16_meta *m;
	struct mfs_rd *r;
	int stages;
};

static int
bad(struct ld *l, uint64_t off, const char *what)
{
	if (l->stages)
		fputs("error\n", stderr);
	warn_off(RC_DATA, l->r->name, off, "%s", what);
	return RC_DATA;
}

static int
need(struct ld *l, size_t n, const char *what)
{
	if (mfs_rd_need(l->r, n) == 0)
		return 0;
	if (l->stages)
		fputs("error\n", stderr);
	return mfs_rd_fail(l->r, what);
}

static int
load_file_data(struct ld *l, struct v16_node *n, uint32_t ch, uint32_t ns)
{
	n->nchunk = ch;
	n->chunk = ch ? xcalloc(ch, sizeof *n->chunk) : NULL;
	for (uint32_t i = 0; i < ch; i++) {
		if (need(l, 8, "file's chunk list"))
			return RC_DATA;
		n->chunk[i] = mfs_rd_u64(l->r);
	}
	n->nsess = ns;
	n->sess = ns ? xcalloc(ns, sizeof *n->sess) : NULL;
	/* 1.6 puts each id at the head of the list: the file order reversed */
	for (uint32_t i = 0; i < ns; i++) {
		if (need(l, 4, "file's session ids"))
			return RC_DATA;
		n->sess[ns - 1 - i] = mfs_rd_u32(l->r);
	}
	return 0;
}

static int
load_node(struct ld *l, uint8_t type)
{
	struct mfs_rd *r = l->r;
	uint64_t off = mfs_rd_off(r) - 1;
	uint32_t id, idx;
	struct v16_node *n;
	size_t len = type == V16_FILE || type == V16_TRASH || type == V16_RESERVED ? 45
		     : type == V16_DIR || type == V16_FIFO || type == V16_SOCKET ? 31 : 35;

	if (!strchr("fdlqbcstr", type) || type == 0) {
		char msg[64];
		snprintf(msg, sizeof msg, "loading node: unrecognized node type: 0x%02X", type);
		return bad(l, off, msg);
	}
	if (need(l, len, "node"))
		return RC_DATA;
	id = mfs_rd_u32(r);
	if (id == 0 || node_find(l->m, id))
		return bad(l, off, id ? "loading node: inode number used twice" : "loading node: inode number 0");
	idx = v16_node_add(l->m, id, type);
	n = &l->m->nodes.v[idx];
	n->goal = mfs_rd_u8(r);
	n->mode = mfs_rd_u16(r);
	n->uid = mfs_rd_u32(r);
	n->gid = mfs_rd_u32(r);
	n->atime = mfs_rd_u32(r);
	n->mtime = mfs_rd_u32(r);
	n->ctime = mfs_rd_u32(r);
	n->trashtime = mfs_rd_u32(r);
	v16_used_inode(l->m, id);
	if (type == V16_BLOCKDEV || type == V16_CHARDEV) {
		n->rdev = mfs_rd_u32(r);
	} else if (type == V16_SYMLINK) {
		n->pleng = mfs_rd_u32(r);
		if (n->pleng > mfs_rd_left(r))
			return bad(l, off, "loading node: symlink path runs past the end of the file");
		n->path = xmalloc(n->pleng ? n->pleng : 1);
		for (uint32_t i = 0; i < n->pleng; i++) {
			if (need(l, 1, "symlink path"))
				return RC_DATA;
			n->path[i] = mfs_rd_u8(r);
		}
	} else if (len == 45) {
		uint64_t length = mfs_rd_u64(r);
		uint32_t ch = mfs_rd_u32(r);
		uint16_t ns = mfs_rd_u16(r);
		n->length = length;
		if ((uint64_t)ch * 8 + (uint64_t)ns * 4 > mfs_rd_left(r))
			return bad(l, off, "loading node: chunk list runs past the end of the file");
		return load_file_data(l, n, ch, ns);
	}
	return 0;
}

static int
load_edge(struct ld *l, uint32_t *cur_parent)
{
	struct v16_meta *m = l->m;
	struct mfs_rd *r = l->r;
	uint64_t off = mfs_rd_off(r);
	uint32_t pid, cid, nleng, pidx = 0, cidx;
	uint8_t list = V16_L_DIR;
	uint8_t *name;
	int rc = 0;

	if (need(l, 10, "edge"))
		return -1;
	pid = mfs_rd_u32(r);
	cid = mfs_rd_u32(r);
	nleng = mfs_rd_u16(r);
	if (pid == 0 && cid == 0)
		return 1;
	if (nleng == 0)
		return bad(l, off, "loading edge: empty name"), -1;
	if (need(l, nleng, "edge name"))
		return -1;
	name = r->p;
	cidx = node_find(m, cid);
	if (!cidx)
		rc = bad(l, off, "loading edge: child not found");
	else if (pid == 0) {
		uint8_t t = m->nodes.v[cidx].type;
		if (t != V16_TRASH && t != V16_RESERVED)
			rc = bad(l, off, "loading edge: bad child type (only trash and reserved files have no parent)");
		list = t == V16_TRASH ? V16_L_TRASH : V16_L_RESERVED;
	} else if (!(pidx = node_find(m, pid))) {
		rc = bad(l, off, "loading edge: parent not found");
	} else if (m->nodes.v[pidx].type != V16_DIR) {
		rc = bad(l, off, "loading edge: bad parent type");
	} else if (m->nodes.v[cidx].type == V16_TRASH || m->nodes.v[cidx].type == V16_RESERVED) {
		rc = bad(l, off, "loading edge: a trash or reserved file in a directory");
	} else if (m->nodes.v[cidx].type == V16_DIR && m->nodes.v[cidx].parents) {
		rc = bad(l, off, "loading edge: a directory with two parents");
	} else if (cid == 1) {
		rc = bad(l, off, "loading edge: the root directory as a child");
	} else if (pid != 1 && pid != *cur_parent && m->nodes.v[pidx].children) {
		/* 1.6 reads each directory's entries as one run (root aside) */
		rc = bad(l, off, "loading edge: parent node sequence error");
	} else if (pid != 1) {
		*cur_parent = pid;
	}
	if (rc)
		return -1;
	/* trash and reserved entries go to the head of their list, the rest
	 * to the tail of their directory's, as 1.6 loads them */
	v16_edge_add(m, pidx, cidx, list, name, nleng, list == V16_L_DIR);
	r->p += nleng;
	return 0;
}

static int
load_free(struct ld *l)
{
	struct v16_meta *m = l->m;
	uint32_t n;

	if (need(l, 4, "free inode list"))
		return RC_DATA;
	n = mfs_rd_u32(l->r);
	if ((uint64_t)n * 8 > mfs_rd_left(l->r))
		return bad(l, mfs_rd_off(l->r) - 4, "loading free nodes: count runs past the end of the file");
	m->freel = xcalloc((size_t)n + 1, sizeof *m->freel);
	m->freecap = (size_t)n + 1;
	for (uint32_t i = 0; i < n; i++) {
		if (need(l, 8, "free inode list"))
			return RC_DATA;
		m->freel[i].id = mfs_rd_u32(l->r);
		m->freel[i].ftime = mfs_rd_u32(l->r);
		v16_used_inode(m, m->freel[i].id);
	}
	m->nfree = n;
	return 0;
}

static int
load_chunks(struct ld *l)
{
	struct v16_meta *m = l->m;

	if (need(l, 8, "chunk header"))
		return RC_DATA;
	m->nextchunkid = mfs_rd_u64(l->r);
	for (;;) {
		uint64_t off = mfs_rd_off(l->r), id;
		uint32_t v, t;
		if (need(l, 16, "chunk record"))
			return RC_DATA;
		id = mfs_rd_u64(l->r);
		v = mfs_rd_u32(l->r);
		t = mfs_rd_u32(l->r);
		if (id == 0) {
			if (v || t)
				return bad(l, off, "loading chunks: bad end record");
			return 0;
		}
		if (v16_chunk_get(m, id))
			return bad(l, off, "loading chunks: chunk id used twice");
		struct v16_chunk *c = v16_chunk_new(m, id);
		c->version = v;
		c->lockedto = t;
	}
}

static void
stage(struct ld *l, const char *what)
{
	if (l->stages) {
		fprintf(stderr, "%s ... ", what);
		fflush(stderr);
	}
}

static void
stage_ok(struct ld *l)
{
	if (l->stages)
		fputs("ok\n", stderr);
}

/* every directory reachable from the root exactly once, no orphans
 * (1.6's fs_checknodes; also what keeps the recursive walks finite) */
static int
check_tree(struct ld *l)
{
	struct v16_meta *m = l->m;
	uint32_t *stack, sp = 0, dirs = 0, seen = 0;

	m->root = node_find(m, 1);
	if (!m->root || m->nodes.v[m->root].type != V16_DIR)
		return bad(l, 8, "root node not found");
	for (uint32_t i = 1; i < m->nodes.n; i++) {
		const struct v16_node *n = &m->nodes.v[i];
		if (!n->id)
			continue;
		if (n->type == V16_DIR)
			dirs++;
		if (!n->parents && i != m->root) {
			char msg[64];
			snprintf(msg, sizeof msg, "found orphaned inode: %u", n->id);
			return bad(l, 8, msg);
		}
	}
	stack = xcalloc((size_t)dirs + 1, sizeof *stack);
	stack[sp++] = m->root;
	while (sp) {
		uint32_t d = stack[--sp];
		seen++;
		for (uint32_t e = m->nodes.v[d].children; e; e = m->edges.v[e].cnext) {
			uint32_t c = m->edges.v[e].child;
			if (m->nodes.v[c].type == V16_DIR && sp < dirs)
				stack[sp++] = c;
		}
	}
	free(stack);
	if (seen != dirs)
		return bad(l, 8, "directories not reachable from the root (a cycle)");
	return 0;
}

/* fs_add_files_to_chunks: count the files of every chunk */
static void
count_chunk_files(struct v16_meta *m)
{
	for (uint32_t i = 1; i < m->nodes.n; i++) {
		const struct v16_node *n = &m->nodes.v[i];
		for (uint32_t k = 0; n->id && k < n->nchunk; k++) {
			struct v16_chunk *c = n->chunk[k] ? v16_chunk_get(m, n->chunk[k]) : NULL;
			if (c)
				c->fcount++;
		}
	}
}

static int
load(struct v16_meta *m, struct mfs_rd *r, int stages)
{
	struct ld l = { m, r, stages };
	uint32_t curp = 0;
	int s;

	if (need(&l, 24, "header"))
		return RC_DATA;
	if (memcmp(r->p, "MFSM 1.5", 8) != 0)
		return bad(&l, 0, "not an MFSM 1.5 file");
	r->p += 8;
	m->maxnodeid = mfs_rd_u32(r);
	m->version = mfs_rd_u64(r);
	m->nextsessionid = mfs_rd_u32(r);
	/* 1.6 sizes its bitmap from maxnodeid; a hostile value must not cost
	 * memory here (words past the end read as 0 either way) */
	fbm_need(m, 0x100);
	m->fbm[0] = 1;
	stage(&l, "loading objects (files,directories,etc.)");
	for (;;) {
		uint8_t t;
		if (need(&l, 1, "node"))
			return RC_DATA;
		t = mfs_rd_u8(r);
		if (t == 0)
			break;
		if ((s = load_node(&l, t)))
			return s;
	}
	stage_ok(&l);
	stage(&l, "loading names");
	while ((s = load_edge(&l, &curp)) == 0)
		;
	if (s < 0)
		return RC_DATA;
	stage_ok(&l);
	stage(&l, "loading deletion timestamps");
	if ((s = load_free(&l)))
		return s;
	stage_ok(&l);
	stage(&l, "loading chunks data");
	if ((s = load_chunks(&l)))
		return s;
	stage_ok(&l);
	if (mfs_rd_left(r) != 0)
		return bad(&l, mfs_rd_off(r), "data after the end of the metadata");
	stage(&l, "checking filesystem consistency");
	if ((s = check_tree(&l)))
		return s;
	stage_ok(&l);
	stage(&l, "connecting files and chunks");
	count_chunk_files(m);
	stage_ok(&l);
	return RC_OK;
}

int
v16_load_mem(struct v16_meta *m, const char *name, const uint8_t *data, size_t len, int stages)
{
	struct mfs_rd r;

	v16_init(m);
	mfs_rd_init_mem(&r, name, data, len);
	return load(m, &r, stages);
}

int
v16_load_file(struct v16_meta *m, const char *path, int stages)
{
	struct mfs_rd r;
	int rc, fd = open_ro(path);

	v16_init(m);
	if (fd < 0) {
		warn_sys(RC_IO, "%s", path);
		return RC_IO;
	}
	rc = mfs_rd_init_fd(&r, path, fd);
	if (rc == RC_OK)
		rc = load(m, &r, stages);
	mfs_rd_close(&r);
	close(fd);
	return rc;
}
