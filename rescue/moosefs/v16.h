/* v16.h: MooseFS 1.6 metadata ("MFSM 1.5", written by 1.5.x up to
 * 1.6.27-5) in memory, its loader, storer, dumper and changelog replay.
 *
 * Separate from the 3.x model (meta.h) because 1.6 differs in nearly every
 * detail that decides the output bytes: no sections, trash time in seconds,
 * goals instead of storage classes, open files as per-file session lists,
 * edges without ids, its own hash orders (nodes by id & (2^22-1), chunks
 * by id & 0xFFFFF) and other replay rules (docs/moosefs-format.md 6).
 *
 * Objects live in vectors and are named by index (0 = none).  Store order:
 * 1.6 walks hash buckets in ascending order and each bucket's list LIFO; we
 * keep an insertion sequence number and sort by (bucket, seq descending). */
#ifndef RESCUE_MFS_V16_H
#define RESCUE_MFS_V16_H

#include <stddef.h>
#include <stdint.h>

/* 1.6 node types (the letters of the file format) */
enum {
	V16_FILE = 'f', V16_DIR = 'd', V16_SYMLINK = 'l', V16_FIFO = 'q',
	V16_BLOCKDEV = 'b', V16_CHARDEV = 'c', V16_SOCKET = 's',
	V16_TRASH = 't', V16_RESERVED = 'r',
};

/* edge lists: a directory's children, the trash, the reserved files */
enum { V16_L_DIR, V16_L_TRASH, V16_L_RESERVED };

struct v16_node {
	uint32_t id, seq, hnext;
	uint32_t ctime, mtime, atime, uid, gid, trashtime;
	uint16_t mode;          /* 12 mode bits, the eattr in the top 4 */
	uint8_t type, goal;
	uint32_t parents;       /* head of the parent-edge list */
	/* directory */
	uint32_t children, elements, nlink;
	/* file, trash, reserved */
	uint64_t length;
	uint64_t *chunk;
	uint32_t nchunk;
	uint32_t *sess;         /* open session ids, in 1.6's list order */
	uint32_t nsess;
	/* symlink */
	uint8_t *path;
	uint32_t pleng;
	uint32_t rdev;
};

struct v16_edge {
	uint32_t parent, child; /* node indexes; parent 0: trash or reserved */
	uint8_t list;           /* V16_L_* */
	uint32_t cprev, cnext;  /* the list it is in */
	uint32_t pnext, pprev;  /* the child's parent list */
	uint32_t hnext;         /* name hash chain */
	uint8_t *name;
	uint32_t nleng;         /* trash paths may be up to 65535 bytes */
};

struct v16_chunk {
	uint64_t id;
	uint32_t version, lockedto, fcount, seq, hnext;
};

/* chained hash of indexes (power-of-two buckets) */
struct v16_tab {
	uint32_t *b;
	uint32_t mask, n;
};

#define V16_VEC(T) struct { T *v; uint32_t n; size_t cap; }

struct v16_meta {
	uint32_t maxnodeid, nextsessionid;
	uint64_t version, nextchunkid;
	uint32_t seq;
	V16_VEC(struct v16_node) nodes;
	V16_VEC(struct v16_edge) edges;
	V16_VEC(struct v16_chunk) chunks;
	uint32_t node_free, edge_free;  /* free slots (chained by hnext) */
	struct v16_tab node_tab, edge_tab, chunk_tab;
	uint32_t root, trash, reserved; /* node index; list heads */
	struct { uint32_t id, ftime; } *freel;
	uint32_t nfree, free_head;
	size_t freecap;
	uint32_t *fbm;          /* inode bitmap (1.6's freebitmask) */
	uint32_t fbmsize, searchpos;
	uint32_t depth;         /* recursion depth guard */
	uint8_t *scratch;       /* replay: decoded names and paths */
	size_t scratchcap;
};

/* ---- v16_load.c ---- */
void v16_init(struct v16_meta *m);
void v16_free(struct v16_meta *m);
struct v16_node *v16_node_get(struct v16_meta *m, uint32_t id);
uint32_t v16_node_add(struct v16_meta *m, uint32_t id, uint8_t type);
void v16_node_del(struct v16_meta *m, uint32_t idx);
uint32_t v16_edge_find(struct v16_meta *m, uint32_t pidx, const uint8_t *name, uint32_t nleng);
/* new edge at the head (or tail) of its list, at the head of the child's parents */
uint32_t v16_edge_add(struct v16_meta *m, uint32_t pidx, uint32_t cidx, uint8_t list,
		      const uint8_t *name, uint32_t nleng, int at_tail);
void v16_edge_unlist(struct v16_meta *m, uint32_t e);
/* to the head of another list (trash to reserved) */
void v16_edge_move(struct v16_meta *m, uint32_t e, uint8_t list);
void v16_edge_del(struct v16_meta *m, uint32_t e);
struct v16_chunk *v16_chunk_get(struct v16_meta *m, uint64_t id);
struct v16_chunk *v16_chunk_new(struct v16_meta *m, uint64_t id);
void v16_used_inode(struct v16_meta *m, uint32_t id);
uint32_t v16_next_id(struct v16_meta *m);
/* RC_OK or RC_DATA (message with the file name and offset printed);
 * stages: print 1.6's "loading ... ok" lines on stderr */
int v16_load_mem(struct v16_meta *m, const char *name, const uint8_t *data, size_t len, int stages);
int v16_load_file(struct v16_meta *m, const char *path, int stages);

/* ---- v16_store.c ---- */
/* Write "MFSM 1.5" to fd as 1.6.27 does; now: the wall clock (lockedto). */
int v16_store_fd(struct v16_meta *m, int fd, const char *name, uint32_t now);

/* ---- v16_dump.c ---- */
/* Print an "MFSM 1.5" file as 1.6.27's mfsmetadump does; RC_*. */
int v16_dump(const char *path);

/* ---- v16_replay.c ---- */
/* Apply one changelog line's text (after "ID: "); 0 or a message. */
int v16_replay(struct v16_meta *m, const char *text, size_t len, char *msg, size_t msgsize);

/* ---- v16_restore.c ---- */
struct v16_opts {
	int verbose, quiet, automatic, best;
	/* called just before OUT is written (-a: keep the old file); an RC_* */
	int (*before_store)(const char *out, const void *arg);
	const void *arg;
};
/* The mfsmetarestore run for a 1.6 snapshot: load meta, replay cls, store out. */
int v16_restore(const char *meta, char **cls, size_t ncl, const char *out, int aflags,
		const struct v16_opts *o);
/* "MFSM 1.5" at the start of path */
int v16_is_file(const char *path);
/* a whole-looking "MFSM 1.5" file (signature, zero end record): its
 * version; RC_OK, RC_DATA or RC_IO (no message) */
int v16_peek(const char *path, uint64_t *version);

#endif
