/* err.c: one-line messages on stderr and the exit statuses of docs/contributing.md 1.1.
 * Each message goes out in a single write(2) so it cannot interleave with a
 * child's output or a progress line (busybox does the same). */
#include "lib/err.h"
#include "lib/progress.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *prog = "rescue";
static int worst;
static int quiet;
static void (*hook)(const char *msg, size_t len);

int
err_status(void)
{
	return worst;
}

void
err_reset(void)
{
	worst = 0;
}

void
err_set_hook(void (*fn)(const char *msg, size_t len))
{
	hook = fn;
}

void
err_set_quiet(int q)
{
	quiet = q;
}

static void
remember(int rc)
{
	if (rc > worst)
		worst = rc;
}

void
err_vformat(char *buf, size_t n, const char *file, unsigned long line,
	    int has_line, uint64_t off, int has_off, int errnum,
	    const char *fmt, va_list ap)
{
	size_t len = 0;
	int r;

	r = snprintf(buf, n, "%s: ", prog);
	len = r > 0 ? (size_t)r : 0;
	if (file && len < n) {
		if (has_line)
			r = snprintf(buf + len, n - len, "%s:%lu: ", file, line);
		else if (has_off)
			r = snprintf(buf + len, n - len, "%s@%llu: ", file,
				     (unsigned long long)off);
		else
			r = snprintf(buf + len, n - len, "%s: ", file);
		len += r > 0 ? (size_t)r : 0;
	}
	if (len < n) {
		r = vsnprintf(buf + len, n - len, fmt, ap);
		len += r > 0 ? (size_t)r : 0;
	}
	if (errnum && len < n) {
		r = snprintf(buf + len, n - len, ": %s", strerror(errnum));
		len += r > 0 ? (size_t)r : 0;
	}
	if (len >= n - 1)
		len = n - 2;
	buf[len++] = '\n';
	buf[len] = 0;
}

static void
emit(const char *file, unsigned long line, int has_line, uint64_t off,
     int has_off, int errnum, const char *fmt, va_list ap)
{
	char buf[4096];
	size_t len, done = 0;

	if (quiet)
		return;
	err_vformat(buf, sizeof buf, file, line, has_line, off, has_off,
		    errnum, fmt, ap);
	progress_clear();
	len = strlen(buf);
	while (done < len) {
		ssize_t w = write(2, buf + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (hook)
		hook(buf, len);
}

/* The message functions below differ only in where the message points and
 * what they do after: each is one EMIT and its own ending. */
#define EMIT(file, line, has_line, off, has_off, errnum) do { \
	va_list ap; \
	va_start(ap, fmt); \
	emit(file, line, has_line, off, has_off, errnum, fmt, ap); \
	va_end(ap); \
} while (0)

void
warn_rc(int rc, const char *fmt, ...)
{
	EMIT(NULL, 0, 0, 0, 0, 0);
	remember(rc);
}

void
warn_sys(int rc, const char *fmt, ...)
{
	int e = errno;

	EMIT(NULL, 0, 0, 0, 0, e);
	remember(rc);
	errno = e;
}

void
warn_at(int rc, const char *file, unsigned long line, const char *fmt, ...)
{
	EMIT(file, line, 1, 0, 0, 0);
	remember(rc);
}

void
warn_off(int rc, const char *file, uint64_t off, const char *fmt, ...)
{
	EMIT(file, 0, 0, off, 1, 0);
	remember(rc);
}

void
note(const char *fmt, ...)
{
	EMIT(NULL, 0, 0, 0, 0, 0);
}

void
note_at(const char *file, unsigned long line, const char *fmt, ...)
{
	EMIT(file, line, 1, 0, 0, 0);
}

_Noreturn void
die_msg(int rc, const char *fmt, ...)
{
	EMIT(NULL, 0, 0, 0, 0, 0);
	exit(rc);
}

_Noreturn void
die_sys(int rc, const char *fmt, ...)
{
	int e = errno;

	EMIT(NULL, 0, 0, 0, 0, e);
	exit(rc);
}

_Noreturn void
die_usage(const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	die_msg(RC_USAGE, "%s (see '%s --help')", what, prog);
}

int
err_finish(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		/* A closed pipe is the reader's choice, not our failure. */
		if (errno == EPIPE)
			return rc;
		warn_sys(RC_IO, "write error on standard output");
		return rc > RC_IO ? rc : RC_IO;
	}
	return rc;
}
