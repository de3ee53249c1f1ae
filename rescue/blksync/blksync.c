/* blksync.c: the blksync command line: hash backup and full backup of block
 * devices and images over any pipe (issue 5; walb-tools' hash backup and full
 * backup, bdsync; formats in docs/blksync.md).
 *   sig TARGET > SIGS · diff SOURCE SIGS > DELTA · patch TARGET [DELTA]
 *   full SOURCE > IMAGE · restore IMAGE TARGET · verify A B|SIGS
 *   serve TARGET · push SOURCE -- CMD ARGS...
 * Exit 1: patch/push: the result does not match the delta's digest; verify:
 * the images differ; --rescue: unreadable ranges were filled with zeros.
 * SOURCE is only ever opened read-only; it must be frozen or a snapshot.
 */
#include "blksync/bs.h"
#include "lib/atomic.h"
#include "lib/err.h"
#include "lib/opt.h"
#include "lib/xio.h"
#include "toolmain.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"usage: blksync sig|diff|patch|full|restore|verify|serve|push [OPTIONS] ARGS...\n"
	"Hash backup and full backup of block devices and images over any pipe.\n"
	"\n"
	"  blksync sig [-b SIZE] [--hash=xxh3|sha256] TARGET > SIGS\n"
	"  blksync diff [-z LEVEL] SOURCE SIGS > DELTA\n"
	"  blksync patch TARGET [DELTA]        (DELTA from stdin when not given)\n"
	"  blksync full [-b SIZE] [-z LEVEL] SOURCE > IMAGE\n"
	"  blksync restore [-f] IMAGE TARGET   (IMAGE '-' is stdin)\n"
	"  blksync verify [-b SIZE] A B|SIGS   (lists differing ranges; exit 1 if any)\n"
	"  blksync serve TARGET                (the remote end of push, on stdin/stdout)\n"
	"  blksync push [OPTIONS] SOURCE -- CMD [ARGS...]\n"
	"\n"
	"  -b, --block SIZE   block size, 4K..1M, a power of two (default 4K)\n"
	"      --hash NAME    xxh3 (XXH3-128, seeded per session; default) or sha256\n"
	"                     (for sources whose content an adversary controls)\n"
	"  -z, --level N      zlib level per extent, 0 = store (default 1)\n"
	"      --seed N       fixed hash seed (default: random per session)\n"
	"      --resume FILE  push: continue from this checkpoint, keep it up to date\n"
	"      --rescue       fill unreadable source blocks with zeros, list them\n"
	"      --direct       read SOURCE with O_DIRECT\n"
	"      --flat         push: one hash per block (no group hashes; more bytes)\n"
	"  -f, --force        restore: replace an existing file; sig/diff/full: write to a tty\n"
	"  -q, --quiet        no progress, no summary\n"
	"      --json         one-line JSON summary (stdout; stderr when stdout is data)\n"
	"\n"
	"SOURCE must not change during a sync: use a snapshot or freeze it.\n"
	"Exit: 0 ok, 1 difference or result mismatch, 2 usage, 3 bad data, 4 I/O, 5 refused.\n";

enum { OPT_HASH = 0x100, OPT_SEED, OPT_RESUME, OPT_RESCUE, OPT_DIRECT, OPT_JSON, OPT_FLAT };

static const struct option longopts[] = {
	{ "block", required_argument, 0, 'b' },
	{ "hash", required_argument, 0, OPT_HASH },
	{ "level", required_argument, 0, 'z' },
	{ "seed", required_argument, 0, OPT_SEED },
	{ "resume", required_argument, 0, OPT_RESUME },
	{ "rescue", no_argument, 0, OPT_RESCUE },
	{ "direct", no_argument, 0, OPT_DIRECT },
	{ "force", no_argument, 0, 'f' },
	{ "quiet", no_argument, 0, 'q' },
	{ "json", no_argument, 0, OPT_JSON },
	{ "flat", no_argument, 0, OPT_FLAT },
	OPT_COMMON,
	{ 0, 0, 0, 0 },
};

