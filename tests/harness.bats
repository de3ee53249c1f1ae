#!/usr/bin/env bats
# harness: the test machinery itself must fail when it should.  tests/run
# and tests/helpers.bash (strict skips), tests/unit/unit.h (only real tests
# count) and tests/integration/moosefs/compare (byte identity and record
# order) are run on small inputs made to break them.
load helpers

# tree: a copy of tests/run, helpers.bash and unit.h in $T, so that each test
# has its own allowlist and unit binaries.
tree() {
	T=$BATS_TEST_TMPDIR/tree
	mkdir -p "$T/tests/unit" "$T/build/unit"
	cp "$TESTS_DIR/run" "$TESTS_DIR/helpers.bash" "$T/tests/"
	cp "$TESTS_DIR/unit/unit.h" "$T/tests/unit/"
}

# run_run ENV...: $T/tests/run with ENV only: the environment of this bats
# run (BATS_*, RESCUE_TEST_STRICT, bats' libexec in PATH) is not passed on.
run_run() {
	local path
	path=$(tr ':' '\n' <<<"$PATH" | grep -v 'bats-core' | paste -sd:)
	run env -i PATH="$path" HOME="$HOME" "$@" "$T/tests/run" 3>&-
	_show_run "tests/run $*"
}

# bats_file FILE: write stdin to FILE with TEST turned into @test (bats would
# take a literal @test line in this file, even in a here-document, as its own).
bats_file() {
	sed 's/^TEST /@test /' >"$1"
}

skips_file() {
	printf '%s\n' 'allowed one :: a reason' 'no reason ::' >"$T/tests/skip-allowlist.txt"
	bats_file "$T/tests/s.bats" <<'EOF'
load helpers
TEST "allowed one" { skip "listed"; }
TEST "direct skip" { skip "not listed"; }
TEST "requires skip" {
	id() { echo 1000; }
	requires root
}
TEST "no reason" { skip "listed without a reason"; }
TEST "runs" { true; }
EOF
}

@test "harness: with RESCUE_TEST_STRICT=1 a skip (direct or by requires) fails unless allowlisted with a reason (exit 1)" {
	tree
	skips_file
	run_run RESCUE_TEST_STRICT=1 TESTS=bats BATS_FILES=tests/s.bats
	assert_failure 1
	assert_line --regexp '^ok 1 allowed one in [0-9]+ms # skip listed$'
	assert_line --regexp '^not ok 2 direct skip in '
	assert_line --partial "skip refused (RESCUE_TEST_STRICT=1): 'direct skip' is not in tests/skip-allowlist.txt: not listed"
	assert_line --regexp '^not ok 3 requires skip in '
	assert_line --partial "'requires skip' is not in tests/skip-allowlist.txt: needs root"
	assert_line --regexp '^not ok 4 no reason in '
	assert_line --regexp '^ok 5 runs in '
	assert_equal "${lines[-1]}" "1 passed, 3 failed, 1 skipped"
}

@test "harness: without RESCUE_TEST_STRICT the same skips are counted as skipped (exit 0)" {
	tree
	skips_file
	run_run TESTS=bats BATS_FILES=tests/s.bats
	assert_success
	assert_equal "${lines[-1]}" "1 passed, 0 failed, 4 skipped"
}

@test "harness: tests/run fails a TAP skip not in the allowlist in strict mode, also without helpers.bash (exit 1)" {
	tree
	printf '%s\n' '# comment' 'bare allowed :: a reason' >"$T/tests/skip-allowlist.txt"
	bats_file "$T/tests/bare.bats" <<'EOF'
TEST "bare allowed" { skip "bats' own skip"; }
TEST "bare skip" { skip "bats' own skip"; }
TEST "bare skip, no reason" { skip; }
EOF
	run_run RESCUE_TEST_STRICT=1 TESTS=bats BATS_FILES=tests/bare.bats
	assert_failure 1
	assert_line "  bats: skipped, not in tests/skip-allowlist.txt (RESCUE_TEST_STRICT=1): bare skip"
	assert_line "  bats: skipped, not in tests/skip-allowlist.txt (RESCUE_TEST_STRICT=1): bare skip, no reason"
	assert_equal "${lines[-1]}" "0 passed, 2 failed, 1 skipped"
}

@test "harness: tests/run fails when bats itself fails before any test (exit 1)" {
	tree
	run_run TESTS=bats BATS_FILES=tests/no-such.bats
	assert_failure 1
	assert_line --regexp '^  bats: exit status [1-9][0-9]*, no test failed$'
	assert_equal "${lines[-1]}" "0 passed, 1 failed"
}

@test "harness: every allowlisted skip names an existing test and gives a reason (exit 0)" {
	local name reason bad=""
	while IFS= read -r line; do
		case $line in "#"* | "") continue ;; esac
		name=${line%% :: *}
		reason=${line#* :: }
		[ "$name" != "$line" ] && [ -n "${reason// /}" ] || bad="$bad|no ' :: REASON': $line"
		grep -rqF --include='*.bats' "@test \"$name\" {" "$TESTS_DIR" || bad="$bad|no such test: $name"
	done <"$TESTS_DIR/skip-allowlist.txt"
	assert_equal "$bad" ""
}

# unit_bin NAME C-BODY: build $T/build/unit/NAME from a test file using unit.h.
unit_bin() {
	local cc
	cc=$(command -v musl-gcc || command -v cc)
	printf '#include <signal.h>\n#include <stdlib.h>\n#include <unistd.h>\n#include "unit.h"\n%s\n' "$2" >"$T/$1.c"
	"$cc" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$T/tests/unit" -o "$T/build/unit/$1" "$T/$1.c"
}

