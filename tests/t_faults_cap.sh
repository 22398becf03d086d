#!/bin/bash
# vethmap cap writing onto a full filesystem, end to end: real traffic between two
# namespaces of ours, the capture file on a small tmpfs that fills up mid-capture (pcapng,
# and -W pcap), one that is full before the file header, and -w - onto /dev/full.  The
# capture must stop early, say so on stderr, exit 1, and leave a file of whole blocks only
# that tshark reads without error.  (t_capfile.sh covers the writer alone on a full tmpfs,
# through tests/unit/capfile_writer; this runs the whole command, after the privilege drop.)
#
# Fixture (10.254.X.0/24, X random; no address on the host, no default route):
#   ns a [va .1] <-veth-> [vb .2] ns b
. "${BASH_SOURCE%/*}/lib.sh"
. "${BASH_SOURCE%/*}/lib_cap.sh"
need_root
need_vethmap
for t in tshark busybox python3 sqlite3 mountpoint; do
	command -v $t >/dev/null || { skip "${0##*/}" "needs $t"; exit 0; }
done

MNT=
_faults_cap_cleanup() {
	local rc=$?
	if [ -n "$MNT" ] && mountpoint -q "$MNT"; then
		umount "$MNT" 2>/dev/null || umount -l "$MNT"
	fi
	(exit $rc)
	_cleanup
}
trap _faults_cap_cleanup EXIT

