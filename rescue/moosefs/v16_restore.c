/* v16_restore.c: mfsmetarestore for a MooseFS 1.6 set, as 1.6.27's
 * mfsmetarestore -m META -o OUT CHANGELOG... (and -a) does: the stage
 * lines, the merge of the changelogs by change id (merger.c's heap), the
 * "progress:" and "store metadata into file:" lines, the same bytes out.
 *
 * Two deliberate differences, both warned about with the file and line:
 * 1.6.27 skips every changelog whose first id is 0 (so the first changelog
 * of every 1.6 cluster, and a metalogger's whole changelog_ml.0.mfs) and
 * every file with a damaged end (a torn last line); here their complete
 * lines are applied.  Lines with one id and different text in two files
 * are refused unless -a (which applies the one 1.6.27 applies). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/bytes.h"
#include "lib/err.h"
#include "lib/progress.h"
#include "lib/xio.h"
#include "moosefs/changelog.h"
#include "moosefs/v16.h"

struct job {
	struct mfs_clfile *f;
	size_t nf, nh, *heap;
	uint64_t last;          /* the highest last id of the files used */
};

/* "0: ..." : mfs_cl_parse_id() reads id 0 as "no id" (3.x starts at 1) */
static int
is_id0(const char *s, size_t len)
{
	return len >= 2 && s[0] == '0' && s[1] == ':';
}

static const char *
line_text(const struct mfs_clfile *f, size_t *len)
{
	size_t skip;

	if (f->id) {
		*len = f->len;
		return f->text;
	}
	skip = f->rawlen > 2 && f->raw[2] == ' ' ? 3 : 2;
	*len = f->rawlen - skip;
	return f->raw + skip;
}

static void
warn_tail(struct mfs_clfile *f)
{
	mfs_cl_warn_tail(f, "MooseFS 1.6.27");
}

/* open the changelogs; keep those with changes at or after version */
static int
open_all(struct job *j, char **paths, size_t n, uint64_t version, int verbose)
{
	j->f = xcalloc(n + 1, sizeof *j->f);
	for (size_t i = 0; i < n; i++) {
		struct mfs_clfile *f = &j->f[j->nf];
		char head[4];
		int rc = mfs_cl_open16(f, paths[i]), zero;

		if (rc)
			return rc;
		zero = f->size >= 2 && pread_full(f->fd, head, 2, 0) == 2 && is_id0(head, 2);
		if (f->size > 0 && !zero && f->first == 0) {
			warn_at(RC_DATA, paths[i], 1, "not a changelog line (no 'ID: ' at the start)");
			mfs_cl_close(f);
			return RC_DATA;
		}
		if (f->size == 0 || f->tail == 0 || f->last < version) {
			if (f->size && f->tail == 0)
				warn_tail(f);
			else if (verbose > 1)
				note("%s: skipped (its last change %llu is before the metadata version %llu)", paths[i],
				     (unsigned long long)f->last, (unsigned long long)version);
			mfs_cl_close(f);
			continue;
		}
		if (zero)
			note("warning: %s:1: starts at change 0: MooseFS 1.6.27's mfsmetarestore skips such a file (without -f; with -f it crashes), losing changes %llu..%llu; they are applied here",
			     paths[i], (unsigned long long)version, (unsigned long long)f->last);
		if (f->last > j->last)
			j->last = f->last;
		j->nf++;
	}
	return RC_OK;
}

/* the line for change id (f: the heap root): the same in every file, or
 * with -a the root's (what 1.6.27 applies); NULL after a message */
