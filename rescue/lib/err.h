/* err.h: messages and exit statuses shared by every tool.
 *
 * Format: "TOOL: [FILE[:LINE|@OFFSET]: ]what is wrong[: strerror]", one write(2).
 * Exit statuses (docs/contributing.md 1.1): see the RC_* constants.  Nothing in lib/ exits
 * except die*() and the x*() wrappers.
 *
 * Return values in lib/ (one rule per kind of function, used everywhere):
 *  - A function that reports its own failure returns a status: RC_OK (0), or
 *    an RC_* status after printing a message (atomic_open, conf_parse,
 *    read_file, tree_scan, lock_take, gz_reader_init, ...).
 *  - A reader returns a count: > 0 for what it read (1 for an entry:
 *    cpio_next, tar_read_next; bytes: gz_read, cpio_read_data,
 *    tar_read_data), 0 at a clean end, -1 after printing a message; the
 *    status is then err_status().  1 is never a status here, so an entry
 *    cannot be mistaken for RC_DIFF.
 *  - A function that prints nothing returns 0, or -1 (errno set when a
 *    system call failed), and its caller words the message (write_full,
 *    gz_write, fd_size, opt_parse_*).
 *    The archive writers (cpio_write_*, tar_write_*) also return -2 (errno
 *    EINVAL, nothing written) for an entry the format cannot hold, so the
 *    caller can tell bad data (RC_DATA) from a write error (RC_IO).
 *  - A predicate (cpio_name_safe, conf_key_ok, same_file) returns 1 or 0.
 */
#ifndef RESCUE_ERR_H
#define RESCUE_ERR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum {
	RC_OK = 0,      /* success */
	RC_DIFF = 1,    /* a check ran and found a difference or problem */
	RC_USAGE = 2,   /* usage error, unknown tool */
	RC_DATA = 3,    /* bad or unsupported input data */
	RC_IO = 4,      /* I/O or system error */
	RC_REFUSED = 5, /* refused for safety */
};

/* Name printed before every message; the dispatcher sets it to the tool. */
extern const char *prog;

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* Print a message; remember rc as the worst status so far (err_status()). */
void warn_rc(int rc, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Same, with ": strerror(errno)" appended. */
void warn_sys(int rc, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Position forms: "FILE:LINE: ..." and "FILE@OFFSET: ...". */
void warn_at(int rc, const char *file, unsigned long line, const char *fmt, ...) PRINTF_LIKE(4, 5);
void warn_off(int rc, const char *file, uint64_t off, const char *fmt, ...) PRINTF_LIKE(4, 5);
/* A note that does not change the status (e.g. "warning: ..."). */
void note(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* The same at a position: "TOOL: FILE:LINE: ...". */
void note_at(const char *file, unsigned long line, const char *fmt, ...) PRINTF_LIKE(3, 4);

_Noreturn void die_msg(int rc, const char *fmt, ...) PRINTF_LIKE(2, 3);
_Noreturn void die_sys(int rc, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* "TOOL: what (see 'TOOL --help')", exit 2. */
_Noreturn void die_usage(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Worst status recorded by warn_*() so far (0 if none). */
int err_status(void);
void err_reset(void);
/* When set, messages are not printed (fuzz harnesses); status is still kept. */
void err_set_quiet(int quiet);

/* Called with each message after it is written (the whole text, newline
 * included), in the thread that wrote it; NULL for none.  blksync serve
 * keeps the last one to send back to push. */
void err_set_hook(void (*hook)(const char *msg, size_t len));

/* Flush stdout and turn a write error into status 4; returns the final
 * status to exit with (max of rc and the stdout result). */
int err_finish(int rc);

/* Low-level: format one message into buf (used by the functions above). */
void err_vformat(char *buf, size_t n, const char *file, unsigned long line,
		 int has_line, uint64_t off, int has_off, int errnum,
		 const char *fmt, va_list ap);

#endif
