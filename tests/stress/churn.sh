#!/bin/bash
# tests/stress/churn.sh - namespace churn under repeated scans (the stress engine).
#
# Run by tests/t_stress.sh (10 s, part of `make check`) and tests/stress/run (60 s,
# `make stress`); needs root.  For STRESS_SECONDS (default 60):
#   churn    one process creates and deletes named namespaces, veth pairs (host<->netns made
#            from either side or moved in Docker-style, netns<->netns, in one netns,
#            host<->host), host bridges and bridge ports; moves and renames veth ends; reuses
#            the same names for pairs with changing partners; makes anonymous namespaces.
#            It logs every pair as (netns name or "host", ifname, netns name, ifname) with
#            the time before the command that made it and after the one that ended it
#            (open-ended when the pair dies asynchronously with its namespace).
#   docker   when /usr/bin/docker info answers: a few busybox containers run and removed in
#            a loop, each logged with the host end of its eth0 (skipped with a note otherwise)
#   scanners STRESS_SCANNERS loops (default 2) of `vethmap scan --db $DB --json` under
#            /usr/bin/time (peak RSS); each output is boiled down at once to the edges,
#            peers, unresolved ends and bridge ports that touch our names
#   readers  two loops of show (text, --json), report (xml, html), graph -T dot, diff (text,
#            --json), scans and ls --stored on the database
#   cap      a loop of 1 s captures on stable namespaces/interfaces of ours (ping traffic
#            runs between two of them, inside our namespaces only)
# A stable set of pairs and bridge ports exists for the whole run.
# Then it judges every scan (python3): exit 0; every veth edge (and interface peer) with an
# end of ours must be a logged pair that existed at some time during that scan (a pair that
# changed mid-scan may be missing or unresolved, never paired wrong); no end of ours in two
# edges; every stable pair reported, paired right, not unresolved, in every scan; every
# churned pair (containers aside) that existed unchanged from before the scan started until
# after it ended reported and paired too; bridge edges of ours true.  Show/report/graph/
# diff/scans/ls and cap all exit 0 (cap only targets stable things of ours).  Peak RSS of the last 10 scans within 20% + 2 MiB of the first 10;
# after teardown the host's open files (/proc/sys/fs/file-nr) and namespaces (as counted by
# a scan) are back to their start values (tolerances below) and nothing of ours is left.
#
# Environment: STRESS_SECONDS (60), STRESS_SCANNERS (2), STRESS_SEED (random; printed),
#   STRESS_FD_TOL (open-file growth allowed; default 256 + 10% of the start value),
#   STRESS_NS_TOL (namespace growth allowed, besides ones clearly not ours; default 0),
#   STRESS_DOCKER=0 to leave Docker out; STRESS_WATCH=1 adds a 'vethmap watch' storing into
#   the database (tests/stress/watcher.sh: its snapshots are judged as the scans are, its
#   reconciling rescans must correct nothing, its RSS stay flat; STRESS_SCANNERS may then be 0).
# Every loop is bounded in count and time; everything is named ${PFX}*, lives in our own
# namespaces (or is a host link of ours) and is removed at exit, also on failure.
. "${BASH_SOURCE%/*}/../lib_engines.sh"	# sources ../lib.sh
XSL=$PWD/reports/report.xsl	# this tree's stylesheet (report --format html takes no ./reports)
need_root
need_vethmap
export LC_ALL=C	# EPOCHREALTIME with a '.'

DUR=${STRESS_SECONDS:-60}
NSCAN=${STRESS_SCANNERS:-2}
SEED=${STRESS_SEED:-$((RANDOM * 32768 + RANDOM))}
case $DUR in ''|*[!0-9]*|0) not_ok "STRESS_SECONDS" "must be a positive number: '$DUR'"; exit 1 ;; esac
WATCH=${STRESS_WATCH:-0}
case $NSCAN in ''|*[!0-9]*) not_ok "STRESS_SCANNERS" "must be a number: '$NSCAN'"; exit 1 ;; esac
[ "$NSCAN" = 0 ] && [ "$WATCH" != 1 ] && { not_ok "STRESS_SCANNERS" "0 only with STRESS_WATCH=1"; exit 1; }
for c in jq python3 /usr/bin/time ip unshare nsenter; do
	command -v $c >/dev/null || { not_ok "fixture: $c" "missing (make deps)"; exit 1; }
done
note "stress: ${DUR} s, $NSCAN scanner(s), prefix $PFX, seed $SEED (STRESS_SEED=$SEED repeats the churn choices)"
RANDOM=$SEED
now() { echo "${EPOCHREALTIME%.*}"; }
T_START=$EPOCHREALTIME

fdnr() { cut -f1 /proc/sys/fs/file-nr; }
count_netns() {	# count_netns FILE: a --no-store scan's JSON into FILE; prints its netns count
	timeout 60 "$VETHMAP" scan --no-store --json >"$1" 2>/dev/null && jq '.netns | length' "$1" 2>/dev/null
}
FD0=$(fdnr)
NS0=$(count_netns "$TMP/before.json")
[ -n "$NS0" ] || { not_ok "fixture: scan before the run" "failed"; exit 1; }

