# shellcheck shell=bash
# tests/lib_rootless.sh - test users who run rootless Podman, for t_containers_rootless.sh
# and tests/bench/rootless.sh.  Provides:
#   rl_add_user VAR [tmpfs]  a new user h11r<digits> (useradd -m) with /etc/subuid and
#                         /etc/subgid ranges and /run/user/UID made by hand (no systemd),
#                         with "tmpfs" a tmpfs of the user's mounted there (as logind does);
#                         its name in VAR; non-zero when it could not be made
#   rl_asu USER CMD...    CMD as USER from /, with only PATH, HOME and XDG_RUNTIME_DIR set
#   rl_tun_open           /dev/net/tun 0666 (Debian's udev default) when it is 0600 here
#   rl_cleanup            every process of those users (and of their subordinate ranges),
#                         by pid; their /run/user/UID and /tmp leftovers, homes, subuid
#                         and subgid lines; /dev/net/tun's mode back
# The caller runs rl_cleanup from its EXIT trap.

_RL_USERS=()
_RL_TUN_MODE=
_RL_RUNUSER_MADE=	# /run/user made here (removed again when empty)

_rl_kill_user() {	# every process of uid $1 (and of its subordinate range $2..$3), by pid
	local pid u
	for pid in /proc/[0-9]*; do
		u=$(stat -c %u "$pid" 2>/dev/null) || continue
		if [ "$u" = "$1" ] || { [ -n "${2:-}" ] && [ "$u" -ge "$2" ] && [ "$u" -lt "$3" ]; }; then
			kill -KILL "${pid#/proc/}" 2>/dev/null
		fi
	done
}

rl_cleanup() {
	local u uid base count i d
	for u in "${_RL_USERS[@]}"; do
		uid=$(id -u "$u" 2>/dev/null) || continue
		base=$(awk -F: -v u="$u" '$1 == u { print $2; exit }' /etc/subuid)
		count=$(awk -F: -v u="$u" '$1 == u { print $3; exit }' /etc/subuid)
		for i in 1 2 3; do
			_rl_kill_user "$uid" "${base:-}" "$((${base:-0} + ${count:-0}))"
			sleep 0.2
		done
		mountpoint -q "/run/user/$uid" && umount -l "/run/user/$uid"
		rm -rf "/run/user/$uid"
		for d in "/tmp/podman-run-$uid" "/tmp/containers-user-$uid" "/tmp/run-$uid"; do
			[ -e "$d" ] && [ "$(stat -c %u "$d")" = "$uid" ] && rm -rf "$d"
		done
		userdel -r "$u" >/dev/null 2>&1 || userdel "$u" >/dev/null 2>&1
		sed -i "/^$u:/d" /etc/subuid /etc/subgid
	done
	_RL_USERS=()
	[ -n "$_RL_RUNUSER_MADE" ] && rmdir /run/user 2>/dev/null
	if [ -n "$_RL_TUN_MODE" ] && [ "$(stat -c %a /dev/net/tun)" = 666 ]; then
		chmod "$_RL_TUN_MODE" /dev/net/tun
	fi
}

rl_add_user() {
	local u uid base
	while :; do
		u=h11r$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
		id "$u" >/dev/null 2>&1 || break
	done
	useradd -m -s /bin/sh "$u" >/dev/null 2>&1 || return 1
	_RL_USERS+=("$u")
	uid=$(id -u "$u")
	# useradd gives a range when /etc/subuid exists; else one above all the others
	if ! grep -q "^$u:" /etc/subuid 2>/dev/null; then
		base=$(( $(cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: '{ e = $2 + $3; if (e > m) m = e } END { print m + 0 }') + 65536 ))
		[ "$base" -lt 200000 ] && base=200000
		echo "$u:$base:65536" >>/etc/subuid
	fi
	grep -q "^$u:" /etc/subgid 2>/dev/null || grep "^$u:" /etc/subuid >>/etc/subgid
	if [ ! -d /run/user ]; then
		install -d -m 0755 /run/user || return 1
		_RL_RUNUSER_MADE=1
	fi
	install -d -m 0700 -o "$u" -g "$u" "/run/user/$uid" || return 1
	if [ "${2:-}" = tmpfs ]; then
		mount -t tmpfs -o "mode=0700,uid=$uid,gid=$(id -g "$u"),size=64m" tmpfs "/run/user/$uid" ||
			return 1
	fi
	printf -v "$1" %s "$u"
}

rl_asu() {
	local u=$1; shift
	(cd / && timeout 120 runuser -u "$u" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME="/home/$u" XDG_RUNTIME_DIR="/run/user/$(id -u "$u")" "$@")
}

rl_tun_open() {	# slirp4netns opens /dev/net/tun as the user
	if [ "$(stat -c %a /dev/net/tun 2>/dev/null)" = 600 ]; then
		_RL_TUN_MODE=600
		chmod 0666 /dev/net/tun
	fi
}
