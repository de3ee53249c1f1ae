/* v16_replay.c: apply one MooseFS 1.6 changelog line as 1.6.27's
 * mfsmetarestore does (mfsmetarestore/restore.c and the METARESTORE parts
 * of mfsmaster/filesystem.c and chunks.c): the same checks, in the same
 * order, with the same error codes, so that a line 1.6.27 refuses is
 * refused here too and every accepted line changes the same fields.
 * Objects are named by index: a pointer into a vector is re-read after
 * anything that can add an object. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xio.h"
#include "moosefs/v16.h"

/* 1.6's status codes (MFSCommunication.h) */
enum {
	E_OK = 0, E_EPERM = 1, E_ENOTDIR = 2, E_ENOENT = 3, E_EEXIST = 5, E_EINVAL = 6,
	E_ENOTEMPTY = 7, E_CHUNKLOST = 8, E_INDEXTOOBIG = 10, E_NOCHUNK = 13,
	E_CANTCREATEPATH = 31, E_MISMATCH = 32, E_DEEP = 100, E_PARSE = 101, E_BIGFILE = 102,
};

#define CHUNKBITS 26
#define MAX_INDEX 0x7FFFFFFFu
#define LOCKTIMEOUT 120
#define MAX_DEPTH 10000
/* chunk table slots a file may get here: 2^26 (a 4 EiB file; 512 MiB of
 * table).  1.6 allows 2^31, which one hostile WRITE line would turn into a
 * 16 GiB allocation. */
#define MAX_SLOTS (1u << 26)
#define EA_NOOWNER 0x01
#define EA_NOECACHE 0x04

#define N_(m, i) (&(m)->nodes.v[i])
#define N(i) N_(m, i)
#define E(i) (&m->edges.v[i])

static const char *
status_name(int st)
{
	switch (st) {
	case E_EPERM: return "Operation not permitted";
	case E_ENOTDIR: return "Not a directory";
	case E_ENOENT: return "No such file or directory";
	case E_EEXIST: return "File exists";
	case E_EINVAL: return "Invalid argument";
	case E_ENOTEMPTY: return "Directory not empty";
	case E_CHUNKLOST: return "Chunk lost";
	case E_INDEXTOOBIG: return "Index too big";
	case E_NOCHUNK: return "No such chunk";
	case E_CANTCREATEPATH: return "Can't create path";
	case E_MISMATCH: return "Data mismatch";
	case E_DEEP: return "directory tree deeper than 10000 levels";
	case E_BIGFILE: return "chunk index above 2^26: not supported here";
	default: return "Unknown MFS error";
	}
}

/* ---- the line parser (restore.c's EAT, GETU32, GETNAME, GETPATH) ---- */

struct px {
	const char *p, *end;
	int err;
	const char *what;
};

static void
eat(struct px *x, char c)
{
	if (x->err)
		return;
	if (x->p >= x->end || *x->p != c) {
		x->err = 1;
		x->what = c == '(' ? "'(' expected" : c == ')' ? "')' expected" : c == ',' ? "',' expected"
			  : "':' expected";
		return;
	}
	x->p++;
}

static uint64_t
num(struct px *x, uint64_t max)
{
	uint64_t v = 0;
	const char *s = x->p;

	if (x->err)
		return 0;
	while (x->p < x->end && *x->p >= '0' && *x->p <= '9') {
		if (v > (max - (uint64_t)(*x->p - '0')) / 10) {
			x->err = 1;
			x->what = "number too large";
			return 0;
		}
		v = v * 10 + (uint64_t)(*x->p++ - '0');
	}
	if (x->p == s) {
		x->err = 1;
		x->what = "number expected";
	}
	return v;
}

#define U32(x) ((uint32_t)num((x), UINT32_MAX))
#define U64(x) num((x), UINT64_MAX)

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* %XX-decoded text up to the terminator c into *buf (grown); returns the
 * length as 1.6 sees it: up to the first NUL (it uses strlen) */
static uint32_t
text(struct px *x, char c, uint8_t **buf, size_t *cap, uint32_t max, uint32_t *decoded)
{
	size_t n = 0;

	if (x->err)
		return 0;
	while (x->p < x->end && *x->p != c) {
		int ch = (unsigned char)*x->p++;
		if (ch == '%') {
			int h = x->end - x->p >= 2 ? hexval(x->p[0]) : -1, l = h >= 0 ? hexval(x->p[1]) : -1;
			if (h < 0 || l < 0) {
				x->err = 1;
				x->what = "hex expected";
				return 0;
			}
			ch = h * 16 + l;
			x->p += 2;
		}
		if (n >= max) {
			x->err = 1;
			x->what = "name longer than 255 bytes";
			return 0;
		}
		xgrow((void **)buf, cap, n + 1, 1);
		(*buf)[n++] = (uint8_t)ch;
	}
	xgrow((void **)buf, cap, n + 1, 1);
	(*buf)[n] = 0;
	*decoded = (uint32_t)n;
	return (uint32_t)strlen((char *)*buf);
}

/* ---- chunks (chunks.c, METARESTORE) ---- */

static int
chunk_del_file(struct v16_chunk *c)
{
	if (!c)
		return E_NOCHUNK;
	if (c->fcount == 0)
		return E_CHUNKLOST;
	c->fcount--;
	return E_OK;
}

static void
chunk_add_file(struct v16_meta *m, uint64_t id)
{
	struct v16_chunk *c = v16_chunk_get(m, id);
	if (c)
		c->fcount++;
}

/* chunk_multi_modify (trunc: chunk_multi_truncate, which always bumps
 * the version and needs an existing chunk) */
