#!/bin/bash
# Robustness: namespaces that come and go during scans, concurrent scans into one
# database, scans killed with SIGKILL mid-write, bad command lines and bad databases,
# running without privileges, a closed stdout.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

# snapshot ids listed by "scans --json", whatever its exact shape (array of objects with
# "id", or an object holding such an array), one per line, sorted
scan_ids() {
	"$VETHMAP" scans --db "$1" --json 2>/dev/null |
		jq -r '[.. | objects | select(has("id")) | .id] | sort[]' 2>/dev/null
}
nlines() { if [ -s "$1" ]; then wc -l <"$1"; else echo 0; fi; }

note "section 1a at $SECONDS s"
# ---- 1a. namespaces, processes and threads that come and go while we scan ----
ns_add base
ip -n "${PFX}base" link add eth0 type veth peer name "${PFX}base" netns $$ ||
	{ not_ok "fixture: base veth" "ip failed"; exit 1; }
# bounded churn loops, stopped by $TMP/stop: processes in new netns that exit at once,
# threads that unshare and exit, named netns (with a veth inside) created and deleted.
# No long-lived namespace's links change here (that is 1b).
churn() {
	local i=0
	while [ $i -lt 5000 ] && [ ! -e "$TMP/stop" ]; do
		i=$((i + 1))
		case $1 in
		proc) unshare -n true ;;
		sleepers) unshare -n sleep 0.00$((i % 10)) & unshare -n sleep 0.01 & wait ;;
		thread) python3 -c 'import ctypes,threading,time
def f():
    ctypes.CDLL(None).unshare(0x40000000); time.sleep(0.002)
for _ in range(20):
    t=threading.Thread(target=f); t.start(); t.join()' ;;
		named)
			ip netns add "${PFX}k$i" 2>/dev/null &&
				ip -n "${PFX}k$i" link add eth0 type veth peer name eth1 2>/dev/null
			ip netns del "${PFX}k$((i - 1))" 2>/dev/null ;;
		esac
	done
	[ "$1" == named ] && ip netns del "${PFX}k$i" 2>/dev/null
	echo $i >"$TMP/churned.$1"
}
CHURN=()
for k in proc proc sleepers thread named; do
	churn $k &
	CHURN+=($!); bg_loop $!
done
sleep 0.3
bad=0 good=0 first=""
for i in $(seq 1 20); do
	timeout 30 "$VETHMAP" scan --db "$DB" --json >"$TMP/c.json" 2>"$TMP/c.err"; rc=$?
	if [ $rc -eq 124 ]; then
		bad=$((bad + 1)); first="scan $i did not finish in 30 s"
		break
	elif [ $rc -ne 0 ]; then
		bad=$((bad + 1)); [ -z "$first" ] && first="scan $i exit $rc: $(head -c 200 "$TMP/c.err" | tr '\n' ' ')"
	elif ! jq -e '.netns and .interfaces and .edges' "$TMP/c.json" >/dev/null 2>&1; then
		bad=$((bad + 1)); [ -z "$first" ] && first="scan $i: invalid JSON"
	elif [ "$(edge_count "$TMP/c.json" veth "$HOSTNS" "${PFX}base" "$(ns_ino base)" eth0 any)" != 1 ]; then
		bad=$((bad + 1)); [ -z "$first" ] && first="scan $i: stable veth not paired"
	fi
	[ $rc -eq 0 ] && good=$((good + 1))
done
touch "$TMP/stop"
wait "${CHURN[@]}"
rm -f "$TMP/stop"
churned=$(cat "$TMP"/churned.* 2>/dev/null | xargs)
[ "$(echo "$churned" | wc -w)" -eq 4 ] && ok "fixture: churn loops ran ($churned rounds)" ||
	not_ok "fixture: churn loops ran" "[$churned]"
check_eq "20 scans during namespace/process/thread churn succeed" "0" "$bad${first:+ ($first)}"
check_eq "each successful scan stored" "$good" "$(scan_ids "$DB" | wc -l)"

note "section 1b at $SECONDS s"
# ---- 1b. links that keep changing in a namespace with many links ----
# Two loops add and delete a veth in a netns holding 4000 links, so nearly every dump of
# it comes back with NLM_F_DUMP_INTR.  A scan must still end (iproute2's "ip link" warns
# "Dump was interrupted" and goes on).
ns_add big
for i in $(seq 1 2000); do echo "link add a$i type veth peer name b$i"; done >"$TMP/big.batch"
if ip -n "${PFX}big" -batch "$TMP/big.batch" >/dev/null 2>&1; then
	LC=()
	for j in 1 2; do
		for i in $(seq 1 2000); do printf 'link add x%s type veth peer name y%s\nlink del x%s\n' $j $j $j; done >"$TMP/churn$j.batch"
		ip -n "${PFX}big" -force -batch "$TMP/churn$j.batch" >/dev/null 2>&1 &
		LC+=($!); bg_pid $!
	done
	sleep 0.3
	timeout 15 "$VETHMAP" scan --no-store --json >"$TMP/big.json" 2>"$TMP/big.err"; rc=$?
	alive=$(kill -0 "${LC[@]}" 2>/dev/null && echo yes)
	kill "${LC[@]}" 2>/dev/null; wait "${LC[@]}" 2>/dev/null
	[ "$alive" == yes ] || not_ok "fixture: link churn still running during the scan" "it ended early"
	if [ $rc -eq 124 ]; then
		not_ok "scan ends while links churn in a 4000-link netns" "no result after 15 s"
	else
		check_eq "scan ends while links churn in a 4000-link netns: exit 0" 0 "$rc"
		check_eq "churning netns listed with its links" yes "$(jqv "$TMP/big.json" --argjson n "$(ns_ino big)" '[.interfaces[] | select(.netns == $n)] | if length >= 4000 then "yes" else "only \(length)" end')"
	fi
else
	not_ok "fixture: 2000 veth pairs" "ip -batch failed"
fi
ip netns del "${PFX}big"

note "section 2 at $SECONDS s"
# ---- 2. scans at once into one database: two into a new one, then three into it ----
CDB=$TMP/conc.db
good=0
for round in 1 2; do
	n=$((round + 1)) pids=() rcs=""
	for j in $(seq 1 $n); do
		"$VETHMAP" scan --db "$CDB" >"$TMP/p$j.out" 2>"$TMP/p$j.err" & pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; r=$?; rcs="$rcs $r"; [ $r -eq 0 ] && good=$((good + 1)); done
	want=$(printf ' 0%.0s' $(seq 1 $n))
	err=$(cat "$TMP"/p[0-9].err | head -c 200 | tr '\n' ' ')
	if [ "$rcs" == "$want" ]; then ok "$n concurrent scans (round $round): all exit 0"
	else not_ok "$n concurrent scans (round $round): all exit 0" "exit codes$rcs; stderr: $err"
	fi
done
# every scan that succeeded is listed (failures are reported above)
check_eq "concurrent scans: each successful scan listed (scans --json)" "$(seq 1 $good | xargs)" "$(scan_ids "$CDB" | xargs)"
"$VETHMAP" scans --db "$CDB" >"$TMP/scans.out" 2>&1
check_eq "concurrent scans: scans prints one line per snapshot" $good "$(grep -c "^[0-9]" "$TMP/scans.out")"
check_eq "concurrent scans: integrity" ok "$(sqlite3 "$CDB" 'PRAGMA integrity_check' 2>&1)"

note "section 3 at $SECONDS s"
# ---- 3. scans killed with SIGKILL at varying points ----
KDB=$TMP/kill.db
"$VETHMAP" scan --db "$KDB" --json >"$TMP/k1.json" 2>/dev/null
t0=$(date +%s%N)
"$VETHMAP" scan --db "$KDB" --json >"$TMP/k2.json" 2>/dev/null
t1=$(date +%s%N)
dur_us=$(( (t1 - t0) / 1000 ))
id1=$(jq -r .scan.id "$TMP/k1.json" 2>/dev/null) id2=$(jq -r .scan.id "$TMP/k2.json" 2>/dev/null)
check_eq "kill: two good snapshots first" "1 2" "$id1 $id2"
for i in $(seq 0 9); do
	d=$(( dur_us * i / 8 ))		# from at once to past the end of a scan
	"$VETHMAP" scan --db "$KDB" >/dev/null 2>&1 &
	k=$!
	sleep "$(printf '%d.%06d' $((d / 1000000)) $((d % 1000000)))"
	kill -KILL $k 2>/dev/null
	wait $k 2>/dev/null
done
check_eq "kill: integrity_check" ok "$(sqlite3 "$KDB" 'PRAGMA integrity_check' 2>&1)"
"$VETHMAP" scans --db "$KDB" >"$TMP/ks.out" 2>"$TMP/ks.err"
check_eq "kill: scans exits 0" 0 "$?"
ids=$(scan_ids "$KDB" | xargs)
case " $ids " in *" 1 2 "*) ok "kill: earlier snapshots still listed ($ids)" ;;
	*) not_ok "kill: earlier snapshots still listed" "got [$ids]" ;; esac
for id in 1 2; do
	check_eq "kill: show --scan $id" "$id" "$("$VETHMAP" show --db "$KDB" --scan $id --json 2>&1 | jq -r .scan.id 2>&1)"
done
"$VETHMAP" scan --db "$KDB" --json >"$TMP/k3.json" 2>"$TMP/k3.err"
check_eq "kill: a new scan still works" 0 "$?"
last=$(scan_ids "$KDB" | tail -n1)
check_eq "kill: new scan is the latest snapshot" "$last" "$(jq -r .scan.id "$TMP/k3.json" 2>/dev/null)"
check_eq "kill: every listed snapshot loads" "" "$(for id in $(scan_ids "$KDB"); do
	"$VETHMAP" show --db "$KDB" --scan "$id" --json >/dev/null 2>&1 || echo -n "$id "; done)"

note "section 4 at $SECONDS s"
# ---- 4. bad command lines ----
expect_usage() {	# expect_usage NAME ARGS...: exit 2, message on stderr, nothing on stdout
	local name=$1; shift
	"$VETHMAP" "$@" >"$TMP/u.out" 2>"$TMP/u.err"
	local rc=$?
	check_eq "$name: exit 2" 2 "$rc"
	check_eq "$name: nothing on stdout" 0 "$(wc -c <"$TMP/u.out")"
	check "$name: message on stderr" test -s "$TMP/u.err"
}
expect_usage "unknown command" frobnicate
expect_usage "unknown option" scan --db "$TMP/u.db" --frobnicate
expect_usage "unknown global option" --frobnicate
expect_usage "show: unknown option" show --db "$DB" --bogus
expect_usage "prefix of a command is not accepted" sca --db "$TMP/u.db"
check "unknown option does not create the db" test ! -e "$TMP/u.db"
out=$("$VETHMAP" --version 2>&1); rc=$?
check_eq "--version exits 0" 0 "$rc"
check "--version prints a version" grep -qE '[0-9]+\.[0-9]+' <<<"$out"
check "help exits 0" "$VETHMAP" help

note "section 5 at $SECONDS s"
# ---- 5. files that are not vethmap databases ----
bad_db() {	# bad_db NAME FILE: scan, show and scans must exit 1 with one line naming FILE
	local name=$1 f=$2 cmd
	cp "$f" "$TMP/orig"
	for cmd in scan show scans; do
		"$VETHMAP" $cmd --db "$f" >"$TMP/b.out" 2>"$TMP/b.err"
		check_eq "$name: $cmd exits 1" 1 "$?"
		check_eq "$name: $cmd prints one line on stderr" 1 "$(nlines "$TMP/b.err")"
		check "$name: $cmd message names the file" grep -qF -- "$f" "$TMP/b.err"
		check "$name: $cmd leaves the file unchanged" cmp -s "$f" "$TMP/orig"
	done
	check "$name: no -wal/-journal left" test ! -e "$f-wal" -a ! -e "$f-journal"
}
head -c 8192 /dev/urandom >"$TMP/garbage.db"
bad_db "garbage db" "$TMP/garbage.db"
printf 'hello, this is not a database\n' >"$TMP/text.db"
bad_db "text db" "$TMP/text.db"
sqlite3 "$TMP/foreign.db" 'CREATE TABLE t(x); INSERT INTO t VALUES (1);' &&
	bad_db "foreign sqlite db" "$TMP/foreign.db"

