/* restore.c: metasnap restore FILE DIR.  Every entry is created relative to
 * the temporary top directory's fd, one path component at a time with
 * O_NOFOLLOW (after openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS where the
 * kernel has it), so no symlink, from the archive or not, is ever followed;
 * symlinks are written as plain data, whatever their target.  Absolute names,
 * "." and "..", paths through a symlink or a non-directory, hard links to
 * missing entries or directories, and device nodes (unless --devices) are
 * refused.  Every entry is checked against the MANIFEST before place.c puts
 * the tree in place atomically: a failure leaves DIR as it was.
 * Runs of zero bytes in file data become holes (sparse files). */
#include "metasnap/metasnap.h"
#include "lib/atomic.h"
#include "lib/err.h"
#include "lib/opt.h"
#include "lib/progress.h"
#include "lib/xio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HOLE 16384

/* A SIGINT/SIGTERM/SIGHUP stops the extraction (stop_now), the temporary
 * directory is removed, then the signal is raised again (atomic_reraise):
 * atomic_defer_signals() in lib/atomic. */
static int
stop_now(void)
{
	int sig = atomic_interrupted();

	if (sig)
		warn_rc(RC_IO, "interrupted; nothing restored");
	return sig != 0;
}

struct dmeta {
	char *name;
	struct ms_top t;
};

