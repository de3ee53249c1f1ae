# recipes/lib.sh: shared by every recipe (sourced, POSIX sh, runs under busybox ash).
#
# A recipe describes its work as numbered steps, each with the exact commands
# it runs, then hands over to r_main.  Without --yes the plan is printed and
# nothing is changed.  With --yes each step runs in order; after each one the
# step number is written to a state file in the work directory, so a re-run
# resumes after the last completed step.  The state also holds a fingerprint of
# the recipe's inputs: when they change, the old state no longer applies and the
# recipe starts again from step 1.  Operator steps (things only a person can do)
# print their instructions and stop; `--done N` records that step N was done.
#
# Conventions (docs/contributing.md 1.7): messages "RECIPE: ..." on stderr, the shared
# exit statuses, a log (path printed first), a metasnap backup (path printed)
# before anything that changes a directory.
#
# Environment:
#   RESCUE_TOOL        how to run a rescue tool: "rescue" (default when on PATH),
#                      a path to the multicall binary, or "" for the tool links
#   RESCUE_LOG         log file (default /run/rescue/RECIPE.log, else $TMPDIR)
#   RESCUE_LOG_TEED=1  the caller already copies our stdout and stderr into
#                      RESCUE_LOG (as /init does): do not write it twice
#   RESCUE_WORK        work directory: state, staging (default: beside the target)
#   RESCUE_BACKUP_DIR  where backups go (default WORK/backup)
#   RESCUE_RECIPE_STOP_AFTER=N  test hook: SIGKILL the recipe right after step N

# shellcheck disable=SC2034
RC_OK=0 RC_DIFF=1 RC_USAGE=2 RC_DATA=3 RC_IO=4 RC_REFUSED=5

R_ACT=0
R_DONE_ARGS=""
R_NSTEPS=0
R_NOTES=""
R_WORK=${RESCUE_WORK:-}
R_LOG=""
R_STATE=""
R_FP=""
R_STATE_DONE=0
R_STATE_OK=0
_k="" _t="" _b=""

if [ "${RESCUE_TOOL+set}" != set ]; then
	if command -v rescue >/dev/null 2>&1; then RESCUE_TOOL=rescue; else RESCUE_TOOL=""; fi
fi

# ---- messages and log --------------------------------------------------------

r_log() {
	[ -n "$R_LOG" ] || return 0
	[ "${RESCUE_LOG_TEED:-0}" != 1 ] || return 0
	printf '%s\n' "$*" >>"$R_LOG" 2>/dev/null || :
}

r_msg() {
	printf '%s: %s\n' "$R_NAME" "$*" >&2
	r_log "$R_NAME: $*"
}

# r_die RC MESSAGE: print, log and exit with RC.
r_die() {
	_rc=$1
	shift
	r_msg "$*"
	exit "$_rc"
}

r_usage_error() {
	r_die "$RC_USAGE" "$* (see '$R_NAME --help')"
}

# r_out TEXT: a line for the operator on stdout (plan, instructions), also logged.
r_out() {
	printf '%s\n' "$*"
	r_log "$*"
}

r_log_open() {
	if [ -n "${RESCUE_LOG:-}" ]; then
		R_LOG=$RESCUE_LOG
	else
		for _d in /run/rescue "${TMPDIR:-/tmp}"; do
			if mkdir -p "$_d" 2>/dev/null && [ -w "$_d" ]; then
				R_LOG=$_d/$R_NAME.log
				break
			fi
		done
	fi
	# (in a subshell: a failed redirection of a special builtin ends the shell)
	if [ -z "$R_LOG" ] || ! (: >>"$R_LOG") 2>/dev/null; then
		_l=$R_LOG
		R_LOG=""
		r_die "$RC_IO" "cannot write the log '$_l' (set RESCUE_LOG)"
	fi
	r_msg "log: $R_LOG"
	r_log "== $(date -u '+%Y-%m-%dT%H:%M:%SZ') $R_NAME $R_ARGS"
}

# ---- quoting and tool commands -----------------------------------------------

# q ARG: ARG quoted for the shell, only when it needs quoting.
q() {
	case $1 in
	'' | *[!A-Za-z0-9_./:=@%+,-]*)
		printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
		;;
	*) printf '%s' "$1" ;;
	esac
}

