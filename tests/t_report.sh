#!/bin/bash
# vethmap report: one real fixture per audit rule, built with ip(8) and bridge(8), scanned,
# reported, and checked with xmllint: the report is valid against the schema, each rule
# fires on the objects of its fixture, a clean fixture draws no finding, the HTML page
# parses, hostile names stay valid, and bad arguments fail with one line.
# Container rules (container-host-network, netns-shared) are covered in tests/unit.
# Only objects named with our $PFX are asserted about: other tests may run at the same time.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap
for tool in xmllint bridge python3 sqlite3; do
	command -v $tool >/dev/null || { skip "${0##*/}" "$tool not installed"; exit 0; }
done

XSD=schema/vethmap-report.xsd
R=$TMP/r.xml
export VETHMAP_DATADIR=$PWD/reports	# this tree's stylesheet, not an installed one

fail() { not_ok "fixture: $1" "${2:-ip failed}"; exit 1; }

_has_pids() { [ -n "$(ip netns pids "$1" 2>/dev/null)" ]; }

# ns_proc NAME: a process in netns $PFX$NAME, so it is not "leaked"
ns_proc() {
	ip netns exec "$PFX$1" sleep 600 &
	bg_pid $!
	wait_for 10 _has_pids "$PFX$1" || fail "process in $PFX$1"
}

# ns_veth NAME HOSTEND: netns $PFX$NAME (with a process) holding eth0, whose peer HOSTEND
# is in our namespace; both up, lo up
ns_veth() {
	ns_add "$1"
	ip link add "$2" type veth peer name eth0 netns "$PFX$1" &&
	ip -n "$PFX$1" link set lo up &&
	ip -n "$PFX$1" link set eth0 up &&
	ip link set "$2" up || fail "veth $2"
	ns_proc "$1"
}

# -- the clean fixture: netns + veth to a bridge, MTUs agree, all up, addresses
ip link add "${PFX}bok" type bridge && ip link set "${PFX}bok" up || fail "bridge bok"
ns_veth ok "${PFX}ok0"
ip link set "${PFX}ok0" master "${PFX}bok" &&
ip addr add 10.231.0.1/24 dev "${PFX}bok" &&
ip -n "${PFX}ok" addr add 10.231.0.2/24 dev eth0 || fail "clean addresses"

# -- a shared bridge for the faults that concern one port or one veth
ip link add "${PFX}b1" type bridge && ip link set "${PFX}b1" up || fail "bridge b1"
# veth-mtu-mismatch
ns_veth mt "${PFX}mt0"
ip link set "${PFX}mt0" master "${PFX}b1" && ip -n "${PFX}mt" link set eth0 mtu 1400 ||
	fail "mtu"
# veth-down-peer-up
ns_veth dn "${PFX}dn0"
ip link set "${PFX}dn0" master "${PFX}b1" && ip -n "${PFX}dn" link set eth0 down || fail "down"
# bridge-hairpin
ip link add "${PFX}hp" type ifb && ip link set "${PFX}hp" master "${PFX}b1" &&
bridge link set dev "${PFX}hp" hairpin on || fail "hairpin"

# bridge-mtu-mismatch: two ports of one bridge with different MTUs
ip link add "${PFX}bm" type bridge &&
ip link add "${PFX}bm1" type ifb && ip link add "${PFX}bm2" type ifb &&
ip link set "${PFX}bm2" mtu 1400 &&
ip link set "${PFX}bm1" master "${PFX}bm" && ip link set "${PFX}bm2" master "${PFX}bm" ||
	fail "bridge mtu"
# promisc-not-bridged
ip link add "${PFX}pr" type ifb && ip link set "${PFX}pr" promisc on || fail "promisc"
# host-veth-unattached
ns_veth un "${PFX}un0"
# bridge-no-ports
ip link add "${PFX}be" type bridge || fail "empty bridge"
# netns-leaked: held by its bind mount only
ns_add lk
LK=$(ns_ino lk)

