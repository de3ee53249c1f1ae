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
	MFS_ST_OK = 0, MFS_ST_EPERM, MFS_ST_ENOTDIR, MFS_ST_ENOENT, MFS_ST_EACCES, MFS_ST_EEXIST, MFS_ST_EINVAL,
	MFS_ST_ENOTEMPTY, MFS_ST_CHUNKLOST, MFS_ST_INDEXTOOBIG, MFS_ST_LOCKED, MFS_ST_NOCHUNK,
	MFS_ST_WRONGVERSION, MFS_ST_CHUNKEXIST, MFS_ST_BADSESSIONID, MFS_ST_ENOATTR, MFS_ST_ERANGE,
	MFS_ST_QUOTA, MFS_ST_CANTCREATEPATH, MFS_ST_ACTIVE, MFS_ST_CLASSEXISTS, MFS_ST_NOSUCHCLASS,
	MFS_ST_CLASSLIMITREACH, MFS_ST_CLASSINUSE, MFS_ST_MISMATCH, MFS_ST_PARSE, MFS_ST_VERSION,
};

struct mfs_rp {
	struct mfs_meta *m;
	const char *line, *p;   /* the text after "ID: ", and the cursor */
	const char *end;        /* the line's end (its NUL); NULL: not known */
	uint32_t ts;
	int vdone;              /* the op changed the version itself */
	int oparg;              /* the operation's row in ops[] says which of a family it is */
	char *msg;
	size_t msz;
	uint8_t *buf[2];        /* scratch for paths and data */
	size_t bcap[2];
};

/* Replay "TS|OP(ARGS)[:RESULTS]" (len bytes, no newline).  Returns MFS_ST_OK,
 * MFS_ST_PARSE (msg says what), or an error status (msg names op and values). */
int mfs_replay(struct mfs_meta *m, const char *text, size_t len, char *msg, size_t msz);
const char *mfs_status_name(int st);

/* ---- parsing (replay.c) ----
 *
 * mfs_rp_args(r, fmt, ...) reads an operation's arguments and results at r->p,
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
 * into r->msg; the caller then returns MFS_ST_PARSE.  The single-step helpers
 * below are for the few shapes a format cannot say; they return 0 or -1 the
 * same way (numbers cannot fail). */
int mfs_rp_args(struct mfs_rp *r, const char *fmt, ...);
/* mfs_rp_args whose first value is an inode number, then that inode's node
 * into *np: MFS_ST_OK, MFS_ST_PARSE (r->msg says why) or MFS_ST_ENOENT. */
