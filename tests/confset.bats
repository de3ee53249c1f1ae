#!/usr/bin/env bats
# confset: edit key = value files (mfsmaster.cfg, fe.conf, leo_manager.conf)
# keeping everything else byte for byte.  Fixtures: tests/fixtures/confset/.
load helpers

STAMP='[0-9]{8}T[0-9]{6}Z'

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
}

# fx NAME [AS]: copy a fixture into the test directory
fx() {
	cp "$FIXTURES/confset/$1" "${2:-$1}"
}

# assert_bytes FILE STRING: FILE holds exactly STRING (no newline added)
assert_bytes() {
	printf '%s' "$2" >.expected
	if ! cmp -s "$1" .expected; then
		diff -u .expected "$1" >&2 || true
		fail "$1 does not hold the expected bytes"
	fi
}

# the one backup file beside $1
backup_of() {
	local b
	b=$(ls "$1".rescue-bak.* 2>/dev/null)
	[ "$(printf '%s\n' "$b" | grep -c .)" = 1 ] || fail "expected one backup of $1, got: $b"
	printf '%s\n' "$b"
}

no_backup() {
	assert_equal "$(find . -name '*rescue-bak*' | wc -l)" 0
}

# error-path check: status, exact stderr, empty stdout, input unchanged, no temp file
assert_refused() {
	assert_equal "$status" "$1"
	assert_equal "$stderr" "$2"
	assert_output ""
	assert_unchanged
	assert_no_tmp
	no_backup
}

@test "confset: sets an existing key keeping spacing, comments and order, with a backup (exit 0)" {
	fx mfsmaster.cfg
	cp mfsmaster.cfg orig
	run_tool confset mfsmaster.cfg BACK_LOGS 40
	assert_success
	assert_output ""
	bak=$(backup_of mfsmaster.cfg)
	[[ $bak =~ ^mfsmaster\.cfg\.rescue-bak\.$STAMP$ ]]
	assert_equal "$stderr" "confset: backup $bak
confset: mfsmaster.cfg:16: BACK_LOGS changed from '30' to '40'"
	cmp "$bak" orig
	sed 's/^BACK_LOGS = 30$/BACK_LOGS = 40/' orig >expected
	cmp mfsmaster.cfg expected
	assert_no_tmp
}

@test "confset: adds the active line right after the commented default (exit 0)" {
	fx mfsmaster.cfg
	run_tool confset --no-backup mfsmaster.cfg DATA_PATH /srv/mfs
	assert_success
	assert_equal "$stderr" "confset: mfsmaster.cfg:13: DATA_PATH = /srv/mfs added after its commented default"
	run diff "$FIXTURES/confset/mfsmaster.cfg" mfsmaster.cfg
	assert_output "12a13
> DATA_PATH = /srv/mfs"
	no_backup
}

@test "confset: a key with neither line nor default goes at the end in the file's key=value style (exit 0)" {
	printf 'a=1\nb = 2\n# c\n' >x.cfg
	run_tool confset -q --no-backup x.cfg NEW_KEY 'v w'
	assert_success
	assert_equal "$stderr" ""
	assert_bytes x.cfg $'a=1\nb = 2\n# c\nNEW_KEY=v w\n'
}

@test "confset: StarRocks fe.conf: key=value and key = value lines, values starting with '-' (exit 0)" {
	fx fe.conf
	run_tool confset --no-backup fe.conf JAVA_OPTS '-Xmx16g -XX:+UseG1GC'
	assert_success
	run_tool confset --no-backup fe.conf priority_networks 10.2.0.0/16
	assert_success
	run_tool confset --no-backup fe.conf bdbje_reset_election_group true
	assert_success
	assert_equal "$stderr" "confset: fe.conf:16: bdbje_reset_election_group = true added at the end"
	run diff "$FIXTURES/confset/fe.conf" fe.conf
	assert_output '5c5
< JAVA_OPTS="-Dlog4j2.formatMsgNoLookups=true -Xmx8192m -XX:+UseG1GC"
---
> JAVA_OPTS=-Xmx16g -XX:+UseG1GC
15c15,16
< priority_networks = 10.1.0.0/16;192.168.0.0/24
---
> priority_networks = 10.2.0.0/16
> bdbje_reset_election_group = true'
	run_tool confset fe.conf --get meta_dir
	assert_success
	assert_output '${STARROCKS_HOME}/meta'
}

@test "confset: LeoFS leo_manager.conf dotted keys, double space before '=' kept (exit 0)" {
	fx leo_manager.conf
	run_tool confset --no-backup leo_manager.conf console.port.cui 10011
	assert_success
	run_tool confset --no-backup leo_manager.conf manager.partner manager_2@10.0.0.3
	assert_success
	run diff "$FIXTURES/confset/leo_manager.conf" leo_manager.conf
	assert_output '3c3
< manager.partner = manager_1@127.0.0.1
---
> manager.partner = manager_2@10.0.0.3
6c6
< console.port.cui  = 10010
---
> console.port.cui  = 10011'
	run_tool confset leo_manager.conf --get console.port
	assert_equal "$status" 1
	assert_equal "$stderr" "confset: leo_manager.conf: key 'console.port' is not set"
}

