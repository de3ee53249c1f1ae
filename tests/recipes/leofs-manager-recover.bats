#!/usr/bin/env bats
# leofs-manager-recover on a LeoFS 1.x manager pair (tests/fixtures/recipes/leofs:
# leo_manager_0 master and leo_manager_1 slave, each with etc/leo_manager.conf
# and work/mnesia/127.0.0.1 holding schema.DAT, the *.DCD tables and the logs;
# manager_0.dump is a mnesia:dump_to_textfile dump of three tables).
load ../helpers
load recipes

setup_file() { recipes_setup_file; }
teardown() { recipes_teardown; }

setup() {
	cp -r "$RFIX/leofs" "$BATS_TEST_TMPDIR/lf"
	L=$BATS_TEST_TMPDIR/lf
	M0=$L/leo_manager_0/work/mnesia/127.0.0.1
	M1=$L/leo_manager_1/work/mnesia/127.0.0.1
	# the slave lost its table files
	rm "$M1"/*.DCD
	: >"$M1/LATEST.LOG"
}

lf() { run_recipe leofs-manager-recover "$@"; }
case1() { lf --yes --case 1 --broken "$L/leo_manager_1" --partner "$L/leo_manager_0" "$@"; }
case2() { lf --yes --case 2 --survivor "$L/leo_manager_0" --new "$L/leo_manager_1" --dump "$L/manager_0.dump" "$@"; }

@test "leofs-manager-recover: --help prints the usage (exit 0)" {
	lf --help
	assert_success
	assert_line --index 0 "usage: leofs-manager-recover [-y] --case 1 --broken DIR --partner DIR [--node-conf FILE]..."
	assert_equal "$stderr" ""
}

@test "leofs-manager-recover: no --case is a usage error (exit 2)" {
	lf --broken "$L/leo_manager_1"
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_equal "$stderr" "leofs-manager-recover: --case 1 or --case 2 is required (see 'leofs-manager-recover --help')"
}

@test "leofs-manager-recover: case 2 without a dump says how to make one (exit 2)" {
	lf --case 2 --survivor "$L/leo_manager_0" --new "$L/leo_manager_1"
	assert_equal "$status" 2
	assert_equal "$stderr" "leofs-manager-recover: --case 2 needs --dump FILE: make it first, while the survivor runs, with $L/leo_manager_0/bin/leo_manager dump-mnesia-data /absolute/FILE (see 'leofs-manager-recover --help')"
}

@test "leofs-manager-recover: case 1 dry run prints the numbered plan with exact commands, changes nothing (exit 0)" {
	snapshot "$M0/schema.DAT" "$M1/schema.DAT"
	lf --case 1 --broken "$L/leo_manager_1" --partner "$L/leo_manager_0"
	assert_success
	assert_equal "$(sed -n '1,/^$/p' <<<"$output" | norm)" "$(cat <<'EOF'
leofs-manager-recover: plan (5 steps; dry run, nothing is changed: add --yes to act)
 1. back up /T/lf/leo_manager_1/work/mnesia/127.0.0.1 (metasnap, verified)
    $ mkdir -p /T/lf/leo_manager_0/work/mnesia/127.0.0.1.rescue/backup
    $ rescue metasnap save /T/lf/leo_manager_1/work/mnesia/127.0.0.1 -o /T/lf/leo_manager_0/work/mnesia/127.0.0.1.rescue/backup/broken-mnesia-TS.tar.gz
    $ rescue metasnap verify /T/lf/leo_manager_0/work/mnesia/127.0.0.1.rescue/backup/broken-mnesia-TS.tar.gz
 2. back up /T/lf/leo_manager_0/work/mnesia/127.0.0.1 (metasnap, verified)
    $ mkdir -p /T/lf/leo_manager_0/work/mnesia/127.0.0.1.rescue/backup
    $ rescue metasnap save /T/lf/leo_manager_0/work/mnesia/127.0.0.1 -o /T/lf/leo_manager_0/work/mnesia/127.0.0.1.rescue/backup/partner-mnesia-TS.tar.gz
    $ rescue metasnap verify /T/lf/leo_manager_0/work/mnesia/127.0.0.1.rescue/backup/partner-mnesia-TS.tar.gz
 3. move the broken manager's mnesia directory aside
    $ test -e /T/lf/leo_manager_1/work/mnesia/127.0.0.1.broken-TS || mv /T/lf/leo_manager_1/work/mnesia/127.0.0.1 /T/lf/leo_manager_1/work/mnesia/127.0.0.1.broken-TS
    $ mkdir -p /T/lf/leo_manager_1/work/mnesia
 4. put the partner's mnesia files in its place, from the verified backup
    $ test -e /T/lf/leo_manager_1/work/mnesia/127.0.0.1 || rescue metasnap restore /T/lf/leo_manager_0/work/mnesia/127.0.0.1.rescue/backup/partner-mnesia-TS.tar.gz /T/lf/leo_manager_1/work/mnesia/127.0.0.1
 5. check the copy against the backup's manifest
    $ rescue metasnap diff /T/lf/leo_manager_0/work/mnesia/127.0.0.1.rescue/backup/partner-mnesia-TS.tar.gz /T/lf/leo_manager_1/work/mnesia/127.0.0.1

EOF
)"
	assert_unchanged
	[ ! -e "$M0.rescue" ]
}

@test "leofs-manager-recover: case 1 copies the partner's files, checked against the manifest, keeps the broken ones (exit 0)" {
	snapshot "$M0"/*
	case1
	assert_success
	assert_equal "$(err_last)" "leofs-manager-recover: all 5 steps done"
	diff -r "$M0" "$M1"
	assert_unchanged
	# the broken files are kept aside and in a backup that restores
	aside=$(ls -d "$M1".broken-*)
	[ -f "$aside/schema.DAT" ]
	b=$(ls "$M0".rescue/backup/broken-mnesia-*.tar.gz)
	assert_err "leofs-manager-recover: backup of $M1: $b"
	run_tool metasnap restore "$b" "$BATS_TEST_TMPDIR/undo"
	assert_success
	diff -r "$aside" "$BATS_TEST_TMPDIR/undo"
}

@test "leofs-manager-recover: case 1 killed after each step resumes at the next one (exit 0)" {
	for n in 1 2 3 4; do
		rm -rf "$M0.rescue" "$M1" "$M1".broken-*
		cp -r "$RFIX/leofs/leo_manager_1/work/mnesia/127.0.0.1" "$M1"
		RESCUE_RECIPE_STOP_AFTER=$n case1
		assert_equal "$status" 137
		grep -q "^done=$n$" "$M0.rescue/state"
		case1
		assert_success
		grep -q "^ $n\. .*\[done\]" <<<"$output"
		! grep -q "step $n/5" <<<"$stderr"
		diff -r "$M0" "$M1"
		assert_equal "$(ls "$M0.rescue/backup" | wc -l)" 2
	done
}

@test "leofs-manager-recover: case 1 refuses an asymmetric pair (exit 5)" {
	sed -i 's/^manager.partner = .*/manager.partner = manager_9@127.0.0.1/' "$L/leo_manager_0/etc/leo_manager.conf"
	snapshot "$M1/schema.DAT"
	case1
	assert_equal "$status" 5
	assert_err "leofs-manager-recover: manager.partner does not match: $L/leo_manager_1 is manager_1@127.0.0.1 with partner manager_0@127.0.0.1, $L/leo_manager_0 is manager_0@127.0.0.1 with partner manager_9@127.0.0.1 (the master would wait forever: 'Mnesia is not available')"
	assert_equal "$(err_last)" "leofs-manager-recover: the two managers are not a pair; nothing was changed"
	assert_unchanged
	[ ! -e "$M0.rescue" ]
}

