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
#include <sys/resource.h>
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
#include "moosefs/family.h"
#include "moosefs/meta.h"
#include "moosefs/replay.h"
#include "moosefs/v16.h"

static const char usage[] =
	"usage: mfsmetarestore [-q] [-T] [-f] [-x [-x]] [-b] [-i] [-t CHANGELOG] -m META -o OUT [CHANGELOG...]\n"
	"       mfsmetarestore -a [-q] [-T] [-x [-x]] [-b] [-i] [-t CHANGELOG] [-d DATA_PATH | -c CFG]\n"
	"       (both take -F 3|4 and -k 0|1 too, for MooseFS 4.x input)\n"
	"Restore MooseFS metadata without MooseFS: load the snapshot META\n"
	"(metadata.mfs.back, metadata_ml.mfs.back, ...), apply every later line of\n"
	"the changelogs (changelog.N.mfs, changelog_ml.N.mfs, changelog_ml_back.N.mfs,\n"
	"any order; lines already in META are skipped, duplicates taken once) and\n"
	"write OUT atomically.  Inputs are never modified.\n"
	"Reads MooseFS 2.0.60..3.0.118 metadata (MFSM 2.0 with every section version\n"
	"3.0.117 reads) and MFSM NEW, and writes what 3.0.117 writes; reads MooseFS\n"
	"4.x metadata and writes what 4.59.2 writes.  A MooseFS 1.6 set (MFSM 1.5\n"
	"snapshot, 1.6 changelogs) is restored as 1.6.27's mfsmetarestore does (same\n"
	"bytes), but also from changelogs 1.6.27 skips (first id 0, torn end).\n"
	"Refused (exit 3), naming what wrote them and what to do: MFSM 1.6/1.7 (MooseFS\n"
	"betas, LizardFS 2.x), LizardFS (LIZM, and its own MFSM 2.0 layout), SaunaFS.\n"
	"  -m META       metadata snapshot to start from\n"
	"  -o OUT        metadata file to write (must not exist unless -f)\n"
	"  -f            replace an existing OUT\n"
	"  -a            automatic: use DATA_PATH's newest snapshot and all its\n"
	"                changelogs, keep the old metadata.mfs as a backup and write\n"
	"                DATA_PATH/metadata.mfs; says for every candidate what wrote\n"
	"                it, its id, version and how far the changelogs take it, and\n"
	"                why it picks one (stderr; -q: not)\n"
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
	"  -T            print the seconds spent in each phase (load, replay, store,\n"
	"                sync) at the end, wall and cpu\n"
	"  -F 3|4        MooseFS family of a new, empty snapshot (MFSM NEW): 3 (3.0.x)\n"
	"                or 4 (4.x); default: what the changelogs' syntax shows, else 3.\n"
	"                A 3.0.112+ snapshot under 4.x changelogs (or -F 4) is an\n"
	"                upgrade set: converted as 4.59.2 loads it, written as 4.x;\n"
	"                -F 3 keeps it 3.x.  A 4.x snapshot refuses -F 3\n"
	"  -k 0|1        4.x KEEP_EMPTY_FILES_IN_TRASH the master ran with (default:\n"
	"                -a reads it from the config, else 0, the 4.x default)\n"
	"Exit status: 0 restored, 1 incomplete metadata stored (-b/-i), 2 usage,\n"
	"3 bad input data (nothing written), 4 I/O error, 5 refused.\n";

