#!/bin/bash
# tests/bench/deep.sh - what the deep pass (sockets probed with pidfd_getfd + SIOCGSKNS)
# costs a scan (root; run by tests/bench/run, or alone: tests/bench/deep.sh).
#
# Builds BENCH_DEEP_NS named namespaces (ip netns add) and one holder process that opens
# BENCH_DEEP_SOCKS UDP sockets inside each of them and BENCH_DEEP_HOST more in the host's
# (a busy host: every container's processes hold a few sockets, and so do the host's
# daemons), then times, one warm-up each and then alternately, median of BENCH_DEEP_RUNS:
#   ./vethmap scan --no-store --deep    (the deep pass probes every socket)
#   ./vethmap scan --no-store           (without it)
# and prints the deep pass's own time as 'vethmap scan --deep -v' reports it.  Then the bind
# mounts are deleted (ip netns del): the namespaces live on through the sockets alone, and
# the scan must still find every one of them ("via socket").
# Target (issue 11): the deep pass costs under 10% of a scan at 1000 namespaces.
#
# Environment:
#   BENCH_DEEP_NS     namespaces                          (default 1000)
#   BENCH_DEEP_SOCKS  sockets per namespace               (default 4)
#   BENCH_DEEP_HOST   sockets in the host's namespace     (default 2000)
#   BENCH_DEEP_RUNS   timed runs per median               (default 5)
#
# Every name starts with "bd" + 4 hex digits; an EXIT/INT/TERM trap kills the holder (the
# namespaces it alone holds go with it) and deletes the named ones.

# shellcheck disable=SC2317	# functions called by traps
set -u
cd "$(dirname "$0")/../.." || exit 1

VETHMAP=./vethmap
N=${BENCH_DEEP_NS:-1000}
K=${BENCH_DEEP_SOCKS:-4}
H=${BENCH_DEEP_HOST:-2000}
RUNS=${BENCH_DEEP_RUNS:-5}
P=bd$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
HOLDER=

die() { echo "bench deep: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "root needed (network namespaces)"
[ -x $VETHMAP ] || die "build first: make vethmap"
for v in "$N" "$K" "$H" "$RUNS"; do
	case $v in ''|*[!0-9]*) die "BENCH_DEEP_*: '$v' is not a number" ;; esac
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vethmap-bench-deep.XXXXXX")
cleanup() {
	trap - EXIT INT TERM HUP
	[ -n "$HOLDER" ] && kill -KILL "$HOLDER" 2>/dev/null && wait "$HOLDER" 2>/dev/null
	ip netns list 2>/dev/null | awk -v p="${P}n" 'index($1, p) == 1 { print "netns del " $1 }' \
		>"$TMP/del.batch"
	[ -s "$TMP/del.batch" ] && ip -force -batch "$TMP/del.batch" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

now_us() { local t; t=$(date +%s%N); echo $((t / 1000)); }
ms() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
timed_us() {
	local t0 t1
	t0=$(now_us)
	"$@" >/dev/null 2>>"$TMP/err" || return 1
	t1=$(now_us)
	echo $((t1 - t0))
}

for ((i = 0; i < N; i++)); do echo "netns add ${P}n$i"; done >"$TMP/ns.batch"
ip -batch "$TMP/ns.batch" || die "ip netns add failed"
cat >"$TMP/hold.py" <<'PY'
import ctypes, os, resource, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
prefix, n, k, h, ready = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
keep = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(h)]
self_fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
for i in range(n):
    fd = os.open("/run/netns/%sn%d" % (prefix, i), os.O_RDONLY)
    if libc.setns(fd, 0x40000000):
        sys.exit("setns: " + os.strerror(ctypes.get_errno()))
    os.close(fd)
    keep += [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(k)]
    if libc.setns(self_fd, 0x40000000):
        sys.exit("setns back: " + os.strerror(ctypes.get_errno()))
open(ready, "w").close()
time.sleep(3600)
PY
python3 "$TMP/hold.py" "$P" "$N" "$K" "$H" "$TMP/ready" &
HOLDER=$!
for ((i = 0; i < 600; i++)); do [ -e "$TMP/ready" ] && break; sleep 0.1; done
[ -e "$TMP/ready" ] || die "the socket holder did not start"
sockets=$(find /proc/$HOLDER/fd -lname 'socket:*' | wc -l)
echo "vethmap bench deep: $N namespaces, holder pid $HOLDER with $sockets sockets ($K per namespace, $H in the host's), median of $RUNS"

# one scan with -v: "WALL_US SCAN_MS DEEP_MS SOCKETS" (the scan's own duration and the deep
# pass's, as -v reports them)
vscan() {
	local t0 t1 out
	t0=$(now_us)
	out=$("$VETHMAP" scan --no-store -v "$@" 2>&1 >/dev/null) || return 1
	t1=$(now_us)
	echo "$((t1 - t0)) $(sed -n 's/.*scan: .* in \([0-9.]*\) ms$/\1/p' <<<"$out")" \
		"$(sed -n 's/.*deep pass: \([0-9]*\) sockets probed.* in \([0-9]*\) ms/\2 \1/p' <<<"$out")"
}
vscan --deep >/dev/null && vscan >/dev/null || die "scan failed"
won=() woff=() son=() soff=() dms=()
for ((r = 0; r < RUNS; r++)); do
	read -r w sc d probed < <(vscan --deep) || die "scan --deep failed"
	won+=("$w") son+=("$sc") dms+=("${d:-0}")
	read -r w sc _ < <(vscan) || die "scan failed"
	woff+=("$w") soff+=("$sc")
done
a=$(median "${won[@]}") b=$(median "${woff[@]}")
sa=$(printf '%s\n' "${son[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
sb=$(printf '%s\n' "${soff[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
d=$(median "${dms[@]}")
echo "wall:     scan --deep $(ms "$a") ms, scan $(ms "$b") ms: +$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", (a - b) * 100 / b }')%"
echo "scan -v:  scan --deep $sa ms, scan $sb ms: +$(awk -v a="$sa" -v b="$sb" 'BEGIN { printf "%.1f", (a - b) * 100 / b }')%"
share=$(awk -v d="$d" -v b="$sb" 'BEGIN { printf "%.1f", d * 100 / b }')
echo "deep pass alone (-v): median $d ms for ${probed:-?} sockets, $share% of a scan without it"
awk -v s="$share" 'BEGIN { exit !(s < 10) }' && echo "target ok   - deep pass under 10% of a scan at N=$N" ||
	echo "target MISS - deep pass under 10% of a scan at N=$N ($share%): it stays behind --deep"

# the bind mounts go: only the holder's sockets keep the namespaces alive
ip netns list | awk -v p="${P}n" 'index($1, p) == 1 { print "netns del " $1 }' >"$TMP/del.batch"
ip -force -batch "$TMP/del.batch" 2>/dev/null
for ((i = 0; i < 100; i++)); do	# lazy unmounts: until no mount of ours is left
	grep -q " /run/netns/${P}n" /proc/self/mountinfo || break
	sleep 0.1
done
found=$("$VETHMAP" scan --no-store --deep --json | jq '[.netns[] | select(.via | index("socket"))] | length')
echo "after ip netns del: $found namespaces found via socket alone (of $N)"
[ "$found" -ge "$N" ] || { echo "bench deep: FAILED: only $found of $N socket-held namespaces found" >&2; exit 1; }
