/* moosefs.c: metapick for MooseFS master and metalogger data directories.
 * Headers are read by moosefs/sections.c (docs/moosefs-format.md 1.1: "MFSM
 * 2.0", u64 BE version = id of the next change, u64 BE metadata id; "[MFS
 * EOF MARKER]" at the end; "MFSM NEW" = version 1) and 2.1-2.3, 4 (which files `mfsmaster -a` takes: names
 * starting with "metadata"; changelog.N.mfs, changelog_ml.N.mfs and
 * changelog_ml_back.N.mfs; a hole stops the restore).  Changelog lines are
 * read with rescue mfsmetarestore's rules (changelog.h), so that both agree
 * on the version a directory reaches: a damaged end of a file (torn, NUL,
 * blank or garbage lines) is ignored and the lines before it are used
 * (mfsmaster ignores the whole file); a damaged line with valid lines after
 * it, or an id not above the previous one, stops the file there.
 * Rank key: the highest change id reachable from the newest valid metadata
 * file without a gap. */
#include "metapick/metapick.h"
#include "lib/err.h"
#include "lib/xio.h"
#include "moosefs/sections.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
mp_mfs_header(const uint8_t *head, size_t n, const uint8_t *tail, size_t tn,
	      struct mp_mfs_meta *m)
{
	struct mfs_header h;

	mfs_header_parse(head, n, tail, tn, &h);
	memset(m, 0, sizeof *m);
	m->why = mfs_header_problem(&h);
	m->valid = m->why == NULL;
	m->v16 = h.fver == 0x15;
	m->version = h.version;
	m->id = h.metaid;
}

void
mp_changelog_free(struct mp_changelog *cl)
{
	free(cl->r);
	memset(cl, 0, sizeof *cl);
}

static void
add_id(struct mp_changelog *cl, uint64_t id)
{
	if (cl->n && cl->r[cl->n - 1].last + 1 == id) {
		cl->r[cl->n - 1].last = id;
		return;
	}
	xgrow((void **)&cl->r, &cl->cap, cl->n + 1, sizeof *cl->r);
	cl->r[cl->n].first = cl->r[cl->n].last = id;
	cl->n++;
}

/* the line's kind; with id0, a '0: ...' line is judged as any other id */
static int
line_kind(struct mp_changelog *cl)
{
	int zero = cl->id0 && cl->headlen >= 2 && cl->head[0] == '0' && cl->head[1] == ':', kind;

	if (zero)
		cl->head[0] = '1';
	kind = mfs_cl_kind_parts(cl->head, cl->headlen, cl->linelen, cl->nul, cl->paren, !cl->partial_text);
	if (zero)
		cl->head[0] = '0';
	return kind;
}

/* a whole line was seen (its newline is next): mfsmetarestore's rules */
static void
end_line(struct mp_changelog *cl)
{
	int kind = line_kind(cl);
	const char *rest;
	uint64_t id;

	cl->lines++;
	if (kind != MFS_CL_OK) {
		/* maybe the damaged end: decided by what follows */
		if (!cl->tail_line) {
			cl->tail_line = cl->lines;
			cl->bad_off = cl->bytes - cl->linelen;
		}
		return;
	}
	id = mfs_cl_parse_id(cl->head, cl->headlen, &rest);
	if (cl->tail_line || (cl->n && id <= cl->prev)) {
		cl->garbage = 1;
		cl->damaged = cl->tail_line != 0;
		cl->garbage_line = cl->tail_line ? cl->tail_line : cl->lines;
		cl->tail_line = 0;
		return;
	}
	add_id(cl, id);
	cl->prev = id;
}

void
mp_changelog_feed(struct mp_changelog *cl, const char *buf, size_t n)
{
	for (size_t i = 0; i < n && !cl->garbage; i++) {
		char ch = buf[i];

		if (ch != '\n') {
			/* only the head of a line and a few facts about it matter */
			if (cl->headlen < sizeof cl->head)
				cl->head[cl->headlen++] = ch;
			cl->nul |= ch == 0;
			cl->paren |= ch == ')';
			cl->partial_text |= ch != ' ' && ch != '\t' && ch != '\r';
			cl->linelen++;
			cl->bytes++;
			cl->partial = 1;
			continue;
		}
		end_line(cl);
		cl->bytes++;
		cl->headlen = 0;
		cl->linelen = 0;
		cl->nul = cl->paren = cl->partial = cl->partial_text = 0;
	}
}

