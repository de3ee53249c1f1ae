/* confset.c: placeholder until the tool lands (owned by its issue). */
#include "lib/err.h"

int
confset_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	die_msg(RC_USAGE, "not built yet");
}
