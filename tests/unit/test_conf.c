/* test_conf.c: the key = value reader/writer (rescue/lib/conf.c) and its
 * unified diff (rescue/lib/confdiff.c). */
#include "lib/conf.h"
#include "lib/err.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char out[4096];

/* Render c into out (NUL-terminated). */
static const char *
render(const struct conf *c)
{
	size_t n = conf_size(c);

	if (n >= sizeof out)
		return "(too long)";
	conf_render(c, out);
	out[n] = 0;
	return out;
}

/* Parse s, apply one edit, return the rendered result. */
static const char *
set(const char *s, const char *key, const char *val)
{
	struct conf c;
	size_t i, d, after = CONF_NONE;

	if (conf_parse(&c, "t", s, strlen(s)))
		return "(parse error)";
	i = conf_find(&c, key, CONF_ENTRY, 0);
	if (i != CONF_NONE) {
		conf_set_value(&c, i, val);
	} else {
		for (d = conf_find(&c, key, CONF_DEFAULT, 0); d != CONF_NONE;
		     d = conf_find(&c, key, CONF_DEFAULT, d + 1))
			after = d;
		conf_insert(&c, after, key, val);
	}
	render(&c);
	conf_free(&c);
	return out;
}

static const char *
unset(const char *s, const char *key)
{
	struct conf c;
	size_t i;

	if (conf_parse(&c, "t", s, strlen(s)))
		return "(parse error)";
	while ((i = conf_find(&c, key, CONF_ENTRY, 0)) != CONF_NONE)
		conf_delete(&c, i);
	render(&c);
	conf_free(&c);
	return out;
}

static int
parse_fails(const char *s, size_t n)
{
	struct conf c;
	int rc = conf_parse(&c, "t", s, n);

	conf_free(&c);
	return rc == RC_DATA && c.n == 0;
}

static void
test_roundtrip(void)
{
	static const char *const cases[] = {
		"", "\n", "a=b", "a = b\n", "# c\r\nK = V\r\n\r\nx", "  k.x.y  =  v  \t\n",
		"weird line\n=\n#\n##  # K=\n", "\xc3\xa9t\xc3\xa9 = \xe2\x82\xac\n",
		"k = v\r\nk2 = w\n\n\n",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct conf c;

		CHECK(conf_parse(&c, "t", cases[i], strlen(cases[i])) == RC_OK);
		CHECK_STR(render(&c), cases[i]);
		conf_free(&c);
	}
}

static void
test_classify(void)
{
	const char *s = "# MooseFS\n# WORKING_USER = mfs\n\nDATA_PATH=/var/lib/mfs\r\n"
			"  manager.partner = manager_1@127.0.0.1  \nnot an entry\n"
			"#a comment = with spaces\n\t\n";
	struct conf c;

	CHECK(conf_parse(&c, "t", s, strlen(s)) == RC_OK);
	CHECK(c.n == 8);
	CHECK(c.line[0].kind == CONF_COMMENT);
	CHECK(c.line[1].kind == CONF_DEFAULT);
	CHECK(c.line[1].keylen == 12 && !memcmp(c.line[1].text + c.line[1].key, "WORKING_USER", 12));
	CHECK(c.line[1].vallen == 3 && !memcmp(c.line[1].text + c.line[1].val, "mfs", 3));
	CHECK(c.line[2].kind == CONF_BLANK);
	CHECK(c.line[3].kind == CONF_ENTRY && c.line[3].eol == 2);
	CHECK(c.line[3].vallen == 12);
	CHECK(c.line[4].kind == CONF_ENTRY && c.line[4].eol == 1);
	CHECK(c.line[4].vallen == strlen("manager_1@127.0.0.1"));
	CHECK(c.line[5].kind == CONF_OTHER);
	CHECK(c.line[6].kind == CONF_COMMENT);
	CHECK(c.line[7].kind == CONF_BLANK);
	CHECK(conf_find(&c, "DATA_PATH", CONF_ENTRY, 0) == 3);
	CHECK(conf_find(&c, "DATA_PATH", CONF_ENTRY, 4) == CONF_NONE);
	CHECK(conf_find(&c, "WORKING_USER", CONF_ENTRY, 0) == CONF_NONE);
	CHECK(conf_find(&c, "manager.partner", CONF_ENTRY, 0) == 4);
	CHECK(conf_find(&c, "manager", CONF_ENTRY, 0) == CONF_NONE);
	conf_free(&c);
}

