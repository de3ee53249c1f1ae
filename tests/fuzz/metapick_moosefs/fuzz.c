/* fuzz.c: metapick's MooseFS parsers (metadata file header and end marker,
 * changelog ids with the merger's rules) on arbitrary bytes. */
#include "lib/err.h"
#include "metapick/metapick.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_mfs_meta m;
	struct mp_changelog cl;

	err_set_quiet(1);
	mp_mfs_header(data, size < 24 ? size : 24, size >= 16 ? data + size - 16 : data,
		      size >= 16 ? 16 : size, &m);
	mp_mfs_changelog((const char *)data, size, &cl);
	for (size_t i = 1; i < cl.n; i++)
		if (cl.r[i].first <= cl.r[i - 1].last)
			__builtin_trap(); /* runs must increase */
	mp_changelog_free(&cl);
	err_reset();
	return 0;
}
