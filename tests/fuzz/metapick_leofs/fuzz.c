/* fuzz.c: metapick's LeoFS parser (Erlang disk_log framing and the Mnesia
 * log_header term in external term format) on arbitrary bytes. */
#include "lib/err.h"
#include "metapick/metapick.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_leo_log l;

	err_set_quiet(1);
	mp_leo_log_parse(data, size, &l);
	err_reset();
	return 0;
}
