#!/bin/bash
# vethmap-watch.service (issue 14): installed by 'make install' (DESTDIR, PREFIX) with the
# installed binary in ExecStart, removed by 'make uninstall', accepted by 'systemd-analyze
# verify' (no systemd as PID 1 is needed); then the service's own ExecStart line (its
# --output moved into the test's directory, a database of the test's) run under the unit's
# CapabilityBoundingSet= and NoNewPrivileges= (setpriv): it follows process events, a veth
# of ours comes as a line appended to the file (0600), SIGHUP after the file was moved opens
# a new one (logrotate's way) where the next line goes, and SIGTERM ends it with exit 0 and
# every line written.  CAP_NET_ADMIN gives its netlink sockets their 4 MiB buffers (more
# than net.core.rmem_max, 208 KiB by default, allows), and on kernels before 6.6 the
# process events: without it, it has neither.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap

make -s install DESTDIR="$TMP/root" PREFIX=/usr >"$TMP/install.log" 2>&1
check_eq "make install DESTDIR=... exits 0" 0 "$?"
U=$TMP/root/usr/lib/systemd/system/vethmap-watch.service
check "make install puts vethmap-watch.service in \$(PREFIX)/lib/systemd/system" test -f "$U"
check_eq "the installed unit is 0644" 644 "$(stat -c %a "$U" 2>&1)"
check_eq "the installed unit runs the installed binary" \
	"ExecStart=/usr/sbin/vethmap watch --json --output /var/log/vethmap/watch.log" \
	"$(grep '^ExecStart=' "$U")"
make -s uninstall DESTDIR="$TMP/root" PREFIX=/usr >>"$TMP/install.log" 2>&1
check "make uninstall removes it" test ! -e "$U"

P=$TMP/p	# a prefix of its own, so that ExecStart names a binary that is there
make -s install PREFIX="$P" >>"$TMP/install.log" 2>&1
check_eq "make install PREFIX=... exits 0" 0 "$?"
S=$P/lib/systemd/system/vethmap-watch.service
if type -P systemd-analyze >/dev/null; then
	out=$(cd "$P/lib/systemd/system" && MANPATH=$P/share/man systemd-analyze verify ./vethmap-watch.service 2>&1)
	check_eq "systemd-analyze verify: the watch service passes" "0:" "$?:$out"
	sed "s|^ExecStart=.*|ExecStart=$TMP/nowhere/vethmap watch|" "$S" >"$TMP/bad.service"
	out=$(cd "$TMP" && MANPATH=$P/share/man systemd-analyze verify ./bad.service 2>&1)
	check "systemd-analyze verify fails a service without its binary" test -n "$out"
else
	skip "systemd-analyze verify" "systemd-analyze not installed (Debian's systemd package)"
fi

key() { sed -n "s/^$1=//p" "$2" | tail -n1; }	# key NAME FILE: the last NAME= of FILE
check_eq "service: ExecReload sends SIGHUP" '/bin/kill -HUP $MAINPID' "$(key ExecReload "$S")"
check_eq "service: KillSignal=SIGTERM" SIGTERM "$(key KillSignal "$S")"
check_eq "service: NoNewPrivileges=yes" yes "$(key NoNewPrivileges "$S")"
check_eq "service: ProtectSystem=strict" strict "$(key ProtectSystem "$S")"
check_eq "service: writes the database's and the log's directories only" \
	"/var/lib/vethmap /var/log/vethmap" "$(key ReadWritePaths "$S")"
check_eq "service: LogsDirectory= makes the log's" vethmap "$(key LogsDirectory "$S")"
check_eq "service: RestrictAddressFamilies=AF_UNIX AF_NETLINK" "AF_UNIX AF_NETLINK" \
	"$(key RestrictAddressFamilies "$S")"
CAPS=$(key CapabilityBoundingSet "$S")
check_eq "service: CapabilityBoundingSet= the scan's three and CAP_NET_ADMIN" \
	"CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_DAC_READ_SEARCH CAP_NET_ADMIN" "$CAPS"
check_eq "service: enabled by multi-user.target" multi-user.target "$(key WantedBy "$S")"

