#!/bin/bash
# Docker in Docker, as a nested engine: a dockerd in its own mount and PID namespace
# (unshare --mount --pid --net --fork --mount-proc, a private tmpfs on /run, its data below
# $TMP, no bridge, no iptables: a dockerd in our network namespace would remove the host's
# docker0), its API socket /var/run/docker.sock existing only in there.
# vethmap on the host must find it by its process, ask it through its root, and name its
# container: engine docker, its name, node "pid:N" (N the nested init), our PID (from the
# nested shim, by NSpid), a veth the test gives it paired with the host end.  A socket in
# its place served by another process is not asked; a "dockerd" of an unprivileged user (in
# a user namespace of its own) serving forged names is not asked at all.
# Cleanup kills the nested init by its host PID (the PID namespace and dockerd go with it).
. "${BASH_SOURCE%/*}/lib_engines.sh"
need_root
need_vethmap
for b in dockerd unshare nsenter setpriv /usr/bin/python3; do
	command -v "$b" >/dev/null 2>&1 || { skip "${0##*/}" "$b is not installed"; exit 0; }
done
[ -x "$DOCKER" ] || { skip "${0##*/}" "docker.io is not installed"; exit 0; }

DD=$TMP/dind
CG=/${PFX}dind	# the nested containers' cgroup parent
cg_forget "${CG#/}"
mkdir -p "$DD/data"
INIT=
_dind_exit() {
	local rc=$? c
	trap '' INT TERM
	nested_kill
	(exit "$rc")
	_eng_exit
}
trap _dind_exit EXIT

NESTED_NET=1 nested_init "$DD/log" dockerd --data-root "$DD/data" --exec-root /run/docker \
	--pidfile /run/docker.pid -H unix:///var/run/docker.sock --bridge none --iptables=false \
	--ip-forward=false --ip-masq=false --storage-driver vfs --cgroup-parent "$CG"
n() { timeout 60 nsenter -t "$INIT" -m -p "$@"; }
wait_for 60 n "$DOCKER" version >/dev/null ||
	{ not_ok "fixture: nested dockerd starts" "$(tail -n 3 "$DD/log" | tr '\n' ' ')"; exit 1; }
DPID=$(pgrep -P "$INIT" -x dockerd)
check_eq "fixture: nested init is PID 1 of its namespace" 1 "$(awk '/^NSpid:/ { print $NF }' "/proc/$INIT/status")"
check "fixture: the nested socket is not the host's" test "$(stat -L -c %i /run)" != "$(stat -L -c %i "/proc/$INIT/root/run")"

_eng_rootfs || { not_ok "fixture: busybox rootfs" "could not be made"; exit 1; }
tar -C "$TMP/rootfs" -c . | n "$DOCKER" import -c 'CMD ["/bin/sh"]' - "${PFX}img" >"$TMP/import.out" 2>&1 ||
	{ not_ok "fixture: nested docker import" "$(head -c 300 "$TMP/import.out" | tr '\n' ' ')"; exit 1; }
C=${PFX}inner
n "$DOCKER" run -d --network none --name "$C" "${PFX}img" sleep 1000 >"$TMP/run.out" 2>&1 ||
	{ not_ok "fixture: nested docker run" "$(head -c 300 "$TMP/run.out" | tr '\n' ' ')"; exit 1; }
