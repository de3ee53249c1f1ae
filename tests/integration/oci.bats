#!/usr/bin/env bats
# The image tar (out/rescue-oci.tar) checked by the real consumers: skopeo
# (oci-archive: and docker-archive:, copy re-verifies every digest), umoci,
# GNU tar, chroot and podman.
load ../helpers

setup() {
	IMAGE=$TOP_DIR/${O:-out}/rescue-oci.tar
	[ -f "$IMAGE" ] || fail "no $IMAGE (make images)"
	TAG=rescue:$("$RESCUE" --version | awk '{ print $NF }')
}

@test "oci: skopeo inspect oci-archive shows one layer, amd64, the version label and /bin/sh entrypoint" {
	run --separate-stderr skopeo inspect "oci-archive:$IMAGE"
	assert_success
	assert_equal "$(jq -r '.Architecture + " " + .Os' <<<"$output")" "amd64 linux"
	assert_equal "$(jq -r '.Layers | length' <<<"$output")" 1
	assert_equal "$(jq -r '.Labels["org.opencontainers.image.version"]' <<<"$output")" "${TAG#rescue:}"
	run --separate-stderr skopeo inspect --config "oci-archive:$IMAGE"
	assert_success
	assert_equal "$(jq -c '.config.Entrypoint' <<<"$output")" '["/bin/sh"]'
}

