/* meta_load.c: read a MooseFS metadata file ("MFSM 2.0" with the section
 * versions of sections.c, or "MFSM NEW") into struct mfs_meta.
 * Spec: docs/moosefs-format.md 1.1-1.5.  Never exits: errors are reported as
 * "FILE@OFFSET: what" and returned as RC_DATA / RC_IO. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/bytes.h"
#include "lib/err.h"
#include "lib/xio.h"
#include "moosefs/family.h"
#include "moosefs/meta.h"
#include "moosefs/rd.h"
#include "moosefs/sections.h"

static int
bad(struct mfs_rd *r, const char *what)
{
	warn_off(RC_DATA, r->name, mfs_rd_off(r), "%s", what);
	return RC_DATA;
}

#define NEED(r, n, what) do { if (mfs_rd_need((r), (n))) return mfs_rd_fail((r), (what)); } while (0)
/* a record of n bytes, its fields read by mfs_rd_rec */
#define REC(r, n, what, ...) do { NEED(r, n, what); mfs_rd_rec((r), __VA_ARGS__); } while (0)

/* SESS 1.5 and 1.6: 1.0..1.6 share one reader (meta_load_old.c) */
int
mfs_load_sess(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	(void)flags;
	return mfs_sess_load_ver(m, r, 0x15);
}

int
mfs_load_sess4(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	(void)flags;
	return mfs_sess_load_ver(m, r, 0x16);
}

int
mfs_load_scla(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	(void)flags;
	uint8_t org;

	NEED(r, 1, "truncated SCLA header");
	org = mfs_rd_u8(r);
	if (org < 1 || org > 4)
		return bad(r, "SCLA: unsupported number of OR-groups");
	for (;;) {
		uint16_t id, delay;
		uint8_t nleng, admin, mode, c, k, a;
		struct mfs_sclass *sc;
		REC(r, 10, "truncated SCLA record", "hbbbhbbb", &id, &nleng, &admin, &mode, &delay, &c, &k, &a);
		if (id == 0 && nleng == 0 && c == 0 && k == 0 && a == 0 && delay == 0)
			return RC_OK;
		if (id == 0 || id > 255 || c < 1 || c > 9 || k < 1 || k > 9 || a < 1 || a > 9 || nleng == 0)
			return bad(r, "SCLA: bad storage class record");
		if (id >= 10 && m->sc[id])
			return bad(r, "SCLA: storage class defined twice");
		NEED(r, nleng + (uint32_t)(c + k + a) * 4 * org, "truncated SCLA record");
		sc = m->sc[id];
		if (!sc)
			sc = m->sc[id] = xcalloc(1, sizeof *sc);
		else
			memset(sc, 0, sizeof *sc);
		sc->nleng = nleng;
		memcpy(sc->name, r->p, nleng);
		r->p += nleng;
		sc->admin = admin;
		sc->mode = mode;
		sc->delay = delay;
		sc->create = c;
		sc->keep = k;
		sc->arch = a;
		for (int i = 0; i < c + k + a; i++)
			for (int j = 0; j < org; j++)
				sc->masks[i][j] = mfs_rd_u32(r);
		if (id + 1u > m->sc_firstneverused)
			m->sc_firstneverused = id + 1u;
	}
}

