#!/bin/bash
# tests/bench/rootless.sh - what naming rootless Podman containers costs a scan: N
# containers of one test user (root; run alone: tests/bench/rootless.sh).
#
# Makes a user h11r<digits> (tests/lib_rootless.sh: subuid/subgid, /run/user/UID), loads a
# busybox image saved from a rootful one, starts BENCH_CTRS containers
#   podman run --network slirp4netns --ulimit host -d --name rbI IMAGE sleep 3600
# BENCH_CTR_PAR at a time as that user, then times, one warm-up each and then alternately,
#   vethmap scan --no-store                  (namespaces, pairing and container naming)
#   vethmap scan --no-store --no-containers  (the same without naming containers)
# median of BENCH_CTR_RUNS each, twice: from the user's storage (no socket), then with the
# user's `podman system service` socket.  The difference is the container step's cost.
# It checks that the scan named every one of the user's containers, each in its own
# namespace, with the user as owner.  The EXIT trap removes the user and everything of its.
#
# Environment: BENCH_CTRS (default 100), BENCH_CTR_RUNS (default 7), BENCH_CTR_PAR (default 4)

# shellcheck disable=SC2317	# functions called by traps
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib_rootless.sh

VETHMAP=./vethmap
PODMAN=/usr/bin/podman
N=${BENCH_CTRS:-100}
RUNS=${BENCH_CTR_RUNS:-7}
PAR=${BENCH_CTR_PAR:-4}
P=rb$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
IMG=localhost/${P}img:1
FAILED=0
SERVICE=

die() { echo "bench rootless: $*" >&2; FAILED=1; exit 1; }
[ "$(id -u)" = 0 ] || die "root needed"
[ -x $VETHMAP ] || die "build first: make"
for c in jq xargs timeout slirp4netns newuidmap useradd runuser; do
	command -v $c >/dev/null || die "$c missing (make deps)"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vethmap-bench-rl.XXXXXX")
ERR=$TMP/stderr
: >"$ERR"
cleanup() {
	trap - EXIT INT TERM HUP
	trap '' INT TERM
	[ -n "$SERVICE" ] && kill -TERM "$SERVICE" 2>/dev/null
	rl_cleanup
	timeout 60 $PODMAN rmi -f "$IMG" >/dev/null 2>&1
	rm -rf "$TMP"
}
on_signal() { FAILED=1; cleanup; trap - "$1"; kill -s "$1" $$; }
trap 'cleanup; exit "$FAILED"' EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

now_us() { local t; t=$(date +%s%N); echo $((t / 1000)); }
ms() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }
dsign() { if [ "$1" -lt 0 ]; then echo "-$(ms $((-$1)))"; else ms "$1"; fi; }
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
timed_us() {
	local t0 t1
	t0=$(now_us)
	"$@" >/dev/null 2>>"$ERR" || return 1
	t1=$(now_us)
	echo $((t1 - t0))
}

rl_tun_open
rl_add_user U || die "useradd failed"
UID_=$(id -u "$U")
# runc's session keyring per container would exceed the kernel's key quota of one user
# (kernel.keys.maxbytes 20000) after about 97 containers
rl_asu "$U" mkdir -p "/home/$U/.config/containers"
printf '[containers]\nkeyring = false\n' >"/home/$U/.config/containers/containers.conf"
r=$TMP/rootfs
mkdir -p "$r/bin" "$r/etc" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" && cp /bin/busybox "$r/bin/" &&
	ln -s busybox "$r/bin/sh" && ln -s busybox "$r/bin/sleep" || die "rootfs"
tar -C "$r" -c . | timeout 60 $PODMAN import -c 'CMD ["/bin/sh"]' - "$IMG" >/dev/null 2>>"$ERR" || die "podman import"
timeout 60 $PODMAN save -o "/home/$U/img.tar" "$IMG" >/dev/null 2>>"$ERR" || die "podman save"
chown "$U" "/home/$U/img.tar"
rl_asu "$U" $PODMAN load -i "/home/$U/img.tar" >/dev/null 2>>"$ERR" || die "podman load as $U"

