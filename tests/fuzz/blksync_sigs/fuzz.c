/* fuzz.c: the blksync SIGS reader (rescue/blksync/sig.c).  Input byte 0
 * picks a mode: odd = recompute the header and frame checksums first, so the
 * fuzzer gets past them and into the field checks; even = as given. */
#include "blksync/bs.h"
#include "../fuzzfix.h"
#include "lib/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bs_sig_rd s;
	const uint8_t *h;
	uint8_t *buf;
	int fd, rc;

	if (size < 1)
		return 0;
	err_set_quiet(1);
	err_reset();
	buf = malloc(size);
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 1)
		fuzz_fix_crcs(buf, size - 1);
	fd = memfd_create("sigs", 0);
	if (fd < 0 || write(fd, buf, size - 1) != (ssize_t)(size - 1) || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	rc = bs_sig_rd_open(&s, fd, "sigs");
	if (rc == RC_OK) {
		uint8_t id[BS_DIGEST_LEN];

		(void)bs_sig_peek_id(fd, &s.hdr, id);
		if (s.hdr.group) {
			/* a serve stream: group hashes, block hashes, SEND */
			struct bs_frame f;
			const uint8_t *p;

			for (int i = 0; i < 64 && rc == RC_OK; i++)
				rc = bs_sig_rd_pull(&s, &f, &p);
		} else {
			/* at most a bounded number of hashes, then the trailer */
			for (int i = 0; i < 4096 && s.next < s.nblocks && rc == RC_OK; i++)
				rc = bs_sig_rd_next(&s, &h);
			if (rc == RC_OK)
				(void)bs_sig_rd_finish(&s, 1);
		}
	}
	bs_sig_rd_free(&s);
	close(fd);
	free(buf);
	return 0;
}
