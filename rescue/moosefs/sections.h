/* sections.h: the framing of a MooseFS metadata file, written once and used
 * by the loader, the storer, mfsmetadump and metapick: the header (what the
 * signature means, version, id, end marker) and the section table.
 * Spec: docs/moosefs-format.md 1.1-1.2.
 *
 * A new section version is one row in mfs_sections[] (sections.c): tag,
 * version, loader, storer, dumper.  A new header kind is one case in
 * mfs_header_parse(). */
#ifndef RESCUE_MFS_SECTIONS_H
#define RESCUE_MFS_SECTIONS_H

#include <stddef.h>
#include <stdint.h>

#define MFS_EOF_MARKER "[MFS EOF MARKER]"

/* What the first 8 bytes say. */
enum mfs_kind {
	MFS_KIND_UNKNOWN,   /* not a MooseFS or LizardFS signature */
	MFS_KIND_NEW,       /* "MFSM NEW": an empty filesystem, version 1 */
	MFS_KIND_20,        /* "MFSM 2.0": MooseFS 2.0 to 3.0 (loaded here) */
	MFS_KIND_2X,        /* "MFSM x.y" above 2.0: same header layout, other sections */
	MFS_KIND_1X,        /* "MFSM 1.x": MooseFS 1.6 and older */
	MFS_KIND_LIZARDFS,  /* "LIZM x.y": LizardFS (MooseFS 2.0 header layout) */
};

struct mfs_header {
	enum mfs_kind kind;
	uint8_t sig[8];     /* the raw signature (n >= 8) */
	size_t n;           /* header bytes seen (up to MFS_HEADER_MAX) */
	uint8_t fver;       /* "MFSM x.y" -> 0xXY (0: not of that form) */
	int full;           /* the header has all its fields (version, id...) */
	uint64_t version;   /* id of the next change; 1 for MFSM NEW */
	uint64_t metaid;    /* MFSM 2.0+: the filesystem's id (0: none) */
	uint32_t maxnodeid, nextsessionid;  /* MFSM 1.x only */
	int end_ok;         /* ends as this format ends (the marker, or 1.x's zeros) */
};

/* head: the first bytes of the file (n of them, MFS_HEADER_MAX suffice);
 * tail: its last 16 bytes (tn of them).  Never fails: h says what is there. */
#define MFS_HEADER_MAX 28   /* 28: LizardFS's "MFSM 2.0" is told by bytes 24..27 */
void mfs_header_parse(const uint8_t *head, size_t n, const uint8_t *tail, size_t tn,
		      struct mfs_header *h);
/* metapick's verdict: NULL when the file can start a restore, else why not */
const char *mfs_header_problem(const struct mfs_header *h);
/* "mfsm-2.0", "mfsm-new", "mfsm-1.x", "mfsm-2.x", "lizardfs", "unknown" */
const char *mfs_kind_name(enum mfs_kind k);
/* The message for a header that is neither MFSM 2.0 nor MFSM NEW (RC_DATA). */
int mfs_header_refuse(const char *name, const struct mfs_header *h);

/* One section of an MFSM 2.0 file: "TAG x.y" + u64 length. */
struct mfs_sechdr {
	char tag[5];
	uint8_t ver;        /* x.y -> 0xXY, computed as mfsmetadump does */
	int well_formed;    /* "TAG d.d" */
	uint64_t len;       /* UINT64_MAX: unknown (old writers) */
};
void mfs_sechdr_parse(const uint8_t h[16], struct mfs_sechdr *s);
/* a section version only MooseFS 4.x writes: SESS 1.6, SCLA 1.C, CHNK 1.2, PATT */
int mfs_sec_is_4x(const struct mfs_sechdr *s);

