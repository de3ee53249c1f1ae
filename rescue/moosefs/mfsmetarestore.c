/* mfsmetarestore.c: restore MooseFS 3.0.117 metadata offline: load a
 * snapshot, replay every later changelog line (master and metalogger files
 * in any order, duplicates taken once), store a new metadata file.
 * Spec: moosefs-format.md 2.3, 2.4, 4, 5.  Deliberate difference from
 * MooseFS: a torn last changelog line does not make the whole file be
 * ignored; the complete lines before it are applied and a warning is given.
 * Exit 1: -b/-i stored incomplete metadata after an error. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/err.h"
#include "lib/opt.h"
#include "lib/progress.h"
#include "lib/xio.h"
#include "moosefs/changelog.h"
#include "moosefs/meta.h"
#include "moosefs/replay.h"

static const char usage[] =
	"usage: mfsmetarestore [-f] [-x [-x]] [-b] [-i] -m META -o OUT [CHANGELOG...]\n"
	"       mfsmetarestore -a [-x [-x]] [-b] [-i] [-d DATA_PATH | -c CFG]\n"
	"Restore MooseFS 3.0.117 metadata without MooseFS: load the snapshot META\n"
	"(metadata.mfs.back, metadata_ml.mfs.back, ...), apply every later line of\n"
	"the changelogs (changelog.N.mfs, changelog_ml.N.mfs, changelog_ml_back.N.mfs,\n"
	"any order; lines already in META are skipped, duplicates taken once) and\n"
	"write OUT atomically.  Inputs are never modified.\n"
	"  -m META       metadata snapshot to start from\n"
	"  -o OUT        metadata file to write (must not exist unless -f)\n"
	"  -f            replace an existing OUT\n"
	"  -a            automatic: use DATA_PATH's newest snapshot and all its\n"
	"                changelogs, keep the old metadata.mfs as a backup and write\n"
	"                DATA_PATH/metadata.mfs\n"
	"  -d DATA_PATH  data directory for -a (default: DATA_PATH from the config,\n"
	"                else /var/lib/mfs)\n"
	"  -c CFG        mfsmaster.cfg to read DATA_PATH from (default /etc/mfs/mfsmaster.cfg)\n"
	"  -b            on a replay error or gap, store the best metadata reached\n"
	"  -i            ignore structure errors like mfsmaster -i (implies -b)\n"
	"  -x            print every applied change (-x -x: also the file decisions)\n"
	"Exit status: 0 restored, 1 incomplete metadata stored (-b/-i), 2 usage,\n"
	"3 bad input data (nothing written), 4 I/O error, 5 refused.\n";

struct opts {
	int best, ignore, verbose, force;
};

struct job {
	struct clfile *f;
	size_t nf;
	uint64_t lastid;        /* highest last id among the files */
};

static int
tty2(void)
{
	return isatty(2);
}

static void
show_progress(uint64_t cur, uint64_t first, uint64_t last, double t0, int final)
{
	double now, el, pct;
	char eta[32];
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	el = now - t0;
	pct = last > first ? 100.0 * (double)(cur - first) / (double)(last - first) : 100.0;
	if (final || pct >= 100.0) {
		snprintf(eta, sizeof eta, "finished");
	} else {
		double rest = pct > 0 ? el * (100.0 - pct) / pct : 0;
		snprintf(eta, sizeof eta, "%us", (unsigned)rest);
	}
	fprintf(stderr, "%sprogress: current change: %llu (first:%llu - last:%llu - %u%% - ETA:%s)%s",
		final ? "\r" : "\r", (unsigned long long)cur, (unsigned long long)first,
		(unsigned long long)last, (unsigned)pct, eta, final ? "\n" : "");
}

