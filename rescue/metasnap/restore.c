/* restore.c: metasnap restore FILE DIR.  Everything is created relative to
 * directory fds opened with O_NOFOLLOW, so no symlink (in the archive or in
 * DIR) is ever followed; absolute names, "..", and symlinks or hard links
 * that lead outside DIR are refused.  The archive is extracted into a fresh
 * temporary directory, every entry is checked against the MANIFEST, and only
 * then is the result moved into place: a failure leaves DIR as it was.
 * Runs of zero bytes in file data become holes (sparse files). */
#include "metasnap/metasnap.h"
#include "lib/err.h"
#include "lib/opt.h"
#include "lib/progress.h"
#include "lib/xio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define HOLE 16384

/* Set by SIGINT/SIGTERM/SIGHUP: the extraction stops, the temporary
 * directory is removed, then the signal is raised again. */
static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	interrupted = sig;
}

static void
catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
}

static void
reraise(void)
{
	if (interrupted) {
		signal(interrupted, SIG_DFL);
		raise(interrupted);
	}
}

static int
stop_now(void)
{
	if (interrupted)
		warn_rc(RC_IO, "interrupted; nothing restored");
	return interrupted != 0;
}

struct dmeta {
	char *name;
	uint32_t mode;
	uint64_t uid, gid;
	struct timespec t;
};

struct rst {
	const char *file;
	int tmpfd;        /* the temporary top directory */
	int root;         /* running as root: owners and devices are restored */
	struct dmeta *dirs;
	size_t ndirs, capdirs;
	struct dmeta top; /* the "." entry */
	int has_top;
};

/* Check a relative name: no leading '/', no "." or ".." or empty parts. */
static int
name_ok(const char *n)
{
	const char *p = n;

	if (!*n || *n == '/')
		return 0;
	while (*p) {
		const char *s = strchr(p, '/');
		size_t len = s ? (size_t)(s - p) : strlen(p);

		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += len;
		if (*p == '/')
			p++;
	}
	return 1;
}

/* Open the directory that holds name (creating missing parents, 0700);
 * *base points at the last part.  -1 with errno (ELOOP/ENOTDIR = a symlink
 * or a non-directory in the way). */
static int
open_parent(int top, const char *name, const char **base, int create)
{
	char part[4097];
	const char *p = name, *s;
	int fd = dup(top);

	while (fd >= 0 && (s = strchr(p, '/'))) {
		size_t len = (size_t)(s - p);
		int sub;

		if (len >= sizeof part) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(part, p, len);
		part[len] = 0;
		sub = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, part, 0700) == 0 || errno == EEXIST)
				sub = openat(fd, part,
					     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		close(fd);
		fd = sub;
		p = s + 1;
	}
	*base = p;
	return fd;
}