struct img {
	int fd;
	const char *name;
	struct stat st;
	uint64_t size;
};

static int
open_img(struct img *m, const char *path, int flags)
{
	m->name = path;
	if (strcmp(path, "-") == 0 && !(flags & (O_WRONLY | O_RDWR))) {
		m->fd = 0;
		m->name = "stdin";
	} else {
		m->fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
	}
	if (m->fd < 0 || fstat(m->fd, &m->st) < 0) {
		warn_sys(RC_IO, "%s", path);
		return RC_IO;
	}
	if (S_ISREG(m->st.st_mode) || S_ISBLK(m->st.st_mode)) {
		if (fd_size(m->fd, &m->size) < 0) {
			warn_sys(RC_IO, "%s: size", path);
			return RC_IO;
		}
	} else {
		m->size = 0;
	}
	return RC_OK;
}

static int
open_source(struct img *m, const char *path, const struct bs_opts *o)
{
	int rc = open_img(m, path, O_RDONLY | bs_direct_flag(path, o->direct));

	if (rc == RC_OK && !S_ISREG(m->st.st_mode) && !S_ISBLK(m->st.st_mode)) {
		warn_rc(RC_DATA, "%s: not a regular file or block device", path);
		return RC_DATA;
	}
	return rc;
}

/* stdout carries binary data: not a terminal, not one of the inputs */
static int
check_stdout(const struct bs_opts *o, const struct img *a, const struct img *b)
{
	struct stat st;

	if (isatty(1) && !o->force) {
		warn_rc(RC_REFUSED, "refusing to write binary data to a terminal (use -f or redirect)");
		return RC_REFUSED;
	}
	if (fstat(1, &st) == 0 && ((a && same_file(&st, &a->st)) || (b && same_file(&st, &b->st)))) {
		/* too late to protect it from a shell's '>', which truncated it
		 * before we ran: say so rather than claim it is intact */
		warn_rc(RC_REFUSED, "stdout is the same file as %s; nothing written "
			"(if the shell opened it with '>', it was emptied before blksync started)",
			a && same_file(&st, &a->st) ? a->name : b->name);
		return RC_REFUSED;
	}
	return RC_OK;
}

static void
src_init(struct bs_src *s, const struct img *m, uint32_t block, const struct bs_opts *o)
{
	memset(s, 0, sizeof *s);
	s->fd = m->fd;
	s->name = m->name;
	s->size = m->size;
	s->block = block;
	s->rescue = o->rescue;
	s->direct = o->direct && (fcntl(m->fd, F_GETFL) & O_DIRECT);
}

static int
rescued(const struct bs_src *s, int rc)
{
	if (rc == RC_OK && s->bad_bytes) {
		warn_rc(RC_DIFF, "%s: %u unreadable ranges (%llu bytes) were filled with zeros",
			s->name, s->bad_ranges, (unsigned long long)s->bad_bytes);
		return RC_DIFF;
	}
	return rc;
}

/* A new stream's header with the hash, block size and seed asked for (or
 * the defaults: XXH3, the smallest block, a random seed). */
static void
opts_hdr(struct bs_hdr *h, int kind, uint32_t flags, uint64_t size, const struct bs_opts *o)
{
	memset(h, 0, sizeof *h);
	h->kind = kind;
	h->version = BS_VERSION;
	h->flags = flags;
	h->hash_id = o->hash_id ? o->hash_id : BS_XXH3;
	h->hash_len = bs_wire_len(h->hash_id);
	h->block = o->block ? o->block : BS_MIN_BLOCK;
	h->seed = o->seed_set ? o->seed : bs_random_seed();
	h->size = size;
}

