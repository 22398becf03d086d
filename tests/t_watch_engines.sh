#!/bin/bash
# vethmap watch and a hostile or dying Docker engine (DOCKER_HOST at a fake one of root's,
# served by python3; its container list is an honest empty one, only /events misbehaves):
# an answer that is not HTTP, one that ends at once, a line that never ends, an engine that
# never answers, and a flood of events.  Each time the watch must go on (a veth of ours
# still comes as its line within the usual delay), say what happened in one -v line, try
# again later (backoff) rather than at once, and end on SIGTERM with exit 0.  A socket that
# is not root's is not asked at all.  And a reader that stops reading: the watch blocked
# writing to its full pipe still ends on SIGTERM at once, with exit 0.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap
command -v python3 >/dev/null || { skip "${0##*/}" "python3 missing"; exit 0; }

SOCK=$TMP/d.sock
cat >"$TMP/engine.py" <<'PY'
import os, socket, sys, threading, time
path, mode, log = sys.argv[1], sys.argv[2], sys.argv[3]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(16)
open(path + ".ready", "w").close()
end = time.time() + 120	# bounded: the fake engine lives 2 minutes at most
def serve(c):
    try:
        req = c.recv(4096).decode("latin-1")
        if "/events" not in req:
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[]")
            return
        with open(log, "a") as f: f.write("events\n")
        if mode == "garbage":
            c.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
        elif mode == "close":
            pass
        elif mode == "longline":
            c.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
            for _ in range(64):
                c.sendall(b"x" * 8192)
            time.sleep(5)
        elif mode == "hang":
            time.sleep(min(60, end - time.time()))
        elif mode == "flood":
            c.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
            line = b'{"Type":"container","Action":"start","id":"' + b"a" * 64 + b'"}\n'
            while time.time() < end:
                c.sendall(line * 256)
    except OSError:
        pass
    finally:
        c.close()
srv.settimeout(1)
while time.time() < end:
    try: c, _ = srv.accept()
    except socket.timeout: continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY

EP=
engine_start() {	# engine_start MODE: the fake engine at $SOCK
	rm -f "$SOCK" "$SOCK.ready" "$TMP/conns"
	python3 "$TMP/engine.py" "$SOCK" "$1" "$TMP/conns" 2>"$TMP/engine.err" &
	EP=$!
	bg_pid $EP
	wait_for 10 test -e "$SOCK.ready" || { not_ok "fixture: fake engine ($1)" "$(head -c 200 "$TMP/engine.err")"; exit 1; }
}
engine_stop() { kill "$EP" 2>/dev/null; wait "$EP" 2>/dev/null; }
conns() { [ -e "$TMP/conns" ] && wc -l <"$TMP/conns" || echo 0; }

N=0
# one_case MODE EXPECT: the watch with the fake engine in MODE; EXPECT is what its -v says
one_case() {
	local mode=$1 expect=$2 err=$TMP/w.$1.err out=$TMP/w.$1.out wp t0 rc ts=$EPOCHREALTIME
	N=$((N + 1))
	engine_start "$mode"
	DOCKER_HOST=unix://$SOCK "$VETHMAP" watch --no-store -v -d 60 >"$out" 2>"$err" &
	wp=$!
	bg_pid $wp
	if ! wait_for 20 grep -q "watch: following [0-9]* namespaces" "$err"; then
		not_ok "$mode: the watch starts" "$(head -c 300 "$err")"
		engine_stop; kill $wp 2>/dev/null; return
	fi
	sleep 1.5
	ip link add "${PFX}a$N" type veth peer name "${PFX}b$N" || { not_ok "fixture: veth" "ip"; exit 1; }
	check "$mode: a veth still comes as its line" \
		wait_for 3 grep -q "edge .*host:${PFX}a$N" "$out"
	ip link del "${PFX}a$N"
	if [ -n "$expect" ]; then
		check "$mode: the watch says so (-v)" grep -q "Docker's events: .*$expect" "$err"
		check_eq "$mode: said once, not at every try" 1 "$(grep -c "Docker's events: .*$expect" "$err")"
		check "$mode: tried again later, not in a loop ($(conns) connections in ~3 s)" \
			test "$(conns)" -ge 1 -a "$(conns)" -le 3
	fi
	echo "$(awk '{ print $14 + $15 }' /proc/$wp/stat) $(awk -v a="$ts" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')" >"$TMP/$mode.cpu"
	t0=$EPOCHREALTIME
	kill -TERM $wp
	wait $wp; rc=$?
	check_eq "$mode: SIGTERM ends it with exit 0" 0 "$rc"
	check "$mode: ... within 2 s" awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { exit !(b - a < 2) }'
	engine_stop
}

