#!/bin/bash
# Podman containers named by their conmon: a rootful podman run in a mount and PID namespace
# of its own (unshare --mount --pid --fork --mount-proc, a tmpfs on /run), with its storage
# in the test's directory (--root), so neither the host's API socket nor its storage knows
# the container.  vethmap must name it from the conmon that monitors it (root's, in our user
# namespace, exactly one child: the container's init): engine podman, its name, node pid:N,
# our PID; a veth the test gives it pairs with the host.  A conmon look-alike of an
# unprivileged user (in a user namespace of its own) names nothing, and neither do a
# user's Podman files claiming the container's id for a process of the user's own.
. "${BASH_SOURCE%/*}/lib_engines.sh"
need_root
need_vethmap
podman_up
for b in conmon unshare nsenter setpriv /usr/bin/python3; do
	command -v "$b" >/dev/null 2>&1 || { skip "${0##*/}" "$b is not installed"; exit 0; }
done

. "${BASH_SOURCE%/*}/lib_rootless.sh"
PD=$TMP/pod
mkdir -p "$PD/root"
cg_forget "${PFX}pod"	# the nested container's cgroup parent
INIT= USLEEP=
_conmon_exit() {
	local rc=$?
	trap '' INT TERM
	nested_kill
	# what the nested podman mounted below $TMP (its overlay or shm), deepest first
	awk -v t="$TMP/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while IFS= read -r m; do umount -l "$m" 2>/dev/null; done
	[ -n "${USLEEP:-}" ] && { kill -KILL "$USLEEP"; wait "$USLEEP"; } 2>/dev/null
	declare -F _hp_rm >/dev/null && _hp_rm
	rl_cleanup
	(exit "$rc")
	_eng_exit
}
trap _conmon_exit EXIT

nested_init /dev/null
np() {
	timeout 60 nsenter -t "$INIT" -m -p "$PODMAN" --root "$PD/root" --runroot /run/pstore \
		--tmpdir /run/libpod --storage-driver vfs --cgroup-manager cgroupfs --events-backend file "$@"
}
_eng_rootfs || { not_ok "fixture: busybox rootfs" "could not be made"; exit 1; }
tar -C "$TMP/rootfs" -c . | np import -c 'CMD ["/bin/sh"]' - "localhost/${PFX}img" >"$TMP/import.out" 2>&1 ||
	{ not_ok "fixture: nested podman import" "$(tail -c 300 "$TMP/import.out" | tr '\n' ' ')"; exit 1; }
C=${PFX}inner
np run -d --network none --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 \
	--cgroup-parent "/${PFX}pod" --name "$C" "localhost/${PFX}img" sleep 1000 >"$TMP/run.out" 2>&1 ||
	{ not_ok "fixture: nested podman run" "$(tail -c 300 "$TMP/run.out" | tr '\n' ' ')"; exit 1; }
CID=$(np inspect -f '{{.Id}}' "$C")
CONMON=
for p in $(pgrep -x conmon); do
	tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -qx "$CID" && CONMON=$p
done
PID=$(pgrep -P "$CONMON" | head -n 1)
[ -n "$CONMON" ] && [ -n "$PID" ] || { not_ok "fixture: the container's conmon and init" "conmon '$CONMON' init '$PID'"; exit 1; }
NS=$(pid_ns_ino "$PID")
check "fixture: the host's podman does not know $C" test -z "$(p ps -q --filter "id=$CID" 2>/dev/null)"
ip link add "${PFX}h" type veth peer name eth0 netns "$PID" && ip link set "${PFX}h" up &&
	nsenter -t "$PID" -n ip link set eth0 up ||
	{ not_ok "fixture: veth into $C" "failed"; exit 1; }

J=$TMP/scan.json
scan_json "$J" -v || exit 1
ctr() { jqv "$J" --arg id "$CID" "[.netns[].containers[] | select(.id == \$id)] | if length == 1 then .[0]$1 else \"<\(length) matches>\" end"; }
check_eq "conmon: $C named, engine podman, verified" "podman $C true" "$(ctr '| "\(.engine) \(.name) \(.verified)"')"
check_eq "conmon: our PID of its init" "$PID" "$(ctr .pid)"
check_eq "conmon: node is the nested PID namespace's init" "pid:$INIT" "$(ctr .node)"
check_eq "conmon: in the netns of its init" "$NS" \
	"$(jqv "$J" --arg id "$CID" '[.netns[] | select(any(.containers[]; .id == $id)) | .inode] | join(",")')"
check_veth "$J" "conmon" "$HOSTNS" "${PFX}h" "$NS" eth0
check_eq "ls: $C's row: engine podman, node pid:$INIT, host end ${PFX}h" "podman pid:$INIT ${PFX}h" \
	"$("$VETHMAP" ls --stored --db "$DB" --json "$C" | jq -r '.[] | "\(.engine) \(.node) \(.host_peer.name)"')"
timeout 20 "$VETHMAP" cap "$C" -c 1 -d 1 >/dev/null 2>"$TMP/cap.err"
check_eq "cap $C -c 1 -d 1 exits 0 ($(head -c 200 "$TMP/cap.err"))" 0 "$?"
check_eq "cap $C captured on $C:eth0" 1 "$(grep -c "^vethmap: $C:eth0: " "$TMP/cap.err")"

