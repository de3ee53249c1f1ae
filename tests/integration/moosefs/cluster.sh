# shellcheck shell=bash
# cluster.sh: sourced by gen-scenarios and compare.  Starts the real MooseFS
# 3.0.117 daemons (Debian packages) inside a private network namespace.
#
# Outer side (the calling shell, in the host namespaces):
#   ns_create NAME      new netns NAME with lo and a veth pair va/vb that lives
#                       entirely inside it (10.201.0.1/24 on va, .2 on vb):
#                       nothing is routed out, no host interface is touched.
#   ns_destroy NAME     SIGKILL every process in NAME, then delete it.
#   ns_reap PREFIX      ns_destroy what a SIGKILLed earlier run left behind.
# Inner side (inside one `ip netns exec NAME bash ...` invocation, which is also
# a private mount namespace, so every mount of a scenario lives and dies there):
#   cfg_* / start_* / wait_* / mount_* / stop_all  (see each function).
# Quirks and why: docs/moosefs-cluster.md (fresh DATA_PATH and
# HDD folder per cluster, no 127.x master, libfaketime to force the hourly
# metadata save, -f daemons logging to stderr).

MASTER_IP=10.201.0.1
CS_IP=10.201.0.2
FAKETIME_LIB=${FAKETIME_LIB:-/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1}

ns_create() {
	ip netns add "$1" &&
		ip -n "$1" link set lo up &&
		ip -n "$1" link add va type veth peer name vb &&
		ip -n "$1" addr add "$MASTER_IP/24" dev va &&
		ip -n "$1" addr add "$CS_IP/24" dev vb &&
		ip -n "$1" link set va up &&
		ip -n "$1" link set vb up
}