static int
chunk_modify(struct v16_meta *m, uint32_t ts, uint64_t *nid, uint64_t oid, int opflag, int trunc)
{
	struct v16_chunk *c, *oc;

	if (oid == 0 && !trunc) {
		c = v16_chunk_new(m, m->nextchunkid++);
		c->version = 1;
		c->fcount = 1;
	} else {
		if (!(oc = v16_chunk_get(m, oid)))
			return E_NOCHUNK;
		if (oc->fcount == 1) {
			c = oc;
			if (opflag || trunc)
				c->version++;
		} else {
			if (oc->fcount == 0)
				return E_CHUNKLOST;
			oc->fcount--;
			c = v16_chunk_new(m, m->nextchunkid++);
			c->version = 1;
			c->fcount = 1;
		}
	}
	*nid = c->id;
	c->lockedto = ts + LOCKTIMEOUT;
	return E_OK;
}

/* ---- nodes and edges (filesystem.c's fsnodes_*) ---- */

static int
is_file(uint8_t t)
{
	return t == V16_FILE || t == V16_TRASH || t == V16_RESERVED;
}

static void
link_edge(struct v16_meta *m, uint32_t ts, uint32_t p, uint32_t c, const uint8_t *name, uint32_t nleng)
{
	v16_edge_add(m, p, c, V16_L_DIR, name, nleng, 0);
	if (ts > 0) {
		N(p)->mtime = N(p)->ctime = ts;
		N(c)->ctime = ts;
	}
}

static void
remove_edge(struct v16_meta *m, uint32_t ts, uint32_t e)
{
	if (E(e)->parent)
		N(E(e)->parent)->mtime = N(E(e)->parent)->ctime = ts;
	N(E(e)->child)->ctime = ts;
	v16_edge_del(m, e);
}

static uint32_t
create_node(struct v16_meta *m, uint32_t ts, uint32_t par, const uint8_t *name, uint32_t nleng,
	    uint8_t type, uint16_t mode, uint32_t uid, uint32_t gid)
{
	uint32_t id = v16_next_id(m), i = v16_node_add(m, id, type);
	struct v16_node *n = N(i), *p = N(par);

	n->ctime = n->mtime = n->atime = ts;
	if (type == V16_DIR || type == V16_FILE) {
		n->goal = p->goal;
		n->trashtime = p->trashtime;
	} else {
		n->goal = 1;
		n->trashtime = 86400;
	}
	n->mode = (uint16_t)((mode & 07777) | (p->mode & (type == V16_DIR ? 0xF000 : 0xF000 & ~(EA_NOECACHE << 12))));
	n->uid = uid;
	n->gid = (p->mode & 02000) ? p->gid : gid;
	link_edge(m, ts, par, i, name, nleng);
	return i;
}

static void
remove_node(struct v16_meta *m, uint32_t ts, uint32_t i)
{
	struct v16_node *n = N(i);

	if (n->parents)
		return;
	for (uint32_t k = 0; is_file(n->type) && k < n->nchunk; k++)
		if (n->chunk[k])
			chunk_del_file(v16_chunk_get(m, n->chunk[k]));
	/* the inode goes to the end of the free list (fsnodes_free_id) */
	xgrow((void **)&m->freel, &m->freecap, (size_t)m->nfree + 1, sizeof *m->freel);
	m->freel[m->nfree].id = n->id;
	m->freel[m->nfree++].ftime = ts;
	v16_node_del(m, i);
}

/* fsnodes_getpath: the path of edge e, at most 65535 bytes (its end) */
static uint32_t
get_path(struct v16_meta *m, uint32_t e, uint8_t **out)
{
	uint64_t size = E(e)->nleng;
	uint32_t p = E(e)->parent, k;

	while (p != m->root && N(p)->parents) {
		size += E(N(p)->parents)->nleng + 1;
		p = E(N(p)->parents)->parent;
	}
	if (size > 65535)
		size = 65535;
	*out = xmalloc(size ? size : 1);
	k = (uint32_t)size - E(e)->nleng;
	memcpy(*out + k, E(e)->name, E(e)->nleng);
	if (k > 0)
		(*out)[--k] = '/';
	for (p = E(e)->parent; p != m->root && N(p)->parents; p = E(N(p)->parents)->parent) {
		const struct v16_edge *pe = E(N(p)->parents);
		if (k >= pe->nleng) {
			k -= pe->nleng;
			memcpy(*out + k, pe->name, pe->nleng);
		} else if (k > 0) {
			memcpy(*out, pe->name + (pe->nleng - k), k);
			k = 0;
		}
		if (k > 0)
			(*out)[--k] = '/';
	}
	return (uint32_t)size;
}

/* fsnodes_unlink: a file's last name goes to the trash (or reserved) */
static void
unlink_edge(struct v16_meta *m, uint32_t ts, uint32_t e)
{
	uint32_t c = E(e)->child, pleng = 0;
	uint8_t *path = NULL;

	if (E(N(c)->parents)->pnext == 0 && N(c)->type == V16_FILE && (N(c)->trashtime > 0 || N(c)->nsess))
		pleng = get_path(m, e, &path);
	remove_edge(m, ts, e);
	if (!N(c)->parents && N(c)->type == V16_FILE && (N(c)->trashtime > 0 || N(c)->nsess)) {
		int trash = N(c)->trashtime > 0;
		N(c)->type = trash ? V16_TRASH : V16_RESERVED;
		if (trash)
			N(c)->ctime = ts;
		v16_edge_add(m, 0, c, trash ? V16_L_TRASH : V16_L_RESERVED, path, pleng, 0);
	} else if (!N(c)->parents) {
		remove_node(m, ts, c);
	}
	free(path);
}

/* fsnodes_purge: 1 freed, 0 moved to reserved, -1 not in the trash */
static int
purge(struct v16_meta *m, uint32_t ts, uint32_t i)
{
	uint32_t e = N(i)->parents;

	if (N(i)->type == V16_TRASH && N(i)->nsess) {
		N(i)->type = V16_RESERVED;
		v16_edge_move(m, e, V16_L_RESERVED);
		return 0;
	}
	if (N(i)->type != V16_TRASH && N(i)->type != V16_RESERVED)
		return -1;
	remove_edge(m, ts, e);
	remove_node(m, ts, i);
	return 1;
}