static int
cmd_sig(const char *target, const struct bs_opts *o)
{
	struct img t;
	struct bs_hdr h;
	struct bs_wr w;
	struct bs_sig_prod p;
	struct progress pg;
	uint8_t hb[BS_HDR_LEN];
	char x[65];
	int rc;

	if ((rc = open_source(&t, target, o)) || (rc = check_stdout(o, &t, NULL)))
		return rc;
	opts_hdr(&h, BS_SIGS, 0, t.size, o);
	bs_hdr_encode(&h, hb);
	bs_wr_init(&w, 1, "stdout");
	progress_init(&pg, "sig", "B", t.size, o->quiet);
	memset(&p, 0, sizeof p);
	src_init(&p.src, &t, h.block, o);
	bs_hash_init(&p.hash, h.hash_id, h.hash_len, h.seed);
	p.w = &w;
	p.prog = &pg;
	rc = bs_wr_put(&w, hb, sizeof hb) < 0 ? RC_IO : bs_sig_produce(&p);
	if (rc == RC_OK && bs_wr_flush(&w) < 0)
		rc = RC_IO;
	if (rc == RC_OK)
		progress_done(&pg, "%s: %llu blocks of %u bytes, identity %s, %.2f s", target,
			      (unsigned long long)p.blocks, h.block, hex_encode(p.id, bs_hash_len(h.hash_id), x),
			      progress_elapsed(&pg));
	if (o->json)
		bs_json(2, "sig", p.blocks, 0, w.total, 0, progress_elapsed(&pg), rc);
	bs_wr_free(&w);
	return rescued(&p.src, rc);
}

static int
emit_delta(const struct bs_opts *o, const char *cmd, struct img *s, struct bs_sig_rd *sr,
	   struct bs_hdr *h)
{
	struct bs_wr w;
	struct bs_scan sc;
	struct progress pg;
	uint8_t hb[BS_HDR_LEN];
	char a[32], b[32];
	int rc;

	bs_hdr_encode(h, hb);
	bs_wr_init(&w, 1, "stdout");
	progress_init(&pg, cmd, "B", s->size, o->quiet);
	memset(&sc, 0, sizeof sc);
	src_init(&sc.src, s, h->block, o);
	bs_hash_init(&sc.hash, h->hash_id, h->hash_len, h->seed);
	sc.block = h->block;
	sc.sig = sr;
	sc.prog = &pg;
	bs_dw_init(&sc.dw, &w, o->level);
	rc = bs_wr_put(&w, hb, sizeof hb) < 0 ? RC_IO : bs_scan_run(&sc);
	if (rc == RC_OK)
		progress_done(&pg, "%s: %llu of %llu blocks in the delta, %s of data, %s written, %.2f s",
			      s->name, (unsigned long long)sc.changed, (unsigned long long)sc.compared,
			      progress_human(a, sizeof a, (double)sc.dw.data_bytes),
			      progress_human(b, sizeof b, (double)w.total), progress_elapsed(&pg));
	if (o->json)
		bs_json(2, cmd, sc.compared, sc.changed, w.total, sc.dw.data_bytes,
			progress_elapsed(&pg), rc);
	bs_dw_free(&sc.dw);
	bs_wr_free(&w);
	return rescued(&sc.src, rc);
}

