#!/bin/bash
# Least privilege: scan, ls and cap as root without CAP_SYS_ADMIN, CAP_SYS_PTRACE or
# CAP_NET_RAW (capsh --drop); ls as nobody; the readers (show, graph, report, diff, scans,
# ls --stored) with no capability at all, as root and as nobody, in a directory nobody may
# write to and one it may not (then SQLite's WAL index cannot be made: the file is read as
# immutable), also a copy that has its -wal beside it; what a capture still holds once it has
# dropped to nobody (no namespace fd, no file but its output and the database); file modes
# under umask 0; and hostile names (netns, interfaces, arguments) that must never reach a
# shell or a format string.
# (t_scan_robust.sh covers scan and show as nobody; t_cap_errors.sh covers cap as nobody and
# the Uid/Gid/CapEff/CapPrm of the default capture; this extends those.)
# shellcheck disable=SC2016  # every $ and ` in a hostile name is literal on purpose
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap
for t in capsh setpriv sqlite3 python3 jq tshark busybox; do
	command -v $t >/dev/null || { skip "${0##*/}" "needs $t"; exit 0; }
done

errtext() { head -c 300 "$1" | tr '\n' '|'; }
why() { [ -s "$1" ] && printf ' (%s)' "$(errtext "$1")"; return 0; }
nerr() { grep -vc '^vethmap: warning:' "$1"; }
asnobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# dropping CAPS: run CMD as root with CAPS gone from the bounding set, so from every set
# once the shell capsh starts execs CMD
dropping() { capsh --drop="$1" -- -c 'exec "$0" "$@"' "${@:2}"; }
fixture_fail() { not_ok "fixture: $1" "${2:-failed}"; exit 1; }
NOBODY_GID=$(id -g nobody 2>/dev/null || echo 65534)

chmod 711 "$TMP"	# nobody may pass through, not list
asnobody test -x "$VETHMAP" || { skip "${0##*/}" "$VETHMAP not executable by nobody"; exit 0; }

X=$(($(od -An -N1 -tu1 /dev/urandom | tr -d ' ') % 200 + 20))
NET=10.253.$X
for n in a b; do ns_add $n; done
ip -n "${PFX}a" link add va type veth peer name vb netns "${PFX}b" &&
	ip -n "${PFX}a" addr add "$NET.1/24" dev va && ip -n "${PFX}b" addr add "$NET.2/24" dev vb &&
	ip -n "${PFX}a" link set va up && ip -n "${PFX}b" link set vb up || fixture_fail "veth a-b"
"$VETHMAP" scan --db "$DB" >/dev/null 2>"$TMP/s.err" || fixture_fail "scan 1" "$(errtext "$TMP/s.err")"
ns_add c	# a change for diff
ip -n "${PFX}c" link add vc type veth peer name vd || fixture_fail "veth in c"
"$VETHMAP" scan --db "$DB" >/dev/null 2>"$TMP/s.err" || fixture_fail "scan 2" "$(errtext "$TMP/s.err")"

# ---- 1. scan, ls, cap without one capability each -----------------------------------------------
note "section 1 at $SECONDS s"
for c in cap_sys_admin cap_sys_ptrace cap_net_raw; do
	dropping $c capsh --has-p=$c >/dev/null 2>&1 &&
		fixture_fail "capsh --drop=$c" "$c still permitted after the drop"
done
dropping cap_sys_admin capsh --has-p=cap_sys_ptrace >/dev/null 2>&1 ||
	fixture_fail "capsh --drop=cap_sys_admin" "took the others too"
