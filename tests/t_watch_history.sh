#!/bin/bash
# The history a watch leaves: with a database, each batch of changes is a snapshot, so
# 'show --at TIME' gives the state at a moment between two changes and 'diff --since TIME'
# what changed after it.  A watch runs while the test adds a namespace (change 1), notes
# the time, then a veth pair into it (change 2).  Also: --at before the first snapshot,
# a bad TIME, --at with --scan.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

OUT=$TMP/watch.txt
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

"$VETHMAP" watch --db "$DB" -d 40 >"$OUT" 2>"$TMP/watch.err" &
WP=$!
bg_pid "$WP"
wait_for 10 test -s "$DB" || { not_ok "watch starts" "$(head -c 300 "$TMP/watch.err")"; exit 1; }
sleep 0.5
T0=$(now)	# after the first snapshot, before change 1

ns_add n1
if wait_for 5 grep -q "^+ netns      ${PFX}n1 " "$OUT"; then ok "change 1 seen"
else not_ok "change 1 seen" "$(tail -n 3 "$OUT" | head -c 300)"; fi
sleep 0.2
T1=$(now)
sleep 0.2
ip link add "${PFX}h1" type veth peer name "${PFX}p1" netns "${PFX}n1"
if wait_for 5 grep -q "^+ edge       veth host:${PFX}h1 <-> ${PFX}n1:${PFX}p1" "$OUT"; then
	ok "change 2 seen"
else
	not_ok "change 2 seen" "$(tail -n 3 "$OUT" | head -c 300)"
fi
kill -TERM "$WP"
wait "$WP"
check_eq "watch ends with 0 on SIGTERM" 0 "$?"

# state at T1: the namespace, not yet the veth; the latest: both
"$VETHMAP" show --db "$DB" --at "$T1" --json >"$TMP/at.json" 2>"$TMP/at.err"
check_eq "show --at T1: exit 0" 0 "$?"
check_eq "show --at T1: the namespace of change 1 is there" 1 \
	"$(jq --arg n "${PFX}n1" '[.netns[] | select(.names | index("/run/netns/" + $n))] | length' "$TMP/at.json")"
check_eq "show --at T1: the veth of change 2 is not yet" 0 \
	"$(jq --arg n "${PFX}h1" '[.interfaces[] | select(.name == $n)] | length' "$TMP/at.json")"
"$VETHMAP" show --db "$DB" --json >"$TMP/latest.json"
check_eq "show (latest): the veth is there" 1 \
	"$(jq --arg n "${PFX}h1" '[.interfaces[] | select(.name == $n)] | length' "$TMP/latest.json")"
"$VETHMAP" show --db "$DB" --at "$T0" --json >"$TMP/t0.json" 2>/dev/null
check_eq "show --at before change 1: no such namespace" 0 \
	"$(jq --arg n "${PFX}n1" '[.netns[] | select(.names | index("/run/netns/" + $n))] | length' "$TMP/t0.json" 2>/dev/null)"

# diff --since T1: change 2 only (of ours)
"$VETHMAP" diff --db "$DB" --since "$T1" >"$TMP/since.txt" 2>"$TMP/since.err"
check_eq "diff --since T1: exit 0" 0 "$?"
check_eq "diff --since T1: exactly change 2's lines of ours" \
	"+ interface  host:${PFX}h1  veth, mtu 1500
+ interface  ${PFX}n1:${PFX}p1  veth, mtu 1500
+ edge       veth host:${PFX}h1 <-> ${PFX}n1:${PFX}p1" \
	"$(grep -F "$PFX" "$TMP/since.txt")"

# diff TIME1 TIME2: the state at one moment against the state at another
"$VETHMAP" diff --db "$DB" "$T0" "$T1" >"$TMP/tt.txt" 2>"$TMP/tt.err"
check_eq "diff T0 T1: exit 0" "0 " "$? $(cat "$TMP/tt.err")"
check "diff T0 T1: change 1 (the namespace)" grep -q "^+ netns      ${PFX}n1 " "$TMP/tt.txt"
check_eq "diff T0 T1: not change 2" 0 "$(grep -c "${PFX}h1" "$TMP/tt.txt")"
"$VETHMAP" diff --db "$DB" "$T1" "$(now)" >"$TMP/tn.txt" 2>&1
check_eq "diff T1 NOW: what diff --since T1 says" "$(grep -F "$PFX" "$TMP/since.txt")" \
	"$(grep -F "$PFX" "$TMP/tn.txt")"
"$VETHMAP" diff --db "$DB" "$T0" soon >/dev/null 2>"$TMP/tb.err"
check_eq "diff T0 soon: exit 2, naming it" "2 1" "$? $(grep -c "'soon' is neither a snapshot id nor a time" "$TMP/tb.err")"

# errors: before the first snapshot (1), a bad time (2), --at with --scan (2)
"$VETHMAP" show --db "$DB" --at 2001-01-01T00:00 >/dev/null 2>"$TMP/e1"
check_eq "show --at before every snapshot: exit 1" 1 "$?"
check_eq "show --at before every snapshot: one line" \
	"vethmap: show: no snapshot at or before 2001-01-01T00:00:00.000Z" "$(cat "$TMP/e1")"
"$VETHMAP" show --db "$DB" --at soon >/dev/null 2>"$TMP/e2"
check_eq "show --at a bad time: exit 2" 2 "$?"
check_eq "show --at a bad time: one line naming it" 1 "$(grep -c "invalid time 'soon'" "$TMP/e2")"
"$VETHMAP" graph --db "$DB" --at -1m --scan 1 >/dev/null 2>"$TMP/e3"
check_eq "--at with --scan: exit 2" 2 "$?"
"$VETHMAP" diff --db "$DB" --since 2026-13-01T00:00 >/dev/null 2>"$TMP/e4"
check_eq "diff --since a bad time: exit 2" 2 "$?"
exit 0