static void
test_set_keeps_style(void)
{
	CHECK_STR(set("KEY=old\n", "KEY", "new"), "KEY=new\n");
	CHECK_STR(set("KEY   =  old  \r\n", "KEY", "new"), "KEY   =  new  \r\n");
	CHECK_STR(set("a = 1\nKEY = old", "KEY", "x y"), "a = 1\nKEY = x y");
	CHECK_STR(set("KEY =\n", "KEY", "v"), "KEY =v\n");
	CHECK_STR(set("\tKEY = a\n", "KEY", ""), "\tKEY = \n");
}

static void
test_insert(void)
{
	/* after the commented default, with its spacing */
	CHECK_STR(set("# K = 1\n# L = 2\n", "K", "5"), "# K = 1\nK = 5\n# L = 2\n");
	CHECK_STR(set("#K=1\r\nz = 0\r\n", "K", "5"), "#K=1\r\nK=5\r\nz = 0\r\n");
	/* the last of several defaults */
	CHECK_STR(set("# K = 1\nx\n## K = 2\ny\n", "K", "3"), "# K = 1\nx\n## K = 2\nK = 3\ny\n");
	/* at the end, in the style of the first entry */
	CHECK_STR(set("a=1\nb = 2\n", "K", "v"), "a=1\nb = 2\nK=v\n");
	CHECK_STR(set("# only comments\n", "K", "v"), "# only comments\nK = v\n");
	CHECK_STR(set("", "K", "v"), "K = v\n");
	/* a missing final newline stays missing; CRLF is followed */
	CHECK_STR(set("a = 1\r\nb = 2", "K", "v"), "a = 1\r\nb = 2\r\nK = v");
	CHECK_STR(set("# K = 1", "K", "v"), "# K = 1\nK = v");
	/* a default with an empty value: '=' and one blank */
	CHECK_STR(set("# K =   \n", "K", "v"), "# K =   \nK = v\n");
	/* found by tests/fuzz/conf: a model "t=" at the very end */
	CHECK_STR(set("t=", "K", "v"), "t=\nK=v");
}

static void
test_delete(void)
{
	CHECK_STR(unset("a = 1\nK = 2\nb = 3\n", "K"), "a = 1\nb = 3\n");
	CHECK_STR(unset("a = 1\r\nK = 2", "K"), "a = 1");
	CHECK_STR(unset("K = 2", "K"), "");
	CHECK_STR(unset("K=1\nx\nK=2\n", "K"), "x\n");
	CHECK_STR(unset("# K = 1\n", "K"), "# K = 1\n");
}

static void
test_refused(void)
{
	char *big = malloc(CONF_MAX_LINE + 3);

	CHECK(parse_fails("a = b\0c\n", 8));
	CHECK(parse_fails("a = \x01\n", 6));
	CHECK(parse_fails("a = \x7f\n", 6));
	CHECK(parse_fails("a = b\rc\n", 8));
	CHECK(parse_fails("a = b\r", 6));
	memset(big, 'x', CONF_MAX_LINE + 1);
	big[CONF_MAX_LINE + 1] = '\n';
	CHECK(parse_fails(big, CONF_MAX_LINE + 2));
	/* exactly the limit is fine, with LF or CRLF */
	{
		struct conf c;

		big[CONF_MAX_LINE] = '\r';
		CHECK(conf_parse(&c, "t", big + 1, CONF_MAX_LINE + 1) == RC_OK);
		conf_free(&c);
		CHECK(conf_parse(&c, "t", big, CONF_MAX_LINE) == RC_OK);
		conf_free(&c);
	}
	free(big);
	/* tab, form feed and vertical tab are text */
	CHECK(!parse_fails("a =\tb\f\v\n", 8));
}

static void
test_key_value_ok(void)
{
	CHECK(conf_key_ok("WORKING_USER"));
	CHECK(conf_key_ok("manager.partner"));
	CHECK(conf_key_ok("log4j:x/y"));
	CHECK(!conf_key_ok(""));
	CHECK(!conf_key_ok("a b"));
	CHECK(!conf_key_ok("a=b"));
	CHECK(!conf_key_ok("#a"));
	CHECK(!conf_key_ok("-a"));
	CHECK(!conf_key_ok("a\tb"));
	CHECK(conf_value_ok(""));
	CHECK(conf_value_ok("a b\tc = d # e"));
	CHECK(conf_value_ok("-Xmx8g"));
	CHECK(!conf_value_ok(" a"));
	CHECK(!conf_value_ok("a\t"));
	CHECK(!conf_value_ok("a\nb"));
	CHECK(!conf_value_ok("a\rb"));
}

