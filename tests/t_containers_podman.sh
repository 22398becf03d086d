#!/bin/bash
# Real Podman containers on Podman's default bridge network.  Podman (netavark) creates the
# veth inside the container, so both host ends show the same "@if2": an ifindex match
# cannot tell them apart.  vethmap must still give each container exactly its own host end,
# checked independently of vethmap: a veth's carrier follows its peer, so setting a
# container's eth0 down makes exactly its host end LOWERLAYERDOWN.
# Run twice: without Podman's API socket (vethmap reads containers.json and the pidfiles),
# and with "podman system service" on a private socket named by CONTAINER_HOST.
. "${BASH_SOURCE%/*}/lib.sh"
. "${BASH_SOURCE%/*}/lib_engines.sh"
need_root
need_vethmap
podman_up

IMG="localhost/${PFX}bb:1"
podman_busybox_image "$IMG"
P1=${PFX}p1
P2=${PFX}p2
for c in "$P1" "$P2"; do
	prun "$c" "$IMG" sleep 600 >"$TMP/run.out" 2>&1 ||
		{ not_ok "fixture: podman run $c" "$(head -c 300 "$TMP/run.out" | tr '\n' ' ')"; exit 1; }
done
ALL=("$P1" "$P2")

# ---- what Podman and the kernel say, independently of vethmap ----------------------
PBR=$(p network inspect -f '{{.NetworkInterface}}' podman)
[ -n "$PBR" ] && [ -e "/sys/class/net/$PBR" ] || { not_ok "fixture: podman's bridge" "'$PBR' not found"; exit 1; }
declare -A PID ID NSINO HOSTEND ADDR
for c in "${ALL[@]}"; do
	PID[$c]=$(p inspect -f '{{.State.Pid}}' "$c")
	ID[$c]=$(p inspect -f '{{.Id}}' "$c")
	ADDR[$c]=$(p inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}/{{.IPPrefixLen}}{{end}}' "$c")
	NSINO[$c]=$(pid_ns_ino "${PID[$c]}")
	if [ -z "${PID[$c]}" ] || [ "${PID[$c]}" = 0 ] || [ -z "${NSINO[$c]}" ]; then
		not_ok "fixture: $c running" "pid '${PID[$c]}' netns '${NSINO[$c]}'"
		exit 1
	fi
done

ports_state() {	# "NAME OPERSTATE" of every port of podman's bridge, sorted
	local n
	for n in /sys/class/net/"$PBR"/brif/*; do
		[ -e "$n" ] || continue
		n=${n##*/}
		echo "$n $(cat "/sys/class/net/$n/operstate" 2>/dev/null)"
	done | sort
}
# the port that goes down when container PID's eth0 goes down (and comes back with it)
find_host_end() {
	local pid=$1 before after changed
	before=$(ports_state)
	nsenter -t "$pid" -n ip link set dev eth0 down || return 1
	local end=$((SECONDS + 5))
	while :; do
		after=$(ports_state)
		changed=$(join <(echo "$before") <(echo "$after") | awk '$2 == "up" && $3 != "up" { print $1 }')
		[ -n "$changed" ] || [ $SECONDS -ge $end ] && break
		sleep 0.05
	done
	nsenter -t "$pid" -n ip link set dev eth0 up
	[ -n "$changed" ] && wait_for 5 grep -qx up "/sys/class/net/$changed/operstate"
	echo "$changed"
}
for c in "${ALL[@]}"; do
	HOSTEND[$c]=$(find_host_end "${PID[$c]}")
	if [ -z "${HOSTEND[$c]}" ] || [ "$(wc -l <<<"${HOSTEND[$c]}")" != 1 ]; then
		not_ok "fixture: $c host end from carrier" "got [${HOSTEND[$c]}]"
		exit 1
	fi
	check_eq "fixture: $c host end ${HOSTEND[$c]} up again" up "$(cat "/sys/class/net/${HOSTEND[$c]}/operstate")"
	# the container's route back to the bridge must still work after the flap
	nsenter -t "${PID[$c]}" -n ip route replace default via \
		"$(p network inspect -f '{{range .Subnets}}{{.Gateway}}{{end}}' podman)" dev eth0 2>/dev/null
done
check_eq "fixture: the two host ends differ" 2 \
	"$(printf '%s\n' "${HOSTEND[$P1]}" "${HOSTEND[$P2]}" | sort -u | wc -l)"
iflink_of() { ip -o link show dev "$1" | sed -n 's/^[0-9]*: [^@:]*@if\([0-9]*\):.*/\1/p'; }
check_eq "fixture: host ends collide on iflink (same @ifN)" "$(iflink_of "${HOSTEND[$P1]}")" "$(iflink_of "${HOSTEND[$P2]}")"
check_eq "fixture: each container's eth0 has that ifindex" "$(iflink_of "${HOSTEND[$P1]}") $(iflink_of "${HOSTEND[$P1]}")" \
	"$(for c in "${ALL[@]}"; do nsenter -t "${PID[$c]}" -n ip -o link show dev eth0 2>/dev/null | cut -d: -f1; done | tr '\n' ' ' | sed 's/ $//')"

