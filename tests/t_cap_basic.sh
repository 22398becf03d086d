#!/bin/bash
# vethmap cap with real traffic between namespaces of our own: every kind of target
# (netns name, NETNS:IFNAME, netns:INODE, pid:N, edge eN, --host-side, --both-ends), the
# bounds (-c, -d, SIGINT), a BPF filter, the output formats (pcapng file, -w -, -W pcap,
# text lines), interface names in the file, and the output file's safety (0600, no
# symlinks).
#
# Fixture (10.255.X.0/24, X random; no address on the host, no default route):
#   ns a [va 10.255.X.1] <-veth-> [vb 10.255.X.2] ns b
#   ns c [eth0 10.255.X.3] <-veth-> host ${PFX}hc -- host bridge ${PFX}br (no address)
#   ns d [eth0 10.255.X.4] <-veth-> host ${PFX}hd --/
# Traffic runs only between these namespaces, always bounded in count and time.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap
for t in tshark tcpdump busybox jq; do
	command -v $t >/dev/null || { skip "${0##*/}" "needs $t"; exit 0; }
done
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

X=$(($(od -An -N1 -tu1 /dev/urandom | tr -d ' ') % 200 + 20))
NET=10.255.$X

fixture_fail() { not_ok "fixture: $1" "${2:-failed}"; exit 1; }

for n in a b c d; do
	ns_add $n
	ip netns exec "$PFX$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
	ip -n "$PFX$n" link set lo up
done
ip -n "${PFX}a" link add va type veth peer name vb netns "${PFX}b" &&
	ip -n "${PFX}a" addr add "$NET.1/24" dev va &&
	ip -n "${PFX}b" addr add "$NET.2/24" dev vb &&
	ip -n "${PFX}a" link set va up &&
	ip -n "${PFX}b" link set vb up || fixture_fail "veth a-b"
ip link add "${PFX}br" type bridge || fixture_fail "bridge"
sysctl -qw "net.ipv6.conf.${PFX}br.disable_ipv6=1" >/dev/null 2>&1
i=3
for n in c d; do
	ip link add "${PFX}h$n" type veth peer name eth0 netns "$PFX$n" &&
		sysctl -qw "net.ipv6.conf.${PFX}h$n.disable_ipv6=1" >/dev/null 2>&1 &&
		ip link set "${PFX}h$n" master "${PFX}br" &&
		ip -n "$PFX$n" addr add "$NET.$i/24" dev eth0 &&
		ip -n "$PFX$n" link set eth0 up &&
		ip link set "${PFX}h$n" up || fixture_fail "veth $n-host"
	i=$((i + 1))
done
ip link set "${PFX}br" up || fixture_fail "bridge up"

# ---- helpers ----------------------------------------------------------------------

# ping_ns NS DST COUNT [INTERVAL]: bounded ping from ${PFX}NS (at most 15 s)
ping_ns() {
	timeout 15 ip netns exec "$PFX$1" busybox ping -q -c "$3" -i "${4:-0.2}" -W 2 "$2" >/dev/null 2>&1
}

# ping_bg NS DST COUNT [INTERVAL]: the same in the background; PING_PID
ping_bg() {
	ping_ns "$@" &
	PING_PID=$!
	bg_pid $PING_PID
}

ping_ns a "$NET.2" 2 0.2 || fixture_fail "ping a->b" "no reply"
ping_ns c "$NET.4" 2 0.2 || fixture_fail "ping c->d through ${PFX}br" "no reply (host FORWARD policy?)"

