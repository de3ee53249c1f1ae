#!/usr/bin/env bats
# Reproducibility: two builds of HEAD from clean clones (in different
# directories, so absolute paths differ) give byte-identical out/rescue,
# initramfs, OCI archive and boot media (ISO, netboot bundle).  The fetched inputs (build/debs, build/src) are
# copied in, so no network is needed.
load ../helpers

clone_and_build() {
	local d=$1 rev
	rev=$(git -C "$TOP_DIR" rev-parse HEAD)
	git clone -q --no-checkout "$TOP_DIR" "$d"
	git -C "$d" checkout -q "$rev"
	mkdir -p "$d/build"
	cp -a "$TOP_DIR/build/debs" "$TOP_DIR/build/src" "$d/build/"
	# a different umask on the second build must not matter either
	(cd "$d" && umask "$2" && timeout 900 make -s all >build.log 2>&1)
}

@test "repro: two clean builds give identical rescue, initramfs, kernel, OCI archive, ISO and netboot bundle (exit 0)" {
	[ -d "$TOP_DIR/build/debs" ] && [ -d "$TOP_DIR/build/src" ] || fail "no build/debs, build/src (make fetch)"
	local a=$BATS_TEST_TMPDIR/one b=$BATS_TEST_TMPDIR/second-tree
	clone_and_build "$a" 022 &
	local pa=$!
	clone_and_build "$b" 002 &
	local pb=$!
	wait "$pa" || { cat "$a/build.log"; fail "first build failed"; }
	wait "$pb" || { cat "$b/build.log"; fail "second build failed"; }
	for f in rescue rescue-initramfs.cpio.gz rescue-vmlinuz rescue-oci.tar rescue.iso \
		$(cd "$a/out" && find netboot -type f 2>/dev/null | LC_ALL=C sort); do
		[ -s "$a/out/$f" ] || fail "no out/$f"
		sa=$(sha256sum <"$a/out/$f") sb=$(sha256sum <"$b/out/$f")
		echo "# $f ${sa%% *}" >&3
		assert_equal "$sa" "$sb"
	done
}