echo "vethmap rootless bench: $N containers of user $U, median of $RUNS, prefix $P"
t0=$(now_us)
export U IMG
seq 0 $((N - 1)) | xargs -P "$PAR" -I{} bash -c '. tests/lib_rootless.sh; rl_asu "$U" /usr/bin/podman run --network slirp4netns --ulimit host -d --name "'"$P"'{}" "$IMG" sleep 3600' >/dev/null 2>>"$ERR"
running=$(rl_asu "$U" $PODMAN ps -q | wc -l)
[ "$running" -eq "$N" ] || die "$running of $N containers running: $(tail -3 "$ERR" | tr '\n' ' ')"
echo "$N containers running in $(ms $(($(now_us) - t0))) ms ($PAR at a time)"

measure() {	# measure LABEL: check the naming, then the medians
	local label=$1 named nsown wv=() nv=() dv=() a b k with without
	$VETHMAP scan --no-store --json >"$TMP/scan.json" 2>>"$ERR" || die "vethmap scan failed: $(tail -c 600 "$ERR" | tr "\n" " ")"
	named=$(jq --arg p "$P" --argjson u "$UID_" '[.netns[].containers[] | select((.name | startswith($p)) and .owner.uid == $u and .verified) | .name] | unique | length' "$TMP/scan.json")
	nsown=$(jq --arg p "$P" '[.netns[] | select(any(.containers[]; .name | startswith($p))) | .inode] | unique | length' "$TMP/scan.json")
	$VETHMAP scan --no-store >/dev/null 2>>"$ERR"
	$VETHMAP scan --no-store --no-containers >/dev/null 2>>"$ERR"
	for ((k = 0; k < RUNS; k++)); do
		a=$(timed_us $VETHMAP scan --no-store) || die "vethmap scan failed"
		b=$(timed_us $VETHMAP scan --no-store --no-containers) || die "vethmap scan --no-containers failed"
		wv+=("$a") nv+=("$b") dv+=("$((a - b))")
	done
	with=$(median "${wv[@]}") without=$(median "${nv[@]}")
	printf '%-8s %6s %9s %16s %14s %15s\n' "$label" "$named/$N" "$(ms "$with")" "$(ms "$without")" \
		"$(dsign $((with - without)))" "$(dsign "$(median "${dv[@]}")")"
	[ "$named" -eq "$N" ] && [ "$nsown" -eq "$N" ] ||
		{ echo "target MISS - $label: $named of $N named, in $nsown namespaces"; FAILED=1; }
}
printf '%-8s %6s %9s %16s %14s %15s\n' source named "scan ms" "no-ctrs scan ms" "difference ms" "paired diff ms"
measure storage
rl_asu "$U" mkdir -p "/run/user/$UID_/podman"
(cd / && exec runuser -u "$U" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="/home/$U" \
	XDG_RUNTIME_DIR="/run/user/$UID_" $PODMAN system service --time=0 \
	"unix:///run/user/$UID_/podman/podman.sock") >"$TMP/service.log" 2>&1 &
SERVICE=$!
for ((k = 0; k < 300; k++)); do [ -S "/run/user/$UID_/podman/podman.sock" ] && break; sleep 0.1; done
sleep 1
$VETHMAP scan --no-store -v 2>&1 >/dev/null | grep -q "containers of user $U from /run/user/$UID_/podman/podman.sock" ||
	die "the scan did not read $U's socket"
measure socket
av=()
for ((k = 0; k < RUNS; k++)); do	# the user's service's own time for the list vethmap asks
	av+=("$(timeout 10 curl -s -o /dev/null -w '%{time_total}\n' --unix-socket \
		"/run/user/$UID_/podman/podman.sock" http://d/v4.0.0/libpod/containers/json |
		awk '{ printf "%d\n", $1 * 1e6 }')")
done
echo "the user's podman service answers GET /libpod/containers/json in $(ms "$(median "${av[@]}")") ms (median of $RUNS, curl)"
exit $FAILED
