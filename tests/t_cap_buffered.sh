#!/bin/bash
# How vethmap cap takes packets from the kernel, with real traffic between two namespaces
# of ours:
#   -w FILE (a regular file)   libpcap's buffered mode (TPACKET_V3, as tcpdump -w): the
#                              capturing process wakes once per block of packets, not per
#                              packet;
#   --immediate-mode, -U, -w - (a pipe), no -w (text)   immediate mode: a wake-up per
#                              packet or so (each ping's request and reply come together);
#   the end (SIGINT here, -d alike)   a packet seen just before it is still in the file
#                              (the block the kernel was filling is waited for: it hands a
#                              block over only when full or when its timer retires it), no
#                              packet stamped after the capture ended is, the capture ends
#                              soon after the signal, and the count on stderr is the file's.
# Wake-ups are the capturing child's voluntary context switches while 200 pings (400
# packets, 5 ms apart) go through.
#
# Fixture (10.252.X.0/24, X random; no address on the host, no default route):
#   ns a [va .1] <-veth-> [vb .2] ns b
. "${BASH_SOURCE%/*}/lib.sh"
. "${BASH_SOURCE%/*}/lib_cap.sh"
need_root
need_vethmap
for t in tshark tcpdump busybox python3; do
	command -v $t >/dev/null || { skip "${0##*/}" "needs $t"; exit 0; }
done

X=$(($(od -An -N1 -tu1 /dev/urandom | tr -d ' ') % 200 + 20))
NET=10.252.$X

veth_ab "$NET"

# cap_end NAME: SIGINT, wait; RC, ENDED (when it had ended, epoch seconds), TOOK (seconds
# from the signal), CAPTURED (the "packets captured" on stderr)
cap_end() {
	local t0
	t0=$(date +%s.%N)
	kill -INT "$CAP_PID" 2>/dev/null
	wait "$CAP_PID"; RC=$?
	ENDED=$(date +%s.%N)
	TOOK=$(awk -v a="$t0" -v b="$ENDED" 'BEGIN { printf "%.3f", b - a }')
	CAPTURED=$(sed -n 's/.*: \([0-9]*\) packets captured.*/\1/p' "$TMP/$1.err")
}
# wakeups: voluntary context switches of CAP_PID's capturing child so far
wakeups() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$(cap_child "$CAP_PID")/status"; }
# burst: 200 echo requests from a to b, 5 ms apart (400 packets on va); WOKE = the child's
# wake-ups meanwhile (and 0.3 s after, for the last block)
burst() {
	local w0
	w0=$(wakeups)
	timeout 20 ip netns exec "${PFX}a" busybox ping -q -c 200 -i 0.005 -W 1 "$NET.2" >/dev/null 2>&1
	sleep 0.3
	WOKE=$(($(wakeups) - w0))
}
npk() { tshark -n -r "$1" -T fields -e frame.number 2>/dev/null | grep -c .; }
# icmp_n FILE FILTER: ICMP packets in FILE matching a display filter
icmp_n() { tshark -n -r "$1" -Y "icmp && $2" -T fields -e frame.number 2>/dev/null | grep -c .; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

# ---- 1. wake-ups: a regular file in buffered mode, the rest immediate ------------------------------
F=$TMP/buf.pcapng
cap_bg buf -w "$F"
burst
BUF=$WOKE
cap_end buf
check "-w FILE: a wake-up per block, not per packet ($BUF for 400 packets, 2 s)" test "$BUF" -le 60
check_eq "-w FILE: exit 0" 0 "$RC"
check "-w FILE: tcpdump -r reads every packet ($(tcpdump -r "$F" 2>/dev/null | grep -c 'ICMP echo') ICMP)" \
	test "$(tcpdump -r "$F" 2>/dev/null | grep -c 'ICMP echo')" -eq 400
check_eq "-w FILE: 'packets captured' is the packets in the file" "$(npk "$F")" "$CAPTURED"

for name in imm u pipe text; do
	case $name in
	imm) L="--immediate-mode -w FILE"; args=(--immediate-mode -w "$TMP/imm.pcapng") ;;
	u) L="-U -w FILE"; args=(-U -w "$TMP/u.pcapng") ;;
	pipe) L="-w - into a pipe"; args=(-w -) ;;
	text) L="no -w (text)"; args=() ;;
	esac
	if [ "$name" = pipe ]; then
		rm -f "$TMP/fifo"; mkfifo "$TMP/fifo"
		cat "$TMP/fifo" >"$TMP/pipe.pcapng" &
		CAT_PID=$!
		bg_pid $CAT_PID
		CAP_OUT=$TMP/fifo cap_bg "$name" "${args[@]}"
	elif [ "$name" = text ]; then
		CAP_OUT=$TMP/text.out cap_bg "$name"
	else
		cap_bg "$name" "${args[@]}"
	fi
	burst
	cap_end "$name"
	[ "$name" = pipe ] && wait "$CAT_PID"
	check "$L: immediate mode, many more wake-ups than buffered ($WOKE vs $BUF)" \
		test "$WOKE" -gt $((2 * BUF))
	check_eq "$L: exit 0" 0 "$RC"
