#!/bin/bash
# CNI/podman style: the veth is created INSIDE each container netns (eth0 there) and the
# other end is moved to the host, so every host end has the same iflink.  The host ends
# are ports of a host bridge.  Each host end must pair with exactly its own netns's eth0.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

N=3
ip link add "${PFX}br" type bridge || { not_ok "fixture: bridge" "ip link add failed"; exit 1; }
for i in $(seq 1 $N); do
	ns_add "c$i"
	ip -n "${PFX}c$i" link add eth0 type veth peer name "${PFX}h$i" &&
	ip -n "${PFX}c$i" link set "${PFX}h$i" netns $$ &&
	ip link set "${PFX}h$i" master "${PFX}br" &&
	ip -n "${PFX}c$i" addr add "10.213.$i.2/24" dev eth0 &&
	ip -n "${PFX}c$i" link set eth0 up &&
	ip link set "${PFX}h$i" up ||
		{ not_ok "fixture: veth $i" "ip failed"; exit 1; }
done
ip link set "${PFX}br" up

# the fixture really collides: every host end has the same iflink
links=$(for i in $(seq 1 $N); do ip -j link show "${PFX}h$i" | jq -r '.[0].link_index'; done | sort -u | wc -l)
check_eq "fixture: host ends share one iflink" 1 "$links"

J=$TMP/scan.json
scan_json "$J" || exit 1

check_eq "host netns flagged host" true "$(jqv "$J" --argjson h "$HOSTNS" '[.netns[] | select(.inode == $h)][0].host')"
check_eq "exactly one host netns" 1 "$(jqv "$J" '[.netns[] | select(.host == true)] | length')"
check_eq "host netns via has self" true "$(jqv "$J" --argjson h "$HOSTNS" '[.netns[] | select(.inode == $h)][0].via | index("self") != null')"

for i in $(seq 1 $N); do
	ino=$(ns_ino "c$i")
	check_eq "c$i: netns found" 1 "$(jqv "$J" --argjson n "$ino" '[.netns[] | select(.inode == $n)] | length')"
	check_eq "c$i: netns name" "/run/netns/${PFX}c$i" "$(jqv "$J" --argjson n "$ino" '.netns[] | select(.inode == $n) | .names | join(",")')"
	check_eq "c$i: netns via mount" true "$(jqv "$J" --argjson n "$ino" '.netns[] | select(.inode == $n) | .via | index("mount") != null')"
	check_eq "c$i: netns not host" false "$(jqv "$J" --argjson n "$ino" '.netns[] | select(.inode == $n) | .host')"
	check_veth "$J" "c$i" "$HOSTNS" "${PFX}h$i" "$ino" eth0
	check_eq "c$i: host end master" "${PFX}br" "$(iface_field "$J" "$HOSTNS" "${PFX}h$i" .master)"
	check_eq "c$i: bridge edge port->bridge" 1 "$(edge_count "$J" bridge "$HOSTNS" "${PFX}h$i" "$HOSTNS" "${PFX}br")"
	check_eq "c$i: eth0 master null" null "$(iface_field "$J" "$ino" eth0 .master)"
	check_eq "c$i: eth0 addrs" "10.213.$i.2/24" "$(iface_field "$J" "$ino" eth0 '.addrs | map(select(startswith("10."))) | join(",")')"
	check_eq "c$i: eth0 up" true "$(iface_field "$J" "$ino" eth0 .up)"
	check_eq "c$i: eth0 mac" "$(ip -n "${PFX}c$i" -j link show eth0 | jq -r '.[0].address')" "$(iface_field "$J" "$ino" eth0 .mac)"
	check_eq "c$i: eth0 ifindex" "$(ip -n "${PFX}c$i" -j link show eth0 | jq -r '.[0].ifindex')" "$(iface_field "$J" "$ino" eth0 .ifindex)"
	check_eq "c$i: host end link (iflink)" "$(ip -j link show "${PFX}h$i" | jq -r '.[0].link_index')" "$(iface_field "$J" "$HOSTNS" "${PFX}h$i" .link)"
	check_eq "c$i: lo kind" loopback "$(iface_field "$J" "$ino" lo .kind)"
	check_eq "c$i: no unresolved in netns" 0 "$(jqv "$J" --argjson n "$ino" '[.unresolved[]? | select(.netns == $n)] | length')"
done
check_eq "bridge kind" bridge "$(iface_field "$J" "$HOSTNS" "${PFX}br" .kind)"
check_eq "bridge has exactly $N bridge edges" $N "$(jqv "$J" --argjson h "$HOSTNS" --arg b "${PFX}br" '[.edges[] | select(.type == "bridge" and .b.netns == $h and .b.name == $b)] | length')"
check_eq "no unresolved host ends" 0 "$(jqv "$J" --arg p "$PFX" '[.unresolved[]? | select(.name | startswith($p))] | length')"
check_eq "scan id is 1 in a fresh db" 1 "$(jqv "$J" .scan.id)"
