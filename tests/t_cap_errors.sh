#!/bin/bash
# vethmap cap when things go wrong, and what it leaves behind: bad filter, unknown and
# ambiguous targets, -W pcap with two interfaces, not root, the privilege drop (to nobody
# by default, -Z root, -Z USER), the audit rows in the capture table, and an interface that
# disappears mid-capture.
#
# Fixture (10.255.X.0/24, X random; no address on the host, no default route):
#   ns a [va .1] <-veth-> [vb .2] ns b      ns e [ve .5] <-veth-> [vf .6] ns f
#   ns ${PFX}amb and a host bridge ${PFX}amb (one name, two things; no address)
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap
for t in tshark busybox jq sqlite3 setpriv; do
	command -v $t >/dev/null || { skip "${0##*/}" "needs $t"; exit 0; }
done

X=$(($(od -An -N1 -tu1 /dev/urandom | tr -d ' ') % 200 + 20))
NET=10.255.$X

fixture_fail() { not_ok "fixture: $1" "${2:-failed}"; exit 1; }

for n in a b e f; do
	ns_add $n
	ip netns exec "$PFX$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
done
# veth_pair NS1 IF1 ADDR1 NS2 IF2 ADDR2
veth_pair() {
	ip -n "$PFX$1" link add "$2" type veth peer name "$5" netns "$PFX$4" &&
		ip -n "$PFX$1" addr add "$NET.$3/24" dev "$2" &&
		ip -n "$PFX$4" addr add "$NET.$6/24" dev "$5" &&
		ip -n "$PFX$1" link set dev "$2" up &&
		ip -n "$PFX$4" link set dev "$5" up
}
veth_pair a va 1 b vb 2 || fixture_fail "veth a-b"
veth_pair e ve 5 f vf 6 || fixture_fail "veth e-f"
ns_add amb
ip link add "${PFX}amb" type bridge || fixture_fail "host bridge ${PFX}amb"
sysctl -qw "net.ipv6.conf.${PFX}amb.disable_ipv6=1" >/dev/null 2>&1
ip link set "${PFX}amb" up || fixture_fail "host bridge ${PFX}amb up"

ping_ns() {	# ping_ns NS DST COUNT [INTERVAL]: bounded ping from ${PFX}NS
	timeout 15 ip netns exec "$PFX$1" busybox ping -q -c "$3" -i "${4:-0.2}" -W 2 "$2" >/dev/null 2>&1
}
ping_bg() { ping_ns "$@" & PING_PID=$!; bg_pid $PING_PID; }
ping_ns a "$NET.2" 2 || fixture_fail "ping a->b" "no reply"
ping_ns e "$NET.6" 2 || fixture_fail "ping e->f" "no reply"

