#!/usr/bin/env bats
# metapick: pick the freshest safe copy of a metadata directory.
# Fixtures: tests/fixtures/metapick/{starrocks,moosefs,leofs}, made by the
# make-*.sh scripts beside them (MooseFS images by the real mfsmaster 3.0.117,
# LeoFS directories by the real Erlang Mnesia).
load helpers

setup() {
	T=$BATS_TEST_TMPDIR
	cp -a "$FIXTURES/metapick/starrocks" "$FIXTURES/metapick/moosefs" \
		"$FIXTURES/metapick/leofs" "$T/"
	cd "$T" || return 1
}

@test "metapick: StarRocks: the follower with the largest image wins over a stale copy (exit 0)" {
	run_tool metapick starrocks/fe2-stale starrocks/fe1-follower
	assert_success
	assert_equal "$stderr" ""
	assert_line -n 0 "kind: starrocks, 2 candidates"
	assert_line -n 2 --regexp "^1 +chosen +image\.150023 +starrocks/fe1-follower$"
	assert_line -n 3 --partial "role=FOLLOWER name=172.26.92.154_9010_1705568349984 host_type=IP cluster_id=1234567 token=a6a1c5e5-7c2b-4a43-8f0a-2b5d3a7cd4e1 run_mode=shared_nothing image=150023 image_file=image/image.150023 image_format=starrocks-v1 image_ckpt=no"
	assert_line -n 4 --regexp "^2 +older +image\.140011 +starrocks/fe2-stale$"
	assert_equal "${lines[-2]}" "chosen: starrocks/fe1-follower: largest complete image id: 150023 (FOLLOWER)"
	assert_equal "${lines[-1]}" "starrocks/fe1-follower"
}

@test "metapick: StarRocks: an OBSERVER copy with the newest image is chosen with the extra steps named (exit 0)" {
	run_tool metapick starrocks/fe1-follower starrocks/fe3-observer
	assert_success
	assert_line -n 2 --regexp "^1 +chosen +image\.200041 +starrocks/fe3-observer$"
	assert_output --partial "image_file=image/v2/image.200041 image_format=starrocks-v2 image_ckpt=no v2_checksum=ok"
	assert_output --partial "warning: the chosen copy is from an OBSERVER: the documented procedure needs extra steps: edit image/ROLE role=OBSERVER to FOLLOWER, add the reset key (bdbje_reset_election_group=true"
	assert_output --partial "ADD a new FOLLOWER on a new host started with --helper"
	assert_equal "${lines[-1]}" "starrocks/fe3-observer"
}

@test "metapick: StarRocks: on equal images a FOLLOWER beats an OBSERVER" {
	run_tool metapick starrocks/fe4-observer-tie starrocks/fe1-follower
	assert_success
	assert_equal "${lines[-1]}" "starrocks/fe1-follower"
	assert_line -n 4 --regexp "^2 +older +image\.150023 +starrocks/fe4-observer-tie$"
	refute_output --partial "from an OBSERVER"
}

@test "metapick: StarRocks: image.ckpt is flagged, a bad v2 checksum falls back, ROLE without VERSION is unusable" {
	run_tool metapick starrocks/fe5-ckpt starrocks/fe8-v2-bad starrocks/fe7-no-version
	assert_success
	assert_output --partial "warning: image.ckpt left by an interrupted checkpoint"
	assert_output --partial "image_ckpt=yes"
	assert_output --partial "warning: v2/image.210000: checksum mismatch: expect 3735928559 actual "
	assert_output --partial "problem: image/ROLE without image/VERSION (FE refuses to start: role file and version file must both exist or both not exist)"
	assert_line -n 2 --regexp "^1 +chosen +image\.150023 +starrocks/fe8-v2-bad$"
	assert_output --regexp "3 +unusable +image\.160000 +starrocks/fe7-no-version"
	assert_equal "${lines[-1]}" "starrocks/fe8-v2-bad"
}