/* one NODE record of version mver (1.0..1.3: meta_load_old.c's parts) */
static int
load_node(struct mfs_meta *m, struct mfs_rd *r, uint8_t mver)
{
	uint32_t inode, idx;
	uint8_t type;
	struct mfs_node *n;

	NEED(r, 1, "truncated NODE record");
	type = mfs_rd_u8(r);
	if (type == 0)
		return 1;
	if (mver <= 0x12)
		type = mfs_node_type_old(type);
	if (type == 0 || type > MFS_T_SUSTAINED)
		return bad(r, "NODE: unknown node type");
	/* the fixed part: 1.2/1.3 have a byte more than 1.0/1.1 and 1.4 */
	NEED(r, mver == 0x12 || mver == 0x13 ? 32 : 31, "truncated NODE record");
	inode = mfs_rd_u32(r);
	if (inode == 0)
		return bad(r, "NODE: inode 0");
	/* the used bitmap is small and cached: most inodes need no lookup */
	if ((inode >> 5) < m->usedwords && (m->usedmap[inode >> 5] >> (inode & 31) & 1) && mfs_node_idx(m, inode))
		return bad(r, "NODE: inode defined twice");
	idx = mfs_node_add(m, inode, type);
	n = &m->nodes.v[idx];
	if (mver <= 0x13) {
		mfs_node_attrs_old(r, n, mver);
	} else {
		/* "bbbhwwwwwh" read field by field: mfs_rd_rec's format loop costs a
		 * tenth of a restore's time on the million records of this section */
		n->sclass = mfs_rd_u8(r);
		n->eattr = mfs_rd_u8(r);
		n->winattr = mfs_rd_u8(r);
		n->mode = mfs_rd_u16(r);
		n->uid = mfs_rd_u32(r);
		n->gid = mfs_rd_u32(r);
		n->atime = mfs_rd_u32(r);
		n->mtime = mfs_rd_u32(r);
		n->ctime = mfs_rd_u32(r);
		n->trashtime = mfs_rd_u16(r);
	}
	n->mode &= 0xFFF;
	if (type != MFS_T_FILE && type != MFS_T_DIR && type != MFS_T_TRASH && type != MFS_T_SUSTAINED)
		n->sclass = 0;
	if (inode == 1)
		m->root = idx;
	switch (type) {
	case MFS_T_BLOCKDEV:
	case MFS_T_CHARDEV:
		NEED(r, 4, "truncated NODE record");
		n->u.rdev = mfs_rd_u32(r);
		break;
	case MFS_T_SYMLINK: {
		uint32_t l;
		NEED(r, 4, "truncated NODE record");
		l = mfs_rd_u32(r);
		if (l > mfs_rd_left(r))
			return bad(r, "NODE: symlink path longer than the section");
		NEED(r, l, "truncated NODE symlink path");
		n->u.s.path = mfs_strdup(m, r->p, l);
		n->u.s.len = l;
		r->p += l;
		break;
	}
	case MFS_T_FILE:
	case MFS_T_TRASH:
	case MFS_T_SUSTAINED: {
		uint32_t ch;
		uint16_t sids = 0;   /* 1.0..1.3: open sessions after the chunks */
		uint64_t *t;
		if (mver <= 0x13) {
			REC(r, 14, "truncated NODE record", "qwh", &n->u.f.length, &ch, &sids);
		} else {
			NEED(r, 12, "truncated NODE record");
			n->u.f.length = mfs_rd_u64(r);
			ch = mfs_rd_u32(r);
		}
		if (ch > MFS_MAX_INDEX + 1u || (uint64_t)ch * 8 + sids * 4u > mfs_rd_left(r))
			return bad(r, "NODE: chunk count larger than the section");
		mfs_chunks_resize(n, ch);
		t = mfs_chunks(n);
		for (uint32_t i = 0; i < ch; i++) {
			NEED(r, 8, "truncated NODE chunk list");
			t[i] = mfs_rd_u64(r);
		}
		NEED(r, sids * 4u, "truncated NODE session list");
		mfs_node_sessions_old(m, r, inode, sids);
		break;
	}
	default:
		break;
	}
	mfs_sclass_count(m, n, 1);
	return 0;
}

/* A cursor over the records already in the read window ahead of the
 * current one, for prefetching */
struct ahead {
	uint64_t off;   /* file offset after the last record this cursor saw */
	uint32_t n;     /* records between the current one and off */
};

/* the size of the NODE record at q (avail bytes there), 0 when it ends the
 * section or is not all in the window */
static size_t
node_rec_size(const uint8_t *q, size_t avail)
{
	size_t n = 32;

	if (avail < 36 || q[0] == 0)
		return 0;
	if (q[0] == MFS_T_FILE || q[0] == MFS_T_TRASH || q[0] == MFS_T_SUSTAINED)
		n = avail < 44 ? 0 : 44 + (size_t)get_be32(q + 40) * 8;
	else if (q[0] == MFS_T_SYMLINK)
		n = 36 + (size_t)get_be32(q + 32);
	else if (q[0] == MFS_T_BLOCKDEV || q[0] == MFS_T_CHARDEV)
		n = 36;
	return n <= avail ? n : 0;
}

/* NODE records come in hash order: the inode array slot each one writes
 * would be a cache miss, so a cursor fetches it NODE_AHEAD records early */
#define NODE_AHEAD 32
static void
node_ahead(const struct mfs_meta *m, const struct mfs_rd *r, struct ahead *a)
{
	size_t pos, k, avail = (size_t)(r->end - r->buf);

	if (a->off < mfs_rd_off(r)) {
		a->off = mfs_rd_off(r);
		a->n = 0;
	}
	pos = (size_t)(a->off - r->base);
	while (a->n < NODE_AHEAD && pos < avail && (k = node_rec_size(r->buf + pos, avail - pos))) {
		uint32_t inode = get_be32(r->buf + pos + 1);
		if (inode < m->ndirect)
			__builtin_prefetch(&m->direct[inode], 1);
		pos += k;
		a->off = r->base + pos;
		a->n++;
	}
	if (a->n)
		a->n--;   /* the current record is consumed next */
}

/* NODE 1.4, and 1.0..1.3 (1.0: no hash size, 3.0.117 takes 1) */
static int
load_nodes(struct mfs_meta *m, struct mfs_rd *r, uint8_t mver)
{
	uint32_t cnt = 1, want;
	struct ahead ahead = { 0, 0 };
	int rc;

	NEED(r, mver >= 0x11 ? 8 : 4, "truncated NODE header");
	m->maxnodeid = mfs_rd_u32(r);
	if (mver >= 0x11)
		cnt = mfs_rd_u32(r);
	want = cnt;
	m->nodehash_bits = 0;
	while (cnt) {
		cnt >>= 1;
		m->nodehash_bits++;
	}
	if (m->nodehash_bits < 24)
		m->nodehash_bits = 24;
	/* size the tables from the header, bounded by what the section can hold */
	{
		uint64_t fit = mfs_rd_left(r) / 32;
		mfs_reserve(m, want < fit ? want : (uint32_t)fit, m->maxnodeid);
	}
	for (;;) {
		/* the prefetch cursor knows 1.4's record sizes only */
		if (mver == 0x14)
			node_ahead(m, r, &ahead);
		if ((rc = load_node(m, r, mver)) != 0)
			break;
	}
	return rc == 1 ? RC_OK : rc;
}

