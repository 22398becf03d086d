#!/bin/bash
# The host's early dump (scan.c): with two CPUs the host's namespace is dumped by a thread
# of its own while discovery runs, and taken over after it, unless an nsid of the host's
# table was freed meanwhile (a namespace with an nsid died: the kernel may give its number
# to the next namespace that needs one, and the early dump's links would then name that
# one); the host is then dumped again with the rest.  Checked here:
#   1. on a quiet host: both veth pairs and the host's macvlan whose lower is in another
#      namespace (a LOWER edge read from the host's side alone) come out right, with the
#      host's forwarding and routes, and the early dump was taken (-vv says nothing else);
#   2. under a churn of namespaces that have a veth to the host (each gets an nsid in the
#      host's table and frees it when deleted): scans until one drops the early dump (at
#      most 30 s), every scan exits 0 and has the stable pairs and the LOWER edge right,
#      those that dropped it too.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

if [ "$(nproc)" -lt 2 ]; then
	skip "early dump" "one CPU: the host is dumped with the rest"
	exit 0
fi

ns_add a
ns_add b
{
	ip link add "${PFX}ha" type veth peer name eth0 netns "${PFX}a" &&
	ip link add "${PFX}hb" type veth peer name eth0 netns "${PFX}b" &&
	ip link set "${PFX}ha" up && ip link set "${PFX}hb" up &&
	ip -n "${PFX}a" link set eth0 up && ip -n "${PFX}b" link set eth0 up &&
	# a host device whose lower is in a: made there on a's eth0, then moved to the host
	ip -n "${PFX}a" link add "${PFX}mv" link eth0 type macvlan mode bridge &&
	ip -n "${PFX}a" link set "${PFX}mv" netns $$
} || { not_ok "fixture" "ip link failed"; exit 1; }
A=$(ns_ino a) B=$(ns_ino b)

# stable: the pairs, the LOWER edge host:${PFX}mv -> a:eth0, nothing else on mv; prints
# what is wrong, nothing when all is right
stable_wrong() {
	local f=$1
	[ "$(edge_count "$f" veth "$HOSTNS" "${PFX}ha" "$A" eth0 any)" = 1 ] || echo "ha-a.eth0 not one veth edge"
	[ "$(edge_count "$f" veth "$HOSTNS" "${PFX}hb" "$B" eth0 any)" = 1 ] || echo "hb-b.eth0 not one veth edge"
	[ "$(edges_of "$f" veth "$HOSTNS" "${PFX}ha")" = 1 ] || echo "ha in other veth edges"
	[ "$(edges_of "$f" veth "$HOSTNS" "${PFX}hb")" = 1 ] || echo "hb in other veth edges"
	[ "$(edge_count "$f" lower "$HOSTNS" "${PFX}mv" "$A" eth0 any)" = 1 ] || echo "mv not lower of a.eth0"
	[ "$(edges_of "$f" lower "$HOSTNS" "${PFX}mv")" = 1 ] || echo "mv in other lower edges"
	[ -z "$(unresolved_of "$f" "$HOSTNS" "${PFX}mv")" ] || echo "mv unresolved"
}

# ---- 1. a quiet host ----------------------------------------------------------------
J=$TMP/quiet.json
scan_json "$J" -vv || exit 1
check_veth "$J" "quiet: host-a" "$HOSTNS" "${PFX}ha" "$A" eth0
check_veth "$J" "quiet: host-b" "$HOSTNS" "${PFX}hb" "$B" eth0
check_eq "quiet: host macvlan's lower is a's eth0" 1 \
	"$(edge_count "$J" lower "$HOSTNS" "${PFX}mv" "$A" eth0 any)"
check_eq "quiet: host macvlan kind" macvlan "$(iface_field "$J" "$HOSTNS" "${PFX}mv" .kind)"
check_eq "quiet: host's IPv4 forwarding as sysctl has it" \
	"$([ "$(cat /proc/sys/net/ipv4/conf/all/forwarding)" = 1 ] && echo true || echo false)" \
	"$(jqv "$J" --argjson h "$HOSTNS" '.netns[] | select(.inode == $h) | .forwarding.ipv4')"
