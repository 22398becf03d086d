#!/bin/bash
# Watch's compaction: --thin and --keep.  A watch without compaction (--thin 0 --keep 0)
# records 5 s of churn, each batch a snapshot; the test takes 'show --json --at T' at the
# time of every 3rd batch and between batches.  A second watch on the file with --thin 2s
# then thins it: of the batch snapshots older than 2 s, one per 2-s period stays (the
# checkpoints); every event stays.  Then, for each T recorded: the state at a checkpoint
# is byte for byte what it was; a moment inside a thinned stretch is refused (exit 1, one
# line) with the 'vethmap events' command that reads that stretch, and that command gives
# the watch's lines of it; diff --since refuses it likewise.  A third watch with --keep 3s:
# nothing older than 3 s stays, but the newest snapshot before that (the base).
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap
. "${BASH_SOURCE%/*}/lib_history.sh"
. "${BASH_SOURCE%/*}/lib_watch.sh"
epoch() { date -u -d "$1" +%s; }

watch_start --db "$DB" --thin 0 --keep 0 -d 30
churn_start 25 150
wait_for 15 _gone "$CP"
churn_stop
sleep 0.5
kill -TERM "$WP"
wait "$WP"
check_eq "watch 1 (no compaction) ends with 0" 0 "$?"
check_eq "watch 1: compacted nothing" 1 \
	"$(grep -c "0 snapshots and 0 events compacted away" "$ERR")"
NB=$(sqlite3 "$DB" 'SELECT count(DISTINCT batch) FROM event')
check "watch 1: many batches ($NB)" test "$NB" -ge 10
NEV=$(sqlite3 "$DB" 'SELECT count(*) FROM event')
NSNAP=$(sqlite3 "$DB" 'SELECT count(*) FROM scan')
cp "$OUT" "$TMP/watch1.json"

# moments: every 3rd batch's time, and 30 ms after it (between two batches, or in one's
# wake); the state at each before thinning
mapfile -t BT < <(sqlite3 "$DB" 'SELECT DISTINCT time FROM event ORDER BY time' | awk 'NR % 3 == 1')
MOMENTS=()
for t in "${BT[@]}"; do
	MOMENTS+=("$t" "$(date -u -d "@$(echo "$(date -u -d "$t" +%s.%3N) + 0.03" | bc)" +%Y-%m-%dT%H:%M:%S.%3NZ)")
done
for i in "${!MOMENTS[@]}"; do
	"$VETHMAP" show --db "$DB" --json --at "${MOMENTS[$i]}" >"$TMP/before.$i" 2>"$TMP/before.$i.err" ||
		not_ok "show --at ${MOMENTS[$i]} before thinning" "$(head -c 200 "$TMP/before.$i.err")"
done
note "${#MOMENTS[@]} moments, $NB batches, $NSNAP snapshots, $NEV events before thinning"

# watch 2 thins: everything of watch 1 is older than 2 s by now
sleep 2
: >"$OUT"
: >"$ERR"
watch_start --db "$DB" --thin 2s --keep 0 -d 3
wait "$WP"
check_eq "watch 2 (--thin 2s) ends with 0" 0 "$?"
GONE=$(sed -n 's/.* \([0-9]*\) snapshots and 0 events compacted away$/\1/p' "$ERR")
check "watch 2 thinned snapshots away (${GONE:-none}), no event" test "${GONE:-0}" -gt 0
check_eq "every event stays" "$NEV" "$(sqlite3 "$DB" "SELECT count(*) FROM event WHERE id <= (SELECT max(id) FROM event WHERE batch <= $NSNAP)")"
check_eq "one checkpoint per 2-s period among watch 1's batch snapshots" 0 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM (SELECT CAST(strftime('%s', started) AS INTEGER) / 2 AS p
	   FROM scan WHERE id <= $NSNAP AND id IN (SELECT batch FROM event) GROUP BY p HAVING count(*) > 1)")"
check_eq "integrity_check after thinning: ok" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"

same=0 refused=0
for i in "${!MOMENTS[@]}"; do
	T=${MOMENTS[$i]}
	"$VETHMAP" show --db "$DB" --json --at "$T" >"$TMP/after.$i" 2>"$TMP/after.$i.err"
	rc=$?
	if [ $rc -eq 0 ]; then
		if cmp -s "$TMP/before.$i" "$TMP/after.$i"; then same=$((same + 1))
		else not_ok "show --at $T after thinning: what it was" "differs"; fi
		continue
	fi
	refused=$((refused + 1))
	msg=$(cat "$TMP/after.$i.err")
	if [ $rc -ne 1 ] || [ "$(wc -l <"$TMP/after.$i.err")" -ne 1 ] ||
	   ! [[ $msg == *"thinned away"*"'vethmap events --since "*" --until $T'" ]]; then
		not_ok "show --at $T in a thinned stretch: exit 1, one line naming the events" "exit $rc: $msg"
		continue
	fi
	S=${msg##*--since }
	S=${S%% --until*}
	# the command named gives the watch's lines from the checkpoint up to T
	"$VETHMAP" events --db "$DB" --json --since "$S" --until "$T" >"$TMP/stretch.$i"
	if ! cmp -s <(jq -c . "$TMP/stretch.$i") <(jq -c --arg s "$S" --arg t "$T" \
		'select(.time >= $s and .time <= $t)' "$TMP/watch1.json"); then
		not_ok "the events named for $T are the watch's lines of that stretch" "differ"
	fi
	[ "$(wc -l <"$TMP/stretch.$i")" -gt 0 ] || not_ok "the events named for $T" "none"
done
check "show --at a checkpoint: byte for byte what it was ($same of ${#MOMENTS[@]})" test "$same" -gt 0
check "show --at inside a thinned stretch: refused, naming the events ($refused of ${#MOMENTS[@]})" \
	test "$refused" -gt 0
check_eq "every moment either" "${#MOMENTS[@]}" "$((same + refused))"
for i in "${!MOMENTS[@]}"; do
	[ -s "$TMP/after.$i" ] && continue
	"$VETHMAP" diff --db "$DB" --since "${MOMENTS[$i]}" >/dev/null 2>"$TMP/d.err"
	check_eq "diff --since a thinned moment: exit 1, refused" "1 1" \
		"$? $(grep -c "thinned away.*vethmap events --since" "$TMP/d.err")"
	break
done

# watch 3 keeps 3 s: watch 1's history goes, but the newest snapshot before the cutoff
sleep 1
: >"$OUT"
: >"$ERR"
CUT=$(date -u -d "-3 sec" +%Y-%m-%dT%H:%M:%S.%3NZ)
watch_start --db "$DB" --thin 0 --keep 3s -d 2
wait "$WP"
check_eq "watch 3 (--keep 3s) ends with 0" 0 "$?"
check_eq "--keep 3s: no event older than 3 s" 0 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM event WHERE time < '$CUT'")"
check_eq "--keep 3s: one snapshot older than 3 s (the base)" 1 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM scan WHERE started < '$CUT'")"
check "--keep 3s: the latest shows" bash -c "'$VETHMAP' show --db '$DB' >/dev/null"
check_eq "integrity_check after --keep: ok" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
exit 0
