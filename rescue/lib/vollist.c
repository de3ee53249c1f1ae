/* vollist.c: the volume list parser described in vollist.h. */
#include "lib/vollist.h"
#include "lib/err.h"
#include "lib/opt.h"
#include "lib/xio.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 5

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* Coda volume id: 1-8 hex digits, optional 0x, not zero.  Returns 0 or -1. */
static int
parse_id(const char *s, uint32_t *id)
{
	uint32_t v = 0;
	size_t n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; s[n]; n++) {
		char ch = s[n];
		int d = ch >= '0' && ch <= '9' ? ch - '0' :
			ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
			ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;

		if (d < 0 || n == 8)
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	if (n == 0 || v == 0)
		return -1;
	*id = v;
	return 0;
}

/* Split buf (NUL-terminated, modified) into at most MAX_FIELDS words. */
static int
split(char *buf, char **f)
{
	int n = 0;
	char *p = buf;

	for (;;) {
		while (is_blank(*p))
			p++;
		if (!*p || *p == '#')
			return n;
		if (n == MAX_FIELDS)
			return n + 1;
		f[n++] = p;
		while (*p && !is_blank(*p))
			p++;
		if (*p)
			*p++ = 0;
	}
}

static int
parse_line(struct vollist *l, const char *name, unsigned long lineno, char *buf)
{
	char *f[MAX_FIELDS];
	int n = split(buf, f);
	struct volume v = { 0 };
	uint64_t r = 1;

	if (n == 0)
		return RC_OK;
	if (strlen(f[0]) > VOL_MAX_NAME) {
		warn_at(RC_DATA, name, lineno, "volume name longer than %d bytes", VOL_MAX_NAME);
		return RC_DATA;
	}
	if (n == 1) {
		warn_at(RC_DATA, name, lineno, "missing SIZE for volume '%s'", f[0]);
		return RC_DATA;
	}
	if (n > 4) {
		warn_at(RC_DATA, name, lineno, "too many fields (NAME SIZE [REPLICAS [VOLID]])");
		return RC_DATA;
	}
	if (opt_parse_size(f[1], &v.size) != 0) {
		warn_at(RC_DATA, name, lineno, "bad size '%s'", f[1]);
		return RC_DATA;
	}
	if (n > 2 && opt_parse_uint(f[2], 1, VOL_MAX_REPLICAS, &r) != 0) {
		warn_at(RC_DATA, name, lineno, "bad replica count '%s' (1-%d)", f[2],
			VOL_MAX_REPLICAS);
		return RC_DATA;
	}
	if (n > 3 && parse_id(f[3], &v.id) != 0) {
		warn_at(RC_DATA, name, lineno,
			"bad Coda volume id '%s' (1-8 hex digits, not 0)", f[3]);
		return RC_DATA;
	}
	if (n < 4 && parse_id(f[0], &v.id) != 0)
		v.id = 0;
	v.replicas = (unsigned)r;
	v.line = lineno;
	v.name = xstrdup(f[0]);
	xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v);
	l->v[l->n++] = v;
	return RC_OK;
}

static int
by_name(const void *a, const void *b, void *list)
{
	const struct vollist *l = list;
	const struct volume *x = l->v + *(const size_t *)a;
	const struct volume *y = l->v + *(const size_t *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* A name listed twice: report the earliest second listing. */
static int
check_unique(const struct vollist *l, const char *name)
{
	size_t *ix = xcalloc(l->n + 1, sizeof *ix), dup = 0, first = 0;
	int found = 0;

	for (size_t i = 0; i < l->n; i++)
		ix[i] = i;
	qsort_r(ix, l->n, sizeof *ix, by_name, (void *)l);
	for (size_t i = 1; i < l->n; i++) {
		size_t g = i - 1;

		if (strcmp(l->v[ix[i]].name, l->v[ix[g]].name) != 0)
			continue;
		/* ix[g] may itself be a repeat; find the group's first */
		while (g > 0 && !strcmp(l->v[ix[g - 1]].name, l->v[ix[i]].name))
			g--;
		if (!found || l->v[ix[i]].line < l->v[dup].line) {
			dup = ix[i];
			first = ix[g];
			found = 1;
		}
	}
	free(ix);
	if (found)
		warn_at(RC_DATA, name, l->v[dup].line, "volume '%s' listed twice (first at line %lu)",
			l->v[dup].name, l->v[first].line);
	return found ? RC_DATA : RC_OK;
}

int
vollist_parse(struct vollist *l, const char *name, const char *data, size_t len)
{
	char *buf = xmalloc(VOL_MAX_LINE + 1);
	unsigned long lineno = 0;
	size_t off = 0;
	int rc = RC_OK;

	memset(l, 0, sizeof *l);
	while (off < len && !rc) {
		const char *s = data + off, *nl = memchr(s, '\n', len - off);
		size_t n = nl ? (size_t)(nl - s) : len - off;

		lineno++;
		off += n + (nl ? 1 : 0);
		if (n > VOL_MAX_LINE) {
			warn_at(RC_DATA, name, lineno, "line longer than %d bytes", VOL_MAX_LINE);
			rc = RC_DATA;
		} else if (memchr(s, 0, n)) {
			warn_at(RC_DATA, name, lineno, "NUL byte (binary file?)");
			rc = RC_DATA;
		} else {
			memcpy(buf, s, n);
			buf[n] = 0;
			rc = parse_line(l, name, lineno, buf);
		}
	}
	free(buf);
	if (!rc)
		rc = check_unique(l, name);
	if (rc)
		vollist_free(l);
	return rc;
}

void
vollist_free(struct vollist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	memset(l, 0, sizeof *l);
}
