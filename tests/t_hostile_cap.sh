#!/bin/bash
# vethmap cap (and the -o of report and graph) against a local attacker (issue 9): the
# audit row is written when the capture starts, with who ran it (real uid, SUDO_UID), and
# survives a SIGKILL; the process that parses packets holds no database descriptor, no
# capability in any set (also a copy installed with file capabilities, run by a non-root
# user) and no_new_privs; -w onto another user's file, FIFO or a hard link is refused; a
# reader that stops reading cannot hold the capture past -d or SIGTERM; report -o writes a
# character device or FIFO in place and refuses a symlink; graph -o does not wait for a
# FIFO's reader; pcapng strings (if_name, comments) carry no control characters.
# The attacker is uid 65534 (setpriv), working in a 01777 directory of ours.
#
# Fixture (10.249.X.0/24, X random; no address on the host, no default route):
#   ns a [va .1] <-veth-> [vb .2] ns b
#   ns a [ESC[31m BEL h 10.248.X.1] <-veth-> [hb .2] ns b    (a hostile interface name)
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap
for t in tshark capinfos busybox sqlite3 setpriv setcap python3 mknod; do
	command -v $t >/dev/null || { skip "${0##*/}" "needs $t"; exit 0; }
done

X=$(($(od -An -N1 -tu1 /dev/urandom | tr -d ' ') % 200 + 20))
NET=10.249.$X
NET2=10.248.$X
HN=$'\e[31m\ah'		# interface name with ESC and BEL (the kernel allows both)
HNX='\x1b[31m\x07h'	# how it must appear in a capture file
fixture_fail() { not_ok "fixture: $1" "${2:-failed}"; exit 1; }
errtext() { head -c 300 "$1" | tr '\n' '|' | cat -v; }
why() { [ -s "$1" ] && printf ' (%s)' "$(errtext "$1")"; return 0; }
within() { awk -v lo="$1" -v hi="$2" -v x="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }
asnobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
noctl() { ! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$1"; }	# no C0 control but \t \n
status_of() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null; }

chmod 711 "$TMP"	# nobody may pass through
asnobody test -x "$VETHMAP" || { skip "${0##*/}" "$VETHMAP not executable by nobody"; exit 0; }
for n in a b; do
	ns_add $n
	ip netns exec "$PFX$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
done
ip -n "${PFX}a" link add va type veth peer name vb netns "${PFX}b" &&
	ip -n "${PFX}a" addr add "$NET.1/24" dev va && ip -n "${PFX}b" addr add "$NET.2/24" dev vb &&
	ip -n "${PFX}a" link set va up && ip -n "${PFX}b" link set vb up || fixture_fail "veth a-b"
ip -n "${PFX}a" link add "$HN" type veth peer name hb netns "${PFX}b" &&
	ip -n "${PFX}a" addr add "$NET2.1/24" dev "$HN" && ip -n "${PFX}b" addr add "$NET2.2/24" dev hb &&
	ip -n "${PFX}a" link set "$HN" up && ip -n "${PFX}b" link set hb up ||
	fixture_fail "veth with ESC and BEL in its name"
"$VETHMAP" scan --db "$DB" >/dev/null 2>"$TMP/scan.err" || fixture_fail "scan" "$(errtext "$TMP/scan.err")"
chmod 644 "$DB"
ATT=$TMP/att			# the attacker's playground: a sticky, world-writable directory
mkdir -p "$ATT" && chmod 1777 "$ATT"

ping_ns() {	# ping_ns DST COUNT [INTERVAL [SIZE]]: bounded, from ns a
	timeout 15 ip netns exec "${PFX}a" busybox ping -q -c "$2" -i "${3:-0.2}" -s "${4:-56}" -W 1 "$1" >/dev/null 2>&1
}
# _ready: the capturing process of CAP_PID runs as nobody (every handle and the output are
# open), or CAP_PID has ended
_ready() {
	local st
	st=$(cat "/proc/$CAP_PID/status" 2>/dev/null) || return 0
	grep -q '^State:[[:space:]]*Z' <<<"$st" && return 0
	grep -Eq "^Uid:[[:space:]]+${1:-65534}[[:space:]]" "/proc/$(cap_child "$CAP_PID")/status"
}
# cap_bg NAME [ENV=V...] -- ARGS: vethmap cap ARGS in the background, CAP_PID; waits until
# it captures (CAP_T0); stderr in $TMP/NAME.err
cap_bg() {
	local name=$1 envs=(); shift
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	env "${envs[@]}" "$VETHMAP" cap --db "$DB" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	CAP_PID=$!
	bg_pid $CAP_PID
	wait_for 60 _ready
	CAP_T0=$(now)
	CHILD=$(cap_child "$CAP_PID")
}
row() { sqlite3 -separator '|' "$DB" "SELECT $1 FROM capture WHERE id = (SELECT max(id) FROM capture)" 2>&1; }

# ---- 1. the audit row: written at the start, with who ran it; a SIGKILL leaves it ------------
note "section 1 at $SECONDS s"
before=$(sqlite3 "$DB" 'SELECT coalesce(max(id), 0) FROM capture')
cap_bg kill SUDO_UID=1234 -- "${PFX}a" -d 30 -w "$TMP/kill.pcapng"
sleep 0.3
check_eq "audit: a row exists while the capture runs (target|uid|sudo_uid|state)" \
	"${PFX}a|0|1234|running" "$(row "target, uid, sudo_uid, state")"
kill -KILL "$CHILD" 2>/dev/null
T0=$(now)
wait "$CAP_PID"; rc=$?
check "audit: SIGKILL of the capturing process ends vethmap at once (exit $rc, $(since "$T0") s)" \
	within 0 3 "$(since "$T0")"
check_eq "audit: ... exit 1$(why "$TMP/kill.err")" 1 "$rc"
check_eq "audit: ... the row says killed" "${PFX}a|0|1234|killed" "$(row "target, uid, sudo_uid, state")"
check_eq "audit: ... one row for that capture" 1 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM capture WHERE id > $before")"

cap_bg killp SUDO_UID=1234 -- "${PFX}a" -d 30 -w "$TMP/killp.pcapng"
kill -KILL "$CAP_PID" 2>/dev/null
wait "$CAP_PID" 2>/dev/null
check_eq "audit: SIGKILL of vethmap itself leaves its row, not finished" "${PFX}a|0|1234|running" \
	"$(row "target, uid, sudo_uid, state")"
check "audit: ... its capturing process ends with it" wait_for 5 _gone "$CHILD"

cap_bg done -u SUDO_UID -- "${PFX}a" -d 1 -c 3 -w "$TMP/done.pcapng"
ping_ns "$NET.2" 4 0.1
wait "$CAP_PID"; rc=$?
check_eq "audit: a finished capture: exit 0, row done, packets, no SUDO_UID" "0|3|done|" \
	"$rc|$(row "packets, state, coalesce(sudo_uid, '')")"

# ---- 2. the capturing process: no database, no capability, no_new_privs ---------------------
note "section 2 at $SECONDS s"
# probe LABEL UID: the capturing process of CAP_PID runs as UID with nothing it could misuse
probe() {
	local L=$1 u=$2 fd l bad=""
	[ "$CHILD" != "$CAP_PID" ] && [ -n "$(status_of "$CHILD" Uid)" ] ||
		{ not_ok "$L: a capturing process apart from vethmap" "none$(why "$TMP/$L.err")"; return; }
	check_eq "$L: Uid of the capturing process" "$u" "$(status_of "$CHILD" Uid)"
	check_eq "$L: CapEff CapPrm CapInh CapAmb CapBnd all empty" \
		"0000000000000000 0000000000000000 0000000000000000 0000000000000000 0000000000000000" \
		"$(status_of "$CHILD" CapEff) $(status_of "$CHILD" CapPrm) $(status_of "$CHILD" CapInh) $(status_of "$CHILD" CapAmb) $(status_of "$CHILD" CapBnd)"
	check_eq "$L: NoNewPrivs" 1 "$(status_of "$CHILD" NoNewPrivs)"
	for fd in "/proc/$CHILD/fd/"*; do
		l=$(readlink "$fd" 2>/dev/null) || continue
		case $l in *.db | *.db-wal | *.db-shm | *.db-journal) bad="$bad ${fd##*/}->$l" ;; esac
	done
	check_eq "$L: no database descriptor in the capturing process" "" "$bad"
}
cap_bg root -- "${PFX}a" -d 3 -w "$TMP/root.pcapng"
sleep 0.3
probe root 65534
wait "$CAP_PID"
check_eq "root: exit 0$(why "$TMP/root.err")" 0 "$?"

