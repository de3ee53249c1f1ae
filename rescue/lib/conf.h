/* conf.h: read and edit "key = value" configuration files line by line so
 * that everything not edited is written back byte for byte: comments, blank
 * lines, order, per-line LF or CRLF endings, a missing final newline.
 *
 * Formats (docs/recipes/facts.md 1.5, 2.2): MooseFS mfsmaster.cfg
 * ("KEY = VALUE", "# KEY = default" comments), StarRocks fe.conf ("key = value"
 * and "key=value"), LeoFS leo_manager.conf ("a.b.c = value").
 *
 * A line is one of:
 *   blank     only spaces and tabs
 *   comment   first non-blank byte '#'; a comment whose text (after the '#'s
 *             and blanks) is "KEY = ..." with KEY of [A-Za-z0-9_.-] is a
 *             "default" for KEY (mfsmaster.cfg's commented defaults)
 *   entry     KEY [blanks] = [blanks] VALUE [blanks]; KEY is every byte up to
 *             the first blank or '='; VALUE is the rest without its trailing
 *             blanks (no quoting, no inline comments: kept as they are)
 *   other     anything else (kept, never matched)
 * Refused (RC_DATA, "FILE:LINE: ..."): NUL bytes, control characters other
 * than tab, form feed and vertical tab (binary files), a CR not followed by
 * LF, lines longer than CONF_MAX_LINE bytes.  The parser never exits and
 * frees what it allocates (fuzzed by tests/fuzz/conf).
 *
 * Profile syntax (conf_parse_profile: the image profiles in config/, which
 * initramfs/build-rootfs reads through confset --profile --dump), the same
 * lines with three differences:
 *   - '#' anywhere starts a comment (to the end of the line); a line that is
 *     blank but for a comment is a comment, never a "default";
 *   - a line whose VALUE (without the comment and trailing blanks) ends in
 *     '\' goes on in the next line, which is then a CONF_CONT line (whatever
 *     it holds); the '\' is not part of the value;
 *   - every other line must be an entry (else "not KEY = VALUE"), and a key
 *     set twice is refused ("key 'K' set again (first at line N)").
 * The lines, their kinds aside, are the same: rendering gives back the file.
 * The edits below are for the plain syntax only.
 */
#ifndef RESCUE_CONF_H
#define RESCUE_CONF_H

#include <stddef.h>
#include <stdio.h>

#define CONF_MAX_LINE 65536          /* bytes per line, without the ending */
#define CONF_MAX_FILE (64UL << 20)   /* bytes per file */
#define CONF_MAX_KEY 256             /* bytes of a key given on the command line */
#define CONF_MAX_VALUE (CONF_MAX_LINE / 2)  /* bytes of a value given there */
#define CONF_NONE ((size_t)-1)

enum conf_kind { CONF_BLANK, CONF_COMMENT, CONF_DEFAULT, CONF_ENTRY, CONF_OTHER,
		 CONF_CONT /* profile syntax: the rest of the line before */ };

struct conf_line {
	const char *text;  /* the line's bytes, including its ending */
	size_t len;        /* bytes in text */
	size_t eol;        /* length of the ending: 0, 1 (LF) or 2 (CRLF) */
	int kind;          /* enum conf_kind */
	size_t key, keylen;  /* offset/length of KEY in text (ENTRY, DEFAULT) */
	size_t val, vallen;  /* offset/length of VALUE (ENTRY, DEFAULT) */
	size_t orig;       /* index of the unchanged original line, or CONF_NONE */
	int more;          /* profile syntax: the value goes on in the next line */
	char *own;         /* text allocated by an edit (freed by conf_free) */
};

struct conf {
	struct conf_line *line;
	size_t n, cap;
};

/* Split data (which must outlive c) into lines.  Returns RC_OK, or RC_DATA
 * after warn_at(name, line) (c is then empty). */
int conf_parse(struct conf *c, const char *name, const char *data, size_t len);
/* The same in the profile syntax (above). */
int conf_parse_profile(struct conf *c, const char *name, const char *data, size_t len);
void conf_free(struct conf *c);

/* The value of entry i (and of the CONF_CONT lines after it) as its words,
 * separated by one space, without leading or trailing blanks; the caller
 * frees it. */
char *conf_words(const struct conf *c, size_t i);

/* 1 if s can be a key on the command line: non-empty, no blank, '=', '#'
 * first, control byte; at most CONF_MAX_KEY bytes. */
int conf_key_ok(const char *s);
/* 1 if s can be a value: no control byte but tab, no leading or trailing
 * blank; at most CONF_MAX_VALUE bytes. */
int conf_value_ok(const char *s);

/* Index of the next line at or after from of the given kind whose key is
 * key, or CONF_NONE. */
size_t conf_find(const struct conf *c, const char *key, int kind, size_t from);

/* Give entry line i the value v, keeping everything around the value. */
void conf_set_value(struct conf *c, size_t i, const char *v);
/* Insert "KEY<sep>VALUE" after line `after` (CONF_NONE: at the end), with
 * the separator style and line ending of the neighbouring lines; a missing
 * final newline stays missing.  Returns the new line's index. */
size_t conf_insert(struct conf *c, size_t after, const char *key, const char *v);
/* Remove line i; a missing final newline stays missing. */
void conf_delete(struct conf *c, size_t i);

/* Bytes of the whole file; conf_render writes them to out (conf_size bytes). */
size_t conf_size(const struct conf *c);
void conf_render(const struct conf *c, char *out);

/* Print the unified diff (3 lines of context) from old to new, which must
 * come from old by the edits above, naming both sides name. */
void conf_diff(FILE *out, const char *name, const struct conf *old,
	       const struct conf *new);

#endif
