/* replay_data.c: chunk, session, open-file, lock, chunkserver, storage
 * class and misc changelog operations.  Spec: docs/moosefs-format.md 3.3-3.5. */
#include <stdlib.h>
#include <string.h>

#include "lib/xio.h"
#include "moosefs/replay.h"


static struct mfs_chunk *
new_chunk(struct mfs_meta *m)
{
	struct mfs_chunk *c = mfs_chunk_add(m, m->nextchunkid++);
	c->version = 1;
	c->fcount = 1;
	c->npairs |= MFS_CP_DIRTY;
	return c;
}

/* WRITE/TRUNC: reuse the chunk (fcount 1) or copy it (fcount > 1) */
static int
modify_chunk(struct mfs_rp *r, uint64_t *slot, uint64_t logged, int opflag, int trunc)
{
	struct mfs_meta *m = r->m;
	struct mfs_chunk *c;
	int st;

	if (*slot == 0) {
		if (trunc)
			return MFS_ST_NOCHUNK;
		if ((st = mfs_rp_check(r, "chunk id", logged, m->nextchunkid)))
			return st;
		c = new_chunk(m);
	} else {
		if (!(c = mfs_chunk_get(m, *slot)))
			return MFS_ST_NOCHUNK;
		if (c->fcount == 0)
			return MFS_ST_CHUNKLOST;
		if (c->fcount == 1) {
			if ((st = mfs_rp_check(r, "chunk id", logged, c->id)))
				return st;
			if (opflag)
				c->version++;
		} else {
			if ((st = mfs_rp_check(r, "chunk id", logged, m->nextchunkid)))
				return st;
			c->fcount--;
			c->npairs |= MFS_CP_DIRTY;
			c = new_chunk(m);
		}
	}
	c->lockedto = r->ts + 120;
	*slot = c->id;
	return MFS_ST_OK;
}

/* What WRITE, TRUNC, ROLLBACK and REPAIR check first, in MooseFS's order:
 * notfile when the node is no file, then the index's range. */
static int
chunk_index(const struct mfs_node *n, uint32_t indx, int notfile)
{
	if (!mfs_fs_isfile(n))
		return notfile;
	return indx > MFS_MAX_INDEX ? MFS_ST_INDEXTOOBIG : MFS_ST_OK;
}

/* A chunk table the replay will not build for one file: more than 2^26
 * entries (512 MiB; chunks beyond a file offset of 4 PiB; the 1.6 replay's
 * MAX_SLOTS too).  MooseFS builds any
 * up to 2^31 (16 GiB for one file: the master would not survive it), so such
 * an index is a damaged or forged line, not a real file: refused, where
 * building it would exhaust the machine's memory. */
#define MAX_TABLE (1u << 26)

static int
table_too_big(struct mfs_rp *r, uint32_t inode, uint64_t nch)
{
	if (nch <= MAX_TABLE)
		return MFS_ST_OK;
	return mfs_rp_fail(r, MFS_ST_EINVAL,
			   "inode %u would need a chunk table of %llu entries (%llu MiB) for one file; the limit is %u "
			   "(a file offset of 4 PiB): a damaged line?", inode, (unsigned long long)nch,
			   (unsigned long long)(nch >> 17), MAX_TABLE);
}

/* UNLOCK, INCVERSION, SETVERSION, CHUNKDEL: "(U" [",u"] ")" and the chunk */
static int
chunk_args(struct mfs_rp *r, struct mfs_chunk **cp, const char *fmt, uint32_t *v)
{
	uint64_t id;

	if (mfs_rp_args(r, fmt, &id, v) < 0)
		return MFS_ST_PARSE;
	return (*cp = mfs_chunk_get(r->m, id)) ? MFS_ST_OK : MFS_ST_NOCHUNK;
}

int
mfs_op_write(struct mfs_rp *r)
{
	uint32_t inode, indx, opflag = 1, canmod = 1;
	uint64_t logged, *t;
	struct mfs_node *n;
	int st;

	if ((st = mfs_rp_node(r, &n, "(u,u[,u[,b]]):U", &inode, &indx, &opflag, &canmod, &logged)) ||
	    (st = chunk_index(n, indx, MFS_ST_EPERM)) || (st = table_too_big(r, inode, (uint64_t)indx + 1)))
		return st;
	if (indx >= n->u.f.nch)
		mfs_chunks_resize(n, indx + 1);
	if (n->u.f.length < (uint64_t)indx * MFS_CHUNKSIZE)
		n->u.f.length = (uint64_t)indx * MFS_CHUNKSIZE;
	t = mfs_chunks(n);
	if ((st = modify_chunk(r, &t[indx], logged, (uint8_t)opflag, 0)))
		return st;
	n->eattr &= (uint8_t)~MFS_EA_SNAPSHOT;
	if (canmod)
		n->mtime = n->ctime = r->ts;
	return MFS_ST_OK;
}

int
mfs_op_trunc(struct mfs_rp *r)
{
	uint32_t inode, indx;
	uint64_t logged;
	struct mfs_node *n;
	int st;

	if ((st = mfs_rp_node(r, &n, "(u,u):U", &inode, &indx, &logged)) ||
	    (st = chunk_index(n, indx, MFS_ST_EINVAL)))
		return st;
	if (indx >= n->u.f.nch)
		return MFS_ST_EINVAL;
	return modify_chunk(r, &mfs_chunks(n)[indx], logged, 1, 1);
}

