#!/usr/bin/env bats
# initramfs/build-rootfs: a profile becomes a root tree; every missing item is
# an error naming it (exit 3).  Uses the fetched Debian kernel and busybox.
load ../helpers

setup() {
	DEBROOT=$TOP_DIR/build/debroot
	KERNELS=$TOP_DIR/build/kernels
	[ -x "$DEBROOT/bin/busybox" ] || fail "no build/debroot (make fetch)"
	KVER=$(basename "$(ls -d "$KERNELS"/cloud/lib/modules/*/ | head -n 1)")
	cd "$BATS_TEST_TMPDIR"
	cp "$TOP_DIR/config/default.conf" p.conf
}

# build: build-rootfs on PROFILE (default p.conf); busybox = musl builds in
# the build's own cache (build/busybox, build/dropbear), so the profiles of
# config/ are built there already by make
build() {
	BB_DSC=$(ls "$TOP_DIR"/build/src/busybox_*.dsc | head -n 1)
	DB_DSC=$(ls "$TOP_DIR"/build/src/dropbear_*.dsc | head -n 1)
	run --separate-stderr "$TOP_DIR/initramfs/build-rootfs" -p "${PROFILE:-p.conf}" -r "$RESCUE" \
		-b "$DEBROOT/bin/busybox" -s "$BB_DSC" -H "$TOP_DIR/build/kernel-headers" -c "$TOP_DIR/build/busybox" \
		-D "$DB_DSC" -C "$TOP_DIR/build/dropbear" -k "${KROOTS:-$KERNELS}" -R "$TOP_DIR/recipes" -o out
}

# words FILE...: the words of the files, one a line, sorted, once each
words() { sed 's/#.*//' "$@" | tr -s ' \t' '\n\n' | sed '/^$/d' | LC_ALL=C sort -u; }

@test "profile: the default profile has every tool, every recipe and the modules' dependencies (exit 0)" {
	build
	assert_success
	assert_equal "$(sed -n 's/^tool //p' out/manifest)" "$("$RESCUE" --list)"
	assert_equal "$(sed -n 's/^recipe //p' out/manifest | sort)" "$(ls "$TOP_DIR/recipes" | sort)"
	m=out/modules/lib/modules/$KVER
	# virtio_blk came with what modules.dep says it needs, listed before it
	run sed -n 's/^module //p' out/manifest
	assert_line kernel/drivers/virtio/virtio_ring.ko.xz
	assert_line kernel/drivers/virtio/virtio.ko.xz
	assert_line kernel/fs/xfs/xfs.ko.xz
	assert_line kernel/lib/libcrc32c.ko.xz
	[ "$(grep -n virtio_ring.ko out/manifest | cut -d: -f1)" -lt "$(grep -n virtio_blk.ko out/manifest | cut -d: -f1)" ]
	assert_equal "$(grep -c . "$m/modules.dep")" "$(grep -c '^module ' out/manifest)"
	grep -qx 'kernel/drivers/block/virtio_blk.ko.xz: kernel/drivers/virtio/virtio.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz' "$m/modules.dep"
	# aliases for coldplug and on-demand loading, only of modules in the image
	grep -qx 'alias fs-xfs xfs' "$m/modules.alias"
	grep -qx 'alias virtio:d00000002v\* virtio_blk' "$m/modules.alias"
	run grep -c ' btrfs$' "$m/modules.alias"
	assert_output 0
	grep -qx "RESCUE_LOAD='needed'" out/rootfs/etc/rescue.conf
	[ -L out/rootfs/bin/sh ] && [ "$(readlink out/rootfs/bin/sh)" = busybox ]
	[ "$(readlink out/rootfs/bin/mkcpio)" = rescue ]
	[ ! -e out/rootfs/lib/modules ]
	grep -qx "RESCUE_KERNEL='$KVER'" out/rootfs/etc/rescue.conf
}

