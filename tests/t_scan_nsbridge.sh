#!/bin/bash
# A bridge inside a non-host namespace whose ports are veths to two other namespaces:
# bridge edges live inside that namespace, veth edges cross namespaces.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

ns_add sw
ns_add x
ns_add y
{
	ip -n "${PFX}sw" link add br0 type bridge &&
	ip -n "${PFX}x" link add eth0 type veth peer name px netns "${PFX}sw" &&
	ip -n "${PFX}y" link add eth0 type veth peer name py netns "${PFX}sw" &&
	ip -n "${PFX}sw" link set px master br0 &&
	ip -n "${PFX}sw" link set py master br0 &&
	# an unbridged veth in sw, to check it gets no master and no bridge edge
	ip -n "${PFX}sw" link add lone type veth peer name eth1 netns "${PFX}x" &&
	ip -n "${PFX}sw" addr add 10.213.50.1/24 dev br0 &&
	ip -n "${PFX}sw" link set br0 up &&
	ip -n "${PFX}sw" link set px up &&
	ip -n "${PFX}sw" link set py up
} || { not_ok "fixture" "ip failed"; exit 1; }

SW=$(ns_ino sw) X=$(ns_ino x) Y=$(ns_ino y)
J=$TMP/scan.json
scan_json "$J" || exit 1

check_eq "br0 kind" bridge "$(iface_field "$J" "$SW" br0 .kind)"
check_eq "br0 addrs" 10.213.50.1/24 "$(iface_field "$J" "$SW" br0 '.addrs | map(select(startswith("10."))) | join(",")')"
check_eq "br0 up" true "$(iface_field "$J" "$SW" br0 .up)"
for p in px py; do
	check_eq "$p master" br0 "$(iface_field "$J" "$SW" $p .master)"
	check_eq "$p bridge edge (in sw)" 1 "$(edge_count "$J" bridge "$SW" $p "$SW" br0)"
	check_eq "$p no reversed bridge edge" 0 "$(edge_count "$J" bridge "$SW" br0 "$SW" $p)"
done
check_eq "br0 has exactly 2 bridge edges" 2 "$(edges_of "$J" bridge "$SW" br0)"
check_eq "lone master null" null "$(iface_field "$J" "$SW" lone .master)"
check_eq "lone has no bridge edge" 0 "$(edges_of "$J" bridge "$SW" lone)"
check_veth "$J" "x.eth0-sw.px" "$X" eth0 "$SW" px
check_veth "$J" "y.eth0-sw.py" "$Y" eth0 "$SW" py
check_veth "$J" "x.eth1-sw.lone" "$X" eth1 "$SW" lone
check_eq "no bridge edges outside sw for our netns" 0 "$(jqv "$J" --argjson x "$X" --argjson y "$Y" '[.edges[] | select(.type == "bridge" and (.a.netns == $x or .a.netns == $y or .b.netns == $x or .b.netns == $y))] | length')"