/* UNLOCK "(U)", INCVERSION "(U)", SETVERSION "(U,u)" (r->oparg says which) */
int
mfs_op_chunkver(struct mfs_rp *r)
{
	struct mfs_chunk *c;
	uint32_t v;
	int st = chunk_args(r, &c, r->oparg == MFS_CH_SETVERSION ? "(U,u)" : "(U)", &v);

	if (st != MFS_ST_OK)
		return st;
	if (r->oparg == MFS_CH_UNLOCK)
		c->lockedto = r->m->family == 4 ? r->ts - 1 : 0;   /* 4.x: chunk_mr_unlock */
	else if (r->oparg == MFS_CH_INCVERSION)
		c->version++;
	else
		c->version = r->m->family == 4 ? v & 0xBFFFFFFFu : v;
	return MFS_ST_OK;
}

int
mfs_op_chunkadd(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	uint64_t id;
	uint32_t v, l;
	struct mfs_chunk *c;

	if (mfs_rp_args(r, "(U,u,u)", &id, &v, &l) < 0)
		return MFS_ST_PARSE;
	if (mfs_chunk_get(m, id))
		return MFS_ST_CHUNKEXIST;
	if (id > m->nextchunkid + 1000000000ULL)
		return mfs_rp_fail(r, MFS_ST_MISMATCH, "chunk id %llu far beyond the next chunk id %llu",
			       (unsigned long long)id, (unsigned long long)m->nextchunkid);
	if (id >= m->nextchunkid)
		m->nextchunkid = id + 1;
	if (l > 0 && l < r->ts)
		return mfs_rp_fail(r, MFS_ST_MISMATCH, "lock time %u is in the past", l);
	c = mfs_chunk_add(m, id);
	c->version = v;
	c->lockedto = l;
	return MFS_ST_OK;
}

int
mfs_op_chunkdel(struct mfs_rp *r)
{
	struct mfs_chunk *c;
	uint32_t v;
	int st;

	if ((st = chunk_args(r, &c, "(U,u)", &v)))
		return st;
	if (c->version != v)
		return MFS_ST_WRONGVERSION;
	if (c->fcount)
		return MFS_ST_ACTIVE;
	if (c->lockedto >= r->ts)
		return MFS_ST_LOCKED;
	mfs_chunk_del(r->m, c);
	return MFS_ST_OK;
}

int
mfs_op_nextchunkid(struct mfs_rp *r)
{
	uint64_t id;

	if (mfs_rp_args(r, "(U)", &id) < 0)
		return MFS_ST_PARSE;
	if (id <= r->m->nextchunkid)
		return mfs_rp_check(r, "next chunk id", id, r->m->nextchunkid);
	r->m->nextchunkid = id;
	return MFS_ST_OK;
}

int
mfs_op_setfilechunk(struct mfs_rp *r)
{
	uint32_t inode, indx;
	uint64_t id, *t;
	struct mfs_node *n;
	int st;

	if ((st = mfs_rp_node(r, &n, "(u,u,U)", &inode, &indx, &id)))
		return st;
	if (!mfs_fs_isfile(n) || indx >= n->u.f.nch)
		return mfs_rp_fail(r, MFS_ST_MISMATCH, "index %u beyond the file's %u chunks", indx, mfs_fs_isfile(n) ? n->u.f.nch : 0);
	t = mfs_chunks(n);
	if (t[indx])
		mfs_chunk_delref(r->m, t[indx]);
	if (id)
		mfs_chunk_addref(r->m, id);
	t[indx] = id;
	return MFS_ST_OK;
}

int
mfs_op_rollback(struct mfs_rp *r)
{
	uint32_t inode, indx;
	uint64_t prev, id, *t;
	struct mfs_node *n;
	struct mfs_chunk *c;
	int st;

	if ((st = mfs_rp_node(r, &n, "(u,u,U,U)", &inode, &indx, &prev, &id)) ||
	    (st = chunk_index(n, indx, MFS_ST_EPERM)))
		return st;
	if (indx >= n->u.f.nch)
		return MFS_ST_EINVAL;
	t = mfs_chunks(n);
	if (prev != id) {
		if (prev)
			mfs_chunk_addref(r->m, prev);
		mfs_chunk_delref(r->m, id);
		t[indx] = prev;
	}
	if ((c = mfs_chunk_get(r->m, id)))
		c->lockedto = 0;
	return MFS_ST_OK;
}

int
mfs_op_repair(struct mfs_rp *r)
{
	uint32_t inode, indx, v;
	uint64_t *t;
	struct mfs_node *n;
	int st;

	if ((st = mfs_rp_node(r, &n, "(u,u):u", &inode, &indx, &v)) ||
	    (st = chunk_index(n, indx, MFS_ST_EPERM)))
		return st;
	if (indx >= n->u.f.nch || mfs_chunks(n)[indx] == 0)
		return MFS_ST_NOCHUNK;
	t = mfs_chunks(n);
	if (v == 0) {
		mfs_chunk_delref(r->m, t[indx]);
		t[indx] = 0;
	} else {
		struct mfs_chunk *c = mfs_chunk_get(r->m, t[indx]);
		if (r->m->family == 4) {
			/* 4.x: bit 31 is "allow read zeros", kept; counted once */
			if (c)
				c->version = v & 0xBFFFFFFFu;
		} else {
			if (c)
				c->version = v;
			/* 3.0.117 counts this change twice (and then fails the restore) */
			r->m->version++;
		}
	}
	n->mtime = n->ctime = r->ts;
	return MFS_ST_OK;
}