# A copy of the binary installed with file capabilities, run by a non-root user (no uid
# change: the capabilities must go all the same).
FC=$TMP/fcap
mkdir -p "$FC/home" && chmod 755 "$FC" && chown 65534:65534 "$FC/home"
cp "$VETHMAP" "$FC/vethmap" && chmod 755 "$FC/vethmap"
if ! setcap cap_net_raw,cap_sys_admin,cap_sys_ptrace+ep "$FC/vethmap" 2>"$TMP/setcap.err"; then
	skip "file capabilities" "setcap failed: $(errtext "$TMP/setcap.err")"
else
	setpriv --reuid=65534 --regid=65534 --clear-groups "$FC/vethmap" cap --db "$FC/home/v.db" "${PFX}a" -d 3 -w "$FC/home/x.pcapng" \
		>"$TMP/fcap.out" 2>"$TMP/fcap.err" &
	CAP_PID=$!
	bg_pid $CAP_PID
	_fc_ready() { [ "$(cap_child "$CAP_PID")" != "$CAP_PID" ] && [ "$(status_of "$(cap_child "$CAP_PID")" NoNewPrivs)" = 1 ]; }
	wait_for 60 _fc_ready
	CHILD=$(cap_child "$CAP_PID")
	check_eq "file caps: vethmap itself keeps its capabilities (it captures)" 1 \
		"$([ "$(status_of "$CAP_PID" CapEff)" != 0000000000000000 ] && echo 1)"
	ping_ns "$NET.2" 4 0.2 &
	probe "file caps, non-root user" 65534
	wait "$CAP_PID"; rc=$?
	wait
	check_eq "file caps: exit 0$(why "$TMP/fcap.err")" 0 "$rc"
	n=$(tshark -r "$FC/home/x.pcapng" -T fields -e frame.number 2>/dev/null | wc -l)
	check "file caps: it captured ($n packets)" test "$n" -ge 4
