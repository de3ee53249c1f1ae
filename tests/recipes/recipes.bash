# tests/recipes/recipes.bash: loaded by tests/recipes/*.bats after ../helpers.
# Recipes run under the image's own busybox (the one `make` built into the
# default image's rootfs, not the host's) with a PATH whose first directory
# holds links to every one of its applets and a `rescue` link to the built
# binary, so the recipe sees the same tools as in the rescue image (and prints
# "rescue TOOL ...").

RECIPES=$TOP_DIR/recipes
RFIX=$FIXTURES/recipes
# W as the Makefile sets it (relative to the top of the tree, or absolute)
_bb_w=${W:-build}
[ "${_bb_w#/}" != "$_bb_w" ] || _bb_w=$TOP_DIR/$_bb_w
BUSYBOX=${RESCUE_BUSYBOX:-$_bb_w/image/tree/rootfs/bin/busybox}
export BUSYBOX

# recipes_setup_file: the busybox PATH directory, once per bats file.
recipes_setup_file() {
	[ -x "$BUSYBOX" ] || {
		echo "recipes.bash: $BUSYBOX: no image busybox (run make first)" >&2
		return 1
	}
	BB_DIR=$BATS_FILE_TMPDIR/bb
	mkdir -p "$BB_DIR"
	local a
	for a in $("$BUSYBOX" --list); do
		ln -sf "$BUSYBOX" "$BB_DIR/$a"
	done
	ln -sf "$RESCUE" "$BB_DIR/rescue"
	export BB_DIR
}

# run_recipe NAME ARGS...: run the recipe under busybox sh; $output, $stderr,
# $status as with run_tool.  The log goes to $BATS_TEST_TMPDIR/recipe.log.
run_recipe() {
	local name=$1
	shift
	run --separate-stderr env PATH="$BB_DIR:$PATH" RESCUE_TOOL=rescue \
		RESCUE_LOG="$BATS_TEST_TMPDIR/recipe.log" "$BUSYBOX" sh "$RECIPES/$name" "$@"
	# with the stop hook, 137 (SIGKILL) is the expected end
	_show_run "$name $*" || [ -n "${RESCUE_RECIPE_STOP_AFTER:-}" ]
}

# norm: the text on stdin with the test directory shown as /T and backup
# timestamps as TS, so plans can be compared exactly.
norm() {
	sed -e "s|$BATS_TEST_TMPDIR|/T|g" -e 's/[0-9]\{8\}T[0-9]\{6\}Z/TS/g'
}

# tool_ready TOOL: skip while TOOL is a stub that says 'not built yet' (no
# tool is one today; a new tool's recipe tests may land before the tool).
tool_ready() {
	local t
	for t in "$@"; do
		if "$RESCUE" "$t" --help 2>&1 | grep -q 'not built yet'; then
			[ "${RESCUE_TEST_STRICT:-0}" != 1 ] || fail "rescue $t is not built yet (RESCUE_TEST_STRICT=1)"
			skip "rescue $t is not built yet"
		fi
	done
}

# small_fs DIR KIB: a tmpfs of KIB KiB on DIR (root only); unmounted at teardown.
small_fs() {
	mkdir -p "$1"
	mount -t tmpfs -o size="$2"k tmpfs "$1"
	echo "$1" >>"$BATS_TEST_TMPDIR/.mounts"
}

recipes_teardown() {
	local m
	if [ -f "$BATS_TEST_TMPDIR/.mounts" ]; then
		while read -r m; do umount "$m" 2>/dev/null || :; done <"$BATS_TEST_TMPDIR/.mounts"
	fi
}

# assert_err LINE: stderr has exactly this line; assert_err_re ERE: a line matches.
assert_err() {
	grep -qxF -- "$1" <<<"$stderr" || fail "stderr has no line: $1"
}

assert_err_re() {
	grep -qE -- "$1" <<<"$stderr" || fail "no stderr line matches: $1"
}

# err_last: the last line of stderr.
err_last() {
	tail -n 1 <<<"$stderr"
}
