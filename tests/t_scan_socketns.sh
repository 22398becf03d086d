#!/bin/bash
# A network namespace kept alive only by a socket (the deep pass): a process makes a socket
# inside it, returns to its own namespace, and the netns's bind mount is deleted: no
# process, thread, nsfs fd or mount holds it.  A veth joins it to the host, and a decoy
# namespace has the same layout (eth0 with the same ifindex, a host end with the same
# iflink).  'vethmap scan --deep' must find it "via socket" (and only so), pair the host end
# with its eth0 and not with the decoy's; the holder's socket must be untouched afterwards.
# A scan without --deep leaves the host end unresolved (t_scan_holders.sh checks that too).
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

fail_fixture() { not_ok "fixture: $1" "${2:-failed}"; exit 1; }

ns_add decoy
ns_add s
ip -n "${PFX}decoy" link add eth0 type veth peer name "${PFX}d" netns $$ &&
ip -n "${PFX}s" link add eth0 type veth peer name "${PFX}s" netns $$ || fail_fixture "veths"
ip link set "${PFX}s" up && ip -n "${PFX}s" link set eth0 up && ip -n "${PFX}s" link set lo up || fail_fixture "veth up"
S_NS=$(ns_ino s)
socket_holder "/run/netns/${PFX}s" "$TMP/sready" "$TMP/scanned" "$TMP/after"
SKP=$!
wait_for 5 test -s "$TMP/sready" || fail_fixture "socket holder"
read -r SFD _ <"$TMP/sready"
ip netns del "${PFX}s" || fail_fixture "ip netns del"
sleep 1.5	# a destroyed netns would take its veth with it about a second later
[ -e "/sys/class/net/${PFX}s" ] || fail_fixture "netns kept by the socket"
[ "$(pid_ns_ino $SKP)" == "$HOSTNS" ] || fail_fixture "holder back in the host netns"
[[ $(readlink "/proc/$SKP/fd/$SFD") == socket:* ]] || fail_fixture "holder's socket fd"
dlink=$(ip -j link show "${PFX}d" | jq -r '.[0].link_index')
slink=$(ip -j link show "${PFX}s" | jq -r '.[0].link_index')
[ "$dlink" == "$slink" ] || fail_fixture "decoy iflink" "$dlink != $slink"

J0=$TMP/plain.json
scan_json "$J0" || exit 1
check_eq "without --deep: host end unresolved" 1 "$(unresolved_of "$J0" "$HOSTNS" "${PFX}s" | grep -c .)"
check_eq "without --deep: netns not found" 0 "$(jqv "$J0" --argjson n "$S_NS" '[.netns[] | select(.inode == $n)] | length')"

J=$TMP/scan.json
scan_json "$J" --deep -v || exit 1
touch "$TMP/scanned"
check "deep pass reported its sockets on -v" grep -q "deep pass: [1-9][0-9]* sockets probed" "$J.err"

nsq() { jqv "$J" --argjson n "$S_NS" "[.netns[] | select(.inode == \$n)] | if length == 1 then .[0] | $1 else \"<\(length) matches>\" end"; }
# an fd of a concurrent process may add "fd"; the deep pass marks only what nothing else found
check_eq "socket-held netns found, via socket" socket "$(nsq '.via | map(select(. != "fd")) | join(",")')"
check_eq "socket-held netns: not host" false "$(nsq .host)"
check_eq "socket-held netns: no names" 0 "$(nsq '.names | length')"
check_veth "$J" "socket" "$HOSTNS" "${PFX}s" "$S_NS" eth0
check_veth "$J" "decoy" "$HOSTNS" "${PFX}d" "$(ns_ino decoy)" eth0
# the host's own namespace is found by proc/self, not by the deep pass
check_eq "host netns not via socket" false "$(jqv "$J" '.netns[] | select(.host) | .via | index("socket") != null')"
check "text output says via socket" grep -q "netns $S_NS .*via socket" <("$VETHMAP" show --db "$DB")
check "stored via socket" test "$(sqlite3 "$DB" "SELECT via FROM netns WHERE inode = $S_NS AND scan_id = (SELECT coalesce(same_as, id) FROM scan ORDER BY id DESC LIMIT 1)")" == socket
wait_for 5 test -s "$TMP/after"
check_eq "the holder's socket still works after the scan" ok "$(cat "$TMP/after" 2>/dev/null)"
check_eq "the holder's socket fd is still there" "socket" "$(readlink "/proc/$SKP/fd/$SFD" | cut -d: -f1)"
