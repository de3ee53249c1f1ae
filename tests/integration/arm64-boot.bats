#!/usr/bin/env bats
# arm64 (issue 17): out/arm64/rescue-initramfs.cpio.gz with Debian's arm64
# cloud kernel (out/arm64/rescue-vmlinuz, `make ARCH=arm64`; `make check`
# builds both) under qemu-system-aarch64 -M virt -cpu cortex-a57 -accel tcg:
# it boots, runs a recipe on virtio disks (the result checked on the host
# with cmp) and powers off; busybox and dropbear in it are the cross-built
# aarch64 ones.  out/arm64/rescue.iso (UEFI only) boots under AAVMF
# (qemu-efi-aarch64: Debian's signed shim, then GRUB, then the image) as a
# SCSI CD, and its layout and menu are checked.  QEMU's own console helpers (has, typist) are shared with the
# x86-64 boot tests (qemu.bash); the launcher here is the aarch64 one.
load ../helpers
load qemu

setup_file() {
	export KERNEL INITRD ISO LOADERS AAVMF
	KERNEL=$TOP_DIR/${O:-out}/arm64/rescue-vmlinuz
	INITRD=$TOP_DIR/${O:-out}/arm64/rescue-initramfs.cpio.gz
	ISO=$TOP_DIR/${O:-out}/arm64/rescue.iso
	LOADERS=$TOP_DIR/${B:-build}/arm64/loaders
	AAVMF=/usr/share/AAVMF
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
		< <(typist '^==done 42==' "${cmds[@]}" 3>&-)
	stop_typist $!
	assert_equal "$status" 0
	has '^arch=aarch64$'
	has '^bb=BusyBox v1\.35\.0$'
	has "^rescue $("$RESCUE" --version | awk '{ print $NF }')\$"
	# the key dropbearkey made, and virtio_blk loaded by modalias at boot
	[ "$(tr -d '\r' <"$LOG" | grep -cx 1)" -ge 2 ]
	has '^==done 42==$'
}

# iso_ready: the ISO and the firmware (make check builds and installs them:
# missing is a failure, never a skip)
iso_ready() {
	[ -f "$ISO" ] || fail "no $ISO (make ARCH=arm64)"
	[ -f "$AAVMF/AAVMF_CODE.fd" ] || fail "no $AAVMF/AAVMF_CODE.fd (qemu-efi-aarch64, tests/packages.txt)"
}

@test "arm64-boot: rescue.iso is UEFI only: one El Torito EFI image (also MBR partition 0xef) holding Debian's signed arm64 shim and GRUB; the menu on ttyAMA0 and ttyS0" {
	iso_ready
	local d=$BATS_TEST_TMPDIR/iso r port
	mkdir -p "$d"
	run xorriso -indev "$ISO" -report_el_torito plain -report_system_area plain
	assert_success
	assert_output --regexp 'El Torito boot img : +1 +UEFI +y +none '
	refute_output --partial 'BIOS'
	refute_output --regexp 'El Torito boot img : +2 '
	assert_output --regexp 'MBR partition +: +2 +0x00 +0xef '
	osirrox -indev "$ISO" -extract / "$d/tree" >/dev/null 2>&1
	[ ! -e "$d/tree/isolinux" ]
	cmp "$d/tree/boot/vmlinuz" "$KERNEL"
	cmp "$d/tree/boot/initrd.gz" "$INITRD"
	# the ESP, as the firmware reads it: the El Torito image's blocks
	osirrox -indev "$ISO" -extract_boot_images "$d/boot" >/dev/null 2>&1
	mcopy -i "$d"/boot/eltorito_img1_uefi.img ::/EFI/BOOT/BOOTAA64.EFI ::/EFI/BOOT/grubaa64.efi "$d/"
	cmp "$d/BOOTAA64.EFI" "$LOADERS/usr/lib/shim/shimaa64.efi.signed"
	cmp "$d/grubaa64.efi" "$LOADERS/usr/lib/grub/arm64-efi-signed/gcdaa64.efi.signed"
	local g=$d/tree/boot/grub/grub.cfg
	grep -qx 'set default=rescue-ttyAMA0' "$g"
	grep -qx 'set timeout=10' "$g"
	# no GRUB serial line: the firmware's console is the UART
	if grep -q '^serial\|ttyS1' "$g"; then fail "x86-64 console lines in $g"; fi
	for port in ttyAMA0 ttyS0; do
		grep -qx "  linux /boot/vmlinuz console=tty0 console=$port,115200" "$g"
		grep -qx "  linux /boot/vmlinuz console=tty0 console=$port,115200 rescue.recipe=none" "$g"
		# shellcheck disable=SC2013 # recipe names are words
		for r in $(sed -n 's/^recipe //p' "$TOP_DIR/${W:-build}/arm64/image/tree/manifest" | grep -v '\.sh$'); do
			grep -qx "  linux /boot/vmlinuz console=tty0 console=$port,115200 rescue.recipe=$r rescue.args=--dry-run" "$g" ||
				fail "grub.cfg: no $r entry on $port"
		done
	done
}

