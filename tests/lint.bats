#!/usr/bin/env bats
# Project-wide checks: static analysis, shell lint, and that the tool list,
# man pages, --help texts and test files agree (one source: rescue/tools.h).
load helpers

@test "lint: cppcheck finds nothing in rescue/" {
	run cppcheck --enable=warning,performance,portability --error-exitcode=1 -q \
		--inline-suppr --std=c11 -D__GNUC__ -Irescue "$TOP_DIR/rescue"
	assert_success
	assert_output ""
}

@test "lint: recipes, init and build scripts pass shellcheck -s sh" {
	local files=()
	for f in "$TOP_DIR"/recipes/* "$TOP_DIR"/initramfs/* "$TOP_DIR"/mk/fetch-*; do
		[ -f "$f" ] && head -n 1 "$f" | grep -q '^#!.*sh' && files+=("$f")
		[ "${f##*.}" = sh ] && [ -f "$f" ] && files+=("$f")
	done
	[ ${#files[@]} -gt 0 ] || skip "no shell scripts yet"
	run shellcheck -s sh "${files[@]}"
	assert_success
}

@test "lint: test scripts pass shellcheck (bash)" {
	run shellcheck -s bash -e SC2154,SC1091 "$TOP_DIR/tests/run" "$TOP_DIR/tests/helpers.bash" "$TOP_DIR/.ci/run" \
		"$TOP_DIR"/tests/crash/*.bash "$TOP_DIR/tests/crash/sweep" "$TOP_DIR"/tests/hostile/metasnap-* \
		"$TOP_DIR/bench/boot" "$TOP_DIR/tests/integration/netboot-serve" "$TOP_DIR/tests/integration/qemu.bash"
	assert_success
}

@test "lint: every tool has a man page whose SYNOPSIS matches its --help" {
	tools=$("$RESCUE" --list)
	[ -n "$tools" ] || fail "rescue --list named no tool"
	for t in $tools; do
		page="$TOP_DIR/docs/man/$t.1"
		[ -f "$page" ] || fail "missing docs/man/$t.1"
		usage=$("$RESCUE" "$t" --help | sed -n '1s/^usage: //p')
		synopsis=$(sed -n '/^\.SH SYNOPSIS/{n;p;q}' "$page" | sed 's/\\-/-/g; s/\\fB//g; s/\\fR//g; s/\\fI//g; s/\\fP//g; s/^\.B //')
		assert_equal "$synopsis" "$usage"
		grep -q '^\.SH EXIT STATUS' "$page" || fail "docs/man/$t.1 has no EXIT STATUS"
	done
}

@test "lint: man pages format without warnings" {
	for page in "$TOP_DIR"/docs/man/*.1; do
		run bash -c "MANWIDTH=80 man --warnings -l '$page' 2>&1 >/dev/null"
		assert_output ""
	done
}

@test "lint: every tool has its bats file" {
	tools=$("$RESCUE" --list)
	[ -n "$tools" ] || fail "rescue --list named no tool"
	for t in $tools; do
		[ -f "$TOP_DIR/tests/$t.bats" ] || fail "missing tests/$t.bats"
	done
}

@test "lint: every recipe has its bats file and guide" {
	for r in "$TOP_DIR"/recipes/*; do
		n=${r##*/}
		case $n in lib.sh | selftest) continue ;; esac
		[ -f "$TOP_DIR/tests/recipes/$n.bats" ] || fail "missing tests/recipes/$n.bats"
		[ -f "$TOP_DIR/docs/recipes/$n.md" ] || fail "missing docs/recipes/$n.md"
	done
}

# spec_comments: FILE:LINE:TEXT of every line that holds a comment (C, sh,
# bats, make, awk, Erlang) in the project's sources.  This file is left out:
# it names the patterns it looks for.
spec_comments() {
	(cd "$TOP_DIR" && grep -rnIP --exclude=lint.bats --exclude-dir=corpus \
		'(#|/\*|^\s*\*|//|%%)' rescue recipes initramfs tests mk bench Makefile)
}

@test "lint: no comment cites notes a clone does not have (docs/contributing.md 5)" {
	# the notes that lived beside the repository, by every name they went by
	local bad
	bad=$(spec_comments | grep -P '(#|/\*|^[^:]*:[0-9]+:\s*\*|//|%%).*(shared/|shared research|research/|research note|NOTES\.md|DESIGN\.md|CONVENTIONS\.md|recipes-facts|cluster-notes|(?<!docs/)moosefs-format\.md)' || true)
	assert_equal "$bad" ""
}

@test "lint: every docs/ path a comment cites exists (docs/contributing.md 5)" {
	# upstream files are cited as PROJECT:PATH, so only a docs/ that starts
	# a path is one of ours
	local p n=0
	while read -r p; do
		n=$((n + 1))
		[ -e "$TOP_DIR/$p" ] || fail "a comment cites $p, which does not exist: $(spec_comments | grep -F "$p" | head -n 1)"
	done < <(spec_comments | cut -d: -f3- | grep -oE '(^|[^A-Za-z0-9_./:$-])docs/[A-Za-z0-9_./-]*' |
		sed 's/^[^d]//; s/[.]*$//' | sort -u)
	[ "$n" -gt 5 ] || fail "found only $n docs/ citations: the search is broken"
}
