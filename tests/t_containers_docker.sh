#!/bin/bash
# Real Docker containers: on the default bridge (docker0), on a user-defined bridge, with
# --network host, --network none and --network container:<first>.  vethmap (ls --json,
# scan --json, and the stored snapshot) must name each container as Docker does (name, id,
# State.Pid), put it in the namespace its process is in, and give each bridged container
# exactly its own host-side veth and bridge, checked against the kernel independently:
# eth0@ifN inside the container, ifindex N on the host (Docker keeps ifindexes unique).
. "${BASH_SOURCE%/*}/lib.sh"
. "${BASH_SOURCE%/*}/lib_engines.sh"
need_root
need_vethmap
docker_up

IMG="${PFX}bb:1"
busybox_image "$IMG"
NET=${PFX}net
dnet "$NET" >/dev/null || { not_ok "fixture: docker network create $NET" "failed"; exit 1; }

D1=${PFX}d1	# default bridge; D4 joins its netns, so it is the sandbox
D2=${PFX}d2	# default bridge too: two ends on docker0 to tell apart
D3=${PFX}d3	# user-defined bridge
DH=${PFX}dh	# --network host
DN=${PFX}dn	# --network none
D4=${PFX}d4	# --network container:D1
start() {
	local n=$1; shift
	drun "$n" "$@" >"$TMP/run.out" 2>&1 ||
		{ not_ok "fixture: docker run $n" "$(head -c 300 "$TMP/run.out" | tr '\n' ' ')"; exit 1; }
}
start "$D1" "$IMG" sleep 600
start "$D2" "$IMG" sleep 600
start "$D3" --network "$NET" "$IMG" sleep 600
start "$DH" --network host "$IMG" sleep 600
start "$DN" --network none "$IMG" sleep 600
start "$D4" --network "container:$D1" "$IMG" sleep 600
ALL=("$D1" "$D2" "$D3" "$DH" "$DN" "$D4")
BRIDGED=("$D1" "$D2" "$D3")

# ---- what Docker and the kernel say, independently of vethmap ----------------------
declare -A PID ID NSINO HOSTEND BRIDGE ADDR MODE
for c in "${ALL[@]}"; do
	PID[$c]=$(d inspect -f '{{.State.Pid}}' "$c")
	ID[$c]=$(d inspect -f '{{.Id}}' "$c")
	MODE[$c]=$(d inspect -f '{{.HostConfig.NetworkMode}}' "$c")
	NSINO[$c]=$(pid_ns_ino "${PID[$c]}")
	if [ -z "${PID[$c]}" ] || [ "${PID[$c]}" = 0 ] || [ -z "${NSINO[$c]}" ]; then
		not_ok "fixture: $c running" "pid '${PID[$c]}' netns '${NSINO[$c]}'"
		exit 1
	fi
done

# host end of a container's eth0: eth0@ifN inside, ifindex N on the host, whose @ifM is eth0
host_end_of() {
	local pid=$1 l eidx n
	l=$(nsenter -t "$pid" -n ip -o link show dev eth0 2>/dev/null) || return 1
	eidx=$(sed -n 's/^\([0-9]*\): eth0@if\([0-9]*\):.*/\1/p' <<<"$l")
	n=$(sed -n 's/^\([0-9]*\): eth0@if\([0-9]*\):.*/\2/p' <<<"$l")
	[ -n "$n" ] || return 1
	ip -o link show 2>/dev/null | awk -F': ' -v n="$n" -v e="$eidx" '
		$1 == n { k = index($2, "@if"); if (k && substr($2, k + 3) == e) print substr($2, 1, k - 1) }'
}