struct opts {
	int best, ignore, verbose, force, automatic, quiet, times;
	int family;             /* -F: 0 (not given), 3 or 4 */
	int keep_empty;         /* -k: -1 (not given), 0 or 1 */
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

/* -T: wall and cpu seconds of each phase, so a slow restore shows where its
 * time went (bench/mfsmetarestore prints them) */
enum { PH_LOAD, PH_REPLAY, PH_STORE, PH_SYNC, PH_N };
static const char *const ph_name[PH_N] = { "load", "replay", "store", "sync" };
struct phases {
	double wall[PH_N], cpu[PH_N];
	double w0, c0;
};

static void
ph_now(double *wall, double *cpu)
{
	struct timespec ts;
	struct rusage ru;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	*wall = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	getrusage(RUSAGE_SELF, &ru);
	*cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* the phase that just ended; the next starts now */
static void
ph_mark(struct phases *t, int ph)
{
	double w, c;

	ph_now(&w, &c);
	t->wall[ph] += w - t->w0;
	t->cpu[ph] += c - t->c0;
	t->w0 = w;
	t->c0 = c;
}

static void
ph_print(const struct phases *t)
{
	char line[256];
	int n = 0;
	double w = 0, c = 0;

	for (int i = 0; i < PH_N; i++) {
		n += snprintf(line + n, sizeof line - (size_t)n, "%s %.2f s (cpu %.2f), ", ph_name[i], t->wall[i],
			      t->cpu[i]);
		w += t->wall[i];
		c += t->cpu[i];
	}
	note("times: %stotal %.2f s (cpu %.2f)", line, w, c);
}

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
store(struct mfs_meta *m, const char *out, int flags, struct phases *t)
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
	ph_mark(t, PH_STORE);
	rc = atomic_commit(&ao);
	ph_mark(t, PH_SYNC);
	return rc;
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

/* The family the changelogs' syntax shows (mfs_line_family) in the lines
 * from id `from` on: 4 or 3 at the first line that tells, 0 when none does;
 * any4: 4 when any file's first telling line is 4.x (a file is written by
 * one master: a 3.x master's changelog may precede a 4.x one's).  *where:
 * "FILE:LINE" of that line. */
static int
scan_family(char **cls, size_t ncl, uint64_t from, int any4, char *where, size_t wlen)
{
	int seen = 0;

	for (size_t i = 0; i < ncl; i++) {
		struct mfs_clfile f;
		int k, fam = 0;
		if (mfs_cl_open(&f, cls[i]))
			continue;
		while (!fam && (k = mfs_cl_next(&f)) > 0)
			if (f.kind == MFS_CL_OK && f.text && f.id >= from && (fam = mfs_line_family(f.text)))
				snprintf(where, wlen, "%s:%llu", cls[i], (unsigned long long)f.lineno);
		mfs_cl_close(&f);
		if (fam == 4 || (fam && !any4))
			return fam;
		seen |= fam;
	}
	return seen;
}

/* A 3.x snapshot followed by 4.x changelogs (-F 4, or the changelogs'
 * syntax): a cluster upgraded to 4.x since the snapshot; loaded as 4.59.2
 * loads a 3.x file (upgrade.c) */
static int
upgrade(struct mfs_meta *m, const char *meta, char **cls, size_t ncl, const struct opts *o)
{
	char where[4200] = "-F 4";

	if (o->family == 3 || (o->family != 4 && scan_family(cls, ncl, m->version, 1, where, sizeof where) != 4))
		return RC_OK;
	if (m->oldsecs) {
		mfs_free(m);
		warn_rc(RC_DATA, "%s: MooseFS 4.x changelogs (%s) on a snapshot whose sections are older than 3.0.112's: "
			"rescue converts only 3.0.112..3.0.118 snapshots to 4.x; restore it with a MooseFS 4.x mfsmaster -a",
			meta, where);
		return RC_DATA;
	}
	mfs_upgrade4(m);
	if (!o->quiet)
		note("%s: upgrade set: a MooseFS 3.x snapshot and MooseFS 4.x changelogs (%s): loaded as MooseFS 4.59.2 "
		     "loads a 3.x file (sessions, storage classes, chunks converted), written as 4.x", meta, where);
	return RC_OK;
}

/* A real snapshot's sections decide its family (-F 3 must agree; -F 4 or
 * 4.x changelogs upgrade a 3.x one); a new one (MFSM NEW) takes -F, else
 * what the changelogs show, else 3. */
static int
choose_family(struct mfs_meta *m, const char *meta, char **cls, size_t ncl, const struct opts *o)
{
	int fam = o->family;

	if (!m->empty) {
		if (fam == 3 && m->family == 4) {
			mfs_free(m);
			warn_rc(RC_DATA, "%s: its sections are MooseFS 4.x ones, not 3.x (-F 3)", meta);
			return RC_DATA;
		}
		return m->family == 3 ? upgrade(m, meta, cls, ncl, o) : RC_OK;
	}
	if (!fam) {
		char where[4200];
		fam = scan_family(cls, ncl, 0, 0, where, sizeof where);
	}
	if (o->verbose)
		note("%s: new, empty filesystem of MooseFS %d.x%s", meta, fam == 4 ? 4 : 3,
		     o->family ? " (-F)" : fam ? " (the changelogs' syntax)" : " (default)");
	if (fam == 4) {
		mfs_free(m);
		mfs_init_new4(m, 0);
	}
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
	struct phases t = { 0 };
	int rc, rrc;

	if (v16_is_file(meta)) {    /* MooseFS 1.6: v16_restore.c */
		struct v16_opts vo = { o->verbose, o->quiet, o->automatic, o->best, backup ? keep_prev : NULL, o };
		if (o->ignore || o->ntrust) {
			warn_rc(RC_USAGE, "%s: -i and -t are not supported for MooseFS 1.6 metadata", meta);
			return RC_USAGE;
		}
		return v16_restore(meta, cls, ncl, out, aflags, &vo);
	}
	ph_now(&t.w0, &t.c0);
	{
		struct progress pr;
		struct stat st;
		progress_init(&pr, "loading", "B", stat(meta, &st) == 0 ? (uint64_t)st.st_size : 0, o->quiet);
		rc = mfs_load_file(&m, meta, o->ignore ? MFS_LOAD_IGNORE : 0, &pr);
		progress_clear();
	}
	if (rc)
		return rc;
	ph_mark(&t, PH_LOAD);
	if ((rc = choose_family(&m, meta, cls, ncl, o)))
		return rc;
	m.keep_empty = o->keep_empty > 0;
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
	ph_mark(&t, PH_REPLAY);
	if (rrc && !(o->best || o->ignore)) {
		mfs_free(&m);
		note("nothing written (-b stores the metadata reached before the error)");
		return rrc;
	}
	if (m.empty && m.version == 1)
		note("warning: the result is an EMPTY filesystem (the snapshot %s is a new, empty one and no change was applied)", meta);
	rc = backup ? keep_previous(out, o) : RC_OK;
	if (rc == RC_OK)
		rc = store(&m, out, aflags, &t);
	if (rc == RC_OK && rrc) {
		note("stored INCOMPLETE metadata in %s: version %llu (changes up to %llu applied)", out,
		     (unsigned long long)m.version, (unsigned long long)(m.version - 1));
		rc = RC_DIFF;
	} else if (rc == RC_OK && !o->quiet) {
		note("wrote %s: version %llu", out, (unsigned long long)m.version);
	}
	if (o->times)
		ph_print(&t);
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

/* *res: KEY's value in mfsmaster.cfg (the last one set; NULL if none or,
 * unless must, the file cannot be read); RC_OK or an RC_* after a message */
static int
cfg_value(const char *cfg, int must, const char *key, char **res)
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
	for (i = 0; (i = conf_find(&c, key, CONF_ENTRY, i)) != CONF_NONE; i++)
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

/* -a: the master's KEEP_EMPTY_FILES_IN_TRASH (4.x), when the config sets it */
static int
cfg_keep_empty(const char *cfg, struct opts *o)
{
	char *v = NULL;
	uint64_t k;
	int rc = cfg_value(cfg, 0, "KEEP_EMPTY_FILES_IN_TRASH", &v);

	if (rc || !v)
		return rc;
	if (opt_parse_uint(v, 0, 255, &k) < 0) {
		warn_rc(RC_DATA, "%s: KEEP_EMPTY_FILES_IN_TRASH = '%s' is not a number", cfg, v);
		free(v);
		return RC_DATA;
	}
	o->keep_empty = k != 0;
	free(v);
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

/* ---- -a: which file, and why (docs/man/mfsmetarestore.1 "-a report") ---- */

struct clspan {
	uint64_t first, last;
};

struct clspans {
	struct clspan *sp;
	size_t n;
	uint64_t minid, maxid;
	time_t newest;          /* newest changelog's mtime (0: none) */
};

/* the id range of every changelog that holds a line */
static void
cl_spans(char **cls, size_t cn, struct clspans *cs, const struct opts *o)
{
	memset(cs, 0, sizeof *cs);
	cs->sp = xcalloc(cn + 1, sizeof *cs->sp);
	for (size_t i = 0; i < cn; i++) {
		struct mfs_clfile f;
		struct stat st;
		if (mfs_cl_open(&f, cls[i]) != RC_OK)
			continue;
		if (f.first && f.last >= f.first) {
			cs->sp[cs->n++] = (struct clspan){ f.first, f.last };
			if (!cs->minid || f.first < cs->minid)
				cs->minid = f.first;
			if (f.last > cs->maxid)
				cs->maxid = f.last;
			if (fstat(f.fd, &st) == 0 && st.st_mtime > cs->newest)
				cs->newest = st.st_mtime;
		}
		mfs_cl_close(&f);
	}
	if (!o->quiet && cs->n)
		note("changelogs: changes %llu..%llu in %zu file(s)", (unsigned long long)cs->minid,
		     (unsigned long long)cs->maxid, cs->n);
}

/* the version reached from v by the changelogs without a gap */
static uint64_t
cl_reach(const struct clspans *cs, uint64_t v)
{
	for (int moved = 1; moved;) {
		moved = 0;
		for (size_t i = 0; i < cs->n; i++)
			if (cs->sp[i].first <= v && cs->sp[i].last >= v) {
				v = cs->sp[i].last + 1;
				moved = 1;
			}
	}
	return v;
}

struct pick {
	const char *best, *id0name, *higher;   /* higher: a file not loadable above best */
	char higherfam[320];
	uint64_t bestv, id0, higherv, reach;
	size_t nload;
};

/* "; STALE ..." when the newest copy a master (or metalogger) keeps is much
 * older than the changelogs: the master stopped saving (or downloading) */
static void
stale_note(const char *path, const struct clspans *cs, uint64_t v, char *buf, size_t len)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int ml = !strncmp(base, "metadata_ml", 11);
	struct stat st;
	long hours;

	buf[0] = 0;
	if (name_is(base, "metadata.mfs.back.", "") || name_is(base, "metadata_ml.mfs.back.", "") ||
	    stat(path, &st) != 0 || !cs->newest || cs->maxid < v)
		return;
	hours = (long)((cs->newest - st.st_mtime) / 3600);
	/* a master saves every hour (METADATA_SAVE_FREQ), a metalogger
	 * downloads every 24 (META_DOWNLOAD_FREQ) */
	if (hours < (ml ? 25 : 3))
		return;
	snprintf(buf, len, "; STALE: written %ld hours (%ld days) before the newest changelog: the %s stopped %s "
		 "(look for full disks, fork or write errors in its syslog); the changelogs carry the changes since",
		 hours, hours / 24, ml ? "metalogger" : "master", ml ? "downloading metadata" : "saving metadata");
}

/* one candidate: its report line, and whether it is the best so far */
static int
consider(const char *path, const struct clspans *cs, struct pick *pk, const struct opts *o)
{
	struct mfs_family f;
	char reach[160] = "", stale[300];
	uint64_t r;

	err_set_quiet(1);
	if (mfs_family_of(path, &f) != RC_OK)
		snprintf(f.name, sizeof f.name, "unreadable");
	err_set_quiet(0);
	if (!f.loadable) {
		char idv[64] = "";
		/* a newer MooseFS's file: its id and version still tell where it stands */
		if (f.newer)
			snprintf(idv, sizeof idv, ", id %016llX, version %llu", (unsigned long long)f.metaid,
				 (unsigned long long)f.version);
		if (!o->quiet)
			note("%s: %s%s: not used%s%s", path, f.name, idv, f.advice ? ": " : "", f.advice ? f.advice : "");
		if (f.newer && f.version > pk->higherv) {
			pk->higherv = f.version;
			pk->higher = path;
			snprintf(pk->higherfam, sizeof pk->higherfam, "%s", f.name);
		}
		return RC_OK;
	}
	r = cl_reach(cs, f.version);
	if (r > f.version)
		snprintf(reach, sizeof reach, "with the changelogs it reaches version %llu", (unsigned long long)r);
	else if (cs->n && cs->minid > f.version)
		snprintf(reach, sizeof reach, "no changelog continues it (they start at change %llu: a gap)",
			 (unsigned long long)cs->minid);
	else
		snprintf(reach, sizeof reach, "no changelog adds to it");
	stale_note(path, cs, f.version, stale, sizeof stale);
	if (!o->quiet) {
		char id[24] = "no id";
		if (f.metaid)
			snprintf(id, sizeof id, "id %016llX", (unsigned long long)f.metaid);
		note("%s: %s, %s, version %llu; %s%s", path, f.name, id, (unsigned long long)f.version, reach, stale);
	}
	if (f.metaid) {
		if (pk->id0 && f.metaid != pk->id0 && !o->ignore) {
			warn_rc(RC_REFUSED, "%s has metadata id %llu but %s has %llu: they belong to different filesystems; move the foreign one away (or use -i)",
				path, (unsigned long long)f.metaid, pk->id0name, (unsigned long long)pk->id0);
			return RC_REFUSED;
		}
		if (!pk->id0) {
			pk->id0 = f.metaid;
			pk->id0name = path;
		}
	}
	pk->nload++;
	if (!pk->best || f.version > pk->bestv) {
		pk->best = path;
		pk->bestv = f.version;
		pk->reach = r;
	}
	return RC_OK;
}

static void
explain_pick(const struct pick *pk, const struct clspans *cs)
{
	char why[800];
	int n = snprintf(why, sizeof why, "the highest version among the %zu file(s) rescue can load (as mfsmaster -a picks)",
			 pk->nload);

	if (n > 0 && (size_t)n < sizeof why && pk->reach > pk->bestv)
		snprintf(why + n, sizeof why - (size_t)n, "; the changelogs take it to version %llu%s",
			 (unsigned long long)pk->reach,
			 cs->maxid >= pk->reach ? " (later changes are after a gap and are not reached)" : "");
	note("using %s (version %llu): %s", pk->best, (unsigned long long)pk->bestv, why);
}

/* the report of every candidate and the pick (*best: NULL if none) */
static int
choose(char **names, size_t nn, char **cls, size_t cn, const struct opts *o, const char **best)
{
	struct clspans cs;
	struct pick pk = { 0 };
	int rc = RC_OK;

	cl_spans(cls, cn, &cs, o);
	for (size_t i = 0; i < nn && rc == RC_OK; i++)
		rc = consider(names[i], &cs, &pk, o);
	/* an older file of the same data path would silently lose the changes
	 * a newer MooseFS made since: refused */
	if (rc == RC_OK && pk.higher && pk.higherv > pk.bestv) {
		warn_rc(RC_DATA, "%s (version %llu) was written by %s, which this rescue cannot load; restoring an older file instead would lose the changes since: restore it with a master of that version",
			pk.higher, (unsigned long long)pk.higherv, pk.higherfam);
		rc = RC_DATA;
	}
	*best = rc ? NULL : pk.best;
	if (*best && !o->quiet)
		explain_pick(&pk, &cs);
	free(cs.sp);
	return rc;
}

static int
auto_restore(const char *dir, const struct opts *o)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, **cls = NULL;
	const char *best = NULL;
	size_t nn = 0, cn = 0, capn = 0, capc = 0;
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
	rc = choose(names, nn, cls, cn, o, &best);
	if (rc)
		return rc;
	if (!best) {
		warn_rc(RC_DATA, "%s: no valid metadata file (metadata.mfs, metadata.mfs.back[.N], metadata_ml.mfs.back)", dir);
		return RC_DATA;
	}

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
	static const struct option lo[] = {
		{ "format", required_argument, 0, 'F' }, { "keep-empty-files-in-trash", required_argument, 0, 'k' },
		OPT_COMMON, { 0, 0, 0, 0 } };
	const char *meta = NULL, *out = NULL, *dpath = NULL, *cfg = NULL;
	struct opts o = { .keep_empty = -1 };
	int c, autom = 0;

	while ((c = opt_next(argc, argv, "+:m:o:ad:c:bixqfTt:F:k:h", lo, usage)) != -1) {
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
		case 'T': o.times = 1; break;
		case 'f': o.force = 1; break;
		case 't': add_trust(&o, optarg); break;
		case 'F': o.family = (int)opt_uint("-F", optarg, 3, 4); break;
		case 'k': o.keep_empty = (int)opt_uint("-k", optarg, 0, 1); break;
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
			rc = cfg_value(cfg ? cfg : "/etc/mfs/mfsmaster.cfg", cfg != NULL, "DATA_PATH", &dp);
			if (rc)
				return err_finish(rc);
			dpath = dp ? dp : "/var/lib/mfs";
			if (o.keep_empty < 0 && (rc = cfg_keep_empty(cfg ? cfg : "/etc/mfs/mfsmaster.cfg", &o)))
				return err_finish(rc);
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
