#!/bin/bash
# vethmap-scan.service and .timer (issue 15): installed by 'make install' (DESTDIR, PREFIX),
# accepted by 'systemd-analyze verify', hardened as the issue asks; and the service's own
# ExecStart line, run under the unit's CapabilityBoundingSet= and NoNewPrivileges= (setpriv)
# inside a mount namespace made as the unit's ProtectSystem=strict, ReadWritePaths=,
# ProtectHome=read-only, PrivateDevices=, ProtectKernelTunables=, ProtectControlGroups= and
# ProtectHostname= make one (no systemd as PID 1 is needed), finds every namespace of an
# adversarial fixture and maps it as a full root scan does:
#   two namespaces with veths on a bridge; one held by a process only; one by an open fd
#   only; one bind-mounted only below a directory of nobody's that root may not search
#   without CAP_DAC_READ_SEARCH; one bind-mounted only in the mount namespace of an
#   unprivileged user (uid 65534 in its own user namespace), below a 0700 directory.
# Each capability the unit keeps is then dropped in turn, to show the scan needs it.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

fail_fixture() { not_ok "fixture: $1" "${2:-failed}"; exit 1; }
_UMOUNTS=()
_MNTS=()
trap '_rc=$?; [ ${#_MNTS[@]} -gt 0 ] && kill_mntns "${_MNTS[@]}"
	for m in "${_UMOUNTS[@]}"; do umount -l "$m" 2>/dev/null; done; (exit $_rc); _cleanup' EXIT

# ---- the units as installed ----
make -s install DESTDIR="$TMP/root" PREFIX=/usr >"$TMP/install.log" 2>&1
check_eq "make install DESTDIR=... exits 0" 0 "$?"
for u in vethmap-scan.service vethmap-scan.timer; do
	check "make install puts $u in \$(PREFIX)/lib/systemd/system under DESTDIR" \
		test -f "$TMP/root/usr/lib/systemd/system/$u"
done
check_eq "the installed service runs the installed binary" "ExecStart=/usr/sbin/vethmap scan --older-than 7d" \
	"$(grep '^ExecStart=' "$TMP/root/usr/lib/systemd/system/vethmap-scan.service")"
P=$TMP/p	# a prefix of its own, so that ExecStart names a binary that is there
make -s install PREFIX="$P" >>"$TMP/install.log" 2>&1
check_eq "make install PREFIX=... exits 0" 0 "$?"
S=$P/lib/systemd/system/vethmap-scan.service
T=$P/lib/systemd/system/vethmap-scan.timer
make -s uninstall DESTDIR="$TMP/root" PREFIX=/usr >>"$TMP/install.log" 2>&1
check "make uninstall removes the units" test ! -e "$TMP/root/usr/lib/systemd/system/vethmap-scan.service" \
	-a ! -e "$TMP/root/usr/lib/systemd/system/vethmap-scan.timer"

if type -P systemd-analyze >/dev/null; then
	out=$(cd "$P/lib/systemd/system" && MANPATH=$P/share/man systemd-analyze verify \
		./vethmap-scan.service ./vethmap-scan.timer 2>&1)
	rc=$?
	check_eq "systemd-analyze verify: service and timer pass (man page found)" "0:" "$rc:$out"
	# and it would say so: a service whose binary is not there
	sed "s|^ExecStart=.*|ExecStart=$TMP/nowhere/vethmap scan|" "$S" >"$TMP/bad.service"
	out=$(cd "$TMP" && MANPATH=$P/share/man systemd-analyze verify ./bad.service 2>&1)
	check "systemd-analyze verify fails a service without its binary" test -n "$out"
	systemd-analyze security --offline=yes "$S" >"$TMP/security.txt" 2>&1
	note "$(grep -E 'Overall exposure' "$TMP/security.txt")"
else
	skip "systemd-analyze verify" "systemd-analyze not installed (Debian's systemd package)"
fi

key() { sed -n "s/^$1=//p" "$2" | tail -n1; }	# key NAME FILE: the last NAME= of FILE
DBDIR=$(dirname "$("$VETHMAP" help scan | sed -n 's/.*the database instead of //p')")
check_eq "the default database's directory" /var/lib/vethmap "$DBDIR"
check_eq "service: NoNewPrivileges=yes" yes "$(key NoNewPrivileges "$S")"
check_eq "service: ProtectSystem=strict" strict "$(key ProtectSystem "$S")"
check_eq "service: ReadWritePaths= the database's directory, only" "$DBDIR" "$(key ReadWritePaths "$S")"
check_eq "service: StateDirectory= makes it" vethmap "$(key StateDirectory "$S")"
check_eq "service: StateDirectoryMode=0700" 0700 "$(key StateDirectoryMode "$S")"
check_eq "service: ProtectHome=read-only" read-only "$(key ProtectHome "$S")"
check_eq "service: RestrictAddressFamilies=AF_UNIX AF_NETLINK" "AF_UNIX AF_NETLINK" \
	"$(key RestrictAddressFamilies "$S")"
