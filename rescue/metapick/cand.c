/* cand.c: metapick candidates (facts, warnings, problems) and the small
 * file helpers the scanners share.  Nothing here exits except x*(). */
#include "metapick/metapick.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct mp_fact *
add(struct mp_cand *c, const char *key, int type)
{
	struct mp_fact *f;

	xgrow((void **)&c->facts, &c->capfacts, c->nfacts + 1, sizeof *c->facts);
	f = &c->facts[c->nfacts++];
	memset(f, 0, sizeof *f);
	f->key = xstrdup(key);
	f->type = type;
	return f;
}

void
mp_fact_str(struct mp_cand *c, const char *key, const char *val)
{
	if (!val) {
		mp_fact_null(c, key);
		return;
	}
	add(c, key, MP_STR)->str = xstrdup(val);
}

void
mp_fact_num(struct mp_cand *c, const char *key, uint64_t val)
{
	add(c, key, MP_NUM)->num = val;
}

void
mp_fact_bool(struct mp_cand *c, const char *key, int val)
{
	add(c, key, MP_BOOL)->num = val != 0;
}

void
mp_fact_null(struct mp_cand *c, const char *key)
{
	add(c, key, MP_NULL);
}

static char *
vstr(const char *fmt, va_list ap)
{
	va_list cp;
	char *s;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

char *
mp_strf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vstr(fmt, ap);
	va_end(ap);
	return s;
}

void
mp_warn(struct mp_cand *c, const char *fmt, ...)
{
	va_list ap;

	xgrow((void **)&c->warnings, &c->capwarn, c->nwarn + 1, sizeof *c->warnings);
	va_start(ap, fmt);
	c->warnings[c->nwarn++] = vstr(fmt, ap);
	va_end(ap);
}

void
mp_unusable(struct mp_cand *c, const char *fmt, ...)
{
	va_list ap;

	if (c->problem)
		return;
	va_start(ap, fmt);
	c->problem = vstr(fmt, ap);
	va_end(ap);
}

void
mp_unreadable(struct mp_cand *c, int rc, const char *fmt, ...)
{
	va_list ap;

	free(c->problem);
	va_start(ap, fmt);
	c->problem = vstr(fmt, ap);
	va_end(ap);
	c->status = rc;
}

void
mp_cand_free(struct mp_cand *c)
{
	for (size_t i = 0; i < c->nfacts; i++) {
		free(c->facts[i].key);
		free(c->facts[i].str);
	}
	for (size_t i = 0; i < c->nwarn; i++)
		free(c->warnings[i]);
	free(c->facts);
	free(c->warnings);
	free(c->problem);
	free(c->key_text);
	free(c->identity);
	free(c->identity2);
	memset(c, 0, sizeof *c);
}

long
mp_read(int dirfd, const char *name, void *buf, size_t max)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t k;

	if (fd < 0)
		return -1;
	k = read_full(fd, buf, max);
	close(fd);
	return (long)k;
}

char *
mp_slurp(int dirfd, const char *name, size_t max, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t cap = 0, n = 0;
	char *buf = NULL;

	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t k;

		xgrow((void **)&buf, &cap, n + 65536 + 1, 1);
		k = read_full(fd, buf + n, 65536);
		if (k < 0) {
			free(buf);
			close(fd);
			return NULL;
		}
		n += (size_t)k;
		if (n > max) {
			free(buf);
			close(fd);
			errno = EFBIG;
			return NULL;
		}
		if (k < 65536)
			break;
	}
	close(fd);
	buf[n] = 0;
	*len = n;
	return buf;
}
