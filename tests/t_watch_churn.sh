#!/bin/bash
# vethmap watch under the stress test's churn (issue 14): tests/stress/churn.sh with
# STRESS_WATCH=1 (tests/stress/watcher.sh) for STRESS_SECONDS (default 50), with no scanner
# of its own: a watch --interval 5s stores every batch into the test's database while
# namespaces, veth pairs (made from either side, moved, renamed, names reused), bridges,
# ports and Docker containers come and go.  Judged: every snapshot the watch stored, as the
# stress test judges scans, against the churn's log (no wrong pairing, no end in two edges,
# the stable set always there, pairs that existed for a whole snapshot reported); every
# reconciling rescan taken on a quiet moment (the churn pauses until one has run) corrects
# nothing of ours; VmRSS at the end within 20% + 2 MiB of the start; the last snapshot,
# with the churn held before its teardown, equals a fresh scan; SIGTERM ends it with 0.
export STRESS_SECONDS=${STRESS_SECONDS:-50} STRESS_WATCH=1 STRESS_SCANNERS=${STRESS_SCANNERS:-0}
exec bash "${BASH_SOURCE%/*}/stress/churn.sh"
