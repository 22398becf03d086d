#!/bin/bash
# When vethmap cap's packets reach its output, with real traffic between two namespaces of
# ours, read while the capture still runs (the file being written is the new file beside
# -w FILE, .FILE.XXXXXX, renamed over FILE at the end):
#   -U            every packet is in the file at once (tcpdump's -U, packet-buffered);
#   -w FILE       block-buffered: mid-capture the file is whole blocks only and holds less
#                 than it will; at the end every packet is there and the count on stderr
#                 and in the audit row is the packets in the file;
#   -w - | FIFO   a pipe gets every packet read so far (flushed once per wake-up), also
#                 of both ends, where packets are held for time order;
#   -B KIB        the kernel buffer: bad values refused with one line naming them.
#
# Fixture (10.253.X.0/24, X random; no address on the host, no default route):
#   ns a [va .1] <-veth-> [vb .2] ns b
. "${BASH_SOURCE%/*}/lib.sh"
. "${BASH_SOURCE%/*}/lib_cap.sh"
need_root
need_vethmap
for t in tshark busybox python3 sqlite3; do
	command -v $t >/dev/null || { skip "${0##*/}" "needs $t"; exit 0; }
done

X=$(($(od -An -N1 -tu1 /dev/urandom | tr -d ' ') % 200 + 20))
NET=10.253.$X

veth_ab "$NET"

# cap_end NAME: SIGINT, wait; RC, and CAPTURED the "packets captured" on stderr
cap_end() {
	kill -INT "$CAP_PID" 2>/dev/null
	wait "$CAP_PID"; RC=$?
	CAPTURED=$(sed -n 's/.*: \([0-9]*\) packets captured.*/\1/p' "$TMP/$1.err")
}
# pings COUNT SIZE: COUNT echo requests from a to b, 10 ms apart (2 * COUNT ICMP packets)
pings() {
	timeout 20 ip netns exec "${PFX}a" busybox ping -q -c "$1" -i 0.01 -s "$2" -W 1 "$NET.2" >/dev/null 2>&1
}
# icmp FILE: ICMP the ICMP packets tshark reads in FILE, TSH_ERR what it said on stderr
icmp() {
	ICMP=$(tshark -n -r "$1" -Y icmp -T fields -e frame.number 2>"$TMP/tsh.raw" | grep -c .)
	TSH_ERR=$(grep -v 'Running as user' "$TMP/tsh.raw" | head -c 200 | tr '\n' ' ')
}
npk() { tshark -n -r "$1" -T fields -e frame.number 2>/dev/null | grep -c .; }
# newfile PATH: the file being written beside PATH during the capture
newfile() {
	local d=${1%/*} b=${1##*/} f
	for f in "$d/.$b".*; do [ -f "$f" ] && { echo "$f"; return 0; }; done
	return 1
}
# audit_packets: packets in the newest audit row
audit_packets() { sqlite3 "$DB" 'SELECT packets FROM capture ORDER BY id DESC LIMIT 1' 2>&1; }

# ---- 1. -U: each packet is in the file while the capture runs --------------------------------------
L="-U"
F=$TMP/u.pcapng
cap_bg u -U -w "$F"
pings 10 56
sleep 0.3
if N=$(newfile "$F"); then
	icmp "$N"
	check_eq "$L: mid-capture, tshark reads the file being written without error" "" "$TSH_ERR"
	check_eq "$L: mid-capture, every ICMP packet sent is in the file" 20 "$ICMP"
	blocks=$(whole_blocks "$N"); rc=$?
	check_eq "$L: mid-capture, whole blocks only ($blocks)" 0 "$rc"
else
	not_ok "$L: the file being written is beside $F" "no $(dirname "$F")/.u.pcapng.*"
fi
check "$L: the capture still runs" kill -0 "$CAP_PID"
cap_end u
check_eq "$L: exit 0 after SIGINT" 0 "$RC"
check_eq "$L: at the end, 'packets captured' is the packets in the file" "$(npk "$F")" "$CAPTURED"

