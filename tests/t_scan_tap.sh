#!/bin/bash
# tun/tap holders: the process holding a tap is the other end of it, placed by the kernel's
# words (TUNGETDEVNETNS, TUNGETIFF), never by the name alone.
#   held  - netns A has tap "${PFX}t", made and held by a python process that lives in
#           netns B (it setns()es into A for TUNSETIFF, then back): like slirp4netns, whose
#           tap is in the container's namespace while it lives in the host's
#   nobody- netns C has a persistent tap with the same name, held by no process
#   host  - a tun "${PFX}h" in the host's namespace, held by a process in netns B too
# The scan must name the holder (pid, comm, its namespace) on A's tap only, no holder on C's,
# the table shows it next to the tap, the database keeps it, and none is unresolved.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

fail_fixture() { not_ok "fixture: $1" "${2:-failed}"; exit 1; }
[ -c /dev/net/tun ] || { skip "${0##*/}" "no /dev/net/tun"; exit 0; }

ns_add a
ns_add b
ns_add c
TAP=${PFX}t
ip -n "${PFX}c" tuntap add dev "$TAP" mode tap || fail_fixture "persistent tap in c"
cat >"$TMP/tap.py" <<'PY'
import ctypes, fcntl, os, struct, sys, time
libc = ctypes.CDLL(None, use_errno=True)
def setns(path):
    fd = os.open(path, os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:
        sys.exit("setns %s: %s" % (path, os.strerror(ctypes.get_errno())))
    os.close(fd)
def tun(name, flags):
    f = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(f, 0x400454ca, struct.pack("16sH", name.encode(), flags))  # TUNSETIFF
    return f
live, tapns, tapname, hostns, tunname, ready = sys.argv[1:7]
setns(live)                 # where the process lives
self_fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
setns(tapns)
t = tun(tapname, 0x0002 | 0x1000)    # IFF_TAP | IFF_NO_PI, in the tap's namespace
setns(hostns)
u = tun(tunname, 0x0001 | 0x1000)    # IFF_TUN | IFF_NO_PI, in the host's
if libc.setns(self_fd, 0x40000000) != 0:
    sys.exit("setns back")
open(ready, "w").write("%d %d\n" % (t, u))
time.sleep(120)
PY
# the script runs in the host netns first, then moves: keep a handle on the host's netns
python3 "$TMP/tap.py" "/run/netns/${PFX}b" "/run/netns/${PFX}a" "$TAP" /proc/$$/ns/net "${PFX}h" "$TMP/ready" &
HP=$!; bg_pid $HP
wait_for 5 test -s "$TMP/ready" || fail_fixture "tap holder"
A=$(ns_ino a) B=$(ns_ino b) C=$(ns_ino c)
[ "$(pid_ns_ino $HP)" == "$B" ] || fail_fixture "holder lives in b"
ip -n "${PFX}a" link show "$TAP" >/dev/null 2>&1 || fail_fixture "tap in a"
ip link show "${PFX}h" >/dev/null 2>&1 || fail_fixture "tun in the host"
[ "$(ip -n "${PFX}a" -j link show "$TAP" | jq -r '.[0].ifindex')" == "$(ip -n "${PFX}c" -j link show "$TAP" | jq -r '.[0].ifindex')" ] &&
	note "both taps have the same ifindex too"

J=$TMP/scan.json
scan_json "$J" || exit 1
holders() { iface_field "$J" "$1" "$2" '.holders // [] | map("\(.pid) \(.comm) \(.netns)") | join(",")'; }
check_eq "tap in a: kind" tap "$(iface_field "$J" "$A" "$TAP" .kind)"
check_eq "tap in a: held by the python process (in b)" "$HP python3 $B" "$(holders "$A" "$TAP")"
check_eq "tap in c (same name): no holder" "" "$(holders "$C" "$TAP")"
check_eq "tun in the host: held by the python process" "$HP python3 $B" "$(holders "$HOSTNS" "${PFX}h")"
check_eq "tun in the host: kind" tun "$(iface_field "$J" "$HOSTNS" "${PFX}h" .kind)"
check_eq "no tap holder unresolved of ours" "" "$(jqv "$J" --argjson p "$HP" '.tap_holders_unresolved // [] | .[] | select(.pid == $p) | .ifname')"

# the table: the holder next to the tap (in the PEER column), with its namespace's name
T=$TMP/show.txt
"$VETHMAP" show --db "$DB" >"$T" 2>&1
check "table: tap in a shows pid:$HP python3@${PFX}b" grep -Eq "^  $TAP +tap .* pid:$HP python3@${PFX}b" "$T"
check_eq "table: tap in c shows no holder" 0 "$(awk -v ns="$C" '$1 == "netns" { cur = $2 } cur == ns && /pid:/' "$T" | wc -l)"
# stored: show --json gives the same holders
S=$TMP/show.json
"$VETHMAP" show --db "$DB" --json >"$S"
check_eq "stored: tap in a holder" "$HP python3 $B" "$(iface_field "$S" "$A" "$TAP" '.holders // [] | map("\(.pid) \(.comm) \(.netns)") | join(",")')"
check_eq "stored: tap in c no holder" "" "$(iface_field "$S" "$C" "$TAP" '.holders // [] | map(.pid) | join(",")')"
check_eq "stored: tap_holder rows of ours" 2 "$(sqlite3 "$DB" "SELECT count(*) FROM tap_holder WHERE pid = $HP AND reason IS NULL AND scan_id = (SELECT coalesce(same_as, id) FROM scan ORDER BY id DESC LIMIT 1)")"
# the report stays valid against its schema, with the holder
R=$TMP/report.xml
if "$VETHMAP" report --db "$DB" -o "$R" 2>"$R.err"; then
	check "report valid against the XSD" xmllint --noout --schema schema/vethmap-report.xsd "$R"
	check "report: tap holder in the inventory" grep -q "<holder pid=\"$HP\" comm=\"python3\"" "$R"
else
	not_ok "report exits 0" "$(head -c 300 "$R.err")"
fi
# the graph: a dashed note from the tap to its holder's namespace
G=$TMP/g.dot
if "$VETHMAP" graph --db "$DB" -o "$G" 2>"$G.err"; then
	check "graph: the tap's holder drawn" grep -q "pid $HP python3" "$G"
else
	not_ok "graph exits 0" "$(head -c 300 "$G.err")"
fi
