# shellcheck shell=bash disable=SC2034
# tests/lib_containerd.sh - containerd fixtures for vethmap's tests: a containerd of the
# test's own (its own --root, --state and socket under $TMP; never the host's), an image
# (podman save of lib_engines.sh's busybox image, imported with ctr), and CNI the way the
# CRI does it (a netns made first, the bridge plugin run on it, the containers joining it).
# Sourced after tests/lib_engines.sh (sourced here when that was not done).  Provides:
#   containerd_up NAME        skip unless containerd and ctr are installed; start one with
#                             state in $TMP/NAME; sets CD_SOCK (its socket)
#   c NS ARGS...              ctr --address $CD_SOCK -n NS ARGS... (bounded in time)
#   cd_image NS               import the busybox image into containerd namespace NS;
#                             sets CD_IMAGE (its name)
#   cni_netns NAME SUBNET     netns ${PFX}NAME with eth0 on bridge ${PFX}cbr (host-local IPAM,
#                             its leases in $TMP), for --with-ns network:/run/netns/${PFX}NAME
#   cd_kill_ours              kill every process whose root or cwd is below $TMP (our shims
#                             and containers, if containerd could not stop them)
# The exit trap stops every task and containerd of ours, unmounts what they left below $TMP,
# removes the CNI leases, then runs lib_engines.sh's (and lib.sh's) cleanup.

if ! declare -F _eng_cleanup >/dev/null; then
	# shellcheck source=tests/lib_engines.sh
	. "${BASH_SOURCE%/*}/lib_engines.sh"
fi

CD_SOCK=
CD_IMAGE=localhost/${PFX}img:latest
CNI_NET=${PFX}net
_CD_PIDS=()
_CD_SOCKS=()
_CD_NSES=()
_CNI_NETNS=()

c() { local ns=$1; shift; timeout 60 ctr --address "$CD_SOCK" -n "$ns" "$@"; }

containerd_up() {	# containerd_up NAME: our own containerd, state in $TMP/NAME
	local d=$TMP/$1 end
	if ! command -v containerd >/dev/null 2>&1 || ! command -v ctr >/dev/null 2>&1; then
		skip "${0##*/}" "containerd is not installed (Debian: containerd)"
		exit 0
	fi
	mkdir -p "$d/root" "$d/state" "$d/opt" || return 1
	cat >"$d/config.toml" <<-EOF
	version = 2
	root = "$d/root"
	state = "$d/state"
	disabled_plugins = ["io.containerd.grpc.v1.cri"]
	[grpc]
	  address = "$d/sock"
	[ttrpc]
	  address = "$d/sock.ttrpc"
	[debug]
	  address = ""
	[metrics]
	  address = ""
	[plugins."io.containerd.internal.v1.opt"]
	  path = "$d/opt"
	EOF
	setsid containerd --config "$d/config.toml" >"$d/log" 2>&1 </dev/null &
	_CD_PIDS+=($!)
	CD_SOCK=$d/sock
	_CD_SOCKS+=("$CD_SOCK")
	end=$((SECONDS + 30))
	until timeout 5 ctr --address "$CD_SOCK" version >/dev/null 2>&1; do
		if ! kill -0 "${_CD_PIDS[-1]}" 2>/dev/null || [ $SECONDS -ge $end ]; then
			not_ok "fixture: containerd starts" "$(tail -n 3 "$d/log" | tr '\n' ' ' | head -c 300)"
			exit 1
		fi
		sleep 0.1
	done
}

cd_image() {	# cd_image NS: the busybox image in containerd namespace NS
	local ns=$1
	_CD_NSES+=("$CD_SOCK $ns")
	if [ ! -s "$TMP/img.tar" ]; then
		podman_up
		podman_busybox_image "${PFX}img"
		p save -o "$TMP/img.tar" "$CD_IMAGE" >/dev/null 2>"$TMP/save.err" ||
			{ not_ok "fixture: podman save" "$(head -c 300 "$TMP/save.err")"; exit 1; }
	fi
	c "$ns" images import "$TMP/img.tar" >/dev/null 2>"$TMP/import.err" ||
		{ not_ok "fixture: ctr images import" "$(head -c 300 "$TMP/import.err")"; exit 1; }
}

