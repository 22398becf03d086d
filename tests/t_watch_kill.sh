#!/bin/bash
# A watch killed with SIGKILL in the middle of churn: the database opens, passes SQLite's
# integrity check, holds every line the watch printed (each batch is committed, snapshot
# and events together, before its lines are printed) and events up to about a second
# before the kill (plus the batch in progress, as long as one takes on this host); a new watch on it continues from a fresh scan: its first snapshot, then
# its events after the old ones, in sequence.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap
. "${BASH_SOURCE%/*}/lib_history.sh"
ms() { date -u +%s%3N; }

watch_start --db "$DB" -d 40
churn_start 200 100
sleep 4
wait_for 5 grep -qF "\"${PFX}c" "$OUT"
T_KILL=$(ms)
kill -KILL "$WP"
wait "$WP" 2>/dev/null
check_eq "the watch died of SIGKILL" 137 "$?"
churn_stop

check_eq "integrity_check: ok" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
"$VETHMAP" scans --db "$DB" >/dev/null 2>"$TMP/s.err"
check_eq "the database opens (vethmap scans: exit 0)" 0 "$?"
"$VETHMAP" events --db "$DB" --json >"$TMP/ev.json" 2>"$TMP/ev.err"
check_eq "vethmap events: exit 0 ($(head -c 200 "$TMP/ev.err"))" 0 "$?"
N=$(grep -c '}$' "$OUT")	# whole lines printed (one cut by the kill is not)
check "the watch printed churn lines before the kill ($N)" test "$N" -ge 20
check "every whole line printed is stored, in order" \
	cmp <(head -n "$N" "$OUT") <(head -n "$N" "$TMP/ev.json")
check "stored: at most one batch more than printed" test "$(jq -r .time "$TMP/ev.json" |
	tail -n +"$((N + 1))" | sort -u | wc -l)" -le 1
LAST=$(sqlite3 "$DB" "SELECT CAST(round((julianday(max(time)) - 2440587.5) * 86400000) AS INTEGER)
	FROM event")
GAP=$((T_KILL - LAST))
# the watch's pace: the longest time between two of its stored batches (a scan of a big,
# busy host and its store take long); the kill loses the batch in progress, no more
PACE=$(sqlite3 "$DB" "SELECT coalesce(max(d), 0) FROM (SELECT CAST(round((julianday(time) -
	julianday(lag(time) OVER (ORDER BY time))) * 86400000) AS INTEGER) AS d
	FROM (SELECT DISTINCT time FROM event))")
note "last stored event ${GAP} ms before the kill; batches at most ${PACE} ms apart (churn: a change every ~100 ms)"
check "the last stored event is within 1 s (+ one batch: ${PACE} ms) before the kill (${GAP} ms)" \
	test "$GAP" -ge 0 -a "$GAP" -le $((1000 + PACE))
check_eq "every event's snapshot is there" 0 \
	"$(sqlite3 "$DB" 'SELECT count(*) FROM event WHERE batch NOT IN (SELECT id FROM scan)')"
OLD_MAX=$(sqlite3 "$DB" 'SELECT max(id) FROM event')
OLD_SCAN=$(sqlite3 "$DB" 'SELECT max(id) FROM scan')

# the next watch: a fresh scan first, then its events after the old ones
: >"$OUT"
: >"$ERR"
watch_start --db "$DB" -d 20
check_eq "the next watch stored its first scan as a new snapshot" $((OLD_SCAN + 1)) \
	"$(sqlite3 "$DB" 'SELECT max(id) FROM scan')"
check_eq "... a fresh one: it holds none of the churn's namespaces" 0 \
	"$("$VETHMAP" show --db "$DB" --json | jq --arg p "/run/netns/$PFX" \
	'[.netns[].names[]? | select(startswith($p))] | length')"
ns_add k1
LAST=-1
expect "the next watch sees a new namespace" '.op == "add" and .object == $p + "k1"'
kill -TERM "$WP"
wait "$WP"
check_eq "the next watch ends with 0" 0 "$?"
check_eq "its event follows the old ones in sequence" $((OLD_MAX + 1)) \
	"$(sqlite3 "$DB" "SELECT min(id) FROM event WHERE id > $OLD_MAX")"
check_eq "... and is the line it printed" "$(grep -F "\"${PFX}k1\"" "$OUT" | head -n 1)" \
	"$("$VETHMAP" events --db "$DB" --json | grep -F "\"${PFX}k1\"" | head -n 1)"
check_eq "integrity_check after: ok" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
exit 0
