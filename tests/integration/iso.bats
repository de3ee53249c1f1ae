#!/usr/bin/env bats
# Boot media: out/rescue.iso (made from MEDIA_PROFILE, config/metal.conf) under
# qemu-system-x86_64 -accel tcg, as a CD, a USB stick (xhci + usb-storage) and
# a disk, with SeaBIOS and with OVMF (UEFI), and with Secure Boot enforced
# (OVMF with Microsoft's keys enrolled).  Each boot presses Enter at the boot
# menu (the default entry), waits for the rescue shell on the serial console,
# types a command, checks its output and powers off; the three media of one
# firmware boot at once.  Every boot is bounded by timeout; a failing test
# prints the console logs.
load ../helpers
load qemu

setup_file() {
	export ISO MKERNEL MINITRD OVMF
	ISO=$TOP_DIR/${O:-out}/rescue.iso
	MKERNEL=$TOP_DIR/${W:-build}/media/tree/vmlinuz
	MINITRD=$TOP_DIR/${W:-build}/media/initrd.gz
	OVMF=/usr/share/OVMF
	qemu_setup_file
}

setup() {
	requires qemu ovmf
	[ -f "$ISO" ] || fail "no $ISO (make media)"
	LOGS=()
}

teardown() {
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		for l in "${LOGS[@]}"; do
			echo "---- serial console log $l" >&2
			tr -d '\r' <"$l" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | tail -n 60 >&2
		done
	fi
}

# seen LOG REGEX: the log (CR and escape sequences removed) matches
seen() {
	tr -d '\r' <"$1" 2>/dev/null | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | grep -Eq -- "$2"
}

# wait_seen LOG REGEX SECONDS
wait_seen() {
	local n=0
	while [ "$n" -lt $(($3 * 2)) ]; do
		seen "$1" "$2" && return 0
		sleep 0.5
		n=$((n + 1))
	done
	return 1
}

# session LOG MENU MARK COMMAND: what is typed on the console: Enter at the
# boot menu (if MENU is not empty: no need to wait for its timeout), COMMAND
# in the rescue shell, then poweroff once MARK is on the console
session() {
	local log=$1 menu=$2 mark=$3 cmd=$4
	[ -z "$menu" ] || { wait_seen "$log" "$menu" 300 && sleep 2 && printf '\r'; }
	wait_seen "$log" 'starting a shell' 600 && sleep 1 && printf '%s\r' "$cmd"
	wait_seen "$log" "$mark" 120 && printf 'poweroff\r'
	sleep 300
}

# firmware_args bios|uefi|secure NAME: qemu's firmware arguments (UEFI
# variables are a fresh copy for each boot)
firmware_args() {
	case $1 in
	bios) ;;
	uefi)
		cp "$OVMF/OVMF_VARS_4M.fd" "$BATS_TEST_TMPDIR/$2.vars"
		echo "-drive if=pflash,format=raw,unit=0,readonly=on,file=$OVMF/OVMF_CODE_4M.fd"
		echo "-drive if=pflash,format=raw,unit=1,file=$BATS_TEST_TMPDIR/$2.vars"
		;;
	secure)
		cp "$OVMF/OVMF_VARS_4M.ms.fd" "$BATS_TEST_TMPDIR/$2.vars"
		echo "-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on"
		echo "-drive if=pflash,format=raw,unit=0,readonly=on,file=$OVMF/OVMF_CODE_4M.secboot.fd"
		echo "-drive if=pflash,format=raw,unit=1,file=$BATS_TEST_TMPDIR/$2.vars"
		;;
	esac
}

# medium_args cd|usb|disk IMAGE: the image as that medium (never written)
medium_args() {
	case $1 in
	cd) echo "-drive file=$2,format=raw,media=cdrom,readonly=on" ;;
	usb) echo "-device qemu-xhci,id=xhci -drive if=none,id=stick,format=raw,snapshot=on,file=$2" \
		"-device usb-storage,bus=xhci.0,drive=stick,bootindex=1" ;;
	disk) echo "-drive file=$2,format=raw,if=virtio,snapshot=on" ;;
	esac
}

