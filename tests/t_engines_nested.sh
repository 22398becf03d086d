#!/bin/bash
# A nested containerd, as kind runs one: in its own mount and PID namespace
# (unshare --mount --pid --fork --mount-proc), a private tmpfs on /run, state in
# /run/containerd (which exists only in there), a pod (sandbox + app, CRI annotations, a
# CNI veth on a bridge).  Its init.pid files hold PIDs of its own PID namespace.  vethmap
# on the host must name the pod with our PIDs (mapped by NSpid), and its node ("pid:N",
# N the nested init's PID: that node is no container).  A container of the same name on a
# host containerd makes the name ambiguous: the error lists both, with engine and node.
# Cleanup kills the nested init by its host PID (the PID namespace goes with it).
# Then the same inside a Podman container (the host's root under an overlay: no registry
# here), as kind's node: the pod's node is "podman:NAME", its veth's peer in the node.
. "${BASH_SOURCE%/*}/lib_containerd.sh"
need_root
need_vethmap
command -v unshare >/dev/null && command -v nsenter >/dev/null ||
	{ skip "${0##*/}" "unshare/nsenter (util-linux) missing"; exit 0; }

cg_forget_new k8s.io	# containerd makes it for the k8s.io namespace's tasks
hex64() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
# dot_parent FILE INODE: what the cluster of netns INODE is drawn inside, in DOT FILE:
# "netns N" (another namespace's cluster), "node LABEL" (a node cluster), or "top"
dot_parent() {
	python3 - "$1" "$2" <<'PY'
import re, sys
stack, info, parent = [], {}, {}
for line in open(sys.argv[1]):
    m = re.match(r'\s*subgraph (cluster_\w+) \{', line)
    if m:
        parent[m.group(1)] = stack[-1] if stack else None
        stack.append(m.group(1))
        continue
    if re.match(r'\s*\}\s*$', line) and stack:
        stack.pop()
        continue
    if stack:
        m = re.match(r'\s*tooltip="netns (\d+)', line)
        if m:
            info[stack[-1]] = "netns " + m.group(1)
        m = re.match(r'\s*label=<<I>(node [^<]*)</I>>', line)
        if m:
            info[stack[-1]] = m.group(1)
for c, v in info.items():
    if v == "netns " + sys.argv[2]:
        print(info.get(parent[c], "top") if parent[c] else "top")
PY
}

# ---- the host's containerd (ours), with a container named like the nested app ------------
containerd_up cd
cd_image "${PFX}ns"
cni_netns dup 10.238.1.0/24
c "${PFX}ns" run -d --with-ns "network:/run/netns/${PFX}dup" --annotation "nerdctl/name=${PFX}app" \
	"$CD_IMAGE" "$(hex64)" sleep 1000 >"$TMP/run.out" 2>&1 ||
	{ not_ok "fixture: host container" "$(head -c 300 "$TMP/run.out")"; exit 1; }

# ---- the nested one ------------------------------------------------------------------------
ND=$TMP/nested
mkdir -p "$ND/root" "$ND/opt" "$ND/cni"
cat >"$ND/config.toml" <<EOF
version = 2
root = "$ND/root"
state = "/run/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "/run/containerd/containerd.sock"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$ND/opt"
EOF
setsid unshare --mount --pid --fork --kill-child --mount-proc sh -c \
	'mount -t tmpfs tmpfs /run && mkdir -p /run/containerd && { containerd --config "$0" >"$1" 2>&1 & } && exec sleep 100000' \
	"$ND/config.toml" "$ND/log" </dev/null >/dev/null 2>&1 &
UNSHARE=$!
bg_pid "$UNSHARE"
wait_for 10 pgrep -P "$UNSHARE" >/dev/null
INIT=$(pgrep -P "$UNSHARE")
[ -n "$INIT" ] || { not_ok "fixture: nested init" "unshare made no child"; exit 1; }
# at exit, before anything else: the nested init, by its host PID (its namespace goes too)
_nested_kill() {
	kill -KILL "$INIT" 2>/dev/null
	wait_for 10 _gone "$INIT"
}
trap '_nested_kill; _cd_exit' EXIT
n() { timeout 60 nsenter -t "$INIT" -m -p "$@"; }
wait_for 30 n ctr version >/dev/null ||
	{ not_ok "fixture: nested containerd starts" "$(tail -n 3 "$ND/log" | tr '\n' ' ')"; exit 1; }
