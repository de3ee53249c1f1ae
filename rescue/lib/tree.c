/* tree.c: sorted directory walk for the archive writers (see tree.h), on
 * lib/dir's walker (by directory fd, never through a symlink). */
#include "lib/tree.h"
#include "lib/dir.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tree_ent *
tree_add(struct tree *t)
{
	return xappend((void **)&t->e, &t->n, &t->cap, sizeof *t->e);
}

/* dir_walk's callback: add the entry to the tree (ctx). */
static int
add(const struct dir_walk *w, const struct dir_ent *d)
{
	struct tree_ent *e;
	char full[PATH_MAX];

	if (snprintf(full, sizeof full, "%s/%s", w->top, d->rel) >= (int)sizeof full) {
		warn_rc(RC_DATA, "%s/%s: path too long", w->top, d->rel);
		return RC_DATA;
	}
	e = tree_add(w->ctx);
	e->src = w->top;
	e->st = d->st;
	/* archives are reproducible: owner 0:0 whoever built the tree */
	e->st.st_uid = 0;
	e->st.st_gid = 0;
	e->name = xstrdup(d->rel);
	e->path = xstrdup(full);
	if (d->link)
		e->link = xstrdup(d->link);
	return RC_OK;
}

int
tree_scan(struct tree *t, const char *dir)
{
	const struct dir_walk w = { dir, 0, 0, add, t };
	struct stat st;
	int fd, rc;

	if (stat(dir, &st) != 0) {
		warn_sys(RC_IO, "%s", dir);
		return RC_IO;
	}
	if (!S_ISDIR(st.st_mode)) {
		warn_rc(RC_USAGE, "%s: not a directory", dir);
		return RC_USAGE;
	}
	/* the top may be a symlink (as stat above); nothing below it is followed */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		warn_sys(RC_IO, "%s", dir);
		return RC_IO;
	}
	rc = dir_walk(&w, fd);
	close(fd);
	return rc;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct tree_ent *)a)->name,
		      ((const struct tree_ent *)b)->name);
}

void
tree_sort(struct tree *t)
{
	if (t->n)
		qsort(t->e, t->n, sizeof *t->e, by_name);
}

void
tree_free(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].name);
		free(t->e[i].path);
		free(t->e[i].link);
	}
	free(t->e);
	memset(t, 0, sizeof *t);
}

int
tree_copy(const struct tree_ent *e, int (*fn)(void *ctx, const void *buf, size_t n),
	  void *ctx)
{
	static char buf[65536];
	uint64_t left = (uint64_t)e->st.st_size;
	int fd = open_ro(e->path), rc = RC_OK;

	if (fd < 0)
		return RC_IO;
	while (left) {
		ssize_t k = read_full(fd, buf, left < sizeof buf ? left : sizeof buf);

		if (k <= 0) {
			if (k < 0)
				warn_sys(RC_IO, "%s", e->path);
			else
				warn_rc(RC_IO, "%s: file shrank while being archived", e->path);
			rc = RC_IO;
			goto out;
		}
		if (fn(ctx, buf, (size_t)k) != 0) {
			warn_sys(RC_IO, "write error");
			rc = RC_IO;
			goto out;
		}
		left -= (uint64_t)k;
	}
	if (read_full(fd, buf, 1) != 0) {
		warn_rc(RC_IO, "%s: file grew while being archived", e->path);
		rc = RC_IO;
	}
out:
	close(fd);
	return rc;
}
