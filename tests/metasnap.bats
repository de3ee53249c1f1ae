#!/usr/bin/env bats
# metasnap: save / verify / diff / restore of a metadata directory.
# The archives are checked with the real readers (GNU tar, busybox tar).
load helpers

setup() {
	T=$BATS_TEST_TMPDIR
	export SOURCE_DATE_EPOCH=1700000000
}

teardown() {
	if mountpoint -q "$T/mnt" 2>/dev/null; then
		umount "$T/mnt"
	fi
}

long1=$(printf 'L%.0s' $(seq 1 120))
long2=$(printf 'M%.0s' $(seq 1 150))
long3=$(printf 'N%.0s' $(seq 1 250))

# A tree with every file type, long names, hard links, odd modes and
# sub-second times.
make_tree() {
	local d=$1
	mkdir -p "$d/image/v2" "$d/bdb" "$d/$long1/$long2" "$d/empty dir"
	printf '#Fri Jan 19 20:03:14 CST 2024\nrole=FOLLOWER\n' >"$d/image/ROLE"
	printf 'with space\n' >"$d/empty dir/a file"
	printf 'x\ny\n' >"$d/$long1/$long2/$long3"
	head -c 300000 /dev/urandom >"$d/bdb/00000000.jdb"
	: >"$d/empty"
	ln "$d/image/ROLE" "$d/bdb/ROLE.hard"
	ln -s ../image/ROLE "$d/bdb/role.sym"
	ln -s "$long1/$long2/$long3" "$d/longlink"
	mkfifo "$d/fifo"
	chmod 4751 "$d/bdb/00000000.jdb"
	chmod 0600 "$d/image/ROLE"
	chmod 1777 "$d/empty dir"
	chmod 0500 "$d/image/v2"
	printf 'odd\\name\n' >"$d/back\\slash"
	if [ "$(id -u)" = 0 ]; then
		mknod "$d/null" c 1 3
		mknod "$d/loop" b 7 200
		chown 1234:5678 "$d/image/ROLE"
		chown -h 42:43 "$d/bdb/role.sym"
	fi
	touch -d '2024-01-19 20:03:14.123456789' "$d/image/ROLE"
	touch -h -d '2023-05-06 07:08:09.5' "$d/bdb/role.sym"
	touch -d '2022-02-02 02:02:02.000000001' "$d/$long1/$long2" "$d/image/v2" "$d"
}

# One line per entry: name type mode owner size mtime(ns) link content-hash
# (no size for directories: it depends on the file system).
listing() {
	(cd "$1" && find . -path ./.metasnap -prune -o -printf '%p %y %m %U:%G %s %T@ %l\n' |
		grep -v "^\. " | sed 's/^\(.* d [0-7]* [0-9]*:[0-9]*\) [0-9]* /\1 - /' | sort)
	(cd "$1" && find . -path ./.metasnap -prune -o -type f -exec sha256sum {} + | sort -k2)
}

# busybox tar keeps whole seconds only and leaves directory and symlink
# times and symlink owners alone: compare without those.
listing_notime() {
	(cd "$1" && find . -path ./.metasnap -prune -o -printf '%p %y %m %U:%G %s %l\n' |
		grep -v "^\. " | sed 's/^\(.* l 777\) [0-9]*:[0-9]* /\1 /' | sort)
	(cd "$1" && find . -path ./.metasnap -prune -o -type f -exec sha256sum {} + | sort -k2)
}

@test "metasnap: save, verify, restore and diff round trip keeps every file type (exit 0)" {
	make_tree "$T/src"
	run_tool metasnap save "$T/src" -o "$T/a.tar.gz"
	assert_success
	assert_output ""
	assert_no_tmp "$T"
	run_tool metasnap verify "$T/a.tar.gz"
	assert_success
	assert_output ""
	assert_regex "$stderr" "^metasnap: $T/a.tar.gz: [0-9]+ entries \(.*\) match the manifest$"
	run_tool metasnap restore --devices "$T/a.tar.gz" "$T/dst"
	assert_success
	assert_equal "$(listing "$T/dst")" "$(listing "$T/src")"
	assert_equal "$(stat -c '%a %Y' "$T/dst")" "$(stat -c '%a %Y' "$T/src")"
	# hard link kept as a link
	assert_equal "$(stat -c %i "$T/dst/bdb/ROLE.hard")" "$(stat -c %i "$T/dst/image/ROLE")"
	run_tool metasnap diff "$T/a.tar.gz" "$T/dst"
	assert_success
	assert_output ""
	[ ! -e "$T/dst.tmp.$$" ]
	assert_equal "$(find "$T" -maxdepth 1 -name '*tmp*')" ""
}