fi

# ---- 3. -w onto what another user prepared ----------------------------------------------------
note "section 3 at $SECONDS s"
# cap_w NAME TARGETFILE: vethmap cap -d 2 -w TARGETFILE, at most 20 s; RC, EL
cap_w() {
	local t0
	t0=$(now)
	timeout 20 "$VETHMAP" cap --db "$DB" "${PFX}a" -d 2 -w "$2" >"$TMP/$1.out" 2>"$TMP/$1.err"
	RC=$?
	EL=$(since "$t0")
}
asnobody sh -c "umask 0; echo nobody-data >'$ATT/x.pcapng'"
cap_w other "$ATT/x.pcapng"
check_eq "another user's 0666 file: refused, exit 1, one line$(why "$TMP/other.err")" "1 1" \
	"$RC $(grep -v '^vethmap: warning:' "$TMP/other.err" | grep -c .)"
check_eq "another user's 0666 file: untouched (owner, mode, content)" "65534 666 nobody-data" \
	"$(stat -c '%u %a' "$ATT/x.pcapng") $(cat "$ATT/x.pcapng")"
check_eq "another user's 0666 file: nothing left beside it" "x.pcapng" "$(ls -A "$ATT" | xargs)"

asnobody mkfifo -m 0666 "$ATT/f.pcapng"
setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "exec cat '$ATT/f.pcapng' >'$ATT/stolen'" &
READER=$!
bg_pid $READER
sleep 0.2
cap_w ofifo "$ATT/f.pcapng"
check_eq "another user's FIFO (with its reader): refused, exit 1$(why "$TMP/ofifo.err")" 1 "$RC"
timeout 5 sh -c ": >'$ATT/f.pcapng'"	# a writer, so its reader ends (EOF) if nothing came
kill "$READER" 2>/dev/null; wait "$READER" 2>/dev/null
check_eq "another user's FIFO: its reader got nothing" 0 "$(stat -c %s "$ATT/stolen" 2>/dev/null || echo 0)"

mkfifo -m 0600 "$TMP/nofifo"
cap_w nofifo "$TMP/nofifo"
check_eq "own FIFO with no reader: refused at once, exit 1 (not waited for: $EL s)$(why "$TMP/nofifo.err")" \
	"1 1" "$RC $(within 0 10 "$EL" && echo 1)"

echo mine >"$TMP/mine.pcapng"
ln "$TMP/mine.pcapng" "$TMP/mine.link"
cap_w hard "$TMP/mine.link"
check_eq "a file with a second link: refused, both names untouched$(why "$TMP/hard.err")" "1 mine 2" \
	"$RC $(cat "$TMP/mine.pcapng") $(stat -c %h "$TMP/mine.pcapng")"

asnobody ln -s "$TMP/mine.pcapng" "$ATT/l.pcapng"
cap_w link "$ATT/l.pcapng"
check_eq "a symlink: refused, the link and its target untouched$(why "$TMP/link.err")" "1 mine l.pcapng" \
	"$RC $(cat "$TMP/mine.pcapng") $([ -L "$ATT/l.pcapng" ] && echo l.pcapng)"

