/* fuzz.c: libFuzzer harness for the MooseFS metadata loader (meta_load.c)
 * and, on success, the store (meta_store.c) into /dev/null; a 3.0.112+
 * file is then also upgraded to 4.x (upgrade.c) and stored again. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "lib/err.h"
#include "moosefs/meta.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mfs_meta m;
	static int devnull = -1;

	err_set_quiet(1);
	if (devnull < 0)
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (mfs_load_mem(&m, "fuzz", data, size, size & 1 ? MFS_LOAD_IGNORE : 0) == RC_OK) {
		mfs_store_fd(&m, devnull, "/dev/null", 0);
		if (m.family == 3 && !m.oldsecs && !m.empty) {
			mfs_upgrade4(&m);
			mfs_store_fd(&m, devnull, "/dev/null", 0);
		}
		mfs_free(&m);
	}
	return 0;
}
