#!/bin/bash
# Capture files written by pcapng.c, read back by tshark and tcpdump: a pcapng with two
# interfaces of different link types and hostile names (also through a pipe), a classic
# pcap, a pcapng of one link type, and a pcapng written onto a full 64 KiB tmpfs (a block
# at a time, and through a buffer whose write fails part way), which must still end on a
# whole packet and count only the packets in the file.  The files come from tests/unit/capfile_writer.
# shellcheck disable=SC2016  # a $ in names and comments is literal on purpose
. "${BASH_SOURCE%/*}/lib.sh"

W=${CAPFILE_WRITER:-$(pwd)/tests/unit/capfile_writer}
if [ ! -x "$W" ]; then
	not_ok "${0##*/}: capfile_writer" "$W not found (run make tests/unit/capfile_writer)"
	exit 1
fi
if ! command -v tshark >/dev/null || ! command -v tcpdump >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -qq tshark tcpdump >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 &&
			  apt-get install -y -qq tshark tcpdump >/dev/null 2>&1; }
	fi
	if ! command -v tshark >/dev/null || ! command -v tcpdump >/dev/null; then
		skip "${0##*/}" "needs tshark and tcpdump (apt-get install tshark tcpdump)"
		exit 0
	fi
fi

MNT=
_capfile_cleanup() {
	local rc=$?
	if [ -n "$MNT" ] && mountpoint -q "$MNT"; then
		umount "$MNT" || umount -l "$MNT"
	fi
	(exit $rc)
	_cleanup
}
trap _capfile_cleanup EXIT

N=40
NAME0='ns1:eth0'
DESC0='veth in ns1, peer of host:vt0 <ns "one">'
NAME1='host:veth"<&$x'
DESC1="raw tun & 'quotes' \$HOME"
T0=1700000000.123456789
T1=1700000000.123457790

# tshark_ok LABEL FILE: tshark reads the whole file: exit 0, no message but its root warning
tshark_ok() {
	local err rc
	err=$(tshark -n -r "$2" 2>&1 >/dev/null); rc=$?
	err=$(printf '%s\n' "$err" | grep -v '^Running as user "root"')
	if [ $rc -eq 0 ] && [ -z "$err" ]; then ok "$1: tshark reads it without error"
	else not_ok "$1: tshark reads it without error" "exit $rc: $(printf '%s' "$err" | head -c 300 | tr '\n' ' ')"
	fi
}

# tcpdump_ok LABEL FILE COUNT: tcpdump reads COUNT packets, no message but its banner
tcpdump_ok() {
	local out err rc
	out=$(tcpdump -nn -r "$2" 2>"$TMP/tcpdump.err" | wc -l); rc=${PIPESTATUS[0]}
	err=$(grep -v '^reading from file' "$TMP/tcpdump.err")
	if [ "$rc" -eq 0 ] && [ -z "$err" ]; then ok "$1: tcpdump reads it without error"
	else not_ok "$1: tcpdump reads it without error" "exit $rc: $(printf '%s' "$err" | head -c 300 | tr '\n' ' ')"
	fi
	check_eq "$1: tcpdump packet count" "$3" "$out"
}

# fields FILE FIELD...: tshark -T fields, the root warning dropped
fields() {
	local f=$1; shift
	local args=() x
	for x in "$@"; do args+=(-e "$x"); done
	tshark -n -r "$f" -T fields "${args[@]}" 2>/dev/null
}

# ---- (a) pcapng: two interfaces, two link types, hostile names ----
F=$TMP/two.pcapng
if "$W" ng "$F" $N "$NAME0" "$DESC0" "$NAME1" "$DESC1" 2>"$TMP/w.err"; then
	ok "pcapng: writer exits 0"
else
	not_ok "pcapng: writer exits 0" "$(head -c 300 "$TMP/w.err")"
fi
tshark_ok pcapng "$F"
check_eq "pcapng: packet count" $N "$(fields "$F" frame.number | wc -l)"
want=$(for ((i = 0; i < N; i++)); do
	if ((i % 2)); then printf '1\t7\t%s\t%s\n' "$NAME1" "$DESC1"
	else printf '0\t1\t%s\t%s\n' "$NAME0" "$DESC0"; fi
done)
check_eq "pcapng: interface id, encapsulation, name, description of every packet" "$want" \
	"$(fields "$F" frame.interface_id frame.encap_type frame.interface_name frame.interface_description)"
check_eq "pcapng: interface names byte-exact" "$(printf '%s\n%s' "$NAME0" "$NAME1")" \
	"$(fields "$F" frame.interface_name | head -2)"