# bootiso VARS [QEMU ARGS...]: boot under AAVMF with a fresh copy of its
# variables VARS (AAVMF_VARS.ms.fd: Microsoft's keys enrolled, Secure Boot
# enforced), console to $LOG; status of qemu
bootiso() {
	cp "$AAVMF/$1" "$BATS_TEST_TMPDIR/vars.fd"
	shift
	timeout "${QEMU_TIMEOUT:-150}" qemu-system-aarch64 -M virt -cpu cortex-a57 -accel tcg -m 1024 -nographic \
		-no-reboot -nic none \
		-drive "if=pflash,format=raw,readonly=on,file=$AAVMF/AAVMF_CODE.fd" \
		-drive "if=pflash,format=raw,file=$BATS_TEST_TMPDIR/vars.fd" "$@" >"$LOG" 2>&1
}

# stop_typist PID: end the typist (the process substitution PID) and its
# sleep once qemu is gone; else bats waits for its last `sleep 60`
stop_typist() {
	pkill -P "$1" 2>/dev/null || :
	kill "$1" 2>/dev/null || :
}

# menu_typist: Enter at GRUB's menu (no 10 s wait), a command in the rescue
# shell, poweroff once its output is there; then it waits to be killed
menu_typist() {
	for _ in $(seq 1 600); do
		has 'GNU GRUB' 2>/dev/null && break
		sleep 0.2
	done
	sleep 1
	printf '\r'
	# shellcheck disable=SC2016 # expanded on the rescue console
	typist '^==iso [0-9]+==$' 'echo "==iso $(grep -c "BOOT_IMAGE=/boot/vmlinuz .*console=ttyAMA0,115200" /proc/cmdline)=="'
}

@test "arm64-boot: rescue.iso boots under AAVMF as a CD: shim, GRUB, the default entry on ttyAMA0, the rescue shell, poweroff (exit 0)" {
	iso_ready
	local t0=$SECONDS
	run bootiso AAVMF_VARS.fd -drive "file=$ISO,if=none,id=cd,media=cdrom,readonly=on" -device virtio-scsi-pci -device scsi-cd,drive=cd \
		< <(menu_typist 3>&-)
	stop_typist $!
	assert_equal "$status" 0
	echo "# arm64 ISO under AAVMF, firmware to poweroff: $((SECONDS - t0)) s" >&3
	has 'BdsDxe: starting Boot[0-9A-F]+ "UEFI QEMU QEMU CD-ROM'
	has 'Welcome to GRUB!'
	has 'EFI stub: Booting Linux Kernel'
	has '^\[ *[0-9.]+\] Linux version 6\.1\.0-[0-9]+-cloud-arm64 '
	has '^rescue: rescue [0-9]'
	has '^==iso 1==$'
	has 'reboot: Power down'
}

@test "arm64-boot: rescue.iso boots under AAVMF with Secure Boot enforced (Microsoft's keys): the kernel is locked down, its modules load (exit 0)" {
	iso_ready
	[ -f "$AAVMF/AAVMF_VARS.ms.fd" ] || fail "no $AAVMF/AAVMF_VARS.ms.fd (qemu-efi-aarch64)"
	run bootiso AAVMF_VARS.ms.fd -drive "file=$ISO,if=none,id=cd,media=cdrom,readonly=on" \
		-device virtio-scsi-pci -device scsi-cd,drive=cd < <(menu_typist 3>&-)
	stop_typist $!
	assert_equal "$status" 0
	has 'EFI stub: UEFI Secure Boot is enabled'
	has 'secureboot: Secure boot enabled'
	has 'Kernel is locked down from EFI Secure Boot'
	# the CD was found through virtio_scsi, a signed module loaded in lockdown
	has 'scsi host0: Virtio SCSI HBA'
	has '^==iso 1==$'
	has 'reboot: Power down'
}
