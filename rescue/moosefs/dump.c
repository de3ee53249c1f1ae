/* dump.c: print a MooseFS metadata file as text, record by record, in the
 * exact layout of MooseFS 3.0.117's mfsmetadump (file order, same fields
 * and widths), also for the older section versions it reads.  Streams
 * the file; holds no records in memory.
 * Spec: docs/moosefs-format.md 1.1-1.4; the text layout was checked against
 * /usr/sbin/mfsmetadump 3.0.117 (tests/mfsmetadump.bats compares them). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/bytes.h"
#include "lib/err.h"
#include "lib/xio.h"
#include "moosefs/family.h"
#include "moosefs/meta.h"
#include "moosefs/rd.h"
#include "moosefs/sections.h"

#define DASHES "# -------------------------------------------------------------------\n"

struct mfs_dumper {
	struct mfs_rd r;
	int hide;
	struct mfs_sechdr sec;   /* the section being printed */
};

static int
dbad(struct mfs_dumper *d, const char *what)
{
	return mfs_rd_fail(&d->r, what);
}

#define DNEED(d, n, what) do { if (mfs_rd_need(&(d)->r, (n))) return dbad((d), (what)); } while (0)
/* a record of n bytes, its fields read by mfs_rd_rec */
#define DREC(d, n, what, ...) do { DNEED(d, n, what); mfs_rd_rec(&(d)->r, __VA_ARGS__); } while (0)

/* A section that starts with its record count: "# LABEL: N", then each
 * record by one() */
static int
dcounted(struct mfs_dumper *d, const char *tag, const char *label, int (*one)(struct mfs_dumper *))
{
	char what[32];
	uint32_t n;

	snprintf(what, sizeof what, "truncated %s header", tag);
	DNEED(d, 4, what);
	n = mfs_rd_u32(&d->r);
	printf("# %s: %" PRIu32 "\n", label, n);
	while (n--) {
		int rc = one(d);
		if (rc)
			return rc;
	}
	return 0;
}

/* mfs_dump_NAME: the counted section TAG, each record by NAME_one */
#define COUNTED(NAME, TAG, LABEL) \
	int mfs_dump_##NAME(struct mfs_dumper *d) { return dcounted(d, TAG, LABEL, NAME##_one); }

/* names: raw bytes, or '.' for bytes < 32 or > 127 with -d */
static int
dname(struct mfs_dumper *d, uint32_t n)
{
	while (n) {
		uint32_t k = n > 4096 ? 4096 : n;
		DNEED(d, k, "truncated name");
		for (uint32_t i = 0; i < k; i++) {
			uint8_t c = d->r.p[i];
			putchar(d->hide && (c < 32 || c > 127) ? '.' : c);
		}
		d->r.p += k;
		n -= k;
	}
	return 0;
}

static char
dispchar(struct mfs_dumper *d, uint8_t c)
{
	return d->hide && (c < 32 || c > 126) ? '.' : (char)c;
}

