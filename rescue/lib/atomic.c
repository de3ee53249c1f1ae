/* atomic.c: temp file in the target directory -> fsync -> rename -> fsync dir.
 * The directory fsync makes the rename durable, which toybox and skalibs omit. */
#include "lib/atomic.h"
#include "lib/err.h"
#include "lib/xio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Temp files to remove if we are interrupted.  Signal handlers may only read
 * these, so each slot is a fixed buffer published by setting its dirfd. */
#define SLOTS 8
static struct {
	volatile sig_atomic_t dirfd; /* -1 = free */
	char name[NAME_MAX + 1];
} pending[SLOTS] = {
	{ -1, "" }, { -1, "" }, { -1, "" }, { -1, "" },
	{ -1, "" }, { -1, "" }, { -1, "" }, { -1, "" },
};
static int handlers_set;
/* atomic_defer_signals(): the signal caught, for the caller to act on */
static volatile sig_atomic_t deferred, caught;

static void
remove_pending(void)
{
	for (int i = 0; i < SLOTS; i++)
		if (pending[i].dirfd >= 0)
			unlinkat(pending[i].dirfd, pending[i].name, 0);
}

static void
on_signal(int sig)
{
	if (deferred && sig != SIGPIPE) {
		caught = sig;
		return;
	}
	remove_pending();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
catch_sig(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void
set_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };

	if (handlers_set)
		return;
	handlers_set = 1;
	atexit(remove_pending);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction old;

		/* keep an ignored SIGPIPE ignored (write errors then report EPIPE) */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		catch_sig(sigs[i]);
	}
}

void
atomic_defer_signals(void)
{
	set_handlers();
	deferred = 1;
	/* caught even when they were ignored (the caller stops on them) */
	catch_sig(SIGINT);
	catch_sig(SIGTERM);
	catch_sig(SIGHUP);
}

int
atomic_interrupted(void)
{
	return caught;
}

void
atomic_reraise(void)
{
	if (caught) {
		signal(caught, SIG_DFL);
		raise(caught);
	}
}

static int
claim_slot(int dirfd, const char *name)
{
	for (int i = 0; i < SLOTS; i++) {
		if (pending[i].dirfd < 0) {
			snprintf(pending[i].name, sizeof pending[i].name, "%s", name);
			pending[i].dirfd = dirfd;
			return i;
		}
	}
	return -1;
}

static void
release_slot(int slot)
{
	if (slot >= 0)
		pending[slot].dirfd = -1;
}

static void
free_out(struct atomic_out *o)
{
	if (o->dirfd >= 0)
		close(o->dirfd);
	free(o->path);
	free(o->base);
	free(o->tmp);
	o->dirfd = o->fd = -1;
	o->path = o->base = o->tmp = NULL;
}