# ---- 2. block-buffered regular file ----------------------------------------------------------------
L="-w FILE (block-buffered)"
F=$TMP/b.pcapng
cap_bg b -w "$F"
pings 10 56
sleep 0.3
N=$(newfile "$F") || { not_ok "$L: the file being written is beside $F" "none"; N=/nonexistent; }
icmp "$N"
check_eq "$L: a few small packets wait in the buffer (ICMP in the file mid-capture)" 0 "$ICMP"
pings 150 1000	# some 330 KB: the buffer goes out several times
sleep 0.3
blocks=$(whole_blocks "$N"); rc=$?
check_eq "$L: mid-capture, whole blocks only ($blocks)" 0 "$rc"
icmp "$N"
check_eq "$L: mid-capture, tshark reads it without error" "" "$TSH_ERR"
check "$L: mid-capture, the buffer went out to the file ($ICMP of 320 ICMP)" test "$ICMP" -gt 50
mid=$(npk "$N")	# the last packet read is always still in the buffer
check "$L: the capture still runs" kill -0 "$CAP_PID"
cap_end b
check_eq "$L: exit 0 after SIGINT" 0 "$RC"
blocks=$(whole_blocks "$F"); rc=$?
check_eq "$L: at the end, whole blocks only ($blocks)" 0 "$rc"
icmp "$F"
check_eq "$L: at the end, every ICMP packet is in the file" 320 "$ICMP"
n=$(npk "$F")
check "$L: mid-capture the file held less than at the end ($mid of $n)" test "$mid" -lt "$n"
check_eq "$L: 'packets captured' on stderr is the packets in the file" "$n" "$CAPTURED"
check_eq "$L: the audit row's packets are the packets in the file" "$n" "$(audit_packets)"

# ---- 3. -w - into a pipe: every packet read so far reaches the reader ------------------------------
L="-w - into a pipe"
mkfifo "$TMP/fifo"
cat "$TMP/fifo" >"$TMP/pipe.pcapng" &
bg_pid $!
CAT_PID=$!
CAP_OUT=$TMP/fifo cap_bg p -w -
pings 10 56
sleep 0.3
icmp "$TMP/pipe.pcapng"
check_eq "$L: mid-capture, every ICMP packet sent has reached the reader" 20 "$ICMP"
check_eq "$L: mid-capture, tshark reads it without error" "" "$TSH_ERR"
cap_end p
wait "$CAT_PID"
check_eq "$L: exit 0 after SIGINT" 0 "$RC"
check_eq "$L: 'packets captured' is the packets the reader got" "$(npk "$TMP/pipe.pcapng")" "$CAPTURED"

# ---- 3b. -w - into a pipe, both ends: the packets held for time order reach the reader too -------
# (each end's are held 22 ms, until the other end has handed over what came before them;
# the last ones go out when they are due, with no packet after them to wake the capture)
L="-w - into a pipe, both ends"
mkfifo "$TMP/fifo2"
cat "$TMP/fifo2" >"$TMP/pipe2.pcapng" &
bg_pid $!
CAT_PID=$!
"$VETHMAP" cap --db "$DB" "${PFX}a" --both-ends -d 30 -w - >"$TMP/fifo2" 2>"$TMP/p2.err" &
CAP_PID=$!
bg_pid $CAP_PID
wait_for 60 cap_ready || { not_ok "fixture: p2: capture starts" "$(head -c 300 "$TMP/p2.err" | tr '\n' '|')"; exit 1; }
sleep 0.2
pings 10 56
sleep 0.5
icmp "$TMP/pipe2.pcapng"
check_eq "$L: mid-capture, every ICMP packet of both ends has reached the reader" 40 "$ICMP"
check "$L: mid-capture, in time order" bash -c \
	"tshark -r '$TMP/pipe2.pcapng' -T fields -e frame.time_epoch 2>/dev/null | grep . | sort -c -g"
cap_end p2
wait "$CAT_PID"
check_eq "$L: exit 0 after SIGINT" 0 "$RC"
check_eq "$L: 'packets captured' is the packets the reader got" "$(npk "$TMP/pipe2.pcapng")" \
	"$(sed -n 's/.*: \([0-9]*\) packets captured.*/\1/p' "$TMP/p2.err" | awk '{s += $1} END {print s + 0}')"

# ---- 4. -B -------------------------------------------------------------------------------------------
for v in 0 -5 abc 10k 1048577 ''; do
	"$VETHMAP" cap --db "$DB" "${PFX}a:va" -d 1 -B "$v" -w "$TMP/bad.pcapng" >/dev/null 2>"$TMP/bad.err"
	rc=$?
	check_eq "-B '$v': exit 2" 2 "$rc"
	check_eq "-B '$v': one line naming the value" "vethmap: cap: invalid buffer size '$v' (KiB, 1 to 1048576)" \
		"$(cat "$TMP/bad.err")"
done
check "-B: nothing written for a bad value" test ! -e "$TMP/bad.pcapng"
for v in 1 1024; do
	"$VETHMAP" cap --db "$DB" "${PFX}a:va" -d 300ms -B $v -w "$TMP/b$v.pcapng" >/dev/null 2>"$TMP/b$v.err"
	rc=$?
	# (the live scan's warnings about others' namespaces on the machine are not ours to judge)
	check_eq "-B $v: a capture with a $v KiB kernel buffer exits 0, no error" "0" \
		"$rc$(grep -v 'packets captured\|^vethmap: warning: ' "$TMP/b$v.err")"
done
exit "$TEST_FAILED"