/* Prefetching for EDGE records: the nodes are stored in hash order, so both
 * a child's slot in the inode array and its node would be cache misses.  Two
 * cursors run ahead over the records already in the read window: the far one
 * fetches the array slot, the near one (its slot now cached) the node. */
#define EDGE_NEAR 16
#define EDGE_FAR 64

static void
edge_ahead(const struct mfs_meta *m, const struct mfs_rd *r, struct ahead *a, uint32_t dist, int node)
{
	size_t pos, avail = (size_t)(r->end - r->buf);

	if (a->off < mfs_rd_off(r)) {
		a->off = mfs_rd_off(r);
		a->n = 0;
	}
	pos = (size_t)(a->off - r->base);
	while (a->n < dist && pos + 18 <= avail) {
		uint32_t child = get_be32(r->buf + pos + 4);
		if (child < m->ndirect) {
			if (node)
				__builtin_prefetch(&m->nodes.v[m->direct[child]]);
			else
				__builtin_prefetch(&m->direct[child]);
		}
		pos += 18 + (size_t)get_be16(r->buf + pos + 16);
		a->off = r->base + pos;
		a->n++;
	}
	if (a->n)
		a->n--;   /* the current record is consumed next */
}

int
mfs_load_nodes(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	(void)flags;
	return load_nodes(m, r, 0x14);
}

