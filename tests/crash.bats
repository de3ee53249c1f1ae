#!/usr/bin/env bats
# crash consistency (docs/testing.md): each writer is killed (SIGKILL through
# strace) on entry to a write-path syscall; its target must then hold the old
# or the new content, and a documented recovery must reach the new one.  This
# is the bounded sweep (15 points per writer); `make crash-sweep` (run by
# `make fuzz`) kills at every call, with larger inputs.
load helpers

# sweep SCENARIO: the bounded sweep of one scenario (tests/crash/scenarios.bash)
sweep() {
	requires strace
	run --separate-stderr env TMPDIR="$BATS_TEST_TMPDIR" timeout 600 \
		"$TESTS_DIR/crash/sweep" --points "${CRASH_POINTS:-15}" "$1"
	_show_run "tests/crash/sweep $1"
}

@test "crash: the harness catches a writer that rewrites its target in place" {
	sweep selftest-inplace
	assert_failure 1
	assert_output --partial "FAIL selftest-inplace write when=2 (status 137, target MIXED): target neither old nor new;"
}

@test "crash: the harness catches an undocumented temporary file left beside the target" {
	sweep selftest-tmp
	assert_failure 1
	assert_output --partial "(status 137, target old): undocumented leftovers: f.part"
}

@test "crash: the harness catches a recovery that does not reach the new content" {
	sweep selftest-recover
	assert_failure 1
	assert_output --partial "FAIL selftest-recover write when=2 (status 137, target MIXED): recovery did not reach NEW (status 0"
}

@test "crash: confset FILE KEY VALUE leaves FILE old or new at every kill" {
	sweep confset
	assert_success
}

@test "crash: metasnap save -f leaves the archive old or new at every kill" {
	sweep metasnap-save
	assert_success
}

@test "crash: metasnap restore into an absent DIR leaves DIR absent or complete at every kill" {
	sweep metasnap-restore
	assert_success
}

# known broken on main: the temporary directory is made inside the existing
# (empty) DIR, so a kill leaves DIR/.metasnap.tmp.PID in the target
@test "crash: metasnap restore into an empty DIR leaves DIR empty or complete at every kill" {
	sweep metasnap-restore-empty
	assert_success
}

# known broken on main: --force moves the old entries out of DIR and the new
# ones in, one rename each (fixed by the RENAME_EXCHANGE swap + journal)
@test "crash: metasnap restore --force leaves DIR old or new at every kill, and re-running it completes" {
	sweep metasnap-restore-force
	assert_success
}

@test "crash: mfsmetarestore -f -m META -o OUT leaves OUT old or new at every kill" {
	sweep mfsmetarestore-o
	assert_success
}

@test "crash: mfsmetarestore -a leaves metadata.mfs old or new at every kill and never loses the old one" {
	sweep mfsmetarestore-a
	assert_success
}

@test "crash: blksync patch killed at any write, then re-run, ends with the new image" {
	sweep blksync-patch
	assert_success
}

@test "crash: blksync serve killed at any write, then push re-run, ends with the new image" {
	sweep blksync-serve
	assert_success
}

@test "crash: mkcpio -f -z leaves the archive old or new at every kill" {
	sweep mkcpio
	assert_success
}

@test "crash: mkoci -f leaves the image old or new at every kill" {
	sweep mkoci
	assert_success
}
