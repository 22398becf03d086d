#!/bin/bash
# Rootless Podman, as an ordinary user runs it: a test user made here (useradd, its
# /etc/subuid and /etc/subgid range, XDG_RUNTIME_DIR=/run/user/UID made by hand: no
# systemd), an image loaded from a saved one, `podman run --network slirp4netns`.  The
# namespace is bind-mounted only in the user's own mount namespace and holds slirp4netns's
# tap0.  vethmap must name it podman:NAME with that user as owner, in JSON, the table and
# ls, and take NAME as a target, twice: from the user's storage (no API socket), and from
# the user's own `podman system service` socket.  A second user's files (containers.json
# and pidfile, then a fake API socket) that claim the first user's container pid name
# nothing: listed unverified, no target.
. "${BASH_SOURCE%/*}/lib.sh"
. "${BASH_SOURCE%/*}/lib_engines.sh"
need_root
need_vethmap
podman_up
for b in slirp4netns newuidmap newgidmap useradd userdel runuser; do
	command -v "$b" >/dev/null 2>&1 || { skip "${0##*/}" "$b is not installed (slirp4netns, uidmap, passwd)"; exit 0; }
done

. "${BASH_SOURCE%/*}/lib_rootless.sh"
_rl_exit() {
	local rc=$?
	trap '' INT TERM
	rl_cleanup
	(exit "$rc")
	_eng_exit
}
trap _rl_exit EXIT
add_user() {	# add_user VAR [tmpfs]: rl_add_user, or the test ends
	rl_add_user "$@" || { not_ok "fixture: useradd" "failed"; exit 1; }
}
asu() { rl_asu "$@"; }

rl_tun_open
[ -n "$_RL_TUN_MODE" ] &&
	note "/dev/net/tun was 0600: 0666 while the test runs (Debian's default), 0600 again at exit"

add_user U1 tmpfs	# the first user's runtime directory a tmpfs of its own, as logind makes it
add_user U2
UID1=$(id -u "$U1")
UID2=$(id -u "$U2")

# the image: the rootful busybox one, saved, loaded by the user
IMG="localhost/${PFX}bb:1"
podman_busybox_image "$IMG"
p save -o "$TMP/img.tar" "$IMG" >"$TMP/save.out" 2>&1 ||
	{ not_ok "fixture: podman save" "$(head -c 300 "$TMP/save.out" | tr '\n' ' ')"; exit 1; }
install -m 0644 -o "$U1" "$TMP/img.tar" "/home/$U1/img.tar"
asu "$U1" podman load -i "/home/$U1/img.tar" >"$TMP/load.out" 2>&1 ||
	{ not_ok "fixture: podman load as $U1" "$(tail -c 300 "$TMP/load.out" | tr '\n' ' ')"; exit 1; }
C=${PFX}web
asu "$U1" podman run --network slirp4netns --ulimit host -d --name "$C" "$IMG" sleep 600 \
	>"$TMP/run.out" 2>&1 ||
	{ not_ok "fixture: rootless podman run $C" "$(tail -c 400 "$TMP/run.out" | tr '\n' ' ')"; exit 1; }
PID=$(asu "$U1" podman inspect -f '{{.State.Pid}}' "$C")
CID=$(asu "$U1" podman inspect -f '{{.Id}}' "$C")
NS=$(pid_ns_ino "$PID")
if [ -z "$NS" ] || [ "$NS" = "$HOSTNS" ]; then
	not_ok "fixture: $C in a netns of its own" "pid '$PID' netns '$NS'"
	exit 1
