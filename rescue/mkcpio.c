/* mkcpio.c: write a reproducible newc cpio archive (an initramfs) from
 * directories and gen_init_cpio-style lists, or list and verify one (-t).
 *
 * Format: lib/cpio.h (the kernel's buffer-format.rst).  List syntax: the
 * kernel's usr/gen_init_cpio.c ("file NAME LOCATION MODE UID GID", "dir",
 * "slink", "nod", "pipe", "sock"); a leading '/' in a list name means the
 * archive root, as there.  Reproducible: entries sorted by name, inode
 * numbers 1..N in that order, every mtime = $SOURCE_DATE_EPOCH (0 if unset),
 * owner 0:0 for directory sources, gzip header without time or name.
 * Exit 1 is not used. */
#include "lib/atomic.h"
#include "lib/cpio.h"
#include "lib/err.h"
#include "lib/gz.h"
#include "lib/opt.h"
#include "lib/tree.h"
#include "lib/xio.h"
#include "toolmain.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: mkcpio [-fqz] [-l LIST]... -o OUT [DIR]...\n"
	"       mkcpio -t [-v] FILE\n"
	"\n"
	"Write a reproducible newc cpio archive (initramfs) of the DIRs' contents\n"
	"and the entries of gen_init_cpio-style LISTs, or list and verify one.\n"
	"\n"
	"  -o OUT     write the archive to OUT ('-' = stdout, not a terminal)\n"
	"  -l LIST    add the entries of LIST (lines: 'dir NAME MODE UID GID',\n"
	"             'file NAME SOURCE MODE UID GID', 'slink NAME TARGET MODE UID GID',\n"
	"             'nod NAME MODE UID GID c|b MAJ MIN', 'pipe|sock NAME MODE UID GID')\n"
	"  -z         compress with gzip (level 9)\n"
	"  -f         replace OUT if it exists\n"
	"  -q         no summary line\n"
	"  -t FILE    list FILE (gzip or not, '-' = stdin) and verify it: headers,\n"
	"             names (absolute or '..' are refused), checksums, trailer\n"
	"  -v         with -t: mode, owner, size, time and link target too\n"
	"\n"
	"Entries are sorted, numbered 1..N, owned by 0:0 (DIR entries) and dated\n"
	"$SOURCE_DATE_EPOCH (0 if unset).  Each DIR's contents go to the archive\n"
	"root; a directory given twice is merged, any other name twice is an error.\n"
	"Exit status: 0 ok, 2 usage, 3 bad input (list, archive or name),\n"
	"4 I/O error, 5 refused (OUT exists, or OUT is inside a DIR).\n";

struct out {
	int fd;
	int gz;
	struct gz_writer g;
};

static int
out_write(void *ctx, const void *buf, size_t n)
{
	struct out *o = ctx;

	return o->gz ? gz_write(&o->g, buf, n) : write_full(o->fd, buf, n);
}

/* ---- list files ---- */