/* 1 if a symlink at name with this target stays inside the top directory. */
static int
link_inside(const char *name, const char *target)
{
	long depth = 0;
	const char *p;

	if (target[0] == '/' || !target[0])
		return 0;
	for (p = name; (p = strchr(p, '/')); p++)
		depth++;
	for (p = target; *p;) {
		const char *s = strchr(p, '/');
		size_t len = s ? (size_t)(s - p) : strlen(p);

		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 0;
		} else if (len && !(len == 1 && p[0] == '.')) {
			depth++;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	return 1;
}

static int
all_zero(const uint8_t *b, size_t n)
{
	static const uint8_t z[HOLE];

	return n <= sizeof z && memcmp(b, z, n) == 0;
}

static int
write_file(struct rst *st, int dfd, const char *base, struct ms_entry *e,
	   struct tar_reader *r)
{
	static uint8_t buf[1 << 18];
	struct sha256 s;
	uint64_t pos = 0;
	ssize_t k;
	int fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0600);

	if (fd < 0) {
		if (errno == EEXIST) {
			warn_off(RC_DATA, st->file, e->off, "%s: stored twice", ms_show(e->name));
			return RC_DATA;
		}
		warn_sys(RC_IO, "%s: cannot create", ms_show(e->name));
		return RC_IO;
	}
	sha256_init(&s);
	while ((k = tar_read_data(r, buf, sizeof buf)) > 0) {
		if (stop_now()) {
			close(fd);
			return RC_IO;
		}
		sha256_update(&s, buf, (size_t)k);
		for (size_t i = 0; i < (size_t)k; i += HOLE) {
			size_t n = (size_t)k - i < HOLE ? (size_t)k - i : HOLE;

			if (all_zero(buf + i, n))
				continue;
			if (pwrite_full(fd, buf + i, n, pos + i) != 0) {
				warn_sys(RC_IO, "%s: write", ms_show(e->name));
				close(fd);
				return RC_IO;
			}
		}
		pos += (uint64_t)k;
	}
	if (k < 0) {
		close(fd);
		return RC_DATA;
	}
	sha256_final(&s, e->sha);
	e->has_sha = 1;
	if (ftruncate(fd, (off_t)pos) != 0 ||
	    (st->root && fchown(fd, (uid_t)e->uid, (gid_t)e->gid) != 0) ||
	    fchmod(fd, e->mode) != 0 ||
	    futimens(fd, (struct timespec[2]){ { e->mtime, e->nsec }, { e->mtime, e->nsec } }) != 0) {
		warn_sys(RC_IO, "%s", ms_show(e->name));
		close(fd);
		return RC_IO;
	}
	if (close(fd) != 0) {
		warn_sys(RC_IO, "%s", ms_show(e->name));
		return RC_IO;
	}
	return RC_OK;
}

static int
finish_node(struct rst *st, int dfd, const char *base, struct ms_entry *e)
{
	struct timespec t[2] = { { e->mtime, e->nsec }, { e->mtime, e->nsec } };

	if (st->root && fchownat(dfd, base, (uid_t)e->uid, (gid_t)e->gid,
				 AT_SYMLINK_NOFOLLOW) != 0)
		return -1;
	/* a fifo or device we have just made: fchmodat cannot meet a symlink */
	if (e->type != 'l' && fchmodat(dfd, base, e->mode, 0) != 0)
		return -1;
	return utimensat(dfd, base, t, AT_SYMLINK_NOFOLLOW);
}