int
atomic_open(struct atomic_out *o, const char *target, int flags, mode_t mode)
{
	struct stat st;
	sigset_t block, saved;
	char *path, *slash, *dir;
	int exists;

	memset(o, 0, sizeof *o);
	o->fd = o->dirfd = o->slot = -1;
	o->flags = flags;
	o->mode = mode;
	if (lstat(target, &st) == 0 && S_ISLNK(st.st_mode)) {
		path = realpath(target, NULL);
		if (!path) {
			warn_sys(RC_REFUSED, "%s: symlink does not lead to a file", target);
			return RC_REFUSED;
		}
	} else {
		path = xstrdup(target);
	}
	o->path = path;
	exists = stat(path, &st) == 0;
	if (exists && !S_ISREG(st.st_mode)) {
		warn_rc(RC_REFUSED, "%s: not a regular file; not overwritten", target);
		goto refused;
	}
	if (exists && !(flags & ATOMIC_OVERWRITE)) {
		warn_rc(RC_REFUSED, "%s: exists; not overwritten (use -f)", target);
		goto refused;
	}
	if (exists && (flags & ATOMIC_KEEP_META))
		o->mode = st.st_mode & 07777;
	slash = strrchr(path, '/');
	if (slash) {
		o->base = xstrdup(slash + 1);
		dir = xstrdup(path);
		dir[slash - path + 1] = 0;
	} else {
		o->base = xstrdup(path);
		dir = xstrdup(".");
	}
	o->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->dirfd < 0) {
		warn_sys(RC_IO, "%s: cannot open directory %s", target, dir);
		free(dir);
		goto fail;
	}
	free(dir);
	o->tmp = xmalloc(strlen(o->base) + 40);
	/* a signal between creating the temp file and recording it would
	 * leave the file behind: hold the signals until it is recorded */
	set_handlers();
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGPIPE);
	sigprocmask(SIG_BLOCK, &block, &saved);
	for (unsigned n = 0;; n++) {
		if (n == 0)
			sprintf(o->tmp, "%s.tmp.%ld", o->base, (long)getpid());
		else
			sprintf(o->tmp, "%s.tmp.%ld.%u", o->base, (long)getpid(), n);
		o->fd = openat(o->dirfd, o->tmp,
			       O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (o->fd >= 0)
			break;
		if (errno != EEXIST || n > 100) {
			warn_sys(RC_IO, "%s: cannot create temporary file", target);
			sigprocmask(SIG_SETMASK, &saved, NULL);
			goto fail;
		}
	}
	o->slot = claim_slot(o->dirfd, o->tmp);
	if (o->slot < 0) {
		unlinkat(o->dirfd, o->tmp, 0);
		close(o->fd);
		sigprocmask(SIG_SETMASK, &saved, NULL);
		warn_rc(RC_IO, "%s: too many files open for writing", target);
		goto fail;
	}
	sigprocmask(SIG_SETMASK, &saved, NULL);
	if (exists && (flags & ATOMIC_KEEP_META)) {
		/* owner first: fchown may clear set-id bits that fchmod then restores */
		if (fchown(o->fd, st.st_uid, st.st_gid) != 0 && errno != EPERM) {
			warn_sys(RC_IO, "%s: cannot set owner", target);
			atomic_abort(o);
			return RC_IO;
		}
	}
	return RC_OK;
refused:
	free_out(o);
	return RC_REFUSED;
fail:
	free_out(o);
	return RC_IO;
}

void
atomic_abort(struct atomic_out *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (o->dirfd >= 0 && o->tmp)
		unlinkat(o->dirfd, o->tmp, 0);
	release_slot(o->slot);
	o->slot = -1;
	free_out(o);
}

int
atomic_commit(struct atomic_out *o)
{
	int fd = o->fd;

	if (fchmod(fd, o->mode) != 0) {
		warn_sys(RC_IO, "%s: cannot set mode", o->path);
		goto fail;
	}
	if (fd_sync(fd) != 0) {
		warn_sys(RC_IO, "%s: fsync", o->path);
		goto fail;
	}
	o->fd = -1;
	if (close(fd) != 0) {
		warn_sys(RC_IO, "%s: close", o->path);
		goto fail;
	}
	if (renameat(o->dirfd, o->tmp, o->dirfd, o->base) != 0) {
		warn_sys(RC_IO, "%s: rename", o->path);
		goto fail;
	}
	release_slot(o->slot);
	o->slot = -1;
	if (fd_sync(o->dirfd) != 0) {
		/* the new content is in place; only its durability is in doubt */
		warn_sys(RC_IO, "%s: fsync of directory", o->path);
		free_out(o);
		return RC_IO;
	}
	free_out(o);
	return RC_OK;
fail:
	atomic_abort(o);
	return RC_IO;
}

int
atomic_write_file(const char *target, const void *buf, size_t len, int flags,
		  mode_t mode)
{
	struct atomic_out o;
	int rc = atomic_open(&o, target, flags, mode);

	if (rc)
		return rc;
	if (write_full(o.fd, buf, len) != 0) {
		warn_sys(RC_IO, "%s: write", target);
		atomic_abort(&o);
		return RC_IO;
	}
	return atomic_commit(&o);
}

int
atomic_write_at(int dirfd, const char *name, const void *buf, size_t len, mode_t mode)
{
	char tmp[300];
	int fd, e;

	snprintf(tmp, sizeof tmp, "%.250s.tmp.%ld", name, (long)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		goto fail;
	if (write_full(fd, buf, len) != 0 || fd_sync(fd) != 0) {
		e = errno;
		close(fd);
		errno = e;
		goto fail;
	}
	if (close(fd) == 0 && renameat(dirfd, tmp, dirfd, name) == 0 && fd_sync(dirfd) == 0)
		return 0;
fail:
	e = errno;
	unlinkat(dirfd, tmp, 0);
	errno = e;
	return -1;
}
