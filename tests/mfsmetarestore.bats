#!/usr/bin/env bats
# mfsmetarestore: restores compared with MooseFS 3.0.117's own offline restore
# (mfsmaster -c CFG restore) on copies of the same real-cluster files
# (tests/fixtures/mfsmetarestore/<scenario>, made by
# tests/integration/moosefs/gen-scenarios), and the bad-input contract.
load helpers

FX=$FIXTURES/mfsmetarestore
# a fresh filesystem's root gets the wall clock as atime (in both tools), so
# the root's atime is masked in comparisons
mask_root() {
	sed 's/^\(NODE|k:D|i:         1|.*|a:\)[ 0-9]*/\1X/'
}

# real_restore DIR: MooseFS's offline restore in DIR (writes DIR/metadata.mfs)
real_restore() {
	mfsmaster_cfg "$1"
	timeout 60 mfsmaster -c "$1.cfg" restore >"$1.log" 2>&1
}

# dump FILE: the real mfsmetadump's records, in file order
dump() {
	mfsmetadump "$1" 2>/dev/null
}

# dump_sorted FILE: the same, sorted (a master that loads a file stores its
# records in its own hash order, so a reload keeps the records, not the order)
dump_sorted() {
	dump "$1" | sort
}

scenario() {
	local s=$1
	requires moosefs root
	mkdir -p "$BATS_TEST_TMPDIR/real" "$BATS_TEST_TMPDIR/ours"
	cp "$FX/$s"/* "$BATS_TEST_TMPDIR/real/"
	cp "$FX/$s"/* "$BATS_TEST_TMPDIR/ours/"
	real_restore "$BATS_TEST_TMPDIR/real"
	snapshot "$BATS_TEST_TMPDIR"/ours/*
	run_tool mfsmetarestore -a -d "$BATS_TEST_TMPDIR/ours"
	assert_success
	assert_unchanged
	assert_equal "$(dump "$BATS_TEST_TMPDIR/ours/metadata.mfs" | mask_root)" \
		"$(dump "$BATS_TEST_TMPDIR/real/metadata.mfs" | mask_root)"
	# the real master loads what we wrote, and stores the same records again
	mkdir -p "$BATS_TEST_TMPDIR/reload"
	cp "$BATS_TEST_TMPDIR/ours/metadata.mfs" "$BATS_TEST_TMPDIR/reload/"
	real_restore "$BATS_TEST_TMPDIR/reload"
	assert_equal "$(dump_sorted "$BATS_TEST_TMPDIR/reload/metadata.mfs")" "$(dump_sorted "$BATS_TEST_TMPDIR/ours/metadata.mfs")"
	if [ "${2:-}" = clock-root-atime ]; then
		# the real restore stamps the root's atime with its own clock here:
		# every other byte and the record order must still be the same
		assert_equal "$(mfsmetadump "$BATS_TEST_TMPDIR/ours/metadata.mfs" 2>/dev/null | mask_root)" \
			"$(mfsmetadump "$BATS_TEST_TMPDIR/real/metadata.mfs" 2>/dev/null | mask_root)"
		assert_equal "$(stat -c %s "$BATS_TEST_TMPDIR/ours/metadata.mfs")" "$(stat -c %s "$BATS_TEST_TMPDIR/real/metadata.mfs")"
		return
	fi
	# byte-identical, so the records are in the real tool's order too
	cmp "$BATS_TEST_TMPDIR/ours/metadata.mfs" "$BATS_TEST_TMPDIR/real/metadata.mfs"
}

@test "mfsmetarestore: -a on scenario small equals the real restore (exit 0)" {
	scenario small
}

@test "mfsmetarestore: -a on scenario empty (MFSM NEW snapshot + changelog from id 1) equals the real restore (exit 0)" {
	scenario empty
}

@test "mfsmetarestore: -a on scenario full equals the real restore (exit 0)" {
	scenario full
}

@test "mfsmetarestore: -a on the metalogger-only set equals the real restore (exit 0)" {
	scenario metalogger
}

@test "mfsmetarestore: hand-written changelog with the rare operations equals the real restore but the root's clock atime (exit 0)" {
	scenario rare-ops clock-root-atime
}

@test "mfsmetarestore: -m/-o with master and metalogger changelogs mixed, in any order (exit 0)" {
	requires moosefs root
	d=$BATS_TEST_TMPDIR
	mkdir -p "$d/real"
	cp "$FX/full"/* "$d/real/"
	real_restore "$d/real"
	run_tool mfsmetarestore -m "$FX/full/metadata.mfs.back" -o "$d/out.mfs" \
		"$FX/metalogger/changelog_ml.0.mfs" "$FX/full/changelog.0.mfs" "$FX/full/changelog.1.mfs" \
		"$FX/metalogger/changelog_ml_back.1.mfs" "$FX/metalogger/changelog_ml_back.0.mfs"
	assert_success
	assert_equal "$(dump "$d/out.mfs")" "$(dump "$d/real/metadata.mfs")"
	cmp "$d/out.mfs" "$d/real/metadata.mfs"
}

# damaged_end LINES WARNING <TAIL: changelog.0.mfs of scenario small cut to
# its first LINES lines (all: 15) plus the bytes on stdin: our
# restore applies the lines and prints WARNING; it is byte-identical to the
# real restore of the same files without the damaged end (the real master
# ignores the whole damaged file, which would lose 15 changes)
damaged_end() {
	requires moosefs root
	cd "$BATS_TEST_TMPDIR"
	mkdir real
	cp "$FX/small"/* real/
	head -n "$1" "$FX/small/changelog.0.mfs" >real/changelog.0.mfs
	cp "$FX/small/metadata.mfs.back" "$FX/small/changelog.1.mfs" .
	{ cat real/changelog.0.mfs; cat; } >changelog.0.mfs
	real_restore "$PWD/real"
	snapshot metadata.mfs.back changelog.0.mfs changelog.1.mfs
	run_tool mfsmetarestore -m metadata.mfs.back -o out.mfs changelog.1.mfs changelog.0.mfs
	assert_success
	assert_equal "$(printf '%s\n' "$stderr" | sed -n 1p)" "mfsmetarestore: warning: changelog.0.mfs:$2"
	assert_output ""
	assert_unchanged
	cmp out.mfs real/metadata.mfs
}

@test "mfsmetarestore: torn last changelog line: complete lines applied, warned with FILE:LINE and bytes (exit 0)" {
	damaged_end 14 \
		"15: damaged end of file, 29 bytes ignored: last line is torn (no newline: the master died while writing it): '33: 1795258800|AMTIME(6,17952'; the 14 complete lines before it are used (MooseFS 3.0.117 would ignore the whole file)" \
		< <(printf '33: 1795258800|AMTIME(6,17952')
}

@test "mfsmetarestore: blank last changelog line: complete lines applied, warned (exit 0)" {
	damaged_end 15 \
		"16: damaged end of file, 1 byte ignored: blank line; the 15 complete lines before it are used (MooseFS 3.0.117 would ignore the whole file)" \
		< <(printf '\n')
}

@test "mfsmetarestore: NUL padding after the last line (ext4 after a power cut): complete lines applied, warned (exit 0)" {
	damaged_end 15 \
		"16: damaged end of file, 4096 bytes ignored: NUL bytes (what a file system leaves after a power loss); the 15 complete lines before it are used (MooseFS 3.0.117 would ignore the whole file)" \
		< <(head -c 4096 /dev/zero)
}

@test "mfsmetarestore: a cut line, NUL bytes, a newline and garbage at the end: complete lines applied, warned (exit 0)" {
	damaged_end 14 \
		"15: damaged end of file, 32 bytes ignored: NUL bytes (what a file system leaves after a power loss); the 14 complete lines before it are used (MooseFS 3.0.117 would ignore the whole file)" \
		< <(printf '33: 1795258800|AMT\0\0\0\0\n\ngarbage\n')
}

@test "mfsmetarestore: garbage last changelog line: complete lines applied, warned (exit 0)" {
	damaged_end 15 \
		"16: damaged end of file, 8 bytes ignored: not a changelog line: 'garbage'; the 15 complete lines before it are used (MooseFS 3.0.117 would ignore the whole file)" \
		< <(printf 'garbage\n')
}

@test "mfsmetarestore: a changelog of NUL bytes only is ignored with a warning (exit 0)" {
	requires moosefs root
	cd "$BATS_TEST_TMPDIR"
	mkdir real
	cp "$FX/small"/* real/
	cp "$FX/small"/* .
	head -c 5000 /dev/zero >changelog.2.mfs
	real_restore "$PWD/real"
	snapshot changelog.2.mfs
	run_tool mfsmetarestore -m metadata.mfs.back -o out.mfs changelog.0.mfs changelog.1.mfs changelog.2.mfs
	assert_success
	assert_equal "$(printf '%s\n' "$stderr" | sed -n 1p)" "mfsmetarestore: warning: changelog.2.mfs:1: damaged file, 5000 bytes ignored: NUL bytes (what a file system leaves after a power loss); it holds no complete changelog line (MooseFS 3.0.117 ignores it too)"
	assert_unchanged
	cmp out.mfs real/metadata.mfs
}

# ---- bad inputs: clear error, documented status, no output, inputs unchanged ----

bad_setup() {
	cd "$BATS_TEST_TMPDIR"
	cp "$FX/small"/* .
}

bad_check() {
	# $1 = status, $2 = exact first stderr line
	assert_equal "$status" "$1"
	assert_equal "$(printf '%s\n' "$stderr" | sed -n 1p)" "$2"
	assert_output ""
	[ ! -e out.mfs ]
	assert_no_tmp .
	assert_unchanged
}

@test "mfsmetarestore: truncated snapshot is refused (exit 3)" {
	bad_setup
	head -c 2000 metadata.mfs.back >trunc.mfs
	snapshot trunc.mfs changelog.0.mfs changelog.1.mfs
	run_tool mfsmetarestore -m trunc.mfs -o out.mfs changelog.1.mfs changelog.0.mfs
	bad_check 3 "mfsmetarestore: trunc.mfs@2000: truncated: the file does not end with the MooseFS end marker"
}

@test "mfsmetarestore: wrong signature is refused (exit 3)" {
	bad_setup
	{ printf 'XXXX 2.0'; tail -c +9 metadata.mfs.back; } >sig.mfs
	snapshot sig.mfs
	run_tool mfsmetarestore -m sig.mfs -o out.mfs
	bad_check 3 "mfsmetarestore: sig.mfs@0: not a MooseFS metadata file (bad signature)"
}

@test "mfsmetarestore: corrupted section length is refused (exit 3)" {
	bad_setup
	python3 -c 'd=bytearray(open("metadata.mfs.back","rb").read()); d[39]^=4; open("len.mfs","wb").write(d)'
	snapshot len.mfs
	run_tool mfsmetarestore -m len.mfs -o out.mfs
	bad_check 3 "mfsmetarestore: len.mfs@32: section SESS: length field says 421 bytes but the records use 417"
}

@test "mfsmetarestore: changelog line with garbage is refused (exit 3)" {
	bad_setup
	sed '3s/.*/garbage here/' changelog.0.mfs >g.mfs
	snapshot metadata.mfs.back changelog.1.mfs g.mfs
	run_tool mfsmetarestore -m metadata.mfs.back -o out.mfs changelog.1.mfs g.mfs
	bad_check 3 "mfsmetarestore: g.mfs:3: not a changelog line (no 'ID: ' at the start)"
}

