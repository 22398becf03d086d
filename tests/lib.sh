# shellcheck shell=bash disable=SC2034
# tests/lib.sh - shared harness for vethmap's real-namespace tests.
#
# Sourced by every tests/t_*.sh (run from the repository root).  Provides:
#   VETHMAP  binary under test (default ./vethmap)
#   PFX      unique short prefix for every interface and netns name a test creates
#            ("vt" + 4 hex digits: leaves 9 bytes of the 15-byte interface name limit;
#            VETHMAP_TEST_PFX=xy makes it "xy" + 4 hex digits, and TMP /tmp/xy-..., for a
#            runner whose names must all start so)
#   TMP      private temp dir, DB=$TMP/t.db the test database
#   HOSTNS   nsfs inode of the netns the tests (and so vethmap) run in
# Helpers: ns_add NAME, ns_ino NAME, pid_ns_ino PID, bg_pid PID, bg_loop PID, cg_forget[_new] REL, nested_init LOG [CMD...], nested_kill,
#          kill_mntns INO...,
#          wait_for SECS CMD, cap_child PID, socket_holder NSPATH READY [SCANNED RESULT], need_root, need_vethmap, ok, not_ok, check, check_eq, skip,
#          note, and jq helpers for scan output (scan_json, jqv, iface, iface_field,
#          edge_count, edges_of, unresolved_of, netns_obj, check_veth).
# Output protocol, one line per assertion: "ok - NAME", "not ok - NAME: details",
# "skip - NAME: reason".  The script exits 1 if any assertion failed.
# Everything created is removed by the EXIT/INT/TERM trap, also on failure.

set -u

VETHMAP=${VETHMAP:-$(pwd)/vethmap}
while :; do	# not in use by a concurrent test (all prefixes have the same length)
	PFX=${VETHMAP_TEST_PFX:-vt}$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
	compgen -G "/sys/class/net/$PFX*" >/dev/null || compgen -G "/run/netns/$PFX*" >/dev/null ||
		break
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/${VETHMAP_TEST_PFX:+$VETHMAP_TEST_PFX-}vethmap-test.XXXXXX")
DB=$TMP/t.db
HOSTNS=$(stat -L -c %i /proc/self/ns/net)
TEST_FAILED=0
_NETNS=()
_PIDS=()
_LOOPS=()
_CGROUPS=()

ns_add() {	# ns_add NAME: create netns ${PFX}NAME, deleted at exit
	ip netns add "$PFX$1" || { not_ok "fixture: ip netns add $PFX$1" "failed"; exit 1; }
	_NETNS+=("$PFX$1")
}

ns_ino() {	# ns_ino NAME: nsfs inode of netns ${PFX}NAME
	stat -L -c %i "/run/netns/$PFX$1"
}

