#!/usr/bin/env bats
# starrocks-fe-recover on three StarRocks 3.x FE homes (tests/fixtures/recipes/
# starrocks: fe1 FOLLOWER image.150023, fe2 FOLLOWER image.120000 (stale), fe3
# OBSERVER image.149000) and two Doris FEs (fe_<uuid> names, COR1 images).
load ../helpers
load recipes

setup_file() { recipes_setup_file; }
teardown() { recipes_teardown; }

setup() {
	cp -r "$RFIX/starrocks" "$BATS_TEST_TMPDIR/sr"
	S=$BATS_TEST_TMPDIR/sr
	W=$S/fe1/meta.rescue
	FES=("$S/fe1" "$S/fe2" "$S/fe3")
}

sr() { run_recipe starrocks-fe-recover "$@"; }

# observer_newest: fe3, the observer, gets the newest image.
observer_newest() {
	cp "$S/fe3/meta/image/image.149000" "$S/fe3/meta/image/image.160000"
	rm "$S/fe3/meta/image/image.149000"
}

@test "starrocks-fe-recover: --help prints the usage (exit 0)" {
	sr --help
	assert_success
	assert_line --index 0 "usage: starrocks-fe-recover [-y] [--flavor starrocks|doris] [--version V] [--from DIR] [--finish] FE..."
	assert_equal "$stderr" ""
}

@test "starrocks-fe-recover: no FE directory is a usage error (exit 2)" {
	sr --version 3.2.5
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_equal "$stderr" "starrocks-fe-recover: no FE directory given (see 'starrocks-fe-recover --help')"
}

@test "starrocks-fe-recover: a directory that is not an FE is bad input (exit 3)" {
	mkdir "$BATS_TEST_TMPDIR/empty"
	sr --version 3.2.5 "$S/fe1" "$BATS_TEST_TMPDIR/empty"
	assert_equal "$status" 3
	assert_equal "$output" ""
	assert_equal "$(err_last)" "starrocks-fe-recover: $BATS_TEST_TMPDIR/empty: neither an FE home (conf/fe.conf) nor a meta_dir (image/)"
}

@test "starrocks-fe-recover: ROLE without VERSION is bad input (exit 3)" {
	rm "$S/fe2/meta/image/VERSION"
	sr --version 3.2.5 "${FES[@]}"
	assert_equal "$status" 3
	assert_equal "$(err_last)" "starrocks-fe-recover: $S/fe2/meta/image: ROLE and VERSION must both exist (the FE refuses to start otherwise)"
}

@test "starrocks-fe-recover: copies from different clusters are refused, nothing changed (exit 5)" {
	sed -i 's/^clusterId=.*/clusterId=7654321/' "$S/fe2/meta/image/VERSION"
	snapshot "$S/fe1/conf/fe.conf" "$S/fe3/meta/image/ROLE"
	sr --yes --version 3.2.5 "${FES[@]}"
	assert_equal "$status" 5
	assert_equal "$output" ""
	assert_equal "$(err_last)" "starrocks-fe-recover: $S/fe2/meta (clusterId=7654321 token=4a3bd7c2-5b6f-4f0e-9d1c-2a7b8c9d0e1f) and $S/fe1/meta (clusterId=1234567 token=4a3bd7c2-5b6f-4f0e-9d1c-2a7b8c9d0e1f) belong to different clusters; nothing was changed"
	assert_unchanged
	[ ! -e "$W" ]
}

@test "starrocks-fe-recover: a recovery flag left on from an earlier recovery is refused (exit 5)" {
	echo "bdbje_reset_election_group = true" >>"$S/fe2/conf/fe.conf"
	snapshot "$S/fe2/conf/fe.conf"
	sr --yes --version 3.2.5 "${FES[@]}"
	assert_equal "$status" 5
	assert_equal "$output" ""
	assert_equal "$(err_last)" "starrocks-fe-recover: $S/fe2/conf/fe.conf: bdbje_reset_election_group = true is already set (left from an earlier recovery?): check the cluster, then run --finish; nothing was changed"
	assert_unchanged
	[ ! -e "$W" ]
}