@test "confset: value already set: no write, no backup, says so (exit 0)" {
	fx mfsmaster.cfg
	snapshot mfsmaster.cfg
	run_tool confset mfsmaster.cfg BACK_LOGS 30
	assert_success
	assert_output ""
	assert_equal "$stderr" "confset: mfsmaster.cfg: BACK_LOGS is already '30'; not changed"
	assert_unchanged
	no_backup
	assert_no_tmp
}

@test "confset: backup keeps the original bytes, mode and owner, never replaces an older backup" {
	requires root
	fx mfsmaster.cfg
	chmod 640 mfsmaster.cfg
	chown 1234:5678 mfsmaster.cfg
	cp -p mfsmaster.cfg orig
	# occupy this second's and the next seconds' backup names
	now=$(date +%s)
	for s in 0 1 2 3; do
		n=mfsmaster.cfg.rescue-bak.$(date -u -d "@$((now + s))" +%Y%m%dT%H%M%SZ)
		echo "older backup $s" >"$n"
	done
	run_tool confset mfsmaster.cfg WORKING_USER root
	assert_success
	for s in 0 1 2 3; do
		n=mfsmaster.cfg.rescue-bak.$(date -u -d "@$((now + s))" +%Y%m%dT%H%M%SZ)
		assert_equal "$(cat "$n")" "older backup $s"
	done
	bak=$(sed -n 's/^confset: backup //p' <<<"$stderr")
	[[ $bak =~ ^mfsmaster\.cfg\.rescue-bak\.$STAMP(\.[0-9]+)?$ ]]
	cmp "$bak" orig
	assert_equal "$(stat -c '%a %u:%g' "$bak")" "640 1234:5678"
	assert_equal "$(stat -c '%a %u:%g' mfsmaster.cfg)" "640 1234:5678"
}

@test "confset: keeps the mode, owner and set-gid bit of the file it replaces, atomically (new inode)" {
	requires root
	fx mfsmaster.cfg
	chmod 2640 mfsmaster.cfg
	chown 1234:5678 mfsmaster.cfg
	ino=$(stat -c %i mfsmaster.cfg)
	run_tool confset --no-backup mfsmaster.cfg BACK_LOGS 10
	assert_success
	assert_equal "$(stat -c '%a %u:%g' mfsmaster.cfg)" "2640 1234:5678"
	[ "$(stat -c %i mfsmaster.cfg)" != "$ino" ]
}

@test "confset: CRLF endings are kept per line, and new lines follow their neighbours (exit 0)" {
	fx crlf.cfg
	run_tool confset --no-backup crlf.cfg WORKING_USER root
	assert_success
	run_tool confset --no-backup crlf.cfg DATA_PATH /srv
	assert_success
	run_tool confset --no-backup crlf.cfg BACK_LOGS 5
	assert_success
	assert_bytes crlf.cfg $'# written on Windows\r\nWORKING_USER = root\r\n\r\n# DATA_PATH = /var/lib/mfs\r\nDATA_PATH = /srv\r\nBACK_LOGS = 5\n'
	run_tool confset crlf.cfg --get WORKING_USER
	assert_output root
}

@test "confset: a missing final newline stays missing (set, add and unset the last line)" {
	fx no-final-newline.cfg f.cfg
	run_tool confset -q --no-backup f.cfg BACK_LOGS 7
	assert_success
	assert_bytes f.cfg $'# no newline at the end\nWORKING_USER = mfs\nBACK_LOGS = 7'
	run_tool confset -q --no-backup f.cfg NEW 1
	assert_success
	assert_bytes f.cfg $'# no newline at the end\nWORKING_USER = mfs\nBACK_LOGS = 7\nNEW = 1'
	run_tool confset -q --no-backup f.cfg --unset NEW
	assert_success
	assert_bytes f.cfg $'# no newline at the end\nWORKING_USER = mfs\nBACK_LOGS = 7'
}

@test "confset: a symlinked config: the file it points to is replaced, the link stays, backup beside the link" {
	mkdir real
	fx mfsmaster.cfg real/mfsmaster.cfg
	ln -s real/mfsmaster.cfg link.cfg
	run_tool confset link.cfg BACK_LOGS 1
	assert_success
	[ -L link.cfg ]
	assert_equal "$(readlink link.cfg)" real/mfsmaster.cfg
	run_tool confset real/mfsmaster.cfg --get BACK_LOGS
	assert_output 1
	bak=$(backup_of link.cfg)
	[ -f "$bak" ] && [ ! -L "$bak" ]
	cmp "$bak" "$FIXTURES/confset/mfsmaster.cfg"
	assert_no_tmp real
}

