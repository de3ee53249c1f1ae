/* sections.c: the header reader and the section table of sections.h. */
#include <string.h>

#include "lib/bytes.h"
#include "lib/err.h"
#include "moosefs/sections.h"
#include "moosefs/v16.h"

/* The sections MooseFS 3.0.117 writes, in its order, and LABS (3.0's name
 * for SCLA in some builds), which is read but never written. */
const struct mfs_section mfs_sections[] = {
	{ "SESS", 0x15, mfs_load_sess, mfs_store_sess, mfs_dump_sess },
	{ "SCLA", 0x16, mfs_load_scla, mfs_store_scla, mfs_dump_scla },
	{ "LABS", 0x16, mfs_load_scla, NULL, mfs_dump_scla },
	{ "NODE", 0x14, mfs_load_nodes, mfs_store_nodes, mfs_dump_nodes },
	{ "EDGE", 0x11, mfs_load_edges, mfs_store_edges, mfs_dump_edges },
	{ "FREE", 0x10, mfs_load_free, mfs_store_free, mfs_dump_free },
	{ "QUOT", 0x11, mfs_load_quota, mfs_store_quota, mfs_dump_quota },
	{ "XATR", 0x10, mfs_load_xattr, mfs_store_xattr, mfs_dump_xattr },
	{ "PACL", 0x11, mfs_load_acl, mfs_store_acl, mfs_dump_acl },
	{ "OPEN", 0x10, mfs_load_open, mfs_store_open, mfs_dump_open },
	{ "FLCK", 0x10, mfs_load_flock, mfs_store_flock, mfs_dump_flock },
	{ "PLCK", 0x10, mfs_load_plock, mfs_store_plock, mfs_dump_plock },
	{ "CSDB", 0x13, mfs_load_csdb, mfs_store_csdb, mfs_dump_csdb },
	{ "CHNK", 0x11, mfs_load_chunks, mfs_store_chunks, mfs_dump_chunks },
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
	if (v16_foreign(head, n))   /* LizardFS's "MFSM 1.6" and "MFSM 2.0" */
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
	if (h->kind == MFS_KIND_LIZARDFS)
		warn_off(RC_DATA, name, 0, "LizardFS metadata ('%.8s' in LizardFS's layout): not MooseFS, not supported",
			 (const char *)h->sig);
	else if (memcmp(h->sig, "MFSM ", 5) == 0)
		warn_off(RC_DATA, name, 0, "metadata format '%.8s' is not supported (3.0.117 writes MFSM 2.0)",
			 (const char *)h->sig);
	else
		warn_off(RC_DATA, name, 0, "not a MooseFS metadata file (bad signature)");
	return RC_DATA;
}

void
mfs_sechdr_parse(const uint8_t h[16], struct mfs_sechdr *s)
{
	memcpy(s->tag, h, 4);
	s->tag[4] = 0;
	s->well_formed = h[4] == ' ' && h[6] == '.' && h[5] >= '0' && h[5] <= '9' &&
			 h[7] >= '0' && h[7] <= '9';
	/* mfsmetadump's arithmetic, also for a malformed header */
	s->ver = (uint8_t)((((h[5] - '0') & 0xF) << 4) + (h[7] & 0xF));
	s->len = get_be64(h + 8);
}

const struct mfs_section *
mfs_section_find(const char *name, uint64_t off, const struct mfs_sechdr *s, int *known)
{
	const struct mfs_section *first = NULL;

	for (size_t i = 0; i < mfs_nsections; i++) {
		const struct mfs_section *t = &mfs_sections[i];
		if (memcmp(t->tag, s->tag, 4) != 0)
			continue;
		if (t->ver == s->ver) {
			*known = 1;
			return t;
		}
		if (!first)
			first = t;
	}
	*known = first != NULL;
	if (first)
		warn_off(RC_DATA, name, off, "section %.4s version %d.%d is not supported (3.0.117 writes %d.%d)",
			 s->tag, s->ver >> 4, s->ver & 15, first->ver >> 4, first->ver & 15);
	return NULL;
}
