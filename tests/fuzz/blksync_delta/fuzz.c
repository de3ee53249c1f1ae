/* fuzz.c: the blksync DELTA reader and the check pass of `patch`
 * (rescue/blksync/delta.c, apply.c) against a small in-memory target.
 * Input byte 0: odd = recompute checksums first (see fuzzfix.h). */
#include "blksync/bs.h"
#include "../fuzzfix.h"
#include "lib/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int
memfd_with(const uint8_t *p, size_t n)
{
	int fd = memfd_create("f", 0);

	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n) || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bs_dr d;
	struct bs_ap a;
	struct bs_trailer tr;
	uint8_t *buf;
	int fd, tfd = -1;

	if (size < 1)
		return 0;
	err_set_quiet(1);
	err_reset();
	buf = malloc(size);
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 1)
		fuzz_fix_crcs(buf, size - 1);
	fd = memfd_with(buf, size - 1);
	if (bs_dr_open(&d, fd, "delta") == RC_OK && d.hdr.base_size <= (1u << 20) &&
	    d.hdr.size <= (16u << 20)) {
		uint8_t *t = calloc(1, d.hdr.base_size + 1);

		/* a target with some non-zero blocks */
		for (uint64_t i = 0; i < d.hdr.base_size; i += 5000)
			t[i] = (uint8_t)i;
		tfd = memfd_with(t, d.hdr.base_size);
		free(t);
		(void)bs_delta_peek_trailer(fd, &d.hdr, &tr);
		if (bs_ap_check_target(&d.hdr, "delta", "target", d.hdr.base_size, 0) == RC_OK) {
			memset(&a, 0, sizeof a);
			a.fd = tfd;
			a.name = "target";
			a.tsize = d.hdr.base_size;
			a.digests = 1;
			if (bs_ap_run(&a, &d) == RC_OK)
				(void)bs_dr_check_eof(&d);
		}
		close(tfd);
	}
	bs_dr_free(&d);
	close(fd);
	free(buf);
	return 0;
}
