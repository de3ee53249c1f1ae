/* replay.h: replay one MooseFS changelog line on struct mfs_meta, with the
 * result checks of MooseFS 3.0.117's restore (docs/moosefs-format.md 2.1, 2.5, 3).
 * Internal to rescue/moosefs: replay.c parses and dispatches, replay_fs.c
 * holds the namespace/attribute operations, replay_data.c the chunk,
 * session, lock, chunkserver and storage-class ones. */
#ifndef RESCUE_MFS_REPLAY_H
#define RESCUE_MFS_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "moosefs/meta.h"

/* statuses (names as MooseFS prints them) */
enum {
	ST_OK = 0, ST_EPERM, ST_ENOTDIR, ST_ENOENT, ST_EACCES, ST_EEXIST, ST_EINVAL,
	ST_ENOTEMPTY, ST_CHUNKLOST, ST_INDEXTOOBIG, ST_LOCKED, ST_NOCHUNK,
	ST_WRONGVERSION, ST_CHUNKEXIST, ST_BADSESSIONID, ST_ENOATTR, ST_ERANGE,
	ST_QUOTA, ST_CANTCREATEPATH, ST_ACTIVE, ST_CLASSEXISTS, ST_NOSUCHCLASS,
	ST_CLASSLIMITREACH, ST_CLASSINUSE, ST_MISMATCH, ST_PARSE, ST_VERSION,
};

struct rp {
	struct mfs_meta *m;
	const char *line, *p;   /* the text after "ID: ", and the cursor */
	uint32_t ts;
	int vdone;              /* the op changed the version itself */
	char *msg;
	size_t msz;
	uint8_t *buf[2];        /* scratch for paths and data */
	size_t bcap[2];
};

/* Replay "TS|OP(ARGS)[:RESULTS]" (len bytes, no newline).  Returns ST_OK,
 * ST_PARSE (msg says what), or an error status (msg names op and values). */
int mfs_replay(struct mfs_meta *m, const char *text, size_t len, char *msg, size_t msz);
const char *mfs_status_name(int st);

/* ---- parsing (replay.c) ----
 *
 * rp_args(r, fmt, ...) reads an operation's arguments and results at r->p,
 * left to right, the way the format says: UNLINK is "(u,s):u", ATTR
 * "(u,u,u,u,u,u[,u[,u]])", EMPTYTRASH "({u}):u,u[,u]".  Letters:
 *   u  number into uint32_t *   (strtoul rules: no digits gives 0, consumes nothing)
 *   U  number into uint64_t *
 *   x  hexadecimal number into uint32_t * (an optional 0x is skipped)
 *   b  number at most 255 into uint32_t *   ("value N too big" otherwise)
 *   w  number at most 65535 into uint32_t *
 *   s  name with %XX escapes into char[256] and its length into uint16_t *;
 *      it ends at the format's next character, which must be a literal
 *   d  data with %XX escapes into scratch buffer r->buf[k] (the k-th d of
 *      the format, k = 0 or 1), NUL-terminated, length into uint32_t *;
 *      it ends at the format's next character, like s
 *   [...]  optional group, opening with a literal: read when the input has
 *      that literal next; otherwise its values stay as the caller set them
 *   {...}  optional group: read unless the input has the character that
 *      follows the '}' next ("({u})": an empty or a one-number list)
 *   Groups nest.  The two kinds differ only in which literal a malformed
 *   line is said to lack; each operation uses the kind that keeps the
 *   message it always gave (tests/unit/test_mfs_replay.c holds them).
 *   anything else is a literal that must come next: ( ) , : | W K A ...
 * The compiler cannot check the pointers' types: every number but U goes
 * into a uint32_t, whatever the field's width.
 * The results are the part after the literal ':'.  Returns the number of
 * values stored (so the caller can tell which optional parts were there), or
 * -1 after writing "cannot parse ... at column N" or "value N too big ..."
 * into r->msg; the caller then returns ST_PARSE.  The single-step helpers
 * below are for the few shapes a format cannot say; they return 0 or -1 the
 * same way (numbers cannot fail). */
