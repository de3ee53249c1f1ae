#!/usr/bin/env bats
# Boot tests: Debian's kernel (make fetch) + out/rescue-initramfs.cpio.gz under
# qemu-system-x86_64 -accel tcg, with a virtio disk (ext4 from mke2fs -d).
# The selftest recipe writes /result on the disk; the host reads it with
# debugfs.  Every boot is bounded by timeout; a failing test prints the
# serial console log.
load ../helpers
load qemu

setup_file() {
	qemu_setup_file
}

# make_disk IMG: the selftest disk, labelled rescuetest.  Expected outputs are
# made here by the real programs (sha256sum, GNU cpio).
make_disk() {
	local d=$BATS_TEST_TMPDIR/disk
	cp -a "$FIXTURES/images/disk" "$d"
	(cd "$d/tree" && find . -type f | LC_ALL=C sort | xargs sha256sum) >"$d/tree.sha256"
	(cd "$d/tree" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$d/gnu.cpio"
	cpio -it --quiet <"$d/gnu.cpio" >"$d/gnu.list"
	mkdir -p "$BATS_TEST_TMPDIR/u/sub"
	echo evil >"$BATS_TEST_TMPDIR/u/evil"
	(cd "$BATS_TEST_TMPDIR/u/sub" && echo ../evil | cpio -o -H newc --quiet) >"$d/unsafe.cpio"
	mke2fs -q -F -t ext4 -L rescuetest -d "$d" "$1" 16M
}

@test "boot: selftest recipe runs rescue tools on the virtio disk and powers off (exit 0)" {
	local img=$BATS_TEST_TMPDIR/disk.img
	make_disk "$img"
	run qemu_boot "rescue.recipe=selftest rescue.then=poweroff" \
		-drive "file=$img,if=virtio,format=raw"
	assert_equal "$status" 0
	has '^==RESCUE-SELFTEST-START=='
	has '^==RESCUE-SELFTEST-END rc=0=='
	has '^rescue: recipe selftest finished \(exit status 0\)'
	has '^rescue: poweroff'
	run --separate-stderr debugfs -R 'cat /result' "$img"
	assert_success
	assert_line "ok rescue-list"
	assert_line "ok disk-sha256"
	assert_line "ok mkcpio-t-gnu"
	assert_line "ok mkcpio-roundtrip"
	assert_line "ok mkcpio-unsafe"
	assert_line "ok mkoci"
	assert_line "ok confset"
	assert_line "ok metasnap"
	assert_line "rc=0"
	refute_line --partial "FAIL"
	refute_line --partial "skip"
}

@test "boot: a failing recipe shows its status, then PID 1 keeps a working shell on the console (static rescue.net)" {
	local fifo=$BATS_TEST_TMPDIR/console.in
	mkfifo "$fifo"
	# no disk: selftest exits 4; then type into the shell on the serial console
	# (xfs is not loaded at boot (load = needed): mounting one loads it)
	typist 'ALIVE-42' \
		'mount -t xfs /dev/null /mnt 2>/dev/null; echo "XFS=$(grep -c xfs /proc/filesystems)"' \
		'echo "ALIVE-$((6*7)) pid1=$(cat /proc/1/comm) $(ip route | grep default)"' \
		>"$fifo" &
	local writer=$!
	# shellcheck disable=SC2086
	timeout 120 qemu-system-x86_64 -accel tcg -nographic -no-reboot -m 512 $QEMU_FAST_ARGS \
		-kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 panic=1 rescue.recipe=selftest rescue.then=poweroff rescue.net=10.0.2.99/24,10.0.2.2" \
		-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,romfile= \
		<"$fifo" >"$LOG" 2>&1
	local rc=$?
	kill "$writer" 2>/dev/null || true
	wait "$writer" 2>/dev/null || true
	# 0: the poweroff typed in the shell reached PID 1 (not the timeout, 124)
	assert_equal "$rc" 0
	has '^==RESCUE-SELFTEST-END rc=4=='
	has '^rescue: recipe selftest FAILED with exit status 4$'
	has '^  | selftest: no file system labelled'
	has 'starting a shell on the console'
	has '^ALIVE-42 pid1=init default via 10.0.2.2 dev eth0'
	has '^rescue: eth0: 10.0.2.99/24 via 10.0.2.2$'
	has '^XFS=1'
	has '^rescue: poweroff'
	if has 'Kernel panic'; then fail "console shows 'Kernel panic'"; fi
}

@test "boot: rescue.args quoted words, rescue.net=dhcp, rescue.load=all and rescue.modules reach the recipe (exit 0)" {
	local img=$BATS_TEST_TMPDIR/disk.img
	make_disk "$img"
	run qemu_boot "rescue.recipe=selftest rescue.args=\"--label 'rescuetest' mkcpio-roundtrip rescue-list\" rescue.net=dhcp rescue.modules=loop,dm-mod rescue.load=all rescue.then=poweroff" \
		-drive "file=$img,if=virtio,format=raw" \
		-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,romfile=
	assert_equal "$status" 0
	has '^rescue: running recipe selftest --label .rescuetest. mkcpio-roundtrip rescue-list'
	has 'rescue: eth0: 10.0.2.15/24'
	has '^==RESCUE-SELFTEST-END rc=0=='
	if has 'could not load module'; then fail "console shows 'could not load module'"; fi
	has 'SGI XFS with ACLs'
	run --separate-stderr debugfs -R 'cat /result' "$img"
	assert_success
	assert_output "$(printf 'ok mkcpio-roundtrip\nok rescue-list\nrc=0')"
}

@test "boot: with console=tty0 console=ttyS0 the screen (tty1) has a shell too, besides the serial console" {
	local fifo=$BATS_TEST_TMPDIR/console.in
	mkfifo "$fifo"
	# shellcheck disable=SC2016
	typist 'TTY-DONE' \
		'for p in /proc/[0-9]*; do [ "$(readlink $p/fd/0)" = /dev/tty1 ] && echo "ON-TTY1 $(cat $p/comm) $(readlink $p/fd/1)"; done; echo TTY-DONE' \
		>"$fifo" &
	local writer=$!
	# shellcheck disable=SC2086
	timeout 120 qemu-system-x86_64 -accel tcg -nographic -no-reboot -m 512 $QEMU_FAST_ARGS \
		-kernel "$KERNEL" -initrd "$INITRD" -append "console=tty0 console=ttyS0 panic=1" <"$fifo" >"$LOG" 2>&1
	local rc=$?
	kill "$writer" 2>/dev/null || true
	assert_equal "$rc" 0
	has '^ON-TTY1 sh /dev/tty1$'
	has '^rescue: poweroff'
}
