#!/usr/bin/env bats
# blockvol-hash-backup: a 4 MiB image and its backup copy.  The "remote" side is
# this host: PREFIX `env` runs the backup side's commands locally, and the pipe
# mode goes through busybox nc on loopback to a waiting `blksync serve`.
load ../helpers
load recipes

setup_file() { recipes_setup_file; }
teardown() { recipes_teardown; }

setup() {
	B=$BATS_TEST_TMPDIR
	head -c 4194304 /dev/urandom >"$B/vol.img"
	W=$B/work
}

bv() { run_recipe blockvol-hash-backup "$@"; }
remote() { bv --yes --work "$W" "$B/vol.img" --remote env "$B/backup.img" "$@"; }
# change N blocks of the volume at block OFFSET
change() { dd if=/dev/urandom of="$B/vol.img" bs=4096 seek="$2" count="$1" conv=notrunc 2>/dev/null; }

@test "blockvol-hash-backup: --help prints the usage (exit 0)" {
	bv --help
	assert_success
	assert_line --index 0 "usage: blockvol-hash-backup [-y] [-b SIZE] [--hash NAME] [--work DIR] SOURCE (--remote PREFIX TARGET | -- CMD [ARGS...])"
	assert_equal "$stderr" ""
}

@test "blockvol-hash-backup: no backup side is a usage error (exit 2)" {
	bv "$B/vol.img"
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_equal "$stderr" "blockvol-hash-backup: no backup side: give --remote PREFIX TARGET or -- CMD (see 'blockvol-hash-backup --help')"
}

@test "blockvol-hash-backup: an unreadable source is bad input (exit 3)" {
	bv --work "$W" "$B/none.img" --remote env "$B/backup.img"
	assert_equal "$status" 3
	assert_equal "$output" ""
	assert_equal "$(err_last)" "blockvol-hash-backup: $B/none.img: cannot read it"
}

@test "blockvol-hash-backup: the dry run prints the numbered plan with exact commands, changes nothing (exit 0)" {
	bv --work "$W" "$B/vol.img" --remote env "$B/backup.img"
	assert_success
	assert_equal "$(norm <<<"$output")" "$(cat <<'EOF'
blockvol-hash-backup: plan (4 steps; dry run, nothing is changed: add --yes to act)
 1. read the block hashes of the backup /T/backup.img, if it exists
    $ mkdir -p /T/work
    $ rm -f /T/work/target.sig
    $ if env test -e /T/backup.img; then env rescue blksync sig -b 4K --hash=xxh3 /T/backup.img >/T/work/target.sig; else echo 'no base: a full backup follows'; fi
 2. list where /T/vol.img and the backup diverged
    $ test ! -s /T/work/target.sig || rescue blksync verify /T/vol.img /T/work/target.sig || test $? = 1
 3. send the differing blocks (hash backup), or a full backup when there is no base
    $ if test -s /T/work/target.sig; then rescue blksync push -b 4K --hash=xxh3 --resume /T/work/push.ckpt /T/vol.img -- env rescue blksync serve /T/backup.img; else rescue blksync full -b 4K /T/vol.img | env rescue blksync restore - /T/backup.img; fi
 4. check the backup block by block
    $ env rescue blksync sig -b 4K --hash=xxh3 /T/backup.img >/T/work/after.sig
    $ rescue blksync verify /T/vol.img /T/work/after.sig
EOF
)"
	[ ! -e "$W" ] && [ ! -e "$B/backup.img" ]
}

@test "blockvol-hash-backup: with no base a full backup, then a hash backup sends only the changed blocks (exit 0)" {
	snapshot "$B/vol.img"
	remote
	assert_success
	assert_err "no base: a full backup follows"
	assert_equal "$(err_last)" "blockvol-hash-backup: all 4 steps done"
	cmp "$B/vol.img" "$B/backup.img"
	assert_unchanged
	change 3 100
	change 1 900
	snapshot "$B/vol.img"
	remote
	assert_success
	assert_err "blockvol-hash-backup: the run recorded in $W/state finished every step: starting a new run"
	# the divergence, as ranges, then only those blocks on the wire
	assert_err_re "^blksync: $B/vol.img and $W/target.sig differ: 2 ranges"
	assert_err_re "^blksync: $B/vol.img: 4 of 1024 blocks changed"
	assert_err_re "^blksync: $B/vol.img and $W/after.sig are the same \\(1024 blocks\\), "
	cmp "$B/vol.img" "$B/backup.img"
	assert_unchanged
}

@test "blockvol-hash-backup: a backup changed behind our back is found and repaired (exit 0)" {
	cp "$B/vol.img" "$B/backup.img"
	dd if=/dev/zero of="$B/backup.img" bs=4096 seek=7 count=2 conv=notrunc 2>/dev/null
	remote
	assert_success
	# blksync verify lists the differing range: offset, length
	assert_err "$((7 * 4096)) 8192"
	cmp "$B/vol.img" "$B/backup.img"
}

@test "blockvol-hash-backup: killed after each step, a re-run resumes at the next one (exit 0)" {
	for n in 1 2 3; do
		cp "$B/vol.img" "$B/backup.img"
		change 2 $((n * 50))
		rm -rf "$W"
		RESCUE_RECIPE_STOP_AFTER=$n remote
		assert_equal "$status" 137
		grep -q "^done=$n$" "$W/state"
		remote
		assert_success
		grep -q "^ $n\. .*\[done\]" <<<"$output"
		! grep -q "step $n/4" <<<"$stderr"
		cmp "$B/vol.img" "$B/backup.img"
	done
}

@test "blockvol-hash-backup: a backup that cannot be read stops before anything is sent (exit 3)" {
	mkdir "$B/backup.img"
	remote
	assert_equal "$status" 3
	assert_equal "$(err_last)" "blockvol-hash-backup: step 1 failed (exit 3): if env test -e $B/backup.img; then env rescue blksync sig -b 4K --hash=xxh3 $B/backup.img >$W/target.sig; else echo 'no base: a full backup follows'; fi"
	grep -q '^done=0$' "$W/state"
}

@test "blockvol-hash-backup: through busybox nc to a waiting blksync serve (exit 0)" {
	cp "$B/vol.img" "$B/backup.img"
	change 5 10
	port=$((20000 + RANDOM % 20000))
	PATH="$BB_DIR:$PATH" timeout 60 "$BUSYBOX" nc -l -p "$port" -e rescue blksync serve "$B/backup.img" 3>&- &
	for _ in $(seq 50); do ss -ltn 2>/dev/null | grep -q ":$port " && break; sleep 0.1; done
	bv --yes --work "$W" "$B/vol.img" -- "$BUSYBOX" nc 127.0.0.1 "$port"
	assert_success
	assert_line " 1. hash backup of $B/vol.img through: $BUSYBOX nc 127.0.0.1 $port"
	assert_err_re "^blksync: $B/vol.img: 5 of 1024 blocks changed"
	wait
	cmp "$B/vol.img" "$B/backup.img"
}
