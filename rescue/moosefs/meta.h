/* meta.h: MooseFS 3.0.117 metadata held in memory, compactly.
 *
 * Spec: docs/moosefs-format.md (sections 1-3), checked
 * against the real mfsmaster/mfsmetadump 3.0.117.  Every object lives in a
 * vector and is named by its index (0 = none); lookups go through open
 * addressing tables of indexes (struct mfs_idmap).  Strings live in an arena.
 *
 * Record order on store: MooseFS writes hash buckets in ascending order and
 * walks LIFO chains.  We keep, for each object, the sequence number of its
 * insertion (seq) and sort by (bucket, seq descending) when storing, which
 * yields the same order without the master's 2^24-entry tables.
 */
#ifndef RESCUE_MFS_META_H
#define RESCUE_MFS_META_H

#include <stddef.h>
#include <stdint.h>

enum {
	MFS_T_FILE = 1, MFS_T_DIR = 2, MFS_T_SYMLINK = 3, MFS_T_FIFO = 4,
	MFS_T_BLOCKDEV = 5, MFS_T_CHARDEV = 6, MFS_T_SOCKET = 7,
	MFS_T_TRASH = 8, MFS_T_SUSTAINED = 9,
};

/* eattr bits */
enum {
	MFS_EA_NOOWNER = 0x01, MFS_EA_NOACACHE = 0x02, MFS_EA_NOECACHE = 0x04,
	MFS_EA_NODATACACHE = 0x08, MFS_EA_SNAPSHOT = 0x10,
	MFS_EA_UNDELETABLE = 0x20, MFS_EA_APPENDONLY = 0x40,
	MFS_EA_IMMUTABLE = 0x80,
};

/* node flags */
enum { MFS_NF_XATTR = 1, MFS_NF_ACLA = 2, MFS_NF_ACLD = 4 };

#define MFS_CHUNKSIZE ((uint64_t)1 << 26)
#define MFS_MAX_INDEX 0x7FFFFFFFu
#define MFS_TRASH_BUCKETS 4096
#define MFS_SUSTAINED_BUCKETS 256

/* open addressing table of indexes (1-based; 0 = empty slot) */
struct mfs_idmap {
	uint64_t *slot;          /* hash tag << 32 | index */
	uint32_t mask;  /* size - 1; size 0 when slot == NULL */
	uint32_t count;
};

/* string arena: blocks that are never moved, freed all at once */
struct mfs_arena {
	char **blocks;
	size_t nblocks, capblocks;
	char *cur;
	size_t left;
	uint64_t used;
};

struct mfs_node {
	uint32_t inode, seq;
	uint32_t uid, gid, atime, mtime, ctime;
	uint16_t mode, trashtime;
	uint8_t type, sclass, eattr, winattr;
	uint8_t flags;
	uint32_t parents;  /* head of this node's parent-edge list */
	uint32_t nlink;    /* number of parent edges */
	union {
		struct { uint32_t head, tail, nchild, quota; } d;
		struct {
			uint64_t length;
			union { uint64_t one; uint64_t *many; } ch;
			uint32_t nch, cap; /* cap <= 1: the id is in ch.one */
		} f;
		struct { const char *path; uint32_t len; } s;
		uint32_t rdev;
	} u;
};

struct mfs_edge {
	uint32_t parent, child;   /* node indexes; parent 0 = trash/sustained */
	uint64_t edgeid;
	const char *name;
	uint16_t nleng;
	uint8_t kind;             /* 0 dir entry, 1 trash, 2 sustained */
	uint8_t cdir;             /* the child is a directory (a type that never changes) */
	uint32_t prev, next;      /* sibling list (in a dir, or a bucket) */
	uint32_t pnext;           /* next parent edge of the child */
	uint32_t cinode;          /* the child's inode number (saves a lookup on store) */
};

