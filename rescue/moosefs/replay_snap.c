/* replay_snap.c: the SNAPSHOT changelog operation (copy mode, overwrite,
 * cp-like attributes, preserved hard links, delete mode), with its six
 * result counters.  Spec: docs/moosefs-format.md 3.1 (SNAPSHOT). */
#include <stdlib.h>
#include <string.h>

#include "lib/xio.h"
#include "moosefs/replay.h"

enum { SM_OVERWRITE = 1, SM_CPLIKE = 2, SM_FORCE = 4, SM_HARDLINKS = 8, SM_DELETE = 0x80 };

struct snap {
	struct mfs_meta *m;
	uint32_t ts, uid, ngids, gids[64];
	uint8_t smode, sesflags;
	uint16_t cumask;
	uint32_t chk, removed, same, existing, hardlinks, newobj;
	uint32_t *hl_src, *hl_dst;     /* preserved hard links: src inode -> dst index */
	size_t hl_n, hl_cap, hl_cap2;
};

/* permission bits (rwx) a user gets from an access ACL (posix_acl_accmode) */
static int
acl_bits(struct snap *s, const struct mfs_node *n)
{
	uint32_t a = mfs_acl_find(s->m, n->inode, 1);
	const struct mfs_acl *A;
	int found = 0, bits = 0;

	if (!a)
		return 0;
	A = &s->m->acl.v[a];
	if (s->uid == n->uid)
		return A->perm[0] & 7;
	for (uint32_t i = 0; i < A->nu; i++) {
		const uint8_t *e = A->named + 6 * i;
		uint32_t id = (uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 | (uint32_t)e[2] << 8 | e[3];
		if (id == s->uid)
			return (e[4] << 8 | e[5]) & A->perm[3] & 7;
	}
	for (uint32_t j = 0; j < s->ngids; j++)
		if (s->gids[j] == n->gid) {
			bits |= A->perm[1] & A->perm[3] & 7;
			found = 1;
		}
	for (uint32_t i = A->nu; i < (uint32_t)A->nu + A->ng; i++) {
		const uint8_t *e = A->named + 6 * i;
		uint32_t id = (uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 | (uint32_t)e[2] << 8 | e[3];
		for (uint32_t j = 0; j < s->ngids; j++)
			if (s->gids[j] == id) {
				bits |= (e[4] << 8 | e[5]) & A->perm[3] & 7;
				found = 1;
			}
	}
	return found ? bits : A->perm[2] & 7;
}

/* access test of the live master (fsnodes_accessmode) */
static int
access_ok(struct snap *s, uint32_t idx, int want)
{
	struct mfs_node *n = &s->m->nodes.v[idx];
	int bits;

	if (s->uid == 0)
		return 1;
	if (n->flags & MFS_NF_ACLA) {
		bits = acl_bits(s, n);
	} else if (s->uid == n->uid || (n->eattr & MFS_EA_NOOWNER)) {
		bits = (n->mode >> 6) & 7;
	} else if (s->sesflags & 0x04) {
		bits = ((n->mode >> 3) | n->mode) & 7;
	} else {
		int g = 0;
		for (uint32_t i = 0; i < s->ngids; i++)
			if (s->gids[i] == n->gid)
				g = 1;
		bits = g ? (n->mode >> 3) & 7 : n->mode & 7;
	}
	return (bits & want) == want;
}

static void
copy_chunks(struct snap *s, uint32_t src, uint32_t dst)
{
	struct mfs_meta *m = s->m;
	uint32_t nch = m->nodes.v[src].u.f.nch;

	mfs_chunks_resize(&m->nodes.v[dst], nch);
	for (uint32_t i = 0; i < nch; i++) {
		uint64_t id = mfs_chunks(&m->nodes.v[src])[i];
		mfs_chunks(&m->nodes.v[dst])[i] = id;
		if (id)
			mfs_chunk_addref(m, id);
	}
	m->nodes.v[dst].u.f.length = m->nodes.v[src].u.f.length;
}

static int
test(struct snap *s, uint32_t orig, uint32_t src, uint32_t dir, const char *name, uint16_t nl, int canow)
{
	struct mfs_meta *m = s->m;
	uint32_t e = mfs_edge_find(m, dir, name, nl), d;
	int st;

	if (!e)
		return MFS_ST_OK;
	d = m->edges.v[e].child;
	if (d == orig)
		return MFS_ST_EINVAL;
	if (m->nodes.v[d].eattr & (MFS_EA_UNDELETABLE | MFS_EA_IMMUTABLE | MFS_EA_APPENDONLY))
		return MFS_ST_EPERM;
	if (m->nodes.v[d].type != m->nodes.v[src].type)
		return MFS_ST_EPERM;
	if (m->nodes.v[src].type == MFS_T_TRASH || m->nodes.v[src].type == MFS_T_SUSTAINED)
		return MFS_ST_EPERM;
	if (m->nodes.v[src].type == MFS_T_DIR) {
		for (uint32_t c = m->nodes.v[src].u.d.head; c; c = m->edges.v[c].next)
			if ((st = test(s, orig, m->edges.v[c].child, d, m->edges.v[c].name, m->edges.v[c].nleng, canow)))
				return st;
	} else if (!canow) {
		return MFS_ST_EEXIST;
	}
	return MFS_ST_OK;
}

static uint32_t
create_copy(struct snap *s, uint32_t src, uint32_t dir, const char *name, uint16_t nl, uint8_t type)
{
	struct mfs_node *sn = &s->m->nodes.v[src];
	uint16_t smode = sn->mode;
	uint32_t suid = sn->uid, sgid = sn->gid;

	if (s->smode & SM_CPLIKE)
		return mfs_fs_create(s->m, s->ts, dir, name, nl, type, smode, s->cumask, s->uid, s->gids[0]);
	if (s->uid == 0 || s->uid == suid)
		return mfs_fs_create(s->m, s->ts, dir, name, nl, type, smode, 0, suid, sgid);
	return mfs_fs_create(s->m, s->ts, dir, name, nl, type, smode & 0x3FF, 0, s->uid, s->gids[0]);
}

static void
copy_acl(struct mfs_meta *m, uint32_t from, uint32_t to, uint8_t type)
{
	uint32_t a = mfs_acl_find(m, from, type);
	struct mfs_acl A;

	if (!a)
		return;
	A = m->acl.v[a];
	mfs_acl_set(m, to, type, A.perm, A.nu, A.ng, A.named);
	mfs_node_get(m, to)->flags |= type == 1 ? MFS_NF_ACLA : MFS_NF_ACLD;
}

/* the attributes an existing destination takes from its source */
static void
update_attrs(struct snap *s, uint32_t src, uint32_t dst)
{
	struct mfs_node *a = &s->m->nodes.v[src], *b = &s->m->nodes.v[dst];

	if (s->smode & SM_CPLIKE) {
		b->uid = s->uid;
		b->gid = s->gids[0];
		b->mode = a->mode & (uint16_t)~s->cumask & 0xFFF;
		b->ctime = s->ts;
	} else {
		if (s->uid == 0 || s->uid == a->uid) {
			b->mode = a->mode;
			b->uid = a->uid;
			b->gid = a->gid;
			b->ctime = a->ctime;
		} else {
			b->mode = a->mode & 0x3FF;
			b->uid = s->uid;
			b->gid = s->gids[0];
			b->ctime = s->ts;
		}
		b->atime = a->atime;
		b->mtime = a->mtime;
	}
	b->eattr |= MFS_EA_SNAPSHOT;
}

static void snap(struct snap *s, uint32_t src, uint32_t dir, const char *name, uint16_t nl, int newflag);

/* an existing file: kept when its chunks are the same, replaced otherwise;
 * returns the (new) destination */
static uint32_t
update_file(struct snap *s, uint32_t src, uint32_t e, uint32_t dir, const char *name, uint16_t nl)
{
	struct mfs_meta *m = s->m;
	uint32_t dst = m->edges.v[e].child;
	struct mfs_node *a = &m->nodes.v[src], *b = &m->nodes.v[dst];
	int same = a->u.f.length == b->u.f.length && a->u.f.nch == b->u.f.nch &&
		   memcmp(mfs_chunks(a), mfs_chunks(b), (size_t)a->u.f.nch * 8) == 0;

	if (same) {
		s->same++;
		return dst;
	}
	s->chk ^= m->nodes.v[dst].inode;
	mfs_fs_unlink(m, s->ts, e);
	dst = create_copy(s, src, dir, name, nl, MFS_T_FILE);
	s->existing++;
	s->chk ^= m->nodes.v[dst].inode;
	mfs_fs_sc_change(m, &m->nodes.v[dst], m->nodes.v[src].sclass);
	m->nodes.v[dst].trashtime = m->nodes.v[src].trashtime;
	copy_chunks(s, src, dst);
	return dst;
}

/* the destination name exists (edge e): update it in place */
static void
snap_existing(struct snap *s, uint32_t src, uint32_t e, uint32_t dir, const char *name, uint16_t nl, int rec)
{
	struct mfs_meta *m = s->m;
	uint8_t type = m->nodes.v[src].type;
	uint32_t dst = m->edges.v[e].child;

	if (type == MFS_T_DIR) {
		s->existing++;
		if (rec)
			for (uint32_t c = m->nodes.v[src].u.d.head; c; c = m->edges.v[c].next)
				snap(s, m->edges.v[c].child, dst, m->edges.v[c].name, m->edges.v[c].nleng, 0);
	} else if (type == MFS_T_FILE) {
		dst = update_file(s, src, e, dir, name, nl);
	} else if (type == MFS_T_SYMLINK) {
		s->existing++;
		m->nodes.v[dst].u.s = m->nodes.v[src].u.s;
	} else if (type == MFS_T_BLOCKDEV || type == MFS_T_CHARDEV) {
		s->existing++;
		m->nodes.v[dst].u.rdev = m->nodes.v[src].u.rdev;
	} else {
		s->existing++;
	}
	update_attrs(s, src, dst);
}

/* preserved hard links: link to the copy made of src before; 1 if done */
static int
relink(struct snap *s, uint32_t src, uint32_t dir, const char *name, uint16_t nl)
{
	struct mfs_meta *m = s->m;

	for (size_t i = 0; i < s->hl_n; i++) {
		if (s->hl_src[i] == m->nodes.v[src].inode) {
			s->hardlinks++;
			mfs_fs_link(m, s->ts, dir, s->hl_dst[i], name, nl);
			return 1;
		}
	}
	return 0;
}

static void
remember_link(struct snap *s, uint32_t src, uint32_t dst)
{
	xgrow((void **)&s->hl_src, &s->hl_cap, s->hl_n + 1, sizeof *s->hl_src);
	xgrow((void **)&s->hl_dst, &s->hl_cap2, s->hl_n + 1, sizeof *s->hl_dst);
	s->hl_src[s->hl_n] = s->m->nodes.v[src].inode;
	s->hl_dst[s->hl_n++] = dst;
}

/* the attributes a new copy keeps from its source (not in cp-like mode) */
static void
copy_attrs(struct snap *s, uint32_t src, uint32_t dst)
{
	struct mfs_meta *m = s->m;
	struct mfs_node *a = &m->nodes.v[src], *b = &m->nodes.v[dst];

	mfs_fs_sc_change(m, b, a->sclass);
	b->trashtime = a->trashtime;
	b->eattr = a->eattr;
	b->winattr = a->winattr;
	b->mode = a->mode;
	if (s->uid != 0 && s->uid != a->uid)
		b->mode &= 0x3FF;
	if (a->flags & MFS_NF_XATTR)
		mfs_fs_copy_xattrs(m, a->inode, b->inode);
	if (m->nodes.v[src].flags & MFS_NF_ACLA)
		copy_acl(m, m->nodes.v[src].inode, m->nodes.v[dst].inode, 1);
	if (m->nodes.v[src].flags & MFS_NF_ACLD)
		copy_acl(m, m->nodes.v[src].inode, m->nodes.v[dst].inode, 2);
}

/* the destination name is free: make a new copy */
static void
snap_new(struct snap *s, uint32_t src, uint32_t dir, const char *name, uint16_t nl, int rec)
{
	struct mfs_meta *m = s->m;
	uint8_t type = m->nodes.v[src].type;
	int links = (s->smode & SM_HARDLINKS) && type != MFS_T_DIR && m->nodes.v[src].nlink > 1;
	uint32_t dst;

	if (type == MFS_T_TRASH || type == MFS_T_SUSTAINED)
		return;
	if (links && relink(s, src, dir, name, nl))
		return;
	dst = create_copy(s, src, dir, name, nl, type);
	s->chk ^= m->nodes.v[dst].inode;
	s->newobj++;
	if (links)
		remember_link(s, src, dst);
	if (!(s->smode & SM_CPLIKE))
		copy_attrs(s, src, dst);
	if (type == MFS_T_DIR) {
		if (rec)
			for (uint32_t c = m->nodes.v[src].u.d.head; c; c = m->edges.v[c].next)
				snap(s, m->edges.v[c].child, dst, m->edges.v[c].name, m->edges.v[c].nleng, 1);
	} else if (type == MFS_T_FILE) {
		copy_chunks(s, src, dst);
	} else if (type == MFS_T_SYMLINK) {
		m->nodes.v[dst].u.s = m->nodes.v[src].u.s;
	} else if (type == MFS_T_BLOCKDEV || type == MFS_T_CHARDEV) {
		m->nodes.v[dst].u.rdev = m->nodes.v[src].u.rdev;
	}
	if (!(s->smode & SM_CPLIKE)) {
		m->nodes.v[dst].atime = m->nodes.v[src].atime;
		m->nodes.v[dst].mtime = m->nodes.v[src].mtime;
		m->nodes.v[dst].ctime = m->nodes.v[src].ctime;
	}
	m->nodes.v[dst].eattr |= MFS_EA_SNAPSHOT;
}

static void
snap(struct snap *s, uint32_t src, uint32_t dir, const char *name, uint16_t nl, int newflag)
{
	struct mfs_meta *m = s->m;
	uint8_t type = m->nodes.v[src].type;
	int rec = 0, acc = 1;
	uint32_t e;

	if (type == MFS_T_DIR)
		rec = access_ok(s, src, 4 | 1);
	else if (type == MFS_T_FILE)
		acc = access_ok(s, src, 4);
	if (!acc)
		return;
	if (!newflag && (e = mfs_edge_find(m, dir, name, nl)))
		snap_existing(s, src, e, dir, name, nl, rec);
	else
		snap_new(s, src, dir, name, nl, rec);
}

static void
remove_snap(struct snap *s, uint32_t e, int allowed)
{
	struct mfs_meta *m = s->m;
	uint32_t n = m->edges.v[e].child;

	if (m->nodes.v[n].type == MFS_T_DIR) {
		uint8_t back = m->nodes.v[n].eattr;
		if (access_ok(s, n, 2 | 1)) {
			uint32_t c = m->nodes.v[n].u.d.head;
			while (c) {
				uint32_t nx = m->edges.v[c].next;
				remove_snap(s, c, (m->nodes.v[n].eattr & (MFS_EA_APPENDONLY | MFS_EA_IMMUTABLE)) ? 0 : 1);
				c = nx;
			}
		}
		if (m->nodes.v[n].u.d.head)
			return;
		m->nodes.v[n].eattr = back;
	}
	if ((m->nodes.v[n].eattr & MFS_EA_SNAPSHOT) &&
	    !(m->nodes.v[n].eattr & (MFS_EA_UNDELETABLE | MFS_EA_IMMUTABLE | MFS_EA_APPENDONLY)) && allowed) {
		m->nodes.v[n].trashtime = 0;
		s->chk ^= m->nodes.v[n].inode;
		s->removed++;
		mfs_fs_unlink(m, s->ts, e);
	}
}

static int
run(struct snap *s, uint32_t isrc, uint32_t pdst, const char *name, uint16_t nl)
{
	struct mfs_meta *m = s->m;
	uint32_t sp, dw, e;
	int st;

	if (s->smode & SM_DELETE) {
		if (isrc != 0)
			return MFS_ST_EINVAL;
		if (!(dw = mfs_fs_node(m, pdst)))
			return MFS_ST_ENOENT;
		if (m->nodes.v[dw].type != MFS_T_DIR)
			return MFS_ST_EPERM;
		if (!mfs_fs_name_ok(name, nl))
			return MFS_ST_EINVAL;
		if (!(e = mfs_edge_find(m, dw, name, nl)))
			return MFS_ST_ENOENT;
		remove_snap(s, e, (m->nodes.v[dw].eattr & (MFS_EA_APPENDONLY | MFS_EA_IMMUTABLE)) ? 0 : 1);
		return MFS_ST_OK;
	}
	if (isrc == 0)
		return MFS_ST_EINVAL;
	if (!(sp = mfs_fs_node(m, isrc)) || !(dw = mfs_fs_node(m, pdst)))
		return MFS_ST_ENOENT;
	if (m->nodes.v[dw].type != MFS_T_DIR)
		return MFS_ST_EPERM;
	if (m->nodes.v[sp].type == MFS_T_DIR) {
		if (sp == dw)
			return MFS_ST_EINVAL;
		for (uint32_t p = dw; p && m->nodes.v[p].parents;) {
			p = m->edges.v[m->nodes.v[p].parents].parent;
			if (p == sp)
				return MFS_ST_EINVAL;
		}
	}
	if (!mfs_fs_name_ok(name, nl))
		return MFS_ST_EINVAL;
	if ((st = test(s, sp, sp, dw, name, nl, s->smode & SM_OVERWRITE)))
		return st;
	snap(s, sp, dw, name, nl, 0);
	return MFS_ST_OK;
}

/* "[g,g,...]," (3.0.117 and later): its reader consumes the first digit of
 * each group id before converting the rest ("[1000]" gives 0, "[12,34]"
 * gives 2,4); replay what it did, not what was meant */
static int
groups_list(struct mfs_rp *r, struct snap *s)
{
	r->p++;
	for (;;) {
		char c = *r->p++;
		uint32_t g;
		if (c == ']')
			break;
		if (c == 0 || c == '\r' || c == '\n')
			return mfs_rp_fail(r, MFS_ST_PARSE, "bad group list");
		if (c >= '0' && c <= '9') {
			mfs_rp_u32(r, &g);
			if (s->ngids < 64)
				s->gids[s->ngids++] = g;
		} else if (c != ',') {
			return mfs_rp_fail(r, MFS_ST_PARSE, "bad group list");
		}
	}
	return mfs_rp_eat(r, ',') ? MFS_ST_PARSE : MFS_ST_OK;
}

/* old forms: "GID,CUMASK)" (sets *oldest) or "NGIDS,<raw gids, host
 * order>,CUMASK)" */
static int
groups_old(struct mfs_rp *r, struct snap *s, int *oldest)
{
	uint32_t n, len;
	const char *q;

	if (mfs_rp_args(r, "u,", &n) < 0)
		return MFS_ST_PARSE;
	for (q = r->p; *q && *q != ')'; q++)
		if (*q < '0' || *q > '9')
			break;
	if (!*q || *q == ')') {
		s->gids[0] = n;
		s->ngids = 1;
		*oldest = 1;
		return MFS_ST_OK;
	}
	if (mfs_rp_args(r, "d,", &len) < 0)
		return MFS_ST_PARSE;
	if ((uint64_t)n * 4 != len)
		return mfs_rp_fail(r, MFS_ST_MISMATCH, "%u groups but %u bytes of group data", n, len);
	for (uint32_t i = 0; i < n && i < 64; i++) {
		const uint8_t *g = r->buf[0] + 4 * i;
		s->gids[i] = (uint32_t)g[0] | (uint32_t)g[1] << 8 | (uint32_t)g[2] << 16 | (uint32_t)g[3] << 24;
	}
	s->ngids = n < 64 ? n : 64;
	return MFS_ST_OK;
}

/* the six logged result counters against the replay's */
static int
check_results(struct mfs_rp *r, const struct snap *s, const uint32_t res[6])
{
	int st;

	if ((st = mfs_rp_check(r, "inode checksum", res[0], s->chk)) || (st = mfs_rp_check(r, "removed", res[1], s->removed)) ||
	    (st = mfs_rp_check(r, "same", res[2], s->same)) || (st = mfs_rp_check(r, "existing", res[3], s->existing)) ||
	    (st = mfs_rp_check(r, "hard links", res[4], s->hardlinks)) || (st = mfs_rp_check(r, "new", res[5], s->newobj)))
		return st;
	return MFS_ST_OK;
}

/* SNAPSHOT(isrc,pdst,name,smode,sesflags,uid,GROUPS,cumask)[:chk,removed,same,existing,hardlinks,new] */
int
mfs_op_snapshot(struct mfs_rp *r)
{
	struct snap s;
	uint32_t isrc, pdst, smode, sesflags, uid, cumask, res[6] = { 0 };
	char name[256];
	uint16_t nl;
	int st, oldest = 0;

	memset(&s, 0, sizeof s);
	if (mfs_rp_args(r, "(u,u,s,u,u,u,", &isrc, &pdst, name, &nl, &smode, &sesflags, &uid) < 0)
		return MFS_ST_PARSE;
	st = mfs_rp_is(r, '[') ? groups_list(r, &s) : groups_old(r, &s, &oldest);
	if (st)
		return st;
	if (mfs_rp_args(r, "u)", &cumask) < 0)
		return MFS_ST_PARSE;
	if (!oldest && mfs_rp_args(r, "[:u,u,u,u,u,u]", &res[0], &res[1], &res[2], &res[3], &res[4], &res[5]) < 0)
		return MFS_ST_PARSE;
	s.m = r->m;
	s.ts = r->ts;
	s.uid = uid;
	s.smode = (uint8_t)smode;
	s.sesflags = (uint8_t)sesflags;
	s.cumask = (uint16_t)cumask;
	if (!s.ngids)
		s.ngids = 1;
	st = run(&s, isrc, pdst, name, nl);
	free(s.hl_src);
	free(s.hl_dst);
	if (st)
		return st;
	if (res[0] | res[1] | res[2] | res[3] | res[4] | res[5])
		return check_results(r, &s, res);
	return MFS_ST_OK;
}
