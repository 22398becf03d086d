#!/bin/bash
# vethmap trace from a Podman container to the host: DST is the gateway address of
# Podman's default network, which the host holds on Podman's bridge; the path is the
# container's eth0, its host-side veth (a port of that bridge) and the bridge itself,
# where the packets enter the host's stack, and every probe is answered.
. "${BASH_SOURCE%/*}/lib.sh"
. "${BASH_SOURCE%/*}/lib_engines.sh"
. "${BASH_SOURCE%/*}/lib_trace.sh"
need_root
need_vethmap
podman_up

IMG="localhost/${PFX}bb:1"
podman_busybox_image "$IMG"
C=${PFX}p1
prun "$C" "$IMG" sleep 600 >"$TMP/run.out" 2>&1 ||
	{ not_ok "fixture: podman run $C" "$(head -c 300 "$TMP/run.out" | tr '\n' ' ')"; exit 1; }
PBR=$(p network inspect -f '{{.NetworkInterface}}' podman)
GW=$(p network inspect -f '{{range .Subnets}}{{.Gateway}}{{end}}' podman)
ino=$(pid_ns_ino "$(p inspect -f '{{.State.Pid}}' "$C")")
[ -n "$PBR" ] && [ -n "$GW" ] || { not_ok "fixture: podman's bridge and gateway" "'$PBR' '$GW'"; exit 1; }

J=$TMP/p.json
if trace_json "podman to host" "$J" "$C" "$GW" --probe -c 3 -d 10; then
	check_eq "podman to host: DST is the host, at the gateway address" "$HOSTNS $GW" \
		"$(jq -r '"\(.dst.netns) \(.dst.address)"' "$J")"
	check_eq "podman to host: eth0, its host-side port, the bridge as the host's ingress" \
		"$ino:eth0:egress $HOSTNS:port-in $HOSTNS:$PBR:ingress" \
		"$(jq -r '[.hops[] | if .role == "port-in" then "\(.netns):\(.role)" else "\(.netns):\(.ifname):\(.role)" end] | join(" ")' "$J")"
	check_eq "podman to host: 3 probes delivered to the bridge, 3 replies at every hop" "3 3 3 3/3 3/3 3/3" \
		"$(jq -r '"\(.packets) \(.delivered) \(.replies) \([.hops[] | "\(.seen)/\(.replies)"] | join(" "))"' "$J")"
fi
exit $TEST_FAILED
