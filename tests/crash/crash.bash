# tests/crash/crash.bash: crash-consistency harness (the approach of ALICE,
# OSDI 2014, reduced to process crashes).  Sourced by tests/crash/sweep.
#
# A scenario NAME is a set of shell functions (tests/crash/scenarios.bash;
# a dash in NAME is an underscore in the function names):
#   sc_NAME_setup          make the inputs and the OLD target in the current dir
#   sc_NAME_cmd PREFIX...  run the writer, with PREFIX (strace ...) put in front
#                          of the one process whose syscalls are counted
#   sc_NAME_recover        (optional) the documented recovery, run after a kill:
#                          it must leave the NEW target
#   sc_NAME_check OLDSTATE (optional) an extra invariant after a kill
# and variables set by sc_NAME_info: TARGET (a file or directory, relative),
# LEFTOVERS (globs of names that a kill may leave beside TARGET, as documented),
# CONTRACT ("atomic": TARGET is OLD or NEW after any kill; "resumable": TARGET
# is written in place and may be mixed after a kill, but the recovery must
# reach NEW), RECOVER ("rerun": the recovery is running the command again) and
# KNOWN (why the scenario fails on main, if it does).
#
# A crash point is (SYSCALL, N): the writer gets SIGKILL on entry to its Nth
# call of SYSCALL, so calls 1..N-1 ran and the Nth did not.  strace counts
# injections per syscall and per tracee (strace(1)), so a global counter over a
# set is not available; one class at a time gives the same points: every
# prefix of the run that ends just before a write-path syscall is the prefix
# before the Nth call of that syscall's class.  The kill is a process crash:
# what reached the page cache survives, so this checks the order and atomicity
# of the writer's steps, not its fsyncs.

# the write-path syscalls; a scenario sweeps those its clean run makes
CRASH_SYSCALLS=${CRASH_SYSCALLS:-write,writev,pwrite64,pwritev,fsync,fdatasync,syncfs,rename,renameat,renameat2,link,linkat,symlink,symlinkat,unlink,unlinkat,rmdir,mkdir,mkdirat,ftruncate,fallocate,fchmod,fchmodat,fchown,fchownat}
CRASH_TIMEOUT=${CRASH_TIMEOUT:-60}

# crash_state PATH: one line per entry of PATH (a file, or a directory and
# everything under it): name, type, mode, SHA-256 or link target, and for a
# second name of a file inside a directory the first one ("= NAME"); "absent"
# when PATH does not exist.  Times and link counts are left out (a backup
# made with link(2) beside a target file does not change it).  Names must not
# hold a tab or a newline (the scenarios' do not).
crash_state() {
	local p=$1 rel f ino
	local -A seen=()
	if [ ! -e "$p" ] && [ ! -L "$p" ]; then
		echo absent
		return
	fi
	while IFS=$'\t' read -r ino rel; do
		f=$p${rel:+/$rel}
		if [ -L "$f" ]; then
			printf '%s l %s\n' "${rel:-.}" "$(readlink "$f")"
		elif [ -d "$f" ]; then
			printf '%s d %s\n' "${rel:-.}" "$(stat -c %a "$f")"
		elif [ -n "${seen[$ino]:-}" ]; then
			printf '%s = %s\n' "$rel" "${seen[$ino]}"
		elif [ -f "$f" ]; then
			printf '%s f %s %s\n' "${rel:-.}" "$(stat -c %a "$f")" "$(sha256sum <"$f" | cut -c1-64)"
			seen[$ino]=${rel:-.}
		else
			printf '%s %s\n' "${rel:-.}" "$(stat -c '%F %a' "$f")"
		fi
	done < <(find "$p" -printf '%i\t%P\n' | sort -t "$(printf '\t')" -k 2)
}

# crash_names DIR: the names in DIR, one a line
crash_names() {
	find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort
}

# crash_counts SCENARIO DIR: "SYSCALL COUNT" for each write-path syscall of a
# clean run in DIR (the largest count of any one process or thread)
crash_counts() {
	local sc=$1 dir=$2 fn=sc_${1//-/_}
	(cd "$dir" && "${fn}_cmd" timeout "$CRASH_TIMEOUT" strace -f -qq -o "$dir.trace" \
		-e trace="$CRASH_SYSCALLS") >"$dir.log" 2>&1 || return 1
	awk '$2 ~ /^[a-z0-9_]+\(/ { n = $2; sub(/\(.*/, "", n); c[$1 " " n]++ }
		END { for (k in c) { split(k, a, " "); if (c[k] > m[a[2]]) m[a[2]] = c[k] }
			for (s in m) print s, m[s] }' "$dir.trace" | sort
}

# crash_points MAX: read "SYSCALL COUNT" lines, print the points "SYSCALL N".
# MAX 0 = every point; else each syscall's first and last call and more
# points spread evenly over all of them, MAX in all (or the firsts and lasts).
crash_points() {
	awk -v max="$1" '{ for (i = 1; i <= $2; i++) { s[++t] = $1; n[t] = i }
			must[t - $2 + 1] = 1; must[t] = 1 }
		END {
			for (i in must) k++
			extra = max - k
			for (i = 1; i <= t; i++)
				if (max == 0 || must[i]) pick[i] = 1
			for (j = 1; j <= extra; j++) pick[int(j * t / (extra + 1) + 0.5)] = 1
			for (i = 1; i <= t; i++) if (pick[i]) print s[i], n[i]
		}'
}