# ---- stable fixtures: exist for the whole run ------------------------------------------
S1=${PFX}s1 S2=${PFX}s2 S3=${PFX}s3
ns_add s1; ns_add s2; ns_add s3
: >"$TMP/truth.stable"
STABLE_PAIRS=() STABLE_PORTS=()
sx() { "$@" >"$TMP/fx.out" 2>&1 || { not_ok "fixture: $*" "$(head -c 200 "$TMP/fx.out")"; exit 1; }; }
stable_pair() {	# stable_pair NS_A IF_A NS_B IF_B CMD...: make a pair with CMD, remember it
	local a=$1 ia=$2 b=$3 ib=$4 t0; shift 4
	t0=$EPOCHREALTIME
	sx "$@"
	echo "ADD $t0 $EPOCHREALTIME $a $ia $b $ib" >>"$TMP/truth.stable"
	STABLE_PAIRS+=("$a $ia $b $ib")
}
stable_port() {	# stable_port NS PORT BRIDGE: PORT (a link of NS) joins BRIDGE
	local t0=$EPOCHREALTIME
	if [ "$1" = host ]; then sx ip link set dev "$2" master "$3"
	else sx ip -n "${1#n:}" link set dev "$2" master "$3"; fi
	echo "BADD $t0 $EPOCHREALTIME $1 $2 $1 $3" >>"$TMP/truth.stable"
	STABLE_PORTS+=("$1 $2 $1 $3")
}
# host <-> s1, made on the host with the peer sent into s1
stable_pair host "${PFX}S1" "n:$S1" eth0 ip link add "${PFX}S1" type veth peer name eth0 netns "$S1"
# host <-> s2, made inside s2 with the peer sent to the host (CNI style: iflink 2 on the host)
stable_pair "n:$S2" eth0 host "${PFX}S2" ip -n "$S2" link add eth0 type veth peer name "${PFX}S2" netns $$
# s1 <-> s2, with ping traffic between them (for cap)
stable_pair "n:$S1" p12 "n:$S2" p21 ip -n "$S1" link add p12 type veth peer name p21 netns "$S2"
# both ends in s3, one a port of a bridge in s3
stable_pair "n:$S3" va "n:$S3" vb ip -n "$S3" link add va type veth peer name vb
# host <-> host
stable_pair host "${PFX}Sa" host "${PFX}Sb" ip link add "${PFX}Sa" type veth peer name "${PFX}Sb"
sx ip link add "${PFX}SB" type bridge
stable_port host "${PFX}S1" "${PFX}SB"
stable_port host "${PFX}S2" "${PFX}SB"
sx ip -n "$S3" link add br0 type bridge
stable_port "n:$S3" va br0
for l in "${PFX}S1" "${PFX}S2" "${PFX}Sa" "${PFX}Sb" "${PFX}SB"; do sx ip link set dev "$l" up; done
sx ip -n "$S1" addr add 10.201.0.1/30 dev p12
sx ip -n "$S2" addr add 10.201.0.2/30 dev p21
for n in "$S1" "$S2"; do for l in lo eth0 p12 p21; do ip -n "$n" link set dev "$l" up 2>/dev/null; done; done
for l in lo va vb br0; do sx ip -n "$S3" link set dev "$l" up; done
printf '%s\n' "${STABLE_PAIRS[@]}" >"$TMP/stable.pairs"
printf '%s\n' "${STABLE_PORTS[@]}" >"$TMP/stable.ports"
ip netns exec "$S1" ping -q -n -i 0.2 -w $((DUR + 120)) 10.201.0.2 >/dev/null 2>&1 &
PING=$!; bg_pid $PING

# first snapshots (readers need one, diff two) and a sanity check of the fixtures
for k in 1 2; do
	timeout 60 "$VETHMAP" scan --db "$DB" --json >"$TMP/first.json" 2>"$TMP/first.err" ||
		{ not_ok "fixture: first scans" "$(head -c 300 "$TMP/first.err")"; exit 1; }
done
check_eq "fixture: stable pair host-s1 paired before the churn" 1 \
	"$(edge_count "$TMP/first.json" veth "$HOSTNS" "${PFX}S1" "$(ns_ino s1)" eth0 any)"