#define OLD_NODE(V) \
	int mfs_load_nodes_##V(struct mfs_meta *m, struct mfs_rd *r, int flags) \
	{ (void)flags; return load_nodes(m, r, 0x##V); }
MFS_OLD_NODE(OLD_NODE)

/* EDGE 1.1, and 1.0 (old: no next id, no edge ids; 3.0.117 takes
 * EDGEID_MAX and ids 0, and renumbers them only when a master starts) */
static int
load_edges(struct mfs_meta *m, struct mfs_rd *r, int flags, int old)
{
	uint32_t lastp = 0, lastpidx = 0;
	struct ahead near = { 0, 0 }, far = { 0, 0 };

	if (old) {
		m->nextedgeid = 0x7FFFFFFFFFFFFFFFULL;
	} else {
		NEED(r, 8, "truncated EDGE header");
		m->nextedgeid = mfs_rd_u64(r);
	}
	/* the name index is built in one pass when first needed */
	m->edge_map_stale = 1;
	for (;;) {
		uint32_t parent, child, pidx, cidx;
		uint64_t eid;
		uint16_t nl;
		const char *name;
		if (old) {
			eid = 0;
			REC(r, 10, "truncated EDGE record", "wwh", &parent, &child, &nl);
		} else {
			/* the cursors know 1.1's record layout only */
			edge_ahead(m, r, &far, EDGE_FAR, 0);
			edge_ahead(m, r, &near, EDGE_NEAR, 1);
			NEED(r, 18, "truncated EDGE record");
			parent = mfs_rd_u32(r);
			child = mfs_rd_u32(r);
			eid = mfs_rd_u64(r);
			nl = mfs_rd_u16(r);
		}
		if (parent == 0 && child == 0)
			return RC_OK;
		NEED(r, nl, "truncated EDGE name");
		name = mfs_strdup(m, r->p, nl);
		r->p += nl;
		cidx = mfs_node_idx(m, child);
		if (!cidx) {
			if (flags & MFS_LOAD_IGNORE)
				continue;
			return bad(r, "EDGE: child inode does not exist");
		}
		if (parent == 0) {
			uint8_t t = m->nodes.v[cidx].type;
			if (t != MFS_T_TRASH && t != MFS_T_SUSTAINED) {
				if (flags & MFS_LOAD_IGNORE)
					continue;
				return bad(r, "EDGE: trash entry for a node that is not in trash");
			}
			mfs_edge_add_special(m, cidx, t == MFS_T_TRASH ? 1 : 2, name, nl, eid);
			continue;
		}
		/* names of one directory come together: remember its index */
		if (parent != lastp) {
			lastp = parent;
			lastpidx = mfs_node_idx(m, parent);
		}
		pidx = lastpidx;
		if (!pidx || m->nodes.v[pidx].type != MFS_T_DIR) {
			if (!(flags & MFS_LOAD_IGNORE))
				return bad(r, pidx ? "EDGE: parent is not a directory"
						   : "EDGE: parent inode does not exist");
			pidx = m->root;
			if (!pidx)
				continue;
		}
		if (nl == 0)
			return bad(r, "EDGE: empty name");
		if (m->nodes.v[cidx].type == MFS_T_DIR && m->nodes.v[cidx].nlink) {
			if (flags & MFS_LOAD_IGNORE)
				continue;
			return bad(r, "EDGE: directory with two parents");
		}
		mfs_edge_add(m, pidx, cidx, name, nl, eid, 0);
	}
}

int
mfs_load_edges(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	return load_edges(m, r, flags, 0);
}

int
mfs_load_edges_10(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	return load_edges(m, r, flags, 1);
}

/* A section that starts with its record count (each record size bytes,
 * checked against the section's length first), then each record by one() */
static int
counted(struct mfs_meta *m, struct mfs_rd *r, int flags, const char *tag, uint32_t size,
	int (*one)(struct mfs_meta *, struct mfs_rd *, int))
{
	char head[40], big[48], rec[40];
	uint32_t cnt;

	snprintf(head, sizeof head, "truncated %s header", tag);
	snprintf(big, sizeof big, "%s: count larger than the section", tag);
	snprintf(rec, sizeof rec, "truncated %s record", tag);
	NEED(r, 4, head);
	cnt = mfs_rd_u32(r);
	if ((uint64_t)cnt * size > mfs_rd_left(r))
		return bad(r, big);
	for (uint32_t i = 0; i < cnt; i++) {
		int rc;
		NEED(r, size, rec);
		if ((rc = one(m, r, flags)))
			return rc;
	}
	return RC_OK;
}

/* mfs_load_NAME: the counted section TAG of SIZE-byte records, each by NAME_one */
#define COUNTED(NAME, TAG, SIZE) \
	int mfs_load_##NAME(struct mfs_meta *m, struct mfs_rd *r, int flags) \
	{ \
		return counted(m, r, flags, TAG, SIZE, NAME##_one); \
	}

static int
free_one(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	uint32_t k = MFS_VEC_ADD(m->freel);

	(void)flags;
	mfs_rd_rec(r, "ww", &m->freel.v[k].inode, &m->freel.v[k].ftime);
	mfs_used_set(m, m->freel.v[k].inode);
	m->freelastts = m->freel.v[k].ftime;
	return RC_OK;
}
COUNTED(free, "FREE", 8)

/* QUOT 1.1, and 1.0 (old: no grace period; 3.0.117 takes
 * QUOTA_DEFAULT_GRACE_PERIOD, 604800 unless the restore's config says) */
static int
quota_rec(struct mfs_meta *m, struct mfs_rd *r, int flags, int old)
{
	struct mfs_quota q = { .grace = 604800 };
	struct mfs_node *n;
	uint32_t k;

	if (old)
		mfs_rd_rec(r, "wbbwwwqqqqqq", &q.inode, &q.exceeded, &q.flags, &q.stimestamp, &q.sinodes,
			   &q.hinodes, &q.slength, &q.hlength, &q.ssize, &q.hsize, &q.srealsize, &q.hrealsize);
	else
		mfs_rd_rec(r, "wwbbwwwqqqqqq", &q.inode, &q.grace, &q.exceeded, &q.flags, &q.stimestamp,
			   &q.sinodes, &q.hinodes, &q.slength, &q.hlength, &q.ssize, &q.hsize, &q.srealsize,
			   &q.hrealsize);
	n = mfs_node_get(m, q.inode);
	if (!n || n->type != MFS_T_DIR || n->u.d.quota)
		return flags & MFS_LOAD_IGNORE ? RC_OK : bad(r, "QUOT: quota for a missing inode or a non-directory");
	k = MFS_VEC_ADD(m->quota);
	q.alive = 1;
	q.seq = ++m->seq;
	m->quota.v[k] = q;
	n->u.d.quota = k;
	return RC_OK;
}

static int
quota_one(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	return quota_rec(m, r, flags, 0);
}
COUNTED(quota, "QUOT", 70)

static int
quota_10_one(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	return quota_rec(m, r, flags, 1);
}
COUNTED(quota_10, "QUOT", 66)

int
mfs_load_xattr(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	uint32_t last = 0, lastent = 0;

	for (;;) {
		uint32_t inode, vl, e, p;
		uint8_t nl;
		struct mfs_node *n;
		REC(r, 9, "truncated XATR record", "wbw", &inode, &nl, &vl);
		if (inode == 0)
			return RC_OK;
		if (nl == 0 || vl > 65536) {
			if (!(flags & MFS_LOAD_IGNORE))
				return bad(r, nl == 0 ? "XATR: empty name" : "XATR: value too long");
			NEED(r, nl + vl, "truncated XATR record");
			r->p += nl + vl;
			continue;
		}
		NEED(r, nl + vl, "truncated XATR record");
		n = mfs_node_get(m, inode);
		if (!n) {
			r->p += nl + vl;
			continue;
		}
		if (inode != last || !lastent) {
			e = mfs_xent_find(m, inode);
			if (!e)
				e = mfs_xent_add(m, inode);
			last = inode;
			lastent = e;
		}
		n->flags |= MFS_NF_XATTR;
		p = MFS_VEC_ADD(m->xpair);
		m->xpair.v[p].name = mfs_strdup(m, r->p, nl);
		m->xpair.v[p].nleng = nl;
		m->xpair.v[p].value = mfs_strdup(m, r->p + nl, vl);
		m->xpair.v[p].vleng = vl;
		r->p += nl + vl;
		/* append at the tail: loading keeps file order */
		{
			uint32_t *pp = &m->xent.v[lastent].head;
			while (*pp)
				pp = &m->xpair.v[*pp].next;
			*pp = p;
		}
	}
}

/* PACL 1.1, and 1.0 (old: 3.0.117 mends a zero mask from the mode, "for
 * fixing ACL's produced by mfs before 3.0.98") */
static int
load_acl(struct mfs_meta *m, struct mfs_rd *r, int flags, int old)
{
	for (;;) {
		uint32_t inode, cnt, k;
		uint8_t type;
		uint16_t perm[4], nu, ng;
		struct mfs_node *n;
		REC(r, 17, "truncated PACL record", "wbh4hh", &inode, &type, perm, &nu, &ng);
		if (inode == 0)
			return RC_OK;
		cnt = (uint32_t)nu + ng;
		NEED(r, cnt * 6, "truncated PACL record");
		n = mfs_node_get(m, inode);
		if (!n) {
			r->p += cnt * 6;
			continue;
		}
		if ((type != 1 && type != 2) || mfs_acl_find(m, inode, type)) {
			if (!(flags & MFS_LOAD_IGNORE))
				return bad(r, type != 1 && type != 2 ? "PACL: bad ACL type" : "PACL: ACL defined twice");
			r->p += cnt * 6;
			continue;
		}
		if (old && perm[3] == 0) {
			perm[0] = (uint16_t)((perm[0] & 0xFFF8) | ((n->mode >> 6) & 7));
			perm[3] = 7;
			perm[2] = (uint16_t)((perm[2] & 0xFFF8) | (n->mode & 7));
		}
		k = MFS_VEC_ADD(m->acl);
		m->acl.v[k].inode = inode;
		m->acl.v[k].type = type;
		m->acl.v[k].alive = 1;
		m->acl.v[k].seq = ++m->seq;
		memcpy(m->acl.v[k].perm, perm, sizeof perm);
		m->acl.v[k].nu = nu;
		m->acl.v[k].ng = ng;
		m->acl.v[k].named = (const uint8_t *)mfs_strdup(m, r->p, cnt * 6);
		r->p += cnt * 6;
		mfs_idmap_put(&m->acl_map, mfs_mix64((uint64_t)inode * 2 + type - 1), k, mfs_acl_rh, m);
		n->flags |= type == 1 ? MFS_NF_ACLA : MFS_NF_ACLD;
	}
}

int
mfs_load_acl(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	return load_acl(m, r, flags, 0);
}

int
mfs_load_acl_10(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	return load_acl(m, r, flags, 1);
}

int
mfs_load_open(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	(void)flags;
	for (;;) {
		uint32_t s, i;
		REC(r, 8, "truncated OPEN record", "ww", &s, &i);
		if (s == 0 || i == 0)
			return RC_OK;
		if (mfs_sess_find(m, s) && !mfs_open_find(m, s, i))
			mfs_open_add(m, s, i);
	}
}

static uint32_t
lockino_get(struct mfs_meta *m, int posix, uint32_t inode)
{
	MFS_VEC(struct mfs_lockino) *v = posix ? (void *)&m->plino : (void *)&m->flino;
	uint32_t k;

	for (uint32_t i = 0; i < v->n; i++)
		if (v->v[i].alive && v->v[i].inode == inode)
			return i;
	k = MFS_VEC_ADD(*v);
	v->v[k].inode = inode;
	v->v[k].alive = 1;
	v->v[k].seq = ++m->seq;
	return k;
}

int
mfs_load_flock(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	for (;;) {
		uint32_t inode, sess, k;
		uint64_t owner;
		uint8_t type;
		REC(r, 17, "truncated FLCK record", "wqwb", &inode, &owner, &sess, &type);
		if (inode == 0 && owner == 0 && sess == 0)
			return RC_OK;
		if (!mfs_open_find(m, sess, inode)) {
			if (flags & MFS_LOAD_IGNORE)
				continue;
			return bad(r, "FLCK: lock on a file that is not open");
		}
		(void)lockino_get(m, 0, inode);
		k = MFS_VEC_ADD(m->flock);
		m->flock.v[k].inode = inode;
		m->flock.v[k].owner = owner;
		m->flock.v[k].sess = sess;
		m->flock.v[k].type = type ? 1 : 0;
		m->flock.v[k].alive = 1;
		m->flock.v[k].seq = ++m->seq;
	}
}

int
mfs_load_plock(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	for (;;) {
		uint32_t inode, sess, pid, k, oseq = 0;
		uint64_t owner, start, end;
		uint8_t type;
		REC(r, 37, "truncated PLCK record", "wqwwqqb", &inode, &owner, &sess, &pid, &start, &end, &type);
		if (inode == 0 && owner == 0 && sess == 0)
			return RC_OK;
		if (!mfs_open_find(m, sess, inode) || (type != 1 && type != 2) || start >= end) {
			if (flags & MFS_LOAD_IGNORE)
				continue;
			return bad(r, "PLCK: bad lock record or file not open");
		}
		(void)lockino_get(m, 1, inode);
		for (uint32_t i = 0; i < m->plock.n; i++) {
			struct mfs_plock *p = &m->plock.v[i];
			if (p->alive && p->inode == inode && p->sess == sess && p->owner == owner) {
				oseq = p->oseq;
				break;
			}
		}
		k = MFS_VEC_ADD(m->plock);
		m->plock.v[k] = (struct mfs_plock){ .inode = inode, .sess = sess, .pid = pid,
			.oseq = oseq ? oseq : ++m->seq, .alive = 1, .owner = owner,
			.start = start, .end = end, .type = type };
	}
}

static int
csdb_one(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	uint32_t k = MFS_VEC_ADD(m->cs);

	(void)flags;
	mfs_rd_rec(r, "whhbw", &m->cs.v[k].ip, &m->cs.v[k].port, &m->cs.v[k].csid, &m->cs.v[k].maint,
		   &m->cs.v[k].mto);
	m->cs.v[k].alive = 1;
	m->cs.v[k].seq = ++m->seq;
	return RC_OK;
}
COUNTED(csdb, "CSDB", 13)

/* CHNK 1.1, and 1.0 (old: no archive flag) */
static int
load_chunks(struct mfs_meta *m, struct mfs_rd *r, int old)
{
	NEED(r, 8, "truncated CHNK header");
	m->nextchunkid = mfs_rd_u64(r);
	/* no count in the header: the section's length bounds it */
	mfs_reserve_chunks(m, (uint32_t)(mfs_rd_left(r) / 17 < (1u << 26) ? mfs_rd_left(r) / 17 : (1u << 26)),
			   m->nextchunkid);
	for (;;) {
		uint64_t id;
		uint32_t v, l;
		uint8_t a = 0;
		struct mfs_chunk *c;
		if (old) {
			REC(r, 16, "truncated CHNK record", "qww", &id, &v, &l);
		} else {
			NEED(r, 17, "truncated CHNK record");
			id = mfs_rd_u64(r);
			v = mfs_rd_u32(r);
			l = mfs_rd_u32(r);
			a = mfs_rd_u8(r);
		}
		if (id == 0) {
			if (v == 0 && l == 0)
				return RC_OK;
			return bad(r, "CHNK: chunk id 0");
		}
		if (mfs_chunk_get(m, id))
			return bad(r, "CHNK: chunk defined twice");
		c = mfs_chunk_add(m, id);
		c->version = v;
		c->lockedto = l;
		c->arch = a;
	}
}

/* SCLA 1.C (4.59.2): u16 expression size, u8 EC version, then per class
 * u16 id and a 48-byte fixed part (see docs/moosefs-format.md), name,
 * description and the expressions; kept as stored (rec4) */
#define SC4_FIXED 48
#define SC4_EXPR 128

/* the number of expressions of a 4.x class record (create, keep, arch, trash) */
uint32_t
mfs_sc4_nexpr(const uint8_t *fixed)
{
	return (uint32_t)fixed[22] + fixed[28] + fixed[34] + fixed[41];
}

int
mfs_load_scla4(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	(void)flags;
	NEED(r, 3, "truncated SCLA header");
	m->sc4_exprsize = mfs_rd_u16(r);
	m->sc4_ecver = mfs_rd_u8(r);
	if (m->sc4_exprsize != SC4_EXPR)
		return bad(r, "SCLA: unsupported label expression size (4.59.2 writes 128)");
	for (int i = 1; i < 256; i++) {
		free(m->sc[i]);
		m->sc[i] = NULL;
	}
	m->sc_firstneverused = 1;
	for (;;) {
		uint16_t id;
		const uint8_t *f;
		uint32_t len;
		struct mfs_sclass *sc;
		NEED(r, 2, "truncated SCLA record");
		id = mfs_rd_u16(r);
		if (id == 0)
			return RC_OK;
		NEED(r, SC4_FIXED, "truncated SCLA record");
		f = r->p;
		if (id > 255 || f[0] == 0 || f[28] == 0 || f[22] > 9 || f[28] > 9 || f[34] > 9 || f[41] > 9 ||
		    (f[35] & 0xF) > 9 || (f[42] & 0xF) > 9)
			return bad(r, "SCLA: bad storage class record");
		if (m->sc[id])
			return bad(r, "SCLA: storage class defined twice");
		len = SC4_FIXED + f[0] + f[1] + mfs_sc4_nexpr(f) * SC4_EXPR;
		NEED(r, len, "truncated SCLA record");
		sc = m->sc[id] = xcalloc(1, sizeof *sc);
		sc->nleng = f[0];
		memcpy(sc->name, f + SC4_FIXED, f[0]);
		sc->admin = f[7];
		sc->mode = f[8];
		sc->rec4 = (const uint8_t *)mfs_strdup(m, f, len);
		sc->rec4len = len;
		r->p += len;
		if (id + 1u > m->sc_firstneverused)
			m->sc_firstneverused = id + 1u;
	}
}

/* PATT 1.1: records of MFS_PATT_FIXED bytes and a glob, ended by a record
 * with no glob and any uid and gid */
int
mfs_load_patt(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	(void)flags;
	for (;;) {
		uint8_t gl;
		uint32_t k;
		NEED(r, 9, "truncated PATT record");
		gl = r->p[0];
		if (gl == 0 && get_be32(r->p + 1) == 0xFFFFFFFFu && get_be32(r->p + 5) == 0xFFFFFFFFu) {
			r->p += 9;
			mfs_patt_sort(m);   /* patterns_load sorts them */
			return RC_OK;
		}
		NEED(r, MFS_PATT_FIXED + (uint32_t)gl, "truncated PATT record");
		if (m->patt.n >= 1024)
			return bad(r, "PATT: more than 1024 patterns");
		k = MFS_VEC_ADD(m->patt);
		m->patt.v[k].len = (uint16_t)(MFS_PATT_FIXED + gl);
		memcpy(m->patt.v[k].rec, r->p, MFS_PATT_FIXED + (size_t)gl);
		r->p += MFS_PATT_FIXED + gl;
	}
}

/* CHNK 1.2: id, version, lockedto, flags, number of (class, count) pairs
 * (flag 0x80: plus 256), the pairs (u8 class, u24 count), and after two or
 * more pairs the chunk's own class */
int
mfs_load_chunks4(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	(void)flags;
	NEED(r, 8, "truncated CHNK header");
	m->nextchunkid = mfs_rd_u64(r);
	mfs_reserve_chunks(m, (uint32_t)(mfs_rd_left(r) / 18 < (1u << 26) ? mfs_rd_left(r) / 18 : (1u << 26)),
			   m->nextchunkid);
	for (;;) {
		uint64_t id;
		uint32_t v, l, np;
		uint8_t fl, p8;
		struct mfs_chunk *c;
		REC(r, 18, "truncated CHNK record", "qwwbb", &id, &v, &l, &fl, &p8);
		np = p8 | (fl & 0x80 ? 0x100u : 0);
		fl &= 0x7F;
		if (id == 0) {
			if (v == 0 && l == 0 && fl == 0 && np == 0)
				return RC_OK;
			return bad(r, "CHNK: chunk id 0");
		}
		if (mfs_chunk_get(m, id))
			return bad(r, "CHNK: chunk defined twice");
		NEED(r, np * 4 + (np > 1), "truncated CHNK class list");
		c = mfs_chunk_add(m, id);
		c->version = v;
		c->lockedto = l;
		c->arch = fl;
		c->npairs = (uint16_t)np;
		if (np == 1) {
			c->sclassid = r->p[0];
			c->pairs = get_be32(r->p) & 0xFFFFFF;
			r->p += 4;
		} else if (np > 1) {
			c->pairs = m->cpairs.n;
			for (uint32_t i = 0; i < np; i++) {
				uint32_t k = MFS_VEC_ADD(m->cpairs);
				m->cpairs.v[k] = get_be32(r->p);
				r->p += 4;
			}
			c->sclassid = mfs_rd_u8(r);
		}
	}
}

int
mfs_load_chunks(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	(void)flags;
	return load_chunks(m, r, 0);
}

int
mfs_load_chunks_10(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	(void)flags;
	return load_chunks(m, r, 1);
}

/* after loading: orphans, chunk reference counts */
static int
load_finish(struct mfs_meta *m, const char *name, int flags)
{
	if (!m->root) {
		warn_rc(RC_DATA, "%s: no root inode", name);
		return RC_DATA;
	}
	for (uint32_t i = 1; i < m->nodes.n; i++) {
		struct mfs_node *n = &m->nodes.v[i];
		if (!n->inode)
			continue;
		if (n->nlink == 0 && i != m->root) {
			char art[40];
			int l;
			if (!(flags & MFS_LOAD_IGNORE)) {
				warn_rc(RC_DATA, "%s: orphaned inode %u (no name points to it; -i links it into the root as lost_node_%u)",
					name, n->inode, n->inode);
				return RC_DATA;
			}
			for (uint32_t k = 0;; k++) {
				l = k ? snprintf(art, sizeof art, "lost_node_%u.%u", n->inode, k)
				      : snprintf(art, sizeof art, "lost_node_%u", n->inode);
				if (!mfs_edge_find(m, m->root, art, (uint16_t)l))
					break;
			}
			mfs_edge_add(m, m->root, i, mfs_strdup(m, art, (size_t)l), (uint16_t)l,
				     m->nextedgeid < 0x7FFFFFFFFFFFFFFFULL ? m->nextedgeid-- : 0, 1);
		}
		if (n->type == MFS_T_FILE || n->type == MFS_T_TRASH || n->type == MFS_T_SUSTAINED) {
			uint64_t *t = mfs_chunks(n);
			for (uint32_t k = 0; k < n->u.f.nch; k++) {
				struct mfs_chunk *c;
				if (t[k] && (c = mfs_chunk_get(m, t[k])))
					c->fcount++;
			}
		}
	}
	return RC_OK;
}

/* one section at r (its 16-byte header already read into s) */
static int
load_section(struct mfs_meta *m, struct mfs_rd *r, int flags, const struct mfs_sechdr *s)
{
	const struct mfs_section *t;
	uint64_t start = mfs_rd_off(r);
	int known, rc;

	r->secend = s->len == UINT64_MAX ? UINT64_MAX : start + s->len;
	if (s->len != UINT64_MAX && s->len > r->size - start) {
		r->p -= 8;
		return bad(r, "section length goes past the end of the file");
	}
	t = mfs_section_find(r->name, start - 16, s, &known);
	if (!t && known)
		return RC_DATA;
	if (!t) {
		if (!(flags & MFS_LOAD_IGNORE) || s->len == UINT64_MAX) {
			warn_off(RC_DATA, r->name, start - 16, "unknown section '%.4s'", s->tag);
			return RC_DATA;
		}
		if (mfs_rd_skip(r, s->len))
			return mfs_rd_fail(r, "truncated section");
		return RC_OK;
	}
	if (t->family == 4)
		m->family = 4;
	/* read-only rows other than LABS are the versions before 3.0.112's */
	if (!t->store && memcmp(t->tag, "LABS", 4) != 0)
		m->oldsecs = 1;
	rc = t->load(m, r, flags);
	if (rc)
		return rc;
	r->secend = UINT64_MAX;
	if (s->len != UINT64_MAX && mfs_rd_off(r) - start != s->len) {
		warn_off(RC_DATA, r->name, start - 8,
			 "section %s: length field says %llu bytes but the records use %llu",
			 s->tag, (unsigned long long)s->len, (unsigned long long)(mfs_rd_off(r) - start));
		return RC_DATA;
	}
	return RC_OK;
}

static int
load_sections(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	for (;;) {
		struct mfs_sechdr s;
		int rc;

		NEED(r, 16, "truncated: section header or end marker missing");
		if (memcmp(r->p, MFS_EOF_MARKER, 16) == 0) {
			r->p += 16;
			return load_finish(m, r->name, flags);
		}
		mfs_sechdr_parse(r->p, &s);
		if (!s.well_formed)
			return bad(r, "bad section header");
		r->p += 16;
		rc = load_section(m, r, flags, &s);
		if (rc)
			return rc;
	}
}

static int
load_all(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	struct mfs_header h;
	int rc;

	mfs_init(m);
	if (mfs_rd_header(r, &h) || h.n < 8)
		return mfs_rd_fail(r, "truncated: no metadata header");
	if (h.kind == MFS_KIND_NEW) {
		mfs_free(m);
		mfs_init_new(m, 0);
		return RC_OK;
	}
	if (h.kind != MFS_KIND_20)
		return mfs_header_refuse(r->name, &h);
	if (r->size < 40 || !h.end_ok) {
		warn_off(RC_DATA, r->name, r->size, "truncated: the file does not end with the MooseFS end marker");
		return RC_DATA;
	}
	r->p += 24;
	/* LizardFS also wrote MFSM 2.0, with its own header and sections */
	if (mfs_rd_need(r, 16) == 0 && mfs_lizardfs_refuse(r->name, r->p, 16))
		return RC_DATA;
	m->version = h.version;
	m->metaid = h.metaid;
	rc = load_sections(m, r, flags);
	if (rc == RC_OK && mfs_rd_off(r) != r->size) {
		warn_off(RC_DATA, r->name, mfs_rd_off(r), "data after the end marker");
		rc = RC_DATA;
	}
	return rc;
}

int
mfs_load_mem(struct mfs_meta *m, const char *name, const uint8_t *data, size_t len, int flags)
{
	struct mfs_rd r;
	int rc;

	mfs_rd_init_mem(&r, name, data, len);
	rc = load_all(m, &r, flags);
	if (rc)
		mfs_free(m);
	return rc;
}

int
mfs_load_file(struct mfs_meta *m, const char *path, int flags, struct progress *pr)
{
	struct mfs_rd r;
	int rc, fd = open_ro(path);

	if (fd < 0) {
		memset(m, 0, sizeof *m);
		return RC_IO;
	}
	rc = mfs_rd_init_fd(&r, path, fd);
	r.pr = pr;
	if (rc == RC_OK)
		rc = load_all(m, &r, flags);
	else
		mfs_init(m);
	mfs_rd_close(&r);
	close(fd);
	if (rc)
		mfs_free(m);
	return rc;
}

int
mfs_peek_header(const char *path, uint64_t *version, uint64_t *metaid, int *is_new)
{
	struct mfs_header h;
	struct mfs_rd r;
	int rc, fd = open_ro(path);

	*version = *metaid = 0;
	*is_new = 0;
	if (fd < 0)
		return RC_IO;
	rc = mfs_rd_init_fd(&r, path, fd);
	if (rc == RC_OK) {
		if (mfs_rd_header(&r, &h) || h.n < 8) {
			rc = RC_DATA;
		} else if (h.kind == MFS_KIND_NEW) {
			*is_new = 1;
			*version = 1;
		} else if (h.kind != MFS_KIND_20 || r.size < 40 || !h.end_ok) {
			rc = RC_DATA;
		} else {
			*version = h.version;
			*metaid = h.metaid;
		}
	}
	mfs_rd_close(&r);
	close(fd);
	return rc;
}
