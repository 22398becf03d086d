#!/bin/bash
# vethmap watch on real namespaces: a watch runs in the background while the test makes
# changes with ip (a netns, a veth pair into it, a link up and down, an address, the netns
# deleted) and a process makes a namespace of its own (unshare -n); each expected JSON
# line must appear, in order, within a bounded time, with the right identities.  Only
# lines about this test's objects ($PFX, its namespaces' inodes) are looked at: other
# tests' fixtures may come and go meanwhile.  Then: the reconciling rescans corrected
# nothing of ours, SIGTERM ends the watch with 0, a watch with a database stores each
# batch so that 'vethmap diff' between consecutive snapshots prints exactly the watch's
# lines, and bad arguments give one line and exit 2.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

. "${BASH_SOURCE%/*}/lib_watch.sh"

watch_start --no-store -d 40 --interval 2s

# a namespace
ns_add n1
INO=$(ns_ino n1)
expect "add netns: its name and inode" \
	'.op == "add" and .type == "netns" and .object == ($p + "n1") and .inode == $ino and .host == false'

# a veth pair into it: both interfaces, then the edge, identities as in the scan JSON
ip link add "${PFX}h1" type veth peer name "${PFX}p1" netns "${PFX}n1" ||
	{ not_ok "fixture: veth" "ip failed"; exit 1; }
expect "add interface: the host end" \
	'.op == "add" and .type == "interface" and .netns == $host and .name == ($p + "h1")'
expect "add interface: the end in the namespace" \
	'.op == "add" and .type == "interface" and .netns == $ino and .name == ($p + "p1") and .object == ($p + "n1:" + $p + "p1")'
expect "add edge: veth, ends by netns and name" \
	'.op == "add" and .type == "edge" and .edge_type == "veth" and .a.netns == $host and .a.name == ($p + "h1") and .b.netns == $ino and .b.name == ($p + "p1")'

# admin up, then down: two changes, before and after
ip link set "${PFX}h1" up
expect "change: link up, before and after" \
	'.op == "change" and .type == "interface" and .name == ($p + "h1") and .field == "admin" and .before == "down" and .after == "up"'
ip link set "${PFX}h1" down
expect "change: link down, before and after" \
	'.op == "change" and .type == "interface" and .name == ($p + "h1") and .field == "admin" and .before == "up" and .after == "down"'

# an address inside the namespace
ip -n "${PFX}n1" addr add 10.213.77.1/24 dev "${PFX}p1"
expect "change: an address added in the namespace" \
	'.op == "change" and .type == "interface" and .netns == $ino and .name == ($p + "p1") and .field == "addrs" and .before == "none" and .after == "10.213.77.1/24"'

# the host end renamed: interfaces are known by name (as diff matches them), so the old
# name goes and the new one comes, and the edge with them
ip link set "${PFX}h1" name "${PFX}r1"
expect "rename: the old name's interface del" \
	'.op == "del" and .type == "interface" and .netns == $host and .name == ($p + "h1")'
expect "rename: the new name's interface add" \
	'.op == "add" and .type == "interface" and .netns == $host and .name == ($p + "r1")'
expect "rename: the edge to the old name del" \
	'.op == "del" and .type == "edge" and .a.name == ($p + "h1") and .b.netns == $ino'
expect "rename: the edge to the new name add" \
	'.op == "add" and .type == "edge" and .a.name == ($p + "r1") and .b.netns == $ino'

# the namespace deleted: it, its interface and the edge go; then the host end, once the
# kernel has destroyed the namespace (the watch's own socket must not keep it alive)
ip netns del "${PFX}n1"
expect "del netns" '.op == "del" and .type == "netns" and .inode == $ino'
expect "del interface in the deleted namespace" \
	'.op == "del" and .type == "interface" and .netns == $ino and .name == ($p + "p1")'
expect "del edge" '.op == "del" and .type == "edge" and .b.netns == $ino'
WAIT=10 expect "del interface: the host end, once the namespace is destroyed" \
	'.op == "del" and .type == "interface" and .netns == $host and .name == ($p + "r1")'
check "the host end is gone from the kernel" test ! -e "/sys/class/net/${PFX}r1"

# an end moved from the host into a namespace: it goes from the host, comes in there, and
# the edge between two host ends becomes one into the namespace
ns_add n2
INO=$(ns_ino n2)
expect "add netns n2" '.op == "add" and .type == "netns" and .inode == $ino'
ip link add "${PFX}h2" type veth peer name "${PFX}m2" ||
	{ not_ok "fixture: veth h2" "ip failed"; exit 1; }
expect "add edge: a veth with both ends on the host" \
	'.op == "add" and .type == "edge" and .a.netns == $host and .b.netns == $host and ([.a.name, .b.name] | sort) == [$p + "h2", $p + "m2"]'
ip link set "${PFX}m2" netns "${PFX}n2"
expect "move: del interface from the host" \
	'.op == "del" and .type == "interface" and .netns == $host and .name == ($p + "m2")'
