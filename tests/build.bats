#!/usr/bin/env bats
# The build itself: make deps, make install, V=1, config.mak and the settings, make fetch's zlib
# and busybox sources, busybox built here.
load helpers

# copy_make_files TREE: the files make reads to parse the Makefile, into TREE
# (times kept, so nothing in a linked build/ looks out of date)
copy_make_files() {
	mkdir -p "$1/tests" "$1/initramfs" "$1/bench"
	cp -a "$TOP_DIR/Makefile" "$TOP_DIR/config" "$1/"
	[ ! -d "$TOP_DIR/mk" ] || cp -a "$TOP_DIR/mk" "$1/"
	cp -a "$TOP_DIR/tests/rules.mk" "$TOP_DIR/tests/packages.txt" "$1/tests/"
	cp -a "$TOP_DIR/initramfs/rules.mk" "$1/initramfs/"
	cp -a "$TOP_DIR/bench/rules.mk" "$1/bench/"
}

# build_tree TREE: the make files and the sources, with the fetched inputs of
# the real tree (build/) linked, so a config.mak can be tried without touching
# the developer's own
build_tree() {
	copy_make_files "$1"
	cp -a "$TOP_DIR/rescue" "$1/"
	ln -s "$TOP_DIR/build" "$1/build"
}

# cc_wrapper FILE LOG: a compiler that logs its arguments to LOG, then is musl-gcc
cc_wrapper() {
	printf '#!/bin/sh\necho "$*" >>%s\nexec musl-gcc "$@"\n' "$2" >"$1"
	chmod +x "$1"
}

@test "build: make deps as a non-root user names the missing packages and fails" {
	command -v setpriv >/dev/null || skip "needs setpriv"
	requires root
	# a copy of the make files that nobody can read, wherever the tree lives
	tree=$(mktemp -d /tmp/rescue-deps.XXXXXX)
	copy_make_files "$tree"
	chmod -R a+rX "$tree"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
		make -s -C "$tree" deps BUILD_PKGS="make rescue-no-such-package-1 rescue-no-such-package-2"
	rm -rf "$tree"
	assert_failure
	assert_output --partial "make: missing Debian packages: rescue-no-such-package-1 rescue-no-such-package-2"
	assert_output --partial "sudo apt-get install rescue-no-such-package-1 rescue-no-such-package-2"
}

@test "build: make deps with everything present does nothing and succeeds" {
	run make -s -C "$TOP_DIR" deps
	assert_success
	assert_output ""
}

@test "build: make install puts the binary, a link per tool and the man pages under DESTDIR" {
	dest="$BATS_TEST_TMPDIR/dest"
	run make -s -C "$TOP_DIR" install DESTDIR="$dest" PREFIX=/usr
	assert_success
	[ -x "$dest/usr/bin/rescue" ]
	cmp "$dest/usr/bin/rescue" "$RESCUE"
	tools=$("$RESCUE" --list)
	[ -n "$tools" ] || fail "rescue --list named no tool"
	for t in $tools; do
		assert_equal "$(readlink "$dest/usr/bin/$t")" rescue
		[ -f "$dest/usr/share/man/man1/$t.1" ] || fail "no man page for $t installed"
	done
	run "$dest/usr/bin/confset" --version
	assert_success
}

@test "build: V=1 shows the compiler command lines" {
	# a throw-away object dir so the real build is not touched
	run make -C "$TOP_DIR" V=1 W="$BATS_TEST_TMPDIR/w" O="$BATS_TEST_TMPDIR/o" "$BATS_TEST_TMPDIR/o/rescue"
	assert_success
	assert_output --regexp "musl-gcc -std=c11 -Wall -Wextra -Werror .* -c -o $BATS_TEST_TMPDIR/w/obj/rescue/main.o rescue/main.c"
	assert_output --regexp "musl-gcc -static"
	cmp "$BATS_TEST_TMPDIR/o/rescue" "$RESCUE"
}

@test "build: musl sees only linux/ asm/ asm-generic/ as kernel headers" {
	run ls "$TOP_DIR/build/kernel-headers"
	assert_success
	assert_output "asm
asm-generic
linux"
}

# make fetch's zlib: the newest revision apt knows may not be downloadable (the
# security archive lists revisions whose files it does not serve)
zlib_known_versions() {
	apt-cache showsrc zlib 2>/dev/null | sed -n 's/^Version: //p' | sort -u | tr '\n' ' '
}