struct mfs_chunk {
	uint64_t id;
	uint32_t version, lockedto;
	uint32_t fcount, seq;
	uint8_t arch;             /* 4.x: the chunk's flags */
	/* 4.x (CHNK 1.2): the chunk's class, and its (class, file count)
	 * pairs: npairs 1: the count is in pairs; more: pairs indexes
	 * m->cpairs (class << 24 | count, npairs of them) */
	uint8_t sclassid;
	uint16_t npairs;          /* | MFS_CP_DIRTY: recomputed from the files on store */
	uint32_t pairs;
};
#define MFS_CP_DIRTY 0x8000

struct mfs_session {
	uint32_t id, seq;
	uint64_t csum;
	uint32_t ip, rootinode;
	uint8_t sesflags, mingoal, maxgoal, alive;
	uint16_t umask, sclassgroups;   /* sclassgroups: 4.x (SESS 1.6) */
	uint32_t mintrash, maxtrash, rootuid, rootgid, mapalluid, mapallgid;
	uint32_t disables, disconnected;
	uint32_t stats[32];
	const char *info;
	uint32_t ileng;
};

struct mfs_sclass {
	uint8_t nleng, admin, mode, create, keep, arch;
	uint16_t delay;
	char name[256];
	uint32_t masks[27][4];   /* create, keep, arch (each count x 4 OR-masks) */
	uint32_t files, dirs;    /* usage counters (incl. trash) */
	/* 4.x (SCLA 1.C): the record after its id as 4.59.2 writes it (48
	 * fixed bytes, name, description, expressions), in the arena */
	const uint8_t *rec4;
	uint32_t rec4len;
};

/* 4.x file name pattern (PATT 1.1): the record as stored, fixed part
 * (gnleng u8, euid, egid, priority, omask, scid u8, trash u16, seteattr,
 * clreattr) then the glob */
#define MFS_PATT_FIXED 16
struct mfs_pattern {
	uint16_t len;
	uint8_t rec[MFS_PATT_FIXED + 255];
};

struct mfs_quota {
	uint32_t inode, grace, stimestamp, sinodes, hinodes, seq;
	uint8_t exceeded, flags, alive;
	uint64_t slength, hlength, ssize, hsize, srealsize, hrealsize;
};

struct mfs_xent {       /* one inode's extended attributes */
	uint32_t inode, seq, head, alive;
};
struct mfs_xpair {
	const char *name, *value;
	uint32_t vleng, next;
	uint8_t nleng;
};

struct mfs_acl {
	uint32_t inode, seq;
	uint8_t type, alive;
	uint16_t perm[4];        /* user, group, other, mask */
	uint16_t nu, ng;
	const uint8_t *named;    /* (nu+ng) x (u32 id, u16 perm), big-endian */
};

struct mfs_open {
	uint32_t sess, inode, seq, alive;
};

struct mfs_ocnt {
	uint32_t inode, count;
};

struct mfs_lockino {     /* flock or posix lock inode record */
	uint32_t inode, seq, alive;
};
struct mfs_flock {
	uint32_t inode, sess, seq, alive;
	uint64_t owner;
	uint8_t type;            /* 0 read, 1 write */
};
struct mfs_plock {
	uint32_t inode, sess, pid, oseq, alive;
	uint64_t owner, start, end;
	uint8_t type;            /* 1 read, 2 write */
};

struct mfs_cs {
	uint32_t ip, mto, seq;
	uint16_t port, csid;
	uint8_t maint, alive;
};

struct mfs_free {
	uint32_t inode, ftime;
};

#define MFS_VEC(T) struct { T *v; uint32_t n; size_t cap; }

struct mfs_meta {
	uint64_t version, metaid;
	uint32_t seq;             /* insertion counter for store order */
	uint32_t maxnodeid, nodehash_bits;
	uint64_t nextedgeid, nextchunkid;
	uint32_t nextsessionid;
	int empty;                /* loaded from "MFSM NEW" */
	uint8_t family;           /* 3: MooseFS 3.0 sections, 4: 4.x (sections.c) */
	uint16_t sc4_exprsize;    /* SCLA 1.C header: expression size, EC version */
	uint8_t sc4_ecver;
	uint8_t keep_empty;       /* 4.x KEEP_EMPTY_FILES_IN_TRASH (replay) */
	uint8_t oldsecs;          /* a section older than 3.0.112's was read */

