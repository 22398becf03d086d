#!/bin/bash
# vethmap diff on real namespaces: scan, make one known change, scan again, and check that
# the changes concerning this test's objects (names holding $PFX; other tests' fixtures may
# come and go meanwhile) are exactly the expected ones.  Everything stays admin down and
# the bridges have fixed MACs, so no operstate, link-local address or bridge MAC moves
# behind the test's back.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

J=$TMP/diff.json

# mine FILE: the changes about our objects, one "OP KIND OBJECT | DETAIL" line each
mine() {
	jq -r --arg p "$PFX" '.changes[] | select(.object | contains($p))
		| "\(.op) \(.kind) \(.object)" + (if .detail != "" then " | \(.detail)" else "" end)' \
		"$1" 2>/dev/null
}

# diff_json NAME [args]: vethmap diff --json into $J; ok when it exits 0 with valid JSON
diff_json() {
	local name=$1 rc; shift
	"$VETHMAP" diff --db "$DB" --json "$@" >"$J" 2>"$J.err"; rc=$?
	if [ $rc -ne 0 ]; then
		not_ok "$name: diff exits 0" "exit $rc: $(head -c 300 "$J.err" | tr '\n' ' ')"
		return 1
	fi
	if ! jq -e '(.from | type) == "number" and (.to | type) == "number" and
		    (.changes | type) == "array" and
		    all(.changes[]; (.op | test("^[-+~]$")) and (.kind | type) == "string" and
			(.object | type) == "string" and (.detail | type) == "string")' \
		"$J" >/dev/null 2>&1; then
		not_ok "$name: diff --json output is valid" "$(head -c 300 "$J" | tr '\n' ' ')"
		return 1
	fi
	ok "$name: diff --json exits 0 with valid JSON"
}

scan() {	# scan N: store scan number N (the database is fresh: ids are 1, 2, ...)
	local rc
	"$VETHMAP" scan --db "$DB" >/dev/null 2>"$TMP/scan.err"; rc=$?
	if [ $rc -ne 0 ]; then
		not_ok "scan $1 exits 0" "exit $rc: $(head -c 300 "$TMP/scan.err" | tr '\n' ' ')"
		exit 1
	fi
	ok "scan $1 exits 0"
}

# fixture: two bridges with fixed MACs, netns n1 whose eth0 pairs with host h1, a br1 port
ip link add "${PFX}br1" address 02:00:5e:10:00:01 type bridge &&
ip link add "${PFX}br2" address 02:00:5e:10:00:02 type bridge &&
ns_add n1 &&
ip link add "${PFX}h1" type veth peer name eth0 netns "${PFX}n1" &&
ip link set "${PFX}h1" master "${PFX}br1" ||
	{ not_ok "fixture: bridges and n1" "ip failed"; exit 1; }

"$VETHMAP" diff --db "$DB" >/dev/null 2>"$TMP/err"; rc=$?
check_eq "no database yet: exit 1" 1 "$rc"

scan 1
"$VETHMAP" diff --db "$DB" >"$TMP/out" 2>"$TMP/err"; rc=$?
check_eq "one scan only: exit 1" 1 "$rc"
check_eq "one scan only: one line saying so" "1 yes" \
	"$(wc -l <"$TMP/err") $(grep -q 'need two scans to compare' "$TMP/err" && echo yes)"
check_eq "one scan only: nothing on stdout" "" "$(cat "$TMP/out")"

# (1) a namespace appears, with a veth to the host
ns_add n2
ip link add "${PFX}h2" type veth peer name eth0 netns "${PFX}n2" ||
	{ not_ok "fixture: n2" "ip failed"; exit 1; }
# and a device whose name holds a quote, a backslash and a byte that is not UTF-8
HOSTILE=$(printf '%s"\\\xff' "$PFX")
ip link add "$HOSTILE" address 02:00:5e:10:00:03 type bridge || { not_ok "fixture: hostile name" "ip failed"; exit 1; }
scan 2
if diff_json "namespace added"; then
	check_eq "namespace added: from, to" "1 2" "$(jqv "$J" '"\(.from) \(.to)"')"
	check_eq "namespace added: exactly its changes" \
"+ netns ${PFX}n2
+ interface host:${PFX}\"\\$(printf '\xc3\xbf')
+ interface host:${PFX}h2
+ interface ${PFX}n2:eth0
+ interface ${PFX}n2:lo
+ edge veth host:${PFX}h2 <-> ${PFX}n2:eth0" "$(mine "$J" | sed 's/ | .*//')"
	check_eq "namespace added: netns detail is its inode" "inode $(ns_ino n2)" \
		"$(jqv "$J" --arg o "${PFX}n2" '.changes[] | select(.kind == "netns" and .object == $o) | .detail')"
