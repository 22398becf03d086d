#!/bin/bash
# Tunnel devices' endpoints, as the kernel states them: two namespaces joined by a veth
# (the underlay), a vxlan in each pointing at the other (VNI, local, remote, port, the
# underlay device), static FDB entries for remote VTEPs, one over IPv6, one learning only
# (no remote).  The scan JSON ("tunnel"), the database (tunnel, tunnel_fdb) and a stored
# snapshot read back (show --json) must say the same.  geneve and GRE are checked where the
# kernel has the driver (this machine's has neither: they are skipped then).
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

ns_add a
ns_add b
A=$PFX'a' B=$PFX'b'
ip link add ua netns "$A" type veth peer name ub netns "$B" ||
	{ not_ok "fixture: underlay veth" "failed"; exit 1; }
ip -n "$A" addr add 10.239.0.1/24 dev ua && ip -n "$A" addr add fd39::1/64 dev ua nodad &&
	ip -n "$A" link set ua up &&
	ip -n "$B" addr add 10.239.0.2/24 dev ub && ip -n "$B" link set ub up ||
	{ not_ok "fixture: underlay addresses" "failed"; exit 1; }
ip -n "$A" link add vx42 type vxlan id 42 local 10.239.0.1 remote 10.239.0.2 dstport 4789 dev ua &&
	ip -n "$B" link add vx42 type vxlan id 42 local 10.239.0.2 remote 10.239.0.1 dstport 4789 dev ub &&
	ip -n "$A" link add vx6 type vxlan id 16777215 local fd39::1 remote fd39::2 dstport 8472 dev ua &&
	ip -n "$A" link add vxl type vxlan id 7 dstport 4789 dev ua nolearning ||
	{ not_ok "fixture: vxlan devices" "failed"; exit 1; }
ip netns exec "$A" bridge fdb append 00:00:00:00:00:00 dev vx42 dst 10.239.0.9 &&
	ip netns exec "$A" bridge fdb append 00:00:00:00:00:00 dev vx42 dst 10.239.0.3 &&
	ip netns exec "$A" bridge fdb append 00:00:00:00:00:00 dev vx42 dst 10.239.0.9 2>/dev/null;
ip netns exec "$A" bridge fdb append 02:00:00:00:00:01 dev vxl dst 10.239.0.7 ||
	{ not_ok "fixture: fdb entries" "failed"; exit 1; }
NA=$(ns_ino a) NB=$(ns_ino b)

J=$TMP/s.json
scan_json "$J" || exit 1
tun() { iface_field "$J" "$1" "$2" "${3:-.tunnel | tojson}"; }
check_eq "vxlan: $A's vx42: VNI, local, remote, port, FDB (unique, sorted)" \
	'{"id":42,"local":"10.239.0.1","remote":"10.239.0.2","port":4789,"fdb":["10.239.0.2","10.239.0.3","10.239.0.9"]}' \
	"$(tun "$NA" vx42)"
check_eq "vxlan: $B's vx42 points back" \
	'{"id":42,"local":"10.239.0.2","remote":"10.239.0.1","port":4789,"fdb":["10.239.0.1"]}' "$(tun "$NB" vx42)"
check_eq "vxlan over IPv6: the largest VNI, port 8472" \
	'{"id":16777215,"local":"fd39::1","remote":"fd39::2","port":8472,"fdb":["fd39::2"]}' "$(tun "$NA" vx6)"
check_eq "vxlan without a remote: remote null, its FDB entry listed" \
	'{"id":7,"local":null,"remote":null,"port":4789,"fdb":["10.239.0.7"]}' "$(tun "$NA" vxl)"
check_eq "vxlan: the underlay is still its lower edge" 1 \
	"$(edge_count "$J" lower "$NA" vx42 "$NA" ua)"
check_eq "no tunnel object on a veth" null "$(tun "$NA" ua .tunnel)"

check_eq "database: a row per tunnel device" 4 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM tunnel WHERE scan_id = (SELECT coalesce(same_as, id) FROM scan ORDER BY id DESC LIMIT 1) AND netns IN ($NA, $NB)")"
check_eq "database: vx42's row" "42||10.239.0.1|10.239.0.2|4789" \
	"$(sqlite3 "$DB" "SELECT t.id, t.okey, t.local, t.remote, t.port FROM tunnel t JOIN iface i USING (scan_id, netns, ifindex) WHERE i.name = 'vx42' AND t.netns = $NA")"
check_eq "database: vx42's remote VTEPs" "10.239.0.2 10.239.0.3 10.239.0.9" \
	"$(sqlite3 "$DB" "SELECT f.remote FROM tunnel_fdb f JOIN iface i USING (scan_id, netns, ifindex) WHERE i.name = 'vx42' AND f.netns = $NA ORDER BY f.remote" | tr '\n' ' ' | sed 's/ $//')"
"$VETHMAP" show --db "$DB" --json >"$TMP/show.json" 2>"$TMP/show.err"
check_eq "show --json: exit 0" 0 $?
check_eq "show --json from the database: the same tunnels as the scan" \
	"$(jq -c '[.interfaces[] | select(.tunnel) | {netns, name, tunnel}]' "$J")" \
	"$(jq -c '[.interfaces[] | select(.tunnel) | {netns, name, tunnel}]' "$TMP/show.json")"

# diff: a tunnel's endpoints changed is one change of the interface
ip -n "$B" link del vx42 && ip -n "$B" link add vx42 type vxlan id 43 local 10.239.0.2 remote 10.239.0.1 dstport 4789 dev ub ||
	{ not_ok "fixture: vx42 again with VNI 43" "failed"; exit 1; }
scan_json "$TMP/s2.json" || exit 1
"$VETHMAP" diff --db "$DB" >"$TMP/diff.txt" 2>&1
check_eq "diff: the VNI change of $B's vx42, as one line" 1 \
	"$(grep -cF "tunnel id 42 local 10.239.0.2 remote 10.239.0.1 port 4789 fdb 10.239.0.1 -> id 43 local 10.239.0.2 remote 10.239.0.1 port 4789 fdb 10.239.0.1" "$TMP/diff.txt")"

# geneve and GRE, where this kernel has them
if ip -n "$A" link add gn9 type geneve id 9 remote 10.239.0.2 dstport 6081 2>/dev/null; then
	scan_json "$TMP/g.json" --no-store || exit 1
	check_eq "geneve: VNI, remote, port" '{"id":9,"local":null,"remote":"10.239.0.2","port":6081,"fdb":[]}' \
		"$(iface_field "$TMP/g.json" "$NA" gn9 '.tunnel | tojson')"
else
	skip "geneve endpoints" "no geneve driver in this kernel"
fi
if ip -n "$A" link add gr5 type gre local 10.239.0.1 remote 10.239.0.2 ikey 5 okey 6 2>/dev/null; then
	scan_json "$TMP/r.json" --no-store || exit 1
	check_eq "gre: local, remote, keys" '{"id":5,"okey":6,"local":"10.239.0.1","remote":"10.239.0.2","port":null,"fdb":[]}' \
		"$(iface_field "$TMP/r.json" "$NA" gr5 '.tunnel | tojson')"
else
	skip "gre endpoints" "no GRE driver in this kernel"
fi
exit "$TEST_FAILED"