@test "profile: busybox = musl (the default) is built with exactly the profile's applets and /init's, static" {
	build
	assert_success
	grep -qx 'busybox musl' out/manifest
	bb=out/rootfs/bin/busybox
	assert_equal "$("$bb" --list | grep -vx busybox | LC_ALL=C sort)" \
		"$( (out/rootfs/bin/rescue confset --profile --get applets p.conf; sed 's/#.*//' "$TOP_DIR/initramfs/init.applets") | words /dev/stdin)"
	file "$bb" | grep -q 'statically linked'
	"$bb" | head -n 1 | grep -q "^BusyBox v.* (Debian $(sed -n 's/^Version: //p' "$BB_DSC"), rescue musl) multi-call binary"
	# not Debian's glibc binary, and smaller
	run cmp -s "$bb" "$DEBROOT/bin/busybox"
	assert_failure
	[ "$(stat -c %s "$bb")" -lt "$(stat -c %s "$DEBROOT/bin/busybox")" ]
	# the shell has its built-ins and job control (not allnoconfig's shell)
	run "$bb" sh -c 'type cd; type jobs; echo $((6 * 7))'
	assert_success
	assert_line 'cd is a shell builtin'
	assert_line 'jobs is a shell builtin'
	assert_line 42
}

@test "profile: the modules are xz-compressed, each the kernel's .ko byte for byte (signature kept) (exit 0)" {
	build
	assert_success
	m=out/modules/lib/modules/$KVER
	n=0
	for p in $(sed -n 's/^module //p' out/manifest); do
		case $p in *.ko.xz) ;; *) fail "module $p is not .ko.xz" ;; esac
		xz -dc "$m/$p" | cmp - "$KERNELS/cloud/lib/modules/$KVER/${p%.xz}"
		xz -lvv "$m/$p" | grep -q 'CRC32' || fail "$p: not CRC32 (busybox's unxz)"
		n=$((n + 1))
	done
	[ "$n" -gt 10 ] || fail "only $n modules"
	[ -z "$(find out/modules -name '*.ko')" ] || fail "plain .ko left in the image"
}

@test "profile: at boot (TCG) every module loads from its .ko.xz, with no error line on the console" {
	requires qemu
	# a hook (sourced by /init before the recipe) lists the loaded modules
	printf '%s\n' 'echo "==MODULES $(awk '"'"'{ print $1 }'"'"' /proc/modules | sort | tr "\n" " ")=="' >lsmod.sh
	sed -i 's,^files =,files = lsmod.sh:/etc/rc/50-lsmod,; s/^load = needed/load = all/' p.conf
	build
	assert_success
	"$RESCUE" mkcpio -q -z -l out/devices.list -o initrd.gz out/rootfs out/modules
	run timeout 120 qemu-system-x86_64 -accel tcg -nographic -no-reboot -m 512 -nic none \
		-kernel out/vmlinuz -initrd initrd.gz -append "console=ttyS0 panic=1 rescue.then=poweroff" </dev/null
	printf '%s\n' "$output" | tr -d '\r' >console.log
	grep -q '^rescue: poweroff' console.log || fail "no poweroff: $(cat console.log)"
	loaded=$(sed -n 's/^==MODULES \(.*\) ==$/\1/p' console.log)
	for p in $(sed -n 's/^module //p' out/manifest); do
		n=${p##*/}; n=${n%.ko.xz}
		case " $loaded " in *" $(echo "$n" | tr - _) "*) ;; *) fail "module $n not loaded (loaded: $loaded)" ;; esac
	done
	# the kernel's (Invalid ELF header, module verification failed) and
	# /init's (could not load module, warning) complaints
	run grep -iE 'invalid elf|module verification|could not load|rescue: warning|modprobe' console.log
	assert_output ''
}

@test "profile: busybox = debian is Debian's busybox-static, modules stay plain .ko (exit 0)" {
	sed -i 's/^busybox = musl$/busybox = debian/' p.conf
	grep -qx 'busybox = debian' p.conf
	build
	assert_success
	cmp out/rootfs/bin/busybox "$DEBROOT/bin/busybox"
	grep -qx 'busybox debian' out/manifest
	grep -qx 'module kernel/fs/xfs/xfs.ko' out/manifest
	grep -q '^kernel/drivers/block/virtio_blk.ko: ' "out/modules/lib/modules/$KVER/modules.dep"
	sed -i 's/^busybox = debian/busybox = glibc/' p.conf
	build
	assert_equal "$status" 3
	assert_equal "$stderr" "build-rootfs: p.conf:$(grep -n '^busybox' p.conf | cut -d: -f1): busybox must be musl or debian, not 'glibc'"
}

@test "profile: another profile (config/minimal.conf) builds a smaller tree (exit 0)" {
	PROFILE=$TOP_DIR/config/minimal.conf build
	assert_success
	assert_equal "$(sed -n 's/^recipe //p' out/manifest)" "$(printf 'selftest\n%s' "$([ -f "$TOP_DIR/recipes/lib.sh" ] && echo lib.sh)" | sed '/^$/d')"
	[ ! -e out/rootfs/bin/vi ]
	grep -qx "RESCUE_HOSTNAME='rescue-min'" out/rootfs/etc/rescue.conf
}

