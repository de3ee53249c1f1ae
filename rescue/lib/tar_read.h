/* tar_read.h: a streaming POSIX tar reader (ustar, pax 'x'/'g' records, GNU
 * 'L'/'K' long names, base-256 numbers), the counterpart of tar.h.
 * Input comes through a read callback, so a gzip stream can feed it.
 *
 *	struct tar_reader r;
 *	tar_reader_init(&r, fn, ctx, "x.tar.gz");
 *	while ((rc = tar_read_next(&r)) == 1) {
 *		... r.h.name, r.h.type, r.h.size ...
 *		while ((n = tar_read_data(&r, buf, sizeof buf)) > 0) ...
 *	}
 *	tar_reader_free(&r);   (rc: 0 at the end, -1 after a message)
 *
 * Every length field is checked; bad data gives a message "NAME@OFFSET: ..."
 * (offset into the uncompressed tar stream) and -1, the status (RC_DATA, or
 * the read callback's) being in err_status().  Nothing exits. */
#ifndef RESCUE_TAR_READ_H
#define RESCUE_TAR_READ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Returns bytes read (0 = end of input), or -1 after printing a message. */
typedef ssize_t (*tar_read_fn)(void *ctx, void *buf, size_t n);


struct tar_hdr {
	char *name;          /* as stored (pax path / GNU long name / prefix+name) */
	char *linkname;      /* "" when none */
	char type;           /* '0'..'7' ('\0' is given as '0') */
	uint32_t mode;       /* 07777 bits */
	uint64_t uid, gid;
	char uname[33], gname[33];
	int64_t mtime;
	uint32_t mtime_nsec;
	uint64_t size;       /* data bytes that follow */
	uint32_t devmajor, devminor;
	uint64_t offset;     /* where this entry's first header starts */
};

struct tar_reader {
	tar_read_fn read;
	void *ctx;
	const char *name;    /* for messages */
	uint64_t off;        /* bytes consumed from the stream */
	uint64_t left;       /* data bytes of the current entry not read yet */
	uint64_t padding;    /* padding after the current entry's data */
	int done;
	struct tar_hdr h;
	char *gpath;         /* pending GNU 'L' long name */
	char *glink;         /* pending GNU 'K' long link name */
};

void tar_reader_init(struct tar_reader *r, tar_read_fn fn, void *ctx,
		     const char *name);
/* 1 for an entry (r->h filled), 0 at the end of the archive, or -1 after a
 * message (status in err_status()); once it has returned 0 or -1, later
 * calls return 0.  Unread data of the previous entry is skipped. */
int tar_read_next(struct tar_reader *r);
/* Data of the current entry: bytes (0 = end of it) or -1 after a message. */
ssize_t tar_read_data(struct tar_reader *r, void *buf, size_t n);
void tar_reader_free(struct tar_reader *r);

/* Ready-made callback: ctx is a struct gz_reader. */
ssize_t tar_from_gz(void *ctx, void *buf, size_t n);

#endif