static int
parse_num(const char *s, int base, uint32_t max, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || *end || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Normalise a list name: drop leading and trailing '/', refuse '..' etc. */
static char *
list_name(const char *list, unsigned long line, const char *name)
{
	size_t n;
	char *s;

	while (*name == '/')
		name++;
	s = xstrdup(name);
	n = strlen(s);
	while (n && s[n - 1] == '/')
		s[--n] = 0;
	if (!cpio_name_safe(s) || strcmp(s, ".") == 0) {
		warn_at(RC_DATA, list, line, "unsafe name '%s' (empty, '.', '..' or '//')",
			name);
		free(s);
		return NULL;
	}
	return s;
}

static int
list_line(struct tree *t, const char *list, unsigned long line, char *buf)
{
	char *w[9], *save = NULL, *p;
	int n = 0, need;
	uint32_t mode, uid, gid, maj = 0, min = 0;
	struct tree_ent *e;
	mode_t type;

	for (p = strtok_r(buf, " \t", &save); p && n < 9; p = strtok_r(NULL, " \t", &save))
		w[n++] = p;
	if (n == 0 || w[0][0] == '#')
		return RC_OK;
	if (strcmp(w[0], "dir") == 0 || strcmp(w[0], "pipe") == 0 ||
	    strcmp(w[0], "sock") == 0)
		need = 5;
	else if (strcmp(w[0], "file") == 0 || strcmp(w[0], "slink") == 0)
		need = 6;
	else if (strcmp(w[0], "nod") == 0)
		need = 8;
	else {
		warn_at(RC_DATA, list, line, "unknown entry type '%s'", w[0]);
		return RC_DATA;
	}
	if (n != need) {
		warn_at(RC_DATA, list, line, "'%s' needs %d fields, not %d%s", w[0],
			need - 1, n - 1, n > need && w[0][0] == 'f' ?
			" (hard links are not supported)" : "");
		return RC_DATA;
	}
	{
		int m = need == 6 ? 3 : 2;

		if (parse_num(w[m], 8, 07777, &mode) ||
		    parse_num(w[m + 1], 10, UINT32_MAX - 1, &uid) ||
		    parse_num(w[m + 2], 10, UINT32_MAX - 1, &gid)) {
			warn_at(RC_DATA, list, line, "bad mode, uid or gid '%s %s %s'",
				w[m], w[m + 1], w[m + 2]);
			return RC_DATA;
		}
	}
	switch (w[0][0]) {
	case 'd': type = S_IFDIR; break;
	case 'p': type = S_IFIFO; break;
	case 's': type = w[0][1] == 'o' ? S_IFSOCK : S_IFLNK; break;
	case 'f': type = S_IFREG; break;
	default:
		type = strcmp(w[5], "c") == 0 ? S_IFCHR : strcmp(w[5], "b") == 0 ? S_IFBLK : 0;
		if (!type || parse_num(w[6], 10, 0xfff, &maj) ||
		    parse_num(w[7], 10, 0xfffff, &min)) {
			warn_at(RC_DATA, list, line, "bad device '%s %s %s' (want c|b MAJOR MINOR)",
				w[5], w[6], w[7]);
			return RC_DATA;
		}
	}
	e = tree_add(t);
	e->src = list;
	e->line = line;
	e->name = list_name(list, line, w[1]);
	if (!e->name) {
		t->n--;
		return RC_DATA;
	}
	e->st.st_mode = type | mode;
	e->st.st_uid = uid;
	e->st.st_gid = gid;
	e->st.st_rdev = makedev(maj, min);
	if (type == S_IFLNK) {
		e->link = xstrdup(w[2]);
		e->st.st_size = (off_t)strlen(w[2]);
	} else if (type == S_IFREG) {
		struct stat st;

		if (stat(w[2], &st) != 0) {
			warn_at(RC_DATA, list, line, "%s: %s", w[2], strerror(errno));
			return RC_DATA;
		}
		if (!S_ISREG(st.st_mode)) {
			warn_at(RC_DATA, list, line, "%s: not a regular file", w[2]);
			return RC_DATA;
		}
		e->path = xstrdup(w[2]);
		e->st.st_size = st.st_size;
		e->st.st_dev = st.st_dev;
		e->st.st_ino = st.st_ino;
	}
	return RC_OK;
}

static int
read_list(struct tree *t, const char *list)
{
	char *data, *p, *nl;
	size_t len;
	unsigned long line = 0;
	int rc;

	rc = read_file(list, 64u << 20, &data, &len);
	if (rc)
		return rc;
	if (memchr(data, 0, len)) {
		warn_rc(RC_DATA, "%s: NUL byte in a list file", list);
		free(data);
		return RC_DATA;
	}
	for (p = data; rc == RC_OK && *p; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		line++;
		rc = list_line(t, list, line, p);
		if (!nl)
			break;
	}
	free(data);
	return rc;
}

/* ---- checks on the merged entries ---- */

static void
where(const struct tree_ent *e, char *buf, size_t n)
{
	if (e->line)
		snprintf(buf, n, "%s:%lu", e->src, e->line);
	else
		snprintf(buf, n, "%s", e->path ? e->path : e->src);
}

/* Merge directories named twice; refuse other duplicates and orphans. */
static int
check_entries(struct tree *t)
{
	size_t j = 0;
	char a[PATH_MAX + 32], b[PATH_MAX + 32];

	for (size_t i = 0; i < t->n; i++) {
		struct tree_ent *e = &t->e[i];

		if (j && strcmp(t->e[j - 1].name, e->name) == 0) {
			struct tree_ent *d = &t->e[j - 1];

			where(d, a, sizeof a);
			where(e, b, sizeof b);
			if (!S_ISDIR(d->st.st_mode) || !S_ISDIR(e->st.st_mode)) {
				warn_rc(RC_DATA, "'%s' given twice (%s and %s)", e->name, a, b);
				return RC_DATA;
			}
			if ((d->st.st_mode & 07777) != (e->st.st_mode & 07777) ||
			    d->st.st_uid != e->st.st_uid || d->st.st_gid != e->st.st_gid) {
				warn_rc(RC_DATA, "directory '%s' given twice with different "
					"mode or owner (%s and %s)", e->name, a, b);
				return RC_DATA;
			}
			free(e->name);
			free(e->path);
			free(e->link);
			continue;
		}
		t->e[j++] = *e;
	}
	t->n = j;
	for (size_t i = 0; i < t->n; i++) {
		const char *slash = strrchr(t->e[i].name, '/');
		size_t plen;
		int found = 0;

		if (!slash)
			continue;
		plen = (size_t)(slash - t->e[i].name);
		/* the parent sorts before; search back over its other children */
		for (size_t k = i; k-- > 0;) {
			if (strncmp(t->e[k].name, t->e[i].name, plen) != 0)
				break;
			if (t->e[k].name[plen] == 0) {
				found = S_ISDIR(t->e[k].st.st_mode);
				break;
			}
		}
		if (!found) {
			where(&t->e[i], a, sizeof a);
			warn_rc(RC_DATA, "%s: '%s': parent directory '%.*s' is not in the archive",
				a, t->e[i].name, (int)plen, t->e[i].name);
			return RC_DATA;
		}
	}
	return RC_OK;
}

/* ---- writing ---- */

static int
cpio_data(void *ctx, const void *buf, size_t n)
{
	return cpio_write_data(ctx, buf, n);
}

static int
write_entries(struct cpio_writer *w, const struct tree *t, uint32_t mtime)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct tree_ent *e = &t->e[i];
		struct cpio_entry c = {
			.name = e->name,
			.ino = (uint32_t)(i + 1),
			.mode = (uint32_t)e->st.st_mode,
			.uid = (uint32_t)e->st.st_uid,
			.gid = (uint32_t)e->st.st_gid,
			.nlink = S_ISDIR(e->st.st_mode) ? 2 : 1,
			.mtime = mtime,
		};
		int rc;

		if (S_ISCHR(e->st.st_mode) || S_ISBLK(e->st.st_mode)) {
			c.rdevmajor = major(e->st.st_rdev);
			c.rdevminor = minor(e->st.st_rdev);
		}
		if (S_ISREG(e->st.st_mode) || S_ISLNK(e->st.st_mode))
			c.filesize = (uint32_t)e->st.st_size;
		if (S_ISLNK(e->st.st_mode))
			c.filesize = (uint32_t)strlen(e->link);
		rc = cpio_write_header(w, &c);
		if (rc == -1) {
			warn_sys(RC_IO, "write error");
			return RC_IO;
		}
		if (S_ISLNK(e->st.st_mode) && cpio_write_data(w, e->link, c.filesize)) {
			warn_sys(RC_IO, "write error");
			return RC_IO;
		}
		if (S_ISREG(e->st.st_mode) && c.filesize && (rc = tree_copy(e, cpio_data, w)))
			return rc;
	}
	if (cpio_finish(w)) {
		warn_sys(RC_IO, "write error");
		return RC_IO;
	}
	return RC_OK;
}

