/* save.c: metasnap save DIR -o FILE: a gzip'd POSIX tar (lib/tar.c) of DIR,
 * entries sorted, then .metasnap/MANIFEST and .metasnap/MANIFEST.sha256.
 * Every regular file's data ends its own gzip member, so damage found later
 * (a bad CRC) points at one entry.  The bytes depend only on DIR and on
 * SOURCE_DATE_EPOCH (the time given to metasnap's own members). */
#include "metasnap/metasnap.h"
#include "metasnap/pgz.h"
#include "lib/atomic.h"
#include "lib/err.h"
#include "lib/opt.h"
#include "lib/progress.h"
#include "lib/tar.h"
#include "lib/xio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct out {
	struct pgz gz;
	struct tar_writer tw;
	struct progress p;
	uint64_t done;
	int64_t mtime;     /* of metasnap's own members */
	int level;
	const char *file;
};

/* 1 if the directory dirfd is DIR itself or lies below it. */
static int
inside(int dirfd, const struct stat *root)
{
	struct stat st, up;
	int fd = dup(dirfd), r = 0;

	for (int depth = 0; fd >= 0 && depth < 4096; depth++) {
		int parent;

		if (fstat(fd, &st) != 0)
			break;
		if (same_file(&st, root)) {
			r = 1;
			break;
		}
		parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0 || fstat(parent, &up) != 0 || same_file(&up, &st)) {
			if (parent >= 0)
				close(parent);
			break;
		}
		close(fd);
		fd = parent;
	}
	if (fd >= 0)
		close(fd);
	return r;
}

static int
out_dir_fd(const char *file)
{
	char *d = xstrdup(file), *slash = strrchr(d, '/');
	int fd;

	if (!slash)
		strcpy(d, ".");
	else if (slash == d)
		d[1] = 0;
	else
		*slash = 0;
	fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(d);
	return fd;
}

static int
new_member(struct out *o)
{
	if (pgz_cut(&o->gz) != 0) {
		warn_sys(RC_IO, "%s", o->file);
		return RC_IO;
	}
	return RC_OK;
}

static int
data_cb(void *ctx, const void *buf, size_t n)
{
	struct out *o = ctx;

	if (tar_write_data(&o->tw, buf, n) != 0) {
		warn_sys(RC_IO, "%s", o->file);
		return RC_IO;
	}
	o->done += n;
	progress_update(&o->p, o->done);
	return RC_OK;
}

static void
to_tar(const struct ms_entry *e, struct tar_entry *t)
{
	static const char types[] = "f0d5l2h1c3b4p6";

	memset(t, 0, sizeof *t);
	t->name = e->name;
	t->type = strchr(types, e->type)[1];
	t->linkname = e->link;
	t->mode = e->mode;
	t->uid = e->uid;
	t->gid = e->gid;
	t->mtime = e->mtime;
	t->mtime_nsec = e->nsec;
	t->size = e->size;
	t->devmajor = e->major;
	t->devminor = e->minor;
}

static int
write_own(struct out *o, const char *name, const char *data, size_t n, int64_t t)
{
	struct tar_entry e;

	memset(&e, 0, sizeof e);
	e.name = name;
	e.type = TAR_REG;
	e.mode = 0644;
	e.mtime = t;
	if (tar_write_mem(&o->tw, &e, data, n) != 0) {
		warn_sys(RC_IO, "%s", o->file);
		return RC_IO;
	}
	return RC_OK;
}

static int
write_all(struct out *o, int rootfd, const char *dir, struct ms_list *l)
{
	char *man = NULL, sum[2 * SHA256_LEN + 32];
	size_t len = 0, cap = 0;
	uint8_t d[SHA256_LEN];
	int rc = RC_OK;
	int64_t t = o->mtime;

	ms_escape(&man, &len, &cap, "");
	xgrow((void **)&man, &cap, strlen(MS_MAGIC) + 64, 1);
	len = (size_t)sprintf(man, "%s# type mode uid gid size mtime sha256 target name\n",
			      MS_MAGIC);
	for (size_t i = 0; i < l->n && rc == RC_OK; i++) {
		struct ms_entry *e = &l->v[i];
		struct tar_entry te;
		int w;

		to_tar(e, &te);
		if ((w = tar_write_header(&o->tw, &te)) != 0) {
			if (w == -2)
				warn_rc(RC_DATA, "%s/%s: cannot be stored in a tar header", dir,
					e->name);
			else
				warn_sys(RC_IO, "%s", o->file);
			rc = w == -2 ? RC_DATA : RC_IO;
			break;
		}
		if (e->type == 'f') {
			if ((rc = ms_read_file(rootfd, dir, e, data_cb, o)) != RC_OK)
				break;
			if (e->size && (rc = new_member(o)) != RC_OK)
				break;
		}
		ms_manifest_line(&man, &len, &cap, e);
	}
	if (rc == RC_OK)
		rc = write_own(o, MS_MANIFEST, man, len, t);
	if (rc == RC_OK) {
		sha256_buf(man, len, d);
		sha256_hex(d, sum);
		strcat(sum, "  MANIFEST\n");
		rc = write_own(o, MS_MANIFEST_SUM, sum, strlen(sum), t);
	}
	if (rc == RC_OK && tar_finish(&o->tw) != 0) {
		warn_sys(RC_IO, "%s", o->file);
		rc = RC_IO;
	}
	free(man);
	return rc;
}

