#!/usr/bin/env bats
# ssh (issue 15): the image's dropbear server reached from the host with
# OpenSSH's client through QEMU's user-mode network (a host port on 127.0.0.1
# forwarded to the guest's 22), keys from the kernel command line and from a
# cidata drive; the build's refusal of secrets; the recipes' HOST:DIR copies
# fetched with dbclient/scp from an OpenSSH sshd in a network namespace made
# by the test (its own loopback only).  Every boot and wait is bounded.
load ../helpers
load qemu

setup_file() {
	qemu_setup_file
}

# qemu.bash's teardown (the console log of a failed test), after stopping a
# guest still running
eval "qemu_log_teardown() $(declare -f teardown | tail -n +2)"
teardown() {
	[ -z "${QEMU_PID:-}" ] || kill "$QEMU_PID" 2>/dev/null || :
	[ -z "${SSHD_PID:-}" ] || kill "$SSHD_PID" 2>/dev/null || :
	[ -z "${NETNS:-}" ] || ip netns del "$NETNS" 2>/dev/null || :
	qemu_log_teardown
}

# keypair NAME: an ed25519 key made for this test: $BATS_TEST_TMPDIR/NAME(.pub)
keypair() {
	ssh-keygen -q -t ed25519 -N '' -C "test-$1" -f "$BATS_TEST_TMPDIR/$1"
}