/* Sizes, names and the output's identity are checked before writing. */
static int
check_sources(const struct tree *t, const struct stat *out_st)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct tree_ent *e = &t->e[i];
		char a[PATH_MAX + 32];

		where(e, a, sizeof a);
		if (out_st && S_ISREG(e->st.st_mode) && same_file(out_st, &e->st)) {
			warn_rc(RC_REFUSED, "%s: is the output file; not archived into itself", a);
			return RC_REFUSED;
		}
		if (strlen(e->name) > CPIO_NAME_MAX || !cpio_name_safe(e->name) ||
		    strchr(e->name, '\n')) {
			warn_rc(RC_DATA, "%s: name cannot be stored in a cpio archive", a);
			return RC_DATA;
		}
		if (S_ISREG(e->st.st_mode) && (uint64_t)e->st.st_size > UINT32_MAX) {
			warn_rc(RC_DATA, "%s: larger than 4 GiB (newc limit)", a);
			return RC_DATA;
		}
		if (S_ISLNK(e->st.st_mode) &&
		    (strlen(e->link) == 0 || strlen(e->link) >= CPIO_NAME_MAX)) {
			warn_rc(RC_DATA, "%s: bad symlink target length", a);
			return RC_DATA;
		}
	}
	return RC_OK;
}

