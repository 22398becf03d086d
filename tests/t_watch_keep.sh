#!/bin/bash
# Watch's compaction (--thin, --keep) and the rebuilding of thinned moments.  A watch
# without compaction (--thin 0 --keep 0) records churn (a namespace with a veth from the
# host, its end renamed, the namespace of two rounds before deleted, a round a second)
# until it has stored 8 batches (40 s at most), each batch a snapshot; the test takes
# 'show --json --at T' at the time of each batch (16 at most) and 30 ms after.  A second watch on
# the file with --thin 2s thins it: of the batch snapshots older than 2 s, one per 2-s
# period stays (the checkpoints; a snapshot another is stored as unchanged from stays
# too); every event stays.  Then 'show --json --at T' again for each T: at a checkpoint,
# byte for byte what it was; inside a thinned stretch (rebuilt from the checkpoint and the
# events after it), our objects as they were: our namespaces (all but 'via' and 'pids',
# which no event carries), our interfaces (every field) and the edges with an end of ours
# (all but their ids, numbered per snapshot).  diff --since a rebuilt moment compares the
# rebuilt state; cap --at one refuses (it names a stored snapshot's edges).  A third
# watch with --keep 3s: nothing older than 3 s stays, but the snapshot the oldest events
# start from.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap
. "${BASH_SOURCE%/*}/lib_history.sh"
epoch() { date -u -d "$1" +%s; }

watch_start --db "$DB" --thin 0 --keep 0 -d 30
# churn until watch 1 has stored 8 batches (a loaded host rescans slowly), 40 s at most
churn_start 40 900
_batches() { [ "$(sqlite3 "$DB" 'SELECT count(DISTINCT batch) FROM event' 2>/dev/null)" -ge 8 ]; }
wait_for 45 _batches
churn_stop
sleep 0.5
kill -TERM "$WP"
wait "$WP"
check_eq "watch 1 (no compaction) ends with 0" 0 "$?"
check_eq "watch 1: compacted nothing" 1 \
	"$(grep -c "0 snapshots and 0 events compacted away" "$ERR")"
NB=$(sqlite3 "$DB" 'SELECT count(DISTINCT batch) FROM event')
check "watch 1: many batches ($NB)" test "$NB" -ge 6
NEV=$(sqlite3 "$DB" 'SELECT count(*) FROM event')
NSNAP=$(sqlite3 "$DB" 'SELECT count(*) FROM scan')
cp "$OUT" "$TMP/watch1.json"

# moments: the time of every batch (16 at most, evenly: every k-th of a regular churn could
# fall on the checkpoints alone), and 30 ms after it (between two batches, or in one's
# wake); the state at each before thinning, and the snapshot that was the newest then
mapfile -t BT < <(sqlite3 "$DB" 'SELECT DISTINCT time FROM event ORDER BY time' |
	awk -v n="$NB" 'NR % int((n + 15) / 16) == 0')
MOMENTS=()
for t in "${BT[@]}"; do
	MOMENTS+=("$t" "$(date -u -d "@$(echo "$(date -u -d "$t" +%s.%3N) + 0.03" | bc)" +%Y-%m-%dT%H:%M:%S.%3NZ)")
done
SID=()
for i in "${!MOMENTS[@]}"; do
	"$VETHMAP" show --db "$DB" --json --at "${MOMENTS[$i]}" >"$TMP/before.$i" 2>"$TMP/before.$i.err" ||
		not_ok "show --at ${MOMENTS[$i]} before thinning" "$(head -c 200 "$TMP/before.$i.err")"
	SID[i]=$(jq -r '.scan.id' "$TMP/before.$i")
done
note "${#MOMENTS[@]} moments, $NB batches, $NSNAP snapshots, $NEV events before thinning"

# watch 2 thins: everything of watch 1 is older than 2 s by now
sleep 2
: >"$OUT"
: >"$ERR"
watch_start --db "$DB" --thin 2s --keep 0 -d 4
wait "$WP"
check_eq "watch 2 (--thin 2s) ends with 0" 0 "$?"
GONE=$(sed -n 's/.* \([0-9]*\) snapshots and 0 events compacted away$/\1/p' "$ERR")
check "watch 2 thinned snapshots away (${GONE:-none}), no event" test "${GONE:-0}" -gt 0
check_eq "every event stays" "$NEV" "$(sqlite3 "$DB" "SELECT count(*) FROM event WHERE id <= (SELECT max(id) FROM event WHERE batch <= $NSNAP)")"
# (a snapshot stored as unchanged from another keeps it: a base is no checkpoint)
two=$(sqlite3 "$DB" "SELECT count(*) FROM (SELECT CAST(strftime('%s', started) AS INTEGER) / 2 AS p
	FROM scan WHERE id <= $NSNAP AND id IN (SELECT batch FROM event) AND id NOT IN
	(SELECT same_as FROM scan WHERE same_as IS NOT NULL) GROUP BY p HAVING count(*) > 1)")