check_eq "quiet: host's IPv4 routes as ip has them" \
	"$(ip -4 -j route show table main | jq 'length')" \
	"$(jqv "$J" --argjson h "$HOSTNS" '[.netns[] | select(.inode == $h) | .routes[] | select(.family == 4)] | length')"
check_eq "quiet: the host's interfaces once each" 0 \
	"$(jqv "$J" --argjson h "$HOSTNS" '[.interfaces[] | select(.netns == $h) | .ifindex] | length - (unique | length)')"
check_eq "quiet: no warning" "" "$(grep 'warning' "$J.err")"
# taken, unless a namespace of someone else's died meanwhile (an earlier test's, whose
# cleanup the kernel defers): up to three tries
taken=0
for i in 1 2 3; do
	"$VETHMAP" scan --no-store -vv >/dev/null 2>"$TMP/q.err" || break
	grep -q 'early dump is dropped' "$TMP/q.err" || { taken=1; break; }
done
check_eq "quiet: the early dump was taken (-vv)" 1 "$taken"

# ---- 2. nsids of the host's table freed during discovery ----------------------------
churn() {	# churn K: namespaces with a veth to the host, made and deleted; bounded
	local i=0
	while [ $i -lt 3000 ] && [ ! -e "$TMP/stop" ]; do
		i=$((i + 1))
		ip netns add "${PFX}z$1$i" 2>/dev/null &&
			ip link add "${PFX}z$1$i" type veth peer name eth0 netns "${PFX}z$1$i" 2>/dev/null
		ip netns del "${PFX}z$1$i" 2>/dev/null
	done
	echo $i >"$TMP/churned.$1"
}
CH=()
for k in 0 1; do
	churn $k &
	CH+=($!); bg_loop $!
done
scans=0 failed=0 dropped=0 wrong=0 first=""
end=$((SECONDS + 30))
while [ $SECONDS -lt $end ] && { [ $dropped -lt 3 ] || [ $scans -lt 10 ]; }; do
	scans=$((scans + 1))
	timeout 30 "$VETHMAP" scan --no-store --json -vv >"$TMP/c.json" 2>"$TMP/c.err"; rc=$?
	if [ $rc -ne 0 ] || ! jq -e '.edges' "$TMP/c.json" >/dev/null 2>&1; then
		failed=$((failed + 1))
		[ -z "$first" ] && first="scan $scans: exit $rc: $(head -c 200 "$TMP/c.err" | tr '\n' ' ')"
		continue
	fi
	grep -q 'early dump is dropped' "$TMP/c.err" && dropped=$((dropped + 1)) d=" (dropped)" || d=""
	w=$(stable_wrong "$TMP/c.json")
	if [ -n "$w" ]; then
		wrong=$((wrong + 1))
		[ -z "$first" ] && first="scan $scans$d: $(echo "$w" | tr '\n' ';')"
	fi
done
touch "$TMP/stop"
wait "${CH[@]}"
rm -f "$TMP/stop"
note "churn: $(cat "$TMP"/churned.* 2>/dev/null | xargs) namespaces made and deleted; $scans scans, $dropped dropped the early dump"
check_eq "churn: every scan exits 0 with JSON${first:+ ($first)}" 0 "$failed"
check_eq "churn: stable pairs and the LOWER edge right in every scan${first:+ ($first)}" 0 "$wrong"
check "churn: some scans dropped the early dump (an nsid freed during discovery)" \
	test "$dropped" -ge 1
check "churn: some scans took it" test "$((scans - failed - dropped))" -ge 1

# after the churn, as before it
J=$TMP/after.json
scan_json "$J" || exit 1
check_eq "after: stable pairs and the LOWER edge right" "" "$(stable_wrong "$J")"
