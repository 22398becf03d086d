# shellcheck shell=bash
# tests/lib_hosts.sh - "hosts" made of namespaces, for the cluster tests (merge).
#
# Sourced after tests/lib.sh.  A host is a process in a PID, network, mount and UTS
# namespace of its own (unshare --pid --fork --mount-proc), with a private /run/netns (a
# tmpfs on /run), its own host name and its own /etc/machine-id (a file bind-mounted over it), so
# that 'vethmap scan' run inside (host_exec) sees that host alone.  Hosts are joined by an
# underlay: a veth each from a bridge in a switch namespace of the test's.  The nsfs bind
# mounts its mount namespace was copied with (the real host's: Docker's, ip netns') are
# gone with the copy of /run (detached, every mount below it at once; the others unmounted), or the host would see the real host's
# namespaces.
#   HPFX                 vm1 + 4 hex digits: every object made here starts with it
#   HDIR                 /tmp/$HPFX: each host's files ($HDIR/NAME/)
#   host_make NAME ADDR [HOSTNAME] [MACHINE-ID]
#                        a host with eth0 at ADDR/24 on the underlay (host name default
#                        $HPFX-NAME, machine-id default random)
#   host_exec NAME CMD...  run CMD inside host NAME (all its namespaces)
#   host_kill_all        end every host (also run at exit, before lib.sh's cleanup)
# shellcheck disable=SC2034

HPFX=vm1${PFX#vt}
HDIR=/tmp/$HPFX
SW=${HPFX}sw
_HOSTS=()
_HOST_PIDS=()
mkdir -p "$HDIR" || { not_ok "fixture: mkdir $HDIR"; exit 1; }
ip netns add "$SW" || { not_ok "fixture: switch namespace $SW"; exit 1; }
ip -n "$SW" link add br0 type bridge && ip -n "$SW" link set br0 up &&
	ip -n "$SW" link set lo up || { not_ok "fixture: switch bridge"; exit 1; }

host_pid() { cat "$HDIR/$1/pid"; }

host_make() {	# host_make NAME ADDR [HOSTNAME] [MACHINE-ID]
	local name=$1 addr=$2 hn=${3:-$HPFX-$1} mid=${4:-} dir=$HDIR/$1 up inner
	mkdir -p "$dir" || return 1
	[ -n "$mid" ] || mid=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	printf '%s\n' "$mid" >"$dir/machine-id"
	# shellcheck disable=SC2016
	unshare --pid --fork --kill-child --mount-proc --net --mount --uts --propagation private -- \
		/bin/sh -c 'hostname "$1" &&
			{ findmnt -rn -t nsfs -o TARGET | grep -v "^/run/" |
				while read -r m; do umount -l "$m" 2>/dev/null; done; } &&
			{ findmnt -rn -o TARGET | grep "^/run/" | sort |
				awk "BEGIN { p = \"//\" } index(\$0, p \"/\") != 1 { print; p = \$0 }" |
				while read -r m; do umount -l "$m" 2>/dev/null; done; } &&
			mount -t tmpfs -o mode=0755 vm1run /run && mkdir /run/netns &&
			mount --bind "$2" /etc/machine-id && ip link set lo up && : >"$3" &&
			exec sleep 100000' sh "$hn" "$dir/machine-id" "$dir/ready" \
		>"$dir/log" 2>&1 &
	up=$!
	_HOST_PIDS+=("$up")
	wait_for 30 test -e "$dir/ready" || { cat "$dir/log" >&2; false; } ||
		{ not_ok "fixture: host $name" "$(head -c 300 "$dir/log")"; return 1; }
	inner=$(pgrep -P "$up" | head -1)
	[ -n "$inner" ] || { not_ok "fixture: host $name's init"; return 1; }
	echo "$inner" >"$dir/pid"
	_HOST_PIDS+=("$inner")
	_HOSTS+=("$name")
	ip -n "$SW" link add "$HPFX$name" type veth peer name eth0 netns "/proc/$inner/ns/net" &&
		ip -n "$SW" link set "$HPFX$name" master br0 up &&
		host_exec "$name" ip addr add "$addr/24" dev eth0 &&
		host_exec "$name" ip link set eth0 up ||
		{ not_ok "fixture: host $name's underlay"; return 1; }
}

host_exec() {	# host_exec NAME CMD...
	local pid
	pid=$(host_pid "$1") || return 1
	shift
	nsenter -t "$pid" --net --mount --uts --pid -- "$@"
}

host_kill_all() {
	local p
	for p in "${_HOST_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in "${_HOST_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	_HOST_PIDS=()
	ip netns del "$SW" 2>/dev/null
	rm -rf "$HDIR"
}

_hosts_exit() {
	local rc=$?
	host_kill_all
	(exit $rc)
	_cleanup
}
trap _hosts_exit EXIT
