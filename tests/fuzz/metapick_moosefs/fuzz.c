/* fuzz.c: metapick's MooseFS parsers (metadata file header and end marker,
 * changelog ids with mfsmetarestore's rules: MooseFS 1.6's, where a line
 * '0: ...' is change 0, for inputs of odd size) on arbitrary bytes. */
#include "lib/err.h"
#include "metapick/metapick.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_mfs_meta m;
	struct mp_changelog cl, pieces;
	size_t step = size ? data[0] % 7 + 1 : 1;
	int id0 = size & 1;

	err_set_quiet(1);
	mp_mfs_header(data, size < 24 ? size : 24, size >= 16 ? data + size - 16 : data,
		      size >= 16 ? 16 : size, &m);
	mp_mfs_changelog((const char *)data, size, id0, &cl);
	for (size_t i = 1; i < cl.n; i++)
		if (cl.r[i].first <= cl.r[i - 1].last)
			__builtin_trap(); /* runs must increase */
	/* fed in pieces, the result must be the same */
	memset(&pieces, 0, sizeof pieces);
	pieces.id0 = id0;
	for (size_t i = 0; i < size; i += step)
		mp_changelog_feed(&pieces, (const char *)data + i, size - i < step ? size - i : step);
	mp_changelog_finish(&pieces);
	if (pieces.n != cl.n || pieces.tail_line != cl.tail_line || pieces.tail_bytes != cl.tail_bytes ||
	    pieces.garbage != cl.garbage ||
	    (cl.n && memcmp(pieces.r, cl.r, cl.n * sizeof *cl.r) != 0))
		__builtin_trap();
	mp_changelog_free(&pieces);
	mp_changelog_free(&cl);
	err_reset();
	return 0;
}