# tsh FILE ARGS...: tshark -r FILE; stderr minus the root warning into $TMP/tsh.err
tsh() {
	local f=$1 rc; shift
	tshark -r "$f" "$@" 2>"$TMP/tsh.raw"; rc=$?
	grep -v 'Running as user' "$TMP/tsh.raw" >"$TMP/tsh.err"
	return $rc
}
npk() {	# npk FILE [DISPLAYFILTER]: number of packets
	if [ -n "${2:-}" ]; then tsh "$1" -Y "$2" -T fields -e frame.number | wc -l
	else tsh "$1" -T fields -e frame.number | wc -l
	fi
}
ifnames() {	# ifnames FILE: interface names that carry packets, sorted, space separated
	tsh "$1" -T fields -e frame.interface_name | sort -u | tr '\n' ' ' | sed 's/ $//'
}
# icmp_set FILE IFNAME: "type id seq" of every ICMP echo seen on that interface, sorted
icmp_set() {
	tsh "$1" -Y "icmp && frame.interface_name == \"$2\"" -T fields \
		-e icmp.type -e icmp.ident -e icmp.seq | sort -u
}
# cap_sum ERRFILE: sum of "N packets captured" over the per-interface lines
cap_sum() {
	sed -n 's/^vethmap: .*: \([0-9]*\) packets captured, .*/\1/p' "$1" | awk '{s += $1} END {print s + 0}'
}

