/* metasnap.h: pieces of the metasnap tool (rescue/metasnap/metasnap.c).
 * An entry is one file system object of the saved directory, named relative
 * to it ("." is the directory itself).  The archive layout and the MANIFEST
 * format are described in docs/man/metasnap.1. */
#ifndef RESCUE_METASNAP_H
#define RESCUE_METASNAP_H

#include "lib/sha256.h"
#include "lib/tar_read.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Archive members that belong to metasnap, not to the saved directory. */
#define MS_DIR ".metasnap"
#define MS_MANIFEST ".metasnap/MANIFEST"
#define MS_MANIFEST_SUM ".metasnap/MANIFEST.sha256"
#define MS_MAGIC "# metasnap manifest 1\n"

struct ms_entry {
	char *name;         /* relative path, "." for the top directory */
	char type;          /* f d l h c b p */
	uint32_t mode;      /* 07777 */
	uint64_t uid, gid;
	int64_t mtime;
	uint32_t nsec;
	uint64_t size;      /* f only */
	char *link;         /* l: target; h: name of the first link */
	uint32_t major, minor;
	int has_sha;
	uint8_t sha[SHA256_LEN];
	/* walk only */
	dev_t dev;
	ino_t ino;
	nlink_t nlink;
	uint64_t off;       /* archive offset of the member (scan only) */
};

struct ms_list {
	struct ms_entry *v;
	size_t n, cap;
};

void ms_list_free(struct ms_list *l);
struct ms_entry *ms_list_add(struct ms_list *l);
/* Pointers to the entries, sorted by name (malloc'd). */
struct ms_entry **ms_sorted(struct ms_list *l);

/* walk.c: collect DIR's entries (sorted, depth first; hard links marked).
 * Returns RC_OK or a status after a message. */
int ms_walk(int rootfd, const char *dirname, struct ms_list *l);
/* Hash a regular file entry (opened relative to rootfd, no symlinks);
 * checks that it did not change while read.  cb gets every chunk. */
typedef int (*ms_chunk_fn)(void *ctx, const void *buf, size_t n);
int ms_read_file(int rootfd, const char *dirname, struct ms_entry *e,
		 ms_chunk_fn cb, void *ctx);

/* manifest.c */
void ms_escape(char **buf, size_t *len, size_t *cap, const char *s);
/* Append one manifest line for e. */
void ms_manifest_line(char **buf, size_t *len, size_t *cap, const struct ms_entry *e);
/* Parse a manifest; RC_OK or RC_DATA after "FILE:LINE: ..." */
int ms_manifest_parse(const char *file, const char *buf, size_t n, struct ms_list *l);
/* "a/b/c" for messages (escaped like the manifest); one of two static
 * buffers in turn, so two names can go in one message. */
const char *ms_show(const char *name);
/* Compare two entries; returns a malloc'd ", "-separated list of what
 * differs, or NULL when they agree.  mtime_dirs=0 ignores directory mtimes. */
char *ms_compare(const struct ms_entry *a, const struct ms_entry *b, int mtime_dirs);

/* scan.c: read an archive.  For each data member, on_entry (or, when NULL,
 * a hasher) consumes the data and fills e->sha.  The MANIFEST members are
 * kept in *manifest / *sum.  Returns RC_OK, or a status after messages.
 * on_entry returns RC_OK, a status after its own message, or MS_DAMAGED
 * when the entry's data could not be read (scan names the entry). */
#define MS_DAMAGED 100
typedef int (*ms_entry_fn)(void *ctx, struct ms_entry *e, struct tar_reader *r);
struct ms_archive {
	struct ms_list entries;
	char *manifest, *sum;
	size_t manifest_len, sum_len;
	uint64_t bytes;     /* uncompressed size */
};
int ms_scan(const char *file, struct ms_archive *a, ms_entry_fn on_entry,
	    void *ctx, int quiet);
void ms_archive_free(struct ms_archive *a);
/* Check the archive's entries against its manifest: RC_OK, RC_DIFF (each
 * difference named) or RC_DATA (no or bad manifest). */
int ms_check_manifest(const char *file, struct ms_archive *a, struct ms_list *m);

/* place.c: put a restored tree in place atomically (see place.c). */
struct ms_top {
	uint32_t mode;
	uint64_t uid, gid;
	int64_t sec;
	uint32_t nsec;
};

struct ms_place {
	const char *dir;    /* DIR as given, for messages */
	char *parent;       /* its parent directory */
	int pfd, dirfd;     /* the parent; DIR (-1 when absent) */
	int hold;           /* holds tmp, old and the journal: pfd or dirfd */
	char mode;          /* 'n' DIR absent, 's' swap, 'm' mount point */
	int nonempty, root, tmpfd, has_top;
	struct ms_top top;  /* DIR's own mode, owner and time */
	char base[256], tmp[300], old[300], jname[300];
};

/* Finish or undo an interrupted restore of dir, then check dir (absent, or
 * empty unless force).  RC_OK or a status after a message. */
int ms_place_open(struct ms_place *p, const char *dir, int force);
/* Journal, then the empty tree in p->tmpfd.  RC_OK or RC_IO. */
int ms_place_begin(struct ms_place *p);
/* The point of no return: the tree goes in place.  RC_OK or RC_IO. */
int ms_place_commit(struct ms_place *p);
void ms_place_abort(struct ms_place *p);
void ms_place_close(struct ms_place *p);
int ms_set_top(int fd, const struct ms_top *t, int root);
void ms_rm_tree(int dfd, const char *name);

extern const char ms_usage[];

int ms_save(int argc, char **argv);
int ms_verify(int argc, char **argv);
int ms_diff(int argc, char **argv);
int ms_restore(int argc, char **argv);

#endif
