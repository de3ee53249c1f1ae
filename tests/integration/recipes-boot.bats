#!/usr/bin/env bats
# Recipes end to end in the booted image: Debian's kernel (make fetch) and
# out/rescue-initramfs.cpio.gz under qemu-system-x86_64 -accel tcg, the data
# on virtio disks, the recipe started by rescue.recipe= and rescue.args=.
# Back on the host the result is checked with the real programs: MooseFS's own
# restore and mfsmetadump for moosefs-metarestore, cmp for blockvol-hash-backup.
load ../helpers
load qemu

setup_file() {
	qemu_setup_file
	export QEMU_TIMEOUT=300
}

@test "recipes-boot: moosefs-metarestore in the image restores a killed master's data disk like mfsmaster restore (exit 0)" {
	requires moosefs
	local in=$FIXTURES/moosefs/full/data img=$BATS_TEST_TMPDIR/mfs.img
	[ -d "$in" ] || fail "tests/fixtures/moosefs/full is missing"
	mkdir -p "$BATS_TEST_TMPDIR/tree/var/lib"
	cp -r "$in" "$BATS_TEST_TMPDIR/tree/var/lib/mfs"
	mke2fs -q -F -t ext4 -L mfsdata -d "$BATS_TEST_TMPDIR/tree" "$img" 64M
	run qemu_boot "rescue.recipe=moosefs-metarestore rescue.args=\"--mount LABEL=mfsdata:/mnt --yes /mnt/var/lib/mfs\" rescue.then=poweroff" \
		-drive "file=$img,if=virtio,format=raw"
	assert_equal "$status" 0
	has '^moosefs-metarestore: mounted /dev/vda on /mnt$'
	has '^moosefs-metarestore: backup of /mnt/var/lib/mfs: /mnt/var/lib/mfs.rescue/backup/data-[0-9TZ]+\.tar\.gz$'
	has '^moosefs-metarestore: all 5 steps done$'
	has '^rescue: recipe moosefs-metarestore finished \(exit status 0\)'
	# the result, read back with debugfs, against MooseFS's own restore
	debugfs -R "dump /var/lib/mfs/metadata.mfs $BATS_TEST_TMPDIR/ours.mfs" "$img" 2>/dev/null
	[ -s "$BATS_TEST_TMPDIR/ours.mfs" ]
	local o=$BATS_TEST_TMPDIR/oracle
	mkdir -p "$o"
	cp -r "$in" "$o/data"
	mfsmaster_cfg "$o/data" "$o/mfsmaster.cfg"
	timeout 120 mfsmaster -c "$o/mfsmaster.cfg" restore >"$o/log" 2>&1
	# MooseFS's own mfsmetadump of both: the same text, record for record,
	# and the same bytes
	diff <(mfsmetadump "$o/data/metadata.mfs") <(mfsmetadump "$BATS_TEST_TMPDIR/ours.mfs")
	cmp "$o/data/metadata.mfs" "$BATS_TEST_TMPDIR/ours.mfs"
	# the backup on the disk holds the directory as it was
	debugfs -R "dump /var/lib/mfs.rescue/backup/$(debugfs -R 'ls /var/lib/mfs.rescue/backup' "$img" 2>/dev/null | grep -o 'data-[0-9TZ]*\.tar\.gz' | head -n 1) $BATS_TEST_TMPDIR/backup.tar.gz" "$img" 2>/dev/null
	run_tool metasnap restore "$BATS_TEST_TMPDIR/backup.tar.gz" "$BATS_TEST_TMPDIR/undo"
	assert_success
	diff -r "$in" "$BATS_TEST_TMPDIR/undo"
}

@test "recipes-boot: blockvol-hash-backup in the image brings a backup disk in line with the volume disk (exit 0)" {
	local vol=$BATS_TEST_TMPDIR/vol.img bak=$BATS_TEST_TMPDIR/bak.img
	head -c 8388608 /dev/urandom >"$vol"
	cp "$vol" "$bak"
	# the volume moved on: 40 blocks in three places
	dd if=/dev/urandom of="$vol" bs=4096 seek=7 count=30 conv=notrunc 2>/dev/null
	dd if=/dev/urandom of="$vol" bs=4096 seek=1000 count=9 conv=notrunc 2>/dev/null
	dd if=/dev/urandom of="$vol" bs=4096 seek=2047 count=1 conv=notrunc 2>/dev/null
	cp "$vol" "$BATS_TEST_TMPDIR/vol.before"
	run qemu_boot "rescue.recipe=blockvol-hash-backup rescue.args=\"--yes --work /run/bv /dev/vda --remote env /dev/vdb\" rescue.then=poweroff" \
		-drive "file=$vol,if=virtio,format=raw" -drive "file=$bak,if=virtio,format=raw"
	assert_equal "$status" 0
	has '^blksync: /dev/vda: 40 of 2048 blocks changed'
	has '^blksync: /dev/vda and /run/bv/after.sig are the same \(2048 blocks\)'
	has '^rescue: recipe blockvol-hash-backup finished \(exit status 0\)'
	cmp "$vol" "$bak"
	cmp "$vol" "$BATS_TEST_TMPDIR/vol.before"
}