fi
check_eq "fixture: $C runs as $U1 (container root is the user)" "$UID1" "$(stat -c %u "/proc/$PID")"
check "fixture: slirp4netns's tap0 in $C's netns" nsenter -t "$PID" -n ip link show dev tap0
GRAPH=$(asu "$U1" podman info -f '{{.Store.GraphRoot}}')
RUNROOT=$(asu "$U1" podman info -f '{{.Store.RunRoot}}')
DRIVER=$(asu "$U1" podman info -f '{{.Store.GraphDriverName}}')
note "user $U1 ($UID1): graph root $GRAPH, run root $RUNROOT, driver $DRIVER, pid $PID, netns $NS"
check "fixture: $U1's containers.json" test -f "$GRAPH/$DRIVER-containers/containers.json"
check "fixture: $U1's pidfile" test -f "$RUNROOT/$DRIVER-containers/$CID/userdata/pidfile"
check "fixture: $U1's /run/user/$UID1 is a tmpfs" mountpoint -q "/run/user/$UID1"

# the second user's forgery: its own storage naming the first user's pid (and its id)
FAKE=$(printf '%064d' 7)
F=${PFX}forged
forge_disk() {
	local u=$1 uid
	uid=$(id -u "$u")
	asu "$u" sh -c "mkdir -p ~/.local/share/containers/storage/vfs-containers \
		/run/user/$uid/containers/vfs-containers/$FAKE/userdata \
		/run/user/$uid/containers/vfs-containers/$CID/userdata &&
		printf '%s' '[{\"id\":\"$FAKE\",\"names\":[\"$F\"]},{\"id\":\"$CID\",\"names\":[\"${F}2\"]}]' \
			>~/.local/share/containers/storage/vfs-containers/containers.json &&
		echo $PID >/run/user/$uid/containers/vfs-containers/$FAKE/userdata/pidfile &&
		echo $PID >/run/user/$uid/containers/vfs-containers/$CID/userdata/pidfile"
}
forge_disk "$U2" || { not_ok "fixture: $U2's forged storage" "failed"; exit 1; }

# check_named LABEL SCAN_JSON SCAN_TEXT: the netns is podman:$C of $U1, the forgeries are not
check_named() {
	local l=$1 j=$2 txt=$3 c
	c=$(jq -c --argjson ns "$NS" --arg n "$C" \
		'[.netns[] | select(.inode == $ns) | .containers[] | select(.name == $n)]' "$j")
	check_eq "$l: $C in its netns, verified, owner $U1" \
		"[{\"engine\":\"podman\",\"id\":\"$CID\",\"pid\":$PID,\"verified\":true,\"owner\":{\"uid\":$UID1,\"name\":\"$U1\"}}]" \
		"$(jq -c '[.[] | {engine, id, pid, verified, owner}]' <<<"$c")"
	check_eq "$l: table: the netns has podman:$C(user $U1)" 1 \
		"$(grep -c "^netns $NS .*podman:$C(user $U1) " "$txt")"
	check_eq "$l: $C is the netns's only verified container" 1 \
		"$(jq --argjson ns "$NS" '[.netns[] | select(.inode == $ns) | .containers[] | select(.verified)] | length' "$j")"
	check_eq "$l: every container $U2's files name is $U2's and unverified" "[false]" \
		"$(jq -c --argjson u "$UID2" '[.netns[].containers[] | select(.owner.uid == $u) | .verified] | unique' "$j")"
	check_eq "$l: ls $C: one row, podman (user $U1), tap0" "1 podman (user $U1) tap0" \
		"$("$VETHMAP" ls --json 2>/dev/null | jq -r --arg n "$C" \
			'[.[] | select(.container == $n)] | "\(length) \(.[0].engine) (user \(.[0].owner.name)) \(.[0].iface)"')"
	check_eq "$l: ls table: $C, engine 'podman (user $U1)', no pod, no node, netns $C, tap0" 1 \
		"$("$VETHMAP" ls 2>/dev/null | grep -c "^$C  *podman (user $U1)  *-  *-  *$C  *tap0 ")"
	timeout 20 "$VETHMAP" cap "$C" -c 1 -d 2 >"$TMP/cap.out" 2>"$TMP/cap.err"
	check_eq "$l: cap $C -c 1 -d 2 exits 0" 0 "$?"
	check_eq "$l: cap $C captured on $C:tap0" 1 "$(grep -c "^vethmap: $C:tap0: " "$TMP/cap.err")"
	timeout 20 "$VETHMAP" cap "$F" -c 1 -d 1 >"$TMP/cap.out" 2>"$TMP/cap.err"
	check_eq "$l: cap $F (a forged claim) is no target: exit 2" 2 "$?"
}