@test "leofs-manager-recover: case 1 refuses different cookies (exit 5)" {
	sed -i 's/^distributed_cookie = .*/distributed_cookie = deadbeef/' "$L/leo_manager_1/etc/leo_manager.conf"
	case1
	assert_equal "$status" 5
	assert_err "leofs-manager-recover: distributed_cookie differs: $L/leo_manager_1 has deadbeef, $L/leo_manager_0 has 401321b4"
}

@test "leofs-manager-recover: case 1 refuses a partner copy without table files (exit 5)" {
	rm "$M0"/*.DCD
	case1
	assert_equal "$status" 5
	assert_equal "$(err_last)" "leofs-manager-recover: $M0 has no schema.DAT or no *.DCD table files: a manager started on it creates a new, empty configuration; nothing was changed"
}

@test "leofs-manager-recover: case 1 refuses a schema that does not name the broken node (exit 5)" {
	sed -i 's/^nodename = .*/nodename = manager_7@127.0.0.1/' "$L/leo_manager_1/etc/leo_manager.conf"
	sed -i 's/^manager.partner = .*/manager.partner = manager_7@127.0.0.1/' "$L/leo_manager_0/etc/leo_manager.conf"
	case1
	assert_equal "$status" 5
	assert_equal "$(err_last)" "leofs-manager-recover: $M0/schema.DAT does not name manager_7@127.0.0.1: the node names changed, which is case 2; nothing was changed"
}

