#!/usr/bin/env bats
# Netboot tests: the bundle out/netboot/ (make media; docs/netboot.md) served by
# stock dnsmasq with the bundle's own dnsmasq.conf / dnsmasq-proxy.conf (only
# the interface, the addresses and tftp-root put in), in a network namespace
# made here: a bridge with a tap device for QEMU (10.99.0.0/24, in the
# namespace only; no other host is ever reached).  QEMU (TCG) boots from the
# network: SeaBIOS with QEMU's iPXE ROM (BIOS), OVMF's own PXE with no option
# ROM (UEFI: firmware -> snponly.efi by client architecture -> boot.ipxe by
# user class).  Every boot is bounded by timeout; a failing test prints the
# serial console and the dnsmasq logs.  The scenario itself runs in
# netboot-serve.
load ../helpers
load qemu

MAC=52:54:00:12:34:56

setup_file() {
	export BUNDLE=$TOP_DIR/${O:-out}/netboot MEDIA=$TOP_DIR/${W:-build}/media
	export OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
}

setup() {
	LOG=$BATS_TEST_TMPDIR/work/serial.log
	mkdir -p "$BATS_TEST_TMPDIR/work"
	NS=rnb$$t$BATS_TEST_NUMBER NS2=rnb$$e$BATS_TEST_NUMBER
}

teardown() {
	local f p n
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		for f in "$BATS_TEST_TMPDIR"/work/*.log; do
			[ -f "$f" ] || continue
			echo "---- $f" >&2
			tr -d '\r' <"$f" >&2
		done
	fi
	# the namespaces' processes are this test's (netboot-serve stops its own)
	for n in "$NS" "$NS2"; do
		ip netns list 2>/dev/null | grep -qw "$n" || continue
		for p in $(ip netns pids "$n" 2>/dev/null); do kill "$p" 2>/dev/null; done
		ip netns del "$n" 2>/dev/null || true
	done
}

# needs: what every boot needs
needs() {
	requires root netns qemu
	command -v dnsmasq >/dev/null || fail "needs dnsmasq (Debian package dnsmasq-base)"
	[ -f "$BUNDLE/SHA256SUMS" ] || fail "no $BUNDLE (make media)"
}

# net [proxy]: NS with br0 (10.99.0.1/24) and tap0 on it; with proxy, NS2
# on the same bridge through a veth pair (10.99.0.2/24): the existing DHCP
# server's machine
net() {
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	ip -n "$NS" link add br0 type bridge
	ip -n "$NS" addr add 10.99.0.1/24 dev br0
	ip -n "$NS" link set br0 up
	ip -n "$NS" tuntap add dev tap0 mode tap
	ip -n "$NS" link set tap0 master br0 up
	if [ "${1:-}" = proxy ]; then
		ip netns add "$NS2"
		ip -n "$NS" link add v0 type veth peer name v1 netns "$NS2"
		ip -n "$NS" link set v0 master br0 up
		ip -n "$NS2" addr add 10.99.0.2/24 dev v1
		ip -n "$NS2" link set v1 up
	fi
}

# serve CONF RANGE: the bundle in work/tftp, the bundle's CONF as
# work/dnsmasq.conf with interface br0, dhcp-range RANGE, that tftp-root
serve() {
	local w=$BATS_TEST_TMPDIR/work
	cp -r "$BUNDLE" "$w/tftp"
	sed -e 's/^interface=.*/interface=br0/' -e "s/^dhcp-range=.*/dhcp-range=$2/" \
		-e "s|^tftp-root=.*|tftp-root=$w/tftp|" "$BUNDLE/$1" >"$w/dnsmasq.conf"
	# the substitutions took: the test runs the shipped example, not another
	grep -qx 'interface=br0' "$w/dnsmasq.conf"
	grep -qx "dhcp-range=$2" "$w/dnsmasq.conf"
	grep -qx "tftp-root=$w/tftp" "$w/dnsmasq.conf"
}

# host_args WORDS: this machine's rescue-MAC.ipxe (boot.ipxe's hook)
host_args() {
	printf '#!ipxe\nset rescue-extra %s\n' "$1" >"$BATS_TEST_TMPDIR/work/tftp/rescue-${MAC//:/-}.ipxe"
}

# boot SECONDS [QEMU ARGS...]: the scenario in NS; status of QEMU.  Writes
# the seconds from QEMU's start to /init's first line to work/t.init.
boot() {
	local w=$BATS_TEST_TMPDIR/work secs=$1
	shift
	[ -e "$w/console.in" ] || : >"$w/console.in"
	(
		for _ in $(seq 1 $((secs * 2))); do
			has '^rescue: rescue ' 2>/dev/null && { echo "$SECONDS" >"$w/t.init"; break; }
			sleep 0.5
		done
	) &
	local watcher=$! start=$SECONDS rc=0
	EXISTING_NS=$NS2 timeout $((secs + 30)) ip netns exec "$NS" \
		"$TOP_DIR/tests/integration/netboot-serve" "$w" "$secs" "$@" || rc=$?
	kill "$watcher" 2>/dev/null || true
	wait "$watcher" 2>/dev/null || true
	[ ! -f "$w/t.init" ] || echo "$(($(cat "$w/t.init") - start))" >"$w/t.init"
	return "$rc"
}

