#!/usr/bin/env bats
# coda-reinit: the reinitialisation checklist on a two-server /vice fixture
# (tests/fixtures/recipes/coda: VRList with three groups, a stale vol/VRList,
# two VolumeLists, a non-replicated volume and a backup clone).
load ../helpers
load recipes

setup_file() { recipes_setup_file; }
teardown() { recipes_teardown; }

setup() {
	cp -r "$RFIX/coda/." "$BATS_TEST_TMPDIR/"
	V=$BATS_TEST_TMPDIR/vice
	W=$V/db.rescue
	ARGS=(--capacity 4G --vice "$V" --volumelist "$BATS_TEST_TMPDIR/server2/VolumeList" --dumps "$BATS_TEST_TMPDIR/dumps")
}

# fake_dumps: one file per replica with the header volutil writes.
fake_dumps() {
	mkdir -p "$BATS_TEST_TMPDIR/dumps"
	for n in coda.root.0 coda.root.1 u.satya.0 u.satya.1 project.coda.src.0 scratch; do
		printf '\001\263\241\023\042\000\000\000\002v' >"$BATS_TEST_TMPDIR/dumps/$n.dump"
	done
}

# through_step N: act until the operator step N, confirming the earlier ones.
act() { run_recipe coda-reinit --yes "${ARGS[@]}" "$@"; }

@test "coda-reinit: --help prints the usage (exit 0)" {
	run_recipe coda-reinit --help
	assert_success
	assert_line --index 0 --partial "usage: coda-reinit [-y] --capacity SIZE"
	assert_equal "$stderr" ""
}

@test "coda-reinit: no --capacity is a usage error (exit 2)" {
	run_recipe coda-reinit --vice "$V"
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_equal "$stderr" "coda-reinit: --capacity SIZE is required (see 'coda-reinit --help')"
}

@test "coda-reinit: a missing /vice/db is bad input (exit 3)" {
	run_recipe coda-reinit --capacity 4G --vice "$BATS_TEST_TMPDIR/nope"
	assert_equal "$status" 3
	assert_equal "$output" ""
	assert_equal "$(err_last)" "coda-reinit: $BATS_TEST_TMPDIR/nope/db: not a directory"
}

