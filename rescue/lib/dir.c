/* dir.c: see dir.h. */
#include "lib/dir.h"
#include "lib/xio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
