/* test_mfs_core.c: MooseFS metadata containers: hash order, tables,
 * inode allocation, radix sort, load/store round trip of a fresh fs. */
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"
#include "lib/err.h"
#include "moosefs/meta.h"

static void
test_hash32_order(void)
{
	/* the real master stores inodes 1..6 of a small fs as 6,5,4,2,1 (and 3)
	 * because of hash32(inode) & (2^24-1) bucket order (format note 1.6) */
	uint32_t b[7];
	for (uint32_t i = 1; i <= 6; i++)
		b[i] = mfs_hash32(i) & 0xFFFFFF;
	CHECK(b[6] < b[5]);
	CHECK(b[5] < b[4]);
	CHECK(b[4] < b[2]);
	CHECK(b[2] < b[1]);
}

static void
test_sort(void)
{
	struct mfs_sortent a[1000];
	for (uint32_t i = 0; i < 1000; i++)
		a[i] = (struct mfs_sortent){ ((uint64_t)(i * 7919u % 1000) << 40) | (i * 31u), i };
	mfs_sort(a, 1000);
	int ok = 1;
	for (int i = 1; i < 1000; i++)
		ok &= a[i - 1].key <= a[i].key;
	CHECK(ok);
}

static void
test_nodes_and_inodes(void)
{
	struct mfs_meta m;
	mfs_init_new(&m, 1700000000);
	CHECK(mfs_node_get(&m, 1) != NULL);
	CHECK(mfs_inode_alloc(&m) == 2);
	CHECK(mfs_inode_alloc(&m) == 3);
	mfs_used_clear(&m, 2);
	CHECK(mfs_inode_alloc(&m) == 2);
	CHECK(m.maxnodeid == 3);
	/* far inode numbers go to the hash table and are found again */
	uint32_t i = mfs_node_add(&m, 4000000000u, MFS_T_FILE);
	CHECK(mfs_node_idx(&m, 4000000000u) == i);
	mfs_node_del(&m, i);
	CHECK(mfs_node_idx(&m, 4000000000u) == 0);
	for (uint32_t k = 10; k < 5000; k++)
		mfs_node_add(&m, k, MFS_T_FIFO);
	int ok = 1;
	for (uint32_t k = 10; k < 5000; k++)
		ok &= mfs_node_get(&m, k) && mfs_node_get(&m, k)->inode == k;
	CHECK(ok);
	mfs_free(&m);
}

static void
test_edges(void)
{
	struct mfs_meta m;
	mfs_init_new(&m, 1);
	uint32_t c = mfs_node_add(&m, 2, MFS_T_FILE);
	uint32_t e1 = mfs_edge_add(&m, m.root, c, "a", 1, 5, 1);
	uint32_t e2 = mfs_edge_add(&m, m.root, c, "b", 1, 4, 1);
	CHECK(mfs_edge_find(&m, m.root, "a", 1) == e1);
	CHECK(mfs_edge_find(&m, m.root, "b", 1) == e2);
	CHECK(m.nodes.v[m.root].u.d.head == e2);   /* new names go to the head */
	CHECK(m.nodes.v[c].nlink == 2);
	mfs_edge_del(&m, e1);
	CHECK(mfs_edge_find(&m, m.root, "a", 1) == 0);
	CHECK(m.nodes.v[c].nlink == 1);
	mfs_free(&m);
}

static void
test_roundtrip(void)
{
	struct mfs_meta m, m2;
	char path[] = "/tmp/test_mfs_core.XXXXXX";
	int fd = mkstemp(path);
	uint8_t *buf;
	off_t len;

	CHECK(fd >= 0);
	mfs_init_new(&m, 1700000000);
	m.version = 7;
	CHECK(mfs_store_fd(&m, fd, path, 0) == RC_OK);
	len = lseek(fd, 0, SEEK_END);
	buf = malloc((size_t)len);
	CHECK(pread(fd, buf, (size_t)len, 0) == len);
	/* 24 header + 13 sections + end marker; SCLA holds the 9 default classes */
	CHECK(len > 2270 + 24 + 16);
	CHECK(mfs_load_mem(&m2, "mem", buf, (size_t)len, 0) == RC_OK);
	CHECK(m2.version == 7);
	CHECK(mfs_node_get(&m2, 1) && mfs_node_get(&m2, 1)->mode == 0777);
	mfs_free(&m2);
	/* one byte short: no end marker */
	err_set_quiet(1);
	CHECK(mfs_load_mem(&m2, "mem", buf, (size_t)len - 1, 0) == RC_DATA);
	err_set_quiet(0);
	free(buf);
	mfs_free(&m);
	close(fd);
	unlink(path);
}

UNIT_MAIN(test_hash32_order, test_sort, test_nodes_and_inodes, test_edges, test_roundtrip)