@test "build: fetch-source falls back to the next revision when the first cannot be downloaded" {
	requires root
	known=$(zlib_known_versions)
	[ -n "$known" ] || fail "apt knows no zlib source (make fetch adds a deb-src list)"
	dir="$BATS_TEST_TMPDIR/src"
	ZLIB_VERSIONS="1:1.2.13.dfsg-99+rescue.unavailable $known" run "$TOP_DIR/mk/fetch-source" zlib "$dir"
	assert_success
	assert_output --partial "not downloadable: 1:1.2.13.dfsg-99+rescue.unavailable"
	rev=$(cat "$BATS_TEST_TMPDIR/zlib.revision")
	case " $known " in *" $rev "*) ;; *) fail "recorded revision '$rev' is not one apt knows ($known)" ;; esac
	ls "$dir"/zlib_*.dsc >/dev/null
	pin=$(sed -n 's/^ZLIB_ORIG_SHA256 *= *//p' "$TOP_DIR/config/zlib.conf")
	echo "$pin  $dir/$(sed -n 's/^ZLIB_ORIG *= *//p' "$TOP_DIR/config/zlib.conf")" | sha256sum -c --status
	[ -z "$(ls -A "$dir" | grep '^\.zlib-fetch')" ] || fail "temporary download dirs left in $dir"
}

@test "build: fetch-source refuses a tarball that does not match the pinned SHA-256" {
	requires root
	tree="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$tree/mk" "$tree/config"
	cp "$TOP_DIR/mk/fetch-source" "$tree/mk/"
	sed 's/^ZLIB_ORIG_SHA256 = .*/ZLIB_ORIG_SHA256 = 0000000000000000000000000000000000000000000000000000000000000000/' \
		"$TOP_DIR/config/zlib.conf" >"$tree/config/zlib.conf"
	run "$tree/mk/fetch-source" zlib "$BATS_TEST_TMPDIR/src"
	assert_failure 1
	assert_output --partial "config/zlib.conf pins 0000000000000000"
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/src")" ] || fail "a tarball that failed the check was kept"
}

@test "build: the build recorded the zlib, busybox and dropbear revisions it used" {
	for p in zlib busybox dropbear; do
		rev=$(cat "$TOP_DIR/build/$p.revision")
		assert_equal "$rev" "$(sed -n 's/^Version: //p' "$TOP_DIR"/build/src/${p}_*.dsc)"
		pin=$(sed -n "s/^$(echo $p | tr a-z A-Z)_ORIG_SHA256 *= *//p" "$TOP_DIR/config/$p.conf")
		echo "$pin  $TOP_DIR/build/src/$(sed -n "s/^$(echo $p | tr a-z A-Z)_ORIG *= *//p" "$TOP_DIR/config/$p.conf")" | sha256sum -c --status
	done
}

# build_busybox CACHE [MAKEFLAGS] APPLET...: initramfs/build-busybox from the fetched source
build_busybox() {
	local cache=$1 flags=$2
	shift 2
	MAKEFLAGS=$flags run --separate-stderr "$TOP_DIR/initramfs/build-busybox" -s "$(ls "$TOP_DIR"/build/src/busybox_*.dsc | head -n 1)" \
		-H "$TOP_DIR/build/kernel-headers" -c "$cache" "$@"
}

@test "build: busybox built twice (other cache dir, other job count) is byte-identical, with exactly its applets" {
	applets=$(sed 's/#.*//' "$TOP_DIR/initramfs/init.applets" | xargs)
	build_busybox "$BATS_TEST_TMPDIR/c1" -j2 $applets
	assert_success
	a=$output
	build_busybox "$BATS_TEST_TMPDIR/c 2" -j1 $applets
	assert_equal "$status" 2
	assert_equal "$stderr" "build-busybox: CACHE and KINC must not contain blanks (busybox's make cannot build there): '$BATS_TEST_TMPDIR/c 2' '$TOP_DIR/build/kernel-headers'"
	build_busybox "$BATS_TEST_TMPDIR/c2" -j1 $applets
	assert_success
	b=$output
	[ "$a" != "$b" ] && [ -x "$a" ] && [ -x "$b" ]
	cmp "$a" "$b"
	assert_equal "$("$a" --list | grep -vx busybox | LC_ALL=C sort)" "$(printf '%s\n' $applets | LC_ALL=C sort -u)"
	file "$a" | grep -q 'statically linked'
	# asked again: the cached build, not a new one
	build_busybox "$BATS_TEST_TMPDIR/c1" -j2 $applets
	assert_success
	assert_equal "$output" "$a"
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/c1" | grep '^\.build')" ] || fail "temporary build dirs left"
}