static int
create(const char *outpath, char **lists, int nlists, char **dirs, int ndirs,
       int force, int gz, int quiet)
{
	struct tree t = { 0 };
	struct atomic_out ao = { .fd = -1 };
	struct cpio_writer w;
	struct out o = { .fd = STDOUT_FILENO, .gz = gz };
	struct stat out_st;
	int to_stdout = strcmp(outpath, "-") == 0;
	int have_out, rc = RC_OK;
	uint32_t mtime = (uint32_t)opt_epoch(UINT32_MAX, 0);

	if (to_stdout && isatty(STDOUT_FILENO))
		die_msg(RC_REFUSED, "not writing an archive to a terminal (use -o FILE)");
	have_out = !to_stdout && stat(outpath, &out_st) == 0;
	for (int i = 0; rc == RC_OK && i < ndirs; i++)
		rc = tree_scan(&t, dirs[i]);
	for (int i = 0; rc == RC_OK && i < nlists; i++)
		rc = read_list(&t, lists[i]);
	if (rc == RC_OK) {
		tree_sort(&t);
		rc = check_entries(&t);
	}
	if (rc == RC_OK)
		rc = check_sources(&t, have_out ? &out_st : NULL);
	if (rc == RC_OK && !to_stdout) {
		rc = atomic_open(&ao, outpath, force ? ATOMIC_OVERWRITE : 0, 0644);
		o.fd = ao.fd;
	}
	if (rc == RC_OK && gz)
		rc = gz_writer_init(&o.g, o.fd, 9);
	if (rc == RC_OK) {
		cpio_writer_init(&w, out_write, &o);
		rc = write_entries(&w, &t, mtime);
		if (gz && rc == RC_OK && gz_writer_finish(&o.g) != 0) {
			warn_sys(RC_IO, "write error");
			rc = RC_IO;
		} else if (gz && rc) {
			gz_writer_free(&o.g);
		}
	}
	if (!to_stdout && ao.fd >= 0) {
		if (rc)
			atomic_abort(&ao);
		else
			rc = atomic_commit(&ao);
	}
	if (rc == RC_OK && !quiet)
		note("%s: %zu entries, %llu bytes%s", to_stdout ? "(stdout)" : outpath,
		     t.n, (unsigned long long)w.off, gz ? " before gzip" : "");
	tree_free(&t);
	return rc;
}

/* ---- listing ---- */

static ssize_t
from_gz(void *ctx, void *buf, size_t n)
{
	return gz_read(ctx, buf, n);
}