check_eq "fixture: nested init is PID 1 of its namespace" 1 "$(awk '/^NSpid:/ { print $NF }' "/proc/$INIT/status")"
check "fixture: /run/containerd of the nested engine is not the host's" test ! -S /run/containerd/containerd.sock -o "$(stat -L -c %i /run)" != "$(stat -L -c %i "/proc/$INIT/root/run")"

n ctr -n k8s.io images import "$TMP/img.tar" >/dev/null 2>"$TMP/import.err" ||
	{ not_ok "fixture: nested image import" "$(head -c 300 "$TMP/import.err")"; exit 1; }
n ip netns add pod || { not_ok "fixture: nested netns" "ip netns add failed"; exit 1; }
printf '{"cniVersion":"0.4.0","name":"%snet","type":"bridge","bridge":"%snbr","ipam":{"type":"host-local","subnet":"10.238.2.0/24","dataDir":"%s"}}' \
	"$PFX" "$PFX" "$ND/cni" >"$ND/cni.json"
n env CNI_COMMAND=ADD CNI_CONTAINERID=pod CNI_NETNS=/run/netns/pod CNI_IFNAME=eth0 \
	CNI_PATH=/usr/lib/cni /usr/lib/cni/bridge <"$ND/cni.json" >"$ND/cni.out" 2>&1 ||
	{ not_ok "fixture: nested CNI" "$(head -c 300 "$ND/cni.out")"; exit 1; }
SB=$(hex64) APP=$(hex64) POD=coredns-${PFX}
cg_forget "k8s.io/$SB" "k8s.io/$APP"	# the nested containerd's cgroups for them
cri() {
	echo --annotation io.kubernetes.cri.container-type="$1" \
		--annotation io.kubernetes.cri.sandbox-name="$POD" \
		--annotation io.kubernetes.cri.sandbox-namespace=kube-system \
		--annotation io.kubernetes.cri.sandbox-id="$SB"
}
# shellcheck disable=SC2046
n ctr -n k8s.io run -d --with-ns network:/run/netns/pod $(cri sandbox) "$CD_IMAGE" "$SB" \
	sleep 1000 >"$TMP/run.out" 2>&1 || { not_ok "fixture: nested sandbox" "$(head -c 300 "$TMP/run.out")"; exit 1; }
NSPID_SB=$(n ctr -n k8s.io tasks ls | awk -v id="$SB" '$1 == id { print $2 }')
# shellcheck disable=SC2046
n ctr -n k8s.io run -d --with-ns "network:/proc/$NSPID_SB/ns/net" $(cri container) \
	--annotation io.kubernetes.cri.container-name="${PFX}app" "$CD_IMAGE" "$APP" sleep 1000 \
	>"$TMP/run.out" 2>&1 || { not_ok "fixture: nested app" "$(head -c 300 "$TMP/run.out")"; exit 1; }
NSPID_APP=$(n ctr -n k8s.io tasks ls | awk -v id="$APP" '$1 == id { print $2 }')

J=$TMP/scan.json
scan_json "$J" || exit 1
ctr_of() {
	jqv "$J" --arg id "$1" "[.netns[].containers[] | select(.id == \$id)] | if length == 1 then .[0]$2 else \"<\(length) matches>\" end"
}
for x in "sandbox $SB $POD $NSPID_SB" "app $APP ${PFX}app $NSPID_APP"; do
	read -r what id name nspid <<<"$x"
	pid=$(ctr_of "$id" .pid)
	check_eq "nested $what: named" "$name" "$(ctr_of "$id" .name)"
	check_eq "nested $what: pod" "kube-system/$POD" "$(ctr_of "$id" '| "\(.pod_namespace)/\(.pod)"')"
	check_eq "nested $what: node is the nested PID namespace's init" "pid:$INIT" "$(ctr_of "$id" .node)"
	check "nested $what: our PID, not the nested one ($pid vs $nspid)" test "$pid" != "$nspid"
	check_eq "nested $what: that PID is the nested $nspid (NSpid)" "$nspid" \
		"$(awk '/^NSpid:/ { print $3 }' "/proc/$pid/status" 2>/dev/null)"
	check_eq "nested $what: in the pod's netns" "$(pid_ns_ino "$pid")" \
		"$(jqv "$J" --arg id "$id" '[.netns[] | select(any(.containers[]; .id == $id)) | .inode] | join(",")')"
