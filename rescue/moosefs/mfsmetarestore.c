/* mfsmetarestore.c: restore MooseFS 3.0.117 metadata offline: load a
 * snapshot, replay every later changelog line (master and metalogger files
 * in any order, duplicates taken once), store a new metadata file.
 * Spec: docs/moosefs-format.md 2.3, 2.4, 4, 5.  Deliberate difference from
 * MooseFS: a damaged end of a changelog (a torn last line, NUL blocks,
 * blank or garbage lines) does not make the whole file be ignored; the
 * complete lines before it are applied and a warning is given.  Lines with
 * the same id and different text in two files are refused unless -t names
 * the file to trust (-a applies the one MooseFS's merger.c applies, and
 * warns).  Exit 1: -b/-i stored incomplete metadata after an error. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/conf.h"
#include "lib/err.h"
#include "lib/opt.h"
#include "lib/progress.h"
#include "lib/xio.h"
#include "toolmain.h"
#include "moosefs/changelog.h"
#include "moosefs/meta.h"
#include "moosefs/replay.h"
#include "moosefs/v16.h"

static const char usage[] =
	"usage: mfsmetarestore [-q] [-f] [-x [-x]] [-b] [-i] [-t CHANGELOG] -m META -o OUT [CHANGELOG...]\n"
	"       mfsmetarestore -a [-q] [-x [-x]] [-b] [-i] [-t CHANGELOG] [-d DATA_PATH | -c CFG]\n"
	"Restore MooseFS 3.0.117 metadata without MooseFS: load the snapshot META\n"
	"(metadata.mfs.back, metadata_ml.mfs.back, ...), apply every later line of\n"
	"the changelogs (changelog.N.mfs, changelog_ml.N.mfs, changelog_ml_back.N.mfs,\n"
	"any order; lines already in META are skipped, duplicates taken once) and\n"
	"write OUT atomically.  Inputs are never modified.  A MooseFS 1.6 set\n"
	"(MFSM 1.5 snapshot, 1.6 changelogs) is restored as 1.6.27's mfsmetarestore\n"
	"does (same bytes), but also from changelogs 1.6.27 skips (first id 0, torn end).\n"
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
	"  -t CHANGELOG  when two changelogs hold one change id with different text,\n"
	"                use this file's line (may be repeated: the first named wins;\n"
	"                without it such a conflict is refused, -a applies the line\n"
	"                mfsmaster -a would and warns)\n"
	"  -x            print every applied change (-x -x: also the file decisions)\n"
	"  -q            quiet: no progress and no summary (warnings and errors are\n"
	"                still printed)\n"
	"Exit status: 0 restored, 1 incomplete metadata stored (-b/-i), 2 usage,\n"
	"3 bad input data (nothing written), 4 I/O error, 5 refused.\n";

struct opts {
	int best, ignore, verbose, force, automatic, quiet;
	struct stat *trust;     /* -t files, in the order given */
	char **trustname;
	size_t ntrust;
};

struct job {
	struct mfs_clfile *f;
	size_t nf;
	uint64_t lastid;        /* highest last id among the files */
	size_t *heap, nh;       /* indices into f, merger.c's heap order */
};

/* The merge order of MooseFS 3.0.117 (mfsmaster/merger.c, changelog.c's
 * heap) decides only between lines with the same id: the master applies
 * the one at the root and skips the others as duplicates, and -a does the
 * same. */
static void
warn_tail(struct mfs_clfile *f)
{
	mfs_cl_warn_tail(f, "MooseFS 3.0.117");
}