@test "profile: a missing module is an error naming it and the profile line (exit 3)" {
	sed -i 's/^modules = virtio_pci/modules = no_such_mod virtio_pci/' p.conf
	line=$(grep -n '^modules' p.conf | cut -d: -f1)
	build
	assert_equal "$status" 3
	assert_equal "$stderr" "build-rootfs: p.conf:$line: no module no_such_mod in kernel $KERNELS/cloud/lib/modules/$KVER"
}

@test "profile: a module whose dependency is missing is an error naming both (exit 3)" {
	# a kernel tree with virtio_blk.ko but without the virtio_ring.ko it needs
	k=$BATS_TEST_TMPDIR/kroots/cloud/lib/modules/$KVER
	mkdir -p "$k/kernel/drivers/block" "$k/kernel/drivers/virtio" "$BATS_TEST_TMPDIR/kroots/cloud/boot"
	cp "$KERNELS/cloud/boot/vmlinuz-$KVER" "$BATS_TEST_TMPDIR/kroots/cloud/boot/"
	cp "$KERNELS/cloud/lib/modules/$KVER/kernel/drivers/block/virtio_blk.ko" "$k/kernel/drivers/block/"
	cp "$KERNELS/cloud/lib/modules/$KVER/kernel/drivers/virtio/virtio.ko" "$k/kernel/drivers/virtio/"
	printf '%s\n' 'kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko' \
		'kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko' \
		'kernel/drivers/virtio/virtio_ring.ko:' >"$k/modules.dep"
	sed -i '/^modules = /,/virtio_net$/d' p.conf
	echo 'modules = virtio_blk' >>p.conf
	line=$(grep -n '^modules' p.conf | cut -d: -f1)
	KROOTS=$BATS_TEST_TMPDIR/kroots build
	assert_equal "$status" 3
	assert_equal "$stderr" "build-rootfs: p.conf:$line: module virtio_blk needs kernel/drivers/virtio/virtio_ring.ko, which is missing from $k"
}

@test "profile: a missing tool, applet, recipe or file is an error naming it (exit 3)" {
	sed 's/^tools = all/tools = mkcpio nosuchtool/' "$TOP_DIR/config/default.conf" >t.conf
	PROFILE=t.conf build
	assert_equal "$status" 3
	assert_equal "$stderr" "build-rootfs: t.conf:$(grep -n '^tools' t.conf | cut -d: -f1): no tool 'nosuchtool' in $RESCUE (see rescue --list)"
	sed 's/^applets = \\/applets = nosuchapplet \\/' "$TOP_DIR/config/default.conf" >a.conf
	PROFILE=a.conf build
	assert_equal "$status" 3
	assert_equal "$stderr" "build-rootfs: a.conf:$(grep -n '^applets' a.conf | cut -d: -f1): no applet 'nosuchapplet' in busybox $(sed -n 's/^Version: //p' "$BB_DSC") ($BB_DSC)"
	sed -i 's/^busybox = musl$/busybox = debian/' a.conf
	grep -qx 'busybox = debian' a.conf
	PROFILE=a.conf build
	assert_equal "$status" 3
	assert_equal "$stderr" "build-rootfs: a.conf:$(grep -n '^applets' a.conf | cut -d: -f1): no applet 'nosuchapplet' in $DEBROOT/bin/busybox"
	sed 's/^recipes = all/recipes = selftest nosuchrecipe/' "$TOP_DIR/config/default.conf" >r.conf
	PROFILE=r.conf build
	assert_equal "$status" 3
	assert_equal "$stderr" "build-rootfs: r.conf:$(grep -n '^recipes' r.conf | cut -d: -f1): no recipe 'nosuchrecipe' in $TOP_DIR/recipes/"
	sed 's,^files =,files = nosuch.txt:/etc/nosuch.txt,' "$TOP_DIR/config/default.conf" >f.conf
	PROFILE=f.conf build
	assert_equal "$status" 3
	assert_equal "$stderr" "build-rootfs: f.conf:$(grep -n '^files' f.conf | cut -d: -f1): no file 'nosuch.txt'"
}