check_eq "pcapng: nanosecond timestamps" "$(printf '%s\n%s' $T0 $T1)" \
	"$(fields "$F" frame.time_epoch | head -2)"
check_eq "pcapng: last packet length (raw IPv4)" $((28 + N - 1)) "$(fields "$F" frame.len | tail -1)"
info=$(capinfos "$F" 2>/dev/null)
check_eq "pcapng: shb_userappl" "Capture application: vethmap" \
	"$(printf '%s\n' "$info" | grep -o '^Capture application: *vethmap' | tr -s ' ')"
check_eq "pcapng: comments" \
	"$(printf 'vethmap test capture\ncomment with "quotes" <&> $x')" \
	"$(printf '%s\n' "$info" | sed -n 's/^Capture comment: *//p')"

# the same through a pipe
out=$("$W" ng - $N "$NAME0" "$DESC0" "$NAME1" "$DESC1" 2>/dev/null |
	tshark -n -r - -T fields -e frame.interface_name 2>/dev/null | sort | uniq -c |
	awk '{$1=$1; print}')
check_eq "pcapng through a pipe: names and counts" \
	"$(printf '20 %s\n20 %s' "$NAME1" "$NAME0" | sort)" "$(printf '%s\n' "$out" | sort)"

# ---- pcapng of one link type: tcpdump reads it too ----
F=$TMP/one.pcapng
check "pcapng one link type: writer exits 0" "$W" ng1 "$F" $N "ns2:eth0 é" "d" "veth'\$(id)" ""
tshark_ok "pcapng one link type" "$F"
tcpdump_ok "pcapng one link type" "$F" $N
check_eq "pcapng one link type: names" "$(printf '%s\n%s' "ns2:eth0 é" "veth'\$(id)")" \
	"$(fields "$F" frame.interface_name | head -2)"
check_eq "pcapng one link type: tcpdump nanosecond time" "$T0" \
	"$(tcpdump --time-stamp-precision=nano -tt -nn -r "$F" 2>/dev/null | head -1 | cut -d' ' -f1)"

# ---- (b) classic pcap ----
F=$TMP/classic.pcap
check "pcap: writer exits 0" "$W" pcap "$F" $N
tshark_ok pcap "$F"
check_eq "pcap: tshark packet count" $N "$(fields "$F" frame.number | wc -l)"
tcpdump_ok pcap "$F" $N
check_eq "pcap: tcpdump nanosecond time" "$T0" \
	"$(tcpdump --time-stamp-precision=nano -tt -nn -r "$F" 2>/dev/null | head -1 | cut -d' ' -f1)"
check_eq "pcap: tshark nanosecond time" "$T1" "$(fields "$F" frame.time_epoch | sed -n 2p)"

# ---- (c) pcapng onto a full filesystem ----
if [ "$(id -u)" != 0 ]; then
	skip "full filesystem" "needs root to mount a tmpfs"
else
	MNT=$TMP/mnt
	mkdir -p "$MNT"
	if ! mount -t tmpfs -o size=64k,mode=0700 vethmap-captest "$MNT"; then
		not_ok "full filesystem: mount a 64 KiB tmpfs" "mount failed"
		MNT=
	else
		for buf in 0 20000; do
			L="full filesystem"
			[ "$buf" = 0 ] || L="full filesystem, buffered ($buf bytes)"
			F=$MNT/full.pcapng
			rm -f "$F"
			res=$("$W" fill "$F" "$buf" 2>"$TMP/w.err")
			read -r _ npk _ good _ err _ accepted <<<"$res"
			check_eq "$L: the write fails with ENOSPC" ENOSPC "${err:-}"
			size=$(stat -c %s "$F")
			check_eq "$L: file size is the whole blocks written" "${good:-?}" "$size"
			if [ "$size" -gt 32768 ] && [ $((size % 4)) -eq 0 ]; then
				ok "$L: file of $size bytes, 32-bit aligned"
			else
				not_ok "$L: file nearly 64 KiB, 32-bit aligned" "$size bytes"
			fi
			tshark_ok "$L" "$F"
			check_eq "$L: tshark packet count is the count written" "${npk:-?}" \
				"$(fields "$F" frame.number | wc -l)"
			tcpdump_ok "$L" "$F" "${npk:-?}"
			if [ "$buf" = 0 ]; then
				check_eq "$L: every packet accepted was written" "${accepted:-?}" "${npk:-}"
			else	# the write that failed held packets: not counted, not in the file
				check "$L: the failed buffer's packets are not counted ($npk of $accepted)" \
					test "${npk:-0}" -lt "${accepted:-0}"
			fi
		done
		umount "$MNT" && MNT=
	fi
fi
