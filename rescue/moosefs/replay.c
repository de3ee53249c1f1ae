/* replay.c: parse a changelog line's "TS|OP(ARGS)[:RESULTS]" and run the
 * operation (docs/moosefs-format.md 2.1 and 3).  Numbers follow C strtoul rules
 * like the master's reader; names and data use the %XX escapes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/digits.h"
#include "lib/hex.h"
#include "lib/xio.h"
#include "moosefs/replay.h"

static const char *const stnames[] = {
	"OK", "EPERM", "ENOTDIR", "ENOENT", "EACCES", "EEXIST", "EINVAL",
	"ENOTEMPTY", "CHUNKLOST", "INDEXTOOBIG", "LOCKED", "NOCHUNK",
	"WRONGVERSION", "CHUNKEXIST", "BADSESSIONID", "ENOATTR", "ERANGE",
	"QUOTA", "CANTCREATEPATH", "ACTIVE", "CLASSEXISTS", "NOSUCHCLASS",
	"CLASSLIMITREACH", "CLASSINUSE", "MISMATCH", "PARSE", "VERSION",
};

const char *
mfs_status_name(int st)
{
	return st >= 0 && st < (int)(sizeof stnames / sizeof stnames[0]) ? stnames[st] : "?";
}

int
mfs_rp_fail(struct mfs_rp *r, int st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, r->msz, fmt, ap);
	va_end(ap);
	return st;
}

int
mfs_rp_check(struct mfs_rp *r, const char *what, uint64_t logged, uint64_t got)
{
	if (logged == got)
		return MFS_ST_OK;
	return mfs_rp_fail(r, MFS_ST_MISMATCH, "%s: logged %llu, replay gives %llu", what,
		       (unsigned long long)logged, (unsigned long long)got);
}

static int
perr(struct mfs_rp *r, const char *what)
{
	return mfs_rp_fail(r, MFS_ST_PARSE, "cannot parse %s at column %ld", what, (long)(r->p - r->line) + 1);
}

int
mfs_rp_is(struct mfs_rp *r, char c)
{
	return *r->p == c;
}

int
mfs_rp_eat(struct mfs_rp *r, char c)
{
	if (*r->p != c) {
		char w[16];
		snprintf(w, sizeof w, "('%c' expected)", c);
		perr(r, w);
		return -1;
	}
	r->p++;
	return 0;
}

/* A number the way strtoul reads it: never fails; with no digits the
 * cursor stays and the value is 0. */
static uint64_t
num(struct mfs_rp *r, int base)
{
	const char *p = r->p;
	uint64_t x = 0;
	int neg = 0, any = 0, ovf = 0;

	/* fast path: up to 19 plain decimal digits cannot overflow */
	if (base == 10 && *p >= '0' && *p <= '9') {
		int k;

		x = digits_dec19(p, r->end, &k);
		if (!(p[k] >= '0' && p[k] <= '9') && !(p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))) {
			r->p = p + k;
			return x;
		}
		x = 0;
	}

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (base == 16 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (;; p++) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			break;
		if (x > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			ovf = 1;
		x = x * (uint64_t)base + (uint64_t)d;
		any = 1;
	}
	if (!any)
		return 0;   /* like strtoul: nothing consumed */
	if (ovf)
		x = UINT64_MAX;
	else if (neg)
		x = (uint64_t)0 - x;
	r->p = p;
	return x;
}

void
mfs_rp_u64(struct mfs_rp *r, uint64_t *v)
{
	*v = num(r, 10);
}

void
mfs_rp_u32(struct mfs_rp *r, uint32_t *v)
{
	*v = (uint32_t)num(r, 10);
}

void
mfs_rp_x32(struct mfs_rp *r, uint32_t *v)
{
	*v = (uint32_t)num(r, 16);
}

int
mfs_rp_ulim(struct mfs_rp *r, uint32_t *v, uint32_t max)
{
	uint32_t x = (uint32_t)num(r, 10);

	if (x > max) {
		mfs_rp_fail(r, MFS_ST_PARSE, "value %u too big (at most %u) at column %ld", x, max, (long)(r->p - r->line));
		return -1;
	}
	*v = x;
	return 0;
}

/* one escaped byte at r->p; -1 on a bad escape or end of line */
static int
esc_byte(struct mfs_rp *r, char delim, int *out)
{
	char c = *r->p;

	if (c == delim)
		return 1;
	if (c == 0 || c == '\r' || c == '\n')
		return -1;
	r->p++;
	if (c == '%') {
		int h = hex_digit(r->p[0], 1), l = h < 0 ? -1 : hex_digit(r->p[1], 1);
		if (h < 0 || l < 0)
			return -1;
		r->p += 2;
		*out = h * 16 + l;
	} else {
		*out = (uint8_t)c;
	}
	return 0;
}