@test "profile: an unknown key, a bad line and a bad value are errors (exit 3)" {
	echo 'colour = blue' >>p.conf
	build
	assert_equal "$status" 3
	assert_regex "$stderr" "^build-rootfs: p.conf:[0-9]+: unknown key 'colour' \\(known: .*\\)$"
	printf 'tools all\n' >b.conf
	PROFILE=b.conf build
	assert_equal "$status" 3
	assert_equal "$stderr" "build-rootfs: b.conf:1: not KEY = VALUE"
	sed 's/^load = needed/load = some/' "$TOP_DIR/config/default.conf" >l.conf
	PROFILE=l.conf build
	assert_equal "$status" 3
	assert_equal "$stderr" "build-rootfs: l.conf:$(grep -n '^load' l.conf | cut -d: -f1): 'load' must be all or needed, not 'some'"
	sed 's/^then = shell/then = explode/' "$TOP_DIR/config/default.conf" >v.conf
	PROFILE=v.conf build
	assert_equal "$status" 3
	assert_equal "$stderr" "build-rootfs: v.conf:$(grep -n '^then' v.conf | cut -d: -f1): 'then' must be shell, poweroff or reboot, not 'explode'"
}

@test "profile: a key set twice is an error naming both lines; a missing profile is exit 4" {
	echo 'load = all' >>p.conf
	first=$(grep -n '^load' p.conf | head -n 1 | cut -d: -f1)
	build
	assert_equal "$status" 3
	assert_equal "$stderr" "build-rootfs: p.conf:$(wc -l <p.conf): key 'load' set again (first at line $first)"
	[ ! -e out/rootfs ]
	PROFILE=nosuch.conf build
	assert_equal "$status" 4
	assert_equal "$stderr" "build-rootfs: nosuch.conf: no such file"
}

@test "profile: continued values and inline comments are read as the words they hold (exit 0)" {
	printf '%s\n' 'tools = mkcpio \   # two tools' '	  confset' '# recipes: none' \
		"applets = $(sed 's/#.*//' "$TOP_DIR/initramfs/init.applets" | xargs) \\" '  vi   # and an editor' \
		'recipes = selftest' 'modules =' 'hostname = box # the name' >c.conf
	PROFILE=c.conf build
	assert_success
	assert_equal "$(sed -n 's/^tool //p' out/manifest | xargs)" "mkcpio confset"
	grep -qx 'applet vi' out/manifest
	grep -qx "RESCUE_HOSTNAME='box'" out/rootfs/etc/rescue.conf
}

@test "profile: extra files land where the profile says (exit 0)" {
	echo 'hello' >extra.txt
	sed -i 's,^files =,files = extra.txt:/etc/extra/hello.txt,' p.conf
	build
	assert_success
	assert_equal "$(cat out/rootfs/etc/extra/hello.txt)" hello
	grep -qx 'file /etc/extra/hello.txt' out/manifest
}

@test "profile: PATH in /etc/profile and in oci.env is /init's own PATH line (exit 0)" {
	build
	assert_success
	init_path=$(sed -n 's/^PATH=//p' "$TOP_DIR/initramfs/init")
	[ -n "$init_path" ]
	grep -qxF "export PATH=$init_path" out/rootfs/etc/profile
	# the OCI PATH: /bin, the links to it that the tree has, then the rest
	assert_equal "$(cat out/oci.env)" "PATH=/bin:/sbin:/usr/bin:/usr/sbin:${init_path#/bin:}"
	for d in sbin usr/bin usr/sbin; do
		[ "$(cd out/rootfs/$d && pwd -P)" = "$(cd out/rootfs/bin && pwd -P)" ]
	done
}

@test "profile: a profile without an applet that /init needs is an error naming it (exit 3)" {
	needed=$(sed 's/#.*//' "$TOP_DIR/initramfs/init.applets" | xargs)
	[ -n "$needed" ]
	for a in $needed; do
		grep -qw -- "$a" "$TOP_DIR/initramfs/init" || fail "init.applets names $a, which initramfs/init does not use"
	done
	last=${needed##* }
	printf 'tools = all\napplets = %s\nrecipes = selftest\n' "${needed% "$last"}" >n.conf
	PROFILE=n.conf build
	assert_equal "$status" 3
	assert_equal "$stderr" "build-rootfs: n.conf:2: applet '$last' is needed by /init"
}

@test "profile: a profile without modules still makes the modules directory, empty (exit 0)" {
	sed -i 's/^modules = .*/modules =/; /^	virtio_net isofs$/d' p.conf
	grep -q '^modules =$' p.conf
	build
	assert_success
	[ -d out/modules ]
	assert_equal "$(find out/modules -mindepth 1 | wc -l)" 0
}
