#!/bin/bash
# 'vethmap collect --ssh' over real OpenSSH (issue 16): three "hosts" made of namespaces
# (tests/lib_hosts_ssh.sh: own PID, mount, UTS and network namespaces, a private
# /run/netns, an sshd of Debian's openssh-server on the test's underlay address only),
# each with a namespace and veth pair of its own, and a fourth address whose port 22
# accepts and never speaks.  Checks: every answering host is collected into DIR/HOST.json
# (0600, written whole), each file is that host's own scan (its host name, its netns and
# only its), the silent host costs its deadline and exactly one line naming it, the exit
# status says "partial" (3); a host without vethmap costs one line with ssh's exit status;
# a HOST that ssh would take as an option is refused before anything runs; -o DB runs
# 'vethmap merge' (merged when this build has it) and leaves no temporary directory.
# ssh runs with -F a config of the test (its own key and known_hosts): the user's ssh
# set-up is neither read nor changed.
. "${BASH_SOURCE%/*}/lib.sh"
. "${BASH_SOURCE%/*}/lib_hosts_ssh.sh"
hosts_ssh_need	# root, sshd; and the prefix vk1 on everything

hosts_ssh_fabric
for i in 1 2 3; do
	host_ssh_add "$i"
	host_ssh_exec "$i" sh -c "ip netns add ${PFX}n$i && ip link add v$i type veth peer name p$i netns ${PFX}n$i" ||
		{ not_ok "fixture: host $i's own namespace" "failed"; exit 1; }
done
host_ssh_silent 10.251.0.9
H=(10.251.0.11 10.251.0.12 10.251.0.13)

# the fixture holds: ssh with our config reaches a host and runs there
out=$(in_client ssh -F "$SSHCFG" -o BatchMode=yes -- 10.251.0.12 hostname 2>&1)
check_eq "fixture: ssh -F reaches host 2" "${PFX}h2" "$out"

t0=$(date +%s.%N)
in_client "$VETHMAP" collect --ssh -F "$SSHCFG" --deadline 3s --dir "$TMP/out" --json \
	"${H[@]}" 10.251.0.9 >"$TMP/c.json" 2>"$TMP/c.err"
rc=$?
t1=$(date +%s.%N)
check_eq "collect: some hosts failed, the others kept: exit 3" 3 "$rc"
for i in 1 2 3; do
	f=$TMP/out/${H[i - 1]}.json
	check "collect: host $i's scan is in DIR/HOST.json" test -s "$f"
	check_eq "collect: host $i's file is 0600" 600 "$(stat -c %a "$f" 2>/dev/null)"
	check_eq "collect: host $i's file is its own scan (its host name)" "${PFX}h$i" \
		"$(jqv "$f" .scan.host)"
	check_eq "collect: host $i's scan has its own netns and only those" \
		"/run/netns/${PFX}n$i" "$(jqv "$f" '[.netns[].names[]] | sort | join(",")')"
	check_eq "collect: host $i's namespace is its host's (the inode)" \
		"$(pid_ns_ino "${HOST_PID[$i]}")" "$(jqv "$f" '.netns[] | select(.host) | .inode')"
	check_eq "collect: host $i's veth pair is paired" 1 "$(jqv "$f" '[.edges[] | select(.type == "veth")] | length')"
	check_eq "collect: the summary says host $i is collected, as ${PFX}h$i" "true ${PFX}h$i" \
		"$(jqv "$TMP/c.json" --arg h "${H[i - 1]}" '.hosts[] | select(.host == $h) | "\(.ok) \(.scanned_as)"')"
done
check_eq "collect: no file for the silent host, no temporary file left" \
	"$(printf '%s.json\n' "${H[@]}" | sort)" "$(ls -A "$TMP/out" | sort)"
check_eq "collect: the silent host costs exactly one line" 1 "$(wc -l <"$TMP/c.err")"
check "collect: that line names it and says it timed out" \
	grep -qE "host '10\.251\.0\.9': timed out after 3 s" "$TMP/c.err"
check_eq "collect: the summary gives the silent host's error" "false" \
	"$(jqv "$TMP/c.json" '.hosts[] | select(.host == "10.251.0.9") | .ok')"
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
check "collect: the silent host costs its deadline (3 s), not more ($secs s)" \
	awk -v s="$secs" 'BEGIN { exit !(s >= 2.9 && s < 8) }'

# every host answers: exit 0, nothing on stderr
t0=$(date +%s.%N)
in_client "$VETHMAP" collect --ssh -F "$SSHCFG" --dir "$TMP/all" "${H[@]}" >"$TMP/a.out" 2>"$TMP/a.err"
rc=$?
t1=$(date +%s.%N)
check_eq "collect: every host collected: exit 0" 0 "$rc"
check_eq "collect: every host collected: nothing on stderr" "" "$(cat "$TMP/a.err")"
check_eq "collect: the table has a line per host" 3 "$(grep -cE '^10\.251\.0\.1[123] +ok ' "$TMP/a.out")"
note "collect of 3 hosts: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"

# a host where vethmap is not on the PATH: ssh's exit status, one line
rm -f "${HOST_DIR[3]}/bin/vethmap"
in_client "$VETHMAP" collect --ssh -F "$SSHCFG" --dir "$TMP/nov" "${H[@]}" >/dev/null 2>"$TMP/n.err"
rc=$?
check_eq "collect: a host without vethmap: exit 3" 3 "$rc"
check_eq "collect: a host without vethmap costs one line" 1 "$(wc -l <"$TMP/n.err")"
check "collect: that line names it, with the exit status and why" \
	grep -qE "host '10\.251\.0\.13': exit status 127: .*vethmap.*not found" "$TMP/n.err"
check_eq "collect: the others are still collected" "10.251.0.11.json 10.251.0.12.json" \
	"$(ls "$TMP/nov" | tr '\n' ' ' | sed 's/ $//')"
ln -s "$VETHMAP" "${HOST_DIR[3]}/bin/vethmap"

# a HOST ssh would take as an option: refused, nothing runs
for bad in "-oProxyCommand=touch $TMP/pwned" "-F/dev/null"; do
	in_client "$VETHMAP" collect --ssh -F "$SSHCFG" --dir "$TMP/bad" -- 10.251.0.11 "$bad" \
		>"$TMP/b.out" 2>"$TMP/b.err"
	rc=$?
	check_eq "collect: HOST '$bad' is a usage error" 2 "$rc"
	check "collect: the refusal names it" grep -qF "refusing HOST '$bad'" "$TMP/b.err"
done
check "collect: no ProxyCommand ran" test ! -e "$TMP/pwned"
check "collect: a refused command line collects nothing" test ! -e "$TMP/bad"

# -o DB: through 'vethmap merge' (our own binary), the scans in a temporary directory
# (under TMPDIR) until merged, gone after
mkdir -p "$TMP/tmpd"
in_client env TMPDIR="$TMP/tmpd" "$VETHMAP" collect --ssh -F "$SSHCFG" -o "$TMP/cluster.db" "${H[@]}" \
	>/dev/null 2>"$TMP/m.err"
rc=$?
check_eq "collect -o: no temporary directory is left" "" "$(ls -A "$TMP/tmpd")"
check_eq "collect -o: exit 0" 0 "$rc"
check "collect -o: the database is made" test -s "$TMP/cluster.db"
# the cluster holds each host once, by its own machine-id, as the files of --dir had them
check_eq "collect -o: the cluster holds the three hosts' machine-ids" \
	"$(for f in "$TMP"/all/*.json; do jq -r '.host.machine_id' "$f"; done | sort)" \
	"$("$VETHMAP" show --db "$TMP/cluster.db" --json 2>/dev/null | jq -r '.hosts[].machine_id' | sort)"
exit 0
