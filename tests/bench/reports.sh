#!/bin/bash
# tests/bench/reports.sh - time graph, report and diff on two large snapshots.
#
# These commands only read the database, so the snapshots are made, not scanned:
# tests/bench/snapgen builds them with the topo API and stores them with db_store() (two
# snapshots of N namespaces, each a veth to one of 4 host bridges, addresses, a container
# every 50th; the second changes N/100 MTUs, drops N/100 namespaces and adds N/100).
# Median of BENCH_REPORT_RUNS (5) runs each; a command that fails stops the bench
# (exit 1, naming it).
#   BENCH_REPORT_NS    namespaces for graph       (default 1000)
#   BENCH_REPORT_BIG   namespaces for report/diff (default 10000)
# Targets (issue 13): graph -T svg at 1000 namespaces <= 1 s; report and diff of two
# 10,000-namespace snapshots <= 1 s each.  graph --expand (every namespace its own
# cluster) is timed for comparison, without a target.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
V=${VETHMAP:-$root/vethmap}
GEN=${SNAPGEN:-$root/tests/bench/snapgen}
N=${BENCH_REPORT_NS:-1000}
BIG=${BENCH_REPORT_BIG:-10000}
RUNS=${BENCH_REPORT_RUNS:-5}
[ -x "$V" ] && [ -x "$GEN" ] || { echo "reports bench: build first: make vethmap tests/bench/snapgen" >&2; exit 1; }
TMP=$(mktemp -d) || exit 1
trap 'rm -rf "$TMP"' EXIT
FAILED=0

gen() {	# DB N
	"$GEN" "$1" "$2" || { echo "reports bench: FAILED: snapgen $1 $2" >&2; exit 1; }
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
timeit() {	# label, target ms (0: none), command...
	local label=$1 target=$2 r s e ms
	shift 2
	: >"$TMP/times"
	for ((r = 0; r < RUNS; r++)); do
		s=$(date +%s%N)
		if ! "$@" >/dev/null 2>"$TMP/err"; then
			echo "reports bench: FAILED: $*: $(head -3 "$TMP/err")" >&2
			exit 1
		fi
		e=$(date +%s%N)
		echo $(((e - s) / 1000000)) >>"$TMP/times"
	done
	ms=$(median <"$TMP/times")
	if [ "$target" = 0 ]; then
		printf '%-34s %6s ms\n' "$label" "$ms"
		return
	fi
	printf '%-34s %6s ms (target <= %s ms)\n' "$label" "$ms" "$target"
	if [ "$ms" -le "$target" ]; then
		echo "target ok   - $label"
	else
		echo "target MISS - $label"
		FAILED=1
	fi
}

gen "$TMP/g.db" "$N"
echo "reports bench: graph of $N namespaces, report and diff of two snapshots of $BIG, median of $RUNS"
timeit "graph -T svg (N=$N)" 1000 "$V" graph --db "$TMP/g.db" -T svg -o "$TMP/g.svg"
timeit "graph -T svg --expand (N=$N)" 0 "$V" graph --db "$TMP/g.db" -T svg --expand -o "$TMP/g.svg"
timeit "graph -T dot (N=$N)" 0 "$V" graph --db "$TMP/g.db" -T dot -o "$TMP/g.dot"
gen "$TMP/r.db" "$BIG"
timeit "report (XML, N=$BIG)" 1000 "$V" report --db "$TMP/r.db" -o "$TMP/r.xml"
timeit "diff (N=$BIG)" 1000 "$V" diff --db "$TMP/r.db"
exit $FAILED
