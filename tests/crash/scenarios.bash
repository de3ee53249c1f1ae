# tests/crash/scenarios.bash: the writers under test (see crash.bash for the
# interface).  Inputs go to in/, the target to t/, so every other name that
# appears in t/ after a kill is a leftover and must be documented in LEFTOVERS.
# shellcheck disable=SC2034  # TARGET LEFTOVERS CONTRACT KNOWN are read by crash_sweep

CRASH_SCENARIOS="confset metasnap-save metasnap-restore metasnap-restore-force
mfsmetarestore-o mfsmetarestore-a blksync-patch blksync-serve mkcpio mkoci"

# the same bytes from every clean run (archives carry this time)
export SOURCE_DATE_EPOCH=1700000000

# tree DIR: a small tree with a subdirectory, a symlink and a hard link
crash_tree() {
	mkdir -p "$1/sub/deeper"
	printf 'ROLE=leader\n' >"$1/ROLE"
	head -c 20000 /dev/urandom >"$1/sub/data.bin"
	printf 'x%.0s' $(seq 300) >"$1/sub/deeper/text"
	ln "$1/ROLE" "$1/ROLE.hard"
	ln -s sub/data.bin "$1/link"
	chmod 0640 "$1/ROLE"
}

# confset: FILE.tmp.PID is left by a kill before the rename (rescue/lib/atomic.c);
# FILE.rescue-bak.<UTC time> is the documented backup, written first.
sc_confset_info() {
	TARGET=t/mfsmaster.cfg
	LEFTOVERS='mfsmaster.cfg.tmp.* mfsmaster.cfg.rescue-bak.*'
}
sc_confset_setup() {
	mkdir t
	cp "$FIXTURES/confset/mfsmaster.cfg" t/
	chmod 0640 t/mfsmaster.cfg
}
sc_confset_cmd() {
	"$@" "$RESCUE" confset -q t/mfsmaster.cfg BACK_LOGS 10
}

# metasnap save -f over an older archive: FILE.tmp.PID is left by a kill
sc_metasnap_save_info() {
	TARGET=t/a.tar.gz
	LEFTOVERS='a.tar.gz.tmp.*'
}
sc_metasnap_save_setup() {
	mkdir in t
	crash_tree in/src
	printf 'an older archive\n' >t/a.tar.gz
}
sc_metasnap_save_cmd() {
	"$@" "$RESCUE" metasnap save -q -f in/src -o t/a.tar.gz
}

# metasnap restore into an absent DIR: DIR.tmp.PID is left by a kill
sc_metasnap_restore_info() {
	TARGET=t/dst
	LEFTOVERS='dst.tmp.*'
}
sc_metasnap_restore_setup() {
	mkdir in t
	crash_tree in/src
	"$RESCUE" metasnap save -q in/src -o in/a.tar.gz
}
sc_metasnap_restore_cmd() {
	"$@" "$RESCUE" metasnap restore -q in/a.tar.gz t/dst
}

# metasnap restore --force over a non-empty DIR: the old content goes to
# DIR.old.PID; re-running the restore is the recovery.
sc_metasnap_restore_force_info() {
	TARGET=t/dst
	LEFTOVERS='dst.tmp.* dst.old.*'
	KNOWN='restore --force moves the old entries out and the new ones in one by one, inside DIR (not atomic)'
}
sc_metasnap_restore_force_setup() {
	sc_metasnap_restore_setup
	mkdir -p t/dst/old-sub
	printf 'ROLE=follower\n' >t/dst/ROLE
	printf 'stale\n' >t/dst/old-sub/stale
}
sc_metasnap_restore_force_cmd() {
	"$@" "$RESCUE" metasnap restore -q --force in/a.tar.gz t/dst
}
sc_metasnap_restore_force_recover() {
	sc_metasnap_restore_force_cmd
}

