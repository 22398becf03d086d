# shellcheck shell=bash disable=SC2034
# tests/lib_engines.sh - real container engine fixtures for vethmap's engine tests.
#
# Sourced by tests/t_containers_*.sh and tests/t_engines_*.sh after tests/lib.sh (it
# sources lib.sh itself when that was not done).  Provides:
#   DOCKER, PODMAN        the clients (always /usr/bin/docker: another one comes first in PATH)
#   docker_up             skip the script unless docker.io is installed; start dockerd when
#                         none answers (stopped again at exit, only when we started it)
#   podman_up             skip the script unless podman is installed and works
#   busybox_image NAME    docker image NAME (imported from /bin/busybox, once); removed at exit
#   podman_busybox_image NAME   the same for podman
#   drun NAME ARGS...     docker run -d --init --label ... --name NAME ARGS...; removed at exit
#   prun NAME ARGS...     podman run -d --ulimit ... --label ... --name NAME ARGS...; removed at exit
#   dnet NAME ARGS...     docker network create NAME; removed at exit
#   eng_bg PID            a helper process (API service, fake server): TERM, then KILL, at exit
#   elapsed_ms CMD...     run CMD, print nothing, set ELAPSED_MS and ELAPSED_RC
# Everything is labelled vethmap.test=$PFX and named ${PFX}...; the exit trap removes all of
# it (containers, networks, images, helper processes, a dockerd we started) before lib.sh's
# own cleanup runs, also on failure or interruption.

if ! declare -F _cleanup >/dev/null; then
	# shellcheck source=tests/lib.sh
	. "${BASH_SOURCE%/*}/lib.sh"
fi

DOCKER=/usr/bin/docker
PODMAN=/usr/bin/podman
ENG_LABEL="vethmap.test=$PFX"
_ENG_DOCKERD_PID=
_ENG_DOCKER0_BEFORE=1
_ENG_DOCKER_CTRS=()
_ENG_DOCKER_NETS=()
_ENG_DOCKER_IMAGES=()
_ENG_PODMAN_CTRS=()
_ENG_PODMAN_IMAGES=()
_ENG_BG=()
_ENG_USED_DOCKER=0
_ENG_USED_PODMAN=0
_ENG_PODMAN_BR=		# the bridge of podman's default network, and whether it was there
_ENG_PODMAN_BR_BEFORE=1	#   before us (podman makes it at its first container, and keeps it)

# docker/podman clients with a bound on their runtime: a wedged daemon must not hang a test
d() { timeout 60 "$DOCKER" "$@"; }
p() { timeout 60 "$PODMAN" "$@"; }

_eng_docker_alive() { timeout 10 "$DOCKER" info >/dev/null 2>&1; }

docker_up() {
	if [ ! -x "$DOCKER" ] || ! command -v dockerd >/dev/null 2>&1; then
		skip "${0##*/}" "docker.io is not installed ($DOCKER or dockerd missing)"
		exit 0
	fi
	_ENG_USED_DOCKER=1
	_eng_docker_alive && return 0
	# one test at a time decides whether to start dockerd
	local lock=/run/lock fd
	[ -d "$lock" ] && [ -w "$lock" ] || lock=/tmp
	lock=$lock/vethmap-tests-dockerd.lock
	exec {fd}>"$lock"
	flock -w 60 "$fd"
	if _eng_docker_alive; then
		exec {fd}>&-
		return 0
	fi
	ip link show dev docker0 >/dev/null 2>&1 || _ENG_DOCKER0_BEFORE=0
	setsid dockerd --iptables=false --ip-forward=false >"$TMP/dockerd.log" 2>&1 </dev/null &
	_ENG_DOCKERD_PID=$!
	local end=$((SECONDS + 30))
	until _eng_docker_alive; do
		if ! kill -0 "$_ENG_DOCKERD_PID" 2>/dev/null || [ $SECONDS -ge $end ]; then
			exec {fd}>&-
			skip "${0##*/}" "dockerd did not start within 30 s: $(tail -n 3 "$TMP/dockerd.log" | tr '\n' ' ' | head -c 300)"
			exit 0
		fi
		sleep 0.2
	done
	exec {fd}>&-
	echo "# started dockerd (pid $_ENG_DOCKERD_PID); it is stopped at exit"
}

