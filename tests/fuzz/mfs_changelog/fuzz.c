/* fuzz.c: libFuzzer harness for the changelog reader, line parser and
 * replay (changelog.c, replay*.c):
 * - every line of the input is replayed on a fresh filesystem (3.x, or
 *   4.x for inputs of odd size; of size 3 mod 4 a 3.x one upgraded to 4.x
 *   as a 3.x snapshot under 4.x changelogs is) whatever its id, then the
 *   result is stored
 *   into /dev/null.  Every input is used:
 *   inode and chunk ids far beyond the ones in use stay hashed
 *   (meta_core.c), so big numbers do not allocate big tables;
 * - the input, as a file, goes through mfsmetarestore's reader (mfs_cl_open,
 *   mfs_cl_next) and metapick's (mp_mfs_changelog): both must find the same
 *   damaged end, the same first damaged line before valid ones and the
 *   same id out of order, so that the two tools agree on a directory. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/xio.h"
#include "metapick/metapick.h"
#include "moosefs/changelog.h"
#include "moosefs/meta.h"
#include "moosefs/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
replay_lines(const uint8_t *data, size_t size)
{
	struct mfs_meta m;
	static int devnull = -1;
	char line[4096], msg[512];
	size_t i = 0;

	if (devnull < 0)
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	/* odd sizes replay on a MooseFS 4.x filesystem (replay4.c, patt.c) */
	if ((size & 3) == 3) {
		mfs_init_new(&m, 1700000000);
		mfs_upgrade4(&m);
	} else if (size & 1) {
		mfs_init_new4(&m, 1700000000);
	} else {
		mfs_init_new(&m, 1700000000);
	}
	while (i < size) {
		size_t e = i, l;
		const char *rest;
		while (e < size && data[e] != '\n')
			e++;
		l = e - i < sizeof line - 1 ? e - i : sizeof line - 1;
		memcpy(line, data + i, l);
		line[l] = 0;
		if (mfs_cl_parse_id(line, l, &rest))
			mfs_replay(&m, rest, l - (size_t)(rest - line), msg, sizeof msg);
		i = e + 1;
	}
	mfs_store_fd(&m, devnull, "/dev/null", 0);
	mfs_free(&m);
}

/* mfsmetarestore's reading of one file: where it stops and why */
struct stop {
	uint64_t bad_line;      /* first damaged line before valid ones (0: none) */
	uint64_t order_line;    /* first id not above the previous one (0: none) */
	uint64_t tail_line, tail_bytes;
};

static int
read_like_restore(const char *path, struct stop *s)
{
	struct mfs_clfile f;
	int k;

	memset(s, 0, sizeof *s);
	if (mfs_cl_open(&f, path) != RC_OK)
		return -1;
	while ((k = mfs_cl_next(&f)) == 1) {
		if (f.id == 0 || f.kind != MFS_CL_OK) {
			s->bad_line = f.lineno;
			break;
		}
		if (f.prev && f.id <= f.prev) {
			s->order_line = f.lineno;
			break;
		}
		f.prev = f.id;
	}
	if (k < 0)
		s->bad_line = f.lineno + 1;
	if (k == 0 && f.tail < f.size) {
		s->tail_line = f.lineno + 1;
		s->tail_bytes = f.size - f.tail;
	}
	mfs_cl_close(&f);
	return 0;
}

static void
agree(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct mp_changelog cl;
	struct stop s;

	if (fd < 0) {
		fd = memfd_create("changelog", MFD_CLOEXEC);
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (fd < 0 || ftruncate(fd, 0) != 0 || pwrite_full(fd, data, size, 0) != 0)
		return;
	if (read_like_restore(path, &s) != 0)
		return;
	mp_mfs_changelog((const char *)data, size, 0, &cl);   /* 3.x/4.x rules, as mfs_cl_open */
	if (s.bad_line || s.order_line) {
		if (!cl.garbage || cl.damaged != (s.bad_line != 0) ||
		    cl.garbage_line != (s.bad_line ? s.bad_line : s.order_line))
			__builtin_trap();
	} else if (cl.garbage || cl.tail_line != s.tail_line || cl.tail_bytes != s.tail_bytes) {
		__builtin_trap();
	}
	mp_changelog_free(&cl);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	err_set_quiet(1);
	replay_lines(data, size);
	agree(data, size);
	err_reset();
	return 0;
}
