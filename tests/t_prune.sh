#!/bin/bash
# Retention on real scans: an unchanged snapshot is stored as a reference to the one it
# equals (a few hundred bytes per scan), read back whole by show, diff, graph, report and
# ls --stored; prune --keep/--older-than (and scan --keep) deletes whole snapshots, keeps
# what a kept reference needs and the captures' audit rows (unless --captures), leaves no
# orphan row, and the file shrinks; a SIGKILL during prune leaves it intact; bad arguments
# cost one line and touch nothing.
#
# The scans run in a world of their own (new network, PID and mount namespaces, every nsfs
# mount of the host unmounted inside, --no-containers), so other tests' namespaces, which
# come and go on the shared host, cannot make two scans differ behind the test's back.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

# ---- the world ----------------------------------------------------------------------
unshare --net --pid --fork --kill-child --mount-proc --mount --propagation private \
	bash -c 'umount -a -l -t nsfs 2>/dev/null; ip link set lo up; : >"$1"; exec sleep 300' \
	_ "$TMP/world" &
bg_pid $!
if ! wait_for 10 test -e "$TMP/world"; then
	not_ok "fixture: a world of our own (unshare)" "not ready after 10 s"
	exit 1
fi
W=$(pgrep -P $! -n)
bg_pid "$W"
inw() { nsenter -t "$W" --net --pid --mount -- "$@"; }
gone() { kill -0 "$W" 2>/dev/null || echo " (the world's process $W is gone: killed from outside?)"; }
if [ -n "$(inw findmnt -rn -t nsfs -o TARGET)" ]; then
	skip "${0##*/}" "an nsfs mount of the host stays in the world: $(inw findmnt -rn -t nsfs -o TARGET | head -c 200)"
	exit 0
fi
# the world's host: a bridge with the host end of a veth; its other end in netns ${PFX}c
inw ip netns add "${PFX}c" &&
	inw ip link add "${PFX}br" type bridge &&
	inw ip link add "${PFX}h" type veth peer name eth0 netns "${PFX}c" &&
	inw ip link set "${PFX}h" master "${PFX}br" &&
	inw ip addr add 10.77.0.1/24 dev "${PFX}br" &&
	inw ip netns exec "${PFX}c" ip addr add 10.77.0.2/24 dev eth0 ||
	{ not_ok "fixture: bridge, veth, netns in the world" "ip failed"; exit 1; }

wscan() {	# wscan [args]: one scan of the world into $DB, output discarded (no process of
	# the world's but the scan's own while it runs: timeout stays outside)
	timeout 60 nsenter -t "$W" --net --pid --mount -- \
		"$VETHMAP" scan --db "$DB" --no-containers "$@" >/dev/null 2>"$TMP/scan.err"
}
q() { sqlite3 "$DB" "$1"; }	# q SQL: one query of the test database
bytes() {	# the database's bytes once its log is written back
	q 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	stat -c %s "$DB"
}

# ---- unchanged snapshots are references ---------------------------------------------
for i in 1 2 3 4; do
	wscan || { not_ok "scan $i of the world" "exit $?$(gone): $(head -c 300 "$TMP/scan.err")"; exit 1; }
done
ok "four scans of the world stored"
check_eq "new file: incremental vacuum" 2 "$(q 'PRAGMA auto_vacuum')"
check_eq "scan 1 has its rows, 2-4 refer to it (and share its processes)" "1:0|2:1:0|3:1:0|4:1:0" \
	"$(q "SELECT id || ':' || coalesce(same_as || ':', '') || own_pids FROM scan ORDER BY id" | tr '\n' '|' | sed 's/|$//')"
check_eq "the references have no rows of their own" "0" \
	"$(q "SELECT (SELECT count(*) FROM netns WHERE scan_id > 1) + (SELECT count(*) FROM iface
		WHERE scan_id > 1) + (SELECT count(*) FROM edge WHERE scan_id > 1)
		+ (SELECT count(*) FROM addr WHERE scan_id > 1)")"
check_eq "scan 1 holds the world: 2 namespaces, our veth and bridge" "2 1 1" \
	"$(q "SELECT (SELECT count(*) FROM netns WHERE scan_id = 1),
		(SELECT count(*) FROM edge WHERE scan_id = 1 AND type = 'veth'),
		(SELECT count(*) FROM edge WHERE scan_id = 1 AND type = 'bridge')" | tr '|' ' ')"