podman_up() {
	if [ ! -x "$PODMAN" ]; then
		skip "${0##*/}" "podman is not installed"
		exit 0
	fi
	_ENG_USED_PODMAN=1
	if ! timeout 30 "$PODMAN" info >/dev/null 2>"$TMP/podman-info.err"; then
		skip "${0##*/}" "podman info fails: $(head -c 300 "$TMP/podman-info.err" | tr '\n' ' ')"
		exit 0
	fi
	_ENG_PODMAN_BR=$(timeout 30 "$PODMAN" network inspect -f '{{.NetworkInterface}}' podman 2>/dev/null)
	case $_ENG_PODMAN_BR in
	'' | */* | .*) _ENG_PODMAN_BR= ;;
	*) [ -e "/sys/class/net/$_ENG_PODMAN_BR" ] || _ENG_PODMAN_BR_BEFORE=0 ;;
	esac
}

_eng_rootfs() {	# $TMP/rootfs: /bin/busybox and its applet links, made once
	local r=$TMP/rootfs a
	[ -x "$r/bin/busybox" ] && return 0
	if [ ! -x /bin/busybox ] || ! file -L /bin/busybox 2>/dev/null | grep -q 'statically linked'; then
		skip "${0##*/}" "a static /bin/busybox (busybox-static) is needed for the test image"
		exit 0
	fi
	mkdir -p "$r/bin" "$r/etc" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/www" || return 1
	cp /bin/busybox "$r/bin/busybox" || return 1
	for a in sh sleep ip ping httpd wget nc cat; do
		ln -sf busybox "$r/bin/$a" || return 1
	done
	echo "root:x:0:0:root:/:/bin/sh" >"$r/etc/passwd"
	echo "root:x:0:" >"$r/etc/group"
	echo "vethmap test page" >"$r/www/index.html"
}

busybox_image() {	# busybox_image NAME: docker image NAME from the busybox rootfs, once
	local name=$1 i
	for i in "${_ENG_DOCKER_IMAGES[@]}"; do
		[ "$i" == "$name" ] && return 0
	done
	_eng_rootfs || { not_ok "fixture: busybox rootfs" "could not be made"; exit 1; }
	_ENG_DOCKER_IMAGES+=("$name")
	if ! tar -C "$TMP/rootfs" -c . | d import -c 'CMD ["/bin/sh"]' - "$name" >"$TMP/import.out" 2>&1; then
		not_ok "fixture: docker import $name" "$(head -c 300 "$TMP/import.out" | tr '\n' ' ')"
		exit 1
	fi
}

podman_busybox_image() {	# podman_busybox_image NAME: the same image for podman, once
	local name=$1 i
	for i in "${_ENG_PODMAN_IMAGES[@]}"; do
		[ "$i" == "$name" ] && return 0
	done
	_eng_rootfs || { not_ok "fixture: busybox rootfs" "could not be made"; exit 1; }
	_ENG_PODMAN_IMAGES+=("$name")
	if ! tar -C "$TMP/rootfs" -c . | p import -c 'CMD ["/bin/sh"]' - "$name" >"$TMP/import.out" 2>&1; then
		not_ok "fixture: podman import $name" "$(head -c 300 "$TMP/import.out" | tr '\n' ' ')"
		exit 1
	fi
}

drun() {	# drun NAME ARGS...: a detached docker container (--init), removed at exit
	local name=$1; shift
	_ENG_DOCKER_CTRS+=("$name")
	d run -d --init --label "$ENG_LABEL" --name "$name" "$@"
}

prun() {	# prun NAME ARGS...: a detached podman container, removed at exit
	local name=$1; shift
	_ENG_PODMAN_CTRS+=("$name")
	p run -d --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 \
		--label "$ENG_LABEL" --name "$name" "$@"
}

dnet() {	# dnet NAME ARGS...: a docker network, removed at exit
	local name=$1; shift
	_ENG_DOCKER_NETS+=("$name")
	d network create --label "$ENG_LABEL" "$@" "$name"
}

eng_bg() {	# eng_bg PID: stopped (TERM, then KILL) and reaped at exit
	_ENG_BG+=("$1")
}