check_eq "service: the table goes nowhere (StandardOutput=null)" null "$(key StandardOutput "$S")"
check_eq "service: warnings go to the journal" journal "$(key StandardError "$S")"
check "service: a week of snapshots is kept (--older-than 7d)" \
	grep -qE '^ExecStart=.*/vethmap scan --older-than 7d$' "$S"
check_eq "timer: every 5 minutes" 5min "$(key OnUnitActiveSec "$T")"
check_eq "timer: enabled by timers.target" timers.target "$(key WantedBy "$T")"
check_eq "timer: starts the service" vethmap-scan.service "$(key Unit "$T")"

CAPS=$(key CapabilityBoundingSet "$S")
check_eq "service: CapabilityBoundingSet= three capabilities" \
	"CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_DAC_READ_SEARCH" "$CAPS"
bset() {	# bset CAP...: setpriv's --bounding-set for exactly these
	local s=-all c
	for c in "$@"; do
		c=${c#CAP_}
		s+=",+${c,,}"
	done
	echo "$s"
}
read -r -a EXEC <<<"$(key ExecStart "$S")"
check_eq "service: ExecStart is the installed vethmap scan" "$P/sbin/vethmap scan --older-than 7d" "${EXEC[*]}"

# ---- the adversarial fixture ----
chmod 0711 "$TMP"
ns_add a
ns_add b
ip link add "${PFX}br" type bridge && ip link set "${PFX}br" up || fail_fixture "bridge"
for n in a b; do
	ip link add "${PFX}v$n" type veth peer name eth0 netns "$PFX$n" &&
		ip link set "${PFX}v$n" master "${PFX}br" up &&
		ip -n "$PFX$n" link set eth0 up || fail_fixture "veth $n"
done
NS_A=$(ns_ino a) NS_B=$(ns_ino b)
own_ns() { local i; i=$(pid_ns_ino "$1") && [ "$i" != "$HOSTNS" ]; }	# own_ns PID
unshare -n sleep 300 &
PROC=$!; bg_pid $PROC
wait_for 5 own_ns $PROC || fail_fixture "process-only namespace"
NS_PROC=$(pid_ns_ino $PROC)
unshare -n sleep 300 &
H=$!
wait_for 5 own_ns $H || fail_fixture "fd namespace"
NS_FD=$(pid_ns_ino $H)
sleep 300 7<"/proc/$H/ns/net" &
FDH=$!; bg_pid $FDH
holds() { [ "$(readlink "/proc/$FDH/fd/7")" = "net:[$NS_FD]" ]; }
wait_for 5 holds || fail_fixture "fd holder"
kill -KILL $H; wait $H 2>/dev/null
# a namespace mounted only below nobody's 0700 directory
mkdir -p "$TMP/priv/d" && touch "$TMP/priv/d/m" && chown -R 65534:65534 "$TMP/priv" ||
	fail_fixture "private dir"
ns_add hidden
mount --bind "/run/netns/${PFX}hidden" "$TMP/priv/d/m" || fail_fixture "bind mount"
_UMOUNTS+=("$TMP/priv/d/m")
NS_HID=$(stat -L -c %i "$TMP/priv/d/m")
ip netns del "${PFX}hidden"
chmod 0700 "$TMP/priv" || fail_fixture "chmod"
# a namespace mounted only in an unprivileged user's own mount namespace
W=$TMP/u
mkdir -m 0777 "$W" "$TMP/sig" || fail_fixture "user dir"
cat >"$W/user.sh" <<EOF
set -e
mount -t tmpfs -o mode=0700 none $W
mkdir $W/d
touch $W/d/ns
unshare --net=$W/d/ns true
touch $TMP/sig/user.ready
exec sleep 300
EOF
chmod 0644 "$W/user.sh"
setpriv --reuid=65534 --regid=65534 --clear-groups \
	unshare -Urm --propagation private bash "$W/user.sh" 2>"$TMP/user.err" &
UPID=$!; bg_pid $UPID
wait_for 20 test -e "$TMP/sig/user.ready" || fail_fixture "user" "$(head -c 300 "$TMP/user.err")"
_MNTS+=("$(stat -L -c %i "/proc/$UPID/ns/mnt")")
NS_USER=$(awk '$5 == "'"$W"'/d/ns" {print $0}' "/proc/$UPID/mountinfo" | grep -oE 'net:\[[0-9]+\]' | tr -dc 0-9)
check "fixture: the user's namespace is mounted in its mount namespace" test -n "$NS_USER"
OURS="[$NS_A,$NS_B,$NS_PROC,$NS_FD,$NS_HID${NS_USER:+,$NS_USER}]"
note "fixture namespaces: $OURS"

# the part of a scan that is the fixture's: its namespaces, interfaces, edges
mine() {	# mine JSON: the fixture's part, normalised (no pids: they are other processes')
	jq -S --argjson s "$OURS" --arg p "$PFX" '
		def ours: . as $i | $s | index($i) != null;
		def end_ours: (.netns | ours) or (.name | startswith($p));
		# "fd": a scan that another suite runs meanwhile holds every namespace by fd
		{ netns: [.netns[] | select(.inode | ours) | {inode, names, via: (.via - ["fd"])}]
			| sort_by(.inode),
		  interfaces: [.interfaces[] | select(end_ours) | {netns, name, kind, peer, master}]
			| sort_by(.netns, .name),
		  edges: [.edges[] | select((.a | end_ours) or (.b | end_ours)) | {type, a, b}]
			| sort_by(.type, .a.netns, .a.name),
		  unresolved: [.unresolved[] | select(end_ours) | {netns, name, reason}] }' "$1"
}
found() {	# found JSON: how many of the fixture's namespaces it has
	jq --argjson s "$OURS" '[.netns[] | select(.inode as $i | $s | index($i) != null)] | length' "$1"
}

timeout 60 "$VETHMAP" scan --db "$TMP/full.db" --json >"$TMP/full.json" 2>"$TMP/full.err"
note "full root scan: exit $? ($(head -c 200 "$TMP/full.err" | tr '\n' ' '))"
NOURS=$(jq length <<<"$OURS")
check_eq "a full root scan finds every namespace of the fixture" "$NOURS" "$(found "$TMP/full.json")"
mine "$TMP/full.json" >"$TMP/full.mine"

# ProtectSystem=strict and friends, as a mount namespace: every mount read-only but the
# database's directory (a mount of its own) and /proc (its sys read-only); a /dev of
# pseudo-devices; a UTS namespace of its own; propagation from the host kept (slave)
cat >"$TMP/sandbox.sh" <<'EOF'
set -e
dbdir=$1 old=$2
shift 2
mounts=$(tac /proc/self/mountinfo)
mount --bind "$dbdir" "$dbdir"
mount --bind /dev "$old"
mount -t tmpfs -o mode=0755,nosuid,noexec tmpfs /dev
for d in null zero full random urandom tty; do
	touch /dev/$d
	mount --bind "$old/$d" /dev/$d
done
umount "$old"
for d in fd:/proc/self/fd stdin:/proc/self/fd/0 stdout:/proc/self/fd/1 stderr:/proc/self/fd/2; do
	ln -s "${d#*:}" "/dev/${d%%:*}"
done
mount --bind /proc/sys /proc/sys
mounts="/proc/sys /proc/sys /proc/sys /proc/sys /proc/sys
$mounts"
n=0
while read -r _ _ _ _ mp _; do
	[[ $mp == *\\* ]] && mp=$(printf '%b' "$(sed 's/\\\([0-7][0-7][0-7]\)/\\0\1/g' <<<"$mp")")
	case $mp in
	"$dbdir" | /dev | /dev/*) continue ;;
	/proc | /proc/*) [ "$mp" = /proc/sys ] || continue ;;
	esac
	mount -o remount,bind,ro "$mp" 2>/dev/null || n=$((n + 1))
done <<<"$mounts"
echo "$n mounts not made read-only" >&2
exec "$@"
EOF
sandboxed() {	# sandboxed DBDIR CAP...: the ExecStart line in the unit's sandbox, those caps
	local dbdir=$1; shift
	mkdir -p "$TMP/olddev"
	unshare --mount --uts --propagation slave bash "$TMP/sandbox.sh" "$dbdir" "$TMP/olddev" \
		setpriv --bounding-set="$(bset "$@")" --no-new-privs \
		env VETHMAP_DB="$dbdir/vethmap.db" timeout 60 "${EXEC[@]}"
}

mkdir -m 0700 "$TMP/svc"
read -r -a KEEP <<<"$CAPS"
sandboxed "$TMP/svc" "${KEEP[@]}" >/dev/null 2>"$TMP/svc.err"	# StandardOutput=null
rc=$?
note "sandboxed scan: exit $rc ($(head -c 300 "$TMP/svc.err" | tr '\n' ' '))"
check "sandboxed: the scan ran (exit 0, or 1 for an incomplete host)" test $rc -le 1
check "sandboxed: the sandbox was read-only (a write outside the database fails)" \
	unshare --mount --propagation slave bash -c "bash $TMP/sandbox.sh $TMP/svc $TMP/olddev true 2>/dev/null; ! touch $TMP/svc.probe 2>/dev/null"
"$VETHMAP" show --db "$TMP/svc/vethmap.db" --json >"$TMP/svc.json" 2>"$TMP/svc.show.err"
check_eq "sandboxed: the snapshot was stored in the database's directory" 0 "$?"
check_eq "sandboxed: the database file is 0600" 600 "$(stat -c %a "$TMP/svc/vethmap.db" 2>&1)"
check_eq "sandboxed: finds every namespace of the fixture" "$NOURS" "$(found "$TMP/svc.json")"
mine "$TMP/svc.json" >"$TMP/svc.mine"
check_eq "sandboxed: the namespace only an fd holds is found by that fd" "fd" \
	"$(jq -r --argjson i "$NS_FD" '.netns[] | select(.inode == $i) | .via | join(",")' "$TMP/svc.json" | grep -o fd)"
if cmp -s "$TMP/full.mine" "$TMP/svc.mine"; then
	ok "sandboxed: the fixture's namespaces, interfaces, edges and unresolved ends are a full scan's"
else
	not_ok "sandboxed: the fixture's map is a full scan's" "$(diff "$TMP/full.mine" "$TMP/svc.mine" | head -n 12 | tr '\n' '|')"
fi
check_eq "sandboxed: the veth pairs are there (2 veth, 2 bridge edges)" "2 2" \
	"$(jq -r '[([.edges[] | select(.type == "veth")] | length), ([.edges[] | select(.type == "bridge")] | length)] | join(" ")' "$TMP/svc.mine")"

# each capability is needed: without it the scan refuses, or misses a namespace
for drop in "${KEEP[@]}"; do
	less=()
	for c in "${KEEP[@]}"; do [ "$c" = "$drop" ] || less+=("$c"); done
	rm -rf "$TMP/less" && mkdir -m 0700 "$TMP/less"
	sandboxed "$TMP/less" "${less[@]}" >/dev/null 2>"$TMP/less.err"
	rc=$?
	"$VETHMAP" show --db "$TMP/less/vethmap.db" --json >"$TMP/less.json" 2>/dev/null
	note "without $drop: exit $rc, found $(found "$TMP/less.json" 2>/dev/null) of $NOURS:" \
		"$(grep -v 'mounts not made' "$TMP/less.err" | head -c 300 | tr '\n' ' ')"
	case $drop in
	CAP_SYS_ADMIN | CAP_SYS_PTRACE)
		check "without $drop: the scan refuses, naming it" grep -q "$drop" "$TMP/less.err"
		check_eq "without $drop: exit 1" 1 "$rc"
		;;
	CAP_DAC_READ_SEARCH)
		# another suite's scan running meanwhile holds every namespace by fd, and a
		# namespace known so needs no lookup of its mount: tried up to 5 times
		n=$(found "$TMP/less.json" 2>/dev/null)
		for try in 2 3 4 5; do
			[ "${n:-0}" -lt "$NOURS" ] && break
			rm -rf "$TMP/less" && mkdir -m 0700 "$TMP/less"
			sandboxed "$TMP/less" "${less[@]}" >/dev/null 2>"$TMP/less.err"
			"$VETHMAP" show --db "$TMP/less/vethmap.db" --json >"$TMP/less.json" 2>/dev/null
			n=$(found "$TMP/less.json" 2>/dev/null)
			note "without $drop, try $try: found $n of $NOURS"
		done
		check "without $drop: a namespace of the fixture is missed (found ${n:-none} of $NOURS)" \
			test "${n:-0}" -lt "$NOURS"
		check "without $drop: the scan says why" grep -q "mount not reachable" "$TMP/less.err"
		;;
	*)
		not_ok "without $drop" "no check for what it is needed for"
		;;
	esac
done
exit 0
