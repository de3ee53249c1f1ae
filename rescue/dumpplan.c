/* dumpplan.c: pack volumes (lib/vollist.h) onto as few backup media of one
 * capacity as possible, each replica taking its own space and no two
 * replicas of one volume on the same medium.  First-fit decreasing gives a
 * plan; when it does not meet the lower bound, a branch-and-bound search
 * (bounded by BB_NODES, BB_WORK and BB_ITEMS: well under a second) looks for
 * a better one.  Optionally writes one Coda dumplist(5) per medium
 * (docs/recipes/facts.md 3.2: "<volid-hex> <schedule> <comment>",
 * lines of at most 79 bytes plus newline, comments of at most 39 bytes, no
 * blank or comment lines).  Man page: docs/man/dumpplan.1.
 */
#include "lib/atomic.h"
#include "lib/err.h"
#include "lib/human.h"
#include "lib/opt.h"
#include "lib/vollist.h"
#include "lib/xio.h"
#include "toolmain.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BB_NODES 10000000UL /* search nodes ... */
#define BB_WORK 400000000UL /* ... and media looked at, in all (< 0.5 s) */
#define BB_ITEMS 5000
#define INPUT_MAX (64UL << 20)
#define DUMPLIST_LINE 79     /* characters before the newline (fgets, 81-byte buffer) */
#define DUMPLIST_FIELD 39    /* schedule and comment (sscanf %40s into 40 bytes) */

static const char usage[] =
	"usage: dumpplan --capacity SIZE [OPTIONS] [FILE]\n"
	"Group volumes onto as few backup media as possible.  FILE (or stdin, or -)\n"
	"lists one volume per line: NAME SIZE [REPLICAS [VOLID]], '#' comments;\n"
	"sizes take K/M/G/T suffixes (K = 1024).  Replicas never share a medium.\n"
	"  -c, --capacity SIZE   capacity of one medium\n"
	"  --allow-oversize      put a volume larger than a medium alone on one\n"
	"  --dumplist DIR        write DIR/dumplist.N (Coda dumplist(5)) per medium\n"
	"  --schedule S          dumplist schedule (F, I or 0-9 per day; default F)\n"
	"  -f, --force           replace existing DIR/dumplist.* files\n"
	"  -b, --bytes           print sizes in bytes\n"
	"  -q, --quiet           no notes on stderr\n"
	"  -h, --help            this text; --version\n"
	"Exit: 0 planned, 2 usage, 3 bad volume list (or a volume larger than a medium),\n"
	"4 I/O error, 5 refused (dumplist files exist, input is an output).\n";

struct args {
	uint64_t cap;
	int oversize, force, bytes, quiet;
	const char *file, *name, *dir, *schedule;
};

struct item {
	size_t vol;      /* index in the volume list */
	unsigned rep;    /* replica number, 1-based */
	uint64_t size;
};

struct plan {
	struct item *it;  /* sorted by decreasing size, replicas adjacent */
	size_t n;         /* items that fit a medium */
	size_t nover;     /* oversize items, after the n others */
	size_t *bin;      /* medium of each item */
	size_t nbins;     /* media for the n items; oversize ones follow */
	uint64_t cap;
};

/* Branch and bound state. */
struct bb {
	const struct plan *p;
	uint64_t *room;   /* free space per open medium */
	size_t *at, *best_at;
	size_t nb, best;
	uint64_t *rest;   /* rest[k] = total size of items k.. */
	unsigned long nodes, work;
	unsigned __int128 free_space;  /* sum of room[]: may pass 2^64 */
	int stop, hit_limit;
	size_t lb;
};

static int
by_size(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	if (x->vol != y->vol)
		return x->vol < y->vol ? -1 : 1;
	return (x->rep > y->rep) - (x->rep < y->rep);
}

/* 1 if item k may go on medium b: an earlier replica of its volume is not there. */
static int
no_twin(const struct plan *p, const size_t *at, size_t k, size_t b)
{
	for (size_t j = k; j > 0 && p->it[j - 1].vol == p->it[k].vol; j--)
		if (at[j - 1] == b)
			return 0;
	return 1;
}