# _cap_ready nobody|FILE: CAP_PID captures (its Uid is nobody's, or FILE has its header), or
# it has ended (a zombie, not yet waited for)
_cap_ready() {
	local st
	st=$(cat "/proc/$CAP_PID/status" 2>/dev/null) || return 0
	grep -q '^State:[[:space:]]*Z' <<<"$st" && return 0
	st=$(cat "/proc/$(cap_child "$CAP_PID")/status" 2>/dev/null) || return 0
	if [ "$1" = nobody ]; then grep -Eq '^Uid:[[:space:]]+65534[[:space:]]' <<<"$st"
	else test -s "$1"
	fi
}
# cap_start NAME ARGS...: vethmap cap ARGS in the background (stdout $TMP/NAME.out or
# $CAP_OUT, stderr $TMP/NAME.err), CAP_PID; returns once it captures: privileges dropped to
# nobody, which happens after every handle and the output are open.  The wait is long: a
# scan's netlink dumps wait for the RTNL lock, which other work on the machine (namespace
# churn) can hold for many seconds.  The bounds under test are measured from here.
cap_start() {
	local name=$1; shift
	"$VETHMAP" cap --db "$DB" "$@" >"${CAP_OUT:-$TMP/$name.out}" 2>"$TMP/$name.err" &
	CAP_PID=$!
	bg_pid $CAP_PID
	# _cap_ready saw the capturing child as nobody, or vethmap already over: a capture
	# bounded by -c may end before anyone looks again (what it captured is checked by the
	# caller; the drop itself by t_privileges.sh)
	if ! wait_for 60 _cap_ready nobody; then
		not_ok "$name: capture starts" "not capturing after 60 s: $(head -c 300 "$TMP/$name.err" | tr '\n' ' ')"
		return 1
	fi
	CAP_T0=$(date +%s.%N)
	sleep 0.1
}
# cap_wait: wait for CAP_PID; CAP_RC its exit status, CAP_EL seconds since it was ready
cap_wait() {
	wait "$CAP_PID"; CAP_RC=$?
	CAP_EL=$(awk -v a="$CAP_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
}
within() {	# within LO HI X: LO <= X <= HI
	awk -v lo="$1" -v hi="$2" -v x="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'
}
errtext() { head -c 300 "$1" | tr '\n' ' '; }

# ---- by netns name, -c exact count --------------------------------------------------
F=$TMP/byname.pcapng
if cap_start byname "${PFX}a" -c 4 -d 15 -w "$F"; then
	ping_ns a "$NET.2" 10 0.2
	cap_wait
	check_eq "netns name: exit 0" 0 "$CAP_RC"
	check_eq "netns name: -c 4 gives exactly 4 packets" 4 "$(npk "$F")"
	check_eq "netns name: tshark reads without error" "" "$(cat "$TMP/tsh.err")"
	check_eq "netns name: interface" "${PFX}a:va" "$(ifnames "$F")"
	check_eq "netns name: stderr count line sums to 4" 4 "$(cap_sum "$TMP/byname.err")"
	check "netns name: stderr line for ${PFX}a:va" grep -q "^vethmap: ${PFX}a:va: 4 packets captured, [0-9]* received by filter, [0-9]* dropped by kernel$" "$TMP/byname.err"
	check_eq "netns name: all packets ICMP" 4 "$(npk "$F" icmp)"
	now=$(date +%s)
	check_eq "netns name: packet times are now (within 60 s)" 4 \
		"$(tsh "$F" -T fields -e frame.time_epoch | awk -v now="$now" '$1 > now - 60 && $1 < now + 60' | wc -l)"
	capinfos -k "$F" >"$TMP/byname.info" 2>/dev/null
	check "netns name: section comment names the target" grep -q "Capture comment: *target: ${PFX}a$" "$TMP/byname.info"
	check "netns name: section comment names the host" grep -q "Capture comment: *host: $(hostname)$" "$TMP/byname.info"
	check "netns name: section comment has the command" grep -q "Capture comment: *command: vethmap cap .*${PFX}a" "$TMP/byname.info"
fi

# ---- -c stops at exactly N (another N, ends well before -d) -------------------------
F=$TMP/count.pcapng
if cap_start count "${PFX}a" -c 7 -d 20 -w "$F"; then
	ping_bg a "$NET.2" 40 0.1
	cap_wait
	kill "$PING_PID" 2>/dev/null; wait "$PING_PID" 2>/dev/null
	check_eq "-c 7: exit 0" 0 "$CAP_RC"
	check_eq "-c 7: exactly 7 packets" 7 "$(npk "$F")"
	check "-c 7: ends long before -d 20 (took $CAP_EL s)" within 0 5 "$CAP_EL"
fi

# ---- NETNS:IFNAME ----------------------------------------------------------------
F=$TMP/nsif.pcapng
if cap_start nsif "${PFX}b:vb" -c 4 -d 15 -w "$F"; then
	ping_ns a "$NET.2" 10 0.2
	cap_wait
	check_eq "NETNS:IFNAME: exit 0" 0 "$CAP_RC"
	check_eq "NETNS:IFNAME: 4 packets" 4 "$(npk "$F")"
	check_eq "NETNS:IFNAME: interface" "${PFX}b:vb" "$(ifnames "$F")"
fi

# ---- netns:INODE -------------------------------------------------------------------
F=$TMP/ino.pcapng
if cap_start ino "netns:$(ns_ino a)" -c 4 -d 15 -w "$F"; then
	ping_ns a "$NET.2" 10 0.2
	cap_wait
	check_eq "netns:INODE: exit 0" 0 "$CAP_RC"
	check_eq "netns:INODE: 4 packets" 4 "$(npk "$F")"
	check_eq "netns:INODE: interface labelled by the netns name" "${PFX}a:va" "$(ifnames "$F")"
fi

# ---- pid:N ---------------------------------------------------------------------------
ip netns exec "${PFX}a" sleep 60 &
SLEEP_PID=$!
bg_pid $SLEEP_PID
in_ns_a() { [ "$(pid_ns_ino "$SLEEP_PID")" = "$(ns_ino a)" ]; }
if wait_for 5 in_ns_a; then
	F=$TMP/pid.pcapng
	if cap_start pid "pid:$SLEEP_PID" -c 4 -d 15 -w "$F"; then
		ping_ns a "$NET.2" 10 0.2
		cap_wait
		check_eq "pid:N: exit 0" 0 "$CAP_RC"
		check_eq "pid:N: 4 packets" 4 "$(npk "$F")"
		check_eq "pid:N: interface" "${PFX}a:va" "$(ifnames "$F")"
	fi
else
	not_ok "fixture: sleep in ${PFX}a" "pid $SLEEP_PID never entered the netns"
fi
kill "$SLEEP_PID" 2>/dev/null; wait "$SLEEP_PID" 2>/dev/null

# ---- edge eN: both ends of the a-b veth ---------------------------------------------
J=$TMP/scan.json
scan_json "$J" || exit 1
INO_A=$(ns_ino a) INO_B=$(ns_ino b)
EDGE=$(jqv "$J" --argjson na "$INO_A" --argjson nb "$INO_B" '
	[.edges[] | select(.type == "veth" and
		((.a.netns == $na and .a.name == "va" and .b.netns == $nb and .b.name == "vb") or
		 (.b.netns == $na and .b.name == "va" and .a.netns == $nb and .a.name == "vb")))]
	| if length == 1 then .[0].id else empty end')
# labels of every interface as the stored scan names them: NETNS label ":" name
"$VETHMAP" show --db "$DB" --json >"$TMP/show.json" 2>"$TMP/show.err" ||
	not_ok "show --json" "$(errtext "$TMP/show.err")"
jq -r '(.netns | map({key: (.inode | tostring), value:
		(if .host then "host"
		 elif (.containers // []) | length > 0 then .containers[0].name // .containers[0]
		 else ([.names[] | select(startswith("/run/netns/")) | ltrimstr("/run/netns/")] + .names + [.inode | tostring])[0]
		 end)}) | from_entries) as $lab
	| .interfaces[] | "\($lab[.netns | tostring]):\(.name)"' "$TMP/show.json" 2>/dev/null | sort -u >"$TMP/labels"
