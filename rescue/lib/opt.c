/* opt.c: the shared option loop and number parsers. */
#include "lib/opt.h"
#include "lib/err.h"
#include "lib/version.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


int
opt_next(int argc, char **argv, const char *optstring,
	 const struct option *longopts, const char *usage)
{
	int c = getopt_long(argc, argv, optstring, longopts, NULL);

	switch (c) {
	case 'h':
		fputs(usage, stdout);
		exit(err_finish(RC_OK));
	case OPT_VERSION:
		printf("%s (rescue) %s\n", prog, RESCUE_VERSION);
		exit(err_finish(RC_OK));
	case '?':
		if (optopt && optopt < 256)
			die_usage("unknown option '-%c'", optopt);
		die_usage("unknown option '%s'", argv[optind - 1]);
	case ':':
		if (optopt && optopt < 256)
			die_usage("option '-%c' needs a value", optopt);
		die_usage("option '%s' needs a value", argv[optind - 1]);
	default:
		return c;
	}
}

int
opt_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
opt_parse_size(const char *s, uint64_t *out)
{
	static const char suffixes[] = "KMGTPE";
	unsigned long long whole;
	uint64_t mult = 1, frac_num = 0, frac_den = 1, v;
	const char *p;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	whole = strtoull(s, &end, 10);
	if (errno)
		return -1;
	p = end;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (frac_den >= 1000000000ULL)
				return -1;
			frac_num = frac_num * 10 + (uint64_t)(*p - '0');
			frac_den *= 10;
		}
	}
	if (*p) {
		const char *k = strchr(suffixes, *p >= 'a' ? *p - 32 : *p);

		if (!k || !*k)
			return -1;
		for (long i = 0; i <= k - suffixes; i++)
			mult *= 1024;
		p++;
		/* accept "K", "KB", "KiB" */
		if (*p == 'i' && p[1] == 'B')
			p += 2;
		else if (*p == 'B' || *p == 'b')
			p++;
		if (*p)
			return -1;
	} else if (frac_den > 1) {
		return -1; /* "1.5" bytes makes no sense */
	}
	if (whole > UINT64_MAX / mult)
		return -1;
	v = (uint64_t)whole * mult;
	if (frac_den > 1) {
		uint64_t f = mult / frac_den * frac_num +
			     (mult % frac_den) * frac_num / frac_den;
		if (v > UINT64_MAX - f)
			return -1;
		v += f;
	}
	*out = v;
	return 0;
}

uint64_t
opt_size(const char *option, const char *s)
{
	uint64_t v;

	if (opt_parse_size(s, &v) != 0)
		die_usage("bad %s '%s'", option, s);
	return v;
}

uint64_t
opt_uint(const char *option, const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (opt_parse_uint(s, min, max, &v) != 0)
		die_usage("bad %s '%s'", option, s);
	return v;
}

uint64_t
opt_epoch(uint64_t max, uint64_t unset)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");

	return s && *s ? opt_uint("SOURCE_DATE_EPOCH", s, 0, max) : unset;
}