static int
name_ok(const uint8_t *name, uint32_t nleng)
{
	if (nleng == 0 || nleng > 255 || (name[0] == '.' && (nleng == 1 || (nleng == 2 && name[1] == '.'))))
		return 0;
	for (uint32_t i = 0; i < nleng; i++)
		if (name[i] == 0 || name[i] == '/')
			return 0;
	return 1;
}

/* f is a (first-parent) ancestor of p */
static int
is_ancestor(struct v16_meta *m, uint32_t f, uint32_t p)
{
	for (uint32_t e = N(p)->parents; e; e = E(e)->pnext)
		for (uint32_t q = E(e)->parent; q; q = N(q)->parents ? E(N(q)->parents)->parent : 0)
			if (q == f)
				return 1;
	return 0;
}

static uint32_t
lookup(struct v16_meta *m, uint32_t dir, const uint8_t *name, uint32_t nleng)
{
	return N(dir)->type == V16_DIR ? v16_edge_find(m, dir, name, nleng) : 0;
}

/* ---- the operations (fs_* of filesystem.c, METARESTORE) ---- */

struct op {
	struct v16_meta *m;
	struct px *x;
	uint32_t ts;
	int variant;      /* the table's: which of a pair of operations */
	uint8_t *nb[2];   /* decoded names / paths */
	size_t nc[2];
};

/* Read an operation's arguments and results the way fmt says, left to
 * right: u a number into uint32_t *, U into uint64_t *, c one character
 * into uint8_t *, n a name (at most 255 bytes) and p a path into the next
 * of o->nb with its length (up to a NUL, as 1.6's strlen) into uint32_t *,
 * v a value whose decoded length goes into uint32_t *; any other character
 * must come next.  A name ends at the character fmt has after it.
 * 0, or E_PARSE (x->what says why). */
static int
args(struct op *o, const char *fmt, ...)
{
	struct px *x = o->x;
	va_list ap;
	int k = 0;

	va_start(ap, fmt);
	for (; *fmt && !x->err; fmt++) {
		uint32_t dec = 0;
		switch (*fmt) {
		case 'u': *va_arg(ap, uint32_t *) = U32(x); break;
		case 'U': *va_arg(ap, uint64_t *) = U64(x); break;
		case 'c': {
			uint8_t *c = va_arg(ap, uint8_t *);
			if (x->p < x->end && *x->p != fmt[1])
				*c = (uint8_t)*x->p++;
			break;
		}
		case 'n': case 'p': case 'v': {
			uint32_t l = text(x, fmt[1], &o->nb[k], &o->nc[k], *fmt == 'n' ? 255 : *fmt == 'v' ? 65537 : UINT32_MAX, &dec);
			*va_arg(ap, uint32_t *) = *fmt == 'v' ? dec : l;
			k++;
			break;
		}
		default: eat(x, *fmt);
		}
	}
	va_end(ap);
	return x->err ? E_PARSE : 0;
}

static uint32_t
node_idx(struct v16_meta *m, uint32_t id)
{
	struct v16_node *n = v16_node_get(m, id);
	return n ? (uint32_t)(n - m->nodes.v) : 0;
}

/* *i: an inode number, made the index of its file (or trash, reserved
 * file); 0, E_ENOENT, or notfile for another node type */
static int
file_idx(struct v16_meta *m, uint32_t *i, int notfile)
{
	if (!(*i = node_idx(m, *i)))
		return E_ENOENT;
	return is_file(N(*i)->type) ? E_OK : notfile;
}

static int
op_access(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t i;

	if (args(o, "(u)", &i))
		return E_PARSE;
	if (!(i = node_idx(m, i)))
		return E_ENOENT;
	N(i)->atime = o->ts;
	m->version++;
	return E_OK;
}

static int
op_attr(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t i, mode, uid, gid, at, mt;

	if (args(o, "(u,u,u,u,u,u)", &i, &mode, &uid, &gid, &at, &mt))
		return E_PARSE;
	if (!(i = node_idx(m, i)))
		return E_ENOENT;
	if (mode > 07777)
		return E_EINVAL;
	N(i)->mode = (uint16_t)(mode | (N(i)->mode & 0xF000));
	N(i)->uid = uid;
	N(i)->gid = gid;
	N(i)->atime = at;
	N(i)->mtime = mt;
	N(i)->ctime = o->ts;
	m->version++;
	return E_OK;
}

static uint32_t
new_size(uint32_t i)
{
	return i < 8 ? i + 1 : i < 64 ? (i & 0xFFFFFFF8u) + 8 : (i & 0xFFFFFFC0u) + 64;
}

static void
grow_chunks(struct v16_node *n, uint32_t size)
{
	n->chunk = xrealloc(n->chunk, (size_t)size * sizeof *n->chunk);
	memset(n->chunk + n->nchunk, 0, (size_t)(size - n->nchunk) * sizeof *n->chunk);
	n->nchunk = size;
}

static uint32_t
used_chunks(const struct v16_node *n)
{
	uint32_t c = 0;
	for (uint32_t i = 0; i < n->nchunk; i++)
		if (n->chunk[i])
			c = i + 1;
	return c;
}

static int
op_append(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t d, s, sc;

	if (args(o, "(u,u)", &d, &s))
		return E_PARSE;
	if (d == s)
		return E_EINVAL;
	if (!(s = node_idx(m, s)) || !(d = node_idx(m, d)))
		return E_ENOENT;
	if (!is_file(N(s)->type) || !is_file(N(d)->type))
		return E_EPERM;
	sc = used_chunks(N(s));
	if (sc) {
		uint32_t dc = used_chunks(N(d)), last = sc + dc - 1;
		if (last > MAX_INDEX)
			return E_INDEXTOOBIG;
		if (last >= MAX_SLOTS - 64)
			return E_BIGFILE;
		if (last >= N(d)->nchunk)
			grow_chunks(N(d), new_size(last));
		for (uint32_t k = 0; k < sc; k++) {
			uint64_t c = N(s)->chunk[k];
			N(d)->chunk[k + dc] = c;
			if (c)
				chunk_add_file(m, c);
		}
		N(d)->length = ((uint64_t)dc << CHUNKBITS) + N(s)->length;
		N(d)->mtime = N(d)->atime = o->ts;
		N(s)->atime = o->ts;
	}
	m->version++;
	return E_OK;
}