@test "mfsmetarestore: a damaged line with valid lines after it is corruption, not a damaged end (exit 3)" {
	bad_setup
	# line 14 (change 32) is complete, then NUL bytes; line 15 is valid
	{ head -n 13 changelog.0.mfs; printf '%s\0\0\n' "$(sed -n 14p changelog.0.mfs)"; sed -n 15p changelog.0.mfs; } >nul.mfs
	{ head -n 13 changelog.0.mfs; printf '\n'; sed -n '14,$p' changelog.0.mfs; } >blank.mfs
	snapshot metadata.mfs.back changelog.1.mfs nul.mfs blank.mfs
	run_tool mfsmetarestore -m metadata.mfs.back -o out.mfs changelog.1.mfs nul.mfs
	bad_check 3 "mfsmetarestore: nul.mfs:14: change 32: NUL bytes (what a file system leaves after a power loss), and valid lines follow it: the file is damaged, not just cut short"
	run_tool mfsmetarestore -m metadata.mfs.back -o out.mfs changelog.1.mfs blank.mfs
	bad_check 3 "mfsmetarestore: blank.mfs:14: not a changelog line (no 'ID: ' at the start)"
}

@test "mfsmetarestore: one change id with different text in two files is refused naming both places (exit 5)" {
	bad_setup
	printf '33: 1795258800|AMTIME(6,1,1,1)\n' >other.mfs
	snapshot metadata.mfs.back changelog.0.mfs changelog.1.mfs other.mfs
	run_tool mfsmetarestore -m metadata.mfs.back -o out.mfs changelog.1.mfs changelog.0.mfs other.mfs
	bad_check 5 "mfsmetarestore: changelog.0.mfs:15: change 33 differs from the line with the same id at other.mfs:1; refused (name the changelog to trust with -t)"
	# the argument order does not change the answer
	run_tool mfsmetarestore -m metadata.mfs.back -o out.mfs other.mfs changelog.1.mfs changelog.0.mfs
	bad_check 5 "mfsmetarestore: changelog.0.mfs:15: change 33 differs from the line with the same id at other.mfs:1; refused (name the changelog to trust with -t)"
	run_tool mfsmetarestore -t nosuch.mfs -m metadata.mfs.back -o out.mfs changelog.1.mfs changelog.0.mfs other.mfs
	bad_check 2 "mfsmetarestore: -t nosuch.mfs: No such file or directory"
	run_tool mfsmetarestore -t metadata.mfs.back -m metadata.mfs.back -o out.mfs changelog.1.mfs changelog.0.mfs other.mfs
	bad_check 2 "mfsmetarestore: -t metadata.mfs.back: not one of the changelogs (see 'mfsmetarestore --help')"
}