# ---- the churn process -----------------------------------------------------------------
pause_point() {	# with STRESS_WATCH: wait while $TMP/pause exists (at most 30 s)
	local w=0
	while [ -e "$TMP/pause" ] && [ $w -lt 600 ] && [ ! -e "$TMP/stop" ]; do sleep 0.05; w=$((w + 1)); done
}
END=$(( $(now) + DUR ))
TRUTH=$TMP/truth.churn
: >"$TRUTH"
churn() {
	local i=0 T0 T1 k e ns n t nn a b op
	local -A PA=() BRM=()
	local CNS=() BRS=()
	local npairs=0 nns=0 nbr=0 nmove=0 nren=0 nfail=0 nanon=0
	RANDOM=$SEED	# subshells reseed: seed here so that STRESS_SEED repeats the choices
	log() { printf '%s\n' "$*" >>"$TRUTH"; }
	x() {	# x CMD...: run, T0/T1 = times before/after
		T0=$EPOCHREALTIME
		"$@" >/dev/null 2>>"$TMP/churn.err"
		local rc=$?
		T1=$EPOCHREALTIME
		[ $rc -eq 0 ] || nfail=$((nfail + 1))
		return $rc
	}
	ipx() {	# ipx END_NS ARGS...: ip in that namespace ("host" or "n:NAME")
		local w=$1; shift
		if [ "$w" = host ]; then ip "$@"; else ip -n "${w#n:}" "$@"; fi
	}
	nsarg() { if [ "$1" = host ]; then echo $$; else echo "${1#n:}"; fi; }
	pair_add() {	# pair_add KEY NS_A IF_A NS_B IF_B (made between T0 and T1)
		PA[$1]="$2 $3 $4 $5"
		log ADD "$T0" "$T1" "$2" "$3" "$4" "$5"
	}
	port_end() {	# port_end NS IF TA: that end leaves its bridge, if in one
		local key="$1 $2"
		[ -n "${BRM[$key]:-}" ] || return 0
		log BDEL "$T0" "$3" "$1" "$2" host "${BRM[$key]}"
		unset "BRM[$key]"
	}
	pair_del() {	# pair_del KEY [TA [KEEP]]: the pair ended before TA (default T1; "inf":
		local ta=${2:-$T1} w	# unknown); its ends leave their bridges unless KEEP
		read -r -a w <<<"${PA[$1]}"
		log DEL "$T0" "$ta" "${w[@]}"
		if [ -z "${3:-}" ]; then
			port_end "${w[0]}" "${w[1]}" "$ta"
			port_end "${w[2]}" "${w[3]}" "$ta"
		fi
		unset "PA[$1]"
	}
	pick_pair() {	# pick_pair: a random live pair key (not a name-reuse slot) in k
		local ks=() kk
		for kk in "${!PA[@]}"; do [[ $kk == q* ]] || ks+=("$kk"); done
		[ ${#ks[@]} -gt 0 ] || return 1
		k=${ks[RANDOM % ${#ks[@]}]}
	}
	pick_ns() {	# pick_ns: a random churned netns or s3, as "n:NAME", in ns
		local all=("${CNS[@]}" "$S3")
		ns=n:${all[RANDOM % ${#all[@]}]}
	}
	while [ $i -lt 100000 ] && [ ! -e "$TMP/stop" ] && [ "$(now)" -lt "$END" ]; do
		pause_point
		i=$((i + 1))
		op=$((RANDOM % 16))
		[ ${#PA[@]} -gt 40 ] && op=5		# bounded: delete pairs
		[ ${#CNS[@]} -gt 8 ] && op=7		# ... and namespaces
		case $op in
		0|1|2)	# new namespace with a veth to the host, made one of three ways
			n=${PFX}c$i
			x ip netns add "$n" || continue
			CNS+=("$n"); nns=$((nns + 1))
			case $((RANDOM % 3)) in
			0) x ip link add "${PFX}h$i" type veth peer name eth0 netns "$n" &&
				pair_add "p$i" host "${PFX}h$i" "n:$n" eth0 ;;
			1) x ip -n "$n" link add eth0 type veth peer name "${PFX}h$i" netns $$ &&
				pair_add "p$i" "n:$n" eth0 host "${PFX}h$i" ;;
			2) if x ip link add "${PFX}h$i" type veth peer name "${PFX}g$i"; then
				pair_add "p$i" host "${PFX}h$i" host "${PFX}g$i"
				if x ip link set dev "${PFX}g$i" netns "$n" name eth0; then
					pair_del "p$i"
					pair_add "p$i" host "${PFX}h$i" "n:$n" eth0
				fi
			   fi ;;
			esac
			[ -n "${PA[p$i]:-}" ] && npairs=$((npairs + 1))
			if [ -n "${PA[p$i]:-}" ] && [ $((RANDOM % 2)) -eq 0 ] && [ ${#BRS[@]} -gt 0 ]; then
				b=${BRS[RANDOM % ${#BRS[@]}]}
				x ip link set dev "${PFX}h$i" master "$b" &&
					{ log BADD "$T0" "$T1" host "${PFX}h$i" host "$b"; BRM["host ${PFX}h$i"]=$b; }
			fi
			[ $((RANDOM % 2)) -eq 0 ] && x ip link set dev "${PFX}h$i" up ;;
		3)	# netns <-> netns (churned ones and s3; both ends may be in one)
			pick_ns; a=$ns; pick_ns; b=$ns
			x ip -n "${a#n:}" link add "x$i" type veth peer name "y$i" netns "${b#n:}" &&
				{ pair_add "p$i" "$a" "x$i" "$b" "y$i"; npairs=$((npairs + 1)); } ;;
		4)	# host <-> host
			x ip link add "${PFX}a$i" type veth peer name "${PFX}z$i" &&
				{ pair_add "p$i" host "${PFX}a$i" host "${PFX}z$i"; npairs=$((npairs + 1)); } ;;
		5|6)	# delete a pair through one of its ends
			pick_pair || continue
			read -r -a e <<<"${PA[$k]}"
			t=$(( (RANDOM % 2) * 2 ))
			if x ipx "${e[t]}" link del dev "${e[t + 1]}"; then pair_del "$k"
			else pair_del "$k" inf; fi ;;
		7)	# delete a churned namespace: its pairs die asynchronously (open-ended)
			[ ${#CNS[@]} -gt 0 ] || continue
			t=$((RANDOM % ${#CNS[@]}))
			n=${CNS[t]}
			x ip netns del "$n" || continue
			CNS=("${CNS[@]:0:t}" "${CNS[@]:t+1}")
			for k in "${!PA[@]}"; do
				case " ${PA[$k]} " in *" n:$n "*) pair_del "$k" inf ;; esac
			done ;;
		8)	# move one end of a pair to another namespace (host, churned, s3), renamed
			pick_pair || continue
			read -r -a e <<<"${PA[$k]}"
			t=$(( (RANDOM % 2) * 2 ))
			if [ $((RANDOM % 3)) -eq 0 ]; then ns=host; else pick_ns; fi
			[ "$ns" = "${e[t]}" ] && continue
			if [ "$ns" = host ]; then nn=${PFX}m$i; else nn=m$i; fi
			if x ipx "${e[t]}" link set dev "${e[t + 1]}" netns "$(nsarg "$ns")" name "$nn"; then
				pair_del "$k" "$T1" keep	# the moved end leaves its bridge, the other stays
				port_end "${e[t]}" "${e[t + 1]}" "$T1"
				e[t]=$ns; e[t + 1]=$nn
				pair_add "$k" "${e[@]}"
				nmove=$((nmove + 1))
			fi ;;
		9)	# rename one end in place (fails harmlessly when the link is up)
			pick_pair || continue
			read -r -a e <<<"${PA[$k]}"
			t=$(( (RANDOM % 2) * 2 ))
			if [ "${e[t]}" = host ]; then nn=${PFX}r$i; else nn=r$i; fi
			if x ipx "${e[t]}" link set dev "${e[t + 1]}" name "$nn"; then
				b=${BRM["${e[t]} ${e[t + 1]}"]:-}
				pair_del "$k" "$T1" keep
				port_end "${e[t]}" "${e[t + 1]}" "$T1"
				e[t + 1]=$nn
				pair_add "$k" "${e[@]}"
				if [ -n "$b" ]; then	# still a port of b under its new name
					log BADD "$T0" "$T1" "${e[t]}" "$nn" host "$b"; BRM["${e[t]} $nn"]=$b
				fi
				nren=$((nren + 1))
			fi ;;
		10)	# a host bridge comes or goes (its ports are released)
			if [ ${#BRS[@]} -lt 2 ] || [ $((RANDOM % 3)) -ne 0 ]; then
				[ ${#BRS[@]} -lt 4 ] || continue
				x ip link add "${PFX}b$i" type bridge && { BRS+=("${PFX}b$i"); nbr=$((nbr + 1)); }
			else
				t=$((RANDOM % ${#BRS[@]}))
				b=${BRS[t]}
				if x ip link del dev "$b"; then
					BRS=("${BRS[@]:0:t}" "${BRS[@]:t+1}")
					for e in "${!BRM[@]}"; do
						[ "${BRM[$e]}" = "$b" ] || continue
						log BDEL "$T0" "$T1" "${e%% *}" "${e#* }" host "$b"; unset "BRM[$e]"
					done
				fi
			fi ;;
		11)	# a host end of ours joins or leaves a bridge
			pick_pair || continue
			read -r -a e <<<"${PA[$k]}"
			t=$(( (RANDOM % 2) * 2 ))
			[ "${e[t]}" = host ] || continue
			if [ -n "${BRM["host ${e[t + 1]}"]:-}" ]; then
				x ip link set dev "${e[t + 1]}" nomaster && port_end host "${e[t + 1]}" "$T1"
			elif [ ${#BRS[@]} -gt 0 ]; then
				b=${BRS[RANDOM % ${#BRS[@]}]}
				x ip link set dev "${e[t + 1]}" master "$b" &&
					{ log BADD "$T0" "$T1" host "${e[t + 1]}" host "$b"; BRM["host ${e[t + 1]}"]=$b; }
			fi ;;
		12)	# an end goes up or down
			pick_pair || continue
			read -r -a e <<<"${PA[$k]}"
			t=$(( (RANDOM % 2) * 2 ))
			if [ $((RANDOM % 2)) -eq 0 ]; then a=up; else a=down; fi
			x ipx "${e[t]}" link set dev "${e[t + 1]}" "$a" ;;
		13|14)	# name-reuse slots: the same names, paired with changing partners
			t=$((RANDOM % 3))
			if [ -n "${PA[q$t]:-}" ]; then
				read -r -a e <<<"${PA[q$t]}"
				if x ipx "${e[0]}" link del dev "${e[1]}"; then pair_del "q$t"
				else pair_del "q$t" inf; fi
			else
				case $((RANDOM % 3)) in
				0) x ip link add "${PFX}q$t" type veth peer name "q$t" netns "$S3" &&
					pair_add "q$t" host "${PFX}q$t" "n:$S3" "q$t" ;;
				1) x ip link add "${PFX}q$t" type veth peer name "${PFX}Q$t" &&
					pair_add "q$t" host "${PFX}q$t" host "${PFX}Q$t" ;;
				2) x ip -n "$S3" link add "q$t" type veth peer name "${PFX}q$t" netns $$ &&
					pair_add "q$t" "n:$S3" "q$t" host "${PFX}q$t" ;;
				esac
			fi ;;
		15)	# an anonymous namespace that lives for a moment
			unshare -n true && nanon=$((nanon + 1)) ;;
		esac
	done
	if [ "$WATCH" = 1 ]; then	# held for the watcher's last comparison (bounded)
		touch "$TMP/churn.held"
		wait_for 120 test -e "$TMP/churn.release"
	fi
	# teardown of everything churned, logged like the rest
	for b in "${BRS[@]}"; do
		x ip link del dev "$b"
		for e in "${!BRM[@]}"; do
			[ "${BRM[$e]}" = "$b" ] && { log BDEL "$T0" "$T1" "${e%% *}" "${e#* }" host "$b"; unset "BRM[$e]"; }
		done
	done
	for k in "${!PA[@]}"; do
		read -r -a e <<<"${PA[$k]}"
		if x ipx "${e[0]}" link del dev "${e[1]}"; then pair_del "$k"; else pair_del "$k" inf; fi
	done
	for n in "${CNS[@]}"; do x ip netns del "$n"; done
	echo "ops=$i pairs=$npairs netns=$nns bridges=$nbr moves=$nmove renames=$nren anon=$nanon failed_cmds=$nfail" >"$TMP/churn.stats"
}

# ---- docker: a few busybox containers come and go (optional) ----------------------------
DOCKER_NOTE=
docker_ok=0
if [ "${STRESS_DOCKER:-1}" = 0 ]; then
	DOCKER_NOTE="docker part off (STRESS_DOCKER=0)"
elif [ ! -x "$DOCKER" ] || ! timeout 10 "$DOCKER" info >/dev/null 2>&1; then
	DOCKER_NOTE="no docker engine answers '$DOCKER info': docker part skipped"
elif [ ! -x /bin/busybox ] || ! file -L /bin/busybox 2>/dev/null | grep -q 'statically linked'; then
	DOCKER_NOTE="no static /bin/busybox for the image: docker part skipped"
else
	_ENG_USED_DOCKER=1	# lib_engines' exit trap removes containers labelled with our prefix
	IMG="${PFX}bb:1"
	busybox_image "$IMG"
	docker_ok=1
fi
[ -n "$DOCKER_NOTE" ] && note "$DOCKER_NOTE"

docker_churn() {
	local i=0 live=() c t0 ta l pid eidx hidx host fails=0 runs=0 bad=0
	log() { printf '%s\n' "$*" >>"$TMP/truth.docker"; }
	declare -A HOSTEND=()
	RANDOM=$((SEED + 1))
	while [ $i -lt 500 ] && [ ! -e "$TMP/stop" ] && [ "$(now)" -lt "$END" ] && [ $fails -lt 5 ]; do
		pause_point
		i=$((i + 1))
		if [ ${#live[@]} -lt 3 ]; then
			c=${PFX}d$i
			t0=$EPOCHREALTIME
			_ENG_DOCKER_CTRS+=("$c")
			if ! d run -d --init --label "$ENG_LABEL" --name "$c" "$IMG" sleep 300 >/dev/null 2>>"$TMP/docker.err"; then
				fails=$((fails + 1)); continue
			fi
			runs=$((runs + 1))
			# its eth0 and the host end, from the kernel: eth0@ifN inside, ifindex N outside
			pid=$(d inspect -f '{{.State.Pid}}' "$c" 2>/dev/null)
			l=$(nsenter -t "$pid" -n ip -o link show dev eth0 2>/dev/null)
			eidx=$(sed -n 's/^\([0-9]*\): eth0@if\([0-9]*\):.*/\1/p' <<<"$l")
			hidx=$(sed -n 's/^\([0-9]*\): eth0@if\([0-9]*\):.*/\2/p' <<<"$l")
			host=$(ip -o link show 2>/dev/null | awk -F': ' -v n="$hidx" -v e="$eidx" '
				$1 == n { k = index($2, "@if"); if (k && substr($2, k + 3) == e) print substr($2, 1, k - 1) }')
			if [ -z "$host" ]; then
				bad=$((bad + 1)); echo "$c: host end of eth0 not found ($l)" >>"$TMP/docker.err"
			else
				log ADD "$t0" "$EPOCHREALTIME" "c:$c" eth0 host "$host"
				HOSTEND[$c]=$host
			fi
			live+=("$c")
		fi
		if [ ${#live[@]} -ge 3 ] || [ $((RANDOM % 3)) -eq 0 ]; then
			c=${live[0]}; live=("${live[@]:1}")
			t0=$EPOCHREALTIME
			if d rm -f "$c" >/dev/null 2>>"$TMP/docker.err"; then ta=$EPOCHREALTIME
			else fails=$((fails + 1)); ta=inf; fi
			[ -n "${HOSTEND[$c]:-}" ] && log DEL "$t0" "$ta" "c:$c" eth0 host "${HOSTEND[$c]}"
		fi
	done
	for c in "${live[@]}"; do
		t0=$EPOCHREALTIME
		if d rm -f "$c" >/dev/null 2>>"$TMP/docker.err"; then ta=$EPOCHREALTIME; else ta=inf; fi
		[ -n "${HOSTEND[$c]:-}" ] && log DEL "$t0" "$ta" "c:$c" eth0 host "${HOSTEND[$c]}"
	done
	echo "containers=$runs failures=$fails host_end_unknown=$bad" >"$TMP/docker.stats"
}

# ---- scanners: scan, peak RSS, boil the JSON down to what touches our names ---------------
# Labels: "host"; "c:NAME" a netns holding a container named ${PFX}*; "n:NAME" one mounted at
# /run/netns/${PFX}* (seen in the host's mount namespace, or, while 'ip netns add' is still
# at work, only in another: "pid P:/run/netns/..."); "other" any other netns with a name, container or process; "anon" none
# of these; "unknown" an inode not in netns[].  An end is ours when its netns is c:/n:, or it
# is a host link named ${PFX}*.
EXTRACT='
(reduce .netns[] as $n ({}; .[$n.inode | tostring] =
	(if $n.host == true then "host"
	 else ([$n.containers[]?.name // empty | ltrimstr("/") | select(startswith($p))] | first) as $c
	 | ([$n.names[]? | select(test("^(pid [0-9]+:)?(/var)?/run/netns/" + $p))
	    | sub("^(pid [0-9]+:)?(/var)?/run/netns/"; "")] | first) as $m
	 | if $c != null then "c:" + $c elif $m != null then "n:" + $m
	   elif ((($n.names // []) | length) + (($n.containers // []) | length) + (($n.pids // []) | length)) > 0
	   then "other" else "anon" end
	 end))) as $L
| def lab($i): ($L[$i | tostring] // "unknown");
  def ours($l; $n): ($l | startswith("n:")) or ($l | startswith("c:")) or ($l == "host" and ($n | startswith($p)));
  def row($t; $x): $x | select(ours(.[0]; .[1]) or ours(.[2]; .[3])) | [$t, $id] + . | @tsv;
  (.edges[]? | select(.type == "veth") | row("E"; [lab(.a.netns), .a.name, lab(.b.netns), .b.name])),
  (.edges[]? | select(.type == "bridge") | row("B"; [lab(.a.netns), .a.name, lab(.b.netns), .b.name])),
  (.interfaces[]? | select(.peer != null) | row("P"; [lab(.netns), .name, lab(.peer.netns), .peer.name])),
  (.unresolved[]? | [lab(.netns), .name] as $e | select(ours($e[0]; $e[1]))
	| ["U", $id] + $e + [.reason | tostring] | @tsv),
  (["N", $id, (.netns | length), (.interfaces | length), (.edges | length)] | @tsv)'
scanner() {
	local k=$1 i=0 ts te rc rss id nerr=0
	while [ $i -lt 100000 ] && [ ! -e "$TMP/stop" ] && [ "$(now)" -lt "$END" ]; do
		i=$((i + 1)); id=$k.$i
		ts=$EPOCHREALTIME
		timeout 60 /usr/bin/time -f %M -o "$TMP/rss.$k" \
			"$VETHMAP" scan --db "$DB" --json >"$TMP/scan.$k.json" 2>"$TMP/scan.$k.err"
		rc=$?
		te=$EPOCHREALTIME
		rss=$(tail -n 1 "$TMP/rss.$k" 2>/dev/null)
		case $rss in ''|*[!0-9]*) rss=- ;; esac
		if [ $rc -eq 0 ]; then
			jq -r --arg p "$PFX" --arg id "$id" "$EXTRACT" "$TMP/scan.$k.json" >>"$TMP/lines.$k" 2>"$TMP/jq.$k.err" ||
				{ rc=json; cp "$TMP/scan.$k.json" "$TMP/bad.$id.json"; }
		fi
		[ "$rc" = 0 ] && [ -s "$TMP/scan.$k.err" ] && head -n 3 "$TMP/scan.$k.err" >>"$TMP/warn.$k"
		if [ "$rc" != 0 ] && [ $nerr -lt 5 ]; then	# keep the first few failures
			nerr=$((nerr + 1))
			{ cat "$TMP/scan.$k.err"; cat "$TMP/jq.$k.err" 2>/dev/null; } | head -c 2000 >"$TMP/scanerr.$id"
		fi
		echo "$id $ts $te $rc $rss" >>"$TMP/meta.$k"
	done
}

# ---- readers and cap ----------------------------------------------------------------------
reader() {	# runs each read-only command in turn; logs "KIND RC" and keeps the first failures
	local k=$1 i=0 kind rc nerr=0 out=$TMP/rd.$1.out err=$TMP/rd.$1.err
	local kinds=(show show-json report report-html graph-dot diff diff-json scans ls)
	[ "$k" = 2 ] && kinds=(graph-dot diff report show-json ls scans diff-json show report-html)
	while [ $i -lt 100000 ] && [ ! -e "$TMP/stop" ] && [ "$(now)" -lt "$END" ]; do
		kind=${kinds[i % ${#kinds[@]}]}
		i=$((i + 1))
		case $kind in
		show) timeout 60 "$VETHMAP" show --db "$DB" >"$out" 2>"$err"; rc=$?
			[ $rc -eq 0 ] && [ ! -s "$out" ] && rc=empty ;;
		show-json) timeout 60 "$VETHMAP" show --db "$DB" --json >"$out" 2>"$err"; rc=$?
			[ $rc -eq 0 ] && ! jq -e '.scan.id and .netns and .edges' "$out" >/dev/null 2>&1 && rc=badjson ;;
		report) timeout 60 "$VETHMAP" report --db "$DB" >"$out" 2>"$err"; rc=$?
			[ $rc -eq 0 ] && ! grep -q '<' "$out" && rc=empty ;;
		report-html) timeout 60 "$VETHMAP" report --db "$DB" --format html --xsl "$XSL" -o "$out" 2>"$err"; rc=$?
			[ $rc -eq 0 ] && ! grep -qi '<html' "$out" && rc=nohtml ;;
		graph-dot) timeout 60 "$VETHMAP" graph --db "$DB" -T dot >"$out" 2>"$err"; rc=$?
			[ $rc -eq 0 ] && ! grep -q 'graph' "$out" && rc=nodot ;;
		diff) timeout 60 "$VETHMAP" diff --db "$DB" >"$out" 2>"$err"; rc=$? ;;
		diff-json) timeout 60 "$VETHMAP" diff --db "$DB" --json >"$out" 2>"$err"; rc=$?
			[ $rc -eq 0 ] && ! jq -e . "$out" >/dev/null 2>&1 && rc=badjson ;;
		scans) timeout 60 "$VETHMAP" scans --db "$DB" >"$out" 2>"$err"; rc=$? ;;
		ls) timeout 60 "$VETHMAP" ls --stored --db "$DB" >"$out" 2>"$err"; rc=$? ;;
		esac
		echo "$kind $rc" >>"$TMP/reads.$k"
		if [ "$rc" != 0 ] && [ $nerr -lt 5 ]; then
			nerr=$((nerr + 1))
			{ echo "$kind rc=$rc"; head -c 500 "$err"; head -c 300 "$out"; } >"$TMP/readerr.$k.$i"
		fi
	done
}
capper() {	# 1 s captures on stable targets of ours; logs "TARGET RC PACKETS"
	local i=0 rc t targets=("$S1" "$S1:p12 --both-ends" "$S2:eth0" "host -i ${PFX}Sa -i ${PFX}Sb") nerr=0
	while [ $i -lt 10000 ] && [ ! -e "$TMP/stop" ] && [ "$(now)" -lt "$END" ]; do
		t=${targets[i % ${#targets[@]}]}
		i=$((i + 1))
		# shellcheck disable=SC2086
		timeout 60 "$VETHMAP" cap $t -d 1 -c 5 -w "$TMP/cap.pcapng" --db "$DB" >/dev/null 2>"$TMP/cap.err"
		rc=$?
		echo "${t%% *} $rc $(awk '{ for (j = 1; j < NF - 1; j++) if ($(j + 1) == "packets" && $(j + 2) ~ /^captured/) s += $j } END { print s + 0 }' "$TMP/cap.err")" >>"$TMP/caps"
		if [ $rc -ne 0 ] && [ $nerr -lt 5 ]; then
			nerr=$((nerr + 1)); { echo "cap $t: rc=$rc"; head -c 500 "$TMP/cap.err"; } >"$TMP/caperr.$i"
		fi
	done
}

# ---- run -----------------------------------------------------------------------------------
if [ "$WATCH" = 1 ]; then
	. "${BASH_SOURCE%/*}/watcher.sh"
	watcher_start
fi
T_LOOPS=$EPOCHREALTIME
note "churn for $DUR s from $(date +%T)"
LOOPS=()
[ "$WATCH" = 1 ] && { watcher_pauser & LOOPS+=($!); bg_loop $!; }
churn & LOOPS+=($!); bg_loop $!
[ $docker_ok = 1 ] && { docker_churn & LOOPS+=($!); bg_loop $!; }
for k in $(seq 1 "$NSCAN"); do scanner "$k" & LOOPS+=($!); bg_loop $!; done
reader 1 & LOOPS+=($!); bg_loop $!
reader 2 & LOOPS+=($!); bg_loop $!
capper & LOOPS+=($!); bg_loop $!
hung=
for p in "${LOOPS[@]}"; do	# each loop ends by itself at END; a scan or cap may take 60 s more
	if ! wait_for $((DUR + 90)) _gone "$p"; then hung="$hung $p"; fi
done
touch "$TMP/stop"
for p in $hung; do wait_for 30 _gone "$p"; done
wait "${LOOPS[@]}" 2>/dev/null
T_RUN=$(awk -v a="$T_LOOPS" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
check_eq "every loop ends by itself within $((DUR + 90)) s" "" "$hung"
[ -s "$TMP/churn.stats" ] && note "churn: $(cat "$TMP/churn.stats")" ||
	not_ok "fixture: churn loop finished" "no statistics"
[ -s "$TMP/churn.err" ] && note "churn: ip errors (renames of links that are up fail, by design): $(sort "$TMP/churn.err" | uniq -c | sort -rn | head -n 3 | tr -s ' \n' ' ')"
[ $docker_ok = 1 ] && note "docker: $(cat "$TMP/docker.stats" 2>/dev/null)${DOCKER_NOTE:+ ($DOCKER_NOTE)}"
[ -s "$TMP/docker.err" ] && note "docker errors (not vethmap's): $(head -c 300 "$TMP/docker.err" | tr '\n' ' ')"

[ "$WATCH" = 1 ] && watcher_finish
T_JUDGE=$EPOCHREALTIME
# ---- judge the scans ------------------------------------------------------------------------
STRESS_SCANNERS=$NSCAN python3 - "$TMP" "$PFX" <<'PY' >"$TMP/judge.out" 2>&1
import collections, glob, math, os, statistics, sys

tmp, pfx = sys.argv[1], sys.argv[2]
INF = math.inf
out = []
def ok(name): out.append("ok - " + name)
def not_ok(name, why): out.append("not ok - %s: %s" % (name, why))
def note(s): out.append("# " + s)
def check_eq(name, want, got, why=""):
    if want == got: ok(name)
    else: not_ok(name, "expected %s got %s%s" % (want, got, ("; " + why) if why else ""))
def tf(s): return INF if s == "inf" else float(s)

# truth: pair intervals [before the command that made it, after the one that ended it]
pairs = collections.defaultdict(list)
ports = collections.defaultdict(list)
hist = collections.defaultdict(list)
problems = []
for f in sorted(glob.glob(tmp + "/truth.*")):
    for line in open(f):
        w = line.split()
        if len(w) != 7:
            problems.append(line.strip()); continue
        kind, tb, ta = w[0], tf(w[1]), tf(w[2])
        a, b = (w[3], w[4]), (w[5], w[6])
        store, key = (pairs, frozenset((a, b))) if kind in ("ADD", "DEL") else (ports, (a, b))
        # [made after, made before, ended after, ended before]
        if kind in ("ADD", "BADD"):
            store[key].append([tb, ta, INF, INF])
        else:
            open_ = [iv for iv in store[key] if iv[2] == INF]
            if open_: open_[-1][2:] = [tb, ta]
            else: problems.append("end without start: " + line.strip())
        hist[a].append(line.strip()); hist[b].append(line.strip())
if problems:
    not_ok("fixture: truth log well formed", "; ".join(problems[:3]))

def existed(store, key, ts, te):	# at some time during [ts, te]
    return any(a0 < te and d1 > ts for a0, a1, d0, d1 in store.get(key, ()))
def throughout(ivs, ts, te):		# surely, unchanged, for all of [ts, te]
    return any(a1 < ts and d0 > te for a0, a1, d0, d1 in ivs)

def ours(e):
    return e[0].startswith("n:") or e[0].startswith("c:") or (e[0] == "host" and e[1].startswith(pfx))

def fmt(e): return "%s:%s" % e

stable = [l.split() for l in open(tmp + "/stable.pairs") if l.strip()]
stable = [((w[0], w[1]), (w[2], w[3])) for w in stable]
stable_ports = [l.split() for l in open(tmp + "/stable.ports") if l.strip()]
stable_ports = [((w[0], w[1]), (w[2], w[3])) for w in stable_ports]
stable_keys = {frozenset(p) for p in stable}

# scans
meta = []
for f in glob.glob(tmp + "/meta.*"):
    for line in open(f):
        w = line.split()
        if len(w) == 5: meta.append((w[0], float(w[1]), float(w[2]), w[3], w[4]))
meta.sort(key=lambda m: m[1])
rows = collections.defaultdict(list)
for f in glob.glob(tmp + "/lines.*"):
    for line in open(f):
        w = line.rstrip("\n").split("\t")
        if len(w) >= 2: rows[w[1]].append(w)

nscans = len(meta)
good = [m for m in meta if m[3] == "0"]
failed = [m for m in meta if m[3] != "0"]
checked = wrong = unjudged = incons = double = stable_bad = bridge_checked = bridge_wrong = 0
missed = must = 0
missed_examples = []
ours_unresolved = 0
churned_seen = set()
examples, stable_examples, bridge_examples = [], [], []
sizes = []

def example(kind, m, e1, e2, extra=""):
    h = [fmt(e1) + " history: " + " | ".join(hist.get(e1, ["none"])[-4:]),
         fmt(e2) + " history: " + " | ".join(hist.get(e2, ["none"])[-4:])]
    return "%s in scan %s [%.6f, %.6f]: %s <-> %s%s; %s" % (
        kind, m[0], m[1], m[2], fmt(e1), fmt(e2), extra, "; ".join(h))

for m in good:
    sid, ts, te = m[0], m[1], m[2]
    E, P, U, B = set(), {}, set(), set()
    by_end = collections.defaultdict(set)
    for w in rows.get(sid, ()):
        t = w[0]
        if t in ("E", "P", "B") and len(w) == 6:
            e1, e2 = (w[2], w[3]), (w[4], w[5])
            if t == "E":
                E.add(frozenset((e1, e2)))
                by_end[e1].add(e2); by_end[e2].add(e1)
            elif t == "P": P[e1] = e2
            else: B.add((e1, e2))
        elif t == "U" and len(w) >= 4:
            U.add((w[2], w[3]))
        elif t == "N" and len(w) == 5:
            sizes.append(int(w[2]))
    ours_unresolved += len(U)
    # every veth edge and every peer with an end of ours must have existed during the scan
    judged = set()
    for key in E | {frozenset((a, b)) for a, b in P.items()}:
        if key in judged or len(key) != 2: continue
        judged.add(key)
        e1, e2 = sorted(key)
        if not ours(e1) and not ours(e2): continue
        other = e2 if ours(e1) else e1
        if not (ours(e1) and ours(e2)) and other[0] in ("anon", "unknown"):
            unjudged += 1; continue
        checked += 1
        if existed(pairs, key, ts, te):
            if key not in stable_keys: churned_seen.add(key)
        else:
            wrong += 1
            if len(examples) < 5: examples.append(example("wrong pair", m, e1, e2))
    # an end of ours in two veth edges, or an edge that its ends' peers contradict
    for e, partners in by_end.items():
        if ours(e) and len(partners) > 1:
            double += 1
            if len(examples) < 5:
                examples.append("end in %d veth edges in scan %s: %s <-> %s" % (
                    len(partners), sid, fmt(e), ", ".join(map(fmt, sorted(partners)))))
    for key in E:
        e1, e2 = sorted(key)
        for x, y in ((e1, e2), (e2, e1)):
            if ours(x) and x in P and P[x] != y:
                incons += 1
                if len(examples) < 5:
                    examples.append("edge %s <-> %s but %s's peer is %s in scan %s" % (
                        fmt(e1), fmt(e2), fmt(x), fmt(P[x]), sid))
    # a churned pair that existed, unchanged, for the whole scan must be reported, paired
    # (containers are left out: their namespace is named only when the engine answers in time)
    for key, ivs in pairs.items():
        if key in stable_keys or any(e[0].startswith("c:") for e in key): continue
        if not throughout(ivs, ts, te): continue
        must += 1
        e1, e2 = sorted(key)
        if key not in E or e1 in U or e2 in U:
            missed += 1
            if len(missed_examples) < 3:
                missed_examples.append(example("missing" if key not in E else "unresolved", m, e1, e2,
                    " (unresolved: %s)" % ", ".join(fmt(x) for x in (e1, e2) if x in U) if key in E else ""))
    # the stable pairs and ports: always there, paired right, never unresolved
    bad = []
    for a, b in stable:
        if frozenset((a, b)) not in E: bad.append("no edge %s <-> %s" % (fmt(a), fmt(b)))
        for x, y in ((a, b), (b, a)):
            if len(by_end.get(x, ())) > 1: bad.append("%s in %d edges" % (fmt(x), len(by_end[x])))
            if P.get(x) != y: bad.append("%s peer %s" % (fmt(x), fmt(P[x]) if x in P else "none"))
            if x in U: bad.append("%s unresolved" % fmt(x))
    for p, br in stable_ports:
        if (p, br) not in B: bad.append("no bridge edge %s -> %s" % (fmt(p), fmt(br)))
    if bad:
        stable_bad += 1
        if len(stable_examples) < 3:
            stable_examples.append("scan %s: %s" % (sid, "; ".join(bad[:6])))
    # bridge edges of ours
    for p, br in B:
        if not (ours(p) or ours(br)): continue
        if not (ours(p) and ours(br)) and (p[0] in ("anon", "unknown") or br[0] in ("anon", "unknown")):
            continue
        bridge_checked += 1
        if not existed(ports, (p, br), ts, te):
            bridge_wrong += 1
            if len(bridge_examples) < 3: bridge_examples.append(example("wrong bridge port", m, p, br))

def err_of(sid):
    try: return open(tmp + "/scanerr." + sid).read(300).replace("\n", " ")
    except OSError: return ""
if failed:
    f0 = failed[0]
    hangs = sum(1 for m in failed if m[3] == "124")
    not_ok("every scan exits 0 with valid JSON", "%d of %d failed (%d hung 60 s); first: scan %s exit %s: %s"
           % (len(failed), nscans, hangs, f0[0], f0[3], err_of(f0[0])))
else:
    ok("every scan exits 0 with valid JSON (%d scans)" % nscans)
# a loaded host may allow fewer than 20 scans: then halves are compared (at least 2 each)
check_eq("scans: at least 4 ran", True, len(good) >= 4, "%d successful" % len(good))
check_eq("veth edges and peers of ours: no wrong pairing", 0, wrong, " || ".join(examples))
check_eq("veth edges of ours: no end in two edges", 0, double, " || ".join(examples))
check_eq("veth edges of ours agree with their ends' peers", 0, incons, " || ".join(examples))
check_eq("stable pairs and ports: reported and paired right in every scan", 0, stable_bad,
         " || ".join(stable_examples))
check_eq("churned pairs that existed unchanged for a whole scan: reported, paired", 0, missed,
         " || ".join(missed_examples))
check_eq("bridge edges of ours: no wrong port", 0, bridge_wrong, " || ".join(bridge_examples))
check_eq("churned pairs were seen paired (the test is not vacuous)", True, len(churned_seen) > 0,
         "%d" % len(churned_seen))

# peak RSS: the last 10 scans against the first 10
rss = [int(m[4]) for m in good if m[4].isdigit()]
fig = {}
k = min(10, len(rss) // 2)
if k >= 2:
    first, last = rss[:k], rss[-k:]
    mf, ml = statistics.median(first), statistics.median(last)
    lim = mf * 1.2 + 2048
    fig["rss"] = "first %d median %d KiB (max %d), last %d median %d KiB (max %d), limit %d KiB" % (
        k, mf, max(first), k, ml, max(last), lim)
    check_eq("peak RSS of the last %d scans within 20%% + 2 MiB of the first %d" % (k, k),
             True, ml <= lim, fig["rss"])
    if k < 10: note("only %d scans with an RSS figure: compared the first and last %d" % (len(rss), k))
elif os.environ.get("STRESS_SCANNERS") == "0":
    note("no scanners: the scans' peak RSS not judged (the watch's VmRSS is, apart)")
else:
    not_ok("peak RSS of the last 10 scans within 20% + 2 MiB of the first 10", "only %d RSS figures" % len(rss))
dur = (meta[-1][2] - meta[0][1]) if meta else 0
times = sorted(m[2] - m[1] for m in good)
note("scans: %d (%d ok, %d failed) in %.1f s, %.1f/s; scan time median %.0f ms, max %.0f ms"
     % (nscans, len(good), len(failed), dur, nscans / dur if dur else 0,
        1000 * statistics.median(times) if times else 0, 1000 * max(times) if times else 0))
note("edges checked: %d veth edges/peers of ours (%d distinct churned pairs seen paired, %d of them "
     "containers'), %d not judged (other end in an anonymous netns); wrong pairings: %d; "
     "ends in two edges: %d; edge/peer disagreements: %d"
     % (checked, len(churned_seen), sum(1 for k in churned_seen if any(e[0].startswith("c:") for e in k)),
        unjudged, wrong, double, incons))
note("stable set: %d pairs, %d bridge ports, failing in %d scans; bridge edges of ours checked: %d, "
     "wrong: %d; unresolved ends of ours seen: %d"
     % (len(stable), len(stable_ports), stable_bad, bridge_checked, bridge_wrong, ours_unresolved))
note("churned pairs that existed unchanged for a whole scan: %d (pair, scan) cases, %d missing or unresolved"
     % (must, missed))
if sizes: note("namespaces per scan: min %d, max %d" % (min(sizes), max(sizes)))
if "rss" in fig: note("peak RSS: " + fig["rss"])
print("\n".join(out))
PY
cat "$TMP/judge.out"
grep -q '^not ok' "$TMP/judge.out" && TEST_FAILED=1
if compgen -G "$TMP/warn.*" >/dev/null; then	# not failures: what successful scans said
	note "warnings of successful scans: $(cat "$TMP"/warn.* | wc -l) lines; most common: $(cat "$TMP"/warn.* | sed 's/[0-9][0-9]*/N/g' | sort | uniq -c | sort -rn | head -n 3 | tr -s ' \n' ' ' | head -c 400)"
fi
grep -qE '^(ok|not ok) ' "$TMP/judge.out" || not_ok "judge" "python3 printed no result"

[ "$WATCH" = 1 ] && watcher_judge

# ---- readers and cap -----------------------------------------------------------------------
reads=$(cat "$TMP"/reads.* 2>/dev/null | wc -l)
rfail=$(cat "$TMP"/reads.* 2>/dev/null | awk '$2 != 0' | wc -l)
note "reads: $reads ($(cat "$TMP"/reads.* 2>/dev/null | awk '{ n[$1]++ } END { for (k in n) printf "%s %d, ", k, n[k] }')$rfail failed)"
check_eq "show/report/graph/diff/scans/ls during the churn: all exit 0" 0 \
	"$rfail$(for f in "$TMP"/readerr.*; do [ -e "$f" ] && { echo -n " | "; head -c 400 "$f" | tr '\n' ' '; break; }; done)"
check_eq "readers ran" yes "$([ "$reads" -ge 9 ] && echo yes || echo "only $reads")"
caps=$(wc -l <"$TMP/caps" 2>/dev/null || echo 0)
cfail=$(awk '$2 != 0' "$TMP/caps" 2>/dev/null | wc -l)
note "cap: $caps captures, $(awk '{ s += $3 } END { print s + 0 }' "$TMP/caps" 2>/dev/null) packets, $cfail failed"
check_eq "cap on stable targets during the churn: all exit 0" 0 \
	"$cfail$(for f in "$TMP"/caperr.*; do [ -e "$f" ] && { echo -n " | "; head -c 400 "$f" | tr '\n' ' '; break; }; done)"
check_eq "cap ran" yes "$([ "$caps" -ge 1 ] && echo yes || echo no)"
check_eq "database integrity after the run" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check' 2>&1 | head -c 300)"
note "database: $(sqlite3 "$DB" 'SELECT count(*) FROM scan' 2>/dev/null) snapshots, $(du -k "$DB" | cut -f1) KiB"

T_TEAR=$EPOCHREALTIME
# ---- teardown of the stable set, then: nothing of ours left, no growth on the host ----------
kill "$PING" 2>/dev/null; wait "$PING" 2>/dev/null
for l in "${PFX}S1" "${PFX}S2" "${PFX}Sa" "${PFX}SB"; do ip link del dev "$l" 2>/dev/null; done
for n in "$S1" "$S2" "$S3"; do ip netns del "$n" 2>/dev/null; done
leftovers() {
	compgen -G "/run/netns/$PFX*"
	compgen -G "/sys/class/net/$PFX*"
	[ $docker_ok = 1 ] && timeout 30 "$DOCKER" ps -aq --filter "label=$ENG_LABEL" 2>/dev/null
}
wait_for 15 test -z "$(leftovers)"
check_eq "nothing of ours left (netns, links, containers)" "" "$(leftovers | tr '\n' ' ')"
# namespaces: the new ones since the start that are not clearly someone else's (a name, a
# container or a process that is not ours) must number at most STRESS_NS_TOL
NS_TOL=${STRESS_NS_TOL:-0}
ns_new() {
	count_netns "$TMP/after.json" >/dev/null || { echo "scan failed"; return; }
	python3 - "$TMP/before.json" "$TMP/after.json" "$PFX" $$ <<'PY'
import json, os, sys
b, a, pfx, me = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4]
def ours(pid):
    p = str(pid)
    for _ in range(64):
        if p == me: return True
        try: p = open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()[1]
        except (OSError, IndexError): return False
        if p in ("0", "1"): return False
    return False
old = {n["inode"] for n in b["netns"]}
new = [n for n in a["netns"] if n["inode"] not in old]
def foreign(n):
    if any(not x.rsplit("/", 1)[-1].startswith(pfx) for x in n.get("names") or []): return True
    if any(not (c.get("name") or "").lstrip("/").startswith(pfx) for c in n.get("containers") or []): return True
    pids = n.get("pids") or []
    return bool(pids) and not any(ours(p) for p in pids)
mine = [n for n in new if not foreign(n)]
print(len(b["netns"]), len(a["netns"]), len(new), len(mine),
      ";".join("%s names=%s pids=%s via=%s" % (n["inode"], n.get("names"), (n.get("pids") or [])[:5], n.get("via"))
               for n in mine[:3]) or "-")
PY
}
ns_settled() { r=$(ns_new); set -- $r; [ "${4:-x}" != x ] && [ "$4" -le "$NS_TOL" ]; }
wait_for 15 ns_settled
r=$(ns_new); set -- $r
note "namespaces: $1 at the start, $2 at the end; $3 new, $4 of them not clearly someone else's (tolerance $NS_TOL)"
check_eq "no namespace left behind by the run" yes "$([ "${4:-x}" != x ] && [ "$4" -le "$NS_TOL" ] && echo yes || echo "no: $r")"
FD_TOL=${STRESS_FD_TOL:-$((256 + FD0 / 10))}
wait_for 15 test "$(fdnr)" -le $((FD0 + FD_TOL))
FD1=$(fdnr)
note "open files on the host (file-nr): $FD0 at the start, $FD1 at the end (tolerance +$FD_TOL)"
check_eq "host open files back to the start value" yes "$([ "$FD1" -le $((FD0 + FD_TOL)) ] && echo yes || echo "no: $FD0 -> $FD1")"
span() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
note "duration: $T_RUN s of churn and scans (their loops ended), $(span "$T_START" "$EPOCHREALTIME") s in all; judging and checks $(span "$T_JUDGE" "$T_TEAR") s, teardown and leak checks $(span "$T_TEAR" "$EPOCHREALTIME") s"
