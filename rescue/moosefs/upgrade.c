/* upgrade.c: a MooseFS 3.0.112..3.0.118 snapshot (SESS 1.5, SCLA 1.6,
 * CHNK 1.1) as 4.59.2's mfsmaster holds it after loading it, so that 4.x
 * changelogs replay on it and it is stored as 4.x: sessions.c
 * sessions_load, storageclass.c sclass_load ("import from 3.x"), chunks.c
 * chunk_load and filesystem.c fs_add_files_to_chunks of 4.59.2.  Spec:
 * docs/moosefs-format.md "Upgrade sets". */
#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "lib/xio.h"
#include "moosefs/meta.h"

#define SC4_FIXED 48
#define SC4_EXPR 128

/* sessions: mingoal..maxgoal becomes the class-group mask; the hourly
 * stats are not kept (SESS 1.6 has none) */
static void
sessions4(struct mfs_meta *m)
{
	for (uint32_t i = 0; i < m->sess.n; i++) {
		struct mfs_session *s = &m->sess.v[i];
		s->sclassgroups = 1;
		/* groups above 15 fall outside the u16 mask (4.59.2's u8 loop
		 * never ends for maxgoal 255; 3.x never writes one above 9) */
		for (uint32_t g = s->mingoal; g <= s->maxgoal && g < 16; g++)
			s->sclassgroups |= (uint16_t)(1u << g);
	}
}

/* sclass_maskorgroup_to_labelexpr: n OR-group masks (4 each) as n
 * reverse-Polish expressions */
void
mfs_masks_to_expr(uint8_t *expr, const uint32_t (*masks)[4], int n)
{
	for (int i = 0; i < n; i++) {
		uint8_t *e = expr + (size_t)i * SC4_EXPR;
		int pos = 0, ors = 0;
		memset(e, 0, SC4_EXPR);
		while (ors < 4 && masks[i][ors]) {
			int ands = 0;
			for (int b = 0; b < 26; b++)
				if (masks[i][ors] >> b & 1) {
					e[pos++] = (uint8_t)(0xC0 + b);
					ands++;
				}
			if (ands > 1)
				e[pos++] = (uint8_t)(0x80 + ands - 2);
			ors++;
		}
		if (ors > 1)
			e[pos++] = (uint8_t)(0x40 + ors - 2);
	}
}

/* one 3.x class as sclass_load imports it: create and archive parts equal
 * to keep are dropped (cleared, mode 0), the delay goes from days to
 * hours, the export group is the id for 1..9 */
static void
sclass4(struct mfs_meta *m, uint32_t id)
{
	const struct mfs_sclass *o = m->sc[id];
	uint8_t f[SC4_FIXED], parts[3][9 * SC4_EXPR], expr[27 * SC4_EXPR];
	int cnt[3] = { o->create, o->keep, o->arch }, off = 0;
	char name[256];
	uint8_t nl = o->nleng;

	memcpy(name, o->name, nl);
	mfs_masks_to_expr(parts[0], o->masks, cnt[0]);
	mfs_masks_to_expr(parts[1], o->masks + cnt[0], cnt[1]);
	mfs_masks_to_expr(parts[2], o->masks + cnt[0] + cnt[1], cnt[2]);
	for (int p = 0; p < 3; p += 2)
		if (cnt[p] == cnt[1] && !memcmp(parts[p], parts[1], (size_t)cnt[1] * SC4_EXPR))
			cnt[p] = 0;
	memset(f, 0, sizeof f);
	f[6] = (uint8_t)(id < 10 ? id : 0);
	f[7] = o->admin;
	f[8] = o->mode;
	f[9] = 1;                                   /* archive mode CTIME */
	put_be16(f + 10, (uint16_t)(o->delay * 24));
	f[22] = (uint8_t)cnt[0];
	f[27] = cnt[0] ? 0xFF : 0;                  /* labels mode GLOBAL */
	f[28] = (uint8_t)cnt[1];
	f[33] = 0xFF;
	f[34] = (uint8_t)cnt[2];
	f[40] = cnt[2] ? 0xFF : 0;
	f[47] = 0xFF;                               /* trash part: none */
	for (int p = 0; p < 3; p++) {
		memcpy(expr + (size_t)off * SC4_EXPR, parts[p], (size_t)cnt[p] * SC4_EXPR);
		off += cnt[p];
	}
	mfs_sc4_put(m, id, f, name, nl, "", 0, expr);
}