@test "metasnap: the archive lists every entry in MANIFEST and its hash in MANIFEST.sha256" {
	make_tree "$T/src"
	run_tool metasnap save -q "$T/src" -o "$T/a.tar.gz"
	assert_success
	mkdir "$T/x"
	tar xzf "$T/a.tar.gz" -C "$T/x" .metasnap
	(cd "$T/x/.metasnap" && sha256sum -c --quiet MANIFEST.sha256)
	run head -n 2 "$T/x/.metasnap/MANIFEST"
	assert_line -n 0 "# metasnap manifest 1"
	assert_line -n 1 "# type mode uid gid size mtime sha256 target name"
	want=$(sha256sum <"$T/src/image/ROLE" | cut -d' ' -f1)
	mt=$(stat -c %Y "$T/src/image/ROLE")
	# the first name of a hard-linked file (in archive order) holds the data
	run grep ' bdb/ROLE.hard$' "$T/x/.metasnap/MANIFEST"
	assert_output --regexp "^f 0600 [0-9]+ [0-9]+ 44 $mt\.123456789 $want - bdb/ROLE.hard$"
	run grep ' image/ROLE$' "$T/x/.metasnap/MANIFEST"
	assert_output --regexp "^h 0600 [0-9]+ [0-9]+ 0 $mt\.123456789 - bdb/ROLE.hard image/ROLE$"
	run grep -c . "$T/x/.metasnap/MANIFEST"
	assert_equal "$output" "$(($(tar tzf "$T/a.tar.gz" | grep -vc '^\.metasnap/') + 2))"
	grep -q ' empty\\x20dir/a\\x20file$' "$T/x/.metasnap/MANIFEST"
	grep -q ' back\\x5cslash$' "$T/x/.metasnap/MANIFEST"
}

@test "metasnap: archives are reproducible with SOURCE_DATE_EPOCH and sorted" {
	make_tree "$T/src"
	"$RESCUE" metasnap save -q "$T/src" -o "$T/a.tar.gz"
	"$RESCUE" metasnap save -q "$T/src" -o "$T/b.tar.gz"
	cmp "$T/a.tar.gz" "$T/b.tar.gz"
	# whatever the number of compression threads (members of at most 4 MiB)
	head -c 9M /dev/urandom >"$T/src/bdb/00000009.jdb"
	"$RESCUE" metasnap save -q -j 1 "$T/src" -o "$T/j1.tar.gz"
	"$RESCUE" metasnap save -q -j 3 "$T/src" -o "$T/j3.tar.gz"
	cmp "$T/j1.tar.gz" "$T/j3.tar.gz"
	gzip -t "$T/j3.tar.gz"
	rm "$T/src/bdb/00000009.jdb"
	run tar tvzf "$T/a.tar.gz" .metasnap/MANIFEST
	assert_output --partial "2023-11-14 22:13 .metasnap/MANIFEST"
	names=$(tar tzf "$T/a.tar.gz" | grep -v '^\.metasnap/')
	assert_equal "$(printf '%s\n' "$names" | head -n 1)" "./"
	assert_equal "$(tar tzf "$T/a.tar.gz" | tail -n 2 | tr '\n' ' ')" \
		".metasnap/MANIFEST .metasnap/MANIFEST.sha256 "
	# the order GNU tar --sort=name gives: depth first, names sorted bytewise
	assert_equal "$names" "$(tar cf - --sort=name -C "$T/src" . | tar tf - | sed 's,^\./\(.\),\1,')"
}

@test "metasnap: a bad SOURCE_DATE_EPOCH is a usage error, not the wall clock (exit 2)" {
	make_tree "$T/src"
	mkdir "$T/o"
	for bad in yesterday -5 1e9 ' 17' 1700000000x; do
		SOURCE_DATE_EPOCH=$bad run_tool metasnap save -q "$T/src" -o "$T/o/a.tar.gz"
		assert_equal "$status" 2
		assert_equal "$stderr" "metasnap: bad SOURCE_DATE_EPOCH '$bad' (see 'metasnap --help')"
		# nothing written, not even a temp file
		run ls -A "$T/o"
		assert_output ""
	done
	# unset or empty: the current time, as before
	SOURCE_DATE_EPOCH= run_tool metasnap save -q "$T/src" -o "$T/o/a.tar.gz"
	assert_equal "$status" 0
	run tar tvzf "$T/o/a.tar.gz" .metasnap/MANIFEST
	assert_output --partial "$(date -u +%Y-)"
}

