/* proto.c: `push` and `serve`, the pipelined hash backup over one byte
 * stream in each direction (docs/blksync.md "Protocol"):
 *
 *   push  -> serve   HELLO header (block size, hash, seed, start)
 *   serve -> push    SIGS header, HASH frames as serve reads TARGET, SEND
 *   push  -> serve   DELTA header, DATA/ZERO/MARK records, DEND
 *   serve -> push    ACKD frames (durable up to an offset) anywhere after
 *                    the SIGS header, then DONE (status and message)
 *
 * serve hashes in a thread that runs ahead of the apply side; the hashes it
 * sent wait in a ring until the delta has gone past their blocks, so the
 * result is verified without reading TARGET twice.  push sends a MARK and
 * flushes whenever the signatures pause, so neither side waits on the other.
 */
#include "blksync/bs.h"
#include "lib/atomic.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/scan.h"
#include "lib/xio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* serve acknowledges (after fdatasync) when ACK_SECS have passed or
 * ACK_BYTES were written since the last acknowledgement, whichever comes
 * first; push checkpoints at each acknowledgement that moves it on */
#define ACK_SECS 1.0
#define ACK_BYTES (64ull << 20)

uint64_t
bs_random_seed(void)
{
	uint64_t s = 0;

	if (getrandom(&s, sizeof s, 0) != (ssize_t)sizeof s) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		s = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 32 ^ (uint64_t)getpid();
	}
	return s;
}

void
bs_json(int fd, const char *cmd, uint64_t compared, uint64_t sent, uint64_t wire,
	uint64_t data, double secs, int rc)
{
	char b[512];
	int n = snprintf(b, sizeof b,
			 "{\"command\":\"%s\",\"blocks_compared\":%llu,\"blocks_sent\":%llu,"
			 "\"bytes_on_wire\":%llu,\"bytes_changed\":%llu,\"seconds\":%.3f,\"status\":%d}\n",
			 cmd, (unsigned long long)compared, (unsigned long long)sent,
			 (unsigned long long)wire, (unsigned long long)data, secs, rc);

	if (n > 0)
		(void)write_full(fd, b, (size_t)n);
}

/* ---- serve ---- */

/* the last message serve printed, to send back to push (err_set_hook);
 * static, since a producer thread left stuck may still print */
static struct {
	pthread_mutex_t mu;
	char last[BS_MAX_MSG + 1];
	size_t len;
} lastmsg = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* keep the last non-empty line of what went to stderr */
static void
lastmsg_hook(const char *b, size_t n)
{
	pthread_mutex_lock(&lastmsg.mu);
	for (size_t i = 0; i < n; i++) {
		if (b[i] == '\n') {
			if (lastmsg.len)
				lastmsg.last[lastmsg.len] = 0;
			lastmsg.len = 0;
		} else if (lastmsg.len < BS_MAX_MSG) {
			if (lastmsg.len == 0)
				lastmsg.last[0] = 0;
			lastmsg.last[lastmsg.len++] = b[i];
			lastmsg.last[lastmsg.len] = 0;
		}
	}
	pthread_mutex_unlock(&lastmsg.mu);
}

struct serve {
	int fd;
	const char *name;
	struct bs_wr w;
	pthread_mutex_t wlock;
	struct bs_sig_prod prod;
	int prod_rc;
	struct bs_ap *ap;          /* &ap_st once applying */
	struct bs_ap ap_st;
	double last_ack;
	uint64_t synced_written;
	struct bs_digest pre;   /* resumed: the done range's result digest */
	int have_pre;
	pthread_mutex_t ack_mu;
	pthread_cond_t done_cv;
	uint64_t ack_off;
	int prod_done;          /* the reader thread returned */
	uint32_t group;         /* blocks per group hash, 0 = flat */
	int stuck;              /* ... or not: the stream is mid-frame */
};

/* On a MARK: every few seconds make what was written durable, and leave
 * the offset for the reader thread to send (this thread must never block on
 * a write: push may be waiting for it to read). */
static void
serve_mark(void *ctx, uint64_t off)
{
	struct serve *s = ctx;
	double t = clock_now();

	if (t - s->last_ack < ACK_SECS && s->ap->written - s->synced_written < ACK_BYTES)
		return;
	if (s->ap->written != s->synced_written) {
		if (fdatasync(s->fd) < 0 && errno != EINVAL)
			return;
		s->synced_written = s->ap->written;
	}
	s->last_ack = t;
	pthread_mutex_lock(&s->ack_mu);
	s->ack_off = off;
	pthread_mutex_unlock(&s->ack_mu);
	/* the reader may have sent its last hash and be waiting */
	bs_ring_kick(s->prod.ring);
}

static uint64_t
take_ack(void *ctx)
{
	struct serve *s = ctx;
	uint64_t off;

	pthread_mutex_lock(&s->ack_mu);
	off = s->ack_off;
	s->ack_off = 0;
	pthread_mutex_unlock(&s->ack_mu);
	return off;
}

static int
wframe(struct serve *s, struct bs_frame *f, const void *payload)
{
	struct bs_sig_prod *p = &s->prod;
	uint64_t ack = take_ack(s);

	if (ack) {
		struct bs_frame a;

		memset(&a, 0, sizeof a);
		a.tag = TAG_ACKD;
		a.off = ack;
		if (bs_wr_frame(p->w, &a, NULL, NULL) < 0)
			return RC_IO;
	}
	if (bs_wr_frame(p->w, f, payload, NULL) < 0 || bs_wr_flush(p->w) < 0)
		return RC_IO;
	return RC_OK;
}

