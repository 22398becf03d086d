#!/bin/bash
# deploy/kubernetes/vethmap.yaml (issue 16): no cluster is available here, so the manifest
# is checked for what it must carry (parsed with python3-yaml): a Namespace, a
# ServiceAccount and a DaemonSet whose pods have hostPID, hostNetwork, a read-only root
# filesystem, no privilege escalation, capabilities ALL dropped and only SYS_ADMIN and
# SYS_PTRACE added, a hostPath for the database, NODE_NAME from the downward API
# (spec.nodeName), the labels 'collect --kubectl' selects by default, and an image.  Then
# the capability list itself: a scan run with exactly those capabilities in its bounding
# set (setpriv) sees what a scan with all of them sees, on namespaces this test makes the
# three ways a node has them: named (ip netns), held only by a process of another user
# (needs SYS_PTRACE), bind-mounted only inside another mount namespace (/proc/PID/root).
# With one of them fewer, the scan refuses to run.
. "${BASH_SOURCE%/*}/lib.sh"
need_vethmap
rm -rf "$TMP"
TMP=$(mktemp -d /tmp/vk1.XXXXXX)
DB=$TMP/t.db
PFX=vk1${PFX#vt}
M=deploy/kubernetes/vethmap.yaml

if ! python3 -c 'import yaml' 2>/dev/null; then
	skip "${0##*/}" "needs python3-yaml (Debian's python3-yaml)"
	exit 0
fi
python3 - "$M" >"$TMP/fields" 2>"$TMP/fields.err" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = {d["kind"]: d for d in docs}
print("kinds", " ".join(sorted(kinds)))
ds = kinds["DaemonSet"]
ns = kinds["Namespace"]["metadata"]["name"]
print("namespaces", ns, ds["metadata"]["namespace"], kinds["ServiceAccount"]["metadata"]["namespace"])
pod = ds["spec"]["template"]["spec"]
print("selector", ds["spec"]["selector"]["matchLabels"].get("app.kubernetes.io/name"),
      ds["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/name"))
print("hostPID", pod.get("hostPID"))
print("hostNetwork", pod.get("hostNetwork"))
print("serviceAccount", pod.get("serviceAccountName"))
c = pod["containers"]
print("containers", len(c))
c = c[0]
sc = c["securityContext"]
print("readOnlyRootFilesystem", sc.get("readOnlyRootFilesystem"))
print("allowPrivilegeEscalation", sc.get("allowPrivilegeEscalation"))
print("privileged", sc.get("privileged"))
print("drop", " ".join(sc["capabilities"]["drop"]))
print("add", " ".join(sorted(sc["capabilities"]["add"])))
env = {e["name"]: e for e in c.get("env", [])}
print("NODE_NAME", env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"])
mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
vols = {v["name"]: v for v in pod["volumes"]}
db = [n for n, p in mounts.items() if p == "/var/lib/vethmap"]
print("db", db and vols[db[0]].get("hostPath", {}).get("path"))
print("image", "yes" if c.get("image") else "no")
print("command", " ".join(c["command"]))
PY
check "manifest: parses as YAML" test -s "$TMP/fields"
field() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$TMP/fields"; }
check_eq "manifest: a Namespace, a ServiceAccount, a DaemonSet" "DaemonSet Namespace ServiceAccount" "$(field kinds)"
check_eq "manifest: all in one namespace (collect's default, vethmap)" "vethmap vethmap vethmap" "$(field namespaces)"
check_eq "manifest: the label collect selects by default" "vethmap vethmap" "$(field selector)"
check_eq "manifest: hostPID" True "$(field hostPID)"
check_eq "manifest: hostNetwork" True "$(field hostNetwork)"
check_eq "manifest: its own service account" vethmap "$(field serviceAccount)"
check_eq "manifest: one container" 1 "$(field containers)"
check_eq "manifest: read-only root filesystem" True "$(field readOnlyRootFilesystem)"
check_eq "manifest: no privilege escalation" False "$(field allowPrivilegeEscalation)"
check_eq "manifest: not privileged" False "$(field privileged)"
check_eq "manifest: every capability dropped" ALL "$(field drop)"
check_eq "manifest: only SYS_ADMIN and SYS_PTRACE added" "SYS_ADMIN SYS_PTRACE" "$(field add)"
check_eq "manifest: NODE_NAME from the downward API" spec.nodeName "$(field NODE_NAME)"
check_eq "manifest: the database on a hostPath" /var/lib/vethmap "$(field db)"
check_eq "manifest: an image (placeholder)" yes "$(field image)"
cmd=$(field command)
read -ra cmdv <<<"${cmd#vethmap }"
check "manifest: its command is one vethmap takes ($cmd)" "$VETHMAP" "${cmdv[@]}" --help

if [ "$(id -u)" != 0 ] || ! type -P setpriv >/dev/null; then
	skip "manifest: the capability list" "needs root and setpriv"
	exit 0
fi
# the three kinds of namespace a node has
ns_add a
ip link add "${PFX}x" type veth peer name eth0 netns "${PFX}a" || not_ok "fixture: veth" failed
unshare --net sh -c "ip link add ${PFX}y type veth peer name ${PFX}z && ip link set lo up &&
	exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all sleep 300" &
NOBODY=$!	# sh, then setpriv, then sleep: one process, in the end nobody's
bg_pid "$NOBODY"
wait_for 10 grep -qE '^Uid:\s+65534' "/proc/$NOBODY/status" ||
	{ not_ok "fixture: a process of nobody's in a netns of its own" "none"; exit 1; }
B=$(pid_ns_ino "$NOBODY")
nested_init "$TMP/n.log" ip netns add "${PFX}m"
trap 'nested_kill; _cleanup' EXIT
wait_for 10 test -n "$(awk -v n="/run/netns/${PFX}m" '$5 == n' "/proc/$INIT/mountinfo")"
caps=$(field add | tr 'A-Z' 'a-z' | sed 's/ /,+/g')
# ours alone, in a form alike whatever else the host holds meanwhile
mine() {
	jq -S --argjson b "$B" --arg p "$PFX" '
		[.netns[] | select(.inode == $b or any(.names[]; contains($p))) |
		 {names: [.names[] | sub("^pid [0-9]+:"; "pid:")], inode}] as $ns |
		{ns: [$ns[] | {names}] | sort,
		 ifs: [.interfaces[] | select(.netns as $n | any($ns[]; .inode == $n)) |
		       {name, kind, peer: .peer.name}] | sort_by(.name)}' "$1"
}
"$VETHMAP" scan --json --no-store >"$TMP/full.json" 2>/dev/null
setpriv --inh-caps=-all --bounding-set="-all,+$caps" -- "$VETHMAP" scan --json --no-store \
	>"$TMP/min.json" 2>"$TMP/min.err"
check_eq "capabilities: a scan with $(field add) alone exits as with all" 0 "$?"
mine "$TMP/full.json" >"$TMP/full.mine"
mine "$TMP/min.json" >"$TMP/min.mine"
check_eq "capabilities: the full scan sees the three namespaces of ours" 3 "$(jq '.ns | length' "$TMP/full.mine")"
check "capabilities: with $(field add) alone it sees the same (names, interfaces, peers)" \
	cmp -s "$TMP/full.mine" "$TMP/min.mine"
check "capabilities: the one held by another user's process is seen" \
	jq -e --argjson b "$B" 'any(.netns[]; .inode == $b)' "$TMP/min.json"
check "capabilities: the one mounted only in another mount namespace is named" \
	jq -e --arg n "/run/netns/${PFX}m" 'any(.netns[].names[]; endswith($n))' "$TMP/min.json"
# the pod's own command (vethmap watch) runs with them too, its process events included
setpriv --inh-caps=-all --bounding-set="-all,+$caps" -- "$VETHMAP" watch --no-store -d 1s -v \
	>/dev/null 2>"$TMP/watch.err"
check_eq "capabilities: the pod's vethmap watch runs with $(field add) alone" 0 "$?"
check "capabilities: ... with its process events (proc connector)" \
	bash -c "! grep -q 'no process events' '$TMP/watch.err'"
for c in $(field add); do
	rest=$(field add | tr ' ' '\n' | grep -vx "$c" | tr 'A-Z' 'a-z' | sed 's/^/+/' | tr '\n' ',' | sed 's/,$//')
	setpriv --inh-caps=-all --bounding-set="-all${rest:+,$rest}" -- "$VETHMAP" scan --json --no-store \
		>/dev/null 2>"$TMP/less.err"
	rc=$?
	check_eq "capabilities: without $c the scan refuses (exit 1)" 1 "$rc"
	check "capabilities: without $c it says it needs it" grep -qi "needs CAP_$c" "$TMP/less.err"
done
exit 0
