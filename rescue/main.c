/* main.c: the multicall dispatcher.
 * The tool is basename(argv[0]); if that is "rescue", it is argv[1].
 * `rescue --help` lists the tools; `rescue --list` prints one name per line
 * (for scripts); `rescue --install DIR` makes the links.  `rescue` alone is a
 * usage error (exit 2): a script that lost its TOOL argument must not pass. */
#include "lib/err.h"
#include "lib/version.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "toolmain.h"

struct tool {
	const char *name;
	int (*main)(int, char **);
	const char *summary;
};

static const struct tool tools[] = {
#define TOOL(name, summary) { #name, name##_main, summary },
#include "tools.h"
#undef TOOL
};

#define NTOOLS (sizeof tools / sizeof tools[0])


static const char usage[] =
	"usage: rescue TOOL [ARGS...]   or   TOOL [ARGS...] through a link\n"
	"       rescue --list | --install DIR | --help | --version\n"
	"\n"
	"Static storage disaster-recovery tools in one binary.\n"
	"Exit status: 0 ok, 1 difference found, 2 usage, 3 bad input data,\n"
	"4 I/O or system error, 5 refused for safety.\n"
	"\n"
	"Tools:\n";

static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static int
list_tools(int with_summary)
{
	if (with_summary)
		fputs(usage, stdout);
	for (size_t i = 0; i < NTOOLS; i++) {
		if (with_summary)
			printf("  %-16s %s\n", tools[i].name, tools[i].summary);
		else
			printf("%s\n", tools[i].name);
	}
	return err_finish(RC_OK);
}

static int
install_links(const char *dir)
{
	char self[PATH_MAX], link[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	int rc = RC_OK;

	if (n <= 0)
		die_sys(RC_IO, "cannot find own path (/proc/self/exe)");
	self[n] = 0;
	for (size_t i = 0; i < NTOOLS; i++) {
		if (snprintf(link, sizeof link, "%s/%s", dir, tools[i].name) >=
		    (int)sizeof link)
			die_msg(RC_USAGE, "%s: path too long", dir);
		if (symlink(self, link) != 0) {
			if (errno == EEXIST) {
				warn_rc(RC_REFUSED, "%s: exists; left as it is", link);
				rc = RC_REFUSED;
				continue;
			}
			die_sys(RC_IO, "%s", link);
		}
	}
	return rc;
}

static const struct tool *
find_tool(const char *name)
{
	for (size_t i = 0; i < NTOOLS; i++)
		if (strcmp(tools[i].name, name) == 0)
			return &tools[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	const char *name = argc > 0 ? base_name(argv[0]) : "rescue";
	const struct tool *t;

	if (strcmp(name, "rescue") == 0) {
		if (argc < 2)
			die_usage("missing TOOL");
		if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
			return list_tools(1);
		if (strcmp(argv[1], "--list") == 0)
			return list_tools(0);
		if (strcmp(argv[1], "--version") == 0) {
			printf("rescue %s\n", RESCUE_VERSION);
			return err_finish(RC_OK);
		}
		if (strcmp(argv[1], "--install") == 0) {
			if (argc != 3)
				die_usage("--install needs one directory");
			return install_links(argv[2]);
		}
		if (argv[1][0] == '-')
			die_usage("unknown option '%s'", argv[1]);
		argc--;
		argv++;
		name = argv[0];
	}
	t = find_tool(name);
	if (t) {
		prog = t->name;
		/* getopt state is global; tools start from a clean one */
		optind = 1;
		return err_finish(t->main(argc, argv));
	}
	die_msg(RC_USAGE, "unknown tool '%s' (see 'rescue --help')", name);
}
