/* fmt.h: blksync's stream formats (SIGS, DELTA, the push/serve hello) and the
 * pieces every blksync file shares: block hashes and image digests, frame
 * encoding with CRC32, a buffered reader that knows its offset for messages,
 * a buffered writer, and the source reader with --rescue.
 * The byte layout is specified in docs/blksync.md; all integers little-endian.
 */
#ifndef RESCUE_BLKSYNC_FMT_H
#define RESCUE_BLKSYNC_FMT_H

#include "lib/bytes.h"
#include "lib/clock.h"
#include "lib/hex.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BS_VERSION 1
#define BS_HDR_LEN 128
#define BS_FRAME_LEN 24
#define BS_DIGEST_LEN 32
#define BS_MIN_BLOCK 4096u
#define BS_MAX_BLOCK (1u << 20)
#define BS_MAX_EXTENT (1u << 20)        /* DATA record payload, uncompressed */
#define BS_MAX_ZERO (1u << 30)          /* ZERO record length */
#define BS_MARK_EVERY (64ull << 20)     /* sync mark interval */
#define BS_MARK_PUSH (4ull << 20)       /* push: a MARK after this many bytes */
#define BS_MARK_SECS 0.5                /* ... or after this long */
#define BS_MAX_HASHES 65536u            /* hashes per HASH frame */
#define BS_MAX_MSG 1024u                /* DONE frame message */
#define BS_TRAILER_LEN 96u
#define BS_CHUNK (4u << 20)             /* read size */

/* header kinds (byte 7 of the magic "BLKSYNC?") */
enum { BS_SIGS = 'S', BS_DELTA = 'D', BS_HELLO = 'H' };
/* hash algorithms */
enum { BS_XXH3 = 1, BS_SHA256 = 2 };
/* header flags */
enum {
	BS_F_FULL = 1,   /* DELTA: every block present, no base (full image) */
	BS_F_BASEID = 2, /* DELTA: base_id in the header is valid */
	BS_F_LIVE = 4,   /* DELTA: made by push for serve (NEED records, no base id) */
	BS_F_DONEID = 8, /* HELLO, SIGS: a resumed push; base_id is the digest of
			  * the done range [0, start), checked by serve */
};
#define BS_GROUP 16u     /* push/serve: blocks per group hash (at most) */
#define BS_MAX_NEED 64u  /* groups asked for by one NEED record */

struct bs_hdr {
	int kind;
	unsigned version;
	unsigned hash_id, hash_len;
	uint32_t flags;
	uint32_t block;
	uint32_t group;     /* SIGS/HELLO: blocks per group hash (push/serve), 0 = none */
	uint64_t seed;
	uint64_t size;      /* SIGS: image size; DELTA: size of the result; HELLO: source size */
	uint64_t base_size; /* DELTA: size of the base it applies to */
	uint64_t start;     /* first byte covered (a resumed push), else 0 */
	uint8_t base_id[BS_DIGEST_LEN];
	uint64_t target_id; /* SIGS from serve: bs_name_id() of its TARGET, else 0 */
};

/* frame tags (4 ASCII bytes) */
#define BS_TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define TAG_HASH BS_TAG('H', 'A', 'S', 'H')
#define TAG_SEND BS_TAG('S', 'E', 'N', 'D')
#define TAG_ACKD BS_TAG('A', 'C', 'K', 'D')
#define TAG_DONE BS_TAG('D', 'O', 'N', 'E')
#define TAG_DATA BS_TAG('D', 'A', 'T', 'A')
#define TAG_ZERO BS_TAG('Z', 'E', 'R', 'O')
#define TAG_MARK BS_TAG('M', 'A', 'R', 'K')
#define TAG_DEND BS_TAG('D', 'E', 'N', 'D')
#define TAG_GRPH BS_TAG('G', 'R', 'P', 'H')
#define TAG_NEED BS_TAG('N', 'E', 'E', 'D')

enum { BS_RAW = 0, BS_DEFLATE = 1 };

struct bs_frame {
	uint32_t tag;
	unsigned codec;   /* DATA: BS_DEFLATE when stored < len (not on the wire) */
	uint64_t off;     /* byte offset (DATA ZERO MARK HASH ACKD), size (SEND, DEND), status (DONE) */
	uint32_t len;     /* uncompressed bytes (DATA ZERO), hash count (HASH, SEND) */
	uint32_t stored;  /* payload bytes that follow */
	uint32_t crc;     /* CRC32 of the first 20 header bytes, then of the
			   * payload (DATA: of the uncompressed bytes) */
};

/* DEND payload */
struct bs_trailer {
	uint8_t base_id[BS_DIGEST_LEN];
	uint8_t result[BS_DIGEST_LEN];
	uint64_t records, data_bytes, zero_bytes, size;
};

/* ---- encoding (fmt.c) ---- */
uint32_t bs_crc(const void *p, size_t n);
void bs_hdr_encode(const struct bs_hdr *h, uint8_t out[BS_HDR_LEN]);
/* Returns NULL or what is wrong (a static string). */
const char *bs_hdr_decode(struct bs_hdr *h, const uint8_t in[BS_HDR_LEN]);
void bs_frame_encode(const struct bs_frame *f, uint8_t out[BS_FRAME_LEN]);
void bs_frame_decode(struct bs_frame *f, const uint8_t in[BS_FRAME_LEN]);
/* The crc field's value for this frame over data (n bytes). */
uint32_t bs_frame_sum(const struct bs_frame *f, const void *data, size_t n);
/* Read the end record (tag, n bytes of payload) at the tail of a regular file
 * without reading the rest: 0 with the payload in out, or -1 (not a regular
 * file, too short, or no valid end record there). */
