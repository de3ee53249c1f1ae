/* patt.c: MooseFS 4.x file name patterns (PATT section, PATADD/PATDEL), and
 * what they do to a node that is created or renamed (mfsmaster/patterns.c
 * and globengine.c of 4.59.2): the first matching pattern, in the order
 * priority descending, class ascending, glob, sets the storage class and
 * trash retention of a file or directory and sets/clears extra attributes.
 * The records are kept as stored (struct mfs_pattern, meta.h). */
#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "lib/xio.h"
#include "moosefs/replay.h"

#define P_ANY 0xFFFFFFFFu
enum { OM_SCLASS = 1, OM_TRASH = 2, OM_EATTR = 4 };

static const uint8_t *
gname(const struct mfs_pattern *p)
{
	return p->rec + MFS_PATT_FIXED;
}

/* one character against a "[...]" range body (s..e), '!' negates */
static int
in_range(const uint8_t *s, const uint8_t *e, uint8_t c)
{
	int neg = s < e && *s == '!', hit = 0;

	s += neg;
	while (s < e) {
		if (s + 2 < e && s[1] == '-') {
			hit |= c >= s[0] && c <= s[2];
			s += 3;
		} else {
			hit |= c == *s++;
		}
	}
	return neg ? !hit : hit;
}

/* globengine.c: '*', '?', "[...]" (a '[' without ']' is itself), '\' escapes */
static int
glob_match(const uint8_t *g, const uint8_t *ge, const uint8_t *n, const uint8_t *ne, int depth)
{
	while (g < ge) {
		if (*g == '*') {
			while (g < ge && *g == '*')
				g++;
			if (g == ge)
				return 1;
			if (depth > 64)
				return 0;
			for (const uint8_t *k = n; k <= ne; k++)
				if (glob_match(g, ge, k, ne, depth + 1))
					return 1;
			return 0;
		}
		if (n == ne)
			return 0;
		if (*g == '?') {
			g++;
			n++;
			continue;
		}
		if (*g == '[') {
			const uint8_t *r = memchr(g + 1, ']', (size_t)(ge - g - 1));
			if (r) {
				if (!in_range(g + 1, r, *n))
					return 0;
				g = r + 1;
				n++;
				continue;
			}
		}
		if (*g == '\\' && g + 1 < ge)
			g++;
		if (*g != *n)
			return 0;
		g++;
		n++;
	}
	return n == ne;
}

static int
ugid_ok(const uint8_t *rec, uint32_t uid, int ngid, uint32_t gid)
{
	uint32_t euid = get_be32(rec + 1), egid = get_be32(rec + 5);

	if (euid != P_ANY && euid != uid)
		return 0;
	return egid == P_ANY || (ngid && egid == gid);
}

void
mfs_patt_apply_ugid(struct mfs_meta *m, uint32_t idx, const char *name, uint16_t nl, uint32_t uid, int ngid,
		    uint32_t gid)
{
	struct mfs_node *n = &m->nodes.v[idx];
	const uint8_t *nm = (const uint8_t *)name;

	for (uint32_t i = 0; i < m->patt.n; i++) {
		const uint8_t *rec = m->patt.v[i].rec;
		uint8_t om;
		if (!ugid_ok(rec, uid, ngid, gid) || !glob_match(gname(&m->patt.v[i]), gname(&m->patt.v[i]) + rec[0],
								  nm, nm + nl, 0))
			continue;
		om = rec[10];
		if (n->type == MFS_T_DIR || n->type == MFS_T_FILE) {
			if ((om & OM_SCLASS) && rec[11] != n->sclass)
				mfs_fs_sc_change(m, n, rec[11]);
			if (om & OM_TRASH)
				n->trashtime = get_be16(rec + 12);
		}
		if (om & OM_EATTR) {
			uint8_t set = rec[14], clr = rec[15];
			if (n->type != MFS_T_DIR)
				set &= (uint8_t)~MFS_EA_NOECACHE;
			n->eattr = (uint8_t)((n->eattr | set) & ~clr);
		}
		return;
	}
}

void
mfs_patt_apply(struct mfs_meta *m, uint32_t idx, const char *name, uint16_t nl)
{
	mfs_patt_apply_ugid(m, idx, name, nl, 0, 0, 0);
}

