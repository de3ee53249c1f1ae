# shellcheck shell=bash
# workload.sh: sourced by gen-scenarios inside the scenario's namespace.
# File-system workloads run through a real mfsmount; each one makes the master
# log a known set of changelog operations (names in the comments).

# socket_at PATH: a unix socket node (CREATE type 6), made with perl-base.
socket_at() {
	perl -MSocket -e 'socket(S, PF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
		bind(S, pack_sockaddr_un($ARGV[0])) or die "bind $ARGV[0]: $!"' "$1"
}

# posix_lock FILE: take and drop a POSIX byte-range lock (POSIXLOCK W/R/U).
posix_lock() {
	perl -MFcntl -e 'open(my $f, "+<", $ARGV[0]) or die "$ARGV[0]: $!";
		my $w = pack("s s q q i", F_WRLCK, 0, 0, 100, 0);
		fcntl($f, F_SETLKW, $w) or die "lock: $!";
		my $r = pack("s s q q i", F_RDLCK, 0, 200, 50, 0);
		fcntl($f, F_SETLKW, $r) or die "rlock: $!";
		my $u = pack("s s q q i", F_UNLCK, 0, 0, 0, 0);
		fcntl($f, F_SETLK, $u) or die "unlock: $!";' "$1"
}

# wl_namespace M DIR: the ordinary operations under M/DIR.
# CREATE (file, dir, fifo, block/char dev, socket) SYMLINK LINK UNLINK MOVE
# ACQUIRE WRITE LENGTH UNLOCK TRUNC ATTR AMTIME ACCESS SETXATTR SETACL
# SETTRASHTIME SETSCLASS SETEATTR ARCHCHG QUOTA SNAPSHOT APPEND FLOCK POSIXLOCK
wl_namespace() {
	local m=$1 d=$1/$2 i
	mkdir -p "$d/d1/sub/deep" "$d/d2" "$d/acl" "$d/q" "$d/src/inner" "$d/app"
	# files with data, odd names (escaping: , % ( ) tab newline, UTF-8)
	head -c 100000 /dev/urandom >"$d/d1/f1"
	head -c 1048576 /dev/urandom >"$d/d1/f2"
	echo small >"$d/d1/small"
	echo odd >"$d/d1/we,ird%(name)"
	echo tabs >"$d/d1/tab	and
newline"
	echo utf >"$d/d1/zażółć"
	for i in 1 2 3 4 5; do
		head -c $((i * 7000)) /dev/urandom >"$d/src/s$i"
	done
	echo inner >"$d/src/inner/deepfile"
	# appends, truncates (shrink inside a chunk = TRUNC), grow, 2nd chunk
	echo appended >>"$d/d1/f1"
	head -c 3000 /dev/urandom >>"$d/d1/f1"
	truncate -s 5000 "$d/d1/f2"
	truncate -s 0 "$d/d1/small"
	truncate -s 100M "$d/d1/sparse"
	dd if=/dev/urandom of="$d/d1/twochunks" bs=4k count=2 seek=$((70 * 256)) 2>/dev/null
	# renames: same dir, across dirs, over an existing file (unlink to trash)
	mv "$d/d1/f1" "$d/d2/f1moved"
	echo x >"$d/d2/renamed"
	mv "$d/d2/renamed" "$d/d2/renamed2"
	echo old >"$d/d2/target"
	echo new >"$d/d1/replacer"
	mv "$d/d1/replacer" "$d/d2/target"
	mv "$d/d1/sub/deep" "$d/d2/deepmoved"
	# hard and symbolic links
	ln "$d/d2/f1moved" "$d/d1/hard1"
	ln "$d/d1/hard1" "$d/d2/hard2"
	ln -s ../d2/f1moved "$d/d1/sym1"
	ln -s "/nonexistent/$(printf 'p%.0s' $(seq 1 300))" "$d/d1/longsym"
	# device nodes, fifo, socket
	mknod "$d/d1/cdev" c 1 3
	mknod "$d/d1/bdev" b 7 0
	mkfifo "$d/d1/fifo"
	socket_at "$d/d1/sock"
	# modes, owners, times
	chmod 4755 "$d/d2/f1moved"
	chmod 2750 "$d/d1/sub"
	chmod 1777 "$d/d2"
	chmod 600 "$d/d1/f2"
	chown 1000:1000 "$d/d1/f2"
	chown 123 "$d/src/s1"
	chgrp 456 "$d/src/s2"
	chown -h 77:88 "$d/d1/sym1"
	touch -d @1000000000 "$d/d1/small"
	touch -a -d @1100000000 "$d/src/s3"
	touch -m -d @1200000000 "$d/src/s4"
	cat "$d/src/s5" >/dev/null
	# extended attributes (set, binary value, replace, remove)
	setfattr -n user.k1 -v hello "$d/d1/f2"
	setfattr -n user.k2 -v 0x00ff7c25 "$d/d1/f2"
	setfattr -n user.k1 -v replaced "$d/d1/f2"
	setfattr -n user.gone -v x "$d/d1/f2"
	setfattr -x user.gone "$d/d1/f2"
	setfattr -n user.dir -v "a,b%(c)" "$d/d2"
	# POSIX ACLs: access, default (inherited by new nodes), removal
	setfacl -m u:1000:rwx,g:100:rx "$d/src/s1"
	setfacl -d -m u::rwx,g::rx,o::-,u:1001:rwx "$d/acl"
	setfacl -m g:200:rwx "$d/acl"
	echo inh >"$d/acl/inherit"
	mkdir "$d/acl/subdir"
	setfacl -m u:1002:r "$d/src/s2"
	setfacl -b "$d/src/s2"
	# storage classes, trash time, extra attributes, archive flag
	mfssetgoal 2 "$d/d1/f2" >/dev/null
	mfssetgoal -r 3 "$d/src" >/dev/null
	mfssetsclass -r "sc_$2" "$d/app" >/dev/null
	mfssettrashtime 0 "$d/d1/small" >/dev/null
	mfssettrashtime -r 7200 "$d/d2" >/dev/null
	mfsseteattr -f noowner "$d/d1/f2" >/dev/null
	mfsseteattr -r -f nodatacache "$d/src" >/dev/null
	mfsdeleattr -f nodatacache "$d/src/s3" >/dev/null
	mfssetarchive "$d/src/s4" >/dev/null
	mfsclrarchive "$d/src/s4" >/dev/null
	# quotas: set, change, delete
	mfssetquota -i 1000 -I 2000 -l 1G -L 2G "$d/q" >/dev/null
	mfssetquota -s 10M -S 20M -r 30M -R 40M -p 3600 "$d/q" >/dev/null
	mkdir "$d/q2"
	mfssetquota -I 5 "$d/q2" >/dev/null
	mfsdelquota -a "$d/q2" >/dev/null
	# snapshots: new, overwrite (-o), cp-like (-c), removal (SNAPSHOT delete mode)
	mfsmakesnapshot "$d/src" "$d/snap1"
	echo changed >>"$d/src/s5"
	mfsmakesnapshot -o "$d/src" "$d/snap1"
	mfsmakesnapshot -c "$d/src/s1" "$d/snapc"
	mfsmakesnapshot "$d/src" "$d/snap2"
	mfsrmsnapshot "$d/snap2"
	mfsmakesnapshot -p "$d/d2" "$d/snapp"
	# chunk appends (APPEND, and a slice)
	mfsappendchunks "$d/app/joined" "$d/d1/f2" "$d/src/s1" >/dev/null
	mfsappendchunks -s 0:0 "$d/app/joined2" "$d/d1/twochunks" >/dev/null
	# locks: flock (FLOCK E/U) and POSIX locks
	flock "$d/src/s3" true
	flock -s "$d/src/s3" true
	posix_lock "$d/src/s4"
	# removals: file, dir, symlink, device; last link of a file goes to trash
	rm "$d/d1/cdev" "$d/d2/hard2"
	rmdir "$d/d2/deepmoved"
	rm "$d/d1/longsym"
}

# wl_sclass M NAME: storage class admin (SCSET new and modify, SCDUP, SCREN,
# SCDEL); leaves class NAME (used by wl_namespace) and NAME_copy.
wl_sclass() {
	local m=$1 n=sc_$2
	mfsscadmin "$m" create -K '*' "$n" >/dev/null
	mfsscadmin "$m" modify -K '*,*' -A '*' -d 3 "$n" >/dev/null
	mfsscadmin "$m" copy "$n" "${n}_copy" "${n}_tmp" >/dev/null
	mfsscadmin "$m" rename "${n}_tmp" "${n}_gone" >/dev/null
	mfsscadmin "$m" delete "${n}_gone" >/dev/null
}
