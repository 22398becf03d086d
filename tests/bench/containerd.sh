#!/bin/bash
# tests/bench/containerd.sh - what naming containers costs a scan, with N containerd tasks
# (root; run by tests/bench/run, or alone: tests/bench/containerd.sh).
#
# Starts a containerd of its own (tests/lib_containerd.sh: state under a temp dir, found by
# vethmap only through the shims), imports the busybox image, starts BENCH_CTRS tasks
#   ctr -n ${PFX}ns run -d IMAGE ${PFX}cI sleep 3600      (each in a netns of its own)
# BENCH_CTR_PAR at a time, then times, one warm-up each and then alternately,
#   vethmap scan --no-store                  (namespaces, pairing and container naming)
#   vethmap scan --no-store --no-containers  (the same without naming containers)
# median of BENCH_CTR_RUNS each; their difference is the container step's cost.  It checks
# that the scan named every task.  The exit trap of lib_containerd.sh kills every task and
# the containerd it started, and removes what they left.
#
# Environment: BENCH_CTRS (default 100), BENCH_CTR_RUNS (7), BENCH_CTR_PAR (8).

cd "$(dirname "$0")/../.." || exit 1
. tests/lib_containerd.sh
need_root
need_vethmap
N=${BENCH_CTRS:-100}
RUNS=${BENCH_CTR_RUNS:-7}
PAR=${BENCH_CTR_PAR:-8}

containerd_up bench
cd_image "${PFX}ns"
t0=$(date +%s%N)
starters=()	# (a bare wait would wait for containerd, a job of ours too)
for i in $(seq 1 "$N"); do
	c "${PFX}ns" run -d "$CD_IMAGE" "${PFX}c$i" sleep 3600 >/dev/null 2>>"$TMP/run.err" &
	starters+=($!)
	if [ ${#starters[@]} -ge "$PAR" ] || [ "$i" -eq "$N" ]; then
		wait "${starters[@]}"
		starters=()
	fi
done
note "started $N tasks in $((($(date +%s%N) - t0) / 1000000)) ms"

scan_ms() {	# scan_ms ARGS...: wall time of one scan, in µs
	local a b
	a=$(date +%s%N)
	"$VETHMAP" scan --no-store "$@" >/dev/null 2>"$TMP/scan.err" || echo "scan failed: $(head -c 300 "$TMP/scan.err")" >&2
	b=$(date +%s%N)
	echo $(((b - a) / 1000))
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

"$VETHMAP" scan --no-store --json -v >"$TMP/s.json" 2>"$TMP/v.err"
note "$(grep -E "shims|scan:" "$TMP/v.err" | tr "\n" " ")"
check_eq "every task named" "$N" \
	"$(jq --arg p "${PFX}c" '[.netns[].containers[] | select(.engine == "containerd" and (.name | startswith($p)))] | length' "$TMP/s.json")"
scan_ms >/dev/null
scan_ms --no-containers >/dev/null
with=() without=()
for _ in $(seq 1 "$RUNS"); do
	with+=("$(scan_ms)")
	without+=("$(scan_ms --no-containers)")
done
w=$(printf '%s\n' "${with[@]}" | median)
wo=$(printf '%s\n' "${without[@]}" | median)
printf '# containerd, %d tasks: scan %d.%d ms, --no-containers %d.%d ms: container step %d.%d ms (median of %d)\n' \
	"$N" $((w / 1000)) $((w % 1000 / 100)) $((wo / 1000)) $((wo % 1000 / 100)) \
	$(((w - wo) / 1000)) $(((w - wo) % 1000 / 100 < 0 ? 0 : (w - wo) % 1000 / 100)) "$RUNS"