DEFBR=$(d network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' bridge)
NETID=$(d network inspect -f '{{.Id}}' "$NET")
check_eq "fixture: default bridge is docker0" docker0 "$DEFBR"
for c in "${BRIDGED[@]}"; do
	HOSTEND[$c]=$(host_end_of "${PID[$c]}")
	if [ -z "${HOSTEND[$c]}" ] || [ "$(wc -l <<<"${HOSTEND[$c]}")" != 1 ]; then
		not_ok "fixture: $c host end from the kernel" "got [${HOSTEND[$c]}]"
		exit 1
	fi
	if [ "$c" = "$D3" ]; then BRIDGE[$c]=br-${NETID:0:12}; else BRIDGE[$c]=$DEFBR; fi
	check_eq "fixture: $c host end ${HOSTEND[$c]} is a port of ${BRIDGE[$c]}" "${BRIDGE[$c]}" \
		"$(ip -j link show dev "${HOSTEND[$c]}" | jq -r '.[0].master')"
	ADDR[$c]=$(d inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}/{{.IPPrefixLen}}{{end}}' "$c")
done
check_eq "fixture: $D4 shares $D1's netns" "${NSINO[$D1]}" "${NSINO[$D4]}"
check_eq "fixture: $DH is in the host netns" "$HOSTNS" "${NSINO[$DH]}"
check_eq "fixture: $D1 and $D2 have different host ends" 2 \
	"$(printf '%s\n' "${HOSTEND[$D1]}" "${HOSTEND[$D2]}" | sort -u | wc -l)"

# ---- vethmap ls --json (live) --------------------------------------------------------
L=$TMP/ls.json
"$VETHMAP" ls --json >"$L" 2>"$L.err"; rc=$?
check_eq "ls --json exits 0" 0 "$rc"
check_eq "ls --json: no warnings" "" "$(cat "$L.err")"
jq -e 'type == "array"' "$L" >/dev/null 2>&1 || { not_ok "ls --json is a JSON array" "$(head -c 200 "$L")"; exit 1; }
check_eq "ls --json sorted by container name" true "$(jqv "$L" '[.[].container] == ([.[].container] | sort)')"

rows() {	# rows FILE NAME: the rows of container NAME (compact, one per line)
	jq -c --arg n "$2" '.[] | select(.container == $n)' "$1" 2>/dev/null
}
row_field() {	# row_field FILE NAME JQPATH: a field of NAME's only row, or <N rows>
	jq -r --arg n "$2" "[.[] | select(.container == \$n)] | if length == 1 then .[0]$3 else \"<\(length) rows>\" end" "$1" 2>/dev/null
}

for c in "${ALL[@]}"; do
	check_eq "ls: $c engine" docker "$(row_field "$L" "$c" .engine)"
	check_eq "ls: $c id is docker's" "${ID[$c]}" "$(row_field "$L" "$c" .id)"
	check_eq "ls: $c pid is docker's State.Pid" "${PID[$c]}" "$(row_field "$L" "$c" .pid)"
	check_eq "ls: $c netns is its process's" "${NSINO[$c]}" "$(row_field "$L" "$c" .netns)"
done
for c in "${BRIDGED[@]}" "$D4"; do
	b=$c; [ "$c" = "$D4" ] && b=$D1
	check_eq "ls: $c has one row (lo omitted)" 1 "$(rows "$L" "$c" | wc -l)"
	check_eq "ls: $c iface" eth0 "$(row_field "$L" "$c" .iface)"
	check_eq "ls: $c host_network" false "$(row_field "$L" "$c" .host_network)"
	check_eq "ls: $c host_peer is exactly its host veth ${HOSTEND[$b]}" \
		"{\"name\":\"${HOSTEND[$b]}\",\"netns\":$HOSTNS}" "$(row_field "$L" "$c" '.host_peer | {name, netns} | tojson')"
	check_eq "ls: $c bridge" "${BRIDGE[$b]}" "$(row_field "$L" "$c" .bridge)"
	check_eq "ls: $c addrs has docker's address" "${ADDR[$b]}" \
		"$(row_field "$L" "$c" ".addrs | map(select(. == \"${ADDR[$b]}\")) | join(\",\")")"
done
check_eq "ls: $DH has one row" 1 "$(rows "$L" "$DH" | wc -l)"
check_eq "ls: $DH host_network" true "$(row_field "$L" "$DH" .host_network)"
check_eq "ls: $DH iface null" null "$(row_field "$L" "$DH" .iface)"
check_eq "ls: $DH host_peer null" null "$(row_field "$L" "$DH" .host_peer)"
check_eq "ls: $DH bridge null" null "$(row_field "$L" "$DH" .bridge)"
check_eq "ls: $DN has one row" 1 "$(rows "$L" "$DN" | wc -l)"
check_eq "ls: $DN iface is lo only" lo "$(row_field "$L" "$DN" .iface)"
check_eq "ls: $DN host_network" false "$(row_field "$L" "$DN" .host_network)"
check_eq "ls: $DN host_peer null" null "$(row_field "$L" "$DN" .host_peer)"
check_eq "ls: $DN bridge null" null "$(row_field "$L" "$DN" .bridge)"
check_eq "ls: $D1 and $D4 rows in the same netns" "$(row_field "$L" "$D1" .netns)" "$(row_field "$L" "$D4" .netns)"

# ---- vethmap scan --json (stored) ------------------------------------------------------
J=$TMP/scan.json
scan_json "$J" || exit 1
check_eq "scan: no warnings" "" "$(cat "$J.err")"

ctr() {	# ctr FILE NAME JQPATH: a field of container NAME in netns[].containers[], or <N matches>
	jq -r --arg n "$2" "[.netns[] | .inode as \$ino | .containers[]? | select(.name == \$n) | . + {_ns: \$ino}]
		| if length == 1 then .[0]$3 else \"<\(length) matches>\" end" "$1" 2>/dev/null
}
check_scan_containers() {	# check_scan_containers FILE LABEL
	local f=$1 l=$2 c
	for c in "${ALL[@]}"; do
		check_eq "$l: $c listed once, in its process's netns" "${NSINO[$c]}" "$(ctr "$f" "$c" ._ns)"
		check_eq "$l: $c engine" docker "$(ctr "$f" "$c" .engine)"
		check_eq "$l: $c id" "${ID[$c]}" "$(ctr "$f" "$c" .id)"
		check_eq "$l: $c pid" "${PID[$c]}" "$(ctr "$f" "$c" .pid)"
		check_eq "$l: $c image" "$IMG" "$(ctr "$f" "$c" .image)"
		check_eq "$l: $c network_mode" "${MODE[$c]}" "$(ctr "$f" "$c" .network_mode)"
	done
	check_eq "$l: $DH host_network" true "$(ctr "$f" "$DH" .host_network)"
	for c in "$D1" "$D2" "$D3" "$DN" "$D4"; do
		check_eq "$l: $c not host_network" false "$(ctr "$f" "$c" '.host_network // false')"
	done
	check_eq "$l: $D1 is the sandbox of the shared netns" true "$(ctr "$f" "$D1" '.sandbox // false')"
	check_eq "$l: shared netns has exactly $D1 and $D4" "$D1,$D4" \
		"$(jqv "$f" --argjson ns "${NSINO[$D1]}" '[.netns[] | select(.inode == $ns) | .containers[]?.name] | sort | join(",")')"
	check_eq "$l: shared netns has exactly one sandbox" 1 \
		"$(jqv "$f" --argjson ns "${NSINO[$D1]}" '[.netns[] | select(.inode == $ns) | .containers[]? | select(.sandbox == true)] | length')"
	for c in "$D2" "$D3" "$DH" "$DN"; do
		check_eq "$l: $c not a sandbox" false "$(ctr "$f" "$c" '.sandbox // false')"
	done
	for c in "${BRIDGED[@]}"; do
		check_veth "$f" "$l: $c" "$HOSTNS" "${HOSTEND[$c]}" "${NSINO[$c]}" eth0
		check_eq "$l: $c host end master" "${BRIDGE[$c]}" "$(iface_field "$f" "$HOSTNS" "${HOSTEND[$c]}" .master)"
	done
	check_eq "$l: $D1 eth0 carries the sandbox's name" "$D1" "$(iface_field "$f" "${NSINO[$D1]}" eth0 .container)"
	check_eq "$l: $D2 eth0 carries its name" "$D2" "$(iface_field "$f" "${NSINO[$D2]}" eth0 .container)"
	check_eq "$l: $D3 eth0 carries its name" "$D3" "$(iface_field "$f" "${NSINO[$D3]}" eth0 .container)"
	check_eq "$l: $DN netns has lo only" lo \
		"$(jqv "$f" --argjson ns "${NSINO[$DN]}" '[.interfaces[] | select(.netns == $ns) | .name] | join(",")')"
	check_eq "$l: $DN lo carries its name" "$DN" "$(iface_field "$f" "${NSINO[$DN]}" lo .container)"
	# the host netns is the host's, not a host-network container's
	check_eq "$l: host interfaces not attributed to $DH" 0 \
		"$(jqv "$f" --argjson h "$HOSTNS" --arg n "$DH" '[.interfaces[] | select(.netns == $h and .container == $n)] | length')"
}
check_scan_containers "$J" "scan"

# ---- the stored snapshot -------------------------------------------------------------
S=$TMP/show.json
"$VETHMAP" show --json --db "$DB" >"$S" 2>"$S.err"; rc=$?
check_eq "show --json exits 0" 0 "$rc"
check_scan_containers "$S" "show"

LS=$TMP/ls-stored.json
"$VETHMAP" ls --json --stored --db "$DB" >"$LS" 2>"$LS.err"; rc=$?
check_eq "ls --stored exits 0" 0 "$rc"
ours() { jq -c --arg p "$PFX" '[.[] | select(.container | startswith($p))]' "$1" 2>/dev/null; }
check_eq "ls --stored has the same rows for our containers as ls (live)" "$(ours "$L")" "$(ours "$LS")"