# cmdline_key NAME: the public key as rescue.ssh= takes it (TYPE:BASE64)
cmdline_key() {
	awk '{ print $1 ":" $2 }' "$BATS_TEST_TMPDIR/$1.pub"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ssh_boot CMDLINE [QEMU ARGS...]: boot in the background with a NIC on
# QEMU's user network, host 127.0.0.1:$PORT forwarded to the guest's port 22
# (NETDEV_EXTRA: more of -netdev user's options); the console to $LOG, typed
# in through fd $CONSOLE
ssh_boot() {
	local append=$1
	shift
	PORT=$(free_port)
	local fifo=$BATS_TEST_TMPDIR/console.in
	rm -f "$fifo"
	mkfifo "$fifo"
	# shellcheck disable=SC2086
	timeout 300 qemu-system-x86_64 -accel tcg -nographic -no-reboot -m 512 $QEMU_FAST_ARGS \
		-kernel "$KERNEL" -initrd "$INITRD" -append "console=ttyS0 panic=1 $append" \
		-netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$PORT-:22${NETDEV_EXTRA:-}" -device virtio-net-pci,netdev=n0,romfile= \
		"$@" <"$fifo" >"$LOG" 2>&1 &
	QEMU_PID=$!
	exec {CONSOLE}>"$fifo"
}

# wait_for REGEX: until the console has a line matching REGEX (120 s at most)
wait_for() {
	local _
	for _ in $(seq 1 600); do
		has "$1" && return 0
		kill -0 "$QEMU_PID" 2>/dev/null || break
		sleep 0.2
	done
	fail "the console never showed '$1'"
}

# ssh_stop: poweroff typed on the console; QEMU must end by itself (status 0)
ssh_stop() {
	echo poweroff >&"$CONSOLE"
	local rc=0
	wait "$QEMU_PID" || rc=$?
	QEMU_PID=''
	exec {CONSOLE}>&-
	assert_equal "$rc" 0
}

# host_key: known_hosts for [127.0.0.1]:$PORT from the host key the console
# printed, checked against the fingerprint it printed
host_key() {
	local key fp
	key=$(tr -d '\r' <"$LOG" | sed -n 's/^rescue: ssh: host key \(ssh-ed25519 [A-Za-z0-9+\/=]*\)$/\1/p')
	fp=$(tr -d '\r' <"$LOG" | sed -n 's/^rescue: ssh: host key fingerprint \(SHA256:[^ ]*\) (ED25519).*/\1/p')
	{ [ -n "$key" ] && [ -n "$fp" ]; } || fail "no host key or fingerprint on the console"
	KNOWN=$BATS_TEST_TMPDIR/known_hosts
	echo "[127.0.0.1]:$PORT $key" >"$KNOWN"
	assert_equal "$(ssh-keygen -l -E sha256 -f "$KNOWN" | awk '{ print $2 }')" "$fp"
}

# ossh KEY ARGS...: OpenSSH's ssh as root to the guest, the host key checked
ossh() {
	local key=$1
	shift
	timeout 60 ssh -F /dev/null -i "$BATS_TEST_TMPDIR/$key" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KNOWN" -p "$PORT" root@127.0.0.1 "$@"
}

# oscp KEY ARGS...: OpenSSH's scp (-O: the scp protocol; the image has no sftp)
oscp() {
	local key=$1
	shift
	timeout 60 scp -O -q -F /dev/null -i "$BATS_TEST_TMPDIR/$key" -o IdentitiesOnly=yes -o BatchMode=yes \
		-o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KNOWN" -P "$PORT" "$@"
}

# listening22: the guest's count of sockets listening on port 22, typed on
# its console and read back
listening22() {
	# shellcheck disable=SC2016
	echo 'echo "LISTEN22=$(awk '"'"'$2 ~ /:0016$/ && $4 == "0A"'"'"' /proc/net/tcp /proc/net/tcp6 | wc -l)"' >&"$CONSOLE"
	wait_for '^LISTEN22=[0-9]+'
	tr -d '\r' <"$LOG" | sed -n 's/^LISTEN22=\([0-9]*\)$/\1/p' | tail -n 1
}

@test "ssh: rescue.ssh= key: OpenSSH logs in with the console's host key, runs rescue --list and a recipe dry run, scp copies in and out" {
	keypair op
	keypair other
	ssh_boot "rescue.net=dhcp rescue.ssh=$(cmdline_key other)+$(cmdline_key op)"
	wait_for '^rescue: ssh: server listening on port 22 for root, 2 authorized key'
	# the fingerprint is printed before the server starts
	[ "$(tr -d '\r' <"$LOG" | grep -n 'host key fingerprint' | cut -d: -f1)" -lt \
		"$(tr -d '\r' <"$LOG" | grep -n 'server listening' | cut -d: -f1)" ]
	host_key
	run ossh op rescue --list
	assert_success
	assert_output "$("$RESCUE" --list)"
	# a recipe's dry run on copies sent with scp
	oscp op -r "$FIXTURES/recipes/starrocks" root@127.0.0.1:/tmp/sr
	run ossh op starrocks-fe-recover --version 3.2.5 /tmp/sr/fe1 /tmp/sr/fe2 /tmp/sr/fe3
	assert_success
	assert_line 'starrocks-fe-recover: plan (5 steps; dry run, nothing is changed: add --yes to act)'
	# /init run again would not start a second server
	run ossh op /lib/rescue/ssh-start "$(cmdline_key op)" ''
	assert_success
	assert_output --regexp '^rescue: ssh: the server is already running \(pid [0-9]+\)$'
	oscp op root@127.0.0.1:/tmp/sr/fe1/meta/image/ROLE "$BATS_TEST_TMPDIR/ROLE"
	cmp "$FIXTURES/recipes/starrocks/fe1/meta/image/ROLE" "$BATS_TEST_TMPDIR/ROLE"
	# no password logins: the server offers public keys only
	run timeout 60 ssh -F /dev/null -o BatchMode=yes -o PubkeyAuthentication=no -o PasswordAuthentication=yes \
		-o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KNOWN" -p "$PORT" root@127.0.0.1 true
	assert_failure 255
	assert_output --partial 'Permission denied (publickey)'
	ssh_stop
}

@test "ssh: a boot without keys starts no server, says why, and nothing listens on port 22" {
	ssh_boot "rescue.net=dhcp"
	wait_for 'starting a shell'
	has '^rescue: ssh: no authorized keys \(.*\): no ssh server'
	if has 'host key'; then fail "a host key was made without keys"; fi
	assert_equal "$(listening22)" 0
	KNOWN=/dev/null
	run ossh nokey true
	assert_failure 255
	ssh_stop
}

@test "ssh: bad keys on the command line are named and left out; no good one, no server" {
	ssh_boot "rescue.net=dhcp rescue.ssh=ssh-ed25519:not-base64!,ssh-dss:AAAAB3NzaC1kc3M"
	wait_for 'starting a shell'
	has '^rescue: ssh: rescue.ssh=: not a plain public key, left out: ssh-ed25519 not-base64!'
	has '^rescue: ssh: rescue.ssh=: not a plain public key, left out: ssh-dss AAAAB3NzaC1kc3M'
	has '^rescue: ssh: no authorized keys'
	assert_equal "$(listening22)" 0
	ssh_stop
}

@test "ssh: two boots make two different host keys (none is baked into the image)" {
	keypair op
	local fp=()
	for i in 1 2; do
		run qemu_boot "rescue.ssh=$(cmdline_key op) rescue.then=poweroff"
		assert_equal "$status" 0
		has '^rescue: ssh: server listening on port 22'
		fp[i]=$(tr -d '\r' <"$LOG" | sed -n 's/^rescue: ssh: host key fingerprint \(SHA256:[^ ]*\).*/\1/p')
		[ -n "${fp[i]}" ]
	done
	[ "${fp[1]}" != "${fp[2]}" ] || fail "both boots have host key ${fp[1]}"
	# and no private key file is in the image
	run sh -c "zcat '$INITRD' | cpio -it --quiet"
	assert_success
	refute_output --partial host_key
}

@test "ssh: keys from a cidata drive (user-data's ssh_authorized_keys, authorized_keys): both log in, a line with options does not" {
	keypair ud
	keypair ak
	keypair opt
	local d=$BATS_TEST_TMPDIR/cidata
	mkdir -p "$d"
	{
		echo '#cloud-config'
		echo 'hostname: x'
		echo 'ssh_authorized_keys:'
		echo "  - \"$(cat "$BATS_TEST_TMPDIR/ud.pub")\""
		echo "  - no-pty $(cat "$BATS_TEST_TMPDIR/opt.pub")"
		echo 'packages: []'
	} >"$d/user-data"
	echo 'instance-id: rescue-test' >"$d/meta-data"
	cp "$BATS_TEST_TMPDIR/ak.pub" "$d/authorized_keys"
	xorriso -as mkisofs -quiet -V cidata -J -r -o "$BATS_TEST_TMPDIR/cidata.iso" "$d" 2>/dev/null
	ssh_boot "rescue.net=dhcp" -drive "file=$BATS_TEST_TMPDIR/cidata.iso,if=virtio,format=raw,readonly=on"
	wait_for '^rescue: ssh: server listening on port 22 for root, 2 authorized key'
	has '^rescue: ssh: /dev/vda:user-data: not a plain public key, left out: no-pty ssh-ed25519'
	host_key
	run ossh ud echo UD-OK
	assert_success
	assert_output UD-OK
	run ossh ak echo AK-OK
	assert_success
	assert_output AK-OK
	run ossh opt true
	assert_failure 255
	ssh_stop
}

@test "ssh: rescue.ssh_url= fetches authorized_keys with wget once the network is up; OpenSSH logs in with it" {
	keypair url
	# QEMU answers the guest's connections to 10.0.2.100:80 with this
	# program (guestfwd): one HTTP answer, the key file, no other network
	local serve=$BATS_TEST_TMPDIR/serve
	# (the request is read to its blank line first: a reply to an unread
	# request ends in a reset)
	cat >"$serve" <<EOF2
#!/bin/sh
while IFS= read -r l; do
	case \$l in '' | "\$(printf '\\r')") break ;; esac
done
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n'
echo '# keys for the rescue system'
cat '$BATS_TEST_TMPDIR/url.pub'
EOF2
	chmod +x "$serve"
	NETDEV_EXTRA=",guestfwd=tcp:10.0.2.100:80-cmd:$serve" ssh_boot "rescue.net=dhcp rescue.ssh_url=http://10.0.2.100/keys"
	wait_for '^rescue: ssh: server listening on port 22 for root, 1 authorized key'
	host_key
	run ossh url echo URL-OK
	assert_success
	assert_output URL-OK
	ssh_stop
}

