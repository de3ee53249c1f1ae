/* meta_load_old.c: the section versions MooseFS 2.0.60..3.0.116 (and the
 * betas before them) wrote, read as MooseFS 3.0.117's loader reads them
 * (mfsmaster/{sessions,storageclass,filesystem,csdb,chunks}.c, the `mver`
 * branches), into the same struct mfs_meta, so the storers write them out
 * as 3.0.117 would.  Which release wrote which version:
 * docs/moosefs-format.md "Older section versions".  Never exits. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/err.h"
#include "lib/xio.h"
#include "moosefs/meta.h"
#include "moosefs/rd.h"
#include "moosefs/sections.h"

static int
obad(struct mfs_rd *r, const char *what)
{
	warn_off(RC_DATA, r->name, mfs_rd_off(r), "%s", what);
	return RC_DATA;
}

#define ONEED(r, n, what) do { if (mfs_rd_need((r), (n))) return mfs_rd_fail((r), (what)); } while (0)

/* ---- SESS 1.0-1.4 ---- */

/* the fields of one session record that version mver has */
static void
sess_fields(struct mfs_rd *r, struct mfs_session *s, uint8_t mver)
{
	if (mver >= 0x13)
		s->csum = mfs_rd_u64(r);
	mfs_rd_rec(r, "wwwb", &s->ileng, &s->ip, &s->rootinode, &s->sesflags);
	if (mver >= 0x14)
		s->umask = mfs_rd_u16(r);
	mfs_rd_rec(r, "bbwwwwww", &s->mingoal, &s->maxgoal, &s->mintrash, &s->maxtrash, &s->rootuid,
		   &s->rootgid, &s->mapalluid, &s->mapallgid);
	/* 1.0 kept no disconnection time: 3.0.117 takes its clock */
	s->disconnected = mver >= 0x11 ? mfs_rd_u32(r) : (uint32_t)time(NULL);
}

static int
sess_old(struct mfs_meta *m, struct mfs_rd *r, uint8_t mver)
{
	uint32_t stats, base;

	if (mver < 0x12) {
		/* u16 1 or 2 says which of 1.0/1.1 it is, whatever the header says */
		uint16_t v;
		ONEED(r, 8, "truncated SESS header");
		v = mfs_rd_u16(r);
		if (v != 1 && v != 2)
			return obad(r, "SESS: bad version field (1.0/1.1 sessions start with 1 or 2)");
		mver = v == 1 ? 0x10 : 0x11;
	} else {
		ONEED(r, 6, "truncated SESS header");
	}
	m->nextsessionid = mfs_rd_u32(r);
	stats = mfs_rd_u16(r);
	if (stats > 255)
		return obad(r, "SESS: bad stats count");
	base = mver < 0x11 ? 43 : mver < 0x13 ? 47 : mver < 0x14 ? 55 : 57;
	for (;;) {
		uint32_t rec = base + stats * 8, id, k;
		struct mfs_session *s;
		ONEED(r, rec, "truncated SESS record");
		id = mfs_rd_u32(r);
		if (id == 0) {
			r->p += rec - 4;
			return RC_OK;
		}
		k = MFS_VEC_ADD(m->sess);
		s = &m->sess.v[k];
		s->id = id;
		s->alive = 1;
		s->seq = ++m->seq;
		sess_fields(r, s, mver);
		for (uint32_t h = 0; h < 2; h++)
			for (uint32_t i = 0; i < stats; i++) {
				uint32_t v = mfs_rd_u32(r);
				if (i < 16)
					s->stats[h * 16 + i] = v;
			}
		if (s->ileng > (1u << 20))
			return obad(r, "SESS: session info too long");
		ONEED(r, s->ileng, "truncated SESS info");
		s->info = mfs_strdup(m, r->p, s->ileng);
		r->p += s->ileng;
	}
}

/* ---- LABS/SCLA 1.0-1.5 ---- */

struct sc_rec {
	uint16_t id, delay;
	uint8_t mode, c, k, a;
	uint32_t chunks;   /* 1.2: a chunk id list follows the masks */
};

