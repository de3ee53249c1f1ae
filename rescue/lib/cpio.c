/* cpio.c: newc cpio writer and reader (see cpio.h; the format is the one in
 * the kernel's Documentation/driver-api/early-userspace/buffer-format.rst:
 * a 110-byte ASCII header of "070701" and 13 eight-digit hex fields, the
 * NUL-terminated name padded to 4 bytes, the data padded to 4 bytes, and a
 * last entry named TRAILER!!!). */
#include "lib/cpio.h"
#include "lib/err.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static uint8_t zeros[512];       /* never written: bss, not 512 bytes of out/rescue */

void
cpio_writer_init(struct cpio_writer *w, cpio_write_fn fn, void *ctx)
{
	memset(w, 0, sizeof *w);
	w->write = fn;
	w->ctx = ctx;
}

static int
put(struct cpio_writer *w, const void *buf, size_t n)
{
	if (n && w->write(w->ctx, buf, n) != 0)
		return -1;
	w->off += n;
	return 0;
}

static int
pad(struct cpio_writer *w, unsigned align)
{
	return put(w, zeros, (size_t)((align - w->off % align) % align));
}

int
cpio_write_header(struct cpio_writer *w, const struct cpio_entry *e)
{
	char hdr[CPIO_HDR + 1];
	size_t nlen = strlen(e->name);

	if (w->pending || nlen == 0 || nlen > CPIO_NAME_MAX) {
		errno = EINVAL;
		return -2;
	}
	snprintf(hdr, sizeof hdr,
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 e->ino, e->mode, e->uid, e->gid, e->nlink, e->mtime,
		 e->filesize, e->devmajor, e->devminor, e->rdevmajor,
		 e->rdevminor, (unsigned)(nlen + 1), 0u);
	if (put(w, hdr, CPIO_HDR) || put(w, e->name, nlen + 1) || pad(w, 4))
		return -1;
	w->pending = e->filesize;
	return 0;
}

int
cpio_write_data(struct cpio_writer *w, const void *buf, size_t n)
{
	if (n > w->pending) {
		errno = EINVAL;
		return -2;
	}
	if (put(w, buf, n))
		return -1;
	w->pending -= (uint32_t)n;
	return w->pending ? 0 : pad(w, 4);
}

int
cpio_finish(struct cpio_writer *w)
{
	struct cpio_entry t = { .name = CPIO_TRAILER, .nlink = 1 };

	if (cpio_write_header(w, &t))
		return -1;
	return pad(w, 512);
}

/* ---- reader ---- */

void
cpio_reader_init(struct cpio_reader *r, cpio_read_fn fn, void *ctx,
		 const char *file)
{
	memset(r, 0, sizeof *r);
	r->read = fn;
	r->ctx = ctx;
	r->file = file;
}

void
cpio_reader_free(struct cpio_reader *r)
{
	free(r->name);
	r->name = NULL;
	r->name_cap = 0;
}

/* Read exactly n bytes: 0 ok, 1 clean end before any byte, 2 cut short (no
 * message here: the caller says what was cut), -1 after a message (the read
 * callback's). */
static int
rd(struct cpio_reader *r, void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t got = 0;

	if (n && r->peeked) {
		p[got++] = r->peek;
		r->peeked = 0;
	}
	while (got < n) {
		ssize_t k = r->read(r->ctx, p + got, n - got);

		if (k < 0)
			return -1;
		if (k == 0) {
			r->off += got;
			return got ? 2 : 1;
		}
		got += (size_t)k;
	}
	r->off += n;
	return 0;
}

static int
cut(struct cpio_reader *r, const char *what)
{
	warn_off(RC_DATA, r->file, r->off, "truncated archive (cut in %s)", what);
	return -1;
}