@test "metapick: StarRocks: copies with different clusterIds give no choice (exit 1)" {
	snapshot starrocks/fe6-foreign/image/VERSION starrocks/fe1-follower/image/VERSION
	run_tool metapick starrocks/fe1-follower starrocks/fe6-foreign
	assert_equal "$status" 1
	assert_equal "$stderr" "metapick: no safe choice: the copies belong to different clusters: clusterId 1234567 in starrocks/fe1-follower, clusterId 7654321 in starrocks/fe6-foreign"
	assert_line -n 2 --regexp "^1 +candidate +image\.900000 +starrocks/fe6-foreign$"
	refute_output --partial "chosen"
	assert_unchanged
	run_tool metapick --print-path starrocks/fe1-follower starrocks/fe6-foreign
	assert_equal "$status" 1
	assert_output ""
}

@test "metapick: StarRocks: the same clusterId with another token is another cluster; a missing token is not (exit 1)" {
	cp -a starrocks/fe2-stale other-token
	sed -i 's/^token=.*/token=ffffffff-0000-4000-8000-000000000000/' other-token/image/VERSION
	run_tool metapick starrocks/fe1-follower other-token
	assert_equal "$status" 1
	assert_equal "$stderr" "metapick: no safe choice: the copies belong to different clusters: token a6a1c5e5-7c2b-4a43-8f0a-2b5d3a7cd4e1 in starrocks/fe1-follower, token ffffffff-0000-4000-8000-000000000000 in other-token"
	sed -i '/^token=/d' other-token/image/VERSION
	run_tool metapick starrocks/fe1-follower other-token
	assert_success
	assert_equal "${lines[-1]}" "starrocks/fe1-follower"
}

@test "metapick: Doris: a truncated COR1 image is skipped and the kind is doris" {
	run_tool metapick starrocks/doris-fe2 starrocks/doris-fe1
	assert_success
	assert_line -n 0 "kind: doris, 2 candidates"
	assert_output --partial "warning: image/image.6002 is truncated (no COR1 footer); using an older image"
	assert_output --partial "image=5001 image_file=image/image.5001 image_format=doris-cor1"
	assert_output --regexp "equal +image\.5001"
	assert_equal "${lines[-1]}" "starrocks/doris-fe2"
}

@test "metapick: StarRocks: the image directory itself is accepted as DIR" {
	run_tool metapick --kind starrocks starrocks/fe1-follower/image starrocks/fe2-stale/image
	assert_success
	assert_equal "${lines[-1]}" "starrocks/fe1-follower/image"
	assert_output --partial "warning: DIR is the image directory itself"
}

@test "metapick: MooseFS: the metalogger that got furthest is chosen; a gap stops the count (exit 0)" {
	run_tool metapick moosefs/master moosefs/metalogger-gap moosefs/metalogger moosefs/truncated
	assert_success
	assert_line -n 0 "kind: moosefs, 4 candidates"
	assert_line -n 2 --regexp "^1 +chosen +change 40 +moosefs/metalogger$"
	assert_line -n 3 "      metadata_file=metadata_ml.mfs.back metadata_version=31 metadata_id=4b723ca6d0ed1380 changelog_files=4 last_change=40 max_change=40"
	assert_line -n 4 --regexp "^2 +older +change 36 +moosefs/master$"
	assert_output --partial "warning: changelog gap: changes 26..27 are missing; the 11 changes after it cannot be applied (mfsmaster -a stops with 'hole in change files')"
	assert_output --partial "warning: metadata.mfs.back: no end marker (truncated or still being written); not used"
	assert_equal "${lines[-2]}" "chosen: moosefs/metalogger: highest change reachable without a gap: 40"
	assert_equal "${lines[-1]}" "moosefs/metalogger"
}

