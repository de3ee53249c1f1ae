/* conf.c: the key = value reader/writer described in conf.h.  Lines keep
 * pointers into the caller's buffer until an edit gives them their own copy,
 * so parse + render returns the input bytes exactly. */
#include "lib/conf.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <stdlib.h>
#include <string.h>

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int
is_default_key(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
}

/* "=" [blanks] VALUE [blanks] starting at p (which is at '='); fills val. */
static void
split_value(struct conf_line *l, size_t p, size_t end)
{
	p++;
	while (p < end && is_blank(l->text[p]))
		p++;
	while (end > p && is_blank(l->text[end - 1]))
		end--;
	l->val = p;
	l->vallen = end - p;
}

/* KEY is text[p, k): if blanks and '=' follow, the line is of this kind. */
static void
key_value(struct conf_line *l, size_t p, size_t k, size_t end, int kind)
{
	if (k == p)
		return;
	l->key = p;
	l->keylen = k - p;
	while (k < end && is_blank(l->text[k]))
		k++;
	if (k < end && l->text[k] == '=') {
		l->kind = kind;
		split_value(l, k, end);
	}
}

static void
classify(struct conf_line *l)
{
	size_t end = l->len - l->eol, p = 0, k;

	while (p < end && is_blank(l->text[p]))
		p++;
	if (p == end) {
		l->kind = CONF_BLANK;
		return;
	}
	if (l->text[p] == '#') {
		l->kind = CONF_COMMENT;
		while (p < end && (l->text[p] == '#' || is_blank(l->text[p])))
			p++;
		for (k = p; k < end && is_default_key(l->text[k]); k++)
			;
		key_value(l, p, k, end, CONF_DEFAULT);
		return;
	}
	l->kind = CONF_OTHER;
	for (k = p; k < end && !is_blank(l->text[k]) && l->text[k] != '='; k++)
		;
	key_value(l, p, k, end, CONF_ENTRY);
}

static struct conf_line *
add_line(struct conf *c, size_t at)
{
	xgrow((void **)&c->line, &c->cap, c->n + 1, sizeof *c->line);
	memmove(c->line + at + 1, c->line + at, (c->n - at) * sizeof *c->line);
	c->n++;
	memset(c->line + at, 0, sizeof *c->line);
	c->line[at].orig = CONF_NONE;
	return c->line + at;
}

/* Checks one line's bytes [s, s+n) (without its LF).  Returns 0 or RC_DATA. */
static int
check_bytes(const char *name, unsigned long lineno, const char *s, size_t n)
{
	size_t i;

	if (n > CONF_MAX_LINE) {
		warn_at(RC_DATA, name, lineno, "line longer than %d bytes; refused",
			CONF_MAX_LINE);
		return RC_DATA;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch != 0x7f)
			continue;
		if (ch == '\t' || ch == '\f' || ch == '\v')
			continue;
		if (ch == '\r' && i + 1 == n)
			continue; /* CRLF ending; the caller checks that an LF follows */
		if (ch == 0)
			warn_at(RC_DATA, name, lineno, "NUL byte (binary file?); refused");
		else
			warn_at(RC_DATA, name, lineno,
				"control byte 0x%02x (binary file?); refused", ch);
		return RC_DATA;
	}
	return 0;
}

/* Profile syntax (conf.h): the value of line l, [p, end) without its
 * trailing blanks and a final '\', which says that it goes on in the next
 * line. */
static void
profile_value(struct conf_line *l, size_t p, size_t end)
{
	while (p < end && is_blank(l->text[p]))
		p++;
	while (end > p && is_blank(l->text[end - 1]))
		end--;
	if (end > p && l->text[end - 1] == '\\') {
		l->more = 1;
		for (end--; end > p && is_blank(l->text[end - 1]); end--)
			;
	}
	l->val = p;
	l->vallen = end - p;
}

/* Profile syntax: '#' anywhere starts a comment, a line after one whose value
 * ends in '\' continues it, and every other line must be KEY = VALUE.
 * Returns 0 or RC_DATA. */
static int
classify_profile(struct conf_line *l, int cont, const char *name,
		 unsigned long lineno)
{
	size_t end = l->len - l->eol, p = 0, k;
	const char *hash = memchr(l->text, '#', end);

	if (hash)
		end = (size_t)(hash - l->text);
	if (cont) {
		l->kind = CONF_CONT;
		profile_value(l, 0, end);
		return 0;
	}
	while (p < end && is_blank(l->text[p]))
		p++;
	if (p == end) {
		l->kind = hash ? CONF_COMMENT : CONF_BLANK;
		return 0;
	}
	l->kind = CONF_OTHER;
	for (k = p; k < end && !is_blank(l->text[k]) && l->text[k] != '='; k++)
		;
	key_value(l, p, k, end, CONF_ENTRY);
	if (l->kind != CONF_ENTRY) {
		warn_at(RC_DATA, name, lineno, "not KEY = VALUE");
		return RC_DATA;
	}
	profile_value(l, l->val, l->val + l->vallen);
	return 0;
}

