/* sections.c: the header reader and the section table of sections.h. */
#include <string.h>

#include "lib/bytes.h"
#include "lib/err.h"
#include "moosefs/family.h"
#include "moosefs/sections.h"

/* The sections MooseFS 3.0.117 (family 3) and 4.59.2 (family 4) write, in
 * their order, and LABS (3.0's name for SCLA in some builds), which is read
 * but never written.  A file is of family 4 when it has a 4-only section. */
const struct mfs_section mfs_sections[] = {
	{ "SESS", 0x15, 3, mfs_load_sess, mfs_store_sess, mfs_dump_sess },
	{ "SESS", 0x16, 4, mfs_load_sess4, mfs_store_sess4, mfs_dump_sess4 },
	{ "SCLA", 0x16, 3, mfs_load_scla, mfs_store_scla, mfs_dump_scla },
	{ "SCLA", 0x1C, 4, mfs_load_scla4, mfs_store_scla4, mfs_dump_scla4 },
	{ "LABS", 0x16, 3, mfs_load_scla, NULL, mfs_dump_scla },
	{ "PATT", 0x11, 4, mfs_load_patt, mfs_store_patt, mfs_dump_patt },
	{ "NODE", 0x14, 0, mfs_load_nodes, mfs_store_nodes, mfs_dump_nodes },
	{ "EDGE", 0x11, 0, mfs_load_edges, mfs_store_edges, mfs_dump_edges },
	{ "FREE", 0x10, 0, mfs_load_free, mfs_store_free, mfs_dump_free },
	{ "QUOT", 0x11, 0, mfs_load_quota, mfs_store_quota, mfs_dump_quota },
	{ "XATR", 0x10, 0, mfs_load_xattr, mfs_store_xattr, mfs_dump_xattr },
	{ "PACL", 0x11, 0, mfs_load_acl, mfs_store_acl, mfs_dump_acl },
	{ "OPEN", 0x10, 0, mfs_load_open, mfs_store_open, mfs_dump_open },
	{ "FLCK", 0x10, 0, mfs_load_flock, mfs_store_flock, mfs_dump_flock },
	{ "PLCK", 0x10, 0, mfs_load_plock, mfs_store_plock, mfs_dump_plock },
	{ "CSDB", 0x13, 0, mfs_load_csdb, mfs_store_csdb, mfs_dump_csdb },
	{ "CHNK", 0x11, 3, mfs_load_chunks, mfs_store_chunks, mfs_dump_chunks },
	{ "CHNK", 0x12, 4, mfs_load_chunks4, mfs_store_chunks4, mfs_dump_chunks4 },
	/* older versions, read only (meta_load_old.c); mfsmetadump prints them
	 * through mfs_dump_old (dump.c) */
#define OLD_ROW(TAG, NAME, V) { TAG, 0x##V, 3, mfs_load_##NAME##_##V, NULL, mfs_dump_old },
#define OLD_SESS(V) OLD_ROW("SESS", sess, V)
#define OLD_SCLA(V) OLD_ROW("SCLA", scla, V) OLD_ROW("LABS", scla, V)
#define OLD_NODE(V) OLD_ROW("NODE", nodes, V)
#define OLD_CSDB(V) OLD_ROW("CSDB", csdb, V)
	MFS_OLD_SESS(OLD_SESS)
	MFS_OLD_SCLA(OLD_SCLA)
	MFS_OLD_NODE(OLD_NODE)
	MFS_OLD_CSDB(OLD_CSDB)
	OLD_ROW("EDGE", edges, 10)
	OLD_ROW("QUOT", quota, 10)
	OLD_ROW("PACL", acl, 10)
	OLD_ROW("CHNK", chunks, 10)
};
const size_t mfs_nsections = sizeof mfs_sections / sizeof mfs_sections[0];

/* "XXXX d.d" -> 0xdd, 0 when not of that form */
static uint8_t
sig_version(const uint8_t *s, const char *prefix)
{
	if (memcmp(s, prefix, 5) != 0 || s[5] < '0' || s[5] > '9' || s[6] != '.' ||
	    s[7] < '0' || s[7] > '9')
		return 0;
	return (uint8_t)((s[5] - '0') << 4 | (s[7] - '0'));
}

static void
parse_fields(const uint8_t *head, size_t n, struct mfs_header *h)
{
	if (h->kind == MFS_KIND_1X) {
		/* u32 maxnodeid, u64 version, u32 nextsessionid */
		h->full = n >= 20;   /* what metapick needs: the version */
		if (h->full) {
			h->maxnodeid = get_be32(head + 8);
			h->version = get_be64(head + 12);
		}
		if (n >= 24)
			h->nextsessionid = get_be32(head + 20);
		return;
	}
	h->full = n >= 24;
	if (h->full) {
		h->version = get_be64(head + 8);
		h->metaid = get_be64(head + 16);
	}
}

static int
tail_is(const uint8_t *tail, size_t tn, const char *want)
{
	return tn >= 16 && memcmp(tail, want, 16) == 0;
}

