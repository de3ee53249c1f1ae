/* v16_dump.c: print an "MFSM 1.5" file as MooseFS 1.6.27's mfsmetadump
 * does (no NODE|/EDGE| prefixes, 1.6's field widths).  A damaged file
 * ends with a one-line error naming the offset (exit 3), where 1.6.27
 * prints "error reading metadata (...)" or runs on past the end. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/xio.h"
#include "moosefs/rd.h"
#include "moosefs/v16.h"

#define RULE "# -------------------------------------------------------------------\n"

static int
need(struct mfs_rd *r, size_t n, const char *what)
{
	return mfs_rd_need(r, n) ? mfs_rd_fail(r, what) : 0;
}

/* 1.6's print_name: bytes below 32 or above 127 as '.' */
static int
print_name(struct mfs_rd *r, uint32_t n, const char *what)
{
	while (n) {
		uint32_t k = n;
		if (k > 4096)
			k = 4096;
		if (need(r, k, what))
			return RC_DATA;
		for (uint32_t i = 0; i < k; i++) {
			uint8_t c = r->p[i];
			putchar(c < 32 || c > 127 ? '.' : c);
		}
		r->p += k;
		n -= k;
	}
	return 0;
}

static int
dump_file_data(struct mfs_rd *r)
{
	uint64_t len = mfs_rd_u64(r);
	uint32_t ch = mfs_rd_u32(r);
	uint16_t ns = mfs_rd_u16(r);

	printf("|l:%20llu|c:(", (unsigned long long)len);
	for (uint32_t i = 0; i < ch; i++) {
		uint64_t c;
		if (need(r, 8, "file's chunk list"))
			return RC_DATA;
		c = mfs_rd_u64(r);
		if (c)
			printf("%016llX", (unsigned long long)c);
		else
			putchar('N');
		if (i + 1 < ch)
			putchar(',');
	}
	printf(")|r:(");
	for (uint32_t i = 0; i < ns; i++) {
		if (need(r, 4, "file's session ids"))
			return RC_DATA;
		printf("%u%s", mfs_rd_u32(r), i + 1 < ns ? "," : "");
	}
	printf(")\n");
	return 0;
}

static int
dump_node(struct mfs_rd *r, uint8_t type)
{
	static const char types[] = "dDsSqFbBcClLf-tTrR";
	const char *t = memchr(types, type, sizeof types - 1);
	size_t len;
	uint32_t id, uid, gid, at, mt, ct, tt;
	uint16_t mode;
	uint8_t goal;

	if (!t || (t - types) % 2) {
		warn_off(RC_DATA, r->name, mfs_rd_off(r) - 1, "loading node: unrecognized node type: 0x%02X", type);
		return RC_DATA;
	}
	len = strchr("ftr", type) ? 45 : strchr("dsq", type) ? 31 : 35;
	if (need(r, len, "node"))
		return RC_DATA;
	id = mfs_rd_u32(r);
	goal = mfs_rd_u8(r);
	mode = mfs_rd_u16(r);
	uid = mfs_rd_u32(r);
	gid = mfs_rd_u32(r);
	at = mfs_rd_u32(r);
	mt = mfs_rd_u32(r);
	ct = mfs_rd_u32(r);
	tt = mfs_rd_u32(r);
	printf("%c|i:%10u|#:%u|e:%1X|m:%04o|u:%10u|g:%10u|a:%10u,m:%10u,c:%10u|t:%10u", t[1], id, goal,
	       (unsigned)(mode >> 12), (unsigned)(mode & 0xFFF), uid, gid, at, mt, ct, tt);
	if (type == V16_BLOCKDEV || type == V16_CHARDEV) {
		uint32_t rdev = mfs_rd_u32(r);
		printf("|d:%5u,%5u\n", rdev >> 16, rdev & 0xFFFF);
	} else if (type == V16_SYMLINK) {
		uint32_t pl = mfs_rd_u32(r);
		printf("|p:");
		if (print_name(r, pl, "symlink path"))
			return RC_DATA;
		putchar('\n');
	} else if (len == 45) {
		return dump_file_data(r);
	} else {
		putchar('\n');
	}
	return 0;
}

static int
dump_body(struct mfs_rd *r)
{
	uint32_t n;

	printf(RULE);
	for (;;) {
		uint8_t t;
		if (need(r, 1, "node"))
			return RC_DATA;
		if ((t = mfs_rd_u8(r)) == 0)
			break;
		if (dump_node(r, t))
			return RC_DATA;
	}
	printf(RULE);
	for (;;) {
		uint32_t p, c, nl;
		if (need(r, 10, "edge"))
			return RC_DATA;
		p = mfs_rd_u32(r);
		c = mfs_rd_u32(r);
		nl = mfs_rd_u16(r);
		if (!p && !c)
			break;
		if (p)
			printf("E|p:%10u|c:%10u|n:", p, c);
		else
			printf("E|p:      NULL|c:%10u|n:", c);
		if (print_name(r, nl, "edge name"))
			return RC_DATA;
		putchar('\n');
	}
	printf(RULE);
	if (need(r, 4, "free inode list"))
		return RC_DATA;
	n = mfs_rd_u32(r);
	printf("# free nodes: %u\n", n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t id;
		if (need(r, 8, "free inode list"))
			return RC_DATA;
		id = mfs_rd_u32(r);
		printf("I|i:%10u|f:%10u\n", id, mfs_rd_u32(r));
	}
	printf(RULE);
	if (need(r, 8, "chunk header"))
		return RC_DATA;
	printf("# nextchunkid: %016llX\n", (unsigned long long)mfs_rd_u64(r));
	for (;;) {
		uint64_t id;
		uint32_t v, t;
		if (need(r, 16, "chunk record"))
			return RC_DATA;
		id = mfs_rd_u64(r);
		v = mfs_rd_u32(r);
		t = mfs_rd_u32(r);
		if (!id && !v && !t)
			return 0;
		printf("*|i:%016llX|v:%08X|t:%10u\n", (unsigned long long)id, v, t);
	}
}

int
v16_dump(const char *path)
{
	struct mfs_rd r;
	int rc, fd = open_ro(path);

	if (fd < 0) {
		warn_sys(RC_IO, "%s", path);
		return RC_IO;
	}
	rc = mfs_rd_init_fd(&r, path, fd);
	if (rc == RC_OK && need(&r, 24, "header") == 0) {
		const uint8_t *h = r.p;
		printf("# header: ");
		for (int i = 0; i < 8; i++)
			putchar(h[i] >= 32 && h[i] <= 126 ? h[i] : '.');
		printf(" (");
		for (int i = 0; i < 8; i++)
			printf("%02X", h[i]);
		printf(")\n");
		r.p += 8;
		uint32_t maxnode = mfs_rd_u32(&r);
		uint64_t ver = mfs_rd_u64(&r);
		printf("# maxnodeid: %u ; version: %llu ; nextsessionid: %u\n", maxnode, (unsigned long long)ver,
		       mfs_rd_u32(&r));
		rc = dump_body(&r);
	} else if (rc == RC_OK) {
		rc = RC_DATA;
	}
	mfs_rd_close(&r);
	close(fd);
	return rc;
}
