#!/bin/bash
# The event rows a watch leaves (schema 12): one per change line, equal to the lines it
# printed.  A watch --json runs while the test adds a namespace, a veth pair into it,
# changes the veth's mtu and deletes the namespace.  Then: 'vethmap events --json' is
# the watch's output byte for byte, 'vethmap events' the same changes as text lines,
# the rows' columns say what the JSON lines say, --since/--until bound them by time (both
# ends included), each row keeps its object's scan JSON after the change (none for a
# deletion), and bad times exit 2 with one line.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap
. "${BASH_SOURCE%/*}/lib_history.sh"

watch_start --db "$DB" -d 30
ns_add n1
expect "netns add seen" '.op == "add" and .type == "netns" and .object == $p + "n1"'
ip link add "${PFX}h1" type veth peer name "${PFX}p1" netns "${PFX}n1"
expect "edge add seen" '.op == "add" and .type == "edge" and (.object | contains($p + "h1"))'
ip link set "${PFX}h1" mtu 1400
expect "mtu change seen" '.op == "change" and .name == $p + "h1" and .field == "mtu"'
ip netns del "${PFX}n1"
expect "netns del seen" '.op == "del" and .type == "netns" and .object == $p + "n1"'
expect "host end del seen" '.op == "del" and .type == "interface" and .name == $p + "h1"'
kill -TERM "$WP"
wait "$WP"
check_eq "watch ends with 0 on SIGTERM" 0 "$?"

N=$(wc -l <"$OUT")
check "the watch printed lines (${N})" test "$N" -ge 8
check_eq "one event row per line printed" "$N" "$(sqlite3 "$DB" 'SELECT count(*) FROM event')"
"$VETHMAP" events --db "$DB" --json >"$TMP/ev.json" 2>"$TMP/ev.err"
check_eq "events --json: exit 0" 0 "$?"
check "events --json: the watch's lines, byte for byte" cmp "$OUT" "$TMP/ev.json"
"$VETHMAP" events --db "$DB" >"$TMP/ev.txt"
check_eq "events: exit 0" 0 "$?"
# the text line of each JSON line, as diff prints it: "+ kind(9)  object  detail"
jq -r '(if .op == "add" then "+" elif .op == "del" then "-" else "~" end) + " " +
	(.type + "         ")[:9] + "  " + .object + (if .detail then "  " + .detail else "" end)' \
	"$OUT" >"$TMP/want.txt"
check "events: the same changes as text lines, in order" cmp "$TMP/want.txt" "$TMP/ev.txt"
check_eq "events: ours, as diff writes them" \
	"~ interface  host:${PFX}h1  mtu 1500 -> 1400" \
	"$(grep -F "host:${PFX}h1  mtu" "$TMP/ev.txt")"

# the columns are what the lines say
sqlite3 -separator ' ' "$DB" "SELECT time, op, type, coalesce(netns, ''), coalesce(name, ''),
	coalesce(field, ''), coalesce(before, ''), coalesce(after, '') FROM event ORDER BY id" \
	>"$TMP/cols.txt"
jq -r '[.time, .op, .type, (.netns // .inode // "" | tostring), (.name // ""),
	(.field // ""), (.before // ""), (.after // "")] | join(" ")' "$OUT" >"$TMP/wantcols.txt"
check "rows: time, op, type, netns, name, field, before, after as in the lines" \
	cmp "$TMP/wantcols.txt" "$TMP/cols.txt"
check_eq "rows: the sequence is ascending, one step each" "$N" \
	"$(sqlite3 "$DB" 'SELECT max(id) - min(id) + 1 FROM event')"
check_eq "rows: each names the snapshot stored with it, which has that time" 0 \
	"$(sqlite3 "$DB" 'SELECT count(*) FROM event e LEFT JOIN scan s ON s.id = e.batch
		WHERE s.started IS NOT e.time')"

# each row keeps its object after the change, as the scan JSON has it (what show --at
# rebuilds thinned moments from): none when it is gone
check_eq "state: the mtu change's interface as show --json has it after" \
	"1400 ${PFX}h1 veth" \
	"$(sqlite3 "$DB" "SELECT state FROM event WHERE field = 'mtu' AND name = '${PFX}h1'" |
	   jq -r '"\(.mtu) \(.name) \(.kind)"')"
