#!/bin/bash
# tests/bench/collect.sh - what 'vethmap collect --ssh' costs (root, from the repository
# root): N "hosts" of tests/lib_hosts_ssh.sh (namespaces, each with its own sshd and one
# namespace with a veth pair of its own), then `collect --ssh -F CFG --dir DIR HOST...`
# from the client netns, BENCH_RUNS times (default 5): the median wall time, and the
# bytes of one host's scan.  Usage: tests/bench/collect.sh [N...] (default "3 20";
# ascending, the hosts of one size are kept for the next).  Everything goes at exit.
. "${BASH_SOURCE%/*}/../lib.sh"
. "${BASH_SOURCE%/*}/../lib_hosts_ssh.sh"
hosts_ssh_need	# root, sshd; and the prefix vk1 on everything
RUNS=${BENCH_RUNS:-5}
[ $# -gt 0 ] || set -- 3 20
hosts_ssh_fabric
have=0
for n in "$@"; do
	while [ "$have" -lt "$n" ]; do
		have=$((have + 1))
		host_ssh_add "$have"
		host_ssh_exec "$have" sh -c "ip netns add ${PFX}n$have && ip link add v$have type veth peer name p$have netns ${PFX}n$have"
	done
	hosts=()
	for i in $(seq "$n"); do hosts+=("10.251.0.$((10 + i))"); done
	times=()
	for r in $(seq "$RUNS"); do
		rm -rf "$TMP/out"
		t0=$(date +%s%N)
		in_client "$VETHMAP" collect --ssh -F "$SSHCFG" --dir "$TMP/out" "${hosts[@]}" >/dev/null 2>"$TMP/err"
		rc=$?
		t1=$(date +%s%N)
		[ "$rc" = 0 ] || { not_ok "collect of $n hosts" "exit $rc: $(head -c 300 "$TMP/err")"; break; }
		times+=($(( (t1 - t0) / 1000000 )))
	done
	med=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
	echo "collect --ssh of $n hosts: median ${med} ms of $RUNS (runs: ${times[*]} ms);" \
		"$(ls "$TMP/out" | wc -l) files, $(stat -c %s "$TMP/out/10.251.0.11.json") bytes per host"
done
