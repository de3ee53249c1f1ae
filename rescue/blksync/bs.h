/* bs.h: the engines behind blksync's commands.
 *   sig.c    produce a SIGS stream from an image; read one back; the hash ring
 *            that lets `serve` reuse the hashes it sent
 *   delta.c  write DELTA records (compression, early-out); read and check them
 *   scan.c   the source side: compare SOURCE with SIGS, emit the delta
 *   apply.c  the target side: merge a delta into TARGET, verify both digests
 *   proto.c  push and serve
 */
#ifndef RESCUE_BLKSYNC_BS_H
#define RESCUE_BLKSYNC_BS_H

#include "blksync/fmt.h"
#include "lib/progress.h"

#include <pthread.h>
#include <zlib.h>

/* options shared by the commands */
struct bs_opts {
	uint32_t block;     /* 0 = default / from the stream */
	unsigned hash_id;   /* 0 = default / from the stream */
	int level;          /* zlib level, 0 = store */
	int quiet, json, rescue, force, direct;
	int seed_set;
	int flat;           /* push: one hash per block, no group hashes */
	uint64_t seed;
	const char *resume; /* checkpoint file (push) */
};

/* ---- hash ring (sig.c): hashes produced by the serve reader thread,
 * consumed in order by its apply side ---- */
struct bs_ring {
	uint8_t *h;
	size_t cap;         /* entries */
	unsigned hl;
	uint64_t head, tail; /* block indexes: produced, consumed */
	int done, failed;
	int consumer_done;
	int kick;            /* serve: an ACKD offset waits to be sent */
	uint64_t *req;       /* requested groups (NEED), FIFO */
	size_t req_cap, req_head, req_tail;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};
void bs_ring_init(struct bs_ring *r, size_t cap, unsigned hl, uint64_t first);
void bs_ring_free(struct bs_ring *r);
/* Producer: add one hash (waits while full).  -1 if the consumer failed. */
int bs_ring_push(struct bs_ring *r, const uint8_t *h);
void bs_ring_close(struct bs_ring *r, int failed);
/* Consumer: hash of the next block; -1 if the producer ended or failed. */
int bs_ring_pop(struct bs_ring *r, uint8_t *out);
/* serve: the apply side asks for the hashes of group g, and says it is done */
void bs_ring_request(struct bs_ring *r, uint64_t g, uint32_t n);
void bs_ring_consumer_done(struct bs_ring *r);
/* Producer: push unless full; 1 = full and a request waits (not pushed), -1 failed. */
int bs_ring_push_or_req(struct bs_ring *r, const uint8_t *h);
/* Producer: next request without waiting (0) or none (-1). */
int bs_ring_take_request(struct bs_ring *r, uint64_t *g, uint32_t *n);
/* Producer, after the last hash: wait for a request (0), a kick (1) or the end (-1). */
int bs_ring_wait_request(struct bs_ring *r, uint64_t *g, uint32_t *n);
/* serve's apply side: wake the producer to send an acknowledgement. */
void bs_ring_kick(struct bs_ring *r);
/* Copy the hash of block i if the ring holds it (0), else -1. */
int bs_ring_peek(struct bs_ring *r, uint64_t i, uint8_t *out);

/* ---- SIGS producer ---- */
struct bs_sig_prod {
	struct bs_src src;     /* the image (fd, name, size, block, rescue) */
	struct bs_hash hash;
	uint64_t start;
	struct bs_wr *w;       /* NULL: only compute the identity */
	pthread_mutex_t *wlock; /* serve: shared with ACKD/DONE frames */
	struct bs_ring *ring;  /* serve: keep the hashes for the apply side */
	/* serve: an ACKD offset to send before the next frame (0: none); only
	 * this thread writes while it runs, so the apply side never blocks */
	uint64_t (*ack)(void *ctx);
	void *ack_ctx;
	struct progress *prog;
	int full_width;        /* digest of full-width hashes (a result digest) */
	uint8_t id[BS_DIGEST_LEN]; /* out: identity digest */
	uint64_t blocks;       /* out */
};
/* Header (unless no writer), HASH frames, SEND.  RC_* status. */
int bs_sig_produce(struct bs_sig_prod *p);

