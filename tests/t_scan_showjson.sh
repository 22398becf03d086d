#!/bin/bash
# "show --json" of a stored snapshot must give back exactly what "scan --json" printed
# (netns, interfaces, edges, unresolved, scan), ignoring only array order; the
# veth_peer view in the database must agree with the JSON.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

ns_add a
ns_add b
ns_add sw
unshare -n sleep 120 &
PP=$!; bg_pid $PP
{
	ip -n "${PFX}sw" link add br0 type bridge &&
	ip -n "${PFX}a" link add eth0 type veth peer name pa netns "${PFX}sw" &&
	ip -n "${PFX}b" link add eth0 type veth peer name pb netns "${PFX}sw" &&
	ip -n "${PFX}sw" link set pa master br0 &&
	ip -n "${PFX}sw" link set pb master br0 &&
	ip -n "${PFX}a" addr add 10.213.60.2/24 dev eth0 &&
	ip -n "${PFX}a" addr add fd13:213::2/64 dev eth0 nodad &&
	ip -n "${PFX}a" link set eth0 up &&
	ip -n "${PFX}sw" link set pa up &&
	ip -n "${PFX}sw" link set br0 up &&
	ip -n "${PFX}b" link add mv0 link eth0 type macvlan &&
	ip link add "${PFX}x\"'" type veth peer name eth1 netns "${PFX}a" &&
	ip link add "${PFX}h" type veth peer name eth7 netns "/proc/$PP/ns/net"
} || { not_ok "fixture" "ip failed"; exit 1; }

S=$TMP/scan.json
scan_json "$S" || exit 1
id=$(jq -r .scan.id "$S")
"$VETHMAP" show --db "$DB" --json >"$TMP/show.json" 2>"$TMP/show.err"
check_eq "show --json (latest) exits 0" 0 "$?"
"$VETHMAP" show --db "$DB" --scan "$id" --json >"$TMP/show2.json" 2>"$TMP/show2.err"
check_eq "show --scan $id --json exits 0" 0 "$?"

norm() { jq -S "$1 | walk(if type == \"array\" then sort else . end)" "$2" 2>&1; }
for f in show show2; do
	for k in .scan .netns .interfaces .edges .unresolved; do
		a=$(norm "$k" "$S") b=$(norm "$k" "$TMP/$f.json")
		if [ "$a" == "$b" ]; then ok "$f: $k identical"
		else not_ok "$f: $k identical" "$(diff <(echo "$a") <(echo "$b") | head -n 8 | tr '\n' '|')"
		fi
	done
	check_eq "$f: same top-level keys" "$(jq -c 'keys' "$S")" "$(jq -c 'keys' "$TMP/$f.json" 2>&1)"
done
# the fixture is in the output at all (so the comparison means something)
A=$(ns_ino a)
check_eq "fixture present: a.eth0 addrs" "10.213.60.2/24 fd13:213::2/64" "$(iface_field "$S" "$A" eth0 '.addrs | map(select(startswith("10.") or startswith("fd13:"))) | join(" ")')"
check_eq "fixture present: bridge edges in sw" 2 "$(edges_of "$S" bridge "$(ns_ino sw)" br0)"

# a second scan: show without --scan gives the newest, --scan the older one
"$VETHMAP" scan --db "$DB" >/dev/null 2>&1
check_eq "second scan: show gives it" $((id + 1)) "$("$VETHMAP" show --db "$DB" --json 2>/dev/null | jq -r .scan.id)"
check_eq "second scan: show --scan $id still gives the first" "$(norm .interfaces "$S")" \
	"$("$VETHMAP" show --db "$DB" --scan "$id" --json 2>/dev/null | jq -S '.interfaces | walk(if type == "array" then sort else . end)')"

# the veth_peer view agrees with the JSON peers of snapshot $id, for this test's namespaces
# (other suites' hostile names would need @tsv's escapes undone on one side only)
mine=$(for n in a b sw; do stat -L -c %i "/run/netns/${PFX}$n"; done; stat -L -c %i "/proc/$PP/ns/net")
mine_sql=$(echo $mine | tr ' ' ,)
want=$(jq -r --arg mine "$mine" '($mine | split("\n") | map(tonumber)) as $m |
	.interfaces[] | select(.peer != null) | select(([.netns] | inside($m)) or ([.peer.netns] | inside($m))) |
	[.netns, .name, .peer.netns, .peer.name] | @tsv' "$S" | LC_ALL=C sort)
got=$(sqlite3 -separator $'\t' "$DB" "SELECT netns, ifname, peer_netns, peer_ifname FROM veth_peer WHERE scan_id = $id AND (netns IN ($mine_sql) OR peer_netns IN ($mine_sql))" 2>&1 | LC_ALL=C sort)
check "db view veth_peer: this test's pairs are there" test "$(printf '%s\n' "$want" | grep -c .)" -ge 3
check_eq "db view veth_peer matches JSON peers" "$want" "$got"