@test "metasnap: GNU tar and busybox tar extract the same tree as restore" {
	make_tree "$T/src"
	"$RESCUE" metasnap save -q "$T/src" -o "$T/a.tar.gz"
	mkdir "$T/gnu" "$T/bb"
	tar xzf "$T/a.tar.gz" -C "$T/gnu" --numeric-owner
	(cd "$T/bb" && busybox tar xzf "$T/a.tar.gz")
	assert_equal "$(listing "$T/gnu")" "$(listing "$T/src")"
	assert_equal "$(listing_notime "$T/bb")" "$(listing_notime "$T/src")"
	# busybox keeps whole seconds of file times
	assert_equal "$(stat -c %Y "$T/bb/image/ROLE")" "$(stat -c %Y "$T/src/image/ROLE")"
}

@test "metasnap: a multi-GiB sparse file and a large file round trip, holes kept" {
	mkdir "$T/src"
	truncate -s 2G "$T/src/sparse"
	printf 'end' >>"$T/src/sparse"
	printf 'start' | dd of="$T/src/sparse" conv=notrunc status=none
	head -c 20M /dev/urandom >"$T/src/large"
	run_tool metasnap save -l 1 "$T/src" -o "$T/a.tar.gz"
	assert_success
	[ "$(stat -c %s "$T/a.tar.gz")" -lt $((40 * 1024 * 1024)) ]
	run_tool metasnap restore "$T/a.tar.gz" "$T/dst"
	assert_success
	assert_equal "$(stat -c %s "$T/dst/sparse")" "$(stat -c %s "$T/src/sparse")"
	# restore checked every hash against the manifest; the holes stay holes
	[ "$(du -k "$T/dst/sparse" | cut -f1)" -lt 1024 ]
	cmp "$T/src/large" "$T/dst/large"
	assert_equal "$(head -c 5 "$T/dst/sparse")" "start"
	assert_equal "$(tail -c 3 "$T/dst/sparse")" "end"
}

@test "metasnap: one corrupted byte makes verify fail naming the entry (exit 3)" {
	mkdir "$T/src"
	head -c 100000 /dev/urandom >"$T/src/a.bin"
	{ printf 'VICTIM-MARKER'; head -c 400000 /dev/urandom; } >"$T/src/victim.jdb"
	head -c 100000 /dev/urandom >"$T/src/z.bin"
	"$RESCUE" metasnap save -q -l 0 "$T/src" -o "$T/a.tar.gz"
	# level 0 stores the data: find the victim's bytes and flip one
	off=$(grep -obUa VICTIM-MARKER "$T/a.tar.gz" | head -1 | cut -d: -f1)
	[ -n "$off" ]
	off=$((off + 200000))
	printf '\377' | cmp -s - <(dd if="$T/a.tar.gz" bs=1 skip=$off count=1 status=none) &&
		byte='\000' || byte='\377'
	printf '%b' "$byte" | dd of="$T/a.tar.gz" bs=1 seek=$off conv=notrunc status=none
	snapshot "$T/a.tar.gz"
	run_tool metasnap verify "$T/a.tar.gz"
	assert_equal "$status" 3
	assert_output ""
	assert_regex "$stderr" "metasnap: $T/a.tar.gz@[0-9]+: corrupt gzip data \(incorrect data check\)"
	assert_regex "$stderr" "metasnap: $T/a.tar.gz: damaged data (in|after) entry 'victim.jdb'"
	assert_unchanged
}

@test "metasnap: an entry that differs from the manifest is named by verify (exit 1)" {
	make_tree "$T/src"
	"$RESCUE" metasnap save -q "$T/src" -o "$T/a.tar.gz"
	mkdir "$T/x"
	tar xzf "$T/a.tar.gz" -C "$T/x"
	printf 'role=OBSERVER\n' >"$T/x/image/ROLE"
	rm "$T/x/empty"
	tar czf "$T/b.tar.gz" --format=posix --sort=name -C "$T/x" .
	run_tool metasnap verify "$T/b.tar.gz"
	assert_equal "$status" 1
	assert_output ""
	assert_regex "$stderr" "(^|
)metasnap: $T/b.tar.gz: empty: in the manifest but missing from the archive($|
)"
	assert_regex "$stderr" "(^|
)metasnap: $T/b.tar.gz: bdb/ROLE.hard: size, content, mtime differs from the manifest($|
)"
	# the rest of what differs comes from the re-packing (the top directory's time)
	assert_equal "$(printf '%s\n' "$stderr" | grep -cv ': \.: mtime differs')" 2
}