/* ACQUIRE (a session opens the file: at the head of its list, 1.6's
 * order) and RELEASE */
static int
op_open(struct op *o)
{
	int acquire = o->variant;
	struct v16_meta *m = o->m;
	uint32_t i, sid, k;
	struct v16_node *n;
	int st;

	if (args(o, "(u,u)", &i, &sid))
		return E_PARSE;
	if ((st = file_idx(m, &i, E_EPERM)))
		return st;
	n = N(i);
	for (k = 0; k < n->nsess && n->sess[k] != sid; k++)
		;
	if (acquire == (k < n->nsess))
		return E_EINVAL;   /* open twice, or not open */
	if (acquire) {
		n->sess = xrealloc(n->sess, ((size_t)n->nsess + 1) * sizeof *n->sess);
		memmove(n->sess + 1, n->sess, (size_t)n->nsess * sizeof *n->sess);
		n->sess[0] = sid;
		n->nsess++;
	} else {
		memmove(n->sess + k, n->sess + k + 1, (size_t)(n->nsess - k - 1) * sizeof *n->sess);
		n->nsess--;
	}
	m->version++;
	return E_OK;
}

static int
op_create(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t par, nleng, mode, uid, gid, rdev, id, i;
	uint8_t type = 0;

	if (args(o, "(u,n,c,u,u,u,u):u", &par, &nleng, &type, &mode, &uid, &gid, &rdev, &id))
		return E_PARSE;
	if (!type || !strchr("fsqbcd", type))
		return E_EINVAL;
	if (!(par = node_idx(m, par)))
		return E_ENOENT;
	if (N(par)->type != V16_DIR)
		return E_ENOTDIR;
	if (v16_edge_find(m, par, o->nb[0], nleng))
		return E_EEXIST;
	i = create_node(m, o->ts, par, o->nb[0], nleng, type, (uint16_t)mode, uid, gid);
	if (type == V16_BLOCKDEV || type == V16_CHARDEV)
		N(i)->rdev = rdev;
	if (N(i)->id != id)
		return E_MISMATCH;
	m->version++;
	return E_OK;
}

static int
op_symlink(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t par, nleng, pleng, uid, gid, id, i;

	if (args(o, "(u,n,p,u,u):u", &par, &nleng, &pleng, &uid, &gid, &id))
		return E_PARSE;
	if (!(par = node_idx(m, par)))
		return E_ENOENT;
	if (N(par)->type != V16_DIR)
		return E_ENOTDIR;
	if (!name_ok(o->nb[0], nleng))
		return E_EINVAL;
	if (v16_edge_find(m, par, o->nb[0], nleng))
		return E_EEXIST;
	i = create_node(m, o->ts, par, o->nb[0], nleng, V16_SYMLINK, 0777, uid, gid);
	N(i)->path = xmalloc(pleng ? pleng : 1);
	memcpy(N(i)->path, o->nb[1], pleng);
	N(i)->pleng = pleng;
	if (N(i)->id != id)
		return E_MISMATCH;
	m->version++;
	return E_OK;
}

static int
op_session(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t sid;

	if (args(o, "():u", &sid))
		return E_PARSE;
	if (sid != m->nextsessionid)
		return E_MISMATCH;
	m->version++;
	m->nextsessionid++;
	return E_OK;
}

static int
op_emptytrash(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t fi, ri, f = 0, r = 0;
	uint64_t ts = o->ts;

	if (args(o, "():u,u", &fi, &ri))
		return E_PARSE;
	for (uint32_t e = m->trash, nx; e; e = nx) {
		uint32_t c = E(e)->child;
		uint64_t tt = N(c)->trashtime;
		nx = E(e)->cnext;
		if (N(c)->atime + tt < ts && N(c)->mtime + tt < ts && N(c)->ctime + tt < ts) {
			if (purge(m, o->ts, c))
				f++;
			else
				r++;
		}
	}
	m->version++;
	return fi != f || ri != r ? E_MISMATCH : E_OK;
}

static int
op_emptyreserved(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t fi, f = 0;

	if (args(o, "():u", &fi))
		return E_PARSE;
	for (uint32_t e = m->reserved, nx; e; e = nx) {
		uint32_t c = E(e)->child;
		nx = E(e)->cnext;
		if (!N(c)->nsess) {
			purge(m, o->ts, c);
			f++;
		}
	}
	m->version++;
	return fi != f ? E_MISMATCH : E_OK;
}

static int
op_freeinodes(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t fi, f = 0;

	if (args(o, "():u", &fi))
		return E_PARSE;
	/* 32-bit arithmetic, as in 1.6 */
	while (m->free_head < m->nfree && (uint32_t)(m->freel[m->free_head].ftime + 86400u) < o->ts) {
		uint32_t id = m->freel[m->free_head++].id, pos = id >> 5;
		if (pos < m->fbmsize)
			m->fbm[pos] &= ~(1u << (id & 31));
		if (pos < m->searchpos)
			m->searchpos = pos;
		f++;
	}
	if (m->free_head == m->nfree)
		m->free_head = m->nfree = 0;
	m->version++;
	return fi != f ? E_EPERM : E_OK;
}

static int
op_chunkop(struct op *o)
{
	int unlock = o->variant;
	struct v16_meta *m = o->m;
	struct v16_chunk *c;
	uint64_t id;

	if (args(o, "(U)", &id))
		return E_PARSE;
	m->version++;
	if (!(c = v16_chunk_get(m, id)))
		return E_NOCHUNK;
	if (unlock)
		c->lockedto = 0;
	else
		c->version++;
	return E_OK;
}

