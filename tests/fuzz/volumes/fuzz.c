/* fuzz.c: the volume list parser (rescue/lib/vollist.c) used by dumpplan.
 * Every accepted volume must have a name, 1..VOL_MAX_REPLICAS replicas and a
 * unique name. */
#include "lib/err.h"
#include "lib/vollist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct vollist l;

	err_set_quiet(1);
	if (vollist_parse(&l, "fuzz", (const char *)data, len))
		return 0;
	for (size_t i = 0; i < l.n; i++) {
		if (!l.v[i].name[0] || l.v[i].replicas < 1 || l.v[i].replicas > VOL_MAX_REPLICAS)
			abort();
		if (i && !strcmp(l.v[i].name, l.v[i - 1].name))
			abort();
	}
	vollist_free(&l);
	return 0;
}