@test "oci: skopeo copy oci-archive and docker-archive to dir: re-verifies every digest" {
	run skopeo copy -q "oci-archive:$IMAGE" "dir:$BATS_TEST_TMPDIR/from-oci"
	assert_success
	run skopeo copy -q "docker-archive:$IMAGE" "dir:$BATS_TEST_TMPDIR/from-docker"
	assert_success
	# the same config both ways; docker-archive hands out the uncompressed
	# layer, whose digest must be the config's diff_id
	local o=$BATS_TEST_TMPDIR/from-oci d=$BATS_TEST_TMPDIR/from-docker
	config=$(jq -r '.config.digest' "$o/manifest.json")
	assert_equal "$(jq -r '.config.digest' "$d/manifest.json")" "$config"
	diff_id=$(jq -r '.rootfs.diff_ids[0]' "$o/${config#sha256:}")
	assert_equal "$(jq -r '.layers[0].digest' "$d/manifest.json")" "$diff_id"
	layer=$(jq -r '.layers[0].digest' "$o/manifest.json")
	assert_equal "sha256:$(gzip -dc "$o/${layer#sha256:}" | sha256sum | cut -d' ' -f1)" "$diff_id"
}

@test "oci: skopeo inspect docker-archive names the repo tag" {
	run --separate-stderr skopeo inspect "docker-archive:$IMAGE"
	assert_success
	assert_equal "$(jq -r '.Layers | length' <<<"$output")" 1
	run --separate-stderr skopeo inspect --raw "docker-archive:$IMAGE"
	assert_success
	run tar -xOf "$IMAGE" manifest.json
	assert_equal "$(jq -r '.[0].RepoTags[0]' <<<"$output")" "$TAG"
}

@test "oci: the layer has no kernel modules and is owned by 0:0 (GNU tar)" {
	layer=$(tar -xOf "$IMAGE" index.json | jq -r '.manifests[0].digest')
	layer=$(tar -xOf "$IMAGE" "blobs/sha256/${layer#sha256:}" | jq -r '.layers[0].digest')
	tar -xOf "$IMAGE" "blobs/sha256/${layer#sha256:}" >"$BATS_TEST_TMPDIR/layer.tgz"
	run tar -tzvf "$BATS_TEST_TMPDIR/layer.tgz"
	assert_success
	assert_line --regexp '^-rwxr-xr-x 0/0 .* bin/rescue$'
	assert_line --regexp '^lrwxrwxrwx 0/0 .* bin/sh -> busybox$'
	assert_line --regexp '^-rwxr-xr-x 0/0 .* lib/rescue/recipes/selftest$'
	refute_line --partial 'lib/modules'
	refute_line --regexp '^[^ ]+ [1-9]'
}

@test "oci: umoci unpack, then the rootfs runs rescue --help and a recipe's --help under chroot" {
	requires chroot
	mkdir "$BATS_TEST_TMPDIR/layout"
	tar -xf "$IMAGE" -C "$BATS_TEST_TMPDIR/layout"
	run umoci unpack --image "$BATS_TEST_TMPDIR/layout:$TAG" "$BATS_TEST_TMPDIR/bundle"
	assert_success
	root=$BATS_TEST_TMPDIR/bundle/rootfs
	run chroot "$root" /bin/rescue --help
	assert_success
	assert_line --index 0 --partial 'usage: rescue TOOL'
	assert_line --partial 'mkcpio'
	run chroot "$root" /bin/sh -c 'PATH=/bin:/lib/rescue/recipes; selftest --help'
	assert_success
	assert_line --index 0 'usage: selftest [--label LABEL] [CHECK]...'
	run chroot "$root" /bin/mkcpio --version
	assert_success
	assert_output --partial 'mkcpio (rescue)'
}

@test "oci: podman load takes the archive and podman run starts its shell" {
	requires podman
	podman rmi -f "localhost/$TAG" >/dev/null 2>&1 || true
	run podman load -i "$IMAGE"
	assert_success
	assert_output --partial "Loaded image: localhost/$TAG"
	run podman image inspect --format '{{index .Config.Labels "org.opencontainers.image.version"}}' "localhost/$TAG"
	assert_success
	assert_output "${TAG#rescue:}"
	# crun needs setrlimit, which some sandboxes forbid even to root
	run timeout 60 podman run --rm --network none "localhost/$TAG" -c 'rescue --version && selftest --help | head -n 1'
	podman rmi -f "localhost/$TAG" >/dev/null 2>&1 || true
	if [ "$status" != 0 ] && [[ $output == *"setrlimit"*"Operation not permitted"* ]]; then
		skip "podman load works; podman run cannot start containers here: ${output##*Error: }"
	fi
	assert_success
	assert_line "rescue ${TAG#rescue:}"
	assert_line 'usage: selftest [--label LABEL] [CHECK]...'
}

# a private dockerd (vfs storage, no network setup) for one test
start_dockerd() {
	DK=$BATS_TEST_TMPDIR/dk
	mkdir -p "$DK"
	DOCKER=(docker -H "unix://$DK/sock")
	[ -x /usr/bin/docker ] && DOCKER[0]=/usr/bin/docker
	timeout 300 dockerd --data-root "$DK/root" --exec-root "$DK/exec" -H "unix://$DK/sock" \
		--pidfile "$DK/pid" --storage-driver vfs --iptables=false --ip6tables=false \
		--bridge=none >"$DK/log" 2>&1 &
	DOCKERD=$!
	for _ in $(seq 1 300); do
		"${DOCKER[@]}" info >/dev/null 2>&1 && return 0
		kill -0 "$DOCKERD" 2>/dev/null || break
		sleep 0.1
	done
	cat "$DK/log" >&2
	return 1
}

teardown() {
	if [ -n "${DOCKERD:-}" ]; then
		kill "$DOCKERD" 2>/dev/null || true
		wait "$DOCKERD" 2>/dev/null || true
	fi
}

@test "oci: docker load (Debian 12's docker 20.10) takes the archive and docker run starts its shell" {
	requires root
	command -v dockerd >/dev/null || skip "needs dockerd (Debian package docker.io)"
	start_dockerd || fail "dockerd did not start"
	run "${DOCKER[@]}" load -i "$IMAGE"
	assert_success
	assert_output "Loaded image: $TAG"
	run "${DOCKER[@]}" image inspect --format '{{json .Config.Entrypoint}} {{index .Config.Labels "org.opencontainers.image.version"}}' "$TAG"
	assert_success
	assert_output "[\"/bin/sh\"] ${TAG#rescue:}"
	run timeout 60 "${DOCKER[@]}" run --rm --network none "$TAG" -c 'rescue --version && selftest --help | head -n 1'
	assert_success
	assert_line "rescue ${TAG#rescue:}"
	assert_line 'usage: selftest [--label LABEL] [CHECK]...'
}
