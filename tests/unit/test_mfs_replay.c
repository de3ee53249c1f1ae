/* test_mfs_replay.c: changelog parsing and replay checks. */
#include <stdlib.h>
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
	uint64_t id = mfs_cl_parse_id(line, strlen(line), &rest);
	if (!id)
		return -1;
	return mfs_replay(m, rest, strlen(rest), msg, 256);
}

static void
test_parse_id(void)
{
	const char *rest;
	CHECK(mfs_cl_parse_id("12: 1|IDLE()", 12, &rest) == 12);
	CHECK_STR(rest, "1|IDLE()");
	CHECK(mfs_cl_parse_id("x: 1|IDLE()", 11, &rest) == 0);
	CHECK(mfs_cl_parse_id("12 1|IDLE()", 11, &rest) == 0);
	/* every length, read 8 digits at a time where it can: the same as digit by digit */
	CHECK(mfs_cl_parse_id("1234567890123456789: 1|IDLE()", 29, &rest) == 1234567890123456789ull);
	CHECK(mfs_cl_parse_id("18446744073709551609: 1|IDLE()", 30, &rest) == 18446744073709551609ull);
	CHECK(mfs_cl_parse_id("18446744073709551610: 1|IDLE()", 30, &rest) == 0);   /* too big */
	CHECK(mfs_cl_parse_id("123456789012345678901: 1|IDLE()", 31, &rest) == 0);
	CHECK(mfs_cl_parse_id("12345678", 8, &rest) == 0);                   /* no ':' */
	CHECK(mfs_cl_parse_id("12345678:", 9, &rest) == 12345678 && *rest == 0);
	for (int n = 1; n <= 19; n++) {
		char t[40];
		uint64_t want = 0;

		for (int i = 0; i < n; i++) {
			t[i] = (char)('1' + (i * 7) % 9);
			want = want * 10 + (uint64_t)(t[i] - '0');
		}
		memcpy(t + n, ": 5|IDLE()", 11);
		CHECK(mfs_cl_parse_id(t, strlen(t), &rest) == want);
		CHECK_STR(rest, "5|IDLE()");
		CHECK(mfs_cl_head_valid(t, strlen(t)));
		CHECK(mfs_cl_parse_id(t, (size_t)n, &rest) == 0);                /* cut before the ':' */
	}
}

static void
test_create_escape_and_checks(void)
{
	struct mfs_meta m;
	char msg[256];
	mfs_init_new(&m, 1);
	CHECK(play(&m, "1: 5|CREATE(1,a%2Cb%25,1,420,18,0,0,0):2", msg) == MFS_ST_OK);
	CHECK(mfs_edge_find(&m, m.root, "a,b%", 4) != 0);
	CHECK(m.version == 2);
	/* lowercase escapes are a parse error, like the master */
	CHECK(play(&m, "2: 5|CREATE(1,x%2c,1,420,18,0,0,0):3", msg) == MFS_ST_PARSE);
	/* result mismatch names both values */
	CHECK(play(&m, "2: 5|CREATE(1,y,1,420,18,0,0,0):9", msg) == MFS_ST_MISMATCH);
	CHECK_STR(msg, "CREATE: inode: logged 9, replay gives 3");
	CHECK(play(&m, "3: 5|UNLINK(1,nothere):3", msg) == MFS_ST_ENOENT);
	CHECK(play(&m, "3: 5|FROB(1)", msg) == MFS_ST_PARSE);
	mfs_free(&m);
}