# mfsmetarestore -f -m META -o OUT over an older OUT: OUT.tmp.PID is left by a kill
sc_mfsmetarestore_o_info() {
	TARGET=t/metadata.mfs
	LEFTOVERS='metadata.mfs.tmp.*'
}
sc_mfsmetarestore_o_setup() {
	mkdir in t
	cp "$FIXTURES/mfsmetarestore/small"/* in/
	printf 'MFSM NEW' >t/metadata.mfs
}
sc_mfsmetarestore_o_cmd() {
	"$@" "$RESCUE" mfsmetarestore -f -m in/metadata.mfs.back -o t/metadata.mfs \
		in/changelog.0.mfs in/changelog.1.mfs
}

# mfsmetarestore -a -d DATA_PATH: DATA_PATH/metadata.mfs is replaced; the old
# one is kept as metadata.mfs.prev.<time> (a hard link) before that.
sc_mfsmetarestore_a_info() {
	TARGET=t/metadata.mfs
	LEFTOVERS='metadata.mfs.tmp.* metadata.mfs.prev.*'
}
sc_mfsmetarestore_a_setup() {
	mkdir t
	cp "$FIXTURES/mfsmetarestore/small"/* t/
	printf 'MFSM NEW' >t/metadata.mfs
}
sc_mfsmetarestore_a_cmd() {
	"$@" "$RESCUE" mfsmetarestore -a -d t
}
# the old metadata.mfs is never lost: it is the target or a .prev backup
sc_mfsmetarestore_a_check() {
	local f
	for f in t/metadata.mfs t/metadata.mfs.prev.*; do
		[ "$(printf 'MFSM NEW')" = "$(cat "$f" 2>/dev/null)" ] && return 0
	done
	echo "the old metadata.mfs is neither in place nor kept as metadata.mfs.prev.*"
	return 1
}

# blksync images: old.img (256 KiB) and new.img, 5 blocks changed and 8 KiB longer
crash_images() {
	head -c 262144 /dev/urandom >"$1/old.img"
	cp "$1/old.img" "$1/new.img"
	for b in 0 9 31 32 63; do
		head -c 4096 /dev/urandom | dd of="$1/new.img" bs=4096 seek="$b" conv=notrunc status=none
	done
	head -c 8192 /dev/urandom >>"$1/new.img"
}

# blksync patch TARGET DELTA writes in place (blksync(1)): a kill may leave a
# mixed TARGET; re-running the patch completes it.
sc_blksync_patch_info() {
	TARGET=t/dst.img
	LEFTOVERS=''
	CONTRACT=resumable
}
sc_blksync_patch_setup() {
	mkdir in t
	crash_images in
	"$RESCUE" blksync sig -q in/old.img >in/sigs
	"$RESCUE" blksync diff -q in/new.img in/sigs >in/delta
	cp in/old.img t/dst.img
}
sc_blksync_patch_cmd() {
	"$@" "$RESCUE" blksync patch -q t/dst.img in/delta
}
sc_blksync_patch_recover() {
	sc_blksync_patch_cmd
}

# blksync push SOURCE -- serve TARGET: serve writes in place; a kill of serve
# fails the push, and running the push again converges.
sc_blksync_serve_info() {
	TARGET=t/dst.img
	LEFTOVERS=''
	CONTRACT=resumable
}
sc_blksync_serve_setup() {
	mkdir in t
	crash_images in
	cp in/old.img t/dst.img
}
sc_blksync_serve_cmd() {
	"$RESCUE" blksync push -q in/new.img -- "$@" "$RESCUE" blksync serve t/dst.img
}
sc_blksync_serve_recover() {
	sc_blksync_serve_cmd
}

# mkcpio -f -z over an older archive: OUT.tmp.PID is left by a kill
sc_mkcpio_info() {
	TARGET=t/initramfs.cpio.gz
	LEFTOVERS='initramfs.cpio.gz.tmp.*'
}
sc_mkcpio_setup() {
	mkdir in t
	crash_tree in/root
	printf 'an older archive\n' >t/initramfs.cpio.gz
}
sc_mkcpio_cmd() {
	"$@" "$RESCUE" mkcpio -q -f -z -o t/initramfs.cpio.gz in/root
}

# mkoci -f over an older image: OUT.tmp.PID is left by a kill
sc_mkoci_info() {
	TARGET=t/image.tar
	LEFTOVERS='image.tar.tmp.*'
}
sc_mkoci_setup() {
	mkdir in t
	crash_tree in/root
	printf 'an older image\n' >t/image.tar
}
sc_mkoci_cmd() {
	"$@" "$RESCUE" mkoci -q -f -o t/image.tar in/root
}
