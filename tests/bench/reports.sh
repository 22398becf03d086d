#!/bin/bash
# tests/bench/reports.sh - time graph -T svg, report and diff on 1000-namespace snapshots.
#
# These commands only read the database, so the snapshots are written straight into one
# (two scans of 1000 namespaces, each a veth to one of 4 host bridges; the second changes
# 10 MTUs) after a real scan has created it.  Median of 5 runs each.
# Targets: graph -T svg and report under 2 s, diff under 200 ms.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
V=${VETHMAP:-$root/vethmap}
N=${BENCH_REPORT_NS:-1000}
TMP=$(mktemp -d) || exit 1
trap 'rm -rf "$TMP"' EXIT
DB=$TMP/r.db
"$V" scan --db "$DB" --no-containers >/dev/null || exit 1
python3 - "$DB" "$N" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); n = int(sys.argv[2]); HOST = 1
for snap in (1, 2):
    sid = db.execute("INSERT INTO scan (host,started,duration_ms,n_netns,n_ifaces,n_edges,"
                     "n_unresolved,version) VALUES ('bench','2026-01-01T00:00:00Z',0,?,?,?,0,"
                     "'bench')", (n + 1, 3 * n + 5, 2 * n)).lastrowid
    db.execute("INSERT INTO netns VALUES (?,?,4,1,'proc,self')", (sid, HOST))
    db.execute("INSERT INTO iface (scan_id,netns,ifindex,name,kind,mtu,up,flags,oper,"
               "promiscuity) VALUES (?,?,1,'lo','loopback',65536,1,73,'unknown',0)", (sid, HOST))
    for b in range(4):
        db.execute("INSERT INTO iface (scan_id,netns,ifindex,name,kind,mtu,up,flags,oper,"
                   "promiscuity,mac) VALUES (?,?,?,?,'bridge',1500,1,4099,'up',0,?)",
                   (sid, HOST, 10 + b, 'br%d' % b, '02:00:00:00:ff:%02x' % b))
    e = 0
    for i in range(n):
        ino = 100 + i; h = 100 + i
        db.execute("INSERT INTO netns VALUES (?,?,4,0,'mount')", (sid, ino))
        db.execute("INSERT INTO netns_name VALUES (?,?,?)", (sid, ino, '/run/netns/n%d' % i))
        db.execute("INSERT INTO iface (scan_id,netns,ifindex,name,kind,mtu,up,flags,oper,"
                   "promiscuity) VALUES (?,?,1,'lo','loopback',65536,0,8,'down',0)", (sid, ino))
        db.execute("INSERT INTO iface (scan_id,netns,ifindex,name,kind,mtu,up,flags,oper,"
                   "promiscuity,master,link,link_netnsid,peer_netns,peer_ifindex,mac) VALUES "
                   "(?,?,?,?,'veth',1500,1,4099,'up',1,?,2,?,?,2,?)",
                   (sid, HOST, h, 'vh%d' % i, 10 + i % 4, i, ino,
                    '02:00:00:01:%02x:%02x' % (i >> 8, i & 255)))
        db.execute("INSERT INTO iface (scan_id,netns,ifindex,name,kind,mtu,up,flags,oper,"
                   "promiscuity,link,link_netnsid,peer_netns,peer_ifindex,mac) VALUES "
                   "(?,?,2,'eth0','veth',?,1,4099,'up',0,?,0,?,?,?)",
                   (sid, ino, 1400 if snap == 2 and i % 100 == 0 else 1500, h, HOST, h,
                    '02:00:00:02:%02x:%02x' % (i >> 8, i & 255)))
        db.execute("INSERT INTO addr VALUES (?,?,2,4,?)", (sid, ino, '10.%d.%d.2/16' % (i >> 8, i & 255)))
        e += 1; db.execute("INSERT INTO edge VALUES (?,?,'veth',?,?,?,2)", (sid, e, HOST, h, ino))
        e += 1; db.execute("INSERT INTO edge VALUES (?,?,'bridge',?,?,?,?)", (sid, e, HOST, h, HOST, 10 + i % 4))
db.commit()
PY
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
timeit() {	# label, target ms, command...
	local label=$1 target=$2; shift 2
	local ms
	ms=$(for r in 1 2 3 4 5; do
		s=$(date +%s%N); "$@" >/dev/null 2>&1 || echo "FAIL" >&2; e=$(date +%s%N)
		echo $(( (e - s) / 1000000 ))
	done | median)
	printf '%-22s %6s ms (target < %s ms)\n' "$label" "$ms" "$target"
	if [ "$ms" -lt "$target" ]; then echo "target ok   - $label"; else echo "target MISS - $label"; fi
}
echo "reports bench: two snapshots of $N namespaces"
timeit "graph -T svg" 2000 "$V" graph --db "$DB" -T svg -o "$TMP/g.svg"
timeit "graph -T dot" 2000 "$V" graph --db "$DB" -T dot -o "$TMP/g.dot"
timeit "report (XML)" 2000 "$V" report --db "$DB" -o "$TMP/r.xml"
timeit "diff" 200 "$V" diff --db "$DB"