in_show() {	# in_show FILE: every interface name of FILE is a NETNS:IFNAME of show --json
	local n missing=""
	while IFS= read -r n; do
		grep -qxF -- "$n" "$TMP/labels" || missing="$missing $n"
	done < <(tsh "$1" -T fields -e frame.interface_name | sort -u)
	[ -z "$missing" ] || { echo "not in show --json:$missing"; return 1; }
}
check "show --json labels include ${PFX}a:va, ${PFX}b:vb, host:${PFX}hc, ${PFX}c:eth0" \
	bash -c "grep -qxF '${PFX}a:va' '$TMP/labels' && grep -qxF '${PFX}b:vb' '$TMP/labels' &&
		grep -qxF 'host:${PFX}hc' '$TMP/labels' && grep -qxF '${PFX}c:eth0' '$TMP/labels'"

if [ -z "$EDGE" ]; then
	not_ok "edge id of the a-b veth in scan --json" "not found"
else
	check "EDGE column of show prints e$EDGE on va" bash -c \
		"'$VETHMAP' show --db '$DB' | grep -E '^  va +veth .* e$EDGE ' >/dev/null"
	F=$TMP/edge.pcapng
	if cap_start edge "e$EDGE" -d 20 -w "$F"; then
		ping_ns a "$NET.2" 5 0.2
		sleep 0.3
		kill -INT "$CAP_PID"
		cap_wait
		check_eq "edge e$EDGE: exit 0" 0 "$CAP_RC"
		check_eq "edge e$EDGE: tshark reads without error" "" "$(tsh "$F" -q >/dev/null; cat "$TMP/tsh.err")"
		check_eq "edge e$EDGE: two interfaces in the file" 2 \
			"$(capinfos -I "$F" 2>/dev/null | grep -c '^Interface #')"
		check_eq "edge e$EDGE: packets on both ends" "${PFX}a:va ${PFX}b:vb" "$(ifnames "$F")"
		ids_a=$(tsh "$F" -Y "icmp && frame.interface_name == \"${PFX}a:va\"" -T fields -e icmp.ident | sort -u)
		ids_b=$(tsh "$F" -Y "icmp && frame.interface_name == \"${PFX}b:vb\"" -T fields -e icmp.ident | sort -u)
		check "edge e$EDGE: ICMP seen" test -n "$ids_a"
		check_eq "edge e$EDGE: same ICMP ids on both ends" "$ids_a" "$ids_b"
		check_eq "edge e$EDGE: same echo id/seq on both ends" \
			"$(icmp_set "$F" "${PFX}a:va")" "$(icmp_set "$F" "${PFX}b:vb")"
		check_eq "edge e$EDGE: 5 requests + 5 replies per end" 10 "$(icmp_set "$F" "${PFX}a:va" | wc -l)"
		# the two ends' blocks are merged: the file is in time order, as the path goes
		check "edge e$EDGE: the packets of both ends are in time order" bash -c \
			"tshark -r '$F' -T fields -e frame.time_epoch 2>/dev/null | grep . | sort -c -g"
		check_eq "edge e$EDGE: each echo request is at va before vb, each reply at vb before va" \
			"8 ${PFX}a:va|0 ${PFX}b:vb" \
			"$(tsh "$F" -Y icmp -T fields -e icmp.type -e icmp.seq -e frame.interface_name |
				awk -F'\t' '!s[$1 " " $2]++ {print $1 " " $3}' | sort -u -r | paste -sd'|')"
		check "edge e$EDGE: interface names match show --json" in_show "$F"
	fi