note "section 6 at $SECONDS s"
# ---- 6. show/scans edge cases, --no-store, VETHMAP_DB ----
"$VETHMAP" show --db "$KDB" --scan 999999 >/dev/null 2>"$TMP/s.err"
check_eq "show nonexistent scan id: exit 1" 1 "$?"
check_eq "show nonexistent scan id: one line on stderr" 1 "$(nlines "$TMP/s.err")"
"$VETHMAP" show --db "$TMP/none.db" >/dev/null 2>&1
check_eq "show of a missing db: exit 1" 1 "$?"
check "show of a missing db does not create it" test ! -e "$TMP/none.db"
before=$(scan_ids "$KDB" | wc -l)
"$VETHMAP" scan --no-store --db "$KDB" --json >"$TMP/ns.json" 2>/dev/null
check_eq "--no-store: exit 0" 0 "$?"
check_eq "--no-store: no snapshot added" "$before" "$(scan_ids "$KDB" | wc -l)"
"$VETHMAP" scan --no-store --db "$TMP/nostore.db" >/dev/null 2>&1
check "--no-store: no db file created" test ! -e "$TMP/nostore.db"
VETHMAP_DB=$TMP/env.db "$VETHMAP" scan >/dev/null 2>&1
check_eq "VETHMAP_DB: scan exit 0" 0 "$?"
check_eq "VETHMAP_DB: snapshot stored there" 1 "$(scan_ids "$TMP/env.db" | wc -l)"
VETHMAP_DB=$TMP/env.db "$VETHMAP" scan --db "$TMP/opt.db" >/dev/null 2>&1
check_eq "--db wins over VETHMAP_DB" "1 1" "$(scan_ids "$TMP/env.db" | wc -l) $(scan_ids "$TMP/opt.db" | wc -l)"
check_eq "new db file mode 0600" 600 "$(stat -c %a "$TMP/opt.db" 2>&1)"

note "section 7 at $SECONDS s"
# ---- 7. closed stdout ----
timeout 20 bash -c '"$1" scan --db "$2" --json | head -c 10 >/dev/null' _ "$VETHMAP" "$DB"
rc=$?
[ $rc -ne 124 ] && ok "scan --json | head -c 10 does not hang" ||
	not_ok "scan --json | head -c 10 does not hang" "timed out"
timeout 20 bash -c '"$1" show --db "$2" | head -c 10 >/dev/null' _ "$VETHMAP" "$DB"
[ $? -ne 124 ] && ok "show | head -c 10 does not hang" || not_ok "show | head -c 10 does not hang" "timed out"
"$VETHMAP" show --db "$DB" >/dev/full 2>"$TMP/full.err"
check_eq "show >/dev/full: exit 1" 1 "$?"

note "section 8 at $SECONDS s"
# ---- 8. without privileges ----
NB=$TMP/nobody
mkdir -p "$NB"; chmod 711 "$TMP"; chown nobody: "$NB"
asnobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
if ! asnobody test -x "$VETHMAP"; then
	skip "scan as non-root" "$VETHMAP not executable by nobody"
else
	asnobody "$VETHMAP" scan --db "$NB/x.db" >"$TMP/np.out" 2>"$TMP/np.err"
	check_eq "non-root scan: exit 1" 1 "$?"
	check_eq "non-root scan: one line on stderr" 1 "$(nlines "$TMP/np.err")"
	check "non-root scan: names the capability" grep -qiE 'CAP_[A-Z_]+' "$TMP/np.err"
	check_eq "non-root scan: nothing on stdout" 0 "$(wc -c <"$TMP/np.out")"
	# show needs only read access to the database
	cp "$KDB" "$NB/r.db" && chown nobody: "$NB/r.db"
	asnobody "$VETHMAP" show --db "$NB/r.db" --json >"$TMP/nr.json" 2>"$TMP/nr.err"
	check_eq "non-root show of own db: exit 0" "0" "$?$(head -c 200 "$TMP/nr.err" | tr '\n' ' ')"
fi

note "done at $SECONDS s"
