#!/usr/bin/env bats
# MooseFS 4.x (4.59.2) metadata: mfsmetarestore and mfsmetadump compared with
# the real 4.59.2 tools' results, stored as oracles in
# tests/fixtures/moosefs-4.59/<scenario>/oracle (NOTES: how they were made;
# the 4.59.2 restore is deterministic, so a stored oracle is valid).
load helpers

FX=$FIXTURES/moosefs-4.59

# restore_m SCENARIO SET: -m/-o on the master (SET=master) or metalogger set,
# every changelog of the set given, compared byte for byte with the oracle
restore_m() {
	local d=$FX/$1/$2 meta=metadata.mfs.back
	[ "$2" = metalogger ] && meta=metadata_ml.mfs.back
	snapshot "$d"/*
	run_tool mfsmetarestore -q -m "$d/$meta" -o "$BATS_TEST_TMPDIR/out.mfs" "$d"/changelog*.mfs
	assert_success
	assert_unchanged
	cmp "$BATS_TEST_TMPDIR/out.mfs" "$FX/$1/oracle/master/metadata.mfs"
}

# restore_a SCENARIO SET: -a on a copy of the set's directory
restore_a() {
	local d=$BATS_TEST_TMPDIR/data
	mkdir -p "$d"
	cp "$FX/$1/$2"/* "$d/"
	run_tool mfsmetarestore -a -q -d "$d"
	assert_success
	cmp "$d/metadata.mfs" "$FX/$1/oracle/master/metadata.mfs"
}

# with_desc_bug: 4.59.2's mfsmetadump prints, for a class stored with an
# empty description, the last non-empty one it read (a buffer it does not
# clear); we print it empty.  This puts the bug back into our text.
with_desc_bug() {
	awk '/^SCLASSMAIN\|/ { i = index($0, "|c:"); d = substr($0, i + 3)
		if (d == "") { $0 = $0 last } else { last = d } } { print }'
}

# dump_same ORACLE_DIR: our mfsmetadump of the real restore's metadata.mfs is
# the real 4.59.2 mfsmetadump text, but for that bug
dump_same() {
	run_tool mfsmetadump "$1/metadata.mfs"
	assert_success
	printf '%s\n' "$output" | with_desc_bug >"$BATS_TEST_TMPDIR/dump.txt"
	diff "$1/metadata.dump.txt" "$BATS_TEST_TMPDIR/dump.txt"
	# the bug's lines are there, and ours are empty
	assert_regex "$output" $'\n''SCLASSMAIN\|[^\n]*\|n:sc_arch\|c:'$'\n'
}

@test "mfs4: -m/-o on scenario small (snapshot inside changelog.0) equals the real 4.59.2 restore (exit 0)" {
	restore_m small master
}

@test "mfs4: -a on scenario small equals the real 4.59.2 restore (exit 0)" {
	restore_a small master
}

@test "mfs4: -m/-o on the metalogger set of small equals the real 4.59.2 restore (exit 0)" {
	restore_m small metalogger
}

@test "mfs4: -a on the metalogger set of small equals the real 4.59.2 restore (exit 0)" {
	restore_a small metalogger
}

@test "mfs4: -m/-o on scenario hourly (changelog.1 + changelog.0) equals the real 4.59.2 restore (exit 0)" {
	restore_m hourly master
}

@test "mfs4: -a on scenario hourly equals the real 4.59.2 restore (exit 0)" {
	restore_a hourly master
}

@test "mfs4: -m/-o on the metalogger set of hourly equals the real 4.59.2 restore (exit 0)" {
	restore_m hourly metalogger
}

@test "mfs4: -a on the metalogger set of hourly equals the real 4.59.2 restore (exit 0)" {
	restore_a hourly metalogger
}

@test "mfs4: -m/-o on scenario empty (MFSM NEW + changelog from id 1, 4.x classes) equals the real 4.59.2 restore (exit 0)" {
	restore_m empty master
}

@test "mfs4: -a on scenario empty equals the real 4.59.2 restore (exit 0)" {
	restore_a empty master
}

@test "mfs4: a 4.x snapshot stored again without changelogs equals the real 4.59.2 store (torn oracle, exit 0)" {
	# the real restore ignored the torn file: its result is the snapshot
	# loaded and stored again
	run_tool mfsmetarestore -q -m "$FX/torn/master/metadata.mfs.back" -o "$BATS_TEST_TMPDIR/out.mfs"
	assert_success
	cmp "$BATS_TEST_TMPDIR/out.mfs" "$FX/torn/oracle/master/metadata.mfs"
}

@test "mfs4: torn last 4.x changelog line: complete lines applied with a warning, equals the real restore without the fragment (exit 0)" {
	d=$FX/torn/master
	snapshot "$d"/*
	run_tool mfsmetarestore -m "$d/metadata.mfs.back" -o "$BATS_TEST_TMPDIR/out.mfs" "$d/changelog.0.mfs"
	assert_success
	assert_unchanged
	assert_regex "$(printf '%s\n' "$stderr" | sed -n 1p)" \
		"^mfsmetarestore: warning: .*/changelog.0.mfs:806: damaged end of file, [0-9]+ bytes ignored: last line is torn"
	cmp "$BATS_TEST_TMPDIR/out.mfs" "$FX/torn/oracle-complete/master/metadata.mfs"
}

