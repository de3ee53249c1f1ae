/* place.c: put a restored tree in place (metasnap restore) so that a kill at
 * any moment leaves DIR holding its old content or the new one, never a mix.
 *
 *   new    DIR absent: the tree is built as DIR.tmp.PID beside it and renamed
 *          to DIR (RENAME_NOREPLACE).
 *   swap   DIR exists: the tree is built beside it and exchanged with DIR in
 *          one renameat2(RENAME_EXCHANGE); the old DIR then becomes
 *          DIR.old.PID (or is removed when it was empty).
 *   mount  DIR is a mount point (nothing can be renamed over it): the tree
 *          is built as DIR/.metasnap.tmp.PID, the old entries are moved into
 *          DIR/.metasnap.old.PID, then the new ones into DIR.
 *
 * A journal (DIR.metasnap-journal beside DIR, or DIR/.metasnap.journal in a
 * mount point) is written atomically before each step; the next restore of
 * DIR reads it and finishes or undoes the interrupted one, and says which.
 * Nothing here follows a symlink: every name is one component, relative to
 * a directory fd. */
#include "metasnap/metasnap.h"
#include "lib/atomic.h"
#include "lib/dir.h"
#include "lib/err.h"
#include "lib/scan.h"
#include "lib/xio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* <linux/fs.h> values; musl 1.2.3 has no renameat2() wrapper */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#define JMAGIC "metasnap-journal 1 "

struct jrnl {
	char mode, state;   /* see place.c's header; state b r o i */
	long pid;
	unsigned long long ino;  /* the new tree's top directory */
	char boot[40];
};

static int
mv(int from, const char *a, int to, const char *b, unsigned flags)
{
	if (syscall(SYS_renameat2, from, a, to, b, flags) == 0)
		return 0;
	/* file systems without renameat2 flags: plain rename is the fallback */
	if (flags == RENAME_NOREPLACE && (errno == EINVAL || errno == ENOSYS))
		return renameat(from, a, to, b);
	return -1;
}

