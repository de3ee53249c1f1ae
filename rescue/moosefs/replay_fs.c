/* replay_fs.c: namespace and attribute changelog operations (CREATE,
 * SYMLINK, UNLINK, MOVE, LINK, ATTR, AMTIME, ACCESS, LENGTH, SETEATTR,
 * SETTRASHTIME, SETSCLASS/SETGOAL, ARCHCHG, SETXATTR, SETACL, QUOTA, UNDEL,
 * PURGE, SETPATH, EMPTYTRASH, EMPTYSUSTAINED, FREEINODES, RENUMERATEEDGES)
 * and the node helpers they share.  Spec: docs/moosefs-format.md 2.5, 3.1, 3.2. */
#include <stdlib.h>
#include <string.h>

#include "lib/xio.h"
#include "lib/bytes.h"
#include "moosefs/replay.h"


/* ---- helpers ---- */

uint32_t
mfs_fs_node(struct mfs_meta *m, uint32_t inode)
{
	return mfs_node_idx(m, inode);
}

int
mfs_fs_isfile(const struct mfs_node *n)
{
	return n->type == MFS_T_FILE || n->type == MFS_T_TRASH || n->type == MFS_T_SUSTAINED;
}

int
mfs_fs_name_ok(const char *name, uint16_t nl)
{
	if (nl == 0 || nl > 255)
		return 0;
	if ((nl == 1 && name[0] == '.') || (nl == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	for (uint16_t i = 0; i < nl; i++)
		if (name[i] == 0 || name[i] == '/')
			return 0;
	return 1;
}

static uint64_t
next_edgeid(struct mfs_meta *m)
{
	return m->nextedgeid < 0x7FFFFFFFFFFFFFFFULL ? m->nextedgeid-- : 0;
}

void
mfs_chunk_addref(struct mfs_meta *m, uint64_t id)
{
	struct mfs_chunk *c = mfs_chunk_get(m, id);
	if (c) {
		c->fcount++;
		c->npairs |= MFS_CP_DIRTY;
	}
}

void
mfs_chunk_delref(struct mfs_meta *m, uint64_t id)
{
	struct mfs_chunk *c = mfs_chunk_get(m, id);
	if (c && c->fcount)
		c->fcount--;
	if (c)
		c->npairs |= MFS_CP_DIRTY;
}

void
mfs_fs_sc_change(struct mfs_meta *m, struct mfs_node *n, uint8_t newsc)
{
	mfs_sclass_count(m, n, -1);
	n->sclass = newsc;
	mfs_sclass_count(m, n, 1);
	if (mfs_fs_isfile(n)) {
		uint64_t *t = mfs_chunks(n);
		for (uint32_t i = 0; i < n->u.f.nch; i++) {
			struct mfs_chunk *c = t[i] ? mfs_chunk_get(m, t[i]) : NULL;
			if (c)
				c->npairs |= MFS_CP_DIRTY;
		}
	}
}

void
mfs_fs_link(struct mfs_meta *m, uint32_t ts, uint32_t pidx, uint32_t cidx, const char *name, uint16_t nl)
{
	struct mfs_node *p, *c;

	mfs_edge_add(m, pidx, cidx, mfs_strdup(m, name, nl), nl, next_edgeid(m), 1);
	p = &m->nodes.v[pidx];
	c = &m->nodes.v[cidx];
	p->eattr &= (uint8_t)~MFS_EA_SNAPSHOT;
	if (ts > 0) {
		p->mtime = p->ctime = ts;
		c->ctime = ts;
	}
}

static void
remove_edge(struct mfs_meta *m, uint32_t ts, uint32_t e)
{
	struct mfs_edge *ed = &m->edges.v[e];
	uint32_t c = ed->child;

	if (ed->kind == 0) {
		struct mfs_node *p = &m->nodes.v[ed->parent];
		p->mtime = p->ctime = ts;
		p->eattr &= (uint8_t)~MFS_EA_SNAPSHOT;
	}
	if (ts > 0)
		m->nodes.v[c].ctime = ts;
	mfs_edge_del(m, e);
}

void
mfs_xattr_remove_inode(struct mfs_meta *m, uint32_t inode)
{
	uint32_t x = mfs_xent_find(m, inode);
	if (x) {
		mfs_idmap_del(&m->xent_map, mfs_mix64(inode), x, mfs_xent_rh, m);
		m->xent.v[x].alive = 0;
		m->xent.v[x].head = 0;
	}
}

void
mfs_acl_remove(struct mfs_meta *m, uint32_t inode, uint8_t type)
{
	uint32_t a = mfs_acl_find(m, inode, type);
	if (a) {
		mfs_idmap_del(&m->acl_map, mfs_mix64((uint64_t)inode * 2 + type - 1), a, mfs_acl_rh, m);
		m->acl.v[a].alive = 0;
	}
}

/* create or replace; a new ACL goes to the head of its bucket */
uint32_t
mfs_acl_set(struct mfs_meta *m, uint32_t inode, uint8_t type, const uint16_t perm[4],
	uint16_t nu, uint16_t ng, const uint8_t *named)
{
	uint32_t a = mfs_acl_find(m, inode, type);

	if (!a) {
		a = MFS_VEC_ADD(m->acl);
		m->acl.v[a].inode = inode;
		m->acl.v[a].type = type;
		m->acl.v[a].alive = 1;
		m->acl.v[a].seq = ++m->seq;
		mfs_idmap_put(&m->acl_map, mfs_mix64((uint64_t)inode * 2 + type - 1), a, mfs_acl_rh, m);
	}
	memcpy(m->acl.v[a].perm, perm, 4 * sizeof perm[0]);
	m->acl.v[a].nu = nu;
	m->acl.v[a].ng = ng;
	m->acl.v[a].named = (const uint8_t *)mfs_strdup(m, named, ((size_t)nu + ng) * 6);
	return a;
}

static void
free_id(struct mfs_meta *m, uint32_t inode, uint32_t ts)
{
	uint32_t k;

	if (ts < m->freelastts) {
		for (uint32_t i = m->free_first; i < m->freel.n; i++)
			if (m->freel.v[i].ftime > ts)
				m->freel.v[i].ftime = ts;
	}
	k = MFS_VEC_ADD(m->freel);
	m->freel.v[k].inode = inode;
	m->freel.v[k].ftime = ts;
	m->freelastts = ts;
}

static void
remove_node(struct mfs_meta *m, uint32_t ts, uint32_t idx)
{
	struct mfs_node *n = &m->nodes.v[idx];
	uint32_t inode = n->inode;

	if (n->parents)
		return;
	if (n->type == MFS_T_DIR && n->u.d.quota) {
		m->quota.v[n->u.d.quota].alive = 0;
		n->u.d.quota = 0;
	}
	if (mfs_fs_isfile(n)) {
		uint64_t *t = mfs_chunks(n);
		for (uint32_t i = 0; i < n->u.f.nch; i++)
			if (t[i])
				mfs_chunk_delref(m, t[i]);
	}
	mfs_sclass_count(m, n, -1);
	free_id(m, inode, ts);
	if (n->flags & MFS_NF_XATTR)
		mfs_xattr_remove_inode(m, inode);
	if (n->flags & MFS_NF_ACLA)
		mfs_acl_remove(m, inode, 1);
	if (n->flags & MFS_NF_ACLD)
		mfs_acl_remove(m, inode, 2);
	mfs_node_del(m, idx);
}

/* path of a name for the trash: names from below the root joined by '/',
 * the last 1024 bytes if longer */
static const char *
trash_path(struct mfs_meta *m, uint32_t e, uint16_t *len)
{
	char buf[1024];
	uint32_t size = 0, pos;
	const struct mfs_edge *ed = &m->edges.v[e];
	uint32_t p;

	size = ed->nleng;
	for (p = ed->parent; p != m->root && m->nodes.v[p].parents; p = m->edges.v[m->nodes.v[p].parents].parent)
		size += m->edges.v[m->nodes.v[p].parents].nleng + 1u;
	if (size > 1024)
		size = 1024;
	pos = size;
	/* fill from the end */
	{
		uint32_t cur = e;
		int first = 1;
		for (;;) {
			const struct mfs_edge *x = &m->edges.v[cur];
			uint32_t nl = x->nleng;
			if (!first) {
				if (pos == 0)
					break;
			}
			if (pos >= nl) {
				pos -= nl;
				memcpy(buf + pos, x->name, nl);
			} else {
				memcpy(buf, x->name + (nl - pos), pos);
				pos = 0;
			}
			if (pos > 0)
				buf[--pos] = '/';
			first = 0;
			p = x->parent;
			if (p == m->root || !m->nodes.v[p].parents || pos == 0)
				break;
			cur = m->nodes.v[p].parents;
		}
	}
	*len = (uint16_t)size;
	return mfs_strdup(m, buf, size);
}

void
mfs_fs_unlink(struct mfs_meta *m, uint32_t ts, uint32_t e)
{
	uint32_t c = m->edges.v[e].child;
	struct mfs_node *n = &m->nodes.v[c];
	int isopen = mfs_is_open(m, n->inode);
	const char *path = NULL;
	uint16_t plen = 0;
	/* 4.x: an empty file goes to trash only with KEEP_EMPTY_FILES_IN_TRASH
	 * or while open */
	int totrash = n->type == MFS_T_FILE && n->trashtime > 0 &&
		      (m->family != 4 || n->u.f.length > 0 || m->keep_empty || isopen);

	if (n->nlink == 1 && n->type == MFS_T_FILE && (totrash || isopen))
		path = trash_path(m, e, &plen);
	remove_edge(m, ts, e);
	n = &m->nodes.v[c];
	if (n->nlink)
		return;
	if (totrash) {
		n->type = MFS_T_TRASH;
		n->ctime = ts;
		mfs_edge_add_special(m, c, 1, path, plen, next_edgeid(m));
	} else if (n->type == MFS_T_FILE && isopen) {
		n->type = MFS_T_SUSTAINED;
		mfs_edge_add_special(m, c, 2, path, plen, next_edgeid(m));
	} else {
		remove_node(m, ts, c);
	}
}

int
mfs_fs_purge(struct mfs_meta *m, uint32_t ts, uint32_t idx)
{
	struct mfs_node *n = &m->nodes.v[idx];
	uint32_t e = n->parents;

	if (n->type == MFS_T_TRASH) {
		if (mfs_is_open(m, n->inode)) {
			const char *name = m->edges.v[e].name;
			uint16_t nl = m->edges.v[e].nleng;
			uint64_t id = m->edges.v[e].edgeid;
			n->type = MFS_T_SUSTAINED;
			mfs_edge_del(m, e);
			mfs_edge_add_special(m, idx, 2, name, nl, id);
			return 0;
		}
	} else if (n->type != MFS_T_SUSTAINED) {
		return -1;
	}
	remove_edge(m, ts, e);
	remove_node(m, ts, idx);
	return 1;
}

/* ACL inheritance from the parent's default ACL (posix_acl_copydefaults) */
static void
acl_inherit(struct mfs_meta *m, uint32_t pinode, uint32_t idx, int isdir, uint16_t *mode)
{
	uint32_t pa = mfs_acl_find(m, pinode, 2);
	struct mfs_acl P;
	uint32_t inode = m->nodes.v[idx].inode;

	if (!pa)
		return;
	P = m->acl.v[pa];
	if (P.nu + P.ng == 0 && P.perm[0] <= 7 && P.perm[1] <= 7 && P.perm[2] <= 7 && P.perm[3] == 0xFFFF) {
		*mode &= (uint16_t)(0xFE00 | (P.perm[0] << 6) | (P.perm[1] << 3) | P.perm[2]);
	} else {
		uint32_t a = mfs_acl_find(m, inode, 1);
		uint16_t cur[4] = { 0, 0, 0, 0 }, np[4];
		if (a)
			memcpy(cur, m->acl.v[a].perm, sizeof cur);
		np[0] = (uint16_t)(((cur[0] & 0xFFF8) | ((*mode >> 6) & 7)) & P.perm[0]);
		np[1] = P.perm[1];
		np[2] = (uint16_t)(((cur[2] & 0xFFF8) | (*mode & 7)) & P.perm[2]);
		np[3] = (uint16_t)(((cur[3] & 0xFFF8) | ((*mode >> 3) & 7)) & P.perm[3]);
		mfs_acl_set(m, inode, 1, np, P.nu, P.ng, P.named);
		m->nodes.v[idx].flags |= MFS_NF_ACLA;
		*mode = (uint16_t)((*mode & 0xFE00) | ((np[0] & 7) << 6) | ((np[1] & 7) << 3) | (np[2] & 7));
	}
	if (isdir) {
		pa = mfs_acl_find(m, pinode, 2);
		P = m->acl.v[pa];
		mfs_acl_set(m, inode, 2, P.perm, P.nu, P.ng, P.named);
		m->nodes.v[idx].flags |= MFS_NF_ACLD;
	}
}

uint32_t
mfs_fs_create(struct mfs_meta *m, uint32_t ts, uint32_t pidx, const char *name, uint16_t nl,
	  uint8_t type, uint16_t mode, uint16_t cumask, uint32_t uid, uint32_t gid)
{
	uint32_t inode = mfs_inode_alloc(m);
	uint32_t idx = mfs_node_add(m, inode, type);
	struct mfs_node *p = &m->nodes.v[pidx], *n = &m->nodes.v[idx];

	n->ctime = n->mtime = n->atime = ts;
	if (type == MFS_T_DIR || type == MFS_T_FILE) {
		n->sclass = p->sclass;
		n->trashtime = p->trashtime;
	} else {
		n->sclass = 0;
		n->trashtime = 24;
	}
	mfs_sclass_count(m, n, 1);
	n->eattr = p->eattr & (uint8_t)~(MFS_EA_SNAPSHOT | MFS_EA_UNDELETABLE | MFS_EA_APPENDONLY | MFS_EA_IMMUTABLE |
					  (type == MFS_T_DIR ? 0 : MFS_EA_NOECACHE));
	if (p->flags & MFS_NF_ACLD) {
		acl_inherit(m, p->inode, idx, type == MFS_T_DIR, &mode);
		n = &m->nodes.v[idx];
		p = &m->nodes.v[pidx];
		n->mode = mode & 0xFFF;
	} else {
		n->mode = (uint16_t)(mode & ~cumask) & 0xFFF;
	}
	n->uid = uid;
	n->gid = (p->mode & 02000) ? p->gid : gid;
	mfs_fs_link(m, ts, pidx, idx, name, nl);
	return idx;
}

void
mfs_fs_setlength(struct mfs_meta *m, struct mfs_node *n, uint64_t len)
{
	uint32_t keep = (uint32_t)((len + MFS_CHUNKSIZE - 1) / MFS_CHUNKSIZE);
	n->u.f.length = len;
	if (keep < n->u.f.nch) {
		uint64_t *t = mfs_chunks(n);
		for (uint32_t i = keep; i < n->u.f.nch; i++)
			if (t[i]) {
				mfs_chunk_delref(m, t[i]);
				t[i] = 0;
			}
		n->u.f.nch = keep;
	}
	n->eattr &= (uint8_t)~MFS_EA_SNAPSHOT;
}

/* ---- namespace ops ---- */

static int
parent_dir(struct mfs_meta *m, uint32_t inode, uint32_t *pidx)
{
	*pidx = mfs_fs_node(m, inode);
	if (!*pidx)
		return MFS_ST_ENOENT;
	if (m->nodes.v[*pidx].type != MFS_T_DIR)
		return MFS_ST_ENOTDIR;
	return MFS_ST_OK;
}

/* The entry name in directory parent: the parent's status, MFS_ST_EINVAL for
 * a name MooseFS refuses; *e is the entry's edge (0: none). */
static int
dir_entry(struct mfs_meta *m, uint32_t parent, const char *name, uint16_t nl, uint32_t *pidx, uint32_t *e)
{
	int st = parent_dir(m, parent, pidx);

	if (st)
		return st;
	if (!mfs_fs_name_ok(name, nl))
		return MFS_ST_EINVAL;
	*e = mfs_edge_find(m, *pidx, name, nl);
	return MFS_ST_OK;
}

/* the same for an entry to be made: MFS_ST_EEXIST when it is there */
static int
new_entry(struct mfs_meta *m, uint32_t parent, const char *name, uint16_t nl, uint32_t *pidx)
{
	uint32_t e;
	int st = dir_entry(m, parent, name, nl, pidx, &e);

	return st ? st : e ? MFS_ST_EEXIST : MFS_ST_OK;
}

int
mfs_op_create(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	uint32_t parent, uid, gid, rdev, inode, type, mode, cumask = 0, pidx, idx;
	char name[256];
	uint16_t nl;
	int st;

	if (mfs_rp_args(r, "(u,s,", &parent, name, &nl) < 0)
		return MFS_ST_PARSE;
	if (*r->p >= '0' && *r->p <= '9') {
		if (mfs_rp_args(r, "b,w,w", &type, &mode, &cumask) < 0)
			return MFS_ST_PARSE;
	} else {
		static const char letters[] = "fdlqbcs";
		const char *l = strchr(letters, *r->p);
		if (!l || !*r->p)
			return mfs_rp_fail(r, MFS_ST_PARSE, "bad node type '%c'", *r->p);
		type = (uint32_t)(l - letters + 1);
		r->p++;
		if (mfs_rp_args(r, ",w", &mode) < 0)
			return MFS_ST_PARSE;
	}
	if (mfs_rp_args(r, ",u,u,u):u", &uid, &gid, &rdev, &inode) < 0)
		return MFS_ST_PARSE;
	if (type != MFS_T_FILE && type != MFS_T_DIR && type != MFS_T_FIFO && type != MFS_T_BLOCKDEV &&
	    type != MFS_T_CHARDEV && type != MFS_T_SOCKET)
		return MFS_ST_EINVAL;
	if ((st = new_entry(m, parent, name, nl, &pidx)))
		return st;
	idx = mfs_fs_create(m, r->ts, pidx, name, nl, (uint8_t)type, (uint16_t)mode, (uint16_t)cumask, uid, gid);
	if (m->family == 4)
		mfs_patt_apply_ugid(m, idx, name, nl, uid, 1, gid);
	if (type == MFS_T_BLOCKDEV || type == MFS_T_CHARDEV)
		m->nodes.v[idx].u.rdev = rdev;
	return mfs_rp_check(r, "inode", inode, m->nodes.v[idx].inode);
}

int
mfs_op_symlink(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	uint32_t parent, uid, gid, inode, plen, pidx, idx;
	char name[256];
	uint16_t nl;
	int st;

	if (mfs_rp_args(r, "(u,s,d,u,u):u", &parent, name, &nl, &plen, &uid, &gid, &inode) < 0)
		return MFS_ST_PARSE;
	plen = (uint32_t)strlen((char *)r->buf[0]);
	if (plen == 0 || plen > 4096)
		return MFS_ST_EINVAL;
	if ((st = new_entry(m, parent, name, nl, &pidx)))
		return st;
	idx = mfs_fs_create(m, r->ts, pidx, name, nl, MFS_T_SYMLINK, 0777, 0, uid, gid);
	m->nodes.v[idx].u.s.path = mfs_strdup(m, r->buf[0], plen);
	m->nodes.v[idx].u.s.len = plen;
	return mfs_rp_check(r, "inode", inode, m->nodes.v[idx].inode);
}

int
mfs_op_unlink(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	uint32_t parent, inode, pidx, e, c;
	char name[256];
	uint16_t nl;
	int st;

	if (mfs_rp_args(r, "(u,s):u", &parent, name, &nl, &inode) < 0)
		return MFS_ST_PARSE;
	if ((st = dir_entry(m, parent, name, nl, &pidx, &e)))
		return st;
	if (!e)
		return MFS_ST_ENOENT;
	c = m->edges.v[e].child;
	if (m->nodes.v[c].type == MFS_T_DIR && m->nodes.v[c].u.d.nchild)
		return MFS_ST_ENOTEMPTY;
	inode = inode + 0;
	{
		uint32_t got = m->nodes.v[c].inode;
		mfs_fs_unlink(m, r->ts, e);
		return mfs_rp_check(r, "inode", inode, got);
	}
}

/* Is `dir` `node` or above it?  (Directories have one parent.)  MooseFS
 * checks only above, so a hostile MOVE of a directory into itself would make
 * a loop that every later recursive operation walks for ever; the climb is
 * bounded too, for a loop in a damaged metadata file. */
static int
is_ancestor(struct mfs_meta *m, uint32_t dir, uint32_t node)
{
	uint32_t steps = 0;

	if (node == dir)
		return 1;
	for (uint32_t p = node; p && m->nodes.v[p].parents && steps++ <= m->nodes.n;) {
		p = m->edges.v[m->nodes.v[p].parents].parent;
		if (p == dir)
			return 1;
		if (p == 0)
			break;
	}
	return steps > m->nodes.n;   /* a loop: refused like a move into itself */
}

/* the first character that ends an escaped name (restore.c's NEXTSEPARATOR) */
static char
next_separator(const char *p)
{
	for (;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 32 || c >= 127 || c == ',' || c == '(' || c == ')')
			return (char)c;
	}
}

/* 4.x MOVE with RENAME_EXCHANGE: the two names swap their nodes */
static int
move_exchange(struct mfs_rp *r, uint32_t es, uint32_t ed, uint32_t psi, uint32_t pdi, uint32_t inode)
{
	struct mfs_meta *m = r->m;
	uint32_t sc = m->edges.v[es].child, dc = m->edges.v[ed].child;
	char ns[256], nd[256];
	uint16_t ls = m->edges.v[es].nleng, ld = m->edges.v[ed].nleng;

	/* a directory into itself or below would cut a loop off the tree (the
	 * source's side: mfs_op_move checked it before) */
	if (m->nodes.v[dc].type == MFS_T_DIR && is_ancestor(m, dc, psi))
		return MFS_ST_EINVAL;
	memcpy(ns, m->edges.v[es].name, ls);
	memcpy(nd, m->edges.v[ed].name, ld);
	remove_edge(m, r->ts, es);
	remove_edge(m, r->ts, ed);
	mfs_fs_link(m, r->ts, pdi, sc, nd, ld);
	mfs_fs_link(m, r->ts, psi, dc, ns, ls);
	/* 4.59.2 logs 0 as the moved inode here */
	return mfs_rp_check(r, "inode", inode, 0);
}

int
mfs_op_move(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	uint32_t ps, pd, inode, psi, pdi, es, ed, c;
	char ns[256], nd[256];
	uint16_t ls, ld;
	int st;

	uint32_t rmode = 0;

	/* 4.x adds a rename mode after the new name (1 exchange, 2 no-replace) */
	if (mfs_rp_args(r, "(u,s,u,", &ps, ns, &ls, &pd) < 0 ||
	    mfs_rp_name(r, nd, &ld, next_separator(r->p)) < 0 || mfs_rp_args(r, "[,u]):u", &rmode, &inode) < 0)
		return MFS_ST_PARSE;
	if ((st = parent_dir(m, ps, &psi)) || (st = parent_dir(m, pd, &pdi)))
		return st;
	if (!mfs_fs_name_ok(ns, ls) || !mfs_fs_name_ok(nd, ld))
		return MFS_ST_EINVAL;
	if (!(es = mfs_edge_find(m, psi, ns, ls)))
		return MFS_ST_ENOENT;
	c = m->edges.v[es].child;
	if (m->nodes.v[c].type == MFS_T_DIR && is_ancestor(m, c, pdi))
		return MFS_ST_EINVAL;
	if ((ed = mfs_edge_find(m, pdi, nd, ld))) {
		uint32_t dc = m->edges.v[ed].child;
		if (rmode == 2)
			return MFS_ST_EEXIST;
		if (rmode == 1)
			return move_exchange(r, es, ed, psi, pdi, inode);
		if (m->nodes.v[dc].type == MFS_T_DIR && m->nodes.v[dc].u.d.nchild)
			return MFS_ST_ENOTEMPTY;
		mfs_fs_unlink(m, r->ts, ed);
		es = mfs_edge_find(m, psi, ns, ls);
		if (!es)
			return MFS_ST_ENOENT;
	} else if (rmode == 1) {
		return MFS_ST_ENOENT;
	}
	remove_edge(m, r->ts, es);
	mfs_fs_link(m, r->ts, pdi, c, nd, ld);
	if (m->family == 4)
		mfs_patt_apply(m, c, nd, ld);
	return mfs_rp_check(r, "inode", inode, m->nodes.v[c].inode);
}

int
mfs_op_link(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	uint32_t inode, parent, idx, pidx;
	char name[256];
	uint16_t nl;
	int st;

	if (mfs_rp_args(r, "(u,u,s)", &inode, &parent, name, &nl) < 0)
		return MFS_ST_PARSE;
	if (!(idx = mfs_fs_node(m, inode)) || !mfs_fs_node(m, parent))
		return MFS_ST_ENOENT;
	if (m->nodes.v[idx].type == MFS_T_TRASH || m->nodes.v[idx].type == MFS_T_SUSTAINED)
		return MFS_ST_ENOENT;
	if (m->nodes.v[idx].type == MFS_T_DIR)
		return MFS_ST_EPERM;
	if ((st = new_entry(m, parent, name, nl, &pidx)))
		return st;
	mfs_fs_link(m, r->ts, pidx, idx, name, nl);
	return MFS_ST_OK;
}

/* ---- attributes ---- */

int
mfs_op_attr(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	uint32_t inode, mode, uid, gid, at, mt, a7, a8 = 0, winattr = 0, aclmode;
	int nargs;
	struct mfs_node *n;

	/* six, seven (aclmode) or eight (winattr, aclmode) arguments */
	if ((nargs = mfs_rp_args(r, "(u,u,u,u,u,u[,u[,u]])", &inode, &mode, &uid, &gid, &at, &mt, &a7, &a8)) < 0)
		return MFS_ST_PARSE;
	mode &= 0xFFFF;
	if (nargs == 8) {
		winattr = a7;
		aclmode = a8;
	} else if (nargs == 7) {
		aclmode = a7;
	} else {
		aclmode = mode;
	}
	if (!(n = mfs_node_get(m, inode)))
		return MFS_ST_ENOENT;
	if (mode > 07777)
		return MFS_ST_EINVAL;
	n->mode = (uint16_t)mode;
	if (n->flags & MFS_NF_ACLA) {
		uint32_t a = mfs_acl_find(m, inode, 1);
		aclmode &= 0xFFFF;
		if (!(aclmode & 0x1000))
			aclmode = (mode & 0707) | 0070;
		if (a) {
			uint16_t *p = m->acl.v[a].perm;
			p[0] = (uint16_t)((p[0] & 0xFFF8) | ((aclmode >> 6) & 7));
			p[3] = (uint16_t)((p[3] & 0xFFF8) | ((aclmode >> 3) & 7));
			p[2] = (uint16_t)((p[2] & 0xFFF8) | (aclmode & 7));
		}
	}
	n->uid = uid;
	n->gid = gid;
	n->atime = at;
	n->mtime = mt;
	n->ctime = r->ts;
	n->winattr = (uint8_t)winattr;
	return MFS_ST_OK;
}

int
mfs_op_amtime(struct mfs_rp *r)
{
	uint32_t inode, a, mt, c;
	struct mfs_node *n;
	int st;

	if ((st = mfs_rp_node(r, &n, "(u,u,u,u)", &inode, &a, &mt, &c)))
		return st;
	n->atime = a;
	n->mtime = mt;
	n->ctime = c;
	return MFS_ST_OK;
}

int
mfs_op_access(struct mfs_rp *r)
{
	uint32_t inode;
	struct mfs_node *n;
	int st;

	if ((st = mfs_rp_node(r, &n, "(u)", &inode)))
		return st;
	n->atime = r->ts;
	return MFS_ST_OK;
}

int
mfs_op_length(struct mfs_rp *r)
{
	uint32_t inode, canmod = 1;
	uint64_t len;
	struct mfs_node *n;
	int st;

	if ((st = mfs_rp_node(r, &n, "(u,U[,b])", &inode, &len, &canmod)))
		return st;
	if (!mfs_fs_isfile(n))
		return MFS_ST_EINVAL;
	mfs_fs_setlength(r->m, n, len);
	if (canmod)
		n->mtime = n->ctime = r->ts;
	return MFS_ST_OK;
}

/* recursive walks over a directory tree, children in list order */
struct walk {
	uint32_t *stack;
	size_t sp, cap;
};

static void
walk_push(struct walk *w, uint32_t idx)
{
	xgrow((void **)&w->stack, &w->cap, w->sp + 1, sizeof *w->stack);
	w->stack[w->sp++] = idx;
}

/* pre-order visit of idx and (if rec) everything below, children in list
 * order; fn returns nothing.  MFS_ST_OK, or MFS_ST_EINVAL with a message
 * when the walk meets a directory loop (damaged metadata): it visits more nodes than there are
 * edges, where a tree (hard-linked files visited once per link) cannot. */
static int
walk_tree(struct mfs_rp *r, uint32_t idx, int rec, void (*fn)(struct mfs_meta *, uint32_t, void *), void *ctx)
{
	struct mfs_meta *m = r->m;
	struct walk w = { 0 };
	uint64_t visits = 0;

	fn(m, idx, ctx);
	if (!rec || m->nodes.v[idx].type != MFS_T_DIR)
		return MFS_ST_OK;
	walk_push(&w, m->nodes.v[idx].u.d.head);
	while (w.sp) {
		if (++visits > (uint64_t)m->edges.n + 1) {
			free(w.stack);
			return mfs_rp_fail(r, MFS_ST_EINVAL, "directory loop below inode %u (damaged metadata)",
					   m->nodes.v[idx].inode);
		}
		uint32_t e = w.stack[w.sp - 1], c;
		if (!e) {
			w.sp--;
			continue;
		}
		w.stack[w.sp - 1] = m->edges.v[e].next;
		c = m->edges.v[e].child;
		fn(m, c, ctx);
		if (m->nodes.v[c].type == MFS_T_DIR)
			walk_push(&w, m->nodes.v[c].u.d.head);
	}
	free(w.stack);
	return MFS_ST_OK;
}

struct setctx {
	uint32_t ts, uid, changed, notchanged, notperm;
	uint8_t smode, eattr, src, dst;
	uint16_t tt;
	int sclass;              /* setlimit_one: storage class (else trash time) */
	int arch;
	uint64_t chg, all;
};

static int
owner_ok(const struct mfs_node *n, uint32_t uid)
{
	return (n->eattr & MFS_EA_NOOWNER) || uid == 0 || uid == n->uid;
}

/* a node the walk looked at: changed (its ctime too) or not */
static void
counted(struct setctx *c, struct mfs_node *n, int changed)
{
	if (changed) {
		n->ctime = c->ts;
		c->changed++;
	} else {
		c->notchanged++;
	}
}

static void
seteattr_one(struct mfs_meta *m, uint32_t idx, void *vctx)
{
	struct setctx *c = vctx;
	struct mfs_node *n = &m->nodes.v[idx];
	uint8_t ne, ea = c->eattr;

	if (!owner_ok(n, c->uid) || ((n->eattr & MFS_EA_IMMUTABLE) && (ea & MFS_EA_NOOWNER))) {
		c->notperm++;
		return;
	}
	if (n->type != MFS_T_DIR) {
		n->eattr &= (uint8_t)~MFS_EA_NOECACHE;
		ea &= (uint8_t)~MFS_EA_NOECACHE;
	}
	switch (c->smode & 3) {
	case 0: ne = ea; break;
	case 1: ne = n->eattr | ea; break;
	case 2: ne = n->eattr & (uint8_t)~ea; break;
	default: ne = n->eattr; break;
	}
	counted(c, n, ne != n->eattr);
	n->eattr = ne;
}

/* The node a SET* or ARCHCHG starts at, into *idx: MFS_ST_ENOENT, or with
 * filesdirs MFS_ST_EPERM when it is neither file nor directory. */
static int
set_node(struct mfs_rp *r, uint32_t inode, int filesdirs, uint32_t *idx)
{
	const struct mfs_node *n;

	if (!(*idx = mfs_fs_node(r->m, inode)))
		return MFS_ST_ENOENT;
	n = &r->m->nodes.v[*idx];
	return filesdirs && !mfs_fs_isfile(n) && n->type != MFS_T_DIR ? MFS_ST_EPERM : MFS_ST_OK;
}

/* The common tail of SETEATTR, SETTRASHTIME and SETSCLASS: apply fn to the
 * node (and its subtree when smode has the recursive bit), refuse a
 * non-recursive change the caller may not make, then compare the counts with
 * the logged ones (changed, not changed, not permitted). */
static int
set_walk_check(struct mfs_rp *r, uint32_t inode, int filesdirs, void (*fn)(struct mfs_meta *, uint32_t, void *),
	       struct setctx *c, uint32_t a, uint32_t b, uint32_t d)
{
	uint32_t idx;
	int st;

	if ((st = set_node(r, inode, filesdirs, &idx)))
		return st;
	if ((st = walk_tree(r, idx, c->smode & 4, fn, c)))
		return st;
	if (!(c->smode & 4) && c->notperm && !c->changed && !c->notchanged)
		return MFS_ST_EPERM;
	if ((st = mfs_rp_check(r, "changed", a, c->changed)) || (st = mfs_rp_check(r, "not changed", b, c->notchanged)) ||
	    (st = mfs_rp_check(r, "not permitted", d, c->notperm)))
		return st;
	return MFS_ST_OK;
}

/* SETTRASHTIME (trash time c->tt) and SETSCLASS (class c->dst) on one node:
 * smode 0 sets, 1 only raises, 2 only lowers, 3 (classes) replaces c->src */
static void
setlimit_one(struct mfs_meta *m, uint32_t idx, void *vctx)
{
	struct setctx *c = vctx;
	struct mfs_node *n = &m->nodes.v[idx];
	uint32_t cur = c->sclass ? n->sclass : n->trashtime;
	uint32_t want = c->sclass ? c->dst : c->tt;
	int set = 0;

	if (!mfs_fs_isfile(n) && n->type != MFS_T_DIR)
		return;
	if (!owner_ok(n, c->uid) || (n->eattr & MFS_EA_IMMUTABLE)) {
		c->notperm++;
		return;
	}
	switch (c->smode & 3) {
	case 0: set = cur != want; break;
	case 1: set = cur < want; break;
	case 2: set = cur > want; break;
	case 3: set = c->sclass && cur == c->src; break;
	}
	if (set && c->sclass)
		mfs_fs_sc_change(m, n, c->dst);
	else if (set)
		n->trashtime = c->tt;
	counted(c, n, set);
}

/* SETEATTR (trash 0) and SETTRASHTIME: "(inode,uid,value,smode):changed,not
 * changed,not permitted" */
static int
set_op(struct mfs_rp *r, int trash)
{
	uint32_t inode, uid, val, sm, a, b, d;
	struct setctx c = { 0 };

	if (mfs_rp_args(r, "(u,u,u,u):u,u,u", &inode, &uid, &val, &sm, &a, &b, &d) < 0)
		return MFS_ST_PARSE;
	c.ts = r->ts;
	c.uid = uid;
	c.smode = (uint8_t)sm;
	c.eattr = (uint8_t)val;
	c.tt = (uint16_t)((val + 3599u) / 3600u);
	/* SETEATTR looks at the mode cut to its byte, SETTRASHTIME at all of it */
	if ((trash ? sm : c.smode) > 7)
		return MFS_ST_EINVAL;
	return set_walk_check(r, inode, trash, trash ? setlimit_one : seteattr_one, &c, a, b, d);
}

int
mfs_op_seteattr(struct mfs_rp *r)
{
	return set_op(r, 0);
}

int
mfs_op_settrashtime(struct mfs_rp *r)
{
	return set_op(r, 1);
}

static int
setsclass_common(struct mfs_rp *r, uint32_t inode, uint32_t uid, uint32_t src, uint32_t dst, uint32_t sm)
{
	uint32_t a, b, d;
	struct setctx c = { .sclass = 1 };

	if (mfs_rp_args(r, ":u,u,u", &a, &b, &d) < 0)
		return MFS_ST_PARSE;
	c.ts = r->ts;
	c.uid = uid;
	c.smode = (uint8_t)sm;
	c.src = (uint8_t)src;
	c.dst = (uint8_t)dst;
	if (c.smode > 7 || c.src == 0 || c.dst == 0 || (((c.smode & 3) == 1 || (c.smode & 3) == 2) && c.dst > 9))
		return MFS_ST_EINVAL;
	return set_walk_check(r, inode, 1, setlimit_one, &c, a, b, d);
}

int
mfs_op_setsclass(struct mfs_rp *r)
{
	uint32_t inode, uid, src, dst, sm;

	if (mfs_rp_args(r, "(u,u,u,u,u)", &inode, &uid, &src, &dst, &sm) < 0)
		return MFS_ST_PARSE;
	return setsclass_common(r, inode, uid, src, dst, sm);
}

int
mfs_op_setgoal(struct mfs_rp *r)
{
	uint32_t inode, uid, g, sm;

	if (mfs_rp_args(r, "(u,u,u,u)", &inode, &uid, &g, &sm) < 0)
		return MFS_ST_PARSE;
	return setsclass_common(r, inode, uid, g, g, sm);
}

static void
archchg_one(struct mfs_meta *m, uint32_t idx, void *vctx)
{
	struct setctx *c = vctx;
	struct mfs_node *n = &m->nodes.v[idx];
	uint64_t *t;

	if (!mfs_fs_isfile(n))
		return;
	if (!owner_ok(n, c->uid) || (n->eattr & MFS_EA_IMMUTABLE)) {
		c->notperm++;
		return;
	}
	t = mfs_chunks(n);
	for (uint32_t i = 0; i < n->u.f.nch; i++) {
		struct mfs_chunk *ch;
		if (!t[i])
			continue;
		c->all++;
		ch = mfs_chunk_get(m, t[i]);
		if (ch && ch->arch != (c->arch ? 1 : 0)) {
			ch->arch = c->arch ? 1 : 0;
			c->chg++;
		}
	}
	if (!c->arch)
		n->ctime = c->ts;
}

int
mfs_op_archchg(struct mfs_rp *r)
{
	uint32_t inode, uid, cmd, a, b, d, idx;
	struct setctx c = { 0 };
	struct mfs_node *n;
	int st;

	if (mfs_rp_args(r, "(u,u,b):u,u,u", &inode, &uid, &cmd, &a, &b, &d) < 0)
		return MFS_ST_PARSE;
	c.ts = r->ts;
	c.uid = uid;
	c.arch = cmd == 1;
	if ((st = set_node(r, inode, 1, &idx)))
		return st;
	n = &r->m->nodes.v[idx];
	if ((st = walk_tree(r, idx, 1, archchg_one, &c)))
		return st;
	if (n->type != MFS_T_DIR && c.notperm && c.chg == 0 && c.all == 0)
		return MFS_ST_EPERM;
	if ((st = mfs_rp_check(r, "changed chunks", a, c.chg)) || (st = mfs_rp_check(r, "unchanged chunks", b, c.all - c.chg)) ||
	    (st = mfs_rp_check(r, "not permitted", d, c.notperm)))
		return st;
	return MFS_ST_OK;
}

/* ---- xattr, acl, quota ---- */

int
mfs_op_setxattr(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	uint32_t inode, nlen, vlen, mode, x, *pp, total = 0;
	struct mfs_node *n;

	if (mfs_rp_args(r, "(u,d,d,u)", &inode, &nlen, &vlen, &mode) < 0)
		return MFS_ST_PARSE;
	nlen = (uint32_t)strlen((char *)r->buf[0]);
	if (nlen == 0 || nlen > 255 || vlen > 65536 || mode > 3)
		return MFS_ST_EINVAL;
	if (!(n = mfs_node_get(m, inode)))
		return MFS_ST_ENOENT;
	x = mfs_xent_find(m, inode);
	pp = NULL;
	if (x) {
		for (uint32_t *q = &m->xent.v[x].head; *q; q = &m->xpair.v[*q].next) {
			struct mfs_xpair *a = &m->xpair.v[*q];
			total += a->nleng + 1u;
			if (a->nleng == nlen && memcmp(a->name, r->buf[0], nlen) == 0)
				pp = q;
		}
	}
	if (mode == 3 || (mode == 2 && !pp)) {
		if (!pp)
			return MFS_ST_ENOATTR;
		*pp = m->xpair.v[*pp].next;
		if (!m->xent.v[x].head) {
			mfs_xattr_remove_inode(m, inode);
			n = mfs_node_get(m, inode);
			n->flags &= (uint8_t)~MFS_NF_XATTR;
		}
	} else if (pp) {
		if (mode == 1)
			return MFS_ST_EEXIST;
		m->xpair.v[*pp].value = mfs_strdup(m, r->buf[1], vlen);
		m->xpair.v[*pp].vleng = vlen;
	} else {
		uint32_t p;
		if (mode == 2)
			return MFS_ST_ENOATTR;
		if (total + nlen + 1 > 65536)
			return MFS_ST_ERANGE;
		if (!x)
			x = mfs_xent_add(m, inode);
		p = MFS_VEC_ADD(m->xpair);
		m->xpair.v[p].name = mfs_strdup(m, r->buf[0], nlen);
		m->xpair.v[p].nleng = (uint8_t)nlen;
		m->xpair.v[p].value = mfs_strdup(m, r->buf[1], vlen);
		m->xpair.v[p].vleng = vlen;
		m->xpair.v[p].next = m->xent.v[x].head;
		m->xent.v[x].head = p;
		n = mfs_node_get(m, inode);
		n->flags |= MFS_NF_XATTR;
	}
	n = mfs_node_get(m, inode);
	n->ctime = r->ts;
	return MFS_ST_OK;
}

int
mfs_op_setacl(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	uint32_t inode, mode, cct, type, p[4], nu, ng, blen;
	uint16_t perm[4];
	struct mfs_node *n;

	if (mfs_rp_args(r, "(u,w,b,b,w,w,w,w,w,w,d)", &inode, &mode, &cct, &type, &p[0], &p[1], &p[2], &p[3], &nu, &ng,
		    &blen) < 0)
		return MFS_ST_PARSE;
	for (int i = 0; i < 4; i++)
		perm[i] = (uint16_t)p[i];
	if (blen != (nu + ng) * 6)
		return mfs_rp_fail(r, MFS_ST_MISMATCH, "ACL data length %u does not match %u entries", blen, nu + ng);
	if (!(n = mfs_node_get(m, inode)))
		return MFS_ST_ENOENT;
	if (type != 1 && type != 2)
		return MFS_ST_EINVAL;
	if ((perm[0] & perm[1] & perm[2] & perm[3]) == 0xFFFF && nu == 0 && ng == 0) {
		mfs_acl_remove(m, inode, (uint8_t)type);
		n->flags &= (uint8_t)~(type == 1 ? MFS_NF_ACLA : MFS_NF_ACLD);
		return MFS_ST_OK;
	}
	if (type == 1 && nu == 0 && ng == 0 && perm[0] <= 7 && perm[1] <= 7 && perm[2] <= 7 && perm[3] == 0xFFFF) {
		mfs_acl_remove(m, inode, 1);
		n->flags &= (uint8_t)~MFS_NF_ACLA;
	} else {
		mfs_acl_set(m, inode, (uint8_t)type, perm, (uint16_t)nu, (uint16_t)ng, r->buf[0]);
		n = mfs_node_get(m, inode);
		n->flags |= type == 1 ? MFS_NF_ACLA : MFS_NF_ACLD;
	}
	n->mode = mode & 0xFFF;
	if (cct)
		n->ctime = r->ts;
	return MFS_ST_OK;
}

int
mfs_op_quota(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	uint32_t inode, ex, fl;
	struct mfs_quota l = { 0 };   /* the logged record, read into place */
	struct mfs_node *n;
	struct mfs_quota *q;

	if (mfs_rp_args(r, "(u,u,u,u,u,u,U,U,U,U,U,U[,u])", &inode, &ex, &fl, &l.stimestamp, &l.sinodes, &l.hinodes,
		    &l.slength, &l.hlength, &l.ssize, &l.hsize, &l.srealsize, &l.hrealsize, &l.grace) < 0)
		return MFS_ST_PARSE;
	if (!(n = mfs_node_get(m, inode)))
		return MFS_ST_ENOENT;
	if (n->type != MFS_T_DIR)
		return MFS_ST_EPERM;
	if ((uint8_t)fl == 0) {
		if (n->u.d.quota) {
			m->quota.v[n->u.d.quota].alive = 0;
			n->u.d.quota = 0;
		}
		return MFS_ST_OK;
	}
	if (!n->u.d.quota) {
		uint32_t k = MFS_VEC_ADD(m->quota);
		n = mfs_node_get(m, inode);
		m->quota.v[k].inode = inode;
		m->quota.v[k].alive = 1;
		m->quota.v[k].seq = ++m->seq;
		n->u.d.quota = k;
	}
	q = &m->quota.v[n->u.d.quota];
	l.inode = q->inode;
	l.seq = q->seq;
	l.alive = q->alive;
	l.exceeded = (uint8_t)ex;
	l.flags = (uint8_t)fl;
	if (!l.grace)
		l.grace = q->grace;   /* a line without one keeps it */
	*q = l;
	return MFS_ST_OK;
}

/* ---- trash ---- */

int
mfs_op_undel(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	uint32_t inode, idx, dir, e;
	const char *path;
	uint16_t plen, s, i;

	if (mfs_rp_args(r, "(u)", &inode) < 0)
		return MFS_ST_PARSE;
	if (!(idx = mfs_fs_node(m, inode)) || m->nodes.v[idx].type != MFS_T_TRASH)
		return MFS_ST_ENOENT;
	e = m->nodes.v[idx].parents;
	path = m->edges.v[e].name;
	plen = m->edges.v[e].nleng;
	s = 0;
	while (s < plen && path[s] == '/')
		s++;
	if (s == plen)
		return MFS_ST_CANTCREATEPATH;
	/* validate every component first */
	for (i = s; i <= plen; i++) {
		if (i == plen || path[i] == '/') {
			uint16_t cl = (uint16_t)(i - s);
			if (cl == 0 || cl > 255 || (cl == 1 && path[s] == '.') ||
			    (cl == 2 && path[s] == '.' && path[s + 1] == '.'))
				return MFS_ST_CANTCREATEPATH;
			s = (uint16_t)(i + 1);
		} else if (path[i] == 0) {
			return MFS_ST_CANTCREATEPATH;
		}
	}
	s = 0;
	while (path[s] == '/')
		s++;
	dir = m->root;
	for (i = s;; i++) {
		if (i == plen || path[i] == '/') {
			uint16_t cl = (uint16_t)(i - s);
			struct mfs_node *d = &m->nodes.v[dir];
			if (d->type == MFS_T_DIR && d->u.d.quota && m->quota.v[d->u.d.quota].exceeded)
				return MFS_ST_QUOTA;
			if (d->eattr & MFS_EA_IMMUTABLE)
				return MFS_ST_EPERM;
			if (i == plen) {
				if (mfs_edge_find(m, dir, path + s, cl))
					return MFS_ST_EEXIST;
				m->nodes.v[idx].type = MFS_T_FILE;
				m->nodes.v[idx].ctime = r->ts;
				mfs_fs_link(m, r->ts, dir, idx, path + s, cl);
				if (m->family == 4)
					mfs_trashflag(m, &m->nodes.v[idx], 0);
				/* the trash edge is the other parent edge */
				for (e = m->nodes.v[idx].parents; e; e = m->edges.v[e].pnext)
					if (m->edges.v[e].kind == 1)
						break;
				if (e)
					remove_edge(m, r->ts, e);
				return MFS_ST_OK;
			}
			{
				uint32_t ce = mfs_edge_find(m, dir, path + s, cl);
				if (ce) {
					uint32_t c = m->edges.v[ce].child;
					if (m->nodes.v[c].type != MFS_T_DIR)
						return MFS_ST_CANTCREATEPATH;
					dir = c;
				} else {
					dir = mfs_fs_create(m, r->ts, dir, path + s, cl, MFS_T_DIR, 0755, 0, 0, 0);
				}
			}
			s = (uint16_t)(i + 1);
		}
	}
}

int
mfs_op_purge(struct mfs_rp *r)
{
	uint32_t inode, idx;

	if (mfs_rp_args(r, "(u)", &inode) < 0)
		return MFS_ST_PARSE;
	if (!(idx = mfs_fs_node(r->m, inode)) || r->m->nodes.v[idx].type != MFS_T_TRASH)
		return MFS_ST_ENOENT;
	mfs_fs_purge(r->m, r->ts, idx);
	return MFS_ST_OK;
}

int
mfs_op_setpath(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	uint32_t inode, idx, plen;

	if (mfs_rp_args(r, "(u,d)", &inode, &plen) < 0)
		return MFS_ST_PARSE;
	plen = (uint32_t)strlen((char *)r->buf[0]);
	if (!(idx = mfs_fs_node(m, inode)) || m->nodes.v[idx].type != MFS_T_TRASH)
		return MFS_ST_ENOENT;
	if (plen == 0 || plen > 1024)
		return MFS_ST_EINVAL;
	mfs_edge_del(m, m->nodes.v[idx].parents);
	mfs_edge_add_special(m, idx, 1, mfs_strdup(m, r->buf[0], plen), (uint16_t)plen, next_edgeid(m));
	return MFS_ST_OK;
}

static int
expired(const struct mfs_node *n, uint32_t ts)
{
	uint64_t lim = (uint64_t)n->trashtime * 3600;

	return (uint64_t)n->atime + lim < ts && (uint64_t)n->mtime + lim < ts && (uint64_t)n->ctime + lim < ts;
}

/* EMPTYTRASH (trash) and EMPTYSUSTAINED: purge, in bucket bid (all when out
 * of range), what has expired (trash) or is no longer open (sustained);
 * count what was freed (fi), what stays sustained (si), and xor the inodes */
static void
purge_buckets(struct mfs_rp *r, int trash, uint32_t bid, uint32_t *fi, uint32_t *si, uint32_t *cs)
{
	struct mfs_meta *m = r->m;
	const uint32_t *head = trash ? m->trash_head : m->sust_head;
	uint32_t nb = trash ? MFS_TRASH_BUCKETS : MFS_SUSTAINED_BUCKETS;
	uint32_t b0 = bid >= nb ? 0 : bid, b1 = bid >= nb ? nb : bid + 1;

	for (uint32_t b = b0; b < b1; b++) {
		for (uint32_t e = head[b], nx; e; e = nx) {
			uint32_t c = m->edges.v[e].child;
			const struct mfs_node *n = &m->nodes.v[c];

			nx = m->edges.v[e].next;
			if (trash ? !expired(n, r->ts) : mfs_is_open(m, n->inode))
				continue;
			*cs ^= n->inode;
			if (mfs_fs_purge(m, r->ts, c) == 1 || !trash)
				(*fi)++;
			else
				(*si)++;
		}
	}
}

/* 4.x: set (flag 1) or clear a file's chunks' trash flag (fsnodes_settrashflag);
 * 1 when a chunk took it (a chunk of several files does not take a set) */
int
mfs_trashflag(struct mfs_meta *m, struct mfs_node *n, int flag)
{
	uint64_t *t = mfs_chunks(n);
	int res = 0;

	for (uint32_t i = 0; i < n->u.f.nch; i++) {
		struct mfs_chunk *c = t[i] ? mfs_chunk_get(m, t[i]) : NULL;
		if (!c || (flag && c->fcount > 1))
			continue;
		c->arch = (uint8_t)((c->arch & 1) | (flag ? 2 : 0));
		res = 1;
	}
	return res;
}

/* 4.x EMPTYTRASH's second pass: files in trash for 5 minutes whose trash
 * retention reaches their class's minimum get the trash flag */
static uint32_t
trashflag_buckets(struct mfs_rp *r, uint32_t bid)
{
	struct mfs_meta *m = r->m;
	uint32_t b0 = bid >= MFS_TRASH_BUCKETS ? 0 : bid, b1 = bid >= MFS_TRASH_BUCKETS ? MFS_TRASH_BUCKETS : bid + 1;
	uint32_t tfi = 0;

	for (uint32_t b = b0; b < b1; b++) {
		for (uint32_t e = m->trash_head[b]; e; e = m->edges.v[e].next) {
			struct mfs_node *n = &m->nodes.v[m->edges.v[e].child];
			const struct mfs_sclass *sc = m->sc[n->sclass];
			uint16_t mintr = sc && sc->rec4 ? get_be16(sc->rec4 + 20) : 0;
			if ((uint32_t)(n->mtime + 300) < r->ts && n->trashtime >= mintr)
				tfi += (uint32_t)mfs_trashflag(m, n, 1);
		}
	}
	return tfi;
}

/* the results EMPTYTRASH, EMPTYSUSTAINED (no sustained count) and FREEINODES
 * log: freed, sustained, and the inodes' checksum when one was logged */
static int
freed_check(struct mfs_rp *r, uint32_t lf, uint32_t fi, const uint32_t *ls, uint32_t si, uint32_t lcs, uint32_t cs)
{
	int st;

	if ((st = mfs_rp_check(r, "freed", lf, fi)) || (ls && (st = mfs_rp_check(r, "sustained", *ls, si))))
		return st;
	if (lcs && (st = mfs_rp_check(r, "checksum", lcs, cs)))
		return st;
	return MFS_ST_OK;
}

int
mfs_op_emptytrash(struct mfs_rp *r)
{
	uint32_t bid = 0xFFFFFFFFu, lf, ls, lcs = 0, fi = 0, si = 0, cs = 0;

	uint32_t x = 0, tfl = 0xFFFFFFFFu, tfi = 0;
	int n, st;

	/* (bucket or all):freed,sustained[,checksum]; 4.x:
	 * freed,sustained,trash-flagged,checksum */
	if (mfs_rp_args(r, "({u}):", &bid) < 0 || (n = mfs_rp_args(r, "u,u[,u[,u]]", &lf, &ls, &lcs, &x)) < 0)
		return MFS_ST_PARSE;
	if (n == 4) {
		tfl = lcs;
		lcs = x;
	}
	purge_buckets(r, 1, bid, &fi, &si, &cs);
	if (r->m->family == 4)
		tfi = trashflag_buckets(r, bid);
	if ((st = freed_check(r, lf, fi, &ls, si, lcs, cs)))
		return st;
	return tfl == 0xFFFFFFFFu ? MFS_ST_OK : mfs_rp_check(r, "trash-flagged", tfl, tfi);
}

int
mfs_op_emptysustained(struct mfs_rp *r)
{
	uint32_t bid = 0xFFFFFFFFu, lf, lcs = 0, fi = 0, si = 0, cs = 0;

	/* (bucket or all):freed[,checksum] */
	if (mfs_rp_args(r, "({u}):u[,u]", &bid, &lf, &lcs) < 0)
		return MFS_ST_PARSE;
	purge_buckets(r, 0, bid, &fi, &si, &cs);
	return freed_check(r, lf, fi, NULL, si, lcs, cs);
}

int
mfs_op_freeinodes(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	uint32_t delay = 86400, lf, ls = 0, lcs = 0, fi = 0, si = 0, cs = 0;
	uint32_t *side = NULL;
	size_t sc = 0, ns = 0;

	/* ([delay]):freed[,sustained[,checksum]] */
	if (mfs_rp_args(r, "({u}):u[,u[,u]]", &delay, &lf, &ls, &lcs) < 0)
		return MFS_ST_PARSE;
	if (r->ts < m->freelastts) {
		for (uint32_t i = m->free_first; i < m->freel.n; i++)
			if (m->freel.v[i].ftime > r->ts)
				m->freel.v[i].ftime = r->ts;
		m->freelastts = r->ts;
	}
	while (m->free_first < m->freel.n) {
		struct mfs_free *f = &m->freel.v[m->free_first];
		if (!((uint32_t)(f->ftime + delay) < r->ts))
			break;
		cs ^= f->inode;
		if (ls > 0 && mfs_is_open(m, f->inode)) {
			xgrow((void **)&side, &sc, ns + 1, sizeof *side);
			side[ns++] = f->inode;
			si++;
		} else {
			mfs_used_clear(m, f->inode);
			fi++;
		}
		m->free_first++;
	}
	for (size_t i = 0; i < ns; i++) {
		uint32_t k = MFS_VEC_ADD(m->freel);
		m->freel.v[k].inode = side[i];
		m->freel.v[k].ftime = r->ts;
		m->freelastts = r->ts;
	}
	free(side);
	if (m->free_first == m->freel.n) {
		m->freel.n = m->free_first = 0;
		m->freelastts = 0;
	} else if (m->free_first > 4096 && m->free_first * 2 > m->freel.n) {
		memmove(m->freel.v, m->freel.v + m->free_first, (m->freel.n - m->free_first) * sizeof *m->freel.v);
		m->freel.n -= m->free_first;
		m->free_first = 0;
	}
	return freed_check(r, lf, fi, &ls, si, lcs, cs);
}

int
mfs_op_renumedges(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	uint64_t logged;
	struct walk w = { 0 };

	if (mfs_rp_args(r, "():U", &logged) < 0)
		return MFS_ST_PARSE;
	m->nextedgeid = 0x7FFFFFFFFFFFFFFEULL;
	/* for each directory (pre-order from root): number its children */
	walk_push(&w, m->root);
	while (w.sp) {
		uint32_t d = w.stack[--w.sp], k = 0, e;
		uint32_t *dirs = NULL;
		size_t dc = 0, nd = 0;
		for (e = m->nodes.v[d].u.d.head; e; e = m->edges.v[e].next)
			k++;
		m->nextedgeid -= k;
		k = 0;
		for (e = m->nodes.v[d].u.d.head; e; e = m->edges.v[e].next) {
			m->edges.v[e].edgeid = m->nextedgeid + k++;
			if (m->nodes.v[m->edges.v[e].child].type == MFS_T_DIR) {
				xgrow((void **)&dirs, &dc, nd + 1, sizeof *dirs);
				dirs[nd++] = m->edges.v[e].child;
			}
		}
		/* push in reverse so they are visited in list order */
		while (nd)
			walk_push(&w, dirs[--nd]);
		free(dirs);
	}
	free(w.stack);
	return mfs_rp_check(r, "nextedgeid", logged, m->nextedgeid);
}

void
mfs_fs_copy_xattrs(struct mfs_meta *m, uint32_t from, uint32_t to)
{
	uint32_t x = mfs_xent_find(m, from), y, last = 0;

	if (!x || !m->xent.v[x].head)
		return;
	mfs_xattr_remove_inode(m, to);
	y = MFS_VEC_ADD(m->xent);
	m->xent.v[y].inode = to;
	m->xent.v[y].alive = 1;
	m->xent.v[y].seq = ++m->seq;
	mfs_idmap_put(&m->xent_map, mfs_mix64(to), y, mfs_xent_rh, m);
	for (uint32_t p = m->xent.v[mfs_xent_find(m, from)].head; p; p = m->xpair.v[p].next) {
		uint32_t q = MFS_VEC_ADD(m->xpair);
		m->xpair.v[q] = m->xpair.v[p];
		m->xpair.v[q].next = 0;
		if (last)
			m->xpair.v[last].next = q;
		else
			m->xent.v[y].head = q;
		last = q;
	}
	mfs_node_get(m, to)->flags |= MFS_NF_XATTR;
}
