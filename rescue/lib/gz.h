/* gz.h: zlib streams over file descriptors.
 * The writer makes a gzip stream whose bytes depend only on the input and the
 * level (mtime 0, no name), as reproducible archives need.  The reader takes
 * gzip (several members too) or, with GZ_AUTO, also uncompressed data, and
 * reports a cut-short or corrupt stream with the file name and offset. */
#ifndef RESCUE_GZ_H
#define RESCUE_GZ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zlib.h>

struct gz_writer {
	z_stream z;
	int fd;
	uint8_t *out;
	uint64_t in_bytes, out_bytes;
};

/* Returns RC_OK or RC_IO. */
int gz_writer_init(struct gz_writer *g, int fd, int level);
/* Returns 0, or -1 with errno set (write error). */
int gz_write(struct gz_writer *g, const void *buf, size_t n);
/* Flush the trailer; returns 0 or -1 (errno).  Frees the writer. */
int gz_writer_finish(struct gz_writer *g);
void gz_writer_free(struct gz_writer *g);

enum { GZ_GZIP = 0, GZ_AUTO = 1 };

struct gz_reader {
	z_stream z;
	int fd;
	const char *name;  /* for messages */
	uint8_t *in;
	int plain;         /* input is not gzip (GZ_AUTO) */
	int in_eof;        /* fd reached EOF */
	int member_done;   /* last member ended cleanly */
	int ended;
	uint64_t in_off;   /* compressed bytes consumed */
	uint64_t out_off;  /* uncompressed bytes produced */
};

int gz_reader_init(struct gz_reader *g, int fd, const char *name, int mode);
/* Bytes read (0 = clean end); -1 after printing a message (RC_DATA for a
 * truncated or corrupt stream, RC_IO for a read error): see err_status(). */
ssize_t gz_read(struct gz_reader *g, void *buf, size_t n);
void gz_reader_free(struct gz_reader *g);

#endif
