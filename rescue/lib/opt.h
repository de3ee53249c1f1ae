/* opt.h: getopt_long with the conventions every tool shares.
 * The option string must start with "+:" (no permutation; we print errors).
 * opt_next() handles -h/--help (usage on stdout, exit 0), --version, unknown
 * options and missing values (one line on stderr, exit 2). */
#ifndef RESCUE_OPT_H
#define RESCUE_OPT_H

#include <getopt.h>
#include <stdint.h>

#define OPT_VERSION 0x1000
/* Put these at the end of every long option table, before the {0} entry. */
#define OPT_COMMON \
	{ "help", no_argument, 0, 'h' }, { "version", no_argument, 0, OPT_VERSION }

int opt_next(int argc, char **argv, const char *optstring,
	     const struct option *longopts, const char *usage);

/* "12", "4K", "1.5G", "2T" (binary: K = 1024).  Returns 0 or -1. */
int opt_parse_size(const char *s, uint64_t *out);
/* Plain unsigned number within [min, max].  Returns 0 or -1. */
int opt_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* The largest decimal the archive readers (tar's pax records, StarRocks
 * image names) take: they stop before a digit when the value so far is
 * above UINT64_MAX / 10 - 10. */
#define OPT_DEC_MAX ((UINT64_MAX / 10 - 9) * 10 - 1)
/* Same, dying with "bad OPTION 'TEXT'" (exit 2) on error. */
uint64_t opt_size(const char *option, const char *s);
uint64_t opt_uint(const char *option, const char *s, uint64_t min, uint64_t max);
/* $SOURCE_DATE_EPOCH (reproducible builds), or unset when it is unset or
 * empty.  Anything but a plain decimal number in [0, max] dies with "bad
 * SOURCE_DATE_EPOCH 'TEXT'" (exit 2): a typo must not make an archive that
 * silently differs. */
uint64_t opt_epoch(uint64_t max, uint64_t unset);

#endif
