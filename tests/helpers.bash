# helpers.bash: loaded by every bats file (`load helpers` or `load ../helpers`).
# Conventions: docs/contributing.md 1.6.  Work only in $BATS_TEST_TMPDIR.
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$TESTS_DIR/.." && pwd)
RESCUE=${RESCUE:-$TOP_DIR/${O:-out}/rescue}
RESCUE_BIN=$(dirname "$RESCUE")/bin
FIXTURES=$TESTS_DIR/fixtures
export RESCUE RESCUE_BIN TOP_DIR FIXTURES

# run_tool TOOL ARGS...: run `rescue TOOL ARGS...` with stdout and stderr kept
# apart ($output, $stderr); on failure bats shows the command and both streams.
# Any status >= 126 is a crash and fails the test at once.
run_tool() {
	run --separate-stderr "$RESCUE" "$@"
	_show_run "rescue $*"
}

# run_link TOOL ARGS...: the same through out/bin/TOOL (argv[0] dispatch).
run_link() {
	local t=$1
	shift
	run --separate-stderr "$RESCUE_BIN/$t" "$@"
	_show_run "$t $*"
}

_show_run() {
	{
		echo "\$ $1 (status=$status)"
		[ -z "$output" ] || printf 'stdout:\n%s\n' "$output"
		[ -z "$stderr" ] || printf 'stderr:\n%s\n' "$stderr"
	} >&2
	if [ "$status" -ge 126 ]; then
		echo "crash: status $status" >&2
		return 1
	fi
}

# snapshot FILE...: remember content and metadata; assert_unchanged checks them.
snapshot() {
	local f
	for f in "$@"; do
		printf '%s %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" "$(stat -c '%s %Y %i %a %u:%g' "$f")"
	done >"$BATS_TEST_TMPDIR/.snapshot"
	printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/.snapshot.files"
}

assert_unchanged() {
	local now f
	now=$(while read -r f; do
		printf '%s %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" "$(stat -c '%s %Y %i %a %u:%g' "$f")"
	done <"$BATS_TEST_TMPDIR/.snapshot.files")
	assert_equal "$now" "$(cat "$BATS_TEST_TMPDIR/.snapshot")"
}

# assert_no_tmp DIR: no NAME.tmp.PID left beside a target.
assert_no_tmp() {
	local left
	left=$(find "${1:-$BATS_TEST_TMPDIR}" -maxdepth 1 -name '*.tmp.*' | head -n 5)
	assert_equal "$left" ""
}

# The only tests that may skip under RESCUE_TEST_STRICT=1 (CI), each with a
# reason: one "TEST NAME :: REASON" a line, TEST NAME exactly as in @test.
SKIP_ALLOWLIST=$TESTS_DIR/skip-allowlist.txt

# skip_allowed NAME: NAME is in $SKIP_ALLOWLIST, with a reason.
skip_allowed() {
	awk -F ' :: ' -v n="$1" '!/^#/ && $1 == n && $2 ~ /[^ ]/ { f = 1 } END { exit !f }' "$SKIP_ALLOWLIST"
}

# skip [REASON]: bats' skip (kept as _bats_skip), except that with
# RESCUE_TEST_STRICT=1 a test not in $SKIP_ALLOWLIST fails instead (also a
# skip in setup_file, which names no test).  tests/run checks the TAP too.
if ! declare -F _bats_skip >/dev/null; then
	eval "_bats_$(declare -f skip)"
fi
skip() {
	if [ "${RESCUE_TEST_STRICT:-0}" = 1 ] && ! skip_allowed "${BATS_TEST_DESCRIPTION:-}"; then
		echo "skip refused (RESCUE_TEST_STRICT=1): '${BATS_TEST_DESCRIPTION:-setup_file}' is not in ${SKIP_ALLOWLIST#"$TOP_DIR"/}: ${1:-no reason given}" >&2
		exit 1
	fi
	_bats_skip "$@"
}

# mfsmaster_cfg DIR [CFG]: a config (CFG, default DIR.cfg) for the installed
# MooseFS master's offline restore of data directory DIR as root:
# mfsmaster -c CFG restore
mfsmaster_cfg() {
	printf 'DATA_PATH = %s\nWORKING_USER = root\nWORKING_GROUP = root\n' "$1" >"${2:-$1.cfg}"
}

# scribble FILE BLOCK...: overwrite 4 KiB blocks with random bytes
scribble() {
	local f=$1 b
	shift
	for b in "$@"; do
		head -c 4096 /dev/urandom | dd of="$f" bs=4096 seek="$b" conv=notrunc status=none
	done
}

# requires WHAT...: skip unless available (root qemu qemu-arm64 moosefs strace podman
# netns loop chroot); an unknown requirement is an error.  With
# RESCUE_TEST_STRICT=1 (CI) the skip fails unless the test is allowlisted.
requires() {
	local r why=""
	for r in "$@"; do
		case $r in
		root) [ "$(id -u)" = 0 ] || why="needs root" ;;
		qemu) command -v qemu-system-x86_64 >/dev/null || why="needs qemu-system-x86_64" ;;
		qemu-arm64) command -v qemu-system-aarch64 >/dev/null || why="needs qemu-system-aarch64 (qemu-system-arm)" ;;
		moosefs) command -v mfsmaster >/dev/null && command -v mfsmetadump >/dev/null || why="needs MooseFS (moosefs-master)" ;;
		strace) command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null || why="needs a working strace (ptrace)" ;;
		podman) command -v podman >/dev/null && podman info >/dev/null 2>&1 || why="needs a working podman" ;;
		netns) [ "$(id -u)" = 0 ] && command -v ip >/dev/null || why="needs root and iproute2 for network namespaces" ;;
		loop) [ "$(id -u)" = 0 ] && command -v losetup >/dev/null && losetup -f >/dev/null 2>&1 || why="needs loop devices" ;;
		chroot) [ "$(id -u)" = 0 ] || why="needs root for chroot" ;;
		sbattach) command -v sbattach >/dev/null || why="needs sbattach (sbsigntool)" ;;
		ovmf) [ -f /usr/share/OVMF/OVMF_CODE_4M.secboot.fd ] || why="needs OVMF (ovmf)" ;;
		*) echo "requires: unknown requirement '$r'" >&2; return 1 ;;
		esac
		[ -z "$why" ] || skip "$why"
	done
}
