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
#include "lib/xio.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

/* stderr is teed through a pipe so the last message can go back to push */
struct tee {
	int orig, rfd;
	pthread_t th;
	char last[BS_MAX_MSG + 1];
	size_t len;
};

static void *
tee_thread(void *arg)
{
	struct tee *t = arg;
	char b[4096];
	ssize_t n;

	while ((n = read(t->rfd, b, sizeof b)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		(void)write_full(t->orig, b, (size_t)n);
		for (ssize_t i = 0; i < n; i++) {
			if (b[i] == '\n') {
				if (t->len)
					t->last[t->len] = 0;
				t->len = 0;
			} else if (t->len < BS_MAX_MSG) {
				if (t->len == 0)
					t->last[0] = 0;
				t->last[t->len++] = b[i];
				t->last[t->len] = 0;
			}
		}
	}
	return NULL;
}

static int
tee_start(struct tee *t)
{
	int p[2];

	memset(t, 0, sizeof *t);
	t->orig = dup(2);
	if (t->orig < 0 || pipe(p) < 0)
		return -1;
	if (dup2(p[1], 2) < 0)
		return -1;
	close(p[1]);
	t->rfd = p[0];
	return pthread_create(&t->th, NULL, tee_thread, t) == 0 ? 0 : -1;
}

static void
tee_stop(struct tee *t)
{
	dup2(t->orig, 2);
	pthread_join(t->th, NULL);
	close(t->rfd);
	close(t->orig);
}

struct serve {
	int fd;
	const char *name;
	struct bs_wr w;
	pthread_mutex_t wlock;
	struct sig_prod prod;
	int prod_rc;
	struct ap *ap;          /* &ap_st once applying */
	struct ap ap_st;
	double last_ack;
	uint64_t synced_written;
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
	double t = mono();

	if (t - s->last_ack < 2.0)
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
	struct sig_prod *p = &s->prod;
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

/* The block hashes of groups g..g+ng-1, asked for by push (NEED). */
static int
answer(struct serve *s, uint64_t g, uint32_t ng, uint8_t *buf)
{
	struct sig_prod *p = &s->prod;
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
		if (ring_peek(p->ring, first + i, h) < 0) {
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

	while (ring_take_request(s->prod.ring, &g, &n) == 0)
		if ((rc = answer(s, g, n, buf)))
			return rc;
	return RC_OK;
}

/* serve's reader with group hashes: hash TARGET, keep each block's hash in
 * the ring, send one hash per group, answer NEED requests in between. */
static int
serve_produce(struct serve *s)
{
	struct sig_prod *p = &s->prod;
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
	int rc = RC_OK;

	bs_digest_init(&dg, &p->hash, p->src.size, p->start);
	for (uint64_t off = p->start; off < p->src.size && rc == RC_OK; off += BS_CHUNK) {
		size_t n = p->src.size - off < BS_CHUNK ? (size_t)(p->src.size - off) : BS_CHUNK;
		uint32_t k = 0, ng = 0;

		if ((rc = bs_src_read(&p->src, buf, n, off)))
			break;
		for (size_t o = 0; o < n && rc == RC_OK; o += B, k++) {
			int x;

			bs_block_hash(&p->hash, buf + o, n - o < B ? n - o : B, full + (size_t)k * hl);
			while ((x = ring_push_or_req(p->ring, full + (size_t)k * hl)) == 1)
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
	while (rc == RC_OK && ring_wait_request(p->ring, &g, &ng) == 0)
		rc = answer(s, g, ng, det);
	p->blocks = groups;
	ring_close(p->ring, rc != RC_OK);
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

	ring_request(s->prod.ring, off / ((uint64_t)s->group * s->prod.src.block), groups);
}

static void *
prod_thread(void *arg)
{
	struct serve *s = arg;

	s->prod_rc = s->group ? serve_produce(s) : sig_produce(&s->prod);
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

static int
serve_run(struct serve *s, const struct bs_opts *o, struct progress *pg)
{
	struct bs_rd in;
	struct bs_hdr hello, sh;
	struct dr d;
	struct ap *a = &s->ap_st;
	struct bs_ring ring;
	struct stat st;
	uint8_t hb[BS_HDR_LEN];
	uint64_t tsize;
	pthread_t th;
	int rc, started = 0;

	bs_rd_init(&in, 0, "stdin");
	rc = read_hello(&in, &hello);
	bs_rd_free(&in);
	if (rc)
		return rc;
	if (fstat(s->fd, &st) < 0 || fd_size(s->fd, &tsize) < 0) {
		warn_sys(RC_IO, "%s", s->name);
		return RC_IO;
	}
	if (hello.start && hello.start >= tsize) {
		warn_rc(RC_REFUSED, "%s: has %llu bytes; cannot resume at %llu",
			s->name, (unsigned long long)tsize, (unsigned long long)hello.start);
		return RC_REFUSED;
	}
	memset(&sh, 0, sizeof sh);
	sh.kind = BS_SIGS;
	sh.version = BS_VERSION;
	sh.hash_id = hello.hash_id;
	sh.hash_len = hello.hash_len;
	sh.block = hello.block;
	sh.seed = hello.seed;
	sh.size = tsize;
	sh.start = hello.start;
	sh.group = hello.group;
	s->group = hello.group;
	if (hello.group && hello.start % ((uint64_t)hello.group * hello.block)) {
		warn_rc(RC_DATA, "stdin: resume offset %llu is not on a group boundary",
			(unsigned long long)hello.start);
		return RC_DATA;
	}
	bs_hdr_encode(&sh, hb);
	if (bs_wr_put(&s->w, hb, sizeof hb) < 0 || bs_wr_flush(&s->w) < 0)
		return RC_IO;

	ring_init(&ring, (512u << 20) / hello.block, bs_hash_len(hello.hash_id),
		  hello.start / hello.block);
	memset(&s->prod, 0, sizeof s->prod);
	s->prod.src.fd = s->fd;
	s->prod.src.name = s->name;
	s->prod.src.size = tsize;
	s->prod.src.block = hello.block;
	s->prod.src.rescue = o->rescue;
	bs_hash_init(&s->prod.hash, hello.hash_id, hello.hash_len, hello.seed);
	s->prod.start = hello.start;
	s->prod.w = &s->w;
	s->prod.wlock = &s->wlock;
	s->prod.ring = &ring;
	s->prod.ack = take_ack;
	s->prod.ack_ctx = s;
	if (pthread_create(&th, NULL, prod_thread, s) != 0) {
		warn_rc(RC_IO, "cannot start a thread");
		ring_free(&ring);
		return RC_IO;
	}
	started = 1;

	rc = dr_open(&d, 0, "stdin");
	if (rc == RC_OK && (d.hdr.hash_id != hello.hash_id || d.hdr.block != hello.block ||
			    d.hdr.seed != hello.seed || d.hdr.start != hello.start ||
			    (d.hdr.flags & BS_F_FULL) || !(d.hdr.flags & BS_F_LIVE) != !hello.group)) {
		warn_off(RC_DATA, "stdin", 0, "delta header does not match the hello");
		rc = RC_DATA;
	}
	if (rc == RC_OK)
		rc = ap_check_target(&d.hdr, "stdin", s->name, tsize, S_ISBLK(st.st_mode));
	if (rc == RC_OK) {
		memset(a, 0, sizeof *a);
		a->fd = s->fd;
		a->name = s->name;
		a->tsize = tsize;
		a->is_blk = S_ISBLK(st.st_mode);
		a->write = 1;
		a->digests = 1;
		a->ring = &ring;
		a->on_mark = serve_mark;
		a->on_need = serve_need;
		a->mark_ctx = s;
		a->prog = pg;
		s->ap = a;
		s->last_ack = mono();
		rc = ap_run(a, &d);
	}
	dr_free(&d);
	if (rc != RC_OK)
		ring_close(&ring, 1);
	else
		ring_consumer_done(&ring);
	if (started && rc != RC_OK) {
		/* the reader may be blocked writing to a push that stopped
		 * reading; give it a moment, then leave it (we are exiting) */
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 2;
		pthread_mutex_lock(&s->ack_mu);
		while (!s->prod_done &&
		       pthread_cond_timedwait(&s->done_cv, &s->ack_mu, &until) == 0)
			;
		s->stuck = !s->prod_done;
		pthread_mutex_unlock(&s->ack_mu);
	}
	if (s->stuck)
		return rc;
	if (started)
		pthread_join(th, NULL);
	ring_free(&ring);
	if (rc == RC_OK && s->prod_rc)
		rc = s->prod_rc;
	return rc;
}

int
bs_serve(const char *target, const struct bs_opts *o)
{
	struct serve s;
	struct tee tee;
	struct bs_frame f;
	struct progress pg;
	int rc, teed;

	signal(SIGPIPE, SIG_IGN);
	memset(&s, 0, sizeof s);
	s.name = target;
	pthread_mutex_init(&s.wlock, NULL);
	pthread_mutex_init(&s.ack_mu, NULL);
	pthread_cond_init(&s.done_cv, NULL);
	bs_wr_init(&s.w, 1, "stdout");
	teed = tee_start(&tee) == 0;
	progress_init(&pg, "serve", "B", 0, 1);
	s.fd = open(target, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (s.fd < 0) {
		warn_sys(RC_IO, "%s", target);
		rc = RC_IO;
	} else {
		rc = serve_run(&s, o, &pg);
	}
	if (teed) {
		tee_stop(&tee);
	}
	memset(&f, 0, sizeof f);
	f.tag = TAG_DONE;
	f.off = (uint64_t)rc;
	if (rc && teed) {
		f.stored = (uint32_t)strlen(tee.last);
	}
	if (!s.stuck)
		(void)send_frame(&s, &f, tee.last);
	if (rc == RC_OK && o->json)
		bs_json(2, "serve", s.ap ? s.prod.blocks : 0, s.ap ? s.ap->records : 0,
			0, s.ap ? s.ap->written : 0, progress_elapsed(&pg), rc);
	if (s.fd >= 0)
		close(s.fd);
	if (!s.stuck)
		bs_wr_free(&s.w);
	return rc;
}

/* ---- push ---- */

struct push {
	const char *source;
	const char *ckpt;
	uint64_t size;
	uint32_t block;
	unsigned hash_id;
	uint64_t acked;
	double last_write;
};

static void
write_ckpt(struct push *p)
{
	char b[1024];
	int n;

	if (!p->ckpt)
		return;
	n = snprintf(b, sizeof b,
		     "# blksync push checkpoint: the target is in sync with the source below 'done'\n"
		     "blksync-checkpoint 1\nsource %s\nsize %llu\nblock %u\nhash %s\ndone %llu\n",
		     p->source, (unsigned long long)p->size, p->block, bs_hash_name(p->hash_id),
		     (unsigned long long)p->acked);
	if (n > 0 && (size_t)n < sizeof b)
		(void)atomic_write_file(p->ckpt, b, (size_t)n, ATOMIC_OVERWRITE, 0644);
	p->last_write = mono();
}

static void
on_ack(void *ctx, uint64_t off)
{
	struct push *p = ctx;

	if (off > p->acked)
		p->acked = off;
	if (mono() - p->last_write >= 3.0)
		write_ckpt(p);
}

/* Read a checkpoint; returns RC_OK with *start set (0 if the file is absent). */
static int
read_ckpt(struct push *p, uint64_t *start)
{
	char *data, src[4096], hash[16];
	unsigned long long size, done;
	unsigned block;
	size_t len;
	int rc;

	*start = 0;
	if (access(p->ckpt, F_OK) != 0)
		return RC_OK;
	if ((rc = read_file(p->ckpt, 65536, &data, &len)))
		return rc;
	rc = sscanf(data, "# %*[^\n]\nblksync-checkpoint 1\nsource %4095[^\n]\nsize %llu\n"
		    "block %u\nhash %15s\ndone %llu", src, &size, &block, hash, &done);
	free(data);
	if (rc != 5) {
		warn_rc(RC_DATA, "%s: not a blksync checkpoint", p->ckpt);
		return RC_DATA;
	}
	if (size != p->size || block != p->block || strcmp(hash, bs_hash_name(p->hash_id)) ||
	    done % block || done >= size) {
		warn_rc(RC_REFUSED, "%s: checkpoint is for another sync (%s, %llu bytes, block %u, %s)",
			p->ckpt, src, size, block, hash);
		return RC_REFUSED;
	}
	*start = done;
	p->acked = done;
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
open_remote(struct sig_rd *sr, int fd, const char *peer)
{
	uint8_t b[BS_HDR_LEN];
	struct bs_frame f;
	const char *bad;
	int rc;

	memset(sr, 0, sizeof *sr);
	bs_rd_init(&sr->rd, fd, peer);
	rc = bs_rd_exact(&sr->rd, b, BS_FRAME_LEN, "SIGS header");
	if (rc == 0 && bs_get32(b) == TAG_DONE) {
		bs_frame_decode(&f, b);
		rc = frame_done(&sr->rd, &f, peer);
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
	sr->first = sr->hdr.start / sr->hdr.block;
	sr->nblocks = (sr->hdr.size + sr->hdr.block - 1) / sr->hdr.block;
	sr->next = sr->first;
	sr->frame = xmalloc((size_t)BS_MAX_HASHES * sr->hdr.hash_len);
	{
		struct bs_hash h;

		bs_hash_init(&h, sr->hdr.hash_id, sr->hdr.hash_len, sr->hdr.seed);
		bs_digest_init(&sr->dg, &h, sr->hdr.size, sr->hdr.start);
	}
	return RC_OK;
}

static int
push_run(struct push *p, struct bs_src *src, int to, int from, const char *peer,
	 const struct bs_opts *o, struct scan *sc, struct bs_wr *w, struct sig_rd *sr,
	 struct progress *pg)
{
	struct bs_hdr h;
	struct bs_frame f;
	uint8_t hb[BS_HDR_LEN];
	uint64_t start = p->acked;
	int rc;

	memset(&h, 0, sizeof h);
	h.kind = BS_HELLO;
	h.version = BS_VERSION;
	h.hash_id = p->hash_id;
	h.hash_len = bs_wire_len(p->hash_id);
	h.block = p->block;
	h.seed = o->seed_set ? o->seed : bs_random_seed();
	h.size = p->size;
	h.group = BS_CHUNK / p->block < BS_GROUP ? BS_CHUNK / p->block : BS_GROUP;
	if (o->flat)
		h.group = 0;
	if (h.group)
		start -= start % ((uint64_t)h.group * p->block);
	h.start = start;
	bs_hdr_encode(&h, hb);
	if (bs_wr_put(w, hb, sizeof hb) < 0 || bs_wr_flush(w) < 0)
		return RC_IO;
	if ((rc = open_remote(sr, from, peer)))
		return rc;
	if (sr->hdr.block != h.block || sr->hdr.hash_id != h.hash_id || sr->hdr.group != h.group ||
	    sr->hdr.seed != h.seed || sr->hdr.start != start) {
		warn_rc(RC_DATA, "%s: answered with other parameters than asked for", peer);
		return RC_DATA;
	}
	sr->on_ack = on_ack;
	sr->ack_ctx = p;
	h.kind = BS_DELTA;
	h.size = p->size;
	h.base_size = sr->hdr.size;
	h.flags = h.group ? BS_F_LIVE : 0;
	h.group = 0;
	bs_hdr_encode(&h, hb);
	if (bs_wr_put(w, hb, sizeof hb) < 0)
		return RC_IO;
	memset(sc, 0, sizeof *sc);
	sc->src = *src;
	bs_hash_init(&sc->hash, h.hash_id, h.hash_len, h.seed);
	sc->block = h.block;
	sc->start = start;
	sc->sig = sr;
	sc->push = 1;
	sc->prog = pg;
	dw_init(&sc->dw, w, o->level);
	rc = sr->hdr.group ? scan_groups(sc) : scan_run(sc);
	*src = sc->src;
	dw_free(&sc->dw);
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
			return frame_done(&sr->rd, &f, peer);
		warn_off(RC_DATA, peer, sr->rd.off, "unexpected frame instead of the result");
		return RC_DATA;
	}
	(void)to;
}

int
bs_push(const char *source, char **cmd, const struct bs_opts *o)
{
	struct push p;
	struct bs_src src;
	struct scan sc;
	struct bs_wr w;
	struct sig_rd sr;
	struct progress pg;
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
	if (p.ckpt && (rc = read_ckpt(&p, &p.acked))) {
		close(src.fd);
		return rc;
	}
	snprintf(peer, sizeof peer, "%s", strrchr(cmd[0], '/') ? strrchr(cmd[0], '/') + 1 : cmd[0]);
	if ((pid = spawn(cmd, &to, &from)) < 0)
		return RC_IO;
	snprintf(what, sizeof what, "push");
	progress_init(&pg, what, "B", p.size, o->quiet);
	bs_wr_init(&w, to, peer);
	rc = push_run(&p, &src, to, from, peer, o, &sc, &w, &sr, &pg);
	close(to);
	if (sr.frame)
		sig_rd_free(&sr);
	else
		bs_rd_free(&sr.rd);
	close(from);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (rc == RC_OK && p.ckpt)
		(void)unlink(p.ckpt);
	else if (p.ckpt && p.acked)
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
	close(src.fd);
	return rc;
}
