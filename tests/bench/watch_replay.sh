#!/bin/bash
# tests/bench/watch_replay.sh - what rebuilding a thinned moment costs (root, from the
# repository root): a watch with --thin 0 through SECS seconds of churn (default 15;
# tests/lib_history.sh's, a round a second), a second watch with --thin THIN (default 5s)
# on the file, then 'show --json --at T' timed for the time of every batch: the events
# replayed for it (0: T has its snapshot) and the milliseconds; last, a stored snapshot's.
#
# Usage: tests/bench/watch_replay.sh [SECS [THIN]].
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../lib_history.sh"
need_root
need_vethmap
SECS=${1:-15}
THIN=${2:-5s}
"$VETHMAP" watch --db "$DB" --thin 0 -v -d $((SECS + 10)) >/dev/null 2>"$TMP/err" &
WP=$!
bg_pid "$WP"
wait_for 30 grep -q "watch: following" "$TMP/err" || { echo "the watch did not start"; exit 1; }
churn_start "$SECS" 900
wait_for $((SECS + 25)) _gone "$CP"
churn_stop
kill -TERM "$WP"
wait "$WP"
mapfile -t BT < <(sqlite3 "$DB" 'SELECT DISTINCT time FROM event ORDER BY time')
sleep 2
"$VETHMAP" watch --db "$DB" --thin "$THIN" -d 4 >/dev/null 2>&1
ms() { date +%s%3N; }
for T in "${BT[@]}"; do
	n=$(sqlite3 "$DB" "SELECT count(*) FROM event WHERE time > (SELECT max(started) FROM scan
		WHERE started <= '$T') AND time <= '$T'")
	s=$(ms)
	"$VETHMAP" show --db "$DB" --json --at "$T" >/dev/null 2>"$TMP/e"
	rc=$?
	echo "$T: exit $rc, $n events replayed, $(($(ms) - s)) ms $(head -c 200 "$TMP/e")"
done
s=$(ms)
"$VETHMAP" show --db "$DB" --json >/dev/null
echo "a stored snapshot: $(($(ms) - s)) ms; $(sqlite3 "$DB" 'SELECT n_ifaces FROM scan ORDER BY id DESC LIMIT 1') interfaces"