@test "metasnap: a truncated archive is bad data with its offset (exit 3)" {
	make_tree "$T/src"
	"$RESCUE" metasnap save -q "$T/src" -o "$T/a.tar.gz"
	size=$(stat -c %s "$T/a.tar.gz")
	head -c $((size / 2)) "$T/a.tar.gz" >"$T/cut.tar.gz"
	run_tool metasnap verify "$T/cut.tar.gz"
	assert_equal "$status" 3
	assert_output ""
	assert_regex "${stderr_lines[0]}" "^metasnap: $T/cut.tar.gz@[0-9]+: truncated gzip stream$"
	assert_regex "${stderr_lines[1]}" "^metasnap: $T/cut.tar.gz: damaged data in entry '.*' \(nothing after it can be read\)$"
	run_tool metasnap restore "$T/cut.tar.gz" "$T/dst"
	assert_equal "$status" 3
	[ ! -e "$T/dst" ]
	assert_equal "$(ls -d "$T"/dst* "$T"/*tmp* 2>/dev/null)" ""
}

@test "metasnap: a file that is not gzip is bad data (exit 3)" {
	printf 'hello\n' >"$T/x.tar.gz"
	run_tool metasnap verify "$T/x.tar.gz"
	assert_equal "$status" 3
	assert_equal "$stderr" "metasnap: $T/x.tar.gz@0: not a gzip stream"
}

@test "metasnap: a plain tar.gz without MANIFEST is not a metasnap archive (exit 3)" {
	mkdir "$T/d"
	echo a >"$T/d/a"
	tar czf "$T/x.tar.gz" -C "$T/d" .
	run_tool metasnap verify "$T/x.tar.gz"
	assert_equal "$status" 3
	assert_equal "$stderr" "metasnap: $T/x.tar.gz: not a metasnap archive (no .metasnap/MANIFEST member)"
}

@test "metasnap: save refuses an archive inside DIR (exit 5)" {
	make_tree "$T/src"
	snapshot "$T/src/image/ROLE"
	run_tool metasnap save "$T/src" -o "$T/src/image/backup.tar.gz"
	assert_equal "$status" 5
	assert_equal "$stderr" "metasnap: $T/src/image/backup.tar.gz: refusing to write the archive inside $T/src"
	assert_output ""
	[ ! -e "$T/src/image/backup.tar.gz" ]
	assert_no_tmp "$T/src/image"
	assert_unchanged
	ln -s "$T/src/bdb" "$T/via-link"
	run_tool metasnap save "$T/src" -o "$T/via-link/x.tar.gz"
	assert_equal "$status" 5
}

@test "metasnap: save does not replace an existing archive without -f (exit 5)" {
	make_tree "$T/src"
	echo old >"$T/a.tar.gz"
	snapshot "$T/a.tar.gz"
	run_tool metasnap save "$T/src" -o "$T/a.tar.gz"
	assert_equal "$status" 5
	assert_regex "$stderr" "exists; not overwritten \(use -f\)"
	assert_unchanged
	assert_no_tmp "$T"
	run_tool metasnap save -q -f "$T/src" -o "$T/a.tar.gz"
	assert_success
	"$RESCUE" metasnap verify -q "$T/a.tar.gz"
}

@test "metasnap: save refuses a directory that holds .metasnap (exit 5)" {
	mkdir -p "$T/src/.metasnap"
	run_tool metasnap save "$T/src" -o "$T/a.tar.gz"
	assert_equal "$status" 5
	assert_equal "$stderr" "metasnap: $T/src/.metasnap: name reserved for metasnap's own members (left by a manual extraction? move it away)"
	[ ! -e "$T/a.tar.gz" ]
}

@test "metasnap: restore refuses a non-empty DIR, and --force keeps the old content aside (exit 5)" {
	make_tree "$T/src"
	"$RESCUE" metasnap save -q "$T/src" -o "$T/a.tar.gz"
	mkdir "$T/dst"
	echo precious >"$T/dst/keep"
	snapshot "$T/dst/keep"
	run_tool metasnap restore "$T/a.tar.gz" "$T/dst"
	assert_equal "$status" 5
	assert_equal "$stderr" "metasnap: $T/dst: not empty; not overwritten (use --force; the current content is then kept in $T/dst.old.PID)"
	assert_unchanged
	assert_equal "$(ls -A "$T/dst")" "keep"
	run_tool metasnap restore --force --devices "$T/a.tar.gz" "$T/dst"
	assert_success
	assert_equal "$(listing "$T/dst")" "$(listing "$T/src")"
	old=$(ls -d "$T"/dst.old.*)
	assert_equal "$(cat "$old/keep")" "precious"
}

@test "metasnap: restore into an empty directory replaces it in one rename (exit 0)" {
	make_tree "$T/src"
	"$RESCUE" metasnap save -q "$T/src" -o "$T/a.tar.gz"
	mkdir "$T/dst"
	run_tool metasnap restore -q --devices "$T/a.tar.gz" "$T/dst"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(listing "$T/dst")" "$(listing "$T/src")"
	assert_equal "$(stat -c '%a %Y' "$T/dst")" "$(stat -c '%a %Y' "$T/src")"
	# the empty old directory is not kept, and nothing else is left
	assert_equal "$(find "$T" -maxdepth 1 -name 'dst?*')" ""
}