static void
strip(char s[16], uint32_t ip)
{
	snprintf(s, 16, "%03u.%03u.%03u.%03u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static void
labels(const uint8_t **p, uint8_t cnt, uint8_t org)
{
	for (uint8_t i = 0; i < cnt; i++) {
		int show = 1;
		if (i > 0)
			putchar(':');
		for (uint8_t j = 0; j < org; j++) {
			const uint8_t *q = *p;
			uint32_t mask = get_be32(q);
			*p += 4;
			if (j == 0 && mask == 0)
				putchar('*');
			if (mask == 0)
				show = 0;
			if (show) {
				if (j > 0)
					putchar('+');
				for (int k = 0; k < 26; k++)
					if (mask & (1u << k))
						putchar('A' + k);
			}
		}
	}
}

int
mfs_dump_scla(struct mfs_dumper *d)
{
	uint8_t org;

	DNEED(d, 1, "truncated SCLA header");
	org = mfs_rd_u8(&d->r);
	if (org < 1)
		return dbad(d, "SCLA: zero OR-groups");
	for (;;) {
		uint16_t id, delay;
		uint8_t nl, admin, mode, c, k, a;
		char name[256];
		const uint8_t *p;
		DREC(d, 10, "truncated SCLA record", "hbbbhbbb", &id, &nl, &admin, &mode, &delay, &c, &k, &a);
		DNEED(d, nl, "truncated SCLA record");
		memcpy(name, d->r.p, nl);
		name[nl] = 0;
		d->r.p += nl;
		if (id == 0 && c == 0 && k == 0 && a == 0 && delay == 0)
			return 0;
		if (c == 0 || c > 9 || k == 0 || k > 9 || a == 0 || a > 9)
			return dbad(d, "SCLA: bad label counts");
		DNEED(d, (size_t)(c + k + a) * 4 * org, "truncated SCLA record");
		p = d->r.p;
		d->r.p += (size_t)(c + k + a) * 4 * org;
		printf("SCLASS|#:%5" PRIu16 "|x:%u|m:%u|d:%5" PRIu16 "|c: ", id, admin, mode, delay);
		labels(&p, c, org);
		printf(" |k: ");
		labels(&p, k, org);
		printf(" |a: ");
		labels(&p, a, org);
		if (nl > 0)
			printf(" |n:%s", name);
		putchar('\n');
	}
}

/* a file's chunk ids: "ID,N,ID" (N: none) */
static int
dchunks(struct mfs_dumper *d, uint32_t ch)
{
	for (uint32_t i = 0; i < ch; i++) {
		uint64_t id;
		DNEED(d, 8, "truncated NODE chunk list");
		id = mfs_rd_u64(&d->r);
		if (id)
			printf("%016" PRIX64, id);
		else
			putchar('N');
		if (i + 1 < ch)
			putchar(',');
	}
	return 0;
}

/* what follows a node's attributes: device, symlink path, or a file's
 * length and chunks (and, in NODE 1.0-1.3 (old), its open sessions) */
static int
dnode_tail(struct mfs_dumper *d, uint8_t type, int old)
{
	if (type == MFS_T_BLOCKDEV || type == MFS_T_CHARDEV) {
		uint32_t rdev;
		DNEED(d, 4, "truncated NODE record");
		rdev = mfs_rd_u32(&d->r);
		printf("|d:%5" PRIu32 ",%5" PRIu32 "\n", rdev >> 16, rdev & 0xFFFF);
	} else if (type == MFS_T_SYMLINK) {
		uint32_t l;
		DNEED(d, 4, "truncated NODE record");
		l = mfs_rd_u32(&d->r);
		printf("|p:");
		if (dname(d, l))
			return RC_DATA;
		putchar('\n');
	} else if (type == MFS_T_FILE || type == MFS_T_TRASH || type == MFS_T_SUSTAINED) {
		uint64_t len;
		uint32_t ch;
		uint16_t sids = 0;
		DREC(d, old ? 14 : 12, "truncated NODE record", old ? "qwh" : "qw", &len, &ch, &sids);
		printf("|l:%20" PRIu64 "|c:(", len);
		if (dchunks(d, ch))
			return RC_DATA;
		if (old) {
			printf(")|r:(");
			DNEED(d, (size_t)sids * 4, "truncated NODE session list");
			for (uint32_t i = 0; i < sids; i++)
				printf("%s%" PRIu32, i ? "," : "", mfs_rd_u32(&d->r));
		}
		printf(")\n");
	} else {
		putchar('\n');
	}
	return 0;
}

int
mfs_dump_nodes(struct mfs_dumper *d)
{
	uint32_t maxnode, cnt;

	DREC(d, 8, "truncated NODE header", "ww", &maxnode, &cnt);
	printf("# maxinode: %" PRIu32 " ; hashelements: %" PRIu32 "\n", maxnode, cnt);
	for (;;) {
		static const char kind[] = "?-DLFBCSTR";
		uint8_t type, sc, ea, wa;
		uint16_t mode, tt;
		uint32_t inode, v[5];
		DNEED(d, 1, "truncated NODE record");
		type = mfs_rd_u8(&d->r);
		if (type == 0)
			return 0;
		if (type > MFS_T_SUSTAINED)
			return dbad(d, "NODE: unknown node type");
		DREC(d, 31, "truncated NODE record", "wbbbhw5h", &inode, &sc, &ea, &wa, &mode, v, &tt);
		printf("NODE|k:%c|i:%10" PRIu32 "|#:%" PRIu8 "|e:0x%02" PRIX8 "|w:0x%1" PRIX8 "|m:0%04" PRIo16
		       "|u:%10" PRIu32 "|g:%10" PRIu32 "|a:%10" PRIu32 ",m:%10" PRIu32 ",c:%10" PRIu32 "|t:%5" PRIu32 "h",
		       kind[type], inode, sc, ea, wa, mode, v[0], v[1], v[2], v[3], v[4], (uint32_t)tt);
		if (dnode_tail(d, type, 0))
			return RC_DATA;
	}
}

int
mfs_dump_edges(struct mfs_dumper *d)
{
	DNEED(d, 8, "truncated EDGE header");
	printf("# nextedgeid: %016" PRIX64 "\n", mfs_rd_u64(&d->r));
	for (;;) {
		uint32_t p, c;
		uint64_t id;
		uint16_t nl;
		DREC(d, 18, "truncated EDGE record", "wwqh", &p, &c, &id, &nl);
		if (p == 0 && c == 0)
			return 0;
		if (p == 0)
			printf("EDGE|p:      NULL|c:%10" PRIu32 "|i:0x%016" PRIX64 "|n:", c, id);
		else
			printf("EDGE|p:%10" PRIu32 "|c:%10" PRIu32 "|i:0x%016" PRIX64 "|n:", p, c, id);
		if (dname(d, nl))
			return RC_DATA;
		putchar('\n');
	}
}

static int
free_one(struct mfs_dumper *d)
{
	uint32_t i, f;

	DREC(d, 8, "truncated FREE record", "ww", &i, &f);
	printf("FREEID|i:%10" PRIu32 "|f:%10" PRIu32 "\n", i, f);
	return 0;
}

COUNTED(free, "FREE", "free nodes")

static void
qfield(const char *name, int set, uint64_t v, int wide)
{
	if (set)
		printf(wide ? "|%s:%20" PRIu64 : "|%s:%10" PRIu64, name, v);
	else
		printf(wide ? "|%s:                   -" : "|%s:         -", name);
}

/* one QUOT record from its grace period on (1.1), or without it (1.0: the
 * real tool shows 7 days) */
static int
quota_rec(struct mfs_dumper *d, int old)
{
	/* the soft and hard limits: their names and flag bits, in file order */
	static const char names[][3] = { "sl", "hl", "ss", "hs", "sr", "hr" };
	static const uint8_t bits[] = { 0x02, 0x20, 0x04, 0x40, 0x08, 0x80 };
	uint32_t inode, grace = 7 * 86400, st, si, hi;
	uint8_t ex, fl;
	uint64_t l[6];

	if (old)
		DREC(d, 66, "truncated QUOT record", "wbbwwwq6", &inode, &ex, &fl, &st, &si, &hi, l);
	else
		DREC(d, 70, "truncated QUOT record", "wwbbwwwq6", &inode, &grace, &ex, &fl, &st, &si, &hi, l);
	printf("QUOTA|i:%10" PRIu32 "|g:%" PRIu32 "|e:%c|f:0x%02" PRIX8 "|s:%10" PRIu32,
	       inode, grace, ex ? '1' : '0', fl, st);
	qfield("si", fl & 0x01, si, 0);
	qfield("hi", fl & 0x10, hi, 0);
	for (int i = 0; i < 6; i++)
		qfield(names[i], fl & bits[i], l[i], 1);
	putchar('\n');
	return 0;
}

static int
quota_one(struct mfs_dumper *d)
{
	return quota_rec(d, 0);
}

static int
old_quota_one(struct mfs_dumper *d)
{
	return quota_rec(d, 1);
}

COUNTED(quota, "QUOT", "quota nodes")

int
mfs_dump_xattr(struct mfs_dumper *d)
{
	for (;;) {
		uint32_t inode, vl;
		uint8_t nl;
		DREC(d, 9, "truncated XATR record", "wbw", &inode, &nl, &vl);
		if (inode == 0)
			return 0;
		if (nl == 0) {
			note("loading xattr: empty name");
			if (mfs_rd_skip(&d->r, vl))
				return dbad(d, "truncated XATR record");
			continue;
		}
		printf("XATTR|i:%10" PRIu32 "|n:", inode);
		if (dname(d, nl))
			return RC_DATA;
		printf("|v:");
		while (vl) {
			uint32_t k = vl > 4096 ? 4096 : vl;
			DNEED(d, k, "truncated XATR value");
			for (uint32_t i = 0; i < k; i++)
				printf("%02" PRIX8, d->r.p[i]);
			d->r.p += k;
			vl -= k;
		}
		putchar('\n');
	}
}

int
mfs_dump_acl(struct mfs_dumper *d)
{
	for (;;) {
		uint32_t inode, n;
		uint8_t t;
		uint16_t pm[4], nu, ng;
		DNEED(d, 17, "truncated PACL record");
		inode = mfs_rd_u32(&d->r);
		if (inode == 0) {
			d->r.p += 13;
			return 0;
		}
		mfs_rd_rec(&d->r, "bh4hh", &t, pm, &nu, &ng);
		printf("POSIXACL|i:%10" PRIu32 "|t:%" PRIu8 "|u:0%05" PRIo16 "|g:0%05" PRIo16 "|o:0%05" PRIo16
		       "|m:0%05" PRIo16 "|n:(", inode, t, pm[0], pm[1], pm[2], pm[3]);
		n = (uint32_t)nu + ng;
		for (uint32_t i = 0; i < n; i++) {
			uint32_t id;
			uint16_t perm;
			DREC(d, 6, "truncated PACL record", "wh", &id, &perm);
			printf(i < nu ? "u(%" PRIu32 "):0%05" PRIo16 : "g(%" PRIu32 "):0%05" PRIo16, id, perm);
			if (i + 1 < n)
				putchar(',');
		}
		printf(")\n");
	}
}

int
mfs_dump_open(struct mfs_dumper *d)
{
	for (;;) {
		uint32_t s, i;
		DREC(d, 8, "truncated OPEN record", "ww", &s, &i);
		if (s == 0 || i == 0)
			return 0;
		printf("OPENFILE|s:%10" PRIu32 "|i:%10" PRIu32 "\n", s, i);
	}
}

int
mfs_dump_flock(struct mfs_dumper *d)
{
	for (;;) {
		uint32_t inode, s;
		uint64_t o;
		uint8_t t;
		DREC(d, 17, "truncated FLCK record", "wwqb", &inode, &s, &o, &t);
		if (inode == 0 && o == 0 && s == 0)
			return 0;
		printf("FLOCK|i:%10" PRIu32 "|s:%10" PRIu32 "|o:%016" PRIX64 "|t:%c\n", inode, s, o, t ? 'W' : 'R');
	}
}

int
mfs_dump_plock(struct mfs_dumper *d)
{
	for (;;) {
		uint32_t inode, s, pid;
		uint64_t o, st, en;
		uint8_t t;
		DREC(d, 37, "truncated PLCK record", "wqwwqqb", &inode, &o, &s, &pid, &st, &en, &t);
		if (inode == 0 && o == 0 && s == 0)
			return 0;
		printf("POSIXLOCK|i:%10" PRIu32 "|s:%10" PRIu32 "|o:0x%016" PRIX64 "|p:%10" PRIu32 "|r:<%20" PRIu64
		       ",%20" PRIu64 ")|t:%c\n", inode, s, o, pid, st, en, t == 1 ? 'R' : t == 2 ? 'W' : '?');
	}
}

static int
csdb_one(struct mfs_dumper *d)
{
	uint32_t ip, to;
	uint16_t port, id;
	uint8_t mt;
	char s[16];

	DREC(d, 13, "truncated CSDB record", "whhbw", &ip, &port, &id, &mt, &to);
	strip(s, ip);
	printf("CHUNKSERVER|i:%s|p:%5" PRIu16 "|#:%5" PRIu16 "|m:%4s|t:%10" PRIu32 "\n", s, port, id,
	       mt == 0 ? "off" : mt == 1 ? "on" : mt == 2 ? "temp" : "???", to);
	return 0;
}

COUNTED(csdb, "CSDB", "chunk servers")

/* CHNK 1.1, and 1.0 (old: no archive flag, shown as 0) */
static int
dump_chunks(struct mfs_dumper *d, int old)
{
	DNEED(d, 8, "truncated CHNK header");
	printf("# nextchunkid: %016" PRIX64 "\n", mfs_rd_u64(&d->r));
	for (;;) {
		uint64_t id;
		uint32_t v, l;
		uint8_t a = 0;
		if (old)
			DREC(d, 16, "truncated CHNK record", "qww", &id, &v, &l);
		else
			DREC(d, 17, "truncated CHNK record", "qwwb", &id, &v, &l, &a);
		if (id == 0 && v == 0 && l == 0)
			return 0;
		printf("CHUNK|i:0x%016" PRIX64 "|v:0x%08" PRIX32 "|t:%10" PRIu32 "|a:%" PRIu8 "\n", id, v, l, a);
	}
}

/* ---- MooseFS 4.x sections, as 4.59.2's mfsmetadump prints them ---- */

/* A label expression (4.x, reverse Polish bytes, 128 at most) in infix form
 * as labelparser.c's rpn_to_infix writes it: symbols 'A'+n or '*', AND
 * (level 1) and OR (level 2) of 2+n operands, NOT; an operand of a higher
 * level is put in parentheses.  "ERROR" when the stack does not end with
 * one element. */
#define LX_MAX 128
#define LX_STR 1024
struct lx_ent { uint8_t level; uint16_t len; char s[LX_STR]; };
static struct lx_ent lx_stack[LX_MAX];

static size_t
lx_cat(char *dst, size_t l, const char *src, size_t n)
{
	if (l + n < LX_STR) {
		memcpy(dst + l, src, n);
		return l + n;
	}
	return l;
}

/* join the top n entries with op; an entry above maxlevel gets parentheses */
static void
lx_join(uint8_t *sp, uint8_t n, char op, uint8_t level)
{
	static char buf[LX_STR];
	size_t l = 0;

	for (uint8_t r = n; r; r--) {
		const struct lx_ent *e = &lx_stack[*sp - r];
		if (r != n)
			l = lx_cat(buf, l, &op, 1);
		if (e->level > level)
			l = lx_cat(buf, l, "(", 1);
		l = lx_cat(buf, l, e->s, e->len);
		if (e->level > level)
			l = lx_cat(buf, l, ")", 1);
	}
	*sp = (uint8_t)(*sp - n);
	lx_stack[*sp].level = level;
	lx_stack[*sp].len = (uint16_t)l;
	memcpy(lx_stack[*sp].s, buf, l);
	(*sp)++;
}

static size_t
lx_infix(const uint8_t *e, char *out)
{
	uint8_t sp = 0;

	if (!e[0]) {
		out[0] = '*';
		return 1;
	}
	for (int i = 0; i < LX_MAX && e[i]; i++) {
		uint8_t b = e[i], v = b & 0x3F;
		switch (b & 0xC0) {
		case 0xC0:
			if (sp >= LX_MAX)
				return 0;
			lx_stack[sp].level = 0;
			lx_stack[sp].len = 1;
			lx_stack[sp].s[0] = b == 0xFF ? '*' : (char)('A' + v);
			sp++;
			break;
		case 0x80:
		case 0x40:
			if (v + 2 > sp)
				return 0;
			lx_join(&sp, (uint8_t)(v + 2), (b & 0xC0) == 0x80 ? '&' : '|', (b & 0xC0) == 0x80 ? 1 : 2);
			break;
		default:
			if (v == 1) {
				struct lx_ent *t;
				char tmp[LX_STR];
				size_t l = 0;
				if (!sp)
					return 0;
				t = &lx_stack[sp - 1];
				l = lx_cat(tmp, l, "~", 1);
				if (t->level > 0)
					l = lx_cat(tmp, l, "(", 1);
				l = lx_cat(tmp, l, t->s, t->len);
				if (t->level > 0)
					l = lx_cat(tmp, l, ")", 1);
				t->level = 0;
				t->len = (uint16_t)l;
				memcpy(t->s, tmp, l);
			}
			break;
		}
	}
	if (sp != 1) {
		memcpy(out, "ERROR", 5);
		return 5;
	}
	memcpy(out, lx_stack[0].s, lx_stack[0].len);
	return lx_stack[0].len;
}

struct lx_part {         /* one of create, keep, arch, trash */
	uint8_t cnt, ec, mode;
	uint32_t uniq;
	uint8_t expr[9][LX_MAX];
};

/* labelparser.c's make_label_expr: EC part, counted expressions, the
 * uniqueness mask, the labels mode */
static void
lx_print(const struct lx_part *p)
{
	static char buf[9 * (LX_STR + 2) + 64];
	size_t l = 0;

	if (p->ec) {
		uint8_t dp = p->ec >> 4;
		buf[l++] = '@';
		if (dp == 8 || dp == 4) {
			buf[l++] = (char)('0' + dp);
			buf[l++] = '+';
		}
		buf[l++] = (char)('0' + (p->ec & 0xF));
	} else if (p->cnt == 0) {
		fputs("-", stdout);
		return;
	}
	for (uint8_t i = 0; i < p->cnt;) {
		uint8_t c = 1;
		if (i > 0 || p->ec)
			buf[l++] = ',';
		while (i + c < p->cnt && strncmp((const char *)p->expr[i], (const char *)p->expr[i + c], LX_MAX) == 0)
			c++;
		if (c > 1)
			buf[l++] = (char)('0' + c);
		l += lx_infix(p->expr[i], buf + l);
		i = (uint8_t)(i + c);
	}
	if (p->uniq) {
		buf[l++] = '/';
		if (p->uniq & (1u << 26)) {
			memcpy(buf + l, "[IP]", 4);
			l += 4;
		} else if (p->uniq & (1u << 27)) {
			memcpy(buf + l, "[RACK]", 6);
			l += 6;
		} else {
			for (int i = 0; i < 26; i++) {
				if (!(p->uniq & (1u << i)))
					continue;
				buf[l++] = (char)('A' + i);
				if (i < 24 && ((p->uniq >> i) & 7) == 7) {
					buf[l++] = '-';
					while (i < 26 && (p->uniq & (1u << i)))
						i++;
					i--;
					buf[l++] = (char)('A' + i);
				}
			}
		}
	}
	if (p->mode <= 2) {
		static const char *const mode[] = { ":LOOSE", ":STD", ":STRICT" };
		memcpy(buf + l, mode[p->mode], strlen(mode[p->mode]));
		l += strlen(mode[p->mode]);
	}
	fwrite(buf, 1, l, stdout);
}

/* print a string field like printf("%s"): up to its first NUL */
static void
cstr(const uint8_t *s, size_t n)
{
	const void *z = memchr(s, 0, n);
	fwrite(s, 1, z ? (size_t)((const uint8_t *)z - s) : n, stdout);
}

static int
scla4_one(struct mfs_dumper *d, uint16_t id, uint16_t exprsize, uint8_t ecver)
{
	static struct lx_part part[4];
	const uint8_t *f;
	uint32_t nexpr, lx = exprsize > LX_MAX ? LX_MAX : exprsize;
	static const uint8_t at[4][4] = {   /* cnt, ec (0: none), uniq, mode offsets */
		{ 22, 0, 23, 27 }, { 28, 0, 29, 33 }, { 34, 35, 36, 40 }, { 41, 42, 43, 47 } };

	DNEED(d, 48, "truncated SCLA record");
	f = d->r.p;
	nexpr = mfs_sc4_nexpr(f);
	if (f[28] == 0 || f[22] > 9 || f[28] > 9 || f[34] > 9 || f[41] > 9 || (f[35] & 0xF) > 9 || (f[42] & 0xF) > 9)
		return dbad(d, "SCLA: bad storage class record");
	if ((f[35] || f[42]) && !ecver)
		return dbad(d, "SCLA: erasure coding in a class while it is off");
	DNEED(d, 48 + (uint64_t)f[0] + f[1] + (uint64_t)nexpr * exprsize, "truncated SCLA record");
	printf("SCLASSMAIN|#:%5" PRIu16 "|p:%" PRIu32 "|g:%u|x:%u|m:%u|a:0x%" PRIX8 "|d:%5" PRIu16 "|s:%20" PRIu64
	       "|t:%5" PRIu16 "|n:", id, get_be32(f + 2), f[6], f[7], f[8], f[9], get_be16(f + 10),
	       get_be64(f + 12), get_be16(f + 20));
	cstr(f + 48, f[0]);
	/* 4.59.2 prints the previous class's description for an empty one
	 * (a buffer it does not clear): we print it empty */
	printf("|c:");
	cstr(f + 48 + f[0], f[1]);
	putchar('\n');
	d->r.p += 48 + f[0] + f[1];
	memset(part, 0, sizeof part);
	for (int i = 0; i < 4; i++) {
		struct lx_part *p = &part[i];
		p->cnt = f[at[i][0]];
		p->ec = at[i][1] ? f[at[i][1]] : 0;
		p->uniq = get_be32(f + at[i][2]);
		p->mode = f[at[i][3]];
		for (uint8_t j = 0; j < p->cnt; j++) {
			memcpy(p->expr[j], d->r.p, lx);
			d->r.p += exprsize;
		}
		if (p->cnt || p->ec) {
			printf("SCLASSEXPR|#:%5" PRIu16 "|t:%c|e:", id, "CKAT"[i]);
			lx_print(p);
			putchar('\n');
		}
	}
	return 0;
}

int
mfs_dump_scla4(struct mfs_dumper *d)
{
	uint16_t exprsize;
	uint8_t ecver;

	DNEED(d, 3, "truncated SCLA header");
	exprsize = mfs_rd_u16(&d->r);
	if (exprsize == 0)
		return dbad(d, "SCLA: expression size 0");
	ecver = mfs_rd_u8(&d->r);
	printf("SCLASSEC|%u\n", ecver);
	for (;;) {
		uint16_t id;
		int rc;
		DNEED(d, 2, "truncated SCLA record");
		id = mfs_rd_u16(&d->r);
		if (id == 0)
			return 0;
		if ((rc = scla4_one(d, id, exprsize, ecver)))
			return rc;
	}
}

/* PATT 1.1 as 4.59.2's mfsmetadump prints it: it reads the class as 16 bits
 * (so '#' shows the low byte of class << 8 | retention's high byte, 't' the
 * retention's low byte << 8 | seteattr, set eattr the clear-eattr byte, and
 * clear eattr a byte of egid), and prints a uid as "10" and the number */
int
mfs_dump_patt(struct mfs_dumper *d)
{
	for (;;) {
		uint8_t gl, b[16];
		uint32_t euid, egid;
		uint16_t sc16, tr16;
		DNEED(d, 9, "truncated PATT record");
		memcpy(b, d->r.p, 9);
		gl = b[0];
		euid = get_be32(b + 1);
		egid = get_be32(b + 5);
		d->r.p += 9;
		if (gl == 0 && euid == 0xFFFFFFFFu && egid == 0xFFFFFFFFu)
			return 0;
		DNEED(d, 7, "truncated PATT record");
		memcpy(b, d->r.p, 7);   /* b[7] keeps egid's third byte, as in the real tool */
		d->r.p += 7;
		sc16 = get_be16(b + 2);
		tr16 = get_be16(b + 4);
		printf("PATTERN|v:%3" PRIu8, b[0]);
		if (b[1] & 1)
			printf("|#:%3" PRIu8, (uint8_t)sc16);
		else
			printf("|#:---");
		if (b[1] & 2)
			printf("|t:%5" PRIu16 "h", tr16);
		else
			printf("|t:------");
		if (b[1] & 4)
			printf("|e:+0x%1" PRIX8 "/-0x%1" PRIX8, b[6], b[7]);
		else
			printf("|e:-");
		if (euid == 0xFFFFFFFFu)
			printf("|u:       ANY");
		else
			printf("|u:10%" PRIu32, euid);
		printf("|g:");
		if (egid == 0xFFFFFFFFu)
			printf("|g:       ANY");
		else
			printf("|g:%10" PRIu32, egid);
		printf("|p:");
		if (dname(d, gl))
			return RC_DATA;
		putchar('\n');
	}
}

int
mfs_dump_chunks4(struct mfs_dumper *d)
{
	DNEED(d, 8, "truncated CHNK header");
	printf("# nextchunkid: %016" PRIX64 "\n", mfs_rd_u64(&d->r));
	for (;;) {
		uint64_t id;
		uint32_t v, l, np;
		uint8_t a, p8, sc = 0;
		DREC(d, 18, "truncated CHNK record", "qwwbb", &id, &v, &l, &a, &p8);
		np = p8 | (a & 0x80 ? 0x100u : 0);
		a &= 0x7F;
		if (id == 0 && v == 0 && l == 0)
			return 0;
		printf("CHUNK|i:0x%016" PRIX64 "|v:0x%08" PRIX32 "|t:%10" PRIu32 "|a:%" PRIu8 "|(", id, v, l, a);
		DNEED(d, np * 4 + (np > 1), "truncated CHNK class list");
		for (uint32_t i = 0; i < np; i++) {
			uint32_t x = mfs_rd_u32(&d->r);
			sc = (uint8_t)(x >> 24);
			printf("s:%" PRIu8 ",#:%" PRIu32 "%s", sc, x & 0xFFFFFF, i + 1 < np ? ";" : "");
		}
		if (np > 1)
			sc = mfs_rd_u8(&d->r);
		printf(")|c:%" PRIu8 "\n", sc);
	}
}

int
mfs_dump_chunks(struct mfs_dumper *d)
{
	return dump_chunks(d, 0);
}

static int
d_hex(struct mfs_dumper *d, uint64_t len)
{
	while (len) {
		uint32_t k = len > 32 ? 32 : (uint32_t)len;
		DNEED(d, k, "truncated section");
		for (uint32_t i = 0; i < 32; i++) {
			if (i < k)
				printf("%02X ", d->r.p[i]);
			else
				printf("   ");
		}
		printf(" |");
		for (uint32_t i = 0; i < 32; i++)
			putchar(i < k ? dispchar(d, d->r.p[i]) : ' ');
		printf("|\n");
		d->r.p += k;
		len -= k;
	}
	return 0;
}

static void
print_sig(struct mfs_dumper *d, const uint8_t *h, const char *what)
{
	printf("# %s: %c%c%c%c%c%c%c%c (%02X%02X%02X%02X%02X%02X%02X%02X)", what,
	       dispchar(d, h[0]), dispchar(d, h[1]), dispchar(d, h[2]), dispchar(d, h[3]),
	       dispchar(d, h[4]), dispchar(d, h[5]), dispchar(d, h[6]), dispchar(d, h[7]),
	       h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
}

/* the line mfsmetadump prints after an MFSM 2.0 signature */
static void
print_version(const struct mfs_header *h)
{
	printf("# version: %" PRIu64 " ; fileid: 0x%" PRIX64 "\n", h->version, h->metaid);
}

/* one section: its 16-byte header h has been read */
static int
d_section(struct mfs_dumper *d, const uint8_t h[16], const struct mfs_sechdr *s)
{
	uint64_t start = mfs_rd_off(&d->r);
	const struct mfs_section *t;
	int known, rc;

	print_sig(d, h, "section header");
	printf(" ; length: %" PRIu64 "\n", s->len);
	printf("# section type: %c%c%c%c ; version: 0x%02" PRIX8 "\n",
	       dispchar(d, h[0]), dispchar(d, h[1]), dispchar(d, h[2]), dispchar(d, h[3]), s->ver);
	t = mfs_section_find(d->r.name, start - 16, s, &known);
	if (!t && known)
		return RC_DATA;
	if (!t) {
		printf("unknown file part\n");
		rc = d_hex(d, s->len);
	} else {
		d->sec = *s;
		rc = t->dump(d);
	}
	if (rc)
		return rc;
	if (mfs_rd_off(&d->r) - start != s->len) {
		warn_off(RC_DATA, d->r.name, start - 8,
			 "section %.4s: length field says %" PRIu64 " bytes but the records use %" PRIu64,
			 s->tag, s->len, mfs_rd_off(&d->r) - start);
		return RC_DATA;
	}
	return 0;
}

static int
d_sections(struct mfs_dumper *d, const char *only)
{
	for (;;) {
		uint8_t h[16];
		struct mfs_sechdr s;
		int rc;

		DNEED(d, 16, "truncated: section header or end marker missing");
		memcpy(h, d->r.p, 16);
		d->r.p += 16;
		if (memcmp(h, MFS_EOF_MARKER, 16) == 0) {
			if (!only)
				printf(DASHES "# MFS END OF FILE MARKER\n" DASHES);
			return 0;
		}
		mfs_sechdr_parse(h, &s);
		if (only && memcmp(h, only, 4) != 0) {
			if (mfs_rd_skip(&d->r, s.len))
				return dbad(d, "truncated section");
			continue;
		}
		printf(DASHES);
		rc = d_section(d, h, &s);
		if (rc)
			return rc;
	}
}

/* open path and read its header; RC_OK or the status (message printed) */
static int
d_open_file(struct mfs_dumper *d, const char *path, int hide, struct mfs_header *h, int *fd)
{
	int rc;

	memset(d, 0, sizeof *d);
	d->hide = hide;
	d->r.fd = -1;
	*fd = open_ro(path);
	if (*fd < 0)
		return RC_IO;
	rc = mfs_rd_init_fd(&d->r, path, *fd);
	if (rc)
		return rc;
	if (mfs_rd_header(&d->r, h) || h->n < 8)
		return dbad(d, "truncated: no metadata header");
	return RC_OK;
}

static void
d_close(struct mfs_dumper *d, int fd)
{
	mfs_rd_close(&d->r);
	if (fd >= 0)
		close(fd);
}

int
mfs_dump(const char *path, int hide, const char *only)
{
	struct mfs_dumper d;
	struct mfs_header h;
	int fd, rc = d_open_file(&d, path, hide, &h, &fd);
	int head = !only || !memcmp(only, "HEAD", 4);

	if (rc)
		goto out;
	if (h.kind == MFS_KIND_20 && mfs_rd_need(&d.r, 32) == 0 && mfs_lizardfs_refuse(path, d.r.p + 24, 8)) {
		rc = RC_DATA;
		goto out;
	}
	d.r.p += 8;
	if (head) {
		print_sig(&d, h.sig, "header");
		putchar('\n');
	}
	if (h.kind == MFS_KIND_NEW) {
		printf("empty file\n");
	} else if (h.kind == MFS_KIND_20) {
		if (!h.full) {
			rc = dbad(&d, "truncated header");
			goto out;
		}
		d.r.p += 16;
		if (head)
			print_version(&h);
		rc = d_sections(&d, only);
	} else {
		rc = mfs_header_refuse(path, &h);
	}
out:
	d_close(&d, fd);
	return rc;
}

/* --header: the real tool's header lines, then one line of facts */
int
mfs_dump_header(const char *path, int hide)
{
	struct mfs_dumper d;
	struct mfs_header h;
	char ver[24] = "-", id[24] = "-";
	int fd, rc = d_open_file(&d, path, hide, &h, &fd);

	if (rc)
		goto out;
	d.r.p += 8;   /* messages name the offset after the signature */
	print_sig(&d, h.sig, "header");
	putchar('\n');
	if (h.kind == MFS_KIND_NEW)
		printf("empty file\n");
	else if (h.kind == MFS_KIND_1X && h.n >= 24)
		printf("# maxnodeid: %" PRIu32 " ; version: %" PRIu64 " ; nextsessionid: %" PRIu32 "\n",
		       h.maxnodeid, h.version, h.nextsessionid);
	else if (h.kind != MFS_KIND_UNKNOWN && h.kind != MFS_KIND_1X && h.full)
		print_version(&h);
	if (h.full && h.kind != MFS_KIND_UNKNOWN)
		snprintf(ver, sizeof ver, "%" PRIu64, h.version);
	if (h.metaid)
		snprintf(id, sizeof id, "%" PRIx64, h.metaid);
	printf("# kind: %s ; version: %s ; id: %s ; end marker: %s\n", mfs_kind_name(h.kind), ver, id,
	       h.kind == MFS_KIND_NEW ? "-" : h.end_ok ? "yes" : "no");
	if (h.kind == MFS_KIND_UNKNOWN)
		rc = mfs_header_refuse(path, &h);
	else if (!h.full)
		rc = dbad(&d, "truncated header");
out:
	d_close(&d, fd);
	return rc;
}

/* ---- SESS, and the versions older than 3.0.117's (sections.c's read-only
 * rows), printed as 3.0.117's mfsmetadump prints them (its mver branches);
 * 1.6 as 4.59.2's prints it ---- */

static int
old_sess_rec(struct mfs_dumper *d, uint8_t ver, uint32_t stats)
{
	uint32_t rec = (ver < 0x11 ? 43 : ver < 0x13 ? 47 : ver < 0x14 ? 55 : ver < 0x15 ? 57 : 61) + stats * 8;
	uint32_t id, ileng, ip, root, v[6], disc = 0, dis = 0;
	uint64_t csum = 0;
	uint16_t um = 0, groups = 0;
	uint8_t fl, ming = 0, maxg = 0;
	char s[16];

	DNEED(d, rec, "truncated SESS record");
	id = mfs_rd_u32(&d->r);
	if (id == 0) {
		d->r.p += rec - 4;
		return 1;
	}
	if (ver >= 0x13)
		csum = mfs_rd_u64(&d->r);
	mfs_rd_rec(&d->r, "wwwb", &ileng, &ip, &root, &fl);
	if (ver >= 0x14)
		um = mfs_rd_u16(&d->r);
	/* 1.6 (4.x): one u16 class-group mask where 1.5 has mingoal, maxgoal */
	if (ver >= 0x16)
		groups = mfs_rd_u16(&d->r);
	else
		mfs_rd_rec(&d->r, "bb", &ming, &maxg);
	mfs_rd_rec(&d->r, "w6", v);
	if (ver >= 0x15)
		dis = mfs_rd_u32(&d->r);
	if (ver >= 0x11)
		disc = mfs_rd_u32(&d->r);
	strip(s, ip);
	printf("SESSION|s:%10" PRIu32, id);
	if (ver >= 0x13)
		printf("|e:#%" PRIu64, csum);
	printf("|p:%s|r:%10" PRIu32, s, root);
	if (ver >= 0x14)
		printf("|f:0x%02" PRIX8 "|u:0%03" PRIo16, fl, um);
	else
		printf("|f:%02" PRIX8, fl);
	if (ver >= 0x16)
		printf("|a:0x%04" PRIX16, groups);
	else
		printf("|g:%" PRIu8 "-%" PRIu8, ming, maxg);
	printf("|t:%10" PRIu32 "-%10" PRIu32 "|m:%10" PRIu32 ",%10" PRIu32 ",%10" PRIu32 ",%10" PRIu32, v[0], v[1],
	       v[2], v[3], v[4], v[5]);
	if (ver >= 0x15)
		printf("|x:0x%08" PRIX32, dis);
	if (ver >= 0x11)
		printf("|d:%10" PRIu32, disc);
	printf("|c:");
	if (stats == 0)
		printf("[]|l:[]|i:");
	for (uint32_t h = 0; stats && h < 2; h++) {
		for (uint32_t i = 0; i < stats; i++)
			printf("%c%" PRIu32, i == 0 ? '[' : ',', mfs_rd_u32(&d->r));
		printf(h ? "]|i:" : "]|l:");
	}
	if (dname(d, ileng))
		return RC_DATA;
	putchar('\n');
	return 0;
}

static int
old_sess(struct mfs_dumper *d, uint8_t ver)
{
	uint32_t next, stats;
	uint16_t dver = 0;
	int rc;

	if (ver <= 0x11) {
		DNEED(d, 8, "truncated SESS header");
		dver = mfs_rd_u16(&d->r);
		ver = dver == 1 ? 0x10 : dver == 2 ? 0x11 : ver;
	} else {
		DNEED(d, 6, "truncated SESS header");
	}
	next = mfs_rd_u32(&d->r);
	stats = mfs_rd_u16(&d->r);
	if (ver <= 0x11)
		printf("# dver: %" PRIu16 " ; nextsessionid: %" PRIu32 " ; statscount: %" PRIu32 "\n", dver, next, stats);
	else
		printf("# nextsessionid: %" PRIu32 " ; statscount: %" PRIu32 "\n", next, stats);
	while ((rc = old_sess_rec(d, ver, stats)) == 0)
		;
	return rc == 1 ? 0 : rc;
}

/* LABS/SCLA 1.0-1.5.  3.0.117's mfsmetadump takes 1.5 for 1.6 at the label
 * descriptions and fails; 1.5 is printed here as the loader reads it. */
static int
old_scla(struct mfs_dumper *d, uint8_t ver)
{
	uint8_t org = 1, hl = ver == 0x12 ? 11 : ver <= 0x13 ? 3 : ver <= 0x14 ? 5 : 8;

	for (int i = 0; i < 26; i++) {
		uint8_t l;
		DNEED(d, 1, "truncated LABS label description");
		l = mfs_rd_u8(&d->r);
		if (l > 128)
			return dbad(d, "LABS: label description too long");
		printf("LABELDESC|l:%c|n:", 'A' + i);
		if (dname(d, l))
			return RC_DATA;
		putchar('\n');
	}
	if (ver != 0x10) {
		DNEED(d, 1, "truncated LABS header");
		org = mfs_rd_u8(&d->r);
	}
	if (org < 1)
		return dbad(d, "LABS: zero OR-groups");
	for (;;) {
		uint16_t id, delay = 0;
		uint8_t mode = 1, c, k, a;
		uint32_t chunks = 0;
		size_t stored;
		const uint8_t *p;
		DNEED(d, hl, "truncated LABS record");
		id = mfs_rd_u16(&d->r);
		if (ver >= 0x14)
			mode = mfs_rd_u8(&d->r);
		if (ver >= 0x15)
			delay = mfs_rd_u16(&d->r);
		c = mfs_rd_u8(&d->r);
		k = ver >= 0x14 ? mfs_rd_u8(&d->r) : c;
		a = ver >= 0x15 ? mfs_rd_u8(&d->r) : k;
		if (ver == 0x12) {
			chunks = mfs_rd_u32(&d->r);
			d->r.p += 4;
		}
		if (id == 0 && c == 0 && k == 0 && a == 0 && chunks == 0 && delay == 0)
			return 0;
		if (c == 0 || c > 9 || k == 0 || k > 9 || a == 0 || a > 9)
			return dbad(d, "LABS: bad label counts");
		stored = (size_t)(ver >= 0x15 ? c + k + a : ver >= 0x14 ? c + k : c) * 4 * org;
		DNEED(d, stored, "truncated LABS record");
		p = d->r.p;
		d->r.p += stored;
		printf("SCLASS|#:%5" PRIu16 "|x:0|m:%u|d:%5" PRIu16 "%s", id, mode, delay,
		       ver <= 0x13 ? "|c+k+a: " : "|c: ");
		labels(&p, c, org);
		if (ver > 0x13) {
			printf(ver <= 0x14 ? " |k+a: " : " |k: ");
			labels(&p, k, org);
		}
		if (ver > 0x14) {
			printf(" |a: ");
			labels(&p, a, org);
		}
		putchar('\n');
		/* after printing: a skip may move the window under p */
		if (mfs_rd_skip(&d->r, (uint64_t)chunks * 8))
			return dbad(d, "truncated LABS chunk list");
	}
}

static void
old_node_head(struct mfs_dumper *d, uint8_t ver, uint8_t type, uint32_t *inode)
{
	uint8_t sc, ea;
	uint16_t mode;
	uint32_t v[6];

	*inode = mfs_rd_u32(&d->r);
	sc = mfs_rd_u8(&d->r);
	if (ver <= 0x11) {
		uint16_t fm = mfs_rd_u16(&d->r);
		ea = (uint8_t)(fm >> 12);
		mode = fm & 0xFFF;
	} else {
		ea = mfs_rd_u8(&d->r);
		mode = mfs_rd_u16(&d->r);
	}
	mfs_rd_rec(&d->r, "w6", v);
	printf("NODE|k:%c|i:%10" PRIu32 "|#:%" PRIu8 "|e:0x%02" PRIX8 "|m:0%04" PRIo16 "|u:%10" PRIu32 "|g:%10" PRIu32
	       "|a:%10" PRIu32 ",m:%10" PRIu32 ",c:%10" PRIu32 "|t:%10" PRIu32 "s",
	       "?-DLFBCSTR"[type], *inode, sc, ea, mode, v[0], v[1], v[2], v[3], v[4], v[5]);
}

static int
old_nodes(struct mfs_dumper *d, uint8_t ver)
{
	static const char disp[] = "fdlqbcstr";

	if (ver <= 0x10) {
		DNEED(d, 4, "truncated NODE header");
		printf("# maxinode: %" PRIu32 "\n", mfs_rd_u32(&d->r));
	} else {
		uint32_t maxnode, cnt;
		DREC(d, 8, "truncated NODE header", "ww", &maxnode, &cnt);
		printf("# maxinode: %" PRIu32 " ; hashelements: %" PRIu32 "\n", maxnode, cnt);
	}
	for (;;) {
		uint8_t type;
		uint32_t inode;
		const char *p;
		DNEED(d, 1, "truncated NODE record");
		type = mfs_rd_u8(&d->r);
		if (type == 0)
			return 0;
		if (ver <= 0x12) {
			p = strchr(disp, type);
			type = p ? (uint8_t)(p - disp + 1) : 0;
		}
		if (type == 0 || type > MFS_T_SUSTAINED)
			return dbad(d, "NODE: unknown node type");
		DNEED(d, ver <= 0x11 ? 31 : 32, "truncated NODE record");
		old_node_head(d, ver, type, &inode);
		if (dnode_tail(d, type, 1))
			return RC_DATA;
	}
}

static int
old_edges(struct mfs_dumper *d)
{
	for (;;) {
		uint32_t p, c;
		uint16_t nl;
		DREC(d, 10, "truncated EDGE record", "wwh", &p, &c, &nl);
		if (p == 0 && c == 0)
			return 0;
		if (p == 0)
			printf("EDGE|p:      NULL|c:%10" PRIu32 "|i:0x%016" PRIX64 "|n:", c, (uint64_t)0);
		else
			printf("EDGE|p:%10" PRIu32 "|c:%10" PRIu32 "|i:0x%016" PRIX64 "|n:", p, c, (uint64_t)0);
		if (dname(d, nl))
			return RC_DATA;
		putchar('\n');
	}
}

static int
old_csdb(struct mfs_dumper *d, uint8_t ver)
{
	uint32_t n, size = ver <= 0x10 ? 6 : ver <= 0x11 ? 8 : 9;

	DNEED(d, 4, "truncated CSDB header");
	n = mfs_rd_u32(&d->r);
	printf("# chunk servers: %" PRIu32 "\n", n);
	while (n--) {
		uint32_t ip;
		uint16_t port;
		char s[16];
		DREC(d, size, "truncated CSDB record", "wh", &ip, &port);
		strip(s, ip);
		printf("CHUNKSERVER|i:%s|p:%5" PRIu16, s, port);
		if (ver >= 0x11)
			printf("|#:%5" PRIu16, mfs_rd_u16(&d->r));
		if (ver >= 0x12)
			printf("|m:%u", mfs_rd_u8(&d->r) ? 1u : 0u);
		putchar('\n');
	}
	return 0;
}

/* SESS 1.5 (1.0..1.4: mfs_dump_old) */
int
mfs_dump_sess(struct mfs_dumper *d)
{
	return old_sess(d, 0x15);
}

/* SESS 1.6 (4.x) */
int
mfs_dump_sess4(struct mfs_dumper *d)
{
	return old_sess(d, 0x16);
}

int
mfs_dump_old(struct mfs_dumper *d)
{
	const char *t = d->sec.tag;
	uint8_t v = d->sec.ver;

	if (!memcmp(t, "SESS", 4))
		return old_sess(d, v);
	if (!memcmp(t, "LABS", 4) || !memcmp(t, "SCLA", 4))
		return old_scla(d, v);
	if (!memcmp(t, "NODE", 4))
		return old_nodes(d, v);
	if (!memcmp(t, "EDGE", 4))
		return old_edges(d);
	if (!memcmp(t, "QUOT", 4))
		return dcounted(d, "QUOT", "quota nodes", old_quota_one);
	if (!memcmp(t, "PACL", 4))
		return mfs_dump_acl(d);   /* 1.0 is printed as 1.1, the mask as stored */
	if (!memcmp(t, "CSDB", 4))
		return old_csdb(d, v);
	return dump_chunks(d, 1);
}