	MFS_VEC(struct mfs_node) nodes;
	uint32_t node_free;       /* free list through nodes.v[i].inode==0, parents */
	struct mfs_idmap node_map;    /* inode -> node index, for inodes >= ndirect */
	uint32_t *direct;         /* inode -> node index for inodes < ndirect */
	uint32_t ndirect;
	uint32_t root;            /* node index of inode 1 */

	MFS_VEC(struct mfs_edge) edges;
	uint32_t edge_free;
	struct mfs_idmap edge_map;    /* (parent inode, name) -> edge index */
	int edge_map_stale;       /* loading: the map is built in bulk on first use */
	uint32_t trash_head[MFS_TRASH_BUCKETS];
	uint32_t sust_head[MFS_SUSTAINED_BUCKETS];

	/* used inode numbers: live nodes and FREE entries */
	uint32_t *usedmap;
	uint32_t usedwords, searchpos;
	MFS_VEC(struct mfs_free) freel;
	uint32_t free_first;      /* FIFO head within freel.v */
	uint32_t freelastts;

	MFS_VEC(struct mfs_chunk) chunks;
	uint32_t chunk_free;
	struct mfs_idmap chunk_map;   /* chunk id -> index, for ids >= ncdirect */
	uint32_t *cdirect;        /* chunk ids are dense too: id -> index */
	uint32_t ncdirect;

	MFS_VEC(struct mfs_session) sess;
	struct mfs_sclass *sc[256];
	uint32_t sc_firstneverused;
	MFS_VEC(struct mfs_quota) quota;
	MFS_VEC(struct mfs_xent) xent;
	struct mfs_idmap xent_map;
	MFS_VEC(struct mfs_xpair) xpair;
	MFS_VEC(struct mfs_acl) acl;
	struct mfs_idmap acl_map;     /* inode*2+type-1 */
	MFS_VEC(struct mfs_open) open;
	struct mfs_idmap open_map;    /* (sess<<32)|inode */
	MFS_VEC(struct mfs_ocnt) ocnt;
	struct mfs_idmap ocnt_map;    /* inode -> number of open relations */
	MFS_VEC(struct mfs_lockino) flino, plino;
	MFS_VEC(struct mfs_flock) flock;
	MFS_VEC(struct mfs_plock) plock;
	MFS_VEC(struct mfs_cs) cs;
	MFS_VEC(struct mfs_pattern) patt;     /* 4.x */
	MFS_VEC(uint32_t) cpairs;             /* 4.x chunk class pairs */

	struct mfs_arena ar;
	uint8_t *scratch[2];      /* replay: decoded paths and data */
	size_t scratchcap[2];
};

/* ---- meta_core.c ---- */
uint32_t mfs_hash32(uint32_t k);
void mfs_init(struct mfs_meta *m);
/* Fresh filesystem ("MFSM NEW"): root with times = now. */
void mfs_init_new(struct mfs_meta *m, uint32_t now);
/* The same for MooseFS 4.x (replay4.c): its 4 predefined classes */
void mfs_init_new4(struct mfs_meta *m, uint32_t now);
/* A 4.x storage class id from its 48-byte fixed part (SCLA 1.C), name,
 * description and expressions (replay4.c) */
void mfs_sc4_put(struct mfs_meta *m, uint32_t id, const uint8_t fixed[48], const char *name, uint8_t nl,
		 const char *desc, uint8_t dl, const uint8_t *expr);
/* n 3.x label masks (4 OR-groups each) as n 128-byte 4.x expressions
 * (storageclass.c sclass_maskorgroup_to_labelexpr; upgrade.c) */