elapsed_ms() {	# elapsed_ms CMD...: run CMD; ELAPSED_MS = wall time, ELAPSED_RC = exit status
	local t0 t1
	t0=$(date +%s%N)
	"$@"
	ELAPSED_RC=$?
	t1=$(date +%s%N)
	ELAPSED_MS=$(((t1 - t0) / 1000000))
}

_eng_cleanup() {
	local x ids end
	trap '' INT TERM	# finish cleaning even when interrupted again
	for x in "${_ENG_BG[@]}"; do
		kill -TERM "$x" 2>/dev/null
	done
	for x in "${_ENG_BG[@]}"; do
		wait_for 5 _gone "$x" || kill -KILL "$x" 2>/dev/null
		wait "$x" 2>/dev/null
	done
	if [ "$_ENG_USED_DOCKER" = 1 ] && [ -x "$DOCKER" ]; then
		ids=$(timeout 30 "$DOCKER" ps -aq --filter "label=$ENG_LABEL" 2>/dev/null)
		for x in "${_ENG_DOCKER_CTRS[@]}" $ids; do
			timeout 60 "$DOCKER" rm -f "$x" >/dev/null 2>&1
		done
		ids=$(timeout 30 "$DOCKER" network ls -q --filter "label=$ENG_LABEL" 2>/dev/null)
		for x in "${_ENG_DOCKER_NETS[@]}" $ids; do
			timeout 60 "$DOCKER" network rm "$x" >/dev/null 2>&1
		done
		for x in "${_ENG_DOCKER_IMAGES[@]}"; do
			timeout 60 "$DOCKER" rmi -f "$x" >/dev/null 2>&1
		done
	fi
	if [ "$_ENG_USED_PODMAN" = 1 ] && [ -x "$PODMAN" ]; then
		ids=$(timeout 30 "$PODMAN" ps -aq --filter "label=$ENG_LABEL" 2>/dev/null)
		for x in "${_ENG_PODMAN_CTRS[@]}" $ids; do
			timeout 60 "$PODMAN" rm -f -t 0 "$x" >/dev/null 2>&1
		done
		for x in "${_ENG_PODMAN_IMAGES[@]}"; do
			timeout 60 "$PODMAN" rmi -f "$x" >/dev/null 2>&1
		done
		# podman's bridge, when our containers made it: unless a port or a container
		# of someone else's is on it now
		x=$_ENG_PODMAN_BR
		if [ "$_ENG_PODMAN_BR_BEFORE" = 0 ] && [ -d "/sys/class/net/$x/brif" ] &&
		   [ -z "$(ls -A "/sys/class/net/$x/brif" 2>/dev/null)" ] &&
		   [ -z "$(timeout 30 "$PODMAN" ps -q 2>/dev/null)" ]; then
			ip link del "$x" 2>/dev/null
		fi
	fi
	if [ -n "$_ENG_DOCKERD_PID" ]; then
		# ours: stop it, unless someone else has started containers on it meanwhile
		ids=$(timeout 30 "$DOCKER" ps -q 2>/dev/null)
		if [ -n "$ids" ]; then
			echo "# dockerd $_ENG_DOCKERD_PID (started by this test) left running: other containers use it"
		else
			kill -TERM "$_ENG_DOCKERD_PID" 2>/dev/null
			wait_for 20 _gone "$_ENG_DOCKERD_PID" || kill -KILL "$_ENG_DOCKERD_PID" 2>/dev/null
			wait "$_ENG_DOCKERD_PID" 2>/dev/null
			# a clean stop removes socket and pidfile, a killed dockerd leaves them behind;
			# docker0 stays after any stop: remove it if it was not there before us
			if ! _eng_docker_alive; then
				[ -S /var/run/docker.sock ] && rm -f /var/run/docker.sock
				x=$(cat /var/run/docker.pid 2>/dev/null)
				if [ -n "$x" ] && { [ "$x" = "$_ENG_DOCKERD_PID" ] || ! kill -0 "$x" 2>/dev/null; }; then
					rm -f /var/run/docker.pid
				fi
				[ "$_ENG_DOCKER0_BEFORE" = 0 ] && ip link del docker0 2>/dev/null
			fi
		fi
	fi
}

_eng_exit() {
	local rc=$?
	_eng_cleanup
	(exit "$rc")
	_cleanup	# lib.sh's: netns, links, $TMP; exits with rc (or 1 if anything failed)
}
trap _eng_exit EXIT
