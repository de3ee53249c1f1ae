/* metapick/metapick.c: among copies of one system's metadata directory (one
 * per node, or backups), find the freshest safe one and say why (issue 4).
 * Kinds: StarRocks/Doris FE meta_dir, MooseFS master/metalogger data dirs,
 * LeoFS manager mnesia dirs (the files beside this one, facts in
 * docs/recipes/facts.md and docs/moosefs-format.md).
 * Exit 1: no safe choice (copies of different clusters, no usable copy). */
#include "metapick/metapick.h"
#include "lib/err.h"
#include "lib/opt.h"
#include "lib/xio.h"
#include "toolmain.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: metapick [--kind auto|starrocks|doris|moosefs|leofs] [--json] [--print-path] DIR...\n"
	"\n"
	"Ranks copies of the same system's metadata directory and picks the freshest\n"
	"safe one: StarRocks/Doris FE meta_dir (largest complete image.N, FOLLOWER\n"
	"before OBSERVER), MooseFS master/metalogger data dir (highest change id\n"
	"reachable from the newest valid metadata file without a changelog gap),\n"
	"LeoFS manager mnesia dir (.DCD files present, newest LATEST.LOG).\n"
	"\n"
	"  -k, --kind KIND   the system (default auto: detected from the files)\n"
	"  -j, --json        machine-readable output (see metapick(1))\n"
	"  -p, --print-path  print only the chosen directory\n"
	"  -h, --help        this text;  --version  the version\n"
	"\n"
	"The last line of the table is the chosen directory.  Exit: 0 chosen,\n"
	"1 no safe choice, 2 usage, 3 unreadable input.\n";

enum { K_AUTO, K_SR, K_DORIS, K_MFS, K_LEO };

static int
detect(int fd)
{
	if (mp_sr_detect(fd))
		return K_SR;
	if (mp_mfs_detect(fd))
		return K_MFS;
	if (mp_leo_detect(fd))
		return K_LEO;
	return K_AUTO;
}

static const char *
family(int k)
{
	return k == K_SR || k == K_DORIS ? "starrocks" : k == K_MFS ? "moosefs" : "leofs";
}

static const char *kinds[] = { "auto", "starrocks", "doris", "moosefs", "leofs" };

/* Scan the copy c->dir as kind (K_AUTO: detect it).  *seen and *first are
 * the kind of the first scanned copy and its directory: the others must be
 * of the same family. */
static void
scan_one(struct mp_cand *c, int kind, int *seen, const char **first)
{
	int fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), k;

	if (fd < 0) {
		warn_sys(RC_DATA, "%s", c->dir);
		mp_unreadable(c, errno == ENOENT || errno == ENOTDIR ? RC_DATA : RC_IO,
			      "%s", strerror(errno));
		return;
	}
	k = kind == K_AUTO ? detect(fd) : kind;
	if (k == K_AUTO) {
		warn_rc(RC_DATA, "%s: not a StarRocks/Doris, MooseFS or LeoFS metadata "
			"directory", c->dir);
		mp_unreadable(c, RC_DATA, "not a StarRocks/Doris, MooseFS or LeoFS "
			      "metadata directory");
	} else if (*seen != K_AUTO && strcmp(family(*seen), family(k)) != 0) {
		warn_rc(RC_DATA, "%s looks like %s but %s like %s (use --kind)", *first,
			family(*seen), c->dir, family(k));
		mp_unreadable(c, RC_DATA, "a different kind (%s) from %s", family(k),
			      *first);
	} else {
		if (*seen == K_AUTO) {
			*seen = k;
			*first = c->dir;
		}
		if (k == K_SR || k == K_DORIS)
			mp_sr_scan(fd, c, kind == K_DORIS ? 1 : kind == K_SR ? -1 : 0);
		else if (k == K_MFS)
			mp_mfs_scan(fd, c);
		else
			mp_leo_scan(fd, c);
		if (c->status)
			warn_rc(RC_DATA, "%s: %s", c->dir, c->problem);
	}
	close(fd);
}

/* the system's name for the output: Doris when every readable copy says so */
static const char *
system_name(const struct mp_cand *c, size_t n, int kind, int seen)
{
	const char *name = kind != K_AUTO ? kinds[kind] : seen == K_AUTO ? "unknown" : family(seen);
	int all = 1, any = 0;

	if (strcmp(name, "starrocks") != 0)
		return name;
	for (size_t i = 0; i < n; i++)
		if (!c[i].status && c[i].kind) {
			any = 1;
			all &= strcmp(c[i].kind, "doris") == 0;
		}
	return any && all ? "doris" : name;
}

int
metapick_main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "kind", required_argument, 0, 'k' }, { "json", no_argument, 0, 'j' },
		{ "print-path", no_argument, 0, 'p' }, OPT_COMMON, { 0, 0, 0, 0 },
	};
	struct mp_cand *c;
	int ch, kind = K_AUTO, json = 0, path_only = 0, chosen, status, seen = K_AUTO;
	const char *first = NULL, *name;
	char *reason;
	size_t n;

	while ((ch = opt_next(argc, argv, "+:k:jph", longs, usage)) != -1) {
		switch (ch) {
		case 'k':
			kind = -1;
			for (int i = 0; i < 5; i++)
				if (strcmp(optarg, kinds[i]) == 0)
					kind = i;
			if (kind < 0)
				die_usage("bad --kind '%s'", optarg);
			break;
		case 'j': json = 1; break;
		case 'p': path_only = 1; break;
		}
	}
	if (optind >= argc)
		die_usage("missing DIR");
	n = (size_t)(argc - optind);
	c = xcalloc(n, sizeof *c);
	for (size_t i = 0; i < n; i++) {
		c[i].dir = argv[optind + (int)i];
		scan_one(&c[i], kind, &seen, &first);
	}
	name = system_name(c, n, kind, seen);
	chosen = mp_rank(c, n, name, &reason);
	status = err_status() >= RC_DATA || seen == K_AUTO ? RC_DATA : chosen < 0 ? RC_DIFF : RC_OK;
	for (size_t i = 0; i < n; i++)
		if (c[i].status == RC_IO)
			status = RC_DATA;
	if (json)
		mp_print_json(c, n, name, status, chosen, reason);
	else if (path_only) {
		if (chosen >= 0)
			printf("%s\n", c[chosen].dir);
	} else
		mp_print_table(c, n, name, chosen, reason);
	if (status == RC_DIFF)
		warn_rc(RC_DIFF, "no safe choice: %s", reason);
	free(reason);
	for (size_t i = 0; i < n; i++)
		mp_cand_free(&c[i]);
	free(c);
	return err_finish(status);
}
