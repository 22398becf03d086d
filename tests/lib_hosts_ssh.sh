# shellcheck shell=bash disable=SC2034
# tests/lib_hosts_ssh.sh - "hosts" made of namespaces, each with an sshd of its own, for
# 'vethmap collect --ssh' (sourced after tests/lib.sh; everything goes at its exit trap).
#
# A host is a PID, mount, UTS and network namespace of its own (unshare --pid --fork
# --kill-child --mount-proc --net --uts): no namespace bind mount of the real host's (they
# are detached), /run a private tmpfs (so its /run/netns holds only what is made in it), /usr/local/bin a directory of ours with a 'vethmap' symlink to
# the binary under test (on the PATH sshd gives root), /etc/machine-id a file of its own,
# its host name ${PFX}hI.  A vethmap run in it sees that host alone.  The hosts hang on a
# bridge in the fabric netns ${PFX}f through veth "underlay" links, addresses in
# 10.251.0.0/24 (test-only, no route beyond it, nothing on the real host's interfaces);
# the client netns ${PFX}c (10.251.0.250) is where ssh, and so collect, runs.  Each host's
# sshd (Debian's openssh-server) listens only on its underlay address, with its own host
# key and config file under $TMP, the key this fixture makes as AuthorizedKeysFile, no
# PAM, no password.  The client's ssh_config ($SSHCFG, for ssh -F) names that key and a
# known_hosts of every host's key: nothing of the user's ssh set-up is read or changed.
#
#   hosts_ssh_need        skip the whole script unless root, with vethmap, sshd, ssh and
#                         ssh-keygen; then this fixture's own prefix (vk1) on every object
#                         and file: PFX=vk1..., TMP=/tmp/vk1.XXXXXX, DB in it
#   hosts_ssh_fabric      the fabric and client netns, the client's key, $SSHCFG
#   host_ssh_add I        host I (1..200) at 10.251.0.$((10 + I)), sshd answering; sets
#                         HOST_PID[I] (its init, our PID), HOST_ADDR[I], HOST_DIR[I]
#   host_ssh_exec I CMD   run CMD in host I (its mount, UTS, net and PID namespaces)
#   host_ssh_silent ADDR  a "host" at ADDR (netns ${PFX}s) whose port 22 accepts
#                         connections and never says a word
#   in_client CMD...      run CMD in the client netns
SSHD=/usr/sbin/sshd
HOST_PID=() HOST_ADDR=() HOST_DIR=()

hosts_ssh_need() {
	local p
	need_root
	need_vethmap
	for p in "$SSHD" "$(type -P ssh)" "$(type -P ssh-keygen)"; do
		if [ ! -x "$p" ]; then
			skip "${0##*/}" "needs sshd, ssh and ssh-keygen (Debian's openssh-server, openssh-client)"
			exit 0
		fi
	done
	rm -rf "$TMP"
	TMP=$(mktemp -d /tmp/vk1.XXXXXX)
	DB=$TMP/t.db
	PFX=vk1${PFX#vt}
}

in_client() { ip netns exec "${PFX}c" "$@"; }

# _underlay NETNS-OR-PID NAME ADDR: a veth from the fabric bridge into NETNS (a name) or
# the netns of PID, there called eth0 with ADDR/24, up
_underlay() {
	local where=$1 name=$2 addr=$3 to
	if [[ $where == [0-9]* ]]; then to=$where; else to=/run/netns/$where; fi
	ip -n "${PFX}f" link add "$name" type veth peer name eth0 netns "$to" &&
		ip -n "${PFX}f" link set "$name" master br0 up || return 1
	if [[ $where == [0-9]* ]]; then
		nsenter -t "$where" -n sh -c "ip link set lo up && ip addr add $addr/24 dev eth0 &&
			ip link set eth0 up"
	else
		ip -n "$where" link set lo up && ip -n "$where" addr add "$addr/24" dev eth0 &&
			ip -n "$where" link set eth0 up
	fi
}

hosts_ssh_fabric() {
	ns_add f
	ns_add c
	ip -n "${PFX}f" link add br0 type bridge && ip -n "${PFX}f" link set br0 up ||
		{ not_ok "fixture: the fabric bridge" "ip link add failed"; exit 1; }
	_underlay "${PFX}c" uc 10.251.0.250 ||
		{ not_ok "fixture: the client's underlay" "failed"; exit 1; }
	ssh-keygen -q -t ed25519 -N '' -C "${PFX}client" -f "$TMP/id" ||
		{ not_ok "fixture: the client key" "ssh-keygen failed"; exit 1; }
	cp "$TMP/id.pub" "$TMP/authorized_keys"
	: >"$TMP/known_hosts"
	SSHCFG=$TMP/ssh_config
	cat >"$SSHCFG" <<-EOF
	Host *
	  User root
	  Port 22
	  IdentityFile $TMP/id
	  IdentitiesOnly yes
	  IdentityAgent none
	  UserKnownHostsFile $TMP/known_hosts
	  GlobalKnownHostsFile /dev/null
	  StrictHostKeyChecking yes
	  UpdateHostKeys no
	  ControlMaster no
	  ControlPath none
	  LogLevel ERROR
	EOF
}

host_ssh_add() {
	local i=$1 d=$TMP/h$1 addr=10.251.0.$((10 + $1)) u init
	mkdir -p "$d/bin" || return 1
	ln -s "$VETHMAP" "$d/bin/vethmap"
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$d/machine-id"
	echo >>"$d/machine-id"
	# the copy of our mount table holds every namespace bind mount of the real host (and
	# of concurrent tests): detached first, so the host holds only its own
	setsid unshare --pid --fork --kill-child --mount-proc --net --uts bash -c '
		findmnt -t nsfs -n -r -o TARGET | while IFS= read -r m; do
			printf "%b\0" "$m"
		done | xargs -0 -r umount -l 2>/dev/null
		[ -z "$(findmnt -t nsfs -n -r -o TARGET)" ] || exit 1
		hostname "$1" && mount -t tmpfs -o mode=0755 tmpfs /run &&
		mkdir -p /run/sshd /run/lock && mount --bind "$2/bin" /usr/local/bin || exit 1
		[ ! -e /etc/machine-id ] || mount --bind "$2/machine-id" /etc/machine-id || exit 1
		touch "$2/ready"
		exec sleep 100000' sh "${PFX}h$i" "$d" </dev/null >"$d/init.log" 2>&1 &
	u=$!
	bg_pid "$u"
	wait_for 60 test -e "$d/ready" && init=$(pgrep -P "$u")
	if [ -z "${init:-}" ]; then
		not_ok "fixture: host $i" "its namespaces were not made: $(head -c 200 "$d/init.log")"
		exit 1
	fi
	_underlay "$init" "u$i" "$addr" || { not_ok "fixture: host $i's underlay" "failed"; exit 1; }
	ssh-keygen -q -t ed25519 -N '' -C "${PFX}h$i" -f "$d/hostkey" ||
		{ not_ok "fixture: host $i's key" "ssh-keygen failed"; exit 1; }
	echo "$addr $(cut -d' ' -f1,2 "$d/hostkey.pub")" >>"$TMP/known_hosts"
	cat >"$d/sshd_config" <<-EOF
	ListenAddress $addr:22
	HostKey $d/hostkey
	PidFile $d/sshd.pid
	AuthorizedKeysFile $TMP/authorized_keys
	AuthenticationMethods publickey
	PubkeyAuthentication yes
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	UsePAM no
	StrictModes no
	PermitRootLogin prohibit-password
	AllowUsers root
	AllowTcpForwarding no
	X11Forwarding no
	PermitTTY no
	MaxStartups 100
	LogLevel ERROR
	EOF
	nsenter -t "$init" -m -u -n -p "$SSHD" -f "$d/sshd_config" -E "$d/sshd.log" ||
		{ not_ok "fixture: host $i's sshd" "$(head -c 300 "$d/sshd.log")"; exit 1; }
	if ! wait_for 10 in_client bash -c "exec 3<>/dev/tcp/$addr/22"; then
		not_ok "fixture: host $i's sshd answers" "$(head -c 300 "$d/sshd.log")"
		exit 1
	fi
	HOST_PID[$i]=$init HOST_ADDR[$i]=$addr HOST_DIR[$i]=$d
}

host_ssh_exec() {
	local i=$1; shift
	nsenter -t "${HOST_PID[$i]}" -m -u -n -p "$@"
}

host_ssh_silent() {
	ns_add s
	_underlay "${PFX}s" us "$1" || { not_ok "fixture: the silent host's underlay" "failed"; exit 1; }
	ip netns exec "${PFX}s" python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 22))
s.listen(64)
held = []
end = time.time() + 600
while time.time() < end:
    s.settimeout(end - time.time())
    try:
        held.append(s.accept()[0])	# and never a word
    except OSError:
        break' "$1" </dev/null >/dev/null 2>&1 &
	bg_pid $!
	wait_for 10 in_client bash -c "exec 3<>/dev/tcp/$1/22" ||
		{ not_ok "fixture: the silent host listens" "no"; exit 1; }
}
