/* tree.h: walk a directory tree into a list of entries sorted by name
 * (bytewise), as reproducible archive writers (mkcpio, mkoci) need.
 * Names are relative to the top ("bin", "bin/sh"); the top itself is not
 * listed.  Symlinks are not followed; their targets are read.  The owner is
 * recorded as 0:0 whoever owns the files, so archives are reproducible. */
#ifndef RESCUE_TREE_H
#define RESCUE_TREE_H

#include <stddef.h>
#include <sys/stat.h>

struct tree_ent {
	char *name;   /* relative name inside the archive */
	char *path;   /* where to read it ("DIR/name"); NULL if not a file */
	char *link;   /* symlink target, else NULL */
	const char *src;   /* the source it came from (a DIR or a list file) */
	unsigned long line; /* line in a list file, 0 for a DIR */
	struct stat st;
};

struct tree {
	struct tree_ent *e;
	size_t n, cap;
};

/* Append every entry under dir (not dir itself).  RC_OK, or an RC_* status
 * after a message naming the path. */
int tree_scan(struct tree *t, const char *dir);
/* A new zeroed entry at the end (the caller fills it; name is owned). */
struct tree_ent *tree_add(struct tree *t);
/* Sort by name (strcmp), so a directory precedes its contents. */
void tree_sort(struct tree *t);
void tree_free(struct tree *t);
/* Feed a regular file's data (exactly e->st.st_size bytes) to fn; a file that
 * shrank or grew since the scan is an error.  RC_OK or RC_IO (message). */
int tree_copy(const struct tree_ent *e, int (*fn)(void *ctx, const void *buf, size_t n),
	      void *ctx);

#endif