/* An acknowledgement on its own (the reader has nothing else to send). */
static int
send_ack(struct serve *s)
{
	struct bs_frame a;
	int rc = RC_OK;

	memset(&a, 0, sizeof a);
	a.tag = TAG_ACKD;
	if ((a.off = take_ack(s)) == 0)
		return RC_OK;
	pthread_mutex_lock(&s->wlock);
	if (bs_wr_frame(&s->w, &a, NULL, NULL) < 0 || bs_wr_flush(&s->w) < 0)
		rc = RC_IO;
	pthread_mutex_unlock(&s->wlock);
	return rc;
}

/* The block hashes of groups g..g+ng-1, asked for by push (NEED). */
static int
answer(struct serve *s, uint64_t g, uint32_t ng, uint8_t *buf)
{
	struct bs_sig_prod *p = &s->prod;
	uint32_t G = s->group, B = p->src.block;
	uint64_t nblocks = (p->src.size + B - 1) / B, first = g * G;
	uint8_t h[BS_DIGEST_LEN];
	struct bs_frame f;
	uint32_t n;

	if (first >= nblocks || ng > BS_MAX_NEED) {
		warn_rc(RC_DATA, "stdin: hashes asked for a group past the end");
		return RC_DATA;
	}
	n = nblocks - first < (uint64_t)G * ng ? (uint32_t)(nblocks - first) : G * ng;
	for (uint32_t i = 0; i < n; i++) {
		if (bs_ring_peek(p->ring, first + i, h) < 0) {
			warn_rc(RC_DATA, "stdin: hashes asked for out of order (block %llu)",
				(unsigned long long)(first + i));
			return RC_DATA;
		}
		memcpy(buf + (size_t)i * p->hash.wl, h, p->hash.wl);
	}
	memset(&f, 0, sizeof f);
	f.tag = TAG_HASH;
	f.off = first * B;
	f.len = n;
	f.stored = n * p->hash.wl;
	return wframe(s, &f, buf);
}

static int
answer_all(struct serve *s, uint8_t *buf)
{
	uint64_t g;
	uint32_t n;
	int rc;

	while (bs_ring_take_request(s->prod.ring, &g, &n) == 0)
		if ((rc = answer(s, g, n, buf)))
			return rc;
	return RC_OK;
}

/* serve's reader with group hashes: hash TARGET, keep each block's hash in
 * the ring, send one hash per group, answer NEED requests in between. */
static int
serve_produce(struct serve *s)
{
	struct bs_sig_prod *p = &s->prod;
	uint32_t B = p->src.block, G = s->group;
	unsigned hl = p->hash.len, wl = p->hash.wl;
	uint64_t gbytes = (uint64_t)G * B, groups = 0;
	uint8_t *buf = bs_alloc(BS_CHUNK), *full = xmalloc((BS_CHUNK / B) * hl);
	uint8_t *gh = xmalloc((BS_CHUNK / gbytes + 1) * wl), *det = xmalloc(BS_MAX_NEED * G * wl);
	struct bs_digest dg;
	struct bs_frame f;
	uint8_t id[BS_DIGEST_LEN];
	uint64_t g;
	uint32_t ng;
	int rc = RC_OK, w;

	bs_digest_init(&dg, &p->hash, p->src.size, p->start);
	for (uint64_t off = p->start; off < p->src.size && rc == RC_OK; off += BS_CHUNK) {
		size_t n = p->src.size - off < BS_CHUNK ? (size_t)(p->src.size - off) : BS_CHUNK;
		uint32_t k = 0, ng = 0;

		if ((rc = bs_src_read(&p->src, buf, n, off)))
			break;
		for (size_t o = 0; o < n && rc == RC_OK; o += B, k++) {
			int x;

			bs_block_hash(&p->hash, buf + o, n - o < B ? n - o : B, full + (size_t)k * hl);
			while ((x = bs_ring_push_or_req(p->ring, full + (size_t)k * hl)) == 1)
				if ((rc = answer_all(s, det)))
					break;
			if (x < 0 && rc == RC_OK)
				rc = RC_IO;
		}
		for (size_t o = 0; o < n && rc == RC_OK; o += gbytes, ng++) {
			size_t nb = ((n - o < gbytes ? n - o : gbytes) + B - 1) / B;

			bs_group_hash(&p->hash, full + (o / B) * hl, nb, gh + (size_t)ng * wl);
			bs_digest_add(&dg, gh + (size_t)ng * wl, wl);
		}
		if (rc == RC_OK)
			rc = answer_all(s, det);
		if (rc == RC_OK) {
			memset(&f, 0, sizeof f);
			f.tag = TAG_GRPH;
			f.off = off;
			f.len = ng;
			f.stored = ng * wl;
			rc = wframe(s, &f, gh);
			groups += ng;
		}
	}
	if (rc == RC_OK) {
		bs_digest_final(&dg, id);
		memset(&f, 0, sizeof f);
		f.tag = TAG_SEND;
		f.off = p->src.size;
		f.len = (uint32_t)groups;
		f.stored = BS_DIGEST_LEN;
		rc = wframe(s, &f, id);
	}
	while (rc == RC_OK && (w = bs_ring_wait_request(p->ring, &g, &ng)) >= 0)
		rc = w ? send_ack(s) : answer(s, g, ng, det);
	p->blocks = groups;
	bs_ring_close(p->ring, rc != RC_OK);
	bs_digest_free(&dg);
	free(buf);
	free(full);
	free(gh);
	free(det);
	return rc;
}