ns_destroy() {
	local p
	ip netns list 2>/dev/null | grep -qw "^$1" || return 0
	for p in $(ip netns pids "$1" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	sleep 0.2
	ip netns del "$1" 2>/dev/null
}

# ns_reap PREFIX: destroy namespaces PREFIX<pid>... left by a run of these
# scripts that was killed with SIGKILL (its pid is gone), never a live run's.
ns_reap() {
	local n pid
	for n in $(ip netns list 2>/dev/null | sed -n "s/^\($1[0-9][0-9]*[a-z]*[0-9]*\)\( .*\)\{0,1\}$/\1/p"); do
		pid=${n#"$1"}
		pid=${pid%%[a-z]*}
		[ -d "/proc/$pid" ] || ns_destroy "$n"
	done
}

# ---- inner side -------------------------------------------------------------

PIDS=()      # every daemon/mount we started: "pid:name"
MOUNTS=()    # every mount point we made

log() { printf '[%s %5ss] %s\n' "${RUN_NAME:-mfs}" "$SECONDS" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

# wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.2 s, bounded.
wait_for() {
	local t=$1 what=$2 end
	shift 2
	end=$((SECONDS + t))
	until "$@" 2>/dev/null; do
		[ "$SECONDS" -lt "$end" ] || fail "timeout (${t}s) waiting for $what"
		sleep 0.2
	done
}

# log_has FILE TEXT [COUNT]: TEXT appears at least COUNT (1) times in FILE.
log_has() {
	[ "$(grep -c -F -- "$2" "$1" 2>/dev/null)" -ge "${3:-1}" ]
}

track() { PIDS+=("$1:$2"); }

stop_pid() { # stop_pid PID SIGNAL: signal one process we started, wait <= 10 s
	kill -"$2" "$1" 2>/dev/null || return 0
	timeout 10 tail --pid="$1" -f /dev/null 2>/dev/null || kill -9 "$1" 2>/dev/null
}

stop_all() {
	local e m
	for m in "${MOUNTS[@]}"; do
		umount -l "$m" 2>/dev/null
	done
	for e in "${PIDS[@]}"; do
		kill -9 "${e%%:*}" 2>/dev/null
	done
	PIDS=()
	MOUNTS=()
}

# cfg_head IDENT DATA_PATH: the lines every daemon config starts with.
cfg_head() {
	printf '%s\n' "WORKING_USER = root" "WORKING_GROUP = root" "SYSLOG_IDENT = $1-it" \
		"DATA_PATH = $2" "NICE_LEVEL = 0"
}

# cfg_master DIR: configs and data dir for a master in DIR (DIR/master = DATA_PATH).
cfg_master() {
	local d=$1
	mkdir -p "$d/master"
	{
		cfg_head mfsmaster "$d/master"
		cat <<EOF
EXPORTS_FILENAME = $d/mfsexports.cfg
TOPOLOGY_FILENAME = $d/mfstopology.cfg
MATOML_LISTEN_HOST = $MASTER_IP
MATOCS_LISTEN_HOST = $MASTER_IP
MATOCL_LISTEN_HOST = $MASTER_IP
SESSION_SUSTAIN_TIME = 60
INODE_REUSE_DELAY = 300
CHUNKS_LOOP_MIN_TIME = 60
ATIME_MODE = 0
EOF
	} >"$d/mfsmaster.cfg"
	printf '%s\n' "$MASTER_IP/24 / rw,alldirs,admin,maproot=0:0" "$MASTER_IP/24 . rw" >"$d/mfsexports.cfg"
	: >"$d/mfstopology.cfg"
}

cfg_chunkserver() {
	local d=$1
	mkdir -p "$d/csdata" "$d/hdd"
	{
		cfg_head mfschunkserver "$d/csdata"
		printf '%s\n' "HDD_CONF_FILENAME = $d/mfshdd.cfg" "HDD_LEAVE_SPACE_DEFAULT = 64MiB" \
			"BIND_HOST = $CS_IP" "CSSERV_LISTEN_HOST = $CS_IP" "MASTER_HOST = $MASTER_IP" \
			"MASTER_RECONNECTION_DELAY = 1"
	} >"$d/mfschunkserver.cfg"
	echo "$d/hdd" >"$d/mfshdd.cfg"
}

cfg_metalogger() {
	local d=$1
	mkdir -p "$d/ml"
	{
		cfg_head mfsmetalogger "$d/ml"
		printf '%s\n' "BIND_HOST = $CS_IP" "MASTER_HOST = $MASTER_IP" "MASTER_RECONNECTION_DELAY = 1"
	} >"$d/mfsmetalogger.cfg"
}

# Fake clock for the master (libfaketime reads the offset file every second).
FAKE_FILE=
fake_offset() { printf '%+d\n' "$1" >"$FAKE_FILE"; }
fake_now() { echo $(($(date +%s) + $(cat "$FAKE_FILE"))); }
# fake_init: the master's clock starts at hh:01:00, six hours in the past.
fake_init() {
	local now t
	FAKE_FILE=$1
	now=$(date +%s)
	t=$(((now - 6 * 3600) / 3600 * 3600 + 60))
	fake_offset $((t - now))
}
# time_jump SECONDS: move the master clock forward, never landing near a full
# hour (so no metadata save happens): housekeeping sees the time pass.
time_jump() {
	local now m
	now=$(date +%s)
	m=$(($(fake_now) + $1))
	case $(((m % 3600) / 60)) in 5[5-9] | 0[0-2]) m=$((m + 600)) ;; esac
	fake_offset $((m - now))
}

# start_master DIR [EXTRA ARGS]: run mfsmaster -f under the fake clock.
MASTER_PID=
start_master() {
	local d=$1 n
	shift
	n=$(log_count "$d/master.log" 'daemon initialized properly')
	local pre=
	[ -z "$FAKE_FILE" ] || pre=$FAKETIME_LIB
	LD_PRELOAD=$pre FAKETIME_TIMESTAMP_FILE=$FAKE_FILE FAKETIME_CACHE_DURATION=1 \
		FAKETIME_DONT_FAKE_MONOTONIC=1 \
		setsid mfsmaster -c "$d/mfsmaster.cfg" "$@" -f start </dev/null >>"$d/master.log" 2>&1 &
	MASTER_PID=$!
	track "$MASTER_PID" master
	wait_for 30 "master start" log_has "$d/master.log" 'daemon initialized properly' $((n + 1))
}

log_count() { grep -c -F -- "$2" "$1" 2>/dev/null || true; }

CS_PID=
start_chunkserver() {
	local d=$1 n
	n=$(log_count "$d/master.log" 'chunkserver register end')
	setsid mfschunkserver -c "$d/mfschunkserver.cfg" -f start </dev/null >>"$d/cs.log" 2>&1 &
	CS_PID=$!
	track "$CS_PID" chunkserver
	wait_for 60 "chunkserver registration" cs_registered "$d" $((n + 1))
}
cs_registered() {
	kill -0 "$CS_PID" || fail "chunkserver died: $(tail -n 3 "$1/cs.log")"
	log_has "$1/master.log" 'chunkserver register end' "$2"
}

ML_PID=
start_metalogger() {
	local d=$1
	setsid mfsmetalogger -c "$d/mfsmetalogger.cfg" -f start </dev/null >>"$d/ml.log" 2>&1 &
	ML_PID=$!
	track "$ML_PID" metalogger
}

# mount_mfs DIR MOUNTPOINT [mfsmount options]: foreground mfsmount in the
# background (PID in MOUNT_PID), waits until mounted.
MOUNT_PID=
mount_mfs() {
	local d=$1 mp=$2
	shift 2
	mkdir -p "$mp"
	setsid mfsmount -f -H "$MASTER_IP" "$@" "$mp" </dev/null >>"$d/mount.log" 2>&1 &
	MOUNT_PID=$!
	track "$MOUNT_PID" "mount $mp"
	MOUNTS+=("$mp")
	wait_for 30 "mount $mp" mountpoint -q "$mp"
}

umount_mfs() { # umount_mfs MOUNTPOINT PID
	umount "$1" 2>/dev/null || umount -l "$1"
	timeout 10 tail --pid="$2" -f /dev/null 2>/dev/null || kill -9 "$2" 2>/dev/null
}

# force_save DIR: make the master run its hourly metadata save now.
force_save() {
	local d=$1 n now m h
	n=$(log_count "$d/master.log" 'store process has finished')
	now=$(date +%s)
	m=$(fake_now)
	h=$(((m / 3600 + 1) * 3600))
	fake_offset $((h - 4 - now))
	wait_for 40 "metadata save" log_has "$d/master.log" 'store process has finished' $((n + 1))
	log "metadata saved"
}

# tree_listing MOUNT: one line per object: inode type mode uid gid nlink size
# mtime link-target|path ('\n' in names shown as '?'), sorted by path; then
# md5 of every regular file below 4 MiB.
tree_listing() {
	(
		cd "$1" || exit 1
		find . -mindepth 1 \( -type d -printf '%i %y %m %U %G %n - %Ts|%p\0' \) -o \
			-printf '%i %y %m %U %G %n %s %Ts %l|%p\0' | tr '\n\0' '?\n' | sort -t'|' -k2
		find . -type f -size -4M -print0 | sort -z | xargs -0 -r md5sum -z | tr '\n\0' '?\n'
	)
}
