/* human.c: see human.h. */
#include "lib/human.h"

#include <stdio.h>

const char *
human_size(char *buf, size_t n, double bytes, int decimals)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;

	while (bytes >= 1024 && u < 6) {
		bytes /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%.0f B", bytes);
	else
		snprintf(buf, n, "%.*f %s", decimals, bytes, units[u]);
	return buf;
}