int
mfs_rp_name(struct mfs_rp *r, char *name, uint16_t *len, char delim)
{
	uint16_t n = 0;
	int c, k;

	while ((k = esc_byte(r, delim, &c)) == 0) {
		if (n == 255) {
			perr(r, "name (longer than 255 bytes)");
			return -1;
		}
		name[n++] = (char)c;
	}
	if (k < 0) {
		perr(r, "name");
		return -1;
	}
	name[n] = 0;
	*len = (uint16_t)strlen(name);   /* the master uses names up to a NUL */
	return 0;
}

int
mfs_rp_data(struct mfs_rp *r, int b, uint32_t *len, char delim)
{
	size_t n = 0;
	int c, k;

	while ((k = esc_byte(r, delim, &c)) == 0) {
		if (n + 2 > r->bcap[b])   /* the call only when it grows: this runs per byte */
			xgrow((void **)&r->buf[b], &r->bcap[b], n + 2, 1);
		r->buf[b][n++] = (uint8_t)c;
	}
	if (k < 0) {
		perr(r, "data");
		return -1;
	}
	xgrow((void **)&r->buf[b], &r->bcap[b], n + 1, 1);
	r->buf[b][n] = 0;
	*len = (uint32_t)n;
	return 0;
}

/* ---- mfs_rp_args: the format mini-language of replay.h ---- */

/* a switch, not strchr: this runs for every format letter of every line */
static int
is_conv(char c)
{
	switch (c) {
	case 'u': case 'U': case 'x': case 'b': case 'w': case 's': case 'd':
		return 1;
	default:
		return 0;
	}
}

/* the ']' or '}' closing the group that opens at f */
static const char *
group_end(const char *f)
{
	int depth = 0;

	for (;; f++) {
		if (*f == '[' || *f == '{')
			depth++;
		else if ((*f == ']' || *f == '}') && --depth == 0)
			return f;
	}
}

/* Is the optional group f..end in the input?  "[,u]" is when the input has
 * its first character (a literal) next; "{,u}" is unless the input has the
 * character after the group next.  (The two differ in which literal a
 * malformed line is said to miss, and that message is kept.) */
static int
group_taken(const struct mfs_rp *r, const char *f, const char *end)
{
	if (*f == '[')
		return *r->p == f[1];
	return *r->p != end[1];
}

/* pass over a conversion's arguments without storing (a skipped group) */
static void
skip_arg(char c, va_list *ap)
{
	if (c == 'U') {
		(void)va_arg(*ap, uint64_t *);
	} else if (c == 's') {
		(void)va_arg(*ap, char *);
		(void)va_arg(*ap, uint16_t *);
	} else {
		(void)va_arg(*ap, uint32_t *);
	}
}

/* one conversion; delim is the format's next character (for s and d) */
static int
conv(struct mfs_rp *r, char c, char delim, int *nd, va_list *ap)
{
	switch (c) {
	case 'u':
		mfs_rp_u32(r, va_arg(*ap, uint32_t *));
		return 0;
	case 'U':
		mfs_rp_u64(r, va_arg(*ap, uint64_t *));
		return 0;
	case 'x':
		mfs_rp_x32(r, va_arg(*ap, uint32_t *));
		return 0;
	case 'b':
		return mfs_rp_ulim(r, va_arg(*ap, uint32_t *), 255);
	case 'w':
		return mfs_rp_ulim(r, va_arg(*ap, uint32_t *), 65535);
	case 's': {
		char *name = va_arg(*ap, char *);
		return mfs_rp_name(r, name, va_arg(*ap, uint16_t *), delim);
	}
	default:   /* 'd' */
		return mfs_rp_data(r, (*nd)++, va_arg(*ap, uint32_t *), delim);
	}
}

static int
vargs(struct mfs_rp *r, const char *fmt, va_list *ap)
{
	const char *f;
	int n = 0, nd = 0;

	for (f = fmt; *f; f++) {
		if (*f == ']' || *f == '}')
			continue;   /* the end of a group that was there */
		if (*f == '[' || *f == '{') {
			const char *end = group_end(f);
			if (group_taken(r, f, end))
				continue;
			for (; f < end; f++) {
				if (is_conv(*f))
					skip_arg(*f, ap);
				nd += *f == 'd';
			}
			continue;
		}
		if (is_conv(*f) ? conv(r, *f, f[1], &nd, ap) : mfs_rp_eat(r, *f))
			return -1;
		n += is_conv(*f);
	}
	return n;
}

