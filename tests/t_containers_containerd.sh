#!/bin/bash
# containerd, as people run it: a containerd of the test's own (its state under $TMP, not
# /run/containerd: vethmap finds the tasks through their shims), with
#   - a pod as the CRI makes it: a sandbox in a netns that CNI's bridge plugin wired, an app
#     container joining the sandbox's netns (--with-ns network:/proc/PID/ns/net), the
#     io.kubernetes.cri.* annotations, 64-hex ids (one runc v2 shim serves both);
#   - a container with a short id ("${PFX}w", as `ctr run IMAGE redis` gives);
#   - a container named by nerdctl's label and annotation (nerdctl/name), 64-hex id.
# Each must be named in scan --json, show, ls (POD column NAMESPACE/POD) and the database,
# and be a target of `ls NAME`, `cap NAME` and `graph --focus NAME`.
. "${BASH_SOURCE%/*}/lib_containerd.sh"
need_root
need_vethmap

hex64() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
task_pid() {	# task_pid NS ID: the host PID of a task (ctr tasks ls)
	c "$1" tasks ls 2>/dev/null | awk -v id="$2" '$1 == id { print $2 }'
}

containerd_up cd
cg_forget_new k8s.io	# containerd makes it for the k8s.io namespace's tasks
K=k8s.io
N=${PFX}ns
cd_image "$K"
cd_image "$N"

SB=$(hex64) APP=$(hex64) NERD=$(hex64) SHORT=${PFX}w
POD=${PFX}web POD_NS=shop
cni_netns pod 10.237.1.0/24
cni_netns short 10.237.1.0/24
cni_netns nerd 10.237.1.0/24
cri() {	# cri TYPE ID: the annotations the CRI writes
	echo --annotation io.kubernetes.cri.container-type="$1" \
		--annotation io.kubernetes.cri.sandbox-name="$POD" \
		--annotation io.kubernetes.cri.sandbox-namespace="$POD_NS" \
		--annotation io.kubernetes.cri.sandbox-id="$SB"
}
# shellcheck disable=SC2046
c "$K" run -d --with-ns "network:/run/netns/${PFX}pod" $(cri sandbox) "$CD_IMAGE" "$SB" \
	sleep 1000 >"$TMP/run.out" 2>&1 || { not_ok "fixture: sandbox" "$(head -c 300 "$TMP/run.out")"; exit 1; }
SPID=$(task_pid "$K" "$SB")
# shellcheck disable=SC2046
c "$K" run -d --with-ns "network:/proc/$SPID/ns/net" $(cri container) \
	--annotation io.kubernetes.cri.container-name="${PFX}app" "$CD_IMAGE" "$APP" sleep 1000 \
	>"$TMP/run.out" 2>&1 || { not_ok "fixture: app" "$(head -c 300 "$TMP/run.out")"; exit 1; }
c "$N" run -d --with-ns "network:/run/netns/${PFX}short" "$CD_IMAGE" "$SHORT" sleep 1000 \
	>"$TMP/run.out" 2>&1 || { not_ok "fixture: short id" "$(head -c 300 "$TMP/run.out")"; exit 1; }
c "$N" run -d --with-ns "network:/run/netns/${PFX}nerd" --label "nerdctl/name=${PFX}-nerd" \
	--annotation "nerdctl/name=${PFX}-nerd" "$CD_IMAGE" "$NERD" sleep 1000 \
	>"$TMP/run.out" 2>&1 || { not_ok "fixture: nerdctl-named" "$(head -c 300 "$TMP/run.out")"; exit 1; }
APID=$(task_pid "$K" "$APP") WPID=$(task_pid "$N" "$SHORT") NPID=$(task_pid "$N" "$NERD")
check_eq "fixture: the app joined the sandbox's netns" "$(pid_ns_ino "$SPID")" "$(pid_ns_ino "$APID")"
check_eq "fixture: one shim serves the pod" "$(ps -o ppid= -p "$SPID")" "$(ps -o ppid= -p "$APID")"
check "fixture: the state is not at /run/containerd" test ! -e "/run/containerd/io.containerd.runtime.v2.task/$K/$SB"

J=$TMP/scan.json
scan_json "$J" || exit 1
ctr_of() {	# ctr_of ID JQPATH: a field of the container with that id
	jqv "$J" --arg id "$1" "[.netns[].containers[] | select(.id == \$id)] | if length == 1 then .[0]$2 else \"<\(length) matches>\" end"
}
ctr_ns() {	# ctr_ns ID: the inode of the netns holding that container
	jqv "$J" --arg id "$1" '[.netns[] | select(any(.containers[]; .id == $id)) | .inode] | join(",")'
}
for x in "sandbox $SB $POD $K $SPID pod" "app $APP ${PFX}app $K $APID pod" \
	 "short $SHORT $SHORT $N $WPID short" "nerd $NERD ${PFX}-nerd $N $NPID nerd"; do
	read -r what id name cns pid ns <<<"$x"
	check_eq "$what: named" "$name" "$(ctr_of "$id" .name)"
	check_eq "$what: engine containerd" containerd "$(ctr_of "$id" .engine)"
	check_eq "$what: containerd namespace" "$cns" "$(ctr_of "$id" .containerd_namespace)"
	check_eq "$what: main PID" "$pid" "$(ctr_of "$id" .pid)"
	check_eq "$what: verified" true "$(ctr_of "$id" .verified)"
	check_eq "$what: in its netns" "$(ns_ino "$ns")" "$(ctr_ns "$id")"
	check_eq "$what: no node (not nested)" null "$(ctr_of "$id" .node)"