static void
test_write_cow(void)
{
	struct mfs_meta m;
	char msg[256];
	mfs_init_new(&m, 1);
	CHECK(play(&m, "1: 5|CREATE(1,f,1,420,18,0,0,0):2", msg) == MFS_ST_OK);
	CHECK(play(&m, "2: 5|WRITE(2,0,1):1", msg) == MFS_ST_OK);
	CHECK(play(&m, "3: 5|CREATE(1,g,1,420,18,0,0,0):3", msg) == MFS_ST_OK);
	CHECK(play(&m, "4: 5|APPEND(3,2)", msg) == MFS_ST_OK);   /* length 0: nothing */
	CHECK(play(&m, "5: 5|LENGTH(2,100)", msg) == MFS_ST_OK);
	CHECK(play(&m, "6: 5|APPEND(3,2)", msg) == MFS_ST_OK);
	CHECK(mfs_chunk_get(&m, 1)->fcount == 2);
	/* shared chunk: the write copies it to chunk 2 */
	CHECK(play(&m, "7: 5|WRITE(2,0,1):2", msg) == MFS_ST_OK);
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
	CHECK(play(&m, "1: 5|CREATE(1,d,2,493,18,0,0,0):2", msg) == MFS_ST_OK);
	CHECK(play(&m, "2: 5|CREATE(2,f,1,420,18,0,0,0):3", msg) == MFS_ST_OK);
	CHECK(play(&m, "3: 5|UNLINK(2,f):3", msg) == MFS_ST_OK);
	struct mfs_node *n = mfs_node_get(&m, 3);
	CHECK(n && n->type == MFS_T_TRASH);
	CHECK(n && n->parents && m.edges.v[n->parents].nleng == 3 && memcmp(m.edges.v[n->parents].name, "d/f", 3) == 0);
	CHECK(play(&m, "4: 5|UNDEL(3)", msg) == MFS_ST_OK);
	CHECK(mfs_node_get(&m, 3)->type == MFS_T_FILE);
	mfs_free(&m);
}

/* The parse errors name the same literal and column whatever reads them
 * (these messages were the hand-written parser's; mfs_rp_args keeps them). */