# ---- the ExecStart line under the unit's capabilities ----
bset() {	# bset CAP...: setpriv's --bounding-set for exactly these
	local s=-all c
	for c in "$@"; do c=${c#CAP_}; s+=",+${c,,}"; done
	echo "$s"
}
read -r -a EXEC <<<"$(key ExecStart "$S")"
LOG=$TMP/log/watch.log
mkdir -m 0700 "$TMP/log"
for ((i = 0; i < ${#EXEC[@]}; i++)); do [ "${EXEC[i]}" = /var/log/vethmap/watch.log ] && EXEC[i]=$LOG; done
check_eq "the command: the installed vethmap watch, its log moved here" \
	"$P/sbin/vethmap watch --json --output $LOG" "${EXEC[*]}"
read -r -a KEEP <<<"$CAPS"
setpriv --bounding-set="$(bset "${KEEP[@]}")" --no-new-privs \
	env VETHMAP_DB="$TMP/svc.db" "${EXEC[@]}" -v -d 60 >"$TMP/svc.out" 2>"$TMP/svc.err" &
WP=$!
bg_pid $WP
if ! wait_for 20 grep -q "watch: following" "$TMP/svc.err"; then
	not_ok "the service's watch starts" "$(head -c 300 "$TMP/svc.err")"
	exit 1
fi
check "under the unit's capabilities: process events followed" \
	grep -qv "no process events" <(grep "watch: following" "$TMP/svc.err")
bufkib() { sed -n "s/.*watch: event sockets' receive buffers: \([0-9]*\) KiB.*/\1/p" "$1" | head -n 1; }
note "$(grep -m1 "receive buffers" "$TMP/svc.err")"
check_eq "under the unit's capabilities: its event sockets have 4 MiB receive buffers (-v)" \
	4096 "$(bufkib "$TMP/svc.err")"
check_eq "the log file is made 0600" 600 "$(stat -c %a "$LOG" 2>&1)"
ip link add "${PFX}a" type veth peer name "${PFX}b" || { not_ok "fixture: veth" "ip failed"; exit 1; }
has() { grep -q "$2" "$1" 2>/dev/null; }
check "a change comes as a JSON line appended to --output" \
	wait_for 5 has "$LOG" "\"name\": \"${PFX}a\""
check_eq "nothing goes to standard output" "" "$(head -c 200 "$TMP/svc.out")"
mv "$LOG" "$LOG.1"
kill -HUP $WP
wait_for 5 grep -q "SIGHUP: output" "$TMP/svc.err"
ip link del "${PFX}a"
check "after SIGHUP (the file moved away): a new file gets the next line" \
	wait_for 5 has "$LOG" "\"op\": \"del\".*\"name\": \"${PFX}a\""
check "the moved file kept the lines before" has "$LOG.1" "\"op\": \"add\".*\"name\": \"${PFX}a\""
check "the moved file got no line after SIGHUP" test -z "$(grep '"op": "del"' "$LOG.1" | grep -F "${PFX}a")"
check_eq "the new file is 0600 too" 600 "$(stat -c %a "$LOG" 2>&1)"
kill -TERM $WP
wait $WP
check_eq "SIGTERM ends it with exit 0" 0 "$?"
check "every line written is whole JSON" jq -e -s 'length > 0' "$LOG" "$LOG.1"
check "the database is whole" sqlite3 "$TMP/svc.db" "pragma integrity_check"

# without CAP_NET_ADMIN: the default buffers, and no process events before kernel 6.6
less=()
for c in "${KEEP[@]}"; do [ "$c" = CAP_NET_ADMIN ] || less+=("$c"); done
setpriv --bounding-set="$(bset "${less[@]}")" --no-new-privs \
	"$P/sbin/vethmap" watch --no-store -v -d 30 >/dev/null 2>"$TMP/less.err" &
LP=$!
bg_pid $LP
wait_for 20 grep -q "watch: following" "$TMP/less.err"
RMAX=$(($(cat /proc/sys/net/core/rmem_max) / 1024))
check_eq "without CAP_NET_ADMIN: its buffers are what net.core.rmem_max allows ($RMAX KiB here)" \
	"$((RMAX < 4096 ? RMAX : 4096))" "$(bufkib "$TMP/less.err")"
kill -TERM $LP
wait $LP
check_eq "without CAP_NET_ADMIN: it runs (exit 0)" 0 "$?"
IFS=. read -r kmaj kmin _ <<<"$(uname -r)"
if [ "$kmaj" -gt 6 ] || { [ "$kmaj" -eq 6 ] && [ "$kmin" -ge 6 ]; }; then
	check "without CAP_NET_ADMIN on kernel $(uname -r) (>= 6.6): process events all the same" \
		grep -qv "no process events" <(grep "watch: following" "$TMP/less.err")
else
	check "without CAP_NET_ADMIN on kernel $(uname -r) (< 6.6): it says it has no process events" \
		grep -q "watch: following .*(no process events)" "$TMP/less.err"
fi

# --output refuses what it must not append to, with one line naming it
ln -s "$TMP/elsewhere" "$TMP/link"
"$VETHMAP" watch --no-store -d 1 --output "$TMP/link" >/dev/null 2>"$TMP/bad.err"
rc=$?
check_eq "--output to a symbolic link: refused, exit 1, one line naming it" "1 1 yes" \
	"$rc $(wc -l <"$TMP/bad.err") $(grep -q "'$TMP/link': is a symbolic link" "$TMP/bad.err" && echo yes)"
check "... and nothing made behind the link" test ! -e "$TMP/elsewhere"
"$VETHMAP" watch --no-store -d 1 --output "$TMP" >/dev/null 2>"$TMP/bad.err"
check_eq "--output to a directory: refused, exit 1" "1" "$?"
touch "$TMP/nobody.log" && chown 65534 "$TMP/nobody.log"
"$VETHMAP" watch --no-store -d 1 --output "$TMP/nobody.log" >/dev/null 2>"$TMP/bad.err"
check_eq "--output to another user's file: refused, exit 1, nothing written" "1 0" \
	"$? $(stat -c %s "$TMP/nobody.log")"
exit 0
