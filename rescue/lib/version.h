/* version.h: the version string, set by the Makefile (-DRESCUE_VERSION),
 * "dev" when a file is compiled without it.  A macro, so that it joins
 * string literals ("rescue:" RESCUE_VERSION). */
#ifndef RESCUE_VERSION_H
#define RESCUE_VERSION_H

#ifndef RESCUE_VERSION
#define RESCUE_VERSION "dev"
#endif

#endif