struct mfs_meta;
struct mfs_rd;
struct mfs_wr;
struct mfs_dumper;
struct mfs_section {
	const char *tag;
	uint8_t ver;
	uint8_t family;     /* 3 or 4: stored only for that family; 0: both */
	int (*load)(struct mfs_meta *m, struct mfs_rd *r, int flags);
	void (*store)(struct mfs_meta *m, struct mfs_wr *w);  /* NULL: read only */
	int (*dump)(struct mfs_dumper *d);
};
/* In store order; a tag may have several rows (one per version read). */
extern const struct mfs_section mfs_sections[];
extern const size_t mfs_nsections;

/* The row for tag and version.  NULL with *known = 0: unknown tag; NULL with
 * *known = 1: a version we do not read (message printed at off, RC_DATA). */
const struct mfs_section *mfs_section_find(const char *name, uint64_t off,
					   const struct mfs_sechdr *s, int *known);

/* The loaders (meta_load.c), storers (meta_store.c) and dumpers (dump.c):
 * mfs_load_NAME, mfs_store_NAME, mfs_dump_NAME for every name of this one
 * list, so a new section is declared once. */
#define MFS_SECTION_NAMES(X) \
	X(sess) X(scla) X(nodes) X(edges) X(free) X(quota) X(xattr) X(acl) \
	X(open) X(flock) X(plock) X(csdb) X(chunks) \
	X(sess4) X(scla4) X(patt) X(chunks4)
#define MFS_SECTION_DECL(name) \
	int mfs_load_##name(struct mfs_meta *, struct mfs_rd *, int); \
	void mfs_store_##name(struct mfs_meta *, struct mfs_wr *); \
	int mfs_dump_##name(struct mfs_dumper *);
MFS_SECTION_NAMES(MFS_SECTION_DECL)
#undef MFS_SECTION_DECL

/* Older section versions 3.0.117 reads (meta_load_old.c; NODE parts, EDGE, QUOT, PACL, CHNK 1.0
 * in meta_load.c): read only, stored back in 3.0.117's versions.  Which
 * release wrote which: docs/moosefs-format.md "Older section versions". */
#define MFS_OLD_SESS(X) X(10) X(11) X(12) X(13) X(14)
#define MFS_OLD_SCLA(X) X(10) X(11) X(12) X(13) X(14) X(15)
#define MFS_OLD_NODE(X) X(10) X(11) X(12) X(13)
#define MFS_OLD_CSDB(X) X(10) X(11) X(12)
#define MFS_OLD_DECL(name, V) int mfs_load_##name##_##V(struct mfs_meta *, struct mfs_rd *, int);
#define MFS_OLD_DECL_SESS(V) MFS_OLD_DECL(sess, V)
#define MFS_OLD_DECL_SCLA(V) MFS_OLD_DECL(scla, V)
#define MFS_OLD_DECL_NODE(V) MFS_OLD_DECL(nodes, V)
#define MFS_OLD_DECL_CSDB(V) MFS_OLD_DECL(csdb, V)
MFS_OLD_SESS(MFS_OLD_DECL_SESS)
MFS_OLD_SCLA(MFS_OLD_DECL_SCLA)
MFS_OLD_NODE(MFS_OLD_DECL_NODE)
MFS_OLD_CSDB(MFS_OLD_DECL_CSDB)
MFS_OLD_DECL(edges, 10)
MFS_OLD_DECL(quota, 10)
MFS_OLD_DECL(acl, 10)
MFS_OLD_DECL(chunks, 10)
/* NODE 1.0-1.3 parts (meta_load_old.c): the type letter of 1.0-1.2 (0:
 * unknown), the attributes after the inode number, a file's n open
 * sessions (opened as 3.0.117 does) */
struct mfs_node;
uint8_t mfs_node_type_old(uint8_t t);
void mfs_node_attrs_old(struct mfs_rd *r, struct mfs_node *n, uint8_t mver);
void mfs_node_sessions_old(struct mfs_meta *m, struct mfs_rd *r, uint32_t inode, uint32_t n);
/* SESS of version mver (0x10..0x15) */
int mfs_sess_load_ver(struct mfs_meta *m, struct mfs_rd *r, uint8_t mver);
int mfs_dump_old(struct mfs_dumper *);

#endif
