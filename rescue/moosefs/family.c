/* family.c: which software wrote a metadata file (family.h).
 * The release table is docs/moosefs-format.md 1.9; the LizardFS and SaunaFS
 * signatures are from their loaders (LizardFS fs_loadall: MFSM 1.5, MFSM 1.6,
 * MFSM 2.0 with its own sections, LIZM 2.9; SaunaFS: SFSM 2.9, SAUM 2.9,
 * LIZM 2.9, ending "[SFS EOF MARKER]"). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/xio.h"
#include "moosefs/family.h"
#include "moosefs/rd.h"
#include "moosefs/sections.h"
#include "moosefs/v16.h"

/* the sections each MooseFS release range writes, in file order */
static const struct {
	const char *rel, *secs;
} releases[] = {
	{ "2.0.60..2.0.91", "SESS 1.2 NODE 1.3 EDGE 1.1 FREE 1.0 QUOT 1.0 XATR 1.0 PACL 1.0 OPEN 1.0 CSDB 1.2 CHNK 1.0" },
	{ "3.0.11..3.0.31", "SESS 1.2 LABS 1.5 NODE 1.3 EDGE 1.1 FREE 1.0 QUOT 1.1 XATR 1.0 PACL 1.0 OPEN 1.0 FLCK 1.0 PLCK 1.0 CSDB 1.2 CHNK 1.1" },
	{ "3.0.32..3.0.71", "SESS 1.3 LABS 1.5 NODE 1.3 EDGE 1.1 FREE 1.0 QUOT 1.1 XATR 1.0 PACL 1.0 OPEN 1.0 FLCK 1.0 PLCK 1.0 CSDB 1.2 CHNK 1.1" },
	{ "3.0.72..3.0.74", "SESS 1.4 LABS 1.5 NODE 1.3 EDGE 1.1 FREE 1.0 QUOT 1.1 XATR 1.0 PACL 1.0 OPEN 1.0 FLCK 1.0 PLCK 1.0 CSDB 1.2 CHNK 1.1" },
	{ "3.0.75..3.0.88", "SESS 1.4 SCLA 1.6 NODE 1.3 EDGE 1.1 FREE 1.0 QUOT 1.1 XATR 1.0 PACL 1.0 OPEN 1.0 FLCK 1.0 PLCK 1.0 CSDB 1.3 CHNK 1.1" },
	{ "3.0.90..3.0.97", "SESS 1.4 SCLA 1.6 NODE 1.4 EDGE 1.1 FREE 1.0 QUOT 1.1 XATR 1.0 PACL 1.0 OPEN 1.0 FLCK 1.0 PLCK 1.0 CSDB 1.3 CHNK 1.1" },
	{ "3.0.98..3.0.111", "SESS 1.4 SCLA 1.6 NODE 1.4 EDGE 1.1 FREE 1.0 QUOT 1.1 XATR 1.0 PACL 1.1 OPEN 1.0 FLCK 1.0 PLCK 1.0 CSDB 1.3 CHNK 1.1" },
	{ "3.0.112..3.0.118", "SESS 1.5 SCLA 1.6 NODE 1.4 EDGE 1.1 FREE 1.0 QUOT 1.1 XATR 1.0 PACL 1.1 OPEN 1.0 FLCK 1.0 PLCK 1.0 CSDB 1.3 CHNK 1.1" },
};

#define ADVICE_NEWER "restore it with a MooseFS master of its own version (mfsmaster -a), or use a rescue that reads it"
#define ADVICE_LIZ "restore it with LizardFS's own tools (mfsmetarestore -a of the LizardFS release that wrote it); rescue reads MooseFS only"
#define ADVICE_SAUNA "restore it with SaunaFS's own tools (sfsmetarestore -a); rescue reads MooseFS only"
#define ADVICE_MFS1 "MooseFS 3.0.117's mfsmaster converts it: put it in an empty DATA_PATH as metadata.mfs.back and run mfsmaster -a; rescue then reads what that writes"