/* ---- SIGS reader ---- */
struct bs_sig_rd {
	struct bs_rd rd;
	struct bs_hdr hdr;
	uint64_t first, nblocks; /* block range the stream covers */
	uint64_t next;           /* next block whose hash is delivered */
	uint8_t *frame;
	uint32_t fn, fpos;
	uint64_t frame_at;
	struct bs_digest dg;
	int ended;
	uint8_t id[BS_DIGEST_LEN];
	/* ACKD frames from serve (push) */
	void (*on_ack)(void *ctx, uint64_t off);
	void *ack_ctx;
};
/* Read and check the header (kind S).  RC_* status. */
int bs_sig_rd_open(struct bs_sig_rd *s, int fd, const char *name);
/* After s->hdr is read and checked (here or from a 'blksync serve'): the
 * block range, the frame buffer and the running digest. */
void bs_sig_rd_start(struct bs_sig_rd *s);
/* The hash of block s->next (advances).  RC_* status. */
int bs_sig_rd_next(struct bs_sig_rd *s, const uint8_t **hash);
/* Skip what is left, read SEND and check the identity.  check_eof: nothing may follow. */
int bs_sig_rd_finish(struct bs_sig_rd *s, int check_eof);
/* push: without waiting, take the ACKD frames that have arrived, also
 * those behind frames not read yet (to the callback).  RC_* status. */
int bs_sig_rd_acks(struct bs_sig_rd *s);
/* push with groups: the next GRPH, HASH or SEND frame and its checked payload. */
int bs_sig_rd_pull(struct bs_sig_rd *s, struct bs_frame *f, const uint8_t **payload);
void bs_sig_rd_free(struct bs_sig_rd *s);
/* Add the full-width hashes of the blocks of [0, end) of src to d
 * (a resumed push: the digest of the done range).  RC_* status. */
int bs_sig_range(struct bs_src *src, uint64_t end, const struct bs_hash *h, struct bs_digest *d);
/* A seekable SIGS file: its identity from the SEND frame at the end, without
 * reading the hashes (0), or -1 when it cannot be had that way. */
int bs_sig_peek_id(int fd, const struct bs_hdr *h, uint8_t id[BS_DIGEST_LEN]);
/* Handle a DONE frame from serve: print its message; returns its status. */
int bs_frame_done(struct bs_rd *r, const struct bs_frame *f, const char *peer);

/* ---- DELTA writer ---- */
struct bs_dw {
	struct bs_wr *w;
	int level;
	z_stream z;
	int zinit;
	uint8_t *zbuf;
	size_t zcap;
	uint64_t seen, skip_until, skip, misses; /* incompressible early-out */
	uint64_t records, data_bytes, zero_bytes, stored_bytes, data_records;
};
void bs_dw_init(struct bs_dw *d, struct bs_wr *w, int level);
void bs_dw_free(struct bs_dw *d);
int bs_dw_data(struct bs_dw *d, uint64_t off, const uint8_t *p, uint32_t n);
int bs_dw_zero(struct bs_dw *d, uint64_t off, uint64_t n);
int bs_dw_mark(struct bs_dw *d, uint64_t off);
int bs_dw_need(struct bs_dw *d, uint64_t off, uint32_t groups);
int bs_dw_end(struct bs_dw *d, struct bs_trailer *t);

/* ---- DELTA reader ---- */
struct bs_dr {
	struct bs_rd rd;
	struct bs_hdr hdr;
	uint64_t cursor;         /* records must start at or after this */
	uint64_t rec_at;         /* stream offset of the current record */
	uint8_t *data, *cbuf;
	z_stream z;
	int zinit;
	int ended;
	struct bs_trailer tr;
	uint64_t records, data_bytes, zero_bytes;
};
/* Read and check the header (kind D).  RC_* status. */
int bs_dr_open(struct bs_dr *d, int fd, const char *name);
/* Next record: DATA (data = its bytes), ZERO, MARK or DEND (d->tr filled).
 * RC_* status; a stream cut short is RC_DATA. */
