/* lock.h: one writer at a time for a file that is replaced by rename.
 *
 * The lock is flock(2) on DIR/.NAME.lock beside the target DIR/NAME (the
 * target itself cannot carry it: each rename puts a new inode there).  The
 * holder writes its pid into the file and removes the file before it lets
 * go; a run that was waiting on the removed file sees that and locks the
 * new one, so there is never more than one holder and no file is left in
 * the directory.  The kernel drops the lock when its holder dies, even by
 * SIGKILL: the file it leaves behind blocks no later run, which locks it,
 * and removes it in turn.  lock_holder() asks /proc/locks first, which also
 * names holders such as flock(1) that write no pid.
 *
 * An attacker who can write the directory may plant the lock file: it is
 * opened with O_NOFOLLOW|O_NONBLOCK and refused unless it is a regular file
 * with one link, so nothing is ever written through it elsewhere.
 */
#ifndef RESCUE_LOCK_H
#define RESCUE_LOCK_H

struct file_lock {
	int fd;
	int writable;  /* the pid can be recorded in the file */
	int held;      /* we hold the lock */
	int busy;      /* another process held it for the whole wait */
	char *path;    /* DIR/.NAME.lock */
};

/* Lock target (a path that is not a symlink) waiting up to wait_ms.
 * Returns RC_OK; RC_REFUSED with l->busy set if another process still
 * holds it after wait_ms (nothing printed: see lock_holder), or after a
 * message if the lock file is not a plain file; RC_IO after a message.
 * Call lock_release() in every case. */
int lock_take(struct file_lock *l, const char *target, unsigned long wait_ms);
/* Who holds l now: "pid N (COMM)", "pid N" or "an unknown process". */
void lock_holder(const struct file_lock *l, char *buf, unsigned long n);
/* Remove the lock file (if we hold it), drop the lock, free l. */
void lock_release(struct file_lock *l);

#endif