int
ms_save(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "output", required_argument, 0, 'o' },
		{ "force", no_argument, 0, 'f' },
		{ "quiet", no_argument, 0, 'q' },
		{ "level", required_argument, 0, 'l' },
		{ "jobs", required_argument, 0, 'j' },
		OPT_COMMON, { 0, 0, 0, 0 },
	};
	const char *file = NULL, *dir = NULL;
	struct ms_list l = { 0 };
	struct atomic_out ao;
	struct out o;
	struct stat root;
	int c, quiet = 0, force = 0, rootfd, outdir, rc;
	uint64_t total = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int threads = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (int)ncpu;

	memset(&o, 0, sizeof o);
	o.level = 6;
	for (;;) {
		while ((c = opt_next(argc, argv, "+:o:fql:j:h", longs, ms_usage)) != -1) {
			switch (c) {
			case 'o': file = optarg; break;
			case 'f': force = 1; break;
			case 'q': quiet = 1; break;
			case 'l': o.level = (int)opt_uint("--level", optarg, 0, 9); break;
			case 'j': threads = (int)opt_uint("--jobs", optarg, 1, 64); break;
			}
		}
		if (optind >= argc)
			break;
		if (dir)
			die_usage("unexpected argument '%s'", argv[optind]);
		dir = argv[optind++];
	}
	if (!dir)
		die_usage("missing DIR");
	if (!file)
		die_usage("missing -o FILE");
	/* a bad value is an error, not the wall clock: the archive must not
	 * silently stop being reproducible */
	o.mtime = (int64_t)opt_epoch(INT64_MAX, (uint64_t)time(NULL));
	rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 || fstat(rootfd, &root) != 0)
		die_sys(errno == ENOTDIR ? RC_DATA : RC_IO, "%s", dir);
	outdir = out_dir_fd(file);
	if (outdir < 0)
		die_sys(RC_IO, "%s", file);
	if (inside(outdir, &root))
		die_msg(RC_REFUSED, "%s: refusing to write the archive inside %s", file, dir);
	close(outdir);
	if ((rc = ms_walk(rootfd, dir, &l)) != RC_OK)
		return rc;
	for (size_t i = 0; i < l.n; i++) {
		if (strcmp(l.v[i].name, MS_DIR) == 0 ||
		    strncmp(l.v[i].name, MS_DIR "/", sizeof MS_DIR) == 0)
			die_msg(RC_REFUSED, "%s/%s: name reserved for metasnap's own members "
				"(left by a manual extraction? move it away)", dir, MS_DIR);
		total += l.v[i].size;
	}
	if ((rc = atomic_open(&ao, file, force ? ATOMIC_OVERWRITE : 0, 0600)) != RC_OK)
		return rc;
	o.file = file;
	pgz_init(&o.gz, ao.fd, o.level, threads);
	tar_writer_init(&o.tw, pgz_write, &o.gz);
	progress_init(&o.p, "saving", "B", total, quiet);
	rc = write_all(&o, rootfd, dir, &l);
	if (rc == RC_OK && pgz_finish(&o.gz) != 0) {
		warn_sys(RC_IO, "%s", file);
		rc = RC_IO;
	}
	pgz_free(&o.gz);
	if (rc != RC_OK) {
		atomic_abort(&ao);
		return rc;
	}
	if ((rc = atomic_commit(&ao)) != RC_OK)
		return rc;
	{
		char h[32];
		progress_done(&o.p, "saved %zu entries (%s) from %s to %s", l.n,
			      progress_human(h, sizeof h, (double)total), dir, file);
	}
	ms_list_free(&l);
	close(rootfd);
	return RC_OK;
}
