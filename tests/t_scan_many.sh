#!/bin/bash
# Enough namespaces (80) that the scan dumps them from two threads (64 or more, on a machine
# with two CPUs or more): half named by `ip netns` with CNI-style veths made inside (every
# host end has the same iflink), half held only by a process with Docker-style veths made
# on the host.  Every host end must pair with exactly its own namespace's eth0, every
# namespace's interfaces and addresses must be its own, and the interfaces must come out
# in namespace order, as one thread makes them.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

N=80
HALF=$((N / 2))
ip link add "${PFX}br" type bridge || { not_ok "fixture: bridge" "ip link add failed"; exit 1; }
ip link set "${PFX}br" up
for i in $(seq 1 $HALF); do ns_add "m$i"; done
for i in $(seq 1 $HALF); do
	ip -n "${PFX}m$i" link add eth0 type veth peer name "${PFX}h$i" &&
		ip -n "${PFX}m$i" link set "${PFX}h$i" netns $$ &&
		ip -n "${PFX}m$i" addr add "10.214.0.$i/24" dev eth0 &&
		ip -n "${PFX}m$i" link set eth0 up ||
		{ not_ok "fixture: CNI-style veth $i" "ip failed"; exit 1; }
done
: >"$TMP/pids"
for i in $(seq $((HALF + 1)) $N); do
	unshare -n sleep 300 &
	bg_pid $!
	echo "$i $!" >>"$TMP/pids"
done
wait_for 5 bash -c "[ \$(wc -l <'$TMP/pids') -eq $HALF ]"
while read -r i pid; do
	wait_for 5 test "$(pid_ns_ino "$pid")" != "$HOSTNS" ||
		{ not_ok "fixture: process $i has its own netns" "it has not"; exit 1; }
	echo "link add ${PFX}h$i type veth peer name eth0 netns $pid"
done <"$TMP/pids" | ip -batch - || { not_ok "fixture: docker-style veths" "ip -batch failed"; exit 1; }
while read -r i pid; do
	nsenter -t "$pid" -n ip addr add "10.214.1.$i/24" dev eth0 &&
		nsenter -t "$pid" -n ip link set eth0 up ||
		{ not_ok "fixture: address in process $i" "nsenter failed"; exit 1; }
done <"$TMP/pids"
for i in $(seq 1 $N); do echo "link set ${PFX}h$i master ${PFX}br"; echo "link set ${PFX}h$i up"; done |
	ip -batch - || { not_ok "fixture: bridge ports" "ip -batch failed"; exit 1; }

# the truth, from the kernel's own tools: namespace inode of each i
for i in $(seq 1 $HALF); do echo "$i $(ns_ino "m$i") 10.214.0.$i/24"; done >"$TMP/truth"
while read -r i pid; do echo "$i $(pid_ns_ino "$pid") 10.214.1.$i/24"; done <"$TMP/pids" >>"$TMP/truth"
check_eq "fixture: $N namespaces of our own, all distinct" "$N" "$(awk '{print $2}' "$TMP/truth" | sort -u | wc -l)"
check_eq "fixture: the CNI-style host ends share one iflink" 1 \
	"$(for i in $(seq 1 $HALF); do ip -j link show "${PFX}h$i" | jq -r '.[0].link_index'; done | sort -u | wc -l)"

J=$TMP/scan.json
scan_json "$J" || exit 1
check_eq "more namespaces than the two-thread threshold" true \
	"$(jqv "$J" '(.netns | length) >= 64')"

python3 - "$J" "$TMP/truth" "$PFX" "$HOSTNS" >"$TMP/verdict" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); pfx = sys.argv[3]; host = int(sys.argv[4])
truth = {}
for line in open(sys.argv[2]):
    i, ino, addr = line.split()
    truth[int(i)] = (int(ino), addr)
ifs = j["interfaces"]; order = {n["inode"]: k for k, n in enumerate(j["netns"])}
bad = []
# 1. every host end pairs with exactly its own namespace's eth0
for i, (ino, addr) in truth.items():
    name = "%sh%d" % (pfx, i)
    veth = [e for e in j["edges"] if e["type"] == "veth" and
            {(e["a"]["netns"], e["a"]["name"]), (e["b"]["netns"], e["b"]["name"])} ==
            {(host, name), (ino, "eth0")}]
    other = [e for e in j["edges"] if e["type"] == "veth" and
             (host, name) in {(e["a"]["netns"], e["a"]["name"]), (e["b"]["netns"], e["b"]["name"])}]
    if len(veth) != 1 or len(other) != 1:
        bad.append("pair %d: %d right, %d in all" % (i, len(veth), len(other)))
# 2. each namespace holds its own eth0 with its own address (and only that)
for i, (ino, addr) in truth.items():
    e = [x for x in ifs if x["netns"] == ino and x["name"] == "eth0"]
    if len(e) != 1 or [a for a in e[0]["addrs"] if a.startswith("10.")] != [addr]:
        bad.append("eth0 of %d: %s" % (i, e and e[0]["addrs"]))
    if sorted(x["name"] for x in ifs if x["netns"] == ino) != ["eth0", "lo"]:
        bad.append("interfaces of %d" % i)
# 3. interfaces in namespace order, then by ifindex, as one thread makes them
keys = [(order[x["netns"]], x["ifindex"]) for x in ifs]
if keys != sorted(keys) or len(set(keys)) != len(keys):
    bad.append("interfaces not in (namespace, ifindex) order")
ours = [u for u in j.get("unresolved", []) if u["name"].startswith(pfx) or u["netns"] in
        {v[0] for v in truth.values()}]
if ours:
    bad.append("%d unresolved ends of ours" % len(ours))
print("ok" if not bad else "; ".join(bad[:5]) + (" (+%d more)" % (len(bad) - 5) if len(bad) > 5 else ""))
PY
check_eq "every pairing, interface and address right, in order" ok "$(cat "$TMP/verdict")"
check_eq "bridge has exactly $N ports of ours" "$N" \
	"$(jqv "$J" --argjson h "$HOSTNS" --arg b "${PFX}br" '[.edges[] | select(.type == "bridge" and .b.netns == $h and .b.name == $b)] | length')"

# the same, twice more: two threads must give the same answer every time
for r in 2 3; do
	scan_json "$TMP/scan$r.json" || exit 1
	check_eq "scan $r: the same pairs as the first" \
		"$(jq -c --arg p "$PFX" '[.edges[] | select(.type == "veth") | [.a.netns, .a.name, .b.netns, .b.name] | select(.[1] | startswith($p)) ] | sort' "$J")" \
		"$(jq -c --arg p "$PFX" '[.edges[] | select(.type == "veth") | [.a.netns, .a.name, .b.netns, .b.name] | select(.[1] | startswith($p)) ] | sort' "$TMP/scan$r.json")"
done
ip link del "${PFX}br"
exit $TEST_FAILED