/* chunk_add_file_int's list of (class, file count) pairs: one class keeps
 * up to 4 files inline, a second one is appended to it; past that (or once
 * the inline count is 4) a new class goes first */
struct plist {
	uint32_t *v;    /* class << 24 | count */
	uint32_t n;
	size_t cap;
};

static void
plist_add(struct plist *l, uint8_t sc)
{
	int inline1 = l->n == 1 && (l->v[0] & 0xFFFFFF) < 4;

	for (uint32_t i = 0; i < l->n; i++)
		if (l->v[i] >> 24 == sc && (l->v[i] & 0xFFFFFF) < 0xFFFFFF) {
			l->v[i]++;
			return;
		}
	xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v);
	if (!inline1) {
		memmove(l->v + 1, l->v, l->n * sizeof *l->v);
		l->v[0] = (uint32_t)sc << 24 | 1;
	} else {
		l->v[1] = (uint32_t)sc << 24 | 1;
	}
	l->n++;
}

static void
chunk_set_pairs(struct mfs_meta *m, struct mfs_chunk *c, const struct plist *l)
{
	c->npairs = (uint16_t)(l->n > 511 ? 511 : l->n);
	c->sclassid = l->n ? (uint8_t)(l->v[0] >> 24) : 0;
	c->pairs = l->n == 1 ? l->v[0] & 0xFFFFFF : 0;
	if (l->n < 2)
		return;
	c->pairs = m->cpairs.n;
	for (uint32_t i = 0; i < c->npairs; i++) {
		uint32_t k = MFS_VEC_ADD(m->cpairs);
		m->cpairs.v[k] = l->v[i];
		if (mfs_sc_joinpri(m, (uint8_t)(l->v[i] >> 24)) > mfs_sc_joinpri(m, c->sclassid))
			c->sclassid = (uint8_t)(l->v[i] >> 24);
	}
}

/* chunks: the version loses bit 30 (4.x keeps bit 31, "allow read zeros");
 * the (class, file count) pairs come from the files, visited in the
 * master's node hash order (fs_add_files_to_chunks) */
static void
chunks4(struct mfs_meta *m)
{
	struct mfs_sortent *o, *s = NULL;
	size_t n, k = 0, cap = 0;
	uint32_t *order;
	struct plist l = { 0 };

	for (uint32_t i = 1; i < m->chunks.n; i++) {
		m->chunks.v[i].version &= 0xBFFFFFFFu;
		m->chunks.v[i].npairs = 0;
	}
	o = mfs_node_order(m, &n);
	order = xmalloc((n + 1) * sizeof *order);
	for (size_t i = 0; i < n; i++)
		order[i] = o[i].idx;
	/* (chunk index, visit number) -> the file's class, sorted by chunk */
	for (size_t i = 0; i < n; i++) {
		struct mfs_node *nd = &m->nodes.v[order[i]];
		uint64_t *t;
		if (nd->type != MFS_T_FILE && nd->type != MFS_T_TRASH && nd->type != MFS_T_SUSTAINED)
			continue;
		t = mfs_chunks(nd);
		for (uint32_t j = 0; j < nd->u.f.nch && k < UINT32_MAX; j++) {
			struct mfs_chunk *c = t[j] ? mfs_chunk_get(m, t[j]) : NULL;
			if (!c)
				continue;
			xgrow((void **)&s, &cap, k + 1, sizeof *s);
			s[k] = (struct mfs_sortent){ (uint64_t)(c - m->chunks.v) << 32 | k, nd->sclass };
			k++;
		}
	}
	free(order);
	mfs_sort(s, k);
	for (size_t i = 0; i < k;) {
		uint64_t ci = s[i].key >> 32;
		l.n = 0;
		for (; i < k && s[i].key >> 32 == ci; i++)
			plist_add(&l, (uint8_t)s[i].idx);
		chunk_set_pairs(m, &m->chunks.v[ci], &l);
	}
	free(s);
	free(l.v);
}

void
mfs_upgrade4(struct mfs_meta *m)
{
	sessions4(m);
	for (uint32_t id = 1; id < m->sc_firstneverused && id < 256; id++)
		if (m->sc[id] && m->sc[id]->nleng)
			sclass4(m, id);
	m->sc4_exprsize = SC4_EXPR;
	m->sc4_ecver = 0;
	m->family = 4;
	chunks4(m);
}