export LC_ALL=C
one_case garbage "not an HTTP answer"
one_case close "closed by the engine"
one_case longline "a line longer than its bound"
one_case hang ""
check_eq "hang: the watch connected once and waited (no reconnects)" 1 "$(conns)"
one_case flood ""
read -r ticks secs <"$TMP/flood.cpu"
note "flood: the watch's CPU: $ticks ticks ($(getconf CLK_TCK)/s) in $secs s"
check "flood: the watch used less than 70% of a CPU (the flood waits in the socket)" \
	awk -v t="$ticks" -v s="$secs" -v hz="$(getconf CLK_TCK)" 'BEGIN { exit !(t / hz < 0.7 * s) }'
nev=$(sed -n 's/.*watch: \([0-9]*\) Docker events.*/\1/p' "$TMP/w.flood.err")
note "flood: ${nev:-?} events counted; $(grep -o '[0-9]* scans ([0-9]* taken again)' "$TMP/w.flood.err")"
check "flood: the events were read (more than 1000)" test "${nev:-0}" -gt 1000
scans=$(grep -o '[0-9]* scans (' "$TMP/w.flood.err" | tr -dc 0-9)
check "flood: rescans were not one per event (${scans:-?} scans for ${nev:-?} events)" \
	test "${scans:-0}" -gt 0 -a "${scans:-0}" -lt 200

# a socket that is not root's: never connected to
engine_start garbage
chown 65534 "$SOCK"
DOCKER_HOST=unix://$SOCK "$VETHMAP" watch --no-store -v -d 2 >/dev/null 2>"$TMP/w.owner.err"
check_eq "a socket not root's: exit 0" 0 "$?"
check "a socket not root's: not asked, saying so" grep -q "not a socket of root's: not asked" "$TMP/w.owner.err"
check_eq "a socket not root's: no connection for events" 0 "$(conns)"
engine_stop

# a reader that stops reading: the pipe fills, the watch blocks in write(2); SIGTERM ends it
mkfifo "$TMP/fifo"
exec {rd}<>"$TMP/fifo"	# held open, never read
"$VETHMAP" watch --no-store --json >"$TMP/fifo" 2>"$TMP/w.pipe.err" &
wp=$!
bg_pid $wp
wait_for 20 grep -q "watch: following" "$TMP/w.pipe.err"
for i in $(seq 150); do echo "link add ${PFX}f$i type veth peer name ${PFX}g$i"; done | ip -batch - ||
	{ not_ok "fixture: 150 veth pairs" "ip -batch failed"; exit 1; }
blocked() { [ "$(cat "/proc/$wp/wchan" 2>/dev/null)" = anon_pipe_write ] || [ "$(cat "/proc/$wp/wchan" 2>/dev/null)" = pipe_write ]; }
check "a reader that stops reading: the watch blocks writing its lines (wchan)" wait_for 10 blocked
t0=$EPOCHREALTIME
kill -TERM $wp
wait_for 3 _gone $wp
check "... SIGTERM ends it all the same, within 3 s" _gone $wp
wait $wp 2>/dev/null
check_eq "... with exit 0" 0 "$?"
note "ended $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", 1000 * (b - a) }') ms after SIGTERM"
exec {rd}>&-
for i in $(seq 150); do echo "link del ${PFX}f$i"; done | ip -batch - 2>/dev/null
exit 0