# hostile archives, made with GNU tar
hostile() {
	mkdir -p "$T/h/x" "$T/outside"
	echo evil >"$T/h/x/f"
	case $1 in
	absolute) tar czf "$T/h.tar.gz" -P "$T/h/x/f" ;;
	dotdot) tar czf "$T/h.tar.gz" -C "$T/h" --transform 's,^x/,../outside/,' x/f ;;
	symlink-out)
		ln -s "$T/outside" "$T/h/l"
		tar czf "$T/h.tar.gz" -C "$T/h" --transform 's,^x/,l/,' l x/f ;;
	symlink-in)
		ln -s . "$T/h/l"
		tar czf "$T/h.tar.gz" -C "$T/h" --transform 's,^x/,l/,' l x/f ;;
	hardlink-out)
		tar czf "$T/h.tar.gz" -C "$T/h" --hard-dereference x/f
		ln "$T/h/x/f" "$T/h/x/g"
		tar czf "$T/h.tar.gz" -C "$T/h" --transform 's,^x/f$,../outside/f,;s,^x/,,' x/f x/g ;;
	esac
}

@test "metasnap: restore refuses hostile archives and writes nothing outside DIR (exit 5)" {
	for kind in absolute dotdot symlink-out symlink-in hardlink-out; do
		rm -rf "$T/h" "$T/outside" "$T/dst" "$T/h.tar.gz"
		hostile $kind
		run_tool metasnap restore "$T/h.tar.gz" "$T/dst"
		echo "kind=$kind" >&2
		assert_equal "$status" 5
		assert_output ""
		assert_regex "$stderr" "^metasnap: $T/h.tar.gz@[0-9]+: refusing "
		assert_equal "$(ls -A "$T/outside")" ""
		[ ! -e "$T/dst" ]
		assert_equal "$(find "$T" -maxdepth 1 -name "*tmp*")" ""
	done
}

@test "metasnap: diff lists changed, missing and extra entries (exit 1)" {
	make_tree "$T/src"
	"$RESCUE" metasnap save -q "$T/src" -o "$T/a.tar.gz"
	echo changed >>"$T/src/image/ROLE"
	touch -d '2024-01-19 20:03:14.123456789' "$T/src/image/ROLE"
	rm "$T/src/empty"
	echo new >"$T/src/image/image.200"
	chmod 0644 "$T/src/bdb/00000000.jdb"
	run_tool metasnap diff "$T/a.tar.gz" "$T/src"
	assert_equal "$status" 1
	assert_equal "$output" "changed .: mtime
changed bdb/00000000.jdb: mode
changed bdb/ROLE.hard: size, content
missing empty
changed image: mtime
extra image/image.200"
}

@test "metasnap: usage errors (exit 2)" {
	run_tool metasnap
	assert_equal "$status" 2
	assert_equal "$stderr" "metasnap: missing command (save, verify, diff or restore) (see 'metasnap --help')"
	run_tool metasnap frobnicate
	assert_equal "$status" 2
	assert_equal "$stderr" "metasnap: unknown command 'frobnicate' (see 'metasnap --help')"
	run_tool metasnap save "$T"
	assert_equal "$status" 2
	assert_equal "$stderr" "metasnap: missing -o FILE (see 'metasnap --help')"
	run_tool metasnap restore "$T/x"
	assert_equal "$status" 2
	assert_equal "$stderr" "metasnap: missing DIR (see 'metasnap --help')"
	run_tool metasnap save -l 12 "$T" -o x
	assert_equal "$status" 2
	run_link metasnap --help
	assert_success
	assert_line -n 0 --regexp "^usage: metasnap save "
}

@test "metasnap: the man page synopsis is the first line of --help" {
	run_tool metasnap --help
	assert_success
	syn=$(sed -n '/^\.SH SYNOPSIS/{n;p;q}' "$TOP_DIR/docs/man/metasnap.1")
	assert_equal "usage: $syn" "${lines[0]}"
	# and the page renders without warnings where man is installed
	if command -v man >/dev/null; then
		run --separate-stderr env MANWIDTH=80 man --warnings -l "$TOP_DIR/docs/man/metasnap.1"
		assert_success
		assert_equal "$stderr" ""
	fi
}