# selftest_disk IMG: an ext4 file system labelled rescuetest (selftest's)
selftest_disk() {
	mkdir -p "$BATS_TEST_TMPDIR/empty"
	mke2fs -q -F -t ext4 -L rescuetest -d "$BATS_TEST_TMPDIR/empty" "$1" 8M
}

# ovmf: the firmware and a copy of its variables, as pflash
ovmf_args() {
	if [ ! -f "$OVMF_CODE" ] || [ ! -f "$OVMF_VARS" ]; then fail "needs OVMF (Debian package ovmf)"; fi
	cp "$OVMF_VARS" "$BATS_TEST_TMPDIR/vars.fd"
	OVMF=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
		-drive "if=pflash,format=raw,unit=1,file=$BATS_TEST_TMPDIR/vars.fd")
}

# the recipe run by the machine's own rescue-MAC.ipxe, then poweroff (a
# failure too: the test sees it at once)
recipe_words="rescue.recipe=selftest rescue.args=\"--label 'rescuetest' rescue-list\" rescue.then=poweroff rescue.onfail=poweroff"

# recipe_ran IMG: the recipe's result on the console and on its disk
recipe_ran() {
	has "^rescue: running recipe selftest --label 'rescuetest' rescue-list"
	has '^==RESCUE-SELFTEST-END rc=0=='
	has '^rescue: recipe selftest finished \(exit status 0\)'
	has '^rescue: poweroff'
	run --separate-stderr debugfs -R 'cat /result' "$1"
	assert_success
	assert_output "$(printf 'ok rescue-list\nrc=0')"
}

# dlog NAME TEXT: dnsmasq's log NAME has a line matching TEXT (grep -E)
dlog() {
	grep -Eq -- "$2" "$BATS_TEST_TMPDIR/work/$1.log"
}

@test "netboot: BIOS PXE (QEMU's iPXE ROM) gets boot.ipxe from the bundle's dnsmasq.conf; the default entry reaches the rescue shell with a DHCP lease" {
	needs
	net
	serve dnsmasq.conf "10.99.0.100,10.99.0.199,255.255.255.0,1h"
	local w=$BATS_TEST_TMPDIR/work
	mkfifo "$w/console.in"
	# no rescue-MAC.ipxe: the menu's timeout boots the default entry; then
	# type into the shell on the serial console
	typist '^NETBOOT-42' \
		'echo "NETBOOT-$((6*7)) $(cat /proc/cmdline)"; ip -4 addr show eth0 | grep -o "inet [0-9./]*"' \
		>"$w/console.in" &
	local writer=$! rc=0
	boot 300 -device "virtio-net-pci,netdev=n0,mac=$MAC" -boot n || rc=$?
	kill "$writer" 2>/dev/null || true
	wait "$writer" 2>/dev/null || true
	# 0: the poweroff typed in the shell reached PID 1 (not the timeout, 124)
	assert_equal "$rc" 0
	dlog dnsmasq 'tags: ipxe, bios, br0'
	dlog dnsmasq "sent $w/tftp/boot.ipxe to 10\.99\.0\."
	dlog dnsmasq "sent $w/tftp/vmlinuz to"
	dlog dnsmasq "sent $w/tftp/initrd.gz to"
	has '^NETBOOT-42 initrd=initrd.gz console=tty0 console=ttyS0,115200 rescue.net=dhcp *$'
	has '^udhcpc: lease of 10\.99\.0\.1[0-9][0-9] obtained from 10\.99\.0\.1,'
	has '^inet 10\.99\.0\.1[0-9][0-9]/24'
	has '^rescue: poweroff'
	echo "# PXE BIOS: QEMU start to /init $(cat "$w/t.init") s" >&3
}

