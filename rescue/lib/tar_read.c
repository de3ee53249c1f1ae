/* tar_read.c: streaming tar reader.  Formats: POSIX.1-1988 ustar and
 * POSIX.1-2001 pax (IEEE Std 1003.1, "pax" Extended Header), GNU long-name
 * records ('L', 'K') and base-256 numbers as GNU tar writes them.  Sparse
 * and multi-volume GNU entries are refused as unsupported. */
#include "lib/tar_read.h"
#include "lib/err.h"
#include "lib/opt.h"
#include "lib/gz.h"
#include "lib/xio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLK 512
#define MAX_PAX (1u << 20)   /* a pax record set larger than this is refused */
#define MAX_NAME 65536       /* GNU long names */

void
tar_reader_init(struct tar_reader *r, tar_read_fn fn, void *ctx, const char *name)
{
	memset(r, 0, sizeof *r);
	r->read = fn;
	r->ctx = ctx;
	r->name = name;
}

static void
clear_hdr(struct tar_reader *r)
{
	free(r->h.name);
	free(r->h.linkname);
	memset(&r->h, 0, sizeof r->h);
}

void
tar_reader_free(struct tar_reader *r)
{
	clear_hdr(r);
	free(r->gpath);
	free(r->glink);
	r->gpath = r->glink = NULL;
}

/* Exactly n bytes: 0, 1 at a clean end before any byte, -1 after a message. */
static int
get(struct tar_reader *r, void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t k = r->read(r->ctx, (char *)buf + done, n - done);
		if (k < 0)
			return -1;
		if (k == 0) {
			if (done == 0)
				return 1;
			warn_off(RC_DATA, r->name, r->off + done,
				 "unexpected end of tar data");
			return -1;
		}
		done += (size_t)k;
	}
	r->off += n;
	return 0;
}

static int
skip(struct tar_reader *r, uint64_t n)
{
	char buf[8192];

	while (n) {
		size_t k = n > sizeof buf ? sizeof buf : (size_t)n;
		int g = get(r, buf, k);
		if (g) {
			if (g > 0)
				warn_off(RC_DATA, r->name, r->off,
					 "unexpected end of tar data");
			return -1;
		}
		n -= k;
	}
	return 0;
}

/* A numeric header field: octal (NUL/space padded) or GNU base-256. */
static int
num(const unsigned char *f, size_t n, uint64_t *out, int *neg)
{
	uint64_t v = 0;
	size_t i = 0;

	*neg = 0;
	if (f[0] & 0x80) {
		/* base-256: 0x80 = positive, 0xff = negative (two's complement) */
		if (f[0] == 0xff)
			*neg = 1;
		else if (f[0] != 0x80)
			return -1;
		for (i = 1; i < n; i++) {
			if (v >> 56)
				return -1;
			v = v << 8 | (uint8_t)(*neg ? ~f[i] : f[i]);
		}
		*out = *neg ? v + 1 : v;
		return 0;
	}
	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 61)
			return -1;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != 0)
			return -1;
	*out = v;
	return 0;
}

static int
field(struct tar_reader *r, const unsigned char *hdr, size_t at, size_t n,
      const char *what, uint64_t *out)
{
	int neg;

	if (num(hdr + at, n, out, &neg) != 0 || neg) {
		warn_off(RC_DATA, r->name, r->h.offset + at, "bad %s field in tar header",
			 what);
		return -1;
	}
	return 0;
}

static char *
strndup_field(const unsigned char *f, size_t n)
{
	size_t len = 0;
	char *s;

	while (len < n && f[len])
		len++;
	s = xmalloc(len + 1);
	memcpy(s, f, len);
	s[len] = 0;
	return s;
}

/* Parse "decimal[.fraction]" into seconds and nanoseconds. */
static int
pax_time(const char *v, int64_t *sec, uint32_t *nsec)
{
	int negative = *v == '-';
	uint64_t s = 0;
	uint32_t ns = 0, scale = 100000000;
	const char *p = v + negative;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (s > (uint64_t)INT64_MAX / 10 - 10)
			return -1;
		s = s * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			ns += (uint32_t)(*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p)
		return -1;
	if (negative) {
		/* -1.25 means 1.25 s before the epoch: -2 s + 0.75 s */
		*sec = -(int64_t)s - (ns ? 1 : 0);
		*nsec = ns ? 1000000000u - ns : 0;
	} else {
		*sec = (int64_t)s;
		*nsec = ns;
	}
	return 0;
}

