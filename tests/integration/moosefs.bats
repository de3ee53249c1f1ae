#!/usr/bin/env bats
# MooseFS 3.0.117 against rescue's mfsmetarestore, with a real cluster.
# setup_file generates every scenario once (tests/integration/moosefs/
# gen-scenarios: master, chunkserver, metalogger, mfsmount in a private netns,
# master SIGKILLed), then runs tests/integration/moosefs/compare on them; each
# test below checks one scenario and one check from that run.  The committed
# fixtures (tests/fixtures/moosefs) are compared too, without a cluster.
load ../helpers

MFS_DIR=$TESTS_DIR/integration/moosefs
SCENARIOS="full metalogger mixed empty small torn gap"

# every operation name the generated changelogs must contain
EXPECTED_OPS="ACCESS ACQUIRE AMTIME APPEND ARCHCHG ATTR CHUNKADD CHUNKDEL CREATE CSDBOP
EMPTYSUSTAINED EMPTYTRASH FLOCK FREEINODES LENGTH LINK MOVE POSIXLOCK PURGE QUOTA RELEASE
REPAIR SCDEL SCDUP SCREN SCSET SESADD SESCHANGED SESDEL SESDISCONNECTED SETACL SETEATTR
SETMETAID SETPATH SETSCLASS SETTRASHTIME SETXATTR SNAPSHOT SYMLINK TRUNC UNDEL UNLINK
UNLOCK WRITE"

cluster_ok() {
	[ "$(id -u)" = 0 ] && command -v ip >/dev/null && command -v mfsmaster >/dev/null &&
		command -v mfsmount >/dev/null
}

setup_file() {
	export GEN=$BATS_FILE_TMPDIR/scenarios CMP=$BATS_FILE_TMPDIR/compare
	local t0=$SECONDS rc=0
	if command -v mfsmaster >/dev/null && command -v mfsmetadump >/dev/null; then
		timeout 300 "$MFS_DIR/compare" -T -r "$RESCUE" -w "$BATS_FILE_TMPDIR/fixcmp" \
			"$FIXTURES"/moosefs/{full,metalogger,empty,small,torn,gap} \
			>"$BATS_FILE_TMPDIR/fixtures.results" 2>"$BATS_FILE_TMPDIR/fixtures.err" || rc=$?
		echo "$rc" >"$BATS_FILE_TMPDIR/fixtures.status"
		rc=0
	fi
	cluster_ok || return 0
	t0=$SECONDS
	timeout -k 30 330 "$MFS_DIR/gen-scenarios" "$GEN" >"$BATS_FILE_TMPDIR/gen.log" 2>&1 || rc=$?
	echo "$rc $((SECONDS - t0))" >"$BATS_FILE_TMPDIR/gen.status"
	t0=$SECONDS
	rc=0
	timeout -k 30 400 "$MFS_DIR/compare" -r "$RESCUE" -w "$CMP" "$GEN"/{full,metalogger,mixed,empty,small,torn,gap} \
		>"$BATS_FILE_TMPDIR/results" 2>"$BATS_FILE_TMPDIR/compare.err" || rc=$?
	echo "$rc $((SECONDS - t0))" >"$BATS_FILE_TMPDIR/compare.status"
}

# result RESULTS STDERR SCENARIO CHECK: assert compare reported "ok SCENARIO CHECK".
result() {
	local line
	line=$(grep -E "^(ok|FAIL|skip) $3 $4(:|$)" "$BATS_FILE_TMPDIR/$1" | head -n 1)
	{
		echo "compare result: ${line:-<none>}"
		echo "--- compare stderr (tail):"
		tail -n 20 "$BATS_FILE_TMPDIR/$2" 2>/dev/null
	} >&2
	[ -n "$line" ] || fail "compare reported nothing for $3 $4 (see $BATS_FILE_TMPDIR)"
	case $line in
	"ok "*) ;;
	*) fail "$line" ;;
	esac
}

cluster_result() {
	requires root netns moosefs
	read -r rc secs <"$BATS_FILE_TMPDIR/gen.status"
	[ "$rc" = 0 ] || fail "gen-scenarios failed (status $rc): $(tail -n 30 "$BATS_FILE_TMPDIR/gen.log")"
	result results compare.err "$@"
}

fixture_result() {
	requires moosefs
	result fixtures.results fixtures.err "$@"
}

@test "moosefs cluster: every scenario generated with a real cluster in a netns (exit 0)" {
	requires root netns moosefs
	read -r rc secs <"$BATS_FILE_TMPDIR/gen.status"
	echo "# generation: status $rc in ${secs}s" >&3
	[ "$rc" = 0 ] || fail "$(tail -n 40 "$BATS_FILE_TMPDIR/gen.log")"
	for s in $SCENARIOS; do
		ls "$GEN/$s/data"/changelog*.mfs >/dev/null || fail "$s: no changelog"
	done
	ls "$GEN/metalogger/data/metadata_ml.mfs.back" "$GEN/full/data/metadata.mfs.back" >/dev/null
	assert_equal "$(head -c 8 "$GEN/empty/data/metadata.mfs.back")" "MFSM NEW"
	run head -n 1 "$GEN/empty/data/changelog.0.mfs"
	assert_output --regexp '^1: '
}

@test "moosefs cluster: the changelogs contain every operation type (exit 0)" {
	requires root netns moosefs
	read -r rc secs <"$BATS_FILE_TMPDIR/gen.status"
	[ "$rc" = 0 ] || fail "generation failed"
	local missing="" op
	for op in $EXPECTED_OPS; do
		grep -q "^$op " "$GEN/ops-all.txt" || missing="$missing $op"
	done
	echo "# operations: $(cut -d' ' -f1 "$GEN/ops-all.txt" | tr '\n' ' ')" >&3
	assert_equal "$missing" ""
	# replayed part (after the mid-run save) of full holds them too
	missing=""
	for op in $EXPECTED_OPS; do
		[ "$op" = SETMETAID ] && continue
		grep -q "|$op(" "$GEN/full/data/changelog.0.mfs" || missing="$missing $op"
	done
	assert_equal "$missing" ""
}