static void
test_diff(void)
{
	const char *s = "1\n2\n3\n4\nK = old\n6\n7\n8\n9\n10\n11\n12\n13\nL = x";
	struct conf a, b;
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	conf_parse(&a, "t", s, strlen(s));
	conf_parse(&b, "t", s, strlen(s));
	conf_set_value(&b, conf_find(&b, "K", CONF_ENTRY, 0), "new");
	conf_delete(&b, conf_find(&b, "L", CONF_ENTRY, 0));
	conf_insert(&b, 0, "M", "m");
	conf_diff(f, "f.cfg", &a, &b);
	fclose(f);
	/* the same bytes as GNU diff -u (checked by hand and in confset.bats) */
	CHECK_STR(buf, "--- f.cfg\n+++ f.cfg\n"
		  "@@ -1,8 +1,9 @@\n 1\n+M = m\n 2\n 3\n 4\n-K = old\n+K = new\n 6\n 7\n 8\n"
		  "@@ -10,5 +11,4 @@\n 10\n 11\n 12\n-13\n-L = x\n\\ No newline at end of file\n+13\n"
		  "\\ No newline at end of file\n");
	free(buf);
	conf_free(&a);
	conf_free(&b);
}

/* The words of key's entry in profile s, or "(parse error)" / "(absent)". */
static const char *
profile_get(const char *s, const char *key)
{
	struct conf c;
	size_t i;
	char *w;

	if (conf_parse_profile(&c, "t", s, strlen(s)))
		return "(parse error)";
	i = conf_find(&c, key, CONF_ENTRY, 0);
	if (i == CONF_NONE) {
		conf_free(&c);
		return "(absent)";
	}
	w = conf_words(&c, i);
	snprintf(out, sizeof out, "%s", w);
	free(w);
	conf_free(&c);
	return out;
}

static void
test_profile(void)
{
	const char *s = "# p\na = x  y # c\nb = 1 \\  # more\n\t2\t3 \\\n# stops\nc=\r\nd = a\\b\n";
	struct conf c;

	CHECK(conf_parse_profile(&c, "t", s, strlen(s)) == RC_OK);
	CHECK_STR(render(&c), s);
	CHECK(c.n == 7);
	CHECK(c.line[0].kind == CONF_COMMENT);
	CHECK(c.line[1].kind == CONF_ENTRY && !c.line[1].more);
	CHECK(c.line[2].kind == CONF_ENTRY && c.line[2].more);
	CHECK(c.line[3].kind == CONF_CONT && c.line[3].more);
	CHECK(c.line[4].kind == CONF_CONT && !c.line[4].more);
	CHECK(c.line[5].kind == CONF_ENTRY && c.line[5].eol == 2);
	conf_free(&c);
	CHECK_STR(profile_get(s, "a"), "x y");
	CHECK_STR(profile_get(s, "b"), "1 2 3");
	CHECK_STR(profile_get(s, "c"), "");
	CHECK_STR(profile_get(s, "d"), "a\\b");
	CHECK_STR(profile_get(s, "e"), "(absent)");
	/* a continued last line, a '=' in a continuation */
	CHECK_STR(profile_get("k = v \\\n w=x \\", "k"), "v w=x");
	/* what the plain syntax keeps, the profile syntax refuses */
	CHECK_STR(profile_get("k = v\nnot an entry\n", "k"), "(parse error)");
	CHECK_STR(profile_get("= v\n", "k"), "(parse error)");
	CHECK_STR(profile_get("k = 1\nj = 2 \\\n k = 3\nk = 4\n", "k"), "(parse error)");
	/* a key in a continuation is part of the value */
	CHECK_STR(profile_get("k = 1\nj = 2 \\\n k = 3\n", "k"), "1");
	CHECK_STR(profile_get("k = 1\nj = 2 \\\n k = 3\n", "j"), "2 k = 3");
	/* the plain syntax reads the same lines as before */
	CHECK(conf_parse(&c, "t", s, strlen(s)) == RC_OK);
	CHECK(c.line[1].kind == CONF_ENTRY && c.line[1].vallen == strlen("x  y # c"));
	CHECK(c.line[3].kind == CONF_OTHER && c.line[4].kind == CONF_COMMENT);
	for (size_t i = 0; i < c.n; i++)
		CHECK(!c.line[i].more);
	conf_free(&c);
}

static void
quiet(void)
{
	err_set_quiet(1);
}

UNIT_MAIN_FIXTURE(quiet, unit_nothing, test_roundtrip, test_classify, test_set_keeps_style, test_insert,
	  test_delete, test_refused, test_key_value_ok, test_diff, test_profile)
