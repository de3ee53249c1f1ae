/* scan.c: read a metasnap archive (gzip'd tar) member by member, hand each
 * entry to a callback (restore) or hash it (verify, diff), keep the MANIFEST
 * members, and check the entries against the manifest.  Damage is reported
 * with the compressed offset (from gz.c) and the entry it falls in. */
#include "metasnap/metasnap.h"
#include "lib/err.h"
#include "lib/gz.h"
#include "lib/progress.h"
#include "lib/xio.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_MANIFEST (256u << 20)

void
ms_archive_free(struct ms_archive *a)
{
	ms_list_free(&a->entries);
	free(a->manifest);
	free(a->sum);
	memset(a, 0, sizeof *a);
}

/* "./a/b/" -> "a/b"; "./" -> "." */
static char *
normalize(const char *name)
{
	size_t n;
	char *s;

	while (name[0] == '.' && name[1] == '/')
		for (name += 2; *name == '/' && name[1]; name++)
			;
	s = xstrdup(name);
	n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		s[--n] = 0;
	if (n == 0 || strcmp(s, "/") == 0) {
		/* "./" alone, or a bare "/" which restore refuses as absolute */
		if (n == 0) {
			free(s);
			s = xstrdup(".");
		}
	}
	return s;
}

static int
slurp(struct tar_reader *r, char **out, size_t *len)
{
	uint64_t size = r->h.size;

	if (size > MAX_MANIFEST) {
		warn_off(RC_DATA, r->name, r->h.offset, "%s is too large", r->h.name);
		return RC_DATA;
	}
	free(*out);
	*out = xmalloc((size_t)size + 1);
	for (size_t got = 0; got < size;) {
		ssize_t k = tar_read_data(r, *out + got, (size_t)size - got);
		if (k <= 0)
			return RC_DATA;
		got += (size_t)k;
	}
	(*out)[size] = 0;
	*len = (size_t)size;
	return RC_OK;
}

static int
hash_entry(void *ctx, struct ms_entry *e, struct tar_reader *r)
{
	static uint8_t buf[1 << 18];
	struct sha256 s;
	ssize_t k;

	(void)ctx;
	if (e->type != 'f')
		return RC_OK;
	sha256_init(&s);
	while ((k = tar_read_data(r, buf, sizeof buf)) > 0)
		sha256_update(&s, buf, (size_t)k);
	if (k < 0)
		return MS_DAMAGED;
	sha256_final(&s, e->sha);
	e->has_sha = 1;
	return RC_OK;
}

static char
ms_type(char t)
{
	switch (t) {
	case '0': case '7': return 'f';
	case '1': return 'h';
	case '2': return 'l';
	case '3': return 'c';
	case '4': return 'b';
	case '5': return 'd';
	case '6': return 'p';
	}
	return 'f';
}

/* the entry for tar header h, named name (taken) */
static struct ms_entry *
add_entry(struct ms_list *l, char *name, const struct tar_hdr *h)
{
	struct ms_entry *e = ms_list_add(l);

	e->name = name;
	e->type = ms_type(h->type);
	e->mode = h->mode;
	e->uid = h->uid;
	e->gid = h->gid;
	e->mtime = h->mtime;
	e->nsec = h->mtime_nsec;
	e->size = e->type == 'f' ? h->size : 0;
	e->major = h->devmajor;
	e->minor = h->devminor;
	e->off = h->offset;
	if (e->type == 'l' || e->type == 'h')
		e->link = e->type == 'h' ? normalize(h->linkname) : xstrdup(h->linkname);
	return e;
}

/* anything after the end-of-archive blocks must be zeros */
static int
trailing_zeros(struct gz_reader *gz, const char *file)
{
	for (;;) {
		char buf[4096];
		ssize_t n = gz_read(gz, buf, sizeof buf);
		if (n < 0)
			return RC_DATA;
		if (n == 0)
			return RC_OK;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i]) {
				warn_off(RC_DATA, file, gz->in_off, "data after the end of the tar archive");
				return RC_DATA;
			}
	}
}

