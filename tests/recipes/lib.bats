#!/usr/bin/env bats
# recipes/lib.sh on its own, through a small recipe (tests/fixtures/recipes/lib/
# demo): quoting, the log, step state and --done, failing steps, the lock.
load ../helpers
load recipes

setup_file() { recipes_setup_file; }
teardown() { recipes_teardown; }

setup() {
	# a directory name with a blank and a quote: every command must quote it
	D="$BATS_TEST_TMPDIR/it's a dir"
	mkdir -p "$D"
	echo input >"$D/in"
	W="$D.rescue"
}

demo() {
	run --separate-stderr env PATH="$BB_DIR:$PATH" RESCUE_TOOL=rescue RESCUE_RECIPE_LIB="$RECIPES/lib.sh" \
		RESCUE_LOG="${DEMO_LOG-$BATS_TEST_TMPDIR/recipe.log}" "$BUSYBOX" sh "$RFIX/lib/demo" "$@"
	_show_run "demo $*" || [ -n "${RESCUE_RECIPE_STOP_AFTER:-}" ]
}

@test "lib: recipe tests run under the image's busybox, the one built here against musl" {
	# the default profile says busybox = musl: its banner names this build
	run "$BUSYBOX"
	assert_line --index 0 --partial ", rescue musl) multi-call binary."
	assert_equal "$(readlink "$BB_DIR/sh")" "$BUSYBOX"
	# and it is the very file the default image carries
	gzip -dc "$TOP_DIR/${O:-out}/rescue-initramfs.cpio.gz" |
		(cd "$BATS_TEST_TMPDIR" && cpio -i --quiet --make-directories bin/busybox)
	cmp "$BUSYBOX" "$BATS_TEST_TMPDIR/bin/busybox"
}

@test "lib: the test recipe passes shellcheck -s sh" {
	run shellcheck -s sh "$RFIX/lib/demo"
	assert_success
}

@test "lib: the plan quotes paths with blanks and quotes; the dry run changes nothing (exit 0)" {
	demo "$D"
	assert_success
	assert_equal "$(norm <<<"$output")" "$(cat <<'EOF'
demo: plan (4 steps; dry run, nothing is changed: add --yes to act)
 1. back up /T/it's a dir (metasnap, verified)
    $ mkdir -p '/T/it'\''s a dir.rescue/backup'
    $ rescue metasnap save '/T/it'\''s a dir' -o '/T/it'\''s a dir.rescue/backup/dir-TS.tar.gz'
    $ rescue metasnap verify '/T/it'\''s a dir.rescue/backup/dir-TS.tar.gz'
 2. write /T/it's a dir/out
    $ printf '%s\n' 'it'\''s /T/it'\''s a dir' >'/T/it'\''s a dir/out'
    $ sleep 0
 3. look at /T/it's a dir/out [operator]
      cat '/T/it'\''s a dir/out'
 4. copy it
    $ cp '/T/it'\''s a dir/out' '/T/it'\''s a dir/out.2'
EOF
)"
	assert_equal "$(head -n 1 <<<"$stderr")" "demo: log: $BATS_TEST_TMPDIR/recipe.log"
	[ ! -e "$W" ] && [ ! -e "$D/out" ]
}

@test "lib: acting runs the steps, stops at the operator's, --done continues (exit 0)" {
	demo --yes "$D"
	assert_success
	assert_equal "$(cat "$D/out")" "it's $D"
	assert_equal "$(err_last)" "demo: stopped before step 3: do it, then re-run with --yes --done 3"
	assert_line "== step 3: look at $D/out (for the operator)"
	grep -q '^done=2$' "$W/state"
	# --done without --yes changes nothing
	demo --done 3 "$D"
	assert_success
	assert_err "demo: --done needs --yes"
	grep -q '^done=2$' "$W/state"
	demo --yes --done 3 "$D"
	assert_success
	assert_err "demo: step 3/4: look at $D/out: done by the operator"
	assert_equal "$(err_last)" "demo: all 4 steps done"
	assert_line "done with $D"
	cmp "$D/out" "$D/out.2"
	# the log has the plan, the commands and their output
	grep -qF "metasnap: saved" "$BATS_TEST_TMPDIR/recipe.log"
	grep -qF "demo: step 4/4: copy it" "$BATS_TEST_TMPDIR/recipe.log"
}

@test "lib: a step failing with a status outside 1-5 ends the recipe with 4, the state at the step before (exit 4)" {
	DEMO_FAIL=2 demo --yes "$D"
	assert_equal "$status" 4
	assert_equal "$(err_last)" "demo: step 2 failed (exit 4): sh -c 'exit 7'"
	grep -q '^done=1$' "$W/state"
	# fixed, the re-run resumes at step 2
	demo --yes "$D"
	assert_success
	! grep -q "step 1/" <<<"$stderr"
}