@test "coda-reinit: the dry run prints the numbered plan with exact commands and changes nothing (exit 0)" {
	snapshot "$V/db/VRList" "$V/vol/VolumeList"
	run_recipe coda-reinit "${ARGS[@]}"
	assert_success
	assert_equal "$(norm <<<"$output")" "$(cat <<'EOF'
coda-reinit: plan (9 steps; dry run, nothing is changed: add --yes to act)
 1. back up /T/vice/db (metasnap, verified)
    $ mkdir -p /T/vice/db.rescue/backup
    $ rescue metasnap save /T/vice/db -o /T/vice/db.rescue/backup/vice-db-TS.tar.gz
    $ rescue metasnap verify /T/vice/db.rescue/backup/vice-db-TS.tar.gz
 2. write the volume inventory and one dumplist per medium
    $ mkdir -p /T/vice/db.rescue/dumplists
    $ cp /T/vice/db/VRList /T/vice/db.rescue/VRList.before
    $ cp /T/vice/vol/VolumeList /T/vice/db.rescue/VolumeList.before.1
    $ cp /T/server2/VolumeList /T/vice/db.rescue/VolumeList.before.2
    $ coda_inventory /T/vice/db/VRList /T/vice/vol/VolumeList /T/server2/VolumeList >/T/vice/db.rescue/volumes.txt
    $ rescue dumpplan --capacity 4G --schedule F --dumplist /T/vice/db.rescue/dumplists -f /T/vice/db.rescue/volumes.txt
 3. check every dumplist line against backup(8)'s parser
    $ coda_lint /T/vice/db.rescue/dumplists
 4. dump every volume [operator]
      With the Coda backup tools (removed from Coda after 2016, if you still have them):
        for f in /T/vice/db.rescue/dumplists/dumplist.*; do backup -t 135 $f /T/dumps; done
      Otherwise with volutil, one full dump per replica and per non-replicated volume:
        volutil -h server1 dump 1000001 /T/dumps/coda.root.0.dump
        volutil -h server1 dump 1000002 /T/dumps/u.satya.0.dump
        volutil -h server1 dump 1000003 /T/dumps/project.coda.src.0.dump
        volutil -h server1 dump 1000004 /T/dumps/scratch.dump
        volutil -h server2 dump 2000001 /T/dumps/coda.root.1.dump
        volutil -h server2 dump 2000002 /T/dumps/u.satya.1.dump
      Put one medium's dumps together as dumpplan grouped them; keep the tapes.
 5. check the dump files in /T/dumps
    $ coda_check_dumps /T/dumps
 6. reinitialise RVM (destroys the server's metadata) [operator]
      Only now: the dumps are checked.  With the same sizes as before:
        rvmutl / rdsinit  (see docs/manual/reinit.md; keep the log and data sizes)
 7. recreate the volumes with the same group ids [operator]
      On the SCM, as root, after RVM is reinitialised:
        createvol_rep coda.root server1/vicepa server2/vicepa 7f000000
        createvol_rep u.satya server1/vicepa server2/vicepa 7f000001
        createvol_rep project.coda.src server1/vicepa 7f000002
 8. compare the new VRList with the saved one
    $ coda_compare_vrlist /T/vice/db.rescue/VRList.before /T/vice/db/VRList
 9. restore the data and flush the clients [operator]
        volutil restore -f DUMP PARTITION NAME   (coda_root first; read-only clones)
        mount them under /coda/.../tmp/restore and the new volumes under tmp/inited,
        copy the data across, cfs rmmount both, then on every client: cfs flushcache
        Clients cannot reintegrate changes made before the reinitialisation.
EOF
)"
	assert_equal "$(head -n 1 <<<"$stderr")" "coda-reinit: log: $BATS_TEST_TMPDIR/recipe.log"
	assert_equal "$(sed -n 2p <<<"$stderr")" "coda-reinit: warning: $V/vol/VRList differs from $V/db/VRList: it is a stale copy from before Coda 5.3.11; using $V/db/VRList"
	assert_equal "$(sed -n 3p <<<"$stderr")" "coda-reinit: 4 volumes to dump"
	[ ! -e "$W" ]
	assert_unchanged
	grep -q '^ 1. back up' "$BATS_TEST_TMPDIR/recipe.log"
}

@test "coda-reinit: acting builds the inventory, dumplists that pass the lint, a restorable backup, then stops at the dumps (exit 0)" {
	tool_ready metasnap
	act
	assert_success
	assert_line --partial "== step 4: dump every volume (for the operator)"
	assert_equal "$(err_last)" "coda-reinit: stopped before step 4: do it, then re-run with --yes --done 4"
	# replicated groups once, at their largest replica's size, with their replica count
	assert_equal "$(cat "$W/volumes.txt")" "$(printf '%s\n' 'coda.root 43K 2 7f000000' 'u.satya 1048592K 2 7f000001' 'project.coda.src 2621440K 1 7f000002' 'scratch 16384K 1 1000004')"
	assert_equal "$(cat "$W"/dumplists/dumplist.* | sort)" "$(printf '%s\tF\t%s\n' 01000004 scratch 7f000000 coda.root 7f000000 coda.root 7f000001 u.satya 7f000001 u.satya 7f000002 project.coda.src | sort)"
	grep -q "pass backup(8)'s parser limits" <<<"$stderr"
	grep -q '^done=3$' "$W/state"
	backup=$(ls "$W"/backup/vice-db-*.tar.gz)
	assert_err "coda-reinit: backup of $V/db: $backup"
	run_tool metasnap restore "$backup" "$BATS_TEST_TMPDIR/restored"
	assert_success
	diff -r "$V/db" "$BATS_TEST_TMPDIR/restored"
}