cni_netns() {	# cni_netns NAME SUBNET: netns ${PFX}NAME with eth0 on bridge ${PFX}cbr
	local n=$PFX$1
	ns_add "$1"
	_CNI_NETNS+=("$n")
	printf '{"cniVersion":"0.4.0","name":"%s","type":"bridge","bridge":"%scbr","ipam":{"type":"host-local","subnet":"%s","dataDir":"%s/cni"}}' \
		"$CNI_NET" "$PFX" "$2" "$TMP" >"$TMP/$n.cni.json"
	if ! CNI_COMMAND=ADD CNI_CONTAINERID="$n" CNI_NETNS="/run/netns/$n" CNI_IFNAME=eth0 \
		CNI_PATH=/usr/lib/cni /usr/lib/cni/bridge <"$TMP/$n.cni.json" >"$TMP/$n.cni.out" 2>&1; then
		not_ok "fixture: CNI bridge on $n" "$(head -c 300 "$TMP/$n.cni.out")"
		exit 1
	fi
}

_below_tmp() {	# _below_tmp PID: its root or cwd is below $TMP
	local r w
	r=$(readlink "/proc/$1/root" 2>/dev/null)
	w=$(readlink "/proc/$1/cwd" 2>/dev/null)
	[[ $r == "$TMP"/* || $w == "$TMP"/* ]]
}

cd_kill_ours() {
	local p
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" != $$ ] && _below_tmp "$p" && kill -KILL "$p" 2>/dev/null
	done
}

_cd_cleanup() {
	local x ns sock id m
	trap '' INT TERM
	for x in "${_CD_NSES[@]}"; do
		sock=${x%% *} ns=${x#* }
		# containerd's cgroups for ctr's tasks are /NAMESPACE/ID in every hierarchy
		[[ $ns == "$PFX"* ]] && cg_forget "$ns"
		for id in $(timeout 30 ctr --address "$sock" -n "$ns" containers ls -q 2>/dev/null); do
			cg_forget "$ns/$id"
		done
		for id in $(timeout 30 ctr --address "$sock" -n "$ns" tasks ls -q 2>/dev/null); do
			timeout 30 ctr --address "$sock" -n "$ns" tasks kill -s SIGKILL "$id" >/dev/null 2>&1
		done
		for id in $(timeout 30 ctr --address "$sock" -n "$ns" tasks ls -q 2>/dev/null); do
			timeout 30 ctr --address "$sock" -n "$ns" tasks delete -f "$id" >/dev/null 2>&1
		done
		for id in $(timeout 30 ctr --address "$sock" -n "$ns" containers ls -q 2>/dev/null); do
			timeout 30 ctr --address "$sock" -n "$ns" containers delete "$id" >/dev/null 2>&1
		done
	done
	for x in "${_CNI_NETNS[@]}"; do
		[ -e "/run/netns/$x" ] && CNI_COMMAND=DEL CNI_CONTAINERID="$x" CNI_NETNS="/run/netns/$x" \
			CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni /usr/lib/cni/bridge <"$TMP/$x.cni.json" \
			>/dev/null 2>&1
	done
	for x in "${_CD_PIDS[@]}"; do
		kill -TERM "$x" 2>/dev/null
	done
	for x in "${_CD_PIDS[@]}"; do
		wait_for 10 _gone "$x" || kill -KILL "$x" 2>/dev/null
		wait "$x" 2>/dev/null
	done
	cd_kill_ours
	# what a killed containerd left mounted below $TMP (rootfs overlays, shm), deepest first
	while IFS= read -r m; do
		umount -l "$m" 2>/dev/null
	done < <(awk -v t="$TMP/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
	[ -n "$CNI_NET" ] && rm -rf "/var/lib/cni/networks/$CNI_NET"
}

_cd_exit() {
	local rc=$?
	_cd_cleanup
	(exit "$rc")
	_eng_exit
}
trap _cd_exit EXIT