# mac-duplicate-in-domain and ip-duplicate-in-domain: two netns on one bridge, same
# MAC and same address (different prefix) on both eth0
ip link add "${PFX}bd" type bridge && ip link set "${PFX}bd" up || fail "bridge bd"
for i in 1 2; do
	ns_veth "d$i" "${PFX}d${i}h"
	ip link set "${PFX}d${i}h" master "${PFX}bd" &&
	ip -n "${PFX}d$i" link set eth0 address 02:5e:7a:de:ad:01 &&
	ip -n "${PFX}d$i" addr add "10.232.0.5/$((22 + i))" dev eth0 || fail "duplicates $i"
done

# veth-peer-unresolved: the peer's netns is held only by a socket of a process that
# left it, and its bind mount is gone, so no scan can find it
ns_add ur
ip link add "${PFX}ur0" type veth peer name eth0 netns "${PFX}ur" && ip link set "${PFX}ur0" up ||
	fail "veth ur"
python3 - "/run/netns/${PFX}ur" "$TMP/ur.ready" "$TMP/stop" <<'EOF' &
import ctypes, os, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
host = os.open("/proc/self/ns/net", os.O_RDONLY)
ns = os.open(sys.argv[1], os.O_RDONLY)
if libc.setns(ns, 0x40000000):
    sys.exit("setns in: errno %d" % ctypes.get_errno())
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if libc.setns(host, 0x40000000):
    sys.exit("setns back: errno %d" % ctypes.get_errno())
os.close(ns)
os.close(host)
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.1)
EOF
bg_loop $!
wait_for 10 test -e "$TMP/ur.ready" || fail "socket holder"
UR=$(ns_ino ur)
ip netns del "${PFX}ur" || fail "netns del ur"

# hostile names: markup and shell characters, a control character and invalid UTF-8
HQ="${PFX}q<&\"'\$"
HC="${PFX}"$'\x01\xff'
HCX="${PFX}\\x01\\xff"		# as the report writes it
ip link add "$HQ" type bridge && ip link add "$HC" type bridge || fail "hostile names"
ns_add "n<&'\"\$"

