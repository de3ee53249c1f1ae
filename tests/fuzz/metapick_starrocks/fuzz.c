/* fuzz.c: metapick's StarRocks/Doris parsers (java.util.Properties text of
 * image/ROLE and image/VERSION, image header checks) on arbitrary bytes. */
#include "lib/err.h"
#include "metapick/metapick.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_props p;
	int complete;

	err_set_quiet(1);
	if (mp_props_parse((const char *)data, size, &p) == 0)
		mp_props_free(&p);
	mp_sr_image_check(data, size, size >= 4 ? data + size - 4 : data, size, &complete);
	err_reset();
	return 0;
}