/* The long form of a name, owned from now on: the pax record's (*pax),
 * else the GNU long name's (*gnu), else NULL.  The one taken is cleared. */
static char *
take_long(char **pax, char **gnu)
{
	char **from = *pax ? pax : gnu;
	char *s = *from;

	*from = NULL;
	return s;
}

/* The name in the header itself: ustar's prefix "/" name, or name. */
static char *
header_name(const uint8_t *h, int is_ustar)
{
	char *pre, *nm, *s;
	size_t a, b;

	if (!is_ustar || !h[345] || memcmp(h + 257, "ustar\0", 6) != 0)
		return strndup_field(h, 100);
	pre = strndup_field(h + 345, 155);
	nm = strndup_field(h, 100);
	a = strlen(pre);
	b = strlen(nm);
	s = xmalloc(a + b + 2);
	memcpy(s, pre, a);
	s[a] = '/';
	memcpy(s + a + 1, nm, b + 1);
	free(pre);
	free(nm);
	return s;
}

struct pax {
	char *path, *link;
	int has_size, has_uid, has_gid, has_mtime;
	uint64_t size, uid, gid;
	int64_t mtime;
	uint32_t nsec;
	char uname[33], gname[33];
	int has_uname, has_gname;
};

static void
pax_free(struct pax *p)
{
	free(p->path);
	free(p->link);
}

/* Parse pax records "LEN key=value\n"; global ('g') records are checked and
 * dropped.  Returns 0 or -1 after a message. */
static int
pax_parse(struct tar_reader *r, char *buf, size_t n, uint64_t at, struct pax *p,
	  int keep)
{
	size_t i = 0;

	while (i < n) {
		size_t len = 0, j = i, klen;
		char *key, *eq, *val;

		while (j < n && buf[j] >= '0' && buf[j] <= '9' && len < n + 1)
			len = len * 10 + (size_t)(buf[j++] - '0');
		if (j == i || j >= n || buf[j] != ' ' || len <= j - i + 1 ||
		    len > n - i || buf[i + len - 1] != '\n') {
			warn_off(RC_DATA, r->name, at + i, "bad pax record");
			return -1;
		}
		key = buf + j + 1;
		buf[i + len - 1] = 0;
		eq = memchr(key, '=', (size_t)(buf + i + len - 1 - key));
		if (!eq) {
			warn_off(RC_DATA, r->name, at + i, "bad pax record (no '=')");
			return -1;
		}
		*eq = 0;
		val = eq + 1;
		klen = (size_t)(buf + i + len - 1 - val);
		if (keep && (strcmp(key, "path") == 0 || strcmp(key, "linkpath") == 0)) {
			char **dst = key[0] == 'p' ? &p->path : &p->link;
			if (memchr(val, 0, klen)) {
				warn_off(RC_DATA, r->name, at + i, "NUL byte in pax %s", key);
				return -1;
			}
			free(*dst);
			*dst = xstrdup(val);
		} else if (keep && strcmp(key, "size") == 0) {
			if (opt_parse_uint(val, 0, OPT_DEC_MAX, &p->size) != 0)
				goto bad;
			p->has_size = 1;
		} else if (keep && strcmp(key, "uid") == 0) {
			if (opt_parse_uint(val, 0, OPT_DEC_MAX, &p->uid) != 0)
				goto bad;
			p->has_uid = 1;
		} else if (keep && strcmp(key, "gid") == 0) {
			if (opt_parse_uint(val, 0, OPT_DEC_MAX, &p->gid) != 0)
				goto bad;
			p->has_gid = 1;
		} else if (keep && strcmp(key, "mtime") == 0) {
			if (pax_time(val, &p->mtime, &p->nsec) != 0)
				goto bad;
			p->has_mtime = 1;
		} else if (keep && strcmp(key, "uname") == 0) {
			snprintf(p->uname, sizeof p->uname, "%s", val);
			p->has_uname = 1;
		} else if (keep && strcmp(key, "gname") == 0) {
			snprintf(p->gname, sizeof p->gname, "%s", val);
			p->has_gname = 1;
		} else if (strncmp(key, "GNU.sparse.", 11) == 0) {
			warn_off(RC_DATA, r->name, at + i,
				 "GNU sparse entries are not supported");
			return -1;
		}
		i += len;
		continue;
bad:
		warn_off(RC_DATA, r->name, at + i, "bad pax %s value '%.40s'", key, val);
		return -1;
	}
	return 0;
}

