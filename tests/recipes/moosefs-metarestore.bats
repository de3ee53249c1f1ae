#!/usr/bin/env bats
# moosefs-metarestore on data directories left by a real MooseFS 3.0.117 cluster
# whose master was SIGKILLed (tests/fixtures/moosefs: small, full + metalogger,
# empty, torn).  The oracle is MooseFS itself: `mfsmaster -c CFG restore` on a
# copy of the same files, compared through MooseFS's own mfsmetadump (sorted).
load ../helpers
load recipes

MFIX=$FIXTURES/moosefs

setup_file() { recipes_setup_file; }
teardown() { recipes_teardown; }

setup() {
	[ -d "$MFIX/small/data" ] || {
		[ "${RESCUE_TEST_STRICT:-0}" != 1 ] || fail "tests/fixtures/moosefs is missing"
		skip "tests/fixtures/moosefs is missing (tests/fixtures/moosefs/README says how to make it)"
	}
	D=$BATS_TEST_TMPDIR/mfs
	W=$D.rescue
}

mfs() { run_recipe moosefs-metarestore "$@"; }

# scenario NAME: the fixture's data directory as $D
scenario() {
	rm -rf "$D"
	cp -r "$MFIX/$1/data" "$D"
}

# oracle DIR...: MooseFS's own restore of the files of DIR... merged into one
# directory (the documented procedure: copy the metalogger's files over);
# prints the directory holding its metadata.mfs.
oracle() {
	local o=$BATS_TEST_TMPDIR/oracle
	rm -rf "$o"
	mkdir -p "$o/data"
	for d in "$@"; do cp -n "$d"/* "$o/data/"; done
	mfsmaster_cfg "$o/data" "$o/mfsmaster.cfg"
	timeout 120 mfsmaster -c "$o/mfsmaster.cfg" restore >"$o/log" 2>&1 || { cat "$o/log" >&2; return 1; }
	echo "$o/data"
}

# same_metadata A B: MooseFS's mfsmetadump of both holds the same records.
same_metadata() {
	diff <(mfsmetadump "$1" | sort) <(mfsmetadump "$2" | sort)
}

@test "moosefs-metarestore: --help prints the usage (exit 0)" {
	mfs --help
	assert_success
	assert_line --index 0 "usage: moosefs-metarestore [-y] [-c CFG] [--source DIR]... [--from DIR] [DATA_PATH]"
	assert_equal "$stderr" ""
}

@test "moosefs-metarestore: two data paths are a usage error (exit 2)" {
	mfs "$D" "$D"
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_equal "$stderr" "moosefs-metarestore: more than one DATA_PATH (see 'moosefs-metarestore --help')"
}

@test "moosefs-metarestore: a directory without MooseFS files is bad input (exit 3)" {
	mkdir -p "$D"
	mfs "$D"
	assert_equal "$status" 3
	assert_equal "$(err_last)" "moosefs-metarestore: no MooseFS metadata or changelog files in $D"
}

@test "moosefs-metarestore: DATA_PATH comes from mfsmaster.cfg (exit 0)" {
	tool_ready metapick
	scenario small
	printf '# mfsmaster.cfg\nWORKING_USER = mfs\nDATA_PATH = %s\n' "$D" >"$BATS_TEST_TMPDIR/mfsmaster.cfg"
	mfs -c "$BATS_TEST_TMPDIR/mfsmaster.cfg"
	assert_success
	assert_err "moosefs-metarestore: DATA_PATH from $BATS_TEST_TMPDIR/mfsmaster.cfg: $D"
	assert_line " 1. back up $D (metasnap, verified)"
}

@test "moosefs-metarestore: the dry run prints the numbered plan with exact commands, changes nothing (exit 0)" {
	tool_ready metapick
	scenario small
	snapshot "$D"/*
	mfs "$D"
	assert_success
	assert_equal "$(sed -n '/^moosefs-metarestore: plan/,/^$/p' <<<"$output" | norm)" "$(cat <<'EOF'
moosefs-metarestore: plan (5 steps; dry run, nothing is changed: add --yes to act)
 1. back up /T/mfs (metasnap, verified)
    $ mkdir -p /T/mfs.rescue/backup
    $ rescue metasnap save /T/mfs -o /T/mfs.rescue/backup/data-TS.tar.gz
    $ rescue metasnap verify /T/mfs.rescue/backup/data-TS.tar.gz
 2. stage the files of /T/mfs (and other copies' changelogs) in /T/mfs.rescue/stage
    $ rm -rf /T/mfs.rescue/stage
    $ mkdir -p /T/mfs.rescue/stage
    $ cp -p /T/mfs/metadata.mfs.back /T/mfs/metadata.mfs.back.1 /T/mfs/changelog.0.mfs /T/mfs/changelog.1.mfs /T/mfs.rescue/stage/
 3. rebuild metadata.mfs from the newest snapshot and the changelogs
    $ rescue mfsmetarestore -a -d /T/mfs.rescue/stage
 4. check that the result loads and holds every change
    $ rescue mfsmetadump /T/mfs.rescue/stage/metadata.mfs >/T/mfs.rescue/stage/metadata.mfs.txt
    $ mfs_check_restored /T/mfs.rescue/stage/metadata.mfs 34 /T/mfs/changelog.0.mfs
 5. install it as /T/mfs/metadata.mfs
    $ cp /T/mfs.rescue/stage/metadata.mfs /T/mfs/metadata.mfs.rescue-new
    $ chown 0:0 /T/mfs/metadata.mfs.rescue-new
    $ mv -f /T/mfs/metadata.mfs.rescue-new /T/mfs/metadata.mfs
    $ sync
    $ cmp /T/mfs.rescue/stage/metadata.mfs /T/mfs/metadata.mfs
EOF
)"
	assert_unchanged
	[ ! -e "$W" ] && [ ! -e "$D/metadata.mfs" ]
}

@test "moosefs-metarestore: an option after DATA_PATH is an option: DATA_PATH --yes acts (exit 0)" {
	tool_ready metapick
	scenario small
	mfs "$D" --yes
	assert_success
	assert_equal "$(err_last)" "moosefs-metarestore: all 5 steps done"
	[ -s "$D/metadata.mfs" ]
}

@test "moosefs-metarestore: restores what MooseFS's own restore makes, with a restorable backup (exit 0)" {
	requires moosefs
	tool_ready metapick
	scenario small
	snapshot "$D"/*
	mfs --yes "$D"
	assert_success
	assert_equal "$(err_last)" "moosefs-metarestore: all 5 steps done"
	assert_line "  3. Start the master:  mfsmaster start   (or: systemctl start moosefs-master)"
	ref=$(oracle "$MFIX/small/data")
	same_metadata "$ref/metadata.mfs" "$D/metadata.mfs"
	assert_unchanged
	# the backup holds the directory as it was
	b=$(ls "$W"/backup/data-*.tar.gz)
	assert_err "moosefs-metarestore: backup of $D: $b"
	run_tool metasnap restore "$b" "$BATS_TEST_TMPDIR/undo"
	assert_success
	diff -r "$MFIX/small/data" "$BATS_TEST_TMPDIR/undo"
}

@test "moosefs-metarestore: a fresher metalogger copy is chosen and merged like the documented procedure (exit 0)" {
	requires moosefs
	tool_ready metapick
	# the master's disk lost its newest changelog; the metalogger has everything
	scenario full
	rm "$D/changelog.0.mfs"
	mfs --yes --source "$MFIX/metalogger/data" "$D"
	assert_success
	assert_err "moosefs-metarestore: restoring from $MFIX/metalogger/data"
	ref=$(oracle "$MFIX/full/data")
	same_metadata "$ref/metadata.mfs" "$D/metadata.mfs"
}

@test "moosefs-metarestore: the empty-snapshot case replays from id 1 and says so (exit 0)" {
	requires moosefs
	tool_ready metapick
	scenario empty
	mfs --yes "$D"
	assert_success
	assert_err "moosefs-metarestore: warning: the newest snapshot in $D is empty (version 1): the restore must replay every change from id 1"
	ref=$(oracle "$MFIX/empty/data")
	same_metadata "$ref/metadata.mfs" "$D/metadata.mfs"
}

@test "moosefs-metarestore: the empty-snapshot trap (changelogs that do not reach back to id 1) is refused up front (exit 5)" {
	tool_ready metapick
	scenario empty
	sed -i '1,5d' "$D/changelog.0.mfs"
	snapshot "$D"/*
	mfs --yes "$D"
	assert_equal "$status" 5
	assert_equal "$(err_last)" "moosefs-metarestore: the newest snapshot in $D has version 1 but no changelog holds change 1: changes 1..5 are missing (the empty-snapshot trap when version is 1); copy the missing changelog files in, or add the copy that has them with --source; nothing was changed"
	assert [ ! -e "$D/metadata.mfs" ]
	assert [ ! -e "$W/backup" ]
	assert_unchanged
}

@test "moosefs-metarestore: a missing changelog after a real snapshot is refused up front (exit 5)" {
	tool_ready metapick
	scenario small
	# changes 19..21, the first ones after the snapshot (version 19), are lost
	v=19
	sed -i "/^\(19\|20\|21\): /d" "$D/changelog.0.mfs" "$D/changelog.1.mfs"
	snapshot "$D"/*
	mfs --yes "$D"
	assert_equal "$status" 5
	assert_err_re "^moosefs-metarestore: the newest snapshot in $D has version $v but no changelog holds change $v: changes $v\\.\\.21 are missing"
	assert_unchanged
}

@test "moosefs-metarestore: a torn last changelog line: every complete change is restored (exit 0)" {
	tool_ready metapick
	scenario torn
	mfs --yes "$D"
	assert_success
	last=$(sed '$d' "$D/changelog.0.mfs" | tail -n 1 | cut -d: -f1)
	assert_err_re "^moosefs-metarestore: $W/stage/metadata.mfs: metadata version $((last + 1)) holds every change found"
}

@test "moosefs-metarestore: copies from two filesystems are refused, nothing changed (exit 5)" {
	tool_ready metapick
	scenario full
	snapshot "$D"/*
	mfs --yes --source "$MFIX/small/data" "$D"
	assert_equal "$status" 5
	assert_equal "$output" ""
	assert_err_re "^moosefs-metarestore: $MFIX/small/data/metadata.mfs.back \\(metadata id [0-9a-f]+\\) and $D/metadata.mfs.back \\(id [0-9a-f]+\\) belong to different filesystems; nothing was changed$"
	assert_unchanged
	[ ! -e "$W/backup" ]
}

@test "moosefs-metarestore: a stale copy chosen with --from is refused (exit 5)" {
	tool_ready metapick
	scenario full
	rm "$D/changelog.0.mfs"
	snapshot "$D"/*
	mfs --yes --from "$D" --source "$MFIX/metalogger/data" "$D"
	assert_equal "$status" 5
	assert_equal "$(err_last)" "moosefs-metarestore: --from $D is not the freshest copy: metapick ranks $MFIX/metalogger/data first; nothing was changed"
	assert_unchanged
}

@test "moosefs-metarestore: killed after each step, a re-run resumes at the next one (exit 0)" {
	requires moosefs
	tool_ready metapick
	ref=$(oracle "$MFIX/small/data")
	for n in 1 2 3 4 5; do
		scenario small
		rm -rf "$W"
		RESCUE_RECIPE_STOP_AFTER=$n mfs --yes "$D"
		assert_equal "$status" 137
		grep -q "^done=$n$" "$W/state"
		mfs --yes "$D"
		assert_success
		grep -q "^ $n\. .*\[done\]" <<<"$output"
		! grep -q "step $n/5" <<<"$stderr"
		assert_equal "$(ls "$W/backup" | wc -l)" 1
		same_metadata "$ref/metadata.mfs" "$D/metadata.mfs"
	done
}

@test "moosefs-metarestore: too little space for the backup is refused before any change (exit 5)" {
	requires root
	tool_ready metapick
	scenario full
	small_fs "$BATS_TEST_TMPDIR/small" 256
	snapshot "$D"/*
	RESCUE_BACKUP_DIR=$BATS_TEST_TMPDIR/small mfs --yes "$D"
	assert_equal "$status" 5
	assert_err_re "^moosefs-metarestore: not enough space for the backup of $D in $BATS_TEST_TMPDIR/small: [0-9]+ KiB free, [0-9]+ KiB needed \\(set RESCUE_BACKUP_DIR\\)$"
	assert_unchanged
	[ ! -e "$D/metadata.mfs" ]
}

@test "moosefs-metarestore: --mount puts the data disk in place first (ext4 image, as in the rescue system) (exit 0)" {
	requires root loop moosefs
	tool_ready metapick
	scenario small
	img=$BATS_TEST_TMPDIR/disk.img
	mkdir -p "$BATS_TEST_TMPDIR/tree/var/lib"
	cp -r "$D" "$BATS_TEST_TMPDIR/tree/var/lib/mfs"
	mke2fs -q -F -t ext4 -d "$BATS_TEST_TMPDIR/tree" "$img" 16M
	mnt=$BATS_TEST_TMPDIR/mnt
	echo "$mnt" >>"$BATS_TEST_TMPDIR/.mounts"
	mfs --mount "$img:$mnt" --yes "$mnt/var/lib/mfs"
	assert_success
	assert_err "moosefs-metarestore: mounted $img on $mnt"
	ref=$(oracle "$MFIX/small/data")
	same_metadata "$ref/metadata.mfs" "$mnt/var/lib/mfs/metadata.mfs"
	# a second run finds it mounted
	mfs --mount "$img:$mnt" "$mnt/var/lib/mfs"
	assert_success
	assert_err "moosefs-metarestore: $mnt is mounted already"
}

@test "moosefs-metarestore: a --mount without a directory is a usage error (exit 2)" {
	mfs --mount /dev/vdb "$D"
	assert_equal "$status" 2
	assert_equal "$stderr" "$(printf '%s\n' "moosefs-metarestore: log: $BATS_TEST_TMPDIR/recipe.log" "moosefs-metarestore: bad --mount '/dev/vdb' (DEVICE:DIR, LABEL=x:DIR or UUID=x:DIR) (see 'moosefs-metarestore --help')")"
}

@test "moosefs-metarestore: a metalogger that never got a snapshot (changelogs only) is refused (exit 5)" {
	tool_ready metapick
	mkdir -p "$D"
	cp "$MFIX/metalogger/data/changelog_ml.0.mfs" "$D/"
	snapshot "$D/changelog_ml.0.mfs"
	mfs --yes "$D"
	assert_equal "$status" 5
	assert_line --partial "problem: no valid metadata file"
	assert_equal "$(err_last)" "moosefs-metarestore: metapick found no safe copy to restore from (see above); nothing was changed"
	assert_unchanged
	[ ! -e "$W/backup" ]
}
