#!/bin/bash
# Whose each namespace is: a namespace made by an unprivileged user (unshare -Urn, as
# rootless Podman does) is owned by a user namespace that user made: the scan shows its
# owner uid (and name), in JSON, the table, the database and the report; the host's
# namespace and one made by root (ip netns add) show none.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

fail_fixture() { not_ok "fixture: $1" "${2:-failed}"; exit 1; }

U=h11p$RANDOM UP= NP=
# the user goes once its processes are gone (userdel refuses a user that runs one)
_owner_cleanup() {
	local rc=$? p
	for p in $UP $NP; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	getent passwd "$U" >/dev/null && userdel "$U" 2>/dev/null
	(exit $rc)	# _cleanup takes the script's status from $?
	_cleanup
}
trap _owner_cleanup EXIT
for _ in 1 2 3; do	# /etc/passwd may be locked by another test's useradd for a moment
	useradd -M -N -r -s /usr/sbin/nologin "$U" 2>/dev/null && break
	sleep 0.5
done
getent passwd "$U" >/dev/null || fail_fixture "useradd $U"
UID_=$(id -u "$U")
setpriv --reuid "$UID_" --regid 65534 --clear-groups unshare -Urn sleep 120 &
UP=$!; bg_pid $UP
in_other_ns() { local i; i=$(pid_ns_ino "$1") && [ "$i" != "$HOSTNS" ]; }
wait_for 5 in_other_ns $UP || fail_fixture "unshare -Urn as $U"
UNS=$(pid_ns_ino $UP)
setpriv --reuid 65534 --regid 65534 --clear-groups unshare -Urn sleep 120 &
NP=$!; bg_pid $NP
wait_for 5 in_other_ns $NP || fail_fixture "unshare -Urn as 65534"
NNS=$(pid_ns_ino $NP)
ns_add r
RNS=$(ns_ino r)

J=$TMP/scan.json
scan_json "$J" || exit 1
nsq() { jqv "$J" --argjson n "$1" "[.netns[] | select(.inode == \$n)] | if length == 1 then .[0] | $2 else \"<\(length) matches>\" end"; }
check_eq "user's netns: owner_uid" "$UID_" "$(nsq "$UNS" .owner_uid)"
check_eq "user's netns: owner" "$U" "$(nsq "$UNS" .owner)"
check_eq "user's netns: userns is the process's" "$(stat -L -c %i /proc/$UP/ns/user)" "$(nsq "$UNS" .userns)"
check_eq "65534's netns: owner_uid" 65534 "$(nsq "$NNS" .owner_uid)"
check_eq "host netns: no owner_uid" null "$(nsq "$HOSTNS" .owner_uid)"
check_eq "host netns: userns known" true "$(nsq "$HOSTNS" '.userns > 0')"
check_eq "root's netns: no owner_uid" null "$(nsq "$RNS" .owner_uid)"
check_eq "root's netns: same userns as the host's" "$(nsq "$HOSTNS" .userns)" "$(nsq "$RNS" .userns)"

T=$TMP/show.txt
"$VETHMAP" show --db "$DB" >"$T" 2>&1
check "table: user's netns says user $U (uid $UID_)" grep -q "^netns $UNS .*user $U (uid $UID_)" "$T"
check_eq "table: host netns says no user" 0 "$(grep "^netns $HOSTNS " "$T" | grep -c " user ")"
check_eq "stored: owner_uid" "$UID_ $U" "$(sqlite3 "$DB" "SELECT owner_uid || ' ' || owner FROM netns WHERE inode = $UNS AND scan_id = (SELECT coalesce(same_as, id) FROM scan ORDER BY id DESC LIMIT 1)")"
check_eq "stored: host owner_uid NULL" 1 "$(sqlite3 "$DB" "SELECT count(*) FROM netns WHERE inode = $HOSTNS AND owner_uid IS NULL AND scan_id = (SELECT coalesce(same_as, id) FROM scan ORDER BY id DESC LIMIT 1)")"
R=$TMP/report.xml
if "$VETHMAP" report --db "$DB" -o "$R" 2>"$R.err"; then
	check "report valid against the XSD" xmllint --noout --schema schema/vethmap-report.xsd "$R"
	check "report: owner-uid of the user's netns" grep -q "inode=\"$UNS\".*owner-uid=\"$UID_\" owner=\"$U\"" "$R"
else
	not_ok "report exits 0" "$(head -c 300 "$R.err")"
fi