static int
op_link(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t s, d, nleng;

	if (args(o, "(u,u,n)", &s, &d, &nleng))
		return E_PARSE;
	if (!(s = node_idx(m, s)) || !(d = node_idx(m, d)))
		return E_ENOENT;
	if (N(s)->type == V16_TRASH || N(s)->type == V16_RESERVED)
		return E_ENOENT;
	if (N(s)->type == V16_DIR)
		return E_EPERM;
	if (N(d)->type != V16_DIR)
		return E_ENOTDIR;
	if (!name_ok(o->nb[0], nleng))
		return E_EINVAL;
	if (v16_edge_find(m, d, o->nb[0], nleng))
		return E_EEXIST;
	link_edge(m, o->ts, d, s, o->nb[0], nleng);
	m->version++;
	return E_OK;
}

static int
op_length(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t i, chunks;
	uint64_t len;
	struct v16_node *n;
	int st;

	if (args(o, "(u,U)", &i, &len))
		return E_PARSE;
	if ((st = file_idx(m, &i, E_EINVAL)))
		return st;
	n = N(i);
	n->length = len;
	chunks = len > 0 ? (uint32_t)(((len - 1) >> CHUNKBITS) + 1) : 0;
	for (uint32_t k = chunks; k < n->nchunk; k++) {
		if (n->chunk[k])
			chunk_del_file(v16_chunk_get(m, n->chunk[k]));
		n->chunk[k] = 0;
	}
	if (chunks < n->nchunk)
		n->nchunk = chunks;
	if (n->nchunk == 0) {
		free(n->chunk);
		n->chunk = NULL;
	}
	n->mtime = n->ctime = o->ts;
	m->version++;
	return E_OK;
}

static int
op_move(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t sp, dp, sl, dl, id, se, de, node;

	if (args(o, "(u,n,u,n):u", &sp, &sl, &dp, &dl, &id))
		return E_PARSE;
	if (!(sp = node_idx(m, sp)) || !(dp = node_idx(m, dp)))
		return E_ENOENT;
	if (N(sp)->type != V16_DIR)
		return E_ENOTDIR;
	if (!name_ok(o->nb[0], sl))
		return E_EINVAL;
	if (!(se = v16_edge_find(m, sp, o->nb[0], sl)))
		return E_ENOENT;
	node = E(se)->child;
	if (N(node)->id != id)
		return E_MISMATCH;
	if (N(dp)->type != V16_DIR)
		return E_ENOTDIR;
	/* node == dp: 1.6 would make a loop (its master never logs that) */
	if (N(node)->type == V16_DIR && (node == dp || is_ancestor(m, node, dp)))
		return E_EINVAL;
	if (!name_ok(o->nb[1], dl))
		return E_EINVAL;
	de = v16_edge_find(m, dp, o->nb[1], dl);
	if (de && de != se) {
		if (N(E(de)->child)->type == V16_DIR && N(E(de)->child)->children)
			return E_ENOTEMPTY;
		unlink_edge(m, o->ts, de);
	}
	remove_edge(m, o->ts, se);
	link_edge(m, o->ts, dp, node, o->nb[1], dl);
	m->version++;
	return E_OK;
}

static int
op_unlink(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t p, nleng, id, e;

	if (args(o, "(u,n):u", &p, &nleng, &id))
		return E_PARSE;
	if (!(p = node_idx(m, p)))
		return E_ENOENT;
	if (N(p)->type != V16_DIR)
		return E_ENOTDIR;
	if (!(e = v16_edge_find(m, p, o->nb[0], nleng)))
		return E_ENOENT;
	if (N(E(e)->child)->id != id)
		return E_MISMATCH;
	if (N(E(e)->child)->type == V16_DIR && N(E(e)->child)->children)
		return E_ENOTEMPTY;
	unlink_edge(m, o->ts, e);
	m->version++;
	return E_OK;
}

/* a trash file named by the argument (PURGE, UNDEL); 0 after *st is set */
static uint32_t
trash_arg(struct op *o, int *st)
{
	uint32_t i;

	*st = args(o, "(u)", &i);
	if (!*st && (!(i = node_idx(o->m, i)) || N_(o->m, i)->type != V16_TRASH))
		*st = E_ENOENT;
	return *st ? 0 : i;
}

static int
op_purge(struct op *o)
{
	struct v16_meta *m = o->m;
	int st;
	uint32_t i = trash_arg(o, &st);

	if (st)
		return st;
	purge(m, o->ts, i);
	m->version++;
	return E_OK;
}

static int
op_setpath(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t i, pleng, e;

	if (args(o, "(u,p)", &i, &pleng))
		return E_PARSE;
	if (!(i = node_idx(m, i)) || N(i)->type != V16_TRASH)
		return E_ENOENT;
	e = N(i)->parents;
	pleng &= 0xFFFF;   /* 1.6 keeps the length in 16 bits */
	free(E(e)->name);
	E(e)->name = xmalloc(pleng ? pleng : 1);
	memcpy(E(e)->name, o->nb[0], pleng);
	E(e)->nleng = pleng;
	m->version++;
	return E_OK;
}