# crash_leftovers DIR OLDNAMES NEWNAMES GLOBS: names in DIR found in neither
# listing and matching none of the documented globs
crash_leftovers() {
	local dir=$1 name g ok
	local -a globs
	read -r -a globs <<<"$4"
	while IFS= read -r name; do
		[ -n "$name" ] || continue
		printf '%s\n%s\n' "$2" "$3" | grep -qxF -- "$name" && continue
		ok=0
		for g in "${globs[@]}"; do
			# shellcheck disable=SC2053  # a glob match is meant
			[[ $name == $g ]] && ok=1
		done
		[ "$ok" = 1 ] || printf '%s ' "$name"
	done < <(crash_names "$dir")
}

# crash_sweep SCENARIO MAX WORK: run the sweep in the empty directory WORK,
# print one line per crash point that breaks the contract and a summary;
# return 1 if any did.  CRASH_VERBOSE=1 prints every point.
crash_sweep() {
	local sc=$1 max=$2 work=$3 fn=sc_${1//-/_}
	local TARGET LEFTOVERS CONTRACT=atomic RECOVER="" KNOWN="" recover=""
	local old new new2 oldn newn now sys n rc how bad=0 pts=0 mixed=0 killed=0 left tdir
	"${fn}_info"
	mkdir -p "$work/tmpl"
	(cd "$work/tmpl" && "${fn}_setup") >"$work/setup.log" 2>&1 || {
		echo "$sc: setup failed:"; cat "$work/setup.log"; return 1
	}
	tdir=$(dirname "$TARGET")
	[ "$RECOVER" = rerun ] && recover=${fn}_cmd
	declare -F "${fn}_recover" >/dev/null && recover=${fn}_recover
	old=$(crash_state "$work/tmpl/$TARGET")
	oldn=$(crash_names "$work/tmpl/$tdir")
	# NEW: one clean run in a copy; a second one must give the same state
	cp -a "$work/tmpl" "$work/new"
	(cd "$work/new" && "${fn}_cmd") >"$work/new.log" 2>&1 || {
		echo "$sc: the clean run failed:"; cat "$work/new.log"; return 1
	}
	new=$(crash_state "$work/new/$TARGET")
	newn=$(crash_names "$work/new/$tdir")
	cp -a "$work/tmpl" "$work/count"
	crash_counts "$sc" "$work/count" >"$work/counts" || {
		echo "$sc: the traced clean run failed:"; cat "$work/count.log"; return 1
	}
	new2=$(crash_state "$work/count/$TARGET")
	if [ "$old" = "$new" ] || [ "$new" != "$new2" ]; then
		echo "$sc: bad scenario: NEW equals OLD or differs between two clean runs"
		diff <(echo "$new") <(echo "$new2")
		return 1
	fi
	while read -r sys n; do
		pts=$((pts + 1))
		rm -rf "$work/run"
		cp -a "$work/tmpl" "$work/run"
		(cd "$work/run" && "${fn}_cmd" timeout "$CRASH_TIMEOUT" strace -f -q -o "$work/run.trace" \
			-e trace="$sys" -e inject="$sys:signal=SIGKILL:when=$n") >"$work/run.log" 2>&1
		rc=$?
		grep -q '+++ killed by SIGKILL' "$work/run.trace" && killed=$((killed + 1))
		now=$(crash_state "$work/run/$TARGET")
		if [ "$now" = "$old" ]; then
			how=old
		elif [ "$now" = "$new" ]; then
			how=new
		else
			how=MIXED
			mixed=$((mixed + 1))
		fi
		local fail=""
		[ "$how" = MIXED ] && [ "$CONTRACT" = atomic ] && fail=" target neither old nor new;"
		left=$(crash_leftovers "$work/run/$tdir" "$oldn" "$newn" "$LEFTOVERS")
		[ -z "$left" ] || fail="$fail undocumented leftovers: $left;"
		if declare -F "${fn}_check" >/dev/null; then
			(cd "$work/run" && "${fn}_check" "$old") >"$work/check.log" 2>&1 ||
				fail="$fail $(tr '\n' ' ' <"$work/check.log");"
		fi
		if [ -n "$recover" ]; then
			local rrc=0
			(cd "$work/run" && "$recover") >"$work/recover.log" 2>&1 || rrc=$?
			if [ "$(crash_state "$work/run/$TARGET")" != "$new" ]; then
				fail="$fail recovery did not reach NEW (status $rrc: $(head -c 300 "$work/recover.log" | tr '\n' ' '));"
			fi
		fi
		if [ -n "$fail" ]; then
			bad=$((bad + 1))
			echo "FAIL $sc $sys when=$n (status $rc, target $how):$fail"
			if [ "${CRASH_VERBOSE:-0}" = 1 ] && [ "$how" = MIXED ]; then
				diff <(echo "$old") <(echo "$now") | sed 's/^/    old/'
				diff <(echo "$new") <(echo "$now") | sed 's/^/    new/'
			fi
		elif [ "${CRASH_VERBOSE:-0}" = 1 ]; then
			echo "ok   $sc $sys when=$n (status $rc, target $how)"
		fi
	done < <(crash_points "$max" <"$work/counts")
	echo "$sc: $pts points ($(awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), $1, $2 }' "$work/counts")), $killed killed, $mixed mixed, $bad failed${KNOWN:+ [known: $KNOWN]}"
	[ "$bad" = 0 ]
}