static void
serve_need(void *ctx, uint64_t off, uint32_t groups)
{
	struct serve *s = ctx;

	bs_ring_request(s->prod.ring, off / ((uint64_t)s->group * s->prod.src.block), groups);
}

static void *
prod_thread(void *arg)
{
	struct serve *s = arg;

	if (s->group) {
		s->prod_rc = serve_produce(s);
	} else {
		uint64_t g;
		uint32_t n;
		int x;

		/* after the SEND, stay to send the acknowledgements */
		s->prod_rc = bs_sig_produce(&s->prod);
		while (s->prod_rc == RC_OK && (x = bs_ring_wait_request(s->prod.ring, &g, &n)) >= 0) {
			s->prod_rc = x ? send_ack(s) : RC_DATA;
			if (!x)
				warn_rc(RC_DATA, "stdin: hashes asked for without group hashes");
		}
		if (s->prod_rc)
			bs_ring_close(s->prod.ring, 1);
	}
	pthread_mutex_lock(&s->ack_mu);
	s->prod_done = 1;
	pthread_cond_broadcast(&s->done_cv);
	pthread_mutex_unlock(&s->ack_mu);
	return NULL;
}

static int
send_frame(struct serve *s, struct bs_frame *f, const void *payload)
{
	int rc;

	pthread_mutex_lock(&s->wlock);
	rc = bs_wr_frame(&s->w, f, payload, NULL);
	if (rc == 0)
		rc = bs_wr_flush(&s->w);
	pthread_mutex_unlock(&s->wlock);
	return rc;
}

static int
read_hello(struct bs_rd *in, struct bs_hdr *h)
{
	uint8_t b[BS_HDR_LEN];
	const char *bad;
	int rc = bs_rd_exact(in, b, sizeof b, "hello");

	if (rc == 1) {
		warn_rc(RC_DATA, "stdin: no hello from push (is the other end 'blksync push'?)");
		return RC_DATA;
	}
	if (rc)
		return in->err;
	if ((bad = bs_hdr_decode(h, b)) || h->kind != BS_HELLO) {
		warn_off(RC_DATA, "stdin", 0, "%s", bad ? bad : "not a push hello");
		return RC_DATA;
	}
	return RC_OK;
}

/* A resumed push: the target's done range [0, start) must still be what
 * push's checkpoint says (its digest).  *start: hello's start when it is,
 * with s->pre holding the digest to continue; 0 (start over) when not. */
static int
serve_done_range(struct serve *s, const struct bs_hdr *hello, uint64_t tsize,
		 const struct bs_opts *o, uint64_t *start)
{
	struct bs_src src;
	struct bs_hash hs;

	*start = 0;
	if (!hello->start)
		return RC_OK;
	if (!(hello->flags & BS_F_DONEID)) {
		warn_rc(RC_REFUSED, "stdin: a resumed push without a digest of the done range (an older blksync?); not resumed");
		return RC_REFUSED;
	}
	bs_hash_init(&hs, hello->hash_id, hello->hash_len, hello->seed);
	bs_digest_init(&s->pre, &hs, hello->size, 0);
	s->have_pre = 1;
	if (tsize >= hello->start) {
		uint8_t d[BS_DIGEST_LEN];
		int rc;

		memset(&src, 0, sizeof src);
		src.fd = s->fd;
		src.name = s->name;
		src.size = tsize;
		src.block = hello->block;
		src.rescue = o->rescue;
		if ((rc = bs_sig_range(&src, hello->start, &hs, &s->pre)))
			return rc;
		bs_digest_peek(&s->pre, d);
		if (memcmp(d, hello->base_id, BS_DIGEST_LEN) == 0) {
			*start = hello->start;
			return RC_OK;
		}
	}
	note("%s: differs from the checkpoint below %llu (another target, or changed since); starting over from 0",
	     s->name, (unsigned long long)hello->start);
	bs_digest_free(&s->pre);
	s->have_pre = 0;
	return RC_OK;
}

/* the push's hello, checked against the target; *start is where to resume */
static int
serve_hello(struct serve *s, const struct bs_opts *o, struct bs_hdr *hello, struct stat *st, uint64_t *tsize,
	    uint64_t *start)
{
	struct bs_rd in;
	int rc;

	bs_rd_init(&in, 0, "stdin");
	rc = read_hello(&in, hello);
	bs_rd_free(&in);
	if (rc)
		return rc;
	if (fstat(s->fd, st) < 0 || fd_size(s->fd, tsize) < 0) {
		warn_sys(RC_IO, "%s", s->name);
		return RC_IO;
	}
	if (hello->group && hello->start % ((uint64_t)hello->group * hello->block)) {
		warn_rc(RC_DATA, "stdin: resume offset %llu is not on a group boundary",
			(unsigned long long)hello->start);
		return RC_DATA;
	}
	return serve_done_range(s, hello, *tsize, o, start);
}