@test "leofs-manager-recover: case 1 with too little backup space is refused before any change (exit 5)" {
	requires root
	small_fs "$BATS_TEST_TMPDIR/small" 64
	snapshot "$M1/schema.DAT"
	RESCUE_BACKUP_DIR=$BATS_TEST_TMPDIR/small case1
	assert_equal "$status" 5
	assert_err_re "^leofs-manager-recover: not enough space for the backup of $M1 in $BATS_TEST_TMPDIR/small: [0-9]+ KiB free, [0-9]+ KiB needed \\(set RESCUE_BACKUP_DIR\\)$"
	assert_unchanged
	[ ! -e "$M1".broken-* ]
}

@test "leofs-manager-recover: case 2 moves both mnesia dirs aside, re-points the partners, prints the load checks (exit 0)" {
	# the new node is named manager_2 and points at the dead manager_1
	sed -i 's/^nodename = .*/nodename = manager_2@127.0.0.1/' "$L/leo_manager_1/etc/leo_manager.conf"
	case2
	assert_success
	assert_line "       $L/leo_manager_0/bin/leo_manager load-mnesia-data $L/manager_0.dump"
	assert_line "     Its exit status is 1 even when the load worked (nodetool counts only a bare"
	assert_line "       leo_s3_users                 1 records"
	assert_line "       leo_storage_nodes            3 records"
	assert_line "       leo_system_conf              1 records"
	assert_line "       leofs-adm update-managers manager_0@127.0.0.1 manager_2@127.0.0.1"
	assert_line '       rescue confset leo_storage.conf managers '"'"'[manager_0@127.0.0.1, manager_2@127.0.0.1]'"'"
	assert_equal "$(ls "$M0.rescue/backup" | wc -l)" 2
	[ -z "$(ls -A "$M0")" ] && [ -z "$(ls -A "$M1")" ]
	diff -r "$RFIX/leofs/leo_manager_0/work/mnesia/127.0.0.1" "$(ls -d "$M0".old-*)"
	run_tool confset "$L/leo_manager_0/etc/leo_manager.conf" --get manager.partner
	assert_output "manager_2@127.0.0.1"
	run_tool confset "$L/leo_manager_1/etc/leo_manager.conf" --get manager.partner
	assert_output "manager_0@127.0.0.1"
}

@test "leofs-manager-recover: case 2 killed after each step resumes at the next one (exit 0)" {
	sed -i 's/^nodename = .*/nodename = manager_2@127.0.0.1/' "$L/leo_manager_1/etc/leo_manager.conf"
	rm -rf "$M1"
	for n in 1 2 3; do
		RESCUE_RECIPE_STOP_AFTER=$n case2
		assert_equal "$status" 137
		case2
		assert_success
		grep -q "^ $n\. .*\[done\]" <<<"$output"
		! grep -q "step $n/4" <<<"$stderr"
		assert_equal "$(grep -c . <<<"$(ls "$M0.rescue/backup")")" 1
		run_tool confset "$L/leo_manager_0/etc/leo_manager.conf" --get manager.partner
		assert_output "manager_2@127.0.0.1"
		# start over for the next n
		rm -rf "$M0" "$M0.rescue" "$M1"
		mv "$M0".old-* "$M0"
		cp "$RFIX/leofs/leo_manager_0/etc/leo_manager.conf" "$L/leo_manager_0/etc/leo_manager.conf"
	done
}