static int
cmd_diff(const char *source, const char *sigs, const struct bs_opts *o)
{
	struct img s, g;
	struct bs_sig_rd sr;
	struct bs_hdr h;
	int rc;

	if ((rc = open_source(&s, source, o)) || (rc = open_img(&g, sigs, O_RDONLY)) ||
	    (rc = check_stdout(o, &s, &g)))
		return rc;
	if ((rc = bs_sig_rd_open(&sr, g.fd, g.name)))
		goto out;
	if ((o->block && o->block != sr.hdr.block) || (o->hash_id && o->hash_id != sr.hdr.hash_id)) {
		warn_rc(RC_REFUSED, "%s: signatures of %u-byte blocks with %s, not the %u-byte %s asked for",
			g.name, sr.hdr.block, bs_hash_name(sr.hdr.hash_id),
			o->block ? o->block : sr.hdr.block,
			bs_hash_name(o->hash_id ? o->hash_id : sr.hdr.hash_id));
		rc = RC_REFUSED;
		goto out;
	}
	if (sr.hdr.start) {
		warn_off(RC_DATA, g.name, 0, "a partial SIGS stream");
		rc = RC_DATA;
		goto out;
	}
	memset(&h, 0, sizeof h);
	h.kind = BS_DELTA;
	h.version = BS_VERSION;
	h.hash_id = sr.hdr.hash_id;
	h.hash_len = sr.hdr.hash_len;
	h.block = sr.hdr.block;
	h.seed = sr.hdr.seed;
	h.size = s.size;
	h.base_size = sr.hdr.size;
	if (bs_sig_peek_id(g.fd, &sr.hdr, h.base_id) == 0)
		h.flags |= BS_F_BASEID;
	rc = emit_delta(o, "diff", &s, &sr, &h);
out:
	bs_sig_rd_free(&sr);
	return rc;
}

static int
cmd_full(const char *source, const struct bs_opts *o)
{
	struct img s;
	struct bs_hdr h;
	int rc;

	if ((rc = open_source(&s, source, o)) || (rc = check_stdout(o, &s, NULL)))
		return rc;
	opts_hdr(&h, BS_DELTA, BS_F_FULL, s.size, o);
	return emit_delta(o, "full", &s, NULL, &h);
}

static void
ap_setup(struct bs_ap *a, const struct img *t, int write, int digests, struct progress *pg)
{
	memset(a, 0, sizeof *a);
	a->fd = t->fd;
	a->name = t->name;
	a->tsize = t->size;
	a->is_blk = S_ISBLK(t->st.st_mode);
	a->write = write;
	a->digests = digests;
	a->prog = pg;
}

static int
patch_summary(const struct bs_opts *o, const char *cmd, struct progress *pg,
	      const struct img *t, const struct bs_dr *d, const struct bs_ap *a, int rc)
{
	char b[32];

	if (rc == RC_OK)
		progress_done(pg, "%s: %llu records applied, %s written, %.2f s", t->name,
			      (unsigned long long)d->records,
			      progress_human(b, sizeof b, (double)(d->data_bytes + d->zero_bytes)),
			      progress_elapsed(pg));
	if (o->json)
		bs_json(1, cmd, 0, d->records, d->rd.off, a->written, progress_elapsed(pg), rc);
	return rc;
}

/* The target is the result of this delta already (a re-run). */
static int
already_applied(const struct img *t, int dfd, const struct bs_hdr *h)
{
	struct bs_trailer tr;
	struct bs_hash hs;
	uint8_t id[BS_DIGEST_LEN];

	if (t->size != h->size || bs_delta_peek_trailer(dfd, h, &tr) < 0)
		return 0;
	bs_hash_init(&hs, h->hash_id, h->hash_len, h->seed);
	if (bs_image_id(t->fd, t->name, t->size, h->block, &hs, 1, id) != RC_OK)
		return 0;
	return memcmp(id, tr.result, BS_DIGEST_LEN) == 0;
}