static size_t
ffd(const struct plan *p, size_t *at)
{
	uint64_t *room = xcalloc(p->n + 1, sizeof *room);
	size_t nb = 0;

	for (size_t k = 0; k < p->n; k++) {
		size_t b;

		for (b = 0; b < nb; b++)
			if (room[b] >= p->it[k].size && no_twin(p, at, k, b))
				break;
		if (b == nb)
			room[nb++] = p->cap;
		room[b] -= p->it[k].size;
		at[k] = b;
	}
	free(room);
	return nb;
}

static void
bb_place(struct bb *s, size_t k, size_t b);

static void
bb_step(struct bb *s, size_t k)
{
	const struct plan *p = s->p;
	uint64_t need;

	if (s->stop)
		return;
	s->work += s->nb + 1;
	if (++s->nodes > BB_NODES || s->work > BB_WORK) {
		s->stop = s->hit_limit = 1;
		return;
	}
	if (k == p->n) {
		if (s->nb < s->best) {
			s->best = s->nb;
			memcpy(s->best_at, s->at, p->n * sizeof *s->at);
			if (s->best <= s->lb)
				s->stop = 1;
		}
		return;
	}
	need = s->rest[k] > s->free_space ? (uint64_t)(s->rest[k] - s->free_space) : 0;
	if (s->nb + (size_t)(need / p->cap) + (need % p->cap != 0) >= s->best)
		return;
	for (size_t b = 0; b < s->nb; b++) {
		size_t c;

		if (s->room[b] < p->it[k].size || !no_twin(p, s->at, k, b))
			continue;
		/* media with the same free space and no twin are interchangeable */
		for (c = 0; c < b; c++)
			if (s->room[c] == s->room[b] && no_twin(p, s->at, k, c))
				break;
		s->work += c;
		if (c < b)
			continue;
		bb_place(s, k, b);
	}
	if (s->nb + 1 < s->best) {
		s->room[s->nb++] = p->cap;
		s->free_space += p->cap;
		bb_place(s, k, s->nb - 1);
		s->free_space -= p->cap;
		s->nb--;
	}
}

static void
bb_place(struct bb *s, size_t k, size_t b)
{
	s->room[b] -= s->p->it[k].size;
	s->free_space -= s->p->it[k].size;
	s->at[k] = b;
	bb_step(s, k + 1);
	s->room[b] += s->p->it[k].size;
	s->free_space += s->p->it[k].size;
}

/* Improve p->bin by exact search.  Returns 1 if the result is proven
 * minimal, 0 if the search stopped early; *nodes gets the node count. */
static int
exact(struct plan *p, size_t lb, unsigned long *nodes)
{
	struct bb s = { 0 };

	s.p = p;
	s.lb = lb;
	s.best = p->nbins;
	s.room = xcalloc(p->n + 1, sizeof *s.room);
	s.at = xcalloc(p->n + 1, sizeof *s.at);
	s.best_at = xcalloc(p->n + 1, sizeof *s.best_at);
	s.rest = xcalloc(p->n + 1, sizeof *s.rest);
	memcpy(s.best_at, p->bin, p->n * sizeof *p->bin);
	for (size_t k = p->n; k > 0; k--)
		s.rest[k - 1] = s.rest[k] + p->it[k - 1].size;
	bb_step(&s, 0);
	memcpy(p->bin, s.best_at, p->n * sizeof *p->bin);
	p->nbins = s.best;
	*nodes = s.nodes;
	free(s.room);
	free(s.at);
	free(s.best_at);
	free(s.rest);
	return !s.hit_limit;
}

static void
human(char *buf, size_t n, uint64_t v, int bytes)
{
	if (bytes)
		snprintf(buf, n, "%llu", (unsigned long long)v);
	else
		human_size(buf, n, (double)v, 2);
}

