#!/bin/bash
# A database of schema version 1 (tests/data/schema-v1.sql, as vethmap 0.1.0 wrote it) is
# read as it is, and upgraded to the current version (schema/vethmap.sql's) when the first scan opens it: its old
# snapshots stay readable, the new one carries the completeness columns and the mounts; its
# first prune turns incremental vacuum on with one VACUUM.  The event table (version 12)
# comes with the upgrade as a new file has it; 'events' reads an old file as having none.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

V1=$TMP/v1.db
sqlite3 "$V1" <tests/data/schema-v1.sql || { not_ok "fixture: v1 schema" "sqlite3 failed"; exit 1; }
sqlite3 "$V1" "INSERT INTO scan (host, started, duration_ms, n_netns, n_ifaces, n_edges,
	n_unresolved, version) VALUES ('old', '2026-01-01T00:00:00.000Z', 1.0, 1, 0, 0, 0, '0.1.0');
	INSERT INTO netns VALUES (1, 4026531833, 4, 1, 'self');
	INSERT INTO netns_name VALUES (1, 4026531833, '/run/netns/old')"
check_eq "v1: user_version 1" 1 "$(sqlite3 "$V1" 'PRAGMA user_version')"
check_eq "v1: read as it is (scans --json)" "1 false" \
	"$("$VETHMAP" scans --db "$V1" --json | jq -r '.[0] | "\(.id) \(.incomplete)"')"
check_eq "v1: show --json of an old scan" "/run/netns/old false 0" \
	"$("$VETHMAP" show --db "$V1" --json | jq -r '"\(.netns[0].names[0]) \(.scan.incomplete) \(.netns[0].mounts | length)"')"
"$VETHMAP" events --db "$V1" >"$TMP/ev.out" 2>"$TMP/ev.err"
check_eq "v1: events reads it as having none (exit 0, nothing)" "0 0" "$? $(wc -c <"$TMP/ev.out")"
check_eq "v1: still version 1 after reading" 1 "$(sqlite3 "$V1" 'PRAGMA user_version')"
timeout 120 "$VETHMAP" scan --db "$V1" --json >"$TMP/s.json" 2>"$TMP/s.err"
check_eq "scan into a v1 file: exit 0 ($(head -c 200 "$TMP/s.err"))" 0 $?
CURRENT=$(sed -n 's/^PRAGMA user_version = \([0-9]*\);.*/\1/p' schema/vethmap.sql)
check_eq "upgraded: user_version $CURRENT (schema/vethmap.sql)" "$CURRENT" "$(sqlite3 "$V1" 'PRAGMA user_version')"
check_eq "upgraded: the route table exists (version 4)" 1 \
	"$(sqlite3 "$V1" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'route'")"
check_eq "upgraded: the old scan has no routes" 0 \
	"$(sqlite3 "$V1" "SELECT count(*) FROM route WHERE scan_id = 1")"
check_eq "upgraded: the old scan's forwarding reads unknown" "null" \
	"$("$VETHMAP" show --db "$V1" --scan 1 --json | jq -c '.netns[0].forwarding')"
check_eq "upgraded: containers have the node column, in the key (version 7)" "1 1" \
	"$(sqlite3 "$V1" "SELECT count(*), max(pk > 0) FROM pragma_table_info('container') WHERE name = 'node'" | tr '|' ' ')"
check_eq "upgraded: containers have the verified column (version 3)" 1 \
	"$(sqlite3 "$V1" "SELECT count(*) FROM pragma_table_info('container') WHERE name = 'verified'")"
check_eq "upgraded: containers have owner_uid and owner (version 6)" 2 \
	"$(sqlite3 "$V1" "SELECT count(*) FROM pragma_table_info('container') WHERE name IN ('owner_uid', 'owner')")"
check_eq "upgraded: namespaces have the owner columns (version 5)" 3 \
	"$(sqlite3 "$V1" "SELECT count(*) FROM pragma_table_info('netns') WHERE name IN ('userns', 'owner_uid', 'owner')")"
check_eq "upgraded: the new scan's userns stored" \
	"$(jq '.netns[] | select(.host) | .userns' "$TMP/s.json")" \
	"$(sqlite3 "$V1" 'SELECT userns FROM netns WHERE scan_id = 2 AND is_host')"
