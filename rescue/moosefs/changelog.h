/* changelog.h: read MooseFS changelog files (changelog.N.mfs,
 * changelog_ml.N.mfs, changelog_ml_back.N.mfs) line by line with bounded
 * memory.  Format: "ID: TS|OP(ARGS)[:RESULTS]\n" (docs/moosefs-format.md 2). */
#ifndef RESCUE_MFS_CHANGELOG_H
#define RESCUE_MFS_CHANGELOG_H

#include <stddef.h>
#include <stdint.h>

#define MFS_CL_MAXLINE 200000
/* mfs_cl_head_valid needs at most this many bytes of a line */
#define MFS_CL_HEADMAX 80

/* what a line is (mfs_cl_line_kind) */
enum { MFS_CL_OK, MFS_CL_TORN, MFS_CL_BLANK, MFS_CL_NUL, MFS_CL_GARBAGE };

struct mfs_clfile {
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
	int id0;                /* MooseFS 1.6: "0: ..." is a valid line (ids from 0) */
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
int mfs_cl_open(struct mfs_clfile *f, const char *path);
/* The same for a MooseFS 1.6 changelog, whose ids start at 0 (f->id0). */
int mfs_cl_open16(struct mfs_clfile *f, const char *path);
/* Next complete line before the damaged end: 1, or 0 at the end, or
 * -RC_DATA for a line too long, -RC_IO. */
int mfs_cl_next(struct mfs_clfile *f);
void mfs_cl_close(struct mfs_clfile *f);
/* Parse "ID: " at the start of s; returns the id or 0, sets *rest. */
uint64_t mfs_cl_parse_id(const char *s, size_t len, const char **rest);
/* Does a line start like "ID: TS|NAME(" (only its first MFS_CL_HEADMAX bytes
 * are looked at)? */
int mfs_cl_head_valid(const char *s, size_t len);
/* Kind of a newline-terminated line (without its newline): MFS_CL_OK for
 * "ID: TS|NAME(...)..." without NUL bytes, else why not. */
int mfs_cl_line_kind(const char *s, size_t len);
/* The same from a line's parts, for readers that see it in pieces: its
 * first bytes (at least MFS_CL_HEADMAX of them when the line is that long), its
 * length, and whether it holds a NUL byte, a ')', and only blanks. */
int mfs_cl_kind_parts(const char *head, size_t headlen, uint64_t len, int nul, int paren, int blank);
/* The first line of the damaged end, up to n - 1 bytes, non-printable
 * bytes as '?', NUL-terminated. */
void mfs_cl_tail_excerpt(struct mfs_clfile *f, char *out, size_t n);
/* What a kind means, for messages ("blank line", ...). */
const char *mfs_cl_kind_name(int kind);
/* The warning for f's damaged end (none when it has none), after the file
 * was read to it; real: the MooseFS whose restore drops the whole file
 * ("MooseFS 3.0.117"). */
void mfs_cl_warn_tail(struct mfs_clfile *f, const char *real);
/* MooseFS's merge order (merger.c): a binary heap of files by their current
 * id, f[heap[0]] the lowest; after the root's id grew (down) or a file was
 * appended at heap[nh - 1] (up). */
void mfs_cl_heap_down(const struct mfs_clfile *f, size_t *heap, size_t nh);
void mfs_cl_heap_up(const struct mfs_clfile *f, size_t *heap, size_t nh);
/* Next line of the root file, the heap fixed up; a file that ends leaves
 * the heap (its id set to UINT64_MAX) after mfs_cl_warn_tail.  0 or -RC_*. */
int mfs_cl_heap_next(struct mfs_clfile *f, size_t *heap, size_t *nh, const char *real);

#endif