check_eq "each reference keeps its own time" 4 "$(q 'SELECT count(DISTINCT started) FROM scan')"
check_eq "scans --json: unchanged, same_as" "false null|true 1|true 1|true 1" \
	"$("$VETHMAP" scans --db "$DB" --json | jq -r '.[] | "\(.unchanged) \(.same_as)"' | tr '\n' '|' | sed 's/|$//')"
check_eq "scans: the text says unchanged" "0 1 1 1" \
	"$("$VETHMAP" scans --db "$DB" | tail -n +2 | while read -r l; do
		case $l in *"unchanged (as 1)"*) printf '1 ' ;; *) printf '0 ' ;; esac; done | sed 's/ $//')"

# read back whole: every reader gives what scan 1 gives
"$VETHMAP" show --db "$DB" --scan 1 --json | jq -S 'del(.scan)' >"$TMP/show1.json"
"$VETHMAP" show --db "$DB" --scan 3 --json | jq -S 'del(.scan)' >"$TMP/show3.json"
check "show --scan 3: every row of scan 1" cmp "$TMP/show1.json" "$TMP/show3.json"
check_eq "show --scan 3: the world's veth is there" 1 \
	"$(jq --arg h "${PFX}h" '[.edges[] | select(.type == "veth" and (.a.name == $h or .b.name == $h))] | length' "$TMP/show3.json")"
check_eq "show --scan 3 --json: its own id, same_as 1" "3 1" \
	"$("$VETHMAP" show --db "$DB" --scan 3 --json | jq -r '"\(.scan.id) \(.scan.same_as)"')"
check_eq "show --scan 1 --json: same_as null" "null" \
	"$("$VETHMAP" show --db "$DB" --scan 1 --json | jq -r '.scan.same_as')"
check "show text of scan 3 = of scan 1" cmp <("$VETHMAP" show --db "$DB" --scan 1) \
	<("$VETHMAP" show --db "$DB" --scan 3)
check "diff --exit-code 1 3: no change" "$VETHMAP" diff --db "$DB" --exit-code 1 3
check "diff --exit-code (the last two, both references): no change" \
	"$VETHMAP" diff --db "$DB" --exit-code
# (the title says which scan and when: line 2)
check "graph -T dot of scan 3 = of scan 1, but its title" cmp \
	<("$VETHMAP" graph --db "$DB" --scan 1 -T dot | sed 2d) \
	<("$VETHMAP" graph --db "$DB" --scan 3 -T dot | sed 2d)
check_eq "graph -T dot of scan 3: its title" 1 \
	"$("$VETHMAP" graph --db "$DB" --scan 3 -T dot | sed -n 2p | grep -c 'vethmap scan 3<')"
check_eq "report of scan 3: the namespaces of scan 1" 2 \
	"$("$VETHMAP" report --db "$DB" --scan 3 | xmllint --xpath 'count(//netns)' - 2>/dev/null)"
check "ls --scan 3 = ls --scan 1" cmp <("$VETHMAP" ls --db "$DB" --scan 1) \
	<("$VETHMAP" ls --db "$DB" --scan 3)
check "ls --stored (the latest, a reference) = ls --scan 1" cmp \
	<("$VETHMAP" ls --db "$DB" --scan 1) <("$VETHMAP" ls --db "$DB" --stored)

# processes that come and go change no map: a reference with processes of its own
inw sleep 200 2>/dev/null &
holder=$!
bg_pid $holder
wait_for 5 test "$(inw pgrep -c -x sleep)" = 2
spid=$(inw pgrep -n -x sleep)
wscan
check_eq "a new process: still unchanged from 1, with its own processes" "1|1" \
	"$(q 'SELECT same_as, own_pids FROM scan WHERE id = 5')"
check_eq "a new process: scan 5 shows it" 1 \
	"$("$VETHMAP" show --db "$DB" --scan 5 --json | jq --argjson p "$spid" '[.netns[] | select(.host) | .pids[] | select(. == $p)] | length')"
check_eq "a new process: scan 1 does not" 0 \
	"$("$VETHMAP" show --db "$DB" --scan 1 --json | jq --argjson p "$spid" '[.netns[] | select(.host) | .pids[] | select(. == $p)] | length')"