fi

# ---- --host-side on c: the host end of its veth ---------------------------------------
F=$TMP/hostside.pcapng
if cap_start hostside "${PFX}c" --host-side -d 20 -w "$F"; then
	ping_ns c "$NET.4" 5 0.2
	sleep 0.3
	kill -INT "$CAP_PID"
	cap_wait
	check_eq "--host-side: exit 0" 0 "$CAP_RC"
	check_eq "--host-side: only the host end" "host:${PFX}hc" "$(ifnames "$F")"
	check_eq "--host-side: the 5 echo requests and replies" 10 "$(icmp_set "$F" "host:${PFX}hc" | wc -l)"
	check "--host-side: interface names match show --json" in_show "$F"
fi

# ---- --both-ends on c: the same packets at both ends ------------------------------------
F=$TMP/both.pcapng
if cap_start both "${PFX}c" --both-ends -d 20 -w "$F"; then
	ping_ns c "$NET.4" 5 0.2
	sleep 0.3
	kill -INT "$CAP_PID"
	cap_wait
	check_eq "--both-ends: exit 0" 0 "$CAP_RC"
	check_eq "--both-ends: both ends carry packets" "host:${PFX}hc ${PFX}c:eth0" "$(ifnames "$F")"
	set_c=$(icmp_set "$F" "${PFX}c:eth0")
	check_eq "--both-ends: 5 requests + 5 replies inside" 10 "$(printf '%s\n' "$set_c" | grep -c .)"
	check_eq "--both-ends: same ICMP type/id/seq on both ends" "$set_c" "$(icmp_set "$F" "host:${PFX}hc")"
	check "--both-ends: interface names match show --json" in_show "$F"
fi
# ---- --both-ends as text lines (immediate mode), merged in time order -------------------
if CAP_OUT=$TMP/bothtext.out cap_start bothtext "${PFX}c" --both-ends -d 20; then
	ping_ns c "$NET.4" 5 0.2
	sleep 0.3
	kill -INT "$CAP_PID"
	cap_wait
	check_eq "--both-ends text: exit 0" 0 "$CAP_RC"
	check_eq "--both-ends text: 5 requests and 5 replies at each end" "10 10" \
		"$(grep -c " ${PFX}c:eth0 $NET\.[34] > $NET\.[34]: ICMP echo" "$TMP/bothtext.out") $(grep -c " host:${PFX}hc $NET\.[34] > $NET\.[34]: ICMP echo" "$TMP/bothtext.out")"
	check "--both-ends text: the lines are in time order" sort -c -s -k1,1 "$TMP/bothtext.out"
	check_eq "--both-ends text: each request inside before the host end, each reply after" \
		"reply host:${PFX}hc|request ${PFX}c:eth0" \
		"$(awk '/ICMP echo/ { t = $0; sub(/.*ICMP echo /, "", t); sub(/,.*/, "", t)
			seq = $0; sub(/.*seq /, "", seq); sub(/,.*/, "", seq)
			if (!s[t " " seq]++) print t " " $2 }' "$TMP/bothtext.out" | sort -u | paste -sd'|')"