@test "mfsmetarestore: -t names the changelog to trust for an id with two texts; equals the real restore of that file (exit 0)" {
	requires moosefs root
	bad_setup
	printf '33: 1795258800|AMTIME(6,1,1,1)\n' >other.mfs
	mkdir real real2
	cp "$FX/small"/* real/
	cp "$FX/small"/* real2/
	{ head -n 14 changelog.0.mfs; cat other.mfs; } >real2/changelog.0.mfs
	real_restore "$PWD/real"
	real_restore "$PWD/real2"
	snapshot metadata.mfs.back changelog.0.mfs changelog.1.mfs other.mfs
	run_tool mfsmetarestore -t other.mfs -m metadata.mfs.back -o out.mfs changelog.1.mfs changelog.0.mfs other.mfs
	assert_success
	assert_equal "$(printf '%s\n' "$stderr" | sed -n 1p)" "mfsmetarestore: warning: other.mfs:1: change 33 differs from the line with the same id at changelog.0.mfs:15; applying other.mfs:1 (-t)"
	cmp out.mfs real2/metadata.mfs
	run_tool mfsmetarestore -t changelog.0.mfs -m metadata.mfs.back -o out0.mfs changelog.1.mfs other.mfs changelog.0.mfs
	assert_success
	assert_equal "$(printf '%s\n' "$stderr" | sed -n 1p)" "mfsmetarestore: warning: changelog.0.mfs:15: change 33 differs from the line with the same id at other.mfs:1; applying changelog.0.mfs:15 (-t)"
	cmp out0.mfs real/metadata.mfs
	assert_unchanged
}

@test "mfsmetarestore: -a applies the line of a duplicated id that the real master applies, and warns with both places (exit 0)" {
	requires moosefs root
	cd "$BATS_TEST_TMPDIR"
	# changelog.0.mfs (first by name) holds only change 33, with other text;
	# the master reaches 33 through changelog.2.mfs and applies that line
	for d in real ours; do
		mkdir "$d"
		cp "$FX/small/metadata.mfs.back" "$FX/small/changelog.1.mfs" "$d/"
		cp "$FX/small/changelog.0.mfs" "$d/changelog.2.mfs"
		printf '33: 1795258800|AMTIME(6,1,1,1)\n' >"$d/changelog.0.mfs"
	done
	real_restore "$PWD/real"
	run_tool mfsmetarestore -a -d ours
	assert_success
	[[ "$stderr" == *"mfsmetarestore: warning: ours/changelog.2.mfs:15: change 33 differs from the line with the same id at ours/changelog.0.mfs:1; applying ours/changelog.2.mfs:15 (the one mfsmaster -a applies)"* ]]
	cmp ours/metadata.mfs real/metadata.mfs
}

@test "mfsmetarestore: a gap in the changelogs names the last id applied and the missing range (exit 3)" {
	bad_setup
	sed '3d' changelog.0.mfs >gap.mfs
	snapshot metadata.mfs.back changelog.1.mfs gap.mfs
	run_tool mfsmetarestore -m metadata.mfs.back -o out.mfs changelog.1.mfs gap.mfs
	bad_check 3 "mfsmetarestore: gap.mfs:3: gap in the changelogs: last id applied 20, next id found 22 (changes 21..21 are missing)"
}

@test "mfsmetarestore: -b stores the best metadata before a gap and says so (exit 1)" {
	bad_setup
	sed '3d' changelog.0.mfs >gap.mfs
	run_tool mfsmetarestore -b -m metadata.mfs.back -o out.mfs changelog.1.mfs gap.mfs
	assert_equal "$status" 1
	[[ "$stderr" == *"mfsmetarestore: stored INCOMPLETE metadata in out.mfs: version 21 (changes up to 20 applied)"* ]]
	run mfsmetadump out.mfs
	[[ "$output" == *"# version: 21 ;"* ]] || [ "$(command -v mfsmetadump)" = "" ]
}

@test "mfsmetarestore: an operation on a missing inode is refused (exit 3)" {
	bad_setup
	printf '34: 1795000000|ACCESS(9999)\n' >miss.mfs
	snapshot metadata.mfs.back miss.mfs
	run_tool mfsmetarestore -m metadata.mfs.back -o out.mfs changelog.0.mfs changelog.1.mfs miss.mfs
	bad_check 3 "mfsmetarestore: miss.mfs:1: change 34: ACCESS: error ENOENT"
}

@test "mfsmetarestore: a result mismatch names both values (exit 3)" {
	bad_setup
	printf '34: 1795000000|CREATE(1,newname,1,420,18,0,0,0):9999\n' >mm.mfs
	snapshot metadata.mfs.back mm.mfs
	run_tool mfsmetarestore -m metadata.mfs.back -o out.mfs changelog.0.mfs changelog.1.mfs mm.mfs
	bad_check 3 "mfsmetarestore: mm.mfs:1: change 34: CREATE: inode: logged 9999, replay gives 9"
}

@test "mfsmetarestore: output equal to an input is refused (exit 5)" {
	bad_setup
	snapshot metadata.mfs.back changelog.0.mfs
	run_tool mfsmetarestore -m metadata.mfs.back -o changelog.0.mfs changelog.0.mfs
	assert_equal "$status" 5
	assert_equal "$stderr" "mfsmetarestore: changelog.0.mfs: output is the same file as the input changelog.0.mfs; refused"
	assert_unchanged
	assert_no_tmp .
}

@test "mfsmetarestore: empty snapshot with changelogs that do not connect names the missing changes (exit 3)" {
	cd "$BATS_TEST_TMPDIR"
	cp "$FX/empty/metadata.mfs.back" .
	sed '1,5d' "$FX/empty/changelog.0.mfs" >changelog.0.mfs
	snapshot metadata.mfs.back changelog.0.mfs
	run_tool mfsmetarestore -a -d .
	assert_equal "$status" 3
	[[ "$stderr" == *"mfsmetarestore: ./changelog.0.mfs:1: changelogs do not connect to the metadata file: it needs change 1 next, the first change found is 6 (changes 1..5 are missing: a changelog file is missing)"* ]]
	[ ! -e metadata.mfs ]
	assert_unchanged
	assert_no_tmp .
}

@test "mfsmetarestore: -a refuses snapshots with different metadata ids (exit 5)" {
	cd "$BATS_TEST_TMPDIR"
	cp "$FX/small"/* .
	python3 -c 'd=bytearray(open("metadata.mfs.back","rb").read()); d[23]^=1; open("metadata_ml.mfs.back","wb").write(d)'
	run_tool mfsmetarestore -a -d .
	assert_equal "$status" 5
	[[ "$stderr" == *"belong to different filesystems"* ]]
	[ ! -e metadata.mfs ]
}

@test "mfsmetarestore: -a keeps the previous metadata.mfs as a backup (exit 0)" {
	cd "$BATS_TEST_TMPDIR"
	cp "$FX/small"/* .
	printf 'MFSM NEW' >metadata.mfs
	run_tool mfsmetarestore -a -d .
	assert_success
	[[ "$stderr" == *"previous ./metadata.mfs kept as ./metadata.mfs.prev."* ]]
	[ "$(cat metadata.mfs.prev.*)" = "MFSM NEW" ]
	[ "$(head -c 8 metadata.mfs)" = "MFSM 2.0" ]
}

@test "mfsmetarestore: --help and the link name work (exit 0)" {
	run_link mfsmetarestore --help
	assert_success
	assert_line --index 0 "usage: mfsmetarestore [-q] [-T] [-f] [-x [-x]] [-b] [-i] [-t CHANGELOG] -m META -o OUT [CHANGELOG...]"
}

@test "mfsmetarestore: missing -o is a usage error (exit 2)" {
	run_tool mfsmetarestore -m x
	assert_equal "$status" 2
	assert_equal "$stderr" "mfsmetarestore: missing -o OUT (see 'mfsmetarestore --help')"
}

@test "mfsmetarestore: -a -c CFG takes DATA_PATH from the config (exit 0)" {
	mkdir -p "$BATS_TEST_TMPDIR/data"
	cp "$FX/small"/* "$BATS_TEST_TMPDIR/data/"
	printf '# comment\nWORKING_USER = mfs\n DATA_PATH = %s \n' "$BATS_TEST_TMPDIR/data" >"$BATS_TEST_TMPDIR/mfsmaster.cfg"
	run_tool mfsmetarestore -a -c "$BATS_TEST_TMPDIR/mfsmaster.cfg"
	assert_success
	[[ "$stderr" == *"mfsmetarestore: using $BATS_TEST_TMPDIR/data/metadata.mfs.back (version 19)"* ]]
	[[ "$stderr" == *"progress: current change: 33 (first:19 - last:33 - 100% - ETA:finished)"* ]]
	[ -s "$BATS_TEST_TMPDIR/data/metadata.mfs" ]
}

@test "mfsmetarestore: -a with a failing replay writes nothing and keeps no backup (exit 3)" {
	cd "$BATS_TEST_TMPDIR"
	cp "$FX/small"/* .
	sed -i '3d' changelog.0.mfs
	printf 'MFSM NEW' >metadata.mfs
	snapshot metadata.mfs metadata.mfs.back changelog.0.mfs changelog.1.mfs
	run_tool mfsmetarestore -a -d .
	assert_equal "$status" 3
	assert_unchanged
	[ -z "$(ls metadata.mfs.prev.* 2>/dev/null)" ]
	assert_no_tmp .
}

# drop_edge IN OUT: copy a metadata file without its last name below the root
# (that node becomes an orphan); section length fixed up
drop_edge() {
	python3 - "$1" "$2" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
p, out = 24, bytearray(d[:24])
while d[p:p + 4] != b'[MFS':
    ln = struct.unpack('>Q', d[p + 8:p + 16])[0]
    body = d[p + 16:p + 16 + ln]
    if d[p:p + 4] == b'EDGE':
        q, recs = 8, []
        while True:
            par, ch, eid, nl = struct.unpack('>IIQH', body[q:q + 18])
            if par == 0 and ch == 0:
                break
            recs.append((q, q + 18 + nl, par))
            q += 18 + nl
        a, b, _ = [r for r in recs if r[2] != 1][-1]
        body = body[:a] + body[b:]
    out += d[p:p + 8] + struct.pack('>Q', len(body)) + body
    p += 16 + ln
open(sys.argv[2], 'wb').write(out + d[p:])
PY
}

@test "mfsmetarestore: an orphaned inode is refused, -i links it like mfsmaster -i (exit 3, then 0)" {
	requires moosefs root
	cd "$BATS_TEST_TMPDIR"
	drop_edge "$FX/small/metadata.mfs.back" orphan.mfs
	snapshot orphan.mfs
	run_tool mfsmetarestore -m orphan.mfs -o out.mfs
	bad_check 3 "mfsmetarestore: orphan.mfs: orphaned inode 6 (no name points to it; -i links it into the root as lost_node_6)"
	run_tool mfsmetarestore -i -m orphan.mfs -o out.mfs
	assert_success
	mkdir real
	cp orphan.mfs real/metadata.mfs.back
	mfsmaster_cfg "$PWD/real" real.cfg
	timeout 60 mfsmaster -c real.cfg -i restore >real.log 2>&1
	assert_equal "$(mfsmetadump out.mfs 2>/dev/null)" "$(mfsmetadump real/metadata.mfs 2>/dev/null)"
}

@test "mfsmetarestore: an existing OUT is refused before any work unless -f (exit 5)" {
	cd "$BATS_TEST_TMPDIR"
	printf 'keep me' >out.mfs
	snapshot out.mfs
	run_tool mfsmetarestore -m "$FX/small/metadata.mfs.back" -o out.mfs "$FX/small/changelog.0.mfs" "$FX/small/changelog.1.mfs"
	assert_equal "$status" 5
	assert_equal "$stderr" "mfsmetarestore: out.mfs: exists; not overwritten (use -f)"
	assert_unchanged
	run_tool mfsmetarestore -f -m "$FX/small/metadata.mfs.back" -o out.mfs "$FX/small/changelog.0.mfs" "$FX/small/changelog.1.mfs"
	assert_success
	[ "$(head -c 8 out.mfs)" = "MFSM 2.0" ]
	assert_no_tmp .
}

@test "mfsmetarestore: -x prints every applied change with its file and line (exit 0)" {
	run_tool mfsmetarestore -x -m "$FX/small/metadata.mfs.back" -o "$BATS_TEST_TMPDIR/out.mfs" "$FX/small/changelog.1.mfs" "$FX/small/changelog.0.mfs"
	assert_success
	[[ "$stderr" == *"$FX/small/changelog.0.mfs:15: applied 33: "*"|AMTIME(6,"* ]]
	[ "$(grep -c ': applied ' <<<"$stderr")" = 15 ]
}

# quirk CHANGELOG_TEXT EXPECTED_LINE: a changelog that 3.0.117's own restore
# refuses with "version mismatch"; ours refuses it the same way
quirk() {
	requires moosefs root
	cd "$BATS_TEST_TMPDIR"
	printf 'MFSM NEW' >metadata.mfs.back
	printf '%s' "$1" >changelog.0.mfs
	mkdir real
	cp metadata.mfs.back changelog.0.mfs real/
	real_restore "$PWD/real" && fail "the real restore accepted it"
	grep -q 'version mismatch' "$PWD/real.log"
	snapshot metadata.mfs.back changelog.0.mfs
	run_tool mfsmetarestore -m metadata.mfs.back -o out.mfs changelog.0.mfs
	bad_check 3 "$2"
}

@test "mfsmetarestore: REPAIR with a version fails like MooseFS 3.0.117 (exit 3)" {
	quirk "$(printf '%s\n' '1: 1700000000|CREATE(1,f,1,420,18,0,0,0):2' '2: 1700000000|WRITE(2,0,1):1' \
		'3: 1700000000|UNLOCK(1)' '4: 1700000000|REPAIR(2,0):7')
" "mfsmetarestore: changelog.0.mfs:4: change 4: version mismatch: after it the metadata version is 6, expected 5 (MooseFS 3.0.117 fails here too)"
}

@test "mfsmetarestore: FLOCK unlock of two locks fails like MooseFS 3.0.117 (exit 3)" {
	quirk "$(printf '%s\n' '1: 1700000000|SESADD(#1,1,0,0000,0,0,999,999,1,9,0,4294967295,0x00000000,167772161,/m):1' \
		'2: 1700000000|CREATE(1,f,1,420,18,0,0,0):2' '3: 1700000000|ACQUIRE(1,2)' '4: 1700000000|FLOCK(2,1,7,R)' \
		'5: 1700000000|FLOCK(2,1,7,S)' '6: 1700000000|FLOCK(2,1,7,U)')
" "mfsmetarestore: changelog.0.mfs:6: change 6: version mismatch: after it the metadata version is 8, expected 7 (MooseFS 3.0.117 fails here too)"
}

@test "mfsmetarestore: -q prints nothing on success, with -m and with -a (exit 0)" {
	run_tool mfsmetarestore -q -m "$FX/small/metadata.mfs.back" -o "$BATS_TEST_TMPDIR/out.mfs" "$FX/small/changelog.1.mfs" "$FX/small/changelog.0.mfs"
	assert_success
	assert_equal "$stderr" ""
	[ "$(head -c 8 "$BATS_TEST_TMPDIR/out.mfs")" = "MFSM 2.0" ]
	mkdir "$BATS_TEST_TMPDIR/data"
	cp "$FX/small"/* "$BATS_TEST_TMPDIR/data/"
	printf 'MFSM NEW' >"$BATS_TEST_TMPDIR/data/metadata.mfs"
	run_tool mfsmetarestore -q -a -d "$BATS_TEST_TMPDIR/data"
	assert_success
	assert_equal "$stderr" ""
	[ "$(head -c 8 "$BATS_TEST_TMPDIR/data/metadata.mfs")" = "MFSM 2.0" ]
	[ "$(cat "$BATS_TEST_TMPDIR"/data/metadata.mfs.prev.*)" = "MFSM NEW" ]
}

@test "mfsmetarestore: -q still prints errors and warnings (exit 3, then 0)" {
	cd "$BATS_TEST_TMPDIR"
	cp "$FX/small"/* .
	sed -i '3d' changelog.0.mfs
	run_tool mfsmetarestore -q -a -d .
	assert_equal "$status" 3
	assert_equal "$stderr" "mfsmetarestore: ./changelog.0.mfs:3: gap in the changelogs: last id applied 20, next id found 22 (changes 21..21 are missing)
mfsmetarestore: nothing written (-b stores the metadata reached before the error)"
	cp "$FX/small/changelog.0.mfs" .
	printf '34: 1795258800|AMT' >>changelog.0.mfs
	run_tool mfsmetarestore -q -a -d .
	assert_success
	assert_equal "$stderr" "mfsmetarestore: warning: ./changelog.0.mfs:16: damaged end of file, 18 bytes ignored: last line is torn (no newline: the master died while writing it): '34: 1795258800|AMT'; the 15 complete lines before it are used (MooseFS 3.0.117 would ignore the whole file)"
}

@test "mfsmetarestore: -a -c reads a CRLF config; a binary config is refused with FILE:LINE (exit 0, then 3)" {
	mkdir -p "$BATS_TEST_TMPDIR/data"
	cp "$FX/small"/* "$BATS_TEST_TMPDIR/data/"
	printf 'WORKING_USER = mfs\r\nDATA_PATH = /nonexistent\r\nDATA_PATH = %s\r\n' "$BATS_TEST_TMPDIR/data" >"$BATS_TEST_TMPDIR/crlf.cfg"
	run_tool mfsmetarestore -q -a -c "$BATS_TEST_TMPDIR/crlf.cfg"
	assert_success
	assert_equal "$stderr" ""
	[ -s "$BATS_TEST_TMPDIR/data/metadata.mfs" ]
	printf 'WORKING_USER = mfs\nDATA_PATH = %s\0\n' "$BATS_TEST_TMPDIR/data" >"$BATS_TEST_TMPDIR/nul.cfg"
	snapshot "$BATS_TEST_TMPDIR/data"/*
	run_tool mfsmetarestore -a -c "$BATS_TEST_TMPDIR/nul.cfg"
	assert_equal "$status" 3
	assert_equal "$stderr" "mfsmetarestore: $BATS_TEST_TMPDIR/nul.cfg:2: NUL byte (binary file?); refused"
	assert_unchanged
}

@test "mfsmetarestore: -T prints the seconds of each phase and changes nothing in the output (exit 0)" {
	run_tool mfsmetarestore -q -m "$FX/small/metadata.mfs.back" -o "$BATS_TEST_TMPDIR/plain.mfs" "$FX/small/changelog.1.mfs" "$FX/small/changelog.0.mfs"
	assert_success
	run_tool mfsmetarestore -q -T -m "$FX/small/metadata.mfs.back" -o "$BATS_TEST_TMPDIR/timed.mfs" "$FX/small/changelog.1.mfs" "$FX/small/changelog.0.mfs"
	assert_success
	cmp "$BATS_TEST_TMPDIR/plain.mfs" "$BATS_TEST_TMPDIR/timed.mfs"
	# one line, every phase with its wall and cpu seconds, in order
	[[ "$stderr" =~ ^mfsmetarestore:\ times:\ load\ [0-9]+\.[0-9]{2}\ s\ \(cpu\ [0-9]+\.[0-9]{2}\),\ replay\ [0-9]+\.[0-9]{2}\ s\ \(cpu\ [0-9]+\.[0-9]{2}\),\ store\ [0-9]+\.[0-9]{2}\ s\ \(cpu\ [0-9]+\.[0-9]{2}\),\ sync\ [0-9]+\.[0-9]{2}\ s\ \(cpu\ [0-9]+\.[0-9]{2}\),\ total\ [0-9]+\.[0-9]{2}\ s\ \(cpu\ [0-9]+\.[0-9]{2}\)$ ]]
	mkdir "$BATS_TEST_TMPDIR/data"
	cp "$FX/small"/* "$BATS_TEST_TMPDIR/data/"
	run_tool mfsmetarestore -q -T -a -d "$BATS_TEST_TMPDIR/data"
	assert_success
	[[ "$stderr" == "mfsmetarestore: times: load "* ]]
	cmp "$BATS_TEST_TMPDIR/plain.mfs" "$BATS_TEST_TMPDIR/data/metadata.mfs"
}

@test "mfsmetarestore: a directory moved into itself is refused (exit 3), where MooseFS 3.0.117's restore then crashes" {
	requires moosefs root
	cd "$BATS_TEST_TMPDIR"
	printf 'MFSM NEW' >metadata.mfs.back
	printf '%s\n' '1: 1700000000|CREATE(1,d,2,493,0,0,0,0):2' '2: 1700000000|CREATE(2,e,2,493,0,0,0,0):3' \
		'3: 1700000000|MOVE(1,d,2,x):2' '4: 1700000000|SETTRASHTIME(2,0,3600,4):2,0,0' >changelog.0.mfs
	mkdir real
	cp metadata.mfs.back changelog.0.mfs real/
	# MooseFS checks only the directories above the target: the move makes a
	# loop, and the recursive SETTRASHTIME walks it until it crashes
	run real_restore "$PWD/real"
	[ "$status" = 139 ] || [ "$status" = 124 ] || fail "the real restore: exit $status"
	snapshot metadata.mfs.back changelog.0.mfs
	run timeout 60 "$RESCUE" mfsmetarestore -F 3 -m metadata.mfs.back -o out.mfs changelog.0.mfs
	assert_equal "$status" 3
	assert_line --index 0 "mfsmetarestore: changelog.0.mfs:3: change 3: MOVE: error EINVAL"
	[ ! -e out.mfs ]
	assert_unchanged
}

@test "mfsmetarestore: a WRITE or APPEND that would need a chunk table beyond 2^26 entries for one file is refused (exit 3), not built" {
	cd "$BATS_TEST_TMPDIR"
	printf 'MFSM NEW' >new.mfs
	# MooseFS would allocate 16 GB for the first, 8 GB for the second's table
	printf '%s\n' '1: 1700000000|CREATE(1,f,1,420,18,0,0,0):2' '2: 1700000000|WRITE(2,2000000000,1,0):1' >w.mfs
	printf '%s\n' '1: 1700000000|CREATE(1,f,1,420,18,0,0,0):2' '2: 1700000000|WRITE(2,0,1,0):1' \
		'3: 1700000000|LENGTH(2,1000,0)' '4: 1700000000|CREATE(1,g,1,420,18,0,0,0):3' \
		'5: 1700000000|LENGTH(3,72057594037927936,0)' '6: 1700000000|APPEND(3,2)' >a.mfs
	run timeout 60 "$RESCUE" mfsmetarestore -F 3 -m new.mfs -o w.out w.mfs
	assert_equal "$status" 3
	assert_line --index 0 "mfsmetarestore: w.mfs:2: change 2: WRITE: inode 2 would need a chunk table of 2000000001 entries (15258 MiB) for one file; the limit is 67108864 (a file offset of 4 PiB): a damaged line?"
	run timeout 60 "$RESCUE" mfsmetarestore -F 3 -m new.mfs -o a.out a.mfs
	assert_equal "$status" 3
	assert_line --index 0 --partial "mfsmetarestore: a.mfs:6: change 6: APPEND: inode 3 would need a chunk table of 1073741825 entries"
	[ ! -e w.out ] && [ ! -e a.out ]
	# 2^26 entries is still built (a sparse file with a chunk at 4 PiB - 64 MiB)
	printf '%s\n' '1: 1700000000|CREATE(1,f,1,420,18,0,0,0):2' '2: 1700000000|WRITE(2,67108863,1,0):1' >ok.mfs
	run timeout 60 "$RESCUE" mfsmetarestore -q -F 3 -m new.mfs -o ok.out ok.mfs
	assert_success
}
