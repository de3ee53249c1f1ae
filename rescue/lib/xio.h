/* xio.h: I/O that survives EINTR and short transfers, checked allocation,
 * and file-identity helpers.  x*() functions die (status 4) on failure. */
#ifndef RESCUE_XIO_H
#define RESCUE_XIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Read until n bytes or EOF; returns bytes read, or -1 with errno set. */
ssize_t read_full(int fd, void *buf, size_t n);
/* Write all n bytes; returns 0, or -1 with errno set. */
int write_full(int fd, const void *buf, size_t n);
ssize_t pread_full(int fd, void *buf, size_t n, uint64_t off);
int pwrite_full(int fd, const void *buf, size_t n, uint64_t off);
/* fsync with EINTR retry; EINVAL (not syncable, e.g. a pipe) counts as success. */
int fd_sync(int fd);

/* Open read-only (O_CLOEXEC|O_NOCTTY); returns -1 and prints a message. */
int open_ro(const char *path);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Grow *p (of *cap elements of size sz) to hold at least need elements. */
void xgrow(void **p, size_t *cap, size_t need, size_t sz);
/* A new zeroed element at the end of *p (*n of them, *cap room): grown as
 * xgrow does, *n counted up.  The pointer is good until the next growth. */
void *xappend(void **p, size_t *n, size_t *cap, size_t sz);

/* Read a whole file (at most max bytes) into a malloc'd buffer, NUL-terminated.
 * Returns 0 or an RC_* status after printing a message naming the file. */
int read_file(const char *path, size_t max, char **data, size_t *len);

/* 1 if both stats name the same file (st_dev and st_ino). */
int same_file(const struct stat *a, const struct stat *b);

/* Size of a regular file or block device (ioctl BLKGETSIZE64); -1 on error. */
int fd_size(int fd, uint64_t *size);

#endif