@test "lib: a second run while one is acting is refused; a dead run's lock is taken over (exit 5)" {
	DEMO_SLEEP=5 demo --yes "$D" &
	for _ in $(seq 50); do [ -f "$W/lock/pid" ] && break; sleep 0.1; done
	demo --yes "$D"
	assert_equal "$status" 5
	assert_err_re "^demo: another run \\(pid [0-9]+\\) is working in $W; wait for it or stop it$"
	wait
	[ ! -e "$W/lock" ]
	# killed while acting: the lock stays, the next run takes it over
	rm -rf "$W" "$D/out"
	RESCUE_RECIPE_STOP_AFTER=1 demo --yes "$D"
	assert_equal "$status" 137
	[ -f "$W/lock/pid" ]
	demo --yes "$D"
	assert_success
	assert_err_re "^demo: taking over the lock of a run that ended without releasing it \\(pid [0-9]+\\)$"
}

@test "lib: a log that cannot be written is an I/O error before anything is done (exit 4)" {
	DEMO_LOG=$BATS_TEST_TMPDIR/no/such/dir/log demo --yes "$D"
	assert_equal "$status" 4
	assert_equal "$stderr" "demo: cannot write the log '$BATS_TEST_TMPDIR/no/such/dir/log' (set RESCUE_LOG)"
	[ ! -e "$W" ]
}

@test "lib: without RESCUE_LOG the log goes to /run/rescue, or TMPDIR when that cannot be written (exit 0)" {
	requires root
	mkdir "$BATS_TEST_TMPDIR/plain"
	# in a mount namespace with its own /run, so the host's /run is left alone
	for setup in "mount -t tmpfs tmpfs /run" "mount -t tmpfs tmpfs /run && touch /run/rescue"; do
		PATH="$BB_DIR:$PATH" RESCUE_TOOL=rescue RESCUE_RECIPE_LIB="$RECIPES/lib.sh" RESCUE_LOG="" TMPDIR="$BATS_TEST_TMPDIR" \
			DEMO="$RFIX/lib/demo" DIR="$BATS_TEST_TMPDIR/plain" \
			unshare -m --propagation private sh -c "$setup"' && "$BUSYBOX" sh "$DEMO" "$DIR"' \
			>/dev/null 2>"$BATS_TEST_TMPDIR/err"
		head -n 1 "$BATS_TEST_TMPDIR/err" >>"$BATS_TEST_TMPDIR/first"
	done
	assert_equal "$(cat "$BATS_TEST_TMPDIR/first")" "$(printf '%s\n' "demo: log: /run/rescue/demo.log" "demo: log: $BATS_TEST_TMPDIR/demo.log")"
	[ -s "$BATS_TEST_TMPDIR/demo.log" ]
}

@test "lib: a killed run resumes; a changed input starts again at step 1 (exit 0)" {
	RESCUE_RECIPE_STOP_AFTER=2 demo --yes "$D"
	assert_equal "$status" 137
	demo --yes "$D"
	grep -q "^ 2\. .*\[done\]" <<<"$output"
	assert_equal "$(err_last)" "demo: stopped before step 3: do it, then re-run with --yes --done 3"
	echo changed >"$D/in"
	demo --yes "$D"
	assert_err "demo: the inputs changed since $W/state was written: its steps do not apply; starting from step 1"
	assert_err_re "^demo: step 1/4: "
	assert_equal "$(ls "$W/backup" | wc -l)" 2
}

