#!/bin/bash
# Link kinds and hostile names:
#  - macvlan over a veth end inside a netns (lower edge within the netns)
#  - macvlan created on a host parent and moved to another netns (lower edge across)
#  - macvtap, vxlan (lower edges), tap and tun devices (kinds)
#  - interface names with " ' < & $ ; \ , a control character, DEL and UTF-8:
#    the JSON must parse and names must round-trip byte-exactly; the table must not break.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

N1="${PFX}\"x<&"			# "x<&
N2="${PFX}'\$;\\"			# '$;\  (backslash)
N3=$(printf '%s\001\303\251\177' "$PFX")	# ^A é DEL
NB="${PFX}b\"&"			# a bridge with a quote in its name
A1="a\"b'c<"			# inside netns a, no prefix needed
BADU=$(printf 'x\377')			# not UTF-8

ns_add a
ns_add b
ns_add c
{
	ip link add "${PFX}v" type veth peer name eth0 netns "${PFX}a" &&
	ip -n "${PFX}a" link add mv0 link eth0 type macvlan mode bridge &&
	ip link add "${PFX}mx" link "${PFX}v" type macvlan mode bridge &&
	ip link set "${PFX}mx" netns "${PFX}b" &&
	ip link add "${PFX}mt" link "${PFX}v" type macvtap mode bridge &&
	ip link add "${PFX}vx" type vxlan id 4242 dev "${PFX}v" dstport 4789 &&
	ip tuntap add "${PFX}tap" mode tap &&
	ip tuntap add "${PFX}tun" mode tun &&
	ip -n "${PFX}b" tuntap add tp0 mode tap &&
	ip link add "$N1" type veth peer name "$N2" &&
	ip link add "$NB" type bridge &&
	ip link set "$N1" master "$NB" &&
	ip link add "$N3" type veth peer name "$A1" netns "${PFX}a" &&
	ip -n "${PFX}c" link add "$BADU" type veth peer name y0
} || { not_ok "fixture" "ip failed"; exit 1; }
[ -e "/sys/class/net/$N3" ] || { not_ok "fixture: control-character name" "not created"; exit 1; }

A=$(ns_ino a) B=$(ns_ino b) C=$(ns_ino c) H=$HOSTNS
J=$TMP/scan.json
scan_json "$J" || exit 1

# kinds
check_eq "kind macvlan (in a)" macvlan "$(iface_field "$J" "$A" mv0 .kind)"
check_eq "kind macvlan (moved to b)" macvlan "$(iface_field "$J" "$B" "${PFX}mx" .kind)"
check_eq "kind macvtap" macvtap "$(iface_field "$J" "$H" "${PFX}mt" .kind)"
check_eq "kind vxlan" vxlan "$(iface_field "$J" "$H" "${PFX}vx" .kind)"
check_eq "kind tap" tap "$(iface_field "$J" "$H" "${PFX}tap" .kind)"
check_eq "kind tun" tun "$(iface_field "$J" "$H" "${PFX}tun" .kind)"
check_eq "kind tap (in b)" tap "$(iface_field "$J" "$B" tp0 .kind)"
check_eq "kind bridge (odd name)" bridge "$(iface_field "$J" "$H" "$NB" .kind)"

# lower edges
check_eq "lower: a.mv0 -> a.eth0" 1 "$(edge_count "$J" lower "$A" mv0 "$A" eth0)"
check_eq "lower: b.mx -> host.v (across netns)" 1 "$(edge_count "$J" lower "$B" "${PFX}mx" "$H" "${PFX}v")"
check_eq "lower: host.mt -> host.v" 1 "$(edge_count "$J" lower "$H" "${PFX}mt" "$H" "${PFX}v")"
check_eq "lower: host.vx -> host.v" 1 "$(edge_count "$J" lower "$H" "${PFX}vx" "$H" "${PFX}v")"
check_eq "host.v is parent of exactly 3" 3 "$(jqv "$J" --argjson h "$H" --arg n "${PFX}v" '[.edges[] | select(.type == "lower" and .b.netns == $h and .b.name == $n)] | length')"
for x in mv0 "${PFX}mx" "${PFX}mt" "${PFX}vx"; do
	ns=$H; [ "$x" == mv0 ] && ns=$A; [ "$x" == "${PFX}mx" ] && ns=$B
	check_eq "$x: no veth edge" 0 "$(edges_of "$J" veth "$ns" "$x")"
	check_eq "$x: not unresolved" "" "$(unresolved_of "$J" "$ns" "$x")"
	check_eq "$x: no peer" null "$(iface_field "$J" "$ns" "$x" .peer)"
done
check_eq "tap/tun: no edges" 0 "$(jqv "$J" --argjson h "$H" --arg a "${PFX}tap" --arg b "${PFX}tun" '[.edges[] | select((.a.netns == $h and (.a.name == $a or .a.name == $b)) or (.b.netns == $h and (.b.name == $a or .b.name == $b)))] | length')"
check_veth "$J" "veth under macvlans" "$H" "${PFX}v" "$A" eth0

# hostile names
check_veth "$J" "odd names (host)" "$H" "$N1" "$H" "$N2"
check_veth "$J" "odd names (control chars, across)" "$H" "$N3" "$A" "$A1"
check_eq "odd master name" "$NB" "$(iface_field "$J" "$H" "$N1" .master)"
check_eq "odd bridge edge" 1 "$(edge_count "$J" bridge "$H" "$N1" "$H" "$NB")"
want=$(printf '%s\n' "$N1" "$N2" "$N3" "$NB" | LC_ALL=C sort)
got=$(jq -r --argjson h "$H" '.interfaces[] | select(.netns == $h) | .name' "$J" |
	LC_ALL=C grep -F -e '"' -e "'" -e $'\001' | LC_ALL=C grep -F "$PFX" | LC_ALL=C sort)
check_eq "odd host names round-trip byte-exactly" "$want" "$got"
got=$(jq -r --argjson a "$A" '.interfaces[] | select(.netns == $a) | .name' "$J" | LC_ALL=C grep -F "'")
check_eq "odd netns name round-trips" "$A1" "$got"
check "JSON is strict UTF-8 JSON (python json)" python3 -c '
import json, sys
json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))' "$J"
check_eq "netns c (non-UTF-8 name) listed" 2 "$(jqv "$J" --argjson c "$C" '[.interfaces[] | select(.netns == $c and .kind == "veth")] | length')"
check_eq "non-UTF-8 veth paired" 1 "$(jqv "$J" --argjson c "$C" '[.edges[] | select(.type == "veth" and .a.netns == $c and .b.netns == $c)] | length')"
raw=$(LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f]' "$J")
check_eq "JSON has no raw control characters" 0 "$raw"

# the table: exit 0, no raw control characters, names present
"$VETHMAP" show --db "$DB" >"$TMP/table" 2>"$TMP/table.err"
check_eq "show (table) exits 0" 0 "$?"
check_eq "table has no raw control characters" 0 "$(LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f]' "$TMP/table")"
for n in "$N1" "$N2" "$NB" "${PFX}mx" "${PFX}tap"; do
	check "table shows $n" grep -qF -- "$n" "$TMP/table"
done
"$VETHMAP" scan --db "$DB" --no-store >"$TMP/table2" 2>"$TMP/table2.err"
check_eq "scan (table) exits 0" 0 "$?"
check_eq "scan table has no raw control characters" 0 "$(LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f]' "$TMP/table2")"
check "scan table shows $N1" grep -qF -- "$N1" "$TMP/table2"