static uint8_t
sigver(const uint8_t *s, const char *prefix)
{
	if (memcmp(s, prefix, 5) != 0 || s[5] < '0' || s[5] > '9' || s[6] != '.' || s[7] < '0' || s[7] > '9')
		return 0;
	return (uint8_t)((s[5] - '0') << 4 | (s[7] - '0'));
}

const char *
mfs_sig_family(const struct mfs_header *h, const char **advice)
{
	uint8_t v = sigver(h->sig, "MFSM ");

	*advice = NULL;
	if (h->n < 8)
		return "not a metadata file (shorter than a header)";
	if (v == 0x15)
		return "MooseFS 1.6 (MFSM 1.5)";
	if (v && v < 0x15) {
		*advice = ADVICE_MFS1;
		return "MooseFS before 1.5 (MFSM 1.x without sections)";
	}
	if (v && v < 0x20) {
		*advice = ADVICE_MFS1;
		return "MooseFS 1.7/2.0 beta or LizardFS 2.x (MFSM 1.x: header without an id)";
	}
	if (v > 0x20) {
		*advice = ADVICE_NEWER;
		return "a MooseFS newer than 4.x (unknown MFSM signature)";
	}
	if (sigver(h->sig, "LIZM ")) {
		*advice = ADVICE_LIZ;
		return "LizardFS 3.x (LIZM; early SaunaFS wrote it too)";
	}
	if (sigver(h->sig, "SFSM ") || sigver(h->sig, "SAUM ") || !memcmp(h->sig, "SFSM NEW", 8) ||
	    !memcmp(h->sig, "SAUM NEW", 8)) {
		*advice = ADVICE_SAUNA;
		return "SaunaFS (SFSM/SAUM)";
	}
	if (v == 0x20 || !memcmp(h->sig, "MFSM NEW", 8))
		return "MooseFS";
	return "not a MooseFS, LizardFS or SaunaFS metadata file (unknown signature)";
}

const char *
mfs_lizardfs_layout(const char first_tag[4])
{
	/* MooseFS 2.0..4.x write SESS first; LizardFS's MFSM 2.0 starts with NODE 1.0 */
	return memcmp(first_tag, "SESS", 4) ? "LizardFS 2.5/2.6 (MFSM 2.0 with LizardFS's sections: NODE first, ACLS, LOCK)"
					     : NULL;
}

/* is tag/version a row of the section table (without a message) */
static int
readable(const struct mfs_sechdr *s)
{
	for (size_t i = 0; i < mfs_nsections; i++)
		if (!memcmp(mfs_sections[i].tag, s->tag, 4) && mfs_sections[i].ver == s->ver)
			return 1;
	return 0;
}

struct walk {
	char list[200];   /* "SESS 1.5 SCLA 1.6 ..." */
	char first[4];
	int n, unknown, v4, lizard, cut;
};

int
mfs_lizardfs_refuse(const char *name, const uint8_t *at24, size_t avail)
{
	if (avail < 8 || memcmp(at24, "NODE 1.0", 8) != 0)
		return 0;
	warn_off(RC_DATA, name, 24, "not a MooseFS metadata file: %s; %s", mfs_lizardfs_layout("NODE"),
		 "restore it with LizardFS's own tools; rescue reads MooseFS only");
	return RC_DATA;
}

static void
walk_sections(int fd, uint64_t size, struct walk *w)
{
	uint64_t off = 24;

	memset(w, 0, sizeof *w);
	while (off + 16 <= size) {
		uint8_t h[16];
		struct mfs_sechdr s;
		size_t l = strlen(w->list);
		if (pread_full(fd, h, 16, off) != 16 || !memcmp(h, MFS_EOF_MARKER, 16))
			return;
		mfs_sechdr_parse(h, &s);
		/* 4.x writes SCLA minor 12 as "1.<": a header all the same */
		if (!s.well_formed && !(h[4] == ' ' && h[6] == '.')) {
			w->cut = 1;
			return;
		}
		if (w->n++ == 0)
			memcpy(w->first, s.tag, 4);
		if (l + 10 < sizeof w->list)
			snprintf(w->list + l, sizeof w->list - l, "%s%.4s %c.%c", l ? " " : "", s.tag, h[5], h[7]);
		w->unknown += !readable(&s);
		w->v4 += mfs_sec_is_4x(&s);
		w->lizard += !memcmp(s.tag, "ACLS", 4) || !memcmp(s.tag, "LOCK", 4);
		if (s.len == UINT64_MAX || s.len > size - off - 16) {
			w->cut = 1;
			return;
		}
		off += 16 + s.len;
	}
}

