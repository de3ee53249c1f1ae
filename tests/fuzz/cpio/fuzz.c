/* fuzz.c: libFuzzer harness for the newc cpio reader (lib/cpio.c): headers,
 * names, padding, trailers, concatenated archives, 070702 checksums. */
#include "lib/cpio.h"
#include "lib/err.h"

#include <stdint.h>
#include <string.h>
#include <sys/types.h>

struct mem {
	const uint8_t *p;
	size_t n, off;
};

static ssize_t
mem_read(void *ctx, void *buf, size_t n)
{
	struct mem *m = ctx;
	size_t left = m->n - m->off;

	/* short reads on purpose: the reader must loop */
	if (n > left)
		n = left;
	if (n > 7 && (m->off & 1))
		n = 7;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = { data, size, 0 };
	struct cpio_reader r;
	struct cpio_entry e;
	char buf[512];
	int k;

	err_set_quiet(1);
	err_reset();
	cpio_reader_init(&r, mem_read, &m, "fuzz");
	while ((k = cpio_next(&r, &e)) > 0) {
		ssize_t n;

		(void)cpio_name_safe(e.name);
		while ((n = cpio_read_data(&r, buf, sizeof buf)) > 0)
			;
		if (n < 0)
			break;
	}
	/* the return convention (err.h): 1, 0 or -1, and -1 only after a message */
	if (k > 1 || k < -1 || (k == -1 && !err_status()))
		__builtin_trap();
	cpio_reader_free(&r);
	return 0;
}
