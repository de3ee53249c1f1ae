/* atomic.h: write a file so that a crash or kill at any moment leaves either
 * the old file or the complete new one: NAME.tmp.PID in the same directory,
 * fsync, rename over NAME, fsync the directory.
 *
 *	struct atomic_out o;
 *	if ((rc = atomic_open(&o, path, ATOMIC_OVERWRITE, 0644)))
 *		return rc;
 *	... write_full(o.fd, ...) ...   (on error: atomic_abort(&o))
 *	return atomic_commit(&o);
 *
 * A target that is a symlink is followed: the file it points to is replaced
 * and the link stays.  Temp files are removed on SIGINT/SIGTERM/SIGHUP and on
 * exit() (die*()) before commit; after SIGKILL a NAME.tmp.PID may remain, and
 * the target is intact.
 */
#ifndef RESCUE_ATOMIC_H
#define RESCUE_ATOMIC_H

#include <stddef.h>
#include <sys/types.h>

enum {
	ATOMIC_OVERWRITE = 1, /* an existing target may be replaced (else exit 5) */
	ATOMIC_KEEP_META = 2, /* new file gets the old one's mode and owner */
};

struct atomic_out {
	int fd;      /* write the content here */
	int dirfd;
	int slot;    /* cleanup registry slot */
	mode_t mode;
	int flags;
	char *path;  /* resolved target path, for messages */
	char *base;  /* target name within dirfd */
	char *tmp;   /* temp name within dirfd */
};

/* Returns RC_OK, or prints a message and returns RC_REFUSED/RC_IO. */
int atomic_open(struct atomic_out *o, const char *target, int flags, mode_t mode);
/* fsync, set mode/owner, rename, fsync dir.  Returns RC_OK or RC_IO (temp removed). */
int atomic_commit(struct atomic_out *o);
/* Remove the temp file; the target is untouched. */
void atomic_abort(struct atomic_out *o);
/* Whole-buffer convenience. */
int atomic_write_file(const char *target, const void *buf, size_t len,
		      int flags, mode_t mode);
/* Whole buffer into NAME under the directory dirfd, never through a symlink:
 * NAME.tmp.PID (O_NOFOLLOW, created with mode), fsync, rename, fsync dirfd.
 * An existing NAME is replaced.  0, or -1 with errno and the temp file
 * removed; nothing is printed (the caller names the file).  The temp file is
 * not in the signal cleanup list: the next write reuses it. */
int atomic_write_at(int dirfd, const char *name, const void *buf, size_t len,
		    mode_t mode);

/* For a cleanup that cannot run in a signal handler (metasnap restore's
 * temporary directory): from now on SIGINT/SIGTERM/SIGHUP are only
 * recorded.  The caller polls atomic_interrupted() (the signal, or 0),
 * cleans up, then atomic_reraise() dies by the signal (if there was one). */
void atomic_defer_signals(void);
int atomic_interrupted(void);
void atomic_reraise(void);

#endif