/* the header of the signature stream that answers the hello */
static int
send_sigs_hdr(struct serve *s, const struct bs_hdr *hello, uint64_t tsize, uint64_t start)
{
	struct bs_hdr sh;
	uint8_t hb[BS_HDR_LEN];

	memset(&sh, 0, sizeof sh);
	sh.kind = BS_SIGS;
	sh.version = BS_VERSION;
	sh.hash_id = hello->hash_id;
	sh.hash_len = hello->hash_len;
	sh.block = hello->block;
	sh.seed = hello->seed;
	sh.size = tsize;
	sh.start = start;
	if (start) {
		sh.flags = BS_F_DONEID;
		memcpy(sh.base_id, hello->base_id, BS_DIGEST_LEN);
	}
	sh.target_id = bs_name_id(s->name);
	sh.group = hello->group;
	s->group = hello->group;
	bs_hdr_encode(&sh, hb);
	if (bs_wr_put(&s->w, hb, sizeof hb) < 0 || bs_wr_flush(&s->w) < 0)
		return RC_IO;
	return RC_OK;
}

/* the thread that reads the target and sends its signatures */
static int
start_producer(struct serve *s, const struct bs_opts *o, const struct bs_hdr *hello, uint64_t tsize,
	       uint64_t start, struct bs_ring *ring, pthread_t *th)
{
	bs_ring_init(ring, (512u << 20) / hello->block, bs_hash_len(hello->hash_id), start / hello->block);
	memset(&s->prod, 0, sizeof s->prod);
	s->prod.src.fd = s->fd;
	s->prod.src.name = s->name;
	s->prod.src.size = tsize;
	s->prod.src.block = hello->block;
	s->prod.src.rescue = o->rescue;
	bs_hash_init(&s->prod.hash, hello->hash_id, hello->hash_len, hello->seed);
	s->prod.start = start;
	s->prod.w = &s->w;
	s->prod.wlock = &s->wlock;
	s->prod.ring = ring;
	s->prod.ack = take_ack;
	s->prod.ack_ctx = s;
	if (pthread_create(th, NULL, prod_thread, s) != 0) {
		warn_rc(RC_IO, "cannot start a thread");
		bs_ring_free(ring);
		return RC_IO;
	}
	return RC_OK;
}

/* read the delta from stdin and apply it to the target */
static int
serve_apply(struct serve *s, const struct bs_hdr *hello, uint64_t tsize, uint64_t start, const struct stat *st,
	    struct bs_ring *ring, struct progress *pg)
{
	struct bs_ap *a = &s->ap_st;
	struct bs_dr d;
	int rc = bs_dr_open(&d, 0, "stdin");

	if (rc == RC_OK && (d.hdr.hash_id != hello->hash_id || d.hdr.block != hello->block ||
			    d.hdr.seed != hello->seed || d.hdr.start != start ||
			    (d.hdr.flags & BS_F_FULL) || !(d.hdr.flags & BS_F_LIVE) != !hello->group)) {
		warn_off(RC_DATA, "stdin", 0, "delta header does not match the hello");
		rc = RC_DATA;
	}
	if (rc == RC_OK)
		rc = bs_ap_check_target(&d.hdr, "stdin", s->name, tsize, S_ISBLK(st->st_mode));
	if (rc == RC_OK) {
		memset(a, 0, sizeof *a);
		a->fd = s->fd;
		a->name = s->name;
		a->tsize = tsize;
		a->is_blk = S_ISBLK(st->st_mode);
		a->write = 1;
		a->digests = 1;
		a->ring = ring;
		a->pre = s->have_pre ? &s->pre : NULL;
		a->on_mark = serve_mark;
		a->on_need = serve_need;
		a->mark_ctx = s;
		a->prog = pg;
		s->ap = a;
		s->last_ack = clock_now();
		rc = bs_ap_run(a, &d);
	}
	bs_dr_free(&d);
	return rc;
}

/* After a failure the reader may be blocked writing to a push that stopped
 * reading; give it a moment, then leave it (we are exiting): s->stuck. */
static void
wait_producer(struct serve *s)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&s->ack_mu);
	while (!s->prod_done && pthread_cond_timedwait(&s->done_cv, &s->ack_mu, &until) == 0)
		;
	s->stuck = !s->prod_done;
	pthread_mutex_unlock(&s->ack_mu);
}

static int
serve_run(struct serve *s, const struct bs_opts *o, struct progress *pg)
{
	struct bs_hdr hello;
	struct bs_ring ring;
	struct stat st;
	uint64_t tsize, start;
	pthread_t th;
	int rc;

	if ((rc = serve_hello(s, o, &hello, &st, &tsize, &start)) || (rc = send_sigs_hdr(s, &hello, tsize, start)))
		return rc;
	if ((rc = start_producer(s, o, &hello, tsize, start, &ring, &th)))
		return rc;
	rc = serve_apply(s, &hello, tsize, start, &st, &ring, pg);
	if (rc != RC_OK)
		bs_ring_close(&ring, 1);
	else
		bs_ring_consumer_done(&ring);
	if (rc != RC_OK)
		wait_producer(s);
	if (s->stuck)
		return rc;
	pthread_join(th, NULL);
	bs_ring_free(&ring);
	if (rc == RC_OK && s->prod_rc)
		rc = s->prod_rc;
	return rc;
}

