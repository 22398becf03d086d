#!/bin/bash
# A root scan against a local user who tries to fool it.  Every attack runs as uid 65534
# in user + mount + network namespaces of its own (anyone can do this):
#   symlink  - an nsfs mountpoint replaced by an absolute symlink to a root-only FIFO:
#              the scan must never open it
#   names    - /run/netns/NAME planted in the user's own mount namespace: shown as
#              "pid P:PATH", never a target name, never an identity in diff
#   hide     - a process named "vethmap" holding a namespace by fd: still found
#   fuse     - a namespace mounted below a FUSE mount that never answers: not looked up;
#              one reached through a symlink into it: the lookup is abandoned at its
#              deadline; the scan ends in bounded time and finds everything else
#   fds      - few descriptors: the scan says it is incomplete (exit 1, JSON, database),
#              and the failed dumps reach JSON, show, report and diff
#   bloat    - 11000 long nsfs mounts: names and mount lines bounded, drops counted
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

fail_fixture() { not_ok "fixture: $1" "${2:-failed}"; exit 1; }

# Every process of every attacker (found by its mount namespace) dies at exit, also the
# FUSE servers and the namespace holders they leave in the background.
_MNTS=()
kill_attacker() {	# kill_attacker PID: that attacker and everything it started
	local m
	m=$(stat -L -c %i "/proc/$1/ns/mnt" 2>/dev/null) && kill_mntns "$m"
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}
trap '_rc=$?; [ ${#_MNTS[@]} -gt 0 ] && kill_mntns "${_MNTS[@]}"; (exit $_rc); _cleanup' EXIT

W=$TMP/u	# the attackers' writable directory
mkdir -m 0777 "$W" || fail_fixture "attacker dir"
chmod 0711 "$TMP"

# attacker NAME SCRIPT: run SCRIPT (bash) as uid 65534 in new user, mount and network
# namespaces; it touches $W/NAME.ready when set up, then sleeps.  Sets APID to its pid.
attacker() {
	local name=$1 script=$2
	printf '%s\n' "set -e" "$script" "touch $W/$name.ready" "exec sleep 300" >"$W/$name.sh"
	chmod 0644 "$W/$name.sh"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		unshare -Urmn --propagation private bash "$W/$name.sh" 2>"$W/$name.err" &
	APID=$!
	bg_pid $APID
	wait_for 20 test -e "$W/$name.ready" || fail_fixture "$name attacker" "$(head -c 300 "$W/$name.err")"
	_MNTS+=("$(stat -L -c %i "/proc/$APID/ns/mnt")")
}

