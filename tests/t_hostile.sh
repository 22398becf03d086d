#!/bin/bash
# Hostile input end to end: names an attacker on the host (or root inside a container's
# mount namespace) controls go through scan, the database, show --json, ls --json,
# graph -T dot/svg, report (XML and HTML), diff --json and cap -w, and every output must
# stay valid for its own format and keep the names byte-exact where the format allows.
# (t_scan_kinds covers scan --json and the table for hostile interface names.)
#
# Hostile names here:
#  - interface names (at most 15 bytes; the kernel refuses '/', ':' and whitespace) with
#    " ' < & $ ; \ ` and <i>, $(>p) and `>q` (would create files p and q if run by a shell),
#    a byte that is not UTF-8 and UTF-8;
#  - an "ip netns add" name with all of those plus a space;
#  - nsfs bind mounts made with mount --bind on paths with quotes, < & $ ; \, spaces
#    (mountinfo writes \040), a literal "\040", a tab, a byte that is not UTF-8,
#    "$(touch $TMP/pwned)" (nested directories), and one path over 1000 bytes;
#  - container names from a fake Docker API (DOCKER_HOST=unix://...; the real engine
#    allows only [a-zA-Z0-9][a-zA-Z0-9_.-]): one with " < & $ ; ' \ space ` $(touch ...),
#    one with raw bytes that are not UTF-8; each one's Pid is a sleep in our namespaces.
#    When a Docker daemon already runs, the fake API also relays a real container of ours
#    with the characters Docker allows.
# Expected forms: JSON holds the bytes, a byte that is not UTF-8 as \u00XX (README); the
# XML and HTML reports, like the tables, write control and non-UTF-8 bytes as \xNN and a
# backslash as \\ (report `ref`s must stay unique and join findings to the inventory);
# pcapng strings are UTF-8 (pcapng spec), byte-exact when the name is UTF-8.
# Nothing is ever executed: no file p, q or $TMP/pwned appears.
# shellcheck disable=SC2016  # $ and backticks in names are literal on purpose
. "${BASH_SOURCE%/*}/lib_engines.sh"	# sources lib.sh
need_root
need_vethmap
for t in jq dot xmllint tshark sqlite3 nsenter unshare ping; do
	command -v "$t" >/dev/null || { skip "${0##*/}" "needs $t"; exit 0; }
done
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
[ -n "$PY" ] || { skip "${0##*/}" "needs python3"; exit 0; }
export LC_ALL=C
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
REPO=$PWD
XSD=$REPO/schema/vethmap-report.xsd
export VETHMAP_DATADIR=$REPO/reports

