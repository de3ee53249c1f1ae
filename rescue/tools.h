/* tools.h: every tool, sorted by name.  The ONLY list of tools: main.c, the
 * Makefile's links, build-rootfs and the tests all derive theirs from it
 * (through `rescue --list`).  Adding a tool = one line here + its file with
 * `int NAME_main(int argc, char **argv)`, which includes "toolmain.h" (the
 * prototypes, derived from this list). */
TOOL(blksync, "hash backup and full backup of block devices and images over a pipe")
TOOL(confset, "edit key = value configuration files safely")
TOOL(dumpplan, "group volumes onto backup media (Coda dumplists)")
TOOL(metapick, "find the freshest copy among nodes' metadata directories")
TOOL(metasnap, "back up, verify, diff and restore a metadata directory")
TOOL(mfsmetadump, "print a MooseFS metadata file as text")
TOOL(mfsmetarestore, "restore MooseFS metadata from a snapshot and changelogs")
TOOL(mkcpio, "write or list a reproducible newc cpio archive")
TOOL(mkoci, "write an OCI / docker-archive image tar")