static double
mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* replay all files; returns RC_OK, or RC_DATA/RC_IO after a message */
static int
replay_all(struct mfs_meta *m, struct job *j, const struct opts *o)
{
	uint64_t first = m->version, applied = 0;
	double t0 = mono(), tl = 0;
	int tty = tty2();
	char msg[1024];
	int rc = RC_OK;

	for (size_t i = 0; i < j->nf; i++) {
		int k = cl_next(&j->f[i]);
		if (k < 0)
			return -k;
		if (k == 0)
			j->f[i].id = UINT64_MAX;
	}
	for (;;) {
		struct clfile *f = NULL;
		uint64_t id;
		int st, k;

		for (size_t i = 0; i < j->nf; i++) {
			if (j->f[i].id != UINT64_MAX && (!f || j->f[i].id < f->id))
				f = &j->f[i];
		}
		if (!f)
			break;
		id = f->id;
		if (id == 0) {
			warn_at(RC_DATA, f->path, f->lineno, "not a changelog line (no 'ID: ' at the start)");
			rc = RC_DATA;
			break;
		}
		if (f->prev && id <= f->prev) {
			warn_at(RC_DATA, f->path, f->lineno, "change id %llu does not follow the previous id %llu in this file",
				(unsigned long long)id, (unsigned long long)f->prev);
			rc = RC_DATA;
			break;
		}
		if (id > m->version) {
			if (applied)
				warn_at(RC_DATA, f->path, f->lineno,
					"gap in the changelogs: last id applied %llu, next id found %llu (changes %llu..%llu are missing)",
					(unsigned long long)(m->version - 1), (unsigned long long)id,
					(unsigned long long)m->version, (unsigned long long)(id - 1));
			else
				warn_at(RC_DATA, f->path, f->lineno,
					"changelogs do not connect to the metadata file: it needs change %llu next, the first change found is %llu (changes %llu..%llu are missing: a changelog file is missing)",
					(unsigned long long)m->version, (unsigned long long)id,
					(unsigned long long)m->version, (unsigned long long)(id - 1));
			rc = RC_DATA;
			break;
		}
		if (id == m->version) {
			st = mfs_replay(m, f->text, f->len, msg, sizeof msg);
			if (st == ST_PARSE) {
				warn_at(RC_DATA, f->path, f->lineno, "change %llu: %s", (unsigned long long)id, msg);
				rc = RC_DATA;
				break;
			}
			if (st != ST_OK) {
				warn_at(RC_DATA, f->path, f->lineno, "change %llu: %s", (unsigned long long)id, msg);
				rc = RC_DATA;
				break;
			}
			if (m->version != id + 1) {
				warn_at(RC_DATA, f->path, f->lineno,
					"change %llu: version mismatch: after it the metadata version is %llu, expected %llu (MooseFS 3.0.117 fails here too)",
					(unsigned long long)id, (unsigned long long)m->version, (unsigned long long)(id + 1));
				rc = RC_DATA;
				break;
			}
			applied++;
			if (o->verbose)
				fprintf(stderr, "%s:%llu: applied %.*s\n", f->path, (unsigned long long)f->lineno,
					(int)f->rawlen, f->raw);
			if (tty && (applied & 1023) == 0 && mono() - tl > 0.2) {
				tl = mono();
				show_progress(id, first, j->lastid, t0, 0);
			}
		} else if (o->verbose > 1) {
			fprintf(stderr, "%s:%llu: change %llu already applied, skipped\n", f->path,
				(unsigned long long)f->lineno, (unsigned long long)id);
		}
		f->prev = id;
		k = cl_next(f);
		if (k < 0)
			return -k;
		if (k == 0) {
			f->id = UINT64_MAX;
			if (f->torn)
				note("warning: %s:%llu: last line is torn (no newline: the master died while writing it): '%.*s' ignored, the %llu complete lines before it are used (MooseFS 3.0.117 would ignore the whole file)",
				     f->path, (unsigned long long)f->lineno + 1,
				     (int)(f->end - f->pos > 40 ? 40 : f->end - f->pos), f->buf + f->pos, (unsigned long long)f->lineno);
		}
	}
	if (rc == RC_OK && applied)
		show_progress(m->version - 1, first, j->lastid > m->version - 1 ? j->lastid : m->version - 1, t0, 1);
	return rc;
}