/* Remove a tree made by us (never follows symlinks). */
void
ms_rm_tree(int dfd, const char *name)
{
	int fd = dir_open(dfd, name);
	size_t n;
	char **v;

	if (fd < 0) {
		unlinkat(dfd, name, 0);
		return;
	}
	fchmod(fd, 0700);
	v = dir_names(fd, &n);
	for (size_t i = 0; i < n; i++)
		ms_rm_tree(fd, v[i]);
	dir_names_free(v);
	close(fd);
	unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Our own names in a mount point DIR, which the moves leave alone. */
static int
ours(const struct ms_place *p, const char *name)
{
	return !strcmp(name, p->tmp) || !strcmp(name, p->old) ||
	       !strncmp(name, p->jname, strlen(p->jname));
}

/* Move every entry (but ours) from one directory to another. */
static int
move_all(const struct ms_place *p, int from, int to)
{
	size_t n;
	char **v = dir_names(from, &n);
	int rc = RC_OK;

	if (!v) {
		warn_sys(RC_IO, "%s: reading a directory", p->dir);
		return RC_IO;
	}

	for (size_t i = 0; i < n && rc == RC_OK; i++) {
		if (ours(p, v[i]))
			continue;
		if (mv(from, v[i], to, v[i], RENAME_NOREPLACE) != 0) {
			warn_sys(RC_IO, "%s: moving '%s'", p->dir, ms_show(v[i]));
			rc = RC_IO;
		}
	}
	dir_names_free(v);
	if (rc == RC_OK && (fd_sync(from) != 0 || fd_sync(to) != 0)) {
		warn_sys(RC_IO, "%s: sync", p->dir);
		rc = RC_IO;
	}
	return rc;
}

static void
boot_id(char *buf, size_t n)
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t k = fd >= 0 ? read_full(fd, buf, n - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (k < 36) {
		snprintf(buf, n, "-");
		return;
	}
	buf[36] = 0;
}

/* The names that go with a mode and a PID (mount: inside DIR). */
static void
set_names(struct ms_place *p, char mode, long pid)
{
	p->mode = mode;
	if (mode == 'm') {
		p->hold = p->dirfd;
		snprintf(p->tmp, sizeof p->tmp, ".metasnap.tmp.%ld", pid);
		snprintf(p->old, sizeof p->old, ".metasnap.old.%ld", pid);
		snprintf(p->jname, sizeof p->jname, ".metasnap.journal");
	} else {
		p->hold = p->pfd;
		snprintf(p->tmp, sizeof p->tmp, "%.200s.tmp.%ld", p->base, pid);
		snprintf(p->old, sizeof p->old, "%.200s.old.%ld", p->base, pid);
		snprintf(p->jname, sizeof p->jname, "%.200s.metasnap-journal", p->base);
	}
}

/* Write the journal atomically: temp file, fsync, rename, fsync dir. */
static int
jwrite(struct ms_place *p, char state, unsigned long long ino)
{
	char buf[512], boot[40];
	const struct ms_top *t = &p->top;
	int n;

	boot_id(boot, sizeof boot);
	n = snprintf(buf, sizeof buf,
		     "# metasnap restore journal: the next restore of this directory\n"
		     "# finishes or undoes the interrupted one (see metasnap(1))\n"
		     JMAGIC "%c %c %ld %llu %d %o %llu %llu %lld %u %s\n",
		     p->mode, state, (long)getpid(), ino, p->has_top, (unsigned)t->mode,
		     (unsigned long long)t->uid, (unsigned long long)t->gid,
		     (long long)t->sec, (unsigned)t->nsec, boot);
	if (atomic_write_at(p->hold, p->jname, buf, (size_t)n, 0600) != 0) {
		warn_sys(RC_IO, "%s: journal %s", p->dir, p->jname);
		return RC_IO;
	}
	return RC_OK;
}

static int
jremove(struct ms_place *p)
{
	if ((unlinkat(p->hold, p->jname, 0) != 0 && errno != ENOENT) || fd_sync(p->hold) != 0) {
		warn_sys(RC_IO, "%s: removing journal %s", p->dir, p->jname);
		return RC_IO;
	}
	return RC_OK;
}

/* The fields after JMAGIC, as journal_write wrote them. */
static int
journal_fields(const char *t, struct jrnl *j, struct ms_place *p)
{
	struct scan s = { t, 0 };

	j->mode = scan_char(&s);
	scan_lit(&s, " ");
	j->state = scan_char(&s);
	scan_lit(&s, " ");
	j->pid = (long)scan_num(&s, 10, 19, LONG_MAX);
	scan_lit(&s, " ");
	j->ino = scan_num(&s, 10, 20, UINT64_MAX);
	scan_lit(&s, " ");
	p->has_top = (int)scan_num(&s, 10, 1, 1);
	scan_lit(&s, " ");
	p->top.mode = (uint32_t)scan_num(&s, 8, 11, UINT32_MAX);
	scan_lit(&s, " ");
	p->top.uid = scan_num(&s, 10, 20, UINT64_MAX);
	scan_lit(&s, " ");
	p->top.gid = scan_num(&s, 10, 20, UINT64_MAX);
	scan_lit(&s, " ");
	p->top.sec = scan_snum(&s, INT64_MAX);
	scan_lit(&s, " ");
	p->top.nsec = (uint32_t)scan_num(&s, 10, 10, UINT32_MAX);
	scan_lit(&s, " ");
	scan_until(&s, ' ', j->boot, sizeof j->boot);
	scan_lit(&s, "\n");
	return s.bad ? -1 : 0;
}

/* Read a journal: 1 found, 0 none, or an RC_* status after a message. */
static int
jread(struct ms_place *p, int hold, const char *jname, struct jrnl *j)
{
	char buf[1024], *line;
	int fd = openat(hold, jname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), ok;
	ssize_t k;

	if (fd < 0)
		return errno == ENOENT ? 0 : (warn_sys(RC_IO, "%s: journal %s", p->dir, jname), RC_IO);
	k = read_full(fd, buf, sizeof buf - 1);
	close(fd);
	buf[k > 0 ? k : 0] = 0;
	line = strstr(buf, "\n" JMAGIC);
	ok = line && journal_fields(line + 1 + strlen(JMAGIC), j, p) == 0 &&
	     strchr("nsm", j->mode) && strchr("broi", j->state) && j->pid > 0;
	if (!ok) {
		warn_rc(RC_REFUSED, "%s: journal %s of an interrupted restore is unreadable; "
			"check the directory and its .tmp/.old neighbours by hand, then "
			"remove the journal", p->dir, jname);
		return RC_REFUSED;
	}
	return 1;
}

static int
running(const struct jrnl *j)
{
	char boot[40];

	boot_id(boot, sizeof boot);
	if (strcmp(boot, "-") && strcmp(j->boot, "-") && strcmp(boot, j->boot))
		return 0;
	return j->pid != (long)getpid() && (kill((pid_t)j->pid, 0) == 0 || errno == EPERM);
}

int
ms_set_top(int fd, const struct ms_top *t, int root)
{
	struct timespec ts[2] = { { t->sec, t->nsec }, { t->sec, t->nsec } };

	if (root && fchown(fd, (uid_t)t->uid, (gid_t)t->gid) != 0)
		return -1;
	if (fchmod(fd, t->mode) != 0)
		return -1;
	return futimens(fd, ts);
}

static ino_t
ino_at(int dfd, const char *name)
{
	struct stat sb;

	return fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 ? sb.st_ino : 0;
}

/* After the swap: the old DIR (at tmp or old) is removed when empty, or kept
 * as old.  *kept is set when it is kept. */
static int
settle_old(struct ms_place *p, int *kept)
{
	if (ino_at(p->hold, p->tmp) && unlinkat(p->hold, p->tmp, AT_REMOVEDIR) != 0 &&
	    renameat(p->hold, p->tmp, p->hold, p->old) != 0) {
		warn_sys(RC_IO, "%s: previous content left in %s", p->dir, p->tmp);
		return RC_IO;
	}
	if (ino_at(p->hold, p->old) && unlinkat(p->hold, p->old, AT_REMOVEDIR) != 0)
		*kept = 1;
	return fd_sync(p->hold) != 0 ? (warn_sys(RC_IO, "%s: sync", p->dir), RC_IO) : RC_OK;
}

/* new/swap, ready: put the tree at tmp (top inode ino) in DIR's place.
 * Also the recovery: each step is skipped when already done. */
static int
finish_rename(struct ms_place *p, unsigned long long ino, int *kept)
{
	ino_t now = ino_at(p->pfd, p->base);

	if (now != (ino_t)ino && ino_at(p->pfd, p->tmp) == (ino_t)ino) {
		int r;

		if (p->mode == 'n' || !now) {
			r = mv(p->pfd, p->tmp, p->pfd, p->base, RENAME_NOREPLACE);
		} else {
			r = mv(p->pfd, p->tmp, p->pfd, p->base, RENAME_EXCHANGE);
			/* no exchange here: two renames; the journal covers the gap */
			if (r != 0 && (errno == EINVAL || errno == ENOSYS))
				r = renameat(p->pfd, p->base, p->pfd, p->old) ||
				    renameat(p->pfd, p->tmp, p->pfd, p->base);
		}
		if (r != 0) {
			warn_sys(RC_IO, "%s: cannot put the restored tree in place", p->dir);
			return RC_IO;
		}
		if (fd_sync(p->pfd) != 0) {
			warn_sys(RC_IO, "%s: sync", p->dir);
			return RC_IO;
		}
	} else if (now != (ino_t)ino) {
		warn_rc(RC_IO, "%s: the restored tree %s is gone; check the directory, then "
			"remove the journal %s", p->dir, p->tmp, p->jname);
		return RC_IO;
	}
	return settle_old(p, kept);
}

/* mount, moving in: the rest of the new entries into DIR, its own mode,
 * owner and time, the old directory removed when empty. */
static int
finish_in(struct ms_place *p, int *kept)
{
	int tfd = dir_open(p->dirfd, p->tmp), rc = RC_OK;

	if (tfd >= 0) {
		rc = move_all(p, tfd, p->dirfd);
		close(tfd);
		if (rc != RC_OK)
			return rc;
		if (unlinkat(p->dirfd, p->tmp, AT_REMOVEDIR) != 0)
			goto sys;
	} else if (errno != ENOENT) {
		goto sys;
	}
	if (p->has_top && ms_set_top(p->dirfd, &p->top, p->root) != 0)
		goto sys;
	if (ino_at(p->dirfd, p->old) && unlinkat(p->dirfd, p->old, AT_REMOVEDIR) != 0)
		*kept = 1;
	if (fd_sync(p->dirfd) != 0)
		goto sys;
	return RC_OK;
sys:
	warn_sys(RC_IO, "%s", p->dir);
	return RC_IO;
}

/* mount, moving out: put the old entries back and drop the new tree. */
static int
undo_out(struct ms_place *p)
{
	int ofd = dir_open(p->dirfd, p->old), rc = RC_OK;

	if (ofd >= 0) {
		rc = move_all(p, ofd, p->dirfd);
		close(ofd);
		if (rc == RC_OK)
			unlinkat(p->dirfd, p->old, AT_REMOVEDIR);
	} else if (errno != ENOENT) {
		warn_sys(RC_IO, "%s: %s", p->dir, p->old);
		return RC_IO;
	}
	if (rc == RC_OK)
		ms_rm_tree(p->dirfd, p->tmp);
	return rc;
}

static void
say_kept(const struct ms_place *p, int kept)
{
	if (kept)
		note("%s: previous content kept in %s/%s", p->dir,
		     p->mode == 'm' ? p->dir : p->parent, p->old);
}

/* A journal's temp file left by a killed run (JNAME.tmp.PID, PID gone):
 * removed, so that it does not stay in DIR. */
static void
drop_stale(int hold, const char *jname)
{
	size_t n, len = strlen(jname);
	char **v = dir_names(hold, &n);

	for (size_t i = 0; v && i < n; i++) {
		char *end;
		long pid;

		if (strncmp(v[i], jname, len) || strncmp(v[i] + len, ".tmp.", 5))
			continue;
		pid = strtol(v[i] + len + 5, &end, 10);
		if (!*end && pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
			unlinkat(hold, v[i], 0);
	}
	dir_names_free(v);
}

/* Finish or undo what one journal describes. */
static int
recover_one(struct ms_place *p, int hold, const char *jname)
{
	struct ms_place q = *p;
	struct jrnl j;
	int rc, kept = 0, done;

	drop_stale(hold, jname);
	rc = jread(&q, hold, jname, &j);
	if (rc != 1)
		return rc;
	if ((hold == p->pfd) != (j.mode != 'm')) {
		warn_rc(RC_REFUSED, "%s: journal %s names the wrong kind of restore; check the "
			"directory by hand, then remove the journal", p->dir, jname);
		return RC_REFUSED;
	}
	if (running(&j)) {
		warn_rc(RC_REFUSED, "%s: another restore (pid %ld) is running (journal %s)",
			p->dir, j.pid, jname);
		return RC_REFUSED;
	}
	set_names(&q, j.mode, j.pid);
	done = j.state == 'r' || j.state == 'i';
	rc = RC_OK;
	if (j.state == 'b') {
		ms_rm_tree(q.hold, q.tmp);
		if (j.mode == 'm')
			unlinkat(q.hold, q.old, AT_REMOVEDIR);
	} else if (j.state == 'o') {
		rc = undo_out(&q);
	} else if (j.state == 'i') {
		rc = finish_in(&q, &kept);
	} else {
		rc = finish_rename(&q, j.ino, &kept);
	}
	if (rc == RC_OK)
		rc = jremove(&q);
	if (rc != RC_OK)
		return rc;
	if (done)
		note("%s: finished the restore interrupted in pid %ld: the directory holds "
		     "the restored content", p->dir, j.pid);
	else
		note("%s: undid the restore interrupted in pid %ld: the directory keeps its "
		     "previous content", p->dir, j.pid);
	say_kept(&q, kept);
	return RC_OK;
}

/* 1 if DIR (open as dirfd) is a mount point: another device, or another
 * mount of the same one (a bind mount: mnt_id in /proc/self/fdinfo). */
static int
mount_point(int pfd, int dirfd)
{
	struct stat a, b;
	int id[2] = { -1, -1 }, fds[2] = { pfd, dirfd };

	if (fstat(pfd, &a) != 0 || fstat(dirfd, &b) != 0 || a.st_dev != b.st_dev)
		return 1;
	for (int i = 0; i < 2; i++) {
		char path[64], buf[512], *m;
		int fd;
		ssize_t k;

		snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fds[i]);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return 0;
		k = read_full(fd, buf, sizeof buf - 1);
		close(fd);
		buf[k > 0 ? k : 0] = 0;
		if ((m = strstr(buf, "mnt_id:")))
			id[i] = atoi(m + 7);
	}
	return id[0] != id[1];
}

static void
split_dir(struct ms_place *p, const char *dir)
{
	char *d = xstrdup(dir), *slash;
	size_t n = strlen(d);

	while (n > 1 && d[n - 1] == '/')
		d[--n] = 0;
	slash = strrchr(d, '/');
	if (strlen(slash ? slash + 1 : d) >= sizeof p->base)
		die_msg(RC_USAGE, "%s: name too long", dir);
	snprintf(p->base, sizeof p->base, "%s", slash ? slash + 1 : d);
	if (!slash)
		p->parent = xstrdup(".");
	else if (slash == d)
		p->parent = xstrdup("/");
	else
		p->parent = (*slash = 0, xstrdup(d));
	free(d);
}

int
ms_place_open(struct ms_place *p, const char *dir, int force)
{
	struct stat sb;
	size_t n;
	char **v;

	memset(p, 0, sizeof *p);
	p->dir = dir;
	p->dirfd = p->tmpfd = -1;
	p->root = geteuid() == 0;
	split_dir(p, dir);
	if (!p->base[0] || !strcmp(p->base, ".") || !strcmp(p->base, ".."))
		die_msg(RC_REFUSED, "%s: give DIR by its name, not '.' or '..'", dir);
	if ((p->pfd = open(p->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die_sys(RC_IO, "%s", p->parent);
	for (int pass = 0; pass < 2; pass++) {
		int rc;

		if (fstatat(p->pfd, p->base, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno != ENOENT)
				die_sys(RC_IO, "%s", dir);
			p->dirfd = -1;
		} else if (S_ISLNK(sb.st_mode)) {
			die_msg(RC_REFUSED, "%s: is a symlink; give the real directory", dir);
		} else if (!S_ISDIR(sb.st_mode)) {
			die_msg(RC_REFUSED, "%s: exists and is not a directory", dir);
		} else if ((p->dirfd = dir_open(p->pfd, p->base)) < 0) {
			die_sys(RC_IO, "%s", dir);
		}
		if (pass)
			break;
		/* an interrupted restore first: beside DIR, then inside it */
		set_names(p, 'n', 0);
		rc = recover_one(p, p->pfd, p->jname);
		if (rc == RC_OK && p->dirfd >= 0)
			rc = recover_one(p, p->dirfd, ".metasnap.journal");
		if (rc != RC_OK)
			return rc;
		if (p->dirfd >= 0)
			close(p->dirfd);
	}
	if (p->dirfd < 0) {
		set_names(p, 'n', (long)getpid());
		return RC_OK;
	}
	set_names(p, mount_point(p->pfd, p->dirfd) ? 'm' : 's', (long)getpid());
	v = dir_names(p->dirfd, &n);
	dir_names_free(v);
	p->nonempty = n > 0;
	if (n && !force) {
		warn_rc(RC_REFUSED, "%s: not empty; not overwritten (use --force; the current "
			"content is then kept in %s.old.PID)", dir, dir);
		return RC_REFUSED;
	}
	return RC_OK;
}

int
ms_place_begin(struct ms_place *p)
{
	if (jwrite(p, 'b', 0) != RC_OK)
		return RC_IO;
	if (mkdirat(p->hold, p->tmp, 0700) != 0 ||
	    (p->tmpfd = dir_open(p->hold, p->tmp)) < 0) {
		warn_sys(RC_IO, "%s: cannot create %s", p->dir, p->tmp);
		ms_place_abort(p);
		return RC_IO;
	}
	return RC_OK;
}

void
ms_place_abort(struct ms_place *p)
{
	if (p->tmpfd >= 0)
		close(p->tmpfd);
	p->tmpfd = -1;
	ms_rm_tree(p->hold, p->tmp);
	if (p->mode == 'm')
		unlinkat(p->hold, p->old, AT_REMOVEDIR);
	jremove(p);
}

/* mount: the old entries out, then (journal says so) the new ones in. */
static int
commit_mount(struct ms_place *p, int *kept)
{
	int ofd, rc;

	if (jwrite(p, 'o', 0) != RC_OK)
		goto undo;
	if (mkdirat(p->dirfd, p->old, 0700) != 0 || (ofd = dir_open(p->dirfd, p->old)) < 0) {
		warn_sys(RC_IO, "%s: cannot create %s", p->dir, p->old);
		goto undo;
	}
	rc = move_all(p, p->dirfd, ofd);
	close(ofd);
	if (rc != RC_OK || jwrite(p, 'i', 0) != RC_OK)
		goto undo;
	if (finish_in(p, kept) != RC_OK) {
		warn_rc(RC_IO, "%s: the restore stopped half-way; run it again to finish it "
			"(journal %s)", p->dir, p->jname);
		return RC_IO;
	}
	return jremove(p);
undo:
	if (undo_out(p) == RC_OK)
		jremove(p);
	return RC_IO;
}

int
ms_place_commit(struct ms_place *p)
{
	struct stat sb;
	int rc, kept = 0;

	if (p->mode == 'm') {
		close(p->tmpfd);
		p->tmpfd = -1;
		rc = commit_mount(p, &kept);
	} else {
		if ((p->has_top && ms_set_top(p->tmpfd, &p->top, p->root) != 0) ||
		    fd_sync(p->tmpfd) != 0 || fstat(p->tmpfd, &sb) != 0) {
			warn_sys(RC_IO, "%s", p->dir);
			ms_place_abort(p);
			return RC_IO;
		}
		close(p->tmpfd);
		p->tmpfd = -1;
		if (jwrite(p, 'r', (unsigned long long)sb.st_ino) != RC_OK) {
			ms_place_abort(p);
			return RC_IO;
		}
		rc = finish_rename(p, (unsigned long long)sb.st_ino, &kept);
		if (rc == RC_OK)
			rc = jremove(p);
		else if (ino_at(p->pfd, p->base) != sb.st_ino)
			ms_place_abort(p);
	}
	if (rc == RC_OK)
		say_kept(p, kept);
	return rc;
}

void
ms_place_close(struct ms_place *p)
{
	if (p->tmpfd >= 0)
		close(p->tmpfd);
	if (p->dirfd >= 0)
		close(p->dirfd);
	close(p->pfd);
	free(p->parent);
}
