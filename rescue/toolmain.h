/* toolmain.h: every tool's entry point, declared from tools.h.  main.c and
 * each tool's file include it, so the compiler checks that the NAME_main a
 * tool defines is the one main.c calls. */
#ifndef RESCUE_TOOLMAIN_H
#define RESCUE_TOOLMAIN_H

#define TOOL(name, summary) int name##_main(int, char **);
#include "tools.h"
#undef TOOL

#endif