# scan_to FILE [args]: scan --json into $DB; sets RC (exit status) and SECS (wall time)
scan_to() {
	local out=$1 t0; shift
	t0=$(date +%s%N)
	timeout -k 2 30 "$VETHMAP" scan --db "$DB" --json "$@" >"$out" 2>"$out.err"; RC=$?
	SECS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

has_ns() { jq -e --argjson i "$2" 'any(.netns[]; .inode == $i)' "$1" >/dev/null 2>&1; }

# ---- symlink: an absolute symlink over an nsfs mountpoint, aimed at a root-only FIFO ----
mkfifo -m 0600 "$TMP/fifo" || fail_fixture "fifo"
attacker sym "
mkdir -p $W/s/d
touch $W/s/d/ns
unshare --net=$W/s/d/ns true
readlink /proc/self/ns/net >/dev/null
mount -t tmpfs none $W/s/d
ln -s $TMP/fifo $W/s/d/ns"
# a writer whose open() returns only when someone opens the FIFO for reading
( exec 3>"$TMP/fifo"; touch "$TMP/fifo.opened" ) &
FW=$!; bg_pid $FW
grep -q " $W/s/d/ns .* - nsfs " "/proc/$APID/mountinfo" || fail_fixture "symlink: nsfs mount"
scan_to "$TMP/sym.json" -v
sleep 0.3
check "symlink: the root-only FIFO was never opened" test ! -e "$TMP/fifo.opened"
check_eq "symlink: scan ends (not blocked)" 1 "$([ $RC -ne 124 ] && echo 1)"
check "symlink: the unreachable namespace is counted as missed" \
	test "$(jqv "$TMP/sym.json" .scan.missed)" -ge 1
kill -KILL $FW 2>/dev/null; kill_attacker $APID

# ---- names: /run/netns planted in the attacker's own mount namespace ----------------
ns_add real
ip link add "${PFX}r" type veth peer name eth0 netns "${PFX}real" || fail_fixture "real veth"
ip link set "${PFX}r" up && ip -n "${PFX}real" link set eth0 up
REAL_NS=$(ns_ino real)
attacker names "
mount -t tmpfs none /run/netns
touch /run/netns/${PFX}fake /run/netns/${PFX}real
mount --bind /proc/self/ns/net /run/netns/${PFX}fake
mount --bind /proc/self/ns/net /run/netns/${PFX}real"
NPID=$APID
FAKE_NS=$(pid_ns_ino $NPID)
scan_to "$TMP/n1.json"
nsq() { jq -r --argjson i "$2" ".netns[] | select(.inode == \$i) | $3" "$1" 2>/dev/null; }
check_eq "names: planted names shown with their holder" \
	"pid $NPID:/run/netns/${PFX}fake,pid $NPID:/run/netns/${PFX}real" \
	"$(nsq "$TMP/n1.json" "$FAKE_NS" '.names | join(",")')"
check_eq "names: mounts say where (not the host's mount namespace)" "false false" \
	"$(nsq "$TMP/n1.json" "$FAKE_NS" '[.mounts[].host] | map(tostring) | join(" ")')"
check_eq "names: mounts name the mount namespace" "$(stat -L -c %i /proc/$NPID/ns/mnt)" \
	"$(nsq "$TMP/n1.json" "$FAKE_NS" '[.mounts[].mntns] | unique | map(tostring) | join(" ")')"
check_eq "names: the real namespace keeps only its own name" "/run/netns/${PFX}real" \
	"$(nsq "$TMP/n1.json" "$REAL_NS" '.names | join(",")')"
check_eq "names: the real name is a host mount" "true" \
	"$(nsq "$TMP/n1.json" "$REAL_NS" '[.mounts[].host] | map(tostring) | join(" ")')"
"$VETHMAP" show --db "$DB" >"$TMP/n1.txt" 2>&1
check "names: show prints the holder" grep -qF "pid $NPID:/run/netns/${PFX}fake" "$TMP/n1.txt"
check_eq "names: database keeps the origin" "pid $NPID:/run/netns/${PFX}fake|0|$NPID" \
	"$(sqlite3 "$DB" "SELECT n.name, m.host, m.pid FROM netns_name n JOIN netns_mount m
		ON m.scan_id = n.scan_id AND m.inode = n.inode AND m.path = '/run/netns/${PFX}fake'
		WHERE n.scan_id = (SELECT coalesce(same_as, id) FROM scan ORDER BY id DESC LIMIT 1) AND n.name LIKE '%${PFX}fake'")"
timeout 20 "$VETHMAP" cap "${PFX}fake" -d 0.2 -w "$TMP/fake.pcapng" >/dev/null 2>"$TMP/fake.err"
check_eq "names: cap ${PFX}fake is an unknown target" 2 $?
check "names: ... and says so" grep -q "unknown target" "$TMP/fake.err"
timeout 20 "$VETHMAP" cap "${PFX}real" -d 0.2 -w "$TMP/real.pcapng" >/dev/null 2>"$TMP/real.err"
check_eq "names: cap ${PFX}real is not ambiguous ($(head -c 200 "$TMP/real.err" | tr '\n' ' '))" 0 $?
"$VETHMAP" report --db "$DB" --format xml -o "$TMP/n1.xml" 2>/dev/null
check "names: report warns of the planted ip netns name" \
	test "$(xmllint --xpath "count(//finding[@rule='netns-name-foreign'])" "$TMP/n1.xml" 2>/dev/null)" -ge 1
kill_attacker $NPID

# diff: the real namespace goes; another user's namespace (no name before) takes its name
attacker dup "
mount -t tmpfs none /run/netns
( while [ ! -e $W/dup.go ]; do sleep 0.05; done
  touch /run/netns/${PFX}real
  mount --bind /proc/self/ns/net /run/netns/${PFX}real
  touch $W/dup.done ) &"
DPID=$APID
scan_to "$TMP/d1.json"
touch "$W/dup.go"
wait_for 10 test -e "$W/dup.done" || fail_fixture "dup: planted name"
ip netns del "${PFX}real"
scan_to "$TMP/d2.json"
"$VETHMAP" diff --db "$DB" >"$TMP/diff.txt" 2>&1
check "diff: the real namespace is removed" grep -qE "^- netns +${PFX}real( |$)" "$TMP/diff.txt"
check "diff: not turned into a change of the planted one" \
	bash -c "! grep -qE '^~ netns +${PFX}real' '$TMP/diff.txt'"
kill_attacker $DPID

# ---- hide: a process named vethmap holding a namespace by fd ------------------------
cp /bin/sleep "$W/vethmap" && chmod 0755 "$W/vethmap"
attacker hide "
unshare -n sleep 300 &
S=\$!
while [ \"\$(readlink /proc/\$S/ns/net)\" = \"\$(readlink /proc/self/ns/net)\" ]; do sleep 0.05; done
readlink /proc/\$S/ns/net | tr -dc 0-9 >$W/hide.ino
$W/vethmap 300 7</proc/\$S/ns/net &
H=\$!
while [ ! -e /proc/\$H/fd/7 ]; do sleep 0.05; done
kill \$S"
HIDE_NS=$(cat "$W/hide.ino")
no_proc_in() {	# no process (or thread) has netns $1 as its own
	local p
	for p in /proc/[0-9]*/task/[0-9]*/ns/net; do
		[ "$(readlink "$p" 2>/dev/null)" = "net:[$1]" ] && return 1
	done
	return 0
}
wait_for 5 no_proc_in "$HIDE_NS" || fail_fixture "hide: only the fd holds it"
scan_to "$TMP/hide.json"
check "hide: a namespace held by a process named vethmap is found" has_ns "$TMP/hide.json" "$HIDE_NS"
check_eq "hide: ... as held by an fd" fd "$(nsq "$TMP/hide.json" "$HIDE_NS" '.via | join(",")')"
kill_attacker $APID

# ---- fuse: namespaces below a FUSE mount whose server never answers ----------------------
# The server opens /dev/fuse, mounts, and never reads a request: every lookup below the
# mount waits for ever (for INIT).  It runs as root in its own user and mount namespaces:
# a FUSE mount refuses lookups (EACCES, no request sent) by anyone but its owner, unless
# mounted allow_other, which admits only the mount's own user namespace: a mount made in
# an unprivileged user's namespace cannot stall root.  One that root owns can (an admin's
# dead sshfs; fusermount3 allow_other in the initial user namespace).
cat >"$W/fuse.py" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open("/dev/fuse", os.O_RDWR)
os.set_inheritable(fd, True)	# kept across exec: closing it would end the mount
opts = ("fd=%d,rootmode=40000,user_id=0,group_id=0" % fd).encode()
if libc.mount(b"stall", sys.argv[1].encode(), b"fuse", 0, opts) != 0:
    sys.exit("mount fuse: " + os.strerror(ctypes.get_errno()))
open(sys.argv[2], "w").close()
os.execvp("sleep", ["sleep", "300"])	# keeps the fd, never answers
PY
FUSE_SETUP="
mkdir -p $W/f/a/b $W/f/ok $W/f/fz
touch $W/f/a/b/ns $W/f/ok/ns
unshare --net=$W/f/a/b/ns true
unshare --net=$W/f/ok/ns true"
fuse_at() {	# fuse_at DIR: a stalling FUSE mount on DIR, in the background
	printf 'python3 %s %s %s &\nwhile [ ! -e %s ]; do sleep 0.05; done\n' "$W/fuse.py" "$1" "$1.up" "$1.up"
}
attacker_fuse() {	# attacker_fuse NAME SCRIPT: as root in new user+mount+net namespaces
	local name=$1 script=$2
	printf '%s\n' "set -e" "$script" "touch $W/$name.ready" "exec sleep 300" >"$W/$name.sh"
	unshare -Urmn --propagation private bash "$W/$name.sh" 2>"$W/$name.err" &
	APID=$!
	bg_pid $APID
	wait_for 20 test -e "$W/$name.ready" || { skip "$name" "fuse set-up failed: $(head -c 200 "$W/$name.err")"; return 1; }
	_MNTS+=("$(stat -L -c %i "/proc/$APID/ns/mnt")")
}
FUSE_OK=1
attacker_fuse fz1 "${FUSE_SETUP//\/f\//\/f1\/}
$(fuse_at "$W/f1/a")" || FUSE_OK=0
if [ $FUSE_OK = 1 ]; then
	F1=$APID
	ino_at() { grep " $2 .* - nsfs " "/proc/$1/mountinfo" | awk '{print $4}' | tr -dc 0-9; }
	F1_HIDDEN=$(ino_at $F1 "$W/f1/a/b/ns")
	F1_OK=$(ino_at $F1 "$W/f1/ok/ns")
	scan_to "$TMP/fz1.json" -v
	check_eq "fuse below: scan ends in bounded time (${SECS} ms, exit $RC)" 1 \
		"$([ $RC -ne 124 ] && [ "$SECS" -lt 5000 ] && echo 1)"
	check "fuse below: the mount was not looked up" \
		test "$(jqv "$TMP/fz1.json" .scan.mounts_skipped)" -ge 1
	check "fuse below: --verbose says which" grep -qF "$W/f1/a/b/ns" "$TMP/fz1.json.err"
	check "fuse below: everything else found" has_ns "$TMP/fz1.json" "$F1_OK"
	check_eq "fuse below: the hidden one is counted as missed" "true 1" \
		"$(jqv "$TMP/fz1.json" '"\(.scan.incomplete) \(.scan.missed)"')"
	check "fuse below: it is not in the snapshot" bash -c "! jq -e --argjson i $F1_HIDDEN 'any(.netns[]; .inode == \$i)' $TMP/fz1.json"
	kill_attacker $F1

	# deadline: the path is reached through a symlink into the FUSE mount (no prefix)
	attacker_fuse fz2 "${FUSE_SETUP//\/f\//\/f2\/}
$(fuse_at "$W/f2/fz")
mount -t tmpfs none $W/f2/a
ln -s $W/f2/fz $W/f2/a/b" || FUSE_OK=0
fi
if [ $FUSE_OK = 1 ]; then
	F2=$APID
	F2_OK=$(ino_at $F2 "$W/f2/ok/ns")
	scan_to "$TMP/fz2.json"
	check_eq "fuse deadline: scan ends in bounded time (${SECS} ms, exit $RC)" 1 \
		"$([ $RC -ne 124 ] && [ "$SECS" -lt 8000 ] && echo 1)"
	check_eq "fuse deadline: exit 1 (incomplete)" 1 "$RC"
	check_eq "fuse deadline: one lookup abandoned" 1 "$(jqv "$TMP/fz2.json" .scan.lookup_timeouts)"
	check_eq "fuse deadline: one warning line about it" 1 \
		"$(grep -c "did not finish in time" "$TMP/fz2.json.err")"
	check_eq "fuse deadline: marked incomplete" true "$(jqv "$TMP/fz2.json" .scan.incomplete)"
	check "fuse deadline: the other namespace of that mount namespace found" \
		has_ns "$TMP/fz2.json" "$F2_OK"
	check "fuse deadline: the host's found" has_ns "$TMP/fz2.json" "$HOSTNS"
	check_eq "fuse deadline: database says incomplete" 1 \
		"$(sqlite3 "$DB" 'SELECT incomplete FROM scan ORDER BY id DESC LIMIT 1')"
	kill_attacker $F2
	check "fuse deadline: no lookup child outlives the attacker" wait_for 10 bash -c "! pgrep -f '^$VETHMAP scan --db $DB' >/dev/null"
fi

# ---- fds: too few descriptors for every namespace -------------------------------------
attacker fds "
for i in \$(seq 40); do unshare -n sleep 300 & done
sleep 1"
scan_to "$TMP/fds.json" --no-containers
FDS_RC=$RC
timeout 30 prlimit --nofile=40:40 "$VETHMAP" scan --db "$DB" --json --no-containers >"$TMP/low.json" 2>"$TMP/low.err"
RC=$?
check_eq "fds: exit 1 when namespaces were missed" 1 "$RC"
check_eq "fds: JSON says incomplete" true "$(jqv "$TMP/low.json" .scan.incomplete)"
check "fds: JSON counts what was missed ($(jqv "$TMP/low.json" .scan.missed))" \
	test "$(jqv "$TMP/low.json" .scan.missed)" -ge 1
check "fds: one warning line with how many and why" \
	grep -qE "warning: scan incomplete: [0-9]+ namespaces seen but not held \(out of file descriptors\)" "$TMP/low.err"
check_eq "fds: stored, marked incomplete" "1|$(jqv "$TMP/low.json" .scan.missed)" \
	"$(sqlite3 "$DB" 'SELECT incomplete, missed FROM scan ORDER BY id DESC LIMIT 1')"
check_eq "fds: vethmap scans --json says incomplete" true \
	"$("$VETHMAP" scans --db "$DB" --json | jq -r '.[-1].incomplete')"
check "fds: vethmap scans says incomplete" \
	bash -c "'$VETHMAP' scans --db '$DB' | tail -n 1 | grep -qE 'incomplete \([0-9]+ missed\)$'"
# the dumps that failed for want of descriptors
DE=$(jqv "$TMP/low.json" '[.netns[] | select(.dump_error)] | length')
if [ "${DE:-0}" -ge 1 ]; then
	check_eq "dump error: in the database" "$DE" \
		"$(sqlite3 "$DB" 'SELECT count(*) FROM netns WHERE dump_error != 0 AND scan_id = (SELECT coalesce(same_as, id) FROM scan ORDER BY id DESC LIMIT 1)')"
	check_eq "dump error: in show --json" "$DE" \
		"$("$VETHMAP" show --db "$DB" --json | jq '[.netns[] | select(.dump_error)] | length')"
	check "dump error: in show" bash -c "'$VETHMAP' show --db '$DB' | grep -q 'dump failed'"
	"$VETHMAP" report --db "$DB" --format xml -o "$TMP/low.xml" 2>/dev/null
	check "dump error: a report finding" \
		test "$(xmllint --xpath "count(//finding[@rule='netns-dump-failed'])" "$TMP/low.xml" 2>/dev/null)" -ge 1
	check "scan-incomplete: a report finding" \
		test "$(xmllint --xpath "count(//finding[@rule='scan-incomplete'])" "$TMP/low.xml" 2>/dev/null)" -eq 1
	"$VETHMAP" diff --db "$DB" >"$TMP/low.diff" 2>"$TMP/low.diff.err"
	check "dump error: in diff" grep -q "dump ok -> " "$TMP/low.diff"
	check "diff: warns that the newer scan is incomplete" grep -q "is incomplete" "$TMP/low.diff.err"
else
	not_ok "dump error: some dump failed with 40 descriptors" "none did"
fi
check_eq "fds: the same scan with enough descriptors is whole (exit $FDS_RC)" "0 false" \
	"$FDS_RC $(jqv "$TMP/fds.json" .scan.incomplete)"
kill_attacker $APID

# ---- bloat: 11000 long nsfs mounts of one namespace ------------------------------------
cat >"$W/bloat.py" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
d = sys.argv[1]
for i in range(int(sys.argv[2])):
    p = os.path.join(d, "%05d-" % i + "x" * 180)
    open(p, "w").close()
    if libc.mount(b"/proc/self/ns/net", p.encode(), None, 4096, None) != 0:  # MS_BIND
        sys.exit("mount: " + os.strerror(ctypes.get_errno()))
PY
attacker bloat "
mkdir -p $W/bl
mount -t tmpfs none $W/bl
python3 $W/bloat.py $W/bl 11000"
BLOAT_NS=$(pid_ns_ino $APID)
# the attacker's mount namespace began as a copy of the host's: its N0 other lines (the
# host's /run/netns mounts among them, however many this machine has) come first, so
# 10000 - N0 of the bloat mounts are read (64 kept) and the rest dropped unread
N0=$(grep -vc " $W/bl/" "/proc/$APID/mountinfo")
BLOAT_READ=$((10000 - N0))
scan_to "$TMP/bloat.json" --no-containers
check "bloat: scan ends in bounded time (${SECS} ms)" test "$SECS" -lt 20000
check_eq "bloat: at most 64 names kept for the namespace" 64 \
	"$(nsq "$TMP/bloat.json" "$BLOAT_NS" '.names | length')"
check_eq "bloat: the namespace counts what it dropped (the $BLOAT_READ read, but 64; $N0 other mounts)" \
	$((BLOAT_READ - 64)) "$(nsq "$TMP/bloat.json" "$BLOAT_NS" '.names_dropped')"
check "bloat: the scan counts dropped names" test "$(jqv "$TMP/bloat.json" .scan.names_dropped)" -ge $((BLOAT_READ - 64))
check "bloat: mount lines beyond the bound are not read ($(jqv "$TMP/bloat.json" .scan.mount_lines_dropped))" \
	test "$(jqv "$TMP/bloat.json" .scan.mount_lines_dropped)" -ge $((11000 + N0 - 10000))
check_eq "bloat: the database keeps the bounded names and the counts" "64|$(nsq "$TMP/bloat.json" "$BLOAT_NS" .names_dropped)" \
	"$(sqlite3 "$DB" "SELECT count(*), (SELECT names_dropped FROM netns WHERE inode = $BLOAT_NS AND scan_id = (SELECT coalesce(same_as, id) FROM scan ORDER BY id DESC LIMIT 1)) FROM netns_name WHERE inode = $BLOAT_NS AND scan_id = (SELECT coalesce(same_as, id) FROM scan ORDER BY id DESC LIMIT 1)")"
check "bloat: database stays small ($(stat -c %s "$DB") bytes)" test "$(stat -c %s "$DB")" -lt 20000000
kill_attacker $APID
