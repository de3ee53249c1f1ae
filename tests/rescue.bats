#!/usr/bin/env bats
# The multicall binary itself: dispatch, listing, links, static linking.
load helpers

@test "rescue: alone is a usage error (exit 2)" {
	run_tool
	assert_equal "$status" 2
	assert_equal "$stderr" "rescue: missing TOOL (see 'rescue --help')"
	assert_output ""
}

@test "rescue: --help lists every tool with a summary (exit 0)" {
	run_tool --help
	assert_success
	assert_output --partial "usage: rescue TOOL"
	tools=$("$RESCUE" --list)
	[ -n "$tools" ] || fail "rescue --list named no tool"
	for t in $tools; do
		assert_output --regexp "  $t +[a-z]"
	done
}

@test "rescue: --list is sorted, unique and matches tools.h" {
	run_tool --list
	assert_success
	assert_equal "$output" "$(printf '%s\n' "$output" | sort -u)"
	assert_equal "$output" "$(sed -n 's/^TOOL(\([a-z0-9_]*\),.*/\1/p' "$TOP_DIR/rescue/tools.h")"
}

@test "rescue: unknown tool is a usage error (exit 2)" {
	run_tool nosuchtool
	assert_equal "$status" 2
	assert_equal "$stderr" "rescue: unknown tool 'nosuchtool' (see 'rescue --help')"
	assert_output ""
}

@test "rescue: unknown option is a usage error (exit 2)" {
	run_tool --bogus
	assert_equal "$status" 2
	assert_equal "$stderr" "rescue: unknown option '--bogus' (see 'rescue --help')"
}

@test "rescue: every tool answers --help on stdout and --version through its link" {
	tools=$("$RESCUE" --list)
	[ -n "$tools" ] || fail "rescue --list named no tool"
	for t in $tools; do
		run_link "$t" --help
		assert_success
		assert_output --partial "usage: $t"
		run_link "$t" --version
		assert_success
		assert_output --regexp "^$t \(rescue\) [0-9]"
	done
}

@test "rescue: --install DIR makes a working link per tool, and refuses to replace (exit 5)" {
	mkdir "$BATS_TEST_TMPDIR/bin"
	run_tool --install "$BATS_TEST_TMPDIR/bin"
	assert_success
	assert_equal "$(ls "$BATS_TEST_TMPDIR/bin")" "$("$RESCUE" --list)"
	run "$BATS_TEST_TMPDIR/bin/confset" --version
	assert_success
	run_tool --install "$BATS_TEST_TMPDIR/bin"
	assert_equal "$status" 5
}

@test "rescue: out/rescue is statically linked" {
	run file -L "$RESCUE"
	assert_output --partial "statically linked"
	run readelf -d "$RESCUE"
	refute_output --partial "NEEDED"
}

@test "rescue: runs in an otherwise empty chroot" {
	requires chroot
	root="$BATS_TEST_TMPDIR/root"
	mkdir -p "$root/tmp"
	cp "$RESCUE" "$root/rescue"
	run chroot "$root" /rescue confset --help
	assert_success
	assert_output --partial "usage: confset"
	printf 'a = 1\n' >"$root/tmp/x.cfg"
	run chroot "$root" /rescue confset --no-backup /tmp/x.cfg a 2
	assert_success
	assert_equal "$(cat "$root/tmp/x.cfg")" "a = 2"
}