@test "metasnap: save and restore killed by a signal leave no temporary file or directory" {
	mkdir "$T/src"
	head -c 96M /dev/urandom >"$T/src/big.jdb"
	"$RESCUE" metasnap save -q -l 1 "$T/src" -o "$T/full.tar.gz"
	for sig in TERM INT; do
		run timeout -s $sig 0.5 "$RESCUE" metasnap save -q "$T/src" -o "$T/a.tar.gz"
		assert_equal "$status" 124
		[ ! -e "$T/a.tar.gz" ]
		assert_no_tmp "$T"
		# restore is fast: either it finished (and DIR is complete) or
		# nothing at all is left
		for delay in 0.05 0.1 0.2; do
			rm -rf "$T/dst"
			run timeout -s $sig $delay "$RESCUE" metasnap restore -q "$T/full.tar.gz" "$T/dst"
			if [ "$status" = 0 ]; then
				"$RESCUE" metasnap diff "$T/full.tar.gz" "$T/dst"
			else
				assert_equal "$status" 124
				[ ! -e "$T/dst" ]
			fi
			assert_equal "$(find "$T" -maxdepth 1 -name '*tmp*')" ""
		done
	done
	# the same into an existing empty directory: it stays empty or complete
	rm -rf "$T/dst"
	mkdir "$T/dst"
	run timeout -s TERM 0.05 "$RESCUE" metasnap restore -q "$T/full.tar.gz" "$T/dst"
	if [ "$status" = 0 ]; then
		"$RESCUE" metasnap diff "$T/full.tar.gz" "$T/dst"
	else
		assert_equal "$(ls -A "$T/dst")" ""
	fi
}

@test "metasnap: progress is shown on a terminal, and not with -q" {
	command -v script >/dev/null || skip "needs script(1)"
	mkdir "$T/src"
	# long enough (>= 1/6 s) for a progress update on any machine
	truncate -s 512M "$T/src/big.jdb"
	script -qec "'$RESCUE' metasnap save -l 1 '$T/src' -o '$T/a.tar.gz'" /dev/null >"$T/tty.out"
	grep -q "saved 2 entries (512.0 MiB) from $T/src to $T/a.tar.gz" "$T/tty.out"
	grep -q "metasnap: saving .*%" "$T/tty.out"
	mkdir "$T/small"
	echo x >"$T/small/x"
	script -qec "'$RESCUE' metasnap save -q '$T/small' -o '$T/b.tar.gz'" /dev/null >"$T/tty.out"
	assert_equal "$(cat "$T/tty.out")" ""
	[ -s "$T/b.tar.gz" ]
}

@test "metasnap: a file that changes while it is saved fails the save (exit 4)" {
	mkdir "$T/src"
	head -c 64M /dev/urandom >"$T/src/changelog.0.mfs"
	(sleep 0.3; echo "41: 1700000000|CREATE(1,x,1,438,18,0,0,0):41" >>"$T/src/changelog.0.mfs") &
	run_tool metasnap save "$T/src" -o "$T/a.tar.gz"
	wait
	assert_equal "$status" 4
	assert_equal "$stderr" "metasnap: $T/src/changelog.0.mfs: file changed while being read (stop the service, then try again)"
	assert_output ""
	[ ! -e "$T/a.tar.gz" ]
	assert_no_tmp "$T"
}

@test "metasnap: restore --force replaces a DIR holding symlinks without following them" {
	make_tree "$T/src"
	"$RESCUE" metasnap save -q "$T/src" -o "$T/a.tar.gz"
	mkdir -p "$T/dst" "$T/outside"
	ln -s "$T/outside" "$T/dst/image"
	ln -s "$T/outside" "$T/dst/bdb"
	run_tool metasnap restore --force --devices "$T/a.tar.gz" "$T/dst"
	assert_success
	assert_equal "$(ls -A "$T/outside")" ""
	[ -d "$T/dst/image" ] && [ ! -L "$T/dst/image" ]
	assert_equal "$(listing "$T/dst")" "$(listing "$T/src")"
	old=$(ls -d "$T"/dst.old.*)
	assert_equal "$(readlink "$old/image")" "$T/outside"
	assert_regex "$stderr" "metasnap: $T/dst: previous content kept in $T/dst.old.[0-9]+"
}

@test "metasnap: restore into a mount point keeps it mounted and the old content inside" {
	requires root
	make_tree "$T/src"
	"$RESCUE" metasnap save -q "$T/src" -o "$T/a.tar.gz"
	mkdir "$T/mnt"
	mount -t tmpfs tmpfs "$T/mnt" || skip "cannot mount a tmpfs here"
	echo old >"$T/mnt/old-file"
	run_tool metasnap restore --force --devices "$T/a.tar.gz" "$T/mnt"
	status_was=$status
	listing_now=$(listing "$T/mnt" | grep -v '\.metasnap\.old')
	old=$(ls -d "$T"/mnt/.metasnap.old.* 2>/dev/null)
	kept=$(cat "$old/old-file" 2>/dev/null)
	mountpoint -q "$T/mnt"
	mounted=$?
	umount "$T/mnt"
	assert_equal "$status_was" 0
	assert_equal "$mounted" 0
	assert_equal "$kept" "old"
	assert_equal "$listing_now" "$(listing "$T/src")"
}

