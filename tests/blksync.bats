#!/usr/bin/env bats
# blksync: hash backup and full backup of images and block devices (issue 5).
# Images are a few MiB of random data made at test time; the oracle is cmp.
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	B=blksync
}

# mkimg FILE BYTES: random content
mkimg() {
	head -c "$2" /dev/urandom >"$1"
}

# sync_files SOURCE TARGET [OPTIONS]: sig, diff, patch through files; the
# target must end up equal to the source, which must not change.
sync_files() {
	local src=$1 dst=$2
	shift 2
	snapshot "$src"
	run_tool $B sig "$@" "$dst"
	assert_success
	printf '%s' "$output" >/dev/null
	"$RESCUE" $B sig -q "$@" "$dst" >sigs
	run_tool $B diff -q "$src" sigs
	assert_success
	"$RESCUE" $B diff -q "$src" sigs >delta
	run_tool $B patch "$dst" delta
	assert_success
	assert_output ""
	cmp "$src" "$dst"
	assert_unchanged
}

@test "blksync: --help shows the usage on stdout (exit 0)" {
	run_tool $B --help
	assert_success
	assert_line --index 0 "usage: blksync sig|diff|patch|full|restore|verify|serve|push [OPTIONS] ARGS..."
	assert_output --partial "must not change during a sync"
}

@test "blksync: no command is a usage error (exit 2)" {
	run_tool $B
	assert_equal "$status" 2
	assert_equal "$stderr" "blksync: missing command (see 'blksync --help')"
	assert_output ""
}

@test "blksync: unknown command and bad block size are usage errors (exit 2)" {
	run_tool $B frob x
	assert_equal "$status" 2
	assert_equal "$stderr" "blksync: unknown command 'frob' (see 'blksync --help')"
	run_tool $B sig -b 3K x
	assert_equal "$status" 2
	assert_equal "$stderr" "blksync: bad --block '3K' (a power of two from 4K to 1M) (see 'blksync --help')"
	run_tool $B sig -b 2M x
	assert_equal "$status" 2
	run_tool $B push a.img
	assert_equal "$status" 2
	assert_equal "$stderr" "blksync: push: expected SOURCE -- CMD [ARGS...] (see 'blksync --help')"
}

@test "blksync: nothing changed gives a delta with no data, patch keeps the target (exit 0)" {
	mkimg src.img 3000000
	cp src.img dst.img
	"$RESCUE" $B sig -q dst.img >sigs
	"$RESCUE" $B diff -q src.img sigs >delta
	# header + end record only (no DATA/ZERO records)
	[ "$(stat -c %s delta)" -le $((128 + 24 + 96 + 24)) ]
	sync_files src.img dst.img
	run_tool $B verify src.img dst.img
	assert_success
	assert_output ""
}

@test "blksync: one changed block is sent alone and patched (exit 0)" {
	mkimg src.img 4194304
	cp src.img dst.img
	scribble src.img 517
	"$RESCUE" $B sig -q dst.img >sigs
	"$RESCUE" $B diff -q src.img sigs >delta
	size=$(stat -c %s delta)
	[ "$size" -lt 8192 ]
	sync_files src.img dst.img
}

@test "blksync: every block changed, with and without compression (exit 0)" {
	mkimg src.img 2000000
	mkimg dst.img 2000000
	sync_files src.img dst.img
	mkimg dst.img 2000000
	"$RESCUE" $B sig -q dst.img >sigs
	run_tool $B diff -z 0 --json src.img sigs
	assert_success
	"$RESCUE" $B diff -q -z 0 src.img sigs >delta
	run_tool $B patch --json dst.img delta
	assert_success
	assert_output --regexp '^\{"command":"patch",.*"status":0\}$'
	cmp src.img dst.img
}

@test "blksync: compressible data is deflated and round-trips (exit 0)" {
	yes "rescue blksync compressible line" | head -c 3000000 >src.img
	mkimg dst.img 3000000
	"$RESCUE" $B sig -q dst.img >sigs
	"$RESCUE" $B diff -q src.img sigs >delta
	[ "$(stat -c %s delta)" -lt 300000 ]
	sync_files src.img dst.img
}