static int
cmd_patch(const char *target, const char *delta, const struct bs_opts *o)
{
	struct img t, dl;
	struct bs_dr d;
	struct bs_ap a;
	struct progress pg;
	uint8_t id[BS_DIGEST_LEN];
	char x[2][65];
	int rc, seekable;

	if ((rc = open_img(&t, target, O_RDWR)) || (rc = open_img(&dl, delta ? delta : "-", O_RDONLY)))
		return rc;
	if (!S_ISREG(t.st.st_mode) && !S_ISBLK(t.st.st_mode)) {
		warn_rc(RC_DATA, "%s: not a regular file or block device", target);
		return RC_DATA;
	}
	if (same_file(&t.st, &dl.st)) {
		warn_rc(RC_REFUSED, "%s: the delta and the target are the same file", target);
		return RC_REFUSED;
	}
	if (isatty(dl.fd)) {
		warn_rc(RC_USAGE, "the delta is read from stdin, which is a terminal");
		return RC_USAGE;
	}
	seekable = S_ISREG(dl.st.st_mode) && lseek(dl.fd, 0, SEEK_CUR) == 0;
	progress_init(&pg, "patch", "B", 0, o->quiet);
	if ((rc = bs_dr_open(&d, dl.fd, dl.name)))
		goto out;
	if (d.hdr.flags & BS_F_LIVE) {
		warn_off(RC_DATA, dl.name, 0, "a live delta from push, not for patch");
		rc = RC_DATA;
		goto out;
	}
	if (seekable && !(d.hdr.flags & BS_F_FULL) && d.hdr.base_size != t.size &&
	    already_applied(&t, dl.fd, &d.hdr)) {
		note("%s: already up to date with this delta", target);
		goto out;
	}
	/* an interrupted patch of a file that grows has grown part way; the
	 * check pass decides whether it can be completed */
	if ((rc = bs_ap_check_target(&d.hdr, dl.name, target,
				  seekable && S_ISREG(t.st.st_mode) && !(d.hdr.flags & BS_F_FULL) &&
				  t.size > d.hdr.base_size && t.size <= d.hdr.size ?
				  d.hdr.base_size : t.size, S_ISBLK(t.st.st_mode))))
		goto out;
	pg.total = d.hdr.size;
	if (seekable) {
		/* check everything before writing anything */
		ap_setup(&a, &t, 0, 1, &pg);
		if ((rc = bs_ap_run(&a, &d)) || (rc = bs_dr_check_eof(&d)))
			goto out;
		if (a.already) {
			note("%s: already up to date with this delta", target);
			goto out;
		}
		if (a.partial)
			note("%s: partly patched already (an interrupted run?); completing it", target);
		bs_dr_free(&d);
		if (lseek(dl.fd, 0, SEEK_SET) != 0) {
			warn_sys(RC_IO, "%s: seek", dl.name);
			return RC_IO;
		}
		pg.start = pg.last;
		if ((rc = bs_dr_open(&d, dl.fd, dl.name)))
			goto out;
		ap_setup(&a, &t, 1, 0, &pg);
	} else {
		if ((d.hdr.flags & BS_F_BASEID) && !(d.hdr.flags & BS_F_FULL)) {
			struct bs_hash hs;

			bs_hash_init(&hs, d.hdr.hash_id, d.hdr.hash_len, d.hdr.seed);
			if ((rc = bs_image_id(t.fd, target, t.size, d.hdr.block, &hs, 0, id)))
				goto out;
			if (memcmp(id, d.hdr.base_id, BS_DIGEST_LEN) != 0) {
				warn_rc(RC_REFUSED, "%s: not the base this delta was made for (identity %s, the delta needs %s)",
					target, hex_encode(id, bs_hash_len(d.hdr.hash_id), x[0]),
					hex_encode(d.hdr.base_id, bs_hash_len(d.hdr.hash_id), x[1]));
				rc = RC_REFUSED;
				goto out;
			}
		}
		ap_setup(&a, &t, 1, 1, &pg);
	}
	if ((rc = bs_ap_run(&a, &d)) == RC_OK)
		rc = bs_dr_check_eof(&d);
	patch_summary(o, "patch", &pg, &t, &d, &a, rc);
out:
	bs_dr_free(&d);
	return rc;
}