@test "starrocks-fe-recover: without --version a JE 18 install is a usage error (exit 2)" {
	sr "${FES[@]}"
	assert_equal "$status" 2
	assert_equal "$(err_last)" "starrocks-fe-recover: cannot tell the starrocks release, which decides the recovery flag: give --version (e.g. 3.2.5)"
}

@test "starrocks-fe-recover: the dry run prints the numbered plan with exact commands, changes nothing (exit 0)" {
	tool_ready metapick
	snapshot "$S/fe1/conf/fe.conf" "$S/fe1/meta/image/ROLE"
	sr --version 3.2.5 "${FES[@]}"
	assert_success
	assert_equal "$(sed -n '/^starrocks-fe-recover: plan/,$p' <<<"$output" | norm)" "$(cat <<'EOF'
starrocks-fe-recover: plan (5 steps; dry run, nothing is changed: add --yes to act)
 1. back up /T/sr/fe1/meta (metasnap, verified)
    $ mkdir -p /T/sr/fe1/meta.rescue/backup
    $ rescue metasnap save /T/sr/fe1/meta -o /T/sr/fe1/meta.rescue/backup/fe1-meta-TS.tar.gz
    $ rescue metasnap verify /T/sr/fe1/meta.rescue/backup/fe1-meta-TS.tar.gz
 2. back up /T/sr/fe2/meta (metasnap, verified)
    $ mkdir -p /T/sr/fe1/meta.rescue/backup
    $ rescue metasnap save /T/sr/fe2/meta -o /T/sr/fe1/meta.rescue/backup/fe2-meta-TS.tar.gz
    $ rescue metasnap verify /T/sr/fe1/meta.rescue/backup/fe2-meta-TS.tar.gz
 3. back up /T/sr/fe3/meta (metasnap, verified)
    $ mkdir -p /T/sr/fe1/meta.rescue/backup
    $ rescue metasnap save /T/sr/fe3/meta -o /T/sr/fe1/meta.rescue/backup/fe3-meta-TS.tar.gz
    $ rescue metasnap verify /T/sr/fe1/meta.rescue/backup/fe3-meta-TS.tar.gz
 4. set bdbje_reset_election_group = true in /T/sr/fe1/conf/fe.conf
    $ rescue confset /T/sr/fe1/conf/fe.conf bdbje_reset_election_group true
    $ rescue confset /T/sr/fe1/conf/fe.conf --get bdbje_reset_election_group
 5. start the recovered FE alone and check that it leads [operator]
      Every other FE must stay stopped.  On the host of /T/sr/fe1/meta:
        cd /T/sr/fe1 && bin/start_fe.sh --daemon
      Wait for 'transfer from ... to LEADER' in log/fe.log, then:
        mysql -h 172.26.92.139 -P 9030 -uroot -e 'SHOW FRONTENDS;'
      This FE must be Alive and LEADER; check that databases and tables are intact.
      Then run:  starrocks-fe-recover --yes --finish /T/sr/fe1 /T/sr/fe2 /T/sr/fe3
EOF
)"
	assert_err "starrocks-fe-recover: recovering from $S/fe1/meta (role FOLLOWER)"
	assert_unchanged
	[ ! -e "$W" ]
}

@test "starrocks-fe-recover: the flag follows the release (exit 0)" {
	tool_ready metapick
	for v in 2.5.13:metadata_failure_recovery 3.0.9:metadata_failure_recovery 3.1.9:metadata_failure_recovery \
		3.1.10:bdbje_reset_election_group 3.2.4:metadata_failure_recovery 3.2.5:bdbje_reset_election_group \
		3.3.0:bdbje_reset_election_group; do
		sr --version "${v%%:*}" "${FES[@]}"
		assert_success
		assert_line " 4. set ${v#*:} = true in $S/fe1/conf/fe.conf"
	done
	# a JE 7 jar means 2.5 or older
	rm "$S/fe1/lib/starrocks-bdb-je-18.3.16.jar"
	: >"$S/fe1/lib/je-7.3.7.jar"
	sr "${FES[@]}"
	assert_success
	assert_err "starrocks-fe-recover: BDB JE 7 in $S/fe1/lib: StarRocks 2.5 or older"
	assert_line " 4. set metadata_failure_recovery = true in $S/fe1/conf/fe.conf"
}