struct keyref {
	const char *key;
	size_t len, i;
};

/* by key, then by line */
static int
keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int d = memcmp(x->key, y->key, n);

	if (d)
		return d;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* A profile sets each key once: the first line that sets a key again is an
 * error naming the first one.  Sorting keeps a huge file from taking n^2. */
static int
check_repeats(const struct conf *c, const char *name)
{
	struct keyref *r = xmalloc((c->n + 1) * sizeof *r);
	size_t m = 0, g = 0, bad = 0, first = 0;

	for (size_t i = 0; i < c->n; i++)
		if (c->line[i].kind == CONF_ENTRY)
			r[m++] = (struct keyref){ c->line[i].text + c->line[i].key,
						  c->line[i].keylen, i };
	qsort(r, m, sizeof *r, keyref_cmp);
	for (size_t j = 1; j < m; j++) {
		if (r[j].len != r[g].len || memcmp(r[j].key, r[g].key, r[j].len)) {
			g = j;
		} else if (!bad || r[j].i < bad) {
			bad = r[j].i;
			first = r[g].i;
		}
	}
	free(r);
	if (!bad)
		return RC_OK;
	warn_at(RC_DATA, name, bad + 1, "key '%.*s' set again (first at line %zu)",
		(int)c->line[bad].keylen, c->line[bad].text + c->line[bad].key,
		first + 1);
	return RC_DATA;
}

static int
parse(struct conf *c, const char *name, const char *data, size_t len,
      int profile)
{
	size_t off = 0;
	unsigned long lineno = 0;

	memset(c, 0, sizeof *c);
	while (off < len) {
		const char *s = data + off, *nl = memchr(s, '\n', len - off);
		size_t n = nl ? (size_t)(nl - s) : len - off;
		struct conf_line *l;

		lineno++;
		if (check_bytes(name, lineno, s, n))
			goto fail;
		if (!nl && n && s[n - 1] == '\r') {
			warn_at(RC_DATA, name, lineno,
				"control byte 0x0d (binary file?); refused");
			goto fail;
		}
		l = add_line(c, c->n);
		l->text = s;
		l->len = n + (nl ? 1 : 0);
		l->eol = nl ? (n && s[n - 1] == '\r' ? 2 : 1) : 0;
		l->orig = c->n - 1;
		if (!profile)
			classify(l);
		else if (classify_profile(l, c->n > 1 && l[-1].more, name, lineno))
			goto fail;
		off += l->len;
	}
	if (profile && check_repeats(c, name))
		goto fail;
	return RC_OK;
fail:
	conf_free(c);
	return RC_DATA;
}

int
conf_parse(struct conf *c, const char *name, const char *data, size_t len)
{
	return parse(c, name, data, len, 0);
}

int
conf_parse_profile(struct conf *c, const char *name, const char *data, size_t len)
{
	return parse(c, name, data, len, 1);
}

char *
conf_words(const struct conf *c, size_t i)
{
	size_t cap = 1, n = 0, j;
	char *s;

	for (j = i; j < c->n && (j == i || c->line[j].kind == CONF_CONT); j++)
		cap += c->line[j].vallen + 1;
	s = xmalloc(cap);
	for (j = i; j < c->n && (j == i || c->line[j].kind == CONF_CONT); j++) {
		const char *v = c->line[j].text + c->line[j].val;

		for (size_t k = 0; k < c->line[j].vallen; k++) {
			if (is_blank(v[k]))
				continue;
			/* a word starts: after a blank or at a line's start */
			if (n && (k == 0 || is_blank(v[k - 1])))
				s[n++] = ' ';
			s[n++] = v[k];
		}
	}
	s[n] = 0;
	return s;
}

void
conf_free(struct conf *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->line[i].own);
	free(c->line);
	memset(c, 0, sizeof *c);
}

int
conf_key_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONF_MAX_KEY || s[0] == '#' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= ' ' || ch == 0x7f || ch == '=')
			return 0;
	}
	return 1;
}

int
conf_value_ok(const char *s)
{
	size_t n = strlen(s);

	if (n && (is_blank(s[0]) || is_blank(s[n - 1])))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < ' ' && ch != '\t') || ch == 0x7f)
			return 0;
	}
	return n <= CONF_MAX_VALUE;
}