int rp_args(struct rp *r, const char *fmt, ...);
int rp_eat(struct rp *r, char c);
void rp_u32(struct rp *r, uint32_t *v);
void rp_u64(struct rp *r, uint64_t *v);
void rp_x32(struct rp *r, uint32_t *v);
int rp_ulim(struct rp *r, uint32_t *v, uint32_t max);
int rp_name(struct rp *r, char *name, uint16_t *len, char delim);
/* unbounded escaped data into scratch buffer b (0/1), NUL-terminated */
int rp_data(struct rp *r, int b, uint32_t *len, char delim);
int rp_is(struct rp *r, char c);
int rp_fail(struct rp *r, int st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int rp_check(struct rp *r, const char *what, uint64_t logged, uint64_t got);

/* ---- filesystem helpers (replay_fs.c) ---- */
uint32_t mfs_fs_node(struct mfs_meta *m, uint32_t inode);
int mfs_fs_name_ok(const char *name, uint16_t nl);
void mfs_fs_link(struct mfs_meta *m, uint32_t ts, uint32_t pidx, uint32_t cidx, const char *name, uint16_t nl);
void mfs_fs_unlink(struct mfs_meta *m, uint32_t ts, uint32_t e);
int mfs_fs_purge(struct mfs_meta *m, uint32_t ts, uint32_t idx);
uint32_t mfs_fs_create(struct mfs_meta *m, uint32_t ts, uint32_t pidx, const char *name, uint16_t nl,
		   uint8_t type, uint16_t mode, uint16_t cumask, uint32_t uid, uint32_t gid);
void mfs_fs_copy_xattrs(struct mfs_meta *m, uint32_t from, uint32_t to);
void mfs_fs_setlength(struct mfs_meta *m, struct mfs_node *n, uint64_t len);
int mfs_fs_isfile(const struct mfs_node *n);
void mfs_fs_sc_change(struct mfs_meta *m, struct mfs_node *n, uint8_t newsc);
void chunk_addref(struct mfs_meta *m, uint64_t id);
void chunk_delref(struct mfs_meta *m, uint64_t id);
void xattr_remove_inode(struct mfs_meta *m, uint32_t inode);
void acl_remove(struct mfs_meta *m, uint32_t inode, uint8_t type);
uint32_t acl_set(struct mfs_meta *m, uint32_t inode, uint8_t type, const uint16_t perm[4],
		 uint16_t nu, uint16_t ng, const uint8_t *named);

/* op handlers: each parses its arguments from r->p (at '(') */
typedef int (*rp_op)(struct rp *r);
int mfs_op_create(struct rp *r);
int mfs_op_symlink(struct rp *r);
int mfs_op_unlink(struct rp *r);
int mfs_op_move(struct rp *r);
int mfs_op_link(struct rp *r);
int mfs_op_attr(struct rp *r);
int mfs_op_amtime(struct rp *r);
int mfs_op_access(struct rp *r);
int mfs_op_length(struct rp *r);
int mfs_op_seteattr(struct rp *r);
int mfs_op_settrashtime(struct rp *r);
int mfs_op_setsclass(struct rp *r);
int mfs_op_setgoal(struct rp *r);
int mfs_op_archchg(struct rp *r);
int mfs_op_setxattr(struct rp *r);
int mfs_op_setacl(struct rp *r);
int mfs_op_quota(struct rp *r);
int mfs_op_undel(struct rp *r);
int mfs_op_purge(struct rp *r);
int mfs_op_setpath(struct rp *r);
int mfs_op_emptytrash(struct rp *r);
int mfs_op_emptysustained(struct rp *r);
int mfs_op_freeinodes(struct rp *r);
int mfs_op_renumedges(struct rp *r);
int mfs_op_snapshot(struct rp *r);
int mfs_op_write(struct rp *r);
int mfs_op_trunc(struct rp *r);
int mfs_op_unlock(struct rp *r);
int mfs_op_incversion(struct rp *r);
int mfs_op_setversion(struct rp *r);
int mfs_op_chunkadd(struct rp *r);
int mfs_op_chunkdel(struct rp *r);
int mfs_op_nextchunkid(struct rp *r);
int mfs_op_setfilechunk(struct rp *r);
int mfs_op_rollback(struct rp *r);
int mfs_op_repair(struct rp *r);
int mfs_op_append(struct rp *r);
int mfs_op_sesadd(struct rp *r);
int mfs_op_seschanged(struct rp *r);
int mfs_op_sesdel(struct rp *r);
int mfs_op_sesdisconnected(struct rp *r);
int mfs_op_session(struct rp *r);
int mfs_op_acquire(struct rp *r);
int mfs_op_release(struct rp *r);
int mfs_op_flock(struct rp *r);
int mfs_op_posixlock(struct rp *r);
int mfs_op_csdbop(struct rp *r);
int mfs_op_csadd(struct rp *r);
int mfs_op_csdel(struct rp *r);
int mfs_op_scset(struct rp *r);
int mfs_op_scdup(struct rp *r);
int mfs_op_scren(struct rp *r);
int mfs_op_scdel(struct rp *r);
int mfs_op_setmetaid(struct rp *r);
int mfs_op_idle(struct rp *r);

#endif