@test "coda-reinit: the whole checklist with --done, the rebuilt VRList compared with the saved one (exit 0)" {
	tool_ready metasnap
	act
	assert_success
	fake_dumps
	act --done 4
	assert_success
	grep -q "6 dump files with a Coda dump header" <<<"$stderr"
	assert_equal "$(err_last)" "coda-reinit: stopped before step 6: do it, then re-run with --yes --done 6"
	act --done 6
	assert_equal "$(err_last)" "coda-reinit: stopped before step 7: do it, then re-run with --yes --done 7"
	# the rebuild: createvol_rep writes new VolumeLists and the VRList again
	sed -i 's/I1000001/I1000011/' "$V/vol/VolumeList"
	cp "$V/db/VRList" "$V/db/VRList.new" && mv "$V/db/VRList.new" "$V/db/VRList"
	act --done 7
	assert_success
	grep -q "reading the copies made by step 2" <<<"$stderr"
	grep -q "holds every group of $W/VRList.before with the same id and replica count" <<<"$stderr"
	assert_equal "$(err_last)" "coda-reinit: stopped at step 9, the operator's (see above)"
	act --done 9
	assert_success
	assert_equal "$(err_last)" "coda-reinit: all 9 steps done"
	grep -q '^done=9$' "$W/state"
}

@test "coda-reinit: a recreated group with another id fails the VRList check (exit 1)" {
	tool_ready metasnap
	act
	fake_dumps
	act --done 4
	act --done 6
	sed -i 's/^u.satya 7f000001/u.satya 7f000009/' "$V/db/VRList"
	act --done 7
	assert_equal "$status" 1
	assert_err "coda-reinit: u.satya was \"7f000001 2\" (group id, replicas), now \"7f000009 2\""
	assert_equal "$(err_last)" "coda-reinit: step 8 failed (exit 1): coda_compare_vrlist $W/VRList.before $V/db/VRList"
	grep -q '^done=7$' "$W/state"
}

@test "coda-reinit: a file that is not a Coda dump stops the checklist (exit 1)" {
	tool_ready metasnap
	act
	fake_dumps
	printf 'tape read error\n' >"$BATS_TEST_TMPDIR/dumps/u.satya.1.dump"
	act --done 4
	assert_equal "$status" 1
	assert_err "coda-reinit: $BATS_TEST_TMPDIR/dumps/u.satya.1.dump: not a Coda volume dump (header 7461706520, expected 01b3a11322)"
	grep -q '^done=4$' "$W/state"
}

@test "coda-reinit: killed after each step, a re-run resumes at the next one (exit 0)" {
	tool_ready metasnap
	for n in 1 2 3; do
		rm -rf "$W"
		RESCUE_RECIPE_STOP_AFTER=$n act
		assert_equal "$status" 137
		grep -q "^done=$n$" "$W/state"
		act
		assert_success
		assert_line " $n. $(sed -n "s/^ *$n\. //p" <<<"$output" | head -n 1)"
		grep -q "^ $n\. .*\[done\]" <<<"$output"
		# the resumed run starts after step n: step n's message is not repeated
		! grep -q "step $n/9" <<<"$stderr"
		grep -q '^done=3$' "$W/state"
		assert_equal "$(ls "$W"/backup | wc -l)" 1
	done
	fake_dumps
	RESCUE_RECIPE_STOP_AFTER=5 act --done 4
	assert_equal "$status" 137
	act
	assert_success
	! grep -q "step 5/9" <<<"$stderr"
	assert_equal "$(err_last)" "coda-reinit: stopped before step 6: do it, then re-run with --yes --done 6"
}