# -- scan and report
# A scan running elsewhere at the same time (another test) holds an fd to every namespace,
# ours too, and so shows the hidden one to this scan: scan again until it is hidden.
xp() { xmllint --xpath "$1" "$R" 2>/dev/null; }
for S1 in 1 2 3 4 5 6 7 8 9 10; do
	"$VETHMAP" scan --db "$DB" >/dev/null 2>"$TMP/scan.err" ||
		fail "scan" "$(head -c 300 "$TMP/scan.err")"
	"$VETHMAP" report --db "$DB" -o "$R" 2>"$TMP/err"
	RC=$?
	[ $RC -ne 0 ] && break
	[ "$(xp "count(//netns[@inode='$UR'])")" = 0 ] && break
	sleep 0.5
done
check_eq "report exits 0" "0" "$RC"
check_eq "report: nothing on stderr" "" "$(cat "$TMP/err")"
check "report valid against $XSD" xmllint --noout --schema "$XSD" "$R"
check_eq "report file mode 0600" 600 "$(stat -c %a "$R" 2>/dev/null)"
check_eq "no temporary file left" "" "$(compgen -G "$TMP/*.tmp")"

check_eq "scan id, tool version" "$S1 $("$VETHMAP" --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -1)" \
	"$(xp 'string(/vethmap-report/scan/@id)') $(xp 'string(/vethmap-report/scan/@version)')"
check_eq "summary adds up" "$(xp 'count(//finding)')" "$(xp 'sum(//summary/count)')"
check_eq "previous scan" "$((S1 - 1))" "$(xp 'number(concat("0", //changes/@previous-scan))')"

# finding RULE SEVERITY OBJECT...: exactly one finding of RULE with these objects
finding() {
	local rule=$1 sev=$2 pred="" o
	shift 2
	for o in "$@"; do
		pred+="[object='$o']"
	done
	check_eq "$rule on ${*}" "1 $sev" \
		"$(xp "count(//finding[@rule='$rule']$pred)") $(xp "string(//finding[@rule='$rule']$pred/@severity)")"
}

finding veth-mtu-mismatch warning "host:${PFX}mt0" "${PFX}mt:eth0"
check_eq "veth-mtu-mismatch evidence" "${PFX}mt:eth0 mtu=1400" \
	"$(xp "string(//finding[@rule='veth-mtu-mismatch'][object='host:${PFX}mt0']/evidence[contains(., '1400')])")"
finding veth-down-peer-up warning "${PFX}dn:eth0" "host:${PFX}dn0"
finding bridge-hairpin info "host:${PFX}hp" "host:${PFX}b1"
finding bridge-mtu-mismatch warning "host:${PFX}bm" "host:${PFX}bm1" "host:${PFX}bm2"
finding promisc-not-bridged warning "host:${PFX}pr"
finding host-veth-unattached warning "host:${PFX}un0" "${PFX}un:eth0"
finding bridge-no-ports info "host:${PFX}be"
finding netns-leaked warning "netns:$LK"
check_eq "netns-leaked evidence names the bind mount" 1 \
	"$(xp "count(//finding[@rule='netns-leaked'][object='netns:$LK']/evidence[.='name=/run/netns/${PFX}lk'])")"
finding mac-duplicate-in-domain error "${PFX}d1:eth0" "${PFX}d2:eth0"
finding ip-duplicate-in-domain error "${PFX}d1:eth0" "${PFX}d2:eth0"
check_eq "ip-duplicate evidence without prefix" 1 \
	"$(xp "count(//finding[@rule='ip-duplicate-in-domain'][object='${PFX}d1:eth0']/evidence[.='${PFX}d2:eth0 addr=10.232.0.5'])")"
if [ "$(xp "count(//netns[@inode='$UR'])")" = 0 ]; then
	finding veth-peer-unresolved error "host:${PFX}ur0"
	check_eq "unresolved end listed in the inventory" 1 \
		"$(xp "count(//unresolved[@ref='host:${PFX}ur0'])")"
else
	skip "veth-peer-unresolved on host:${PFX}ur0" "other processes kept showing the hidden netns"
fi

# the faults' own objects draw nothing else: e.g. the bridge of the duplicates is fine
check_eq "no finding on the bridge of the duplicates" 0 \
	"$(xp "count(//finding[object='host:${PFX}bd'])")"

# the clean fixture draws no finding at all, not even an info
OK=$(ns_ino ok)
ours="[.='host:${PFX}bok' or .='host:${PFX}ok0' or starts-with(., '${PFX}ok:') or .='netns:$OK']"
check_eq "clean fixture: no finding on its objects" 0 "$(xp "count(//finding[object$ours])")"
check_eq "clean fixture: host end inventoried with peer and master" 1 \
	"$(xp "count(//interface[@ref='host:${PFX}ok0'][@peer-ref='${PFX}ok:eth0'][@master-name='${PFX}bok'])")"
check_eq "clean fixture: bridge edge" 1 \
	"$(xp "count(//edge[@type='bridge'][@a-ref='host:${PFX}ok0'][@b-ref='host:${PFX}bok'])")"
check_eq "clean fixture: netns with its process" 1 "$(xp "count(//netns[@inode='$OK'][pids])")"
check_eq "host lo draws nothing" 0 "$(xp "count(//finding[object='host:lo'])")"
DEFDEV=$(ip route show default 2>/dev/null |
	awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
if [ -n "$DEFDEV" ]; then
	check_eq "host $DEFDEV (default route) draws no warning or error" 0 \
		"$(xp "count(//finding[@severity!='info'][object='host:$DEFDEV'])")"
else
	skip "host default-route interface draws nothing" "no default route"
fi

# hostile names round-trip, cleaned
check_eq "hostile name kept" "$HQ" "$(xp "string(//interface[starts-with(@name, '${PFX}q<')]/@name)")"
check_eq "control and invalid UTF-8 bytes written as \\xNN" "$HCX" \
	"$(xp "string(//interface[starts-with(@name, '${PFX}\\x01')]/@name)")"
check_eq "hostile names in findings" 2 \
	"$(xp "count(//finding[@rule='bridge-no-ports'][object='host:$HCX' or starts-with(object, 'host:${PFX}q<&')])")"
check_eq "hostile netns name in evidence" 1 \
	"$(xp "count(//finding[@rule='netns-leaked']/evidence[starts-with(., 'name=/run/netns/${PFX}n<&')])")"

# -- HTML
"$VETHMAP" report --db "$DB" --format html -o "$TMP/r.html" 2>"$TMP/err"
check_eq "html: exits 0" "0 " "$? $(cat "$TMP/err")"
check "html: xmllint --html accepts it" xmllint --html --noout "$TMP/r.html"
missing=""
for rule in veth-peer-unresolved veth-mtu-mismatch bridge-mtu-mismatch veth-down-peer-up \
	promisc-not-bridged host-veth-unattached bridge-no-ports netns-leaked \
	mac-duplicate-in-domain ip-duplicate-in-domain bridge-hairpin; do
	grep -q -- "$rule" "$TMP/r.html" 2>/dev/null || missing+=" $rule"
done
check_eq "html: names every rule that fired" "" "$missing"
check_eq "html: file mode 0600" 600 "$(stat -c %a "$TMP/r.html" 2>/dev/null)"
VETHMAP_DATADIR=$TMP/none "$VETHMAP" report --db "$DB" --format html --xsl reports/report.xsl \
	>"$TMP/stdout.html" 2>"$TMP/err"
check_eq "html to stdout, stylesheet from --xsl" "0 " "$? $(cat "$TMP/err")"
check "html on stdout parses" xmllint --html --noout "$TMP/stdout.html"

# -- a second scan, after adding a bridge: changes are against the first
ip link add "${PFX}chg" type bridge || fail "bridge chg"
"$VETHMAP" scan --db "$DB" >/dev/null 2>&1
"$VETHMAP" report --db "$DB" >"$TMP/r2.xml" 2>"$TMP/err"
check_eq "report on stdout exits 0" "0 " "$? $(cat "$TMP/err")"
check "report on stdout valid" xmllint --noout --schema "$XSD" "$TMP/r2.xml"
check_eq "next scan: changes since the one before" "$((S1 + 1)) $S1" \
	"$(xmllint --xpath 'string(//scan/@id)' "$TMP/r2.xml") $(xmllint --xpath 'string(//changes/@previous-scan)' "$TMP/r2.xml")"
check_eq "next scan: the new bridge is a change" 1 \
	"$(xmllint --xpath "count(//change[@op='+'][@kind='interface'][@object='host:${PFX}chg'])" "$TMP/r2.xml")"
"$VETHMAP" report --db "$DB" --scan 1 -o "$R"
check_eq "--scan 1" "1 0" "$(xp 'string(//scan/@id)') $(xp 'count(//changes/@previous-scan)')"

# -- errors: one line, exit 1 (2 for usage)
errcase() {	# errcase NAME EXPECTED-RC ARGS...
	local name=$1 want=$2 rc
	shift 2
	"$VETHMAP" report "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?
	check_eq "$name: exit $want" "$want" "$rc"
	check_eq "$name: one line on stderr, nothing on stdout" "1 0" \
		"$(wc -l <"$TMP/err") $(wc -c <"$TMP/out")"
}
errcase "unknown --scan" 1 --db "$DB" --scan 999
if grep -q "999" "$TMP/err"; then ok "unknown --scan: message names the id"
else not_ok "unknown --scan: message names the id" "$(cat "$TMP/err")"
fi
sqlite3 "$TMP/empty.db" <schema/vethmap.sql
errcase "empty database" 1 --db "$TMP/empty.db"
errcase "missing database" 1 --db "$TMP/nothing.db"
errcase "unwritable output" 1 --db "$DB" -o "$TMP/no/such/dir/r.xml"
errcase "bad format" 2 --db "$DB" --format pdf
errcase "bad scan id" 2 --db "$DB" --scan x
check_eq "nothing written on errors" "" "$(compgen -G "$TMP/no*")"