/* fsnodes_undel: recreate the path (missing directories as 0755 root) */
static int
undel(struct v16_meta *m, uint32_t ts, uint32_t node)
{
	uint32_t e = N(node)->parents, pleng = E(e)->nleng, part = 0, dots = 0, p, isnew = 0;
	const uint8_t *path = E(e)->name;

	while (pleng > 0 && *path == '/') {
		path++;
		pleng--;
	}
	if (pleng == 0)
		return E_CANTCREATEPATH;
	for (uint32_t i = 0; i < pleng; i++) {
		if (path[i] == 0)
			return E_CANTCREATEPATH;
		if (path[i] == '/') {
			if (part == 0 || (part == dots && part <= 2))
				return E_CANTCREATEPATH;
			part = dots = 0;
		} else {
			dots += path[i] == '.';
			if (++part > 255)
				return E_CANTCREATEPATH;
		}
	}
	if (part == 0 || (part == dots && part <= 2))
		return E_CANTCREATEPATH;
	for (p = m->root;;) {
		uint32_t n = 0;
		for (part = 0; part < pleng && path[part] != '/'; part++)
			;
		if (part == pleng) {
			if (v16_edge_find(m, p, path, part))
				return E_EEXIST;
			N(node)->type = V16_FILE;
			N(node)->ctime = ts;
			link_edge(m, ts, p, node, path, part);
			remove_edge(m, ts, e);   /* path points into e: used above */
			return E_OK;
		}
		if (!isnew) {
			uint32_t pe = lookup(m, p, path, part);
			if (!pe)
				isnew = 1;
			else if (N(n = E(pe)->child)->type != V16_DIR)
				return E_CANTCREATEPATH;
		}
		if (isnew)   /* (path points into e's name, which does not move) */
			n = create_node(m, ts, p, path, part, V16_DIR, 0755, 0, 0);
		p = n;
		path += part + 1;
		pleng -= part + 1;
	}
}

static int
op_undel(struct op *o)
{
	struct v16_meta *m = o->m;
	int st;
	uint32_t i = trash_arg(o, &st);

	if (st)
		return st;
	st = undel(m, o->ts, i);
	m->version++;
	return st;
}

static int
op_quota(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t i, q[5];
	uint64_t l[6];

	if (args(o, "(u,u,u,u,u,u,U,U,U,U,U,U)", &i, &q[0], &q[1], &q[2], &q[3], &q[4], &l[0], &l[1], &l[2], &l[3],
		 &l[4], &l[5]))
		return E_PARSE;
	if (!(i = node_idx(m, i)))
		return E_ENOENT;
	if (N(i)->type != V16_DIR)
		return E_EPERM;
	m->version++;   /* 1.6 keeps no quota in an MFSM 1.5 file */
	return E_OK;
}

static int
op_repair(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t i, idx, ver;
	int st;
	struct v16_node *n;

	if (args(o, "(u,u):u", &i, &idx, &ver))
		return E_PARSE;
	if ((st = file_idx(m, &i, E_EPERM)))
		return st;
	n = N(i);
	if (idx > MAX_INDEX)
		return E_INDEXTOOBIG;
	if (idx >= n->nchunk || n->chunk[idx] == 0)
		return E_NOCHUNK;
	if (ver == 0) {
		st = chunk_del_file(v16_chunk_get(m, n->chunk[idx]));
		n->chunk[idx] = 0;
	} else {
		struct v16_chunk *c = v16_chunk_get(m, n->chunk[idx]);
		st = c ? E_OK : E_NOCHUNK;
		if (c)
			c->version = ver;
	}
	m->version++;
	n->mtime = n->ctime = o->ts;
	return st;
}

/* SETGOAL, SETTRASHTIME, SETEATTR: one walk, three setters */
enum { SET_GOAL, SET_TRASH, SET_EATTR };
struct setter {
	int kind;
	uint32_t ts, uid, val, si, nci, nsi;
	uint8_t smode;
};

static int
set_one(struct v16_node *n, struct setter *s)
{
	uint32_t cur, v = s->val;
	int t = s->smode & 3;

	if (s->kind == SET_EATTR) {
		uint8_t se = (uint8_t)v, ne;
		if (n->type != V16_DIR) {
			n->mode &= (uint16_t)~(EA_NOECACHE << 12);
			se &= (uint8_t)~EA_NOECACHE;
		}
		ne = (uint8_t)(n->mode >> 12);
		ne = t == 0 ? se : t == 1 ? (uint8_t)(ne | se) : (uint8_t)(ne & ~se);
		if (ne == (n->mode >> 12))
			return 0;
		n->mode = (uint16_t)((n->mode & 0xFFF) | ((uint16_t)ne << 12));
		return 1;
	}
	cur = s->kind == SET_GOAL ? n->goal : n->trashtime;
	if (!(t == 0 ? cur != v : t == 1 ? cur < v : cur > v))
		return 0;
	if (s->kind == SET_GOAL)
		n->goal = (uint8_t)v;
	else
		n->trashtime = v;
	return 1;
}

static int
set_rec(struct v16_meta *m, uint32_t i, struct setter *s)
{
	struct v16_node *n = N(i);
	int st = E_OK;

	if (s->kind != SET_EATTR && !is_file(n->type) && n->type != V16_DIR)
		return E_OK;
	if (!(n->mode & (EA_NOOWNER << 12)) && s->uid != 0 && n->uid != s->uid) {
		s->nsi++;
	} else if (set_one(n, s)) {
		s->si++;
		n->ctime = s->ts;
	} else {
		s->nci++;
	}
	if (n->type == V16_DIR && (s->smode & 4)) {
		if (++m->depth > MAX_DEPTH)
			return E_DEEP;
		for (uint32_t e = N(i)->children; e && st == E_OK; e = E(e)->cnext)
			st = set_rec(m, E(e)->child, s);
		m->depth--;
	}
	return st;
}

static int
op_set(struct op *o)
{
	int kind = o->variant;
	struct v16_meta *m = o->m;
	struct setter s = { .kind = kind, .ts = o->ts };
	uint32_t i, smode, si, nci, nsi;
	int st;

	if (args(o, "(u,u,u,u):u,u,u", &i, &s.uid, &s.val, &smode, &si, &nci, &nsi))
		return E_PARSE;
	s.smode = (uint8_t)smode;   /* 1.6 reads these into uint8_t */
	if (kind != SET_TRASH)
		s.val &= 0xFF;
	if ((s.smode & 3) == 3 || s.smode > 7 || (kind == SET_GOAL && (s.val > 9 || s.val < 1)) ||
	    (kind == SET_EATTR && (s.val & ~0x0Fu)))
		return E_EINVAL;
	if (!(i = node_idx(m, i)))
		return E_ENOENT;
	if (kind != SET_EATTR && !is_file(N(i)->type) && N(i)->type != V16_DIR)
		return E_EPERM;
	m->depth = 0;
	if ((st = set_rec(m, i, &s)))
		return st;
	m->version++;
	return si != s.si || nci != s.nci || nsi != s.nsi ? E_MISMATCH : E_OK;
}