@test "confset: --get prints the value, -q keeps a missing key quiet (exit 0, 1)" {
	fx mfsmaster.cfg
	snapshot mfsmaster.cfg
	run_tool confset mfsmaster.cfg --get EXPORTS_FILENAME
	assert_success
	assert_output /etc/mfs/mfsexports.cfg
	run_tool confset --get WORKING_USER mfsmaster.cfg
	assert_equal "$status" 1
	assert_output ""
	assert_equal "$stderr" "confset: mfsmaster.cfg: key 'WORKING_USER' is not set"
	run_tool confset -q --get WORKING_USER mfsmaster.cfg
	assert_equal "$status" 1
	assert_equal "$stderr" ""
	assert_unchanged
}

@test "confset: --list prints every active KEY=VALUE in order (exit 0)" {
	fx leo_manager.conf
	run_tool confset leo_manager.conf --list
	assert_success
	assert_output "manager.partner=manager_1@127.0.0.1
console.port.cui=10010
console.port.json=10020
manager.mode=master
mnesia.dir=./work/mnesia/127.0.0.1
nodename=manager_0@127.0.0.1
distributed_cookie=401321b4"
}

@test "confset: --unset removes the active line and keeps the commented default (exit 0)" {
	fx mfsmaster.cfg
	run_tool confset --no-backup mfsmaster.cfg --unset BACK_LOGS
	assert_success
	assert_equal "$stderr" "confset: mfsmaster.cfg:16: BACK_LOGS removed (was '30')"
	run diff "$FIXTURES/confset/mfsmaster.cfg" mfsmaster.cfg
	assert_output "16d15
< BACK_LOGS = 30"
	snapshot mfsmaster.cfg
	run_tool confset mfsmaster.cfg --unset BACK_LOGS
	assert_success
	assert_equal "$stderr" "confset: mfsmaster.cfg: BACK_LOGS is not set; not changed"
	assert_unchanged
	no_backup
}

@test "confset: a key set twice is refused for set, --get and --unset (exit 5)" {
	fx dup-active-key.cfg
	snapshot dup-active-key.cfg
	msg="confset: dup-active-key.cfg:4: key 'WORKING_USER' set again (first at line 2); use --all"
	run_tool confset dup-active-key.cfg WORKING_USER mfs
	assert_refused 5 "$msg"
	run_tool confset dup-active-key.cfg --get WORKING_USER
	assert_refused 5 "$msg"
	run_tool confset dup-active-key.cfg --unset WORKING_USER
	assert_refused 5 "$msg"
	run_tool confset --dry-run dup-active-key.cfg WORKING_USER x
	assert_refused 5 "$msg"
}

@test "confset: --all gets, sets and unsets every active line of a key (exit 0)" {
	fx dup-active-key.cfg f.cfg
	run_tool confset --all f.cfg --get WORKING_USER
	assert_success
	assert_output "mfs
root"
	run_tool confset --all --no-backup f.cfg WORKING_USER mfs
	assert_success
	assert_equal "$stderr" "confset: f.cfg:4: WORKING_USER changed from 'root' to 'mfs'"
	assert_bytes f.cfg $'# set twice by two admins\nWORKING_USER = mfs\nDATA_PATH = /var/lib/mfs\nWORKING_USER = mfs\n'
	run_tool confset f.cfg --unset WORKING_USER --all --no-backup -q
	assert_success
	assert_bytes f.cfg $'# set twice by two admins\nDATA_PATH = /var/lib/mfs\n'
}

# dry_run_matches FILE ARGS...: the --dry-run diff applied by GNU patch to a
# copy gives exactly what the real run writes; the dry run changes nothing.
dry_run_matches() {
	local f=$1
	shift
	cp "$f" copy
	snapshot "$f"
	run_tool confset --dry-run "$f" "$@"
	assert_success
	assert_unchanged
	no_backup
	printf '%s\n' "$output" >diff.out
	patch -s --binary copy <diff.out
	run_tool confset -q --no-backup "$f" "$@"
	assert_success
	cmp copy "$f"
}

@test "confset: --dry-run prints a unified diff that patch applies to give the real result" {
	fx mfsmaster.cfg
	dry_run_matches mfsmaster.cfg BACK_LOGS 44
	dry_run_matches mfsmaster.cfg WORKING_USER nobody
	dry_run_matches mfsmaster.cfg --unset EXPORTS_FILENAME
	fx crlf.cfg
	dry_run_matches crlf.cfg WORKING_USER x
	dry_run_matches crlf.cfg DATA_PATH /d
	fx no-final-newline.cfg n.cfg
	dry_run_matches n.cfg BACK_LOGS 1
	dry_run_matches n.cfg ADDED 1
	dry_run_matches n.cfg --unset ADDED
	fx leo_manager.conf
	dry_run_matches leo_manager.conf manager.mode slave
}

@test "confset: --dry-run output is the same as GNU diff -u's hunks" {
	fx mfsmaster.cfg
	run_tool confset -n mfsmaster.cfg DATA_PATH /srv/mfs
	assert_success
	dry=$output
	assert_line --index 0 -- "--- mfsmaster.cfg"
	assert_line --index 1 -- "+++ mfsmaster.cfg"
	assert_line --index 2 -- "@@ -10,6 +10,7 @@"
	cp mfsmaster.cfg new
	"$RESCUE" confset -q --no-backup new DATA_PATH /srv/mfs
	run diff -u mfsmaster.cfg new
	assert_equal "$(sed 1,2d <<<"$dry")" "$(sed 1,2d <<<"$output")"
}