tsh() {	# tsh FILE ARGS...: tshark -r FILE; stderr minus the root warning into $TMP/tsh.err
	local f=$1 rc; shift
	tshark -r "$f" "$@" 2>"$TMP/tsh.raw"; rc=$?
	grep -v 'Running as user' "$TMP/tsh.raw" >"$TMP/tsh.err"
	return $rc
}
npk() { tsh "$1" -T fields -e frame.number | wc -l; }
errtext() { head -c 400 "$1" | tr '\n' '|'; }
within() { awk -v lo="$1" -v hi="$2" -v x="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }

# _cap_ready nobody|FILE: CAP_PID captures (its Uid is nobody's, or FILE has its header), or
# it has ended (a zombie, not yet waited for)
_cap_ready() {
	local st
	st=$(cat "/proc/$CAP_PID/status" 2>/dev/null) || return 0
	grep -q '^State:[[:space:]]*Z' <<<"$st" && return 0
	st=$(cat "/proc/$(cap_child "$CAP_PID")/status" 2>/dev/null) || return 0
	if [ "$1" = nobody ]; then grep -Eq '^Uid:[[:space:]]+65534[[:space:]]' <<<"$st"
	elif [ "$1" = child ]; then [ "$(cap_child "$CAP_PID")" != "$CAP_PID" ]
	else test -s "$1"
	fi
}
# cap_start NAME READY ARGS...: vethmap cap in the background (stdout/stderr in
# $TMP/NAME.out/.err), CAP_PID, and wait until it captures: READY is "nobody" (its Uid
# became 65534, done after every handle and the output are open), "child" (it forked its
# capturing process: -Z root, -Z USER) or a file that becomes
# non-empty (the file header is written as the capture starts).  Long wait: a scan waits
# for the RTNL lock, which other work on the machine can hold for many seconds.
cap_start() {
	local name=$1 ready=$2; shift 2
	"$VETHMAP" cap --db "$DB" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	CAP_PID=$!
	bg_pid $CAP_PID
	if ! wait_for 60 _cap_ready "$ready" ||
		{ [ "$ready" = nobody ] && ! grep -Eq '^Uid:[[:space:]]+65534[[:space:]]' "/proc/$(cap_child "$CAP_PID")/status"; } ||
		{ [ "$ready" != nobody ] && [ "$ready" != child ] && ! test -s "$ready"; }; then
		not_ok "$name: capture starts" "not capturing after 60 s, or ended first: $(errtext "$TMP/$name.err")"
		return 1
	fi
	CAP_T0=$(date +%s.%N)
}
cap_wait() {	# CAP_RC, CAP_EL (seconds since it was ready)
	wait "$CAP_PID"; CAP_RC=$?
	CAP_EL=$(awk -v a="$CAP_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
}

# cap_fail NAME ARGS...: a capture that must fail before capturing; RC, stderr $TMP/NAME.err
cap_fail() {
	local name=$1; shift
	timeout 120 "$VETHMAP" cap --db "$DB" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"; RC=$?
}

# the audit rows expected in the capture table, one line "target|packets|file|uid|interfaces"
EXPECT=$TMP/expect
: >"$EXPECT"
expect_row() { printf '%s|%s|%s|%s|%s\n' "$@" >>"$EXPECT"; }

"$VETHMAP" scan --db "$DB" >/dev/null 2>"$TMP/scan.err" || fixture_fail "vethmap scan" "$(errtext "$TMP/scan.err")"
SCAN_ID=$(sqlite3 "$DB" 'select max(id) from scan' 2>/dev/null)
J=$TMP/scan.json
"$VETHMAP" show --db "$DB" --json >"$J" 2>/dev/null
EDGE=$(jq -r --argjson na "$(ns_ino a)" --argjson nb "$(ns_ino b)" '
	[.edges[] | select(.type == "veth" and
		((.a.netns == $na and .a.name == "va" and .b.netns == $nb and .b.name == "vb") or
		 (.b.netns == $na and .b.name == "va" and .a.netns == $nb and .a.name == "vb")))]
	| if length == 1 then .[0].id else empty end' "$J" 2>/dev/null)
[ -n "$EDGE" ] || fixture_fail "edge id of the a-b veth" "not in show --json"

# ---- bad filter ----------------------------------------------------------------------
F=$TMP/badfilter.pcapng
cap_fail badfilter "${PFX}a" -d 2 -w "$F" tcp and and
check_eq "bad filter: exit 2" 2 "$RC"
check_eq "bad filter: one line on stderr" 1 "$(grep -c . "$TMP/badfilter.err")"
check "bad filter: stderr names the filter ($(errtext "$TMP/badfilter.err"))" \
	grep -qiE "filter.*'tcp and and'|'tcp and and'.*filter" "$TMP/badfilter.err"
check "bad filter: no file" test ! -e "$F"
cap_fail badfilter2 "${PFX}a" -d 2 -w "$F" 'port 99999999'
check_eq "bad filter (port out of range): exit 2" 2 "$RC"
check "bad filter (port out of range): no file" test ! -e "$F"
# an existing file is not truncated either
echo keep >"$F"
cap_fail badfilter3 "${PFX}a" -d 2 -w "$F" 'nosuchproto'
check_eq "bad filter, existing file: exit 2" 2 "$RC"
check_eq "bad filter, existing file: untouched" keep "$(cat "$F")"
rm -f "$F"

# ---- unknown targets -----------------------------------------------------------------------
F=$TMP/unknown.pcapng
for t in "${PFX}nosuch" "${PFX}a:nosuch" "netns:1" "pid:999999999" "e999999"; do
	cap_fail unknown "$t" -d 2 -w "$F"
	check_eq "unknown target $t: exit 2" 2 "$RC"
	check "unknown target $t: says so ($(errtext "$TMP/unknown.err"))" \
		grep -qiE "unknown target|no edge|no interface" "$TMP/unknown.err"
	check "unknown target $t: no file" test ! -e "$F"
done
cap_fail noif "${PFX}a" -i nosuch -d 2 -w "$F"
check_eq "-i unknown interface: exit 2" 2 "$RC"
check "-i unknown interface: names it ($(errtext "$TMP/noif.err"))" grep -q "nosuch" "$TMP/noif.err"
check "-i unknown interface: no file" test ! -e "$F"
cap_fail unknown-dym "${PFX}nosuch" -d 2
check "unknown target: no packets printed" test ! -s "$TMP/unknown-dym.out"

# ---- ambiguous target: a netns and a host interface of one name ---------------------------------
F=$TMP/amb.pcapng
cap_fail amb "${PFX}amb" -d 2 -w "$F"
check_eq "ambiguous: exit 2" 2 "$RC"
check "ambiguous: says ambiguous" grep -qi ambiguous "$TMP/amb.err"
check "ambiguous: first line says 2 things, no stray errno text ($(head -n 1 "$TMP/amb.err"))" \
	grep -qxE "vethmap: ambiguous target '${PFX}amb': it names 2 things:?" <(head -n 1 "$TMP/amb.err")
check "ambiguous: lists the netns ($(errtext "$TMP/amb.err"))" grep -q "namespace /run/netns/${PFX}amb" "$TMP/amb.err"
check "ambiguous: lists the host interface" grep -qi "host interface" "$TMP/amb.err"
check "ambiguous: no file" test ! -e "$F"
cap_fail amb2 "host:${PFX}amb" -d 300ms -w "$F"
check_eq "host:${PFX}amb resolves the ambiguity (the bridge): exit 0" 0 "$RC"
[ "$RC" = 0 ] && expect_row "host:${PFX}amb" "$(npk "$F")" "$F" 65534 "host:${PFX}amb"
rm -f "$F"

# ---- -W pcap with two interfaces ---------------------------------------------------------
F=$TMP/pcap2.pcap
cap_fail pcap2 "e$EDGE" -d 2 -W pcap -w "$F"
check_eq "-W pcap on edge e$EDGE (2 interfaces): exit 2" 2 "$RC"
check "-W pcap on edge: says pcapng ($(errtext "$TMP/pcap2.err"))" grep -q pcapng "$TMP/pcap2.err"
check "-W pcap on edge: no file" test ! -e "$F"
cap_fail pcap3 "${PFX}a" --both-ends -d 2 -W pcap -w "$F"
check_eq "-W pcap --both-ends: exit 2" 2 "$RC"
check "-W pcap --both-ends: no file" test ! -e "$F"

# ---- not root ------------------------------------------------------------------------------
F=$TMP/nonroot.pcapng
setpriv --reuid=65534 --regid=65534 --clear-groups "$VETHMAP" cap --db "$DB" "${PFX}a" -d 2 -w "$F" \
	>"$TMP/nonroot.out" 2>"$TMP/nonroot.err"; RC=$?
check_eq "not root: exit 1" 1 "$RC"
check_eq "not root: one line on stderr" 1 "$(grep -c . "$TMP/nonroot.err")"
check "not root: names the missing capability ($(errtext "$TMP/nonroot.err"))" grep -qE 'CAP_[A-Z_]+' "$TMP/nonroot.err"
check "not root: no file" test ! -e "$F"

# ---- privilege drop: nobody by default --------------------------------------------------------
F=$TMP/priv.pcapng
if cap_start priv nobody "${PFX}a" -d 3 -w "$F"; then
	st=$(cat "/proc/$(cap_child "$CAP_PID")/status" 2>/dev/null)
	ping_ns a "$NET.2" 4 0.2
	check_eq "drop: Uid real/effective/saved/fs all nobody" "65534 65534 65534 65534" \
		"$(printf '%s\n' "$st" | awk '/^Uid:/ {print $2, $3, $4, $5}')"
	gid=$(id -g nobody)
	check_eq "drop: Gid all nobody's group" "$gid $gid $gid $gid" \
		"$(printf '%s\n' "$st" | awk '/^Gid:/ {print $2, $3, $4, $5}')"
	check_eq "drop: CapEff is 0" 0000000000000000 "$(printf '%s\n' "$st" | awk '/^CapEff:/ {print $2}')"
	check_eq "drop: CapPrm is 0" 0000000000000000 "$(printf '%s\n' "$st" | awk '/^CapPrm:/ {print $2}')"
	check_eq "drop: no root group left" "" "$(printf '%s\n' "$st" | awk '/^Groups:/ {for (i = 2; i <= NF; i++) if ($i == 0) print $i}')"
	cap_wait
	check_eq "drop: exit 0" 0 "$CAP_RC"
	n=$(npk "$F")
	check "drop: still captures as nobody ($n packets)" test "$n" -ge 8
	check "drop: -d 3 lasted about 3 s ($CAP_EL s after start)" within 2.5 4.5 "$CAP_EL"
	check_eq "drop: file owned by root (created before the drop)" 0 "$(stat -c %u "$F")"
	expect_row "${PFX}a" "$n" "$F" 65534 "${PFX}a:va"
fi

# ---- -Z root keeps root -----------------------------------------------------------------------
F=$TMP/zroot.pcapng
if cap_start zroot child "${PFX}a" -Z root -d 2 -w "$F"; then
	st=$(cat "/proc/$(cap_child "$CAP_PID")/status" 2>/dev/null)
	check_eq "-Z root: Uid stays 0" "0 0 0 0" "$(printf '%s\n' "$st" | awk '/^Uid:/ {print $2, $3, $4, $5}')"
	check "-Z root: capabilities kept" test "$(printf '%s\n' "$st" | awk '/^CapEff:/ {print $2}')" != 0000000000000000
	cap_wait
	check_eq "-Z root: exit 0" 0 "$CAP_RC"
	expect_row "${PFX}a" "$(npk "$F")" "$F" 0 "${PFX}a:va"
fi

# ---- -Z USER ---------------------------------------------------------------------------------
if ZU=$(getent passwd daemon | cut -d: -f3) && [ -n "$ZU" ]; then
	ZG=$(getent passwd daemon | cut -d: -f4)
	F=$TMP/zuser.pcapng
	if cap_start zuser child "${PFX}a" -Z daemon -d 2 -w "$F"; then
		sleep 0.2
		st=$(cat "/proc/$(cap_child "$CAP_PID")/status" 2>/dev/null)
		check_eq "-Z daemon: Uid all daemon's" "$ZU $ZU $ZU $ZU" "$(printf '%s\n' "$st" | awk '/^Uid:/ {print $2, $3, $4, $5}')"
		check_eq "-Z daemon: Gid all daemon's" "$ZG $ZG $ZG $ZG" "$(printf '%s\n' "$st" | awk '/^Gid:/ {print $2, $3, $4, $5}')"
		check_eq "-Z daemon: CapEff is 0" 0000000000000000 "$(printf '%s\n' "$st" | awk '/^CapEff:/ {print $2}')"
		cap_wait
		check_eq "-Z daemon: exit 0" 0 "$CAP_RC"
		expect_row "${PFX}a" "$(npk "$F")" "$F" "$ZU" "${PFX}a:va"
	fi
else
	skip "-Z daemon" "no user daemon"
fi
F=$TMP/znouser.pcapng
cap_fail znouser "${PFX}a" -Z "${PFX}nouser" -d 2 -w "$F"
check_eq "-Z unknown user: exit 1" 1 "$RC"
check "-Z unknown user: says so ($(errtext "$TMP/znouser.err"))" grep -q "${PFX}nouser" "$TMP/znouser.err"
check "-Z unknown user: no file" test ! -e "$F"

# ---- an edge capture and a text capture, for the table -------------------------------------------
F=$TMP/edge.pcapng
if cap_start edge nobody "e$EDGE" -c 6 -d 15 -w "$F"; then
	ping_ns a "$NET.2" 10 0.2
	cap_wait
	check_eq "edge e$EDGE -c 6: exit 0" 0 "$CAP_RC"
	check_eq "edge e$EDGE -c 6: 6 packets" 6 "$(npk "$F")"
	expect_row "e$EDGE" 6 "$F" 65534 "$(printf '%s\n' "${PFX}a:va" "${PFX}b:vb" | sort | tr '\n' ' ' | sed 's/ $//')"
fi
if cap_start text nobody "${PFX}b:vb" -c 3 -d 15; then
	ping_ns a "$NET.2" 10 0.2
	cap_wait
	check_eq "text -c 3: exit 0" 0 "$CAP_RC"
	check_eq "text -c 3: 3 lines" 3 "$(grep -c . "$TMP/text.out")"
	expect_row "${PFX}b:vb" 3 "" 65534 "${PFX}b:vb"
fi

# ---- the capture table: one row per successful capture -------------------------------------------
rows=$(sqlite3 -separator '|' "$DB" "select target, packets, coalesce(file, ''), run_uid, interfaces from capture order by id" 2>&1)
# interfaces in a stable order for the comparison
rows=$(printf '%s\n' "$rows" | awk -F'|' 'BEGIN { OFS = "|" } NF >= 5 {
	n = split($5, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	s = ""; for (i = 1; i <= n; i++) s = s (i > 1 ? " " : "") a[i]; $5 = s; print }')
check_eq "capture table: a row per successful capture (target|packets|file|run_uid|interfaces)" \
	"$(cat "$EXPECT")" "$rows"
check_eq "capture table: uid is who ran it (root), whatever -Z said; every row done" \
	"$(grep -c . "$EXPECT") 0 done" \
	"$(sqlite3 "$DB" "select count(*), max(uid), group_concat(distinct state) from capture" 2>&1 | tr '|' ' ')"
check_eq "capture table: every row refers to scan $SCAN_ID" "$(grep -c . "$EXPECT")" \
	"$(sqlite3 "$DB" "select count(*) from capture where scan_id = $SCAN_ID" 2>/dev/null)"
check_eq "capture table: started is ISO-8601 UTC" 0 \
	"$(sqlite3 "$DB" "select count(*) from capture where started not glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'" 2>/dev/null)"
d3=$(sqlite3 "$DB" "select duration_ms from capture where file = '$TMP/priv.pcapng'" 2>/dev/null)
check "capture table: -d 3 recorded as about 3000 ms ($d3)" within 2900 3600 "${d3:-0}"
dc=$(sqlite3 "$DB" "select duration_ms from capture where target = 'e$EDGE'" 2>/dev/null)
check "capture table: -c 6 recorded as shorter than its -d 15 ($dc ms)" within 0 14000 "${dc:-99999}"

# ---- -w - into a reader that is gone: an error said once, not death by SIGPIPE --------------------------
for _ in 1 2 3; do
	timeout 60 "$VETHMAP" cap --db "$DB" "${PFX}a" -d 5 -w - 2>"$TMP/pipe.err" | true
	RC=${PIPESTATUS[0]}
	[ "$RC" = 1 ] || break
done
check_eq "-w - | true: exit 1, not killed by SIGPIPE (141)" 1 "$RC"
check "-w - | true: says the write failed ($(errtext "$TMP/pipe.err"))" grep -qi 'broken pipe' "$TMP/pipe.err"

# ---- the interface disappears mid-capture ----------------------------------------------------------
F=$TMP/gone.pcapng
before=$(sqlite3 "$DB" 'select coalesce(max(id), 0) from capture' 2>/dev/null)
if cap_start gone nobody "${PFX}e" -d 20 -w "$F"; then
	ping_bg e "$NET.6" 40 0.1
	sleep 1
	ip -n "${PFX}e" link del ve
	CAP_T0=$(date +%s.%N)
	cap_wait
	kill "$PING_PID" 2>/dev/null; wait "$PING_PID" 2>/dev/null
	check "gone: vethmap ends within 5 s of the deletion (took $CAP_EL s, exit $CAP_RC)" within 0 5 "$CAP_EL"
	check "gone: a warning on stderr ($(errtext "$TMP/gone.err"))" grep -qiE 'gone|ended|disappear|went down' "$TMP/gone.err"
	tsh "$F" -T fields -e frame.number >"$TMP/gone.n"; rc=$?
	check_eq "gone: tshark -r exit 0" 0 "$rc"
	check_eq "gone: tshark reads with no error" "" "$(cat "$TMP/tsh.err")"
	n=$(grep -c . "$TMP/gone.n")
	check "gone: the packets before the deletion are in the file ($n)" test "$n" -ge 6
	check_eq "gone: capture recorded with its packets" "${PFX}e|$n|$F" \
		"$(sqlite3 -separator '|' "$DB" "select target, packets, file from capture where id > ${before:-0}" 2>&1)"
fi