@test "netboot: UEFI (OVMF's own PXE) gets snponly.efi by client architecture, iPXE gets boot.ipxe by user class, the machine's rescue-MAC.ipxe runs a recipe" {
	needs
	ovmf_args
	net
	serve dnsmasq.conf "10.99.0.100,10.99.0.199,255.255.255.0,1h"
	host_args "$recipe_words"
	local w=$BATS_TEST_TMPDIR/work img=$BATS_TEST_TMPDIR/disk.img
	selftest_disk "$img"
	# romfile=: no iPXE option ROM, so OVMF's PXE (not iPXE) starts the boot
	run boot 300 "${OVMF[@]}" -device "virtio-net-pci,netdev=n0,mac=$MAC,romfile=,bootindex=1" \
		-drive "file=$img,if=virtio,format=raw"
	assert_equal "$status" 0
	dlog dnsmasq 'vendor class: PXEClient:Arch:00007'
	dlog dnsmasq 'tags: efi64, br0'
	dlog dnsmasq "sent $w/tftp/snponly.efi to"
	dlog dnsmasq 'tags: ipxe, efi64, br0'
	dlog dnsmasq "sent $w/tftp/boot.ipxe to"
	dlog dnsmasq "sent $w/tftp/rescue-${MAC//:/-}.ipxe to"
	has 'NBP filename is snponly.efi'
	has 'EFI stub: Loaded initrd from command line option'
	recipe_ran "$img"
	echo "# PXE UEFI: QEMU start to /init $(cat "$w/t.init") s" >&3
}

@test "netboot: proxy-DHCP beside an existing DHCP server (dnsmasq-proxy.conf): UEFI PXE and iPXE get only the boot information from it, the address from the other server" {
	needs
	ovmf_args
	net proxy
	serve dnsmasq-proxy.conf "10.99.0.0,proxy,255.255.255.0"
	host_args "$recipe_words"
	local w=$BATS_TEST_TMPDIR/work img=$BATS_TEST_TMPDIR/disk.img
	# the existing server: addresses and a router, no boot information
	printf '%s\n' port=0 interface=v1 bind-interfaces log-dhcp \
		dhcp-range=10.99.0.100,10.99.0.199,255.255.255.0,1h dhcp-option=option:router,10.99.0.2 >"$w/existing.conf"
	selftest_disk "$img"
	run boot 300 "${OVMF[@]}" -device "virtio-net-pci,netdev=n0,mac=$MAC,romfile=,bootindex=1" \
		-drive "file=$img,if=virtio,format=raw"
	assert_equal "$status" 0
	# the proxy gave no address; the existing server gave no boot file
	if dlog dnsmasq 'DHCPACK\(br0\) 10\.99\.0\.1[0-9][0-9]'; then fail "the proxy handed out an address"; fi
	dlog existing 'DHCPACK\(v1\) 10\.99\.0\.1[0-9][0-9]'
	if dlog existing 'sent size: .*option: 67 '; then fail "the existing server sent a boot file"; fi
	dlog dnsmasq 'PXE\(br0\) 52:54:00:12:34:56 proxy'
	dlog dnsmasq 'bootfile name: snponly.efi'
	dlog dnsmasq 'bootfile name: boot.ipxe'
	dlog dnsmasq "sent $w/tftp/snponly.efi to"
	dlog dnsmasq "sent $w/tftp/boot.ipxe to"
	has '^udhcpc: lease of 10\.99\.0\.1[0-9][0-9] obtained from 10\.99\.0\.2,'
	recipe_ran "$img"
	echo "# PXE UEFI proxy-DHCP: QEMU start to /init $(cat "$w/t.init") s" >&3
}

@test "netboot: two builds of the bundle are identical, file by file, and the same as make's" {
	[ -f "$BUNDLE/SHA256SUMS" ] || fail "no $BUNDLE (make media)"
	local a=$BATS_TEST_TMPDIR/a/netboot b=$BATS_TEST_TMPDIR/b/netboot f
	mkdir -p "${a%/*}" "${b%/*}"
	for d in "$a" "$b"; do
		"$TOP_DIR/initramfs/mknetboot" -k "$MEDIA/tree/vmlinuz" -i "$MEDIA/initrd.gz" -m "$MEDIA/tree/manifest" \
			-l "$TOP_DIR/${B:-build}/debroot" -V "$(sed -n 's/^VERSION := //p' "$TOP_DIR/Makefile")" -o "$d"
	done
	run diff <(cd "$a" && ls) <(cd "$BUNDLE" && ls)
	assert_success
	for f in "$a"/*; do
		cmp "$f" "$b/${f##*/}"
		cmp "$f" "$BUNDLE/${f##*/}"
	done
	(cd "$a" && sha256sum -c --quiet SHA256SUMS)
	# nothing else was left beside the output
	run ls "${a%/*}"
	assert_output netboot
}

@test "netboot: mknetboot refuses a missing input (exit 3) and bad usage (exit 2), leaving no output" {
	local o=$BATS_TEST_TMPDIR/nb
	run "$TOP_DIR/initramfs/mknetboot" -k /nonexistent -i "$MEDIA/initrd.gz" -m "$MEDIA/tree/manifest" \
		-l "$TOP_DIR/${B:-build}/debroot" -V 1 -o "$o"
	assert_equal "$status" 3
	assert_output "mknetboot: /nonexistent: no such file"
	run "$TOP_DIR/initramfs/mknetboot" -k x -o "$o"
	assert_equal "$status" 2
	assert_output --partial "usage: mknetboot"
	[ ! -e "$o" ] && [ ! -e "$o.new" ]
}