for c in cap_sys_admin cap_sys_ptrace cap_net_raw; do
	C=${c^^}
	for cmd in scan ls cap; do
		out=$TMP/m-$c-$cmd
		case $cmd in
		scan) args=(scan --db "$out.db") need=$([ $c != cap_net_raw ] && echo y) ;;
		ls) args=(ls) need=$([ $c != cap_net_raw ] && echo y) ;;
		cap) args=(cap --db "$DB" "${PFX}a" -d 1 -w "$out.pcapng") need=y ;;
		esac
		timeout 60 capsh --drop=$c -- -c 'exec "$0" "$@"' "$VETHMAP" "${args[@]}" >"$out.out" 2>"$out.err"
		rc=$?
		if [ -n "$need" ]; then
			got="exit $rc, $(nerr "$out.err") line(s) on stderr"
			grep -q "$C" "$out.err" && got="$got naming $C"
			o=$(grep -o 'CAP_[A-Z_]*' "$out.err" | grep -vx "$C" | sort -u | xargs)
			[ -n "$o" ] && got="$got and $o"
			got="$got, $(wc -c <"$out.out") bytes on stdout"
			[ -e "$out.db" ] && got="$got, created the database"
			[ -e "$out.pcapng" ] && got="$got, created the capture file"
			check_eq "without $C: $cmd refuses$(why "$out.err")" \
				"exit 1, 1 line(s) on stderr naming $C, 0 bytes on stdout" "$got"
		else
			check_eq "without $C: $cmd does not need it, exit 0$(why "$out.err")" 0 "$rc"
		fi
	done
done
asnobody "$VETHMAP" ls >"$TMP/nl.out" 2>"$TMP/nl.err"; rc=$?
got="exit $rc, $(nerr "$TMP/nl.err") line(s) on stderr"
grep -qE 'CAP_[A-Z_]+' "$TMP/nl.err" && got="$got naming a capability"
check_eq "not root: ls refuses$(why "$TMP/nl.err")" "exit 1, 1 line(s) on stderr naming a capability" "$got"
asnobody "$VETHMAP" ls --stored --db "$DB" >/dev/null 2>"$TMP/nl.err"; rc=$?
check_eq "not root: ls --stored of a database nobody cannot read: exit 1$(why "$TMP/nl.err")" 1 "$rc"

# ---- 2. the readers with no capability ----------------------------------------------------------
note "section 2 at $SECONDS s"
READERS=("scans" "scans --json" "show" "show --json" "show --scan 1" "graph" "graph -T svg"
	"graph --focus ${PFX}a" "report" "diff" "diff --json" "ls --stored")
# reference output, as root with every capability
i=0
for r in "${READERS[@]}"; do
	# shellcheck disable=SC2086  # each reader is a command line
	"$VETHMAP" $r --db "$DB" >"$TMP/ref.$i" 2>"$TMP/ref.err" || fixture_fail "$r as root" "$(errtext "$TMP/ref.err")"
	i=$((i + 1))
done
grep -q "${PFX}c" "$TMP/ref.$((${#READERS[@]} - 3))" || fixture_fail "diff shows the new namespace ${PFX}c"
dropping all capsh --has-p=cap_dac_override >/dev/null 2>&1 && fixture_fail "capsh --drop=all" "caps left"

# readers_as LABEL DBFILE RUNNER...: each reader exits 0 with the root output and no error
readers_as() {
	local L=$1 f=$2 r i=0 rc bad=""; shift 2
	for r in "${READERS[@]}"; do
		# shellcheck disable=SC2086
		"$@" "$VETHMAP" $r --db "$f" >"$TMP/rd.out" 2>"$TMP/rd.err"; rc=$?
		if [ $rc -ne 0 ]; then bad="$bad [$r: exit $rc: $(errtext "$TMP/rd.err")]"
		elif ! cmp -s "$TMP/rd.out" "$TMP/ref.$i"; then bad="$bad [$r: output differs from root's]"
		elif [ "$(nerr "$TMP/rd.err")" != 0 ]; then bad="$bad [$r: stderr $(errtext "$TMP/rd.err")]"
		fi
		i=$((i + 1))
	done
	check_eq "$L: ${#READERS[@]} readers exit 0 with root's output" "" "$bad"
}
readers_as "root, no capability at all" "$DB" capsh --drop=all -- -c 'exec "$0" "$@"'

