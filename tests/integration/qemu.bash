# qemu.bash: what the boot tests share (loaded after ../helpers).
# Debian's kernel (make fetch) + out/rescue-initramfs.cpio.gz under
# qemu-system-x86_64 -accel tcg; the serial console goes to $LOG, which a
# failing test prints.  QEMU_TIMEOUT (seconds) bounds every boot.

# qemu_setup_file: find the kernel and initramfs; pick the fast firmware.
qemu_setup_file() {
	export KERNEL INITRD QEMU_FAST_ARGS
	KERNEL=$TOP_DIR/${O:-out}/rescue-vmlinuz
	INITRD=$TOP_DIR/${O:-out}/rescue-initramfs.cpio.gz
	# qboot starts a -kernel in a fraction of SeaBIOS's time; no default NIC
	# (its iPXE ROM is slow too)
	QEMU_FAST_ARGS="-nic none"
	[ -f /usr/share/qemu/qboot.rom ] && QEMU_FAST_ARGS="$QEMU_FAST_ARGS -bios qboot.rom"
	return 0
}

setup() {
	requires qemu
	[ -f "$KERNEL" ] || fail "no $KERNEL (make images)"
	[ -f "$INITRD" ] || fail "no $INITRD (make images)"
	LOG=$BATS_TEST_TMPDIR/serial.log
}

teardown() {
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -f "${LOG:-/nonexistent}" ]; then
		echo "---- serial console log ($LOG)" >&2
		cat "$LOG" >&2
	fi
}

# has TEXT: the console log (CR removed) has a line matching TEXT (grep -E)
has() {
	tr -d '\r' <"$LOG" | grep -Eq -- "$1"
}

# qemu_boot CMDLINE [QEMU ARGS...]: boot, console to $LOG; status of qemu
qemu_boot() {
	local append=$1
	shift
	# shellcheck disable=SC2086
	timeout "${QEMU_TIMEOUT:-120}" qemu-system-x86_64 -accel tcg -nographic -no-reboot -m 512 $QEMU_FAST_ARGS \
		-kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 panic=1 $append" "$@" </dev/null >"$LOG" 2>&1
}

# typist DONE COMMAND...: what is typed on the serial console ($LOG): the
# COMMAND lines once the rescue shell has started, then poweroff once a
# line matches DONE (grep -E); then it waits to be killed
typist() {
	local done=$1
	shift
	for _ in $(seq 1 1800); do
		has 'starting a shell' 2>/dev/null && break
		sleep 0.2
	done
	sleep 1
	printf '%s\n' "$@"
	for _ in $(seq 1 600); do
		has "$done" 2>/dev/null && break
		sleep 0.2
	done
	echo 'poweroff'
	sleep 60
}
