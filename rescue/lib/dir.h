/* dir.h: directories read through file descriptors (openat), never
 * through a symlink, so a name swapped for a link mid-walk is not followed. */
#ifndef RESCUE_DIR_H
#define RESCUE_DIR_H

#include <stddef.h>

/* Open the directory NAME under dfd (O_NOFOLLOW, O_CLOEXEC); -1 with errno,
 * ELOOP/ENOTDIR when NAME is a symlink or not a directory. */
int dir_open(int dfd, const char *name);
/* The names in the directory open as fd, without "." and "..", sorted by
 * strcmp, NULL-terminated; *n of them.  fd is left open (its offset is
 * shared).  NULL with errno and *n = 0 when it cannot be read. */
char **dir_names(int fd, size_t *n);
/* Free what dir_names returned (NULL is fine). */
void dir_names_free(char **v);

#endif