size_t
conf_find(const struct conf *c, const char *key, int kind, size_t from)
{
	size_t klen = strlen(key);

	for (size_t i = from; i < c->n; i++) {
		const struct conf_line *l = c->line + i;

		if (l->kind == kind && l->keylen == klen &&
		    memcmp(l->text + l->key, key, klen) == 0)
			return i;
	}
	return CONF_NONE;
}

/* Replace line i's text by the concatenation of up to three pieces. */
static void
rebuild(struct conf_line *l, const char *a, size_t an, const char *b,
	size_t bn, const char *z, size_t zn)
{
	char *t = xmalloc(an + bn + zn + 1);

	memcpy(t, a, an);
	memcpy(t + an, b, bn);
	memcpy(t + an + bn, z, zn);
	t[an + bn + zn] = 0;
	free(l->own);
	l->own = t;
	l->text = t;
	l->len = an + bn + zn;
	l->orig = CONF_NONE;
}

void
conf_set_value(struct conf *c, size_t i, const char *v)
{
	struct conf_line *l = c->line + i;
	size_t tail = l->val + l->vallen;
	const char *old = l->text;
	char *keep = l->own;

	/* rebuild() frees own; keep the old text alive until it is copied */
	l->own = NULL;
	rebuild(l, old, l->val, v, strlen(v), old + tail, l->len - tail);
	free(keep);
	l->vallen = strlen(v);
}

/* Give line i the ending e (length en; 0 = none). */
static void
set_eol(struct conf_line *l, const char *e, size_t en)
{
	const char *old = l->text;
	char *keep = l->own;

	l->own = NULL;
	rebuild(l, old, l->len - l->eol, e, en, "", 0);
	free(keep);
	l->eol = en;
}

/* The ending used near line i: its own, else the first in the file, else LF. */
static const char *
eol_near(const struct conf *c, size_t i)
{
	if (i < c->n && c->line[i].eol)
		return c->line[i].eol == 2 ? "\r\n" : "\n";
	for (size_t j = 0; j < c->n; j++)
		if (c->line[j].eol)
			return c->line[j].eol == 2 ? "\r\n" : "\n";
	return "\n";
}

size_t
conf_insert(struct conf *c, size_t after, const char *key, const char *v)
{
	const char *sep = " = ", *eol;
	size_t seplen = 3, at, klen = strlen(key), vlen = strlen(v);
	const struct conf_line *model = NULL;
	struct conf_line *l;
	int last_open;
	char *t;

	if (after != CONF_NONE && c->line[after].kind == CONF_DEFAULT)
		model = c->line + after;
	for (size_t j = 0; !model && j < c->n; j++)
		if (c->line[j].kind == CONF_ENTRY)
			model = c->line + j;
	if (model) {
		/* the bytes between the key and the value: " = ", "=", "= " ... */
		sep = model->text + model->key + model->keylen;
		seplen = model->val - (model->key + model->keylen);
		if (model->vallen == 0) {
			/* "KEY =" or "KEY =   ": the '=' and at most one blank */
			size_t room = model->len - model->eol - (model->key + model->keylen);

			seplen = (size_t)((const char *)memchr(sep, '=', seplen) - sep) + 1;
			if (seplen < room && is_blank(sep[seplen]))
				seplen++;
		}
	}
	if (after == CONF_NONE)
		after = c->n ? c->n - 1 : CONF_NONE;
	eol = eol_near(c, after);
	at = after == CONF_NONE ? 0 : after + 1;
	last_open = at == c->n && at > 0 && c->line[at - 1].eol == 0;
	t = xmalloc(klen + seplen + vlen + 3);
	memcpy(t, key, klen);
	memcpy(t + klen, sep, seplen);
	memcpy(t + klen + seplen, v, vlen);
	strcpy(t + klen + seplen + vlen, last_open ? "" : eol);
	if (last_open)
		set_eol(c->line + at - 1, eol, strlen(eol));
	l = add_line(c, at);
	l->own = t;
	l->text = t;
	l->len = strlen(t);
	l->eol = last_open ? 0 : strlen(eol);
	l->kind = CONF_ENTRY;
	l->key = 0;
	l->keylen = klen;
	l->val = klen + seplen;
	l->vallen = vlen;
	return at;
}

void
conf_delete(struct conf *c, size_t i)
{
	int was_open = c->line[i].eol == 0;

	free(c->line[i].own);
	memmove(c->line + i, c->line + i + 1, (c->n - i - 1) * sizeof *c->line);
	c->n--;
	if (was_open && c->n)
		set_eol(c->line + c->n - 1, "", 0);
}

size_t
conf_size(const struct conf *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->line[i].len;
	return n;
}

void
conf_render(const struct conf *c, char *out)
{
	for (size_t i = 0; i < c->n; i++) {
		memcpy(out, c->line[i].text, c->line[i].len);
		out += c->line[i].len;
	}
}