done
check_eq "nested sandbox: the pod's veth is on the nested bridge" "${PFX}nbr" \
	"$("$VETHMAP" ls --stored --db "$DB" --json "kube-system/$POD" | jq -r '[.[].bridge] | unique | join(",")')"

# ---- text, database, graph -----------------------------------------------------------------
"$VETHMAP" show --db "$DB" >"$TMP/show.txt" 2>&1
check "show: the nested app with pod and node" grep -qF "containerd:${PFX}app(pod kube-system/$POD)(node pid:$INIT)" "$TMP/show.txt"
check_eq "ls: the nested app's row: pod and node" "kube-system/$POD pid:$INIT" \
	"$("$VETHMAP" ls --stored --db "$DB" "kube-system/$POD" | awk -v n="${PFX}app" '$1 == n { print $3, $4 }')"
check_eq "db: nodes stored" "pid:$INIT pid:$INIT" \
	"$(sqlite3 "$DB" "SELECT node FROM container WHERE id IN ('$SB', '$APP')" | tr '\n' ' ' | sed 's/ $//')"
check_eq "db: the host's container has no node" "" \
	"$(sqlite3 "$DB" "SELECT node FROM container WHERE name = '${PFX}app' AND engine = 'containerd' AND id NOT IN ('$SB', '$APP')")"
"$VETHMAP" graph --db "$DB" --focus "kube-system/$POD" -o "$TMP/g.dot" 2>"$TMP/g.err"
check_eq "graph --focus the nested pod: exit 0 ($(head -c 200 "$TMP/g.err"))" 0 $?
check "graph: the nested namespace labelled with its node" grep -qF "in pid:$INIT" "$TMP/g.dot"
POD_NS=$(pid_ns_ino "$(ctr_of "$SB" .pid)")
check_eq "graph: the nested pod's cluster is drawn inside its node's" "node pid:$INIT" \
	"$(dot_parent "$TMP/g.dot" "$POD_NS")"
check "graph: dot renders it" dot -Tsvg -o "$TMP/g.svg" "$TMP/g.dot"
"$VETHMAP" report --db "$DB" -o "$TMP/r.xml" 2>/dev/null &&
	check "report: the node attribute" grep -qF "node=\"pid:$INIT\"" "$TMP/r.xml"

# ---- an ambiguous name: both candidates, with engine and node -----------------------------
"$VETHMAP" ls --stored --db "$DB" "${PFX}app" >/dev/null 2>"$TMP/amb.err"
check_eq "ls ${PFX}app (host and nested): exit 2" 2 $?
check "ambiguous: says so" grep -q "ambiguous target '${PFX}app'" "$TMP/amb.err"
check "ambiguous: the nested one with its node" grep -qF "containerd container '${PFX}app' (in node pid:$INIT)" "$TMP/amb.err"
check_eq "ambiguous: the host's one without a node" 1 "$(grep -cxF "  containerd container '${PFX}app'" "$TMP/amb.err")"

# ---- a node that is a container: containerd inside a Podman container, as kind runs one ------
# (no registry here: the node's root is the host's own, under an overlay, --rootfs /:O)
if [ ! -x "$PODMAN" ] || ! timeout 30 "$PODMAN" info >/dev/null 2>&1; then
	skip "node container" "podman does not work here"
	exit 0