inw kill "$spid"
wait $holder 2>/dev/null
wscan
check_eq "the process gone: 6 refers to 1, no processes of its own" "1|0" \
	"$(q 'SELECT same_as, own_pids FROM scan WHERE id = 6')"
check_eq "scan_pid holds scan 5's processes only" "5" "$(q 'SELECT group_concat(DISTINCT scan_id) FROM scan_pid')"

# a change is stored whole, and seen
inw ip link set "${PFX}h" mtu 1400
wscan
check_eq "after an MTU change: scan 7 has its own rows" "" "$(q 'SELECT same_as FROM scan WHERE id = 7')"
"$VETHMAP" diff --db "$DB" --json 6 7 >"$TMP/d67.json"
check_eq "diff 6 7 (a reference, then a whole one): the MTU" 1 \
	"$(jq --arg h "${PFX}h" '[.changes[] | select(.object | contains($h)) | select(.detail | contains("1400"))] | length' "$TMP/d67.json")"
wscan
check_eq "then unchanged again: 8 refers to 7" 7 "$(q 'SELECT same_as FROM scan WHERE id = 8')"

# ---- what an unchanged scan costs -----------------------------------------------------
N=1000	# the issue's figure: 1000 scans of an unchanged host, under 1 MB
b0=$(bytes)
for i in $(seq $N); do
	wscan || { not_ok "unchanged scan $i" "exit $?$(gone): $(head -c 200 "$TMP/scan.err")"; break; }
done
b1=$(bytes)
per=$(((b1 - b0) / N))
note "$N unchanged scans: $b0 -> $b1 bytes, $per bytes per scan (the full snapshot: $(q "SELECT count(*) FROM iface WHERE scan_id = 7") interfaces)"
check_eq "$N unchanged scans: all references" $N "$(q 'SELECT count(*) FROM scan WHERE id > 8 AND same_as = 7')"
check "$N unchanged scans grow the file by under 1 MB ($((b1 - b0)) bytes)" \
	test $((b1 - b0)) -lt 1048576

# ---- prune -----------------------------------------------------------------------------
# whole snapshots to delete: 20 scans, each with another MTU
for i in $(seq 20); do
	inw ip link set "${PFX}h" mtu $((1300 + i))
	wscan
done
n_all=$(q 'SELECT count(*) FROM scan')
last=$(q 'SELECT max(id) FROM scan')
q "INSERT INTO capture (scan_id, started, duration_ms, target, interfaces, packets, uid, state)
	VALUES (1, '2026-01-01T00:00:00.000Z', 1, 'e1', 'x', 0, 0, 'done'),
	       (2, '2026-01-01T00:00:00.000Z', 1, 'e1', 'x', 0, 0, 'running'),
	       (NULL, '2026-01-01T00:00:00.000Z', 1, 'e1', 'x', 0, 0, 'done')"
b0=$(bytes)
"$VETHMAP" prune --db "$DB" --keep 3 --json >"$TMP/prune.json" 2>"$TMP/prune.err"
check_eq "prune --keep 3: exit 0 ($(head -c 200 "$TMP/prune.err"))" 0 $?
check_eq "prune --keep 3 --json: deleted, kept, vacuum" "$((n_all - 3)) 3 incremental" \
	"$(jq -r '"\(.deleted) \(.kept) \(.vacuum)"' "$TMP/prune.json")"
check_eq "prune: the newest 3 remain" "$((last - 2)) $((last - 1)) $last" \
	"$(q 'SELECT id FROM scan ORDER BY id' | tr '\n' ' ' | sed 's/ $//')"
check_eq "prune: no row of a deleted snapshot in any table" 0 \
	"$(q "SELECT sum(n) FROM (SELECT count(*) n FROM netns WHERE scan_id < $((last - 2))
		UNION ALL SELECT count(*) FROM netns_name WHERE scan_id < $((last - 2))
		UNION ALL SELECT count(*) FROM netns_pid WHERE scan_id < $((last - 2))
		UNION ALL SELECT count(*) FROM netns_mount WHERE scan_id < $((last - 2))
		UNION ALL SELECT count(*) FROM iface WHERE scan_id < $((last - 2))
		UNION ALL SELECT count(*) FROM addr WHERE scan_id < $((last - 2))
		UNION ALL SELECT count(*) FROM edge WHERE scan_id < $((last - 2))
		UNION ALL SELECT count(*) FROM route WHERE scan_id < $((last - 2))
		UNION ALL SELECT count(*) FROM unresolved WHERE scan_id < $((last - 2)))")"