@test "confset: --dry-run when nothing changes prints nothing (exit 0)" {
	fx mfsmaster.cfg
	snapshot mfsmaster.cfg
	run_tool confset -n mfsmaster.cfg BACK_LOGS 30
	assert_success
	assert_output ""
	assert_unchanged
}

@test "confset: the packaged MooseFS 3.0.117 mfsmaster.cfg: one line added, and mfsmaster reads it" {
	requires moosefs
	sample=/usr/share/doc/moosefs-master/examples/mfsmaster.cfg
	[ -f "$sample" ] || fail "missing $sample (package moosefs-master)"
	cp "$sample" m.cfg
	run_tool confset --no-backup m.cfg DATA_PATH "$BATS_TEST_TMPDIR/no such dir"
	assert_success
	run diff "$sample" m.cfg
	assert_output --regexp "^[0-9]+a[0-9]+
> DATA_PATH = $BATS_TEST_TMPDIR/no such dir\$"
	# the real master takes its working directory from the line we wrote
	run timeout 20 mfsmaster -c m.cfg test
	assert_output --partial "can't set working directory to $BATS_TEST_TMPDIR/no such dir"
}

@test "confset: options may follow FILE; the word after KEY is always VALUE" {
	printf 'A = 1\n' >f.cfg
	run_tool confset f.cfg A -q --no-backup
	assert_success
	run_tool confset f.cfg --get A
	assert_output -- "-q"
	run_tool confset f.cfg --get=A
	assert_output -- "-q"
	run_tool confset f.cfg --list=x
	assert_equal "$status" 2
	assert_equal "$stderr" "confset: unknown option '--list=x' (see 'confset --help')"
	run_tool confset f.cfg -- B --dry-run
	assert_success
	run_tool confset f.cfg --list
	assert_output -- "A=-q
B=--dry-run"
}

@test "confset: a NUL byte is refused as binary (exit 3)" {
	fx nul-byte.cfg
	snapshot nul-byte.cfg
	run_tool confset nul-byte.cfg KEY x
	assert_refused 3 "confset: nul-byte.cfg:2: NUL byte (binary file?); refused"
	run_tool confset nul-byte.cfg --get KEY
	assert_refused 3 "confset: nul-byte.cfg:2: NUL byte (binary file?); refused"
}

@test "confset: a control byte is refused as binary (exit 3)" {
	fx control-byte.cfg
	snapshot control-byte.cfg
	run_tool confset control-byte.cfg KEY x
	assert_refused 3 "confset: control-byte.cfg:2: control byte 0x1b (binary file?); refused"
}

@test "confset: a CR not followed by LF is refused (exit 3)" {
	fx lone-cr.cfg
	snapshot lone-cr.cfg
	run_tool confset lone-cr.cfg --list
	assert_refused 3 "confset: lone-cr.cfg:2: control byte 0x0d (binary file?); refused"
}

@test "confset: a real binary (this program) is refused (exit 3)" {
	cp "$RESCUE" bin.cfg
	snapshot bin.cfg
	run_tool confset bin.cfg KEY x
	assert_equal "$status" 3
	assert_regex "$stderr" '^confset: bin\.cfg:1: (NUL|control) byte.* \(binary file\?\); refused$'
	assert_output ""
	assert_unchanged
	assert_no_tmp
}

@test "confset: a line over 65536 bytes is refused; exactly 65536 is accepted (exit 3, 0)" {
	{ echo "A = 1"; printf 'LONG = %65529s\n' x; } >ok.cfg
	run_tool confset -q --no-backup ok.cfg A 2
	assert_success
	{ echo "A = 1"; printf 'LONG = %65530s\r\n' x; } >long.cfg
	snapshot long.cfg
	run_tool confset long.cfg A 2
	assert_refused 3 "confset: long.cfg:2: line longer than 65536 bytes; refused"
}

@test "confset: a missing file is an I/O error (exit 4)" {
	run_tool confset nofile.cfg KEY x
	assert_equal "$status" 4
	assert_equal "$stderr" "confset: nofile.cfg: No such file or directory"
	assert_output ""
	[ ! -e nofile.cfg ]
	no_backup
}

@test "confset: a directory or a FIFO is not edited (exit 5), a directory is not read (exit 3)" {
	mkdir d
	mkfifo p
	run_tool confset d KEY x
	assert_equal "$status" 5
	assert_equal "$stderr" "confset: d: not a regular file; not edited"
	run_tool confset p KEY x
	assert_equal "$status" 5
	assert_equal "$stderr" "confset: p: not a regular file; not edited"
	run_tool confset d --list
	assert_equal "$status" 3
	assert_equal "$stderr" "confset: d: is a directory"
	assert_no_tmp
	no_backup
}