# qa ARGS...: every argument quoted, separated by spaces.
qa() {
	_sep=""
	for _a in "$@"; do
		printf '%s%s' "$_sep" "$(q "$_a")"
		_sep=" "
	done
}

# rcmd TOOL ARGS...: the command text that runs a rescue tool.
rcmd() {
	if [ -n "$RESCUE_TOOL" ]; then
		printf '%s %s' "$(q "$RESCUE_TOOL")" "$(qa "$@")"
	else
		qa "$@"
	fi
}

# rt TOOL ARGS...: run a rescue tool now.
rt() {
	if [ -n "$RESCUE_TOOL" ]; then "$RESCUE_TOOL" "$@"; else "$@"; fi
}

# r_utc: a UTC timestamp for file names.
r_utc() {
	date -u '+%Y%m%dT%H%M%SZ'
}

# r_abs PATH: absolute path without symlink resolution of the last part.
r_abs() {
	case $1 in
	/*) printf '%s' "$1" ;;
	*) printf '%s/%s' "$(pwd)" "$1" ;;
	esac | sed 's://*:/:g; s:/\./:/:g; s:/\.$::; s:\(.\)/$:\1:'
}

# ---- state -------------------------------------------------------------------

# r_state_init WORK KEYARGS FINGERPRINT_TEXT [FREEZE]: choose the work dir and
# read any state.  KEYARGS names the job (resolved paths and options).  Once step FREEZE is done the inputs may change by design (the
# procedure rebuilds them): from then on only the arguments must match.
r_state_init() {
	R_WORK=${RESCUE_WORK:-$1}
	R_KEYARGS=$2
	shift
	R_STATE=$R_WORK/state
	R_FP=$(printf '%s\n%s\n' "$R_NAME $R_KEYARGS" "$2" | sha256sum | cut -c1-64)
	R_STATE_DONE=0
	R_STATE_OK=0
	[ -f "$R_STATE" ] || return 0
	_fp=$(sed -n 's/^fingerprint=//p' "$R_STATE")
	_sd=$(sed -n 's/^done=//p' "$R_STATE")
	if [ -n "${3:-}" ] && [ "${_sd:-0}" -ge "$3" ] 2>/dev/null &&
		[ "$(sed -n 's/^args=//p' "$R_STATE")" = "$R_KEYARGS" ]; then
		R_FP=$_fp
	fi
	if [ "$_fp" = "$R_FP" ]; then
		R_STATE_OK=1
		R_STATE_DONE=$(sed -n 's/^done=//p' "$R_STATE")
		case $R_STATE_DONE in '' | *[!0-9]*) R_STATE_DONE=0 ;; esac
		R_VALS=$(grep '^val\.' "$R_STATE" || :)
		[ -z "$R_VALS" ] || R_VALS="$R_VALS
"
	else
		r_msg "the inputs changed since $R_STATE was written: its steps do not apply; starting from step 1"
	fi
}

# r_nostate WORK: a recipe (or mode) that is idempotent: every run does every
# step, nothing is resumed.
r_nostate() {
	R_NOSTATE=1
	R_WORK=${RESCUE_WORK:-$1}
}

# r_saved KEY: a value stored in the state by an earlier run (empty if none).
r_saved() {
	printf '%s' "${R_VALS:-}" | sed -n "s/^val\\.$1=//p" | tail -n 1
}

# r_remember KEY VALUE: keep VALUE for later runs (written with the next state).
# Values are single lines.
r_remember() {
	R_VALS="${R_VALS:-}val.$1=$2
"
}

r_state_write() {
	[ "${R_NOSTATE:-0}" = 0 ] || return 0
	mkdir -p "$R_WORK" || r_die "$RC_IO" "cannot create the work directory $R_WORK"
	_t=$R_STATE.tmp.$$
	{
		echo "recipe=$R_NAME"
		echo "args=$R_KEYARGS"
		echo "fingerprint=$R_FP"
		echo "done=$1"
		echo "updated=$(date -u '+%Y-%m-%dT%H:%M:%SZ')"
		printf '%s' "${R_VALS:-}"
	} >"$_t" || r_die "$RC_IO" "cannot write the state file $_t"
	mv -f "$_t" "$R_STATE" || r_die "$RC_IO" "cannot write the state file $R_STATE"
	sync
}

# ---- steps -------------------------------------------------------------------

# r_step KIND TITLE BODY
#   run       BODY: commands, one per line; each must succeed
#   backup    BODY: "DIR FILE"; a verified metasnap archive of DIR
#   operator  BODY: instructions for the operator; the recipe stops here
r_step() {
	R_NSTEPS=$((R_NSTEPS + 1))
	eval "R_KIND_$R_NSTEPS=\$1 R_TITLE_$R_NSTEPS=\$2 R_BODY_$R_NSTEPS=\$3"
}

# r_backup_step LABEL DIR: add a backup step; sets R_BACKUP_FILE.
r_backup_step() {
	_bdir=${RESCUE_BACKUP_DIR:-$R_WORK/backup}
	_ts=$(r_saved "ts")
	if [ -z "$_ts" ]; then
		# a new run never reuses the name of an earlier run's backup
		_ts=$(r_utc)
		while ls "$_bdir"/*-"$_ts".tar.gz >/dev/null 2>&1; do
			sleep 1
			_ts=$(r_utc)
		done
		r_remember ts "$_ts"
	fi
	R_BACKUP_FILE=$_bdir/$1-$_ts.tar.gz
	r_step backup "back up $2 (metasnap, verified)" "$2
$R_BACKUP_FILE"
}

# r_note TEXT: printed after the last step (what the operator does next).
r_note() {
	R_NOTES="$R_NOTES$1
"
}

_r_cmds() {
	_body=$1
	_kind=$2
	case $_kind in
	backup)
		_src=${_body%%
*}
		_dst=${_body#*
}
		printf '%s\n' "mkdir -p $(q "${_dst%/*}")"
		printf '%s\n' "$(rcmd metasnap save "$_src" -o "$_dst")"
		printf '%s\n' "$(rcmd metasnap verify "$_dst")"
		;;
	*) printf '%s\n' "$_body" ;;
	esac
}

r_plan() {
	if [ "$R_ACT" = 1 ] && [ "${R_NOSTATE:-0}" = 1 ]; then
		r_out "$R_NAME: plan ($R_NSTEPS steps)"
	elif [ "$R_ACT" = 1 ]; then
		r_out "$R_NAME: plan ($R_NSTEPS steps; state: $R_STATE)"
	else
		r_out "$R_NAME: plan ($R_NSTEPS steps; dry run, nothing is changed: add --yes to act)"
	fi
	_i=1
	while [ "$_i" -le "$R_NSTEPS" ]; do
		eval "_k=\$R_KIND_$_i _t=\$R_TITLE_$_i _b=\$R_BODY_$_i"
		_mark=""
		[ "$_i" -le "$R_STATE_DONE" ] && _mark=" [done]"
		[ "$_k" = operator ] && _mark="$_mark [operator]"
		r_out "$(printf '%2d. %s%s' "$_i" "$_t" "$_mark")"
		if [ "$_k" = operator ]; then
			printf '%s\n' "$_b" | while IFS= read -r _l; do r_out "      $_l"; done
		else
			_r_cmds "$_b" "$_k" | while IFS= read -r _l; do r_out "    \$ $_l"; done
		fi
		_i=$((_i + 1))
	done
}

# r_need_space SRC DESTDIR: refuse (exit 5) unless DESTDIR's filesystem has room
# for a copy of SRC (its size plus 10% and 1 MiB).
r_need_space() {
	_need=$(du -sk "$1" 2>/dev/null | awk '{print $1}')
	[ -n "$_need" ] || r_die "$RC_IO" "cannot measure $1"
	_need=$((_need + _need / 10 + 1024))
	_have=$(df -Pk "$2" 2>/dev/null | awk 'NR == 2 {print $4}')
	[ -n "$_have" ] || r_die "$RC_IO" "cannot read the free space of $2"
	if [ "$_have" -lt "$_need" ]; then
		r_die "$RC_REFUSED" "not enough space for the backup of $1 in $2: $_have KiB free, $_need KiB needed (set RESCUE_BACKUP_DIR)"
	fi
}

# _r_exec CMD: run one command line, its output to stderr and the log.
_r_exec() {
	r_log "\$ $1"
	printf '    $ %s\n' "$1" >&2
	_rcf=$R_WORK/.rc.$$
	{
		if eval "$1" 2>&1; then echo 0 >"$_rcf"; else echo "$?" >"$_rcf"; fi
	} | if [ "${RESCUE_LOG_TEED:-0}" = 1 ]; then cat; else tee -a "$R_LOG"; fi >&2
	_rc=$(cat "$_rcf" 2>/dev/null || echo 4)
	rm -f "$_rcf"
	return "$_rc"
}

_r_run_step() {
	_i=$1
	eval "_k=\$R_KIND_$_i _t=\$R_TITLE_$_i _b=\$R_BODY_$_i"
	if [ "$_k" = backup ]; then
		_src=${_b%%
*}
		_dst=${_b#*
}
		mkdir -p "${_dst%/*}" || r_die "$RC_IO" "cannot create ${_dst%/*}"
		r_need_space "$_src" "${_dst%/*}"
		# a backup (or metasnap's temporary file) left by a run killed before it
		# recorded the step is ours: redo it
		rm -f "$_dst" "$_dst".tmp.*
	fi
	_old_ifs=$IFS
	IFS='
'
	set -f
	for _c in $(_r_cmds "$_b" "$_k"); do
		IFS=$_old_ifs
		set +f
		_r_exec "$_c" || {
			_rc=$?
			[ "$_rc" -ge 1 ] && [ "$_rc" -le 5 ] || _rc=$RC_IO
			# file utilities say 1 for any failure: that is an I/O error here
			case ${_c%% *} in cp | mv | mkdir | rm | chown | chmod | ln | sync | cat) _rc=$RC_IO ;; esac
			r_die "$_rc" "step $_i failed (exit $_rc): $_c"
		}
	done
	IFS=$_old_ifs
	set +f
	[ "$_k" = backup ] && r_msg "backup of $_src: $_dst"
	return 0
}

_r_confirmed() {
	case " $R_DONE_ARGS " in *" $1 "*) return 0 ;; esac
	return 1
}

# _r_alive PID: the process runs (a zombie, killed but not yet reaped, does not).
_r_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[ "$(sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# _r_lock: one acting run per work directory.  A lock left by a run that died
# (SIGKILL, power loss) is taken over; a live one refuses (exit 5).
_r_lock() {
	_lk=$R_WORK/lock
	if ! mkdir "$_lk" 2>/dev/null; then
		_pid=$(cat "$_lk/pid" 2>/dev/null || :)
		if [ -n "$_pid" ] && [ "$_pid" != $$ ] && _r_alive "$_pid"; then
			r_die "$RC_REFUSED" "another run (pid $_pid) is working in $R_WORK; wait for it or stop it"
		fi
		r_msg "taking over the lock of a run that ended without releasing it (pid ${_pid:-unknown})"
		mkdir -p "$_lk" || r_die "$RC_IO" "cannot create $_lk"
	fi
	echo $$ >"$_lk/pid" || r_die "$RC_IO" "cannot write $_lk/pid"
	R_LOCK=$_lk
	trap '_r_unlock' EXIT
	trap 'r_die "$RC_IO" "interrupted; re-run to resume after the last completed step"' INT TERM HUP
}

_r_unlock() {
	[ -z "${R_LOCK:-}" ] || rm -rf "$R_LOCK"
}

# r_main: print the plan; with --yes run the steps not yet done.
r_main() {
	r_plan
	if [ "$R_ACT" != 1 ]; then
		[ -n "$R_DONE_ARGS" ] && r_msg "--done needs --yes"
		return 0
	fi
	if [ "$R_STATE_DONE" -ge "$R_NSTEPS" ] && [ "$R_NSTEPS" -gt 0 ]; then
		r_msg "the run recorded in $R_STATE finished every step: starting a new run"
		R_STATE_DONE=0
	fi
	_i=$((R_STATE_DONE + 1))
	mkdir -p "$R_WORK" || r_die "$RC_IO" "cannot create the work directory $R_WORK"
	_r_lock
	rm -f "$R_WORK"/.rc.*
	r_state_write "$R_STATE_DONE"
	while [ "$_i" -le "$R_NSTEPS" ]; do
		eval "_k=\$R_KIND_$_i _t=\$R_TITLE_$_i _b=\$R_BODY_$_i"
		if [ "$_k" = operator ]; then
			if ! _r_confirmed "$_i"; then
				r_out ""
				r_out "== step $_i: $_t (for the operator)"
				printf '%s\n' "$_b" | while IFS= read -r _l; do r_out "   $_l"; done
				if [ "$_i" = "$R_NSTEPS" ]; then
					r_msg "stopped at step $_i, the operator's (see above)"
				else
					r_msg "stopped before step $_i: do it, then re-run with --yes --done $_i"
				fi
				return 0
			fi
			r_msg "step $_i/$R_NSTEPS: $_t: done by the operator"
		else
			r_msg "step $_i/$R_NSTEPS: $_t"
			_r_run_step "$_i"
		fi
		r_state_write "$_i"
		if [ "${RESCUE_RECIPE_STOP_AFTER:-}" = "$_i" ]; then
			r_log "stop hook: killing myself after step $_i"
			kill -KILL $$
		fi
		_i=$((_i + 1))
	done
	if [ "$R_NSTEPS" = 1 ]; then r_msg "the step is done"; else r_msg "all $R_NSTEPS steps done"; fi
	if [ -n "$R_NOTES" ]; then
		r_out ""
		printf '%s' "$R_NOTES" | while IFS= read -r _l; do r_out "$_l"; done
	fi
	return 0
}

# r_common_opt ARG: handle the options every recipe has; 1 if not one of them.
r_common_opt() {
	case $1 in
	-h | --help) usage; exit 0 ;;
	-n | --dry-run) R_ACT=0 ;;
	-y | --yes) R_ACT=1 ;;
	*) return 1 ;;
	esac
	return 0
}

# r_parse_args SPEC "$@": the command-line parser of every recipe.
# Options may come before, between and after the positional arguments; "--"
# ends them (every later word is positional, even "-x").  SPEC lists the
# recipe's own options, blank-separated: NAME takes no argument, NAME:1 one,
# NAME:2 two (e.g. "-b:1 --block:1 --finish --remote:2"); a long option may
# also be given as --NAME=VALUE.  -h/--help, -n/--dry-run and -y/--yes are
# every recipe's.  Each option found calls the recipe's function
#   r_opt NAME [ARG...]
# in command-line order.  The positional arguments are left in R_POS_1 ..
# R_POS_$R_NPOS; `eval "set -- $R_POS"` makes them "$@" again.  R_DDASH is
# how many came before "--" (empty without "--").
r_parse_args() {
	_rp_spec=" -h --help -n --dry-run -y --yes $1 "
	shift
	R_NPOS=0 R_POS="" R_DDASH=""
	while [ $# -gt 0 ]; do
		case $1 in
		--)
			R_DDASH=$R_NPOS
			shift
			while [ $# -gt 0 ]; do _r_pos "$1"; shift; done
			return 0
			;;
		-?*) ;;
		*) _r_pos "$1"; shift; continue ;;
		esac
		_rp_o=$1
		shift
		_rp_eq=0
		case $_rp_o in
		--?*=*)
			set -- "${_rp_o#*=}" "$@"
			_rp_o=${_rp_o%%=*}
			_rp_eq=1
			;;
		esac
		case $_rp_spec in
		*" $_rp_o "*) _rp_n=0 ;;
		*" $_rp_o:1 "*) _rp_n=1 ;;
		*" $_rp_o:2 "*) _rp_n=2 ;;
		*) r_usage_error "unknown option '$_rp_o'" ;;
		esac
		[ "$_rp_n" != 0 ] || [ "$_rp_eq" = 0 ] || r_usage_error "option '$_rp_o' takes no argument"
		if [ $# -lt "$_rp_n" ]; then
			[ "$_rp_n" = 1 ] || r_usage_error "option '$_rp_o' needs $_rp_n arguments"
			r_usage_error "option '$_rp_o' needs an argument"
		fi
		case $_rp_n in
		0) r_common_opt "$_rp_o" || r_opt "$_rp_o" ;;
		1) r_opt "$_rp_o" "$1" ;;
		*) r_opt "$_rp_o" "$1" "$2" ;;
		esac
		shift "$_rp_n"
	done
}

_r_pos() {
	R_NPOS=$((R_NPOS + 1))
	eval "R_POS_$R_NPOS=\$1"
	R_POS="$R_POS \"\$R_POS_$R_NPOS\""
}

# r_mount SPEC:DIR: mount SPEC (a device, LABEL=x or UUID=x) on DIR unless
# something is mounted there already: in the rescue system the data is on a
# disk that nothing has mounted yet (rescue.args="--mount LABEL=mfs:/mnt ...").
r_mount() {
	_dir=${1##*:}
	_spec=${1%:*}
	if [ -z "$_spec" ] || [ -z "$_dir" ] || [ "$_spec" = "$1" ]; then
		r_usage_error "bad --mount '$1' (DEVICE:DIR, LABEL=x:DIR or UUID=x:DIR)"
	fi
	if awk -v m="$_dir" '$2 == m { f = 1 } END { exit !f }' /proc/mounts 2>/dev/null; then
		r_msg "$_dir is mounted already"
		return 0
	fi
	case $_spec in
	LABEL=* | UUID=*)
		_dev=$(findfs "$_spec" 2>/dev/null) || r_die "$RC_DATA" "no filesystem with $_spec"
		;;
	*) _dev=$_spec ;;
	esac
	mkdir -p "$_dir" || r_die "$RC_IO" "cannot create $_dir"
	mount "$_dev" "$_dir" || r_die "$RC_IO" "cannot mount $_dev on $_dir"
	r_msg "mounted $_dev on $_dir"
}

# r_done_arg N: record `--done N`.
r_done_arg() {
	case $1 in '' | *[!0-9]*) r_usage_error "bad --done '$1'" ;; esac
	R_DONE_ARGS="$R_DONE_ARGS $1"
}

# r_start NAME "$@": name the recipe and remember its command line.
r_start() {
	R_NAME=$1
	shift
	R_ARGS=$(qa "$@")
}

# ---- the rescue tools, as the recipes use them -----------------------------

# r_conf_get FILE KEY: print KEY's active value in FILE (the last one when it is
# set more than once); status 1 if unset, confset's status on an error.
r_conf_get() {
	_v=$(rt confset "$1" --all --get "$2" 2>/dev/null) || return $?
	printf '%s\n' "$_v" | tail -n 1
}

# r_conf_set_cmd FILE KEY VALUE / r_conf_unset_cmd FILE KEY: command texts.
r_conf_set_cmd() {
	rcmd confset "$1" "$2" "$3"
}

r_conf_unset_cmd() {
	rcmd confset "$1" --all --unset "$2"
}

# r_pick KIND DIR...: rank copies with metapick.  Sets R_PICK (the chosen
# directory, empty when none), R_PICK_RC (metapick's status) and R_PICK_OUT
# (its table).  The table is shown and logged.
r_pick() {
	_kind=$1
	shift
	r_log "\$ $(rcmd metapick --kind "$_kind" "$@")"
	R_PICK_RC=0
	R_PICK_OUT=$(rt metapick --kind "$_kind" "$@") || R_PICK_RC=$?
	[ -z "$R_PICK_OUT" ] || printf '%s\n' "$R_PICK_OUT" | while IFS= read -r _l; do r_out "    $_l"; done
	R_PICK=""
	if [ "$R_PICK_RC" = 0 ]; then
		R_PICK=$(printf '%s\n' "$R_PICK_OUT" | sed -n '$p')
	fi
}

# ---- copies on other nodes: HOST:DIR ------------------------------------------
# A recipe argument [USER@]HOST:/DIR (an absolute path after the first ':', no
# '/' before it, and no such local path) names a directory on another node.
# r_fetch fetches it with scp (dropbear's: -S dbclient; RESCUE_SSH names another
# ssh program, e.g. a wrapper with -i KEY or -p PORT) into the recipe's work
# directory, WORK/remote/HOST/DIR, afresh on every run (a dry run too: metapick
# must read the copies to rank them), and the recipe uses that local copy.
# The other node's host key must be in ~/.ssh/known_hosts (dbclient asks on a
# terminal, and refuses without one); its login is dbclient's: ~/.ssh/id_dropbear,
# the agent of an `ssh -A` session, or a password typed on the terminal.
# A node that stops answering does not hold the recipe: without a terminal the
# login gets RESCUE_SSH_TIMEOUT seconds (60), and dbclient ends the copy when
# nothing has arrived for that long (-I; not with RESCUE_SSH, whose program
# has its own options).

# r_is_remote ARG: is ARG a HOST:DIR
r_is_remote() {
	case $1 in /* | ./* | ../*) return 1 ;; esac
	_rh=${1%%:*}
	case $_rh in '' | */* | "$1") return 1 ;; esac
	case ${1#*:} in /*) ;; *) return 1 ;; esac
	[ ! -e "$1" ]
}

