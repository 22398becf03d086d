#!/bin/bash
# A real LXC container (Debian's lxc, `lxc-create -t busybox`) with a veth on a bridge the
# test makes: named lxc:NAME from its root-owned cgroup /lxc.payload.NAME, the namespace
# named after it, its eth0 paired with the host end LXC reports, that end a port of the
# bridge; `ls` and `cap` take the name.  Then one started in a mount and PID namespace of its
# own (unshare --mount --pid --fork --mount-proc, its lxcpath below $TMP): named by its LXC
# monitor (lxc-start), with the nested init as its node.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap
for b in lxc-create lxc-start lxc-info lxc-stop lxc-destroy; do
	command -v "$b" >/dev/null 2>&1 || { skip "${0##*/}" "$b is not installed (lxc)"; exit 0; }
done
if [ ! -x /bin/busybox ]; then
	skip "${0##*/}" "the busybox template needs /bin/busybox (busybox-static)"
	exit 0
fi

N=${PFX}lx
N2=${PFX}ln	# the nested one
BR=${PFX}br
LP=$TMP/lxcpath
INIT=
_lxc_exit() {
	local rc=$?
	trap '' INT TERM
	timeout 30 lxc-stop -n "$N" -k >/dev/null 2>&1
	timeout 30 lxc-destroy -n "$N" >/dev/null 2>&1
	nested_kill	# the nested init, and with it its PID namespace
	(exit "$rc")
	_cleanup
}
trap _lxc_exit EXIT

ip link add "$BR" type bridge && ip link set "$BR" up ||
	{ not_ok "fixture: bridge $BR" "failed"; exit 1; }
cat >"$TMP/lxc.conf" <<EOF
lxc.net.0.type = veth
lxc.net.0.link = $BR
lxc.net.0.flags = up
lxc.apparmor.profile = unconfined
EOF
timeout 120 lxc-create -n "$N" -t busybox -f "$TMP/lxc.conf" >"$TMP/create.out" 2>&1 ||
	{ not_ok "fixture: lxc-create $N" "$(tail -c 300 "$TMP/create.out" | tr '\n' ' ')"; exit 1; }
timeout 60 lxc-start -n "$N" -d >"$TMP/start.out" 2>&1 ||
	{ not_ok "fixture: lxc-start $N" "$(tail -c 300 "$TMP/start.out" | tr '\n' ' ')"; exit 1; }
wait_for 20 sh -c "lxc-info -n '$N' -s | grep -q RUNNING"
PID=$(lxc-info -n "$N" -pH)
HOSTEND=$(lxc-info -n "$N" -H | awk '$1 == "Link:" { print $2 }')
NS=$(pid_ns_ino "$PID")
if [ -z "$PID" ] || [ -z "$NS" ] || [ "$NS" = "$HOSTNS" ] || [ -z "$HOSTEND" ]; then
	not_ok "fixture: $N running" "pid '$PID' netns '$NS' link '$HOSTEND'"
	exit 1
fi
check_eq "fixture: $N's cgroup is /lxc.payload.$N" "0::/lxc.payload.$N" "$(grep '^0::' "/proc/$PID/cgroup")"
check_eq "fixture: $HOSTEND is a port of $BR" "$BR" "$(basename "$(readlink "/sys/class/net/$HOSTEND/master")")"

scan_json "$TMP/s.json" || exit 1
"$VETHMAP" show --db "$DB" >"$TMP/s.txt" 2>&1
check_eq "lxc: $N named in its netns, verified, no owner" \
	"[{\"engine\":\"lxc\",\"id\":\"$N\",\"name\":\"$N\",\"pid\":$PID,\"verified\":true,\"owner\":null}]" \
	"$(jq -c --argjson ns "$NS" '[.netns[] | select(.inode == $ns) | .containers[] | {engine, id, name, pid, verified, owner}]' "$TMP/s.json")"
