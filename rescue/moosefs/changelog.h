/* changelog.h: read MooseFS changelog files (changelog.N.mfs,
 * changelog_ml.N.mfs, changelog_ml_back.N.mfs) line by line with bounded
 * memory.  Format: "ID: TS|OP(ARGS)[:RESULTS]\n" (moosefs-format.md 2). */
#ifndef RESCUE_MFS_CHANGELOG_H
#define RESCUE_MFS_CHANGELOG_H

#include <stddef.h>
#include <stdint.h>

#define CL_MAXLINE 200000

struct clfile {
	const char *path;
	int fd;
	uint64_t first, last;   /* ids of the first and last complete lines (0: none) */
	uint64_t size;
	int torn;               /* the file does not end with a newline */
	char *buf;
	size_t cap, pos, end;
	int eof;
	uint64_t lineno, off;   /* current line number and its file offset */
	uint64_t id, prev;      /* current line id (0: no id), previous one */
	const char *text;       /* after "ID: " */
	size_t len;
	const char *raw;        /* whole line, for messages */
	size_t rawlen;
};

/* Open and scan the first and last lines.  Returns RC_OK or RC_IO. */
int cl_open(struct clfile *f, const char *path);
/* Next complete line: 1, or 0 at the end (a torn last fragment is not
 * returned; f->torn says it was there), or RC_DATA for a line too long. */
int cl_next(struct clfile *f);
void cl_close(struct clfile *f);
/* Parse "ID: " at the start of s; returns the id or 0, sets *rest. */
uint64_t cl_parse_id(const char *s, size_t len, const char **rest);

#endif
