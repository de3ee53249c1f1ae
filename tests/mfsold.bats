#!/usr/bin/env bats
# mfsmetarestore on the section versions MooseFS 2.0.60..3.0.116 wrote (and
# the older ones 3.0.117 still reads): tests/mfsold-gen rewrites the real
# 3.0.117 file of scenario full into each older layout; the installed
# MooseFS 3.0.117 restores the same file (mfsmaster -c CFG restore) and the
# results must be byte-identical.  Which release wrote which version:
# docs/moosefs-format.md "Older section versions".
load helpers

FX=$FIXTURES/mfsmetarestore
GEN=$TESTS_DIR/mfsold-gen

# old RELEASE [TAG=X.Y|--flag ...]: writes $BATS_TEST_TMPDIR/old.mfs
old() {
	requires moosefs root
	python3 "$GEN" "$FX/full/metadata.mfs.back" "$BATS_TEST_TMPDIR/old.mfs" "$@"
}

# real_restore FILE [-i]: MooseFS 3.0.117's restore of FILE into
# $BATS_TEST_TMPDIR/real/metadata.mfs; sets $real_rc
real_restore() {
	local d=$BATS_TEST_TMPDIR/real
	mkdir -p "$d"
	cp "$1" "$d/metadata.mfs.back"
	mfsmaster_cfg "$d"
	real_rc=0
	timeout 60 mfsmaster -c "$d.cfg" ${2:+"$2"} restore >"$d.log" 2>&1 || real_rc=$?
}

# same_restore RELEASE [TAG=X.Y|--flag ...]: ours = the real restore, cmp
same_restore() {
	old "$@"
	real_restore "$BATS_TEST_TMPDIR/old.mfs"
	[ "$real_rc" = 0 ] || { cat "$BATS_TEST_TMPDIR/real.log" >&2; false; }
	snapshot "$BATS_TEST_TMPDIR/old.mfs"
	run_tool mfsmetarestore -q -m "$BATS_TEST_TMPDIR/old.mfs" -o "$BATS_TEST_TMPDIR/ours.mfs"
	assert_success
	assert_unchanged
	cmp "$BATS_TEST_TMPDIR/ours.mfs" "$BATS_TEST_TMPDIR/real/metadata.mfs"
	same_dump
}

# same_dump: mfsmetadump prints old.mfs as 3.0.117's mfsmetadump does; that
# tool fails on LABS/SCLA 1.5 (it does not skip 1.5's label descriptions),
# where ours prints them and the classes
same_dump() {
	local f=$BATS_TEST_TMPDIR/old.mfs real
	real=$(mfsmetadump "$f" 2>/dev/null) && rrc=0 || rrc=$?
	run_tool mfsmetadump "$f"
	assert_success
	if grep -qa -e 'LABS 1.5' -e 'SCLA 1.5' "$f"; then
		[ "$rrc" != 0 ]
		assert_equal "$(grep -c '^LABELDESC|l:[A-Z]|n:' <<<"$output")" 26
		assert_line --regexp '^SCLASS\|#:   10\|x:0\|m:1\|d:    3\|c: \* \|k: \*:\* \|a: \*$'
		# everything before the LABS section is the same
		assert_equal "$(sed '/LABS 1.5\|SCLA 1.5/,$d' <<<"$output")" "$(sed '/LABS 1.5\|SCLA 1.5/,$d' <<<"$real")"
	else
		[ "$rrc" = 0 ]
		assert_equal "$output" "$real"
	fi
}

# the file really has the versions asked for (the generator did its job)
has_sections() {
	local h
	for h in "$@"; do
		grep -qa "$h" "$BATS_TEST_TMPDIR/old.mfs" || fail "old.mfs has no '$h' section header"
	done
}