@test "lib: a file utility failing in a step is an I/O error (exit 4)" {
	demo --yes "$D"
	assert_success
	rm "$D/out"
	demo --yes --done 3 "$D"
	assert_equal "$status" 4
	# the command exactly as it ran, quoted for the shell
	q=${D//\'/\'\\\'\'}
	assert_equal "$(err_last)" "demo: step 4 failed (exit 4): cp '$q/out' '$q/out.2'"
}

@test "lib: killed in the middle of a step, a re-run does that step again (exit 0)" {
	run timeout -s KILL 3 env PATH="$BB_DIR:$PATH" RESCUE_TOOL=rescue RESCUE_RECIPE_LIB="$RECIPES/lib.sh" \
		RESCUE_LOG="$BATS_TEST_TMPDIR/recipe.log" DEMO_SLEEP=30 "$BUSYBOX" sh "$RFIX/lib/demo" --yes "$D"
	assert_equal "$status" 137
	grep -q '^done=1$' "$W/state"
	demo --yes "$D"
	assert_success
	assert_err_re "^demo: taking over the lock of a run that ended without releasing it"
	assert_err_re "^demo: step 2/4: "
	assert_equal "$(cat "$D/out")" "it's $D"
	assert_equal "$(ls "$W/backup" | wc -l)" 1
}

@test "lib: with RESCUE_LOG_TEED=1 (the caller copies the output) nothing is written to the log twice (exit 0)" {
	: >"$BATS_TEST_TMPDIR/recipe.log"
	RESCUE_LOG_TEED=1 demo --yes "$D"
	assert_success
	assert_equal "$(head -n 1 <<<"$stderr")" "demo: log: $BATS_TEST_TMPDIR/recipe.log"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/recipe.log")" ""
	# the output itself is complete
	assert_err_re "^metasnap: saved "
	assert_line "== step 3: look at $D/out (for the operator)"
}

# parse ARGS...: a recipe that only parses its command line (recipes/lib.sh's
# r_parse_args) and prints what it got
parse() {
	cat >"$BATS_TEST_TMPDIR/t" <<'SH'
set -eu
. "$RESCUE_RECIPE_LIB"
usage() { echo "usage: t"; }
r_start t "$@"
r_opt() { printf 'opt %s\n' "$*"; }
r_parse_args "-a --flag --one:1 --two:2" "$@"
eval "set -- $R_POS"
for p in "$@"; do printf 'pos <%s>\n' "$p"; done
echo "npos=$R_NPOS ddash=${R_DDASH:-none} act=$R_ACT"
SH
	run --separate-stderr env RESCUE_RECIPE_LIB="$RECIPES/lib.sh" "$BUSYBOX" sh "$BATS_TEST_TMPDIR/t" "$@"
	_show_run "t $*"
}

@test "lib: r_parse_args takes options anywhere, '--' ends them, --NAME=VALUE works (exit 0)" {
	parse p1 --one v1 "it's \"2\"" --flag -y --two a -b -a --one=x=y -- --one -x '' $'l1\nl2'
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$output" "opt --one v1
opt --flag
opt --two a -b
opt -a
opt --one x=y
pos <p1>
pos <it's \"2\">
pos <--one>
pos <-x>
pos <>
pos <l1
l2>
npos=6 ddash=2 act=1"
	parse -- -y
	assert_output "pos <-y>
npos=1 ddash=0 act=0"
	parse p -
	assert_output "pos <p>
pos <->
npos=2 ddash=none act=0"
	parse p --help
	assert_success
	assert_output "usage: t"
}

@test "lib: r_parse_args usage errors name the option (exit 2)" {
	parse p --bogus
	assert_equal "$status" 2
	assert_equal "$stderr" "t: unknown option '--bogus' (see 't --help')"
	assert_output ""
	parse p --one
	assert_equal "$status" 2
	assert_equal "$stderr" "t: option '--one' needs an argument (see 't --help')"
	parse --two a
	assert_equal "$status" 2
	assert_equal "$stderr" "t: option '--two' needs 2 arguments (see 't --help')"
	parse --flag=1 p
	assert_equal "$status" 2
	assert_equal "$stderr" "t: option '--flag' takes no argument (see 't --help')"
	parse --yes=1
	assert_equal "$status" 2
	assert_equal "$stderr" "t: option '--yes' takes no argument (see 't --help')"
}

@test "lib: every recipe uses r_parse_args and sees an option after a positional argument (exit 0)" {
	local r n
	for r in "$RECIPES"/*; do
		n=${r##*/}
		[ "$n" != lib.sh ] || continue
		grep -q '^r_parse_args ' "$r" || fail "$n does not use r_parse_args"
		run_recipe "$n" some-arg --help
		assert_success
		assert_line --index 0 --regexp "^usage: $n "
	done
}

@test "lib: r_is_remote tells [USER@]HOST:/DIR from local paths (an existing local path with ':' stays local)" {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p here:/d
	# shellcheck disable=SC2016
	run busybox sh -c '. "$1"; shift; for a in "$@"; do if r_is_remote "$a"; then echo "R $a"; else echo "L $a"; fi; done' sh \
		"$RECIPES/lib.sh" node1:/var/lib/mfs root@10.0.0.7:/srv/fe2 /abs/x:/y ./h:/d rel/h:/d node1:rel node1: :/d here:/d
	assert_success
	assert_output "$(printf '%s\n' 'R node1:/var/lib/mfs' 'R root@10.0.0.7:/srv/fe2' 'L /abs/x:/y' 'L ./h:/d' \
		'L rel/h:/d' 'L node1:rel' 'L node1:' 'L :/d' 'L here:/d')"
}