/* patterns_compare: priority descending, class ascending, glob (strcmp) */
static int
patt_cmp(const void *a, const void *b)
{
	const struct mfs_pattern *x = a, *y = b;
	int c;

	if (x->rec[9] != y->rec[9])
		return x->rec[9] > y->rec[9] ? -1 : 1;
	if (x->rec[11] != y->rec[11])
		return x->rec[11] < y->rec[11] ? -1 : 1;
	c = strncmp((const char *)gname(x), (const char *)gname(y), 255);
	return c;
}

static int
same_key(const struct mfs_pattern *p, const char *g, uint16_t gl, uint32_t euid, uint32_t egid)
{
	return p->rec[0] == gl && get_be32(p->rec + 1) == euid && get_be32(p->rec + 5) == egid &&
	       memcmp(gname(p), g, gl) == 0;
}

/* patterns_have_changed's order; stable (insertion), so patterns that
 * differ only in uid/gid keep their order as the master's merge sort does */
void
mfs_patt_sort(struct mfs_meta *m)
{
	struct mfs_pattern t;

	for (uint32_t i = 1; i < m->patt.n; i++) {
		uint32_t j = i;
		if (patt_cmp(&m->patt.v[i - 1], &m->patt.v[i]) <= 0)
			continue;
		t = m->patt.v[i];
		while (j > 0 && patt_cmp(&m->patt.v[j - 1], &t) > 0) {
			m->patt.v[j] = m->patt.v[j - 1];
			j--;
		}
		m->patt.v[j] = t;
	}
}

/* PATADD(glob,euid,egid,priority,omask,scid,trashretention,seteattr[,clreattr]) */
int
mfs_op_patadd(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	char g[256];
	uint16_t gl;
	uint32_t euid, egid, pri, om, sc, tr, set, clr = 0, k;
	uint8_t *rec;

	if (mfs_rp_args(r, "(s,u,u,b,b,b,w,b[,b])", g, &gl, &euid, &egid, &pri, &om, &sc, &tr, &set, &clr) < 0)
		return MFS_ST_PARSE;
	if (gl == 0 || ((om & OM_EATTR) && ((set == 0 && clr == 0) || (set & clr))))
		return MFS_ST_EINVAL;
	for (uint32_t i = 0; i < m->patt.n; i++)
		if (same_key(&m->patt.v[i], g, gl, euid, egid))
			return MFS_ST_EEXIST;
	if (m->patt.n >= 1024)
		return MFS_ST_CLASSLIMITREACH;
	k = MFS_VEC_ADD(m->patt);
	rec = m->patt.v[k].rec;
	rec[0] = (uint8_t)gl;
	put_be32(rec + 1, euid);
	put_be32(rec + 5, egid);
	rec[9] = (uint8_t)pri;
	rec[10] = (uint8_t)om;
	rec[11] = (uint8_t)sc;
	put_be16(rec + 12, (uint16_t)tr);
	rec[14] = (uint8_t)set;
	rec[15] = (uint8_t)clr;
	memcpy(rec + MFS_PATT_FIXED, g, gl);
	m->patt.v[k].len = (uint16_t)(MFS_PATT_FIXED + gl);
	mfs_patt_sort(m);
	return MFS_ST_OK;
}

/* PATDEL(glob,euid,egid) */
int
mfs_op_patdel(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	char g[256];
	uint16_t gl;
	uint32_t euid, egid, k = 0;

	if (mfs_rp_args(r, "(s,u,u)", g, &gl, &euid, &egid) < 0)
		return MFS_ST_PARSE;
	for (uint32_t i = 0; i < m->patt.n; i++)
		if (!same_key(&m->patt.v[i], g, gl, euid, egid))
			m->patt.v[k++] = m->patt.v[i];
	if (k == m->patt.n)
		return MFS_ST_ENOENT;
	m->patt.n = k;
	return MFS_ST_OK;
}

/* a class is deleted: its patterns go (patterns_sclass_delete) */
void
mfs_patt_sclass_deleted(struct mfs_meta *m, uint8_t sc)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < m->patt.n; i++)
		if (m->patt.v[i].rec[11] != sc)
			m->patt.v[k++] = m->patt.v[i];
	m->patt.n = k;
}
