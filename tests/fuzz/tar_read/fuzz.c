/* fuzz.c: the tar reader (lib/tar_read.c) and the metasnap MANIFEST parser
 * on arbitrary bytes: every entry and all its data are read, in odd-sized
 * pieces; it must end with 0 (the end) or -1 after a message, never crash,
 * hang or leak. */
#include "lib/err.h"
#include "lib/tar_read.h"
#include "metasnap/metasnap.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	const uint8_t *p;
	size_t n, off, step;
};

static ssize_t
from_mem(void *ctx, void *buf, size_t n)
{
	struct mem *m = ctx;

	/* short reads, as a pipe or gzip stream gives them */
	if (n > m->step)
		n = m->step;
	if (n > m->n - m->off)
		n = m->n - m->off;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[4096];
	struct mem m = { data, size, 0, size ? 1 + data[0] * 37u : 1 };
	struct tar_reader r;
	struct ms_list l = { 0 };
	int rc;

	err_set_quiet(1);
	tar_reader_init(&r, from_mem, &m, "input");
	while ((rc = tar_read_next(&r)) > 0) {
		ssize_t k;
		if (!r.h.name || !r.h.linkname)
			__builtin_trap();
		while ((k = tar_read_data(&r, buf, sizeof buf)) > 0)
			;
		if (k < 0)
			break;
	}
	/* the return convention (err.h): 1, 0 or -1, and -1 only after a message */
	if (rc > 1 || rc < -1 || (rc == -1 && !err_status()))
		__builtin_trap();
	tar_reader_free(&r);
	ms_manifest_parse("input", (const char *)data, size, &l);
	ms_list_free(&l);
	err_reset();
	return 0;
}
