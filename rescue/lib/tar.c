/* tar.c: POSIX ustar/pax writer (IEEE Std 1003.1-2001, "pax" format). */
#include "lib/tar.h"
#include "lib/xio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ustar header field offsets and sizes */
#define H_NAME 0
#define H_MODE 100
#define H_UID 108
#define H_GID 116
#define H_SIZE 124
#define H_MTIME 136
#define H_CHKSUM 148
#define H_TYPE 156
#define H_LINK 157
#define H_MAGIC 257
#define H_VERSION 263
#define H_UNAME 265
#define H_GNAME 297
#define H_DEVMAJ 329
#define H_DEVMIN 337
#define H_PREFIX 345

void
tar_writer_init(struct tar_writer *w, tar_write_fn fn, void *ctx)
{
	memset(w, 0, sizeof *w);
	w->write = fn;
	w->ctx = ctx;
}

static int
emit(struct tar_writer *w, const void *buf, size_t n)
{
	if (w->write(w->ctx, buf, n) != 0)
		return -1;
	w->off += n;
	return 0;
}

static int
pad(struct tar_writer *w)
{
	static char zero[TAR_BLOCK];    /* never written (bss: not in out/rescue) */
	size_t r = (size_t)(w->off % TAR_BLOCK);

	return r ? emit(w, zero, TAR_BLOCK - r) : 0;
}

/* Octal into a field of width n (n-1 digits + NUL); 0 if it fits. */
static int
octal(char *field, size_t n, uint64_t v)
{
	char tmp[32];
	int len = snprintf(tmp, sizeof tmp, "%0*llo", (int)(n - 1),
			   (unsigned long long)v);

	if (len < 0 || (size_t)len > n - 1)
		return -1;
	memcpy(field, tmp, (size_t)len + 1);
	return 0;
}

/* Append one pax record "LEN key=value\n" (LEN counts itself). */
static void
pax_add(char **buf, size_t *len, size_t *cap, const char *key, const char *val)
{
	size_t body = strlen(key) + strlen(val) + 3; /* ' ' '=' '\n' */
	size_t digits = 1, total;

	for (size_t t = body + 1; t >= 10; t /= 10)
		digits++;
	total = body + digits;
	/* adding the length's own digits may add one more digit */
	if (snprintf(NULL, 0, "%zu", total) > (int)digits)
		total++;
	xgrow((void **)buf, cap, *len + total + 1, 1);
	snprintf(*buf + *len, total + 1, "%zu %s=%s\n", total, key, val);
	*len += total;
}

static int
split_name(const char *name, char hdr[TAR_BLOCK])
{
	size_t n = strlen(name);

	if (n <= 100) {
		memcpy(hdr + H_NAME, name, n);
		return 0;
	}
	/* ustar: prefix (<=155) '/' name (<=100) */
	for (size_t i = n - 1; i > 0; i--) {
		if (name[i] != '/')
			continue;
		if (n - i - 1 > 100)
			break;
		if (i <= 155 && n - i - 1 > 0) {
			memcpy(hdr + H_PREFIX, name, i);
			memcpy(hdr + H_NAME, name + i + 1, n - i - 1);
			return 0;
		}
	}
	return -1;
}

static void
checksum(char hdr[TAR_BLOCK])
{
	unsigned sum = 0;

	memset(hdr + H_CHKSUM, ' ', 8);
	for (int i = 0; i < TAR_BLOCK; i++)
		sum += (unsigned char)hdr[i];
	snprintf(hdr + H_CHKSUM, 8, "%06o", sum);
	hdr[H_CHKSUM + 7] = ' ';
}

/* Fill a header; names that do not fit are left for the pax header. */
static void
fill(char hdr[TAR_BLOCK], const struct tar_entry *e, const char *path,
     char type, uint64_t size, int *need_path, int *need_link, int *need_num)
{
	memset(hdr, 0, TAR_BLOCK);
	*need_path = split_name(path, hdr) != 0;
	if (*need_path) {
		/* a readable stand-in; pax readers take the real one */
		memcpy(hdr + H_NAME, path, 99);
	}
	octal(hdr + H_MODE, 8, e->mode & 07777);
	*need_num = 0;
	if (octal(hdr + H_UID, 8, e->uid) != 0) {
		octal(hdr + H_UID, 8, 0);
		*need_num = 1;
	}
	if (octal(hdr + H_GID, 8, e->gid) != 0) {
		octal(hdr + H_GID, 8, 0);
		*need_num = 1;
	}
	if (octal(hdr + H_SIZE, 12, size) != 0) {
		octal(hdr + H_SIZE, 12, 0);
		*need_num = 1;
	}
	if (e->mtime < 0 || octal(hdr + H_MTIME, 12, (uint64_t)e->mtime) != 0) {
		octal(hdr + H_MTIME, 12, 0);
		*need_num = 1;
	}
	hdr[H_TYPE] = type;
	*need_link = 0;
	if (e->linkname) {
		size_t ln = strlen(e->linkname);
		if (ln > 100) {
			*need_link = 1;
			ln = 100;
		}
		memcpy(hdr + H_LINK, e->linkname, ln);
	}
	memcpy(hdr + H_MAGIC, "ustar", 6);
	memcpy(hdr + H_VERSION, "00", 2);
	if (e->uname)
		snprintf(hdr + H_UNAME, 32, "%s", e->uname);
	if (e->gname)
		snprintf(hdr + H_GNAME, 32, "%s", e->gname);
	if (type == TAR_CHR || type == TAR_BLK) {
		octal(hdr + H_DEVMAJ, 8, e->devmajor);
		octal(hdr + H_DEVMIN, 8, e->devminor);
	}
}