void
mp_changelog_finish(struct mp_changelog *cl)
{
	if (cl->garbage)
		return;
	/* a last line without newline is part of the damaged end */
	if (cl->partial && !cl->tail_line) {
		cl->tail_line = cl->lines + 1;
		cl->bad_off = cl->bytes - cl->linelen;
	}
	if (cl->tail_line)
		cl->tail_bytes = cl->bytes - cl->bad_off;
}

void
mp_mfs_changelog(const char *buf, size_t n, int id0, struct mp_changelog *cl)
{
	memset(cl, 0, sizeof *cl);
	cl->id0 = id0;
	mp_changelog_feed(cl, buf, n);
	mp_changelog_finish(cl);
}

static int
changelog_name(const char *s)
{
	static const char *prefixes[] = { "changelog.", "changelog_ml.", "changelog_ml_back." };

	for (size_t i = 0; i < 3; i++) {
		size_t pl = strlen(prefixes[i]);
		const char *p = s + pl;

		if (strncmp(s, prefixes[i], pl) != 0 || *p < '0' || *p > '9')
			continue;
		while (*p >= '0' && *p <= '9')
			p++;
		if (strcmp(p, ".mfs") == 0)
			return 1;
	}
	return 0;
}

int
mp_mfs_detect(int dirfd)
{
	size_t n;
	char **v = dir_names(dirfd, &n);
	int found = 0;

	for (size_t i = 0; i < n && !found; i++)
		found = (strncmp(v[i], "metadata", 8) == 0 && strstr(v[i], ".mfs")) ||
			changelog_name(v[i]);
	dir_names_free(v);
	return found;
}