int
ms_scan(const char *file, struct ms_archive *a, ms_entry_fn on_entry, void *ctx,
	int quiet)
{
	struct gz_reader gz;
	struct tar_reader r;
	struct progress p;
	struct stat st;
	int fd, rc = RC_OK, k, named = 0;
	char *last = NULL;

	memset(a, 0, sizeof *a);
	if ((fd = open_ro(file)) < 0)
		return RC_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		warn_rc(RC_DATA, "%s: not a regular file", file);
		close(fd);
		return RC_DATA;
	}
	if ((rc = gz_reader_init(&gz, fd, file, GZ_GZIP)) != RC_OK) {
		close(fd);
		return rc;
	}
	progress_init(&p, "reading", "B", (uint64_t)st.st_size, quiet);
	tar_reader_init(&r, tar_from_gz, &gz, file);
	while ((k = tar_read_next(&r)) > 0) {
		char *name = normalize(r.h.name);
		struct ms_entry *e;

		progress_update(&p, gz.in_off);
		if (strcmp(name, MS_MANIFEST) == 0 || strcmp(name, MS_MANIFEST_SUM) == 0) {
			int m = name[strlen(name) - 1] == 'T';
			free(last);
			last = name;
			rc = m ? slurp(&r, &a->manifest, &a->manifest_len)
			       : slurp(&r, &a->sum, &a->sum_len);
			if (rc != RC_OK) {
				if (r.left > 0) {
					warn_rc(RC_DATA, "%s: damaged data in entry '%s'", file, last);
					named = 1;
				}
				break;
			}
			continue;
		}
		if (strcmp(name, MS_DIR) == 0 && r.h.type == '5') {
			free(name);
			continue;
		}
		e = add_entry(&a->entries, name, &r.h);
		free(last);
		last = xstrdup(e->name);
		rc = (on_entry ? on_entry : hash_entry)(ctx, e, &r);
		if (rc != RC_OK) {
			/* other failures were reported by on_entry itself */
			if (rc == MS_DAMAGED) {
				warn_rc(RC_DATA, "%s: damaged data in entry '%s' (nothing after "
					"it can be read)", file, ms_show(last));
				rc = RC_DATA;
			}
			named = 1;
			break;
		}
	}
	if (k == 0) {
		rc = trailing_zeros(&gz, file);
	} else {
		if (k < 0)
			rc = err_status() ? err_status() : RC_DATA;
		if (rc == RC_DATA && last && !named)
			warn_rc(RC_DATA, "%s: damaged data after entry '%s' (nothing "
				"after it can be read)", file, ms_show(last));
	}
	a->bytes = r.off;
	free(last);
	tar_reader_free(&r);
	gz_reader_free(&gz);
	close(fd);
	progress_clear();
	return rc;
}

int
ms_check_manifest(const char *file, struct ms_archive *a, struct ms_list *m)
{
	uint8_t d[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];
	struct ms_entry **x, **y;
	size_t i = 0, j = 0;
	int rc = RC_OK;

	if (!a->manifest) {
		warn_rc(RC_DATA, "%s: not a metasnap archive (no %s member)", file,
			MS_MANIFEST);
		return RC_DATA;
	}
	sha256_buf(a->manifest, a->manifest_len, d);
	sha256_hex(d, hex);
	if (!a->sum || a->sum_len < 2 * SHA256_LEN ||
	    memcmp(a->sum, hex, 2 * SHA256_LEN) != 0) {
		warn_rc(RC_DIFF, "%s: %s does not match %s", file, MS_MANIFEST,
			a->sum ? MS_MANIFEST_SUM : "(missing " MS_MANIFEST_SUM ")");
		rc = RC_DIFF;
	}
	if (ms_manifest_parse(file, a->manifest, a->manifest_len, m) != RC_OK)
		return RC_DATA;
	x = ms_sorted(&a->entries);
	y = ms_sorted(m);
	while (i < a->entries.n || j < m->n) {
		int c = i == a->entries.n ? 1 : j == m->n ? -1 : strcmp(x[i]->name, y[j]->name);

		if (c < 0) {
			warn_rc(RC_DIFF, "%s: %s: in the archive but not in the manifest", file,
				ms_show(x[i]->name));
			rc = RC_DIFF;
			i++;
		} else if (c > 0) {
			warn_rc(RC_DIFF, "%s: %s: in the manifest but missing from the archive",
				file, ms_show(y[j]->name));
			rc = RC_DIFF;
			j++;
		} else {
			char *what = ms_compare(x[i], y[j], 1);

			if (i + 1 < a->entries.n && strcmp(x[i]->name, x[i + 1]->name) == 0) {
				warn_rc(RC_DIFF, "%s: %s: stored twice", file, ms_show(x[i]->name));
				rc = RC_DIFF;
			} else if (what || (x[i]->type == 'f' && !y[j]->has_sha)) {
				warn_rc(RC_DIFF, "%s: %s: %s differs from the manifest", file,
					ms_show(x[i]->name), what ? what : "content");
				rc = RC_DIFF;
			}
			free(what);
			i++;
			j++;
		}
	}
	free(x);
	free(y);
	return rc;
}