@test "metasnap: a directory holding absolute and outward symlinks is saved, verified and restored exactly (exit 0)" {
	mkdir -p "$T/src/q/w"
	ln -s /var/lib/mfs/metadata.mfs "$T/src/l"
	ln -s .. "$T/src/q/w/back"
	ln -s w/back/w/back/../../x "$T/src/q/gate"
	ln -s ../../../../../etc/passwd "$T/src/q/w/up"
	echo data >"$T/src/q/f"
	run_tool metasnap save -q "$T/src" -o "$T/a.tar.gz"
	assert_success
	run_tool metasnap verify -q "$T/a.tar.gz"
	assert_success
	run_tool metasnap restore "$T/a.tar.gz" "$T/dst"
	assert_success
	assert_equal "$(readlink "$T/dst/l")" /var/lib/mfs/metadata.mfs
	assert_equal "$(readlink "$T/dst/q/gate")" w/back/w/back/../../x
	assert_equal "$(listing "$T/dst")" "$(listing "$T/src")"
	run_tool metasnap diff "$T/a.tar.gz" "$T/dst"
	assert_success
	assert_output ""
}

@test "metasnap: a hard link to a missing entry is refused naming its target (exit 5)" {
	mkdir -p "$T/h/x" "$T/outside"
	echo data >"$T/h/x/f"
	ln "$T/h/x/f" "$T/h/x/g"
	# x/g is stored as a hard link to x/f; its target is renamed to 'nosuch'
	tar czf "$T/h.tar.gz" -C "$T/h" --transform 's,^x/f$,nosuch,hRS' x/f x/g
	run_tool metasnap restore "$T/h.tar.gz" "$T/dst"
	assert_equal "$status" 5
	assert_output ""
	assert_regex "$stderr" "^metasnap: $T/h.tar.gz@[0-9]+: refusing hard link 'x/g' to 'nosuch': no such entry before it$"
	[ ! -e "$T/dst" ]
	assert_equal "$(find "$T" -maxdepth 1 -name 'dst*')" ""
}

@test "metasnap: a symlink stored twice is bad data with its position (exit 3)" {
	mkdir "$T/h"
	ln -s target "$T/h/l"
	tar czf "$T/h.tar.gz" -C "$T/h" l l
	run_tool metasnap restore "$T/h.tar.gz" "$T/dst"
	assert_equal "$status" 3
	assert_output ""
	assert_equal "$stderr" "metasnap: $T/h.tar.gz@512: l: stored twice"
	[ ! -e "$T/dst" ]
	assert_equal "$(find "$T" -maxdepth 1 -name 'dst*')" ""
	# GNU tar wrote the second one as a hard link; now two symlink members
	tar czf "$T/h2.tar.gz" --hard-dereference -C "$T/h" l l
	run_tool metasnap restore "$T/h2.tar.gz" "$T/dst"
	assert_equal "$status" 3
	assert_equal "$stderr" "metasnap: $T/h2.tar.gz@512: l: stored twice"
	[ ! -e "$T/dst" ]
}

@test "metasnap: device nodes are recreated only with --devices (exit 5 without)" {
	requires root
	mkdir "$T/src"
	mknod "$T/src/null" c 1 3
	echo x >"$T/src/x"
	"$RESCUE" metasnap save -q "$T/src" -o "$T/a.tar.gz"
	run_tool metasnap restore "$T/a.tar.gz" "$T/dst"
	assert_equal "$status" 5
	assert_output ""
	assert_regex "$stderr" "^metasnap: $T/a.tar.gz@[0-9]+: refusing device node 'null' \(use --devices to create it\)$"
	[ ! -e "$T/dst" ]
	run_tool metasnap restore --devices "$T/a.tar.gz" "$T/dst"
	assert_success
	[ -c "$T/dst/null" ]
	assert_equal "$(listing "$T/dst")" "$(listing "$T/src")"
}

# state DIR: the entries of DIR (without a kept .metasnap.old.*), for the
# old-or-new comparisons
state() {
	(cd "$1" && find . -mindepth 1 -path './.metasnap.old.*' -prune -o \
		-printf '%p %y %m %U:%G %l\n' | sort
	 find . -path './.metasnap.old.*' -prune -o -type f -exec sha256sum {} + | sort -k2)
}

