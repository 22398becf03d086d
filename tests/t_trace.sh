#!/bin/bash
# vethmap trace on one bridge: A and B behind a host bridge of ours, traffic flowing; every
# captured hop sees it, nothing is lost, latencies are >= 0, and the pcapng names each hop
# NETNS:IFNAME and carries one packet id (EPB option and comment) per packet across hops.
# Then both bridge ports isolated, with static neighbours so the echoes are still sent:
# lost_after is A's host-side port.  Also: bad SRC/DST, several addresses, same namespace.
#
# Fixture (10.254.X.0/24, X random; no address on the host or the bridge, no default route):
#   ns a [eth0 .2] <-veth-> host ${PFX}ha --- bridge ${PFX}br --- host ${PFX}hb <-veth-> [eth0 .3] ns b
. "${BASH_SOURCE%/*}/lib.sh"
. "${BASH_SOURCE%/*}/lib_trace.sh"
need_root
need_vethmap
for t in tshark busybox jq bridge; do
	command -v $t >/dev/null || { skip "${0##*/}" "needs $t"; exit 0; }
done

X=$(($(od -An -N1 -tu1 /dev/urandom | tr -d ' ') % 200 + 20))
NET=10.254.$X
fixture_fail() { not_ok "fixture: $1" "${2:-failed}"; exit 1; }

for n in a b; do
	ns_add $n
	ip netns exec "$PFX$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
	ip -n "$PFX$n" link set lo up
done
ip link add "${PFX}br" type bridge || fixture_fail "bridge"
sysctl -qw "net.ipv6.conf.${PFX}br.disable_ipv6=1" >/dev/null 2>&1
i=2
for n in a b; do
	ip link add "${PFX}h$n" type veth peer name eth0 netns "$PFX$n" &&
		sysctl -qw "net.ipv6.conf.${PFX}h$n.disable_ipv6=1" >/dev/null 2>&1 &&
		ip link set "${PFX}h$n" master "${PFX}br" &&
		ip -n "$PFX$n" addr add "$NET.$i/24" dev eth0 &&
		ip -n "$PFX$n" link set eth0 up &&
		ip link set "${PFX}h$n" up || fixture_fail "veth $n-host"
	i=$((i + 1))
done
ip link set "${PFX}br" up || fixture_fail "bridge up"
A=${PFX}a B=${PFX}b
ping_ns() {	# ping_ns NS DST COUNT [INTERVAL]: bounded ping from NS (at most 20 s)
	timeout 20 ip netns exec "$1" busybox ping -q -c "$3" -i "${4:-0.2}" -W 2 "$2" >/dev/null 2>&1
}
ping_ns "$A" "$NET.3" 2 || fixture_fail "ping a->b through ${PFX}br" "no reply (host FORWARD policy?)"
ino_a=$(ns_ino a) ino_b=$(ns_ino b)


# ---- one bridge, traffic flowing ---------------------------------------------------
ping_ns "$A" "$NET.3" 40 0.1 &
PING=$!
bg_pid $PING
J=$TMP/t1.json
if trace_json "bridge" "$J" "$A" "$B" -c 5 -d 10 -w "$TMP/t1.pcapng"; then
	check_eq "bridge: the hops, in path order" \
		"$ino_a:eth0:egress:true $HOSTNS:${PFX}ha:port-in:true $HOSTNS:${PFX}br:bridge:false $HOSTNS:${PFX}hb:port-out:true $ino_b:eth0:ingress:true" \
		"$(jq -r '[.hops[] | "\(.netns):\(.ifname):\(.role):\(.captured)"] | join(" ")' "$J")"
	check_eq "bridge: the path is complete, to B's address" "true null $NET.3" \
		"$(jq -r '"\(.path.complete) \(.path.reason) \(.dst.address)"' "$J")"
	check_eq "bridge: every captured hop saw the echoes" "true" \
		"$(jq '[.hops[] | select(.captured) | .seen >= 5] | all' "$J")"
	check_eq "bridge: every captured hop saw the replies" "true" \
		"$(jq '[.hops[] | select(.captured) | .replies >= 4] | all' "$J")"
	check_eq "bridge: delivered >= 5, none lost, lost_after null" "true 0 null" \
		"$(jq -r '"\(.delivered >= 5) \(.lost) \(.lost_after)"' "$J")"
	check "bridge: at most one echo in flight when the trace ended" jq -e '.in_flight <= 1' "$J"
	check_eq "bridge: latencies from the previous hop are >= 0, max >= median" "true" \
		"$(jq '[.hops[1:][] | select(.captured) | .latency_ms | .median >= 0 and .max >= .median] | all' "$J")"
	check_eq "bridge: the first hop has no latency" "null" "$(jq -c '.hops[0].latency_ms' "$J")"
	check_eq "bridge: the bridge device, not captured, has seen null" "null" \
		"$(jq -c '.hops[2].seen' "$J")"
	# the file: one interface per captured hop, each packet's id at every hop
	tshark -r "$TMP/t1.pcapng" -T fields -E 'separator=|' -e frame.interface_name \
		-e frame.packet_id -e frame.comment -e icmp.seq -e icmp.type >"$TMP/t1.txt" 2>/dev/null
	check_eq "pcapng: the interfaces are NETNS:IFNAME of the captured hops" \
		"$A:eth0 host:${PFX}ha host:${PFX}hb $B:eth0" \
		"$(tshark -r "$TMP/t1.pcapng" -T fields -e frame.interface_name 2>/dev/null | awk '!s[$0]++' | tr '\n' ' ' | sed 's/ $//')"
	# (packets from before every handle was open carry no id: they are not followed)
	seq1=$(awk -F'|' -v a="$A:eth0" '$1 == a && $2 != "" && $5 == 8 {print $4; exit}' "$TMP/t1.txt")
	check_eq "pcapng: the first echo has one id, at all four hops" "4 1" \
		"$(awk -F'|' -v s="$seq1" '$5 == 8 && $4 == s {n++; id[$2]++} END {print n + 0, length(id)}' "$TMP/t1.txt")"
	check "pcapng: each echo's comment names its id, SRC to DST" bash -c \
		"awk -F'|' '\$2 != \"\" && \$5 == 8 && \$3 !~ (\"^vethmap trace: packet \" \$2 \", SRC to DST\$\") {bad = 1} END {exit bad}' '$TMP/t1.txt'"
	check "pcapng: replies are marked reply" bash -c \
		"awk -F'|' '\$2 != \"\" && \$5 == 0 && \$3 !~ /, reply\$/ {bad = 1} END {exit bad}' '$TMP/t1.txt'"
	check_eq "pcapng: echoes and replies have different ids" "" \
		"$(comm -12 <(awk -F'|' '$2 != "" && $5 == 8 {print $2}' "$TMP/t1.txt" | sort -u) <(awk -F'|' '$2 != "" && $5 == 0 {print $2}' "$TMP/t1.txt" | sort -u))"