/* Read a whole special member's data (pax or GNU long name) into memory. */
static char *
slurp(struct tar_reader *r, uint64_t size, uint64_t max, const char *what)
{
	char *buf;
	uint64_t pad = (BLK - size % BLK) % BLK;

	if (size > max) {
		warn_off(RC_DATA, r->name, r->h.offset, "%s of %llu bytes is too large",
			 what, (unsigned long long)size);
		return NULL;
	}
	buf = xmalloc((size_t)size + 1);
	if (size && get(r, buf, (size_t)size) != 0) {
		warn_off(RC_DATA, r->name, r->off, "unexpected end of tar data");
		free(buf);
		return NULL;
	}
	buf[size] = 0;
	if (skip(r, pad) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int
checksum_ok(const unsigned char *h)
{
	uint64_t want;
	unsigned long u = 0;
	long s = 0;
	int neg;

	if (num(h + 148, 8, &want, &neg) != 0 || neg)
		return 0;
	for (int i = 0; i < BLK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
		u += c;
		s += (signed char)c;
	}
	return want == u || (long)want == s;
}

static int
all_zero(const unsigned char *b)
{
	for (int i = 0; i < BLK; i++)
		if (b[i])
			return 0;
	return 1;
}

/* Fill r->h from a ustar header plus pending pax/GNU names. */
static int
fill_hdr(struct tar_reader *r, const unsigned char *h, struct pax *p)
{
	uint64_t v;
	int is_ustar = memcmp(h + 257, "ustar", 5) == 0;

	r->h.type = h[156] ? (char)h[156] : '0';
	if (field(r, h, 100, 8, "mode", &v))
		return -1;
	r->h.mode = (uint32_t)(v & 07777);
	if (field(r, h, 108, 8, "uid", &r->h.uid) || field(r, h, 116, 8, "gid", &r->h.gid) ||
	    field(r, h, 124, 12, "size", &r->h.size))
		return -1;
	{
		int neg;
		if (num(h + 136, 12, &v, &neg) != 0) {
			warn_off(RC_DATA, r->name, r->h.offset + 136,
				 "bad mtime field in tar header");
			return -1;
		}
		r->h.mtime = neg ? -(int64_t)v : (int64_t)v;
	}
	if (is_ustar) {
		if (field(r, h, 329, 8, "devmajor", &v))
			return -1;
		r->h.devmajor = (uint32_t)v;
		if (field(r, h, 337, 8, "devminor", &v))
			return -1;
		r->h.devminor = (uint32_t)v;
		memcpy(r->h.uname, h + 265, 32);
		memcpy(r->h.gname, h + 297, 32);
	}
	r->h.name = take_long(&p->path, &r->gpath);
	if (!r->h.name)
		r->h.name = header_name(h, is_ustar);
	r->h.linkname = take_long(&p->link, &r->glink);
	if (!r->h.linkname)
		r->h.linkname = strndup_field(h + 157, 100);
	if (p->has_size)
		r->h.size = p->size;
	if (p->has_uid)
		r->h.uid = p->uid;
	if (p->has_gid)
		r->h.gid = p->gid;
	if (p->has_mtime) {
		r->h.mtime = p->mtime;
		r->h.mtime_nsec = p->nsec;
	}
	if (p->has_uname)
		memcpy(r->h.uname, p->uname, sizeof r->h.uname);
	if (p->has_gname)
		memcpy(r->h.gname, p->gname, sizeof r->h.gname);
	if (!r->h.name[0]) {
		warn_off(RC_DATA, r->name, r->h.offset, "tar entry with an empty name");
		return -1;
	}
	return 0;
}

/* A zero block at start: the end of the archive, when a second zero block
 * follows (or the input ends) and no extended header is pending.  0, or -1
 * after a message. */
static int
archive_end(struct tar_reader *r, unsigned char *h, uint64_t start, const struct pax *p)
{
	int g = get(r, h, BLK);

	if (g < 0)
		return -1;
	if (g == 0 && !all_zero(h)) {
		warn_off(RC_DATA, r->name, start, "zero block inside the archive");
		return -1;
	}
	if (p->path || p->link || r->gpath || r->glink) {
		warn_off(RC_DATA, r->name, start, "extended header without an entry");
		return -1;
	}
	return 0;
}

/* A pax header (x, g) into p, or a GNU long name (L) or link (K) into
 * r->gpath, r->glink.  0, or -1 after a message. */
static int
ext_header(struct tar_reader *r, const unsigned char *h, uint64_t start, struct pax *p)
{
	uint64_t size;
	int neg;
	char *data;

	if (num(h + 124, 12, &size, &neg) != 0 || neg) {
		warn_off(RC_DATA, r->name, start + 124, "bad size field in tar header");
		return -1;
	}
	data = slurp(r, size, h[156] == 'x' || h[156] == 'g' ? MAX_PAX : MAX_NAME,
		     h[156] == 'L' || h[156] == 'K' ? "long name" : "pax header");
	if (!data)
		return -1;
	if (h[156] == 'x' || h[156] == 'g') {
		int bad = pax_parse(r, data, (size_t)size, start + BLK, p, h[156] == 'x');
		free(data);
		return bad ? -1 : 0;
	}
	if (strlen(data) != size && strlen(data) + 1 != size) {
		warn_off(RC_DATA, r->name, start + BLK, "NUL byte inside a long name");
		free(data);
		return -1;
	}
	{
		char **dst = h[156] == 'L' ? &r->gpath : &r->glink;
		free(*dst);
		*dst = data;
	}
	return 0;
}

/* The next header block and the extended headers before it, into r->h:
 * 1 for an entry, 0 at the end of the archive, -1 after a message. */
static int
next_entry(struct tar_reader *r, struct pax *p)
{
	unsigned char h[BLK];

	for (;;) {
		uint64_t start = r->off;
		int g = get(r, h, BLK);

		if (g < 0)
			return -1;
		if (g > 0) {
			warn_off(RC_DATA, r->name, r->off,
				 "unexpected end of tar data (no end-of-archive blocks)");
			return -1;
		}
		if (all_zero(h))
			return archive_end(r, h, start, p);
		if (!checksum_ok(h)) {
			warn_off(RC_DATA, r->name, start, "bad tar header checksum");
			return -1;
		}
		r->h.offset = r->h.offset ? r->h.offset : start;
		if (h[156] == 'x' || h[156] == 'g' || h[156] == 'L' || h[156] == 'K') {
			if (ext_header(r, h, start, p))
				return -1;
			continue;
		}
		if (!strchr("01234567", h[156] ? h[156] : '0')) {
			warn_off(RC_DATA, r->name, start + 156,
				 "unsupported tar entry type '%c'",
				 h[156] >= 32 && h[156] < 127 ? h[156] : '?');
			return -1;
		}
		return fill_hdr(r, h, p) != 0 ? -1 : 1;
	}
}

int
tar_read_next(struct tar_reader *r)
{
	struct pax p;
	int k;

	if (r->done)
		return 0;
	if (skip(r, r->left + r->padding) != 0)
		return -1;
	r->left = r->padding = 0;
	clear_hdr(r);
	memset(&p, 0, sizeof p);
	r->h.offset = r->off;
	k = next_entry(r, &p);
	pax_free(&p);
	if (k <= 0) {
		r->done = 1;
		return k;
	}
	/* hard links, symlinks, devices and fifos carry no data */
	if (strchr("12346", r->h.type))
		r->left = 0;
	else
		r->left = r->h.size;
	r->padding = (BLK - r->left % BLK) % BLK;
	return 1;
}

ssize_t
tar_read_data(struct tar_reader *r, void *buf, size_t n)
{
	int g;

	if (n > r->left)
		n = (size_t)r->left;
	if (n == 0)
		return 0;
	g = get(r, buf, n);
	if (g) {
		if (g > 0)
			warn_off(RC_DATA, r->name, r->off, "unexpected end of tar data");
		return -1;
	}
	r->left -= n;
	return (ssize_t)n;
}

ssize_t
tar_from_gz(void *ctx, void *buf, size_t n)
{
	return gz_read(ctx, buf, n);
}
