/* manifest.c: the MANIFEST text of a metasnap archive (format in
 * docs/man/metasnap.1):
 *	# metasnap manifest 1
 *	TYPE MODE UID GID SIZE MTIME SHA256 TARGET NAME
 * one line per entry in archive order; "-" for an empty field; NAME and
 * TARGET escape bytes <= 0x20, 0x7f and '\' as \xHH. */
#include "metasnap/metasnap.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/scan.h"
#include "lib/xio.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	xgrow((void **)buf, cap, *len + n + 1, 1);
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = 0;
}

void
ms_escape(char **buf, size_t *len, size_t *cap, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c == 0x7f || c == '\\') {
			char x[5];
			snprintf(x, sizeof x, "\\x%02x", c);
			put(buf, len, cap, x, 4);
		} else {
			put(buf, len, cap, s, 1);
		}
	}
}

const char *
ms_show(const char *name)
{
	static char *buf[2];
	static size_t cap[2];
	static int turn;
	size_t len = 0;

	turn = !turn;
	if (buf[turn])
		buf[turn][0] = 0;
	ms_escape(&buf[turn], &len, &cap[turn], name);
	return buf[turn] ? buf[turn] : "";
}

void
ms_manifest_line(char **buf, size_t *len, size_t *cap, const struct ms_entry *e)
{
	char head[256], hex[2 * SHA256_LEN + 1];
	int n;

	if (e->has_sha)
		sha256_hex(e->sha, hex);
	else
		strcpy(hex, "-");
	n = snprintf(head, sizeof head, "%c %04o %llu %llu %llu %lld.%09u %s ", e->type,
		     e->mode, (unsigned long long)e->uid, (unsigned long long)e->gid,
		     (unsigned long long)e->size, (long long)e->mtime, e->nsec, hex);
	put(buf, len, cap, head, (size_t)n);
	if (e->type == 'c' || e->type == 'b') {
		n = snprintf(head, sizeof head, "%u,%u", e->major, e->minor);
		put(buf, len, cap, head, (size_t)n);
	} else if (e->type == 'l' || e->type == 'h') {
		if (strcmp(e->link, "-") == 0)
			put(buf, len, cap, "\\x2d", 4);
		else if (!e->link[0])
			put(buf, len, cap, "\\x00", 4);
		else
			ms_escape(buf, len, cap, e->link);
	} else {
		put(buf, len, cap, "-", 1);
	}
	put(buf, len, cap, " ", 1);
	ms_escape(buf, len, cap, e->name);
	put(buf, len, cap, "\n", 1);
}

/* Undo ms_escape on a field; NULL when malformed. */
static char *
unescape(const char *s, size_t n, int allow_empty)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\') {
			int a, b;
			if (i + 3 >= n || s[i + 1] != 'x' ||
			    (a = hex_digit(s[i + 2], 0)) < 0 || (b = hex_digit(s[i + 3], 0)) < 0)
				goto bad;
			out[o++] = (char)(a << 4 | b);
			i += 3;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = 0;
	if (memchr(out, 0, o) && !(allow_empty && o == 1))
		goto bad;
	return out;
bad:
	free(out);
	return NULL;
}