static int
same_line(const struct mfs_clfile *a, const struct mfs_clfile *b)
{
	return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* The line to apply for change f->id (f: the heap's root), when other
 * files hold the same id: a trusted file's (-t), else f's if they all
 * agree or with -a (as the master does); NULL after a message: refused. */
static struct mfs_clfile *
pick_line(struct job *j, struct mfs_clfile *f, const struct opts *o)
{
	struct mfs_clfile *use = f, *other = NULL;

	for (size_t i = 0; i < j->nf; i++) {
		struct mfs_clfile *g = &j->f[i];
		if (g->id == f->id && g->trust && (!use->trust || g->trust < use->trust))
			use = g;
	}
	for (size_t i = 0; i < j->nf && !other; i++) {
		struct mfs_clfile *g = &j->f[i];
		if (g != use && g->id == f->id && !same_line(g, use))
			other = g;
	}
	if (!other)
		return use;
	if (!use->trust && !o->automatic) {
		warn_at(RC_REFUSED, use->path, use->lineno,
			"change %llu differs from the line with the same id at %s:%llu; refused (name the changelog to trust with -t)",
			(unsigned long long)f->id, other->path, (unsigned long long)other->lineno);
		return NULL;
	}
	note("warning: %s:%llu: change %llu differs from the line with the same id at %s:%llu; applying %s:%llu (%s)",
	     use->path, (unsigned long long)use->lineno, (unsigned long long)f->id, other->path,
	     (unsigned long long)other->lineno, use->path, (unsigned long long)use->lineno,
	     use->trust ? "-t" : "the one mfsmaster -a applies");
	return use;
}

/* replay all files; returns RC_OK, or RC_DATA/RC_IO/RC_REFUSED after a message */
static int
replay_all(struct mfs_meta *m, struct job *j, const struct opts *o)
{
	uint64_t first = m->version, applied = 0;
	struct progress pr;
	char msg[1024];
	int rc = RC_OK;

	progress_init(&pr, "replaying", "changes", 0, o->quiet);

	j->heap = xcalloc(j->nf + 1, sizeof *j->heap);
	j->nh = 0;
	for (size_t i = 0; i < j->nf; i++) {
		int k = mfs_cl_next(&j->f[i]);
		if (k < 0)
			return -k;
		if (k == 0) {
			j->f[i].id = UINT64_MAX;
			continue;
		}
		j->heap[j->nh++] = i;
		mfs_cl_heap_up(j->f, j->heap, j->nh);
	}
	while (j->nh) {
		struct mfs_clfile *f = &j->f[j->heap[0]];
		uint64_t id;
		int k;

		id = f->id;
		if (id == 0) {
			warn_at(RC_DATA, f->path, f->lineno, "not a changelog line (no 'ID: ' at the start)");
			rc = RC_DATA;
			break;
		}
		if (f->kind != MFS_CL_OK) {
			warn_at(RC_DATA, f->path, f->lineno,
				"change %llu: %s, and valid lines follow it: the file is damaged, not just cut short",
				(unsigned long long)id, mfs_cl_kind_name(f->kind));
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
			struct mfs_clfile *use = pick_line(j, f, o);
			int st;

			if (!use) {
				rc = RC_REFUSED;
				break;
			}
			st = mfs_replay(m, use->text, use->len, msg, sizeof msg);
			if (st != MFS_ST_OK) {
				warn_at(RC_DATA, use->path, use->lineno, "change %llu: %s", (unsigned long long)id, msg);
				rc = RC_DATA;
				break;
			}
			if (m->version != id + 1) {
				warn_at(RC_DATA, use->path, use->lineno,
					"change %llu: version mismatch: after it the metadata version is %llu, expected %llu (MooseFS 3.0.117 fails here too)",
					(unsigned long long)id, (unsigned long long)m->version, (unsigned long long)(id + 1));
				rc = RC_DATA;
				break;
			}
			applied++;
			if (o->verbose)
				note_at(use->path, use->lineno, "applied %.*s", (int)use->rawlen, use->raw);
			if ((applied & 1023) == 0)
				progress_changes(&pr, id, first, j->lastid, 0);
		} else if (o->verbose > 1) {
			note_at(f->path, f->lineno, "change %llu already applied, skipped", (unsigned long long)id);
		}
		f->prev = id;
		k = mfs_cl_heap_next(j->f, j->heap, &j->nh, "MooseFS 3.0.117");
		if (k < 0)
			return -k;
	}
	if (rc == RC_OK && applied)
		progress_changes(&pr, m->version - 1, first,
				 j->lastid > m->version - 1 ? j->lastid : m->version - 1, 1);
	return rc;
}

/* the rank of f in the -t list (0: not named); marks the entry used */
static int
trust_rank(const struct mfs_clfile *f, const struct opts *o, char *used)
{
	struct stat st;

	if (fstat(f->fd, &st) != 0)
		return 0;
	for (size_t i = 0; i < o->ntrust; i++)
		if (same_file(&st, &o->trust[i])) {
			used[i] = 1;
			return (int)i + 1;
		}
	return 0;
}

static int
open_changelogs(struct job *j, char **paths, size_t n, uint64_t version, const struct opts *o)
{
	char *used = xcalloc(o->ntrust + 1, 1);

	j->f = xcalloc(n + 1, sizeof *j->f);
	j->nf = 0;
	j->lastid = 0;
	for (size_t i = 0; i < n; i++) {
		struct mfs_clfile *f = &j->f[j->nf];
		int rc = mfs_cl_open(f, paths[i]);
		if (rc) {
			free(used);
			return rc;
		}
		f->trust = trust_rank(f, o, used);
		if (f->size > 0 && f->tail == 0) {
			warn_tail(f);
			mfs_cl_close(f);
			continue;
		}
		if (f->first == 0 && f->size > 0) {
			warn_at(RC_DATA, paths[i], 1, "not a changelog line (no 'ID: ' at the start)");
			mfs_cl_close(f);
			free(used);
			return RC_DATA;
		}
		/* a file with a damaged end is read to its end, to say where it is */
		if (f->size == 0 || (f->last < version && f->tail == f->size)) {
			if (o->verbose > 1)
				note("%s: skipped (its last change %llu is already in the metadata)", paths[i],
				     (unsigned long long)f->last);
			mfs_cl_close(f);
			continue;
		}
		if (f->last > j->lastid)
			j->lastid = f->last;
		j->nf++;
	}
	for (size_t i = 0; i < o->ntrust; i++)
		if (!used[i]) {
			warn_rc(RC_USAGE, "-t %s: not one of the changelogs (see 'mfsmetarestore --help')", o->trustname[i]);
			free(used);
			return RC_USAGE;
		}
	free(used);
	return RC_OK;
}

static void
close_changelogs(struct job *j)
{
	for (size_t i = 0; i < j->nf; i++)
		mfs_cl_close(&j->f[i]);
	free(j->f);
	free(j->heap);
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

/* -a: keep the current metadata.mfs (a hard link; it stays untouched) */
static int
keep_previous(const char *out, const struct opts *o)
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
	if (!o->quiet)
		note("previous %s kept as %s", out, prev);
	return RC_OK;
}

static int
keep_prev(const char *out, const void *o)
{
	return keep_previous(out, o);
}

/* load, replay, and (if all went well or -b/-i) store */
static int
restore(const char *meta, char **cls, size_t ncl, const char *out, int aflags, int backup, const struct opts *o)
{
	struct mfs_meta m;
	struct job j = { 0 };
	int rc, rrc;

	if (v16_is_file(meta)) {    /* MooseFS 1.6: v16_restore.c */
		struct v16_opts vo = { o->verbose, o->quiet, o->automatic, o->best, backup ? keep_prev : NULL, o };
		if (o->ignore || o->ntrust) {
			warn_rc(RC_USAGE, "%s: -i and -t are not supported for MooseFS 1.6 metadata", meta);
			return RC_USAGE;
		}
		return v16_restore(meta, cls, ncl, out, aflags, &vo);
	}
	{
		struct progress pr;
		struct stat st;
		progress_init(&pr, "loading", "B", stat(meta, &st) == 0 ? (uint64_t)st.st_size : 0, o->quiet);
		rc = mfs_load_file(&m, meta, o->ignore ? MFS_LOAD_IGNORE : 0, &pr);
		progress_clear();
	}
	if (rc)
		return rc;
	if (m.empty)
		m.nodes.v[m.root].atime = m.nodes.v[m.root].mtime = m.nodes.v[m.root].ctime = (uint32_t)time(NULL);
	if (o->verbose)
		note("%s: version %llu, id %llu", meta, (unsigned long long)m.version,
		     (unsigned long long)m.metaid);
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
		note("nothing written (-b stores the metadata reached before the error)");
		return rrc;
	}
	if (m.empty && m.version == 1)
		note("warning: the result is an EMPTY filesystem (the snapshot %s is a new, empty one and no change was applied)", meta);
	rc = backup ? keep_previous(out, o) : RC_OK;
	if (rc == RC_OK)
		rc = store(&m, out, aflags);
	if (rc == RC_OK && rrc) {
		note("stored INCOMPLETE metadata in %s: version %llu (changes up to %llu applied)", out,
		     (unsigned long long)m.version, (unsigned long long)(m.version - 1));
		rc = RC_DIFF;
	} else if (rc == RC_OK && !o->quiet) {
		note("wrote %s: version %llu", out, (unsigned long long)m.version);
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

/* *res: DATA_PATH from mfsmaster.cfg (the last one set; NULL if none or,
 * unless must, the file cannot be read); RC_OK or an RC_* after a message */
static int
cfg_data_path(const char *cfg, int must, char **res)
{
	struct conf c;
	char *data;
	size_t len, i, last = CONF_NONE;
	int rc;

	*res = NULL;
	if (!must && access(cfg, R_OK) != 0)
		return RC_OK;
	if ((rc = read_file(cfg, CONF_MAX_FILE, &data, &len)))
		return rc;
	if ((rc = conf_parse(&c, cfg, data, len))) {
		free(data);
		return rc;
	}
	for (i = 0; (i = conf_find(&c, "DATA_PATH", CONF_ENTRY, i)) != CONF_NONE; i++)
		last = i;
	if (last != CONF_NONE) {
		const struct conf_line *l = &c.line[last];
		*res = xmalloc(l->vallen + 1);
		memcpy(*res, l->text + l->val, l->vallen);
		(*res)[l->vallen] = 0;
	}
	conf_free(&c);
	free(data);
	return RC_OK;
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
	/* the changelogs stay in directory order: the master merges them in
	 * that order, which decides between lines with the same id */
	if (!o->quiet)
		note("data path %s: %zu metadata file(s), %zu changelog file(s)", dir, nn, cn);
	for (size_t i = 0; i < nn; i++) {
		uint64_t v, id;
		int isnew;
		err_set_quiet(1);
		rc = mfs_peek_header(names[i], &v, &id, &isnew);
		if (rc)
			rc = v16_peek(names[i], &v);
		err_set_quiet(0);
		if (rc) {
			note("%s: not a valid metadata file, not used", names[i]);
			continue;
		}
		if (!o->quiet)
			note("%s: version %llu, id %llu%s", names[i], (unsigned long long)v,
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
	if (!o->quiet)
		note("using %s (version %llu)", best, (unsigned long long)bestv);
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

static void
add_trust(struct opts *o, char *path)
{
	o->trust = xrealloc(o->trust, (o->ntrust + 1) * sizeof *o->trust);
	o->trustname = xrealloc(o->trustname, (o->ntrust + 1) * sizeof *o->trustname);
	if (stat(path, &o->trust[o->ntrust]) != 0)
		die_sys(RC_USAGE, "-t %s", path);
	o->trustname[o->ntrust++] = path;
}

int
mfsmetarestore_main(int argc, char **argv)
{
	static const struct option lo[] = { OPT_COMMON, { 0, 0, 0, 0 } };
	const char *meta = NULL, *out = NULL, *dpath = NULL, *cfg = NULL;
	struct opts o = { 0 };
	int c, autom = 0;

	while ((c = opt_next(argc, argv, "+:m:o:ad:c:bixqft:h", lo, usage)) != -1) {
		switch (c) {
		case 'm': meta = optarg; break;
		case 'o': out = optarg; break;
		case 'a': autom = 1; break;
		case 'd': dpath = optarg; break;
		case 'c': cfg = optarg; break;
		case 'b': o.best = 1; break;
		case 'i': o.ignore = 1; break;
		case 'x': o.verbose++; break;
		case 'q': o.quiet = 1; break;
		case 'f': o.force = 1; break;
		case 't': add_trust(&o, optarg); break;
		default: die_usage("unknown option");
		}
	}
	o.automatic = autom;
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
			rc = cfg_data_path(cfg ? cfg : "/etc/mfs/mfsmaster.cfg", cfg != NULL, &dp);
			if (rc)
				return err_finish(rc);
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