if [ "$two" = 0 ]; then ok "one checkpoint per 2-s period among watch 1's batch snapshots"
else not_ok "one checkpoint per 2-s period among watch 1's batch snapshots" "$two periods with more: $(sqlite3 "$DB" \
	"SELECT group_concat(id || '@' || started || '>' || coalesce(same_as, ''), ' ') FROM scan")"; fi
check_eq "integrity_check after thinning: ok" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"

# ours: what the comparison covers (the scan's own id and time differ by design)
ours() {
	jq -S --arg p "$PFX" '{
	  netns: [.netns[] | select(any(.names[]?; startswith("/run/netns/" + $p))) | del(.via, .pids)],
	  interfaces: [.interfaces[] | select(.name | startswith($p))],
	  edges: [.edges[] | select(.a.name + .b.name | contains($p)) | del(.id)]
	    | sort_by(.a.name, .b.name)}' "$1"
}
same=0 exact=0
for i in "${!MOMENTS[@]}"; do
	T=${MOMENTS[$i]}
	"$VETHMAP" show --db "$DB" --json --at "$T" >"$TMP/after.$i" 2>"$TMP/after.$i.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		not_ok "show --at $T after thinning: exit 0" "exit $rc: $(head -c 300 "$TMP/after.$i.err")"
		continue
	fi
	cmp -s "$TMP/before.$i" "$TMP/after.$i" && exact=$((exact + 1))
	if cmp -s <(ours "$TMP/before.$i") <(ours "$TMP/after.$i"); then
		same=$((same + 1))
	else
		not_ok "show --at $T after thinning: our objects as before" \
			"$(diff <(ours "$TMP/before.$i") <(ours "$TMP/after.$i") | head -n 20 | tr '\n' '|')"
	fi
done
check_eq "show --at each moment after thinning: our namespaces, interfaces and edges as before ($exact byte for byte)" \
	"${#MOMENTS[@]}" "$same"
rebuilt=0
for i in "${!MOMENTS[@]}"; do	# its snapshot thinned away: the moment was rebuilt
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM scan WHERE id = ${SID[i]:-0}")" = 0 ] &&
		rebuilt=$((rebuilt + 1))
done
check "some moments were rebuilt (their snapshot thinned away): $rebuilt of ${#MOMENTS[@]}" \
	test "$rebuilt" -gt 0
most=0
for i in "${!MOMENTS[@]}"; do
	k=$(ours "$TMP/before.$i" | jq '.interfaces | length')
	[ "$k" -gt "$most" ] && most=$k
done
check "our interfaces are in the states compared (up to $most in one)" test "$most" -ge 2

# diff --since a rebuilt moment: from the rebuilt state to the latest (watch 2's first
# scan, after the churn ended): each of our interfaces then, gone
for i in "${!MOMENTS[@]}"; do
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM scan WHERE id = ${SID[i]:-0}")" = 0 ] || continue
	k=$(ours "$TMP/after.$i" | jq '.interfaces | length')
	[ "$k" -gt 0 ] || continue
	"$VETHMAP" diff --db "$DB" --since "${MOMENTS[$i]}" >"$TMP/d.out" 2>"$TMP/d.err"
	check_eq "diff --since a rebuilt moment: exit 0" "0 " "$? $(head -c 200 "$TMP/d.err")"
	check_eq "diff --since a rebuilt moment: each of our $k interfaces then is gone" "$k" \
		"$(grep -c "^- interface  [^ ]*:${PFX}" "$TMP/d.out")"
	"$VETHMAP" cap --db "$DB" --at "${MOMENTS[$i]}" host >/dev/null 2>"$TMP/c.err"
	check_eq "cap --at a rebuilt moment: refused, one line (it names stored edges)" "1 1" \
		"$? $(grep -c "thinned away" "$TMP/c.err")"
	break
done

# watch 3 keeps 3 s: watch 1's history goes, but the newest snapshot before the cutoff
sleep 1
: >"$OUT"
: >"$ERR"
CUT=$(date -u -d "-3 sec" +%Y-%m-%dT%H:%M:%S.%3NZ)
watch_start --db "$DB" --thin 0 --keep 3s -d 4
wait "$WP"
check_eq "watch 3 (--keep 3s) ends with 0" 0 "$?"
check_eq "--keep 3s: no event older than 3 s" 0 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM event WHERE time < '$CUT'")"
check "--keep 3s: watch 1's snapshots gone, but one at most (the base; and what it is unchanged from)" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM scan WHERE started < '$CUT' AND id NOT IN
	(SELECT same_as FROM scan WHERE same_as IS NOT NULL)")" -le 1
check_eq "--keep 3s: the oldest events start from a snapshot (the base) at or before them" 1 \
	"$(sqlite3 "$DB" "SELECT (SELECT min(started) FROM scan) <= coalesce((SELECT min(time) FROM event), '9')")"
check "--keep 3s: the latest shows" bash -c "'$VETHMAP' show --db '$DB' >/dev/null"
check_eq "integrity_check after --keep: ok" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
exit 0
