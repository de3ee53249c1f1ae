/* fuzz.c: the key = value parser and writer (rescue/lib/conf.c, confdiff.c).
 * Parse then render must give back the input bytes exactly; an edit of the
 * parsed file must render into something that parses again with the edited
 * key at the new value, and its diff must not crash.  The profile syntax
 * (conf_parse_profile) reads the same bytes: it renders them back too, and
 * the words of every entry fit in the file. */
#include "lib/conf.h"
#include "lib/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
edit_and_check(const char *data, size_t len, int op)
{
	static const char *const keys[] = { "K", "WORKING_USER", "a.b.c", "x" };
	const char *key = keys[op & 3];
	struct conf old, c, again;
	size_t i, n;
	char *buf, *diff = NULL;
	FILE *f;

	if (conf_parse(&old, "fuzz", data, len) || conf_parse(&c, "fuzz", data, len))
		abort();
	i = conf_find(&c, key, CONF_ENTRY, 0);
	if (op & 4) {
		while (i != CONF_NONE) {
			conf_delete(&c, i);
			i = conf_find(&c, key, CONF_ENTRY, i);
		}
	} else if (i != CONF_NONE) {
		conf_set_value(&c, i, "new value");
	} else {
		conf_insert(&c, conf_find(&c, key, CONF_DEFAULT, 0), key, "v");
	}
	n = conf_size(&c);
	buf = malloc(n + 1);
	conf_render(&c, buf);
	if (conf_parse(&again, "fuzz", buf, n))
		abort();
	i = conf_find(&again, key, CONF_ENTRY, 0);
	if (op & 4 ? i != CONF_NONE : i == CONF_NONE)
		abort();
	f = open_memstream(&diff, &n);
	conf_diff(f, "fuzz", &old, &c);
	fclose(f);
	free(diff);
	conf_free(&again);
	free(buf);
	conf_free(&c);
	conf_free(&old);
}

static void
profile_check(const char *data, size_t len)
{
	struct conf c;

	if (conf_parse_profile(&c, "fuzz", data, len))
		return;
	if (conf_size(&c) != len)
		abort();
	for (size_t i = 0; i < c.n; i++) {
		char *w;

		if (c.line[i].kind != CONF_ENTRY)
			continue;
		w = conf_words(&c, i);
		if (strlen(w) > len)
			abort();
		free(w);
	}
	conf_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct conf c;
	char *out;

	err_set_quiet(1);
	if (len < 1)
		return 0;
	/* the first byte chooses the edit; the rest is the file */
	profile_check((const char *)data + 1, len - 1);
	if (conf_parse(&c, "fuzz", (const char *)data + 1, len - 1))
		return 0;
	out = malloc(len);
	if (conf_size(&c) != len - 1)
		abort();
	conf_render(&c, out);
	if (memcmp(out, data + 1, len - 1))
		abort();
	free(out);
	conf_free(&c);
	edit_and_check((const char *)data + 1, len - 1, data[0]);
	return 0;
}