static int
cmd_restore(const char *image, const char *target, const struct bs_opts *o)
{
	struct img m, t;
	struct bs_dr d;
	struct bs_ap a;
	struct atomic_out out;
	struct progress pg;
	struct stat st;
	int rc, blk = 0;

	if ((rc = open_img(&m, image, O_RDONLY)))
		return rc;
	if (stat(target, &st) == 0) {
		blk = S_ISBLK(st.st_mode);
		if (same_file(&st, &m.st)) {
			warn_rc(RC_REFUSED, "%s: the image and the target are the same file", target);
			return RC_REFUSED;
		}
	}
	progress_init(&pg, "restore", "B", 0, o->quiet);
	if ((rc = bs_dr_open(&d, m.fd, m.name)))
		goto out;
	pg.total = d.hdr.size;
	if (!(d.hdr.flags & BS_F_FULL)) {
		warn_off(RC_DATA, m.name, 0, "a delta, not a full image (use 'blksync patch')");
		rc = RC_DATA;
		goto out;
	}
	if (blk) {
		if ((rc = open_img(&t, target, O_RDWR)) ||
		    (rc = bs_ap_check_target(&d.hdr, m.name, target, t.size, 1)))
			goto out;
		ap_setup(&a, &t, 1, 1, &pg);
		if ((rc = bs_ap_run(&a, &d)) == RC_OK)
			rc = bs_dr_check_eof(&d);
		close(t.fd);
	} else {
		if ((rc = atomic_open(&out, target, o->force ? ATOMIC_OVERWRITE : 0, 0644)))
			goto out;
		memset(&t, 0, sizeof t);
		t.fd = out.fd;
		t.name = target;
		ap_setup(&a, &t, 1, 1, &pg);
		a.fresh = 1;
		if ((rc = bs_ap_run(&a, &d)) == RC_OK)
			rc = bs_dr_check_eof(&d);
		if (rc == RC_OK)
			rc = atomic_commit(&out);
		else
			atomic_abort(&out);
	}
	patch_summary(o, "restore", &pg, &t, &d, &a, rc);
out:
	bs_dr_free(&d);
	return rc;
}

/* ---- verify ---- */

struct ranges {
	uint64_t start, len, count, bytes;
};

static void
range_add(struct ranges *r, uint64_t off, uint64_t len)
{
	r->bytes += len;
	if (r->len && r->start + r->len == off) {
		r->len += len;
		return;
	}
	if (r->len)
		printf("%llu %llu\n", (unsigned long long)r->start, (unsigned long long)r->len);
	r->start = off;
	r->len = len;
	r->count++;
}

static void
range_end(struct ranges *r)
{
	if (r->len)
		printf("%llu %llu\n", (unsigned long long)r->start, (unsigned long long)r->len);
}

static int
verify_images(struct img *a, struct img *b, uint32_t B, struct ranges *r, struct progress *pg,
	      uint64_t *blocks, const struct bs_opts *o)
{
	uint64_t common = a->size < b->size ? a->size : b->size;
	uint8_t *ba = bs_alloc(BS_CHUNK), *bb = bs_alloc(BS_CHUNK);
	struct bs_src sa, sb;
	int rc = RC_OK;

	src_init(&sa, a, B, o);
	src_init(&sb, b, B, o);
	for (uint64_t off = 0; off < common && rc == RC_OK; off += BS_CHUNK) {
		size_t n = common - off < BS_CHUNK ? (size_t)(common - off) : BS_CHUNK;

		if ((rc = bs_src_read(&sa, ba, n, off)) || (rc = bs_src_read(&sb, bb, n, off)))
			break;
		for (size_t o2 = 0; o2 < n; o2 += B) {
			size_t k = n - o2 < B ? n - o2 : B;

			++*blocks;
			if (memcmp(ba + o2, bb + o2, k) != 0)
				range_add(r, off + o2, k);
		}
		progress_update(pg, off + n);
	}
	free(ba);
	free(bb);
	return rc;
}

static int
verify_sigs(struct img *a, struct img *g, const struct bs_opts *o, struct ranges *r,
	    struct progress *pg, uint64_t *blocks, uint64_t *other_size)
{
	struct bs_sig_rd sr;
	struct bs_hash hs;
	struct bs_src sa;
	uint8_t *buf = bs_alloc(BS_CHUNK), h[BS_DIGEST_LEN];
	uint64_t common;
	uint32_t B;
	int rc;