fi

# ---- -d 2 ends in about 2 s (from the start of the capture, not of the scan) -----------
F=$TMP/dur.pcapng
if cap_start dur "${PFX}a" -d 2 -w "$F"; then
	cap_wait
	check_eq "-d 2: exit 0" 0 "$CAP_RC"
	check "-d 2: capture ends 2 s after it starts (took $CAP_EL s)" within 1.8 3.5 "$CAP_EL"
	check "-d 2: file readable (no traffic: 0 packets)" tsh "$F" -q
fi
if cap_start dur2 "${PFX}a" -d 500ms -w "$TMP/dur2.pcapng"; then
	cap_wait
	check_eq "-d 500ms: exit 0" 0 "$CAP_RC"
	check "-d 500ms: capture ends 0.5 s after it starts (took $CAP_EL s)" within 0.3 2 "$CAP_EL"
fi

# ---- filter: only TCP while ping and HTTP both run ---------------------------------------
mkdir -p "$TMP/www" && echo "hello-$PFX" >"$TMP/www/index.html"
ip netns exec "${PFX}b" busybox httpd -f -p "$NET.2:8080" -h "$TMP/www" &
HTTPD_PID=$!
bg_pid $HTTPD_PID
wget_a() { timeout 5 ip netns exec "${PFX}a" busybox wget -q -Y off -O - "http://$NET.2:8080/index.html" 2>/dev/null; }
wait_for 5 wget_a >/dev/null
F=$TMP/tcp.pcapng
if cap_start tcp "${PFX}a" -d 20 -w "$F" tcp; then
	ping_bg a "$NET.2" 10 0.1
	got=0
	for _ in 1 2 3; do [ "$(wget_a)" = "hello-$PFX" ] && got=$((got + 1)); done
	wait "$PING_PID"; prc=$?
	sleep 0.3
	kill -INT "$CAP_PID"
	cap_wait
	check_eq "filter tcp: exit 0" 0 "$CAP_RC"
	check_eq "filter tcp: HTTP worked 3 times" 3 "$got"
	check_eq "filter tcp: ping ran meanwhile" 0 "$prc"
	n=$(npk "$F")
	check "filter tcp: packets captured ($n)" test "$n" -gt 0
	check_eq "filter tcp: every packet is TCP" "$n" "$(npk "$F" tcp)"
	check_eq "filter tcp: no ICMP" 0 "$(npk "$F" icmp)"
	check "filter tcp: at least one SYN" test "$(npk "$F" 'tcp.flags.syn == 1 && tcp.flags.ack == 0')" -ge 1
fi
kill "$HTTPD_PID" 2>/dev/null; wait "$HTTPD_PID" 2>/dev/null

# ---- -w - streams to stdout: tcpdump -r - reads it through a pipe ----------------------------
mkfifo "$TMP/fifo"
tcpdump -n -r - <"$TMP/fifo" >"$TMP/stdout.td" 2>"$TMP/stdout.tderr" &
TD_PID=$!
bg_pid $TD_PID
if CAP_OUT=$TMP/fifo cap_start stdout "${PFX}a" -c 5 -d 15 -w -; then
	ping_ns a "$NET.2" 10 0.2
	cap_wait
	wait "$TD_PID"; rc=$?
	check_eq "-w -: vethmap exit 0" 0 "$CAP_RC"
	check_eq "-w -: tcpdump -r - exit 0" 0 "$rc"
	check_eq "-w -: tcpdump reads 5 packets" 5 "$(grep -c . "$TMP/stdout.td")"
	check_eq "-w -: all ICMP echo" 5 "$(grep -c 'ICMP echo' "$TMP/stdout.td")"
	check_eq "-w -: stderr has only the count line" "${PFX}a:va: 5 packets captured" \
		"$(sed 's/^vethmap: //; s/, .*//' "$TMP/stdout.err")"
