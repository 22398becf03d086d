# shellcheck shell=bash
# tests/lib_watch.sh - helpers for the tests of 'vethmap watch' (after lib.sh).
#   watch_start ARGS...  start 'vethmap watch --json -v ARGS' in the background (WP its
#                        pid, killed at exit), JSON lines to $OUT, stderr to $ERR; wait
#                        until it follows the namespaces (else not ok, exit 1)
#   line_of COND [AFTER] index of the first line of $OUT after line AFTER (default -1)
#                        matching the jq condition COND, or "" (COND sees $p = $PFX,
#                        $host = $HOSTNS, $ino = $INO)
#   expect NAME COND     ok when such a line comes within $WAIT s after the line the last
#                        expect found (looked for only there: inode numbers are reused
#                        within seconds, and so the lines are checked in order)

OUT=$TMP/watch.json
ERR=$TMP/watch.err
WAIT=${WAIT:-5}
LAST=-1
INO=0

watch_start() {
	"$VETHMAP" watch --json -v "$@" >"$OUT" 2>"$ERR" &
	WP=$!
	bg_pid "$WP"
	if ! wait_for 20 grep -q "watch: following" "$ERR"; then
		not_ok "watch starts" "$(head -c 300 "$ERR")"
		exit 1
	fi
	ok "watch starts and follows the namespaces"
}

line_of() {
	jq -R -n --arg p "$PFX" --argjson host "$HOSTNS" --argjson ino "${INO:-0}" \
		--argjson after "${2:--1}" \
		"[inputs | fromjson?] | to_entries |
		 map(select(.key > \$after and (.value | $1))) | .[0].key // empty" "$OUT" 2>/dev/null
}

_has() { [ -n "$(line_of "$1" "$LAST")" ]; }

expect() {
	if ! wait_for "$WAIT" _has "$2"; then
		not_ok "$1" "no such line within ${WAIT}s; ours: $(grep -F "$PFX" "$OUT" | tail -n 5 | head -c 600)"
		return 1
	fi
	LAST=$(line_of "$2" "$LAST")
	ok "$1"
}
