/* tests/fuzz/fuzzfix.h: for the blksync fuzz harnesses only: rewrite the
 * checksums of a blksync stream in place (header CRC, then each frame's CRC
 * over its header and payload; DATA only when stored raw), so that a fuzzer
 * reaches the checks behind them.  Never used by the tool itself. */
#ifndef RESCUE_TESTS_FUZZ_FUZZFIX_H
#define RESCUE_TESTS_FUZZ_FUZZFIX_H

#include "blksync/fmt.h"

#include <string.h>

static inline void
fuzz_fix_crcs(uint8_t *p, size_t n)
{
	size_t off = BS_HDR_LEN;

	if (n < BS_HDR_LEN)
		return;
	put_le32(p + 124, bs_crc(p, 124));
	while (off + BS_FRAME_LEN <= n) {
		struct bs_frame f;
		size_t pay;

		bs_frame_decode(&f, p + off);
		pay = f.stored;
		if (pay > n - off - BS_FRAME_LEN)
			break;
		if (f.tag != TAG_DATA || f.stored == f.len) {
			f.crc = bs_frame_sum(&f, p + off + BS_FRAME_LEN, pay);
			bs_frame_encode(&f, p + off);
		}
		off += BS_FRAME_LEN + pay;
	}
}

#endif
