/* family.h: what wrote a metadata file: the MooseFS release family (from
 * the signature and the section versions), LizardFS (its own `LIZM` and its
 * colliding `MFSM 1.5/1.6/2.0`) or SaunaFS, whether rescue loads it, and if
 * not what to do.  Reads only the header, the section headers (following
 * their lengths) and the tail.  Spec: docs/moosefs.md "Which files".
 * Never exits. */
#ifndef RESCUE_MFS_FAMILY_H
#define RESCUE_MFS_FAMILY_H

#include <stdint.h>

#include "moosefs/sections.h"

struct mfs_family {
	char name[320];      /* "MooseFS 3.0.112..3.0.118 (MFSM 2.0; SESS 1.5 ...)" */
	const char *advice;  /* not loadable: what to do (NULL when loadable) */
	int loadable;        /* rescue's loader reads every section of it */
	int is_new;          /* MFSM NEW */
	int newer;           /* a MooseFS newer than rescue reads, not loadable */
	uint64_t version, metaid;
};

/* Describe path.  RC_OK (f filled, also for files that are not metadata)
 * or RC_IO (message printed). */
int mfs_family_of(const char *path, struct mfs_family *f);

/* From the header alone (for refusals): the family of a signature that is
 * not MFSM 2.0/NEW, and what to do.  Never NULL. */
const char *mfs_sig_family(const struct mfs_header *h, const char **advice);

/* The family of an MFSM 2.0 file whose first section is first_tag (LizardFS
 * writes NODE first, MooseFS SESS): NULL when it is MooseFS's. */
const char *mfs_lizardfs_layout(const char first_tag[4]);

/* LizardFS 2.5/2.6's own MFSM 2.0 has NODE 1.0 where MooseFS has its first
 * section (SESS) at offset 24: then one message naming it and RC_DATA, else 0.
 * at24: the file's bytes from offset 24 (avail of them). */
int mfs_lizardfs_refuse(const char *name, const uint8_t *at24, size_t avail);

#endif
