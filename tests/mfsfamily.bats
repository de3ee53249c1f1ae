#!/usr/bin/env bats
# mfsmetarestore -a's report (which file, what wrote it, how far the
# changelogs take it, why it is picked) and the refusals that name what wrote
# a file rescue does not read: MooseFS 1.6 and 4.x, LizardFS (LIZM and its
# colliding MFSM 2.0), SaunaFS.  docs/man/mfsmetarestore.1 "-a report".
load helpers

FX=$FIXTURES/mfsmetarestore
FAM=$FIXTURES/mfs-families
SECS30="SESS 1.5 SCLA 1.6 NODE 1.4 EDGE 1.1 FREE 1.0 QUOT 1.1 XATR 1.0 PACL 1.1 OPEN 1.0 FLCK 1.0 PLCK 1.0 CSDB 1.3 CHNK 1.1"

# report SET...: copy the fixture sets into a fresh $D
report() {
	D=$BATS_TEST_TMPDIR/data
	rm -rf "$D"
	mkdir -p "$D"
	local s
	for s in "$@"; do cp "$s"/* "$D/"; done
	chmod u+w "$D"/*
}

# err_line LINE: stderr has exactly this line; err_has TEXT: a line holds it;
# err_regex RE: a line matches
err_line() { grep -Fxq -- "$1" <<<"$stderr" || fail "no stderr line: $1"; }
err_has() { grep -Fq -- "$1" <<<"$stderr" || fail "no stderr line with: $1"; }
err_regex() { grep -Eq -- "$1" <<<"$stderr" || fail "no stderr line matching: $1"; }

# sess_minor D IN OUT: IN with its first section (SESS 1.5) relabelled 1.D
sess_minor() {
	python3 -c 'import sys; d=bytearray(open(sys.argv[2],"rb").read()); assert d[24:32]==b"SESS 1.5"; d[31]=ord(sys.argv[1]); open(sys.argv[3],"wb").write(d)' "$@"
}

# foreign files: only their headers and ends matter
lizm() { { printf 'LIZM 2.9'; head -c 16 /dev/zero; printf '[MFS EOF MARKER]'; } >"$1"; }
sfsm() { { printf 'SFSM 2.9'; head -c 16 /dev/zero; printf '[SFS EOF MARKER]'; } >"$1"; }
mfsm15() { { printf 'MFSM 1.5'; printf '\0\0\0\1\0\0\0\0\0\0\0\x09\0\0\0\1'; head -c 16 /dev/zero; } >"$1"; }
# LizardFS 2.5/2.6: MFSM 2.0, u32 maxnodeid, u64 version, u32 nextsessionid, NODE 1.0 first
lizm20() {
	{ printf 'MFSM 2.0\0\0\0\1\0\0\0\0\0\0\0\x09\0\0\0\1NODE 1.0'; printf '\0\0\0\0\0\0\0\1\0'
	  printf '[MFS EOF MARKER]'; } >"$1"
}

@test "mfsfamily: -a names each file's family, id, version and reach, and why it picks one (exit 0)" {
	report "$FX/full"
	run_tool mfsmetarestore -a -d "$D"
	assert_success
	assert_equal "$(sed -n 1,5p <<<"$stderr")" "mfsmetarestore: data path $D: 2 metadata file(s), 2 changelog file(s)
mfsmetarestore: changelogs: changes 1..1585 in 2 file(s)
mfsmetarestore: $D/metadata.mfs.back: MooseFS 3.0.112..3.0.118 (MFSM 2.0; $SECS30), id 6B016BDC7D17E0CC, version 442; with the changelogs it reaches version 1586
mfsmetarestore: $D/metadata.mfs.back.1: MooseFS (MFSM NEW: a new, empty filesystem), no id, version 1; with the changelogs it reaches version 1586
mfsmetarestore: using $D/metadata.mfs.back (version 442): the highest version among the 2 file(s) rescue can load (as mfsmaster -a picks); the changelogs take it to version 1586"
}

@test "mfsfamily: -a on a metalogger set names metadata_ml.mfs.back and its changelog_ml files (exit 0)" {
	report "$FX/metalogger"
	run_tool mfsmetarestore -a -d "$D"
	assert_success
	err_line "mfsmetarestore: data path $D: 1 metadata file(s), 3 changelog file(s)"
	assert_equal "$(sed -n 3p <<<"$stderr")" "mfsmetarestore: $D/metadata_ml.mfs.back: MooseFS 3.0.112..3.0.118 (MFSM 2.0; $SECS30), id 6B016BDC7D17E0CC, version 442; with the changelogs it reaches version 1586"
}

@test "mfsfamily: -a names a metadata.mfs.emergency and picks the highest version (exit 0)" {
	report "$FX/small"
	cp "$FX/full/metadata.mfs.back" "$D/metadata.mfs.emergency"
	mv "$D/metadata.mfs.back" "$D/metadata.mfs.back.2"
	run_tool mfsmetarestore -q -a -d "$D"
	# -q: no report
	assert_equal "$(grep -c 'MooseFS' <<<"$stderr")" 0
	report "$FX/small"
	rm -f "$D"/metadata.mfs
	cp "$FX/small/metadata.mfs.back" "$D/metadata.mfs.back.2"
	rm "$D/metadata.mfs.back"
	cp "$FX/small/metadata.mfs.back" "$D/metadata.mfs.emergency"
	run_tool mfsmetarestore -a -d "$D"
	assert_success
	assert_equal "$(grep -c "^mfsmetarestore: $D/metadata.mfs.emergency: MooseFS 3.0.112..3.0.118 (MFSM 2.0; $SECS30), id 6B016BDC73B56394, version 19; with the changelogs it reaches version 34$" <<<"$stderr")" 1
	assert_equal "$(grep -c "^mfsmetarestore: using $D/metadata.mfs.back.2 (version 19): the highest version among the 3 file(s) rescue can load" <<<"$stderr")" 1
}

@test "mfsfamily: -a names a snapshot written long before the changelogs as STALE (a master that stopped saving) (exit 0)" {
	report "$FX/small"
	touch -d '2026-01-01 00:00' "$D/metadata.mfs.back"
	touch -d '2026-02-01 00:00' "$D"/changelog.*.mfs
	run_tool mfsmetarestore -a -d "$D"
	assert_success
	assert_equal "$(sed -n 3p <<<"$stderr")" "mfsmetarestore: $D/metadata.mfs.back: MooseFS 3.0.112..3.0.118 (MFSM 2.0; $SECS30), id 6B016BDC73B56394, version 19; with the changelogs it reaches version 34; STALE: written 744 hours (31 days) before the newest changelog: the master stopped saving metadata (look for full disks, fork or write errors in its syslog); the changelogs carry the changes since"
	# an hour apart is a normal save cycle: not stale
	report "$FX/small"
	touch -d '2026-02-01 00:00' "$D/metadata.mfs.back"
	touch -d '2026-02-01 01:00' "$D"/changelog.*.mfs
	run_tool mfsmetarestore -a -d "$D"
	assert_success
	! grep -q STALE <<<"$stderr"
}

@test "mfsfamily: -a names a metalogger snapshot far older than its changelogs as a metalogger that stopped downloading (exit 0)" {
	report "$FX/metalogger"
	touch -d '2026-01-01 00:00' "$D/metadata_ml.mfs.back"
	touch -d '2026-01-03 00:00' "$D"/changelog_ml*.mfs
	run_tool mfsmetarestore -a -d "$D"
	assert_success
	err_has "; STALE: written 48 hours (2 days) before the newest changelog: the metalogger stopped downloading metadata"
}

@test "mfsfamily: -a says when no changelog continues a snapshot (a gap) (exit 0)" {
	report "$FX/full"
	rm "$D/changelog.1.mfs" "$D/metadata.mfs.back"
	run_tool mfsmetarestore -a -b -d "$D"
	assert_equal "$(sed -n 3p <<<"$stderr")" "mfsmetarestore: $D/metadata.mfs.back.1: MooseFS (MFSM NEW: a new, empty filesystem), no id, version 1; no changelog continues it (they start at change $(head -n1 "$FX/full/changelog.0.mfs" | cut -d: -f1): a gap)"
}

@test "mfsfamily: -a names the release range of an older MooseFS 3.0 snapshot (exit 0)" {
	requires root
	report "$FX/small"
	python3 "$TESTS_DIR/mfsold-gen" "$FX/small/metadata.mfs.back" "$D/metadata.mfs.back" 3.0.32
	run_tool mfsmetarestore -a -d "$D"
	assert_success
	assert_equal "$(sed -n 3p <<<"$stderr")" "mfsmetarestore: $D/metadata.mfs.back: MooseFS 3.0.32..3.0.71 (MFSM 2.0; SESS 1.3 LABS 1.5 NODE 1.3 EDGE 1.1 FREE 1.0 QUOT 1.1 XATR 1.0 PACL 1.0 OPEN 1.0 FLCK 1.0 PLCK 1.0 CSDB 1.2 CHNK 1.1), id 6B016BDC73B56394, version 19; with the changelogs it reaches version 34"
}

@test "mfsfamily: -a names a MooseFS 4.x snapshot by its section versions (SESS 1.6, SCLA 1.<, PATT, CHNK 1.2)" {
	report "$FAM/v4"
	run_tool mfsmetarestore -a -d "$D"
	err_regex "^mfsmetarestore: $D/metadata.mfs.back: MooseFS 4.x \(MFSM 2.0; SESS 1.6 SCLA 1.< PATT 1.1 NODE 1.4 EDGE 1.1 FREE 1.0 QUOT 1.1 XATR 1.0 PACL 1.1 OPEN 1.0 FLCK 1.0 PLCK 1.0 CSDB 1.3 CHNK 1.2\)"
	err_has "), id 6B14515D20C3F31D, version 309"
}

@test "mfsfamily: -a refuses to fall back to an older snapshot when the newest is from a MooseFS it cannot load (exit 3)" {
	report "$FX/small"
	# the newest snapshot: a section version newer than any 3.0/4.x wrote
	sess_minor 9 "$FX/full/metadata.mfs.back" "$D/metadata.mfs.back"
	head -c 8 "$D/metadata.mfs.back" | grep -q 'MFSM 2.0'
	grep -qa 'SESS 1.9' "$D/metadata.mfs.back"
	snapshot "$D"/*
	run_tool mfsmetarestore -a -d "$D"
	assert_failure 3
	err_has "mfsmetarestore: $D/metadata.mfs.back: a MooseFS newer than 4.59.2 (sections it does not know) (MFSM 2.0; SESS 1.9 SCLA 1.6"
	assert_equal "$(tail -n1 <<<"$stderr")" "mfsmetarestore: $D/metadata.mfs.back (version 442) was written by a MooseFS newer than 4.59.2 (sections it does not know) (MFSM 2.0; SESS 1.9 $(echo "$SECS30" | cut -d' ' -f3-)), which this rescue cannot load; restoring an older file instead would lose the changes since: restore it with a master of that version"
	assert_unchanged
	[ ! -e "$D/metadata.mfs" ]
}

@test "mfsfamily: -a lists LizardFS, SaunaFS and MooseFS 1.6 files as not used, with what to do, and restores from the MooseFS one (exit 0)" {
	report "$FX/small"
	lizm "$D/metadata.mfs.back.5"
	lizm20 "$D/metadata.mfs.back.6"
	sfsm "$D/metadata.mfs.back.7"
	mfsm15 "$D/metadata.mfs.back.8"
	run_tool mfsmetarestore -a -d "$D"
	assert_success
	err_line "mfsmetarestore: $D/metadata.mfs.back.5: LizardFS 3.x (LIZM; early SaunaFS wrote it too): not used: restore it with LizardFS's own tools (mfsmetarestore -a of the LizardFS release that wrote it); rescue reads MooseFS only"
	err_line "mfsmetarestore: $D/metadata.mfs.back.6: LizardFS 2.5/2.6 (MFSM 2.0 with LizardFS's sections: NODE first, ACLS, LOCK); NODE 1.0: not used: restore it with LizardFS's own tools (mfsmetarestore -a of the LizardFS release that wrote it); rescue reads MooseFS only"
	err_line "mfsmetarestore: $D/metadata.mfs.back.7: SaunaFS (SFSM/SAUM): not used: restore it with SaunaFS's own tools (sfsmetarestore -a); rescue reads MooseFS only"
	# (a header alone: no 1.6 end record)
	err_line "mfsmetarestore: $D/metadata.mfs.back.8: MooseFS 1.6 (MFSM 1.5), damaged (too short, or no end record): not used: use an older copy (metadata.mfs.back.N, metadata_ml.mfs.back)"
	err_has "mfsmetarestore: using $D/metadata.mfs.back (version 19): the highest version among the 2 file(s) rescue can load"
}

# -m refusals: the message names what wrote the file and what to do

@test "mfsfamily: -m with a LizardFS LIZM file is refused naming LizardFS (exit 3)" {
	lizm "$BATS_TEST_TMPDIR/m.mfs"
	run_tool mfsmetarestore -m "$BATS_TEST_TMPDIR/m.mfs" -o "$BATS_TEST_TMPDIR/o.mfs"
	assert_failure 3
	assert_equal "$stderr" "mfsmetarestore: $BATS_TEST_TMPDIR/m.mfs@0: not a MooseFS metadata file: LizardFS 3.x (LIZM; early SaunaFS wrote it too); restore it with LizardFS's own tools (mfsmetarestore -a of the LizardFS release that wrote it); rescue reads MooseFS only"
}

@test "mfsfamily: -m with LizardFS's colliding MFSM 2.0 is refused naming LizardFS, also with -i (exit 3)" {
	lizm20 "$BATS_TEST_TMPDIR/m.mfs"
	for i in "" -i; do
		run_tool mfsmetarestore $i -m "$BATS_TEST_TMPDIR/m.mfs" -o "$BATS_TEST_TMPDIR/o.mfs"
		assert_failure 3
		assert_equal "$stderr" "mfsmetarestore: $BATS_TEST_TMPDIR/m.mfs@24: not a MooseFS metadata file: LizardFS 2.5/2.6 (MFSM 2.0 with LizardFS's sections: NODE first, ACLS, LOCK); restore it with LizardFS's own tools; rescue reads MooseFS only"
		[ ! -e "$BATS_TEST_TMPDIR/o.mfs" ]
	done
}

@test "mfsfamily: -m with a SaunaFS file is refused naming SaunaFS (exit 3)" {
	sfsm "$BATS_TEST_TMPDIR/m.mfs"
	run_tool mfsmetarestore -m "$BATS_TEST_TMPDIR/m.mfs" -o "$BATS_TEST_TMPDIR/o.mfs"
	assert_failure 3
	assert_equal "$stderr" "mfsmetarestore: $BATS_TEST_TMPDIR/m.mfs@0: not a MooseFS metadata file: SaunaFS (SFSM/SAUM); restore it with SaunaFS's own tools (sfsmetarestore -a); rescue reads MooseFS only"
}

@test "mfsfamily: -m with a MooseFS file older than 1.5 (MFSM 1.4) is refused naming it and how to convert it (exit 3)" {
	mfsm15 "$BATS_TEST_TMPDIR/m.mfs"
	printf 'MFSM 1.4' | dd of="$BATS_TEST_TMPDIR/m.mfs" conv=notrunc status=none
	run_tool mfsmetarestore -m "$BATS_TEST_TMPDIR/m.mfs" -o "$BATS_TEST_TMPDIR/o.mfs"
	assert_failure 3
	assert_equal "$stderr" "mfsmetarestore: $BATS_TEST_TMPDIR/m.mfs@0: metadata format 'MFSM 1.4' is not supported: MooseFS before 1.5 (MFSM 1.x without sections); MooseFS 3.0.117's mfsmaster converts it: put it in an empty DATA_PATH as metadata.mfs.back and run mfsmaster -a; rescue then reads what that writes"
}

@test "mfsfamily: mfsmetadump names the family of a file it does not read (exit 3)" {
	sfsm "$BATS_TEST_TMPDIR/m.mfs"
	run_tool mfsmetadump "$BATS_TEST_TMPDIR/m.mfs"
	assert_failure 3
	assert_equal "$stderr" "mfsmetadump: $BATS_TEST_TMPDIR/m.mfs@0: not a MooseFS metadata file: SaunaFS (SFSM/SAUM); restore it with SaunaFS's own tools (sfsmetarestore -a); rescue reads MooseFS only"
}

@test "mfsfamily: a section version newer than any rescue reads is refused naming the newest it reads (exit 3)" {
	sess_minor 9 "$FX/full/metadata.mfs.back" "$BATS_TEST_TMPDIR/m.mfs"
	grep -qa 'SESS 1.9' "$BATS_TEST_TMPDIR/m.mfs"
	run_tool mfsmetarestore -m "$BATS_TEST_TMPDIR/m.mfs" -o "$BATS_TEST_TMPDIR/o.mfs"
	assert_failure 3
	assert_equal "$stderr" "mfsmetarestore: $BATS_TEST_TMPDIR/m.mfs@24: section SESS version 1.9 is not supported (the newest read is 1.6; a MooseFS newer than 4.59.2 wrote this file)"
	[ ! -e "$BATS_TEST_TMPDIR/o.mfs" ]
}

@test "mfsfamily: --help of both tools says which versions are read and what else is refused (exit 0)" {
	run_tool mfsmetarestore --help
	assert_success
	assert_line "Reads MooseFS 2.0.60..3.0.118 metadata (MFSM 2.0 with every section version"
	assert_line "4.x metadata and writes what 4.59.2 writes.  A MooseFS 1.6 set (MFSM 1.5"
	assert_line "Refused (exit 3), naming what wrote them and what to do: MFSM 1.6/1.7 (MooseFS"
	run_tool mfsmetadump --help
	assert_success
	assert_line "Reads MooseFS 2.0.60..3.0.118 files (every section version 3.0.117 reads),"
	assert_line "and MooseFS 4.x files, printed as 4.59.2's mfsmetadump prints them."
	assert_line "MooseFS 1.6 files (MFSM 1.5) are printed as 1.6.27's mfsmetadump prints them."
	# the man pages and the guide say the same
	grep -q '^\.SH VERSIONS' "$TESTS_DIR/../docs/man/mfsmetarestore.1"
	grep -q '^\.SH VERSIONS' "$TESTS_DIR/../docs/man/mfsmetadump.1"
	grep -q '^## Which files' "$TESTS_DIR/../docs/moosefs.md"
}
