/* fuzz.c: libFuzzer harness for MooseFS 1.6 (v16_*.c):
 * - an input that starts with "MFSM 1.5" is loaded (v16_load_mem) and, if
 *   it loads, stored into /dev/null;
 * - any other input is read as changelog lines, each replayed (whatever
 *   its id, errors ignored) on 1.6's new filesystem (a root directory, the
 *   95-byte file a 1.6 master writes at its first start), then stored. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "moosefs/changelog.h"
#include "moosefs/v16.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* header (maxnodeid 1, version 0, nextsessionid 1), the root, end of
 * nodes, end of edges, no free inodes, nextchunkid 1, end of chunks */
static const uint8_t newfs[95] = {
	'M', 'F', 'S', 'M', ' ', '1', '.', '5', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	'd', 0, 0, 0, 1, 1, 0x01, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0,
	0x6B, 0x14, 0x51, 0x5C, 0x6B, 0x14, 0x51, 0x5C, 0x6B, 0x14, 0x51, 0x5C, 0, 1, 0x51, 0x80,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static void
replay_lines(int devnull, const uint8_t *data, size_t size)
{
	struct v16_meta m;
	char line[4096], msg[512];
	size_t i = 0;

	if (v16_load_mem(&m, "newfs", newfs, sizeof newfs, 0) != RC_OK)
		__builtin_trap();
	while (i < size) {
		size_t e = i, l;
		const char *rest = NULL;
		while (e < size && data[e] != '\n')
			e++;
		l = e - i;
		if (l > sizeof line - 1)
			l = sizeof line - 1;
		memcpy(line, data + i, l);
		line[l] = 0;
		if (mfs_cl_parse_id(line, l, &rest) || (l > 2 && line[0] == '0' && line[1] == ':' && (rest = line + 2)))
			v16_replay(&m, rest, l - (size_t)(rest - line), msg, sizeof msg);
		i = e + 1;
	}
	v16_store_fd(&m, devnull, "/dev/null", 0);
	v16_free(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int devnull = -1;
	struct v16_meta m;

	err_set_quiet(1);
	if (devnull < 0)
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (size >= 8 && memcmp(data, "MFSM 1.5", 8) == 0) {
		if (v16_load_mem(&m, "fuzz", data, size, 0) == RC_OK)
			v16_store_fd(&m, devnull, "/dev/null", 0);
		v16_free(&m);
		return 0;
	}
	replay_lines(devnull, data, size);
	return 0;
}