X=$(($(od -An -N1 -tu1 /dev/urandom | tr -d ' ') % 200 + 20))
NET=10.254.$X
fixture_fail() { not_ok "fixture: $1" "${2:-failed}"; exit 1; }
errtext() { head -c 400 "$1" | tr '\n' '|'; }
why() { [ -s "$1" ] && printf ' (%s)' "$(errtext "$1")"; return 0; }
within() { awk -v lo="$1" -v hi="$2" -v x="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }

veth_ab "$NET"

# tshark_clean NAME FILE: tshark -r reads FILE with exit 0 and nothing on stderr; NPK its packets
tshark_clean() {
	tshark -r "$2" -T fields -e frame.number >"$TMP/tsh.out" 2>"$TMP/tsh.raw"
	local rc=$?
	grep -v 'Running as user' "$TMP/tsh.raw" >"$TMP/tsh.err"
	check_eq "$1: tshark -r exits 0" 0 "$rc"
	check_eq "$1: tshark -r reads it with no error" "" "$(cat "$TMP/tsh.err")"
	NPK=$(grep -c . "$TMP/tsh.out")
}


# cap_full NAME FILE ARGS...: vethmap cap on ${PFX}a for up to 5 s, writing FILE, while a
# bounded flood of 1000-byte pings runs from a to b once it captures.  Sets RC, EL (seconds
# since it was capturing), stderr in $TMP/NAME.err
cap_full() {
	local name=$1 f=$2 ping_pid; shift 2
	"$VETHMAP" cap --db "$DB" "${PFX}a" -d 5 -w "$f" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	CAP_PID=$!
	bg_pid $CAP_PID
	wait_for 60 cap_ready
	local t0
	t0=$(date +%s.%N)
	timeout 15 ip netns exec "${PFX}a" busybox ping -q -c 200 -i 0.01 -s 1000 -W 1 "$NET.2" >/dev/null 2>&1 &
	ping_pid=$!
	bg_pid $ping_pid
	wait $CAP_PID; RC=$?
	EL=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	wait $ping_pid
}

# said_full NAME ERRFILE FILE: stderr says the write failed for want of space (the file's
# own name aside, whatever it contains)
said_full() {
	check "$1: stderr says the disk is full$(why "$2")" \
		grep -qiE 'no space|disk.*full|full' <(grep -v 'packets captured' "$2" | sed "s|$3||g")
}

MNT=$TMP/mnt
mkdir -p "$MNT"
mount -t tmpfs -o size=256k,mode=0755 "${PFX}cap" "$MNT" || fixture_fail "mount a 256 KiB tmpfs"
fill_to() {	# fill_to BYTES: leave about BYTES free on the tmpfs (ours, or nothing is written)
	local avail
	[ "$(findmnt -n -o SOURCE "$MNT" 2>/dev/null)" = "${PFX}cap" ] ||
		fixture_fail "$MNT is our tmpfs" "it is not mounted: nothing filled"
	rm -f "$MNT/fill" "$MNT/fill2"
	avail=$(df -B1 --output=avail "$MNT" | tail -n1 | tr -d ' ')
	[ "$avail" -gt 262144 ] && fixture_fail "$MNT is our 256 KiB tmpfs" "$avail bytes free"
	[ "$avail" -gt "$1" ] && dd if=/dev/zero of="$MNT/fill" bs=4096 count=$(( (avail - $1) / 4096 )) 2>/dev/null
	[ "$1" = 0 ] && dd if=/dev/zero of="$MNT/fill2" bs=4096 count=64 2>/dev/null
	return 0
}

# ---- 1. pcapng, the disk fills up mid-capture ------------------------------------------------------
for fmt in pcapng pcap; do
	L="full mid-capture ($fmt)"
	F=$MNT/x.$fmt
	rm -f "$MNT"/x.*
	fill_to 24576
	before=$(sqlite3 "$DB" 'SELECT coalesce(max(id), 0) FROM capture' 2>/dev/null)
	cap_full "$fmt" "$F" -W $fmt
	check_eq "$L: exit 1" 1 "$RC"
	check "$L: the capture stopped before its 5 s (after $EL s)" within 0 4.5 "$EL"
	said_full "$L" "$TMP/$fmt.err" "$F"
	size=$(stat -c %s "$F" 2>/dev/null || echo 0)
	check "$L: the file holds something ($size bytes)" test "$size" -gt 1000
	blocks=$(whole_blocks "$F"); rc=$?
	check_eq "$L: the file is whole blocks only ($blocks)" 0 "$rc"
	tshark_clean "$L" "$F"
	check "$L: packets in the file ($NPK)" test "$NPK" -ge 5
	got=$(sed -n 's/.*: \([0-9]*\) packets captured.*/\1/p' "$TMP/$fmt.err")
	check_eq "$L: 'packets captured' on stderr is what the file holds" "$NPK" "$got"
	check_eq "$L: the audit row records the capture with what the file holds" "${PFX}a|$NPK|$F" \
		"$(sqlite3 -separator '|' "$DB" "SELECT target, packets, file FROM capture WHERE id > ${before:-0}" 2>&1)"
done

# ---- 2. full before the first byte -----------------------------------------------------------------
L="full from the start"
F=$MNT/y.pcapng
rm -f "$MNT"/x.*
fill_to 0
cap_full y "$F"
check_eq "$L: exit 1" 1 "$RC"
check "$L: ends at once (after $EL s)" within 0 2 "$EL"
said_full "$L" "$TMP/y.err" "$F"
if [ -e "$F" ]; then
	size=$(stat -c %s "$F")
	not_ok "$L: no empty capture file left behind" "$F is left, $size bytes"
	[ "$size" -gt 0 ] && { blocks=$(whole_blocks "$F"); check_eq "$L: ... whole blocks only ($blocks)" 0 "$?"; }
else
	ok "$L: no empty capture file left behind"
fi
rm -f "$F"

# ---- 3. -w - onto /dev/full ----------------------------------------------------------------------------
L="-w - >/dev/full"
"$VETHMAP" cap --db "$DB" "${PFX}a" -d 2 -w - >/dev/full 2>"$TMP/dfull.err" & CAP_PID=$!
bg_pid $CAP_PID
wait_for 60 cap_ready
t0=$(date +%s.%N)
wait $CAP_PID; RC=$?
EL=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
check_eq "$L: exit 1 (not killed by a signal)" 1 "$RC"
check "$L: ends at once, not after its 2 s (after $EL s)" within 0 1.5 "$EL"
said_full "$L" "$TMP/dfull.err" /dev/full
umount "$MNT" || umount -l "$MNT"