check_eq "prune: foreign keys hold" "" "$(q 'PRAGMA foreign_key_check')"
check_eq "prune: integrity" ok "$(q 'PRAGMA integrity_check')"
check_eq "prune: the captures' audit rows stay" 3 "$(q 'SELECT count(*) FROM capture')"
b1=$(bytes)
note "prune --keep 3 of $n_all: $b0 -> $b1 bytes"
check "prune: the file shrinks ($b0 -> $b1)" test "$b1" -lt "$b0"
check_eq "prune: the JSON says the sizes" "$b1" "$(jq -r '.bytes_after' "$TMP/prune.json")"
check "prune: the latest still shows" "$VETHMAP" show --db "$DB" --scan "$last"

"$VETHMAP" prune --db "$DB" --keep 3 --captures >/dev/null
check_eq "prune --captures: the rows of pruned snapshots' captures go, a running one and one of no snapshot stay" \
	"2|running||done" "$(q "SELECT coalesce(scan_id, '') || '|' || state FROM capture ORDER BY id" | tr '\n' '|' | sed 's/|$//')"

# a kept reference keeps its base
wscan; wscan; wscan
base=$(q 'SELECT max(same_as) FROM scan')
last=$(q 'SELECT max(id) FROM scan')
check_eq "three unchanged scans refer to $last's base" 3 "$(q "SELECT count(*) FROM scan WHERE same_as = $base")"
"$VETHMAP" prune --db "$DB" --keep 1 --json >"$TMP/prune.json"
check_eq "prune --keep 1: the latest (a reference) and its base stay" "$base $last" \
	"$(q 'SELECT id FROM scan ORDER BY id' | tr '\n' ' ' | sed 's/ $//')"
check_eq "prune --keep 1 --json: kept 2, one as a base" "2 1" \
	"$(jq -r '"\(.kept) \(.kept_as_base)"' "$TMP/prune.json")"
check "prune --keep 1: the reference still shows its rows" cmp \
	<("$VETHMAP" show --db "$DB" --scan "$base" --json | jq -S 'del(.scan)') \
	<("$VETHMAP" show --db "$DB" --scan "$last" --json | jq -S 'del(.scan)')

# --older-than, and scan --keep
wscan; inw ip link set "${PFX}h" mtu 1500; wscan; wscan
q "UPDATE scan SET started = '2020-01-01T00:00:00.000Z' WHERE id <= $last"
"$VETHMAP" prune --db "$DB" --older-than 30d >/dev/null
# $last+1 refers to $base: the back-dated $last goes, $base stays for it
check_eq "prune --older-than 30d: the back-dated ones go, but a base still referred to" \
	"$base $((last + 1)) $((last + 2)) $((last + 3))" \
	"$(q 'SELECT id FROM scan ORDER BY id' | tr '\n' ' ' | sed 's/ $//')"
check_eq "prune --older-than 30d: $((last + 1)) still refers to $base" "$base" \
	"$(q "SELECT same_as FROM scan WHERE id = $((last + 1))")"
inw ip link set "${PFX}h" mtu 1450
wscan --keep 2
check_eq "scan --keep 2: the last two, and the base of the one before" \
	"$((last + 2)) $((last + 3)) $((last + 4))" \
	"$(q 'SELECT id FROM scan ORDER BY id' | tr '\n' ' ' | sed 's/ $//')"