@test "coda-reinit: a VolumeList changed before the RVM reinit invalidates the state; the run starts again at step 1 (exit 0)" {
	tool_ready metasnap
	act
	echo "Wnew.vol.0 I1000009 H1 P/vicepa m0 M0 U10 W1000009 C5e1a2b3c D5e1a2b3c B0 A1f" >>"$V/vol/VolumeList"
	act
	assert_success
	assert_err "coda-reinit: the inputs changed since $W/state was written: its steps do not apply; starting from step 1"
	assert_err_re "^coda-reinit: step 1/9: "
	assert_equal "$(ls "$W"/backup | wc -l)" 2
	grep -q "^Wnew.vol.0 " "$W/VolumeList.before.1"
}

@test "coda-reinit: too little space for the backup is refused before anything changes (exit 5)" {
	requires root
	tool_ready metasnap
	small_fs "$BATS_TEST_TMPDIR/small" 64
	head -c 200000 /dev/urandom >"$V/db/big"
	RESCUE_BACKUP_DIR=$BATS_TEST_TMPDIR/small act
	assert_equal "$status" 5
	assert_equal "$(head -n 1 <<<"$output")" "coda-reinit: plan (9 steps; state: $W/state)"
	assert_err_re "^coda-reinit: not enough space for the backup of $V/db in $BATS_TEST_TMPDIR/small: 64 KiB free, [0-9]+ KiB needed \\(set RESCUE_BACKUP_DIR\\)$"
	[ ! -e "$W/dumplists" ]
	assert_equal "$(ls -A "$BATS_TEST_TMPDIR/small")" ""
	grep -q '^done=0$' "$W/state"
}

@test "coda-reinit: a volume name too long for a dumplist stops at the inventory step (exit 3)" {
	tool_ready metasnap
	sed -i 's/^project.coda.src /project.coda.src.with.a.name.far.too.long.x /' "$V/db/VRList"
	act
	assert_equal "$status" 3
	assert_err "dumpplan: $W/volumes.txt:3: volume name 'project.coda.src.with.a.name.far.too.long.x' is longer than 39 bytes, the limit of a dumplist comment"
	assert_err_re "^coda-reinit: step 2 failed \\(exit 3\\): rescue dumpplan "
	grep -q '^done=1$' "$W/state"
}

@test "coda-reinit: a dumplist edited by hand with a comment line fails the lint (exit 1)" {
	tool_ready metasnap
	RESCUE_RECIPE_STOP_AFTER=2 act
	assert_equal "$status" 137
	printf '# keep u.satya weekly\n7f000001\tF\tu.satya\n' >>"$W/dumplists/dumplist.1"
	act
	assert_equal "$status" 1
	assert_err "coda-reinit: $W/dumplists/dumplist.1:5: comment line: backup(8) ignores every line after it"
	assert_equal "$(err_last)" "coda-reinit: step 3 failed (exit 1): coda_lint $W/dumplists"
	grep -q '^done=2$' "$W/state"
}

@test "coda-reinit: a volume larger than one medium stops at the inventory step (exit 3)" {
	tool_ready metasnap
	ARGS=(--capacity 2G --vice "$V" --volumelist "$BATS_TEST_TMPDIR/server2/VolumeList" --dumps "$BATS_TEST_TMPDIR/dumps")
	act
	assert_equal "$status" 3
	assert_err_re "^dumpplan: .*project.coda.src"
	assert_err_re "^coda-reinit: step 2 failed \\(exit 3\\): rescue dumpplan --capacity 2G "
	grep -q '^done=1$' "$W/state"
}

@test "coda-reinit: replicas missing from VRList or from every VolumeList are reported (exit 0)" {
	echo "Wlost.vol.0 I1000009 H1 P/vicepa m0 M0 U10 W1000009 C5e1a2b3c D5e1a2b3c B0 A1f" >>"$V/vol/VolumeList"
	run_recipe coda-reinit --capacity 4G --vice "$V" --dumps "$BATS_TEST_TMPDIR/dumps"
	assert_success
	assert_err "coda-reinit: warning: replica 2000001 of coda.root (7f000000) is in no VolumeList given"
	assert_err "coda-reinit: warning: lost.vol.0 (1000009) is a replica in no VRList group: backup would skip it"
}
