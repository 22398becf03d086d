#!/bin/bash
# Same interface name on both ends: a veth between two namespaces with both ends named
# eth9, a host<->netns veth whose ends share one name, and a veth with both ends in ONE
# namespace.  Pairing must use (netns, ifindex), never names.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

ns_add a
ns_add b
ns_add c
{
	ip -n "${PFX}a" link add eth9 type veth peer name eth9 netns "${PFX}b" &&
	# a second pair in a and b, also same-named, so a wrong match is possible
	ip -n "${PFX}a" link add eth8 type veth peer name eth8 netns "${PFX}b" &&
	ip -n "${PFX}c" link add p1 type veth peer name p2 &&
	# both ends in c with the peer's ifindex equal to another netns's veth ifindex
	ip link add "${PFX}s" type veth peer name "${PFX}s" netns "${PFX}c"
} || { not_ok "fixture" "ip link add failed"; exit 1; }

A=$(ns_ino a) B=$(ns_ino b) C=$(ns_ino c)
J=$TMP/scan.json
scan_json "$J" || exit 1

check_veth "$J" "a.eth9-b.eth9" "$A" eth9 "$B" eth9
check_veth "$J" "a.eth8-b.eth8" "$A" eth8 "$B" eth8
check_eq "a.eth9 not paired with b.eth8" 0 "$(edge_count "$J" veth "$A" eth9 "$B" eth8 any)"
check_veth "$J" "c.p1-c.p2 (one netns)" "$C" p1 "$C" p2
check_veth "$J" "host-c same name" "$HOSTNS" "${PFX}s" "$C" "${PFX}s"
check_eq "one-netns veth has no link_netnsid" null "$(iface_field "$J" "$C" p1 .link_netnsid)"
check_eq "a.eth9 has a link_netnsid" number "$(iface_field "$J" "$A" eth9 '.link_netnsid | type')"
check_eq "no unresolved in a, b, c" 0 "$(jqv "$J" --argjson a "$A" --argjson b "$B" --argjson c "$C" '[.unresolved[]? | select(.netns == $a or .netns == $b or .netns == $c)] | length')"
