# shellcheck shell=bash
# tests/lib_history.sh - what the tests of watch's history share (after lib.sh): their own
# prefix, lib_watch.sh, and a churn.
#   (sourcing)         PFX becomes vh + 4 hex digits (the length of lib.sh's), unused;
#                      WAIT 15 s by default (a loaded host: a batch of thousands of
#                      interfaces takes long to store); then sources lib_watch.sh
#   churn_start N MS   a loop (bg_loop: it ends once $TMP/stop exists, at most N rounds)
#                      that every MS ms adds namespace ${PFX}cK with a veth pair from the
#                      host into it, renames its host end, and deletes the namespace made
#                      two rounds before (with its host end); CP its pid
#   churn_stop         touch $TMP/stop, wait for the loop, delete what it left
while :; do
	PFX=vh$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
	compgen -G "/sys/class/net/$PFX*" >/dev/null || compgen -G "/run/netns/$PFX*" >/dev/null ||
		break
done
WAIT=${WAIT:-15}
. "${BASH_SOURCE%/*}/lib_watch.sh"

_churn() {
	local n=$1 ms=$2 k
	for ((k = 0; k < n; k++)); do
		[ -e "$TMP/stop" ] && break
		ip netns add "${PFX}c$k" 2>/dev/null
		ip link add "${PFX}h$k" type veth peer name "${PFX}p$k" netns "${PFX}c$k" 2>/dev/null
		ip link set "${PFX}h$k" name "${PFX}r$k" 2>/dev/null
		if [ "$k" -ge 2 ]; then
			ip link del "${PFX}r$((k - 2))" 2>/dev/null
			ip netns del "${PFX}c$((k - 2))" 2>/dev/null
		fi
		sleep "$(printf '0.%03d' "$ms")"
	done
}

churn_start() {
	rm -f "$TMP/stop"
	_churn "$1" "$2" &
	CP=$!
	bg_loop "$CP"
}

churn_stop() {
	touch "$TMP/stop"
	wait_for 20 _gone "$CP"
	wait "$CP" 2>/dev/null
	local n
	for n in /sys/class/net/"${PFX}"[hr]*; do
		[ -e "$n" ] && ip link del dev "${n#/sys/class/net/}" 2>/dev/null
	done
	for n in /run/netns/"${PFX}"c*; do
		[ -e "$n" ] && ip netns del "${n#/run/netns/}" 2>/dev/null
	done
}
