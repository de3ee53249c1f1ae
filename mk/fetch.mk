# mk/fetch.mk: every outside input of the build, gathered into build/ by `make fetch`
# (Debian packages as .deb files, zlib, busybox and dropbear as Debian's source packages).  Once they
# are there, `make` needs no network.  Pieces already present are not fetched
# again, so a build/ copied to an air-gapped host is used as it is.
# config/kernel.conf (KERNEL_*_PACKAGE, settings config.mak may override) is read
# by the Makefile before config.mak; the zlib, busybox and dropbear pins are not settings.
include config/zlib.conf
include config/busybox.conf
include config/dropbear.conf

# busybox-static (the profiles' `busybox = debian`, and depmod at build time),
# headers; the boot loaders of the ISO: isolinux (BIOS), Debian's
# signed shim and GRUB (UEFI, Secure Boot); iPXE for the netboot bundle
# (undionly.kpxe, ipxe.efi, snponly.efi: for clients whose firmware is not iPXE)
FETCH_DEBS := busybox-static libxxhash-dev linux-libc-dev isolinux syslinux-common shim-signed grub-efi-amd64-signed ipxe
KERNEL_FLAVOURS := cloud generic
DEBROOT := $(B)/debroot
KERNELS := $(B)/kernels
FETCH_STAMP := $(B)/fetch.stamp

fetch: $(FETCH_STAMP)

# re-run (fetching only what is missing) when the list of inputs changes
$(FETCH_STAMP): mk/fetch.mk config/kernel.conf config/zlib.conf config/busybox.conf config/dropbear.conf
	@mkdir -p $(B)/debs $(B)/src
	$(Q)cd $(B)/debs && for p in $(FETCH_DEBS); do \
		ls $${p}_*.deb >/dev/null 2>&1 || { echo "  FETCH   $$p"; apt-get download -q $$p 2>&1 | grep -v '^W: Download is performed unsandboxed' || true; }; \
		ls $${p}_*.deb >/dev/null 2>&1 || { echo "make fetch: could not download Debian package $$p" >&2; exit 1; }; \
	done
	$(Q)for f in $(B)/debs/linux-image-*cloud*.deb; do [ ! -e "$$f" ] || { mkdir -p $(B)/debs/kernel/cloud && mv "$$f" $(B)/debs/kernel/cloud/; }; done
	$(Q)mk/fetch-kernel $(B)/debs/kernel/cloud $(KERNEL_CLOUD_PACKAGE) linux-image-cloud-amd64
	$(Q)mk/fetch-kernel $(B)/debs/kernel/generic $(KERNEL_GENERIC_PACKAGE) linux-image-amd64
	$(Q)for p in zlib busybox dropbear; do ls $(B)/src/$${p}_*.dsc >/dev/null 2>&1 && continue; \
		apt-cache showsrc $$p 2>/dev/null | grep -q '^Version:' || $(MAKE) -s -C $(CURDIR) deb-src; \
		mk/fetch-source $$p $(B)/src || exit 1; \
	done
	$(Q)touch $@

# A deb-src list beside the existing lists (never replacing them), made from the
# machine's own 'deb' entries, so apt-get source can find zlib, busybox and dropbear.
.PHONY: deb-src
deb-src:
	@[ "$$(id -u)" = 0 ] || { echo "make: need root to add a deb-src list for apt (or run make fetch as root)" >&2; exit 1; }
	@d=/etc/apt/sources.list.d; \
	for f in $$d/*.sources; do [ -e "$$f" ] || continue; case $$f in *rescue-deb-src*) continue;; esac; \
		sed 's/^Types:.*/Types: deb-src/' "$$f"; echo; done > $$d/rescue-deb-src.sources; \
	[ -s $$d/rescue-deb-src.sources ] || rm -f $$d/rescue-deb-src.sources; \
	if [ -f /etc/apt/sources.list ]; then sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list > $$d/rescue-deb-src.list; \
		[ -s $$d/rescue-deb-src.list ] || rm -f $$d/rescue-deb-src.list; fi; \
	echo "  APT     added deb-src lists in $$d; apt-get update"; apt-get update -q >/dev/null

