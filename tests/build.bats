#!/usr/bin/env bats
# The build itself: make deps, make install, make clean, V=1.
load helpers

@test "build: make deps as a non-root user names the missing packages and fails" {
	command -v setpriv >/dev/null || skip "needs setpriv"
	requires root
	# a copy of the make files that nobody can read, wherever the tree lives
	tree=$(mktemp -d /tmp/rescue-deps.XXXXXX)
	mkdir -p "$tree/tests" "$tree/initramfs" "$tree/bench"
	cp -r "$TOP_DIR/Makefile" "$TOP_DIR/config" "$tree/"
	cp "$TOP_DIR/tests/rules.mk" "$TOP_DIR/tests/packages.txt" "$tree/tests/"
	cp "$TOP_DIR/initramfs/rules.mk" "$tree/initramfs/"
	cp "$TOP_DIR/bench/rules.mk" "$tree/bench/"
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
	for t in $("$RESCUE" --list); do
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

@test "build: fetch-zlib falls back to the next revision when the first cannot be downloaded" {
	requires root
	known=$(zlib_known_versions)
	[ -n "$known" ] || fail "apt knows no zlib source (make fetch adds a deb-src list)"
	dir="$BATS_TEST_TMPDIR/src"
	ZLIB_VERSIONS="1:1.2.13.dfsg-99+rescue.unavailable $known" run "$TOP_DIR/config/fetch-zlib" "$dir"
	assert_success
	assert_output --partial "not downloadable: 1:1.2.13.dfsg-99+rescue.unavailable"
	rev=$(cat "$BATS_TEST_TMPDIR/zlib.revision")
	case " $known " in *" $rev "*) ;; *) fail "recorded revision '$rev' is not one apt knows ($known)" ;; esac
	ls "$dir"/zlib_*.dsc >/dev/null
	pin=$(sed -n 's/^ZLIB_ORIG_SHA256 *= *//p' "$TOP_DIR/config/zlib.conf")
	echo "$pin  $dir/$(sed -n 's/^ZLIB_ORIG *= *//p' "$TOP_DIR/config/zlib.conf")" | sha256sum -c --status
	[ -z "$(ls -A "$dir" | grep '^\.zlib-fetch')" ] || fail "temporary download dirs left in $dir"
}

@test "build: fetch-zlib refuses a tarball that does not match the pinned SHA-256" {
	requires root
	tree="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$tree/config"
	cp "$TOP_DIR/config/fetch-zlib" "$tree/config/"
	sed 's/^ZLIB_ORIG_SHA256 = .*/ZLIB_ORIG_SHA256 = 0000000000000000000000000000000000000000000000000000000000000000/' \
		"$TOP_DIR/config/zlib.conf" >"$tree/config/zlib.conf"
	run "$tree/config/fetch-zlib" "$BATS_TEST_TMPDIR/src"
	assert_failure 1
	assert_output --partial "config/zlib.conf pins 0000000000000000"
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/src")" ] || fail "a tarball that failed the check was kept"
}

@test "build: the build recorded the zlib revision it used" {
	rev=$(cat "$TOP_DIR/build/zlib.revision")
	assert_equal "$rev" "$(sed -n 's/^Version: //p' "$TOP_DIR"/build/src/zlib_*.dsc)"
}