@test "starrocks-fe-recover: acting backs up every meta_dir, sets the flag, stops for the operator; --finish removes it (exit 0)" {
	tool_ready metapick metasnap
	snapshot "$S/fe1/meta/image/ROLE" "$S/fe2/conf/fe.conf"
	sr --yes --version 3.2.5 "${FES[@]}"
	assert_success
	assert_equal "$(err_last)" "starrocks-fe-recover: stopped at step 5, the operator's (see above)"
	assert_line "== step 5: start the recovered FE alone and check that it leads (for the operator)"
	for fe in 1 2 3; do
		b=$(ls "$W"/backup/fe$fe-meta-*.tar.gz)
		assert_err "starrocks-fe-recover: backup of $S/fe$fe/meta: $b"
	done
	run_tool confset "$S/fe1/conf/fe.conf" --get bdbje_reset_election_group
	assert_output "true"
	assert_unchanged
	# every meta_dir backed up, each archive restores to the same tree
	for fe in 1 2 3; do
		b=$(ls "$W"/backup/fe$fe-meta-*.tar.gz)
		run_tool metasnap restore "$b" "$BATS_TEST_TMPDIR/r$fe"
		assert_success
		diff -r "$S/fe$fe/meta" "$BATS_TEST_TMPDIR/r$fe"
	done
	# after the operator's start: --finish
	sr --yes --finish "${FES[@]}"
	assert_success
	assert_err "starrocks-fe-recover: no recovery flag is set in the 3 fe.conf files"
	assert_line --partial 'ALTER SYSTEM DROP FOLLOWER "172.26.92.140:9010";'
	assert_line --partial 'ALTER SYSTEM DROP OBSERVER "172.26.92.141:9010";'
	assert_line --partial "bin/start_fe.sh --helper 172.26.92.139:9010 --daemon"
	run_tool confset "$S/fe1/conf/fe.conf" --get bdbje_reset_election_group
	assert_equal "$status" 1
	# the earlier run's state: a second recovery run is all done, nothing repeated
	sr --yes --finish "${FES[@]}"
	assert_success
}

@test "starrocks-fe-recover: options after the FE directories are options, '--' ends them (exit 0)" {
	tool_ready metapick metasnap
	# the backup names carry the time (to the second): the two runs may straddle one
	sr --version 3.2.5 "${FES[@]}"
	assert_success
	plan=$(sed -E 's/[0-9]{8}T[0-9]{6}Z/TIME/g' <<<"$output")
	sr "$S/fe1" --version=3.2.5 "$S/fe2" "$S/fe3"
	assert_success
	assert_equal "$(sed -E 's/[0-9]{8}T[0-9]{6}Z/TIME/g' <<<"$output")" "$plan"
	# an FE directory named like an option, after "--"
	cp -r "$S/fe3" "$S/--fe3"
	cd "$S"
	sr --version 3.2.5 fe1 fe2 -- --fe3
	assert_success
	assert_output --partial "$S/--fe3"
	cd "$BATS_TEST_TMPDIR"
	sr "${FES[@]}" --version 3.2.5 --yes
	assert_success
	assert_equal "$(err_last)" "starrocks-fe-recover: stopped at step 5, the operator's (see above)"
	run_tool confset "$S/fe1/conf/fe.conf" --get bdbje_reset_election_group
	assert_output "true"
	[ ! -e "$PWD/--yes" ]
}