@test "mfsold: MooseFS 2.0.60-2.0.91 layout (SESS 1.2, NODE 1.3, QUOT 1.0, PACL 1.0, CSDB 1.2, CHNK 1.0, no SCLA/FLCK/PLCK) restores as 3.0.117 does (exit 0)" {
	same_restore 2.0.60
	has_sections "SESS 1.2" "NODE 1.3" "QUOT 1.0" "PACL 1.0" "CSDB 1.2" "CHNK 1.0"
	! grep -qa "SCLA 1" "$BATS_TEST_TMPDIR/old.mfs"
}

@test "mfsold: MooseFS 3.0.11-3.0.31 layout (SESS 1.2, LABS 1.5, NODE 1.3, PACL 1.0, CSDB 1.2) restores as 3.0.117 does (exit 0)" {
	same_restore 3.0.11
	has_sections "SESS 1.2" "LABS 1.5" "NODE 1.3" "PACL 1.0" "CSDB 1.2"
}

@test "mfsold: MooseFS 3.0.32-3.0.71 layout (SESS 1.3, LABS 1.5) restores as 3.0.117 does (exit 0)" {
	same_restore 3.0.32
	has_sections "SESS 1.3" "LABS 1.5"
}

@test "mfsold: MooseFS 3.0.72-3.0.74 layout (SESS 1.4, LABS 1.5) restores as 3.0.117 does (exit 0)" {
	same_restore 3.0.72
	has_sections "SESS 1.4" "LABS 1.5"
}

@test "mfsold: MooseFS 3.0.75-3.0.88 layout (SCLA 1.6, NODE 1.3, CSDB 1.3) restores as 3.0.117 does (exit 0)" {
	same_restore 3.0.75
	has_sections "SESS 1.4" "SCLA 1.6" "NODE 1.3" "PACL 1.0"
}

@test "mfsold: MooseFS 3.0.90-3.0.97 layout (NODE 1.4, PACL 1.0) restores as 3.0.117 does (exit 0)" {
	same_restore 3.0.90
	has_sections "SESS 1.4" "NODE 1.4" "PACL 1.0"
}

@test "mfsold: MooseFS 3.0.98-3.0.111 layout (SESS 1.4) restores as 3.0.117 does (exit 0)" {
	same_restore 3.0.98
	has_sections "SESS 1.4" "PACL 1.1"
}

# the versions before 2.0.60 that 3.0.117 still reads, one section at a time

@test "mfsold: SESS 1.1 (u16 2 before the header) restores as 3.0.117 does (exit 0)" {
	same_restore 2.0.60 SESS=1.1
	has_sections "SESS 1.1"
}

@test "mfsold: SESS 1.0 (no disconnection time: both take the clock) restores as 3.0.117 does but that time (exit 0)" {
	old 2.0.60 SESS=1.0
	has_sections "SESS 1.0"
	real_restore "$BATS_TEST_TMPDIR/old.mfs"
	[ "$real_rc" = 0 ]
	run_tool mfsmetarestore -q -m "$BATS_TEST_TMPDIR/old.mfs" -o "$BATS_TEST_TMPDIR/ours.mfs"
	assert_success
	mask() { mfsmetadump "$1" 2>/dev/null | sed 's/|d: *[0-9]*|/|d:X|/'; }
	assert_equal "$(mask "$BATS_TEST_TMPDIR/ours.mfs")" "$(mask "$BATS_TEST_TMPDIR/real/metadata.mfs")"
	assert_equal "$(stat -c %s "$BATS_TEST_TMPDIR/ours.mfs")" "$(stat -c %s "$BATS_TEST_TMPDIR/real/metadata.mfs")"
	# the session is there and its time is now, not 0
	d=$(mfsmetadump "$BATS_TEST_TMPDIR/ours.mfs" | sed -n 's/^SESSION|.*|d: *\([0-9]*\)|.*/\1/p')
	[ "$d" -gt 1700000000 ]
	same_dump
}

