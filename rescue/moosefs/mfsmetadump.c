/* mfsmetadump.c: print a MooseFS metadata file as text, exactly like
 * MooseFS 3.0.117's /usr/sbin/mfsmetadump (see dump.c).  Unlike the real
 * tool, a damaged file gives a one-line error naming the offset, exit 3. */
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "lib/opt.h"
#include "toolmain.h"
#include "moosefs/meta.h"
#include "moosefs/v16.h"

static const char usage[] =
	"usage: mfsmetadump [-d] [-s SECTION | --header] FILE\n"
	"Print a MooseFS metadata file (metadata.mfs, metadata.mfs.back,\n"
	"metadata_ml.mfs.back) as text, the same text as MooseFS 3.0.117 mfsmetadump.\n"
	"Reads MooseFS 2.0.60..3.0.118 files (every section version 3.0.117 reads),\n"
	"and MooseFS 4.x files, printed as 4.59.2's mfsmetadump prints them.\n"
	"MooseFS 1.6 files (MFSM 1.5) are printed as 1.6.27's mfsmetadump prints them.\n"
	"Other files (MFSM 1.6/1.7, LizardFS, SaunaFS) are refused naming what wrote\n"
	"them and what to do.\n"
	"  -d          print '.' instead of non-printable characters\n"
	"  -s SECTION  print only this section: HEAD SESS SCLA PATT NODE EDGE FREE\n"
	"              QUOT XATR PACL OPEN FLCK PLCK CSDB CHNK\n"
	"  --header    read only the header (and the end marker): the header\n"
	"              lines, then '# kind: K ; version: V ; id: HEX ; end marker: yes'\n"
	"Exit status: 0 ok, 2 usage, 3 bad metadata file, 4 I/O error.\n";

int
mfsmetadump_main(int argc, char **argv)
{
	static const struct option lo[] = { { "header", no_argument, 0, 'H' }, OPT_COMMON, { 0, 0, 0, 0 } };
	const char *section = NULL;
	int c, hide = 0, header = 0;

	while ((c = opt_next(argc, argv, "+:ds:h", lo, usage)) != -1) {
		switch (c) {
		case 'd':
			hide = 1;
			break;
		case 'H':
			header = 1;
			break;
		case 's':
			if (strlen(optarg) != 4)
				die_usage("bad section name '%s'", optarg);
			section = optarg;
			break;
		default:
			die_usage("unknown option");
		}
	}
	if (optind != argc - 1)
		die_usage(optind == argc ? "missing FILE" : "too many arguments");
	if (header && section)
		die_usage("-s and --header do not go together");
	if (!header && v16_is_file(argv[optind])) {     /* MooseFS 1.6: v16_dump.c */
		if (section)   /* (-d: 1.6's names are printed with '.' anyway) */
			die_usage("-s is not supported for MooseFS 1.6 metadata (no sections)");
		return err_finish(v16_dump(argv[optind]));
	}
	if (header)
		return err_finish(mfs_dump_header(argv[optind], hide));
	return err_finish(mfs_dump(argv[optind], hide, section));
}