static int
op_setxattr(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t i, nleng, vleng, mode;

	/* the value may hold NULs: v gives its decoded length */
	if (args(o, "(u,n,v,u)", &i, &nleng, &vleng, &mode))
		return E_PARSE;
	if (nleng == 0 || nleng > 255 || vleng > 65536 || mode > 3)
		return E_EINVAL;
	if (!(i = node_idx(m, i)))
		return E_ENOENT;
	/* an MFSM 1.5 file keeps no xattrs: only the ctime stays */
	N(i)->ctime = o->ts;
	m->version++;
	return E_OK;
}

static int copy_file(struct v16_meta *m, uint32_t d, uint32_t s);

/* fsnodes_snapshot_test */
static int
snap_test(struct v16_meta *m, uint32_t orig, uint32_t s, uint32_t par, const uint8_t *name, uint32_t nleng, int over)
{
	uint32_t e = lookup(m, par, name, nleng), d;
	int st = E_OK;

	if (!e)
		return E_OK;
	d = E(e)->child;
	if (d == orig)
		return E_EINVAL;
	if (N(d)->type != N(s)->type || N(s)->type == V16_TRASH || N(s)->type == V16_RESERVED)
		return E_EPERM;
	if (N(s)->type != V16_DIR)
		return over ? E_OK : E_EEXIST;
	if (++m->depth > MAX_DEPTH)
		return E_DEEP;
	for (e = N(s)->children; e && st == E_OK; e = E(e)->cnext)
		st = snap_test(m, orig, E(e)->child, d, E(e)->name, E(e)->nleng, over);
	m->depth--;
	return st;
}

static int
copy_file(struct v16_meta *m, uint32_t d, uint32_t s)
{
	struct v16_node *dn = N(d), *sn = N(s);

	if (sn->nchunk) {
		dn->chunk = xmalloc((size_t)sn->nchunk * sizeof *dn->chunk);
		memcpy(dn->chunk, sn->chunk, (size_t)sn->nchunk * sizeof *dn->chunk);
		dn->nchunk = sn->nchunk;
		for (uint32_t k = 0; k < sn->nchunk; k++)
			if (sn->chunk[k])
				chunk_add_file(m, sn->chunk[k]);
	}
	dn->length = sn->length;
	return E_OK;
}

static void
copy_path(struct v16_node *d, const struct v16_node *s)
{
	free(d->path);
	d->path = NULL;
	d->pleng = 0;
	if (s->pleng) {
		d->path = xmalloc(s->pleng);
		memcpy(d->path, s->path, s->pleng);
		d->pleng = s->pleng;
	}
}

static int snapshot(struct v16_meta *m, uint32_t ts, uint32_t s, uint32_t par, const uint8_t *name, uint32_t nleng);

static int
snap_children(struct v16_meta *m, uint32_t ts, uint32_t s, uint32_t d)
{
	int st = E_OK;

	if (++m->depth > MAX_DEPTH)
		return E_DEEP;
	for (uint32_t e = N(s)->children; e && st == E_OK; e = E(e)->cnext)
		st = snapshot(m, ts, E(e)->child, d, E(e)->name, E(e)->nleng);
	m->depth--;
	return st;
}

static int
same_chunks(const struct v16_node *a, const struct v16_node *b)
{
	return a->length == b->length && a->nchunk == b->nchunk &&
	       (a->nchunk == 0 || memcmp(a->chunk, b->chunk, (size_t)a->nchunk * sizeof *a->chunk) == 0);
}

/* fsnodes_snapshot (name points into an edge: edges' names do not move) */
static int
snapshot(struct v16_meta *m, uint32_t ts, uint32_t s, uint32_t par, const uint8_t *name, uint32_t nleng)
{
	uint32_t e = lookup(m, par, name, nleng), d;
	uint8_t t = N(s)->type;
	int st = E_OK;

	if (e) {
		d = E(e)->child;
		if (t == V16_DIR) {
			st = snap_children(m, ts, s, d);
		} else if (t == V16_FILE && !same_chunks(N(d), N(s))) {
			/* the name may be freed by the unlink: keep a copy */
			uint8_t *nm = xmalloc(nleng ? nleng : 1);
			memcpy(nm, name, nleng);
			unlink_edge(m, ts, e);
			d = create_node(m, ts, par, nm, nleng, V16_FILE, N(s)->mode, N(s)->uid, N(s)->gid);
			free(nm);
			N(d)->goal = N(s)->goal;
			N(d)->trashtime = N(s)->trashtime;
			copy_file(m, d, s);
		} else if (t == V16_SYMLINK) {
			copy_path(N(d), N(s));
		} else if (t == V16_BLOCKDEV || t == V16_CHARDEV) {
			N(d)->rdev = N(s)->rdev;
		}
		N(d)->mode = N(s)->mode;
		N(d)->uid = N(s)->uid;
		N(d)->gid = N(s)->gid;
		N(d)->atime = N(s)->atime;
		N(d)->mtime = N(s)->mtime;
		N(d)->ctime = ts;
		return st;
	}
	if (!strchr("fdlbcsq", t))
		return E_OK;
	d = create_node(m, ts, par, name, nleng, t, N(s)->mode, N(s)->uid, N(s)->gid);
	N(d)->goal = N(s)->goal;
	N(d)->trashtime = N(s)->trashtime;
	N(d)->mode = N(s)->mode;
	N(d)->atime = N(s)->atime;
	N(d)->mtime = N(s)->mtime;
	if (t == V16_DIR)
		st = snap_children(m, ts, s, d);
	else if (t == V16_FILE)
		copy_file(m, d, s);
	else if (t == V16_SYMLINK)
		copy_path(N(d), N(s));
	else if (t == V16_BLOCKDEV || t == V16_CHARDEV)
		N(d)->rdev = N(s)->rdev;
	return st;
}