check_eq "state: the same object as 'show --scan' of that batch's snapshot" \
	"$(sqlite3 "$DB" "SELECT batch FROM event WHERE field = 'mtu' AND name = '${PFX}h1'" |
	   xargs -I{} "$VETHMAP" show --db "$DB" --scan {} --json |
	   jq -S -c --arg n "${PFX}h1" '.interfaces[] | select(.name == $n)')" \
	"$(sqlite3 "$DB" "SELECT state FROM event WHERE field = 'mtu' AND name = '${PFX}h1'" | jq -S -c .)"
check_eq "state: none for a deletion, one for every other event" "0 0" \
	"$(sqlite3 "$DB" "SELECT count(*) FILTER (WHERE op = 'del' AND state IS NOT NULL),
	   count(*) FILTER (WHERE op != 'del' AND state IS NULL) FROM event" | tr '|' ' ')"
check_eq "state: an added namespace's is that namespace" 0 \
	"$(sqlite3 "$DB" "SELECT count(*) FROM event WHERE type = 'netns' AND op = 'add' AND
	   state ->> 'inode' IS NOT netns")"

# --since / --until: the batch of the mtu change alone, then everything from it on
T=$(jq -r --arg p "$PFX" 'select(.field == "mtu" and .name == $p + "h1") | .time' "$OUT")
"$VETHMAP" events --db "$DB" --json --since "$T" --until "$T" >"$TMP/at.json"
check_eq "--since T --until T: exit 0" 0 "$?"
check_eq "--since T --until T: the lines of that batch" \
	"$(jq -c --arg t "$T" 'select(.time == $t)' "$OUT")" "$(jq -c . "$TMP/at.json")"
"$VETHMAP" events --db "$DB" --since "$T" >"$TMP/since.txt"
check_eq "--since T: that batch and all after" \
	"$(jq -r --arg t "$T" 'select(.time >= $t) | .object' "$OUT")" \
	"$(jq -r --arg t "$T" 'select(.time >= $t) | .object' "$TMP/ev.json")"
check_eq "--since T: as many lines" "$(jq -r --arg t "$T" 'select(.time >= $t) | .op' "$OUT" | wc -l)" \
	"$(wc -l <"$TMP/since.txt")"
"$VETHMAP" events --db "$DB" --until "$T" --json >"$TMP/until.json"
check_eq "--until T: up to that batch" \
	"$(jq -c --arg t "$T" 'select(.time <= $t)' "$OUT")" "$(jq -c . "$TMP/until.json")"
"$VETHMAP" events --db "$DB" --since 2001-01-01T00:00 --until 2001-01-02T00:00 >"$TMP/none.txt"
check_eq "a stretch with no events: exit 0, nothing" "0 0" "$? $(wc -c <"$TMP/none.txt")"

# bad times: exit 2, one line naming the input
for bad in soon 2026-13-01T00:00 -5x; do
	"$VETHMAP" events --db "$DB" --since "$bad" >"$TMP/b.out" 2>"$TMP/b.err"
	check_eq "--since '$bad': exit 2" 2 "$?"
	check_eq "--since '$bad': one line naming it" "1 1" \
		"$(wc -l <"$TMP/b.err") $(grep -cF "invalid time '$bad'" "$TMP/b.err")"
	check_eq "--since '$bad': nothing on stdout" 0 "$(wc -c <"$TMP/b.out")"
done
"$VETHMAP" events --db "$DB" --until x >/dev/null 2>"$TMP/b.err"
check_eq "--until x: exit 2" 2 "$?"
exit 0