static void
print_plan(const struct args *a, const struct vollist *vl, const struct plan *p,
	   const size_t *media_of)
{
	size_t total_media = p->nbins + p->nover, w = 4;
	char s1[32], s2[32];

	for (size_t i = 0; i < vl->n; i++)
		if (strlen(vl->v[i].name) > w)
			w = strlen(vl->v[i].name);
	if (w > 40)
		w = 40;
	for (size_t m = 0; m < total_media; m++) {
		uint64_t used = 0;
		size_t count = 0;

		for (size_t k = 0; k < p->n + p->nover; k++) {
			if (media_of[k] == m) {
				used += p->it[k].size;
				count++;
			}
		}
		human(s1, sizeof s1, used, a->bytes);
		human(s2, sizeof s2, p->cap, a->bytes);
		printf("medium %zu: %zu volume%s, %s of %s (%.1f%%)\n", m + 1, count,
		       count == 1 ? "" : "s", s1, s2, (double)used * 100 / (double)p->cap);
		for (size_t k = 0; k < p->n + p->nover; k++) {
			const struct volume *v = vl->v + p->it[k].vol;

			if (media_of[k] != m)
				continue;
			human(s1, sizeof s1, v->size, a->bytes);
			printf("  %-*s  %12s", (int)w, v->name, s1);
			if (v->replicas > 1)
				printf("  replica %u/%u", p->it[k].rep, v->replicas);
			if (k >= p->n)
				printf("  (larger than a medium)");
			putchar('\n');
		}
	}
}

/* The dumplist line of item k, or an error (exit 3) naming the volume. */
static int
dumplist_line(const struct args *a, const struct volume *v, char *buf, size_t n)
{
	int len;

	if (!v->id) {
		warn_at(RC_DATA, a->name, v->line,
			"volume '%s' has no Coda volume id (hex NAME or 4th field) for --dumplist",
			v->name);
		return RC_DATA;
	}
	if (strlen(v->name) > DUMPLIST_FIELD) {
		warn_at(RC_DATA, a->name, v->line,
			"volume name '%s' is longer than %d bytes, the limit of a dumplist comment",
			v->name, DUMPLIST_FIELD);
		return RC_DATA;
	}
	len = snprintf(buf, n, "%08x\t%s\t%s\n", (unsigned)v->id, a->schedule, v->name);
	if (len < 0 || (size_t)len > DUMPLIST_LINE + 1) {
		warn_at(RC_DATA, a->name, v->line,
			"dumplist line for '%s' is longer than %d characters (Coda's limit)",
			v->name, DUMPLIST_LINE);
		return RC_DATA;
	}
	return RC_OK;
}

static int
is_dumplist_name(const char *s, unsigned long *n)
{
	char *end;

	if (strncmp(s, "dumplist.", 9) || s[9] < '1' || s[9] > '9')
		return 0;
	*n = strtoul(s + 9, &end, 10);
	return !*end;
}

/* Existing DIR/dumplist.N: refused without -f; the input must not be one. */
static int
check_dir(const struct args *a, const struct stat *in, unsigned long *highest)
{
	DIR *d = opendir(a->dir);
	struct dirent *e;
	int rc = RC_OK;

	*highest = 0;
	if (!d) {
		warn_sys(RC_IO, "%s", a->dir);
		return RC_IO;
	}
	while (!rc && (e = readdir(d))) {
		unsigned long n;
		struct stat st;
		char path[4096];

		if (!is_dumplist_name(e->d_name, &n))
			continue;
		if (n > *highest)
			*highest = n;
		snprintf(path, sizeof path, "%s/%s", a->dir, e->d_name);
		if (in && stat(path, &st) == 0 && same_file(in, &st)) {
			warn_rc(RC_REFUSED, "%s: is the input; refused", path);
			rc = RC_REFUSED;
		} else if (!a->force) {
			warn_rc(RC_REFUSED, "%s: exists; not overwritten (use -f)", path);
			rc = RC_REFUSED;
		}
	}
	closedir(d);
	return rc;
}

/* Every line valid and no file in the way?  Checked before any output. */
static int
check_dumplists(const struct args *a, const struct vollist *vl, const struct plan *p,
		const struct stat *in, unsigned long *highest)
{
	char line[128];
	int rc;

	for (size_t k = 0; k < p->n + p->nover; k++)
		if ((rc = dumplist_line(a, vl->v + p->it[k].vol, line, sizeof line)))
			return rc;
	return check_dir(a, in, highest);
}

