#!/bin/bash
# 'vethmap collect --kubectl' (issue 16) against a test double: no Kubernetes cluster is
# available here, so $TMP/bin/kubectl, first on PATH, stands in for kubectl.  It answers
# 'get pods' with a pod list written in the shape of the v1 API and 'exec POD -- CMD' per
# pod: a real 'vethmap scan' of this machine, a hang, garbage, kubectl's own error.  It
# refuses any argv but the ones collect must give (the fixed remote command after '--',
# --context=/--namespace=/--selector= as single words).  Checks: the good node's scan is
# kept as DIR/NODE.json, every other pod costs one line naming it (hang: its deadline;
# not scheduled, being deleted, a second pod on a node, a name that is not a Kubernetes
# name: refused before anything runs), exit 3; a failing or missing kubectl is exit 1.
. "${BASH_SOURCE%/*}/lib.sh"
need_vethmap
rm -rf "$TMP"
TMP=$(mktemp -d /tmp/vk1.XXXXXX)
DB=$TMP/t.db

mkdir -p "$TMP/bin"
cat >"$TMP/pods.json" <<'JSON'
{"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": [
 {"kind": "Pod", "metadata": {"name": "vethmap-a", "namespace": "vk1ns"},
  "spec": {"nodeName": "node-a"}, "status": {"phase": "Running"}},
 {"kind": "Pod", "metadata": {"name": "vethmap-b", "namespace": "vk1ns"},
  "spec": {"nodeName": "node-b"}, "status": {"phase": "Running"}},
 {"kind": "Pod", "metadata": {"name": "vethmap-c", "namespace": "vk1ns"},
  "spec": {"nodeName": "node-c"}, "status": {"phase": "Running"}},
 {"kind": "Pod", "metadata": {"name": "vethmap-d", "namespace": "vk1ns"},
  "spec": {"nodeName": "node-d"}, "status": {"phase": "Running"}},
 {"kind": "Pod", "metadata": {"name": "vethmap-e", "namespace": "vk1ns"},
  "spec": {}, "status": {"phase": "Pending"}},
 {"kind": "Pod", "metadata": {"name": "vethmap-f", "namespace": "vk1ns"},
  "spec": {"nodeName": "node-a"}, "status": {"phase": "Running"}},
 {"kind": "Pod", "metadata": {"name": "vethmap-g", "namespace": "vk1ns",
  "deletionTimestamp": "2026-12-02T06:00:00Z"},
  "spec": {"nodeName": "node-g"}, "status": {"phase": "Running"}},
 {"kind": "Pod", "metadata": {"name": "--help", "namespace": "vk1ns"},
  "spec": {"nodeName": "node-h"}, "status": {"phase": "Running"}}
]}
JSON
cat >"$TMP/bin/kubectl" <<EOF
#!/bin/bash
# Test double for kubectl (no cluster here): see t_collect_kubectl.sh.
printf '%s\n' "\$*" >>"$TMP/argv.log"
[ "\$1" = --context=vk1ctx ] || { echo "fake kubectl: no --context=vk1ctx: \$*" >&2; exit 9; }
shift
if [ "\$*" = "get pods --namespace=vk1ns --selector=app=vk1 -o json" ]; then
	case \${FAKE_LIST:-good} in
	good) exec cat "$TMP/pods.json" ;;
	bad) echo '<html>' ;;
	fail) echo 'error: You must be logged in to the server (Unauthorized)' >&2; exit 1 ;;
	esac
	exit 0
fi
[ "\$1 \$2 \$4 \$5 \$6 \$7 \$8" = "exec --namespace=vk1ns -- vethmap scan --json --no-store" ] &&
	[ \$# = 8 ] || { echo "fake kubectl: unexpected: \$*" >&2; exit 9; }
case \$3 in
vethmap-a) exec "$VETHMAP" scan --json --no-store --no-containers 2>/dev/null ;;
vethmap-b) exec sleep 60 ;;
vethmap-c) echo 'garbage' ;;
vethmap-d) echo 'error: unable to upgrade connection: container not found ("vethmap")' >&2; exit 1 ;;
*) echo "fake kubectl: exec in an unknown pod \$3" >&2; exit 9 ;;
esac
EOF
chmod 0755 "$TMP/bin/kubectl"
K=(collect --kubectl --context vk1ctx -n vk1ns -l app=vk1 --deadline 2s)

