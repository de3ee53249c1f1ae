# tests/crash/scenarios.bash: the writers under test (see crash.bash for the
# interface).  Inputs go to in/, the target to t/, so every other name that
# appears in t/ after a kill is a leftover and must be documented in LEFTOVERS.
# shellcheck disable=SC2034  # TARGET LEFTOVERS CONTRACT RECOVER KNOWN are read by crash_sweep

CRASH_SCENARIOS=(confset metasnap-save metasnap-restore metasnap-restore-empty
	metasnap-restore-force mfsmetarestore-o mfsmetarestore-a blksync-patch
	blksync-serve mkcpio mkoci)
# CRASH_FULL=1 (sweep --full): larger inputs, so more calls to kill at
CRASH_FULL=${CRASH_FULL:-0}

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
	if [ "$CRASH_FULL" = 1 ]; then
		mkdir -p "$1/many"
		for i in $(seq 40); do
			head -c $((i * 997)) /dev/urandom >"$1/many/f$i"
		done
		head -c 3000000 /dev/urandom >"$1/big.bin"
	fi
}

# the mfsmetarestore fixture: small, or full (longer changelogs) for --full
crash_mfs() {
	if [ "$CRASH_FULL" = 1 ]; then
		cp "$FIXTURES/mfsmetarestore/full"/* "$1/"
	else
		cp "$FIXTURES/mfsmetarestore/small"/* "$1/"
	fi
}

# confset: FILE.tmp.PID is left by a kill before the rename (rescue/lib/atomic.c);
# FILE.rescue-bak.<UTC time> is the documented backup, written first; .FILE.lock
# (confset.1) may stay after a kill and blocks nothing.
sc_confset_info() {
	TARGET=t/mfsmaster.cfg
	LEFTOVERS='mfsmaster.cfg.tmp.* mfsmaster.cfg.rescue-bak.* .mfsmaster.cfg.lock'
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

# metasnap restore into an absent DIR: DIR.tmp.PID (the tree being built) and
# DIR.metasnap-journal (metasnap.1: the next restore finishes or undoes the
# interrupted one) may be left by a kill
sc_metasnap_restore_info() {
	TARGET=t/dst
	LEFTOVERS='dst.tmp.* dst.metasnap-journal dst.metasnap-journal.tmp.*'
}
sc_metasnap_restore_setup() {
	mkdir in t
	crash_tree in/src
	"$RESCUE" metasnap save -q in/src -o in/a.tar.gz
}
sc_metasnap_restore_cmd() {
	"$@" "$RESCUE" metasnap restore -q in/a.tar.gz t/dst
}

# metasnap restore into an existing empty DIR: the new tree is built beside it
# and swapped in (RENAME_EXCHANGE); the same leftovers as above
sc_metasnap_restore_empty_info() {
	TARGET=t/dst
	LEFTOVERS='dst.tmp.* dst.metasnap-journal dst.metasnap-journal.tmp.*'
}
sc_metasnap_restore_empty_setup() {
	sc_metasnap_restore_setup
	mkdir t/dst
}
sc_metasnap_restore_empty_cmd() {
	sc_metasnap_restore_cmd "$@"
}

# metasnap restore --force over a non-empty DIR: the new tree is swapped in
# (RENAME_EXCHANGE), the old content goes to DIR.old.PID; re-running the
# restore finishes or undoes an interrupted one (journal).
sc_metasnap_restore_force_info() {
	TARGET=t/dst
	LEFTOVERS='dst.tmp.* dst.old.* dst.metasnap-journal dst.metasnap-journal.tmp.*'
	RECOVER=rerun
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

# mfsmetarestore -f -m META -o OUT over an older OUT: OUT.tmp.PID is left by a kill
sc_mfsmetarestore_o_info() {
	TARGET=t/metadata.mfs
	LEFTOVERS='metadata.mfs.tmp.*'
}
sc_mfsmetarestore_o_setup() {
	mkdir in t
	crash_mfs in
	printf 'MFSM NEW' >t/metadata.mfs
}
sc_mfsmetarestore_o_cmd() {
	"$@" "$RESCUE" mfsmetarestore -f -m in/metadata.mfs.back -o t/metadata.mfs in/changelog.*.mfs
}

# mfsmetarestore -a -d DATA_PATH: DATA_PATH/metadata.mfs is replaced; the old
# one is kept as metadata.mfs.prev.<time> (a hard link) before that.
sc_mfsmetarestore_a_info() {
	TARGET=t/metadata.mfs
	LEFTOVERS='metadata.mfs.tmp.* metadata.mfs.prev.*'
}
sc_mfsmetarestore_a_setup() {
	mkdir t
	crash_mfs t
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

# blksync images: old.img (256 KiB) and new.img, 5 blocks changed and 8 KiB
# longer; for --full 4 MiB with 60 blocks changed
crash_images() {
	local blocks="0 9 31 32 63" size=262144
	if [ "$CRASH_FULL" = 1 ]; then
		blocks=$(seq 0 17 1023)
		size=4194304
	fi
	head -c "$size" /dev/urandom >"$1/old.img"
	cp "$1/old.img" "$1/new.img"
	for b in $blocks; do
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
	RECOVER=rerun
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

# blksync push SOURCE -- serve TARGET: serve writes in place; a kill of serve
# fails the push, and running the push again converges.
sc_blksync_serve_info() {
	TARGET=t/dst.img
	LEFTOVERS=''
	CONTRACT=resumable
	RECOVER=rerun
}
sc_blksync_serve_setup() {
	mkdir in t
	crash_images in
	cp in/old.img t/dst.img
}
sc_blksync_serve_cmd() {
	"$RESCUE" blksync push -q in/new.img -- "$@" "$RESCUE" blksync serve t/dst.img
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

# Self-checks of the harness (not in CRASH_SCENARIOS; tests/crash.bats runs
# them and expects them to fail): a writer that rewrites its target in place,
# one that leaves an undocumented temporary file,
sc_selftest_inplace_info() {
	TARGET=t/f
	LEFTOVERS=''
}
sc_selftest_inplace_setup() {
	mkdir t
	printf 'old\n' >t/f
}
sc_selftest_inplace_cmd() {
	"$@" sh -c 'printf "new " >t/f; printf "content\n" >>t/f'
}
sc_selftest_tmp_info() {
	TARGET=t/f
	LEFTOVERS='f.tmp'
}
sc_selftest_tmp_setup() {
	sc_selftest_inplace_setup
}
sc_selftest_tmp_cmd() {
	"$@" sh -c 'printf "new\n" >t/f.part && mv t/f.part t/f'
}
# and a recovery that does not reach NEW: appending again after a kill
sc_selftest_recover_info() {
	TARGET=t/f
	LEFTOVERS=''
	CONTRACT=resumable
	RECOVER=rerun
}
sc_selftest_recover_setup() {
	sc_selftest_inplace_setup
}
sc_selftest_recover_cmd() {
	"$@" sh -c 'printf "new " >>t/f; printf "content\n" >>t/f'
}
