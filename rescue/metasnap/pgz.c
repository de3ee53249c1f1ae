/* pgz.c: the parallel gzip writer of metasnap save.  The stream is cut
 * into gzip members (RFC 1952 allows any number, and gzip, GNU tar and
 * busybox tar read them as one stream): at most PGZ_BLOCK input bytes each,
 * and wherever the caller asks (the end of every file's data).  Members are
 * compressed by worker threads and written in order, so the bytes depend
 * only on the input and the level, not on the number of threads. */
#include "metasnap/pgz.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

enum { FREE, QUEUED, RUNNING, DONE };

/* One member: gzip wrapper (mtime 0, no name), as lib/gz.c writes it. */
static void
compress_job(struct pgz_job *j, int level)
{
	z_stream z;

	memset(&z, 0, sizeof z);
	j->err = 0;
	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		j->err = ENOMEM;
		return;
	}
	z.next_in = j->in;
	z.avail_in = (uInt)j->n;
	z.next_out = j->out;
	z.avail_out = (uInt)j->outcap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		j->err = EIO;
	j->outn = z.total_out;
	deflateEnd(&z);
}

static void *
worker(void *arg)
{
	struct pgz *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct pgz_job *j = NULL;

		for (size_t k = 0; k < p->nring && !j; k++) {
			struct pgz_job *c = &p->ring[(p->head + k) % p->nring];
			if (c->state == QUEUED)
				j = c;
		}
		if (!j) {
			if (p->quit)
				break;
			pthread_cond_wait(&p->cv_work, &p->mu);
			continue;
		}
		j->state = RUNNING;
		pthread_mutex_unlock(&p->mu);
		compress_job(j, p->level);
		pthread_mutex_lock(&p->mu);
		j->state = DONE;
		pthread_cond_broadcast(&p->cv_done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
pgz_init(struct pgz *p, int fd, int level, int threads)
{
	memset(p, 0, sizeof *p);
	p->fd = fd;
	p->level = level;
	p->nring = threads > 1 ? (size_t)threads * 2 : 1;
	p->ring = xcalloc(p->nring, sizeof *p->ring);
	for (size_t i = 0; i < p->nring; i++) {
		p->ring[i].in = xmalloc(PGZ_BLOCK);
		/* deflateBound for a stored block plus the gzip wrapper */
		p->ring[i].outcap = PGZ_BLOCK + PGZ_BLOCK / 1000 + 4096;
		p->ring[i].out = xmalloc(p->ring[i].outcap);
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv_work, NULL);
	pthread_cond_init(&p->cv_done, NULL);
	if (threads > 1) {
		p->th = xcalloc((size_t)threads, sizeof *p->th);
		for (int i = 0; i < threads; i++) {
			if (pthread_create(&p->th[i], NULL, worker, p) != 0)
				break;
			p->nthreads++;
		}
	}
	return RC_OK;
}

/* Write out the oldest member (waiting for it); 0 or -1 with errno. */
static int
flush_one(struct pgz *p)
{
	struct pgz_job *j = &p->ring[p->head];

	pthread_mutex_lock(&p->mu);
	while (j->state != DONE)
		pthread_cond_wait(&p->cv_done, &p->mu);
	pthread_mutex_unlock(&p->mu);
	if (j->err) {
		errno = j->err;
		return -1;
	}
	if (write_full(p->fd, j->out, j->outn) != 0)
		return -1;
	p->out_bytes += j->outn;
	j->state = FREE;
	j->n = 0;
	p->head = (p->head + 1) % p->nring;
	return 0;
}

int
pgz_cut(struct pgz *p)
{
	struct pgz_job *j = &p->ring[p->tail];
	int busy;

	if (p->err) {
		errno = p->err;
		return -1;
	}
	if (j->n == 0)
		return 0;
	if (p->nthreads == 0) {
		compress_job(j, p->level);
		j->state = DONE;
	} else {
		pthread_mutex_lock(&p->mu);
		j->state = QUEUED;
		pthread_cond_signal(&p->cv_work);
		pthread_mutex_unlock(&p->mu);
	}
	p->tail = (p->tail + 1) % p->nring;
	/* the next buffer to fill must be free: write out the oldest */
	pthread_mutex_lock(&p->mu);
	busy = p->ring[p->tail].state != FREE;
	pthread_mutex_unlock(&p->mu);
	if (busy && flush_one(p) != 0) {
		p->err = errno;
		return -1;
	}
	return 0;
}

int
pgz_write(void *ctx, const void *buf, size_t n)
{
	struct pgz *p = ctx;
	const uint8_t *b = buf;

	while (n) {
		struct pgz_job *j = &p->ring[p->tail];
		size_t take = PGZ_BLOCK - j->n < n ? PGZ_BLOCK - j->n : n;

		if (p->err) {
			errno = p->err;
			return -1;
		}
		memcpy(j->in + j->n, b, take);
		j->n += take;
		p->in_bytes += take;
		b += take;
		n -= take;
		if (j->n == PGZ_BLOCK && pgz_cut(p) != 0)
			return -1;
	}
	return 0;
}

int
pgz_finish(struct pgz *p)
{
	if (pgz_cut(p) != 0)
		return -1;
	for (;;) {
		int busy;

		pthread_mutex_lock(&p->mu);
		busy = p->ring[p->head].state != FREE;
		pthread_mutex_unlock(&p->mu);
		if (!busy)
			break;
		if (flush_one(p) != 0) {
			p->err = errno;
			return -1;
		}
	}
	return 0;
}

void
pgz_free(struct pgz *p)
{
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->cv_work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->th[i], NULL);
	/* a worker may still hold a job when we stop early: joined above */
	for (size_t i = 0; i < p->nring; i++) {
		free(p->ring[i].in);
		free(p->ring[i].out);
	}
	free(p->ring);
	free(p->th);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv_work);
	pthread_cond_destroy(&p->cv_done);
	memset(p, 0, sizeof *p);
}