int
mfs_op_append(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	uint32_t dst, src, from = 0xFFFFFFFFu, to = 0, last, nn, d, di, si;
	struct mfs_node *nd, *ns;
	uint64_t *td, *ts, slen;
	int whole, st;

	if (mfs_rp_args(r, "(u,u{,u,u})", &dst, &src, &from, &to) < 0)
		return MFS_ST_PARSE;
	whole = from == 0xFFFFFFFFu && to == 0;
	if (dst == src)
		return MFS_ST_EINVAL;
	if (!(di = mfs_fs_node(m, dst)) || !(si = mfs_fs_node(m, src)))
		return MFS_ST_ENOENT;
	nd = &m->nodes.v[di];
	ns = &m->nodes.v[si];
	if (!mfs_fs_isfile(nd) || !mfs_fs_isfile(ns))
		return MFS_ST_EPERM;
	slen = ns->u.f.length;
	if (slen == 0)
		return MFS_ST_OK;
	last = (uint32_t)((slen - 1) >> 26);
	if (whole) {
		from = 0;
		to = last;
	}
	if (to > last || from > last || from > to)
		return MFS_ST_EINVAL;
	nn = to - from + 1;
	d = (uint32_t)((nd->u.f.length + MFS_CHUNKSIZE - 1) / MFS_CHUNKSIZE);
	if ((uint64_t)d + nn > (uint64_t)MFS_MAX_INDEX + 1)
		return MFS_ST_INDEXTOOBIG;
	if ((st = table_too_big(r, nd->inode, (uint64_t)d + nn)))
		return st;
	{
		uint32_t oldn = nd->u.f.nch;
		td = mfs_chunks(nd);
		for (uint32_t i = d; i < oldn; i++)
			if (td[i]) {
				mfs_chunk_delref(m, td[i]);
				td[i] = 0;
			}
		if (oldn > d + nn)
			nd->u.f.nch = d + nn;
		mfs_chunks_resize(nd, d + nn);
	}
	td = mfs_chunks(nd);
	ts = mfs_chunks(ns);
	for (uint32_t i = 0; i < nn; i++) {
		uint64_t id = from + i < ns->u.f.nch ? ts[from + i] : 0;
		td[d + i] = id;
		if (id)
			mfs_chunk_addref(m, id);
	}
	if (to >= last)
		nd->u.f.length = (uint64_t)d * MFS_CHUNKSIZE + slen - (uint64_t)from * MFS_CHUNKSIZE;
	else
		nd->u.f.length = (uint64_t)(d + nn) * MFS_CHUNKSIZE;
	nd->mtime = nd->atime = r->ts;
	ns->atime = r->ts;
	return MFS_ST_OK;
}

/* ---- sessions ---- */

struct sesargs {
	uint64_t csum;
	uint32_t rootinode, sesflags, rootuid, rootgid, mapalluid, mapallgid;
	uint32_t ming, maxg, mint, maxt, disables, ip, ileng;
	uint32_t groups;          /* 4.x class groups (from mingoal..maxgoal on 3.x lines) */
	uint16_t umask;
};

static int
ses_fields(struct mfs_rp *r, struct sesargs *a)
{
	memset(a, 0, sizeof *a);
	if (mfs_rp_args(r, "[#U,]u,u,", &a->csum, &a->rootinode, &a->sesflags) < 0)
		return MFS_ST_PARSE;
	if (mfs_rp_is(r, '0')) {
		const char *p = r->p;
		if (p[1] < '0' || p[1] > '7' || p[2] < '0' || p[2] > '7' || p[3] < '0' || p[3] > '7')
			return mfs_rp_fail(r, MFS_ST_PARSE, "bad session umask");
		a->umask = (uint16_t)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
		r->p += 4;
		if (mfs_rp_args(r, ",") < 0)
			return MFS_ST_PARSE;
	}
	if (mfs_rp_args(r, "u,u,u,u,", &a->rootuid, &a->rootgid, &a->mapalluid, &a->mapallgid) < 0)
		return MFS_ST_PARSE;
	if (r->p[0] == '0' && r->p[1] == 'x') {
		/* 4.x: one class-group mask where 3.x has mingoal,maxgoal */
		r->p += 2;
		if (mfs_rp_args(r, "x", &a->groups) < 0)
			return MFS_ST_PARSE;
		if (a->groups > 0xFFFF)
			return mfs_rp_fail(r, MFS_ST_PARSE, "bad class-group mask 0x%X", a->groups);
	} else {
		if (mfs_rp_args(r, "u,u", &a->ming, &a->maxg) < 0)
			return MFS_ST_PARSE;
		a->groups = 1;
		for (uint32_t g = a->ming; g <= a->maxg && g < 16; g++)
			a->groups |= 1u << g;
	}
	if (mfs_rp_args(r, ",u,u,", &a->mint, &a->maxt) < 0)
		return MFS_ST_PARSE;
	if (r->p[0] == '0' && r->p[1] == 'x') {
		r->p += 2;
		if (mfs_rp_args(r, "x,", &a->disables) < 0)
			return MFS_ST_PARSE;
	}
	if (mfs_rp_args(r, "u,d)", &a->ip, &a->ileng) < 0)
		return MFS_ST_PARSE;
	while (a->ileng > 0 && r->buf[0][a->ileng - 1] == 0)
		a->ileng--;
	return MFS_ST_OK;
}

