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
