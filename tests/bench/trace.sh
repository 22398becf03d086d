#!/bin/bash
# tests/bench/trace.sh - vethmap trace on a 4-hop path against one tcpdump per hop, at the
# same time (root; alone: tests/bench/trace.sh).
#
# Three namespaces ${P}a -- ${P}r -- ${P}b (R forwards IPv4): the path a:eth0, r:ra, r:rb,
# b:eth0.  For BENCH_TRACE_SECS seconds iperf3 sends 64-byte UDP datagrams from a to b at
# BENCH_TRACE_RATE packets/s while both
#   vethmap trace ${P}a ${P}b -d SECS+3 -Z root -w v.pcapng
#   ip netns exec NS tcpdump -i IF --immediate-mode -s 262144 -B 4096 -Z root -w tN.pcap (x4)
# capture every hop (immediate mode, snaplen 262144, 4 MiB buffers, promiscuous, root kept,
# block-buffered files).  CPU (user+system, /proc/PID/schedstat) is sampled once all are
# ready and again when the sender has finished; vethmap's is that of its two processes, the
# tcpdumps' their sum.  Printed: packets written (the per-hop sum), kernel drops, CPU per
# packet per hop (us), and the ratio vethmap/tcpdump, for BENCH_TRACE_ROUNDS rounds and
# their median.  Every name starts with "bt" + 4 hex digits; an EXIT/INT/TERM trap stops
# what we started and deletes the namespaces.
set -u
cd "$(dirname "$0")/../.." || exit 1

VETHMAP=${BENCH_TRACE_VETHMAP:-./vethmap}
RATE=${BENCH_TRACE_RATE:-10000}
SECS=${BENCH_TRACE_SECS:-10}
ROUNDS=${BENCH_TRACE_ROUNDS:-3}
while :; do
	P=bt$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
	compgen -G "/run/netns/$P*" >/dev/null || break
