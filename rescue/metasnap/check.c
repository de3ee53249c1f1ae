/* check.c: metasnap verify FILE (every member re-read and hashed, compared
 * with the MANIFEST) and metasnap diff FILE DIR (archive vs a live
 * directory; one line per difference on stdout). */
#include "metasnap/metasnap.h"
#include "lib/err.h"
#include "lib/opt.h"
#include "lib/progress.h"
#include "lib/xio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Options shared by verify and diff: -q; exactly npos positional arguments
 * into pos[] (else a usage error: missing). */
static void
args(int argc, char **argv, const char **pos, int npos, int *quiet, const char *missing)
{
	static const struct option longs[] = {
		{ "quiet", no_argument, 0, 'q' }, OPT_COMMON, { 0, 0, 0, 0 },
	};
	int c, n = 0;

	for (;;) {
		while ((c = opt_next(argc, argv, "+:qh", longs, ms_usage)) != -1)
			if (c == 'q')
				*quiet = 1;
		if (optind >= argc)
			break;
		if (n == npos)
			die_usage("unexpected argument '%s'", argv[optind]);
		pos[n++] = argv[optind++];
	}
	if (n < npos)
		die_usage("%s", missing);
}

int
ms_verify(int argc, char **argv)
{
	const char *pos[1];
	struct ms_archive a;
	struct ms_list m = { 0 };
	struct progress p;
	int quiet = 0, rc;

	args(argc, argv, pos, 1, &quiet, "missing FILE");
	rc = ms_scan(pos[0], &a, NULL, NULL, 1);
	if (rc == RC_OK)
		rc = ms_check_manifest(pos[0], &a, &m);
	if (rc == RC_OK) {
		char h[32];
		progress_init(&p, "", "B", 0, quiet);
		progress_done(&p, "%s: %zu entries (%s) match the manifest", pos[0],
			      a.entries.n, progress_human(h, sizeof h, (double)a.bytes));
	}
	ms_list_free(&m);
	ms_archive_free(&a);
	return rc;
}

/* One line per difference between the archive's entries and the live
 * ones on stdout; how many. */
static size_t
print_diff(struct ms_list *arch, struct ms_list *live)
{
	struct ms_entry **x, **y;
	size_t i = 0, j = 0, ndiff = 0;

	x = ms_sorted(arch);
	y = ms_sorted(live);
	while (i < arch->n || j < live->n) {
		int c = i == arch->n ? 1 : j == live->n ? -1 : strcmp(x[i]->name, y[j]->name);

		if (c < 0) {
			printf("missing %s\n", ms_show(x[i++]->name));
			ndiff++;
		} else if (c > 0) {
			printf("extra %s\n", ms_show(y[j++]->name));
			ndiff++;
		} else {
			char *what = ms_compare(x[i], y[j], 1);

			if (what) {
				printf("changed %s: %s\n", ms_show(x[i]->name), what);
				ndiff++;
			}
			free(what);
			i++;
			j++;
		}
	}
	free(x);
	free(y);
	return ndiff;
}

int
ms_diff(int argc, char **argv)
{
	const char *pos[2];
	struct ms_archive a;
	struct ms_list live = { 0 };
	size_t ndiff;
	int quiet = 0, rc, fd;

	args(argc, argv, pos, 2, &quiet, "missing FILE or DIR");
	fd = open(pos[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die_sys(errno == ENOTDIR ? RC_DATA : RC_IO, "%s", pos[1]);
	if ((rc = ms_scan(pos[0], &a, NULL, NULL, quiet)) != RC_OK)
		return rc;
	if ((rc = ms_walk(fd, pos[1], &live)) != RC_OK)
		return rc;
	for (size_t k = 0; k < live.n; k++)
		if (live.v[k].type == 'f' &&
		    (rc = ms_read_file(fd, pos[1], &live.v[k], NULL, NULL)) != RC_OK)
			return rc;
	ndiff = print_diff(&a.entries, &live);
	ms_list_free(&live);
	ms_archive_free(&a);
	close(fd);
	return ndiff ? RC_DIFF : RC_OK;
}