expect "move: add interface in the namespace" \
	'.op == "add" and .type == "interface" and .netns == $ino and .name == ($p + "m2")'
expect "move: the host-to-host edge del" \
	'.op == "del" and .type == "edge" and .a.netns == $host and .b.netns == $host and ([.a.name, .b.name] | index($p + "m2")) != null'
expect "move: the edge into the namespace add" \
	'.op == "add" and .type == "edge" and .a.netns == $host and .a.name == ($p + "h2") and .b.netns == $ino and .b.name == ($p + "m2")'
ip link del "${PFX}h2"
ip netns del "${PFX}n2"

# a namespace made by a process (no bind mount, no ip): found through its exec
unshare -n sleep 60 &
UP=$!
bg_pid "$UP"
wait_for 5 test "$(pid_ns_ino "$UP")" != "$HOSTNS"
INO=$(pid_ns_ino "$UP")
expect "add netns: a process's own (unshare -n)" \
	'.op == "add" and .type == "netns" and .inode == $ino'
kill "$UP"
wait "$UP" 2>/dev/null
expect "del netns: its process ended" '.op == "del" and .type == "netns" and .inode == $ino'

# the reconciling rescans ran and had nothing of ours to correct
sleep 2.5
if grep -q "reconciling rescan" "$ERR"; then
	ok "reconciling rescans ran"
else
	not_ok "reconciling rescans ran" "no such line in stderr"
fi
check_eq "reconciling rescans corrected nothing of ours" "" \
	"$(grep "watch: correction:" "$ERR" | grep -F -e "$PFX" -e "$INO")"

# SIGTERM ends it, with 0, well before -d
if kill -0 "$WP" 2>/dev/null; then
	kill -TERM "$WP"
	wait "$WP"; rc=$?
	check_eq "SIGTERM ends watch with exit 0" 0 "$rc"
else
	not_ok "watch still runs before SIGTERM" "it ended early: $(tail -n 3 "$ERR" | head -c 300)"
fi
check "every line is one JSON object with time, op and type" jq -e -s \
	'length > 0 and all(.[]; (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")) and
	 (.op | test("^(add|del|change)$")) and (.type | test("^(netns|interface|edge|container)$")))' "$OUT"

# with a database: each batch a snapshot; diff between consecutive ones = the watch's lines
TXT=$TMP/watch.txt
"$VETHMAP" watch --db "$DB" -d 30 >"$TXT" 2>"$ERR.db" &
WP=$!
bg_pid "$WP"
wait_for 10 test -s "$DB"
sleep 0.5
ns_add n2
ip link add "${PFX}h2" type veth peer name "${PFX}p2" netns "${PFX}n2"
if wait_for "$WAIT" grep -q "veth host:${PFX}h2 <-> ${PFX}n2:${PFX}p2" "$TXT"; then
	ok "watch with a database: the edge's line"
else
	not_ok "watch with a database: the edge's line" "$(tail -n 5 "$TXT" | head -c 400)"
fi
kill -TERM "$WP"
wait "$WP"; rc=$?
check_eq "watch with a database: SIGTERM, exit 0" 0 "$rc"
nscans=$(sqlite3 "$DB" "select count(*) from scan" 2>/dev/null)
if [ "${nscans:-0}" -ge 2 ]; then
	ok "watch with a database: the first scan and each batch stored ($nscans snapshots)"
else
	not_ok "watch with a database: snapshots stored" "only ${nscans:-0}"
fi
prev=""
for id in $(sqlite3 "$DB" "select id from scan order by id"); do
	[ -n "$prev" ] && "$VETHMAP" diff --db "$DB" "$prev" "$id"
	prev=$id
done >"$TMP/diffs.txt" 2>"$TMP/diffs.err"
if cmp -s "$TXT" "$TMP/diffs.txt"; then
	ok "watch's lines are exactly diff's between its consecutive snapshots"
else
	not_ok "watch's lines are exactly diff's between its consecutive snapshots" \
		"$(diff "$TXT" "$TMP/diffs.txt" | head -n 6 | head -c 500)"
fi
check "the database is whole after SIGTERM" sqlite3 "$DB" "pragma integrity_check"

# bad arguments: one line naming the input, exit 2
bad() {	# bad NAME ARGS...
	local name=$1 rc; shift
	"$VETHMAP" watch --no-store "$@" >"$TMP/bad.out" 2>"$TMP/bad.err"; rc=$?
	if [ $rc -eq 2 ] && [ ! -s "$TMP/bad.out" ] && head -n 1 "$TMP/bad.err" | grep -q "^vethmap: watch: "; then
		ok "bad arguments: $name: exit 2, one line"
	else
		not_ok "bad arguments: $name" "exit $rc: $(head -c 200 "$TMP/bad.err")"
	fi
}
bad "interval 0" --interval 0
bad "interval not a duration" --interval soon
bad "count 0" -c 0
bad "count not a number" -c many
bad "duration not a duration" -d 5x
bad "unknown option" --follow
bad "an operand" somewhere
exit 0