check_eq "upgraded: the tap_holder table (version 5)" 1 \
	"$(sqlite3 "$V1" "SELECT count(*) FROM sqlite_master WHERE name = 'tap_holder'")"
check_eq "upgraded: the new scan's completeness stored" "0|0|" \
	"$(sqlite3 "$V1" 'SELECT incomplete, missed, incomplete_reason FROM scan WHERE id = 2')"
check_eq "upgraded: the old scan reads complete" "0|0" \
	"$(sqlite3 "$V1" 'SELECT incomplete, missed FROM scan WHERE id = 1')"
check_eq "upgraded: mounts of the new scan stored" \
	"$(jq '[.netns[].mounts | length] | add' "$TMP/s.json")" \
	"$(sqlite3 "$V1" 'SELECT count(*) FROM netns_mount WHERE scan_id = 2')"
check_eq "upgraded: the old scan still shows" "/run/netns/old" \
	"$("$VETHMAP" show --db "$V1" --scan 1 --json 2>/dev/null | jq -r '.netns[0].names[0]')"
check "upgraded: diff across the upgrade" bash -c "'$VETHMAP' diff --db '$V1' 1 2 >/dev/null"
"$VETHMAP" scans --db "$V1" >/dev/null
check_eq "upgraded: scans" 0 $?
check_eq "upgraded: scans have same_as (version 9)" 1 \
	"$(sqlite3 "$V1" "SELECT count(*) FROM pragma_table_info('scan') WHERE name = 'same_as'")"
check_eq "upgraded: the new scan has its own rows (not like the old one)" "" \
	"$(sqlite3 "$V1" 'SELECT same_as FROM scan WHERE id = 2')"
check_eq "upgraded: scans --json says the old scan is not unchanged" "false null" \
	"$("$VETHMAP" scans --db "$V1" --json | jq -r '.[0] | "\(.unchanged) \(.same_as)"')"
check_eq "upgraded: auto_vacuum still off (only VACUUM can change it)" 0 \
	"$(sqlite3 "$V1" 'PRAGMA auto_vacuum')"
"$VETHMAP" prune --db "$V1" --keep 1 --json >"$TMP/p.json" 2>"$TMP/p.err"
check_eq "upgraded: prune --keep 1 exits 0 ($(head -c 200 "$TMP/p.err"))" 0 $?
check_eq "upgraded: its first prune is a full VACUUM, deleting the old scan" "full 1" \
	"$(jq -r '"\(.vacuum) \(.deleted)"' "$TMP/p.json")"
check_eq "upgraded: incremental vacuum from then on" 2 "$(sqlite3 "$V1" 'PRAGMA auto_vacuum')"
check_eq "upgraded: after prune, scan 2 alone" 2 "$(sqlite3 "$V1" 'SELECT group_concat(id) FROM scan')"
check_eq "upgraded: integrity after the VACUUM" ok "$(sqlite3 "$V1" 'PRAGMA integrity_check')"
check "upgraded: scan 2 shows after prune" bash -c "'$VETHMAP' show --db '$V1' --scan 2 >/dev/null"
"$VETHMAP" prune --db "$V1" --keep 1 --json >"$TMP/p.json"
check_eq "upgraded: the next prune, with nothing to delete, vacuums nothing" "none 0" \
	"$(jq -r '"\(.vacuum) \(.deleted)"' "$TMP/p.json")"
sqlite3 "$TMP/new.db" <schema/vethmap.sql
check_eq "upgraded: the event table as a new file has it (version 12)" \
	"$(sqlite3 "$TMP/new.db" "SELECT group_concat(name || ' ' || type || ' ' || \"notnull\" || ' ' || pk, ',')
	   FROM pragma_table_info('event')")" \
	"$(sqlite3 "$V1" "SELECT group_concat(name || ' ' || type || ' ' || \"notnull\" || ' ' || pk, ',')
	   FROM pragma_table_info('event')")"
check_eq "upgraded: its indexes by time and by batch" 2 \
	"$(sqlite3 "$V1" "SELECT count(*) FROM sqlite_master WHERE name IN ('event_by_time',
	   'event_by_batch')")"
