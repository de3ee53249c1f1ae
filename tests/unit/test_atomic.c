/* test_atomic.c: lib/atomic.c writes through a temp file and never leaves a
 * partial target: refusal of existing targets, mode/owner kept, symlinks
 * followed, abort and failure paths leave the old content; atomic_write_at
 * (under a directory fd) and its failure path. */
#include "lib/atomic.h"
#include "lib/err.h"
#include "lib/xio.h"
#include "unit.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/rescue-test-atomic.XXXXXX";
static char path[300];

static const char *
at(const char *name)
{
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static const char *
slurp(const char *name)
{
	static char buf[4096];
	int fd = open(at(name), O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read_full(fd, buf, sizeof buf - 1);

	if (fd >= 0)
		close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return n < 0 ? "(missing)" : buf;
}

static int
temp_files_left(void)
{
	int n = 0;
	struct dirent *d;
	DIR *dp = opendir(dir);

	while (dp && (d = readdir(dp)))
		n += strstr(d->d_name, ".tmp.") != NULL;
	if (dp)
		closedir(dp);
	return n;
}

static void
test_create_and_refuse_existing(void)
{
	CHECK(atomic_write_file(at("a"), "one", 3, 0, 0640) == RC_OK);
	CHECK_STR(slurp("a"), "one");
	/* without ATOMIC_OVERWRITE an existing target is refused, unchanged */
	CHECK(atomic_write_file(at("a"), "two", 3, 0, 0640) == RC_REFUSED);
	CHECK_STR(slurp("a"), "one");
	CHECK(atomic_write_file(at("a"), "two", 3, ATOMIC_OVERWRITE, 0640) == RC_OK);
	CHECK_STR(slurp("a"), "two");
	CHECK(temp_files_left() == 0);
}

static void
test_keep_meta(void)
{
	struct stat st;

	CHECK(atomic_write_file(at("m"), "x", 1, 0, 0600) == RC_OK);
	CHECK(chmod(at("m"), 0754) == 0);
	CHECK(atomic_write_file(at("m"), "y", 1, ATOMIC_OVERWRITE | ATOMIC_KEEP_META, 0600) == RC_OK);
	CHECK(stat(at("m"), &st) == 0 && (st.st_mode & 07777) == 0754);
	CHECK(atomic_write_file(at("m"), "z", 1, ATOMIC_OVERWRITE, 0600) == RC_OK);
	CHECK(stat(at("m"), &st) == 0 && (st.st_mode & 07777) == 0600);
}

static void
test_symlink_is_followed(void)
{
	struct stat st;
	char target[300];

	CHECK(atomic_write_file(at("real"), "old", 3, 0, 0644) == RC_OK);
	snprintf(target, sizeof target, "%s", at("real"));
	CHECK(symlink(target, at("link")) == 0);
	CHECK(atomic_write_file(at("link"), "new", 3, ATOMIC_OVERWRITE, 0644) == RC_OK);
	CHECK(lstat(at("link"), &st) == 0 && S_ISLNK(st.st_mode));
	CHECK_STR(slurp("real"), "new");
	/* a dangling link is refused rather than replaced by a file */
	CHECK(symlink("nowhere", at("dangling")) == 0);
	CHECK(atomic_write_file(at("dangling"), "x", 1, ATOMIC_OVERWRITE, 0644) == RC_REFUSED);
	CHECK(lstat(at("dangling"), &st) == 0 && S_ISLNK(st.st_mode));
}

static void
test_abort_keeps_old(void)
{
	struct atomic_out o;

	CHECK(atomic_write_file(at("b"), "keep", 4, 0, 0644) == RC_OK);
	CHECK(atomic_open(&o, at("b"), ATOMIC_OVERWRITE, 0644) == RC_OK);
	CHECK(write_full(o.fd, "partial", 7) == 0);
	CHECK(temp_files_left() == 1);
	CHECK_STR(slurp("b"), "keep");
	atomic_abort(&o);
	CHECK_STR(slurp("b"), "keep");
	CHECK(temp_files_left() == 0);
}

static void
test_not_a_regular_file(void)
{
	CHECK(mkdir(at("d"), 0755) == 0);
	CHECK(atomic_write_file(at("d"), "x", 1, ATOMIC_OVERWRITE, 0644) == RC_REFUSED);
	CHECK(atomic_write_file(at("nodir/x"), "x", 1, 0, 0644) == RC_IO);
}

/* A child killed between open and commit leaves the target intact; a child
 * killed by SIGTERM removes its temp file. */
static void
test_killed_writer(void)
{
	int sig[2] = { SIGKILL, SIGTERM };

	for (int i = 0; i < 2; i++) {
		int p[2], st;
		char c;
		pid_t pid;

		CHECK(atomic_write_file(at("k"), "old", 3, ATOMIC_OVERWRITE, 0644) == RC_OK);
		CHECK(pipe(p) == 0);
		pid = fork();
		if (pid == 0) {
			struct atomic_out o;

			err_set_quiet(1);
			if (atomic_open(&o, at("k"), ATOMIC_OVERWRITE, 0644) == RC_OK &&
			    write_full(o.fd, "new-partial", 11) == 0)
				(void)write(p[1], "r", 1);
			pause();
			_exit(0);
		}
		CHECK(read(p[0], &c, 1) == 1);
		kill(pid, sig[i]);
		waitpid(pid, &st, 0);
		close(p[0]);
		close(p[1]);
		CHECK_STR(slurp("k"), "old");
		CHECK(temp_files_left() == (sig[i] == SIGKILL));
		system("rm -f /tmp/rescue-test-atomic.*/k.tmp.*");
	}
}

/* atomic_write_at: written under a directory fd, an existing name (even a
 * symlink) replaced, never followed; no temp file left. */
static void
test_write_at(void)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	CHECK(dfd >= 0);
	CHECK(atomic_write_at(dfd, "j", "one", 3, 0600) == 0);
	CHECK_STR(slurp("j"), "one");
	CHECK(atomic_write_at(dfd, "j", "two", 3, 0600) == 0);
	CHECK_STR(slurp("j"), "two");
	CHECK(atomic_write_file(at("target"), "keep", 4, 0, 0644) == RC_OK);
	CHECK(symlink("target", at("jl")) == 0);
	CHECK(atomic_write_at(dfd, "jl", "new", 3, 0600) == 0);
	CHECK_STR(slurp("target"), "keep");
	CHECK(lstat(at("jl"), &st) == 0 && S_ISREG(st.st_mode));
	CHECK(temp_files_left() == 0);
	close(dfd);
}

/* A failed write (the file size limit here) returns -1 with errno, removes
 * the temp file and leaks no descriptor. */
static void
test_write_at_failure(void)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		static char big[100];
		struct rlimit rl = { 4, 4 };
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int probe = open("/dev/null", O_RDONLY), r, e, after;

		close(probe);
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		r = atomic_write_at(dfd, "big", big, sizeof big, 0600);
		e = errno;
		after = open("/dev/null", O_RDONLY);
		_exit(r == -1 && e == EFBIG ? (after == probe ? 0 : 2) : 1);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_STR(slurp("big"), "(missing)");
	CHECK(temp_files_left() == 0);
}

static void
setup(void)
{
	CHECK(mkdtemp(dir) != NULL);
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

UNIT_MAIN_FIXTURE(setup, teardown, test_create_and_refuse_existing, test_keep_meta,
	  test_symlink_is_followed, test_abort_keeps_old, test_not_a_regular_file,
	  test_killed_writer, test_write_at, test_write_at_failure)