# ---- the build: secrets stay out ----

# rootfs PROFILE: build-rootfs on PROFILE into $BATS_TEST_TMPDIR/out
rootfs() {
	run --separate-stderr "$TOP_DIR/initramfs/build-rootfs" -p "$1" -r "$RESCUE" \
		-b "$TOP_DIR/build/debroot/bin/busybox" -s "$(ls "$TOP_DIR"/build/src/busybox_*.dsc | head -n 1)" \
		-H "$TOP_DIR/build/kernel-headers" -c "$TOP_DIR/build/busybox" \
		-D "$(ls "$TOP_DIR"/build/src/dropbear_*.dsc | head -n 1)" -C "$TOP_DIR/build/dropbear" \
		-k "$TOP_DIR/build/kernels" -R "$TOP_DIR/recipes" -o "$BATS_TEST_TMPDIR/out"
}

# profile_with KEY VALUE: the default profile with KEY set to VALUE, as p.conf
profile_with() {
	sed "/^$1 *=/d" "$TOP_DIR/config/default.conf" >"$BATS_TEST_TMPDIR/p.conf"
	printf '%s = %s\n' "$1" "$2" >>"$BATS_TEST_TMPDIR/p.conf"
	sed -i '/^modules *=/,/[^\\]$/d' "$BATS_TEST_TMPDIR/p.conf"
	echo 'modules =' >>"$BATS_TEST_TMPDIR/p.conf"
}

