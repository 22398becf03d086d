#!/bin/bash
# vethmap graph: DOT, SVG and PNG of a real scan, --focus, hostile names, errors.
# Fixture: containers c1 c2 on a host bridge; a namespace nb with a bridge of its own
# (c3 hangs off it) and a veth up to the host bridge; a macvlan in c1 over a host veth;
# a hostile-named veth pair (one end in a hostile-named netns) on the host bridge, a
# name with a control byte, UTF-8, DEL and a byte that is not UTF-8; a lone namespace.
#
# It runs in a sandbox (new pid, mount and network namespaces; the host's nsfs mounts
# and /run hidden) so the scan sees only the fixture: the graph stays small, the checks
# exact and the runtime short whatever else the host runs.  Everything dies with it.
# VETHMAP_T_GRAPH_SANDBOX=no runs it on the host instead (as without unshare).
if [ -z "${VETHMAP_T_GRAPH_SANDBOX:-}" ] && [ "$(id -u)" = 0 ] &&
	unshare --pid --fork --mount-proc --mount --net --propagation private true 2>/dev/null; then
	VETHMAP_T_GRAPH_SANDBOX=1 exec unshare --pid --fork --mount-proc --mount --net \
		--propagation private bash "$0" "$@"
fi
if [ "${VETHMAP_T_GRAPH_SANDBOX:-}" = 1 ]; then
	# mount points as mountinfo writes them (octal escapes), each one unmounted lazily
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break; if ($(i + 1) == "nsfs") print $5 }' \
		/proc/self/mountinfo | while IFS= read -r m; do
		umount -l "$(printf '%b' "${m//\\/\\0}")" 2>/dev/null
	done
	mount -t tmpfs -o mode=0755 t_graph /run && mkdir -p /run/netns &&
		mount -t sysfs sysfs /sys || { echo "not ok - sandbox: mounts failed"; exit 1; }
fi
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap
if ! command -v dot >/dev/null || ! command -v xmllint >/dev/null; then
	skip "${0##*/}" "needs dot (graphviz) and xmllint (libxml2-utils)"
	exit 0
fi
export LC_ALL=C

HQ="${PFX}\"<&\$;"			# "<&$;  host end, port of the host bridge
HB="${PFX}\\b"				# \b     its peer, in the hostile netns
NQ="q\"<&\$;\\"				# netns ${PFX}q"<&$;\ (ns_add adds PFX)
HX=$(printf '%s\001\303\251\177\377' "$PFX")	# ^A e-acute DEL 0xff
BR="${PFX}br"

ns_add c1
ns_add c2
ns_add c3
ns_add nb
ns_add lone
ns_add "$NQ"
ip link add "$BR" type bridge || { not_ok "fixture: bridge" "ip failed"; exit 1; }
for i in 1 2; do
	ip link add "${PFX}h$i" type veth peer name eth0 netns "${PFX}c$i" &&
	ip link set "${PFX}h$i" master "$BR" &&
	ip -n "${PFX}c$i" addr add "10.231.$i.2/24" dev eth0 &&
	ip -n "${PFX}c$i" link set eth0 up &&
	ip link set "${PFX}h$i" up || { not_ok "fixture: c$i" "ip failed"; exit 1; }
done
{
	ip link add "${PFX}h3" type veth peer name up0 netns "${PFX}nb" &&
	ip link set "${PFX}h3" master "$BR" &&
	ip -n "${PFX}nb" link add nbr0 type bridge &&
	ip -n "${PFX}nb" link add p1 type veth peer name eth0 netns "${PFX}c3" &&
	ip -n "${PFX}nb" link set p1 master nbr0 &&
	ip -n "${PFX}c3" addr add 10.232.0.3/24 dev eth0 &&
	ip link add "${PFX}lw" type veth peer name "${PFX}lx" &&
	ip link add "${PFX}mv" link "${PFX}lw" type macvlan mode bridge &&
	ip link set "${PFX}mv" netns "${PFX}c1" &&
	ip link add "$HQ" type veth peer name "$HB" netns "$PFX$NQ" &&
	ip link set "$HQ" master "$BR" &&
	ip link add "$HX" type veth peer name eth9 netns "${PFX}lone" &&
	ip -n "${PFX}lone" link add l0 type veth peer name l1 &&
	ip link set "$BR" up
} || { not_ok "fixture" "ip failed"; exit 1; }
AB="${PFX}ab"
ip link add "$AB" type bridge && ip link set "$AB" up || { not_ok "fixture: ab" "ip failed"; exit 1; }
k=0
for a in a1 a2 a3 'a<&'; do
	k=$((k + 1))
	ns_add "$a"
	ip link add "${PFX}ah$k" type veth peer name eth0 netns "$PFX$a" &&
	ip link set "${PFX}ah$k" master "$AB" up &&
	ip -n "$PFX$a" link set eth0 up || { not_ok "fixture: $a" "ip failed"; exit 1; }
done

"$VETHMAP" scan --db "$DB" >/dev/null 2>"$TMP/scan.err" ||
	{ not_ok "scan" "exit $?: $(head -c 300 "$TMP/scan.err")"; exit 1; }
H=$HOSTNS C1=$(ns_ino c1) C2=$(ns_ino c2) C3=$(ns_ino c3) NB=$(ns_ino nb)
LONE=$(ns_ino lone) Q=$(ns_ino "$NQ")
A=("$(ns_ino a1)" "$(ns_ino a2)" "$(ns_ino a3)" "$(ns_ino 'a<&')")

# ---- helpers over the DOT text ---------------------------------------------------------

dot_nodes() {	# dot_nodes FILE: "INODE<TAB>NODEID<TAB>NAME" per interface (NAME as escaped)
	awk '
	/^\tsubgraph cluster_/ { ino = "" }
	/^\t\ttooltip="netns [0-9]+/ { match($0, /netns [0-9]+/); ino = substr($0, RSTART + 6, RLENGTH - 6) }
	/^\t\tn[0-9]+ \[label=<<B>/ {
		id = $1; sub(/^[ \t]+/, "", id)
		s = index($0, "<B>") + 3; e = index($0, "</B>")
		print ino "\t" id "\t" substr($0, s, e - s)
	}' "$1"
}
node_id() {	# node_id FILE INODE ESCAPED-NAME: the node's id, or nothing
	dot_nodes "$1" | I="$2" N="$3" awk -F'\t' '$1 == ENVIRON["I"] && $3 == ENVIRON["N"] { print $2 }'
}
has_cluster() {	# has_cluster FILE INODE: 1 when a cluster of that namespace is drawn
	grep -c "^	*tooltip=\"netns $2[\" ]" "$1"
}
edge_line() {	# edge_line FILE ID-A ID-B: the edge line between two nodes (either way)
	[ -n "$2" ] && [ -n "$3" ] && grep -E "^	($2 -> $3|$3 -> $2) \[" "$1"
}
dot_clean() {	# dot_clean NAME FILE: dot -Tsvg exits 0 with nothing on stderr
	local err rc
	err=$(dot -Tsvg "$2" -o /dev/null 2>&1); rc=$?
	check_eq "$1: dot -Tsvg exit" 0 "$rc"
	check_eq "$1: dot -Tsvg stderr empty" "" "$err"
}

# ---- DOT -------------------------------------------------------------------------------

G=$TMP/g.dot
"$VETHMAP" graph --db "$DB" -T dot -o "$G" 2>"$TMP/g.err"
check_eq "graph -T dot exit" 0 "$?"
check_eq "graph -T dot stderr empty" "" "$(cat "$TMP/g.err")"
check_eq "output mode 0600" 600 "$(stat -c %a "$G" 2>/dev/null)"
check_eq "no temp file left" "" "$(find "$TMP" -maxdepth 1 -name '*.tmp')"
dot_clean "full graph" "$G"
check_eq "DOT is ASCII or UTF-8 only, no control bytes" 0 \
	"$(tr -d '\t\n' <"$G" | LC_ALL=C grep -c '[[:cntrl:]]')"

E_HQ="${PFX}&quot;&lt;&amp;\$;"
E_HB="${PFX}\\\\b"
E_HX="${PFX}\\\\x01$(printf '\303\251')\\\\x7f\\\\xff"
E_NQ="${PFX}q&quot;&lt;&amp;\$;\\\\"
for x in "$H ${BR}" "$H ${PFX}h1" "$H ${PFX}h2" "$H ${PFX}h3" "$H ${PFX}lw" "$C1 eth0" \
	"$C1 ${PFX}mv" "$C2 eth0" "$C3 eth0" "$NB nbr0" "$NB p1" "$NB up0" "$H $E_HQ" \
	"$Q $E_HB" "$H $E_HX" "$LONE eth9" "$LONE l0"; do
	check_eq "node ${x#* } in netns ${x%% *}" 1 "$(node_id "$G" "${x%% *}" "${x#* }" | wc -l)"
done
check_eq "hostile netns name in its cluster label" 1 \
	"$(grep -cF "label=<<B>$E_NQ</B>" "$G")"
check_eq "no loopback node" 0 "$(dot_nodes "$G" | awk -F'\t' '$3 == "lo"' | wc -l)"

nid() { node_id "$G" "$1" "$2"; }
l=$(edge_line "$G" "$(nid "$H" "${PFX}h1")" "$(nid "$C1" eth0)")
check_eq "veth host:h1 - c1:eth0 drawn once" 1 "$(printf '%s' "$l" | grep -c .)"
check "veth edge bold with its id" grep -qE 'tooltip="e[0-9]+ veth".*style=bold' <<<"$l"
l=$(edge_line "$G" "$(nid "$H" "$E_HQ")" "$(nid "$Q" "$E_HB")")
check "veth between the hostile names, bold" grep -qE 'tooltip="e[0-9]+ veth".*style=bold' <<<"$l"
l=$(edge_line "$G" "$(nid "$NB" p1)" "$(nid "$C3" eth0)")
check "veth nb:p1 - c3:eth0 bold" grep -q 'style=bold' <<<"$l"
l=$(edge_line "$G" "$(nid "$H" "$BR")" "$(nid "$H" "${PFX}h2")")
check "bridge membership edge, plain" grep -qE 'tooltip="e[0-9]+ bridge"\]' <<<"$l"
l=$(edge_line "$G" "$(nid "$NB" nbr0)" "$(nid "$NB" p1)")
check "bridge membership inside nb" grep -q 'bridge"' <<<"$l"
l=$(edge_line "$G" "$(nid "$H" "${PFX}lw")" "$(nid "$C1" "${PFX}mv")")
check "lower edge macvlan -> host veth, dashed" grep -qE 'tooltip="e[0-9]+ lower".*style=dashed' <<<"$l"
check "bridge node is a filled box" grep -qE "^		$(nid "$H" "$BR") \[.*shape=box, style=\"filled,bold\"" "$G"
check "address in the interface label" grep -q '<B>eth0</B>.*10\.231\.1\.2/24' "$G"
# edge ids are the ones 'vethmap show' prints
e=$(printf '%s' "$(edge_line "$G" "$(nid "$H" "${PFX}h1")" "$(nid "$C1" eth0)")" |
	sed -n 's/.*id="\(e[0-9]*\)".*/\1/p')
check "edge id $e is the one show prints for ${PFX}h1" \
	grep -qE "^  ${PFX}h1 +veth +[a-z]+ +$e " <<<"$("$VETHMAP" show --db "$DB")"

# ---- SVG and PNG, rendered in-process ----------------------------------------------------

"$VETHMAP" graph --db "$DB" -T svg -o "$TMP/g.svg" 2>"$TMP/svg.err"
check_eq "graph -T svg exit" 0 "$?"
check_eq "graph -T svg stderr empty" "" "$(cat "$TMP/svg.err")"
check "SVG is well-formed XML" xmllint --noout "$TMP/g.svg"
for n in "${PFX}c1" "${PFX}h1" "$BR" nbr0 "${PFX}&quot;&lt;&amp;\$;" "${PFX}q&quot;&lt;&amp;\$;"; do
	check "SVG has $n" grep -qF ">$n" "$TMP/g.svg"
done
check "SVG has ${PFX}\\b" grep -qE ">${PFX}\\\\{1,2}b<" "$TMP/g.svg"

"$VETHMAP" graph --db "$DB" -T png -o "$TMP/g.png" 2>"$TMP/png.err"
check_eq "graph -T png exit" 0 "$?"
check_eq "graph -T png stderr empty" "" "$(cat "$TMP/png.err")"
check_eq "PNG magic" "89504e470d0a1a0a" "$(head -c 8 "$TMP/g.png" | od -An -tx1 | tr -d ' \n')"
"$VETHMAP" graph --db "$DB" -o "$TMP/s.png" 2>/dev/null
check_eq "-o x.png without -T writes PNG" "89504e470d0a1a0a" \
	"$(head -c 8 "$TMP/s.png" | od -An -tx1 | tr -d ' \n')"
check_eq "stdout by default is DOT" "digraph vethmap {" \
	"$("$VETHMAP" graph --db "$DB" 2>/dev/null | head -n 1)"

# ---- --focus ------------------------------------------------------------------------------

F=$TMP/f.dot
"$VETHMAP" graph --db "$DB" --focus "${PFX}c1" -o "$F" 2>"$TMP/f.err"
check_eq "focus c1: exit" 0 "$?"
dot_clean "focus c1" "$F"
for x in "$C1 eth0" "$C1 ${PFX}mv" "$H ${PFX}h1" "$H $BR" "$H ${PFX}lw"; do
	check_eq "focus c1: has ${x#* }" 1 "$(node_id "$F" "${x%% *}" "${x#* }" | wc -l)"
done
for x in "$C2 c2" "$LONE lone" "$NB nb" "$C3 c3" "$Q hostile-netns"; do
	check_eq "focus c1: no ${x#* } cluster" 0 "$(has_cluster "$F" "${x%% *}")"
done
check_eq "focus c1: no ${PFX}h2" "" "$(node_id "$F" "$H" "${PFX}h2")"
check_eq "focus c1: no ${PFX}lx" "" "$(node_id "$F" "$H" "${PFX}lx")"

"$VETHMAP" graph --db "$DB" --focus "$BR" -o "$F" 2>"$TMP/f.err"
check_eq "focus bridge: exit" 0 "$?"
dot_clean "focus bridge" "$F"
for x in "$C1 eth0" "$C2 eth0" "$NB up0" "$NB nbr0" "$Q $E_HB" "$H ${PFX}h3"; do
	check_eq "focus bridge: has ${x#* }" 1 "$(node_id "$F" "${x%% *}" "${x#* }" | wc -l)"
done
check_eq "focus bridge: no lone cluster" 0 "$(has_cluster "$F" "$LONE")"
check_eq "focus bridge: no c3 cluster (behind nb's bridge)" 0 "$(has_cluster "$F" "$C3")"
check_eq "focus bridge: no ${PFX}lw" "" "$(node_id "$F" "$H" "${PFX}lw")"

"$VETHMAP" graph --db "$DB" --focus "$PFX$NQ" -T svg -o "$TMP/f.svg" 2>"$TMP/f.err"
check_eq "focus hostile netns, svg: exit" 0 "$?"
check "focus hostile netns, svg: well-formed" xmllint --noout "$TMP/f.svg"

# ---- alike namespaces: one node unless --expand ------------------------------------------

gn=$(grep -E '^	gn[0-9]+ \[label=<<B>4 namespaces</B>' "$G")
check_eq "alike: one node for a1 a2 a3 a<&" 1 "$(printf '%s' "$gn" | grep -c .)"
check "alike: its label names the first and the last, escaped" \
	grep -qF "${PFX}a1, ${PFX}a2, ${PFX}a3, ${PFX}a&lt;&amp;</FONT>" <<<"$gn"
check "alike: its label counts the interfaces" grep -qF '4 interfaces: eth0 (veth)' <<<"$gn"
for k in 0 1 2 3; do
	check_eq "alike: no cluster of netns ${A[$k]}" 0 "$(has_cluster "$G" "${A[$k]}")"
done
check_eq "alike: no node ${PFX}ah1 in the host" "" "$(nid "$H" "${PFX}ah1")"
g=${gn%% *}; g=${g#	gn}
check "alike: host ends as one node gh$g" grep -qE "^		gh$g \[label=<<B>4 veths</B>" "$G"
check "alike: bridge -> host ends" grep -qE "^	$(nid "$H" "$AB") -> gh$g \[" "$G"
check "alike: host ends -> namespaces, bold" grep -qE "^	gh$g -> gn$g \[.*style=bold" "$G"
check_eq "alike: c2 and the hostile netns (not alike: states differ, 2 < 3) drawn as they are" \
	11 "$(has_cluster "$G" "$C2")$(has_cluster "$G" "$Q")"
"$VETHMAP" graph --db "$DB" -T dot -o "$TMP/g2.dot" 2>/dev/null
check "alike: the same output twice, byte for byte" cmp -s "$G" "$TMP/g2.dot"

X=$TMP/x.dot
"$VETHMAP" graph --db "$DB" --expand -o "$X" 2>"$TMP/x.err"
check_eq "--expand: exit" 0 "$?"
dot_clean "--expand" "$X"
check_eq "--expand: no collapsed node" 0 "$(grep -cE '^	+g[nh][0-9]+ \[' "$X")"
for k in 0 1 2 3; do
	check_eq "--expand: eth0 in netns ${A[$k]}" 1 "$(node_id "$X" "${A[$k]}" eth0 | wc -l)"
done
check_eq "--expand: node ${PFX}ah4 in the host" 1 "$(node_id "$X" "$H" "${PFX}ah4" | wc -l)"
"$VETHMAP" graph --db "$DB" -T svg -o "$TMP/g.svg" 2>"$TMP/svg.err"
check "alike: SVG has the collapsed node" grep -qF ">4 namespaces<" "$TMP/g.svg"

"$VETHMAP" graph --db "$DB" --focus "${PFX}a1" -o "$F" 2>"$TMP/f.err"
check_eq "focus a1 (one of the alike): exit" 0 "$?"
check_eq "focus a1: its cluster is drawn" 1 "$(has_cluster "$F" "${A[0]}")"
check_eq "focus a1: eth0 drawn" 1 "$(node_id "$F" "${A[0]}" eth0 | wc -l)"
check_eq "focus a1: no collapsed node" 0 "$(grep -cE '^	+g[nh][0-9]+ \[' "$F")"

# ---- errors ---------------------------------------------------------------------------------

err_case() {	# err_case NAME WANT-EXIT WANT-LINES ARGS...: exit status and stderr line count
	local name=$1 want=$2 lines=$3 rc; shift 3
	"$VETHMAP" graph "$@" >"$TMP/e.out" 2>"$TMP/e.err"; rc=$?
	check_eq "$name: exit $want" "$want" "$rc"
	[ "$lines" = - ] || check_eq "$name: $lines line(s) on stderr" "$lines" "$(wc -l <"$TMP/e.err")"
	check_eq "$name: nothing on stdout" 0 "$(wc -c <"$TMP/e.out")"
}
err_case "unknown --scan" 1 1 --db "$DB" --scan 999
err_case "database that does not exist" 1 1 --db "$TMP/none.db"
: >"$TMP/empty.db"
err_case "empty database file" 1 1 --db "$TMP/empty.db"
err_case "unknown focus" 2 - --db "$DB" --focus "${PFX}nosuch"
check "unknown focus: says so" grep -q "unknown target '${PFX}nosuch'" "$TMP/e.err"
err_case "bad option" 2 - --db "$DB" --bogus
err_case "bad format" 2 - --db "$DB" -T gif
err_case "bad scan id" 2 - --db "$DB" --scan x
err_case "stray argument" 2 - --db "$DB" extra
mkdir "$TMP/adir"
err_case "-o names a directory" 1 1 --db "$DB" -o "$TMP/adir"
check_eq "-o directory: no temp file left" "" "$(find "$TMP" -maxdepth 1 -name '*.tmp')"
err_case "-o in a missing directory" 1 1 --db "$DB" -o "$TMP/no/g.dot"
"$VETHMAP" graph --db "$DB" -T svg -o /dev/null 2>"$TMP/e.err"
check_eq "-o /dev/null: exit 0, nothing on stderr" "0:" "$?:$(cat "$TMP/e.err")"
check "-o /dev/null: still a character device" test -c /dev/null
printf 'old\n' >"$TMP/old.dot"
chmod 644 "$TMP/old.dot"
"$VETHMAP" graph --db "$DB" -o "$TMP/old.dot" 2>/dev/null
check_eq "existing file replaced" "digraph vethmap {" "$(head -n 1 "$TMP/old.dot")"
check_eq "replaced file is 0600" 600 "$(stat -c %a "$TMP/old.dot")"