else
	kill "$TD_PID" 2>/dev/null
fi

# ---- -W pcap: classic pcap, one interface, tcpdump -r ----------------------------------------
F=$TMP/classic.pcap
if cap_start classic "${PFX}a" -c 5 -d 15 -W pcap -w "$F"; then
	ping_ns a "$NET.2" 10 0.2
	cap_wait
	check_eq "-W pcap: exit 0" 0 "$CAP_RC"
	magic=$(od -An -N4 -tx1 "$F" 2>/dev/null | tr -d ' \n')
	check "-W pcap: classic pcap magic ($magic)" bash -c "case '$magic' in d4c3b2a1|4d3cb2a1|a1b2c3d4|a1b23c4d) exit 0;; *) exit 1;; esac"
	tcpdump -n -r "$F" >"$TMP/classic.td" 2>"$TMP/classic.tderr"; rc=$?
	check_eq "-W pcap: tcpdump -r exit 0" 0 "$rc"
	check_eq "-W pcap: tcpdump reads 5 packets" 5 "$(grep -c . "$TMP/classic.td")"
	check "-W pcap: link type EN10MB" grep -q 'link-type EN10MB' "$TMP/classic.tderr"
fi

# ---- text mode: one line per packet with the interface label -----------------------------------
if cap_start text "${PFX}a" -c 4 -d 15; then
	ping_ns a "$NET.2" 10 0.2
	cap_wait
	check_eq "text: exit 0" 0 "$CAP_RC"
	check_eq "text: 4 lines" 4 "$(grep -c . "$TMP/text.out")"
	check_eq "text: every line names ${PFX}a:va" 4 "$(grep -cF " ${PFX}a:va " "$TMP/text.out")"
	check_eq "text: every line is ICMP between a and b" 4 \
		"$(grep -cE "^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+ ${PFX}a:va .*$NET\.[12] > $NET\.[12]: ICMP echo (request|reply)" "$TMP/text.out")"
	check_eq "text: nothing but count lines on stderr" "" "$(grep -v ' packets captured, ' "$TMP/text.err")"
fi

# ---- SIGINT mid-capture --------------------------------------------------------------------------
F=$TMP/sigint.pcapng
if cap_start sigint "${PFX}a" -d 30 -w "$F"; then
	ping_bg a "$NET.2" 40 0.1
	sleep 1
	kill -INT "$CAP_PID"
	CAP_T0=$(date +%s.%N)
	cap_wait
	kill "$PING_PID" 2>/dev/null; wait "$PING_PID" 2>/dev/null
	check_eq "SIGINT: exit 0" 0 "$CAP_RC"
	check "SIGINT: exits within 3 s of the signal (took $CAP_EL s)" within 0 3 "$CAP_EL"
	tsh "$F" -T fields -e frame.number >"$TMP/sigint.n"; rc=$?
	check_eq "SIGINT: tshark -r exit 0" 0 "$rc"
	check_eq "SIGINT: tshark reads with no error" "" "$(cat "$TMP/tsh.err")"
	n=$(grep -c . "$TMP/sigint.n")
	check "SIGINT: about 1 s of ping in the file ($n packets)" within 6 60 "$n"
	check_eq "SIGINT: stderr count matches the file" "$n" "$(cap_sum "$TMP/sigint.err")"
fi

# ---- -i lo: a chosen interface (the default leaves lo out) -------------------------------------------
F=$TMP/lo.pcapng
if cap_start lo "${PFX}a" -i lo -c 4 -d 15 -w "$F"; then
	ping_ns a 127.0.0.1 10 0.2
	cap_wait
	check_eq "-i lo: exit 0" 0 "$CAP_RC"
	check_eq "-i lo: 4 packets" 4 "$(npk "$F")"
	check_eq "-i lo: interface" "${PFX}a:lo" "$(ifnames "$F")"