# boot_media FIRMWARE IMAGE MEDIUM...: boot IMAGE as each MEDIUM at once;
# NAME.log and NAME.rc (qemu's status) per medium, NAME = FIRMWARE-MEDIUM
boot_media() {
	local fw=$1 image=$2 m
	shift 2
	for m in "$@"; do
		launch "$fw-$m" "$fw" "$m" "$image" default_session
	done
	wait
}

# default_session LOG: Enter at the menu, a command in the shell, poweroff
default_session() {
	session "$1" 'ISOLINUX|GNU GRUB' 'ISO-42' 'echo "ISO-$((6*7)) $(cat /proc/cmdline) $(rescue --list | wc -l) tools"'
}

# launch NAME FIRMWARE MEDIUM IMAGE WRITER: in the background, qemu boots
# IMAGE as MEDIUM; its console goes to NAME.log, its input comes from WRITER
# (a function, given the log), its status to NAME.rc
launch() {
	local name=$BATS_TEST_TMPDIR/$1 fw=$2 m=$3 image=$4 writer=$5
	LOGS+=("$name.log")
	mkfifo "$name.in"
	: >"$name.log"
	(
		"$writer" "$name.log" >"$name.in" &
		w=$!
		# shellcheck disable=SC2046
		timeout 900 qemu-system-x86_64 -accel tcg -nographic -no-reboot -m 1024 -nic none \
			$(firmware_args "$fw" "$1") $(medium_args "$m" "$image") <"$name.in" >"$name.log" 2>&1
		echo $? >"$name.rc"
		kill "$w" 2>/dev/null
	) &
}

# booted NAME: the boot reached the shell, ran the command, powered off
booted() {
	local n=$BATS_TEST_TMPDIR/$1
	assert_equal "$1: qemu status $(cat "$n.rc")" "$1: qemu status 0"
	seen "$n.log" '^rescue: rescue [0-9.]+, kernel [0-9.]+-[0-9]+-amd64$' || fail "$1: no rescue banner"
	seen "$n.log" '^ISO-42 BOOT_IMAGE=/boot/vmlinuz console=tty0 console=ttyS0,115200( initrd=/boot/initrd.gz)? [0-9]+ tools$' ||
		fail "$1: the command typed in the shell gave no output"
	seen "$n.log" 'rescue: poweroff' || fail "$1: no poweroff"
	if seen "$n.log" 'Kernel panic'; then fail "$1: Kernel panic"; fi
}

@test "iso: boots with SeaBIOS as a CD, a USB stick and a disk (isolinux menu, default entry, shell on ttyS0)" {
	boot_media bios "$ISO" cd usb disk
	for m in cd usb disk; do
		booted "bios-$m"
		seen "$BATS_TEST_TMPDIR/bios-$m.log" 'ISOLINUX 6' || fail "bios-$m: not booted by isolinux"
	done
}

@test "iso: boots with UEFI (OVMF) as a CD, a USB stick and a disk (shim, GRUB menu, default entry)" {
	boot_media uefi "$ISO" cd usb disk
	for m in cd usb disk; do
		booted "uefi-$m"
		seen "$BATS_TEST_TMPDIR/uefi-$m.log" 'GNU GRUB' || fail "uefi-$m: not booted by GRUB"
	done
}