static int
write_dumplists(const struct args *a, const struct vollist *vl, const struct plan *p,
		const size_t *media_of, unsigned long highest)
{
	size_t total = p->nbins + p->nover, cap = 0, len;
	char line[128], path[4096], *buf = NULL;
	int rc = RC_OK;

	for (size_t m = 0; m < total && !rc; m++) {
		len = 0;
		for (size_t k = 0; k < p->n + p->nover; k++) {
			size_t l;

			if (media_of[k] != m)
				continue;
			dumplist_line(a, vl->v + p->it[k].vol, line, sizeof line);
			l = strlen(line);
			xgrow((void **)&buf, &cap, len + l + 1, 1);
			memcpy(buf + len, line, l);
			len += l;
		}
		snprintf(path, sizeof path, "%s/dumplist.%zu", a->dir, m + 1);
		rc = atomic_write_file(path, buf, len, ATOMIC_OVERWRITE, 0644);
		if (!rc && !a->quiet)
			note("wrote %s", path);
	}
	free(buf);
	/* with -f, a longer plan's leftovers would be read as part of this one */
	for (unsigned long n = total + 1; !rc && n <= highest; n++) {
		snprintf(path, sizeof path, "%s/dumplist.%lu", a->dir, n);
		if (unlink(path) == 0 && !a->quiet)
			note("removed stale %s", path);
	}
	return rc;
}

static int
read_input(const struct args *a, char **data, size_t *len, struct stat *st)
{
	size_t cap = 65536, n = 0;
	char *buf;

	if (strcmp(a->file, "-")) {
		if (stat(a->file, st) != 0) {
			warn_sys(RC_IO, "%s", a->file);
			return RC_IO;
		}
		return read_file(a->file, INPUT_MAX, data, len);
	}
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap >= INPUT_MAX) {
				warn_rc(RC_DATA, "%s: larger than %lu bytes", a->name, INPUT_MAX);
				free(buf);
				return RC_DATA;
			}
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		r = read(0, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			warn_sys(RC_IO, "%s", a->name);
			free(buf);
			return RC_IO;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	*data = buf;
	*len = n;
	return RC_OK;
}

/* Items from the volume list; oversize ones last (or an error). */
static int
make_items(const struct args *a, const struct vollist *vl, struct plan *p)
{
	size_t total = 0, k = 0;

	for (size_t i = 0; i < vl->n; i++) {
		if (vl->v[i].size > a->cap && !a->oversize) {
			char s1[32], s2[32];

			human(s1, sizeof s1, vl->v[i].size, a->bytes);
			human(s2, sizeof s2, a->cap, a->bytes);
			warn_at(RC_DATA, a->name, vl->v[i].line,
				"volume '%s' (%s) is larger than a medium (%s); use --allow-oversize",
				vl->v[i].name, s1, s2);
			return RC_DATA;
		}
		total += vl->v[i].replicas;
	}
	p->cap = a->cap;
	p->it = xcalloc(total + 1, sizeof *p->it);
	p->bin = xcalloc(total + 1, sizeof *p->bin);
	for (int over = 0; over < 2; over++) {
		size_t start = k;

		for (size_t i = 0; i < vl->n; i++) {
			if ((vl->v[i].size > a->cap) != over)
				continue;
			for (unsigned r = 1; r <= vl->v[i].replicas; r++)
				p->it[k++] = (struct item){ i, r, vl->v[i].size };
		}
		qsort(p->it + start, k - start, sizeof *p->it, by_size);
		if (!over)
			p->n = k;
	}
	p->nover = k - p->n;
	return RC_OK;
}