# ---- 4. a reader that stops reading -------------------------------------------------------------
note "section 4 at $SECONDS s"
# stalled NAME OUTPUT ARGS...: vethmap cap into OUTPUT (a FIFO) whose reader never reads,
# while a ping flood fills it; CAP_PID
stalled() {
	local name=$1 out=$2; shift 2
	rm -f "$out"; mkfifo -m 0600 "$out"
	sleep 15 <"$out" &	# holds the read end, reads nothing (old vethmap: until it ends)
	SLEEPER=$!
	bg_pid $SLEEPER
	if [ "$1" = -w- ]; then
		shift
		"$VETHMAP" cap --db "$DB" "${PFX}a" "$@" -w - >"$out" 2>"$TMP/$name.err" &
	else
		"$VETHMAP" cap --db "$DB" "${PFX}a" "$@" -w "$out" >/dev/null 2>"$TMP/$name.err" &
	fi
	CAP_PID=$!
	bg_pid $CAP_PID
	wait_for 60 _ready
	CAP_T0=$(now)
	ping_ns "$NET.2" 300 0.005 1400 &
	FLOOD=$!
}
stalled dash "$TMP/p1" -w- -d 2
wait "$CAP_PID"; rc=$?; el=$(since "$CAP_T0")
check "-w - into a reader that never reads: -d 2 still ends it ($el s)" within 0 6 "$el"
check_eq "... exit 0, as for any -d end$(why "$TMP/dash.err")" 0 "$rc"
check "... the counts are printed" grep -q 'packets captured' "$TMP/dash.err"
kill "$SLEEPER" 2>/dev/null; wait "$FLOOD" 2>/dev/null

stalled term "$TMP/p2" -w- -d 60
sleep 2
kill -TERM "$CAP_PID"
T0=$(now)
wait "$CAP_PID"; rc=$?
check "-w - into a reader that never reads: SIGTERM still ends it ($(since "$T0") s)" within 0 3 "$(since "$T0")"
check_eq "... exit 0$(why "$TMP/term.err")" 0 "$rc"
check "... the counts are printed" grep -q 'packets captured' "$TMP/term.err"
kill "$SLEEPER" 2>/dev/null; wait "$FLOOD" 2>/dev/null
[ "$(sqlite3 "$DB" "SELECT state FROM capture ORDER BY id DESC LIMIT 1")" = done ] &&
	ok "... its row says done" || not_ok "... its row says done" "$(row "state, packets")"

stalled int "$TMP/p4" -w- -d 60
sleep 2
kill -INT "$CAP_PID"
T0=$(now)
wait "$CAP_PID"; rc=$?
check "-w - into a reader that never reads: SIGINT still ends it ($(since "$T0") s)" within 0 3 "$(since "$T0")"
check_eq "... exit 0$(why "$TMP/int.err")" 0 "$rc"
kill "$SLEEPER" 2>/dev/null; wait "$FLOOD" 2>/dev/null

stalled fifo "$TMP/p3" -d 2
wait "$CAP_PID"; rc=$?; el=$(since "$CAP_T0")
check "-w FIFO whose reader never reads: -d 2 still ends it ($el s)" within 0 6 "$el"
check_eq "... exit 0$(why "$TMP/fifo.err")" 0 "$rc"
check "... it is still a FIFO" test -p "$TMP/p3"
kill "$SLEEPER" 2>/dev/null; wait "$FLOOD" 2>/dev/null

# ---- 5. report -o and graph -o onto devices, FIFOs and symlinks -----------------------------------
note "section 5 at $SECONDS s"
mknod -m 0666 "$TMP/null" c 1 3
timeout 20 "$VETHMAP" report --db "$DB" -o "$TMP/null" >/dev/null 2>"$TMP/rn.err"
check_eq "report -o CHARDEV: exit 0, written in place$(why "$TMP/rn.err")" "0 c" "$? $(stat -c %F "$TMP/null" | cut -c1)"
timeout 20 "$VETHMAP" graph --db "$DB" -o "$TMP/null" >/dev/null 2>"$TMP/gn.err"
check_eq "graph -o CHARDEV: exit 0, still a character device$(why "$TMP/gn.err")" "0 c" "$? $(stat -c %F "$TMP/null" | cut -c1)"

