#!/usr/bin/env bats
# metasnap restore against generated hostile archives (tests/hostile/):
# symlink chains, hard links, "..", absolute names, entries below symlinks,
# devices and duplicates, restored into a sandbox whose parent is checked for
# any change.  `make fuzz-hostile` (part of `make fuzz`) runs random seeds;
# here a fixed set runs in `make check`.
load helpers

@test "metasnap: restore of generated hostile archives changes nothing outside DIR and answers as predicted (seeds 1-40)" {
	run "$TESTS_DIR/hostile/metasnap-check" "$RESCUE" "$BATS_TEST_TMPDIR/w" $(seq 1 40)
	echo "$output" >&2
	assert_success
	assert_output ""
}

@test "metasnap-gen: the same seed gives the same archive, and both outcomes occur" {
	local s zero=0 refused=0
	"$TESTS_DIR/hostile/metasnap-gen" 7 "$BATS_TEST_TMPDIR/a.tar.gz" /x >/dev/null
	"$TESTS_DIR/hostile/metasnap-gen" 7 "$BATS_TEST_TMPDIR/b.tar.gz" /x >/dev/null
	cmp "$BATS_TEST_TMPDIR/a.tar.gz" "$BATS_TEST_TMPDIR/b.tar.gz"
	for s in $(seq 1 20); do
		case $("$TESTS_DIR/hostile/metasnap-gen" "$s" "$BATS_TEST_TMPDIR/a.tar.gz" /x) in
		0*) zero=$((zero + 1)) ;;
		5*) refused=$((refused + 1)) ;;
		esac
	done
	# the fixed seeds exercise both paths: restored and refused
	[ "$zero" -ge 4 ] && [ "$refused" -ge 4 ]
}