int
mfs_rp_args(struct mfs_rp *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vargs(r, fmt, &ap);
	va_end(ap);
	return n;
}

int
mfs_rp_node(struct mfs_rp *r, struct mfs_node **np, const char *fmt, ...)
{
	va_list ap, first;
	uint32_t *inode;
	int n;

	va_start(ap, fmt);
	va_copy(first, ap);
	inode = va_arg(first, uint32_t *);
	va_end(first);
	n = vargs(r, fmt, &ap);
	va_end(ap);
	if (n < 0)
		return MFS_ST_PARSE;
	*np = mfs_node_get(r->m, *inode);
	return *np ? MFS_ST_OK : MFS_ST_ENOENT;
}

struct opent {
	const char *name;
	mfs_rp_op fn;
	int arg;        /* r->oparg: which of a family of operations */
};

static const struct opent ops[] = {
	{ "ACCESS", mfs_op_access, 0 }, { "ACQUIRE", mfs_op_acquire, 0 }, { "ADDATTR", mfs_op4_unsupported, 0 },
	{ "AMTIME", mfs_op_amtime, 0 },
	{ "APPEND", mfs_op_append, 0 }, { "AQUIRE", mfs_op_acquire, 0 }, { "ARCHCHG", mfs_op_archchg, 0 },
	{ "ATTR", mfs_op_attr, 0 }, { "AUTOARCH", mfs_op_autoarch, 0 },
	{ "CHUNKADD", mfs_op_chunkadd, 0 }, { "CHUNKDEL", mfs_op_chunkdel, 0 },
	{ "CHUNKFLAGSCLR", mfs_op_chunkflagsclr, 0 },
	{ "CREATE", mfs_op_create, 0 }, { "CSADD", mfs_op_csaddel, 0 }, { "CSDBOP", mfs_op_csdbop, 0 },
	{ "CSDEL", mfs_op_csaddel, 1 }, { "CUSTOMER", mfs_op_session, 0 }, { "EMPTYRESERVED", mfs_op_emptysustained, 0 },
	{ "EMPTYSUSTAINED", mfs_op_emptysustained, 0 }, { "EMPTYTRASH", mfs_op_emptytrash, 0 },
	{ "FLOCK", mfs_op_flock, 0 }, { "FREEINODES", mfs_op_freeinodes, 0 }, { "IDLE", mfs_op_idle, 0 },
	{ "INCVERSION", mfs_op_chunkver, MFS_CH_INCVERSION }, { "LENGTH", mfs_op_length, 0 }, { "LINK", mfs_op_link, 0 },
	{ "MOVE", mfs_op_move, 0 }, { "NEXTCHUNKID", mfs_op_nextchunkid, 0 },
	{ "PATADD", mfs_op_patadd, 0 }, { "PATDEL", mfs_op_patdel, 0 }, { "POSIXLOCK", mfs_op_posixlock, 0 },
	{ "PURGE", mfs_op_purge, 0 }, { "QUOTA", mfs_op_quota, 0 }, { "RELEASE", mfs_op_release, 0 },
	{ "RENUMERATEEDGES", mfs_op_renumedges, 0 }, { "REPAIR", mfs_op_repair, 0 }, { "ROLLBACK", mfs_op_rollback, 0 },
	{ "SCDEL", mfs_op_scdel, 0 }, { "SCDUP", mfs_op_scdup, 0 }, { "SCECON", mfs_op_scecversion, 1 },
	{ "SCECVERSION", mfs_op_scecversion, 0 }, { "SCRAIDON", mfs_op_scecversion, 1 },
	{ "SCREN", mfs_op_scren, 0 }, { "SCSET", mfs_op_scset, 0 },
	{ "SESADD", mfs_op_sesadd, 0 }, { "SESCHANGED", mfs_op_seschanged, 0 },
	{ "SESCONNECTED", mfs_op_sesconnected, 0 }, { "SESDEL", mfs_op_sesdel, 0 },
	{ "SESDISCONNECTED", mfs_op_sesdisconnected, 0 }, { "SESSION", mfs_op_session, 0 },
	{ "SETACL", mfs_op_setacl, 0 }, { "SETEATTR", mfs_op_seteattr, 0 }, { "SETFILECHUNK", mfs_op_setfilechunk, 0 },
	{ "SETGOAL", mfs_op_setgoal, 0 }, { "SETMETAID", mfs_op_setmetaid, 0 }, { "SETPATH", mfs_op_setpath, 0 },
	{ "SETSCLASS", mfs_op_setsclass, 0 }, { "SETTRASHTIME", mfs_op_settrashtime, 0 },
	{ "SETVERSION", mfs_op_chunkver, MFS_CH_SETVERSION }, { "SETXATTR", mfs_op_setxattr, 0 }, { "SNAPSHOT", mfs_op_snapshot, 0 },
	{ "SYMLINK", mfs_op_symlink, 0 }, { "TRASH_RECOVER", mfs_op_trash_recover, 0 },
	{ "TRASH_REMOVE", mfs_op_purge, 0 }, { "TRUNC", mfs_op_trunc, 0 }, { "UNDEL", mfs_op_undel, 0 },
	{ "UNLINK", mfs_op_unlink, 0 }, { "UNLOCK", mfs_op_chunkver, MFS_CH_UNLOCK }, { "WRITE", mfs_op_write, 0 },
};