int bs_dr_next(struct bs_dr *d, struct bs_frame *f, const uint8_t **data);
/* After DEND: nothing may follow.  RC_* status. */
int bs_dr_check_eof(struct bs_dr *d);
void bs_dr_free(struct bs_dr *d);

/* ---- the source side ---- */
struct bs_scan {
	struct bs_src src;
	struct bs_hash hash;
	uint32_t block;
	uint64_t start;
	struct bs_sig_rd *sig;     /* NULL: full image */
	struct bs_dw dw;
	int push;               /* mark and flush when the signatures pause */
	/* push: the result digest from block 0, fed as blocks are decided (so
	 * at each MARK it is the digest of the range below it, for a
	 * checkpoint), told to marked() at each MARK; it is the trailer's
	 * result digest */
	struct bs_digest *pre;
	uint64_t pre_blocks;
	void (*marked)(void *ctx, uint64_t off, const struct bs_digest *pre, uint64_t blocks);
	void *marked_ctx;
	uint64_t mark_align;    /* timed MARKs only at multiples of this */
	double mark_t;
	struct progress *prog;
	const char *label;      /* the progress label, before the count */
	char what[64];          /* progress label with the blocks sent */
	/* state */
	int ext_kind;
	uint64_t ext_off, ext_len;
	uint8_t *ext;
	uint64_t pos, last_mark;
	/* results */
	uint64_t compared, changed;
	uint8_t result[BS_DIGEST_LEN], base_id[BS_DIGEST_LEN];
};
/* Emit records and DEND (the header is the caller's).  RC_* status. */
int bs_scan_run(struct bs_scan *s);
/* push against a grouped SIGS stream (serve): NEED records ask for detail. */
int bs_scan_groups(struct bs_scan *s);

/* ---- the target side ---- */
struct bs_ap {
	const struct bs_hdr *hdr;
	int fd;
	const char *name;
	uint64_t tsize;
	int is_blk;
	int write;              /* 0: check only */
	int digests;            /* compute and check base and result digests */
	int fresh;              /* new sparse file: ZERO needs no write */
	struct bs_ring *ring;   /* serve: base hashes from here */
	const struct bs_digest *pre; /* serve, resumed: the result digest of the
				      * done range, continued (else from start) */
	void (*on_mark)(void *ctx, uint64_t off);
	void (*on_need)(void *ctx, uint64_t off, uint32_t groups);
	void *mark_ctx;
	struct progress *prog;
	/* state */
	uint8_t *chunk;
	uint64_t chunk_off, chunk_len;
	uint8_t *zero_hash, *tmp;
	uint64_t blk;
	struct bs_digest bd, rdg, cur;  /* base, result, target as it is */
	int already;            /* out: the target is the result already */
	int partial;            /* out: partly patched; applying gives the result */
	int first_seen, first_in; /* the first DATA record is on the target already */
	uint64_t written, records;
	uint8_t base_id[BS_DIGEST_LEN];
};
/* Run the whole delta from d (header already read).  RC_* status:
 * 5 another base, 1 result digest mismatch, 3 bad delta, 4 I/O. */
int bs_ap_run(struct bs_ap *a, struct bs_dr *d);
/* Check the delta's header against the target (sizes, block device room). */
int bs_ap_check_target(const struct bs_hdr *h, const char *dname, const char *tname,
		    uint64_t tsize, int is_blk);
/* Identity of an image (reads it all); full_width: as a result digest. */
int bs_image_id(int fd, const char *name, uint64_t size, uint32_t block,
	     const struct bs_hash *hash, int full_width, uint8_t id[BS_DIGEST_LEN]);
/* A seekable delta's trailer, read from its end (0), or -1. */
int bs_delta_peek_trailer(int fd, const struct bs_hdr *h, struct bs_trailer *t);

/* ---- commands (proto.c, blksync.c) ---- */
int bs_push(const char *source, char **cmd, const struct bs_opts *o);
int bs_serve(const char *target, const struct bs_opts *o);
void bs_json(int fd, const char *cmd, uint64_t compared, uint64_t sent,
	     uint64_t wire, uint64_t data, double secs, int rc);
uint64_t bs_random_seed(void);

#endif