@test "confset: usage errors name the problem (exit 2)" {
	printf 'A = 1\n' >f.cfg
	snapshot f.cfg
	run_tool confset
	assert_refused 2 "confset: missing FILE (see 'confset --help')"
	run_tool confset f.cfg
	assert_refused 2 "confset: missing KEY (see 'confset --help')"
	run_tool confset f.cfg A
	assert_refused 2 "confset: missing VALUE (see 'confset --help')"
	run_tool confset f.cfg A 1 extra
	assert_refused 2 "confset: unexpected argument 'extra' (see 'confset --help')"
	run_tool confset f.cfg --get A B
	assert_refused 2 "confset: unexpected argument 'B' (see 'confset --help')"
	run_tool confset f.cfg 'A B' 1
	assert_refused 2 "confset: bad KEY 'A B' (see 'confset --help')"
	run_tool confset f.cfg '#A' 1
	assert_refused 2 "confset: bad KEY '#A' (see 'confset --help')"
	run_tool confset f.cfg --get 'A=B'
	assert_refused 2 "confset: bad KEY 'A=B' (see 'confset --help')"
	run_tool confset f.cfg A $'1\n2'
	assert_refused 2 "confset: bad VALUE '1
2' (no control bytes, line breaks or leading/trailing blanks) (see 'confset --help')"
	run_tool confset f.cfg A ' 1'
	assert_refused 2 "confset: bad VALUE ' 1' (no control bytes, line breaks or leading/trailing blanks) (see 'confset --help')"
	run_tool confset --get A --list f.cfg
	assert_refused 2 "confset: only one of --get, --unset, --list, --dump (see 'confset --help')"
	run_tool confset --bogus f.cfg A 1
	assert_refused 2 "confset: unknown option '--bogus' (see 'confset --help')"
	run_tool confset f.cfg --bogus
	assert_refused 2 "confset: unknown option '--bogus' (see 'confset --help')"
	run_tool confset f.cfg --get
	assert_refused 2 "confset: option '--get' needs a value (see 'confset --help')"
}

@test "confset: --help through the link prints the usage on stdout (exit 0)" {
	run_link confset --help
	assert_success
	assert_line --index 0 "usage: confset [OPTIONS] FILE KEY VALUE"
	assert_equal "$stderr" ""
	run_link confset f.cfg --help
	assert_success
	assert_line --index 0 "usage: confset [OPTIONS] FILE KEY VALUE"
}

# a config of about 40 MB so that a write takes long enough to be interrupted
big_config() {
	{
		echo "# big"
		echo "KEY = old"
		yes 'FILLER_KEY_WITH_A_LONG_NAME = some value that makes the file large enough' | head -n 500000
	} >big.cfg
	cp big.cfg big.old
	sed 's/^KEY = old$/KEY = new/' big.old >big.new
}

@test "confset: SIGKILL at random moments leaves the old or the new file, never a mix" {
	big_config
	for i in $(seq 1 12); do
		cp big.old big.cfg
		rm -f big.cfg.tmp.* big.cfg.rescue-bak.*
		# 0 to 0.69 s: the whole run takes about 0.5 s (read, backup, write)
		delay=0.$((RANDOM % 7))$((RANDOM % 10))
		[ "$i" -le 4 ] && delay=0.0$((RANDOM % 10))$((RANDOM % 10))
		timeout -s KILL "$delay" "$RESCUE" confset -q big.cfg KEY new || true
		cmp -s big.cfg big.old || cmp -s big.cfg big.new || fail "partial file after SIGKILL at $delay s"
		for b in big.cfg.rescue-bak.*; do
			# a temp file left by SIGKILL is allowed; a finished backup is whole
			case $b in *.tmp.*) continue ;; esac
			[ -e "$b" ] || continue
			cmp -s "$b" big.old || fail "partial backup $b after SIGKILL at $delay s"
		done
	done
}

@test "confset: SIGTERM and SIGINT at random moments leave no temporary file" {
	big_config
	for sig in TERM INT; do
		for i in $(seq 1 6); do
			cp big.old big.cfg
			rm -f big.cfg.rescue-bak.*
			delay=0.$((RANDOM % 3))$((RANDOM % 10))
			timeout -s "$sig" "$delay" "$RESCUE" confset -q big.cfg KEY new || true
			cmp -s big.cfg big.old || cmp -s big.cfg big.new || fail "partial file after SIG$sig"
			assert_no_tmp
		done
	done
}

# inject ERR SYSCALL[:when=N] ARGS...: run confset under strace with a failing syscall
inject() {
	local fault=$1
	shift
	run --separate-stderr strace -f -o /dev/null -e inject="$fault" "$RESCUE" confset "$@"
}

@test "confset: fsync failing with EIO on the new file: target intact, no temp file (exit 4)" {
	requires strace
	fx mfsmaster.cfg
	snapshot mfsmaster.cfg
	inject fsync:error=EIO --no-backup mfsmaster.cfg BACK_LOGS 1
	assert_refused 4 "confset: mfsmaster.cfg: fsync: I/O error"
	# a failed run lets go of its lock and removes the lock file too
	[ ! -e .mfsmaster.cfg.lock ]
}