static void
mode_string(uint32_t m, char s[11])
{
	static const char types[] = "?pc?d?b?-?l?s???";
	const char *rwx = "rwxrwxrwx";

	s[0] = types[(m >> 12) & 15];
	for (int i = 0; i < 9; i++)
		s[1 + i] = (m & (0400u >> i)) ? rwx[i] : '-';
	if (m & 04000)
		s[3] = (m & 0100) ? 's' : 'S';
	if (m & 02000)
		s[6] = (m & 010) ? 's' : 'S';
	if (m & 01000)
		s[9] = (m & 01) ? 't' : 'T';
	s[10] = 0;
}

static int
list_archive(const char *file, int verbose)
{
	struct gz_reader g;
	struct cpio_reader r;
	struct cpio_entry e;
	int is_stdin = strcmp(file, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open_ro(file), rc, k;
	const char *name = is_stdin ? "(stdin)" : file;
	char buf[65536];

	if (fd < 0)
		return RC_IO;
	rc = gz_reader_init(&g, fd, name, GZ_AUTO);
	if (rc) {
		if (!is_stdin)
			close(fd);
		return rc;
	}
	cpio_reader_init(&r, from_gz, &g, name);
	while ((k = cpio_next(&r, &e)) > 0) {
		uint64_t at = r.off;
		size_t tlen = 0;
		ssize_t n;

		if (!cpio_name_safe(e.name)) {
			warn_off(RC_DATA, name, at, "unsafe name '%s' (absolute or '..')",
				 e.name);
			k = -1;
			break;
		}
		while ((n = cpio_read_data(&r, buf + tlen, S_ISLNK(e.mode) ?
					   sizeof buf - 1 - tlen : sizeof buf)) > 0)
			if (S_ISLNK(e.mode))
				tlen += (size_t)n;
		if (n < 0) {
			k = -1;
			break;
		}
		if (verbose) {
			char ms[11], date[32];
			time_t tt = (time_t)e.mtime;
			struct tm tm;

			mode_string(e.mode, ms);
			gmtime_r(&tt, &tm);
			strftime(date, sizeof date, "%Y-%m-%d %H:%M", &tm);
			if (S_ISCHR(e.mode) || S_ISBLK(e.mode))
				printf("%s %u/%u %4u,%4u %s %s", ms, e.uid, e.gid,
				       e.rdevmajor, e.rdevminor, date, e.name);
			else
				printf("%s %u/%u %9u %s %s", ms, e.uid, e.gid,
				       e.filesize, date, e.name);
			if (S_ISLNK(e.mode))
				printf(" -> %.*s", (int)tlen, buf);
			putchar('\n');
		} else {
			printf("%s\n", e.name);
		}
	}
	cpio_reader_free(&r);
	gz_reader_free(&g);
	if (!is_stdin)
		close(fd);
	return k == 0 ? RC_OK : err_status() ? err_status() : RC_DATA;
}

int
mkcpio_main(int argc, char **argv)
{
	static const struct option longopts[] = { OPT_COMMON, { 0 } };
	const char *out = NULL;
	char **lists = xcalloc((size_t)argc + 1, sizeof *lists);
	int nlists = 0, force = 0, gz = 0, quiet = 0, verbose = 0, list_mode = 0;
	int c, rc;

	while ((c = opt_next(argc, argv, "+:fl:o:qtvz", longopts, usage)) != -1) {
		switch (c) {
		case 'f': force = 1; break;
		case 'l': lists[nlists++] = optarg; break;
		case 'o': out = optarg; break;
		case 'q': quiet = 1; break;
		case 't': list_mode = 1; break;
		case 'v': verbose = 1; break;
		case 'z': gz = 1; break;
		}
	}
	if (list_mode) {
		if (out || nlists || force || gz || optind != argc - 1)
			die_usage("-t takes one FILE and only -v");
		rc = list_archive(argv[optind], verbose);
	} else {
		if (!out)
			die_usage("missing -o OUT");
		if (verbose)
			die_usage("-v goes with -t");
		if (nlists == 0 && optind == argc)
			die_usage("nothing to archive (give a DIR or -l LIST)");
		rc = create(out, lists, nlists, argv + optind, argc - optind, force,
			    gz, quiet);
	}
	free(lists);
	return rc;
}