static void
ses_apply(struct mfs_rp *r, struct mfs_session *s, const struct sesargs *a)
{
	s->csum = a->csum;
	s->rootinode = a->rootinode;
	s->sesflags = (uint8_t)a->sesflags & 0x7F;
	s->umask = a->umask;
	s->rootuid = a->rootuid;
	s->rootgid = a->rootgid;
	s->mapalluid = a->mapalluid;
	s->mapallgid = a->mapallgid;
	s->mingoal = (uint8_t)a->ming;
	s->maxgoal = (uint8_t)a->maxg;
	s->sclassgroups = (uint16_t)a->groups;
	s->mintrash = a->mint;
	s->maxtrash = a->maxt;
	s->disables = a->disables;
	s->ip = a->ip;
	s->info = mfs_strdup(r->m, r->buf[0], a->ileng);
	s->ileng = a->ileng;
}

int
mfs_op_sesadd(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	struct sesargs a;
	struct mfs_session *s;
	uint32_t id;

	if (mfs_rp_args(r, "(") < 0 || ses_fields(r, &a) || mfs_rp_args(r, ":u", &id) < 0)
		return MFS_ST_PARSE;
	{
		uint32_t k_ = MFS_VEC_ADD(m->sess);
		s = &m->sess.v[k_];
	}
	s->id = m->nextsessionid++;
	s->alive = 1;
	s->seq = ++m->seq;
	ses_apply(r, s, &a);
	return mfs_rp_check(r, "session id", id, s->id);
}

int
mfs_op_seschanged(struct mfs_rp *r)
{
	struct sesargs a;
	struct mfs_session *s;
	uint32_t id;

	if (mfs_rp_args(r, "(u,", &id) < 0 || ses_fields(r, &a))
		return MFS_ST_PARSE;
	if (!(s = mfs_sess_find(r->m, id)))
		return mfs_rp_fail(r, MFS_ST_MISMATCH, "session %u does not exist", id);
	ses_apply(r, s, &a);
	return MFS_ST_OK;
}

static void plocks_drop(struct mfs_meta *m, uint32_t sess, uint32_t inode);
static uint32_t flocks_drop(struct mfs_meta *m, uint32_t sess, uint32_t inode);

static void
release(struct mfs_meta *m, uint32_t o)
{
	uint32_t sess = m->open.v[o].sess, inode = m->open.v[o].inode;

	mfs_open_del(m, o);
	plocks_drop(m, sess, inode);
	/* the live path logs FLOCK(...U) and counts a change per lock */
	m->version += flocks_drop(m, sess, inode);
}

int
mfs_op_sesdel(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	struct mfs_session *s;
	uint32_t id;

	if (mfs_rp_args(r, "(u)", &id) < 0)
		return MFS_ST_PARSE;
	if (!(s = mfs_sess_find(m, id)))
		return MFS_ST_BADSESSIONID;
	s->alive = 0;
	for (uint32_t i = 1; i < m->open.n; i++)
		if (m->open.v[i].alive && m->open.v[i].sess == id)
			release(m, i);
	return MFS_ST_OK;
}

/* SESDISCONNECTED(id) and 4.x's SESCONNECTED(id): the session's
 * disconnection time becomes when (0: connected) */
static int
ses_disconnected_at(struct mfs_rp *r, uint32_t when)
{
	struct mfs_session *s;
	uint32_t id;

	if (mfs_rp_args(r, "(u)", &id) < 0)
		return MFS_ST_PARSE;
	if (!(s = mfs_sess_find(r->m, id)))
		return MFS_ST_ENOENT;
	s->disconnected = when;
	return MFS_ST_OK;
}

int
mfs_op_sesdisconnected(struct mfs_rp *r)
{
	return ses_disconnected_at(r, r->ts);
}

int
mfs_op_sesconnected(struct mfs_rp *r)
{
	return ses_disconnected_at(r, 0);
}

int
mfs_op_session(struct mfs_rp *r)
{
	uint32_t id;
	int st;

	if (mfs_rp_args(r, "():u", &id) < 0)
		return MFS_ST_PARSE;
	if ((st = mfs_rp_check(r, "session id", id, r->m->nextsessionid)))
		return st;
	r->m->nextsessionid++;
	return MFS_ST_OK;
}

int
mfs_op_acquire(struct mfs_rp *r)
{
	uint32_t inode, sess;

	if (mfs_rp_args(r, "(u,u)", &sess, &inode) < 0)
		return MFS_ST_PARSE;
	if (mfs_open_find(r->m, sess, inode))
		return mfs_rp_fail(r, MFS_ST_MISMATCH, "session %u already has inode %u open", sess, inode);
	mfs_open_add(r->m, sess, inode);
	return MFS_ST_OK;
}

int
mfs_op_release(struct mfs_rp *r)
{
	uint32_t inode, sess, o;

	if (mfs_rp_args(r, "(u,u)", &sess, &inode) < 0)
		return MFS_ST_PARSE;
	if (!(o = mfs_open_find(r->m, sess, inode)))
		return mfs_rp_fail(r, MFS_ST_MISMATCH, "session %u does not have inode %u open", sess, inode);
	release(r->m, o);
	return MFS_ST_OK;
}

