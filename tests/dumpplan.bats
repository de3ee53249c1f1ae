#!/usr/bin/env bats
# dumpplan: pack volumes onto backup media; Coda dumplist output.
# Fixtures: tests/fixtures/dumpplan/.
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR" || exit 1
}

fx() {
	cp "$FIXTURES/dumpplan/$1" "${2:-$1}"
}

# check_plan LIST CAPACITY: the plan in $output (printed with -b) is valid for
# the volume list: every replica placed once, no medium over capacity except
# a volume marked larger than a medium (alone), no two replicas of a volume
# on one medium, and the closing line's numbers agree with the table.
check_plan() {
	local list=$1 cap=$2
	printf '%s\n' "$output" >plan.out
	awk -v cap="$cap" '
	function size(s,   m) {
		m = 1
		if (s ~ /[Kk]$/) m = 1024
		else if (s ~ /[Mm]$/) m = 1024 * 1024
		else if (s ~ /[Gg]$/) m = 1024 * 1024 * 1024
		else if (s ~ /[Tt]$/) m = 1024 * 1024 * 1024 * 1024
		sub(/[KkMmGgTt]$/, "", s)
		return s * m
	}
	FNR == NR {
		sub(/\r$/, ""); sub(/(^|[ \t])#.*/, "")
		if (NF == 0) next
		want[$1] = (NF > 2 ? $3 : 1); vsize[$1] = size($2); total += want[$1] * (vsize[$1] <= cap ? vsize[$1] : 0)
		if (vsize[$1] > cap) over += want[$1]
		next
	}
	/^medium / { m = $2 + 0; media++; next }
	/^  / {
		n = $1; placed[n]++
		if ($2 != vsize[n]) { print "wrong size for " n; bad = 1 }
		used[m] += $2; count[m]++
		if (index($0, "(larger than a medium)")) big[m] = 1
		if ((n, m) in seen) { print "two replicas of " n " on medium " m; bad = 1 }
		seen[n, m] = 1
		next
	}
	/^lower bound/ { lb = $5; sub(/,/, "", lb); got = $9 + 0 }
	END {
		for (i = 1; i <= media; i++) {
			if (used[i] > cap && !(big[i] && count[i] == 1)) { print "medium " i " over capacity"; bad = 1 }
		}
		for (n in want) if (placed[n] != want[n]) { print n " placed " placed[n] " times, want " want[n]; bad = 1 }
		if (got != media) { print "media used " got " but " media " in the table"; bad = 1 }
		expect = int(total / cap) + (total % cap != 0) + over
		if (lb != expect) { print "lower bound " lb ", expected " expect; bad = 1 }
		exit bad
	}' "$list" plan.out
}

@test "dumpplan: packs volumes into a table per medium with fill and the lower bound (exit 0)" {
	fx suffixes-comments-crlf.txt v.txt
	run_tool dumpplan --capacity 10G v.txt
	assert_success
	assert_equal "$stderr" ""
	assert_output "medium 1: 2 volumes, 10.00 GiB of 10.00 GiB (100.0%)
  a         6.00 GiB
  c         4.00 GiB
medium 2: 3 volumes, 10.00 GiB of 10.00 GiB (100.0%)
  b         5.00 GiB
  d         3.00 GiB
  e         2.00 GiB
lower bound ceil(total/capacity) = 2, media used = 2 (optimal)"
	run_tool dumpplan -b -c 10G v.txt
	check_plan v.txt $((10 << 30))
}

@test "dumpplan: the exact search finds 3 media where first-fit decreasing needs 4 (exit 0)" {
	fx ffd-not-optimal.txt v.txt
	run_tool dumpplan -c 100 v.txt
	assert_success
	assert_line --index 0 "medium 1: 2 volumes, 99 B of 100 B (99.0%)"
	assert_regex "${lines[-1]}" '^lower bound ceil\(total/capacity\) = 3, media used = 3 \(optimal, exact search of [0-9]+ nodes\)$'
	run_tool dumpplan -b -c 100 v.txt
	check_plan v.txt 100
	# first-fit decreasing alone: 52+47, 42+41, 37+29+28, 22 = 4 media
	awk '{print $2}' v.txt | sort -rn | awk '{ for (b = 1; b <= n; b++) if (r[b] >= $1) break; if (b > n) r[++n] = 100; r[b] -= $1 } END { exit n != 4 }'
}

@test "dumpplan: the exact search works near 2^64 bytes (sizes in petabytes)" {
	awk '{ printf "%s %dP\n", $1, $2 * 32 }' "$FIXTURES/dumpplan/ffd-not-optimal.txt" >v.txt
	run_tool dumpplan -c 3200P v.txt
	assert_success
	assert_regex "${lines[-1]}" '^lower bound ceil\(total/capacity\) = 3, media used = 3 \(optimal, exact search'
}

@test "dumpplan: replicas take their own space and never share a medium (exit 0)" {
	printf 'rep 1G 3\nsmall 100M\n' >v.txt
	run_tool dumpplan -c 10G v.txt
	assert_success
	assert_output "medium 1: 2 volumes, 1.10 GiB of 10.00 GiB (11.0%)
  rep        1.00 GiB  replica 1/3
  small    100.00 MiB
medium 2: 1 volume, 1.00 GiB of 10.00 GiB (10.0%)
  rep        1.00 GiB  replica 2/3
medium 3: 1 volume, 1.00 GiB of 10.00 GiB (10.0%)
  rep        1.00 GiB  replica 3/3
lower bound ceil(total/capacity) = 1, media used = 3 (optimal: a volume with 3 replicas needs 3 media)"
}

@test "dumpplan: random volume lists always give valid plans" {
	for _ in $(seq 1 25); do
		n=$((RANDOM % 30 + 1))
		for i in $(seq 1 "$n"); do
			echo "vol$i $((RANDOM % 900 + 1))M $((RANDOM % 3 + 1))"
		done >v.txt
		run_tool dumpplan -q -b -c 1G v.txt
		assert_success
		check_plan v.txt $((1 << 30)) || fail "invalid plan for $(cat v.txt)"
	done
}

@test "dumpplan: a hard list stops the exact search, keeps the best plan and says so (exit 0)" {
	awk 'BEGIN { srand(5); for (i = 0; i < 200; i++) printf "v%d %d\n", i, 200 + int(rand() * 500) }' >v.txt
	run_tool dumpplan -b -c 1000 v.txt
	assert_success
	assert_regex "$stderr" '^dumpplan: plan may not be minimal \(best found; exact search stopped after [0-9]+ nodes\)$'
	assert_regex "${lines[-1]}" 'media used = [0-9]+ \(best found; exact search stopped after [0-9]+ nodes\)$'
	check_plan v.txt 1000
	run_tool dumpplan -q -b -c 1000 v.txt
	assert_equal "$stderr" ""
}

@test "dumpplan: reads stdin when FILE is - or absent; sizes in bytes with -b" {
	fx suffixes-comments-crlf.txt v.txt
	run_tool dumpplan -c 10G -b v.txt
	want=$output
	run bash -c '"$RESCUE" dumpplan -c 10G -b <v.txt'
	assert_success
	assert_output "$want"
	run bash -c '"$RESCUE" dumpplan -c 10G -b - <v.txt'
	assert_output "$want"
	assert_line --index 1 "  a       6442450944"
	run bash -c 'printf "a 1G\nb 2X\n" | "$RESCUE" dumpplan -c 10G'
	assert_equal "$status" 3
	assert_equal "$output" "dumpplan: (stdin):2: bad size '2X'"
}

@test "dumpplan: an empty list needs no media (exit 0)" {
	printf '# nothing\n\n' >v.txt
	run_tool dumpplan -c 1G v.txt
	assert_success
	assert_output "lower bound ceil(total/capacity) = 0, media used = 0 (optimal)"
}

@test "dumpplan: a volume larger than a medium is an error naming it (exit 3)" {
	fx oversize.txt v.txt
	snapshot v.txt
	run_tool dumpplan -c 10G v.txt
	assert_equal "$status" 3
	assert_equal "$stderr" "dumpplan: v.txt:2: volume 'huge' (30.00 GiB) is larger than a medium (10.00 GiB); use --allow-oversize"
	assert_output ""
	assert_unchanged
}

@test "dumpplan: --allow-oversize puts it alone on a medium and says so (exit 0)" {
	fx oversize.txt v.txt
	run_tool dumpplan -c 10G --allow-oversize v.txt
	assert_success
	assert_equal "$stderr" "dumpplan: volume 'huge' is larger than a medium; alone on medium 2
dumpplan: volume 'huge' is larger than a medium; alone on medium 3"
	assert_output "medium 1: 2 volumes, 6.00 GiB of 10.00 GiB (60.0%)
  mid        5.00 GiB
  small      1.00 GiB
medium 2: 1 volume, 30.00 GiB of 10.00 GiB (300.0%)
  huge      30.00 GiB  replica 1/2  (larger than a medium)
medium 3: 1 volume, 30.00 GiB of 10.00 GiB (300.0%)
  huge      30.00 GiB  replica 2/2  (larger than a medium)
lower bound ceil(total/capacity) = 3, media used = 3 (optimal)"
	run_tool dumpplan -b -c 10G --allow-oversize v.txt
	check_plan v.txt $((10 << 30))
}

@test "dumpplan: --dumplist writes one Coda dumplist per medium, within the parser's limits (exit 0)" {
	fx coda-volumes.txt v.txt
	mkdir out
	run_tool dumpplan -c 5G --dumplist out v.txt
	assert_success
	assert_equal "$(ls out)" "dumplist.1
dumplist.2
dumplist.3
dumplist.4
dumplist.5"
	assert_equal "$(cat out/dumplist.1)" "$(printf '7f000004\tF\tp:coda.project\n7f000003\tF\ts:coda')"
	assert_equal "$(cat out/dumplist.5)" "$(printf '7f000002\tF\tu:jaharkes\n7f000005\tF\t7f000005')"
	assert_equal "$(sed -n 's/^dumpplan: wrote //p' <<<"$stderr")" "out/dumplist.1
out/dumplist.2
out/dumplist.3
out/dumplist.4
out/dumplist.5"
	# the table and the files agree
	for m in 1 2 3 4 5; do
		assert_equal "$(awk -F'\t' '{print $3}' "out/dumplist.$m")" \
			"$(awk -v m="$m" '/^medium/ { on = ($2 == m ":") } on && /^  / { print $1 }' <<<"$output")"
	done
	# backup.cc reads lines with fgets(81 bytes) and sscanf("%x %40s %40s"):
	# <= 79 characters plus a newline, 3 fields, no blank or comment line
	for f in out/dumplist.*; do
		[ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ]
		run awk -F'\t' 'length($0) > 79 || NF != 3 || $1 !~ /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]$/ || $2 !~ /^[FfIi0-9]+$/ || length($3) > 39 || $3 ~ /[ #]/' "$f"
		assert_output ""
	done
	assert_no_tmp out
}

@test "dumpplan: --schedule sets the dumplist schedule; a bad one is a usage error (exit 0, 2)" {
	printf '7f000001 1G\n' >v.txt
	mkdir out
	run_tool dumpplan -q -c 5G --dumplist out --schedule IFIIIII v.txt
	assert_success
	assert_equal "$(cat out/dumplist.1)" "$(printf '7f000001\tIFIIIII\t7f000001')"
	run_tool dumpplan -c 5G --dumplist out --schedule FX v.txt
	assert_equal "$status" 2
	assert_equal "$stderr" "dumpplan: bad --schedule 'FX' (F, I or 0-9 per day, at most 39) (see 'dumpplan --help')"
}

@test "dumpplan: --dumplist refuses to replace existing lists without -f (exit 5)" {
	fx coda-volumes.txt v.txt
	mkdir out
	echo keep >out/dumplist.2
	snapshot out/dumplist.2
	run_tool dumpplan -c 5G --dumplist out v.txt
	assert_equal "$status" 5
	assert_equal "$stderr" "dumpplan: out/dumplist.2: exists; not overwritten (use -f)"
	assert_output ""
	assert_unchanged
	assert_equal "$(ls out)" dumplist.2
}

@test "dumpplan: --dumplist -f replaces the lists and removes stale higher-numbered ones (exit 0)" {
	printf '7f000001 4G\n7f000002 4G\n' >v.txt
	mkdir out
	for i in 1 2 3 4; do echo old >"out/dumplist.$i"; done
	echo other >out/notes
	run_tool dumpplan -f -c 5G --dumplist out v.txt
	assert_success
	assert_equal "$(ls out)" "dumplist.1
dumplist.2
notes"
	assert_equal "$(cat out/dumplist.1)" "$(printf '7f000001\tF\t7f000001')"
	assert_line --partial "media used = 2"
	assert_equal "$(sed -n 's/^dumpplan: removed stale //p' <<<"$stderr")" "out/dumplist.3
out/dumplist.4"
}

@test "dumpplan: the input file is never an output (exit 5)" {
	mkdir out
	printf '7f000001 4G\n' >out/dumplist.1
	snapshot out/dumplist.1
	run_tool dumpplan -f -c 5G --dumplist out out/dumplist.1
	assert_equal "$status" 5
	assert_equal "$stderr" "dumpplan: out/dumplist.1: is the input; refused"
	assert_output ""
	assert_unchanged
}

@test "dumpplan: --dumplist needs a Coda volume id for every volume (exit 3)" {
	printf '7f000001 1G\nu:satya 2G 2\n' >v.txt
	mkdir out
	run_tool dumpplan -c 5G --dumplist out v.txt
	assert_equal "$status" 3
	assert_equal "$stderr" "dumpplan: v.txt:2: volume 'u:satya' has no Coda volume id (hex NAME or 4th field) for --dumplist"
	assert_output ""
	assert_equal "$(ls out)" ""
}

@test "dumpplan: --dumplist refuses names over 39 bytes and lines over 79 characters (exit 3)" {
	mkdir out
	printf 'a_name_that_is_much_too_long_for_coda_40 1G 1 7f000001\n' >v.txt
	run_tool dumpplan -c 5G --dumplist out v.txt
	assert_equal "$status" 3
	assert_equal "$stderr" "dumpplan: v.txt:1: volume name 'a_name_that_is_much_too_long_for_coda_40' is longer than 39 bytes, the limit of a dumplist comment"
	assert_output ""
	printf 'a_name_that_is_exactly_39_bytes_long_xx 1G 1 7f000001\n' >v.txt
	run_tool dumpplan -c 5G --dumplist out --schedule FIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII v.txt
	assert_equal "$status" 3
	assert_equal "$stderr" "dumpplan: v.txt:1: dumplist line for 'a_name_that_is_exactly_39_bytes_long_xx' is longer than 79 characters (Coda's limit)"
	assert_output ""
	assert_equal "$(ls out)" ""
	# 8 + 1 + 30 + 1 + 39 = 79: just fits
	run_tool dumpplan -q -c 5G --dumplist out --schedule FIIIIIIIIIIIIIIIIIIIIIIIIIIIII v.txt
	assert_success
	assert_equal "$(head -n 1 out/dumplist.1 | wc -c)" 80
}

@test "dumpplan: a missing --dumplist directory is an I/O error (exit 4)" {
	printf '7f000001 1G\n' >v.txt
	run_tool dumpplan -c 5G --dumplist nodir v.txt
	assert_equal "$status" 4
	assert_equal "$stderr" "dumpplan: nodir: No such file or directory"
	assert_output ""
}

# bad_line FIXTURE MESSAGE: exit 3, the message, nothing on stdout, input unchanged
bad_line() {
	fx "$1" v.txt
	snapshot v.txt
	run_tool dumpplan -c 10G v.txt
	assert_equal "$status" 3
	assert_equal "$stderr" "dumpplan: v.txt:$2"
	assert_output ""
	assert_unchanged
	assert_no_tmp
}

@test "dumpplan: bad volume lines name the file and line (exit 3)" {
	bad_line missing-size.txt "2: missing SIZE for volume 'b'"
	bad_line bad-size.txt "2: bad size '12Q'"
	bad_line bad-replicas.txt "1: bad replica count '0' (1-64)"
	bad_line bad-volid.txt "1: bad Coda volume id 'xyz' (1-8 hex digits, not 0)"
	bad_line too-many-fields.txt "1: too many fields (NAME SIZE [REPLICAS [VOLID]])"
	bad_line dup-name.txt "3: volume 'a' listed twice (first at line 1)"
	bad_line nul-byte.txt "2: NUL byte (binary file?)"
}

@test "dumpplan: more bad lines: 65 replicas, id 0, 9 hex digits, long name, long line (exit 3)" {
	printf 'a 1G 65\n' >v.txt
	run_tool dumpplan -c 10G v.txt
	assert_equal "$status" 3
	assert_equal "$stderr" "dumpplan: v.txt:1: bad replica count '65' (1-64)"
	for id in 0 0x0 123456789; do
		printf 'a 1G 1 %s\n' "$id" >v.txt
		run_tool dumpplan -c 10G v.txt
		assert_equal "$status" 3
		assert_equal "$stderr" "dumpplan: v.txt:1: bad Coda volume id '$id' (1-8 hex digits, not 0)"
	done
	printf '%0256d 1G\n' 0 >v.txt
	run_tool dumpplan -c 10G v.txt
	assert_equal "$stderr" "dumpplan: v.txt:1: volume name longer than 255 bytes"
	{ echo "a 1"; printf 'b 1 %4100s\n' '#'; } >v.txt
	run_tool dumpplan -c 10G v.txt
	assert_equal "$status" 3
	assert_equal "$stderr" "dumpplan: v.txt:2: line longer than 4096 bytes"
	assert_output ""
}

@test "dumpplan: a total beyond 16 EiB is refused (exit 3)" {
	printf 'a 15E\nb 15E\n' >v.txt
	run_tool dumpplan -c 15E v.txt
	assert_equal "$status" 3
	assert_equal "$stderr" "dumpplan: v.txt: total size of the volumes exceeds 16 EiB"
	assert_output ""
}

@test "dumpplan: usage errors (exit 2) and a missing file (exit 4)" {
	printf 'a 1G\n' >v.txt
	run_tool dumpplan v.txt
	assert_equal "$status" 2
	assert_equal "$stderr" "dumpplan: missing --capacity (see 'dumpplan --help')"
	assert_output ""
	run_tool dumpplan --capacity 12Q v.txt
	assert_equal "$status" 2
	assert_equal "$stderr" "dumpplan: bad --capacity '12Q' (see 'dumpplan --help')"
	run_tool dumpplan --capacity 0 v.txt
	assert_equal "$status" 2
	assert_equal "$stderr" "dumpplan: bad --capacity '0' (see 'dumpplan --help')"
	run_tool dumpplan -c 1G v.txt other
	assert_equal "$status" 2
	assert_equal "$stderr" "dumpplan: unexpected argument 'other' (see 'dumpplan --help')"
	run_tool dumpplan -c 1G --bogus v.txt
	assert_equal "$status" 2
	assert_equal "$stderr" "dumpplan: unknown option '--bogus' (see 'dumpplan --help')"
	run_tool dumpplan -c 1G nofile.txt
	assert_equal "$status" 4
	assert_equal "$stderr" "dumpplan: nofile.txt: No such file or directory"
	assert_output ""
}

@test "dumpplan: --help through the link prints the usage on stdout (exit 0)" {
	run_link dumpplan --help
	assert_success
	assert_line --index 0 "usage: dumpplan --capacity SIZE [OPTIONS] [FILE]"
	assert_equal "$stderr" ""
}

@test "dumpplan: SIGTERM while writing dumplists leaves no temporary file" {
	awk 'BEGIN { for (i = 1; i <= 3000; i++) printf "%08x %dM\n", i, 1 + i % 700 }' >v.txt
	mkdir out
	for i in 1 2 3 4 5; do
		timeout -s TERM "0.0$((RANDOM % 10))" "$RESCUE" dumpplan -q -f -c 1G --dumplist out v.txt >/dev/null || true
		assert_no_tmp out
	done
}

@test "dumpplan: fsync failing with EIO while writing a dumplist: no temporary file (exit 4)" {
	requires strace
	printf '7f000001 1G\n' >v.txt
	mkdir out
	run --separate-stderr strace -f -o /dev/null -e inject=fsync:error=EIO "$RESCUE" dumpplan -q -c 5G --dumplist out v.txt
	assert_equal "$status" 4
	assert_equal "$stderr" "dumpplan: out/dumplist.1: fsync: I/O error"
	assert_equal "$(ls out)" ""
}
