#!/usr/bin/env bats
# mfsmetarestore and mfsmetadump on MooseFS 1.6 sets (MFSM 1.5 files, 1.6
# changelogs): the real 1.6.27-5 clusters of tests/fixtures/moosefs-1.6
# (NOTES: shared/fixtures/NOTES.md), whose oracle/ holds 1.6.27's own
# mfsmetarestore result and mfsmetadump text.
load helpers

FX=$FIXTURES/moosefs-1.6

# the changelog arguments of the oracle's command (restore.log, line 1)
oracle_args() {
	head -n 1 "$FX/$1/oracle/$2/restore.log" | sed 's/^cmd: mfsmetarestore -m [^ ]* -o [^ ]* //'
}

# set_copy SCENARIO master|metalogger: a writable copy in $BATS_TEST_TMPDIR/set
set_copy() {
	mkdir -p "$BATS_TEST_TMPDIR/set"
	cp "$FX/$1/$2"/* "$BATS_TEST_TMPDIR/set/"
	chmod u+w "$BATS_TEST_TMPDIR/set"/*
	cd "$BATS_TEST_TMPDIR/set"
}

# restore_m SCENARIO master|metalogger: -m/-o with the oracle's changelogs
restore_m() {
	local meta=metadata.mfs.back
	[ "$2" = master ] || meta=metadata_ml.mfs.back
	set_copy "$1" "$2"
	snapshot ./*
	# shellcheck disable=SC2046
	run_tool mfsmetarestore -m "$meta" -o "$BATS_TEST_TMPDIR/out.mfs" $(oracle_args "$1" master | sed "s/changelog\./$([ "$2" = master ] && echo changelog. || echo changelog_ml.)/g")
	assert_success
	assert_unchanged
}

# the lines of 1.6.27's own restore, in its order, then ours
assert_stages() {
	local want got
	want=$(printf '%s\n' "loading objects (files,directories,etc.) ... ok" "loading names ... ok" \
		"loading deletion timestamps ... ok" "loading chunks data ... ok" \
		"checking filesystem consistency ... ok" "connecting files and chunks ... ok")
	got=$(printf '%s\n' "$stderr" | grep -E '^(loading|checking|connecting) ')
	assert_equal "$got" "$want"
	[[ "$stderr" == *"progress: current change: "*" - 100% - ETA:finished)"* ]]
	[[ "$output" == *"store metadata into file: "* ]]
}

@test "mfs16: every master set restores with -m/-o to 1.6.27's bytes (small hourly metalogger rich)" {
	local s
	for s in small hourly metalogger rich; do
		restore_m "$s" master
		assert_stages
		cmp "$BATS_TEST_TMPDIR/out.mfs" "$FX/$s/oracle/master/metadata.mfs"
		# 1.6.27's progress line, the same numbers
		[[ "$stderr" == *"$(grep '^progress:' "$FX/$s/oracle/master/restore.log")"* ]]
		assert_equal "$(printf '%s\n' "$stderr" | grep -c warning)" 0
		cd "$BATS_TEST_TMPDIR" && rm -rf set out.mfs
	done
}

@test "mfs16: every master set restores with -a to 1.6.27's bytes" {
	local s
	for s in small hourly metalogger rich; do
		set_copy "$s" master
		run_tool mfsmetarestore -a -d "$BATS_TEST_TMPDIR/set"
		assert_success
		assert_stages
		cmp "$BATS_TEST_TMPDIR/set/metadata.mfs" "$FX/$s/oracle/master/metadata.mfs"
		assert_no_tmp "$BATS_TEST_TMPDIR/set"
		cd "$BATS_TEST_TMPDIR" && rm -rf set
	done
}

@test "mfs16: metalogger sets 1.6.27 restores completely give its bytes (hourly metalogger)" {
	local s
	for s in hourly metalogger; do
		[ -f "$FX/$s/oracle/metalogger/SAME_AS_MASTER" ]
		set_copy "$s" metalogger
		# shellcheck disable=SC2046
		run_tool mfsmetarestore -m metadata_ml.mfs.back -o "$BATS_TEST_TMPDIR/out.mfs" $(ls changelog_ml*.mfs)
		assert_success
		cmp "$BATS_TEST_TMPDIR/out.mfs" "$FX/$s/oracle/master/metadata.mfs"
		run_tool mfsmetarestore -a -d "$BATS_TEST_TMPDIR/set"
		assert_success
		cmp "$BATS_TEST_TMPDIR/set/metadata.mfs" "$FX/$s/oracle/master/metadata.mfs"
		cd "$BATS_TEST_TMPDIR" && rm -rf set out.mfs
	done
}

# 1.6.27 skips changelog_ml.0.mfs (first id 0): its metalogger result stays
# at the snapshot.  The same changes are in the master's changelog.0.mfs,
# which it did apply: the complete result is the master oracle.
@test "mfs16: a metalogger changelog starting at id 0 is applied (1.6.27 loses it), giving the master's result (small rich)" {
	local s v
	for s in small rich; do
		v=$(cat "$FX/$s/oracle/metalogger/version.txt")
		set_copy "$s" metalogger
		run_tool mfsmetarestore -m metadata_ml.mfs.back -o "$BATS_TEST_TMPDIR/out.mfs" changelog_ml.0.mfs
		assert_success
		[[ "$stderr" == *"mfsmetarestore: warning: changelog_ml.0.mfs:1: starts at change 0: MooseFS 1.6.27's mfsmetarestore skips such a file"*"losing changes $v.."*"they are applied here"* ]]
		cmp "$BATS_TEST_TMPDIR/out.mfs" "$FX/$s/oracle/master/metadata.mfs"
		# what 1.6.27 wrote instead: the snapshot, version $v
		! cmp -s "$BATS_TEST_TMPDIR/out.mfs" "$FX/$s/oracle/metalogger/metadata.mfs"
		run_tool mfsmetarestore -a -d "$BATS_TEST_TMPDIR/set"
		assert_success
		cmp "$BATS_TEST_TMPDIR/set/metadata.mfs" "$FX/$s/oracle/master/metadata.mfs"
		cd "$BATS_TEST_TMPDIR" && rm -rf set out.mfs
	done
}

@test "mfs16: mfsmetadump prints MFSM 1.5 files as 1.6.27's mfsmetadump" {
	local s
	for s in small empty hourly metalogger rich; do
		run_tool mfsmetadump "$FX/$s/oracle/master/metadata.mfs"
		assert_success
		assert_equal "$output" "$(cat "$FX/$s/oracle/master/metadata.dump.txt")"
	done
	for s in small rich; do
		run_tool mfsmetadump "$FX/$s/oracle/metalogger/metadata.mfs"
		assert_success
		assert_equal "$output" "$(cat "$FX/$s/oracle/metalogger/metadata.dump.txt")"
	done
	# and our own results, against the oracle's text
	restore_m rich master
	run_tool mfsmetadump "$BATS_TEST_TMPDIR/out.mfs"
	assert_equal "$output" "$(cat "$FX/rich/oracle/master/metadata.dump.txt")"
}
