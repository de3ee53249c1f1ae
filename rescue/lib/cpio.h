/* cpio.h: the "newc" cpio format (magic 070701, and 070702 with a checksum),
 * as the Linux kernel unpacks an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst).
 * The writer's bytes depend only on the entries given (no clock, no host ids).
 * The reader is a pull parser over a read callback that never exits: it
 * reports bad data with warn_off() and returns -1, so it can be fuzzed. */
#ifndef RESCUE_CPIO_H
#define RESCUE_CPIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CPIO_HDR 110
#define CPIO_TRAILER "TRAILER!!!"
/* names longer than this are refused (the kernel's limit is PATH_MAX) */
#define CPIO_NAME_MAX 4096

struct cpio_entry {
	const char *name;   /* relative path, no leading '/' */
	uint32_t ino;
	uint32_t mode;      /* S_IF* type | permission bits */
	uint32_t uid, gid;
	uint32_t nlink;
	uint32_t mtime;
	uint32_t filesize;  /* data bytes (a symlink's target length) */
	uint32_t devmajor, devminor;    /* of the file system: 0 */
	uint32_t rdevmajor, rdevminor;  /* device nodes */
	uint32_t check;     /* 070702 only: sum of the data bytes */
};

typedef int (*cpio_write_fn)(void *ctx, const void *buf, size_t n);

struct cpio_writer {
	cpio_write_fn write;
	void *ctx;
	uint64_t off;
	uint32_t pending;   /* data bytes the current entry still expects */
};

void cpio_writer_init(struct cpio_writer *w, cpio_write_fn fn, void *ctx);
/* 0, -1 (write error, errno) or -2 (bad entry: name too long, data pending;
 * errno EINVAL, nothing written).  Nothing is printed: the caller says which
 * file.  cpio_write_data and cpio_finish return the same. */
int cpio_write_header(struct cpio_writer *w, const struct cpio_entry *e);
/* Data of the current entry; the padding to 4 is added after the last byte. */
int cpio_write_data(struct cpio_writer *w, const void *buf, size_t n);
/* The TRAILER!!! entry, padded to a 512-byte block. */
int cpio_finish(struct cpio_writer *w);

/* Returns bytes read (0 = end of input), or -1 after printing a message. */
typedef ssize_t (*cpio_read_fn)(void *ctx, void *buf, size_t n);

struct cpio_reader {
	cpio_read_fn read;
	void *ctx;
	const char *file;   /* for messages */
	uint64_t off;       /* bytes consumed */
	uint32_t data_left; /* data of the current entry not yet read */
	uint32_t pad_left;
	uint32_t sum;       /* running checksum of the current entry */
	int crc;            /* current entry is 070702 */
	uint32_t check;
	unsigned archives;  /* trailers seen */
	char *name;         /* current entry's name (owned) */
	size_t name_cap;
	int peeked;         /* one byte of lookahead held in peek */
	uint8_t peek;
};

void cpio_reader_init(struct cpio_reader *r, cpio_read_fn fn, void *ctx,
		      const char *file);
/* Next entry: 1 (e filled; e->name valid until the next call), 0 at the end of
 * the input after at least one trailer, or -1 after a message (the status,
 * RC_DATA or RC_IO, is in err_status()).
 * Concatenated archives (as the kernel accepts them) are read as one; the
 * zero padding between them is skipped.  Data not read is skipped. */
int cpio_next(struct cpio_reader *r, struct cpio_entry *e);
/* Read up to n bytes of the current entry's data; returns bytes (0 at its
 * end) or -1 after a message (see err_status()).  At the end of a 070702
 * entry the checksum is compared. */
ssize_t cpio_read_data(struct cpio_reader *r, void *buf, size_t n);
void cpio_reader_free(struct cpio_reader *r);

/* 1 if name is safe to extract: relative, no "." / ".." / empty component,
 * no newline; else 0. */
int cpio_name_safe(const char *name);

#endif