@test "starrocks-fe-recover: an OBSERVER with the newest image gets ROLE=FOLLOWER and the extra follower round (exit 0)" {
	tool_ready metapick metasnap
	observer_newest
	sr --yes --version 3.3.0 "${FES[@]}"
	assert_success
	assert_err "starrocks-fe-recover: the newest copy is an OBSERVER: ROLE is rewritten to FOLLOWER and an extra follower round follows (see --finish)"
	assert_line " 4. rewrite $S/fe3/meta/image/ROLE: role=OBSERVER -> FOLLOWER"
	assert_equal "$(cat "$S/fe3/meta/image/ROLE")" "$(sed 's/^role=OBSERVER$/role=FOLLOWER/' "$RFIX/starrocks/fe3/meta/image/ROLE")"
	run_tool confset "$S/fe3/conf/fe.conf" --get bdbje_reset_election_group
	assert_output "true"
	sr --yes --finish "${FES[@]}"
	assert_success
	assert_line "The FE recovered was an OBSERVER.  The documented extra follower round:"
	assert_line '       ALTER SYSTEM DROP FOLLOWER "172.26.92.139:9010";'
	run_tool confset "$S/fe3/conf/fe.conf" --get bdbje_reset_election_group
	assert_equal "$status" 1
}

@test "starrocks-fe-recover: a stale copy chosen with --from is refused, nothing changed (exit 5)" {
	tool_ready metapick
	snapshot "$S/fe2/conf/fe.conf"
	sr --yes --version 3.2.5 --from "$S/fe2" "${FES[@]}"
	assert_equal "$status" 5
	assert_equal "$(err_last)" "starrocks-fe-recover: --from $S/fe2 is not the newest copy: metapick ranks $S/fe1/meta first; nothing was changed"
	assert_unchanged
	[ ! -e "$W/backup" ]
	# the newest one by hand is fine
	sr --version 3.2.5 --from "$S/fe1" "${FES[@]}"
	assert_success
}

@test "starrocks-fe-recover: killed after each step, a re-run resumes at the next one (exit 0)" {
	tool_ready metapick metasnap
	observer_newest
	for n in 1 2 3 4 5; do
		rm -rf "$W"
		cp "$RFIX/starrocks/fe3/meta/image/ROLE" "$S/fe3/meta/image/ROLE"
		cp "$RFIX/starrocks/fe3/conf/fe.conf" "$S/fe3/conf/fe.conf"
		RESCUE_RECIPE_STOP_AFTER=$n sr --yes --version 3.3.0 "${FES[@]}"
		assert_equal "$status" 137
		grep -q "^done=$n$" "$W/state"
		sr --yes --version 3.3.0 "${FES[@]}"
		assert_success
		grep -q "^ $n\. .*\[done\]" <<<"$output"
		! grep -q "step $n/6" <<<"$stderr"
		assert_equal "$(ls "$W"/backup | wc -l)" 3
		grep -qx "role=FOLLOWER" "$S/fe3/meta/image/ROLE"
		assert_equal "$(grep -c '^bdbje_reset_election_group = true' "$S/fe3/conf/fe.conf")" 1
	done
}

@test "starrocks-fe-recover: --finish removes a flag set twice (exit 0); a fe.conf it cannot edit keeps the flag and fails (exit 3)" {
	printf 'metadata_failure_recovery = true\nmetadata_failure_recovery = true\n' >>"$S/fe2/conf/fe.conf"
	sr --yes --finish "${FES[@]}"
	assert_success
	assert_err "starrocks-fe-recover: no recovery state in $W: the flag is removed, but which FE was recovered is unknown"
	assert_err "starrocks-fe-recover: no recovery flag is set in the 3 fe.conf files"
	run_tool confset "$S/fe2/conf/fe.conf" --get metadata_failure_recovery
	assert_equal "$status" 1
	# a NUL byte makes confset refuse the file: the flag stays, --finish says so
	printf 'bdbje_reset_election_group = true\n\0\n' >>"$S/fe3/conf/fe.conf"
	snapshot "$S/fe3/conf/fe.conf"
	sr --yes --finish "${FES[@]}"
	assert_equal "$status" 3
	assert_equal "$(err_last)" "starrocks-fe-recover: step 1 failed (exit 3): rescue confset $S/fe3/conf/fe.conf --all --unset metadata_failure_recovery"
	assert_unchanged
}

