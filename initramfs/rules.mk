# initramfs/rules.mk: the images, built from $(PROFILE) with our own tools.
#   $(W)/image/tree/rootfs, modules/, devices.list, oci.env   initramfs/build-rootfs
#   $(O)/rescue-initramfs.cpio.gz   mkcpio: rootfs + modules + device nodes
#   $(O)/rescue-vmlinuz             the profile's kernel
#   $(O)/rescue-oci.tar              mkoci: rootfs only (no kernel modules), the
#                                    environment from oci.env, IMAGE_TAG if set
#                                    (else mkoci's default, rescue:VERSION)
#   make size                        sizes of every artifact and rootfs part, and
#                                    the image's security-relevant contents
IMG := $(W)/image
IMAGE_TAG ?=
# Debian's busybox-static: the image's busybox for `busybox = debian`, and
# depmod here; `busybox = musl` (the default) is built in $(B)/busybox/
# (initramfs/build-busybox, one build per applet set)
BUSYBOX := $(DEBROOT)/bin/busybox
# $(O)/rescue goes into the image, and build-rootfs runs it first: it reads
# $(PROFILE) (confset --profile --dump) and lists the tools (rescue --list).
IMAGE_INPUTS := initramfs/init initramfs/init.applets initramfs/build-rootfs initramfs/udhcpc.script initramfs/hotplug \
	initramfs/build-busybox initramfs/build-dropbear initramfs/ssh-start $(sort $(wildcard recipes/*)) \
	$(B)/debroot.stamp $(O)/rescue $(BUSYBOX_SRC) $(DROPBEAR_SRC) $(HEADERS_STAMP) $(ARCH_KERNELS_STAMP)
# RUN_RESCUE runs $(O)/rescue here: for ARCH=arm64 under $(TARGET_RUN)
# (mk/arch.mk); ARCH_CROSS is the cross binutils prefix, empty on x86-64
RUN_RESCUE = $(TARGET_RUN) $(O)/rescue

.PHONY: images size FORCE
images: $(O)/rescue-initramfs.cpio.gz $(O)/rescue-vmlinuz $(O)/rescue-oci.tar

# Rebuild when a profile's name or content changes, not only its mtime.
# $(call profile_id,PROFILE)
define profile_id
	@mkdir -p $(@D)
	@{ echo "$(1)"; cat "$(1)" 2>/dev/null || echo missing; } >$@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv -f $@.new $@; fi
endef
# $(call rootfs,PROFILE,DIR): DIR/tree from the profile
define rootfs
	$(if $(Q),@echo "  ROOTFS  $(1)")
	$(Q)[ -f "$(1)" ] || { echo "make: profile $(1): no such file" >&2; exit 1; }
	$(Q)CC="$(CC)" CROSS_COMPILE="$(ARCH_CROSS)" TARGET_RUN="$(TARGET_RUN)" initramfs/build-rootfs -p $(1) -r $(O)/rescue -b $(BUSYBOX) \
		-s $$(cat $(BUSYBOX_SRC)) -H $(KINC) -c $(AB)/busybox -D $$(cat $(DROPBEAR_SRC)) -C $(AB)/dropbear \
		-k $(ARCH_KERNELS) -R recipes -o $(2)/tree.new
	$(Q)rm -rf $(2)/tree && mv $(2)/tree.new $(2)/tree
	$(Q)touch $@
endef

$(IMG)/profile.id: FORCE
	$(call profile_id,$(PROFILE))

$(IMG)/stamp: $(IMG)/profile.id $(IMAGE_INPUTS)
	$(call rootfs,$(PROFILE),$(IMG))

$(O)/rescue-initramfs.cpio.gz: $(IMG)/stamp
	@mkdir -p $(@D)
	$(if $(Q),@echo "  MKCPIO  $@")
	$(Q)$(RUN_RESCUE) mkcpio -q -z -f -l $(IMG)/tree/devices.list -o $@ $(IMG)/tree/rootfs $(IMG)/tree/modules

# the kernel that boots it (the profile's `kernel`; its modules are inside)
$(O)/rescue-vmlinuz: $(IMG)/stamp
	@mkdir -p $(@D)
	$(Q)cp $(IMG)/tree/vmlinuz $@.tmp && mv -f $@.tmp $@

# the same without kernel modules (size target, bench/boot)
$(IMG)/rescue-initramfs-nomod.cpio.gz: $(IMG)/stamp
	$(Q)$(O)/rescue mkcpio -q -z -f -l $(IMG)/tree/devices.list -o $@ $(IMG)/tree/rootfs

$(O)/rescue-oci.tar: $(IMG)/stamp
	@mkdir -p $(@D)
	$(if $(Q),@echo "  MKOCI   $@")
	$(Q)set -- $(if $(IMAGE_TAG),-t '$(IMAGE_TAG)'); while IFS= read -r e; do set -- "$$@" -E "$$e"; done <$(IMG)/tree/oci.env; \
		$(RUN_RESCUE) mkoci -q -f $(MKOCI_ARCH) "$$@" -o $@ $(IMG)/tree/rootfs

# ---- boot media, from MEDIA_PROFILE (its `media` key says which) ----
MEDIA_PROFILE ?= config/metal.conf
MED := $(W)/media
.PHONY: media
media: $(MED)/stamp
	$(Q)for m in $$(cat $(MED)/tree/media); do \
		case $$m in iso) t=$(O)/rescue.iso ;; netboot) t=$(O)/netboot/SHA256SUMS ;; esac; \
		$(MAKE) --no-print-directory $$t || exit 1; done

$(MED)/profile.id: FORCE
	$(call profile_id,$(MEDIA_PROFILE))

$(MED)/stamp: $(MED)/profile.id $(IMAGE_INPUTS)
	$(call rootfs,$(MEDIA_PROFILE),$(MED))

$(MED)/initrd.gz: $(MED)/stamp
	$(Q)$(O)/rescue mkcpio -q -z -f -l $(MED)/tree/devices.list -o $@ $(MED)/tree/rootfs $(MED)/tree/modules

ifeq ($(ARCH),x86_64)
$(O)/rescue.iso: $(MED)/initrd.gz initramfs/mkiso
	@mkdir -p $(@D)
	$(Q)grep -qx iso $(MED)/tree/media || { echo "make: $(MEDIA_PROFILE) has no 'iso' in its media" >&2; exit 1; }
	$(if $(Q),@echo "  MKISO   $@")
	$(Q)initramfs/mkiso -k $(MED)/tree/vmlinuz -i $(MED)/initrd.gz -m $(MED)/tree/manifest -l $(DEBROOT) \
		-V $(VERSION) -o $@
else
# arm64 (mk/arch.mk): the UEFI-only ISO of the image itself (PROFILE: the
# metal profile's generic kernel and x86 drivers have no arm64 counterpart here)
$(O)/rescue.iso: $(O)/rescue-initramfs.cpio.gz $(O)/rescue-vmlinuz initramfs/mkiso $(AB)/loaders.stamp
	$(if $(Q),@echo "  MKISO   $@")
	$(Q)initramfs/mkiso $(ARCH_ISO_ARGS) -k $(O)/rescue-vmlinuz -i $(O)/rescue-initramfs.cpio.gz \
		-m $(IMG)/tree/manifest -l $(AB)/loaders -V $(VERSION) -o $@
endif

# the netboot bundle (docs/netboot.md): kernel, initramfs, boot.ipxe, Debian's
# iPXE binaries and dnsmasq examples; SHA256SUMS is written last
$(O)/netboot/SHA256SUMS: $(MED)/initrd.gz initramfs/mknetboot $(B)/debroot.stamp
	@mkdir -p $(O)
	$(Q)grep -qx netboot $(MED)/tree/media || { echo "make: $(MEDIA_PROFILE) has no 'netboot' in its media" >&2; exit 1; }
	$(if $(Q),@echo "  NETBOOT $(@D)")
	$(Q)initramfs/mknetboot -k $(MED)/tree/vmlinuz -i $(MED)/initrd.gz -m $(MED)/tree/manifest -l $(DEBROOT) \
		-V $(VERSION) -o $(@D)
	$(Q)touch $@ # the bundle's files carry SOURCE_DATE_EPOCH; make needs the build time

size: images media $(IMG)/rescue-initramfs-nomod.cpio.gz
	@kib() { echo "$$1" | awk '{ printf "%9.1f KiB", $$1 / 1024 }'; }; \
	gz() { kib "$$(cat "$$@" | gzip -9 | wc -c)"; }; \
	r=$(IMG)/tree/rootfs; \
	echo "artifacts (bytes on disk):"; \
	for f in $(O)/rescue $(O)/rescue-initramfs.cpio.gz $(IMG)/rescue-initramfs-nomod.cpio.gz $(O)/rescue-oci.tar; do \
		printf '  %-44s %s\n' "$$f" "$$(kib $$(stat -c %s $$f))"; done; \
	echo "boot media of $(MEDIA_PROFILE) (media: $$(cat $(MED)/tree/media | tr '\n' ' '))"; \
	for f in $(O)/rescue.iso $(O)/netboot/*; do [ -f "$$f" ] || continue; \
		printf '  %-44s %s\n' "$$f" "$$(kib $$(stat -c %s $$f))"; done; \
	echo "rootfs parts (raw, and gzip -9 alone):"; \
	printf '  %-44s %s %s\n' "bin/rescue" "$$(kib $$(stat -c %s $$r/bin/rescue))" "$$(gz $$r/bin/rescue)"; \
	printf '  %-44s %s %s\n' "bin/busybox" "$$(kib $$(stat -c %s $$r/bin/busybox))" "$$(gz $$r/bin/busybox)"; \
	[ ! -f $$r/bin/dropbearmulti ] || printf '  %-44s %s %s\n' "bin/dropbearmulti (ssh)" "$$(kib $$(stat -c %s $$r/bin/dropbearmulti))" "$$(gz $$r/bin/dropbearmulti)"; \
	printf '  %-44s %s %s\n' "lib/rescue (recipes)" "$$(kib $$(cat $$r/lib/rescue/recipes/* $$r/lib/rescue/*.script | wc -c))" "$$(gz $$r/lib/rescue/recipes/* $$r/lib/rescue/*.script)"; \
	printf '  %-44s %s %s\n' "init + etc" "$$(kib $$(cat $$r/init $$r/etc/* 2>/dev/null | wc -c))" "$$(gz $$r/init $$r/etc/rescue.conf $$r/etc/profile)"; \
	m=$(IMG)/tree/modules; n=$$(find $$m -name '*.ko*' | wc -l); \
	printf '  %-44s %s %s\n' "lib/modules ($$n modules)" "$$(kib $$(find $$m -type f -exec cat {} + | wc -c))" \
		"$$(kib $$(find $$m -type f -exec cat {} + | gzip -9 | wc -c))"; \
	echo "security-relevant contents of $(PROFILE):"; sed 's/^/  /' $(IMG)/tree/security
