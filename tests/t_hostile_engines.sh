#!/bin/bash
# What a local user (uid 65534 here), or whoever answers on an engine socket, can show a
# root scan, and what vethmap must not believe or do because of it:
#  1. a cgroup delegated to the user, holding lxc.payload.NAME with the user's process (in
#     its own netns): the container is listed, unverified (JSON "verified": false, the
#     table says "(unverified)"), does not name the namespace, and "cap NAME" refuses it as
#     an unknown target;
#  2. a fake Docker API (python3, DOCKER_HOST=unix://...) listing 80000 containers: the
#     scan ends in well under 15 s (it took about 50 s), with one warning counting what was
#     dropped;
#  3. control characters stored in the database (address, unresolved reason, scan time)
#     reach "show" and "scans" escaped (\xNN), never raw;
#  4. report --format html: a stylesheet planted in ./reports is not loaded; a hostile
#     --xsl with document() of a root-only file, or an external entity, gets nothing of it;
#  5. --db: a file the user made (0666, in a 01777 directory), a symlink, a -wal the user
#     made beside root's file, a file writable by others, a directory anyone may write:
#     refused with one line naming the file, the file unchanged.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
for t in jq sqlite3 setpriv unshare findmnt od; do
	command -v "$t" >/dev/null || { skip "${0##*/}" "needs $t"; exit 0; }
done
[ -n "$PY" ] || { skip "${0##*/}" "needs python3"; exit 0; }
export LC_ALL=C
unset DOCKER_HOST CONTAINER_HOST VETHMAP_DATADIR
NOBODY=65534
asuser() { setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$@"; }
errtext() { head -c 300 "$1" | tr '\n' ' '; }

CG2=$(findmnt -n -t cgroup2 -o TARGET | head -n1)
CGS=()		# cgroups we made, innermost last
_he_exit() {
	local rc=$? i
	trap '' INT TERM
	for p in "${_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	_PIDS=()
	for ((i = ${#CGS[@]} - 1; i >= 0; i--)); do
		[ -d "${CGS[i]}" ] && rmdir "${CGS[i]}" 2>/dev/null
	done
	(exit $rc)
	_cleanup
}
trap _he_exit EXIT

# ---- 1. a container name from a user's own cgroup ------------------------------------------
if [ -z "$CG2" ] || [ ! -w "$CG2/cgroup.procs" ]; then
	skip "cgroup forgery" "no writable cgroup2 hierarchy"
else
	DEL=$CG2/${PFX}deleg
	FAKE=$DEL/lxc.payload.${PFX}web
	mkdir "$DEL" && CGS+=("$DEL") && chown $NOBODY:$NOBODY "$DEL" "$DEL/cgroup.procs" ||
		{ not_ok "fixture: delegated cgroup $DEL" "mkdir/chown failed"; exit 1; }
	asuser mkdir "$FAKE" && CGS+=("$FAKE") ||
		{ not_ok "fixture: the user makes $FAKE" "mkdir failed"; exit 1; }
	# the user's process, in a netns of its own; moved by root (the user could only move
	# it with write access to the common ancestor's cgroup.procs: the root cgroup's)
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups unshare -Urn sleep 600 &
	UPID=$!	# (not through asuser: $! would be the function's subshell)
	bg_pid "$UPID"
	own_ns() { [ "$(pid_ns_ino "$UPID")" != "$HOSTNS" ] && [ "$(stat -c %u /proc/$UPID)" = $NOBODY ]; }
	wait_for 5 own_ns || { not_ok "fixture: the user's sleep in its own netns" "not there"; exit 1; }
	echo "$UPID" >"$FAKE/cgroup.procs" ||
		{ not_ok "fixture: move pid $UPID into $FAKE" "write failed"; exit 1; }
	note "pid $UPID: $(grep '^0::' /proc/$UPID/cgroup)"
	UINO=$(pid_ns_ino "$UPID")
	"$VETHMAP" scan --no-store --json >"$TMP/cg.json" 2>"$TMP/cg.err"; rc=$?
	check_eq "cgroup: scan exits 0 ($(errtext "$TMP/cg.err"))" 0 "$rc"
	ctr=$(jq -c --argjson ns "$UINO" --arg n "${PFX}web" \
		'[.netns[] | select(.inode == $ns) | .containers[]? | select(.name == $n)] | .[0] // empty' "$TMP/cg.json")
	check_eq "cgroup: the container is listed, lxc, unverified" 'lxc false' \
		"$(jq -r '"\(.engine) \(.verified)"' <<<"${ctr:-null}" 2>/dev/null)"
	check_eq "cgroup: it does not name the namespace's interfaces" "" \
		"$(jq -r --argjson ns "$UINO" '.interfaces[] | select(.netns == $ns) | .container // empty' "$TMP/cg.json")"
	"$VETHMAP" scan --no-store >"$TMP/cg.txt" 2>&1
	check "cgroup: the table says (unverified)" grep -qF "lxc:${PFX}web(unverified)" "$TMP/cg.txt"
	timeout 20 "$VETHMAP" cap --db "$DB" "${PFX}web" -d 1 -w "$TMP/cg.pcapng" >"$TMP/cap.out" 2>"$TMP/cap.err"; rc=$?
	check_eq "cgroup: cap ${PFX}web: exit 2 ($(errtext "$TMP/cap.err"))" 2 "$rc"
	check "cgroup: cap ${PFX}web: unknown target" grep -q "unknown target '${PFX}web'" "$TMP/cap.err"
	check "cgroup: cap ${PFX}web: no file" test ! -e "$TMP/cg.pcapng"
	kill -KILL "$UPID"; wait "$UPID" 2>/dev/null
fi

# ---- 2. an engine that lists 80000 containers ------------------------------------------------
cat >"$TMP/many.py" <<'EOF'
# many.py SOCKET N: a Docker-compatible API whose list holds N containers
import json, os, socket, sys, threading
path, n = sys.argv[1], int(sys.argv[2])
body = json.dumps([{"Id": "%064x" % (0xfeed000000 + i), "Names": ["/many%d" % i],
                    "Image": "fake:1", "Labels": {}} for i in range(n)]).encode()
head = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
s = socket.socket(socket.AF_UNIX)
s.bind(path + ".tmp")
s.listen(8)
os.rename(path + ".tmp", path)
print(len(body), flush=True)
def serve(c):
    try:
        data = b""
        while b"\r\n\r\n" not in data:
            b = c.recv(4096)
            if not b:
                break
            data += b
        c.sendall(head + body)
    except OSError:
        pass
    finally:
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
"$PY" "$TMP/many.py" "$TMP/many.sock" 80000 >"$TMP/many.size" 2>"$TMP/many.err" &
bg_pid $!
if ! wait_for 30 test -S "$TMP/many.sock"; then
	not_ok "fixture: fake API with 80000 containers" "$(errtext "$TMP/many.err")"
else
	note "fake list: $(cat "$TMP/many.size") bytes"
	t0=$SECONDS
	DOCKER_HOST=unix://$TMP/many.sock timeout 15 "$VETHMAP" scan --no-store --json \
		>"$TMP/many.json" 2>"$TMP/many.scan.err"; rc=$?
	check_eq "80000 containers: scan exits 0 within 15 s (took $((SECONDS - t0)) s)" 0 "$rc"
	check_eq "80000 containers: one warning line" 1 "$(grep -c . "$TMP/many.scan.err")"
	check "80000 containers: it names docker and counts the dropped ($(errtext "$TMP/many.scan.err"))" \
		grep -qE "docker: .*[0-9]+ (containers )?dropped" "$TMP/many.scan.err"
	check "80000 containers: the JSON is whole" jq -e '.interfaces | type == "array"' "$TMP/many.json"
fi

# ---- 3. control characters stored in the database --------------------------------------------
ns_add e
ip -n "${PFX}e" link add eth0 type veth peer name eth1 && ip -n "${PFX}e" addr add 10.99.0.1/24 dev eth0 ||
	{ not_ok "fixture: veth with an address in ${PFX}e" "ip failed"; exit 1; }
EDB=$TMP/esc.db
"$VETHMAP" scan --db "$EDB" >/dev/null 2>"$TMP/esc.err" ||
	{ not_ok "fixture: scan into esc.db" "$(errtext "$TMP/esc.err")"; exit 1; }
sqlite3 "$EDB" "
	UPDATE addr SET address = '10.99.0.1/24' || char(27) || '[2J' || char(7)
	 WHERE address = '10.99.0.1/24';
	INSERT INTO unresolved SELECT scan_id, netns, ifindex, 'why' || char(27) || '[31m' || char(7)
	  FROM iface WHERE name = 'eth1' AND netns = $(ns_ino e);
	UPDATE scan SET started = '2026-12-01' || char(27) || ']0;pwned' || char(7);" ||
	{ not_ok "fixture: control characters into esc.db" "sqlite3 failed"; exit 1; }
raw() { od -An -tx1 -v "$1" | tr -s ' \n' '\n\n' | grep -cE '^(1b|07)$'; }
"$VETHMAP" show --db "$EDB" >"$TMP/esc.show" 2>&1
"$VETHMAP" scans --db "$EDB" >"$TMP/esc.scans" 2>&1
check_eq "escapes: show prints no raw ESC or BEL" 0 "$(raw "$TMP/esc.show")"
check_eq "escapes: scans prints no raw ESC or BEL" 0 "$(raw "$TMP/esc.scans")"
check "escapes: show writes the address escaped" grep -qF '10.99.0.1/24\x1b[2J\x07' "$TMP/esc.show"
check "escapes: show writes the reason escaped" grep -qF 'why\x1b[31m\x07' "$TMP/esc.show"
check "escapes: scans writes the time escaped" grep -qF '2026-12-01\x1b]0;pwned\x07' "$TMP/esc.scans"

# ---- 4. the report's stylesheet ---------------------------------------------------------------
RD=$TMP/rdir
mkdir -p "$RD/reports"
cat >"$RD/reports/report.xsl" <<'XSL'
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/"><html><body>PLANTED</body></html></xsl:template>
</xsl:stylesheet>
XSL
SECRET=$TMP/secret.xml	# root-only
echo '<s>ROOTONLYSECRET</s>' >"$SECRET"
chmod 600 "$SECRET"
cat >"$TMP/evil.xsl" <<XSL
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/"><html><body>EVIL[<xsl:value-of select="document('$SECRET')"/>]
  [<xsl:copy-of select="document('/etc/passwd')"/>]</body></html></xsl:template>
</xsl:stylesheet>
XSL
cat >"$TMP/xxe.xsl" <<XSL
<?xml version="1.0"?>
<!DOCTYPE x [ <!ENTITY leak SYSTEM "file://$SECRET"> ]>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/"><html><body>XXE[&leak;]</body></html></xsl:template>
</xsl:stylesheet>
XSL
(cd "$RD" && exec env -u VETHMAP_DATADIR "$VETHMAP" report --db "$EDB" --format html) \
	>"$TMP/planted.html" 2>"$TMP/planted.err"; rc=$?
if [ -e "$(strings "$VETHMAP" | grep -m1 '/share/vethmap$')/report.xsl" ]; then
	skip "report: planted ./reports/report.xsl" "a report.xsl is installed"
else
	check "report: a planted ./reports/report.xsl is not loaded" \
		test $rc -ne 0 -a ! "$(grep -c PLANTED "$TMP/planted.html")" -gt 0
	check "report: ... one line saying so ($(errtext "$TMP/planted.err"))" \
		test "$(grep -c . "$TMP/planted.err")" = 1
fi
"$VETHMAP" report --db "$EDB" --format html --xsl "$TMP/evil.xsl" >"$TMP/evil.html" 2>"$TMP/evil.err"
lacks() { ! grep -q "$2" "$1"; }
check "report --xsl: the read is refused ($(errtext "$TMP/evil.err"))" grep -qE 'refused|denied' "$TMP/evil.err"
check "report --xsl: document() reads no root-only file" lacks "$TMP/evil.html" ROOTONLYSECRET
check "report --xsl: document() reads no /etc/passwd" lacks "$TMP/evil.html" 'root:' 
"$VETHMAP" report --db "$EDB" --format html --xsl "$TMP/xxe.xsl" >"$TMP/xxe.html" 2>"$TMP/xxe.err"
check "report --xsl: no external entity expanded" lacks "$TMP/xxe.html" ROOTONLYSECRET

# ---- 5. --db: files others made ----------------------------------------------------------------
SD=$TMP/sticky
mkdir -p "$SD" && chmod 1777 "$SD"
chmod 711 "$TMP"	# nobody may reach $SD
refused() {	# refused LABEL FILE: scan --db FILE exits non-zero, one line naming it, FILE unchanged
	local L=$1 f=$2 rc before
	before=$(cat "$f" 2>/dev/null | od -An -tx1 | md5sum)
	"$VETHMAP" scan --db "$f" >"$TMP/db.out" 2>"$TMP/db.err"; rc=$?
	check "$L: scan refuses (exit $rc)" test "$rc" -ne 0
	check_eq "$L: one line ($(errtext "$TMP/db.err"))" 1 "$(grep -c . "$TMP/db.err")"
	check "$L: the line names the file" grep -qF -- "$f" "$TMP/db.err"
	check_eq "$L: file unchanged" "$before" "$(cat "$f" 2>/dev/null | od -An -tx1 | md5sum)"
}
asuser sh -c "umask 0; : >'$SD/u.db'" || { not_ok "fixture: nobody makes $SD/u.db" "failed"; exit 1; }
refused "a file nobody made (0666, 01777 directory)" "$SD/u.db"
check_eq "a file nobody made: still empty" 0 "$(stat -c %s "$SD/u.db")"
ln -s "$DB" "$TMP/link.db"
"$VETHMAP" scan --db "$DB" >/dev/null 2>&1
refused "a symbolic link" "$TMP/link.db"
cp "$DB" "$SD/r.db"; chmod 600 "$SD/r.db"
asuser sh -c "umask 0; : >'$SD/r.db-wal'"
refused "root's file in a sticky directory, a -wal nobody made" "$SD/r.db"
rm -f "$SD/r.db-wal"
"$VETHMAP" scan --db "$SD/r.db" >/dev/null 2>"$TMP/db.err"; rc=$?
check_eq "root's file in a sticky directory of root's: stored ($(errtext "$TMP/db.err"))" 0 "$rc"
chmod 666 "$SD/r.db"
refused "root's file, writable by others" "$SD/r.db"
GW=$TMP/gw
mkdir -p "$GW" && chmod 777 "$GW"
refused "a directory anyone may write (not sticky)" "$GW/new.db"
check "... nothing made there" test ! -e "$GW/new.db"
