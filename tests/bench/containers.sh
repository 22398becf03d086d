#!/bin/bash
# tests/bench/containers.sh - what naming containers costs a scan, with N real Docker
# containers (root; run by tests/bench/run, or alone: tests/bench/containers.sh).
#
# Starts dockerd when none answers (as tests/lib_engines.sh does, under the same lock; it is
# stopped at exit only when we started it and no one else's containers run on it), imports
# a busybox image from the static /bin/busybox, starts BENCH_CTRS containers
#   docker run -d --init --label vethmap.bench=$P --name ${P}cI ${P}img:1 sleep 3600
# BENCH_CTR_PAR at a time, then times, one warm-up each and then alternately,
#   vethmap scan --no-store                  (namespaces, pairing and container naming)
#   vethmap scan --no-store --no-containers  (the same without naming containers)
# median of BENCH_CTR_RUNS each; their difference is the container step's cost (also shown:
# the median of the run-by-run differences, the difference of the fastest runs, and how long
# dockerd itself takes to answer GET /containers/json, timed by curl, as a floor).  Other
# suites on the host add noise to wall times of a few hundred ms: read the three together.
# It checks that the scan named every one of our containers, each in its own namespace.
# Target: the container step adds no more than 50 ms.
#
# Environment:
#   BENCH_CTRS      containers to start                    (default 100)
#   BENCH_CTR_RUNS  timed runs per median                  (default 7)
#   BENCH_CTR_PAR   docker run commands at once            (default 8)
#
# Every name starts with "bc" + 4 hex digits and carries the label vethmap.bench=$P; an
# EXIT/INT/TERM trap removes our containers (in parallel) and our image, whatever else runs
# on the same dockerd.  Every docker command is bounded by timeout(1).

# shellcheck disable=SC2317,SC2059	# functions called by traps; a table format
set -u
cd "$(dirname "$0")/../.." || exit 1

VETHMAP=./vethmap
DOCKER=/usr/bin/docker	# another docker may come first in PATH
N=${BENCH_CTRS:-100}
RUNS=${BENCH_CTR_RUNS:-7}
PAR=${BENCH_CTR_PAR:-8}
P=bc$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
LABEL=vethmap.bench=$P
IMG=${P}img:1
FAILED=0
DOCKERD_PID=
DOCKER0_BEFORE=1
IMPORTED=0
STARTER=	# the xargs starting containers, while it runs

die() { echo "bench containers: $*" >&2; FAILED=1; exit 1; }

[ "$(id -u)" = 0 ] || die "root needed"
[ -x $VETHMAP ] || die "build first: make"
for c in jq xargs timeout flock; do command -v $c >/dev/null || die "$c missing (make deps)"; done
for v in "$N" "$RUNS" "$PAR"; do
	case $v in ''|*[!0-9]*|0) die "BENCH_CTRS, BENCH_CTR_RUNS and BENCH_CTR_PAR must be positive numbers" ;; esac
done
{ [ -x $DOCKER ] && command -v dockerd >/dev/null; } || die "docker.io is not installed (make deps)"
file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' ||
	die "a static /bin/busybox (busybox-static) is needed for the image"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vethmap-bench-ctr.XXXXXX")
ERR=$TMP/stderr
: >"$ERR"

d() { timeout 60 "$DOCKER" "$@"; }
docker_alive() { timeout 10 "$DOCKER" info >/dev/null 2>&1; }
ours() { timeout 30 "$DOCKER" ps -aq --filter "label=$LABEL" 2>/dev/null; }
now_us() { local t; t=$(date +%s%N); echo $((t / 1000)); }
ms() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }	# µs -> "12.3"