@test "starrocks-fe-recover: Doris is detected; 2.0.1 sets the fe.conf key, 2.1 uses the start option (exit 0)" {
	tool_ready metapick
	cp -r "$RFIX/doris" "$BATS_TEST_TMPDIR/doris"
	D=$BATS_TEST_TMPDIR/doris
	sr --version 2.0.1 "$D/fe1" "$D/fe2"
	assert_success
	assert_err "starrocks-fe-recover: flavor: doris (detected; --flavor to override)"
	assert_line " 3. set metadata_failure_recovery = true in $D/fe2/conf/fe.conf"
	assert_line "        cd $D/fe2 && bin/start_fe.sh --daemon"
	sr --version 2.1.0 "$D/fe1" "$D/fe2"
	assert_success
	refute_line --partial "set metadata_failure_recovery"
	assert_line "        cd $D/fe2 && bin/start_fe.sh --daemon --metadata_failure_recovery"
	assert_line --partial "to MASTER (IsMaster=true)"
}

@test "starrocks-fe-recover: too little space for the backups is refused before any change (exit 5)" {
	requires root
	tool_ready metapick metasnap
	small_fs "$BATS_TEST_TMPDIR/small" 64
	head -c 300000 /dev/urandom >"$S/fe2/meta/bdb/00000002.jdb"
	snapshot "$S/fe1/conf/fe.conf"
	RESCUE_BACKUP_DIR=$BATS_TEST_TMPDIR/small sr --yes --version 3.2.5 "${FES[@]}"
	assert_equal "$status" 5
	assert_err_re "^starrocks-fe-recover: not enough space for the backup of $S/fe1/meta in $BATS_TEST_TMPDIR/small: [0-9]+ KiB free, [0-9]+ KiB needed \\(set RESCUE_BACKUP_DIR\\)$"
	assert_unchanged
	assert_equal "$(ls -A "$BATS_TEST_TMPDIR/small")" ""
	grep -q '^done=0$' "$W/state"
}

@test "starrocks-fe-recover: an edit_log_port that differs from the ROLE name is said before anything is done (exit 0)" {
	tool_ready metapick
	sed -i 's/^edit_log_port = 9010$/edit_log_port = 9011/' "$S/fe1/conf/fe.conf"
	sr --version 3.2.5 "${FES[@]}"
	assert_success
	assert_err "starrocks-fe-recover: warning: ROLE name 172.26.92.139_9010_1698226672727 has edit_log_port 9010 but $S/fe1/conf/fe.conf says 9011: the FE will not find itself in the group (set edit_log_port = 9010, or use a release with bdbje_reset_election_group, which renames the node)"
}

@test "starrocks-fe-recover: meta_dirs given directly find their fe.conf beside them (exit 0)" {
	tool_ready metapick
	sr --version 3.2.5 "$S/fe1/meta" "$S/fe2/meta" "$S/fe3/meta"
	assert_success
	assert_line " 4. set bdbje_reset_election_group = true in $S/fe1/conf/fe.conf"
	# without a conf/ beside it, a meta_dir alone cannot get the flag
	mkdir "$BATS_TEST_TMPDIR/bare"
	mv "$S/fe1/meta" "$BATS_TEST_TMPDIR/bare/meta"
	sr --version 3.2.5 "$BATS_TEST_TMPDIR/bare/meta" "$S/fe2/meta" "$S/fe3/meta"
	assert_equal "$status" 3
	assert_equal "$(err_last)" "starrocks-fe-recover: no fe.conf for $BATS_TEST_TMPDIR/bare/meta: give the FE's home directory instead of its meta_dir"
}

@test "starrocks-fe-recover: a run_mode that differs from VERSION's runMode is said before anything is done (exit 0)" {
	tool_ready metapick
	echo "run_mode = shared_data" >>"$S/fe1/conf/fe.conf"
	sr --version 3.2.5 "${FES[@]}"
	assert_success
	assert_err "starrocks-fe-recover: warning: $S/fe1/meta/image/VERSION has runMode=shared_nothing but $S/fe1/conf/fe.conf runs shared_data: the FE exits with 'Unmatched run mode between config file and version file' (set run_mode = shared_nothing)"
}
