#!/bin/bash
# Routes and forwarding in the scan, the JSON and the database.  A and B in two subnets
# joined by a router namespace R that forwards IPv4 (not IPv6); A routes B's subnet via R
# and has an ECMP route over two next hops; R has a blackhole route; B has a default route
# via R.  Each namespace's routes must be what `ip -j route` says (main table; the IPv6
# link-local prefix of every interface left out), stored and read back the same.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

ns_add a
ns_add r
ns_add b
A=${PFX}a R=${PFX}r B=${PFX}b
ip -n "$A" link add eth0 type veth peer name ra netns "$R" &&
	ip -n "$A" link add eth1 type veth peer name ra2 netns "$R" &&
	ip -n "$B" link add eth0 type veth peer name rb netns "$R" &&
	ip -n "$A" addr add 10.215.1.2/24 dev eth0 &&
	ip -n "$A" addr add 10.215.3.2/24 dev eth1 &&
	ip -n "$R" addr add 10.215.1.1/24 dev ra &&
	ip -n "$R" addr add 10.215.3.1/24 dev ra2 &&
	ip -n "$R" addr add 10.215.2.1/24 dev rb &&
	ip -n "$B" addr add 10.215.2.2/24 dev eth0 ||
	{ not_ok "fixture: links and addresses" "ip failed"; exit 1; }
for x in "$A:eth0" "$A:eth1" "$A:lo" "$R:ra" "$R:ra2" "$R:rb" "$R:lo" "$B:eth0" "$B:lo"; do
	ip -n "${x%%:*}" link set "${x#*:}" up || { not_ok "fixture: $x up" "failed"; exit 1; }
done
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=0 &&
	ip netns exec "$A" sysctl -qw net.ipv4.ip_forward=0 &&
	ip -n "$A" route add 10.215.2.0/24 via 10.215.1.1 dev eth0 metric 7 &&
	ip -n "$A" route add 10.215.9.0/24 nexthop via 10.215.1.1 dev eth0 nexthop via 10.215.3.1 dev eth1 &&
	ip -n "$R" route add blackhole 10.215.66.0/24 &&
	ip -n "$B" route add default via 10.215.2.1 ||
	{ not_ok "fixture: routes and forwarding" "failed"; exit 1; }

J=$TMP/scan.json
scan_json "$J" || exit 1

# what the kernel's own tool says, in our shape: [family, dst, type, metric, [[gw, dev]...]]
truth() {	# truth NETNS: its main table as ip -j route shows it
	{ ip -4 -j -n "$1" route show table main; ip -6 -j -n "$1" route show table main; } | jq -s -c '
		[.[][] | select((.dst | startswith("fe80::")) | not) |
		 [(if (.dst | test(":")) or (.gateway // "" | test(":")) then 6 else 4 end),
		  (if .dst == "default" then "default"
		   elif (.dst | test("/")) then .dst
		   elif (.dst | test(":")) then .dst + "/128" else .dst + "/32" end),
		  (.type // "unicast"), (.metric // 0),
		  (if .nexthops then [.nexthops[] | [.gateway // "", .dev]]
		   elif .type == "blackhole" then [] else [[.gateway // "", .dev]] end)]] | sort'
}
ours() {	# ours FILE NETNS-INODE: the same from vethmap's JSON
	jq -c --argjson n "$2" '[.netns[] | select(.inode == $n) | .routes[]? |
		[.family, .dst, .type, (.metric // 0), [.nexthops[] | [.gateway // "", .dev]]]] | sort' "$1"
}
for x in a r b; do
	ino=$(ns_ino "$x")
	t=$(truth "${PFX}$x")
	check_eq "$x: routes as ip route shows them" "$t" "$(ours "$J" "$ino")"
done
ino_a=$(ns_ino a) ino_r=$(ns_ino r) ino_b=$(ns_ino b)
check_eq "a: the ECMP route has both next hops" '[["10.215.1.1","eth0"],["10.215.3.1","eth1"]]' \
	"$(jq -c --argjson n "$ino_a" '.netns[] | select(.inode == $n) | .routes[] | select(.dst == "10.215.9.0/24") | [.nexthops[] | [.gateway, .dev]] | sort' "$J")"
check_eq "a: the metric of the route via R" 7 \
	"$(jq --argjson n "$ino_a" '.netns[] | select(.inode == $n) | .routes[] | select(.dst == "10.215.2.0/24") | .metric' "$J")"
check_eq "r: the blackhole route, no next hop" '"blackhole" 0' \
	"$(jq -r --argjson n "$ino_r" '.netns[] | select(.inode == $n) | .routes[] | select(.dst == "10.215.66.0/24") | "\(.type | tojson) \(.nexthops | length)"' "$J")"
check_eq "r: forwards IPv4, not IPv6" '{"ipv4":true,"ipv6":false}' \
	"$(jq -c --argjson n "$ino_r" '.netns[] | select(.inode == $n) | .forwarding' "$J")"
check_eq "a: does not forward" '{"ipv4":false,"ipv6":false}' \
	"$(jq -c --argjson n "$ino_a" '.netns[] | select(.inode == $n) | .forwarding' "$J")"
check_eq "b: default route via R" '[4,"default","unicast",0,[["10.215.2.1","eth0"]]]' \
	"$(jq -c --argjson n "$ino_b" '.netns[] | select(.inode == $n) | .routes[] | select(.family == 4 and .dst == "default") | [.family, .dst, .type, (.metric // 0), [.nexthops[] | [.gateway, .dev]]]' "$J")"
check_eq "no IPv6 link-local prefix routes kept" 0 \
	"$(jqv "$J" '[.netns[].routes[]? | select(.dst | startswith("fe80:"))] | length')"

# stored and read back the same
"$VETHMAP" show --db "$DB" --json >"$TMP/show.json" 2>"$TMP/show.err" ||
	not_ok "show --json exits 0" "$(head -c 200 "$TMP/show.err")"
for n in "$ino_a" "$ino_r" "$ino_b"; do
	check_eq "netns $n: routes and forwarding read back from the database" \
		"$(jq -c --argjson n "$n" '.netns[] | select(.inode == $n) | [.forwarding, .routes]' "$J")" \
		"$(jq -c --argjson n "$n" '.netns[] | select(.inode == $n) | [.forwarding, .routes]' "$TMP/show.json")"
done
check_eq "database: the ECMP route is two rows" 2 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM route WHERE inode = $ino_a AND dst = '10.215.9.0/24'")"

# the table says which namespace forwards
check "text: R's line says it forwards ipv4" bash -c \
	"'$VETHMAP' show --db '$DB' | grep -E '^netns $ino_r .*forwards ipv4\$'"
check "text: A's line does not" bash -c \
	"! '$VETHMAP' show --db '$DB' | grep -E '^netns $ino_a .*forwards'"
exit $TEST_FAILED