# r_remote_copy WORK HOST:DIR: where r_fetch puts the copy of HOST:DIR
r_remote_copy() {
	_rp=${2#*:}
	printf '%s/remote/%s%s\n' "$1" "${2%%:*}" "${_rp%/}"
}

# r_ssh_idle WORK SECONDS: print a program for scp -S: dbclient that ends a
# session from which nothing has arrived for SECONDS (written in WORK/remote)
r_ssh_idle() {
	_si=$1/remote/.dbclient-idle
	{ printf '#!/bin/sh\nexec dbclient -I %s "$@"\n' "$2" >"$_si" && chmod 700 "$_si"; } ||
		r_die "$RC_IO" "$_si: cannot write it"
	printf '%s\n' "$_si"
}

# r_bounded SECONDS CMD...: CMD, killed after SECONDS (exit 124 or 143) where a
# timeout program is at hand (busybox's or coreutils'), else CMD alone
r_bounded() {
	_bt=$1
	shift
	if command -v timeout >/dev/null 2>&1; then
		timeout "$_bt" "$@"
	else
		"$@"
	fi
}

# r_fetch WORK ARG: print the local directory for ARG (ARG itself unless it is
# a HOST:DIR, then its fetched copy under WORK/remote); in a command
# substitution, so:  dir=$(r_fetch "$work" "$arg") || exit $?
r_fetch() {
	if ! r_is_remote "$2"; then
		printf '%s\n' "$2"
		return 0
	fi
	_fh=${2%%:*} _fp=${2#*:}
	case /$_fp/ in */../* | */./*) r_usage_error "$2: '.' or '..' in a remote path" ;; esac
	case $_fh in -*) r_usage_error "$2: a host name cannot start with '-'" ;; esac
	_fd=$(r_remote_copy "$1" "$2")
	_fs=${RESCUE_SSH:-dbclient} _ft=${RESCUE_SSH_TIMEOUT:-60}
	case $_ft in '' | *[!0-9]* | 0) r_usage_error "RESCUE_SSH_TIMEOUT=$_ft: a number of seconds (1 or more)" ;; esac
	command -v scp >/dev/null 2>&1 || r_die "$RC_IO" "$2: no scp here (the image's profile needs ssh = client)"
	{ rm -rf "$_fd.part" && mkdir -p "${_fd%/*}"; } || r_die "$RC_IO" "$_fd: cannot create its directory"
	_fn=$_fs
	[ -n "${RESCUE_SSH:-}" ] || { _fs=$(r_ssh_idle "$1" "$_ft") && _fn="dbclient -I $_ft"; } || exit $?
	r_msg "fetching $2 into $_fd (scp -S $_fn)"
	# dbclient asks about an unknown host key on the terminal; without one it
	# reads the answer from stdin, which under scp is scp's pipe (it would wait
	# for ever): so log in once first, answering "n"
	if ! (: </dev/tty) 2>/dev/null; then
		_fe=$(printf 'n\n' | r_bounded "$_ft" "$_fs" "$_fh" true 2>&1 >/dev/null) || {
			# 124: coreutils' timeout; 143 (TERM): busybox's
			case $? in 124 | 143) r_die "$RC_IO" "$2: $_fh did not answer within $_ft s (RESCUE_SSH_TIMEOUT)" ;; esac
			r_die "$RC_IO" "$2: cannot log in to $_fh (is its host key in ~/.ssh/known_hosts, and may this key log in?): $(printf '%s\n' "$_fe" | sed '/^[[:space:]]*$/d' | tail -n 1)"
		}
	fi
	r_log "\$ scp -r -p -q -S $(q "$_fs") $(q "$_fh:$_fp") $(q "$_fd.part")"
	scp -r -p -q -S "$_fs" "$_fh:$_fp" "$_fd.part" </dev/null >&2 || {
		rm -rf "$_fd.part"
		r_die "$RC_IO" "$2: scp failed (is the host key in ~/.ssh/known_hosts, and may this key log in?)"
	}
	# dropbear's scp exits 0 when dbclient ends the session (idle timeout)
	[ -e "$_fd.part" ] || r_die "$RC_IO" "$2: nothing was fetched (the connection ended early; see above)"
	[ -d "$_fd.part" ] || r_die "$RC_DATA" "$2: not a directory"
	{ rm -rf "$_fd" && mv "$_fd.part" "$_fd"; } || r_die "$RC_IO" "$_fd: cannot replace it"
	printf '%s\n' "$_fd"
}