static void
test_parse_error_text(void)
{
	static const struct {
		const char *line, *msg;
	} cases[] = {
		{ "1: 5|CREATE(1,a,1,420,18,0,0,0", "cannot parse (')' expected) at column 28" },
		{ "1: 5|CREATE(1,a,256,420,18,0,0,0):2", "value 256 too big (at most 255) at column 16" },
		{ "1: 5|ATTR(1,420,0,0,1,2,3,4,5)", "cannot parse (')' expected) at column 25" },
		{ "1: 5|ATTR(1,420,0,0,1,2x)", "cannot parse (')' expected) at column 21" },
		{ "1: 5|LENGTH(1,5,7x)", "cannot parse (')' expected) at column 15" },
		{ "1: 5|APPEND(3,2x)", "cannot parse (',' expected) at column 13" },
		{ "1: 5|APPEND(3,2,1)", "cannot parse (',' expected) at column 15" },
		{ "1: 5|EMPTYTRASH( ):0,0", "cannot parse (')' expected) at column 14" },
		{ "1: 5|EMPTYTRASH(3):0", "cannot parse (',' expected) at column 18" },
		{ "1: 5|SCDUP(a,b):1,70000", "value 70000 too big (at most 65535) at column 20" },
		{ "1: 5|SETXATTR(1,n,v%zz,0)", "cannot parse data at column 18" },
		{ "1: 5|SCSET(x,1,W1,K1,A1,0,0,0x,1,2,3,4):10", "cannot parse (',' expected) at column 27" },
		{ "1: 5|FLOCK(1,2,3,", "missing lock command" },
		/* SNAPSHOT's group forms (the messages of its hand-written parser) */
		{ "1: 1700000000|SNAPSHOT(2,1,snapA,8,0,0,[0,x],18)", "bad group list" },
		{ "1: 1700000000|SNAPSHOT(2,1,snapA,8,0,0,1,%0,18)", "cannot parse data at column 40" },
		{ "1: 1700000000|SNAPSHOT(2,1,snapA,8,0,0,[0],18):0,0,0", "cannot parse (',' expected) at column 50" },
		{ "1: 1700000000|SNAPSHOT(2,1,snapA,8,0,0,[0]18)", "cannot parse (',' expected) at column 40" },
		{ "1: 1700000000|SNAPSHOT(2,1,snapA,8,0,0,1,%00%00%00%00;18)", "cannot parse data at column 55" },
		{ "1: 1700000000|SNAPSHOT(2,1,snapA,8,0,0,0)", "cannot parse (',' expected) at column 38" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mfs_meta m;
		char msg[256];
		mfs_init_new(&m, 1);
		CHECK(play(&m, cases[i].line, msg) == MFS_ST_PARSE);
		CHECK_STR(msg, cases[i].msg);
		CHECK(m.version == 1);
		mfs_free(&m);
	}
}

/* mfs_rp_args on its own: every letter, both kinds of optional group, counts */
static void
args_on(struct mfs_rp *r, char *msg, const char *text)
{
	memset(r, 0, sizeof *r);
	r->line = r->p = text;
	r->msg = msg;
	r->msz = 256;
	msg[0] = 0;
}

static void
test_rp_args(void)
{
	struct mfs_rp r;
	char msg[256], name[256];
	uint16_t nl = 0;
	uint32_t a = 7, b = 7, c = 7, d = 7, len = 0;
	uint64_t big = 0;

	args_on(&r, msg, "(1,18446744073709551615,ff,255,65535,a%2Cb,x%25y):9");
	CHECK(mfs_rp_args(&r, "(u,U,x,b,w,s,d):u", &a, &big, &b, &c, &d, name, &nl, &len, &a) == 8);
	CHECK(a == 9 && big == UINT64_MAX && b == 0xff && c == 255 && d == 65535);
	CHECK(nl == 3 && memcmp(name, "a,b", 3) == 0);
	CHECK(len == 3 && memcmp(r.buf[0], "x%y", 4) == 0);
	CHECK(*r.p == 0);
	free(r.buf[0]);

	/* [..]: read when its first literal is next; values stay otherwise */
	a = b = c = 7;
	args_on(&r, msg, "(1)");
	CHECK(mfs_rp_args(&r, "(u[,u[,u]])", &a, &b, &c) == 1 && a == 1 && b == 7 && c == 7);
	args_on(&r, msg, "(1,2)");
	CHECK(mfs_rp_args(&r, "(u[,u[,u]])", &a, &b, &c) == 2 && b == 2 && c == 7);
	args_on(&r, msg, "(1,2,3)");
	CHECK(mfs_rp_args(&r, "(u[,u[,u]])", &a, &b, &c) == 3 && c == 3);
	args_on(&r, msg, "(1x");
	CHECK(mfs_rp_args(&r, "(u[,u])", &a, &b) == -1);
	CHECK_STR(msg, "cannot parse (')' expected) at column 3");

	/* {..}: read unless the literal after it is next */
	a = b = 7;
	args_on(&r, msg, "():4");
	CHECK(mfs_rp_args(&r, "({u}):u", &a, &b) == 1 && a == 7 && b == 4);
	args_on(&r, msg, "(5):4");
	CHECK(mfs_rp_args(&r, "({u}):u", &a, &b) == 2 && a == 5);
	args_on(&r, msg, "(1x");
	CHECK(mfs_rp_args(&r, "(u{,u})", &a, &b) == -1);
	CHECK_STR(msg, "cannot parse (',' expected) at column 3");

	/* errors: the cursor stops where the message says */
	args_on(&r, msg, "(256)");
	CHECK(mfs_rp_args(&r, "(b)", &a) == -1);
	CHECK_STR(msg, "value 256 too big (at most 255) at column 4");
	args_on(&r, msg, "(a%zz)");
	CHECK(mfs_rp_args(&r, "(s)", name, &nl) == -1);
	CHECK_STR(msg, "cannot parse name at column 4");
	args_on(&r, msg, "W3,K");
	CHECK(mfs_rp_args(&r, "Wb,Kb", &a, &b) == 2 && a == 3 && b == 0);   /* strtoul: no digits is 0 */
}

/* numbers read 8 digits at a time (the line's end known) are strtoull's:
 * every length from 1 to 22 digits, every digit in every place, what follows */
static void
test_rp_numbers(void)
{
	static const char after[] = ",):|x/ \0";
	unsigned seed = 12345;

	for (int len = 1; len <= 22; len++)
		for (int round = 0; round < 60; round++)
			for (size_t a = 0; a < sizeof after - 1; a++) {
				char text[40], msg[256], *e;
				struct mfs_rp r;
				uint64_t v = 0;

				for (int i = 0; i < len; i++) {
					seed = seed * 1103515245u + 12345u;
					text[i] = (char)('0' + (round < 10 ? round : (int)(seed >> 16) % 10));
				}
				text[len] = after[a];
				memcpy(text + len + 1, "12345678", 9);   /* more digits after the stop */
				args_on(&r, msg, text);
				r.end = text + strlen(text);
				CHECK(mfs_rp_args(&r, "U", &v) == 1);
				CHECK(v == strtoull(text, &e, 10));
				CHECK(r.p == e);
			}
}

UNIT_MAIN(test_parse_id, test_create_escape_and_checks, test_write_cow, test_trash_path, test_parse_error_text,
	  test_rp_args, test_rp_numbers)
