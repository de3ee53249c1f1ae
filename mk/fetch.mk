# mk/fetch.mk: every outside input of the build, gathered into build/ by `make fetch`
# (Debian packages as .deb files, zlib as Debian's source package).  Once they
# are there, `make` needs no network.  Pieces already present are not fetched
# again, so a build/ copied to an air-gapped host is used as it is.
# config/kernel.conf (KERNEL_PACKAGE, a setting config.mak may override) is read
# by the Makefile before config.mak; the zlib pin is not a setting.
include config/zlib.conf

FETCH_DEBS := busybox-static libxxhash-dev linux-libc-dev
DEBROOT := $(B)/debroot
FETCH_STAMP := $(B)/fetch.stamp

fetch: $(FETCH_STAMP)

$(FETCH_STAMP):
	@mkdir -p $(B)/debs $(B)/src
	$(Q)cd $(B)/debs && for p in $(FETCH_DEBS); do \
		ls $${p}_*.deb >/dev/null 2>&1 || { echo "  FETCH   $$p"; apt-get download -q $$p 2>&1 | grep -v '^W: Download is performed unsandboxed' || true; }; \
		ls $${p}_*.deb >/dev/null 2>&1 || { echo "make fetch: could not download Debian package $$p" >&2; exit 1; }; \
	done
	$(Q)cd $(B)/debs && if ! ls linux-image-*.deb >/dev/null 2>&1; then \
		echo "  FETCH   $(KERNEL_PACKAGE)"; \
		apt-get download -q $(KERNEL_PACKAGE) 2>&1 | grep -v '^W: Download is performed unsandboxed' || true; \
		if ! ls linux-image-*.deb >/dev/null 2>&1; then \
			k=$$(apt-cache depends linux-image-cloud-amd64 | sed -n 's/.*Depends: \(linux-image-[0-9].*\)/\1/p' | head -n 1); \
			echo "make fetch: $(KERNEL_PACKAGE) is not in the archive; using $$k (update config/kernel.conf)" >&2; \
			apt-get download -q $$k 2>&1 | grep -v '^W: Download is performed unsandboxed' || true; \
		fi; \
		ls linux-image-*.deb >/dev/null 2>&1 || { echo "make fetch: could not download a kernel package" >&2; exit 1; }; \
	fi
	$(Q)if ! ls $(B)/src/zlib_*.dsc >/dev/null 2>&1; then \
		apt-cache showsrc zlib 2>/dev/null | grep -q '^Version:' || $(MAKE) -s -C $(CURDIR) deb-src; \
		mk/fetch-zlib $(B)/src; \
	fi
	$(Q)touch $@

# A deb-src list beside the existing lists (never replacing them), made from the
# machine's own 'deb' entries, so apt-get source can find zlib.
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

# Unpack every fetched .deb into one tree (dpkg-deb -x: nothing is installed).
$(B)/debroot.stamp: $(FETCH_STAMP)
	$(Q)rm -rf $(DEBROOT) && mkdir -p $(DEBROOT)
	$(Q)for d in $(B)/debs/*.deb; do dpkg-deb -x $$d $(DEBROOT); done
	$(Q)touch $@

# zlib from Debian's source package, built with musl-gcc.
$(ZLIB): $(FETCH_STAMP) config/zlib.conf
	$(Q)echo "$(ZLIB_ORIG_SHA256)  $(B)/src/$(ZLIB_ORIG)" | sha256sum -c --status \
		|| { echo "make: $(B)/src/$(ZLIB_ORIG) does not match the SHA-256 pinned in config/zlib.conf" >&2; exit 1; }
	$(Q)dsc=$$(ls $(B)/src/zlib_*.dsc | head -n 1); v=$$(sed -n 's/^Version: //p' $$dsc); \
		echo "$$v" > $(B)/zlib.revision; echo "  ZLIB    Debian revision $$v ($$dsc)"
	$(Q)rm -rf $(B)/zlib-src $(B)/zlib && mkdir -p $(B)/zlib $(INC)
	$(Q)dpkg-source --no-check -x $$(ls $(B)/src/zlib_*.dsc | head -n 1) $(B)/zlib-src >$(B)/zlib-unpack.log 2>&1 \
		|| { cat $(B)/zlib-unpack.log; exit 1; }
	$(Q)cd $(B)/zlib-src && CC="$(CC)" CFLAGS="-O2 -ffile-prefix-map=$(abspath $(B))/zlib-src=zlib" \
		./configure --static >../zlib-build.log 2>&1 && MAKEFLAGS= $(MAKE) libz.a >>../zlib-build.log 2>&1 \
		|| { cat ../zlib-build.log; exit 1; }
	$(Q)cp $(B)/zlib-src/zlib.h $(B)/zlib-src/zconf.h $(INC)/
	$(Q)cp $(B)/zlib-src/libz.a $@

# The private include dirs: kernel headers (linux, asm, asm-generic only) and xxhash.
$(HEADERS_STAMP): $(B)/debroot.stamp $(ZLIB)
	$(Q)rm -rf $(KINC) && mkdir -p $(KINC) $(INC)
	$(Q)cp -a $(DEBROOT)/usr/include/linux $(DEBROOT)/usr/include/asm-generic $(KINC)/
	$(Q)cp -a $(DEBROOT)/usr/include/x86_64-linux-gnu/asm $(KINC)/asm
	$(Q)cp $(DEBROOT)/usr/include/xxhash.h $(DEBROOT)/usr/include/xxh3.h $(INC)/
	$(Q)touch $@