# ---- an unprivileged user's conmon look-alike, in a user namespace of its own ----------------
# claiming the container's id under another name, with one child (a sleep)
mkdir -p "$TMP/fake"
chmod 0755 "$TMP"
cp "$(readlink -f /usr/bin/python3)" "$TMP/fake/conmon"
cat >"$TMP/fake/c.py" <<EOF
import subprocess, time
subprocess.Popen(["sleep", "100"])
open("$TMP/fake/ready", "w").close()
time.sleep(100)
EOF
chmod 0644 "$TMP/fake/c.py"
chmod 01777 "$TMP/fake"
setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Ur "$TMP/fake/conmon" "$TMP/fake/c.py" \
	-c "$CID" -n "${PFX}forged" --exit-command /usr/bin/podman >"$TMP/fake/log" 2>&1 &
eng_bg $!
if wait_for 10 test -e "$TMP/fake/ready"; then
	scan_json "$TMP/f.json" --no-store || exit 1
	check_eq "a user's conmon: names nothing" 0 \
		"$(jq --arg n "${PFX}forged" '[.netns[].containers[] | select(.name == $n)] | length' "$TMP/f.json")"
	check_eq "a user's conmon: $C still named, once" "podman $C" \
		"$(jqv "$TMP/f.json" --arg id "$CID" '[.netns[].containers[] | select(.id == $id) | "\(.engine) \(.name)"] | join(",")')"
else
	not_ok "fixture: a user's fake conmon" "$(head -c 300 "$TMP/fake/log" | tr '\n' ' ')"
fi

# ---- a root podman on the host with storage of its own (--root): only its conmon tells ------
hp() {
	timeout 60 "$PODMAN" --root "$PD/hroot" --runroot "$PD/hrun" --tmpdir "$PD/htmp" \
		--storage-driver vfs --cgroup-manager cgroupfs --events-backend file "$@"
}
mkdir -p "$PD/hroot" "$PD/hrun" "$PD/htmp"
tar -C "$TMP/rootfs" -c . | hp import -c 'CMD ["/bin/sh"]' - "localhost/${PFX}img" >"$TMP/himport.out" 2>&1 ||
	{ not_ok "fixture: host podman --root import" "$(tail -c 300 "$TMP/himport.out" | tr '\n' ' ')"; exit 1; }
HC=${PFX}own
hp run -d --network none --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 \
	--cgroup-parent "/${PFX}pod" --name "$HC" "localhost/${PFX}img" sleep 1000 >"$TMP/hrun.out" 2>&1 ||
	{ not_ok "fixture: host podman --root run" "$(tail -c 300 "$TMP/hrun.out" | tr '\n' ' ')"; exit 1; }
_hp_rm() { hp rm -f -t 0 "$HC" >/dev/null 2>&1; }
HCID=$(hp inspect -f '{{.Id}}' "$HC")
HPID=$(hp inspect -f '{{.State.Pid}}' "$HC")

# ---- a user's Podman files claiming both containers' ids ----------------------------------------
# the nested one's for a process of the user's (verified as the user's: root's conmon must win),
# the host one's for its own init (not the user's: unverified; stored beside it, the write
# must not break)
rl_add_user U || { not_ok "fixture: useradd" "failed"; exit 1; }
UID1=$(id -u "$U")
rl_asu "$U" sh -c "mkdir -p ~/.local/share/containers/storage/vfs-containers \
	/run/user/$UID1/containers/vfs-containers/$CID/userdata \
	/run/user/$UID1/containers/vfs-containers/$HCID/userdata &&
	printf '%s' '[{\"id\":\"$CID\",\"names\":[\"${PFX}claim\"]},{\"id\":\"$HCID\",\"names\":[\"${PFX}claim2\"]}]' \
		>~/.local/share/containers/storage/vfs-containers/containers.json &&
	echo $HPID >/run/user/$UID1/containers/vfs-containers/$HCID/userdata/pidfile" ||
	{ not_ok "fixture: $U's storage" "failed"; exit 1; }
setpriv --reuid="$UID1" --regid="$(id -g "$U")" --clear-groups unshare -Urn sleep 120 &
USLEEP=$!	# the user's own process, in namespaces of the user's (setpriv, unshare exec)
bg_pid "$USLEEP"
echo "$USLEEP" | runuser -u "$U" -- sh -c "cat >/run/user/$UID1/containers/vfs-containers/$CID/userdata/pidfile"
scan_json "$TMP/u.json" -v --no-store || exit 1
check_eq "a user's claim: $U's files were read" 1 \
	"$(grep -c "podman: 2 containers of user $U from its vfs storage" "$TMP/u.json.err")"
check_eq "a user's claim of the nested container's id: dropped, root's conmon wins" 1 \
	"$(grep -c "user $U's claim of it dropped" "$TMP/u.json.err")"
check_eq "a user's claim: $C named as the system's, in its netns" "podman $C null $NS" \
	"$(jqv "$TMP/u.json" --arg id "$CID" '[.netns[] | .inode as $i | .containers[] | select(.id == $id) | "\(.engine) \(.name) \(.owner) \($i)"] | join(",")')"
check_eq "a user's claim: ${PFX}claim names nothing" 0 \
	"$(jq --arg n "${PFX}claim" '[.netns[].containers[] | select(.name == $n)] | length' "$TMP/u.json")"
check_eq "a host conmon: $HC named (no node), once, and no claim beside it" "podman $HC null" \
	"$(jqv "$TMP/u.json" --arg id "$HCID" '[.netns[].containers[] | select(.id == $id) | "\(.engine) \(.name) \(.node)"] | join(",")')"
scan_json "$TMP/s.json" || exit 1	# stored: a claim of a stored id must not break the write
check_eq "stored: $HC once, as the system's" "$HC||1" \
	"$(sqlite3 "$DB" "SELECT name, owner_uid, verified FROM container WHERE id = '$HCID' AND scan_id = (SELECT coalesce(same_as, id) FROM scan ORDER BY id DESC LIMIT 1)")"
exit "$TEST_FAILED"