# Unpack every fetched .deb into one tree, each kernel into its own
# (build/kernels/FLAVOUR); dpkg-deb -x: nothing is installed.
$(B)/debroot.stamp: $(FETCH_STAMP)
	$(Q)rm -rf $(DEBROOT) $(KERNELS) && mkdir -p $(DEBROOT)
	$(Q)for d in $(B)/debs/*.deb; do dpkg-deb -x $$d $(DEBROOT); done
	$(Q)for k in $(KERNEL_FLAVOURS); do mkdir -p $(KERNELS)/$$k && \
		for d in $(B)/debs/kernel/$$k/*.deb; do dpkg-deb -x $$d $(KERNELS)/$$k; done; done
	$(Q)touch $@

# $(call check_pin,TARBALL,SHA256,PKG): the fetched upstream tarball is the pinned one
check_pin = echo "$(2)  $(B)/src/$(1)" | sha256sum -c --status \
	|| { echo "make: $(B)/src/$(1) does not match the SHA-256 pinned in config/$(3).conf" >&2; exit 1; }

# busybox's source package, checked against its pin; initramfs/build-busybox
# builds it (once per applet set) with the image profile's applets.
BUSYBOX_SRC := $(B)/busybox-src.stamp
$(BUSYBOX_SRC): $(FETCH_STAMP) config/busybox.conf
	$(Q)$(call check_pin,$(BUSYBOX_ORIG),$(BUSYBOX_ORIG_SHA256),busybox)
	$(Q)dsc=$$(ls $(B)/src/busybox_*.dsc | head -n 1); v=$$(sed -n 's/^Version: //p' $$dsc); \
		echo "$$v" > $(B)/busybox.revision; echo "  BUSYBOX Debian revision $$v ($$dsc)"; echo "$$dsc" >$@

# dropbear's source package, checked against its pin; initramfs/build-dropbear
# builds it (once per program set) for the profile's `ssh` key.
DROPBEAR_SRC := $(B)/dropbear-src.stamp
$(DROPBEAR_SRC): $(FETCH_STAMP) config/dropbear.conf
	$(Q)$(call check_pin,$(DROPBEAR_ORIG),$(DROPBEAR_ORIG_SHA256),dropbear)
	$(Q)dsc=$$(ls $(B)/src/dropbear_*.dsc | head -n 1); v=$$(sed -n 's/^Version: //p' $$dsc); \
		echo "$$v" > $(B)/dropbear.revision; echo "  DROPBEAR Debian revision $$v ($$dsc)"; echo "$$dsc" >$@

# zlib from Debian's source package, built with musl-gcc (ARCH=arm64: cross-built
# with $(ARM64_CC), CHOST for the cross ar/ranlib, in $(B)/arm64); -O2, as -Os makes
# deflate 10-15 % slower (metasnap save, mkcpio -z), with the Makefile's
# SIZE_CFLAGS so that the link drops the parts nothing calls, and
# DYNAMIC_CRC_TABLE: the CRC-32 tables (9 KiB) are computed on first use
# instead of stored in out/rescue (issue 13's size budget; same speed after).
$(ZLIB): $(FETCH_STAMP) config/zlib.conf mk/fetch.mk
	$(Q)$(call check_pin,$(ZLIB_ORIG),$(ZLIB_ORIG_SHA256),zlib)
	$(Q)mkdir -p $(AB) && dsc=$$(ls $(B)/src/zlib_*.dsc | head -n 1); v=$$(sed -n 's/^Version: //p' $$dsc); \
		echo "$$v" > $(AB)/zlib.revision; echo "  ZLIB    Debian revision $$v ($$dsc)"
	$(Q)rm -rf $(AB)/zlib-src $(AB)/zlib && mkdir -p $(AB)/zlib $(INC)
	$(Q)dpkg-source --no-check -x $$(ls $(B)/src/zlib_*.dsc | head -n 1) $(AB)/zlib-src >$(AB)/zlib-unpack.log 2>&1 \
		|| { cat $(AB)/zlib-unpack.log; exit 1; }
	$(Q)cd $(AB)/zlib-src && CC="$(CC)" CFLAGS="-O2 -DDYNAMIC_CRC_TABLE $(SIZE_CFLAGS) -ffile-prefix-map=$(abspath $(AB))/zlib-src=zlib" \
		$(if $(ZLIB_CHOST),CHOST=$(ZLIB_CHOST)) ./configure --static >../zlib-build.log 2>&1 && MAKEFLAGS= $(MAKE) libz.a >>../zlib-build.log 2>&1 \
		|| { cat ../zlib-build.log; exit 1; }
	$(Q)cp $(AB)/zlib-src/zlib.h $(AB)/zlib-src/zconf.h $(INC)/
	$(Q)cp $(AB)/zlib-src/libz.a $@

# The private include dirs: kernel headers (linux, asm, asm-generic only; KHDR is
# the fetched linux-libc-dev, or linux-libc-dev-arm64-cross for arm64) and xxhash.
$(HEADERS_STAMP): $(B)/debroot.stamp $(ZLIB)
	$(Q)rm -rf $(KINC) && mkdir -p $(KINC) $(INC)
	$(Q)cp -a $(KHDR)/linux $(KHDR)/asm-generic $(KINC)/
	$(Q)cp -a $(KHDR_ASM) $(KINC)/asm
	$(Q)cp $(DEBROOT)/usr/include/xxhash.h $(DEBROOT)/usr/include/xxh3.h $(INC)/
	$(Q)touch $@
