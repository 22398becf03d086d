#!/usr/bin/env python3
"""tests/bench/watch_rate.py - how many changes per second 'vethmap watch' keeps up with.

Usage: watch_rate.py VETHMAP PREFIX [RATE...]  (root; RATEs in veth pairs per second,
default 5 10 20 50 100 200).  Starts 'VETHMAP watch --no-store', then for each rate
makes that many veth pairs a second for STEP seconds (8), through one 'ip -batch -' (so
the generator costs no fork per pair), and removes them again.  Each pair's delay is the
time from writing its command to ip until the watch's line about its edge arrives on the
pipe.  Per rate: median and max delay, lines that never came within 10 s, and the
watch's CPU per pair (utime + stime over the step and its drain, /proc/PID/stat).  A rate
is kept up with when every pair came and the max delay is at most 1 s.  Prints one line
per rate and removes everything it made (also when interrupted).
"""
import os, select, subprocess, sys, time

vethmap, pfx = sys.argv[1], sys.argv[2]
rates = [int(r) for r in sys.argv[3:]] or [5, 10, 20, 50, 100, 200]
STEP = 8
HZ = os.sysconf("SC_CLK_TCK")

w = subprocess.Popen([vethmap, "watch", "--no-store"], stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL, bufsize=0)
ip = subprocess.Popen(["ip", "-force", "-batch", "-"], stdin=subprocess.PIPE,
                      stderr=subprocess.DEVNULL, bufsize=0)
buf = b""
seen = {}          # pair number -> arrival time of its edge add line
gone = {}          # pair number -> arrival time of its edge del line

def cpu():
    f = open("/proc/%d/stat" % w.pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / HZ

def pump(until):
    """Read the watch's lines until time until, noting each edge line of ours."""
    global buf
    while True:
        left = until - time.time()
        if left <= 0: return
        r, _, _ = select.select([w.stdout], [], [], left)
        if not r: return
        chunk = os.read(w.stdout.fileno(), 65536)
        if not chunk: return
        now = time.time()
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for l in lines:
            s = l.decode("utf-8", "replace")
            if " edge " not in s or pfx + "a" not in s: continue
            name = s.split(pfx + "a", 1)[1].split()[0].split(":")[0]
            if not name.isdigit(): continue
            (seen if s.startswith("+") else gone).setdefault(int(name), now)

def send(cmd):
    ip.stdin.write((cmd + "\n").encode())

n0 = 0
try:
    pump(time.time() + 3)          # the first scan, and quiet
    for rate in rates:
        sent = {}
        c0, t0 = cpu(), time.time()
        k = 0
        while time.time() < t0 + STEP and k < rate * STEP:
            due = t0 + k / rate
            if time.time() < due:
                pump(due)
            n = n0 + k
            sent[n] = time.time()
            send("link add %sa%d type veth peer name %sb%d" % (pfx, n, pfx, n))
            k += 1
        end = time.time() + 10
        while time.time() < end and not all(n in seen for n in sent):
            pump(min(end, time.time() + 0.2))
        c1, t1 = cpu(), time.time()
        delays = sorted(seen[n] - sent[n] for n in sent if n in seen)
        missing = sum(1 for n in sent if n not in seen)
        med = delays[len(delays) // 2] if delays else float("nan")
        mx = delays[-1] if delays else float("nan")
        kept = not missing and mx <= 1.0
        print("rate %4d pairs/s: %4d pairs in %.1f s (%.0f/s made), delay median %4.0f ms, max %5.0f ms,"
              " %d never came; watch CPU %.2f s = %.1f ms per pair; %s"
              % (rate, k, (max(sent.values()) - t0) if sent else 0, k / max(1e-9, max(sent.values()) - t0 if sent else 1),
                 1000 * med, 1000 * mx, missing, c1 - c0, 1000 * (c1 - c0) / max(1, k),
                 "kept up" if kept else "fell behind"), flush=True)
        for n in sent:
            send("link del %sa%d" % (pfx, n))
        end = time.time() + 15
        while time.time() < end and not all(n in gone for n in sent):
            pump(min(end, time.time() + 0.2))
        n0 += k
        pump(time.time() + 2)
finally:
    ip.stdin.close()
    ip.wait()
    w.terminate()
    try:
        w.communicate(timeout=20)     # read on: a watch blocked on its pipe ends too
    except subprocess.TimeoutExpired:
        w.kill()
        w.wait()
    for l in os.listdir("/sys/class/net"):
        if l.startswith(pfx):
            subprocess.call(["ip", "link", "del", l], stderr=subprocess.DEVNULL)
