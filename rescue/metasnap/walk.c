/* walk.c: list a directory tree for metasnap (save and diff) without
 * following symlinks (lib/dir's walker: openat(O_NOFOLLOW) from the top
 * directory's fd, names sorted bytewise within each directory, depth first);
 * hard links found by (st_dev, st_ino); and read a file's data, checking it did not change. */
#include "metasnap/metasnap.h"
#include "lib/dir.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAX_PATH 4096

void
ms_list_free(struct ms_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].link);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

struct ms_entry *
ms_list_add(struct ms_list *l)
{
	return xappend((void **)&l->v, &l->n, &l->cap, sizeof *l->v);
}

static int
cmp_entry(const void *x, const void *y)
{
	return strcmp((*(struct ms_entry *const *)x)->name,
		      (*(struct ms_entry *const *)y)->name);
}

struct ms_entry **
ms_sorted(struct ms_list *l)
{
	struct ms_entry **v = xcalloc(l->n + 1, sizeof *v);

	for (size_t i = 0; i < l->n; i++)
		v[i] = &l->v[i];
	qsort(v, l->n, sizeof *v, cmp_entry);
	return v;
}

/* Fill e from st; returns 0, or 1 for a type metasnap does not keep. */
static int
from_stat(struct ms_entry *e, const struct stat *st)
{
	switch (st->st_mode & S_IFMT) {
	case S_IFREG: e->type = 'f'; e->size = (uint64_t)st->st_size; break;
	case S_IFDIR: e->type = 'd'; break;
	case S_IFLNK: e->type = 'l'; break;
	case S_IFCHR: e->type = 'c'; break;
	case S_IFBLK: e->type = 'b'; break;
	case S_IFIFO: e->type = 'p'; break;
	default: return 1;
	}
	e->mode = st->st_mode & 07777;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->mtime = st->st_mtim.tv_sec;
	e->nsec = (uint32_t)st->st_mtim.tv_nsec;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->nlink = st->st_nlink;
	if (e->type == 'c' || e->type == 'b') {
		e->major = major(st->st_rdev);
		e->minor = minor(st->st_rdev);
	}
	return 0;
}

/* dir_walk's callback: keep the entry in the list (ctx). */
static int
keep(const struct dir_walk *w, const struct dir_ent *d)
{
	struct ms_list *l = w->ctx;
	struct ms_entry *e = ms_list_add(l);

	if (from_stat(e, &d->st) != 0) {
		note("%s/%s: socket or unknown file type skipped", w->top, d->rel);
		l->n--;
		return DIR_SKIP;
	}
	e->name = xstrdup(d->rel);
	if (d->link)
		e->link = xstrdup(d->link);
	return RC_OK;
}

struct link_key {
	dev_t dev;
	ino_t ino;
	size_t idx;
};

static int
cmp_link(const void *a, const void *b)
{
	const struct link_key *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The first name of a multiply linked file (in walk order) keeps the data;
 * the others become hard links to it, as tar stores them. */
static void
mark_links(struct ms_list *l)
{
	struct link_key *k = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].type != 'd' && l->v[i].type != 'l' && l->v[i].nlink > 1) {
			xgrow((void **)&k, &cap, n + 1, sizeof *k);
			k[n].dev = l->v[i].dev;
			k[n].ino = l->v[i].ino;
			k[n++].idx = i;
		}
	}
	if (n)
		qsort(k, n, sizeof *k, cmp_link);
	for (size_t i = 0, first = 0; i < n; i++) {
		struct ms_entry *e = &l->v[k[i].idx];

		if (i == 0 || k[i].dev != k[i - 1].dev || k[i].ino != k[i - 1].ino) {
			first = k[i].idx;
			continue;
		}
		e->type = 'h';
		e->size = 0;
		e->link = xstrdup(l->v[first].name);
	}
	free(k);
}

int
ms_walk(int rootfd, const char *dirname, struct ms_list *l)
{
	const struct dir_walk w = { dirname, MAX_PATH, 1000, keep, l };
	struct stat st;
	struct ms_entry *e;
	int rc;

	if (fstat(rootfd, &st) != 0) {
		warn_sys(RC_IO, "%s", dirname);
		return RC_IO;
	}
	e = ms_list_add(l);
	from_stat(e, &st);
	e->name = xstrdup(".");
	rc = dir_walk(&w, rootfd);
	if (rc == RC_OK)
		mark_links(l);
	return rc;
}

int
ms_read_file(int rootfd, const char *dirname, struct ms_entry *e, ms_chunk_fn cb,
	     void *ctx)
{
	static uint8_t buf[1 << 20];
	/* not const: a const array would put 1 MiB of zeros into the binary */
	static uint8_t zero[1 << 20];
	struct sha256 s;
	struct stat st, st2;
	uint64_t left = e->size, pos = 0;
	int fd = openat(rootfd, e->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	int rc = RC_OK;

	if (fd < 0) {
		warn_sys(RC_IO, "%s/%s", dirname, e->name);
		return RC_IO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_ino != e->ino ||
	    st.st_dev != e->dev || (uint64_t)st.st_size != e->size) {
		warn_rc(RC_IO, "%s/%s: file changed while being read (stop the service, "
			"then try again)", dirname, e->name);
		close(fd);
		return RC_IO;
	}
	sha256_init(&s);
	while (left) {
		size_t want = left > sizeof buf ? sizeof buf : (size_t)left;
		off_t data = lseek(fd, (off_t)pos, SEEK_DATA);
		const uint8_t *chunk = buf;
		ssize_t k;

		/* a hole (or the end of a sparse file): zeros without reading */
		if ((data < 0 && errno == ENXIO) || (data > 0 && (uint64_t)data > pos)) {
			uint64_t hole = data < 0 ? left : (uint64_t)data - pos;
			if (want > hole)
				want = (size_t)hole;
			chunk = zero;
		} else {
			off_t end = lseek(fd, (off_t)pos, SEEK_HOLE);
			if (end > 0 && (uint64_t)end > pos && (uint64_t)end - pos < want)
				want = (size_t)((uint64_t)end - pos);
			k = pread_full(fd, buf, want, pos);
			if (k < 0) {
				warn_sys(RC_IO, "%s/%s", dirname, e->name);
				rc = RC_IO;
				goto out;
			}
			if ((size_t)k < want) {
				warn_rc(RC_IO, "%s/%s: file shrank while being read (stop the "
					"service, then try again)", dirname, e->name);
				rc = RC_IO;
				goto out;
			}
		}
		sha256_update(&s, chunk, want);
		if (cb && (rc = cb(ctx, chunk, want)) != RC_OK)
			goto out;
		left -= want;
		pos += want;
	}
	if (pread(fd, buf, 1, (off_t)pos) != 0 || fstat(fd, &st2) != 0 ||
	    st2.st_mtim.tv_sec != st.st_mtim.tv_sec ||
	    st2.st_mtim.tv_nsec != st.st_mtim.tv_nsec) {
		warn_rc(RC_IO, "%s/%s: file changed while being read (stop the service, "
			"then try again)", dirname, e->name);
		rc = RC_IO;
		goto out;
	}
	sha256_final(&s, e->sha);
	e->has_sha = 1;
out:
	close(fd);
	return rc;
}