@test "metapick: MooseFS: the change ids agree with the real mfsmaster restore" {
	requires moosefs
	for d in master metalogger truncated metalogger-gap; do
		cp -a "moosefs/$d" "oracle-$d"
		mfsmaster_cfg "$T/oracle-$d" "$T/$d.cfg"
		last=$("$RESCUE" metapick --json "moosefs/$d" | jq '.candidates[0].facts.last_change')
		if [ $d = metalogger-gap ]; then
			run timeout 60 mfsmaster -c "$T/$d.cfg" restore
			assert_failure
			assert_output --partial "hole in change files"
			run timeout 60 mfsmaster -c "$T/$d.cfg" -i restore
		else
			run timeout 60 mfsmaster -c "$T/$d.cfg" restore
			assert_success
		fi
		version=$((0x$(od -An -tx1 -j8 -N8 "oracle-$d/metadata.mfs" | tr -d ' \n')))
		echo "$d: metapick last_change $last, mfsmaster version $version" >&2
		assert_equal "$version" "$((last + 1))"
	done
}

@test "metapick: MooseFS: with a damaged changelog end it reports the version mfsmetarestore reaches" {
	src=$FIXTURES/mfsmetarestore/small
	# blank last line, NUL padding, a line cut short, a garbage last line
	for v in blank nul cut garbage; do
		mkdir "$v"
		cp "$src"/* "$v/"
	done
	printf '\n' >>blank/changelog.0.mfs
	head -c 4096 /dev/zero >>nul/changelog.0.mfs
	truncate -s -10 cut/changelog.0.mfs
	printf 'garbage\n' >>garbage/changelog.0.mfs
	for v in blank nul cut garbage; do
		last=$("$RESCUE" metapick --json "$v" | jq '.candidates[0].facts.last_change')
		run_tool mfsmetarestore -a -d "$v"
		assert_success
		version=$(sed -n 's/^mfsmetarestore: wrote .*: version \([0-9]*\)$/\1/p' <<<"$stderr")
		echo "$v: metapick last_change $last, mfsmetarestore version $version" >&2
		assert_equal "$version" "$((last + 1))"
	done
	run_tool metapick nul
	assert_output --partial "warning: changelog.0.mfs:16: damaged end of file, 4096 byte(s) ignored; mfsmetarestore uses the lines before it (mfsmaster -a ignores the whole file)"
}

@test "metapick: MooseFS: different metadata ids give no choice (exit 1)" {
	run_tool metapick moosefs/master moosefs/foreign
	assert_equal "$status" 1
	assert_equal "$stderr" "metapick: no safe choice: the copies belong to different clusters: metadata id 4b723ca6d0ed1380 in moosefs/master, metadata id 112210f47de98115 in moosefs/foreign"
	refute_output --partial "chosen"
}

@test "metapick: MooseFS: a metalogger without an image is unusable, and alone gives no choice (exit 1)" {
	run_tool metapick moosefs/changelog-only
	assert_equal "$status" 1
	assert_output --partial "problem: no valid metadata file (mfsmaster -a: can't find valid metadata file)"
	assert_equal "$stderr" "metapick: no safe choice: no usable copy"
}

@test "metapick: LeoFS: the newest committed log wins; a directory without .DCD is unusable (exit 0)" {
	run_tool metapick leofs/leo_manager_1 leofs/no-dcd leofs/crashed leofs/leo_manager_0
	assert_success
	assert_line -n 0 "kind: leofs, 4 candidates"
	assert_line -n 2 --regexp "^1 +chosen +log [0-9]+\+4 +leofs/leo_manager_0$"
	assert_line -n 3 --regexp "^      schema=yes dcd_files=9 dcl_files=3 log_node=manager_0@127.0.0.1 log_started=20[0-9-]+T[0-9:]+Z log_started_us=[0-9]+ log_commits=4 log_closed=yes conf_nodename=manager_0@127.0.0.1 conf_partner=manager_1@127.0.0.1$"
	assert_output --regexp "2 +older +log [0-9]+\+22 +leofs/leo_manager_1"
	assert_output --partial "warning: LATEST.LOG was not closed (the manager crashed or is still running); Mnesia repairs it on start"
	assert_output --partial "problem: no .DCD table files: a manager started on it creates a new, empty cluster configuration"
	assert_equal "${lines[-1]}" "leofs/leo_manager_0"
}

@test "metapick: LeoFS: mnesia files copied from the other manager are flagged" {
	cp leofs/leo_manager_0/work/mnesia/127.0.0.1/* leofs/leo_manager_1/work/mnesia/127.0.0.1/
	run_tool metapick leofs/leo_manager_1
	assert_success
	assert_output --partial "warning: etc/leo_manager.conf names the node manager_1@127.0.0.1 but the mnesia log was written by manager_0@127.0.0.1: files copied from another node work only when both managers share the schema (in-place recovery); otherwise use the dump-mnesia-data / load-mnesia-data take-over"
	run_tool metapick leofs/leo_manager_1/work/mnesia/127.0.0.1
	assert_success
	assert_output --partial "conf_nodename=- conf_partner=-"
}

@test "metapick: --json is one stable document; --print-path prints only the path" {
	run_tool metapick --json moosefs/master moosefs/metalogger moosefs/changelog-only
	assert_success
	run jq -c '[.metapick, .kind, .status, .chosen, .reason]' <<<"$output"
	assert_output '[1,"moosefs",0,"moosefs/metalogger","highest change reachable without a gap: 40"]'
	run_tool metapick --json moosefs/master moosefs/metalogger moosefs/changelog-only
	run jq -c '.candidates[] | [.rank, .dir, .kind, .verdict, .usable, .key, .key_text, .identity, .identity2, .problem != null, (.facts | keys_unsorted), (.warnings | length)]' <<<"$output"
	assert_line -n 0 '[1,"moosefs/metalogger","moosefs","chosen",true,40,"change 40","metadata id 4b723ca6d0ed1380",null,false,["metadata_file","metadata_version","metadata_id","changelog_files","last_change","max_change"],0]'
	assert_line -n 1 '[2,"moosefs/master","moosefs","older",true,36,"change 36","metadata id 4b723ca6d0ed1380",null,false,["metadata_file","metadata_version","metadata_id","changelog_files","last_change","max_change"],0]'
	assert_line -n 2 '[3,"moosefs/changelog-only","moosefs","unusable",false,null,null,null,null,true,["metadata_file","metadata_version","metadata_id","changelog_files","last_change","max_change"],0]'
	run_tool metapick --json starrocks/fe1-follower starrocks/fe3-observer
	run jq -c '.candidates[0].facts' <<<"$output"
	assert_output '{"role":"OBSERVER","name":"172.26.92.156_9010_1705568351234","host_type":"IP","cluster_id":"1234567","token":"a6a1c5e5-7c2b-4a43-8f0a-2b5d3a7cd4e1","run_mode":"shared_nothing","image":200041,"image_file":"image/v2/image.200041","image_format":"starrocks-v2","image_ckpt":false,"v2_checksum":"ok","bdb_files":5,"bdb_last":"00000005.jdb"}'
	run_link metapick --print-path leofs/leo_manager_1 leofs/leo_manager_0
	assert_success
	assert_output "leofs/leo_manager_0"
}

@test "metapick: an unreadable or unknown directory is bad input (exit 3)" {
	run_tool metapick starrocks/fe1-follower nosuchdir
	assert_equal "$status" 3
	assert_equal "$stderr" "metapick: nosuchdir: No such file or directory"
	assert_output --regexp "unreadable +- +nosuchdir"
	refute_output --partial "chosen"
	mkdir empty
	run_tool metapick --json empty
	assert_equal "$status" 3
	assert_equal "$stderr" "metapick: empty: not a StarRocks/Doris, MooseFS or LeoFS metadata directory"
	run jq -c '[.status, .chosen, .candidates[0].verdict]' <<<"$output"
	assert_output '[3,null,"unreadable"]'
	run_tool metapick moosefs/master leofs/leo_manager_0
	assert_equal "$status" 3
	assert_equal "$stderr" "metapick: moosefs/master looks like moosefs but leofs/leo_manager_0 like leofs (use --kind)"
}

@test "metapick: usage errors (exit 2)" {
	run_tool metapick
	assert_equal "$status" 2
	assert_equal "$stderr" "metapick: missing DIR (see 'metapick --help')"
	assert_output ""
	run_tool metapick --kind ceph x
	assert_equal "$status" 2
	assert_equal "$stderr" "metapick: bad --kind 'ceph' (see 'metapick --help')"
}

@test "metapick: the man page synopsis is the first line of --help" {
	run_tool metapick --help
	assert_success
	syn=$(sed -n '/^\.SH SYNOPSIS/{n;p;q}' "$TOP_DIR/docs/man/metapick.1")
	assert_equal "usage: $syn" "${lines[0]}"
	# and the page renders without warnings where man is installed
	if command -v man >/dev/null; then
		run --separate-stderr env MANWIDTH=80 man --warnings -l "$TOP_DIR/docs/man/metapick.1"
		assert_success
		assert_equal "$stderr" ""
	fi
}

@test "metapick: MooseFS: the chosen metadata file's version and id are mfsmetadump --header's (exit 0)" {
	n=0
	for d in moosefs/master moosefs/metalogger moosefs/foreign; do
		run_tool metapick --json "$d"
		assert_success
		f=$d/$(printf '%s\n' "$output" | jq -r '.candidates[0].facts.metadata_file')
		v=$(printf '%s\n' "$output" | jq -r '.candidates[0].facts.metadata_version')
		id=$(printf '%s\n' "$output" | jq -r '.candidates[0].facts.metadata_id' | sed 's/^0*//')
		run_tool mfsmetadump --header "$f"
		assert_success
		assert_line "# kind: mfsm-2.0 ; version: $v ; id: $id ; end marker: yes"
		n=$((n + 1))
	done
	[ "$n" -eq 3 ]
}