MD=/run/${PFX}dir	# our bind mounts live here
MNTS=()
_hostile_exit() {
	local rc=$? i
	trap '' INT TERM
	unset DOCKER_HOST	# the docker client of _eng_cleanup talks to the real daemon
	for ((i = ${#MNTS[@]} - 1; i >= 0; i--)); do
		umount "${MNTS[i]}" 2>/dev/null || umount -l "${MNTS[i]}" 2>/dev/null
	done
	[ -d "$MD" ] && rm -rf "$MD"
	_eng_cleanup
	(exit $rc)
	_cleanup
}
trap _hostile_exit EXIT

fail() { not_ok "fixture: $1" "${2:-failed}"; exit 1; }

# ---- helpers -----------------------------------------------------------------------------

HP=$TMP/h.py
cat >"$HP" <<'EOF'
# h.py COMMAND ARGS: byte-exact helpers (names are compared as hex strings)
import json, os, struct, sys
import xml.etree.ElementTree as ET
import html.parser

def raw(s):
    return os.fsencode(s)

def chars(b):	# bytes -> str; a byte that is not UTF-8 -> U+DC80..U+DCFF
    return b.decode("utf-8", "surrogateescape")

def jform(b):	# the README's JSON form: such a byte is \u00XX (the code point of its value)
    return "".join(chr(ord(c) - 0xdc00) if 0xdc80 <= ord(c) <= 0xdcff else c for c in chars(b))

def tesc(b):	# the tables' and reports' form: \xNN for control and non-UTF-8 bytes, \\ for \
    out = []
    for c in chars(b):
        o = ord(c)
        if 0xdc80 <= o <= 0xdcff:
            out.append("\\x%02x" % (o - 0xdc00))
        elif o < 0x20 or o == 0x7f:
            out.append("\\x%02x" % o)
        elif c == "\\":
            out.append("\\\\")
        else:
            out.append(c)
    return "".join(out)

def hx(s):
    return (s.encode("utf-8") if isinstance(s, str) else s).hex()

def strict(b):
    try:
        b.decode("utf-8", "strict")
        return True
    except UnicodeDecodeError:
        return False

def pcapng(path):	# (comments, [(name, desc)]) as bytes; None when absent
    d = open(path, "rb").read()
    o, bo, comments, ifs = 0, "<", [], []
    while o + 12 <= len(d):
        t = struct.unpack_from("<I", d, o)[0]
        if t == 0x0A0D0D0A:
            bo = "<" if d[o + 8:o + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        t, ln = struct.unpack_from(bo + "II", d, o)
        if ln < 12 or o + ln > len(d):
            raise SystemExit("bad block at %d" % o)
        start = {0x0A0D0D0A: 24, 1: 16}.get(t)
        if start is not None:
            p, name, desc = o + start, None, None
            while p + 4 <= o + ln - 4:
                c, n = struct.unpack_from(bo + "HH", d, p)
                v = d[p + 4:p + 4 + n]
                if c == 0:
                    break
                if c == 1:
                    comments.append(v)
                elif t == 1 and c == 2:
                    name = v
                elif t == 1 and c == 3:
                    desc = v
                p += 4 + ((n + 3) & ~3)
            if t == 1:
                ifs.append((name, desc))
        o += ln
    return comments, ifs

class Texts(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.texts, self.tags = [], []
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
    def handle_data(self, d):
        self.texts.append(d)

cmd, args = sys.argv[1], sys.argv[2:]
out = sys.stdout.buffer
if cmd == "hex":		# hex STR: the bytes of STR
    out.write(raw(args[0]).hex().encode())
elif cmd == "jform":		# jform STR: hex of STR as JSON decodes it
    out.write(hx(jform(raw(args[0]))).encode())
elif cmd == "tesc":		# tesc STR: hex of STR as the reports write it
    out.write(hx(tesc(raw(args[0]))).encode())
elif cmd == "jstr":		# jstr STR: STR as JSON decodes it (UTF-8)
    out.write(jform(raw(args[0])).encode())
elif cmd == "ls-rows":		# ls-rows FILE NAMEHEX: "IFACE PEERNETNS PEER BRIDGE" (hex) per row
    for r in json.load(open(args[0], "rb")):
        if hx(r["container"]) != args[1]:
            continue
        hp = r.get("host_peer") or {}
        out.write(("%s %s %s %s\n" % (hx(r["iface"]), hp.get("netns", "-"),
                   hx(hp["name"]) if hp.get("name") is not None else "-",
                   hx(r["bridge"]) if r.get("bridge") is not None else "-")).encode())
elif cmd == "pcapng-comments":	# pcapng-comments FILE: hex of each section comment
    for c in pcapng(args[0])[0]:
        out.write(c.hex().encode() + b"\n")
elif cmd == "lines":		# lines: hex of each line of stdin
    for l in sys.stdin.buffer.read().split(b"\n")[:-1]:
        out.write(l.hex().encode() + b"\n")
elif cmd == "unhex":		# unhex HEX: printable, for messages
    b = bytes.fromhex(args[0])
    s = tesc(b)
    out.write((s if len(s) <= 160 else s[:80] + "..." + s[-60:] + " (%d bytes)" % len(b)).encode())
elif cmd == "closest":		# closest WANTHEX: of the hex lines on stdin, the one sharing the longest prefix
    w, best, n = bytes.fromhex(args[0]), b"", -1
    for l in sys.stdin.read().split():
        try:
            b = bytes.fromhex(l)
        except ValueError:
            continue
        k = next((i for i, (x, y) in enumerate(zip(w, b)) if x != y), min(len(w), len(b)))
        if k > n:
            best, n = b, k
    s = tesc(best)
    out.write(((s if len(s) <= 160 else s[:60] + "..." + s[-80:]) +
               " (%d bytes, same first %d)" % (len(best), max(n, 0))).encode())
elif cmd == "strict-json":	# strict-json FILE: strict UTF-8, then JSON
    json.loads(open(args[0], "rb").read().decode("utf-8", "strict"))
elif cmd == "strict-utf8":	# strict-utf8 FILE
    open(args[0], "rb").read().decode("utf-8", "strict")
elif cmd == "pcapng-ifaces":	# pcapng-ifaces FILE: "NAMEHEX DESCHEX" per interface (- when absent)
    for n, d in pcapng(args[0])[1]:
        out.write(("%s %s\n" % (n.hex() if n is not None else "-", d.hex() if d else "-")).encode())
elif cmd == "pcapng-utf8":	# pcapng-utf8 FILE: every comment, name and description is UTF-8
    c, ifs = pcapng(args[0])
    bad = [("comment", x) for x in c if not strict(x)]
    for n, d in ifs:
        bad += [(k, x) for k, x in (("if_name", n), ("if_description", d)) if x and not strict(x)]
    for k, x in bad:
        print("%s not UTF-8: %s" % (k, tesc(x)))
    sys.exit(1 if bad else 0)
elif cmd == "svg-texts":	# svg-texts FILE: hex of every <text>
    for e in ET.parse(args[0]).iter():
        if e.tag.endswith("}text") or e.tag == "text":
            out.write(hx("".join(e.itertext())).encode() + b"\n")
elif cmd == "html-texts":	# html-texts FILE: hex of every text run; then "TAG name" lines
    p = Texts()
    p.feed(open(args[0], "rb").read().decode("utf-8", "strict"))
    for t in p.texts:
        out.write(hx(t).encode() + b"\n")
    for t in sorted(set(p.tags)):
        out.write(("TAG %s\n" % t).encode())
elif cmd == "xml-vals":		# xml-vals FILE TAG ATTR|.: hex of that attribute (. for text) of every TAG
    for e in ET.parse(args[0]).iter(args[1]):
        v = "".join(e.itertext()) if args[2] == "." else e.get(args[2])
        if v is not None:
            out.write(hx(v).encode() + b"\n")
elif cmd == "report-refs":	# report-refs FILE PFX: refs with PFX unique, and everything joins
    r, pfx, bad = ET.parse(args[0]).getroot(), args[1], []
    refs = {}
    for tag in ("netns", "interface", "container"):
        for e in r.iter(tag):
            if e.get("ref") is not None:
                refs.setdefault(e.get("ref"), []).append(tag)
    for ref, tags in refs.items():
        if pfx in ref and len(tags) > 1:
            bad.append("ref used by %d objects: %s" % (len(tags), tesc(ref.encode())[:200]))
    def joins(what, v):
        if v is not None and pfx in v and v not in refs:
            bad.append("%s not a ref of the inventory: %s" % (what, tesc(v.encode())[:200]))
    for e in r.iter("interface"):
        joins("peer-ref", e.get("peer-ref"))
    for e in r.iter("edge"):
        joins("edge a-ref", e.get("a-ref"))
        joins("edge b-ref", e.get("b-ref"))
    for e in r.iter("unresolved"):
        joins("unresolved ref", e.get("ref"))
    for f in r.iter("finding"):
        for o in f.iter("object"):
            joins("finding %s object" % f.get("rule"), o.text)
    for b in bad:
        print(b)
    sys.exit(1 if bad else 0)
EOF

hex() { "$PY" "$HP" hex "$1"; }
jx() { "$PY" "$HP" jform "$1"; }		# hex of a name as JSON gives it back
tx() { "$PY" "$HP" tesc "$1"; }		# hex of a name as the reports write it
unhex() { "$PY" "$HP" unhex "$1"; }
hexlines() { "$PY" "$HP" lines; }
jstr() { "$PY" "$HP" jstr "$1"; }		# a name as JSON gives it back

# has NAME WANTHEX LIST: ok when LIST (hex, one per line) holds WANTHEX
has() {
	if grep -qxF -- "$2" <<<"$3"; then ok "$1"
	else not_ok "$1" "no [$(unhex "$2")] among $(grep -c . <<<"$3") values; closest [$("$PY" "$HP" closest "$2" <<<"$3")]"
	fi
}
# hasnt NAME HEX LIST
hasnt() {
	if grep -qxF -- "$2" <<<"$3"; then not_ok "$1" "[$(unhex "$2")] is there"
	else ok "$1"
	fi
}
# same NAME WANTHEX GOTHEX: equal; else both shown and where they first differ
same() {
	if [ "$2" == "$3" ]; then ok "$1"; return; fi
	local i=0
	while [ "${2:i:2}" == "${3:i:2}" ]; do i=$((i + 2)); done
	not_ok "$1" "expected [$(unhex "$2")] got [$(unhex "$3")] (first difference at byte $((i / 2)))"
}
valid_json() {	# valid_json LABEL FILE: jq parses it, python too (strict UTF-8)
	check "$1: jq parses it" jq -e . "$2"
	check "$1: strict UTF-8 JSON (python)" "$PY" "$HP" strict-json "$2"
}
no_ctl() {	# no raw control characters but newline and tab
	! tr -d '\n\t' <"$1" | grep -q '[[:cntrl:]]'
}
# V ARGS...: vethmap, from a directory of its own (a name run by a shell would create p or
# q there), bounded
V() { (cd "$TMP/cwd" && DOCKER_HOST=$FAKE_DH exec timeout 60 "$VETHMAP" "$@"); }
mkdir "$TMP/cwd"
# files a shell running a name would create
PWN=("$TMP/cwd/p" "$TMP/cwd/q" "$TMP/pwned" "$TMP/p" "$TMP/q" "$REPO/p" "$REPO/q" /p /q)
PWN_BEFORE=()
for f in "${PWN[@]}"; do [ -e "$f" ] && PWN_BEFORE+=("$f"); done

# ---- fixture -----------------------------------------------------------------------------
X=$(($(od -An -N1 -tu1 /dev/urandom | tr -d ' ') % 200 + 20))
NET=10.253.$X

# interface names (15 bytes at most)
BR="${PFX}\$(>p)"			# host bridge
HC="${PFX}\`>q\`\""			# host end of the container's CE, port of BR
HN="${PFX}'<&;\\"			# host end of NN's eth0, port of BR
HM="${PFX}m\"<&\$"			# host end of MX (the namespace of bind mounts)
HL="${PFX}l<&\"'"			# host end of LX (the namespace of the long path)
HK="${PFX}k\"'\\"			# host end of KX, made between the two scans
CE=$'e"<&\'$;\\`'			# in the container
CX='$(>p)<i>'				# in the container, peer of NX
NX=$'`>q`\xffx\xc3\xa9'		# in NN: not UTF-8, then UTF-8
MX=$'m"<&\\'
LX=$'l"<&\'$;\\'
KX='k$(>p)`>q`'
NEWN='new"<&$'				# bridge added in NN between the scans

# namespaces
NNS="n\"<&\$;'\\ \`>q\`\$(>p)"$'\xff\xc3\xa9'	# ip netns name (PFX added)
NN=$PFX$NNS
ns_add "$NNS"
ns_add c	# the fake container's
ns_add d	# the fake container's after its "restart"
ns_add z	# the container with a name that is not UTF-8
M1="$MD/m \"<&\$;'\\ \`>q\`\$(>p)"$'\xff'			# space, backslash, not UTF-8
M2="$MD/\$(touch $TMP/pwned)/"$'t\tab\\040'			# nested; a tab; a literal \040
FILL='a"<&$;'"'"'\ `>q`$(>p) '
ML=$MD/L
for i in 1 2 3 4 5; do
	c=d$i
	for _ in 1 2 3 4 5 6 7 8 9 10 11; do c+=$FILL; done
	ML+=/$c
done
ML+=/end				# about 1070 bytes

ip link add "$BR" type bridge &&
ip link add "$HC" type veth peer name "$CE" netns "${PFX}c" &&
ip link set "$HC" master "$BR" &&
ip link add "$HN" type veth peer name eth0 netns "$NN" &&
ip link set "$HN" master "$BR" &&
ip -n "${PFX}c" link add "$CX" type veth peer name "$NX" netns "$NN" &&
ip -n "${PFX}c" addr add "$NET.1/30" dev "$CX" &&
ip -n "$NN" addr add "$NET.2/30" dev "$NX" || fail "links" "ip failed"
for l in "$BR" "$HC" "$HN"; do ip link set "$l" up || fail "up $l"; done
for l in lo "$CE" "$CX"; do ip -n "${PFX}c" link set "$l" up || fail "up $l"; done
for l in lo eth0 "$NX"; do ip -n "$NN" link set "$l" up || fail "up $l"; done

# bind-mount-only namespaces: made by a process, mounted, the process gone
other_ns() { [ "$(pid_ns_ino "$1")" != "$HOSTNS" ]; }
bind_ns() {	# bind_ns HOSTEND PEERNAME PATH...: a new netns, mounted at each PATH
	local hend=$1 peer=$2 p m
	shift 2
	unshare --net sleep 60 &
	p=$!
	bg_pid $p
	wait_for 5 other_ns $p || fail "unshare --net"
	for m in "$@"; do
		mkdir -p "${m%/*}" && touch "$m" || fail "mount point" "$(unhex "$(hex "$m")")"
		mount --bind "/proc/$p/ns/net" "$m" || fail "mount --bind" "$(unhex "$(hex "$m")")"
		MNTS+=("$m")
	done
	ip link add "$hend" type veth peer name "$peer" netns $p &&
	nsenter -t $p -n ip link set "$peer" up &&
	ip link set "$hend" up || fail "veth $hend"
	kill -KILL $p
	wait $p 2>/dev/null
}
bind_ns "$HM" "$MX" "$M1" "$M2"
bind_ns "$HL" "$LX" "$ML"
NM_INO=$(stat -L -c %i "$M1") NL_INO=$(stat -L -c %i "$ML")
mountinfo_has() { grep -qF "$1" /proc/self/mountinfo; }
check "fixture: mountinfo escapes the space and backslash (\\134\\040)" mountinfo_has 'm\040"<&$;'"'"'\134\040'

# processes for the containers
sleeper() {	# sleeper NETNS VAR: a sleep in that netns, its pid in VAR
	local p
	ip netns exec "$1" sleep 120 &
	p=$!
	bg_pid $p
	wait_for 5 other_ns $p || fail "sleep in netns"
	printf -v "$2" %s "$p"
}
sleeper "${PFX}c" SC
sleeper "${PFX}d" SD
sleeper "${PFX}z" SZ
NC_INO=$(ns_ino c) ND_INO=$(ns_ino d) NZ_INO=$(ns_ino z) NN_INO=$(ns_ino "$NNS") H=$HOSTNS

# a real Docker container, relayed by the fake API (dockerd started when none runs)
DN="${PFX}_.-x"
REAL=
if [ -x "$DOCKER" ] && command -v dockerd >/dev/null && file -L /bin/busybox 2>/dev/null | grep -q 'statically linked'; then
	docker_up
	busybox_image "${PFX}img"
	if drun "$DN" "${PFX}img" sleep 120 >"$TMP/drun.out" 2>&1; then
		REAL=/var/run/docker.sock
	else
		not_ok "fixture: docker run $DN" "$(head -c 300 "$TMP/drun.out" | tr '\n' ' ')"
	fi
else
	skip "real Docker container $DN" "docker.io or a static busybox is not installed"
fi

# the fake Docker API
CN="x\"<&\$;'\\ y-$PFX-\`>q\`\$(touch $TMP/pwned)"
ZN="z"$'\xff\xfe'"<&\"'-$PFX"
CID=$(printf '%064x' $((0xc0ffee00 + X)))
ZID=$(printf '%064x' $((0xdeadbe00 + X)))
echo "$SC" >"$TMP/c.pid"
cat >"$TMP/fake.py" <<'EOF'
# fake.py SOCKET: the Docker list call; names and pids from the environment and files
import json, os, signal, socket, sys, threading
signal.alarm(300)
path, env = sys.argv[1], os.environb
def real_list():
    if not env.get(b"REAL"):
        return []
    try:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(1.5)
        s.connect(env[b"REAL"])
        s.sendall(b"GET /v1.40/containers/json HTTP/1.0\r\nHost: docker\r\n\r\n")
        d = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            d += b
        s.close()
        pfx = env[b"PFX"].decode()
        return [c for c in json.loads(d.partition(b"\r\n\r\n")[2])
                if any(pfx in n for n in c.get("Names") or [])]
    except Exception:
        return []
def serve(c):
    try:
        c.settimeout(5)
        d = b""
        while b"\r\n\r\n" not in d:
            b = c.recv(4096)
            if not b:
                break
            d += b
        s = lambda k: env[k].decode("utf-8", "surrogateescape")
        items = [{"Id": s(b"CID"), "Names": ["/" + s(b"CN")], "Image": "img\"<&'$;`>q`:1",
                  "State": "running", "HostConfig": {"NetworkMode": "bridge"},
                  "Labels": {"com.docker.compose.project": "p\"<&'$;\\`>q`"},
                  "Pid": int(open(env[b"CPID"]).read())},
                 {"Id": s(b"ZID"), "Names": ["/" + s(b"ZN")], "Image": "z", "State": "running",
                  "Labels": {}, "Pid": int(env[b"ZPID"])}] + real_list()
        body = json.dumps(items, ensure_ascii=False).encode("utf-8", "surrogateescape")
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                  % len(body) + body)
    except OSError:
        pass
    finally:
        c.close()
s = socket.socket(socket.AF_UNIX)
s.bind(path + ".tmp")
s.listen(16)
os.rename(path + ".tmp", path)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
CN=$CN ZN=$ZN CID=$CID ZID=$ZID CPID=$TMP/c.pid ZPID=$SZ REAL=$REAL PFX=$PFX \
	"$PY" "$TMP/fake.py" "$TMP/fake.sock" >"$TMP/fake.log" 2>&1 &
bg_pid $!
wait_for 10 test -S "$TMP/fake.sock" || fail "fake Docker API" "$(head -c 300 "$TMP/fake.log")"
FAKE_DH=unix://$TMP/fake.sock	# given to vethmap only
unset CONTAINER_HOST

# ---- scan --json and the database ----------------------------------------------------------
J1=$TMP/scan1.json
V scan --db "$DB" --json >"$J1" 2>"$TMP/scan1.err"
check_eq "scan 1 exits 0" 0 "$?"
valid_json "scan --json" "$J1"
check "scan --json: no raw control characters" no_ctl "$J1"

ifnames() {	# ifnames FILE INODE: hex of the interface names of that netns
	jq -r --argjson n "$2" '.interfaces[] | select(.netns == $n) | .name' "$1" | hexlines
}
nsnames() {	# nsnames FILE INODE: hex of the bind-mount names of that netns
	jq -r --argjson n "$2" '.netns[] | select(.inode == $n) | .names[]' "$1" | hexlines
}
ctrnames() {	# ctrnames FILE INODE: hex of the container names of that netns
	jq -r --argjson n "$2" '.netns[] | select(.inode == $n) | .containers[]?.name' "$1" | hexlines
}
l=$(ifnames "$J1" "$H")
for n in "$BR" "$HC" "$HN" "$HM" "$HL"; do has "scan --json: host:$n" "$(hex "$n")" "$l"; done
l=$(ifnames "$J1" "$NC_INO")
for n in "$CE" "$CX"; do has "scan --json: container's $n" "$(hex "$n")" "$l"; done
l=$(ifnames "$J1" "$NN_INO")
has "scan --json: non-UTF-8 name as \\u00XX" "$(jx "$NX")" "$l"
has "scan --json: $MX in the bind-mounted netns" "$(hex "$MX")" "$(ifnames "$J1" "$NM_INO")"
has "scan --json: $LX in the long-path netns" "$(hex "$LX")" "$(ifnames "$J1" "$NL_INO")"
has "scan --json: ip netns name" "$(jx "/run/netns/$NN")" "$(nsnames "$J1" "$NN_INO")"
l=$(nsnames "$J1" "$NM_INO")
has "scan --json: bind mount with space, backslash, non-UTF-8 (\\040, \\134)" "$(jx "$M1")" "$l"
has "scan --json: bind mount with \$(touch), a tab, a literal \\040" "$(hex "$M2")" "$l"
check_eq "scan --json: the bind-mounted netns has exactly its two names" 2 "$(grep -c . <<<"$l")"
has "scan --json: bind mount of $(( ${#ML} )) bytes" "$(hex "$ML")" "$(nsnames "$J1" "$NL_INO")"
has "scan --json: container name byte-exact" "$(hex "$CN")" "$(ctrnames "$J1" "$NC_INO")"
check_eq "scan --json: container id, engine, pid" "docker $CID $SC" \
	"$(jqv "$J1" --argjson n "$NC_INO" '.netns[] | select(.inode == $n) | .containers[]? | "\(.engine) \(.id) \(.pid)"')"
check_eq "scan --json: container image and compose project byte-exact" \
	"$(hex "img\"<&'\$;\`>q\`:1")/$(hex "p\"<&'\$;\\\`>q\`")" \
	"$(jq -r --argjson n "$NC_INO" '.netns[] | select(.inode == $n) | .containers[0] | .image, .compose_project' "$J1" | hexlines | paste -sd/)"
ZINJ=$(ctrnames "$J1" "$NZ_INO")
if [ -n "$ZINJ" ]; then
	same "scan --json: non-UTF-8 container name as \\u00XX" "$(jx "$ZN")" "$ZINJ"
else
	note "the container whose name is not UTF-8 was refused; it must then be absent everywhere"
fi
if [ -n "$REAL" ]; then
	check_eq "scan --json: real docker container $DN named in its netns" 1 \
		"$(jqv "$J1" --arg d "$DN" '[.netns[] | select(.containers[]?.name == $d)] | length')"
fi
check_veth "$J1" "hostile ends" "$NC_INO" "$CX" "$NN_INO" "$(jstr "$NX")"

# the database holds the bytes
S1=$(jqv "$J1" .scan.id)
q() { sqlite3 "$DB" "$1" 2>&1; }
l=$(q "SELECT lower(hex(name)) FROM iface WHERE scan_id = $S1")
for n in "$HC" "$CE" "$CX" "$NX" "$LX"; do has "database: iface $(unhex "$(hex "$n")") byte-exact" "$(hex "$n")" "$l"; done
l=$(q "SELECT lower(hex(name)) FROM netns_name WHERE scan_id = $S1")
for n in "/run/netns/$NN" "$M1" "$M2" "$ML"; do has "database: netns name $(unhex "$(hex "$n")" | head -c 60) byte-exact" "$(hex "$n")" "$l"; done
l=$(q "SELECT lower(hex(name)) FROM container WHERE scan_id = $S1")
has "database: container name byte-exact" "$(hex "$CN")" "$l"
[ -n "$ZINJ" ] && has "database: non-UTF-8 container name byte-exact" "$(hex "$ZN")" "$l"

# ---- show --json ------------------------------------------------------------------------------
names_of() {	# every name of a scan document, in a stable order
	jq -S '{netns: [.netns[] | {inode, names, containers: [.containers[]? | {name, id, image}]}] | sort_by(.inode),
		interfaces: [.interfaces[] | {netns, name, master, peer}] | sort_by(.netns, .name),
		edges: [.edges[] | {type, a, b}] | sort_by(.type, .a.netns, .a.name, .b.netns, .b.name),
		unresolved: [.unresolved[]? | {netns, name}]}' "$1"
}
V show --db "$DB" --json >"$TMP/show.json" 2>"$TMP/show.err"
check_eq "show --json exits 0" 0 "$?"
valid_json "show --json" "$TMP/show.json"
names_of "$J1" >"$TMP/names1"
names_of "$TMP/show.json" >"$TMP/names2"
check_eq "show --json: every name as scan --json printed it" "" \
	"$(diff "$TMP/names1" "$TMP/names2" | head -n 6)"

# the tables: exit 0, no raw control character (the tab of a mount path included)
for c in "show" "ls --stored" "scans"; do
	# shellcheck disable=SC2086  # c is two words on purpose
	V $c --db "$DB" >"$TMP/table" 2>"$TMP/table.err"
	check_eq "$c (table) exits 0" 0 "$?"
	check "$c (table): no raw control characters" no_ctl "$TMP/table"
done

# ---- ls --json, live and stored ------------------------------------------------------------------
lsrows() { "$PY" "$HP" ls-rows "$1" "$2" | sort; }	# lsrows FILE NAMEHEX
# host_peer is the host-side end: CX's peer NX is in NN, whose own veth reaches the host at HN
want=$(printf '%s\n' "$(hex "$CE") $H $(hex "$HC") $(hex "$BR")" \
	"$(hex "$CX") $H $(hex "$HN") $(hex "$BR")" | sort)
for mode in live stored; do
	F=$TMP/ls-$mode.json
	if [ $mode = live ]; then V ls --json >"$F" 2>"$TMP/ls.err"
	else V ls --json --stored --db "$DB" >"$F" 2>"$TMP/ls.err"
	fi
	check_eq "ls --json ($mode) exits 0" 0 "$?"
	valid_json "ls --json ($mode)" "$F"
	check_eq "ls --json ($mode): the container's rows (iface, host peer, bridge) byte-exact" \
		"$want" "$(lsrows "$F" "$(hex "$CN")")"
	if [ -n "$ZINJ" ]; then
		check_eq "ls --json ($mode): non-UTF-8 container listed once (only lo)" 1 \
			"$(jq -r '.[].container' "$F" | hexlines | grep -cxF "$(jx "$ZN")")"
	fi
	[ -n "$REAL" ] && check_eq "ls --json ($mode): real container $DN listed" 1 \
		"$(jqv "$F" --arg d "$DN" '[.[] | select(.container == $d and .iface == "eth0")] | length')"
done

# ---- graph ---------------------------------------------------------------------------------
dot_ok() {	# dot_ok LABEL FILE: the DOT is UTF-8 and dot renders it without a word on stderr
	local err rc
	check "$1: DOT is strict UTF-8" "$PY" "$HP" strict-utf8 "$2"
	err=$(dot -Tsvg "$2" -o "$2.svg" 2>&1); rc=$?
	check_eq "$1: dot -Tsvg exits 0 with no stderr" "0 " "$rc $err"
}
G=$TMP/g.dot
V graph --db "$DB" -T dot -o "$G" 2>"$TMP/g.err"
check_eq "graph -T dot exits 0, no stderr" "0 " "$? $(cat "$TMP/g.err")"
dot_ok "graph -T dot" "$G"
V graph --db "$DB" -T svg -o "$TMP/g.svg" 2>"$TMP/svg.err"
check_eq "graph -T svg exits 0, no stderr" "0 " "$? $(cat "$TMP/svg.err")"
check "graph -T svg: well-formed XML" xmllint --noout "$TMP/g.svg"
for s in "$TMP/g.svg" "$G.svg"; do
	w="graph -T svg"; [ "$s" = "$G.svg" ] && w="dot -Tsvg of graph -T dot"
	l=$("$PY" "$HP" svg-texts "$s")
	has "$w: container name drawn as is" "$(hex "$CN")" "$l"
	for n in "$BR" "$HC" "$HN" "$CE" "$CX" "$MX" "$LX"; do
		has "$w: $(unhex "$(hex "$n")") drawn as is" "$(hex "$n")" "$l"
	done
	has "$w: the long path drawn as is" "$(hex "$ML")" "$l"
done
for t in "$CN" "$NN" "$ML"; do
	w=$(unhex "$(hex "$t")" | head -c 40)
	V graph --db "$DB" --focus "$t" -o "$TMP/f.dot" 2>"$TMP/f.err"
	check_eq "graph --focus '$w': exit 0, no stderr" "0 " "$? $(cat "$TMP/f.err")"
	dot_ok "graph --focus '$w'" "$TMP/f.dot"
done
V graph --db "$DB" --focus "$CN" -T svg -o "$TMP/f.svg" 2>"$TMP/f.err"
check_eq "graph --focus container -T svg: exit 0, no stderr" "0 " "$? $(cat "$TMP/f.err")"
l=$("$PY" "$HP" svg-texts "$TMP/f.svg")
has "graph --focus container: its $CX drawn" "$(hex "$CX")" "$l"
has "graph --focus container: the host end $(unhex "$(hex "$HC")") drawn" "$(hex "$HC")" "$l"
hasnt "graph --focus container: not the long-path netns" "$(hex "$ML")" "$l"

# ---- report: XML and HTML --------------------------------------------------------------------
R=$TMP/r1.xml
V report --db "$DB" -o "$R" 2>"$TMP/r.err"
check_eq "report exits 0, no stderr" "0 " "$? $(cat "$TMP/r.err")"
check "report: valid against the schema" xmllint --noout --schema "$XSD" "$R"
xv() { "$PY" "$HP" xml-vals "$R" "$@"; }
l=$(xv container name)
has "report: container name (\\\\ for \\)" "$(tx "$CN")" "$l"
[ -n "$ZINJ" ] && has "report: non-UTF-8 container name as \\xNN" "$(tx "$ZN")" "$l"
[ -n "$REAL" ] && has "report: real container $DN" "$(hex "$DN")" "$l"
has "report: container ref" "$(hex "container:")$(tx "$CN")" "$(xv container ref)"
has "report: container image" "$(tx "img\"<&'\$;\`>q\`:1")" "$(xv container image)"
l=$(xv netns label)
for t in "$CN" "$NN" "$ML"; do
	has "report: netns label $(unhex "$(hex "$t")" | head -c 50)" "$(tx "$t")" "$l"
done
l=$(xv name .)
for n in "/run/netns/$NN" "$M1" "$M2" "$ML"; do
	has "report: netns name $(unhex "$(hex "$n")" | head -c 50)" "$(tx "$n")" "$l"
done
l=$(xv interface name)
for n in "$HC" "$CE" "$CX" "$NX" "$MX" "$LX"; do
	has "report: interface $(unhex "$(tx "$n")")" "$(tx "$n")" "$l"
done
l=$(xv interface ref)
has "report: interface ref CONTAINER:IFNAME" "$(tx "$CN:$CX")" "$l"
has "report: interface ref NETNS:IFNAME (ip netns name)" "$(tx "$NN:$NX")" "$l"
has "report: interface ref NETNS:IFNAME (long path)" "$(tx "$ML:$LX")" "$l"
l=$(xv evidence .)
for n in "$M1" "$M2" "$ML"; do
	has "report: netns-leaked evidence name=$(unhex "$(hex "$n")" | head -c 40)" "$(hex "name=")$(tx "$n")" "$l"
done
out=$("$PY" "$HP" report-refs "$R" "$PFX" 2>&1)
check_eq "report: refs of ours unique, every peer-ref, edge end and finding object joins" "" "$out"

V report --db "$DB" --format html -o "$TMP/r1.html" 2>"$TMP/h.err"
check_eq "report --format html exits 0, no stderr" "0 " "$? $(cat "$TMP/h.err")"
# html_lint FILE: xmllint --html's messages, but for its three lines on each tag of the
# page's inline SVG (libxml2's HTML 4 parser knows no SVG element)
html_lint() {
	xmllint --html --noout "$1" 2>&1 | awk -v f="$1" '
		skip > 0 { skip--; next }
		index($0, f ":") == 1 && $0 ~ /: HTML parser error : Tag (svg|g|a|title|polygon|polyline|ellipse|path|text) invalid$/ { skip = 2; next }
		{ print }'
	return "${PIPESTATUS[0]}"
}
err=$(html_lint "$TMP/r1.html")
check_eq "report html: xmllint --html accepts it, silently (but for SVG tags)" "0 " "$? $err"
l=$("$PY" "$HP" html-texts "$TMP/r1.html" 2>&1)
has "html: container name is text" "$(tx "$CN")" "$l"
has "html: interface ref with <i> is text" "$(tx "$CN:$CX")" "$l"
has "html: the long path is text" "$(tx "$ML")" "$l"
check_eq "html: no <i> element made from a name" 0 "$(grep -cx 'TAG i' <<<"$l")"

# ---- cap -w: pcapng names and descriptions ----------------------------------------------------
_cap_ready() {	# the capture runs as nobody (after every handle and the file are open), or ended
	local st
	st=$(cat "/proc/$1/status" 2>/dev/null) || return 0
	grep -q '^State:[[:space:]]*Z' <<<"$st" && return 0
	grep -Eq '^Uid:[[:space:]]+65534[[:space:]]' "/proc/$(cap_child "$1")/status"
}
tshark_ok() {	# tshark_ok LABEL FILE: tshark reads it, no message but its root warning
	local err rc
	err=$(tshark -n -r "$2" 2>&1 >/dev/null); rc=$?
	err=$(grep -v '^Running as user' <<<"$err")
	check_eq "$1: tshark -r reads it" "0 " "$rc $err"
}
# capture LABEL FILE ARGS...: vethmap cap ARGS -w FILE; a ping from the container's CX to NX
capture() {
	local label=$1 f=$2 p c rc; shift 2
	(cd "$TMP/cwd" && DOCKER_HOST=$FAKE_DH exec timeout 60 "$VETHMAP" cap --db "$DB" "$@" -w "$f") 2>"$f.err" &
	p=$!
	bg_pid $p
	wait_for 10 pgrep -P $p >/dev/null
	c=$(pgrep -P $p | head -1)
	[ -n "$c" ] && wait_for 30 _cap_ready "$c"
	timeout 10 ip netns exec "${PFX}c" ping -q -c 3 -i 0.2 -W 1 "$NET.2" >/dev/null 2>&1
	wait $p; rc=$?
	check_eq "$label: exits 0" 0 "$rc"
	[ $rc -eq 0 ] || note "$label stderr: $(head -c 300 "$f.err" | tr '\n' ' ')"
	tshark_ok "$label" "$f"
	out=$("$PY" "$HP" pcapng-utf8 "$f" 2>&1)
	check_eq "$label: every pcapng string (comments, if_name, if_description) is UTF-8" "" "$out"
}
# one_of NAME GOTHEX HEX...: GOT is one of the accepted forms
one_of() {
	local n=$1 got=$2 w; shift 2
	for w in "$@"; do [ "$got" == "$w" ] && { ok "$n"; return; }; done
	not_ok "$n" "got [$(unhex "$got")], want [$(unhex "$1")]"
}
ifaces_of() { "$PY" "$HP" pcapng-ifaces "$1"; }
hx_n() { grep -E "^$1 " <<<"$2" | head -1 | cut -d' ' -f2; }	# description of name $1

F1=$TMP/c1.pcapng
capture "cap CONTAINER --both-ends" "$F1" "$CN" --both-ends -d 2
l=$(ifaces_of "$F1")
check_eq "cap container: four interfaces" 4 "$(grep -c . <<<"$l")"
names=$(cut -d' ' -f1 <<<"$l")
has "cap container: if_name CONTAINER:$CE byte-exact" "$(hex "$CN:$CE")" "$names"
has "cap container: if_name CONTAINER:$CX byte-exact" "$(hex "$CN:$CX")" "$names"
has "cap container: if_name host:$HC byte-exact" "$(hex "host:$HC")" "$names"
check_eq "cap container: if_description of its ends is the container" "$(hex "$CN") $(hex "$CN")" \
	"$(hx_n "$(hex "$CN:$CE")" "$l") $(hx_n "$(hex "$CN:$CX")" "$l")"
check_eq "cap container: host end has no description" "-" "$(hx_n "$(hex "host:$HC")" "$l")"
nx=$(grep -vxF -e "$(hex "$CN:$CE")" -e "$(hex "$CN:$CX")" -e "$(hex "host:$HC")" <<<"$names")
one_of "cap container: if_name of the non-UTF-8 end is UTF-8 (\\u00XX or \\xNN form)" "$nx" \
	"$(jx "$NN:$NX")" "$(tx "$NN:$NX")"
pk=$(tshark -n -r "$F1" -T fields -e frame.interface_name -Y icmp 2>/dev/null | sort -u | hexlines)
has "cap container: tshark gives CONTAINER:$CX for the ping" "$(hex "$CN:$CX")" "$pk"
check_eq "cap container: tshark names only interfaces of the file" "" \
	"$(grep -vxF -e "$(hex "$CN:$CX")" -e "$nx" <<<"$pk")"
has "cap container: section comment names the target byte-exact" "$(hex "target: $CN")" \
	"$("$PY" "$HP" pcapng-comments "$F1")"

F2=$TMP/c2.pcapng
capture "cap NETNS (ip netns name, not UTF-8)" "$F2" "$NN" -d 1
names=$(ifaces_of "$F2" | cut -d' ' -f1)
check_eq "cap netns: two interfaces (eth0, $(unhex "$(hex "$NX")"))" 2 "$(grep -c . <<<"$names")"
one_of "cap netns: if_name NETNS:eth0 is UTF-8 (\\u00XX or \\xNN form)" \
	"$(grep -vxF "$nx" <<<"$names" | head -1)" "$(jx "$NN:eth0")" "$(tx "$NN:eth0")"

F3=$TMP/c3.pcapng
capture "cap the long-path netns" "$F3" "netns:$NL_INO" -d 1
same "cap long path: if_name PATH:$LX byte-exact ($(( ${#ML} + 1 + ${#LX} )) bytes)" "$(hex "$ML:$LX")" \
	"$(ifaces_of "$F3" | cut -d' ' -f1 | head -1)"

# ---- changes, scan 2, diff --json, report of the changes -------------------------------------------
echo "$SD" >"$TMP/c.pid"			# the container "restarts" into netns d
ip -n "$NN" link add "$NEWN" type bridge || fail "bridge $NEWN"
ip link del "$HM" || fail "del $HM"
nsenter --net="$ML" ip link add "$KX" type veth peer name "$HK" netns $$ || fail "veth $KX"
J2=$TMP/scan2.json
V scan --db "$DB" --json >"$J2" 2>"$TMP/scan2.err"
check_eq "scan 2 exits 0" 0 "$?"
valid_json "scan 2 --json" "$J2"
has "scan 2: container name in its new netns" "$(hex "$CN")" "$(ctrnames "$J2" "$ND_INO")"
D=$TMP/diff.json
V diff --db "$DB" --json >"$D" 2>"$TMP/diff.err"
check_eq "diff --json exits 0" 0 "$?"
valid_json "diff --json" "$D"
check "diff --json: no raw control characters" no_ctl "$D"
dobj() { jq -r --arg o "$1" --arg k "$2" '.changes[] | select(.op == $o and .kind == $k) | .object' "$D" | hexlines; }
has "diff: ~ container, byte-exact" "$(hex "$CN (docker)")" "$(dobj '~' container)"
check_eq "diff: ~ container says restarted" 1 \
	"$(jqv "$D" --arg o "$CN (docker)" '[.changes[] | select(.object == $o and (.detail | contains("restarted")))] | length')"
l=$(dobj + interface)
has "diff: + interface in the ip netns (\\u00XX)" "$(jx "$NN:$NEWN")" "$l"
has "diff: + interface in the long-path netns, byte-exact" "$(hex "$ML:$KX")" "$l"
has "diff: + interface host:$HK" "$(hex "host:$HK")" "$l"
l=$(dobj - interface)
has "diff: - interface host:$HM" "$(hex "host:$HM")" "$l"
lm=$(jq -r --argjson n "$NM_INO" '.netns[] | select(.inode == $n) | .names[0]' "$J1" | hexlines)
[ "$lm" == "$(jx "$M1")" ] && LM=$M1 || LM=$M2	# the label of a netns known by its mounts only
has "diff: - interface BINDMOUNT:$MX" "$(jx "$LM:$MX")" "$l"
l=$(dobj + edge)
one_of "diff: + edge veth, long path end byte-exact" "$(grep -F "$(hex "host:$HK")" <<<"$l" | head -1)" \
	"$(hex "veth host:$HK <-> $ML:$KX")" "$(hex "veth $ML:$KX <-> host:$HK")"
one_of "diff: - edge veth of the bind-mounted netns" "$(dobj - edge | grep -F "$(hex "$MX")" | head -1)" \
	"$(jx "veth host:$HM <-> $LM:$MX")" "$(jx "veth $LM:$MX <-> host:$HM")"
V diff --db "$DB" >"$TMP/diff.txt" 2>&1
check_eq "diff (text) exits 0" 0 "$?"
check "diff (text): no raw control characters" no_ctl "$TMP/diff.txt"

R=$TMP/r2.xml
V report --db "$DB" -o "$R" 2>"$TMP/r.err"
check_eq "report 2 exits 0, no stderr" "0 " "$? $(cat "$TMP/r.err")"
check "report 2 (with changes): valid against the schema" xmllint --noout --schema "$XSD" "$R"
has "report 2: change object, the container" "$(tx "$CN (docker)")" "$(xv change object)"
has "report 2: change object, long path" "$(tx "$ML:$KX")" "$(xv change object)"
out=$("$PY" "$HP" report-refs "$R" "$PFX" 2>&1)
check_eq "report 2: refs of ours unique and joined" "" "$out"
V report --db "$DB" --format html -o "$TMP/r2.html" 2>"$TMP/h.err"
err=$(html_lint "$TMP/r2.html")
check_eq "report 2 html: exits 0, xmllint --html accepts it" "0 " "$? $err$(cat "$TMP/h.err")"

# ---- nothing was executed --------------------------------------------------------------------------
for f in "${PWN[@]}"; do
	skipf=0
	for b in "${PWN_BEFORE[@]}"; do [ "$b" == "$f" ] && skipf=1; done
	[ $skipf = 1 ] && { note "$f existed before the test: not checked"; continue; }
	check "nothing executed: no $f" test ! -e "$f"
done
check_eq "nothing executed: vethmap's working directory stays empty" "" "$(ls -A "$TMP/cwd")"
