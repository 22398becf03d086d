#!/bin/bash
# Cost of 'vethmap merge': N copies of one host's scan JSON (this machine's, or $1), each
# given its own host name and machine-id, merged into a new cluster database; for 3 and
# for 20 hosts: wall time, peak memory, database size per host.  Root (it scans).
set -eu
V=${VETHMAP:-$(pwd)/vethmap}
D=$(mktemp -d /tmp/vm1bench.XXXXXX)
trap 'rm -rf "$D"' EXIT
if [ $# -ge 1 ]; then cp "$1" "$D/one.json"; else "$V" scan --json --no-store --no-containers >"$D/one.json" 2>/dev/null; fi
echo "# one host: $(jq '.netns | length' "$D/one.json") namespaces, $(jq '.interfaces | length' "$D/one.json") interfaces, $(stat -c %s "$D/one.json") bytes of JSON"
for i in $(seq 1 20); do
	jq --arg n "bench$i" --arg m "$(printf '%032x' "$i")" \
		'.host.name = $n | .scan.host = $n | .host.machine_id = $m' "$D/one.json" >"$D/h$i.json"
done
for n in 3 20; do
	files=()
	for i in $(seq 1 "$n"); do files+=("$D/h$i.json"); done
	/usr/bin/time -f "%e %M" -o "$D/t" "$V" merge "${files[@]}" -o "$D/m$n.db" >/dev/null
	read -r s kb <"$D/t"
	sqlite3 "$D/m$n.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	echo "$n hosts: ${s} s, peak ${kb} KiB, database $(stat -c %s "$D/m$n.db") bytes ($(( $(stat -c %s "$D/m$n.db") / n )) per host)"
done