@test "metapick: a MooseFS 1.6 set's changelogs start at change 0, as mfsmetarestore reads them (exit 0)" {
	local R=$FIXTURES/moosefs-1.6/rich
	run_tool metapick "$R/master" "$R/metalogger"
	assert_success
	# their first lines are '0: ...' (MFSM 1.5 snapshot: 1.6's rule): not damage
	refute_output --partial "damaged line"
	assert_line --regexp '^2 +equal +change 420 +.*/metalogger$'
	# and mfsmetarestore reaches the same change from that copy
	run_tool mfsmetarestore -q -m "$R/metalogger/metadata_ml.mfs.back" -o "$BATS_TEST_TMPDIR/out.mfs" \
		"$R/metalogger/changelog_ml.0.mfs" "$R/metalogger/changelog_ml_back.0.mfs" "$R/metalogger/changelog_ml_back.1.mfs"
	assert_success
	run_tool mfsmetadump "$BATS_TEST_TMPDIR/out.mfs"
	assert_line --index 1 --regexp 'version: 421 ;'
}

@test "metapick: a line '0: ...' in a 3.x set is still damage (1.6's rule only with an MFSM 1.5 snapshot)" {
	local d=$BATS_TEST_TMPDIR/m3
	mkdir -p "$d"
	cp "$FIXTURES"/moosefs-1.6/rich/master/changelog.1.mfs "$d/changelog.1.mfs"
	cp "$FIXTURES"/moosefs/small/data/metadata.mfs.back "$d/metadata.mfs.back"
	run_tool metapick "$d"
	assert_output --partial "changelog.1.mfs:1: damaged line with valid lines after it"
}