@test "build: build-busybox refuses an applet busybox does not have (exit 3)" {
	build_busybox "$BATS_TEST_TMPDIR/c" "" sh nosuchapplet ls
	assert_equal "$status" 3
	dsc=$(ls "$TOP_DIR"/build/src/busybox_*.dsc | head -n 1)
	assert_equal "$stderr" "build-busybox: no applet 'nosuchapplet' in busybox $(sed -n 's/^Version: //p' "$dsc") ($dsc)"
}

@test "build: config.mak's CC and CFLAGS compile the objects" {
	tree="$BATS_TEST_TMPDIR/tree"
	build_tree "$tree"
	cc_wrapper "$BATS_TEST_TMPDIR/cc" "$BATS_TEST_TMPDIR/cc.log"
	printf 'CC = %s\nCFLAGS = -O2 -DRESCUE_FROM_CONFIG_MAK\n' "$BATS_TEST_TMPDIR/cc" >"$tree/config.mak"
	w="$BATS_TEST_TMPDIR/w"
	run env -u CC -u CFLAGS make -C "$tree" W="$w" O="$BATS_TEST_TMPDIR/o" "$w/obj/rescue/main.o"
	assert_success
	[ -f "$w/obj/rescue/main.o" ] || fail "no object built"
	run grep -c -- '-DRESCUE_FROM_CONFIG_MAK .*-c -o .*/main.o rescue/main.c' "$BATS_TEST_TMPDIR/cc.log"
	assert_output 1
}

@test "build: make CC=... on the command line compiles the objects, over config.mak's" {
	tree="$BATS_TEST_TMPDIR/tree"
	build_tree "$tree"
	cc_wrapper "$BATS_TEST_TMPDIR/cc" "$BATS_TEST_TMPDIR/cc.log"
	echo "CC = $BATS_TEST_TMPDIR/no-such-compiler" >"$tree/config.mak"
	w="$BATS_TEST_TMPDIR/w"
	run make -C "$tree" W="$w" O="$BATS_TEST_TMPDIR/o" CC="$BATS_TEST_TMPDIR/cc" "$w/obj/rescue/main.o"
	assert_success
	run grep -c -- '-c -o .*/main.o rescue/main.c' "$BATS_TEST_TMPDIR/cc.log"
	assert_output 1
}

# make_value TREE VAR [ARGS...]: VAR's value once every makefile is read
make_value() {
	local tree=$1 var=$2
	shift 2
	make -s -C "$tree" --eval "rescue-show-value: ; @echo '\$($var)'" "$@" rescue-show-value
}

@test "build: config.mak.example exists and config.mak overrides every variable it names" {
	[ -f "$TOP_DIR/config.mak.example" ] || fail "no config.mak.example"
	vars=$(sed -n 's/^#* *\([A-Z_][A-Z_0-9]*\) *[:?]*=.*/\1/p' "$TOP_DIR/config.mak.example" | sort -u)
	[ "$(echo "$vars" | wc -l)" -ge 8 ] || fail "config.mak.example names too few variables: $vars"
	for v in CC CFLAGS W O PROFILE PREFIX; do
		echo "$vars" | grep -qx "$v" || fail "config.mak.example does not name $v"
	done
	tree="$BATS_TEST_TMPDIR/tree"
	copy_make_files "$tree"
	for v in $vars; do
		echo "$v = rescue-from-config-mak" >"$tree/config.mak"
		# over the environment and the defaults
		run env "$v=rescue-from-env" bash -c "$(declare -f make_value); make_value '$tree' '$v'"
		assert_success
		[ "$output" = rescue-from-config-mak ] || fail "$v from config.mak is '$output'"
		# under the command line
		run make_value "$tree" "$v" "$v=rescue-from-command-line"
		assert_success
		[ "$output" = rescue-from-command-line ] || fail "$v from the command line is '$output'"
	done
}

@test "build: without config.mak an exported CC is ignored: musl-gcc (a glibc CC would build the wrong binary)" {
	tree="$BATS_TEST_TMPDIR/tree"
	copy_make_files "$tree"
	run env -u CC bash -c "$(declare -f make_value); make_value '$tree' CC"
	assert_output musl-gcc
	run env CC=rescue-from-env bash -c "$(declare -f make_value); make_value '$tree' CC"
	assert_output musl-gcc
	run env -u CC bash -c "$(declare -f make_value); make_value '$tree' CC -R"
	assert_output musl-gcc
}