static int
cmp_range(const void *a, const void *b)
{
	const struct mp_range *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

static int
read_changelog(int dirfd, const char *name, int id0, struct mp_changelog *cl)
{
	static char buf[1 << 16];
	int f = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t k;

	memset(cl, 0, sizeof *cl);
	cl->id0 = id0;
	if (f < 0)
		return -1;
	while ((k = read_full(f, buf, sizeof buf)) > 0 && !cl->garbage)
		mp_changelog_feed(cl, buf, (size_t)k);
	close(f);
	if (k < 0) {
		mp_changelog_free(cl);
		return -1;
	}
	mp_changelog_finish(cl);
	return 0;
}

static void
read_meta(int dirfd, const char *name, struct mp_mfs_meta *m)
{
	uint8_t head[MFS_HEADER_MAX], tail[16];
	struct stat st;
	int f = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t k = -1, t = 0;

	memset(m, 0, sizeof *m);
	if (f >= 0 && fstat(f, &st) == 0 && S_ISREG(st.st_mode)) {
		k = read_full(f, head, sizeof head);
		if (st.st_size >= 16)
			t = pread_full(f, tail, 16, (uint64_t)st.st_size - 16);
	}
	if (f >= 0)
		close(f);
	if (k < 0 || t < 0) {
		m->why = "cannot be read";
		return;
	}
	mp_mfs_header(head, (size_t)k, tail, (size_t)t, m);
}

/* The metadata files of a directory: the best one (highest version) */
struct mfs_best {
	const char *name;
	uint64_t version, id;
	int have;
	int v16;        /* the best is MooseFS 1.6's: its changelogs use 1.6's rules */
};

static void
pick_meta(int dirfd, char **names, size_t n, struct mp_cand *c, struct mfs_best *b)
{
	const char *other = NULL;
	uint64_t other_id = 0;

	for (size_t i = 0; i < n; i++) {
		struct mp_mfs_meta m;

		if (strncmp(names[i], "metadata", 8) != 0 || strlen(names[i]) <= 8 ||
		    strcmp(names[i], "metadata.crc") == 0)
			continue;
		read_meta(dirfd, names[i], &m);
		if (!m.valid) {
			mp_warn(c, "%s: %s; not used", names[i], m.why);
			continue;
		}
		if (m.id && b->id && m.id != b->id && !other) {
			other = names[i];
			other_id = m.id;
		}
		if (m.id && !b->id)
			b->id = m.id;
		if (!b->have || m.version > b->version) {
			b->have = 1;
			b->version = m.version;
			b->name = names[i];
			b->v16 = m.v16;
		}
	}
	if (other)
		mp_unusable(c, "metadata files with different ids (%016llx and %016llx in %s): "
			    "mfsmaster -a refuses this directory", (unsigned long long)b->id,
			    (unsigned long long)other_id, other);
}

static void
warn_changelog(struct mp_cand *c, const char *name, const struct mp_changelog *cl)
{
	if (cl->tail_line)
		mp_warn(c, "%s:%llu: damaged end of file, %llu byte(s) ignored; mfsmetarestore "
			"uses the lines before it (mfsmaster -a ignores the whole file)", name,
			(unsigned long long)cl->tail_line, (unsigned long long)cl->tail_bytes);
	if (cl->garbage && cl->damaged)
		mp_warn(c, "%s:%llu: damaged line with valid lines after it; mfsmetarestore "
			"stops here (exit 3)", name, (unsigned long long)cl->garbage_line);
	else if (cl->garbage)
		mp_warn(c, "%s:%llu: id out of order; mfsmetarestore stops here (exit 3), "
			"mfsmaster drops the rest of the file", name,
			(unsigned long long)cl->garbage_line);
}

/* Every changelog's id runs, into *all (nr of them); returns the files seen */
static size_t
collect_changelogs(int dirfd, char **names, size_t n, struct mp_cand *c, int id0,
		   struct mp_range **all, size_t *nr, uint64_t *maxid)
{
	size_t capr = 0, nlogs = 0;

	for (size_t i = 0; i < n; i++) {
		struct mp_changelog cl;

		if (!changelog_name(names[i]))
			continue;
		nlogs++;
		if (read_changelog(dirfd, names[i], id0, &cl) != 0) {
			mp_unreadable(c, RC_IO, "%s: cannot be read", names[i]);
			continue;
		}
		warn_changelog(c, names[i], &cl);
		for (size_t k = 0; k < cl.n; k++) {
			xgrow((void **)all, &capr, *nr + 1, sizeof **all);
			(*all)[(*nr)++] = cl.r[k];
			if (cl.r[k].last > *maxid)
				*maxid = cl.r[k].last;
		}
		mp_changelog_free(&cl);
	}
	return nlogs;
}

static void
fact_meta(struct mp_cand *c, const struct mfs_best *b)
{
	mp_fact_str(c, "metadata_file", b->name);
	if (b->have) {
		char idhex[17];
		mp_fact_num(c, "metadata_version", b->version);
		snprintf(idhex, sizeof idhex, "%016llx", (unsigned long long)b->id);
		mp_fact_str(c, "metadata_id", b->id ? idhex : NULL);
		if (b->id)
			c->identity = mp_strf("metadata id %s", idhex);
	} else {
		mp_fact_null(c, "metadata_version");
		mp_fact_null(c, "metadata_id");
	}
}

/* Walk the id runs from the metadata version on: the last change reached */
static uint64_t
walk_runs(struct mp_cand *c, const struct mfs_best *b, struct mp_range *all, size_t nr,
	  uint64_t maxid)
{
	uint64_t cur = b->have ? b->version - 1 : 0;

	if (nr)
		qsort(all, nr, sizeof *all, cmp_range);
	for (size_t i = 0; i < nr && b->have; i++) {
		if (all[i].last <= cur)
			continue;
		if (all[i].first > cur + 1) {
			mp_warn(c, "changelog gap: changes %llu..%llu are missing; the %llu "
				"changes after it cannot be applied (mfsmaster -a stops with "
				"'hole in change files')", (unsigned long long)(cur + 1),
				(unsigned long long)(all[i].first - 1),
				(unsigned long long)(maxid - all[i].first + 1));
			break;
		}
		cur = all[i].last;
	}
	return cur;
}

void
mp_mfs_scan(int dirfd, struct mp_cand *c)
{
	size_t n, nr = 0, nlogs;
	char **names = dir_names(dirfd, &n);
	struct mp_range *all = NULL;
	struct mfs_best b = { NULL, 0, 0, 0, 0 };
	uint64_t cur, maxid = 0;

	c->kind = "moosefs";
	pick_meta(dirfd, names, n, c, &b);
	nlogs = collect_changelogs(dirfd, names, n, c, b.v16, &all, &nr, &maxid);
	fact_meta(c, &b);
	mp_fact_num(c, "changelog_files", nlogs);
	cur = walk_runs(c, &b, all, nr, maxid);
	free(all);
	mp_fact_num(c, "last_change", cur);
	mp_fact_num(c, "max_change", maxid);
	if (!b.have) {
		mp_unusable(c, "no valid metadata file (mfsmaster -a: can't find valid "
			    "metadata file)");
	} else {
		c->has_key = 1;
		c->key = cur;
		c->key2 = b.version;
		c->prefer = 1;
		c->key_text = mp_strf("change %llu", (unsigned long long)cur);
	}
	dir_names_free(names);
}