@test "confset: fsync failing with EIO on the backup: nothing changed, no backup left (exit 4)" {
	requires strace
	fx mfsmaster.cfg
	snapshot mfsmaster.cfg
	inject fsync:error=EIO mfsmaster.cfg BACK_LOGS 1
	assert_equal "$status" 4
	assert_regex "$stderr" "^confset: mfsmaster\.cfg\.rescue-bak\.$STAMP: fsync: I/O error$"
	assert_refused 4 "$stderr"
}

@test "confset: fsync failing on the second file: the backup is complete, the target intact (exit 4)" {
	requires strace
	fx mfsmaster.cfg
	snapshot mfsmaster.cfg
	# fsyncs: backup file, its directory, then the new file
	inject fsync:error=EIO:when=3 mfsmaster.cfg BACK_LOGS 1
	assert_equal "$status" 4
	assert_equal "$(sed -n 2p <<<"$stderr")" "confset: mfsmaster.cfg: fsync: I/O error"
	assert_unchanged
	assert_no_tmp
	cmp "$(backup_of mfsmaster.cfg)" "$FIXTURES/confset/mfsmaster.cfg"
}

@test "confset: write failing with ENOSPC: target intact, no temp file (exit 4)" {
	requires strace
	fx mfsmaster.cfg
	snapshot mfsmaster.cfg
	inject write:error=ENOSPC:when=1 --no-backup mfsmaster.cfg BACK_LOGS 1
	assert_refused 4 "confset: mfsmaster.cfg: write: No space left on device"
}

@test "confset: rename failing with EXDEV: target intact, no temp file (exit 4)" {
	requires strace
	fx mfsmaster.cfg
	snapshot mfsmaster.cfg
	inject rename,renameat,renameat2:error=EXDEV --no-backup mfsmaster.cfg BACK_LOGS 1
	assert_refused 4 "confset: mfsmaster.cfg: rename: Cross-device link"
}

@test "confset: a file changed by someone else while confset works is not written (exit 5)" {
	requires strace
	fx mfsmaster.cfg
	cp mfsmaster.cfg expected
	echo "# added by another admin" >>expected
	# every read(2) is held for 0.4 s; the other writer appends meanwhile
	(sleep 0.3 && echo "# added by another admin" >>mfsmaster.cfg) &
	run --separate-stderr strace -f -o /dev/null -e inject=read:delay_exit=400000 \
		"$RESCUE" confset --no-backup mfsmaster.cfg BACK_LOGS 1
	wait
	assert_equal "$status" 5
	assert_equal "$stderr" "confset: mfsmaster.cfg: changed while being edited; not written"
	assert_output ""
	cmp mfsmaster.cfg expected
	assert_no_tmp
}

@test "confset: a file over 64 MiB is refused (exit 3)" {
	truncate -s 65M big.cfg
	snapshot big.cfg
	run_tool confset big.cfg KEY x
	assert_refused 3 "confset: big.cfg: larger than 67108864 bytes"
}

@test "confset: replacing a file with other hard links says the other names keep the old content" {
	fx mfsmaster.cfg
	ln mfsmaster.cfg other.cfg
	run_tool confset -q --no-backup mfsmaster.cfg BACK_LOGS 2
	assert_success
	assert_equal "$stderr" "confset: mfsmaster.cfg: had 2 hard links; the other names keep the old content"
	cmp other.cfg "$FIXTURES/confset/mfsmaster.cfg"
	run_tool confset mfsmaster.cfg --get BACK_LOGS
	assert_output 2
}

# ---- locking: concurrent runs, a held lock, planted lock files ---------------

# hold_lock LOCKFILE: hold an flock(1) lock on LOCKFILE; sets $holder to the
# pid that owns the lock (flock itself: -o keeps the lock from its child, so
# killing $holder releases it) and $holder_child to that child (sleep 60).
hold_lock() {
	flock -o -x "$1" sleep 60 &
	holder=$!
	# wait (at most 5 s) until the lock is really held
	for _ in $(seq 1 50); do
		if ! flock -n -x "$1" true; then
			holder_child=$(cat "/proc/$holder/task/$holder/children")
			return 0
		fi
		sleep 0.1
	done
	fail "flock did not take $1"
}

teardown() {
	local p
	for p in ${holder:-} ${holder_child:-}; do
		kill -KILL "$p" 2>/dev/null || :
	done
}

@test "confset: 30 runs at once, each setting its own key: every change exited 0 is in the file" {
	printf '# parallel\nA = 1\n' >p.cfg
	for i in $(seq 1 30); do
		( "$RESCUE" confset -q --no-backup p.cfg "K$i" "v$i"; echo $? >"rc.$i" ) &
	done
	wait
	for i in $(seq 1 30); do
		rc=$(cat "rc.$i")
		case $rc in
		0) grep -qx "K$i = v$i" p.cfg || fail "run $i exited 0 but K$i is not in the file" ;;
		5) ;;
		*) fail "run $i exited $rc" ;;
		esac
	done
	# with the default wait of 10 s no run had to give up
	assert_equal "$(grep -c '^K[0-9]* = v[0-9]*$' p.cfg)" 30
	assert_equal "$(grep -c . p.cfg)" 32
	assert_no_tmp
	[ ! -e .p.cfg.lock ]
}

