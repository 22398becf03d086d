#!/bin/bash
# tests/bench/watch.sh - what 'vethmap watch' costs (root, from the repository root).
#
#   cpu      N namespaces (default 50), each with a veth to the host, then
#            /usr/bin/time ./vethmap watch --no-store -d SECS (default 60) -v: CPU, peak RSS,
#            and the watch's own summary (rescans, events, corrections)
#   latency  20 times ip link set X up/down on a veth of ours: the delay until the watch's
#            line about it is in its output (polled every 2 ms), min / median / max
#   rate     tests/bench/watch_rate.py: veth pairs made at 5, 10, 20, 50, 100, 200 a second
#            (8 s each, one 'ip -batch'), the delay from each command to its edge's line
#            on the watch's pipe (median, max), and the watch's CPU per pair: the highest
#            rate with every line within 1 s is what it keeps up with
#   load     what else ran: namespaces on the host (a scan's count), load average
#
# Usage: tests/bench/watch.sh [N [SECS]]; BENCH_WATCH_ONLY=rate for the rate part alone.  Everything made is removed at exit.  On a host
# where others make and remove namespaces meanwhile, the rescans they cause are counted in.
set -u
N=${1:-50}
SECS=${2:-60}
VETHMAP=${VETHMAP:-./vethmap}
P=vwb$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
TMP=$(mktemp -d)
W=
cleanup() {
	[ -n "$W" ] && kill "$W" 2>/dev/null && wait "$W" 2>/dev/null
	ip link del "${P}a" 2>/dev/null
	for i in $(seq "$N"); do
		ip link del "${P}h$i" 2>/dev/null
		ip netns del "${P}n$i" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

load() {
	echo "load: $("$VETHMAP" scan --no-store --json 2>/dev/null | jq '.netns | length') namespaces on the host, load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
}
if [ "${BENCH_WATCH_ONLY:-}" = rate ]; then
	load
	python3 "${BASH_SOURCE%/*}/watch_rate.py" "$VETHMAP" "${P}r"
	load
	exit 0
fi
for i in $(seq "$N"); do
	ip netns add "${P}n$i" && ip link add "${P}h$i" type veth peer name eth0 netns "${P}n$i" ||
		exit 1
done
load
/usr/bin/time -f "cpu: %U s user, %S s system in %e s; max RSS %M KiB" \
	"$VETHMAP" watch --no-store -d "$SECS" -v >"$TMP/cpu.out" 2>"$TMP/cpu.err"
grep -h "watch: following" "$TMP/cpu.err"
tail -n 2 "$TMP/cpu.err"

ip link add "${P}a" type veth peer name "${P}b" || exit 1
"$VETHMAP" watch --no-store -d 120 >"$TMP/lat.out" 2>/dev/null &
W=$!
sleep 2
for i in $(seq 20); do
	st=$([ $((i % 2)) = 1 ] && echo up || echo down)
	n0=$(grep -c "host:${P}a .*admin" "$TMP/lat.out")
	t0=$(date +%s%N)
	ip link set "${P}a" "$st"
	until [ "$(grep -c "host:${P}a .*admin" "$TMP/lat.out")" -gt "$n0" ]; do
		sleep 0.002
		[ $(( ($(date +%s%N) - t0) / 1000000000 )) -ge 10 ] && { echo "latency: no line in 10 s"; exit 1; }
	done
	echo $(( ($(date +%s%N) - t0) / 1000000 ))
	sleep 0.3
done | sort -n | awk '{a[NR] = $1} END {printf "latency: min %d, median %d, max %d ms (%d changes)\n", a[1], a[int((NR + 1) / 2)], a[NR], NR}'

python3 "${BASH_SOURCE%/*}/watch_rate.py" "$VETHMAP" "${P}r"
load
