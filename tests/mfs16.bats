#!/usr/bin/env bats
# mfsmetarestore and mfsmetadump on MooseFS 1.6 sets (MFSM 1.5 files, 1.6
# changelogs): the real 1.6.27-5 clusters of tests/fixtures/moosefs-1.6
# (each README says how it was made), whose oracle/ holds 1.6.27's own
# mfsmetarestore result and mfsmetadump text.
load helpers

FX=$FIXTURES/moosefs-1.6

# the changelog arguments of the oracle's command (restore.log, line 1)
oracle_args() {
	head -n 1 "$FX/$1/oracle/$2/restore.log" | sed 's/^cmd: mfsmetarestore -m [^ ]* -o [^ ]* //'
}

# set_copy SCENARIO master|metalogger: a writable copy in $BATS_TEST_TMPDIR/set
set_copy() {
	mkdir -p "$BATS_TEST_TMPDIR/set"
	cp "$FX/$1/$2"/* "$BATS_TEST_TMPDIR/set/"
	chmod u+w "$BATS_TEST_TMPDIR/set"/*
	cd "$BATS_TEST_TMPDIR/set" || return
}

# restore_m SCENARIO master|metalogger: -m/-o with the oracle's changelogs
restore_m() {
	local meta=metadata.mfs.back
	[ "$2" = master ] || meta=metadata_ml.mfs.back
	set_copy "$1" "$2"
	snapshot ./*
	# shellcheck disable=SC2046
	run_tool mfsmetarestore -m "$meta" -o "$BATS_TEST_TMPDIR/out.mfs" $(oracle_args "$1" master | sed "s/changelog\./$([ "$2" = master ] && echo changelog. || echo changelog_ml.)/g")
	assert_success
	assert_unchanged
}

# the lines of 1.6.27's own restore, in its order, then ours
assert_stages() {
	local want got
	want=$(printf '%s\n' "loading objects (files,directories,etc.) ... ok" "loading names ... ok" \
		"loading deletion timestamps ... ok" "loading chunks data ... ok" \
		"checking filesystem consistency ... ok" "connecting files and chunks ... ok")
	got=$(printf '%s\n' "$stderr" | grep -E '^(loading|checking|connecting) ')
	assert_equal "$got" "$want"
	[[ "$stderr" == *"progress: current change: "*" - 100% - ETA:finished)"* ]]
	[[ "$output" == *"store metadata into file: "* ]]
}

@test "mfs16: every master set restores with -m/-o to 1.6.27's bytes (small hourly metalogger rich)" {
	local s
	for s in small hourly metalogger rich; do
		restore_m "$s" master
		assert_stages
		cmp "$BATS_TEST_TMPDIR/out.mfs" "$FX/$s/oracle/master/metadata.mfs"
		# 1.6.27's progress line, the same numbers
		[[ "$stderr" == *"$(grep '^progress:' "$FX/$s/oracle/master/restore.log")"* ]]
		assert_equal "$(printf '%s\n' "$stderr" | grep -c warning)" 0
		cd "$BATS_TEST_TMPDIR" && rm -rf set out.mfs
	done
}

@test "mfs16: every master set restores with -a to 1.6.27's bytes" {
	local s
	for s in small hourly metalogger rich; do
		set_copy "$s" master
		run_tool mfsmetarestore -a -d "$BATS_TEST_TMPDIR/set"
		assert_success
		assert_stages
		cmp "$BATS_TEST_TMPDIR/set/metadata.mfs" "$FX/$s/oracle/master/metadata.mfs"
		assert_no_tmp "$BATS_TEST_TMPDIR/set"
		cd "$BATS_TEST_TMPDIR" && rm -rf set
	done
}

@test "mfs16: metalogger sets 1.6.27 restores completely give its bytes (hourly metalogger)" {
	local s
	for s in hourly metalogger; do
		[ -f "$FX/$s/oracle/metalogger/SAME_AS_MASTER" ]
		set_copy "$s" metalogger
		# shellcheck disable=SC2046
		run_tool mfsmetarestore -m metadata_ml.mfs.back -o "$BATS_TEST_TMPDIR/out.mfs" $(ls changelog_ml*.mfs)
		assert_success
		cmp "$BATS_TEST_TMPDIR/out.mfs" "$FX/$s/oracle/master/metadata.mfs"
		run_tool mfsmetarestore -a -d "$BATS_TEST_TMPDIR/set"
		assert_success
		cmp "$BATS_TEST_TMPDIR/set/metadata.mfs" "$FX/$s/oracle/master/metadata.mfs"
		cd "$BATS_TEST_TMPDIR" && rm -rf set out.mfs
	done
}

# 1.6.27 skips changelog_ml.0.mfs (first id 0): its metalogger result stays
# at the snapshot.  The same changes are in the master's changelog.0.mfs,
# which it did apply: the complete result is the master oracle.
@test "mfs16: a metalogger changelog starting at id 0 is applied (1.6.27 loses it), giving the master's result (small rich)" {
	local s v
	for s in small rich; do
		v=$(cat "$FX/$s/oracle/metalogger/version.txt")
		set_copy "$s" metalogger
		run_tool mfsmetarestore -m metadata_ml.mfs.back -o "$BATS_TEST_TMPDIR/out.mfs" changelog_ml.0.mfs
		assert_success
		[[ "$stderr" == *"mfsmetarestore: warning: changelog_ml.0.mfs:1: starts at change 0: MooseFS 1.6.27's mfsmetarestore skips such a file"*"losing changes $v.."*"they are applied here"* ]]
		cmp "$BATS_TEST_TMPDIR/out.mfs" "$FX/$s/oracle/master/metadata.mfs"
		# what 1.6.27 wrote instead: the snapshot, version $v
		! cmp -s "$BATS_TEST_TMPDIR/out.mfs" "$FX/$s/oracle/metalogger/metadata.mfs"
		run_tool mfsmetarestore -a -d "$BATS_TEST_TMPDIR/set"
		assert_success
		cmp "$BATS_TEST_TMPDIR/set/metadata.mfs" "$FX/$s/oracle/master/metadata.mfs"
		cd "$BATS_TEST_TMPDIR" && rm -rf set out.mfs
	done
}

@test "mfs16: mfsmetadump prints MFSM 1.5 files as 1.6.27's mfsmetadump" {
	local s
	for s in small empty hourly metalogger rich; do
		run_tool mfsmetadump "$FX/$s/oracle/master/metadata.mfs"
		assert_success
		assert_equal "$output" "$(cat "$FX/$s/oracle/master/metadata.dump.txt")"
	done
	for s in small rich; do
		run_tool mfsmetadump "$FX/$s/oracle/metalogger/metadata.mfs"
		assert_success
		assert_equal "$output" "$(cat "$FX/$s/oracle/metalogger/metadata.dump.txt")"
	done
	# and our own results, against the oracle's text
	restore_m rich master
	run_tool mfsmetadump "$BATS_TEST_TMPDIR/out.mfs"
	assert_equal "$output" "$(cat "$FX/rich/oracle/master/metadata.dump.txt")"
}

# A torn last line: 1.6.27 ignores the whole file (its progress line says
# "last:0", nothing applied; docs/moosefs-format.md 6).  Here the complete lines before it are applied:
# with the one missing line given in another file, the result is exactly
# 1.6.27's result for the untorn set.
@test "mfs16: a torn last line: the complete lines are applied (1.6.27 drops the file), exactly the oracle once the line is added" {
	local last
	set_copy hourly master
	last=$(tail -n 1 changelog.0.mfs)
	head -c -1 changelog.0.mfs | head -c -30 >torn && mv torn changelog.0.mfs
	run_tool mfsmetarestore -m metadata.mfs.back -o "$BATS_TEST_TMPDIR/out.mfs" changelog.1.mfs changelog.0.mfs
	assert_success
	[[ "$stderr" == *"mfsmetarestore: warning: changelog.0.mfs:199: damaged end of file, "*" bytes ignored: last line is torn"*"the 198 complete lines before it are used (MooseFS 1.6.27 would ignore the whole file)"* ]]
	run_tool mfsmetadump "$BATS_TEST_TMPDIR/out.mfs"
	[[ "${lines[1]}" == "# maxnodeid: "*" ; version: 549 ; nextsessionid: "* ]]
	printf '%s\n' "$last" >"$BATS_TEST_TMPDIR/lastline.mfs"
	run_tool mfsmetarestore -m metadata.mfs.back -o "$BATS_TEST_TMPDIR/out2.mfs" changelog.1.mfs changelog.0.mfs "$BATS_TEST_TMPDIR/lastline.mfs"
	assert_success
	cmp "$BATS_TEST_TMPDIR/out2.mfs" "$FX/hourly/oracle/master/metadata.mfs"
}

# empty: every change is in changelog.0.mfs, ids 0..261, which 1.6.27
# never applies (its oracle is the empty filesystem, version 0)
@test "mfs16: empty: the changelog from id 0 is applied (262 changes), -m/-o and -a agree" {
	set_copy empty master
	run_tool mfsmetarestore -m metadata.mfs.back -o "$BATS_TEST_TMPDIR/out.mfs" changelog.0.mfs
	assert_success
	assert_stages
	[[ "$stderr" == *"warning: changelog.0.mfs:1: starts at change 0: MooseFS 1.6.27's mfsmetarestore skips such a file (without -f; with -f it crashes), losing changes 0..261; they are applied here"* ]]
	[[ "$stderr" == *"progress: current change: 261 (first:0 - last:261 - 100% - ETA:finished)"* ]]
	run_tool mfsmetadump "$BATS_TEST_TMPDIR/out.mfs"
	[[ "${lines[1]}" == "# maxnodeid: "*" ; version: 262 ; nextsessionid: 3" ]]
	# what 1.6.27 wrote: the unchanged snapshot
	run_tool mfsmetadump "$FX/empty/oracle/master/metadata.mfs"
	[[ "${lines[1]}" == *" ; version: 0 ; "* ]]
	run_tool mfsmetarestore -a -d "$BATS_TEST_TMPDIR/set"
	assert_success
	cmp "$BATS_TEST_TMPDIR/set/metadata.mfs" "$BATS_TEST_TMPDIR/out.mfs"
}

@test "mfs16: the guide's command lines work as written (mfsmetarestore -m metadata.mfs.back -o restored.mfs changelog.*; mfsmetarestore -a)" {
	requires moosefs root
	# the name as typed (argv[0] dispatch), before the real 3.0.117's own
	# /usr/sbin/mfsmetarestore (a stub saying it was removed)
	mkdir "$BATS_TEST_TMPDIR/bin"
	ln -s "$RESCUE" "$BATS_TEST_TMPDIR/bin/mfsmetarestore"
	set_copy metalogger master
	run --separate-stderr env PATH="$BATS_TEST_TMPDIR/bin:$PATH" sh -c 'mfsmetarestore -m metadata.mfs.back -o restored.mfs changelog.*'
	_show_run "mfsmetarestore -m metadata.mfs.back -o restored.mfs changelog.*"
	assert_success
	assert_stages
	[[ "$output" == "store metadata into file: restored.mfs" ]]
	cmp restored.mfs "$FX/metalogger/oracle/master/metadata.mfs"
	# -a alone: DATA_PATH /var/lib/mfs (no /etc/mfs/mfsmaster.cfg); both are
	# this set and an empty directory in a private mount namespace
	rm restored.mfs
	mkdir "$BATS_TEST_TMPDIR/etc"
	# shellcheck disable=SC2016 # the inner shell expands its own arguments
	run --separate-stderr unshare --mount --propagation private sh -c \
		'mount --bind "$1" /var/lib/mfs && mount --bind "$2" /etc/mfs && PATH="$3:$PATH" && cd / && mfsmetarestore -a' \
		sh "$BATS_TEST_TMPDIR/set" "$BATS_TEST_TMPDIR/etc" "$BATS_TEST_TMPDIR/bin"
	_show_run "mfsmetarestore -a"
	assert_success
	assert_stages
	[[ "$output" == "store metadata into file: /var/lib/mfs/metadata.mfs" ]]
	cmp "$BATS_TEST_TMPDIR/set/metadata.mfs" "$FX/metalogger/oracle/master/metadata.mfs"
}

# The upgrade path: MooseFS 3.0.117 loads a restored MFSM 1.5 file (it
# cannot replay 1.6 changelogs itself).  What must match, record for
# record, between our dump of the 1.6 result and the real mfsmetadump of
# what 3.0.117 stored after loading it:
# - every node: type, inode, goal (files, directories, trash, reserved:
#   3.0.117 gives other nodes class 0), eattr, mode, uid, gid, atime, mtime,
#   ctime, trash time (1.6 seconds, 3.0 hours rounded up), length, chunk
#   list, symlink path, device numbers;
# - every edge (parent, child, name; trash and reserved paths);
# - every free inode with its time, every chunk with its version;
# - every open file (session, inode: 1.6 keeps them in the file records);
# - nextsessionid and nextchunkid;
# - the version: 3.0.117's is ours plus one per open file (it logs each
#   open file it converts as a change).
# Names are compared with non-printable bytes as '.' (both dumps' -d rule).
norm16() {
	"$RESCUE" mfsmetadump "$1" | awk -F'|' '
	function v(f) { sub(/^[a-z#]+:/, "", f); gsub(/ /, "", f); return f }
	/^[-DSFBCLTR]\|/ {
		match($0, /\|t: *[0-9]+/); rest = substr($0, RSTART + RLENGTH)
		if (match(rest, /\|r:\([0-9,]*\)$/)) {
			s = substr(rest, RSTART + 4, RLENGTH - 5); rest = substr(rest, 1, RSTART - 1)
			n = split(s, ss, ","); for (q = 1; q <= n; q++) print "O " ss[q] " " v($2)
		}
		sub(/^\|l: */, "|l:", rest)
		printf "N %s %s %s %s %s %s %s %s %d%s\n", $1, v($2), ($1 ~ /[-DTR]/) ? v($3) : "x", v($4), v($5) + 0, v($6), v($7), v($8), int((v($9) + 3599) / 3600), rest
		next }
	/^E\|/ { p = v($2); n = $0; sub(/^E\|p: *[0-9NUL]*\|c: *[0-9]*\|n:/, "", n); print "E " (p == "NULL" ? 0 : p) " " v($3) " " n; next }
	/^I\|/ { print "F " v($2) " " v($3); next }
	/^\*\|/ { print "C " v($2) " " v($3); next }
	/^# maxnodeid/ { sub(/.*nextsessionid: /, ""); print "S " $0 }
	/^# nextchunkid/ { print "K " $0 }'
}
norm30() {
	mfsmetadump -d "$1" 2>/dev/null | awk -F'|' '
	function v(f) { sub(/^[a-z#]+:/, "", f); gsub(/ /, "", f); return f }
	/^NODE\|/ {
		match($0, /\|t: *[0-9]+h/); rest = substr($0, RSTART + RLENGTH); th = substr($0, RSTART + 3, RLENGTH - 4)
		sub(/^\|l: */, "|l:", rest)
		e = substr(v($5), 3); sub(/^0/, "", e)
		printf "N %s %s %s %s %s %s %s %s %d%s\n", substr($2, 3), v($3), (substr($2, 3) ~ /[-DTR]/) ? v($4) : "x", e, v($7) + 0, v($8), v($9), v($10), th + 0, rest
		next }
	/^EDGE\|/ { p = v($2); n = $0; sub(/^EDGE\|p: *[0-9NUL]*\|c: *[0-9]*\|i:[0-9a-fA-Fx]*\|n:/, "", n); print "E " (p == "NULL" ? 0 : p) " " v($3) " " n; next }
	/^FREEID\|/ { print "F " v($2) " " v($3); next }
	/^CHUNK\|/ { i = v($2); sub(/^0x/, "", i); ve = v($3); sub(/^0x/, "", ve); print "C " i " " ve; next }
	/^OPENFILE\|/ { print "O " v($2) " " v($3); next }
	/^# nextsessionid/ { sub(/^# nextsessionid: /, ""); sub(/ ;.*/, ""); print "S " $0 }
	/^# nextchunkid/ { print "K " $0 }'
}

@test "mfs16: the installed MooseFS 3.0.117 loads every restored 1.6 file: the same records, its version = ours + open files" {
	requires moosefs root
	local s ours opens
	for s in small empty hourly metalogger rich; do
		set_copy "$s" master
		run_tool mfsmetarestore -q -a -d "$BATS_TEST_TMPDIR/set"
		assert_success
		mkdir "$BATS_TEST_TMPDIR/up"
		cp metadata.mfs "$BATS_TEST_TMPDIR/up/"
		mfsmaster_cfg "$BATS_TEST_TMPDIR/up"
		run timeout 60 mfsmaster -c "$BATS_TEST_TMPDIR/up.cfg" restore
		assert_success
		assert_equal "$(norm30 "$BATS_TEST_TMPDIR/up/metadata.mfs" | sort)" "$(norm16 metadata.mfs | sort)"
		ours=$("$RESCUE" mfsmetadump metadata.mfs | sed -n 's/.* version: \([0-9]*\) .*/\1/p')
		opens=$(norm16 metadata.mfs | grep -c '^O ' || true)
		[ "$opens" -gt 0 ]
		assert_equal "$(mfsmetadump "$BATS_TEST_TMPDIR/up/metadata.mfs" 2>/dev/null | sed -n 's/^# version: \([0-9]*\) .*/\1/p')" "$((ours + opens))"
		cd "$BATS_TEST_TMPDIR" && rm -rf set up up.cfg
	done
}

@test "mfs16: LizardFS's MFSM 1.6 and MFSM 2.0 are named and refused, never read (exit 3)" {
	cd "$BATS_TEST_TMPDIR"
	# LizardFS's 1.6: MooseFS 1.5's header and zero end record
	printf 'MFSM 1.6\0\0\0\1\0\0\0\0\0\0\0\5\0\0\0\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0' >lz16
	# LizardFS's 2.0: 1.x header (maxnodeid, version, nextsessionid), NODE first
	printf 'MFSM 2.0\0\0\0\1\0\0\0\0\0\0\0\5\0\0\0\1NODE 1.0\0\0\0\0\0\0\0\1\0[MFS EOF MARKER]' >lz20
	for f in lz16 lz20; do
		run_tool mfsmetarestore -m "$f" -o out.mfs
		assert_failure 3
		# one line naming LizardFS (the same words as mfsfamily.bats checks)
		[ "$(wc -l <<<"$stderr")" = 1 ]
		[[ "$stderr" == "mfsmetarestore: $f@"*LizardFS* ]]
		[ ! -e out.mfs ]
		run_tool mfsmetadump "$f"
		assert_failure 3
		[ "$(wc -l <<<"$stderr")" = 1 ]
		[[ "$stderr" == "mfsmetadump: $f@"*LizardFS* ]]
	done
	# a MooseFS MFSM 2.0 with zeros where SESS belongs is damaged, not LizardFS
	printf 'MFSM 2.0\0\0\0\0\0\0\0\5\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0\0\0\0\0\0[MFS EOF MARKER]' >mz
	run_tool mfsmetadump mz
	assert_failure 3
	[[ "$stderr" != *LizardFS* ]]
}

@test "mfs16: a damaged MFSM 1.5 file: one FILE@OFFSET line, exit 3, nothing written" {
	local n size
	cd "$BATS_TEST_TMPDIR"
	size=$(stat -c %s "$FX/rich/master/metadata.mfs.back")
	for n in 20 60 300 700 1000 $((size - 20)) $((size - 1)); do
		head -c "$n" "$FX/rich/master/metadata.mfs.back" >"cut"
		run_tool mfsmetarestore -q -m "cut" -o out.mfs
		assert_failure 3
		[[ "$stderr" =~ ^mfsmetarestore:\ cut@[0-9]+:\ [^$'\n']*$ ]]
		[ ! -e out.mfs ]
		assert_no_tmp
		run_tool mfsmetadump cut
		assert_failure 3
		[[ "$stderr" =~ ^mfsmetadump:\ cut@[0-9]+:\ [^$'\n']*$ ]]
	done
	# a node type that does not exist
	cp "$FX/rich/master/metadata.mfs.back" bad && printf 'x' | dd of=bad bs=1 seek=24 conv=notrunc status=none
	run_tool mfsmetarestore -q -m bad -o out.mfs
	assert_failure 3
	assert_equal "$stderr" "mfsmetarestore: bad@24: loading node: unrecognized node type: 0x78"
	# without -q the stage line is ended before the error
	run_tool mfsmetarestore -m bad -o out.mfs
	assert_failure 3
	assert_equal "$stderr" "loading objects (files,directories,etc.) ... error
mfsmetarestore: bad@24: loading node: unrecognized node type: 0x78"
}

@test "mfs16: a changelog line that does not apply: FILE:LINE error, exit 3, nothing written; -b stores the changes before it (exit 1)" {
	set_copy rich master
	sed -i 's/^200: \([0-9]*\)|.*/200: \1|UNLINK(1,nosuchname):5/' changelog.0.mfs
	run_tool mfsmetarestore -q -m metadata.mfs.back -o "$BATS_TEST_TMPDIR/out.mfs" changelog.1.mfs changelog.0.mfs
	assert_failure 3
	assert_equal "$stderr" "mfsmetarestore: changelog.0.mfs:130: change 200: UNLINK: error 3 (No such file or directory)
mfsmetarestore: nothing written (-b stores the metadata reached before the error)"
	[ ! -e "$BATS_TEST_TMPDIR/out.mfs" ]
	sed -i 's/^201: .*/201: garbage/' changelog.0.mfs
	sed -i 's/^200: \([0-9]*\)|.*/200: \1|ACCESS(1)/' changelog.0.mfs
	run_tool mfsmetarestore -q -m metadata.mfs.back -o "$BATS_TEST_TMPDIR/out.mfs" changelog.1.mfs changelog.0.mfs
	assert_failure 3
	assert_equal "$stderr" "mfsmetarestore: changelog.0.mfs:131: change 201: not a changelog line, and valid lines follow it: the file is damaged
mfsmetarestore: nothing written (-b stores the metadata reached before the error)"
	run_tool mfsmetarestore -q -b -m metadata.mfs.back -o "$BATS_TEST_TMPDIR/out.mfs" changelog.1.mfs changelog.0.mfs
	assert_failure 1
	run_tool mfsmetadump "$BATS_TEST_TMPDIR/out.mfs"
	[[ "${lines[1]}" == *" ; version: 201 ; "* ]]
	# a hostile chunk index is refused, not allocated (1.6: a 16 GiB table)
	sed -i 's/^201: .*/201: 1796493700|WRITE(4,2147483000,1):99/' changelog.0.mfs
	run_tool mfsmetarestore -q -f -m metadata.mfs.back -o "$BATS_TEST_TMPDIR/out.mfs" changelog.1.mfs changelog.0.mfs
	assert_failure 3
	[[ "$stderr" == "mfsmetarestore: changelog.0.mfs:131: change 201: WRITE: error 102 (chunk index above 2^26: not supported here)"* ]]
	# -a with a failing replay (the WRITE above): nothing written, no
	# backup kept
	cp metadata.mfs.back metadata.mfs
	snapshot metadata.mfs
	run_tool mfsmetarestore -q -a -d "$BATS_TEST_TMPDIR/set"
	assert_failure 3
	assert_unchanged
	assert_equal "$(ls | grep -c prev)" 0
	rm metadata.mfs
	# -i and -t are 3.x options (exit 2)
	run_tool mfsmetarestore -q -i -m metadata.mfs.back -o "$BATS_TEST_TMPDIR/new.mfs" changelog.1.mfs
	assert_failure 2
	[ ! -e "$BATS_TEST_TMPDIR/new.mfs" ]
	# an existing output is not replaced without -f (exit 5)
	run_tool mfsmetarestore -q -m metadata.mfs.back -o "$BATS_TEST_TMPDIR/out.mfs" changelog.1.mfs
	assert_failure 5
}

# The operations no fixture replays (1.6.27 semantics, from its
# filesystem.c/chunks.c as docs/moosefs-format.md 6 sums them up): trash
# expiry, inode reuse only after FREEINODES, reserved files, sessions,
# chunk version and lock changes, QUOTA and SETXATTR (kept nowhere in an
# MFSM 1.5 file), the old AQUIRE and CUSTOMER names.
@test "mfs16: EMPTYTRASH, FREEINODES, EMPTYRESERVED, RELEASE, INCVERSION, UNLOCK, QUOTA, SETXATTR, AQUIRE, CUSTOMER replay as in 1.6.27" {
	cd "$BATS_TEST_TMPDIR"
	cat >changelog.0.mfs <<'LOG'
0: 1000000000|SESSION():1
1: 1000000000|CREATE(1,a,f,420,0,0,0):2
2: 1000000001|UNLINK(1,a):2
3: 1000000002|EMPTYTRASH():0,0
4: 1000090000|EMPTYTRASH():1,0
5: 1000100000|FREEINODES():0
6: 1000200000|FREEINODES():1
7: 1000200001|CREATE(1,b,f,420,0,0,0):2
8: 1000200002|AQUIRE(2,1)
9: 1000200003|WRITE(2,0,1):1
10: 1000200004|INCVERSION(1)
11: 1000200005|UNLOCK(1)
12: 1000200006|QUOTA(1,0,0,0,0,0,0,0,0,0,0,0)
13: 1000200007|SETXATTR(2,user.x,v%00w,0)
14: 1000200008|SETTRASHTIME(2,0,0,0):1,0,0
15: 1000200009|UNLINK(1,b):2
16: 1000200010|RELEASE(2,1)
17: 1000200011|EMPTYRESERVED():1
18: 1000200012|CUSTOMER():2
19: 1000200013|CREATE(1,c,f,420,0,0,0):3
LOG
	run_tool mfsmetarestore -q -m "$FX/empty/oracle/master/metadata.mfs" -o out.mfs changelog.0.mfs
	assert_success
	run_tool mfsmetadump out.mfs
	assert_success
	# inode 2 is reused only after FREEINODES; freed again, the next
	# CREATE gets 3; the chunk stays (a restore deletes none), version 2
	assert_equal "$output" "# header: MFSM 1.5 (4D46534D20312E35)
# maxnodeid: 3 ; version: 20 ; nextsessionid: 3
# -------------------------------------------------------------------
D|i:         1|#:1|e:0|m:0777|u:         0|g:         0|a:1796493660,m:1000200013,c:1000200013|t:     86400
-|i:         3|#:1|e:0|m:0644|u:         0|g:         0|a:1000200013,m:1000200013,c:1000200013|t:     86400|l:                   0|c:()|r:()
# -------------------------------------------------------------------
E|p:         1|c:         3|n:c
# -------------------------------------------------------------------
# free nodes: 1
I|i:         2|f:1000200011
# -------------------------------------------------------------------
# nextchunkid: 0000000000000002
*|i:0000000000000001|v:00000002|t:         0"
	# results are checked as 1.6.27 checks them
	printf '20: 1000200014|APPEND(3,3)\n' >changelog.1.mfs
	run_tool mfsmetarestore -q -m out.mfs -o out2.mfs changelog.1.mfs
	assert_failure 3
	assert_equal "$stderr" "mfsmetarestore: changelog.1.mfs:1: change 20: APPEND: error 6 (Invalid argument)
mfsmetarestore: nothing written (-b stores the metadata reached before the error)"
	printf '20: 1000300000|FREEINODES():0\n' >changelog.1.mfs
	run_tool mfsmetarestore -q -m out.mfs -o out2.mfs changelog.1.mfs
	assert_failure 3
	[[ "$stderr" == "mfsmetarestore: changelog.1.mfs:1: change 20: FREEINODES: error 1 (Operation not permitted)"* ]]
	# a changelog holding only change 0 (a master killed right after its
	# start) is a changelog, not a damaged file
	head -n 1 changelog.0.mfs >only0.mfs
	run_tool mfsmetarestore -q -m "$FX/empty/oracle/master/metadata.mfs" -o out0.mfs only0.mfs
	assert_success
	[[ "$stderr" != *damaged* ]]
	run_tool mfsmetadump out0.mfs
	assert_equal "${lines[1]}" "# maxnodeid: 1 ; version: 1 ; nextsessionid: 2"
}