cleanup() {
	local t0 ids=() k_ids=() left k end
	trap - EXIT INT TERM HUP
	trap '' INT TERM	# finish cleaning even when interrupted again
	t0=$(now_us)
	# Interrupted while starting them: let the docker run clients under way finish (each is
	# bounded by timeout), or a container made after our list would be left behind.
	[ -n "$STARTER" ] && kill -TERM "$STARTER" 2>/dev/null && wait "$STARTER" 2>/dev/null
	end=$((SECONDS + 70))
	while pgrep -f -- "--label $LABEL " >/dev/null && [ "$SECONDS" -lt "$end" ]; do sleep 0.2; done
	for k in 1 2; do	# twice: the first removal may race a create that just finished
		mapfile -t k_ids < <(ours)
		[ ${#k_ids[@]} -gt 0 ] || break
		ids+=("${k_ids[@]}")
		printf '%s\n' "${k_ids[@]}" | xargs -r -P "$PAR" -n 10 timeout 120 "$DOCKER" rm -f >/dev/null 2>>"$ERR"
	done
	if [ ${#ids[@]} -gt 0 ]; then
		left=$(ours | wc -l)
		if [ "$left" -gt 0 ]; then
			echo "bench containers: cleanup incomplete: $left containers labelled $LABEL left" >&2
			FAILED=1
		else
			echo "cleanup: ${#ids[@]} containers removed in $(ms $(($(now_us) - t0))) ms"
		fi
	fi
	if [ "$IMPORTED" = 1 ]; then
		if d image inspect "$IMG" >/dev/null 2>&1 && ! d rmi -f "$IMG" >/dev/null 2>>"$ERR"; then
			echo "bench containers: image $IMG not removed" >&2
			FAILED=1
		fi
	fi
	if [ -n "$DOCKERD_PID" ]; then
		# ours: stop it, unless someone else has started containers on it meanwhile
		if [ -n "$(timeout 30 "$DOCKER" ps -q 2>/dev/null)" ]; then
			echo "bench containers: dockerd $DOCKERD_PID (started here) left running: other containers use it"
		else
			kill -TERM "$DOCKERD_PID" 2>/dev/null
			local end=$((SECONDS + 20))
			while kill -0 "$DOCKERD_PID" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do sleep 0.1; done
			kill -KILL "$DOCKERD_PID" 2>/dev/null
			wait "$DOCKERD_PID" 2>/dev/null
			if ! docker_alive; then
				[ -S /var/run/docker.sock ] && rm -f /var/run/docker.sock
				local x
				x=$(cat /var/run/docker.pid 2>/dev/null)
				if [ -n "$x" ] && { [ "$x" = "$DOCKERD_PID" ] || ! kill -0 "$x" 2>/dev/null; }; then
					rm -f /var/run/docker.pid
				fi
				[ "$DOCKER0_BEFORE" = 0 ] && ip link del docker0 2>/dev/null
			fi
			echo "cleanup: dockerd $DOCKERD_PID (started here) stopped"
		fi
	fi
	rm -rf "$TMP"
}
# On a signal: clean up, then die of it, so that a calling script (tests/bench/run) stops too.
on_signal() { FAILED=1; cleanup; trap - "$1"; kill -s "$1" $$; }
trap 'cleanup; exit "$FAILED"' EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

# dockerd: the one running, or one of ours (the same lock as tests/lib_engines.sh).
docker_up() {
	local lock=/run/lock fd end
	docker_alive && return 0
	[ -d "$lock" ] && [ -w "$lock" ] || lock=/tmp
	exec {fd}>"$lock/vethmap-tests-dockerd.lock"
	flock -w 60 "$fd"
	if docker_alive; then
		exec {fd}>&-
		return 0
	fi
	ip link show dev docker0 >/dev/null 2>&1 || DOCKER0_BEFORE=0
	setsid dockerd --iptables=false --ip-forward=false >"$TMP/dockerd.log" 2>&1 </dev/null &
	DOCKERD_PID=$!
	end=$((SECONDS + 30))
	until docker_alive; do
		if ! kill -0 "$DOCKERD_PID" 2>/dev/null || [ $SECONDS -ge $end ]; then
			exec {fd}>&-
			die "dockerd did not start within 30 s: $(tail -n 3 "$TMP/dockerd.log" | tr '\n' ' ' | head -c 300)"
		fi
		sleep 0.2
	done
	exec {fd}>&-
	echo "started dockerd (pid $DOCKERD_PID); it is stopped at exit"
}

# The image: /bin/busybox and the applets we use, imported once.
make_image() {
	local r=$TMP/rootfs a
	mkdir -p "$r/bin" "$r/etc" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" || return 1
	cp /bin/busybox "$r/bin/busybox" || return 1
	for a in sh sleep; do ln -sf busybox "$r/bin/$a" || return 1; done
	echo "root:x:0:0:root:/:/bin/sh" >"$r/etc/passwd"
	echo "root:x:0:" >"$r/etc/group"
	IMPORTED=1
	tar -C "$r" -c . | d import -c 'CMD ["/bin/sh"]' - "$IMG" >"$TMP/import.out" 2>&1 ||
		die "docker import $IMG failed: $(head -c 300 "$TMP/import.out" | tr '\n' ' ')"
}

# timed_us CMD...: run CMD (output discarded), print its wall time in µs.
timed_us() {
	local t0 t1
	t0=$(now_us)
	"$@" >/dev/null 2>>"$ERR" || return 1
	t1=$(now_us)
	echo $((t1 - t0))
}

median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }

docker_up
make_image
echo "vethmap container bench: $N containers, median of $RUNS, prefix $P"

# N containers, PAR at a time.
t0=$(now_us)
# In the background, waited for: a signal then reaches our trap at once.
seq 0 $((N - 1)) | xargs -P "$PAR" -I{} timeout 60 "$DOCKER" run -d --init --label "$LABEL" \
	--name "${P}c{}" "$IMG" sleep 3600 >/dev/null 2>>"$ERR" &
STARTER=$!
wait "$STARTER"
STARTER=
running=$(timeout 30 "$DOCKER" ps -q --filter "label=$LABEL" --filter status=running | wc -l)
[ "$running" -eq "$N" ] || die "$running of $N containers running: $(tail -3 "$ERR" | tr '\n' ' ')"
echo "$N containers running in $(ms $(($(now_us) - t0))) ms ($PAR at a time)"
sleep 1	# the last veths up

# The scan must name every one of ours, each in a namespace of its own.
$VETHMAP scan --no-store --json >"$TMP/scan.json" 2>>"$ERR" || die "vethmap scan failed: $(tail -3 "$ERR")"
named=$(jq --arg p "${P}c" '[.netns[] | .containers[] | select(.name | ltrimstr("/") | startswith($p)) | .name] | unique | length' "$TMP/scan.json")
nsown=$(jq --arg p "${P}c" '[.netns[] | select(any(.containers[]; .name | ltrimstr("/") | startswith($p))) | .inode] | unique | length' "$TMP/scan.json")
allctr=$(jq '[.netns[].containers[]] | length' "$TMP/scan.json")
allns=$(jq '.netns | length' "$TMP/scan.json")
$VETHMAP scan --no-store --no-containers --json >"$TMP/scan-nc.json" 2>>"$ERR" || die "vethmap scan --no-containers failed"
ncctr=$(jq '[.netns[].containers[]] | length' "$TMP/scan-nc.json")
echo "scan: $named of our $N containers named, in $nsown namespaces ($allctr containers and $allns namespaces on the host in all; --no-containers named $ncctr)"

# One warm-up each, then alternately.
$VETHMAP scan --no-store >/dev/null 2>>"$ERR" || die "vethmap scan failed"
$VETHMAP scan --no-store --no-containers >/dev/null 2>>"$ERR" || die "vethmap scan --no-containers failed"
# api_us: dockerd's own time to answer the list request vethmap makes (curl's time_total).
api_us() {
	timeout 10 curl -s -o /dev/null -w '%{time_total}\n' --unix-socket /var/run/docker.sock \
		http://docker/v1.40/containers/json 2>/dev/null | awk '{ printf "%d\n", $1 * 1e6 }'
}
wv=() nv=() dv=() av=()
for ((k = 0; k < RUNS; k++)); do
	a=$(timed_us $VETHMAP scan --no-store) || die "vethmap scan failed: $(tail -3 "$ERR")"
	b=$(timed_us $VETHMAP scan --no-store --no-containers) || die "vethmap scan --no-containers failed"
	wv+=("$a") nv+=("$b") dv+=("$((a - b))")
	if command -v curl >/dev/null; then
		x=$(api_us)
		[ -n "$x" ] && av+=("$x")
	fi
done
with=$(median "${wv[@]}") without=$(median "${nv[@]}") pair=$(median "${dv[@]}")
diff=$((with - without))
fastest=$(($(printf '%s\n' "${wv[@]}" | sort -n | head -1) - $(printf '%s\n' "${nv[@]}" | sort -n | head -1)))
api=-
[ ${#av[@]} -gt 0 ] && api=$(ms "$(median "${av[@]}")")
dsign() { if [ "$1" -lt 0 ]; then echo "-$(ms $((-$1)))"; else ms "$1"; fi; }

echo
fmt='%6s %9s %16s %14s %15s %15s %14s\n'
printf "$fmt" ctrs "scan ms" "no-ctrs scan ms" "difference ms" "paired diff ms" "fastest diff ms" "docker API ms"
printf "$fmt" "$allctr" "$(ms "$with")" "$(ms "$without")" "$(dsign $diff)" "$(dsign "$pair")" \
	"$(dsign $fastest)" "$api"
echo "(runs, us: with ${wv[*]}; without ${nv[*]})"

echo
if [ "$named" -eq "$N" ] && [ "$nsown" -eq "$N" ]; then
	echo "target ok   - the scan named all $N of our containers, each in its own namespace"
else
	echo "target MISS - the scan named $named of our $N containers, in $nsown namespaces"
	FAILED=1
fi
if [ "$diff" -le 50000 ]; then
	echo "target ok   - the container step adds no more than 50 ms ($(dsign $diff) ms for $allctr containers)"
else
	echo "target MISS - the container step adds no more than 50 ms ($(dsign $diff) ms for $allctr containers)"
	FAILED=1
fi
exit $FAILED