@test "ssh build: a private key, a host key, a password or an authorized_keys with options in the image is refused (exit 5)" {
	cd "$BATS_TEST_TMPDIR"
	keypair op
	cp op id_copy
	profile_with files "id_copy:/root/.ssh/id_ed25519"
	rootfs p.conf
	assert_equal "$status" 5
	assert_equal "$stderr" "build-rootfs: p.conf: /root/.ssh/id_ed25519 (files: id_copy) is a private key: secrets never go into an image (refused)"
	# a dropbear host key (binary, no PEM header) is refused by its name
	dropbearkey() { "$TOP_DIR/build/image/tree/rootfs/bin/dropbearmulti" dropbearkey "$@"; }
	dropbearkey -t ed25519 -f hk >/dev/null
	profile_with files "hk:/etc/dropbear/dropbear_ed25519_host_key"
	rootfs p.conf
	assert_equal "$status" 5
	assert_equal "$stderr" "build-rootfs: p.conf: /etc/dropbear/dropbear_ed25519_host_key (files: hk) is a host key: host keys are made at each boot, never baked in (refused)"
	printf 'root:$6$salt$hash:0:0:root:/root:/bin/sh\n' >pw
	profile_with files "pw:/etc/shadow"
	rootfs p.conf
	assert_equal "$status" 5
	assert_equal "$stderr" "build-rootfs: p.conf: /etc/shadow (files: pw) is a password (hash or empty) for root: logins here are by key only (refused)"
	{ echo "# ops"; echo "command=\"/bin/sh\" $(cat op.pub)"; } >ak
	profile_with ssh_keys ak
	rootfs p.conf
	assert_equal "$status" 5
	assert_equal "$stderr" "build-rootfs: p.conf:$(grep -n '^ssh_keys' p.conf | cut -d: -f1): ak:2: options before the key (only plain TYPE BASE64 [COMMENT] lines are taken; refused)"
	[ ! -e out/rootfs/etc/rescue/authorized_keys ]
}