void
mfs_header_parse(const uint8_t *head, size_t n, const uint8_t *tail, size_t tn,
		 struct mfs_header *h)
{
	memset(h, 0, sizeof *h);
	h->n = n;
	if (n < 8)
		return;
	memcpy(h->sig, head, 8);
	if (memcmp(head, "MFSM NEW", 8) == 0) {
		h->kind = MFS_KIND_NEW;
		h->version = 1;
		h->full = 1;
		return;
	}
	h->fver = sig_version(head, "MFSM ");
	if (h->fver)
		h->kind = h->fver == 0x20 ? MFS_KIND_20 : h->fver > 0x20 ? MFS_KIND_2X : MFS_KIND_1X;
	else if (sig_version(head, "LIZM "))
		h->kind = MFS_KIND_LIZARDFS;
	if (h->kind == MFS_KIND_UNKNOWN)
		return;
	parse_fields(head, n, h);
	/* MooseFS 1.7 on end with the marker, 1.6 and older with 16 zeros */
	if (h->kind == MFS_KIND_1X && h->fver < 0x17)
		h->end_ok = tail_is(tail, tn, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
	else
		h->end_ok = tail_is(tail, tn, MFS_EOF_MARKER);
}

const char *
mfs_header_problem(const struct mfs_header *h)
{
	if (h->n < 8)
		return "shorter than a header";
	if (h->kind == MFS_KIND_NEW)
		return NULL;
	if (h->kind == MFS_KIND_UNKNOWN || h->kind == MFS_KIND_LIZARDFS)
		return "not a MooseFS metadata file (bad signature)";
	if (!h->full)
		return "header cut short";
	if (!h->end_ok)
		return h->fver >= 0x17 ? "no end marker (truncated or still being written)"
				       : "no end marker (truncated)";
	return NULL;
}

const char *
mfs_kind_name(enum mfs_kind k)
{
	switch (k) {
	case MFS_KIND_NEW: return "mfsm-new";
	case MFS_KIND_20: return "mfsm-2.0";
	case MFS_KIND_2X: return "mfsm-2.x";
	case MFS_KIND_1X: return "mfsm-1.x";
	case MFS_KIND_LIZARDFS: return "lizardfs";
	default: return "unknown";
	}
}

int
mfs_header_refuse(const char *name, const struct mfs_header *h)
{
	const char *advice, *fam = mfs_sig_family(h, &advice);

	/* name what wrote it and what to do (family.c) */
	if (memcmp(h->sig, "MFSM ", 5) == 0)
		warn_off(RC_DATA, name, 0, "metadata format '%.8s' is not supported: %s; %s", (const char *)h->sig,
			 fam, advice ? advice : "rescue reads MFSM 2.0 and MFSM NEW");
	else if (advice)
		warn_off(RC_DATA, name, 0, "not a MooseFS metadata file: %s; %s", fam, advice);
	else
		warn_off(RC_DATA, name, 0, "not a MooseFS metadata file (bad signature)");
	return RC_DATA;
}

void
mfs_sechdr_parse(const uint8_t h[16], struct mfs_sechdr *s)
{
	memcpy(s->tag, h, 4);
	s->tag[4] = 0;
	/* the master writes '0' + minor: 4.x's SCLA 1.12 is "1.<" */
	s->well_formed = h[4] == ' ' && h[6] == '.' && h[5] >= '0' && h[5] <= '9' &&
			 h[7] >= '0' && h[7] <= '0' + 15;
	/* mfsmetadump's arithmetic, also for a malformed header */
	s->ver = (uint8_t)((((h[5] - '0') & 0xF) << 4) + (h[7] & 0xF));
	s->len = get_be64(h + 8);
}

int
mfs_sec_is_4x(const struct mfs_sechdr *s)
{
	return (!memcmp(s->tag, "SESS", 4) && s->ver == 0x16) || (!memcmp(s->tag, "SCLA", 4) && s->ver == 0x1C) ||
	       (!memcmp(s->tag, "CHNK", 4) && s->ver == 0x12) || !memcmp(s->tag, "PATT", 4);
}

const struct mfs_section *
mfs_section_find(const char *name, uint64_t off, const struct mfs_sechdr *s, int *known)
{
	const struct mfs_section *top = NULL;

	for (size_t i = 0; i < mfs_nsections; i++) {
		const struct mfs_section *t = &mfs_sections[i];
		if (memcmp(t->tag, s->tag, 4) != 0)
			continue;
		if (t->ver == s->ver) {
			*known = 1;
			return t;
		}
		if (!top || t->ver > top->ver)
			top = t;
	}
	*known = top != NULL;
	if (top)
		warn_off(RC_DATA, name, off, "section %.4s version %d.%d is not supported (the newest read is %d.%d; %s)",
			 s->tag, s->ver >> 4, s->ver & 15, top->ver >> 4, top->ver & 15,
			 s->ver > top->ver ? "a MooseFS newer than 4.59.2 wrote this file"
					   : "no MooseFS release wrote this version");
	return NULL;
}