fi
wait $PING 2>/dev/null
check_eq "audit: the trace is a row of the capture table, done" "$A -> $B|done" \
	"$(sqlite3 "$DB" "SELECT target || '|' || state FROM capture ORDER BY id DESC LIMIT 1")"

# the text report
timeout 30 "$VETHMAP" trace --db "$DB" "$A" "$B" --probe -c 2 -d 5 >"$TMP/t2.txt" 2>"$TMP/t2.err"
check "text: the report's first line names SRC, DST and the path" \
	grep -qx "trace $A -> $B $NET.3: path complete" "$TMP/t2.txt"
check "text: a row per hop" grep -Eq "^  4 +host +${PFX}hb +port-out +[0-9]+ " "$TMP/t2.txt"
check "text: the totals, 2 probes delivered" grep -Eq "^2 packets SRC to DST, 2 delivered, 0 lost, 0 in flight at the end, lost after -; 2 replies, 0 NATed, 2 probes sent$" "$TMP/t2.txt"

timeout 30 "$VETHMAP" trace --db "$DB" "$A" "$B" --probe -c 1 -d 5 >/dev/full 2>"$TMP/full.err"
check_eq "a report that cannot be written: exit 1" 1 $?
check "a report that cannot be written: said" grep -q "write error on standard output: No space left on device" "$TMP/full.err"

# ---- both ports isolated: the bridge drops, after A's host-side port --------------------
mac_a=$(ip -n "$A" -j link show eth0 | jq -r '.[0].address')
mac_b=$(ip -n "$B" -j link show eth0 | jq -r '.[0].address')
bridge link set dev "${PFX}ha" isolated on &&
	bridge link set dev "${PFX}hb" isolated on &&
	ip -n "$A" neigh replace "$NET.3" lladdr "$mac_b" dev eth0 nud permanent &&
	ip -n "$B" neigh replace "$NET.2" lladdr "$mac_a" dev eth0 nud permanent ||
	fixture_fail "isolated ports and static neighbours"
J=$TMP/t3.json
if trace_json "isolated" "$J" "$A" "$B" --probe -c 3 -d 10; then
	check_eq "isolated: 3 probes, none delivered, 3 lost" "3 0 3" \
		"$(jq -r '"\(.packets) \(.delivered) \(.lost)"' "$J")"
	check_eq "isolated: lost_after is A's host-side port" "{\"netns\":$HOSTNS,\"name\":\"host\",\"ifname\":\"${PFX}ha\"}" \
		"$(jq -c '.lost_after' "$J")"
	check_eq "isolated: seen at A's eth0 and its port, not after" "3 3 0 0" \
		"$(jq -r '[.hops[] | select(.captured) | .seen] | join(" ")' "$J")"
	check_eq "isolated: no replies" 0 "$(jq '.replies' "$J")"
fi
check_eq "isolated: the trace ended before -d (probes' grace)" 1 \
	"$(jq '.duration_ms < 5000 | if . then 1 else 0 end' "$J")"

# ---- errors: one line naming the input, exit 2, no capture row --------------------------
rows=$(sqlite3 "$DB" "SELECT count(*) FROM capture")
"$VETHMAP" trace --db "$DB" "$A" "${PFX}nosuch" >/dev/null 2>"$TMP/e1"
check_eq "unknown DST: exit 2" 2 $?
check "unknown DST: named" grep -q "unknown target '${PFX}nosuch'" "$TMP/e1"
"$VETHMAP" trace --db "$DB" "$A" 10.254.254.254 >/dev/null 2>"$TMP/e2"
check_eq "an address no namespace holds: exit 2" 2 $?
check "an address no namespace holds: said" grep -q "no scanned namespace holds address '10.254.254.254'" "$TMP/e2"
"$VETHMAP" trace --db "$DB" "$A" "$A" >/dev/null 2>"$TMP/e3"
check_eq "same namespace: exit 2" 2 $?
ip -n "$B" addr add "$NET.9/24" dev eth0
"$VETHMAP" trace --db "$DB" "$A" "$B" >/dev/null 2>"$TMP/e4"
check_eq "DST with two addresses: exit 2" 2 $?
check "DST with two addresses: give one" grep -q "holds 2 addresses.*give DST as one of them" "$TMP/e4"
"$VETHMAP" trace --db "$DB" "$A" "$NET.9" --probe tcp:0 >/dev/null 2>"$TMP/e5"
check_eq "a bad probe: exit 2" 2 $?
check_eq "errors record no capture" "$rows" "$(sqlite3 "$DB" "SELECT count(*) FROM capture")"
exit $TEST_FAILED