@test "harness: unit: a test with no check fails; setup and teardown are not counted (exit 1)" {
	tree
	unit_bin test_fixture '
static int ready;
static void setup(void) { ready = 1; }
static void teardown(void) { ready = 0; }
static void test_real(void) { CHECK(ready == 1); CHECK_STR("a", "a"); }
static void test_empty(void) { }
static void test_loop_never_ran(void) { for (int i = 0; i < ready - 1; i++) CHECK(i >= 0); }
UNIT_MAIN_FIXTURE(setup, teardown, test_real, test_empty, test_loop_never_ran)'
	run_run TESTS=unit
	assert_failure 1
	assert_line "ok test_real"
	assert_line "not ok test_empty: no check ran"
	assert_line "not ok test_loop_never_ran: no check ran"
	refute_line --partial setup
	assert_line "1 passed, 2 failed"
	assert_equal "${lines[-1]}" "1 passed, 2 failed"
}

@test "harness: unit: a failed check in the setup fails every test (exit 1)" {
	tree
	unit_bin test_badsetup '
static void setup(void) { CHECK(0 == 1); }
static void test_a(void) { CHECK(1); }
static void test_b(void) { CHECK(1); }
UNIT_MAIN_FIXTURE(setup, unit_nothing, test_a, test_b)'
	run_run TESTS=unit
	assert_failure 1
	assert_line "not ok setup: 2 tests not run"
	assert_equal "${lines[-1]}" "0 passed, 2 failed"
}

@test "harness: unit: a binary that crashes mid-way, or exits non-zero after its summary, fails (exit 1)" {
	tree
	unit_bin test_crash '
static void test_first(void) { CHECK(1); }
static void test_crashes(void) { CHECK(1); raise(SIGSEGV); }
static void test_never(void) { CHECK(1); }
UNIT_MAIN(test_first, test_crashes, test_never)'
	unit_bin test_late '
static void late(void) { _exit(3); }
static void test_ok(void) { CHECK(1); atexit(late); }
UNIT_MAIN(test_ok)'
	run_run TESTS=unit
	assert_failure 1
	assert_line "ok test_first"
	assert_line --regexp '^  unit test_crash \(no summary: crashed or exited early, status 139\)$'
	assert_line '  unit test_late (status 3 after a clean summary)'
	assert_equal "${lines[-1]}" "1 passed, 2 failed"
}

# mutate MODE: a rescue wrapper that runs the real one, then changes its
# metadata output: flip (one bit of the first chunk record's version) or swap
# (the first two chunk records: the same records in another order).
mutate() {
	local w=$BATS_TEST_TMPDIR/rescue-$1
	cat >"$w" <<EOF
#!/bin/sh
"$RESCUE" "\$@" || exit
out=
while [ \$# -gt 0 ]; do
	case \$1 in -o) out=\$2 ;; -d) out=\$2/metadata.mfs ;; esac
	shift
done
exec python3 - "\$out" $1 <<'PY'
import struct, sys
path, mode = sys.argv[1], sys.argv[2]
b = bytearray(open(path, 'rb').read())
at = b.index(b'CHNK 1.1') + 16 + 8  # section name, length, nextchunkid
if mode == 'flip':
    b[at + 11] ^= 1
else:
    b[at:at + 34] = b[at + 17:at + 34] + b[at:at + 17]
open(path, 'wb').write(b)
PY
EOF
	chmod +x "$w"
	echo "$w"
}

@test "harness: moosefs compare fails when one byte of our output differs from MooseFS's (exit 1)" {
	requires moosefs
	run timeout 120 "$TESTS_DIR/integration/moosefs/compare" -T -r "$(mutate flip)" \
		-w "$BATS_TEST_TMPDIR/w" "$FIXTURES/moosefs/small"
	assert_failure 1
	assert_line "ok small oracle: progress: current change: 34 (first:19 - last:34 - 100% - ETA:finished)"
	assert_line --regexp "^FAIL small bytes-m: not byte-identical: .* differ: (byte|char) [0-9]+, line [0-9]+$"
	assert_line --regexp "^FAIL small bytes-a: not byte-identical: "
	assert_line --regexp "^FAIL small dump-m: 2 records differ; first: < CHUNK\|i:0x0000000000000002\|v:0x00000001"
	assert_line 'byte-identical: 0 of 1 scenarios'
}

@test "harness: moosefs compare fails when our records are in another order than MooseFS's (exit 1)" {
	requires moosefs
	run timeout 120 "$TESTS_DIR/integration/moosefs/compare" -T -r "$(mutate swap)" \
		-w "$BATS_TEST_TMPDIR/w" "$FIXTURES/moosefs/small"
	assert_failure 1
	assert_line --regexp "^FAIL small dump-m: same records, different order; first: "
	assert_line --regexp "^FAIL small dump-a: same records, different order; first: "
	assert_line --regexp "^FAIL small bytes-m: not byte-identical: "
	assert_line 'byte-identical: 0 of 1 scenarios'
}

@test "harness: moosefs compare passes the committed small fixture unchanged, bytes and order (exit 0)" {
	requires moosefs
	run timeout 120 "$TESTS_DIR/integration/moosefs/compare" -T -r "$RESCUE" \
		-w "$BATS_TEST_TMPDIR/w" "$FIXTURES/moosefs/small"
	assert_success
	assert_line "ok small dump-m: 82 lines, same order"
	assert_line "ok small bytes-m: identical"
	assert_line "ok small bytes-a: identical"
	assert_line 'byte-identical: 1 of 1 scenarios'
}