fi
F=$TMP/nolo.pcapng
if cap_start nolo "${PFX}a" -d 20 -w "$F"; then
	ping_ns a 127.0.0.1 5 0.1
	ping_ns a "$NET.2" 3 0.1
	sleep 0.3
	kill -TERM "$CAP_PID"
	cap_wait
	check_eq "default leaves lo out; SIGTERM: exit 0" 0 "$CAP_RC"
	check_eq "default leaves lo out: one interface in the file" 1 "$(capinfos -I "$F" 2>/dev/null | grep -c '^Interface #')"
	check_eq "default leaves lo out: only va's packets" "${PFX}a:va" "$(ifnames "$F")"
	check_eq "default leaves lo out: no 127.0.0.1" 0 "$(npk "$F" 'ip.addr == 127.0.0.1')"
fi

# ---- -s snaplen, -C size bound ------------------------------------------------------------------------
F=$TMP/snap.pcapng
if cap_start snap "${PFX}a" -s 60 -c 4 -d 15 -w "$F"; then
	ping_ns a "$NET.2" 10 0.2
	cap_wait
	check_eq "-s 60: exit 0" 0 "$CAP_RC"
	# at most 60 bytes of each 98-byte frame (libpcap in immediate mode, TPACKET_V2, keeps
	# 2 bytes fewer than the snaplen: "tcpdump --immediate-mode -s 60" gives 58 too)
	check_eq "-s 60: every frame cut to 54-60 bytes of its 98" "4 x 98" \
		"$(tsh "$F" -T fields -e frame.cap_len -e frame.len | awk '$1 >= 54 && $1 <= 60 {n++; l = $2} END {print n + 0, "x", l}')"
fi
F=$TMP/size.pcapng
if cap_start size "${PFX}a" -C 4k -d 20 -w "$F"; then
	ping_bg a "$NET.2" 100 0.05
	cap_wait
	kill "$PING_PID" 2>/dev/null; wait "$PING_PID" 2>/dev/null
	sz=$(stat -c %s "$F" 2>/dev/null)
	check_eq "-C 4k: exit 0" 0 "$CAP_RC"
	check "-C 4k: ends long before -d 20 (took $CAP_EL s)" within 0 8 "$CAP_EL"
	check "-C 4k: file about 4096 bytes, within one packet ($sz)" within 3900 4300 "${sz:-0}"
	check "-C 4k: file readable" tsh "$F" -q
fi

# ---- the file is 0600, even under umask 0 -----------------------------------------------------------
F=$TMP/mode.pcapng
(umask 0; "$VETHMAP" cap --db "$DB" "${PFX}a" -d 300ms -w "$F" >/dev/null 2>&1); rc=$?
check_eq "mode: exit 0" 0 "$rc"
check_eq "mode: file is 0600 under umask 0" 600 "$(stat -c %a "$F" 2>/dev/null)"

# ---- -w onto a symlink is refused, its target untouched ------------------------------------------------
echo precious >"$TMP/victim"
ln -s "$TMP/victim" "$TMP/link.pcapng"
"$VETHMAP" cap --db "$DB" "${PFX}a" -d 300ms -w "$TMP/link.pcapng" >/dev/null 2>"$TMP/link.err"; rc=$?
check "symlink: refused (exit $rc)" test "$rc" -ne 0
check_eq "symlink: target untouched" precious "$(cat "$TMP/victim")"
check "symlink: still a symlink" test -L "$TMP/link.pcapng"
check "symlink: error names the file" grep -qF "link.pcapng" "$TMP/link.err"
ln -s "$TMP/nothere" "$TMP/dangling.pcapng"
"$VETHMAP" cap --db "$DB" "${PFX}a" -d 300ms -w "$TMP/dangling.pcapng" >/dev/null 2>&1; rc=$?
check "dangling symlink: refused (exit $rc)" test "$rc" -ne 0
check "dangling symlink: its target not created" test ! -e "$TMP/nothere"
