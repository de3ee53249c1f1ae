# gen.awk: write a MooseFS 3.0.117 changelog (format: shared research notes
# on the changelog, "ID: TS|OP(args):result") for the mfsmetarestore benchmark.
# Every line is one the real master writes, with the result it would log, so
# `mfsmaster restore` replays it.
#
#   awk -v phase=tree -v dirs=D -v files=F             (from an empty fs, id 1)
#       D directories below the root, F files in each: 1 + D*(F+1) inodes;
#       every other file has one chunk (write + length + unlock).
#   awk -v phase=mix -v dirs=D -v files=F -v first=ID -v nextchunk=C -v units=U
#       U units of 10 lines on that tree, starting at changelog id ID (the
#       snapshot's version) with C = the snapshot's next chunk id: create + write
#       + length + unlock of a new file, attr, xattr, amtime and a cross-directory
#       rename of an old file, then unlink / symlink / hard link, then an atime.
# Inode numbers: root 1, directory i (0-based) 2+i, file j of directory i
# 2+D+i*F+j; later creations take the next numbers (nothing is freed).
BEGIN {
	ts = 1700000000
	if (phase == "tree") {
		id = 1
		printf "%d: %d|SETMETAID(%d)\n", id++, ts, 5555123456789
		for (i = 0; i < dirs; i++)
			printf "%d: %d|CREATE(1,d%d,2,493,18,0,0,0):%d\n", id++, ts, i, 2 + i
		ino = 2 + dirs
		chunk = 1
		for (i = 0; i < dirs; i++) {
			t = ts + int(i / 10)
			for (j = 0; j < files; j++) {
				printf "%d: %d|CREATE(%d,f%d,1,420,18,1000,1000,0):%d\n", id++, t, 2 + i, j, ino
				if (j % 2 == 0) {
					printf "%d: %d|WRITE(%d,0,1,0):%d\n", id++, t, ino, chunk
					printf "%d: %d|LENGTH(%d,%d,0)\n", id++, t, ino, 100 + j * 37
					printf "%d: %d|UNLOCK(%d)\n", id++, t, chunk++
				}
				ino++
			}
		}
		exit
	}
	id = first
	ino = 2 + dirs + dirs * files
	chunk = nextchunk
	for (u = 0; u < units; u++) {
		t = ts + 86400 + int(u / 100)
		di = u % dirs
		fj = int(u / dirs) % files
		d = 2 + di
		d2 = 2 + (di + 1) % dirs
		d3 = 2 + (di + 2) % dirs
		old = 2 + dirs + di * files + fj
		n = ino++
		printf "%d: %d|CREATE(%d,n%d,1,420,18,0,0,0):%d\n", id++, t, d, u, n
		printf "%d: %d|WRITE(%d,0,1,0):%d\n", id++, t, n, chunk
		printf "%d: %d|LENGTH(%d,%d,0)\n", id++, t, n, 1000 + u % 5000
		printf "%d: %d|UNLOCK(%d)\n", id++, t, chunk++
		printf "%d: %d|ATTR(%d,384,1001,1002,%d,%d,0,384)\n", id++, t, old, t, t
		printf "%d: %d|SETXATTR(%d,user.bench,v%d,0)\n", id++, t, old, u
		printf "%d: %d|AMTIME(%d,%d,%d,%d)\n", id++, t, old, t, t, t
		printf "%d: %d|MOVE(%d,f%d,%d,m%d):%d\n", id++, t, d, fj, d2, u, old
		if (u % 3 == 0)
			printf "%d: %d|UNLINK(%d,n%d):%d\n", id++, t, d, u, n
		else if (u % 3 == 1)
			printf "%d: %d|SYMLINK(%d,s%d,../d%d/n%d,0,0):%d\n", id++, t, d, u, di, u, ino++
		else
			printf "%d: %d|LINK(%d,%d,h%d)\n", id++, t, n, d3, u
		printf "%d: %d|ACCESS(%d)\n", id++, t, d
	}
}