# ---- bad arguments: one line naming the input, exit 2, nothing touched ----------------
n=$(q 'SELECT count(*) FROM scan')
bad() {	# bad NAME WANT_RC TEXT CMD...: exit WANT_RC, a first line naming TEXT
	local name=$1 want=$2 text=$3 rc; shift 3
	"$@" >"$TMP/bad.out" 2>"$TMP/bad.err"; rc=$?
	check_eq "$name: exit $want" "$want" "$rc"
	check "$name: the error names '$text'" grep -qF -- "$text" <(head -1 "$TMP/bad.err")
	check_eq "$name: nothing on stdout" "" "$(cat "$TMP/bad.out")"
}
bad "prune without a rule" 2 "--keep N" "$VETHMAP" prune --db "$DB"
bad "prune --keep 0" 2 "'0'" "$VETHMAP" prune --db "$DB" --keep 0
bad "prune --keep x" 2 "'x'" "$VETHMAP" prune --db "$DB" --keep x
bad "prune --keep -3" 2 "'-3'" "$VETHMAP" prune --db "$DB" --keep -3
bad "prune --older-than 7y" 2 "'7y'" "$VETHMAP" prune --db "$DB" --older-than 7y
bad "prune --older-than -1d" 2 "'-1d'" "$VETHMAP" prune --db "$DB" --older-than -1d
bad "prune --older-than 400d" 2 "'400d'" "$VETHMAP" prune --db "$DB" --older-than 400d
bad "prune an operand" 2 "'7'" "$VETHMAP" prune --db "$DB" --keep 1 7
bad "scan --no-store --keep 2" 2 "--no-store" "$VETHMAP" scan --db "$DB" --no-store --keep 2
bad "scan --captures alone" 2 "--captures" "$VETHMAP" scan --db "$DB" --captures
bad "prune a missing directory" 1 "$TMP/nowhere/x.db" "$VETHMAP" prune --db "$TMP/nowhere/x.db" --keep 1
bad "prune a missing file" 1 "$TMP/none.db" "$VETHMAP" prune --db "$TMP/none.db" --keep 1
check "prune a missing file: makes none" test ! -e "$TMP/none.db"
check_eq "bad arguments: the snapshots untouched" "$n" "$(q 'SELECT count(*) FROM scan')"

# ---- a SIGKILL during prune -----------------------------------------------------------
BIG=$TMP/big.db
san=	# snapgen links the objects vethmap was built from: with the same sanitizers
nm -an "$VETHMAP" 2>/dev/null | grep -q __asan_init && san=SANITIZE=address,undefined
if make -s tests/bench/snapgen $san >/dev/null 2>&1; then
	for i in 1 2 3 4; do tests/bench/snapgen "$BIG" 1000 >/dev/null || break; done
	nbig=$(sqlite3 "$BIG" 'SELECT count(*) FROM scan')
	cp "$BIG" "$TMP/big2.db"
	note "$nbig snapshots of 1000 namespaces: $(stat -c %s "$BIG") bytes"
	killed=0
	for delay in 0.02 0.05 0.1 0.2; do
		"$VETHMAP" prune --db "$BIG" --keep 1 >/dev/null 2>&1 &
		p=$!
		sleep "$delay"
		kill -KILL $p 2>/dev/null && killed=$((killed + 1))
		wait $p 2>/dev/null
		left=$(sqlite3 "$BIG" 'SELECT count(*) FROM scan')
		check_eq "SIGKILL after ${delay}s: integrity" ok "$(sqlite3 "$BIG" 'PRAGMA integrity_check')"
		check_eq "SIGKILL after ${delay}s: foreign keys hold" "" "$(sqlite3 "$BIG" 'PRAGMA foreign_key_check')"
		check "SIGKILL after ${delay}s: all ($nbig) or pruned (1) snapshots, not between ($left)" \
			test "$left" = "$nbig" -o "$left" = 1
		[ "$left" = 1 ] && break
	done
	note "prune killed $killed times before it finished"
	check "after the kills: the latest still loads" "$VETHMAP" show --db "$BIG" --json
	"$VETHMAP" prune --db "$BIG" --keep 1 >/dev/null
	check_eq "after the kills: prune --keep 1 runs through" 1 "$(sqlite3 "$BIG" 'SELECT count(*) FROM scan')"
	# the same prune, not killed, timed (a copy made before the kills)
	B2=$TMP/big2.db
	s0=$(stat -c %s "$B2")
	t0=$(date +%s%N)
	"$VETHMAP" prune --db "$B2" --keep 1 >/dev/null
	t1=$(date +%s%N)
	note "prune --keep 1 of $nbig snapshots of 1000 namespaces: $(( (t1 - t0) / 1000000 )) ms, $s0 -> $(stat -c %s "$B2") bytes"
	check "prune of $nbig snapshots of 1000 namespaces: the file shrinks to under a third" \
		test $(( $(stat -c %s "$B2") * 3 )) -lt "$s0"
else
	skip "SIGKILL during prune" "cannot build tests/bench/snapgen"
fi