@test "blksync: grown and shrunk images, sizes not a multiple of the block (exit 0)" {
	mkimg base.img 1000003
	cp base.img dst.img
	cat base.img >src.img
	head -c 777777 /dev/urandom >>src.img
	sync_files src.img dst.img
	head -c 123457 base.img >src.img
	sync_files src.img dst.img
	mkimg src.img 65537
	sync_files src.img dst.img -b 64K
	: >src.img
	sync_files src.img dst.img
	assert_equal "$(stat -c %s dst.img)" 0
}

@test "blksync: all-zero regions travel as ZERO records and leave holes (exit 0)" {
	mkimg src.img 4194304
	mkimg dst.img 4194304
	dd if=/dev/zero of=src.img bs=1M seek=1 count=2 conv=notrunc status=none
	"$RESCUE" $B sig -q dst.img >sigs
	"$RESCUE" $B diff -q -z 0 src.img sigs >delta
	# 2 MiB of data, the 2 MiB of zeros cost one record
	size=$(stat -c %s delta)
	[ "$size" -lt $((2 * 1048576 + 4096)) ]
	sync_files src.img dst.img
	"$RESCUE" $B full -q src.img >img
	run_tool $B restore img out.img
	assert_success
	cmp src.img out.img
	[ "$(du -k out.img | cut -f1)" -lt 3000 ]
}

@test "blksync: sha256 signatures and 1 MiB blocks round-trip (exit 0)" {
	mkimg src.img 3145728
	cp src.img dst.img
	scribble src.img 3 700
	sync_files src.img dst.img --hash=sha256
	scribble src.img 100
	sync_files src.img dst.img -b 1M
	scribble src.img 200
	sync_files src.img dst.img --direct
}

@test "blksync: full and restore make the image; restore will not replace a file without -f (exit 5)" {
	mkimg src.img 2500000
	snapshot src.img
	run --separate-stderr sh -c '"$RESCUE" blksync full -q src.img >img'
	assert_success
	run_tool $B restore -q img out.img
	assert_success
	cmp src.img out.img
	mkimg other.img 1000
	cp other.img keep.img
	run_tool $B restore img keep.img
	assert_equal "$status" 5
	assert_output ""
	cmp other.img keep.img
	assert_no_tmp .
	run_tool $B restore -q -f img keep.img
	assert_success
	cmp src.img keep.img
	run_tool $B restore -q - piped.img <img
	assert_success
	cmp src.img piped.img
	assert_unchanged
}

@test "blksync: restore refuses a delta that is not a full image (exit 3)" {
	mkimg src.img 100000
	mkimg dst.img 100000
	"$RESCUE" $B sig -q dst.img >sigs
	"$RESCUE" $B diff -q src.img sigs >delta
	run_tool $B restore delta out.img
	assert_equal "$status" 3
	assert_equal "$stderr" "blksync: delta@0: a delta, not a full image (use 'blksync patch')"
	[ ! -e out.img ]
	assert_no_tmp .
}

@test "blksync: verify lists differing ranges against an image or SIGS (exit 1)" {
	mkimg a.img 1048576
	cp a.img b.img
	scribble b.img 2 3 10
	run_tool $B verify a.img b.img
	assert_equal "$status" 1
	assert_output "$(printf '8192 8192\n40960 4096')"
	assert_equal "$stderr" "blksync: a.img and b.img differ: 2 ranges, 12288 bytes"
	"$RESCUE" $B sig -q b.img >b.sigs
	run_tool $B verify a.img b.sigs
	assert_equal "$status" 1
	assert_output "$(printf '8192 8192\n40960 4096')"
	run_tool $B verify -q b.img b.sigs
	assert_success
	assert_output ""
	head -c 1000000 a.img >c.img
	run_tool $B verify a.img c.img
	assert_equal "$status" 1
	assert_output "1000000 48576"
}

@test "blksync: push and serve over a pipe pair, pipelined (exit 0)" {
	mkimg src.img 6000000
	cp src.img dst.img
	scribble src.img 0 1 2 700 1400
	snapshot src.img
	run_tool $B push --json src.img -- "$RESCUE" blksync serve dst.img
	assert_success
	assert_output --regexp '^\{"command":"push","blocks_compared":1465,"blocks_sent":5,"bytes_on_wire":[0-9]+,"bytes_changed":20480,"seconds":[0-9.]+,"status":0\}$'
	cmp src.img dst.img
	assert_unchanged
	# grow, then shrink, through the same pipe
	head -c 300001 /dev/urandom >>src.img
	run_tool $B push -q src.img -- "$RESCUE" blksync serve dst.img
	assert_success
	cmp src.img dst.img
	head -c 4097 src.img >small.img
	run_tool $B push -q --hash=sha256 -b 8K small.img -- "$RESCUE" blksync serve dst.img
	assert_success
	cmp small.img dst.img
	# one hash per block instead of group hashes, 1 MiB blocks
	run_tool $B push -q --flat src.img -- "$RESCUE" blksync serve dst.img
	assert_success
	cmp src.img dst.img
	scribble src.img 3
	run_tool $B push -q -b 1M src.img -- "$RESCUE" blksync serve dst.img
	assert_success
	cmp src.img dst.img
}

@test "blksync: push over busybox nc on 127.0.0.1 (exit 0)" {
	command -v busybox >/dev/null || skip "needs busybox"
	mkimg src.img 3000000
	mkimg dst.img 2000000
	port=$((20000 + RANDOM % 20000))
	timeout 60 busybox nc -l -p "$port" -e "$RESCUE" blksync serve dst.img 2>serve.err &
	pid=$!
	for _ in $(seq 50); do
		grep -q ":$(printf %04X "$port") " /proc/net/tcp && break
		sleep 0.1
	done
	run timeout 60 "$RESCUE" blksync push -q src.img -- busybox nc 127.0.0.1 "$port"
	wait "$pid" || true
	assert_success
	cmp src.img dst.img
}

@test "blksync: a push cut off mid-stream fails; running it again converges (exit 3)" {
	mkimg src.img 5000000
	mkimg dst.img 5000000
	# the link drops after at most 2 MB (dd copies what each read returns)
	run_tool $B push -q -z 0 src.img -- sh -c 'dd bs=64k count=30 status=none | "$RESCUE" blksync serve dst.img'
	[ "$status" -ne 0 ]
	run_tool $B verify -q src.img dst.img
	assert_equal "$status" 1
	run_tool $B push -q src.img -- "$RESCUE" blksync serve dst.img
	assert_success
	cmp src.img dst.img
}

@test "blksync: push reports a serve that cannot open its target (exit 4)" {
	mkimg src.img 10000
	run_tool $B push src.img -- "$RESCUE" blksync serve nosuch.img
	assert_equal "$status" 4
	assert_equal "${stderr##*$'\n'}" "blksync: rescue: blksync: nosuch.img: No such file or directory"
}