/* the record header of version mver (3.0.117's hdrleng: 3, 11, 5 or 8) */
static void
sc_head(struct mfs_rd *r, struct sc_rec *s, uint8_t mver)
{
	memset(s, 0, sizeof *s);
	s->mode = 1;   /* SCLASS_MODE_STD */
	s->id = mfs_rd_u16(r);
	if (mver >= 0x14)
		s->mode = mfs_rd_u8(r);
	if (mver >= 0x15)
		s->delay = mfs_rd_u16(r);
	s->c = mfs_rd_u8(r);
	s->k = mver >= 0x14 ? mfs_rd_u8(r) : s->c;
	s->a = mver >= 0x15 ? mfs_rd_u8(r) : s->k;
	if (mver == 0x12) {
		s->chunks = mfs_rd_u32(r);
		r->p += 4;
	}
}

/* the masks stored (create; create+keep from 1.4; all from 1.5), the rest copied */
static void
sc_masks(struct mfs_rd *r, struct mfs_sclass *sc, const struct sc_rec *s, uint8_t mver, uint8_t org)
{
	int stored = mver >= 0x15 ? s->c + s->k + s->a : mver >= 0x14 ? s->c + s->k : s->c;

	for (int i = 0; i < stored; i++)
		for (int j = 0; j < org; j++)
			sc->masks[i][j] = mfs_rd_u32(r);
	if (mver < 0x14)   /* keep = create */
		memcpy(sc->masks[s->c], sc->masks[0], sizeof sc->masks[0] * s->c);
	if (mver < 0x15)   /* archive = keep */
		memcpy(sc->masks[s->c + s->k], sc->masks[s->c], sizeof sc->masks[0] * s->k);
}

static int
sc_skip_labels(struct mfs_rd *r)
{
	/* 26 label descriptions, each u8 length (<= 128) + text: not kept */
	for (int i = 0; i < 26; i++) {
		uint8_t l;
		ONEED(r, 1, "truncated LABS label description");
		l = mfs_rd_u8(r);
		if (l > 128)
			return obad(r, "LABS: label description too long");
		ONEED(r, l, "truncated LABS label description");
		r->p += l;
	}
	return RC_OK;
}

static int
sc_one(struct mfs_meta *m, struct mfs_rd *r, int flags, uint8_t mver, uint8_t org, const struct sc_rec *s)
{
	int stored = mver >= 0x15 ? s->c + s->k + s->a : mver >= 0x14 ? s->c + s->k : s->c;
	uint64_t tail = (uint64_t)stored * 4 * org;
	struct mfs_sclass *sc;

	if (s->c < 1 || s->c > 9 || s->k < 1 || s->k > 9 || s->a < 1 || s->a > 9)
		return obad(r, "LABS: bad storage class record");
	/* these versions store no names: 3.0.117 names class 10 "sclass_1" and
	 * has no name (an error) for 1..9, which it predefines */
	if (s->id < 10 || s->id > 255 || (m->sc[s->id] && m->sc[s->id]->nleng)) {
		if (!(flags & MFS_LOAD_IGNORE)) {
			warn_off(RC_DATA, r->name, mfs_rd_off(r),
				 s->id >= 10 && s->id <= 255 ? "LABS: storage class %u defined twice (-i skips it)"
				 : "LABS: storage class %u cannot be stored in version %d.%d (MooseFS 3.0.117 refuses it too; -i skips it)",
				 s->id, mver >> 4, mver & 15);
			return RC_DATA;
		}
		tail += s->id >= 10 && s->id <= 255 ? (uint64_t)s->chunks * 8 : 0;
		return mfs_rd_skip(r, tail) ? mfs_rd_fail(r, "truncated LABS record") : RC_OK;
	}
	ONEED(r, tail, "truncated LABS record");
	sc = m->sc[s->id] = xcalloc(1, sizeof *sc);
	sc->nleng = (uint8_t)snprintf(sc->name, sizeof sc->name, "sclass_%u", s->id - 9u);
	sc->mode = s->mode;
	sc->delay = s->delay;
	sc->create = s->c;
	sc->keep = s->k;
	sc->arch = s->a;
	sc_masks(r, sc, s, mver, org);
	if (s->id + 1u > m->sc_firstneverused)
		m->sc_firstneverused = s->id + 1u;
	return mfs_rd_skip(r, (uint64_t)s->chunks * 8) ? mfs_rd_fail(r, "truncated LABS chunk list") : RC_OK;
}

