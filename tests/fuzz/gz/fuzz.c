/* fuzz.c: the gzip stream reader (lib/gz.c) on arbitrary bytes: it must
 * return data or an error, never crash, hang or leak. */
#include "lib/err.h"
#include "lib/gz.h"
#include "lib/xio.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65536];
	struct gz_reader g;
	int fd = memfd_create("fuzz", 0);

	err_set_quiet(1);
	if (fd < 0)
		return 0;
	if (write_full(fd, data, size) == 0 && lseek(fd, 0, SEEK_SET) == 0 &&
	    gz_reader_init(&g, fd, "input", size && data[0] == 0x1f ? GZ_GZIP : GZ_AUTO) == RC_OK) {
		while (gz_read(&g, out, sizeof out) > 0)
			;
		gz_reader_free(&g);
	}
	close(fd);
	err_reset();
	return 0;
}
