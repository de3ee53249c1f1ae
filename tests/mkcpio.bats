#!/usr/bin/env bats
# mkcpio: archives checked by the real readers (GNU cpio, busybox cpio, gzip),
# and GNU cpio's archives read by mkcpio -t.
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p tree/sub tree/empty
	printf 'hello\n' >tree/sub/file
	printf 'abc' >tree/odd
	: >tree/zero
	ln -s sub/file tree/link
	chmod 0750 tree/sub
	chmod 4755 tree/odd
	export SOURCE_DATE_EPOCH=1700000000
}

# names of a tree as cpio stores them (no "."), sorted bytewise
tree_names() {
	(cd "$1" && find . ! -name . | sed 's,^\./,,' | LC_ALL=C sort)
}

@test "mkcpio: a directory archive lists and extracts the same with GNU cpio (exit 0)" {
	run_tool mkcpio -q -o a.cpio tree
	assert_success
	assert_output ""
	assert_equal "$(cpio -it --quiet <a.cpio)" "$(tree_names tree)"
	mkdir x && (cd x && cpio -idm --quiet <../a.cpio)
	diff -r tree x
	assert_equal "$(stat -c %a x/odd) $(stat -c %a x/sub) $(readlink x/link)" "4755 750 sub/file"
	# owner 0:0 and the mtime from SOURCE_DATE_EPOCH, whoever owns the files
	run cpio -itv --numeric-uid-gid --quiet <a.cpio
	refute_line --regexp '^[^ ]+ +[0-9]+ +[1-9]'
	run_tool mkcpio -tv a.cpio
	assert_line --regexp '^-rwsr-xr-x 0/0 +3 2023-11-14 22:13 odd$'
	assert_line --regexp '^lrwxrwxrwx 0/0 +8 2023-11-14 22:13 link -> sub/file$'
}

@test "mkcpio: output is reproducible: same bytes from the same tree, whatever the files' times (exit 0)" {
	run_tool mkcpio -q -z -o a.cpio.gz tree
	assert_success
	touch -d '2001-01-01' tree/sub/file tree
	run_tool mkcpio -q -z -o b.cpio.gz tree
	assert_success
	cmp a.cpio.gz b.cpio.gz
	SOURCE_DATE_EPOCH=1 run_tool mkcpio -q -z -o c.cpio.gz tree
	! cmp -s a.cpio.gz c.cpio.gz
	gzip -t a.cpio.gz
	# entries sorted, inode numbers 1..N in that order
	run_tool mkcpio -t a.cpio.gz
	assert_output "$(tree_names tree)"
	zcat a.cpio.gz >a.cpio
	assert_equal "$(head -c 14 a.cpio)" "07070100000001"
}

@test "mkcpio: gzip output is read by busybox cpio and zcat (exit 0)" {
	run_tool mkcpio -q -z -o a.cpio.gz tree
	assert_success
	assert_equal "$(zcat a.cpio.gz | busybox cpio -t 2>/dev/null)" "$(tree_names tree)"
}

@test "mkcpio: a gen_init_cpio list makes device nodes, links, fifos; merged with a directory (exit 0)" {
	cat >list <<-EOF
		# the kernel's gen_init_cpio syntax
		dir /dev 0755 0 0
		nod /dev/console 0600 0 0 c 5 1
		nod /dev/sda 0660 0 6 b 8 0
		slink /bin/sh busybox 0777 0 0
		dir /bin 0755 0 0
		pipe /run.fifo 0644 0 0
		file /sub/extra $BATS_TEST_TMPDIR/tree/odd 0600 1000 1000
	EOF
	run_tool mkcpio -q -l list -o a.cpio tree
	assert_success
	run cpio -itv --numeric-uid-gid --quiet <a.cpio
	assert_success
	assert_line --regexp '^crw------- +1 0 +0 +5, +1 .* dev/console$'
	assert_line --regexp '^brw-rw---- +1 0 +6 +8, +0 .* dev/sda$'
	assert_line --regexp '^lrwxrwxrwx +1 0 +0 +7 .* bin/sh -> busybox$'
	assert_line --regexp '^prw-r--r-- +1 0 +0 +0 .* run.fifo$'
	assert_line --regexp '^-rw------- +1 1000 +1000 +3 .* sub/extra$'
	assert_line --regexp '^-rw-r--r-- +1 0 +0 +6 .* sub/file$'
}