static int
extract(void *ctx, struct ms_entry *e, struct tar_reader *r)
{
	struct rst *st = ctx;
	const char *base;
	int dfd, rc = RC_OK;

	if (stop_now())
		return RC_IO;
	if (strcmp(e->name, ".") == 0) {
		if (e->type != 'd') {
			warn_off(RC_REFUSED, st->file, e->off, "'.' is not a directory");
			return RC_REFUSED;
		}
		st->top = (struct dmeta){ NULL, e->mode, e->uid, e->gid, { e->mtime, e->nsec } };
		st->has_top = 1;
		return RC_OK;
	}
	if (!name_ok(e->name)) {
		warn_off(RC_REFUSED, st->file, e->off, "refusing unsafe name '%s'",
			 ms_show(e->name));
		return RC_REFUSED;
	}
	if (e->type == 'l' && !link_inside(e->name, e->link)) {
		warn_off(RC_REFUSED, st->file, e->off,
			 "refusing symlink '%s' -> '%s' that leads outside the directory",
			 ms_show(e->name), e->link);
		return RC_REFUSED;
	}
	if (e->type == 'h' && !name_ok(e->link)) {
		warn_off(RC_REFUSED, st->file, e->off,
			 "refusing hard link '%s' to unsafe name '%s'", ms_show(e->name),
			 e->link);
		return RC_REFUSED;
	}
	dfd = open_parent(st->tmpfd, e->name, &base, 1);
	if (dfd < 0) {
		if (errno == ELOOP || errno == ENOTDIR) {
			warn_off(RC_REFUSED, st->file, e->off,
				 "refusing '%s': its path goes through a symlink or a "
				 "non-directory", ms_show(e->name));
			return RC_REFUSED;
		}
		warn_sys(RC_IO, "%s", ms_show(e->name));
		return RC_IO;
	}
	switch (e->type) {
	case 'f':
		rc = write_file(st, dfd, base, e, r);
		break;
	case 'd':
		if (mkdirat(dfd, base, 0700) != 0) {
			struct stat sb;
			if (errno != EEXIST || fstatat(dfd, base, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
			    !S_ISDIR(sb.st_mode)) {
				warn_sys(RC_IO, "%s", ms_show(e->name));
				rc = RC_IO;
				break;
			}
		}
		xgrow((void **)&st->dirs, &st->capdirs, st->ndirs + 1, sizeof *st->dirs);
		st->dirs[st->ndirs++] = (struct dmeta){ xstrdup(e->name), e->mode, e->uid,
			e->gid, { e->mtime, e->nsec } };
		break;
	case 'l':
		if (symlinkat(e->link, dfd, base) != 0 || finish_node(st, dfd, base, e) != 0)
			goto sys;
		break;
	case 'h': {
		const char *tbase;
		int tfd = open_parent(st->tmpfd, e->link, &tbase, 0);
		int ok = tfd >= 0 && linkat(tfd, tbase, dfd, base, 0) == 0;

		if (tfd >= 0)
			close(tfd);
		if (!ok) {
			warn_sys(RC_DATA, "%s: hard link to '%s'", ms_show(e->name),
				 ms_show(e->link));
			rc = RC_DATA;
		}
		break;
	}
	case 'c':
	case 'b':
	case 'p': {
		mode_t m = e->type == 'p' ? S_IFIFO : e->type == 'c' ? S_IFCHR : S_IFBLK;
		if (mknodat(dfd, base, m | 0600, makedev(e->major, e->minor)) != 0 ||
		    finish_node(st, dfd, base, e) != 0)
			goto sys;
		break;
	}
	}
	close(dfd);
	return rc;
sys:
	warn_sys(RC_IO, "%s", ms_show(e->name));
	close(dfd);
	return RC_IO;
}

static int
set_dir(int fd, const struct dmeta *d, int root)
{
	struct timespec t[2] = { d->t, d->t };

	if (root && fchown(fd, (uid_t)d->uid, (gid_t)d->gid) != 0)
		return -1;
	if (fchmod(fd, d->mode) != 0)
		return -1;
	return futimens(fd, t);
}

/* Directory owners, modes and times, deepest first (after their content). */
static int
finish_dirs(struct rst *st)
{
	for (size_t i = st->ndirs; i-- > 0;) {
		const char *base;
		int p = open_parent(st->tmpfd, st->dirs[i].name, &base, 0), fd = -1;

		if (p >= 0)
			fd = openat(p, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || set_dir(fd, &st->dirs[i], st->root) != 0) {
			warn_sys(RC_IO, "%s", ms_show(st->dirs[i].name));
			if (p >= 0)
				close(p);
			if (fd >= 0)
				close(fd);
			return RC_IO;
		}
		close(fd);
		close(p);
	}
	return RC_OK;
}

/* Remove a tree made by us (never follows symlinks). */
static void
rm_tree(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	if (fd < 0) {
		unlinkat(dfd, name, 0);
		return;
	}
	fchmod(fd, 0700);
	if (!(d = fdopendir(fd))) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rm_tree(fd, de->d_name);
	closedir(d);
	unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Names in a directory, except skip; NULL-terminated, malloc'd. */
static char **
list_dir(int fd, const char *skip, size_t *n)
{
	char **v = NULL;
	size_t cap = 0;
	int dup_fd = dup(fd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	struct dirent *de;

	*n = 0;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return NULL;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (skip && !strcmp(de->d_name, skip)))
			continue;
		xgrow((void **)&v, &cap, *n + 2, sizeof *v);
		v[(*n)++] = xstrdup(de->d_name);
		v[*n] = NULL;
	}
	closedir(d);
	return v;
}

static void
free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Move every entry (but skip) from one directory fd to another. */
static int
move_all(int from, int to, const char *skip, const char *what)
{
	size_t n;
	char **v = list_dir(from, skip, &n);

	for (size_t i = 0; i < n; i++) {
		if (renameat(from, v[i], to, v[i]) != 0) {
			warn_sys(RC_IO, "%s: moving '%s'", what, v[i]);
			free_names(v, n);
			return RC_IO;
		}
	}
	free_names(v, n);
	return RC_OK;
}

static char *
parent_of(const char *path, const char **base)
{
	char *d = xstrdup(path), *slash;
	size_t n = strlen(d);

	while (n > 1 && d[n - 1] == '/')
		d[--n] = 0;
	slash = strrchr(d, '/');
	if (!slash) {
		*base = path;
		free(d);
		return xstrdup(".");
	}
	*base = path + (slash - d) + 1;
	if (slash == d)
		slash[1] = 0;
	else
		*slash = 0;
	return d;
}

int
ms_restore(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "force", no_argument, 0, 'f' }, { "quiet", no_argument, 0, 'q' },
		OPT_COMMON, { 0, 0, 0, 0 },
	};
	const char *pos[2] = { 0 }, *base;
	struct rst st;
	struct ms_archive a;
	struct ms_list m = { 0 };
	struct stat sb;
	char tmpname[64], *parent, *basecopy;
	int c, n = 0, force = 0, quiet = 0, exists, pfd, dirfd = -1, holder, rc;
	size_t nold = 0;

	for (;;) {
		while ((c = opt_next(argc, argv, "+:fqh", longs, ms_usage)) != -1) {
			if (c == 'f')
				force = 1;
			else if (c == 'q')
				quiet = 1;
		}
		if (optind >= argc)
			break;
		if (n >= 2)
			die_usage("unexpected argument '%s'", argv[optind]);
		else
			pos[n] = argv[optind];
		n++;
		optind++;
	}
	if (n < 2)
		die_usage("missing %s", n ? "DIR" : "FILE");
	memset(&st, 0, sizeof st);
	st.file = pos[0];
	st.root = geteuid() == 0;
	{
		int afd = open_ro(pos[0]);
		if (afd < 0)
			return RC_IO;
		close(afd);
	}
	exists = lstat(pos[1], &sb) == 0;
	if (!exists && errno != ENOENT)
		die_sys(RC_IO, "%s", pos[1]);
	if (exists && S_ISLNK(sb.st_mode))
		die_msg(RC_REFUSED, "%s: is a symlink; give the real directory", pos[1]);
	if (exists && !S_ISDIR(sb.st_mode))
		die_msg(RC_REFUSED, "%s: exists and is not a directory", pos[1]);
	parent = parent_of(pos[1], &base);
	basecopy = xstrdup(base);
	{
		size_t bl = strlen(basecopy);
		while (bl > 1 && basecopy[bl - 1] == '/')
			basecopy[--bl] = 0;
	}
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		die_sys(RC_IO, "%s", parent);
	if (exists) {
		char **old;
		dirfd = open(pos[1], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dirfd < 0)
			die_sys(RC_IO, "%s", pos[1]);
		old = list_dir(dirfd, NULL, &nold);
		free_names(old, nold);
		if (nold && !force)
			die_msg(RC_REFUSED, "%s: not empty; not overwritten (use --force; the "
				"current content is then kept in %s.old.PID)", pos[1], pos[1]);
		/* inside DIR: the same file system even when DIR is a mount point */
		holder = dirfd;
		snprintf(tmpname, sizeof tmpname, ".metasnap.tmp.%ld", (long)getpid());
	} else {
		holder = pfd;
		snprintf(tmpname, sizeof tmpname, "%.40s.tmp.%ld", basecopy, (long)getpid());
	}
	catch_signals();
	if (mkdirat(holder, tmpname, 0700) != 0)
		die_sys(RC_IO, "%s: cannot create %s", pos[1], tmpname);
	st.tmpfd = openat(holder, tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (st.tmpfd < 0) {
		warn_sys(RC_IO, "%s", tmpname);
		rc = RC_IO;
		goto fail;
	}
	rc = ms_scan(pos[0], &a, extract, &st, quiet);
	if (rc == RC_OK) {
		rc = ms_check_manifest(pos[0], &a, &m);
		if (rc == RC_DIFF)
			warn_rc(RC_DATA, "%s: archive does not match its manifest; nothing "
				"restored", pos[0]);
		if (rc != RC_OK)
			rc = RC_DATA;
	}
	if (rc == RC_OK)
		rc = finish_dirs(&st);
	if (rc == RC_OK && syncfs(st.tmpfd) != 0) {
		warn_sys(RC_IO, "%s: sync", pos[1]);
		rc = RC_IO;
	}
	if (rc == RC_OK && stop_now())
		rc = RC_IO;
	if (rc != RC_OK)
		goto fail;
	if (!exists) {
		if ((st.has_top && set_dir(st.tmpfd, &st.top, st.root) != 0) ||
		    renameat(pfd, tmpname, pfd, basecopy) != 0) {
			warn_sys(RC_IO, "%s", pos[1]);
			rc = RC_IO;
			goto fail;
		}
	} else {
		if (nold) {
			/* keep what was there: a sibling DIR.old.PID, or inside DIR
			 * when DIR is a mount point (rename cannot cross) */
			char oldname[96];
			int ofd, inside = 0;

			snprintf(oldname, sizeof oldname, "%.40s.old.%ld", basecopy, (long)getpid());
			if (mkdirat(pfd, oldname, 0700) != 0)
				goto sysfail;
			ofd = openat(pfd, oldname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (ofd < 0)
				goto sysfail;
			{
				struct stat a1, b1;
				if (fstat(ofd, &a1) == 0 && fstat(dirfd, &b1) == 0 &&
				    a1.st_dev != b1.st_dev) {
					close(ofd);
					unlinkat(pfd, oldname, AT_REMOVEDIR);
					snprintf(oldname, sizeof oldname, ".metasnap.old.%ld",
						 (long)getpid());
					if (mkdirat(dirfd, oldname, 0700) != 0)
						goto sysfail;
					ofd = openat(dirfd, oldname,
						     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
					if (ofd < 0)
						goto sysfail;
					inside = 1;
				}
			}
			{
				char skip2[96];
				snprintf(skip2, sizeof skip2, "%s", inside ? oldname : tmpname);
				/* move everything except our two directories */
				size_t k;
				char **v = list_dir(dirfd, NULL, &k);
				for (size_t i = 0; i < k; i++) {
					if (!strcmp(v[i], tmpname) || !strcmp(v[i], skip2))
						continue;
					if (renameat(dirfd, v[i], ofd, v[i]) != 0) {
						warn_sys(RC_IO, "%s: moving '%s' aside", pos[1], v[i]);
						free_names(v, k);
						close(ofd);
						rc = RC_IO;
						goto fail;
					}
				}
				free_names(v, k);
			}
			close(ofd);
			note("%s: previous content kept in %s%s%s", pos[1],
			     inside ? pos[1] : parent, "/", oldname);
		}
		if ((rc = move_all(st.tmpfd, dirfd, NULL, pos[1])) != RC_OK)
			goto fail;
		if (unlinkat(dirfd, tmpname, AT_REMOVEDIR) != 0 ||
		    (st.has_top && set_dir(dirfd, &st.top, st.root) != 0))
			goto sysfail;
	}
	if (fd_sync(exists ? dirfd : pfd) != 0)
		goto sysfail;
	{
		struct progress p;
		progress_init(&p, "", "B", 0, quiet);
		progress_done(&p, "restored %zu entries from %s into %s", a.entries.n, pos[0],
			      pos[1]);
	}
	ms_archive_free(&a);
	ms_list_free(&m);
	for (size_t i = 0; i < st.ndirs; i++)
		free(st.dirs[i].name);
	free(st.dirs);
	close(st.tmpfd);
	close(pfd);
	if (dirfd >= 0)
		close(dirfd);
	free(parent);
	free(basecopy);
	reraise();
	return RC_OK;
sysfail:
	warn_sys(RC_IO, "%s", pos[1]);
	rc = RC_IO;
fail:
	rm_tree(holder, tmpname);
	reraise();
	return rc;
}
