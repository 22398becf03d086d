#!/bin/bash
# vethmap watch and a real Docker container: started, it comes as a container line (engine,
# name, id, its namespace's inode as Docker's State.Pid has it) and its veth edge from the
# host end to eth0 in that namespace; removed, as a container del and an edge del.  The
# watch follows Docker's event stream: its -v lines say it connected and counted the
# container's events (create, start, die, destroy; network connect, disconnect).
. "${BASH_SOURCE%/*}/lib.sh"
. "${BASH_SOURCE%/*}/lib_engines.sh"
need_root
need_vethmap
docker_up
. "${BASH_SOURCE%/*}/lib_watch.sh"

IMG="${PFX}bb:1"
busybox_image "$IMG"
C=${PFX}w1
WAIT=10	# a container's start: its namespace, then its veth, then its name from the engine

watch_start --no-store -d 90 --interval 5s
BEFORE=$(($(wc -l <"$OUT") - 1))	# lines before the action: looked for after these only
LAST=$BEFORE
drun "$C" "$IMG" sleep 600 >"$TMP/run.out" 2>&1 ||
	{ not_ok "fixture: docker run $C" "$(head -c 300 "$TMP/run.out" | tr '\n' ' ')"; exit 1; }
ID=$(d inspect -f '{{.Id}}' "$C")
PID=$(d inspect -f '{{.State.Pid}}' "$C")
INO=$(pid_ns_ino "$PID")
note "container $C id ${ID:0:12} pid $PID netns $INO"

# the container and its edge, in either batch order: each looked for after $BEFORE
expect "container add: engine, name, id, netns" \
	".op == \"add\" and .type == \"container\" and .engine == \"docker\" and .name == \"$C\" and .id == \"$ID\" and .netns == \$ino"
LAST=$BEFORE
expect "edge add: veth from the host to eth0 in its namespace" \
	'.op == "add" and .type == "edge" and .edge_type == "veth" and ((.a.netns == $host and .b.netns == $ino and .b.name == "eth0") or (.b.netns == $host and .a.netns == $ino and .a.name == "eth0"))'

BEFORE=$(($(wc -l <"$OUT") - 1))
LAST=$BEFORE
d rm -f "$C" >/dev/null 2>&1
expect "container del" \
	".op == \"del\" and .type == \"container\" and .name == \"$C\" and .id == \"$ID\""
LAST=$BEFORE
expect "edge del" \
	'.op == "del" and .type == "edge" and ((.a.netns == $host and .b.netns == $ino) or (.b.netns == $host and .a.netns == $ino))'
check_eq "reconciling rescans corrected nothing of the container's" "" \
	"$(grep "watch: correction:" "$ERR" | grep -F -e "$C" -e "$INO")"
check "the watch follows Docker's event stream" grep -q "watch: following Docker's events at " "$ERR"
kill -TERM "$WP"
wait "$WP"
check_eq "SIGTERM ends watch with exit 0" 0 "$?"
nev=$(sed -n 's/.*watch: \([0-9]*\) Docker events.*/\1/p' "$ERR")
note "Docker events counted: ${nev:-none} ($(grep -o '[0-9]* Docker events.*' "$ERR"))"
check "Docker's events woke the watch: at least 4 (create, start, die, destroy)" \
	test "${nev:-0}" -ge 4
exit 0