static int
open_changelogs(struct job *j, char **paths, size_t n, uint64_t version, const struct opts *o)
{
	j->f = xcalloc(n + 1, sizeof *j->f);
	j->nf = 0;
	j->lastid = 0;
	for (size_t i = 0; i < n; i++) {
		struct clfile *f = &j->f[j->nf];
		int rc = cl_open(f, paths[i]);
		if (rc)
			return rc;
		if (f->first == 0 && f->size > 0) {
			warn_at(RC_DATA, paths[i], 1, "not a changelog line (no 'ID: ' at the start)");
			return RC_DATA;
		}
		if (f->torn && f->last < version && f->size > 0) {
			note("warning: %s: last line is torn (no newline: the master died while writing it) and no complete line in it is newer than the metadata: file not used",
			     paths[i]);
			cl_close(f);
			continue;
		}
		if (f->size == 0 || f->last < version) {
			if (o->verbose > 1)
				fprintf(stderr, "%s: skipped (its last change %llu is already in the metadata)\n", paths[i],
					(unsigned long long)f->last);
			cl_close(f);
			continue;
		}
		if (f->last > j->lastid)
			j->lastid = f->last;
		j->nf++;
	}
	return RC_OK;
}

static void
close_changelogs(struct job *j)
{
	for (size_t i = 0; i < j->nf; i++)
		cl_close(&j->f[i]);
	free(j->f);
}

static int
store(struct mfs_meta *m, const char *out, int flags)
{
	struct atomic_out ao;
	int rc = atomic_open(&ao, out, flags, 0640);

	if (rc)
		return rc;
	rc = mfs_store_fd(m, ao.fd, out, (uint32_t)time(NULL));
	if (rc) {
		atomic_abort(&ao);
		return rc;
	}
	return atomic_commit(&ao);
}

/* load, replay, and (if all went well or -b/-i) store */
/* -a: keep the current metadata.mfs (a hard link; it stays untouched) */
static int
keep_previous(const char *out)
{
	struct stat st;
	char prev[4200];

	if (stat(out, &st) != 0 || st.st_size == 0)
		return RC_OK;
	snprintf(prev, sizeof prev, "%s.prev.%lld", out, (long long)time(NULL));
	if (link(out, prev) < 0) {
		warn_sys(RC_IO, "cannot keep a backup of %s as %s", out, prev);
		return RC_IO;
	}
	fprintf(stderr, "mfsmetarestore: previous %s kept as %s\n", out, prev);
	return RC_OK;
}

static int
restore(const char *meta, char **cls, size_t ncl, const char *out, int aflags, int backup, const struct opts *o)
{
	struct mfs_meta m;
	struct job j = { 0 };
	int rc, rrc;

	{
		struct progress pr;
		struct stat st;
		progress_init(&pr, "loading", "B", stat(meta, &st) == 0 ? (uint64_t)st.st_size : 0, 0);
		rc = mfs_load_file(&m, meta, o->ignore ? MFS_LOAD_IGNORE : 0, &pr);
		progress_clear();
	}
	if (rc)
		return rc;
	if (m.empty)
		m.nodes.v[m.root].atime = m.nodes.v[m.root].mtime = m.nodes.v[m.root].ctime = (uint32_t)time(NULL);
	if (o->verbose)
		fprintf(stderr, "mfsmetarestore: %s: version %llu, id %llu\n", meta,
			(unsigned long long)m.version, (unsigned long long)m.metaid);
	rc = open_changelogs(&j, cls, ncl, m.version, o);
	if (rc) {
		close_changelogs(&j);
		mfs_free(&m);
		return rc;
	}
	if (m.empty && j.nf == 0 && ncl > 0)
		note("warning: %s is an empty (new) metadata file and no changelog line applies to it", meta);
	rrc = replay_all(&m, &j, o);
	close_changelogs(&j);
	if (rrc && !(o->best || o->ignore)) {
		mfs_free(&m);
		fprintf(stderr, "mfsmetarestore: nothing written (-b stores the metadata reached before the error)\n");
		return rrc;
	}
	if (m.empty && m.version == 1)
		note("warning: the result is an EMPTY filesystem (the snapshot %s is a new, empty one and no change was applied)", meta);
	rc = backup ? keep_previous(out) : RC_OK;
	if (rc == RC_OK)
		rc = store(&m, out, aflags);
	if (rc == RC_OK && rrc) {
		note("stored INCOMPLETE metadata in %s: version %llu (changes up to %llu applied)", out,
		     (unsigned long long)m.version, (unsigned long long)(m.version - 1));
		rc = RC_DIFF;
	} else if (rc == RC_OK) {
		fprintf(stderr, "mfsmetarestore: wrote %s: version %llu\n", out, (unsigned long long)m.version);
	}
	/* the process exits next: unmapping a few hundred MiB piece by piece
	 * would only cost time (mfs_free is for library users and fuzzers) */
	return rc;
}

