/* test_mfs_replay.c: changelog parsing and replay checks. */
#include <string.h>

#include "unit.h"
#include "lib/err.h"
#include "moosefs/changelog.h"
#include "moosefs/meta.h"
#include "moosefs/replay.h"

static int
play(struct mfs_meta *m, const char *line, char *msg)
{
	const char *rest;
	uint64_t id = cl_parse_id(line, strlen(line), &rest);
	if (!id)
		return -1;
	return mfs_replay(m, rest, strlen(rest), msg, 256);
}

static void
test_parse_id(void)
{
	const char *rest;
	CHECK(cl_parse_id("12: 1|IDLE()", 12, &rest) == 12);
	CHECK_STR(rest, "1|IDLE()");
	CHECK(cl_parse_id("x: 1|IDLE()", 11, &rest) == 0);
	CHECK(cl_parse_id("12 1|IDLE()", 11, &rest) == 0);
}

static void
test_create_escape_and_checks(void)
{
	struct mfs_meta m;
	char msg[256];
	mfs_init_new(&m, 1);
	CHECK(play(&m, "1: 5|CREATE(1,a%2Cb%25,1,420,18,0,0,0):2", msg) == ST_OK);
	CHECK(mfs_edge_find(&m, m.root, "a,b%", 4) != 0);
	CHECK(m.version == 2);
	/* lowercase escapes are a parse error, like the master */
	CHECK(play(&m, "2: 5|CREATE(1,x%2c,1,420,18,0,0,0):3", msg) == ST_PARSE);
	/* result mismatch names both values */
	CHECK(play(&m, "2: 5|CREATE(1,y,1,420,18,0,0,0):9", msg) == ST_MISMATCH);
	CHECK_STR(msg, "CREATE: inode: logged 9, replay gives 3");
	CHECK(play(&m, "3: 5|UNLINK(1,nothere):3", msg) == ST_ENOENT);
	CHECK(play(&m, "3: 5|FROB(1)", msg) == ST_PARSE);
	mfs_free(&m);
}

static void
test_write_cow(void)
{
	struct mfs_meta m;
	char msg[256];
	mfs_init_new(&m, 1);
	CHECK(play(&m, "1: 5|CREATE(1,f,1,420,18,0,0,0):2", msg) == ST_OK);
	CHECK(play(&m, "2: 5|WRITE(2,0,1):1", msg) == ST_OK);
	CHECK(play(&m, "3: 5|CREATE(1,g,1,420,18,0,0,0):3", msg) == ST_OK);
	CHECK(play(&m, "4: 5|APPEND(3,2)", msg) == ST_OK);   /* length 0: nothing */
	CHECK(play(&m, "5: 5|LENGTH(2,100)", msg) == ST_OK);
	CHECK(play(&m, "6: 5|APPEND(3,2)", msg) == ST_OK);
	CHECK(mfs_chunk_get(&m, 1)->fcount == 2);
	/* shared chunk: the write copies it to chunk 2 */
	CHECK(play(&m, "7: 5|WRITE(2,0,1):2", msg) == ST_OK);
	CHECK(mfs_chunk_get(&m, 1)->fcount == 1);
	CHECK(mfs_chunk_get(&m, 2)->fcount == 1);
	CHECK(m.version == 8);
	mfs_free(&m);
}

static void
test_trash_path(void)
{
	struct mfs_meta m;
	char msg[256];
	mfs_init_new(&m, 1);
	CHECK(play(&m, "1: 5|CREATE(1,d,2,493,18,0,0,0):2", msg) == ST_OK);
	CHECK(play(&m, "2: 5|CREATE(2,f,1,420,18,0,0,0):3", msg) == ST_OK);
	CHECK(play(&m, "3: 5|UNLINK(2,f):3", msg) == ST_OK);
	struct mfs_node *n = mfs_node_get(&m, 3);
	CHECK(n && n->type == MFS_T_TRASH);
	CHECK(n && n->parents && m.edges.v[n->parents].nleng == 3 && memcmp(m.edges.v[n->parents].name, "d/f", 3) == 0);
	CHECK(play(&m, "4: 5|UNDEL(3)", msg) == ST_OK);
	CHECK(mfs_node_get(&m, 3)->type == MFS_T_FILE);
	mfs_free(&m);
}

UNIT_MAIN(test_parse_id, test_create_escape_and_checks, test_write_cow, test_trash_path)