mkfifo -m 0600 "$TMP/rfifo"
timeout 20 cat "$TMP/rfifo" >"$TMP/rfifo.got" &
R=$!
bg_pid $R
sleep 0.2
timeout 20 "$VETHMAP" report --db "$DB" -o "$TMP/rfifo" >/dev/null 2>"$TMP/rf.err"; rc=$?
wait "$R"
check_eq "report -o FIFO: exit 0, still a FIFO$(why "$TMP/rf.err")" "0 yes" "$rc $(test -p "$TMP/rfifo" && echo yes)"
check "report -o FIFO: its reader got the report" grep -q '<vethmap-report' "$TMP/rfifo.got"

echo keep >"$TMP/target.xml"
ln -s "$TMP/target.xml" "$TMP/rlink.xml"
timeout 20 "$VETHMAP" report --db "$DB" -o "$TMP/rlink.xml" >/dev/null 2>"$TMP/rl.err"; rc=$?
check_eq "report -o SYMLINK: refused with one line, the link and its target untouched" \
	"1 1 keep link" "$rc $(grep -c . "$TMP/rl.err") $(cat "$TMP/target.xml") $([ -L "$TMP/rlink.xml" ] && echo link)"

mkfifo -m 0600 "$TMP/gfifo"
T0=$(now)
timeout 20 "$VETHMAP" graph --db "$DB" -o "$TMP/gfifo" >/dev/null 2>"$TMP/gf.err"; rc=$?
check_eq "graph -o FIFO with no reader: does not wait for one (exit 1, one line, $(since "$T0") s)$(why "$TMP/gf.err")" \
	"1 1" "$rc $(grep -c . "$TMP/gf.err")"

# ---- 6. pcapng strings: no control characters for a hostile interface name -------------------
note "section 6 at $SECONDS s"
F=$TMP/h.pcapng
cap_bg hostile -- "${PFX}a:$HN" -d 2 -w "$F"
ping_ns "$NET2.2" 4 0.2
wait "$CAP_PID"
check_eq "hostile name: exit 0$(why "$TMP/hostile.err")" 0 "$?"
tshark -r "$F" -T fields -e frame.interface_name >"$TMP/h.names" 2>/dev/null
check "hostile name: tshark's frame.interface_name has no control character" noctl "$TMP/h.names"
check "hostile name: ... it names the interface as ${PFX}a:$HNX" grep -qxF "${PFX}a:$HNX" "$TMP/h.names"
capinfos "$F" >"$TMP/h.capinfos" 2>&1
check "hostile name: capinfos (interface names, comments) prints no control character" noctl "$TMP/h.capinfos"
check "hostile name: capinfos shows the escaped name" grep -qF "$HNX" "$TMP/h.capinfos"
check "hostile name: the status lines on stderr have no control character" noctl "$TMP/hostile.err"
check "hostile name: ... and name it as the file does" grep -qF "vethmap: ${PFX}a:$HNX: " "$TMP/hostile.err"
timeout 20 "$VETHMAP" cap --db "$DB" "${PFX}a:$HN" -d 1 >"$TMP/htext.out" 2>&1 &
T=$!
ping_ns "$NET2.2" 3 0.2
wait $T
check "hostile name: text lines have no control character" noctl "$TMP/htext.out"
check "hostile name: ... and their label is the file's, UTF-8 kept" grep -qF " ${PFX}a:$HNX " "$TMP/htext.out"

# ---- 7. an older database: the capture table gains its columns ------------------------------------
note "section 7 at $SECONDS s"
O=$TMP/old.db
cp "$DB" "$O"
rm -f "$O-wal" "$O-shm"
sqlite3 "$O" 'ALTER TABLE capture DROP COLUMN state; ALTER TABLE capture DROP COLUMN run_uid; ALTER TABLE capture DROP COLUMN sudo_uid' 2>/dev/null
if sqlite3 "$O" 'SELECT state FROM capture' >/dev/null 2>&1; then
	skip "older database" "could not make one (sqlite3 DROP COLUMN)"
else
	n0=$(sqlite3 "$O" 'SELECT count(*) FROM capture')
	timeout 60 "$VETHMAP" cap --db "$O" "${PFX}a" -d 1 -w "$TMP/old.pcapng" >/dev/null 2>"$TMP/old.err"
	check_eq "older database: cap exit 0$(why "$TMP/old.err")" 0 "$?"
	check_eq "older database: its rows are kept (as done), the new one is done" "$((n0 + 1)) done" \
		"$(sqlite3 -separator ' ' "$O" 'SELECT count(*), group_concat(DISTINCT state) FROM capture')"
fi
note "done at $SECONDS s"
