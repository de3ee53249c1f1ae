/* vollist.h: the volume list read by dumpplan, one volume per line:
 *
 *	NAME SIZE [REPLICAS [VOLID]]     # comment
 *
 * Fields are separated by blanks; SIZE takes K/M/G/T/P/E suffixes (binary,
 * opt_parse_size); REPLICAS is 1..VOL_MAX_REPLICAS (default 1); VOLID is a
 * Coda volume id, 1 to 8 hex digits with an optional 0x, not 0.  A NAME that
 * is itself such a hex number is also taken as the volume id when VOLID is
 * absent.  '#' starts a comment (at the start or after a blank); blank lines
 * and CRLF endings are accepted.  Errors (RC_DATA, "FILE:LINE: ..."): missing
 * SIZE, bad numbers, extra fields, a name longer than VOL_MAX_NAME bytes, a
 * line longer than VOL_MAX_LINE bytes, a NUL byte, a name listed twice.
 * The parser never exits and frees what it allocates (tests/fuzz/volumes).
 */
#ifndef RESCUE_VOLLIST_H
#define RESCUE_VOLLIST_H

#include <stddef.h>
#include <stdint.h>

#define VOL_MAX_LINE 4096
#define VOL_MAX_NAME 255
#define VOL_MAX_REPLICAS 64

struct volume {
	char *name;
	uint64_t size;
	unsigned replicas;
	uint32_t id;             /* Coda volume id; 0 = none */
	unsigned long line;      /* where it was listed */
};

struct vollist {
	struct volume *v;
	size_t n, cap;
};

/* Returns RC_OK, or RC_DATA after warn_at(name, line) (l is then empty). */
int vollist_parse(struct vollist *l, const char *name, const char *data, size_t len);
void vollist_free(struct vollist *l);

#endif