@test "confset: a held lock makes a run wait 10 s, then give up naming the holder (exit 5); after SIGKILL of the holder the next run works" {
	printf 'A = 1\n' >f.cfg
	snapshot f.cfg
	hold_lock .f.cfg.lock
	start=$(date +%s)
	run_tool confset f.cfg A 2
	took=$(($(date +%s) - start))
	assert_refused 5 "confset: f.cfg: locked by pid $holder (flock) through ./.f.cfg.lock; not changed after waiting 10 s (see --wait)"
	[ "$took" -ge 9 ] && [ "$took" -le 20 ] || fail "waited $took s, not about 10"
	kill -KILL "$holder"
	wait "$holder" 2>/dev/null || :
	holder=""
	run_tool confset -q --no-backup f.cfg A 2
	assert_success
	assert_bytes f.cfg $'A = 2\n'
	# the run removed the lock file that the killed holder left
	[ ! -e .f.cfg.lock ]
}

@test "confset: --wait SECONDS sets the lock wait; 0 tries once; bad values are usage errors (exit 5, 2)" {
	printf 'A = 1\n' >f.cfg
	snapshot f.cfg
	hold_lock .f.cfg.lock
	start=$(date +%s)
	run_tool confset --wait 0 f.cfg A 2
	assert_refused 5 "confset: f.cfg: locked by pid $holder (flock) through ./.f.cfg.lock; not changed after waiting 0 s (see --wait)"
	run_tool confset f.cfg --wait=2 A 2
	assert_refused 5 "confset: f.cfg: locked by pid $holder (flock) through ./.f.cfg.lock; not changed after waiting 2 s (see --wait)"
	[ $(($(date +%s) - start)) -le 6 ] || fail "--wait 0 and --wait 2 took too long"
	run_tool confset --wait x f.cfg A 2
	assert_refused 2 "confset: bad --wait 'x' (see 'confset --help')"
	run_tool confset --wait 100000 f.cfg A 2
	assert_refused 2 "confset: bad --wait '100000' (see 'confset --help')"
	# reading takes no lock
	run_tool confset f.cfg --get A
	assert_success
	assert_output 1
}

@test "confset: a lock file planted as a symlink, a hard link or a FIFO is refused, nothing written through it (exit 5)" {
	printf 'A = 1\n' >f.cfg
	printf 'precious\n' >victim
	snapshot f.cfg victim
	ln -s victim .f.cfg.lock
	run_tool confset f.cfg A 2
	assert_refused 5 "confset: ./.f.cfg.lock: lock file is a symbolic link; refused"
	rm .f.cfg.lock
	ln victim .f.cfg.lock
	run_tool confset f.cfg A 2
	assert_refused 5 "confset: ./.f.cfg.lock: lock file has 2 hard links; refused"
	rm .f.cfg.lock
	mkfifo .f.cfg.lock
	run timeout 10 "$RESCUE" confset f.cfg A 2
	assert_equal "$status" 5
	assert_unchanged
}

@test "confset: a symlinked config is locked beside the file it points to (exit 5 while held there)" {
	mkdir real
	printf 'A = 1\n' >real/f.cfg
	ln -s real/f.cfg link.cfg
	snapshot real/f.cfg
	hold_lock real/.f.cfg.lock
	run_tool confset --wait 0 link.cfg A 2
	assert_equal "$status" 5
	assert_equal "$stderr" "confset: link.cfg: locked by pid $holder (flock) through $(realpath real)/.f.cfg.lock; not changed after waiting 0 s (see --wait)"
	assert_unchanged
	[ ! -e .link.cfg.lock ]
}

@test "confset: --get and --list on a FIFO return at once without reading it (exit 5)" {
	mkfifo p
	run timeout 5 "$RESCUE" confset p --get A
	assert_equal "$status" 5
	assert_equal "$output" "confset: p: not a regular file; not read"
	run timeout 5 "$RESCUE" confset p --list
	assert_equal "$status" 5
	ln -s p plink
	run timeout 5 "$RESCUE" confset plink --list
	assert_equal "$status" 5
	assert_equal "$output" "confset: plink: not a regular file; not read"
}

@test "confset: an over-long VALUE or KEY is refused naming the limit, not echoed (exit 2)" {
	printf 'A = 1\n' >f.cfg
	snapshot f.cfg
	long=$(head -c 40000 /dev/zero | tr '\0' x)
	run_tool confset f.cfg A "$long"
	assert_refused 2 "confset: VALUE is 40000 bytes; the limit is 32768 (see 'confset --help')"
	run_tool confset -q --no-backup f.cfg A "${long:0:32768}"
	assert_success
	assert_equal "$(wc -c <f.cfg)" $((4 + 32768 + 1))
	snapshot f.cfg
	run_tool confset f.cfg "${long:0:300}" 1
	assert_refused 2 "confset: KEY is 300 bytes; the limit is 256 (see 'confset --help')"
	run_tool confset f.cfg --get "${long:0:300}"
	assert_equal "$status" 2
	assert_equal "$stderr" "confset: KEY is 300 bytes; the limit is 256 (see 'confset --help')"
	# a bad value is shown cut to 64 bytes
	run_tool confset f.cfg A "${long:0:100}"$'\n'
	assert_equal "$status" 2
	assert_equal "$stderr" "confset: bad VALUE '${long:0:64}...' (no control bytes, line breaks or leading/trailing blanks) (see 'confset --help')"
}

