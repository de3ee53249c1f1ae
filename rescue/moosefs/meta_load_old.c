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

/* ---- SESS 1.0-1.6 (1.5: mfs_load_sess, 1.6: mfs_load_sess4) ---- */

/* the fields of one session record that version mver has */
static void
sess_fields(struct mfs_rd *r, struct mfs_session *s, uint8_t mver)
{
	if (mver >= 0x13)
		s->csum = mfs_rd_u64(r);
	mfs_rd_rec(r, "wwwb", &s->ileng, &s->ip, &s->rootinode, &s->sesflags);
	if (mver >= 0x14)
		s->umask = mfs_rd_u16(r);
	/* 1.6 (4.x): one u16 class-group mask where 1.5 has mingoal, maxgoal */
	if (mver >= 0x16)
		s->sclassgroups = mfs_rd_u16(r);
	else
		mfs_rd_rec(r, "bb", &s->mingoal, &s->maxgoal);
	mfs_rd_rec(r, "wwwwww", &s->mintrash, &s->maxtrash, &s->rootuid, &s->rootgid, &s->mapalluid,
		   &s->mapallgid);
	if (mver >= 0x15)
		s->disables = mfs_rd_u32(r);
	/* 1.0 kept no disconnection time: 3.0.117 takes its clock */
	s->disconnected = mver >= 0x11 ? mfs_rd_u32(r) : (uint32_t)time(NULL);
}

int
mfs_sess_load_ver(struct mfs_meta *m, struct mfs_rd *r, uint8_t mver)
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
	base = mver < 0x11 ? 43 : mver < 0x13 ? 47 : mver < 0x14 ? 55 : mver < 0x15 ? 57 : 61;
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

/* ---- NODE 1.0-1.3: the parts that differ (load_node in meta_load.c) ---- */

/* 1.0-1.2 stored the type as mfstools show it (0: unknown) */
uint8_t
mfs_node_type_old(uint8_t t)
{
	static const char disp[] = "fdlqbcstr";
	const char *p = t ? strchr(disp, t) : NULL;

	return p ? (uint8_t)(p - disp + 1) : 0;
}

/* the open-file list 1.0-1.3 kept per file: 3.0.117 opens each (of_mr_acquire,
 * which counts one metadata version per new pair) */
void
mfs_node_sessions_old(struct mfs_meta *m, struct mfs_rd *r, uint32_t inode, uint32_t n)
{
	while (n--) {
		uint32_t s = mfs_rd_u32(r);
		if (!mfs_open_find(m, s, inode)) {
			mfs_open_add(m, s, inode);
			m->version++;
		}
	}
}

void
mfs_node_attrs_old(struct mfs_rd *r, struct mfs_node *n, uint8_t mver)
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

/* ---- CSDB 1.0-1.2 ---- */

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

/* one entry point per version, as the section table wants */
#define OLD_SESS(V) \
	int mfs_load_sess_##V(struct mfs_meta *m, struct mfs_rd *r, int flags) \
	{ (void)flags; return mfs_sess_load_ver(m, r, 0x##V); }
#define OLD_SCLA(V) \
	int mfs_load_scla_##V(struct mfs_meta *m, struct mfs_rd *r, int flags) \
	{ return scla_old(m, r, flags, 0x##V); }
#define OLD_CSDB(V) \
	int mfs_load_csdb_##V(struct mfs_meta *m, struct mfs_rd *r, int flags) \
	{ (void)flags; return csdb_old(m, r, 0x##V); }
MFS_OLD_SESS(OLD_SESS)
MFS_OLD_SCLA(OLD_SCLA)
MFS_OLD_CSDB(OLD_CSDB)