# kill_sweep DIR SYSCALL MAX: restore --force into DIR (holding $T/old), killed
# on entering the Nth SYSCALL for N = 1..MAX; after each kill DIR must be the
# old tree or the new one (MOUNT=1: only after the next run), and the next
# run must finish or undo the interrupted restore and say which.
kill_sweep() {
	local dir=$1 sc=$2 max=$3 n want_old want_new now
	want_old=$(state "$T/old")
	want_new=$(state "$T/src")
	for n in $(seq 1 "$max"); do
		find "$dir" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
		rm -rf "$dir".*
		cp -a "$T/old/." "$dir/"
		run timeout 60 strace -f -o /dev/null -e trace="$sc" \
			-e inject="$sc":signal=SIGKILL:when="$n" \
			"$RESCUE" metasnap restore -q --force --devices "$T/a.tar.gz" "$dir"
		echo "$sc #$n: status $status" >&2
		now=$(state "$dir")
		if [ "$status" = 0 ]; then
			assert_equal "$now" "$want_new"
			break
		fi
		assert_equal "$status" 137
		if [ "${MOUNT:-0}" = 0 ] && [ "$now" != "$want_old" ]; then
			assert_equal "$now" "$want_new"
		fi
		# the next run (without --force: it stops at "not empty")
		run_tool metasnap restore -q "$T/a.tar.gz" "$dir"
		assert_equal "$status" 5
		now=$(state "$dir")
		case $stderr in
		*"finished the restore interrupted in pid "*": the directory holds the restored content"*)
			assert_equal "$now" "$want_new" ;;
		*"undid the restore interrupted in pid "*": the directory keeps its previous content"*)
			assert_equal "$now" "$want_old" ;;
		*)
			# killed before the journal was written, or after its removal
			[ "$now" = "$want_old" ] || assert_equal "$now" "$want_new" ;;
		esac
		assert_regex "$stderr" "not empty; not overwritten"
		# nothing half-done is left: no temporary tree, no journal
		assert_equal "$(ls -d "$dir".tmp.* "$dir".metasnap-journal "$dir"/.metasnap.tmp.* \
			"$dir"/.metasnap.journal 2>/dev/null)" ""
		if [ "$now" = "$want_old" ]; then
			assert_equal "$(ls -d "$dir".old.* "$dir"/.metasnap.old.* 2>/dev/null)" ""
		fi
	done
}

kill_setup() {
	requires strace
	make_tree "$T/src"
	"$RESCUE" metasnap save -q "$T/src" -o "$T/a.tar.gz"
	mkdir -p "$T/old/sub"
	echo old >"$T/old/image"
	echo old2 >"$T/old/sub/keep"
	ln -s "$T/src" "$T/old/bdb"
}

@test "metasnap: restore --force killed at any step leaves DIR old or new; the next run finishes or undoes it" {
	kill_setup
	mkdir "$T/dst"
	kill_sweep "$T/dst" renameat2 4
	kill_sweep "$T/dst" renameat 5
	kill_sweep "$T/dst" unlinkat 3
	kill_sweep "$T/dst" mkdirat 3
	kill_sweep "$T/dst" fsync 12
}

@test "metasnap: restore --force into a mount point killed at any step is finished or undone by the next run" {
	requires root
	kill_setup
	mkdir "$T/mnt"
	mount -t tmpfs tmpfs "$T/mnt" || skip "cannot mount a tmpfs here"
	MOUNT=1 kill_sweep "$T/mnt" renameat2 12
	MOUNT=1 kill_sweep "$T/mnt" renameat 5
	MOUNT=1 kill_sweep "$T/mnt" unlinkat 3
	MOUNT=1 kill_sweep "$T/mnt" fsync 12
	mountpoint -q "$T/mnt"
}

@test "metasnap: a SIGTERM that arrives after the swap reports success (exit 0)" {
	requires strace
	make_tree "$T/src"
	"$RESCUE" metasnap save -q "$T/src" -o "$T/a.tar.gz"
	mkdir "$T/dst"
	echo old >"$T/dst/old"
	# the first unlinkat comes after the new tree is in place
	run timeout 60 strace -f -o /dev/null -e trace=unlinkat -e inject=unlinkat:signal=SIGTERM:when=1 \
		"$RESCUE" metasnap restore -q --force --devices "$T/a.tar.gz" "$T/dst"
	assert_equal "$status" 0
	assert_equal "$(listing "$T/dst")" "$(listing "$T/src")"
	assert_equal "$(cat "$T"/dst.old.*/old)" old
	assert_equal "$(find "$T" -maxdepth 1 -name 'dst.*' ! -name 'dst.old.*')" ""
}