static int
same_as_input(const char *out, const char *in)
{
	struct stat a, b;
	return stat(out, &a) == 0 && stat(in, &b) == 0 && same_file(&a, &b);
}

static char *
cfg_data_path(const char *cfg, int must)
{
	FILE *f = fopen(cfg, "r");
	char line[4096];
	char *res = NULL;

	if (!f) {
		if (must)
			die_sys(RC_IO, "%s", cfg);
		return NULL;
	}
	while (fgets(line, sizeof line, f)) {
		char *p = line, *e;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "DATA_PATH", 9) != 0)
			continue;
		p += 9;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=')
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && (e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		*e = 0;
		free(res);
		res = xstrdup(p);
	}
	fclose(f);
	return res;
}

static int
name_is(const char *n, const char *prefix, const char *suffix)
{
	size_t lp = strlen(prefix), ls = strlen(suffix), l = strlen(n), i;

	if (l <= lp + ls || strncmp(n, prefix, lp) || strcmp(n + l - ls, suffix))
		return 0;
	for (i = lp; i < l - ls; i++)
		if (n[i] < '0' || n[i] > '9')
			return 0;
	return 1;
}

static int
is_meta_name(const char *n)
{
	return !strcmp(n, "metadata.mfs") || !strcmp(n, "metadata.mfs.back") || !strcmp(n, "metadata_ml.mfs.back") ||
	       !strcmp(n, "metadata.mfs.emergency") ||
	       name_is(n, "metadata.mfs.back.", "") || name_is(n, "metadata_ml.mfs.back.", "");
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
auto_restore(const char *dir, const struct opts *o)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, **cls = NULL, *best = NULL;
	size_t nn = 0, cn = 0, capn = 0, capc = 0;
	uint64_t bestv = 0, id0 = 0;
	const char *id0name = NULL;
	char out[4096];
	int rc;

	if (!d)
		die_sys(RC_IO, "%s", dir);
	while ((de = readdir(d))) {
		char *p;
		if (!is_meta_name(de->d_name) && !name_is(de->d_name, "changelog.", ".mfs") &&
		    !name_is(de->d_name, "changelog_ml.", ".mfs") && !name_is(de->d_name, "changelog_ml_back.", ".mfs"))
			continue;
		p = xmalloc(strlen(dir) + strlen(de->d_name) + 2);
		sprintf(p, "%s/%s", dir, de->d_name);
		if (is_meta_name(de->d_name)) {
			xgrow((void **)&names, &capn, nn + 1, sizeof *names);
			names[nn++] = p;
		} else {
			xgrow((void **)&cls, &capc, cn + 1, sizeof *cls);
			cls[cn++] = p;
		}
	}
	closedir(d);
	qsort(names, nn, sizeof *names, cmpstr);
	qsort(cls, cn, sizeof *cls, cmpstr);
	fprintf(stderr, "mfsmetarestore: data path %s: %zu metadata file(s), %zu changelog file(s)\n", dir, nn, cn);
	for (size_t i = 0; i < nn; i++) {
		uint64_t v, id;
		int isnew;
		err_set_quiet(1);
		rc = mfs_peek_header(names[i], &v, &id, &isnew);
		err_set_quiet(0);
		if (rc) {
			fprintf(stderr, "mfsmetarestore: %s: not a valid metadata file, not used\n", names[i]);
			continue;
		}
		fprintf(stderr, "mfsmetarestore: %s: version %llu, id %llu%s\n", names[i], (unsigned long long)v,
			(unsigned long long)id, isnew ? " (new, empty filesystem)" : "");
		if (id) {
			if (id0 && id != id0 && !o->ignore) {
				warn_rc(RC_REFUSED, "%s has metadata id %llu but %s has %llu: they belong to different filesystems; move the foreign one away (or use -i)",
					names[i], (unsigned long long)id, id0name, (unsigned long long)id0);
				return RC_REFUSED;
			}
			if (!id0) {
				id0 = id;
				id0name = names[i];
			}
		}
		if (!best || v > bestv) {
			best = names[i];
			bestv = v;
		}
	}
	if (!best) {
		warn_rc(RC_DATA, "%s: no valid metadata file (metadata.mfs, metadata.mfs.back[.N], metadata_ml.mfs.back)", dir);
		return RC_DATA;
	}
	fprintf(stderr, "mfsmetarestore: using %s (version %llu)\n", best, (unsigned long long)bestv);
	snprintf(out, sizeof out, "%s/metadata.mfs", dir);
	rc = restore(best, cls, cn, out, ATOMIC_OVERWRITE | ATOMIC_KEEP_META, 1, o);
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	for (size_t i = 0; i < cn; i++)
		free(cls[i]);
	free(names);
	free(cls);
	return rc;
}

