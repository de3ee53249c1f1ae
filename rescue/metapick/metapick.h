/* metapick.h: pieces of the metapick tool (rescue/metapick/metapick.c).
 * Each metadata kind has a scanner that fills one candidate per directory
 * (facts, a rank key, warnings, what makes it unusable) and pure parsers
 * over memory that the fuzz harnesses call.  The --json layout and the
 * table are documented in docs/man/metapick.1 and must stay stable: scripts
 * read --json, the recipes read the table's last line, the chosen directory
 * (r_pick in recipes/lib.sh). */
#ifndef RESCUE_METAPICK_H
#define RESCUE_METAPICK_H

#include <stddef.h>
#include <stdint.h>

#include "lib/dir.h" /* dir_names: the sorted names in a directory */
#include "moosefs/changelog.h"

enum { MP_STR = 's', MP_NUM = 'n', MP_BOOL = 'b', MP_NULL = 'z' };

struct mp_fact {
	char *key;
	int type;
	char *str;
	uint64_t num;
};

struct mp_cand {
	const char *dir;
	const char *kind;       /* "starrocks", "doris", "moosefs", "leofs" */
	int status;             /* RC_OK, or RC_DATA/RC_IO when unreadable */
	char *problem;          /* why it is unusable or unreadable (NULL = fine) */
	int has_key;
	uint64_t key, key2;     /* rank: key, then prefer, then key2 (higher wins) */
	int prefer;             /* e.g. 1 for a FOLLOWER, 0 for an OBSERVER */
	char *key_text;         /* "image.150023", "change 1234" ... */
	char *identity;         /* cluster identity; NULL when unknown */
	char *identity2;        /* a second part compared only when both have it
				 * (the StarRocks token, absent in old metadata) */
	struct mp_fact *facts;
	size_t nfacts, capfacts;
	char **warnings;
	size_t nwarn, capwarn;
	const char *verdict;    /* set by the ranking */
	int rank;
};

#define PRINTF3 __attribute__((format(printf, 3, 4)))
#define PRINTF2 __attribute__((format(printf, 2, 3)))

void mp_fact_str(struct mp_cand *c, const char *key, const char *val);
void mp_fact_num(struct mp_cand *c, const char *key, uint64_t val);
void mp_fact_bool(struct mp_cand *c, const char *key, int val);
void mp_fact_null(struct mp_cand *c, const char *key);
void mp_warn(struct mp_cand *c, const char *fmt, ...) PRINTF2;
/* Mark the candidate unusable (first reason kept). */
void mp_unusable(struct mp_cand *c, const char *fmt, ...) PRINTF2;
/* Unreadable input: status RC_DATA or RC_IO. */
void mp_unreadable(struct mp_cand *c, int rc, const char *fmt, ...) PRINTF3;
void mp_cand_free(struct mp_cand *c);
char *mp_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read up to max bytes of a file relative to dirfd; -1 on error (errno). */
long mp_read(int dirfd, const char *name, void *buf, size_t max);
/* Read the whole file (at most max bytes, else -1 with errno EFBIG). */
char *mp_slurp(int dirfd, const char *name, size_t max, size_t *len);

/* --- StarRocks / Doris FE meta_dir (docs/recipes/facts.md 1) --- */
struct mp_props {
	char *role, *name, *host_type, *cluster_id, *token, *run_mode;
	int lines;
};
/* java.util.Properties text; keeps the keys above.  0, or -1 (bad). */
int mp_props_parse(const char *buf, size_t n, struct mp_props *p);
void mp_props_free(struct mp_props *p);
/* Image file header check: head = first bytes, tail = last 4 bytes.
 * Returns a format name ("doris-cor1", "starrocks-v1", "old") and sets
 * *complete (1 ok, 0 truncated, -1 cannot tell); NULL if unrecognised. */
const char *mp_sr_image_check(const uint8_t *head, size_t n, const uint8_t *tail,
			      uint64_t size, int *complete);
int mp_sr_detect(int dirfd);
void mp_sr_scan(int dirfd, struct mp_cand *c, int want_doris);

/* --- MooseFS data dirs (docs/moosefs-format.md 1.1, 2.1-2.3) --- */
struct mp_mfs_meta {
	int valid;
	int v16;                /* MFSM 1.5: MooseFS 1.6, whose changes start at 0 */
	uint64_t version, id;
	const char *why;        /* when not valid */
};
/* head: the first 24 bytes (n of them), tail: the last 16 bytes; the
 * meaning is moosefs/sections.h's mfs_header_problem(). */
void mp_mfs_header(const uint8_t *head, size_t n, const uint8_t *tail, size_t tn,
		   struct mp_mfs_meta *m);
struct mp_range {
	uint64_t first, last;
};
struct mp_changelog {
	struct mp_range *r;     /* runs of consecutive ids */
	size_t n, cap;
	uint64_t lines;
	/* the damaged end (mfsmetarestore's rule, changelog.h): from line
	 * tail_line on, tail_bytes bytes (0: none); mfsmaster ignores the file */
	uint64_t tail_line, tail_bytes;
	int garbage;            /* a line broke the id order or is damaged with
				 * valid lines after it: the rest is not used */
	int damaged;            /* garbage is a damaged line, not an id order */
	uint64_t garbage_line;
	int id0;                /* set before feeding: MooseFS 1.6's rule (mfs_cl_open16),
				 * a line '0: ...' is change 0, not damage */
	/* streaming state */
	uint64_t prev, bytes, linelen, bad_off;
	char head[MFS_CL_HEADMAX];
	size_t headlen;
	int partial, partial_text, nul, paren;
};
/* Parse changelog text (ids only), following mfsmetarestore's rules: in one
 * piece, or fed in pieces (zeroed struct, id0 set, feed..., finish). */
void mp_mfs_changelog(const char *buf, size_t n, int id0, struct mp_changelog *cl);
void mp_changelog_feed(struct mp_changelog *cl, const char *buf, size_t n);
void mp_changelog_finish(struct mp_changelog *cl);
void mp_changelog_free(struct mp_changelog *cl);
int mp_mfs_detect(int dirfd);
void mp_mfs_scan(int dirfd, struct mp_cand *c);

/* --- LeoFS manager mnesia dir (docs/recipes/facts.md 2.1) --- */
struct mp_leo_log {
	int valid;              /* disk_log magic found */
	int closed;             /* closed cleanly */
	uint64_t records;       /* complete records after the header */
	int torn;               /* an incomplete record at the end */
	int has_header;
	char kind[32];          /* log_header kind, e.g. "trans_log" */
	char node[256];
	uint64_t time_us;       /* log_header now, microseconds since 1970 */
	const char *why;
};
void mp_leo_log_parse(const uint8_t *buf, size_t n, struct mp_leo_log *l);
int mp_leo_detect(int dirfd);
void mp_leo_scan(int dirfd, struct mp_cand *c);

/* report.c */
int mp_rank(struct mp_cand *c, size_t n, const char *kind, char **reason);
void mp_print_table(struct mp_cand *c, size_t n, const char *kind, int chosen,
		    const char *reason);
void mp_print_json(struct mp_cand *c, size_t n, const char *kind, int status,
		   int chosen, const char *reason);

#endif