# ---- 1. no API socket: the users' storage -------------------------------------------------
scan_json "$TMP/a.json" -v || exit 1
check_eq "storage: $U2's forged $F listed, unverified" "false" \
	"$(jq -r --arg n "$F" '.netns[].containers[] | select(.name == $n) | .verified' "$TMP/a.json")"
"$VETHMAP" show --db "$DB" >"$TMP/a.txt" 2>&1
check_eq "storage: read from $U1's $DRIVER storage" 1 \
	"$(grep -c "podman: 1 containers of user $U1 from its $DRIVER storage" "$TMP/a.json.err")"
check_named "storage" "$TMP/a.json" "$TMP/a.txt"
check_eq "storage: database keeps the owner" "$UID1|$U1|1" \
	"$(sqlite3 "$DB" "SELECT owner_uid, owner, verified FROM container WHERE name = '$C' AND scan_id = (SELECT coalesce(same_as, id) FROM scan ORDER BY id DESC LIMIT 1)")"
check_eq "storage: the system's containers have no owner" "" \
	"$(sqlite3 "$DB" "SELECT name FROM container WHERE owner_uid IS NULL AND owner IS NOT NULL")"
"$VETHMAP" report --db "$DB" -o "$TMP/r.xml" 2>"$TMP/r.err"
check "storage: report validates against the schema" xmllint --noout --schema schema/vethmap-report.xsd "$TMP/r.xml"
check_eq "storage: report's container has owner and owner-uid" 1 \
	"$(xmllint --xpath "count(//container[@name='$C' and @owner='$U1' and @owner-uid='$UID1'])" "$TMP/r.xml" 2>/dev/null)"

# a containers.json that is a symlink (to a file of the same user's) is not followed
asu "$U2" sh -c "cd ~/.local/share/containers/storage/vfs-containers && mv containers.json ~/real.json &&
	ln -s ~/real.json containers.json"
scan_json "$TMP/b.json" -v --no-store || exit 1
check_eq "storage: $U2's symlinked containers.json is not read" 0 \
	"$(jq --argjson u "$UID2" '[.netns[].containers[] | select(.owner.uid == $u)] | length' "$TMP/b.json")"
asu "$U2" sh -c "cd ~/.local/share/containers/storage/vfs-containers && rm containers.json && mv ~/real.json containers.json"

# ---- 2. the user's API socket ---------------------------------------------------------------
asu "$U1" mkdir -p "/run/user/$UID1/podman"
(cd / && exec runuser -u "$U1" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="/home/$U1" \
	XDG_RUNTIME_DIR="/run/user/$UID1" podman system service --time=0 \
	"unix:///run/user/$UID1/podman/podman.sock") >"$TMP/service.log" 2>&1 &
eng_bg $!
wait_for 30 test -S "/run/user/$UID1/podman/podman.sock" ||
	{ not_ok "fixture: $U1's podman system service" "$(tail -c 300 "$TMP/service.log" | tr '\n' ' ')"; exit 1; }
wait_for 30 asu "$U1" podman --remote --url "unix:///run/user/$UID1/podman/podman.sock" ps -q >/dev/null
# the second user's own fake API, listing the first user's pid under a name of its own
asu "$U2" mkdir -p "/run/user/$UID2/podman"
# (and a second socket of its own, in a directory of its own on U1's tmpfs, for below:
# U1's directory is opened to it until it is bound)
install -d -m 0700 -o "$U2" "/run/user/$UID1/${PFX}u2"
chmod 0711 "/run/user/$UID1"
cat >"$TMP/fake.py" <<EOF
import socket, select
socks = []
for path in ("/run/user/$UID2/podman/podman.sock", "/run/user/$UID1/${PFX}u2/s.sock"):
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.listen(8)
    socks.append(s)
body = b'[{"Id":"$(printf '%064d' 8)","Names":["${F}api"],"Pid":$PID},{"Id":"$CID","Names":["${F}api2"],"Pid":$PID}]'
while True:
    for s in select.select(socks, [], [])[0]:
        c, _ = s.accept()
        try:
            c.recv(65536)
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        except OSError:
            pass	# a client that hung up (vethmap, refusing a server not U1's)
        c.close()
EOF
chmod 0644 "$TMP/fake.py"
chmod o+x "$TMP"
(cd / && exec runuser -u "$U2" -- python3 "$TMP/fake.py") >"$TMP/fake.log" 2>&1 &
eng_bg $!
wait_for 10 test -S "/run/user/$UID1/${PFX}u2/s.sock" ||
	{ not_ok "fixture: $U2's fake API" "$(tail -c 300 "$TMP/fake.log" | tr '\n' ' ')"; exit 1; }
chmod 0700 "/run/user/$UID1"
scan_json "$TMP/c.json" -v || exit 1
"$VETHMAP" show --db "$DB" >"$TMP/c.txt" 2>&1
check_eq "socket: read from $U1's API socket" 1 \
	"$(grep -c "podman: 1 containers of user $U1 from /run/user/$UID1/podman/podman.sock" "$TMP/c.json.err")"
check_eq "socket: $U2's fake API was asked" 1 \
	"$(grep -c "podman: [12] containers of user $U2 from /run/user/$UID2/podman/podman.sock" "$TMP/c.json.err")"
check_named "socket" "$TMP/c.json" "$TMP/c.txt"
check_eq "socket: $U2's API claim ${F}api listed, unverified" "false" \
	"$(jq -r --arg n "${F}api" '.netns[].containers[] | select(.name == $n) | .verified' "$TMP/c.json")"

# U2's server behind a socket file of U1's (its second socket, moved there and given to U1):
# not asked, as the server is not U1's (SO_PEERCRED)
mv "/run/user/$UID1/podman/podman.sock" "/run/user/$UID1/podman/real.sock"
mv "/run/user/$UID1/${PFX}u2/s.sock" "/run/user/$UID1/podman/podman.sock"
chown "$U1" "/run/user/$UID1/podman/podman.sock"
scan_json "$TMP/d.json" -v || exit 1	# stored: the claim of the same id must not break the write
check_eq "socket: $U2's server behind $U1's socket file is refused" 1 \
	"$(grep -c "podman: user $U1's '/run/user/$UID1/podman/podman.sock' served by another user" "$TMP/d.json.err")"
check_eq "socket: nothing of $U2's named as $U1's" 0 \
	"$(jq --argjson u "$UID1" --arg p "$F" '[.netns[].containers[] | select(.owner.uid == $u and (.name | startswith($p)))] | length' "$TMP/d.json")"

check_eq "socket: $U1's container then still named from its storage" 1 \
	"$(jq --argjson ns "$NS" --arg n "$C" --argjson u "$UID1" \
		'[.netns[] | select(.inode == $ns) | .containers[] | select(.name == $n and .owner.uid == $u and .verified)] | length' "$TMP/d.json")"
check_eq "socket: $U2's claim of $U1's id is dropped, $U1's stored" "$C|1|$UID1" \
	"$(sqlite3 "$DB" "SELECT name, verified, owner_uid FROM container WHERE id = '$CID' AND scan_id = (SELECT coalesce(same_as, id) FROM scan ORDER BY id DESC LIMIT 1)")"
rm -f "/run/user/$UID1/podman/podman.sock"
mv "/run/user/$UID1/podman/real.sock" "/run/user/$UID1/podman/podman.sock"
