/* changelog.h: read MooseFS changelog files (changelog.N.mfs,
 * changelog_ml.N.mfs, changelog_ml_back.N.mfs) line by line with bounded
 * memory.  Format: "ID: TS|OP(ARGS)[:RESULTS]\n" (docs/moosefs-format.md 2). */
#ifndef RESCUE_MFS_CHANGELOG_H
#define RESCUE_MFS_CHANGELOG_H

#include <stddef.h>
#include <stdint.h>

#define CL_MAXLINE 200000
/* cl_head_valid needs at most this many bytes of a line */
#define CL_HEADMAX 80

/* what a line is (cl_line_kind) */
enum { CL_OK, CL_TORN, CL_BLANK, CL_NUL, CL_GARBAGE };

struct clfile {
	const char *path;
	int fd;
	uint64_t first, last;   /* ids of the first line and of the last valid line (0: none) */
	uint64_t size;
	/* The damaged end: the longest run of invalid lines at the end of the
	 * file (a last line without newline is one), from offset tail on
	 * (tail == size: none); tailkind is its first line's kind. */
	uint64_t tail;
	int tailkind;
	int trust;              /* rank in the -t list (0: not trusted) */
	char *buf;
	size_t cap, pos, end;
	int eof;
	uint64_t lineno, off;   /* current line number and its file offset */
	uint64_t id, prev;      /* current line id (0: no id), previous one */
	int kind;               /* current line's kind */
	const char *text;       /* after "ID: " */
	size_t len;
	const char *raw;        /* whole line, for messages */
	size_t rawlen;
};

/* Open and find the first id and the damaged end.  RC_OK or RC_IO. */
int cl_open(struct clfile *f, const char *path);
/* Next complete line before the damaged end: 1, or 0 at the end, or
 * -RC_DATA for a line too long, -RC_IO. */
int cl_next(struct clfile *f);
void cl_close(struct clfile *f);
/* Parse "ID: " at the start of s; returns the id or 0, sets *rest. */
uint64_t cl_parse_id(const char *s, size_t len, const char **rest);
/* Does a line start like "ID: TS|NAME(" (only its first CL_HEADMAX bytes
 * are looked at)? */
int cl_head_valid(const char *s, size_t len);
/* Kind of a newline-terminated line (without its newline): CL_OK for
 * "ID: TS|NAME(...)..." without NUL bytes, else why not. */
int cl_line_kind(const char *s, size_t len);
/* The same from a line's parts, for readers that see it in pieces: its
 * first bytes (at least CL_HEADMAX of them when the line is that long), its
 * length, and whether it holds a NUL byte, a ')', and only blanks. */
int cl_kind_parts(const char *head, size_t headlen, uint64_t len, int nul, int paren, int blank);
/* The first line of the damaged end, up to n - 1 bytes, non-printable
 * bytes as '?', NUL-terminated. */
void cl_tail_excerpt(struct clfile *f, char *out, size_t n);
/* What a kind means, for messages ("blank line", ...). */
const char *cl_kind_name(int kind);

#endif