@test "leofs-manager-recover: case 2 refuses a dump that is not a mnesia text dump (exit 3)" {
	printf 'OK\r\n' >"$L/manager_0.dump"
	case2
	assert_equal "$status" 3
	assert_err "leofs-manager-recover: $L/manager_0.dump:1: not a mnesia text dump (it must start with {tables,[)"
	[ -n "$(ls -A "$M0")" ]
}

@test "leofs-manager-recover: case 2 refuses a dump with records of an unlisted table (exit 3)" {
	echo "{leo_ring_cur,1,2}." >>"$L/manager_0.dump"
	case2
	assert_equal "$status" 3
	assert_err "$L/manager_0.dump:11: record of table leo_ring_cur, which the dump does not list"
}

@test "leofs-manager-recover: case 2 refuses two managers with one node name (exit 5)" {
	sed -i 's/^nodename = .*/nodename = manager_0@127.0.0.1/' "$L/leo_manager_1/etc/leo_manager.conf"
	case2
	assert_equal "$status" 5
	assert_equal "$(err_last)" "leofs-manager-recover: both managers are named manager_0@127.0.0.1: nodename must be unique; nothing was changed"
}

@test "leofs-manager-recover: case 1 with the broken node's mnesia directory gone entirely (exit 0)" {
	rm -rf "$M1"
	case1
	assert_success
	refute_line --partial "back up $M1 "
	assert_line " 1. back up $M0 (metasnap, verified)"
	diff -r "$M0" "$M1"
	assert_equal "$(ls "$M0.rescue/backup" | wc -l)" 1
}

@test "leofs-manager-recover: case 1 warns about a node configuration that does not name both managers (exit 0)" {
	sed -i 's/^managers = .*/managers = [manager_0@127.0.0.1]/' "$L/nodes/leo_gateway.conf"
	snapshot "$L/nodes/leo_storage.conf" "$L/nodes/leo_gateway.conf"
	case1 --node-conf "$L/nodes/leo_storage.conf" --node-conf "$L/nodes/leo_gateway.conf"
	assert_success
	assert_err "leofs-manager-recover: warning: $L/nodes/leo_gateway.conf: managers = [manager_0@127.0.0.1] does not name manager_1@127.0.0.1"
	refute_line --partial "leo_storage.conf: managers"
	assert_unchanged
}

@test "leofs-manager-recover: case 2 names the new pair in the node configurations, with their backups (exit 0)" {
	sed -i 's/^nodename = .*/nodename = manager_2@127.0.0.1/' "$L/leo_manager_1/etc/leo_manager.conf"
	case2 --node-conf "$L/nodes/leo_storage.conf" --node-conf "$L/nodes/leo_gateway.conf"
	assert_success
	assert_line " 6. name the new pair in the storage and gateway node configurations"
	assert_line "       (done here for: $L/nodes/leo_storage.conf $L/nodes/leo_gateway.conf); any other node the same way"
	for f in leo_storage.conf leo_gateway.conf; do
		run_tool confset "$L/nodes/$f" --get managers
		assert_output "[manager_0@127.0.0.1, manager_2@127.0.0.1]"
		cmp "$RFIX/leofs/nodes/$f" "$(ls "$L/nodes/$f".rescue-bak.*)"
	done
}

@test "leofs-manager-recover: a node configuration that does not exist is bad input (exit 3)" {
	case1 --node-conf "$L/nodes/nope.conf"
	assert_equal "$status" 3
	assert_equal "$(err_last)" "leofs-manager-recover: $L/nodes/nope.conf: no such node configuration file"
}
