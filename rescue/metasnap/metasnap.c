/* metasnap/metasnap.c: back up, verify, diff and restore a metadata
 * directory as a standard gzip'd tar with a MANIFEST of SHA-256 sums
 * (issue 4).  Subcommands live beside it (save.c, check.c, restore.c); the
 * archive layout and the manifest format are in docs/man/metasnap.1.
 * Exit 1: verify found entries that differ from the manifest, or diff found
 * differences. */
#include "metasnap/metasnap.h"
#include "lib/err.h"
#include "lib/opt.h"
#include "toolmain.h"

#include <string.h>

const char ms_usage[] =
	"usage: metasnap save [-q] [-f] [-l LEVEL] [-j JOBS] DIR -o FILE.tar.gz | verify [-q] FILE | diff FILE DIR | restore [-q] [--force] [--devices] FILE DIR\n"
	"\n"
	"  save DIR -o FILE   write DIR as a gzip'd tar with .metasnap/MANIFEST (SHA-256\n"
	"                     of every file); refuses FILE inside DIR (exit 5)\n"
	"  verify FILE        re-read every member and check it against the manifest\n"
	"  diff FILE DIR      list what differs between the archive and DIR\n"
	"  restore FILE DIR   restore into an empty or absent DIR (checked against the\n"
	"                     manifest, then put in place atomically; an interrupted\n"
	"                     restore is finished or undone by the next one)\n"
	"\n"
	"  -o, --output FILE  archive to write (save)\n"
	"  -f, --force        save: replace FILE; restore: DIR may be non-empty (its\n"
	"                     content is kept in DIR.old.PID)\n"
	"      --devices      restore: create the archive's device nodes (else refused)\n"
	"  -l, --level N      gzip level 0-9 (default 6)\n"
	"  -j, --jobs N       compress with N threads (default: the CPUs, at most 8;\n"
	"                     the archive is the same whatever N)\n"
	"  -q, --quiet        no progress or summary on stderr\n"
	"  -h, --help         this text;  --version  the version\n"
	"\n"
	"Exit: 0 ok, 1 differences found, 2 usage, 3 bad archive, 4 I/O error, 5 refused.\n";

int
metasnap_main(int argc, char **argv)
{
	static const struct option longs[] = { OPT_COMMON, { 0, 0, 0, 0 } };
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "save", ms_save }, { "verify", ms_verify },
		{ "diff", ms_diff }, { "restore", ms_restore },
	};
	int c;

	while ((c = opt_next(argc, argv, "+:h", longs, ms_usage)) != -1)
		;
	if (optind >= argc)
		die_usage("missing command (save, verify, diff or restore)");
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (strcmp(argv[optind], cmds[i].name) == 0) {
			char **sub = argv + optind;
			int subc = argc - optind;

			optind = 1;
			return cmds[i].fn(subc, sub);
		}
	}
	die_usage("unknown command '%s'", argv[optind]);
}