if [ "$(id -u)" = 0 ]; then
	PATH=$TMP/bin:$PATH "$VETHMAP" "${K[@]}" --dir "$TMP/out" --json >"$TMP/c.json" 2>"$TMP/c.err"
	rc=$?
	check_eq "kubectl: some nodes failed: exit 3" 3 "$rc"
	check_eq "kubectl: only node-a's scan is kept, as DIR/NODE.json" "node-a.json" "$(ls -A "$TMP/out")"
	check "kubectl: node-a's file is a scan" jq -e '.scan and .netns' "$TMP/out/node-a.json"
	check_eq "kubectl: one line per pod not collected (7)" 7 "$(wc -l <"$TMP/c.err")"
	check "kubectl: the hung pod costs its deadline" grep -qx "vethmap: collect: node 'node-b' (pod vethmap-b): timed out after 2 s (killed)" "$TMP/c.err"
	check "kubectl: garbage is refused" grep -qx "vethmap: collect: node 'node-c' (pod vethmap-c): not JSON" "$TMP/c.err"
	check "kubectl: kubectl's error is the reason" grep -qF "vethmap: collect: node 'node-d' (pod vethmap-d): exit status 1: error: unable to upgrade connection: container not found" "$TMP/c.err"
	check "kubectl: an unscheduled pod is named" grep -qx "vethmap: collect: pod 'vethmap-e': not on a node (not scheduled)" "$TMP/c.err"
	check "kubectl: a second pod on a node is not taken" grep -qF "node 'node-a' (pod vethmap-f): a second pod on this node (pod vethmap-a)" "$TMP/c.err"
	check "kubectl: a pod being deleted is not taken" grep -qx "vethmap: collect: pod 'vethmap-g': being deleted" "$TMP/c.err"
	check "kubectl: a pod name that is not a Kubernetes name is refused" grep -qx "vethmap: collect: pod '--help': its name is not a Kubernetes name" "$TMP/c.err"
	check_eq "kubectl: exec ran in the four usable pods only, with the fixed command" \
		"vethmap-a vethmap-b vethmap-c vethmap-d" \
		"$(grep ' exec ' "$TMP/argv.log" | awk '{print $4}' | sort | tr '\n' ' ' | sed 's/ $//')"
	check_eq "kubectl: the summary lists every pod" "8 1" \
		"$(jq -r '"\(.hosts | length) \([.hosts[] | select(.ok)] | length)"' "$TMP/c.json")"
else
	skip "kubectl: exec path" "a real scan behind the fake kubectl needs root"
fi

# the pod list itself fails
for mode in bad fail; do
	FAKE_LIST=$mode PATH=$TMP/bin:$PATH "$VETHMAP" "${K[@]}" --dir "$TMP/l$mode" >/dev/null 2>"$TMP/l.err"
	rc=$?
	check_eq "kubectl: a pod list that is $mode: exit 1" 1 "$rc"
	check_eq "kubectl: a pod list that is $mode: one line" 1 "$(wc -l <"$TMP/l.err")"
done
check "kubectl: kubectl's own error is the reason" grep -qF "kubectl get pods: exit status 1: error: You must be logged in" "$TMP/l.err"
PATH=/nonexistent-vk1 "$VETHMAP" "${K[@]}" --dir "$TMP/none" >/dev/null 2>"$TMP/n.err"
check_eq "kubectl: no kubectl at all: exit 1" 1 "$?"
check "kubectl: no kubectl at all: says so" grep -qF "cannot run 'kubectl'" "$TMP/n.err"

# usage errors
"$VETHMAP" collect --kubectl --dir "$TMP/u" node-x >/dev/null 2>&1
check_eq "kubectl: takes no HOST operands" 2 "$?"
"$VETHMAP" collect --kubectl --ssh-config /dev/null --dir "$TMP/u" >/dev/null 2>&1
check_eq "kubectl: --ssh-config is for --ssh" 2 "$?"
"$VETHMAP" collect --ssh -n x --dir "$TMP/u" h >/dev/null 2>&1
check_eq "ssh: -n is for --kubectl" 2 "$?"
"$VETHMAP" collect --kubectl >/dev/null 2>&1
check_eq "kubectl: --dir or -o is needed" 2 "$?"
exit 0
