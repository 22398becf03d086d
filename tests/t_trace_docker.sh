#!/bin/bash
# vethmap trace between two Docker containers on a user-defined network: named by their
# container names, the path runs through their host-side veths and the network's bridge,
# and the probes and their replies are seen at every captured hop.
. "${BASH_SOURCE%/*}/lib.sh"
. "${BASH_SOURCE%/*}/lib_engines.sh"
. "${BASH_SOURCE%/*}/lib_trace.sh"
need_root
need_vethmap
docker_up

IMG="${PFX}bb:1"
busybox_image "$IMG"
NET=${PFX}net
dnet "$NET" >/dev/null || { not_ok "fixture: docker network create $NET" "failed"; exit 1; }
C1=${PFX}c1 C2=${PFX}c2
for c in "$C1" "$C2"; do
	drun "$c" --network "$NET" "$IMG" sleep 600 >"$TMP/run.out" 2>&1 ||
		{ not_ok "fixture: docker run $c" "$(head -c 300 "$TMP/run.out" | tr '\n' ' ')"; exit 1; }
done
BR=br-$(d network inspect -f '{{.Id}}' "$NET" | cut -c1-12)
ip2=$(d inspect -f "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" "$C2")
pid1=$(d inspect -f '{{.State.Pid}}' "$C1") pid2=$(d inspect -f '{{.State.Pid}}' "$C2")
ino1=$(pid_ns_ino "$pid1") ino2=$(pid_ns_ino "$pid2")

J=$TMP/d.json
if trace_json "docker" "$J" "$C1" "$C2" --probe -c 3 -d 10; then
	check_eq "docker: SRC and DST are the containers' namespaces, DST's address Docker's" \
		"$ino1 $C1 $ino2 $C2 $ip2" \
		"$(jq -r '"\(.src.netns) \(.src.name) \(.dst.netns) \(.dst.name) \(.dst.address)"' "$J")"
	check_eq "docker: the path: eth0, host veth, the network's bridge, host veth, eth0" \
		"$ino1:eth0:egress $HOSTNS:port-in $HOSTNS:$BR:bridge $HOSTNS:port-out $ino2:eth0:ingress" \
		"$(jq -r '[.hops[] | if .role == "port-in" or .role == "port-out" then "\(.netns):\(.role)" else "\(.netns):\(.ifname):\(.role)" end] | join(" ")' "$J")"
	check_eq "docker: the host-side ports are the containers' veth peers" "true" \
		"$(jq --arg a "$(ip -j link show master "$BR" | jq -r '[.[].ifname] | sort | join(" ")')" \
			'[.hops[] | select(.role | startswith("port")) | .ifname] | sort | join(" ") == $a' "$J")"
	check_eq "docker: 3 probes delivered, 3 replies, at every captured hop" "3 3 3 3/3 3/3 3/3 3/3" \
		"$(jq -r '"\(.packets) \(.delivered) \(.replies) \([.hops[] | select(.captured) | "\(.seen)/\(.replies)"] | join(" "))"' "$J")"
	check_eq "docker: nothing lost" "0 null" "$(jq -r '"\(.lost) \(.lost_after)"' "$J")"
fi
exit $TEST_FAILED
