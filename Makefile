# rescue: static storage disaster-recovery tools, their initramfs and OCI image.
#
#   make            install missing build packages, build out/rescue, the links in
#                   out/bin/, out/rescue-initramfs.cpio.gz and out/rescue-oci.tar
#   make check      every test; the last line is "N passed, N failed"
#   make ARCH=arm64 out/arm64/: rescue (static, musl, aarch64), its initramfs and OCI image
#   make all-arches `make`, then `make ARCH=arm64` (mk/arch.mk, docs/arm64.md)
#   make fetch      gather every outside input into build/ (then `make` needs no network)
#   make deps       install missing Debian packages (root) or name them
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean      remove what the build made (keeps the fetched inputs in build/)
#   make distclean  also remove the fetched inputs
#   make size | bench | fuzz      (see README.md)
#   V=1             show the commands;  PROFILE=config/x.conf  another image profile
#
# Settings: every variable in config.mak.example.  Each is taken from, highest
# first: the command line (make CC=...), config.mak (copy config.mak.example;
# git ignores it), the environment (not for CC), the default below.  Never edit this file
# for a local setting.  mk/ holds the make fragments; config/ the image
# profiles and the pinned inputs (config/kernel.conf, config/zlib.conf).

# ---- the defaults (config.mak.example documents each; IMAGE_TAG and FUZZ_CC
# default with ?= in initramfs/rules.mk and tests/rules.mk, after config.mak) ----
VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
PROFILE ?= config/default.conf
B ?= build
W ?= $(B)
O ?= out
V ?=
# CC is make's own built-in ("cc", origin default), so ?= would never apply;
# -R (no built-in variables) leaves it undefined.  An exported CC (often gcc)
# is ignored too: it would silently link against glibc, and the product is a
# static musl binary, so only the command line or config.mak change CC.
ifneq ($(filter default undefined environment,$(origin CC)),)
CC := musl-gcc
endif
# -Oz (GCC 12): 4 KiB under -Os, no slower in what was measured (mfsmetadump)
CFLAGS ?= -Oz
# the hot paths (hashing, the MooseFS restore) keep -O2: -Os costs them 10-30 %;
# without -O2's code alignment (4 KiB; bench/mfsmetarestore no slower)
CFLAGS_HOT ?= -O2 -falign-functions=1 -falign-jumps=1 -falign-loops=1 -falign-labels=1
# Reproducible builds: every timestamp comes from here (the last commit).
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 1)
include config/kernel.conf
-include config.mak
# ARCH: x86_64 (default) or arm64; sets AB, the per-architecture build pieces
include mk/arch.mk

# B holds the fetched inputs and shared build pieces (zlib, headers);
# W the compiled objects and test programs; O the artifacts.  Several people
# (or agents) can build in one tree at once with their own W= and O=.
# Nothing below assigns a setting again: config.mak's values stand.
Q := $(if $(filter 1,$(V)),,@)
export SOURCE_DATE_EPOCH
export LC_ALL := C
export TZ := UTC

# the include dirs: build/include (zlib, xxhash) and build/kernel-headers, which
# holds ONLY linux/ asm/ asm-generic/ (musl-gcc must not see the glibc headers)
INC := $(AB)/include
KINC := $(AB)/kernel-headers
# Size (issue 13): one section per function and object so that --gc-sections
# drops what nothing calls, and no .eh_frame (C without exceptions or
# backtraces never unwinds), and -fno-pie: the link is a static non-PIE
# executable (loaded at a fixed address either way), so position-independent
# code only cost size (8 KiB).  HOT_SRCS get $(CFLAGS_HOT) after $(CFLAGS).
SIZE_CFLAGS := -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-pie
# The restore's hot path: the files where -O2 makes bench/mfsmetarestore's restore
# run fewer instructions (callgrind, per file: replay.c, meta_core.c and meta_store.c
# 10-40 % fewer, changelog.c 6 %; meta_load.c and the replay_* handlers no
# different, so they stay -Os like the dumper, the 1.6 and older formats and the
# family report); and blksync's hashing.
HOT_SRCS := rescue/blksync/hash.c rescue/lib/sha256.c \
	$(addprefix rescue/moosefs/,meta_core.c meta_store.c changelog.c replay.c)
ALL_CFLAGS = -std=c11 -Wall -Wextra -Werror $(SIZE_CFLAGS) $(CFLAGS) $(if $(filter $<,$(HOT_SRCS)),$(CFLAGS_HOT)) \
	-D_GNU_SOURCE -DRESCUE_VERSION='"$(VERSION)"' -ffile-prefix-map=$(CURDIR)=. \
	-Irescue -isystem $(INC) -isystem $(KINC) -MMD -MP
LDFLAGS_STATIC := -static -s -Wl,--build-id=none -Wl,--gc-sections

SRCS := $(sort $(wildcard rescue/*.c rescue/*/*.c))
LIB_SRCS := $(filter-out rescue/main.c,$(SRCS))
OBJS := $(SRCS:%.c=$(W)/obj/%.o)
LIB_OBJS := $(LIB_SRCS:%.c=$(W)/obj/%.o)
ZLIB := $(AB)/zlib/libz.a
HEADERS_STAMP := $(AB)/headers.stamp

.PHONY: all deps check-deps fetch links install clean distclean size bench fuzz check FORCE
all: deps $(O)/rescue $(ARCH_ALL)

include mk/deps.mk
include mk/fetch.mk
include tests/rules.mk
-include initramfs/rules.mk
-include bench/rules.mk

# ---- the binary ----
# the objects are rebuilt when the compiler or a flag changes, not only a source
$(W)/obj/flags.id: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' '$(subst ','\'',$(CC) | $(ALL_CFLAGS) | $(CFLAGS_HOT) $(HOT_SRCS) | $(LDFLAGS_STATIC))' >$@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv -f $@.new $@; fi

$(W)/obj/%.o: %.c $(HEADERS_STAMP) $(W)/obj/flags.id
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/rescue: $(OBJS) $(ZLIB) $(W)/obj/flags.id
	@mkdir -p $(@D)
	$(if $(Q),@echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS_STATIC) -o $@.tmp $(OBJS) $(ZLIB)
	$(Q)mv -f $@.tmp $@

# out/bin/TOOL -> ../rescue, one per tool that `rescue --list` names
links: $(O)/rescue
	$(Q)rm -rf $(O)/bin && mkdir -p $(O)/bin
	$(Q)for t in $$($(O)/rescue --list); do ln -s ../rescue $(O)/bin/$$t; done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(O)/rescue $(DESTDIR)$(PREFIX)/bin/rescue
	for t in $$($(O)/rescue --list); do ln -sf rescue $(DESTDIR)$(PREFIX)/bin/$$t; done
	for m in docs/man/*.1; do [ -e "$$m" ] && install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man1/ || true; done
	if [ -e $(O)/rescue-initramfs.cpio.gz ]; then install -d $(DESTDIR)$(PREFIX)/share/rescue && \
		install -m 644 $(O)/rescue-initramfs.cpio.gz $(O)/rescue-oci.tar $(DESTDIR)$(PREFIX)/share/rescue/; fi

clean:
	rm -rf $(O) $(W)/obj $(W)/unit $(W)/fuzz $(W)/fuzzobj $(W)/rootfs $(W)/test $(W)/image

distclean: clean
	rm -rf $(B)

-include $(OBJS:.o=.d)