static int
plan_volumes(const struct args *a, const struct vollist *vl, const struct stat *in)
{
	struct plan p = { 0 };
	uint64_t sum = 0;
	size_t lb, lb_rep = 0, *media_of;
	unsigned long nodes = 0, highest = 0;
	const char *how;
	char howbuf[160];
	int rc;

	if ((rc = make_items(a, vl, &p)))
		return rc;
	for (size_t k = 0; k < p.n; k++) {
		if (sum > UINT64_MAX - p.it[k].size) {
			warn_rc(RC_DATA, "%s: total size of the volumes exceeds 16 EiB", a->name);
			rc = RC_DATA;
			goto out;
		}
		sum += p.it[k].size;
		if (vl->v[p.it[k].vol].replicas > lb_rep)
			lb_rep = vl->v[p.it[k].vol].replicas;
	}
	lb = (size_t)(sum / p.cap + (sum % p.cap != 0));
	p.nbins = ffd(&p, p.bin);
	if (p.nbins <= lb) {
		how = "optimal";
	} else if (p.nbins <= lb_rep) {
		snprintf(howbuf, sizeof howbuf,
			 "optimal: a volume with %zu replicas needs %zu media", lb_rep, lb_rep);
		how = howbuf;
	} else if (p.n > BB_ITEMS) {
		snprintf(howbuf, sizeof howbuf,
			 "first-fit decreasing; %zu replicas are too many for an exact search",
			 p.n);
		how = howbuf;
	} else if (exact(&p, lb > lb_rep ? lb : lb_rep, &nodes)) {
		snprintf(howbuf, sizeof howbuf, "optimal, exact search of %lu nodes", nodes);
		how = howbuf;
	} else {
		snprintf(howbuf, sizeof howbuf,
			 "best found; exact search stopped after %lu nodes", nodes);
		how = howbuf;
	}
	media_of = xcalloc(p.n + p.nover + 1, sizeof *media_of);
	for (size_t k = 0; k < p.n; k++)
		media_of[k] = p.bin[k];
	for (size_t k = p.n; k < p.n + p.nover; k++)
		media_of[k] = p.nbins + (k - p.n);
	if (a->dir && (rc = check_dumplists(a, vl, &p, strcmp(a->file, "-") ? in : NULL,
					     &highest)))
		goto out_media;
	for (size_t k = p.n; k < p.n + p.nover && !a->quiet; k++)
		note("volume '%s' is larger than a medium; alone on medium %zu",
		     vl->v[p.it[k].vol].name, media_of[k] + 1);
	if (!a->quiet && strncmp(how, "optimal", 7))
		note("plan may not be minimal (%s)", how);
	print_plan(a, vl, &p, media_of);
	printf("lower bound ceil(total/capacity) = %zu, media used = %zu (%s)\n",
	       lb + p.nover, p.nbins + p.nover, how);
	if (a->dir)
		rc = write_dumplists(a, vl, &p, media_of, highest);
out_media:
	free(media_of);
out:
	free(p.it);
	free(p.bin);
	return rc;
}

static int
schedule_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DUMPLIST_FIELD)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("FfIi0123456789", s[i]))
			return 0;
	return 1;
}

int
dumpplan_main(int argc, char **argv)
{
	enum { OPT_OVER = 0x100, OPT_DUMPLIST, OPT_SCHEDULE };
	static const struct option longopts[] = {
		{ "capacity", required_argument, 0, 'c' },
		{ "allow-oversize", no_argument, 0, OPT_OVER },
		{ "dumplist", required_argument, 0, OPT_DUMPLIST },
		{ "schedule", required_argument, 0, OPT_SCHEDULE },
		{ "force", no_argument, 0, 'f' },
		{ "bytes", no_argument, 0, 'b' },
		{ "quiet", no_argument, 0, 'q' },
		OPT_COMMON,
		{ 0, 0, 0, 0 }
	};
	struct args a = { .schedule = "F" };
	struct vollist vl;
	struct stat in = { 0 };
	char *data;
	size_t len;
	int c, rc;

	while ((c = opt_next(argc, argv, "+:c:fbqh", longopts, usage)) != -1) {
		switch (c) {
		case 'c':
			a.cap = opt_size("--capacity", optarg);
			if (!a.cap)
				die_usage("bad --capacity '%s'", optarg);
			break;
		case OPT_OVER: a.oversize = 1; break;
		case OPT_DUMPLIST: a.dir = optarg; break;
		case OPT_SCHEDULE:
			if (!schedule_ok(optarg))
				die_usage("bad --schedule '%s' (F, I or 0-9 per day, at most %d)",
					  optarg, DUMPLIST_FIELD);
			a.schedule = optarg;
			break;
		case 'f': a.force = 1; break;
		case 'b': a.bytes = 1; break;
		case 'q': a.quiet = 1; break;
		}
	}
	if (!a.cap)
		die_usage("missing --capacity");
	if (argc - optind > 1)
		die_usage("unexpected argument '%s'", argv[optind + 1]);
	a.file = optind < argc ? argv[optind] : "-";
	a.name = strcmp(a.file, "-") ? a.file : "(stdin)";
	if ((rc = read_input(&a, &data, &len, &in)))
		return err_finish(rc);
	rc = vollist_parse(&vl, a.name, data, len);
	free(data);
	if (rc)
		return err_finish(rc);
	rc = plan_volumes(&a, &vl, &in);
	vollist_free(&vl);
	return err_finish(rc);
}
