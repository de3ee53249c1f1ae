/* test_progress.c: the progress line appears only on a terminal (a pty here),
 * shows percent, rate and ETA, is erased before a message, and stays silent
 * when stderr is a file or -q was given; the summary line always appears.
 * The MooseFS-style "changes" line keeps MooseFS's bytes. */
#include "lib/err.h"
#include "lib/progress.h"
#include "unit.h"

#include <fcntl.h>
#include <pty.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const struct timespec tick = { 0, 40 * 1000 * 1000 };

/* a fake long job reading 10 MiB */
static void
read_job(int quiet)
{
	struct progress pr;

	progress_init(&pr, "reading", "B", 100 << 20, quiet);
	for (int i = 1; i <= 10; i++) {
		nanosleep(&tick, NULL);
		progress_update(&pr, (uint64_t)i << 20);
	}
	warn_rc(RC_DATA, "a message in between");
	progress_done(&pr, "summary: 10 MiB");
}

/* a fake changelog replay of changes 19..33 */
static void
changes_job(int quiet)
{
	struct progress pr;

	progress_init(&pr, "replaying", "changes", 0, quiet);
	for (uint64_t id = 19; id < 26; id++) {
		nanosleep(&tick, NULL);
		progress_changes(&pr, id, 19, 33, 0);
	}
	warn_rc(RC_DATA, "a message in between");
	progress_changes(&pr, 33, 19, 33, 1);
}

/* Run job with stderr on a pty (tty=1) or a pipe; return what it printed. */
static const char *
capture(int tty, int quiet, void (*job)(int))
{
	static char out[8192];
	int master = -1, slave = -1, p[2];
	size_t n = 0;
	pid_t pid;

	if (tty)
		CHECK(openpty(&master, &slave, NULL, NULL, NULL) == 0);
	else
		CHECK(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		dup2(tty ? slave : p[1], 2);
		job(quiet);
		_exit(0);
	}
	if (tty)
		close(slave);
	else
		close(p[1]);
	for (;;) {
		ssize_t r = read(tty ? master : p[0], out + n, sizeof out - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	waitpid(pid, NULL, 0);
	close(tty ? master : p[0]);
	out[n] = 0;
	return out;
}

static void
test_tty_shows_progress(void)
{
	const char *o = capture(1, 0, read_job);

	CHECK(strstr(o, "rescue: reading") != NULL);
	CHECK(strstr(o, "%") != NULL);
	CHECK(strstr(o, "MiB/s") != NULL);
	CHECK(strstr(o, "ETA") != NULL);
	/* the line is erased before the message and the summary */
	CHECK(strstr(o, "\r\033[Krescue: a message in between") != NULL);
	CHECK(strstr(o, "rescue: summary: 10 MiB") != NULL);
}

static void
test_pipe_is_silent(void)
{
	CHECK_STR(capture(0, 0, read_job), "rescue: a message in between\nrescue: summary: 10 MiB\n");
}

static void
test_quiet_is_silent(void)
{
	const char *o = capture(1, 1, read_job);

	CHECK(strstr(o, "reading") == NULL);
	CHECK(strstr(o, "summary") == NULL);
	CHECK(strstr(o, "a message in between") != NULL);
}

static void
test_changes_tty(void)
{
	const char *o = capture(1, 0, changes_job);

	CHECK(strstr(o, "\rprogress: current change: 2") != NULL);
	CHECK(strstr(o, " (first:19 - last:33 - ") != NULL);
	CHECK(strstr(o, "\r\033[Krescue: a message in between") != NULL);
	/* a pty turns "\n" into "\r\n" */
	CHECK(strstr(o, "\rprogress: current change: 33 (first:19 - last:33 - 100% - ETA:finished)\r\n") != NULL);
}

static void
test_changes_pipe(void)
{
	/* MooseFS's bytes: a leading CR, no "TOOL: " */
	CHECK_STR(capture(0, 0, changes_job), "rescue: a message in between\n"
		  "\rprogress: current change: 33 (first:19 - last:33 - 100% - ETA:finished)\n");
}

static void
test_changes_quiet(void)
{
	CHECK_STR(capture(1, 1, changes_job), "rescue: a message in between\r\n");
}

static void
test_human(void)
{
	char b[32];

	CHECK_STR(progress_human(b, sizeof b, 0), "0 B");
	CHECK_STR(progress_human(b, sizeof b, 1023), "1023 B");
	CHECK_STR(progress_human(b, sizeof b, 1536), "1.5 KiB");
	CHECK_STR(progress_human(b, sizeof b, 3.0 * 1024 * 1024 * 1024), "3.0 GiB");
}

UNIT_MAIN(test_tty_shows_progress, test_pipe_is_silent, test_quiet_is_silent,
	  test_changes_tty, test_changes_pipe, test_changes_quiet, test_human)