static int
parse_u64(const char *s, int base, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	v = strtoull(s, &end, base);
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int
parse_line(char *line, struct ms_entry *e)
{
	char *f[9], *p = line;
	uint64_t v;

	for (int i = 0; i < 9; i++) {
		f[i] = p;
		if (i < 8) {
			p = strchr(p, ' ');
			if (!p)
				return -1;
			*p++ = 0;
		}
	}
	if (strlen(f[0]) != 1 || !strchr("fdlhcbp", f[0][0]))
		return -1;
	e->type = f[0][0];
	if (parse_u64(f[1], 8, &v) || v > 07777)
		return -1;
	e->mode = (uint32_t)v;
	if (parse_u64(f[2], 10, &e->uid) || parse_u64(f[3], 10, &e->gid) ||
	    parse_u64(f[4], 10, &e->size))
		return -1;
	{
		char *dot = strchr(f[5], '.');
		uint64_t ns;
		long long sec;
		char *end;

		if (!dot || strlen(dot + 1) != 9 || parse_u64(dot + 1, 10, &ns))
			return -1;
		*dot = 0;
		if (!f[5][0])
			return -1;
		sec = strtoll(f[5], &end, 10);
		if (*end)
			return -1;
		e->mtime = sec;
		e->nsec = (uint32_t)ns;
	}
	if (strcmp(f[6], "-") != 0) {
		if (strlen(f[6]) != 2 * SHA256_LEN)
			return -1;
		for (int i = 0; i < SHA256_LEN; i++) {
			int a = hex_digit(f[6][2 * i], 0), b = hex_digit(f[6][2 * i + 1], 0);
			if (a < 0 || b < 0)
				return -1;
			e->sha[i] = (uint8_t)(a << 4 | b);
		}
		e->has_sha = 1;
	}
	if (e->type == 'c' || e->type == 'b') {
		struct scan s = { f[7], 0 };

		e->major = (unsigned)scan_num(&s, 10, 10, UINT_MAX);
		scan_lit(&s, ",");
		e->minor = (unsigned)scan_num(&s, 10, 10, UINT_MAX);
		scan_end(&s);
		if (s.bad)
			return -1;
	} else if (e->type == 'l' || e->type == 'h') {
		if (!(e->link = unescape(f[7], strlen(f[7]), 1)))
			return -1;
	} else if (strcmp(f[7], "-") != 0) {
		return -1;
	}
	if (!(e->name = unescape(f[8], strlen(f[8]), 0)) || !e->name[0])
		return -1;
	return 0;
}

int
ms_manifest_parse(const char *file, const char *buf, size_t n, struct ms_list *l)
{
	size_t pos, lineno = 1;
	size_t magic = strlen(MS_MAGIC);

	if (n < magic || memcmp(buf, MS_MAGIC, magic) != 0) {
		warn_at(RC_DATA, file, 1, "%s does not start with '%.*s'", MS_MANIFEST,
			(int)magic - 1, MS_MAGIC);
		return RC_DATA;
	}
	for (pos = magic; pos < n;) {
		const char *nl = memchr(buf + pos, '\n', n - pos);
		size_t len;
		char *line;

		lineno++;
		if (!nl) {
			warn_at(RC_DATA, file, lineno, "%s: last line has no newline",
				MS_MANIFEST);
			return RC_DATA;
		}
		len = (size_t)(nl - (buf + pos));
		if (len && buf[pos] == '#') {
			pos += len + 1;
			continue;
		}
		line = xmalloc(len + 1);
		memcpy(line, buf + pos, len);
		line[len] = 0;
		{
			struct ms_entry *e = ms_list_add(l);
			if (memchr(line, 0, len) || parse_line(line, e) != 0) {
				free(line);
				warn_at(RC_DATA, file, lineno, "%s: bad line", MS_MANIFEST);
				return RC_DATA;
			}
		}
		free(line);
		pos += len + 1;
	}
	return RC_OK;
}

char *
ms_compare(const struct ms_entry *a, const struct ms_entry *b, int mtime_dirs)
{
	char *out = NULL;
	size_t len = 0, cap = 0;

#define DIFF(what) do { if (len) put(&out, &len, &cap, ", ", 2); \
		put(&out, &len, &cap, what, strlen(what)); } while (0)
	if (a->type != b->type) {
		DIFF("type");
		return out;
	}
	if (a->type == 'f' && a->size != b->size)
		DIFF("size");
	if (a->has_sha && b->has_sha && memcmp(a->sha, b->sha, SHA256_LEN) != 0)
		DIFF("content");
	if ((a->type == 'l' || a->type == 'h') && strcmp(a->link, b->link) != 0)
		DIFF(a->type == 'l' ? "symlink target" : "link target");
	if ((a->type == 'c' || a->type == 'b') &&
	    (a->major != b->major || a->minor != b->minor))
		DIFF("device number");
	if (a->type != 'l' && a->type != 'h' && a->mode != b->mode)
		DIFF("mode");
	if (a->type != 'h' && (a->uid != b->uid || a->gid != b->gid))
		DIFF("owner");
	if (a->type != 'h' && (mtime_dirs || a->type != 'd') &&
	    (a->mtime != b->mtime || a->nsec != b->nsec))
		DIFF("mtime");
#undef DIFF
	return out;
}
