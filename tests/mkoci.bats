#!/usr/bin/env bats
# mkoci: image tars checked by skopeo (which re-verifies every digest on
# copy), GNU tar and jq; the full rescue image is in integration/oci.bats.
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p root/bin root/etc/empty
	printf '#!/bin/sh\necho hi\n' >root/bin/hello
	chmod 0755 root/bin/hello
	echo conf >root/etc/x.conf
	ln -s hello root/bin/hi
	export SOURCE_DATE_EPOCH=1700000000
}

@test "mkoci: skopeo copies the image both as oci-archive and docker-archive (exit 0)" {
	run_tool mkoci -q -t test/img:1.0 -o img.tar root
	assert_success
	assert_output ""
	run skopeo copy -q oci-archive:img.tar dir:oci
	assert_success
	run skopeo copy -q docker-archive:img.tar dir:docker
	assert_success
	run --separate-stderr skopeo inspect docker-archive:img.tar
	assert_success
	run tar -xOf img.tar manifest.json
	assert_equal "$(jq -r '.[0].RepoTags[0]' <<<"$output")" "test/img:1.0"
	run tar -xOf img.tar index.json
	assert_equal "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' <<<"$output")" "test/img:1.0"
	run tar -xOf img.tar oci-layout
	assert_output '{"imageLayoutVersion":"1.0.0"}'
}

@test "mkoci: the layer holds the tree as GNU tar sees it, owner 0:0, time from SOURCE_DATE_EPOCH (exit 0)" {
	run_tool mkoci -q -o img.tar root
	assert_success
	skopeo copy -q oci-archive:img.tar dir:d
	layer=$(jq -r '.layers[0].digest' d/manifest.json)
	run tar -tzvf "d/${layer#sha256:}" --numeric-owner
	assert_success
	assert_line --regexp '^-rwxr-xr-x 0/0 +18 2023-11-14 22:13 bin/hello$'
	assert_line --regexp '^lrwxrwxrwx 0/0 +0 2023-11-14 22:13 bin/hi -> hello$'
	assert_line --regexp '^drwxr-xr-x 0/0 +0 2023-11-14 22:13 etc/empty/$'
	mkdir x && tar -xzf "d/${layer#sha256:}" -C x
	diff -r root x
}

@test "mkoci: the config carries entrypoint, env, labels and the version (exit 0)" {
	run_tool mkoci -q -e /bin/hello -e --flag -E A=1 -E PATH=/bin -l b=2 -l a=1 -o img.tar root
	assert_success
	run --separate-stderr skopeo inspect --config oci-archive:img.tar
	assert_success
	assert_equal "$(jq -c .config.Entrypoint <<<"$output")" '["/bin/hello","--flag"]'
	assert_equal "$(jq -c .config.Env <<<"$output")" '["A=1","PATH=/bin"]'
	assert_equal "$(jq -r '.config.Labels | keys | join(" ")' <<<"$output")" \
		"a b org.opencontainers.image.created org.opencontainers.image.version"
	assert_equal "$(jq -r .created <<<"$output")" "2023-11-14T22:13:20Z"
	assert_equal "$(jq -r '.config.Labels["org.opencontainers.image.version"]' <<<"$output")" \
		"$("$RESCUE" --version | awk '{ print $NF }')"
}

@test "mkoci: the same tree gives the same bytes; another SOURCE_DATE_EPOCH does not (exit 0)" {
	run_tool mkoci -q -o a.tar root
	touch -d 2001-01-01 root/bin/hello root/etc
	run_tool mkoci -q -o b.tar root
	cmp a.tar b.tar
	SOURCE_DATE_EPOCH=1 run_tool mkoci -q -o c.tar root
	! cmp -s a.tar c.tar
}

@test "mkoci: a missing ROOTFS is an error (exit 4)" {
	run_tool mkoci -o img.tar nonexistent
	assert_equal "$status" 4
	assert_equal "$stderr" "mkoci: nonexistent: No such file or directory"
	assert_output ""
	[ ! -e img.tar ]
	assert_no_tmp .
}

@test "mkoci: an existing output is kept without -f (exit 5)" {
	echo old >img.tar
	snapshot img.tar
	run_tool mkoci -q -o img.tar root
	assert_equal "$status" 5
	assert_regex "$stderr" "^mkoci: .*img.tar: exists; not overwritten \\(use -f\\)$"
	assert_unchanged
	assert_no_tmp .
}

@test "mkoci: the output inside ROOTFS is refused (exit 5)" {
	run_tool mkoci -q -o root/img.tar root
	assert_success
	snapshot root/img.tar
	run_tool mkoci -q -f -o root/img.tar root
	assert_equal "$status" 5
	assert_equal "$stderr" "mkoci: root/img.tar: is the output file; not put into the image"
	assert_unchanged
}