static struct mfs_clfile *
pick(struct job *j, struct mfs_clfile *f, int automatic)
{
	size_t la, lb;
	const char *a = line_text(f, &la);

	for (size_t i = 0; i < j->nf; i++) {
		struct mfs_clfile *g = &j->f[i];
		const char *b;
		if (g == f || g->id != f->id || (g->id == 0 && !is_id0(g->raw, g->rawlen)))
			continue;
		b = line_text(g, &lb);
		if (la == lb && memcmp(a, b, la) == 0)
			continue;
		if (!automatic) {
			warn_at(RC_REFUSED, f->path, f->lineno,
				"change %llu differs from the line with the same id at %s:%llu; refused (-a applies the line MooseFS 1.6.27 applies)",
				(unsigned long long)f->id, g->path, (unsigned long long)g->lineno);
			return NULL;
		}
		note("warning: %s:%llu: change %llu differs from the line with the same id at %s:%llu; applying %s:%llu (the one MooseFS 1.6.27 applies)",
		     f->path, (unsigned long long)f->lineno, (unsigned long long)f->id, g->path,
		     (unsigned long long)g->lineno, f->path, (unsigned long long)f->lineno);
	}
	return f;
}

static int
apply(struct v16_meta *m, struct mfs_clfile *f, uint64_t id, int verbose)
{
	char msg[512];
	size_t len;
	const char *t = line_text(f, &len);

	if (v16_replay(m, t, len, msg, sizeof msg) < 0) {
		warn_at(RC_DATA, f->path, f->lineno, "change %llu: %s", (unsigned long long)id, msg);
		return RC_DATA;
	}
	if (m->version != id + 1) {
		warn_at(RC_DATA, f->path, f->lineno, "change %llu: version mismatch (after it the metadata version is %llu)",
			(unsigned long long)id, (unsigned long long)m->version);
		return RC_DATA;
	}
	if (verbose)
		note_at(f->path, f->lineno, "applied %.*s", (int)f->rawlen, f->raw);
	return RC_OK;
}

/* one step of the merge loop: RC_OK, or an RC_* after a message */
static int
step(struct v16_meta *m, struct job *j, const struct v16_opts *o)
{
	struct mfs_clfile *f = &j->f[j->heap[0]];
	uint64_t id = f->id;

	if (id == 0 && !is_id0(f->raw, f->rawlen)) {
		warn_at(RC_DATA, f->path, f->lineno, "not a changelog line (no 'ID: ' at the start)");
		return RC_DATA;
	}
	if (f->kind != MFS_CL_OK) {
		warn_at(RC_DATA, f->path, f->lineno, "change %llu: %s, and valid lines follow it: the file is damaged",
			(unsigned long long)id, mfs_cl_kind_name(f->kind));
		return RC_DATA;
	}
	if (f->lineno > 1 && id <= f->prev) {
		warn_at(RC_DATA, f->path, f->lineno, "change id %llu does not follow the previous id %llu in this file",
			(unsigned long long)id, (unsigned long long)f->prev);
		return RC_DATA;
	}
	if (id > m->version) {
		warn_at(RC_DATA, f->path, f->lineno,
			"hole in the changelogs: the metadata needs change %llu next, the next change found is %llu (changes %llu..%llu are missing: add the changelog that holds them)",
			(unsigned long long)m->version, (unsigned long long)id, (unsigned long long)m->version,
			(unsigned long long)(id - 1));
		return RC_DATA;
	}
	if (id == m->version) {
		struct mfs_clfile *use = pick(j, f, o->automatic);
		int rc = use ? apply(m, use, id, o->verbose) : RC_REFUSED;
		if (rc)
			return rc;
	} else if (o->verbose > 1) {
		note_at(f->path, f->lineno, "change %llu already in the metadata, skipped", (unsigned long long)id);
	}
	f->prev = id;
	return RC_OK;
}

static int
replay_all(struct v16_meta *m, struct job *j, const struct v16_opts *o)
{
	struct progress pr;
	uint64_t first = m->version;
	int rc = RC_OK, k;

	progress_init(&pr, "replaying", "changes", 0, o->quiet);
	j->heap = xcalloc(j->nf + 1, sizeof *j->heap);
	for (size_t i = 0; i < j->nf; i++) {
		if ((k = mfs_cl_next(&j->f[i])) < 0)
			return -k;
		if (k == 0) {
			warn_tail(&j->f[i]);
			continue;
		}
		j->heap[j->nh++] = i;
		mfs_cl_heap_up(j->f, j->heap, j->nh);
	}
	while (j->nh && rc == RC_OK) {
		rc = step(m, j, o);
		if (rc == RC_OK && (m->version & 1023) == 0)
			progress_changes(&pr, m->version - 1, first, j->last, 0);
		if (rc == RC_OK && (k = mfs_cl_heap_next(j->f, j->heap, &j->nh, "MooseFS 1.6.27")) < 0)
			rc = -k;
	}
	/* 1.6.27's last line: the highest last id of the files it used */
	if (rc == RC_OK)
		progress_changes(&pr, j->last, first, j->last, 1);
	return rc;
}

static void
close_all(struct job *j)
{
	for (size_t i = 0; i < j->nf; i++)
		mfs_cl_close(&j->f[i]);
	free(j->f);
	free(j->heap);
}

static int
store(struct v16_meta *m, const char *out, int aflags, int quiet)
{
	struct atomic_out ao;
	int rc;

	if (!quiet) {
		printf("store metadata into file: %s\n", out);
		fflush(stdout);
	}
	if ((rc = atomic_open(&ao, out, aflags, 0640)))
		return rc;
	if ((rc = v16_store_fd(m, ao.fd, out, (uint32_t)time(NULL)))) {
		atomic_abort(&ao);
		return rc;
	}
	return atomic_commit(&ao);
}

int
v16_restore(const char *meta, char **cls, size_t ncl, const char *out, int aflags, const struct v16_opts *o)
{
	struct v16_meta m;
	struct job j = { 0 };
	int rc, rrc;

	rc = v16_load_file(&m, meta, !o->quiet);
	if (rc == RC_OK)
		rc = open_all(&j, cls, ncl, m.version, o->verbose);
	if (rc) {
		close_all(&j);
		v16_free(&m);
		return rc;
	}
	rrc = replay_all(&m, &j, o);
	close_all(&j);
	if (rrc && !o->best) {
		note("nothing written (-b stores the metadata reached before the error)");
		v16_free(&m);
		return rrc;
	}
	rc = o->before_store ? o->before_store(out, o->arg) : RC_OK;
	if (rc == RC_OK)
		rc = store(&m, out, aflags, o->quiet);
	if (rc == RC_OK && rrc) {
		note("stored INCOMPLETE metadata in %s: version %llu (changes up to %llu applied)", out,
		     (unsigned long long)m.version, (unsigned long long)(m.version ? m.version - 1 : 0));
		rc = RC_DIFF;
	}
	v16_free(&m);
	return rc;
}

/* the first bytes and the end of path: "MFSM 1.5" with 1.6's zero end
 * record; *version: its metadata version.  RC_OK, RC_DATA or RC_IO. */
int
v16_peek(const char *path, uint64_t *version)
{
	uint8_t h[24], t[16];
	uint64_t size;
	int rc = RC_DATA, fd = open_ro(path);

	if (fd < 0)
		return RC_IO;
	if (fd_size(fd, &size) == 0 && size >= 63 && pread_full(fd, h, 24, 0) == 24 &&
	    memcmp(h, "MFSM 1.5", 8) == 0 && pread_full(fd, t, 16, size - 16) == 16 &&
	    memcmp(t, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0) {
		*version = get_be64(h + 12);
		rc = RC_OK;
	}
	close(fd);
	return rc;
}

int
v16_is_file(const char *path)
{
	char h[8];
	int fd = open_ro(path), yes;

	if (fd < 0)
		return 0;
	yes = pread_full(fd, h, 8, 0) == 8 && memcmp(h, "MFSM 1.5", 8) == 0;
	close(fd);
	return yes;
}