static int
scla_old(struct mfs_meta *m, struct mfs_rd *r, int flags, uint8_t mver)
{
	uint8_t org = 1, hl = mver == 0x12 ? 11 : mver <= 0x13 ? 3 : mver <= 0x14 ? 5 : 8;
	int rc = sc_skip_labels(r);

	if (rc)
		return rc;
	if (mver != 0x10) {
		ONEED(r, 1, "truncated LABS header");
		org = mfs_rd_u8(r);
	}
	if (org < 1 || org > 4)
		return obad(r, "LABS: unsupported number of OR-groups");
	for (;;) {
		struct sc_rec s;
		ONEED(r, hl, "truncated LABS record");
		sc_head(r, &s, mver);
		if (s.id == 0 && s.c == 0 && s.k == 0 && s.a == 0 && s.chunks == 0 && s.delay == 0)
			return RC_OK;
		if ((rc = sc_one(m, r, flags, mver, org, &s)))
			return rc;
	}
}

/* ---- NODE 1.0-1.3 ---- */

/* 1.0-1.2 stored the type as mfstools show it */
static uint8_t
node_type(uint8_t t, uint8_t mver)
{
	static const char disp[] = "fdlqbcstr";
	const char *p;

	if (mver > 0x12)
		return t;
	p = t ? strchr(disp, t) : NULL;
	return p ? (uint8_t)(p - disp + 1) : 0;
}

/* the open-file list 1.0-1.3 kept per file: 3.0.117 opens each (of_mr_acquire,
 * which counts one metadata version per new pair) */
static void
node_sessions(struct mfs_meta *m, struct mfs_rd *r, uint32_t inode, uint32_t n)
{
	while (n--) {
		uint32_t s = mfs_rd_u32(r);
		if (!mfs_open_find(m, s, inode)) {
			mfs_open_add(m, s, inode);
			m->version++;
		}
	}
}

static int
node_file(struct mfs_meta *m, struct mfs_rd *r, uint32_t idx, uint8_t mver)
{
	struct mfs_node *n = &m->nodes.v[idx];
	uint32_t ch, sids = 0;
	uint64_t *t;

	ONEED(r, mver <= 0x13 ? 14 : 12, "truncated NODE record");
	mfs_rd_rec(r, "qw", &n->u.f.length, &ch);
	if (mver <= 0x13)
		sids = mfs_rd_u16(r);
	if (ch > MFS_MAX_INDEX + 1u || (uint64_t)ch * 8 + (uint64_t)sids * 4 > mfs_rd_left(r))
		return obad(r, "NODE: chunk count larger than the section");
	mfs_chunks_resize(n, ch);
	t = mfs_chunks(n);
	for (uint32_t i = 0; i < ch; i++) {
		ONEED(r, 8, "truncated NODE chunk list");
		t[i] = mfs_rd_u64(r);
	}
	ONEED(r, sids * 4, "truncated NODE session list");
	node_sessions(m, r, n->inode, sids);
	return RC_OK;
}

/* the attributes after the inode number, as version mver lays them out */
static void
node_attrs(struct mfs_rd *r, struct mfs_node *n, uint8_t mver)
{
	uint32_t trash;

	n->sclass = mfs_rd_u8(r);
	if (mver <= 0x11) {
		uint16_t fm = mfs_rd_u16(r);
		n->eattr = (uint8_t)(fm >> 12);
		n->mode = fm & 0xFFF;
	} else {
		n->eattr = mfs_rd_u8(r);
		n->mode = mfs_rd_u16(r) & 0xFFF;
	}
	mfs_rd_rec(r, "wwwwww", &n->uid, &n->gid, &n->atime, &n->mtime, &n->ctime, &trash);
	/* seconds then, hours now: 3.0.117 rounds up in 32 bits */
	n->trashtime = (uint16_t)((uint32_t)(trash + 3599u) / 3600u);
}