static int
hexfield(const char *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		int c = p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

static int
skip(struct cpio_reader *r, uint64_t n, const char *what)
{
	uint8_t buf[4096];

	while (n) {
		size_t take = n > sizeof buf ? sizeof buf : (size_t)n;
		int k = rd(r, buf, take);

		if (k < 0)
			return -1;
		if (k)
			return cut(r, what);
		n -= take;
	}
	return 0;
}

/* After a trailer: skip zero bytes.  Returns 0 with *more = 1 if another
 * archive follows (its first byte is held back) or 0 at the end, or -1 after
 * a message. */
static int
after_trailer(struct cpio_reader *r, int *more)
{
	uint8_t c;
	int k;

	for (;;) {
		k = rd(r, &c, 1);
		if (k == 1) {
			*more = 0;
			return 0;
		}
		if (k)
			return -1;
		if (c != 0)
			break;
	}
	if (c != '0') {
		warn_off(RC_DATA, r->file, r->off - 1,
			 "junk after the archive's trailer (byte 0x%02x)", c);
		return -1;
	}
	r->peek = c;
	r->peeked = 1;
	r->off--;
	*more = 1;
	return 0;
}

static int
check_type(struct cpio_reader *r, uint64_t at, const struct cpio_entry *e)
{
	switch (e->mode & S_IFMT) {
	case S_IFREG:
		return 0;
	case S_IFDIR:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		if (e->filesize == 0)
			return 0;
		warn_off(RC_DATA, r->file, at, "'%s': %u data bytes on a non-file",
			 e->name, e->filesize);
		return -1;
	case S_IFLNK:
		if (e->filesize > 0 && e->filesize < CPIO_NAME_MAX)
			return 0;
		warn_off(RC_DATA, r->file, at, "'%s': bad symlink target length %u",
			 e->name, e->filesize);
		return -1;
	}
	warn_off(RC_DATA, r->file, at, "'%s': bad file type (mode %o)", e->name,
		 e->mode);
	return -1;
}

static const char *const field_names[] = {
	"ino", "mode", "uid", "gid", "nlink", "mtime", "filesize",
	"devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check",
};

/* The 110-byte header at offset at, into hdr and its 13 fields: 1 for a
 * header, 0 at the clean end of the input, -1 after a message. */
static int
read_header(struct cpio_reader *r, uint64_t at, char *hdr, uint32_t f[13])
{
	/* the magic first, so that junk is called junk even when short */
	int k = rd(r, hdr, 6);

	if (k == 1) {
		if (r->archives)
			return 0;
		warn_off(RC_DATA, r->file, at, at ? "truncated archive (no TRAILER!!!)"
						  : "empty input (not a cpio archive)");
		return -1;
	}
	if (k < 0)
		return -1;
	if (k)
		return cut(r, "a header");
	if (memcmp(hdr, "07070", 5) != 0 || (hdr[5] != '1' && hdr[5] != '2')) {
		for (int i = 0; i < 6; i++)
			if (hdr[i] < 0x20 || hdr[i] > 0x7e)
				hdr[i] = '?';
		warn_off(RC_DATA, r->file, at,
			 "bad magic '%.6s' (not a newc cpio archive)", hdr);
		return -1;
	}
	k = rd(r, hdr + 6, CPIO_HDR - 6);
	if (k < 0)
		return -1;
	if (k)
		return cut(r, "a header");
	for (int i = 0; i < 13; i++) {
		if (hexfield(hdr + 6 + 8 * i, &f[i])) {
			warn_off(RC_DATA, r->file, at, "bad %s field '%.8s'",
				 field_names[i], hdr + 6 + 8 * i);
			return -1;
		}
	}
	return 1;
}

/* the name of namesize bytes (NUL included) into r->name, and its padding */
static int
read_name(struct cpio_reader *r, uint64_t at, uint32_t namesize)
{
	int k;

	if (namesize < 2 || namesize > CPIO_NAME_MAX + 1) {
		warn_off(RC_DATA, r->file, at, "bad name size %u", namesize);
		return -1;
	}
	if (r->name_cap < namesize) {
		char *n = realloc(r->name, namesize);

		if (!n) {
			warn_rc(RC_IO, "out of memory");
			return -1;
		}
		r->name = n;
		r->name_cap = namesize;
	}
	k = rd(r, r->name, namesize);
	if (k < 0)
		return -1;
	if (k)
		return cut(r, "a name");
	if (r->name[namesize - 1] != 0 || memchr(r->name, 0, namesize - 1)) {
		warn_off(RC_DATA, r->file, at, "name is not a NUL-terminated string");
		return -1;
	}
	return skip(r, (4 - (CPIO_HDR + namesize) % 4) % 4, "a name") ? -1 : 0;
}

/* Where each of the header's 13 fields goes in a cpio_entry, in header
 * order; the name size (field 11) is not kept there. */
#define NO_FIELD SIZE_MAX
static const size_t field_at[13] = {
	offsetof(struct cpio_entry, ino), offsetof(struct cpio_entry, mode),
	offsetof(struct cpio_entry, uid), offsetof(struct cpio_entry, gid),
	offsetof(struct cpio_entry, nlink), offsetof(struct cpio_entry, mtime),
	offsetof(struct cpio_entry, filesize), offsetof(struct cpio_entry, devmajor),
	offsetof(struct cpio_entry, devminor), offsetof(struct cpio_entry, rdevmajor),
	offsetof(struct cpio_entry, rdevminor), NO_FIELD, offsetof(struct cpio_entry, check),
};

static void
fill_entry(struct cpio_entry *e, char *name, const uint32_t f[13])
{
	memset(e, 0, sizeof *e);
	e->name = name;
	for (size_t i = 0; i < 13; i++)
		if (field_at[i] != NO_FIELD)
			memcpy((char *)e + field_at[i], &f[i], sizeof f[i]);
}

/* past a TRAILER!!! of filesize bytes: 1 when another archive follows,
 * 0 at the end, -1 after a message */
static int
trailer(struct cpio_reader *r, uint32_t filesize)
{
	int more;

	r->archives++;
	if (filesize) {
		if (skip(r, filesize + (4 - filesize % 4) % 4, "the trailer"))
			return -1;
	}
	if (after_trailer(r, &more))
		return -1;
	return more;
}

int
cpio_next(struct cpio_reader *r, struct cpio_entry *e)
{
	char hdr[CPIO_HDR];
	uint32_t f[13];
	uint64_t at;
	int k;

again:
	if (r->data_left || r->pad_left) {
		if (skip(r, (uint64_t)r->data_left + r->pad_left, "file data"))
			return -1;
		r->data_left = r->pad_left = 0;
	}
	at = r->off;
	if ((k = read_header(r, at, hdr, f)) <= 0)
		return k;
	if (read_name(r, at, f[11]))
		return -1;
	fill_entry(e, r->name, f);
	if (strcmp(r->name, CPIO_TRAILER) == 0) {
		if ((k = trailer(r, f[6])) == 1)
			goto again;
		return k;
	}
	if (check_type(r, at, e))
		return -1;
	/* the kernel checks the sum of regular files only (GNU cpio writes 0
	 * for symlinks) */
	r->crc = hdr[5] == '2' && S_ISREG(e->mode);
	r->check = f[12];
	r->sum = 0;
	r->data_left = f[6];
	r->pad_left = (4 - f[6] % 4) % 4;
	if (!r->crc && f[12] != 0) {
		warn_off(RC_DATA, r->file, at, "'%s': check field %08X in a 070701 entry",
			 r->name, f[12]);
		return -1;
	}
	return 1;
}

ssize_t
cpio_read_data(struct cpio_reader *r, void *buf, size_t n)
{
	uint8_t *p = buf;
	int k;

	if (n > r->data_left)
		n = r->data_left;
	if (n == 0)
		return 0;
	k = rd(r, buf, n);
	if (k < 0)
		return -1;
	if (k) {
		cut(r, "file data");
		return -1;
	}
	r->data_left -= (uint32_t)n;
	for (size_t i = 0; i < n; i++)
		r->sum += p[i];
	if (r->data_left == 0 && r->crc && r->sum != r->check) {
		warn_off(RC_DATA, r->file, r->off, "'%s': checksum %08X, header says %08X",
			 r->name, r->sum, r->check);
		return -1;
	}
	return (ssize_t)n;
}

int
cpio_name_safe(const char *name)
{
	const char *p = name;

	if (strcmp(name, ".") == 0)
		return 1;
	if (*p == 0 || *p == '/' || strchr(name, '\n'))
		return 0;
	while (*p) {
		const char *s = strchr(p, '/');
		size_t len = s ? (size_t)(s - p) : strlen(p);

		if (len == 0 || (len == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (!s)
			break;
		p = s + 1;
		if (*p == 0)
			return 0;
	}
	return 1;
}
