/* gz.c: gzip writer/reader on file descriptors, and one-shot raw deflate. */
#include "lib/gz.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GZ_BUF (256 * 1024)

int
gz_writer_init(struct gz_writer *g, int fd, int level)
{
	memset(g, 0, sizeof *g);
	g->fd = fd;
	/* 15 + 16: gzip wrapper; its header has mtime 0 and no name */
	if (deflateInit2(&g->z, level, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		warn_rc(RC_IO, "zlib: cannot initialise compressor");
		return RC_IO;
	}
	g->out = xmalloc(GZ_BUF);
	return RC_OK;
}

static int
pump(struct gz_writer *g, int flush)
{
	int zr;

	do {
		size_t have;

		g->z.next_out = g->out;
		g->z.avail_out = GZ_BUF;
		zr = deflate(&g->z, flush);
		if (zr == Z_STREAM_ERROR) {
			errno = EINVAL;
			return -1;
		}
		have = GZ_BUF - g->z.avail_out;
		if (have && write_full(g->fd, g->out, have) != 0)
			return -1;
		g->out_bytes += have;
	} while (g->z.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
	return 0;
}

int
gz_write(struct gz_writer *g, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	g->in_bytes += n;
	while (n) {
		uInt take = n > (1u << 30) ? (1u << 30) : (uInt)n;

		g->z.next_in = (Bytef *)(uintptr_t)p;
		g->z.avail_in = take;
		if (pump(g, Z_NO_FLUSH) != 0)
			return -1;
		p += take;
		n -= take;
	}
	return 0;
}

void
gz_writer_free(struct gz_writer *g)
{
	if (g->out) {
		deflateEnd(&g->z);
		free(g->out);
		g->out = NULL;
	}
}

int
gz_writer_finish(struct gz_writer *g)
{
	int r;

	g->z.next_in = NULL;
	g->z.avail_in = 0;
	r = pump(g, Z_FINISH);
	gz_writer_free(g);
	return r;
}

int
gz_reader_init(struct gz_reader *g, int fd, const char *name, int mode)
{
	ssize_t n;

	memset(g, 0, sizeof *g);
	g->fd = fd;
	g->name = name;
	g->in = xmalloc(GZ_BUF);
	n = read_full(fd, g->in, 2);
	if (n < 0) {
		warn_sys(RC_IO, "%s", name);
		goto fail;
	}
	g->z.next_in = g->in;
	g->z.avail_in = (uInt)n;
	if (n < 2 || g->in[0] != 0x1f || g->in[1] != 0x8b) {
		if (mode != GZ_AUTO) {
			warn_off(RC_DATA, name, 0, "not a gzip stream");
			goto fail;
		}
		g->plain = 1;
		return RC_OK;
	}
	if (inflateInit2(&g->z, 15 + 16) != Z_OK) {
		warn_rc(RC_IO, "zlib: cannot initialise decompressor");
		goto fail;
	}
	return RC_OK;
fail:
	free(g->in);
	g->in = NULL;
	return err_status() ? err_status() : RC_IO;
}

static int
refill(struct gz_reader *g)
{
	ssize_t r;

	if (g->in_eof)
		return 0;
	if (g->z.avail_in)
		memmove(g->in, g->z.next_in, g->z.avail_in);
	r = read_full(g->fd, g->in + g->z.avail_in, GZ_BUF - g->z.avail_in);
	if (r < 0) {
		warn_sys(RC_IO, "%s", g->name);
		return -1;
	}
	if ((size_t)r < GZ_BUF - g->z.avail_in)
		g->in_eof = 1;
	g->z.next_in = g->in;
	g->z.avail_in += (uInt)r;
	return r > 0;
}

ssize_t
gz_read(struct gz_reader *g, void *buf, size_t n)
{
	if (g->ended || n == 0)
		return 0;
	if (g->plain) {
		size_t done = 0;

		/* bytes sniffed by init come first */
		if (g->z.avail_in) {
			done = g->z.avail_in < n ? g->z.avail_in : n;
			memcpy(buf, g->z.next_in, done);
			g->z.next_in += done;
			g->z.avail_in -= (uInt)done;
		}
		if (done < n) {
			ssize_t r = read_full(g->fd, (char *)buf + done, n - done);
			if (r < 0) {
				warn_sys(RC_IO, "%s", g->name);
				return -1;
			}
			done += (size_t)r;
		}
		g->in_off += done;
		g->out_off += done;
		if (done == 0)
			g->ended = 1;
		return (ssize_t)done;
	}
	g->z.next_out = buf;
	g->z.avail_out = n > (1u << 30) ? (1u << 30) : (uInt)n;
	while (g->z.avail_out) {
		uInt before_in;
		int zr;

		if (g->z.avail_in == 0) {
			int r = refill(g);
			if (r < 0)
				return -1;
			if (r == 0 && g->z.avail_in == 0) {
				if (g->member_done) {
					g->ended = 1;
					break;
				}
				warn_off(RC_DATA, g->name, g->in_off,
					 "truncated gzip stream");
				return -1;
			}
		}
		if (g->member_done) {
			/* another gzip member follows, as `cat a.gz b.gz` makes */
			if (g->z.avail_in < 2 && refill(g) < 0)
				return -1;
			if (g->z.avail_in < 2 || g->z.next_in[0] != 0x1f ||
			    g->z.next_in[1] != 0x8b) {
				warn_off(RC_DATA, g->name, g->in_off,
					 "trailing garbage after gzip data");
				return -1;
			}
			inflateReset(&g->z);
			g->member_done = 0;
		}
		before_in = g->z.avail_in;
		zr = inflate(&g->z, Z_NO_FLUSH);
		g->in_off += before_in - g->z.avail_in;
		if (zr == Z_STREAM_END) {
			g->member_done = 1;
			continue;
		}
		if (zr == Z_BUF_ERROR && g->in_eof && g->z.avail_in == 0) {
			warn_off(RC_DATA, g->name, g->in_off, "truncated gzip stream");
			return -1;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			warn_off(RC_DATA, g->name, g->in_off, "corrupt gzip data (%s)",
				 g->z.msg ? g->z.msg : "zlib error");
			return -1;
		}
	}
	{
		size_t got = (size_t)((uint8_t *)g->z.next_out - (uint8_t *)buf);
		g->out_off += got;
		return (ssize_t)got;
	}
}

void
gz_reader_free(struct gz_reader *g)
{
	if (g->in) {
		if (!g->plain)
			inflateEnd(&g->z);
		free(g->in);
		g->in = NULL;
	}
}
