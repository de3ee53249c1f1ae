# mk/arch.mk: the target architecture (issue 17).  Read by the Makefile after
# config.mak, before anything uses W, O, CC or the per-architecture build pieces.
#
#   ARCH=x86_64 (the default)   out/rescue, the images, the boot media
#   ARCH=arm64                  out/arm64/rescue (static, musl, aarch64),
#                               out/arm64/rescue-initramfs.cpio.gz, rescue-vmlinuz
#                               rescue-oci.tar (linux/arm64) and rescue.iso (UEFI
#                               only, from the same image); no netboot bundle, no
#                               `media` of MEDIA_PROFILE, no out/bin links
#   make all-arches             `make` (x86-64) and `make ARCH=arm64`
#   make check                  builds the arm64 binary, images and unit tests too;
#                               tests/arm64.bats runs them under qemu-aarch64 (user
#                               mode), the binary against the x86-64 one;
#                               tests/integration/arm64-boot.bats boots the image
#                               and the ISO (AAVMF, qemu-efi-aarch64)
#
# The arm64 toolchain is Debian's: gcc-aarch64-linux-gnu with musl-dev:arm64's
# wrapper aarch64-linux-musl-gcc (ARM64_CC), and linux-libc-dev-arm64-cross for
# the private kernel headers.  zlib, busybox and dropbear are cross-built from
# the same Debian sources as the x86-64 ones (ARCH_CROSS: the binutils prefix);
# the image build runs the arm64 rescue (confset, mkcpio, mkoci) and the built
# busybox (its applet list) under qemu-aarch64 (TARGET_RUN, Debian's qemu-user).
# Debian's arm64 cloud kernel (KERNEL_ARM64_CLOUD_PACKAGE, config/kernel.conf)
# is fetched into $(B)/debs/kernel/arm64-cloud and unpacked as the `cloud`
# flavour of $(B)/arm64/kernels (ARCH_KERNELS); the ISO's loaders, Debian's
# signed shim-signed:arm64 and grub-efi-arm64-signed:arm64 (ARM64_LOADER_DEBS),
# into $(B)/debs/arm64-loaders, unpacked in $(AB)/loaders; busybox and dropbear builds are
# cached in $(AB)/busybox and $(AB)/dropbear.  The arm64 objects go to $(W)/arm64, its zlib and headers
# to $(B)/arm64 (AB), the binary to $(O)/arm64, unless W or O are given on the
# command line.  CC in config.mak is the x86-64 compiler; ARM64_CC the arm64 one.

# this file comes before the Makefile's first rule
.DEFAULT_GOAL := all

# An ARCH exported by the environment (kernel builds export ARCH=x86) is not ours.
ifneq ($(filter default undefined environment,$(origin ARCH)),)
ARCH := x86_64
endif
override ARCH := $(patsubst amd64,x86_64,$(patsubst aarch64,arm64,$(ARCH)))
ARM64_CC ?= aarch64-linux-musl-gcc
# Debian packages the arm64 build needs (musl-dev:arm64 needs `dpkg --add-architecture arm64`)
ARM64_BUILD_PKGS := gcc-aarch64-linux-gnu musl-dev:arm64 linux-libc-dev-arm64-cross qemu-user
ARM64_KHDR := /usr/aarch64-linux-gnu/include

ifeq ($(ARCH),x86_64)
AB = $(B)
KHDR = $(DEBROOT)/usr/include
KHDR_ASM = $(KHDR)/x86_64-linux-gnu/asm
ZLIB_CHOST :=
ARCH_ALL := links images media
ARCH_ISO_ARGS :=
ARCH_CROSS :=
TARGET_RUN :=
MKOCI_ARCH :=
ARCH_KERNELS = $(KERNELS)
ARCH_KERNELS_STAMP :=
else ifeq ($(ARCH),arm64)
AB = $(B)/arm64
ifneq ($(origin W),command line)
W := $(W)/arm64
endif
ifneq ($(origin O),command line)
O := $(O)/arm64
endif
ifneq ($(origin CC),command line)
CC := $(ARM64_CC)
endif
KHDR = $(ARM64_KHDR)
KHDR_ASM = $(KHDR)/asm
ZLIB_CHOST := aarch64-linux-gnu
ARCH_ALL := images $(O)/rescue.iso
ARCH_ISO_ARGS := -a arm64
ARCH_CROSS := aarch64-linux-gnu-
TARGET_RUN := qemu-aarch64
MKOCI_ARCH := -a arm64
ARCH_KERNELS = $(AB)/kernels
ARCH_KERNELS_STAMP = $(AB)/kernels.stamp
ifneq ($(filter links media size install check fuzz fuzz-build bench all-arches,$(MAKECMDGOALS)),)
$(error ARCH=arm64 builds out/arm64/rescue, its images, its UEFI ISO (no other boot media, no links) and its unit tests; `make check` builds and tests them from the default ARCH)
endif
deps: deps-arm64
fetch: $(B)/arm64/fetch.stamp