CID=$(n "$DOCKER" inspect -f '{{.Id}}' "$C")
NSPID=$(n "$DOCKER" inspect -f '{{.State.Pid}}' "$C")
below_init() {	# below_init PID: INIT is one of PID's ancestors
	local p=$1 i
	for i in $(seq 1 64); do
		p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		[ -n "$p" ] && [ "$p" != 0 ] || return 1
		[ "$p" = "$INIT" ] && return 0
	done
	return 1
}
PID=
for p in /proc/[0-9]*; do	# our PID of the container's (NSpid: ours, the nested one, its own)
	[ "$(awk '/^NSpid:/ { print $3 }' "$p/status" 2>/dev/null)" = "$NSPID" ] && below_init "${p#/proc/}" &&
		PID=${p#/proc/}
done
[ -n "$PID" ] || { not_ok "fixture: our PID of nested $NSPID" "not found"; exit 1; }
NS=$(pid_ns_ino "$PID")
ip link add "${PFX}h" type veth peer name eth0 netns "$PID" && ip link set "${PFX}h" up &&
	nsenter -t "$PID" -n ip link set eth0 up ||
	{ not_ok "fixture: veth into $C" "failed"; exit 1; }

J=$TMP/scan.json
scan_json "$J" -v || exit 1
ctr() { jqv "$J" --arg id "$CID" "[.netns[].containers[] | select(.id == \$id)] | if length == 1 then .[0]$1 else \"<\(length) matches>\" end"; }
check_eq "dind: asked through its root" 1 \
	"$(grep -cF "docker: 1 containers from /proc/$DPID/root/var/run/docker.sock" "$J.err")"
check_eq "dind: $C named, engine docker, verified" "docker $C true" "$(ctr '| "\(.engine) \(.name) \(.verified)"')"
check_eq "dind: our PID, not the nested one ($NSPID)" "$PID" "$(ctr .pid)"
check_eq "dind: node is the nested PID namespace's init" "pid:$INIT" "$(ctr .node)"
check_eq "dind: in the netns of its process" "$NS" \
	"$(jqv "$J" --arg id "$CID" '[.netns[] | select(any(.containers[]; .id == $id)) | .inode] | join(",")')"
check_veth "$J" "dind" "$HOSTNS" "${PFX}h" "$NS" eth0
"$VETHMAP" show --db "$DB" >"$TMP/show.txt" 2>&1
check "show: docker:$C with its node" grep -qF "docker:$C(node pid:$INIT)" "$TMP/show.txt"
check_eq "ls: $C's row: engine docker, node pid:$INIT, host end ${PFX}h" "docker pid:$INIT ${PFX}h" \
	"$("$VETHMAP" ls --stored --db "$DB" --json "$C" | jq -r '.[] | "\(.engine) \(.node) \(.host_peer.name)"')"
timeout 20 "$VETHMAP" cap "$C" -c 1 -d 1 >/dev/null 2>"$TMP/cap.err"
check_eq "cap $C -c 1 -d 1 exits 0 ($(head -c 200 "$TMP/cap.err"))" 0 "$?"
check_eq "cap $C captured on $C:eth0" 1 "$(grep -c "^vethmap: $C:eth0: " "$TMP/cap.err")"

# ---- an unprivileged user's "dockerd" in a user and mount namespace of its own --------------
# serving forged names for the nested container's id: not root's in our user namespace
mkdir -p "$TMP/fake"
cp "$(readlink -f /usr/bin/python3)" "$TMP/fake/dockerd"
chmod 0755 "$TMP"
chmod 01777 "$TMP/fake"
cat >"$TMP/fake/srv.py" <<EOF
import os, socket, ctypes
libc = ctypes.CDLL(None, use_errno=True)
if libc.mount(b"tmpfs", b"/run", b"tmpfs", 0, None) != 0:
    raise SystemExit("mount: " + os.strerror(ctypes.get_errno()))
s = socket.socket(socket.AF_UNIX)
s.bind("/run/docker.sock")
s.listen(8)
open("$TMP/fake/ready", "w").close()
body = b'[{"Id":"$CID","Names":["/${PFX}forged"]}]'
while True:
    c, _ = s.accept()
    try:
        c.recv(65536)
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    except OSError:
        pass
    c.close()
EOF
chmod 0644 "$TMP/fake/srv.py"
setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urm "$TMP/fake/dockerd" "$TMP/fake/srv.py" \
	>"$TMP/fake/log" 2>&1 &
FAKE=$!
eng_bg "$FAKE"
if wait_for 10 test -e "$TMP/fake/ready"; then
	scan_json "$TMP/f.json" -v --no-store || exit 1
	check_eq "a user's dockerd ($FAKE): not asked" 0 "$(grep -c "/proc/$FAKE/\|${PFX}forged" "$TMP/f.json.err")"
	check_eq "a user's dockerd: names nothing" 0 \
		"$(jq --arg n "${PFX}forged" '[.netns[].containers[] | select(.name == $n)] | length' "$TMP/f.json")"
	check_eq "a user's dockerd: $C still named" "docker $C" \
		"$(jqv "$TMP/f.json" --arg id "$CID" '.netns[].containers[] | select(.id == $id) | "\(.engine) \(.name)"')"
else
	not_ok "fixture: a user's fake dockerd" "$(head -c 300 "$TMP/fake/log" | tr '\n' ' ')"
fi

# ---- the nested socket served by another process: refused by SO_PEERCRED ------------------
n mv /run/docker.sock /run/docker.sock.real
cat >"$TMP/other.py" <<EOF
import socket
s = socket.socket(socket.AF_UNIX)
s.bind("/run/docker.sock")
s.listen(8)
open("$TMP/other.ready", "w").close()
while True:
    s.accept()[0].close()
EOF
n /usr/bin/python3 "$TMP/other.py" >"$TMP/other.log" 2>&1 &
eng_bg $!
if wait_for 10 test -e "$TMP/other.ready"; then
	scan_json "$TMP/o.json" -v --no-store || exit 1
	check_eq "another process behind the nested socket: refused" 1 \
		"$(grep -cF "docker: '/proc/$DPID/root/var/run/docker.sock': served by another process: containers named from /proc only" "$TMP/o.json.err")"
	check_eq "another process behind the nested socket: $C not named by docker" 0 \
		"$(jq --arg id "$CID" '[.netns[].containers[] | select(.id == $id and .engine == "docker")] | length' "$TMP/o.json")"
else
	not_ok "fixture: the other server" "$(head -c 300 "$TMP/other.log" | tr '\n' ' ')"
fi
exit "$TEST_FAILED"