NBW=$TMP/nbw NBR=$TMP/nbr
mkdir -p "$NBW" "$NBR"
chown nobody: "$NBW"; chmod 700 "$NBW"
chmod 755 "$NBR"	# root's: nobody reads, cannot create the WAL index
cp "$DB" "$NBW/v.db"; cp "$DB" "$NBR/v.db"
chown nobody: "$NBW/v.db" "$NBR/v.db"
chmod 600 "$NBW/v.db" "$NBR/v.db"
readers_as "nobody, its copy in a directory it may write" "$NBW/v.db" asnobody
cp "$NBR/v.db" "$TMP/nbr.orig"
readers_as "nobody, its copy in a directory it may not write" "$NBR/v.db" asnobody
check "nobody, unwritable directory: file unchanged" cmp -s "$NBR/v.db" "$TMP/nbr.orig"
check_eq "nobody, unwritable directory: nothing created beside it" "v.db" "$(find "$NBR" -mindepth 1 -printf '%f\n' | sort | xargs)"

# A copy taken with its -wal (the last snapshot committed there, not yet in the main file),
# in a directory nobody may not write: reading it as immutable would silently show an older
# database.  Every committed snapshot must be listed, or the read refused with one line.
W=$TMP/w.db
cp "$DB" "$W"
python3 - "$W" "$TMP/w.ready" <<'EOF' &
import sqlite3, sys, time, os
c = sqlite3.connect(sys.argv[1])	# an open connection keeps the last closer from checkpointing
c.execute("SELECT count(*) FROM scan").fetchall()
open(sys.argv[2], "w").close()
for _ in range(200):
    if os.path.exists(sys.argv[2] + ".done"): break
    time.sleep(0.05)
EOF
HOLD=$!
bg_pid $HOLD
if wait_for 20 test -e "$TMP/w.ready"; then
	"$VETHMAP" scan --db "$W" >/dev/null 2>"$TMP/w.err" || not_ok "fixture: scan into w.db" "$(errtext "$TMP/w.err")"
	WR=$TMP/wr
	mkdir -p "$WR"; chmod 755 "$WR"
	cp "$W" "$WR/v.db"; cp "$W-wal" "$WR/v.db-wal" 2>/dev/null
	touch "$TMP/w.ready.done"
	wait $HOLD
	chown nobody: "$WR"/v.db*
	walsz=$(stat -c %s "$WR/v.db-wal" 2>/dev/null || echo none)
	if [ "$walsz" = none ] || [ "$walsz" = 0 ]; then
		skip "copy with its -wal" "the scan left no WAL frames to copy ($walsz)"
	else
		want=$(sqlite3 "$W" 'SELECT group_concat(id, " ") FROM (SELECT id FROM scan ORDER BY id)')
		asnobody "$VETHMAP" scans --db "$WR/v.db" --json >"$TMP/wr.json" 2>"$TMP/wr.err"; rc=$?
		got=$(jq -r '[.[].id] | join(" ")' "$TMP/wr.json" 2>/dev/null)
		if [ $rc -eq 0 ]; then
			check_eq "nobody, copy with its -wal ($walsz bytes) in an unwritable directory: every committed snapshot listed" "$want" "$got"
		else
			check_eq "nobody, copy with its -wal in an unwritable directory: refused with one line$(why "$TMP/wr.err")" \
				"1 1" "$rc $(nerr "$TMP/wr.err")"
		fi
	fi
else
	kill $HOLD 2>/dev/null; wait $HOLD 2>/dev/null
	not_ok "fixture: python3 holds w.db open" "it never said so"
fi