int
bs_serve(const char *target, const struct bs_opts *o)
{
	struct serve s;
	struct bs_frame f;
	struct progress pg;
	char last[BS_MAX_MSG + 1];
	int rc;

	signal(SIGPIPE, SIG_IGN);
	memset(&s, 0, sizeof s);
	s.name = target;
	pthread_mutex_init(&s.wlock, NULL);
	pthread_mutex_init(&s.ack_mu, NULL);
	pthread_cond_init(&s.done_cv, NULL);
	bs_wr_init(&s.w, 1, "stdout");
	lastmsg.last[0] = 0;
	lastmsg.len = 0;
	err_set_hook(lastmsg_hook);
	progress_init(&pg, "serve", "B", 0, 1);
	s.fd = open(target, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (s.fd < 0) {
		warn_sys(RC_IO, "%s", target);
		rc = RC_IO;
	} else {
		rc = serve_run(&s, o, &pg);
	}
	err_set_hook(NULL);
	pthread_mutex_lock(&lastmsg.mu);
	memcpy(last, lastmsg.last, sizeof last);
	pthread_mutex_unlock(&lastmsg.mu);
	memset(&f, 0, sizeof f);
	f.tag = TAG_DONE;
	f.off = (uint64_t)rc;
	if (rc)
		f.stored = (uint32_t)strlen(last);
	if (!s.stuck)
		(void)send_frame(&s, &f, last);
	if (rc == RC_OK && o->json)
		bs_json(2, "serve", s.ap ? s.prod.blocks : 0, s.ap ? s.ap->records : 0,
			0, s.ap ? s.ap->written : 0, progress_elapsed(&pg), rc);
	if (s.fd >= 0)
		close(s.fd);
	if (s.have_pre)
		bs_digest_free(&s.pre);
	if (!s.stuck)
		bs_wr_free(&s.w);
	return rc;
}

/* ---- push ---- */

#define CK_VERSION 2
#define CK_MARKS 64

/* A MARK push sent, with the digest of the source below it: an ACKD for
 * it (or past it) makes it the checkpoint. */
struct ck_mark {
	uint64_t off;
	uint8_t dg[BS_DIGEST_LEN];
};

struct push {
	const char *source;
	const char *ckpt;
	uint64_t size;
	uint32_t block;
	unsigned hash_id;
	uint64_t align;         /* a checkpoint is on a group boundary */
	uint64_t seed;
	uint64_t start;         /* resumed at (0: from the beginning) */
	uint8_t want[BS_DIGEST_LEN];    /* the checkpoint's digest of [0, start) */
	uint64_t target_id;     /* serve's bs_name_id(TARGET) */
	struct bs_digest pre;   /* the result digest from block 0 */
	struct ck_mark marks[CK_MARKS];
	int nmarks;
	uint64_t done, written_done;    /* acknowledged; in the file */
	uint8_t done_dg[BS_DIGEST_LEN];
	int write_failed;
};

static void
write_ckpt(struct push *p)
{
	char b[8192], x[65];
	int n;

	if (!p->ckpt || p->done <= p->written_done)
		return;
	n = snprintf(b, sizeof b,
		     "# blksync push checkpoint: the target is in sync with the source below 'done'\n"
		     "blksync-checkpoint %d\nsource %s\nsize %llu\ntarget %016llx\nblock %u\n"
		     "hash %s\nseed %llu\ndone %llu\ndigest %s\n",
		     CK_VERSION, p->source, (unsigned long long)p->size,
		     (unsigned long long)p->target_id, p->block, bs_hash_name(p->hash_id),
		     (unsigned long long)p->seed, (unsigned long long)p->done,
		     hex_encode(p->done_dg, BS_DIGEST_LEN, x));
	if (n <= 0 || (size_t)n + 16 > sizeof b)
		return;
	/* a torn or edited file is told apart from a checkpoint */
	n += snprintf(b + n, sizeof b - (size_t)n, "sum %08x\n", (unsigned)bs_crc(b, (size_t)n));
	if (atomic_write_file(p->ckpt, b, (size_t)n, ATOMIC_OVERWRITE, 0644) == RC_OK)
		p->written_done = p->done;
	else if (!p->write_failed++)
		note("%s: cannot write the checkpoint; going on without", p->ckpt);
}

/* scan: a MARK went out; remember the digest below it */
static void
on_mark(void *ctx, uint64_t off, const struct bs_digest *pre, uint64_t blocks)
{
	struct push *p = ctx;
	struct ck_mark *m;

	if (!p->ckpt || off != blocks * p->block || off % p->align || off >= p->size ||
	    (p->nmarks && off <= p->marks[p->nmarks - 1].off))
		return;
	/* full: the newest slot moves on, the older ones still match acks */
	m = &p->marks[p->nmarks < CK_MARKS ? p->nmarks++ : CK_MARKS - 1];
	m->off = off;
	bs_digest_peek(pre, m->dg);
}

/* serve made everything below off durable: the newest MARK at or below it
 * is the checkpoint (serve acknowledges every ACK_SECS or ACK_BYTES). */
static void
on_ack(void *ctx, uint64_t off)
{
	struct push *p = ctx;
	int k = -1;

	while (k + 1 < p->nmarks && p->marks[k + 1].off <= off)
		k++;
	if (k < 0)
		return;
	p->done = p->marks[k].off;
	memcpy(p->done_dg, p->marks[k].dg, BS_DIGEST_LEN);
	p->nmarks -= k + 1;
	memmove(p->marks, p->marks + k + 1, (size_t)p->nmarks * sizeof *p->marks);
	write_ckpt(p);
}

/* Start from the beginning: the checkpoint does not hold. */
static void
start_over(struct push *p, const char *why)
{
	struct bs_hash hs;

	note("%s: %s; starting over from 0", p->ckpt, why);
	(void)unlink(p->ckpt);
	p->start = 0;
	bs_digest_free(&p->pre);
	bs_hash_init(&hs, p->hash_id, bs_wire_len(p->hash_id), p->seed);
	bs_digest_init(&p->pre, &hs, p->size, 0);
}

/* The fields of a version 2 checkpoint (text after the sum is checked). */
static int
parse_ckpt(struct push *p, const char *t, char *src, size_t srcn, unsigned long long *size,
	   unsigned *block, char *hash, unsigned long long *done)
{
	char dg[BS_DIGEST_LEN * 2 + 2];
	struct scan s = { t, 0 };

	scan_lit(&s, "source ");
	scan_until(&s, '\n', src, srcn);
	scan_lit(&s, "\nsize ");
	*size = scan_num(&s, 10, 20, UINT64_MAX);
	scan_lit(&s, "\ntarget ");
	p->target_id = scan_num(&s, 16, 16, UINT64_MAX);
	scan_lit(&s, "\nblock ");
	*block = (unsigned)scan_num(&s, 10, 10, UINT_MAX);
	scan_lit(&s, "\nhash ");
	scan_until(&s, '\n', hash, 16);
	scan_lit(&s, "\nseed ");
	p->seed = scan_num(&s, 10, 20, UINT64_MAX);
	scan_lit(&s, "\ndone ");
	*done = scan_num(&s, 10, 20, UINT64_MAX);
	scan_lit(&s, "\ndigest ");
	scan_until(&s, '\n', dg, sizeof dg);
	scan_lit(&s, "\n");
	if (s.bad || strlen(dg) != 2 * BS_DIGEST_LEN)
		return -1;
	for (int i = 0; i < BS_DIGEST_LEN; i++) {
		int a = hex_digit(dg[2 * i], 0), b = hex_digit(dg[2 * i + 1], 0);

		if (a < 0 || b < 0)
			return -1;
		p->want[i] = (uint8_t)(a << 4 | b);
	}
	return 0;
}

/* "blksync-checkpoint N\n": N, or -1 */
static int
ckpt_version(const char *t)
{
	struct scan s = { t, 0 };
	int v;

	scan_lit(&s, "blksync-checkpoint ");
	v = (int)scan_num(&s, 10, 9, INT_MAX);
	scan_lit(&s, "\n");
	return s.bad ? -1 : v;
}

/* "\nsum XXXXXXXX\n": the CRC-32, or -1 */
static long long
ckpt_sum(const char *t)
{
	struct scan s = { t, 0 };
	long long v;

	scan_lit(&s, "\nsum ");
	v = (long long)scan_num(&s, 16, 8, UINT32_MAX);
	scan_lit(&s, "\n");
	return s.bad ? -1 : v;
}

/* Read a checkpoint: p->start stays 0 when there is none, or when it is
 * damaged or older (with a message).  RC_REFUSED for a file that is not a
 * checkpoint or one made for another sync. */
static int
read_ckpt(struct push *p)
{
	static const char head[] = "# blksync push checkpoint";
	char *data, *t, *sum, src[4096], hash[16];
	unsigned long long size, done;
	unsigned block;
	long long crc;
	size_t len;
	int rc, ver;

	if (access(p->ckpt, F_OK) != 0)
		return RC_OK;
	if ((rc = read_file(p->ckpt, 65536, &data, &len)))
		return rc;
	t = memchr(data, '\n', len);
	if (len < sizeof head || memcmp(data, head, sizeof head - 1) || !t ||
	    (ver = ckpt_version(t + 1)) < 0 || memchr(data, 0, len)) {
		free(data);
		warn_rc(RC_REFUSED, "%s: not a blksync checkpoint; not used or replaced (give another file, or remove it)",
			p->ckpt);
		return RC_REFUSED;
	}
	if (ver > CK_VERSION) {
		free(data);
		warn_rc(RC_REFUSED, "%s: a checkpoint of a newer blksync (version %d)", p->ckpt, ver);
		return RC_REFUSED;
	}
	t = strchr(t + 1, '\n');
	sum = strstr(data, "\nsum ");
	if (ver < CK_VERSION) {
		start_over(p, "an older checkpoint, without a digest of the done range");
	} else if (!t || !sum || (crc = ckpt_sum(sum)) < 0 ||
		   crc != bs_crc(data, (size_t)(sum + 1 - data)) ||
		   strlen(sum) != 14 ||
		   parse_ckpt(p, t + 1, src, sizeof src, &size, &block, hash, &done) < 0) {
		start_over(p, "a damaged checkpoint (cut short or changed)");
	} else if (size != p->size || block != p->block || strcmp(hash, bs_hash_name(p->hash_id)) ||
		   strcmp(src, p->source)) {
		warn_rc(RC_REFUSED, "%s: checkpoint is for another sync (%s, %llu bytes, block %u, %s)",
			p->ckpt, src, size, block, hash);
		free(data);
		return RC_REFUSED;
	} else if (done == 0 || done % p->align || done >= size) {
		start_over(p, "a damaged checkpoint (bad 'done')");
	} else {
		p->start = done;
	}
	free(data);
	return RC_OK;
}

/* Resuming: the source below the checkpoint must still hash to its digest. */
static int
check_source_range(struct push *p, struct bs_src *src, const struct bs_hash *hs)
{
	uint8_t d[BS_DIGEST_LEN];
	int rc;

	if (!p->start)
		return RC_OK;
	if ((rc = bs_sig_range(src, p->start, hs, &p->pre)))
		return rc;
	bs_digest_peek(&p->pre, d);
	if (memcmp(d, p->want, BS_DIGEST_LEN) != 0) {
		char why[128];

		snprintf(why, sizeof why, "the source differs from the checkpoint below %llu",
			 (unsigned long long)p->start);
		start_over(p, why);
	}
	return RC_OK;
}

static pid_t
spawn(char **cmd, int *to, int *from)
{
	int a[2], b[2];
	pid_t pid;

	if (pipe2(a, O_CLOEXEC) < 0 || pipe2(b, O_CLOEXEC) < 0) {
		warn_sys(RC_IO, "pipe");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		warn_sys(RC_IO, "fork");
		return -1;
	}
	if (pid == 0) {
		dup2(a[0], 0);
		dup2(b[1], 1);
		execvp(cmd[0], cmd);
		warn_sys(RC_IO, "cannot run '%s'", cmd[0]);
		_exit(RC_IO);
	}
	close(a[0]);
	close(b[1]);
	*to = a[1];
	*from = b[0];
	return pid;
}

/* The first thing serve sends: its SIGS header, or DONE with an error. */
static int
open_remote(struct bs_sig_rd *sr, int fd, const char *peer)
{
	uint8_t b[BS_HDR_LEN];
	struct bs_frame f;
	const char *bad;
	int rc;

	memset(sr, 0, sizeof *sr);
	bs_rd_init(&sr->rd, fd, peer);
	rc = bs_rd_exact(&sr->rd, b, BS_FRAME_LEN, "SIGS header");
	if (rc == 0 && get_le32(b) == TAG_DONE) {
		bs_frame_decode(&f, b);
		rc = bs_frame_done(&sr->rd, &f, peer);
		return rc ? rc : RC_DATA;
	}
	if (rc == 0)
		rc = bs_rd_exact(&sr->rd, b + BS_FRAME_LEN, BS_HDR_LEN - BS_FRAME_LEN, "SIGS header");
	if (rc == 1 || (rc == 0 && (bad = bs_hdr_decode(&sr->hdr, b)) != NULL) ||
	    (rc == 0 && sr->hdr.kind != BS_SIGS)) {
		warn_rc(RC_IO, "%s: no answer from 'blksync serve' (connection closed or another program)",
			peer);
		return RC_IO;
	}
	if (rc)
		return sr->rd.err;
	bs_sig_rd_start(sr);
	return RC_OK;
}

/* serve's answer to a resumed HELLO: it checked the target's done range
 * (start kept) or found it differs (start 0: start over). */
static int
resume_answer(struct push *p, const struct bs_sig_rd *sr, const char *peer)
{
	if (!p->start)
		return RC_OK;
	if (sr->hdr.target_id != p->target_id) {
		warn_rc(RC_REFUSED, "%s: checkpoint is for another target (not the TARGET of this 'blksync serve')",
			p->ckpt);
		return RC_REFUSED;
	}
	if (sr->hdr.start == 0) {
		char why[128];

		snprintf(why, sizeof why, "the target differs from the checkpoint below %llu",
			 (unsigned long long)p->start);
		start_over(p, why);
		return RC_OK;
	}
	if (!(sr->hdr.flags & BS_F_DONEID) || memcmp(sr->hdr.base_id, p->want, BS_DIGEST_LEN) != 0) {
		warn_rc(RC_DATA, "%s: answered with other parameters than asked for", peer);
		return RC_DATA;
	}
	return RC_OK;
}

static int
push_run(struct push *p, struct bs_src *src, int from, const char *peer, const struct bs_opts *o,
	 struct bs_scan *sc, struct bs_wr *w, struct bs_sig_rd *sr, struct progress *pg)
{
	struct bs_hdr h;
	struct bs_frame f;
	uint8_t hb[BS_HDR_LEN];
	int rc;

	memset(&h, 0, sizeof h);
	h.kind = BS_HELLO;
	h.version = BS_VERSION;
	h.hash_id = p->hash_id;
	h.hash_len = bs_wire_len(p->hash_id);
	h.block = p->block;
	h.seed = p->seed;
	h.size = p->size;
	h.group = (uint32_t)(p->align / p->block);
	if (o->flat)
		h.group = 0;
	h.start = p->start;
	if (p->start) {
		/* serve checks its done range against this before anything */
		h.flags = BS_F_DONEID;
		memcpy(h.base_id, p->want, BS_DIGEST_LEN);
	}
	bs_hdr_encode(&h, hb);
	if (bs_wr_put(w, hb, sizeof hb) < 0 || bs_wr_flush(w) < 0) {
		/* serve may have failed and gone before reading: its DONE says why */
		rc = open_remote(sr, from, peer);
		return rc ? rc : RC_IO;
	}
	if ((rc = open_remote(sr, from, peer)))
		return rc;
	if (sr->hdr.block != h.block || sr->hdr.hash_id != h.hash_id || sr->hdr.group != h.group ||
	    sr->hdr.seed != h.seed || (sr->hdr.start != h.start && sr->hdr.start != 0)) {
		warn_rc(RC_DATA, "%s: answered with other parameters than asked for", peer);
		return RC_DATA;
	}
	if ((rc = resume_answer(p, sr, peer)))
		return rc;
	if (p->start && !o->quiet)
		note("%s: resuming at %llu (the done range checked on both sides)", p->ckpt,
		     (unsigned long long)p->start);
	p->target_id = sr->hdr.target_id;
	sr->on_ack = on_ack;
	sr->ack_ctx = p;
	h.kind = BS_DELTA;
	h.size = p->size;
	h.base_size = sr->hdr.size;
	h.flags = h.group ? BS_F_LIVE : 0;
	h.group = 0;
	h.start = p->start;
	memset(h.base_id, 0, sizeof h.base_id);
	bs_hdr_encode(&h, hb);
	if (bs_wr_put(w, hb, sizeof hb) < 0)
		return RC_IO;
	memset(sc, 0, sizeof *sc);
	sc->src = *src;
	bs_hash_init(&sc->hash, h.hash_id, h.hash_len, h.seed);
	sc->block = h.block;
	sc->start = p->start;
	sc->sig = sr;
	sc->push = 1;
	sc->prog = pg;
	sc->pre = &p->pre;
	sc->pre_blocks = p->start / p->block;
	sc->marked = on_mark;
	sc->marked_ctx = p;
	sc->mark_align = p->align;
	bs_dw_init(&sc->dw, w, o->level);
	rc = sr->hdr.group ? bs_scan_groups(sc) : bs_scan_run(sc);
	*src = sc->src;
	bs_dw_free(&sc->dw);
	if (rc)
		return rc;
	/* wait for the verdict */
	for (;;) {
		rc = bs_rd_frame(&sr->rd, &f, "result");
		if (rc == 1) {
			warn_rc(RC_IO, "%s: connection closed before the result", peer);
			return RC_IO;
		}
		if (rc)
			return sr->rd.err;
		if (f.tag == TAG_ACKD && f.stored == 0) {
			on_ack(p, f.off);
			continue;
		}
		if (f.tag == TAG_DONE)
			return bs_frame_done(&sr->rd, &f, peer);
		warn_off(RC_DATA, peer, sr->rd.off, "unexpected frame instead of the result");
		return RC_DATA;
	}
}

int
bs_push(const char *source, char **cmd, const struct bs_opts *o)
{
	struct push p;
	struct bs_src src;
	struct bs_scan sc;
	struct bs_wr w;
	struct bs_sig_rd sr;
	struct progress pg;
	struct bs_hash hs;
	char peer[256], what[96];
	int to = -1, from = -1, st, rc;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	memset(&p, 0, sizeof p);
	memset(&src, 0, sizeof src);
	memset(&sr, 0, sizeof sr);
	memset(&sc, 0, sizeof sc);
	p.source = source;
	p.ckpt = o->resume;
	p.block = o->block ? o->block : BS_MIN_BLOCK;
	p.hash_id = o->hash_id ? o->hash_id : BS_XXH3;
	src.fd = open(source, O_RDONLY | O_CLOEXEC | O_NOCTTY | bs_direct_flag(source, o->direct));
	if (src.fd < 0 || fd_size(src.fd, &p.size) < 0) {
		warn_sys(RC_IO, "%s", source);
		return RC_IO;
	}
	src.name = source;
	src.size = p.size;
	src.block = p.block;
	src.rescue = o->rescue;
	src.direct = o->direct;
	p.align = (uint64_t)(BS_CHUNK / p.block < BS_GROUP ? BS_CHUNK / p.block : BS_GROUP) * p.block;
	p.seed = o->seed_set ? o->seed : bs_random_seed();
	if (p.ckpt && (rc = read_ckpt(&p))) {
		close(src.fd);
		return rc;
	}
	/* a resumed push hashes with the checkpoint's seed: its digest of the
	 * done range is checked on both sides with it */
	bs_hash_init(&hs, p.hash_id, bs_wire_len(p.hash_id), p.seed);
	bs_digest_init(&p.pre, &hs, p.size, 0);
	if ((rc = check_source_range(&p, &src, &hs)))
		goto out;
	snprintf(peer, sizeof peer, "%s", strrchr(cmd[0], '/') ? strrchr(cmd[0], '/') + 1 : cmd[0]);
	if ((pid = spawn(cmd, &to, &from)) < 0) {
		rc = RC_IO;
		goto out;
	}
	snprintf(what, sizeof what, "push");
	progress_init(&pg, what, "B", p.size, o->quiet);
	bs_wr_init(&w, to, peer);
	rc = push_run(&p, &src, from, peer, o, &sc, &w, &sr, &pg);
	close(to);
	if (sr.frame)
		bs_sig_rd_free(&sr);
	else
		bs_rd_free(&sr.rd);
	close(from);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (rc == RC_OK && p.ckpt)
		(void)unlink(p.ckpt);
	else
		write_ckpt(&p);
	if (rc == RC_OK) {
		char a[32], b[32];

		progress_done(&pg, "%s: %llu of %llu blocks changed, %s sent (%s on the wire), %.2f s",
			      source, (unsigned long long)sc.changed, (unsigned long long)sc.compared,
			      progress_human(a, sizeof a, (double)sc.dw.data_bytes),
			      progress_human(b, sizeof b, (double)(w.total + sr.rd.off)),
			      progress_elapsed(&pg));
	}
	if (o->json)
		bs_json(1, "push", sc.compared, sc.changed, w.total + sr.rd.off,
			sc.dw.data_bytes, progress_elapsed(&pg), rc);
	if (src.bad_bytes && rc == RC_OK) {
		warn_rc(RC_DIFF, "%s: %u unreadable ranges (%llu bytes) were sent as zeros",
			source, src.bad_ranges, (unsigned long long)src.bad_bytes);
		rc = RC_DIFF;
	}
	bs_wr_free(&w);
out:
	bs_digest_free(&p.pre);
	close(src.fd);
	return rc;
}