fi

"$VETHMAP" diff --db "$DB" >"$TMP/out" 2>"$TMP/err"; rc=$?
check_eq "text: exit 0" 0 "$rc"
check_eq "text: a hostile name escaped" "+ interface  host:${PFX}\"\\\\\\xff  bridge, mtu 1500" \
	"$(grep -F "host:${PFX}\"" "$TMP/out")"

# (2) an MTU changes (inside n1: a bridge port's MTU would also move its bridge's)
ip -n "${PFX}n1" link set eth0 mtu 1400 || { not_ok "fixture: mtu" "ip failed"; exit 1; }
scan 3
if diff_json "mtu"; then
	check_eq "mtu: from, to (default: the last two)" "2 3" "$(jqv "$J" '"\(.from) \(.to)"')"
	check_eq "mtu: exactly one change" "~ interface ${PFX}n1:eth0 | mtu 1500 -> 1400" "$(mine "$J")"
fi

# (3) a veth moves to another bridge
ip link set "${PFX}h1" master "${PFX}br2" || { not_ok "fixture: move" "ip failed"; exit 1; }
scan 4
if diff_json "bridge move"; then
	check_eq "bridge move: master change and bridge edges" \
"~ interface host:${PFX}h1 | master ${PFX}br1 -> ${PFX}br2
- edge bridge host:${PFX}h1 -> host:${PFX}br1
+ edge bridge host:${PFX}h1 -> host:${PFX}br2" "$(mine "$J")"
fi
"$VETHMAP" diff --db "$DB" >"$TMP/out" 2>"$TMP/err"; rc=$?
check_eq "text (2): exit 0" 0 "$rc"
check_eq "text: the master line" "~ interface  host:${PFX}h1  master ${PFX}br1 -> ${PFX}br2" \
	"$(grep -F "$PFX" "$TMP/out" | grep '^~')"

# explicit ids: A B, and A against the latest
if diff_json "diff 1 4" 1 4; then
	check_eq "diff 1 4: from, to" "1 4" "$(jqv "$J" '"\(.from) \(.to)"')"
	check_eq "diff 1 4: all three changes" \
"+ netns ${PFX}n2
+ interface host:${PFX}\"\\$(printf '\xc3\xbf')
~ interface host:${PFX}h1 | master ${PFX}br1 -> ${PFX}br2
+ interface host:${PFX}h2
~ interface ${PFX}n1:eth0 | mtu 1500 -> 1400
+ interface ${PFX}n2:eth0
+ interface ${PFX}n2:lo
- edge bridge host:${PFX}h1 -> host:${PFX}br1
+ edge bridge host:${PFX}h1 -> host:${PFX}br2
+ edge veth host:${PFX}h2 <-> ${PFX}n2:eth0" "$(mine "$J" | sed '/^+ /s/ | .*//')"
fi
if diff_json "diff 2" 2; then
	check_eq "diff 2: against the latest" "2 4" "$(jqv "$J" '"\(.from) \(.to)"')"
	check_eq "diff 2: mtu and move" 4 "$(mine "$J" | wc -l)"
fi
if diff_json "diff 4 4" 4 4; then
	check_eq "diff 4 4: no changes" 0 "$(jqv "$J" '.changes | length')"
fi

# exit status
"$VETHMAP" diff 4 4 --db "$DB" --exit-code >/dev/null 2>&1; rc=$?
check_eq "--exit-code without changes: 0" 0 "$rc"
"$VETHMAP" diff 1 4 --db "$DB" --exit-code >/dev/null 2>&1; rc=$?
check_eq "--exit-code with changes: 1" 1 "$rc"
"$VETHMAP" diff 1 999 --db "$DB" >"$TMP/out" 2>"$TMP/err"; rc=$?
check_eq "diff 1 999: exit 1" 1 "$rc"
check_eq "diff 1 999: names the scan" 1 "$(grep -c 999 "$TMP/err")"
"$VETHMAP" diff x --db "$DB" >/dev/null 2>&1; rc=$?
check_eq "diff x: exit 2" 2 "$rc"
"$VETHMAP" diff 1 2 3 --db "$DB" >/dev/null 2>&1; rc=$?
check_eq "diff 1 2 3: exit 2" 2 "$rc"
"$VETHMAP" diff --bogus --db "$DB" >/dev/null 2>&1; rc=$?
check_eq "diff --bogus: exit 2" 2 "$rc"
