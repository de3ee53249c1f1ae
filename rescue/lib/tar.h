/* tar.h: a POSIX tar (ustar + pax extended headers) writer.
 * Output goes through a write callback so it can be gzip'd and hashed on the
 * way (OCI layers, metasnap archives).  The bytes depend only on the entries:
 * no clock, no PID, no host names, so archives are reproducible.
 * Long names, long link targets, sizes >= 8 GiB, large ids and sub-second
 * times are carried in a pax header named "PaxHeader/<name>" (POSIX.1-2001). */
#ifndef RESCUE_TAR_H
#define RESCUE_TAR_H

#include <stddef.h>
#include <stdint.h>

#define TAR_BLOCK 512

enum {
	TAR_REG = '0', TAR_LNK = '1', TAR_SYM = '2', TAR_CHR = '3',
	TAR_BLK = '4', TAR_DIR = '5', TAR_FIFO = '6',
};

struct tar_entry {
	const char *name;      /* relative path; a directory's '/' is added */
	char type;             /* TAR_* */
	const char *linkname;  /* TAR_LNK, TAR_SYM */
	uint32_t mode;         /* permission bits (07777) */
	uint64_t uid, gid;
	const char *uname, *gname; /* may be NULL */
	int64_t mtime;         /* seconds */
	uint32_t mtime_nsec;   /* kept (pax) when non-zero */
	uint64_t size;         /* TAR_REG only */
	uint32_t devmajor, devminor;
};

/* Returns 0, or -1 with errno set. */
typedef int (*tar_write_fn)(void *ctx, const void *buf, size_t n);

struct tar_writer {
	tar_write_fn write;
	void *ctx;
	uint64_t off;     /* bytes written so far */
	uint64_t pending; /* data bytes the current entry still expects */
};

void tar_writer_init(struct tar_writer *w, tar_write_fn fn, void *ctx);
/* Header (and pax header if needed).  0, -1 (errno) or -2 (bad entry). */
int tar_write_header(struct tar_writer *w, const struct tar_entry *e);
/* Data of the current entry, in as many calls as wanted; the padding to 512 is
 * written when the last of e->size bytes arrives. */
int tar_write_data(struct tar_writer *w, const void *buf, size_t n);
/* Header + all data of a small entry held in memory (size = n). */
int tar_write_mem(struct tar_writer *w, const struct tar_entry *e,
		  const void *data, size_t n);
/* End-of-archive: two zero blocks. */
int tar_finish(struct tar_writer *w);

/* Ready-made callback: ctx is a pointer to an int fd. */
int tar_to_fd(void *ctx, const void *buf, size_t n);

#endif