fi
PD=$TMP/pnode
mkdir -p "$PD/root" "$PD/opt" "$PD/cni"
sed -e "s|$ND/root|/h11c/root|; s|$ND/opt|/h11c/opt|" "$ND/config.toml" >"$PD/config.toml"
printf '#!/bin/sh\nmount -t tmpfs tmpfs /run && mkdir -p /run/containerd || exit 1\ncontainerd --config /h11c/config.toml >/h11c/log 2>&1 &\nexec sleep 100000\n' >"$PD/init.sh"
chmod +x "$PD/init.sh"
NODE=${PFX}node
prun "$NODE" --privileged --network none -v "$PD:/h11c" --rootfs /:O /h11c/init.sh >"$TMP/node.out" 2>&1 ||
	{ not_ok "fixture: node container" "$(head -c 300 "$TMP/node.out")"; exit 1; }
pn() { timeout 60 "$PODMAN" exec "$NODE" "$@"; }
wait_for 30 pn ctr version >/dev/null ||
	{ not_ok "fixture: containerd in the node" "$(tail -n 3 "$PD/log" | tr '\n' ' ')"; exit 1; }
cp "$TMP/img.tar" "$PD/img.tar"
pn ctr -n k8s.io images import /h11c/img.tar >/dev/null 2>"$TMP/import.err" ||
	{ not_ok "fixture: image import in the node" "$(head -c 300 "$TMP/import.err")"; exit 1; }
printf '{"cniVersion":"0.4.0","name":"%snet","type":"bridge","bridge":"%spbr","ipam":{"type":"host-local","subnet":"10.238.3.0/24","dataDir":"/h11c/cni"}}' \
	"$PFX" "$PFX" >"$PD/cni.json"
pn ip netns add pod &&
	pn sh -c 'CNI_COMMAND=ADD CNI_CONTAINERID=pod CNI_NETNS=/run/netns/pod CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni /usr/lib/cni/bridge </h11c/cni.json' \
	>"$TMP/cni.out" 2>&1 || { not_ok "fixture: CNI in the node" "$(head -c 300 "$TMP/cni.out")"; exit 1; }
SB2=$(hex64) POD2=coredns-${PFX}k
cg_forget "k8s.io/$SB2"
pn ctr -n k8s.io run -d --with-ns network:/run/netns/pod \
	--annotation io.kubernetes.cri.container-type=sandbox --annotation io.kubernetes.cri.sandbox-name="$POD2" \
	--annotation io.kubernetes.cri.sandbox-namespace=kube-system --annotation io.kubernetes.cri.sandbox-id="$SB2" \
	"$CD_IMAGE" "$SB2" sleep 1000 >"$TMP/run.out" 2>&1 ||
	{ not_ok "fixture: pod in the node" "$(head -c 300 "$TMP/run.out")"; exit 1; }

J=$TMP/scan2.json
scan_json "$J" || exit 1
check_eq "node container: the pod named" "$POD2" "$(ctr_of "$SB2" .name)"
check_eq "node container: the pod's node is the Podman container" "podman:$NODE" "$(ctr_of "$SB2" .node)"
check_eq "node container: the node itself has no node" null \
	"$(jqv "$J" --arg n "$NODE" '[.netns[].containers[] | select(.engine == "podman" and .name == $n)][0].node')"
"$VETHMAP" ls --stored --db "$DB" "kube-system/$POD2" >"$TMP/ls2.txt" 2>&1
check_eq "ls: the pod's row: node, and its veth's peer in the node's namespace" "podman:$NODE ${PFX}pbr" \
	"$(awk -v n="$POD2" '$1 == n { print $4, $8 }' "$TMP/ls2.txt")"
check "ls: the host-side peer is in the node" grep -qE "^$POD2 .* $NODE:veth" "$TMP/ls2.txt"
"$VETHMAP" graph --db "$DB" -o "$TMP/g2.dot" 2>"$TMP/g2.err"
check_eq "graph of the whole host: exit 0 ($(head -c 200 "$TMP/g2.err"))" 0 $?
NODE_NS=$(jqv "$J" --arg n "$NODE" '[.netns[] | select(any(.containers[]; .engine == "podman" and .name == $n)) | .inode][0]')
check_eq "graph: the pod's cluster is drawn inside its node container's namespace" \
	"netns $NODE_NS" "$(dot_parent "$TMP/g2.dot" "$(pid_ns_ino "$(ctr_of "$SB2" .pid)")")"
check "graph: dot renders the nested clusters" dot -Tsvg -o "$TMP/g2.svg" "$TMP/g2.dot"