static int
node_old(struct mfs_meta *m, struct mfs_rd *r, uint8_t mver)
{
	uint32_t inode, idx;
	uint8_t type;
	struct mfs_node *n;

	ONEED(r, 1, "truncated NODE record");
	type = mfs_rd_u8(r);
	if (type == 0)
		return 1;
	type = node_type(type, mver);
	if (type == 0 || type > MFS_T_SUSTAINED)
		return obad(r, "NODE: unknown node type");
	ONEED(r, mver <= 0x11 ? 31 : 32, "truncated NODE record");
	inode = mfs_rd_u32(r);
	if (inode == 0)
		return obad(r, "NODE: inode 0");
	if (mfs_node_idx(m, inode))
		return obad(r, "NODE: inode defined twice");
	idx = mfs_node_add(m, inode, type);
	n = &m->nodes.v[idx];
	node_attrs(r, n, mver);
	if (type != MFS_T_FILE && type != MFS_T_DIR && type != MFS_T_TRASH && type != MFS_T_SUSTAINED)
		n->sclass = 0;
	if (inode == 1)
		m->root = idx;
	if (type == MFS_T_BLOCKDEV || type == MFS_T_CHARDEV) {
		ONEED(r, 4, "truncated NODE record");
		n->u.rdev = mfs_rd_u32(r);
	} else if (type == MFS_T_SYMLINK) {
		uint32_t l;
		ONEED(r, 4, "truncated NODE record");
		l = mfs_rd_u32(r);
		if (l > mfs_rd_left(r))
			return obad(r, "NODE: symlink path longer than the section");
		ONEED(r, l, "truncated NODE symlink path");
		n->u.s.path = mfs_strdup(m, r->p, l);
		n->u.s.len = l;
		r->p += l;
	} else if (type == MFS_T_FILE || type == MFS_T_TRASH || type == MFS_T_SUSTAINED) {
		int rc = node_file(m, r, idx, mver);
		if (rc)
			return rc;
	}
	mfs_sclass_count(m, &m->nodes.v[idx], 1);
	return 0;
}

static int
nodes_old(struct mfs_meta *m, struct mfs_rd *r, uint8_t mver)
{
	uint32_t cnt = 1;
	int rc;

	/* 1.0 has no hash size (3.0.117 takes 1) */
	ONEED(r, mver >= 0x11 ? 8 : 4, "truncated NODE header");
	m->maxnodeid = mfs_rd_u32(r);
	if (mver >= 0x11)
		cnt = mfs_rd_u32(r);
	m->nodehash_bits = 0;
	for (uint32_t c = cnt; c; c >>= 1)
		m->nodehash_bits++;
	if (m->nodehash_bits < 24)
		m->nodehash_bits = 24;
	{
		uint64_t fit = mfs_rd_left(r) / 32;
		mfs_reserve(m, cnt < fit ? cnt : (uint32_t)fit);
	}
	while ((rc = node_old(m, r, mver)) == 0)
		;
	return rc == 1 ? RC_OK : rc;
}

/* ---- QUOT 1.0 (no grace period), CSDB 1.0-1.2, CHNK 1.0 ---- */