int
mfsmetarestore_main(int argc, char **argv)
{
	static const struct option lo[] = { OPT_COMMON, { 0, 0, 0, 0 } };
	const char *meta = NULL, *out = NULL, *dpath = NULL, *cfg = NULL;
	struct opts o = { 0 };
	int c, autom = 0;

	while ((c = opt_next(argc, argv, "+:m:o:ad:c:bixfh", lo, usage)) != -1) {
		switch (c) {
		case 'm': meta = optarg; break;
		case 'o': out = optarg; break;
		case 'a': autom = 1; break;
		case 'd': dpath = optarg; break;
		case 'c': cfg = optarg; break;
		case 'b': o.best = 1; break;
		case 'i': o.ignore = 1; break;
		case 'x': o.verbose++; break;
		case 'f': o.force = 1; break;
		default: die_usage("unknown option");
		}
	}
	if (autom) {
		char *dp = NULL;
		int rc;
		if (meta || out)
			die_usage("-a cannot be used with -m or -o");
		if (dpath && cfg)
			die_usage("-d and -c cannot be used together");
		if (optind != argc)
			die_usage("-a takes no changelog arguments (it uses those in DATA_PATH)");
		if (!dpath) {
			dp = cfg_data_path(cfg ? cfg : "/etc/mfs/mfsmaster.cfg", cfg != NULL);
			dpath = dp ? dp : "/var/lib/mfs";
		}
		rc = auto_restore(dpath, &o);
		free(dp);
		return err_finish(rc);
	}
	if (dpath || cfg)
		die_usage("-d and -c need -a");
	if (!meta)
		die_usage("missing -m META");
	if (!out)
		die_usage("missing -o OUT");
	if (same_as_input(out, meta))
		die_msg(RC_REFUSED, "%s: output is the same file as the input %s; refused", out, meta);
	for (int i = optind; i < argc; i++)
		if (same_as_input(out, argv[i]))
			die_msg(RC_REFUSED, "%s: output is the same file as the input %s; refused", out, argv[i]);
	if (!o.force && access(out, F_OK) == 0)
		die_msg(RC_REFUSED, "%s: exists; not overwritten (use -f)", out);
	return err_finish(restore(meta, argv + optind, (size_t)(argc - optind), out, o.force ? ATOMIC_OVERWRITE : 0, 0, &o));
}