/* ---- flock ---- */

static uint32_t
lockino_find(struct mfs_meta *m, int posix, uint32_t inode)
{
	uint32_t n = posix ? m->plino.n : m->flino.n;
	struct mfs_lockino *v = posix ? m->plino.v : m->flino.v;

	for (uint32_t i = 0; i < n; i++)
		if (v[i].alive && v[i].inode == inode)
			return i + 1;
	return 0;
}

static void
lockino_add(struct mfs_meta *m, int posix, uint32_t inode)
{
	uint32_t k;
	if (posix) {
		k = MFS_VEC_ADD(m->plino);
		m->plino.v[k] = (struct mfs_lockino){ inode, ++m->seq, 1 };
	} else {
		k = MFS_VEC_ADD(m->flino);
		m->flino.v[k] = (struct mfs_lockino){ inode, ++m->seq, 1 };
	}
}

static void
flock_gc(struct mfs_meta *m, uint32_t inode)
{
	uint32_t li = lockino_find(m, 0, inode);
	if (!li)
		return;
	for (uint32_t i = 0; i < m->flock.n; i++)
		if (m->flock.v[i].alive && m->flock.v[i].inode == inode)
			return;
	m->flino.v[li - 1].alive = 0;
}

static uint32_t
flocks_drop(struct mfs_meta *m, uint32_t sess, uint32_t inode)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < m->flock.n; i++) {
		struct mfs_flock *f = &m->flock.v[i];
		if (f->alive && f->sess == sess && f->inode == inode) {
			f->alive = 0;
			n++;
		}
	}
	if (n)
		flock_gc(m, inode);
	return n;
}

/* FLOCK and POSIXLOCK open with "(inode,session,owner,CMD" */
static int
lock_head(struct mfs_rp *r, uint32_t *inode, uint32_t *sess, uint64_t *owner, char *cmd)
{
	if (mfs_rp_args(r, "(u,u,U,", inode, sess, owner) < 0)
		return MFS_ST_PARSE;
	if (!(*cmd = *r->p))
		return mfs_rp_fail(r, MFS_ST_PARSE, "missing lock command");
	r->p++;
	return MFS_ST_OK;
}

int
mfs_op_flock(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	uint32_t inode, sess, k, first = 0;
	uint64_t owner;
	char cmd;
	int excl;

	if (lock_head(r, &inode, &sess, &owner, &cmd) || mfs_rp_args(r, ")") < 0)
		return MFS_ST_PARSE;
	if (cmd == 'U' || cmd == 'u') {
		uint32_t n = 0;
		if (!lockino_find(m, 0, inode))
			return mfs_rp_fail(r, MFS_ST_MISMATCH, "no flock on inode %u", inode);
		for (uint32_t i = 0; i < m->flock.n; i++) {
			struct mfs_flock *f = &m->flock.v[i];
			if (f->alive && f->inode == inode && f->sess == sess && f->owner == owner) {
				f->alive = 0;
				n++;
			}
		}
		flock_gc(m, inode);
		/* one version step per removed lock (3.0.117) */
		m->version += n;
		r->vdone = 1;
		return MFS_ST_OK;
	}
	if (strchr("RrSs", cmd))
		excl = 0;
	else if (strchr("WwEe", cmd))
		excl = 1;
	else
		return MFS_ST_EINVAL;
	if (!lockino_find(m, 0, inode))
		lockino_add(m, 0, inode);
	/* the "first" active lock is the newest one (LIFO list) */
	for (uint32_t i = 0; i < m->flock.n; i++) {
		struct mfs_flock *f = &m->flock.v[i];
		if (f->alive && f->inode == inode && (!first || f->seq > m->flock.v[first - 1].seq))
			first = i + 1;
	}
	if (first && (m->flock.v[first - 1].type || excl))
		return mfs_rp_fail(r, MFS_ST_MISMATCH, "conflicting flock on inode %u", inode);
	k = MFS_VEC_ADD(m->flock);
	m->flock.v[k] = (struct mfs_flock){ .inode = inode, .sess = sess, .seq = ++m->seq, .alive = 1,
		.owner = owner, .type = (uint8_t)excl };
	return MFS_ST_OK;
}

/* ---- posix locks ---- */

static void
plocks_drop(struct mfs_meta *m, uint32_t sess, uint32_t inode)
{
	uint32_t li = lockino_find(m, 1, inode);
	int left = 0;

	if (!li)
		return;
	for (uint32_t i = 0; i < m->plock.n; i++) {
		struct mfs_plock *p = &m->plock.v[i];
		if (!p->alive || p->inode != inode)
			continue;
		if (p->sess == sess)
			p->alive = 0;
		else
			left = 1;
	}
	/* the record of a closed file goes away when no lock is left */
	if (!left)
		m->plino.v[li - 1].alive = 0;
}