int bs_peek_end(int fd, const struct bs_hdr *h, uint32_t tag, uint8_t *out, size_t n);
void bs_trailer_encode(const struct bs_trailer *t, uint8_t out[BS_TRAILER_LEN]);
void bs_trailer_decode(struct bs_trailer *t, const uint8_t in[BS_TRAILER_LEN]);
const char *bs_tag_name(uint32_t tag, char buf[8]);

/* ---- hashes (hash.c) ---- */
struct bs_hash {
	unsigned id;
	unsigned len;   /* full width: 16 (xxh3) or 32 (sha256) */
	unsigned wl;    /* bytes kept in SIGS: 8 or 16 (xxh3), 32 (sha256) */
	uint64_t seed;
};
void bs_hash_init(struct bs_hash *h, unsigned id, unsigned wl, uint64_t seed);
/* default bytes per hash in SIGS */
unsigned bs_wire_len(unsigned id);
/* 0, or -1 for an unknown name. */
int bs_hash_parse(const char *name, unsigned *id);
const char *bs_hash_name(unsigned id);
unsigned bs_hash_len(unsigned id);
void bs_block_hash(const struct bs_hash *h, const void *p, size_t n, uint8_t *out);
int bs_is_zero(const void *p, size_t n);
/* Hash of a group of n full-width block hashes; h->wl bytes are kept. */
void bs_group_hash(const struct bs_hash *h, const uint8_t *hashes, size_t n, uint8_t *out);

/* Digest of an image: H(size, start, h_i ...) over its block hashes. */
struct bs_digest {
	struct bs_hash h;
	void *state;
};
void bs_digest_init(struct bs_digest *d, const struct bs_hash *h, uint64_t size, uint64_t start);
void bs_digest_add(struct bs_digest *d, const uint8_t *hash, unsigned n);
void bs_digest_final(struct bs_digest *d, uint8_t out[BS_DIGEST_LEN]);
void bs_digest_free(struct bs_digest *d);
/* The value of the digest so far, without ending it (more may be added). */
void bs_digest_peek(const struct bs_digest *d, uint8_t out[BS_DIGEST_LEN]);
/* A second, independent digest in the same state. */
void bs_digest_copy(struct bs_digest *dst, const struct bs_digest *src);
/* A 64-bit name for a string (serve's TARGET in a checkpoint); never 0. */
uint64_t bs_name_id(const char *s);

/* ---- buffered reader of a stream (stream.c) ---- */
struct bs_rd {
	int fd;
	const char *name;   /* for messages */
	uint8_t *buf;
	size_t cap, pos, len;
	uint64_t off;       /* stream offset of buf[pos] */
	int eof;
	int err;            /* RC_* of the last failure */
	/* called before a read that would block (push: flush and mark) */
	void (*idle)(void *ctx);
	void *idle_ctx;
};
void bs_rd_init(struct bs_rd *r, int fd, const char *name);
void bs_rd_free(struct bs_rd *r);
/* Copy exactly n bytes.  0 ok; 1 clean EOF before the first byte; -1
 * after a message (RC_DATA "cut short at OFF" or RC_IO). */
int bs_rd_exact(struct bs_rd *r, void *out, size_t n, const char *what);
/* Read and check the header of a stream that must be of kind `want`
 * (BS_SIGS or BS_DELTA).  RC_OK, or an RC_* status after a message. */
int bs_rd_header(struct bs_rd *r, struct bs_hdr *h, int want);
/* Take in what has arrived without waiting: 0 (maybe nothing), -1 after a
 * message.  Only when fewer than n bytes are buffered. */
int bs_rd_poll(struct bs_rd *r, size_t n);
/* The next n buffered bytes, not consumed, or NULL when not all there. */
const uint8_t *bs_rd_peek(const struct bs_rd *r, size_t n);
/* Read a frame header (24 bytes); one without payload (stored 0, not DATA)
 * is checked here, the caller checks the others; same returns as bs_rd_exact. */
int bs_rd_frame(struct bs_rd *r, struct bs_frame *f, const char *what);

/* ---- buffered writer (stream.c) ---- */
struct bs_wr {
	int fd;
	const char *name;
	uint8_t *buf;
	size_t cap, len;
	uint64_t total;     /* bytes written (wire bytes) */
	int failed;
};
void bs_wr_init(struct bs_wr *w, int fd, const char *name);
void bs_wr_free(struct bs_wr *w);
/* 0 or -1 after a message (RC_IO). */
int bs_wr_put(struct bs_wr *w, const void *p, size_t n);
int bs_wr_flush(struct bs_wr *w);
/* Set f->crc over the header and sumdata (f->len bytes: DATA's uncompressed
 * bytes) or else the payload, then write header and payload. */
int bs_wr_frame(struct bs_wr *w, struct bs_frame *f, const void *payload, const void *sumdata);

/* ---- reading an image with optional --rescue (src.c) ---- */
struct bs_src {
	int fd;
	const char *name;
	uint64_t size;
	int rescue;           /* zero-fill unreadable blocks instead of failing */
	int direct;           /* opened with O_DIRECT: read whole 4 KiB units */
	uint32_t block;
	uint64_t bad_bytes;   /* zero-filled so far */
	unsigned bad_ranges;
	uint64_t last_bad_end;
};
/* Read n bytes at off (n > 0, within size) into buf (room for n rounded up
 * to 4 KiB, aligned when direct).  0, or an RC_* status after a message
 * naming the offset. */
int bs_src_read(struct bs_src *s, uint8_t *buf, size_t n, uint64_t off);

/* O_DIRECT if asked for and the file system takes it (else 0, with a note). */
int bs_direct_flag(const char *path, int direct);
/* Allocate a buffer aligned for O_DIRECT. */
void *bs_alloc(size_t n);

#endif
