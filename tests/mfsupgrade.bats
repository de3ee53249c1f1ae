#!/usr/bin/env bats
# Upgrade sets: a MooseFS 3.0.117 snapshot followed by changelogs a 4.59.2
# master wrote (the set right after a 3.x -> 4.x upgrade).  4.59.2's
# mfsmaster loads the 3.x file, converting sessions, storage classes and
# chunks, replays the 4.x lines and writes a 4.x file; rescue must write the
# same bytes.  Oracles: tests/fixtures/moosefs-upgrade (README: how each was
# made; the 4.59.2 restore is deterministic, so stored oracles are valid).
load helpers

FX=$FIXTURES/moosefs-upgrade
SNAP3=$FX/snapshot3/metadata.mfs.back
MASTER3=$FIXTURES/moosefs/full/data/metadata.mfs.back

# dump_same FILE SCENARIO: our mfsmetadump of FILE (our result) is 4.59.2's
# mfsmetadump text of its result, but for that tool's bug (a class stored
# with an empty description is printed with the last non-empty one it read;
# mfs4.bats with_desc_bug)
dump_same() {
	run_tool mfsmetadump "$1"
	assert_success
	printf '%s\n' "$output" | awk '/^SCLASSMAIN\|/ { i = index($0, "|c:"); d = substr($0, i + 3)
		if (d == "") { $0 = $0 last } else { last = d } } { print }' >"$BATS_TEST_TMPDIR/dump.txt"
	diff "$FX/$2/oracle/metadata.dump.txt" "$BATS_TEST_TMPDIR/dump.txt"
}

# restore_m SNAPSHOT SCENARIO: -m/-o, compared byte for byte with the
# oracle, and its mfsmetadump text with 4.59.2's
restore_m() {
	snapshot "$1" "$FX/$2/changelog.0.mfs"
	run_tool mfsmetarestore -m "$1" -o "$BATS_TEST_TMPDIR/out.mfs" "$FX/$2/changelog.0.mfs"
	assert_success
	assert_unchanged
	assert_regex "$stderr" "metadata.mfs.back: upgrade set: a MooseFS 3.x snapshot and MooseFS 4.x changelogs \\([^)]*changelog.0.mfs:[0-9]+\\)"
	cmp "$BATS_TEST_TMPDIR/out.mfs" "$FX/$2/oracle/metadata.mfs"
	dump_same "$BATS_TEST_TMPDIR/out.mfs" "$2"
}

# restore_a SNAPSHOT SCENARIO: -a on a copy of the set
restore_a() {
	local d=$BATS_TEST_TMPDIR/data
	mkdir -p "$d"
	cp "$1" "$d/metadata.mfs.back"
	cp "$FX/$2/changelog.0.mfs" "$d/"
	run_tool mfsmetarestore -a -d "$d"
	assert_success
	assert_regex "$stderr" "metadata.mfs.back: MooseFS 3.0.112..3.0.118 \\(MFSM 2.0; SESS 1.5 SCLA 1.6 [^)]*CHNK 1.1\\), id [0-9A-F]+, version [0-9]+; with the changelogs it reaches version $(cat "$FX/$2/oracle/version.txt")"
	assert_regex "$stderr" "upgrade set: a MooseFS 3.x snapshot and MooseFS 4.x changelogs"
	cmp "$d/metadata.mfs" "$FX/$2/oracle/metadata.mfs"
}

@test "mfsupgrade: changelogs a real 4.59.2 master wrote on a 3.0.117 file (-m/-o) equal its restore (exit 0)" {
	restore_m "$SNAP3" live
}

@test "mfsupgrade: -a on the live upgrade set names it an upgrade and equals the real 4.59.2 restore (exit 0)" {
	restore_a "$SNAP3" live
}

@test "mfsupgrade: -a on the live set under a metalogger's names (metadata_ml.mfs.back, changelog_ml.0.mfs) equals the same 4.59.2 restore (exit 0)" {
	d=$BATS_TEST_TMPDIR/data
	mkdir -p "$d"
	cp "$SNAP3" "$d/metadata_ml.mfs.back"
	cp "$FX/live/changelog.0.mfs" "$d/changelog_ml.0.mfs"
	run_tool mfsmetarestore -a -d "$d"
	assert_success
	assert_regex "$stderr" "metadata_ml.mfs.back: upgrade set: a MooseFS 3.x snapshot and MooseFS 4.x changelogs"
	cmp "$d/metadata.mfs" "$FX/live/oracle/metadata.mfs"
}