check_eq "lxc: table header names the netns lxc:$N" 1 "$(grep -c "^netns $NS lxc:$N " "$TMP/s.txt")"
check_veth "$TMP/s.json" "lxc" "$HOSTNS" "$HOSTEND" "$NS" eth0
check_eq "lxc: $HOSTEND's bridge edge to $BR" 1 "$(edge_count "$TMP/s.json" bridge "$HOSTNS" "$HOSTEND" "$HOSTNS" "$BR")"
check_eq "lxc: the peer column names $N:eth0" 1 "$(grep -cE "^  $HOSTEND +veth .* $N:eth0 +$BR" "$TMP/s.txt")"
check_eq "lxc: ls $N: lxc, eth0, host end $HOSTEND on $BR" "1 lxc eth0 $HOSTEND $BR" \
	"$("$VETHMAP" ls --json 2>/dev/null | jq -r --arg n "$N" \
		'[.[] | select(.container == $n)] | "\(length) \(.[0].engine) \(.[0].iface) \(.[0].host_peer.name) \(.[0].bridge)"')"
timeout 20 "$VETHMAP" cap "$N" -c 1 -d 1 >"$TMP/cap.out" 2>"$TMP/cap.err"
check_eq "lxc: cap $N -c 1 -d 1 exits 0" 0 "$?"
check_eq "lxc: cap $N captured on $N:eth0" 1 "$(grep -c "^vethmap: $N:eth0: " "$TMP/cap.err")"

# ---- a nested LXC: its monitor, in a PID namespace of its own, names it with a node ----------
mkdir -p "$LP"
cg_forget "lxc.payload.$N2" "lxc.monitor.$N2"
nested_init /dev/null
nl() { timeout 60 nsenter -t "$INIT" -m -p "$@"; }
nl lxc-create -P "$LP" -n "$N2" -t busybox -f "$TMP/lxc.conf" >"$TMP/create2.out" 2>&1 ||
	{ not_ok "fixture: nested lxc-create $N2" "$(tail -c 300 "$TMP/create2.out" | tr '\n' ' ')"; exit 1; }
nl lxc-start -P "$LP" -n "$N2" -d >"$TMP/start2.out" 2>&1 ||
	{ not_ok "fixture: nested lxc-start $N2" "$(tail -c 300 "$TMP/start2.out" | tr '\n' ' ')"; exit 1; }
wait_for 20 sh -c "timeout 10 nsenter -t $INIT -m -p lxc-info -P '$LP' -n '$N2' -s | grep -q RUNNING"
NSPID2=$(nl lxc-info -P "$LP" -n "$N2" -pH)
MON=
for p in $(pgrep -x lxc-start); do
	tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -q " $N2\$" && MON=$p
done
PID2=$(pgrep -P "$MON" 2>/dev/null | head -n 1)
if [ -z "$MON" ] || [ -z "$PID2" ] || [ "$(awk '/^NSpid:/ { print $3 }' "/proc/$PID2/status")" != "$NSPID2" ]; then
	not_ok "fixture: nested $N2 running" "monitor '$MON' init '$PID2' (nested $NSPID2)"
	exit 1
fi
scan_json "$TMP/s2.json" --no-store || exit 1
check_eq "nested lxc: $N2 named by its monitor, verified, with its node" \
	"[{\"engine\":\"lxc\",\"name\":\"$N2\",\"pid\":$PID2,\"verified\":true,\"node\":\"pid:$INIT\"}]" \
	"$(jq -c --arg n "$N2" '[.netns[].containers[] | select(.name == $n) | {engine, name, pid, verified, node}]' "$TMP/s2.json")"
check_eq "nested lxc: the host's $N has no node" "[null]" \
	"$(jq -c --arg n "$N" '[.netns[].containers[] | select(.name == $n) | .node]' "$TMP/s2.json")"
check_eq "nested lxc: its veth's host end is a port of $BR" 1 \
	"$(jq --arg n "$N2" --argjson h "$HOSTNS" '[.netns[] | select(any(.containers[]; .name == $n)) | .inode] as $ns |
		[.interfaces[] | select(.netns == $ns[0] and .kind == "veth") | .peer | select(.netns == $h)] | length' "$TMP/s2.json")"