void mfs_masks_to_expr(uint8_t *expr, const uint32_t (*masks)[4], int n);
/* A loaded 3.0.112..3.0.118 snapshot made into what 4.59.2's mfsmaster
 * holds after loading it (upgrade.c): sessions, storage classes, chunks */
void mfs_upgrade4(struct mfs_meta *m);
/* Which family a changelog line's syntax belongs to ("TS|OP(...)..."): 4,
 * 3, or 0 when it does not tell (replay4.c) */
int mfs_line_family(const char *text);
/* 4.x patterns in the master's order (patt.c) */
void mfs_patt_sort(struct mfs_meta *m);
void mfs_free(struct mfs_meta *m);
const char *mfs_strdup(struct mfs_meta *m, const void *s, size_t n);

struct mfs_node *mfs_node_get(struct mfs_meta *m, uint32_t inode);
uint32_t mfs_node_idx(struct mfs_meta *m, uint32_t inode);
/* New node with this inode number (must not exist); returns its index. */
uint32_t mfs_node_add(struct mfs_meta *m, uint32_t inode, uint8_t type);
void mfs_node_del(struct mfs_meta *m, uint32_t idx);
void mfs_used_set(struct mfs_meta *m, uint32_t inode);
void mfs_used_clear(struct mfs_meta *m, uint32_t inode);
uint32_t mfs_inode_alloc(struct mfs_meta *m);

uint64_t *mfs_chunks(struct mfs_node *n);
/* Resize a file's chunk table to nch slots (new slots zero). */
void mfs_chunks_resize(struct mfs_node *n, uint32_t nch);

uint32_t mfs_edge_find(struct mfs_meta *m, uint32_t pidx, const char *name, uint16_t nleng);
/* New edge; at_head: put at the head of the parent's list (else tail). */
uint32_t mfs_edge_add(struct mfs_meta *m, uint32_t pidx, uint32_t cidx,
		      const char *name, uint16_t nleng, uint64_t edgeid, int at_head);
/* Trash (kind 1) or sustained (kind 2) edge at the head of its bucket. */
uint32_t mfs_edge_add_special(struct mfs_meta *m, uint32_t cidx, int kind,
			      const char *name, uint16_t nleng, uint64_t edgeid);
void mfs_edge_del(struct mfs_meta *m, uint32_t eidx);

struct mfs_chunk *mfs_chunk_get(struct mfs_meta *m, uint64_t id);
struct mfs_chunk *mfs_chunk_add(struct mfs_meta *m, uint64_t id);
void mfs_chunk_del(struct mfs_meta *m, struct mfs_chunk *c);

uint64_t mfs_xent_rh(const void *ctx, uint32_t idx);
uint64_t mfs_acl_rh(const void *ctx, uint32_t idx);
uint32_t mfs_xent_find(struct mfs_meta *m, uint32_t inode);
/* New extended-attribute record for inode (must have none); its index. */
uint32_t mfs_xent_add(struct mfs_meta *m, uint32_t inode);
uint32_t mfs_acl_find(struct mfs_meta *m, uint32_t inode, uint8_t type);
uint32_t mfs_open_find(struct mfs_meta *m, uint32_t sess, uint32_t inode);
int mfs_is_open(struct mfs_meta *m, uint32_t inode);
void mfs_open_add(struct mfs_meta *m, uint32_t sess, uint32_t inode);
void mfs_open_del(struct mfs_meta *m, uint32_t oidx);
struct mfs_session *mfs_sess_find(struct mfs_meta *m, uint32_t id);
void mfs_sclass_defaults(struct mfs_meta *m);
/* Count node n (d = 1) or stop counting it (d = -1) in its storage class's
 * file or directory usage. */
void mfs_sclass_count(struct mfs_meta *m, const struct mfs_node *n, int d);

