#!/bin/bash
# The text and JSON of show, ls --stored, scans and diff, byte for byte, on a recorded
# database (tests/data/recorded.sql: two snapshots with hostile names, a container that
# goes, an MTU that changes, an unresolved end, a macvlan, bridge ports).  Expected
# outputs are in tests/data/expected/; after a deliberate change of output, make them
# again and read the diff:
#   sqlite3 /tmp/r.db <tests/data/recorded.sql
#   ./vethmap show --db /tmp/r.db >tests/data/expected/show.txt   (and so on, as below)
# A change of the fixture itself: tests/unit/db_test --write FILE, then sqlite3 FILE .dump
# (keeping the two PRAGMA lines at the top of recorded.sql).  Needs no root.
. "${BASH_SOURCE%/*}/lib.sh"
need_vethmap

D=$TMP/recorded.db
sqlite3 "$D" <tests/data/recorded.sql || { not_ok "fixture: tests/data/recorded.sql" "sqlite3 failed"; exit 1; }

same() {	# same NAME VETHMAP-ARGS...: output equals tests/data/expected/NAME, exit 0
	local name=$1 exp=tests/data/expected/$1
	shift
	"$VETHMAP" "$@" --db "$D" >"$TMP/$name" 2>"$TMP/$name.err"
	local rc=$?
	if [ $rc -ne 0 ]; then
		not_ok "$name: vethmap $* exits 0" "exit $rc: $(head -c 300 "$TMP/$name.err")"
	elif cmp -s "$exp" "$TMP/$name"; then
		ok "$name: vethmap $* as expected"
	else
		not_ok "$name: vethmap $* as expected" "$(diff "$exp" "$TMP/$name" | head -n 12 | tr '\n' '|')"
	fi
}

same show.txt show
same show-1.txt show --scan 1
same show.json show --json
same ls.txt ls --stored
same ls.json ls --stored --json
same scans.txt scans
same scans.json scans --json
same diff.txt diff
same diff.json diff --json
check "show.json parses" jq -e '.interfaces | length == 11' tests/data/expected/show.json
check "text output holds no raw escape byte" bash -c "! grep -q \$'\\x1b' tests/data/expected/*.txt"
exit $TEST_FAILED