# Debian's arm64 cloud kernel and the ISO's signed loaders, apart from the
# x86-64 inputs; `make fetch ARCH=arm64` gets them (apt-get download PKG:arm64:
# apt lists arm64, deps-arm64); a .deb already there is not fetched again
ARM64_LOADER_DEBS := shim-signed grub-efi-arm64-signed
$(B)/arm64/fetch.stamp: config/kernel.conf mk/arch.mk
	$(Q)mk/fetch-kernel $(B)/debs/kernel/arm64-cloud $(KERNEL_ARM64_CLOUD_PACKAGE):arm64 linux-image-cloud-arm64:arm64
	$(Q)mkdir -p $(B)/debs/arm64-loaders && cd $(B)/debs/arm64-loaders && for p in $(ARM64_LOADER_DEBS); do \
		ls $${p}_*_arm64.deb >/dev/null 2>&1 || { echo "  FETCH   $$p:arm64"; apt-get download -q $$p:arm64 2>&1 | grep -v '^W: Download is performed unsandboxed' || true; }; \
		ls $${p}_*_arm64.deb >/dev/null 2>&1 || { echo "make fetch: could not download Debian package $$p:arm64" >&2; exit 1; }; \
	done
	$(Q)mkdir -p $(@D) && touch $@

# the ISO's loaders (mkiso -l): dpkg-deb -x, nothing is installed
$(AB)/loaders.stamp: $(B)/arm64/fetch.stamp
	$(Q)rm -rf $(AB)/loaders && mkdir -p $(AB)/loaders
	$(Q)for d in $(B)/debs/arm64-loaders/*.deb; do dpkg-deb -x $$d $(AB)/loaders; done
	$(Q)touch $@

$(AB)/kernels.stamp: $(B)/arm64/fetch.stamp
	$(Q)rm -rf $(AB)/kernels && mkdir -p $(AB)/kernels/cloud
	$(Q)for d in $(B)/debs/kernel/arm64-cloud/*.deb; do dpkg-deb -x $$d $(AB)/kernels/cloud; done
	$(Q)touch $@
else
$(error ARCH=$(ARCH): use x86_64 (the default) or arm64)
endif

.PHONY: deps-arm64 arm64 arm64-unit all-arches clean-arm64
# musl-dev:arm64 is a foreign-architecture package: add the architecture first
# (as root, with apt-get update; another user is told the commands)
deps-arm64:
	@if ! dpkg --print-foreign-architectures | grep -qx arm64; then \
		if [ "$$(id -u)" = 0 ]; then echo "  DEPS   dpkg --add-architecture arm64"; \
			dpkg --add-architecture arm64 && apt-get update -q >/dev/null; \
		else echo "make: the arm64 build needs: sudo dpkg --add-architecture arm64 && sudo apt-get update" >&2; fi; fi
	$(call install_missing,$(ARM64_BUILD_PKGS))

ifeq ($(ARCH),x86_64)
# the arm64 binary and images from an x86-64 make; the shared inputs are made
# here first so that the two makes never remake them at the same time
arm64: deps deps-arm64 $(B)/debroot.stamp $(B)/busybox-src.stamp $(B)/dropbear-src.stamp
	$(Q)$(MAKE) --no-print-directory ARCH=arm64 W=$(W)/arm64 O=$(O)/arm64 all

# and the unit tests, which tests/arm64.bats runs under qemu-aarch64
arm64-unit: arm64
	$(Q)$(MAKE) --no-print-directory ARCH=arm64 W=$(W)/arm64 O=$(O)/arm64 unit

all-arches: all arm64
check: arm64-unit
check-deps: deps-arm64
# `make clean` removes $(O), so out/arm64 too; and the arm64 objects
clean: clean-arm64
clean-arm64:
	rm -rf $(W)/arm64/obj $(W)/arm64/unit $(W)/arm64/image
endif