@test "mkoci: usage errors: bad tag, bad -E, no ROOTFS (exit 2)" {
	run_tool mkoci -t Bad:Tag -o img.tar root
	assert_equal "$status" 2
	assert_equal "$stderr" "mkoci: bad -t 'Bad:Tag' (want name:tag, name in lower case) (see 'mkoci --help')"
	run_tool mkoci -E novalue -o img.tar root
	assert_equal "$status" 2
	assert_equal "$stderr" "mkoci: bad -E 'novalue' (want KEY=VALUE) (see 'mkoci --help')"
	run_tool mkoci -o img.tar
	assert_equal "$status" 2
	assert_equal "$stderr" "mkoci: missing ROOTFS (see 'mkoci --help')"
	run_tool mkoci -l a=1 -l a=2 -o img.tar root
	assert_equal "$status" 2
	assert_equal "$stderr" "mkoci: label 'a' given twice (see 'mkoci --help')"
	[ ! -e img.tar ]
}

# arch TAR: "CONFIG-ARCH/CONFIG-OS DOCKER-CONFIG-ARCH INDEX-PLATFORM" of an image
arch() {
	local cfg dcfg mf
	mf=$(tar -xOf "$1" index.json | jq -r '.manifests[0].digest')
	cfg=$(tar -xOf "$1" "blobs/sha256/${mf#sha256:}" | jq -r .config.digest)
	dcfg=$(tar -xOf "$1" manifest.json | jq -r '.[0].Config')
	echo "$(tar -xOf "$1" "blobs/sha256/${cfg#sha256:}" | jq -r '.architecture + "/" + .os')" \
		"$(tar -xOf "$1" "$dcfg" | jq -r .architecture)" \
		"$(tar -xOf "$1" index.json | jq -r '.manifests[0].platform // {} | (.os // "-") + "/" + (.architecture // "-")')"
}

@test "mkoci: -a arm64 is linux/arm64 in the config, the docker-archive config and the index; skopeo sees arm64 (exit 0)" {
	run_tool mkoci -q -a arm64 -o arm.tar root
	assert_success
	assert_equal "$(arch arm.tar)" "arm64/linux arm64 linux/arm64"
	run --separate-stderr skopeo inspect oci-archive:arm.tar
	assert_success
	assert_equal "$(jq -r '.Os + "/" + .Architecture' <<<"$output")" "linux/arm64"
	run --separate-stderr skopeo inspect docker-archive:arm.tar
	assert_success
	assert_equal "$(jq -r '.Os + "/" + .Architecture' <<<"$output")" "linux/arm64"
	skopeo copy -q oci-archive:arm.tar dir:oci
	# the default is amd64, with no platform in the index (the bytes of
	# images made before -a); -a amd64 names the platform
	run_tool mkoci -q -o amd.tar root
	assert_equal "$(arch amd.tar)" "amd64/linux amd64 -/-"
	run_tool mkoci -q -a amd64 -o amd2.tar root
	assert_equal "$(arch amd2.tar)" "amd64/linux amd64 linux/amd64"
	run --separate-stderr skopeo inspect oci-archive:amd2.tar
	assert_equal "$(jq -r .Architecture <<<"$output")" "amd64"
	# the same layer for both architectures: only the documents differ
	assert_equal "$(tar -xOf arm.tar manifest.json | jq -r '.[0].Layers[0]')" \
		"$(tar -xOf amd.tar manifest.json | jq -r '.[0].Layers[0]')"
	if cmp -s <(tar -xOf arm.tar index.json) <(tar -xOf amd.tar index.json); then fail "the same index for both"; fi
}

@test "mkoci: -a takes amd64 or arm64 only (exit 2)" {
	for a in x86_64 aarch64 ARM64 "" riscv64; do
		run_tool mkoci -a "$a" -o img.tar root
		assert_equal "$status" 2
		assert_equal "$stderr" "mkoci: bad -a '$a' (want amd64 or arm64) (see 'mkoci --help')"
	done
	[ ! -e img.tar ]
}

@test "mkoci: --help and the link name (exit 0)" {
	run_link mkoci --help
	assert_success
	assert_line --index 0 "usage: mkoci [-fq] [-a ARCH] [-t NAME:TAG] [-e WORD]... [-E KEY=VALUE]... [-l KEY=VALUE]... -o OUT ROOTFS"
	run_link mkoci -o img.tar root
	assert_success
	assert_regex "$stderr" "^mkoci: img.tar: rescue:[^,]+, 6 entries, layer [0-9]+ bytes \\(sha256:[0-9a-f]{12}\\), manifest sha256:[0-9a-f]{12}$"
}

@test "mkoci: without -E the image has no environment; the builder gives it (exit 0)" {
	run_tool mkoci -q -o img.tar root
	assert_success
	cfg=$(tar -xOf img.tar manifest.json | jq -r '.[0].Config')
	run tar -xOf img.tar "$cfg"
	assert_success
	assert_equal "$(jq -c .config.Env <<<"$output")" '[]'
	run --separate-stderr skopeo inspect --config oci-archive:img.tar
	assert_success
}