@test "blksync: a loop device as the target of push and restore; too small is refused (exit 5)" {
	requires loop
	truncate -s 8M back.img
	dev=$(losetup -f --show back.img)
	mkimg src.img 8388608
	run_tool $B push -q src.img -- "$RESCUE" blksync serve "$dev"
	status_push=$status
	cmp src.img "$dev"; same=$?
	scribble src.img 5 1000
	run_tool $B push -q src.img -- "$RESCUE" blksync serve "$dev"
	status_push2=$status
	cmp src.img "$dev"; same2=$?
	# zeros in the image must reach a device full of random bytes
	dd if=/dev/zero of=src.img bs=1M seek=2 count=2 conv=notrunc status=none
	"$RESCUE" $B full -q src.img >img
	head -c 8388608 /dev/urandom >"$dev"
	run_tool $B restore -q img "$dev"
	status_restore=$status
	cmp src.img "$dev"; same3=$?
	mkimg big.img 9000000
	"$RESCUE" $B full -q big.img >big
	run_tool $B restore big "$dev"
	status_big=$status
	stderr_big=$stderr
	run_tool $B push -q big.img -- "$RESCUE" blksync serve "$dev"
	status_pbig=$status
	stderr_pbig=${stderr##*$'\n'}
	losetup -d "$dev"
	assert_equal "$status_push $same $status_push2 $same2 $status_restore $same3" "0 0 0 0 0 0"
	assert_equal "$status_big" 5
	assert_equal "$stderr_big" "blksync: $dev: too small: the device has 8388608 bytes, the result needs 9000000"
	assert_equal "$status_pbig" 5
	assert_equal "$stderr_pbig" "blksync: rescue: blksync: $dev: too small: the device has 8388608 bytes, the result needs 9000000"
}

@test "blksync: a truncated delta file is refused before writing; the full one then applies (exit 3)" {
	mkimg src.img 3000000
	mkimg dst.img 3000000
	"$RESCUE" $B sig -q dst.img >sigs
	"$RESCUE" $B diff -q -z 0 src.img sigs >delta
	head -c 3000 delta >cut
	snapshot dst.img
	run_tool $B patch dst.img cut
	assert_equal "$status" 3
	assert_equal "$stderr" "blksync: cut@3000: cut short in record data (2848 of 1048576 bytes)"
	assert_output ""
	assert_unchanged
	head -c $(($(stat -c %s delta) - 100)) delta >cut
	run_tool $B patch dst.img cut
	assert_equal "$status" 3
	assert_unchanged
	run_tool $B patch dst.img delta
	assert_success
	cmp src.img dst.img
}

@test "blksync: a delta cut short in a pipe is detected; running the sync again converges (exit 3)" {
	mkimg src.img 3000000
	mkimg dst.img 3000000
	"$RESCUE" $B sig -q dst.img >sigs
	"$RESCUE" $B diff -q -z 0 src.img sigs >delta
	run --separate-stderr sh -c 'head -c 2000000 delta | "$RESCUE" blksync patch dst.img'
	assert_equal "$status" 3
	assert_equal "$stderr" "blksync: stdin@2000000: cut short in record data (951248 of 1048576 bytes)"
	# the first MiB was written; the same delta, run again, completes it
	run_tool $B patch dst.img delta
	assert_success
	assert_equal "${stderr%%$'\n'*}" "blksync: dst.img: partly patched already (an interrupted run?); completing it"
	cmp src.img dst.img
	# and a new sync converges too
	scribble src.img 7
	sync_files src.img dst.img
}

@test "blksync: one flipped byte in a record is detected, the target is unchanged (exit 3)" {
	mkimg src.img 100000
	cp src.img dst.img
	scribble src.img 1
	"$RESCUE" $B sig -q dst.img >sigs
	"$RESCUE" $B diff -q src.img sigs >delta
	snapshot dst.img
	cp delta bad
	poke bad 1000
	run_tool $B patch dst.img bad
	assert_equal "$status" 3
	assert_equal "$stderr" "blksync: bad@128: DATA record for 4096+4096: checksum mismatch"
	assert_unchanged
	cp delta bad
	# the record's offset 4096 -> 0: still aligned, caught by the checksum
	printf '\0' | dd of=bad bs=1 seek=133 conv=notrunc status=none
	run_tool $B patch dst.img bad
	assert_equal "$status" 3
	assert_equal "$stderr" "blksync: bad@128: DATA record for 0+4096: checksum mismatch"
	assert_unchanged
	cp delta bad
	printf 'X' | dd of=bad bs=1 seek=20 conv=notrunc status=none
	run_tool $B patch dst.img - <bad
	assert_equal "$status" 3
	assert_equal "$stderr" "blksync: stdin@0: header checksum mismatch"
	assert_unchanged
	run_tool $B patch dst.img delta
	assert_success
	cmp src.img dst.img
	# a re-run finds the work done
	run_tool $B patch dst.img delta
	assert_success
	assert_equal "$stderr" "blksync: dst.img: already up to date with this delta"
}

@test "blksync: a result that does not match the delta's digest is exit 1" {
	mkimg src.img 300000
	mkimg dst.img 300000
	"$RESCUE" $B sig -q dst.img >sigs
	"$RESCUE" $B diff -q src.img sigs >delta
	# change the result digest in the end record and make its CRC right
	# again (gzip's trailer holds the CRC32 of what it compressed)
	dend=$(($(stat -c %s delta) - 120))
	cp delta bad
	printf '\377\377' | dd of=bad bs=1 seek=$((dend + 24 + 32)) conv=notrunc status=none
	{ head -c $((dend + 20)) bad | tail -c 20; tail -c 96 bad; } | gzip -c | tail -c 8 | head -c 4 >crc
	dd if=crc of=bad bs=1 seek=$((dend + 20)) conv=notrunc status=none
	snapshot dst.img
	run_tool $B patch dst.img bad
	assert_equal "$status" 1
	assert_regex "$stderr" "^blksync: dst.img: the result does not match the delta's digest \(got [0-9a-f]{32}, expected ffff[0-9a-f]{28}\)$"
	assert_unchanged
	# from a pipe the records are written, and the check comes at the end
	run --separate-stderr sh -c 'cat bad | "$RESCUE" blksync patch dst.img'
	assert_equal "$status" 1
	cmp src.img dst.img
}

@test "blksync: a delta made for another base is refused (exit 5)" {
	mkimg src.img 200000
	mkimg dst.img 200000
	mkimg other.img 200000
	"$RESCUE" $B sig -q --seed 7 dst.img >sigs
	"$RESCUE" $B diff -q src.img sigs >delta
	snapshot other.img
	run_tool $B patch other.img delta
	assert_equal "$status" 5
	assert_regex "$stderr" "^blksync: other.img: not the base this delta was made for \(identity [0-9a-f]{32}, the delta needs [0-9a-f]{32}\)$"
	assert_unchanged
	# through a pipe the header's base identity is checked before any write
	run --separate-stderr sh -c 'cat delta | "$RESCUE" blksync patch other.img'
	assert_equal "$status" 5
	assert_unchanged
}

@test "blksync: a target of another size than the base is refused (exit 5)" {
	mkimg src.img 200000
	mkimg dst.img 200000
	"$RESCUE" $B sig -q dst.img >sigs
	"$RESCUE" $B diff -q src.img sigs >delta
	mkimg small.img 100000
	snapshot small.img
	run_tool $B patch small.img delta
	assert_equal "$status" 5
	assert_equal "$stderr" "blksync: small.img: has 100000 bytes, the delta is for a base of 200000 bytes"
	assert_unchanged
}

@test "blksync: SIGS of another block size or hash than asked for is refused (exit 5)" {
	mkimg src.img 200000
	"$RESCUE" $B sig -q src.img >sigs
	run_tool $B diff -b 64K src.img sigs
	assert_equal "$status" 5
	assert_equal "$stderr" "blksync: sigs: signatures of 4096-byte blocks with xxh3, not the 65536-byte xxh3 asked for"
	assert_output ""
	run_tool $B diff --hash=sha256 src.img sigs
	assert_equal "$status" 5
	run_tool $B verify -b 8K src.img sigs
	assert_equal "$status" 5
}

@test "blksync: corrupt or truncated SIGS are bad data (exit 3)" {
	mkimg src.img 200000
	"$RESCUE" $B sig -q src.img >sigs
	cp sigs bad
	poke bad 170
	run_tool $B diff src.img bad
	assert_equal "$status" 3
	assert_equal "$stderr" "blksync: bad@128: HASH frame checksum mismatch"
	assert_output ""
	head -c 300 sigs >cut
	run_tool $B diff src.img cut
	assert_equal "$status" 3
	assert_equal "$stderr" "blksync: cut@300: cut short in HASH frame (148 of 392 bytes)"
	echo garbage >junk
	run_tool $B diff src.img junk
	assert_equal "$status" 3
	assert_equal "$stderr" "blksync: junk@8: cut short in header (8 of 128 bytes)"
	: >junk
	run_tool $B diff src.img junk
	assert_equal "$status" 3
	assert_equal "$stderr" "blksync: junk: empty, not a SIGS stream"
	head -c 200 /dev/zero >junk
	run_tool $B patch src.img junk
	assert_equal "$status" 3
	assert_equal "$stderr" "blksync: junk@0: not a blksync stream (bad magic)"
}

@test "blksync: refuses to write the delta over its source or to patch a target with itself (exit 5)" {
	mkimg src.img 100000
	"$RESCUE" $B sig -q src.img >sigs
	snapshot src.img
	run --separate-stderr sh -c '"$RESCUE" blksync diff src.img sigs >>src.img'
	assert_equal "$status" 5
	assert_equal "$stderr" "blksync: stdout is the same file as src.img; nothing written (if the shell opened it with '>', it was emptied before blksync started)"
	assert_unchanged
	run_tool $B patch src.img src.img
	assert_equal "$status" 5
	assert_equal "$stderr" "blksync: src.img: the delta and the target are the same file"
}

@test "blksync: stdout opened with '>' on an input is refused; the message says the shell emptied it (exit 5)" {
	mkimg src.img 100000
	run --separate-stderr sh -c '"$RESCUE" blksync full src.img >src.img'
	assert_equal "$status" 5
	assert_equal "$stderr" "blksync: stdout is the same file as src.img; nothing written (if the shell opened it with '>', it was emptied before blksync started)"
	# what the message warns about: the shell truncated it, blksync cannot undo that
	assert_equal "$(stat -c %s src.img)" 0
}

@test "blksync: a read error stops with the offset; --rescue fills zeros and lists the range (exit 4, 1)" {
	requires strace
	mkimg src.img 1048576
	run --separate-stderr strace -f -o /dev/null -P "$PWD/src.img" -e trace=pread64 \
		-e inject=pread64:error=EIO:when=1 "$RESCUE" blksync full -q src.img
	assert_equal "$status" 4
	assert_equal "$stderr" "blksync: src.img@0: read error (--rescue fills unreadable blocks with zeros): I/O error"
	run --separate-stderr sh -c 'strace -f -o /dev/null -P "$PWD/src.img" -e trace=pread64 \
		-e inject=pread64:error=EIO:when=1..3 "$RESCUE" blksync full -q --rescue src.img >img'
	assert_equal "$status" 1
	assert_equal "$stderr" "$(printf '%s\n' "blksync: src.img: unreadable 0+8192, filled with zeros" \
		"blksync: src.img: 1 unreadable ranges (8192 bytes) were filled with zeros")"
	"$RESCUE" blksync restore -q img out.img
	cmp -n 8192 out.img /dev/zero
	cmp -i 8192 src.img out.img
}

# A link of about 6 MB/s for push: serve reads through it.
THROTTLE='perl -e '\''$|=1; while (sysread(STDIN, $b, 65536)) { syswrite(STDOUT, $b); select(undef, undef, undef, 0.01) }'\'''

# slow_push SECONDS CK SRC DST [OPTIONS]: push SRC to DST through the slow
# link with --resume CK; SIGKILL it after SECONDS, or as soon as CK exists
# when SECONDS is 0 (then within 30 s).  Waits until serve has exited.
slow_push() {
	local secs=$1 ck=$2 src=$3 dst=$4 pid
	shift 4
	rm -f serve.pid
	"$RESCUE" blksync push -q --resume "$ck" "$@" "$src" -- \
		sh -c "echo \$\$ >serve.pid; $THROTTLE | exec \"$RESCUE\" blksync serve $dst" 2>/dev/null &
	pid=$!
	if [ "$secs" = 0 ]; then
		for _ in $(seq 300); do
			[ -e "$ck" ] && break
			sleep 0.1
		done
	else
		sleep "$secs"
	fi
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" || true
	timeout 30 sh -c 'while [ ! -e serve.pid ] || kill -0 "$(cat serve.pid)" 2>/dev/null; do sleep 0.1; done'
}

# resume_fixture: src.img (32 MiB), dst.img synced part way by a killed
# push, and its checkpoint ck; made once per file, copied into the test.
resume_fixture() {
	local d=$BATS_FILE_TMPDIR/resume
	if [ ! -e "$d/ck" ]; then
		mkdir -p "$d"
		(cd "$d" && mkimg src.img 33554432 && : >dst.img && slow_push 0 ck src.img dst.img)
	fi
	cp "$d/src.img" "$d/dst.img" "$d/ck" .
	[ -s ck ]
	DONE=$(sed -n 's/^done //p' ck)
	[ "$DONE" -gt 0 ]
	[ "$DONE" -lt 33554432 ]
	# the target is not a copy yet
	assert_differ src.img dst.img
}

# poke FILE OFFSET: change one byte (every bit flipped: writing a fixed byte
# would change nothing where the file already has it)
poke() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf '%03o' $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# resume_push [OPTIONS]: push src.img to dst.img with --resume ck; it must
# succeed, with a copy equal to the source and the checkpoint gone
resume_push() {
	run_tool $B push -q --resume ck "$@" src.img -- "$RESCUE" blksync serve dst.img
	assert_success
	cmp src.img dst.img
	[ ! -e ck ]
}

# assert_differ A B: the files are not equal
assert_differ() {
	if cmp -s "$1" "$2"; then
		echo "$1 and $2 are equal" >&2
		return 1
	fi
}

@test "blksync: push --resume: a push killed after seconds has left a checkpoint; resuming completes it (cmp)" {
	# 100 MB through a 6 MB/s link, killed after 4 s: the checkpoint is
	# written by time (not only at 64 MiB marks)
	mkimg src.img 100000000
	: >dst.img
	slow_push 4 ck src.img dst.img
	[ -s ck ]
	done=$(sed -n 's/^done //p' ck)
	[ "$done" -gt 0 ]
	# and it was written before 64 MiB were through
	[ "$done" -lt 67108864 ]
	assert_differ src.img dst.img
	snapshot src.img
	run_tool $B push --resume ck src.img -- timeout 120 "$RESCUE" blksync serve dst.img
	assert_success
	assert_equal "${stderr%%$'\n'*}" "blksync: ck: resuming at $done (the done range checked on both sides)"
	cmp src.img dst.img
	[ ! -e ck ]
	assert_unchanged
	# the same with one hash per block
	: >dst.img
	slow_push 4 ck src.img dst.img --flat
	[ -s ck ]
	run_tool $B push -q --flat --resume ck src.img -- timeout 120 "$RESCUE" blksync serve dst.img
	assert_success
	cmp src.img dst.img
}

@test "blksync: push --resume: a checkpoint of another source, target or block size is refused (exit 5)" {
	resume_fixture
	snapshot ck dst.img src.img
	cp src.img same-content.img
	run_tool $B push --resume ck same-content.img -- "$RESCUE" blksync serve dst.img
	assert_equal "$status" 5
	assert_equal "$stderr" "blksync: ck: checkpoint is for another sync (src.img, 33554432 bytes, block 4096, xxh3)"
	run_tool $B push -b 8K --resume ck src.img -- "$RESCUE" blksync serve dst.img
	assert_equal "$status" 5
	assert_equal "$stderr" "blksync: ck: checkpoint is for another sync (src.img, 33554432 bytes, block 4096, xxh3)"
	run_tool $B push --hash=sha256 --resume ck src.img -- "$RESCUE" blksync serve dst.img
	assert_equal "$status" 5
	# another target, even with the same bytes below 'done'
	cp dst.img other.img
	snapshot ck dst.img src.img other.img
	run_tool $B push --resume ck src.img -- "$RESCUE" blksync serve other.img
	assert_equal "$status" 5
	assert_equal "${stderr%%$'\n'*}" "blksync: ck: checkpoint is for another target (not the TARGET of this 'blksync serve')"
	assert_output ""
	assert_unchanged
	assert_no_tmp .
}

@test "blksync: push --resume: the source changed below 'done': starts over with a message (cmp)" {
	resume_fixture
	# one byte in the first block, far below the checkpoint
	poke src.img 5000
	resume_push
	assert_equal "$stderr" "blksync: ck: the source differs from the checkpoint below $DONE; starting over from 0"
	# the last block below 'done'
	resume_fixture
	poke src.img $((DONE - 1))
	resume_push
}

@test "blksync: push --resume: the target changed below 'done', or is another file by its name: starts over (cmp)" {
	resume_fixture
	poke dst.img 70000
	resume_push
	# push and serve both say it, in either order (two processes, one stderr)
	assert_equal "$(sort <<<"$stderr")" "$(printf '%s\n' \
		"blksync: ck: the target differs from the checkpoint below $DONE; starting over from 0" \
		"blksync: dst.img: differs from the checkpoint below $DONE (another target, or changed since); starting over from 0" | sort)"
	# another file under the target's name, the same size
	resume_fixture
	mkimg dst.img "$(stat -c %s dst.img)"
	resume_push
	# cut short below 'done'
	resume_fixture
	truncate -s 1M dst.img
	resume_push --flat
}

@test "blksync: push --resume: a damaged checkpoint starts over; a file that is not one is refused and kept (exit 5)" {
	resume_fixture
	head -c 200 ck >ck.cut
	mv ck.cut ck
	resume_push
	assert_equal "$stderr" "blksync: ck: a damaged checkpoint (cut short or changed); starting over from 0"
	# 'done' moved past what was synced
	resume_fixture
	sed -i "s/^done .*/done $((DONE + 1048576))/" ck
	resume_push
	assert_equal "$stderr" "blksync: ck: a damaged checkpoint (cut short or changed); starting over from 0"
	# 'done' moved, with the sum made right: the digest tells
	resume_fixture
	head -n -1 ck | sed "s/^done .*/done $((DONE + 1048576))/" >ck2
	printf 'sum %08x\n' "$(gzip -c ck2 | tail -c 8 | od -An -tu4 -N4 | tr -d ' ')" >>ck2
	mv ck2 ck
	resume_push
	assert_equal "$stderr" "blksync: ck: the source differs from the checkpoint below $((DONE + 1048576)); starting over from 0"
	# not a checkpoint at all: neither used nor replaced
	resume_fixture
	echo "precious" >ck
	snapshot ck dst.img
	run_tool $B push -q --resume ck src.img -- "$RESCUE" blksync serve dst.img
	assert_equal "$status" 5
	assert_equal "$stderr" "blksync: ck: not a blksync checkpoint; not used or replaced (give another file, or remove it)"
	assert_unchanged
}

@test "blksync: push --resume: an older checkpoint without a digest starts over; the copy is equal (cmp)" {
	mkimg src.img 4194304
	cp src.img dst.img
	scribble src.img 0 900
	printf '# blksync push checkpoint\nblksync-checkpoint 1\nsource src.img\nsize 4194304\nblock 4096\nhash xxh3\ndone 1048576\n' >ck
	run_tool $B push -q --resume ck src.img -- "$RESCUE" blksync serve dst.img
	assert_success
	assert_equal "$stderr" "blksync: ck: an older checkpoint, without a digest of the done range; starting over from 0"
	[ ! -e ck ]
	cmp src.img dst.img
}

@test "blksync: serve refuses a resumed push without a digest of the done range (exit 5)" {
	mkimg dst.img 1048576
	snapshot dst.img
	# a HELLO (docs/blksync.md "Header") with start 65536 and no
	# done-range digest, as an older push sends it; CRC32 from gzip's trailer
	perl -e 'print "BLKSYNCH", pack("vCCVVVQ<Q<Q<Q<", 1, 1, 8, 0, 4096, 16, 1, 1048576, 0, 65536), "\0" x 68' >h
	{ cat h; gzip -c h | tail -c 8 | head -c 4; } >hello
	run --separate-stderr sh -c '"$RESCUE" blksync serve dst.img <hello >/dev/null'
	assert_equal "$status" 5
	assert_equal "$stderr" "blksync: stdin: a resumed push without a digest of the done range (an older blksync?); not resumed"
	assert_unchanged
}

@test "blksync: sig --json goes to stderr, the signatures to stdout" {
	mkimg src.img 40000
	run --separate-stderr sh -c '"$RESCUE" blksync sig --json src.img >sigs'
	assert_success
	assert_regex "$stderr" '^\{"command":"sig","blocks_compared":10,"blocks_sent":0,"bytes_on_wire":[0-9]+,'
	[ "$(head -c 8 sigs)" = BLKSYNCS ]
}