@test "mkcpio: -t lists GNU cpio's newc and crc archives as cpio -t does (exit 0)" {
	(cd tree && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >gnu.cpio
	(cd tree && find . | LC_ALL=C sort | cpio -o -H crc --quiet) >crc.cpio
	run_tool mkcpio -t gnu.cpio
	assert_success
	assert_output "$(cpio -it --quiet <gnu.cpio)"
	run_tool mkcpio -t crc.cpio
	assert_success
	assert_output "$(cpio -it --quiet <crc.cpio)"
	# concatenated archives, as the kernel takes them
	cat gnu.cpio gnu.cpio >twice.cpio
	run_tool mkcpio -t twice.cpio
	assert_success
	assert_equal "${#lines[@]}" $((2 * $(cpio -it --quiet <gnu.cpio | wc -l)))
	run_link mkcpio -t - <gnu.cpio
	assert_success
	assert_output "$(cpio -it --quiet <gnu.cpio)"
}

@test "mkcpio: an archive with a '..' name is refused by -t (exit 3)" {
	mkdir -p u/sub && echo evil >u/evil
	(cd u/sub && echo ../evil | cpio -o -H newc --quiet) >dotdot.cpio
	snapshot dotdot.cpio
	run_tool mkcpio -t dotdot.cpio
	assert_equal "$status" 3
	assert_equal "$stderr" "mkcpio: dotdot.cpio@120: unsafe name '../evil' (absolute or '..')"
	assert_output ""
	assert_unchanged
}

@test "mkcpio: an archive with an absolute name is refused by -t (exit 3)" {
	echo x >abs
	echo "$BATS_TEST_TMPDIR/abs" | cpio -o -H newc --quiet >abs.cpio
	run_tool mkcpio -t abs.cpio
	assert_equal "$status" 3
	assert_regex "$stderr" "^mkcpio: abs.cpio@[0-9]+: unsafe name '/.*/abs' \\(absolute or '..'\\)$"
	assert_output ""
}

@test "mkcpio: a list name with '..' is refused, no archive written (exit 3)" {
	printf 'dir /ok 0755 0 0\ndir /ok/../../etc 0755 0 0\n' >list
	snapshot list
	run_tool mkcpio -l list -o a.cpio
	assert_equal "$status" 3
	assert_equal "$stderr" "mkcpio: list:2: unsafe name 'ok/../../etc' (empty, '.', '..' or '//')"
	assert_output ""
	[ ! -e a.cpio ]
	assert_no_tmp .
	assert_unchanged
}

@test "mkcpio: a truncated gzip archive given to -t is an error with its offset (exit 3)" {
	head -c 300000 /dev/urandom >tree/big
	run_tool mkcpio -q -z -o a.cpio.gz tree
	assert_success
	head -c 200000 a.cpio.gz >cut.cpio.gz
	run_tool mkcpio -t cut.cpio.gz
	assert_equal "$status" 3
	assert_equal "$stderr" "mkcpio: cut.cpio.gz@200000: truncated gzip stream"
}

@test "mkcpio: a truncated or corrupt plain archive is an error (exit 3)" {
	run_tool mkcpio -q -o a.cpio tree
	head -c 300 a.cpio >cut.cpio
	run_tool mkcpio -t cut.cpio
	assert_equal "$status" 3
	assert_regex "$stderr" '^mkcpio: cut.cpio@300: truncated archive \(cut in (a header|a name|file data)\)$'
	printf 'hello world, not cpio' >junk
	run_tool mkcpio -t junk
	assert_equal "$status" 3
	assert_equal "$stderr" "mkcpio: junk@0: bad magic 'hello ' (not a newc cpio archive)"
	assert_output ""
	: >empty
	run_tool mkcpio -t empty
	assert_equal "$status" 3
	assert_equal "$stderr" "mkcpio: empty@0: empty input (not a cpio archive)"
}

@test "mkcpio: a wrong checksum in a crc archive is found (exit 3)" {
	(cd tree && printf 'sub/file\n' | cpio -o -H crc --quiet) >crc.cpio
	# flip the first data byte of sub/file ("hello")
	off=$(grep -abo hello crc.cpio | head -n 1 | cut -d: -f1)
	printf 'J' | dd of=crc.cpio bs=1 seek="$off" conv=notrunc status=none
	run_tool mkcpio -t crc.cpio
	assert_equal "$status" 3
	assert_regex "$stderr" "^mkcpio: crc.cpio@[0-9]+: 'sub/file': checksum [0-9A-F]{8}, header says [0-9A-F]{8}$"
}

@test "mkcpio: a name given twice and an entry without its parent are refused (exit 3)" {
	printf 'file /odd %s 0644 0 0\n' "$BATS_TEST_TMPDIR/tree/odd" >dup
	run_tool mkcpio -l dup -o a.cpio tree
	assert_equal "$status" 3
	assert_regex "$stderr" "^mkcpio: 'odd' given twice \\((tree/odd and dup:1|dup:1 and tree/odd)\\)$"
	printf 'nod /dev/console 0600 0 0 c 5 1\n' >orphan
	run_tool mkcpio -l orphan -o a.cpio
	assert_equal "$status" 3
	assert_equal "$stderr" "mkcpio: orphan:1: 'dev/console': parent directory 'dev' is not in the archive"
	[ ! -e a.cpio ]
	assert_no_tmp .
}

@test "mkcpio: bad list lines name the line (exit 3)" {
	printf 'dir /a 0755 0 0\nfrob /b\n' >l1
	run_tool mkcpio -l l1 -o a.cpio
	assert_equal "$status" 3
	assert_equal "$stderr" "mkcpio: l1:2: unknown entry type 'frob'"
	printf 'dir /a 0999 0 0\n' >l2
	run_tool mkcpio -l l2 -o a.cpio
	assert_equal "$status" 3
	assert_equal "$stderr" "mkcpio: l2:1: bad mode, uid or gid '0999 0 0'"
	printf 'file /a /nonexistent/x 0644 0 0\n' >l3
	run_tool mkcpio -l l3 -o a.cpio
	assert_equal "$status" 3
	assert_equal "$stderr" "mkcpio: l3:1: /nonexistent/x: No such file or directory"
	printf 'nod /a 0600 0 0 x 1 1\n' >l4
	run_tool mkcpio -l l4 -o a.cpio
	assert_equal "$status" 3
	assert_equal "$stderr" "mkcpio: l4:1: bad device 'x 1 1' (want c|b MAJOR MINOR)"
	[ ! -e a.cpio ]
}

@test "mkcpio: an existing output is kept without -f (exit 5) and replaced with -f (exit 0)" {
	echo old >a.cpio
	snapshot a.cpio
	run_tool mkcpio -q -o a.cpio tree
	assert_equal "$status" 5
	assert_regex "$stderr" "^mkcpio: .*a.cpio: exists; not overwritten \\(use -f\\)$"
	assert_unchanged
	run_tool mkcpio -q -f -o a.cpio tree
	assert_success
	assert_equal "$(cpio -it --quiet <a.cpio)" "$(tree_names tree)"
	assert_no_tmp .
}

@test "mkcpio: the output inside the archived directory is refused (exit 5)" {
	run_tool mkcpio -q -o tree/self.cpio tree
	assert_success
	snapshot tree/self.cpio
	run_tool mkcpio -q -f -o tree/self.cpio tree
	assert_equal "$status" 5
	assert_equal "$stderr" "mkcpio: tree/self.cpio: is the output file; not archived into itself"
	assert_unchanged
	assert_no_tmp tree
}

@test "mkcpio: usage errors (exit 2)" {
	run_tool mkcpio tree
	assert_equal "$status" 2
	assert_equal "$stderr" "mkcpio: missing -o OUT (see 'mkcpio --help')"
	run_tool mkcpio -o a.cpio
	assert_equal "$status" 2
	assert_equal "$stderr" "mkcpio: nothing to archive (give a DIR or -l LIST) (see 'mkcpio --help')"
	run_tool mkcpio -t -o a.cpio x
	assert_equal "$status" 2
	assert_equal "$stderr" "mkcpio: -t takes one FILE and only -v (see 'mkcpio --help')"
	SOURCE_DATE_EPOCH=yesterday run_tool mkcpio -o a.cpio tree
	assert_equal "$status" 2
	assert_equal "$stderr" "mkcpio: bad SOURCE_DATE_EPOCH 'yesterday' (see 'mkcpio --help')"
	[ ! -e a.cpio ]
}

@test "mkcpio: --help and the link name (exit 0)" {
	run_link mkcpio --help
	assert_success
	assert_line --index 0 "usage: mkcpio [-fqz] [-l LIST]... -o OUT [DIR]..."
	run_tool mkcpio -o a.cpio tree
	assert_success
	assert_equal "$stderr" "mkcpio: a.cpio: 6 entries, 1024 bytes"
}