# ---- --profile: the image profile syntax (config/*.conf), as build-rootfs reads it ----

# a profile with every feature of the syntax: inline comments, continued
# values (ended by a comment line), tabs, CRLF, an
# empty value, a '\' inside a value, a continued last line
profile_fixture() {
	printf '%s\n' \
		'# a profile' \
		'tools = all   # every tool' \
		'applets = sh \' \
		'	ls   cat \   # the second line' \
		'  # a comment line inside the value' \
		'other = not part of the value: the comment line ended it' \
		'files =' \
		$'net\t=\tdhcp\r' \
		'modules = a\b \' \
		'  c=d \' >p.conf
	printf 'x = y' >>p.conf
}

@test "confset: --profile --dump prints LINE<tab>KEY<tab>WORDS: continued values, inline comments, blanks (exit 0)" {
	profile_fixture
	snapshot p.conf
	run_tool confset --profile --dump p.conf
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(printf '%s\t%s\t%s\n' 2 tools all 3 applets 'sh ls cat' 6 other 'not part of the value: the comment line ended it' \
		7 files '' 8 net dhcp 9 modules 'a\b c=d x = y')"
	# without --profile the same file is read as confset always did: one
	# line per entry, the value as it is ('#' and '\' included)
	run_tool confset p.conf --dump
	assert_success
	assert_output "$(printf '%s\t%s\t%s\n' 2 tools 'all   # every tool' 3 applets 'sh \' 6 other 'not part of the value: the comment line ended it' \
		7 files '' 8 net dhcp 9 modules 'a\b \' 10 c 'd \' 11 x y)"
	assert_unchanged
}

@test "confset: --profile --get KEY prints its words; --list KEY=WORDS; a key not set is exit 1" {
	profile_fixture
	run_tool confset --profile p.conf --get applets
	assert_success
	assert_output 'sh ls cat'
	run_tool confset --profile p.conf --get files
	assert_success
	assert_output ''
	run_tool confset --profile --list p.conf
	assert_success
	assert_line 'modules=a\b c=d x = y'
	run_tool confset --profile p.conf --get console
	assert_equal "$status" 1
	assert_output ''
	assert_equal "$stderr" "confset: p.conf: key 'console' is not set"
}

@test "confset: --profile refuses a key set twice, naming both lines (exit 3)" {
	printf '%s\n' 'load = all' 'net = none \' '  load = x' 'tools = all' '# load = y' 'load = needed' >p.conf
	snapshot p.conf
	run_tool confset --profile --dump p.conf
	assert_equal "$status" 3
	assert_output ''
	assert_equal "$stderr" "confset: p.conf:6: key 'load' set again (first at line 1)"
	# the first repeat in the file is the one named
	printf '%s\n' 'b = 1' 'a = 1' 'a = 2' 'b = 2' >q.conf
	run_tool confset --profile q.conf --get b
	assert_equal "$status" 3
	assert_equal "$stderr" "confset: q.conf:3: key 'a' set again (first at line 2)"
	assert_unchanged
}

@test "confset: --profile refuses a line that is not KEY = VALUE, naming it (exit 3)" {
	for bad in 'tools all' '= all' 'tools \' ; do
		printf '# x\nload = all\n%s\n' "$bad" >p.conf
		run_tool confset --profile --dump p.conf
		assert_equal "$status" 3
		assert_output ''
		assert_equal "$stderr" "confset: p.conf:3: not KEY = VALUE"
	done
	# ... the same file without --profile is fine
	run_tool confset --dump p.conf
	assert_success
	# a NUL byte is refused as in any file
	printf 'load = a\0b\n' >n.conf
	run_tool confset --profile --dump n.conf
	assert_equal "$status" 3
	assert_equal "$stderr" "confset: n.conf:1: NUL byte (binary file?); refused"
}

@test "confset: --profile on a missing file (exit 4); with an edit, a usage error that leaves the file alone (exit 2)" {
	run_tool confset --profile --dump nosuch.conf
	assert_equal "$status" 4
	assert_output ''
	assert_equal "$stderr" "confset: nosuch.conf: No such file or directory"
	printf 'load = all\n' >p.conf
	snapshot p.conf
	run_tool confset --profile p.conf load needed
	assert_refused 2 "confset: --profile only reads (--get, --list, --dump) (see 'confset --help')"
	run_tool confset p.conf --unset load --profile
	assert_refused 2 "confset: --profile only reads (--get, --list, --dump) (see 'confset --help')"
	run_tool confset p.conf --dump --list
	assert_refused 2 "confset: only one of --get, --unset, --list, --dump (see 'confset --help')"
}
