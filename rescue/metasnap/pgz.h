/* pgz.h: parallel gzip writer for metasnap save (see pgz.c).
 *	pgz_init(&p, fd, level, threads);   tar_writer_init(&w, pgz_write, &p);
 *	... pgz_cut(&p) to end a member ...
 *	pgz_finish(&p);  pgz_free(&p);
 * Writes return 0, or -1 with errno set (a write or compression error). */
#ifndef RESCUE_PGZ_H
#define RESCUE_PGZ_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define PGZ_BLOCK (4u << 20)

struct pgz_job {
	uint8_t *in, *out;
	size_t n, outn, outcap;
	int state, err;
};

struct pgz {
	int fd, level, nthreads, quit, err;
	pthread_t *th;
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_done;
	struct pgz_job *ring;
	size_t nring, head, tail;
	uint64_t in_bytes, out_bytes;
};

int pgz_init(struct pgz *p, int fd, int level, int threads);
int pgz_write(void *ctx, const void *buf, size_t n);
int pgz_cut(struct pgz *p);
int pgz_finish(struct pgz *p);
void pgz_free(struct pgz *p);

#endif
