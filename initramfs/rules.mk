# initramfs/rules.mk: the image build (owned by the images work; see issue 3).
.PHONY: images
images:
