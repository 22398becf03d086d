# shellcheck shell=bash
# tests/stress/watcher.sh - the watch part of the churn stress test (sourced by churn.sh
# when STRESS_WATCH=1; tests/t_watch_churn.sh runs it).  While the churn runs:
#   watcher_start   vethmap watch --db $DB --json -v --interval $STRESS_WATCH_INTERVAL
#                   (default 5s) in the background; VmRSS once it follows the host
#   watcher_pauser  a loop: the churn runs STRESS_WATCH_RUN seconds (default 4), then
#                   pauses ($TMP/pause, honoured by the churn and docker loops) until the
#                   watch's next reconciling rescan has run, so that rescan is taken on a
#                   quiet host (under churn every rescan has events during it and is not
#                   counted); at the end, with the churn held before its teardown
#                   ($TMP/churn.held .. $TMP/churn.release), the watch's last snapshot is
#                   compared with a fresh scan
#   watcher_finish  VmRSS again, SIGTERM (exit 0, every line whole JSON), every snapshot
#                   the watch stored turned into the scanners' meta/lines files (w.ID) so
#                   that the judge checks their pairings against the churn's log as it
#                   checks the scans'
#   watcher_judge   the reconciling rescans: at least 2 counted, each "0 corrections" of
#                   ours; VmRSS at the end within 20% + 2 MiB of the one at the first pause
#                   that found the host at the end's size (namespaces of the watch's last
#                   scan, within 10% + 10: another suite's come and go; none such: skipped,
#                   saying so; warm: the first scans of a churned host raise the heap's
#                   high-water mark once, the start is noted too); the final state equals
#                   a fresh scan.
WINT=${STRESS_WATCH_INTERVAL:-5s}
WRUN=${STRESS_WATCH_RUN:-4}
WOUT=$TMP/watch.out
WERR=$TMP/watch.err
WP=

rss_of() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null; }
# the namespaces of the watch's last scan (-v), to compare RSS at hosts of a size
host_ns() { sed -n 's/.*scan: \([0-9]*\) namespaces.*/\1/p' "$WERR" | tail -n 1; }

watcher_start() {
	"$VETHMAP" watch --db "$DB" --json -v --interval "$WINT" >"$WOUT" 2>"$WERR" &
	WP=$!
	bg_pid $WP
	if ! wait_for 30 grep -q "watch: following" "$WERR"; then
		not_ok "fixture: the watch starts" "$(head -c 300 "$WERR")"
		exit 1
	fi
	sleep 1
	RSS0=$(rss_of $WP)
	note "watch: started ($(grep -m1 "watch: following" "$WERR" | sed 's/^vethmap: //')), VmRSS $RSS0 KiB, --interval $WINT"
}

_reconciles() { grep -c "watch: reconciling rescan" "$WERR"; }
_more_reconciles() { [ "$(_reconciles)" -gt "$1" ]; }	# _more_reconciles N: more than N ran