done
NA=${P}a NR=${P}r NB=${P}b
PIDS=()
die() { echo "bench trace: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "root needed"
for c in ip tcpdump iperf3 jq capinfos; do command -v $c >/dev/null || die "$c missing"; done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vethmap-bench-trace.XXXXXX")
cleanup() {
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for n in "$NA" "$NR" "$NB"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for n in "$NA" "$NR" "$NB"; do
	ip netns add "$n" || die "ip netns add $n"
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$n" link set lo up
done
{ ip -n "$NA" link add eth0 type veth peer name ra netns "$NR" &&
	ip -n "$NB" link add eth0 type veth peer name rb netns "$NR" &&
	ip -n "$NA" addr add 10.78.1.2/24 dev eth0 && ip -n "$NR" addr add 10.78.1.1/24 dev ra &&
	ip -n "$NR" addr add 10.78.2.1/24 dev rb && ip -n "$NB" addr add 10.78.2.2/24 dev eth0 &&
	ip -n "$NA" link set eth0 up && ip -n "$NR" link set ra up && ip -n "$NR" link set rb up &&
	ip -n "$NB" link set eth0 up &&
	ip netns exec "$NR" sysctl -qw net.ipv4.ip_forward=1 &&
	ip -n "$NA" route add 10.78.2.0/24 via 10.78.1.1 &&
	ip -n "$NB" route add 10.78.1.0/24 via 10.78.2.1; } || die "fixture"
timeout 10 ip netns exec "$NA" ping -c 1 -W 2 10.78.2.2 >/dev/null || die "no ping a -> b"

cpu_ns() { local s; read -r s _ <"/proc/$1/schedstat" 2>/dev/null && echo "${s:-0}" || echo 0; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

HOPS=("$NA eth0" "$NR ra" "$NR rb" "$NB eth0")
printf '%-6s %10s %10s %8s %8s %10s %10s %6s\n' round vpkts tpkts vdrop tdrop v_us/pkt t_us/pkt ratio
: >"$TMP/ratios"
for round in $(seq 1 "$ROUNDS"); do
	rm -f "$TMP"/*.pcap* "$TMP"/*.err
	"$VETHMAP" trace --db "$TMP/db" "$NA" "$NB" -d $((SECS + 3)) -Z root -w "$TMP/v.pcapng" \
		>"$TMP/v.out" 2>"$TMP/v.err" &
	vpid=$!
	PIDS+=("$vpid")
	tp=()
	for k in 0 1 2 3; do
		set -- ${HOPS[$k]}
		ip netns exec "$1" tcpdump -i "$2" --immediate-mode -s 262144 -B 4096 -Z root \
			-w "$TMP/t$k.pcap" 2>"$TMP/t$k.err" &
		tp+=($!)
		PIDS+=($!)
	done
	end=$((SECONDS + 20))
	until compgen -G "$TMP/.v.pcapng.*" >/dev/null && [ -n "$(pgrep -P "$vpid" -n)" ] &&
		[ "$(cat "$TMP"/t?.err 2>/dev/null | grep -c 'listening on')" = 4 ]; do
		[ $SECONDS -ge $end ] && die "captures did not start"
		sleep 0.05
	done
	vchild=$(pgrep -P "$vpid" -n)
	timeout $((SECS + 20)) ip netns exec "$NB" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	srv=$!
	PIDS+=($srv)
	sleep 0.5
	v0=$(( $(cpu_ns "$vpid") + $(cpu_ns "$vchild") ))
	t0=0; for p in "${tp[@]}"; do t0=$((t0 + $(cpu_ns "$p"))); done
	timeout $((SECS + 15)) ip netns exec "$NA" iperf3 -c 10.78.2.2 -p 5201 -u -l 64 \
		-b $((RATE * 64 * 8)) -t "$SECS" >/dev/null 2>&1
	v1=$(( $(cpu_ns "$vpid") + $(cpu_ns "$vchild") ))
	t1=0; for p in "${tp[@]}"; do t1=$((t1 + $(cpu_ns "$p"))); done
	for p in "${tp[@]}"; do kill -INT "$p" 2>/dev/null; done
	kill -INT "$vpid" 2>/dev/null
	wait "$vpid" "${tp[@]}" "$srv" 2>/dev/null
	vp=$(capinfos -c -M "$TMP/v.pcapng" 2>/dev/null | awk '/Number of packets/ { print $NF }')
	tpk=0; for k in 0 1 2 3; do tpk=$((tpk + $(capinfos -c -M "$TMP/t$k.pcap" | awk '/Number of packets/ { print $NF }'))); done
	vd=$(awk '/dropped by kernel/ { s += $(NF - 3) } END { print s + 0 }' "$TMP/v.err")
	td=$(awk '/dropped by kernel/ { s += $1 } END { print s + 0 }' "$TMP"/t?.err)
	vus=$(awk -v c=$((v1 - v0)) -v n="$vp" 'BEGIN { printf "%.2f", (n ? c / n / 1000 : 0) }')
	tus=$(awk -v c=$((t1 - t0)) -v n="$tpk" 'BEGIN { printf "%.2f", (n ? c / n / 1000 : 0) }')
	ratio=$(awk -v a="$vus" -v b="$tus" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	echo "$ratio" >>"$TMP/ratios"
	echo "$vus $tus $vp $tpk" >>"$TMP/rows"
	printf '%-6s %10s %10s %8s %8s %10s %10s %6s\n' "$round" "$vp" "$tpk" "$vd" "$td" "$vus" "$tus" "$ratio"
done
printf '%-6s %10s %10s %8s %8s %10s %10s %6s\n' median \
	"$(awk '{ print $3 }' "$TMP/rows" | median)" "$(awk '{ print $4 }' "$TMP/rows" | median)" - - \
	"$(awk '{ print $1 }' "$TMP/rows" | median)" "$(awk '{ print $2 }' "$TMP/rows" | median)" \
	"$(median <"$TMP/ratios")"