static void
name_mfsm20(struct mfs_family *f, const struct walk *w)
{
	const char *liz = w->n ? mfs_lizardfs_layout(w->first) : NULL;
	const char *fam = "MooseFS 2.0/3.0 (a layout no release 2.0.60..3.0.118 wrote as a whole)";

	if (liz || w->lizard) {
		snprintf(f->name, sizeof f->name, "%s; %s", liz ? liz : "LizardFS (MFSM 2.0 with ACLS/LOCK sections)",
			 w->list);
		f->advice = ADVICE_LIZ;
		return;
	}
	for (size_t i = 0; i < sizeof releases / sizeof releases[0]; i++)
		if (!strcmp(w->list, releases[i].secs)) {
			snprintf(f->name, sizeof f->name, "MooseFS %s (MFSM 2.0; %s)", releases[i].rel, w->list);
			f->loadable = 1;
			return;
		}
	if (w->v4)
		fam = "MooseFS 4.x";
	else if (w->unknown)
		fam = "a MooseFS newer than 4.59.2 (sections it does not know)";
	snprintf(f->name, sizeof f->name, "%s (MFSM 2.0; %s%s)", fam, w->list, w->cut ? " ..." : "");
	f->loadable = !w->unknown && !w->cut;
	f->newer = !f->loadable && !w->cut;
	if (!f->loadable)
		f->advice = w->cut ? "the file is damaged (a section header or length is bad)" : ADVICE_NEWER;
}

int
mfs_family_of(const char *path, struct mfs_family *f)
{
	struct mfs_header h;
	struct mfs_rd r;
	struct walk w;
	int rc, fd = open_ro(path);

	memset(f, 0, sizeof *f);
	if (fd < 0)
		return RC_IO;
	rc = mfs_rd_init_fd(&r, path, fd);
	if (rc == RC_OK && (mfs_rd_header(&r, &h) != 0))
		rc = mfs_rd_fail(&r, "read error");
	if (rc == RC_OK) {
		f->version = h.version;
		f->metaid = h.metaid;
		const char *fam = mfs_sig_family(&h, &f->advice);
		if (h.kind == MFS_KIND_NEW) {
			f->is_new = f->loadable = 1;
			snprintf(f->name, sizeof f->name, "MooseFS (MFSM NEW: a new, empty filesystem)");
		} else if (h.kind == MFS_KIND_20 && (!h.full || !h.end_ok)) {
			snprintf(f->name, sizeof f->name, "MooseFS (MFSM 2.0), %s", mfs_header_problem(&h));
			f->advice = "use an older copy (metadata.mfs.back.N, metadata_ml.mfs.back) or -b";
		} else if (h.kind == MFS_KIND_20) {
			walk_sections(fd, r.size, &w);
			name_mfsm20(f, &w);
		} else if (!memcmp(h.sig, "MFSM 1.5", 8)) {
			/* MooseFS 1.6 (v16_*.c), when it looks whole */
			uint64_t v;
			f->loadable = v16_peek(path, &v) == RC_OK;
			snprintf(f->name, sizeof f->name, "MooseFS 1.6 (MFSM 1.5)%s",
				 f->loadable ? "" : ", damaged (too short, or no end record)");
			f->advice = f->loadable ? NULL : "use an older copy (metadata.mfs.back.N, metadata_ml.mfs.back)";
		} else {
			snprintf(f->name, sizeof f->name, "%s", fam);
		}
	}
	mfs_rd_close(&r);
	close(fd);
	return rc;
}
