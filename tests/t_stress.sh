#!/bin/bash
# Namespace churn under repeated scans, the short version run by `make check`: the engine
# tests/stress/churn.sh for STRESS_SECONDS (default 10 here; `make stress` runs 60).
STRESS_SECONDS=${STRESS_SECONDS:-10} exec bash "${BASH_SOURCE%/*}/stress/churn.sh"