static int
quota_10(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	uint32_t cnt;

	ONEED(r, 4, "truncated QUOT header");
	cnt = mfs_rd_u32(r);
	if ((uint64_t)cnt * 66 > mfs_rd_left(r))
		return obad(r, "QUOT: count larger than the section");
	while (cnt--) {
		struct mfs_quota q = { 0 };
		struct mfs_node *n;
		uint32_t k;
		ONEED(r, 66, "truncated QUOT record");
		mfs_rd_rec(r, "wbbwwwqqqqqq", &q.inode, &q.exceeded, &q.flags, &q.stimestamp, &q.sinodes,
			   &q.hinodes, &q.slength, &q.hlength, &q.ssize, &q.hsize, &q.srealsize, &q.hrealsize);
		/* QUOTA_DEFAULT_GRACE_PERIOD's default (the restore reads no config here) */
		q.grace = 604800;
		n = mfs_node_get(m, q.inode);
		if (!n || n->type != MFS_T_DIR || n->u.d.quota) {
			if (flags & MFS_LOAD_IGNORE)
				continue;
			return obad(r, "QUOT: quota for a missing inode or a non-directory");
		}
		k = MFS_VEC_ADD(m->quota);
		q.alive = 1;
		q.seq = ++m->seq;
		m->quota.v[k] = q;
		n->u.d.quota = k;
	}
	return RC_OK;
}

static int
csdb_old(struct mfs_meta *m, struct mfs_rd *r, uint8_t mver)
{
	uint32_t cnt, size = mver <= 0x10 ? 6 : mver <= 0x11 ? 8 : 9;

	ONEED(r, 4, "truncated CSDB header");
	cnt = mfs_rd_u32(r);
	if ((uint64_t)cnt * size > mfs_rd_left(r))
		return obad(r, "CSDB: count larger than the section");
	while (cnt--) {
		uint32_t k = MFS_VEC_ADD(m->cs);
		ONEED(r, size, "truncated CSDB record");
		mfs_rd_rec(r, "wh", &m->cs.v[k].ip, &m->cs.v[k].port);
		if (mver >= 0x11)
			m->cs.v[k].csid = mfs_rd_u16(r);
		if (mver >= 0x12)
			m->cs.v[k].maint = mfs_rd_u8(r);
		m->cs.v[k].alive = 1;
		m->cs.v[k].seq = ++m->seq;
	}
	return RC_OK;
}

int
mfs_load_chunks_10(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	(void)flags;
	ONEED(r, 8, "truncated CHNK header");
	m->nextchunkid = mfs_rd_u64(r);
	for (;;) {
		uint64_t id;
		uint32_t v, l;
		struct mfs_chunk *c;
		ONEED(r, 16, "truncated CHNK record");
		mfs_rd_rec(r, "qww", &id, &v, &l);
		if (id == 0) {
			if (v == 0 && l == 0)
				return RC_OK;
			return obad(r, "CHNK: chunk id 0");
		}
		if (mfs_chunk_get(m, id))
			return obad(r, "CHNK: chunk defined twice");
		c = mfs_chunk_add(m, id);
		c->version = v;
		c->lockedto = l;
	}
}

int
mfs_load_quota_10(struct mfs_meta *m, struct mfs_rd *r, int flags)
{
	return quota_10(m, r, flags);
}

/* one entry point per version, as the section table wants */
#define OLD_SESS(V) \
	int mfs_load_sess_##V(struct mfs_meta *m, struct mfs_rd *r, int flags) \
	{ (void)flags; return sess_old(m, r, 0x##V); }
#define OLD_SCLA(V) \
	int mfs_load_scla_##V(struct mfs_meta *m, struct mfs_rd *r, int flags) \
	{ return scla_old(m, r, flags, 0x##V); }
#define OLD_NODE(V) \
	int mfs_load_nodes_##V(struct mfs_meta *m, struct mfs_rd *r, int flags) \
	{ (void)flags; return nodes_old(m, r, 0x##V); }
#define OLD_CSDB(V) \
	int mfs_load_csdb_##V(struct mfs_meta *m, struct mfs_rd *r, int flags) \
	{ (void)flags; return csdb_old(m, r, 0x##V); }
MFS_OLD_SESS(OLD_SESS)
MFS_OLD_SCLA(OLD_SCLA)
MFS_OLD_NODE(OLD_NODE)
MFS_OLD_CSDB(OLD_CSDB)
