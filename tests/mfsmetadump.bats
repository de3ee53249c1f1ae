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
		mfsmaster_cfg "$d"
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
	assert_line --index 0 "usage: mfsmetadump [-d] [-s SECTION | --header] FILE"
}

# the header lines the real mfsmetadump prints (everything before the first
# section, or its whole output for MFSM NEW)
real_header() {
	run --separate-stderr mfsmetadump "$1"
	printf '%s\n' "$output" | sed '/^# ---/,$d'
}

@test "mfsmetadump: --header prints the real mfsmetadump's header lines, then the facts (exit 0)" {
	requires moosefs
	n=0
	for f in "$FX"/*/metadata*.mfs.back*; do
		want=$(real_header "$f")
		run_tool mfsmetadump --header "$f"
		assert_success
		assert_equal "$(printf '%s\n' "$output" | sed '$d')" "$want"
		last=${lines[${#lines[@]} - 1]}
		case $(head -c 8 "$f") in
		"MFSM NEW")
			assert_equal "$last" "# kind: mfsm-new ; version: 1 ; id: - ; end marker: -" ;;
		"MFSM 2.0")
			v=$(printf '%s\n' "$want" | sed -n 's/^# version: \([0-9]*\) ; fileid: 0x\([0-9A-F]*\)$/\1/p')
			id=$(printf '%s\n' "$want" | sed -n 's/^# version: \([0-9]*\) ; fileid: 0x\([0-9A-F]*\)$/\2/p' | tr A-F a-f)
			[ -n "$v" ] && [ -n "$id" ]
			assert_equal "$last" "# kind: mfsm-2.0 ; version: $v ; id: $id ; end marker: yes" ;;
		*) false ;;
		esac
		n=$((n + 1))
	done
	[ "$n" -ge 8 ]
}

@test "mfsmetadump: --header on an MFSM 1.5 header prints the real tool's lines (exit 0)" {
	requires moosefs
	f=$BATS_TEST_TMPDIR/old.mfs
	# MooseFS 1.6: u32 maxnodeid, u64 version, u32 nextsessionid, ..., 16 zero bytes at the end
	{ printf 'MFSM 1.5\0\0\0\5\0\0\0\0\0\0\1\7\0\0\0\3'; head -c 16 /dev/zero; } >"$f"
	want=$(real_header "$f")
	run_tool mfsmetadump --header "$f"
	assert_success
	assert_equal "$(printf '%s\n' "$output" | sed '$d')" "$want"
	assert_line --index 1 "# maxnodeid: 5 ; version: 263 ; nextsessionid: 3"
	assert_line --index 2 "# kind: mfsm-1.x ; version: 263 ; id: - ; end marker: yes"
}

@test "mfsmetadump: --header reads only the header: a cut file says 'end marker: no' (exit 0)" {
	head -c 3000 "$FX/full/metadata.mfs.back" >"$BATS_TEST_TMPDIR/t.mfs"
	run_tool mfsmetadump --header "$BATS_TEST_TMPDIR/t.mfs"
	assert_success
	assert_line --index 0 "# header: MFSM 2.0 (4D46534D20322E30)"
	assert_regex "${lines[2]}" "^# kind: mfsm-2\.0 ; version: [0-9]+ ; id: [0-9a-f]+ ; end marker: no$"
}

@test "mfsmetadump: --header on a header cut short or a foreign file (exit 3)" {
	head -c 20 "$FX/full/metadata.mfs.back" >"$BATS_TEST_TMPDIR/short.mfs"
	run_tool mfsmetadump --header "$BATS_TEST_TMPDIR/short.mfs"
	assert_equal "$status" 3
	assert_regex "$stderr" "^mfsmetadump: .*/short.mfs@8: truncated header$"
	assert_line "# kind: mfsm-2.0 ; version: - ; id: - ; end marker: no"
	printf 'LIZM 2.9%024d[MFS EOF MARKER]' 0 >"$BATS_TEST_TMPDIR/liz.mfs"
	run_tool mfsmetadump --header "$BATS_TEST_TMPDIR/liz.mfs"
	assert_success
	assert_line "# kind: lizardfs ; version: 3472328296227680304 ; id: 3030303030303030 ; end marker: yes"
	printf 'hello, world, this is not it' >"$BATS_TEST_TMPDIR/x.mfs"
	run_tool mfsmetadump --header "$BATS_TEST_TMPDIR/x.mfs"
	assert_equal "$status" 3
	assert_regex "$stderr" "bad signature"
	assert_line "# kind: unknown ; version: - ; id: - ; end marker: no"
}

@test "mfsmetadump: -s with --header is a usage error (exit 2)" {
	run_tool mfsmetadump -s NODE --header "$FX/full/metadata.mfs.back"
	assert_equal "$status" 2
	assert_regex "$stderr" "do not go together"
}