@test "mfsold: LABS 1.0 (one OR-group, no count) restores as 3.0.117 does (exit 0)" {
	same_restore 3.0.11 LABS=1.0
	has_sections "LABS 1.0"
}

@test "mfsold: LABS 1.1 restores as 3.0.117 does (exit 0)" {
	same_restore 3.0.11 LABS=1.1
	has_sections "LABS 1.1"
}

@test "mfsold: LABS 1.2 (chunk lists after the masks, skipped) restores as 3.0.117 does (exit 0)" {
	same_restore 3.0.11 LABS=1.2
	has_sections "LABS 1.2"
}

@test "mfsold: LABS 1.3 restores as 3.0.117 does (exit 0)" {
	same_restore 3.0.11 LABS=1.3
	has_sections "LABS 1.3"
}

@test "mfsold: LABS 1.4 (create and keep masks, mode) restores as 3.0.117 does (exit 0)" {
	same_restore 3.0.11 LABS=1.4
	has_sections "LABS 1.4"
}

@test "mfsold: SCLA 1.5 (the 1.5 layout under the later tag) restores as 3.0.117 does (exit 0)" {
	same_restore 3.0.11 SCLA=1.5
	has_sections "SCLA 1.5"
}

@test "mfsold: NODE 1.0 (type letters, flags in the mode, no hash size) restores as 3.0.117 does (exit 0)" {
	same_restore 2.0.60 NODE=1.0
	has_sections "NODE 1.0"
}

@test "mfsold: NODE 1.1 restores as 3.0.117 does (exit 0)" {
	same_restore 2.0.60 NODE=1.1
	has_sections "NODE 1.1"
}

@test "mfsold: NODE 1.2 (type letters) restores as 3.0.117 does (exit 0)" {
	same_restore 2.0.60 NODE=1.2
	has_sections "NODE 1.2"
}

@test "mfsold: NODE 1.3 with open-file sessions in the file records (each a metadata version) restores as 3.0.117 does (exit 0)" {
	same_restore 2.0.60 --node-sessions
	# the pairs moved out of OPEN came back, and 4 versions were counted
	run mfsmetadump "$BATS_TEST_TMPDIR/ours.mfs"
	assert_line "# version: 446 ; fileid: 0x6B016BDC7D17E0CC"
}

@test "mfsold: EDGE 1.0 (no edge ids) restores as 3.0.117 does (exit 0)" {
	same_restore 2.0.60 EDGE=1.0
	has_sections "EDGE 1.0"
}

@test "mfsold: CSDB 1.0 restores as 3.0.117 does (exit 0)" {
	same_restore 2.0.60 CSDB=1.0
	has_sections "CSDB 1.0"
}

@test "mfsold: CSDB 1.1 restores as 3.0.117 does (exit 0)" {
	same_restore 2.0.60 CSDB=1.1
	has_sections "CSDB 1.1"
}

@test "mfsold: PACL 1.0 with a zero mask (mended from the mode, as 3.0.117 does) restores as 3.0.117 does (exit 0)" {
	same_restore 2.0.60 --acl-zero-mask
	run mfsmetadump "$BATS_TEST_TMPDIR/old.mfs"
	assert_line --partial "POSIXACL|i:       172|t:1|u:000006|g:000004|o:000004|m:000000|"
}

@test "mfsold: -a restores a data directory whose snapshot is in the 2.0.60 layout (exit 0)" {
	old 2.0.60
	real_restore "$BATS_TEST_TMPDIR/old.mfs"
	mkdir "$BATS_TEST_TMPDIR/ours"
	cp "$BATS_TEST_TMPDIR/old.mfs" "$BATS_TEST_TMPDIR/ours/metadata.mfs.back"
	run_tool mfsmetarestore -q -a -d "$BATS_TEST_TMPDIR/ours"
	assert_success
	cmp "$BATS_TEST_TMPDIR/ours/metadata.mfs" "$BATS_TEST_TMPDIR/real/metadata.mfs"
}

