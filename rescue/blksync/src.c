/* src.c: blksync's reads from the source device or image (O_DIRECT,
 * bad ranges), its aligned buffers and the peek at a stream's end.
 */
#include "blksync/fmt.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
bs_direct_flag(const char *path, int direct)
{
	int fd;

	if (!direct)
		return 0;
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		close(fd);
		return O_DIRECT;
	}
	if (errno == EINVAL)
		note("%s: O_DIRECT is not supported here; reading through the page cache", path);
	return 0;
}

void *
bs_alloc(size_t n)
{
	void *p;

	if (posix_memalign(&p, 4096, n ? n : 1) != 0)
		die_msg(RC_IO, "out of memory");
	return p;
}

static void
note_bad(struct bs_src *s, uint64_t off, uint64_t len)
{
	note("%s: unreadable %llu+%llu, filled with zeros", s->name,
	     (unsigned long long)off, (unsigned long long)len);
	s->bad_bytes += len;
	s->bad_ranges++;
}

static ssize_t
src_pread(struct bs_src *s, uint8_t *buf, size_t n, uint64_t off)
{
	ssize_t got;

	if (!s->direct)
		return pread_full(s->fd, buf, n, off);
	/* O_DIRECT wants whole units; the end of the image may fall inside one */
	got = pread_full(s->fd, buf, (n + 4095) & ~(size_t)4095, off);
	return got > (ssize_t)n ? (ssize_t)n : got;
}

int
bs_src_read(struct bs_src *s, uint8_t *buf, size_t n, uint64_t off)
{
	ssize_t got = src_pread(s, buf, n, off);
	uint64_t bad_start = 0, bad_len = 0;

	if (got == (ssize_t)n)
		return RC_OK;
	if (got >= 0) {
		warn_off(RC_IO, s->name, off + (uint64_t)got,
			 "unexpected end of file (did it shrink while being read?)");
		return RC_IO;
	}
	if (!s->rescue) {
		warn_sys(RC_IO, "%s@%llu: read error (--rescue fills unreadable blocks with zeros)",
			 s->name, (unsigned long long)off);
		return RC_IO;
	}
	/* --rescue: retry block by block, zero what cannot be read */
	for (size_t done = 0; done < n;) {
		size_t k = n - done < s->block ? n - done : s->block;

		if (src_pread(s, buf + done, k, off + done) != (ssize_t)k) {
			memset(buf + done, 0, k);
			if (bad_len && bad_start + bad_len == off + done) {
				bad_len += k;
			} else {
				if (bad_len)
					note_bad(s, bad_start, bad_len);
				bad_start = off + done;
				bad_len = k;
			}
		}
		done += k;
	}
	if (bad_len)
		note_bad(s, bad_start, bad_len);
	return RC_OK;
}

int
bs_peek_end(int fd, const struct bs_hdr *h, uint32_t tag, uint8_t *out, size_t n)
{
	uint8_t b[BS_FRAME_LEN + 256];
	size_t len = BS_FRAME_LEN + n;
	struct bs_frame f;
	struct stat st;

	if (n > sizeof b - BS_FRAME_LEN || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < BS_HDR_LEN + (off_t)len)
		return -1;
	if (pread_full(fd, b, len, (uint64_t)st.st_size - len) != (ssize_t)len)
		return -1;
	bs_frame_decode(&f, b);
	if (f.tag != tag || f.off != h->size || f.stored != n ||
	    bs_frame_sum(&f, b + BS_FRAME_LEN, n) != f.crc)
		return -1;
	memcpy(out, b + BS_FRAME_LEN, n);
	return 0;
}