# ---- the checks, for one way of reading Podman -----------------------------------------
row_field() {	# row_field FILE NAME JQPATH: a field of NAME's only row, or <N rows>
	jq -r --arg n "$2" "[.[] | select(.container == \$n)] | if length == 1 then .[0]$3 else \"<\(length) rows>\" end" "$1" 2>/dev/null
}
ctr() {	# ctr FILE NAME JQPATH: a field of container NAME in netns[].containers[], or <N matches>
	jq -r --arg n "$2" "[.netns[] | .inode as \$ino | .containers[]? | select(.name == \$n) | . + {_ns: \$ino}]
		| if length == 1 then .[0]$3 else \"<\(length) matches>\" end" "$1" 2>/dev/null
}

run_checks() {	# run_checks LABEL CMD-PREFIX...: vethmap ls --json and scan --json, then every check
	local l=$1; shift
	local L=$TMP/$l.ls.json J=$TMP/$l.scan.json c rc
	"$@" "$VETHMAP" ls --json >"$L" 2>"$L.err"; rc=$?
	check_eq "$l: ls --json exits 0" 0 "$rc"
	check_eq "$l: ls --json: no warnings" "" "$(cat "$L.err")"
	jq -e 'type == "array"' "$L" >/dev/null 2>&1 || { not_ok "$l: ls --json is a JSON array" "$(head -c 200 "$L")"; return; }
	for c in "${ALL[@]}"; do
		check_eq "$l: ls: $c engine" podman "$(row_field "$L" "$c" .engine)"
		check_eq "$l: ls: $c id is podman's" "${ID[$c]}" "$(row_field "$L" "$c" .id)"
		check_eq "$l: ls: $c pid is podman's State.Pid" "${PID[$c]}" "$(row_field "$L" "$c" .pid)"
		check_eq "$l: ls: $c netns is its process's" "${NSINO[$c]}" "$(row_field "$L" "$c" .netns)"
		check_eq "$l: ls: $c iface" eth0 "$(row_field "$L" "$c" .iface)"
		check_eq "$l: ls: $c host_network" false "$(row_field "$L" "$c" .host_network)"
		check_eq "$l: ls: $c host_peer is exactly its own host end ${HOSTEND[$c]}" \
			"{\"name\":\"${HOSTEND[$c]}\",\"netns\":$HOSTNS}" "$(row_field "$L" "$c" '.host_peer | {name, netns} | tojson')"
		check_eq "$l: ls: $c bridge" "$PBR" "$(row_field "$L" "$c" .bridge)"
		check_eq "$l: ls: $c addrs has podman's address" "${ADDR[$c]}" \
			"$(row_field "$L" "$c" ".addrs | map(select(. == \"${ADDR[$c]}\")) | join(\",\")")"
	done

	"$@" "$VETHMAP" scan --no-store --json >"$J" 2>"$J.err"; rc=$?
	check_eq "$l: scan --json exits 0" 0 "$rc"
	check_eq "$l: scan --json: no warnings" "" "$(cat "$J.err")"
	jq -e 'type == "object"' "$J" >/dev/null 2>&1 || { not_ok "$l: scan --json is a JSON object" "$(head -c 200 "$J")"; return; }
	for c in "${ALL[@]}"; do
		check_eq "$l: scan: $c listed once, in its process's netns" "${NSINO[$c]}" "$(ctr "$J" "$c" ._ns)"
		check_eq "$l: scan: $c engine" podman "$(ctr "$J" "$c" .engine)"
		check_eq "$l: scan: $c id" "${ID[$c]}" "$(ctr "$J" "$c" .id)"
		check_eq "$l: scan: $c pid" "${PID[$c]}" "$(ctr "$J" "$c" .pid)"
		check_eq "$l: scan: $c image" "$IMG" "$(ctr "$J" "$c" .image)"
		check_eq "$l: scan: $c not host_network" false "$(ctr "$J" "$c" '.host_network // false')"
		check_veth "$J" "$l: scan: $c" "$HOSTNS" "${HOSTEND[$c]}" "${NSINO[$c]}" eth0
		check_eq "$l: scan: $c host end master" "$PBR" "$(iface_field "$J" "$HOSTNS" "${HOSTEND[$c]}" .master)"
		check_eq "$l: scan: $c eth0 carries its name" "$c" "$(iface_field "$J" "${NSINO[$c]}" eth0 .container)"
	done
}

# 1. no API socket: Podman's state on disk.  A socket at the default path (someone else's
# service) is hidden in a private mount namespace for vethmap's run.
if [ -S /run/podman/podman.sock ]; then
	run_checks disk env -u CONTAINER_HOST unshare -m sh -c 'mount -t tmpfs none /run/podman && exec "$0" "$@"'
else
	run_checks disk env -u CONTAINER_HOST
fi

# 2. the API: podman system service on a private socket
SOCK=$TMP/podman.sock
setsid "$PODMAN" system service --time=0 "unix://$SOCK" >"$TMP/service.log" 2>&1 </dev/null &
eng_bg $!
if wait_for 30 curl -sf -o /dev/null --max-time 2 --unix-socket "$SOCK" http://d/v4.0.0/libpod/_ping; then
	ok "fixture: podman system service answers on $SOCK"
	run_checks api env "CONTAINER_HOST=unix://$SOCK"
else
	not_ok "fixture: podman system service answers on $SOCK" "$(tail -n 3 "$TMP/service.log" | tr '\n' ' ')"
fi