# slow_type TEXT: a boot loader polls the serial port and drops characters
# typed faster than it reads them
slow_type() {
	local i
	for ((i = 0; i < ${#1}; i++)); do
		printf '%s' "${1:i:1}"
		sleep 0.1
	done
}

# edit_session LOG: at the boot menu, edit the default entry's kernel line
# (isolinux: Tab; GRUB: e, Ctrl-N twice to the linux line, Ctrl-E
# to its end, Ctrl-X) to run the selftest recipe, which fails without its
# disk and powers off
edit_session() {
	local add=' rescue.recipe=selftest rescue.onfail=poweroff'
	wait_seen "$1" 'ISOLINUX|GNU GRUB' 300 && sleep 3
	if seen "$1" 'ISOLINUX'; then
		printf '\t'
		sleep 1
		slow_type "$add"
		printf '\r'
	else
		printf 'e'
		sleep 2
		# down twice: past setparams and the entry's first, empty line
		printf '\016'
		sleep 1
		printf '\016'
		sleep 1
		printf '\005'
		sleep 1
		slow_type "$add"
		sleep 1
		printf '\030'
	fi
	sleep 600
}

@test "iso: the menu's edit line passes rescue.recipe= to the image (isolinux Tab, GRUB e)" {
	local fw
	for fw in bios uefi; do
		launch "edit-$fw" "$fw" cd "$ISO" edit_session
	done
	wait
	for fw in bios uefi; do
		assert_equal "$fw: $(cat "$BATS_TEST_TMPDIR/edit-$fw.rc")" "$fw: 0"
		seen "$BATS_TEST_TMPDIR/edit-$fw.log" 'Kernel command line: .*console=ttyS0,115200.* rescue.recipe=selftest rescue.onfail=poweroff' ||
			fail "$fw: the edited line did not reach the kernel"
		seen "$BATS_TEST_TMPDIR/edit-$fw.log" '==RESCUE-SELFTEST-START==' || fail "$fw: the recipe did not run"
		seen "$BATS_TEST_TMPDIR/edit-$fw.log" 'rescue: recipe selftest FAILED with exit status 4' || fail "$fw: no recipe status"
	done
}

@test "iso: both menus have the default, shell-only and per-recipe dry-run entries, on ttyS0 and ttyS1" {
	local d=$BATS_TEST_TMPDIR/menus r port
	mkdir -p "$d"
	osirrox -indev "$ISO" -extract /isolinux/isolinux.cfg "$d/isolinux.cfg" -extract /boot/grub/grub.cfg "$d/grub.cfg" >/dev/null 2>&1
	grep -qx 'DEFAULT rescue-ttyS0' "$d/isolinux.cfg"
	grep -qx 'set default=rescue-ttyS0' "$d/grub.cfg"
	grep -qx 'set timeout=10' "$d/grub.cfg"
	grep -qx 'TIMEOUT 100' "$d/isolinux.cfg"
	for port in ttyS0 ttyS1; do
		grep -qx "  APPEND console=tty0 console=$port,115200" "$d/isolinux.cfg"
		grep -qx "  APPEND console=tty0 console=$port,115200 rescue.recipe=none" "$d/isolinux.cfg"
		grep -qx "  linux /boot/vmlinuz console=tty0 console=$port,115200" "$d/grub.cfg"
		for r in $(sed -n 's/^recipe //p' "$TOP_DIR/${W:-build}/media/tree/manifest" | grep -v '\.sh$'); do
			grep -qx "  APPEND console=tty0 console=$port,115200 rescue.recipe=$r rescue.args=--dry-run" "$d/isolinux.cfg" ||
				fail "isolinux.cfg: no $r entry on $port"
			grep -qx "  linux /boot/vmlinuz console=tty0 console=$port,115200 rescue.recipe=$r rescue.args=--dry-run" "$d/grub.cfg" ||
				fail "grub.cfg: no $r entry on $port"
		done
	done
}

@test "iso: boots with Secure Boot enforced (OVMF, Microsoft keys): kernel locked down" {
	boot_media secure "$ISO" cd
	booted secure-cd
	seen "$BATS_TEST_TMPDIR/secure-cd.log" 'secureboot: Secure boot enabled' || fail "Secure Boot was not on"
	seen "$BATS_TEST_TMPDIR/secure-cd.log" 'Kernel is locked down from EFI Secure Boot' || fail "no lockdown"
}

@test "iso: the same firmware refuses an unsigned boot loader (Secure Boot is enforced, not just on)" {
	requires sbattach
	local d=$BATS_TEST_TMPDIR/unsigned
	mkdir -p "$d/iso"
	# the ISO's own shim with its signature removed, as the only EFI boot image
	osirrox -indev "$ISO" -extract /boot/efi.img "$d/efi.img" >/dev/null 2>&1
	chmod u+w "$d/efi.img"
	mcopy -i "$d/efi.img" ::/EFI/BOOT/BOOTX64.EFI "$d/shim.efi"
	sbattach --remove "$d/shim.efi"
	mdel -i "$d/efi.img" ::/EFI/BOOT/BOOTX64.EFI
	mcopy -i "$d/efi.img" "$d/shim.efi" ::/EFI/BOOT/BOOTX64.EFI
	cp "$d/efi.img" "$d/iso/efi.img"
	xorriso -as mkisofs -quiet -o "$d/unsigned.iso" -e efi.img -no-emul-boot "$d/iso" 2>/dev/null
	local log=$BATS_TEST_TMPDIR/secure-unsigned.log
	LOGS+=("$log")
	# shellcheck disable=SC2046
	timeout 900 qemu-system-x86_64 -accel tcg -nographic -no-reboot -m 1024 -nic none -pidfile "$d/qemu.pid" \
		$(firmware_args secure unsigned) $(medium_args cd "$d/unsigned.iso") </dev/null >"$log" 2>&1 &
	local q=$!
	wait_seen "$log" 'Access Denied|Welcome to GRUB|Linux version' 800
	# the firmware goes on to its other boot options: stop it
	kill "$(cat "$d/qemu.pid")" 2>/dev/null
	wait "$q" 2>/dev/null || true
	seen "$log" 'BdsDxe: failed to load Boot[0-9]+ "UEFI QEMU DVD-ROM.*Access Denied' || fail "the firmware did not refuse it"
	if seen "$log" 'Welcome to GRUB|Linux version'; then fail "an unsigned loader started"; fi
}

# disks_session LOG HOTIMG: wait for the shell, plug a virtio disk in through
# QEMU's monitor (Ctrl-A c toggles console and monitor; ACPI PCI hotplug),
# whose drivers (virtio_pci, virtio_blk) nothing has loaded yet, then list by
# label the disks present at boot on AHCI and on USB, and the one plugged in
disks_session() {
	local log=$1 cmd
	wait_seen "$log" 'starting a shell' 600 && sleep 2
	printf '\001c'
	sleep 1
	printf 'drive_add 0 if=none,id=hot,format=raw,file=%s\r' "$2"
	sleep 1
	printf 'device_add virtio-blk-pci,drive=hot\r'
	sleep 1
	printf '\001c'
	sleep 1
	cmd='for i in $(seq 300); do findfs LABEL=hotdisk >/dev/null 2>&1 && findfs LABEL=usbdisk >/dev/null 2>&1 && findfs LABEL=ahcidisk >/dev/null 2>&1 && break; sleep 0.1; done;'
	cmd=$cmd' for l in ahcidisk usbdisk hotdisk; do d=$(findfs LABEL=$l); echo "DISK $l $d $(readlink -f /sys/class/block/${d#/dev/})"; done; echo DISKS-DONE'
	printf '%s\r' "$cmd"
	wait_seen "$log" '^DISKS-DONE' 120 && printf 'poweroff\r'
	sleep 300
}

@test "iso: the bare-metal kernel sees an AHCI disk, a USB disk, and a virtio disk plugged in after boot (hotplug)" {
	local a=$BATS_TEST_TMPDIR/ahci.img u=$BATS_TEST_TMPDIR/usb.img h=$BATS_TEST_TMPDIR/hot.img
	mke2fs -q -F -t ext4 -L ahcidisk "$a" 8M
	mke2fs -q -F -t ext4 -L usbdisk "$u" 8M
	mke2fs -q -F -t ext4 -L hotdisk "$h" 8M
	local log=$BATS_TEST_TMPDIR/metal-disks.log
	LOGS+=("$log")
	mkfifo "$log.in"
	: >"$log"
	disks_session "$log" "$h" >"$log.in" &
	local w=$!
	# shellcheck disable=SC2086
	timeout 600 qemu-system-x86_64 -accel tcg -nographic -no-reboot -m 1024 $QEMU_FAST_ARGS \
		-kernel "$MKERNEL" -initrd "$MINITRD" -append "console=ttyS0 panic=1" \
		-device ahci,id=ahci -drive if=none,id=a,file="$a",format=raw -device ide-hd,drive=a,bus=ahci.0 \
		-device qemu-xhci,id=xhci -drive if=none,id=u,file="$u",format=raw -device usb-storage,bus=xhci.0,drive=u \
		<"$log.in" >"$log" 2>&1
	local rc=$?
	kill "$w" 2>/dev/null || true
	assert_equal "$rc" 0
	seen "$log" '^DISK ahcidisk /dev/sd[a-z] /sys/devices/pci.*/ata[0-9]+/' || fail "no AHCI disk"
	seen "$log" '^DISK usbdisk /dev/sd[a-z] /sys/devices/pci.*/usb[0-9]+/' || fail "no USB disk"
	seen "$log" '^DISK hotdisk /dev/vda /sys/devices/pci.*/virtio[0-9]+/' || fail "no hot-plugged virtio disk"
}