done
check_eq "--immediate-mode -w FILE: tshark reads the 400 ICMP packets" 400 \
	"$(icmp_n "$TMP/imm.pcapng" 'icmp.type == 0 || icmp.type == 8')"
check_eq "-w - into a pipe: tshark reads the 400 ICMP packets" 400 \
	"$(icmp_n "$TMP/pipe.pcapng" 'icmp.type == 0 || icmp.type == 8')"

# ---- 2. the end: the block being filled is not lost ------------------------------------------------
# Quiet for 0.3 s (every earlier block is out), then one echo of 321 bytes: its request and
# reply open a new block, which the kernel hands over only when full or when its timer
# (every 100 ms) retires it; the signal comes right after the reply, most often before that
# (a capture that stopped at the signal would lose both: tcpdump -w loses its last block so).
# Three rounds in buffered mode, one in immediate mode.
for name in buffered1 buffered2 buffered3 immediate; do
	F=$TMP/end-$name.pcapng
	if [ "$name" = immediate ]; then
		cap_bg "end-$name" --immediate-mode -w "$F"
	else
		cap_bg "end-$name" -w "$F"
	fi
	timeout 10 ip netns exec "${PFX}a" busybox ping -q -c 20 -i 0.01 -W 1 "$NET.2" >/dev/null 2>&1
	sleep 0.3
	timeout 10 ip netns exec "${PFX}a" busybox ping -q -c 1 -s 321 -W 1 "$NET.2" >/dev/null 2>&1
	cap_end "end-$name"
	L="$name, SIGINT right after the last echo"
	check_eq "$L: exit 0" 0 "$RC"
	check_eq "$L: its request and reply are in the file" 2 "$(icmp_n "$F" 'frame.len == 363')"
	check_eq "$L: the 40 packets before them too" 40 "$(icmp_n "$F" 'frame.len == 98')"
	check "$L: ends within 0.5 s of the signal (took $TOOK s)" le "$TOOK" 0.5
	check_eq "$L: 'packets captured' is the packets in the file" "$(npk "$F")" "$CAPTURED"
	blocks=$(whole_blocks "$F"); rc=$?
	check_eq "$L: whole blocks only ($blocks)" 0 "$rc"
done

# ---- 3. the end with traffic going on: nothing stamped after it ----------------------------------
# Echoes every 1 ms through the signal: the capture waits for the block being filled, which
# also holds packets that came after the signal; those are left out, and what came just
# before it is in.
F=$TMP/flow.pcapng
cap_bg flow -w "$F"
timeout 20 ip netns exec "${PFX}a" busybox ping -q -c 3000 -i 0.001 -W 1 "$NET.2" >/dev/null 2>&1 &
PING_PID=$!
bg_pid $PING_PID
sleep 1
SIG=$(date +%s.%N)
cap_end flow
kill "$PING_PID" 2>/dev/null
wait "$PING_PID" 2>/dev/null
L="traffic through the end"
last=$(tshark -n -r "$F" -T fields -e frame.time_epoch 2>/dev/null | tail -1)
check_eq "$L: exit 0" 0 "$RC"
check "$L: no packet stamped 20 ms or more after the signal (last $last, signal $SIG)" \
	le "${last:-0}" "$(awk -v s="$SIG" 'BEGIN { printf "%.6f", s + 0.02 }')"
check "$L: the packets of the 20 ms before the signal are in (last $last, signal $SIG)" \
	le "$(awk -v s="$SIG" 'BEGIN { printf "%.6f", s - 0.02 }')" "${last:-0}"
check_eq "$L: 'packets captured' is the packets in the file" "$(npk "$F")" "$CAPTURED"
exit "$TEST_FAILED"