	if ((rc = bs_sig_rd_open(&sr, g->fd, g->name)))
		goto out;
	B = sr.hdr.block;
	if (o->block && o->block != B) {
		warn_rc(RC_REFUSED, "%s: signatures of %u-byte blocks, not the %u asked for",
			g->name, B, o->block);
		rc = RC_REFUSED;
		goto out;
	}
	bs_hash_init(&hs, sr.hdr.hash_id, sr.hdr.hash_len, sr.hdr.seed);
	*other_size = sr.hdr.size;
	common = a->size < sr.hdr.size ? a->size : sr.hdr.size;
	src_init(&sa, a, B, o);
	for (uint64_t off = 0; off < common && rc == RC_OK; off += BS_CHUNK) {
		size_t n = common - off < BS_CHUNK ? (size_t)(common - off) : BS_CHUNK;

		if ((rc = bs_src_read(&sa, buf, n, off)))
			break;
		for (size_t o2 = 0; o2 < n && rc == RC_OK; o2 += B) {
			size_t k = n - o2 < B ? n - o2 : B;
			uint64_t i = (off + o2) / B;
			uint64_t bl = sr.hdr.size - i * B < B ? sr.hdr.size - i * B : B;
			const uint8_t *sh;

			if ((rc = bs_sig_rd_next(&sr, &sh)))
				break;
			++*blocks;
			bs_block_hash(&hs, buf + o2, k, h);
			if (bl != k || memcmp(h, sh, hs.wl) != 0)
				range_add(r, off + o2, k);
		}
		progress_update(pg, off + n);
	}
	if (rc == RC_OK)
		rc = bs_sig_rd_finish(&sr, 1);
out:
	bs_sig_rd_free(&sr);
	free(buf);
	return rc;
}

static int
cmd_verify(const char *pa, const char *pb, const struct bs_opts *o)
{
	struct img a, b;
	struct ranges r;
	struct progress pg;
	uint8_t magic[8];
	uint64_t blocks = 0, bsize;
	int rc, sigs;

	if ((rc = open_source(&a, pa, o)) || (rc = open_img(&b, pb, O_RDONLY)))
		return rc;
	sigs = !S_ISBLK(b.st.st_mode) &&
	       (!S_ISREG(b.st.st_mode) ||
		(pread_full(b.fd, magic, 8, 0) == 8 && memcmp(magic, "BLKSYNCS", 8) == 0));
	memset(&r, 0, sizeof r);
	progress_init(&pg, "verify", "B", a.size, o->quiet);
	bsize = b.size;
	if (sigs)
		rc = verify_sigs(&a, &b, o, &r, &pg, &blocks, &bsize);
	else
		rc = verify_images(&a, &b, o->block ? o->block : BS_MIN_BLOCK, &r, &pg, &blocks, o);
	if (rc == RC_OK && a.size != bsize) {
		uint64_t lo = a.size < bsize ? a.size : bsize, hi = a.size < bsize ? bsize : a.size;

		range_add(&r, lo, hi - lo);
	}
	range_end(&r);
	if (rc == RC_OK && r.count) {
		progress_clear();
		if (!o->quiet) {
			if (a.size != bsize)
				note("%s has %llu bytes, %s has %llu", pa, (unsigned long long)a.size,
				     pb, (unsigned long long)bsize);
			note("%s and %s differ: %llu ranges, %llu bytes", pa, pb,
			     (unsigned long long)r.count, (unsigned long long)r.bytes);
		}
		rc = RC_DIFF;
	} else if (rc == RC_OK) {
		progress_done(&pg, "%s and %s are the same (%llu blocks), %.2f s", pa, pb,
			      (unsigned long long)blocks, progress_elapsed(&pg));
	}
	if (o->json)
		bs_json(1, "verify", blocks, r.count, 0, r.bytes, progress_elapsed(&pg), rc);
	return rc;
}