done
for id in "$SB" "$APP"; do
	check_eq "pod ${id:0:6}: pod" "$POD" "$(ctr_of "$id" .pod)"
	check_eq "pod ${id:0:6}: pod namespace" "$POD_NS" "$(ctr_of "$id" .pod_namespace)"
done
check_eq "sandbox: sandbox" true "$(ctr_of "$SB" .sandbox)"
check_eq "app: not the sandbox" null "$(ctr_of "$APP" .sandbox)"
check_eq "short: no pod" null "$(ctr_of "$SHORT" .pod)"

# ---- text: show and ls say NAMESPACE/POD ----------------------------------------------
"$VETHMAP" show --db "$DB" >"$TMP/show.txt" 2>&1
check "show: the app with its pod" grep -qF "containerd:${PFX}app(pod $POD_NS/$POD)" "$TMP/show.txt"
check "show: the sandbox with its pod" grep -qF "containerd:$POD(pod $POD_NS/$POD)(sandbox)" "$TMP/show.txt"
check "show: the short id" grep -qF "containerd:$SHORT " "$TMP/show.txt"
"$VETHMAP" ls --stored --db "$DB" >"$TMP/ls.txt" 2>&1
check_eq "ls: header" "CONTAINER ENGINE POD NODE NETNS IFACE HOST-PEER BRIDGE ADDRS" \
	"$(head -n 1 "$TMP/ls.txt" | tr -s ' ')"
check_eq "ls: the app's row: engine, pod, node, iface, bridge" "containerd $POD_NS/$POD - eth0 ${PFX}cbr" \
	"$(awk -v n="${PFX}app" '$1 == n { print $2, $3, $4, $6, $8 }' "$TMP/ls.txt")"
check_eq "ls: the short id's row" "containerd - - eth0 ${PFX}cbr" \
	"$(awk -v n="$SHORT" '$1 == n { print $2, $3, $4, $6, $8 }' "$TMP/ls.txt")"
"$VETHMAP" ls --stored --db "$DB" --json >"$TMP/ls.json" 2>&1
check_eq "ls --json: the app's pod and namespace" "$POD $POD_NS" \
	"$(jq -r --arg n "${PFX}app" '.[] | select(.container == $n) | "\(.pod) \(.pod_namespace)"' "$TMP/ls.json")"

# ---- the database ------------------------------------------------------------------------
check_eq "db: the four stored, with their namespaces" "$K|${PFX}app|$POD_NS $K|$POD|$POD_NS $N|${PFX}-nerd| $N|$SHORT|" \
	"$(sqlite3 "$DB" "SELECT containerd_namespace, name, coalesce(pod_namespace, '') FROM container WHERE engine = 'containerd' AND name LIKE '$PFX%'" | sort | tr '\n' ' ' | sed 's/ $//')"

# ---- targets --------------------------------------------------------------------------------
for x in "${PFX}app pod" "$POD_NS/$POD pod" "$SHORT short" "${PFX}-nerd nerd"; do
	read -r name ns <<<"$x"
	"$VETHMAP" ls --stored --db "$DB" --json "$name" >"$TMP/t.json" 2>"$TMP/t.err"
	check_eq "ls $name: exit 0 ($(head -c 200 "$TMP/t.err"))" 0 $?
	check_eq "ls $name: its netns only" "$(ns_ino "$ns")" "$(jq -r '[.[].netns] | unique | join(",")' "$TMP/t.json")"
	"$VETHMAP" graph --db "$DB" --focus "$name" -o "$TMP/g.dot" 2>"$TMP/g.err"
	check_eq "graph --focus $name: exit 0 ($(head -c 200 "$TMP/g.err"))" 0 $?
done
"$VETHMAP" graph --db "$DB" --focus "$POD_NS/$POD" -o "$TMP/g.dot" 2>/dev/null
check "graph: the pod labelled NAMESPACE/POD" grep -qF "pod $POD_NS/$POD" "$TMP/g.dot"
# a capture on the short-id container, fed by a ping from the pod over the bridge
ip -n "${PFX}short" link set lo up
ADDR=$(ip -n "${PFX}short" -j addr show eth0 | jq -r '.[0].addr_info[] | select(.family == "inet") | .local')
ip netns exec "${PFX}pod" ping -c 20 -i 0.2 -W 1 "$ADDR" >/dev/null 2>&1 &
bg_pid $!
# (filtered: the first packet on a fresh interface may be its own IPv6 router solicitation)
timeout 20 "$VETHMAP" cap "$SHORT" --db "$DB" -c 1 -d 10 icmp and host "$ADDR" >"$TMP/cap.out" 2>"$TMP/cap.err"
check_eq "cap $SHORT -c 1: exit 0 ($(head -c 200 "$TMP/cap.err" | tr '\n' ' '))" 0 $?
check "cap $SHORT: one ICMP packet to it" grep -q "$ADDR" "$TMP/cap.out"
timeout 20 "$VETHMAP" cap "${PFX}nothing" --db "$DB" -c 1 -d 1 >/dev/null 2>"$TMP/cap.err"
check_eq "cap of an unknown name: exit 2" 2 $?