@test "mfs4: -a on the torn set equals the real restore without the fragment (exit 0)" {
	d=$BATS_TEST_TMPDIR/data
	mkdir -p "$d"
	cp "$FX/torn/master"/* "$d/"
	run_tool mfsmetarestore -a -q -d "$d"
	assert_success
	cmp "$d/metadata.mfs" "$FX/torn/oracle-complete/master/metadata.mfs"
}

@test "mfs4: mfsmetadump prints the real restore's files like 4.59.2's mfsmetadump (exit 0)" {
	for s in small/oracle hourly/oracle empty/oracle torn/oracle torn/oracle-complete; do
		dump_same "$FX/$s/master"
	done
}

# new_fs_changelog DIR: an MFSM NEW snapshot and a changelog that creates an
# empty file and unlinks it (in DIR)
new_fs_changelog() {
	mkdir -p "$1"
	printf 'MFSM NEW' >"$1/metadata.mfs.back"
	printf '%s\n' '1: 1796493660|SETMETAID(7715881520363784098)' \
		'2: 1796493661|CREATE(1,f,1,420,18,0,0,0):2' \
		'3: 1796493662|UNLINK(1,f):2' >"$1/changelog.0.mfs"
}

@test "mfs4: KEEP_EMPTY_FILES_IN_TRASH: an unlinked empty file is freed by default (4.x), kept in trash with -k 1 (exit 0)" {
	d=$BATS_TEST_TMPDIR
	new_fs_changelog "$d/in"
	run_tool mfsmetarestore -q -F 4 -m "$d/in/metadata.mfs.back" -o "$d/k0.mfs" "$d/in/changelog.0.mfs"
	assert_success
	run_tool mfsmetarestore -q -F 4 -k 1 -m "$d/in/metadata.mfs.back" -o "$d/k1.mfs" "$d/in/changelog.0.mfs"
	assert_success
	run_tool mfsmetadump "$d/k0.mfs"
	assert_success
	refute_regex "$output" 'NODE\|k:T\|i: +2\|'
	assert_regex "$output" 'FREEID\|i: +2\|'
	run_tool mfsmetadump "$d/k1.mfs"
	assert_success
	assert_regex "$output" 'NODE\|k:T\|i: +2\|'
}

@test "mfs4: -a takes KEEP_EMPTY_FILES_IN_TRASH from the config given with -c (exit 0)" {
	d=$BATS_TEST_TMPDIR
	new_fs_changelog "$d/data"
	new_fs_changelog "$d/in"
	printf 'DATA_PATH = %s\nKEEP_EMPTY_FILES_IN_TRASH = 1\n' "$d/data" >"$d/mfsmaster.cfg"
	run_tool mfsmetarestore -a -q -F 4 -c "$d/mfsmaster.cfg"
	assert_success
	run_tool mfsmetarestore -q -F 4 -k 1 -m "$d/in/metadata.mfs.back" -o "$d/k1.mfs" "$d/in/changelog.0.mfs"
	assert_success
	cmp "$d/data/metadata.mfs" "$d/k1.mfs"
}

@test "mfs4: a new (MFSM NEW) snapshot is 4.x with -F 4 or when the changelogs show 4.x syntax, else 3.x (exit 0)" {
	d=$BATS_TEST_TMPDIR
	mkdir -p "$d/in"
	printf 'MFSM NEW' >"$d/in/metadata.mfs.back"
	printf '%s\n' '1: 1796493660|SETMETAID(7715881520363784098)' >"$d/in/neutral.mfs"
	run_tool mfsmetarestore -q -m "$d/in/metadata.mfs.back" -o "$d/3.mfs" "$d/in/neutral.mfs"
	assert_success
	run_tool mfsmetarestore -q -F 4 -m "$d/in/metadata.mfs.back" -o "$d/4.mfs" "$d/in/neutral.mfs"
	assert_success
	run_tool mfsmetadump "$d/3.mfs"
	assert_regex "$output" 'section header: SCLA 1\.6'
	run_tool mfsmetadump "$d/4.mfs"
	assert_regex "$output" 'section header: SCLA 1\.<'
	assert_regex "$output" 'n:EC8\+1\|'
	# a 4.x line decides without -F
	printf '%s\n' '2: 1796493661|PATADD(*.tmp,4294967295,4294967295,128,3,1,3,0,0)' >>"$d/in/neutral.mfs"
	run_tool mfsmetarestore -q -m "$d/in/metadata.mfs.back" -o "$d/auto.mfs" "$d/in/neutral.mfs"
	assert_success
	run_tool mfsmetadump "$d/auto.mfs"
	assert_regex "$output" 'PATTERN\|v:128\|'
}

@test "mfs4: -F 3 on a 4.x snapshot is refused naming the family (exit 3)" {
	run_tool mfsmetarestore -F 3 -m "$FX/small/master/metadata.mfs.back" -o "$BATS_TEST_TMPDIR/o.mfs"
	assert_equal "$status" 3
	assert_regex "$stderr" "metadata.mfs.back: its sections are MooseFS 4.x ones, not 3.x"
	[ ! -e "$BATS_TEST_TMPDIR/o.mfs" ]
}

# corrupt OFFSET BYTE: a copy of the small oracle with one byte changed
corrupt() {
	cp "$FX/small/oracle/master/metadata.mfs" "$BATS_TEST_TMPDIR/bad.mfs"
	chmod u+w "$BATS_TEST_TMPDIR/bad.mfs"
	printf "\\x$2" | dd of="$BATS_TEST_TMPDIR/bad.mfs" bs=1 seek="$1" conv=notrunc 2>/dev/null
}

@test "mfs4: a bad storage class record (SCLA 1.C) is one FILE@OFFSET error in both tools (exit 3)" {
	# byte 323: the first class's number of keep expressions (0 is invalid)
	corrupt 323 00
	run_tool mfsmetarestore -m "$BATS_TEST_TMPDIR/bad.mfs" -o "$BATS_TEST_TMPDIR/o.mfs"
	assert_equal "$status" 3
	assert_equal "$stderr" "mfsmetarestore: $BATS_TEST_TMPDIR/bad.mfs@295: SCLA: bad storage class record"
	run_tool mfsmetadump "$BATS_TEST_TMPDIR/bad.mfs"
	assert_equal "$status" 3
	assert_equal "$stderr" "mfsmetadump: $BATS_TEST_TMPDIR/bad.mfs@295: SCLA: bad storage class record"
}

@test "mfs4: TRASH_REMOVE (an operation name with '_') is a changelog line and purges like PURGE (exit 0)" {
	d=$BATS_TEST_TMPDIR
	new_fs_changelog "$d/in"
	printf '%s\n' '4: 1796493663|TRASH_REMOVE(2)' >>"$d/in/changelog.0.mfs"
	run_tool mfsmetarestore -F 4 -k 1 -m "$d/in/metadata.mfs.back" -o "$d/o.mfs" "$d/in/changelog.0.mfs"
	assert_success
	assert_regex "$stderr" "wrote $d/o.mfs: version 5"
	run_tool mfsmetadump "$d/o.mfs"
	refute_regex "$output" 'NODE\|k:T\|i: +2\|'
	assert_regex "$output" 'FREEID\|i: +2\|'
}

@test "mfs4: TRASH_RECOVER recovers to the logged path, creating directories, and takes the name the master logged for a taken one (exit 0, then 3)" {
	d=$BATS_TEST_TMPDIR
	mkdir -p "$d/in"
	printf 'MFSM NEW' >"$d/in/metadata.mfs.back"
	printf '%s\n' '1: 1796493660|SETMETAID(7715881520363784098)' \
		'2: 1796493661|CREATE(1,f,1,420,18,0,0,0):2' \
		'3: 1796493661|LENGTH(2,5,1)' \
		'4: 1796493662|UNLINK(1,f):2' \
		'5: 1796493663|CREATE(1,g,1,420,18,0,0,0):3' \
		'6: 1796493664|TRASH_RECOVER(2,1,a/b/g,18,0,0,0):()' >"$d/in/changelog.0.mfs"
	run_tool mfsmetarestore -q -F 4 -m "$d/in/metadata.mfs.back" -o "$d/o.mfs" "$d/in/changelog.0.mfs"
	assert_success
	run_tool mfsmetadump "$d/o.mfs"
	assert_regex "$output" 'NODE\|k:D\|i: +4\|.*\|m:00755\|'
	assert_regex "$output" 'EDGE\|p: +5\|c: +2\|[^'$'\n'']*\|n:g'
	refute_regex "$output" 'k:T'
	# the name is taken: the master logs the one it used (escaped)
	sed -i 's|TRASH_RECOVER(2,1,a/b/g,18,0,0,0):()|TRASH_RECOVER(2,1,g,18,0,0,0):(g %281%29)|' "$d/in/changelog.0.mfs"
	run_tool mfsmetarestore -q -F 4 -m "$d/in/metadata.mfs.back" -o "$d/o2.mfs" "$d/in/changelog.0.mfs"
	assert_success
	run_tool mfsmetadump "$d/o2.mfs"
	assert_regex "$output" 'EDGE\|p: +1\|c: +2\|[^'$'\n'']*\|n:g \(1\)'
	# a logged name that is taken is a mismatch
	sed -i 's|:(g %281%29)|:()|' "$d/in/changelog.0.mfs"
	run_tool mfsmetarestore -q -F 4 -m "$d/in/metadata.mfs.back" -o "$d/o3.mfs" "$d/in/changelog.0.mfs"
	assert_equal "$status" 3
	assert_regex "$stderr" "changelog.0.mfs:6: .*TRASH_RECOVER: the recovered name is taken"
}
