/* fuzz.c: libFuzzer harness for the changelog line parser and replay
 * (changelog.c, replay*.c): every line of the input is replayed on a fresh
 * filesystem whatever its id, then the result is stored into /dev/null.
 * Every input is used: inode and chunk ids far beyond the ones in use stay
 * hashed (meta_core.c), so big numbers do not allocate big tables. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "moosefs/changelog.h"
#include "moosefs/meta.h"
#include "moosefs/replay.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mfs_meta m;
	static int devnull = -1;
	char line[4096], msg[512];
	size_t i = 0;

	err_set_quiet(1);
	if (devnull < 0)
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	mfs_init_new(&m, 1700000000);
	while (i < size) {
		size_t e = i, l;
		const char *rest;
		while (e < size && data[e] != '\n')
			e++;
		l = e - i < sizeof line - 1 ? e - i : sizeof line - 1;
		memcpy(line, data + i, l);
		line[l] = 0;
		if (cl_parse_id(line, l, &rest))
			mfs_replay(&m, rest, l - (size_t)(rest - line), msg, sizeof msg);
		i = e + 1;
	}
	mfs_store_fd(&m, devnull, "/dev/null", 0);
	mfs_free(&m);
	return 0;
}
