#!/usr/bin/env bats
# arm64 (issue 17): out/arm64/rescue, cross-built by `make check` (mk/arch.mk),
# run under qemu-aarch64 user mode against the x86-64 out/rescue: the same
# inputs give the same bytes on both, and what one architecture writes the
# other reads (blksync deltas and pushes, metasnap archives, MooseFS metadata).
load helpers

# $O and $W as tests/run has them (relative to the top, or absolute)
abs() { case $1 in /*) echo "$1" ;; *) echo "$TOP_DIR/$1" ;; esac; }
A64=$(abs "${O:-out}")/arm64/rescue
A64_UNIT=$(abs "${W:-build}")/arm64/unit

setup_file() {
	# make check builds it: missing is a failure, never a skip
	[ -x "$A64" ] || { echo "no $A64: run make check (or make all-arches)" >&2; return 1; }
	# a64/rescue runs the arm64 binary under qemu with the argv[0] it was
	# called by, so a64/bin/TOOL -> ../rescue dispatches as out/bin/TOOL does
	local d=$BATS_FILE_TMPDIR/a64
	mkdir -p "$d/bin"
	printf '#!/bin/sh\nexec qemu-aarch64 -0 "$0" %q "$@"\n' "$A64" >"$d/rescue"
	chmod +x "$d/rescue"
	for t in $("$RESCUE" --list); do ln -s ../rescue "$d/bin/$t"; done
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	X86=$RESCUE
	ARM=$BATS_FILE_TMPDIR/a64/rescue
	export SOURCE_DATE_EPOCH=1700000000
}

# both ARGS...: run `rescue ARGS...` on each architecture (stdout to x86.out
# and arm.out, stderr to *.err); both must succeed with the same stdout
both() {
	timeout 300 "$X86" "$@" >x86.out 2>x86.err || fail "x86-64: rescue $* failed ($?): $(cat x86.err)"
	timeout 300 "$ARM" "$@" >arm.out 2>arm.err || fail "arm64: rescue $* failed ($?): $(cat arm.err)"
	cmp x86.out arm.out
}

# mkimg FILE BYTES: random content, with a run of zeros in the middle
mkimg() {
	{ head -c "$(($2 / 2))" /dev/urandom; head -c 65536 /dev/zero; head -c "$(($2 - $2 / 2 - 65536))" /dev/urandom; } >"$1"
}

@test "arm64: out/arm64/rescue is a static aarch64 executable" {
	run file -b "$A64"
	assert_output --partial "ARM aarch64"
	assert_output --partial "statically linked"
	run file -b "$RESCUE"
	assert_output --partial "x86-64"
}

# value VAR [MAKE ARGS...]: what the Makefile makes of VAR (nothing is built)
value() {
	local var=$1
	shift
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$TOP_DIR" --eval "rescue-show-value: ; @echo '\$($var)'" "$@" rescue-show-value
}

@test "arm64: ARCH=arm64 has its own compiler, dirs and kernels; an exported ARCH is ignored; no arm64 boot media but the UEFI ISO, no links (exit 2)" {
	assert_equal "$(value CC ARCH=arm64) $(value W ARCH=arm64) $(value O ARCH=arm64) $(value ZLIB ARCH=arm64)" \
		"aarch64-linux-musl-gcc build/arm64 out/arm64 build/arm64/zlib/libz.a"
	assert_equal "$(value CC ARCH=aarch64 ARM64_CC=my-cc) $(value O ARCH=arm64 O=/tmp/o)" "my-cc /tmp/o"
	# the x86-64 defaults, also under an exported ARCH (kernel builds export one)
	assert_equal "$(env ARCH=arm64 bash -c "$(declare -f value); value CC") $(value W) $(value O) $(value ZLIB)" \
		"musl-gcc build out build/zlib/libz.a"
	run value CC ARCH=sparc
	assert_equal "$status" 2
	assert_output --partial "ARCH=sparc: use x86_64 (the default) or arm64"
	assert_equal "$(value ARCH_KERNELS ARCH=arm64) $(value ARCH_CROSS ARCH=arm64) $(value TARGET_RUN ARCH=arm64) $(value MKOCI_ARCH ARCH=arm64)" \
		"build/arm64/kernels aarch64-linux-gnu- qemu-aarch64 -a arm64"
	assert_equal "$(value ARCH_KERNELS) $(value ARCH_CROSS)|$(value TARGET_RUN)|$(value MKOCI_ARCH)|" "build/kernels |||"
	local g
	for g in media links; do
		run env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$TOP_DIR" -n ARCH=arm64 "$g"
		assert_equal "$status" 2
		assert_output --partial "ARCH=arm64 builds out/arm64/rescue, its images, its UEFI ISO (no other boot media, no links) and its unit tests"
	done
	# the UEFI ISO is part of ARCH=arm64's `all`, with the arm64 loaders
	assert_equal "$(value ARCH_ALL ARCH=arm64) $(value ARCH_ISO_ARGS ARCH=arm64)|$(value ARCH_ISO_ARGS)|" "images out/arm64/rescue.iso -a arm64||"
	# the private kernel headers are the arm64 ones, and only linux/ asm/ asm-generic/
	assert_equal "$(cd "$TOP_DIR/build/arm64/kernel-headers" && echo *)" "asm asm-generic linux"
	[ -e "$TOP_DIR/build/arm64/kernel-headers/asm/sve_context.h" ]
	[ ! -e "$TOP_DIR/build/kernel-headers/asm/sve_context.h" ]
}

@test "arm64: the arm64 images hold the aarch64 busybox, dropbear and rescue, Debian's arm64 kernel and modules; the OCI image is linux/arm64" {
	local o=$TOP_DIR/${O:-out}/arm64 t=$TOP_DIR/${W:-build}/arm64/image/tree f
	for f in rescue-initramfs.cpio.gz rescue-vmlinuz rescue-oci.tar; do
		[ -s "$o/$f" ] || fail "no $o/$f (make check builds it)"
	done
	run file -b "$o/rescue-vmlinuz"
	assert_output --partial "Linux kernel ARM64 boot executable Image"
	mkdir x
	(cd x && zcat "$o/rescue-initramfs.cpio.gz" | cpio -id --quiet) || fail "cannot unpack the initramfs"
	cmp x/bin/rescue "$A64"
	for f in x/bin/busybox x/bin/dropbearmulti; do
		run file -b "$f"
		assert_output --partial "ARM aarch64"
		assert_output --partial "statically linked"
	done
	# the modules are the arm64 kernel's (its vermagic), xz'd as on x86-64
	grep -qx "kernel $(sed -n 's/^KERNEL_ARM64_CLOUD_PACKAGE := linux-image-//p' "$TOP_DIR/config/kernel.conf")" "$t/manifest"
	f=$(find x/lib/modules -name virtio_blk.ko.xz)
	[ -n "$f" ] || fail "no virtio_blk in the arm64 image"
	xz -dc "$f" | strings | grep -q '^vermagic=6\.1\.[0-9]*-[0-9]*-cloud-arm64 SMP .*aarch64$'
	# the profile's modules, as on x86-64 (with their own dependencies:
	# arm64's dm-mod needs dax, built in on x86-64); each one is there
	assert_equal "$(grep '^RESCUE_MODULES=' x/etc/rescue.conf)" \
		"$(grep '^RESCUE_MODULES=' "$TOP_DIR/${W:-build}/image/tree/rootfs/etc/rescue.conf")"
	for f in $(sed -n "s/^RESCUE_MODULES='\(.*\)'$/\1/p" x/etc/rescue.conf); do
		grep -q "^kernel/.*/${f//_/[-_]}\.ko\.xz:" x/lib/modules/*/modules.dep || fail "module $f is not in the arm64 image"
	done
	run --separate-stderr skopeo inspect docker-archive:"$o/rescue-oci.tar"
	assert_success
	assert_equal "$(jq -r '.Os + "/" + .Architecture' <<<"$output")" "linux/arm64"
	run tar -xOf "$o/rescue-oci.tar" index.json
	assert_equal "$(jq -r '.manifests[0].platform | .os + "/" + .architecture' <<<"$output")" "linux/arm64"
}

@test "arm64: build-rootfs refuses busybox = debian (the build machine's busybox-static) in a cross build (exit 3)" {
	mkdir -p k/cloud
	{ echo 'busybox = debian'; echo "applets = $(sed 's/#.*//' "$TOP_DIR/initramfs/init.applets" | tr '\n' ' ')"; } >p.conf
	run --separate-stderr env CROSS_COMPILE=aarch64-linux-gnu- TARGET_RUN=qemu-aarch64 "$TOP_DIR/initramfs/build-rootfs" \
		-p p.conf -r "$A64" -b "$TOP_DIR/build/debroot/bin/busybox" -k k -R "$TOP_DIR/recipes" -o img
	assert_equal "$status" 3
	assert_equal "$stderr" "build-rootfs: p.conf:1: busybox = debian is this machine's busybox-static; a cross build needs busybox = musl"
	[ ! -e img/rootfs/bin/busybox ]
}

@test "arm64: the C unit tests pass under qemu-aarch64 (SHA-256 vectors, formats, MooseFS core)" {
	local t n=0 line
	for t in "$A64_UNIT"/test_*; do
		case $t in *.d) continue ;; esac
		run timeout 300 qemu-aarch64 "$t"
		echo "$output" >&2
		assert_success
		line=${output##*$'\n'}
		[[ $line =~ ^[0-9]+\ passed,\ 0\ failed$ ]] || fail "${t##*/}: $line"
		n=$((n + 1))
	done
	# every unit test file was built for arm64
	assert_equal "$n" "$(ls "$TOP_DIR"/tests/unit/test_*.c | wc -l)"
}

@test "arm64: the same tools, and every tool's --help (also by link name) is the x86-64 one (exit 0)" {
	both --list
	[ "$(wc -l <arm.out)" -ge 9 ]
	both --version
	for t in $("$X86" --list); do
		both "$t" --help
		[ -s arm.out ] || fail "$t --help printed nothing"
		timeout 60 "$BATS_FILE_TMPDIR/a64/bin/$t" --help >link.out || fail "arm64 $t --help by link name failed"
		cmp x86.out link.out
	done
	# a usage error is exit 2 there too
	run --separate-stderr timeout 60 "$ARM" mkcpio --no-such-option
	assert_equal "$status" 2
}

# suite FILE [NAME...]: tests/FILE.bats with the arm64 binary under qemu (its
# RESCUE and out/bin links are the a64 wrapper), every test but the NAMEs
# given (each with its reason where suite is called); all must pass, none skip
suite() {
	local file=$TOP_DIR/tests/$1.bats names re="" n x
	shift
	names=$(sed -n 's/^@test "\(.*\)" {$/\1/p' "$file")
	for x in "$@"; do
		grep -qxF -- "$x" <<<"$names" || fail "suite $file: no test named '$x'"
	done
	while IFS= read -r n; do
		for x in "$@"; do [ "$n" != "$x" ] || continue 2; done
		re+="${re:+|}^$(sed 's/[][\.*^$()+?{}|/]/\\&/g' <<<"$n")\$"
	done <<<"$names"
	run timeout 1200 env RESCUE="$ARM" bats --tap -f "$re" "$file"
	echo "$output" >&2
	assert_success
	refute_output --partial '# skip'
	refute_output --regexp '^not ok'
	assert_equal "$(grep -c '^ok ' <<<"$output")" "$(($(wc -l <<<"$names") - $#))"
}

# Every test of the tool files that check formats and their oracles (the real
# MooseFS restore, GNU cpio, skopeo/umoci, cmp), run with the arm64 binary.
@test "arm64: tests/mfsmetarestore.bats passes under qemu-aarch64 (the scenarios equal the real restore)" {
	requires moosefs root
	suite mfsmetarestore
}

@test "arm64: tests/mfsmetadump.bats passes under qemu-aarch64" {
	requires moosefs
	suite mfsmetadump
}

@test "arm64: tests/blksync.bats passes under qemu-aarch64" {
	suite blksync
}

@test "arm64: tests/metasnap.bats passes under qemu-aarch64" {
	# hashes and deflates GiBs: minutes in emulation, and the sparse file is
	# also in the cross-architecture round trip below
	suite metasnap "metasnap: a multi-GiB sparse file and a large file round trip, holes kept"
}

@test "arm64: tests/confset.bats passes under qemu-aarch64" {
	# not under qemu: a test that reads $RESCUE as a binary config (here the
	# wrapper script), and two that time or fail the Nth read/write of
	# confset with strace, which counts qemu's own reads and writes too
	suite confset "confset: a real binary (this program) is refused (exit 3)" \
		"confset: write failing with ENOSPC: target intact, no temp file (exit 4)" \
		"confset: a file changed by someone else while confset works is not written (exit 5)"
}

@test "arm64: tests/mkcpio.bats, mkoci.bats, dumpplan.bats and metapick.bats pass under qemu-aarch64" {
	suite mkcpio
	suite mkoci
	suite dumpplan
	suite metapick
}

@test "arm64: mfsmetarestore and mfsmetadump write the same bytes on both architectures" {
	local s
	for s in small full metalogger; do
		mkdir -p "x86-$s" "arm-$s"
		cp "$FIXTURES/mfsmetarestore/$s"/* "x86-$s/"
		cp "$FIXTURES/mfsmetarestore/$s"/* "arm-$s/"
		timeout 300 "$X86" mfsmetarestore -q -a -d "x86-$s" || fail "x86-64 restore of $s"
		timeout 300 "$ARM" mfsmetarestore -q -a -d "arm-$s" || fail "arm64 restore of $s"
		# these scenarios keep their root (no wall clock in the result):
		# byte-identical, as each is to the real restore
		cmp "x86-$s/metadata.mfs" "arm-$s/metadata.mfs"
		both mfsmetadump "arm-$s/metadata.mfs"
	done
	# a metadata file read by both: the same dump
	both mfsmetadump "$FIXTURES/mfsmetarestore/full/metadata.mfs.back"
}

@test "arm64: blksync signatures and deltas are the same bytes; a delta made on one architecture patches on the other (cmp)" {
	local h
	mkimg base.img 3000000
	cp base.img src.img
	scribble src.img 0 5 300 731
	for h in xxh3 sha256; do
		both blksync sig -q --seed 42 --hash="$h" base.img
		mv x86.out sigs."$h"
		both blksync diff -q src.img sigs."$h"
		mv x86.out delta."$h"
		# made on x86-64, applied by arm64; and the other way round
		cp base.img a.img
		timeout 300 "$ARM" blksync patch a.img delta."$h" || fail "arm64 patch ($h)"
		cmp src.img a.img
		cp base.img b.img
		timeout 300 "$ARM" blksync sig -q --seed 7 --hash="$h" b.img >sigs.arm
		timeout 300 "$ARM" blksync diff -q src.img sigs.arm >delta.arm
		timeout 300 "$X86" blksync patch b.img delta.arm || fail "x86-64 patch ($h)"
		cmp src.img b.img
	done
	# full images: the same bytes, restored across
	both blksync full -q --seed 9 src.img
	mv x86.out full.img
	timeout 300 "$ARM" blksync restore full.img r.img
	cmp src.img r.img
	both blksync verify src.img r.img
}

@test "arm64: blksync push between architectures, and a checkpoint left by one resumed by the other (cmp)" {
	mkimg src.img 6000000
	cp src.img dst.img
	scribble src.img 1 2 900
	timeout 300 "$X86" blksync push -q src.img -- "$ARM" blksync serve dst.img || fail "x86-64 push to arm64 serve"
	cmp src.img dst.img
	scribble src.img 3 1000
	timeout 300 "$ARM" blksync push -q --hash=sha256 src.img -- "$X86" blksync serve dst.img || fail "arm64 push to x86-64 serve"
	cmp src.img dst.img
	# a push killed part way leaves a checkpoint; the other architecture resumes it
	mkimg big.img 33554432
	: >part.img
	# (no timeout wrapper: the KILL must reach push itself)
	"$X86" blksync push -q --resume ck big.img -- \
		sh -c "echo \$\$ >serve.pid; perl -e '\$|=1; while (sysread(STDIN, \$b, 65536)) { syswrite(STDOUT, \$b); select(undef, undef, undef, 0.01) }' | exec \"$X86\" blksync serve part.img" 2>/dev/null &
	local pid=$!
	for _ in $(seq 300); do [ -e ck ] && break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" || true
	timeout 30 sh -c 'while [ ! -e serve.pid ] || kill -0 "$(cat serve.pid)" 2>/dev/null; do sleep 0.1; done'
	[ -s ck ] || fail "no checkpoint"
	done=$(sed -n 's/^done //p' ck)
	[ "$done" -gt 0 ] && [ "$done" -lt 33554432 ]
	run timeout 600 "$ARM" blksync push --resume ck big.img -- "$X86" blksync serve part.img
	assert_success
	assert_equal "${output%%$'\n'*}" "blksync: ck: resuming at $done (the done range checked on both sides)"
	cmp big.img part.img
	[ ! -e ck ]
}

# tree DIR: files, a sparse file, links, odd names, modes and times
tree() {
	mkdir -p "$1/sub/deeper" "$1/empty"
	head -c 200000 /dev/urandom >"$1/random.bin"
	seq 1 20000 >"$1/sub/numbers.txt"
	printf 'x' >"$1/sub/deeper/one"
	truncate -s 5M "$1/sparse"
	printf 'tail' >>"$1/sparse"
	ln -s sub/numbers.txt "$1/link"
	ln "$1/sub/deeper/one" "$1/hardlink"
	printf 'odd\n' >"$1/name with spaces and é"
	# bytes >= 0x80 that are not UTF-8: char is signed on x86-64, unsigned on arm64
	printf 'raw\n' >"$1/$(printf 'bytes-\377\200-\301')"
	chmod 600 "$1/random.bin"
	chmod 4755 "$1/sub/deeper/one"
	find "$1" -exec touch -h -d @1600000000 {} +
}

@test "arm64: metasnap archives are the same bytes; saved on one architecture, restored and verified on the other (diff -r)" {
	tree src
	timeout 300 "$ARM" metasnap save -q -j 3 src -o arm.tar.gz || fail "arm64 save"
	timeout 300 "$X86" metasnap save -q -j 1 src -o x86.tar.gz || fail "x86-64 save"
	cmp x86.tar.gz arm.tar.gz
	timeout 300 "$ARM" metasnap verify -q x86.tar.gz || fail "arm64 verify of the x86-64 archive"
	timeout 300 "$X86" metasnap verify -q arm.tar.gz || fail "x86-64 verify of the arm64 archive"
	timeout 300 "$ARM" metasnap restore -q x86.tar.gz on-arm || fail "arm64 restore"
	timeout 300 "$X86" metasnap restore -q arm.tar.gz on-x86 || fail "x86-64 restore"
	diff -r src on-arm
	diff -r src on-x86
	timeout 300 "$X86" metasnap diff x86.tar.gz on-arm || fail "x86-64 diff of the arm64 restore"
	timeout 300 "$ARM" metasnap diff arm.tar.gz on-x86 || fail "arm64 diff of the x86-64 restore"
	[ "$(stat -c '%a %Y' on-arm/sub/deeper/one)" = "4755 1600000000" ]
}

@test "arm64: mkcpio and mkoci write the same bytes on both architectures; each lists the other's" {
	tree root
	both mkcpio -q -o - root
	both mkcpio -q -z -o - root
	mv x86.out x86.cpio.gz
	mv arm.out arm.cpio.gz
	both mkcpio -t -v arm.cpio.gz
	both mkoci -q -t test:1 -e /bin/true -E A=b -o - root
	both dumpplan -q -c 1T "$FIXTURES/dumpplan/coda-volumes.txt"
	both dumpplan -q -b -c 8G "$FIXTURES/dumpplan/suffixes-comments-crlf.txt"
}

# each ARGS...: run `rescue ARGS...` on each architecture, status and both
# streams to x86.* and arm.*; they must be the same
each() {
	local rc
	rc=0; timeout 300 "$X86" "$@" >x86.out 2>x86.err || rc=$?
	echo "$rc" >x86.rc
	rc=0; timeout 300 "$ARM" "$@" >arm.out 2>arm.err || rc=$?
	echo "$rc" >arm.rc
	cmp x86.rc arm.rc
	cmp x86.out arm.out
	cmp x86.err arm.err
}

@test "arm64: confset reads, edits and refuses bytes >= 0x80 and control bytes as on x86-64" {
	printf '# caf\303\251 \377\200\n KEY = caf\303\251 \377 x\r\nK\303\251Y = 1\nOTHER=\200\n' >base.cfg
	cp base.cfg x.cfg
	each confset --list x.cfg
	[ "$(cat x86.rc)" = 0 ]
	each confset --dump x.cfg
	each confset --get 'K''\303\251''Y' x.cfg
	# an edit by each gives the same file
	cp base.cfg x.cfg
	timeout 60 "$X86" confset -q --no-backup x.cfg OTHER "v$(printf '\351\377')" || fail "x86-64 edit"
	cp base.cfg a.cfg
	timeout 60 "$ARM" confset -q --no-backup a.cfg OTHER "v$(printf '\351\377')" || fail "arm64 edit"
	cmp x.cfg a.cfg
	# refused alike: a control byte in a value, a high byte in a file that is binary
	cp base.cfg x.cfg
	each confset --no-backup x.cfg OTHER "$(printf 'a\001b')"
	[ "$(cat x86.rc)" = 2 ]
	cmp base.cfg x.cfg
	printf 'A = 1\n\377\376\000\001\n' >bin.cfg
	each confset --list bin.cfg
	[ "$(cat x86.rc)" = 3 ]
}

@test "arm64: an arm64 build in another tree (busybox and dropbear cross-built again) is byte-identical to out/arm64/rescue, its images and its ISO" {
	mkdir -p t/tests t/bench
	cp -a "$TOP_DIR/Makefile" "$TOP_DIR/config" "$TOP_DIR/mk" "$TOP_DIR/rescue" "$TOP_DIR/initramfs" "$TOP_DIR/recipes" t/
	cp -a "$TOP_DIR/tests/rules.mk" "$TOP_DIR/tests/packages.txt" t/tests/
	cp -a "$TOP_DIR/bench/rules.mk" t/bench/
	# build/ is shared (the fetched inputs, the arm64 zlib, headers and
	# kernel), but for the busybox and dropbear build caches: both are
	# cross-built again here
	mkdir -p t/build/arm64
	for f in "$TOP_DIR"/build/*; do [ "${f##*/}" = arm64 ] || ln -s "$f" t/build/; done
	for f in "$TOP_DIR"/build/arm64/*; do
		case ${f##*/} in busybox | dropbear) ;; *) ln -s "$f" t/build/arm64/ ;; esac
	done
	# the same source and time as out/arm64/; another path, two jobs (CI's
	# make check runs one), another umask; W= and O= on the command line, as
	# `make check` and `make all-arches` run it
	# (out/arm64's time: its OCI config's "created"; a commit since then
	# changes the Makefile's default, not images already made)
	local epoch f o=${A64%/rescue} cfg
	cfg=$(tar -xOf "$o/rescue-oci.tar" manifest.json | jq -r '.[0].Config')
	epoch=$(date -ud "$(tar -xOf "$o/rescue-oci.tar" "$cfg" | jq -r .created)" +%s)
	run timeout 900 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL sh -c 'umask 002; exec "$@"' - make -C t -s -j2 ARCH=arm64 \
		SOURCE_DATE_EPOCH="$epoch" W="$PWD/w" O="$PWD/o" "$PWD/o/rescue" images "$PWD/o/rescue.iso"
	assert_success
	[ -x o/rescue ] && [ ! "o/rescue" -ef "$A64" ]
	for f in rescue rescue-initramfs.cpio.gz rescue-vmlinuz rescue-oci.tar rescue.iso; do
		cmp "o/$f" "$o/$f"
	done
}
