#!/bin/bash
# Fault injection on the database: scans killed with SIGKILL at 50 random points while a
# bigger host (200 namespaces of ours) makes them slow; the database on a full filesystem
# (no room at all, and room to open but not to store); a read-only database (read-only bind
# mount, and chattr +i); a database locked by another writer for longer than the busy
# timeout; truncated copies; files that are not SQLite but look like it, or like a capture.
# Each failure must be one line on stderr naming the file (vethmap: warning: lines aside),
# exit 1, and lose nothing: the earlier snapshots keep their ids and their rows.
# (t_scan_robust.sh covers 10 kills on a small host, garbage/text/foreign files for
# scan/show/scans, concurrent scans; this extends those.)
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap
for t in sqlite3 python3 jq md5sum mountpoint; do
	command -v $t >/dev/null || { skip "${0##*/}" "needs $t"; exit 0; }
done
python3 -c 'import sqlite3' 2>/dev/null || { skip "${0##*/}" "needs python3's sqlite3 module"; exit 0; }

MNTS=()		# mount points of ours, unmounted at exit (last first)
IMMUTABLE=()	# files we made chattr +i
NSBIG=0		# the 200 namespaces exist
HOLDER=		# the python3 process holding a lock, while it runs
_faults_db_cleanup() {
	local rc=$? i
	[ -n "$HOLDER" ] && { kill -KILL "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null; }
	for f in "${IMMUTABLE[@]}"; do chattr -i "$f" 2>/dev/null; done
	for ((i = ${#MNTS[@]} - 1; i >= 0; i--)); do
		mountpoint -q "${MNTS[i]}" && { umount "${MNTS[i]}" 2>/dev/null || umount -l "${MNTS[i]}"; }
	done
	[ $NSBIG = 1 ] && del_many
	(exit $rc)
	_cleanup
}
trap _faults_db_cleanup EXIT

errtext() { head -c 300 "$1" | tr '\n' '|'; }
why() { [ -s "$1" ] && printf ' (%s)' "$(errtext "$1")"; return 0; }	# why ERRFILE: " (its text)" or nothing
# nerr FILE: lines on stderr, "vethmap: warning:" lines aside
nerr() { grep -vc '^vethmap: warning:' "$1"; }
# fails NAME FILE RC ERRFILE: exit 1, one line on stderr, naming FILE
fails() {
	check_eq "$1: exit 1" 1 "$3"
	check_eq "$1: one line on stderr$(why "$4")" 1 "$(nerr "$4")"
	check "$1: stderr names the file" grep -qF -- "$2" "$4"
}
# snapshot ids listed by "vethmap scans --json", one line
listed() { "$VETHMAP" scans --db "$1" --json 2>/dev/null | jq -r '[.[].id] | join(" ")' 2>/dev/null; }
# sig DB MAXID: snapshots 1..MAXID as stored: scan rows, their row counts, and a digest of
# every netns/iface/addr/edge row that belongs to them
sig() {
	sqlite3 "$1" "SELECT id, host, started, n_netns, n_ifaces, n_edges, n_unresolved,
		(SELECT count(*) FROM netns WHERE scan_id = s.id),
		(SELECT count(*) FROM iface WHERE scan_id = s.id),
		(SELECT count(*) FROM addr WHERE scan_id = s.id),
		(SELECT count(*) FROM edge WHERE scan_id = s.id) FROM scan s WHERE id <= $2 ORDER BY id;
		SELECT * FROM netns WHERE scan_id <= $2 ORDER BY scan_id, inode;
		SELECT * FROM iface WHERE scan_id <= $2 ORDER BY scan_id, netns, ifindex;
		SELECT * FROM addr WHERE scan_id <= $2 ORDER BY scan_id, netns, ifindex, address;
		SELECT * FROM edge WHERE scan_id <= $2 ORDER BY scan_id, id;" 2>&1 | md5sum | cut -c1-32
}
# partial DB: snapshots whose rows (their own, or for one stored unchanged those of the one
# it refers to) do not match their scan row's counts, references to no snapshot, and rows of
# no listed snapshot (nothing when the database holds whole snapshots only)
partial() {
	sqlite3 "$1" "SELECT 'scan ' || s.id FROM (SELECT *, coalesce(same_as, id) AS r FROM scan) s
		WHERE s.n_ifaces != (SELECT count(*) FROM iface i WHERE i.scan_id = s.r)
		   OR s.n_netns != (SELECT count(*) FROM netns n WHERE n.scan_id = s.r)
		   OR s.n_edges != (SELECT count(*) FROM edge e WHERE e.scan_id = s.r)
		   OR s.n_unresolved != (SELECT count(*) FROM unresolved u WHERE u.scan_id = s.r);
		SELECT 'scan ' || id || ' refers to no snapshot' FROM scan
		 WHERE same_as IS NOT NULL AND same_as NOT IN (SELECT id FROM scan);
		SELECT DISTINCT 'orphan netns rows of ' || scan_id FROM netns WHERE scan_id NOT IN (SELECT id FROM scan);
		SELECT DISTINCT 'orphan iface rows of ' || scan_id FROM iface WHERE scan_id NOT IN (SELECT id FROM scan);
		SELECT DISTINCT 'orphan edge rows of ' || scan_id FROM edge WHERE scan_id NOT IN (SELECT id FROM scan);" 2>&1 |
		tr '\n' ' ' | sed 's/ $//'
}
integrity() { sqlite3 "$1" 'PRAGMA integrity_check' 2>&1 | tr '\n' ' ' | sed 's/ $//'; }
now_us() { echo $(($(date +%s%N) / 1000)); }
usleep_() { sleep "$(printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)))"; }

# ---- 1. SIGKILL at 50 random points, 200 namespaces of ours ----------------------------------
note "section 1 at $SECONDS s"
NBIG=200
del_many() {
	local i
	for i in $(seq 1 $NBIG); do echo "netns del ${PFX}m$i"; done >"$TMP/del.batch"
	ip -force -batch "$TMP/del.batch" >/dev/null 2>&1
	NSBIG=0
}
for i in $(seq 1 $NBIG); do echo "netns add ${PFX}m$i"; done >"$TMP/add.batch"
for i in $(seq 1 $NBIG); do for j in 1 2 3 4 5; do
	echo "link add a$j netns ${PFX}m$i type veth peer name b$j netns ${PFX}m$i"
done; done >"$TMP/links.batch"
NSBIG=1
ip -batch "$TMP/add.batch" >/dev/null 2>&1 && ip -batch "$TMP/links.batch" >/dev/null 2>&1 ||
	{ not_ok "fixture: $NBIG namespaces with 5 veth pairs each" "ip -batch failed"; exit 1; }
KDB=$TMP/kill.db
durs=()
for i in 1 2 3; do
	t0=$(now_us)
	"$VETHMAP" scan --db "$KDB" >/dev/null 2>"$TMP/k0.err" ||
		{ not_ok "fixture: baseline scan $i" "$(errtext "$TMP/k0.err")"; exit 1; }
	durs+=($(($(now_us) - t0)))
done
DUR=$(printf '%s\n' "${durs[@]}" | sort -n | sed -n 2p)	# the median of three
[ "$DUR" -gt 1000000 ] && { note "scans take $DUR us here (a loaded machine): kills within 1 s"; DUR=1000000; }
BASE=$(listed "$KDB")
check_eq "kill: baseline snapshots listed" "1 2 3" "$BASE"
nif=$(sqlite3 "$KDB" 'SELECT n_ifaces FROM scan WHERE id = 3' 2>/dev/null)
check "kill: baseline holds our $NBIG namespaces' interfaces ($nif)" test "${nif:-0}" -ge $((NBIG * 11))
check_eq "kill: baseline has no partial snapshot (the check itself holds)" "" "$(partial "$KDB")"
SIG=$(sig "$KDB" 3)
nsnap=3
note "typical scan: $DUR us (runs ${durs[*]})"

killed=0 finished=0 walled=0 late=0 bad_open="" bad_int="" bad_base="" bad_part="" bad_done="" bad_ids=""
for i in $(seq 1 50); do
	d=$(( ($(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % 1000) * DUR / 1000 ))
	"$VETHMAP" scan --db "$KDB" --json >"$TMP/k.json" 2>"$TMP/k.err" &
	k=$!
	usleep_ "$d"
	kill -KILL $k 2>/dev/null
	wait $k 2>/dev/null; rc=$?
	[ -s "$KDB-wal" ] && walled=$((walled + 1))	# it died after the first WAL frame was written
	# the first to open the database after the kill: vethmap itself
	"$VETHMAP" scans --db "$KDB" --json >"$TMP/ks.json" 2>"$TMP/ks.err"; src=$?
	ids=$(jq -r '[.[].id] | join(" ")' "$TMP/ks.json" 2>/dev/null)
	if [ $src -ne 0 ]; then
		[ -z "$bad_open" ] && bad_open="run $i (delay $d us): exit $src: $(errtext "$TMP/ks.err")"
	fi
	if [ $rc -eq 137 ]; then
		killed=$((killed + 1))
		[ "$(echo "$ids" | wc -w)" -gt "$nsnap" ] && late=$((late + 1))
	elif [ $rc -eq 0 ]; then
		finished=$((finished + 1))
		id=$(jq -r .scan.id "$TMP/k.json" 2>/dev/null)
		case " $ids " in
		*" $id "*) ;;
		*) [ -z "$bad_done" ] && bad_done="run $i (delay $d us): finished as snapshot [$id], not listed [$ids]" ;;
		esac
	else
		[ -z "$bad_done" ] && bad_done="run $i (delay $d us): exit $rc: $(errtext "$TMP/k.err")"
	fi
	nsnap=$(echo "$ids" | wc -w)
	r=$(integrity "$KDB")
	[ "$r" != ok ] && [ -z "$bad_int" ] && bad_int="run $i (delay $d us): $r"
	case " $ids " in
	" $BASE "*) ;;
	*) [ -z "$bad_base" ] && bad_base="run $i (delay $d us): listed [$ids]" ;;
	esac
	r=$(sig "$KDB" 3)
	[ "$r" != "$SIG" ] && [ -z "$bad_base" ] && bad_base="run $i (delay $d us): snapshots 1-3 changed"
	r=$(partial "$KDB")
	[ -n "$r" ] && [ -z "$bad_part" ] && bad_part="run $i (delay $d us): $r"
	r=$(sqlite3 "$KDB" 'SELECT group_concat(id, " ") FROM (SELECT id FROM scan ORDER BY id)' 2>&1)
	[ "$r" != "$ids" ] && [ -z "$bad_ids" ] && bad_ids="run $i (delay $d us): scans lists [$ids], table holds [$r]"
done
note "50 kills: $killed killed ($walled left WAL frames behind, $late after their commit), $finished finished first; $(listed "$KDB" | wc -w) snapshots now"
check "kill: some of the 50 runs were killed mid-scan ($killed)" test $killed -ge 10
check_eq "kill: after every kill, 'vethmap scans' opens the database" "" "$bad_open"
check_eq "kill: after every kill, PRAGMA integrity_check is ok" "" "$bad_int"
check_eq "kill: after every kill, snapshots 1-3 keep their ids and rows" "" "$bad_base"
check_eq "kill: after every kill, no partial snapshot (row counts match n_netns/n_ifaces/n_edges/n_unresolved)" "" "$bad_part"
check_eq "kill: after every kill, 'scans' lists exactly the snapshots stored" "" "$bad_ids"
check_eq "kill: every run that finished (exit 0) is stored" "" "$bad_done"
"$VETHMAP" scan --db "$KDB" --json >"$TMP/k.json" 2>"$TMP/k.err"; rc=$?
check_eq "kill: a scan afterwards succeeds$(why "$TMP/k.err")" 0 "$rc"
check_eq "kill: it is the latest snapshot" "$(listed "$KDB" | awk '{print $NF}')" "$(jq -r .scan.id "$TMP/k.json" 2>/dev/null)"
check_eq "kill: no foreign key violation" "" "$(sqlite3 "$KDB" 'PRAGMA foreign_key_check' 2>&1)"
del_many
note "section 1 done at $SECONDS s"

# ---- a small database of our own with three snapshots, for the rest ---------------------------
ns_add x
ip -n "${PFX}x" link add eth0 type veth peer name eth1 || { not_ok "fixture: veth in ${PFX}x" "ip failed"; exit 1; }
SRC=$TMP/src.db
for i in 1 2 3; do
	"$VETHMAP" scan --db "$SRC" >/dev/null 2>"$TMP/s.err" || { not_ok "fixture: scan $i into src.db" "$(errtext "$TMP/s.err")"; exit 1; }
done
SRCSIG=$(sig "$SRC" 3)

# ---- 2. database on a full filesystem --------------------------------------------------------
note "section 2 at $SECONDS s"
MNT=$TMP/mnt
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=8m,mode=0700 "${PFX}full" "$MNT"; then
	not_ok "full: mount a tmpfs" "mount failed"
else
	MNTS+=("$MNT")
	F=$MNT/v.db
	# fill_to FREE_BYTES: fill the tmpfs until about that many bytes are left
	fill_to() {	# (only our tmpfs: never the disk under it)
		local avail
		[ "$(findmnt -n -o SOURCE "$MNT" 2>/dev/null)" = "${PFX}full" ] ||
			{ not_ok "fixture: $MNT is our tmpfs" "it is not mounted: nothing filled"; exit 1; }
		rm -f "$MNT/fill" "$MNT/fill2"
		avail=$(df -B1 --output=avail "$MNT" | tail -n1 | tr -d ' ')
		[ "$avail" -gt 8388608 ] && { not_ok "fixture: $MNT is our 8 MiB tmpfs" "$avail bytes free"; exit 1; }
		[ "$avail" -gt "$1" ] &&
			dd if=/dev/zero of="$MNT/fill" bs=4096 count=$(( (avail - $1) / 4096 )) 2>/dev/null
		[ "$1" = 0 ] && dd if=/dev/zero of="$MNT/fill2" bs=4096 count=2048 2>/dev/null	# every last page
		return 0
	}
	for free in 40k 0; do
		rm -f "$MNT"/v.db*
		cp "$SRC" "$F"
		bytes=${free%k}; [ "$free" != 0 ] && bytes=$((bytes * 1024))
		fill_to "$bytes"
		L="full ($free left)"
		note "$L: $(df -B1 --output=avail "$MNT" | tail -n1 | tr -d ' ') bytes free"
		"$VETHMAP" scan --db "$F" >"$TMP/f.out" 2>"$TMP/f.err"; rc=$?
		fails "$L: scan" "$F" "$rc" "$TMP/f.err"
		check "$L: the line says the disk is full$(why "$TMP/f.err")" \
			grep -qiE 'full|no space' <(grep -v '^vethmap: warning:' "$TMP/f.err" | sed "s|$F||g")
		# the file opens while the filesystem is still full
		"$VETHMAP" scans --db "$F" --json >"$TMP/f.json" 2>"$TMP/f2.err"; rc=$?
		check_eq "$L: 'vethmap scans' opens it while still full: exit 0$(why "$TMP/f2.err")" 0 "$rc"
		check_eq "$L: ... and lists the earlier snapshots" "1 2 3" "$(jq -r '[.[].id] | join(" ")' "$TMP/f.json" 2>/dev/null)"
		rm -f "$MNT/fill" "$MNT/fill2"
		check_eq "$L: once space is back, 'scans' lists the earlier snapshots" "1 2 3" "$(listed "$F")"
		check_eq "$L: integrity_check" ok "$(integrity "$F")"
		check_eq "$L: earlier snapshots unchanged" "$SRCSIG" "$(sig "$F" 3)"
		check_eq "$L: no partial snapshot" "" "$(partial "$F")"
		"$VETHMAP" scan --db "$F" >/dev/null 2>"$TMP/f.err"
		check_eq "$L: once space is back, a scan is stored$(why "$TMP/f.err")" "1 2 3 4" "$(listed "$F")"
	done
	umount "$MNT" || umount -l "$MNT"
fi

# ---- 3. read-only database ----------------------------------------------------------------------
note "section 3 at $SECONDS s"
ro_case() {	# ro_case LABEL DBFILE: the file cannot be written; nothing may change
	local L=$1 f=$2 rc
	cp "$SRC" "$TMP/ro.orig"
	"$VETHMAP" scan --db "$f" >"$TMP/r.out" 2>"$TMP/r.err"; rc=$?
	fails "$L: scan" "$f" "$rc" "$TMP/r.err"
	check "$L: file unchanged" cmp -s "$f" "$TMP/ro.orig"
	check_eq "$L: 'scans' still opens it" "1 2 3" "$(listed "$f")"
	"$VETHMAP" show --db "$f" --json >"$TMP/r.json" 2>"$TMP/r2.err"
	check_eq "$L: 'show' still reads the latest snapshot$(why "$TMP/r2.err")" 3 "$(jq -r .scan.id "$TMP/r.json" 2>/dev/null)"
}
RO=$TMP/ro
mkdir -p "$RO"
cp "$SRC" "$RO/v.db"
if mount --bind "$RO" "$RO" && MNTS+=("$RO") && mount -o remount,bind,ro "$RO"; then
	ro_case "read-only bind mount" "$RO/v.db"
	"$VETHMAP" scan --db "$RO/new.db" >/dev/null 2>"$TMP/r.err"; rc=$?
	fails "read-only bind mount, new database" "$RO/new.db" "$rc" "$TMP/r.err"
	umount "$RO" || umount -l "$RO"
else
	not_ok "fixture: read-only bind mount" "mount failed"
fi
IM=$TMP/imm.db
cp "$SRC" "$IM"
if chattr +i "$IM" 2>/dev/null; then
	IMMUTABLE+=("$IM")
	ro_case "chattr +i" "$IM"
	chattr -i "$IM"
	check_eq "chattr +i: earlier snapshots unchanged" "$SRCSIG" "$(sig "$IM" 3)"
else
	skip "chattr +i" "not supported on $(stat -f -c %T "$TMP")"
fi

# ---- 4. locked by another writer for longer than the busy timeout --------------------------------
note "section 4 at $SECONDS s"
LK=$TMP/lock.db
cp "$SRC" "$LK"
python3 - "$LK" "$TMP/locked" <<'EOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN EXCLUSIVE")
c.execute("SELECT count(*) FROM scan").fetchall()
open(sys.argv[2], "w").close()
time.sleep(8)
c.execute("ROLLBACK")
c.close()
EOF
HOLDER=$!
if wait_for 20 test -e "$TMP/locked"; then
	t0=$(now_us)
	timeout 30 "$VETHMAP" scan --db "$LK" >"$TMP/l.out" 2>"$TMP/l.err"; rc=$?
	el=$(( ($(now_us) - t0) / 1000 ))
	holder_alive=$(kill -0 $HOLDER 2>/dev/null && echo yes)
	fails "locked" "$LK" "$rc" "$TMP/l.err"
	check "locked: the line says locked" grep -qi locked "$TMP/l.err"
	check "locked: gave up after the 5 s busy timeout, before the lock went away ($el ms)" \
		test "$el" -ge 4500 -a "$el" -lt 8000
	check_eq "locked: the other writer still held the lock then" yes "$holder_alive"
	wait $HOLDER
	check_eq "locked: the holder ended cleanly" 0 "$?"
	HOLDER=
	check_eq "locked: nothing lost (scans)" "1 2 3" "$(listed "$LK")"
	check_eq "locked: earlier snapshots unchanged" "$SRCSIG" "$(sig "$LK" 3)"
	check_eq "locked: integrity_check" ok "$(integrity "$LK")"
	"$VETHMAP" scan --db "$LK" >/dev/null 2>"$TMP/l.err"
	check_eq "locked: once free, a scan is stored$(why "$TMP/l.err")" "1 2 3 4" "$(listed "$LK")"
else
	not_ok "fixture: python3 holds BEGIN EXCLUSIVE" "it never said so"
fi

# ---- 5. truncated copies, files that are not SQLite ------------------------------------------------
note "section 5 at $SECONDS s"
# bad_file LABEL FILE CMD...: every command exits 1 with one line on stderr naming FILE,
# prints nothing on stdout, leaves FILE unchanged; the writer (scan) leaves no -wal/-journal
bad_file() {
	local L=$1 f=$2 c rc got want; shift 2
	cp "$f" "$TMP/bad.orig"
	for c in "$@"; do
		# shellcheck disable=SC2086  # "ls --stored" is two words
		"$VETHMAP" $c --db "$f" >"$TMP/b.out" 2>"$TMP/b.err"; rc=$?
		got="exit $rc, $(nerr "$TMP/b.err") line(s) on stderr"
		grep -qF -- "$f" "$TMP/b.err" && got="$got naming the file"
		got="$got, $(wc -c <"$TMP/b.out") bytes on stdout"
		cmp -s "$f" "$TMP/bad.orig" && got="$got, file unchanged" || got="$got, FILE CHANGED"
		want="exit 1, 1 line(s) on stderr naming the file, 0 bytes on stdout, file unchanged"
		if [ "$c" = scan ]; then
			want="$want, no -wal/-journal"
			if [ -e "$f-wal" ] || [ -e "$f-journal" ]; then got="$got, -wal/-journal left"
			else got="$got, no -wal/-journal"
			fi
		fi
		check_eq "$L: $c$(why "$TMP/b.err")" "$want" "$got"
	done
}
ALL=(scan scans show graph report diff "ls --stored")
sz=$(stat -c %s "$SRC")
cp "$SRC" "$TMP/half.db"
truncate -s $((sz / 2)) "$TMP/half.db"
bad_file "truncated to half ($((sz / 2)) of $sz bytes)" "$TMP/half.db" "${ALL[@]}"
cp "$SRC" "$TMP/page.db"
truncate -s 4096 "$TMP/page.db"
bad_file "truncated to its first page" "$TMP/page.db" "${ALL[@]}"
{ printf 'SQLite format 3\0'; head -c 16368 /dev/urandom; } >"$TMP/magic.db"
bad_file "SQLite magic, then garbage" "$TMP/magic.db" "${ALL[@]}"
gzip -c "$SRC" >"$TMP/gz.db"
bad_file "gzip of a database" "$TMP/gz.db" scan scans show graph report
{ printf '\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a\x01\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\x1c\x00\x00\x00'; } >"$TMP/cap.db"
bad_file "a pcapng file" "$TMP/cap.db" scan scans show graph report
check_eq "the source database is untouched by all this" "$SRCSIG" "$(sig "$SRC" 3)"
note "done at $SECONDS s"
