#!/usr/bin/env bats
# mfsmetadump: the same text as MooseFS 3.0.117's /usr/sbin/mfsmetadump,
# compared at test time on every metadata file of the fixtures and on the
# files the real restore writes from them.
load helpers

FX=$FIXTURES/mfsmetarestore

same_as_real() {
	local f=$1
	run --separate-stderr mfsmetadump "$f"
	local want=$output
	run_tool mfsmetadump "$f"
	assert_success
	assert_equal "$output" "$want"
}

@test "mfsmetadump: every fixture metadata file dumps like the real mfsmetadump (exit 0)" {
	requires moosefs
	n=0
	for f in "$FX"/*/metadata*.mfs.back*; do
		same_as_real "$f"
		n=$((n + 1))
	done
	[ "$n" -ge 8 ]
}

@test "mfsmetadump: files written by the real restore dump like the real mfsmetadump (exit 0)" {
	requires moosefs root
	for s in small empty full metalogger; do
		d=$BATS_TEST_TMPDIR/$s
		mkdir -p "$d"
		cp "$FX/$s"/* "$d/"
		printf 'DATA_PATH = %s\nWORKING_USER = root\nWORKING_GROUP = root\n' "$d" >"$d.cfg"
		timeout 60 mfsmaster -c "$d.cfg" restore >/dev/null 2>&1
		same_as_real "$d/metadata.mfs"
	done
}

@test "mfsmetadump: -s NODE prints one section like the real one (exit 0)" {
	requires moosefs
	run --separate-stderr mfsmetadump -s NODE "$FX/full/metadata.mfs.back"
	want=$output
	run_tool mfsmetadump -s NODE "$FX/full/metadata.mfs.back"
	assert_success
	assert_equal "$output" "$want"
}

@test "mfsmetadump: a truncated file is an error naming the offset (exit 3)" {
	head -c 3000 "$FX/full/metadata.mfs.back" >"$BATS_TEST_TMPDIR/t.mfs"
	run_tool mfsmetadump "$BATS_TEST_TMPDIR/t.mfs"
	assert_equal "$status" 3
	assert_regex "$stderr" "^mfsmetadump: .*/t.mfs@[0-9]+: truncated"
}

@test "mfsmetadump: --help through the link (exit 0)" {
	run_link mfsmetadump --help
	assert_success
	assert_line --index 0 "usage: mfsmetadump [-d] [-s SECTION] FILE"
}