pid_ns_ino() {	# pid_ns_ino PID-or-/proc/...path: nsfs inode of a process's (or task's) netns
	local p=$1
	[[ $p == /* ]] || p=/proc/$p/ns/net
	local l
	l=$(readlink "$p") || return 1
	l=${l#net:[}
	echo "${l%]}"
}

bg_pid() {	# bg_pid PID: kill this process at exit
	_PIDS+=("$1")
}

cg_forget() {	# cg_forget REL...: cgroup directories REL (below /sys/fs/cgroup and each v1
	_CGROUPS+=("$@")	# hierarchy there) that an engine made for us: removed at exit
}

cg_forget_new() {	# cg_forget_new REL: the same, only when no hierarchy has REL yet
	[ -e "/sys/fs/cgroup/$1" ] || compgen -G "/sys/fs/cgroup/*/$1" >/dev/null || cg_forget "$1"
}

# nested_init LOG [CMD ARG...]: a mount and PID namespace of our own, as a nested engine has
# (unshare --mount --pid --fork --kill-child --mount-proc, a private tmpfs on /run), with CMD
# started in it in the background (its output into LOG) before its init sleeps.  Sets INIT
# (our PID of that init); nested_kill kills it (and with it its PID namespace): call it first
# in the exit trap.  With NESTED_NET=1 also a network namespace of its own (a nested dockerd
# must not touch the host's docker0).
nested_init() {
	local net=
	[ "${NESTED_NET:-}" = 1 ] && net=--net
	setsid unshare --mount --pid $net --fork --kill-child --mount-proc sh -c \
		'mount -t tmpfs tmpfs /run && mkdir -p /run/lock || exit 1
		 log=$1; shift
		 [ $# -eq 0 ] || { "$@" >"$log" 2>&1 & }
		 exec sleep 100000' sh "$@" </dev/null >/dev/null 2>&1 &
	local u=$!
	bg_pid "$u"
	wait_for 10 pgrep -P "$u" >/dev/null
	INIT=$(pgrep -P "$u")
	[ -n "$INIT" ] || { not_ok "fixture: nested init" "unshare made no child"; exit 1; }
}

nested_kill() {
	[ -n "${INIT:-}" ] || return 0
	kill -KILL "$INIT" 2>/dev/null
	wait_for 20 _gone "$INIT"
}

bg_loop() {	# bg_loop PID: a loop that ends by itself once $TMP/stop exists; at exit it
	_LOOPS+=("$1")	# is stopped that way (so it leaves nothing half-made), then killed
}

wait_for() {	# wait_for SECONDS CMD...: poll CMD every 0.05 s until it succeeds
	local end=$((SECONDS + $1)); shift
	until "$@" 2>/dev/null; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
}

_gone() { ! kill -0 "$1" 2>/dev/null; }

kill_mntns() {	# kill_mntns INODE...: every process in those mount namespaces
	local p m i
	for p in /proc/[0-9]*; do
		m=$(stat -L -c %i "$p/ns/mnt" 2>/dev/null) || continue
		for i in "$@"; do
			[ "$m" = "$i" ] && kill -KILL "${p#/proc/}" 2>/dev/null
		done
	done
}

# socket_holder NSPATH READY [SCANNED RESULT]: start (in the background: $! is it, killed at
# exit) a python3 process that makes a UDP socket inside the netns NSPATH, setns()es back
# to its own and sleeps: once NSPATH's netns has no other holder, only that socket keeps it
# alive.  READY gets "FD PORT" when it is made.  With SCANNED and RESULT: when SCANNED
# exists, it sends itself a datagram through the socket and writes "ok" (or "broken") to
# RESULT, which shows the socket still works where it was made (needs lo up there).
socket_holder() {
	cat >"$TMP/socket_holder.py" <<'PY'
import ctypes, os, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
self_fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
t = os.open(sys.argv[1], os.O_RDONLY)
if libc.setns(t, 0x40000000) != 0:
    sys.exit("setns: " + os.strerror(ctypes.get_errno()))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if len(sys.argv) > 3:
    s.bind(("127.0.0.1", 0))
if libc.setns(self_fd, 0x40000000) != 0:
    sys.exit("setns back: " + os.strerror(ctypes.get_errno()))
os.close(t); os.close(self_fd)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write("%d %d\n" % (s.fileno(), s.getsockname()[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
if len(sys.argv) > 3:
    while not os.path.exists(sys.argv[3]):
        time.sleep(0.05)
    try:
        s.sendto(b"x", s.getsockname())
        ok = s.recv(10) == b"x"
    except OSError:
        ok = False
    open(sys.argv[4], "w").write("ok\n" if ok else "broken\n")
time.sleep(120)
PY
	python3 "$TMP/socket_holder.py" "$@" &
	bg_pid $!
}

cap_child() {	# cap_child PID: the capturing process of 'vethmap cap' PID: the child it
	local c	# forks to read packets once that exists, else PID itself
	c=$(pgrep -P "$1" -n 2>/dev/null)
	echo "${c:-$1}"
}

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1: ${2:-failed}"; TEST_FAILED=1; }
skip() { echo "skip - $1: ${2:-skipped}"; }
note() { echo "# $*"; }	# a comment line: ignored by tests/run's counting

check() {	# check NAME CMD...: ok when CMD exits 0
	local name=$1; shift
	local out rc
	out=$("$@" 2>&1); rc=$?
	if [ $rc -eq 0 ]; then ok "$name"
	else not_ok "$name" "'$*' exited $rc${out:+: $(printf '%s' "$out" | head -c 300 | tr '\n' ' ')}"
	fi
}

check_eq() {	# check_eq NAME EXPECTED ACTUAL
	if [ "$2" == "$3" ]; then ok "$1"
	else not_ok "$1" "expected [$(printf '%s' "$2" | cat -v | tr '\n' '|')] got [$(printf '%s' "$3" | cat -v | tr '\n' '|')]"
	fi
}

need_root() {	# skip the whole script when not root
	if [ "$(id -u)" != 0 ]; then
		skip "${0##*/}" "needs root (namespaces, veth)"
		exit 0
	fi
}

need_vethmap() {
	if [ ! -x "$VETHMAP" ]; then
		not_ok "${0##*/}: vethmap binary" "$VETHMAP not found or not executable (run make)"
		exit 1
	fi
}

_cleanup() {
	local rc=$? p n
	trap - EXIT
	trap '' INT TERM	# finish cleaning even when interrupted again
	if [ ${#_LOOPS[@]} -gt 0 ]; then
		touch "$TMP/stop"
		for p in "${_LOOPS[@]}"; do
			wait_for 10 _gone "$p"
		done
		_PIDS+=("${_LOOPS[@]}")
	fi
	for p in "${_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in "${_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	# host links first: deleting one end of a veth deletes the pair synchronously
	# (sysfs, not "ip -j": iproute2 emits invalid JSON for names with control characters)
	for n in /sys/class/net/"$PFX"*; do
		[ -e "$n" ] && ip link del dev "${n#/sys/class/net/}" 2>/dev/null
	done
	# every netns of ours: remembered ones and any other ${PFX}* (e.g. churn loops)
	while IFS= read -r n; do
		[ -n "$n" ] && _NETNS+=("$n")
	done < <(ip -j netns list 2>/dev/null | jq -r --arg p "$PFX" '.[]?.name | select(startswith($p))' 2>/dev/null)
	for n in "${_NETNS[@]}"; do
		[ -e "/run/netns/$n" ] || continue
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$n" 2>/dev/null
	done
	# cgroups an engine made for our containers (empty once they are gone), deepest first
	for n in "${_CGROUPS[@]}"; do
		[ -n "$n" ] || continue
		for p in "/sys/fs/cgroup/$n" /sys/fs/cgroup/*/"$n"; do
			[ -d "$p" ] && find "$p" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	done
	rm -rf "$TMP"
	[ $rc -eq 0 ] && [ $TEST_FAILED -ne 0 ] && rc=1
	exit $rc
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- vethmap output helpers -------------------------------------------------------

# scan_json OUTFILE [extra args]: run a scan into $DB with --json; ok/not ok on exit code
# and JSON validity.  Returns non-zero when the output is unusable.
scan_json() {
	local out=$1; shift
	local rc
	timeout 120 "$VETHMAP" scan --db "$DB" --json "$@" >"$out" 2>"$out.err"; rc=$?
	if [ $rc -eq 124 ]; then
		not_ok "scan --json exits 0" "no result after 120 s"
		return 1
	elif [ $rc -ne 0 ]; then
		not_ok "scan --json exits 0" "exit $rc: $(head -c 300 "$out.err" | tr '\n' ' ')"
		return 1
	fi
	if ! jq -e 'type == "object"' "$out" >/dev/null 2>&1; then
		not_ok "scan --json output is valid JSON" "$(head -c 200 "$out" | tr '\n' ' ')"
		return 1
	fi
	ok "scan --json exits 0 with valid JSON"
}

# jqv FILE [jq options...] FILTER: jq -r on FILE, errors to /dev/null
jqv() {
	local f=$1; shift
	jq -r "$@" "$f" 2>/dev/null
}

# iface FILE NSINO NAME: that interface object (compact), or nothing
iface() {
	jq -c --argjson ns "$2" --arg n "$3" \
		'.interfaces[] | select(.netns == $ns and .name == $n)' "$1" 2>/dev/null
}

# iface_field FILE NSINO NAME JQPATH: one field of an interface (raw)
iface_field() {
	jq -r --argjson ns "$2" --arg n "$3" \
		"[.interfaces[] | select(.netns == \$ns and .name == \$n)] | if length == 1 then .[0]$4 else \"<\(length) matches>\" end" \
		"$1" 2>/dev/null
}

# edge_count FILE TYPE NS_A NAME_A NS_B NAME_B [any]: number of edges of TYPE from a to b;
# with "any", b to a is also accepted (veth edges have no order).
edge_count() {
	jq -r --arg t "$2" --argjson na "$3" --arg a "$4" --argjson nb "$5" --arg b "$6" \
		--arg any "${7:-}" '
		def is($e; $n; $x): $e.netns == $n and $e.name == $x;
		[.edges[] | select(.type == $t and
			((is(.a; $na; $a) and is(.b; $nb; $b)) or
			 ($any == "any" and is(.a; $nb; $b) and is(.b; $na; $a))))] | length' \
		"$1" 2>/dev/null
}

# edges_of FILE TYPE NS NAME: number of TYPE edges touching that interface (either end)
edges_of() {
	jq -r --arg t "$2" --argjson ns "$3" --arg n "$4" '
		[.edges[] | select(.type == $t and
			((.a.netns == $ns and .a.name == $n) or (.b.netns == $ns and .b.name == $n)))]
		| length' "$1" 2>/dev/null
}

# unresolved_of FILE NSINO NAME: reasons listed for that interface (one per line)
unresolved_of() {
	jq -r --argjson ns "$2" --arg n "$3" \
		'.unresolved[]? | select(.netns == $ns and .name == $n) | .reason' "$1" 2>/dev/null
}

# netns_obj FILE NSINO: that netns object (compact) or nothing
netns_obj() {
	jq -c --argjson ns "$2" '.netns[] | select(.inode == $ns)' "$1" 2>/dev/null
}

# check_veth FILE LABEL NS_A NAME_A NS_B NAME_B: full pairing checks for one veth pair:
# exactly one veth edge between them (either order), no other veth edge on either end,
# each end's "peer" names the other, kind veth, not unresolved.
check_veth() {
	local f=$1 l=$2 na=$3 a=$4 nb=$5 b=$6
	check_eq "$l: one veth edge $a<->$b" 1 "$(edge_count "$f" veth "$na" "$a" "$nb" "$b" any)"
	check_eq "$l: no other veth edge on $a" 1 "$(edges_of "$f" veth "$na" "$a")"
	check_eq "$l: no other veth edge on $b" 1 "$(edges_of "$f" veth "$nb" "$b")"
	check_eq "$l: $a kind" veth "$(iface_field "$f" "$na" "$a" .kind)"
	check_eq "$l: $b kind" veth "$(iface_field "$f" "$nb" "$b" .kind)"
	check_eq "$l: $a peer" "{\"name\":$(jq -n --arg x "$b" '$x'),\"netns\":$nb}" \
		"$(iface_field "$f" "$na" "$a" '.peer | {name, netns} | tojson')"
	check_eq "$l: $b peer" "{\"name\":$(jq -n --arg x "$a" '$x'),\"netns\":$na}" \
		"$(iface_field "$f" "$nb" "$b" '.peer | {name, netns} | tojson')"
	check_eq "$l: $a not unresolved" "" "$(unresolved_of "$f" "$na" "$a")"
	check_eq "$l: $b not unresolved" "" "$(unresolved_of "$f" "$nb" "$b")"
}
