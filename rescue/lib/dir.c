/* dir.c: see dir.h. */
#include "lib/dir.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
dir_open(int dfd, const char *name)
{
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read every name of d into *v; 0, or -1 with errno on a read error. */
static int
read_names(DIR *d, char ***v, size_t *n)
{
	size_t cap = 0;
	struct dirent *de;

	xgrow((void **)v, &cap, 1, sizeof **v);
	(*v)[0] = NULL;
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		xgrow((void **)v, &cap, *n + 2, sizeof **v);
		(*v)[(*n)++] = xstrdup(de->d_name);
		(*v)[*n] = NULL;
	}
	return errno ? -1 : 0;
}

char **
dir_names(int fd, size_t *n)
{
	/* a DIR of its own, so that closedir does not close fd */
	int dup_fd = dup(fd), err;
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	char **v = NULL;

	*n = 0;
	if (!d) {
		err = errno;
		if (dup_fd >= 0)
			close(dup_fd);
		errno = err;
		return NULL;
	}
	rewinddir(d);
	if (read_names(d, &v, n) != 0) {
		err = errno;
		closedir(d);
		dir_names_free(v);
		*n = 0;
		errno = err;
		return NULL;
	}
	closedir(d);
	qsort(v, *n, sizeof *v, cmp_name);
	return v;
}

void
dir_names_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static char *
join(const char *rel, const char *name)
{
	size_t a = strlen(rel), b = strlen(name);
	char *s = xmalloc(a + b + 2);

	memcpy(s, rel, a);
	s[a] = '/';
	memcpy(a ? s + a + 1 : s, name, b + 1);
	return s;
}

static int walk(const struct dir_walk *w, int fd, const char *rel, int depth);

/* Enter the directory e (fn accepted it). */
static int
descend(const struct dir_walk *w, const struct dir_ent *e, int depth)
{
	int sub = dir_open(e->dfd, e->name), rc;

	if (sub < 0) {
		warn_sys(RC_IO, "%s/%s", w->top, e->rel);
		return RC_IO;
	}
	if (w->max_depth && depth > w->max_depth) {
		warn_rc(RC_DATA, "%s/%s: directories nested too deep", w->top, e->rel);
		rc = RC_DATA;
	} else {
		rc = walk(w, sub, e->rel, depth + 1);
	}
	close(sub);
	return rc;
}

/* Look at one name: stat it, read a link, hand it to fn, enter a directory. */
static int
visit(const struct dir_walk *w, struct dir_ent *e, int depth)
{
	char buf[PATH_MAX + 1];
	int rc;

	if (w->max_path && strlen(e->rel) > w->max_path) {
		warn_rc(RC_DATA, "%s/%s: path longer than %zu bytes", w->top, e->rel, w->max_path);
		return RC_DATA;
	}
	if (fstatat(e->dfd, e->name, &e->st, AT_SYMLINK_NOFOLLOW) != 0) {
		warn_sys(RC_IO, "%s/%s", w->top, e->rel);
		return RC_IO;
	}
	if (S_ISLNK(e->st.st_mode)) {
		ssize_t k = readlinkat(e->dfd, e->name, buf, sizeof buf);

		if (k < 0 || (size_t)k >= sizeof buf) {
			warn_sys(RC_IO, "%s/%s: readlink", w->top, e->rel);
			return RC_IO;
		}
		buf[k] = 0;
		e->link = buf;
	}
	rc = w->fn(w, e);
	if (rc == DIR_SKIP)
		return RC_OK;
	if (rc == RC_OK && S_ISDIR(e->st.st_mode))
		rc = descend(w, e, depth);
	return rc;
}

static int
walk(const struct dir_walk *w, int fd, const char *rel, int depth)
{
	size_t n;
	char **names = dir_names(fd, &n);
	int rc = RC_OK;

	if (!names) {
		if (*rel)
			warn_sys(RC_IO, "%s/%s", w->top, rel);
		else
			warn_sys(RC_IO, "%s", w->top);
		return RC_IO;
	}
	for (size_t i = 0; i < n && rc == RC_OK; i++) {
		struct dir_ent e = { .dfd = fd, .name = names[i] };
		char *path = join(rel, names[i]);

		e.rel = path;
		rc = visit(w, &e, depth);
		free(path);
	}
	dir_names_free(names);
	return rc;
}

int
dir_walk(const struct dir_walk *w, int fd)
{
	return walk(w, fd, "", 0);
}