struct rst {
	const char *file;
	int tmpfd;        /* the temporary top directory */
	int root;         /* running as root: owners are restored */
	int devices;      /* --devices: device nodes are created */
	int mount;        /* DIR is a mount point: our names are inside it */
	struct dmeta *dirs;
	size_t ndirs, capdirs;
	struct ms_top top; /* the "." entry */
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

/* openat2(2) arguments (<linux/openat2.h>), kept here so that the build
 * does not depend on the headers having them. */
struct how {
	uint64_t flags, mode, resolve;
};
#define RESOLVE_NO_XDEV_ 0x01
#define RESOLVE_NO_MAGICLINKS_ 0x02
#define RESOLVE_NO_SYMLINKS_ 0x04
#define RESOLVE_BENEATH_ 0x08

/* The directory path (len bytes of name) opened by the kernel with no
 * symlink, no "..", no mount crossing; -2 when the kernel has no openat2. */
static int
open_beneath(int top, const char *name, size_t len)
{
	static int missing;
	struct how how = { O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0,
		RESOLVE_BENEATH_ | RESOLVE_NO_SYMLINKS_ | RESOLVE_NO_MAGICLINKS_ |
		RESOLVE_NO_XDEV_ };
	char path[4097];
	long fd;

	if (missing || len >= sizeof path)
		return -2;
	memcpy(path, name, len);
	path[len] = 0;
	fd = syscall(SYS_openat2, top, path, &how, sizeof how);
	if (fd < 0 && (errno == ENOSYS || errno == EPERM || errno == E2BIG)) {
		missing = 1;
		return -2;
	}
	if (fd < 0 && errno == EXDEV)
		errno = ELOOP;
	return (int)fd;
}

/* Open the directory that holds name (creating missing parents, 0700),
 * one component at a time from top with O_NOFOLLOW; *base points at the
 * last part.  -1 with errno (ELOOP/ENOTDIR = a symlink or a non-directory
 * in the way). */
static int
open_parent(int top, const char *name, const char **base, int create)
{
	char part[4097];
	const char *p = name, *s, *last = strrchr(name, '/');
	int fd;

	*base = last ? last + 1 : name;
	if (!last)
		return dup(top);
	fd = open_beneath(top, name, (size_t)(last - name));
	if (fd >= 0 || (fd == -1 && (errno != ENOENT || !create)))
		return fd;
	fd = dup(top);
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
	return fd;
}

/* zero iff the first byte is and every byte equals the next one: no 16 KiB
 * table of zeros in the binary */
static int
all_zero(const uint8_t *b, size_t n)
{
	return n == 0 || (b[0] == 0 && memcmp(b, b + 1, n - 1) == 0);
}

static int
twice(struct rst *st, const struct ms_entry *e)
{
	warn_off(RC_DATA, st->file, e->off, "%s: stored twice", ms_show(e->name));
	return RC_DATA;
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
		if (errno == EEXIST)
			return twice(st, e);
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
		return MS_DAMAGED;
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

static int PRINTF_LIKE(3, 4)
refuse(struct rst *st, const struct ms_entry *e, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	warn_off(RC_REFUSED, st->file, e->off, "refusing %s", why);
	return RC_REFUSED;
}

/* A hard link to an earlier entry (a file, a FIFO, a device or a symlink,
 * which is linked itself, not followed). */
static int
make_link(struct rst *st, int dfd, const char *base, struct ms_entry *e)
{
	const char *tbase, *what = NULL;
	struct stat sb;
	int tfd = open_parent(st->tmpfd, e->link, &tbase, 0), rc = RC_OK;

	if (tfd < 0 || fstatat(tfd, tbase, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			what = "no such entry before it";
		else if (errno == ELOOP || errno == ENOTDIR)
			what = "its path goes through a symlink or a non-directory";
		else
			rc = RC_IO;
	} else if (S_ISDIR(sb.st_mode)) {
		what = "a directory";
	} else if (linkat(tfd, tbase, dfd, base, 0) != 0) {
		rc = errno == EEXIST ? twice(st, e) : RC_IO;
	}
	if (rc == RC_IO)
		warn_sys(RC_IO, "%s: hard link to '%s'", ms_show(e->name), ms_show(e->link));
	if (what)
		rc = refuse(st, e, "hard link '%s' to '%s': %s", ms_show(e->name),
			    ms_show(e->link), what);
	if (tfd >= 0)
		close(tfd);
	return rc;
}

static int
make_dir(struct rst *st, int dfd, const char *base, struct ms_entry *e)
{
	struct stat sb;

	if (mkdirat(dfd, base, 0700) != 0) {
		/* made already as a parent of an earlier entry */
		if (errno != EEXIST || fstatat(dfd, base, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
			warn_sys(RC_IO, "%s", ms_show(e->name));
			return RC_IO;
		}
		if (!S_ISDIR(sb.st_mode))
			return twice(st, e);
	}
	xgrow((void **)&st->dirs, &st->capdirs, st->ndirs + 1, sizeof *st->dirs);
	st->dirs[st->ndirs++] = (struct dmeta){ xstrdup(e->name),
		{ e->mode, e->uid, e->gid, e->mtime, e->nsec } };
	return RC_OK;
}

/* Checks that need no file system: names, link targets, devices. */
static int
precheck(struct rst *st, struct ms_entry *e)
{
	if (!name_ok(e->name))
		return refuse(st, e, "unsafe name '%s'", ms_show(e->name));
	if (st->mount && strncmp(e->name, ".metasnap.", 10) == 0)
		return refuse(st, e, "'%s': name reserved for metasnap's own files in a "
			      "mount point", ms_show(e->name));
	if (e->type == 'h' && !name_ok(e->link))
		return refuse(st, e, "hard link '%s' to unsafe name '%s'", ms_show(e->name),
			      ms_show(e->link));
	if (e->type == 'l' && !e->link[0]) {
		warn_off(RC_DATA, st->file, e->off, "%s: symlink with an empty target",
			 ms_show(e->name));
		return RC_DATA;
	}
	if ((e->type == 'c' || e->type == 'b') && !st->devices)
		return refuse(st, e, "device node '%s' (use --devices to create it)",
			      ms_show(e->name));
	return RC_OK;
}

static int
extract(void *ctx, struct ms_entry *e, struct tar_reader *r)
{
	struct rst *st = ctx;
	const char *base;
	int dfd, rc;

	if (stop_now())
		return RC_IO;
	if (strcmp(e->name, ".") == 0) {
		if (e->type != 'd') {
			warn_off(RC_REFUSED, st->file, e->off, "'.' is not a directory");
			return RC_REFUSED;
		}
		st->top = (struct ms_top){ e->mode, e->uid, e->gid, e->mtime, e->nsec };
		st->has_top = 1;
		return RC_OK;
	}
	if ((rc = precheck(st, e)) != RC_OK)
		return rc;
	dfd = open_parent(st->tmpfd, e->name, &base, 1);
	if (dfd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			return refuse(st, e, "'%s': its path goes through a symlink or a "
				      "non-directory", ms_show(e->name));
		warn_sys(RC_IO, "%s", ms_show(e->name));
		return RC_IO;
	}
	switch (e->type) {
	case 'f':
		rc = write_file(st, dfd, base, e, r);
		break;
	case 'd':
		rc = make_dir(st, dfd, base, e);
		break;
	case 'h':
		rc = make_link(st, dfd, base, e);
		break;
	case 'l':
		/* the target is data: written as it is, never followed */
		if (symlinkat(e->link, dfd, base) != 0 || finish_node(st, dfd, base, e) != 0)
			goto sys;
		break;
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
	rc = errno == EEXIST ? twice(st, e) : (warn_sys(RC_IO, "%s", ms_show(e->name)), RC_IO);
	close(dfd);
	return rc;
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
		if (fd < 0 || ms_set_top(fd, &st->dirs[i].t, st->root) != 0) {
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

/* Extract the archive into the temporary tree and check it against the
 * manifest; RC_OK or a status after messages. */
static int
build(struct rst *st, const char *dir, struct ms_archive *a, struct ms_list *m, int quiet)
{
	int rc = ms_scan(st->file, a, extract, st, quiet);

	if (rc == RC_OK) {
		rc = ms_check_manifest(st->file, a, m);
		if (rc == RC_DIFF)
			warn_rc(RC_DATA, "%s: archive does not match its manifest; nothing "
				"restored", st->file);
		if (rc != RC_OK)
			rc = RC_DATA;
	}
	if (rc == RC_OK)
		rc = finish_dirs(st);
	if (rc == RC_OK && syncfs(st->tmpfd) != 0) {
		warn_sys(RC_IO, "%s: sync", dir);
		rc = RC_IO;
	}
	if (rc == RC_OK && stop_now())
		rc = RC_IO;
	return rc;
}

int
ms_restore(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "force", no_argument, 0, 'f' }, { "quiet", no_argument, 0, 'q' },
		{ "devices", no_argument, 0, 'D' }, OPT_COMMON, { 0, 0, 0, 0 },
	};
	const char *pos[2] = { 0 };
	struct rst st;
	struct ms_archive a;
	struct ms_list m = { 0 };
	struct ms_place pl;
	int n = 0, force = 0, quiet = 0, rc, afd;

	memset(&st, 0, sizeof st);
	for (;;) {
		int c;

		while ((c = opt_next(argc, argv, "+:fqh", longs, ms_usage)) != -1) {
			if (c == 'f')
				force = 1;
			else if (c == 'q')
				quiet = 1;
			else if (c == 'D')
				st.devices = 1;
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
	st.file = pos[0];
	st.root = geteuid() == 0;
	if ((afd = open_ro(pos[0])) < 0)
		return RC_IO;
	close(afd);
	if ((rc = ms_place_open(&pl, pos[1], force)) != RC_OK)
		return rc;
	st.mount = pl.mode == 'm';
	atomic_defer_signals();
	if ((rc = ms_place_begin(&pl)) != RC_OK) {
		atomic_reraise();
		return rc;
	}
	st.tmpfd = pl.tmpfd;
	rc = build(&st, pos[1], &a, &m, quiet);
	if (rc != RC_OK) {
		ms_place_abort(&pl);
		atomic_reraise();
		return rc;
	}
	pl.has_top = st.has_top;
	pl.top = st.top;
	/* from here on a signal no longer stops the restore: it finishes and
	 * reports success */
	rc = ms_place_commit(&pl);
	if (rc == RC_OK) {
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
	ms_place_close(&pl);
	return rc;
}
