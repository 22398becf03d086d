#!/bin/bash
# Namespaces kept alive by only one kind of holder, none of them under /run/netns:
#   proc  - a process (unshare -n sleep), no bind mount
#   task  - a non-leader thread that called unshare(CLONE_NEWNET)
#   fd    - an open fd of another process (opened via /proc/P/ns/net, P gone)
#   fd2   - an open fd opened via /run/netns/X, then "ip netns del X"
#   mount - an nsfs bind mount that exists only inside a private mount namespace
#   socket- only a socket (found by scan --deep alone): without it its veth must be unresolved, not guessed
# Each gets a veth to the host; vethmap must find the netns (by inode), report the right
# "via" and pair the veth.
. "${BASH_SOURCE%/*}/lib.sh"
shopt -s extglob
need_root
need_vethmap

fail_fixture() { not_ok "fixture: $1" "${2:-failed}"; exit 1; }

# proc
unshare -n sleep 120 &
PP=$!; bg_pid $PP
in_other_ns() { local i; i=$(pid_ns_ino "$1") && [ "$i" != "$HOSTNS" ]; }
wait_for 5 in_other_ns $PP || fail_fixture "proc holder"
PROC_NS=$(pid_ns_ino $PP)
ip link add "${PFX}p" type veth peer name eth0 netns "/proc/$PP/ns/net" || fail_fixture "proc veth"

# task
cat >"$TMP/thr.py" <<'PY'
import ctypes, os, sys, threading, time
libc = ctypes.CDLL(None, use_errno=True)
out = sys.argv[1]
def run():
    if libc.unshare(0x40000000) != 0:      # CLONE_NEWNET, this thread only
        open(out + ".err", "w").write(os.strerror(ctypes.get_errno()))
        return
    with open(out + ".tmp", "w") as f:
        f.write("%d\n" % threading.get_native_id())
    os.rename(out + ".tmp", out)
    time.sleep(120)
t = threading.Thread(target=run)
t.start()
t.join()
PY
python3 "$TMP/thr.py" "$TMP/tid" &
TP=$!; bg_pid $TP
wait_for 5 test -s "$TMP/tid" || fail_fixture "thread holder" "$(cat "$TMP/tid.err" 2>/dev/null)"
TT=$(cat "$TMP/tid")
TASK_NS=$(pid_ns_ino "/proc/$TP/task/$TT/ns/net")
[ "$(pid_ns_ino $TP)" == "$HOSTNS" ] && [ "$TASK_NS" != "$HOSTNS" ] || fail_fixture "thread netns"
ip link add "${PFX}t" type veth peer name eth0 netns "/proc/$TP/task/$TT/ns/net" || fail_fixture "task veth"

# fd: opened through /proc/P/ns/net of a process that then exits (readlink: net:[INODE])
unshare -n sleep 120 &
SP=$!; bg_pid $SP
wait_for 5 in_other_ns $SP || fail_fixture "fd: short-lived holder"
FD_NS=$(pid_ns_ino $SP)
ip link add "${PFX}f" type veth peer name eth0 netns "/proc/$SP/ns/net" || fail_fixture "fd veth"
sleep 120 7<"/proc/$SP/ns/net" &
FP=$!; bg_pid $FP
holds_fd() { [ "$(stat -L -c %i "/proc/$1/fd/7")" == "$2" ]; }
wait_for 5 holds_fd $FP "$FD_NS" || fail_fixture "fd holder"
kill -KILL $SP; wait $SP 2>/dev/null
[ "$(readlink "/proc/$FP/fd/7")" == "net:[$FD_NS]" ] || fail_fixture "fd: readlink" "$(readlink "/proc/$FP/fd/7")"

# fd2: opened through a /run/netns bind mount that is then deleted (ip netns del); the
# kernel then shows the fd's link as "/", not net:[INODE]
ip netns add "${PFX}g" || fail_fixture "fd2 netns"
FD2_NS=$(ns_ino g)
ip link add "${PFX}g" type veth peer name eth0 netns "${PFX}g" || fail_fixture "fd2 veth"
sleep 120 7<"/run/netns/${PFX}g" &
GP=$!; bg_pid $GP
wait_for 5 holds_fd $GP "$FD2_NS" || fail_fixture "fd2 holder"
ip netns del "${PFX}g" || fail_fixture "fd2: ip netns del"
[ "$(stat -L -c %i "/proc/$GP/fd/7")" == "$FD2_NS" ] || fail_fixture "fd2: netns kept by fd"

# mount in a private mount namespace
touch "$TMP/nsm"
unshare -m --propagation private sh -c \
	"unshare --net='$TMP/nsm' true && touch '$TMP/mready'; exec sleep 120" &