@test "ssh build: plain public keys in ssh_keys go in; ssh = none has no ssh program; make size lists the security-relevant contents" {
	cd "$BATS_TEST_TMPDIR"
	keypair op
	profile_with ssh_keys op.pub
	rootfs p.conf
	assert_success
	cmp op.pub out/rootfs/etc/rescue/authorized_keys
	run cat out/security
	assert_line --partial "ssh: server client (dropbear $(sed -n 's/^Version: //p' "$(ls "$TOP_DIR"/build/src/dropbear_*.dsc | head -n 1)")"
	assert_line "  ssh-ed25519 $(awk '{ print substr($2, length($2) - 11) }' op.pub) test-op"
	for p in dropbear dbclient scp dropbearkey; do
		[ "$(readlink out/rootfs/bin/$p)" = dropbearmulti ]
	done
	[ -x out/rootfs/lib/rescue/ssh-start ]
	out/rootfs/bin/dropbearmulti 2>&1 | grep -q 'Dropbear SSH multi-purpose'
	file out/rootfs/bin/dropbearmulti | grep -q 'statically linked'
	profile_with ssh none
	rootfs p.conf
	assert_success
	for p in dropbearmulti dropbear dbclient scp dropbearkey; do
		[ ! -e out/rootfs/bin/$p ]
	done
	[ ! -e out/rootfs/lib/rescue/ssh-start ]
	grep -qx 'ssh: none (no ssh server or client in the image)' out/security
	profile_with ssh "server telnet"
	rootfs p.conf
	assert_equal "$status" 3
	assert_equal "$stderr" "build-rootfs: p.conf:$(grep -n '^ssh =' p.conf | cut -d: -f1): ssh must be server, client, 'server client' or none, not 'telnet'"
	# make size shows it
	run make -s -C "$TOP_DIR" size
	assert_success
	assert_line --partial 'bin/dropbearmulti (ssh)'
	assert_line 'security-relevant contents of config/default.conf:'
	assert_line --partial '  ssh server: starts at boot only with authorized keys'
}

