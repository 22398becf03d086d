# shellcheck shell=bash
# tests/lib_trace.sh - helpers for the trace tests, sourced after lib.sh.
#   trace_json NAME FILE ARGS...   vethmap trace ARGS --json into FILE; ok when it exits 0
#                                  with a JSON object, else not ok (stderr quoted), return 1

trace_json() {
	local name=$1 f=$2 rc; shift 2
	timeout 60 "$VETHMAP" trace --db "$DB" --json "$@" >"$f" 2>"$f.err"; rc=$?
	if [ $rc -ne 0 ] || ! jq -e 'type == "object"' "$f" >/dev/null 2>&1; then
		not_ok "$name: trace exits 0 with JSON" "exit $rc: $(head -c 300 "$f.err" | tr '\n' '|') $(head -c 200 "$f")"
		return 1
	fi
	ok "$name: trace exits 0 with JSON"
}