# ---- 3. what a capture holds once it runs as nobody ------------------------------------------------
note "section 3 at $SECONDS s"
# cap_probe LABEL ARGS...: vethmap cap ${PFX}a -d 3 ARGS with every fd above 2 closed first;
# once it runs as nobody, its /proc status and fds
cap_probe() {
	local L=$1 p c fd l bad_ns="" bad_f="" st rc; shift
	local out=$TMP/probe.pcapng
	rm -f "$out"
	(
		for fd in "/proc/$BASHPID/fd/"*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done
		exec "$VETHMAP" cap --db "$DB" "${PFX}a" -d 3 -w "$out" "$@" >"$TMP/probe.out" 2>"$TMP/probe.err"
	) &
	p=$!
	bg_pid $p
	_probe_ready() { grep -Eq '^Uid:[[:space:]]+65534[[:space:]]' "/proc/$(cap_child "$p")/status"; }
	if ! wait_for 60 _probe_ready; then
		not_ok "$L: capture runs as nobody" "not after 60 s$(why "$TMP/probe.err")"
		wait $p
		return
	fi
	sleep 0.3
	c=$(cap_child "$p")	# the capturing process
	st=$(cat "/proc/$c/status" 2>/dev/null)
	for fd in "/proc/$c/fd/"*; do
		l=$(readlink "$fd" 2>/dev/null) || continue
		fd=${fd##*/}
		case $l in
		net:\[*\] | mnt:\[*\] | pid:\[*\] | pid_for_children:\[*\] | user:\[*\] | uts:\[*\] | ipc:\[*\] | cgroup:\[*\] | time:\[*\] | time_for_children:\[*\])
			bad_ns="$bad_ns $fd->$l" ;;
		socket:\[*\] | anon_inode:* | pipe:\[*\]) ;;
		"$DB" | "$DB-wal" | "$DB-shm" | "$out" | "$TMP/.probe.pcapng."??????) ;;	# the new file beside -w
		*) [ "$fd" -gt 2 ] && bad_f="$bad_f $fd->$l" ;;
		esac
	done
	check_eq "$L: no fd on a namespace" "" "$bad_ns"
	check_eq "$L: no fd on a file but its output and the database (-wal, -shm)" "" "$bad_f"
	f4() { printf '%s\n' "$st" | awk -v k="$1:" '$1 == k {print $2, $3, $4, $5}'; }
	f1() { printf '%s\n' "$st" | awk -v k="$1:" '$1 == k {print $2}'; }
	if [ "$L" != "default" ]; then	# the default one: t_cap_errors.sh
		check_eq "$L: Uid all nobody" "65534 65534 65534 65534" "$(f4 Uid)"
		check_eq "$L: Gid all nobody's" "$NOBODY_GID $NOBODY_GID $NOBODY_GID $NOBODY_GID" "$(f4 Gid)"
		check_eq "$L: CapEff/CapPrm empty" "0000000000000000 0000000000000000" "$(f1 CapEff) $(f1 CapPrm)"
	fi
	check_eq "$L: CapInh/CapAmb empty (nothing to pass on)" "0000000000000000 0000000000000000" "$(f1 CapInh) $(f1 CapAmb)"
	wait $p; rc=$?
	check_eq "$L: exit 0$(why "$TMP/probe.err")" 0 "$rc"
}
cap_probe default
cap_probe "--host-side" --host-side
cap_probe "--both-ends" --both-ends

# ---- 4. modes of what scan creates -------------------------------------------------------------
note "section 4 at $SECONDS s"
M=$TMP/modes
mkdir -p "$M"
gw="" gs="" gd=""
for try in $(seq 1 40); do
	f=$M/m$try.db
	(umask 0; exec "$VETHMAP" scan --db "$f" >/dev/null 2>&1) &
	p=$!
	for _ in $(seq 1 20000); do	# catch -wal and -shm while the scan has them
		[ -z "$gw" ] && [ -e "$f-wal" ] && gw=$(stat -c %a "$f-wal" 2>/dev/null)
		[ -z "$gs" ] && [ -e "$f-shm" ] && gs=$(stat -c %a "$f-shm" 2>/dev/null)
		[ -n "$gw" ] && [ -n "$gs" ] && break
		kill -0 $p 2>/dev/null || break
	done
	wait $p
	[ -z "$gd" ] && gd=$(stat -c %a "$f" 2>/dev/null)
	[ -n "$gw" ] && [ -n "$gs" ] && break