@test "ssh build: dropbear built again in another cache directory (other jobs) is byte-identical, static, password logins compiled out" {
	local dsc c=$BATS_TEST_TMPDIR/cache
	dsc=$(ls "$TOP_DIR"/build/src/dropbear_*.dsc | head -n 1)
	run --separate-stderr "$TOP_DIR/initramfs/build-dropbear" -s "$dsc" -c "$TOP_DIR/build/dropbear" dropbear dbclient scp dropbearkey
	assert_success
	local a=$output
	MAKEFLAGS=-j1 run --separate-stderr "$TOP_DIR/initramfs/build-dropbear" -s "$dsc" -c "$c" scp dropbearkey dbclient dropbear
	assert_success
	assert_equal "$output" "$c/${a#"$TOP_DIR/build/dropbear/"}"
	cmp "$a" "$output"
	file "$output" | grep -q 'statically linked'
	assert_equal "$(cat "$c"/*/programs | tr '\n' ' ')" "dropbear dbclient dropbearkey scp "
	grep -qx '#define DROPBEAR_SVR_PASSWORD_AUTH 0' "$c"/*/localoptions.h
	# the server's usage has no -s (no password logins to turn off)
	run "$output" dropbear -h
	refute_output --partial 'Disable password logins'
	run --separate-stderr "$TOP_DIR/initramfs/build-dropbear" -s "$dsc" -c "$c" dropbear telnetd
	assert_equal "$status" 2
	assert_equal "$stderr" "build-dropbear: no program 'telnetd' (dropbear, dbclient, scp, dropbearkey)"
}

# ---- the recipes: HOST:DIR from an OpenSSH server in a network namespace ----

# netns_sshd [SSHD_CONFIG_LINE...]: an OpenSSH sshd for root on 127.0.0.1:22 of
# a network namespace made here ($NETNS), the client side in $T: the image's
# dropbear (scp, dbclient) in $T/bin, a dropbear key and known_hosts in $T/home/.ssh
netns_sshd() {
	requires netns
	[ -x /usr/sbin/sshd ] || fail "no /usr/sbin/sshd (openssh-server)"
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/home/.ssh" "$T/bin" "$T/bb"
	local db=$TOP_DIR/build/image/tree/rootfs/bin/dropbearmulti p a _
	[ -x "$db" ] || fail "no $db (make images)"
	for p in scp dbclient dropbearkey; do ln -s "$db" "$T/bin/$p"; done
	"$T/bin/dropbearkey" -t ed25519 -f "$T/home/.ssh/id_dropbear" | grep '^ssh-ed25519 ' >"$T/authorized_keys"
	ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
	printf '%s\n' 'ListenAddress 127.0.0.1:22' "HostKey $T/hostkey" "AuthorizedKeysFile $T/authorized_keys" \
		'PermitRootLogin prohibit-password' 'PasswordAuthentication no' 'KbdInteractiveAuthentication no' \
		'UsePAM no' 'StrictModes no' 'PidFile none' "$@" >"$T/sshd_config"
	# dbclient's known_hosts lines have no comment (dropbear 2022.83 reads the
	# rest of the line as the key)
	awk '{ print "127.0.0.1 " $1 " " $2 }' "$T/hostkey.pub" >"$T/home/.ssh/known_hosts"
	NETNS=rescue-ssh-$$
	ip netns add "$NETNS"
	ip netns exec "$NETNS" ip link set lo up
	mkdir -p /run/sshd
	ip netns exec "$NETNS" timeout 120 /usr/sbin/sshd -D -e -f "$T/sshd_config" 2>"$T/sshd.log" &
	SSHD_PID=$!
	for _ in $(seq 1 50); do
		ip netns exec "$NETNS" bash -c 'exec 3<>/dev/tcp/127.0.0.1/22' 2>/dev/null && break
		sleep 0.1
	done
	for a in $(busybox --list); do ln -sf "$(command -v busybox)" "$T/bb/$a"; done
	ln -sf "$RESCUE" "$T/bb/rescue"
}

# in_ns RECIPE ARGS...: the recipe under busybox sh in the namespace, with
# the image's dropbear on PATH.  setsid: no controlling terminal, so dbclient
# cannot ask about an unknown host key (it is refused, as in a recipe that
# /init starts)
in_ns() {
	local r=$1
	shift
	run --separate-stderr setsid -w ip netns exec "$NETNS" env HOME="$T/home" PATH="$T/bin:$T/bb:$PATH" \
		RESCUE_TOOL=rescue RESCUE_LOG="$T/recipe.log" busybox sh "$TOP_DIR/recipes/$r" "$@"
	[ "$status" != 0 ] || return 0
	echo "$stderr" >&2
	cat "$T/sshd.log" >&2
}

@test "ssh recipe: starrocks-fe-recover fetches an FE given as HOST:DIR with dbclient/scp and ranks it (exit 0; exit 5 when it is the newest)" {
	netns_sshd
	local t=$T
	cp -r "$FIXTURES/recipes/starrocks" "$t/sr"
	mkdir -p "$t/remote"
	mv "$t/sr/fe2" "$t/remote/fe2"
	in_ns starrocks-fe-recover --version 3.2.5 "$t/sr/fe1" "root@127.0.0.1:$t/remote/fe2" "$t/sr/fe3"
	assert_success
	assert_line 'starrocks-fe-recover: plan (5 steps; dry run, nothing is changed: add --yes to act)'
	local copy=$t/sr/fe1.rescue/remote/root@127.0.0.1$t/remote/fe2
	[[ "$stderr" == *"starrocks-fe-recover: fetching root@127.0.0.1:$t/remote/fe2 into $copy (scp -S dbclient -I 60)"* ]]
	diff -r "$t/remote/fe2" "$copy"
	assert_line --partial "$copy/meta"
	# the remote copy made newest: the recovery must run on its node
	cp "$t/sr/fe1/meta/image/image.150023" "$t/remote/fe2/meta/image/image.160000"
	rm "$t/remote/fe2/meta/image/image.120000"
	in_ns starrocks-fe-recover --version 3.2.5 "$t/sr/fe1" "root@127.0.0.1:$t/remote/fe2" "$t/sr/fe3"
	assert_equal "$status" 5
	[[ "$stderr" == *"the newest copy is root@127.0.0.1:$t/remote/fe2 (fetched to $copy/meta): run this recipe on that node"* ]]
	# a host not in known_hosts is refused (exit 4), nothing fetched
	: >"$t/home/.ssh/known_hosts"
	rm -rf "$copy"
	in_ns starrocks-fe-recover --version 3.2.5 "$t/sr/fe1" "root@127.0.0.1:$t/remote/fe2"
	assert_equal "$status" 4
	[[ "$stderr" == *"root@127.0.0.1:$t/remote/fe2: cannot log in to root@127.0.0.1 (is its host key in ~/.ssh/known_hosts, and may this key log in?): "* ]]
	[ ! -e "$copy" ]
}

@test "ssh recipe: moosefs-metarestore --source HOST:DIR restores from a metalogger copy fetched with scp, as from the local one (exit 0)" {
	requires moosefs
	netns_sshd
	local m=$FIXTURES/moosefs
	# the master's disk lost its newest changelog; the metalogger has everything
	cp -r "$m/full/data" "$T/d1"
	rm "$T/d1/changelog.0.mfs"
	cp -r "$T/d1" "$T/d2"
	in_ns moosefs-metarestore --yes --source "root@127.0.0.1:$m/metalogger/data" "$T/d1"
	assert_success
	local copy=$T/d1.rescue/remote/root@127.0.0.1$m/metalogger/data
	[[ "$stderr" == *"moosefs-metarestore: restoring from $copy"* ]]
	in_ns moosefs-metarestore --yes --source "$m/metalogger/data" "$T/d2"
	assert_success
	diff <(mfsmetadump "$T/d1/metadata.mfs" | sort) <(mfsmetadump "$T/d2/metadata.mfs" | sort)
}

@test "ssh recipe: leofs-manager-recover --partner HOST:DIR copies the partner's mnesia files fetched with scp (exit 0)" {
	netns_sshd
	cp -r "$FIXTURES/recipes/leofs" "$T/lf"
	local m1=$T/lf/leo_manager_1/work/mnesia/127.0.0.1
	rm "$m1"/*.DCD
	: >"$m1/LATEST.LOG"
	in_ns leofs-manager-recover --yes --case 1 --broken "$T/lf/leo_manager_1" --partner "root@127.0.0.1:$T/lf/leo_manager_0"
	assert_success
	assert_equal "$(printf '%s\n' "$stderr" | tail -n 1)" "leofs-manager-recover: all 5 steps done"
	diff -r "$T/lf/leo_manager_0/work/mnesia/127.0.0.1" "$m1"
	[ -d "$T/lf/leo_manager_1.rescue/remote/root@127.0.0.1$T/lf/leo_manager_0/work/mnesia/127.0.0.1" ]
}

@test "ssh recipe: a node that does not answer, or stops sending mid-copy, fails the fetch after RESCUE_SSH_TIMEOUT (exit 4), not never" {
	# the session runs 'true' (the login check) but stalls on scp's command
	netns_sshd 'ForceCommand /bin/sh -c '"'"'[ "$SSH_ORIGINAL_COMMAND" = true ] || exec sleep 100'"'"
	cp -r "$FIXTURES/recipes/starrocks" "$T/sr"
	mkdir -p "$T/remote"
	mv "$T/sr/fe2" "$T/remote/fe2"
	SECONDS=0
	RESCUE_SSH_TIMEOUT=2 in_ns starrocks-fe-recover --version 3.2.5 "$T/sr/fe1" "root@127.0.0.1:$T/remote/fe2"
	assert_equal "$status" 4
	[[ "$stderr" == *"dbclient: Connection to root@127.0.0.1:22 exited: Idle timeout"* ]]
	[[ "$stderr" == *"root@127.0.0.1:$T/remote/fe2: nothing was fetched (the connection ended early; see above)"* ]]
	[ "$SECONDS" -lt 60 ]
	[ ! -e "$T/sr/fe1.rescue/remote/root@127.0.0.1$T/remote/fe2" ]
	# a port that accepts and never speaks (no ssh banner): the login is cut
	ip netns exec "$NETNS" timeout 100 busybox nc -l -p 2222 -e sleep 100 &
	local nc=$!
	printf '#!/bin/sh\nexec dbclient -p 2222 "$@"\n' >"$T/bin/ssh2222"
	chmod +x "$T/bin/ssh2222"
	SECONDS=0
	RESCUE_SSH=ssh2222 RESCUE_SSH_TIMEOUT=2 in_ns starrocks-fe-recover --version 3.2.5 "$T/sr/fe1" "root@127.0.0.1:$T/remote/fe2"
	assert_equal "$status" 4
	[[ "$stderr" == *"root@127.0.0.1:$T/remote/fe2: root@127.0.0.1 did not answer within 2 s (RESCUE_SSH_TIMEOUT)"* ]]
	[ "$SECONDS" -lt 60 ]
	kill "$nc" 2>/dev/null || :
	RESCUE_SSH_TIMEOUT=soon in_ns starrocks-fe-recover --version 3.2.5 "$T/sr/fe1" "root@127.0.0.1:$T/remote/fe2"
	assert_equal "$status" 2
}