int
tar_write_header(struct tar_writer *w, const struct tar_entry *e)
{
	char hdr[TAR_BLOCK], path[4096 + 2], num[64];
	int need_path, need_link, need_num;
	uint64_t size = e->type == TAR_REG ? e->size : 0;
	size_t n = strlen(e->name);

	if (n == 0 || n > 4096 || e->name[0] == '/' || w->pending) {
		errno = EINVAL;
		return -2;
	}
	memcpy(path, e->name, n + 1);
	if (e->type == TAR_DIR && path[n - 1] != '/') {
		path[n] = '/';
		path[n + 1] = 0;
	}
	fill(hdr, e, path, e->type, size, &need_path, &need_link, &need_num);
	if (need_path || need_link || need_num || e->mtime_nsec) {
		char *pax = NULL, pname[TAR_BLOCK], phdr[TAR_BLOCK];
		size_t plen = 0, pcap = 0;
		struct tar_entry pe;
		const char *base = strrchr(e->name, '/');
		int a, b, c;

		if (need_path)
			pax_add(&pax, &plen, &pcap, "path", path);
		if (need_link)
			pax_add(&pax, &plen, &pcap, "linkpath", e->linkname);
		if (e->uid > 07777777) {
			snprintf(num, sizeof num, "%llu", (unsigned long long)e->uid);
			pax_add(&pax, &plen, &pcap, "uid", num);
		}
		if (e->gid > 07777777) {
			snprintf(num, sizeof num, "%llu", (unsigned long long)e->gid);
			pax_add(&pax, &plen, &pcap, "gid", num);
		}
		if (size > 077777777777ULL) {
			snprintf(num, sizeof num, "%llu", (unsigned long long)size);
			pax_add(&pax, &plen, &pcap, "size", num);
		}
		if (e->mtime_nsec || e->mtime < 0 || (uint64_t)e->mtime > 077777777777ULL) {
			if (e->mtime_nsec)
				snprintf(num, sizeof num, "%lld.%09u", (long long)e->mtime,
					 e->mtime_nsec);
			else
				snprintf(num, sizeof num, "%lld", (long long)e->mtime);
			pax_add(&pax, &plen, &pcap, "mtime", num);
		}
		snprintf(pname, sizeof pname, "PaxHeader/%.80s", base ? base + 1 : e->name);
		memset(&pe, 0, sizeof pe);
		pe.name = pname;
		pe.mode = 0644;
		pe.mtime = e->mtime > 0 && (uint64_t)e->mtime <= 077777777777ULL ? e->mtime : 0;
		fill(phdr, &pe, pname, 'x', plen, &a, &b, &c);
		checksum(phdr);
		if (emit(w, phdr, TAR_BLOCK) != 0 || emit(w, pax, plen) != 0 ||
		    pad(w) != 0) {
			free(pax);
			return -1;
		}
		free(pax);
	}
	checksum(hdr);
	if (emit(w, hdr, TAR_BLOCK) != 0)
		return -1;
	w->pending = size;
	return 0;
}

int
tar_write_data(struct tar_writer *w, const void *buf, size_t n)
{
	if (n > w->pending) {
		errno = EINVAL;
		return -2;
	}
	if (n && emit(w, buf, n) != 0)
		return -1;
	w->pending -= n;
	return w->pending == 0 ? pad(w) : 0;
}

int
tar_write_mem(struct tar_writer *w, const struct tar_entry *e, const void *data,
	      size_t n)
{
	struct tar_entry c = *e;
	int r;

	c.size = n;
	if ((r = tar_write_header(w, &c)) != 0)
		return r;
	return c.type == TAR_REG ? tar_write_data(w, data, n) : 0;
}

int
tar_finish(struct tar_writer *w)
{
	static char zero[2 * TAR_BLOCK];        /* never written (bss) */

	if (w->pending) {
		errno = EINVAL;
		return -2;
	}
	return emit(w, zero, sizeof zero);
}

int
tar_to_fd(void *ctx, const void *buf, size_t n)
{
	return write_full(*(int *)ctx, buf, n);
}
