/* tree.c: sorted directory walk for the archive writers (see tree.h). */
#include "lib/tree.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <dirent.h>
#include <stdint.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tree_ent *
tree_add(struct tree *t)
{
	struct tree_ent *e;

	xgrow((void **)&t->e, &t->cap, t->n + 1, sizeof *t->e);
	e = &t->e[t->n++];
	memset(e, 0, sizeof *e);
	return e;
}

static int
scan(struct tree *t, const char *top, const char *rel)
{
	char path[PATH_MAX], name[PATH_MAX];
	struct dirent *d;
	DIR *dir;
	int rc = RC_OK;

	if (snprintf(path, sizeof path, "%s%s%s", top, *rel ? "/" : "", rel) >=
	    (int)sizeof path) {
		warn_rc(RC_DATA, "%s/%s: path too long", top, rel);
		return RC_DATA;
	}
	dir = opendir(path);
	if (!dir) {
		warn_sys(RC_IO, "%s", path);
		return RC_IO;
	}
	while (rc == RC_OK && (errno = 0, d = readdir(dir))) {
		struct tree_ent *e;
		char full[PATH_MAX];

		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (snprintf(name, sizeof name, "%s%s%s", rel, *rel ? "/" : "",
			     d->d_name) >= (int)sizeof name ||
		    snprintf(full, sizeof full, "%s/%s", top, name) >= (int)sizeof full) {
			warn_rc(RC_DATA, "%s/%s: path too long", path, d->d_name);
			rc = RC_DATA;
			break;
		}
		e = tree_add(t);
		e->src = top;
		if (lstat(full, &e->st) != 0) {
			warn_sys(RC_IO, "%s", full);
			t->n--;
			rc = RC_IO;
			break;
		}
		/* archives are reproducible: owner 0:0 whoever built the tree */
		e->st.st_uid = 0;
		e->st.st_gid = 0;
		e->name = xstrdup(name);
		e->path = xstrdup(full);
		if (S_ISLNK(e->st.st_mode)) {
			char target[PATH_MAX];
			ssize_t k = readlink(full, target, sizeof target - 1);

			if (k < 0) {
				warn_sys(RC_IO, "%s", full);
				rc = RC_IO;
				break;
			}
			target[k] = 0;
			e->link = xstrdup(target);
		} else if (S_ISDIR(e->st.st_mode)) {
			rc = scan(t, top, name);
		}
	}
	if (rc == RC_OK && errno) {
		warn_sys(RC_IO, "%s", path);
		rc = RC_IO;
	}
	closedir(dir);
	return rc;
}

int
tree_scan(struct tree *t, const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		warn_sys(RC_IO, "%s", dir);
		return RC_IO;
	}
	if (!S_ISDIR(st.st_mode)) {
		warn_rc(RC_USAGE, "%s: not a directory", dir);
		return RC_USAGE;
	}
	return scan(t, dir, "");
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
