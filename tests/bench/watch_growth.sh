#!/bin/bash
# tests/bench/watch_growth.sh - how fast a watching database grows, with and without
# thinning (root, from the repository root).
#
# One watch per THIN value (--thin THIN, default --keep), each on its own database, all at
# once, for SECS seconds of churn (tests/lib_history.sh: a round a second: a namespace
# with a veth from the host, its host end renamed, the namespace of two rounds before
# deleted); then per database: its size, that size per hour, snapshots kept, batches and
# events, and on disk the bytes of the event table and of the rest (dbstat).  All see the
# same host: on one where others make and remove namespaces, their changes count in.
#
# Usage: tests/bench/watch_growth.sh [SECS [THIN...]] (default: 240 0 1m).
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../lib_history.sh"
need_root
need_vethmap
SECS=${1:-240}
shift
[ $# -gt 0 ] || set -- 0 1m
k=0
for thin in "$@"; do
	"$VETHMAP" watch --db "$TMP/w$k.db" --thin "$thin" -v -d "$((SECS + 5))" >/dev/null \
		2>"$TMP/w$k.err" &
	bg_pid "$!"
	W[$k]=$!
	k=$((k + 1))
done
for ((i = 0; i < k; i++)); do
	wait_for 30 grep -q "watch: following" "$TMP/w$i.err" || { echo "watch $i did not start"; exit 1; }
done
churn_start "$SECS" 900
wait_for $((SECS + 30)) _gone "$CP"
churn_stop
k=0
for thin in "$@"; do
	wait "${W[$k]}"
	db=$TMP/w$k.db
	b=$(stat -c %s "$db")
	printf 'thin %-4s %6d s: %11d bytes, %11d per hour; %s snapshots kept of %s batches, %s events; on disk: events %s, the rest %s bytes; host %s interfaces\n' \
		"$thin" "$SECS" "$b" "$((b * 3600 / SECS))" "$(sqlite3 "$db" 'SELECT count(*) FROM scan')" \
		"$(sqlite3 "$db" 'SELECT count(DISTINCT batch) FROM event')" \
		"$(sqlite3 "$db" 'SELECT count(*) FROM event')" \
		"$(sqlite3 "$db" "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'event%'")" \
		"$(sqlite3 "$db" "SELECT sum(pgsize) FROM dbstat WHERE name NOT LIKE 'event%'")" \
		"$(sqlite3 "$db" 'SELECT n_ifaces FROM scan ORDER BY id DESC LIMIT 1')"
	tail -n 1 "$TMP/w$k.err"
	k=$((k + 1))
done
