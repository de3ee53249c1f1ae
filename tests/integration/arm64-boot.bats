#!/usr/bin/env bats
# arm64 (issue 17): out/arm64/rescue-initramfs.cpio.gz with Debian's arm64
# cloud kernel (out/arm64/rescue-vmlinuz, `make ARCH=arm64`; `make check`
# builds both) under qemu-system-aarch64 -M virt -cpu cortex-a57 -accel tcg:
# it boots, runs a recipe on virtio disks (the result checked on the host
# with cmp) and powers off; busybox and dropbear in it are the cross-built
# aarch64 ones.  QEMU's own console helpers (has, typist) are shared with the
# x86-64 boot tests (qemu.bash); the launcher here is the aarch64 one.
load ../helpers
load qemu

setup_file() {
	export KERNEL INITRD
	KERNEL=$TOP_DIR/${O:-out}/arm64/rescue-vmlinuz
	INITRD=$TOP_DIR/${O:-out}/arm64/rescue-initramfs.cpio.gz
}

setup() {
	requires qemu-arm64
	# make check builds them: missing is a failure, never a skip
	[ -f "$KERNEL" ] || fail "no $KERNEL (make ARCH=arm64)"
	[ -f "$INITRD" ] || fail "no $INITRD (make ARCH=arm64)"
	LOG=$BATS_TEST_TMPDIR/serial.log
}

# boot64 CMDLINE [QEMU ARGS...]: boot the arm64 image, console (the virt
# machine's PL011, ttyAMA0) to $LOG; status of qemu.  -cpu cortex-a57: the
# fastest TCG model (max is about three times slower).  PSCI powers it off.
boot64() {
	local append=$1
	shift
	timeout "${QEMU_TIMEOUT:-120}" qemu-system-aarch64 -M virt -cpu cortex-a57 -accel tcg -nographic \
		-no-reboot -m 512 -nic none -kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyAMA0 panic=1 $append" "$@" >"$LOG" 2>&1
}

@test "arm64-boot: the arm64 image boots under qemu-system-aarch64, runs blockvol-hash-backup on virtio disks and powers off (exit 0)" {
	local vol=$BATS_TEST_TMPDIR/vol.img bak=$BATS_TEST_TMPDIR/bak.img
	head -c 8388608 /dev/urandom >"$vol"
	cp "$vol" "$bak"
	# the volume moved on: 33 blocks in two places
	dd if=/dev/urandom of="$vol" bs=4096 seek=3 count=32 conv=notrunc 2>/dev/null
	dd if=/dev/urandom of="$vol" bs=4096 seek=2047 count=1 conv=notrunc 2>/dev/null
	cp "$vol" "$BATS_TEST_TMPDIR/vol.before"
	if cmp -s "$vol" "$bak"; then fail "the disks are the same before the boot"; fi
	local t0=$SECONDS
	run boot64 "rescue.recipe=blockvol-hash-backup rescue.args=\"--yes --work /run/bv /dev/vda --remote env /dev/vdb\" rescue.then=poweroff" \
		-drive "file=$vol,if=virtio,format=raw" -drive "file=$bak,if=virtio,format=raw" </dev/null
	assert_equal "$status" 0
	echo "# arm64 boot, recipe and poweroff: $((SECONDS - t0)) s" >&3
	# Debian's arm64 kernel on the virt machine, the modules from the image
	has '^\[ *[0-9.]+\] Linux version 6\.1\.0-[0-9]+-cloud-arm64 '
	has '^\[ *[0-9.]+\] Machine model: linux,dummy-virt'
	has '^blksync: /dev/vda: 33 of 2048 blocks changed'
	has '^blksync: /dev/vda and /run/bv/after.sig are the same \(2048 blocks\)'
	has '^rescue: recipe blockvol-hash-backup finished \(exit status 0\)'
	has 'reboot: Power down'
	cmp "$vol" "$bak"
	cmp "$vol" "$BATS_TEST_TMPDIR/vol.before"
}

@test "arm64-boot: the shell on the arm64 console runs the aarch64 busybox, dropbear and rescue (exit 0)" {
	# typed on the rescue console: expanded there, not here
	# shellcheck disable=SC2016
	local cmds=(
		'echo "arch=$(uname -m)"'
		'echo "bb=$(busybox | head -n 1 | cut -d" " -f1-2)"'
		'dropbearkey -t ed25519 -f /tmp/k >/dev/null 2>&1; dropbearkey -y -f /tmp/k | grep -c "^ssh-ed25519 "'
		'rescue --version; lsmod | grep -c "^virtio_blk "'
		'echo "==done $((6 * 7))=="'
	)
	truncate -s 4M "$BATS_TEST_TMPDIR/disk.img"
	run boot64 "" -drive "file=$BATS_TEST_TMPDIR/disk.img,if=virtio,format=raw" \
		< <(typist '^==done 42==' "${cmds[@]}")
	assert_equal "$status" 0
	has '^arch=aarch64$'
	has '^bb=BusyBox v1\.35\.0$'
	has "^rescue $("$RESCUE" --version | awk '{ print $NF }')\$"
	# the key dropbearkey made, and virtio_blk loaded by modalias at boot
	[ "$(tr -d '\r' <"$LOG" | grep -cx 1)" -ge 2 ]
	has '^==done 42==$'
}