/* find the operation (ops[] is sorted by name) and run it */
/* The rows of ops[] whose names start with `first`, [*lo, *hi): the name
 * search then compares a few names, not log2(all) (filled once). */
static void
letter_rows(char first, size_t *lo, size_t *hi)
{
	static size_t by_letter[27];
	static int filled;
	const size_t n = sizeof ops / sizeof ops[0];

	if (!filled) {
		size_t i = 0;
		for (int c = 0; c <= 26; c++) {
			while (i < n && ops[i].name[0] < 'A' + c)
				i++;
			by_letter[c] = i;
		}
		filled = 1;
	}
	*lo = *hi = 0;
	if (first >= 'A' && first <= 'Z') {
		*lo = by_letter[first - 'A'];
		*hi = by_letter[first - 'A' + 1];
	}
}

static int
replay_op(struct mfs_rp *r)
{
	struct mfs_meta *m = r->m;
	char name[32];
	size_t nl = 0, lo, hi;
	int st;

	if (mfs_rp_args(r, "u|", &r->ts) < 0)
		return MFS_ST_PARSE;
	while (((r->p[nl] >= 'A' && r->p[nl] <= 'Z') || r->p[nl] == '_') && nl < sizeof name - 1) {
		name[nl] = r->p[nl];
		nl++;
	}
	name[nl] = 0;
	r->p += nl;
	letter_rows(name[0], &lo, &hi);
	while (lo < hi) {
		size_t i = (lo + hi) / 2;
		int c = strcmp(ops[i].name, name);
		if (c < 0) {
			lo = i + 1;
		} else if (c > 0) {
			hi = i;
		} else {
			if (*r->p != '(')
				return perr(r, "operation ('(' expected)");
			r->oparg = ops[i].arg;
			st = ops[i].fn(r);
			if (st == MFS_ST_OK && !r->vdone)
				m->version++;
			if (st != MFS_ST_OK && st != MFS_ST_PARSE && !r->msg[0]) {
				snprintf(r->msg, r->msz, "%s: error %s", name, mfs_status_name(st));
			} else if (st != MFS_ST_OK && st != MFS_ST_PARSE) {
				char t[512];
				snprintf(t, sizeof t, "%s: %s", name, r->msg);
				snprintf(r->msg, r->msz, "%s", t);
			}
			return st;
		}
	}
	/* 3.0.117's edge renumbering (edge ids ran out): 4.x dropped it */
	if (nl == 10 && !memcmp(r->p - nl, "RENUMEDGES", 10))
		return mfs_rp_fail(r, MFS_ST_PARSE, m->family == 4 ?
				   "RENUMEDGES is a MooseFS 3.x operation that 4.x does not replay (4.59.2's restore "
				   "refuses it too): these changelogs were not written by a 4.x master" :
				   "RENUMEDGES (3.x edge id renumbering) is not supported");
	return mfs_rp_fail(r, MFS_ST_PARSE, "unknown operation '%.*s'", (int)(nl ? nl : 20), r->p - nl);
}

int
mfs_replay(struct mfs_meta *m, const char *text, size_t len, char *msg, size_t msz)
{
	struct mfs_rp r;
	int st;

	memset(&r, 0, sizeof r);
	r.m = m;
	r.line = r.p = text;
	r.end = text + len;   /* the reader NUL-terminates each line there */
	r.msg = msg;
	r.msz = msz;
	/* the scratch buffers live in m and are reused line after line */
	r.buf[0] = m->scratch[0];
	r.buf[1] = m->scratch[1];
	r.bcap[0] = m->scratchcap[0];
	r.bcap[1] = m->scratchcap[1];
	msg[0] = 0;
	st = replay_op(&r);
	m->scratch[0] = r.buf[0];
	m->scratch[1] = r.buf[1];
	m->scratchcap[0] = r.bcap[0];
	m->scratchcap[1] = r.bcap[1];
	return st;
}