int mfs_rp_node(struct mfs_rp *r, struct mfs_node **np, const char *fmt, ...);
int mfs_rp_eat(struct mfs_rp *r, char c);
void mfs_rp_u32(struct mfs_rp *r, uint32_t *v);
void mfs_rp_u64(struct mfs_rp *r, uint64_t *v);
void mfs_rp_x32(struct mfs_rp *r, uint32_t *v);
int mfs_rp_ulim(struct mfs_rp *r, uint32_t *v, uint32_t max);
int mfs_rp_name(struct mfs_rp *r, char *name, uint16_t *len, char delim);
/* unbounded escaped data into scratch buffer b (0/1), NUL-terminated */
int mfs_rp_data(struct mfs_rp *r, int b, uint32_t *len, char delim);
int mfs_rp_is(struct mfs_rp *r, char c);
int mfs_rp_fail(struct mfs_rp *r, int st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int mfs_rp_check(struct mfs_rp *r, const char *what, uint64_t logged, uint64_t got);

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
void mfs_chunk_addref(struct mfs_meta *m, uint64_t id);
void mfs_chunk_delref(struct mfs_meta *m, uint64_t id);
void mfs_xattr_remove_inode(struct mfs_meta *m, uint32_t inode);
void mfs_acl_remove(struct mfs_meta *m, uint32_t inode, uint8_t type);
uint32_t mfs_acl_set(struct mfs_meta *m, uint32_t inode, uint8_t type, const uint16_t perm[4],
		 uint16_t nu, uint16_t ng, const uint8_t *named);

/* op handlers: each parses its arguments from r->p (at '(') */
typedef int (*mfs_rp_op)(struct mfs_rp *r);
int mfs_op_create(struct mfs_rp *r);
int mfs_op_symlink(struct mfs_rp *r);
int mfs_op_unlink(struct mfs_rp *r);
int mfs_op_move(struct mfs_rp *r);
int mfs_op_link(struct mfs_rp *r);
int mfs_op_attr(struct mfs_rp *r);
int mfs_op_amtime(struct mfs_rp *r);
int mfs_op_access(struct mfs_rp *r);
int mfs_op_length(struct mfs_rp *r);
int mfs_op_seteattr(struct mfs_rp *r);
int mfs_op_settrashtime(struct mfs_rp *r);
int mfs_op_setsclass(struct mfs_rp *r);
int mfs_op_setgoal(struct mfs_rp *r);
int mfs_op_archchg(struct mfs_rp *r);
int mfs_op_setxattr(struct mfs_rp *r);
int mfs_op_setacl(struct mfs_rp *r);
int mfs_op_quota(struct mfs_rp *r);
int mfs_op_undel(struct mfs_rp *r);
int mfs_op_purge(struct mfs_rp *r);
int mfs_op_setpath(struct mfs_rp *r);
int mfs_op_emptytrash(struct mfs_rp *r);
int mfs_op_emptysustained(struct mfs_rp *r);
int mfs_op_freeinodes(struct mfs_rp *r);
int mfs_op_renumedges(struct mfs_rp *r);
int mfs_op_snapshot(struct mfs_rp *r);
int mfs_op_write(struct mfs_rp *r);
int mfs_op_trunc(struct mfs_rp *r);
enum { MFS_CH_UNLOCK, MFS_CH_INCVERSION, MFS_CH_SETVERSION };   /* its oparg */
int mfs_op_chunkver(struct mfs_rp *r);    /* UNLOCK, INCVERSION, SETVERSION */
int mfs_op_chunkadd(struct mfs_rp *r);
int mfs_op_chunkdel(struct mfs_rp *r);
int mfs_op_nextchunkid(struct mfs_rp *r);
int mfs_op_setfilechunk(struct mfs_rp *r);
int mfs_op_rollback(struct mfs_rp *r);
int mfs_op_repair(struct mfs_rp *r);
int mfs_op_append(struct mfs_rp *r);
int mfs_op_sesadd(struct mfs_rp *r);
int mfs_op_seschanged(struct mfs_rp *r);
int mfs_op_sesdel(struct mfs_rp *r);
int mfs_op_sesdisconnected(struct mfs_rp *r);
int mfs_op_session(struct mfs_rp *r);
int mfs_op_acquire(struct mfs_rp *r);
int mfs_op_release(struct mfs_rp *r);
int mfs_op_flock(struct mfs_rp *r);
int mfs_op_posixlock(struct mfs_rp *r);
int mfs_op_csdbop(struct mfs_rp *r);
int mfs_op_csaddel(struct mfs_rp *r);     /* CSADD, CSDEL */
int mfs_op_scset(struct mfs_rp *r);
int mfs_op_scdup(struct mfs_rp *r);
int mfs_op_scren(struct mfs_rp *r);
int mfs_op_scdel(struct mfs_rp *r);
int mfs_op_setmetaid(struct mfs_rp *r);
int mfs_op_idle(struct mfs_rp *r);

/* ---- MooseFS 4.x (replay4.c, patt.c) ---- */
int mfs_op_sesconnected(struct mfs_rp *r);
int mfs_op_chunkflagsclr(struct mfs_rp *r);
int mfs_op_autoarch(struct mfs_rp *r);
int mfs_op_scecversion(struct mfs_rp *r);  /* oparg 1: SCECON, SCRAIDON */
int mfs_op4_scset(struct mfs_rp *r);
int mfs_op4_scdup(struct mfs_rp *r);
int mfs_op4_scren(struct mfs_rp *r);
int mfs_op4_scdel(struct mfs_rp *r);
int mfs_op4_unsupported(struct mfs_rp *r);
int mfs_op_trash_recover(struct mfs_rp *r);
int mfs_op_patadd(struct mfs_rp *r);
int mfs_op_patdel(struct mfs_rp *r);
/* the first pattern matching a created (uid, gid; ngid 0: none) or renamed
 * node's new name sets its class, trash retention and extra attributes */
void mfs_patt_apply_ugid(struct mfs_meta *m, uint32_t idx, const char *name, uint16_t nl, uint32_t uid,
			 int ngid, uint32_t gid);
void mfs_patt_apply(struct mfs_meta *m, uint32_t idx, const char *name, uint16_t nl);
void mfs_patt_sclass_deleted(struct mfs_meta *m, uint8_t sc);
int mfs_trashflag(struct mfs_meta *m, struct mfs_node *n, int flag);

#endif