static uint32_t
parse_block(const char *s)
{
	uint64_t v;

	if (opt_parse_size(s, &v) < 0 || v < BS_MIN_BLOCK || v > BS_MAX_BLOCK || (v & (v - 1)))
		die_usage("bad --block '%s' (a power of two from 4K to 1M)", s);
	return (uint32_t)v;
}

static int
nargs(int have, int want_min, int want_max, const char *cmd)
{
	if (have < want_min)
		die_usage("%s: missing argument", cmd);
	if (have > want_max)
		die_usage("%s: too many arguments", cmd);
	return have;
}

int
blksync_main(int argc, char **argv)
{
	struct bs_opts o;
	const char *cmd;
	char **args;
	int c, n;

	memset(&o, 0, sizeof o);
	o.level = 1;
	if (argc < 2 || argv[1][0] == '-') {
		optind = 1;
		while ((c = opt_next(argc, argv, "+:", longopts, usage)) != -1)
			;
		die_usage("missing command");
	}
	cmd = argv[1];
	argc--;
	argv++;
	optind = 1;
	while ((c = opt_next(argc, argv, "+:b:z:fq", longopts, usage)) != -1) {
		switch (c) {
		case 'b':
			o.block = parse_block(optarg);
			break;
		case OPT_HASH:
			if (bs_hash_parse(optarg, &o.hash_id) < 0)
				die_usage("bad --hash '%s' (xxh3 or sha256)", optarg);
			break;
		case 'z':
			o.level = (int)opt_uint("--level", optarg, 0, 9);
			break;
		case OPT_SEED:
			o.seed = opt_uint("--seed", optarg, 0, UINT64_MAX);
			o.seed_set = 1;
			break;
		case OPT_RESUME:
			o.resume = optarg;
			break;
		case OPT_RESCUE:
			o.rescue = 1;
			break;
		case OPT_DIRECT:
			o.direct = 1;
			break;
		case 'f':
			o.force = 1;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case OPT_FLAT:
			o.flat = 1;
			break;
		case OPT_JSON:
			o.json = 1;
			o.quiet = 1;
			break;
		default:
			die_usage("unknown option");
		}
	}
	args = argv + optind;
	n = argc - optind;
	if (o.resume && strcmp(cmd, "push") != 0)
		die_usage("--resume is for push");
	if (strcmp(cmd, "sig") == 0 && nargs(n, 1, 1, cmd))
		return cmd_sig(args[0], &o);
	if (strcmp(cmd, "diff") == 0 && nargs(n, 2, 2, cmd))
		return cmd_diff(args[0], args[1], &o);
	if (strcmp(cmd, "patch") == 0 && nargs(n, 1, 2, cmd))
		return cmd_patch(args[0], n > 1 ? args[1] : NULL, &o);
	if (strcmp(cmd, "full") == 0 && nargs(n, 1, 1, cmd))
		return cmd_full(args[0], &o);
	if (strcmp(cmd, "restore") == 0 && nargs(n, 2, 2, cmd))
		return cmd_restore(args[0], args[1], &o);
	if (strcmp(cmd, "verify") == 0 && nargs(n, 2, 2, cmd))
		return cmd_verify(args[0], args[1], &o);
	if (strcmp(cmd, "serve") == 0 && nargs(n, 1, 1, cmd))
		return bs_serve(args[0], &o);
	if (strcmp(cmd, "push") == 0) {
		if (n < 1)
			die_usage("push: missing SOURCE");
		if (n < 3 || strcmp(args[1], "--") != 0)
			die_usage("push: expected SOURCE -- CMD [ARGS...]");
		return bs_push(args[0], args + 2, &o);
	}
	die_usage("unknown command '%s'", cmd);
}