static int
op_snapshot(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t s, d, nleng, over;
	int st;

	if (args(o, "(u,u,n,u)", &s, &d, &nleng, &over))
		return E_PARSE;
	if (!(s = node_idx(m, s)) || !(d = node_idx(m, d)))
		return E_ENOENT;
	if (N(d)->type != V16_DIR)
		return E_EPERM;
	if (N(s)->type == V16_DIR && (s == d || is_ancestor(m, s, d)))
		return E_EINVAL;
	m->depth = 0;
	if ((st = snap_test(m, s, s, d, o->nb[0], nleng, (int)over)))
		return st;
	m->depth = 0;
	if ((st = snapshot(m, o->ts, s, d, o->nb[0], nleng)))
		return st;
	m->version++;
	return E_OK;
}

static int
op_trunc(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t i, idx;
	uint64_t cid, nid = 0;
	int st;

	if (args(o, "(u,u):U", &i, &idx, &cid))
		return E_PARSE;
	if ((st = file_idx(m, &i, E_EINVAL)))
		return st;
	if (idx > MAX_INDEX)
		return E_INDEXTOOBIG;
	if (idx >= N(i)->nchunk)
		return E_EINVAL;
	if ((st = chunk_modify(m, o->ts, &nid, N(i)->chunk[idx], 1, 1)))
		return st;
	if (nid != cid)
		return E_MISMATCH;
	N(i)->chunk[idx] = nid;
	m->version++;
	return E_OK;
}

static int
op_write(struct op *o)
{
	struct v16_meta *m = o->m;
	uint32_t i, idx, opflag = 1;
	uint64_t cid, nid = 0;
	int st;

	/* the opflag is optional (older 1.6 lines) */
	if (args(o, "(u,u", &i, &idx) || (o->x->p < o->x->end && *o->x->p == ',' && args(o, ",u", &opflag)) ||
	    args(o, "):U", &cid))
		return E_PARSE;
	opflag &= 0xFF;   /* a uint8_t in fs_write */
	if ((st = file_idx(m, &i, E_EPERM)))
		return st;
	if (idx > MAX_INDEX)
		return E_INDEXTOOBIG;
	if (idx >= MAX_SLOTS - 64)
		return E_BIGFILE;
	if (idx >= N(i)->nchunk)
		grow_chunks(N(i), new_size(idx));
	if ((st = chunk_modify(m, o->ts, &nid, N(i)->chunk[idx], (int)opflag, 0)))
		return st;
	if (nid != cid)
		return E_MISMATCH;
	N(i)->chunk[idx] = nid;
	m->version++;
	N(i)->mtime = N(i)->ctime = o->ts;
	return E_OK;
}

static const struct {
	const char *name;
	int (*fn)(struct op *);
	int variant;
} ops[] = {
	{ "ACCESS", op_access, 0 }, { "ACQUIRE", op_open, 1 }, { "APPEND", op_append, 0 },
	{ "AQUIRE", op_open, 1 }, { "ATTR", op_attr, 0 }, { "CREATE", op_create, 0 },
	{ "CUSTOMER", op_session, 0 }, { "EMPTYRESERVED", op_emptyreserved, 0 },
	{ "EMPTYTRASH", op_emptytrash, 0 }, { "FREEINODES", op_freeinodes, 0 },
	{ "INCVERSION", op_chunkop, 0 }, { "LENGTH", op_length, 0 }, { "LINK", op_link, 0 },
	{ "MOVE", op_move, 0 }, { "PURGE", op_purge, 0 }, { "QUOTA", op_quota, 0 },
	{ "RELEASE", op_open, 0 }, { "REPAIR", op_repair, 0 }, { "SESSION", op_session, 0 },
	{ "SETEATTR", op_set, SET_EATTR }, { "SETGOAL", op_set, SET_GOAL }, { "SETPATH", op_setpath, 0 },
	{ "SETTRASHTIME", op_set, SET_TRASH }, { "SETXATTR", op_setxattr, 0 },
	{ "SNAPSHOT", op_snapshot, 0 }, { "SYMLINK", op_symlink, 0 }, { "TRUNC", op_trunc, 0 },
	{ "UNDEL", op_undel, 0 }, { "UNLINK", op_unlink, 0 }, { "UNLOCK", op_chunkop, 1 },
	{ "WRITE", op_write, 0 },
};

int
v16_replay(struct v16_meta *m, const char *line, size_t len, char *msg, size_t msgsize)
{
	struct px x = { line, line + len, 0, NULL };
	struct op o = { .m = m, .x = &x };
	const char *name;
	size_t nl;
	int st = -1;

	o.ts = U32(&x);
	eat(&x, '|');
	if (x.err) {
		snprintf(msg, msgsize, "bad line start (timestamp|OPERATION expected)");
		return -1;
	}
	name = x.p;
	while (x.p < x.end && *x.p >= 'A' && *x.p <= 'Z')
		x.p++;
	nl = (size_t)(x.p - name);
	o.nb[0] = m->scratch;
	o.nc[0] = m->scratchcap;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strlen(ops[i].name) == nl && memcmp(ops[i].name, name, nl) == 0) {
			o.variant = ops[i].variant;
			st = ops[i].fn(&o);
			break;
		}
	m->scratch = o.nb[0];
	m->scratchcap = o.nc[0];
	free(o.nb[1]);
	if (st < 0)
		snprintf(msg, msgsize, "unknown operation '%.*s' (not a MooseFS 1.6 changelog line)", (int)(nl < 40 ? nl : 40), name);
	else if (st == E_PARSE)
		snprintf(msg, msgsize, "%.*s: %s at column %zu", (int)nl, name, x.what, (size_t)(x.p - line) + 1);
	else if (st)
		snprintf(msg, msgsize, "%.*s: error %d (%s)", (int)nl, name, st, status_name(st));
	return st ? -1 : 0;
}
