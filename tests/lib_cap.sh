# shellcheck shell=bash
# tests/lib_cap.sh - helpers for the capture tests, sourced after lib.sh.
#   whole_blocks FILE   is FILE whole pcapng blocks (or classic pcap records) only?
#   veth_ab NET         namespaces ${PFX}a and ${PFX}b joined by a veth, and a stored scan
#   cap_ready           the capture CAP_PID reads packets (dropped to nobody) or has ended
#   cap_bg NAME ARGS    vethmap cap on ${PFX}a:va in the background until it captures

# veth_ab NET: namespaces ${PFX}a [va NET.1] <-veth-> [vb NET.2] ${PFX}b, IPv6 off, one
# ping through, and a scan stored in $DB; on failure "not ok - fixture: ..." and exit 1
veth_ab() {
	local NET=$1 n
	for n in a b; do
		ns_add $n
		ip netns exec "$PFX$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
	done
	ip -n "${PFX}a" link add va type veth peer name vb netns "${PFX}b" &&
		ip -n "${PFX}a" addr add "$NET.1/24" dev va &&
		ip -n "${PFX}b" addr add "$NET.2/24" dev vb &&
		ip -n "${PFX}a" link set dev va up &&
		ip -n "${PFX}b" link set dev vb up || { not_ok "fixture: veth a-b" failed; exit 1; }
	timeout 15 ip netns exec "${PFX}a" busybox ping -q -c 2 -W 2 "$NET.2" >/dev/null 2>&1 ||
		{ not_ok "fixture: ping a->b" "no reply"; exit 1; }
	"$VETHMAP" scan --db "$DB" >/dev/null 2>"$TMP/scan.err" ||
		{ not_ok "fixture: vethmap scan" "$(head -c 400 "$TMP/scan.err" | tr '\n' '|')"; exit 1; }
}

# cap_ready: CAP_PID has dropped to nobody (every handle and the output are open) or ended
cap_ready() {
	local st
	st=$(cat "/proc/$CAP_PID/status" 2>/dev/null) || return 0
	grep -q '^State:[[:space:]]*Z' <<<"$st" && return 0
	st=$(cat "/proc/$(cap_child "$CAP_PID")/status" 2>/dev/null) || return 0
	grep -Eq '^Uid:[[:space:]]+65534[[:space:]]' <<<"$st"
}

# cap_bg NAME ARGS...: vethmap cap on ${PFX}a:va for up to 30 s in the background (CAP_PID),
# stderr in $TMP/NAME.err (stdout $CAP_OUT or /dev/null); returns once it captures, or says
# "not ok - fixture: ..." and exits 1
cap_bg() {
	local name=$1; shift
	"$VETHMAP" cap --db "$DB" "${PFX}a:va" -d 30 "$@" >"${CAP_OUT:-/dev/null}" 2>"$TMP/$name.err" &
	CAP_PID=$!
	bg_pid $CAP_PID
	wait_for 60 cap_ready ||
		{ not_ok "fixture: $name: capture starts" "$(head -c 300 "$TMP/$name.err" | tr '\n' '|')"; exit 1; }
	sleep 0.2
}

# whole_blocks FILE: "N blocks, M packets" when FILE is pcapng (or classic pcap) made of
# whole blocks (records) only; else what is wrong, and exit 1
whole_blocks() {
	python3 - "$1" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
def bad(msg):
    print(msg); sys.exit(1)
if len(d) >= 4 and struct.unpack_from("<I", d)[0] in (0xA1B2C3D4, 0xA1B23C4D):
    if len(d) < 24: bad("classic pcap header cut short (%d bytes)" % len(d))
    off, n = 24, 0
    while off < len(d):
        if len(d) - off < 16: bad("record header cut short at %d" % off)
        incl = struct.unpack_from("<I", d, off + 8)[0]
        if off + 16 + incl > len(d): bad("record at %d (%d bytes) cut short: file ends at %d" % (off, incl, len(d)))
        off += 16 + incl; n += 1
    print("%d records, %d packets" % (n, n)); sys.exit(0)
off, n, epb, bo = 0, 0, 0, "<"
while off < len(d):
    if len(d) - off < 12: bad("block header cut short at %d of %d" % (off, len(d)))
    t = struct.unpack_from(bo + "I", d, off)[0]
    if t == 0x0A0D0D0A:
        bo = "<" if struct.unpack_from("<I", d, off + 8)[0] == 0x1A2B3C4D else ">"
    elif off == 0:
        bad("does not start with a section header block (type 0x%08x)" % t)
    ln = struct.unpack_from(bo + "I", d, off + 4)[0]
    if ln < 12 or ln % 4: bad("block at %d has length %d" % (off, ln))
    if off + ln > len(d): bad("block at %d (type %d, %d bytes) cut short: file ends at %d" % (off, t, ln, len(d)))
    if struct.unpack_from(bo + "I", d, off + ln - 4)[0] != ln: bad("block at %d: trailing length differs" % off)
    if t in (6, 3): epb += 1
    off += ln; n += 1
print("%d blocks, %d packets" % (n, epb))
EOF
}