@test "mfsold: LABS 1.5 holding classes 1-9 is refused as 3.0.117 refuses it, naming the class (exit 3)" {
	old 3.0.11 --labs-predefined
	real_restore "$BATS_TEST_TMPDIR/old.mfs"
	[ "$real_rc" != 0 ]
	grep -q "bad sclassid (1)" "$BATS_TEST_TMPDIR/real.log"
	run_tool mfsmetarestore -q -m "$BATS_TEST_TMPDIR/old.mfs" -o "$BATS_TEST_TMPDIR/ours.mfs"
	assert_failure 3
	assert_equal "$stderr" "mfsmetarestore: $BATS_TEST_TMPDIR/old.mfs@540: LABS: storage class 1 cannot be stored in version 1.5 (MooseFS 3.0.117 refuses it too; -i skips it)"
	[ ! -e "$BATS_TEST_TMPDIR/ours.mfs" ]
}

@test "mfsold: LABS 1.5 holding classes 1-9 with -i skips them as 3.0.117 -i does (exit 0)" {
	old 3.0.11 --labs-predefined
	real_restore "$BATS_TEST_TMPDIR/old.mfs" -i
	[ "$real_rc" = 0 ]
	run_tool mfsmetarestore -q -i -m "$BATS_TEST_TMPDIR/old.mfs" -o "$BATS_TEST_TMPDIR/ours.mfs"
	assert_success
	cmp "$BATS_TEST_TMPDIR/ours.mfs" "$BATS_TEST_TMPDIR/real/metadata.mfs"
}

@test "mfsold: mfsmetadump -s prints one old section like 3.0.117's mfsmetadump (exit 0)" {
	old 2.0.60 NODE=1.0
	run_tool mfsmetadump -s NODE "$BATS_TEST_TMPDIR/old.mfs"
	assert_success
	assert_equal "$output" "$(mfsmetadump -s NODE "$BATS_TEST_TMPDIR/old.mfs")"
	assert_line "# maxinode: 185"
}

@test "mfsold: old-layout files cut anywhere or with flipped bytes: one error line and exit 3, never a crash" {
	requires root
	old 2.0.60 NODE=1.0 EDGE=1.0 SESS=1.1 CSDB=1.0 --node-sessions
	f=$BATS_TEST_TMPDIR/old.mfs
	size=$(stat -c %s "$f")
	for ((cut = 24; cut < size; cut += 61)); do
		head -c "$cut" "$f" >"$BATS_TEST_TMPDIR/cut.mfs"
		printf '[MFS EOF MARKER]' >>"$BATS_TEST_TMPDIR/cut.mfs"
		run_tool mfsmetarestore -q -m "$BATS_TEST_TMPDIR/cut.mfs" -o "$BATS_TEST_TMPDIR/o.mfs" -f
		[ "$status" -eq 3 ] || [ "$status" -eq 0 ]
		[ "$status" -eq 0 ] || [ "$(wc -l <<<"$stderr")" -eq 1 ]
		run_tool mfsmetadump "$BATS_TEST_TMPDIR/cut.mfs"
		[ "$status" -eq 3 ] || [ "$status" -eq 0 ]
	done
	for ((at = 24; at < size; at += 37)); do
		python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[int(sys.argv[2])]^=0xA5; open(sys.argv[3],"wb").write(d)' "$f" "$at" "$BATS_TEST_TMPDIR/flip.mfs"
		run_tool mfsmetarestore -q -m "$BATS_TEST_TMPDIR/flip.mfs" -o "$BATS_TEST_TMPDIR/o.mfs" -f
		[ "$status" -le 3 ] && [ "$status" -ne 2 ]
		run_tool mfsmetadump "$BATS_TEST_TMPDIR/flip.mfs"
		[ "$status" -eq 3 ] || [ "$status" -eq 0 ]
	done
}
