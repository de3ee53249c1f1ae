# initramfs/rules.mk: the images, built from $(PROFILE) with our own tools.
#   $(W)/image/tree/rootfs, modules/, devices.list, oci.env   initramfs/build-rootfs
#   $(O)/rescue-initramfs.cpio.gz   mkcpio: rootfs + modules + device nodes
#   $(O)/rescue-oci.tar              mkoci: rootfs only (no kernel modules), the
#                                    environment from oci.env, IMAGE_TAG if set
#                                    (else mkoci's default, rescue:VERSION)
#   make size                        sizes of every artifact and rootfs part
IMG := $(W)/image
IMAGE_TAG ?=
KERNEL_ROOT := $(DEBROOT)
BUSYBOX := $(DEBROOT)/bin/busybox
# $(O)/rescue goes into the image, and build-rootfs runs it first: it reads
# $(PROFILE) (confset --profile --dump) and lists the tools (rescue --list).
IMAGE_INPUTS := initramfs/init initramfs/init.applets initramfs/build-rootfs initramfs/udhcpc.script \
	$(sort $(wildcard recipes/*)) $(B)/debroot.stamp $(O)/rescue

.PHONY: images size FORCE
images: $(O)/rescue-initramfs.cpio.gz $(O)/rescue-oci.tar

# Rebuild when the profile's name or content changes, not only its mtime.
$(IMG)/profile.id: FORCE
	@mkdir -p $(@D)
	@{ echo "$(PROFILE)"; cat "$(PROFILE)" 2>/dev/null || echo missing; } >$@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv -f $@.new $@; fi

$(IMG)/stamp: $(IMG)/profile.id $(IMAGE_INPUTS)
	$(if $(Q),@echo "  ROOTFS  $(PROFILE)")
	$(Q)[ -f "$(PROFILE)" ] || { echo "make: profile $(PROFILE): no such file" >&2; exit 1; }
	$(Q)initramfs/build-rootfs -p $(PROFILE) -r $(O)/rescue -b $(BUSYBOX) -k $(KERNEL_ROOT) \
		-R recipes -o $(IMG)/tree.new
	$(Q)rm -rf $(IMG)/tree && mv $(IMG)/tree.new $(IMG)/tree
	$(Q)touch $@

$(O)/rescue-initramfs.cpio.gz: $(IMG)/stamp
	@mkdir -p $(@D)
	$(if $(Q),@echo "  MKCPIO  $@")
	$(Q)$(O)/rescue mkcpio -q -z -f -l $(IMG)/tree/devices.list -o $@ $(IMG)/tree/rootfs $(IMG)/tree/modules

# the same without kernel modules (size target, bench/boot)
$(IMG)/rescue-initramfs-nomod.cpio.gz: $(IMG)/stamp
	$(Q)$(O)/rescue mkcpio -q -z -f -l $(IMG)/tree/devices.list -o $@ $(IMG)/tree/rootfs

$(O)/rescue-oci.tar: $(IMG)/stamp
	@mkdir -p $(@D)
	$(if $(Q),@echo "  MKOCI   $@")
	$(Q)set -- $(if $(IMAGE_TAG),-t '$(IMAGE_TAG)'); while IFS= read -r e; do set -- "$$@" -E "$$e"; done <$(IMG)/tree/oci.env; \
		$(O)/rescue mkoci -q -f "$$@" -o $@ $(IMG)/tree/rootfs

size: images $(IMG)/rescue-initramfs-nomod.cpio.gz
	@kib() { echo "$$1" | awk '{ printf "%9.1f KiB", $$1 / 1024 }'; }; \
	gz() { kib "$$(cat "$$@" | gzip -9 | wc -c)"; }; \
	r=$(IMG)/tree/rootfs; \
	echo "artifacts (bytes on disk):"; \
	for f in $(O)/rescue $(O)/rescue-initramfs.cpio.gz $(IMG)/rescue-initramfs-nomod.cpio.gz $(O)/rescue-oci.tar; do \
		printf '  %-44s %s\n' "$$f" "$$(kib $$(stat -c %s $$f))"; done; \
	echo "rootfs parts (raw, and gzip -9 alone):"; \
	printf '  %-44s %s %s\n' "bin/rescue" "$$(kib $$(stat -c %s $$r/bin/rescue))" "$$(gz $$r/bin/rescue)"; \
	printf '  %-44s %s %s\n' "bin/busybox" "$$(kib $$(stat -c %s $$r/bin/busybox))" "$$(gz $$r/bin/busybox)"; \
	printf '  %-44s %s %s\n' "lib/rescue (recipes)" "$$(kib $$(cat $$r/lib/rescue/recipes/* $$r/lib/rescue/*.script | wc -c))" "$$(gz $$r/lib/rescue/recipes/* $$r/lib/rescue/*.script)"; \
	printf '  %-44s %s %s\n' "init + etc" "$$(kib $$(cat $$r/init $$r/etc/* 2>/dev/null | wc -c))" "$$(gz $$r/init $$r/etc/rescue.conf $$r/etc/profile)"; \
	m=$(IMG)/tree/modules; n=$$(find $$m -name '*.ko*' | wc -l); \
	printf '  %-44s %s %s\n' "lib/modules ($$n modules)" "$$(kib $$(find $$m -type f -exec cat {} + | wc -c))" \
		"$$(kib $$(find $$m -type f -exec cat {} + | gzip -9 | wc -c))"