@test "moosefs cluster: the real restore accepts every scenario and refuses gap (exit 0)" {
	for s in $SCENARIOS; do cluster_result "$s" oracle; done
}

@test "mfsmetarestore: full -m is byte-identical to MooseFS restore (exit 0)" { cluster_result full m; cluster_result full dump-m; cluster_result full bytes-m; }
@test "mfsmetarestore: full -a is byte-identical to MooseFS restore (exit 0)" { cluster_result full a; cluster_result full dump-a; cluster_result full bytes-a; }
@test "mfsmetarestore: full output served by the real master, client sees the tree (exit 0)" { cluster_result full tree; }
@test "mfsmetarestore: metalogger-only -m is byte-identical to MooseFS restore (exit 0)" { cluster_result metalogger m; cluster_result metalogger dump-m; cluster_result metalogger bytes-m; }
@test "mfsmetarestore: metalogger-only -a is byte-identical to MooseFS restore (exit 0)" { cluster_result metalogger a; cluster_result metalogger dump-a; cluster_result metalogger bytes-a; }
@test "mfsmetarestore: metalogger-only output served by the real master (exit 0)" { cluster_result metalogger tree; }
@test "mfsmetarestore: master + metalogger changelogs mixed, any order, -m is byte-identical to MooseFS (exit 0)" { cluster_result mixed m; cluster_result mixed dump-m; cluster_result mixed bytes-m; }
@test "mfsmetarestore: master + metalogger changelogs mixed -a is byte-identical to MooseFS (exit 0)" { cluster_result mixed a; cluster_result mixed dump-a; cluster_result mixed bytes-a; }
@test "mfsmetarestore: mixed output served by the real master (exit 0)" { cluster_result mixed tree; }
@test "mfsmetarestore: empty snapshot + changelog from id 1 -m is byte-identical to MooseFS (exit 0)" { cluster_result empty m; cluster_result empty dump-m; cluster_result empty bytes-m; }
@test "mfsmetarestore: empty snapshot + changelog from id 1 -a is byte-identical to MooseFS (exit 0)" { cluster_result empty a; cluster_result empty dump-a; cluster_result empty bytes-a; }
@test "mfsmetarestore: empty-snapshot output served by the real master (exit 0)" { cluster_result empty tree; }
@test "mfsmetarestore: small -m is byte-identical to MooseFS restore (exit 0)" { cluster_result small m; cluster_result small dump-m; cluster_result small bytes-m; }
@test "mfsmetarestore: small -a is byte-identical to MooseFS restore (exit 0)" { cluster_result small a; cluster_result small dump-a; cluster_result small bytes-a; }
@test "mfsmetarestore: small output served by the real master (exit 0)" { cluster_result small tree; }
@test "mfsmetarestore: torn last line warns with file and line (exit 0)" { cluster_result torn m; cluster_result torn torn-warning; }
@test "mfsmetarestore: torn last line -m is byte-identical to MooseFS on the files minus the fragment (exit 0)" { cluster_result torn dump-m; cluster_result torn bytes-m; }
@test "mfsmetarestore: torn last line -a is byte-identical to MooseFS on the files minus the fragment (exit 0)" { cluster_result torn a; cluster_result torn dump-a; cluster_result torn bytes-a; }
@test "mfsmetarestore: torn output served by the real master, tree as MooseFS's (exit 0)" { cluster_result torn tree; }
@test "mfsmetarestore: empty snapshot + changelog not from id 1: -m refuses, names the gap (exit 3)" { cluster_result gap refuse-m; }
@test "mfsmetarestore: empty snapshot + changelog not from id 1: -a refuses, names the gap (exit 3)" { cluster_result gap refuse-a; }

@test "mfsmetarestore: every cluster scenario is byte-identical, -m and -a; compare exits 0 (exit 0)" {
	requires root netns moosefs
	read -r rc secs <"$BATS_FILE_TMPDIR/compare.status"
	echo "# compare: status $rc in ${secs}s" >&3
	run grep '^byte-identical: ' "$BATS_FILE_TMPDIR/results"
	assert_output 'byte-identical: 6 of 6 scenarios'
	run grep -v '^ok \|^byte-identical: ' "$BATS_FILE_TMPDIR/results"
	assert_output ''
	assert_equal "$rc" 0
}

@test "mfsmetarestore: committed fixtures: the real restore accepts them (exit 0)" {
	for s in full metalogger empty small torn gap; do fixture_result "$s" oracle; done
}

@test "mfsmetarestore: committed fixtures: -m and -a are byte-identical to MooseFS's, dumps in the same order (exit 0)" {
	for s in full metalogger empty small torn; do # (mixed is not committed)
		fixture_result "$s" dump-m
		fixture_result "$s" bytes-m
		fixture_result "$s" dump-a
		fixture_result "$s" bytes-a
	done
	fixture_result torn torn-warning
	fixture_result gap refuse-m
	fixture_result gap refuse-a
	run grep '^byte-identical: ' "$BATS_FILE_TMPDIR/fixtures.results"
	assert_output 'byte-identical: 5 of 5 scenarios'
	run grep -v '^ok \|^byte-identical: ' "$BATS_FILE_TMPDIR/fixtures.results"
	assert_output ''
	assert_equal "$(cat "$BATS_FILE_TMPDIR/fixtures.status")" 0
}