done
check_eq "umask 0: new database is 0600" 600 "$gd"
if [ -n "$gw" ]; then check_eq "umask 0: its -wal is 0600" 600 "$gw"; else skip "umask 0: -wal mode" "never caught it in 40 scans"; fi
if [ -n "$gs" ]; then check_eq "umask 0: its -shm is 0600" 600 "$gs"; else skip "umask 0: -shm mode" "never caught it in 40 scans"; fi
if [ -d /var/lib/vethmap ] && [ ! -L /var/lib/vethmap ]; then
	check_eq "default directory /var/lib/vethmap is 0700" 700 "$(stat -c %a /var/lib/vethmap)"
else
	skip "default directory mode" "/var/lib/vethmap does not exist here"
fi

# ---- 5. hostile names and arguments ----------------------------------------------------------------
note "section 5 at $SECONDS s"
# Interface names may hold $ ( ) ` ; but no space, / or % (the kernel takes % for a %d
# template); netns names may hold all of them but /.  Commands named ${PFX}p1..3 on PATH
# mark a name run as a shell command; every marker is $TMP/pwned*.  Runs are from $TMP, so
# a relative "touch pwned" would land there too.
BIN=$TMP/bin
mkdir -p "$BIN"
for k in 1 2 3; do
	printf '#!/bin/sh\ntouch %s/pwned-p%s\n' "$TMP" "$k" >"$BIN/${PFX}p$k"
	chmod 755 "$BIN/${PFX}p$k"
done
FMT='%n%s%x%n%s%s'
N1="${PFX}"'$(touch pwned)' N2="${PFX}"';touch pwned2' N3="${PFX}"'`touch pwned3`' N4="${PFX}$FMT"
for n in "$N1" "$N2" "$N3" "$N4"; do ns_add "${n#"$PFX"}"; done
I1='$('"${PFX}"'p1)' I2='`'"${PFX}"'p2`' I3=';'"${PFX}"'p3;'
ip -n "$N4" link add "$I1" type veth peer name "$I2" netns "$N1" &&
	ip -n "$N4" link add "$I3" type veth peer name eth0 netns "$N2" &&
	ip -n "$N4" link set "$I1" up && ip -n "$N4" link set "$I3" up &&
	ip -n "$N1" link set "$I2" up && ip -n "$N2" link set eth0 up ||
	fixture_fail "hostile interface names"
export PATH="$BIN:$PATH"
export VETHMAP_DATADIR=$PWD/reports	# report.xsl, for --format html (runs are from $TMP)
HDB=$TMP/h.db
crashes=""
# run NAME WANT_RC ARGS...: vethmap ARGS from $TMP; a crash (signal, sanitizer) or another
# exit status is a failure
run() {
	local name=$1 want=$2 rc; shift 2
	(cd "$TMP" && exec timeout 60 "$VETHMAP" "$@") >"$TMP/h.out" 2>"$TMP/h.err"; rc=$?
	if [ $rc -ge 124 ] || grep -qE 'AddressSanitizer|runtime error|Segmentation|stack smashing' "$TMP/h.err"; then
		crashes="$crashes [$name: exit $rc $(errtext "$TMP/h.err")]"
	fi
	check_eq "hostile: $name: exit $want$(why "$TMP/h.err")" "$want" "$rc"
}
has() { grep -qF -- "$2" "$1"; }	# has FILE TEXT
run "scan" 0 scan --db "$HDB"
check "hostile: scan prints the netns name as it is" has "$TMP/h.out" "/run/netns/$N4"
check "hostile: scan prints the interface names as they are" has "$TMP/h.out" "$N4:$I1"
run "scan --json" 0 scan --db "$HDB" --json
check_eq "hostile: JSON has the names as they are" "$N4 $I1 $I3" \
	"$(jq -r --arg n "/run/netns/$N4" '. as $r | [$r.netns[] | select(any(.names[]?; . == $n)) | .inode][0] as $i |
		[$n[11:]] + ([$r.interfaces[] | select(.netns == $i and .name != "lo") | .name] | sort) | join(" ")' "$TMP/h.out" 2>&1)"
run "show" 0 show --db "$HDB"
check "hostile: show prints them as they are" has "$TMP/h.out" "$N1:$I2"
run "ls" 0 ls
run "ls --stored" 0 ls --stored --db "$HDB"
run "graph" 0 graph --db "$HDB"
check "hostile: DOT has the names" has "$TMP/h.out" "$I1"
G="$TMP/g$FMT"'$(touch pwned).svg'
run "graph -T svg -o <hostile path>" 0 graph --db "$HDB" -T svg -o "$G"
check "hostile: the svg is where -o said" test -s "$G"
run "graph --focus <netns with %n>" 0 graph --db "$HDB" --focus "$N4"
check "hostile: focused DOT has the names" has "$TMP/h.out" "$I3"
run "graph --focus \$(touch ...)" 0 graph --db "$HDB" --focus "$N1"
run "graph --focus <unknown, %n>" 2 graph --db "$HDB" --focus "$FMT"'$(touch pwned)'
check "hostile: the unknown focus is quoted as it is" has "$TMP/h.err" "$FMT"
R="$TMP/r$FMT"';touch pwned2.xml'
run "report -o <hostile path>" 0 report --db "$HDB" -o "$R"
check "hostile: the report names them" has "$R" "$I1"
run "report --format html" 0 report --db "$HDB" --format html
run "diff" 0 diff --db "$HDB"
run "show --scan <%n>" 2 show --db "$HDB" --scan "$FMT"
run "scans <extra arg>" 2 scans --db "$HDB" '$(touch pwned)'
run "scan --db <hostile relative path>" 0 scan --db "$FMT"'$(touch pwned)'
check "hostile: that database is where --db said" test -s "$TMP/$FMT"'$(touch pwned)'
C="$TMP/c$FMT"'`touch pwned3`.pcapng'
run "cap <netns with %n>" 0 cap --db "$HDB" "$N4" -d 1 -w "$C"
check "hostile: the capture file is where -w said" test -s "$C"
tshark -r "$C" >/dev/null 2>"$TMP/tsh.err"
check_eq "hostile: tshark reads it" 0 "$?"
check "hostile: its comments hold the target as it is" grep -aqF -- "$N4" "$C"
run "cap <netns>:<ifname>" 0 cap --db "$HDB" "$N1:$I2" -d 1
run "cap -i <ifname with \$( )>" 0 cap --db "$HDB" "$N4" -i "$I1" -d 1
run "cap <unknown target, %n>" 2 cap --db "$HDB" "$FMT" -d 1
check "hostile: the unknown target is quoted as it is" has "$TMP/h.err" "$FMT"
run "cap <unknown target, \$( )>" 2 cap --db "$HDB" '$(touch pwned)' -d 1
run "cap -i <%n>" 2 cap --db "$HDB" "$N4" -i "$FMT" -d 1
run "cap <filter with ; and %n>" 2 cap --db "$HDB" "$N4" -d 1 'port' '1;touch' 'pwned2' "$FMT"
check "hostile: the bad filter is quoted as it is" has "$TMP/h.err" "port 1;touch pwned2 $FMT"
run "cap -Z <%n user>" 1 cap --db "$HDB" "$N4" -Z "$FMT" -d 1
check "hostile: the unknown user is quoted as it is" grep -qE -- "(user|'|^)$FMT('|\$| )" "$TMP/h.err"
run "cap -d <%n>" 2 cap --db "$HDB" "$N4" -d "$FMT"
check_eq "hostile: no crash" "" "$crashes"
check_eq "hostile: no name or argument ran as a command (no \$TMP/pwned*)" "" \
	"$(cd "$TMP" && compgen -G 'pwned*' | xargs)"
note "done at $SECONDS s"