MP=$!; bg_pid $MP
wait_for 5 test -e "$TMP/mready" || fail_fixture "mount holder"
MNT_NS=$(stat -L -c %i "/proc/$MP/root$TMP/nsm")
grep -q "net:\[$MNT_NS\]" /proc/self/mountinfo && fail_fixture "mount holder" "bind mount visible in our mount namespace"
[ "$(pid_ns_ino $MP)" == "$HOSTNS" ] || fail_fixture "mount holder netns"
ip link add "${PFX}m" type veth peer name eth0 netns "/proc/$MP/root$TMP/nsm" || fail_fixture "mount veth"

# socket: held only by a socket another process created inside it (found only by
# scan --deep: t_scan_socketns.sh); a decoy netns has the same layout (eth0 with the same ifindex, host
# end with the same iflink).  The host end must be unresolved, never paired with the decoy.
ns_add decoy
ns_add s
ip -n "${PFX}decoy" link add eth0 type veth peer name "${PFX}d" netns $$ &&
ip -n "${PFX}s" link add eth0 type veth peer name "${PFX}s" netns $$ || fail_fixture "socket veths"
socket_holder "/run/netns/${PFX}s" "$TMP/sready"
SKP=$!
wait_for 5 test -e "$TMP/sready" || fail_fixture "socket holder"
ip netns del "${PFX}s" || fail_fixture "socket: ip netns del"
sleep 1.5	# a destroyed netns would take its veth with it about a second later
[ -e "/sys/class/net/${PFX}s" ] || fail_fixture "socket: netns kept by the socket"
dlink=$(ip -j link show "${PFX}d" | jq -r '.[0].link_index')
slink=$(ip -j link show "${PFX}s" | jq -r '.[0].link_index')
[ "$dlink" == "$slink" ] || fail_fixture "socket: decoy iflink" "$dlink != $slink"

J=$TMP/scan.json
scan_json "$J" || exit 1

via() { jqv "$J" --argjson n "$1" '[.netns[] | select(.inode == $n)] | if length == 1 then .[0].via | join(",") else "<\(length) matches>" end'; }
nsq() { jqv "$J" --argjson n "$1" ".netns[] | select(.inode == \$n) | $2"; }

# holder LABEL NSINO HOSTEND VIA-PATTERN: the netns is found once, by the right source,
# is not the host, and its eth0 pairs with HOSTEND.  When it is not found at all, one
# failure says so (with what vethmap reported for the host end) instead of a cascade.
# An extra "fd" is tolerated for non-fd holders: any other process that happens to hold
# an fd to the netns during the scan (e.g. a concurrent vethmap scan) adds it legitimately.
holder() {
	local l=$1 ns=$2 he=$3 pat=$4 v w
	v=$(via "$ns")
	if [[ $v == "<"* ]]; then
		not_ok "$l: netns $ns found" "$v in .netns; host end $he: peer $(iface_field "$J" "$HOSTNS" "$he" .peer), unresolved [$(unresolved_of "$J" "$HOSTNS" "$he")]"
		return
	fi
	w=$v
	[ "$pat" != fd ] && w=$(tr , '\n' <<<"$v" | grep -vx fd | paste -sd,)
	# shellcheck disable=SC2053
	[[ $w == $pat ]] && ok "$l: via $v" || not_ok "$l: via" "expected $pat got [$v]"
	check_eq "$l: not host" false "$(nsq "$ns" .host)"
	check_veth "$J" "$l" "$HOSTNS" "$he" "$ns" eth0
}

# proc: the leader's task entry may or may not be reported as "task" too
holder proc "$PROC_NS" "${PFX}p" "proc?(,task)"
check_eq "proc: pids has holder" true "$(nsq "$PROC_NS" ".pids | index($PP) != null")"
check_eq "proc: no names" 0 "$(nsq "$PROC_NS" ".names | length")"

holder task "$TASK_NS" "${PFX}t" task
check_eq "task: pids has the thread or its process" true "$(nsq "$TASK_NS" ".pids | (index($TT) != null or index($TP) != null)")"

holder fd "$FD_NS" "${PFX}f" fd
check_eq "fd: no names" 0 "$(nsq "$FD_NS" ".names | length")"

holder "fd2 (fd from a deleted bind mount)" "$FD2_NS" "${PFX}g" fd

holder mount "$MNT_NS" "${PFX}m" mount
# seen only in another mount namespace: named with a process of it, never as a bare path
check_eq "mount: names" "pid $MP:$TMP/nsm" "$(nsq "$MNT_NS" '.names | join(",")')"
check_eq "mount: mounts" "$TMP/nsm $MP false" "$(nsq "$MNT_NS" '.mounts[] | "\(.path) \(.pid) \(.host)"')"

DECOY_NS=$(ns_ino decoy)
check_veth "$J" "socket decoy" "$HOSTNS" "${PFX}d" "$DECOY_NS" eth0
check_eq "socket: host end has no veth edge" 0 "$(edges_of "$J" veth "$HOSTNS" "${PFX}s")"
check_eq "socket: host end has no peer" null "$(iface_field "$J" "$HOSTNS" "${PFX}s" .peer)"
check "socket: host end listed as unresolved with a reason" test -n "$(unresolved_of "$J" "$HOSTNS" "${PFX}s")"