@test "mfsupgrade: the 3.x snapshot of the live set is the installed 3.0.117's restore of its inputs; -a on the set gives 4.59.2's result (exit 0)" {
	requires moosefs root
	d=$BATS_TEST_TMPDIR/real
	mkdir -p "$d"
	cp "$MASTER3" "$d/metadata.mfs.back"
	cp "$FX/snapshot3/changelog.0.mfs" "$d/"
	mfsmaster_cfg "$d"
	timeout 60 mfsmaster -c "$d.cfg" restore >"$d.log" 2>&1
	cmp "$d/metadata.mfs" "$SNAP3"
	# rescue's restore of the same: no 4.x line, so it stays 3.x
	run_tool mfsmetarestore -m "$MASTER3" -o "$BATS_TEST_TMPDIR/ours.mfs" "$FX/snapshot3/changelog.0.mfs"
	assert_success
	refute_regex "$stderr" "upgrade set"
	cmp "$BATS_TEST_TMPDIR/ours.mfs" "$SNAP3"
	# the whole history: the 3.x snapshot the 3.0.117 master kept, its
	# changelog, then the 4.59.2 master's (as a master's data path holds
	# them after a restore of the 3.x part and the upgrade)
	rm -f "$d/metadata.mfs.back" "$d/changelog.0.mfs" "$d"/*.log
	mv "$d/metadata.mfs" "$d/metadata.mfs.back"
	cp "$FX/live/changelog.0.mfs" "$d/changelog.0.mfs"
	run_tool mfsmetarestore -a -q -d "$d"
	assert_success
	cmp "$d/metadata.mfs" "$FX/live/oracle/metadata.mfs"
}

@test "mfsupgrade: labelled 3.x classes, sessions with goal ranges, shared chunks, then SCSET/SESCHANGED/MOVE modes/COW writes in 4.x syntax (-m/-o) equal 4.59.2 (exit 0)" {
	restore_m "$SNAP3" hand
}

@test "mfsupgrade: -a on the hand-written upgrade set equals the real 4.59.2 restore (exit 0)" {
	restore_a "$SNAP3" hand
}

@test "mfsupgrade: a metadata.mfs.back the 3.0.117 master wrote + 4.x changelog (-m/-o) equals the real 4.59.2 restore (exit 0)" {
	restore_m "$MASTER3" master
}

@test "mfsupgrade: -a on the master-written 3.0.117 snapshot + 4.x changelog equals the real 4.59.2 restore (exit 0)" {
	restore_a "$MASTER3" master
}

@test "mfsupgrade: a 3.x master's changelog (3.x lines after the snapshot) then a 4.x master's: 4.x as 4.59.2 replays both (-m/-o in either order, -a) (exit 0)" {
	d=$FX/mixed
	for first in 1 0; do
		run_tool mfsmetarestore -f -m "$MASTER3" -o "$BATS_TEST_TMPDIR/out.mfs" "$d/changelog.$first.mfs" \
			"$d/changelog.$((1 - first)).mfs"
		assert_success
		assert_regex "$stderr" "upgrade set: a MooseFS 3.x snapshot and MooseFS 4.x changelogs \\([^)]*mixed/changelog.0.mfs:1\\)"
		cmp "$BATS_TEST_TMPDIR/out.mfs" "$d/oracle/metadata.mfs"
	done
	dump_same "$BATS_TEST_TMPDIR/out.mfs" mixed
	mkdir -p "$BATS_TEST_TMPDIR/data"
	cp "$MASTER3" "$BATS_TEST_TMPDIR/data/metadata.mfs.back"
	cp "$d"/changelog.*.mfs "$BATS_TEST_TMPDIR/data/"
	run_tool mfsmetarestore -a -q -d "$BATS_TEST_TMPDIR/data"
	assert_success
	cmp "$BATS_TEST_TMPDIR/data/metadata.mfs" "$d/oracle/metadata.mfs"
}

@test "mfsupgrade: changelogs without a 4.x-only line keep a 3.x snapshot 3.x; -F 4 upgrades it as 4.59.2 does (exit 0)" {
	requires moosefs root
	d=$BATS_TEST_TMPDIR/real
	mkdir -p "$d"
	cp "$MASTER3" "$d/metadata.mfs.back"
	cp "$FX/neutral/changelog.0.mfs" "$d/"
	mfsmaster_cfg "$d"
	timeout 60 mfsmaster -c "$d.cfg" restore >"$d.log" 2>&1
	run_tool mfsmetarestore -q -m "$MASTER3" -o "$BATS_TEST_TMPDIR/3.mfs" "$FX/neutral/changelog.0.mfs"
	assert_success
	cmp "$BATS_TEST_TMPDIR/3.mfs" "$d/metadata.mfs"
	run_tool mfsmetarestore -F 4 -m "$MASTER3" -o "$BATS_TEST_TMPDIR/4.mfs" "$FX/neutral/changelog.0.mfs"
	assert_success
	assert_regex "$stderr" "upgrade set: a MooseFS 3.x snapshot and MooseFS 4.x changelogs \\(-F 4\\)"
	cmp "$BATS_TEST_TMPDIR/4.mfs" "$FX/neutral/oracle/metadata.mfs"
}

@test "mfsupgrade: a 4.x snapshot + lines in 3.x syntax (SESADD goals, SCSET W.., 4-field MOVE) replays as 4.59.2 does (exit 0)" {
	s=$FIXTURES/moosefs-4.59/small/oracle/master/metadata.mfs
	run_tool mfsmetarestore -q -m "$s" -o "$BATS_TEST_TMPDIR/out.mfs" "$FX/reverse/changelog.0.mfs"
	assert_success
	cmp "$BATS_TEST_TMPDIR/out.mfs" "$FX/reverse/oracle/metadata.mfs"
	dump_same "$BATS_TEST_TMPDIR/out.mfs" reverse
}

@test "mfsupgrade: a 4.x snapshot + a 3.x-only RENUMEDGES line is refused as 4.59.2 refuses it, naming why (exit 3)" {
	s=$FIXTURES/moosefs-4.59/small/oracle/master/metadata.mfs
	grep -q "unknown entry 'RENUMEDGES" "$FX/reverse/renumedges.log"
	run_tool mfsmetarestore -m "$s" -o "$BATS_TEST_TMPDIR/out.mfs" "$FX/reverse/renumedges.mfs"
	assert_equal "$status" 3
	assert_regex "$stderr" "renumedges.mfs:1: change 807: RENUMEDGES is a MooseFS 3.x operation that 4.x does not replay"
	[ ! -e "$BATS_TEST_TMPDIR/out.mfs" ]
}

@test "mfsupgrade: 4.x changelogs on a snapshot with sections older than 3.0.112's are refused with what to do (exit 3)" {
	python3 "$TESTS_DIR/mfsold-gen" "$MASTER3" "$BATS_TEST_TMPDIR/old.mfs" 3.0.98
	grep -qa 'SESS 1.4' "$BATS_TEST_TMPDIR/old.mfs"
	run_tool mfsmetarestore -m "$BATS_TEST_TMPDIR/old.mfs" -o "$BATS_TEST_TMPDIR/out.mfs" "$FX/master/changelog.0.mfs"
	assert_equal "$status" 3
	assert_regex "$stderr" "old.mfs: MooseFS 4.x changelogs \\([^)]*changelog.0.mfs:1\\) on a snapshot whose sections are older than 3.0.112's: .* restore it with a MooseFS 4.x mfsmaster -a"
	[ ! -e "$BATS_TEST_TMPDIR/out.mfs" ]
}

@test "mfsupgrade: a MOVE of a directory into itself is refused (EINVAL, exit 3) instead of cutting a loop off the tree (a later recursive walk never ended)" {
	d=$BATS_TEST_TMPDIR
	printf 'MFSM NEW' >"$d/new.mfs"
	printf '%s\n' '1: 1796493660|CREATE(1,d,2,493,18,0,0,0):2' '2: 1796493661|CREATE(2,e,2,493,18,0,0,0):3' \
		'3: 1796493662|MOVE(1,d,2,d2):2' '4: 1796493663|SETTRASHTIME(2,0,7200,4):2,0,0' >"$d/cl.mfs"
	run --separate-stderr timeout 20 "$RESCUE" mfsmetarestore -m "$d/new.mfs" -o "$d/o.mfs" "$d/cl.mfs"
	assert_equal "$status" 3
	assert_regex "$stderr" "cl.mfs:3: change 3: MOVE: error EINVAL"
	[ ! -e "$d/o.mfs" ]
}