# The part of a scan's JSON that is ours, normalised: our namespaces by name, interfaces
# and edges with an end of ours (by namespace label and name), unresolved ends of ours.
_ours() {
	jq -S --arg p "$PFX" '
		(reduce .netns[] as $n ({}; .[$n.inode | tostring] =
			(if $n.host then "host" else
			 ([$n.names[]? | select(test("/run/netns/" + $p)) | sub("^.*/run/netns/"; "")] | first) //
			 ([$n.containers[]?.name // empty | ltrimstr("/") | select(startswith($p))] | first | if . then "c:" + . else null end) //
			 "other" end))) as $L
		| def lab($i): $L[$i | tostring] // "unknown";
		  def ours($l; $n): ($l != "other" and $l != "unknown" and $l != "host") or ($n | startswith($p));
		{ interfaces: [.interfaces[] | [lab(.netns), .name] as $e | select(ours($e[0]; $e[1]))
			| {ns: $e[0], name, kind, up, master, peer: (if .peer then [lab(.peer.netns), .peer.name] else null end)}]
			| sort_by(.ns, .name),
		  edges: [.edges[] | [lab(.a.netns), .a.name, lab(.b.netns), .b.name] as $w
			| select(ours($w[0]; $w[1]) or ours($w[2]; $w[3])) | {type, ends: ([[$w[0], $w[1]], [$w[2], $w[3]]] | sort)}]
			| sort_by(.type, .ends),
		  unresolved: [.unresolved[] | [lab(.netns), .name] as $e | select(ours($e[0]; $e[1])) | $e] | sort }' "$1"
}

# The watch has settled: no new line for 1.5 s (bounded by the caller).
_settled() {
	local n
	n=$(wc -l <"$WOUT")
	sleep 1.5
	[ "$(wc -l <"$WOUT")" = "$n" ]
}

_final_compare() {
	local i
	for i in 1 2 3; do	# another suite's namespaces may come meanwhile: up to 3 tries
		wait_for 20 _settled
		timeout 60 "$VETHMAP" scan --no-store --json >"$TMP/final.scan.json" 2>/dev/null
		timeout 60 "$VETHMAP" show --db "$DB" --json >"$TMP/final.watch.json" 2>/dev/null
		_ours "$TMP/final.scan.json" >"$TMP/final.scan.ours"
		_ours "$TMP/final.watch.json" >"$TMP/final.watch.ours"
		cmp -s "$TMP/final.scan.ours" "$TMP/final.watch.ours" && break
	done
	echo "$i" >"$TMP/final.tries"
}

watcher_pauser() {
	local i=0 n0
	while [ $i -lt 1000 ] && [ ! -e "$TMP/stop" ] && [ "$(now)" -lt "$END" ]; do
		i=$((i + 1))
		sleep "$WRUN"
		n0=$(_reconciles)
		touch "$TMP/pause"
		echo "$EPOCHREALTIME pause" >>"$TMP/pauses"
		wait_for 30 _more_reconciles "$n0"
		echo "$EPOCHREALTIME resume $(rss_of "$WP") $(host_ns)" >>"$TMP/pauses"	# on a quiet host
		rm -f "$TMP/pause"
	done
	if wait_for $((DUR + 60)) test -e "$TMP/churn.held"; then
		_final_compare
	else
		echo "no hold" >"$TMP/final.tries"
	fi
	touch "$TMP/churn.release"
	rm -f "$TMP/pause"
}

watcher_finish() {
	local rc
	wait_for 20 _settled
	RSS1=$(rss_of $WP)
	NS1=$(host_ns)
	kill -TERM $WP
	wait $WP; rc=$?
	check_eq "watch: SIGTERM ends it with exit 0" 0 "$rc"
	check "watch: every line it wrote is whole JSON" jq -e -s 'length > 0' "$WOUT"
	# its snapshots, as the judge reads the scanners'
	python3 - "$DB" "$TMP/watch.ids" <<'PY' >"$TMP/meta.w"
import datetime, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ids = open(sys.argv[2], "w")
for sid, started, ms in db.execute("SELECT id, started, duration_ms FROM scan ORDER BY id"):
    t = datetime.datetime.strptime(started, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
    print("w.%d %.6f %.6f 0 -" % (sid, t, t + (ms or 0) / 1000.0))
    ids.write("%d\n" % sid)
PY
	local id n=0
	while read -r id && [ $n -lt 1000 ]; do
		n=$((n + 1))
		timeout 60 "$VETHMAP" show --db "$DB" --scan "$id" --json >"$TMP/wshow.json" 2>"$TMP/wshow.err" &&
			jq -r --arg p "$PFX" --arg id "w.$id" "$EXTRACT" "$TMP/wshow.json" >>"$TMP/lines.w" &&
			jq -r --argjson id "$id" '.netns[] | [$id, .inode, ((.via // []) | join(","))] | @tsv' \
				"$TMP/wshow.json" >>"$TMP/via.w" ||
			sed -i "s/^w\.$id \([^ ]*\) \([^ ]*\) 0 /w.$id \1 \2 show /" "$TMP/meta.w"
	done <"$TMP/watch.ids"
	note "watch: $n snapshots stored, each judged as a scan (w.ID) against the churn's log"
}

watcher_judge() {
	local counted ours_corr all_corr late
	counted=$(grep -c "watch: reconciling rescan: [0-9]* corrections" "$WERR")
	late=$(grep -c "watch: reconciling rescan: events came while it ran" "$WERR")
	all_corr=$(grep "watch: reconciling rescan: [0-9]* corrections" "$WERR" | grep -vc ": 0 corrections")
	# A namespace of ours that 'ip netns del' left held only by another process's descriptor
	# (another worktree's vethmap holds every namespace while it scans or watches; the
	# binary is not ours, so it is not known as a scan) goes when that descriptor is closed:
	# no event tells of that (README: the gaps the reconciling rescan covers).  Such
	# corrections are counted apart, by the namespace's holders in the last snapshot that
	# had it; every other correction of ours fails.
	python3 - "$WERR" "$TMP/via.w" "$PFX" >"$TMP/corr.split" <<'PY'
import re, sys
err, via, pfx = sys.argv[1:]
last = {}
for l in open(via):
    w = l.rstrip("\n").split("\t")
    if len(w) == 3: last[w[1]] = w[2]	# the snapshots come in order: the last one wins
lines = [l.rstrip("\n") for l in open(err) if "watch: correction:" in l and pfx in l]
ino = {}
for l in lines:
    m = re.search(r" netns +(\S+) +inode (\d+)", l)
    if m: ino[m.group(1)] = m.group(2)
gap = bad = 0
for l in lines:
    names = re.findall(r"(" + re.escape(pfx) + r"[A-Za-z0-9]+):", l) + re.findall(r" netns +(\S+) ", l)
    helds = [set(last.get(ino.get(n, ""), "-").split(",")) for n in names]
    if helds and all(h <= {"fd", "socket"} for h in helds): gap += 1
    else:
        bad += 1
        print("BAD " + l)
print("COUNT %d %d" % (gap, bad))
PY
	read -r _ gap_corr ours_corr <<<"$(grep '^COUNT' "$TMP/corr.split")"
	[ "${gap_corr:-0}" -gt 0 ] && note "watch: $gap_corr corrections of ours about namespaces held, when last seen, only by another process's descriptor (no event exists for its close)"
	note "watch: $((counted + late)) reconciling rescans, $counted counted (on a quiet moment), $late not (events came while they ran); $all_corr with corrections, $ours_corr correction lines of ours ($(grep -c "watch: correction:" "$WERR") in all); "
	[ "${ours_corr:-1}" -gt 0 ] && note "watch: our corrections: $(grep '^BAD' "$TMP/corr.split" | head -n 5 | tr '\n' '|')"
	check "watch: at least 2 reconciling rescans counted" test "$counted" -ge 2
	check_eq "watch: at every counted reconciling rescan, 0 corrections of ours (but for that gap)" 0 "${ours_corr:-?}"
	note "watch: $(grep "watch: [0-9]* lines in" "$WERR" | sed 's/^vethmap: watch: //')"
	note "watch: $(grep "Docker events" "$WERR" | sed 's/^vethmap: watch: //')"
	local warm wns pauses
	# the reference: the first pause at a host of the end's size (10% + 10 namespaces)
	read -r warm wns <<<"$(awk -v n="${NS1:-0}" '$2 == "resume" && $3 ~ /^[0-9]+$/ &&
		$4 * 10 <= n * 11 + 100 && $4 * 11 + 100 >= n * 10 { print $3, $4; exit }' "$TMP/pauses" 2>/dev/null)"
	pauses=$(awk 'BEGIN { n = 0 } $2 == "pause" { t = $1 } $2 == "resume" { s += $1 - t; n++ } END { printf "%d pauses, %.1f s in all", n, s }' "$TMP/pauses" 2>/dev/null)
	note "watch: churn $pauses; VmRSS (KiB) / host namespaces at each: $(awk '$2 == "resume" { printf "%s/%s ", $3, $4 }' "$TMP/pauses" 2>/dev/null)"
	note "watch: VmRSS $RSS0 KiB at the start, $RSS1 KiB at the end (${NS1:-?} namespaces on the host); the first pause at a host of that size: ${warm:-none} KiB (${wns:-?} namespaces), limit $((${warm:-0} * 12 / 10 + 2048)) KiB"
	if [ -z "$warm" ]; then
		skip "watch: RSS flat" "no pause found the host at the end's size (${NS1:-?} namespaces; another suite's come and go)"
	else
		check "watch: RSS flat (VmRSS at the end within 20% + 2 MiB of the first pause's at a host of that size)" \
			test "${RSS1:-999999999}" -le $((warm * 12 / 10 + 2048))
	fi
	note "watch: final state: $(jq '.interfaces | length' "$TMP/final.scan.ours" 2>/dev/null) interfaces, $(jq '.edges | length' "$TMP/final.scan.ours" 2>/dev/null) edges of ours; compared in try $(cat "$TMP/final.tries" 2>/dev/null)"
	if cmp -s "$TMP/final.scan.ours" "$TMP/final.watch.ours" && [ -s "$TMP/final.scan.ours" ]; then
		ok "watch: its last snapshot equals a fresh scan (our namespaces, interfaces, edges, unresolved ends)"
	else
		not_ok "watch: its last snapshot equals a fresh scan" \
			"$(diff "$TMP/final.scan.ours" "$TMP/final.watch.ours" 2>&1 | head -n 12 | tr '\n' '|' | head -c 800)"
	fi
}
