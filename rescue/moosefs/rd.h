/* rd.h: a bounded big-endian reader over a file (1 MiB window) or a memory
 * buffer, used by the metadata loader and mfsmetadump.  Never exits. */
#ifndef RESCUE_MFS_RD_H
#define RESCUE_MFS_RD_H

#include "lib/bytes.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct mfs_rd {
	const char *name;
	int fd, ioerr;
	uint8_t *buf, *p, *end;
	size_t cap;
	uint64_t base;    /* file offset of buf[0] */
	uint64_t size;    /* file size */
	uint64_t secend;  /* end offset of the current section (UINT64_MAX: none) */
	struct progress *pr;  /* fed at every refill (NULL: none) */
};

void mfs_rd_init_mem(struct mfs_rd *r, const char *name, const uint8_t *data, size_t len);
int mfs_rd_init_fd(struct mfs_rd *r, const char *name, int fd);
void mfs_rd_close(struct mfs_rd *r);
/* mfs_rd_need's slow path: move what is left to the front, read more */
int mfs_rd_fill(struct mfs_rd *r, size_t n);
int mfs_rd_skip(struct mfs_rd *r, uint64_t n);
/* Read a record's big-endian fields in the order fmt lists them, each letter
 * into the next pointer: b uint8_t *, h uint16_t *, w uint32_t *, q uint64_t *;
 * a count after a letter ("w8") fills an array of that many.  The caller has
 * made sure the bytes are there (mfs_rd_need).  As with mfs_rp_args, the
 * compiler cannot check the pointers' types against the letters. */
void mfs_rd_rec(struct mfs_rd *r, const char *fmt, ...);
/* message for a failed mfs_rd_need: RC_IO (read error) or RC_DATA (truncated) */
int mfs_rd_fail(struct mfs_rd *r, const char *what);
struct mfs_header;
/* Read the header at the start (not consumed) and the tail into h (see
 * sections.h); -1 on a read error or a file that shrank, else 0. */
int mfs_rd_header(struct mfs_rd *r, struct mfs_header *h);

static inline uint64_t mfs_rd_off(const struct mfs_rd *r) { return r->base + (uint64_t)(r->p - r->buf); }
/* n bytes at r->p, refilling when they are not all in the buffer: 0, or -1 at
 * the end of the data or on a read error (inline: it runs for every record) */
static inline int mfs_rd_need(struct mfs_rd *r, size_t n)
{
	return (size_t)(r->end - r->p) >= n ? 0 : mfs_rd_fill(r, n);
}
static inline uint64_t mfs_rd_left(const struct mfs_rd *r)
{
	uint64_t o = mfs_rd_off(r);
	uint64_t e = r->secend < r->size ? r->secend : r->size;
	return o < e ? e - o : 0;
}
static inline uint8_t mfs_rd_u8(struct mfs_rd *r) { return *r->p++; }
static inline uint16_t mfs_rd_u16(struct mfs_rd *r)
{
	uint16_t v = get_be16(r->p);
	r->p += 2;
	return v;
}
static inline uint32_t mfs_rd_u32(struct mfs_rd *r)
{
	uint32_t v = get_be32(r->p);
	r->p += 4;
	return v;
}
static inline uint64_t mfs_rd_u64(struct mfs_rd *r)
{
	uint64_t hi = mfs_rd_u32(r);
	return hi << 32 | mfs_rd_u32(r);
}

#endif