static int
pl_cmp(const void *a, const void *b)
{
	const struct mfs_plock *x = *(struct mfs_plock *const *)a, *y = *(struct mfs_plock *const *)b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* the lock type a command asks for: 0 unlock, 1 shared, 2 exclusive */
static int
plock_type(struct mfs_rp *r, uint32_t inode, char cmd, uint8_t *t)
{
	if (cmd == 'U' || cmd == 'u') {
		if (!lockino_find(r->m, 1, inode))
			return mfs_rp_fail(r, MFS_ST_MISMATCH, "no posix lock on inode %u", inode);
		*t = 0;
	} else if (strchr("RrSs", cmd)) {
		*t = 1;
	} else if (strchr("WwEe", cmd)) {
		*t = 2;
	} else {
		return MFS_ST_EINVAL;
	}
	return MFS_ST_OK;
}

/* does another owner hold a lock that conflicts with [s,e) of type t? */
static int
plock_conflict(const struct mfs_meta *m, uint32_t inode, uint32_t sess, uint64_t owner, uint64_t s, uint64_t e,
	       uint8_t t)
{
	for (uint32_t i = 0; i < m->plock.n; i++) {
		const struct mfs_plock *p = &m->plock.v[i];
		if (p->alive && p->inode == inode && !(p->sess == sess && p->owner == owner) &&
		    p->start < e && s < p->end && (p->type == 2 || t == 2))
			return 1;
	}
	return 0;
}

/* an owner's ranges rebuilt as (start,end,type) triples */
struct seg {
	uint64_t s, e;
	uint8_t t;
};
struct segs {
	struct seg *v;
	size_t n, cap;
};

static void
seg_add(struct segs *o, uint64_t s, uint64_t e, uint8_t t)
{
	xgrow((void **)&o->v, &o->cap, o->n + 1, sizeof *o->v);
	o->v[o->n++] = (struct seg){ s, e, t };
}

/* Merge [s,e) of type t (0: unlock) into the owner's sorted ranges mine[],
 * which die; the result goes to o. */
static void
plock_merge(struct mfs_plock **mine, size_t n, uint64_t s, uint64_t e, uint8_t t, struct segs *o)
{
	int placed = 0;

	for (size_t i = 0; i < n; i++) {
		struct mfs_plock *p = mine[i];
		uint64_t rs = p->start, re = p->end;
		uint8_t rt = p->type;
		p->alive = 0;
		if (placed) {
			seg_add(o, rs, re, rt);
			continue;
		}
		if (re < s) {
			seg_add(o, rs, re, rt);
		} else if (rs > e) {
			if (t)
				seg_add(o, s, e, t);
			placed = 1;
			seg_add(o, rs, re, rt);
		} else if (s <= rs && e >= re) {
			/* covered: dropped */
		} else if (rs < s && re <= e) {
			if (rt == t)
				s = rs;
			else
				seg_add(o, rs, s, rt);
		} else if (rs >= s && re > e) {
			if (rt == t) {
				if (t)
					seg_add(o, s, re, rt);
			} else {
				if (t)
					seg_add(o, s, e, t);
				seg_add(o, e, re, rt);
			}
			placed = 1;
		} else {
			/* r strictly contains the new range */
			if (rt != t) {
				seg_add(o, rs, s, rt);
				if (t)
					seg_add(o, s, e, t);
				seg_add(o, e, re, rt);
			} else {
				seg_add(o, rs, re, rt);
			}
			placed = 1;
		}
	}
	if (!placed && t)
		seg_add(o, s, e, t);
}

int
mfs_op_posixlock(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	uint32_t inode, sess, pid, oseq = 0, keep_pid;
	uint64_t owner, s, e;
	char cmd;
	uint8_t t;
	struct mfs_plock **mine = NULL;
	size_t cap = 0, n = 0;
	struct segs out = { 0 };
	int st;

	if (lock_head(r, &inode, &sess, &owner, &cmd) || mfs_rp_args(r, ",U,U,u)", &s, &e, &pid) < 0)
		return MFS_ST_PARSE;
	if ((st = plock_type(r, inode, cmd, &t)))
		return st;
	if (t) {
		if (!lockino_find(m, 1, inode))
			lockino_add(m, 1, inode);
		if (plock_conflict(m, inode, sess, owner, s, e, t))
			return mfs_rp_fail(r, MFS_ST_MISMATCH, "conflicting posix lock on inode %u", inode);
	}
	/* this owner's ranges, sorted */
	for (uint32_t i = 0; i < m->plock.n; i++) {
		struct mfs_plock *p = &m->plock.v[i];
		if (p->alive && p->inode == inode && p->sess == sess && p->owner == owner) {
			xgrow((void **)&mine, &cap, n + 1, sizeof *mine);
			mine[n++] = p;
			oseq = p->oseq;
		}
	}
	if (!n && !t)
		return MFS_ST_OK;
	/* a new lock for an owner without one: nothing to sort (and qsort
	 * must not get the NULL list) */
	if (n > 1)
		qsort(mine, n, sizeof *mine, pl_cmp);
	keep_pid = n ? mine[0]->pid : pid;
	plock_merge(mine, n, s, e, t, &out);
	free(mine);
	if (!oseq)
		oseq = ++m->seq;
	for (size_t i = 0; i < out.n; i++) {
		uint32_t k = MFS_VEC_ADD(m->plock);
		m->plock.v[k] = (struct mfs_plock){ .inode = inode, .sess = sess, .pid = keep_pid,
			.oseq = oseq, .alive = 1, .owner = owner, .start = out.v[i].s, .end = out.v[i].e,
			.type = out.v[i].t };
	}
	free(out.v);
	return MFS_ST_OK;
}

/* ---- chunkservers ---- */

/* the live chunkserver with id a (byid), or at ip a, port b */
static struct mfs_cs *
cs_find(struct mfs_meta *m, int byid, uint32_t a, uint32_t b)
{
	for (uint32_t i = 0; i < m->cs.n; i++) {
		struct mfs_cs *c = &m->cs.v[i];
		if (c->alive && (byid ? c->csid == a : c->ip == a && c->port == b))
			return c;
	}
	return NULL;
}

static int
csdbop(struct mfs_rp *r, uint32_t op, uint32_t ip, uint32_t port, uint32_t arg)
{
	struct mfs_meta *m = r->m;
	struct mfs_cs *c = cs_find(m, 0, ip, port);
	uint32_t k;

	switch (op) {
	case 0:
		if (c || (arg > 0 && cs_find(m, 1, arg, 0)) || arg > 65535)
			return mfs_rp_fail(r, MFS_ST_MISMATCH, "chunkserver %u:%u or id %u already exists", ip, port, arg);
		k = MFS_VEC_ADD(m->cs);
		m->cs.v[k] = (struct mfs_cs){ .ip = ip, .port = (uint16_t)port, .csid = (uint16_t)arg,
			.seq = ++m->seq, .alive = 1 };
		return MFS_ST_OK;
	case 1:
		if (!c)
			return mfs_rp_fail(r, MFS_ST_MISMATCH, "chunkserver %u:%u does not exist", ip, port);
		c->alive = 0;
		return MFS_ST_OK;
	case 2:
		if (!(c = cs_find(m, 1, arg, 0)))
			return mfs_rp_fail(r, MFS_ST_MISMATCH, "chunkserver id %u does not exist", arg);
		c->ip = ip;
		c->port = (uint16_t)port;
		c->seq = ++m->seq;
		return MFS_ST_OK;
	case 3:
		if (arg < 1 || arg > 65535 || cs_find(m, 1, arg, 0) || !c)
			return mfs_rp_fail(r, MFS_ST_MISMATCH, "cannot give chunkserver %u:%u the id %u", ip, port, arg);
		c->csid = (uint16_t)arg;
		return MFS_ST_OK;
	case 4:
	case 5:
	case 6:
		if (!c)
			return mfs_rp_fail(r, MFS_ST_MISMATCH, "chunkserver %u:%u does not exist", ip, port);
		c->maint = op == 4 ? 1 : op == 5 ? 0 : 2;
		c->mto = arg;
		return MFS_ST_OK;
	default:
		return mfs_rp_fail(r, MFS_ST_MISMATCH, "unknown chunkserver operation %u", op);
	}
}

int
mfs_op_csdbop(struct mfs_rp *r)
{
	uint32_t op, ip, port, arg;

	if (mfs_rp_args(r, "(b,u,w,u)", &op, &ip, &port, &arg) < 0)
		return MFS_ST_PARSE;
	return csdbop(r, op, ip, port, arg);
}

/* CSADD and CSDEL: CSDBOP's operations 0 and 1 (r->oparg) */
int
mfs_op_csaddel(struct mfs_rp *r)
{
	uint32_t ip, port;

	if (mfs_rp_args(r, "(u,w)", &ip, &port) < 0)
		return MFS_ST_PARSE;
	return csdbop(r, (uint32_t)r->oparg, ip, port, 0);
}

/* ---- storage classes ---- */

static uint32_t
sc_byname(struct mfs_meta *m, const char *name, uint16_t nl)
{
	for (uint32_t i = 1; i < 256; i++)
		if (m->sc[i] && m->sc[i]->nleng == nl && memcmp(m->sc[i]->name, name, nl) == 0)
			return i;
	return 0;
}

static uint32_t
sc_newid(struct mfs_meta *m)
{
	for (uint32_t i = 1; i < m->sc_firstneverused; i++)
		if (!m->sc[i] || !m->sc[i]->nleng)
			return i;
	if (m->sc_firstneverused >= 256)
		return 0;
	return m->sc_firstneverused++;
}

static void
sc_name(struct mfs_sclass *s, const char *name, uint16_t nl)
{
	s->nleng = (uint8_t)nl;
	memset(s->name, 0, sizeof s->name);
	memcpy(s->name, name, nl);
}

static struct mfs_sclass *
sc_slot(struct mfs_meta *m, uint32_t id)
{
	if (!m->sc[id])
		m->sc[id] = xcalloc(1, sizeof *m->sc[id]);
	return m->sc[id];
}

int
mfs_op_scset(struct mfs_rp *r)
{
	if (r->m->family == 4)
		return mfs_op4_scset(r);
	struct mfs_meta *m = r->m;
	char name[256];
	uint16_t nl;
	uint32_t isnew, c, k, a, mode, delay, admin, id, lid;
	uint32_t masks[27][4];
	int st;

	memset(masks, 0, sizeof masks);
	if (mfs_rp_args(r, "(s,b,Wb,Kb,Ab,b,w,b,", name, &nl, &isnew, &c, &k, &a, &mode, &delay, &admin) < 0)
		return MFS_ST_PARSE;
	if (mfs_rp_is(r, '-')) {
		r->p++;
	} else {
		uint32_t total = (c + k + a) * 4;
		if (c > 9 || k > 9 || a > 9)
			return mfs_rp_fail(r, MFS_ST_PARSE, "too many labels");
		for (uint32_t i = 0; i < total; i++) {
			if (mfs_rp_args(r, i ? ",u" : "u", &masks[i / 4][i % 4]) < 0)
				return MFS_ST_PARSE;
		}
	}
	if (mfs_rp_args(r, "):w", &lid) < 0)
		return MFS_ST_PARSE;
	if (c > 9 || k > 9 || a > 9)
		return MFS_ST_EINVAL;
	if (isnew) {
		if (sc_byname(m, name, nl))
			return MFS_ST_CLASSEXISTS;
		if (!(id = sc_newid(m)))
			return MFS_ST_CLASSLIMITREACH;
	} else {
		if (!(id = sc_byname(m, name, nl)))
			return MFS_ST_NOSUCHCLASS;
	}
	if ((st = mfs_rp_check(r, "storage class id", lid, id)))
		return st;
	if (!c || !k || !a)
		return MFS_ST_EINVAL;
	{
		struct mfs_sclass *s = sc_slot(m, id);
		if (isnew) {
			memset(s, 0, sizeof *s);
			sc_name(s, name, nl);
		}
		s->create = (uint8_t)c;
		s->keep = (uint8_t)k;
		s->arch = (uint8_t)a;
		s->mode = (uint8_t)mode;
		s->delay = (uint16_t)delay;
		s->admin = (uint8_t)admin;
		memcpy(s->masks, masks, sizeof masks);
	}
	return MFS_ST_OK;
}

/* SCDUP and SCREN: "(NAME,NEWNAME)" and fmt's results (l[0], l[1]); *id is
 * NAME's class (MFS_ST_NOSUCHCLASS: none) */
struct sc2 {
	char on[256], nn[256];
	uint16_t ol, nl;
	uint32_t l[2], id;
};

static int
sc2_args(struct mfs_rp *r, const char *fmt, struct sc2 *a)
{
	if (mfs_rp_args(r, fmt, a->on, &a->ol, a->nn, &a->nl, &a->l[0], &a->l[1]) < 0)
		return MFS_ST_PARSE;
	return (a->id = sc_byname(r->m, a->on, a->ol)) ? MFS_ST_OK : MFS_ST_NOSUCHCLASS;
}

int
mfs_op_scdup(struct mfs_rp *r)
{
	if (r->m->family == 4)
		return mfs_op4_scdup(r);
	struct mfs_meta *m = r->m;
	struct sc2 a;
	uint32_t did;
	int st;

	if ((st = sc2_args(r, "(s,s):w,w", &a)) || (st = mfs_rp_check(r, "source class id", a.l[0], a.id)))
		return st;
	if (sc_byname(m, a.nn, a.nl))
		return MFS_ST_CLASSEXISTS;
	if (!(did = sc_newid(m)))
		return MFS_ST_CLASSLIMITREACH;
	if ((st = mfs_rp_check(r, "new class id", a.l[1], did)))
		return st;
	{
		struct mfs_sclass *d = sc_slot(m, did);
		*d = *m->sc[a.id];
		d->files = d->dirs = 0;
		sc_name(d, a.nn, a.nl);
	}
	return MFS_ST_OK;
}

int
mfs_op_scren(struct mfs_rp *r)
{
	if (r->m->family == 4)
		return mfs_op4_scren(r);
	struct sc2 a;
	int st;

	if ((st = sc2_args(r, "(s,s):w", &a)))
		return st;
	if (a.id < 10)
		return MFS_ST_EPERM;
	if ((st = mfs_rp_check(r, "storage class id", a.l[0], a.id)))
		return st;
	if (sc_byname(r->m, a.nn, a.nl))
		return MFS_ST_CLASSEXISTS;
	sc_name(r->m->sc[a.id], a.nn, a.nl);
	return MFS_ST_OK;
}

int
mfs_op_scdel(struct mfs_rp *r)
{
	if (r->m->family == 4)
		return mfs_op4_scdel(r);
	struct mfs_meta *m = r->m;
	char name[256];
	uint16_t nl;
	uint32_t lid, id;
	int st;

	if (mfs_rp_args(r, "(s):w", name, &nl, &lid) < 0)
		return MFS_ST_PARSE;
	if (!(id = sc_byname(m, name, nl)))
		return MFS_ST_NOSUCHCLASS;
	if (id < 10)
		return MFS_ST_EPERM;
	if (m->sc[id]->files || m->sc[id]->dirs)
		return MFS_ST_CLASSINUSE;
	if ((st = mfs_rp_check(r, "storage class id", lid, id)))
		return st;
	memset(m->sc[id], 0, sizeof *m->sc[id]);
	return MFS_ST_OK;
}

/* ---- misc ---- */

int
mfs_op_setmetaid(struct mfs_rp *r)
{
	uint64_t id;

	if (mfs_rp_args(r, "(U)", &id) < 0)
		return MFS_ST_PARSE;
	if (r->m->metaid != 0 && r->m->metaid != id)
		return mfs_rp_fail(r, MFS_ST_EINVAL, "metadata id %llu differs from the file's %llu",
			       (unsigned long long)id, (unsigned long long)r->m->metaid);
	if (r->m->family == 4 && r->m->metaid == 0 && r->m->root) {
		/* 4.59.2's meta_mr_setmetaid sets the root's times from the id
		 * before it stores it: from 0 */
		struct mfs_node *root = &r->m->nodes.v[r->m->root];
		root->atime = root->mtime = root->ctime = 0;
	}
	r->m->metaid = id;
	return MFS_ST_OK;
}

int
mfs_op_idle(struct mfs_rp *r)
{
	if (mfs_rp_args(r, "()") < 0)
		return MFS_ST_PARSE;
	return MFS_ST_OK;
}
