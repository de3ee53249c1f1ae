/* lock.c: flock(2) on DIR/.NAME.lock, as lock.h describes.  The wait polls
 * with LOCK_NB (1 ms doubling to 50 ms) so that it needs no signal handler
 * and ends on time on a monotonic clock. */
#include "lib/lock.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/scan.h"
#include "lib/xio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

static char *
lock_path(const char *target)
{
	const char *slash = strrchr(target, '/');
	size_t dlen = slash ? (size_t)(slash - target) + 1 : 0;
	char *p = xmalloc(strlen(target) + 16);

	if (slash)
		memcpy(p, target, dlen);
	else
		memcpy(p, "./", dlen = 2);
	sprintf(p + dlen, ".%s.lock", slash ? slash + 1 : target);
	return p;
}

/* Open (creating) the lock file; refuse anything but a plain file. */
static int
open_lock(struct file_lock *l)
{
	const int fl = O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK;
	struct stat st;
	int err;

	l->writable = 1;
	l->fd = open(l->path, O_RDWR | O_CREAT | fl, 0600);
	err = errno;
	if (l->fd < 0 && (err == EACCES || err == EPERM || err == EROFS)) {
		/* another user's lock file: a read-only fd can be locked too */
		l->writable = 0;
		l->fd = open(l->path, O_RDONLY | fl);
		if (l->fd < 0 && errno != ENOENT)
			err = errno;
	}
	if (l->fd < 0 && err == ELOOP) {
		warn_rc(RC_REFUSED, "%s: lock file is a symbolic link; refused", l->path);
		return RC_REFUSED;
	}
	if (l->fd < 0) {
		errno = err;
		warn_sys(RC_IO, "%s: cannot open lock file", l->path);
		return RC_IO;
	}
	if (fstat(l->fd, &st) != 0) {
		warn_sys(RC_IO, "%s: cannot open lock file", l->path);
		return RC_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		warn_rc(RC_REFUSED, "%s: lock file is not a regular file; refused", l->path);
		return RC_REFUSED;
	}
	/* a hard link to some other file: writing our pid would change it */
	if (st.st_nlink > 1) {
		warn_rc(RC_REFUSED, "%s: lock file has %lu hard links; refused",
			l->path, (unsigned long)st.st_nlink);
		return RC_REFUSED;
	}
	return RC_OK;
}

/* 1 if the locked fd is still the file at l->path (not removed or replaced
 * while we waited; else a later run would lock another inode). */
static int
still_there(const struct file_lock *l)
{
	struct stat a, b;

	return lstat(l->path, &a) == 0 && fstat(l->fd, &b) == 0 &&
	       same_file(&a, &b) && b.st_nlink == 1;
}

static void
record_pid(const struct file_lock *l)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());

	/* only a hint for lock_holder(): failures do not matter */
	if (l->writable && ftruncate(l->fd, 0) == 0)
		(void)!pwrite_full(l->fd, buf, (size_t)n, 0);
}

static void
sleep_ms(unsigned long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int
lock_take(struct file_lock *l, const char *target, unsigned long wait_ms)
{
	double t0;
	unsigned long step = 1, spent;

	memset(l, 0, sizeof *l);
	l->fd = -1;
	l->path = lock_path(target);
	t0 = clock_now();
	for (;;) {
		if (l->fd < 0) {
			int rc = open_lock(l);

			if (rc != RC_OK)
				return rc;
		}
		if (flock(l->fd, LOCK_EX | LOCK_NB) == 0) {
			if (still_there(l)) {
				l->held = 1;
				record_pid(l);
				return RC_OK;
			}
			close(l->fd);
			l->fd = -1;
			continue;
		}
		if (errno != EWOULDBLOCK && errno != EINTR) {
			warn_sys(RC_IO, "%s: cannot lock", l->path);
			return RC_IO;
		}
		spent = (unsigned long)((clock_now() - t0) * 1000);
		if (spent >= wait_ms) {
			l->busy = 1;
			return RC_REFUSED;
		}
		sleep_ms(step < wait_ms - spent ? step : wait_ms - spent);
		step = step * 2 > 50 ? 50 : step * 2;
	}
}

/* One /proc/locks line: the pid when it is an flock on st's file, else 0. */
static long
locks_line_pid(const char *line, const struct stat *st)
{
	struct scan s = { line, 0 };
	char type[16];
	uint64_t pid, maj, mnr, ino;

	scan_num(&s, 10, 20, UINT64_MAX);
	scan_lit(&s, ":");
	scan_blanks(&s);
	scan_until(&s, ' ', type, sizeof type);
	for (int i = 0; i < 2; i++) {
		scan_blanks(&s);
		scan_until(&s, ' ', NULL, 0);
	}
	scan_blanks(&s);
	pid = scan_num(&s, 10, 19, LONG_MAX);
	scan_blanks(&s);
	maj = scan_num(&s, 16, 8, UINT32_MAX);
	scan_lit(&s, ":");
	mnr = scan_num(&s, 16, 8, UINT32_MAX);
	scan_lit(&s, ":");
	ino = scan_num(&s, 10, 20, UINT64_MAX);
	if (s.bad || strcmp(type, "FLOCK") || !pid || ino != (uint64_t)st->st_ino ||
	    maj != major(st->st_dev) || mnr != minor(st->st_dev))
		return 0;
	return (long)pid;
}

/* The pid holding an flock on st's file, from /proc/locks (0: unknown).
 * Lines: "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiters have
 * "->" where the type is and are skipped. */
static long
proc_locks_pid(const struct stat *st)
{
	FILE *f = fopen("/proc/locks", "re");
	char line[256];
	long found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof line, f))
		found = locks_line_pid(line, st);
	fclose(f);
	return found;
}

/* The pid a holder wrote into the lock file (0: none). */
static long
file_pid(const struct file_lock *l)
{
	char buf[24];
	ssize_t n = pread_full(l->fd, buf, sizeof buf - 1, 0);
	struct scan s = { buf, 0 };
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = 0;
	pid = (long)scan_num(&s, 10, 19, LONG_MAX);
	return s.bad ? 0 : pid;
}

void
lock_holder(const struct file_lock *l, char *buf, unsigned long n)
{
	struct stat st;
	char path[40], comm[32] = "";
	long pid = 0;
	FILE *f;

	if (l->fd >= 0 && fstat(l->fd, &st) == 0)
		pid = proc_locks_pid(&st);
	if (!pid && l->fd >= 0)
		pid = file_pid(l);
	if (!pid) {
		snprintf(buf, n, "an unknown process");
		return;
	}
	snprintf(path, sizeof path, "/proc/%ld/comm", pid);
	f = fopen(path, "re");
	if (f && fgets(comm, sizeof comm, f))
		comm[strcspn(comm, "\n")] = 0;
	if (f)
		fclose(f);
	/* a process chooses its own name: keep terminal controls out */
	for (char *c = comm; *c; c++)
		if ((unsigned char)*c < ' ' || (unsigned char)*c >= 0x7f)
			*c = '?';
	if (comm[0])
		snprintf(buf, n, "pid %ld (%s)", pid, comm);
	else
		snprintf(buf, n, "pid %ld", pid);
}

void
lock_release(struct file_lock *l)
{
	if (l->fd >= 0 && l->held) {
		/* remove it while still holding it: a run waiting on this inode
		 * then finds it unlinked (still_there) and locks the new one, so
		 * no lock file is left behind in config or metadata directories */
		if (!(still_there(l) && unlink(l->path) == 0) && l->writable)
			(void)!ftruncate(l->fd, 0);
	}
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	memset(l, 0, sizeof *l);
	l->fd = -1;
}
