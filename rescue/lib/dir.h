/* dir.h: directories read through file descriptors (openat), never
 * through a symlink, so a name swapped for a link mid-walk is not followed. */
#ifndef RESCUE_DIR_H
#define RESCUE_DIR_H

#include <stddef.h>
#include <sys/stat.h>

/* Open the directory NAME under dfd (O_NOFOLLOW, O_CLOEXEC); -1 with errno,
 * ELOOP/ENOTDIR when NAME is a symlink or not a directory. */
int dir_open(int dfd, const char *name);
/* The names in the directory open as fd, without "." and "..", sorted by
 * strcmp, NULL-terminated; *n of them.  fd is left open (its offset is
 * shared).  NULL with errno and *n = 0 when it cannot be read. */
char **dir_names(int fd, size_t *n);
/* Free what dir_names returned (NULL is fine). */
void dir_names_free(char **v);

/* One entry met by dir_walk. */
struct dir_ent {
	int dfd;            /* the directory that holds it */
	const char *name;   /* its name there */
	const char *rel;    /* its path from the top ("a", "a/b") */
	struct stat st;     /* fstatat(AT_SYMLINK_NOFOLLOW) */
	const char *link;   /* a symlink's target, else NULL */
};

/* fn's answer that skips an entry (a directory is then not entered);
 * RC_OK goes on, any other RC_* stops the walk. */
#define DIR_SKIP (-1)

struct dir_walk {
	const char *top;    /* for messages: "TOP/rel" */
	size_t max_path;    /* longer rel paths: RC_DATA (0: no limit) */
	int max_depth;      /* directories nested deeper: RC_DATA (0: no limit) */
	int (*fn)(const struct dir_walk *w, const struct dir_ent *e);
	void *ctx;
};

/* The one directory walker: every entry under the directory open as fd
 * (not fd itself), depth first, names sorted by strcmp in each directory,
 * never through a symlink (openat + O_NOFOLLOW).  A directory is entered
 * after fn accepted it.  RC_OK, or an RC_* status after a message naming
 * "TOP/rel" (or fn's status). */
int dir_walk(const struct dir_walk *w, int fd);

#endif