/* generic open addressing over indexes; eq(ctx, idx, key) says if idx has key */
typedef int (*mfs_idmap_eq)(const void *ctx, uint32_t idx, const void *key);
uint32_t mfs_idmap_find(const struct mfs_idmap *t, uint64_t h, mfs_idmap_eq eq, const void *ctx, const void *key);
/* rehash(ctx, idx) gives the hash of an existing element (for growth) */
typedef uint64_t (*mfs_idmap_hash)(const void *ctx, uint32_t idx);
void mfs_idmap_put(struct mfs_idmap *t, uint64_t h, uint32_t idx, mfs_idmap_hash rh, const void *ctx);
void mfs_idmap_del(struct mfs_idmap *t, uint64_t h, uint32_t idx, mfs_idmap_hash rh, const void *ctx);
void mfs_idmap_free(struct mfs_idmap *t);
/* make room for n elements without growing */
void mfs_idmap_reserve(struct mfs_idmap *t, uint32_t n, mfs_idmap_hash rh, const void *ctx);
/* room for this many nodes (chunks) and an inode (chunk id) array up to
 * maxinode (maxid), when that is dense enough */
void mfs_reserve(struct mfs_meta *m, uint32_t nodes, uint32_t maxinode);
void mfs_reserve_chunks(struct mfs_meta *m, uint32_t chunks, uint64_t maxid);
uint64_t mfs_mix64(uint64_t x);

/* sort (key, idx) pairs by key ascending (radix) */
struct mfs_sortent { uint64_t key; uint32_t idx; };
void mfs_sort(struct mfs_sortent *a, size_t n);
/* the same on the key's bits from..63 only (from: 0, 16, 32 or 48), stable */
void mfs_sort_from(struct mfs_sortent *a, size_t n, int from);
/* A buffer of n entries to sort in, kept for the next call (not to be
 * freed; the next call may move it); mfs_free releases it. */
struct mfs_sortent *mfs_sort_buf(size_t n);
void mfs_sort_release(void);

/* append a zeroed element; evaluates to its index */
#define MFS_VEC_ADD(vec) \
	(xgrow((void **)&(vec).v, &(vec).cap, (size_t)(vec).n + 1, sizeof *(vec).v), \
	 memset(&(vec).v[(vec).n], 0, sizeof *(vec).v), (vec).n++)

/* ---- meta_load.c ---- */
/* Load a metadata file from memory (fuzzers) or a file.  flags: MFS_LOAD_IGNORE
 * (tolerate structure errors like mfsmaster -i).  Returns RC_OK or RC_DATA
 * (message printed with the file name and offset). */
enum { MFS_LOAD_IGNORE = 1 };
int mfs_load_mem(struct mfs_meta *m, const char *name, const uint8_t *data, size_t len, int flags);
struct progress;
/* pr (may be NULL): a lib/progress.h bar fed with the bytes read */
int mfs_load_file(struct mfs_meta *m, const char *path, int flags, struct progress *pr);
/* Read only the header: version/id; returns RC_OK, RC_DATA (bad), RC_IO. */
int mfs_peek_header(const char *path, uint64_t *version, uint64_t *metaid, int *is_new);

/* 4.x storage class record (rec4): how many label expressions it has */
uint32_t mfs_sc4_nexpr(const uint8_t *fixed);

/* ---- meta_store.c ---- */
/* 4.59.2's sclass_get_joining_priority, approximated: which class a chunk
 * shared by files of several classes takes (the highest) */
uint64_t mfs_sc_joinpri(const struct mfs_meta *m, uint8_t sc);
struct mfs_sortent *mfs_node_order(const struct mfs_meta *m, size_t *k);
/* Write the whole file in the 3.0.117 format to fd; now = wall clock (lockedto rule). */
int mfs_store_fd(struct mfs_meta *m, int fd, const char *name, uint32_t now);

/* ---- dump.c ---- */
/* Print a metadata file like mfsmetadump 3.0.117; returns RC_*. */
int mfs_dump(const char *path, int hide_nonprint, const char *section);
/* mfsmetadump --header: the header lines, then
 * "# kind: K ; version: V ; id: HEX ; end marker: yes|no|-"; returns RC_*. */
int mfs_dump_header(const char *path, int hide_nonprint);

#endif
